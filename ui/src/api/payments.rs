//! The typed calls of payments (Integrations → Stripe, the client page's invoices and payment
//! links). Part of `api` (same rules: every call returns `Result<T, ApiError>`).

use cremmy_protocol::accounts::Account;
use cremmy_protocol::commands as cmd;
use cremmy_protocol::crm::Id;
use cremmy_protocol::payments::{
    ClientPayments, Invoice, InvoiceRequest, Organisations, PaymentLink, PushedClients,
};
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
/// The organisations an accounting account (Xero) reaches, and the one it works in.
pub async fn accounting_organisations(account_id: Id) -> Reply<Organisations> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct A {
        account_id: Id,
    }
    call(cmd::ACCOUNTING_ORGANISATIONS, &A { account_id }).await
}
/// "Push all clients" to an accounting account: each client a customer / contact, never twice.
pub async fn push_clients(account_id: Id) -> Reply<PushedClients> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct A {
        account_id: Id,
    }
    call(cmd::PUSH_CLIENTS, &A { account_id }).await
}
pub async fn choose_accounting_organisation(
    account_id: Id,
    organisation: String,
) -> Reply<Organisations> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct A {
        account_id: Id,
        organisation: String,
    }
    call(
        cmd::CHOOSE_ACCOUNTING_ORGANISATION,
        &A {
            account_id,
            organisation,
        },
    )
    .await
}
