//! The background engine: the schedule planner (table tests), and the loop itself against the
//! sandbox with a manual clock and a 10 ms tick: a sync on start, then every interval, pause and
//! resume, "Sync now" while paused, notices, and a clean stop.

use std::time::Duration;

use cremmy_core::engine::schedule::{after_interval_change, after_run, is_due, MAX_BACKOFF_MS};
use cremmy_core::engine::{Engine, EngineCommand, EngineHandle};
use cremmy_core::Clock;
use cremmy_protocol::accounts::Feature;
use cremmy_protocol::crm::TaskInput;
use cremmy_protocol::engine::{EngineStatus, Notice};
use cremmy_protocol::sync::{SyncRunQuery, SyncTrigger};
use tokio::sync::mpsc;

use crate::accounts_support::connect;
use crate::mail_sync::{mail_world, MailWorld};

const MIN: i64 = 60_000;

#[test]
fn the_schedule_runs_every_interval_and_backs_off_while_failing() {
    let t = 1_000_000;
    // (why, started, interval, failures, jitter, expected next run)
    let cases = [
        ("every interval", t, 5 * MIN, 0, 0.0, t + 5 * MIN),
        (
            "jitter adds up to 10 %",
            t,
            5 * MIN,
            0,
            0.5,
            t + 5 * MIN + 15_000,
        ),
        ("one failure doubles", t, 5 * MIN, 1, 0.0, t + 10 * MIN),
        ("three failures: 8×", t, 5 * MIN, 3, 0.0, t + 40 * MIN),
        ("capped at an hour", t, 5 * MIN, 10, 0.0, t + MAX_BACKOFF_MS),
        (
            "an interval over the cap is kept",
            t,
            120 * MIN,
            2,
            0.0,
            t + 120 * MIN,
        ),
        ("under a minute is a minute", t, 1_000, 0, 0.0, t + MIN),
    ];
    for (why, started, interval, failures, jitter, expected) in cases {
        assert_eq!(
            after_run(started, interval, failures, jitter),
            expected,
            "{why}"
        );
    }
    assert!(is_due(t, t, false), "due at the time");
    assert!(!is_due(t - 1, t, false), "not before");
    assert!(!is_due(t + MIN, t, true), "never while paused");
    assert_eq!(
        after_interval_change(t + 60 * MIN, Some(t), 5 * MIN),
        t + 5 * MIN,
        "a shorter interval applies now"
    );
    assert_eq!(
        after_interval_change(t + 5 * MIN, Some(t), 60 * MIN),
        t + 5 * MIN,
        "a longer one from the next run"
    );
}

struct Running {
    w: MailWorld,
    engine: Engine,
    handle: EngineHandle,
    notices: mpsc::UnboundedReceiver<Notice>,
}

async fn start() -> Running {
    let w = mail_world().await;
    connect(&w.t, &[Feature::MailIngest]).await;
    let (tx, notices) = mpsc::unbounded_channel();
    let engine = Engine::start(
        w.sync.clone(),
        w.t.clock.clone(),
        Duration::from_millis(10),
        tx,
    );
    let handle = engine.handle();
    Running {
        w,
        engine,
        handle,
        notices,
    }
}

async fn triggers(w: &MailWorld) -> Vec<SyncTrigger> {
    let mut runs = w.sync.runs(&SyncRunQuery::default()).await.unwrap();
    runs.reverse();
    runs.into_iter().map(|r| r.trigger).collect()
}

/// Waits (real time, at most 20 s) until the engine's status satisfies `ok`.
async fn wait_for(r: &Running, why: &str, ok: impl Fn(&EngineStatus) -> bool) -> EngineStatus {
    let mut status = r.handle.subscribe();
    let found = tokio::time::timeout(Duration::from_secs(20), status.wait_for(|s| ok(s))).await;
    match found {
        Ok(Ok(s)) => s.clone(),
        _ => panic!(
            "{why}: the engine never got there; status {:?}",
            r.handle.status()
        ),
    }
}

/// Waits until the engine has finished `n` more rounds: it looked (jobs, schedule, notices) and
/// did what it would do, so an absence can be asserted without waiting a fixed time.
async fn rounds_pass(handle: &EngineHandle, n: u64) {
    let target = handle.rounds() + n;
    crate::support::eventually("the engine's rounds", || handle.rounds() >= target).await;
}

