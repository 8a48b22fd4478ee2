//! The Outlook calendar against the provider sandbox's Microsoft, through the runner the window
//! uses: meetings with a contact become one activity each (also when a connected Google
//! calendar holds the same iCalendar UID), a cancellation and a deletion mark them, a forgotten
//! delta link (410) resyncs without duplicates, and "Add to calendar" writes a task to the
//! calendar chosen in Settings, once, and moves it with the task.

use std::sync::Arc;
use std::time::Duration;

use cremmy_protocol::accounts::{ConnectRequest, Feature};
use cremmy_protocol::crm::TaskInput;
use cremmy_protocol::sync::{SyncRequest, SyncRun, SyncTrigger};
use cremmy_protocol::Provider;
use serde_json::{json, Value};

use crate::accounts_support::browser;
use crate::mail_outlook::{control, world_with, OWNER};
use crate::support::{client, contact, T0};
use crate::texting::TextWorld;

const HOUR: i64 = 3_600_000;

async fn event(w: &TextWorld, body: Value) -> String {
    control(w, "microsoft/events", body).await["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn calendar_runs(w: &TextWorld) -> Vec<SyncRun> {
    w.sync
        .sync_now(&SyncRequest::default(), SyncTrigger::Cli)
        .await
        .expect("sync runs")
        .into_iter()
        .filter(|r| r.integration == "outlook_calendar" || r.integration == "calendar")
        .collect()
}

/// The subject of every meeting activity (a cancelled one reads "Cancelled: …").
async fn meetings(w: &TextWorld) -> Vec<String> {
    sqlx::query_scalar("SELECT subject FROM activities WHERE kind = 'meeting' ORDER BY id")
        .fetch_all(w.crm.database().pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn outlook_meetings_with_contacts_become_one_activity_each_and_follow_cancellations() {
    let (w, account) = world_with(vec![Feature::Calendar]).await;
    assert!(
        account.features.contains(&Feature::Calendar),
        "Calendars.ReadWrite granted: {:?}",
        account.features
    );
    let acme = client(&w.crm, "Acme").await;
    contact(&w.crm, acme.id, "Zoë Müller", &["zoe@acme.example"]).await;
    let kickoff = event(
        &w,
        json!({ "subject": "Kick-off", "start_ms": T0 + HOUR, "end_ms": T0 + 2 * HOUR, "organizer": "zoe@acme.example",
                "attendees": [OWNER], "ical_uid": "kickoff-1@acme.example", "join_url": "https://teams.example/l/1" }),
    )
    .await;
    let review = event(
        &w,
        json!({ "subject": "Review", "start_ms": T0 + 24 * HOUR, "organizer": OWNER, "attendees": ["zoe@acme.example"] }),
    )
    .await;
    event(
        &w,
        json!({ "subject": "Dentist", "start_ms": T0 + 3 * HOUR }),
    )
    .await;
    event(
        &w,
        json!({ "subject": "Long ago", "start_ms": T0 - 200 * 24 * HOUR, "organizer": "zoe@acme.example" }),
    )
    .await;

    let runs = calendar_runs(&w).await;
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(
        (runs[0].integration.as_str(), runs[0].created),
        ("outlook_calendar", 2),
        "the two meetings with Zoë in the window, organised by her or by the user: {runs:?}"
    );
    let body: String = sqlx::query_scalar("SELECT body FROM activities WHERE subject = 'Kick-off'")
        .fetch_one(w.crm.database().pool())
        .await
        .unwrap();
    assert!(
        body.contains("https://teams.example/l/1"),
        "the join link is kept: {body}"
    );

    control(
        &w,
        &format!("microsoft/events/{kickoff}"),
        json!({ "cancel": true }),
    )
    .await;
    control(
        &w,
        &format!("microsoft/events/{review}"),
        json!({ "delete": true }),
    )
    .await;
    let again = calendar_runs(&w).await;
    assert_eq!(
        again[0].kind.as_str(),
        "incremental",
        "the delta link: {again:?}"
    );
    assert_eq!(
        meetings(&w).await,
        vec![
            "Cancelled: Kick-off".to_string(),
            "Cancelled: Review".to_string()
        ],
        "a cancellation and a deletion both mark the meeting cancelled"
    );

    // Graph forgets the delta link: a full sync, no duplicates.
    let moved = event(
        &w,
        json!({ "subject": "Workshop", "start_ms": T0 + 48 * HOUR, "organizer": "zoe@acme.example" }),
    )
    .await;
    let http = crate::accounts_support::http();
    http.post(format!(
        "{}_sandbox/microsoft/delta/expire",
        w.sandbox.base_url()
    ))
    .send()
    .await
    .unwrap();
    let full = calendar_runs(&w).await;
    assert_eq!(full[0].kind.as_str(), "full", "{full:?}");
    assert_eq!(full[0].created, 1, "only the workshop is new: {full:?}");
    assert_eq!(meetings(&w).await.len(), 3);
    assert!(!moved.is_empty());
}

#[tokio::test]
async fn one_meeting_in_google_and_outlook_calendars_is_one_activity() {
    let (w, _) = world_with(vec![Feature::Calendar]).await;
    let google = w
        .accounts
        .connect_with_loopback(
            &ConnectRequest {
                provider: Provider::Google,
                features: vec![Feature::Calendar],
                login_hint: None,
            },
            browser(Arc::default()),
            Duration::from_secs(20),
        )
        .await
        .expect("Google connects beside Microsoft");
    let acme = client(&w.crm, "Acme").await;
    contact(&w.crm, acme.id, "Zoë Müller", &["zoe@acme.example"]).await;
    let uid = "workshop-42@acme.example";
    event(
        &w,
        json!({ "subject": "Workshop", "start_ms": T0 + HOUR, "organizer": "zoe@acme.example",
                "attendees": [OWNER, google.email], "ical_uid": uid }),
    )
    .await;
    let at = |ms: i64| json!({ "dateTime": cremmy_core::crm::iso_utc(ms) });
    control(
        &w,
        "google/calendar/events",
        json!({ "account": google.email, "event": {
            "summary": "Workshop", "iCalUID": uid, "start": at(T0 + HOUR), "end": at(T0 + 2 * HOUR),
            "attendees": [{ "email": OWNER }, { "email": google.email }, { "email": "zoe@acme.example" }] } }),
    )
    .await;
    let runs = calendar_runs(&w).await;
    assert_eq!(runs.len(), 2, "one calendar run per account: {runs:?}");
    assert_eq!(runs.iter().map(|r| r.created).sum::<i64>(), 1, "{runs:?}");
    assert_eq!(meetings(&w).await, vec!["Workshop".to_string()]);
}

/// The Outlook calendar's events, as the sandbox holds them.
fn outlook_events(w: &TextWorld) -> Vec<(i64, Value)> {
    w.sandbox
        .shared
        .lock()
        .microsoft
        .events
        .iter()
        .map(|e| (e.start_ms, e.resource.clone()))
        .collect()
}

#[tokio::test]
async fn add_to_calendar_writes_to_the_calendar_chosen_in_settings_once_and_follows_the_task() {
    let (w, microsoft) = world_with(vec![Feature::Calendar]).await;
    let google = w
        .accounts
        .connect_with_loopback(
            &ConnectRequest {
                provider: Provider::Google,
                features: vec![Feature::Calendar],
                login_hint: None,
            },
            browser(Arc::default()),
            Duration::from_secs(20),
        )
        .await
        .expect("Google connects too");
    assert_eq!(w.crm.settings().await.unwrap().task_calendar_account, None);
    let settings = w.crm.set_task_calendar(Some(microsoft.id)).await.unwrap();
    assert_eq!(settings.task_calendar_account, Some(microsoft.id));

    let acme = client(&w.crm, "Acme").await;
    let input = TaskInput {
        title: "Call Zoë about the contract".into(),
        due_date: Some("2026-03-03".into()),
        due_time: Some("14:30".into()),
        client_id: Some(acme.id),
        ..Default::default()
    };
    let task = w.crm.create_task(&input).await.unwrap();
    w.sync
        .add_task_to_calendar(task.id, "Europe/Berlin")
        .await
        .expect("added to Outlook");
    let events = outlook_events(&w);
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].1["subject"], "Call Zoë about the contract");
    assert_eq!(
        events[0].0, 1_772_544_600_000,
        "14:30 in Berlin on 3 March 2026 is 13:30 UTC"
    );
    w.sync
        .add_task_to_calendar(task.id, "Europe/Berlin")
        .await
        .unwrap();
    assert_eq!(
        outlook_events(&w).len(),
        1,
        "adding again makes no second event"
    );

    w.crm
        .update_task(
            task.id,
            &TaskInput {
                due_time: Some("16:00".into()),
                ..input.clone()
            },
        )
        .await
        .unwrap();
    w.sync
        .after_task_changed(task.id)
        .await
        .expect("the event follows")
        .await
        .unwrap()
        .expect("patched");
    let events = outlook_events(&w);
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].0, 1_772_550_000_000,
        "moved to 16:00 Berlin (15:00 UTC)"
    );
    let google_events: usize = w
        .sandbox
        .shared
        .lock()
        .google
        .calendars
        .values()
        .map(|c| c.events.len())
        .sum();
    assert_eq!(google_events, 0, "nothing went to the Google calendar");

    // Google chosen instead: the next task goes there; the first stays where it is.
    w.crm.set_task_calendar(Some(google.id)).await.unwrap();
    let other = w
        .crm
        .create_task(&TaskInput {
            title: "Send the invoice".into(),
            ..input.clone()
        })
        .await
        .unwrap();
    w.sync
        .add_task_to_calendar(other.id, "Europe/Berlin")
        .await
        .expect("added to Google");
    let google_events: usize = w
        .sandbox
        .shared
        .lock()
        .google
        .calendars
        .values()
        .map(|c| c.events.len())
        .sum();
    assert_eq!(google_events, 1, "the chosen calendar is Google's now");
    assert_eq!(outlook_events(&w).len(), 1);
}

