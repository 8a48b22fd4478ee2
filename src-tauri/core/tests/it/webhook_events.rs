//! What becomes an event (recorded once by the database's triggers; history arriving in bulk is
//! not news) and what an endpoint form accepts. Deliveries: `webhooks.rs`.

use cremmy_core::features::webhooks::check_url;
use cremmy_core::HasErrorCode;
use cremmy_protocol::crm::{ActivityKind, ActivitySource, Direction};
use cremmy_protocol::kinds::EventKind;
use cremmy_protocol::webhooks::WebhookEndpointInput;
use cremmy_protocol::ErrorCode;
use serde_json::{json, Value};

use crate::support::{client, T0};
use crate::texting::text_world;
use crate::webhooks::{endpoint, flush, received, receiver, HOUR};

#[tokio::test]
async fn urls_and_forms_are_checked_and_nothing_half_made() {
    for (url, ok) in [
        ("https://hooks.zapier.com/hooks/catch/1/abc/", true),
        ("http://127.0.0.1:8080/hook", true),
        ("http://localhost/hook", true),
        ("http://[::1]:9000/", true),
        ("http://hooks.example.com/hook", false),
        ("ftp://example.com/hook", false),
        ("https://user:pw@example.com/hook", false),
        ("not a url", false),
        ("javascript:alert(1)", false),
    ] {
        assert_eq!(check_url(url).is_ok(), ok, "{url}");
    }
    let w = text_world().await;
    let cases = [
        WebhookEndpointInput {
            url: "http://example.com/x".into(),
            events: vec![EventKind::DealWon],
            active: true,
            auth_header: None,
        },
        WebhookEndpointInput {
            url: "https://example.com/x".into(),
            events: vec![],
            active: true,
            auth_header: None,
        },
        WebhookEndpointInput {
            url: "https://example.com/x".into(),
            events: vec![EventKind::Test],
            active: true,
            auth_header: None,
        },
        WebhookEndpointInput {
            url: "https://example.com/x".into(),
            events: vec![EventKind::DealWon],
            active: true,
            auth_header: Some("Bearer a\r\nX-Evil: 1".into()),
        },
    ];
    for input in &cases {
        let e = w.sync.create_webhook_endpoint(input).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidInput, "{input:?}: {e}");
    }
    assert!(
        w.sync.webhook_endpoints().await.unwrap().is_empty(),
        "nothing half-made"
    );
    let e = w.sync.webhook_attempts(42).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
}

