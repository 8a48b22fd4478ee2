//! HubSpot's CRM API as the sandbox speaks it, checked at the wire against HubSpot's pages (named
//! in `src/hubspot/`): date-versioned paths, Bearer tokens, records with string properties, list
//! and search paging with the 10,000-result cap, batches of at most 100 with 207/409/400, the
//! associations and pipelines APIs, and the documented 429 bodies.

use cremmy_protocol::provider_versions::HUBSPOT as VERSION;
use serde_json::{json, Value};

use crate::support::{http, sandbox};

const TOKEN: &str = cremmy_sandbox::hubspot::SANDBOX_TOKEN;

async fn call(
    sb: &cremmy_sandbox::Sandbox,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    call_as(sb, TOKEN, method, path, body).await
}

async fn call_as(
    sb: &cremmy_sandbox::Sandbox,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let url = format!("{}{}", sb.base_url(), path.trim_start_matches('/'));
    let r = match method {
        "GET" => http().get(url),
        _ => http().post(url).json(&body.unwrap_or(json!({}))),
    }
    .bearer_auth(token)
    .send()
    .await
    .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn control(sb: &cremmy_sandbox::Sandbox, path: &str, body: Value) -> Value {
    let r = http()
        .post(format!("{}_sandbox/hubspot{path}", sb.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "control {path}");
    r.json().await.unwrap()
}

#[tokio::test]
async fn tokens_versions_and_the_account_details() {
    let sb = sandbox().await;
    let (status, body) = call_as(
        &sb,
        "pat-na1-wrong",
        "GET",
        &format!("/account-info/{VERSION}/details"),
        None,
    )
    .await;
    assert_eq!(status, 401, "an unknown token is refused: {body}");
    assert_eq!(
        body["category"], "INVALID_AUTHENTICATION",
        "HubSpot's error shape"
    );
    assert_eq!(body["status"], "error");

    let (status, body) = call(
        &sb,
        "GET",
        &format!("/account-info/{VERSION}/details"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    for field in [
        "portalId",
        "timeZone",
        "companyCurrency",
        "uiDomain",
        "accountType",
    ] {
        assert!(
            !body[field].is_null(),
            "account details carry {field}: {body}"
        );
    }
    let (status, _) = call(&sb, "GET", "/crm/objects/2099-03/contacts", None).await;
    assert_eq!(
        status, 404,
        "a version the sandbox does not serve is not found"
    );
}

#[tokio::test]
async fn records_list_in_pages_with_asked_properties() {
    let sb = sandbox().await;
    let (status, page) = call(
        &sb,
        "GET",
        &format!("/crm/objects/{VERSION}/contacts?limit=3&properties=email,phone"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    let results = page["results"].as_array().unwrap();
    assert_eq!(results.len(), 3, "limit is honoured");
    let first = &results[0];
    assert!(first["id"].is_string(), "ids are strings: {first}");
    assert!(first["properties"]["email"].is_string());
    assert!(
        first["properties"]
            .as_object()
            .unwrap()
            .contains_key("phone"),
        "an asked property is present even if null"
    );
    assert!(
        first["properties"].get("firstname").is_none(),
        "only asked properties: {first}"
    );
    let after = page["paging"]["next"]["after"]
        .as_str()
        .expect("a next page");
    let (_, rest) = call(
        &sb,
        "GET",
        &format!("/crm/objects/{VERSION}/contacts?limit=100&after={after}"),
        None,
    )
    .await;
    assert!(
        rest.get("paging").is_none(),
        "the last page has no paging: {rest}"
    );
    let ids: Vec<&str> = results
        .iter()
        .chain(rest["results"].as_array().unwrap())
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 4, "the seeded contacts, each once: {ids:?}");
    assert_eq!(
        rest["results"][0]["properties"]["firstname"].is_string(),
        true,
        "without properties, the defaults"
    );

    let (status, _) = call(
        &sb,
        "GET",
        &format!("/crm/objects/{VERSION}/contacts?limit=101"),
        None,
    )
    .await;
    assert_eq!(status, 400, "a list page holds at most 100");
}

#[tokio::test]
async fn search_filters_by_modification_time_sorts_and_caps_at_ten_thousand() {
    let sb = sandbox().await;
    control(&sb, "", json!({ "now": 1_800_000_000_000i64 })).await;
    let edited = call(
        &sb,
        "GET",
        &format!("/crm/objects/{VERSION}/companies?limit=1"),
        None,
    )
    .await
    .1["results"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    control(&sb, "", json!({ "now": 1_800_000_100_000i64 })).await;
    http()
        .patch(format!(
            "{}_sandbox/hubspot/records/companies/{edited}",
            sb.base_url()
        ))
        .json(&json!({ "properties": { "city": "York" } }))
        .send()
        .await
        .unwrap();
    let body = json!({
        "filterGroups": [{ "filters": [{ "propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": "1800000050000" }] }],
        "sorts": [{ "propertyName": "hs_lastmodifieddate", "direction": "ASCENDING" }],
        "properties": ["name", "city", "hs_lastmodifieddate"],
        "limit": 200,
    });
    let (status, found) = call(
        &sb,
        "POST",
        &format!("/crm/objects/{VERSION}/companies/search"),
        Some(body),
    )
    .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(
        found["total"], 1,
        "only the company edited after the instant: {found}"
    );
    assert_eq!(found["results"][0]["id"], edited.as_str());
    assert_eq!(found["results"][0]["properties"]["city"], "York");

    let (status, _) = call(
        &sb,
        "POST",
        &format!("/crm/objects/{VERSION}/companies/search"),
        Some(json!({ "limit": 201 })),
    )
    .await;
    assert_eq!(status, 400, "a search page holds at most 200");

    control(&sb, "/generate", json!({ "won_customers": 10_000 })).await;
    let (status, page) = call(
        &sb,
        "POST",
        &format!("/crm/objects/{VERSION}/companies/search"),
        Some(json!({ "limit": 200, "after": "9800" })),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["total"], 10_003, "total counts every match");
    assert_eq!(
        page["paging"]["next"]["after"], "10000",
        "paging goes on to the cap"
    );
    let (status, body) = call(
        &sb,
        "POST",
        &format!("/crm/objects/{VERSION}/companies/search"),
        Some(json!({ "limit": 200, "after": "10000" })),
    )
    .await;
    assert_eq!(status, 400, "no search reads past 10,000 results: {body}");
}

#[tokio::test]
async fn batches_create_update_read_and_refuse_what_hubspot_refuses() {
    let sb = sandbox().await;
    let path = |action: &str| format!("/crm/objects/{VERSION}/contacts/batch/{action}");
    let (status, body) = call(
        &sb,
        "POST",
        &path("create"),
        Some(json!({ "inputs": [
        { "properties": { "email": "new@client.example", "firstname": "New" } },
    ] })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = body["results"][0]["id"].as_str().unwrap().to_string();

    let (status, body) = call(
        &sb,
        "POST",
        &path("create"),
        Some(json!({ "inputs": [
        { "properties": { "email": "NEW@client.example" } },
    ] })),
    )
    .await;
    assert_eq!(status, 409, "an email already held is a conflict: {body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains(&format!("Existing ID: {id}")),
        "{body}"
    );

    let (status, body) = call(
        &sb,
        "POST",
        &path("update"),
        Some(json!({ "inputs": [
        { "id": id, "properties": { "nosuchproperty": "x", "firstname": "Changed" } },
    ] })),
    )
    .await;
    assert_eq!(status, 400, "an unknown property refuses the batch: {body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("PROPERTY_DOESNT_EXIST"),
        "{body}"
    );

    let (status, body) = call(
        &sb,
        "POST",
        &path("update"),
        Some(json!({ "inputs": [
        { "id": id, "properties": { "firstname": "Changed" } },
        { "id": "999999", "properties": { "firstname": "Nobody" } },
    ] })),
    )
    .await;
    assert_eq!(status, 207, "a missing id is a partial failure: {body}");
    assert_eq!(body["errors"][0]["category"], "OBJECT_NOT_FOUND");
    assert_eq!(body["results"][0]["properties"]["firstname"], "Changed");

    let (status, body) = call(
        &sb,
        "POST",
        &path("read"),
        Some(json!({ "inputs": [{ "id": id }], "properties": ["firstname", "email"] })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["results"][0]["properties"]["firstname"], "Changed",
        "the update stuck"
    );

    let (status, body) = call(&sb, "POST", &path("upsert"), Some(json!({ "inputs": [
        { "idProperty": "email", "id": "new@client.example", "properties": { "lastname": "Person" } },
        { "idProperty": "email", "id": "other@client.example", "properties": { "firstname": "Other" } },
    ] }))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["results"][0]["new"], false,
        "the existing contact is updated"
    );
    assert_eq!(
        body["results"][1]["new"], true,
        "an unknown email is created"
    );

    let many: Vec<Value> = (0..101)
        .map(|i| json!({ "properties": { "email": format!("n{i}@x.example") } }))
        .collect();
    let (status, _) = call(
        &sb,
        "POST",
        &path("create"),
        Some(json!({ "inputs": many })),
    )
    .await;
    assert_eq!(status, 400, "a batch holds at most 100 inputs");
}

#[tokio::test]
async fn deals_carry_pipeline_stages_and_associations() {
    let sb = sandbox().await;
    let (status, pipes) = call(&sb, "GET", &format!("/crm/pipelines/{VERSION}/deals"), None).await;
    assert_eq!(status, 200, "{pipes}");
    let default = &pipes["results"][0];
    assert_eq!(
        default["id"], "default",
        "every account has the default pipeline"
    );
    let won = default["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "closedwon")
        .expect("closedwon");
    assert_eq!(won["metadata"]["isClosed"], "true");
    assert_eq!(won["metadata"]["probability"], "1.0");

    let search = json!({
        "filterGroups": [{ "filters": [{ "propertyName": "dealstage", "operator": "IN", "values": ["closedwon"] }] }],
        "properties": ["dealname", "amount", "dealstage"], "limit": 100,
    });
    let (_, won_deals) = call(
        &sb,
        "POST",
        &format!("/crm/objects/{VERSION}/deals/search"),
        Some(search),
    )
    .await;
    assert_eq!(won_deals["total"], 3, "the seeded won deals: {won_deals}");
    let ids: Vec<Value> = won_deals["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| json!({ "id": d["id"] }))
        .collect();
    let (status, assoc) = call(
        &sb,
        "POST",
        &format!("/crm/associations/{VERSION}/deals/companies/batch/read"),
        Some(json!({ "inputs": ids })),
    )
    .await;
    assert_eq!(status, 200, "{assoc}");
    assert_eq!(
        assoc["results"].as_array().unwrap().len(),
        2,
        "one won deal has no company: {assoc}"
    );
    assert_eq!(
        assoc["results"][0]["to"][0]["associationTypes"][0]["typeId"], 341,
        "deal→company"
    );

    let (status, props) = call(
        &sb,
        "GET",
        &format!("/crm/properties/{VERSION}/deals"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let amount = props["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "amount")
        .unwrap();
    assert_eq!(
        amount["type"], "number",
        "property types for mapping validation"
    );

    let (status, body) = call(
        &sb,
        "POST",
        &format!("/crm/objects/{VERSION}/deals/batch/create"),
        Some(json!({ "inputs": [
        { "properties": { "dealname": "Bad", "dealstage": "nosuchstage" } },
    ] })),
    )
    .await;
    assert_eq!(
        status, 400,
        "a stage outside the pipeline is refused: {body}"
    );
}

#[tokio::test]
async fn the_documented_rate_limits_answer_429_with_the_policy() {
    let sb = sandbox().await;
    control(
        &sb,
        "",
        json!({ "settings": {
        "tokens": [TOKEN], "ten_second_limit": 3, "search_per_second": 2,
        "portal_id": 1, "time_zone": "UTC", "currency": "GBP",
    } }),
    )
    .await;
    let details = format!("/account-info/{VERSION}/details");
    let r = http()
        .get(format!("{}{}", sb.base_url(), &details[1..]))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["x-hubspot-ratelimit-max"],
        "3",
        "limit headers on every answer"
    );
    assert_eq!(r.headers()["x-hubspot-ratelimit-remaining"], "2");
    call(&sb, "GET", &details, None).await;
    call(&sb, "GET", &details, None).await;
    let (status, body) = call(&sb, "GET", &details, None).await;
    assert_eq!(status, 429, "the fourth request in 10 s: {body}");
    assert_eq!(body["errorType"], "RATE_LIMIT");
    assert_eq!(body["policyName"], "TEN_SECONDLY_ROLLING");

    let search = format!("/crm/objects/{VERSION}/contacts/search");
    assert_eq!(
        call(&sb, "POST", &search, Some(json!({}))).await.0,
        200,
        "search has its own limit"
    );
    assert_eq!(call(&sb, "POST", &search, Some(json!({}))).await.0, 200);
    let (status, body) = call(&sb, "POST", &search, Some(json!({}))).await;
    assert_eq!(status, 429, "the third search in a second: {body}");
    assert_eq!(body["errorType"], "RATE_LIMIT");
}
