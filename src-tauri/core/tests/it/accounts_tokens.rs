//! Access tokens after sign-in: refresh ahead of expiry shared by concurrent callers, refresh
//! after a 401, `invalid_grant` → reconnect, disconnect with revoke (online or not).

use cremmy_core::accounts::AccountsError;
use cremmy_core::HasErrorCode;
use cremmy_protocol::accounts::{AccountStatus, Feature};
use cremmy_protocol::ErrorCode;

use crate::accounts_support::*;

#[tokio::test]
async fn tokens_refresh_ahead_of_expiry_once_for_concurrent_callers() {
    let t = test_accounts().await;
    t.sandbox
        .shared
        .lock()
        .google
        .settings
        .access_token_ttl_secs = 60;
    let account = connect(&t, &[Feature::MailIngest]).await;
    let first = t.accounts.access_token(account.id).await.unwrap();
    let calls = token_calls(&t).await;
    assert_eq!(
        t.accounts.access_token(account.id).await.unwrap(),
        first,
        "a fresh token is reused"
    );
    assert_eq!(token_calls(&t).await, calls, "no refresh while fresh");

    t.clock.advance(31_000); // past half of a 60 s lifetime
    let callers: Vec<_> = (0..8)
        .map(|_| {
            let a = t.accounts.clone();
            tokio::spawn(async move { a.access_token(account.id).await })
        })
        .collect();
    let mut tokens = Vec::new();
    for c in callers {
        tokens.push(c.await.unwrap().expect("a token"));
    }
    assert_eq!(
        token_calls(&t).await,
        calls + 1,
        "eight callers, one refresh"
    );
    assert!(
        tokens.iter().all(|x| *x == tokens[0] && *x != first),
        "all got the same new token"
    );
    let refreshed = t.accounts.get(account.id).await.unwrap();
    assert_eq!(refreshed.access_expires_at, Some(t.clock_now() + 60_000));
}

trait ClockNow {
    fn clock_now(&self) -> i64;
}

impl ClockNow for TestAccounts {
    fn clock_now(&self) -> i64 {
        use cremmy_core::clock::Clock;
        self.clock.now()
    }
}

#[tokio::test]
async fn a_401_refreshes_once_and_other_callers_get_the_new_token() {
    let t = test_accounts().await;
    let account = connect(&t, &[Feature::MailIngest]).await;
    let old = t.accounts.access_token(account.id).await.unwrap();
    sandbox_control(&t, "google/tokens/expire").await;
    let rejected = http()
        .get(format!("{}gmail/v1/users/me/profile", t.sandbox.base_url()))
        .bearer_auth(&old)
        .send()
        .await
        .unwrap();
    assert_eq!(rejected.status().as_u16(), 401);
    let calls = token_calls(&t).await;
    let (a, b) = tokio::join!(
        t.accounts.access_token_after_401(account.id, &old),
        t.accounts.access_token_after_401(account.id, &old)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a, b, "both callers end up with the one new token");
    assert_ne!(a, old);
    assert_eq!(token_calls(&t).await, calls + 1, "two 401s, one refresh");
    let ok = http()
        .get(format!("{}gmail/v1/users/me/profile", t.sandbox.base_url()))
        .bearer_auth(&a)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status().as_u16(), 200);
}

