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
//! - Batches (…/2026-03/crm/objects/…/batch/{read,create,update,upsert,archive}): `{inputs}` of
//!   at most 100, answered `{status:"COMPLETE", results, startedAt, completedAt}`; ids not found
//!   make a 207 with `errors:[{status, category:"OBJECT_NOT_FOUND", message, context:{ids}}]` and
//!   `numErrors`. Create takes `associations:[{to:{id}, types:[{associationCategory,
//!   associationTypeId}]}]`; upsert takes `idProperty` (a unique property such as `email`) and
//!   answers `results[].new`. A contact's email is unique: creating another is a 409 `CONFLICT`
//!   "Contact already exists. Existing ID: …". A property that does not exist or is read-only,
//!   or a value its type refuses, is a 400 `VALIDATION_ERROR` "Property values were not valid".
//! - Associations (…/latest/crm/associations/associate-records/batch/get-associations):
//!   `POST /crm/associations/2026-03/{from}/{to}/batch/read` `{inputs:[{id}]}` →
//!   `{results:[{from:{id}, to:[{toObjectId, associationTypes:[{category, typeId, label}]}]}]}`;
//!   at most 1,000 ids a request (changelog "Bug Fix: Batch Read Limit for HubSpot Associations
//!   API", effective 2025-02-10).
//!
//! Assumptions (not on the pages read): records list in id order, and search too unless sorted;
//! `after` of a search is the offset; an id with no associations is left out of the answer; a
//! batch with an invalid property writes nothing; string `EQ` ignores case.

use std::collections::BTreeMap;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use cremmy_protocol::provider_versions::HUBSPOT as VERSION;
use serde_json::{json, Value};

use super::seed::{properties_of, PropertyDef, DEAL_STAGES};
use super::{admit, error, HubSpotState, Record};
use crate::state::Shared;

const SEARCH_CAP: usize = 10_000;
const BATCH_MAX: usize = 100;

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
fn admit_on(
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

fn def_of(object_type: &str, name: &str) -> Option<&'static PropertyDef> {
    properties_of(object_type)?.iter().find(|d| d.name == name)
}

