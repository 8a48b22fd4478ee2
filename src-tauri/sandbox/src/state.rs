//! Everything the sandbox remembers: per-provider state, installed faults and the request log,
//! behind one lock (handlers hold it briefly and never across an await).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::faults::Faults;
use crate::google::calendar::Calendar;
use crate::google::drive::Drive;
use crate::google::gmail::Mailbox;
use crate::google::quota::QuotaWindows;
use crate::google::sheets::Spreadsheet;
use crate::log::RequestLog;

#[derive(Clone, Default)]
pub struct Shared(Arc<Mutex<World>>);

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, World> {
        // A handler that panicked (the "dropped connection" fault) must not wedge the sandbox.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[derive(Default)]
pub struct World {
    pub google: GoogleState,
    pub twilio: crate::twilio::TwilioState,
    pub stripe: crate::stripe::StripeState,
    pub xero: crate::xero::XeroState,
    pub quickbooks: crate::quickbooks::QuickBooksState,
    pub microsoft: crate::microsoft::MicrosoftState,
    pub hubspot: crate::hubspot::HubSpotState,
    pub pipedrive: crate::pipedrive::PipedriveState,
    pub webhooks: crate::webhooks::WebhookState,
    pub faults: Faults,
    pub log: RequestLog,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct GoogleSettings {
    pub client_id: String,
    pub client_secret: String,
    /// Whether the consent screen says yes (false: `error=access_denied`).
    pub consent: bool,
    pub access_token_ttl_secs: u64,
    /// The account that consents when the app gives no `login_hint`.
    pub account: String,
    /// Gmail per-user quota units per second (Google's older moving-average limit: 250);
    /// `None` = unlimited.
    pub gmail_units_per_second: Option<u64>,
    /// Gmail per-user quota units per minute (Google: 15,000); `None` = unlimited.
    #[serde(default)]
    pub gmail_units_per_minute: Option<u64>,
    /// Accept `cremmy://` redirect URIs, as a provider client configured with a custom scheme
    /// does (Google's Desktop clients do not: loopback only).
    #[serde(default)]
    pub custom_scheme_redirects: bool,
    /// Sheets requests per minute per user (Google: 60 reads, 60 writes); `None` = unlimited.
    #[serde(default)]
    pub sheets_reads_per_minute: Option<u64>,
    #[serde(default)]
    pub sheets_writes_per_minute: Option<u64>,
    /// Docs requests per minute per user (Google: 300 reads, 60 writes); `None` = unlimited.
    #[serde(default)]
    pub docs_reads_per_minute: Option<u64>,
    #[serde(default)]
    pub docs_writes_per_minute: Option<u64>,
    /// A fault, not documented Gmail behaviour: Gmail keeps the Message-ID a sender writes, but a
    /// client must not depend on it (a relay or a future change may rewrite it). On, every
    /// message sent or drafted gets a Message-ID of the sandbox's making.
    #[serde(default)]
    pub rewrite_message_ids: bool,
    /// How long a new Drive file stays out of name searches (files.list with `name = …`);
    /// files.get by id sees it at once. 0 = at once.
    #[serde(default)]
    pub drive_name_search_lag_ms: u64,
}

impl Default for GoogleSettings {
    fn default() -> Self {
        GoogleSettings {
            client_id: "sandbox-client-id.apps.googleusercontent.com".into(),
            client_secret: "sandbox-client-secret".into(),
            consent: true,
            access_token_ttl_secs: 3599,
            account: "consultant@sandbox.example".into(),
            gmail_units_per_second: None,
            gmail_units_per_minute: None,
            custom_scheme_redirects: false,
            sheets_reads_per_minute: None,
            sheets_writes_per_minute: None,
            docs_reads_per_minute: None,
            docs_writes_per_minute: None,
            rewrite_message_ids: false,
            drive_name_search_lag_ms: 0,
        }
    }
}

impl GoogleSettings {
    /// Google's published per-user limits (provider-limits.md), for runs that must feel them.
    pub fn with_real_quotas(mut self) -> Self {
        self.gmail_units_per_second = Some(250);
        self.sheets_reads_per_minute = Some(60);
        self.sheets_writes_per_minute = Some(60);
        self.docs_reads_per_minute = Some(300);
        self.docs_writes_per_minute = Some(60);
        self
    }
}

#[derive(Debug, Clone)]
pub struct PendingCode {
    pub client_id: String,
    pub redirect_uri: String,
    pub challenge: String,
    pub scopes: Vec<String>,
    pub account: String,
    pub expires_at: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenGrant {
    pub client_id: String,
    pub account: String,
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct AccessToken {
    pub grant: TokenGrant,
    pub expires_at: u64,
    pub refresh_token: Option<String>,
}

#[derive(Default)]
pub struct GoogleState {
    pub settings: GoogleSettings,
    pub codes: HashMap<String, PendingCode>,
    pub refresh_tokens: HashMap<String, TokenGrant>,
    pub access_tokens: HashMap<String, AccessToken>,
    pub mailboxes: BTreeMap<String, Mailbox>,
    /// Each account's primary calendar.
    pub calendars: BTreeMap<String, Calendar>,
    pub drives: BTreeMap<String, Drive>,
    pub spreadsheets: BTreeMap<String, Spreadsheet>,
    pub quota: QuotaWindows,
    secrets_issued: u64,
}

impl GoogleState {
    /// A fresh, unguessable-looking opaque value (unique per sandbox; not cryptographic).
    pub fn new_secret(&mut self, prefix: &str) -> String {
        self.secrets_issued += 1;
        let mut x = self.secrets_issued.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ crate::unix_nanos();
        let mut out = String::from(prefix);
        for _ in 0..32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            out.push(char::from(
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                    [(x % 64) as usize],
            ));
        }
        out
    }

    pub fn issue_access_token(&mut self, grant: &TokenGrant) -> (String, u64) {
        let token = self.new_secret("ya29.sbx");
        let ttl = self.settings.access_token_ttl_secs;
        let refresh_token = self
            .refresh_tokens
            .iter()
            .find(|(_, g)| *g == grant)
            .map(|(t, _)| t.clone());
        self.access_tokens.insert(
            token.clone(),
            AccessToken {
                grant: grant.clone(),
                expires_at: crate::unix_secs() + ttl,
                refresh_token,
            },
        );
        (token, ttl)
    }

    /// Revokes a refresh token with its access tokens, or a single access token.
    pub fn revoke(&mut self, token: &str) -> bool {
        if self.refresh_tokens.remove(token).is_some() {
            self.access_tokens
                .retain(|_, a| a.refresh_token.as_deref() != Some(token));
            return true;
        }
        self.access_tokens.remove(token).is_some()
    }

    pub fn mailbox(&mut self, account: &str) -> &mut Mailbox {
        self.mailboxes.entry(account.to_string()).or_default()
    }
}
