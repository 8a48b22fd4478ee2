//! The durable job queue behind outgoing work, against the provider sandbox: offline waits that
//! cost no attempt, Retry-After, the dead-letter state and "Retry", and a crash after Gmail
//! accepted a message that must not send it twice. The planner's table tests are in
//! `outbox_planning.rs`.

use cremmy_core::sync::SyncError;
use cremmy_core::{Clock, HasErrorCode};
use cremmy_protocol::accounts::Feature;
use cremmy_protocol::engine::{JobQuery, JobStatus};
use cremmy_protocol::mail::SendEmailInput;
use cremmy_protocol::sync::SyncTrigger;
use cremmy_protocol::ErrorCode;
use serde_json::json;

use crate::accounts_support::connect;
use crate::mail_sync::{mail_world, post, requests, MailWorld};
use crate::support::{client, contact};

const MIN: i64 = 60_000;

async fn world_with_zoe() -> (MailWorld, i64) {
    let w = mail_world().await;
    connect(&w.t, &[Feature::MailIngest, Feature::MailSend]).await;
    let acme = client(&w.crm, "Acme").await;
    let zoe = contact(&w.crm, acme.id, "Zoë", &["zoe@acme.example"]).await;
    (w, zoe.id)
}

fn hello(contact_id: i64) -> SendEmailInput {
    SendEmailInput {
        contact_id,
        subject: "Proposal".into(),
        body: "Hello Zoë".into(),
        ..Default::default()
    }
}

fn sends(w: &MailWorld) -> usize {
    requests(w, |m, p| m == "POST" && p.ends_with("/drafts/send")).len()
}

fn sent_in_mailbox(w: &MailWorld) -> usize {
    let world = w.t.sandbox.shared.lock();
    world
        .google
        .mailboxes
        .values()
        .flat_map(|m| m.messages.iter())
        .filter(|m| m.label_ids.iter().any(|l| l == "SENT"))
        .count()
}

async fn outgoing_activities(w: &MailWorld) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM activities WHERE kind = 'email' AND direction = 'outbound'",
    )
    .fetch_one(w.t.db.pool())
    .await
    .unwrap()
}

async fn only_job(w: &MailWorld) -> cremmy_protocol::engine::Job {
    // The automation rule's own run (the default rule that queued a draft) is not the subject.
    let jobs: Vec<_> = w
        .sync
        .jobs(&JobQuery::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.kind != cremmy_protocol::kinds::JobKind::RuleRun)
        .collect();
    assert_eq!(jobs.len(), 1, "one job: {jobs:?}");
    jobs.into_iter().next().unwrap()
}

#[tokio::test]
async fn an_email_written_offline_waits_and_is_sent_once_when_the_network_returns() {
    let (w, zoe) = world_with_zoe().await;
    post(
        &w,
        "faults",
        json!({ "rules": [
        { "path": "/drafts/send", "fault": { "kind": "drop" } },
    ] }),
    )
    .await;
    let e = w
        .sync
        .send_email(&hello(zoe), SyncTrigger::Manual)
        .await
        .expect_err("the network is down");
    assert!(
        matches!(e, SyncError::Queued { .. }),
        "queued, not lost: {e:?}"
    );
    assert_eq!(e.code(), ErrorCode::ProviderUnavailable);
    let job = only_job(&w).await;
    assert_eq!(job.status, JobStatus::Queued);
    assert_eq!(job.attempts, 0, "being offline used up no attempt");
    assert!(job.last_error.is_some(), "the outbox says why it waits");

    // Still offline a while later: tried again, still waiting, nothing recorded.
    w.t.clock.advance(2 * MIN);
    assert_eq!(w.sync.run_due_jobs().await.unwrap(), 1);
    assert_eq!(only_job(&w).await.status, JobStatus::Queued);
    assert_eq!(w.sync.run_due_jobs().await.unwrap(), 0, "not due again yet");
    assert_eq!(outgoing_activities(&w).await, 0);

    post(&w, "faults", json!({ "rules": [] })).await;
    w.t.clock.advance(2 * MIN);
    assert_eq!(w.sync.run_due_jobs().await.unwrap(), 1);
    let job = only_job(&w).await;
    assert_eq!(job.status, JobStatus::Done, "{job:?}");
    assert_eq!(sent_in_mailbox(&w), 1, "sent exactly once");
    assert_eq!(outgoing_activities(&w).await, 1, "recorded exactly once");
    assert_eq!(
        w.sync.run_due_jobs().await.unwrap(),
        0,
        "nothing left to do"
    );
}

