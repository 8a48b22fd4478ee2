//! Gmail's write paths: messages.send and drafts.create through the upload endpoint
//! (`uploadType=multipart` with JSON metadata + `message/rfc822`, or `uploadType=media`), the
//! RFC 2822 parsed with a MIME library, threaded as Gmail threads what a client sends; and
//! threads.get.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use mailparse::MailHeaderMap;
use serde_json::{json, Value};

use super::auth::bearer;
use super::errors::api_error;
use super::gmail::{GmailMessage, NewMessage, READ_SCOPES};
use super::quota::{charge, Budget};
use crate::state::Shared;

const SEND_SCOPES: &[&str] = &[
    "https://www.googleapis.com/auth/gmail.send",
    "https://www.googleapis.com/auth/gmail.compose",
    "https://www.googleapis.com/auth/gmail.modify",
    "https://mail.google.com/",
];
const COMPOSE_SCOPES: &[&str] = &[
    "https://www.googleapis.com/auth/gmail.compose",
    "https://www.googleapis.com/auth/gmail.modify",
    "https://mail.google.com/",
];

/// Reads an RFC 2822 message into what the mailbox stores.
fn parse_rfc2822(raw: &[u8], thread_id: Option<String>, draft: bool) -> Result<NewMessage, String> {
    let mail =
        mailparse::parse_mail(raw).map_err(|e| format!("the message is not RFC 2822: {e}"))?;
    let h = |name: &str| mail.headers.get_first_value(name).unwrap_or_default();
    if h("To").is_empty() && !draft {
        return Err("Recipient address required".into());
    }
    let text_part = if mail.subparts.is_empty() {
        Some(&mail)
    } else {
        mail.subparts
            .iter()
            .find(|p| p.ctype.mimetype == "text/plain")
            .or(mail.subparts.first())
    };
    let body = text_part
        .and_then(|p| p.get_body().ok())
        .unwrap_or_default();
    let references = h("References");
    let in_reply_to = Some(h("In-Reply-To"))
        .filter(|v| !v.is_empty())
        .or_else(|| references.split_whitespace().last().map(str::to_string));
    Ok(NewMessage {
        from: h("From"),
        to: h("To"),
        cc: h("Cc"),
        subject: h("Subject"),
        body: body.trim_end().to_string(),
        internal_date: None,
        thread_id,
        in_reply_to,
        references: Some(references).filter(|r| !r.trim().is_empty()),
        sent: true,
        message_id: Some(h("Message-ID")).filter(|v| !v.is_empty()),
        draft,
        own_thread: false,
    })
}

/// Whether a message a client sends (or drafts) joins the thread it names. Gmail's "Sending
/// email" guide (https://developers.google.com/workspace/gmail/api/guides/sending, "Adding
/// messages to existing threads"): the `threadId` must be given, the `References` and
/// `In-Reply-To` headers must follow RFC 2822 (naming a message of that thread), and the
/// `Subject` must match. Otherwise it starts a thread of its own: In-Reply-To alone threads
/// nothing.
fn joins_thread(mailbox: &super::gmail::Mailbox, m: &NewMessage) -> bool {
    let Some(thread) = &m.thread_id else {
        return false;
    };
    let in_thread: Vec<&GmailMessage> = mailbox
        .messages
        .iter()
        .filter(|x| &x.thread_id == thread)
        .collect();
    let named: Vec<&str> = m
        .in_reply_to
        .iter()
        .chain(m.references.iter())
        .flat_map(|v| v.split_whitespace())
        .collect();
    let references_thread = in_thread
        .iter()
        .any(|x| x.header("Message-ID").is_some_and(|id| named.contains(&id)));
    let subject_matches = in_thread
        .iter()
        .any(|x| base_subject(x.header("Subject").unwrap_or_default()) == base_subject(&m.subject));
    references_thread && subject_matches
}

/// A subject without its reply and forward prefixes, case folded.
fn base_subject(subject: &str) -> String {
    let mut s = subject.trim();
    loop {
        let lower = s.to_ascii_lowercase();
        match ["re:", "fwd:", "fw:"]
            .iter()
            .find(|p| lower.starts_with(*p))
        {
            Some(p) => s = s[p.len()..].trim_start(),
            None => return s.to_ascii_lowercase(),
        }
    }
}

fn brief(m: &GmailMessage) -> Value {
    json!({ "id": m.id, "threadId": m.thread_id, "labelIds": m.label_ids })
}

