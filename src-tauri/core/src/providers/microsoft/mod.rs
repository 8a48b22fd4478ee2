//! Microsoft 365 / Outlook.com through Microsoft Graph: a thin client (JSON over the one call
//! policy, `http::call`) with the account's OAuth token, refreshed once after a 401, and every
//! call paced to Outlook's per-mailbox limit (registry). Graph's paging and delta links are
//! absolute URLs: they are followed only on the configured Graph origin, so a garbled or hostile
//! link never receives the token. Facts and their pages: `../shared/notes/providers/msgraph.md`;
//! the provider sandbox speaks the same subset (`src-tauri/sandbox/src/microsoft/`).

mod batch;
pub mod calendar;
pub mod outlook;
mod outlook_send;
pub mod registration;
mod wire;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cremmy_protocol::Provider;
use tokio::sync::Semaphore;

use crate::accounts::{Accounts, AccountsError, BearerCallError};
use crate::failure::{FailureKind, SourceError};
use crate::http::call::{Answer, CallError, CallPolicy, Caller};
use crate::pacing::{AccountPacers, Pacer};

/// How a Graph call failed.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    #[error(transparent)]
    Call(#[from] CallError),
    #[error(transparent)]
    Account(#[from] AccountsError),
    #[error("Microsoft Graph's answer to {what} did not read as Graph documents it: {source}")]
    Garbled {
        what: &'static str,
        source: serde_json::Error,
    },
    #[error("Microsoft Graph sent a link outside {origin} ({link}); Cremmy does not follow it. Please report this.")]
    ForeignLink { origin: String, link: String },
}

impl From<BearerCallError> for GraphError {
    fn from(e: BearerCallError) -> GraphError {
        match e {
            BearerCallError::Call(e) => GraphError::Call(e),
            BearerCallError::Account(e) => GraphError::Account(e),
        }
    }
}

impl GraphError {
    pub fn kind(&self) -> FailureKind {
        match self {
            GraphError::Call(e) => e.kind(),
            GraphError::Account(e) => e.failure_kind(),
            GraphError::Garbled { .. } | GraphError::ForeignLink { .. } => FailureKind::Invalid,
        }
    }

    /// Graph forgot the delta state (410 Gone, `SyncStateNotFound`).
    pub fn is_gone(&self) -> bool {
        matches!(self, GraphError::Call(e) if e.status() == Some(410))
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, GraphError::Call(e) if e.status() == Some(404))
    }
}

impl crate::HasErrorCode for GraphError {
    fn code(&self) -> cremmy_protocol::ErrorCode {
        use cremmy_protocol::ErrorCode as C;
        match self.kind() {
            FailureKind::Unauthorized => C::ReconnectNeeded,
            FailureKind::NotFound | FailureKind::Gone => C::NotFound,
            FailureKind::Local => C::Internal,
            _ => C::ProviderUnavailable,
        }
    }
}

impl From<GraphError> for SourceError {
    fn from(e: GraphError) -> SourceError {
        use crate::HasErrorCode;
        SourceError::provider(Provider::Microsoft, e.kind(), e.code(), e)
    }
}

/// Graph's own words in a failed answer: `{"error": {"code", "message"}}`.
pub fn explain(_status: u16, body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let code = v["error"]["code"].as_str()?;
    let message = v["error"]["message"].as_str().unwrap_or_default();
    Some(format!("{code}: {message}"))
}

/// Microsoft for the whole app. Cheap to clone.
#[derive(Clone)]
pub struct Microsoft {
    accounts: Accounts,
    /// Graph's origin, ending in `/` (`https://graph.microsoft.com/`, or the sandbox).
    origin: String,
    /// Per account (mailbox), Outlook's limit, kept across runs.
    pacers: AccountPacers,
    /// Per account (mailbox), the requests allowed at once, shared by every run.
    slots: Arc<Mutex<HashMap<i64, Arc<Semaphore>>>>,
}

/// Outlook's concurrent requests per app and mailbox
/// (learn.microsoft.com/graph/throttling-limits, Outlook service limits).
pub const MAILBOX_CONCURRENCY: usize = 4;

impl Microsoft {
    pub fn new(accounts: Accounts) -> Microsoft {
        Microsoft {
            origin: accounts
                .endpoints()
                .base_url(Provider::Microsoft)
                .to_string(),
            accounts,
            pacers: AccountPacers::default(),
            slots: Arc::default(),
        }
    }

    /// A session for one account's run (its own call count).
    pub fn session(&self, account_id: i64) -> GraphSession {
        GraphSession {
            caller: Caller::new(
                self.accounts.http().clone(),
                CallPolicy::api(Provider::Microsoft).with_explain(explain),
            ),
            accounts: self.accounts.clone(),
            origin: self.origin.clone(),
            account_id,
            pacer: self
                .pacers
                .of(account_id, registration::REGISTRATION.rate_limits),
            slots: self
                .slots
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .entry(account_id)
                .or_insert_with(|| Arc::new(Semaphore::new(MAILBOX_CONCURRENCY)))
                .clone(),
            retry_after: Arc::default(),
        }
    }
}

