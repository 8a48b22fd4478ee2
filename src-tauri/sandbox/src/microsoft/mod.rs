//! Microsoft (identity platform v2 and Graph's Outlook mail), the subset Cremmy uses, in
//! Microsoft's wire format. Written from Microsoft's pages (facts and sources:
//! `../shared/notes/providers/msgraph.md`), never from the app:
//! - Sign-in (learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow): authorize at
//!   `/{tenant}/oauth2/v2.0/authorize`, tokens at `/{tenant}/oauth2/v2.0/token` (form). A public
//!   ("Mobile and desktop applications") client has no secret and must use PKCE; one that presents
//!   a secret is refused with AADSTS700025. `offline_access` brings a refresh token, and each
//!   refresh returns a new one (the old stays valid until it expires or is revoked). The token
//!   answer's `scope` lists the resource's scopes (`https://graph.microsoft.com/mail.read` in the
//!   page's example), not `openid` or `offline_access`. Errors are `{"error","error_description":
//!   "AADSTS…","error_codes":[…]}`.
//! - Redirect URIs (learn.microsoft.com/entra/identity-platform/reply-url, "Localhost
//!   exceptions"): matched exactly, except that for `http://localhost` and `http://127.0.0.1` the
//!   port is not compared.
//! - Who signed in: `GET /oidc/userinfo` (learn.microsoft.com/entra/identity-platform/userinfo):
//!   `{sub, name, given_name, family_name, picture, email}`, `email` with the `email` scope.
//! - Mail (learn.microsoft.com/graph/api/message-delta, …/graph/delta-query-messages): per folder
//!   `GET /v1.0/me/mailFolders/{id}/messages/delta`, `$select`, `$filter` only `receivedDateTime
//!   ge|gt`, pages of 10 unless `Prefer: odata.maxpagesize=N`; `@odata.nextLink` until the last
//!   page, which carries `@odata.deltaLink` (the links are absolute and carry every option); a
//!   removed message is `{"id", "@removed": {"reason": "deleted"}}`; an expired link answers 410.
//!   Listing: `GET /v1.0/me/messages` (every folder) or `/v1.0/me/mailFolders/{id}/messages`
//!   with `$filter`, `$top` (≤ 1000), `$skip`, `$select`, `$orderby`
//!   (learn.microsoft.com/graph/api/user-list-messages); a well-known folder at
//!   `GET /v1.0/me/mailFolders/{name}` (learn.microsoft.com/graph/api/mailfolder-get); one message
//!   at `GET /v1.0/me/messages/{id}` (404 `ErrorItemNotFound`).
//! - Errors (learn.microsoft.com/graph/errors): `{"error":{"code","message","innerError":{"date",
//!   "request-id","client-request-id"}}}`; 401 `InvalidAuthenticationToken`, 403
//!   `ErrorAccessDenied`. Throttling (learn.microsoft.com/graph/throttling-limits, Outlook
//!   service limits): 10,000 requests per 10 minutes per app and mailbox, then 429
//!   `TooManyRequests` with `Retry-After` seconds.
//!
//! - Writing mail (drafts from MIME, sending them, immutable ids): `compose.rs`.
//! - The calendar (calendarView delta, events created, updated, deleted): `calendar.rs`.
//! - JSON batching (`$batch`, up to 20 requests answered one by one): `batch.rs`.
//!
//! Not found on Microsoft's pages, so these are this sandbox's assumptions: the filter grammar
//! beyond `receivedDateTime ge|gt <instant>` and `internetMessageId eq '<…>'` is refused with 400 (Graph accepts much more); a
//! delta round's `@removed` rows are reported whatever the round's reception-date filter; a delta
//! link may be followed again until forgotten; a message moved out of a folder is reported by
//! that folder's delta as removed with reason `deleted`; tokens are 2,400 / 1,600 characters;
//! scope names are compared without case and answered lower-case (the auth-code page's example
//! answers `https://graph.microsoft.com/mail.read`); a 429's `Retry-After` is the rest of the
//! 10-minute window (the throttling page says one is sent, not its value); a well-known folder
//! answers `{id, displayName, parentFolderId, childFolderCount, totalItemCount,
//! unreadItemCount}`.

pub mod batch;
pub mod calendar;
pub mod compose;
pub mod controls;
pub mod mail;
pub mod oauth;

