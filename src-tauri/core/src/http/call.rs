//! One call policy for every HTTP provider reached with reqwest (the OAuth userinfo and revoke
//! endpoints today; Twilio, HubSpot, Stripe… next): a time limit on every attempt, retries of
//! 429/5xx (and the provider's own "slow down", through a hook) with capped exponential backoff
//! plus jitter honouring `Retry-After`, a short retry for connection failures, a cap on the size
//! of an answer, and a count of the requests made. It knows no provider and no credential: a
//! caller that holds a token refreshes it after a 401 (`accounts::Accounts::authorized_call`).
//!
//! Google's generated hubs cannot use it (they make their own hyper requests); their `Delegate`
//! (`providers/google/call.rs`) follows the same [`Backoff`] and the same retry rules.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cremmy_protocol::{ErrorCode, Provider};

use crate::backoff::{parse_retry_after, random_jitter, Backoff};
use crate::failure::FailureKind;

/// How one provider's calls are made.
#[derive(Debug, Clone, Copy)]
pub struct CallPolicy {
    pub provider: Provider,
    /// Retries of rate limits and server errors.
    pub backoff: Backoff,
    /// Retries of failed connections (DNS, TCP, TLS).
    pub connection: Backoff,
    /// The limit for one attempt, the answer's body included.
    pub attempt_timeout: Duration,
    /// Answers longer than this are refused (a misbehaving or hostile endpoint cannot fill memory).
    pub max_body_bytes: usize,
    /// The provider's own way of saying "slow down" besides 429 (Google: a 403 with reason
    /// `rateLimitExceeded`), from the status and the body.
    pub slow_down: fn(u16, &[u8]) -> bool,
    /// The provider's own words for a failed call, read from the whole answer (an excerpt of
    /// its start may cut them off); `None`: the excerpt is said.
    pub explain: fn(u16, &[u8]) -> Option<String>,
}

/// No explanation beyond the answer's start.
pub fn no_explanation(_status: u16, _body: &[u8]) -> Option<String> {
    None
}

/// Only 429 means "slow down" (the HTTP standard; most providers).
pub fn only_429(status: u16, _body: &[u8]) -> bool {
    status == 429
}

impl CallPolicy {
    /// A provider's API calls: the provider-call backoff, 60 s per attempt, answers up to 16 MiB.
    pub const fn api(provider: Provider) -> CallPolicy {
        CallPolicy {
            provider,
            backoff: Backoff::PROVIDER_CALL,
            connection: Backoff::CONNECTION,
            attempt_timeout: Duration::from_secs(60),
            max_body_bytes: 16 << 20,
            slow_down: only_429,
            explain: no_explanation,
        }
    }

    /// Calls a person is waiting on (finishing a sign-in): three attempts close together, 20 s
    /// per attempt, small answers.
    pub const fn interactive(provider: Provider) -> CallPolicy {
        CallPolicy {
            provider,
            backoff: Backoff {
                base: Duration::from_millis(500),
                cap: Duration::from_secs(2),
                max_jitter: Duration::from_millis(250),
                max_retry_after: Duration::from_secs(5),
                max_attempts: 3,
            },
            connection: Backoff::CONNECTION,
            attempt_timeout: Duration::from_secs(20),
            max_body_bytes: 1 << 20,
            slow_down: only_429,
            explain: no_explanation,
        }
    }

    /// A copy that reads failed answers with `explain`.
    pub const fn with_explain(mut self, explain: fn(u16, &[u8]) -> Option<String>) -> CallPolicy {
        self.explain = explain;
        self
    }

    /// A copy with a different answer size cap.
    pub const fn with_max_body(mut self, bytes: usize) -> CallPolicy {
        self.max_body_bytes = bytes;
        self
    }
}

/// A successful answer (2xx), its body read in full within the cap.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }
}

/// Why a call failed after the policy's retries.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("{} could not be reached for {what} ({source}). Check the internet connection; Cremmy tries again.", provider.display_name())]
    Unreachable {
        provider: Provider,
        what: &'static str,
        #[source]
        source: reqwest::Error,
    },
    #[error("{} did not answer {what} within {seconds} s. Cremmy tries again.", provider.display_name())]
    TimedOut {
        provider: Provider,
        what: &'static str,
        seconds: u64,
    },
    #[error("{}'s answer to {what} is larger than {limit_bytes} bytes; Cremmy does not read it. Please report this.", provider.display_name())]
    TooLarge {
        provider: Provider,
        what: &'static str,
        limit_bytes: usize,
    },
    #[error("{} answered {status} to {what}: {excerpt}", provider.display_name())]
    Status {
        provider: Provider,
        what: &'static str,
        status: u16,
        /// The provider asked to wait this long before the next call.
        retry_after: Option<Duration>,
        /// Whether the provider said "slow down" (429 or its own way).
        slowed_down: bool,
        /// The start of the answer's body, for the message.
        excerpt: String,
    },
    #[error("Cannot build the request for {what}: {source}. This is a bug; please report it.")]
    Request {
        what: &'static str,
        #[source]
        source: reqwest::Error,
    },
}

