//! The error the features and the outbox report: a provider's failure, an account problem, wrong
//! input, or the outbox's own states. A leaf for the features: it imports no feature, no provider
//! and not the sync runner, so features can return it without depending on the runner that calls
//! them.

use cremmy_protocol::accounts::Feature;
use cremmy_protocol::ErrorCode;

use crate::accounts::AccountsError;
use crate::failure::SourceError;
use crate::HasErrorCode;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Accounts(#[from] AccountsError),
    #[error("No connected account has {}. Connect one (or reconnect it) on the Integrations page.", feature.label())]
    NoAccountFor { feature: Feature },
    #[error("Check the {field}: {reason}.")]
    Invalid { field: &'static str, reason: String },
    #[error("Client {client_id} does not exist (it may have been deleted).")]
    NoSuchClient { client_id: i64 },
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
    pub fn is_retryable(&self) -> bool {
        match self {
            SyncError::Source(e) => e.is_retryable(),
            SyncError::Accounts(e) => e.is_retryable(),
            SyncError::NoAccountFor { .. }
            | SyncError::NoSuchClient { .. }
            | SyncError::Invalid { .. } => false,
            SyncError::Db(_) => true,
            SyncError::Queued { .. } | SyncError::JobNotQueued { .. } => false,
            SyncError::BackgroundStopped { .. } => true,
            SyncError::UnreadableJob { .. }
            | SyncError::UnknownJobKind { .. }
            | SyncError::DraftNoLongerNeeded => false,
        }
    }

    /// The input was wrong (nothing reached a provider): the user fixes it, no retry helps.
    pub fn is_input_error(&self) -> bool {
        matches!(
            self,
            SyncError::Invalid { .. } | SyncError::NoSuchClient { .. }
        )
    }

    /// The provider could not be reached at all: the machine is probably offline.
    pub fn is_offline(&self) -> bool {
        match self {
            SyncError::Source(e) => e.is_offline(),
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
            SyncError::Source(e) => e.code(),
            SyncError::Accounts(e) => e.code(),
            SyncError::NoAccountFor { .. } => ErrorCode::NotConfigured,
            SyncError::NoSuchClient { .. } => ErrorCode::NotFound,
            SyncError::Invalid { .. } => ErrorCode::InvalidInput,
            SyncError::Db(_) => ErrorCode::Internal,
            SyncError::Queued { cause, .. } => cause.code(),
            SyncError::JobNotQueued { .. } | SyncError::DraftNoLongerNeeded => ErrorCode::Conflict,
            SyncError::BackgroundStopped { .. }
            | SyncError::UnreadableJob { .. }
            | SyncError::UnknownJobKind { .. } => ErrorCode::Internal,
        }
    }
}

pub type SyncResult<T> = Result<T, SyncError>;
