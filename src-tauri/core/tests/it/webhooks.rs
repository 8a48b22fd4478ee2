//! Outbound webhooks against the sandbox's receiver (which checks signatures and timestamps as
//! the Standard Webhooks spec tells a consumer to), through the runner the window and the engine
//! use: events recorded once by the database, one signed delivery per subscribed endpoint, retries
//! that keep the id, 410 and lasting failures switching an endpoint off, rotation, and a restart
//! that loses nothing.

use cremmy_core::sync::SyncRunner;
use cremmy_protocol::crm::ContactInput;
use cremmy_protocol::kinds::EventKind;
use cremmy_protocol::webhooks::{WebhookEndpointInput, WebhookSecret};
use serde_json::{json, Value};

use crate::support::{client, deal_in_stage, T0};
use crate::texting::{text_world, TextWorld};

pub const HOUR: i64 = 3_600_000;

fn now(w: &TextWorld) -> i64 {
    cremmy_core::Clock::now(&*w.clock)
}

fn http() -> reqwest::Client {
    cremmy_core::http::client().unwrap()
}

async fn control(w: &TextWorld, path: &str, body: Value) {
    let r = http()
        .post(format!("{}_sandbox/webhooks/{path}", w.sandbox.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success(),
        "sandbox control {path}: {}",
        r.status()
    );
}

/// A receiver at `/hooks/{name}` that verifies with `secret` on the test's clock.
pub async fn receiver(w: &TextWorld, name: &str, secret: &str, script: Value) {
    let now = now(w) / 1000;
    control(
        w,
        name,
        json!({ "secret": secret, "now": now, "script": script }),
    )
    .await;
}

pub async fn received(w: &TextWorld, name: &str) -> (Vec<Value>, i64) {
    let got: Value = http()
        .get(format!("{}_sandbox/webhooks/{name}", w.sandbox.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        got["deliveries"].as_array().unwrap().clone(),
        got["accepted_ids"].as_i64().unwrap(),
    )
}

pub async fn endpoint(w: &TextWorld, name: &str, events: &[EventKind]) -> WebhookSecret {
    w.sync
        .create_webhook_endpoint(&WebhookEndpointInput {
            url: format!("{}hooks/{name}", w.sandbox.base_url()),
            events: events.to_vec(),
            active: true,
            auth_header: Some("Bearer zap-token".into()),
        })
        .await
        .expect("the endpoint is made")
}

/// Hands new events over and waits for their deliveries.
pub async fn flush(sync: &SyncRunner) -> usize {
    let started = sync.dispatch_events().await.unwrap();
    let n = started.len();
    for d in started {
        let _ = d.await.unwrap();
    }
    n
}

/// Acme with Ada (email and phone) and a deal, moved to Won.
async fn won_deal(w: &TextWorld) -> i64 {
    let acme = client(&w.crm, "Acme").await;
    w.crm
        .create_contact(&ContactInput {
            client_id: acme.id,
            name: "Ada Lovelace".into(),
            title: "CTO".into(),
            emails: vec!["ada@acme.example".into()],
            phones: vec!["+14155552671".into()],
            ..ContactInput::default()
        })
        .await
        .unwrap();
    deal_in_stage(&w.crm, acme.id, "Audit", (1_250_050, "EUR"), "Won").await
}

#[tokio::test]
async fn a_won_deal_reaches_each_subscribed_endpoint_once_signed() {
    let w = text_world().await;
    let zap = endpoint(&w, "zap", &[EventKind::DealWon, EventKind::MeetingBooked]).await;
    let n8n = endpoint(&w, "n8n", &[EventKind::ClientCreated]).await;
    assert!(zap.secret.starts_with("whsec_") && zap.secret != n8n.secret);
    receiver(&w, "zap", &zap.secret, json!([])).await;
    receiver(&w, "n8n", &n8n.secret, json!([])).await;
    won_deal(&w).await;
    assert_eq!(
        flush(&w.sync).await,
        2,
        "deal_won to zap, client_created to n8n"
    );
    assert_eq!(flush(&w.sync).await, 0, "an event is handed over once");

    let (got, accepted) = received(&w, "zap").await;
    assert_eq!((got.len(), accepted), (1, 1), "one delivery: {got:#?}");
    let d = &got[0];
    assert!(
        d["verified"].as_bool().unwrap(),
        "signature and timestamp check out: {d}"
    );
    assert_eq!(d["authorization"], "Bearer zap-token");
    assert_eq!(d["content_type"], "application/json");
    let body: Value = serde_json::from_str(d["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["event"], "deal_won");
    assert_eq!(
        body["event_id"], d["webhook_id"],
        "the event id is the webhook-id"
    );
    assert_eq!(body["timestamp"], "2026-03-02T09:00:00Z");
    assert_eq!(
        body["lead"],
        json!({ "name": "Ada Lovelace", "email": "ada@acme.example", "phone": "+14155552671",
                "company": "Acme", "title": "CTO", "linkedin_url": null }),
        "the lead is the client's contact; Cremmy keeps no LinkedIn address, so null"
    );
    assert_eq!(body["deal"]["title"], "Audit");
    assert_eq!(body["deal"]["value"], 12500.5);
    assert_eq!(body["deal"]["currency"], "EUR");
    assert_eq!(body["deal"]["stage"], "Won");
    assert_eq!(body["deal"]["previous_stage"], "Lead");
    assert_eq!(body["deal"]["won_at"], "2026-03-02T09:00:00Z");
    assert_eq!(body["meeting"], Value::Null);
    assert_eq!(
        body["campaign"],
        Value::Null,
        "Cremmy has no campaigns: null, never invented"
    );

    let (got, _) = received(&w, "n8n").await;
    assert_eq!(got.len(), 1);
    assert!(got[0]["body"]
        .as_str()
        .unwrap()
        .contains("\"client_created\""));
    assert_eq!(got[0]["authorization"], "Bearer zap-token");

    let log = w.sync.webhook_attempts(zap.endpoint.id).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].status, log[0].event),
        (Some(200), EventKind::DealWon)
    );
    assert_eq!(
        log[0].payload,
        d["body"].as_str().unwrap(),
        "the push log keeps the exact body"
    );
}

#[tokio::test]
async fn retries_keep_the_id_and_body_until_a_2xx_and_honour_retry_after() {
    let w = text_world().await;
    let zap = endpoint(&w, "zap", &[EventKind::DealWon]).await;
    receiver(
        &w,
        "zap",
        &zap.secret,
        json!([{ "status": 500 }, { "status": 429, "retry_after_secs": 600 }, { "status": 503 }]),
    )
    .await;
    won_deal(&w).await;
    flush(&w.sync).await;
    let job: (i64, i64) =
        sqlx::query_as("SELECT attempts, max_attempts FROM jobs WHERE kind = 'webhook_delivery'")
            .fetch_one(w.crm.database().pool())
            .await
            .unwrap();
    assert_eq!(
        job,
        (1, 80),
        "a failed delivery stays queued, with about three days of attempts"
    );
    // Attempt 2 answers 429 with Retry-After: 600 s, later than the backoff's minute.
    for step in 0..4 {
        w.clock.advance(if step == 1 { 11 * 60_000 } else { HOUR });
        control(&w, "zap/clock", json!({ "now": now(&w) / 1000 })).await;
        if step == 1 {
            let next: i64 =
                sqlx::query_scalar("SELECT next_run_at FROM jobs WHERE kind = 'webhook_delivery'")
                    .fetch_one(w.crm.database().pool())
                    .await
                    .unwrap();
            assert!(
                next >= now(&w) - 11 * 60_000 + 600_000,
                "Retry-After is honoured"
            );
        }
        w.sync.run_due_jobs().await.unwrap();
    }
    let (got, accepted) = received(&w, "zap").await;
    let statuses: Vec<i64> = got
        .iter()
        .map(|d| d["answered"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, [500, 429, 503, 200], "{got:#?}");
    assert!(
        got.iter().all(|d| d["verified"] == true
            && d["webhook_id"] == got[0]["webhook_id"]
            && d["body"] == got[0]["body"]),
        "every attempt: same id and bytes, freshly signed"
    );
    assert_ne!(
        got[0]["timestamp"], got[3]["timestamp"],
        "webhook-timestamp is the attempt's"
    );
    assert_eq!(accepted, 1);
    let ep = &w.sync.webhook_endpoints().await.unwrap()[0];
    assert_eq!(
        (ep.active, ep.consecutive_failures),
        (true, 0),
        "a 2xx resets the failures"
    );
    assert_eq!(w.sync.webhook_attempts(ep.id).await.unwrap().len(), 4);
}

#[tokio::test]
async fn a_restart_loses_nothing_and_a_repeat_is_recognised() {
    let w = text_world().await;
    let zap = endpoint(&w, "zap", &[EventKind::DealWon]).await;
    receiver(&w, "zap", &zap.secret, json!([])).await;
    won_deal(&w).await;
    // The process stops before anything is handed over: the journal has it.
    let restarted = SyncRunner::new(
        w.crm.database().clone(),
        w.clock.clone(),
        w.sync.providers().clone(),
    );
    restarted.run_due_jobs().await.unwrap();
    assert_eq!(
        received(&w, "zap").await.0.len(),
        1,
        "delivered after the restart"
    );
    // It stops after the POST but before the job was marked done: it goes again, same id.
    sqlx::query("UPDATE jobs SET status = 'running', owner_pid = NULL, heartbeat_at = NULL WHERE kind = 'webhook_delivery'")
        .execute(w.crm.database().writer())
        .await
        .unwrap();
    restarted.requeue_interrupted_jobs().await.unwrap();
    restarted.run_due_jobs().await.unwrap();
    let (got, accepted) = received(&w, "zap").await;
    assert_eq!(got.len(), 2);
    assert_eq!(
        (got[1]["duplicate"].as_bool(), accepted),
        (Some(true), 1),
        "the receiver recognises the id"
    );
}

#[tokio::test]
async fn gone_and_lasting_failures_switch_an_endpoint_off() {
    let w = text_world().await;
    let gone = endpoint(&w, "gone", &[EventKind::ClientCreated]).await;
    let down = endpoint(&w, "down", &[EventKind::ClientCreated]).await;
    receiver(&w, "gone", &gone.secret, json!([{ "status": 410 }])).await;
    let fives: Vec<Value> = (0..30).map(|_| json!({ "status": 500 })).collect();
    receiver(&w, "down", &down.secret, json!(fives)).await;
    client(&w.crm, "Client 0").await;
    flush(&w.sync).await;
    for i in 1..12 {
        client(&w.crm, &format!("Client {i}")).await;
    }
    flush(&w.sync).await;
    let eps = w.sync.webhook_endpoints().await.unwrap();
    assert!(!eps[0].active);
    assert_eq!(
        eps[0].disabled_reason.as_deref(),
        Some("it answered 410 Gone")
    );
    let dead: i64 = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM jobs WHERE kind = 'webhook_delivery' AND status = 'dead' AND idempotency_key LIKE '%:{}'",
        gone.endpoint.id
    ))
    .fetch_one(w.crm.database().pool())
    .await
    .unwrap();
    assert_eq!(dead, 1, "410 is not retried");
    assert_eq!(
        received(&w, "gone").await.0.len(),
        1,
        "nothing more goes to it"
    );
    assert!(
        eps[1].active,
        "12 failures within minutes do not switch an endpoint off"
    );
    assert_eq!(eps[1].consecutive_failures, 12);
    w.clock.advance(25 * HOUR);
    control(&w, "down/clock", json!({ "now": now(&w) / 1000 })).await;
    w.sync.run_due_jobs().await.unwrap();
    let eps = w.sync.webhook_endpoints().await.unwrap();
    assert!(
        !eps[1].active,
        "failures for over a day switch it off: {:?}",
        eps[1]
    );
    assert!(eps[1]
        .disabled_reason
        .as_deref()
        .unwrap()
        .contains("failed deliveries in a row since 2026-03-02"));
    let told = cremmy_core::engine::notices::since(w.crm.database(), T0 + HOUR, now(&w))
        .await
        .unwrap();
    let told: Vec<_> = told
        .iter()
        .filter(|n| n.title.contains("webhook"))
        .collect();
    assert_eq!(told.len(), 1, "the user is told, once: {told:?}");
    assert!(
        told[0].body.contains("Settings → Webhooks"),
        "{}",
        told[0].body
    );
    // Switched on again, it starts from zero.
    let on = w
        .sync
        .update_webhook_endpoint(
            down.endpoint.id,
            &WebhookEndpointInput {
                url: down.endpoint.url.clone(),
                events: down.endpoint.events.clone(),
                active: true,
                auth_header: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (on.active, on.consecutive_failures, on.disabled_reason),
        (true, 0, None)
    );
    assert!(
        on.has_auth_header,
        "None keeps the stored Authorization header"
    );
}

#[tokio::test]
async fn a_rotation_signs_with_both_secrets_for_a_day() {
    let w = text_world().await;
    let first = endpoint(&w, "zap", &[EventKind::ClientCreated]).await;
    let id = first.endpoint.id;
    let second = w.sync.rotate_webhook_secret(id).await.unwrap();
    assert_ne!(first.secret, second.secret);
    assert_eq!(second.endpoint.previous_secret_until, Some(T0 + 24 * HOUR));
    for (secret, why) in [
        (&first.secret, "the old secret"),
        (&second.secret, "the new secret"),
    ] {
        receiver(&w, "zap", secret, json!([])).await;
        let sent = w.sync.send_test_webhook(id).await;
        assert!(sent.is_ok(), "{why} verifies during the overlap: {sent:?}");
    }
    w.clock.advance(25 * HOUR);
    receiver(&w, "zap", &first.secret, json!([])).await;
    let refused = w.sync.send_test_webhook(id).await.unwrap_err();
    assert!(
        refused.to_string().contains("answered HTTP 401"),
        "{refused}"
    );
    receiver(&w, "zap", &second.secret, json!([])).await;
    w.sync
        .send_test_webhook(id)
        .await
        .expect("the new secret alone");
    let (got, _) = received(&w, "zap").await;
    let body: Value = serde_json::from_str(got[0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        (body["event"].as_str(), body["lead"].is_null()),
        (Some("test"), true)
    );
    // Redeliver sends the logged attempt again: same id, same bytes.
    let log = w.sync.webhook_attempts(id).await.unwrap();
    w.sync.redeliver_webhook(log[0].id).await.unwrap();
    let (again, accepted) = received(&w, "zap").await;
    assert_eq!(
        (again[1]["webhook_id"].clone(), again[1]["body"].clone()),
        (got[0]["webhook_id"].clone(), got[0]["body"].clone())
    );
    assert_eq!(accepted, 1);
}
