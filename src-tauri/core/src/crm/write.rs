//! The one writer of CRM rows. Every path that creates a client, contact, deal, activity, task or
//! document (the window, the CLI, CSV import, the Leads sheet, mail and calendar sync, drafts,
//! generated documents) calls these functions inside its own transaction, so each row gets its
//! global id, its timestamps and the same rules (a new deal goes to the end of its stage) whoever
//! makes it. A test fails if an `INSERT INTO` one of these tables appears anywhere else.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use cremmy_protocol::crm::{
    ActivityKind, ActivitySource, ClientKind, CrmEvent, Direction, DocumentKind, Id,
    RecordedActivity,
};
use sqlx::{Sqlite, SqliteConnection, Transaction};

use super::rows::Stored;
use crate::clock::Timestamp;
use crate::crash_point::CrashSwitch;
use crate::db::Database;
use crate::events::EventBus;

/// A write transaction on the CRM tables that remembers the clients and activities it records
/// and announces them on the database's event bus once it commits (never before, never if it
/// rolls back). Every path that records a client or an activity goes through one, so no path can
/// forget to announce it.
pub struct CrmTx {
    tx: Transaction<'static, Sqlite>,
    bus: EventBus,
    crash: Arc<CrashSwitch>,
    clients: Vec<(Id, Timestamp)>,
    announced: Vec<CrmEvent>,
    activities: Vec<RecordedActivity>,
}

impl CrmTx {
    pub async fn begin(db: &Database) -> sqlx::Result<CrmTx> {
        Ok(CrmTx {
            tx: db.writer().begin().await?,
            bus: db.events().clone(),
            crash: db.crash_switch_handle(),
            clients: Vec::new(),
            announced: Vec::new(),
            activities: Vec::new(),
        })
    }

    /// `event` is published if (and once) this transaction commits.
    pub fn announce(&mut self, event: CrmEvent) {
        self.announced.push(event);
    }

    /// Commits, then announces: each new client (`ClientCreated`), the events announced with
    /// [`CrmTx::announce`] in their order, then the recorded activities in one
    /// `ActivitiesRecorded` (a sync page records hundreds; one event keeps the bus calm).
    pub async fn commit(self, now: Timestamp) -> sqlx::Result<()> {
        let n = self.crash.before_commit();
        self.tx.commit().await?;
        self.crash.after_commit(n);
        for (client_id, at) in self.clients {
            self.bus.publish(CrmEvent::ClientCreated { client_id, at });
        }
        for event in self.announced {
            self.bus.publish(event);
        }
        if !self.activities.is_empty() {
            self.bus.publish(CrmEvent::ActivitiesRecorded {
                activities: self.activities,
                at: now,
            });
        }
        Ok(())
    }

    /// Commits without announcing: only for the demo data, whose clients must not start
    /// follow-up work (a Drive folder per made-up client).
    pub async fn commit_unannounced(self) -> sqlx::Result<()> {
        let n = self.crash.before_commit();
        self.tx.commit().await?;
        self.crash.after_commit(n);
        Ok(())
    }
}

impl Deref for CrmTx {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        &self.tx
    }
}

impl DerefMut for CrmTx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.tx
    }
}

/// A fresh global id: a UUIDv7 (RFC 9562) string from `now` (Unix milliseconds) and 74 random
/// bits. Ids made later sort after earlier ones; two made in the same millisecond still differ.
pub fn new_gid(now: Timestamp) -> String {
    let mut random = [0u8; 10];
    // The OS random source failing is not recoverable here; fall back to the time's bits.
    if getrandom::fill(&mut random).is_err() {
        random = (now as u128).to_le_bytes()[..10]
            .try_into()
            .unwrap_or([0; 10]);
    }
    let ms = (now.max(0) as u64) & 0xFFFF_FFFF_FFFF;
    let mut b = [0u8; 16];
    b[..6].copy_from_slice(&ms.to_be_bytes()[2..]);
    b[6..].copy_from_slice(&random);
    b[6] = 0x70 | (b[6] & 0x0F);
    b[8] = 0x80 | (b[8] & 0x3F);
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

pub struct NewClient<'a> {
    pub name: &'a str,
    pub kind: ClientKind,
    pub website: &'a str,
    pub domain: &'a str,
    pub notes: &'a str,
    /// When it was made (the generator backdates its clients; everyone else passes now).
    pub created_at: Timestamp,
}

