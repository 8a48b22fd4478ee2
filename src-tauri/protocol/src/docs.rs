//! Proposals and contracts generated from Google Docs templates.

use serde::{Deserialize, Serialize};

use crate::crm::{Document, DocumentKind, Id};

/// The template Google Docs (ids; a pasted link is accepted when saving). Empty: not set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct DocTemplates {
    #[serde(default)]
    pub proposal: String,
    #[serde(default)]
    pub contract: String,
}

/// A template Cremmy made or imported for the user to edit: the templates now set, and the
/// template's link (to open and edit it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateMade {
    pub templates: DocTemplates,
    pub url: String,
}

/// "Upload a .docx template": the file's name and bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateUpload {
    pub kind: crate::crm::DocumentKind,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// "Generate proposal/contract" on the client page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocRequest {
    pub client_id: Id,
    pub kind: DocumentKind,
    /// The deal it is for; default: the client's most recent open deal.
    #[serde(default)]
    pub deal_id: Option<Id>,
}

/// What the template asks for, shown before anything is generated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocPreview {
    pub template_title: String,
    /// The template's `{{variables}}`, in order.
    pub variables: Vec<String>,
    /// Variables Cremmy does not know (typos): generation is refused until they are fixed.
    pub unknown: Vec<String>,
    /// Known variables this client or deal has no value for.
    pub missing: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneratedDoc {
    pub document: Document,
    /// The client's Drive folder it was put in.
    pub folder_url: String,
}
