//! Persons, organizations and deals as Pipedrive's API v2 serves them, written from the official
//! clients' v2 references (github pipedrive/client-php `docs/versions/v2/Api/{Persons,
//! Organizations,Deals}Api.md` and `Model/{PersonItem,OrganizationItem,DealItem}.md`) and
//! pipedrive.readme.io/docs/core-api-concepts-pagination:
//! - List: `GET /api/v2/{persons|organizations|deals}` with `ids` (comma-separated, at most 100;
//!   missing ones left out), `owner_id`, `org_id`/`person_id`, deals' `status`
//!   (`open,won,lost,deleted`, comma-separated; omitted: every deal not deleted),
//!   `updated_since` (`update_time` ≥, RFC 3339) and `updated_until` (<), `sort_by`
//!   (`id|update_time|add_time`, default `id`), `sort_direction` (`asc|desc`), `limit` (default
//!   100, at most 500) and `cursor` → `{"success":true,"data":[…],"additional_data":
//!   {"next_cursor": "…" | null}}`.
//! - One: `GET /api/v2/{type}/{id}` → `{"success":true,"data":{…}}`; a missing one is 404.
//! - Update: `PATCH /api/v2/{type}/{id}` with the fields to change → the entity.
//! - Person: `id, name, first_name, last_name, owner_id, org_id, add_time, update_time,
//!   emails:[{value, primary, label}], phones:[…], is_deleted, visible_to, label_ids, job_title,
//!   custom_fields`. Organization: `id, name, owner_id, add_time, update_time, is_deleted,
//!   visible_to, address, label_ids, custom_fields`. Deal: `id, title, owner_id, person_id,
//!   org_id, pipeline_id, stage_id, value, currency, add_time, update_time, stage_change_time,
//!   is_deleted, is_archived, status, probability, lost_reason, visible_to, close_time, won_time,
//!   lost_time, expected_close_date, label_ids, custom_fields`.
//!
//! Assumptions: the cursor is this sandbox's own opaque text (a position in the sorted list).

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use base64::Engine;
use serde_json::{json, Value};

use super::{admit, error, parse_time, query_params, ENTITY_TYPES};
use crate::state::Shared;

const MAX_LIMIT: usize = 500;
const MAX_IDS: usize = 100;

/// A new entity of `kind` with every v2 field at its default.
pub fn blank(kind: &str, id: u64, now: &str) -> Value {
    match kind {
        "persons" => json!({
            "id": id, "name": "", "first_name": null, "last_name": null, "owner_id": 1,
            "org_id": null, "add_time": now, "update_time": now, "emails": [], "phones": [],
            "is_deleted": false, "visible_to": 3, "label_ids": [], "picture_id": null,
            "job_title": null, "custom_fields": {},
        }),
        "organizations" => json!({
            "id": id, "name": "", "owner_id": 1, "add_time": now, "update_time": now,
            "is_deleted": false, "visible_to": 3, "address": null, "label_ids": [],
            "custom_fields": {},
        }),
        _ => json!({
            "id": id, "title": "", "owner_id": 1, "person_id": null, "org_id": null,
            "pipeline_id": 1, "stage_id": 1, "value": 0, "currency": "GBP", "add_time": now,
            "update_time": now, "stage_change_time": null, "is_deleted": false,
            "is_archived": false, "status": "open", "probability": null, "lost_reason": null,
            "visible_to": 3, "close_time": null, "won_time": null, "lost_time": null,
            "expected_close_date": null, "label_ids": [], "custom_fields": {},
        }),
    }
}

/// The fields Pipedrive keeps from others: a person's first and last name from `name`, a deal's
/// close and won/lost times from its status.
pub fn derive(kind: &str, entity: &mut Value) {
    match kind {
        "persons" => {
            let name = entity["name"].as_str().unwrap_or("").to_string();
            let (first, last) = name.split_once(' ').unwrap_or((&name, ""));
            entity["first_name"] = json!(first);
            entity["last_name"] = if last.is_empty() {
                Value::Null
            } else {
                json!(last)
            };
        }
        "deals" => {
            let at = entity["update_time"].clone();
            match entity["status"].as_str() {
                Some("won") if entity["won_time"].is_null() => {
                    entity["won_time"] = at.clone();
                    entity["close_time"] = at;
                }
                Some("lost") if entity["lost_time"].is_null() => {
                    entity["lost_time"] = at.clone();
                    entity["close_time"] = at;
                }
                _ => {}
            }
        }
        _ => {}
    }
}

