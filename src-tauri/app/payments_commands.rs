//! Commands of payments (Integrations → Stripe, the client page's invoices and payment links).
//! One-liners like `commands.rs`.

use cremmy_core::HasErrorCode;
use cremmy_protocol::accounts::Account;
use cremmy_protocol::crm::Id;
use cremmy_protocol::payments::{
    ClientPayments, Invoice, InvoiceRequest, Organisations, PaymentLink, PushedClients,
};
use cremmy_protocol::ApiError;
use tauri::State;

use crate::desktop::Backend;

type Reply<T> = Result<T, ApiError>;

fn api<E: HasErrorCode>(e: E) -> ApiError {
    e.to_api_error()
}

/// Integrations → Stripe → Connect: the key is checked with Stripe before anything is stored.
#[tauri::command]
pub async fn connect_payments(b: State<'_, Backend>, key: String) -> Reply<Account> {
    b.opened()?.sync.connect_payments(&key).await.map_err(api)
}

#[tauri::command]
pub async fn client_payments(b: State<'_, Backend>, client_id: Id) -> Reply<ClientPayments> {
    b.opened()?
        .sync
        .client_payments(client_id)
        .await
        .map_err(api)
}

/// "Create invoice" on a deal (made at Stripe, finalised and sent unless kept a draft).
#[tauri::command]
pub async fn create_invoice(b: State<'_, Backend>, request: InvoiceRequest) -> Reply<Invoice> {
    b.opened()?.sync.create_invoice(&request).await.map_err(api)
}

/// "Payment link" on a deal.
#[tauri::command]
pub async fn create_payment_link(b: State<'_, Backend>, deal_id: Id) -> Reply<PaymentLink> {
    b.opened()?
        .sync
        .create_payment_link(deal_id)
        .await
        .map_err(api)
}

#[tauri::command]
pub async fn overdue_invoices(b: State<'_, Backend>) -> Reply<Vec<Invoice>> {
    b.opened()?.sync.overdue_invoices().await.map_err(api)
}

/// Integrations → Xero: the organisations the account reaches, and the one it works in.
#[tauri::command]
pub async fn accounting_organisations(
    b: State<'_, Backend>,
    account_id: Id,
) -> Reply<Organisations> {
    b.opened()?
        .sync
        .accounting_organisations(account_id)
        .await
        .map_err(api)
}

/// Integrations → Xero / QuickBooks → "Push all clients": every client a contact / customer.
#[tauri::command]
pub async fn push_clients(b: State<'_, Backend>, account_id: Id) -> Reply<PushedClients> {
    b.opened()?.sync.push_clients(account_id).await.map_err(api)
}

/// Integrations → Xero → Organisation: invoices go to the chosen organisation's books.
#[tauri::command]
pub async fn choose_accounting_organisation(
    b: State<'_, Backend>,
    account_id: Id,
    organisation: String,
) -> Reply<Organisations> {
    b.opened()?
        .sync
        .choose_accounting_organisation(account_id, &organisation)
        .await
        .map_err(api)
}
