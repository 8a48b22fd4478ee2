//! Twilio: a thin client over its 2010-04-01 REST API (form bodies, Basic auth with an API key
//! or the Auth Token, snake_case JSON, `next_page_uri` paging), through the one call policy
//! (`http::call`). Facts and their pages: `../shared/notes/providers/twilio.md`; the provider
//! sandbox speaks the same subset (`src-tauri/sandbox/src/twilio/`). This module is the wire
//! layer; the SMS feature and the connect flow build on it.

use cremmy_protocol::Provider;
use serde::Deserialize;

use crate::endpoints::Endpoints;
use crate::http::call::{CallError, CallPolicy, Caller};

pub use catalog::{all_senders, WireSenderPool, WireTemplate, WireWhatsAppSender};

pub mod catalog;
pub mod connect;
pub mod registration;
pub mod texting;

/// The account's credentials: its SID (in every path) and the pair Basic auth sends, an API key
/// SID and secret (recommended) or the Account SID and Auth Token.
#[derive(Clone)]
pub struct TwilioCredentials {
    pub account_sid: String,
    pub user: String,
    pub secret: String,
}

impl std::fmt::Debug for TwilioCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioCredentials")
            .field("account_sid", &self.account_sid)
            .field("user", &self.user)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// What the keychain keeps for a Twilio account: the Basic-auth pair (JSON).
#[derive(serde::Serialize, Deserialize)]
struct StoredSecret {
    user: String,
    secret: String,
}

impl TwilioCredentials {
    /// The keychain's text for these credentials.
    pub fn to_keychain(&self) -> String {
        serde_json::to_string(&StoredSecret {
            user: self.user.clone(),
            secret: self.secret.clone(),
        })
        .unwrap_or_default()
    }

    /// Credentials from the account SID and the keychain's text; `None` if it is not ours.
    pub fn from_keychain(account_sid: &str, stored: &str) -> Option<TwilioCredentials> {
        let s: StoredSecret = serde_json::from_str(stored).ok()?;
        Some(TwilioCredentials {
            account_sid: account_sid.to_string(),
            user: s.user,
            secret: s.secret,
        })
    }
}

/// A phone number the account owns.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OwnedNumber {
    pub sid: String,
    pub phone_number: String,
    pub friendly_name: String,
}

impl OwnedNumber {
    /// The number as a sender texts can come from.
    pub fn sender(self) -> cremmy_protocol::sms::Sender {
        use cremmy_protocol::sms::Channel;
        cremmy_protocol::sms::Sender {
            channel: if self.phone_number.starts_with("whatsapp:") {
                Channel::Whatsapp
            } else {
                Channel::Sms
            },
            address: self.phone_number,
            label: self.friendly_name,
        }
    }
}

/// A message as Twilio describes it (Message resource).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WireMessage {
    pub sid: String,
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub body: String,
    pub status: String,
    pub direction: String,
    #[serde(default)]
    pub error_code: Option<u32>,
    #[serde(default)]
    pub error_message: Option<String>,
    /// A string in Twilio's JSON ("1").
    #[serde(default)]
    pub num_segments: Option<String>,
    /// RFC 2822 (`Tue, 09 May 2017 18:27:49 +0000`).
    pub date_created: String,
    #[serde(default)]
    pub date_sent: Option<String>,
    /// The Messaging Service it was sent through (MG…), if one.
    #[serde(default)]
    pub messaging_service_sid: Option<String>,
}

/// A call in the account's log (Call resource).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WireCall {
    pub sid: String,
    pub from: String,
    pub to: String,
    /// `inbound`, `outbound-api`, `outbound-dial`.
    pub direction: String,
    /// `queued`, `ringing`, `in-progress`, `completed`, `busy`, `failed`, `no-answer`, `canceled`.
    pub status: String,
    /// RFC 2822; absent while the call has not started.
    #[serde(default)]
    pub start_time: Option<String>,
    #[serde(default)]
    pub end_time: Option<String>,
    /// Seconds, as a string; absent until the call ends.
    #[serde(default)]
    pub duration: Option<String>,
}

/// What to send: `body` text, or an approved template (`content_sid` with its
/// `content_variables`, WhatsApp outside the 24-hour window).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutgoingText {
    pub to: String,
    pub from: String,
    pub body: String,
    pub content_sid: Option<String>,
    /// `{"1": "Zoë"}`: values for the template's `{{1}}`…
    pub content_variables: std::collections::BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct Page<T> {
    #[serde(
        default = "Vec::new",
        alias = "messages",
        alias = "incoming_phone_numbers",
        alias = "calls"
    )]
    items: Vec<T>,
    next_page_uri: Option<String>,
}

