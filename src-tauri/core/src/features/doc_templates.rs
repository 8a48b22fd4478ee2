//! "Generate proposal/contract": copy the template Google Doc into the client's Drive folder as
//! "Proposal - <Client>", replace every `{{variable}}` in one batchUpdate, then record a Document
//! and an activity. Unknown or unfilled variables are listed before anything is copied; a failure
//! after the copy trashes it, so no half-filled document is ever recorded as done.

use std::collections::BTreeMap;
use std::future::Future;

use cremmy_protocol::crm::{ActivityKind, ActivitySource, Direction, Document, DocumentKind, Id};
use cremmy_protocol::docs::{DocPreview, DocRequest, DocTemplates, TemplateMade, TemplateUpload};
use cremmy_protocol::Provider;

use crate::clock::Timestamp;
use crate::crm::write::{self, NewActivity, NewDocument};
use crate::crm::{Crm, Date};
use crate::db::Database;
use crate::failure::SourceError;
use crate::feature_error::{Fault, FeatureError};
use crate::features::templates::{self, money_text};
use crate::file_links::FileLinks;

/// How document templates and generation fails.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("Check the {field}: {reason}.")]
    Invalid { field: &'static str, reason: String },
    #[error("Client {client_id} does not exist (it may have been deleted).")]
    NoSuchClient { client_id: i64 },
    #[error("{}", crate::db::describe(.0))]
    Db(#[from] sqlx::Error),
}

impl FeatureError for DocumentError {
    fn fault(&self) -> Fault<'_> {
        match self {
            DocumentError::Source(e) => Fault::Provider(e),
            DocumentError::Invalid { .. } => Fault::Input,
            DocumentError::NoSuchClient { .. } => Fault::Missing,
            DocumentError::Db(_) => Fault::Storage,
        }
    }
}

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
    /// A new document titled `title` holding `text` (which the user then edits): (id, link).
    fn create_with_text(
        &self,
        title: &str,
        text: &str,
    ) -> impl Future<Output = Result<(String, String), SourceError>> + Send;
    /// A Word document imported as one of the store's documents (converted): (id, link).
    fn import_docx(
        &self,
        title: &str,
        bytes: Vec<u8>,
    ) -> impl Future<Output = Result<(String, String), SourceError>> + Send;
}

/// The largest .docx template Cremmy uploads (templates are a few pages; a bigger file is most
/// likely the wrong one).
pub const MAX_DOCX_BYTES: usize = 5 << 20;

/// The starter text of a template Cremmy makes: every variable in place, for the user to edit.
pub fn starter_text(kind: DocumentKind) -> String {
    let noun = label(kind);
    format!(
        "{noun} for {{{{client_name}}}}\n\
         Prepared for {{{{contact_name}}}} ({{{{contact_email}}}}) on {{{{date}}}}.\n\
         \n\
         Dear {{{{contact_first_name}}}},\n\
         \n\
         This {{{{document_type}}}} covers {{{{deal_title}}}} for {{{{deal_value}}}}.\n\
         \n\
         Edit this text freely: keep the words in double braces where the values go. Cremmy \
         fills them in for each client ({{{{client_website}}}} is the client's website).\n"
    )
}

/// Only proposals and contracts have templates; checked before anything reaches the provider.
fn templated(kind: DocumentKind) -> Result<(), DocumentError> {
    match kind {
        DocumentKind::Proposal | DocumentKind::Contract => Ok(()),
        _ => Err(DocumentError::Invalid {
            field: "template",
            reason: "only proposals and contracts have templates".into(),
        }),
    }
}

/// Stores `id` as the template of `kind`, keeping the other kind's.
async fn set_template(
    db: &Database,
    kind: DocumentKind,
    id: &str,
    now: Timestamp,
) -> Result<DocTemplates, DocumentError> {
    templated(kind)?;
    let mut t = configured(db).await?;
    match kind {
        DocumentKind::Contract => t.contract = id.to_string(),
        _ => t.proposal = id.to_string(),
    }
    let json = serde_json::to_string(&t).map_err(|e| DocumentError::Invalid {
        field: "templates",
        reason: e.to_string(),
    })?;
    db.put_setting(SETTING, Some(&json), now).await?;
    Ok(t)
}

/// "Create a template": a starter document with every variable, made by Cremmy (so Cremmy may
/// read it under the narrow `drive.file`-style access), set as the `kind` template.
pub async fn create_template(
    db: &Database,
    store: &impl DocStore,
    kind: DocumentKind,
    now: Timestamp,
) -> Result<TemplateMade, DocumentError> {
    templated(kind)?;
    let title = format!("Cremmy {} template", label(kind).to_lowercase());
    let (id, url) = store.create_with_text(&title, &starter_text(kind)).await?;
    let templates = set_template(db, kind, &id, now).await?;
    Ok(TemplateMade { templates, url })
}

