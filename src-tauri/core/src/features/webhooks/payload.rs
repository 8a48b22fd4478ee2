//! What an endpoint receives: the event in the shape the product brief gives integrations
//! (`event`, `timestamp`, `lead`, `meeting`, `campaign`, and `deal` for deal events), the same
//! keys for every event, `null` for whatever Cremmy does not know (never invented). Built once,
//! when the event is handed to the endpoint; every attempt sends those exact bytes.

use cremmy_protocol::crm::{Id, Money};
use cremmy_protocol::kinds::EventKind;
use serde_json::{json, Value};
use sqlx::SqlitePool;

use crate::clock::Timestamp;
use crate::crm::iso_utc;
use crate::features::event_journal::JournalEvent;

/// The JSON body for `event`, as it stands in the database now.
pub async fn build(pool: &SqlitePool, event: &JournalEvent) -> Result<String, sqlx::Error> {
    let activity = match event.activity_id {
        Some(id) => activity(pool, id).await?,
        None => None,
    };
    let contact_id = activity.as_ref().and_then(|a| a.contact_id);
    let lead = match event.client_id {
        Some(client) => lead(pool, client, contact_id).await?,
        None => Value::Null,
    };
    let meeting = match &activity {
        Some(a) if a.kind == "meeting" => meeting(a),
        _ => Value::Null,
    };
    let message = match &activity {
        Some(a) if a.kind != "meeting" => json!({
            "channel": a.kind,
            "subject": non_empty(&a.subject),
            "received_at": iso_utc(a.occurred_at),
        }),
        _ => Value::Null,
    };
    let deal = match event.deal_id {
        Some(id) => deal(pool, id, event.from_stage_id).await?,
        None => Value::Null,
    };
    let task = match event.task_id {
        Some(id) => task(pool, id).await?,
        None => Value::Null,
    };
    let score = event
        .detail
        .as_deref()
        .and_then(|d| serde_json::from_str::<Value>(d).ok())
        .and_then(|d| d.get("score").cloned())
        .unwrap_or(Value::Null);
    let body = json!({
        "event": event.kind,
        "event_id": event.gid,
        "timestamp": iso_utc(event.occurred_at),
        "lead": lead,
        "meeting": meeting,
        "campaign": Value::Null,
        "deal": deal,
        "message": message,
        "score": score,
        "task": task,
    });
    Ok(body.to_string())
}

/// "Send test event": the same keys, with nothing real in them.
pub fn test_body(webhook_id: &str, now: Timestamp) -> String {
    json!({
        "event": EventKind::Test.as_str(),
        "event_id": webhook_id,
        "timestamp": iso_utc(now),
        "lead": Value::Null,
        "meeting": Value::Null,
        "campaign": Value::Null,
        "deal": Value::Null,
        "message": Value::Null,
        "score": Value::Null,
        "task": Value::Null,
    })
    .to_string()
}

struct Activity {
    gid: Option<String>,
    contact_id: Option<Id>,
    kind: String,
    subject: String,
    body: String,
    occurred_at: Timestamp,
}

async fn activity(pool: &SqlitePool, id: Id) -> Result<Option<Activity>, sqlx::Error> {
    type Row = (
        Option<String>,
        Option<Id>,
        String,
        String,
        String,
        Timestamp,
    );
    let row: Option<Row> = sqlx::query_as(
        "SELECT gid, contact_id, kind, subject, body, occurred_at FROM activities WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(
        |(gid, contact_id, kind, subject, body, occurred_at)| Activity {
            gid,
            contact_id,
            kind,
            subject,
            body,
            occurred_at,
        },
    ))
}