impl CallError {
    pub fn kind(&self) -> FailureKind {
        match self {
            CallError::Unreachable { .. } => FailureKind::Offline,
            CallError::TimedOut { .. } => FailureKind::Server,
            CallError::TooLarge { .. } => FailureKind::Invalid,
            CallError::Request { .. } => FailureKind::Local,
            CallError::Status {
                slowed_down: true, ..
            } => FailureKind::RateLimited,
            CallError::Status { status, .. } => match status {
                401 => FailureKind::Unauthorized,
                403 => FailureKind::Forbidden,
                404 => FailureKind::NotFound,
                410 => FailureKind::Gone,
                s if *s >= 500 => FailureKind::Server,
                _ => FailureKind::Invalid,
            },
        }
    }

    pub fn is_retryable(&self) -> bool {
        self.kind().is_retryable()
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            CallError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self.kind() {
            FailureKind::Unauthorized => ErrorCode::ReconnectNeeded,
            FailureKind::NotFound | FailureKind::Gone => ErrorCode::NotFound,
            FailureKind::Local => ErrorCode::Internal,
            _ => ErrorCode::ProviderUnavailable,
        }
    }
}

/// Makes calls under one policy and counts them. Cheap to clone; clones share the count.
#[derive(Clone)]
pub struct Caller {
    http: reqwest::Client,
    policy: CallPolicy,
    calls: Arc<AtomicU32>,
}

impl Caller {
    pub fn new(http: reqwest::Client, policy: CallPolicy) -> Caller {
        Caller {
            http,
            policy,
            calls: Arc::default(),
        }
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub fn policy(&self) -> &CallPolicy {
        &self.policy
    }

    /// HTTP requests made so far, retries included.
    pub fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }

    /// Makes the request `make` builds (called again for each attempt), retrying as the policy
    /// says; a non-retryable answer or the last failure is the error.
    pub async fn send(
        &self,
        what: &'static str,
        make: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<Answer, CallError> {
        let p = &self.policy;
        let (mut failures, mut connection_failures) = (0u32, 0u32);
        loop {
            let error = match self.attempt(what, &make).await {
                Ok(answer) => return Ok(answer),
                Err(e) => e,
            };
            let wait = match &error {
                CallError::Unreachable { .. } | CallError::TimedOut { .. } => {
                    connection_failures += 1;
                    p.connection
                        .delay(connection_failures, None, random_jitter())
                }
                CallError::Status {
                    status,
                    slowed_down,
                    retry_after,
                    ..
                } if *slowed_down || *status >= 500 => {
                    failures += 1;
                    p.backoff.delay(failures, *retry_after, random_jitter())
                }
                _ => None,
            };
            match wait {
                Some(wait) => tokio::time::sleep(wait).await,
                None => return Err(error),
            }
        }
    }

    /// One attempt: send, and read the answer within the time limit and the size cap.
    async fn attempt(
        &self,
        what: &'static str,
        make: &impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<Answer, CallError> {
        let p = &self.policy;
        let provider = p.provider;
        let request = make(&self.http)
            .timeout(p.attempt_timeout)
            .build()
            .map_err(|source| CallError::Request { what, source })?;
        self.calls.fetch_add(1, Ordering::SeqCst);
        let timed_out = || CallError::TimedOut {
            provider,
            what,
            seconds: p.attempt_timeout.as_secs(),
        };
        let unreachable = |source: reqwest::Error| {
            if source.is_timeout() {
                timed_out()
            } else {
                CallError::Unreachable {
                    provider,
                    what,
                    source,
                }
            }
        };
        let read = async {
            let mut response = self.http.execute(request).await.map_err(unreachable)?;
            let too_large = CallError::TooLarge {
                provider,
                what,
                limit_bytes: p.max_body_bytes,
            };
            if response
                .content_length()
                .is_some_and(|n| n > p.max_body_bytes as u64)
            {
                return Err(too_large);
            }
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
                if body.len() + chunk.len() > p.max_body_bytes {
                    return Err(too_large);
                }
                body.extend_from_slice(&chunk);
            }
            Ok((response.status().as_u16(), response.headers().clone(), body))
        };
        let (status, headers, body) = tokio::time::timeout(p.attempt_timeout, read)
            .await
            .map_err(|_| timed_out())??;
        if (200..300).contains(&status) {
            return Ok(Answer {
                status,
                headers,
                body,
            });
        }
        let retry_after = headers
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        Err(CallError::Status {
            provider,
            what,
            status,
            retry_after,
            slowed_down: (p.slow_down)(status, &body),
            excerpt: (p.explain)(status, &body).unwrap_or_else(|| excerpt(&body)),
        })
    }
}

/// The first 300 characters of a body, one line, for an error message.
fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(300)
        .collect();
    if line.trim().is_empty() {
        "no details".into()
    } else {
        line.trim().to_string()
    }
}
