//! What comes in through the sandbox's Twilio: replies on the right timeline, strangers'
//! texts waiting unmatched (and attached, or made into a contact), STOP and START, Twilio's 21610,
//! notices, and the call log.

use cremmy_core::features::texts::store;
use cremmy_core::sync::SyncError;
use cremmy_core::HasErrorCode;
use cremmy_protocol::crm::{ActivityKind, ContactInput, Direction};
use cremmy_protocol::sms::AttachText;
use cremmy_protocol::ErrorCode;
use serde_json::json;

use crate::support::{client, T0};
use crate::texting::{
    client_with_phone, connected, control, draft, sandbox_sent, sync_all, OUR_NUMBER, ZOE,
    ZOE_TYPED,
};

#[tokio::test]
async fn replies_land_on_the_timeline_strangers_wait_unmatched_and_stop_opts_out() {
    let w = connected().await;
    let (acme, zoe) = client_with_phone(&w, "Acme", "Zoë Adams", ZOE_TYPED).await;
    control(&w, "inbound", json!({"from": ZOE, "body": "Sounds good!"})).await;
    control(
        &w,
        "inbound",
        json!({"from": "+12125550147", "body": "Who is this?"}),
    )
    .await;
    sync_all(&w).await;
    let page = w.crm.client_page(acme).await.unwrap();
    let reply = page
        .timeline
        .items
        .iter()
        .find(|a| a.kind == ActivityKind::Sms)
        .expect("the reply is on Acme's timeline");
    assert_eq!(
        (reply.direction, reply.contact_id),
        (Direction::Inbound, Some(zoe))
    );
    assert_eq!(reply.body, "Sounds good!");
    let unmatched = w.sync.unmatched_texts().await.unwrap();
    assert_eq!(unmatched.len(), 1);
    let notices = cremmy_core::engine::notices::since(w.crm.database(), T0 - 1, T0)
        .await
        .unwrap();
    let heard: Vec<(String, String)> = notices.into_iter().map(|n| (n.title, n.body)).collect();
    assert_eq!(
        heard,
        [
            ("Acme texted".to_string(), "Sounds good!".to_string()),
            (
                "A text from +12125550147".to_string(),
                "Who is this?".to_string()
            ),
        ],
        "each received text is a notice, once: it was recorded in this instant"
    );
    assert!(
        cremmy_core::engine::notices::since(w.crm.database(), T0, T0 + 60_000)
            .await
            .unwrap()
            .is_empty(),
        "not announced again later"
    );
    assert_eq!(unmatched[0].from, "+12125550147");

    sync_all(&w).await;
    assert_eq!(
        crate::support::count(&w.crm, "texts").await,
        2,
        "a re-poll adds nothing"
    );

    // The stranger turns out to be Bob at Acme: attached, it moves to the timeline.
    let bob = w
        .crm
        .create_contact(&ContactInput {
            client_id: acme,
            name: "Bob".into(),
            ..ContactInput::default()
        })
        .await
        .unwrap();
    w.sync
        .attach_text(&AttachText {
            sid: unmatched[0].sid.clone(),
            contact_id: bob.id,
        })
        .await
        .expect("attached");
    assert!(w.sync.unmatched_texts().await.unwrap().is_empty());
    assert_eq!(w.sync.texts_of_client(acme).await.unwrap().len(), 2);

    // STOP: the number is opted out, and sending to it is refused before Twilio.
    control(&w, "inbound", json!({"from": ZOE, "body": "STOP"})).await;
    sync_all(&w).await;
    assert!(store::opted_out(w.crm.database(), ZOE)
        .await
        .unwrap()
        .is_some());
    let shown = w.sync.contact_opt_outs(acme).await.unwrap();
    assert_eq!(
        shown
            .iter()
            .map(|o| (o.contact_id, o.opt_out.keyword.as_str()))
            .collect::<Vec<_>>(),
        [(zoe, "STOP")],
        "the contact shows it"
    );
    let p = w
        .sync
        .text_preview(&draft(acme, "One more thing"))
        .await
        .unwrap();
    assert!(
        p.refused
            .as_deref()
            .is_some_and(|r| r.contains("opted out")),
        "{p:?}"
    );
    let e = w
        .sync
        .send_text(&draft(acme, "One more thing"))
        .await
        .expect_err("opted out");
    assert!(e.to_string().contains("opted out"), "{e}");
    assert!(
        sandbox_sent(&w).is_empty(),
        "nothing was sent to an opted-out number"
    );

    control(&w, "inbound", json!({"from": ZOE, "body": "START"})).await;
    sync_all(&w).await;
    assert!(
        store::opted_out(w.crm.database(), ZOE)
            .await
            .unwrap()
            .is_none(),
        "START re-subscribes"
    );
    assert!(w.sync.contact_opt_outs(acme).await.unwrap().is_empty());
    w.sync
        .send_text(&draft(acme, "Welcome back"))
        .await
        .expect("sends again");
}

