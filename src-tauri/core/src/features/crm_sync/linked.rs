//! The linked records of a CRM connection as two-way sync reads and writes them: each link's
//! base (the fields both sides last agreed on, in the link's state), Cremmy's side of a record,
//! which records changed in Cremmy since their last sync, and one transaction that writes what a
//! sync decided (fields, bases, the resolved conflicts and the cursor).

use std::collections::HashMap;

use cremmy_protocol::crm::Id;
use cremmy_protocol::crm_sync::{RecordKind, ResolvedConflict};

use super::reconcile::{Conflict, Fields, Side};
use crate::clock::Timestamp;
use crate::crm::synced_writes::{self, SyncedClient, SyncedContact, SyncedDeal};
use crate::crm::write::CrmTx;
use crate::db::Database;

/// A linked record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Linked {
    pub kind: RecordKind,
    pub local_id: Id,
    pub remote_id: String,
    pub base: Fields,
    /// Cremmy's record changed since its last sync.
    pub changed_here: bool,
}

fn entity(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Company => "client",
        RecordKind::Person => "contact",
        RecordKind::Deal => "deal",
    }
}

fn kind_of(entity: &str) -> Option<RecordKind> {
    match entity {
        "client" => Some(RecordKind::Company),
        "contact" => Some(RecordKind::Person),
        "deal" => Some(RecordKind::Deal),
        _ => None,
    }
}

/// Every record the account links, by remote id.
pub async fn links(db: &Database, account_id: i64) -> sqlx::Result<HashMap<String, Linked>> {
    // `changed` is NULL when Cremmy's record is gone (deleted since): such a link is skipped.
    let rows: Vec<(String, Id, String, Option<String>, Option<i64>)> = sqlx::query_as(
        "SELECT l.entity_kind, l.local_id, l.remote_id, l.state, \
           CASE l.entity_kind \
             WHEN 'client' THEN (SELECT updated_at > l.last_synced_at FROM clients WHERE id = l.local_id) \
             WHEN 'contact' THEN (SELECT updated_at > l.last_synced_at FROM contacts WHERE id = l.local_id) \
             WHEN 'deal' THEN (SELECT updated_at > l.last_synced_at FROM deals WHERE id = l.local_id) \
           END \
         FROM external_links l WHERE l.account_id = ? AND l.role = 'crm_record'",
    )
    .bind(account_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(entity, local_id, remote_id, state, changed)| {
            let base = state
                .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
                .and_then(|v| serde_json::from_value::<Fields>(v["base"].clone()).ok())
                .unwrap_or_default();
            Some((
                remote_id.clone(),
                Linked {
                    kind: kind_of(&entity)?,
                    local_id,
                    remote_id,
                    base,
                    changed_here: changed? == 1,
                },
            ))
        })
        .collect())
}

