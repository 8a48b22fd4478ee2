//! QuickBooks Online: a thin client over Intuit's Accounting API (`/v3/company/{realmId}/…`,
//! JSON, `minorversion=75`, the query language for lists, change data capture for what changed)
//! through the one call policy (`http::call`), with the account's OAuth token (refreshed once
//! after a 401) and the company its grant reaches (the `realmId` of its sign-in). Calls are paced
//! to Intuit's per-company limits (registry). Facts and their pages:
//! `../shared/notes/providers/salesforce-quickbooks-xero.md`; the provider sandbox speaks the same
//! subset (`src-tauri/sandbox/src/quickbooks/`).

pub mod gateway;
pub mod registration;
mod wire;

pub use wire::{Changes, QueryResponse, WireCustomer, WireInvoice, WirePayment};

use std::sync::Arc;

use cremmy_protocol::Provider;

use crate::accounts::{Accounts, AccountsError, BearerCallError};
use crate::clock::Timestamp;
use crate::failure::FailureKind;
use crate::http::call::{CallError, CallPolicy, Caller};
use crate::pacing::{AccountPacers, Pacer};

/// The minor version every call names: 75, the lowest Intuit serves since 1 August 2025
/// (…/learn/explore-the-quickbooks-online-api/minor-versions).
pub const MINOR_VERSION: u32 = 75;

