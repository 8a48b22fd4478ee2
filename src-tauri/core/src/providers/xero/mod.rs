//! Xero: a thin client over its Accounting API (`api.xro/2.0`, JSON, dates as `/Date(ms)/`,
//! decimal amounts) through the one call policy (`http::call`), with the account's OAuth token
//! (refreshed once after a 401) and the organisation (tenant) chosen for the account in every
//! call's `xero-tenant-id` header. Calls are paced to Xero's per-organisation limits (registry).
//! Facts and their pages: `../shared/notes/providers/salesforce-quickbooks-xero.md`; the provider
//! sandbox speaks the same subset (`src-tauri/sandbox/src/xero/`).

pub mod gateway;
pub mod registration;
mod wire;

pub use wire::{
    Connection, WireContact, WireInvoice, WireInvoicePayment, WireInvoiceRef, WirePayment,
};
use wire::{Contacts, Invoices, OnlineInvoices, Payments};

use std::sync::Arc;

use cremmy_protocol::Provider;

use crate::accounts::{Accounts, AccountsError, BearerCallError};
use crate::clock::Timestamp;
use crate::failure::FailureKind;
use crate::http::call::{CallError, CallPolicy, Caller};
use crate::pacing::{AccountPacers, Pacer};

/// How a Xero call failed.
#[derive(Debug, thiserror::Error)]
pub enum XeroError {
    #[error(transparent)]
    Call(#[from] CallError),
    #[error(transparent)]
    Account(#[from] AccountsError),
    #[error("Xero's answer to {what} did not read as Xero documents it: {source}")]
    Garbled {
        what: &'static str,
        source: serde_json::Error,
    },
    #[error("No Xero organisation is connected to Cremmy. Reconnect Xero and tick the organisation to use.")]
    NoOrganisation,
    #[error("The Xero organisation {0} is not among those connected to Cremmy. Reconnect Xero and tick it.")]
    UnknownOrganisation(String),
}

impl From<BearerCallError> for XeroError {
    fn from(e: BearerCallError) -> XeroError {
        match e {
            BearerCallError::Call(e) => XeroError::Call(e),
            BearerCallError::Account(e) => XeroError::Account(e),
        }
    }
}

impl XeroError {
    pub fn kind(&self) -> FailureKind {
        match self {
            XeroError::Call(e) => e.kind(),
            XeroError::Account(e) => e.failure_kind(),
            XeroError::Garbled { .. } => FailureKind::Invalid,
            XeroError::NoOrganisation | XeroError::UnknownOrganisation(_) => FailureKind::Forbidden,
        }
    }

    /// Xero's words for a refused request (400): its validation messages, as [`explain`] read
    /// them.
    pub fn refusal(&self) -> Option<&str> {
        match self {
            XeroError::Call(CallError::Status {
                status: 400,
                excerpt,
                ..
            }) => Some(excerpt),
            _ => None,
        }
    }
}

/// Xero's own words in a failed answer: a `ValidationException`'s messages
/// (`{"Elements":[{…,"ValidationErrors":[{"Message"}]}]}`, each element echoed whole, so often
/// longer than an excerpt), else its `Message` or `Detail`.
pub fn explain(_status: u16, body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let messages: Vec<&str> = v["Elements"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|e| e["ValidationErrors"].as_array().into_iter().flatten())
        .filter_map(|m| m["Message"].as_str())
        .collect();
    if !messages.is_empty() {
        return Some(messages.join(" "));
    }
    v["Message"]
        .as_str()
        .or(v["Detail"].as_str())
        .map(str::to_string)
}

impl crate::HasErrorCode for XeroError {
    fn code(&self) -> cremmy_protocol::ErrorCode {
        self.kind().api_error_code()
    }
}

impl From<XeroError> for crate::failure::SourceError {
    fn from(e: XeroError) -> crate::failure::SourceError {
        use crate::HasErrorCode;
        crate::failure::SourceError::provider(Provider::Xero, e.kind(), e.code(), e)
    }
}

/// The settings key of the organisation an account works in.
pub fn tenant_key(account_id: i64) -> String {
    format!("xero.tenant.{account_id}")
}

/// Xero for the whole app. Cheap to clone.
#[derive(Clone)]
pub struct Xero {
    accounts: Accounts,
    /// Origin of the API, ending in `/` (`https://api.xero.com/`, or the sandbox).
    origin: String,
    /// Per account, the per-organisation limits (kept across runs).
    pacers: AccountPacers,
}

impl Xero {
    pub fn new(accounts: Accounts) -> Xero {
        Xero {
            origin: accounts.endpoints().base_url(Provider::Xero).to_string(),
            accounts,
            pacers: AccountPacers::default(),
        }
    }

    /// A session for one account's run (its own call count).
    pub fn session(&self, account_id: i64) -> XeroSession {
        let pacer = self
            .pacers
            .of(account_id, registration::REGISTRATION.rate_limits);
        XeroSession {
            caller: Caller::new(
                self.accounts.http().clone(),
                CallPolicy::api(Provider::Xero).with_explain(explain),
            ),
            accounts: self.accounts.clone(),
            origin: self.origin.clone(),
            account_id,
            pacer,
            tenant: Arc::default(),
        }
    }
}

/// One account's calls during one run.
#[derive(Clone)]
pub struct XeroSession {
    caller: Caller,
    accounts: Accounts,
    origin: String,
    account_id: i64,
    pacer: Arc<Pacer>,
    tenant: Arc<tokio::sync::OnceCell<String>>,
}

/// The body of a request.
enum Body<'a> {
    None,
    Json(&'a serde_json::Value),
}

impl XeroSession {
    pub fn calls(&self) -> u32 {
        self.caller.calls()
    }

    /// One call with the account's token (once more with a fresh token after a 401).
    async fn send(
        &self,
        what: &'static str,
        method: reqwest::Method,
        url: &str,
        headers: &[(&str, String)],
        body: Body<'_>,
    ) -> Result<crate::http::call::Answer, XeroError> {
        let make = |http: &reqwest::Client, token: &str| {
            let mut r = http
                .request(method.clone(), url)
                .bearer_auth(token)
                .header("accept", "application/json");
            for (k, v) in headers {
                r = r.header(*k, v);
            }
            match body {
                Body::None => r,
                Body::Json(v) => r.json(v),
            }
        };
        Ok(self
            .accounts
            .call_with_token(self.account_id, &self.caller, &self.pacer, what, make)
            .await?)
    }

    /// The organisations this account's grant reaches.
    pub async fn connections(&self) -> Result<Vec<Connection>, XeroError> {
        let what = "Xero connections";
        let url = format!("{}connections", self.origin);
        let answer = self
            .send(what, reqwest::Method::GET, &url, &[], Body::None)
            .await?;
        answer
            .json()
            .map_err(|source| XeroError::Garbled { what, source })
    }

    /// The organisation this account works in: the one chosen for it while the grant still
    /// reaches it, else the first connected (then remembered). Checked once a session: a user
    /// who unticked the chosen organisation in Xero, or reconnected without it, gets the first
    /// one they kept instead of every call refused.
    pub async fn tenant(&self) -> Result<String, XeroError> {
        self.tenant
            .get_or_try_init(|| async {
                let key = tenant_key(self.account_id);
                let db = self.accounts.database();
                let chosen = db.setting(&key).await.map_err(AccountsError::Db)?;
                let connected: Vec<Connection> = self
                    .connections()
                    .await?
                    .into_iter()
                    .filter(|c| c.tenant_type == "ORGANISATION")
                    .collect();
                if let Some(chosen) = chosen {
                    if connected.iter().any(|c| c.tenant_id == chosen) {
                        return Ok(chosen);
                    }
                }
                let first = connected
                    .into_iter()
                    .next()
                    .ok_or(XeroError::NoOrganisation)?;
                db.put_setting(&key, Some(&first.tenant_id), self.accounts.now())
                    .await
                    .map_err(AccountsError::Db)?;
                Ok(first.tenant_id)
            })
            .await
            .cloned()
    }

    /// Chooses the organisation the account works in (one of its connections).
    pub async fn choose_tenant(&self, tenant_id: &str) -> Result<(), XeroError> {
        let known = self.connections().await?;
        if !known.iter().any(|c| c.tenant_id == tenant_id) {
            return Err(XeroError::UnknownOrganisation(tenant_id.to_string()));
        }
        self.accounts
            .database()
            .put_setting(
                &tenant_key(self.account_id),
                Some(tenant_id),
                self.accounts.now(),
            )
            .await
            .map_err(AccountsError::Db)?;
        Ok(())
    }

    async fn api<T: serde::de::DeserializeOwned>(
        &self,
        what: &'static str,
        method: reqwest::Method,
        path_and_query: &str,
        extra: &[(&str, String)],
        body: Body<'_>,
    ) -> Result<T, XeroError> {
        let tenant = self.tenant().await?;
        let url = format!("{}api.xro/2.0/{path_and_query}", self.origin);
        let mut headers = vec![("xero-tenant-id", tenant)];
        headers.extend(extra.iter().cloned());
        let answer = self.send(what, method, &url, &headers, body).await?;
        if answer.body.is_empty() {
            return serde_json::from_str("null")
                .map_err(|source| XeroError::Garbled { what, source });
        }
        answer
            .json()
            .map_err(|source| XeroError::Garbled { what, source })
    }

    /// The contact Cremmy gave `contact_number`, else one with this email, else this name.
    pub async fn find_contact(
        &self,
        contact_number: &str,
        email: Option<&str>,
        name: &str,
    ) -> Result<Option<WireContact>, XeroError> {
        let mut filters = vec![format!("ContactNumber==\"{}\"", quoted(contact_number))];
        if let Some(email) = email {
            filters.push(format!("EmailAddress==\"{}\"", quoted(email)));
        }
        filters.push(format!("Name==\"{}\"", quoted(name)));
        for filter in filters {
            let path = format!("Contacts?where={}", query_value(&filter));
            let list: Contacts = self
                .api(
                    "Xero contacts list",
                    reqwest::Method::GET,
                    &path,
                    &[],
                    Body::None,
                )
                .await?;
            if let Some(found) = list.items.into_iter().next() {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    pub async fn create_contact(
        &self,
        contact: &serde_json::Value,
        idempotency_key: &str,
    ) -> Result<WireContact, XeroError> {
        let body = serde_json::json!({ "Contacts": [contact] });
        let list: Contacts = self
            .api(
                "Xero contact create",
                reqwest::Method::PUT,
                "Contacts",
                &[("idempotency-key", idempotency_key.to_string())],
                Body::Json(&body),
            )
            .await?;
        list.items.into_iter().next().ok_or(XeroError::Garbled {
            what: "Xero contact create",
            source: serde::de::Error::custom("no contact in the answer"),
        })
    }

    pub async fn create_invoice(
        &self,
        invoice: &serde_json::Value,
        idempotency_key: &str,
    ) -> Result<WireInvoice, XeroError> {
        let body = serde_json::json!({ "Invoices": [invoice] });
        let list: Invoices = self
            .api(
                "Xero invoice create",
                reqwest::Method::PUT,
                "Invoices",
                &[("idempotency-key", idempotency_key.to_string())],
                Body::Json(&body),
            )
            .await?;
        list.items.into_iter().next().ok_or(XeroError::Garbled {
            what: "Xero invoice create",
            source: serde::de::Error::custom("no invoice in the answer"),
        })
    }

    /// Xero emails the approved invoice to its contact.
    pub async fn email_invoice(&self, id: &str, idempotency_key: &str) -> Result<(), XeroError> {
        let path = format!("Invoices/{id}/Email");
        let empty = serde_json::json!({});
        self.api::<serde_json::Value>(
            "Xero invoice email",
            reqwest::Method::POST,
            &path,
            &[("idempotency-key", idempotency_key.to_string())],
            Body::Json(&empty),
        )
        .await
        .map(|_| ())
    }

    /// The link where the customer views and pays the invoice.
    pub async fn online_invoice(&self, id: &str) -> Result<Option<String>, XeroError> {
        let path = format!("Invoices/{id}/OnlineInvoice");
        let list: OnlineInvoices = self
            .api(
                "Xero online invoice",
                reqwest::Method::GET,
                &path,
                &[],
                Body::None,
            )
            .await?;
        Ok(list.items.into_iter().next().map(|o| o.url))
    }

    pub async fn invoice(&self, id: &str) -> Result<WireInvoice, XeroError> {
        let path = format!("Invoices/{id}");
        let list: Invoices = self
            .api("Xero invoice", reqwest::Method::GET, &path, &[], Body::None)
            .await?;
        list.items.into_iter().next().ok_or(XeroError::Garbled {
            what: "Xero invoice",
            source: serde::de::Error::custom("no invoice in the answer"),
        })
    }

    /// Sales invoices created or changed since `since` (Unix ms), every page.
    pub async fn invoices_since(&self, since: Timestamp) -> Result<Vec<WireInvoice>, XeroError> {
        let filter = query_value("Type==\"ACCREC\"");
        let path = format!("Invoices?where={filter}&");
        self.changed_since::<Invoices>("Xero invoices list", &path, since)
            .await
    }

    /// Payments made or deleted since `since` (Unix ms), every page.
    pub async fn payments_since(&self, since: Timestamp) -> Result<Vec<WirePayment>, XeroError> {
        self.changed_since::<Payments>("Xero payments list", "Payments?", since)
            .await
    }

    /// Every page of a list of what changed since `since` (`If-Modified-Since`); a page shorter
    /// than [`PAGE`] is the last.
    async fn changed_since<L: wire::Listed>(
        &self,
        what: &'static str,
        path_and_query: &str,
        since: Timestamp,
    ) -> Result<Vec<L::Item>, XeroError> {
        let mut out = Vec::new();
        for page in 1.. {
            let path = format!("{path_and_query}page={page}");
            let since = [("if-modified-since", utc(since))];
            let list: L = self
                .api(what, reqwest::Method::GET, &path, &since, Body::None)
                .await?;
            let items = list.items();
            let full = items.len() >= PAGE;
            out.extend(items);
            if !full {
                break;
            }
        }
        Ok(out)
    }
}

/// Items a list page holds.
const PAGE: usize = 100;

/// A value inside a `where` string literal (`"` and `\` escaped).
fn quoted(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"")
}

fn query_value(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// `If-Modified-Since` as Xero reads it: UTC `yyyy-mm-ddThh:mm:ss`.
pub fn utc(ms: Timestamp) -> String {
    crate::crm::dates::utc_seconds(ms)
}

/// `/Date(1700000000000+0000)/` → Unix ms.
pub fn parse_date(text: &str) -> Option<Timestamp> {
    let inner = text.strip_prefix("/Date(")?.strip_suffix(")/")?;
    let digits: String = inner
        .chars()
        .enumerate()
        .take_while(|(i, c)| c.is_ascii_digit() || (*i == 0 && *c == '-'))
        .map(|(_, c)| c)
        .collect();
    digits.parse().ok()
}
