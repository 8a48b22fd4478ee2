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
}

pub const JOURNAL_COLUMNS: &str = "id, gid, kind, client_id, deal_id, activity_id, from_stage_id, to_stage_id, detail, occurred_at, recorded_at, cause_chain, depth";

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