/// "Copy an existing Doc": the user's own document (read with the read-only access they granted
/// for it) copied as a document Cremmy made, text only, and set as the `kind` template.
pub async fn copy_existing_template(
    db: &Database,
    store: &impl DocStore,
    kind: DocumentKind,
    link: &str,
    links: &FileLinks,
    now: Timestamp,
) -> Result<TemplateMade, DocumentError> {
    templated(kind)?;
    let id = (links.id_of)(link).ok_or(DocumentError::Invalid {
        field: "template link",
        reason: format!("paste {} or its id", links.document),
    })?;
    let (title, text) = store.read(&id).await?.ok_or_else(|| DocumentError::Invalid {
        field: "template link",
        reason: format!(
            "Cremmy cannot read that {}: check the link, and that the signed-in account can open it",
            store.document_noun()
        ),
    })?;
    let copy_title: String = format!("{} (Cremmy template)", title.trim())
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let (id, url) = store.create_with_text(&copy_title, &text).await?;
    let templates = set_template(db, kind, &id, now).await?;
    Ok(TemplateMade { templates, url })
}

/// "Upload a .docx template": the Word file imported (converted by the store) and set as the
/// `kind` template. The file is checked first: nothing is uploaded or set if it is not a .docx.
pub async fn upload_template(
    db: &Database,
    store: &impl DocStore,
    upload: &TemplateUpload,
    now: Timestamp,
) -> Result<TemplateMade, DocumentError> {
    let name = upload.file_name.trim();
    let invalid = |reason: String| DocumentError::Invalid {
        field: "template file",
        reason,
    };
    if !name.to_ascii_lowercase().ends_with(".docx") {
        return Err(invalid(format!(
            "{name:?} is not a Word document; choose a .docx file"
        )));
    }
    if upload.bytes.is_empty() || upload.bytes.len() > MAX_DOCX_BYTES {
        return Err(invalid(format!(
            "the file is {} bytes; a template must be between 1 byte and {} MB",
            upload.bytes.len(),
            MAX_DOCX_BYTES >> 20
        )));
    }
    // A .docx is a ZIP package: it starts with a local file header.
    if !upload.bytes.starts_with(b"PK\x03\x04") {
        return Err(invalid(format!(
            "{name:?} is not a .docx file inside (it may be an old .doc renamed); save it as .docx"
        )));
    }
    templated(upload.kind)?;
    let title: String = name[..name.len() - 5]
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let (id, url) = store.import_docx(&title, upload.bytes.clone()).await?;
    let templates = set_template(db, upload.kind, &id, now).await?;
    Ok(TemplateMade { templates, url })
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
) -> Result<DocTemplates, DocumentError> {
    let id_of = |field: &'static str, link: &str| -> Result<String, DocumentError> {
        if link.trim().is_empty() {
            return Ok(String::new());
        }
        (links.id_of)(link).ok_or(DocumentError::Invalid {
            field,
            reason: format!("paste {} or its id", links.document),
        })
    };
    let saved = DocTemplates {
        proposal: id_of("proposal template", &input.proposal)?,
        contract: id_of("contract template", &input.contract)?,
    };
    let json = serde_json::to_string(&saved).map_err(|e| DocumentError::Invalid {
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
) -> Result<String, DocumentError> {
    let t = configured(db).await?;
    let id = match kind {
        DocumentKind::Proposal => t.proposal,
        DocumentKind::Contract => t.contract,
        _ => String::new(),
    };
    if id.is_empty() {
        return Err(DocumentError::Invalid {
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
) -> Result<(BTreeMap<String, String>, Option<Id>), DocumentError> {
    let page =
        crm.client_page(request.client_id)
            .await
            .map_err(|_| DocumentError::NoSuchClient {
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
) -> Result<(String, String, String), DocumentError> {
    let id = template_for(db, kind, store.document_noun()).await?;
    let (title, text) = store
        .read(&id)
        .await?
        .ok_or_else(|| DocumentError::Invalid {
            field: "template",
            reason: format!(
            "Cremmy cannot open that {noun}. It may be gone, or it is one Cremmy did not make: \
             Cremmy's access lets it open only the {noun}s it created or you uploaded through it. \
             In Settings → Document templates, choose \"Create a template\" (then edit it) or \
             \"Upload a .docx template\"",
            noun = store.document_noun()
        ),
        })?;
    Ok((id, title, text))
}

/// What a template needs against the values at hand (pure).
pub fn check(
    title: &str,
    text: &str,
    values: &BTreeMap<String, String>,
) -> Result<DocPreview, DocumentError> {
    let variables = templates::variables(text).map_err(|e| DocumentError::Invalid {
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
) -> Result<DocPreview, DocumentError> {
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
) -> Result<Document, DocumentError> {
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
        return Err(DocumentError::Invalid {
            field: "template",
            reason: format!("{}; nothing was generated", why.join("; ")),
        });
    }
    let client = &values["client_name"];
    let title = format!("{} - {client}", label(request.kind));
    let (doc_id, url) = store.copy_into(&template, &title, folder).await?;
    let pairs: Vec<(String, String)> = templates::placeholders(&text)
        .map_err(|e| DocumentError::Invalid {
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
    let mut tx = write::CrmTx::begin(db).await?;
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
    tx.commit(now).await?;
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
