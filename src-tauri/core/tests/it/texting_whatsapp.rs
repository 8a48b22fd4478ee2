//! WhatsApp through the sandbox's Twilio: free text only within 24 hours of the contact's last
//! WhatsApp message (the composer says which applies and refuses outside it), replies polled from
//! the WhatsApp sender, and Twilio's 63016 explained when the provider's clock disagrees.

use cremmy_core::clock::Clock;
use cremmy_protocol::crm::ContactInput;
use cremmy_protocol::sms::{Channel, TextDraft, TextingSettings};
use serde_json::json;

use crate::support::client;
use crate::texting::{connected, control, sandbox_sent, TextWorld};

const SENDER: &str = "whatsapp:+14155238886";
const ZOE: &str = "whatsapp:+14155552671";

async fn zoe(w: &TextWorld) -> i64 {
    let c = client(&w.crm, "Acme").await;
    w.crm
        .create_contact(&ContactInput {
            client_id: c.id,
            name: "Zoë Adams".into(),
            phones: vec!["+1 415 555 2671".into()],
            ..ContactInput::default()
        })
        .await
        .unwrap();
    c.id
}

async fn with_whatsapp_sender(w: &TextWorld) {
    let mut s = w.sync.texting_setup().await.unwrap().unwrap().settings;
    s.whatsapp_sender = Some(SENDER.into());
    w.sync
        .save_texting_settings(&TextingSettings { ..s })
        .await
        .unwrap();
}

fn whatsapp(client_id: i64, body: &str) -> TextDraft {
    TextDraft {
        client_id,
        body: body.into(),
        channel: Channel::Whatsapp,
        ..TextDraft::default()
    }
}

async fn sync(w: &TextWorld) {
    for r in w
        .sync
        .sync_now(
            &Default::default(),
            cremmy_protocol::sync::SyncTrigger::Manual,
        )
        .await
        .unwrap()
    {
        assert!(r.error.is_none(), "{:?}", r.error);
    }
}

#[tokio::test]
async fn free_text_waits_for_the_contacts_message_and_then_goes_from_the_whatsapp_sender() {
    let w = connected().await;
    let acme = zoe(&w).await;
    // Without a WhatsApp sender (connecting chose the listed one; the user cleared it).
    let mut s = w.sync.texting_setup().await.unwrap().unwrap().settings;
    s.whatsapp_sender = None;
    w.sync.save_texting_settings(&s).await.unwrap();
    let p = w.sync.text_preview(&whatsapp(acme, "Hello")).await.unwrap();
    assert!(
        p.refused
            .as_deref()
            .is_some_and(|r| r.contains("WhatsApp sender")),
        "no sender set: {p:?}"
    );
    with_whatsapp_sender(&w).await;
    let p = w.sync.text_preview(&whatsapp(acme, "Hello")).await.unwrap();
    assert_eq!(p.to.as_deref(), Some(ZOE));
    assert_eq!(p.whatsapp_window_open, Some(false), "Zoë never wrote");
    assert!(
        p.refused
            .as_deref()
            .is_some_and(|r| r.contains("24-hour window")),
        "{p:?}"
    );
    let e = w
        .sync
        .send_text(&whatsapp(acme, "Hello"))
        .await
        .expect_err("outside the window");
    assert!(e.to_string().contains("24-hour window"), "{e}");
    assert!(sandbox_sent(&w).is_empty());

    // Zoë writes on WhatsApp (at this machine's "now"): the window opens.
    let now = w.clock.now();
    control(
        &w,
        "inbound",
        json!({"from": ZOE, "to": SENDER, "body": "Hi! Any news?", "at_ms": now}),
    )
    .await;
    sync(&w).await;
    let page = w.crm.client_page(acme).await.unwrap();
    assert!(
        page.timeline
            .items
            .iter()
            .any(|a| a.body == "Hi! Any news?" && a.subject == "WhatsApp received"),
        "the WhatsApp reply is polled from the WhatsApp sender and lands on the timeline"
    );
    let p = w
        .sync
        .text_preview(&whatsapp(acme, "Yes: signed!"))
        .await
        .unwrap();
    assert_eq!(
        (p.whatsapp_window_open, p.refused.clone()),
        (Some(true), None),
        "{p:?}"
    );
    w.sync
        .send_text(&whatsapp(acme, "Yes: signed!"))
        .await
        .expect("sent");
    assert_eq!(
        sandbox_sent(&w),
        [(ZOE.to_string(), "Yes: signed!".to_string())]
    );
    let from: Vec<String> = w
        .sandbox
        .shared
        .lock()
        .twilio
        .messages
        .iter()
        .filter(|m| !m.inbound)
        .map(|m| m.from.clone())
        .collect();
    assert_eq!(
        from,
        [SENDER],
        "from the WhatsApp sender, not the SMS number"
    );
}

