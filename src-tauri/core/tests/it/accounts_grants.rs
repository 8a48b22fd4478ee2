//! Keeping a grant: secrets that fit every platform's keychain, a grant Cremmy cannot keep revoked
//! at the provider, and secrets kept out of debug output.

use std::sync::Arc;
use std::time::Duration;

use cremmy_protocol::accounts::Feature;
use cremmy_protocol::Provider;

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

#[test]
fn a_secret_is_split_into_pieces_that_each_fit_one_entry() {
    use cremmy_core::accounts::{keychain_parts, KEYCHAIN_MAX_PARTS};
    assert_eq!(keychain_parts(&"a".repeat(1_280)).len(), 1);
    let over = "a".repeat(1_281);
    let pieces = keychain_parts(&over);
    assert_eq!(
        pieces.iter().map(|p| p.len()).collect::<Vec<_>>(),
        vec![1_280, 1]
    );
    // UTF-16: "😀" is two units, so a piece ends before one that would not fit whole.
    let emoji = format!("{}😀", "a".repeat(1_279));
    let pieces = keychain_parts(&emoji);
    assert_eq!(
        pieces,
        vec!["a".repeat(1_279).as_str(), "😀"],
        "a character is never cut"
    );
    assert_eq!(
        keychain_parts(&"a".repeat(1_280 * KEYCHAIN_MAX_PARTS + 1)).len(),
        KEYCHAIN_MAX_PARTS + 1,
        "longer than the most pieces: refused at sign-in"
    );
}

/// Microsoft's tokens run longer than one Windows credential: kept in pieces in the real
/// keychain, read back whole, and no piece is left behind when the token shrinks or goes.
#[tokio::test]
async fn a_long_token_is_kept_in_pieces_and_its_old_pieces_are_removed() {
    use cremmy_core::accounts::keychain_tokens::{split_manifest, TokenKind};
    let t = crate::accounts_support::test_accounts().await;
    let vault = t.accounts.vault();
    let (p, who, kind) = (
        Provider::Microsoft,
        "long@outlook.example",
        TokenKind::Access,
    );
    let long: String = (0..5_000)
        .map(|i| char::from(b'A' + (i % 26) as u8))
        .collect();
    vault.set(p, who, kind, &long).await.unwrap();
    assert_eq!(
        vault.get(p, who, kind).await.unwrap().as_deref(),
        Some(long.as_str())
    );
    let raw = vault.raw(p, who, kind).await.unwrap().unwrap();
    let (first, count) = split_manifest(&raw).expect("the entry names its pieces");
    assert_eq!(count, 4, "5,000 characters in pieces of 1,280");

    let longer = format!("{long}-rotated");
    vault.set(p, who, kind, &longer).await.unwrap();
    assert_eq!(
        vault.get(p, who, kind).await.unwrap().as_deref(),
        Some(longer.as_str())
    );
    for i in 0..count {
        assert!(
            !vault.holds_part(p, who, kind, &first, i).await.unwrap(),
            "the previous generation's piece {i} is gone"
        );
    }
    let raw = vault.raw(p, who, kind).await.unwrap().unwrap();
    let (second, count) = split_manifest(&raw).unwrap();
    vault.set(p, who, kind, "short").await.unwrap();
    assert_eq!(
        vault.get(p, who, kind).await.unwrap().as_deref(),
        Some("short")
    );
    assert!(!vault.holds_part(p, who, kind, &second, 0).await.unwrap());

    vault.set(p, who, kind, &long).await.unwrap();
    let raw = vault.raw(p, who, kind).await.unwrap().unwrap();
    let (third, count3) = split_manifest(&raw).unwrap();
    vault.delete(p, who, kind).await.unwrap();
    assert_eq!(vault.get(p, who, kind).await.unwrap(), None);
    for i in 0..count3 {
        assert!(
            !vault.holds_part(p, who, kind, &third, i).await.unwrap(),
            "deleted with the token"
        );
    }
    let _ = count;
}
