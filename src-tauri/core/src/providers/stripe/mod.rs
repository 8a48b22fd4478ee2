//! Stripe: a thin client over its v1 REST API (Bearer key, form bodies with bracket notation,
//! JSON answers, newest-first lists paged by `starting_after`), through the one call policy
//! (`http::call`). Every POST carries an `Idempotency-Key` the caller derives from its outbox
//! job's key, so a retried job gets Stripe's first answer instead of a second object. Facts and
//! their pages: `../shared/notes/providers/stripe.md`; the provider sandbox speaks the same subset
//! (`src-tauri/sandbox/src/stripe/`).

use cremmy_protocol::Provider;
use serde::Deserialize;

use crate::endpoints::Endpoints;
use crate::http::call::{CallError, CallPolicy, Caller};

pub mod connect;
pub mod gateway;
pub mod registration;

/// A connected account's key (`sk_…` or a restricted `rk_…`).
#[derive(Clone)]
pub struct StripeKey(pub String);

impl std::fmt::Debug for StripeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StripeKey(<redacted>)")
    }
}

impl StripeKey {
    /// Test-mode keys (`sk_test_`, `rk_test_`) reach Stripe's test data only.
    pub fn is_test(&self) -> bool {
        self.0.starts_with("sk_test_") || self.0.starts_with("rk_test_")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WireCustomer {
    pub id: String,
    #[serde(default)]
    pub email: Option<String>,
}

/// An invoice as Stripe describes it (https://docs.stripe.com/api/invoices/object).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WireInvoice {
    pub id: String,
    pub customer: Option<String>,
    /// `draft`, `open`, `paid`, `uncollectible`, `void`.
    pub status: Option<String>,
    pub currency: String,
    #[serde(default)]
    pub total: i64,
    #[serde(default)]
    pub amount_paid: i64,
    /// Unix seconds; set for `send_invoice` invoices once finalised.
    #[serde(default)]
    pub due_date: Option<i64>,
    #[serde(default)]
    pub number: Option<String>,
    #[serde(default)]
    pub hosted_invoice_url: Option<String>,
    pub created: i64,
}

/// A payment towards an invoice (https://docs.stripe.com/api/invoice-payment/object): since API
/// version 2025-03-31.basil the only link between an invoice and the PaymentIntents that paid it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WireInvoicePayment {
    pub id: String,
    pub invoice: String,
    /// Null until the payment is `paid`.
    #[serde(default)]
    pub amount_paid: Option<i64>,
    pub currency: String,
    pub payment: WirePaymentRef,
    pub status_transitions: WirePaidAt,
    pub created: i64,
}