fn cursor_of(position: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("sandbox:{position}"))
}

fn position_of(cursor: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("sandbox:")?
        .parse()
        .ok()
}

fn known(kind: &str) -> Result<(), Response> {
    if ENTITY_TYPES.contains(&kind) {
        Ok(())
    } else {
        Err(error(404, "Unknown method ."))
    }
}

pub async fn list(
    State(shared): State<Shared>,
    Path(kind): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let mut world = shared.lock();
    let s = &mut world.pipedrive;
    let params = query_params(&raw);
    let admitted = match admit(s, &headers, &params) {
        Ok(a) => a,
        Err(r) => return r,
    };
    if let Err(r) = known(&kind) {
        return r;
    }
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let limit = match get("limit").map(str::parse::<usize>) {
        None => 100,
        Some(Ok(n)) if (1..=MAX_LIMIT).contains(&n) => n,
        Some(_) => {
            return error(
                400,
                "Validation failed: limit: must be an integer from 1 to 500",
            )
        }
    };
    let ids: Option<Vec<u64>> =
        get("ids").map(|v| v.split(',').filter_map(|i| i.trim().parse().ok()).collect());
    if ids.as_ref().is_some_and(|i| i.len() > MAX_IDS) {
        return error(
            400,
            "Validation failed: ids: must contain at most 100 items",
        );
    }
    let mut since = None;
    let mut until = None;
    for (name, slot) in [("updated_since", &mut since), ("updated_until", &mut until)] {
        if let Some(v) = get(name) {
            match parse_time(v) {
                Some(t) => *slot = Some(t),
                None => {
                    return error(
                        400,
                        &format!(
                            "Validation failed: {name}: must be a date-time in RFC3339 format"
                        ),
                    )
                }
            }
        }
    }
    let statuses: Vec<&str> = match get("status") {
        Some(v) if kind == "deals" => v.split(',').map(str::trim).collect(),
        _ => vec![],
    };
    let sort_by = get("sort_by").unwrap_or("id");
    if !["id", "update_time", "add_time"].contains(&sort_by) {
        return error(
            400,
            "Validation failed: sort_by: must be one of id, update_time, add_time",
        );
    }
    let descending = match get("sort_direction").unwrap_or("asc") {
        "asc" => false,
        "desc" => true,
        _ => {
            return error(
                400,
                "Validation failed: sort_direction: must be one of asc, desc",
            )
        }
    };
    let filter_int = |field: &str| get(field).and_then(|v| v.parse::<u64>().ok());
    let (org, person, owner) = (
        filter_int("org_id"),
        filter_int("person_id"),
        filter_int("owner_id"),
    );
    let mut rows: Vec<&Value> = s
        .entities
        .get(&kind)
        .into_iter()
        .flat_map(|m| m.values())
        .filter(|e| {
            let deleted = e["is_deleted"].as_bool() == Some(true);
            let status_ok = if kind == "deals" && !statuses.is_empty() {
                let status = if deleted {
                    "deleted"
                } else {
                    e["status"].as_str().unwrap_or("")
                };
                statuses.contains(&status)
            } else {
                !deleted
            };
            let updated = e["update_time"].as_str().and_then(parse_time).unwrap_or(0);
            status_ok
                && ids
                    .as_ref()
                    .is_none_or(|ids| ids.contains(&e["id"].as_u64().unwrap_or(0)))
                && since.is_none_or(|t| updated >= t)
                && until.is_none_or(|t| updated < t)
                && org.is_none_or(|o| e["org_id"].as_u64() == Some(o))
                && person.is_none_or(|p| e["person_id"].as_u64() == Some(p))
                && owner.is_none_or(|o| e["owner_id"].as_u64() == Some(o))
        })
        .collect();
    let key = |e: &Value| -> (i64, u64) {
        let id = e["id"].as_u64().unwrap_or(0);
        match sort_by {
            "id" => (0, id),
            field => (e[field].as_str().and_then(parse_time).unwrap_or(0), id),
        }
    };
    rows.sort_by_key(|e| key(e));
    if descending {
        rows.reverse();
    }
    let start = match get("cursor") {
        None | Some("") => 0,
        Some(c) => match position_of(c) {
            Some(p) => p,
            None => return error(400, "Validation failed: cursor: invalid cursor"),
        },
    };
    let page: Vec<Value> = rows
        .iter()
        .skip(start)
        .take(limit)
        .map(|e| (*e).clone())
        .collect();
    let next = (start + limit < rows.len()).then(|| cursor_of(start + limit));
    admitted.answer(
        StatusCode::OK,
        json!({ "success": true, "data": page, "additional_data": { "next_cursor": next } }),
    )
}

