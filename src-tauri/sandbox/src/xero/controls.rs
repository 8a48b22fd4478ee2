//! The sandbox's own Xero controls (`/_sandbox/xero…`, not Xero's API): what the organisations
//! hold, the clock and limits, and what happens in the books outside Cremmy — a payment applied
//! to an invoice (in part or in full; the invoice turns PAID when nothing is due), a payment
//! deleted (the invoice is due again), a contact the user made in Xero.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::{xero_date, XeroSettings};
use crate::state::Shared;

pub async fn snapshot(State(shared): State<Shared>) -> Json<Value> {
    let world = shared.lock();
    let x = &world.xero;
    let books: serde_json::Map<String, Value> = x
        .books
        .iter()
        .map(|(tenant, b)| {
            (
                tenant.clone(),
                json!({ "contacts": b.contacts, "invoices": b.invoices, "payments": b.payments }),
            )
        })
        .collect();
    Json(json!({ "now_ms": x.now_ms(), "settings": x.settings, "books": books }))
}

/// `{"now_ms", "settings": {…}}`, each optional.
pub async fn configure(State(shared): State<Shared>, Json(body): Json<Value>) -> Response {
    let mut world = shared.lock();
    let x = &mut world.xero;
    if let Some(now) = body["now_ms"].as_i64() {
        x.now_ms = Some(now);
    }
    if !body["settings"].is_null() {
        match serde_json::from_value::<XeroSettings>(body["settings"].clone()) {
            Ok(settings) => x.settings = settings,
            Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
        }
    }
    Json(json!({ "now_ms": x.now_ms() })).into_response()
}

fn tenant_of(x: &super::XeroState, invoice_id: &str) -> Option<String> {
    x.books
        .iter()
        .find(|(_, b)| b.invoices.iter().any(|i| i["InvoiceID"] == invoice_id))
        .map(|(t, _)| t.clone())
}

fn cents(amount: f64) -> f64 {
    (amount * 100.0).round() / 100.0
}

/// `{"amount": 120.5}` (default: what is due): a payment on an approved invoice.
pub async fn pay(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    let mut world = shared.lock();
    let x = &mut world.xero;
    let Some(tenant) = tenant_of(x, &id) else {
        return (StatusCode::NOT_FOUND, "no such invoice").into_response();
    };
    let now = x.now_ms();
    let payment_id = x.new_id();
    let books = x.books.get_mut(&tenant).expect("tenant found above");
    let invoice = books
        .invoices
        .iter_mut()
        .find(|i| i["InvoiceID"] == id.as_str())
        .expect("invoice found above");
    if invoice["Status"] != "AUTHORISED" {
        return (
            StatusCode::BAD_REQUEST,
            "only AUTHORISED invoices take payments",
        )
            .into_response();
    }
    let due = invoice["AmountDue"].as_f64().unwrap_or(0.0);
    let amount = cents(body["amount"].as_f64().unwrap_or(due));
    if amount <= 0.0 || amount > due + 0.001 {
        return (StatusCode::BAD_REQUEST, "the amount is more than is due").into_response();
    }
    let paid = cents(invoice["AmountPaid"].as_f64().unwrap_or(0.0) + amount);
    let left = cents(due - amount);
    invoice["AmountPaid"] = json!(paid);
    invoice["AmountDue"] = json!(left);
    if left <= 0.0 {
        invoice["Status"] = json!("PAID");
        invoice["FullyPaidOnDate"] = json!(xero_date(now));
    }
    invoice["UpdatedDateUTC"] = json!(xero_date(now));
    invoice["Payments"]
        .as_array_mut()
        .expect("invoices carry a Payments array")
        .push(json!({ "PaymentID": payment_id, "Date": xero_date(now), "Amount": amount, "CurrencyRate": 1.0 }));
    let payment = json!({
        "PaymentID": payment_id,
        "Date": xero_date(now),
        "Amount": amount,
        "Reference": "",
        "CurrencyRate": 1.0,
        "PaymentType": "ACCRECPAYMENT",
        "Status": "AUTHORISED",
        "IsReconciled": false,
        "UpdatedDateUTC": xero_date(now),
        "Account": { "AccountID": "ac0c0000-0000-4000-8000-000000000090", "Code": "090" },
        "Invoice": {
            "InvoiceID": invoice["InvoiceID"],
            "InvoiceNumber": invoice["InvoiceNumber"],
            "Type": invoice["Type"],
            "CurrencyCode": invoice["CurrencyCode"],
            "Contact": invoice["Contact"],
        },
    });
    books.payments.push(payment.clone());
    Json(payment).into_response()
}

