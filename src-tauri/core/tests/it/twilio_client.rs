//! The Twilio wire client against the provider sandbox (which follows Twilio's pages): the
//! credentials check that lists the numbers, sending and following a message to its outcome,
//! the inbound list across pages, and Twilio's error codes kept for the features to act on.

use std::net::SocketAddr;

use cremmy_core::providers::twilio::{OutgoingText, Twilio, TwilioCredentials};
use serde_json::json;

const ACCOUNT: &str = "AC00000000000000000000000000000001";
const NUMBER: &str = "+15005550006";

async fn world() -> (cremmy_sandbox::Sandbox, Twilio) {
    let sb = cremmy_sandbox::Sandbox::start(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let base = sb.base_url();
    let endpoints = cremmy_core::endpoints::Endpoints::from_lookup(|k| {
        (k == "CREMMY_TWILIO_BASE_URL").then(|| base.clone())
    });
    let twilio = Twilio::new(cremmy_core::http::client().unwrap(), &endpoints);
    (sb, twilio)
}

fn key() -> TwilioCredentials {
    TwilioCredentials {
        account_sid: ACCOUNT.into(),
        user: "SK00000000000000000000000000000001".into(),
        secret: "sandbox-api-key-secret".into(),
    }
}

async fn control(sb: &cremmy_sandbox::Sandbox, path: &str, body: serde_json::Value) {
    let r = crate::accounts_support::http()
        .post(format!("{}_sandbox/twilio/{path}", sb.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "control {path}");
}

#[tokio::test]
async fn the_credentials_check_lists_the_numbers_and_refuses_a_wrong_secret() {
    let (_sb, twilio) = world().await;
    let numbers = twilio.numbers(&key()).await.expect("the API key works");
    assert_eq!(
        numbers
            .iter()
            .map(|n| n.phone_number.as_str())
            .collect::<Vec<_>>(),
        [NUMBER]
    );
    let wrong = TwilioCredentials {
        secret: "nope".into(),
        ..key()
    };
    let refused = twilio.numbers(&wrong).await.expect_err("a wrong secret");
    assert_eq!(refused.twilio_code(), Some(20003), "{refused}");
    assert_eq!(
        refused.kind(),
        cremmy_core::failure::FailureKind::Unauthorized,
        "wrong credentials are the user's to fix, not retried"
    );
    assert!(
        !format!("{wrong:?}").contains("nope"),
        "Debug never shows the secret"
    );
}

#[tokio::test]
async fn a_text_is_sent_then_followed_to_its_outcome() {
    let (sb, twilio) = world().await;
    let text = OutgoingText {
        to: "+14155550100".into(),
        from: NUMBER.into(),
        body: "Hello Zoë".into(),
        content_sid: None,
        content_variables: Default::default(),
    };
    let sent = twilio.send(&key(), &text).await.expect("sent");
    assert_eq!(
        (sent.status.as_str(), sent.direction.as_str()),
        ("queued", "outbound-api")
    );
    assert_eq!(sent.body, "Hello Zoë", "the body went as UTF-8 in the form");
    let now = twilio.message(&key(), &sent.sid).await.unwrap();
    assert_eq!(now.status, "delivered");
    assert_eq!(now.num_segments.as_deref(), Some("1"));

    control(
        &sb,
        "inbound",
        json!({ "from": "+14155550100", "body": "STOP" }),
    )
    .await;
    let refused = twilio.send(&key(), &text).await.expect_err("opted out");
    assert_eq!(
        refused.twilio_code(),
        Some(21610),
        "the feature needs Twilio's code to mark the number opted out: {refused}"
    );
    let invalid = OutgoingText {
        to: "12345".into(),
        ..text.clone()
    };
    assert_eq!(
        twilio
            .send(&key(), &invalid)
            .await
            .unwrap_err()
            .twilio_code(),
        Some(21211)
    );
}

#[tokio::test]
async fn inbound_messages_are_read_across_pages() {
    let (sb, twilio) = world().await;
    let day = 1_764_460_800_000_i64; // 2025-11-30T00:00:00Z
    for i in 0..5 {
        control(&sb, "inbound", json!({ "from": format!("+1415555010{i}"), "body": format!("m{i}"), "at_ms": day + i * 60_000 })).await;
    }
    control(
        &sb,
        "inbound",
        json!({ "from": "+14155550100", "body": "old", "at_ms": day - 2 * 86_400_000 }),
    )
    .await;
    let before = twilio.calls();
    let found = twilio
        .messages_to(&key(), NUMBER, "2025-11-30", 2)
        .await
        .expect("listed");
    let bodies: Vec<&str> = found.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(
        bodies,
        ["m4", "m3", "m2", "m1", "m0"],
        "newest first, from the day on"
    );
    assert_eq!(
        twilio.calls() - before,
        3,
        "three pages of two, by next_page_uri"
    );
    assert!(found
        .iter()
        .all(|m| m.direction == "inbound" && m.status == "received"));
}
