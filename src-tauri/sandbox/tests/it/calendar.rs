use google_calendar3::api::{Event, EventAttendee, EventDateTime};
use google_calendar3::{CalendarHub, Error as CalendarError};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use crate::support::*;

const CALENDAR: &str = "https://www.googleapis.com/auth/calendar.events";

fn calendar_hub(sb: &cremmy_sandbox::Sandbox, token: &str) -> CalendarHub<HttpConnector> {
    let client = connector();
    let mut hub = CalendarHub::new(client, token.to_string());
    hub.base_url(format!("{}calendar/v3/", sb.base_url()));
    hub.root_url(sb.base_url());
    hub
}

fn at(rfc3339: &str) -> EventDateTime {
    EventDateTime {
        date_time: Some(rfc3339.parse().unwrap()),
        ..Default::default()
    }
}

fn meeting(summary: &str, attendee: &str) -> Event {
    Event {
        summary: Some(summary.into()),
        start: Some(at("2026-03-03T10:00:00Z")),
        end: Some(at("2026-03-03T11:00:00Z")),
        attendees: Some(vec![EventAttendee {
            email: Some(attendee.into()),
            ..Default::default()
        }]),
        ..Default::default()
    }
}

fn status_of(e: &CalendarError) -> Option<i64> {
    match e {
        CalendarError::BadRequest(v) => v["error"]["code"].as_i64(),
        _ => None,
    }
}

