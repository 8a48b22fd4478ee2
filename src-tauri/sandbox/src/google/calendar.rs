//! Calendar API v3 on the primary calendar: events.list with incremental sync (`syncToken`,
//! `nextSyncToken` on the last page only, 410 Gone for an invalid token, cancelled events
//! returned), events.get/insert/patch/delete (a deleted event stays, `status: cancelled`).

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::auth::bearer;
use super::errors::{api_error, default_message};
use crate::state::Shared;

const READ: &[&str] = &[
    "https://www.googleapis.com/auth/calendar",
    "https://www.googleapis.com/auth/calendar.readonly",
    "https://www.googleapis.com/auth/calendar.events",
    "https://www.googleapis.com/auth/calendar.events.readonly",
];
const WRITE: &[&str] = &[
    "https://www.googleapis.com/auth/calendar",
    "https://www.googleapis.com/auth/calendar.events",
];

#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub json: Map<String, Value>,
    /// The change counter when this event last changed (what sync tokens compare against).
    pub changed_at: u64,
}

#[derive(Debug, Default)]
pub struct Calendar {
    pub events: Vec<StoredEvent>,
    pub change_counter: u64,
    /// Sync tokens from before this change are no longer valid (410 Gone).
    pub token_floor: u64,
    next_event: u64,
    /// Page tokens handed out: an opaque name for a position in one listing and the query that
    /// listing was made with.
    pages: std::collections::HashMap<String, PagePosition>,
}

/// Where a listing's next page starts, and the query it belongs to. Google's sync guide
/// (https://developers.google.com/calendar/api/guides/sync, "Incremental sync": the next page is
/// `GET …/events?…&syncToken=…&pageToken=…`) and the events.list reference (`syncToken`: "All
/// other query parameters should be the same as for the initial synchronization") say later pages
/// repeat the first request's parameters with the `pageToken`; the token alone does not carry
/// them, so a page asked for with other parameters is refused.
#[derive(Debug, Clone, PartialEq)]
struct PagePosition {
    query: PageQuery,
    since: u64,
    offset: usize,
}

/// The parameters a page request must repeat.
#[derive(Debug, Clone, PartialEq)]
struct PageQuery {
    sync_token: Option<String>,
    time_min: Option<String>,
    time_max: Option<String>,
    show_deleted: Option<bool>,
}

impl Calendar {
    /// Adds an event from its JSON (as events.insert receives it); returns the stored form.
    pub fn insert(&mut self, mut event: Map<String, Value>) -> Map<String, Value> {
        self.next_event += 1;
        self.change_counter += 1;
        // A client may choose the id (base32hex, 5–1024 characters), as Google allows.
        let id = match event.get("id").and_then(Value::as_str) {
            Some(chosen) => chosen.to_string(),
            None => format!("sbxevt{:010}", self.next_event),
        };
        let now = crate::rfc3339((crate::unix_nanos() / 1_000_000) as i64);
        event.insert("kind".into(), json!("calendar#event"));
        event.insert("id".into(), json!(id));
        event.entry("status").or_insert(json!("confirmed"));
        event
            .entry("iCalUID")
            .or_insert(json!(format!("{id}@google.com")));
        event.insert(
            "htmlLink".into(),
            json!(format!("https://www.google.com/calendar/event?eid={id}")),
        );
        event.insert("created".into(), json!(now));
        event.insert("updated".into(), json!(now));
        event.insert("sequence".into(), json!(0));
        event.insert("etag".into(), json!(format!("\"{}\"", self.change_counter)));
        self.events.push(StoredEvent {
            json: event.clone(),
            changed_at: self.change_counter,
        });
        event
    }

