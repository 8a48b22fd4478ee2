use std::net::SocketAddr;

use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn scripted_faults_answer_in_order_with_googles_error_shapes() {
    let sb = sandbox().await;
    let token = connect(&sb, GMAIL_READ).await;
    let access = json_of(&token, "access_token");
    control(&sb, "faults", json!({ "rules": [
        { "path": "/gmail/v1/users/me/profile", "times": 1, "fault": { "kind": "status", "status": 429, "retry_after_secs": 7 } },
        { "path": "/gmail/v1/users/me/profile", "times": 1, "fault": { "kind": "status", "status": 503 } },
        { "path": "/gmail/v1/users/me/profile", "times": 1, "fault": { "kind": "malformed_json" } },
        { "path": "/gmail/v1/users/me/profile", "times": 1, "fault": { "kind": "status", "status": 403, "reason": "userRateLimitExceeded" } },
    ]})).await;
    let call = || async {
        http()
            .get(format!("{}gmail/v1/users/me/profile", sb.base_url()))
            .bearer_auth(&access)
            .send()
            .await
            .unwrap()
    };

    let r = call().await;
    assert_eq!(r.status().as_u16(), 429);
    assert_eq!(r.headers()["retry-after"], "7");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        (
            body["error"]["errors"][0]["reason"].as_str(),
            body["error"]["status"].as_str()
        ),
        (Some("rateLimitExceeded"), Some("RESOURCE_EXHAUSTED"))
    );
    assert_eq!(call().await.status().as_u16(), 503);
    let garbage = call().await;
    assert_eq!(garbage.status().as_u16(), 200);
    assert!(
        garbage.json::<serde_json::Value>().await.is_err(),
        "malformed JSON must not parse"
    );
    let r = call().await;
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error"]["errors"][0]["domain"],
        "usageLimits"
    );
    assert_eq!(
        call().await.status().as_u16(),
        200,
        "the script is used up: normal answers again"
    );

    let log = get_json(&sb, "log").await;
    let statuses: Vec<u64> = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["path"] == "/gmail/v1/users/me/profile")
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(
        statuses,
        [429, 503, 200, 403, 200],
        "the log records every answer in order"
    );
    let counters = get_json(&sb, "counters").await;
    assert_eq!(counters["calls"]["GET /gmail/v1/users/me/profile"], 5);
    assert_eq!(counters["rate_limited"], 1);
}

