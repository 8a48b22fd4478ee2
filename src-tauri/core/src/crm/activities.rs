//! Activities: the client's timeline (notes, emails, meetings, calls, stage changes…), newest
//! first, paged by keyset so new items never shift a page.

use cremmy_protocol::crm::{
    Activity, ActivityKind, ActivitySource, Direction, Id, NoteInput, TimelineCursor, TimelinePage,
};

use super::contacts::touch_client;
use super::rows::{ActivityRow, ACTIVITY_COLUMNS};
use super::write::{self, NewActivity};
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
    pub source: ActivitySource,
    pub external_id: String,
}

pub(super) async fn insert_system_activity(
    tx: &mut write::CrmTx,
    client_id: Id,
    deal_id: Option<Id>,
    subject: &str,
    body: &str,
    now: i64,
) -> CrmResult<Id> {
    let activity = NewActivity {
        client_id,
        contact_id: None,
        deal_id,
        kind: ActivityKind::System,
        direction: Direction::None,
        subject,
        body,
        occurred_at: now,
        source: ActivitySource::Local,
        external_id: None,
    };
    // Without an external id there is no conflict: a row always comes back.
    Ok(write::insert_activity(tx, &activity, now)
        .await?
        .unwrap_or_default())
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
        let mut tx = self.begin().await?;
        let note = NewActivity {
            client_id: input.client_id,
            contact_id: input.contact_id,
            deal_id: input.deal_id,
            kind: ActivityKind::Note,
            direction: Direction::None,
            subject: &subject,
            body: &body,
            occurred_at: now,
            source: ActivitySource::Local,
            external_id: None,
        };
        let id: Id = write::insert_activity(&mut tx, &note, now)
            .await
            .map(Option::unwrap_or_default)
            .map_err(|e| match &e {
                sqlx::Error::Database(d) if d.is_foreign_key_violation() => CrmError::NotFound {
                    entity: Entity::Client,
                    id: input.client_id,
                },
                _ => CrmError::Db(e),
            })?;
        touch_client(&mut tx, input.client_id, now).await?;
        tx.commit(now).await?;
        self.activity(id).await
    }

    /// Stores an activity from a provider unless `(source, external_id)` is already stored.
    /// Returns the new id, or `None` for a duplicate.
    pub async fn record_external_activity(&self, a: &ExternalActivity) -> CrmResult<Option<Id>> {
        let activity = NewActivity {
            client_id: a.client_id,
            contact_id: a.contact_id,
            deal_id: a.deal_id,
            kind: a.kind,
            direction: a.direction,
            subject: &a.subject,
            body: &a.body,
            occurred_at: a.occurred_at,
            source: a.source,
            external_id: Some(&a.external_id),
        };
        let mut tx = self.begin().await?;
        let id = write::insert_activity(&mut tx, &activity, self.now()).await?;
        tx.commit(self.now()).await?;
        Ok(id)
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