/// Cremmy's side of a linked record; `None` if it is gone.
pub async fn local_side(db: &Database, kind: RecordKind, id: Id) -> sqlx::Result<Option<Side>> {
    let pool = db.pool();
    let side = match kind {
        RecordKind::Company => sqlx::query_as::<_, (String, String, i64)>(
            "SELECT name, website, updated_at FROM clients WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(pool)
        .await?
        .map(|(name, website, at)| (super::fields(&[("name", &name), ("website", &website)]), at)),
        RecordKind::Person => {
            sqlx::query_as::<_, (String, String, Option<String>, Option<String>, i64)>(
                "SELECT c.name, c.title, \
               (SELECT email FROM contact_emails WHERE contact_id = c.id AND is_primary = 1), \
               (SELECT phone FROM contact_phones WHERE contact_id = c.id AND is_primary = 1), \
               c.updated_at FROM contacts c WHERE c.id = ?",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?
            .map(|(name, title, email, phone, at)| {
                let (email, phone) = (email.unwrap_or_default(), phone.unwrap_or_default());
                (
                    super::fields(&[
                        ("name", &name),
                        ("title", &title),
                        ("email", &email),
                        ("phone", &phone),
                    ]),
                    at,
                )
            })
        }
        RecordKind::Deal => sqlx::query_as::<_, (String, i64, i64)>(
            "SELECT title, value_minor, updated_at FROM deals WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(pool)
        .await?
        .map(|(title, value, at)| {
            (
                super::fields(&[("title", &title), ("value", &value.to_string())]),
                at,
            )
        }),
    };
    Ok(side.map(|(fields, modified)| Side { fields, modified }))
}

/// What a sync decided for one linked record.
#[derive(Debug, Clone)]
pub struct Decided {
    pub linked: Linked,
    pub to_cremmy: Fields,
    pub base: Fields,
    pub remote_modified: Timestamp,
    pub conflicts: Vec<Conflict>,
}

/// Writes the decisions in one transaction, with the cursor the pull reached.
pub async fn write_decisions(
    db: &Database,
    account_id: i64,
    decided: &[Decided],
    cursor: Option<Timestamp>,
    now: Timestamp,
) -> sqlx::Result<()> {
    let mut tx = CrmTx::begin(db).await?;
    for d in decided {
        let f = |name: &str| d.to_cremmy.get(name).map(String::as_str);
        let id = d.linked.local_id;
        match d.linked.kind {
            RecordKind::Company if !d.to_cremmy.is_empty() => {
                let c = SyncedClient {
                    name: f("name"),
                    website: f("website"),
                };
                synced_writes::set_synced_client(&mut tx, id, &c, now).await?
            }
            RecordKind::Person if !d.to_cremmy.is_empty() => {
                let c = SyncedContact {
                    name: f("name"),
                    title: f("title"),
                    email: f("email"),
                    phone: f("phone"),
                };
                synced_writes::set_synced_contact(&mut tx, id, &c, now).await?
            }
            RecordKind::Deal if !d.to_cremmy.is_empty() => {
                let value_minor = f("value").and_then(|v| v.parse().ok());
                let deal = SyncedDeal {
                    title: f("title"),
                    value_minor,
                };
                synced_writes::set_synced_deal(&mut tx, id, &deal, now).await?
            }
            _ => {}
        }
        let state = serde_json::json!({ "base": d.base }).to_string();
        sqlx::query(
            "UPDATE external_links SET state = ?, remote_version = ?, last_synced_at = ? \
             WHERE account_id = ? AND role = 'crm_record' AND remote_id = ?",
        )
        .bind(&state)
        .bind(d.remote_modified.to_string())
        .bind(now)
        .bind(account_id)
        .bind(&d.linked.remote_id)
        .execute(&mut *tx)
        .await?;
        for c in &d.conflicts {
            sqlx::query(
                "INSERT INTO crm_sync_conflicts (account_id, entity_kind, local_id, remote_id, field, \
                   cremmy_value, remote_value, remote_won, resolved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(account_id)
            .bind(entity(d.linked.kind))
            .bind(id)
            .bind(&d.linked.remote_id)
            .bind(&c.field)
            .bind(&c.cremmy)
            .bind(&c.remote)
            .bind(c.remote_won)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
    }
    if let Some(cursor) = cursor {
        let cursor = cursor.to_string();
        let advance = crate::cursors::Advance {
            cursor: Some(&cursor),
            ..Default::default()
        };
        crate::cursors::advance(&mut tx, account_id, super::CURSOR_STREAM, advance, now).await?;
    }
    tx.commit(now).await
}

/// Makes every linked record of `kind` count as changed in Cremmy, so the next sync reads it
/// back and compares both sides in full.
pub async fn compare_again(db: &Database, account_id: i64, kind: RecordKind) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE external_links SET last_synced_at = 0 \
         WHERE account_id = ? AND role = 'crm_record' AND entity_kind = ?",
    )
    .bind(account_id)
    .bind(entity(kind))
    .execute(db.pool())
    .await?;
    Ok(())
}

/// The conflicts syncs of the account resolved, newest first.
pub async fn conflicts(
    db: &Database,
    account_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<ResolvedConflict>> {
    type Row = (
        String,
        Id,
        Option<String>,
        String,
        String,
        String,
        String,
        bool,
        i64,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT k.entity_kind, k.local_id, \
           CASE k.entity_kind \
             WHEN 'client' THEN (SELECT name FROM clients WHERE id = k.local_id) \
             WHEN 'contact' THEN (SELECT name FROM contacts WHERE id = k.local_id) \
             ELSE (SELECT title FROM deals WHERE id = k.local_id) END, \
           k.remote_id, k.field, k.cremmy_value, k.remote_value, k.remote_won, k.resolved_at \
         FROM crm_sync_conflicts k WHERE k.account_id = ? \
         ORDER BY k.resolved_at DESC, k.id DESC LIMIT ?",
    )
    .bind(account_id)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(
            |(e, local_id, name, remote_id, field, cremmy, remote, remote_won, at)| {
                Some(ResolvedConflict {
                    account_id,
                    kind: kind_of(&e)?,
                    local_id,
                    name: name.unwrap_or_default(),
                    remote_id,
                    field,
                    cremmy,
                    remote,
                    remote_won,
                    resolved_at: at,
                })
            },
        )
        .collect())
}