/// How a Twilio call failed.
#[derive(Debug, thiserror::Error)]
pub enum TwilioError {
    #[error(transparent)]
    Call(#[from] CallError),
    #[error("Twilio's answer to {what} did not read as Twilio documents it: {source}")]
    Garbled {
        what: &'static str,
        source: serde_json::Error,
    },
}

impl TwilioError {
    /// Twilio's own error code (`{"code": 21610, …}` in a failed call's answer), if it sent one.
    pub fn twilio_code(&self) -> Option<u32> {
        match self {
            TwilioError::Call(CallError::Status { excerpt, .. }) => {
                serde_json::from_str::<serde_json::Value>(excerpt)
                    .ok()
                    .and_then(|v| v["code"].as_u64())
                    .and_then(|c| u32::try_from(c).ok())
            }
            _ => None,
        }
    }

    pub fn kind(&self) -> crate::failure::FailureKind {
        match self {
            TwilioError::Call(e) => e.kind(),
            TwilioError::Garbled { .. } => crate::failure::FailureKind::Invalid,
        }
    }
}

/// The most items a page may hold (PageSize above it is error 20007).
pub const MAX_PAGE_SIZE: u32 = 1000;

/// Twilio for the whole app. Cheap to clone.
#[derive(Clone)]
pub struct Twilio {
    caller: Caller,
    /// Origin of the 2010 API, ending in `/` (`https://api.twilio.com/`, or the sandbox).
    origin: String,
    /// Origin of the Content API (`https://content.twilio.com/`; the sandbox serves it on its
    /// one origin).
    content_origin: String,
    /// Origin of the Messaging API (`https://messaging.twilio.com/`: services, WhatsApp senders).
    messaging_origin: String,
}

/// The Messaging API's host (Messaging Services, WhatsApp senders).
const MESSAGING_ORIGIN: &str = "https://messaging.twilio.com/";

/// The Content API's host (message templates).
const CONTENT_ORIGIN: &str = "https://content.twilio.com/";

impl Twilio {
    pub fn new(http: reqwest::Client, endpoints: &Endpoints) -> Twilio {
        Twilio {
            caller: Caller::new(http, CallPolicy::api(Provider::Twilio)),
            origin: endpoints.base_url(Provider::Twilio).to_string(),
            content_origin: if endpoints.is_overridden(Provider::Twilio) {
                endpoints.base_url(Provider::Twilio).to_string()
            } else {
                CONTENT_ORIGIN.to_string()
            },
            messaging_origin: if endpoints.is_overridden(Provider::Twilio) {
                endpoints.base_url(Provider::Twilio).to_string()
            } else {
                MESSAGING_ORIGIN.to_string()
            },
        }
    }

    /// The same client with its own call count (one per run).
    pub fn fresh(&self) -> Twilio {
        Twilio {
            caller: Caller::new(
                self.caller.http().clone(),
                CallPolicy::api(Provider::Twilio),
            ),
            origin: self.origin.clone(),
            content_origin: self.content_origin.clone(),
            messaging_origin: self.messaging_origin.clone(),
        }
    }

    /// Requests made so far (retries included).
    pub fn calls(&self) -> u32 {
        self.caller.calls()
    }

    fn url(&self, creds: &TwilioCredentials, resource: &str) -> String {
        format!(
            "{}2010-04-01/Accounts/{}/{resource}",
            self.origin, creds.account_sid
        )
    }

    /// An absolute URL from a `next_page_uri` (a path on the API's origin).
    fn follow(&self, uri: &str) -> String {
        format!("{}{}", self.origin, uri.trim_start_matches('/'))
    }

    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        what: &'static str,
        creds: &TwilioCredentials,
        url: &str,
    ) -> Result<T, TwilioError> {
        let answer = self
            .caller
            .send(what, |http| {
                http.get(url).basic_auth(&creds.user, Some(&creds.secret))
            })
            .await?;
        answer
            .json()
            .map_err(|source| TwilioError::Garbled { what, source })
    }

    /// Every page of a list, following `next_page_uri`.
    async fn all_pages<T: serde::de::DeserializeOwned>(
        &self,
        what: &'static str,
        creds: &TwilioCredentials,
        first: String,
    ) -> Result<Vec<T>, TwilioError> {
        let mut items = Vec::new();
        let mut next = Some(first);
        while let Some(url) = next {
            let page: Page<T> = self.get_json(what, creds, &url).await?;
            items.extend(page.items);
            next = page.next_page_uri.map(|u| self.follow(&u));
        }
        Ok(items)
    }

    /// The account's phone numbers: also the cheap call that proves the credentials work.
    pub async fn numbers(
        &self,
        creds: &TwilioCredentials,
    ) -> Result<Vec<OwnedNumber>, TwilioError> {
        let first = self.url(creds, "IncomingPhoneNumbers.json?PageSize=100");
        self.all_pages("Twilio IncomingPhoneNumbers", creds, first)
            .await
    }

