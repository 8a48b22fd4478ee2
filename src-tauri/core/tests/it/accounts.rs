//! Connecting Google through the real OAuth flow against the sandbox: loopback and deep link,
//! state and PKCE checks, denial, timeout, and where the tokens end up.

use std::sync::Arc;
use std::time::Duration;

use cremmy_core::accounts::{AccountsError, CallbackRejection, PENDING_LIFETIME_MS};
use cremmy_core::deep_link::{self, DeepLink};
use cremmy_core::HasErrorCode;
use cremmy_protocol::accounts::{AccountStatus, Feature};
use cremmy_protocol::ErrorCode;

use crate::accounts_support::*;

#[tokio::test]
async fn loopback_sign_in_connects_and_keeps_tokens_only_in_the_keychain() {
    let t = test_accounts().await;
    let page = Arc::new(std::sync::Mutex::new(String::new()));
    let account = t
        .accounts
        .connect_with_loopback(
            &google(&[Feature::MailIngest]),
            browser(page.clone()),
            Duration::from_secs(20),
        )
        .await
        .expect("connected");
    assert_eq!(
        (account.email.as_str(), account.status),
        ("consultant@sandbox.example", AccountStatus::Connected)
    );
    assert_eq!(
        account.features,
        vec![Feature::MailIngest],
        "granted scopes map back to features"
    );
    assert!(
        account.scopes.iter().any(|s| s == "openid"),
        "identity scopes are always asked for: {:?}",
        account.scopes
    );
    crate::support::eventually("the browser tab says it connected", || {
        page.lock()
            .unwrap()
            .contains("connected to Google Workspace as consultant@sandbox.example")
    })
    .await;

    let access = t.accounts.access_token(account.id).await.expect("a token");
    let profile = http()
        .get(format!("{}gmail/v1/users/me/profile", t.sandbox.base_url()))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(
        profile.status().as_u16(),
        200,
        "the stored token works at the provider"
    );

    let refresh_tokens: Vec<String> = t
        .sandbox
        .shared
        .lock()
        .google
        .refresh_tokens
        .keys()
        .cloned()
        .collect();
    assert_eq!(refresh_tokens.len(), 1);
    sqlx::query("PRAGMA wal_checkpoint(FULL)")
        .execute(t.db.writer())
        .await
        .unwrap();
    let bytes = data_dir_bytes(&t);
    assert!(
        !contains(&bytes, &access),
        "the access token must not be in the data directory"
    );
    assert!(
        !contains(&bytes, &refresh_tokens[0]),
        "the refresh token must not be in the data directory"
    );
    assert!(
        contains(&bytes, "consultant@sandbox.example"),
        "sanity: the scan does see the account row"
    );
}

#[tokio::test]
async fn state_is_single_use_bound_to_the_attempt_and_expires() {
    let t = test_accounts().await;
    let start = t
        .accounts
        .begin_login(&google(&[]), "http://127.0.0.1:53682/callback")
        .await
        .unwrap();
    let callback = consent(&start.authorize_url).await;
    assert!(
        callback.contains(&format!("state={}", start.state)),
        "the provider echoes the state"
    );
    t.accounts
        .finish_login(&callback)
        .await
        .expect("the first use works");
    let replay = t
        .accounts
        .finish_login(&callback)
        .await
        .expect_err("replayed");
    assert!(
        matches!(
            replay,
            AccountsError::Callback(CallbackRejection::UnknownState)
        ),
        "{replay:?}"
    );

    let forged = callback.replace(&start.state, "forged-state");
    assert!(matches!(
        t.accounts.finish_login(&forged).await,
        Err(AccountsError::Callback(CallbackRejection::UnknownState))
    ));

    let late = t
        .accounts
        .begin_login(&google(&[]), "http://127.0.0.1:53682/callback")
        .await
        .unwrap();
    let late_callback = consent(&late.authorize_url).await;
    t.clock.advance(PENDING_LIFETIME_MS);
    let expired = t
        .accounts
        .finish_login(&late_callback)
        .await
        .expect_err("too late");
    assert!(
        matches!(
            expired,
            AccountsError::Callback(CallbackRejection::UnknownState)
        ),
        "{expired:?}"
    );

    let other_port = t
        .accounts
        .begin_login(&google(&[]), "http://127.0.0.1:53682/callback")
        .await
        .unwrap();
    let moved = consent(&other_port.authorize_url)
        .await
        .replace(":53682/", ":53999/");
    let mismatch = t
        .accounts
        .finish_login(&moved)
        .await
        .expect_err("another listener");
    assert!(
        matches!(
            mismatch,
            AccountsError::Callback(CallbackRejection::RedirectMismatch)
        ),
        "{mismatch:?}"
    );
    assert_eq!(
        t.accounts.list().await.unwrap().len(),
        1,
        "only the one good sign-in made an account"
    );
}

