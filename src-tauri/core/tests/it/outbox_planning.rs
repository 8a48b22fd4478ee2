//! The outbox's decisions without I/O: the retry planner (backoff, Retry-After, offline waits
//! that cost no attempt, the dead-letter state), and how each feature's errors classify through
//! the runner's error. The queue itself, against the sandbox, is `outbox.rs`.

use std::time::Duration;

use cremmy_core::jobs::{after_failure, AfterFailure, Failure, OFFLINE_RETRY};
use cremmy_core::sync::SyncError;
use cremmy_core::HasErrorCode;
use cremmy_protocol::ErrorCode;

#[test]
fn the_job_planner_backs_off_honours_retry_after_and_gives_up() {
    let now = 1_000_000;
    let failure = |retryable, offline, retry_after: Option<u64>| Failure {
        retryable,
        offline,
        retry_after: retry_after.map(Duration::from_secs),
    };
    // (why, attempt, max, failure, jitter, expected)
    let cases = [
        (
            "a permanent error is dead at once",
            1,
            8,
            failure(false, false, None),
            0.0,
            AfterFailure::Dead,
        ),
        (
            "the first retry waits 30 s",
            1,
            8,
            failure(true, false, None),
            0.0,
            AfterFailure::RetryAt {
                at: now + 30_000,
                refund: false,
            },
        ),
        (
            "then doubles",
            3,
            8,
            failure(true, false, None),
            0.0,
            AfterFailure::RetryAt {
                at: now + 120_000,
                refund: false,
            },
        ),
        (
            "capped at an hour",
            9,
            20,
            failure(true, false, None),
            0.0,
            AfterFailure::RetryAt {
                at: now + 3_600_000,
                refund: false,
            },
        ),
        (
            "jitter adds up to 15 s",
            1,
            8,
            failure(true, false, None),
            0.5,
            AfterFailure::RetryAt {
                at: now + 37_500,
                refund: false,
            },
        ),
        (
            "Retry-After wins over the backoff",
            1,
            8,
            failure(true, false, Some(600)),
            0.0,
            AfterFailure::RetryAt {
                at: now + 600_000,
                refund: false,
            },
        ),
        (
            "no attempt left",
            8,
            8,
            failure(true, false, None),
            0.0,
            AfterFailure::Dead,
        ),
        (
            "offline costs no attempt, even the last",
            8,
            8,
            failure(true, true, None),
            0.0,
            AfterFailure::RetryAt {
                at: now + OFFLINE_RETRY.as_millis() as i64,
                refund: true,
            },
        ),
    ];
    for (why, attempt, max, f, jitter, expected) in cases {
        assert_eq!(
            after_failure(attempt, max, f, now, jitter),
            expected,
            "{why}"
        );
    }
}

/// A feature's error, as the outbox and the window see it through the runner's error: each
/// feature's own enum says what kind of failure it is, and that alone decides retry, offline wait,
/// "fix the form" and the code the UI matches on.
#[test]
fn each_features_errors_classify_the_same_way_through_the_runner() {
    use cremmy_core::failure::{FailureKind, SourceError};
    use cremmy_core::features::calendar::CalendarError;
    use cremmy_core::features::client_folder::FolderError;
    use cremmy_core::features::doc_templates::DocumentError;
    use cremmy_core::features::leads::LeadsError;
    use cremmy_core::features::mail::MailError;
    use cremmy_core::features::pipeline_export::ExportError;
    use cremmy_protocol::Provider;

    #[derive(Debug, thiserror::Error)]
    #[error("stand-in for a provider's own error")]
    struct Detail;
    let provider = |kind, code| SourceError::provider(Provider::Google, kind, code, Detail);
    let invalid = || ("subject", "write a subject".to_string());
    // (why, error, retryable, offline, input error, code)
    let cases: Vec<(&str, SyncError, bool, bool, bool, ErrorCode)> = vec![
        (
            "mail: wrong input is the user's to fix",
            MailError::Invalid {
                field: invalid().0,
                reason: invalid().1,
            }
            .into(),
            false,
            false,
            true,
            ErrorCode::InvalidInput,
        ),
        (
            "mail: a 429 passes",
            MailError::Source(provider(
                FailureKind::RateLimited,
                ErrorCode::ProviderUnavailable,
            ))
            .into(),
            true,
            false,
            false,
            ErrorCode::ProviderUnavailable,
        ),
        (
            "calendar: offline waits",
            CalendarError::Source(provider(
                FailureKind::Offline,
                ErrorCode::ProviderUnavailable,
            ))
            .into(),
            true,
            true,
            false,
            ErrorCode::ProviderUnavailable,
        ),
        (
            "folder: a deleted client is not found, and not retried",
            FolderError::NoSuchClient { client_id: 7 }.into(),
            false,
            false,
            true,
            ErrorCode::NotFound,
        ),
        (
            "documents: a revoked grant is not retried",
            DocumentError::Source(provider(
                FailureKind::Unauthorized,
                ErrorCode::ReconnectNeeded,
            ))
            .into(),
            false,
            false,
            false,
            ErrorCode::ReconnectNeeded,
        ),
        (
            "leads: a busy database is tried again",
            LeadsError::Db(sqlx::Error::PoolTimedOut).into(),
            true,
            false,
            false,
            ErrorCode::Internal,
        ),
        (
            "export: a timeout is tried again",
            ExportError::Source(SourceError::TimedOut {
                api: "sheets",
                seconds: 30,
            })
            .into(),
            true,
            false,
            false,
            ErrorCode::ProviderUnavailable,
        ),
    ];
    for (why, error, retryable, offline, input, code) in cases {
        assert_eq!(
            error.is_retryable(),
            retryable,
            "{why}: retryable ({error})"
        );
        assert_eq!(error.is_offline(), offline, "{why}: offline ({error})");
        assert_eq!(
            error.is_input_error(),
            input,
            "{why}: input error ({error})"
        );
        assert_eq!(error.code(), code, "{why}: code ({error})");
    }
}
