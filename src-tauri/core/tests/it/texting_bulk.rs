//! Bulk texts against the provider sandbox's Twilio: a tag's clients, each previewed with why
//! some are skipped (invalid number, opted out, no phone), the rest sent once each, paced, and a
//! batch resumed after an interruption without texting anyone twice.

use cremmy_protocol::crm::{ClientInput, ContactInput};
use cremmy_protocol::sms::{Audience, BulkText};
use serde_json::json;

use crate::texting::{connected, control, forget_recorded_texts, sandbox_sent, TextWorld};

/// A client tagged `vip` (unless `tag` is empty) whose contact has `phone` (none when empty).
async fn vip(w: &TextWorld, name: &str, phone: &str, tag: &str) -> i64 {
    let c = w
        .crm
        .create_client(&ClientInput {
            name: name.into(),
            tags: if tag.is_empty() {
                vec![]
            } else {
                vec![tag.into()]
            },
            ..ClientInput::default()
        })
        .await
        .unwrap();
    w.crm
        .create_contact(&ContactInput {
            client_id: c.id,
            name: format!("{name} Contact"),
            phones: if phone.is_empty() {
                vec![]
            } else {
                vec![phone.into()]
            },
            ..ContactInput::default()
        })
        .await
        .unwrap();
    c.id
}

fn to_vips(body: &str) -> BulkText {
    BulkText {
        audience: Audience {
            tag: Some("VIP".into()),
            ..Audience::default()
        },
        body: body.into(),
        channel: Default::default(),
    }
}

/// Five tagged clients: two reachable, one invalid number, one opted out, one without a phone;
/// and one reachable client without the tag.
async fn audience(w: &TextWorld) {
    vip(w, "Acme", "(415) 555-2671", "vip").await;
    vip(w, "Bolt", "+1 212 555 0147", "vip").await;
    vip(w, "Typo", "555", "vip").await;
    vip(w, "Quiet", "+1 646 555 0199", "vip").await;
    vip(w, "Paper", "", "vip").await;
    vip(w, "Other", "+1 718 555 0123", "").await;
    control(
        w,
        "inbound",
        json!({"from": "+16465550199", "body": "STOP"}),
    )
    .await;
    w.sync
        .sync_now(
            &Default::default(),
            cremmy_protocol::sync::SyncTrigger::Manual,
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_tag_is_previewed_with_reasons_and_the_reachable_are_texted_once_each() {
    let w = connected().await;
    audience(&w).await;
    let preview = w
        .sync
        .bulk_text_preview(&to_vips("Hi {{contact_first_name}}, news from us"))
        .await
        .unwrap();
    let lines: Vec<(String, Option<String>)> = preview
        .recipients
        .iter()
        .map(|r| (r.client_name.clone(), r.skipped.clone()))
        .collect();
    assert_eq!(
        lines.len(),
        5,
        "the five tagged clients, not the untagged one: {lines:?}"
    );
    let reason = |name: &str| {
        lines
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, why)| why.clone())
            .unwrap_or_default()
    };
    assert_eq!(reason("Acme"), "");
    assert_eq!(reason("Bolt"), "");
    assert!(
        reason("Typo").contains("not a valid phone number"),
        "{lines:?}"
    );
    assert!(reason("Quiet").contains("opted out"), "{lines:?}");
    assert!(
        reason("Paper").contains("no contact with a phone number"),
        "{lines:?}"
    );
    assert_eq!((preview.sendable, preview.skipped), (2, 3));
    assert_eq!(preview.seconds, 1, "two texts, one second apart");

    let queued = w
        .sync
        .queue_bulk_text(&to_vips("Hi {{contact_first_name}}, news from us"))
        .await
        .unwrap();
    assert_eq!((queued.total, queued.pending, queued.skipped), (2, 2, 3));
    let done = w.sync.run_bulk_text(&queued.batch).await.unwrap();
    assert_eq!(
        (done.sent, done.failed, done.pending),
        (2, 0, 0),
        "{done:?}"
    );
    let mut sent = sandbox_sent(&w);
    sent.sort();
    assert_eq!(
        sent,
        [
            (
                "+12125550147".to_string(),
                "Hi Bolt, news from us".to_string()
            ),
            (
                "+14155552671".to_string(),
                "Hi Acme, news from us".to_string()
            ),
        ],
        "each reachable recipient once, with their own values"
    );
    let again = w.sync.run_bulk_text(&queued.batch).await.unwrap();
    assert_eq!(again.sent, 2);
    assert_eq!(
        sandbox_sent(&w).len(),
        2,
        "running the batch again sends nothing"
    );
}

