//! Pipedrive's API as the sandbox speaks it, checked at the wire against Pipedrive's pages (named
//! in `src/pipedrive/`): the API token as a header or a query parameter, the current user on v1,
//! persons, organizations and deals on v2 with filters, sorting and cursor paging, PATCH with
//! v2's strict types, and the 2-second burst limit with its headers and 429.

use serde_json::{json, Value};

use crate::support::{http, sandbox};

const TOKEN: &str = cremmy_sandbox::pipedrive::SANDBOX_TOKEN;

async fn call(
    sb: &cremmy_sandbox::Sandbox,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let url = format!("{}{}", sb.base_url(), path.trim_start_matches('/'));
    let r = match method {
        "GET" => http().get(url),
        _ => http().patch(url).json(&body.unwrap_or(json!({}))),
    }
    .header("x-api-token", TOKEN)
    .send()
    .await
    .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn control(sb: &cremmy_sandbox::Sandbox, method: &str, path: &str, body: Value) -> Value {
    let url = format!("{}_sandbox/pipedrive{path}", sb.base_url());
    let r = match method {
        "PATCH" => http().patch(url),
        _ => http().post(url),
    }
    .json(&body)
    .send()
    .await
    .unwrap();
    assert!(r.status().is_success(), "control {path}");
    r.json().await.unwrap()
}

fn titles(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .expect("a list answers data:[…]")
        .iter()
        .map(|d| {
            d["title"]
                .as_str()
                .or(d["name"].as_str())
                .unwrap_or("")
                .to_string()
        })
        .collect()
}

#[tokio::test]
async fn tokens_and_the_current_user() {
    let sb = sandbox().await;
    let r = http()
        .get(format!("{}v1/users/me", sb.base_url()))
        .header("x-api-token", "not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401, "an unknown token is refused");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["success"], false, "Pipedrive's error shape: {body}");
    assert_eq!(body["errorCode"], 401);
    assert!(
        body["error"].is_string() && body["error_info"].is_string(),
        "{body}"
    );

    // The token also works as the `api_token` query parameter.
    let r = http()
        .get(format!("{}v1/users/me?api_token={TOKEN}", sb.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let body: Value = r.json().await.unwrap();
    for field in [
        "id",
        "name",
        "email",
        "company_id",
        "company_name",
        "company_domain",
        "default_currency",
    ] {
        assert!(
            !body["data"][field].is_null(),
            "users/me carries {field}: {body}"
        );
    }
}

#[tokio::test]
async fn deals_by_status_and_cursor_paging() {
    let sb = sandbox().await;
    let (status, won) = call(&sb, "GET", "/api/v2/deals?status=won&limit=2", None).await;
    assert_eq!(status, 200, "{won}");
    assert_eq!(won["success"], true);
    assert_eq!(
        titles(&won),
        ["Northwind retainer 2026", "Fabrikam audit"],
        "id order, two a page"
    );
    let cursor = won["additional_data"]["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_string();
    let (_, rest) = call(
        &sb,
        "GET",
        &format!("/api/v2/deals?status=won&limit=2&cursor={cursor}"),
        None,
    )
    .await;
    assert_eq!(titles(&rest), ["Mia's brand refresh"]);
    assert!(
        rest["additional_data"]["next_cursor"].is_null(),
        "the last page says so: {rest}"
    );
    assert_eq!(
        rest["data"][0]["value"], 1800.0,
        "a value is a number in v2"
    );
    assert!(
        rest["data"][0]["won_time"].is_string(),
        "a won deal has its won time"
    );

    let (_, all) = call(&sb, "GET", "/api/v2/deals", None).await;
    assert_eq!(titles(&all).len(), 5, "no status: every deal not deleted");
    let (_, two) = call(&sb, "GET", "/api/v2/deals?status=open,lost", None).await;
    assert_eq!(titles(&two), ["Contoso discovery", "Fabrikam phase 2"]);

    let (status, body) = call(&sb, "GET", "/api/v2/deals?limit=501", None).await;
    assert_eq!(status, 400, "at most 500 a page: {body}");
    let ids: Vec<String> = (1..=101).map(|i| i.to_string()).collect();
    let (status, _) = call(
        &sb,
        "GET",
        &format!("/api/v2/persons?ids={}", ids.join(",")),
        None,
    )
    .await;
    assert_eq!(status, 400, "at most 100 ids");
    let (status, people) = call(&sb, "GET", "/api/v2/persons?ids=2,1,999", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        titles(&people),
        ["Nancy Davolio", "Ravi Patel"],
        "missing ids are left out"
    );
    assert_eq!(
        people["data"][0]["emails"][0]["value"],
        "nancy@northwind.example"
    );
    assert_eq!(
        people["data"][0]["org_id"], 1,
        "a person names its organization"
    );
}

#[tokio::test]
async fn updated_since_sorting_and_patch() {
    let sb = sandbox().await;
    control(&sb, "POST", "", json!({ "now": 1_780_000_000_000_i64 })).await;
    control(&sb, "POST", "", json!({ "now": 1_780_000_600_000_i64 })).await;
    let (status, patched) = call(
        &sb,
        "PATCH",
        "/api/v2/persons/2",
        Some(json!({ "name": "Ravi K. Patel", "job_title": "CFO" })),
    )
    .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["data"]["job_title"], "CFO");
    assert_eq!(
        patched["data"]["first_name"], "Ravi",
        "first name follows the name"
    );
    assert_eq!(
        patched["data"]["update_time"], "2026-05-28T20:36:40Z",
        "RFC 3339, to the second"
    );

    control(
        &sb,
        "PATCH",
        "/entities/organizations/3",
        json!({ "name": "Contoso Group" }),
    )
    .await;
    let since = "2026-05-28T20:36:00Z";
    let (_, changed) = call(
        &sb,
        "GET",
        &format!("/api/v2/persons?updated_since={since}&sort_by=update_time"),
        None,
    )
    .await;
    assert_eq!(
        titles(&changed),
        ["Ravi K. Patel"],
        "only what changed since"
    );
    let (_, orgs) = call(
        &sb,
        "GET",
        &format!(
            "/api/v2/organizations?updated_since={since}&sort_by=update_time&sort_direction=desc"
        ),
        None,
    )
    .await;
    assert_eq!(titles(&orgs), ["Contoso Group"]);
    let (_, none) = call(
        &sb,
        "GET",
        "/api/v2/persons?updated_since=2026-05-28T20:36:41Z",
        None,
    )
    .await;
    assert!(
        titles(&none).is_empty(),
        "since is inclusive of the second, nothing after"
    );
    let (status, _) = call(&sb, "GET", "/api/v2/persons?updated_since=yesterday", None).await;
    assert_eq!(status, 400, "a time that is not RFC 3339");

    let (status, body) = call(
        &sb,
        "PATCH",
        "/api/v2/deals/1",
        Some(json!({ "value": "12500" })),
    )
    .await;
    assert_eq!(status, 400, "v2 does not coerce strings to numbers: {body}");
    let (status, _) = call(
        &sb,
        "PATCH",
        "/api/v2/deals/1",
        Some(json!({ "website": "x" })),
    )
    .await;
    assert_eq!(status, 400, "a field a deal does not have");
    let (status, _) = call(
        &sb,
        "PATCH",
        "/api/v2/deals/1",
        Some(json!({ "org_id": 999 })),
    )
    .await;
    assert_eq!(status, 400, "an organization that does not exist");
    let (status, deal) = call(
        &sb,
        "PATCH",
        "/api/v2/deals/1",
        Some(json!({ "value": 12500, "title": "Northwind retainer" })),
    )
    .await;
    assert_eq!((status, deal["data"]["value"].clone()), (200, json!(12500)));
    let (status, body) = call(
        &sb,
        "PATCH",
        "/api/v2/deals/99",
        Some(json!({ "title": "x" })),
    )
    .await;
    assert_eq!((status, body["success"].clone()), (404, json!(false)));
    let (status, one) = call(&sb, "GET", "/api/v2/deals/1", None).await;
    assert_eq!(
        (status, one["data"]["title"].clone()),
        (200, json!("Northwind retainer"))
    );
}

#[tokio::test]
async fn the_burst_window_refuses_the_twenty_first_request() {
    let sb = sandbox().await;
    let set = control(&sb, "POST", "", json!({ "documented_limits": true })).await;
    assert_eq!(
        set["settings"]["burst_per_two_seconds"], 20,
        "Essential, api_token: 20 per 2 s"
    );
    let mut statuses = Vec::new();
    let mut last_headers = None;
    for _ in 0..21 {
        let r = http()
            .get(format!("{}api/v2/organizations?limit=1", sb.base_url()))
            .header("x-api-token", TOKEN)
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
        last_headers = Some(r.headers().clone());
        if r.status().as_u16() == 429 {
            let body: Value = r.json().await.unwrap();
            assert_eq!(
                body["success"], false,
                "429 in Pipedrive's error shape: {body}"
            );
        }
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        20,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.last(),
        Some(&429),
        "the 21st inside 2 s: {statuses:?}"
    );
    let h = last_headers.unwrap();
    assert_eq!(h["x-ratelimit-limit"], "20");
    assert_eq!(h["x-ratelimit-remaining"], "0");
    assert!(h.contains_key("x-ratelimit-reset"), "the window's reset");
}
