//! Meetings from Google Calendar against the provider sandbox (google-calendar3): full then
//! incremental sync, cancellations, 410 → full resync without duplicates, one activity for a
//! meeting seen through two accounts.

use cremmy_core::features::calendar::{decide, CalendarEvent, EventAction};
use cremmy_core::features::mail::ContactRef;
use cremmy_protocol::accounts::Feature;
use cremmy_protocol::sync::{SyncRequest, SyncRunStatus, SyncTrigger};
use serde_json::{json, Value};

use crate::accounts_support::connect;
use crate::mail_sync::{mail_world, post, requests, sync_once, MailWorld};
use crate::support::{client, contact, T0};

const OWNER: &str = "consultant@sandbox.example";
const PARTNER: &str = "partner@sandbox.example";

#[test]
fn an_event_is_a_meeting_when_a_contact_attends() {
    let book = [(
        "zoe@acme.example".to_string(),
        ContactRef {
            contact_id: 7,
            client_id: 3,
        },
    )]
    .into();
    let event = |attendees: &[&str], cancelled: bool, start: Option<i64>| CalendarEvent {
        id: "e".into(),
        attendees: attendees.iter().map(|a| a.to_string()).collect(),
        cancelled,
        start,
        ..Default::default()
    };
    let cases = [
        (
            "a contact attends",
            event(&[OWNER, "Zoe@Acme.example"], false, Some(T0)),
            EventAction::Record(ContactRef {
                contact_id: 7,
                client_id: 3,
            }),
        ),
        (
            "only strangers",
            event(&[OWNER, "x@y.example"], false, Some(T0)),
            EventAction::Ignore,
        ),
        (
            "no start time",
            event(&["zoe@acme.example"], false, None),
            EventAction::Ignore,
        ),
        ("cancelled", event(&[], true, None), EventAction::Cancel),
    ];
    for (why, e, expected) in cases {
        assert_eq!(decide(&e, OWNER, &book), expected, "{why}");
    }
}

async fn add_event(w: &MailWorld, account: &str, body: Value) -> String {
    let stored = post(
        w,
        "google/calendar/events",
        json!({ "account": account, "event": body }),
    )
    .await;
    stored["id"].as_str().unwrap().to_string()
}

fn at(ms: i64) -> Value {
    json!({ "dateTime": cremmy_core::crm::iso_utc(ms) })
}

