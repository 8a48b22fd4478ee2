//! QuickBooks' JSON as Cremmy reads it (PascalCase fields, ids as strings of digits, amounts as
//! decimals, references as `{"value","name"}`), from Intuit's API reference
//! (developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/{customer,invoice,payment}).

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Ref {
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct EmailAddress {
    #[serde(rename = "Address", default)]
    pub address: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetaData {
    #[serde(default)]
    pub create_time: Option<String>,
    #[serde(default)]
    pub last_updated_time: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WireCustomer {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub primary_email_addr: Option<EmailAddress>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WireItem {
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LinkedTxn {
    pub txn_id: String,
    pub txn_type: String,
}

/// An invoice. QuickBooks has no drafts: an invoice is due from creation; what is left to pay is
/// its `Balance`; a voided one keeps its lines at zero and says "Voided" in its private note.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WireInvoice {
    pub id: String,
    #[serde(default)]
    pub doc_number: Option<String>,
    #[serde(default)]
    pub total_amt: f64,
    #[serde(default)]
    pub balance: f64,
    #[serde(default)]
    pub due_date: Option<String>,
    #[serde(default)]
    pub currency_ref: Option<Ref>,
    #[serde(default)]
    pub private_note: Option<String>,
    #[serde(default)]
    pub invoice_link: Option<String>,
    /// `NotSet`, `NeedToSend` or `EmailSent`.
    #[serde(default)]
    pub email_status: Option<String>,
    #[serde(default)]
    pub linked_txn: Vec<LinkedTxn>,
    /// `Deleted` for a deleted invoice in change data capture (only `Id` and `MetaData` then).
    #[serde(default, rename = "status")]
    pub status: Option<String>,
    #[serde(default)]
    pub meta_data: MetaData,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PaymentLine {
    #[serde(default)]
    pub amount: f64,
    #[serde(default)]
    pub linked_txn: Vec<LinkedTxn>,
}

/// A payment received, applied to invoices line by line.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WirePayment {
    pub id: String,
    #[serde(default)]
    pub txn_date: Option<String>,
    #[serde(default)]
    pub currency_ref: Option<Ref>,
    #[serde(default)]
    pub line: Vec<PaymentLine>,
    /// `Deleted` for a deleted payment in change data capture.
    #[serde(default, rename = "status")]
    pub status: Option<String>,
    #[serde(default)]
    pub meta_data: MetaData,
}

/// `{"QueryResponse": {"Customer": […], …}}`; an empty result has no list at all.
#[derive(Deserialize)]
pub(super) struct QueryAnswer<T> {
    #[serde(rename = "QueryResponse", default = "QueryResponse::empty")]
    pub query_response: QueryResponse<T>,
}

#[derive(Deserialize)]
pub struct QueryResponse<T> {
    #[serde(rename = "Customer", default = "Vec::new")]
    pub customers: Vec<T>,
    #[serde(rename = "Item", default = "Vec::new")]
    pub items: Vec<T>,
}

impl<T> QueryResponse<T> {
    fn empty() -> QueryResponse<T> {
        QueryResponse {
            customers: Vec::new(),
            items: Vec::new(),
        }
    }
}

#[derive(Deserialize)]
pub(super) struct CustomerAnswer {
    #[serde(rename = "Customer")]
    pub customer: WireCustomer,
}

#[derive(Deserialize)]
pub(super) struct InvoiceAnswer {
    #[serde(rename = "Invoice")]
    pub invoice: WireInvoice,
}

#[derive(Deserialize)]
pub(super) struct PaymentAnswer {
    #[serde(rename = "Payment")]
    pub payment: WirePayment,
}

/// `{"CDCResponse":[{"QueryResponse":[{"Invoice":[…]},{"Payment":[…]}]}]}`.
#[derive(Deserialize)]
pub(super) struct CdcAnswer {
    #[serde(rename = "CDCResponse", default)]
    responses: Vec<CdcResponse>,
}

#[derive(Deserialize)]
struct CdcResponse {
    #[serde(rename = "QueryResponse", default)]
    lists: Vec<CdcList>,
}

#[derive(Deserialize)]
struct CdcList {
    #[serde(rename = "Invoice", default)]
    invoices: Vec<WireInvoice>,
    #[serde(rename = "Payment", default)]
    payments: Vec<WirePayment>,
}

/// What change data capture reported.
#[derive(Debug, Default)]
pub struct Changes {
    pub invoices: Vec<WireInvoice>,
    pub payments: Vec<WirePayment>,
}

impl CdcAnswer {
    pub(super) fn changes(self) -> Changes {
        let mut out = Changes::default();
        for list in self.responses.into_iter().flat_map(|r| r.lists) {
            out.invoices.extend(list.invoices);
            out.payments.extend(list.payments);
        }
        out
    }
}
