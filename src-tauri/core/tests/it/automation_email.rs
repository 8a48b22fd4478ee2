//! A rule's email action against the provider sandbox: a draft to review (with its task and
//! timeline line), or sent at once when the rule says "send without review"; once per event even
//! when the rule's run is repeated; and what stops it, said in the rule's history.

use cremmy_core::HasErrorCode;
use cremmy_protocol::accounts::Feature;
use cremmy_protocol::automation::{Rule, RuleAction, RuleInput, RuleRunStatus};
use cremmy_protocol::kinds::EventKind;
use cremmy_protocol::ErrorCode;

use crate::accounts_support::connect;
use crate::mail_drafts::drafts;
use crate::mail_sync::{mail_world, MailWorld};
use crate::support::{client, contact, deal_in_stage, move_deal_to, settle_rules};

/// The sandbox mailbox's sent messages: (Subject, To, body).
fn sent(w: &MailWorld) -> Vec<(String, String, String)> {
    crate::mail_drafts::labelled(w, "SENT")
}

fn email(subject: &str, body: &str, send_without_review: bool) -> RuleAction {
    RuleAction::Email {
        subject: subject.into(),
        body: body.into(),
        send_without_review,
    }
}

async fn rule(w: &MailWorld, name: &str, trigger: EventKind, action: RuleAction) -> Rule {
    w.sync
        .create_rule(&RuleInput {
            name: name.into(),
            trigger,
            conditions: vec![],
            delay: None,
            actions: vec![action],
            enabled: true,
        })
        .await
        .expect("the rule is saved")
}

async fn last_run(w: &MailWorld, rule: &Rule) -> (RuleRunStatus, String) {
    let runs = w.sync.rule_runs(rule.id).await.unwrap();
    let run = runs.first().expect("the rule ran");
    (run.status, run.detail.clone())
}

#[tokio::test]
async fn a_won_deal_gets_a_draft_to_review_and_a_sent_email_once_each() {
    let w = mail_world().await;
    connect(&w.t, &[Feature::MailSend]).await;
    let draft_rule = rule(
        &w,
        "Thank-you draft",
        EventKind::DealWon,
        email(
            "Thank you, {{contact_first_name}}",
            "We are starting {{deal_title}} ({{deal_value}}) for {{client_name}}.",
            false,
        ),
    )
    .await;
    let sent_rule = rule(
        &w,
        "Welcome mail",
        EventKind::DealWon,
        email(
            "Welcome aboard, {{client_name}}",
            "Hello {{contact_name}}!",
            true,
        ),
    )
    .await;
    let acme = client(&w.crm, "Acme").await;
    contact(&w.crm, acme.id, "Zoë Müller", &["zoe@acme.example"]).await;
    let deal = deal_in_stage(
        &w.crm,
        acme.id,
        "Relaunch",
        (1_250_000, "EUR"),
        "Negotiation",
    )
    .await;
    move_deal_to(&w.crm, deal, "Won").await;
    settle_rules(&w.sync).await;

    let made = drafts(&w);
    assert_eq!(made.len(), 1, "one draft: {made:?}");
    assert_eq!(made[0].0, "Thank you, Zoë");
    assert!(made[0].1.contains("zoe@acme.example"), "{:?}", made[0].1);
    assert!(
        made[0].2.contains("Relaunch (12,500.00 EUR) for Acme"),
        "the body is filled in: {:?}",
        made[0].2
    );
    let mail = sent(&w);
    assert_eq!(mail.len(), 1, "one sent: {mail:?}");
    assert_eq!(mail[0].0, "Welcome aboard, Acme");
    assert!(mail[0].2.contains("Hello Zoë Müller!"), "{:?}", mail[0].2);
    let tasks = w.crm.open_tasks_of(acme.id).await.unwrap();
    assert!(
        tasks
            .iter()
            .any(|t| t.title == "Review and send the draft \u{201c}Thank you, Zoë\u{201d}"),
        "the draft waits for review as a task: {tasks:?}"
    );
    assert_eq!(last_run(&w, &draft_rule).await.0, RuleRunStatus::Done);
    assert_eq!(last_run(&w, &sent_rule).await.0, RuleRunStatus::Done);

    // The runs are repeated from their first action (as after a crash before they were marked
    // done): the jobs' keys find what was already made.
    sqlx::query("UPDATE rule_runs SET status = 'waiting', actions_done = 0")
        .execute(w.t.db.writer())
        .await
        .unwrap();
    sqlx::query("UPDATE jobs SET status = 'queued', next_run_at = 0 WHERE kind = 'rule_run'")
        .execute(w.t.db.writer())
        .await
        .unwrap();
    assert_eq!(
        w.sync.run_due_jobs().await.unwrap(),
        2,
        "both rule runs ran again"
    );
    settle_rules(&w.sync).await;
    assert_eq!(drafts(&w).len(), 1, "still one draft");
    assert_eq!(sent(&w).len(), 1, "still one email sent");
}

