//! Commands of texting (Integrations → Twilio, the client page's "Send SMS", the Unmatched list).
//! One-liners like `commands.rs`.

use cremmy_core::HasErrorCode;
use cremmy_protocol::crm::Id;
use cremmy_protocol::sms::{
    ApiKeyConnect, AttachText, AttachToNewContact, BulkPreview, BulkProgress, BulkText,
    ContactOptOut, TextDraft, TextMessage, TextPreview, TextSent, TextTemplate, TextingSettings,
    TextingSetup,
};
use cremmy_protocol::ApiError;
use tauri::State;

use crate::desktop::Backend;

type Reply<T> = Result<T, ApiError>;

fn api<E: HasErrorCode>(e: E) -> ApiError {
    e.to_api_error()
}

/// Integrations → Twilio → Connect: the key is checked with the provider before anything is
/// stored.
#[tauri::command]
pub async fn connect_with_key(
    b: State<'_, Backend>,
    request: ApiKeyConnect,
) -> Reply<TextingSetup> {
    b.opened()?
        .sync
        .connect_texting(&request)
        .await
        .map_err(api)
}

#[tauri::command]
pub async fn texting_setup(b: State<'_, Backend>) -> Reply<Option<TextingSetup>> {
    b.opened()?.sync.texting_setup().await.map_err(api)
}

#[tauri::command]
pub async fn save_texting_settings(
    b: State<'_, Backend>,
    settings: TextingSettings,
) -> Reply<TextingSettings> {
    b.opened()?
        .sync
        .save_texting_settings(&settings)
        .await
        .map_err(api)
}

/// The composer's live preview (recipient, text, segments, why it cannot be sent).
#[tauri::command]
pub async fn text_preview(b: State<'_, Backend>, draft: TextDraft) -> Reply<TextPreview> {
    b.opened()?.sync.text_preview(&draft).await.map_err(api)
}

#[tauri::command]
pub async fn send_text(b: State<'_, Backend>, draft: TextDraft) -> Reply<TextSent> {
    b.opened()?.sync.send_text(&draft).await.map_err(api)
}

#[tauri::command]
pub async fn client_texts(b: State<'_, Backend>, id: Id) -> Reply<Vec<TextMessage>> {
    b.opened()?.sync.texts_of_client(id).await.map_err(api)
}

#[tauri::command]
pub async fn unmatched_texts(b: State<'_, Backend>) -> Reply<Vec<TextMessage>> {
    b.opened()?.sync.unmatched_texts().await.map_err(api)
}

/// "Unmatched" → attach to a contact: the new activity's id.
#[tauri::command]
pub async fn attach_text(b: State<'_, Backend>, request: AttachText) -> Reply<Id> {
    b.opened()?.sync.attach_text(&request).await.map_err(api)
}

/// "Text these clients": who it reaches and who is skipped, with why.
#[tauri::command]
pub async fn bulk_text_preview(b: State<'_, Backend>, request: BulkText) -> Reply<BulkPreview> {
    b.opened()?
        .sync
        .bulk_text_preview(&request)
        .await
        .map_err(api)
}

/// Queues the bulk text (paced) and sends it in the background.
#[tauri::command]
pub async fn start_bulk_text(b: State<'_, Backend>, request: BulkText) -> Reply<BulkProgress> {
    b.opened()?
        .sync
        .start_bulk_text(&request)
        .await
        .map_err(api)
}

#[tauri::command]
pub async fn bulk_text_progress(b: State<'_, Backend>, batch: String) -> Reply<BulkProgress> {
    b.opened()?.sync.bulk_progress(&batch).await.map_err(api)
}

/// The approved WhatsApp templates (asked of the provider now).
#[tauri::command]
pub async fn text_templates(b: State<'_, Backend>) -> Reply<Vec<TextTemplate>> {
    b.opened()?.sync.text_templates().await.map_err(api)
}

/// The client's contacts whose numbers opted out of texts.
#[tauri::command]
pub async fn contact_opt_outs(b: State<'_, Backend>, id: Id) -> Reply<Vec<ContactOptOut>> {
    b.opened()?.sync.contact_opt_outs(id).await.map_err(api)
}

/// "Unmatched" → a new contact of a client with the text's number: the activity's id.
#[tauri::command]
pub async fn attach_text_to_new_contact(
    b: State<'_, Backend>,
    request: AttachToNewContact,
) -> Reply<Id> {
    b.opened()?
        .sync
        .attach_text_to_new_contact(&request)
        .await
        .map_err(api)
}
