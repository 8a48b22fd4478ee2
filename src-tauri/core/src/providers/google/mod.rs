//! Google Workspace through the generated google-* clients: one hyper client (HTTPS to Google,
//! plain HTTP to the provider sandbox), tokens from [`Accounts`], one policy for retries
//! (backoff + jitter, `Retry-After`, one token refresh after a 401) and a count of the calls each
//! run makes.

pub mod a1;
pub mod calendar;
mod call;
mod capped;
pub mod docs;
pub mod drive;
pub mod gmail;
pub mod gmail_batch;
pub mod registration;
pub mod sheets;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use cremmy_protocol::{ErrorCode, Provider};

use crate::accounts::{Accounts, AccountsError};
use crate::clock::Clock;
use crate::endpoints::Endpoints;
use crate::failure::{FailureKind, SourceError};
use crate::pacing::{Pacer, Quota};
use crate::HasErrorCode;

pub use call::{CallMeter, CallPolicy};

/// The connector every hub uses: HTTPS (or HTTP to the sandbox), each answer capped at
/// [`capped::ANSWER_LIMIT`].
pub type Connector = capped::CappedConnector<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
>;
pub type HttpClient = google_gmail1::common::Client<Connector>;

/// Where each Google API lives: the real hosts, or every API on one origin (the sandbox).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoogleUrls {
    pub gmail: String,
    pub sheets: String,
    pub drive: String,
    pub docs: String,
    pub calendar: String,
    pub upload_root: String,
}

