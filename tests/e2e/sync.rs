//! Mail sync end to end against the provider sandbox: `cremmy sync --once` as a process, scenario
//! 5 (Sync now in the window: the email lands on the client's timeline, the card shows the last
//! sync, the Sync history view lists the run) and scenario 7 (a revoked grant: the next sync asks
//! to Reconnect, and the rest of the app keeps working).

use std::path::Path;

use cremmy_sandbox::Sandbox;

use crate::accounts::{cremmy, reqwest_post, sandbox, sandbox_env};
use crate::support::app_window::AppWindow;
use crate::support::stdout;

const WORKSHOP: &str = "Scope for the Q3 workshop";

/// A data folder with one client whose contact is the seed's `contact1@client1.example`.
pub(crate) fn data_with_client(dir: &Path) -> std::path::PathBuf {
    let data = dir.join("data");
    let csv = dir.join("clients.csv");
    std::fs::write(
        &csv,
        "Company,Name,Email\nClient One,Contact One,contact1@client1.example\n",
    )
    .unwrap();
    let out = cremmy(&data, &[], &["import", csv.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "import: {}", stdout(&out));
    data
}

/// Three clients' mail in the sandbox, plus one message with a known subject from client 1.
async fn seed_mail(sb: &Sandbox) {
    cremmy_core::http::install_crypto_provider();
    let http = reqwest::Client::new();
    for (path, body) in [
        (
            "google/seed",
            serde_json::json!({ "clients": 3, "messages_per_client": 2, "seed": 3 }),
        ),
        (
            "google/messages",
            serde_json::json!({ "from": "Contact One <contact1@client1.example>", "to": "consultant@sandbox.example", "subject": WORKSHOP, "body": "Could we move it to Thursday?" }),
        ),
    ] {
        let r = http
            .post(format!("{}_sandbox/{path}", sb.base_url()))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
    }
}

/// `cremmy ARGS` as a process on this data folder and environment. The sandbox answers on the
/// test's runtime, so the process is waited for off it.
pub(crate) async fn cli(
    data: &Path,
    env: &[(String, String)],
    args: &[&str],
) -> std::process::Output {
    let mut c = cremmy(data, env, args);
    tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap()
}

/// A `$BROWSER` that consents and follows the redirect to Cremmy's loopback listener.
pub(crate) fn browser_script(dir: &Path) -> String {
    let browser = dir.join("browser.sh");
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
    browser.display().to_string()
}

/// Launches the window pointed at the sandbox and connects Google from the Integrations page.
pub(crate) async fn connected_window(
    name: &str,
    sb: &Sandbox,
    dir: &Path,
    data: &Path,
) -> AppWindow {
    let mut env = sandbox_env(sb);
    env.push(("BROWSER".into(), browser_script(dir)));
    let app = AppWindow::launch_with_env(name, data, &env).await;
    app.click("#nav-integrations").await;
    app.click(".integration.google .connect").await;
    app.wait_for_text(".integration.google .account", "Connected")
        .await;
    app
}

#[tokio::test]
async fn cli_sync_once_imports_client_mail_and_logs_the_run() {
    let sb = sandbox().await;
    seed_mail(&sb).await;
    let dir = tempfile::tempdir().unwrap();
    let data = data_with_client(dir.path());
    let mut env = sandbox_env(&sb);
    env.push(("BROWSER".into(), browser_script(dir.path())));
    let run = |args: &'static [&'static str]| cli(&data, &env, args);
    let connected = run(&["connect", "google"]).await;
    assert!(connected.status.success(), "{}", stdout(&connected));

    let first = run(&["sync", "--once"]).await;
    let text = stdout(&first);
    assert!(first.status.success(), "{text}");
    assert!(
        text.contains("gmail full consultant@sandbox.example [cli]: fetched 7, created 3"),
        "client 1's 2 seeded messages and the workshop email are new: {text}"
    );
    let second = run(&["sync", "--once"]).await;
    assert!(
        stdout(&second).contains("gmail incremental consultant@sandbox.example [cli]: fetched 0, created 0, skipped 0, recovered 0, 1 API calls"),
        "an idle poll is one call: {}",
        stdout(&second)
    );
    let log = run(&["sync-log"]).await;
    assert_eq!(
        stdout(&log).lines().count(),
        2,
        "both runs are in the log: {}",
        stdout(&log)
    );
    let timeline = run(&["export", "activities"]).await;
    assert!(
        stdout(&timeline).contains(WORKSHOP),
        "the email is an activity: {}",
        stdout(&timeline)
    );
    let refused = run(&["sync"]).await;
    assert_eq!(
        refused.status.code(),
        Some(1),
        "`sync` without --once explains itself"
    );
}

