//! Mail in the database: the contact book to match against, which provider messages an account
//! already imported, and storing a batch of matched messages together with the cursor or the
//! addresses it covers, in one transaction.

use std::collections::HashSet;

use cremmy_protocol::crm::{ActivityKind, ActivitySource, Direction};

use super::{ContactBook, ContactRef, MailHeaders, MailMatch};
use crate::clock::Timestamp;
use crate::crm::write::{self, NewActivity};
use crate::cursors;
use crate::db::Database;

pub const STREAM: &str = "mail";

pub async fn contact_book(db: &Database) -> Result<ContactBook, sqlx::Error> {
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT e.email, c.id, c.client_id FROM contact_emails e JOIN contacts c ON c.id = e.contact_id",
    )
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(email, contact_id, client_id)| {
            (
                email.to_lowercase(),
                ContactRef {
                    contact_id,
                    client_id,
                },
            )
        })
        .collect())
}

/// Contact addresses this account has not searched its past mail for.
pub async fn uncovered_addresses(
    db: &Database,
    account_id: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT e.email FROM contact_emails e \
         WHERE NOT EXISTS (SELECT 1 FROM mail_covered_addresses m WHERE m.account_id = ? AND m.email = e.email) \
         ORDER BY e.email",
    )
    .bind(account_id)
    .fetch_all(db.pool())
    .await
}

/// Which of `ids` this account already imported.
pub async fn known_ids(
    db: &Database,
    account_id: i64,
    ids: &[String],
) -> Result<HashSet<String>, sqlx::Error> {
    let mut known = HashSet::new();
    for chunk in ids.chunks(400) {
        let marks = vec!["?"; chunk.len()].join(",");
        let sql = format!(
            "SELECT provider_id FROM mailbox_messages WHERE account_id = ? AND provider_id IN ({marks})"
        );
        let mut q = sqlx::query_scalar::<_, String>(&sql).bind(account_id);
        for id in chunk {
            q = q.bind(id);
        }
        known.extend(q.fetch_all(db.pool()).await?);
    }
    Ok(known)
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CursorRow {
    pub cursor: Option<String>,
    pub reconciled_at: Option<Timestamp>,
}

pub async fn cursor(db: &Database, account_id: i64) -> Result<CursorRow, sqlx::Error> {
    let stored = cursors::read(db, account_id, STREAM).await?;
    Ok(CursorRow {
        cursor: stored.cursor,
        reconciled_at: stored.reconciled_at,
    })
}

/// What a committed batch changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Saved {
    /// New activities.
    pub created: i64,
    /// Messages already stored through another account (or an earlier run): linked, not added.
    pub linked: i64,
}

/// The cursor bookkeeping a batch commits with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Advance<'a> {
    Nothing,
    /// A finished full sync: the cursor from before the listing; it also counts as a reconciliation.
    FullSync {
        cursor: &'a str,
        since: Timestamp,
    },
    Cursor(&'a str),
    Reconciled,
}

/// Stores matched messages, marks `covered` addresses as searched and advances the cursor, all
/// in one transaction: a crash leaves either all of it or none.
pub async fn commit(
    db: &Database,
    account_id: i64,
    batch: &[(MailHeaders, MailMatch)],
    covered: &[String],
    advance: Advance<'_>,
    now: Timestamp,
) -> Result<Saved, sqlx::Error> {
    let mut tx = write::CrmTx::begin(db).await?;
    let mut saved = Saved::default();
    for (m, matched) in batch {
        if save_message(&mut tx, account_id, m, matched, now).await? {
            saved.created += 1;
        } else {
            saved.linked += 1;
        }
    }
    for email in covered {
        sqlx::query(
            "INSERT OR IGNORE INTO mail_covered_addresses (account_id, email) VALUES (?, ?)",
        )
        .bind(account_id)
        .bind(email.to_lowercase())
        .execute(&mut *tx)
        .await?;
    }
    let (cursor, full_since, reconciled) = match advance {
        Advance::Nothing => (None, None, false),
        Advance::FullSync { cursor, since } => (Some(cursor), Some(since), true),
        Advance::Cursor(c) => (Some(c), None, false),
        Advance::Reconciled => (None, None, true),
    };
    if advance != Advance::Nothing {
        let moved = cursors::Advance {
            cursor,
            full_since,
            reconciled,
        };
        cursors::advance(&mut tx, account_id, STREAM, moved, now).await?;
    }
    tx.commit(now).await?;
    Ok(saved)
}

