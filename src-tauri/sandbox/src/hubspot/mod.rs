//! HubSpot's CRM API (date-versioned paths, `cremmy_protocol::provider_versions::HUBSPOT`), the
//! subset Cremmy uses, in HubSpot's wire format. Written from HubSpot's pages (facts and sources:
//! `../shared/notes/providers/hubspot.md`), never from the app:
//! - Versions (developers.hubspot.com/docs/api-reference/2026-03/overview): the version is a path
//!   segment, `/crm/objects/2026-03/contacts`; a version this sandbox does not serve is a 404.
//! - Auth (…/apps/legacy-apps/private-apps/overview; OAuth guide): `Authorization: Bearer <token>`,
//!   a private-app token (`pat-na1-…`) or an OAuth access token. A missing or unknown token is 401
//!   `{"status":"error","message","correlationId","category":"INVALID_AUTHENTICATION"}`.
//! - Account (…/2026-03/account/account-information/get-account-details):
//!   `GET /account-info/2026-03/details` → `{portalId, accountType, timeZone, companyCurrency,
//!   additionalCurrencies, utcOffset, utcOffsetMilliseconds, uiDomain, dataHostingLocation}`.
//! - Objects (`objects.rs`): list, search, batch read/create/update, associations.
//! - Properties (…/2026-03/crm/properties): `GET /crm/properties/2026-03/{objectType}` →
//!   `{results:[{name, label, type, fieldType, groupName, options, calculated, hasUniqueValue,
//!   modificationMetadata:{readOnlyValue, …}}]}`.
//! - Pipelines (…/latest/crm/pipelines/get-pipelines): `GET /crm/pipelines/2026-03/deals` →
//!   `{results:[{id, label, displayOrder, archived, stages:[{id, label, displayOrder, archived,
//!   metadata:{probability, isClosed}}]}]}`; every account has the pipeline `default`, whose
//!   stock stages include `closedwon` and `closedlost`.
//! - Limits (…/developer-tooling/platform/usage-guidelines): private apps on Free and Starter
//!   100 requests per 10 s (OAuth apps 110), search 5 requests per second per account, then 429
//!   `{"status":"error","message","errorType":"RATE_LIMIT","correlationId","policyName":
//!   "TEN_SECONDLY_ROLLING"}`; every answer but search's carries `X-HubSpot-RateLimit-Max`,
//!   `-Remaining` and `-Interval-Milliseconds`. Off until a test sets `ten_second_limit` /
//!   `search_per_second` (the defaults in [`HubSpotSettings::with_documented_limits`]).
//!
//! Not found on HubSpot's pages, so these are this sandbox's assumptions: a search 429's
//! `policyName` is `SECONDLY`; no 429 carries `Retry-After` (none is documented); ids are
//! numbers counted per account across object types.

pub mod batch;
pub mod controls;
pub mod objects;
mod seed;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use cremmy_protocol::provider_versions::HUBSPOT as VERSION;
use serde_json::{json, Value};

use crate::state::Shared;

pub fn is_hubspot_path(path: &str) -> bool {
    ["/crm/", "/account-info/"]
        .iter()
        .any(|p| path.starts_with(p))
}

/// The object types this sandbox holds.
pub const OBJECT_TYPES: [&str; 3] = ["companies", "contacts", "deals"];

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct HubSpotSettings {
    /// The tokens the account accepts (a private-app token by default).
    pub tokens: Vec<String>,
    /// Requests per rolling 10 s per token before 429 (documented: 100 for a private app on
    /// Free/Starter); `None`: no limit.
    pub ten_second_limit: Option<u32>,
    /// Search requests per second per account (documented: 5); `None`: no limit.
    pub search_per_second: Option<u32>,
    pub portal_id: u64,
    pub time_zone: String,
    pub currency: String,
}

impl Default for HubSpotSettings {
    fn default() -> Self {
        HubSpotSettings {
            tokens: vec![SANDBOX_TOKEN.into()],
            ten_second_limit: None,
            search_per_second: None,
            portal_id: 24_680_135,
            time_zone: "Europe/London".into(),
            currency: "GBP".into(),
        }
    }
}

impl HubSpotSettings {
    /// The limits HubSpot documents for a private app on Free/Starter.
    pub fn with_documented_limits(mut self) -> Self {
        self.ten_second_limit = Some(100);
        self.search_per_second = Some(5);
        self
    }
}