/// The state a crash between the provider's answer and the database commit leaves: `lost` undoes
/// what the commit wrote, the job is left "running" by a process that is gone. Then the app starts
/// again: the job is queued again and runs once more.
async fn crash_before_commit_then_restart(w: &MailWorld, lost: &[&str]) {
    let crashed = format!(
        "UPDATE jobs SET status = 'running', owner_pid = {} WHERE kind != 'rule_run'",
        crate::invariants::ended_process()
    );
    for sql in lost.iter().copied().chain([crashed.as_str()]) {
        sqlx::query(sql).execute(w.t.db.writer()).await.unwrap();
    }
    assert_eq!(
        w.sync.requeue_interrupted_jobs().await.unwrap(),
        1,
        "the job is queued again"
    );
    assert_eq!(
        w.sync.run_due_jobs().await.unwrap(),
        1,
        "and runs once more"
    );
}

#[tokio::test]
async fn a_crash_after_gmail_accepted_the_message_does_not_send_it_twice() {
    let (w, zoe) = world_with_zoe().await;
    let sent = w
        .sync
        .send_email(&hello(zoe), SyncTrigger::Manual)
        .await
        .expect("sent");
    assert_eq!(sends(&w), 1);
    // The state a crash between Gmail's answer and the database commit leaves: the message is in
    // Gmail, the transaction that records it never committed, the job is still "running".
    let lost = format!("DELETE FROM activities WHERE id = {}", sent.activity_id);
    crash_before_commit_then_restart(&w, &[&lost]).await;
    assert_eq!(
        sends(&w),
        1,
        "the second attempt found the message instead of sending it again"
    );
    assert_eq!(sent_in_mailbox(&w), 1);
    assert_eq!(
        outgoing_activities(&w).await,
        1,
        "recorded by the second attempt"
    );
    let message_id: String = sqlx::query_scalar("SELECT message_id FROM emails")
        .fetch_one(w.t.db.pool())
        .await
        .unwrap();
    assert_eq!(
        message_id, sent.message_id,
        "the same Message-ID for every attempt"
    );
    assert_eq!(only_job(&w).await.status, JobStatus::Done);
    assert!(
        !requests(&w, |_, p| p.ends_with("/messages")).is_empty(),
        "the mailbox was asked for the Message-ID"
    );
}

