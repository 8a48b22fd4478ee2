//! The sandbox's own QuickBooks controls (`/_sandbox/quickbooks…`, not Intuit's API): what the
//! companies hold, the clock and limits, and what happens in the books outside Cremmy — a
//! customer's payment applied to an invoice (in part or in full), a payment deleted (the
//! invoice is due again), a customer the user made in QuickBooks, tokens expired, the app
//! disconnected.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::{qb_date, qb_time, QuickBooksSettings};
use crate::state::Shared;

pub async fn snapshot(State(shared): State<Shared>) -> Json<Value> {
    let world = shared.lock();
    let q = &world.quickbooks;
    let companies: serde_json::Map<String, Value> = q
        .companies
        .iter()
        .map(|(realm, c)| {
            (
                realm.clone(),
                json!({ "customers": c.customers, "invoices": c.invoices, "payments": c.payments }),
            )
        })
        .collect();
    Json(json!({ "now_ms": q.now_ms(), "settings": q.settings, "companies": companies }))
}

/// `{"now_ms", "settings": {…}}`, each optional.
pub async fn configure(State(shared): State<Shared>, Json(body): Json<Value>) -> Response {
    let mut world = shared.lock();
    let q = &mut world.quickbooks;
    if let Some(now) = body["now_ms"].as_i64() {
        q.now_ms = Some(now);
    }
    if !body["settings"].is_null() {
        match serde_json::from_value::<QuickBooksSettings>(body["settings"].clone()) {
            Ok(settings) => q.settings = settings,
            Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
        }
    }
    Json(json!({ "now_ms": q.now_ms() })).into_response()
}

fn realm_of(q: &super::QuickBooksState, invoice_id: &str) -> Option<String> {
    q.companies
        .iter()
        .find(|(_, c)| c.invoices.iter().any(|i| i["Id"] == invoice_id))
        .map(|(r, _)| r.clone())
}

fn cents(amount: f64) -> f64 {
    (amount * 100.0).round() / 100.0
}

/// `{"amount": 120.5}` (default: the balance): the customer pays the invoice.
pub async fn pay(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    let mut world = shared.lock();
    let q = &mut world.quickbooks;
    let Some(realm) = realm_of(q, &id) else {
        return (StatusCode::NOT_FOUND, "no such invoice").into_response();
    };
    let now = q.now_ms();
    q.next_id += 1;
    let payment_id = (q.next_id + 57).to_string();
    let company = q.company(&realm);
    let invoice = company
        .invoices
        .iter_mut()
        .find(|i| i["Id"] == id.as_str())
        .expect("invoice found above");
    let balance = invoice["Balance"].as_f64().unwrap_or(0.0);
    let amount = cents(body["amount"].as_f64().unwrap_or(balance));
    if amount <= 0.0 || amount > balance + 0.001 {
        return (
            StatusCode::BAD_REQUEST,
            "the amount must be within the balance",
        )
            .into_response();
    }
    invoice["Balance"] = json!(cents(balance - amount));
    invoice["SyncToken"] = json!((invoice["SyncToken"]
        .as_str()
        .unwrap_or("0")
        .parse::<u64>()
        .unwrap_or(0)
        + 1)
    .to_string());
    invoice["MetaData"]["LastUpdatedTime"] = json!(qb_time(now));
    // An invoice lists the payments applied to it.
    let mut linked = invoice["LinkedTxn"].as_array().cloned().unwrap_or_default();
    linked.push(json!({ "TxnId": payment_id, "TxnType": "Payment" }));
    invoice["LinkedTxn"] = Value::Array(linked);
    let payment = json!({
        "Id": payment_id,
        "SyncToken": "0",
        "TxnDate": qb_date(now),
        "TotalAmt": amount,
        "UnappliedAmt": 0,
        "CustomerRef": invoice["CustomerRef"].clone(),
        "CurrencyRef": invoice["CurrencyRef"].clone(),
        "Line": [{ "Amount": amount, "LinkedTxn": [{ "TxnId": id, "TxnType": "Invoice" }] }],
        "MetaData": { "CreateTime": qb_time(now), "LastUpdatedTime": qb_time(now) },
    });
    company.payments.push(payment.clone());
    Json(payment).into_response()
}