/// The private-app token the sandbox account accepts by default.
pub const SANDBOX_TOKEN: &str = "pat-na1-00000000-sandbox-0000-0000-000000000000";

/// One CRM record: its properties are all strings, as HubSpot keeps them.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub id: u64,
    pub properties: BTreeMap<String, String>,
    /// Unix ms.
    pub created_at: i64,
    pub updated_at: i64,
    pub archived: bool,
}

#[derive(Debug, Default)]
pub struct HubSpotState {
    pub settings: HubSpotSettings,
    /// Unix ms; `None`: the system clock. Tests move it to order modifications.
    pub now: Option<i64>,
    /// Object type → id → record.
    pub records: BTreeMap<String, BTreeMap<u64, Record>>,
    /// (from type, from id, to type, to id, association type id), both directions stored.
    pub associations: BTreeSet<(String, u64, String, u64, u32)>,
    pub next_id: u64,
    seeded: bool,
    /// Request times (real ms) per token in the last 10 s, and search times per second.
    window: HashMap<String, VecDeque<i64>>,
    search_window: VecDeque<i64>,
}

impl HubSpotState {
    pub fn now(&self) -> i64 {
        self.now
            .unwrap_or_else(|| (crate::unix_nanos() / 1_000_000) as i64)
    }

    /// The account as a new sandbox holds it: seeded on first use.
    pub fn ensure_seeded(&mut self) {
        if !self.seeded {
            self.seeded = true;
            seed::seed(self);
        }
    }

    pub fn new_id(&mut self) -> u64 {
        self.next_id += 1;
        1000 + self.next_id
    }

    /// The property that holds a record's last modification (contacts name it differently).
    pub fn modified_property(object_type: &str) -> &'static str {
        if object_type == "contacts" {
            "lastmodifieddate"
        } else {
            "hs_lastmodifieddate"
        }
    }

    /// Creates a record of `object_type` with `properties` (validated by the caller).
    pub fn insert(&mut self, object_type: &str, properties: BTreeMap<String, String>) -> u64 {
        let id = self.new_id();
        let now = self.now();
        let mut record = Record {
            id,
            properties,
            created_at: now,
            updated_at: now,
            archived: false,
        };
        stamp(object_type, &mut record, true);
        self.records
            .entry(object_type.to_string())
            .or_default()
            .insert(id, record);
        id
    }

    /// Sets `properties` on a record (an empty value clears one), stamping the modification.
    pub fn update(
        &mut self,
        object_type: &str,
        id: u64,
        properties: &BTreeMap<String, String>,
    ) -> Option<&Record> {
        let now = self.now();
        let record = self.records.get_mut(object_type)?.get_mut(&id)?;
        for (k, v) in properties {
            if v.is_empty() {
                record.properties.remove(k);
            } else {
                record.properties.insert(k.clone(), v.clone());
            }
        }
        record.updated_at = now.max(record.updated_at + 1);
        stamp(object_type, record, false);
        Some(record)
    }

    /// The ids `from_id` is associated with in `to`.
    pub fn associated(&self, from: &str, from_id: u64, to: &str) -> Vec<(u64, u32)> {
        let start = (from.to_string(), from_id, to.to_string(), 0, 0);
        self.associations
            .range(start..)
            .take_while(|(f, fid, t, _, _)| f == from && *fid == from_id && t == to)
            .map(|(_, _, _, tid, type_id)| (*tid, *type_id))
            .collect()
    }

    pub fn associate(&mut self, from: &str, from_id: u64, to: &str, to_id: u64) {
        let (there, back) = association_types(from, to);
        self.associations
            .insert((from.to_string(), from_id, to.to_string(), to_id, there));
        self.associations
            .insert((to.to_string(), to_id, from.to_string(), from_id, back));
    }
}

/// The stock association type ids, both directions (HubSpot's "associations v4" default types:
/// contact→company 279 / 280, deal→company 341 / 342, deal→contact 3 / 4).
pub fn association_types(from: &str, to: &str) -> (u32, u32) {
    match (from, to) {
        ("contacts", "companies") => (279, 280),
        ("companies", "contacts") => (280, 279),
        ("deals", "companies") => (341, 342),
        ("companies", "deals") => (342, 341),
        ("deals", "contacts") => (3, 4),
        ("contacts", "deals") => (4, 3),
        _ => (0, 0),
    }
}

