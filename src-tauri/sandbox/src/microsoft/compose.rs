//! Writing Outlook mail, the part Cremmy uses, from Microsoft's pages:
//! - Create a draft (learn.microsoft.com/graph/api/user-post-messages): `POST /v1.0/me/messages`
//!   (or `/me/mailFolders/{id}/messages`); `Content-Type: application/json` takes a message
//!   resource, `text/plain` takes the MIME message (headers "To", "CC", "BCC", "Subject", …)
//!   encoded in base64; the draft is saved in Drafts and answered `201 Created` with the message.
//!   MIME that is not base64 answers 400 `ErrorMimeContentInvalidBase64String`. Needs
//!   `Mail.ReadWrite`.
//! - Send a draft (learn.microsoft.com/graph/api/message-send): `POST /v1.0/me/messages/{id}/send`,
//!   no body, answers `202 Accepted` with nothing; the message is saved in Sent Items. Needs
//!   `Mail.Send`.
//! - Ids (learn.microsoft.com/graph/outlook-immutable-id): an item's default id changes when it
//!   moves to another folder, and sending moves a draft to Sent Items; `Prefer:
//!   IdType="ImmutableId"` asks for an id that stays, and "Immutable ID when sending mail" says
//!   the id a draft was created with then names the copy in Sent Items.
//! - Finding a message by its Message-ID: `$filter=internetMessageId eq '<…>'` on a message list
//!   (learn.microsoft.com/graph/api/user-list-messages, `$filter` on message properties).
//!
//! Assumed, not found on Microsoft's pages: a MIME draft keeps the Message-ID header it carries
//! (the page's example does not show its MIME), and a message whose In-Reply-To or References
//! names a message in the mailbox joins that message's conversation (`conversationId`), as
//! Outlook threads replies; sending a message that is not a draft, or a draft with no
//! recipient, answers 400 `ErrorInvalidRecipients` / `ErrorInvalidRequest`; every other id the
//! sandbox answers is already immutable, whatever the request asked.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use mailparse::MailHeaderMap;
use serde_json::{json, Value};

use super::{admit, graph_error, MicrosoftState, StoredMessage};
use crate::state::Shared;

const WRITE_SCOPES: [&str; 1] = ["mail.readwrite"];
const SEND_SCOPES: [&str; 1] = ["mail.send"];

/// A message to store, from a control, a JSON draft or a MIME draft.
#[derive(Debug, Default)]
pub struct NewMail {
    pub folder: String,
    pub from: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: String,
    pub body: String,
    pub received_ms: Option<i64>,
    pub internet_message_id: Option<String>,
    pub conversation_id: Option<String>,
    /// In-Reply-To, then References (the messages it answers).
    pub answers: Vec<String>,
}

fn recipient(address: &str) -> Value {
    json!({ "emailAddress": { "name": address, "address": address } })
}

/// `Prefer: IdType="ImmutableId"` among the request's preferences.
pub fn wants_immutable_ids(headers: &HeaderMap) -> bool {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| {
            p.trim()
                .replace('"', "")
                .eq_ignore_ascii_case("IdType=ImmutableId")
        })
}

impl MicrosoftState {
    /// Stores a message and records the change; answers (id, Message-ID).
    pub fn store(&mut self, mail: NewMail) -> (String, String) {
        let received_ms = mail.received_ms.unwrap_or_else(|| self.now_ms());
        self.next_id += 1;
        let n = self.next_id;
        let id = format!("AAMkAGI2TG93AAA{n:08}=");
        let internet_id = mail
            .internet_message_id
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| format!("<sandbox.{n}@outlook.example>"));
        let conversation = mail
            .conversation_id
            .or_else(|| {
                self.messages.iter().find_map(|x| {
                    let theirs = x.resource["internetMessageId"].as_str()?;
                    mail.answers
                        .iter()
                        .any(|a| a.trim() == theirs)
                        .then(|| x.resource["conversationId"].as_str().map(str::to_string))?
                })
            })
            .unwrap_or_else(|| format!("AAQkAGI2{n}"));
        let at = crate::rfc3339(received_ms);
        let folder = mail.folder.to_ascii_lowercase();
        let preview: String = mail.body.trim().chars().take(255).collect();
        let resource = json!({
            "@odata.etag": format!("W/\"CQAAABYAAAA{n}\""),
            "id": id,
            "createdDateTime": at,
            "lastModifiedDateTime": at,
            "receivedDateTime": at,
            "sentDateTime": at,
            "hasAttachments": false,
            "internetMessageId": internet_id,
            "subject": mail.subject,
            "bodyPreview": preview,
            "body": { "contentType": "text", "content": mail.body },
            "importance": "normal",
            "parentFolderId": super::mail::folder_id(&folder),
            "conversationId": conversation,
            "isRead": folder != "inbox",
            "isDraft": folder == "drafts",
            "webLink": format!("https://outlook.live.com/owa/?ItemID={id}"),
            "from": recipient(&mail.from),
            "sender": recipient(&mail.from),
            "toRecipients": mail.to.iter().map(|a| recipient(a)).collect::<Vec<_>>(),
            "ccRecipients": mail.cc.iter().map(|a| recipient(a)).collect::<Vec<_>>(),
            "bccRecipients": [],
            "replyTo": [],
        });
        self.messages.push(StoredMessage {
            id: id.clone(),
            folder: folder.clone(),
            received_ms,
            resource,
            created_immutable: false,
        });
        self.changed(&folder, &id, false);
        (id, internet_id)
    }
}

