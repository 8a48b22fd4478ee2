//! Every Google call goes through here: the account's access token (refreshed once after a 401),
//! retries of 429/5xx/rate-limit 403s with backoff + jitter honouring `Retry-After`, a short
//! retry for connection failures, and a count of the HTTP requests made.

use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use google_gmail1::common::{Delegate, GetToken, Response, Retry};

use crate::accounts::Accounts;
use crate::backoff::{parse_retry_after, random_jitter, Backoff};

#[derive(Default)]
struct TokenState {
    /// The token sent with the last request.
    last: Option<String>,
    /// The provider answered 401 to `last`: get a new one before the next attempt.
    rejected: bool,
    /// The last `Retry-After` the provider sent during this run (a job that gives up reschedules
    /// itself no sooner than this).
    retry_after: Option<Duration>,
}

/// Counts one account's requests during one run and serves its tokens. Cheap to clone.
#[derive(Clone)]
pub struct CallMeter {
    accounts: Accounts,
    account_id: i64,
    calls: Arc<AtomicU32>,
    token: Arc<Mutex<TokenState>>,
}

impl CallMeter {
    pub fn new(accounts: Accounts, account_id: i64) -> CallMeter {
        CallMeter {
            accounts,
            account_id,
            calls: Arc::default(),
            token: Arc::default(),
        }
    }

    pub fn account_id(&self) -> i64 {
        self.account_id
    }

