//! Payments (issue 23), provider-neutral: an invoice or a payment link made from a deal at the
//! user's payment provider, and what happens to it afterwards (paid, in part or in full; refunded;
//! voided; overdue) as the provider's changes say. The provider implements [`PaymentGateway`];
//! [`plan`] turns its changes into what to write, without I/O (table-tested); `store` writes it.

pub mod store;

use std::collections::HashMap;

use cremmy_protocol::payments::InvoiceStatus;

use crate::clock::Timestamp;
use crate::failure::SourceError;
use crate::feature_error::{Fault, FeatureError};

#[derive(Debug, thiserror::Error)]
pub enum PaymentsError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("Check the {field}: {reason}.")]
    Invalid { field: &'static str, reason: String },
    #[error("{what} does not exist (it may have been deleted).")]
    Missing { what: String },
    #[error("{}", crate::db::describe(.0))]
    Db(#[from] sqlx::Error),
}

impl FeatureError for PaymentsError {
    fn fault(&self) -> Fault<'_> {
        match self {
            PaymentsError::Source(e) => Fault::Provider(e),
            PaymentsError::Invalid { .. } => Fault::Input,
            PaymentsError::Missing { .. } => Fault::Missing,
            PaymentsError::Db(_) => Fault::Storage,
        }
    }
}

pub type PaymentsResult<T> = Result<T, PaymentsError>;

/// Who pays: the client, recognised at the provider by its id in the customer's metadata or by
/// its contact's email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payer {
    pub client_gid: String,
    pub name: String,
    pub email: Option<String>,
}

/// What a deal is billed as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    pub payer: Payer,
    pub deal_gid: String,
    pub currency: String,
    pub amount_minor: i64,
    /// The line's text (the deal's title).
    pub line: String,
    pub memo: String,
    pub days_until_due: u32,
    /// Finalise and send it (else it stays a draft at the provider).
    pub send: bool,
}

/// An invoice as the provider has it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteInvoice {
    pub remote_id: String,
    pub status: InvoiceStatus,
    pub currency: String,
    pub total_minor: i64,
    pub paid_minor: i64,
    pub due_at: Option<Timestamp>,
    pub number: Option<String>,
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteLink {
    pub remote_id: String,
    pub url: String,
}

/// Something that happened at the provider, in Cremmy's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentChange {
    /// The invoice's state now (created, finalised, paid, voided…).
    Invoice(RemoteInvoice),
    /// Money arrived: `remote_id` identifies the payment (the same one however often it is
    /// reported).
    Paid {
        remote_id: String,
        invoice: Option<String>,
        link: Option<String>,
        currency: String,
        amount_minor: i64,
        at: Timestamp,
    },
    /// (Part of) a payment went back: `refunded_minor` in all so far, at most the payment's
    /// amount (`i64::MAX`: all of it, for a provider that reports only that it was deleted).
    Refunded {
        payment: String,
        refunded_minor: i64,
        at: Timestamp,
    },
}

/// What a payment provider does for this feature.
#[allow(async_fn_in_trait)]
pub trait PaymentGateway {
    /// "Stripe", as the user reads it.
    fn product_name(&self) -> &'static str;
    /// Makes the invoice (the customer first, if needed), finalised and sent unless
    /// `charge.send` is off. Every request carries `idempotency_key` (plus a step suffix), so a
    /// repeat returns what the first attempt made.
    async fn create_invoice(
        &self,
        charge: &Charge,
        idempotency_key: &str,
    ) -> PaymentsResult<RemoteInvoice>;
    async fn create_link(
        &self,
        charge: &Charge,
        idempotency_key: &str,
    ) -> PaymentsResult<RemoteLink>;
    /// The client's customer (contact) at the provider: found as the provider allows (the link
    /// Cremmy gave it, its email, its name), else made with `idempotency_key`; its id.
    async fn push_client(&self, payer: &Payer, idempotency_key: &str) -> PaymentsResult<String>;
    /// Changes since `since` (Unix ms), oldest first; `Ok(None)` when the provider no longer
    /// lists that far back (the caller re-reads the invoices it knows instead).
    async fn changes_since(
        &self,
        since: Timestamp,
        now: Timestamp,
    ) -> PaymentsResult<Option<Vec<(PaymentChange, Timestamp)>>>;
    async fn invoice(&self, remote_id: &str) -> PaymentsResult<RemoteInvoice>;
    /// The payments made to an invoice, each a [`PaymentChange::Paid`] known by the same id a
    /// refund names.
    async fn invoice_payments(&self, remote_id: &str) -> PaymentsResult<Vec<PaymentChange>>;
    /// Requests made so far (for the run log).
    fn calls(&self) -> u32;
}

