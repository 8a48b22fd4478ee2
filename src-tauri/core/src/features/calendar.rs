//! Meetings from the calendar: events whose attendees include a contact become `meeting`
//! activities on that contact's client (time, title, attendees, link). The first sync lists the
//! look-back window; later ones ask only for changes since the stored sync token (a 410 means a
//! full resync, without duplicates). A cancelled event updates its activity. The same meeting
//! seen through two accounts is one activity: it is keyed by its iCalendar UID. Each page is
//! committed together with the cursor it leads to.

use std::future::Future;

use cremmy_protocol::crm::{ActivityKind, ActivitySource, Direction};
use cremmy_protocol::kinds::RunKind;

use crate::clock::Timestamp;
use crate::crm::write::{self, NewActivity};
use crate::cursors;
use crate::db::Database;
use crate::external_links::{self as links, EntityKind, NewLink, Role};
use crate::failure::SourceError;
use crate::feature_error::{Fault, FeatureError};
use crate::features::mail::{contact_book, ContactBook, ContactRef};

/// How the calendar (meetings in, tasks out) fails.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("Check the {field}: {reason}.")]
    Invalid { field: &'static str, reason: String },
    #[error("{}", crate::db::describe(.0))]
    Db(#[from] sqlx::Error),
}

impl FeatureError for CalendarError {
    fn fault(&self) -> Fault<'_> {
        match self {
            CalendarError::Source(e) => Fault::Provider(e),
            CalendarError::Invalid { .. } => Fault::Input,
            CalendarError::Db(_) => Fault::Storage,
        }
    }
}

pub const STREAM: &str = "calendar:primary";
/// How far back the first sync looks.
pub const LOOKBACK_MS: i64 = 90 * 86_400_000;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CalendarEvent {
    pub id: String,
    /// RFC 5545 UID: the same meeting in every attendee's calendar.
    pub ical_uid: Option<String>,
    pub title: String,
    pub start: Option<Timestamp>,
    pub end: Option<Timestamp>,
    pub attendees: Vec<String>,
    /// The video call link, else the event's page.
    pub link: Option<String>,
    pub cancelled: bool,
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EventPage {
    pub events: Vec<CalendarEvent>,
    pub next_page: Option<String>,
    /// On the last page: where the next incremental sync starts.
    pub next_sync_token: Option<String>,
}

/// A calendar to read meetings from (Google Calendar; Outlook could follow).
pub trait CalendarSource: Sync {
    /// With a sync token: changes since (cancellations included), [`SourceError::CursorExpired`]
    /// when the provider no longer knows it. Without: every event since `since`.
    fn events(
        &self,
        sync_token: Option<&str>,
        since: Timestamp,
        page: Option<String>,
    ) -> impl Future<Output = Result<EventPage, SourceError>> + Send;
}

/// What to do with one event (pure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventAction {
    /// Not about any contact (or no start time): nothing to record.
    Ignore,
    /// Record (or update) the meeting on this contact's client.
    Record(ContactRef),
    /// The meeting was cancelled: mark the activity, if there is one.
    Cancel,
}

pub fn decide(event: &CalendarEvent, owner: &str, book: &ContactBook) -> EventAction {
    if event.cancelled {
        return EventAction::Cancel;
    }
    if event.start.is_none() {
        return EventAction::Ignore;
    }
    event
        .attendees
        .iter()
        .map(|a| a.to_lowercase())
        .filter(|a| a != owner)
        .find_map(|a| book.get(&a).copied())
        .map_or(EventAction::Ignore, EventAction::Record)
}

/// What a calendar run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CalendarRun {
    pub kind: RunKind,
    pub fetched: i64,
    pub created: i64,
    pub updated: i64,
    pub cancelled: i64,
}

async fn cursor(db: &Database, account_id: i64) -> Result<Option<String>, sqlx::Error> {
    Ok(cursors::read(db, account_id, STREAM).await?.cursor)
}

