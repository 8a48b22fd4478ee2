//! Clients: create, edit, archive, list (search, tag filter, sort, paging), tags, custom fields.

use cremmy_protocol::crm::{
    Client, ClientInput, ClientKind, ClientList, ClientQuery, ClientRow, ClientSort, CustomField,
    CustomFieldValue, FieldType, Id,
};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::rows::Stored;
use super::search::fts_query;
use super::write::{self, NewClient};
use super::{validate, Crm, CrmError, CrmResult, Date, Entity};

pub const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 500;

#[derive(sqlx::FromRow)]
struct ClientDbRow {
    id: i64,
    name: String,
    kind: String,
    website: String,
    domain: String,
    notes: String,
    archived: bool,
    created_at: i64,
    updated_at: i64,
}

struct CleanClient {
    name: String,
    kind: ClientKind,
    website: String,
    domain: String,
    notes: String,
    tags: Vec<String>,
}

fn clean(input: &ClientInput) -> CrmResult<CleanClient> {
    let name = validate::name("name", &input.name)?;
    let website = validate::text("website", &input.website)?;
    let notes = validate::text("notes", &input.notes)?;
    let mut tags: Vec<String> = Vec::new();
    for tag in &input.tags {
        let tag = validate::name("tag", tag)?;
        if !tags.iter().any(|t| t.eq_ignore_ascii_case(&tag)) {
            tags.push(tag);
        }
    }
    Ok(CleanClient {
        name,
        kind: input.kind,
        domain: validate::domain_of(&website),
        website,
        notes,
        tags,
    })
}

fn check_field_value(field: &CustomField, value: &str) -> CrmResult<()> {
    let v = value.trim();
    let ok = match field.value_type {
        FieldType::Text => true,
        FieldType::Number => v.parse::<f64>().is_ok_and(f64::is_finite),
        FieldType::Date => Date::parse("date", v).is_ok(),
        FieldType::Bool => matches!(v, "true" | "false"),
        FieldType::Url => v.starts_with("https://") || v.starts_with("http://"),
    };
    if ok {
        Ok(())
    } else {
        Err(CrmError::invalid(
            "custom field",
            format!(
                "{}: \"{v}\" is not a valid {:?} value",
                field.name, field.value_type
            ),
        ))
    }
}

impl Crm {
    pub async fn create_client(&self, input: &ClientInput) -> CrmResult<Client> {
        let c = clean(input)?;
        let now = self.now();
        let mut tx = self.begin().await?;
        let new = NewClient {
            name: &c.name,
            kind: c.kind,
            website: &c.website,
            domain: &c.domain,
            notes: &c.notes,
            created_at: now,
        };
        let id = write::insert_client(&mut tx, &new).await?;
        set_tags(&mut tx, id, &c.tags).await?;
        self.set_field_values(&mut tx, id, &input.custom_fields)
            .await?;
        tx.commit(now).await?;
        self.client(id).await
    }

    pub async fn update_client(&self, id: Id, input: &ClientInput) -> CrmResult<Client> {
        let c = clean(input)?;
        let mut tx = self.writer().begin().await?;
        let updated = sqlx::query("UPDATE clients SET name = ?, kind = ?, website = ?, domain = ?, notes = ?, updated_at = ? WHERE id = ?")
            .bind(&c.name)
            .bind(c.kind.as_db())
            .bind(&c.website)
            .bind(&c.domain)
            .bind(&c.notes)
            .bind(self.now())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if updated.rows_affected() == 0 {
            return Err(CrmError::NotFound {
                entity: Entity::Client,
                id,
            });
        }
        set_tags(&mut tx, id, &c.tags).await?;
        self.set_field_values(&mut tx, id, &input.custom_fields)
            .await?;
        tx.commit().await?;
        self.client(id).await
    }

    /// Archived clients leave the list and the board's new-deal pickers; their history stays.
    pub async fn set_client_archived(&self, id: Id, archived: bool) -> CrmResult<Client> {
        self.set_archived(Entity::Client, id, archived).await?;
        self.client(id).await
    }