    /// Merges `changes` into an event (a PATCH); `None` when there is no such event.
    pub fn patch(&mut self, id: &str, changes: Map<String, Value>) -> Option<Map<String, Value>> {
        self.change_counter += 1;
        let counter = self.change_counter;
        let stored = self
            .events
            .iter_mut()
            .find(|e| e.json.get("id").and_then(Value::as_str) == Some(id))?;
        for (k, v) in changes {
            if !matches!(k.as_str(), "id" | "iCalUID" | "created" | "kind") {
                stored.json.insert(k, v);
            }
        }
        let sequence = stored
            .json
            .get("sequence")
            .and_then(Value::as_i64)
            .unwrap_or(0)
            + 1;
        stored.json.insert("sequence".into(), json!(sequence));
        stored.json.insert(
            "updated".into(),
            json!(crate::rfc3339((crate::unix_nanos() / 1_000_000) as i64)),
        );
        stored
            .json
            .insert("etag".into(), json!(format!("\"{counter}\"")));
        stored.changed_at = counter;
        Some(stored.json.clone())
    }

    pub fn token(&self) -> String {
        format!("sbxsync-{}", self.change_counter)
    }
}

#[derive(Debug, Deserialize)]
pub struct ListParams {
    #[serde(default, rename = "syncToken")]
    sync_token: Option<String>,
    #[serde(default, rename = "pageToken")]
    page_token: Option<String>,
    #[serde(default, rename = "maxResults")]
    max_results: Option<usize>,
    #[serde(default, rename = "showDeleted")]
    show_deleted: Option<bool>,
    #[serde(default, rename = "timeMin")]
    time_min: Option<String>,
    #[serde(default, rename = "timeMax")]
    time_max: Option<String>,
}

impl ListParams {
    fn query(&self) -> PageQuery {
        PageQuery {
            sync_token: self.sync_token.clone(),
            time_min: self.time_min.clone(),
            time_max: self.time_max.clone(),
            show_deleted: self.show_deleted,
        }
    }
}

fn account_and_calendar(
    shared: &Shared,
    headers: &HeaderMap,
    calendar: &str,
    scopes: &[&str],
) -> Result<String, Response> {
    let world = shared.lock();
    let account = bearer(&world, headers, scopes)?;
    if calendar != "primary" && calendar != account {
        return Err(api_error(404, "notFound", "Not Found", None));
    }
    Ok(account)
}

pub async fn list(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(calendar): Path<String>,
    Query(p): Query<ListParams>,
) -> Response {
    let account = match account_and_calendar(&shared, &headers, &calendar, READ) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let mut world = shared.lock();
    let cal = world.google.calendars.entry(account.clone()).or_default();
    if p.sync_token.is_some() && (p.time_min.is_some() || p.time_max.is_some()) {
        return api_error(
            400,
            "invalid",
            "Sync token cannot be used with timeMin.",
            None,
        );
    }
    let (since, offset) = match &p.page_token {
        Some(page) => match cal.pages.get(page) {
            Some(at) if at.query == p.query() => (at.since, at.offset),
            // Google's page tokens are opaque; one that is unknown, or used with other
            // parameters than its first page, is an invalid value.
            _ => return api_error(400, "invalid", "Invalid page token value.", None),
        },
        None => match &p.sync_token {
            Some(token) => match token
                .strip_prefix("sbxsync-")
                .and_then(|n| n.parse::<u64>().ok())
            {
                Some(n) if n >= cal.token_floor && n <= cal.change_counter => (n, 0),
                _ => return api_error(410, "fullSyncRequired", default_message(410), None),
            },
            None => (0, 0),
        },
    };
    let incremental = since > 0 || p.sync_token.is_some();
    let show_deleted = incremental || p.show_deleted.unwrap_or(false);
    let max = p.max_results.unwrap_or(250).clamp(1, 2500);
    let mut changed: Vec<&StoredEvent> = cal
        .events
        .iter()
        .filter(|e| e.changed_at > since)
        .filter(|e| {
            show_deleted || e.json.get("status").and_then(Value::as_str) != Some("cancelled")
        })
        .collect();
    changed.sort_by_key(|e| e.changed_at);
    let items: Vec<Value> = changed
        .iter()
        .skip(offset)
        .take(max)
        .map(|e| Value::Object(e.json.clone()))
        .collect();
    let mut out = json!({
        "kind": "calendar#events",
        "etag": format!("\"{}\"", cal.change_counter),
        "summary": account,
        "updated": crate::rfc3339((crate::unix_nanos() / 1_000_000) as i64),
        "timeZone": "UTC",
        "accessRole": "owner",
        "items": items,
    });
    if offset + max < changed.len() {
        let position = PagePosition {
            query: p.query(),
            since,
            offset: offset + max,
        };
        let token = format!("sbxpage{:08x}", cal.pages.len() + 1);
        cal.pages.insert(token.clone(), position);
        out["nextPageToken"] = json!(token);
    } else {
        out["nextSyncToken"] = json!(cal.token());
    }
    Json(out).into_response()
}