/// An attempt that made the event but died before noting it: the retry (same job key, so the
/// same `transactionId`) gets the same event back.
#[tokio::test]
async fn a_retried_event_create_is_the_same_event() {
    use cremmy_core::features::task_calendar::{CalendarWriter, TimedEvent};
    let (w, account) = world_with(vec![Feature::Calendar]).await;
    let session = w
        .sync
        .providers()
        .session(&account)
        .expect("a Graph session");
    let calendar = session.calendar().expect("Outlook has a calendar");
    let e = TimedEvent {
        title: "Call".into(),
        description: "From Cremmy".into(),
        start: "2026-03-03T14:30:00".into(),
        end: "2026-03-03T15:00:00".into(),
        time_zone: "Europe/Berlin".into(),
    };
    let first = calendar.insert("job-7", &e).await.unwrap();
    let again = calendar.insert("job-7", &e).await.unwrap();
    assert_eq!(first, again, "the same transactionId is the same event");
    assert_eq!(outlook_events(&w).len(), 1);
    let other = calendar.insert("job-8", &e).await.unwrap();
    assert_ne!(other, first, "another job is another event");
    assert!(
        !calendar.update("AAMkAGgone=", &e).await.unwrap(),
        "an event deleted in Outlook reads as gone, not as a failure"
    );
}

