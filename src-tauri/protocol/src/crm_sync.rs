//! CRM sync (issue 22): the import preview a first connection shows, what the user decides on it,
//! and what the import did.

use serde::{Deserialize, Serialize};

use crate::crm::Id;

/// What a remote record is to Cremmy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// A company (a client in Cremmy).
    Company,
    /// A person (a contact in Cremmy).
    Person,
    Deal,
}

/// What importing a remote record will do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportAction {
    /// Nothing in Cremmy matches: a new record.
    New,
    /// A record in Cremmy matches (same email, else same domain) and nothing they both hold
    /// differs: linked, and what Cremmy lacks is filled in.
    Merge,
    /// A record matches but a field differs on both sides: Cremmy's value stays unless the user
    /// picks the remote one.
    Conflict,
    /// Already linked by an earlier import: nothing to do.
    Linked,
}

/// A field both sides hold with different values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDifference {
    pub field: String,
    pub cremmy: String,
    pub remote: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRow {
    pub kind: RecordKind,
    /// The record's id at the provider (`companies/123`).
    pub remote_id: String,
    /// What the row shows: a name, a deal's title.
    pub name: String,
    /// An email, a domain, a deal's value.
    pub detail: String,
    pub action: ImportAction,
    /// The matched Cremmy record.
    pub local_id: Option<Id>,
    pub differences: Vec<FieldDifference>,
}

/// Who the connected CRM account is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrmProfile {
    /// "HubSpot account 24680135".
    pub name: String,
    pub currency: String,
    pub time_zone: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportPreview {
    pub account_id: i64,
    pub provider_name: String,
    pub profile: CrmProfile,
    pub rows: Vec<ImportRow>,
}

impl ImportPreview {
    pub fn count(&self, action: ImportAction) -> usize {
        self.rows.iter().filter(|r| r.action == action).count()
    }
}

/// The user's answer to a preview: the conflicts where the remote values win.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportDecision {
    pub account_id: i64,
    #[serde(default)]
    pub remote_wins: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    pub created: u32,
    pub merged: u32,
    pub unchanged: u32,
}

/// Who wins when Cremmy and the CRM both changed a field since the last sync.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictRule {
    /// The side changed last (by modification time).
    #[default]
    LastWriterWins,
    CremmyWins,
    RemoteWins,
}

impl ConflictRule {
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictRule::LastWriterWins => "last_writer_wins",
            ConflictRule::CremmyWins => "cremmy_wins",
            ConflictRule::RemoteWins => "remote_wins",
        }
    }

    pub fn parse(text: &str) -> Option<ConflictRule> {
        [
            ConflictRule::LastWriterWins,
            ConflictRule::CremmyWins,
            ConflictRule::RemoteWins,
        ]
        .into_iter()
        .find(|r| r.as_str() == text)
    }
}

/// A conflict a sync resolved, as Sync history lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvedConflict {
    pub account_id: i64,
    pub kind: RecordKind,
    pub local_id: Id,
    /// The record's name in Cremmy now.
    pub name: String,
    pub remote_id: String,
    pub field: String,
    pub cremmy: String,
    pub remote: String,
    /// Whether the CRM's value won.
    pub remote_won: bool,
    /// Unix ms.
    pub resolved_at: i64,
}

/// Which way one kind of record syncs with the CRM.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncDirection {
    /// Not synced.
    Off,
    /// From the CRM to Cremmy only.
    Pull,
    /// From Cremmy to the CRM only.
    Push,
    #[default]
    Both,
}

impl SyncDirection {
    pub const ALL: [SyncDirection; 4] = [
        SyncDirection::Both,
        SyncDirection::Pull,
        SyncDirection::Push,
        SyncDirection::Off,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SyncDirection::Off => "off",
            SyncDirection::Pull => "pull",
            SyncDirection::Push => "push",
            SyncDirection::Both => "both",
        }
    }

    pub fn parse(text: &str) -> Option<SyncDirection> {
        SyncDirection::ALL.into_iter().find(|d| d.as_str() == text)
    }

    /// The CRM's changes come into Cremmy.
    pub fn pulls(self) -> bool {
        matches!(self, SyncDirection::Pull | SyncDirection::Both)
    }

    /// Cremmy's changes go to the CRM.
    pub fn pushes(self) -> bool {
        matches!(self, SyncDirection::Push | SyncDirection::Both)
    }
}

/// The direction of each kind of record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directions {
    pub companies: SyncDirection,
    pub contacts: SyncDirection,
    pub deals: SyncDirection,
}

impl Directions {
    pub fn of(&self, kind: RecordKind) -> SyncDirection {
        match kind {
            RecordKind::Company => self.companies,
            RecordKind::Person => self.contacts,
            RecordKind::Deal => self.deals,
        }
    }

    pub fn set(&mut self, kind: RecordKind, direction: SyncDirection) {
        match kind {
            RecordKind::Company => self.companies = direction,
            RecordKind::Person => self.contacts = direction,
            RecordKind::Deal => self.deals = direction,
        }
    }
}

/// A CRM connection's sync settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CrmSyncSettings {
    pub account_id: i64,
    pub conflict_rule: ConflictRule,
    /// Absent in settings saved before directions existed: both ways for every kind.
    #[serde(default)]
    pub directions: Directions,
}

/// What a two-way sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrmSyncReport {
    pub pulled: u32,
    pub pushed: u32,
    pub conflicts: u32,
}
