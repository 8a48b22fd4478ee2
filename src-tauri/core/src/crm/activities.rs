//! Activities: the client's timeline (notes, emails, meetings, calls, stage changes…), newest
//! first, paged by keyset so new items never shift a page.

use cremmy_protocol::crm::{
    Activity, ActivityKind, Direction, Id, NoteInput, TimelineCursor, TimelinePage,
};
use sqlx::SqliteConnection;

use super::contacts::touch_client;
use super::rows::{ActivityRow, Stored, ACTIVITY_COLUMNS};
use super::{validate, Crm, CrmError, CrmResult, Entity};

pub const TIMELINE_PAGE: i64 = 30;

/// An activity that arrives from outside (a provider), identified by `(source, external_id)` so a
/// re-sync of the same item changes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalActivity {
    pub client_id: Id,
    pub contact_id: Option<Id>,
    pub deal_id: Option<Id>,
    pub kind: ActivityKind,
    pub direction: Direction,
    pub subject: String,
    pub body: String,
    pub occurred_at: i64,
    pub source: String,
    pub external_id: String,
}

pub(super) async fn insert_system_activity(
    tx: &mut SqliteConnection,
    client_id: Id,
    deal_id: Option<Id>,
    subject: &str,
    body: &str,
    now: i64,
) -> CrmResult<Id> {
    Ok(sqlx::query_scalar(
        "INSERT INTO activities (client_id, deal_id, kind, direction, subject, body, occurred_at, source, created_at) \
         VALUES (?, ?, 'system', 'none', ?, ?, ?, 'local', ?) RETURNING id",
    )
    .bind(client_id)
    .bind(deal_id)
    .bind(subject)
    .bind(body)
    .bind(now)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?)
}

impl Crm {
    pub async fn log_note(&self, input: &NoteInput) -> CrmResult<Activity> {
        let body = validate::text("note", &input.body)?;
        if body.is_empty() {
            return Err(CrmError::invalid("note", "is empty"));
        }
        let subject: String = body
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(120)
            .collect();
        let now = self.now();
        let mut tx = self.writer().begin().await?;
        let id: Id = sqlx::query_scalar(
            "INSERT INTO activities (client_id, contact_id, deal_id, kind, direction, subject, body, occurred_at, source, created_at) \
             VALUES (?, ?, ?, 'note', 'none', ?, ?, ?, 'local', ?) RETURNING id",
        )
        .bind(input.client_id)
        .bind(input.contact_id)
        .bind(input.deal_id)
        .bind(&subject)
        .bind(&body)
        .bind(now)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => CrmError::NotFound { entity: Entity::Client, id: input.client_id },
            _ => CrmError::Db(e),
        })?;
        touch_client(&mut tx, input.client_id, now).await?;
        tx.commit().await?;
        self.activity(id).await
    }

    /// Stores an activity from a provider unless `(source, external_id)` is already stored.
    /// Returns the new id, or `None` for a duplicate.
    pub async fn record_external_activity(&self, a: &ExternalActivity) -> CrmResult<Option<Id>> {
        Ok(sqlx::query_scalar(
            "INSERT INTO activities (client_id, contact_id, deal_id, kind, direction, subject, body, occurred_at, source, external_id, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, external_id) DO NOTHING RETURNING id",
        )
        .bind(a.client_id)
        .bind(a.contact_id)
        .bind(a.deal_id)
        .bind(a.kind.as_db())
        .bind(a.direction.as_db())
        .bind(&a.subject)
        .bind(&a.body)
        .bind(a.occurred_at)
        .bind(&a.source)
        .bind(&a.external_id)
        .bind(self.now())
        .fetch_optional(self.writer())
        .await?)
    }

    pub async fn activity(&self, id: Id) -> CrmResult<Activity> {
        let row: ActivityRow = sqlx::query_as(&format!("SELECT {ACTIVITY_COLUMNS} WHERE id = ?"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(CrmError::NotFound {
                entity: Entity::Activity,
                id,
            })?;
        Ok(row.into())
    }

    /// A client's activities, newest first, starting after `after` (None = the newest).
    pub async fn timeline(
        &self,
        client_id: Id,
        after: Option<TimelineCursor>,
        limit: i64,
    ) -> CrmResult<TimelinePage> {
        let limit = if limit <= 0 {
            TIMELINE_PAGE
        } else {
            limit.min(200)
        };
        let cursor = after.unwrap_or(TimelineCursor {
            occurred_at: i64::MAX,
            id: i64::MAX,
        });
        let rows: Vec<ActivityRow> = sqlx::query_as(&format!(
            "SELECT {ACTIVITY_COLUMNS} WHERE client_id = ? AND (occurred_at, id) < (?, ?) ORDER BY occurred_at DESC, id DESC LIMIT ?"
        ))
        .bind(client_id)
        .bind(cursor.occurred_at)
        .bind(cursor.id)
        .bind(limit + 1)
        .fetch_all(self.pool())
        .await?;
        let mut items: Vec<Activity> = rows.into_iter().map(Activity::from).collect();
        let next = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            items.last().map(|a| TimelineCursor {
                occurred_at: a.occurred_at,
                id: a.id,
            })
        } else {
            None
        };
        Ok(TimelinePage { items, next })
    }
}