#[tokio::test]
async fn garbage_callbacks_are_refused_without_side_effects() {
    let t = test_accounts().await;
    let too_long = format!(
        "http://127.0.0.1:5000/callback?state=s&code={}",
        "x".repeat(5000)
    );
    let cases: Vec<(String, CallbackRejection)> = vec![
        (too_long.clone(), CallbackRejection::TooLong(too_long.len())),
        ("not a url".into(), CallbackRejection::Malformed),
        (
            "https://evil.example/callback?state=s&code=c".into(),
            CallbackRejection::NotAllowed,
        ),
        (
            "http://127.0.0.1:5000/other?state=s&code=c".into(),
            CallbackRejection::NotAllowed,
        ),
        (
            "http://user:pw@127.0.0.1:5000/callback?state=s&code=c".into(),
            CallbackRejection::NotAllowed,
        ),
        ("javascript:alert(1)".into(), CallbackRejection::NotAllowed),
        // `localhost` is a loopback name (Xero's registered redirect); look-alikes are not.
        (
            "http://localhost.evil.example:48620/callback?state=s&code=c".into(),
            CallbackRejection::NotAllowed,
        ),
        (
            "http://localhost/callback?state=s&code=c".into(),
            CallbackRejection::NotAllowed,
        ),
        (
            "http://localhost:48620/callback?state=unknown&code=c".into(),
            CallbackRejection::UnknownState,
        ),
        (
            "cremmy://oauth/elsewhere?state=s&code=c".into(),
            CallbackRejection::NotAllowed,
        ),
        (
            "http://127.0.0.1:5000/callback?code=c".into(),
            CallbackRejection::MissingState,
        ),
        (
            "cremmy://oauth/callback?state=unknown&code=c".into(),
            CallbackRejection::UnknownState,
        ),
    ];
    for (url, expected) in cases {
        let err = t.accounts.finish_login(&url).await.expect_err(&url);
        assert!(
            matches!(&err, AccountsError::Callback(r) if *r == expected),
            "{url}: expected {expected:?}, got {err:?}"
        );
        assert_eq!(err.code(), ErrorCode::InvalidInput);
    }
    assert!(
        t.accounts.list().await.unwrap().is_empty(),
        "nothing was written"
    );
    assert_eq!(token_calls(&t).await, 0, "nothing reached the provider");
}

#[tokio::test]
async fn a_pkce_mismatch_and_a_denial_connect_nothing() {
    let t = test_accounts().await;
    let start = t
        .accounts
        .begin_login(&google(&[]), "http://127.0.0.1:53682/callback")
        .await
        .unwrap();
    // Someone swapped the challenge on the way to the provider: the verifier no longer matches.
    let tampered = regex_free_replace(
        &start.authorize_url,
        "code_challenge=",
        "code_challenge=AAAA",
    );
    let err = t
        .accounts
        .finish_login(&consent(&tampered).await)
        .await
        .expect_err("PKCE mismatch");
    assert!(
        matches!(&err, AccountsError::SignInRefused { error, .. } if error == "invalid_grant"),
        "{err:?}"
    );

    t.sandbox.shared.lock().google.settings.consent = false;
    let page = Arc::new(std::sync::Mutex::new(String::new()));
    let denied = t
        .accounts
        .connect_with_loopback(
            &google(&[Feature::Sheets]),
            browser(page.clone()),
            Duration::from_secs(20),
        )
        .await
        .expect_err("denied");
    assert_eq!(denied.code(), ErrorCode::Cancelled, "{denied}");
    crate::support::eventually("the tab tells the user it was cancelled", || {
        page.lock().unwrap().contains("cancelled")
    })
    .await;
    assert!(t.accounts.list().await.unwrap().is_empty());
}

