//! The sandbox's own Pipedrive controls (`/_sandbox/pipedrive…`, not Pipedrive's API): what the
//! company holds, its clock, tokens and limits, what a person does in Pipedrive's own screens
//! (adds or edits an entity), and many won customers at once for the benchmark; and the seed.

use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

use super::{PipedriveSettings, PipedriveState};
use crate::state::Shared;

pub async fn snapshot(State(shared): State<Shared>) -> Json<Value> {
    let mut world = shared.lock();
    let s = &mut world.pipedrive;
    s.ensure_seeded();
    let entities: serde_json::Map<String, Value> = s
        .entities
        .iter()
        .map(|(kind, rows)| (kind.clone(), json!(rows.values().collect::<Vec<_>>())))
        .collect();
    Json(json!({ "now": s.now(), "settings": s.settings, "entities": entities }))
}

/// `{"now": unix ms, "settings": {...}, "documented_limits": true}`, each optional.
pub async fn configure(State(shared): State<Shared>, Json(body): Json<Value>) -> Json<Value> {
    let mut world = shared.lock();
    let s = &mut world.pipedrive;
    // The clock first: a new company is seeded at the time asked for.
    if let Some(now) = body["now"].as_i64() {
        s.now = Some(now);
    }
    s.ensure_seeded();
    if let Ok(settings) = serde_json::from_value::<PipedriveSettings>(body["settings"].clone()) {
        s.settings = settings;
    }
    if body["documented_limits"].as_bool() == Some(true) {
        s.settings = s.settings.clone().with_documented_limits();
    }
    Json(json!({ "now": s.now(), "settings": s.settings }))
}

/// An entity added in Pipedrive: its v2 fields.
pub async fn create(
    State(shared): State<Shared>,
    Path(kind): Path<String>,
    Json(body): Json<Value>,
) -> Json<Value> {
    let mut world = shared.lock();
    let s = &mut world.pipedrive;
    s.ensure_seeded();
    let id = s.insert(&kind, body);
    Json(json!({ "id": id }))
}

/// An entity edited in Pipedrive: the v2 fields to set.
pub async fn edit(
    State(shared): State<Shared>,
    Path((kind, id)): Path<(String, u64)>,
    Json(body): Json<Value>,
) -> Json<Value> {
    let mut world = shared.lock();
    let s = &mut world.pipedrive;
    s.ensure_seeded();
    let fields = body.as_object().cloned().unwrap_or_default();
    Json(json!({ "updated": s.update(&kind, id, &fields).is_some() }))
}

/// `{"won_customers": N}`: N organizations, each with a person and a won deal.
pub async fn generate(State(shared): State<Shared>, Json(body): Json<Value>) -> Json<Value> {
    let mut world = shared.lock();
    let s = &mut world.pipedrive;
    s.ensure_seeded();
    let n = body["won_customers"].as_u64().unwrap_or(0);
    for i in 0..n {
        let org = s.insert(
            "organizations",
            json!({ "name": format!("Customer {i:05} Ltd") }),
        );
        let person = s.insert(
            "persons",
            json!({
                "name": format!("Buyer {i:05}"),
                "org_id": org,
                "emails": [{"value": format!("buyer@customer{i:05}.example"), "primary": true, "label": "work"}],
            }),
        );
        s.insert(
            "deals",
            json!({
                "title": format!("Customer {i:05} project"), "value": 2500, "currency": "GBP",
                "status": "won", "org_id": org, "person_id": person,
            }),
        );
    }
    Json(json!({ "generated": n }))
}

fn email(address: &str) -> Value {
    json!([{ "value": address, "primary": true, "label": "work" }])
}

/// The company a new sandbox holds: the same customers as the HubSpot sandbox's, so one
/// Cremmy book matches either.
pub fn seed(s: &mut PipedriveState) {
    let northwind = s.insert("organizations", json!({ "name": "Northwind Traders" }));
    let fabrikam = s.insert("organizations", json!({ "name": "Fabrikam Ltd" }));
    let contoso = s.insert("organizations", json!({ "name": "Contoso Prospects" }));
    let nancy = s.insert(
        "persons",
        json!({
            "name": "Nancy Davolio", "org_id": northwind, "job_title": "Head of Operations",
            "emails": email("nancy@northwind.example"),
            "phones": [{"value": "+44 113 496 0000", "primary": true, "label": "work"}],
        }),
    );
    let ravi = s.insert(
        "persons",
        json!({ "name": "Ravi Patel", "org_id": fabrikam, "emails": email("ravi@fabrikam.example") }),
    );
    let mia = s.insert(
        "persons",
        json!({ "name": "Mia Solo", "emails": email("mia.solo@freelance.example") }),
    );
    let chris = s.insert(
        "persons",
        json!({ "name": "Chris Meyer", "org_id": contoso, "emails": email("chris@contoso.example") }),
    );
    let deals = [
        (
            "Northwind retainer 2026",
            12000.0,
            "won",
            Some(northwind),
            Some(nancy),
        ),
        ("Fabrikam audit", 4500.5, "won", Some(fabrikam), Some(ravi)),
        ("Mia's brand refresh", 1800.0, "won", None, Some(mia)),
        (
            "Contoso discovery",
            3000.0,
            "open",
            Some(contoso),
            Some(chris),
        ),
        ("Fabrikam phase 2", 9000.0, "lost", Some(fabrikam), None),
    ];
    for (title, value, status, org, person) in deals {
        s.insert(
            "deals",
            json!({
                "title": title, "value": value, "currency": "GBP", "status": status,
                "org_id": org, "person_id": person,
            }),
        );
    }
}