use std::collections::HashMap;

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::state::Shared;

pub const GRAPH: &str = "/v1.0/";
/// The resource's scope prefix: `Mail.Read` and `https://graph.microsoft.com/Mail.Read` are one.
pub const GRAPH_RESOURCE: &str = "https://graph.microsoft.com/";
/// Outlook's per-mailbox window (10 minutes).
pub const WINDOW_MS: i64 = 600_000;

pub fn is_microsoft_path(path: &str) -> bool {
    path.starts_with(GRAPH) || path.starts_with("/common/oauth2/") || path == "/oidc/userinfo"
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct MicrosoftSettings {
    pub client_id: String,
    /// Redirect URIs the app registration lists.
    pub redirect_uris: Vec<String>,
    /// Who signs in at the consent screen.
    pub email: String,
    pub display_name: String,
    pub consent: bool,
    pub access_token_ttl_secs: i64,
    /// Requests per 10 minutes per mailbox before 429 (Outlook: 10,000); `None`: no limit.
    pub requests_per_window: Option<u32>,
    /// How long issued tokens are. Microsoft documents no length (an access token for Graph is
    /// opaque to the app: learn.microsoft.com/entra/identity-platform/access-tokens); real ones
    /// run to kilobytes, more than one Windows credential holds, so the sandbox's are as long.
    #[serde(default = "default_access_length")]
    pub access_token_length: usize,
    #[serde(default = "default_refresh_length")]
    pub refresh_token_length: usize,
    /// Whether the user has an email address. A work account may not: userinfo gives "email
    /// when available and consented to" (learn.microsoft.com/entra/identity-platform/userinfo).
    /// False leaves it out of userinfo and makes `/me`'s `mail` null, its `userPrincipalName`
    /// still the sign-in name (learn.microsoft.com/graph/api/user-get).
    #[serde(default = "has_address")]
    pub has_email_address: bool,
    /// How long each Graph request takes (0: at once), so that requests overlap.
    #[serde(default)]
    pub latency_ms: u64,
}

fn has_address() -> bool {
    true
}

fn default_access_length() -> usize {
    2_400
}

fn default_refresh_length() -> usize {
    1_600
}

impl Default for MicrosoftSettings {
    fn default() -> Self {
        MicrosoftSettings {
            client_id: "6f1c2b3a-0000-4000-8000-00000000c0de".into(),
            redirect_uris: vec![
                "http://127.0.0.1/callback".into(),
                "http://localhost/callback".into(),
            ],
            email: "consultant@outlook.example".into(),
            display_name: "Casey Consultant".into(),
            consent: true,
            access_token_ttl_secs: 3600,
            requests_per_window: None,
            access_token_length: default_access_length(),
            refresh_token_length: default_refresh_length(),
            has_email_address: true,
            latency_ms: 0,
        }
    }
}

/// One message in the mailbox, as Graph's `message` resource (every property the sandbox keeps).
#[derive(Debug, Clone)]
pub struct StoredMessage {
    pub id: String,
    /// Well-known folder name, lower-case (`inbox`, `sentitems`, `drafts`, `deleteditems`).
    pub folder: String,
    pub received_ms: i64,
    pub resource: Value,
    /// Created with `Prefer: IdType="ImmutableId"`: its id survives being sent.
    pub created_immutable: bool,
}

/// A change in a folder, for delta rounds.
#[derive(Debug, Clone)]
pub struct FolderChange {
    pub seq: u64,
    pub folder: String,
    pub id: String,
    pub removed: bool,
}

/// What a delta link or a next link stands for.
#[derive(Debug, Clone)]
pub enum DeltaCursor {
    /// `$deltatoken`: changes after `seq` in `folder`, with the round's filter.
    Delta {
        folder: String,
        since_ms: Option<i64>,
        strict: bool,
        seq: u64,
        select: Option<String>,
    },
    /// `$skiptoken`: the rest of a round's rows, and the delta token its last page gives.
    Rest {
        rows: Vec<Value>,
        page_size: usize,
        then: Box<DeltaCursor>,
    },
}

#[derive(Debug, Clone)]
pub struct MicrosoftCode {
    pub redirect_uri: String,
    pub challenge: String,
    pub scopes: Vec<String>,
    pub expires_at: i64,
}

#[derive(Debug, Clone)]
pub struct MicrosoftToken {
    /// Scopes, normalised (`mail.read`, `openid`).
    pub scopes: Vec<String>,
    pub expires_at: i64,
}

#[derive(Debug, Clone, Default)]
pub struct MicrosoftState {
    pub settings: MicrosoftSettings,
    pub now_ms: Option<i64>,
    pub codes: HashMap<String, MicrosoftCode>,
    pub access_tokens: HashMap<String, MicrosoftToken>,
    pub refresh_tokens: HashMap<String, Vec<String>>,
    pub messages: Vec<StoredMessage>,
    pub changes: Vec<FolderChange>,
    pub seq: u64,
    /// `$deltatoken` / `$skiptoken` values → what they continue.
    pub cursors: HashMap<String, DeltaCursor>,
    /// Requests in the current window: (window start, count).
    pub window: (i64, u32),
    pub next_id: u64,
    /// The user's calendar (changes recorded in `changes` under the feed `calendar`).
    pub events: Vec<calendar::StoredEvent>,
    pub calendar_cursors: HashMap<String, calendar::CalendarCursor>,
    /// Graph requests being answered now, and the most there have been at once.
    pub in_flight: u32,
    pub max_in_flight: u32,
}

impl MicrosoftState {
    pub fn now_ms(&self) -> i64 {
        self.now_ms
            .unwrap_or_else(|| (crate::unix_nanos() / 1_000_000) as i64)
    }

    pub fn new_secret(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{:016x}{:08}", crate::unix_nanos(), self.next_id)
    }

    /// A token `length` characters long (at least its unique part).
    pub fn new_token(&mut self, prefix: &str, length: usize) -> String {
        let mut token = self.new_secret(prefix);
        let fill = "AQABAAIAAAD--DLA3VO7QrddgJg7WevrNwy".chars().cycle();
        let missing = length.saturating_sub(token.len());
        token.extend(fill.take(missing));
        token
    }

    /// Records a change to `id` in `folder`.
    pub fn changed(&mut self, folder: &str, id: &str, removed: bool) {
        self.seq += 1;
        self.changes.push(FolderChange {
            seq: self.seq,
            folder: folder.to_string(),
            id: id.to_string(),
            removed,
        });
    }
}

/// `Mail.Read`, `https://graph.microsoft.com/Mail.Read` → `mail.read` (scope names are
/// case-insensitive).
pub fn normalise_scope(scope: &str) -> String {
    let lower = scope.to_ascii_lowercase();
    lower
        .strip_prefix(GRAPH_RESOURCE)
        .map(str::to_string)
        .unwrap_or(lower)
}

/// Graph's error body.
pub fn graph_error(status: u16, code: &str, message: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        Json(json!({
            "error": {
                "code": code,
                "message": message,
                "innerError": {
                    "date": "2026-01-01T00:00:00",
                    "request-id": "0c0ffee0-0000-4000-8000-000000000000",
                    "client-request-id": "0c0ffee0-0000-4000-8000-000000000000",
                },
            }
        })),
    )
        .into_response()
}

