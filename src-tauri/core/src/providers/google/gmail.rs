//! Gmail as a [`MailSource`]: messages.list with a search query, history.list for changes,
//! messages.get with only the headers Cremmy reads; and as a [`MailOutbox`]: messages.send through
//! the upload endpoint (`message/rfc822`). Every call is paced to the account's quota.

use std::future::Future;
use std::sync::Arc;

use futures_util::{StreamExt, TryStreamExt};
use google_gmail1::api::Message;

use super::{Connector, Session};
use crate::failure::SourceError;
use crate::features::mail::send::{DraftRef, MailOutbox, Sent};
use crate::features::mail::{
    addresses, Changes, Filing, MailHeaders, MailQuery, MailSource, MessageChange, MessageRef, Page,
};
use crate::pacing::Pacer;

/// Quota units per call (Gmail's published costs).
pub(super) mod cost {
    pub const PROFILE: u32 = 1;
    pub const LIST: u32 = 5;
    pub const GET: u32 = 5;
    pub const HISTORY: u32 = 2;
    pub const SEND: u32 = 100;
    pub const DRAFT: u32 = 10;
}

const PAGE_SIZE: u32 = 500;
pub(super) const HEADERS: [&str; 6] = ["From", "To", "Cc", "Subject", "Message-ID", "In-Reply-To"];

/// One account's mailbox.
pub struct GmailMailbox {
    session: Session,
    hub: google_gmail1::Gmail<Connector>,
    owner: String,
    pacer: Arc<Pacer>,
    /// The grant includes reading mail (not only composing it).
    can_read: bool,
}

impl GmailMailbox {
    pub fn new(session: &Session, owner: &str) -> GmailMailbox {
        GmailMailbox {
            session: session.clone(),
            hub: session.gmail(),
            owner: owner.to_lowercase(),
            pacer: session.gmail_pacer(),
            can_read: true,
        }
    }

    /// An outbox for an account that may only compose: sent messages are not read back.
    pub fn without_read_access(mut self) -> GmailMailbox {
        self.can_read = false;
        self
    }

    pub(super) fn session(&self) -> &Session {
        &self.session
    }