    /// Sends a text (Messages create). Twilio answers `queued`; the outcome comes later.
    pub async fn send(
        &self,
        creds: &TwilioCredentials,
        text: &OutgoingText,
    ) -> Result<WireMessage, TwilioError> {
        let what = "Twilio Messages create";
        let url = self.url(creds, "Messages.json");
        // A Messaging Service (MG…) picks the sender from its pool.
        let sender = if text.from.starts_with("MG") {
            "MessagingServiceSid"
        } else {
            "From"
        };
        let mut form: Vec<(&str, &str)> = vec![("To", &text.to), (sender, &text.from)];
        let variables = serde_json::to_string(&text.content_variables).unwrap_or_default();
        match &text.content_sid {
            Some(sid) => {
                form.push(("ContentSid", sid));
                if !text.content_variables.is_empty() {
                    form.push(("ContentVariables", &variables));
                }
            }
            None => form.push(("Body", &text.body)),
        }
        let answer = self
            .caller
            .send(what, |http| {
                http.post(&url)
                    .basic_auth(&creds.user, Some(&creds.secret))
                    .form(&form)
            })
            .await?;
        answer
            .json()
            .map_err(|source| TwilioError::Garbled { what, source })
    }

    /// One message, as it is now (its status moves until it is final).
    pub async fn message(
        &self,
        creds: &TwilioCredentials,
        sid: &str,
    ) -> Result<WireMessage, TwilioError> {
        let url = self.url(creds, &format!("Messages/{sid}.json"));
        self.get_json("Twilio Messages get", creds, &url).await
    }

    /// Messages to `to` (one of the account's numbers) sent on or after `since_day`
    /// (`YYYY-MM-DD`, UTC; Twilio's filter is by day, so callers dedupe by SID), newest first.
    pub async fn messages_to(
        &self,
        creds: &TwilioCredentials,
        to: &str,
        since_day: &str,
        page_size: u32,
    ) -> Result<Vec<WireMessage>, TwilioError> {
        let query = format!(
            "Messages.json?To={}&DateSent%3E={}&PageSize={}",
            query_value(to),
            query_value(since_day),
            page_size.clamp(1, MAX_PAGE_SIZE)
        );
        let first = self.url(creds, &query);
        self.all_pages("Twilio Messages list", creds, first).await
    }
}

impl Twilio {
    /// Messages from `from` to `to` sent on or after `since_day` (a retry looking for what an
    /// earlier attempt may have sent), newest first.
    pub async fn messages_between(
        &self,
        creds: &TwilioCredentials,
        from: &str,
        to: &str,
        since_day: &str,
    ) -> Result<Vec<WireMessage>, TwilioError> {
        let query = format!(
            "Messages.json?From={}&To={}&DateSent%3E={}&PageSize=100",
            query_value(from),
            query_value(to),
            query_value(since_day)
        );
        let first = self.url(creds, &query);
        self.all_pages("Twilio Messages list", creds, first).await
    }

    /// Calls that started on or after `since_day` (`YYYY-MM-DD`, UTC), newest first.
    pub async fn calls_since(
        &self,
        creds: &TwilioCredentials,
        since_day: &str,
    ) -> Result<Vec<WireCall>, TwilioError> {
        let query = format!(
            "Calls.json?StartTime%3E={}&PageSize=200",
            query_value(since_day)
        );
        let first = self.url(creds, &query);
        self.all_pages("Twilio Calls list", creds, first).await
    }

    /// Whether the credentials reach `resource` (`Messages`, `Calls`): one item asked for. A
    /// restricted API key answers 401/403 for what it may not read.
    pub async fn reaches(
        &self,
        creds: &TwilioCredentials,
        resource: &str,
    ) -> Result<bool, TwilioError> {
        let url = self.url(creds, &format!("{resource}.json?PageSize=1"));
        match self
            .get_json::<serde_json::Value>("Twilio access check", creds, &url)
            .await
        {
            Ok(_) => Ok(true),
            Err(TwilioError::Call(CallError::Status {
                status: 401 | 403, ..
            })) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

impl crate::HasErrorCode for TwilioError {
    fn code(&self) -> cremmy_protocol::ErrorCode {
        use crate::failure::FailureKind as K;
        use cremmy_protocol::ErrorCode as C;
        match self.kind() {
            K::Unauthorized => C::ReconnectNeeded,
            K::NotFound => C::NotFound,
            K::Invalid | K::Forbidden => C::InvalidInput,
            K::Local => C::Internal,
            _ => C::ProviderUnavailable,
        }
    }
}

impl From<TwilioError> for crate::failure::SourceError {
    fn from(e: TwilioError) -> crate::failure::SourceError {
        use crate::HasErrorCode;
        crate::failure::SourceError::provider(Provider::Twilio, e.kind(), e.code(), e)
    }
}

/// URL query encoding of one value (`+` → `%2B`).
fn query_value(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