#[tokio::test]
async fn dropped_connections_and_delays_are_injected() {
    let sb = sandbox().await;
    control(
        &sb,
        "faults",
        json!({ "rules": [
            { "path": "/gmail/", "times": 1, "fault": { "kind": "drop" } },
        ]}),
    )
    .await;
    let dropped = http()
        .get(format!("{}gmail/v1/users/me/profile", sb.base_url()))
        .send()
        .await;
    assert!(
        dropped.is_err(),
        "the connection closes without an answer: {dropped:?}"
    );
    let after = http()
        .get(format!("{}gmail/v1/users/me/profile", sb.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        after.status().as_u16(),
        401,
        "the sandbox keeps serving after a dropped connection"
    );
}

#[tokio::test]
async fn gmail_quota_is_enforced_per_second_with_429() {
    let sb = sandbox().await;
    let token = connect(&sb, GMAIL_READ).await;
    sb.shared.lock().google.settings.gmail_units_per_second = Some(10);
    let access = json_of(&token, "access_token");
    let mut statuses = Vec::new();
    // messages.list costs 5 units: at most two fit in one second's budget of 10.
    for _ in 0..3 {
        statuses.push(
            http()
                .get(format!("{}gmail/v1/users/me/messages", sb.base_url()))
                .bearer_auth(&access)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    if statuses.contains(&429) {
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            2,
            "two calls fit the budget: {statuses:?}"
        );
    } else {
        // The three calls straddled a second boundary; the budget resets each second.
        assert_eq!(statuses, [200, 200, 200]);
    }
    assert!(
        get_json(&sb, "counters").await["gmail_quota_units"]
            .as_u64()
            .unwrap()
            >= 15,
        "units are counted as Google's costs"
    );
}

#[tokio::test]
async fn only_loopback_addresses_can_be_bound() {
    let err = cremmy_sandbox::Sandbox::start(SocketAddr::from(([0, 0, 0, 0], 0)))
        .await
        .err()
        .expect("0.0.0.0 refused");
    assert!(err.to_string().contains("loopback"), "{err}");
    let ok = cremmy_sandbox::Sandbox::start(SocketAddr::from(([127, 0, 0, 2], 0))).await;
    assert!(ok.is_ok(), "any 127/8 address is loopback");
}

#[tokio::test]
async fn an_oversized_answer_is_a_valid_json_body_of_the_asked_size() {
    let sb = sandbox().await;
    control(&sb, "faults", json!({ "rules": [
        { "path": "/v1/userinfo", "times": 1, "fault": { "kind": "oversized", "bytes": 100000 } },
    ]}))
    .await;
    let r = http()
        .get(format!("{}v1/userinfo", sb.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "the fault answers 200");
    let body = r.bytes().await.unwrap();
    assert_eq!(body.len(), 100_000, "the body is as long as the rule asks");
    assert!(
        serde_json::from_slice::<serde_json::Value>(&body).is_ok(),
        "and it is JSON, so only a size cap stops a client reading it"
    );
}

/// Gmail's per-user limit per minute (https://developers.google.com/workspace/gmail/api/reference/quota:
/// 15,000 units per user per minute, exceeded reason `userRateLimitExceeded`) applies beside the
/// per-second one.
#[tokio::test]
async fn gmail_quota_is_enforced_per_minute_too() {
    let sb = sandbox().await;
    let token = connect(&sb, GMAIL_READ).await;
    sb.shared.lock().google.settings.gmail_units_per_minute = Some(12);
    let access = json_of(&token, "access_token");
    let mut answers = Vec::new();
    for _ in 0..3 {
        let r = http()
            .get(format!("{}gmail/v1/users/me/messages", sb.base_url()))
            .bearer_auth(&access)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body: serde_json::Value = r.json().await.unwrap_or_default();
        answers.push((
            status,
            body["error"]["errors"][0]["reason"]
                .as_str()
                .map(str::to_string),
        ));
    }
    let statuses: Vec<u16> = answers.iter().map(|a| a.0).collect();
    if statuses.contains(&429) {
        assert_eq!(
            statuses,
            [200, 200, 429],
            "two 5-unit calls fit in 12 units a minute"
        );
        assert_eq!(answers[2].1.as_deref(), Some("userRateLimitExceeded"));
    } else {
        // The calls straddled a minute boundary; the budget resets each minute.
        assert_eq!(statuses, [200, 200, 200]);
    }
}

/// A rule with `or` fails each matching request with one of its faults, chosen from the seeded
/// generator: over many requests every listed fault shows up, and the same seed repeats the run.
#[tokio::test]
async fn a_rule_with_alternatives_uses_each_of_them() {
    async fn statuses(seed: u64) -> Vec<u16> {
        let sb = sandbox().await;
        control(&sb, "faults", json!({ "seed": seed, "rules": [
            { "path": "/v1/userinfo", "fault": { "kind": "status", "status": 503 },
              "or": [ { "kind": "status", "status": 401 }, { "kind": "status", "status": 429, "retry_after_secs": 1 } ] },
        ]}))
        .await;
        let mut seen = Vec::new();
        for _ in 0..60 {
            let r = http()
                .get(format!("{}v1/userinfo", sb.base_url()))
                .send()
                .await
                .unwrap();
            seen.push(r.status().as_u16());
        }
        seen
    }
    let first = statuses(42).await;
    for status in [503, 401, 429] {
        let n = first.iter().filter(|&&s| s == status).count();
        assert!(n >= 5, "{status} answered {n} of 60 times: {first:?}");
    }
    assert_eq!(first.len(), 60);
    assert_eq!(
        statuses(42).await,
        first,
        "the same seed, the same sequence"
    );
}