    /// Waits until the quota allows `units` more.
    pub(super) async fn pace(&self, units: u32) {
        let wait = self.pacer.reserve(units, crate::pacing::elapsed_ms());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// One message's headers, alone (what a batch falls back to for a part that failed).
    pub(super) async fn headers_alone(&self, id: &str) -> Result<Option<MailHeaders>, SourceError> {
        let mut policy = self.session.meter().policy();
        let mut call = self
            .hub
            .users()
            .messages_get("me", id)
            .format("metadata")
            .delegate(&mut policy);
        for h in HEADERS {
            call = call.add_metadata_headers(h);
        }
        match self
            .call("gmail messages.get", cost::GET, call.doit())
            .await
        {
            Ok(m) => Ok(headers_of(m)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Waits for quota, then runs `call` with a timeout; maps its error.
    async fn call<T, F>(&self, api: &'static str, units: u32, call: F) -> Result<T, SourceError>
    where
        F: Future<Output = google_gmail1::Result<(google_gmail1::common::Response, T)>>,
    {
        self.pace(units).await;
        self.session.timed(api, call).await
    }
}

/// Gmail search syntax for a query: `after:<epoch s>` and `{from:a to:a cc:a …}` (OR braces).
pub fn search_query(query: &MailQuery) -> String {
    let mut q = format!("after:{}", query.after.div_euclid(1000));
    if !query.addresses.is_empty() {
        let terms: Vec<String> = query
            .addresses
            .iter()
            .flat_map(|a| [format!("from:{a}"), format!("to:{a}"), format!("cc:{a}")])
            .collect();
        q.push_str(&format!(" {{{}}}", terms.join(" ")));
    }
    q
}

fn message_ref(m: &Message) -> Option<MessageRef> {
    Some(MessageRef {
        provider_id: m.id.clone()?,
        thread_id: m.thread_id.clone().unwrap_or_default(),
    })
}

pub(super) fn headers_of(m: Message) -> Option<MailHeaders> {
    let provider_id = m.id?;
    let header = |name: &str| -> Option<String> {
        m.payload
            .as_ref()?
            .headers
            .as_ref()?
            .iter()
            .find(|h| {
                h.name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            })
            .and_then(|h| h.value.clone())
    };
    let labels = m.label_ids.unwrap_or_default();
    let has = |label: &str| labels.iter().any(|l| l == label);
    // A draft carries only DRAFT (Gmail's drafts guide); Trash and Spam win over Sent/Inbox.
    let filed = if has("DRAFT") {
        Filing::Draft
    } else if has("TRASH") {
        Filing::Trash
    } else if has("SPAM") {
        Filing::Spam
    } else if has("SENT") {
        Filing::Sent
    } else {
        Filing::Received
    };
    Some(MailHeaders {
        thread_id: m.thread_id.unwrap_or_else(|| provider_id.clone()),
        received_at: m.internal_date.unwrap_or(0),
        from: header("From").map(|v| addresses(&v)).unwrap_or_default(),
        to: header("To").map(|v| addresses(&v)).unwrap_or_default(),
        cc: header("Cc").map(|v| addresses(&v)).unwrap_or_default(),
        subject: header("Subject").unwrap_or_default(),
        snippet: m.snippet.unwrap_or_default(),
        message_id: header("Message-ID")
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty()),
        in_reply_to: header("In-Reply-To")
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty()),
        filed,
        provider_id,
    })
}

/// Labels that take a message out of client email.
const NOT_MAIL: [&str; 2] = ["TRASH", "SPAM"];

/// What one history record means for the mail Cremmy keeps (users.history: messagesAdded,
/// messagesDeleted, labelsAdded, labelsRemoved). Drafts arrive as messagesAdded with DRAFT and
/// are told apart when their headers are read; a sent draft is a new message.
fn history_changes(h: google_gmail1::api::History) -> Vec<MessageChange> {
    let mut out = Vec::new();
    let gone = |m: &Message| {
        m.id.clone()
            .map(|provider_id| MessageChange::Gone { provider_id })
    };
    for added in h.messages_added.unwrap_or_default() {
        out.extend(
            added
                .message
                .as_ref()
                .and_then(message_ref)
                .map(MessageChange::Appeared),
        );
    }
    for deleted in h.messages_deleted.unwrap_or_default() {
        out.extend(deleted.message.as_ref().and_then(gone));
    }
    let touches = |labels: &Option<Vec<String>>| {
        labels
            .iter()
            .flatten()
            .any(|l| NOT_MAIL.contains(&l.as_str()) || l == "DRAFT" || l == "SENT")
    };
    for added in h.labels_added.unwrap_or_default() {
        let Some(m) = added.message.as_ref() else {
            continue;
        };
        if added
            .label_ids
            .iter()
            .flatten()
            .any(|l| NOT_MAIL.contains(&l.as_str()))
        {
            out.extend(gone(m));
        } else if touches(&added.label_ids) {
            out.extend(message_ref(m).map(MessageChange::Appeared));
        }
    }
    for removed in h.labels_removed.unwrap_or_default() {
        let Some(m) = removed.message.as_ref() else {
            continue;
        };
        if touches(&removed.label_ids) {
            out.extend(message_ref(m).map(MessageChange::Appeared));
        }
    }
    out
}

impl MailSource for GmailMailbox {
    fn owner(&self) -> &str {
        &self.owner
    }

    async fn current_cursor(&self) -> Result<String, SourceError> {
        let mut policy = self.session.meter().policy();
        let profile = self
            .call(
                "gmail users.getProfile",
                cost::PROFILE,
                self.hub
                    .users()
                    .get_profile("me")
                    .delegate(&mut policy)
                    .doit(),
            )
            .await?;
        Ok(profile.history_id.unwrap_or(1).to_string())
    }

    async fn search(
        &self,
        query: &MailQuery,
        page: Option<String>,
    ) -> Result<Page<MessageRef>, SourceError> {
        let mut policy = self.session.meter().policy();
        let q = search_query(query);
        let mut call = self
            .hub
            .users()
            .messages_list("me")
            .q(&q)
            .max_results(PAGE_SIZE)
            .delegate(&mut policy);
        if let Some(token) = &page {
            call = call.page_token(token);
        }
        let found = self
            .call("gmail messages.list", cost::LIST, call.doit())
            .await?;
        Ok(Page {
            items: found
                .messages
                .unwrap_or_default()
                .iter()
                .filter_map(message_ref)
                .collect(),
            next: found.next_page_token.filter(|t| !t.is_empty()),
        })
    }

    async fn changes_since(
        &self,
        cursor: &str,
        page: Option<String>,
    ) -> Result<Changes, SourceError> {
        let Ok(start) = cursor.parse::<u64>() else {
            return Err(SourceError::CursorExpired);
        };
        let mut policy = self.session.meter().policy();
        let mut call = self
            .hub
            .users()
            .history_list("me")
            .start_history_id(start)
            .add_history_types("messageAdded")
            .add_history_types("messageDeleted")
            .add_history_types("labelAdded")
            .add_history_types("labelRemoved")
            .max_results(PAGE_SIZE)
            .delegate(&mut policy);
        if let Some(token) = &page {
            call = call.page_token(token);
        }
        let listed = match self
            .call("gmail history.list", cost::HISTORY, call.doit())
            .await
        {
            Err(e) if e.is_not_found() => return Err(SourceError::CursorExpired),
            other => other?,
        };
        let changes = listed
            .history
            .unwrap_or_default()
            .into_iter()
            .flat_map(history_changes)
            .collect();
        Ok(Changes {
            changes,
            next_page: listed.next_page_token.filter(|t| !t.is_empty()),
            cursor: listed
                .history_id
                .map(|h| h.to_string())
                .unwrap_or_else(|| cursor.to_string()),
        })
    }

    async fn headers(&self, ids: &[String]) -> Result<Vec<Option<MailHeaders>>, SourceError> {
        // A batch's calls land together: no more than the per-second quota holds (46 at 92 % of
        // Gmail's 250 units/s), else a batch could exceed the window all by itself. Two batches
        // in flight (the pacer still spaces their calls to the quota).
        let per_batch = (self.pacer.burst() / cost::GET)
            .clamp(1, super::gmail_batch::BATCH_CALLS as u32) as usize;
        let batches: Vec<_> = ids
            .chunks(per_batch)
            .map(|chunk| self.headers_batch(chunk))
            .collect();
        let read: Vec<Vec<Option<MailHeaders>>> = futures_util::stream::iter(batches)
            .buffered(2)
            .try_collect()
            .await?;
        Ok(read.into_iter().flatten().collect())
    }
}

impl MailOutbox for GmailMailbox {
    fn product_name(&self) -> &'static str {
        "Gmail"
    }

    fn owner(&self) -> &str {
        &self.owner
    }

    async fn create_draft(
        &self,
        raw: Vec<u8>,
        thread_id: Option<&str>,
    ) -> Result<DraftRef, SourceError> {
        let api = "gmail drafts.create";
        let mut policy = self.session.meter().policy();
        let rfc822: mime::Mime = "message/rfc822"
            .parse()
            .expect("message/rfc822 is a MIME type");
        let request = google_gmail1::api::Draft {
            message: Some(Message {
                thread_id: thread_id.map(str::to_string),
                ..Default::default()
            }),
            ..Default::default()
        };
        let draft = self
            .call(
                api,
                cost::DRAFT,
                self.hub
                    .users()
                    .drafts_create(request, "me")
                    .delegate(&mut policy)
                    .upload(std::io::Cursor::new(raw), rfc822),
            )
            .await?;
        let draft_id = draft
            .id
            .ok_or_else(|| super::incomplete(api, "the draft came back without its id"))?;
        Ok(DraftRef {
            draft_id,
            thread_id: draft.message.and_then(|m| m.thread_id),
        })
    }

    async fn send_draft(&self, draft_id: &str) -> Result<Option<Sent>, SourceError> {
        // drafts.send's metadata-only form (POST …/drafts/send with the Draft's id), which the
        // generated client does not offer (it only uploads a new message); Gmail deletes the
        // draft and answers with the new SENT message
        // (https://developers.google.com/workspace/gmail/api/guides/drafts, "Sending drafts").
        let api = "gmail drafts.send";
        let wait = self.pacer.reserve(cost::SEND, crate::pacing::elapsed_ms());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        let url = format!("{}gmail/v1/users/me/drafts/send", self.session.gmail_base());
        let answer = self
            .session
            .json_call(api, "POST", &url, &serde_json::json!({ "id": draft_id }))
            .await
            .map_err(SourceError::from);
        let sent = match answer {
            Err(e) if e.is_not_found() => return Ok(None),
            other => other?,
        };
        match (sent["id"].as_str(), sent["threadId"].as_str()) {
            (Some(id), Some(thread)) => Ok(Some(Sent {
                provider_id: Some(id.to_string()),
                thread_id: thread.to_string(),
            })),
            _ => Err(super::incomplete(
                api,
                "the sent message came back without its id",
            )),
        }
    }

    async fn stored_message_id(&self, provider_id: &str) -> Result<Option<String>, SourceError> {
        if !self.can_read {
            return Ok(None);
        }
        Ok(self
            .headers_alone(provider_id)
            .await?
            .and_then(|h| h.message_id))
    }

    async fn find_draft(&self, message_id: &str) -> Result<Option<DraftRef>, SourceError> {
        let mut policy = self.session.meter().policy();
        let q = format!("rfc822msgid:{}", message_id.trim_matches(['<', '>']));
        let found = self
            .call(
                "gmail drafts.list",
                cost::LIST,
                self.hub
                    .users()
                    .drafts_list("me")
                    .q(&q)
                    .max_results(1)
                    .delegate(&mut policy)
                    .doit(),
            )
            .await?;
        Ok(found.drafts.unwrap_or_default().into_iter().find_map(|d| {
            Some(DraftRef {
                draft_id: d.id?,
                thread_id: d.message.and_then(|m| m.thread_id),
            })
        }))
    }

    async fn find_message(&self, message_id: &str) -> Result<Option<Sent>, SourceError> {
        if !self.can_read {
            return Ok(None);
        }
        let mut policy = self.session.meter().policy();
        let q = format!("rfc822msgid:{}", message_id.trim_matches(['<', '>']));
        let found = self
            .call(
                "gmail messages.list",
                cost::LIST,
                self.hub
                    .users()
                    .messages_list("me")
                    .q(&q)
                    .include_spam_trash(true)
                    .max_results(1)
                    .delegate(&mut policy)
                    .doit(),
            )
            .await?;
        Ok(found
            .messages
            .unwrap_or_default()
            .into_iter()
            .find_map(|m| {
                Some(Sent {
                    provider_id: Some(m.id?),
                    thread_id: m.thread_id?,
                })
            }))
    }
}
