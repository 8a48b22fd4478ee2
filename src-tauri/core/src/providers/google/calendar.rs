//! Google Calendar as a [`CalendarSource`]: events.list on the primary calendar, incremental with
//! `syncToken` (410 Gone → [`SourceError::CursorExpired`]), cancelled events included.

use google_calendar3::api::{Event, EventDateTime};

use super::{Connector, GoogleError, Session};
use crate::clock::Timestamp;
use crate::failure::SourceError;
use crate::features::calendar::{CalendarEvent, CalendarSource, EventPage};
use crate::features::task_calendar::{CalendarWriter, TimedEvent};

const PAGE_SIZE: i32 = 250;

pub struct GoogleCalendar {
    session: Session,
    hub: google_calendar3::CalendarHub<Connector>,
}

impl GoogleCalendar {
    pub fn new(session: &Session) -> GoogleCalendar {
        GoogleCalendar {
            session: session.clone(),
            hub: session.calendar(),
        }
    }
}

fn millis(t: Option<&EventDateTime>) -> Option<Timestamp> {
    let t = t?;
    if let Some(dt) = t.date_time {
        return Some(dt.timestamp_millis());
    }
    // An all-day event: its date at midnight UTC.
    t.date
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|dt| dt.and_utc().timestamp_millis())
}

fn event_of(e: Event) -> Option<CalendarEvent> {
    Some(CalendarEvent {
        id: e.id?,
        ical_uid: e.i_cal_uid,
        title: e.summary.unwrap_or_else(|| "(no title)".into()),
        start: millis(e.start.as_ref()),
        end: millis(e.end.as_ref()),
        attendees: e
            .attendees
            .unwrap_or_default()
            .into_iter()
            .filter_map(|a| a.email)
            .collect(),
        link: e.hangout_link.or(e.html_link),
        cancelled: e.status.as_deref() == Some("cancelled"),
    })
}

impl CalendarSource for GoogleCalendar {
    async fn events(
        &self,
        sync_token: Option<&str>,
        since: Timestamp,
        page: Option<String>,
    ) -> Result<EventPage, SourceError> {
        let mut policy = self.session.meter().policy();
        let mut call = self
            .hub
            .events()
            .list("primary")
            .max_results(PAGE_SIZE)
            .delegate(&mut policy);
        // Every page repeats the first request's parameters (Google's sync guide:
        // `…/events?syncToken=…&pageToken=…`); the page token is only a position.
        call = match sync_token {
            Some(t) => call.sync_token(t).show_deleted(true),
            None => match chrono::DateTime::from_timestamp_millis(since) {
                Some(t) => call.time_min(t),
                None => call,
            },
        };
        if let Some(p) = &page {
            call = call.page_token(p);
        }
        let listed = match self
            .session
            .timed("calendar events.list", call.doit())
            .await
        {
            Err(e) if e.is_gone() => return Err(SourceError::CursorExpired),
            other => other?,
        };
        Ok(EventPage {
            events: listed
                .items
                .unwrap_or_default()
                .into_iter()
                .filter_map(event_of)
                .collect(),
            next_page: listed.next_page_token,
            next_sync_token: listed.next_sync_token,
        })
    }
}

/// The event as Calendar's JSON: a wall-clock `dateTime` without an offset plus `timeZone`, which
/// the generated client cannot express (it types `dateTime` as UTC), so these two calls go through
/// [`Session::json_call`].
fn wire(event: &TimedEvent) -> serde_json::Value {
    serde_json::json!({
        "summary": event.title,
        "description": event.description,
        "start": { "dateTime": event.start, "timeZone": event.time_zone },
        "end": { "dateTime": event.end, "timeZone": event.time_zone },
    })
}

impl CalendarWriter for GoogleCalendar {
    async fn insert(&self, key: &str, event: &TimedEvent) -> Result<String, SourceError> {
        let id = &job_event_id(key);
        let api = "calendar events.insert";
        let url = format!("{}calendars/primary/events", self.session.calendar_base());
        let mut body = wire(event);
        body["id"] = serde_json::Value::String(id.to_string());
        match self.session.json_call(api, "POST", &url, &body).await {
            Ok(made) => made["id"]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| super::incomplete(api, "the event came back without an id")),
            // An earlier attempt of the same job made it: it is the one.
            Err(GoogleError::Status { status: 409, .. }) => Ok(id.to_string()),
            Err(e) => Err(e.into()),
        }
    }

    async fn update(&self, id: &str, event: &TimedEvent) -> Result<bool, SourceError> {
        let url = format!(
            "{}calendars/primary/events/{}",
            self.session.calendar_base(),
            id
        );
        match self
            .session
            .json_call("calendar events.patch", "PATCH", &url, &wire(event))
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() || e.is_gone() => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

/// The calendar event id a job uses: base32hex (digits and a–v), as Google requires of ids a
/// client chooses, derived from the job's key.
pub fn job_event_id(job_key: &str) -> String {
    let (a, b) = crate::features::task_calendar::key_digest(job_key);
    format!("crtask{a:016x}{b:016x}")
}