/// The read-only properties HubSpot maintains on every record.
fn stamp(object_type: &str, record: &mut Record, created: bool) {
    let p = &mut record.properties;
    p.insert("hs_object_id".into(), record.id.to_string());
    if created {
        p.insert("createdate".into(), crate::rfc3339(record.created_at));
    }
    p.insert(
        HubSpotState::modified_property(object_type).into(),
        crate::rfc3339(record.updated_at),
    );
}

/// HubSpot's error body.
pub fn error(status: u16, category: &str, message: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        Json(json!({
            "status": "error",
            "message": message,
            "correlationId": "00000000-0000-4000-8000-sandbox00000",
            "category": category,
        })),
    )
        .into_response()
}

fn rate_limited(policy: &str) -> Response {
    let message = if policy == "SECONDLY" {
        "You have reached your secondly limit."
    } else {
        "You have reached your ten_secondly_rolling limit."
    };
    (
        StatusCode::TOO_MANY_REQUESTS,
        Json(json!({
            "status": "error",
            "message": message,
            "errorType": "RATE_LIMIT",
            "correlationId": "00000000-0000-4000-8000-sandbox00000",
            "policyName": policy,
        })),
    )
        .into_response()
}

/// A fault rule's status on a HubSpot path, in HubSpot's shape.
pub fn fault_error(status: u16, retry_after_secs: Option<u64>) -> Response {
    let mut response = match status {
        401 => error(
            401,
            "INVALID_AUTHENTICATION",
            "Authentication credentials not found.",
        ),
        404 => error(404, "OBJECT_NOT_FOUND", "resource not found"),
        429 => rate_limited("TEN_SECONDLY_ROLLING"),
        s if s >= 500 => error(s, "INTERNAL_ERROR", "internal error"),
        s => error(s, "VALIDATION_ERROR", "The request failed."),
    };
    if let Some(secs) = retry_after_secs {
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            response.headers_mut().insert("retry-after", v);
        }
    }
    response
}