/// Records a client; announced as `ClientCreated` when `tx` commits.
pub async fn insert_client(tx: &mut CrmTx, c: &NewClient<'_>) -> sqlx::Result<Id> {
    let id = sqlx::query_scalar(
        "INSERT INTO clients (gid, name, kind, website, domain, notes, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(new_gid(c.created_at))
    .bind(c.name)
    .bind(c.kind.as_db())
    .bind(c.website)
    .bind(c.domain)
    .bind(c.notes)
    .bind(c.created_at)
    .bind(c.created_at)
    .fetch_one(&mut **tx)
    .await?;
    tx.clients.push((id, c.created_at));
    Ok(id)
}

pub struct NewContact<'a> {
    pub client_id: Id,
    pub name: &'a str,
    pub title: &'a str,
    /// The primary email and phone, if known (more are added by `crm::contacts`).
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub created_at: Timestamp,
}

pub async fn insert_contact(tx: &mut SqliteConnection, c: &NewContact<'_>) -> sqlx::Result<Id> {
    let id: Id = sqlx::query_scalar(
        "INSERT INTO contacts (gid, client_id, name, title, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(new_gid(c.created_at))
    .bind(c.client_id)
    .bind(c.name)
    .bind(c.title)
    .bind(c.created_at)
    .bind(c.created_at)
    .fetch_one(&mut *tx)
    .await?;
    if let Some(email) = c.email {
        sqlx::query("INSERT INTO contact_emails (contact_id, email, is_primary) VALUES (?, ?, 1)")
            .bind(id)
            .bind(email)
            .execute(&mut *tx)
            .await?;
    }
    if let Some(phone) = c.phone {
        sqlx::query("INSERT INTO contact_phones (contact_id, phone, is_primary) VALUES (?, ?, 1)")
            .bind(id)
            .bind(phone)
            .execute(&mut *tx)
            .await?;
    }
    Ok(id)
}

pub struct NewDeal<'a> {
    pub client_id: Id,
    pub title: &'a str,
    pub value_minor: i64,
    pub currency: &'a str,
    pub stage_id: Id,
    pub owner: &'a str,
    pub expected_close: Option<&'a str>,
    pub won_at: Option<Timestamp>,
    pub lost_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

/// A new deal goes to the end of its stage (positions count from 0).
pub async fn insert_deal(tx: &mut SqliteConnection, d: &NewDeal<'_>) -> sqlx::Result<Id> {
    sqlx::query_scalar(
        "INSERT INTO deals (gid, client_id, title, value_minor, currency, stage_id, owner, expected_close, position, \
                            won_at, lost_at, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, (SELECT coalesce(max(position), -1) + 1 FROM deals WHERE stage_id = ?), \
                 ?, ?, ?, ?) RETURNING id",
    )
    .bind(new_gid(d.created_at))
    .bind(d.client_id)
    .bind(d.title)
    .bind(d.value_minor)
    .bind(d.currency)
    .bind(d.stage_id)
    .bind(d.owner)
    .bind(d.expected_close)
    .bind(d.stage_id)
    .bind(d.won_at)
    .bind(d.lost_at)
    .bind(d.created_at)
    .bind(d.created_at)
    .fetch_one(&mut *tx)
    .await
}

pub struct NewActivity<'a> {
    pub client_id: Id,
    pub contact_id: Option<Id>,
    pub deal_id: Option<Id>,
    pub kind: ActivityKind,
    pub direction: Direction,
    pub subject: &'a str,
    pub body: &'a str,
    pub occurred_at: Timestamp,
    pub source: ActivitySource,
    /// The item's id at its source; `(source, external_id)` is unique.
    pub external_id: Option<&'a str>,
}

/// Records an activity; with an `external_id` already recorded for its source, nothing is written
/// and `None` comes back (a re-sync of the same item). A new one is announced (in
/// `ActivitiesRecorded`) when `tx` commits.
pub async fn insert_activity(
    tx: &mut CrmTx,
    a: &NewActivity<'_>,
    now: Timestamp,
) -> sqlx::Result<Option<Id>> {
    let id: Option<Id> = sqlx::query_scalar(
        "INSERT INTO activities (gid, client_id, contact_id, deal_id, kind, direction, subject, body, occurred_at, \
                                 source, external_id, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, external_id) DO NOTHING RETURNING id",
    )
    .bind(new_gid(now))
    .bind(a.client_id)
    .bind(a.contact_id)
    .bind(a.deal_id)
    .bind(a.kind.as_db())
    .bind(a.direction.as_db())
    .bind(a.subject)
    .bind(a.body)
    .bind(a.occurred_at)
    .bind(a.source.as_db())
    .bind(a.external_id)
    .bind(now)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(activity_id) = id {
        tx.activities.push(RecordedActivity {
            activity_id,
            client_id: a.client_id,
            kind: a.kind,
            direction: a.direction,
            source: a.source,
        });
    }
    Ok(id)
}

