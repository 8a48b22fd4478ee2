//! The webhook receiver checks deliveries as the Standard Webhooks spec tells a consumer to
//! (`spec/standard-webhooks.md` 1.0.0; test vector from the reference Rust library's
//! `test_sign`), and answers what a test scripts.

use serde_json::{json, Value};

use crate::support::{http, sandbox};

const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const ID: &str = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk";
const TS: u64 = 1_649_367_553;
const BODY: &str = r#"{"email":"test@example.com","username":"test_user"}"#;
const SIGNATURE: &str = "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=";

#[test]
fn signatures_match_the_specs_test_vector() {
    let sig = cremmy_sandbox::webhooks::sign(SECRET, ID, TS, BODY.as_bytes()).unwrap();
    assert_eq!(format!("v1,{sig}"), SIGNATURE);
    assert!(
        cremmy_sandbox::webhooks::sign("not-a-secret", ID, TS, BODY.as_bytes()).is_none(),
        "a secret without whsec_ is refused"
    );
}

async fn post(
    sb: &cremmy_sandbox::Sandbox,
    headers: &[(&str, String)],
    body: &str,
) -> (u16, Option<String>) {
    let mut r = http().post(format!("{}hooks/zap", sb.base_url()));
    for (k, v) in headers {
        r = r.header(*k, v);
    }
    let answer = r
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let retry = answer
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    (answer.status().as_u16(), retry)
}

fn signed(id: &str, ts: u64, signature: &str) -> Vec<(&'static str, String)> {
    vec![
        ("webhook-id", id.to_string()),
        ("webhook-timestamp", ts.to_string()),
        ("webhook-signature", signature.to_string()),
    ]
}

async fn configure(sb: &cremmy_sandbox::Sandbox, settings: Value) {
    let r = http()
        .post(format!("{}_sandbox/webhooks/zap", sb.base_url()))
        .json(&settings)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

async fn received(sb: &cremmy_sandbox::Sandbox) -> Value {
    http()
        .get(format!("{}_sandbox/webhooks/zap", sb.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_receiver_verifies_signature_and_tolerance() {
    let sb = sandbox().await;
    configure(&sb, json!({ "secret": SECRET, "now": TS + 200 })).await;
    let cases: &[(&str, Vec<(&str, String)>, &str, u16)] = &[
        ("genuine", signed(ID, TS, SIGNATURE), BODY, 200),
        (
            "any matching v1 among several, other versions ignored",
            signed(ID, TS, &format!("v1a,abc v1,bm90IGl0 {SIGNATURE}")),
            BODY,
            200,
        ),
        ("the body changed", signed(ID, TS, SIGNATURE), "{}", 401),
        ("another id", signed("msg_other", TS, SIGNATURE), BODY, 401),
        (
            "only a v1a entry",
            signed(ID, TS, "v1a,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="),
            BODY,
            401,
        ),
        (
            "no signature header",
            signed(ID, TS, SIGNATURE)[..2].to_vec(),
            BODY,
            400,
        ),
    ];
    for (why, headers, body, status) in cases {
        assert_eq!(post(&sb, headers, body).await.0, *status, "{why}");
    }
    for (now, why) in [
        (TS + 301, "more than five minutes old"),
        (TS - 301, "more than five minutes ahead"),
    ] {
        configure(&sb, json!({ "secret": SECRET, "now": now })).await;
        assert_eq!(
            post(&sb, &signed(ID, TS, SIGNATURE), BODY).await.0,
            400,
            "{why}"
        );
    }
    let got = received(&sb).await;
    assert_eq!(got["deliveries"][0]["rejection"], "timestamp too new");
    let moved = http()
        .post(format!("{}_sandbox/webhooks/zap/clock", sb.base_url()))
        .json(&json!({ "now": TS }))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), 200, "{}", moved.text().await.unwrap());
    assert_eq!(
        post(&sb, &signed(ID, TS, SIGNATURE), BODY).await.0,
        200,
        "the clock moved back"
    );
    assert_eq!(
        received(&sb).await["deliveries"].as_array().unwrap().len(),
        2,
        "what was received stays"
    );
}

#[tokio::test]
async fn the_receiver_answers_its_script_and_marks_duplicates() {
    let sb = sandbox().await;
    configure(
        &sb,
        json!({ "secret": SECRET, "now": TS, "script": [
            { "status": 500 },
            { "status": 429, "retry_after_secs": 7 },
            { "status": 200 },
            { "status": 410 },
        ]}),
    )
    .await;
    let h = signed(ID, TS, SIGNATURE);
    assert_eq!(post(&sb, &h, BODY).await, (500, None));
    assert_eq!(post(&sb, &h, BODY).await, (429, Some("7".into())));
    assert_eq!(post(&sb, &h, BODY).await, (200, None));
    assert_eq!(post(&sb, &h, BODY).await.0, 410);
    assert_eq!(post(&sb, &h, BODY).await.0, 200, "the script is used up");
    let got = received(&sb).await;
    let flags: Vec<bool> = got["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["duplicate"].as_bool().unwrap())
        .collect();
    assert_eq!(
        flags,
        [false, false, false, true, true],
        "an id counts as delivered from its first 2xx on"
    );
    assert_eq!(got["accepted_ids"], 1);
}
