//! The background engine and the desktop integration in the real window and as processes: with no
//! tray host (Xvfb) the window stays the way in and says so, pause survives a restart, a failed
//! email waits in the outbox until "Retry", start-at-login writes the autostart entry, and a sync
//! killed at random points then restarted (under injected faults) ends with the same database as
//! an uninterrupted one.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::accounts::{cremmy, reqwest_post_json, sandbox, sandbox_env};
use crate::support::app_window::AppWindow;
use crate::support::stdout;
use crate::sync::{browser_script, cli, connected_window, data_with_client};

#[tokio::test]
async fn without_a_tray_host_the_window_stays_the_way_in_and_pause_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let app = AppWindow::launch("engine-no-tray", &data).await;
    app.click("#nav-settings").await;
    app.wait_for_text("#tray-note", "no system tray").await;
    let close_to_tray = app.wait_for("#close-to-tray").await;
    assert_eq!(
        close_to_tray.attr("disabled").await.unwrap().is_some(),
        true,
        "closing cannot hide the window when there is no tray to bring it back"
    );
    app.wait_for_text("#sync-status", "Not synced yet").await;
    app.click("#sync-pause").await;
    app.wait_for_text("#sync-status", "paused").await;
    app.wait_for_text("#sync-pause", "Resume").await;
    app.close().await;

    let again = AppWindow::launch("engine-still-paused", &data).await;
    again.wait_for_text("#sync-status", "paused").await;
    again.click("#sync-pause").await;
    again.wait_for_text("#sync-pause", "Pause").await;
    let text = again.text("#sync-status").await;
    assert!(!text.contains("paused"), "resumed: {text}");
    again.screenshot().await;
    again.close().await;
}

#[tokio::test]
async fn the_background_engine_imports_a_seeded_mailbox_on_start_without_a_click() {
    let sb = sandbox().await;
    seed_mailbox(&sb, 4, 30, 5).await;
    let dir = tempfile::tempdir().unwrap();
    let data = data_with_clients(dir.path(), 4);
    let mut env = sandbox_env(&sb);
    env.push(("BROWSER".into(), browser_script(dir.path())));
    assert!(cli(&data, &env, &["connect", "google"])
        .await
        .status
        .success());

    let app = AppWindow::launch_with_env("engine-background-sync", &data, &env).await;
    app.wait_for_text("#sync-status", "Synced").await;
    app.click("#nav-sync-history").await;
    app.wait_for_text(".sync-run[data-integration='gmail']", "(startup)")
        .await;
    app.wait_for_text(".sync-run[data-integration='gmail']", "120 read")
        .await;
    app.click("#nav-clients").await;
    app.click(".client-row .client-name").await;
    app.wait_for("#timeline .activity").await;
    app.screenshot().await;
    app.close().await;
}

#[tokio::test]
async fn a_failed_email_waits_in_the_outbox_and_retry_sends_it() {
    let sb = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let data = data_with_client(dir.path());
    let app = connected_window("engine-outbox-retry", &sb, dir.path(), &data).await;
    let faults = format!("{}_sandbox/faults", sb.base_url());
    reqwest_post_json(
        &faults,
        serde_json::json!({ "rules": [
            { "path": "/drafts/send", "fault": { "kind": "status", "status": 403, "reason": "forbidden" } },
        ] }),
    )
    .await;
    app.click("#nav-clients").await;
    app.click(".client-row .client-name").await;
    app.wait_for_text("#client-title", "Client One").await;
    app.click("#send-email").await;
    app.type_into("#email-subject", "Workshop dates").await;
    app.type_into("#email-body", "Would the 14th suit you?")
        .await;
    app.click("#email-send").await;
    app.wait_for_text(".toasts .toast:last-child", "403").await;
    app.click("#email-cancel").await;

    app.click("#nav-sync-history").await;
    app.wait_for("#outbox .job-row[data-status='dead']").await;
    app.wait_for_text("#outbox", "Email: Workshop dates").await;
    app.wait_for_text("#sync-status", "1 failed").await;

    reqwest_post_json(&faults, serde_json::json!({ "rules": [] })).await;
    app.click("#outbox .job-retry").await;
    app.wait_for("#outbox-empty").await;
    let sent = {
        let world = sb.shared.lock();
        world.google.mailboxes["consultant@sandbox.example"]
            .messages
            .iter()
            .filter(|m| m.label_ids.iter().any(|l| l == "SENT"))
            .count()
    };
    assert_eq!(sent, 1, "Retry sent the email once");
    app.click("#nav-clients").await;
    app.click(".client-row .client-name").await;
    app.wait_for_text("#timeline", "Workshop dates").await;
    app.screenshot().await;
    app.close().await;
}

#[tokio::test]
async fn start_at_login_adds_and_removes_the_autostart_entry() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let env = [
        ("HOME".to_string(), home.display().to_string()),
        (
            "XDG_CONFIG_HOME".to_string(),
            home.join(".config").display().to_string(),
        ),
    ];
    let app = AppWindow::launch_with_env("engine-autostart", &dir.path().join("data"), &env).await;
    app.click("#nav-settings").await;
    app.click("#start-at-login").await;
    app.wait_for_text(".toasts", "Cremmy starts when you log in")
        .await;
    let entries = autostart_entries(&home);
    assert_eq!(entries.len(), 1, "one autostart entry: {entries:?}");
    let entry = std::fs::read_to_string(&entries[0]).unwrap();
    assert!(entry.contains("--minimized"), "starts in the tray: {entry}");
    app.click("#start-at-login").await;
    app.wait_for_text(".toasts", "no longer starts at login")
        .await;
    assert!(autostart_entries(&home).is_empty(), "removed again");
    app.close().await;
}