#[tokio::test]
async fn twilios_21610_marks_the_number_opted_out_even_before_the_stop_is_polled() {
    let w = connected().await;
    let (acme, _) = client_with_phone(&w, "Acme", "Zoë Adams", ZOE_TYPED).await;
    control(&w, "inbound", json!({"from": ZOE, "body": "STOP"})).await;
    let e = w
        .sync
        .send_text(&draft(acme, "Hello"))
        .await
        .expect_err("21610");
    match &e {
        SyncError::Queued { cause, .. } => {
            assert!(cause.to_string().contains("opted out"), "{cause}")
        }
        other => assert!(other.to_string().contains("opted out"), "{other}"),
    }
    assert!(
        store::opted_out(w.crm.database(), ZOE)
            .await
            .unwrap()
            .is_some(),
        "Twilio's refusal is remembered"
    );
}

#[tokio::test]
async fn the_call_log_imports_once_with_missed_calls_named() {
    let w = connected().await;
    let (acme, _) = client_with_phone(&w, "Acme", "Zoë Adams", ZOE_TYPED).await;
    let call = |from: &str, to: &str, status: &str, direction: &str, secs: u64, at: i64| {
        json!({"from": from, "to": to, "status": status, "direction": direction,
               "duration_secs": secs, "start_ms": at})
    };
    control(
        &w,
        "calls",
        call(ZOE, OUR_NUMBER, "completed", "inbound", 192, T0 - 3_600_000),
    )
    .await;
    control(
        &w,
        "calls",
        call(ZOE, OUR_NUMBER, "no-answer", "inbound", 0, T0 - 1_800_000),
    )
    .await;
    control(
        &w,
        "calls",
        call(
            OUR_NUMBER,
            ZOE,
            "completed",
            "outbound-api",
            61,
            T0 - 600_000,
        ),
    )
    .await;
    control(
        &w,
        "calls",
        call(
            "+12125550147",
            OUR_NUMBER,
            "completed",
            "inbound",
            5,
            T0 - 60_000,
        ),
    )
    .await;
    sync_all(&w).await;
    sync_all(&w).await;
    let page = w.crm.client_page(acme).await.unwrap();
    let mut calls: Vec<(Direction, String)> = page
        .timeline
        .items
        .iter()
        .filter(|a| a.kind == ActivityKind::Call)
        .map(|a| (a.direction, a.subject.clone()))
        .collect();
    calls.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(
        calls,
        [
            (Direction::Inbound, format!("Call from {ZOE} · 3 min 12 s")),
            (Direction::Outbound, format!("Call to {ZOE} · 1 min 01 s")),
            (Direction::Inbound, "Missed call (no answer)".to_string()),
        ],
        "three calls with Zoë, each once; the stranger's call is not on Acme's timeline"
    );
}

#[tokio::test]
async fn an_unmatched_text_can_make_its_contact_and_their_next_text_finds_them() {
    let w = connected().await;
    let acme = client(&w.crm, "Acme").await.id;
    control(
        &w,
        "inbound",
        json!({"from": "+13125550166", "body": "Hi, it's Dana from Acme"}),
    )
    .await;
    sync_all(&w).await;
    let unmatched = w.sync.unmatched_texts().await.unwrap();
    assert_eq!(unmatched.len(), 1);
    w.sync
        .attach_text_to_new_contact(&cremmy_protocol::sms::AttachToNewContact {
            sid: unmatched[0].sid.clone(),
            client_id: acme,
            name: "Dana".into(),
        })
        .await
        .expect("a new contact");
    let contacts = w.crm.contacts_of(acme).await.unwrap();
    assert_eq!(
        contacts
            .iter()
            .map(|c| (c.name.as_str(), c.phones.clone()))
            .collect::<Vec<_>>(),
        [("Dana", vec!["+13125550166".to_string()])],
        "the contact has the text's number"
    );
    control(
        &w,
        "inbound",
        json!({"from": "+13125550166", "body": "Also, Thursday works"}),
    )
    .await;
    sync_all(&w).await;
    assert!(
        w.sync.unmatched_texts().await.unwrap().is_empty(),
        "the next one is matched"
    );
    assert_eq!(w.sync.texts_of_client(acme).await.unwrap().len(), 2);
    let missing = w
        .sync
        .attach_text_to_new_contact(&cremmy_protocol::sms::AttachToNewContact {
            sid: "SMnope".into(),
            client_id: acme,
            name: String::new(),
        })
        .await
        .expect_err("no such text");
    assert_eq!(missing.code(), ErrorCode::NotFound);
    assert_eq!(
        w.crm.contacts_of(acme).await.unwrap().len(),
        1,
        "nothing made for it"
    );
}
