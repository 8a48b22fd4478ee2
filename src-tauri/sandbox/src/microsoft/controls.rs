//! The sandbox's own Microsoft controls (`/_sandbox/microsoft…`, not Graph): the clock and
//! settings, mail arriving in (or sent from) the mailbox, a message moved or deleted, delta
//! tokens forgotten (Graph then answers 410) and access tokens expired.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::compose::NewMail;
use super::MicrosoftSettings;
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

/// A message lands in a folder: `{"folder": "inbox"|"sentitems"|"drafts", "from", "to": […],
/// "cc": […], "subject", "preview", "received_ms", "internet_message_id", "conversation_id",
/// "in_reply_to"}`. Answers its id and Message-ID.
pub async fn deliver(State(shared): State<Shared>, Json(body): Json<Value>) -> Response {
    let mut world = shared.lock();
    let m = &mut world.microsoft;
    let text = |key: &str| body[key].as_str().unwrap_or_default().to_string();
    let list = |key: &str| -> Vec<String> {
        body[key]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (id, internet_id) = m.store(NewMail {
        folder: body["folder"].as_str().unwrap_or("inbox").to_string(),
        from: text("from"),
        to: list("to"),
        cc: list("cc"),
        subject: text("subject"),
        body: text("preview"),
        received_ms: body["received_ms"].as_i64(),
        internet_message_id: body["internet_message_id"].as_str().map(str::to_string),
        conversation_id: body["conversation_id"].as_str().map(str::to_string),
        answers: body["in_reply_to"]
            .as_str()
            .map(str::to_string)
            .into_iter()
            .collect(),
    });
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

/// Forgets every delta and skip token (mail and calendar): the next use answers 410.
pub async fn expire_delta(State(shared): State<Shared>) -> StatusCode {
    let mut world = shared.lock();
    world.microsoft.cursors.clear();
    world.microsoft.calendar_cursors.clear();
    StatusCode::NO_CONTENT
}

/// Expires every access token (refresh tokens stay good).
pub async fn expire_tokens(State(shared): State<Shared>) -> StatusCode {
    shared.lock().microsoft.access_tokens.clear();
    StatusCode::NO_CONTENT
}
