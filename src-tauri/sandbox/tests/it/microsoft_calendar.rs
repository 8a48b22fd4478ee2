//! The Outlook calendar as the sandbox speaks it, checked against Microsoft's pages (named in
//! `src/microsoft/calendar.rs`): a calendarView delta round over a window (paging, the delta
//! link's changes, a cancellation, a deletion as `@removed`, 410 once forgotten), events
//! created in a named time zone and answered in UTC, a retried POST with the same
//! `transactionId`, PATCH and DELETE, and the permissions each needs.

use serde_json::{json, Value};

use crate::microsoft::{graph, sign_in_to};
use crate::support::{control, http, sandbox};

const CALENDAR: &str = "openid offline_access https://graph.microsoft.com/Calendars.ReadWrite";
const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const HOUR: i64 = 3_600_000;

fn ids(page: &Value) -> Vec<String> {
    page["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect()
}

async fn write(
    sb: &cremmy_sandbox::Sandbox,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> (u16, Value) {
    let r = http()
        .request(method, format!("{}v1.0/{path}", sb.base_url()))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_calendar_view_delta_pages_then_reports_changes_cancellations_and_removals() {
    let sb = sandbox().await;
    let (token, _) = sign_in_to(&sb, CALENDAR).await;
    let mut made = Vec::new();
    for (i, subject) in ["Kick-off", "Review", "Workshop"].iter().enumerate() {
        let r = control(
            &sb,
            "microsoft/events",
            json!({ "subject": subject, "start_ms": T0 + i as i64 * HOUR, "end_ms": T0 + i as i64 * HOUR + HOUR / 2,
                    "organizer": "zoe@acme.example", "attendees": ["consultant@outlook.example"],
                    "join_url": "https://teams.example/meet/1" }),
        )
        .await;
        made.push(r["id"].as_str().unwrap().to_string());
    }
    control(
        &sb,
        "microsoft/events",
        json!({ "subject": "Next year", "start_ms": T0 + 400 * 24 * HOUR }),
    )
    .await;

    let base = sb.base_url();
    let first = format!(
        "{base}v1.0/me/calendarView/delta?startDateTime=2025-12-01T00:00:00Z&endDateTime=2026-06-01T00:00:00Z"
    );
    let (status, body, _) = graph(
        &sb,
        &format!("{base}v1.0/me/calendarView/delta"),
        &token,
        None,
    )
    .await;
    assert_eq!(status, 400, "the first request needs the window: {body}");
    let (status, page1, _) = graph(&sb, &first, &token, Some(2)).await;
    assert_eq!(status, 200, "{page1}");
    assert_eq!(
        ids(&page1),
        made[..2].to_vec(),
        "two per page, in the window only"
    );
    let e = &page1["value"][0];
    assert_eq!(
        e["start"]["timeZone"], "UTC",
        "times come back in UTC by default"
    );
    assert!(e["start"]["dateTime"]
        .as_str()
        .unwrap()
        .starts_with("2026-01-01T00:00:00"));
    assert!(e["iCalUId"].is_string() && e["onlineMeeting"]["joinUrl"].is_string());
    let next = page1["@odata.nextLink"]
        .as_str()
        .expect("more to come")
        .to_string();
    let (_, page2, _) = graph(&sb, &next, &token, Some(2)).await;
    assert_eq!(ids(&page2), made[2..].to_vec());
    let delta = page2["@odata.deltaLink"]
        .as_str()
        .expect("the round ends with a delta link")
        .to_string();

    let (_, quiet, _) = graph(&sb, &delta, &token, None).await;
    assert!(ids(&quiet).is_empty(), "nothing changed: {quiet}");
    control(
        &sb,
        &format!("microsoft/events/{}", made[0]),
        json!({ "cancel": true }),
    )
    .await;
    control(
        &sb,
        &format!("microsoft/events/{}", made[1]),
        json!({ "delete": true }),
    )
    .await;
    let (_, changes, _) = graph(&sb, &delta, &token, None).await;
    let rows = changes["value"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{changes}");
    assert_eq!(
        rows[0]["isCancelled"], true,
        "a cancellation is the event, cancelled"
    );
    assert_eq!(
        rows[1]["@removed"]["reason"], "deleted",
        "a deletion is a removal row"
    );

    http()
        .post(format!("{base}_sandbox/microsoft/delta/expire"))
        .send()
        .await
        .unwrap();
    let (status, body, _) = graph(&sb, &delta, &token, None).await;
    assert_eq!(status, 410, "{body}");
}

#[tokio::test]
async fn events_are_created_in_a_time_zone_once_per_transaction_then_updated_and_deleted() {
    let sb = sandbox().await;
    let (reader, _) = sign_in_to(
        &sb,
        "openid offline_access https://graph.microsoft.com/Calendars.Read",
    )
    .await;
    let event = json!({
        "subject": "Call Zoë", "body": { "contentType": "text", "content": "Task from Cremmy" },
        "start": { "dateTime": "2026-03-02T14:30:00", "timeZone": "Europe/Berlin" },
        "end": { "dateTime": "2026-03-02T15:00:00", "timeZone": "Europe/Berlin" },
        "transactionId": "7a1c9c1e-0000-4000-8000-000000000001",
    });
    let (status, _) = write(
        &sb,
        &reader,
        reqwest::Method::POST,
        "me/events",
        event.clone(),
    )
    .await;
    assert_eq!(status, 403, "writing needs Calendars.ReadWrite");

    let (token, _) = sign_in_to(&sb, CALENDAR).await;
    let (status, made) = write(
        &sb,
        &token,
        reqwest::Method::POST,
        "me/events",
        event.clone(),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(
        made["start"]["dateTime"], "2026-03-02T13:30:00.0000000",
        "14:30 in Berlin (UTC+1 in March before DST) is 13:30 UTC"
    );
    let (status, again) = write(&sb, &token, reqwest::Method::POST, "me/events", event).await;
    assert_eq!(status, 201);
    assert_eq!(
        again["id"], made["id"],
        "the same transactionId is the same event"
    );
    assert_eq!(sb.shared.lock().microsoft.events.len(), 1);

    let id = made["id"].as_str().unwrap();
    let (status, moved) = write(
        &sb,
        &token,
        reqwest::Method::PATCH,
        &format!("me/events/{id}"),
        json!({ "start": { "dateTime": "2026-07-02T09:00:00", "timeZone": "Europe/Berlin" },
                "end": { "dateTime": "2026-07-02T09:30:00", "timeZone": "Europe/Berlin" } }),
    )
    .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(
        moved["start"]["dateTime"], "2026-07-02T07:00:00.0000000",
        "summer time: UTC+2"
    );
    assert_eq!(
        moved["subject"], "Call Zoë",
        "a PATCH keeps what it does not name"
    );
    let (status, body) = write(
        &sb,
        &token,
        reqwest::Method::PATCH,
        "me/events/AAMkAGnone=",
        json!({ "subject": "x" }),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("ErrorItemNotFound"))
    );
    let (status, body) = write(
        &sb,
        &token,
        reqwest::Method::POST,
        "me/events",
        json!({ "subject": "x", "start": { "dateTime": "2026-03-02T14:30:00", "timeZone": "Mars/Olympus" },
                "end": { "dateTime": "2026-03-02T15:00:00", "timeZone": "Mars/Olympus" } }),
    )
    .await;
    assert_eq!(status, 400, "an unknown time zone is refused: {body}");
    let r = http()
        .delete(format!("{}v1.0/me/events/{id}", sb.base_url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    assert!(sb.shared.lock().microsoft.events.is_empty());
}