/// The activity recorded for `(source, external_id)`, if any.
pub async fn activity_for(
    tx: &mut SqliteConnection,
    source: ActivitySource,
    external_id: &str,
) -> sqlx::Result<Option<Id>> {
    sqlx::query_scalar("SELECT id FROM activities WHERE source = ? AND external_id = ?")
        .bind(source.as_db())
        .bind(external_id)
        .fetch_optional(&mut *tx)
        .await
}

/// Brings an activity from outside up to date (its item changed at the source).
pub async fn update_external_activity(
    tx: &mut SqliteConnection,
    id: Id,
    subject: &str,
    body: &str,
    occurred_at: Timestamp,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE activities SET subject = ?, body = ?, occurred_at = ?, updated_at = ? WHERE id = ?",
    )
    .bind(subject)
    .bind(body)
    .bind(occurred_at)
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

pub struct NewTask<'a> {
    pub title: &'a str,
    pub notes: &'a str,
    /// A local calendar date, `YYYY-MM-DD`.
    pub due_date: Option<&'a str>,
    /// A local wall time, `HH:MM` (only with a date).
    pub due_time: Option<&'a str>,
    pub reminder_at: Option<Timestamp>,
    pub client_id: Option<Id>,
    pub deal_id: Option<Id>,
}

pub async fn insert_task(
    tx: &mut SqliteConnection,
    t: &NewTask<'_>,
    now: Timestamp,
) -> sqlx::Result<Id> {
    sqlx::query_scalar(
        "INSERT INTO tasks (gid, title, notes, due_date, due_time, reminder_at, client_id, deal_id, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(new_gid(now))
    .bind(t.title)
    .bind(t.notes)
    .bind(t.due_date)
    .bind(t.due_time)
    .bind(t.reminder_at)
    .bind(t.client_id)
    .bind(t.deal_id)
    .bind(now)
    .bind(now)
    .fetch_one(&mut *tx)
    .await
}

pub struct NewDocument<'a> {
    pub client_id: Id,
    pub deal_id: Option<Id>,
    pub title: &'a str,
    pub kind: DocumentKind,
    pub local_path: Option<&'a str>,
    /// Where the document lives when it is not a local file, and its id there.
    pub provider: Option<&'a str>,
    pub external_id: Option<&'a str>,
    pub url: Option<&'a str>,
}

pub async fn insert_document(
    tx: &mut SqliteConnection,
    d: &NewDocument<'_>,
    now: Timestamp,
) -> sqlx::Result<Id> {
    sqlx::query_scalar(
        "INSERT INTO documents (gid, client_id, deal_id, title, kind, local_path, provider, external_id, url, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(new_gid(now))
    .bind(d.client_id)
    .bind(d.deal_id)
    .bind(d.title)
    .bind(d.kind.as_db())
    .bind(d.local_path)
    .bind(d.provider)
    .bind(d.external_id)
    .bind(d.url)
    .bind(now)
    .bind(now)
    .fetch_one(&mut *tx)
    .await
}

/// Removes an email activity whose message is gone from every mailbox Cremmy reads (deleted, or
/// moved to Trash or Spam), unless Cremmy itself sent it. Whether it went.
pub async fn remove_vanished_email(tx: &mut SqliteConnection, id: Id) -> sqlx::Result<bool> {
    let gone = sqlx::query(
        "DELETE FROM activities WHERE id = ?1 AND kind = 'email' \
         AND NOT EXISTS (SELECT 1 FROM emails WHERE activity_id = ?1 AND tracked = 1)",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    Ok(gone.rows_affected() > 0)
}

/// Marks an activity's item cancelled at its source ("Cancelled: …" once). Whether it changed.
pub async fn mark_activity_cancelled(
    tx: &mut SqliteConnection,
    id: Id,
    now: Timestamp,
) -> sqlx::Result<bool> {
    let changed = sqlx::query(
        "UPDATE activities SET subject = 'Cancelled: ' || subject, updated_at = ? \
         WHERE id = ? AND subject NOT LIKE 'Cancelled: %'",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    Ok(changed.rows_affected() > 0)
}
