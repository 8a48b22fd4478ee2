//! `cremmy://` links delivered the way the OS delivers them: a second `cremmy <URL>` process,
//! which hands the URL to the running window (single-instance) and exits.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

use cremmy_sandbox::Sandbox;

use crate::support::app_window::AppWindow;
use crate::support::{cremmy_bin, run_cremmy};

/// What the OS runs for a link: `cremmy URL` (Exec=cremmy %u), here with the test's data folder.
async fn open_link(data_dir: &Path, url: &str) {
    let mut os = Command::new(cremmy_bin());
    os.arg(url).env("CREMMY_DATA_DIR", data_dir);
    let status = tokio::task::spawn_blocking(move || os.status())
        .await
        .unwrap()
        .expect("cremmy starts");
    assert!(
        status.success(),
        "the second instance hands the link over and exits cleanly: {status}"
    );
}

#[tokio::test]
async fn a_client_link_opens_that_client_in_the_running_window_and_garbage_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    assert!(run_cremmy(dir.path(), &["demo"]).status.success());
    let app = AppWindow::launch("deep-link-open-client", dir.path()).await;
    app.click("#nav-clients").await;
    app.wait_for_count(".client-row", 10).await;
    open_link(dir.path(), "cremmy://client/2").await;
    app.wait_for_text("#client-title", "Brightwater Hotels")
        .await;
    open_link(dir.path(), "cremmy://settings/../../etc/passwd").await;
    let toast = app
        .wait_for_text(".toast.error", "does not know the link")
        .await;
    assert!(toast.contains("ignored"), "{toast}");
    assert!(
        !toast.contains("passwd"),
        "the link's text is not echoed: {toast}"
    );
    app.screenshot().await;
    app.close().await;
}

#[tokio::test]
async fn a_deep_link_sign_in_comes_back_to_the_running_window() {
    let sb = Sandbox::start(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    sb.shared.lock().google.settings.custom_scheme_redirects = true;
    let client = sb.shared.lock().google.settings.clone();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // The browser consents; the provider redirects to cremmy://oauth/callback, which the OS
    // opens with `cremmy URL`.
    let browser = dir.path().join("browser.sh");
    let script = format!(
        "#!/bin/sh\n( link=$(curl -s -o /dev/null -w '%{{redirect_url}}' \"$1\"); CREMMY_DATA_DIR='{}' exec '{}' \"$link\" ) &\nexit 0\n",
        data.display(),
        cremmy_bin()
    );
    std::fs::write(&browser, script).unwrap();
    std::fs::set_permissions(
        &browser,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let env = vec![
        ("CREMMY_GOOGLE_BASE_URL".to_string(), sb.base_url()),
        ("CREMMY_GOOGLE_CLIENT_ID".to_string(), client.client_id),
        (
            "CREMMY_GOOGLE_CLIENT_SECRET".to_string(),
            client.client_secret,
        ),
        (
            "CREMMY_GOOGLE_REDIRECT".to_string(),
            "deep-link".to_string(),
        ),
        ("BROWSER".to_string(), browser.display().to_string()),
    ];
    let app = AppWindow::launch_with_env("deep-link-sign-in", &data, &env).await;
    app.click("#nav-integrations").await;
    app.click(".integration.google .connect").await;
    let account = app
        .wait_for_text(".integration.google .account", "consultant@sandbox.example")
        .await;
    assert!(account.contains("Connected"), "{account}");
    let redirects: Vec<String> = sb
        .shared
        .lock()
        .log
        .entries
        .iter()
        .filter(|r| r.path == "/o/oauth2/v2/auth")
        .map(|r| r.query.clone())
        .collect();
    assert!(
        !redirects.is_empty()
            && redirects
                .iter()
                .all(|q| q.contains("redirect_uri=cremmy%3A%2F%2Foauth%2Fcallback")),
        "the sign-in used the deep link: {redirects:?}"
    );
    app.close().await;
}
