//! The typed calls of texting (Integrations → Twilio, "Send SMS", the Unmatched list). Part of
//! `api` (same rules: every call returns `Result<T, ApiError>`).

use cremmy_protocol::commands as cmd;
use cremmy_protocol::crm::Id;
use serde::Serialize;

use super::{call, IdArg, NoArgs, Reply};
use cremmy_protocol::sms::{
    ApiKeyConnect, AttachText, TextDraft, TextMessage, TextPreview, TextSent, TextingSettings,
    TextingSetup,
};

/// Connects a provider with a pasted key (checked before anything is stored): its senders.
pub async fn connect_with_key(request: ApiKeyConnect) -> Reply<TextingSetup> {
    #[derive(Serialize)]
    struct A {
        request: ApiKeyConnect,
    }
    call(cmd::CONNECT_WITH_KEY, &A { request }).await
}
pub async fn texting_setup() -> Reply<Option<TextingSetup>> {
    call(cmd::TEXTING_SETUP, &NoArgs {}).await
}
pub async fn save_texting_settings(settings: TextingSettings) -> Reply<TextingSettings> {
    #[derive(Serialize)]
    struct A {
        settings: TextingSettings,
    }
    call(cmd::SAVE_TEXTING_SETTINGS, &A { settings }).await
}
/// The composer's live preview.
pub async fn text_preview(draft: TextDraft) -> Reply<TextPreview> {
    #[derive(Serialize)]
    struct A {
        draft: TextDraft,
    }
    call(cmd::TEXT_PREVIEW, &A { draft }).await
}
pub async fn send_text(draft: TextDraft) -> Reply<TextSent> {
    #[derive(Serialize)]
    struct A {
        draft: TextDraft,
    }
    call(cmd::SEND_TEXT, &A { draft }).await
}
pub async fn client_texts(id: Id) -> Reply<Vec<TextMessage>> {
    call(cmd::CLIENT_TEXTS, &IdArg { id }).await
}
pub async fn unmatched_texts() -> Reply<Vec<TextMessage>> {
    call(cmd::UNMATCHED_TEXTS, &NoArgs {}).await
}
pub async fn attach_text(request: AttachText) -> Reply<Id> {
    #[derive(Serialize)]
    struct A {
        request: AttachText,
    }
    call(cmd::ATTACH_TEXT, &A { request }).await
}
/// "Text these clients": the recipients and who is skipped, with why.
pub async fn bulk_text_preview(
    request: cremmy_protocol::sms::BulkText,
) -> Reply<cremmy_protocol::sms::BulkPreview> {
    #[derive(Serialize)]
    struct A {
        request: cremmy_protocol::sms::BulkText,
    }
    call(cmd::BULK_TEXT_PREVIEW, &A { request }).await
}
pub async fn start_bulk_text(
    request: cremmy_protocol::sms::BulkText,
) -> Reply<cremmy_protocol::sms::BulkProgress> {
    #[derive(Serialize)]
    struct A {
        request: cremmy_protocol::sms::BulkText,
    }
    call(cmd::START_BULK_TEXT, &A { request }).await
}
pub async fn bulk_text_progress(batch: String) -> Reply<cremmy_protocol::sms::BulkProgress> {
    #[derive(Serialize)]
    struct A {
        batch: String,
    }
    call(cmd::BULK_TEXT_PROGRESS, &A { batch }).await
}
/// The approved WhatsApp templates.
pub async fn text_templates() -> Reply<Vec<cremmy_protocol::sms::TextTemplate>> {
    call(cmd::TEXT_TEMPLATES, &NoArgs {}).await
}
/// The client's contacts whose numbers opted out of texts.
pub async fn contact_opt_outs(id: Id) -> Reply<Vec<cremmy_protocol::sms::ContactOptOut>> {
    call(cmd::CONTACT_OPT_OUTS, &IdArg { id }).await
}
/// "Unmatched" → a new contact of a client with the text's number.
pub async fn attach_text_to_new_contact(
    request: cremmy_protocol::sms::AttachToNewContact,
) -> Reply<Id> {
    #[derive(Serialize)]
    struct A {
        request: cremmy_protocol::sms::AttachToNewContact,
    }
    call(cmd::ATTACH_TEXT_TO_NEW_CONTACT, &A { request }).await
}
