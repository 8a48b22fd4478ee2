//! The background engine and the desktop integration in the real window and as processes: with no
//! tray host (Xvfb) the window stays the way in and says so, pause survives a restart, a failed
//! email waits in the outbox until "Retry", start-at-login writes the autostart entry, and a pass
//! aborted at each of its commits in turn (a test-only crash switch, not a timed kill), then
//! restarted, ends with the same database and mailbox as an uninterrupted one.

use std::path::{Path, PathBuf};

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

/// One pass (`cremmy sync --once`: the outbox's waiting emails, then the mailbox) on a fresh
/// sandbox and data folder, aborted at `crash` if given, then started again once.
struct CrashRound {
    /// The process aborted at the crash point (a point past the last commit is never reached).
    crashed: bool,
    /// What the run left: activities with their Message-IDs, cursors, job states.
    state: Vec<String>,
    /// How many messages with each job's subject the mailbox holds as sent.
    sent_per_job: Vec<usize>,
    integrity: String,
}

const JOBS: usize = 3;

async fn crash_round(crash: Option<&str>) -> CrashRound {
    use std::os::unix::process::ExitStatusExt;
    let sb = sandbox().await;
    // 3 clients × 90 messages: more than one import chunk (250), so the mailbox takes two commits.
    seed_mailbox(&sb, 3, 90, 11).await;
    let dir = tempfile::tempdir().unwrap();
    let data = data_with_clients(dir.path(), 3);
    let mut env = sandbox_env(&sb);
    env.push(("BROWSER".into(), browser_script(dir.path())));
    let connect = [
        "connect",
        "google",
        "--feature",
        "mail-ingest",
        "--feature",
        "mail-send",
    ];
    assert!(cli(&data, &env, &connect).await.status.success());
    // The outbox holds emails written while offline (as the queue stores them).
    let db = cremmy_core::Database::open_in(&data).await.unwrap();
    let contacts: Vec<i64> = sqlx::query_scalar("SELECT id FROM contacts ORDER BY id")
        .fetch_all(db.pool())
        .await
        .unwrap();
    for (i, contact_id) in contacts.iter().cycle().take(JOBS).enumerate() {
        let input = cremmy_protocol::mail::SendEmailInput {
            contact_id: *contact_id,
            subject: format!("Crash test email {i}"),
            body: "Hello".into(),
            ..Default::default()
        };
        sqlx::query(
            "INSERT INTO jobs (kind, idempotency_key, payload, title, priority, status, max_attempts, next_run_at, created_at, updated_at) \
             VALUES ('send_email', ?, ?, 'Email', 0, 'queued', 8, 0, 0, 0)",
        )
        .bind(format!("crash-test-{i}"))
        .bind(serde_json::json!({ "input": input }).to_string())
        .execute(db.writer())
        .await
        .unwrap();
    }
    db.close().await;

    let mut first = env.clone();
    if let Some(point) = crash {
        first.push(("CREMMY_TEST_CRASH_AT".into(), point.to_string()));
    }
    let out = cli(&data, &first, &["sync", "--once"]).await;
    let crashed = out.status.signal() == Some(6);
    assert!(
        crashed || out.status.success(),
        "the pass either reached its crash point or finished: {:?} {}",
        out.status,
        stdout(&out)
    );
    if crashed {
        let again = cli(&data, &env, &["sync", "--once"]).await;
        assert!(
            again.status.success(),
            "the restart after {crash:?} finishes: {}",
            stdout(&again)
        );
    }

    let db = cremmy_core::Database::open_in(&data).await.unwrap();
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(db.pool())
        .await
        .unwrap();
    let mut state: Vec<String> = sqlx::query_as::<_, (String, String, String, String, String)>(
        "SELECT c.name, a.kind, a.direction, a.subject, e.message_id \
         FROM activities a JOIN clients c ON c.id = a.client_id JOIN emails e ON e.activity_id = a.id",
    )
    .fetch_all(db.pool())
    .await
    .unwrap()
    .into_iter()
    .map(|r| format!("{r:?}"))
    .collect();
    state.sort();
    let cursors: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT stream, cursor FROM sync_cursors ORDER BY stream")
            .fetch_all(db.pool())
            .await
            .unwrap();
    state.push(format!("cursors {cursors:?}"));
    let jobs: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT idempotency_key, status, (SELECT count(*) FROM activities a JOIN emails e ON e.activity_id = a.id \
                                          WHERE a.subject = 'Crash test email ' || substr(idempotency_key, 12)) \
         FROM jobs ORDER BY idempotency_key",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    state.push(format!("jobs {jobs:?}"));
    db.close().await;
    let sent_per_job = {
        let world = sb.shared.lock();
        (0..JOBS)
            .map(|i| {
                let subject = format!("Crash test email {i}");
                world
                    .google
                    .mailboxes
                    .values()
                    .flat_map(|m| m.messages.iter())
                    .filter(|m| m.label_ids.iter().any(|l| l == "SENT"))
                    .filter(|m| m.header("Subject") == Some(subject.as_str()))
                    .count()
            })
            .collect()
    };
    CrashRound {
        crashed,
        state,
        sent_per_job,
        integrity,
    }
}

/// Crash points, not timings: the pass is aborted right before and right after each of its CRM
/// commits in turn (a recorded send, an import chunk), then started again. Every time the
/// database is intact and ends exactly like an uninterrupted pass: each email sent once and
/// recorded once, every message imported once, the same cursor.
#[tokio::test]
async fn a_crash_at_any_commit_then_a_restart_ends_like_a_clean_one() {
    let clean = crash_round(None).await;
    assert_eq!(clean.integrity, "ok");
    assert_eq!(
        clean.sent_per_job,
        vec![1; JOBS],
        "the clean pass sends each email once"
    );
    assert!(
        clean.state.len() > 150,
        "a pass worth interrupting: {} rows",
        clean.state.len()
    );
    // Rounds are independent (their own sandbox, data folder and keychain entries) and mostly
    // wait on Gmail's pacing, so four run at a time.
    let mut crashes = 0;
    'points: for first in (1..).step_by(2) {
        let points: Vec<String> = (first..first + 2)
            .flat_map(|k| [format!("before:{k}"), format!("after:{k}")])
            .collect();
        let (a, b, c, d) = tokio::join!(
            crash_round(Some(&points[0])),
            crash_round(Some(&points[1])),
            crash_round(Some(&points[2])),
            crash_round(Some(&points[3])),
        );
        let rounds = [a, b, c, d];
        for (point, round) in points.iter().zip(rounds) {
            if !round.crashed {
                break 'points;
            }
            crashes += 1;
            eprintln!("crash point {point}: restarted, {} rows", round.state.len());
            assert_eq!(round.integrity, "ok", "{point}: the database is intact");
            assert_eq!(
                round.sent_per_job,
                vec![1; JOBS],
                "{point}: each email reached the mailbox exactly once"
            );
            assert_eq!(
                round.state, clean.state,
                "{point}: the same activities, Message-IDs, cursor and done jobs as a clean pass"
            );
        }
    }
    assert!(
        crashes >= 2 * (JOBS + 2),
        "every send and at least two import commits were crash points ({crashes} crashes)"
    );
}