/// A 429 with `Retry-After`.
pub fn throttled(retry_after_secs: u64) -> Response {
    let mut r = graph_error(
        429,
        "TooManyRequests",
        "Application is over its MailboxConcurrency limit.",
    );
    if let Ok(v) = HeaderValue::from_str(&retry_after_secs.max(1).to_string()) {
        r.headers_mut().insert("retry-after", v);
    }
    r
}

/// Outlook's concurrent requests per app and mailbox (learn.microsoft.com/graph/throttling-limits,
/// Outlook service limits: 4); one more is answered 429 "over its MailboxConcurrency limit".
pub const MAILBOX_CONCURRENCY: u32 = 4;

/// Counts Graph requests in flight (the sandbox has one mailbox) and refuses a fifth.
pub async fn mailbox_concurrency(
    axum::extract::State(shared): axum::extract::State<Shared>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if !request.uri().path().starts_with(GRAPH) {
        return next.run(request).await;
    }
    let latency = {
        let mut world = shared.lock();
        let m = &mut world.microsoft;
        if m.in_flight >= MAILBOX_CONCURRENCY {
            return throttled(1);
        }
        m.in_flight += 1;
        m.max_in_flight = m.max_in_flight.max(m.in_flight);
        m.settings.latency_ms
    };
    /// Ends the count however the request ends (answered, or dropped by the client).
    struct Done(Shared);
    impl Drop for Done {
        fn drop(&mut self) {
            let mut world = self.0.lock();
            world.microsoft.in_flight = world.microsoft.in_flight.saturating_sub(1);
        }
    }
    let _done = Done(shared.clone());
    if latency > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(latency)).await;
    }
    next.run(request).await
}