fn autostart_entries(home: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(home.join(".config/autostart"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

/// `clients` × `per_client` messages in the sandbox's mailbox (deterministic for `seed`).
async fn seed_mailbox(sb: &cremmy_sandbox::Sandbox, clients: u32, per_client: u32, seed: u64) {
    reqwest_post_json(
        &format!("{}_sandbox/google/seed", sb.base_url()),
        serde_json::json!({ "clients": clients, "messages_per_client": per_client, "seed": seed }),
    )
    .await;
}

/// A data folder whose clients are the sandbox seed's first `n` (contactK@clientK.example).
fn data_with_clients(dir: &Path, n: usize) -> PathBuf {
    let data = dir.join("data");
    let csv = dir.join("clients.csv");
    let mut rows = String::from("Company,Name,Email\n");
    for k in 1..=n {
        rows.push_str(&format!(
            "Client {k},Contact {k},contact{k}@client{k}.example\n"
        ));
    }
    std::fs::write(&csv, rows).unwrap();
    let out = cremmy(&data, &[], &["import", csv.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "import: {}", stdout(&out));
    data
}

/// What a sync leaves behind that must not depend on how it got there.
async fn synced_state(data: &Path) -> Vec<String> {
    let db = cremmy_core::Database::open_in(data).await.unwrap();
    let mut rows: Vec<String> = sqlx::query_as::<_, (String, String, String, String, i64, String)>(
        "SELECT c.name, a.kind, a.direction, a.subject, a.occurred_at, e.message_id \
         FROM activities a JOIN clients c ON c.id = a.client_id JOIN emails e ON e.activity_id = a.id",
    )
    .fetch_all(db.pool())
    .await
    .unwrap()
    .into_iter()
    .map(|r| format!("{r:?}"))
    .collect();
    rows.sort();
    let cursors: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT stream, cursor FROM sync_cursors ORDER BY stream")
            .fetch_all(db.pool())
            .await
            .unwrap();
    rows.push(format!("cursors {cursors:?}"));
    db.close().await;
    rows
}

#[tokio::test]
async fn a_sync_killed_midway_and_restarted_under_faults_ends_like_a_clean_one() {
    let sb = sandbox().await;
    // 1,600 messages: four pages of Gmail's listing, each committed on its own.
    seed_mailbox(&sb, 8, 200, 11).await;
    let mut env = sandbox_env(&sb);

    let clean_dir = tempfile::tempdir().unwrap();
    let clean = data_with_clients(clean_dir.path(), 6);
    env.push(("BROWSER".into(), browser_script(clean_dir.path())));
    assert!(cli(&clean, &env, &["connect", "google"])
        .await
        .status
        .success());
    let done = cli(&clean, &env, &["sync", "--once"]).await;
    assert!(done.status.success(), "clean run: {}", stdout(&done));
    let expected = synced_state(&clean).await;
    assert!(
        expected.len() > 1000,
        "a dataset worth interrupting: {} rows",
        expected.len()
    );

    let dir = tempfile::tempdir().unwrap();
    let data = data_with_clients(dir.path(), 6);
    assert!(cli(&data, &env, &["connect", "google"])
        .await
        .status
        .success());
    // Slow every Gmail call a little (so a kill lands mid-run) and fail a few with 503 / 429.
    reqwest_post_json(
        &format!("{}_sandbox/faults", sb.base_url()),
        serde_json::json!({ "seed": 7, "rules": [
            { "path": "/gmail/v1/users/me/messages/", "probability": 0.004, "fault": { "kind": "status", "status": 503 } },
            { "path": "/gmail/v1/users/me/messages", "probability": 0.002, "fault": { "kind": "status", "status": 429, "retry_after_secs": 1 } },
            { "path": "/gmail/", "fault": { "kind": "delay", "ms": 2 } },
        ] }),
    )
    .await;
    // Each round: start a sync, wait until it has committed something new, then kill it (SIGKILL:
    // no chance to clean up) a pseudo-random moment later, mid-way through the next batch.
    let db = cremmy_core::Database::open_in(&data).await.unwrap();
    let imported = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM activities")
            .fetch_one(db.pool())
            .await
            .unwrap()
    };
    let mut killed_after = Vec::new();
    for extra_ms in [40_u64, 260, 130] {
        let before = imported().await;
        let mut child = cremmy(&data, &env, &["sync", "--once"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        loop {
            tokio::time::sleep(Duration::from_millis(20)).await;
            if child.try_wait().unwrap().is_some() {
                break;
            }
            if imported().await > before {
                tokio::time::sleep(Duration::from_millis(extra_ms)).await;
                let _ = child.kill();
                break;
            }
        }
        let _ = tokio::task::spawn_blocking(move || child.wait()).await;
        killed_after.push(imported().await);
    }
    db.close().await;
    assert!(
        killed_after
            .iter()
            .filter(|&&n| n > 0 && (n as usize) < expected.len() - 1)
            .count()
            >= 2,
        "kills landed mid-import (activities after each: {killed_after:?} of {})",
        expected.len() - 1
    );
    let mut finished = None;
    for _ in 0..3 {
        let out = cli(&data, &env, &["sync", "--once"]).await;
        if out.status.success() {
            finished = Some(out);
            break;
        }
    }
    let finished = finished.expect("a restarted sync completes");
    let got = synced_state(&data).await;
    assert_eq!(
        got.len(),
        expected.len(),
        "same number of activities after kills and restarts: {}",
        stdout(&finished)
    );
    assert_eq!(
        got, expected,
        "the same activities, Message-IDs and cursor as a clean run"
    );
}
