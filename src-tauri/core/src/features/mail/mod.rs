//! Client email: mail to or from a contact's address becomes an `email` activity on that client,
//! once, whichever account saw it and however often it is synced. Matching happens locally
//! against every contact address, so the mailbox is read once whatever the number of clients.

pub mod drafts;
mod ingest;
pub mod plan;
pub mod send;
mod store;

use std::collections::HashMap;
use std::future::Future;

use cremmy_protocol::crm::{Direction, Id};

use crate::clock::Timestamp;
use crate::failure::SourceError;
use crate::feature_error::{Fault, FeatureError};

pub use ingest::{settle, MailRun, MailSync, IMPORT_CHUNK};
pub use plan::{plan, MailOp, MailPlanInput, MailSettings};
pub use store::contact_book;

/// How client email (ingest, sending, drafts) fails.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("Check the {field}: {reason}.")]
    Invalid { field: &'static str, reason: String },
    #[error("{}", crate::db::describe(.0))]
    Db(#[from] sqlx::Error),
}

impl FeatureError for MailError {
    fn fault(&self) -> Fault<'_> {
        match self {
            MailError::Source(e) => Fault::Provider(e),
            MailError::Invalid { .. } => Fault::Input,
            MailError::Db(_) => Fault::Storage,
        }
    }
}

/// What Cremmy reads of a message: its headers and snippet, never the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailHeaders {
    /// The provider's id for the message in this mailbox.
    pub provider_id: String,
    pub thread_id: String,
    /// When the mailbox received it (ms).
    pub received_at: Timestamp,
    pub from: Vec<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: String,
    pub snippet: String,
    /// RFC 5322 Message-ID, angle brackets included; the key across accounts.
    pub message_id: Option<String>,
    pub in_reply_to: Option<String>,
    /// Where the mailbox files it: only received and sent messages are client email.
    pub filed: Filing,
}

/// Where a mailbox files a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Filing {
    #[default]
    Received,
    /// Sent by the mailbox owner.
    Sent,
    /// Not sent yet: the owner's own unfinished text (or a draft Cremmy made).
    Draft,
    Spam,
    Trash,
}

impl Filing {
    /// Whether a message filed so is client email (a draft, spam or trash is not).
    pub fn is_mail(self) -> bool {
        matches!(self, Filing::Received | Filing::Sent)
    }
}

/// A message found by a search or a change listing: ids only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRef {
    pub provider_id: String,
    pub thread_id: String,
}

/// One page of results and where the next begins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

/// One change to a message since a cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageChange {
    /// New, or possibly mail again (restored from Trash or Spam, a draft sent): look at it.
    Appeared(MessageRef),
    /// Deleted, or moved to Trash or Spam: no longer client email in this mailbox.
    Gone { provider_id: String },
}

/// The changes since a cursor, in the order they happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changes {
    pub changes: Vec<MessageChange>,
    pub next_page: Option<String>,
    /// The cursor that covers everything listed (valid once the last page is read).
    pub cursor: String,
}

/// "Mail received after `after` involving any of `addresses`" (all mail when empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailQuery {
    pub after: Timestamp,
    pub addresses: Vec<String>,
}

/// A mailbox Cremmy reads (Gmail now; Outlook later).
pub trait MailSource: Sync {
    /// The mailbox owner's address.
    fn owner(&self) -> &str;
    /// The mailbox's current change cursor (Gmail: its historyId).
    fn current_cursor(&self) -> impl Future<Output = Result<String, SourceError>> + Send;
    /// Messages matching `query`, newest first, one page.
    fn search(
        &self,
        query: &MailQuery,
        page: Option<String>,
    ) -> impl Future<Output = Result<Page<MessageRef>, SourceError>> + Send;
    /// Messages added after `cursor`; [`SourceError::CursorExpired`] when the mailbox no longer
    /// remembers that far back.
    fn changes_since(
        &self,
        cursor: &str,
        page: Option<String>,
    ) -> impl Future<Output = Result<Changes, SourceError>> + Send;
    /// Several messages' headers, in the order of `ids` (`None` for one deleted meanwhile), in
    /// as few requests as the provider allows.
    fn headers(
        &self,
        ids: &[String],
    ) -> impl Future<Output = Result<Vec<Option<MailHeaders>>, SourceError>> + Send;
}

/// Who a contact address belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactRef {
    pub contact_id: Id,
    pub client_id: Id,
}

/// Every contact address, lower-case.
pub type ContactBook = HashMap<String, ContactRef>;

/// Where a message goes: its client and contact, and which way it went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailMatch {
    pub contact: ContactRef,
    pub direction: Direction,
}

/// Matches a message to a contact: outgoing mail (from the owner, or filed as sent) goes to the
/// first contact among To then Cc; incoming mail to its sender if a contact, else the first
/// contact among To then Cc (a client's colleague writing with the contact in copy).
pub fn match_message(m: &MailHeaders, owner: &str, book: &ContactBook) -> Option<MailMatch> {
    let outbound = m.filed == Filing::Sent || m.from.iter().any(|a| a.eq_ignore_ascii_case(owner));
    let lookup = |a: &String| book.get(&a.to_lowercase()).copied();
    let contact = if outbound {
        m.to.iter().chain(&m.cc).find_map(lookup)
    } else {
        m.from.iter().chain(&m.to).chain(&m.cc).find_map(lookup)
    }?;
    Some(MailMatch {
        contact,
        direction: if outbound {
            Direction::Outbound
        } else {
            Direction::Inbound
        },
    })
}

/// The addresses in an address-list header (`"Doe, J" <j@x.com>, team: a@b.c;`), lower-case;
/// unparseable parts are skipped.
pub fn addresses(header: &str) -> Vec<String> {
    let Ok(list) = mailparse::addrparse(header) else {
        return header
            .split(',')
            .filter_map(|part| {
                let part = part.trim();
                let inner = match (part.rfind('<'), part.rfind('>')) {
                    (Some(a), Some(b)) if a < b => &part[a + 1..b],
                    _ => part,
                };
                inner.contains('@').then(|| inner.trim().to_lowercase())
            })
            .collect();
    };
    let mut out = Vec::new();
    for addr in list.iter() {
        match addr {
            mailparse::MailAddr::Single(s) => out.push(s.addr.to_lowercase()),
            mailparse::MailAddr::Group(g) => {
                out.extend(g.addrs.iter().map(|s| s.addr.to_lowercase()))
            }
        }
    }
    out.retain(|a| a.contains('@'));
    out
}
