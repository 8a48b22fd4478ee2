//! Typed names that cross crates and are stored as text: the service a run used, what kind of run
//! it was, what kind of job. Each is spelled once here (as serde, the database and the UI see it);
//! a name written by a newer Cremmy reads as `Unknown` instead of failing.

use serde::{Deserialize, Serialize};

macro_rules! stored_names {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant,)+
            /// Written by a newer Cremmy.
            #[serde(other)]
            Unknown,
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                    $name::Unknown => "unknown",
                }
            }

            /// The name as stored; unknown text is `Unknown`.
            pub fn parse(text: &str) -> $name {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == text)
                    .unwrap_or($name::Unknown)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
    };
}

stored_names! {
    /// The service a run used (a provider's service: Gmail is Google's mail).
    Integration {
        Gmail = "gmail",
        Calendar = "calendar",
        Sheets = "sheets",
        Drive = "drive",
        Docs = "docs",
        /// Text messages (Twilio Messaging).
        Texts = "texts",
        /// A call log (Twilio Voice).
        Calls = "calls",
        /// The user's outbound webhook endpoints.
        Webhooks = "webhooks",
        /// The user's automation rules.
        Automation = "automation",
        /// Invoices, payment links and payments (Stripe).
        Payments = "payments",
        /// Outlook mail (Microsoft 365 / Outlook.com through Graph).
        Outlook = "outlook",
        /// The Outlook calendar (meetings in, tasks out).
        OutlookCalendar = "outlook_calendar",
        /// The user's CRM (HubSpot, Pipedrive, Salesforce): import and two-way sync.
        Crm = "crm",
    }
}

stored_names! {
    /// What a run did.
    RunKind {
        /// Every item in the look-back window.
        Full = "full",
        /// What changed since the stored cursor.
        Incremental = "incremental",
        /// Older mail of a contact added later.
        Backfill = "backfill",
        /// The provider's whole list compared with what is stored.
        Reconcile = "reconcile",
        Send = "send",
        Draft = "draft",
        Folder = "folder",
        Generate = "generate",
        Export = "export",
        Leads = "leads",
        Task = "task",
        /// Text reminders before meetings.
        Reminders = "reminders",
        /// An event pushed to a webhook endpoint.
        Deliver = "deliver",
        /// An automation rule's actions.
        Rule = "rule",
        /// An invoice made at the payment provider.
        Invoice = "invoice",
        /// A payment link made at the payment provider.
        PaymentLink = "payment_link",
        /// Clients pushed to an accounting provider as its customers or contacts.
        Push = "push",
        /// A first import of a CRM's customers, confirmed from its preview.
        Import = "import",
    }
}

impl Default for RunKind {
    /// A run that has not said otherwise pulls what changed.
    fn default() -> RunKind {
        RunKind::Incremental
    }
}

impl RunKind {
    /// A pull of a provider's items (as opposed to one outgoing job).
    pub fn is_pull(self) -> bool {
        matches!(
            self,
            RunKind::Full | RunKind::Incremental | RunKind::Backfill | RunKind::Reconcile
        )
    }
}

stored_names! {
    /// What an outgoing job does.
    JobKind {
        SendEmail = "send_email",
        DealDraft = "deal_draft",
        ClientFolder = "client_folder",
        GenerateDoc = "generate_doc",
        ExportSheets = "export_sheets",
        TaskEvent = "task_event",
        SendText = "send_text",
        WebhookDelivery = "webhook_delivery",
        RuleRun = "rule_run",
        /// An email draft an automation rule writes (not tied to a deal's proposal).
        EmailDraft = "email_draft",
        /// "Create invoice" on a deal.
        CreateInvoice = "create_invoice",
        /// "Payment link" on a deal.
        CreatePaymentLink = "create_payment_link",
    }
}

stored_names! {
    /// Something that happened, as automation rules and webhook endpoints subscribe to it (the
    /// event journal's `kind`, the `event` field of a webhook payload).
    EventKind {
        ClientCreated = "client_created",
        DealCreated = "deal_created",
        DealStageChanged = "deal_stage_changed",
        DealWon = "deal_won",
        DealLost = "deal_lost",
        /// A meeting with a contact was put on the calendar (still ahead when recorded).
        MeetingBooked = "meeting_booked",
        MeetingCancelled = "meeting_cancelled",
        /// A meeting Cremmy knew of beforehand has ended (and was not cancelled).
        MeetingCompleted = "meeting_completed",
        /// Mail from a client arrived (within a day of being recorded).
        EmailReceived = "email_received",
        /// An SMS or WhatsApp message from a client arrived.
        TextReceived = "text_received",
        /// A client's lead score rose to the threshold.
        ScoreCrossed = "score_crossed",
        /// A task not done is due today.
        TaskDue = "task_due",
        /// A payment to an invoice or payment link arrived.
        PaymentReceived = "payment_received",
        /// An open invoice passed its due date.
        InvoiceOverdue = "invoice_overdue",
        /// "Send test event" on an endpoint.
        Test = "test",
    }
}

impl EventKind {
    /// What the window calls it.
    pub fn label(self) -> &'static str {
        match self {
            EventKind::ClientCreated => "Client created",
            EventKind::DealCreated => "Deal created",
            EventKind::DealStageChanged => "Deal moved to another stage",
            EventKind::DealWon => "Deal won",
            EventKind::DealLost => "Deal lost",
            EventKind::MeetingBooked => "Meeting booked",
            EventKind::MeetingCancelled => "Meeting cancelled",
            EventKind::MeetingCompleted => "Meeting completed",
            EventKind::TaskDue => "Task due",
            EventKind::EmailReceived => "Email received",
            EventKind::TextReceived => "SMS/WhatsApp received",
            EventKind::ScoreCrossed => "Lead score crossed the threshold",
            EventKind::PaymentReceived => "Payment received",
            EventKind::InvoiceOverdue => "Invoice overdue",
            EventKind::Test => "Test event",
            EventKind::Unknown => "Unknown event",
        }
    }

    /// The events an endpoint can subscribe to (not the test event, which is sent on request).
    pub fn subscribable() -> impl Iterator<Item = EventKind> {
        EventKind::ALL
            .iter()
            .copied()
            .filter(|k| *k != EventKind::Test)
    }
}
