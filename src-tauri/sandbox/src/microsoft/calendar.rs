//! Outlook calendar, the part Cremmy uses, from Microsoft's pages:
//! - Changes (learn.microsoft.com/graph/api/event-delta, …/graph/delta-query-events): `GET
//!   /v1.0/me/calendarView/delta?startDateTime=…&endDateTime=…` (both required in the first
//!   request), pages by `Prefer: odata.maxpagesize`, `@odata.nextLink` (`$skiptoken`) until the
//!   last page's `@odata.deltaLink` (`$deltatoken`), which encodes the window; following it
//!   answers only what changed; a deleted event (or one now outside the window) is `{"id",
//!   "@removed": {"reason": "deleted"}}`; a forgotten token answers 410 (…/graph/errors).
//!   Needs `Calendars.Read` (or `Calendars.ReadWrite`).
//! - Times (…/graph/api/resources/datetimetimezone, …/resources/event): `start` and `end` are
//!   `{dateTime, timeZone}` and come back in UTC by default. `iCalUId` is the same event across
//!   calendars; `isCancelled`, `organizer`, `attendees`, `onlineMeeting.joinUrl`, `webLink`.
//! - Writing (…/graph/api/user-post-events, …/event-update, …/event-delete): `POST
//!   /v1.0/me/events` answers 201 with the event; `PATCH /v1.0/me/events/{id}` answers 200 with
//!   it; `DELETE` answers 204; an unknown id is 404 `ErrorItemNotFound`. Needs
//!   `Calendars.ReadWrite`. `transactionId` is the client's id "to avoid redundant POST
//!   operations in case of client retries" (…/resources/event).
//!
//! Assumed, not found on Microsoft's pages: a POST whose `transactionId` was used before answers
//! the event made then (201) instead of a second one; time zones are IANA names (Graph also takes
//! Windows names, which the sandbox refuses with 400 `TimeZoneNotSupportedException`); pages
//! hold 10 events unless `Prefer` says otherwise; an event's attendees and organizer are
//! addresses only.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::{admit, graph_error, MicrosoftState};
use crate::state::Shared;

const READ_SCOPES: [&str; 2] = ["calendars.read", "calendars.readwrite"];
const WRITE_SCOPES: [&str; 1] = ["calendars.readwrite"];
const FEED: &str = "calendar";

/// One event in the user's calendar.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub id: String,
    pub start_ms: i64,
    pub end_ms: i64,
    pub transaction_id: Option<String>,
    /// Its times as created (`{dateTime, timeZone}`), for the record.
    pub resource: Value,
}

/// What a calendar delta token or skip token continues.
#[derive(Debug, Clone)]
pub enum CalendarCursor {
    Delta {
        start_ms: i64,
        end_ms: i64,
        seq: u64,
    },
    Rest {
        rows: Vec<Value>,
        page_size: usize,
        then: Box<CalendarCursor>,
    },
}

fn not_found() -> Response {
    graph_error(
        404,
        "ErrorItemNotFound",
        "The specified object was not found in the store.",
    )
}

/// `{dateTime, timeZone}` → UTC milliseconds.
fn instant(v: &Value) -> Result<i64, Response> {
    let bad = |m: &str| graph_error(400, "ErrorInvalidRequest", m);
    let local = v["dateTime"]
        .as_str()
        .ok_or_else(|| bad("dateTime is required."))?;
    let zone = v["timeZone"].as_str().unwrap_or("UTC");
    let civil: jiff::civil::DateTime = local
        .trim_end_matches('Z')
        .parse()
        .map_err(|_| bad("dateTime is not an ISO 8601 local time."))?;
    let tz = if zone.eq_ignore_ascii_case("UTC") {
        jiff::tz::TimeZone::UTC
    } else {
        jiff::tz::TimeZone::get(zone).map_err(|_| {
            graph_error(
                400,
                "TimeZoneNotSupportedException",
                &format!("A valid TimeZone value must be specified: {zone}."),
            )
        })?
    };
    civil
        .to_zoned(tz)
        .map(|z| z.timestamp().as_millisecond())
        .map_err(|_| bad("dateTime does not exist in that time zone."))
}

/// The event as Graph answers it: times in UTC.
fn answered(e: &StoredEvent) -> Value {
    let utc = |ms: i64| {
        let at = crate::rfc3339(ms);
        let seconds: String = at.chars().take(19).collect();
        json!({ "dateTime": format!("{seconds}.0000000"), "timeZone": "UTC" })
    };
    let mut v = e.resource.clone();
    v["start"] = utc(e.start_ms);
    v["end"] = utc(e.end_ms);
    v
}

fn overlaps(e: &StoredEvent, start_ms: i64, end_ms: i64) -> bool {
    e.start_ms < end_ms && e.end_ms > start_ms
}

