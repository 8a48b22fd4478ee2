//! HubSpot CRM objects (companies, contacts, deals), written from HubSpot's pages:
//! - Records (…/2026-03/crm/objects/companies and contacts guides): `{id, properties, createdAt,
//!   updatedAt, archived}`, every property value a string; a property asked for and not set is
//!   `null`. Without `properties` an answer carries the type's default properties (contacts:
//!   `createdate, email, firstname, hs_object_id, lastmodifieddate, lastname`; search page).
//! - List: `GET /crm/objects/2026-03/{type}?limit=≤100&after=&properties=a,b&archived=false` →
//!   `{results, paging:{next:{after, link}}}`, no `paging` on the last page.
//! - Search (…/2026-03/crm/search-the-crm): `POST …/{type}/search` with `filterGroups` (ORed; the
//!   filters in one ANDed), `sorts`, `properties`, `limit` ≤ 200, `after`; operators `EQ, NEQ,
//!   GT, GTE, LT, LTE, IN, NOT_IN, HAS_PROPERTY, NOT_HAS_PROPERTY`; datetimes compare as instants
//!   (epoch ms or ISO-8601); at most 10,000 results per query: paging past them is a 400.
//!   Answers `{total, results, paging}`.
//! - Batches: `batch.rs`.
//! - Associations (…/latest/crm/associations/associate-records/batch/get-associations):
//!   `POST /crm/associations/2026-03/{from}/{to}/batch/read` `{inputs:[{id}]}` →
//!   `{results:[{from:{id}, to:[{toObjectId, associationTypes:[{category, typeId, label}]}]}]}`;
//!   at most 1,000 ids a request (changelog "Bug Fix: Batch Read Limit for HubSpot Associations
//!   API", effective 2025-02-10).
//!
//! Assumptions (not on the pages read): records list in id order, and search too unless sorted;
//! `after` of a search is the offset; an id with no associations is left out of the answer; string `EQ`
//! ignores case.

use std::collections::BTreeMap;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use cremmy_protocol::provider_versions::HUBSPOT as VERSION;
use serde_json::{json, Value};

use super::seed::{properties_of, PropertyDef};
use super::{admit, error, HubSpotState, Record};
use crate::state::Shared;

const SEARCH_CAP: usize = 10_000;

fn default_properties(object_type: &str) -> &'static [&'static str] {
    match object_type {
        "contacts" => &[
            "createdate",
            "email",
            "firstname",
            "hs_object_id",
            "lastmodifieddate",
            "lastname",
        ],
        "companies" => &[
            "createdate",
            "domain",
            "hs_lastmodifieddate",
            "hs_object_id",
            "name",
        ],
        _ => &[
            "amount",
            "closedate",
            "createdate",
            "dealname",
            "dealstage",
            "hs_lastmodifieddate",
            "hs_object_id",
            "pipeline",
        ],
    }
}

/// A record as HubSpot answers it, with `asked` properties (or the defaults).
pub fn render(object_type: &str, record: &Record, asked: &[String]) -> Value {
    let mut properties = serde_json::Map::new();
    let names: Vec<String> = if asked.is_empty() {
        default_properties(object_type)
            .iter()
            .map(|s| s.to_string())
            .collect()
    } else {
        asked.to_vec()
    };
    for name in names {
        let value = record
            .properties
            .get(&name)
            .map_or(Value::Null, |v| json!(v));
        properties.insert(name, value);
    }
    json!({
        "id": record.id.to_string(),
        "properties": properties,
        "createdAt": crate::rfc3339(record.created_at),
        "updatedAt": crate::rfc3339(record.updated_at),
        "archived": record.archived,
    })
}

fn known_type(object_type: &str) -> Result<(), Response> {
    match properties_of(object_type) {
        Some(_) => Ok(()),
        None => Err(error(
            400,
            "VALIDATION_ERROR",
            &format!("Unable to infer object type from: {object_type}"),
        )),
    }
}

/// The token, the limits and the object type of a request on `object_type`.
pub(super) fn admit_on(
    s: &mut HubSpotState,
    headers: &HeaderMap,
    object_type: &str,
    search: bool,
) -> Result<super::Admitted, Response> {
    let admitted = admit(s, headers, search)?;
    known_type(object_type)?;
    Ok(admitted)
}

