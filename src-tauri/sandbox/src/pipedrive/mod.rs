//! Pipedrive's API, the subset Cremmy uses, in Pipedrive's wire format. Written from Pipedrive's
//! pages and its official clients' API references (facts and sources:
//! `../shared/notes/providers/pipedrive.md`), never from the app:
//! - Versions (pipedrive.readme.io/docs/pipedrive-api-v2 and the v2 migration guide): persons,
//!   organizations and deals under `/api/v2/…`; v1 list/create/update of them are out of support
//!   since 2026-08-01, so this sandbox serves them under v2 only. v2 writes RFC 3339 times, takes
//!   `PATCH` for updates, does not coerce strings to numbers and keeps custom fields in
//!   `custom_fields`. The user (`GET /v1/users/me`, "Get current user data") has no v2
//!   equivalent and stays on v1.
//! - Auth (pipedrive.readme.io/docs/marketplace-oauth-authorization, and the official clients'
//!   `api_key` scheme, `setApiKey('api_token', …)` in client-php's v2 API docs): the personal
//!   API token as the `x-api-token` header or the `api_token` query parameter. A missing or unknown
//!   token is 401 with Pipedrive's error body (…/docs/core-api-concepts-responses):
//!   `{"success":false,"error","errorCode","error_info":"Please check developers.pipedrive.com",
//!   "data":null,"additional_data":null}`.
//! - Entities (`entities.rs`): list with `ids`, `status`, `updated_since`/`updated_until`,
//!   `sort_by`, `sort_direction`, `limit` ≤ 500 and an opaque `cursor`; get one; `PATCH` one.
//! - Limits (…/docs/core-api-concepts-rate-limiting): per token, a rolling 2-second window (an
//!   `api_token` on Essential: 20 requests; Advanced 40, Professional 80, Power 100, Enterprise
//!   120); every answer carries `x-ratelimit-limit`, `x-ratelimit-remaining` and
//!   `x-ratelimit-reset`; over it, 429. Off until a test sets `burst_per_two_seconds` (the
//!   Essential figure in [`PipedriveSettings::with_documented_limits`]).
//!
//! Not found on the pages read, so these are this sandbox's assumptions: a 429's `error` text is
//! "Request over limit" and it carries no `Retry-After`; the daily token budget is not modelled
//! (only the burst window); ids are counted per entity type from 1; a PATCH with a field this
//! sandbox does not know is a 400, as is a number sent as a string.

pub mod controls;
pub mod entities;

use std::collections::{BTreeMap, HashMap, VecDeque};

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::state::Shared;

pub fn is_pipedrive_path(path: &str) -> bool {
    path.starts_with("/api/v2/") || path.starts_with("/v1/users")
}

/// The entity types this sandbox holds, as in their paths.
pub const ENTITY_TYPES: [&str; 3] = ["organizations", "persons", "deals"];

/// The personal API token the sandbox company accepts by default (40 hex digits, as Pipedrive's).
pub const SANDBOX_TOKEN: &str = "0123456789abcdef0123456789abcdef5a4db0c5";

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PipedriveSettings {
    pub tokens: Vec<String>,
    /// Requests per rolling 2 s per token before 429 (documented: 20 for an `api_token` on
    /// Essential); `None`: no limit.
    pub burst_per_two_seconds: Option<u32>,
    pub company_name: String,
    /// The company's subdomain (`northwind` of northwind.pipedrive.com).
    pub company_domain: String,
    pub currency: String,
    pub user_name: String,
    pub user_email: String,
}

impl Default for PipedriveSettings {
    fn default() -> Self {
        PipedriveSettings {
            tokens: vec![SANDBOX_TOKEN.into()],
            burst_per_two_seconds: None,
            company_name: "Harbour Consulting".into(),
            company_domain: "harbourconsulting".into(),
            currency: "GBP".into(),
            user_name: "Alex Harbour".into(),
            user_email: "alex@harbour.example".into(),
        }
    }
}

