//! The typed calls of payments (Integrations → Stripe, the client page's invoices and payment
//! links). Part of `api` (same rules: every call returns `Result<T, ApiError>`).

use cremmy_protocol::accounts::Account;
use cremmy_protocol::commands as cmd;
use cremmy_protocol::crm::Id;
use cremmy_protocol::payments::{ClientPayments, Invoice, InvoiceRequest, PaymentLink};
use serde::Serialize;

use super::{call, NoArgs, Reply};

/// Checks the pasted key with Stripe, then keeps it in the keychain.
pub async fn connect_payments(key: String) -> Reply<Account> {
    #[derive(Serialize)]
    struct A {
        key: String,
    }
    call(cmd::CONNECT_PAYMENTS, &A { key }).await
}
pub async fn client_payments(client_id: Id) -> Reply<ClientPayments> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct A {
        client_id: Id,
    }
    call(cmd::CLIENT_PAYMENTS, &A { client_id }).await
}
pub async fn create_invoice(request: InvoiceRequest) -> Reply<Invoice> {
    #[derive(Serialize)]
    struct A {
        request: InvoiceRequest,
    }
    call(cmd::CREATE_INVOICE, &A { request }).await
}
pub async fn create_payment_link(deal_id: Id) -> Reply<PaymentLink> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct A {
        deal_id: Id,
    }
    call(cmd::CREATE_PAYMENT_LINK, &A { deal_id }).await
}
/// Open invoices past their due date, across clients.
pub async fn overdue_invoices() -> Reply<Vec<Invoice>> {
    call(cmd::OVERDUE_INVOICES, &NoArgs {}).await
}
