//! What the user sets for the workspace features (document templates, the Leads sheet, the
//! draft template) and the previews that read them.

use cremmy_protocol::accounts::Feature;
use cremmy_protocol::crm::DocumentKind;
use cremmy_protocol::docs::{DocPreview, DocRequest, DocTemplates, TemplateMade, TemplateUpload};
use cremmy_protocol::mail::{DraftTemplate, RenderedEmail};
use cremmy_protocol::sync::LeadSheet;

use super::{able, SyncError, SyncResult, SyncRunner};
use crate::features::doc_templates;
use crate::features::leads::{self};
use crate::features::mail::drafts::{self};
use crate::file_links::FileLinks;
use crate::providers::registry::Capability;
use crate::providers::Providers;

impl SyncRunner {
    pub async fn doc_templates(&self) -> SyncResult<DocTemplates> {
        Ok(doc_templates::configured(&self.db).await?)
    }

    pub async fn set_doc_templates(&self, t: &DocTemplates) -> SyncResult<DocTemplates> {
        let links = file_links(Capability::DocStore)?;
        Ok(doc_templates::configure(&self.db, t, links, self.clock.now()).await?)
    }

    /// "Create a template": a starter document Cremmy makes (and so may read), set as the
    /// `kind` template; its link opens it for editing.
    pub async fn create_doc_template(&self, kind: DocumentKind) -> SyncResult<TemplateMade> {
        let account = self.account_with(Feature::Docs).await?;
        let session = self.session(&account, Feature::Docs)?;
        Ok(doc_templates::create_template(
            &self.db,
            &able(session.documents(), Feature::Docs)?,
            kind,
            self.clock.now(),
        )
        .await?)
    }

    /// "Copy an existing Doc": needs an account that granted reading the user's Docs
    /// ([`Feature::DocsRead`], asked only for this); the copy is one Cremmy made.
    pub async fn copy_doc_template(
        &self,
        kind: DocumentKind,
        link: &str,
    ) -> SyncResult<TemplateMade> {
        let account = self.account_with(Feature::DocsRead).await?;
        let session = self.session(&account, Feature::DocsRead)?;
        let links = file_links(Capability::DocStore)?;
        Ok(doc_templates::copy_existing_template(
            &self.db,
            &able(session.documents(), Feature::Docs)?,
            kind,
            link,
            links,
            self.clock.now(),
        )
        .await?)
    }

    /// "Upload a .docx template": the Word file imported as a document and set as the template.
    pub async fn upload_doc_template(&self, upload: &TemplateUpload) -> SyncResult<TemplateMade> {
        let account = self.account_with(Feature::Docs).await?;
        let session = self.session(&account, Feature::Docs)?;
        Ok(doc_templates::upload_template(
            &self.db,
            &able(session.documents(), Feature::Docs)?,
            upload,
            self.clock.now(),
        )
        .await?)
    }

    /// What the template asks for, before "Generate".
    pub async fn preview_document(&self, request: &DocRequest) -> SyncResult<DocPreview> {
        let account = self.account_with(Feature::Docs).await?;
        let session = self.session(&account, Feature::Docs)?;
        Ok(doc_templates::preview(
            &self.crm,
            &able(session.documents(), Feature::Docs)?,
            request,
            self.clock.now(),
        )
        .await?)
    }

    /// The Leads sheet read on each sync, if one is set.
    pub async fn lead_sheet(&self) -> SyncResult<Option<LeadSheet>> {
        Ok(leads::configured(&self.db).await?)
    }

    /// Sets the Leads sheet (a link or an id); an empty link turns lead ingest off.
    pub async fn set_lead_sheet(&self, sheet: &LeadSheet) -> SyncResult<Option<LeadSheet>> {
        let links = file_links(Capability::SheetTable)?;
        Ok(leads::configure(&self.db, sheet, links, self.clock.now()).await?)
    }

    /// The proposal template filled in for a contact (the composer's "Template").
    pub async fn render_email_template(
        &self,
        contact_id: i64,
        deal_id: Option<i64>,
    ) -> SyncResult<RenderedEmail> {
        Ok(drafts::render_for_contact(&self.db, contact_id, deal_id, self.clock.now()).await?)
    }

    pub async fn draft_template(&self) -> SyncResult<DraftTemplate> {
        Ok(drafts::template(&self.db).await?)
    }

    pub async fn save_draft_template(&self, t: &DraftTemplate) -> SyncResult<DraftTemplate> {
        Ok(drafts::save_template(&self.db, t, self.clock.now()).await?)
    }
}

/// How the provider that keeps such files reads a pasted link to one.
fn file_links(capability: Capability) -> SyncResult<&'static FileLinks> {
    Providers::file_links_for(capability).ok_or(SyncError::Invalid {
        field: "link",
        reason: "no connected service keeps such files".into(),
    })
}