fn regex_free_replace(haystack: &str, marker: &str, with: &str) -> String {
    haystack.replacen(marker, with, 1)
}

#[tokio::test]
async fn an_unfinished_browser_sign_in_times_out_and_its_state_dies() {
    let t = test_accounts().await;
    let seen = Arc::new(std::sync::Mutex::new(String::new()));
    let remember = {
        let seen = seen.clone();
        move |url: &str| {
            *seen.lock().unwrap() = url.to_string();
            Ok(())
        }
    };
    let err = t
        .accounts
        .connect_with_loopback(&google(&[]), remember, Duration::from_millis(300))
        .await
        .expect_err("nobody signs in");
    assert_eq!(err.code(), ErrorCode::TimedOut, "{err}");
    let authorize_url = seen.lock().unwrap().clone();
    let late = consent(&authorize_url).await;
    assert!(
        matches!(
            t.accounts.finish_login(&late).await,
            Err(AccountsError::Callback(CallbackRejection::UnknownState))
        ),
        "a late callback cannot finish an abandoned sign-in"
    );
}

#[tokio::test]
async fn deep_link_sign_in_and_classification() {
    let t = test_accounts().await;
    t.sandbox
        .shared
        .lock()
        .google
        .settings
        .custom_scheme_redirects = true;
    let start = t
        .accounts
        .begin_login(&google(&[Feature::Calendar]), "cremmy://oauth/callback")
        .await
        .unwrap();
    let delivered = consent(&start.authorize_url).await;
    let Ok(DeepLink::OAuthCallback(url)) = deep_link::classify(&delivered) else {
        panic!("{delivered} is an OAuth deep link")
    };
    let account = t
        .accounts
        .finish_login(&url)
        .await
        .expect("the deep link finishes the sign-in");
    assert_eq!(account.features, vec![Feature::Calendar]);

    let loopback = t
        .accounts
        .begin_login(&google(&[]), "http://127.0.0.1:53682/callback")
        .await
        .unwrap();
    let as_deep_link = format!("cremmy://oauth/callback?state={}&code=c", loopback.state);
    let err = t
        .accounts
        .finish_login(&as_deep_link)
        .await
        .expect_err("a loopback sign-in cannot end by deep link");
    assert!(
        matches!(
            err,
            AccountsError::Callback(CallbackRejection::RedirectMismatch)
        ),
        "{err:?}"
    );

    for (link, ok) in [
        ("cremmy://client/42", Some(DeepLink::OpenClient(42))),
        ("cremmy://client/42/", Some(DeepLink::OpenClient(42))),
        ("cremmy://client/0", None),
        ("cremmy://client/-1", None),
        ("cremmy://client/99999999999999999999", None),
        ("cremmy://client/42?x=1", None),
        ("cremmy://settings", None),
        ("cremmy://client@evil/42", None),
        ("https://client/42", None),
        ("", None),
    ] {
        assert_eq!(deep_link::classify(link).ok(), ok, "{link}");
    }
    let long = format!("cremmy://client/1?{}", "a".repeat(5000));
    assert!(matches!(
        deep_link::classify(&long),
        Err(deep_link::DeepLinkError::TooLong(_))
    ));
}

#[tokio::test]
async fn several_google_accounts_and_incremental_scopes() {
    let t = test_accounts().await;
    let first = connect(&t, &[Feature::MailIngest]).await;
    t.sandbox
        .shared
        .lock()
        .google
        .mailbox("partner@sandbox.example");
    let mut request = google(&[Feature::MailIngest]);
    request.login_hint = Some("partner@sandbox.example".into());
    let page = Arc::default();
    let second = t
        .accounts
        .connect_with_loopback(&request, browser(page), Duration::from_secs(20))
        .await
        .unwrap();
    assert_ne!(first.id, second.id);
    assert_eq!(second.email, "partner@sandbox.example");

    let more = connect(&t, &[Feature::MailIngest, Feature::Sheets]).await;
    assert_eq!(
        more.id, first.id,
        "reconnecting the same account updates it"
    );
    assert_eq!(
        more.features,
        vec![
            Feature::MailIngest,
            Feature::Drive,
            Feature::Docs,
            Feature::Sheets
        ],
        "the added feature's scopes are granted (Sheets' drive.file also covers Drive and Docs)"
    );
    assert_eq!(t.accounts.list().await.unwrap().len(), 2);
}