    /// HTTP requests made so far (retries included).
    pub fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }

    /// The last `Retry-After` the provider asked for during this run, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        self.lock().retry_after
    }

    pub fn token_source(&self) -> AccountToken {
        AccountToken(self.clone())
    }

    /// The delegate for one call.
    pub fn policy(&self) -> CallPolicy {
        CallPolicy {
            meter: self.clone(),
            failures: 0,
            connection_failures: 0,
            refreshed: false,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, TokenState> {
        self.token.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The hubs' token source: the account's current access token, or a fresh one after a 401.
#[derive(Clone)]
pub struct AccountToken(CallMeter);

type TokenFuture<'a> = Pin<
    Box<dyn Future<Output = Result<Option<String>, Box<dyn StdError + Send + Sync>>> + Send + 'a>,
>;

impl GetToken for AccountToken {
    fn get_token<'a>(&'a self, _scopes: &'a [&str]) -> TokenFuture<'a> {
        Box::pin(async move {
            let meter = &self.0;
            let rejected = {
                let mut state = meter.lock();
                let rejected = if state.rejected {
                    state.last.take()
                } else {
                    None
                };
                state.rejected = false;
                rejected
            };
            let token = match rejected {
                Some(old) => {
                    meter
                        .accounts
                        .access_token_after_401(meter.account_id, &old)
                        .await
                }
                None => meter.accounts.access_token(meter.account_id).await,
            }
            .map_err(|e| Box::new(e) as Box<dyn StdError + Send + Sync>)?;
            meter.lock().last = Some(token.clone());
            Ok(Some(token))
        })
    }
}

/// Retry decisions for one call.
pub struct CallPolicy {
    meter: CallMeter,
    failures: u32,
    connection_failures: u32,
    refreshed: bool,
}

/// Whether Google's error says "slow down" (403 with a rate-limit reason counts, as Google's
/// backoff guide says).
pub(super) fn is_rate_limit(status: u16, error: Option<&serde_json::Value>) -> bool {
    if status == 429 {
        return true;
    }
    let reason = error
        .and_then(|e| e["error"]["errors"][0]["reason"].as_str())
        .unwrap_or("");
    status == 403 && matches!(reason, "rateLimitExceeded" | "userRateLimitExceeded")
}

impl Delegate for CallPolicy {
    fn pre_request(&mut self) {
        self.meter.calls.fetch_add(1, Ordering::SeqCst);
    }

    fn http_error(&mut self, _err: &hyper_util::client::legacy::Error) -> Retry {
        self.connection_failures += 1;
        match Backoff::CONNECTION.delay(self.connection_failures, None, random_jitter()) {
            Some(wait) => Retry::After(wait),
            None => Retry::Abort,
        }
    }

    fn http_failure(&mut self, response: &Response, error: Option<&serde_json::Value>) -> Retry {
        let status = response.status().as_u16();
        if status == 401 && !self.refreshed {
            self.refreshed = true;
            self.meter.lock().rejected = true;
            return Retry::After(Duration::ZERO);
        }
        if !(is_rate_limit(status, error) || status >= 500) {
            return Retry::Abort;
        }
        self.failures += 1;
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        if retry_after.is_some() {
            self.meter.lock().retry_after = retry_after;
        }
        match Backoff::PROVIDER_CALL.delay(self.failures, retry_after, random_jitter()) {
            Some(wait) => Retry::After(wait),
            None => Retry::Abort,
        }
    }
}

/// A JSON request the generated clients cannot make (Drive's metadata-only folder create), under
/// the same token, retry and counting rules as every hub call.
pub(super) async fn json_call(
    http: &super::HttpClient,
    meter: &CallMeter,
    api: &'static str,
    method: &str,
    url: &str,
    body: &serde_json::Value,
) -> super::GoogleResult<serde_json::Value> {
    use super::GoogleError;
    let payload =
        serde_json::to_vec(body).map_err(|source| GoogleError::Garbled { api, source })?;
    let (_, answer) = raw_call(http, meter, api, method, url, "application/json", payload).await?;
    serde_json::from_slice(&answer).map_err(|source| GoogleError::Garbled { api, source })
}

/// A request with any body (a Gmail batch's `multipart/mixed`), under the same token, retry and
/// counting rules as every hub call: a success's content type and bytes.
pub(super) async fn raw_call(
    http: &super::HttpClient,
    meter: &CallMeter,
    api: &'static str,
    method: &str,
    url: &str,
    content_type: &str,
    payload: Vec<u8>,
) -> super::GoogleResult<(String, Vec<u8>)> {
    use super::GoogleError;
    use google_gmail1::common::{to_body, to_bytes};
    use google_gmail1::hyper;

    let token = meter.token_source();
    let mut policy = meter.policy();
    loop {
        policy.pre_request();
        let bearer = match token.get_token(&[]).await {
            Ok(t) => t.unwrap_or_default(),
            Err(e) => {
                return Err(GoogleError::from_call(
                    api,
                    google_gmail1::Error::MissingToken(e),
                ))
            }
        };
        let request = hyper::Request::builder()
            .method(method)
            .uri(url)
            .header(hyper::header::AUTHORIZATION, format!("Bearer {bearer}"))
            .header(hyper::header::CONTENT_TYPE, content_type)
            .body(to_body(Some(payload.clone())))
            .map_err(|source| GoogleError::Request { api, source })?;
        let response = match http.request(request).await {
            Ok(r) => r,
            Err(e) => match policy.http_error(&e) {
                Retry::After(wait) => {
                    tokio::time::sleep(wait).await;
                    continue;
                }
                Retry::Abort => return Err(GoogleError::Unreachable { api, source: e }),
            },
        };
        let (parts, answer) = response.into_parts();
        if parts.status.is_success() {
            let Some(answer) = to_bytes(answer).await else {
                // A body that broke off (or was cut at the size cap): unreadable, as the hubs
                // find it.
                let source = serde_json::from_slice::<serde_json::Value>(b"").unwrap_err();
                return Err(GoogleError::Garbled { api, source });
            };
            let answer_type = parts
                .headers
                .get(hyper::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            return Ok((answer_type, answer.to_vec()));
        }
        let answer = to_bytes(answer).await.unwrap_or_default();
        let error: Option<serde_json::Value> = serde_json::from_slice(&answer).ok();
        let response = hyper::Response::from_parts(parts, to_body(Some(answer)));
        match policy.http_failure(&response, error.as_ref()) {
            Retry::After(wait) => tokio::time::sleep(wait).await,
            Retry::Abort => {
                let failure = match error {
                    Some(json) => google_gmail1::Error::BadRequest(json),
                    None => google_gmail1::Error::Failure(response),
                };
                return Err(GoogleError::from_call(api, failure));
            }
        }
    }
}