/// The user deletes a payment: its invoices are due again.
pub async fn delete_payment(State(shared): State<Shared>, Path(id): Path<String>) -> Response {
    let mut world = shared.lock();
    let q = &mut world.quickbooks;
    let now = q.now_ms();
    for company in q.companies.values_mut() {
        let Some(at) = company.payments.iter().position(|p| p["Id"] == id.as_str()) else {
            continue;
        };
        let payment = company.payments.remove(at);
        for line in payment["Line"].as_array().into_iter().flatten() {
            let amount = line["Amount"].as_f64().unwrap_or(0.0);
            for linked in line["LinkedTxn"].as_array().into_iter().flatten() {
                if let Some(invoice) = company
                    .invoices
                    .iter_mut()
                    .find(|i| i["Id"] == linked["TxnId"])
                {
                    let balance = invoice["Balance"].as_f64().unwrap_or(0.0);
                    invoice["Balance"] = json!(cents(balance + amount));
                    if let Some(links) = invoice["LinkedTxn"].as_array_mut() {
                        links.retain(|l| l["TxnId"] != id.as_str());
                    }
                    invoice["MetaData"]["LastUpdatedTime"] = json!(qb_time(now));
                }
            }
        }
        company.deleted.push(("Payment".into(), id.clone(), now));
        return Json(json!({ "deleted": id })).into_response();
    }
    (StatusCode::NOT_FOUND, "no such payment").into_response()
}

/// A customer made in QuickBooks: `{"DisplayName", "PrimaryEmailAddr": {"Address"}}`.
pub async fn add_customer(State(shared): State<Shared>, Json(body): Json<Value>) -> Response {
    let mut world = shared.lock();
    let q = &mut world.quickbooks;
    let now = q.now_ms();
    q.next_id += 1;
    let id = (q.next_id + 57).to_string();
    let realm = q.settings.realm_id.clone();
    let currency = q.settings.home_currency.clone();
    let mut customer = body;
    customer["Id"] = json!(id);
    customer["SyncToken"] = json!("0");
    customer["Active"] = json!(true);
    customer["CurrencyRef"] = json!({ "value": currency });
    customer["MetaData"] = json!({ "CreateTime": qb_time(now), "LastUpdatedTime": qb_time(now) });
    q.company(&realm).customers.push(customer.clone());
    Json(customer).into_response()
}

/// A vendor the user keeps in QuickBooks: `{"DisplayName"}` (its name is then taken for
/// customers).
pub async fn add_vendor(State(shared): State<Shared>, Json(body): Json<Value>) -> Response {
    let mut world = shared.lock();
    let q = &mut world.quickbooks;
    let realm = q.settings.realm_id.clone();
    let name = body["DisplayName"].as_str().unwrap_or("").to_string();
    q.company(&realm).vendors.push(name);
    StatusCode::NO_CONTENT.into_response()
}

/// Every access token expires now (refresh tokens keep working).
pub async fn expire_tokens(State(shared): State<Shared>) -> Response {
    let mut world = shared.lock();
    let q = &mut world.quickbooks;
    let now = q.now_ms();
    for t in q.access_tokens.values_mut() {
        t.expires_at = now;
    }
    StatusCode::NO_CONTENT.into_response()
}

/// The user disconnects the app in QuickBooks: every token stops working (`invalid_grant`).
pub async fn revoke_grants(State(shared): State<Shared>) -> Response {
    let mut world = shared.lock();
    let q = &mut world.quickbooks;
    q.access_tokens.clear();
    q.refresh_tokens.clear();
    StatusCode::NO_CONTENT.into_response()
}
