//! Sending mail from Cremmy: what the "Send email" form submits and what comes back.

use serde::{Deserialize, Serialize};

use crate::crm::Id;

/// "Send email" on the client page, or "Reply" on an email in the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SendEmailInput {
    /// The contact it goes to (their primary email address).
    pub contact_id: Id,
    pub subject: String,
    pub body: String,
    /// The email activity this answers: the reply keeps its thread (In-Reply-To, References).
    #[serde(default)]
    pub reply_to: Option<Id>,
    /// The deal it is about; a reply to tracked mail then shows on the deal.
    #[serde(default)]
    pub deal_id: Option<Id>,
    /// The connected account it is sent from ("Send from"); `None`: the account that holds the
    /// mail a reply answers, else the first one allowed to send.
    #[serde(default)]
    pub from_account: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentEmail {
    /// The outgoing `email` activity on the client's timeline.
    pub activity_id: Id,
    pub message_id: String,
    pub thread_id: String,
    /// The Google account it was sent from.
    pub account_email: String,
}

/// The email drafted in Gmail when a deal enters a stage (default: Proposal). Subject and body are
/// templates with `{{client_name}}`, `{{deal_title}}`, `{{deal_value}}`, `{{date}}`,
/// `{{contact_name}}`, `{{contact_first_name}}`, `{{stage}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftTemplate {
    pub subject: String,
    pub body: String,
}

/// A template filled in for one contact: what the "Send email" form starts from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderedEmail {
    pub subject: String,
    pub body: String,
}