async fn store_upload(
    shared: &Shared,
    headers: &HeaderMap,
    body: &[u8],
    draft: bool,
) -> Result<GmailMessage, Response> {
    let (scopes, units) = if draft {
        (COMPOSE_SCOPES, 10)
    } else {
        (SEND_SCOPES, 100)
    };
    let mut world = shared.lock();
    let account = bearer(&world, headers, scopes)
        .and_then(|a| charge(&mut world, Budget::Gmail, &a, units).map(|()| a))?;
    let upload = crate::upload::split(headers, body)
        .map_err(|e| api_error(400, "invalidArgument", &e, None))?;
    let raw = upload.media.ok_or_else(|| {
        api_error(
            400,
            "invalidArgument",
            "The upload has no message part.",
            None,
        )
    })?;
    let metadata = Value::Object(upload.metadata);
    let meta = if draft {
        &metadata["message"]
    } else {
        &metadata
    };
    let thread_id = meta["threadId"].as_str().map(str::to_string);
    let mut message = parse_rfc2822(&raw, thread_id, draft)
        .map_err(|e| api_error(400, "invalidArgument", &e, None))?;
    if world.google.settings.rewrite_message_ids {
        message.message_id = None;
    }
    let mailbox = world.google.mailbox(&account);
    if let Some(t) = &message.thread_id {
        if !mailbox.messages.iter().any(|m| &m.thread_id == t) {
            return Err(api_error(
                404,
                "notFound",
                "Requested entity was not found.",
                None,
            ));
        }
    }
    message.own_thread = !joins_thread(mailbox, &message);
    Ok(mailbox.add(&account, message))
}

/// POST /upload/gmail/v1/users/{user}/messages/send
pub async fn send(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    match store_upload(&shared, &headers, &body, false).await {
        Ok(m) => Json(brief(&m)).into_response(),
        Err(r) => r,
    }
}

/// POST /upload/gmail/v1/users/{user}/drafts
pub async fn create_draft(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match store_upload(&shared, &headers, &body, true).await {
        Ok(m) => Json(json!({ "id": format!("r-{}", m.id), "message": brief(&m) })).into_response(),
        Err(r) => r,
    }
}

/// GET /gmail/v1/users/{user}/threads/{id}: the thread's messages, oldest first.
pub async fn get_thread(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path((_user, id)): Path<(String, String)>,
) -> Response {
    let mut world = shared.lock();
    let account = match bearer(&world, &headers, READ_SCOPES)
        .and_then(|a| charge(&mut world, Budget::Gmail, &a, 10).map(|()| a))
    {
        Ok(a) => a,
        Err(r) => return r,
    };
    let mailbox = world.google.mailbox(&account);
    let mut messages: Vec<&GmailMessage> = mailbox
        .messages
        .iter()
        .filter(|m| m.thread_id == id)
        .collect();
    if messages.is_empty() {
        return api_error(404, "notFound", "Requested entity was not found.", None);
    }
    messages.sort_by_key(|m| (m.internal_date, m.history_id));
    let history_id = messages.iter().map(|m| m.history_id).max().unwrap_or(0);
    let list: Vec<Value> = messages
        .iter()
        .map(|m| {
            let headers: Vec<Value> = m.headers.iter().map(|(k, v)| json!({ "name": k, "value": v })).collect();
            json!({ "id": m.id, "threadId": m.thread_id, "labelIds": m.label_ids, "snippet": m.snippet,
                    "historyId": m.history_id.to_string(), "internalDate": m.internal_date.to_string(),
                    "payload": { "mimeType": "text/plain", "headers": headers } })
        })
        .collect();
    Json(json!({ "id": id, "historyId": history_id.to_string(), "messages": list })).into_response()
}

#[derive(Debug, serde::Deserialize)]
pub struct DraftListParams {
    #[serde(default)]
    q: Option<String>,
}

/// GET /gmail/v1/users/{user}/drafts: the drafts whose message matches `q` (Gmail search).
pub async fn list_drafts(
    State(shared): State<Shared>,
    headers: HeaderMap,
    axum::extract::Query(p): axum::extract::Query<DraftListParams>,
) -> Response {
    let mut world = shared.lock();
    let account = match bearer(&world, &headers, COMPOSE_SCOPES)
        .and_then(|a| charge(&mut world, Budget::Gmail, &a, 5).map(|()| a))
    {
        Ok(a) => a,
        Err(r) => return r,
    };
    let q = p.q.unwrap_or_default();
    let mailbox = world.google.mailbox(&account);
    let drafts: Vec<Value> = mailbox
        .messages
        .iter()
        .filter(|m| m.label_ids.iter().any(|l| l == "DRAFT"))
        .filter(|m| super::gmail::matches_query(m, &q))
        .map(|m| json!({ "id": format!("r-{}", m.id), "message": brief(m) }))
        .collect();
    let n = drafts.len();
    Json(json!({ "drafts": drafts, "resultSizeEstimate": n })).into_response()
}
