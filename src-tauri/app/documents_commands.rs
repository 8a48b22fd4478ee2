//! Commands of Google documents: the proposal and contract templates (Settings → Documents) and
//! "Generate" on the client page. One-liners like `commands.rs`.

use cremmy_core::HasErrorCode;
use cremmy_protocol::crm::DocumentKind;
use cremmy_protocol::docs::{
    DocPreview, DocRequest, DocTemplates, GeneratedDoc, TemplateMade, TemplateUpload,
};
use cremmy_protocol::ApiError;
use tauri::State;

use crate::desktop::Backend;

type Reply<T> = Result<T, ApiError>;

fn api<E: HasErrorCode>(e: E) -> ApiError {
    e.to_api_error()
}

#[tauri::command]
pub async fn doc_templates(b: State<'_, Backend>) -> Reply<DocTemplates> {
    b.opened()?.sync.doc_templates().await.map_err(api)
}

#[tauri::command]
pub async fn set_doc_templates(b: State<'_, Backend>, input: DocTemplates) -> Reply<DocTemplates> {
    b.opened()?
        .sync
        .set_doc_templates(&input)
        .await
        .map_err(api)
}

#[tauri::command]
pub async fn create_doc_template(b: State<'_, Backend>, kind: DocumentKind) -> Reply<TemplateMade> {
    b.opened()?
        .sync
        .create_doc_template(kind)
        .await
        .map_err(api)
}

#[tauri::command]
pub async fn copy_doc_template(
    b: State<'_, Backend>,
    kind: DocumentKind,
    link: String,
) -> Reply<TemplateMade> {
    b.opened()?
        .sync
        .copy_doc_template(kind, &link)
        .await
        .map_err(api)
}

#[tauri::command]
pub async fn upload_doc_template(
    b: State<'_, Backend>,
    input: TemplateUpload,
) -> Reply<TemplateMade> {
    b.opened()?
        .sync
        .upload_doc_template(&input)
        .await
        .map_err(api)
}

/// The template's variables and what is missing, before "Generate".
#[tauri::command]
pub async fn preview_document(b: State<'_, Backend>, input: DocRequest) -> Reply<DocPreview> {
    b.opened()?.sync.preview_document(&input).await.map_err(api)
}

/// "Generate proposal/contract" on the client page.
#[tauri::command]
pub async fn generate_document(b: State<'_, Backend>, input: DocRequest) -> Reply<GeneratedDoc> {
    b.opened()?
        .sync
        .generate_document(&input)
        .await
        .map_err(api)
}
