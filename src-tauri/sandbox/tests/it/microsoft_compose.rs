//! Writing Outlook mail as the sandbox speaks it, checked against Microsoft's pages (named in
//! `src/microsoft/compose.rs`): a MIME draft (base64, `text/plain`) saved in Drafts, refused
//! when not base64; sending it (202, kept in Sent Items under its immutable id, or a new id
//! without the preference); finding mail by Message-ID; a reply joining its conversation; and
//! the permissions each call needs.

use base64::Engine;
use serde_json::{json, Value};

use crate::microsoft::{graph, sign_in_to};
use crate::support::{control, http, sandbox};

const WRITE: &str = "openid offline_access https://graph.microsoft.com/Mail.ReadWrite https://graph.microsoft.com/Mail.Send";
const IMMUTABLE: &str = "IdType=\"ImmutableId\"";

fn mime(message_id: &str, in_reply_to: Option<&str>, subject: &str) -> String {
    let mut raw = format!(
        "From: consultant@outlook.example\r\nTo: \"Zoe\" <zoe@acme.example>\r\nSubject: {subject}\r\nMessage-ID: {message_id}\r\n"
    );
    if let Some(answered) = in_reply_to {
        raw.push_str(&format!(
            "In-Reply-To: {answered}\r\nReferences: {answered}\r\n"
        ));
    }
    raw.push_str("Content-Type: text/plain; charset=utf-8\r\n\r\nHello Zoe,\r\nthe plan.\r\n");
    base64::engine::general_purpose::STANDARD.encode(raw)
}