impl MicrosoftState {
    /// Stores an event and records the change; answers its id.
    pub fn store_event(&mut self, mut resource: Value, start_ms: i64, end_ms: i64) -> String {
        self.next_id += 1;
        let n = self.next_id;
        let id = format!("AAMkAGIvZW50{n:08}=");
        let owner = self.settings.email.clone();
        resource["id"] = json!(id);
        if resource["iCalUId"].is_null() {
            resource["iCalUId"] = json!(format!("040000008200E00074C5B7101A82E008{n:016}"));
        }
        if resource["organizer"].is_null() {
            resource["organizer"] = json!({ "emailAddress": { "address": owner, "name": owner } });
        }
        resource["isCancelled"] = resource["isCancelled"].as_bool().unwrap_or(false).into();
        resource["webLink"] = json!(format!("https://outlook.live.com/calendar/item/{id}"));
        resource["type"] = json!("singleInstance");
        let transaction_id = resource["transactionId"].as_str().map(str::to_string);
        self.events.push(StoredEvent {
            id: id.clone(),
            start_ms,
            end_ms,
            transaction_id,
            resource,
        });
        self.changed(FEED, &id, false);
        id
    }
}

fn serve(
    m: &mut MicrosoftState,
    origin: &str,
    mut rows: Vec<Value>,
    size: usize,
    then: CalendarCursor,
) -> Response {
    let base = format!("{origin}/v1.0/me/calendarView/delta");
    let rest = if rows.len() > size {
        rows.split_off(size)
    } else {
        Vec::new()
    };
    let mut body = json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(event)",
        "value": rows,
    });
    let token = m.new_secret(if rest.is_empty() { "cdt" } else { "cst" });
    if rest.is_empty() {
        m.calendar_cursors.insert(token.clone(), then);
        body["@odata.deltaLink"] = json!(format!("{base}?$deltatoken={token}"));
    } else {
        m.calendar_cursors.insert(
            token.clone(),
            CalendarCursor::Rest {
                rows: rest,
                page_size: size,
                then: Box::new(then),
            },
        );
        body["@odata.nextLink"] = json!(format!("{base}?$skiptoken={token}"));
    }
    Json(body).into_response()
}

/// GET /v1.0/me/calendarView/delta.
pub async fn delta(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut world = shared.lock();
    let m = &mut world.microsoft;
    if let Err(r) = admit(m, &headers, &READ_SCOPES) {
        return r;
    }
    let origin = super::mail::origin(&headers);
    let size = super::mail::page_size(&headers);
    let gone = || graph_error(410, "SyncStateNotFound", "The sync state is not found.");
    if let Some(token) = q.get("$skiptoken") {
        return match m.calendar_cursors.get(token).cloned() {
            Some(CalendarCursor::Rest {
                rows,
                page_size,
                then,
            }) => serve(m, &origin, rows, page_size, *then),
            _ => gone(),
        };
    }
    let seq_now = m.seq;
    if let Some(token) = q.get("$deltatoken") {
        let Some(CalendarCursor::Delta {
            start_ms,
            end_ms,
            seq,
        }) = m.calendar_cursors.get(token).cloned()
        else {
            return gone();
        };
        let mut last: Vec<String> = Vec::new();
        for c in m.changes.iter().filter(|c| c.seq > seq && c.folder == FEED) {
            last.retain(|id| id != &c.id);
            last.push(c.id.clone());
        }
        let rows: Vec<Value> = last
            .into_iter()
            .map(|id| match m.events.iter().find(|e| e.id == id) {
                Some(e) if overlaps(e, start_ms, end_ms) => answered(e),
                _ => json!({ "id": id, "@removed": { "reason": "deleted" } }),
            })
            .collect();
        let then = CalendarCursor::Delta {
            start_ms,
            end_ms,
            seq: seq_now,
        };
        return serve(m, &origin, rows, size, then);
    }
    let window = (
        q.get("startDateTime")
            .and_then(|s| crate::wire::parse_utc(s)),
        q.get("endDateTime").and_then(|s| crate::wire::parse_utc(s)),
    );
    let (Some(start_ms), Some(end_ms)) = window else {
        return graph_error(
            400,
            "ErrorInvalidParameter",
            "startDateTime and endDateTime are required in the first request.",
        );
    };
    let mut found: Vec<&StoredEvent> = m
        .events
        .iter()
        .filter(|e| overlaps(e, start_ms, end_ms))
        .collect();
    found.sort_by_key(|e| e.start_ms);
    let rows = found.into_iter().map(answered).collect();
    let then = CalendarCursor::Delta {
        start_ms,
        end_ms,
        seq: seq_now,
    };
    serve(m, &origin, rows, size, then)
}