pub async fn get_one(
    State(shared): State<Shared>,
    Path((kind, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let mut world = shared.lock();
    let s = &mut world.pipedrive;
    let admitted = match admit(s, &headers, &query_params(&raw)) {
        Ok(a) => a,
        Err(r) => return r,
    };
    if let Err(r) = known(&kind) {
        return r;
    }
    let found = id
        .parse::<u64>()
        .ok()
        .and_then(|id| s.entities.get(&kind)?.get(&id))
        .filter(|e| e["is_deleted"].as_bool() != Some(true));
    match found {
        Some(e) => admitted.answer(StatusCode::OK, json!({ "success": true, "data": e })),
        None => error(404, &format!("{} not found", singular(&kind))),
    }
}

fn singular(kind: &str) -> &'static str {
    match kind {
        "persons" => "Person",
        "organizations" => "Organization",
        _ => "Deal",
    }
}

/// Checks a PATCH body against the v2 field types; `Err` names the first field that fails.
fn validate(
    kind: &str,
    body: &serde_json::Map<String, Value>,
    s: &super::PipedriveState,
) -> Result<(), String> {
    let exists = |k: &str, v: &Value| {
        v.is_null()
            || v.as_u64()
                .is_some_and(|id| s.entities.get(k).is_some_and(|m| m.contains_key(&id)))
    };
    for (field, v) in body {
        let ok = match (kind, field.as_str()) {
            (_, "owner_id" | "visible_to") => v.is_u64(),
            (_, "label_ids") => v.is_array(),
            (_, "custom_fields") => v.is_object(),
            ("persons", "name") | ("organizations", "name") | ("deals", "title") => {
                v.as_str().is_some_and(|t| !t.trim().is_empty())
            }
            ("persons", "job_title") => v.is_string() || v.is_null(),
            ("persons", "emails" | "phones") => v.as_array().is_some_and(|items| {
                items.iter().all(|i| {
                    i["value"].is_string()
                        && (i["primary"].is_null() || i["primary"].is_boolean())
                        && (i["label"].is_null() || i["label"].is_string())
                })
            }),
            ("persons" | "deals", "org_id") => exists("organizations", v),
            ("deals", "person_id") => exists("persons", v),
            ("deals", "value") => v.is_number(),
            ("deals", "currency") => v.as_str().is_some_and(|c| c.len() == 3),
            ("deals", "status") => matches!(v.as_str(), Some("open" | "won" | "lost")),
            ("deals", "stage_id" | "pipeline_id") => v.is_u64(),
            _ => return Err(format!("{field}: unknown field")),
        };
        if !ok {
            return Err(format!("{field}: invalid value {v}"));
        }
    }
    Ok(())
}

pub async fn patch(
    State(shared): State<Shared>,
    Path((kind, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Option<Json<Value>>,
) -> Response {
    let mut world = shared.lock();
    let s = &mut world.pipedrive;
    let admitted = match admit(s, &headers, &query_params(&raw)) {
        Ok(a) => a,
        Err(r) => return r,
    };
    if let Err(r) = known(&kind) {
        return r;
    }
    let Some(fields) = body.and_then(|Json(b)| b.as_object().cloned()) else {
        return error(400, "Validation failed: the body must be a JSON object");
    };
    let Some(id) = id.parse::<u64>().ok().filter(|id| {
        s.entities
            .get(&kind)
            .and_then(|m| m.get(id))
            .is_some_and(|e| e["is_deleted"].as_bool() != Some(true))
    }) else {
        return error(404, &format!("{} not found", singular(&kind)));
    };
    if let Err(why) = validate(&kind, &fields, s) {
        return error(400, &format!("Validation failed: {why}"));
    }
    match s.update(&kind, id, &fields) {
        Some(e) => admitted.answer(StatusCode::OK, json!({ "success": true, "data": e })),
        None => error(404, &format!("{} not found", singular(&kind))),
    }
}
