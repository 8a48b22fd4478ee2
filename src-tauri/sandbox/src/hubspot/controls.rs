//! The sandbox's own HubSpot controls (`/_sandbox/hubspot…`, not HubSpot's API): what the account
//! holds, its clock, tokens and limits, and what a person does in HubSpot's own screens (adds or
//! edits a record), plus many won customers at once for the benchmark.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

use super::seed::props;
use super::HubSpotSettings;
use crate::state::Shared;

pub async fn snapshot(State(shared): State<Shared>) -> Json<Value> {
    let mut world = shared.lock();
    let s = &mut world.hubspot;
    s.ensure_seeded();
    let mut records = serde_json::Map::new();
    for (object_type, rows) in &s.records {
        let rows: Vec<Value> = rows
            .values()
            .map(|r| {
                json!({
                    "id": r.id.to_string(),
                    "properties": r.properties,
                    "updatedAt": r.updated_at,
                    "archived": r.archived,
                })
            })
            .collect();
        records.insert(object_type.clone(), json!(rows));
    }
    let associations: Vec<Value> = s
        .associations
        .iter()
        .map(|(f, fid, t, tid, type_id)| json!([f, fid.to_string(), t, tid.to_string(), type_id]))
        .collect();
    Json(json!({
        "now": s.now(),
        "settings": s.settings,
        "records": records,
        "associations": associations,
    }))
}

/// `{"now": unix ms, "settings": {...}, "documented_limits": true}`, each optional.
pub async fn configure(State(shared): State<Shared>, Json(body): Json<Value>) -> Json<Value> {
    let mut world = shared.lock();
    let s = &mut world.hubspot;
    // The clock first: a new account is seeded at the time asked for.
    if let Some(now) = body["now"].as_i64() {
        s.now = Some(now);
    }
    s.ensure_seeded();
    if let Ok(settings) = serde_json::from_value::<HubSpotSettings>(body["settings"].clone()) {
        s.settings = settings;
    }
    if body["documented_limits"].as_bool() == Some(true) {
        s.settings = s.settings.clone().with_documented_limits();
    }
    Json(json!({ "now": s.now(), "settings": s.settings }))
}

fn strings(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().map_or_else(|| v.to_string(), str::to_string),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A record added in HubSpot: `{"properties": {...}, "associations": [["companies", "1001"]]}`.
pub async fn create_record(
    State(shared): State<Shared>,
    Path(object_type): Path<String>,
    Json(body): Json<Value>,
) -> Json<Value> {
    let mut world = shared.lock();
    let s = &mut world.hubspot;
    s.ensure_seeded();
    let id = s.insert(&object_type, strings(&body["properties"]));
    for pair in body["associations"].as_array().into_iter().flatten() {
        if let (Some(to), Some(to_id)) = (
            pair[0].as_str(),
            pair[1].as_str().and_then(|i| i.parse().ok()),
        ) {
            s.associate(&object_type, id, to, to_id);
        }
    }
    Json(json!({ "id": id.to_string() }))
}

/// A record edited in HubSpot: `{"properties": {...}}` (an empty value clears one).
pub async fn edit_record(
    State(shared): State<Shared>,
    Path((object_type, id)): Path<(String, u64)>,
    Json(body): Json<Value>,
) -> Json<Value> {
    let mut world = shared.lock();
    let s = &mut world.hubspot;
    s.ensure_seeded();
    let found = s
        .update(&object_type, id, &strings(&body["properties"]))
        .is_some();
    Json(json!({ "updated": found }))
}

/// `{"won_customers": N}`: N companies, each with a contact and a won deal.
pub async fn generate(State(shared): State<Shared>, Json(body): Json<Value>) -> Json<Value> {
    let mut world = shared.lock();
    let s = &mut world.hubspot;
    s.ensure_seeded();
    let n = body["won_customers"].as_u64().unwrap_or(0);
    for i in 0..n {
        let domain = format!("customer{i:05}.example");
        let company = s.insert(
            "companies",
            props(&[
                ("name", &format!("Customer {i:05} Ltd")),
                ("domain", &domain),
            ]),
        );
        let contact = s.insert(
            "contacts",
            props(&[
                ("email", &format!("buyer@{domain}")),
                ("firstname", "Buyer"),
                ("lastname", &format!("{i:05}")),
            ]),
        );
        let deal = s.insert(
            "deals",
            props(&[
                ("dealname", &format!("Customer {i:05} project")),
                ("amount", "2500"),
                ("deal_currency_code", "GBP"),
                ("dealstage", "closedwon"),
                ("pipeline", "default"),
            ]),
        );
        s.associate("contacts", contact, "companies", company);
        s.associate("deals", deal, "companies", company);
        s.associate("deals", deal, "contacts", contact);
    }
    Json(json!({ "generated": n }))
}