fn query_params(raw: &Option<String>) -> Vec<(String, String)> {
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

pub async fn list(
    State(shared): State<Shared>,
    Path(object_type): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let mut world = shared.lock();
    let s = &mut world.hubspot;
    let admitted = match admit_on(s, &headers, &object_type, false) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let params = query_params(&raw);
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let limit = get("limit")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(10);
    if limit == 0 || limit > 100 {
        return error(400, "VALIDATION_ERROR", "limit must be between 1 and 100");
    }
    let after: u64 = get("after").and_then(|v| v.parse().ok()).unwrap_or(0);
    let archived = get("archived") == Some("true");
    let asked: Vec<String> = params
        .iter()
        .filter(|(k, _)| k == "properties")
        .flat_map(|(_, v)| v.split(',').map(str::to_string))
        .filter(|p| !p.is_empty())
        .collect();
    let empty = BTreeMap::new();
    let records = s.records.get(&object_type).unwrap_or(&empty);
    let mut page: Vec<&Record> = records
        .range(after..)
        .map(|(_, r)| r)
        .filter(|r| r.archived == archived)
        .take(limit + 1)
        .collect();
    let next = (page.len() > limit)
        .then(|| page.pop().map(|r| r.id))
        .flatten();
    let results: Vec<Value> = page
        .iter()
        .map(|r| render(&object_type, r, &asked))
        .collect();
    let mut body = json!({ "results": results });
    if let Some(next) = next {
        body["paging"] = json!({ "next": {
            "after": next.to_string(),
            "link": format!("https://api.hubapi.com/crm/objects/{VERSION}/{object_type}?after={next}"),
        }});
    }
    admitted.answer(StatusCode::OK, body)
}

pub(super) fn def_of(object_type: &str, name: &str) -> Option<&'static PropertyDef> {
    properties_of(object_type)?.iter().find(|d| d.name == name)
}

/// An instant from a filter or a stored datetime: epoch ms, or ISO-8601.
pub(super) fn instant(text: &str) -> Option<i64> {
    text.parse::<i64>()
        .ok()
        .or_else(|| crate::wire::parse_utc(text))
}

fn compare(
    object_type: &str,
    property: &str,
    stored: &str,
    value: &str,
) -> Option<std::cmp::Ordering> {
    match def_of(object_type, property).map(|d| d.kind) {
        Some("datetime") | Some("date") => Some(instant(stored)?.cmp(&instant(value)?)),
        Some("number") => stored
            .parse::<f64>()
            .ok()?
            .partial_cmp(&value.parse::<f64>().ok()?),
        _ => Some(stored.to_lowercase().cmp(&value.to_lowercase())),
    }
}

