//! The error the sync runner and the outbox report: a feature's failure (one variant per
//! feature), an account problem, or the outbox's own states.

use cremmy_protocol::accounts::Feature;
use cremmy_protocol::ErrorCode;

use crate::accounts::AccountsError;
use crate::failure::SourceError;
use crate::feature_error::{Fault, FeatureError};
use crate::HasErrorCode;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Mail(#[from] crate::features::mail::MailError),
    #[error(transparent)]
    Calendar(#[from] crate::features::calendar::CalendarError),
    #[error(transparent)]
    Folder(#[from] crate::features::client_folder::FolderError),
    #[error(transparent)]
    Documents(#[from] crate::features::doc_templates::DocumentError),
    #[error(transparent)]
    Leads(#[from] crate::features::leads::LeadsError),
    #[error(transparent)]
    Export(#[from] crate::features::pipeline_export::ExportError),
    #[error(transparent)]
    Texts(#[from] crate::features::texts::TextsError),
    #[error(transparent)]
    Payments(#[from] crate::features::payments::PaymentsError),
    #[error(transparent)]
    CrmSync(#[from] crate::features::crm_sync::CrmSyncError),
    #[error(transparent)]
    Webhooks(#[from] crate::features::webhooks::WebhookError),
    #[error(transparent)]
    Automation(#[from] crate::features::automation::AutomationError),
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Accounts(#[from] AccountsError),
    #[error("No connected account has {}. Connect one (or reconnect it) on the Integrations page.", feature.label())]
    NoAccountFor { feature: Feature },
    #[error("Check the {field}: {reason}.")]
    Invalid { field: &'static str, reason: String },
    #[error("{cause} It is queued: Cremmy tries again on its own (Sync history → Outbox).")]
    Queued { cause: Box<SyncError>, job_id: i64 },
    #[error("Job {id} is not waiting to run (it is running, done, or gone).")]
    JobNotQueued { id: i64 },
    #[error("The background {what} stopped before it finished ({source}). It is still in the outbox; Cremmy tries it again.")]
    BackgroundStopped {
        what: &'static str,
        source: tokio::task::JoinError,
    },
    #[error("A queued {kind} job cannot be read ({source}). It stays in the outbox; a newer Cremmy may run it.")]
    UnreadableJob {
        kind: cremmy_protocol::kinds::JobKind,
        source: serde_json::Error,
    },
    #[error("A queued job of a kind this Cremmy does not know ({kind}) stays in the outbox; a newer Cremmy may run it.")]
    UnknownJobKind {
        kind: cremmy_protocol::kinds::JobKind,
    },
    #[error("The deal no longer needs a draft (it left the drafting stage, or has one).")]
    DraftNoLongerNeeded,
    #[error("{}", crate::db::describe(.0))]
    Db(#[from] sqlx::Error),
}

impl SyncError {
    /// The feature's failure behind this error, if a feature failed.
    fn feature(&self) -> Option<Fault<'_>> {
        Some(match self {
            SyncError::Mail(e) => e.fault(),
            SyncError::Calendar(e) => e.fault(),
            SyncError::Folder(e) => e.fault(),
            SyncError::Documents(e) => e.fault(),
            SyncError::Leads(e) => e.fault(),
            SyncError::Export(e) => e.fault(),
            SyncError::Texts(e) => e.fault(),
            SyncError::Payments(e) => e.fault(),
            SyncError::CrmSync(e) => e.fault(),
            SyncError::Source(e) => Fault::Provider(e),
            SyncError::Db(_) => Fault::Storage,
            _ => return None,
        })
    }

    pub fn is_retryable(&self) -> bool {
        match self {
            SyncError::Accounts(e) => e.is_retryable(),
            SyncError::Webhooks(e) => e.is_retryable(),
            SyncError::Automation(e) => e.is_retryable(),
            SyncError::NoAccountFor { .. } | SyncError::Invalid { .. } => false,
            SyncError::Queued { .. } | SyncError::JobNotQueued { .. } => false,
            SyncError::BackgroundStopped { .. } => true,
            SyncError::UnreadableJob { .. }
            | SyncError::UnknownJobKind { .. }
            | SyncError::DraftNoLongerNeeded => false,
            SyncError::Mail(_)
            | SyncError::Calendar(_)
            | SyncError::Folder(_)
            | SyncError::Documents(_)
            | SyncError::Leads(_)
            | SyncError::Export(_)
            | SyncError::Texts(_)
            | SyncError::Payments(_)
            | SyncError::CrmSync(_)
            | SyncError::Source(_)
            | SyncError::Db(_) => self.feature().is_some_and(Fault::is_retryable),
        }
    }

    /// The input was wrong (nothing reached a provider): the user fixes it, no retry helps.
    pub fn is_input_error(&self) -> bool {
        match self.feature() {
            Some(fault) => fault.is_input_error(),
            None => match self {
                SyncError::Webhooks(e) => e.is_input_error(),
                SyncError::Automation(e) => e.is_input_error(),
                _ => matches!(self, SyncError::Invalid { .. }),
            },
        }
    }

    /// The provider could not be reached at all: the machine is probably offline.
    pub fn is_offline(&self) -> bool {
        if let Some(fault) = self.feature() {
            return fault.is_offline();
        }
        match self {
            SyncError::Accounts(e) => match e {
                AccountsError::Network { .. } => true,
                AccountsError::Call(call) => call.kind() == crate::failure::FailureKind::Offline,
                _ => false,
            },
            SyncError::Queued { cause, .. } => cause.is_offline(),
            _ => false,
        }
    }
}

impl HasErrorCode for SyncError {
    fn code(&self) -> ErrorCode {
        match self {
            SyncError::Accounts(e) => e.code(),
            SyncError::Webhooks(e) => e.code(),
            SyncError::Automation(e) => e.code(),
            SyncError::NoAccountFor { .. } => ErrorCode::NotConfigured,
            SyncError::Invalid { .. } => ErrorCode::InvalidInput,
            SyncError::Queued { cause, .. } => cause.code(),
            SyncError::JobNotQueued { .. } | SyncError::DraftNoLongerNeeded => ErrorCode::Conflict,
            SyncError::BackgroundStopped { .. }
            | SyncError::UnreadableJob { .. }
            | SyncError::UnknownJobKind { .. } => ErrorCode::Internal,
            SyncError::Mail(_)
            | SyncError::Calendar(_)
            | SyncError::Folder(_)
            | SyncError::Documents(_)
            | SyncError::Leads(_)
            | SyncError::Export(_)
            | SyncError::Texts(_)
            | SyncError::Payments(_)
            | SyncError::CrmSync(_)
            | SyncError::Source(_)
            | SyncError::Db(_) => self.feature().map_or(ErrorCode::Internal, Fault::code),
        }
    }
}

pub type SyncResult<T> = Result<T, SyncError>;