/// The addresses of an address header (`"Name" <a@b>, c@d`).
fn addresses(value: &str) -> Vec<String> {
    match mailparse::addrparse(value) {
        Ok(list) => list
            .iter()
            .flat_map(|a| match a {
                mailparse::MailAddr::Single(s) => vec![s.addr.clone()],
                mailparse::MailAddr::Group(g) => g.addrs.iter().map(|s| s.addr.clone()).collect(),
            })
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// A MIME draft's fields.
fn from_mime(raw: &[u8], owner: &str) -> Result<NewMail, String> {
    let mail = mailparse::parse_mail(raw).map_err(|e| e.to_string())?;
    let h = |name: &str| mail.headers.get_first_value(name).unwrap_or_default();
    let text = if mail.subparts.is_empty() {
        Some(&mail)
    } else {
        mail.subparts
            .iter()
            .find(|p| p.ctype.mimetype == "text/plain")
    };
    let body = text.and_then(|p| p.get_body().ok()).unwrap_or_default();
    let mut answers: Vec<String> = h("In-Reply-To")
        .split_whitespace()
        .map(str::to_string)
        .collect();
    answers.extend(h("References").split_whitespace().map(str::to_string));
    Ok(NewMail {
        folder: "drafts".into(),
        from: addresses(&h("From"))
            .into_iter()
            .next()
            .unwrap_or_else(|| owner.to_string()),
        to: addresses(&h("To")),
        cc: addresses(&h("Cc")),
        subject: h("Subject"),
        body: body.trim_end().to_string(),
        internet_message_id: Some(h("Message-ID")).filter(|s| !s.is_empty()),
        answers,
        ..NewMail::default()
    })
}

/// A JSON draft's fields (`subject`, `body.content`, `toRecipients`, `ccRecipients`,
/// `internetMessageId`).
fn from_json(v: &Value, owner: &str) -> NewMail {
    let list = |key: &str| -> Vec<String> {
        v[key]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|r| r["emailAddress"]["address"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    NewMail {
        folder: "drafts".into(),
        from: owner.to_string(),
        to: list("toRecipients"),
        cc: list("ccRecipients"),
        subject: v["subject"].as_str().unwrap_or_default().to_string(),
        body: v["body"]["content"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        internet_message_id: v["internetMessageId"].as_str().map(str::to_string),
        ..NewMail::default()
    }
}

/// POST /v1.0/me/messages: a draft, from JSON or base64 MIME.
pub async fn create(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let mut world = shared.lock();
    let m = &mut world.microsoft;
    if let Err(r) = admit(m, &headers, &WRITE_SCOPES) {
        return r;
    }
    let owner = m.settings.email.clone();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let mail = if content_type.starts_with("text/plain") {
        let compact: Vec<u8> = body
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(&compact) else {
            return graph_error(
                400,
                "ErrorMimeContentInvalidBase64String",
                "Invalid base64 string for MIME content.",
            );
        };
        match from_mime(&raw, &owner) {
            Ok(mail) => mail,
            Err(e) => return graph_error(400, "ErrorMimeContentInvalid", &e),
        }
    } else if content_type.starts_with("application/json") {
        match serde_json::from_slice::<Value>(&body) {
            Ok(v) if v.is_object() => from_json(&v, &owner),
            _ => return graph_error(400, "BadRequest", "Unable to read JSON request payload."),
        }
    } else {
        return graph_error(
            415,
            "UnsupportedMediaType",
            "Use application/json or text/plain.",
        );
    };
    let (id, _) = m.store(mail);
    let immutable = wants_immutable_ids(&headers);
    if let Some(x) = m.messages.iter_mut().find(|x| x.id == id) {
        x.created_immutable = immutable;
    }
    let resource = m
        .messages
        .iter()
        .find(|x| x.id == id)
        .map(|x| x.resource.clone())
        .unwrap_or_default();
    (StatusCode::CREATED, Json(resource)).into_response()
}

/// POST /v1.0/me/messages/{id}/send: the draft goes, and is kept in Sent Items.
pub async fn send(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut world = shared.lock();
    let m = &mut world.microsoft;
    if let Err(r) = admit(m, &headers, &SEND_SCOPES) {
        return r;
    }
    let now = m.now_ms();
    let Some(at) = m.messages.iter().position(|x| x.id == id) else {
        return graph_error(
            404,
            "ErrorItemNotFound",
            "The specified object was not found in the store.",
        );
    };
    let draft = &m.messages[at];
    if draft.resource["isDraft"] != json!(true) {
        return graph_error(400, "ErrorInvalidRequest", "Only a draft can be sent.");
    }
    let recipients = ["toRecipients", "ccRecipients", "bccRecipients"]
        .iter()
        .map(|k| draft.resource[k].as_array().map_or(0, Vec::len))
        .sum::<usize>();
    if recipients == 0 {
        return graph_error(
            400,
            "ErrorInvalidRecipients",
            "At least one recipient isn't valid.",
        );
    }
    let mut sent = m.messages.remove(at);
    m.changed("drafts", &id, true);
    // A default id names the item in its folder; only an immutable one survives the move.
    let new_id = if sent.created_immutable {
        id.clone()
    } else {
        m.next_id += 1;
        format!("AAMkAGI2TG93AAA{:08}=", m.next_id)
    };
    let stamp = crate::rfc3339(now);
    sent.id = new_id.clone();
    sent.folder = "sentitems".into();
    sent.received_ms = now;
    let r = &mut sent.resource;
    r["id"] = json!(new_id);
    r["isDraft"] = json!(false);
    r["parentFolderId"] = json!(super::mail::folder_id("sentitems"));
    r["sentDateTime"] = json!(stamp);
    r["receivedDateTime"] = json!(stamp);
    r["lastModifiedDateTime"] = json!(stamp);
    m.messages.push(sent);
    m.changed("sentitems", &new_id, false);
    StatusCode::ACCEPTED.into_response()
}