#[tokio::test]
async fn what_stops_an_email_is_refused_when_saved_or_said_in_the_history() {
    let w = mail_world().await;
    let typo = w
        .sync
        .create_rule(&RuleInput {
            name: "Typo".into(),
            trigger: EventKind::ClientCreated,
            conditions: vec![],
            delay: None,
            actions: vec![email("Hi {{contact_frist_name}}", "", false)],
            enabled: true,
        })
        .await
        .expect_err("an unknown variable");
    assert_eq!(typo.code(), ErrorCode::InvalidInput);
    assert!(
        typo.to_string().contains("contact_frist_name"),
        "names it: {typo}"
    );

    let needs_deal = rule(
        &w,
        "Needs a deal",
        EventKind::ClientCreated,
        email("About {{deal_title}}", "Hi", false),
    )
    .await;
    // Without an account the rule says so and makes nothing.
    client(&w.crm, "Before the account").await;
    settle_rules(&w.sync).await;
    assert_eq!(
        last_run(&w, &needs_deal).await,
        (
            RuleRunStatus::Done,
            "no email: no connected account can send mail".to_string()
        )
    );

    connect(&w.t, &[Feature::MailSend]).await;
    client(&w.crm, "No Contacts Ltd").await;
    settle_rules(&w.sync).await;
    let (status, detail) = last_run(&w, &needs_deal).await;
    assert_eq!(status, RuleRunStatus::Failed, "{detail}");
    assert!(
        detail.contains("no contact with an email address"),
        "says why: {detail}"
    );

    // An imported client comes with its contact, but has no deal for {{deal_title}}.
    let csv = "Company,Name,Email\nImported Ltd,Ivy Smith,ivy@imported.example\n";
    w.crm.commit_import(csv.as_bytes(), None).await.unwrap();
    settle_rules(&w.sync).await;
    let (status, detail) = last_run(&w, &needs_deal).await;
    assert_eq!(status, RuleRunStatus::Failed, "{detail}");
    assert!(
        detail.contains("deal_title"),
        "names the variable without a value: {detail}"
    );
    assert!(
        drafts(&w).is_empty(),
        "nothing half-filled: {:?}",
        drafts(&w)
    );
}

#[tokio::test]
async fn a_rule_puts_a_follow_up_call_on_the_calendar_two_days_later_once() {
    let w = mail_world().await;
    let r = rule(
        &w,
        "Follow-up call",
        EventKind::DealWon,
        RuleAction::CalendarEvent {
            title: "Kick-off call with {client}".into(),
            days_after: 2,
            hour: 10,
            minute: 30,
        },
    )
    .await;
    // Without Calendar access the task is made and the history says why it is not on a calendar.
    let early = client(&w.crm, "Early Ltd").await;
    let first = deal_in_stage(&w.crm, early.id, "Pilot", (0, "EUR"), "Negotiation").await;
    move_deal_to(&w.crm, first, "Won").await;
    settle_rules(&w.sync).await;
    let (status, detail) = last_run(&w, &r).await;
    assert_eq!(status, RuleRunStatus::Done);
    assert!(
        detail.contains("not on a calendar: no connected account has Calendar access"),
        "{detail}"
    );

    connect(&w.t, &[Feature::Calendar]).await;
    let acme = client(&w.crm, "Acme").await;
    let deal = deal_in_stage(&w.crm, acme.id, "Relaunch", (0, "EUR"), "Negotiation").await;
    move_deal_to(&w.crm, deal, "Won").await;
    settle_rules(&w.sync).await;
    let tasks = w.crm.open_tasks_of(acme.id).await.unwrap();
    let task = tasks
        .iter()
        .find(|t| t.title == "Kick-off call with Acme")
        .expect("the task is made");
    // T0 is 2026-03-02 09:00 UTC; the test machine's zone is the one the rule uses.
    let local_day = |ms: i64| {
        let offset = i64::from(cremmy_core::clock::system_utc_offset_minutes(ms)) * 60_000;
        cremmy_core::crm::Date::from_days((ms + offset).div_euclid(86_400_000) + 2).to_string()
    };
    assert_eq!(
        (task.due_date.clone(), task.due_time.as_deref()),
        (Some(local_day(crate::support::T0)), Some("10:30")),
        "two days after the win, at 10:30"
    );
    let events = crate::calendar_sync::task_events(&w);
    assert_eq!(events.len(), 1, "one event: {events:?}");
    assert_eq!(events[0]["summary"], "Kick-off call with Acme");
    assert_eq!(
        events[0]["start"]["timeZone"],
        cremmy_core::clock::system_time_zone(),
        "in this computer's time zone: {:?}",
        events[0]["start"]
    );
    assert!(
        events[0]["start"]["dateTime"]
            .as_str()
            .is_some_and(|s| s.contains("T10:30")),
        "{:?}",
        events[0]["start"]
    );

    // A repeated run (as after a crash) finds its task by its note and the job by its key.
    sqlx::query("UPDATE rule_runs SET status = 'waiting', actions_done = 0 WHERE id = (SELECT max(id) FROM rule_runs)")
        .execute(w.t.db.writer())
        .await
        .unwrap();
    sqlx::query("UPDATE jobs SET status = 'queued', next_run_at = 0 WHERE id = (SELECT max(id) FROM jobs WHERE kind = 'rule_run')")
        .execute(w.t.db.writer())
        .await
        .unwrap();
    w.sync.run_due_jobs().await.unwrap();
    settle_rules(&w.sync).await;
    assert_eq!(
        crate::calendar_sync::task_events(&w).len(),
        1,
        "still one event"
    );
    let made = w.crm.open_tasks_of(acme.id).await.unwrap();
    assert_eq!(
        made.iter()
            .filter(|t| t.title == "Kick-off call with Acme")
            .count(),
        1,
        "and one task (found by the run's note): {made:?}"
    );
}