/// Deletes a payment (Xero: `POST /Payments/{id}` with `Status: DELETED`): the invoice is due
/// again.
pub async fn delete_payment(State(shared): State<Shared>, Path(id): Path<String>) -> Response {
    let mut world = shared.lock();
    let x = &mut world.xero;
    let now = x.now_ms();
    for books in x.books.values_mut() {
        let Some(payment) = books
            .payments
            .iter_mut()
            .find(|p| p["PaymentID"] == id.as_str())
        else {
            continue;
        };
        if payment["Status"] == "DELETED" {
            return (StatusCode::BAD_REQUEST, "already deleted").into_response();
        }
        payment["Status"] = json!("DELETED");
        payment["UpdatedDateUTC"] = json!(xero_date(now));
        let amount = payment["Amount"].as_f64().unwrap_or(0.0);
        let invoice_id = payment["Invoice"]["InvoiceID"].clone();
        let payment = payment.clone();
        if let Some(invoice) = books
            .invoices
            .iter_mut()
            .find(|i| i["InvoiceID"] == invoice_id)
        {
            invoice["AmountPaid"] = json!(cents(
                invoice["AmountPaid"].as_f64().unwrap_or(0.0) - amount
            ));
            invoice["AmountDue"] =
                json!(cents(invoice["AmountDue"].as_f64().unwrap_or(0.0) + amount));
            invoice["Status"] = json!("AUTHORISED");
            invoice["UpdatedDateUTC"] = json!(xero_date(now));
            if let Some(list) = invoice["Payments"].as_array_mut() {
                list.retain(|p| p["PaymentID"] != id.as_str());
            }
        }
        return Json(payment).into_response();
    }
    (StatusCode::NOT_FOUND, "no such payment").into_response()
}

/// Every access token stops working (as 30 minutes passing would).
pub async fn expire_tokens(State(shared): State<Shared>) -> Json<Value> {
    let mut world = shared.lock();
    let x = &mut world.xero;
    let now = x.now_ms();
    for t in x.access_tokens.values_mut() {
        t.expires_at = now;
    }
    Json(json!({ "expired": x.access_tokens.len() }))
}

/// The user disconnected Cremmy's app in Xero: every token stops working (a refresh is
/// `invalid_grant`).
pub async fn revoke_grants(State(shared): State<Shared>) -> Json<Value> {
    let mut world = shared.lock();
    let x = &mut world.xero;
    let revoked = x.refresh_tokens.len();
    x.refresh_tokens.clear();
    x.access_tokens.clear();
    Json(json!({ "revoked": revoked }))
}

/// `{"tenant", "Name", "EmailAddress"}`: a contact the user made in Xero.
pub async fn add_contact(State(shared): State<Shared>, Json(body): Json<Value>) -> Response {
    let mut world = shared.lock();
    let x = &mut world.xero;
    let tenant = body["tenant"]
        .as_str()
        .map(str::to_string)
        .or_else(|| x.settings.tenants.first().map(|(t, _)| t.clone()))
        .unwrap_or_default();
    match super::accounting::new_contact(x, &tenant, &body) {
        Ok(contact) => Json(contact).into_response(),
        Err(element) => (StatusCode::BAD_REQUEST, Json(element)).into_response(),
    }
}
