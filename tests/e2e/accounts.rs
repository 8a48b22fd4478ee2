//! Connecting Google end to end against the provider sandbox: `cremmy connect google` as a
//! process, and the Integrations page's Connect button in the real window (scenario 4), where the
//! system browser is a `$BROWSER` script that follows the consent redirect like a person would.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};

use cremmy_sandbox::Sandbox;

use crate::support::app_window::AppWindow;
use crate::support::{cremmy_bin, stdout};

pub(crate) async fn sandbox() -> Sandbox {
    Sandbox::start(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("the sandbox starts")
}

/// The variables that point Cremmy at the sandbox, as `cremmy-sandbox` prints them.
pub(crate) fn sandbox_env(sb: &Sandbox) -> Vec<(String, String)> {
    let s = sb.shared.lock().google.settings.clone();
    vec![
        ("CREMMY_GOOGLE_BASE_URL".into(), sb.base_url()),
        ("CREMMY_TWILIO_BASE_URL".into(), sb.base_url()),
        ("CREMMY_STRIPE_BASE_URL".into(), sb.base_url()),
        ("CREMMY_GOOGLE_CLIENT_ID".into(), s.client_id),
        ("CREMMY_GOOGLE_CLIENT_SECRET".into(), s.client_secret),
    ]
}

pub(crate) fn cremmy(
    data_dir: &std::path::Path,
    env: &[(String, String)],
    args: &[&str],
) -> Command {
    let mut c = Command::new(cremmy_bin());
    c.args(args).env("CREMMY_DATA_DIR", data_dir);
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

#[tokio::test]
async fn cli_connect_lists_and_disconnects_a_google_account() {
    let sb = sandbox().await;
    let env = sandbox_env(&sb);
    let dir = tempfile::tempdir().unwrap();
    let mut child = cremmy(
        dir.path(),
        &env,
        &[
            "connect",
            "google",
            "--no-browser",
            "--feature",
            "mail-ingest",
            "--feature",
            "sheets",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("cremmy starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("connect prints the sign-in address")
            .unwrap();
        if line.starts_with("http://") {
            break line;
        }
    };
    assert!(
        url.starts_with(&format!("{}o/oauth2/v2/auth?", sb.base_url())),
        "the sandbox's consent page: {url}"
    );
    assert!(
        url.contains("code_challenge_method=S256") && url.contains("spreadsheets"),
        "PKCE and the asked features' scopes: {url}"
    );
    // The "browser": consent, then follow the redirect to Cremmy's loopback listener.
    cremmy_core::http::install_crypto_provider();
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let consent = browser.get(&url).send().await.unwrap();
    let callback = consent.headers()["location"].to_str().unwrap().to_string();
    assert!(
        callback.starts_with("http://127.0.0.1:"),
        "Google desktop clients redirect to loopback: {callback}"
    );
    let page = browser
        .get(&callback)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("You can close this tab"), "{page}");
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(status.success(), "connect exits 0: {rest:?}");
    assert!(
        rest.join("\n")
            .contains("Connected Google Workspace as consultant@sandbox.example"),
        "{rest:?}"
    );

    let listed = cremmy(dir.path(), &env, &["accounts"]).output().unwrap();
    assert!(
        stdout(&listed).contains("#1 Google Workspace consultant@sandbox.example — connected"),
        "{}",
        stdout(&listed)
    );
    let database = std::fs::read(dir.path().join("cremmy.sqlite3")).unwrap();
    let refresh = sb
        .shared
        .lock()
        .google
        .refresh_tokens
        .keys()
        .next()
        .cloned()
        .expect("a grant");
    assert!(
        !database
            .windows(refresh.len())
            .any(|w| w == refresh.as_bytes()),
        "the refresh token is not in the database file"
    );
    let printed = format!("{rest:?}{}", stdout(&listed));
    assert!(
        !printed.contains(&refresh),
        "nor in anything the CLI printed"
    );
    for access in sb.shared.lock().google.access_tokens.keys() {
        assert!(
            !printed.contains(access.as_str())
                && !database
                    .windows(access.len())
                    .any(|w| w == access.as_bytes()),
            "access tokens are in neither"
        );
    }

    // The sandbox runs on this test's runtime: wait for the process off it.
    let mut disconnect = cremmy(dir.path(), &env, &["disconnect", "1"]);
    let gone = tokio::task::spawn_blocking(move || disconnect.output())
        .await
        .unwrap()
        .unwrap();
    assert!(gone.status.success(), "{}", stdout(&gone));
    assert!(
        sb.shared.lock().google.refresh_tokens.is_empty(),
        "disconnect revoked the grant at the provider"
    );
}

#[tokio::test]
async fn cli_connect_without_an_oauth_client_says_how_to_set_one_up() {
    let dir = tempfile::tempdir().unwrap();
    let out = cremmy(dir.path(), &[], &["connect", "google", "--no-browser"])
        .env_remove("CREMMY_GOOGLE_CLIENT_ID")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("CREMMY_GOOGLE_CLIENT_ID") && err.contains("Desktop app"),
        "an actionable message: {err}"
    );
}

#[tokio::test]
async fn s4_connect_google_from_the_integrations_page() {
    let sb = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    // The system browser: consents and lands on the loopback redirect, in the background as a
    // real browser would.
    let browser = dir.path().join("browser.sh");
    std::fs::write(
        &browser,
        "#!/bin/sh\n(curl -s -o /dev/null -L --max-redirs 2 \"$1\" &)\nexit 0\n",
    )
    .unwrap();
    std::fs::set_permissions(
        &browser,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    // Launched from the desktop menu: no OAuth client in the environment, only the base URL.
    let client = sb.shared.lock().google.settings.clone();
    let env = vec![
        ("CREMMY_GOOGLE_BASE_URL".to_string(), sb.base_url()),
        ("BROWSER".to_string(), browser.display().to_string()),
    ];
    let data = dir.path().join("data");
    let app = AppWindow::launch_with_env("s4-connect-google", &data, &env).await;
    app.click("#nav-integrations").await;
    let card = app
        .wait_for_text(".integration.google", "Not connected")
        .await;
    assert!(
        card.contains("Desktop app") && card.contains("Connect Google"),
        "the card explains which OAuth client to create: {card}"
    );
    app.type_into("#oauth-client-id", &client.client_id).await;
    app.type_into("#oauth-client-secret", &client.client_secret)
        .await;
    app.click("#save-oauth-client").await;
    app.wait_for_text(".integration.google .oauth-client", "saved in Cremmy")
        .await;
    app.click(".integration.google .connect").await;
    let account = app
        .wait_for_text(".integration.google .account", "consultant@sandbox.example")
        .await;
    assert!(
        account.contains("Connected"),
        "the card shows the account and its state: {account}"
    );
    assert!(
        account.contains("Read client email"),
        "and what it is used for: {account}"
    );
    app.wait_for_text(".toast", "Connected Google Workspace")
        .await;
    assert_eq!(
        sb.shared.lock().google.refresh_tokens.len(),
        1,
        "one grant at the provider"
    );
    app.screenshot().await;

    // The user removes Cremmy's access in their Google account: the check finds it, the card asks
    // to reconnect, and reconnecting heals the same account.
    let app = app.renamed("s4-reconnect-needed");
    reqwest_post(&format!("{}_sandbox/google/grants/revoke", sb.base_url())).await;
    app.click(".integration.google .account .check").await;
    let card = app
        .wait_for_text(".integration.google .account", "Reconnect needed")
        .await;
    assert!(card.contains("Reconnect"), "{card}");
    app.wait_for_text(".toast.error", "no longer accepts").await;
    app.screenshot().await;
    app.click(".integration.google .account .reconnect").await;
    let healed = app
        .wait_for_text(".integration.google .account", "Connected")
        .await;
    assert!(!healed.contains("Reconnect needed"), "{healed}");
    app.close().await;
}

pub(crate) async fn reqwest_post(url: &str) {
    cremmy_core::http::install_crypto_provider();
    let r = reqwest::Client::new()
        .post(url)
        .send()
        .await
        .expect("the sandbox answers");
    assert!(r.status().is_success(), "{url}: {}", r.status());
}

pub(crate) async fn reqwest_post_json(url: &str, body: serde_json::Value) {
    cremmy_core::http::install_crypto_provider();
    let r = reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .expect("the sandbox answers");
    assert!(r.status().is_success(), "{url}: {}", r.status());
}
