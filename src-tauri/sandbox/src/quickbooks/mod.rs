//! QuickBooks Online, the subset Cremmy uses, in Intuit's wire format. Written from Intuit's
//! documentation (facts and pages: `../shared/notes/providers/salesforce-quickbooks-xero.md`),
//! never from the app:
//! - Sign-in (developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0):
//!   authorization code for a confidential client (id + secret in an HTTP Basic header at the
//!   token endpoint); the redirect carries `code`, `state` **and `realmId`** (the company);
//!   access tokens last 3,600 s, refresh tokens 100 days and each refresh returns the refresh
//!   token to keep (`x_refresh_token_expires_in`). Redirect URIs must be registered exactly;
//!   `http://localhost` only for development keys (…/set-redirect-uri). OpenID userinfo at
//!   `accounts.platform.intuit.com/v1/openid_connect/userinfo`; revocation at
//!   `developer.api.intuit.com/v2/oauth2/tokens/revoke` (JSON `{"token"}`, Basic header).
//! - Accounting API `/v3/company/{realmId}/…` (…/learn/rest-api-features): create with POST
//!   `{entity}` (answer `{"<Entity>":{…},"time"}`), read `{entity}/{id}`, the query language at
//!   `query?query=select * from Customer where DisplayName = '…' STARTPOSITION 1 MAXRESULTS 100`
//!   (answer `{"QueryResponse":{"Customer":[…],"startPosition","maxResults"},"time"}`, an empty
//!   result `{"QueryResponse":{}}`), `invoice/{id}/send?sendTo=` (…/api-reference/…/invoice#send-an-invoice),
//!   `requestid=` on a write replays the first answer to that id; `minorversion` (75 and up since
//!   1 August 2025; …/learn/explore-the-quickbooks-online-api/minor-versions).
//! - Change data capture (…/change-data-capture): `cdc?entities=Invoice,Payment&changedSince=`,
//!   at most 30 days back, at most 1,000 objects an answer, a deleted object as
//!   `{"status":"Deleted","Id","MetaData"}`. Past 30 days Intuit does not document its answer:
//!   the sandbox refuses with a ValidationFault (an assumption; the app never asks that far).
//! - Errors: `{"Fault":{"Error":[{"Message","Detail","code","element"}],"type":"ValidationFault"},
//!   "time"}` (e.g. 6240 Duplicate Name Exists Error, 610 Object Not Found, 2500 Invalid Reference
//!   Id); an expired or unknown token 401 with `"type":"AUTHENTICATION"` (code 3200); a company
//!   the token does not reach 403 (code 3100); throttling 429 with code 3001 (…/learn/limits-and-throttles:
//!   500 requests a minute per company, then wait 60 s; Intuit documents no `Retry-After`).
//! - Not re-read on Intuit's pages (from third-party reports of real answers, to be checked
//!   against a live sandbox company): the default "Services" item (Id 1) of a new company; the
//!   codes 6070 (amount ≠ price × quantity), 6000 (currency without multicurrency) and 2050 (send
//!   without an address); the ValidationFault for a `requestid` over 50 characters and for a
//!   CDC `changedSince` past 30 days; the 5xx body.

pub mod accounting;
pub mod controls;
pub mod oauth;
pub mod query;

use std::collections::HashMap;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::state::Shared;

pub const API: &str = "/v3/company/";

