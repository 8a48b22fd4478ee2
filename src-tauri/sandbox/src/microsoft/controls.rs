//! The sandbox's own Microsoft controls (`/_sandbox/microsoft…`, not Graph): the clock and
//! settings, mail arriving in (or sent from) the mailbox, a message moved or deleted, delta
//! tokens forgotten (Graph then answers 410) and access tokens expired.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::{MicrosoftSettings, StoredMessage};
use crate::state::Shared;

pub async fn snapshot(State(shared): State<Shared>) -> Json<Value> {
    let world = shared.lock();
    let m = &world.microsoft;
    let messages: Vec<Value> = m
        .messages
        .iter()
        .map(|x| json!({ "folder": x.folder, "message": x.resource }))
        .collect();
    Json(json!({ "now_ms": m.now_ms(), "settings": m.settings, "messages": messages }))
}

/// `{"now_ms", "settings": {…}}`, each optional.
pub async fn configure(State(shared): State<Shared>, Json(body): Json<Value>) -> Response {
    let mut world = shared.lock();
    let m = &mut world.microsoft;
    if let Some(now) = body["now_ms"].as_i64() {
        m.now_ms = Some(now);
    }
    if !body["settings"].is_null() {
        match serde_json::from_value::<MicrosoftSettings>(body["settings"].clone()) {
            Ok(settings) => m.settings = settings,
            Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
        }
    }
    Json(json!({ "now_ms": m.now_ms() })).into_response()
}

fn recipient(address: &Value) -> Value {
    let address = address.as_str().unwrap_or_default();
    json!({ "emailAddress": { "name": address, "address": address } })
}

/// A message lands in a folder: `{"folder": "inbox"|"sentitems"|"drafts", "from", "to": […],
/// "cc": […], "subject", "preview", "received_ms", "internet_message_id", "conversation_id"}`.
/// Answers its id.
pub async fn deliver(State(shared): State<Shared>, Json(body): Json<Value>) -> Response {
    let mut world = shared.lock();
    let m = &mut world.microsoft;
    let folder = body["folder"]
        .as_str()
        .unwrap_or("inbox")
        .to_ascii_lowercase();
    let received_ms = body["received_ms"].as_i64().unwrap_or_else(|| m.now_ms());
    m.next_id += 1;
    let id = format!("AAMkAGI2TG93AAA{:08}=", m.next_id);
    let internet_id = body["internet_message_id"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| format!("<sandbox.{}@outlook.example>", m.next_id));
    let at = crate::rfc3339(received_ms);
    let list = |key: &str| -> Vec<Value> {
        body[key]
            .as_array()
            .map(|a| a.iter().map(recipient).collect())
            .unwrap_or_default()
    };
    let resource = json!({
        "@odata.etag": format!("W/\"CQAAABYAAAA{}\"", m.next_id),
        "id": id,
        "createdDateTime": at,
        "lastModifiedDateTime": at,
        "receivedDateTime": at,
        "sentDateTime": at,
        "hasAttachments": false,
        "internetMessageId": internet_id,
        "subject": body["subject"].as_str().unwrap_or_default(),
        "bodyPreview": body["preview"].as_str().unwrap_or_default(),
        "importance": "normal",
        "parentFolderId": super::mail::folder_id(&folder),
        "conversationId": body["conversation_id"].as_str().map(str::to_string)
            .unwrap_or_else(|| format!("AAQkAGI2{}", m.next_id)),
        "isRead": folder != "inbox",
        "isDraft": folder == "drafts",
        "webLink": format!("https://outlook.live.com/owa/?ItemID={id}"),
        "from": recipient(&body["from"]),
        "sender": recipient(&body["from"]),
        "toRecipients": list("to"),
        "ccRecipients": list("cc"),
        "bccRecipients": [],
        "replyTo": [],
    });
    m.messages.push(StoredMessage {
        id: id.clone(),
        folder: folder.clone(),
        received_ms,
        resource,
    });
    m.changed(&folder, &id, false);
    Json(json!({ "id": id, "internetMessageId": internet_id })).into_response()
}

/// `{"folder": "deleteditems"}` moves it; `{"delete": true}` deletes it for good.
pub async fn move_message(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    let mut world = shared.lock();
    let m = &mut world.microsoft;
    let Some(at) = m.messages.iter().position(|x| x.id == id) else {
        return (StatusCode::NOT_FOUND, "no such message").into_response();
    };
    let from = m.messages[at].folder.clone();
    if body["delete"].as_bool() == Some(true) {
        m.messages.remove(at);
        m.changed(&from, &id, true);
    } else {
        let to = body["folder"]
            .as_str()
            .unwrap_or("deleteditems")
            .to_ascii_lowercase();
        m.messages[at].folder = to.clone();
        m.messages[at].resource["parentFolderId"] = json!(super::mail::folder_id(&to));
        m.changed(&from, &id, true);
        m.changed(&to, &id, false);
    }
    StatusCode::NO_CONTENT.into_response()
}

/// Forgets every delta and skip token: the next use answers 410.
pub async fn expire_delta(State(shared): State<Shared>) -> StatusCode {
    shared.lock().microsoft.cursors.clear();
    StatusCode::NO_CONTENT
}

/// Expires every access token (refresh tokens stay good).
pub async fn expire_tokens(State(shared): State<Shared>) -> StatusCode {
    shared.lock().microsoft.access_tokens.clear();
    StatusCode::NO_CONTENT
}
