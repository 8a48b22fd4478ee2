//! The writes CRM sync makes to records that already exist: what a first import merges into a
//! matched client or contact, and what a two-way sync brings in. New rows still come only from
//! `write.rs`; these only update clients, contacts and deals and their emails and phones.

use cremmy_protocol::crm::Id;
use sqlx::SqliteConnection;

use crate::clock::Timestamp;

/// What a record at the user's CRM brings to the client it was matched with.
pub struct MergedClient<'a> {
    /// Replaces the client's name (the user chose the CRM's); `None` keeps it.
    pub name: Option<&'a str>,
    /// Fills an empty website (or replaces it, with `name`).
    pub website: &'a str,
    /// Fills an empty domain.
    pub domain: &'a str,
}

/// Merges a CRM's company into the client it matched: what the client lacks is filled in.
pub async fn merge_into_client(
    tx: &mut SqliteConnection,
    id: Id,
    m: &MergedClient<'_>,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE clients SET \
           name = coalesce(?2, name), \
           website = CASE WHEN (?2 IS NOT NULL OR website = '') AND ?3 <> '' THEN ?3 ELSE website END, \
           domain = CASE WHEN domain = '' THEN ?4 ELSE domain END, \
           updated_at = ?5 WHERE id = ?1",
    )
    .bind(id)
    .bind(m.name)
    .bind(m.website)
    .bind(m.domain)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// What a person at the user's CRM brings to the contact it was matched with.
pub struct MergedContact<'a> {
    /// Replaces the contact's name (the user chose the CRM's); `None` keeps it.
    pub name: Option<&'a str>,
    /// Fills an empty title (or replaces it, with `name`).
    pub title: &'a str,
    /// Becomes the primary phone of a contact without one.
    pub phone: Option<&'a str>,
}

/// Merges a CRM's person into the contact it matched: what the contact lacks is filled in.
pub async fn merge_into_contact(
    tx: &mut SqliteConnection,
    id: Id,
    m: &MergedContact<'_>,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE contacts SET \
           name = coalesce(?2, name), \
           title = CASE WHEN (?2 IS NOT NULL OR title = '') AND ?3 <> '' THEN ?3 ELSE title END, \
           updated_at = ?4 WHERE id = ?1",
    )
    .bind(id)
    .bind(m.name)
    .bind(m.title)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if let Some(phone) = m.phone {
        sqlx::query(
            "INSERT INTO contact_phones (contact_id, phone, is_primary) \
             SELECT ?1, ?2, 1 WHERE NOT EXISTS (SELECT 1 FROM contact_phones WHERE contact_id = ?1)",
        )
        .bind(id)
        .bind(phone)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// Values a two-way CRM sync brings in for a client (`None`: unchanged).
#[derive(Default)]
pub struct SyncedClient<'a> {
    pub name: Option<&'a str>,
    /// The domain follows the website.
    pub website: Option<&'a str>,
}

pub async fn set_synced_client(
    tx: &mut SqliteConnection,
    id: Id,
    c: &SyncedClient<'_>,
    now: Timestamp,
) -> sqlx::Result<()> {
    let domain = c.website.map(super::validate::domain_of);
    sqlx::query(
        "UPDATE clients SET name = coalesce(nullif(?2, ''), name), website = coalesce(?3, website), \
         domain = coalesce(?4, domain), updated_at = ?5 WHERE id = ?1",
    )
    .bind(id)
    .bind(c.name)
    .bind(c.website)
    .bind(domain)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Values a two-way CRM sync brings in for a contact (`None`: unchanged).
#[derive(Default)]
pub struct SyncedContact<'a> {
    pub name: Option<&'a str>,
    pub title: Option<&'a str>,
    /// The primary email; an address another contact holds is left as it was.
    pub email: Option<&'a str>,
    /// The primary phone; empty removes it.
    pub phone: Option<&'a str>,
}

pub async fn set_synced_contact(
    tx: &mut SqliteConnection,
    id: Id,
    c: &SyncedContact<'_>,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE contacts SET name = coalesce(nullif(?2, ''), name), title = coalesce(?3, title), \
         updated_at = ?4 WHERE id = ?1",
    )
    .bind(id)
    .bind(c.name)
    .bind(c.title)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if let Some(email) = c.email.map(str::to_lowercase).filter(|e| e.contains('@')) {
        let updated = sqlx::query(
            "UPDATE OR IGNORE contact_emails SET email = ?2 WHERE contact_id = ?1 AND is_primary = 1",
        )
        .bind(id)
        .bind(&email)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            sqlx::query(
                "INSERT OR IGNORE INTO contact_emails (contact_id, email, is_primary) \
                 SELECT ?1, ?2, 1 WHERE NOT EXISTS \
                   (SELECT 1 FROM contact_emails WHERE contact_id = ?1 AND is_primary = 1)",
            )
            .bind(id)
            .bind(&email)
            .execute(&mut *tx)
            .await?;
        }
    }
    match c.phone {
        Some("") => {
            sqlx::query("DELETE FROM contact_phones WHERE contact_id = ? AND is_primary = 1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        Some(phone) => {
            let updated = sqlx::query(
                "UPDATE contact_phones SET phone = ?2 WHERE contact_id = ?1 AND is_primary = 1",
            )
            .bind(id)
            .bind(phone)
            .execute(&mut *tx)
            .await?;
            if updated.rows_affected() == 0 {
                sqlx::query(
                    "INSERT INTO contact_phones (contact_id, phone, is_primary) VALUES (?, ?, 1)",
                )
                .bind(id)
                .bind(phone)
                .execute(&mut *tx)
                .await?;
            }
        }
        None => {}
    }
    Ok(())
}

/// Values a two-way CRM sync brings in for a deal (`None`: unchanged).
#[derive(Default)]
pub struct SyncedDeal<'a> {
    pub title: Option<&'a str>,
    pub value_minor: Option<i64>,
}

pub async fn set_synced_deal(
    tx: &mut SqliteConnection,
    id: Id,
    d: &SyncedDeal<'_>,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE deals SET title = coalesce(nullif(?2, ''), title), \
         value_minor = coalesce(?3, value_minor), updated_at = ?4 WHERE id = ?1",
    )
    .bind(id)
    .bind(d.title)
    .bind(d.value_minor.map(|v| v.max(0)))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