pub fn is_quickbooks_path(path: &str) -> bool {
    path.starts_with(API)
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct QuickBooksSettings {
    pub client_id: String,
    pub client_secret: String,
    /// The redirect URIs the app registered (matched exactly).
    pub redirect_uris: Vec<String>,
    /// Who signs in at the consent screen.
    pub email: String,
    /// Whether the consent screen grants (else the user declines).
    pub consent: bool,
    /// The company the user picks at consent.
    pub realm_id: String,
    pub company_name: String,
    pub home_currency: String,
    /// Multicurrency on: invoices may be in other currencies than the home one.
    pub multicurrency: bool,
    pub access_token_ttl_secs: i64,
    /// Requests a minute per company before 429 (Intuit: 500); `None`: no limit.
    pub calls_per_minute: Option<u32>,
}

impl Default for QuickBooksSettings {
    fn default() -> Self {
        QuickBooksSettings {
            client_id: "ABqbSandboxClient000000000000000000000000000000000".into(),
            client_secret: "qbSandboxSecret00000000000000000000000".into(),
            redirect_uris: vec!["http://localhost:48621/callback".into()],
            email: "owner@consultancy.example".into(),
            consent: true,
            realm_id: "9341453000000001".into(),
            company_name: "Sandbox Company_US_1".into(),
            home_currency: "USD".into(),
            multicurrency: false,
            access_token_ttl_secs: 3600,
            calls_per_minute: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct QbCode {
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub realm_id: String,
    pub expires_at: i64,
}

#[derive(Debug, Clone)]
pub struct QbToken {
    pub scopes: Vec<String>,
    pub realm_id: String,
    pub expires_at: i64,
}

/// A company's books.
#[derive(Debug, Clone, Default)]
pub struct Company {
    pub customers: Vec<Value>,
    /// Vendors' names: a customer may not take one (names are unique across customers,
    /// vendors and employees).
    pub vendors: Vec<String>,
    pub items: Vec<Value>,
    pub invoices: Vec<Value>,
    pub payments: Vec<Value>,
    /// Deleted objects for change data capture: (entity, id, when).
    pub deleted: Vec<(String, String, i64)>,
    /// `requestid` → the first answer (status, body).
    pub requests: HashMap<String, (u16, Value)>,
    /// Requests in the current minute: (minute, count).
    pub window: (i64, u32),
    pub next_doc_number: u64,
}

#[derive(Debug, Clone, Default)]
pub struct QuickBooksState {
    pub settings: QuickBooksSettings,
    /// Unix milliseconds; `None`: the system clock.
    pub now_ms: Option<i64>,
    pub codes: HashMap<String, QbCode>,
    pub access_tokens: HashMap<String, QbToken>,
    /// Refresh token → (scopes, realm); each refresh spends it and issues the one to keep.
    pub refresh_tokens: HashMap<String, (Vec<String>, String)>,
    /// Realm id → its books.
    pub companies: HashMap<String, Company>,
    pub next_id: u64,
}

impl QuickBooksState {
    pub fn now_ms(&self) -> i64 {
        self.now_ms
            .unwrap_or_else(|| (crate::unix_nanos() / 1_000_000) as i64)
    }

    pub fn new_secret(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{:016x}{:08}", crate::unix_nanos(), self.next_id)
    }

    /// The company's books, with the "Services" item every new company has.
    pub fn company(&mut self, realm: &str) -> &mut Company {
        self.companies
            .entry(realm.to_string())
            .or_insert_with(|| Company {
                items: vec![json!({
                    "Id": "1", "Name": "Services", "Type": "Service", "Active": true,
                    "IncomeAccountRef": { "value": "1", "name": "Services" }, "SyncToken": "0",
                })],
                next_doc_number: 1001,
                ..Company::default()
            })
    }
}

/// A time as QuickBooks writes it: the company's local time with its offset (the sandbox's
/// company keeps Pacific standard time), e.g. `2026-12-01T04:00:00-08:00`.
pub fn qb_time(ms: i64) -> String {
    let local = crate::rfc3339(ms - 8 * 3_600_000);
    format!("{}-08:00", &local[..19])
}

/// `yyyy-mm-dd` in the company's time zone.
pub fn qb_date(ms: i64) -> String {
    qb_time(ms)[..10].to_string()
}

/// `2026-12-01T04:00:00-08:00`, `…Z`, `…+01:00` or `2026-12-01` → Unix ms.
pub fn parse_time(text: &str) -> Option<i64> {
    let text = text.trim();
    let (body, offset_ms) = if let Some(b) = text.strip_suffix('Z') {
        (b, 0)
    } else if text.len() > 19 && matches!(text.as_bytes()[text.len() - 6], b'+' | b'-') {
        let (b, off) = text.split_at(text.len() - 6);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let h: i64 = off[1..3].parse().ok()?;
        let m: i64 = off[4..6].parse().ok()?;
        (b, sign * (h * 60 + m) * 60_000)
    } else {
        (text, 0)
    };
    Some(crate::wire::parse_utc(body)? - offset_ms)
}

/// The error shape of every refused request.
pub fn fault(status: u16, kind: &str, code: &str, message: &str, detail: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        Json(json!({
            "Fault": {
                "Error": [{ "Message": message, "Detail": detail, "code": code, "element": "" }],
                "type": kind,
            },
            "time": qb_time((crate::unix_nanos() / 1_000_000) as i64),
        })),
    )
        .into_response()
}

pub fn validation(code: &str, message: &str, detail: &str) -> Response {
    fault(400, "ValidationFault", code, message, detail)
}

/// 401 as the Accounting API sends it (a lower-case envelope, unlike its other faults).
pub fn unauthorized(detail: &str) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({
            "warnings": null,
            "intuitObject": null,
            "fault": {
                "error": [{
                    "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                    "detail": detail,
                    "code": "3200",
                    "element": null,
                }],
                "type": "AUTHENTICATION",
            },
            "report": null,
            "queryResponse": null,
            "batchItemResponse": [],
            "attachableResponse": [],
            "syncErrorResponse": null,
            "requestId": null,
            "time": (crate::unix_nanos() / 1_000_000) as i64,
            "status": null,
            "cdcresponse": [],
        })),
    )
        .into_response()
}