#[tokio::test]
async fn twilios_63016_is_explained_when_its_clock_says_the_window_closed() {
    let w = connected().await;
    let acme = zoe(&w).await;
    with_whatsapp_sender(&w).await;
    // Zoë wrote 25 hours before Twilio's now, which this machine's clock places within the day.
    let real_now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let at = real_now - 25 * 3_600_000;
    w.clock.set(at + 3_600_000);
    control(
        &w,
        "inbound",
        json!({"from": ZOE, "to": SENDER, "body": "ping", "at_ms": at}),
    )
    .await;
    sync(&w).await;
    let sent = w
        .sync
        .send_text(&whatsapp(acme, "Free text"))
        .await
        .expect("Twilio accepts it first");
    sync(&w).await;
    let texts = w.sync.texts_of_client(acme).await.unwrap();
    let ours = texts.iter().find(|t| t.sid == sent.sid).unwrap();
    assert_eq!(ours.status, "failed");
    let error = ours.error.clone().unwrap_or_default();
    assert!(
        error.starts_with("63016")
            && error.contains("24-hour window")
            && error.contains("template"),
        "the app explains Twilio's code: {error}"
    );
}

#[tokio::test]
async fn an_approved_template_goes_outside_the_window_with_the_contacts_name_filled_in() {
    let w = connected().await;
    let acme = zoe(&w).await;
    with_whatsapp_sender(&w).await;
    let templates = w.sync.text_templates().await.unwrap();
    assert_eq!(
        templates
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>(),
        ["follow_up"],
        "only approved templates are offered (the pending one is not)"
    );
    let draft = TextDraft {
        template_id: Some(templates[0].id.clone()),
        ..whatsapp(acme, "")
    };
    let p = w.sync.text_preview(&draft).await.unwrap();
    assert_eq!(
        p.refused, None,
        "a template may go outside the 24-hour window: {p:?}"
    );
    assert_eq!(
        p.body,
        "Hi Zoë, following up on our last conversation. Reply here to pick it up."
    );
    let sent = w.sync.send_text(&draft).await.expect("sent");
    assert_eq!(
        sandbox_sent(&w),
        [(ZOE.to_string(), p.body.clone())],
        "Twilio filled it the same way"
    );
    let used: Vec<Option<String>> = w
        .sandbox
        .shared
        .lock()
        .twilio
        .messages
        .iter()
        .map(|m| m.content_sid.clone())
        .collect();
    assert_eq!(
        used,
        [Some(templates[0].id.clone())],
        "sent as the template, not as free text"
    );
    sync(&w).await;
    let status = w
        .sync
        .texts_of_client(acme)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.sid == sent.sid)
        .unwrap()
        .status;
    assert_eq!(status, "delivered", "no 63016 for an approved template");

    let unknown = TextDraft {
        template_id: Some("HX0000000000000000000000000000ffff".into()),
        ..whatsapp(acme, "")
    };
    let e = w
        .sync
        .text_preview(&unknown)
        .await
        .expect_err("not an approved template");
    assert!(e.to_string().contains("not (or no longer) approved"), "{e}");
}
