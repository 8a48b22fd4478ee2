//! The Outlook calendar as a [`CalendarSource`] and a [`CalendarWriter`]. Meetings: Graph's
//! calendarView delta over the look-back window and a year ahead
//! (learn.microsoft.com/graph/api/event-delta); the last page's delta link, with the end of the
//! round's window, is the sync token; a forgotten one (410), one on another origin, or one whose
//! window ends within six months means a full sync (a new window from now). A removed event reads as
//! cancelled. Tasks: `POST /me/events` with a `transactionId` derived from the job's key, so a
//! retried create is the same event (learn.microsoft.com/graph/api/resources/event), and `PATCH`
//! to move it (learn.microsoft.com/graph/api/event-update).

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::wire::{Collection, Recipient};
use super::{GraphError, GraphSession};
use crate::clock::Timestamp;
use crate::failure::SourceError;
use crate::features::calendar::{CalendarEvent, CalendarSource, EventPage};
use crate::features::task_calendar::{CalendarWriter, TimedEvent};

/// How far ahead of now a delta round's window reaches.
const AHEAD_MS: i64 = 365 * 86_400_000;
/// Events per page (`Prefer: odata.maxpagesize`).
const PAGE: u32 = 100;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireTime {
    date_time: String,
    time_zone: Option<String>,
}

#[derive(Debug, Deserialize)]
struct JoinInfo {
    #[serde(rename = "joinUrl")]
    join_url: Option<String>,
}

/// An event, or (in a delta round) the removal of one.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireEvent {
    id: String,
    #[serde(rename = "@removed")]
    removed: Option<serde_json::Value>,
    #[serde(rename = "iCalUId")]
    ical_uid: Option<String>,
    subject: Option<String>,
    start: Option<WireTime>,
    end: Option<WireTime>,
    #[serde(default)]
    attendees: Vec<Recipient>,
    organizer: Option<Recipient>,
    #[serde(default)]
    is_cancelled: bool,
    online_meeting: Option<JoinInfo>,
    web_link: Option<String>,
}

/// `{dateTime, timeZone}` → milliseconds (Graph answers UTC unless asked otherwise).
fn instant(t: &WireTime) -> Option<Timestamp> {
    let civil: jiff::civil::DateTime = t.date_time.trim_end_matches('Z').parse().ok()?;
    let zone = match t.time_zone.as_deref() {
        None | Some("UTC") | Some("utc") => jiff::tz::TimeZone::UTC,
        Some(name) => jiff::tz::TimeZone::get(name).ok()?,
    };
    civil
        .to_zoned(zone)
        .ok()
        .map(|z| z.timestamp().as_millisecond())
}

fn event_of(e: WireEvent) -> CalendarEvent {
    let mut attendees: Vec<String> = e.attendees.iter().filter_map(Recipient::address).collect();
    if let Some(organizer) = e.organizer.as_ref().and_then(Recipient::address) {
        attendees.push(organizer);
    }
    CalendarEvent {
        cancelled: e.is_cancelled || e.removed.is_some(),
        start: e.start.as_ref().and_then(instant),
        end: e.end.as_ref().and_then(instant),
        title: e.subject.unwrap_or_default(),
        link: e
            .online_meeting
            .and_then(|j| j.join_url)
            .or(e.web_link)
            .filter(|l| l.starts_with("https://")),
        ical_uid: e.ical_uid.filter(|u| !u.is_empty()),
        attendees,
        id: e.id,
    }
}

/// A GUID-shaped `transactionId` from a job's key: the same for every attempt.
pub fn transaction_id(key: &str) -> String {
    let (a, b) = crate::features::task_calendar::key_digest(key);
    let hex = format!("{a:016x}{b:016x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

fn wire(event: &TimedEvent) -> serde_json::Value {
    json!({
        "subject": event.title,
        "body": { "contentType": "text", "content": event.description },
        "start": { "dateTime": event.start, "timeZone": event.time_zone },
        "end": { "dateTime": event.end, "timeZone": event.time_zone },
    })
}

/// A delta round's window is fixed when it starts (learn.microsoft.com/graph/delta-query-events):
/// once its end is this close, a new round starts from now, so meetings further ahead come in.
const RENEW_MS: i64 = 180 * 86_400_000;

/// A link of a delta round (a next page, or the delta link) and the end of its window: the
/// cursor Cremmy stores.
#[derive(Debug, Serialize, Deserialize)]
struct Round {
    link: String,
    until: Timestamp,
}

impl Round {
    fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    fn decode(text: &str) -> Option<Round> {
        serde_json::from_str(text).ok()
    }
}

/// One account's Outlook calendar for one run.
pub struct OutlookCalendar {
    graph: GraphSession,
}

impl OutlookCalendar {
    pub fn new(graph: GraphSession) -> OutlookCalendar {
        OutlookCalendar { graph }
    }
}

impl CalendarSource for OutlookCalendar {
    async fn events(
        &self,
        sync_token: Option<&str>,
        since: Timestamp,
        page: Option<String>,
    ) -> Result<EventPage, SourceError> {
        let now = self.graph.now();
        let round = match (page, sync_token) {
            (Some(next), _) => Round::decode(&next).ok_or(SourceError::CursorExpired)?,
            (None, Some(token)) => match Round::decode(token) {
                // Far enough from the window's end, and on the Graph origin configured now.
                Some(r) if r.until - now >= RENEW_MS && self.graph.is_on_origin(&r.link) => r,
                _ => return Err(SourceError::CursorExpired),
            },
            (None, None) => {
                let utc = |ms| format!("{}Z", crate::crm::dates::utc_seconds(ms));
                let until = now + AHEAD_MS;
                Round {
                    link: self.graph.url(&format!(
                        "me/calendarView/delta?startDateTime={}&endDateTime={}",
                        utc(since),
                        utc(until)
                    )),
                    until,
                }
            }
        };
        let url = round.link.clone();
        let listed: Collection<WireEvent> = match self
            .graph
            .get("Outlook calendar delta", &url, Some(PAGE))
            .await
        {
            Err(e) if e.is_gone() && sync_token.is_some() => {
                return Err(SourceError::CursorExpired)
            }
            other => other?,
        };
        let carry = |link: String| {
            Round {
                link,
                until: round.until,
            }
            .encode()
        };
        Ok(EventPage {
            events: listed.value.into_iter().map(event_of).collect(),
            next_page: listed.next_link.map(carry),
            next_sync_token: listed.delta_link.map(carry),
        })
    }
}

impl CalendarWriter for OutlookCalendar {
    async fn insert(&self, key: &str, event: &TimedEvent) -> Result<String, SourceError> {
        let mut body = wire(event);
        body["transactionId"] = json!(transaction_id(key));
        let url = self.graph.url("me/events");
        let made: WireEvent = self
            .graph
            .write_json("Outlook event", reqwest::Method::POST, &url, &body)
            .await?;
        Ok(made.id)
    }

    async fn update(&self, id: &str, event: &TimedEvent) -> Result<bool, SourceError> {
        let url = self.graph.url(&format!("me/events/{id}"));
        match self
            .graph
            .write_json::<serde_json::Value>(
                "Outlook event",
                reqwest::Method::PATCH,
                &url,
                &wire(event),
            )
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(GraphError::into(e)),
        }
    }
}
