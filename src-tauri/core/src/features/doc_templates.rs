//! "Generate proposal/contract": copy the template Google Doc into the client's Drive folder as
//! "Proposal - <Client>", replace every `{{variable}}` in one batchUpdate, then record a Document
//! and an activity. Unknown or unfilled variables are listed before anything is copied; a failure
//! after the copy trashes it, so no half-filled document is ever recorded as done.

use std::collections::BTreeMap;
use std::future::Future;

use cremmy_protocol::crm::{ActivityKind, ActivitySource, Direction, Document, DocumentKind, Id};
use cremmy_protocol::docs::{DocPreview, DocRequest, DocTemplates};
use cremmy_protocol::Provider;

use crate::clock::Timestamp;
use crate::crm::write::{self, NewActivity, NewDocument};
use crate::crm::{Crm, Date};
use crate::db::Database;
use crate::failure::SourceError;
use crate::feature_error::SyncError;
use crate::features::templates::{self, money_text};
use crate::file_links::FileLinks;

const SETTING: &str = "docs.templates";

/// Every variable a document template may use.
pub const VARIABLES: [&str; 9] = [
    "client_name",
    "client_website",
    "contact_name",
    "contact_first_name",
    "contact_email",
    "deal_title",
    "deal_value",
    "date",
    "document_type",
];

/// Template documents and copies of them (Google Docs + Drive).
pub trait DocStore: Sync {
    /// Who keeps the documents (stored with each generated document).
    fn provider(&self) -> Provider;
    /// What one of its documents is called ("Google Doc"), for messages and the timeline.
    fn document_noun(&self) -> &'static str;
    /// The document's title and plain text, or `None` if it is gone.
    fn read(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<(String, String)>, SourceError>> + Send;
    /// A copy named `name` inside `folder`: (id, link).
    fn copy_into(
        &self,
        id: &str,
        name: &str,
        folder: &str,
    ) -> impl Future<Output = Result<(String, String), SourceError>> + Send;
    /// Replaces each text (a placeholder as written) with its value, all in one request.
    fn replace_all(
        &self,
        id: &str,
        pairs: &[(String, String)],
    ) -> impl Future<Output = Result<(), SourceError>> + Send;
    fn trash(&self, id: &str) -> impl Future<Output = Result<(), SourceError>> + Send;
}

pub async fn configured(db: &Database) -> Result<DocTemplates, sqlx::Error> {
    Ok(db.json_setting(SETTING).await?.unwrap_or_default())
}

/// Saves the template links (as ids).
pub async fn configure(
    db: &Database,
    input: &DocTemplates,
    links: &FileLinks,
    now: Timestamp,
) -> Result<DocTemplates, SyncError> {
    let id_of = |field: &'static str, link: &str| -> Result<String, SyncError> {
        if link.trim().is_empty() {
            return Ok(String::new());
        }
        (links.id_of)(link).ok_or(SyncError::Invalid {
            field,
            reason: format!("paste {} or its id", links.document),
        })
    };
    let saved = DocTemplates {
        proposal: id_of("proposal template", &input.proposal)?,
        contract: id_of("contract template", &input.contract)?,
    };
    let json = serde_json::to_string(&saved).map_err(|e| SyncError::Invalid {
        field: "templates",
        reason: e.to_string(),
    })?;
    db.put_setting(SETTING, Some(&json), now).await?;
    Ok(saved)
}

fn label(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::Proposal => "Proposal",
        DocumentKind::Contract => "Contract",
        DocumentKind::Invoice => "Invoice",
        DocumentKind::Other => "Document",
    }
}

/// The template id for a kind, or why there is none.
pub async fn template_for(
    db: &Database,
    kind: DocumentKind,
    noun: &str,
) -> Result<String, SyncError> {
    let t = configured(db).await?;
    let id = match kind {
        DocumentKind::Proposal => t.proposal,
        DocumentKind::Contract => t.contract,
        _ => String::new(),
    };
    if id.is_empty() {
        return Err(SyncError::Invalid {
            field: "template",
            reason: format!(
                "no {} template is set; add its {noun} link in Settings → Document templates",
                label(kind).to_lowercase()
            ),
        });
    }
    Ok(id)
}

/// The values a client (and deal) give the variables.
pub async fn values(
    crm: &Crm,
    request: &DocRequest,
    now: Timestamp,
) -> Result<(BTreeMap<String, String>, Option<Id>), SyncError> {
    let page = crm
        .client_page(request.client_id)
        .await
        .map_err(|_| SyncError::NoSuchClient {
            client_id: request.client_id,
        })?;
    let deal = match request.deal_id {
        Some(id) => page.deals.iter().find(|d| d.id == id),
        None => page
            .deals
            .iter()
            .filter(|d| d.won_at.is_none() && d.lost_at.is_none())
            .max_by_key(|d| d.created_at),
    };
    let contact = page
        .contacts
        .iter()
        .find(|c| !c.emails.is_empty() && !c.archived);
    let mut v = BTreeMap::new();
    let mut put = |k: &str, val: String| {
        if !val.trim().is_empty() {
            v.insert(k.to_string(), val);
        }
    };
    put("client_name", page.client.name.clone());
    put("client_website", page.client.website.clone());
    put(
        "date",
        Date::from_days(now.div_euclid(86_400_000)).to_string(),
    );
    put("document_type", label(request.kind).to_string());
    if let Some(c) = contact {
        put("contact_name", c.name.clone());
        put(
            "contact_first_name",
            c.name
                .split_whitespace()
                .next()
                .unwrap_or(&c.name)
                .to_string(),
        );
        put("contact_email", c.emails[0].clone());
    }
    if let Some(d) = deal {
        put("deal_title", d.title.clone());
        put("deal_value", money_text(d.value.minor, &d.value.currency));
    }
    Ok((v, deal.map(|d| d.id)))
}

