//! Fault soak: 50 sync runs against the sandbox while a fifth of the calls fail the ways providers
//! fail (503, 429 with Retry-After, a 401 at the start and in the middle of a run, malformed JSON,
//! dropped connections, answers slower than the call time limit), with new mail and meetings
//! arriving between runs. Nothing may be lost or duplicated, and the cursors must end where a
//! clean run leaves them (an idle run afterwards finds nothing).

use cremmy_protocol::accounts::Feature;
use cremmy_protocol::sync::{SyncRequest, SyncRunStatus, SyncTrigger};
use cremmy_sandbox::google::gmail::NewMessage;
use serde_json::json;

use cremmy_core::sync::SyncRunner;

use crate::accounts_support::connect;
use crate::mail_sync::{mail_world, post, MailWorld};
use crate::support::{client, contact, T0};

const OWNER: &str = "consultant@sandbox.example";
const RUNS: usize = 50;

async fn count(w: &MailWorld, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(w.t.db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn fifty_runs_under_twenty_percent_faults_lose_and_duplicate_nothing() {
    let w = mail_world().await;
    let acme = client(&w.crm, "Acme").await;
    contact(&w.crm, acme.id, "Dana", &["dana@acme.example"]).await;
    connect(&w.t, &[Feature::MailIngest, Feature::Calendar]).await;
    // A short call time limit, so an answer slower than it (a stalled connection) costs a second,
    // not the production four minutes.
    let google = w
        .google
        .clone()
        .with_call_timeout(std::time::Duration::from_secs(1));
    let sync = SyncRunner::new(w.t.db.clone(), w.t.clock.clone(), google);
    // One rule per endpoint (the first rule whose path matches decides), each firing on 20 % of
    // its calls, from a fixed seed; `or` alternates failure modes on one endpoint.
    post(
        &w,
        "faults",
        json!({ "seed": 20261130, "rules": [
            { "path": "/gmail/v1/users/me/messages/", "probability": 0.2, "fault": { "kind": "status", "status": 503 },
              "or": [ { "kind": "status", "status": 401 }, { "kind": "malformed_json" } ] },
            { "path": "/gmail/v1/users/me/messages", "probability": 0.2, "fault": { "kind": "malformed_json" } },
            { "path": "/gmail/v1/users/me/history", "probability": 0.2, "fault": { "kind": "status", "status": 429, "retry_after_secs": 0, "reason": "rateLimitExceeded" } },
            { "path": "/gmail/v1/users/me/profile", "probability": 0.2, "fault": { "kind": "status", "status": 401 } },
            { "path": "/calendar/v3/", "probability": 0.2, "fault": { "kind": "drop" },
              "or": [ { "kind": "delay", "ms": 1500 } ] },
        ] }),
    )
    .await;
    let (mut messages, mut meetings) = (0i64, 0i64);
    let mut failed_runs = 0;
    for run in 0..RUNS {
        {
            let mut world = w.t.sandbox.shared.lock();
            for k in 0..2 {
                world.google.mailbox(OWNER).add(
                    OWNER,
                    NewMessage {
                        from: "dana@acme.example".into(),
                        to: OWNER.into(),
                        subject: format!("Message {run}.{k}"),
                        internal_date: Some(T0 - 86_400_000 + (run * 2 + k) as i64 * 60_000),
                        ..Default::default()
                    },
                );
                messages += 1;
            }
            if run % 5 == 0 {
                let start = cremmy_core::crm::iso_utc(T0 + run as i64 * 3_600_000);
                let end = cremmy_core::crm::iso_utc(T0 + run as i64 * 3_600_000 + 1_800_000);
                let event = json!({ "summary": format!("Meeting {run}"), "start": { "dateTime": start }, "end": { "dateTime": end },
                                    "attendees": [{ "email": OWNER }, { "email": "dana@acme.example" }] });
                world
                    .google
                    .calendars
                    .entry(OWNER.to_string())
                    .or_default()
                    .insert(event.as_object().unwrap().clone());
                meetings += 1;
            }
        }
        let runs = sync
            .sync_now(&SyncRequest::default(), SyncTrigger::Schedule)
            .await
            .unwrap_or_default();
        failed_runs += runs
            .iter()
            .filter(|r| r.status != SyncRunStatus::Ok)
            .count();
    }
    let fired =
        w.t.sandbox
            .shared
            .lock()
            .log
            .entries
            .iter()
            .filter(|e| e.fault.is_some())
            .count();
    assert!(fired >= RUNS / 2, "the faults really fired: {fired}");
    let labels: Vec<String> =
        w.t.sandbox
            .shared
            .lock()
            .log
            .entries
            .iter()
            .filter_map(|e| e.fault.clone())
            .collect();
    for kind in [
        "status 401",
        "delay",
        "status 503",
        "malformed",
        "dropped",
        "status 429",
    ] {
        assert!(
            labels.iter().any(|l| l.contains(kind)),
            "a {kind} fault fired at least once: {labels:?}"
        );
    }
    let timed_out = count(
        &w,
        "SELECT count(*) FROM sync_runs WHERE error LIKE '%did not answer%'",
    )
    .await;
    assert!(
        timed_out > 0,
        "some calls outlived the time limit and ended their run"
    );
    assert!(
        failed_runs > 0,
        "some runs were cut short (the soak is not only retried calls)"
    );

    // Faults cleared: one clean run catches up, then nothing is left to do.
    post(&w, "faults", json!({ "rules": [] })).await;
    let clean = sync
        .sync_now(&SyncRequest::default(), SyncTrigger::Manual)
        .await
        .expect("a clean run");
    assert!(
        clean.iter().all(|r| r.status == SyncRunStatus::Ok),
        "{clean:?}"
    );
    assert_eq!(
        count(&w, "SELECT count(*) FROM activities WHERE kind = 'email'").await,
        messages,
        "every message once ({failed_runs} of the runs failed along the way)"
    );
    assert_eq!(
        count(
            &w,
            "SELECT count(DISTINCT external_id) FROM activities WHERE kind = 'email'"
        )
        .await,
        messages,
        "no message twice"
    );
    assert_eq!(
        count(&w, "SELECT count(*) FROM activities WHERE kind = 'meeting'").await,
        meetings,
        "every meeting once"
    );
    let idle = sync
        .sync_now(&SyncRequest::default(), SyncTrigger::Manual)
        .await
        .expect("an idle run");
    assert!(
        idle.iter()
            .all(|r| r.status == SyncRunStatus::Ok && r.fetched == 0 && r.created == 0),
        "the cursors converged: an idle run finds nothing: {idle:?}"
    );
}