/// An instant from a filter or a stored datetime: epoch ms, or ISO-8601.
fn instant(text: &str) -> Option<i64> {
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

/// Checks properties to write: each exists, is writable, and its value fits its type.
fn invalid_properties(object_type: &str, properties: &BTreeMap<String, String>) -> Vec<Value> {
    let mut problems = Vec::new();
    for (name, value) in properties {
        let problem = match def_of(object_type, name) {
            None => Some((
                "PROPERTY_DOESNT_EXIST",
                format!("Property \"{name}\" does not exist"),
            )),
            Some(d) if d.read_only => Some((
                "READ_ONLY_VALUE",
                format!("\"{name}\" is a read only property; its value cannot be set."),
            )),
            Some(_) if value.is_empty() => None,
            Some(d) if d.kind == "number" && value.parse::<f64>().is_err() => {
                Some(("INVALID_FLOAT", format!("{value} was not a valid number.")))
            }
            Some(d) if (d.kind == "datetime" || d.kind == "date") && instant(value).is_none() => {
                Some(("INVALID_DATE", format!("{value} was not a valid date.")))
            }
            Some(d) if d.name == "dealstage" && !DEAL_STAGES.iter().any(|(id, ..)| id == value) => {
                Some((
                    "INVALID_OPTION",
                    format!("{value} was not one of the allowed options"),
                ))
            }
            Some(_) => None,
        };
        if let Some((code, message)) = problem {
            problems
                .push(json!({ "isValid": false, "message": message, "error": code, "name": name }));
        }
    }
    problems
}

fn properties_in(input: &Value) -> BTreeMap<String, String> {
    input["properties"]
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| {
                    let text = match v {
                        Value::String(s) => s.clone(),
                        Value::Null => String::new(),
                        other => other.to_string(),
                    };
                    (k.clone(), text)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn id_in(input: &Value) -> Option<u64> {
    match &input["id"] {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

/// The object type an association type id leads to from `from`.
fn association_target(from: &str, type_id: u64) -> Option<&'static str> {
    ["companies", "contacts", "deals"]
        .into_iter()
        .find(|to| super::association_types(from, to).0 as u64 == type_id)
}

pub async fn batch(
    State(shared): State<Shared>,
    Path((object_type, action)): Path<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let mut world = shared.lock();
    let s = &mut world.hubspot;
    let admitted = match admit_on(s, &headers, &object_type, false) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let inputs: Vec<Value> = body["inputs"].as_array().cloned().unwrap_or_default();
    if inputs.len() > BATCH_MAX {
        return error(
            400,
            "VALIDATION_ERROR",
            "Batch operations are limited to 100 records.",
        );
    }
    let started = crate::rfc3339(s.now());
    let asked: Vec<String> = body["properties"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    // Validate every input before writing any.
    if matches!(action.as_str(), "create" | "update" | "upsert") {
        let problems: Vec<Value> = inputs
            .iter()
            .flat_map(|i| invalid_properties(&object_type, &properties_in(i)))
            .collect();
        if !problems.is_empty() {
            return error(
                400,
                "VALIDATION_ERROR",
                &format!("Property values were not valid: {}", Value::Array(problems)),
            );
        }
    }
    let mut results = Vec::new();
    let mut missing = Vec::new();
    let status = match action.as_str() {
        "read" => {
            for input in &inputs {
                match id_in(input).and_then(|id| s.records.get(&object_type)?.get(&id)) {
                    Some(r) if !r.archived => results.push(render(&object_type, r, &asked)),
                    _ => missing.push(input["id"].clone()),
                }
            }
            StatusCode::OK
        }
        "create" => {
            if object_type == "contacts" {
                for input in &inputs {
                    let email = properties_in(input).get("email").map(|e| e.to_lowercase());
                    if let Some(existing) = email.and_then(|e| contact_by_email(s, &e)) {
                        return error(
                            409,
                            "CONFLICT",
                            &format!("Contact already exists. Existing ID: {existing}"),
                        );
                    }
                }
            }
            for input in &inputs {
                let id = s.insert(&object_type, properties_in(input));
                for a in input["associations"].as_array().into_iter().flatten() {
                    let to_id = id_in(&a["to"]);
                    let type_id = a["types"][0]["associationTypeId"].as_u64().unwrap_or(0);
                    if let (Some(to_id), Some(to)) =
                        (to_id, association_target(&object_type, type_id))
                    {
                        s.associate(&object_type, id, to, to_id);
                    }
                }
                results.push(render(&object_type, &s.records[&object_type][&id], &[]));
            }
            StatusCode::CREATED
        }
        "update" => {
            for input in &inputs {
                match id_in(input)
                    .and_then(|id| s.update(&object_type, id, &properties_in(input)).cloned())
                {
                    Some(r) => {
                        let names: Vec<String> = properties_in(input).into_keys().collect();
                        results.push(render(&object_type, &r, &names));
                    }
                    None => missing.push(input["id"].clone()),
                }
            }
            StatusCode::OK
        }
        "upsert" => {
            for input in &inputs {
                let key = input["idProperty"].as_str().unwrap_or("hs_object_id");
                let value = input["id"].as_str().unwrap_or("").to_string();
                let existing = s.records.get(&object_type).and_then(|rs| {
                    rs.values()
                        .find(|r| {
                            !r.archived
                                && r.properties
                                    .get(key)
                                    .is_some_and(|v| v.eq_ignore_ascii_case(&value))
                        })
                        .map(|r| r.id)
                });
                let mut properties = properties_in(input);
                let (id, new) = match existing {
                    Some(id) => {
                        s.update(&object_type, id, &properties);
                        (id, false)
                    }
                    None => {
                        if key != "hs_object_id" {
                            properties.insert(key.to_string(), value.clone());
                        }
                        (s.insert(&object_type, properties), true)
                    }
                };
                let mut rendered = render(&object_type, &s.records[&object_type][&id], &[]);
                rendered["new"] = json!(new);
                results.push(rendered);
            }
            StatusCode::OK
        }
        "archive" => {
            let now = s.now();
            for input in &inputs {
                if let Some(r) =
                    id_in(input).and_then(|id| s.records.get_mut(&object_type)?.get_mut(&id))
                {
                    r.archived = true;
                    r.updated_at = now;
                }
            }
            return admitted.answer(StatusCode::NO_CONTENT, Value::Null);
        }
        other => return error(404, "OBJECT_NOT_FOUND", &format!("no batch action {other}")),
    };
    let mut answer = json!({
        "status": "COMPLETE",
        "results": results,
        "startedAt": started,
        "completedAt": crate::rfc3339(s.now()),
    });
    if !missing.is_empty() {
        answer["numErrors"] = json!(1);
        answer["errors"] = json!([{
            "status": "error",
            "category": "OBJECT_NOT_FOUND",
            "message": format!("Could not get some {object_type} objects, they may be deleted or not exist. Check that ids are valid."),
            "context": { "ids": missing },
        }]);
        return admitted.answer(StatusCode::MULTI_STATUS, answer);
    }
    admitted.answer(status, answer)
}

pub fn contact_by_email(s: &HubSpotState, email: &str) -> Option<u64> {
    s.records.get("contacts")?.values().find_map(|r| {
        (!r.archived
            && r.properties
                .get("email")
                .is_some_and(|e| e.eq_ignore_ascii_case(email)))
        .then_some(r.id)
    })
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
