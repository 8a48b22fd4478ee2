//! Xero, the subset Cremmy uses, in Xero's wire format. Written from Xero's documentation and its
//! published SDKs (facts and pages: `../shared/notes/providers/salesforce-quickbooks-xero.md`),
//! never from the app:
//! - Sign-in: OAuth 2.0 authorization code with PKCE for a "desktop or mobile" app, which has no
//!   client secret (developer.xero.com/documentation/guides/oauth2/pkce-flow); the redirect URI
//!   must be one the app registered, exactly; access tokens live 30 minutes; a refresh token is
//!   single use (each refresh returns a new one). Identity at `identity.xero.com`
//!   (`/connect/token`, `/connect/userinfo`, `/connect/revocation`), consent at
//!   `login.xero.com/identity/connect/authorize`.
//! - Tenants: `GET /connections` lists the organisations the user connected
//!   (`[{id, authEventId, tenantId, tenantType, tenantName, createdDateUtc, updatedDateUtc}]`);
//!   every Accounting API call names one in the `xero-tenant-id` header, else 403
//!   `{"Type":null,"Title":"Forbidden","Status":403,"Detail":"AuthenticationUnsuccessful",…}`
//!   (the shape Xero's SDK issues quote, e.g. github.com/XeroAPI/xero-node/issues/432).
//! - Accounting API `/api.xro/2.0/`: answers `{"Id","Status":"OK","ProviderName","DateTimeUTC":
//!   "/Date(ms)/", "<Things>":[…]}`, dates as `/Date(ms+0000)/`; `If-Modified-Since` (UTC
//!   `yyyy-mm-ddThh:mm:ss`) on GETs; `page` (100 a page); `Idempotency-Key` on PUT/POST replays
//!   the first answer; validation errors are 400 `{"ErrorNumber":10,"Type":"ValidationException",
//!   "Message":"A validation exception occurred","Elements":[{…,"ValidationErrors":[{"Message"}]}]}`.
//! - Limits per tenant connection: 60 calls a minute, 5,000 a day, 5 at once
//!   (developer.xero.com/documentation/guides/oauth2/limits): a 429 with `Retry-After` and
//!   `X-Rate-Limit-Problem` (`minute`, `day`, `concurrent`); `X-MinLimit-Remaining` and
//!   `X-DayLimit-Remaining` on answers.

pub mod accounting;
pub mod controls;
pub mod oauth;

use std::collections::HashMap;

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::state::Shared;

pub const API: &str = "/api.xro/2.0/";

