//! How features fail. Each feature has its own error enum (`MailError`, `CalendarError`, …) and
//! says, through [`FeatureError::fault`], what kind of failure each variant is ([`Fault`]): the
//! outbox decides retries, offline waits and "fix the form" from that alone. A leaf: it imports
//! no feature, no provider and not the sync runner.

use cremmy_protocol::ErrorCode;

use crate::failure::SourceError;
use crate::HasErrorCode;

/// What kind of failure a feature's error is.
#[derive(Debug, Clone, Copy)]
pub enum Fault<'a> {
    /// The provider failed (its kind decides).
    Provider(&'a SourceError),
    /// The input was wrong; nothing reached the provider and no retry helps.
    Input,
    /// What the input names does not exist (any more).
    Missing,
    /// The local database failed; a later attempt may pass.
    Storage,
}

impl Fault<'_> {
    pub fn is_retryable(self) -> bool {
        match self {
            Fault::Provider(e) => e.is_retryable(),
            Fault::Storage => true,
            Fault::Input | Fault::Missing => false,
        }
    }

    pub fn is_input_error(self) -> bool {
        matches!(self, Fault::Input | Fault::Missing)
    }

    pub fn is_offline(self) -> bool {
        matches!(self, Fault::Provider(e) if e.is_offline())
    }

    pub fn code(self) -> ErrorCode {
        match self {
            Fault::Provider(e) => e.code(),
            Fault::Input => ErrorCode::InvalidInput,
            Fault::Missing => ErrorCode::NotFound,
            Fault::Storage => ErrorCode::Internal,
        }
    }
}

/// A feature's error enum: what kind of failure each of its variants is.
pub trait FeatureError: std::error::Error + Send + Sync + 'static {
    fn fault(&self) -> Fault<'_>;
}

impl<E: FeatureError> HasErrorCode for E {
    fn code(&self) -> ErrorCode {
        self.fault().code()
    }
}