/// How a QuickBooks call failed.
#[derive(Debug, thiserror::Error)]
pub enum QuickBooksError {
    #[error(transparent)]
    Call(#[from] CallError),
    #[error(transparent)]
    Account(#[from] AccountsError),
    #[error("QuickBooks' answer to {what} did not read as Intuit documents it: {source}")]
    Garbled {
        what: &'static str,
        source: serde_json::Error,
    },
    #[error("Cremmy does not know which QuickBooks company this account is for. Reconnect QuickBooks and pick the company.")]
    NoCompany,
    #[error("The QuickBooks company has no item named \"Services\" to put invoice lines on. Add a service item called Services in QuickBooks (Sales > Products and services).")]
    NoServicesItem,
}

impl From<BearerCallError> for QuickBooksError {
    fn from(e: BearerCallError) -> QuickBooksError {
        match e {
            BearerCallError::Call(e) => QuickBooksError::Call(e),
            BearerCallError::Account(e) => QuickBooksError::Account(e),
        }
    }
}

impl QuickBooksError {
    pub fn kind(&self) -> FailureKind {
        match self {
            QuickBooksError::Call(e) => e.kind(),
            QuickBooksError::Account(e) => e.failure_kind(),
            QuickBooksError::Garbled { .. } | QuickBooksError::NoServicesItem => {
                FailureKind::Invalid
            }
            QuickBooksError::NoCompany => FailureKind::Unauthorized,
        }
    }

    /// Intuit's words for a refused request (400), as [`explain`] read them.
    pub fn refusal(&self) -> Option<&str> {
        match self {
            QuickBooksError::Call(CallError::Status {
                status: 400,
                excerpt,
                ..
            }) => Some(excerpt),
            QuickBooksError::NoServicesItem => Some("no Services item"),
            _ => None,
        }
    }

    /// The fault's code (`6240`: the name is taken).
    pub fn fault_code(&self) -> Option<&str> {
        self.refusal()?.rsplit_once("(code ")?.1.strip_suffix(')')
    }
}

/// Intuit's own words in a fault: `{"Fault":{"Error":[{"Message","Detail","code"}]}}` (or the
/// lower-case envelope of a 401), as "Detail (code N)".
pub fn explain(_status: u16, body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let errors = v["Fault"]["Error"]
        .as_array()
        .or(v["fault"]["error"].as_array())?;
    let words: Vec<String> = errors
        .iter()
        .map(|e| {
            let text = e["Detail"]
                .as_str()
                .or(e["detail"].as_str())
                .filter(|d| !d.is_empty())
                .or(e["Message"].as_str())
                .or(e["message"].as_str())
                .unwrap_or("");
            let code = e["code"].as_str().unwrap_or("");
            format!("{text} (code {code})")
        })
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

impl crate::HasErrorCode for QuickBooksError {
    fn code(&self) -> cremmy_protocol::ErrorCode {
        self.kind().api_error_code()
    }
}

impl From<QuickBooksError> for crate::failure::SourceError {
    fn from(e: QuickBooksError) -> crate::failure::SourceError {
        use crate::HasErrorCode;
        crate::failure::SourceError::provider(Provider::QuickBooks, e.kind(), e.code(), e)
    }
}

/// QuickBooks for the whole app. Cheap to clone.
#[derive(Clone)]
pub struct QuickBooks {
    accounts: Accounts,
    /// Origin of the API, ending in `/` (`https://quickbooks.api.intuit.com/`, or the sandbox).
    origin: String,
    /// Per account, the per-company limits (kept across runs).
    pacers: AccountPacers,
}

impl QuickBooks {
    pub fn new(accounts: Accounts) -> QuickBooks {
        QuickBooks {
            origin: accounts
                .endpoints()
                .base_url(Provider::QuickBooks)
                .to_string(),
            accounts,
            pacers: AccountPacers::default(),
        }
    }

    /// A session for one account's run (its own call count).
    pub fn session(&self, account_id: i64) -> QuickBooksSession {
        let pacer = self
            .pacers
            .of(account_id, registration::REGISTRATION.rate_limits);
        QuickBooksSession {
            caller: Caller::new(
                self.accounts.http().clone(),
                CallPolicy::api(Provider::QuickBooks).with_explain(explain),
            ),
            accounts: self.accounts.clone(),
            origin: self.origin.clone(),
            account_id,
            pacer,
        }
    }
}

/// One account's calls during one run.
#[derive(Clone)]
pub struct QuickBooksSession {
    caller: Caller,
    accounts: Accounts,
    origin: String,
    account_id: i64,
    pacer: Arc<Pacer>,
}

impl QuickBooksSession {
    pub fn calls(&self) -> u32 {
        self.caller.calls()
    }

    /// One call with the account's token (once more with a fresh token after a 401).
    async fn send(
        &self,
        what: &'static str,
        method: reqwest::Method,
        url: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<crate::http::call::Answer, QuickBooksError> {
        let make = |http: &reqwest::Client, token: &str| {
            let r = http
                .request(method.clone(), url)
                .bearer_auth(token)
                .header("accept", "application/json");
            match body {
                Some(v) => r.json(v),
                // The send call takes no body (Intuit's example sends it as octet-stream).
                None if method == reqwest::Method::POST => {
                    r.header("content-type", "application/octet-stream")
                }
                None => r.header("content-type", "text/plain"),
            }
        };
        Ok(self
            .accounts
            .call_with_token(self.account_id, &self.caller, &self.pacer, what, make)
            .await?)
    }

    /// The company this account's grant reaches.
    pub async fn realm(&self) -> Result<String, QuickBooksError> {
        self.accounts
            .company(self.account_id)
            .await?
            .ok_or(QuickBooksError::NoCompany)
    }

    /// A call on the company: `path` after `/v3/company/{realm}/`, `query` its parameters
    /// (already encoded), `minorversion` added.
    async fn api<T: serde::de::DeserializeOwned>(
        &self,
        what: &'static str,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&serde_json::Value>,
    ) -> Result<T, QuickBooksError> {
        let realm = self.realm().await?;
        let mut url = format!(
            "{}v3/company/{realm}/{path}?minorversion={MINOR_VERSION}",
            self.origin
        );
        for (k, v) in query {
            url.push('&');
            url.push_str(k);
            url.push('=');
            url.push_str(&encode(v));
        }
        let answer = self.send(what, method, &url, body).await?;
        answer
            .json()
            .map_err(|source| QuickBooksError::Garbled { what, source })
    }

    /// A `select` in the query language.
    pub async fn select<T: serde::de::DeserializeOwned>(
        &self,
        what: &'static str,
        statement: &str,
    ) -> Result<wire::QueryResponse<T>, QuickBooksError> {
        let answer: wire::QueryAnswer<T> = self
            .api(
                what,
                reqwest::Method::GET,
                "query",
                &[("query", statement)],
                None,
            )
            .await?;
        Ok(answer.query_response)
    }

    /// The customer with this email, else this display name (unique in a company).
    pub async fn find_customer(
        &self,
        email: Option<&str>,
        name: &str,
    ) -> Result<Option<WireCustomer>, QuickBooksError> {
        let mut filters = Vec::new();
        if let Some(email) = email {
            filters.push(format!("PrimaryEmailAddr = '{}'", quoted(email)));
        }
        filters.push(format!("DisplayName = '{}'", quoted(name)));
        for filter in filters {
            let statement = format!("select * from Customer where {filter} MAXRESULTS 1");
            let found = self
                .select::<WireCustomer>("QuickBooks customer query", &statement)
                .await?;
            if let Some(c) = found.customers.into_iter().next() {
                return Ok(Some(c));
            }
        }
        Ok(None)
    }

    pub async fn customer(&self, id: &str) -> Result<Option<WireCustomer>, QuickBooksError> {
        let statement = format!("select * from Customer where Id = '{}'", quoted(id));
        let found = self
            .select::<WireCustomer>("QuickBooks customer query", &statement)
            .await?;
        Ok(found.customers.into_iter().next())
    }

    pub async fn create_customer(
        &self,
        customer: &serde_json::Value,
        request_id: &str,
    ) -> Result<WireCustomer, QuickBooksError> {
        let answer: wire::CustomerAnswer = self
            .api(
                "QuickBooks customer create",
                reqwest::Method::POST,
                "customer",
                &[("requestid", &self::request_id(request_id))],
                Some(customer),
            )
            .await?;
        Ok(answer.customer)
    }

    /// The id of the item invoice lines go on: the "Services" item every new company has.
    pub async fn services_item(&self) -> Result<String, QuickBooksError> {
        let found = self
            .select::<wire::WireItem>(
                "QuickBooks item query",
                "select * from Item where Name = 'Services'",
            )
            .await?;
        found
            .items
            .into_iter()
            .next()
            .map(|i| i.id)
            .ok_or(QuickBooksError::NoServicesItem)
    }

    pub async fn create_invoice(
        &self,
        invoice: &serde_json::Value,
        request_id: &str,
    ) -> Result<WireInvoice, QuickBooksError> {
        let answer: wire::InvoiceAnswer = self
            .api(
                "QuickBooks invoice create",
                reqwest::Method::POST,
                "invoice",
                &[
                    ("requestid", &self::request_id(request_id)),
                    ("include", "invoiceLink"),
                ],
                Some(invoice),
            )
            .await?;
        Ok(answer.invoice)
    }

    /// QuickBooks emails the invoice to `to`.
    pub async fn send_invoice(&self, id: &str, to: &str) -> Result<WireInvoice, QuickBooksError> {
        let answer: wire::InvoiceAnswer = self
            .api(
                "QuickBooks invoice send",
                reqwest::Method::POST,
                &format!("invoice/{}/send", encode(id)),
                &[("sendTo", to), ("include", "invoiceLink")],
                None,
            )
            .await?;
        Ok(answer.invoice)
    }

    pub async fn invoice(&self, id: &str) -> Result<WireInvoice, QuickBooksError> {
        let answer: wire::InvoiceAnswer = self
            .api(
                "QuickBooks invoice",
                reqwest::Method::GET,
                &format!("invoice/{}", encode(id)),
                &[("include", "invoiceLink")],
                None,
            )
            .await?;
        Ok(answer.invoice)
    }

    pub async fn payment(&self, id: &str) -> Result<WirePayment, QuickBooksError> {
        let answer: wire::PaymentAnswer = self
            .api(
                "QuickBooks payment",
                reqwest::Method::GET,
                &format!("payment/{}", encode(id)),
                &[],
                None,
            )
            .await?;
        Ok(answer.payment)
    }

    /// Invoices and payments changed (or deleted) since `since` (Unix ms), at most 30 days back.
    pub async fn changed_since(&self, since: Timestamp) -> Result<wire::Changes, QuickBooksError> {
        let what = "QuickBooks change data capture";
        let answer: wire::CdcAnswer = self
            .api(
                what,
                reqwest::Method::GET,
                "cdc",
                &[
                    ("entities", "Invoice,Payment"),
                    ("changedSince", &utc(since)),
                ],
                None,
            )
            .await?;
        Ok(answer.changes())
    }
}

/// The `requestid` of a create: at most 50 characters (Intuit, "Request ID update for QuickBooks
/// Online integration", 2015), so the job's key and step are hashed into 40 hex digits.
pub fn request_id(key_and_step: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(key_and_step.as_bytes());
    digest.iter().take(20).map(|b| format!("{b:02x}")).collect()
}

/// A value inside a query's string literal (`'` and `\` escaped with `\`).
fn quoted(value: &str) -> String {
    value.replace('\\', "\\\\").replace('\'', "\\'")
}

fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// `2026-12-01T09:30:00Z`.
pub fn utc(ms: Timestamp) -> String {
    format!("{}Z", crate::crm::dates::utc_seconds(ms))
}

/// `2026-12-01T04:00:00-08:00`, `…Z` or `2026-12-01` (midnight UTC) → Unix ms.
pub fn parse_time(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    let (body, offset_ms) = if let Some(b) = text.strip_suffix('Z') {
        (b, 0)
    } else if text.len() > 19 && matches!(text.as_bytes()[text.len() - 6], b'+' | b'-') {
        let (b, off) = text.split_at(text.len() - 6);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let h: i64 = off.get(1..3)?.parse().ok()?;
        let m: i64 = off.get(4..6)?.parse().ok()?;
        (b, sign * (h * 60 + m) * 60_000)
    } else {
        (text, 0)
    };
    let (date, time) = body.split_once('T').unwrap_or((body, "00:00:00"));
    let d: Vec<i64> = date
        .split('-')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let t: Vec<i64> = time
        .split('.')
        .next()?
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    if d.len() != 3 || t.len() != 3 || !(1..=12).contains(&d[1]) || !(1..=31).contains(&d[2]) {
        return None;
    }
    let days = crate::crm::dates::days_from_civil(d[0] as i32, d[1] as u32, d[2] as u32);
    Some(((days * 24 + t[0]) * 60 + t[1]) * 60_000 + t[2] * 1000 - offset_ms)
}