#[tokio::test]
async fn invalid_grant_asks_for_reconnect_and_reconnecting_heals() {
    let t = test_accounts().await;
    t.sandbox
        .shared
        .lock()
        .google
        .settings
        .access_token_ttl_secs = 60;
    let account = connect(&t, &[Feature::MailIngest]).await;
    sandbox_control(&t, "google/grants/revoke").await;
    t.clock.advance(60_000);
    let err = t
        .accounts
        .access_token(account.id)
        .await
        .expect_err("the grant is gone");
    assert_eq!(err.code(), ErrorCode::ReconnectNeeded, "{err}");
    let after = t.accounts.get(account.id).await.unwrap();
    assert_eq!(after.status, AccountStatus::NeedsReauth);
    assert!(
        after
            .problem
            .as_deref()
            .unwrap_or_default()
            .contains("Reconnect"),
        "{:?}",
        after.problem
    );

    let calls = token_calls(&t).await;
    assert!(matches!(
        t.accounts.access_token(account.id).await,
        Err(AccountsError::ReconnectNeeded { .. })
    ));
    assert_eq!(
        token_calls(&t).await,
        calls,
        "a paused account does not hammer the provider"
    );

    let healed = connect(&t, &[Feature::MailIngest]).await;
    assert_eq!(
        (healed.id, healed.status, healed.problem.as_deref()),
        (account.id, AccountStatus::Connected, None)
    );
    t.accounts
        .access_token(account.id)
        .await
        .expect("works again");
}

#[tokio::test]
async fn disconnect_revokes_forgets_tokens_and_works_offline() {
    let t = test_accounts().await;
    let account = connect(&t, &[Feature::MailIngest]).await;
    let gone = t.accounts.disconnect(account.id).await.unwrap();
    assert_eq!(gone.status, AccountStatus::Disconnected);
    assert!(
        t.sandbox.shared.lock().google.refresh_tokens.is_empty(),
        "revoked at the provider"
    );
    let err = t
        .accounts
        .access_token(account.id)
        .await
        .expect_err("disconnected");
    assert_eq!(err.code(), ErrorCode::ReconnectNeeded);

    let back = connect(&t, &[Feature::MailIngest]).await;
    assert_eq!(back.status, AccountStatus::Connected);
    let base = t.sandbox.base_url();
    drop(t.sandbox);
    let addr = base
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    crate::support::eventually("the provider stopped answering", || {
        std::net::TcpStream::connect(&addr).is_err()
    })
    .await;
    let offline = t
        .accounts
        .disconnect(back.id)
        .await
        .expect("disconnecting offline still forgets the tokens");
    assert_eq!(offline.status, AccountStatus::Disconnected);
    assert!(
        reqwest::get(format!("{base}token")).await.is_err(),
        "sanity: the provider really was unreachable"
    );
}

#[tokio::test]
async fn checking_an_account_finds_a_revoked_grant() {
    let t = test_accounts().await;
    let account = connect(&t, &[Feature::MailIngest]).await;
    assert_eq!(
        t.accounts
            .check(account.id)
            .await
            .expect("a healthy account checks out")
            .status,
        AccountStatus::Connected
    );
    sandbox_control(&t, "google/grants/revoke").await;
    let err = t
        .accounts
        .check(account.id)
        .await
        .expect_err("the grant is gone");
    assert_eq!(err.code(), ErrorCode::ReconnectNeeded, "{err}");
    assert_eq!(
        t.accounts.get(account.id).await.unwrap().status,
        AccountStatus::NeedsReauth,
        "a 401, then invalid_grant on refresh"
    );
}

#[test]
fn a_locked_or_silent_keychain_is_retried_and_a_bad_entry_is_not() {
    use cremmy_core::accounts::AccountsError;
    use cremmy_core::jobs::{after_failure, AfterFailure, Failure};
    use cremmy_core::sync::SyncError;
    let locked = || keyring_core::Error::NoStorageAccess("the collection is locked".into());
    let cases: Vec<(AccountsError, bool, &str)> = vec![
        (
            AccountsError::Keychain {
                action: "read the tokens",
                source: locked(),
            },
            true,
            "locked at login",
        ),
        (
            AccountsError::Keychain {
                action: "read the tokens",
                source: keyring_core::Error::PlatformFailure(
                    "org.freedesktop.DBus.Error.ServiceUnknown".into(),
                ),
            },
            true,
            "the Secret Service is not running yet",
        ),
        (
            AccountsError::KeychainTimedOut {
                action: "read the tokens",
                seconds: 20,
            },
            true,
            "no answer",
        ),
        (
            AccountsError::Keychain {
                action: "store the tokens",
                source: keyring_core::Error::TooLong("password".into(), 2560),
            },
            false,
            "a secret too long for the store does not fit later either",
        ),
    ];
    for (error, retryable, why) in cases {
        let error = SyncError::Accounts(error);
        assert_eq!(error.is_retryable(), retryable, "{why}: {error}");
        let failure = Failure {
            retryable: error.is_retryable(),
            offline: error.is_offline(),
            retry_after: None,
        };
        let next = after_failure(1, 8, failure, crate::support::T0, 0.5);
        assert_eq!(
            matches!(next, AfterFailure::RetryAt { .. }),
            retryable,
            "{why}: a queued job {} ({next:?})",
            if retryable {
                "waits and tries again"
            } else {
                "ends in the dead letters"
            }
        );
    }
}

