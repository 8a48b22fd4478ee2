//! Gmail's mailbox history and the changes that make it: users.history.list
//! (https://developers.google.com/workspace/gmail/api/reference/rest/v1/users.history/list and
//! the `History` resource: `messagesAdded`, `messagesDeleted`, `labelsAdded`, `labelsRemoved`,
//! filtered by repeated `historyTypes`), messages.trash / untrash
//! (https://developers.google.com/workspace/gmail/api/reference/rest/v1/users.messages/trash:
//! the TRASH label is added / removed), and drafts.send, which per the drafts guide
//! (https://developers.google.com/workspace/gmail/api/guides/drafts) deletes the draft and creates
//! a new message with a new id and the SENT label.

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::auth::bearer;
use super::errors::api_error;
use super::gmail::{repeated, GmailMessage, Mailbox, READ_SCOPES};
use super::quota::{charge, Budget};
use crate::state::Shared;

const MODIFY_SCOPES: &[&str] = &[
    "https://www.googleapis.com/auth/gmail.modify",
    "https://mail.google.com/",
];
const SEND_SCOPES: &[&str] = &[
    "https://www.googleapis.com/auth/gmail.send",
    "https://www.googleapis.com/auth/gmail.compose",
    "https://www.googleapis.com/auth/gmail.modify",
    "https://mail.google.com/",
];

/// One history record's change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Added(String),
    /// The message is gone (its id and thread kept for the record).
    Deleted {
        id: String,
        thread_id: String,
    },
    LabelsAdded {
        id: String,
        labels: Vec<String>,
    },
    LabelsRemoved {
        id: String,
        labels: Vec<String>,
    },
}

impl Change {
    fn history_type(&self) -> &'static str {
        match self {
            Change::Added(_) => "messageAdded",
            Change::Deleted { .. } => "messageDeleted",
            Change::LabelsAdded { .. } => "labelAdded",
            Change::LabelsRemoved { .. } => "labelRemoved",
        }
    }

    fn message_id(&self) -> &str {
        match self {
            Change::Added(id)
            | Change::Deleted { id, .. }
            | Change::LabelsAdded { id, .. }
            | Change::LabelsRemoved { id, .. } => id,
        }
    }
}

fn brief(m: &GmailMessage) -> Value {
    json!({ "id": m.id, "threadId": m.thread_id, "labelIds": m.label_ids })
}

impl Mailbox {
    fn record(&mut self, change: Change) -> u64 {
        self.history_id = self.history_id.max(1) + 1;
        self.history.push((self.history_id, change));
        self.history_id
    }

    /// Deletes a message for good (messages.delete, a draft replaced or sent, trash emptied).
    pub fn delete(&mut self, id: &str) -> Option<GmailMessage> {
        let at = self.messages.iter().position(|m| m.id == id)?;
        let gone = self.messages.remove(at);
        self.reindex();
        self.record(Change::Deleted {
            id: gone.id.clone(),
            thread_id: gone.thread_id.clone(),
        });
        Some(gone)
    }

    /// Adds labels the message does not have yet; one labelAdded record for those.
    pub fn add_labels(&mut self, id: &str, labels: &[&str]) -> Option<GmailMessage> {
        let m = self.messages.iter_mut().find(|m| m.id == id)?;
        let new: Vec<String> = labels
            .iter()
            .filter(|l| !m.label_ids.iter().any(|x| x == *l))
            .map(|l| l.to_string())
            .collect();
        m.label_ids.extend(new.iter().cloned());
        if !new.is_empty() {
            let h = self.record(Change::LabelsAdded {
                id: id.to_string(),
                labels: new,
            });
            self.set_history_id(id, h);
        }
        self.message(id).cloned()
    }

    /// Removes labels the message has; one labelRemoved record for those.
    pub fn remove_labels(&mut self, id: &str, labels: &[&str]) -> Option<GmailMessage> {
        let m = self.messages.iter_mut().find(|m| m.id == id)?;
        let gone: Vec<String> = m
            .label_ids
            .iter()
            .filter(|l| labels.contains(&l.as_str()))
            .cloned()
            .collect();
        m.label_ids.retain(|l| !gone.contains(l));
        if !gone.is_empty() {
            let h = self.record(Change::LabelsRemoved {
                id: id.to_string(),
                labels: gone,
            });
            self.set_history_id(id, h);
        }
        self.message(id).cloned()
    }

    fn set_history_id(&mut self, id: &str, h: u64) {
        if let Some(m) = self.messages.iter_mut().find(|m| m.id == id) {
            m.history_id = h;
        }
    }

    /// drafts.send: the draft's message is deleted and a new SENT message (new id, same thread
    /// and headers) is added.
    pub fn send_draft(&mut self, account: &str, draft_id: &str) -> Option<GmailMessage> {
        let message_id = draft_id.strip_prefix("r-")?;
        let draft = self.message(message_id)?.clone();
        if !draft.label_ids.iter().any(|l| l == "DRAFT") {
            return None;
        }
        self.delete(message_id);
        let header = |n: &str| draft.header(n).unwrap_or_default().to_string();
        let sent = super::gmail::NewMessage {
            from: header("From"),
            to: header("To"),
            cc: header("Cc"),
            subject: header("Subject"),
            body: draft.body.clone(),
            internal_date: None,
            thread_id: Some(draft.thread_id.clone()),
            in_reply_to: draft.header("In-Reply-To").map(str::to_string),
            references: draft.header("References").map(str::to_string),
            sent: true,
            message_id: draft.header("Message-ID").map(str::to_string),
            draft: false,
            own_thread: false,
        };
        Some(self.add(account, sent))
    }
}