pub async fn get(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path((calendar, id)): Path<(String, String)>,
) -> Response {
    let account = match account_and_calendar(&shared, &headers, &calendar, READ) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let mut world = shared.lock();
    let cal = world.google.calendars.entry(account).or_default();
    match cal
        .events
        .iter()
        .find(|e| e.json.get("id").and_then(Value::as_str) == Some(id.as_str()))
    {
        Some(e) => Json(Value::Object(e.json.clone())).into_response(),
        None => api_error(404, "notFound", "Not Found", None),
    }
}

pub async fn insert(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(calendar): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    let account = match account_and_calendar(&shared, &headers, &calendar, WRITE) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Value::Object(event) = body else {
        return api_error(400, "invalid", "The event must be a JSON object.", None);
    };
    if event.get("start").is_none() || event.get("end").is_none() {
        return api_error(400, "required", "Missing end time.", None);
    }
    if let Some(id) = event.get("id") {
        let valid = id.as_str().is_some_and(|id| {
            (5..=1024).contains(&id.len())
                && id
                    .bytes()
                    .all(|c| c.is_ascii_digit() || (b'a'..=b'v').contains(&c))
        });
        if !valid {
            return api_error(400, "invalid", "Invalid resource id value.", None);
        }
    }
    let mut world = shared.lock();
    let organizer = json!({ "email": account, "self": true });
    let cal = world.google.calendars.entry(account).or_default();
    let chosen = event.get("id").and_then(Value::as_str);
    if chosen.is_some_and(|id| {
        cal.events
            .iter()
            .any(|e| e.json.get("id").and_then(Value::as_str) == Some(id))
    }) {
        return api_error(
            409,
            "duplicate",
            "The requested identifier already exists.",
            None,
        );
    }
    let mut stored = cal.insert(event);
    stored.entry("organizer").or_insert(organizer);
    Json(Value::Object(stored)).into_response()
}

pub async fn patch(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path((calendar, id)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> Response {
    let account = match account_and_calendar(&shared, &headers, &calendar, WRITE) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Value::Object(changes) = body else {
        return api_error(400, "invalid", "The patch must be a JSON object.", None);
    };
    let mut world = shared.lock();
    match world
        .google
        .calendars
        .entry(account)
        .or_default()
        .patch(&id, changes)
    {
        Some(e) => Json(Value::Object(e)).into_response(),
        None => api_error(404, "notFound", "Not Found", None),
    }
}

pub async fn delete(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path((calendar, id)): Path<(String, String)>,
) -> Response {
    let account = match account_and_calendar(&shared, &headers, &calendar, WRITE) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let mut world = shared.lock();
    let cal = world.google.calendars.entry(account).or_default();
    let already = cal.events.iter().any(|e| {
        e.json.get("id").and_then(Value::as_str) == Some(id.as_str())
            && e.json.get("status").and_then(Value::as_str) == Some("cancelled")
    });
    if already {
        return api_error(410, "deleted", "Resource has been deleted", None);
    }
    let mut cancel = Map::new();
    cancel.insert("status".into(), json!("cancelled"));
    match cal.patch(&id, cancel) {
        Some(_) => StatusCode::NO_CONTENT.into_response(),
        None => api_error(404, "notFound", "Not Found", None),
    }
}
