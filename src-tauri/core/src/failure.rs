//! How a call to a provider failed, in terms every feature understands without knowing the
//! provider: rate-limited, not found, gone, unauthorized, forbidden, offline, invalid, server…
//! Providers turn their own errors into a [`ProviderFailure`] (keeping theirs as the source, for the
//! message); features decide on the [`FailureKind`]. A leaf module: it imports no feature, no
//! provider and not the sync runner, so none of them needs another to say what went wrong.

use cremmy_protocol::{ErrorCode, Provider};

use crate::HasErrorCode;

/// What kind of failure, as a feature needs to decide (retry, resync, reconnect, give up).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// 429, or the provider's own "slow down" (Google's 403 `rateLimitExceeded`).
    RateLimited,
    /// The item does not exist (404).
    NotFound,
    /// The item or position existed and is gone (410).
    Gone,
    /// The grant is no longer accepted: the account needs reconnecting.
    Unauthorized,
    /// The grant does not cover this (403 without a rate limit).
    Forbidden,
    /// The provider could not be reached at all (DNS, TCP, TLS): probably offline.
    Offline,
    /// The provider answered 5xx, or an answer a retry may fix.
    Server,
    /// The request or the answer is wrong in a way a retry does not fix (400, an unreadable body).
    Invalid,
    /// Something on this machine (a bad keychain entry, HTTPS set-up) failed.
    Local,
    /// Something on this machine is not available yet and will be (a keychain still locked at
    /// login, not answering).
    LocalUnavailable,
}

impl FailureKind {
    /// The code a REST provider's failure of this kind shows the UI as: a refused grant asks for
    /// reconnecting, a missing or gone item is not found, a refused request is the input's fault,
    /// a local failure is internal, anything else is the provider being unavailable.
    pub fn api_error_code(self) -> ErrorCode {
        match self {
            FailureKind::Unauthorized => ErrorCode::ReconnectNeeded,
            FailureKind::NotFound | FailureKind::Gone => ErrorCode::NotFound,
            FailureKind::Invalid | FailureKind::Forbidden => ErrorCode::InvalidInput,
            FailureKind::Local => ErrorCode::Internal,
            _ => ErrorCode::ProviderUnavailable,
        }
    }

    /// Whether the same call later may succeed.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            FailureKind::RateLimited
                | FailureKind::Offline
                | FailureKind::Server
                | FailureKind::LocalUnavailable
        )
    }
}

/// A provider's failure: its kind, the stable code the UI sees, and the provider's own error,
/// whose message says what happened ("Google answered 403 to drive files.create: …").
#[derive(Debug, thiserror::Error)]
#[error("{detail}")]
pub struct ProviderFailure {
    pub provider: Provider,
    pub kind: FailureKind,
    pub code: ErrorCode,
    #[source]
    pub detail: Box<dyn std::error::Error + Send + Sync + 'static>,
}

/// A provider-side failure of a source a feature reads or writes.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The stored cursor is older than the provider remembers (Gmail 404, Calendar 410).
    #[error("The provider no longer remembers the last sync position; a full sync follows.")]
    CursorExpired,
    #[error("{api} did not answer within {seconds} s. Cremmy will try again.")]
    TimedOut { api: &'static str, seconds: u64 },
    #[error(transparent)]
    Provider(Box<ProviderFailure>),
}

impl SourceError {
    /// The provider's failure, kind first.
    pub fn provider(
        provider: Provider,
        kind: FailureKind,
        code: ErrorCode,
        detail: impl std::error::Error + Send + Sync + 'static,
    ) -> SourceError {
        SourceError::Provider(Box::new(ProviderFailure {
            provider,
            kind,
            code,
            detail: Box::new(detail),
        }))
    }

    /// The kind of a provider's failure (`None` for the cursor and timeout cases).
    pub fn kind(&self) -> Option<FailureKind> {
        match self {
            SourceError::Provider(f) => Some(f.kind),
            SourceError::CursorExpired | SourceError::TimedOut { .. } => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.kind() == Some(FailureKind::NotFound)
    }

    pub fn is_gone(&self) -> bool {
        self.kind() == Some(FailureKind::Gone)
    }

    pub fn is_offline(&self) -> bool {
        self.kind() == Some(FailureKind::Offline)
    }

    pub fn is_retryable(&self) -> bool {
        match self {
            SourceError::CursorExpired | SourceError::TimedOut { .. } => true,
            SourceError::Provider(f) => f.kind.is_retryable(),
        }
    }
}

impl HasErrorCode for SourceError {
    fn code(&self) -> ErrorCode {
        match self {
            SourceError::CursorExpired | SourceError::TimedOut { .. } => {
                ErrorCode::ProviderUnavailable
            }
            SourceError::Provider(f) => f.code,
        }
    }
}
