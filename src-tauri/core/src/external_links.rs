//! Links from Cremmy's records to things at providers (`external_links`): a client's folder, the
//! calendar events a meeting came from, a task's event, and later a CRM's records or an invoice.
//! Features keep their links here instead of a table each, so "what is this record at the
//! provider?" and "which record is this remote thing?" are one query whatever the feature.

use sqlx::SqliteConnection;

use crate::clock::Timestamp;

/// The kind of local record a link starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityKind {
    Client,
    Contact,
    Deal,
    Activity,
    Task,
    Document,
}

impl EntityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Client => "client",
            EntityKind::Contact => "contact",
            EntityKind::Deal => "deal",
            EntityKind::Activity => "activity",
            EntityKind::Task => "task",
            EntityKind::Document => "document",
        }
    }
}

/// What the remote thing is to the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A client's folder (one per client).
    Folder,
    /// A calendar event a meeting activity came from (one per account that has it).
    Meeting,
    /// The event a task was put on the calendar as (one per task).
    TaskEvent,
    /// The record at the user's CRM a client, contact or deal is kept in step with (one per
    /// record and account); its remote id is typed (`companies/123`).
    CrmRecord,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Folder => "folder",
            Role::Meeting => "meeting",
            Role::TaskEvent => "task_event",
            Role::CrmRecord => "crm_record",
        }
    }
}

/// A link as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub account_id: i64,
    pub local_id: i64,
    pub remote_id: String,
    pub url: Option<String>,
    pub remote_version: Option<String>,
    /// The feature's own state, as JSON.
    pub state: Option<String>,
}

/// A link to record or bring up to date.
#[derive(Debug, Clone, Copy)]
pub struct NewLink<'a> {
    pub account_id: i64,
    pub entity: EntityKind,
    pub local_id: i64,
    pub role: Role,
    pub remote_id: &'a str,
    pub url: Option<&'a str>,
    pub remote_version: Option<&'a str>,
    pub state: Option<&'a str>,
}

type Row = (
    i64,
    i64,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);
const COLUMNS: &str = "account_id, local_id, remote_id, url, remote_version, state";

fn link((account_id, local_id, remote_id, url, remote_version, state): Row) -> Link {
    Link {
        account_id,
        local_id,
        remote_id,
        url,
        remote_version,
        state,
    }
}

/// Records `new`, or brings the link with the same account, role and remote id up to date. For a
/// role with one link per record (a folder, a task's event), the record's earlier link is
/// replaced.
pub async fn put(tx: &mut SqliteConnection, new: &NewLink<'_>, now: Timestamp) -> sqlx::Result<()> {
    if matches!(new.role, Role::Folder | Role::TaskEvent) {
        sqlx::query(
            "DELETE FROM external_links WHERE entity_kind = ? AND local_id = ? AND role = ? \
             AND NOT (account_id = ? AND remote_id = ?)",
        )
        .bind(new.entity.as_str())
        .bind(new.local_id)
        .bind(new.role.as_str())
        .bind(new.account_id)
        .bind(new.remote_id)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "INSERT INTO external_links (provider, account_id, entity_kind, local_id, role, remote_id, url, \
                                     remote_version, state, last_synced_at, created_at) \
         VALUES ((SELECT provider FROM accounts WHERE id = ?1), ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9) \
         ON CONFLICT (account_id, role, remote_id) DO UPDATE SET \
           entity_kind = excluded.entity_kind, local_id = excluded.local_id, \
           url = coalesce(excluded.url, url), remote_version = coalesce(excluded.remote_version, remote_version), \
           state = coalesce(excluded.state, state), last_synced_at = excluded.last_synced_at",
    )
    .bind(new.account_id)
    .bind(new.entity.as_str())
    .bind(new.local_id)
    .bind(new.role.as_str())
    .bind(new.remote_id)
    .bind(new.url)
    .bind(new.remote_version)
    .bind(new.state)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The record's links in `role` (several for a meeting seen through several accounts), oldest
/// first; `account` narrows them to one account.
pub async fn of_record(
    conn: &mut SqliteConnection,
    entity: EntityKind,
    local_id: i64,
    role: Role,
    account: Option<i64>,
) -> sqlx::Result<Vec<Link>> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM external_links WHERE entity_kind = ? AND local_id = ? AND role = ? \
         AND (?4 IS NULL OR account_id = ?4) ORDER BY id"
    ))
    .bind(entity.as_str())
    .bind(local_id)
    .bind(role.as_str())
    .bind(account)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(link).collect())
}

/// The link of a remote thing, if one is recorded.
pub async fn of_remote(
    conn: &mut SqliteConnection,
    account_id: i64,
    role: Role,
    remote_id: &str,
) -> sqlx::Result<Option<Link>> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM external_links WHERE account_id = ? AND role = ? AND remote_id = ?"
    ))
    .bind(account_id)
    .bind(role.as_str())
    .bind(remote_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(link))
}