/// Waits until the log holds `n` runs.
async fn wait_for_runs(r: &Running, n: usize) -> Vec<SyncTrigger> {
    for _ in 0..2000 {
        let t = triggers(&r.w).await;
        if t.len() >= n && r.handle.status().running.is_none() {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("expected {n} runs, have {:?}", triggers(&r.w).await);
}

#[tokio::test]
async fn the_engine_syncs_on_start_then_on_schedule_and_obeys_pause() {
    let r = start().await;
    assert_eq!(
        wait_for_runs(&r, 1).await,
        [SyncTrigger::Startup],
        "a sync when the app starts"
    );
    let s = wait_for(&r, "the last sync is shown", |s| s.last_sync.is_some()).await;
    assert!(s.last_sync.as_ref().unwrap().ok, "{s:?}");
    let next = s.next_sync_at.expect("the next sync is scheduled");
    let now = r.w.t.clock.now();
    assert!(
        (now + 5 * MIN..=now + 5 * MIN + 30_000).contains(&next),
        "five minutes (+ jitter) later: {s:?}"
    );

    rounds_pass(&r.handle, 3).await;
    assert_eq!(
        triggers(&r.w).await.len(),
        1,
        "nothing runs before it is due"
    );
    r.w.t.clock.advance(6 * MIN);
    assert_eq!(wait_for_runs(&r, 2).await[1], SyncTrigger::Schedule);

    r.handle.send(EngineCommand::Pause);
    wait_for(&r, "paused", |s| s.paused && s.next_sync_at.is_none()).await;
    r.w.t.clock.advance(60 * MIN);
    rounds_pass(&r.handle, 3).await;
    assert_eq!(triggers(&r.w).await.len(), 2, "paused: no scheduled run");

    r.handle.send(EngineCommand::SyncNow);
    assert_eq!(
        wait_for_runs(&r, 3).await[2],
        SyncTrigger::Manual,
        "Sync now runs while paused"
    );
    r.handle.send(EngineCommand::Resume);
    wait_for(&r, "resumed", |s| !s.paused && s.next_sync_at.is_some()).await;

    let stopping = tokio::time::timeout(
        Duration::from_secs(10),
        r.engine.stop(Duration::from_secs(5)),
    );
    stopping.await.expect("the engine stops cleanly");
    r.handle.send(EngineCommand::SyncNow); // a stopped engine ignores commands
}

#[tokio::test]
async fn pause_survives_a_restart() {
    let r = start().await;
    wait_for_runs(&r, 1).await;
    r.handle.send(EngineCommand::Pause);
    wait_for(&r, "paused", |s| s.paused).await;
    r.engine.stop(Duration::from_secs(5)).await;

    let (tx, _notices) = mpsc::unbounded_channel();
    let again = Engine::start(
        r.w.sync.clone(),
        r.w.t.clock.clone(),
        Duration::from_millis(10),
        tx,
    );
    let status = again.handle().subscribe();
    let s = tokio::time::timeout(Duration::from_secs(20), async {
        let mut status = status;
        status.wait_for(|s| s.paused).await.map(|s| s.clone())
    })
    .await
    .expect("status published")
    .unwrap();
    assert!(s.paused && s.next_sync_at.is_none(), "{s:?}");
    rounds_pass(&again.handle(), 3).await;
    assert_eq!(
        triggers(&r.w).await,
        [SyncTrigger::Startup],
        "no start-up sync while paused"
    );
    again.stop(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_task_reminder_becomes_a_notice_once() {
    let mut r = start().await;
    wait_for_runs(&r, 1).await;
    let now = r.w.t.clock.now();
    r.w.crm
        .create_task(&TaskInput {
            title: "Call Ada".into(),
            reminder_at: Some(now + 2 * MIN),
            ..Default::default()
        })
        .await
        .unwrap();
    rounds_pass(&r.handle, 3).await;
    assert!(
        r.notices.try_recv().is_err(),
        "not before the reminder time"
    );
    r.w.t.clock.advance(3 * MIN);
    let notice = tokio::time::timeout(Duration::from_secs(20), r.notices.recv())
        .await
        .expect("a notice")
        .unwrap();
    assert_eq!(
        (notice.title.as_str(), notice.body.as_str()),
        ("Task due", "Call Ada")
    );
    rounds_pass(&r.handle, 3).await;
    assert!(r.notices.try_recv().is_err(), "announced once");
    r.engine.stop(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_client_reply_and_a_grant_that_needs_reconnecting_are_announced_once() {
    use cremmy_core::engine::notices;
    let w = mail_world().await;
    let account = connect(&w.t, &[Feature::MailIngest]).await;
    let acme = crate::support::client(&w.crm, "Acme").await;
    let db = &w.t.db;
    let activity: i64 = sqlx::query_scalar(
        "INSERT INTO activities (client_id, kind, direction, subject, body, occurred_at, source, created_at) \
         VALUES (?, 'email', 'outbound', 'Proposal', '', 0, 'email', 0) RETURNING id",
    )
    .bind(acme.id)
    .fetch_one(db.writer())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO emails (activity_id, message_id, thread_id, from_addr, to_addrs, tracked, replied_at) \
         VALUES (?, '<m@x>', 't', 'me@x', 'ada@acme.example', 1, 5)",
    )
    .bind(activity)
    .execute(db.writer())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO sync_runs (account_id, integration, kind, trigger, started_at, finished_at, status, error_code) \
         VALUES (?, 'gmail', 'incremental', 'schedule', 10, 20, 'failed', 'reconnect_needed')",
    )
    .bind(account.id)
    .execute(db.writer())
    .await
    .unwrap();

    let first = notices::since(db, 0, 100).await.unwrap();
    let titles: Vec<&str> = first.iter().map(|n| n.title.as_str()).collect();
    assert_eq!(titles, ["Cremmy cannot sync", "Acme replied"], "{first:?}");
    assert!(
        first[0].body.contains(&account.email),
        "names the account: {first:?}"
    );
    assert_eq!(first[1].body, "Re: Proposal");
    let later = notices::since(db, 100, 200).await.unwrap();
    assert!(later.is_empty(), "each is announced once: {later:?}");
}

#[tokio::test]
async fn a_running_sync_reports_its_phase_and_steps() {
    let w = mail_world().await;
    let account = connect(&w.t, &[Feature::MailIngest, Feature::Calendar]).await;
    let mut progress = w.sync.progress();
    let seen = tokio::spawn(async move {
        let mut seen = Vec::new();
        while progress.changed().await.is_ok() {
            let now = progress.borrow_and_update().clone();
            let done = now.is_none();
            seen.push(now);
            if done {
                break;
            }
        }
        seen
    });
    w.sync
        .sync_now(&Default::default(), SyncTrigger::Manual)
        .await
        .unwrap();
    let seen = tokio::time::timeout(Duration::from_secs(10), seen)
        .await
        .expect("the run ends")
        .unwrap();
    let steps: Vec<(String, u32, u32)> = seen
        .iter()
        .flatten()
        .map(|p| (p.phase.clone(), p.done, p.total))
        .collect();
    assert_eq!(
        steps,
        [
            (format!("Gmail · {}", account.email), 0, 2),
            (format!("Calendar · {}", account.email), 1, 2),
        ],
        "one step per integration, in order"
    );
    assert_eq!(seen.last(), Some(&None), "cleared when the run ends");
}

/// "Sync now" runs the runner directly (the window waits for its runs); the engine still shows
/// it as the last sync at once, not at its next tick (here an hour away).
#[tokio::test]
async fn a_sync_started_outside_the_engine_is_the_last_sync_at_once() {
    let w = mail_world().await;
    connect(&w.t, &[Feature::MailIngest]).await;
    let (tx, _notices) = mpsc::unbounded_channel();
    let engine = Engine::start(
        w.sync.clone(),
        w.t.clock.clone(),
        Duration::from_secs(3600),
        tx,
    );
    let mut status = engine.handle().subscribe();
    let first = tokio::time::timeout(
        Duration::from_secs(20),
        status.wait_for(|s| s.last_sync.is_some()),
    )
    .await
    .expect("the start-up sync is published")
    .unwrap()
    .clone();
    let started_at = first.last_sync.unwrap().finished_at;
    w.t.clock.advance(MIN);
    w.sync
        .sync_now(
            &cremmy_protocol::sync::SyncRequest::default(),
            SyncTrigger::Manual,
        )
        .await
        .unwrap();
    let shown = tokio::time::timeout(
        Duration::from_secs(10),
        status.wait_for(|s| {
            s.last_sync
                .as_ref()
                .is_some_and(|l| l.finished_at > started_at)
        }),
    )
    .await
    .expect("published without waiting for the hourly tick")
    .unwrap()
    .clone();
    assert_eq!(
        shown.last_sync.unwrap().finished_at,
        started_at + MIN,
        "the manual sync is the last sync"
    );
    engine.stop(Duration::from_secs(5)).await;
}
