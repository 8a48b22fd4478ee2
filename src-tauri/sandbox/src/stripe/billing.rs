//! Customers, prices, payment links, invoices (+ invoice items, finalize / send / void /
//! mark_uncollectible) and events, as Stripe's API reference describes them
//! (https://docs.stripe.com/api/customers, /api/prices, /api/payment-link/create,
//! /api/invoices, /api/invoiceitems/create, /api/invoice-payment, /api/events/list). The sandbox's own controls (what a
//! customer does) are in `controls.rs`.

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use serde_json::{json, Value};

use super::{authorize, error, error_body, idempotent, list, Params};
use crate::state::Shared;

/// Events are listed for 30 days (https://docs.stripe.com/api/events/list).
const EVENTS_KEPT_SECS: i64 = 30 * 86_400;

fn query(raw: Option<String>) -> Params {
    Params(
        raw.unwrap_or_default()
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (crate::urldecode(k), crate::urldecode(v))
            })
            .collect(),
    )
}

fn missing(param: &str) -> (u16, Value) {
    error_body(
        400,
        "invalid_request_error",
        Some("parameter_missing"),
        &format!("Missing required param: {param}."),
        Some(param),
    )
}

pub(super) fn no_such(kind: &str, id: &str, param: Option<&str>) -> (u16, Value) {
    error_body(
        if param.is_some() { 400 } else { 404 },
        "invalid_request_error",
        Some("resource_missing"),
        &format!("No such {kind}: '{id}'"),
        param,
    )
}

pub(super) fn answer((status, body): (u16, Value)) -> Response {
    (
        axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::OK),
        Json(body),
    )
        .into_response()
}

pub async fn create_customer(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let key = match authorize(&shared, &headers) {
        Ok(k) => k,
        Err(e) => return e,
    };
    let p = Params(form);
    idempotent(&shared, &key, &headers, "/v1/customers", &p, |s| {
        let id = s.new_id("cus_");
        let customer = json!({
            "id": id,
            "object": "customer",
            "email": p.get("email"),
            "name": p.get("name"),
            "metadata": p.metadata(),
            "created": s.now(),
            "livemode": false,
        });
        s.customers.push(customer.clone());
        s.event("customer.created", &customer);
        (200, customer)
    })
}

/// `email` is a case-sensitive filter (https://docs.stripe.com/api/customers/list).
pub async fn list_customers(
    State(shared): State<Shared>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    list_filtered(&shared, &headers, raw, "/v1/customers", &["email"], |s| {
        &s.customers
    })
}

/// A list endpoint: the objects whose fields equal each of `filters` given in the query, as
/// [`list`] pages them.
fn list_filtered(
    shared: &Shared,
    headers: &HeaderMap,
    raw: Option<String>,
    url: &str,
    filters: &[&str],
    objects: impl Fn(&super::StripeState) -> &Vec<Value>,
) -> Response {
    if let Err(e) = authorize(shared, headers) {
        return e;
    }
    let q = query(raw);
    let world = shared.lock();
    let items = objects(&world.stripe)
        .iter()
        .filter(|o| {
            filters
                .iter()
                .all(|f| q.get(f).is_none_or(|want| o[*f] == want.as_str()))
        })
        .cloned()
        .collect();
    match list(url, items, &q) {
        Ok(page) => Json(page).into_response(),
        Err(e) => e,
    }
}

pub async fn create_price(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let key = match authorize(&shared, &headers) {
        Ok(k) => k,
        Err(e) => return e,
    };
    let p = Params(form);
    idempotent(&shared, &key, &headers, "/v1/prices", &p, |s| {
        let Some(currency) = p.get("currency") else {
            return missing("currency");
        };
        let Some(amount) = p.get("unit_amount").and_then(|a| a.parse::<i64>().ok()) else {
            return missing("unit_amount");
        };
        let Some(name) = p.get("product_data[name]").or(p.get("product")) else {
            return missing("product");
        };
        let product = s.new_id("prod_");
        let id = s.new_id("price_");
        let price = json!({
            "id": id,
            "object": "price",
            "active": true,
            "currency": currency.to_lowercase(),
            "unit_amount": amount,
            "product": product,
            "nickname": name,
            "type": "one_time",
            "created": s.now(),
            "livemode": false,
        });
        s.prices.push(price.clone());
        (200, price)
    })
}

