//! The sandbox's own Stripe controls (`/_sandbox/stripe…`, not Stripe's API): what the account
//! holds, the clock and limits, and what a customer does — pay an invoice (in part), have a
//! charge refunded, complete a payment link's checkout — each with the events Stripe records
//! for it (https://docs.stripe.com/api/events/types).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::billing::{answer, no_such, totals};
use super::{error_body, StripeState};
use crate::state::Shared;

pub async fn snapshot(State(shared): State<Shared>) -> Json<Value> {
    let world = shared.lock();
    let s = &world.stripe;
    Json(json!({
        "now": s.now(),
        "customers": s.customers,
        "prices": s.prices,
        "payment_links": s.payment_links,
        "invoices": s.invoices,
        "charges": s.charges,
        "invoice_payments": s.invoice_payments,
        "events": s.events,
    }))
}

/// `{"now": unix seconds, "requests_per_second": n, "keys": [...]}`, each optional.
pub async fn configure(State(shared): State<Shared>, Json(body): Json<Value>) -> Json<Value> {
    let mut world = shared.lock();
    let s = &mut world.stripe;
    if let Some(now) = body["now"].as_i64() {
        s.now = Some(now);
    }
    if !body["requests_per_second"].is_null() {
        s.settings.requests_per_second = body["requests_per_second"].as_u64().map(|n| n as u32);
    }
    if let Some(keys) = body["keys"].as_array() {
        s.settings.keys = keys
            .iter()
            .filter_map(|k| k.as_str().map(String::from))
            .collect();
    }
    Json(json!({ "now": s.now() }))
}

/// A payment of the customer: a succeeded PaymentIntent (`intent`, or a new one) and its charge.
/// Neither names an invoice: API version 2025-03-31.basil removed `invoice` from both, the
/// InvoicePayment links them instead
/// (https://docs.stripe.com/changelog/basil/2025-03-31/add-support-for-multiple-partial-payments-on-invoices).
fn pay(
    s: &mut StripeState,
    customer: &Value,
    currency: &Value,
    amount: i64,
    intent: Option<String>,
) -> (String, String) {
    let intent = intent.unwrap_or_else(|| s.new_id("pi_"));
    let charge = s.new_id("ch_");
    let charge_object = json!({
        "id": charge, "object": "charge", "amount": amount, "amount_refunded": 0,
        "currency": currency, "customer": customer,
        "payment_intent": intent, "paid": true, "refunded": false, "status": "succeeded",
        "created": s.now(),
    });
    s.charges.push(charge_object);
    let intent_object = json!({
        "id": intent, "object": "payment_intent", "amount": amount, "amount_received": amount,
        "currency": currency, "customer": customer,
        "latest_charge": charge, "status": "succeeded", "created": s.now(),
    });
    s.event("payment_intent.succeeded", &intent_object);
    (intent, charge)
}

/// Pays an open invoice, in full or `{"amount": n}` of it. In full, the default InvoicePayment
/// is paid; a part is a payment of its own and the default asks for what remains
/// (https://docs.stripe.com/api/invoice-payment/object).
pub async fn pay_invoice(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    body: Option<Json<Value>>,
) -> Response {
    let mut world = shared.lock();
    let s = &mut world.stripe;
    let now = s.now();
    let Some(index) = s.invoices.iter().position(|i| i["id"] == id.as_str()) else {
        return answer(no_such("invoice", &id, None));
    };
    let invoice = s.invoices[index].clone();
    if invoice["status"] != "open" {
        return answer(error_body(
            400,
            "invalid_request_error",
            None,
            "Only an open invoice can be paid.",
            None,
        ));
    }
    let remaining = invoice["amount_remaining"].as_i64().unwrap_or(0);
    let amount = body
        .and_then(|b| b["amount"].as_i64())
        .unwrap_or(remaining)
        .min(remaining);
    let fully = amount == remaining;
    let default = s.invoice_payments.iter().position(|p| {
        p["invoice"] == id.as_str() && p["is_default"] == true && p["status"] == "open"
    });
    let default_intent = default.and_then(|d| {
        s.invoice_payments[d]["payment"]["payment_intent"]
            .as_str()
            .map(String::from)
    });
    let (intent, charge) = pay(
        s,
        &invoice["customer"],
        &invoice["currency"],
        amount,
        default_intent.filter(|_| fully),
    );
    let paid = json!({ "canceled_at": null, "paid_at": now });
    match default {
        Some(d) if fully => {
            let p = &mut s.invoice_payments[d];
            p["status"] = json!("paid");
            p["amount_paid"] = json!(amount);
            p["amount_requested"] = json!(amount);
            p["status_transitions"] = paid;
        }
        _ => {
            if let Some(d) = default {
                s.invoice_payments[d]["amount_requested"] = json!(remaining - amount);
            }
            let inpay = s.new_id("inpay_");
            s.invoice_payments.push(json!({
                "id": inpay, "object": "invoice_payment", "amount_paid": amount,
                "amount_requested": amount, "created": now, "currency": invoice["currency"],
                "invoice": id, "is_default": false, "livemode": false,
                "payment": { "type": "payment_intent", "payment_intent": intent },
                "status": "paid", "status_transitions": paid,
            }));
        }
    }
    let invoice = &mut s.invoices[index];
    invoice["amount_paid"] = json!(invoice["amount_paid"].as_i64().unwrap_or(0) + amount);
    totals(invoice);
    if fully {
        invoice["status"] = json!("paid");
        invoice["status_transitions"]["paid_at"] = json!(now);
    }
    let snapshot = invoice.clone();
    s.event("invoice.payment_succeeded", &snapshot);
    if fully {
        s.event("invoice.paid", &snapshot);
    }
    Json(json!({ "invoice": snapshot, "payment_intent": intent, "charge": charge })).into_response()
}

pub async fn refund_charge(State(shared): State<Shared>, Path(id): Path<String>) -> Response {
    let mut world = shared.lock();
    let s = &mut world.stripe;
    let Some(charge) = s.charges.iter_mut().find(|c| c["id"] == id.as_str()) else {
        return answer(no_such("charge", &id, None));
    };
    charge["amount_refunded"] = charge["amount"].clone();
    charge["refunded"] = json!(true);
    let snapshot = charge.clone();
    s.event("charge.refunded", &snapshot);
    Json(snapshot).into_response()
}

/// A customer paid through the link: `checkout.session.completed` with the link and its
/// metadata, and the payment.
pub async fn complete_payment_link(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    body: Option<Json<Value>>,
) -> Response {
    let mut world = shared.lock();
    let s = &mut world.stripe;
    let Some(link) = s
        .payment_links
        .iter()
        .find(|l| l["id"] == id.as_str())
        .cloned()
    else {
        return answer(no_such("payment_link", &id, None));
    };
    let email = body.and_then(|b| b["email"].as_str().map(String::from));
    let amount = link["sandbox_amount"].as_i64().unwrap_or(0);
    let (intent, charge) = pay(s, &Value::Null, &link["currency"], amount, None);
    let session = s.new_id("cs_");
    let object = json!({
        "id": session, "object": "checkout.session", "payment_link": id,
        "amount_total": amount, "currency": link["currency"], "metadata": link["metadata"],
        "customer_details": { "email": email }, "payment_intent": intent,
        "payment_status": "paid", "status": "complete", "mode": "payment",
        "created": s.now(),
    });
    s.event("checkout.session.completed", &object);
    Json(json!({ "session": object, "charge": charge })).into_response()
}
