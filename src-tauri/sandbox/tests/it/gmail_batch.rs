//! Gmail's batch endpoint at the wire, as
//! https://developers.google.com/workspace/gmail/api/guides/batch describes it: whole HTTP
//! requests in `multipart/mixed` parts, answered part by part with their own status codes,
//! paired by Content-ID, each counted against the quota as its own call.

use serde_json::{json, Value};

use crate::support::*;

const BOUNDARY: &str = "batch_test_boundary";

fn batch_body(calls: &[(&str, String)]) -> String {
    let mut body = String::new();
    for (id, target) in calls {
        body.push_str(&format!(
            "--{BOUNDARY}\r\nContent-Type: application/http\r\nContent-ID: <{id}>\r\n\r\nGET {target} HTTP/1.1\r\n\r\n"
        ));
    }
    body.push_str(&format!("--{BOUNDARY}--\r\n"));
    body
}

/// The answer's parts: Content-ID → (status, retry-after, JSON body).
fn parts_of(content_type: &str, body: &str) -> Vec<(String, u16, Option<String>, Value)> {
    let boundary = content_type
        .split("boundary=")
        .nth(1)
        .expect("the answer names its boundary")
        .trim_matches('"');
    let end = format!("--{boundary}--");
    assert!(
        body.contains(&end),
        "the answer ends with its closing delimiter"
    );
    body.split(&format!("--{boundary}"))
        .skip(1)
        .filter(|p| !p.starts_with("--"))
        .map(|part| {
            let (head, inner) = part.trim_start().split_once("\r\n\r\n").unwrap();
            assert!(head.contains("Content-Type: application/http"), "{head}");
            let id = head
                .lines()
                .find_map(|l| l.strip_prefix("Content-ID: "))
                .expect("each part names the call it answers")
                .trim_matches(|c| c == '<' || c == '>')
                .to_string();
            let (inner_head, json) = inner.split_once("\r\n\r\n").unwrap();
            let status: u16 = inner_head
                .split_whitespace()
                .nth(1)
                .unwrap()
                .parse()
                .unwrap();
            let retry_after = inner_head
                .lines()
                .find_map(|l| l.strip_prefix("retry-after: "))
                .map(str::to_string);
            let json: Value = serde_json::from_str(json.trim_end()).unwrap_or(Value::Null);
            (id, status, retry_after, json)
        })
        .collect()
}

async fn post_batch(
    sb: &cremmy_sandbox::Sandbox,
    token: &str,
    body: String,
) -> (u16, String, String) {
    let r = http()
        .post(format!("{}batch/gmail/v1", sb.base_url()))
        .bearer_auth(token)
        .header(
            "content-type",
            format!("multipart/mixed; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ct, r.text().await.unwrap())
}

#[tokio::test]
async fn each_part_is_answered_as_its_own_call_and_paired_by_content_id() {
    let sb = sandbox().await;
    control(
        &sb,
        "google/seed",
        json!({ "clients": 2, "messages_per_client": 2, "seed": 3, "newest_at": 1_772_442_000_000_i64 }),
    )
    .await;
    let token = json_of(&connect(&sb, GMAIL_READ).await, "access_token");
    let listed = http()
        .get(format!("{}gmail/v1/users/me/messages", sb.base_url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let ids: Vec<String> = listed["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 4);
    // One part fails the way a busy mailbox does; the others are answered regardless.
    control(
        &sb,
        "faults",
        json!({ "rules": [
            { "path": format!("/messages/{}", ids[1]), "times": 1,
              "fault": { "kind": "status", "status": 429, "retry_after_secs": 3 } },
        ]}),
    )
    .await;
    let units_before = get_json(&sb, "counters").await["gmail_quota_units"]
        .as_u64()
        .unwrap();
    let metadata = "?format=metadata&metadataHeaders=From&metadataHeaders=Subject";
    let calls = vec![
        (
            "a",
            format!("/gmail/v1/users/me/messages/{}{metadata}", ids[0]),
        ),
        (
            "b",
            format!("/gmail/v1/users/me/messages/{}{metadata}", ids[1]),
        ),
        (
            "c",
            format!("/gmail/v1/users/me/messages/no-such-message{metadata}"),
        ),
        (
            "d",
            format!("/gmail/v1/users/me/messages/{}{metadata}", ids[2]),
        ),
    ];
    let (status, content_type, body) = post_batch(&sb, &token, batch_body(&calls)).await;
    assert_eq!(status, 200, "the batch itself succeeds: {body}");
    assert!(
        content_type.starts_with("multipart/mixed"),
        "{content_type}"
    );
    let parts = parts_of(&content_type, &body);
    let by_id = |id: &str| {
        parts
            .iter()
            .find(|p| p.0 == format!("response-{id}"))
            .unwrap_or_else(|| panic!("no answer for Content-ID {id} in {body}"))
    };
    let a = by_id("a");
    assert_eq!((a.1, a.3["id"].as_str()), (200, Some(ids[0].as_str())));
    let headers: Vec<&str> = a.3["payload"]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        headers,
        ["From", "Subject"],
        "the inner query string is honoured"
    );
    let b = by_id("b");
    assert_eq!(
        (b.1, b.2.as_deref(), b.3["error"]["status"].as_str()),
        (429, Some("3"), Some("RESOURCE_EXHAUSTED")),
        "a part's 429 comes back in that part, with its Retry-After"
    );
    assert_eq!(by_id("c").1, 404, "a missing message is that part's 404");
    assert_eq!(by_id("d").1, 200);
    let units = get_json(&sb, "counters").await["gmail_quota_units"]
        .as_u64()
        .unwrap()
        - units_before;
    assert_eq!(
        units, 15,
        "three parts reached messages.get (two found, one 404) at 5 units each; the one turned \
         away with 429 cost nothing: a batch of n calls counts as n calls, not one"
    );
}

#[tokio::test]
async fn a_batch_is_refused_whole_when_it_is_not_a_gmail_batch_of_at_most_100() {
    let sb = sandbox().await;
    let token = json_of(&connect(&sb, GMAIL_READ).await, "access_token");
    let many: Vec<(&str, String)> = (0..101)
        .map(|_| ("x", "/gmail/v1/users/me/profile".to_string()))
        .collect();
    let (status, _, body) = post_batch(&sb, &token, batch_body(&many)).await;
    assert_eq!(status, 400, "101 calls are over the limit: {body}");

    let (status, _, body) = post_batch(&sb, &token, "no parts at all".into()).await;
    assert_eq!(status, 400, "a body without the closing delimiter: {body}");

    let r = http()
        .post(format!("{}batch/gmail/v1", sb.base_url()))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400, "a batch must be multipart/mixed");

    // The outer Authorization applies to every part: without it each part is a 401.
    let calls = vec![("p", "/gmail/v1/users/me/profile".to_string())];
    let (status, content_type, body) = post_batch(&sb, "not-a-token", batch_body(&calls)).await;
    assert_eq!(status, 200);
    assert_eq!(parts_of(&content_type, &body)[0].1, 401, "{body}");
}