/// Forgets this account's copies of messages that are gone from its mail (deleted, or moved to
/// Trash or Spam). An email no mailbox holds any more leaves the timeline, unless Cremmy sent it
/// (that stays as the record of what Cremmy did). Returns how many activities went.
pub async fn forget(
    db: &Database,
    account_id: i64,
    provider_ids: &[String],
) -> Result<u64, sqlx::Error> {
    if provider_ids.is_empty() {
        return Ok(0);
    }
    let mut tx = db.writer().begin().await?;
    let mut removed = 0;
    for id in provider_ids {
        let activity: Option<i64> = sqlx::query_scalar(
            "DELETE FROM mailbox_messages WHERE account_id = ? AND provider_id = ? RETURNING activity_id",
        )
        .bind(account_id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(activity) = activity else { continue };
        let still_held: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM mailbox_messages WHERE activity_id = ?)",
        )
        .bind(activity)
        .fetch_one(&mut *tx)
        .await?;
        if !still_held && write::remove_vanished_email(&mut tx, activity).await? {
            removed += 1;
        }
    }
    tx.commit().await?;
    Ok(removed)
}

/// Forgets the cursor (the mailbox no longer remembers it): the next step is a full sync.
pub async fn drop_cursor(db: &Database, account_id: i64) -> Result<(), sqlx::Error> {
    cursors::forget(db, account_id, STREAM).await
}

/// Returns whether the activity is new.
async fn save_message(
    tx: &mut write::CrmTx,
    account_id: i64,
    m: &MailHeaders,
    matched: &MailMatch,
    now: Timestamp,
) -> Result<bool, sqlx::Error> {
    // Without a Message-ID the message cannot be recognised across accounts; it is still kept once
    // per account.
    let key = m
        .message_id
        .clone()
        .unwrap_or_else(|| format!("<no-message-id:{account_id}:{}>", m.provider_id));
    let email = NewActivity {
        client_id: matched.contact.client_id,
        contact_id: Some(matched.contact.contact_id),
        deal_id: None,
        kind: ActivityKind::Email,
        direction: matched.direction,
        subject: &m.subject,
        body: &m.snippet,
        occurred_at: m.received_at,
        source: ActivitySource::Email,
        external_id: Some(&key),
    };
    let inserted = write::insert_activity(tx, &email, now).await?;
    let activity_id = match inserted {
        Some(id) => id,
        None => write::activity_for(tx, ActivitySource::Email, &key)
            .await?
            .ok_or(sqlx::Error::RowNotFound)?,
    };
    sqlx::query(
        "INSERT OR IGNORE INTO emails (activity_id, message_id, thread_id, from_addr, to_addrs, in_reply_to) \
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(activity_id)
    .bind(&key)
    .bind(&m.thread_id)
    .bind(m.from.join(", "))
    .bind(m.to.iter().chain(&m.cc).cloned().collect::<Vec<_>>().join(", "))
    .bind(&m.in_reply_to)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT OR IGNORE INTO mailbox_messages (account_id, provider_id, thread_id, activity_id) VALUES (?, ?, ?, ?)",
    )
    .bind(account_id)
    .bind(&m.provider_id)
    .bind(&m.thread_id)
    .bind(activity_id)
    .execute(&mut **tx)
    .await?;
    if matched.direction == Direction::Inbound {
        // An answer to tracked outgoing mail: by In-Reply-To, or in the same thread of this mailbox.
        sqlx::query(
            "UPDATE emails SET replied_at = ?1 WHERE tracked = 1 AND replied_at IS NULL AND activity_id <> ?2 \
             AND activity_id IN (SELECT id FROM activities WHERE occurred_at <= ?3) \
             AND (message_id = ?4 OR activity_id IN (SELECT activity_id FROM mailbox_messages WHERE account_id = ?5 AND thread_id = ?6))",
        )
        .bind(m.received_at)
        .bind(activity_id)
        .bind(m.received_at)
        .bind(&m.in_reply_to)
        .bind(account_id)
        .bind(&m.thread_id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(inserted.is_some())
}