pub fn is_xero_path(path: &str) -> bool {
    path.starts_with(API) || path == "/connections"
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct XeroSettings {
    pub client_id: String,
    /// The redirect URIs the app registered (Xero allows a few, matched exactly).
    pub redirect_uris: Vec<String>,
    /// Who signs in at the consent screen.
    pub email: String,
    /// Whether the consent screen grants (else the user declines).
    pub consent: bool,
    pub access_token_ttl_secs: i64,
    /// Calls a minute per tenant before 429 (Xero: 60); `None`: no limit.
    pub calls_per_minute: Option<u32>,
    /// Organisations the user connects at consent: (tenant id, name).
    pub tenants: Vec<(String, String)>,
}

impl Default for XeroSettings {
    fn default() -> Self {
        XeroSettings {
            client_id: "XEROSANDBOXCLIENT0000000000000000".into(),
            redirect_uris: vec!["http://localhost:48620/callback".into()],
            email: "owner@consultancy.example".into(),
            consent: true,
            access_token_ttl_secs: 1800,
            calls_per_minute: None,
            tenants: vec![(
                "a3d1e5c0-0000-4000-8000-000000000001".into(),
                "Demo Company (Global)".into(),
            )],
        }
    }
}

#[derive(Debug, Clone)]
pub struct XeroCode {
    pub redirect_uri: String,
    pub challenge: String,
    pub scopes: Vec<String>,
    pub expires_at: i64,
}

#[derive(Debug, Clone)]
pub struct XeroToken {
    pub scopes: Vec<String>,
    pub expires_at: i64,
}

/// An organisation's books.
#[derive(Debug, Clone, Default)]
pub struct Books {
    pub contacts: Vec<Value>,
    pub invoices: Vec<Value>,
    pub payments: Vec<Value>,
    /// (Idempotency-Key) → (request fingerprint, status, answer).
    pub idempotency: HashMap<String, (String, u16, Value)>,
    /// Calls in the current minute: (minute, count).
    pub window: (i64, u32),
}

#[derive(Debug, Clone, Default)]
pub struct XeroState {
    pub settings: XeroSettings,
    /// Unix milliseconds; `None`: the system clock.
    pub now_ms: Option<i64>,
    pub codes: HashMap<String, XeroCode>,
    pub access_tokens: HashMap<String, XeroToken>,
    /// Refresh token → scopes; each is spent by one refresh.
    pub refresh_tokens: HashMap<String, Vec<String>>,
    /// Tenant id → its books.
    pub books: HashMap<String, Books>,
    pub next_id: u64,
}

impl XeroState {
    pub fn now_ms(&self) -> i64 {
        self.now_ms
            .unwrap_or_else(|| (crate::unix_nanos() / 1_000_000) as i64)
    }

    /// A fresh GUID-shaped id (Xero ids are GUIDs).
    pub fn new_id(&mut self) -> String {
        self.next_id += 1;
        format!("5b1f0c7e-0000-4000-8000-{:012}", self.next_id)
    }

    pub fn new_secret(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{:016x}{:08}", crate::unix_nanos(), self.next_id)
    }
}

/// `/Date(1700000000000+0000)/`, as Xero's JSON writes dates.
pub fn xero_date(ms: i64) -> String {
    format!("/Date({ms}+0000)/")
}

/// Reads `/Date(ms+0000)/` (or `/Date(ms)/`).
pub fn parse_xero_date(text: &str) -> Option<i64> {
    let inner = text.strip_prefix("/Date(")?.strip_suffix(")/")?;
    let digits: String = inner
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '-')
        .collect();
    digits.parse().ok()
}

pub use crate::wire::parse_utc;

/// `2026-12-01T00:00:00`, the `…String` twin of a date.
pub fn date_string(ms: i64) -> String {
    let text = crate::rfc3339(ms);
    text[..19].to_string()
}

/// Xero's problem shape for 401/403 (as Xero's SDK issues quote it).
pub fn problem(status: u16, title: &str, detail: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN),
        Json(json!({
            "Type": null,
            "Title": title,
            "Status": status,
            "Detail": detail,
            "Instance": "00000000-0000-0000-0000-sandbox00000",
            "Extensions": {},
        })),
    )
        .into_response()
}

/// A 400 validation error on `element` (summarizeErrors=true, the default).
pub fn validation(element: Value, messages: &[&str]) -> Response {
    let mut element = element;
    element["ValidationErrors"] = messages.iter().map(|m| json!({ "Message": m })).collect();
    (
        StatusCode::BAD_REQUEST,
        Json(json!({
            "ErrorNumber": 10,
            "Type": "ValidationException",
            "Message": "A validation exception occurred",
            "Elements": [element],
        })),
    )
        .into_response()
}

/// The envelope of a successful Accounting API answer.
pub fn envelope(now_ms: i64, key: &str, items: Vec<Value>) -> Value {
    let mut body = json!({
        "Id": format!("e0a1b2c3-0000-4000-8000-{:012}", now_ms.rem_euclid(1_000_000_000_000)),
        "Status": "OK",
        "ProviderName": "Cremmy sandbox app",
        "DateTimeUTC": xero_date(now_ms),
    });
    body[key] = Value::Array(items);
    body
}

/// A 429 as Xero sends it: `Retry-After` seconds and which limit was hit.
pub fn rate_limited(retry_after_secs: i64, problem: &str) -> Response {
    let mut response = (StatusCode::TOO_MANY_REQUESTS, "").into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&retry_after_secs.max(1).to_string()) {
        headers.insert("retry-after", v);
    }
    if let Ok(v) = HeaderValue::from_str(problem) {
        headers.insert("x-rate-limit-problem", v);
    }
    response
}