fn matches_filter(object_type: &str, record: &Record, filter: &Value) -> Result<bool, String> {
    let name = filter["propertyName"].as_str().unwrap_or("");
    let op = filter["operator"].as_str().unwrap_or("EQ");
    let stored = record.properties.get(name);
    let value = filter["value"]
        .as_str()
        .map(str::to_string)
        .or_else(|| filter["value"].as_i64().map(|n| n.to_string()));
    let values: Vec<String> = filter["values"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    use std::cmp::Ordering::*;
    let cmp = |v: &str| stored.and_then(|s| compare(object_type, name, s, v));
    Ok(match op {
        "HAS_PROPERTY" => stored.is_some(),
        "NOT_HAS_PROPERTY" => stored.is_none(),
        "IN" => values.iter().any(|v| cmp(v) == Some(Equal)),
        "NOT_IN" => !values.iter().any(|v| cmp(v) == Some(Equal)),
        _ => {
            let v = value.ok_or_else(|| format!("filter on {name} has no value"))?;
            let c = cmp(&v);
            match op {
                "EQ" => c == Some(Equal),
                "NEQ" => c != Some(Equal),
                "GT" => c == Some(Greater),
                "GTE" => matches!(c, Some(Greater | Equal)),
                "LT" => c == Some(Less),
                "LTE" => matches!(c, Some(Less | Equal)),
                other => return Err(format!("operator {other} is not supported")),
            }
        }
    })
}

pub async fn search(
    State(shared): State<Shared>,
    Path(object_type): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let mut world = shared.lock();
    let s = &mut world.hubspot;
    let admitted = match admit_on(s, &headers, &object_type, true) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let limit = body["limit"].as_u64().unwrap_or(10) as usize;
    if limit > 200 {
        return error(400, "VALIDATION_ERROR", "limit must be at most 200");
    }
    let offset: usize = match &body["after"] {
        Value::String(a) => a.parse().unwrap_or(0),
        Value::Number(n) => n.as_u64().unwrap_or(0) as usize,
        _ => 0,
    };
    if offset >= SEARCH_CAP {
        return error(
            400,
            "VALIDATION_ERROR",
            "There was a problem with the request. Search results are limited to 10,000; narrow the filters.",
        );
    }
    let groups: Vec<Value> = body["filterGroups"].as_array().cloned().unwrap_or_default();
    let empty = BTreeMap::new();
    let records = s.records.get(&object_type).unwrap_or(&empty);
    let mut hits: Vec<&Record> = Vec::new();
    for r in records.values().filter(|r| !r.archived) {
        let mut any = groups.is_empty();
        for g in &groups {
            let mut all = true;
            for f in g["filters"].as_array().into_iter().flatten() {
                match matches_filter(&object_type, r, f) {
                    Ok(ok) => all &= ok,
                    Err(message) => return error(400, "VALIDATION_ERROR", &message),
                }
            }
            any |= all;
        }
        if any {
            hits.push(r);
        }
    }
    for sort in body["sorts"].as_array().into_iter().flatten().rev() {
        let (name, descending) = match sort {
            Value::String(s) => (s.trim_start_matches('-').to_string(), s.starts_with('-')),
            v => (
                v["propertyName"].as_str().unwrap_or("").to_string(),
                v["direction"].as_str() == Some("DESCENDING"),
            ),
        };
        hits.sort_by(|a, b| {
            let (x, y) = (a.properties.get(&name), b.properties.get(&name));
            let order = match (x, y) {
                (Some(x), Some(y)) => {
                    compare(&object_type, &name, x, y).unwrap_or(std::cmp::Ordering::Equal)
                }
                (x, y) => x.is_some().cmp(&y.is_some()),
            };
            if descending {
                order.reverse()
            } else {
                order
            }
        });
    }
    let asked: Vec<String> = body["properties"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let total = hits.len();
    let end = (offset + limit).min(total);
    let results: Vec<Value> = hits
        .get(offset..end)
        .unwrap_or(&[])
        .iter()
        .map(|r| render(&object_type, r, &asked))
        .collect();
    let mut answer = json!({ "total": total, "results": results });
    if end < total {
        answer["paging"] = json!({ "next": { "after": end.to_string() } });
    }
    admitted.answer(StatusCode::OK, answer)
}

pub(super) fn id_in(input: &Value) -> Option<u64> {
    match &input["id"] {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

pub async fn associations_read(
    State(shared): State<Shared>,
    Path((from, to)): Path<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let mut world = shared.lock();
    let s = &mut world.hubspot;
    let admitted = match admit(s, &headers, false) {
        Ok(a) => a,
        Err(r) => return r,
    };
    if known_type(&from).and(known_type(&to)).is_err() {
        return error(400, "VALIDATION_ERROR", "Unknown object type.");
    }
    let inputs: Vec<Value> = body["inputs"].as_array().cloned().unwrap_or_default();
    if inputs.len() > 1000 {
        return error(
            400,
            "VALIDATION_ERROR",
            "Batch read is limited to 1,000 inputs.",
        );
    }
    let mut results = Vec::new();
    for input in &inputs {
        let Some(id) = id_in(input) else { continue };
        let to_rows: Vec<Value> = s
            .associated(&from, id, &to)
            .into_iter()
            .map(|(tid, type_id)| json!({
                "toObjectId": tid,
                "associationTypes": [{ "category": "HUBSPOT_DEFINED", "typeId": type_id, "label": null }],
            }))
            .collect();
        if !to_rows.is_empty() {
            results.push(json!({ "from": { "id": id.to_string() }, "to": to_rows }));
        }
    }
    admitted.answer(
        StatusCode::OK,
        json!({ "status": "COMPLETE", "results": results }),
    )
}