#[tokio::test]
async fn history_is_not_news_and_meetings_are_journalled() {
    let w = text_world().await;
    let acme = client(&w.crm, "Acme").await;
    let activity = |kind, direction, at: i64, id: &str| cremmy_core::crm::ExternalActivity {
        client_id: acme.id,
        contact_id: None,
        deal_id: None,
        kind,
        direction,
        subject: "Kick-off".into(),
        body: "2026-03-05 10:00 – 10:45 UTC\nhttps://meet.google.com/abc-defg-hij".into(),
        occurred_at: at,
        source: if kind == ActivityKind::Meeting {
            ActivitySource::Calendar
        } else {
            ActivitySource::Email
        },
        external_id: id.into(),
    };
    let cases = [
        (
            activity(
                ActivityKind::Email,
                Direction::Inbound,
                T0 - 10 * 24 * HOUR,
                "<old@x>",
            ),
            None,
        ),
        (
            activity(
                ActivityKind::Email,
                Direction::Inbound,
                T0 - HOUR,
                "<new@x>",
            ),
            Some("email_received"),
        ),
        (
            activity(
                ActivityKind::Email,
                Direction::Outbound,
                T0 - HOUR,
                "<ours@x>",
            ),
            None,
        ),
        (
            activity(
                ActivityKind::Meeting,
                Direction::None,
                T0 - 24 * HOUR,
                "past-uid",
            ),
            None,
        ),
        (
            activity(
                ActivityKind::Meeting,
                Direction::None,
                T0 + 73 * HOUR,
                "future-uid",
            ),
            Some("meeting_booked"),
        ),
    ];
    for (a, expected) in &cases {
        let before: i64 = sqlx::query_scalar("SELECT count(*) FROM event_journal")
            .fetch_one(w.crm.database().pool())
            .await
            .unwrap();
        w.crm.record_external_activity(a).await.unwrap();
        let kinds: Vec<String> =
            sqlx::query_scalar("SELECT kind FROM event_journal WHERE id > ? ORDER BY id")
                .bind(before)
                .fetch_all(w.crm.database().pool())
                .await
                .unwrap();
        assert_eq!(
            kinds,
            expected.iter().map(|k| k.to_string()).collect::<Vec<_>>(),
            "{} {:?} at {}",
            a.external_id,
            a.kind,
            a.occurred_at
        );
    }
    let zap = endpoint(
        &w,
        "zap",
        &[EventKind::MeetingBooked, EventKind::EmailReceived],
    )
    .await;
    receiver(&w, "zap", &zap.secret, json!([])).await;
    assert_eq!(
        flush(&w.sync).await,
        0,
        "events from before the endpoint existed are not sent to it"
    );
    w.clock.advance(1000);
    w.crm
        .record_external_activity(&activity(
            ActivityKind::Meeting,
            Direction::None,
            T0 + 74 * HOUR,
            "next-uid",
        ))
        .await
        .unwrap();
    flush(&w.sync).await;
    let (got, _) = received(&w, "zap").await;
    let body: Value = serde_json::from_str(got[0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["event"], "meeting_booked");
    assert_eq!(body["meeting"]["scheduled_at"], "2026-03-05T11:00:00Z");
    assert_eq!(body["meeting"]["duration_minutes"], 45);
    assert_eq!(
        body["meeting"]["meeting_link"],
        "https://meet.google.com/abc-defg-hij"
    );
    assert_eq!(body["lead"]["company"], "Acme");
    assert_eq!(
        body["lead"]["name"],
        Value::Null,
        "no contact: no name, never invented"
    );
}

#[tokio::test]
async fn the_journal_forgets_old_events_once_handed_over_but_not_what_a_history_shows() {
    use cremmy_protocol::automation::{RuleAction, RuleInput};
    let w = text_world().await;
    let r = w
        .sync
        .create_rule(&RuleInput {
            name: "Tag new clients".into(),
            trigger: EventKind::ClientCreated,
            conditions: vec![],
            delay: None,
            actions: vec![RuleAction::AddTag { tag: "new".into() }],
            enabled: true,
        })
        .await
        .unwrap();
    let zap = endpoint(&w, "zap", &[EventKind::DealCreated]).await;
    receiver(&w, "zap", &zap.secret, json!([])).await;
    client(&w.crm, "Acme").await;
    flush(&w.sync).await;
    for run in w.sync.run_rules().await.unwrap() {
        run.await.unwrap().unwrap();
    }
    let journal = |w: &crate::texting::TextWorld| {
        let pool = w.crm.database().pool().clone();
        async move {
            sqlx::query_scalar::<_, String>("SELECT kind FROM event_journal ORDER BY id")
                .fetch_all(&pool)
                .await
                .unwrap()
        }
    };
    w.clock.advance(89 * 24 * HOUR);
    client(&w.crm, "Bob's Bikes").await; // recorded now: judged below, not yet old
    w.sync.run_due_jobs().await.unwrap();
    assert_eq!(
        w.sync.prune_journal().await.unwrap(),
        0,
        "nothing is 90 days old yet"
    );
    w.clock.advance(2 * 24 * HOUR);
    sqlx::query("INSERT INTO event_journal (gid, kind, occurred_at, recorded_at) VALUES ('evt_waiting', 'deal_created', 0, 0)")
        .execute(w.crm.database().writer())
        .await
        .unwrap();
    let removed = w.sync.prune_journal().await.unwrap();
    assert_eq!(
        removed,
        0,
        "both old events have a rule run; the odd one is not handed over: {:?}",
        journal(&w).await
    );
    sqlx::query("DELETE FROM rule_runs WHERE rule_id = ?")
        .bind(r.id)
        .execute(w.crm.database().writer())
        .await
        .unwrap();
    assert_eq!(
        w.sync.prune_journal().await.unwrap(),
        1,
        "Acme's client_created, 91 days old"
    );
    assert_eq!(
        journal(&w).await,
        ["client_created", "deal_created"],
        "Bob's (89 days) and the one not handed over stay"
    );
}