#[tokio::test]
async fn incremental_sync_with_tokens_pages_and_cancellations() {
    let sb = sandbox().await;
    let token = connect(&sb, CALENDAR).await;
    let hub = calendar_hub(&sb, &json_of(&token, "access_token"));
    let mut ids = Vec::new();
    for (summary, who) in [
        ("Kickoff", "dana@acme.example"),
        ("Review", "luis@bw.example"),
        ("Workshop", "mei@cl.example"),
    ] {
        let (_, created) = hub
            .events()
            .insert(meeting(summary, who), "primary")
            .doit()
            .await
            .expect("insert");
        assert!(
            created
                .i_cal_uid
                .as_deref()
                .unwrap()
                .ends_with("@google.com"),
            "events get an iCalUID"
        );
        ids.push(created.id.unwrap());
    }

    // Full sync in pages of 2: the sync token comes only with the last page.
    let (_, page1) = hub
        .events()
        .list("primary")
        .max_results(2)
        .doit()
        .await
        .unwrap();
    assert_eq!(page1.items.as_ref().unwrap().len(), 2);
    assert!(
        page1.next_sync_token.is_none(),
        "no sync token before the last page"
    );
    let (_, page2) = hub
        .events()
        .list("primary")
        .max_results(2)
        .page_token(page1.next_page_token.as_deref().unwrap())
        .doit()
        .await
        .unwrap();
    assert_eq!(page2.items.as_ref().unwrap().len(), 1);
    let sync = page2
        .next_sync_token
        .expect("the last page carries the sync token");
    let first = &page1.items.unwrap()[0];
    assert_eq!(
        first.attendees.as_ref().unwrap()[0].email.as_deref(),
        Some("dana@acme.example")
    );
    assert_eq!(
        first
            .start
            .as_ref()
            .unwrap()
            .date_time
            .unwrap()
            .to_rfc3339(),
        "2026-03-03T10:00:00+00:00",
        "times come back as UTC"
    );

    // Nothing changed: an empty incremental page with a fresh token.
    let (_, quiet) = hub
        .events()
        .list("primary")
        .sync_token(&sync)
        .doit()
        .await
        .unwrap();
    assert!(quiet.items.unwrap_or_default().is_empty());

    hub.events()
        .patch(
            Event {
                summary: Some("Kickoff (moved)".into()),
                ..Default::default()
            },
            "primary",
            &ids[0],
        )
        .doit()
        .await
        .expect("patch");
    hub.events()
        .delete("primary", &ids[1])
        .doit()
        .await
        .expect("delete");
    let (_, changes) = hub
        .events()
        .list("primary")
        .sync_token(&sync)
        .doit()
        .await
        .unwrap();
    let items = changes.items.unwrap();
    let seen: Vec<(String, String)> = items
        .iter()
        .map(|e| {
            (
                e.summary.clone().unwrap_or_default(),
                e.status.clone().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("Kickoff (moved)".to_string(), "confirmed".to_string()),
            ("Review".to_string(), "cancelled".to_string())
        ],
        "changed and cancelled events only"
    );
    assert_eq!(items[0].sequence, Some(1), "a patch bumps the sequence");

    let (_, full) = hub.events().list("primary").doit().await.unwrap();
    assert_eq!(
        full.items.unwrap().len(),
        2,
        "a full list hides cancelled events unless showDeleted"
    );
    let gone = hub
        .events()
        .delete("primary", &ids[1])
        .doit()
        .await
        .expect_err("already deleted");
    assert_eq!(status_of(&gone), Some(410));
}

#[tokio::test]
async fn an_invalidated_sync_token_answers_410_gone() {
    let sb = sandbox().await;
    let token = connect(&sb, CALENDAR).await;
    let hub = calendar_hub(&sb, &json_of(&token, "access_token"));
    control(&sb, "google/calendar/events", json!({ "event": { "summary": "Invited", "start": { "dateTime": "2026-03-04T09:00:00Z" }, "end": { "dateTime": "2026-03-04T09:30:00Z" }, "attendees": [{ "email": "consultant@sandbox.example" }] } })).await;
    let (_, full) = hub.events().list("primary").doit().await.unwrap();
    assert_eq!(full.items.unwrap()[0].summary.as_deref(), Some("Invited"));
    let sync = full.next_sync_token.unwrap();
    control(&sb, "google/calendar/sync-tokens/invalidate", json!({})).await;
    let stale = hub
        .events()
        .list("primary")
        .sync_token(&sync)
        .doit()
        .await
        .expect_err("stale token");
    assert_eq!(
        status_of(&stale),
        Some(410),
        "an invalid sync token means: wipe and full sync"
    );
    let garbage = hub
        .events()
        .list("primary")
        .sync_token("not-a-token")
        .doit()
        .await
        .expect_err("garbage token");
    assert_eq!(status_of(&garbage), Some(410));
    let (_, again) = hub.events().list("primary").doit().await.unwrap();
    assert!(
        again.next_sync_token.is_some(),
        "a full sync gets a working token again"
    );

    let read_only = connect(&sb, GMAIL_READ).await;
    let denied = calendar_hub(&sb, &json_of(&read_only, "access_token"))
        .events()
        .list("primary")
        .doit()
        .await
        .expect_err("scope");
    assert_eq!(status_of(&denied), Some(403));
}

#[tokio::test]
async fn seeded_meetings_invite_each_clients_contact() {
    let sb = sandbox().await;
    let newest = 1_780_000_000_000i64;
    control(
        &sb,
        "google/seed",
        json!({ "clients": 3, "events_per_client": 4, "seed": 2, "newest_at": newest }),
    )
    .await;
    let access = json_of(&connect(&sb, CALENDAR).await, "access_token");
    let (_, page) = calendar_hub(&sb, &access)
        .events()
        .list("primary")
        .max_results(50)
        .doit()
        .await
        .expect("events.list");
    let events = page.items.unwrap_or_default();
    assert_eq!(events.len(), 12, "3 clients x 4 meetings");
    for client in 0..3 {
        let contact = format!("contact{client}@client{client}.example");
        let theirs = events
            .iter()
            .filter(|e| {
                e.attendees
                    .iter()
                    .flatten()
                    .any(|a| a.email.as_deref() == Some(contact.as_str()))
            })
            .count();
        assert_eq!(theirs, 4, "{contact} is invited to each of their meetings");
    }
    let starts: Vec<i64> = events
        .iter()
        .map(|e| {
            e.start
                .as_ref()
                .unwrap()
                .date_time
                .unwrap()
                .timestamp_millis()
        })
        .collect();
    assert!(
        starts.iter().any(|s| *s < newest) && starts.iter().any(|s| *s > newest),
        "meetings both before and after the seed time"
    );
}

/// Google's sync guide (https://developers.google.com/calendar/api/guides/sync): a later page of an
/// incremental listing is `GET …/events?syncToken=…&pageToken=…`, the first request's parameters
/// repeated; a page token is an opaque position, not the whole query.
#[tokio::test]
async fn later_pages_need_the_first_pages_parameters() {
    let sb = sandbox().await;
    let token = connect(&sb, CALENDAR).await;
    let hub = calendar_hub(&sb, &json_of(&token, "access_token"));
    let mut ids = Vec::new();
    for who in ["a@x.example", "b@x.example", "c@x.example"] {
        let (_, created) = hub
            .events()
            .insert(meeting("Call", who), "primary")
            .doit()
            .await
            .unwrap();
        ids.push(created.id.unwrap());
    }
    let (_, all) = hub
        .events()
        .list("primary")
        .max_results(10)
        .doit()
        .await
        .unwrap();
    let sync = all.next_sync_token.expect("one page: the sync token");
    for id in &ids {
        let changed = Event {
            summary: Some("Call (moved)".into()),
            ..Default::default()
        };
        hub.events()
            .patch(changed, "primary", id)
            .doit()
            .await
            .unwrap();
    }
    let (_, page1) = hub
        .events()
        .list("primary")
        .sync_token(&sync)
        .max_results(2)
        .doit()
        .await
        .unwrap();
    let next = page1
        .next_page_token
        .expect("three changes in pages of two");
    assert!(
        !next.contains(&sync) && !next.contains(':'),
        "the page token is an opaque position, not the query: {next}"
    );
    let alone = hub
        .events()
        .list("primary")
        .max_results(2)
        .page_token(&next)
        .doit()
        .await
        .expect_err("a page token without its sync token");
    assert_eq!(status_of(&alone), Some(400), "{alone:?}");
    let (_, page2) = hub
        .events()
        .list("primary")
        .sync_token(&sync)
        .max_results(2)
        .page_token(&next)
        .doit()
        .await
        .expect("the same query with the page token");
    assert_eq!(page2.items.unwrap().len(), 1, "the third change");
    assert!(
        page2.next_sync_token.is_some(),
        "the last page carries the new sync token"
    );

    // A full sync limited by timeMin: later pages repeat timeMin too.
    let since = at("2026-01-01T00:00:00Z").date_time.unwrap();
    let (_, first) = hub
        .events()
        .list("primary")
        .time_min(since)
        .max_results(2)
        .doit()
        .await
        .unwrap();
    let next = first.next_page_token.expect("three events in pages of two");
    let without = hub
        .events()
        .list("primary")
        .max_results(2)
        .page_token(&next)
        .doit()
        .await
        .expect_err("a full sync's page without its timeMin");
    assert_eq!(status_of(&without), Some(400), "{without:?}");
    let (_, second) = hub
        .events()
        .list("primary")
        .time_min(since)
        .max_results(2)
        .page_token(&next)
        .doit()
        .await
        .expect("the same timeMin with the page token");
    assert_eq!(second.items.unwrap().len(), 1);
}