/// The template's title and text, or why it cannot be read.
async fn read_template(
    db: &Database,
    store: &impl DocStore,
    kind: DocumentKind,
) -> Result<(String, String, String), SyncError> {
    let id = template_for(db, kind, store.document_noun()).await?;
    let (title, text) = store.read(&id).await?.ok_or(SyncError::Invalid {
        field: "template",
        reason: "the template document is gone or not shared with Cremmy; set it again in Settings"
            .into(),
    })?;
    Ok((id, title, text))
}

/// What a template needs against the values at hand (pure).
pub fn check(
    title: &str,
    text: &str,
    values: &BTreeMap<String, String>,
) -> Result<DocPreview, SyncError> {
    let variables = templates::variables(text).map_err(|e| SyncError::Invalid {
        field: "template",
        reason: e.to_string(),
    })?;
    let unknown = variables
        .iter()
        .filter(|v| !VARIABLES.contains(&v.as_str()))
        .cloned()
        .collect();
    let missing = variables
        .iter()
        .filter(|v| VARIABLES.contains(&v.as_str()) && !values.contains_key(*v))
        .cloned()
        .collect();
    Ok(DocPreview {
        template_title: title.to_string(),
        variables,
        unknown,
        missing,
    })
}

/// Reads the template and says what it needs.
pub async fn preview(
    crm: &Crm,
    store: &impl DocStore,
    request: &DocRequest,
    now: Timestamp,
) -> Result<DocPreview, SyncError> {
    let (_, title, text) = read_template(crm.database(), store, request.kind).await?;
    let (values, _) = values(crm, request, now).await?;
    check(&title, &text, &values)
}

/// Generates the document into `folder` (the client's Drive folder) and records it.
pub async fn generate(
    crm: &Crm,
    store: &impl DocStore,
    request: &DocRequest,
    folder: &str,
    now: Timestamp,
) -> Result<Document, SyncError> {
    let db = crm.database();
    let (template, title, text) = read_template(db, store, request.kind).await?;
    let (values, deal_id) = values(crm, request, now).await?;
    let p = check(&title, &text, &values)?;
    if !p.unknown.is_empty() || !p.missing.is_empty() {
        let mut why = Vec::new();
        if !p.unknown.is_empty() {
            why.push(format!("unknown variables {}", p.unknown.join(", ")));
        }
        if !p.missing.is_empty() {
            why.push(format!("no value for {}", p.missing.join(", ")));
        }
        return Err(SyncError::Invalid {
            field: "template",
            reason: format!("{}; nothing was generated", why.join("; ")),
        });
    }
    let client = &values["client_name"];
    let title = format!("{} - {client}", label(request.kind));
    let (doc_id, url) = store.copy_into(&template, &title, folder).await?;
    let pairs: Vec<(String, String)> = templates::placeholders(&text)
        .map_err(|e| SyncError::Invalid {
            field: "template",
            reason: e.to_string(),
        })?
        .into_iter()
        .map(|(raw, name)| (raw, values[&name].clone()))
        .collect();
    if let Err(e) = store.replace_all(&doc_id, &pairs).await {
        // Best effort: a half-filled copy must not linger looking finished.
        let _ = store.trash(&doc_id).await;
        return Err(e.into());
    }
    let mut tx = db.writer().begin().await?;
    let document = NewDocument {
        client_id: request.client_id,
        deal_id,
        title: &title,
        kind: request.kind,
        local_path: None,
        provider: Some(store.provider().key()),
        external_id: Some(&doc_id),
        url: Some(&url),
    };
    let id = write::insert_document(&mut tx, &document, now).await?;
    let entry = NewActivity {
        client_id: request.client_id,
        contact_id: None,
        deal_id,
        kind: ActivityKind::Document,
        direction: Direction::None,
        subject: &format!("{} generated: {title}", label(request.kind)),
        body: &format!(
            "A {} in Cremmy CRM/Clients/{client} (Documents: Open).",
            store.document_noun()
        ),
        occurred_at: now,
        source: ActivitySource::GeneratedDoc,
        external_id: Some(&doc_id),
    };
    write::insert_activity(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok(Document {
        id,
        client_id: request.client_id,
        deal_id,
        title,
        kind: request.kind,
        local_path: None,
        provider: Some(store.provider().key().into()),
        external_id: Some(doc_id),
        url: Some(url),
        created_at: now,
    })
}
