//! Keeping a grant: secrets that fit every platform's keychain, a grant Cremmy cannot keep revoked
//! at the provider, and secrets kept out of debug output.

use std::sync::Arc;
use std::time::Duration;

use cremmy_protocol::accounts::Feature;

use crate::accounts_support::*;

#[test]
fn the_oauth_client_secret_never_shows_in_debug_output() {
    let input = cremmy_protocol::accounts::OAuthClientInput {
        provider: cremmy_protocol::Provider::Google,
        client_id: "id.apps.googleusercontent.com".into(),
        client_secret: "GOCSPX-very-secret".into(),
        redirect_page: None,
    };
    let shown = format!("{input:?}");
    assert!(!shown.contains("very-secret"), "{shown}");
    assert!(shown.contains("id.apps.googleusercontent.com"), "{shown}");
}

#[tokio::test]
async fn a_grant_cremmy_cannot_keep_is_revoked_not_orphaned() {
    let t = test_accounts().await;
    // The sign-in gets its tokens, then cannot learn who signed in (userinfo answers 500).
    let rules = serde_json::json!({ "rules": [
        { "path": "/v1/userinfo", "method": "GET", "times": 5, "fault": { "kind": "status", "status": 500 } },
    ] });
    let r = http()
        .post(format!("{}_sandbox/faults", t.sandbox.base_url()))
        .json(&rules)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let failed = t
        .accounts
        .connect_with_loopback(
            &google(&[Feature::MailIngest]),
            browser(Arc::default()),
            Duration::from_secs(20),
        )
        .await;
    assert!(
        failed.is_err(),
        "the sign-in cannot finish without knowing who signed in"
    );
    let live_refresh_tokens = t.sandbox.shared.lock().google.refresh_tokens.len();
    assert_eq!(
        live_refresh_tokens, 0,
        "the refresh token the provider issued was revoked, not left valid with nobody holding it"
    );
    assert!(
        t.accounts.list().await.unwrap().is_empty(),
        "no account was recorded"
    );
}

#[test]
fn secrets_are_checked_against_the_smallest_keychain_limit() {
    use cremmy_core::accounts::{fits_keychain, KEYCHAIN_SECRET_LIMIT_BYTES};
    // Windows stores UTF-16: 1,280 ASCII characters fill 2,560 bytes.
    assert!(fits_keychain(&"a".repeat(1_280)));
    assert!(
        !fits_keychain(&"a".repeat(1_281)),
        "one more character is over the limit"
    );
    assert!(
        !fits_keychain(&"a".repeat(KEYCHAIN_SECRET_LIMIT_BYTES)),
        "not counted in UTF-8 bytes"
    );
    assert!(
        fits_keychain("1//0g-typical-google-refresh-token"),
        "real tokens fit"
    );
}