pub async fn create_payment_link(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let key = match authorize(&shared, &headers) {
        Ok(k) => k,
        Err(e) => return e,
    };
    let p = Params(form);
    idempotent(&shared, &key, &headers, "/v1/payment_links", &p, |s| {
        let Some(price_id) = p.get("line_items[0][price]") else {
            return missing("line_items[0][price]");
        };
        let Some(quantity) = p
            .get("line_items[0][quantity]")
            .and_then(|q| q.parse::<i64>().ok())
        else {
            return missing("line_items[0][quantity]");
        };
        let Some(price) = s
            .prices
            .iter()
            .find(|x| x["id"] == price_id.as_str())
            .cloned()
        else {
            return no_such("price", &price_id, Some("line_items[0][price]"));
        };
        let id = s.new_id("plink_");
        let link = json!({
            "id": id,
            "object": "payment_link",
            "active": true,
            "currency": price["currency"],
            "url": format!("https://buy.stripe.com/test_{id}"),
            "metadata": p.metadata(),
            "livemode": false,
            // Not part of Stripe's object (line items are a separate list call): kept for
            // completing a checkout in the sandbox.
            "sandbox_amount": price["unit_amount"].as_i64().unwrap_or(0) * quantity,
        });
        s.payment_links.push(link.clone());
        (200, link)
    })
}

pub(super) fn totals(invoice: &mut Value) {
    let total: i64 = invoice["lines"]["data"]
        .as_array()
        .map(|l| l.iter().map(|x| x["amount"].as_i64().unwrap_or(0)).sum())
        .unwrap_or(0);
    let paid = invoice["amount_paid"].as_i64().unwrap_or(0);
    invoice["subtotal"] = json!(total);
    invoice["total"] = json!(total);
    invoice["amount_due"] = json!(total);
    invoice["amount_remaining"] = json!(total - paid);
}

pub async fn create_invoice(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let key = match authorize(&shared, &headers) {
        Ok(k) => k,
        Err(e) => return e,
    };
    let p = Params(form);
    idempotent(&shared, &key, &headers, "/v1/invoices", &p, |s| {
        let Some(customer) = p.get("customer") else {
            return missing("customer");
        };
        if !s.customers.iter().any(|c| c["id"] == customer.as_str()) {
            return no_such("customer", &customer, Some("customer"));
        }
        let method = p
            .get("collection_method")
            .unwrap_or_else(|| "charge_automatically".into());
        let days = p.get("days_until_due").and_then(|d| d.parse::<i64>().ok());
        if method == "send_invoice" && days.is_none() && p.get("due_date").is_none() {
            return error_body(
                400,
                "invalid_request_error",
                None,
                "Invoices with `collection_method=send_invoice` require `days_until_due` or `due_date`.",
                Some("days_until_due"),
            );
        }
        let id = s.new_id("in_");
        let mut invoice = json!({
            "id": id,
            "object": "invoice",
            "customer": customer,
            "status": "draft",
            "collection_method": method,
            "days_until_due": days,
            "due_date": p.get("due_date").and_then(|d| d.parse::<i64>().ok()),
            "currency": p.get("currency").unwrap_or_else(|| "usd".into()).to_lowercase(),
            "description": p.get("description"),
            "metadata": p.metadata(),
            "number": null,
            "hosted_invoice_url": null,
            "invoice_pdf": null,
            "amount_paid": 0,
            "lines": { "object": "list", "data": [], "has_more": false },
            "status_transitions": { "finalized_at": null, "paid_at": null, "voided_at": null, "marked_uncollectible_at": null },
            "created": s.now(),
            "livemode": false,
        });
        totals(&mut invoice);
        s.invoices.push(invoice.clone());
        s.event("invoice.created", &invoice);
        (200, invoice)
    })
}