/// `type` is `payment_intent` (or `charge` for a charge without one, or `payment_record`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WirePaymentRef {
    #[serde(default)]
    pub payment_intent: Option<String>,
    #[serde(default)]
    pub charge: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WirePaidAt {
    #[serde(default)]
    pub paid_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WirePaymentLink {
    pub id: String,
    pub url: String,
}

/// An event (https://docs.stripe.com/api/events/object): its object as it was then.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct WireEvent {
    pub id: String,
    pub created: i64,
    #[serde(rename = "type")]
    pub kind: String,
    pub data: EventData,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct EventData {
    pub object: serde_json::Value,
}

#[derive(Deserialize)]
struct List<T> {
    data: Vec<T>,
    has_more: bool,
}

/// How a Stripe call failed.
#[derive(Debug, thiserror::Error)]
pub enum StripeError {
    #[error(transparent)]
    Call(#[from] CallError),
    #[error("Stripe's answer to {what} did not read as Stripe documents it: {source}")]
    Garbled {
        what: &'static str,
        source: serde_json::Error,
    },
}

impl StripeError {
    pub fn kind(&self) -> crate::failure::FailureKind {
        match self {
            StripeError::Call(e) => e.kind(),
            StripeError::Garbled { .. } => crate::failure::FailureKind::Invalid,
        }
    }

    /// Stripe's `error.type` and `error.message` in a failed call's answer, if it sent them
    /// (`card_error` for a declined card, `idempotency_error`, `invalid_request_error`).
    pub fn stripe_error(&self) -> Option<(String, String)> {
        match self {
            StripeError::Call(CallError::Status { excerpt, .. }) => {
                let v: serde_json::Value = serde_json::from_str(excerpt).ok()?;
                Some((
                    v["error"]["type"].as_str()?.to_string(),
                    v["error"]["message"].as_str().unwrap_or("").to_string(),
                ))
            }
            _ => None,
        }
    }
}

impl crate::HasErrorCode for StripeError {
    fn code(&self) -> cremmy_protocol::ErrorCode {
        self.kind().api_error_code()
    }
}

impl From<StripeError> for crate::failure::SourceError {
    fn from(e: StripeError) -> crate::failure::SourceError {
        use crate::HasErrorCode;
        crate::failure::SourceError::provider(Provider::Stripe, e.kind(), e.code(), e)
    }
}

/// Stripe for the whole app. Cheap to clone.
#[derive(Clone)]
pub struct Stripe {
    caller: Caller,
    /// Origin of the API, ending in `/` (`https://api.stripe.com/`, or the sandbox).
    origin: String,
}

/// The most items a list page holds (https://docs.stripe.com/api/pagination).
const PAGE: u32 = 100;

impl Stripe {
    pub fn new(http: reqwest::Client, endpoints: &Endpoints) -> Stripe {
        Stripe {
            caller: Caller::new(http, CallPolicy::api(Provider::Stripe)),
            origin: endpoints.base_url(Provider::Stripe).to_string(),
        }
    }

    /// The same client with its own call count (one per run).
    pub fn fresh(&self) -> Stripe {
        Stripe {
            caller: Caller::new(
                self.caller.http().clone(),
                CallPolicy::api(Provider::Stripe),
            ),
            origin: self.origin.clone(),
        }
    }

    pub fn calls(&self) -> u32 {
        self.caller.calls()
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        what: &'static str,
        key: &StripeKey,
        path_and_query: &str,
    ) -> Result<T, StripeError> {
        let url = format!("{}{path_and_query}", self.origin);
        let answer = self
            .caller
            .send(what, |http| http.get(&url).bearer_auth(&key.0))
            .await?;
        answer
            .json()
            .map_err(|source| StripeError::Garbled { what, source })
    }

    /// A POST with its idempotency key: a retry with the same key gets Stripe's first answer.
    async fn post<T: serde::de::DeserializeOwned>(
        &self,
        what: &'static str,
        key: &StripeKey,
        path: &str,
        form: &[(&str, String)],
        idempotency_key: &str,
    ) -> Result<T, StripeError> {
        let url = format!("{}{path}", self.origin);
        let answer = self
            .caller
            .send(what, |http| {
                http.post(&url)
                    .bearer_auth(&key.0)
                    .header("Idempotency-Key", idempotency_key)
                    .form(form)
            })
            .await?;
        answer
            .json()
            .map_err(|source| StripeError::Garbled { what, source })
    }

    /// The cheapest call the suggested restricted key may make (Events: read): proves the key.
    pub async fn check_key(&self, key: &StripeKey) -> Result<(), StripeError> {
        self.get::<serde_json::Value>("Stripe key check", key, "v1/events?limit=1")
            .await
            .map(|_| ())
    }

    /// The customer with this email address, the newest if several.
    pub async fn customer_by_email(
        &self,
        key: &StripeKey,
        email: &str,
    ) -> Result<Option<WireCustomer>, StripeError> {
        let path = format!("v1/customers?limit=1&email={}", query_value(email));
        let list: List<WireCustomer> = self.get("Stripe customers list", key, &path).await?;
        Ok(list.data.into_iter().next())
    }

    pub async fn create_customer(
        &self,
        key: &StripeKey,
        name: &str,
        email: Option<&str>,
        client_gid: &str,
        idempotency_key: &str,
    ) -> Result<WireCustomer, StripeError> {
        let mut form = vec![
            ("name", name.to_string()),
            ("metadata[cremmy_client]", client_gid.to_string()),
        ];
        if let Some(email) = email {
            form.push(("email", email.to_string()));
        }
        self.post(
            "Stripe customer create",
            key,
            "v1/customers",
            &form,
            idempotency_key,
        )
        .await
    }

    /// A draft invoice sent by email when finalised (`collection_method=send_invoice`).
    pub async fn create_invoice(
        &self,
        key: &StripeKey,
        draft: &InvoiceDraft<'_>,
        idempotency_key: &str,
    ) -> Result<WireInvoice, StripeError> {
        let form = vec![
            ("customer", draft.customer.to_string()),
            ("collection_method", "send_invoice".to_string()),
            ("days_until_due", draft.days_until_due.to_string()),
            ("currency", draft.currency.to_lowercase()),
            ("description", draft.memo.to_string()),
            ("metadata[cremmy_deal]", draft.deal_gid.to_string()),
        ];
        self.post(
            "Stripe invoice create",
            key,
            "v1/invoices",
            &form,
            idempotency_key,
        )
        .await
    }

    /// A line on a draft invoice.
    pub async fn add_invoice_item(
        &self,
        key: &StripeKey,
        draft: &InvoiceDraft<'_>,
        invoice: &str,
        idempotency_key: &str,
    ) -> Result<serde_json::Value, StripeError> {
        let form = vec![
            ("customer", draft.customer.to_string()),
            ("invoice", invoice.to_string()),
            ("amount", draft.amount_minor.to_string()),
            ("currency", draft.currency.to_lowercase()),
            ("description", draft.line.to_string()),
        ];
        self.post(
            "Stripe invoice item create",
            key,
            "v1/invoiceitems",
            &form,
            idempotency_key,
        )
        .await
    }

    /// `finalize`, `send` or `void` an invoice.
    pub async fn invoice_action(
        &self,
        key: &StripeKey,
        invoice: &str,
        action: &str,
        idempotency_key: &str,
    ) -> Result<WireInvoice, StripeError> {
        let path = format!("v1/invoices/{invoice}/{action}");
        self.post("Stripe invoice action", key, &path, &[], idempotency_key)
            .await
    }

    pub async fn invoice(&self, key: &StripeKey, id: &str) -> Result<WireInvoice, StripeError> {
        self.get("Stripe invoice get", key, &format!("v1/invoices/{id}"))
            .await
    }

    /// A one-time price and a payment link for it, with the deal in the link's metadata.
    pub async fn create_payment_link(
        &self,
        key: &StripeKey,
        draft: &InvoiceDraft<'_>,
        idempotency_key: &str,
    ) -> Result<WirePaymentLink, StripeError> {
        #[derive(Deserialize)]
        struct Price {
            id: String,
        }
        let price_form = vec![
            ("currency", draft.currency.to_lowercase()),
            ("unit_amount", draft.amount_minor.to_string()),
            ("product_data[name]", draft.line.to_string()),
        ];
        let price: Price = self
            .post(
                "Stripe price create",
                key,
                "v1/prices",
                &price_form,
                &format!("{idempotency_key}:price"),
            )
            .await?;
        let form = vec![
            ("line_items[0][price]", price.id),
            ("line_items[0][quantity]", "1".to_string()),
            ("metadata[cremmy_deal]", draft.deal_gid.to_string()),
        ];
        self.post(
            "Stripe payment link create",
            key,
            "v1/payment_links",
            &form,
            &format!("{idempotency_key}:link"),
        )
        .await
    }

    /// The paid payments of an invoice, every page
    /// (https://docs.stripe.com/api/invoice-payment/list).
    pub async fn invoice_payments(
        &self,
        key: &StripeKey,
        invoice: &str,
    ) -> Result<Vec<WireInvoicePayment>, StripeError> {
        let mut payments: Vec<WireInvoicePayment> = Vec::new();
        loop {
            let mut path = format!(
                "v1/invoice_payments?invoice={}&status=paid&limit={PAGE}",
                query_value(invoice)
            );
            if let Some(last) = payments.last() {
                path.push_str(&format!("&starting_after={}", last.id));
            }
            let page: List<WireInvoicePayment> =
                self.get("Stripe invoice payments list", key, &path).await?;
            let done = !page.has_more || page.data.is_empty();
            payments.extend(page.data);
            if done {
                return Ok(payments);
            }
        }
    }

    /// Events of `types` created at or after `since` (Unix seconds; Stripe lists the last 30
    /// days), oldest first. Stripe lists newest first: every page is read, then reversed.
    /// Seconds are coarse, so events of the cursor's second come again; handling is idempotent.
    pub async fn events_since(
        &self,
        key: &StripeKey,
        types: &[&str],
        since: i64,
    ) -> Result<Vec<WireEvent>, StripeError> {
        let filter: String = types
            .iter()
            .map(|t| format!("&types[]={}", query_value(t)))
            .collect();
        let mut events: Vec<WireEvent> = Vec::new();
        loop {
            let mut path = format!("v1/events?limit={PAGE}&created[gte]={since}{filter}");
            if let Some(last) = events.last() {
                path.push_str(&format!("&starting_after={}", last.id));
            }
            let page: List<WireEvent> = self.get("Stripe events list", key, &path).await?;
            let done = !page.has_more || page.data.is_empty();
            events.extend(page.data);
            if done {
                break;
            }
        }
        events.reverse();
        Ok(events)
    }
}

/// What an invoice or a payment link is made from.
#[derive(Debug, Clone)]
pub struct InvoiceDraft<'a> {
    pub customer: &'a str,
    pub deal_gid: &'a str,
    pub currency: &'a str,
    pub amount_minor: i64,
    /// The line's text (the deal's title).
    pub line: &'a str,
    pub memo: &'a str,
    pub days_until_due: u32,
}

/// URL query encoding of one value.
fn query_value(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
