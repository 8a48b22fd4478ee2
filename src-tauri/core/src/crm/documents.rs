//! Documents linked to a client: a local file or a provider file (e.g. a Google Doc).

use cremmy_protocol::crm::{Document, DocumentKind, Id};

use super::rows::Stored;
use super::write::{self, NewDocument};
use super::{validate, Crm, CrmError, CrmResult, Entity};

/// Where a document lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentLocation {
    Local {
        path: String,
    },
    Provider {
        provider: String,
        external_id: String,
        url: String,
    },
}

type DocumentDbRow = (
    i64,
    i64,
    Option<i64>,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
);

const DOCUMENT_COLUMNS: &str =
    "id, client_id, deal_id, title, kind, local_path, provider, external_id, url, created_at FROM documents";

fn from_row(r: DocumentDbRow) -> Document {
    Document {
        id: r.0,
        client_id: r.1,
        deal_id: r.2,
        title: r.3,
        kind: DocumentKind::from_db(&r.4),
        local_path: r.5,
        provider: r.6,
        external_id: r.7,
        url: r.8,
        created_at: r.9,
    }
}

impl Crm {
    pub async fn add_document(
        &self,
        client_id: Id,
        deal_id: Option<Id>,
        title: &str,
        kind: DocumentKind,
        location: &DocumentLocation,
    ) -> CrmResult<Document> {
        let title = validate::name("title", title)?;
        let (path, provider, external_id, url) = match location {
            DocumentLocation::Local { path } => (Some(path.clone()), None, None, None),
            DocumentLocation::Provider {
                provider,
                external_id,
                url,
            } => (
                None,
                Some(provider.clone()),
                Some(external_id.clone()),
                Some(url.clone()),
            ),
        };
        let new = NewDocument {
            client_id,
            deal_id,
            title: &title,
            kind,
            local_path: path.as_deref(),
            provider: provider.as_deref(),
            external_id: external_id.as_deref(),
            url: url.as_deref(),
        };
        let mut tx = self.writer().begin().await?;
        let id = write::insert_document(&mut tx, &new, self.now())
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(d) if d.is_foreign_key_violation() => CrmError::NotFound {
                    entity: Entity::Client,
                    id: client_id,
                },
                _ => CrmError::Db(e),
            })?;
        tx.commit().await?;
        let row: DocumentDbRow = sqlx::query_as(&format!("SELECT {DOCUMENT_COLUMNS} WHERE id = ?"))
            .bind(id)
            .fetch_one(self.pool())
            .await?;
        Ok(from_row(row))
    }

    pub async fn documents_of(&self, client_id: Id) -> CrmResult<Vec<Document>> {
        let rows: Vec<DocumentDbRow> = sqlx::query_as(&format!(
            "SELECT {DOCUMENT_COLUMNS} WHERE client_id = ? ORDER BY created_at DESC, id DESC"
        ))
        .bind(client_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(from_row).collect())
    }
}