/// "You can only add invoice items to draft invoices" (https://docs.stripe.com/api/invoiceitems/create).
pub async fn create_invoice_item(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let key = match authorize(&shared, &headers) {
        Ok(k) => k,
        Err(e) => return e,
    };
    let p = Params(form);
    idempotent(&shared, &key, &headers, "/v1/invoiceitems", &p, |s| {
        let Some(customer) = p.get("customer") else {
            return missing("customer");
        };
        let Some(amount) = p.get("amount").and_then(|a| a.parse::<i64>().ok()) else {
            return missing("amount");
        };
        let Some(invoice_id) = p.get("invoice") else {
            return missing("invoice");
        };
        let now = s.now();
        let line_id = s.new_id("ii_");
        let Some(invoice) = s
            .invoices
            .iter_mut()
            .find(|i| i["id"] == invoice_id.as_str())
        else {
            return no_such("invoice", &invoice_id, Some("invoice"));
        };
        if invoice["status"] != "draft" {
            return error_body(
                400,
                "invalid_request_error",
                Some("invoice_not_editable"),
                "You can only add invoice items to draft invoices.",
                Some("invoice"),
            );
        }
        if invoice["customer"] != customer.as_str() {
            return error_body(
                400,
                "invalid_request_error",
                None,
                "The invoice item's customer must be the invoice's customer.",
                Some("customer"),
            );
        }
        let currency = p
            .get("currency")
            .unwrap_or_else(|| invoice["currency"].as_str().unwrap_or("usd").to_string())
            .to_lowercase();
        if invoice["currency"] != currency.as_str() {
            return error_body(
                400,
                "invalid_request_error",
                None,
                "The currency of an invoice item must match the invoice's currency.",
                Some("currency"),
            );
        }
        let item = json!({
            "id": line_id,
            "object": "invoiceitem",
            "amount": amount,
            "currency": currency,
            "customer": customer,
            "description": p.get("description"),
            "invoice": invoice_id,
            "metadata": p.metadata(),
            "date": now,
        });
        if let Some(lines) = invoice["lines"]["data"].as_array_mut() {
            lines.push(item.clone());
        }
        totals(invoice);
        s.invoice_items.push(item.clone());
        (200, item)
    })
}

pub async fn get_invoice(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(e) = authorize(&shared, &headers) {
        return e;
    }
    let world = shared.lock();
    match world
        .stripe
        .invoices
        .iter()
        .find(|i| i["id"] == id.as_str())
    {
        Some(i) => Json(i.clone()).into_response(),
        None => answer(no_such("invoice", &id, None)),
    }
}

/// `customer` and `status` filters (https://docs.stripe.com/api/invoices/list).
pub async fn list_invoices(
    State(shared): State<Shared>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    list_filtered(
        &shared,
        &headers,
        raw,
        "/v1/invoices",
        &["customer", "status"],
        |s| &s.invoices,
    )
}