/// The person: the activity's contact, else the client's first contact; the company is the
/// client when it is an organisation. Cremmy keeps no LinkedIn address: always null.
async fn lead(pool: &SqlitePool, client_id: Id, contact: Option<Id>) -> Result<Value, sqlx::Error> {
    let client: Option<(String, String)> =
        sqlx::query_as("SELECT name, kind FROM clients WHERE id = ?")
            .bind(client_id)
            .fetch_optional(pool)
            .await?;
    let Some((client_name, client_kind)) = client else {
        return Ok(Value::Null);
    };
    type Person = (String, String, Option<String>, Option<String>);
    let person: Option<Person> = sqlx::query_as(
        "SELECT c.name, c.title, \
           (SELECT email FROM contact_emails e WHERE e.contact_id = c.id ORDER BY e.is_primary DESC, e.id LIMIT 1), \
           (SELECT phone FROM contact_phones p WHERE p.contact_id = c.id ORDER BY p.is_primary DESC, p.id LIMIT 1) \
         FROM contacts c WHERE c.client_id = ? ORDER BY (c.id = ?) DESC, c.archived, c.id LIMIT 1",
    )
    .bind(client_id)
    .bind(contact.unwrap_or(-1))
    .fetch_optional(pool)
    .await?;
    let company = (client_kind == "organisation").then(|| client_name.clone());
    Ok(match person {
        Some((name, title, email, phone)) => json!({
            "name": name,
            "email": email,
            "phone": phone,
            "company": company,
            "title": non_empty(&title),
            "linkedin_url": Value::Null,
        }),
        None => json!({
            "name": (client_kind == "individual").then_some(client_name),
            "email": Value::Null,
            "phone": Value::Null,
            "company": company,
            "title": Value::Null,
            "linkedin_url": Value::Null,
        }),
    })
}

/// A meeting activity: its time, length and link as the calendar gave them (the first line of
/// a synced meeting's notes is `YYYY-MM-DD HH:MM – HH:MM UTC`).
fn meeting(a: &Activity) -> Value {
    json!({
        "id": a.gid,
        "title": non_empty(a.subject.trim_start_matches("Cancelled: ")),
        "scheduled_at": iso_utc(a.occurred_at),
        "duration_minutes": duration_minutes(&a.body),
        "meeting_type": Value::Null,
        "meeting_link": crate::crm::meeting_link(&a.body),
    })
}

/// A synced meeting's length, from the first line of its notes.
pub fn duration_minutes(body: &str) -> Option<i64> {
    let first = body.lines().next()?;
    let (start, rest) = first.split_once(" – ")?;
    let end = rest.strip_suffix(" UTC")?;
    let minutes = |hhmm: &str| -> Option<i64> {
        let (h, m) = hhmm.split_once(':')?;
        Some(h.parse::<i64>().ok()? * 60 + m.parse::<i64>().ok()?)
    };
    let start = minutes(start.rsplit(' ').next()?)?;
    let end = minutes(end)?;
    // Past midnight UTC the end reads earlier than the start.
    Some((end - start).rem_euclid(24 * 60))
}

async fn deal(pool: &SqlitePool, id: Id, from_stage: Option<Id>) -> Result<Value, sqlx::Error> {
    type Row = (
        Option<String>,
        String,
        i64,
        String,
        String,
        Option<i64>,
        Option<i64>,
    );
    let row: Option<Row> = sqlx::query_as(
        "SELECT d.gid, d.title, d.value_minor, d.currency, s.name, d.won_at, d.lost_at \
         FROM deals d JOIN stages s ON s.id = d.stage_id WHERE d.id = ?",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    let Some((gid, title, minor, currency, stage, won_at, lost_at)) = row else {
        return Ok(Value::Null);
    };
    let previous: Option<String> = match from_stage {
        Some(s) => {
            sqlx::query_scalar("SELECT name FROM stages WHERE id = ?")
                .bind(s)
                .fetch_optional(pool)
                .await?
        }
        None => None,
    };
    let per_major = Money::minor_per_major(&currency);
    Ok(json!({
        "id": gid,
        "title": title,
        "value": minor as f64 / per_major as f64,
        "value_minor": minor,
        "currency": currency,
        "stage": stage,
        "previous_stage": previous,
        "won_at": won_at.map(iso_utc),
        "lost_at": lost_at.map(iso_utc),
    }))
}

async fn task(pool: &SqlitePool, id: Id) -> Result<Value, sqlx::Error> {
    let row: Option<(Option<String>, String, Option<String>, Option<String>)> =
        sqlx::query_as("SELECT gid, title, due_date, due_time FROM tasks WHERE id = ?")
            .bind(id)
            .fetch_optional(pool)
            .await?;
    Ok(row.map_or(Value::Null, |(gid, title, due_date, due_time)| {
        json!({ "id": gid, "title": title, "due_date": due_date, "due_time": due_time })
    }))
}

fn non_empty(text: &str) -> Option<&str> {
    let t = text.trim();
    (!t.is_empty()).then_some(t)
}