pub fn throttled() -> Response {
    fault(
        429,
        "SERVICE",
        "3001",
        "message=ThrottleExceeded; errorCode=003001; statusCode=429",
        "The request limit was reached.",
    )
}

/// A fault rule's status on a QuickBooks path, in Intuit's shapes.
pub fn fault_error(status: u16, _retry_after_secs: Option<u64>) -> Response {
    match status {
        401 => unauthorized("Token expired"),
        403 => fault(
            403,
            "SERVICE",
            "3100",
            "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
            "",
        ),
        429 => throttled(),
        s => fault(
            s,
            "SERVICE",
            "10000",
            "An application error has occurred while processing your request",
            "System Failure Error: An unexpected error occurred while accessing or saving your data.",
        ),
    }
}

/// Checks the Bearer token (it must reach `realm`) and the per-minute limit (each request
/// counts). `Err` is the answer to send.
pub fn admit(
    state: &mut QuickBooksState,
    headers: &HeaderMap,
    realm: &str,
) -> Result<(), Response> {
    let now = state.now_ms();
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    match state.access_tokens.get(token) {
        Some(t) if t.expires_at <= now => return Err(unauthorized("Token expired")),
        Some(t) if t.realm_id != realm => {
            return Err(fault_error(403, None));
        }
        Some(_) => {}
        None => return Err(unauthorized("Token invalid")),
    }
    let limit = state.settings.calls_per_minute;
    let company = state.company(realm);
    let minute = now.div_euclid(60_000);
    if company.window.0 != minute {
        company.window = (minute, 0);
    }
    if limit.is_some_and(|l| company.window.1 >= l) {
        return Err(throttled());
    }
    company.window.1 += 1;
    Ok(())
}

/// A successful answer: `{"<Entity>": {…}, "time"}`.
pub fn answer(now: i64, entity: &str, object: Value) -> Value {
    let mut body = json!({ "time": qb_time(now) });
    body[entity] = object;
    body
}

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/connect/oauth2", get(oauth::authorize))
        .route("/oauth2/v1/tokens/bearer", post(oauth::token))
        .route("/v2/oauth2/tokens/revoke", post(oauth::revoke))
        .route("/v1/openid_connect/userinfo", get(oauth::userinfo))
        .route("/v3/company/{realm}/query", get(accounting::query))
        .route(
            "/v3/company/{realm}/customer",
            post(accounting::create_customer),
        )
        .route(
            "/v3/company/{realm}/invoice",
            post(accounting::create_invoice),
        )
        .route(
            "/v3/company/{realm}/invoice/{id}",
            get(accounting::read_invoice),
        )
        .route(
            "/v3/company/{realm}/invoice/{id}/send",
            post(accounting::send_invoice),
        )
        .route(
            "/v3/company/{realm}/payment/{id}",
            get(accounting::read_payment),
        )
        .route("/v3/company/{realm}/cdc", get(accounting::cdc))
        .route("/_sandbox/quickbooks", get(controls::snapshot))
        .route("/_sandbox/quickbooks/configure", post(controls::configure))
        .route(
            "/_sandbox/quickbooks/invoices/{id}/pay",
            post(controls::pay),
        )
        .route(
            "/_sandbox/quickbooks/payments/{id}/delete",
            post(controls::delete_payment),
        )
        .route(
            "/_sandbox/quickbooks/customers",
            post(controls::add_customer),
        )
        .route("/_sandbox/quickbooks/vendors", post(controls::add_vendor))
        .route(
            "/_sandbox/quickbooks/tokens/expire",
            post(controls::expire_tokens),
        )
        .route(
            "/_sandbox/quickbooks/grants/revoke",
            post(controls::revoke_grants),
        )
}
