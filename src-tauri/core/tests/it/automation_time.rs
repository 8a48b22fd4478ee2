//! Events that time makes (a meeting Cremmy knew of has ended, a task is due), recorded once by
//! the runner's scan, and the rule actions that open deals and queue documents.

use cremmy_core::crm::ExternalActivity;
use cremmy_protocol::automation::{Delay, RuleAction, RuleInput, RuleRunStatus};
use cremmy_protocol::crm::{ActivityKind, ActivitySource, Direction, DocumentKind, TaskInput};
use cremmy_protocol::kinds::EventKind;

use crate::support::{client, deal_in_stage, T0};
use crate::texting::{text_world, TextWorld};
use crate::webhooks::HOUR;

async fn kinds(w: &TextWorld) -> Vec<String> {
    sqlx::query_scalar("SELECT kind FROM event_journal WHERE kind IN ('meeting_completed', 'task_due') ORDER BY id")
        .fetch_all(w.crm.database().pool())
        .await
        .unwrap()
}

fn meeting(client_id: i64, uid: &str, start: i64, body: &str) -> ExternalActivity {
    ExternalActivity {
        client_id,
        contact_id: None,
        deal_id: None,
        kind: ActivityKind::Meeting,
        direction: Direction::None,
        subject: format!("Meeting {uid}"),
        body: body.into(),
        occurred_at: start,
        source: ActivitySource::Calendar,
        external_id: uid.into(),
    }
}

#[tokio::test]
async fn ended_meetings_and_due_tasks_are_journalled_once() {
    let w = text_world().await;
    let acme = client(&w.crm, "Acme").await;
    // Booked ahead: 10:00–10:30 the next day.
    w.crm
        .record_external_activity(&meeting(
            acme.id,
            "ahead",
            T0 + 25 * HOUR,
            "2026-03-03 10:00 – 10:30 UTC",
        ))
        .await
        .unwrap();
    // Imported after it ended: history, not news.
    w.crm
        .record_external_activity(&meeting(acme.id, "old", T0 - 3 * HOUR, ""))
        .await
        .unwrap();
    let today = "2026-03-02";
    for (title, due) in [
        ("Send the deck", Some(today)),
        ("Later", Some("2026-03-09")),
        ("Someday", None),
    ] {
        w.crm
            .create_task(&TaskInput {
                title: title.into(),
                due_date: due.map(str::to_string),
                client_id: Some(acme.id),
                ..TaskInput::default()
            })
            .await
            .unwrap();
    }
    w.sync.record_time_events(true).await.unwrap();
    assert_eq!(
        kinds(&w).await,
        ["task_due"],
        "today's task; no meeting has ended yet"
    );
    w.clock.advance(25 * HOUR + 20 * 60_000);
    w.sync.record_time_events(true).await.unwrap();
    assert_eq!(
        kinds(&w).await,
        ["task_due"],
        "10:20: the meeting is still on"
    );
    w.clock.advance(15 * 60_000);
    w.sync.record_time_events(true).await.unwrap();
    w.sync.record_time_events(true).await.unwrap();
    assert_eq!(
        kinds(&w).await,
        ["task_due", "meeting_completed"],
        "10:35: it ended; once"
    );
    let at: i64 = sqlx::query_scalar(
        "SELECT occurred_at FROM event_journal WHERE kind = 'meeting_completed'",
    )
    .fetch_one(w.crm.database().pool())
    .await
    .unwrap();
    assert_eq!(
        at,
        T0 + 25 * HOUR + 30 * 60_000,
        "it happened at the meeting's end"
    );
    w.clock.advance(30_000);
    assert_eq!(
        w.sync.record_time_events(false).await.unwrap(),
        0,
        "scanned at most once a minute"
    );
}