#[tokio::test]
async fn retry_after_is_honoured_and_a_permanent_error_waits_in_the_dead_letter_state() {
    let (w, zoe) = world_with_zoe().await;
    // A pause longer than a call waits inline: the job is rescheduled no sooner than asked.
    post(&w, "faults", json!({ "rules": [
        { "path": "/drafts/send", "times": 1, "fault": { "kind": "status", "status": 429, "retry_after_secs": 600 } },
    ] }))
    .await;
    let before = w.t.clock.now();
    let e = w
        .sync
        .send_email(&hello(zoe), SyncTrigger::Manual)
        .await
        .expect_err("rate limited");
    assert!(matches!(e, SyncError::Queued { .. }), "{e:?}");
    let job = only_job(&w).await;
    assert!(
        job.next_run_at >= before + 600_000,
        "waits out Retry-After: {job:?}"
    );
    assert_eq!(job.attempts, 1);
    w.t.clock.advance(5 * MIN);
    assert_eq!(
        w.sync.run_due_jobs().await.unwrap(),
        0,
        "not before Retry-After"
    );
    w.t.clock.advance(6 * MIN);
    assert_eq!(w.sync.run_due_jobs().await.unwrap(), 1);
    assert_eq!(only_job(&w).await.status, JobStatus::Done);
    assert_eq!(sent_in_mailbox(&w), 1);

    // 403 is not going to pass by waiting: dead at once, kept for "Retry".
    post(&w, "faults", json!({ "rules": [
        { "path": "/drafts/send", "fault": { "kind": "status", "status": 403, "reason": "forbidden" } },
    ] }))
    .await;
    let e = w
        .sync
        .send_email(&hello(zoe), SyncTrigger::Manual)
        .await
        .expect_err("forbidden");
    assert!(!matches!(e, SyncError::Queued { .. }), "not retried: {e:?}");
    let open = w
        .sync
        .jobs(&JobQuery {
            open_only: true,
            limit: None,
        })
        .await
        .unwrap();
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0].status, JobStatus::Dead);
    assert!(
        open[0]
            .last_error
            .as_deref()
            .is_some_and(|m| m.contains("403")),
        "{open:?}"
    );
    w.t.clock.advance(120 * MIN);
    assert_eq!(
        w.sync.run_due_jobs().await.unwrap(),
        0,
        "a dead job stays put"
    );

    post(&w, "faults", json!({ "rules": [] })).await;
    w.sync.retry_job(open[0].id).await.expect("Retry sends it");
    assert_eq!(sent_in_mailbox(&w), 2);
    assert!(w
        .sync
        .jobs(&JobQuery {
            open_only: true,
            limit: None
        })
        .await
        .unwrap()
        .is_empty());
    let again = w
        .sync
        .retry_job(open[0].id)
        .await
        .expect_err("a done job is not retried");
    assert_eq!(again.code(), ErrorCode::Conflict);
}

#[tokio::test]
async fn wrong_input_is_refused_without_leaving_a_job() {
    let (w, _) = world_with_zoe().await;
    let e = w
        .sync
        .send_email(&hello(999_999), SyncTrigger::Manual)
        .await
        .expect_err("no such contact");
    assert_eq!(e.code(), ErrorCode::InvalidInput);
    assert!(
        w.sync.jobs(&JobQuery::default()).await.unwrap().is_empty(),
        "nothing to retry"
    );
}