#[tokio::test]
async fn cli_sync_through_faults_loses_nothing_and_duplicates_nothing() {
    let sb = sandbox().await;
    seed_mail(&sb).await;
    let dir = tempfile::tempdir().unwrap();
    let data = data_with_client(dir.path());
    let mut env = sandbox_env(&sb);
    env.push(("BROWSER".into(), browser_script(dir.path())));
    let run = |args: &'static [&'static str]| cli(&data, &env, args);
    assert!(run(&["connect", "google"]).await.status.success());
    // Rate limits with Retry-After, a 503 and a dropped connection on the message reads; then the
    // whole history endpoint unreachable for the second run.
    crate::accounts::reqwest_post_json(
        &format!("{}_sandbox/faults", sb.base_url()),
        serde_json::json!({ "rules": [
            { "path": "/gmail/v1/users/me/messages/", "times": 2, "fault": { "kind": "status", "status": 429, "retry_after_secs": 1, "reason": "rateLimitExceeded" } },
            { "path": "/gmail/v1/users/me/messages/", "times": 1, "fault": { "kind": "status", "status": 503 } },
            { "path": "/gmail/v1/users/me/messages/", "times": 1, "fault": { "kind": "drop" } },
        ] }),
    )
    .await;
    let faulty = run(&["sync", "--once"]).await;
    assert!(
        faulty.status.success(),
        "retried through the faults: {}",
        stdout(&faulty)
    );
    assert!(stdout(&faulty).contains("created 3"), "{}", stdout(&faulty));
    crate::accounts::reqwest_post_json(
        &format!("{}_sandbox/google/messages", sb.base_url()),
        serde_json::json!({ "from": "contact1@client1.example", "to": "consultant@sandbox.example", "subject": "During the outage" }),
    )
    .await;
    crate::accounts::reqwest_post_json(
        &format!("{}_sandbox/faults", sb.base_url()),
        serde_json::json!({ "rules": [ { "path": "/gmail/v1/users/me/history", "times": 10, "fault": { "kind": "drop" } } ] }),
    )
    .await;
    let offline = run(&["sync", "--once"]).await;
    assert_eq!(
        offline.status.code(),
        Some(1),
        "a failed run says so: {}",
        stdout(&offline)
    );
    // Back online.
    crate::accounts::reqwest_post_json(
        &format!("{}_sandbox/faults", sb.base_url()),
        serde_json::json!({ "rules": [] }),
    )
    .await;
    let healed = run(&["sync", "--once", "--reconcile"]).await;
    assert!(healed.status.success(), "{}", stdout(&healed));
    let activities = stdout(&run(&["export", "activities"]).await);
    let emails = activities.lines().filter(|l| l.contains(",email,")).count();
    assert_eq!(
        emails, 4,
        "3 from before and the one sent during the outage, once each: {activities}"
    );
    assert_eq!(
        activities.matches("During the outage").count(),
        1,
        "nothing duplicated"
    );
    let failed = stdout(&run(&["sync-log", "--failed"]).await);
    assert_eq!(
        failed.lines().count(),
        1,
        "the offline run is in the log: {failed}"
    );
}

#[tokio::test]
async fn cli_export_sheets_creates_then_updates_the_pipeline_dump() {
    let sb = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let demo = cremmy(&data, &[], &["demo"]).output().unwrap();
    assert!(demo.status.success(), "{}", stdout(&demo));
    let mut env = sandbox_env(&sb);
    env.push(("BROWSER".into(), browser_script(dir.path())));
    let run = |args: &'static [&'static str]| cli(&data, &env, args);
    let before = run(&["export-sheets"]).await;
    assert_eq!(
        before.status.code(),
        Some(1),
        "no account yet: {}",
        stdout(&before)
    );
    assert!(
        crate::support::stderr(&before).contains("Integrations"),
        "says what to do: {}",
        crate::support::stderr(&before)
    );
    assert!(run(&["connect", "google", "--feature", "sheets"])
        .await
        .status
        .success());
    let first = stdout(&run(&["export-sheets"]).await);
    assert!(
        first.contains("(new spreadsheet)") && first.contains("docs.google.com/spreadsheets/d/"),
        "{first}"
    );
    let second = stdout(&run(&["export-sheets"]).await);
    assert!(
        second.contains("(updated)"),
        "the same spreadsheet the second time: {second}"
    );
    assert_eq!(
        sb.shared.lock().google.spreadsheets.len(),
        1,
        "one spreadsheet in the sandbox"
    );
}

