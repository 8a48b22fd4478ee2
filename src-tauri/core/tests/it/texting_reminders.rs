//! Text reminders before meetings, through the sync against the sandbox's Twilio: a meeting
//! within the setting's hours with a contact who has a phone gets one text (its time in the
//! user's zone), once however often the sync runs; cancelled, later or unreachable ones get none.

use cremmy_core::crm::ExternalActivity;
use cremmy_protocol::crm::{ActivityKind, ActivitySource, ContactInput, Direction};
use cremmy_protocol::sms::TextingSettings;
use cremmy_protocol::sync::{SyncRequest, SyncTrigger};

use crate::support::{client, T0};
use crate::texting::{connected, sandbox_sent, TextWorld};

const HOUR: i64 = 3_600_000;

async fn meeting(w: &TextWorld, client_id: i64, contact_id: i64, title: &str, start: i64) {
    w.crm
        .record_external_activity(&ExternalActivity {
            client_id,
            contact_id: Some(contact_id),
            deal_id: None,
            kind: ActivityKind::Meeting,
            direction: Direction::None,
            subject: title.into(),
            body: String::new(),
            occurred_at: start,
            source: ActivitySource::Calendar,
            external_id: format!("uid-{title}"),
        })
        .await
        .unwrap();
}

async fn contact(w: &TextWorld, client_id: i64, name: &str, phone: &str) -> i64 {
    w.crm
        .create_contact(&ContactInput {
            client_id,
            name: name.into(),
            phones: if phone.is_empty() {
                vec![]
            } else {
                vec![phone.into()]
            },
            ..ContactInput::default()
        })
        .await
        .unwrap()
        .id
}

async fn sync(w: &TextWorld) {
    for r in w
        .sync
        .sync_now(&SyncRequest::default(), SyncTrigger::Manual)
        .await
        .unwrap()
    {
        assert!(r.error.is_none(), "{:?}: {:?}", r.kind, r.error);
    }
}

#[tokio::test]
async fn a_meeting_within_the_hours_gets_one_reminder_in_the_users_time_zone() {
    let w = connected().await;
    let acme = client(&w.crm, "Acme").await.id;
    let zoe = contact(&w, acme, "Zoë Adams", "+1 415 555 2671").await;
    let paper = contact(&w, acme, "Pat Paper", "").await;
    // T0 is 09:00 UTC on 2 March 2026: 10:00 in Berlin.
    meeting(&w, acme, zoe, "Kick-off", T0 + 2 * HOUR).await;
    meeting(&w, acme, zoe, "Cancelled: Sync", T0 + HOUR).await;
    meeting(&w, acme, zoe, "Next week", T0 + 30 * HOUR).await;
    meeting(&w, acme, paper, "No phone", T0 + 3 * HOUR).await;

    sync(&w).await;
    assert!(
        sandbox_sent(&w).is_empty(),
        "reminders are off until the setting is on"
    );

    let mut s = w.sync.texting_setup().await.unwrap().unwrap().settings;
    s.meeting_reminder_hours = Some(24);
    s.time_zone = Some("Europe/Berlin".into());
    w.sync
        .save_texting_settings(&TextingSettings { ..s })
        .await
        .unwrap();
    sync(&w).await;
    assert_eq!(
        sandbox_sent(&w),
        [(
            "+14155552671".to_string(),
            "Hi Zoë, a reminder of our meeting \"Kick-off\" at 12:00. See you then!".to_string()
        )],
        "one reminder: the meeting in 2 hours, at its Berlin time; not the cancelled one, the one \
         in 30 hours, or the one whose contact has no phone"
    );
    sync(&w).await;
    assert_eq!(
        sandbox_sent(&w).len(),
        1,
        "once per meeting, however often the sync runs"
    );
    let runs = w.sync.runs(&Default::default()).await.unwrap();
    assert!(
        runs.iter()
            .any(|r| r.kind == cremmy_protocol::kinds::RunKind::Reminders && r.created == 1),
        "the reminders run is in the sync history"
    );
}

#[tokio::test]
async fn a_time_zone_this_machine_does_not_know_is_refused() {
    let w = connected().await;
    let mut s = w.sync.texting_setup().await.unwrap().unwrap().settings;
    s.time_zone = Some("Mars/Olympus".into());
    let e = w
        .sync
        .save_texting_settings(&s)
        .await
        .expect_err("unknown zone");
    assert!(e.to_string().contains("Mars/Olympus"), "{e}");
}
