//! Automation rules through the runner the window and the engine use, on a real database and the
//! sandbox's webhook receiver: a won deal's task, tag and webhook, once per event even after a
//! restart; a delay that fires at the right time on an injected clock; loops refused; a dry run
//! that writes nothing.

use cremmy_core::sync::SyncRunner;
use cremmy_core::HasErrorCode;
use cremmy_protocol::automation::{Condition, Delay, Rule, RuleAction, RuleInput, RuleRunStatus};
use cremmy_protocol::kinds::EventKind;
use cremmy_protocol::ErrorCode;
use serde_json::json;

use crate::support::{client, count, deal_in_stage, settle_rules, stage_named, T0};
use crate::texting::{text_world, TextWorld};
use crate::webhooks::{endpoint, received, receiver, HOUR};

async fn rule(
    w: &TextWorld,
    trigger: EventKind,
    conditions: Vec<Condition>,
    actions: Vec<RuleAction>,
) -> Rule {
    w.sync
        .create_rule(&RuleInput {
            name: format!("{} rule", trigger.label()),
            trigger,
            conditions,
            delay: None,
            actions,
            enabled: true,
        })
        .await
        .expect("the rule is saved")
}

async fn task_titles(w: &TextWorld) -> Vec<String> {
    sqlx::query_scalar("SELECT title FROM tasks ORDER BY title")
        .fetch_all(w.crm.database().pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_won_deal_gets_its_task_tag_and_webhook_once() {
    let w = text_world().await;
    let zap = endpoint(&w, "zap", &[EventKind::ClientCreated]).await;
    receiver(&w, "zap", &zap.secret, json!([])).await;
    let r = rule(
        &w,
        EventKind::DealWon,
        vec![Condition::ValueAtLeast { minor: 100_000 }],
        vec![
            RuleAction::CreateTask {
                title: "Invoice {client} for {deal}".into(),
                due_in_days: 2,
                remind_at_hour: Some(9),
            },
            RuleAction::AddTag {
                tag: "customer".into(),
            },
            RuleAction::CallWebhook {
                endpoint_id: zap.endpoint.id,
            },
        ],
    )
    .await;
    let acme = client(&w.crm, "Acme").await;
    deal_in_stage(&w.crm, acme.id, "Tiny", (5_000, "USD"), "Won").await;
    deal_in_stage(&w.crm, acme.id, "Audit", (900_000, "USD"), "Won").await;
    settle_rules(&w.sync).await;
    assert_eq!(
        task_titles(&w).await,
        ["Invoice Acme for Audit"],
        "the small deal fails the value condition"
    );
    // Due two days later with a reminder at 09:00 local time that day.
    let (due, reminder): (String, Option<i64>) = sqlx::query_as(
        "SELECT due_date, reminder_at FROM tasks WHERE title = 'Invoice Acme for Audit'",
    )
    .fetch_one(w.crm.database().pool())
    .await
    .unwrap();
    let offset = i64::from(cremmy_core::clock::system_utc_offset_minutes(T0)) * 60_000;
    let day = (T0 + offset).div_euclid(86_400_000) + 2;
    assert_eq!(due, cremmy_core::crm::Date::from_days(day).to_string());
    assert_eq!(
        reminder,
        Some(day * 86_400_000 + 9 * 3_600_000 - offset),
        "the reminder is 09:00 on the due day, local time"
    );
    assert!(w
        .crm
        .client(acme.id)
        .await
        .unwrap()
        .tags
        .contains(&"customer".to_string()));
    // The rule hands the event to the outbox; the delivery runs on its own.
    let mut got = Vec::new();
    for _ in 0..100 {
        got = received(&w, "zap").await.0;
        if !got.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let won_bodies: Vec<_> = got
        .iter()
        .filter(|d| d["body"].as_str().unwrap().contains("deal_won"))
        .collect();
    assert_eq!(won_bodies.len(), 1, "the rule's webhook: {got:#?}");
    assert!(won_bodies[0]["verified"].as_bool().unwrap());

    let history = w.sync.rule_runs(r.id).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(
        (history[0].status, history[0].event),
        (RuleRunStatus::Done, EventKind::DealWon)
    );
    assert!(
        history[0]
            .detail
            .contains("task \"Invoice Acme for Audit\" created"),
        "{}",
        history[0].detail
    );
    let runs: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sync_runs WHERE integration = 'automation'")
            .fetch_one(w.crm.database().pool())
            .await
            .unwrap();
    assert_eq!(runs, 1, "the run is in Sync history");

    // Judging again, or after a restart, acts on nothing twice.
    settle_rules(&w.sync).await;
    let restarted = SyncRunner::new(
        w.crm.database().clone(),
        w.clock.clone(),
        w.sync.providers().clone(),
    );
    sqlx::query("DELETE FROM settings WHERE key = 'automation.cursor'")
        .execute(w.crm.database().writer())
        .await
        .unwrap();
    settle_rules(&restarted).await;
    assert_eq!(
        task_titles(&w).await.len(),
        1,
        "once per event, even when the cursor is lost"
    );
    assert_eq!(w.sync.rule_runs(r.id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_delayed_rule_fires_at_its_time() {
    let w = text_world().await;
    let mut input = RuleInput {
        name: "Follow up after booking".into(),
        trigger: EventKind::MeetingBooked,
        conditions: vec![],
        delay: Some(Delay::After {
            minutes: 2 * 24 * 60,
        }),
        actions: vec![RuleAction::CreateTask {
            title: "Follow up with {client}".into(),
            due_in_days: 0,
            remind_at_hour: None,
        }],
        enabled: true,
    };
    let r = w.sync.create_rule(&input).await.unwrap();
    let acme = client(&w.crm, "Acme").await;
    w.crm
        .record_external_activity(&cremmy_core::crm::ExternalActivity {
            client_id: acme.id,
            contact_id: None,
            deal_id: None,
            kind: cremmy_protocol::crm::ActivityKind::Meeting,
            direction: cremmy_protocol::crm::Direction::None,
            subject: "Kick-off".into(),
            body: String::new(),
            occurred_at: T0 + 5 * 24 * HOUR,
            source: cremmy_protocol::crm::ActivitySource::Calendar,
            external_id: "kick-off-uid".into(),
        })
        .await
        .unwrap();
    settle_rules(&w.sync).await;
    assert!(
        task_titles(&w).await.is_empty(),
        "not yet: two days after the booking"
    );
    let history = w.sync.rule_runs(r.id).await.unwrap();
    assert_eq!(
        (history[0].status, history[0].due_at),
        (RuleRunStatus::Waiting, T0 + 48 * HOUR)
    );
    w.clock.advance(47 * HOUR);
    w.sync.run_due_jobs().await.unwrap();
    assert!(
        task_titles(&w).await.is_empty(),
        "47 hours later, still waiting"
    );
    w.clock.advance(HOUR);
    w.sync.run_due_jobs().await.unwrap();
    assert_eq!(task_titles(&w).await, ["Follow up with Acme"]);
    assert_eq!(
        w.sync.rule_runs(r.id).await.unwrap()[0].status,
        RuleRunStatus::Done
    );

    // Switched off before its time, a waiting run does not act.
    input.enabled = false;
    let bob = client(&w.crm, "Bob's Bikes").await;
    w.crm
        .record_external_activity(&cremmy_core::crm::ExternalActivity {
            client_id: bob.id,
            contact_id: None,
            deal_id: None,
            kind: cremmy_protocol::crm::ActivityKind::Meeting,
            direction: cremmy_protocol::crm::Direction::None,
            subject: "Intro".into(),
            body: String::new(),
            occurred_at: T0 + 9 * 24 * HOUR,
            source: cremmy_protocol::crm::ActivitySource::Calendar,
            external_id: "intro-uid".into(),
        })
        .await
        .unwrap();
    settle_rules(&w.sync).await;
    w.sync.update_rule(r.id, &input).await.unwrap();
    w.clock.advance(49 * HOUR);
    w.sync.run_due_jobs().await.unwrap();
    assert_eq!(task_titles(&w).await.len(), 1, "no task for Bob");
    let last = &w.sync.rule_runs(r.id).await.unwrap()[0];
    assert_eq!(last.status, RuleRunStatus::Refused);
    assert!(last.detail.contains("switched off"), "{}", last.detail);
}

#[tokio::test]
async fn loops_are_refused_and_chains_stop() {
    let w = text_world().await;
    let (lead, qualified, proposal, negotiation) = (
        stage_named(&w.crm, "Lead").await,
        stage_named(&w.crm, "Qualified").await,
        stage_named(&w.crm, "Proposal").await,
        stage_named(&w.crm, "Negotiation").await,
    );
    let step = |from: i64, to: i64| {
        (
            vec![Condition::Stage { stage_id: from }],
            vec![RuleAction::MoveDeal { stage_id: to }],
        )
    };
    let mut rules = Vec::new();
    for (from, to) in [
        (qualified, proposal),
        (proposal, negotiation),
        (negotiation, lead),
        (lead, qualified),
    ] {
        let (c, a) = step(from, to);
        rules.push(rule(&w, EventKind::DealStageChanged, c, a).await);
    }
    let acme = client(&w.crm, "Acme").await;
    let d = deal_in_stage(&w.crm, acme.id, "Audit", (900_000, "USD"), "Qualified").await;
    settle_rules(&w.sync).await;
    assert_eq!(
        w.crm.deal(d).await.unwrap().stage_id,
        lead,
        "three rules acted, the fourth was stopped"
    );
    let last = &w.sync.rule_runs(rules[3].id).await.unwrap()[0];
    assert_eq!(last.status, RuleRunStatus::Refused);
    assert!(last.detail.contains("chains stop at 3"), "{}", last.detail);

    // A rule whose own move would trigger it again.
    let w = text_world().await;
    let proposal = stage_named(&w.crm, "Proposal").await;
    let r = rule(
        &w,
        EventKind::DealStageChanged,
        vec![],
        vec![RuleAction::MoveDeal { stage_id: proposal }],
    )
    .await;
    let acme = client(&w.crm, "Acme").await;
    let d = deal_in_stage(&w.crm, acme.id, "Audit", (900_000, "USD"), "Negotiation").await;
    settle_rules(&w.sync).await;
    assert_eq!(w.crm.deal(d).await.unwrap().stage_id, proposal);
    let history = w.sync.rule_runs(r.id).await.unwrap();
    let statuses: Vec<_> = history.iter().map(|h| h.status).collect();
    assert_eq!(statuses, [RuleRunStatus::Refused, RuleRunStatus::Done]);
    assert!(
        history[0].detail.contains("own action caused the event"),
        "{}",
        history[0].detail
    );
}

#[tokio::test]
async fn a_dry_run_lists_what_would_happen_and_writes_nothing() {
    let w = text_world().await;
    let acme = client(&w.crm, "Acme").await;
    let bob = client(&w.crm, "Bob's Bikes").await;
    for (c, title) in [(acme.id, "Audit"), (bob.id, "Fleet")] {
        deal_in_stage(&w.crm, c, title, (900_000, "USD"), "Won").await;
    }
    w.clock.advance(HOUR);
    let input = RuleInput {
        name: "Invoice".into(),
        trigger: EventKind::DealWon,
        conditions: vec![Condition::HasTag { tag: "vip".into() }],
        delay: Some(Delay::NextWorkingDayAt { hour: 9, minute: 0 }),
        actions: vec![RuleAction::CreateTask {
            title: "Invoice {deal}".into(),
            due_in_days: 3,
            remind_at_hour: None,
        }],
        enabled: true,
    };
    let tables = [
        "automation_rules",
        "rule_runs",
        "tasks",
        "jobs",
        "settings",
        "event_journal",
    ];
    let mut before = Vec::new();
    for t in tables {
        before.push(count(&w.crm, t).await);
    }
    let dry = w.sync.dry_run_rule(&input).await.unwrap();
    assert_eq!(
        (dry.events_seen, dry.would.len()),
        (2, 0),
        "nobody is tagged vip"
    );
    w.crm
        .edit_clients(&cremmy_protocol::crm::BulkClientEdit {
            client_ids: vec![bob.id],
            action: cremmy_protocol::crm::BulkClientAction::AddTag { tag: "VIP".into() },
        })
        .await
        .unwrap();
    let dry = w.sync.dry_run_rule(&input).await.unwrap();
    assert_eq!(dry.would.len(), 1);
    assert_eq!(dry.would[0].client_name.as_deref(), Some("Bob's Bikes"));
    assert_eq!(
        dry.would[0].actions,
        ["task \"Invoice Fleet\" due 3 days later"]
    );
    assert!(dry.would[0].due_at > dry.would[0].occurred_at);
    let mut after = Vec::new();
    for t in tables {
        after.push(count(&w.crm, t).await);
    }
    assert_eq!(before, after, "a dry run writes nothing: {tables:?}");
    let mut bad = input.clone();
    bad.actions = vec![RuleAction::CreateTask {
        title: "Call {nobody}".into(),
        due_in_days: 0,
        remind_at_hour: None,
    }];
    let e = w.sync.dry_run_rule(&bad).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidInput);
    assert!(e.to_string().contains("{nobody}"), "{e}");
}

#[tokio::test]
async fn an_interrupted_run_goes_on_from_the_next_action() {
    let w = text_world().await;
    let r = rule(
        &w,
        EventKind::DealWon,
        vec![],
        vec![
            RuleAction::CreateTask {
                title: "Invoice {client}".into(),
                due_in_days: 0,
                remind_at_hour: None,
            },
            RuleAction::AddTag {
                tag: "customer".into(),
            },
        ],
    )
    .await;
    let acme = client(&w.crm, "Acme").await;
    deal_in_stage(&w.crm, acme.id, "Audit", (900_000, "USD"), "Won").await;
    settle_rules(&w.sync).await;
    // As if the process died after the task and before the tag: the run is waiting with one
    // action done, its job interrupted.
    sqlx::query("UPDATE rule_runs SET status = 'waiting', actions_done = 1")
        .execute(w.crm.database().writer())
        .await
        .unwrap();
    w.crm
        .edit_clients(&cremmy_protocol::crm::BulkClientEdit {
            client_ids: vec![acme.id],
            action: cremmy_protocol::crm::BulkClientAction::RemoveTag {
                tag: "customer".into(),
            },
        })
        .await
        .unwrap();
    sqlx::query("UPDATE jobs SET status = 'running', owner_pid = NULL, heartbeat_at = NULL WHERE kind = 'rule_run'")
        .execute(w.crm.database().writer())
        .await
        .unwrap();
    w.sync.requeue_interrupted_jobs().await.unwrap();
    w.sync.run_due_jobs().await.unwrap();
    assert_eq!(
        task_titles(&w).await,
        ["Invoice Acme"],
        "the task is not made twice"
    );
    assert!(
        w.crm
            .client(acme.id)
            .await
            .unwrap()
            .tags
            .contains(&"customer".to_string()),
        "the tag, not done before the crash, is"
    );
    assert_eq!(
        w.sync.rule_runs(r.id).await.unwrap()[0].status,
        RuleRunStatus::Done
    );
}