async fn create(
    sb: &cremmy_sandbox::Sandbox,
    token: &str,
    body: String,
    prefer: Option<&str>,
) -> (u16, Value) {
    let mut r = http()
        .post(format!("{}v1.0/me/messages", sb.base_url()))
        .bearer_auth(token)
        .header("content-type", "text/plain")
        .body(body);
    if let Some(p) = prefer {
        r = r.header("prefer", p);
    }
    let r = r.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn send(sb: &cremmy_sandbox::Sandbox, token: &str, id: &str) -> (u16, String) {
    let r = http()
        .post(format!("{}v1.0/me/messages/{id}/send", sb.base_url()))
        .bearer_auth(token)
        .header("content-length", "0")
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The messages with this Message-ID in `folder` (`me/messages` when `None`).
async fn by_message_id(
    sb: &cremmy_sandbox::Sandbox,
    token: &str,
    folder: Option<&str>,
    message_id: &str,
) -> Vec<Value> {
    let path = match folder {
        Some(f) => format!("me/mailFolders/{f}/messages"),
        None => "me/messages".into(),
    };
    let url = reqwest::Url::parse_with_params(
        &format!("{}v1.0/{path}", sb.base_url()),
        &[
            ("$filter", format!("internetMessageId eq '{message_id}'")),
            ("$select", "id,conversationId,isDraft,parentFolderId".into()),
        ],
    )
    .unwrap();
    let (status, page, _) = graph(sb, url.as_str(), token, None).await;
    assert_eq!(status, 200, "a Message-ID filter is a plain list: {page}");
    page["value"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_mime_draft_is_saved_then_sent_and_kept_in_sent_items_under_its_immutable_id() {
    let sb = sandbox().await;
    let (token, _) = sign_in_to(&sb, WRITE).await;

    let (status, body) = create(&sb, &token, "not base64 at all!".into(), None).await;
    assert_eq!(status, 400, "MIME must be base64 (user-post-messages)");
    assert_eq!(body["error"]["code"], "ErrorMimeContentInvalidBase64String");

    let (status, draft) = create(
        &sb,
        &token,
        mime("<cremmy.1@outlook.example>", None, "The plan"),
        Some(IMMUTABLE),
    )
    .await;
    assert_eq!(status, 201, "a draft is created: {draft}");
    assert_eq!(draft["isDraft"], true);
    assert_eq!(draft["subject"], "The plan");
    assert_eq!(
        draft["toRecipients"][0]["emailAddress"]["address"],
        "zoe@acme.example"
    );
    let id = draft["id"].as_str().unwrap().to_string();
    let found = by_message_id(&sb, &token, Some("drafts"), "<cremmy.1@outlook.example>").await;
    assert_eq!(
        found.len(),
        1,
        "the draft is in Drafts under its Message-ID"
    );
    assert_eq!(found[0]["id"], id.as_str());

    let (status, text) = send(&sb, &token, &id).await;
    assert_eq!(
        (status, text.as_str()),
        (202, ""),
        "send answers 202 Accepted, no body"
    );
    let url = format!(
        "{}v1.0/me/messages/{id}?$select=isDraft,parentFolderId",
        sb.base_url()
    );
    let (status, sent, _) = graph(&sb, &url, &token, None).await;
    assert_eq!(status, 200, "the immutable id names the copy in Sent Items");
    assert_eq!(sent["isDraft"], false);
    assert_eq!(sent["parentFolderId"], "AQMkADsentitems");
    assert!(
        by_message_id(&sb, &token, Some("drafts"), "<cremmy.1@outlook.example>")
            .await
            .is_empty(),
        "a sent draft leaves Drafts"
    );
    assert_eq!(
        send(&sb, &token, &id).await.0,
        400,
        "what was sent is no longer a draft"
    );
    assert_eq!(send(&sb, &token, "AAMkAGone=").await.0, 404);
}

#[tokio::test]
async fn without_immutable_ids_the_sent_copy_has_a_new_id_and_a_reply_joins_its_conversation() {
    let sb = sandbox().await;
    let (token, _) = sign_in_to(&sb, WRITE).await;
    let asked = control(
        &sb,
        "microsoft/messages",
        json!({
            "folder": "inbox", "from": "zoe@acme.example", "to": ["consultant@outlook.example"],
            "subject": "Question", "internet_message_id": "<q1@acme.example>",
        }),
    )
    .await;
    let conversation =
        by_message_id(&sb, &token, None, "<q1@acme.example>").await[0]["conversationId"].clone();
    let asked_id = asked["id"].as_str().unwrap();

    let (_, draft) = create(
        &sb,
        &token,
        mime(
            "<cremmy.2@outlook.example>",
            Some("<q1@acme.example>"),
            "Re: Question",
        ),
        None,
    )
    .await;
    assert_eq!(
        draft["conversationId"], conversation,
        "a reply's In-Reply-To puts it in the conversation"
    );
    let draft_id = draft["id"].as_str().unwrap();
    assert_ne!(draft_id, asked_id);
    assert_eq!(send(&sb, &token, draft_id).await.0, 202);
    let url = format!("{}v1.0/me/messages/{draft_id}", sb.base_url());
    assert_eq!(
        graph(&sb, &url, &token, None).await.0,
        404,
        "a default id names the item in Drafts; the sent copy has another"
    );
    let sent = by_message_id(&sb, &token, Some("sentitems"), "<cremmy.2@outlook.example>").await;
    assert_eq!(sent.len(), 1, "the sent copy keeps the MIME's Message-ID");
    assert_eq!(sent[0]["conversationId"], conversation);
    assert_eq!(sent[0]["isDraft"], false);
}

#[tokio::test]
async fn reading_mail_does_not_allow_writing_or_sending_it() {
    let sb = sandbox().await;
    let (reader, _) = sign_in_to(
        &sb,
        "openid offline_access https://graph.microsoft.com/Mail.Read",
    )
    .await;
    let (status, body) = create(&sb, &reader, mime("<x@outlook.example>", None, "x"), None).await;
    assert_eq!(status, 403, "creating a draft needs Mail.ReadWrite: {body}");
    let (writer, _) = sign_in_to(
        &sb,
        "openid offline_access https://graph.microsoft.com/Mail.ReadWrite",
    )
    .await;
    let (status, draft) = create(&sb, &writer, mime("<y@outlook.example>", None, "y"), None).await;
    assert_eq!(status, 201);
    let id = draft["id"].as_str().unwrap();
    assert_eq!(
        send(&sb, &writer, id).await.0,
        403,
        "sending needs Mail.Send"
    );
}