impl GoogleUrls {
    pub fn of(endpoints: &Endpoints) -> GoogleUrls {
        if endpoints.is_overridden(Provider::Google) {
            let r = endpoints.base_url(Provider::Google).to_string();
            GoogleUrls {
                gmail: r.clone(),
                sheets: r.clone(),
                drive: format!("{r}drive/v3/"),
                docs: r.clone(),
                calendar: format!("{r}calendar/v3/"),
                upload_root: r,
            }
        } else {
            GoogleUrls {
                gmail: "https://gmail.googleapis.com/".into(),
                sheets: "https://sheets.googleapis.com/".into(),
                drive: "https://www.googleapis.com/drive/v3/".into(),
                docs: "https://docs.googleapis.com/".into(),
                calendar: "https://www.googleapis.com/calendar/v3/".into(),
                upload_root: "https://www.googleapis.com/".into(),
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GoogleError {
    #[error(transparent)]
    Account(#[from] AccountsError),
    #[error("Google could not be reached ({api}): {source}. Check the connection; Cremmy will try again.")]
    Unreachable {
        api: &'static str,
        source: hyper_util::client::legacy::Error,
    },
    #[error("Google is limiting how fast Cremmy may call {api}. Cremmy will try again later.")]
    RateLimited { api: &'static str },
    #[error("Google answered {status} to {api}: {message}")]
    Status {
        api: &'static str,
        status: u16,
        /// Google's machine reason (`notFound`, `rateLimitExceeded`, `failedPrecondition`…).
        reason: String,
        message: String,
    },
    #[error("Google's answer to {api} could not be read: {source}")]
    Garbled {
        api: &'static str,
        source: serde_json::Error,
    },
    #[error("The call to Google ({api}) failed: {source}")]
    Call {
        api: &'static str,
        source: Box<google_gmail1::Error>,
    },
    #[error("Cannot build the request to {api}: {source}")]
    Request {
        api: &'static str,
        source: google_gmail1::hyper::http::Error,
    },
    #[error("Cannot set up HTTPS for Google: {0}")]
    Setup(std::io::Error),
    #[error("Google did not answer {api} within {seconds} s. Cremmy will try again.")]
    TimedOut { api: &'static str, seconds: u64 },
    #[error("Google's answer to {api} is larger than {limit_bytes} bytes; Cremmy does not read it. Please report this.")]
    TooLarge { api: &'static str, limit_bytes: u64 },
}

impl GoogleError {
    pub fn is_retryable(&self) -> bool {
        match self {
            GoogleError::Account(e) => e.is_retryable(),
            GoogleError::Unreachable { .. }
            | GoogleError::RateLimited { .. }
            | GoogleError::TimedOut { .. } => true,
            GoogleError::Status { status, .. } => *status == 429 || *status >= 500,
            GoogleError::Garbled { .. }
            | GoogleError::TooLarge { .. }
            | GoogleError::Call { .. }
            | GoogleError::Request { .. }
            | GoogleError::Setup(_) => false,
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, GoogleError::Status { status: 404, .. })
    }

    /// 410 Gone: a sync token the provider no longer accepts.
    pub fn is_gone(&self) -> bool {
        matches!(self, GoogleError::Status { status: 410, .. })
    }

    /// The account must be signed in again before anything else will work.
    pub fn needs_reconnect(&self) -> bool {
        matches!(
            self,
            GoogleError::Account(
                AccountsError::ReconnectNeeded { .. } | AccountsError::NotConnected { .. }
            )
        )
    }

    /// Classifies a failed hub call.
    pub fn from_call(api: &'static str, error: google_gmail1::Error) -> GoogleError {
        use google_gmail1::Error as E;
        match error {
            E::MissingToken(inner) => match inner.downcast::<AccountsError>() {
                Ok(account) => GoogleError::Account(*account),
                Err(other) => GoogleError::Call {
                    api,
                    source: Box::new(E::MissingToken(other)),
                },
            },
            E::BadRequest(body) => {
                let e = &body["error"];
                let status = e["code"].as_u64().unwrap_or(400) as u16;
                let reason = e["errors"][0]["reason"]
                    .as_str()
                    .or(e["status"].as_str())
                    .unwrap_or("")
                    .to_string();
                if status == 429 || reason.contains("ateLimitExceeded") {
                    return GoogleError::RateLimited { api };
                }
                GoogleError::Status {
                    api,
                    status,
                    reason,
                    message: e["message"].as_str().unwrap_or("no details").to_string(),
                }
            }
            E::Failure(response) => {
                let status = response.status().as_u16();
                if status == 429 {
                    return GoogleError::RateLimited { api };
                }
                GoogleError::Status {
                    api,
                    status,
                    reason: String::new(),
                    message: "an answer that was not JSON".into(),
                }
            }
            E::HttpError(source) => GoogleError::Unreachable { api, source },
            E::JsonDecodeError(_, source) => GoogleError::Garbled { api, source },
            other => GoogleError::Call {
                api,
                source: Box::new(other),
            },
        }
    }
}

impl HasErrorCode for GoogleError {
    fn code(&self) -> ErrorCode {
        match self {
            GoogleError::Account(e) => e.code(),
            GoogleError::Unreachable { .. }
            | GoogleError::RateLimited { .. }
            | GoogleError::TimedOut { .. } => ErrorCode::ProviderUnavailable,
            GoogleError::Status { status: 404, .. } => ErrorCode::NotFound,
            GoogleError::Status { .. }
            | GoogleError::Garbled { .. }
            | GoogleError::TooLarge { .. }
            | GoogleError::Call { .. } => ErrorCode::ProviderUnavailable,
            GoogleError::Request { .. } | GoogleError::Setup(_) => ErrorCode::Internal,
        }
    }
}

pub type GoogleResult<T> = Result<T, GoogleError>;

impl GoogleError {
    /// What kind of failure this is, for features that do not know Google.
    pub fn kind(&self) -> FailureKind {
        match self {
            GoogleError::Account(e) => e.failure_kind(),
            GoogleError::Unreachable { .. } => FailureKind::Offline,
            GoogleError::RateLimited { .. } => FailureKind::RateLimited,
            GoogleError::Status { status, .. } => match status {
                404 => FailureKind::NotFound,
                410 => FailureKind::Gone,
                401 => FailureKind::Unauthorized,
                403 => FailureKind::Forbidden,
                429 => FailureKind::RateLimited,
                s if *s >= 500 => FailureKind::Server,
                _ => FailureKind::Invalid,
            },
            GoogleError::Garbled { .. }
            | GoogleError::TooLarge { .. }
            | GoogleError::Call { .. }
            | GoogleError::Request { .. } => FailureKind::Invalid,
            GoogleError::Setup(_) => FailureKind::Local,
            GoogleError::TimedOut { .. } => FailureKind::Server,
        }
    }
}

impl From<GoogleError> for SourceError {
    fn from(e: GoogleError) -> SourceError {
        SourceError::provider(Provider::Google, e.kind(), e.code(), e)
    }
}

/// Google's file links: Docs, Sheets and Drive share one id scheme.
pub const FILE_LINKS: crate::file_links::FileLinks = crate::file_links::FileLinks {
    id_of: file_id_from_link,
    document: "the Google Doc's link (https://docs.google.com/document/d/…)",
    spreadsheet: "the spreadsheet's link (https://docs.google.com/spreadsheets/d/…)",
};

/// A Drive file id from a pasted link (`https://docs.google.com/<app>/d/<id>/edit…`,
/// `https://drive.google.com/file/d/<id>/view`) or the id itself.
pub fn file_id_from_link(link_or_id: &str) -> Option<String> {
    let s = link_or_id.trim();
    let id = match s.split_once("/d/") {
        Some((_, rest)) => rest.split(['/', '?', '#']).next().unwrap_or(""),
        None => s,
    };
    (id.len() >= 10
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    .then(|| id.to_string())
}

/// A 200 answer that lacks what the call is for (`what` says what was missing).
pub(crate) fn incomplete(api: &'static str, what: &str) -> crate::failure::SourceError {
    GoogleError::Status {
        api,
        status: 200,
        reason: "missingFields".into(),
        message: what.to_string(),
    }
    .into()
}

/// A call (its attempts and the waits between them) that has not finished in this long is
/// abandoned (the hubs set no timeout). Above `Backoff::PROVIDER_CALL.longest_inline_wait()`
/// plus a minute for the requests themselves, so a waited-out `Retry-After` is never cut short.
pub const CALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(240);

/// Google for the whole app: the hyper client and where the APIs live. Cheap to clone.
#[derive(Clone)]
pub struct Google {
    accounts: Accounts,
    clock: Arc<dyn Clock>,
    urls: GoogleUrls,
    http: HttpClient,
    /// Quota buckets per account and pacer ("gmail", "sheets.write"…), kept across runs.
    pacers: Arc<Mutex<HashMap<(i64, &'static str), Arc<Pacer>>>>,
    /// A rate used instead of the registry's limits for Gmail (benchmarks without quotas).
    gmail_quota: Option<Quota>,
    /// How long one call may take, retries included ([`CALL_TIMEOUT`]).
    call_timeout: std::time::Duration,
}

impl Google {
    pub fn new(
        accounts: Accounts,
        clock: Arc<dyn Clock>,
        endpoints: &Endpoints,
    ) -> GoogleResult<Google> {
        crate::http::install_crypto_provider();
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(GoogleError::Setup)?
            .https_or_http()
            // HTTP/1.1 only: one answer at a time per connection is what lets the connector
            // count an answer's size (HTTP/2 interleaves several).
            .enable_http1()
            .build();
        let connector = capped::CappedConnector::new(connector, capped::ANSWER_LIMIT);
        let http =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build(connector);
        Ok(Google {
            accounts,
            clock,
            urls: GoogleUrls::of(endpoints),
            http,
            pacers: Arc::default(),
            gmail_quota: None,
            call_timeout: CALL_TIMEOUT,
        })
    }

    /// Another time limit for calls (tests use a short one against a stalled sandbox).
    pub fn with_call_timeout(mut self, limit: std::time::Duration) -> Google {
        self.call_timeout = limit;
        self
    }

    /// One account's buckets for one pacer, made from the registry's documented limits.
    pub fn pacer(&self, account_id: i64, name: &'static str) -> Arc<Pacer> {
        let quotas: Vec<Quota> = match (name, self.gmail_quota) {
            ("gmail", Some(fixed)) => vec![fixed],
            _ => registration::REGISTRATION
                .rate_limits
                .iter()
                .filter(|l| l.pacer == name)
                .map(|l| Quota::within(l.units, l.per))
                .collect(),
        };
        self.pacers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry((account_id, name))
            .or_insert_with(|| Arc::new(Pacer::all_of(quotas)))
            .clone()
    }

    /// Another Gmail rate (benchmarks measure local overhead against a sandbox without quotas).
    pub fn with_gmail_quota(mut self, quota: Quota) -> Google {
        self.gmail_quota = Some(quota);
        self
    }

    pub fn accounts(&self) -> &Accounts {
        &self.accounts
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// A session for one account: its hubs share the account's token and one call meter.
    pub fn session(&self, account_id: i64) -> Session {
        let meter = CallMeter::new(self.accounts.clone(), account_id);
        Session {
            google: self.clone(),
            meter,
        }
    }
}

/// One account's calls during one run.
#[derive(Clone)]
pub struct Session {
    google: Google,
    meter: CallMeter,
}

impl Session {
    pub fn meter(&self) -> &CallMeter {
        &self.meter
    }

    pub fn gmail(&self) -> google_gmail1::Gmail<Connector> {
        let mut hub =
            google_gmail1::Gmail::new(self.google.http.clone(), self.meter.token_source());
        hub.base_url(self.google.urls.gmail.clone());
        hub.root_url(self.google.urls.upload_root.clone());
        hub
    }

    pub fn sheets(&self) -> google_sheets4::Sheets<Connector> {
        let mut hub =
            google_sheets4::Sheets::new(self.google.http.clone(), self.meter.token_source());
        hub.base_url(self.google.urls.sheets.clone());
        hub.root_url(self.google.urls.sheets.clone());
        hub
    }

    pub fn drive(&self) -> google_drive3::DriveHub<Connector> {
        let mut hub =
            google_drive3::DriveHub::new(self.google.http.clone(), self.meter.token_source());
        hub.base_url(self.google.urls.drive.clone());
        hub.root_url(self.google.urls.upload_root.clone());
        hub
    }

    pub fn calendar(&self) -> google_calendar3::CalendarHub<Connector> {
        let mut hub =
            google_calendar3::CalendarHub::new(self.google.http.clone(), self.meter.token_source());
        hub.base_url(self.google.urls.calendar.clone());
        hub.root_url(self.google.urls.upload_root.clone());
        hub
    }

    pub fn docs(&self) -> google_docs1::Docs<Connector> {
        let mut hub = google_docs1::Docs::new(self.google.http.clone(), self.meter.token_source());
        hub.base_url(self.google.urls.docs.clone());
        hub.root_url(self.google.urls.docs.clone());
        hub
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.google.clock
    }

    /// Calendar's base URL (ends in `/`).
    pub fn calendar_base(&self) -> &str {
        &self.google.urls.calendar
    }

    /// Drive's base URL (ends in `/`).
    pub fn drive_base(&self) -> &str {
        &self.google.urls.drive
    }

    pub fn gmail_base(&self) -> &str {
        &self.google.urls.gmail
    }

    /// A JSON request the generated clients cannot make; same tokens, retries and counting.
    pub async fn json_call(
        &self,
        api: &'static str,
        method: &str,
        url: &str,
        body: &serde_json::Value,
    ) -> GoogleResult<serde_json::Value> {
        let call = call::json_call(&self.google.http, &self.meter, api, method, url, body);
        self.within_limit(api, call).await
    }

    /// A request with any body (a Gmail batch); same tokens, retries and counting. A success's
    /// content type and bytes.
    pub async fn raw_call(
        &self,
        api: &'static str,
        method: &str,
        url: &str,
        content_type: &str,
        payload: Vec<u8>,
    ) -> GoogleResult<(String, Vec<u8>)> {
        let call = call::raw_call(
            &self.google.http,
            &self.meter,
            api,
            method,
            url,
            content_type,
            payload,
        );
        self.within_limit(api, call).await
    }

    /// `call` within the call time limit, its oversized answer named as such.
    async fn within_limit<T>(
        &self,
        api: &'static str,
        call: impl std::future::Future<Output = GoogleResult<T>>,
    ) -> GoogleResult<T> {
        let cut_before = capped::trips();
        match tokio::time::timeout(self.google.call_timeout, call).await {
            Ok(Err(_)) if capped::trips() > cut_before => Err(GoogleError::TooLarge {
                api,
                limit_bytes: capped::last_limit(),
            }),
            Ok(answer) => answer,
            Err(_) => Err(GoogleError::TimedOut {
                api,
                seconds: self.google.call_timeout.as_secs(),
            }),
        }
    }

    /// Runs a generated hub's call within the call time limit ([`CALL_TIMEOUT`]) and classifies
    /// its error. Every google-* crate shares google-apis-common, so one signature serves them all.
    pub(crate) async fn timed<T>(
        &self,
        api: &'static str,
        call: impl std::future::Future<
            Output = google_gmail1::common::Result<(google_gmail1::common::Response, T)>,
        >,
    ) -> Result<T, SourceError> {
        let limit = self.google.call_timeout;
        let cut_before = capped::trips();
        match tokio::time::timeout(limit, call).await {
            Err(_) => Err(SourceError::TimedOut {
                api,
                seconds: limit.as_secs(),
            }),
            Ok(Err(_)) if capped::trips() > cut_before => Err(GoogleError::TooLarge {
                api,
                limit_bytes: capped::last_limit(),
            }
            .into()),
            Ok(Err(e)) => Err(GoogleError::from_call(api, e).into()),
            Ok(Ok((_, v))) => Ok(v),
        }
    }

    /// The call time limit.
    pub fn call_timeout(&self) -> std::time::Duration {
        self.google.call_timeout
    }

    /// The account's Gmail quota buckets.
    pub fn gmail_pacer(&self) -> Arc<Pacer> {
        self.pacer("gmail")
    }

    /// The account's buckets for one of the registry's pacers: every documented limit of it.
    pub fn pacer(&self, name: &'static str) -> Arc<Pacer> {
        self.google.pacer(self.meter.account_id(), name)
    }

    /// Waits until `name`'s limits allow `units` more.
    pub async fn pace(&self, name: &'static str, units: u32) {
        let wait = self.pacer(name).reserve(units, crate::pacing::elapsed_ms());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}