/// What one admitted request may do: `Err` is the answer to send instead.
pub struct Admitted {
    /// The rate-limit headers to put on the answer (none for search).
    pub headers: Vec<(&'static str, String)>,
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

/// Checks the token and the limits (the search limit for a search) and counts the request.
pub fn admit(
    state: &mut HubSpotState,
    headers: &HeaderMap,
    search: bool,
) -> Result<Admitted, Response> {
    state.ensure_seeded();
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or("");
    if token.is_empty() || !state.settings.tokens.iter().any(|t| t == token) {
        return Err(error(
            401,
            "INVALID_AUTHENTICATION",
            "Authentication credentials not found. This API supports OAuth 2.0 authentication.",
        ));
    }
    let real_now = (crate::unix_nanos() / 1_000_000) as i64;
    if search {
        if let Some(limit) = state.settings.search_per_second {
            let window = &mut state.search_window;
            while window.front().is_some_and(|t| real_now - t >= 1000) {
                window.pop_front();
            }
            if window.len() as u32 >= limit {
                return Err(rate_limited("SECONDLY"));
            }
            window.push_back(real_now);
        }
        return Ok(Admitted { headers: vec![] });
    }
    let Some(limit) = state.settings.ten_second_limit else {
        return Ok(Admitted { headers: vec![] });
    };
    let window = state.window.entry(token.to_string()).or_default();
    while window.front().is_some_and(|t| real_now - t >= 10_000) {
        window.pop_front();
    }
    if window.len() as u32 >= limit {
        return Err(rate_limited("TEN_SECONDLY_ROLLING"));
    }
    window.push_back(real_now);
    Ok(Admitted {
        headers: vec![
            ("x-hubspot-ratelimit-max", limit.to_string()),
            (
                "x-hubspot-ratelimit-remaining",
                (limit - window.len() as u32).to_string(),
            ),
            ("x-hubspot-ratelimit-interval-milliseconds", "10000".into()),
        ],
    })
}

async fn account_details(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    let mut world = shared.lock();
    let s = &mut world.hubspot;
    let admitted = match admit(s, &headers, false) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let settings = &s.settings;
    admitted.answer(
        StatusCode::OK,
        json!({
            "portalId": settings.portal_id,
            "accountType": "STANDARD",
            "timeZone": settings.time_zone,
            "companyCurrency": settings.currency,
            "additionalCurrencies": [],
            "utcOffset": "+00:00",
            "utcOffsetMilliseconds": 0,
            "uiDomain": "app.hubspot.com",
            "dataHostingLocation": "na1",
        }),
    )
}

async fn pipelines(
    State(shared): State<Shared>,
    Path(object_type): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut world = shared.lock();
    let admitted = match admit(&mut world.hubspot, &headers, false) {
        Ok(a) => a,
        Err(r) => return r,
    };
    if object_type != "deals" {
        return error(
            404,
            "OBJECT_NOT_FOUND",
            "No pipelines for this object type.",
        );
    }
    let stages: Vec<Value> = seed::DEAL_STAGES
        .iter()
        .enumerate()
        .map(|(i, (id, label, probability))| {
            json!({
                "id": id, "label": label, "displayOrder": i, "archived": false,
                "createdAt": "2024-01-01T00:00:00Z", "updatedAt": "2024-01-01T00:00:00Z",
                "metadata": {
                    "probability": probability,
                    "isClosed": if *id == "closedwon" || *id == "closedlost" { "true" } else { "false" },
                },
                "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
            })
        })
        .collect();
    admitted.answer(
        StatusCode::OK,
        json!({ "results": [{
            "id": "default", "label": "Sales Pipeline", "displayOrder": 0, "archived": false,
            "createdAt": "2024-01-01T00:00:00Z", "updatedAt": "2024-01-01T00:00:00Z",
            "stages": stages,
        }] }),
    )
}

async fn properties(
    State(shared): State<Shared>,
    Path(object_type): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut world = shared.lock();
    let admitted = match admit(&mut world.hubspot, &headers, false) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Some(defs) = seed::properties_of(&object_type) else {
        return error(404, "OBJECT_NOT_FOUND", "Unknown object type.");
    };
    let results: Vec<Value> = defs
        .iter()
        .map(|d| {
            let options: Vec<Value> = if d.name == "dealstage" {
                seed::DEAL_STAGES
                    .iter()
                    .enumerate()
                    .map(|(i, (id, label, _))| json!({"label": label, "value": id, "displayOrder": i, "hidden": false}))
                    .collect()
            } else if d.name == "pipeline" {
                vec![json!({"label": "Sales Pipeline", "value": "default", "displayOrder": 0, "hidden": false})]
            } else {
                vec![]
            };
            json!({
                "name": d.name, "label": d.label, "type": d.kind, "fieldType": d.field_type,
                "groupName": format!("{}information", object_type.trim_end_matches('s')),
                "options": options, "calculated": false, "hasUniqueValue": d.unique,
                "modificationMetadata": {"readOnlyValue": d.read_only, "readOnlyDefinition": true, "archivable": false},
            })
        })
        .collect();
    admitted.answer(StatusCode::OK, json!({ "results": results }))
}

pub fn routes() -> Router<Shared> {
    use objects::*;
    Router::new()
        .route(
            &format!("/account-info/{VERSION}/details"),
            get(account_details),
        )
        .route(
            &format!("/crm/pipelines/{VERSION}/{{object_type}}"),
            get(pipelines),
        )
        .route(
            &format!("/crm/properties/{VERSION}/{{object_type}}"),
            get(properties),
        )
        .route(
            &format!("/crm/objects/{VERSION}/{{object_type}}"),
            get(list),
        )
        .route(
            &format!("/crm/objects/{VERSION}/{{object_type}}/search"),
            post(search),
        )
        .route(
            &format!("/crm/objects/{VERSION}/{{object_type}}/batch/{{action}}"),
            post(batch::batch),
        )
        .route(
            &format!("/crm/associations/{VERSION}/{{from}}/{{to}}/batch/read"),
            post(associations_read),
        )
        .route(
            "/_sandbox/hubspot",
            get(controls::snapshot).post(controls::configure),
        )
        .route(
            "/_sandbox/hubspot/records/{object_type}",
            post(controls::create_record),
        )
        .route(
            "/_sandbox/hubspot/records/{object_type}/{id}",
            axum::routing::patch(controls::edit_record),
        )
        .route("/_sandbox/hubspot/generate", post(controls::generate))
}