#[tokio::test]
async fn two_days_after_a_meeting_a_follow_up_task_and_a_win_opens_the_renewal() {
    let w = text_world().await;
    let follow = w
        .sync
        .create_rule(&RuleInput {
            name: "Follow up after meetings".into(),
            trigger: EventKind::MeetingCompleted,
            conditions: vec![],
            delay: Some(Delay::After { minutes: 48 * 60 }),
            actions: vec![RuleAction::CreateTask {
                title: "Follow up with {client}".into(),
                due_in_days: 0,
                remind_at_hour: None,
            }],
            enabled: true,
        })
        .await
        .unwrap();
    let acme = client(&w.crm, "Acme").await;
    w.crm
        .record_external_activity(&meeting(acme.id, "kick-off", T0 + HOUR, ""))
        .await
        .unwrap();
    w.clock.advance(2 * HOUR);
    w.sync.run_due_jobs().await.unwrap();
    assert_eq!(
        w.sync.rule_runs(follow.id).await.unwrap()[0].status,
        RuleRunStatus::Waiting
    );
    w.clock.advance(48 * HOUR);
    w.sync.run_due_jobs().await.unwrap();
    let titles: Vec<String> = sqlx::query_scalar("SELECT title FROM tasks")
        .fetch_all(w.crm.database().pool())
        .await
        .unwrap();
    assert_eq!(titles, ["Follow up with Acme"]);

    // "When a deal is won, open the renewal and make the contract."
    w.sync
        .create_rule(&RuleInput {
            name: "Renewal".into(),
            trigger: EventKind::DealWon,
            conditions: vec![],
            delay: None,
            actions: vec![
                RuleAction::CreateDeal {
                    title: "{client}: renewal".into(),
                },
                RuleAction::GenerateDoc {
                    document: DocumentKind::Contract,
                },
            ],
            enabled: true,
        })
        .await
        .unwrap();
    deal_in_stage(&w.crm, acme.id, "Audit", (0, "EUR"), "Won").await;
    for run in w.sync.run_rules().await.unwrap() {
        run.await.unwrap().unwrap();
    }
    let deals = w.crm.deals_of(acme.id).await.unwrap();
    let renewal = deals
        .iter()
        .find(|d| d.title == "Acme: renewal")
        .expect("the renewal is opened");
    let first = w.crm.stages().await.unwrap()[0].id;
    assert_eq!(
        (renewal.stage_id, renewal.value.currency.as_str()),
        (first, "EUR"),
        "first stage, home currency"
    );
    let chain: String = sqlx::query_scalar(
        "SELECT cause_chain FROM event_journal WHERE kind = 'deal_created' AND deal_id = ?",
    )
    .bind(renewal.id)
    .fetch_one(w.crm.database().pool())
    .await
    .unwrap();
    assert!(
        chain.contains(","),
        "the new deal's event is the rule's doing: {chain}"
    );
    assert_ne!(chain, ",");
    let doc_jobs: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM jobs WHERE kind = 'generate_doc' AND idempotency_key LIKE 'rule:%'",
    )
    .fetch_one(w.crm.database().pool())
    .await
    .unwrap();
    assert_eq!(
        doc_jobs, 1,
        "the contract is an outbox job (it waits for a Google account)"
    );
}

#[tokio::test]
async fn a_won_deal_texts_the_client_and_a_client_without_a_phone_is_a_clear_failure() {
    let w = crate::texting::connected().await;
    let r = w
        .sync
        .create_rule(&RuleInput {
            name: "Thank by text".into(),
            trigger: EventKind::DealWon,
            conditions: vec![],
            delay: None,
            actions: vec![RuleAction::SendText {
                body: "Thank you {{contact_first_name}}, welcome aboard!".into(),
                channel: cremmy_protocol::sms::Channel::Sms,
                whatsapp_template: None,
            }],
            enabled: true,
        })
        .await
        .unwrap();
    let (zoe_client, _) =
        crate::texting::client_with_phone(&w, "Acme", "Zoë Adams", "+14155552671").await;
    let nobody = client(&w.crm, "No Phone Ltd").await;
    for c in [zoe_client, nobody.id] {
        deal_in_stage(&w.crm, c, "Audit", (0, "USD"), "Won").await;
    }
    for run in w.sync.run_rules().await.unwrap() {
        let _ = run.await.unwrap();
    }
    let mut sent = Vec::new();
    for _ in 0..100 {
        sent = crate::texting::sandbox_sent(&w);
        if !sent.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        sent,
        [(
            "+14155552671".to_string(),
            "Thank you Zoë, welcome aboard!".to_string()
        )]
    );
    let history = w.sync.rule_runs(r.id).await.unwrap();
    let outcomes: Vec<_> = history
        .iter()
        .map(|h| (h.client_name.clone().unwrap(), h.status))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("No Phone Ltd".to_string(), RuleRunStatus::Failed),
            ("Acme".to_string(), RuleRunStatus::Done)
        ]
    );
    assert!(
        history[0].detail.to_lowercase().contains("phone"),
        "the reason is given: {}",
        history[0].detail
    );
}

#[tokio::test]
async fn a_rule_writes_first_on_whatsapp_with_an_approved_template() {
    let w = crate::texting::connected().await;
    let template = |id: &str| RuleInput {
        name: "Welcome on WhatsApp".into(),
        trigger: EventKind::DealWon,
        conditions: vec![],
        delay: None,
        actions: vec![RuleAction::SendText {
            body: String::new(),
            channel: cremmy_protocol::sms::Channel::Whatsapp,
            whatsapp_template: Some(id.into()),
        }],
        enabled: true,
    };
    let mut by_sms = template("HX00000000000000000000000000000001");
    by_sms.actions = vec![RuleAction::SendText {
        body: String::new(),
        channel: cremmy_protocol::sms::Channel::Sms,
        whatsapp_template: Some("HX00000000000000000000000000000001".into()),
    }];
    let refused = w
        .sync
        .create_rule(&by_sms)
        .await
        .expect_err("SMS has no templates");
    assert!(refused.to_string().contains("for WhatsApp"), "{refused}");
    w.sync
        .create_rule(&template("HX00000000000000000000000000000001"))
        .await
        .unwrap();
    let (acme, _) =
        crate::texting::client_with_phone(&w, "Acme", "Zoë Adams", "+14155552671").await;
    deal_in_stage(&w.crm, acme, "Audit", (0, "USD"), "Won").await;
    for run in w.sync.run_rules().await.unwrap() {
        let _ = run.await.unwrap();
    }
    let mut sent = Vec::new();
    for _ in 0..100 {
        sent = crate::texting::sandbox_sent(&w);
        if !sent.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].0, "whatsapp:+14155552671");
    assert!(
        sent[0].1.starts_with("Hi Zoë, following up"),
        "the approved template, {{1}} the contact's first name: {:?}",
        sent[0].1
    );
}
