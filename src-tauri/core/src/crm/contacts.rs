//! Contacts: people at a client, with several emails and phones (the first of each is primary).
//! An email belongs to at most one contact: it is how mail and meetings find their client.

use cremmy_protocol::crm::{Contact, ContactInput, Id};
use sqlx::SqliteConnection;

use super::write::{self, NewContact};
use super::{validate, Crm, CrmError, CrmResult, Entity};

struct CleanContact {
    name: String,
    title: String,
    emails: Vec<String>,
    phones: Vec<String>,
}

fn clean(input: &ContactInput) -> CrmResult<CleanContact> {
    let name = validate::name("name", &input.name)?;
    let title = validate::text("title", &input.title)?;
    let mut emails: Vec<String> = Vec::new();
    for raw in input.emails.iter().filter(|e| !e.trim().is_empty()) {
        let email = validate::email(raw)?;
        if !emails.contains(&email) {
            emails.push(email);
        }
    }
    let mut phones: Vec<String> = Vec::new();
    for raw in input.phones.iter().filter(|p| !p.trim().is_empty()) {
        let phone = validate::phone(raw)?;
        if !phones.contains(&phone) {
            phones.push(phone);
        }
    }
    Ok(CleanContact {
        name,
        title,
        emails,
        phones,
    })
}

/// Fails with `EmailTaken` if any address belongs to a contact other than `contact_id`.
async fn check_emails_free(
    tx: &mut SqliteConnection,
    contact_id: Option<Id>,
    emails: &[String],
) -> CrmResult<()> {
    for email in emails {
        let owner: Option<(i64, String, String)> = sqlx::query_as(
            "SELECT c.id, c.name, cl.name FROM contact_emails e JOIN contacts c ON c.id = e.contact_id \
             JOIN clients cl ON cl.id = c.client_id WHERE e.email = ?",
        )
        .bind(email)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((id, name, client)) = owner {
            if Some(id) != contact_id {
                return Err(CrmError::EmailTaken {
                    email: email.clone(),
                    owner: format!("{name} ({client})"),
                });
            }
        }
    }
    Ok(())
}

