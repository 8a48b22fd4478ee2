//! The mail capabilities, one variant per provider: a mailbox Cremmy reads (Gmail, Outlook) and
//! an outbox it sends from (Gmail, Outlook).

use crate::failure::SourceError;
use crate::features::mail::send::{DraftRef, MailOutbox, Sent};
use crate::features::mail::{Changes, MailHeaders, MailQuery, MailSource, MessageRef, Page};
use crate::providers::{google, microsoft};

pub enum Mailbox {
    Google(google::gmail::GmailMailbox),
    Outlook(microsoft::outlook::OutlookMailbox),
}

pub enum Outbox {
    Google(google::gmail::GmailMailbox),
    Outlook(microsoft::outlook::OutlookMailbox),
}

impl MailSource for Mailbox {
    fn owner(&self) -> &str {
        each!(self, m => MailSource::owner(m))
    }
    async fn current_cursor(&self) -> Result<String, SourceError> {
        each!(self, m => m.current_cursor().await)
    }
    async fn search(
        &self,
        query: &MailQuery,
        page: Option<String>,
    ) -> Result<Page<MessageRef>, SourceError> {
        each!(self, m => m.search(query, page).await)
    }
    async fn changes_since(
        &self,
        cursor: &str,
        page: Option<String>,
    ) -> Result<Changes, SourceError> {
        each!(self, m => m.changes_since(cursor, page).await)
    }
    async fn headers(&self, ids: &[String]) -> Result<Vec<Option<MailHeaders>>, SourceError> {
        each!(self, m => m.headers(ids).await)
    }
}

impl MailOutbox for Outbox {
    fn product_name(&self) -> &'static str {
        each!(self, m => m.product_name())
    }
    fn owner(&self) -> &str {
        each!(self, m => MailOutbox::owner(m))
    }
    async fn create_draft(
        &self,
        raw: Vec<u8>,
        thread_id: Option<&str>,
    ) -> Result<DraftRef, SourceError> {
        each!(self, m => m.create_draft(raw, thread_id).await)
    }
    async fn send_draft(&self, draft_id: &str) -> Result<Option<Sent>, SourceError> {
        each!(self, m => m.send_draft(draft_id).await)
    }
    async fn stored_message_id(&self, provider_id: &str) -> Result<Option<String>, SourceError> {
        each!(self, m => m.stored_message_id(provider_id).await)
    }
    async fn find_message(&self, message_id: &str) -> Result<Option<Sent>, SourceError> {
        each!(self, m => m.find_message(message_id).await)
    }
    async fn find_draft(&self, message_id: &str) -> Result<Option<DraftRef>, SourceError> {
        each!(self, m => m.find_draft(message_id).await)
    }
}
