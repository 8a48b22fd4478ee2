//! Two-way sync of one linked record, decided without I/O: per field, the value both sides last
//! agreed on (the link's base) against Cremmy's value now and the CRM's value now. A side that
//! changed carries its value to the other; when both changed a field to different values it is a
//! conflict, resolved by the connection's rule (by default the later writer, by modification
//! time) and reported with both values.

use std::collections::BTreeMap;

use cremmy_protocol::crm_sync::{ConflictRule, SyncDirection};

use crate::clock::Timestamp;

/// The provider-neutral fields a record is synced by, each a string: a client's `name` and
/// `website`; a contact's `name`, `title`, `email` and `phone`; a deal's `title` and `value`
/// (minor units).
pub type Fields = BTreeMap<String, String>;

/// One side of a record: its fields and when it last changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Side {
    pub fields: Fields,
    pub modified: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub field: String,
    pub cremmy: String,
    pub remote: String,
    /// Whether the CRM's value won.
    pub remote_won: bool,
}

/// What to do to one linked record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reconciled {
    /// Fields to write in Cremmy.
    pub to_cremmy: Fields,
    /// Fields to write at the CRM.
    pub to_remote: Fields,
    pub conflicts: Vec<Conflict>,
    /// What both sides hold afterwards (the link's next base).
    pub base: Fields,
}

impl Reconciled {
    pub fn is_noop(&self) -> bool {
        self.to_cremmy.is_empty() && self.to_remote.is_empty()
    }
}

/// Reconciles `cremmy` and `remote` against `base`, field by field (only fields both sides
/// have). A field with no base (never synced) counts as changed on both sides.
pub fn reconcile(base: &Fields, cremmy: &Side, remote: &Side, rule: ConflictRule) -> Reconciled {
    let mut out = Reconciled::default();
    for (field, local) in &cremmy.fields {
        let Some(theirs) = remote.fields.get(field) else {
            continue;
        };
        let (local, theirs) = (local.trim(), theirs.trim());
        let before = base.get(field).map(|s| s.trim());
        let value = if local == theirs {
            local
        } else if before == Some(local) {
            out.to_cremmy.insert(field.clone(), theirs.to_string());
            theirs
        } else if before == Some(theirs) {
            out.to_remote.insert(field.clone(), local.to_string());
            local
        } else {
            let remote_won = match rule {
                ConflictRule::RemoteWins => true,
                ConflictRule::CremmyWins => false,
                ConflictRule::LastWriterWins => remote.modified > cremmy.modified,
            };
            out.conflicts.push(Conflict {
                field: field.clone(),
                cremmy: local.to_string(),
                remote: theirs.to_string(),
                remote_won,
            });
            if remote_won {
                out.to_cremmy.insert(field.clone(), theirs.to_string());
                theirs
            } else {
                out.to_remote.insert(field.clone(), local.to_string());
                local
            }
        };
        out.base.insert(field.clone(), value.to_string());
    }
    out
}

/// The rule a conflict follows when the kind syncs one way only: that way's side wins.
pub fn rule_for(direction: SyncDirection, rule: ConflictRule) -> ConflictRule {
    match direction {
        SyncDirection::Pull => ConflictRule::RemoteWins,
        SyncDirection::Push => ConflictRule::CremmyWins,
        SyncDirection::Both | SyncDirection::Off => rule,
    }
}

/// Keeps what `direction` allows of `out`: a change that may not travel is dropped and its
/// field keeps its old base, so the next sync sees the same difference and drops it again
/// (nothing is written either way).
pub fn restrict(mut out: Reconciled, base: &Fields, direction: SyncDirection) -> Reconciled {
    let mut dropped: Vec<String> = Vec::new();
    if !direction.pulls() {
        dropped.extend(std::mem::take(&mut out.to_cremmy).into_keys());
    }
    if !direction.pushes() {
        dropped.extend(std::mem::take(&mut out.to_remote).into_keys());
    }
    for field in dropped {
        match base.get(&field) {
            Some(before) => out.base.insert(field, before.clone()),
            None => out.base.remove(&field),
        };
    }
    out
}