#[tokio::test]
async fn s5_sync_now_brings_client_email_into_the_timeline() {
    let sb = sandbox().await;
    seed_mail(&sb).await;
    let dir = tempfile::tempdir().unwrap();
    let data = data_with_client(dir.path());
    let app = connected_window("s5-sync-now-integrations", &sb, dir.path(), &data).await;

    app.click("#sync-now").await;
    app.wait_for_text(".toasts", "Synced: 3 new emails").await;
    let last = app
        .wait_for_text(".integration.google .last-sync", "3 new")
        .await;
    assert!(
        last.contains("Last sync") && last.contains("API calls"),
        "the card shows when and what: {last}"
    );
    app.screenshot().await;

    let app = app.renamed("s5-sync-history");
    app.click("#open-sync-history").await;
    let row = app
        .wait_for_text(".sync-run[data-integration=gmail]", "gmail full (manual)")
        .await;
    assert!(
        row.contains("consultant@sandbox.example") && row.contains("3 new"),
        "{row}"
    );
    app.screenshot().await;

    let app = app.renamed("s5-client-timeline");
    app.click("#nav-clients").await;
    app.click(".client-row .client-name").await;
    let timeline = app.wait_for_text("#timeline", WORKSHOP).await;
    assert!(
        timeline.contains("Could we move it to Thursday?"),
        "the snippet is shown: {timeline}"
    );
    app.screenshot().await;
    app.close().await;
}

#[tokio::test]
async fn s7_a_revoked_grant_asks_to_reconnect_and_the_app_keeps_working() {
    let sb = sandbox().await;
    seed_mail(&sb).await;
    let dir = tempfile::tempdir().unwrap();
    let data = data_with_client(dir.path());
    let app = connected_window("s7-reconnect-after-sync", &sb, dir.path(), &data).await;
    app.click("#sync-now").await;
    app.wait_for_text(".toasts", "Synced: 3 new emails").await;

    // The user removes Cremmy's access in their Google account; the access token runs out.
    reqwest_post(&format!("{}_sandbox/google/grants/revoke", sb.base_url())).await;
    reqwest_post(&format!("{}_sandbox/google/tokens/expire", sb.base_url())).await;
    app.click("#sync-now").await;
    app.wait_for_text(".toast.error", "expired — Reconnect")
        .await;
    let card = app
        .wait_for_text(".integration.google .account", "Reconnect needed")
        .await;
    assert!(
        card.contains("failed"),
        "the card says the last sync failed: {card}"
    );
    assert!(
        app.exists(".integration.google .account .reconnect").await,
        "a Reconnect button"
    );
    app.screenshot().await;

    // Everything local still works.
    let app = app.renamed("s7-still-working");
    app.click("#nav-clients").await;
    app.click(".client-row .client-name").await;
    app.wait_for_text("#timeline", WORKSHOP).await;
    app.click("#nav-tasks").await;
    app.type_into("#task-title", "Ask Contact One to re-share the folder")
        .await;
    app.click("#add-task").await;
    app.wait_for_text("#tasks-today", "Ask Contact One").await;
    app.screenshot().await;
    app.close().await;
}

#[tokio::test]
async fn s6_export_the_board_to_sheets() {
    let sb = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let demo = cremmy(&data, &[], &["demo"]).output().unwrap();
    assert!(demo.status.success(), "{}", stdout(&demo));
    let app = connected_window("s6-export-to-sheets", &sb, dir.path(), &data).await;
    app.click("#nav-pipeline").await;
    app.click("#export-sheets").await;
    let toast = app
        .wait_for_text(".toasts .toast:last-child", "Pipeline Dump")
        .await;
    assert!(
        toast.contains("new spreadsheet") && toast.contains("Open"),
        "a success toast with a link: {toast}"
    );
    let link = app
        .wait_for(".toast .toast-link")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap_or_default();
    let (id, rows, title) = {
        let world = sb.shared.lock();
        let (id, sheet) = world
            .google
            .spreadsheets
            .iter()
            .next()
            .expect("the sandbox holds the spreadsheet");
        let rows = sheet.sheets[0]
            .rows
            .iter()
            .filter(|r| {
                r.first()
                    .and_then(|v| v.as_str())
                    .is_some_and(|s| !s.is_empty())
            })
            .count();
        (id.clone(), rows, sheet.title.clone())
    };
    assert!(
        link.contains(&id),
        "the link opens that spreadsheet: {link}"
    );
    assert_eq!(title, "Pipeline Dump");
    let deals = toast
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse::<usize>().ok())
        .expect("the toast counts deals");
    assert_eq!(
        rows,
        deals + 1,
        "the sandbox holds a header and one row per deal"
    );
    app.screenshot().await;
    app.close().await;
}