#[test]
fn a_failed_keychain_set_up_is_tried_again_and_a_good_one_is_kept() {
    use cremmy_core::keychain::UntilOk;
    let set_up = UntilOk::new();
    let mut calls = 0;
    assert!(set_up
        .run(|| {
            calls += 1;
            Err("not yet".into())
        })
        .is_err());
    assert!(
        set_up
            .run(|| {
                calls += 1;
                Ok(())
            })
            .is_ok(),
        "tried again after a failure"
    );
    assert!(
        set_up
            .run(|| {
                calls += 1;
                Err("must not run".into())
            })
            .is_ok(),
        "kept once it worked"
    );
    assert_eq!(calls, 2);
}

#[tokio::test]
async fn a_missing_client_secret_is_named_not_reported_as_reconnect() {
    let t = test_accounts().await;
    // CREMMY_GOOGLE_CLIENT_ID without CREMMY_GOOGLE_CLIENT_SECRET.
    let id = t.sandbox.shared.lock().google.settings.client_id.clone();
    let apps = cremmy_core::accounts::OAuthApps::from_lookup(|k| {
        (k == "CREMMY_GOOGLE_CLIENT_ID").then(|| id.clone())
    });
    let base = t.sandbox.base_url();
    let endpoints = cremmy_core::endpoints::Endpoints::from_lookup(|k| {
        (k == "CREMMY_GOOGLE_BASE_URL").then(|| base.clone())
    });
    let accounts =
        cremmy_core::accounts::Accounts::open(t.db.clone(), t.clock.clone(), endpoints, apps)
            .await
            .unwrap();
    let err = accounts
        .begin_login(
            &google(&[Feature::MailIngest]),
            "http://127.0.0.1:9/callback",
        )
        .await
        .expect_err("no secret: no sign-in");
    let message = err.to_string();
    assert_eq!(err.code(), ErrorCode::NotConfigured, "{message}");
    assert!(
        message.contains("CREMMY_GOOGLE_CLIENT_SECRET") && !message.contains("Reconnect"),
        "says which setting is missing, not 'reconnect': {message}"
    );
}

#[tokio::test]
async fn a_refused_client_leaves_the_account_connected_and_says_so() {
    let t = test_accounts().await;
    t.sandbox
        .shared
        .lock()
        .google
        .settings
        .access_token_ttl_secs = 60;
    let account = connect(&t, &[Feature::MailIngest]).await;
    // The client's secret was reset in the Google Cloud console.
    t.sandbox.shared.lock().google.settings.client_secret = "rotated-secret".into();
    t.clock.advance(60_000);
    let err = t
        .accounts
        .access_token(account.id)
        .await
        .expect_err("the token endpoint refuses the client");
    let message = err.to_string();
    assert_eq!(err.code(), ErrorCode::NotConfigured, "{message}");
    assert!(
        message.contains("OAuth client") && message.contains("invalid_client"),
        "says the client is refused: {message}"
    );
    assert_eq!(
        t.accounts.get(account.id).await.unwrap().status,
        AccountStatus::Connected,
        "the grant is not what failed: the account is not marked for reconnecting"
    );
}