const IMMUTABLE_IDS: &str = "IdType=\"ImmutableId\"";

/// What one Graph call does.
enum Request {
    Get { page_size: Option<u32> },
    Write(reqwest::Method, Body),
}

/// A written call's body.
enum Body {
    /// A MIME message, base64 (`Content-Type: text/plain`).
    Mime(String),
    Json(String),
    Empty,
}

/// One account's Graph calls during one run.
#[derive(Clone)]
pub struct GraphSession {
    caller: Caller,
    accounts: Accounts,
    origin: String,
    account_id: i64,
    pacer: Arc<Pacer>,
    /// The mailbox's requests at once (shared with its other sessions).
    slots: Arc<Semaphore>,
    /// Graph's last `Retry-After` in this session (a call that still failed after it).
    retry_after: Arc<Mutex<Option<Duration>>>,
}

impl GraphSession {
    pub fn calls(&self) -> u32 {
        self.caller.calls()
    }

    pub fn retry_after(&self) -> Option<Duration> {
        *self.retry_after.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The URL of `path_and_query` under `/v1.0/`.
    pub fn url(&self, path_and_query: &str) -> String {
        format!("{}v1.0/{path_and_query}", self.origin)
    }

    /// Whether `url` is on the Graph origin this session calls (a link Graph sent, or one stored
    /// while another origin was configured).
    pub fn is_on_origin(&self, url: &str) -> bool {
        url.starts_with(&self.origin)
    }

    /// The time the accounts' clock says (for filters relative to now).
    pub fn now(&self) -> crate::clock::Timestamp {
        self.accounts.now()
    }

    /// GETs `url` (a Graph URL: built by [`Self::url`] or a paging link Graph sent) with the
    /// account's token, once more with a fresh token after a 401. `page_size`: `Prefer:
    /// odata.maxpagesize`.
    pub async fn get<T: serde::de::DeserializeOwned>(
        &self,
        what: &'static str,
        url: &str,
        page_size: Option<u32>,
    ) -> Result<T, GraphError> {
        if !self.is_on_origin(url) {
            return Err(GraphError::ForeignLink {
                origin: self.origin.clone(),
                link: url.chars().take(120).collect(),
            });
        }
        let answer = self.send(what, url, Request::Get { page_size }).await?;
        answer
            .json()
            .map_err(|source| GraphError::Garbled { what, source })
    }

    /// POSTs to `url` (built by [`Self::url`]): a MIME message (base64, as Graph takes it), or
    /// nothing (an action such as `send`).
    pub async fn post(
        &self,
        what: &'static str,
        url: &str,
        mime: Option<&[u8]>,
    ) -> Result<Answer, GraphError> {
        use base64::Engine;
        let body = match mime {
            Some(raw) => Body::Mime(base64::engine::general_purpose::STANDARD.encode(raw)),
            None => Body::Empty,
        };
        self.send(what, url, Request::Write(reqwest::Method::POST, body))
            .await
    }

    /// POSTs or PATCHes JSON to `url` (built by [`Self::url`]); the answer is read as `T`.
    pub async fn write_json<T: serde::de::DeserializeOwned>(
        &self,
        what: &'static str,
        method: reqwest::Method,
        url: &str,
        json: &serde_json::Value,
    ) -> Result<T, GraphError> {
        let answer = self
            .send(
                what,
                url,
                Request::Write(method, Body::Json(json.to_string())),
            )
            .await?;
        answer
            .json()
            .map_err(|source| GraphError::Garbled { what, source })
    }

    async fn send(
        &self,
        what: &'static str,
        url: &str,
        request: Request,
    ) -> Result<Answer, GraphError> {
        // Closed only if the semaphore were dropped, which the session itself prevents.
        let _slot = self.slots.acquire().await.ok();
        let answer = self
            .accounts
            .call_with_token(
                self.account_id,
                &self.caller,
                &self.pacer,
                what,
                |http, token| {
                    let r = match &request {
                        Request::Get { page_size } => {
                            let r = http.get(url);
                            match page_size {
                                Some(n) => r.header("prefer", format!("odata.maxpagesize={n}")),
                                None => r,
                            }
                        }
                        Request::Write(method, body) => {
                            let r = http.request(method.clone(), url);
                            match body {
                                Body::Mime(text) => {
                                    r.header("content-type", "text/plain").body(text.clone())
                                }
                                Body::Json(text) => r
                                    .header("content-type", "application/json")
                                    .body(text.clone()),
                                Body::Empty => r.header("content-length", "0"),
                            }
                        }
                    };
                    // Ids that stay when a message moves (a draft sent to Sent Items, mail filed
                    // by a rule): learn.microsoft.com/graph/outlook-immutable-id.
                    r.bearer_auth(token)
                        .header("accept", "application/json")
                        .header("prefer", IMMUTABLE_IDS)
                },
            )
            .await;
        if let Err(BearerCallError::Call(CallError::Status {
            retry_after: Some(wait),
            ..
        })) = &answer
        {
            *self.retry_after.lock().unwrap_or_else(|p| p.into_inner()) = Some(*wait);
        }
        answer.map_err(GraphError::from)
    }
}