/// POST /v1.0/me/events.
pub async fn create(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let mut world = shared.lock();
    let m = &mut world.microsoft;
    if let Err(r) = admit(m, &headers, &WRITE_SCOPES) {
        return r;
    }
    if let Some(tx) = body["transactionId"].as_str() {
        if let Some(e) = m
            .events
            .iter()
            .find(|e| e.transaction_id.as_deref() == Some(tx))
        {
            return (StatusCode::CREATED, Json(answered(e))).into_response();
        }
    }
    let (start_ms, end_ms) = match (instant(&body["start"]), instant(&body["end"])) {
        (Ok(s), Ok(e)) => (s, e),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    if end_ms < start_ms {
        return graph_error(400, "ErrorInvalidRequest", "The end is before the start.");
    }
    let id = m.store_event(body, start_ms, end_ms);
    let e = m
        .events
        .iter()
        .find(|e| e.id == id)
        .map(answered)
        .unwrap_or_default();
    (StatusCode::CREATED, Json(e)).into_response()
}

/// PATCH /v1.0/me/events/{id}: the properties given replace the event's.
pub async fn update(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let mut world = shared.lock();
    let m = &mut world.microsoft;
    if let Err(r) = admit(m, &headers, &WRITE_SCOPES) {
        return r;
    }
    let Some(at) = m.events.iter().position(|e| e.id == id) else {
        return not_found();
    };
    let start = match body.get("start").map(instant) {
        Some(Err(r)) => return r,
        Some(Ok(s)) => Some(s),
        None => None,
    };
    let end = match body.get("end").map(instant) {
        Some(Err(r)) => return r,
        Some(Ok(e)) => Some(e),
        None => None,
    };
    let e = &mut m.events[at];
    if let Some(patch) = body.as_object() {
        for (k, v) in patch {
            if k != "id" && k != "iCalUId" && k != "transactionId" {
                e.resource[k] = v.clone();
            }
        }
    }
    e.start_ms = start.unwrap_or(e.start_ms);
    e.end_ms = end.unwrap_or(e.end_ms);
    let answer = answered(e);
    m.changed(FEED, &id, false);
    Json(answer).into_response()
}

/// DELETE /v1.0/me/events/{id}.
pub async fn delete(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut world = shared.lock();
    let m = &mut world.microsoft;
    if let Err(r) = admit(m, &headers, &WRITE_SCOPES) {
        return r;
    }
    let Some(at) = m.events.iter().position(|e| e.id == id) else {
        return not_found();
    };
    m.events.remove(at);
    m.changed(FEED, &id, true);
    StatusCode::NO_CONTENT.into_response()
}

/// Control: an event lands in the calendar (an invitation from a client, say): `{"subject",
/// "start_ms", "end_ms", "organizer", "attendees": […], "ical_uid", "join_url"}`. Answers its id.
pub async fn deliver(State(shared): State<Shared>, Json(body): Json<Value>) -> Response {
    let mut world = shared.lock();
    let m = &mut world.microsoft;
    let who = |a: &str| json!({ "emailAddress": { "address": a, "name": a } });
    let attendees: Vec<Value> = body["attendees"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(|x| json!({ "type": "required", "status": { "response": "none" }, "emailAddress": who(x)["emailAddress"] }))
                .collect()
        })
        .unwrap_or_default();
    let mut resource = json!({
        "subject": body["subject"].as_str().unwrap_or_default(),
        "attendees": attendees,
        "isOnlineMeeting": body["join_url"].is_string(),
        "onlineMeeting": body["join_url"].as_str().map(|u| json!({ "joinUrl": u })),
    });
    if let Some(o) = body["organizer"].as_str() {
        resource["organizer"] = who(o);
    }
    if let Some(uid) = body["ical_uid"].as_str() {
        resource["iCalUId"] = json!(uid);
    }
    let start = body["start_ms"].as_i64().unwrap_or_else(|| m.now_ms());
    let end = body["end_ms"].as_i64().unwrap_or(start + 3_600_000);
    let id = m.store_event(resource, start, end);
    Json(json!({ "id": id })).into_response()
}

/// Control: `{"cancel": true}` cancels it (the organizer called it off), `{"delete": true}`
/// deletes it, `{"start_ms", "end_ms"}` moves it.
pub async fn change(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    let mut world = shared.lock();
    let m = &mut world.microsoft;
    let Some(at) = m.events.iter().position(|e| e.id == id) else {
        return (StatusCode::NOT_FOUND, "no such event").into_response();
    };
    if body["delete"].as_bool() == Some(true) {
        m.events.remove(at);
        m.changed(FEED, &id, true);
        return Json(json!({ "id": id })).into_response();
    }
    let e = &mut m.events[at];
    if body["cancel"].as_bool() == Some(true) {
        e.resource["isCancelled"] = json!(true);
    }
    e.start_ms = body["start_ms"].as_i64().unwrap_or(e.start_ms);
    e.end_ms = body["end_ms"].as_i64().unwrap_or(e.end_ms);
    m.changed(FEED, &id, false);
    Json(json!({ "id": id })).into_response()
}