async fn meetings(w: &MailWorld) -> Vec<(String, i64)> {
    sqlx::query_as("SELECT subject, client_id FROM activities WHERE kind = 'meeting' ORDER BY id")
        .fetch_all(w.t.db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn meetings_sync_fully_then_by_changes_and_cancellations_update_them() {
    let w = mail_world().await;
    let acme = client(&w.crm, "Acme").await;
    contact(&w.crm, acme.id, "Zoë", &["zoe@acme.example"]).await;
    let kickoff = add_event(
        &w,
        OWNER,
        json!({ "summary": "Kickoff", "start": at(T0 + 86_400_000), "end": at(T0 + 90_000_000),
                "attendees": [{ "email": OWNER }, { "email": "zoe@acme.example" }], "hangoutLink": "https://meet.google.com/abc-defg-hij" }),
    )
    .await;
    add_event(
        &w,
        OWNER,
        json!({ "summary": "Dentist", "start": at(T0), "end": at(T0 + 3_600_000) }),
    )
    .await;
    connect(&w.t, &[Feature::Calendar]).await;

    let first = sync_once(&w, false).await;
    assert!(first.error.is_none(), "{:?}", first.error);
    assert_eq!(
        (
            first.integration.as_str(),
            first.kind.as_str(),
            first.status
        ),
        ("calendar", "full", SyncRunStatus::Ok)
    );
    assert_eq!((first.fetched, first.created), (2, 1), "{first:?}");
    assert_eq!(meetings(&w).await, [("Kickoff".to_string(), acme.id)]);
    let body: String = sqlx::query_scalar("SELECT body FROM activities WHERE kind = 'meeting'")
        .fetch_one(w.t.db.pool())
        .await
        .unwrap();
    assert!(
        body.contains("zoe@acme.example") && body.contains("https://meet.google.com/abc-defg-hij"),
        "time, attendees, link: {body}"
    );

    let calls_before = requests(&w, |_, p| p.starts_with("/calendar/")).len();
    let idle = sync_once(&w, false).await;
    assert_eq!(
        (idle.kind.as_str(), idle.fetched, idle.created),
        ("incremental", 0, 0)
    );
    assert_eq!(
        requests(&w, |_, p| p.starts_with("/calendar/")).len() - calls_before,
        1,
        "an idle poll is one call"
    );

    // Kickoff is cancelled, a review is added.
    w.t.sandbox
        .shared
        .lock()
        .google
        .calendars
        .get_mut(OWNER)
        .unwrap()
        .patch(
            &kickoff,
            json!({ "status": "cancelled" })
                .as_object()
                .unwrap()
                .clone(),
        );
    add_event(&w, OWNER, json!({ "summary": "Review", "start": at(T0 + 172_800_000), "end": at(T0 + 176_400_000), "attendees": [{ "email": "zoe@acme.example" }] })).await;
    let changes = sync_once(&w, false).await;
    assert_eq!((changes.fetched, changes.created), (2, 1), "{changes:?}");
    assert_eq!(
        meetings(&w).await,
        [
            ("Cancelled: Kickoff".to_string(), acme.id),
            ("Review".to_string(), acme.id)
        ],
        "the cancellation updates the meeting; nothing is duplicated"
    );

    // The sandbox forgets sync tokens: 410, then a full resync without duplicates.
    post(&w, "google/calendar/sync-tokens/invalidate", json!({})).await;
    let resync = sync_once(&w, false).await;
    assert_eq!(
        (resync.kind.as_str(), resync.status, resync.created),
        ("full", SyncRunStatus::Ok, 0),
        "{resync:?}"
    );
    assert_eq!(meetings(&w).await.len(), 2);
}

#[tokio::test]
async fn a_meeting_seen_through_two_accounts_is_one_activity() {
    let w = mail_world().await;
    let acme = client(&w.crm, "Acme").await;
    contact(&w.crm, acme.id, "Zoë", &["zoe@acme.example"]).await;
    for account in [OWNER, PARTNER] {
        add_event(
            &w,
            account,
            json!({ "summary": "Workshop", "iCalUID": "workshop-42@acme.example", "start": at(T0 + 3_600_000), "end": at(T0 + 7_200_000),
                    "attendees": [{ "email": OWNER }, { "email": PARTNER }, { "email": "zoe@acme.example" }] }),
        )
        .await;
    }
    connect(&w.t, &[Feature::Calendar]).await;
    crate::accounts_support::connect_as(&w.t, PARTNER, &[Feature::Calendar]).await;
    let runs = w
        .sync
        .sync_now(&SyncRequest::default(), SyncTrigger::Manual)
        .await
        .unwrap();
    assert_eq!(runs.len(), 2, "one calendar run per account");
    assert_eq!(runs.iter().map(|r| r.created).sum::<i64>(), 1, "{runs:?}");
    assert_eq!(
        meetings(&w).await,
        [("Workshop".to_string(), acme.id)],
        "one activity, keyed by iCalUID"
    );
}

#[test]
fn a_task_event_spans_thirty_wall_clock_minutes() {
    use cremmy_core::features::task_calendar::wall_clock_span;
    let cases = [
        (
            "2026-11-23",
            "14:30",
            Some(("2026-11-23T14:30:00", "2026-11-23T15:00:00")),
        ),
        (
            "2026-12-31",
            "23:45",
            Some(("2026-12-31T23:45:00", "2027-01-01T00:15:00")),
        ),
        (
            "2026-02-28",
            "23:50",
            Some(("2026-02-28T23:50:00", "2026-03-01T00:20:00")),
        ),
        ("2026-13-01", "10:00", None),
        ("2026-11-23", "25:00", None),
        ("tomorrow", "10:00", None),
    ];
    for (date, time, expected) in cases {
        assert_eq!(
            wall_clock_span(date, time, 30),
            expected.map(|(a, b)| (a.to_string(), b.to_string())),
            "{date} {time}"
        );
    }
}

pub fn task_events(w: &MailWorld) -> Vec<Value> {
    let world = w.t.sandbox.shared.lock();
    world
        .google
        .calendars
        .get(OWNER)
        .map(|c| {
            c.events
                .iter()
                .map(|e| Value::Object(e.json.clone()))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_task_on_the_calendar_follows_its_due_time() {
    use cremmy_core::HasErrorCode;
    use cremmy_protocol::crm::TaskInput;
    let w = mail_world().await;
    connect(&w.t, &[Feature::Calendar]).await;
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
        .expect("added");
    let events = task_events(&w);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["summary"], "Call Zoë about the contract");
    assert_eq!(
        events[0]["start"],
        json!({ "dateTime": "2026-03-03T14:30:00", "timeZone": "Europe/Berlin" }),
        "wall-clock time in the user's zone"
    );
    assert_eq!(events[0]["end"]["dateTime"], "2026-03-03T15:00:00");
    assert!(
        w.crm.task(task.id).await.unwrap().on_calendar,
        "the task says it is on the calendar"
    );

    assert!(
        w.sync.after_task_changed(task.id).await.is_none(),
        "nothing moved: nothing to send"
    );
    w.sync
        .add_task_to_calendar(task.id, "Europe/Berlin")
        .await
        .unwrap();
    assert_eq!(
        task_events(&w).len(),
        1,
        "adding again does not make a second event"
    );

    // Moving the due time moves the event.
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
    let events = task_events(&w);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["start"]["dateTime"], "2026-03-03T16:00:00");

    let untimed = w
        .crm
        .create_task(&TaskInput {
            title: "Someday".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let e = w
        .sync
        .add_task_to_calendar(untimed.id, "Europe/Berlin")
        .await
        .expect_err("no due time");
    assert_eq!(e.code(), cremmy_protocol::ErrorCode::InvalidInput);
    assert!(e.to_string().contains("due date and time"), "{e}");
}

#[tokio::test]
async fn a_stalled_calendar_write_times_out_and_the_job_waits_to_try_again() {
    use cremmy_core::providers::google::Google;
    use cremmy_core::sync::SyncRunner;
    let w = mail_world().await;
    connect(&w.t, &[Feature::Calendar]).await;
    // The same world, with a one-second call limit (production: CALL_TIMEOUT).
    let base = w.t.sandbox.base_url();
    let endpoints = cremmy_core::endpoints::Endpoints::from_lookup(|k| {
        (k == "CREMMY_GOOGLE_BASE_URL").then(|| base.clone())
    });
    let google = Google::new(w.t.accounts.clone(), w.t.clock.clone(), &endpoints)
        .unwrap()
        .with_call_timeout(std::time::Duration::from_secs(1));
    let sync = SyncRunner::new(w.t.db.clone(), w.t.clock.clone(), google);
    let acme = client(&w.crm, "Acme").await;
    let task = w
        .crm
        .create_task(&cremmy_protocol::crm::TaskInput {
            title: "Call Zoë".into(),
            due_date: Some("2026-03-03".into()),
            due_time: Some("14:30".into()),
            client_id: Some(acme.id),
            ..Default::default()
        })
        .await
        .unwrap();
    // The event insert hangs for 5 s (a stalled connection).
    post(
        &w,
        "faults",
        json!({ "rules": [
            { "path": "/calendar/v3/calendars/primary/events", "method": "POST", "times": 1, "fault": { "kind": "delay", "ms": 5000 } },
        ] }),
    )
    .await;
    let started = std::time::Instant::now();
    let error = sync
        .add_task_to_calendar(task.id, "Europe/Berlin")
        .await
        .expect_err("the call is cut off");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(4),
        "the caller is not held by the stalled call ({:?})",
        started.elapsed()
    );
    assert!(
        matches!(&error, cremmy_core::sync::SyncError::Queued { cause, .. } if cause.is_retryable()),
        "a timeout may pass, so the job is queued to try again: {error}"
    );
    assert!(error.to_string().contains("did not answer"), "{error}");
    let job = only_job_of(&sync).await;
    assert_eq!(
        job.status,
        cremmy_protocol::engine::JobStatus::Queued,
        "queued again: {job:?}"
    );
}

async fn only_job_of(sync: &cremmy_core::sync::SyncRunner) -> cremmy_protocol::engine::Job {
    let jobs = sync
        .jobs(&cremmy_protocol::engine::JobQuery::default())
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    jobs.into_iter().next().unwrap()
}

/// The query strings of the events.list calls made so far.
fn listing_queries(w: &MailWorld) -> Vec<String> {
    let world = w.t.sandbox.shared.lock();
    world
        .log
        .entries
        .iter()
        .filter(|e| e.method == "GET" && e.path.ends_with("/events"))
        .map(|e| e.query.clone())
        .collect()
}

/// Google's sync guide: every page of one listing repeats the first request's parameters (its
/// `timeMin` on a full sync, its `syncToken` on an incremental one) beside the `pageToken`. The
/// sandbox refuses a page asked for without them.
#[tokio::test]
async fn listings_longer_than_a_page_repeat_their_query_on_every_page() {
    let w = mail_world().await;
    let acme = client(&w.crm, "Acme").await;
    contact(&w.crm, acme.id, "Zoë", &["zoe@acme.example"]).await;
    let many = 260; // more than one page of 250
    let ids: Vec<String> = {
        let mut world = w.t.sandbox.shared.lock();
        let calendar = world.google.calendars.entry(OWNER.to_string()).or_default();
        (0..many)
            .map(|i| {
                let event = json!({ "summary": format!("Call {i}"), "start": at(T0 + i * 3_600_000), "end": at(T0 + i * 3_600_000 + 1_800_000),
                                    "attendees": [{ "email": "zoe@acme.example" }] });
                let stored = calendar.insert(event.as_object().unwrap().clone());
                stored["id"].as_str().unwrap().to_string()
            })
            .collect()
    };
    connect(&w.t, &[Feature::Calendar]).await;

    let full = sync_once(&w, false).await;
    assert_eq!(
        (full.kind.as_str(), full.status, full.fetched, full.created),
        ("full", SyncRunStatus::Ok, many, many),
        "both pages of the full sync were read: {full:?}"
    );
    let pages: Vec<String> = listing_queries(&w)
        .into_iter()
        .filter(|q| q.contains("pageToken="))
        .collect();
    assert_eq!(pages.len(), 1, "one further page: {pages:?}");
    assert!(
        pages[0].contains("timeMin="),
        "the second page repeats timeMin: {}",
        pages[0]
    );

    {
        let mut world = w.t.sandbox.shared.lock();
        let calendar = world.google.calendars.get_mut(OWNER).unwrap();
        for id in &ids {
            calendar.patch(
                id,
                json!({ "summary": "Moved" }).as_object().unwrap().clone(),
            );
        }
    }
    let changes = sync_once(&w, false).await;
    assert_eq!(
        (changes.kind.as_str(), changes.status, changes.fetched),
        ("incremental", SyncRunStatus::Ok, many),
        "both pages of changes were read: {changes:?}"
    );
    let pages: Vec<String> = listing_queries(&w)
        .into_iter()
        .filter(|q| q.contains("pageToken=") && q.contains("syncToken="))
        .collect();
    assert_eq!(
        pages.len(),
        1,
        "the incremental listing's second page repeats its syncToken"
    );
}