#[tokio::test]
async fn an_interrupted_batch_resumes_without_texting_anyone_twice() {
    let w = connected().await;
    audience(&w).await;
    let queued = w
        .sync
        .queue_bulk_text(&to_vips("Our office moves on Monday"))
        .await
        .unwrap();
    // The first text went out, then the process died before recording it: its job is left
    // `running` by a process that is gone (as a crash leaves it).
    let first: i64 = sqlx::query_scalar(
        "SELECT id FROM jobs WHERE idempotency_key LIKE 'bulk-text:%' ORDER BY next_run_at LIMIT 1",
    )
    .fetch_one(w.crm.database().pool())
    .await
    .unwrap();
    w.sync
        .run_job(first, cremmy_protocol::sync::SyncTrigger::Manual)
        .await
        .unwrap();
    forget_recorded_texts(&w).await;
    sqlx::query("UPDATE jobs SET status = 'running', owner_pid = NULL WHERE id = ?")
        .bind(first)
        .execute(w.crm.database().writer())
        .await
        .unwrap();
    assert_eq!(sandbox_sent(&w).len(), 1);

    // The next start takes the job over, and the batch goes on.
    w.sync.requeue_interrupted_jobs().await.unwrap();
    w.sync.run_due_jobs().await.unwrap();
    let done = w.sync.run_bulk_text(&queued.batch).await.unwrap();
    assert_eq!((done.sent, done.pending), (2, 0), "{done:?}");
    assert_eq!(
        sandbox_sent(&w).len(),
        2,
        "the interrupted text was found, not sent again"
    );
    assert_eq!(
        crate::support::count(&w.crm, "texts").await,
        2,
        "both recorded"
    );
}

#[tokio::test]
async fn a_stage_or_a_search_result_is_an_audience_too() {
    let w = connected().await;
    let acme = vip(&w, "Acme", "(415) 555-2671", "").await;
    let bolt = vip(&w, "Bolt", "+1 212 555 0147", "").await;
    vip(&w, "Cole", "+1 718 555 0123", "").await;
    let proposal = w
        .crm
        .stages()
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.name == "Proposal")
        .unwrap();
    w.crm
        .create_deal(&cremmy_protocol::crm::DealInput {
            client_id: bolt,
            title: "Retainer".into(),
            stage_id: Some(proposal.id),
            ..Default::default()
        })
        .await
        .unwrap();
    let names = |p: cremmy_protocol::sms::BulkPreview| {
        p.recipients
            .into_iter()
            .map(|r| r.client_name)
            .collect::<Vec<_>>()
    };
    let by_stage = BulkText {
        audience: Audience {
            stage_id: Some(proposal.id),
            ..Audience::default()
        },
        ..to_vips("About {{deal_title}}")
    };
    let p = w.sync.bulk_text_preview(&by_stage).await.unwrap();
    assert_eq!(
        p.recipients[0].body, "About Retainer",
        "the deal's values fill the template"
    );
    assert_eq!(names(p), ["Bolt"], "clients with an open deal in Proposal");
    let by_search = BulkText {
        audience: Audience {
            client_ids: vec![acme, bolt],
            ..Audience::default()
        },
        ..to_vips("Hello")
    };
    let p = w.sync.bulk_text_preview(&by_search).await.unwrap();
    assert_eq!(names(p), ["Acme", "Bolt"], "the clients a search found");
}
