//! The clients list's selection and saved filters: tag, untag, archive or restore many clients in
//! one transaction (all or nothing), export the selection as CSV, and named filters kept in the
//! settings table.

use std::io::Write;

use cremmy_protocol::crm::{BulkClientAction, BulkClientEdit, Id, SavedFilter};

use super::{neutralised, validate, Crm, CrmError, CrmResult, Entity};

const SAVED_FILTERS: &str = "clients.saved_filters";
/// A selection larger than this is not a selection; use a tag or a filter.
pub const MAX_SELECTION: usize = 10_000;
const MAX_FILTERS: usize = 30;

impl Crm {
    /// The selection's ids, checked: not empty, not huge, each an existing client (else nothing
    /// is done and the first missing one is named).
    async fn checked_selection(&self, ids: &[Id]) -> CrmResult<Vec<Id>> {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Err(CrmError::invalid("selection", "select at least one client"));
        }
        if ids.len() > MAX_SELECTION {
            return Err(CrmError::invalid(
                "selection",
                format!("select at most {MAX_SELECTION} clients; use a tag or a filter for more"),
            ));
        }
        let json = serde_json::to_string(&ids)
            .map_err(|e| CrmError::invalid("selection", e.to_string()))?;
        let missing: Option<Id> = sqlx::query_scalar(
            "SELECT j.value FROM json_each(?) j WHERE NOT EXISTS (SELECT 1 FROM clients c WHERE c.id = j.value) LIMIT 1",
        )
        .bind(&json)
        .fetch_optional(self.pool())
        .await?;
        if let Some(id) = missing {
            return Err(CrmError::NotFound {
                entity: Entity::Client,
                id,
            });
        }
        Ok(ids)
    }

    /// Applies `edit` to every selected client; returns how many changed.
    pub async fn edit_clients(&self, edit: &BulkClientEdit) -> CrmResult<u64> {
        let ids = self.checked_selection(&edit.client_ids).await?;
        let json = serde_json::to_string(&ids)
            .map_err(|e| CrmError::invalid("selection", e.to_string()))?;
        let now = self.now();
        let mut tx = self.begin().await?;
        let changed = match &edit.action {
            BulkClientAction::AddTag { tag } => {
                let tag = validate::name("tag", tag)?;
                sqlx::query("INSERT INTO tags (name) VALUES (?) ON CONFLICT (name) DO NOTHING")
                    .bind(&tag)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT OR IGNORE INTO client_tags (client_id, tag_id) \
                     SELECT j.value, t.id FROM json_each(?) j, tags t WHERE t.name = ?",
                )
                .bind(&json)
                .bind(&tag)
                .execute(&mut *tx)
                .await?
                .rows_affected()
            }
            BulkClientAction::RemoveTag { tag } => {
                let tag = validate::name("tag", tag)?;
                sqlx::query(
                    "DELETE FROM client_tags WHERE client_id IN (SELECT value FROM json_each(?)) \
                     AND tag_id = (SELECT id FROM tags WHERE name = ?)",
                )
                .bind(&json)
                .bind(&tag)
                .execute(&mut *tx)
                .await?
                .rows_affected()
            }
            BulkClientAction::Archive | BulkClientAction::Restore => {
                let archived = matches!(edit.action, BulkClientAction::Archive);
                sqlx::query(
                    "UPDATE clients SET archived = ?, updated_at = ? \
                     WHERE id IN (SELECT value FROM json_each(?)) AND archived <> ?",
                )
                .bind(archived)
                .bind(now)
                .bind(&json)
                .bind(archived)
                .execute(&mut *tx)
                .await?
                .rows_affected()
            }
        };
        if matches!(
            edit.action,
            BulkClientAction::AddTag { .. } | BulkClientAction::RemoveTag { .. }
        ) {
            sqlx::query(
                "UPDATE clients SET updated_at = ? WHERE id IN (SELECT value FROM json_each(?))",
            )
            .bind(now)
            .bind(&json)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit(now).await?;
        Ok(changed)
    }

    /// Writes the selected clients as CSV (name, website, primary contact, email, phone, tags, open
    /// deals, archived); returns the number of rows.
    pub async fn export_clients_csv(&self, ids: &[Id], out: impl Write) -> CrmResult<u64> {
        let ids = self.checked_selection(ids).await?;
        let json = serde_json::to_string(&ids)
            .map_err(|e| CrmError::invalid("selection", e.to_string()))?;
        type Row = (
            String,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            i64,
            bool,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT c.name, c.website, p.name, \
               (SELECT email FROM contact_emails WHERE contact_id = p.id ORDER BY is_primary DESC, id LIMIT 1), \
               (SELECT phone FROM contact_phones WHERE contact_id = p.id ORDER BY is_primary DESC, id LIMIT 1), \
               (SELECT group_concat(name, '; ') FROM (SELECT t.name FROM client_tags ct JOIN tags t ON t.id = ct.tag_id \
                  WHERE ct.client_id = c.id ORDER BY t.name COLLATE NOCASE)), \
               (SELECT count(*) FROM deals d JOIN stages s ON s.id = d.stage_id WHERE d.client_id = c.id AND s.kind = 'open'), \
               c.archived \
             FROM clients c LEFT JOIN contacts p ON p.id = (SELECT id FROM contacts WHERE client_id = c.id AND archived = 0 ORDER BY id LIMIT 1) \
             WHERE c.id IN (SELECT value FROM json_each(?)) ORDER BY c.name COLLATE NOCASE, c.id",
        )
        .bind(&json)
        .fetch_all(self.pool())
        .await?;
        let mut w = csv::Writer::from_writer(out);
        let io = |e: csv::Error| CrmError::Export(e.into());
        w.write_record([
            "name",
            "website",
            "primary_contact",
            "email",
            "phone",
            "tags",
            "open_deals",
            "archived",
        ])
        .map_err(io)?;
        for (name, website, contact, email, phone, tags, open, archived) in &rows {
            w.write_record([
                neutralised(name.clone()),
                neutralised(website.clone()),
                neutralised(contact.clone().unwrap_or_default()),
                neutralised(email.clone().unwrap_or_default()),
                neutralised(phone.clone().unwrap_or_default()),
                neutralised(tags.clone().unwrap_or_default()),
                open.to_string(),
                archived.to_string(),
            ])
            .map_err(io)?;
        }
        w.flush().map_err(CrmError::Export)?;
        Ok(rows.len() as u64)
    }

    pub async fn saved_filters(&self) -> CrmResult<Vec<SavedFilter>> {
        Ok(self
            .database()
            .json_setting(SAVED_FILTERS)
            .await?
            .unwrap_or_default())
    }

    /// Saves `filter` under its name (replacing one of the same name, whatever its case).
    pub async fn save_filter(&self, filter: &SavedFilter) -> CrmResult<Vec<SavedFilter>> {
        let name = validate::name("filter name", &filter.name)?;
        let mut filters = self.saved_filters().await?;
        filters.retain(|f| !f.name.eq_ignore_ascii_case(&name));
        if filters.len() >= MAX_FILTERS {
            return Err(CrmError::invalid(
                "filter name",
                format!("at most {MAX_FILTERS} saved filters; delete one first"),
            ));
        }
        let mut query = filter.query.clone();
        query.offset = 0;
        filters.push(SavedFilter { name, query });
        filters.sort_by_key(|f| f.name.to_lowercase());
        self.put_filters(&filters).await?;
        Ok(filters)
    }

    pub async fn delete_filter(&self, name: &str) -> CrmResult<Vec<SavedFilter>> {
        let mut filters = self.saved_filters().await?;
        filters.retain(|f| !f.name.eq_ignore_ascii_case(name.trim()));
        self.put_filters(&filters).await?;
        Ok(filters)
    }

    async fn put_filters(&self, filters: &[SavedFilter]) -> CrmResult<()> {
        let json = serde_json::to_string(filters)
            .map_err(|e| CrmError::invalid("filter", e.to_string()))?;
        self.database()
            .put_setting(SAVED_FILTERS, Some(&json), self.now())
            .await?;
        Ok(())
    }
}