impl PipedriveSettings {
    /// The burst limit Pipedrive documents for an API token on its Essential plan.
    pub fn with_documented_limits(mut self) -> Self {
        self.burst_per_two_seconds = Some(20);
        self
    }
}

#[derive(Debug, Default)]
pub struct PipedriveState {
    pub settings: PipedriveSettings,
    /// Unix ms; `None`: the system clock. Tests move it to order modifications.
    pub now: Option<i64>,
    /// Entity type → id → the entity as v2 writes it.
    pub entities: BTreeMap<String, BTreeMap<u64, Value>>,
    next_ids: HashMap<String, u64>,
    seeded: bool,
    /// Request times (real ms) per token in the last 2 s.
    window: HashMap<String, VecDeque<i64>>,
}

/// `2026-03-03T09:00:00Z`: v2's times, to the second.
pub fn time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms.div_euclid(1000) * 1000)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

pub fn parse_time(text: &str) -> Option<i64> {
    text.parse::<jiff::Timestamp>()
        .ok()
        .map(|t| t.as_millisecond())
}

impl PipedriveState {
    pub fn now(&self) -> i64 {
        self.now
            .unwrap_or_else(|| (crate::unix_nanos() / 1_000_000) as i64)
    }

    pub fn ensure_seeded(&mut self) {
        if !self.seeded {
            self.seeded = true;
            controls::seed(self);
        }
    }

    /// Adds an entity of `kind` with `fields` (over the type's defaults); its id.
    pub fn insert(&mut self, kind: &str, fields: Value) -> u64 {
        let next = self.next_ids.entry(kind.to_string()).or_insert(0);
        *next += 1;
        let id = *next;
        let now = time(self.now());
        let mut entity = entities::blank(kind, id, &now);
        if let (Some(e), Some(f)) = (entity.as_object_mut(), fields.as_object()) {
            for (k, v) in f {
                e.insert(k.clone(), v.clone());
            }
        }
        entities::derive(kind, &mut entity);
        self.entities
            .entry(kind.to_string())
            .or_default()
            .insert(id, entity);
        id
    }

    /// Sets `fields` on an entity and stamps `update_time` (never earlier than before).
    pub fn update(
        &mut self,
        kind: &str,
        id: u64,
        fields: &serde_json::Map<String, Value>,
    ) -> Option<Value> {
        let now = self.now();
        let entity = self.entities.get_mut(kind)?.get_mut(&id)?;
        let before = entity["update_time"]
            .as_str()
            .and_then(parse_time)
            .unwrap_or(0);
        let stamp = if now / 1000 > before / 1000 {
            now
        } else {
            before + 1000
        };
        let e = entity.as_object_mut()?;
        for (k, v) in fields {
            e.insert(k.clone(), v.clone());
        }
        e.insert("update_time".into(), json!(time(stamp)));
        entities::derive(kind, entity);
        Some(entity.clone())
    }
}

/// Pipedrive's error body.
pub fn error(status: u16, message: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        Json(json!({
            "success": false,
            "error": message,
            "errorCode": status,
            "error_info": "Please check developers.pipedrive.com",
            "data": null,
            "additional_data": null,
        })),
    )
        .into_response()
}

/// A fault rule's status on a Pipedrive path, in Pipedrive's shape.
pub fn fault_error(status: u16, retry_after_secs: Option<u64>) -> Response {
    let message = match status {
        401 => "unauthorized access",
        404 => "Not found",
        429 => "Request over limit",
        s if s >= 500 => "Internal server error",
        _ => "Bad request",
    };
    let mut response = error(status, message);
    if let Some(secs) = retry_after_secs {
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            response.headers_mut().insert("retry-after", v);
        }
    }
    response
}

/// An admitted request: the rate-limit headers its answer carries.
pub struct Admitted {
    headers: Vec<(&'static str, String)>,
}

impl Admitted {
    pub fn answer(self, status: StatusCode, body: Value) -> Response {
        let mut response = (status, Json(body)).into_response();
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(name, v);
            }
        }
        response
    }
}

