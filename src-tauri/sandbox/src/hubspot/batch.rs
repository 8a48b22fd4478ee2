//! HubSpot's batch endpoints for CRM objects, written from HubSpot's pages:
//! - Batches (…/2026-03/crm/objects/…/batch/{read,create,update,upsert,archive}): `{inputs}` of
//!   at most 100, answered `{status:"COMPLETE", results, startedAt, completedAt}`; ids not found
//!   make a 207 with `errors:[{status, category:"OBJECT_NOT_FOUND", message, context:{ids}}]` and
//!   `numErrors`. Create takes `associations:[{to:{id}, types:[{associationCategory,
//!   associationTypeId}]}]`; upsert takes `idProperty` (a unique property such as `email`) and
//!   answers `results[].new`. A contact's email is unique: creating another is a 409 `CONFLICT`
//!   "Contact already exists. Existing ID: …". A property that does not exist or is read-only,
//!   or a value its type refuses, is a 400 `VALIDATION_ERROR` "Property values were not valid".
//!
//! Assumption (not on the pages read): a batch with an invalid property writes nothing.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use serde_json::{json, Value};

use super::objects::{admit_on, def_of, id_in, instant, render};
use super::seed::DEAL_STAGES;
use super::{error, HubSpotState};
use crate::state::Shared;

const BATCH_MAX: usize = 100;

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