/// One sync of `account_id`'s primary calendar.
pub async fn sync(
    db: &Database,
    source: &impl CalendarSource,
    account_id: i64,
    owner: &str,
    now: Timestamp,
    run: &mut CalendarRun,
) -> Result<(), CalendarError> {
    let book = contact_book(db).await?;
    let mut token = cursor(db, account_id).await?;
    run.kind = if token.is_some() {
        RunKind::Incremental
    } else {
        RunKind::Full
    };
    let mut page = None;
    loop {
        let listed = match source
            .events(token.as_deref(), now - LOOKBACK_MS, page.clone())
            .await
        {
            Err(SourceError::CursorExpired) if token.is_some() => {
                // The provider forgot our position: start over; keys keep it duplicate-free.
                token = None;
                page = None;
                run.kind = RunKind::Full;
                continue;
            }
            other => other?,
        };
        run.fetched += listed.events.len() as i64;
        commit_page(db, account_id, owner, &book, &listed, now, run).await?;
        match listed.next_page {
            Some(next) => page = Some(next),
            None => return Ok(()),
        }
    }
}

async fn commit_page(
    db: &Database,
    account_id: i64,
    owner: &str,
    book: &ContactBook,
    page: &EventPage,
    now: Timestamp,
    run: &mut CalendarRun,
) -> Result<(), sqlx::Error> {
    let mut tx = write::CrmTx::begin(db).await?;
    for event in &page.events {
        let known = links::of_remote(&mut tx, account_id, Role::Meeting, &event.id)
            .await?
            .map(|l| l.local_id);
        match decide(event, owner, book) {
            EventAction::Ignore => {}
            EventAction::Cancel => {
                if let Some(activity) = known {
                    if write::mark_activity_cancelled(&mut tx, activity, now).await? {
                        run.cancelled += 1;
                    }
                }
            }
            EventAction::Record(contact) => {
                let key = event
                    .ical_uid
                    .clone()
                    .unwrap_or_else(|| format!("{account_id}:{}", event.id));
                let start = event.start.unwrap_or(now);
                let body = describe(event);
                let meeting = NewActivity {
                    client_id: contact.client_id,
                    contact_id: Some(contact.contact_id),
                    deal_id: None,
                    kind: ActivityKind::Meeting,
                    direction: Direction::None,
                    subject: &event.title,
                    body: &body,
                    occurred_at: start,
                    source: ActivitySource::Calendar,
                    external_id: Some(&key),
                };
                let activity: i64 = match write::insert_activity(&mut tx, &meeting, now).await? {
                    Some(id) => {
                        run.created += 1;
                        id
                    }
                    None => {
                        // Seen before (here or through another account): bring it up to date.
                        let id = write::activity_for(&mut tx, ActivitySource::Calendar, &key)
                            .await?
                            .ok_or(sqlx::Error::RowNotFound)?;
                        write::update_external_activity(
                            &mut tx,
                            id,
                            &event.title,
                            &body,
                            start,
                            now,
                        )
                        .await?;
                        run.updated += 1;
                        id
                    }
                };
                let link = NewLink {
                    account_id,
                    entity: EntityKind::Activity,
                    local_id: activity,
                    role: Role::Meeting,
                    remote_id: &event.id,
                    url: None,
                    remote_version: Some(&key),
                    state: None,
                };
                links::put(&mut tx, &link, now).await?;
            }
        }
    }
    if let Some(token) = &page.next_sync_token {
        let moved = cursors::Advance {
            cursor: Some(token),
            ..cursors::Advance::default()
        };
        cursors::advance(&mut tx, account_id, STREAM, moved, now).await?;
    }
    tx.commit(now).await
}

/// The activity body: when, who, where to join.
fn describe(event: &CalendarEvent) -> String {
    let mut lines = Vec::new();
    if let (Some(start), Some(end)) = (event.start, event.end) {
        lines.push(format!(
            "{} – {} UTC",
            crate::crm::iso_utc(start)[..16].replace('T', " "),
            &crate::crm::iso_utc(end)[11..16]
        ));
    }
    if !event.attendees.is_empty() {
        lines.push(format!("Attendees: {}", event.attendees.join(", ")));
    }
    if let Some(link) = &event.link {
        lines.push(link.clone());
    }
    lines.join("\n")
}