async fn replace_addresses(
    tx: &mut SqliteConnection,
    contact_id: Id,
    c: &CleanContact,
) -> CrmResult<()> {
    sqlx::query("DELETE FROM contact_emails WHERE contact_id = ?")
        .bind(contact_id)
        .execute(&mut *tx)
        .await?;
    for (i, email) in c.emails.iter().enumerate() {
        sqlx::query("INSERT INTO contact_emails (contact_id, email, is_primary) VALUES (?, ?, ?)")
            .bind(contact_id)
            .bind(email)
            .bind(i == 0)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("DELETE FROM contact_phones WHERE contact_id = ?")
        .bind(contact_id)
        .execute(&mut *tx)
        .await?;
    for (i, phone) in c.phones.iter().enumerate() {
        sqlx::query("INSERT INTO contact_phones (contact_id, phone, is_primary) VALUES (?, ?, ?)")
            .bind(contact_id)
            .bind(phone)
            .bind(i == 0)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

impl Crm {
    pub async fn create_contact(&self, input: &ContactInput) -> CrmResult<Contact> {
        let c = clean(input)?;
        let now = self.now();
        let mut tx = self.writer().begin().await?;
        let client_exists: Option<i64> = sqlx::query_scalar("SELECT id FROM clients WHERE id = ?")
            .bind(input.client_id)
            .fetch_optional(&mut *tx)
            .await?;
        if client_exists.is_none() {
            return Err(CrmError::NotFound {
                entity: Entity::Client,
                id: input.client_id,
            });
        }
        check_emails_free(&mut tx, None, &c.emails).await?;
        let new = NewContact {
            client_id: input.client_id,
            name: &c.name,
            title: &c.title,
            // Addresses, several of each, follow.
            email: None,
            phone: None,
            created_at: now,
        };
        let id = write::insert_contact(&mut tx, &new).await?;
        replace_addresses(&mut tx, id, &c).await?;
        touch_client(&mut tx, input.client_id, now).await?;
        tx.commit().await?;
        self.contact(id).await
    }

    /// Edits a contact; `input.client_id` moves it to another client.
    pub async fn update_contact(&self, id: Id, input: &ContactInput) -> CrmResult<Contact> {
        let c = clean(input)?;
        let now = self.now();
        let mut tx = self.writer().begin().await?;
        check_emails_free(&mut tx, Some(id), &c.emails).await?;
        let updated = sqlx::query(
            "UPDATE contacts SET client_id = ?, name = ?, title = ?, updated_at = ? WHERE id = ?",
        )
        .bind(input.client_id)
        .bind(&c.name)
        .bind(&c.title)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => CrmError::NotFound {
                entity: Entity::Client,
                id: input.client_id,
            },
            _ => CrmError::Db(e),
        })?;
        if updated.rows_affected() == 0 {
            return Err(CrmError::NotFound {
                entity: Entity::Contact,
                id,
            });
        }
        replace_addresses(&mut tx, id, &c).await?;
        touch_client(&mut tx, input.client_id, now).await?;
        tx.commit().await?;
        self.contact(id).await
    }

    pub async fn set_contact_archived(&self, id: Id, archived: bool) -> CrmResult<Contact> {
        self.set_archived(Entity::Contact, id, archived).await?;
        self.contact(id).await
    }

    pub async fn contact(&self, id: Id) -> CrmResult<Contact> {
        let row: (i64, i64, String, String, bool) = sqlx::query_as(
            "SELECT id, client_id, name, title, archived FROM contacts WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(CrmError::NotFound {
            entity: Entity::Contact,
            id,
        })?;
        let mut contacts = self.assemble_contacts(vec![row]).await?;
        Ok(contacts.remove(0))
    }

    pub async fn contacts_of(&self, client_id: Id) -> CrmResult<Vec<Contact>> {
        let rows: Vec<(i64, i64, String, String, bool)> = sqlx::query_as(
            "SELECT id, client_id, name, title, archived FROM contacts WHERE client_id = ? ORDER BY archived, name COLLATE NOCASE, id",
        )
        .bind(client_id)
        .fetch_all(self.pool())
        .await?;
        self.assemble_contacts(rows).await
    }

    /// The contact an address belongs to (any case), if any.
    pub async fn contact_by_email(&self, email: &str) -> CrmResult<Option<Contact>> {
        let id: Option<i64> =
            sqlx::query_scalar("SELECT contact_id FROM contact_emails WHERE email = ?")
                .bind(email.trim().to_lowercase())
                .fetch_optional(self.pool())
                .await?;
        match id {
            Some(id) => Ok(Some(self.contact(id).await?)),
            None => Ok(None),
        }
    }

    async fn assemble_contacts(
        &self,
        rows: Vec<(i64, i64, String, String, bool)>,
    ) -> CrmResult<Vec<Contact>> {
        let mut out = Vec::with_capacity(rows.len());
        for (id, client_id, name, title, archived) in rows {
            let emails = sqlx::query_scalar("SELECT email FROM contact_emails WHERE contact_id = ? ORDER BY is_primary DESC, id")
                .bind(id)
                .fetch_all(self.pool())
                .await?;
            let phones = sqlx::query_scalar("SELECT phone FROM contact_phones WHERE contact_id = ? ORDER BY is_primary DESC, id")
                .bind(id)
                .fetch_all(self.pool())
                .await?;
            out.push(Contact {
                id,
                client_id,
                name,
                title,
                emails,
                phones,
                archived,
            });
        }
        Ok(out)
    }
}

pub(super) async fn touch_client(
    tx: &mut SqliteConnection,
    client_id: Id,
    now: i64,
) -> CrmResult<()> {
    sqlx::query("UPDATE clients SET updated_at = ? WHERE id = ?")
        .bind(now)
        .bind(client_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}
