//! The CRM: clients, contacts, pipeline, activities, tasks, documents, search, CSV. Each file adds
//! the operations on one part of the data to `Crm`; all writes that touch several rows are one
//! transaction.

mod activities;
mod client_selection;
mod clients;
mod contacts;
mod csv_export;
mod csv_import;
pub(crate) mod dates;
mod documents;
mod money;
mod pipeline;
mod preferences;
pub mod reports;
pub(crate) mod rows;
mod sample_data;
mod score;
mod score_store;
mod search;
mod tasks;
mod today;
mod validate;
/// The lower-case host of a website or domain, without `www.` (what clients match on).
pub use validate::domain_of;
pub(crate) mod synced_writes;
pub(crate) mod write;

use std::sync::Arc;

use cremmy_protocol::crm::CrmEvent;
use cremmy_protocol::ErrorCode;
use sqlx::SqlitePool;
use tokio::sync::broadcast;

use crate::clock::{Clock, Timestamp};
use crate::db::Database;
use crate::HasErrorCode;

pub use activities::ExternalActivity;
pub use csv_export::{iso_utc, neutralised};
pub use csv_import::{field_named, guess_field, guessed_mapping, CsvError};
pub use dates::{civil_from_days, days_from_civil, Date};
pub use documents::DocumentLocation;
pub use money::{format_rate, parse_rate, probability, sum_totals, weighted, Rates};
pub use preferences::DEFAULT_SYNC_INTERVAL_MINUTES;
pub use sample_data::ScaleSpec;
pub use score::{score, ClientFacts, OpenDeal, Touch};
pub use today::meeting_link;
pub use validate::email as validate_email;
pub use validate::{name as validate_name, phone as validate_phone};
pub use write::new_gid;

/// Kinds of records, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Client,
    Contact,
    Stage,
    Deal,
    Activity,
    Task,
    Document,
    CustomField,
}

impl std::fmt::Display for Entity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Entity::Client => "client",
            Entity::Contact => "contact",
            Entity::Stage => "stage",
            Entity::Deal => "deal",
            Entity::Activity => "activity",
            Entity::Task => "task",
            Entity::Document => "document",
            Entity::CustomField => "custom field",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CrmError {
    #[error("That {entity} (#{id}) no longer exists; it may have been deleted. Refresh the view.")]
    NotFound { entity: Entity, id: i64 },
    #[error("{field}: {problem}")]
    Invalid {
        field: &'static str,
        problem: String,
    },
    #[error(
        "{email} already belongs to {owner}; an email address can belong to only one contact."
    )]
    EmailTaken { email: String, owner: String },
    #[error(
        "The stage \"{stage}\" still holds {deals} deal(s); move them to another stage first."
    )]
    StageNotEmpty { stage: String, deals: i64 },
    #[error("A pipeline needs at least one open stage, one won stage and one lost stage.")]
    PipelineIncomplete,
    #[error(transparent)]
    Csv(#[from] CsvError),
    #[error("Writing the export failed: {0}. Check that the folder exists and is writable.")]
    Export(#[source] std::io::Error),
    #[error("{}", crate::db::describe(.0))]
    Db(#[from] sqlx::Error),
}

impl CrmError {
    pub fn invalid(field: &'static str, problem: impl Into<String>) -> CrmError {
        CrmError::Invalid {
            field,
            problem: problem.into(),
        }
    }

    pub fn is_retryable(&self) -> bool {
        matches!(self, CrmError::Db(sqlx::Error::PoolTimedOut))
            || matches!(self, CrmError::Db(sqlx::Error::Database(d)) if d.code().as_deref() == Some("5"))
    }
}

impl HasErrorCode for CrmError {
    fn code(&self) -> ErrorCode {
        match self {
            CrmError::NotFound { .. } => ErrorCode::NotFound,
            CrmError::Invalid { .. } | CrmError::PipelineIncomplete | CrmError::Csv(_) => {
                ErrorCode::InvalidInput
            }
            CrmError::EmailTaken { .. } | CrmError::StageNotEmpty { .. } => ErrorCode::Conflict,
            CrmError::Export(_) | CrmError::Db(_) => ErrorCode::Internal,
        }
    }
}

pub type CrmResult<T> = Result<T, CrmError>;

/// The open CRM: the database, the injected clock and the event bus. Cheap to clone.
#[derive(Clone)]
pub struct Crm {
    db: Database,
    clock: Arc<dyn Clock>,
}

impl Crm {
    pub fn new(db: Database, clock: Arc<dyn Clock>) -> Crm {
        Crm { db, clock }
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Events published after the transaction that caused them has committed.
    pub fn subscribe(&self) -> broadcast::Receiver<CrmEvent> {
        self.events().subscribe()
    }

    /// The bus this CRM publishes on (its database's).
    pub fn events(&self) -> &crate::events::EventBus {
        self.db.events()
    }

    /// A write transaction whose recorded clients and activities are announced once it commits.
    async fn begin(&self) -> sqlx::Result<write::CrmTx> {
        write::CrmTx::begin(&self.db).await
    }

    /// For reads.
    fn pool(&self) -> &SqlitePool {
        self.db.pool()
    }

    /// For writes and transactions: the database's single writer connection.
    fn writer(&self) -> &SqlitePool {
        self.db.writer()
    }

    fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Archives or restores a client or contact (the records that can be archived).
    async fn set_archived(&self, entity: Entity, id: i64, archived: bool) -> CrmResult<()> {
        let sql = match entity {
            Entity::Client => "UPDATE clients SET archived = ?, updated_at = ? WHERE id = ?",
            Entity::Contact => "UPDATE contacts SET archived = ?, updated_at = ? WHERE id = ?",
            other => {
                return Err(CrmError::invalid(
                    "archive",
                    format!("a {other} cannot be archived"),
                ))
            }
        };
        let updated = sqlx::query(sql)
            .bind(archived)
            .bind(self.now())
            .bind(id)
            .execute(self.writer())
            .await?;
        if updated.rows_affected() == 0 {
            return Err(CrmError::NotFound { entity, id });
        }
        Ok(())
    }

    /// Published after the transaction that caused it has committed.
    pub(crate) fn publish(&self, event: CrmEvent) {
        self.events().publish(event);
    }
}