/// What Cremmy knows locally, by provider id.
#[derive(Debug, Clone, Default)]
pub struct Known {
    /// Invoice provider id → (local id, client, deal).
    pub invoices: HashMap<String, (i64, i64, Option<i64>)>,
    /// Link provider id → (local id, client, deal).
    pub links: HashMap<String, (i64, i64, Option<i64>)>,
    /// Invoice provider id → the amount Cremmy last knew paid on it (minor units).
    pub paid: HashMap<String, i64>,
}

/// The known invoices whose paid amount rose in `changes`: their payments are to be read (the
/// provider reports an invoice's state and its payments apart), each once, in order of mention.
pub fn payments_to_read(known: &Known, changes: &[PaymentChange]) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for change in changes {
        if let PaymentChange::Invoice(state) = change {
            let before = known.paid.get(&state.remote_id);
            let rose = before.is_some_and(|&paid| state.paid_minor > paid);
            if rose && !ids.contains(&state.remote_id) {
                ids.push(state.remote_id.clone());
            }
        }
    }
    ids
}

/// A write the executor makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentOp {
    SetInvoice {
        invoice_id: i64,
        state: RemoteInvoice,
    },
    RecordPayment {
        remote_id: String,
        client_id: i64,
        deal_id: Option<i64>,
        invoice_id: Option<i64>,
        link_id: Option<i64>,
        currency: String,
        amount_minor: i64,
        at: Timestamp,
    },
    Refund {
        payment: String,
        refunded_minor: i64,
        at: Timestamp,
    },
}

/// The writes `changes` call for, in order. Changes about invoices and links Cremmy did not make
/// are left alone (they belong to the user's other tools).
pub fn plan(known: &Known, changes: &[PaymentChange]) -> Vec<PaymentOp> {
    let mut ops = Vec::new();
    for change in changes {
        match change {
            PaymentChange::Invoice(state) => {
                if let Some(&(invoice_id, _, _)) = known.invoices.get(&state.remote_id) {
                    ops.push(PaymentOp::SetInvoice {
                        invoice_id,
                        state: state.clone(),
                    });
                }
            }
            PaymentChange::Paid {
                remote_id,
                invoice,
                link,
                currency,
                amount_minor,
                at,
            } => {
                let on_invoice = invoice.as_ref().and_then(|i| known.invoices.get(i));
                let on_link = link.as_ref().and_then(|l| known.links.get(l));
                let (client_id, deal_id, invoice_id, link_id) = match (on_invoice, on_link) {
                    (Some(&(id, client, deal)), _) => (client, deal, Some(id), None),
                    (None, Some(&(id, client, deal))) => (client, deal, None, Some(id)),
                    (None, None) => continue,
                };
                ops.push(PaymentOp::RecordPayment {
                    remote_id: remote_id.clone(),
                    client_id,
                    deal_id,
                    invoice_id,
                    link_id,
                    currency: currency.clone(),
                    amount_minor: *amount_minor,
                    at: *at,
                });
            }
            PaymentChange::Refunded {
                payment,
                refunded_minor,
                at,
            } => ops.push(PaymentOp::Refund {
                payment: payment.clone(),
                refunded_minor: *refunded_minor,
                at: *at,
            }),
        }
    }
    ops
}

/// A decimal amount (as accounting APIs write them) in the currency's minor units (cents; yen
/// are whole).
pub fn to_minor(amount: f64, currency: &str) -> i64 {
    if cremmy_protocol::crm::ZERO_DECIMAL.contains(&currency) {
        amount.round() as i64
    } else {
        (amount * 100.0).round() as i64
    }
}

/// Minor units as a decimal amount.
pub fn from_minor(minor: i64, currency: &str) -> f64 {
    if cremmy_protocol::crm::ZERO_DECIMAL.contains(&currency) {
        minor as f64
    } else {
        minor as f64 / 100.0
    }
}
