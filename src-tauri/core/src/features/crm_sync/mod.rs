//! CRM sync (issue 22), provider-neutral: Cremmy's clients, contacts and deals kept in step with
//! the user's CRM (HubSpot, Pipedrive, Salesforce). A provider implements [`CrmRemote`] and hands
//! back records already mapped to the types here; [`preview::plan`] decides, without I/O, what a
//! first import does (table-tested); `store` reads what Cremmy holds and writes the import in one
//! transaction, linking every record it touches (`external_links`, role `crm_record`) so later
//! runs update instead of creating.

pub mod linked;
pub mod preview;
pub mod reconcile;
pub mod store;

use cremmy_protocol::crm_sync::{CrmProfile, RecordKind};

use crate::clock::Timestamp;
use crate::failure::SourceError;
use crate::feature_error::{Fault, FeatureError};

#[derive(Debug, thiserror::Error)]
pub enum CrmSyncError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("{provider}'s answer did not say {what}.")]
    Incomplete {
        provider: &'static str,
        what: &'static str,
    },
    #[error("{}", crate::db::describe(.0))]
    Db(#[from] sqlx::Error),
}

impl FeatureError for CrmSyncError {
    fn fault(&self) -> Fault<'_> {
        match self {
            CrmSyncError::Source(e) => Fault::Provider(e),
            CrmSyncError::Incomplete { .. } => Fault::Input,
            CrmSyncError::Db(_) => Fault::Storage,
        }
    }
}

pub type CrmSyncResult<T> = Result<T, CrmSyncError>;

/// The sync cursor's stream: the CRM's modification time (Unix ms) up to which changes are in.
pub const CURSOR_STREAM: &str = "crm";

/// A company at the CRM (a client in Cremmy). `remote_id` is typed: `companies/123`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteCompany {
    pub remote_id: String,
    pub name: String,
    /// Lower-case host, without `www.`; empty if unknown.
    pub domain: String,
    pub website: String,
    pub modified: Timestamp,
}

/// A person at the CRM (a contact in Cremmy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemotePerson {
    pub remote_id: String,
    pub name: String,
    /// Lower-case.
    pub email: Option<String>,
    pub phone: Option<String>,
    pub title: String,
    /// The company's `remote_id`.
    pub company: Option<String>,
    pub modified: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteDeal {
    pub remote_id: String,
    pub title: String,
    pub value_minor: i64,
    /// ISO 4217, upper-case.
    pub currency: String,
    pub won: bool,
    pub closed_at: Option<Timestamp>,
    pub company: Option<String>,
    /// The people's `remote_id`s.
    pub people: Vec<String>,
    pub modified: Timestamp,
}

/// The CRM's existing customers: won deals and the companies and people behind them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Customers {
    pub companies: Vec<RemoteCompany>,
    pub people: Vec<RemotePerson>,
    pub deals: Vec<RemoteDeal>,
}

/// A linked record as the CRM holds it now, in the provider-neutral fields of
/// [`reconcile::Fields`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteRecord {
    pub remote_id: String,
    pub fields: reconcile::Fields,
    pub modified: Timestamp,
}

/// What a CRM provider does for the sync.
#[allow(async_fn_in_trait)]
pub trait CrmRemote {
    /// What the user reads ("HubSpot").
    fn product_name(&self) -> &'static str;

    /// The connected account.
    async fn profile(&self) -> CrmSyncResult<CrmProfile>;

    /// The won deals, with their companies and people.
    async fn won_customers(&self) -> CrmSyncResult<Customers>;

    /// The won deals among `deal_ids` (remote ids), with their companies and people: what a
    /// sync imports when deals it has not linked changed at the CRM.
    async fn won_customers_among(&self, deal_ids: &[String]) -> CrmSyncResult<Customers>;

    /// Records of `kind` changed at or after `since` (Unix ms), oldest change first.
    async fn changed_since(
        &self,
        kind: RecordKind,
        since: Timestamp,
    ) -> CrmSyncResult<Vec<RemoteRecord>>;

    /// Records by remote id; one that no longer exists is left out.
    async fn read(
        &self,
        kind: RecordKind,
        remote_ids: &[String],
    ) -> CrmSyncResult<Vec<RemoteRecord>>;

    /// Writes `fields` to each record.
    async fn write(
        &self,
        kind: RecordKind,
        changes: &[(String, reconcile::Fields)],
    ) -> CrmSyncResult<()>;
}

/// The synced fields of an imported company, person or deal (what the CRM held then).
pub fn company_fields(c: &RemoteCompany) -> reconcile::Fields {
    fields(&[("name", &c.name), ("website", &c.website)])
}

pub fn person_fields(p: &RemotePerson) -> reconcile::Fields {
    fields(&[
        ("name", &p.name),
        ("title", &p.title),
        ("email", p.email.as_deref().unwrap_or("")),
        ("phone", p.phone.as_deref().unwrap_or("")),
    ])
}

pub fn deal_fields(d: &RemoteDeal) -> reconcile::Fields {
    fields(&[("title", &d.title), ("value", &d.value_minor.to_string())])
}

pub fn fields(pairs: &[(&str, &str)]) -> reconcile::Fields {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.trim().to_string()))
        .collect()
}