/// A fault rule's status on a Xero path, in Xero's shapes.
pub fn fault_error(status: u16, retry_after_secs: Option<u64>) -> Response {
    match status {
        401 => problem(401, "Unauthorized", "AuthenticationUnsuccessful"),
        403 => problem(403, "Forbidden", "AuthenticationUnsuccessful"),
        429 => rate_limited(retry_after_secs.unwrap_or(1) as i64, "minute"),
        s => {
            let mut r = (
                StatusCode::from_u16(s).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                Json(json!({ "Title": "An error occurred", "Status": s })),
            )
                .into_response();
            if let Some(secs) = retry_after_secs {
                if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                    r.headers_mut().insert("retry-after", v);
                }
            }
            r
        }
    }
}

/// The caller's tenant, after checking the Bearer token, the `xero-tenant-id` header and the
/// per-minute limit (each call counts, as at Xero). `Err` is the answer to send.
pub fn admit(state: &mut XeroState, headers: &HeaderMap) -> Result<String, Response> {
    let now = state.now_ms();
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    match state.access_tokens.get(token) {
        Some(t) if t.expires_at > now => {}
        Some(_) => return Err(problem(401, "Unauthorized", "TokenExpired: token expired")),
        None => return Err(problem(401, "Unauthorized", "AuthenticationUnsuccessful")),
    }
    let tenant = headers
        .get("xero-tenant-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    if !state.settings.tenants.iter().any(|(id, _)| *id == tenant) {
        return Err(problem(403, "Forbidden", "AuthenticationUnsuccessful"));
    }
    let limit = state.settings.calls_per_minute;
    let books = state.books.entry(tenant.clone()).or_default();
    let minute = now.div_euclid(60_000);
    if books.window.0 != minute {
        books.window = (minute, 0);
    }
    if let Some(limit) = limit {
        if books.window.1 >= limit {
            let wait = (minute + 1) * 60 - now.div_euclid(1000);
            return Err(rate_limited(wait, "minute"));
        }
    }
    books.window.1 += 1;
    Ok(tenant)
}

/// Adds the remaining-calls headers Xero sends on answers.
pub fn with_limits(state: &XeroState, tenant: &str, mut response: Response) -> Response {
    if let (Some(limit), Some(books)) = (state.settings.calls_per_minute, state.books.get(tenant)) {
        let left = limit.saturating_sub(books.window.1);
        if let Ok(v) = HeaderValue::from_str(&left.to_string()) {
            response.headers_mut().insert("x-minlimit-remaining", v);
        }
    }
    response
}

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/identity/connect/authorize", get(oauth::authorize))
        .route("/connect/token", post(oauth::token))
        .route("/connect/userinfo", get(oauth::userinfo))
        .route("/connect/revocation", post(oauth::revocation))
        .route("/connections", get(oauth::connections))
        .route(
            "/api.xro/2.0/Contacts",
            get(accounting::list_contacts).put(accounting::create_contacts),
        )
        .route(
            "/api.xro/2.0/Invoices",
            get(accounting::list_invoices).put(accounting::create_invoices),
        )
        .route("/api.xro/2.0/Invoices/{id}", get(accounting::get_invoice))
        .route(
            "/api.xro/2.0/Invoices/{id}/Email",
            post(accounting::email_invoice),
        )
        .route(
            "/api.xro/2.0/Invoices/{id}/OnlineInvoice",
            get(accounting::online_invoice),
        )
        .route("/api.xro/2.0/Payments", get(accounting::list_payments))
        .route("/_sandbox/xero", get(controls::snapshot))
        .route("/_sandbox/xero/configure", post(controls::configure))
        .route("/_sandbox/xero/invoices/{id}/pay", post(controls::pay))
        .route(
            "/_sandbox/xero/payments/{id}/delete",
            post(controls::delete_payment),
        )
        .route(
            "/_sandbox/xero/tokens/expire",
            post(controls::expire_tokens),
        )
        .route("/_sandbox/xero/contacts", post(controls::add_contact))
        .route(
            "/_sandbox/xero/grants/revoke",
            post(controls::revoke_grants),
        )
}
