//! Gmail API v1: profile, messages.list (with the `q` filters Cremmy uses), messages.get
//! (`minimal`, `metadata` with chosen headers, `full`), history.list with real historyId
//! semantics (increasing ids, 404 below the retained window).

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::bearer;
use super::errors::api_error;
use super::quota::{charge, Budget};
use crate::state::Shared;

pub const READ_SCOPES: &[&str] = &[
    "https://www.googleapis.com/auth/gmail.readonly",
    "https://www.googleapis.com/auth/gmail.modify",
    "https://mail.google.com/",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GmailMessage {
    pub id: String,
    pub thread_id: String,
    pub label_ids: Vec<String>,
    pub internal_date: i64,
    pub headers: Vec<(String, String)>,
    pub snippet: String,
    pub body: String,
    pub history_id: u64,
}

impl GmailMessage {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What a caller provides to put a message into a mailbox.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewMessage {
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub cc: String,
    pub subject: String,
    #[serde(default)]
    pub body: String,
    /// Milliseconds since the epoch; default: now.
    #[serde(default)]
    pub internal_date: Option<i64>,
    #[serde(default)]
    pub thread_id: Option<String>,
    #[serde(default)]
    pub in_reply_to: Option<String>,
    /// The References header as sent (default: the In-Reply-To alone).
    #[serde(default)]
    pub references: Option<String>,
    /// Mark as sent by the mailbox owner (label SENT instead of INBOX).
    #[serde(default)]
    pub sent: bool,
    /// The sender's own Message-ID header, kept as given (else the sandbox makes one).
    #[serde(default)]
    pub message_id: Option<String>,
    /// A draft: label DRAFT only (Gmail's drafts guide: draft messages carry no other label).
    #[serde(skip)]
    pub draft: bool,
    /// Start a thread of its own whatever its headers say (a sent message that does not meet
    /// Gmail's threading rules).
    #[serde(skip)]
    pub own_thread: bool,
}

#[derive(Debug, Default)]
pub struct Mailbox {
    pub messages: Vec<GmailMessage>,
    /// Every change, in order: (history id, what changed). See `gmail_history.rs`.
    pub history: Vec<(u64, super::gmail_history::Change)>,
    pub history_id: u64,
    /// History ids below this are no longer retained: history.list answers 404.
    pub history_floor: u64,
    next_message: u64,
    /// Message id → position in `messages` (a benchmark mailbox holds tens of thousands).
    by_id: std::collections::HashMap<String, usize>,
}

impl Mailbox {
    /// The message with this id.
    pub fn message(&self, id: &str) -> Option<&GmailMessage> {
        match self.by_id.get(id).and_then(|&i| self.messages.get(i)) {
            Some(m) if m.id == id => Some(m),
            _ => self.messages.iter().find(|m| m.id == id),
        }
    }

    pub fn add(&mut self, account: &str, m: NewMessage) -> GmailMessage {
        self.next_message += 1;
        // An empty mailbox reports historyId 1 (`profile`): the first change is after it.
        self.history_id = self.history_id.max(1) + 1;
        if self.history_floor == 0 {
            self.history_floor = 1;
        }
        // Ids are per mailbox in Gmail: the same message in two mailboxes has two ids (and each
        // mailbox its own thread), so the account is mixed in.
        let mailbox_salt = account
            .bytes()
            .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
            % 0x1_0000;
        let id = format!(
            "{:016x}",
            0x18c0_0000_0000_0000u64 + (mailbox_salt << 32) + self.next_message * 7919
        );
        let internal_date = m
            .internal_date
            .unwrap_or_else(|| (crate::unix_nanos() / 1_000_000) as i64);
        let message_id = m
            .message_id
            .clone()
            .filter(|id| !id.trim().is_empty())
            .unwrap_or_else(|| {
                format!(
                    "<sbx-{}-{}@mail.sandbox.example>",
                    self.next_message,
                    account.split('@').next().unwrap_or("x")
                )
            });
        let thread_id = m
            .thread_id
            .clone()
            .filter(|_| !m.own_thread)
            .or_else(|| {
                if m.own_thread {
                    return None;
                }
                let parent = m.in_reply_to.as_deref()?;
                self.messages
                    .iter()
                    .find(|x| x.header("Message-ID") == Some(parent))
                    .map(|x| x.thread_id.clone())
            })
            .unwrap_or_else(|| id.clone());
        let mut headers = vec![
            ("From".to_string(), m.from.clone()),
            ("To".to_string(), m.to.clone()),
            ("Subject".to_string(), m.subject.clone()),
            ("Date".to_string(), crate::rfc2822_date(internal_date)),
            ("Message-ID".to_string(), message_id),
        ];
        if !m.cc.is_empty() {
            headers.push(("Cc".to_string(), m.cc.clone()));
        }
        if let Some(parent) = &m.in_reply_to {
            headers.push(("In-Reply-To".to_string(), parent.clone()));
            headers.push((
                "References".to_string(),
                m.references.clone().unwrap_or_else(|| parent.clone()),
            ));
        }
        let message = GmailMessage {
            id: id.clone(),
            thread_id,
            label_ids: if m.draft {
                vec!["DRAFT".into()]
            } else if m.sent {
                vec!["SENT".into()]
            } else {
                vec!["INBOX".into(), "UNREAD".into()]
            },
            internal_date,
            headers,
            snippet: m.body.chars().take(140).collect(),
            body: m.body,
            history_id: self.history_id,
        };
        self.by_id.insert(message.id.clone(), self.messages.len());
        self.messages.push(message.clone());
        // A draft is a message too: its creation is a messageAdded record (with label DRAFT).
        self.history
            .push((self.history_id, super::gmail_history::Change::Added(id)));
        message
    }

    /// Forgets history before `keep_from` (as Google does after about a week).
    pub fn trim_history(&mut self, keep_from: u64) {
        self.history_floor = keep_from;
        self.history.retain(|(h, _)| *h >= keep_from);
    }

    /// Rebuilds the id index after messages were removed.
    pub(super) fn reindex(&mut self) {
        self.by_id = self
            .messages
            .iter()
            .enumerate()
            .map(|(i, m)| (m.id.clone(), i))
            .collect();
    }
}

/// Matches the subset of Gmail search Cremmy uses: `from:`, `to:` (To and Cc), `cc:`, `rfc822msgid:`, `after:` and
/// `before:` (YYYY/MM/DD or epoch seconds), `in:sent`, `in:inbox`, and `{a b c}` groups (any of
/// the terms, Gmail's OR braces); terms are ANDed.
pub fn matches_query(m: &GmailMessage, q: &str) -> bool {
    let mut group: Option<Vec<&str>> = None;
    let mut all = true;
    for token in q.split_whitespace() {
        if let Some(open) = group.as_mut() {
            let (term, closed) = match token.strip_suffix('}') {
                Some(t) => (t, true),
                None => (token, false),
            };
            if !term.is_empty() {
                open.push(term);
            }
            if closed {
                let terms = group.take().unwrap_or_default();
                all &= terms.iter().any(|t| matches_term(m, t));
            }
            continue;
        }
        if let Some(rest) = token.strip_prefix('{') {
            match rest.strip_suffix('}') {
                Some(single) => all &= single.is_empty() || matches_term(m, single),
                None => group = Some(if rest.is_empty() { vec![] } else { vec![rest] }),
            }
            continue;
        }
        all &= matches_term(m, token);
    }
    if let Some(unclosed) = group {
        all &= unclosed.iter().any(|t| matches_term(m, t));
    }
    all
}

fn matches_term(m: &GmailMessage, term: &str) -> bool {
    let (key, value) = term.split_once(':').unwrap_or(("", term));
    let value = value
        .trim_matches(|c| c == '"' || c == '(' || c == ')')
        .to_lowercase();
    let contains = |h: &str| {
        m.header(h)
            .is_some_and(|v| v.to_lowercase().contains(&value))
    };
    match key.to_lowercase().as_str() {
        "from" => contains("From"),
        "to" => contains("To") || contains("Cc"),
        "cc" => contains("Cc"),
        // Gmail's exact Message-ID search (with or without the angle brackets).
        "rfc822msgid" => m.header("Message-ID").is_some_and(|v| {
            v.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_lowercase()
                == value.trim_start_matches('<').trim_end_matches('>')
        }),
        "after" => parse_query_date(&value).is_some_and(|t| m.internal_date >= t),
        "before" => parse_query_date(&value).is_some_and(|t| m.internal_date < t),
        "in" => match value.as_str() {
            "sent" => m.label_ids.iter().any(|l| l == "SENT"),
            "inbox" => m.label_ids.iter().any(|l| l == "INBOX"),
            _ => true,
        },
        _ => {
            let needle = term.to_lowercase();
            m.snippet.to_lowercase().contains(&needle) || contains("Subject")
        }
    }
}

fn parse_query_date(v: &str) -> Option<i64> {
    if let Ok(secs) = v.parse::<i64>() {
        return Some(secs * 1000);
    }
    let parts: Vec<i64> = v.split(['/', '-']).filter_map(|p| p.parse().ok()).collect();
    let [y, m, d] = parts[..] else { return None };
    Some(crate::days_from_civil(y, m, d) * 86_400_000)
}

fn message_json(m: &GmailMessage, format: &str, wanted: &[String]) -> Value {
    let mut out = json!({
        "id": m.id,
        "threadId": m.thread_id,
        "labelIds": m.label_ids,
        "snippet": m.snippet,
        "historyId": m.history_id.to_string(),
        "internalDate": m.internal_date.to_string(),
        "sizeEstimate": 512 + m.body.len(),
    });
    if format == "minimal" {
        return out;
    }
    let headers: Vec<Value> = m
        .headers
        .iter()
        .filter(|(k, _)| {
            format == "full"
                || wanted.is_empty()
                || wanted.iter().any(|w| w.eq_ignore_ascii_case(k))
        })
        .map(|(k, v)| json!({ "name": k, "value": v }))
        .collect();
    let mut payload = json!({ "mimeType": "text/plain", "headers": headers });
    if format == "full" {
        use base64::Engine;
        payload["body"] = json!({
            "size": m.body.len(),
            "data": base64::engine::general_purpose::URL_SAFE.encode(m.body.as_bytes()),
        });
    }
    out["payload"] = payload;
    out
}

pub async fn profile(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(user): Path<String>,
) -> Response {
    let mut world = shared.lock();
    let account = match bearer(&world, &headers, READ_SCOPES)
        .and_then(|a| charge(&mut world, Budget::Gmail, &a, 1).map(|()| a))
    {
        Ok(a) => a,
        Err(r) => return r,
    };
    if user != "me" && user != account {
        return api_error(403, "forbidden", "Delegation denied", None);
    }
    let mailbox = world.google.mailbox(&account);
    Json(json!({
        "emailAddress": account,
        "messagesTotal": mailbox.messages.len(),
        "threadsTotal": mailbox.messages.iter().map(|m| &m.thread_id).collect::<std::collections::HashSet<_>>().len(),
        "historyId": mailbox.history_id.max(1).to_string(),
    }))
    .into_response()
}

#[derive(Debug, Deserialize)]
pub struct ListParams {
    #[serde(default)]
    q: Option<String>,
    #[serde(default, rename = "maxResults")]
    max_results: Option<usize>,
    #[serde(default, rename = "pageToken")]
    page_token: Option<String>,
    #[serde(default, rename = "includeSpamTrash")]
    include_spam_trash: Option<bool>,
}

/// Whether a message is in Spam or Trash, which listings leave out unless asked
/// (https://developers.google.com/workspace/gmail/api/reference/rest/v1/users.messages/list:
/// `includeSpamTrash`, "Include messages from SPAM and TRASH in the results", default false).
pub fn in_spam_or_trash(m: &GmailMessage) -> bool {
    m.label_ids.iter().any(|l| l == "SPAM" || l == "TRASH")
}

pub async fn list_messages(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(p): Query<ListParams>,
) -> Response {
    let mut world = shared.lock();
    let account = match bearer(&world, &headers, READ_SCOPES)
        .and_then(|a| charge(&mut world, Budget::Gmail, &a, 5).map(|()| a))
    {
        Ok(a) => a,
        Err(r) => return r,
    };
    let max = p.max_results.unwrap_or(100).clamp(1, 500);
    let offset: usize = match p.page_token.as_deref().map(str::parse) {
        None => 0,
        Some(Ok(n)) => n,
        Some(Err(_)) => return api_error(400, "invalidArgument", "Invalid pageToken", None),
    };
    let q = p.q.unwrap_or_default();
    let mailbox = world.google.mailbox(&account);
    let mut found: Vec<&GmailMessage> = mailbox
        .messages
        .iter()
        .filter(|m| p.include_spam_trash == Some(true) || !in_spam_or_trash(m))
        .filter(|m| matches_query(m, &q))
        .collect();
    found.sort_by(|a, b| {
        b.internal_date
            .cmp(&a.internal_date)
            .then_with(|| b.id.cmp(&a.id))
    });
    let page: Vec<Value> = found
        .iter()
        .skip(offset)
        .take(max)
        .map(|m| json!({ "id": m.id, "threadId": m.thread_id }))
        .collect();
    let mut out = json!({ "resultSizeEstimate": found.len() });
    if !page.is_empty() {
        out["messages"] = json!(page);
    }
    if offset + max < found.len() {
        out["nextPageToken"] = json!((offset + max).to_string());
    }
    Json(out).into_response()
}

/// Query parameters that may repeat (`metadataHeaders=From&metadataHeaders=To`).
pub(super) fn repeated(query: &str, key: &str) -> Vec<String> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .filter(|(k, _)| *k == key)
        .map(|(_, v)| crate::urldecode(v))
        .collect()
}

pub async fn get_message(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path((_user, id)): Path<(String, String)>,
    uri: axum::http::Uri,
) -> Response {
    let mut world = shared.lock();
    let account = match bearer(&world, &headers, READ_SCOPES)
        .and_then(|a| charge(&mut world, Budget::Gmail, &a, 5).map(|()| a))
    {
        Ok(a) => a,
        Err(r) => return r,
    };
    let query = uri.query().unwrap_or("");
    let format = repeated(query, "format")
        .pop()
        .unwrap_or_else(|| "full".into());
    let wanted = repeated(query, "metadataHeaders");
    match world.google.mailbox(&account).message(&id) {
        Some(m) => Json(message_json(m, &format, &wanted)).into_response(),
        None => api_error(404, "notFound", "Requested entity was not found.", None),
    }
}
