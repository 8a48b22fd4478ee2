//! "Add to calendar" for a task with a due time: a 30-minute event at the task's wall-clock time
//! in the user's time zone. Moving the due time moves the event; adding again never makes a
//! second one.

use std::future::Future;

use cremmy_protocol::crm::Id;

use crate::clock::Timestamp;
use crate::crm::{civil_from_days, days_from_civil};
use crate::db::Database;
use crate::external_links::{self as links, EntityKind, Link, NewLink, Role};
use crate::failure::SourceError;
use crate::features::calendar::CalendarError;

/// Minutes a task's event lasts.
pub const DURATION_MINUTES: i64 = 30;

/// A timed event in a named time zone (`2026-11-23T14:30:00` in `Europe/Berlin`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedEvent {
    pub title: String,
    pub description: String,
    pub start: String,
    pub end: String,
    pub time_zone: String,
}

/// A calendar Cremmy writes events to (Google Calendar; Outlook could follow).
pub trait CalendarWriter: Sync {
    /// Creates the event under an id derived from `key` (the job's idempotency key: the same for
    /// every attempt, so an attempt after a crash finds the event instead of making a second
    /// one); returns the event's id.
    fn insert(
        &self,
        key: &str,
        event: &TimedEvent,
    ) -> impl Future<Output = Result<String, SourceError>> + Send;
    /// Moves or renames it; `false` if the event no longer exists.
    fn update(
        &self,
        id: &str,
        event: &TimedEvent,
    ) -> impl Future<Output = Result<bool, SourceError>> + Send;
}

/// A 128-bit digest of a job's key (two FNV-1a variants): the same on every attempt, for the
/// event ids or transaction ids a provider lets the client choose.
pub fn key_digest(job_key: &str) -> (u64, u64) {
    let mut a: u64 = 0xcbf2_9ce4_8422_2325;
    let mut b: u64 = 0x8422_2325_cbf2_9ce4;
    for byte in job_key.bytes() {
        a = (a ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        b = (b ^ u64::from(byte))
            .wrapping_mul(0x0000_0100_0000_01b3)
            .rotate_left(5);
    }
    (a, b)
}

/// `YYYY-MM-DD` + `HH:MM` → local start and end (`YYYY-MM-DDTHH:MM:00`), the end crossing midnight
/// when it must. `None` if either is malformed.
pub fn wall_clock_span(date: &str, time: &str, minutes: i64) -> Option<(String, String)> {
    let mut d = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.splitn(2, ':').map(|p| p.parse::<i64>().ok());
    let (h, min) = (t.next()??, t.next()??);
    if !(1..=12).contains(&m)
        || !(1..=31).contains(&day)
        || !(0..24).contains(&h)
        || !(0..60).contains(&min)
    {
        return None;
    }
    let start_day = days_from_civil(y as i32, m as u32, day as u32);
    let start = start_day * 1440 + h * 60 + min;
    let format = |total: i64| {
        let (yy, mm, dd) = civil_from_days(total.div_euclid(1440));
        let rem = total.rem_euclid(1440);
        format!("{yy:04}-{mm:02}-{dd:02}T{:02}:{:02}:00", rem / 60, rem % 60)
    };
    Some((format(start), format(start + minutes)))
}

/// A task's title, notes, due date, due time and client name.
type TaskFields = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The event a task should have now.
async fn event_for(
    db: &Database,
    task_id: Id,
    time_zone: &str,
) -> Result<TimedEvent, CalendarError> {
    let task: Option<TaskFields> = sqlx::query_as(
        "SELECT t.title, t.notes, t.due_date, t.due_time, c.name FROM tasks t \
         LEFT JOIN clients c ON c.id = t.client_id WHERE t.id = ?",
    )
    .bind(task_id)
    .fetch_optional(db.pool())
    .await?;
    let (title, notes, date, time, client) = task.ok_or(CalendarError::Invalid {
        field: "task",
        reason: "it no longer exists".into(),
    })?;
    let (start, end) = date
        .zip(time)
        .and_then(|(d, t)| wall_clock_span(&d, &t, DURATION_MINUTES))
        .ok_or(CalendarError::Invalid {
            field: "due time",
            reason: "give the task a due date and time first".into(),
        })?;
    let description = [
        client.map(|c| format!("Client: {c}")),
        Some(notes).filter(|n| !n.is_empty()),
    ]
    .into_iter()
    .flatten()
    .chain(["Added from Cremmy.".to_string()])
    .collect::<Vec<_>>()
    .join("\n");
    Ok(TimedEvent {
        title,
        description,
        start,
        end,
        time_zone: time_zone.to_string(),
    })
}

fn written(e: &TimedEvent) -> String {
    format!("{} {} {}", e.start, e.time_zone, e.title)
}

/// Puts the task on the calendar (or, if it is there already, brings the event up to date).
pub async fn add(
    db: &Database,
    writer: &impl CalendarWriter,
    account_id: i64,
    task_id: Id,
    time_zone: &str,
    now: Timestamp,
    key: &str,
) -> Result<String, CalendarError> {
    if time_zone.trim().is_empty() || time_zone.len() > 64 {
        return Err(CalendarError::Invalid {
            field: "time zone",
            reason: "an IANA time zone name is needed, e.g. Europe/Berlin".into(),
        });
    }
    let existing = on_calendar(db, task_id)
        .await?
        .map(|(link, _)| link.remote_id);
    let event = event_for(db, task_id, time_zone).await?;
    let event_id = match existing {
        Some(id) if writer.update(&id, &event).await? => id,
        _ => writer.insert(key, &event).await?,
    };
    let state =
        serde_json::json!({ "time_zone": time_zone, "written": written(&event) }).to_string();
    let link = NewLink {
        account_id,
        entity: EntityKind::Task,
        local_id: task_id,
        role: Role::TaskEvent,
        remote_id: &event_id,
        url: None,
        remote_version: None,
        state: Some(&state),
    };
    let mut tx = db.writer().begin().await?;
    links::put(&mut tx, &link, now).await?;
    tx.commit().await?;
    Ok(event_id)
}

/// What a task's event link remembers: the zone it was written in and what was written.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct EventState {
    pub time_zone: String,
    pub written: String,
}

/// The task's event link and its state, if the task is on the calendar.
pub async fn on_calendar(
    db: &Database,
    task_id: Id,
) -> Result<Option<(Link, EventState)>, sqlx::Error> {
    let mut conn = db.pool().acquire().await?;
    let found =
        links::of_record(&mut conn, EntityKind::Task, task_id, Role::TaskEvent, None).await?;
    Ok(found.into_iter().next().map(|link| {
        let state = link
            .state
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default();
        (link, state)
    }))
}

/// The calendar account and zone of a task that is on the calendar and whose event is out of date.
pub async fn stale(db: &Database, task_id: Id) -> Result<Option<(i64, String)>, CalendarError> {
    let Some((link, state)) = on_calendar(db, task_id).await? else {
        return Ok(None);
    };
    let (account_id, zone, was) = (link.account_id, state.time_zone, state.written);
    match event_for(db, task_id, &zone).await {
        Ok(now) if written(&now) == was => Ok(None),
        // A task without a due time keeps its last event; nothing to move it to.
        Err(CalendarError::Invalid { .. }) => Ok(None),
        Err(e) => Err(e),
        Ok(_) => Ok(Some((account_id, zone))),
    }
}