/// finalize (draft → open: number, due date, hosted page), send (open), void (open or
/// uncollectible), mark_uncollectible (open) — https://docs.stripe.com/api/invoices.
pub async fn invoice_action(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let key = match authorize(&shared, &headers) {
        Ok(k) => k,
        Err(e) => return e,
    };
    let p = Params(form);
    let path = format!("/v1/invoices/{id}/{action}");
    idempotent(&shared, &key, &headers, &path, &p, |s| {
        let now = s.now();
        let count = s.invoices.iter().filter(|i| !i["number"].is_null()).count();
        let Some(invoice) = s.invoices.iter_mut().find(|i| i["id"] == id.as_str()) else {
            return no_such("invoice", &id, None);
        };
        let status = invoice["status"].as_str().unwrap_or("").to_string();
        let refuse = |message: String| {
            error_body(
                400,
                "invalid_request_error",
                Some("invoice_unexpected_state"),
                &message,
                None,
            )
        };
        let event = match (action.as_str(), status.as_str()) {
            ("finalize", "draft") => {
                invoice["status"] = json!("open");
                invoice["number"] = json!(format!("SBX-{:04}", count + 1));
                if invoice["due_date"].is_null() {
                    if let Some(days) = invoice["days_until_due"].as_i64() {
                        invoice["due_date"] = json!(now + days * 86_400);
                    }
                }
                invoice["hosted_invoice_url"] = json!(format!(
                    "https://invoice.stripe.com/i/acct_sandbox/test_{id}"
                ));
                invoice["invoice_pdf"] = json!(format!(
                    "https://pay.stripe.com/invoice/acct_sandbox/test_{id}/pdf"
                ));
                invoice["status_transitions"]["finalized_at"] = json!(now);
                "invoice.finalized"
            }
            ("finalize", other) => {
                return refuse(format!(
                    "This invoice is already finalized (status {other})."
                ))
            }
            ("send", "open") => "invoice.sent",
            ("send", other) => {
                return refuse(format!(
                    "You can only send an open invoice; this one is {other}."
                ))
            }
            ("void", "open" | "uncollectible") => {
                invoice["status"] = json!("void");
                invoice["status_transitions"]["voided_at"] = json!(now);
                "invoice.voided"
            }
            ("void", other) => {
                return refuse(format!(
                    "You can only void an open or uncollectible invoice; this one is {other}."
                ))
            }
            ("mark_uncollectible", "open") => {
                invoice["status"] = json!("uncollectible");
                invoice["status_transitions"]["marked_uncollectible_at"] = json!(now);
                "invoice.marked_uncollectible"
            }
            ("mark_uncollectible", other) => {
                return refuse(format!(
                    "You can only mark an open invoice uncollectible; this one is {other}."
                ))
            }
            _ => return no_such("invoice action", &action, None),
        };
        let snapshot = invoice.clone();
        match event {
            "invoice.finalized" => default_payment(s, &snapshot, now),
            "invoice.voided" => {
                for p in s.invoice_payments.iter_mut() {
                    if p["invoice"] == id.as_str() && p["status"] == "open" {
                        p["status"] = json!("canceled");
                        p["status_transitions"]["canceled_at"] = json!(now);
                    }
                }
            }
            _ => {}
        }
        s.event(event, &snapshot);
        (200, snapshot)
    })
}

/// "Stripe automatically creates a default InvoicePayment when the invoice is finalized, and keeps
/// it synchronized with the invoice's amount_remaining"
/// (https://docs.stripe.com/api/invoice-payment/object, `is_default`); its PaymentIntent waits for
/// the customer.
fn default_payment(s: &mut super::StripeState, invoice: &Value, now: i64) {
    let id = s.new_id("inpay_");
    let intent = s.new_id("pi_");
    s.invoice_payments.push(json!({
        "id": id, "object": "invoice_payment", "amount_paid": null,
        "amount_requested": invoice["amount_remaining"], "created": now,
        "currency": invoice["currency"], "invoice": invoice["id"], "is_default": true,
        "livemode": false, "payment": { "type": "payment_intent", "payment_intent": intent },
        "status": "open", "status_transitions": { "canceled_at": null, "paid_at": null },
    }));
}

/// The payments of an invoice (https://docs.stripe.com/api/invoice-payment/list): filtered by
/// `invoice` and `status`, newest first, paged as every list.
pub async fn list_invoice_payments(
    State(shared): State<Shared>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    list_filtered(
        &shared,
        &headers,
        raw,
        "/v1/invoice_payments",
        &["invoice", "status"],
        |s| &s.invoice_payments,
    )
}

/// `type` (with `*` wildcards) or `types[]` (at most 20), over the last 30 days.
pub async fn list_events(
    State(shared): State<Shared>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Err(e) = authorize(&shared, &headers) {
        return e;
    }
    let q = query(raw);
    let types = q.all("types[]");
    if types.len() > 20 {
        return error(
            400,
            "invalid_request_error",
            None,
            "You may pass at most 20 event types.",
            Some("types"),
        );
    }
    let single = q.get("type");
    let matches = |kind: &str| {
        (types.is_empty() || types.iter().any(|t| t == kind))
            && single.as_deref().is_none_or(|t| match t.strip_suffix('*') {
                Some(prefix) => kind.starts_with(prefix),
                None => kind == t,
            })
    };
    let world = shared.lock();
    let oldest = world.stripe.now() - EVENTS_KEPT_SECS;
    let items = world
        .stripe
        .events
        .iter()
        .filter(|e| e["created"].as_i64().unwrap_or(0) >= oldest)
        .filter(|e| matches(e["type"].as_str().unwrap_or("")))
        .cloned()
        .collect();
    match list("/v1/events", items, &q) {
        Ok(page) => Json(page).into_response(),
        Err(e) => e,
    }
}
