//! The one store of sync cursors: per account and stream, the provider's position (a mailbox's
//! history id, a calendar's sync token…) and when the stream was last fully synced or reconciled.
//! A cursor is written in the same transaction as the items it covers, so a crash never moves it
//! past what was stored.

use sqlx::SqliteConnection;

use crate::clock::Timestamp;
use crate::db::Database;

/// A stream's stored position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cursor {
    pub cursor: Option<String>,
    pub full_since: Option<Timestamp>,
    pub full_synced_at: Option<Timestamp>,
    pub reconciled_at: Option<Timestamp>,
}

pub async fn read(db: &Database, account_id: i64, stream: &str) -> Result<Cursor, sqlx::Error> {
    type Row = (Option<String>, Option<i64>, Option<i64>, Option<i64>);
    let row: Option<Row> = sqlx::query_as(
        "SELECT cursor, full_since, full_synced_at, reconciled_at FROM sync_cursors \
         WHERE account_id = ? AND stream = ?",
    )
    .bind(account_id)
    .bind(stream)
    .fetch_optional(db.pool())
    .await?;
    Ok(row
        .map(
            |(cursor, full_since, full_synced_at, reconciled_at)| Cursor {
                cursor,
                full_since,
                full_synced_at,
                reconciled_at,
            },
        )
        .unwrap_or_default())
}

/// What a committed batch moves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Advance<'a> {
    /// The new position (`None`: unchanged).
    pub cursor: Option<&'a str>,
    /// A full sync covering items since this time just finished.
    pub full_since: Option<Timestamp>,
    /// The stream was just compared with the provider's whole list.
    pub reconciled: bool,
}

/// Moves `stream`'s cursor inside the caller's transaction.
pub async fn advance(
    tx: &mut SqliteConnection,
    account_id: i64,
    stream: &str,
    a: Advance<'_>,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sync_cursors (account_id, stream, cursor, full_since, full_synced_at, reconciled_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, CASE WHEN ?4 IS NULL THEN NULL ELSE ?5 END, CASE WHEN ?6 THEN ?5 END, ?5) \
         ON CONFLICT (account_id, stream) DO UPDATE SET \
           cursor = coalesce(?3, cursor), \
           full_since = coalesce(?4, full_since), \
           full_synced_at = CASE WHEN ?4 IS NULL THEN full_synced_at ELSE ?5 END, \
           reconciled_at = CASE WHEN ?6 THEN ?5 ELSE reconciled_at END, \
           updated_at = ?5",
    )
    .bind(account_id)
    .bind(stream)
    .bind(a.cursor)
    .bind(a.full_since)
    .bind(now)
    .bind(a.reconciled)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Forgets the position (the provider no longer remembers it): the next pull is a full sync.
pub async fn forget(db: &Database, account_id: i64, stream: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sync_cursors SET cursor = NULL WHERE account_id = ? AND stream = ?")
        .bind(account_id)
        .bind(stream)
        .execute(db.writer())
        .await?;
    Ok(())
}
