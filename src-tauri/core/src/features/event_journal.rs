//! The event journal (`event_journal`): what happened, recorded by the database's triggers in the
//! transaction that made it (migration 0018), read here by webhooks and automation rules.

use cremmy_protocol::crm::Id;
use cremmy_protocol::kinds::EventKind;
use sqlx::SqlitePool;

use crate::clock::Timestamp;

/// An event journal row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JournalEvent {
    pub id: Id,
    pub gid: String,
    pub kind: String,
    pub client_id: Option<Id>,
    pub deal_id: Option<Id>,
    pub activity_id: Option<Id>,
    pub from_stage_id: Option<Id>,
    pub to_stage_id: Option<Id>,
    pub detail: Option<String>,
    pub occurred_at: Timestamp,
    pub recorded_at: Timestamp,
    /// The rules whose actions led to it (`,3,7,`), and how many in a row.
    pub cause_chain: String,
    pub depth: i64,
    pub task_id: Option<Id>,
}

pub const JOURNAL_COLUMNS: &str = "id, gid, kind, client_id, deal_id, activity_id, from_stage_id, to_stage_id, detail, occurred_at, recorded_at, cause_chain, depth, task_id";

impl JournalEvent {
    pub fn kind(&self) -> EventKind {
        EventKind::parse(&self.kind)
    }

    pub fn chain(&self) -> Vec<Id> {
        self.cause_chain
            .split(',')
            .filter_map(|id| id.parse().ok())
            .collect()
    }
}

/// Events after `after`, oldest first, at most `limit`.
pub async fn after(
    pool: &SqlitePool,
    after: Id,
    limit: i64,
) -> Result<Vec<JournalEvent>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {JOURNAL_COLUMNS} FROM event_journal WHERE id > ? ORDER BY id LIMIT ?"
    ))
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await
}

pub async fn one(pool: &SqlitePool, id: Id) -> Result<Option<JournalEvent>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {JOURNAL_COLUMNS} FROM event_journal WHERE id = ?"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// The journal's last id (what a new rule or endpoint starts after).
pub async fn last_id(pool: &SqlitePool) -> Result<Id, sqlx::Error> {
    sqlx::query_scalar("SELECT coalesce(max(id), 0) FROM event_journal")
        .fetch_one(pool)
        .await
}

/// Marks the events about `deal_id` recorded after `after` as caused by the rules of `chain`.
pub async fn mark_caused(
    pool: &SqlitePool,
    after: Id,
    deal_id: Id,
    chain: &[Id],
    depth: i64,
) -> Result<(), sqlx::Error> {
    let text = format!(
        ",{}",
        chain.iter().map(|id| format!("{id},")).collect::<String>()
    );
    sqlx::query("UPDATE event_journal SET cause_chain = ?, depth = ? WHERE id > ? AND deal_id = ?")
        .bind(text)
        .bind(depth)
        .bind(after)
        .bind(deal_id)
        .execute(pool)
        .await?;
    Ok(())
}

/// A meeting counts as completed this long after its end at most (older ones are history).
const COMPLETED_WITHIN_MS: Timestamp = 86_400_000;

/// Journals what time passing made happen, once each: meetings Cremmy knew of before they ended
/// whose end (start + their length, else an hour) passed within the last day, not cancelled;
/// open tasks due on `today` (the user's local date, `YYYY-MM-DD`). Returns how many.
pub async fn record_time_events(
    writer: &SqlitePool,
    now: Timestamp,
    today: &str,
) -> Result<u64, sqlx::Error> {
    let mut recorded = 0;
    type Meeting = (Id, Id, Option<Id>, String, Timestamp, Timestamp);
    let meetings: Vec<Meeting> = sqlx::query_as(
        "SELECT a.id, a.client_id, a.deal_id, a.body, a.occurred_at, a.created_at FROM activities a \
         WHERE a.kind = 'meeting' AND a.occurred_at BETWEEN ? AND ? AND a.subject NOT LIKE 'Cancelled: %' \
           AND NOT EXISTS (SELECT 1 FROM event_journal e WHERE e.activity_id = a.id AND e.kind = 'meeting_completed')",
    )
    .bind(now - 2 * COMPLETED_WITHIN_MS)
    .bind(now)
    .fetch_all(writer)
    .await?;
    for (id, client_id, deal_id, body, start, created_at) in meetings {
        let minutes = crate::features::webhooks::payload::duration_minutes(&body).unwrap_or(60);
        let end = start + minutes * 60_000;
        if end > now || now - end > COMPLETED_WITHIN_MS || created_at >= end {
            continue;
        }
        recorded += sqlx::query(
            "INSERT INTO event_journal (gid, kind, client_id, deal_id, activity_id, occurred_at, recorded_at) \
             VALUES ('evt_' || lower(hex(randomblob(12))), 'meeting_completed', ?, ?, ?, ?, ?)",
        )
        .bind(client_id)
        .bind(deal_id)
        .bind(id)
        .bind(end)
        .bind(now)
        .execute(writer)
        .await?
        .rows_affected();
    }
    recorded += sqlx::query(
        "INSERT INTO event_journal (gid, kind, client_id, deal_id, task_id, occurred_at, recorded_at) \
         SELECT 'evt_' || lower(hex(randomblob(12))), 'task_due', t.client_id, t.deal_id, t.id, ?, ? FROM tasks t \
         WHERE t.done_at IS NULL AND t.due_date = ? \
           AND NOT EXISTS (SELECT 1 FROM event_journal e WHERE e.task_id = t.id AND e.kind = 'task_due')",
    )
    .bind(now)
    .bind(now)
    .bind(today)
    .execute(writer)
    .await?
    .rows_affected();
    Ok(recorded)
}

/// How long a journal row is kept once it was handed over and judged.
pub const KEEP_MS: Timestamp = 90 * 86_400_000;

/// Forgets events recorded more than [`KEEP_MS`] before `now` that were handed to webhooks and
/// judged by the rules (ids up to `judged`), except those a rule's history points at. Returns
/// how many.
pub async fn prune(writer: &SqlitePool, now: Timestamp, judged: Id) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "DELETE FROM event_journal WHERE recorded_at < ? AND dispatched_at IS NOT NULL AND id <= ? \
           AND NOT EXISTS (SELECT 1 FROM rule_runs r WHERE r.event_id = event_journal.id)",
    )
    .bind(now - KEEP_MS)
    .bind(judged)
    .execute(writer)
    .await?
    .rows_affected())
}
