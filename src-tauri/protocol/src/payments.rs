//! Payments (issue 23): invoices and payment links made from a deal, and the payments made to
//! them, as the client page shows them. Amounts are in minor units of their currency.

use serde::{Deserialize, Serialize};

use crate::crm::Id;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    Draft,
    Open,
    Paid,
    Void,
    Uncollectible,
}

impl InvoiceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Draft => "draft",
            InvoiceStatus::Open => "open",
            InvoiceStatus::Paid => "paid",
            InvoiceStatus::Void => "void",
            InvoiceStatus::Uncollectible => "uncollectible",
        }
    }

    pub fn parse(s: &str) -> Option<InvoiceStatus> {
        [
            InvoiceStatus::Draft,
            InvoiceStatus::Open,
            InvoiceStatus::Paid,
            InvoiceStatus::Void,
            InvoiceStatus::Uncollectible,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    pub id: Id,
    pub client_id: Id,
    pub deal_id: Option<Id>,
    pub number: Option<String>,
    pub status: InvoiceStatus,
    /// Open and past its due date.
    pub overdue: bool,
    pub currency: String,
    pub total_minor: i64,
    pub paid_minor: i64,
    /// Unix ms.
    pub due_at: Option<i64>,
    /// The provider's page for the client (to pay it).
    pub url: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentLink {
    pub id: Id,
    pub client_id: Id,
    pub deal_id: Option<Id>,
    pub url: String,
    pub currency: String,
    pub amount_minor: i64,
    pub paid_minor: i64,
    pub created_at: i64,
}

/// "Create invoice" on a deal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceRequest {
    pub deal_id: Id,
    /// Days from finalising to the due date.
    pub days_until_due: u32,
    #[serde(default)]
    pub memo: String,
    /// Finalise and send it by email (else it stays a draft at the provider).
    pub send: bool,
    /// The payments account to invoice with (Stripe or Xero) when several are connected; `None`:
    /// the first connected.
    #[serde(default)]
    pub account_id: Option<Id>,
}

/// A set of books an accounting account can work in (a Xero organisation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    pub id: String,
    pub name: String,
}

/// The organisations an accounting account reaches, and the one it works in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisations {
    pub account_id: Id,
    pub chosen: String,
    pub list: Vec<Organisation>,
}

/// "Push all clients" to an accounting provider: how many are there now (found or made), and
/// the ones that could not be, with why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushedClients {
    pub account_id: Id,
    pub pushed: u32,
    /// "Client name: why".
    pub failed: Vec<String>,
}

/// A client's invoices and links, with what is still owed per currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientPayments {
    pub invoices: Vec<Invoice>,
    pub links: Vec<PaymentLink>,
    /// (currency, minor units) still owed on open invoices.
    pub outstanding: Vec<(String, i64)>,
}

/// A deal's billing state: what was paid against its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DealPaid {
    Unpaid,
    Partially,
    Fully,
}
