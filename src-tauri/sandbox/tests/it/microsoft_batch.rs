//! Graph's JSON batching as the sandbox speaks it, checked against Microsoft's page (named in
//! `src/microsoft/batch.rs`): each request answered on its own (200, 404), a malformed batch
//! refused whole (more than 20, a repeated id), and each request counted against throttling.

use serde_json::{json, Value};

use crate::microsoft::sign_in_to;
use crate::support::{control, http, sandbox};

const READ: &str = "openid offline_access https://graph.microsoft.com/Mail.Read";

async fn batch(sb: &cremmy_sandbox::Sandbox, token: &str, body: Value) -> (u16, Value) {
    let r = http()
        .post(format!("{}v1.0/$batch", sb.base_url()))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

fn get(id: &str, url: &str) -> Value {
    json!({ "id": id, "method": "GET", "url": url })
}

#[tokio::test]
async fn a_batch_answers_each_request_on_its_own() {
    let sb = sandbox().await;
    let (token, _) = sign_in_to(&sb, READ).await;
    let delivered = control(
        &sb,
        "microsoft/messages",
        json!({ "folder": "inbox", "from": "zoe@acme.example", "to": ["consultant@outlook.example"], "subject": "Hello" }),
    )
    .await;
    let id = delivered["id"].as_str().unwrap();
    let (status, answer) = batch(
        &sb,
        &token,
        json!({ "requests": [
            get("1", &format!("/me/messages/{id}?$select=subject")),
            get("2", "/me/messages/AAMkAGnone="),
            get("3", "/me/mailFolders/sentitems?$select=id"),
        ] }),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let responses = answer["responses"].as_array().unwrap();
    let of = |id: &str| responses.iter().find(|r| r["id"] == id).unwrap().clone();
    assert_eq!(of("1")["status"], 200);
    assert_eq!(of("1")["body"]["subject"], "Hello");
    assert_eq!(of("2")["status"], 404, "a missing item fails alone");
    assert_eq!(of("2")["body"]["error"]["code"], "ErrorItemNotFound");
    assert_eq!(of("3")["body"]["id"], "AQMkADsentitems");

    let too_many: Vec<Value> = (0..21).map(|i| get(&i.to_string(), "/me")).collect();
    let (status, _) = batch(&sb, &token, json!({ "requests": too_many })).await;
    assert_eq!(status, 400, "at most 20 requests");
    let (status, _) = batch(
        &sb,
        &token,
        json!({ "requests": [get("a", "/me"), get("A", "/me")] }),
    )
    .await;
    assert_eq!(status, 400, "ids are unique, without regard to case");
}

#[tokio::test]
async fn each_request_in_a_batch_counts_against_throttling() {
    let sb = sandbox().await;
    let (token, _) = sign_in_to(&sb, READ).await;
    sb.shared.lock().microsoft.settings.requests_per_window = Some(2);
    let (status, answer) = batch(
        &sb,
        &token,
        json!({ "requests": [
            get("1", "/me/mailFolders/inbox?$select=id"),
            get("2", "/me/mailFolders/sentitems?$select=id"),
            get("3", "/me/mailFolders/junkemail?$select=id"),
        ] }),
    )
    .await;
    assert_eq!(status, 200, "the batch itself is answered: {answer}");
    let statuses: Vec<u64> = answer["responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(
        statuses,
        vec![200, 200, 429],
        "the third is over the window"
    );
    let third = &answer["responses"][2];
    assert!(
        third["headers"]["retry-after"].is_string(),
        "with Retry-After: {third}"
    );
}