#[tokio::test]
async fn an_oauth_client_saved_in_settings_is_used_and_its_secret_stays_in_the_keychain() {
    let t = test_accounts_with(false).await;
    let missing = t
        .accounts
        .connect_with_loopback(&google(&[]), |_: &str| Ok(()), Duration::from_secs(5))
        .await
        .expect_err("no client yet");
    assert_eq!(missing.code(), ErrorCode::NotConfigured, "{missing}");
    assert!(
        missing.to_string().contains("Integrations page"),
        "the message says where to fix it: {missing}"
    );
    let setup = t
        .accounts
        .oauth_client_setup(cremmy_protocol::Provider::Google)
        .await
        .unwrap();
    assert_eq!((setup.client_id, setup.from_environment), (None, false));

    let sandbox_client = t.sandbox.shared.lock().google.settings.clone();
    let input = |id: &str, secret: &str| cremmy_protocol::accounts::OAuthClientInput {
        provider: cremmy_protocol::Provider::Google,
        client_id: id.to_string(),
        client_secret: secret.to_string(),
        redirect_page: None,
    };
    for (id, secret) in [
        ("", "s"),
        ("123-abc", "s"),
        ("x.apps.googleusercontent.com", ""),
        ("has space.apps.googleusercontent.com", "s"),
    ] {
        let err = t
            .accounts
            .save_oauth_client(&input(id, secret))
            .await
            .expect_err(id);
        assert_eq!(
            err.code(),
            ErrorCode::InvalidInput,
            "{id:?}/{secret:?}: {err}"
        );
    }
    let saved = t
        .accounts
        .save_oauth_client(&input(
            &format!(" {} ", sandbox_client.client_id),
            &sandbox_client.client_secret,
        ))
        .await
        .unwrap();
    assert_eq!(
        saved.client_id.as_deref(),
        Some(sandbox_client.client_id.as_str()),
        "saved trimmed"
    );
    let account = connect(&t, &[Feature::MailIngest]).await;
    assert_eq!(
        account.status,
        AccountStatus::Connected,
        "the saved client signs in"
    );
    sqlx::query("PRAGMA wal_checkpoint(FULL)")
        .execute(t.db.writer())
        .await
        .unwrap();
    assert!(
        !contains(&data_dir_bytes(&t), &sandbox_client.client_secret),
        "the client secret is not in the data directory"
    );
}

#[tokio::test]
async fn a_deep_link_sign_in_waits_for_the_os_to_deliver_its_callback() {
    let t = test_accounts().await;
    t.sandbox
        .shared
        .lock()
        .google
        .settings
        .custom_scheme_redirects = true;
    let deliverer = t.accounts.clone();
    let delivered = Arc::new(std::sync::Mutex::new(None));
    let seen = delivered.clone();
    // The browser consents; the OS then hands the cremmy:// URL to the running app.
    let open = move |url: &str| {
        let url = url.to_string();
        tokio::spawn(async move {
            let link = consent(&url).await;
            *seen.lock().unwrap() = Some(deliverer.deliver_callback(&link).await.is_none());
        });
        Ok(())
    };
    let account = t
        .accounts
        .connect_with_deep_link(
            &google(&[Feature::MailIngest]),
            open,
            Duration::from_secs(20),
        )
        .await
        .expect("the deep link finishes the waiting sign-in");
    assert_eq!(account.status, AccountStatus::Connected);
    crate::support::eventually(
        "the outcome went to the waiting sign-in, not back to the link handler",
        || *delivered.lock().unwrap() == Some(true),
    )
    .await;

    let stray = t
        .accounts
        .deliver_callback("cremmy://oauth/callback?state=nobody&code=c")
        .await;
    assert!(
        matches!(
            stray,
            Some(Err(AccountsError::Callback(
                CallbackRejection::UnknownState
            )))
        ),
        "{stray:?}"
    );
    let waiting = t
        .accounts
        .connect_with_deep_link(&google(&[]), |_: &str| Ok(()), Duration::from_millis(200))
        .await;
    assert_eq!(
        waiting.expect_err("nobody delivers").code(),
        ErrorCode::TimedOut
    );
}