/// GET /gmail/v1/users/{user}/history?startHistoryId=…[&historyTypes=…]
pub async fn history(
    State(shared): State<Shared>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let mut world = shared.lock();
    let account = match bearer(&world, &headers, READ_SCOPES)
        .and_then(|a| charge(&mut world, Budget::Gmail, &a, 2).map(|()| a))
    {
        Ok(a) => a,
        Err(r) => return r,
    };
    let query = query.unwrap_or_default();
    let one = |key: &str| repeated(&query, key).pop();
    let Some(start) = one("startHistoryId").and_then(|s| s.parse::<u64>().ok()) else {
        return api_error(400, "invalidArgument", "startHistoryId is required", None);
    };
    let types = repeated(&query, "historyTypes");
    let mailbox = world.google.mailbox(&account);
    // The mailbox's current historyId is always a valid start, however much was trimmed.
    if start < mailbox.history_floor.min(mailbox.history_id) || start > mailbox.history_id {
        return api_error(404, "notFound", "Requested entity was not found.", None);
    }
    let max = one("maxResults")
        .and_then(|m| m.parse::<usize>().ok())
        .unwrap_or(100)
        .clamp(1, 500);
    let offset: usize = one("pageToken").and_then(|t| t.parse().ok()).unwrap_or(0);
    let records: Vec<&(u64, Change)> = mailbox
        .history
        .iter()
        .filter(|(h, c)| {
            *h > start && (types.is_empty() || types.iter().any(|t| t == c.history_type()))
        })
        .collect();
    let page: Vec<Value> = records
        .iter()
        .skip(offset)
        .take(max)
        .map(|(h, change)| {
            // A message that has since been deleted is still named by id and thread.
            let message = match mailbox.message(change.message_id()) {
                Some(m) => brief(m),
                None => match change {
                    Change::Deleted { id, thread_id } => json!({ "id": id, "threadId": thread_id }),
                    other => json!({ "id": other.message_id() }),
                },
            };
            let mut record = json!({ "id": h.to_string(), "messages": [{ "id": message["id"], "threadId": message["threadId"] }] });
            match change {
                Change::Added(_) => record["messagesAdded"] = json!([{ "message": message }]),
                Change::Deleted { .. } => {
                    record["messagesDeleted"] = json!([{ "message": message }])
                }
                Change::LabelsAdded { labels, .. } => {
                    record["labelsAdded"] = json!([{ "message": message, "labelIds": labels }])
                }
                Change::LabelsRemoved { labels, .. } => {
                    record["labelsRemoved"] = json!([{ "message": message, "labelIds": labels }])
                }
            }
            record
        })
        .collect();
    let mut out = json!({ "historyId": mailbox.history_id.to_string() });
    if !page.is_empty() {
        out["history"] = json!(page);
    }
    if offset + max < records.len() {
        out["nextPageToken"] = json!((offset + max).to_string());
    }
    Json(out).into_response()
}

/// POST /gmail/v1/users/{user}/messages/{id}/trash
pub async fn trash(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path((_user, id)): Path<(String, String)>,
) -> Response {
    relabel(&shared, &headers, &id, true)
}

/// POST /gmail/v1/users/{user}/messages/{id}/untrash
pub async fn untrash(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path((_user, id)): Path<(String, String)>,
) -> Response {
    relabel(&shared, &headers, &id, false)
}

fn relabel(shared: &Shared, headers: &HeaderMap, id: &str, to_trash: bool) -> Response {
    let mut world = shared.lock();
    let account = match bearer(&world, headers, MODIFY_SCOPES)
        .and_then(|a| charge(&mut world, Budget::Gmail, &a, 5).map(|()| a))
    {
        Ok(a) => a,
        Err(r) => return r,
    };
    let mailbox = world.google.mailbox(&account);
    let changed = if to_trash {
        mailbox.add_labels(id, &["TRASH"])
    } else {
        mailbox.remove_labels(id, &["TRASH"])
    };
    match changed {
        Some(m) => Json(brief(&m)).into_response(),
        None => api_error(404, "notFound", "Requested entity was not found.", None),
    }
}

/// POST /gmail/v1/users/{user}/drafts/send with `{"id": "<draft id>"}`: the sent message.
pub async fn send_draft(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let mut world = shared.lock();
    let account = match bearer(&world, &headers, SEND_SCOPES)
        .and_then(|a| charge(&mut world, Budget::Gmail, &a, 100).map(|()| a))
    {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Some(draft_id) = body["id"].as_str() else {
        return api_error(400, "invalidArgument", "Missing draft id.", None);
    };
    match world
        .google
        .mailbox(&account)
        .send_draft(&account, draft_id)
    {
        Some(m) => Json(brief(&m)).into_response(),
        None => api_error(404, "notFound", "Requested entity was not found.", None),
    }
}
