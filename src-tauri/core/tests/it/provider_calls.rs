//! The call policy every reqwest-based provider call goes through (`http::call`), seen through a
//! production path that uses it: learning who signed in (OpenID userinfo) and revoking a grant.

use std::sync::Arc;
use std::time::Duration;

use cremmy_core::failure::FailureKind;
use cremmy_core::http::call::CallError;
use cremmy_protocol::accounts::Feature;

use crate::accounts_support::*;

async fn faults(t: &TestAccounts, rules: serde_json::Value) {
    let r = http()
        .post(format!("{}_sandbox/faults", t.sandbox.base_url()))
        .json(&serde_json::json!({ "rules": rules }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "the sandbox took the fault rules");
}

/// The statuses the sandbox answered to `path`, in order.
fn answered(t: &TestAccounts, path: &str) -> Vec<u16> {
    let world = t.sandbox.shared.lock();
    world
        .log
        .entries
        .iter()
        .filter(|r| r.path == path)
        .map(|r| r.status)
        .collect()
}

async fn sign_in(
    t: &TestAccounts,
) -> Result<cremmy_protocol::accounts::Account, cremmy_core::accounts::AccountsError> {
    t.accounts
        .connect_with_loopback(
            &google(&[Feature::MailIngest]),
            browser(Arc::default()),
            Duration::from_secs(20),
        )
        .await
}

#[tokio::test]
async fn a_rate_limit_and_a_server_error_are_retried_honouring_retry_after() {
    let t = test_accounts().await;
    faults(
        &t,
        serde_json::json!([
            { "path": "/v1/userinfo", "times": 1, "fault": { "kind": "status", "status": 429, "retry_after_secs": 1 } },
            { "path": "/v1/userinfo", "times": 1, "fault": { "kind": "status", "status": 503 } },
        ]),
    )
    .await;
    let account = sign_in(&t)
        .await
        .expect("the sign-in survives a 429 and a 503");
    assert_eq!(account.email, "consultant@sandbox.example");
    assert_eq!(
        answered(&t, "/v1/userinfo"),
        [429, 503, 200],
        "userinfo was asked again after each retryable answer, and not after the success"
    );
}

#[tokio::test]
async fn a_client_error_is_not_retried() {
    let t = test_accounts().await;
    faults(
        &t,
        serde_json::json!([
            { "path": "/v1/userinfo", "times": 3, "fault": { "kind": "status", "status": 401 } },
        ]),
    )
    .await;
    let failed = sign_in(&t).await.expect_err("userinfo refused the token");
    assert_eq!(
        answered(&t, "/v1/userinfo"),
        [401],
        "a 401 is not retried by the policy (the caller holding the token decides): {failed}"
    );
}

#[tokio::test]
async fn an_oversized_answer_is_refused_not_read() {
    let t = test_accounts().await;
    faults(
        &t,
        serde_json::json!([
            { "path": "/v1/userinfo", "times": 1, "fault": { "kind": "oversized", "bytes": 5_000_000 } },
        ]),
    )
    .await;
    let failed = sign_in(&t).await.expect_err("an oversized userinfo answer");
    let message = failed.to_string();
    assert!(
        message.contains("larger than"),
        "the message says the answer was too large: {message}"
    );
    match failed {
        cremmy_core::accounts::AccountsError::Call(CallError::TooLarge { limit_bytes, .. }) => {
            assert!(limit_bytes < 5_000_000, "the cap is below what was sent")
        }
        other => panic!("expected the call policy's size refusal, got {other:?}"),
    }
    assert_eq!(
        t.sandbox.shared.lock().google.refresh_tokens.len(),
        0,
        "the grant that could not be finished was revoked (through the same policy)"
    );
    assert!(
        answered(&t, "/revoke").contains(&200),
        "the revoke call reached the provider"
    );
}

#[test]
fn call_failures_are_classified_for_features() {
    let status = |status: u16, slowed_down: bool| CallError::Status {
        provider: cremmy_protocol::Provider::Google,
        what: "a test",
        status,
        retry_after: None,
        slowed_down,
        excerpt: String::new(),
    };
    let table = [
        (status(429, true), FailureKind::RateLimited, true),
        (status(403, true), FailureKind::RateLimited, true),
        (status(403, false), FailureKind::Forbidden, false),
        (status(401, false), FailureKind::Unauthorized, false),
        (status(404, false), FailureKind::NotFound, false),
        (status(410, false), FailureKind::Gone, false),
        (status(503, false), FailureKind::Server, true),
        (status(400, false), FailureKind::Invalid, false),
    ];
    for (error, kind, retryable) in table {
        assert_eq!(error.kind(), kind, "the kind of {error}");
        assert_eq!(
            error.is_retryable(),
            retryable,
            "whether {error} is worth retrying"
        );
    }
}