/// A fault rule's status on a Microsoft path, in Graph's shapes.
pub fn fault_error(status: u16, retry_after_secs: Option<u64>) -> Response {
    let mut r = match status {
        401 => graph_error(
            401,
            "InvalidAuthenticationToken",
            "Access token has expired or is not yet valid.",
        ),
        403 => graph_error(403, "ErrorAccessDenied", "Access is denied."),
        410 => graph_error(410, "SyncStateNotFound", "The sync state is not found."),
        429 => return throttled(retry_after_secs.unwrap_or(1)),
        503 => graph_error(503, "ServiceUnavailable", "Service unavailable."),
        s => graph_error(s, "generalException", "An error occurred."),
    };
    if let Some(secs) = retry_after_secs {
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            r.headers_mut().insert("retry-after", v);
        }
    }
    r
}

/// Checks the Bearer token (and that it carries `scope`) and counts the request against the
/// mailbox's window. `Err` is the answer to send.
pub fn admit(m: &mut MicrosoftState, headers: &HeaderMap, scope: &[&str]) -> Result<(), Response> {
    let now = m.now_ms();
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let Some(t) = m.access_tokens.get(token).filter(|t| t.expires_at > now) else {
        return Err(graph_error(
            401,
            "InvalidAuthenticationToken",
            "Access token has expired or is not yet valid.",
        ));
    };
    if !scope.iter().any(|s| t.scopes.iter().any(|g| g == s)) {
        return Err(graph_error(
            403,
            "ErrorAccessDenied",
            "Access is denied. Check credentials and try again.",
        ));
    }
    if let Some(limit) = m.settings.requests_per_window {
        if now - m.window.0 >= WINDOW_MS {
            m.window = (now, 0);
        }
        if m.window.1 >= limit {
            let wait = (m.window.0 + WINDOW_MS - now).max(1000) / 1000;
            return Err(throttled(wait as u64));
        }
        m.window.1 += 1;
    }
    Ok(())
}

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/common/oauth2/v2.0/authorize", get(oauth::authorize))
        .route("/common/oauth2/v2.0/token", post(oauth::token))
        .route("/oidc/userinfo", get(oauth::userinfo))
        .route("/v1.0/me", get(mail::me))
        .route(
            "/v1.0/me/mailFolders/{folder}/messages/delta",
            get(mail::delta),
        )
        .route(
            "/v1.0/me/mailFolders/{folder}/messages",
            get(mail::list_folder),
        )
        .route(
            "/v1.0/me/messages",
            get(mail::list_all).post(compose::create),
        )
        .route("/v1.0/me/messages/{id}/send", post(compose::send))
        .route("/v1.0/$batch", post(batch::batch))
        .route("/v1.0/me/calendarView/delta", get(calendar::delta))
        .route("/v1.0/me/events", post(calendar::create))
        .route(
            "/v1.0/me/events/{id}",
            axum::routing::patch(calendar::update).delete(calendar::delete),
        )
        .route("/_sandbox/microsoft/events", post(calendar::deliver))
        .route("/_sandbox/microsoft/events/{id}", post(calendar::change))
        .route("/v1.0/me/mailFolders/{folder}", get(mail::folder))
        .route("/v1.0/me/messages/{id}", get(mail::get))
        .route("/_sandbox/microsoft", get(controls::snapshot))
        .route("/_sandbox/microsoft/configure", post(controls::configure))
        .route("/_sandbox/microsoft/messages", post(controls::deliver))
        .route(
            "/_sandbox/microsoft/messages/{id}/move",
            post(controls::move_message),
        )
        .route(
            "/_sandbox/microsoft/delta/expire",
            post(controls::expire_delta),
        )
        .route(
            "/_sandbox/microsoft/tokens/expire",
            post(controls::expire_tokens),
        )
}