/// A delta round's window is fixed when it starts; six months before its end a new round starts
/// from now, so a meeting more than a year ahead comes in once it is within a year, and the
/// meetings already recorded are not recorded again.
#[tokio::test]
async fn the_calendar_window_is_renewed_before_it_ends() {
    const DAY: i64 = 24 * HOUR;
    let (w, _) = world_with(vec![Feature::Calendar]).await;
    let acme = client(&w.crm, "Acme").await;
    contact(&w.crm, acme.id, "Zoë Müller", &["zoe@acme.example"]).await;
    for (subject, at) in [("Kick-off", T0 + HOUR), ("Far ahead", T0 + 500 * DAY)] {
        event(
            &w,
            json!({ "subject": subject, "start_ms": at, "organizer": "zoe@acme.example", "attendees": [OWNER] }),
        )
        .await;
    }
    let first = calendar_runs(&w).await;
    assert_eq!(first[0].created, 1, "a year ahead at most: {first:?}");
    let later = T0 + 150 * DAY;
    w.clock.set(later);
    control(&w, "microsoft/configure", json!({ "now_ms": later })).await;
    let still = calendar_runs(&w).await;
    assert_eq!(
        (still[0].kind.as_str(), still[0].created),
        ("incremental", 0),
        "seven months left in the window: the delta link goes on: {still:?}"
    );
    let renewed_at = T0 + 200 * DAY;
    w.clock.set(renewed_at);
    control(&w, "microsoft/configure", json!({ "now_ms": renewed_at })).await;
    let renewed = calendar_runs(&w).await;
    assert_eq!(
        (renewed[0].kind.as_str(), renewed[0].created),
        ("full", 1),
        "under six months left: a new window from now, which reaches the far meeting: {renewed:?}"
    );
    assert_eq!(
        meetings(&w).await,
        vec!["Kick-off".to_string(), "Far ahead".to_string()]
    );
}
