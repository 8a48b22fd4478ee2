//! Connected provider accounts as the UI sees them. Tokens never appear here: they live only in
//! the OS keychain.

use serde::{Deserialize, Serialize};

use crate::Provider;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Connected,
    /// The provider refused the stored grant (revoked, expired): the user must sign in again.
    /// Syncs for the account pause until then.
    NeedsReauth,
    Disconnected,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Connected => "connected",
            AccountStatus::NeedsReauth => "needs_reauth",
            AccountStatus::Disconnected => "disconnected",
        }
    }

    pub fn parse(s: &str) -> Option<AccountStatus> {
        [
            AccountStatus::Connected,
            AccountStatus::NeedsReauth,
            AccountStatus::Disconnected,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }
}

/// What an account is used for; each asks for its own minimal scopes, added when first needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    /// Reading mail to and from clients.
    MailIngest,
    /// Sending mail and creating drafts.
    MailSend,
    /// A Drive folder per client (files Cremmy creates).
    Drive,
    /// Proposals and contracts from Docs templates.
    Docs,
    /// Pipeline export and lead import.
    Sheets,
    /// Meetings.
    Calendar,
    /// Reading the user's own Google Docs (read-only), asked only when the user copies an
    /// existing Doc as a template.
    DocsRead,
    /// Text messages (SMS and WhatsApp): sending, replies, opt-outs.
    Sms,
    /// The provider's call log.
    Calls,
    /// Invoices, payment links and payments (Stripe).
    Payments,
    /// Companies, contacts and deals kept in step with the user's CRM (HubSpot, Pipedrive,
    /// Salesforce).
    CrmSync,
}

impl Feature {
    pub const ALL: [Feature; 11] = [
        Feature::MailIngest,
        Feature::MailSend,
        Feature::Drive,
        Feature::Docs,
        Feature::Sheets,
        Feature::Calendar,
        Feature::DocsRead,
        Feature::Sms,
        Feature::Calls,
        Feature::Payments,
        Feature::CrmSync,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Feature::MailIngest => "Read client email",
            Feature::MailSend => "Send email and drafts",
            Feature::Drive => "Client folders in Drive",
            Feature::Docs => "Proposals from Docs templates",
            Feature::Sheets => "Sheets export and lead import",
            Feature::Calendar => "Meetings from Calendar",
            Feature::DocsRead => "Read your own Docs (to copy a template)",
            Feature::Sms => "Text messages (SMS and WhatsApp)",
            Feature::Calls => "Call log",
            Feature::Payments => "Invoices, payment links and payments",
            Feature::CrmSync => "Companies, contacts and deals from your CRM",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: i64,
    pub provider: Provider,
    /// The account's identifier at the provider (its email address).
    pub email: String,
    /// Scopes the provider granted.
    pub scopes: Vec<String>,
    /// Features whose scopes are all granted.
    pub features: Vec<Feature>,
    pub status: AccountStatus,
    /// Unix ms.
    pub connected_at: i64,
    /// When the current access token expires (Unix ms), if one is held.
    pub access_expires_at: Option<i64>,
    /// Why the account needs attention, in words for the user.
    pub problem: Option<String>,
}

/// Starting a connection: which provider and what for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectRequest {
    pub provider: Provider,
    pub features: Vec<Feature>,
    /// Suggests which account to sign in with (reconnecting, adding a feature).
    #[serde(default)]
    pub login_hint: Option<String>,
}

/// Which OAuth client Cremmy signs in to a provider with. The secret never comes back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthClientSetup {
    pub provider: Provider,
    pub client_id: Option<String>,
    /// Set by `CREMMY_<PROVIDER>_CLIENT_ID` (which wins over Settings).
    pub from_environment: bool,
    /// The provider's clients have a secret to give (Google's); a public client (Xero's PKCE
    /// apps) has none.
    #[serde(default = "secret_by_default")]
    pub secret_required: bool,
    /// The https page the provider redirects to, which forwards to Cremmy's loopback address
    /// (Intuit's production keys take no `http://localhost` redirect).
    #[serde(default)]
    pub redirect_page: Option<String>,
    /// The provider may need such a page (QuickBooks).
    #[serde(default)]
    pub redirect_page_allowed: bool,
}

fn secret_by_default() -> bool {
    true
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthClientInput {
    pub provider: Provider,
    pub client_id: String,
    pub client_secret: String,
    /// An https forwarding page to redirect to instead of the loopback address (empty: none).
    #[serde(default)]
    pub redirect_page: Option<String>,
}

/// The secret never reaches a log or a panic message.
impl std::fmt::Debug for OAuthClientInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthClientInput")
            .field("provider", &self.provider)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<hidden>")
            .field("redirect_page", &self.redirect_page)
            .finish()
    }
}

/// What the backend tells the window on its own initiative (over the `app_events` channel).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AppEvent {
    /// A `cremmy://client/<id>` link: show that client.
    OpenClient {
        id: i64,
    },
    /// A sign-in finished by a deep link that no Connect button was waiting for.
    Connected {
        account: Account,
    },
    SignInFailed {
        error: crate::ApiError,
    },
    /// A `cremmy://` link that was refused (unknown, malformed, too long).
    LinkRefused {
        message: String,
    },
    /// The background engine changed (a run started, progressed or ended; paused; jobs).
    Engine {
        status: crate::engine::EngineStatus,
    },
}
