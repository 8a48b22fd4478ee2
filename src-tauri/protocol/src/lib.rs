//! Plain data shared by the core (which produces it), the desktop shell (which carries it over
//! IPC) and the UI (which renders it). Serde derives only: no I/O, no transport, builds for wasm32.

use serde::{Deserialize, Serialize};

pub mod accounts;
pub mod automation;
pub mod commands;
pub mod crm;
pub mod crm_sync;
pub mod csv;
pub mod data;
pub mod docs;
pub mod engine;
pub mod kinds;
pub mod mail;
pub mod payments;
pub mod provider_versions;
pub mod reports;
pub mod scores;
pub mod sms;
pub mod sync;
pub mod today;
pub mod webhooks;

/// An error as the UI sees it: a stable machine code to match on and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Stable error codes. The UI matches on these; never rename one, only add.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The database file exists but is not a readable Cremmy database. Nothing was written.
    DatabaseUnreadable,
    /// The database was written by a newer Cremmy; this version will not touch it.
    DatabaseTooNew,
    /// The data directory or database file cannot be created or opened.
    DataDirUnavailable,
    /// Something the user asked for does not exist (any more).
    NotFound,
    /// The input was rejected; the message says which field and why.
    InvalidInput,
    /// The request conflicts with existing data (e.g. an email already used by another contact).
    Conflict,
    /// The app failed in a way the user cannot fix; the message has details for a bug report.
    Internal,
    /// The backend could not be reached at all (UI side only: the IPC call itself failed).
    Transport,
    /// The user cancelled (e.g. declined on the provider's consent screen). Nothing changed.
    Cancelled,
    /// The provider no longer accepts the account's grant: reconnect it.
    ReconnectNeeded,
    /// The provider could not be reached or answered with an error; trying again may work.
    ProviderUnavailable,
    /// A provider integration lacks its setup (e.g. no OAuth client id); the message says what.
    NotConfigured,
    /// The user did not finish in time (e.g. the browser sign-in); start again.
    TimedOut,
}

/// What the status bar and `cremmy doctor` show about the local database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseStatus {
    pub data_dir: String,
    pub database_path: String,
    /// Highest applied migration version.
    pub schema_version: i64,
    pub journal_mode: String,
}

/// The answer to "is my installation healthy?" (`cremmy doctor`, Settings page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoctorReport {
    pub app_version: String,
    pub database: DatabaseStatus,
    pub keychain: KeychainStatus,
    pub integrations: Vec<IntegrationStatus>,
    /// Settings that were not taken, and why (a refused base-URL override).
    #[serde(default)]
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum KeychainStatus {
    Reachable { backend: String },
    Unreachable { backend: String, reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationStatus {
    pub provider: Provider,
    pub state: IntegrationState,
    /// Where API calls go: the real host, or an override such as the provider sandbox.
    pub base_url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    Google,
    Microsoft,
    Twilio,
    Hubspot,
    Pipedrive,
    Salesforce,
    Stripe,
    Xero,
    /// QuickBooks Online (Intuit).
    #[serde(rename = "quickbooks")]
    QuickBooks,
    Webhooks,
}

impl Provider {
    pub const ALL: [Provider; 10] = [
        Provider::Google,
        Provider::Microsoft,
        Provider::Twilio,
        Provider::Hubspot,
        Provider::Pipedrive,
        Provider::Salesforce,
        Provider::Stripe,
        Provider::Xero,
        Provider::QuickBooks,
        Provider::Webhooks,
    ];

    /// The stable lower-case name used in stored rows, keychain entries and settings keys (the
    /// same as its serde name).
    pub fn key(self) -> &'static str {
        match self {
            Provider::Google => "google",
            Provider::Microsoft => "microsoft",
            Provider::Twilio => "twilio",
            Provider::Hubspot => "hubspot",
            Provider::Pipedrive => "pipedrive",
            Provider::Salesforce => "salesforce",
            Provider::Stripe => "stripe",
            Provider::Xero => "xero",
            Provider::QuickBooks => "quickbooks",
            Provider::Webhooks => "webhooks",
        }
    }

    pub fn display_name(self) -> &'static str {
        match self {
            Provider::Google => "Google Workspace",
            Provider::Microsoft => "Microsoft 365",
            Provider::Twilio => "Twilio",
            Provider::Hubspot => "HubSpot",
            Provider::Pipedrive => "Pipedrive",
            Provider::Salesforce => "Salesforce",
            Provider::Stripe => "Stripe",
            Provider::Xero => "Xero",
            Provider::QuickBooks => "QuickBooks Online",
            Provider::Webhooks => "Webhooks",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum IntegrationState {
    /// Cremmy cannot connect yet: no connector, or no OAuth client / key has been set up.
    NotConfigured,
    /// Ready to connect; no account is connected.
    NotConnected,
    /// Accounts connected and working.
    Connected { accounts: Vec<String> },
    /// At least one account needs reconnecting (the others, if any, work).
    NeedsReconnect {
        accounts: Vec<String>,
        reconnect: Vec<String>,
    },
}

impl IntegrationState {
    /// A short phrase for a status line ("connected (a@x.com)").
    pub fn describe(&self) -> String {
        match self {
            IntegrationState::NotConfigured => "not configured".into(),
            IntegrationState::NotConnected => "not connected".into(),
            IntegrationState::Connected { accounts } => {
                format!("connected ({})", accounts.join(", "))
            }
            IntegrationState::NeedsReconnect { reconnect, .. } => {
                format!("reconnect needed ({})", reconnect.join(", "))
            }
        }
    }
}
