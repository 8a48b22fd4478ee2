//! Xero's JSON as Cremmy reads it (PascalCase fields, ids as GUIDs, lists in envelopes named
//! after what they hold).

use serde::Deserialize;

/// An organisation the user connected to Cremmy's app (`GET /connections`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Connection {
    pub tenant_id: String,
    pub tenant_type: String,
    #[serde(default)]
    pub tenant_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WireContact {
    #[serde(rename = "ContactID")]
    pub contact_id: String,
    pub name: String,
    #[serde(default)]
    pub email_address: Option<String>,
    #[serde(default)]
    pub contact_number: Option<String>,
}

/// An invoice (developer.xero.com/documentation/api/accounting/invoices).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WireInvoice {
    #[serde(rename = "InvoiceID")]
    pub invoice_id: String,
    #[serde(default)]
    pub invoice_number: Option<String>,
    /// DRAFT, SUBMITTED, AUTHORISED, PAID, VOIDED, DELETED.
    pub status: String,
    #[serde(default)]
    pub currency_code: Option<String>,
    #[serde(default)]
    pub total: f64,
    #[serde(default)]
    pub amount_paid: f64,
    #[serde(default)]
    pub due_date: Option<String>,
    #[serde(default)]
    pub payments: Vec<WireInvoicePayment>,
}

/// A payment as an invoice lists it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WireInvoicePayment {
    #[serde(rename = "PaymentID")]
    pub payment_id: String,
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub amount: f64,
}

/// A payment (developer.xero.com/documentation/api/accounting/payments).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WirePayment {
    #[serde(rename = "PaymentID")]
    pub payment_id: String,
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub amount: f64,
    /// AUTHORISED, or DELETED once removed.
    pub status: String,
    #[serde(default, rename = "UpdatedDateUTC")]
    pub updated: Option<String>,
    pub invoice: Option<WireInvoiceRef>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WireInvoiceRef {
    #[serde(rename = "InvoiceID")]
    pub invoice_id: String,
    #[serde(default)]
    pub currency_code: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct Contacts {
    #[serde(rename = "Contacts", default)]
    pub items: Vec<WireContact>,
}

#[derive(Deserialize)]
pub(super) struct Invoices {
    #[serde(rename = "Invoices", default)]
    pub items: Vec<WireInvoice>,
}

#[derive(Deserialize)]
pub(super) struct Payments {
    #[serde(rename = "Payments", default)]
    pub items: Vec<WirePayment>,
}

#[derive(Deserialize)]
pub(super) struct OnlineInvoices {
    #[serde(rename = "OnlineInvoices", default)]
    pub items: Vec<OnlineInvoice>,
}

#[derive(Deserialize)]
pub(super) struct OnlineInvoice {
    #[serde(rename = "OnlineInvoiceUrl")]
    pub url: String,
}

/// A list envelope's items.
pub(super) trait Listed: serde::de::DeserializeOwned {
    type Item;
    fn items(self) -> Vec<Self::Item>;
}

impl Listed for Invoices {
    type Item = WireInvoice;
    fn items(self) -> Vec<WireInvoice> {
        self.items
    }
}

impl Listed for Payments {
    type Item = WirePayment;
    fn items(self) -> Vec<WirePayment> {
        self.items
    }
}
