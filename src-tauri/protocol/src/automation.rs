//! Automation rules (Settings → Automation): when an event happens and its conditions hold, do
//! these actions, now or after a delay. Each rule runs once per event; its runs are its history.

use serde::{Deserialize, Serialize};

use crate::crm::Id;
use crate::kinds::EventKind;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub id: Id,
    pub name: String,
    pub trigger: EventKind,
    pub conditions: Vec<Condition>,
    pub delay: Option<Delay>,
    pub actions: Vec<RuleAction>,
    pub enabled: bool,
    pub created_at: i64,
}

/// The form: a rule without its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleInput {
    pub name: String,
    pub trigger: EventKind,
    #[serde(default)]
    pub conditions: Vec<Condition>,
    #[serde(default)]
    pub delay: Option<Delay>,
    pub actions: Vec<RuleAction>,
    pub enabled: bool,
}

/// What must hold for the rule to act (all of them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Condition {
    /// The deal is (now, or moved into) this stage.
    Stage {
        stage_id: Id,
    },
    /// The client has this tag.
    HasTag {
        tag: String,
    },
    /// The deal is worth at least this much, in minor units of its own currency.
    ValueAtLeast {
        minor: i64,
    },
    /// The deal is in this currency.
    Currency {
        currency: String,
    },
    /// The client's contact has an email address / a phone number.
    HasEmail,
    HasPhone,
    /// A custom field of the client has exactly this value (case-insensitive).
    CustomField {
        field: String,
        equals: String,
    },
    /// The event happened between these hours of the local day (from inclusive, to exclusive).
    Hours {
        from: u8,
        to: u8,
    },
}

/// When the actions run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Delay {
    /// This many minutes after the event.
    After { minutes: i64 },
    /// At this local time on the next working day (Monday to Friday) after the event.
    NextWorkingDayAt { hour: u8, minute: u8 },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RuleAction {
    /// A task for the client (and deal); `{client}`, `{deal}` and `{stage}` are filled in.
    CreateTask {
        title: String,
        due_in_days: i64,
        /// A reminder at this local hour of the due day (the desktop notification).
        #[serde(default)]
        remind_at_hour: Option<u8>,
    },
    MoveDeal {
        stage_id: Id,
    },
    /// A deal in the first stage, in the home currency; `{client}` is filled in.
    CreateDeal {
        title: String,
    },
    AddTag {
        tag: String,
    },
    RemoveTag {
        tag: String,
    },
    /// The client's Drive folder (through the connected Google account).
    ClientFolder,
    /// The deal's proposal draft from the email template (Settings → Drafts).
    ProposalDraft,
    /// A Google Doc from the kind's template (Settings → Documents), for the client and deal.
    GenerateDoc {
        document: crate::crm::DocumentKind,
    },
    /// A text to the client's first contact with a phone, from this body (`{{contact_first_name}}`
    /// and the other text variables), by SMS or WhatsApp.
    SendText {
        body: String,
        #[serde(default)]
        channel: crate::sms::Channel,
        /// WhatsApp: an approved template (its id) sent instead of `body`, the only way to
        /// write first or more than 24 hours after the contact's last message.
        #[serde(default)]
        whatsapp_template: Option<String>,
    },
    /// An email to the client's first contact with an address, from this subject and body (the
    /// proposal template's `{{variables}}`): a draft in the mail account with a task to review it,
    /// or sent at once when the user turned on "send without review" for this rule.
    Email {
        subject: String,
        body: String,
        #[serde(default)]
        send_without_review: bool,
    },
    /// A task due `days_after` the event at `hour:minute` (local time), put on the calendar of the
    /// account with Calendar access; `{client}`, `{deal}` and `{stage}` are filled in the title.
    CalendarEvent {
        title: String,
        days_after: i64,
        hour: u8,
        minute: u8,
    },
    /// An invoice for the deal at the payment provider, due `days_until_due` after it is
    /// finalised, sent at once (or left a draft).
    CreateInvoice {
        days_until_due: u32,
        #[serde(default)]
        send: bool,
    },
    /// A payment link for the deal's value.
    PaymentLink,
    /// The event, signed, to one webhook endpoint.
    CallWebhook {
        endpoint_id: Id,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleRunStatus {
    /// Due later (a delay).
    Waiting,
    Done,
    Failed,
    /// Not run: the rule caused the event itself, or the chain of rules was too deep.
    Refused,
}

/// One event a rule acted on (or refused), for its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRun {
    pub id: Id,
    pub rule_id: Id,
    pub event: EventKind,
    pub client_name: Option<String>,
    pub occurred_at: i64,
    pub due_at: i64,
    pub status: RuleRunStatus,
    pub detail: String,
}

/// "Dry run": what the rule would have done over the last 30 days. Nothing is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DryRun {
    pub events_seen: u64,
    pub would: Vec<WouldRun>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WouldRun {
    pub event: EventKind,
    pub occurred_at: i64,
    pub client_name: Option<String>,
    pub due_at: i64,
    /// What each action would do, in words.
    pub actions: Vec<String>,
}