/// The token of a request: the `x-api-token` header, else the `api_token` query parameter.
fn token_of(headers: &HeaderMap, query: &[(String, String)]) -> String {
    headers
        .get("x-api-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| {
            query
                .iter()
                .find(|(k, _)| k == "api_token")
                .map(|(_, v)| v.clone())
        })
        .unwrap_or_default()
}

pub fn query_params(raw: &Option<String>) -> Vec<(String, String)> {
    raw.as_deref()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (crate::urldecode(k), crate::urldecode(v))
        })
        .collect()
}

/// Checks the token and the burst window, and counts the request.
pub fn admit(
    state: &mut PipedriveState,
    headers: &HeaderMap,
    query: &[(String, String)],
) -> Result<Admitted, Response> {
    state.ensure_seeded();
    let token = token_of(headers, query);
    if token.is_empty() || !state.settings.tokens.contains(&token) {
        return Err(error(401, "unauthorized access"));
    }
    let Some(limit) = state.settings.burst_per_two_seconds else {
        return Ok(Admitted { headers: vec![] });
    };
    let real_now = (crate::unix_nanos() / 1_000_000) as i64;
    let window = state.window.entry(token).or_default();
    while window.front().is_some_and(|t| real_now - t >= 2000) {
        window.pop_front();
    }
    let reset = window
        .front()
        .map_or(2, |t| ((2000 - (real_now - t)) + 999) / 1000)
        .to_string();
    if window.len() as u32 >= limit {
        let mut r = error(429, "Request over limit");
        for (name, value) in [
            ("x-ratelimit-limit", limit.to_string()),
            ("x-ratelimit-remaining", "0".to_string()),
            ("x-ratelimit-reset", reset),
        ] {
            if let Ok(v) = HeaderValue::from_str(&value) {
                r.headers_mut().insert(name, v);
            }
        }
        return Err(r);
    }
    window.push_back(real_now);
    Ok(Admitted {
        headers: vec![
            ("x-ratelimit-limit", limit.to_string()),
            (
                "x-ratelimit-remaining",
                (limit - window.len() as u32).to_string(),
            ),
            ("x-ratelimit-reset", reset),
        ],
    })
}

/// `GET /v1/users/me` ("Get current user data"): the user and their company.
async fn current_user(
    State(shared): State<Shared>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let mut world = shared.lock();
    let s = &mut world.pipedrive;
    let admitted = match admit(s, &headers, &query_params(&raw)) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let p = &s.settings;
    admitted.answer(
        StatusCode::OK,
        json!({
            "success": true,
            "data": {
                "id": 1,
                "name": p.user_name,
                "email": p.user_email,
                "phone": null,
                "default_currency": p.currency,
                "locale": "en_GB",
                "lang": 1,
                "timezone_name": "Europe/London",
                "timezone_offset": "+00:00",
                "activated": true,
                "active_flag": true,
                "is_admin": 1,
                "is_you": true,
                "company_id": 7_654_321,
                "company_name": p.company_name,
                "company_domain": p.company_domain,
                "company_country": "GB",
                "language": {"language_code": "en", "country_code": "GB"},
            }
        }),
    )
}

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/v1/users/me", get(current_user))
        .route("/api/v2/{kind}", get(entities::list))
        .route(
            "/api/v2/{kind}/{id}",
            get(entities::get_one).patch(entities::patch),
        )
        .route(
            "/_sandbox/pipedrive",
            get(controls::snapshot).post(controls::configure),
        )
        .route(
            "/_sandbox/pipedrive/entities/{kind}",
            post(controls::create),
        )
        .route(
            "/_sandbox/pipedrive/entities/{kind}/{id}",
            axum::routing::patch(controls::edit),
        )
        .route("/_sandbox/pipedrive/generate", post(controls::generate))
}