    pub async fn client(&self, id: Id) -> CrmResult<Client> {
        let row: ClientDbRow = sqlx::query_as(
            "SELECT id, name, kind, website, domain, notes, archived, created_at, updated_at FROM clients WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(CrmError::NotFound { entity: Entity::Client, id })?;
        let tags: Vec<String> = sqlx::query_scalar(
            "SELECT t.name FROM client_tags ct JOIN tags t ON t.id = ct.tag_id WHERE ct.client_id = ? ORDER BY t.name COLLATE NOCASE",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        let fields: Vec<(i64, String, String, String)> = sqlx::query_as(
            "SELECT f.id, f.name, f.value_type, v.value FROM client_field_values v JOIN custom_fields f ON f.id = v.field_id \
             WHERE v.client_id = ? ORDER BY f.position, f.id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        Ok(Client {
            id: row.id,
            name: row.name,
            kind: ClientKind::from_db(&row.kind),
            website: row.website,
            domain: row.domain,
            notes: row.notes,
            tags,
            custom_fields: fields
                .into_iter()
                .map(|(field_id, name, t, value)| CustomFieldValue {
                    field_id,
                    name,
                    value_type: FieldType::from_db(&t),
                    value,
                })
                .collect(),
            archived: row.archived,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }

    pub async fn list_clients(&self, q: &ClientQuery) -> CrmResult<ClientList> {
        let limit = if q.limit <= 0 {
            DEFAULT_PAGE
        } else {
            q.limit.min(MAX_PAGE)
        };
        let fts = fts_query(&q.text);
        if !q.text.trim().is_empty() && fts.is_none() {
            return Ok(ClientList {
                rows: Vec::new(),
                total: 0,
            });
        }
        let filters = |b: &mut QueryBuilder<'_, Sqlite>| {
            b.push(" WHERE 1 = 1");
            if !q.include_archived {
                b.push(" AND c.archived = 0");
            }
            if let Some(min) = q.min_score.filter(|m| *m > 0) {
                b.push(" AND (SELECT total FROM client_scores WHERE client_id = c.id) >= ")
                    .push_bind(i64::from(min));
            }
            if let Some(tag) = q.tag.as_deref().filter(|t| !t.trim().is_empty()) {
                b.push(" AND EXISTS (SELECT 1 FROM client_tags ct JOIN tags t ON t.id = ct.tag_id WHERE ct.client_id = c.id AND t.name = ")
                    .push_bind(tag.trim().to_string())
                    .push(")");
            }
            if let Some(fts) = &fts {
                b.push(" AND c.id IN (SELECT rowid / 8 FROM search_entities WHERE search_entities MATCH ")
                    .push_bind(fts.clone())
                    .push(" AND rowid % 8 = 1 UNION SELECT client_id FROM contacts WHERE id IN (SELECT rowid / 8 FROM search_entities WHERE search_entities MATCH ")
                    .push_bind(fts.clone())
                    .push(" AND rowid % 8 = 2))");
            }
        };
        let mut count = QueryBuilder::new("SELECT count(*) FROM clients c");
        filters(&mut count);
        let total: i64 = count.build_query_scalar().fetch_one(self.pool()).await?;

        let mut select = QueryBuilder::new(
            "SELECT c.id, c.name, c.domain, c.archived, c.updated_at, c.created_at, \
             (SELECT total FROM client_scores WHERE client_id = c.id) AS score, \
             (SELECT group_concat(name, char(31)) FROM (SELECT t.name FROM client_tags ct JOIN tags t ON t.id = ct.tag_id WHERE ct.client_id = c.id ORDER BY t.name COLLATE NOCASE)) AS tags, \
             (SELECT name FROM contacts WHERE client_id = c.id AND archived = 0 ORDER BY id LIMIT 1) AS primary_contact, \
             (SELECT count(*) FROM deals d JOIN stages s ON s.id = d.stage_id WHERE d.client_id = c.id AND s.kind = 'open') AS open_deals \
             FROM clients c",
        );
        filters(&mut select);
        select.push(match q.sort {
            ClientSort::Name => " ORDER BY c.name COLLATE NOCASE, c.id",
            ClientSort::NameDescending => " ORDER BY c.name COLLATE NOCASE DESC, c.id DESC",
            ClientSort::OpenDeals => " ORDER BY open_deals DESC, c.name COLLATE NOCASE, c.id",
            ClientSort::Score => " ORDER BY score IS NULL, score DESC, c.name COLLATE NOCASE, c.id",
            ClientSort::RecentlyUpdated => " ORDER BY c.updated_at DESC, c.id DESC",
            ClientSort::RecentlyCreated => " ORDER BY c.created_at DESC, c.id DESC",
        });
        select
            .push(" LIMIT ")
            .push_bind(limit)
            .push(" OFFSET ")
            .push_bind(q.offset.max(0));
        let rows: Vec<(
            i64,
            String,
            String,
            bool,
            i64,
            i64,
            Option<i64>,
            Option<String>,
            Option<String>,
            i64,
        )> = select.build_query_as().fetch_all(self.pool()).await?;
        Ok(ClientList {
            rows: rows
                .into_iter()
                .map(
                    |(
                        id,
                        name,
                        domain,
                        archived,
                        updated_at,
                        created_at,
                        score,
                        tags,
                        primary_contact,
                        open_deals,
                    )| ClientRow {
                        id,
                        name,
                        domain,
                        tags: tags
                            .map(|t| t.split('\u{1f}').map(str::to_string).collect())
                            .unwrap_or_default(),
                        primary_contact,
                        open_deals,
                        archived,
                        updated_at,
                        created_at,
                        score: score.map(|s| s.clamp(0, 100) as u8),
                    },
                )
                .collect(),
            total,
        })
    }

    /// Every tag in use, for the list's filter.
    pub async fn tags(&self) -> CrmResult<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT name FROM tags WHERE EXISTS (SELECT 1 FROM client_tags WHERE tag_id = tags.id) ORDER BY name COLLATE NOCASE",
        )
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn create_custom_field(
        &self,
        name: &str,
        value_type: FieldType,
    ) -> CrmResult<CustomField> {
        let name = validate::name("field name", name)?;
        let id: Id = sqlx::query_scalar(
            "INSERT INTO custom_fields (name, value_type, position) VALUES (?, ?, (SELECT coalesce(max(position), -1) + 1 FROM custom_fields)) \
             ON CONFLICT (name) DO NOTHING RETURNING id",
        )
        .bind(&name)
        .bind(value_type.as_db())
        .fetch_optional(self.writer())
        .await?
        .ok_or_else(|| CrmError::invalid("field name", format!("a field called \"{name}\" already exists")))?;
        Ok(CustomField {
            id,
            name,
            value_type,
        })
    }

    pub async fn custom_fields(&self) -> CrmResult<Vec<CustomField>> {
        let rows: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT id, name, value_type FROM custom_fields ORDER BY position, id")
                .fetch_all(self.pool())
                .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, t)| CustomField {
                id,
                name,
                value_type: FieldType::from_db(&t),
            })
            .collect())
    }

    async fn set_field_values(
        &self,
        tx: &mut SqliteConnection,
        client_id: Id,
        values: &[(Id, String)],
    ) -> CrmResult<()> {
        for (field_id, value) in values {
            let field = sqlx::query_as::<_, (i64, String, String)>(
                "SELECT id, name, value_type FROM custom_fields WHERE id = ?",
            )
            .bind(field_id)
            .fetch_optional(&mut *tx)
            .await?
            .map(|(id, name, t)| CustomField {
                id,
                name,
                value_type: FieldType::from_db(&t),
            })
            .ok_or(CrmError::NotFound {
                entity: Entity::CustomField,
                id: *field_id,
            })?;
            if value.trim().is_empty() {
                sqlx::query("DELETE FROM client_field_values WHERE client_id = ? AND field_id = ?")
                    .bind(client_id)
                    .bind(field_id)
                    .execute(&mut *tx)
                    .await?;
                continue;
            }
            check_field_value(&field, value)?;
            sqlx::query("INSERT INTO client_field_values (client_id, field_id, value) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value")
                .bind(client_id)
                .bind(field_id)
                .bind(value.trim())
                .execute(&mut *tx)
                .await?;
        }
        Ok(())
    }
}

/// Replaces a client's tags, creating tags that do not exist yet.
pub(super) async fn set_tags(
    tx: &mut SqliteConnection,
    client_id: Id,
    tags: &[String],
) -> CrmResult<()> {
    sqlx::query("DELETE FROM client_tags WHERE client_id = ?")
        .bind(client_id)
        .execute(&mut *tx)
        .await?;
    for tag in tags {
        sqlx::query("INSERT INTO tags (name) VALUES (?) ON CONFLICT (name) DO NOTHING")
            .bind(tag)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT OR IGNORE INTO client_tags (client_id, tag_id) SELECT ?, id FROM tags WHERE name = ?")
            .bind(client_id)
            .bind(tag)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}