#[tokio::test]
async fn a_crash_after_calendar_made_the_event_does_not_make_a_second_one() {
    let w = mail_world().await;
    connect(&w.t, &[Feature::Calendar]).await;
    let acme = client(&w.crm, "Acme").await;
    let task = w
        .crm
        .create_task(&cremmy_protocol::crm::TaskInput {
            title: "Call Zoë".into(),
            due_date: Some("2026-03-03".into()),
            due_time: Some("14:30".into()),
            client_id: Some(acme.id),
            ..Default::default()
        })
        .await
        .unwrap();
    w.sync
        .add_task_to_calendar(task.id, "Europe/Berlin")
        .await
        .expect("added");
    let events = crate::calendar_sync::task_events(&w);
    assert_eq!(events.len(), 1);
    assert!(
        events[0]["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("crtask")),
        "Cremmy chose the event id: {}",
        events[0]["id"]
    );
    // Calendar made the event, the process died before recording it.
    crash_before_commit_then_restart(
        &w,
        &["DELETE FROM external_links WHERE role = 'task_event'"],
    )
    .await;
    assert_eq!(only_job(&w).await.status, JobStatus::Done);
    assert_eq!(
        crate::calendar_sync::task_events(&w).len(),
        1,
        "the second attempt got 409 for its id and took the existing event"
    );
    let recorded: String =
        sqlx::query_scalar("SELECT remote_id FROM external_links WHERE role = 'task_event'")
            .fetch_one(w.t.db.pool())
            .await
            .unwrap();
    assert_eq!(recorded, events[0]["id"].as_str().unwrap());
}

#[tokio::test]
async fn a_crash_after_gmail_saved_the_draft_does_not_make_a_second_one() {
    let (w, _) = world_with_zoe().await;
    let acme_id: i64 = sqlx::query_scalar("SELECT id FROM clients WHERE name = 'Acme'")
        .fetch_one(w.t.db.pool())
        .await
        .unwrap();
    let deal = w
        .crm
        .create_deal(&cremmy_protocol::crm::DealInput {
            client_id: acme_id,
            title: "Relaunch".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        crate::mail_drafts::move_to(&w, deal.id, "Proposal").await,
        "a draft was due"
    );
    assert_eq!(crate::mail_drafts::drafts(&w).len(), 1);
    // Gmail saved the draft; the transaction recording it (task, activity, deal_drafts) never
    // committed; the job was still running.
    crash_before_commit_then_restart(
        &w,
        &[
            "DELETE FROM deal_drafts",
            "DELETE FROM tasks",
            "DELETE FROM activities WHERE source = 'mail-draft'",
        ],
    )
    .await;
    assert_eq!(
        crate::mail_drafts::drafts(&w).len(),
        1,
        "the second attempt found the draft instead of writing another"
    );
    let draft_id: String = sqlx::query_scalar("SELECT draft_id FROM deal_drafts")
        .fetch_one(w.t.db.pool())
        .await
        .unwrap();
    assert!(draft_id.starts_with("r-"), "Gmail's draft id: {draft_id}");
    assert_eq!(only_job(&w).await.status, JobStatus::Done);
}

#[tokio::test]
async fn a_crash_after_sheets_made_the_spreadsheet_does_not_make_a_second_one() {
    let w = mail_world().await;
    connect(&w.t, &[Feature::Sheets]).await;
    client(&w.crm, "Acme").await;
    let first = w
        .sync
        .export_sheets(SyncTrigger::Manual)
        .await
        .expect("exported");
    // Sheets made the spreadsheet; the process died before Cremmy remembered it.
    crash_before_commit_then_restart(
        &w,
        &["DELETE FROM settings WHERE key = 'export.pipeline_dump'"],
    )
    .await;
    assert_eq!(only_job(&w).await.status, JobStatus::Done);
    let dumps = {
        let world = w.t.sandbox.shared.lock();
        world
            .google
            .drives
            .values()
            .flat_map(|d| d.files.iter())
            .filter(|f| f.name == "Pipeline Dump" && !f.trashed)
            .count()
    };
    assert_eq!(
        dumps, 1,
        "the second attempt adopted the spreadsheet instead of making another"
    );
    let again = w.sync.export_sheets(SyncTrigger::Manual).await.unwrap();
    assert_eq!(
        again.spreadsheet_id, first.spreadsheet_id,
        "and remembered it"
    );
}

/// Crash safety that does not depend on the provider keeping Cremmy's Message-ID: the email is a
/// draft first, noted, then sent; a retry finds the noted draft gone (sending deletes it) and
/// records the email without sending it again.
#[tokio::test]
async fn a_crash_after_sending_does_not_send_twice_even_if_the_message_id_was_rewritten() {
    let (w, zoe) = world_with_zoe().await;
    w.t.sandbox
        .shared
        .lock()
        .google
        .settings
        .rewrite_message_ids = true;
    let sent = w
        .sync
        .send_email(&hello(zoe), SyncTrigger::Manual)
        .await
        .expect("sent");
    assert_eq!(sends(&w), 1);
    // The draft the send used is gone from the mailbox: its id, from the mailbox's history.
    let draft_message = {
        let mut world = w.t.sandbox.shared.lock();
        world
            .google
            .mailbox("consultant@sandbox.example")
            .history
            .iter()
            .find_map(|(_, change)| match change {
                cremmy_sandbox::google::gmail_history::Change::Deleted { id, .. } => {
                    Some(id.clone())
                }
                _ => None,
            })
            .expect("sending deleted the draft")
    };
    let account_id: i64 = sqlx::query_scalar("SELECT id FROM accounts")
        .fetch_one(w.t.db.pool())
        .await
        .unwrap();
    // A crash before the record committed: no activity, and the draft note still there (the
    // same transaction removes it).
    let job_key: String = sqlx::query_scalar("SELECT idempotency_key FROM jobs")
        .fetch_one(w.t.db.pool())
        .await
        .unwrap();
    let attempt_message_id =
        cremmy_core::features::mail::send::job_message_id("consultant@sandbox.example", &job_key);
    let stored: String = sqlx::query_scalar("SELECT message_id FROM emails")
        .fetch_one(w.t.db.pool())
        .await
        .unwrap();
    assert_ne!(
        stored, attempt_message_id,
        "the mailbox holds the message under another Message-ID"
    );
    let lost = format!("DELETE FROM activities WHERE id = {}", sent.activity_id);
    let note = format!(
        "INSERT INTO outgoing_drafts (message_id, account_id, draft_id, thread_id, created_at) \
         VALUES ('{attempt_message_id}', {account_id}, 'r-{draft_message}', NULL, 0)"
    );
    crash_before_commit_then_restart(&w, &[&lost, &note]).await;
    assert_eq!(
        sends(&w),
        2,
        "the retry asked Gmail to send the noted draft (a send of a draft that is gone)"
    );
    assert_eq!(
        sent_in_mailbox(&w),
        1,
        "but only one message was ever sent, though the Message-ID could not find it"
    );
    assert_eq!(outgoing_activities(&w).await, 1, "recorded by the retry");
    assert_eq!(only_job(&w).await.status, JobStatus::Done);
    let notes: i64 = sqlx::query_scalar("SELECT count(*) FROM outgoing_drafts")
        .fetch_one(w.t.db.pool())
        .await
        .unwrap();
    assert_eq!(notes, 0, "the note went with the record");
}

/// A job as the queue stores it: its kind's name and its input as JSON.
async fn stored_job(w: &MailWorld, kind: &str, payload: &str) {
    sqlx::query(
        "INSERT INTO jobs (kind, idempotency_key, payload, title, priority, status, max_attempts, next_run_at, created_at, updated_at) \
         VALUES (?, ?, ?, 'stored', 0, 'queued', 8, 0, 0, 0)",
    )
    .bind(kind)
    .bind(format!("stored:{kind}:{payload}"))
    .bind(payload)
    .execute(w.t.db.writer())
    .await
    .unwrap();
}

#[tokio::test]
async fn queued_jobs_are_run_by_their_stored_kind_and_unknown_ones_wait_unharmed() {
    let (w, zoe) = world_with_zoe().await;
    // Written by the release before job kinds were types: the input carries its kind as a tag.
    let tagged = json!({ "kind": "send_email", "input": hello(zoe) }).to_string();
    stored_job(&w, "send_email", &tagged).await;
    assert_eq!(w.sync.run_due_jobs().await.unwrap(), 1);
    let job = only_job(&w).await;
    assert_eq!(
        job.status,
        JobStatus::Done,
        "an older payload still runs: {job:?}"
    );
    assert_eq!(sent_in_mailbox(&w), 1, "the stored email was sent");

    sqlx::query("DELETE FROM jobs")
        .execute(w.t.db.writer())
        .await
        .unwrap();
    stored_job(&w, "send_carrier_pigeon", "{}").await;
    stored_job(&w, "task_event", r#"{"task_id":"not a number"}"#).await;
    assert_eq!(w.sync.run_due_jobs().await.unwrap(), 2, "both were tried");
    let jobs = w.sync.jobs(&JobQuery::default()).await.unwrap();
    assert_eq!(jobs.len(), 2, "neither is dropped: {jobs:?}");
    for job in &jobs {
        assert_eq!(job.status, JobStatus::Dead, "no retry helps: {job:?}");
        assert_eq!(job.last_error_code, Some(ErrorCode::Internal), "{job:?}");
    }
    let errors: Vec<&str> = jobs
        .iter()
        .filter_map(|j| j.last_error.as_deref())
        .collect();
    assert!(
        errors.iter().any(|e| e.contains("does not know")),
        "an unknown kind is named as such: {errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("task_event job cannot be read")),
        "an unreadable input names its kind: {errors:?}"
    );
    assert_eq!(sent_in_mailbox(&w), 1, "nothing else was sent");
}
