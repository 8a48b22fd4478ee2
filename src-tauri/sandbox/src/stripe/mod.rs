//! Stripe's v1 API, the subset Cremmy uses, in Stripe's wire format. Written from Stripe's
//! documentation (each behaviour names its page; the facts are in
//! `../shared/notes/providers/stripe.md`), never from the app:
//! - Requests: `Authorization: Bearer <key>` (or Basic with the key as the user, as the curl
//!   examples send it), secret keys `sk_test_…`/`sk_live_…` and restricted keys `rk_…`
//!   (https://docs.stripe.com/keys/restricted-api-keys); form-encoded bodies with bracket
//!   notation (`metadata[deal]=7`, `line_items[0][price]=…`); amounts in minor units; lower-case
//!   currency codes (https://docs.stripe.com/api).
//! - Lists: `{"object":"list","url","has_more","data"}` newest first, `limit` 1–100 (default
//!   10), `starting_after` / `ending_before`, `created[gte|gt|lte|lt]`
//!   (https://docs.stripe.com/api/pagination).
//! - Errors: `{"error":{"type","code","message","param","doc_url"}}` with 400/401/402/403/404/409/
//!   429/5xx and a `Request-Id` header (https://docs.stripe.com/api/errors); 429 carries
//!   `Stripe-Should-Retry: true` (what the official SDKs read). Test mode allows 25 requests a
//!   second (https://docs.stripe.com/rate-limits): on when a test sets `requests_per_second`.
//! - Idempotency: a POST's `Idempotency-Key` replays the first answer to the same parameters
//!   (with `Idempotent-Replayed: true`); the same key with other parameters is a 400
//!   `idempotency_error`; failed validation is not saved (https://docs.stripe.com/api/idempotent_requests).
//! - Events: kept 30 days; `types[]` (up to 20) or `type`, `created[…]`, paging as above
//!   (https://docs.stripe.com/api/events/list).

pub mod billing;
pub mod controls;

use std::collections::HashMap;

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde_json::{json, Value};

use crate::state::Shared;

/// The resources of Stripe's API this sandbox serves (for the fault shapes).
pub const PATHS: [&str; 7] = [
    "/v1/customers",
    "/v1/invoices",
    "/v1/invoiceitems",
    "/v1/prices",
    "/v1/payment_links",
    "/v1/invoice_payments",
    "/v1/events",
];

pub fn is_stripe_path(path: &str) -> bool {
    PATHS.iter().any(|p| path.starts_with(p))
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct StripeSettings {
    /// The keys this account accepts (a test-mode secret key and a restricted key by default).
    pub keys: Vec<String>,
    /// Requests a second before 429 (test mode: 25); `None`: no limit.
    pub requests_per_second: Option<u32>,
}

impl Default for StripeSettings {
    fn default() -> Self {
        StripeSettings {
            keys: vec![
                "sk_test_sandbox0000000000000000".into(),
                "rk_test_sandbox0000000000000000".into(),
            ],
            requests_per_second: None,
        }
    }
}

/// A saved answer to an idempotent request.
#[derive(Debug, Clone)]
pub struct Saved {
    pub fingerprint: String,
    pub status: u16,
    pub body: Value,
}

#[derive(Debug, Clone, Default)]
pub struct StripeState {
    pub settings: StripeSettings,
    /// Unix seconds; `None`: the system clock. Tests move it to make invoices overdue and
    /// events older than 30 days.
    pub now: Option<i64>,
    pub customers: Vec<Value>,
    pub prices: Vec<Value>,
    pub payment_links: Vec<Value>,
    pub invoices: Vec<Value>,
    pub invoice_items: Vec<Value>,
    /// Payments towards invoices (`inpay_…`): since API version 2025-03-31.basil the link between
    /// an invoice and its PaymentIntents; PaymentIntents and Charges no longer name the invoice
    /// (https://docs.stripe.com/changelog/basil/2025-03-31/add-support-for-multiple-partial-payments-on-invoices).
    pub invoice_payments: Vec<Value>,
    pub charges: Vec<Value>,
    pub events: Vec<Value>,
    /// (key, Idempotency-Key) → the first answer.
    pub idempotency: HashMap<(String, String), Saved>,
    /// Requests in the current second: (second, count).
    pub window: (i64, u32),
    pub next_id: u64,
}

impl StripeState {
    pub fn now(&self) -> i64 {
        self.now.unwrap_or_else(|| crate::unix_secs() as i64)
    }

    /// A fresh id with Stripe's prefix for the kind (`cus_`, `in_`, `evt_`…).
    pub fn new_id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}Sbx{:014}", self.next_id)
    }

    /// Records an event about `object` (its current state), as Stripe does after a change.
    pub fn event(&mut self, kind: &str, object: &Value) {
        let id = self.new_id("evt_");
        let created = self.now();
        self.events.push(json!({
            "id": id,
            "object": "event",
            "api_version": "2025-11-17.clover",
            "created": created,
            "data": { "object": object },
            "livemode": false,
            "pending_webhooks": 0,
            "request": { "id": null, "idempotency_key": null },
            "type": kind,
        }));
    }
}

/// A Stripe error answer (https://docs.stripe.com/api/errors).
pub fn error(
    status: u16,
    kind: &str,
    code: Option<&str>,
    message: &str,
    param: Option<&str>,
) -> Response {
    let mut body = json!({ "type": kind, "message": message });
    if let Some(code) = code {
        body["code"] = json!(code);
        body["doc_url"] = json!(format!(
            "https://docs.stripe.com/error-codes/{}",
            code.replace('_', "-")
        ));
    }
    if let Some(param) = param {
        body["param"] = json!(param);
    }
    let mut response = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        Json(json!({ "error": body })),
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert("request-id", HeaderValue::from_static("req_sandbox"));
    if status == 429 || status >= 500 {
        headers.insert("stripe-should-retry", HeaderValue::from_static("true"));
    }
    response
}

/// A fault rule's status on a Stripe path, in Stripe's shape.
pub fn fault_error(status: u16, retry_after_secs: Option<u64>) -> Response {
    let mut response = match status {
        401 => error(
            401,
            "invalid_request_error",
            None,
            "Invalid API Key provided.",
            None,
        ),
        402 => error(
            402,
            "card_error",
            Some("card_declined"),
            "Your card was declined.",
            None,
        ),
        404 => error(
            404,
            "invalid_request_error",
            Some("resource_missing"),
            "No such object.",
            None,
        ),
        429 => error(
            429,
            "invalid_request_error",
            Some("rate_limit"),
            "Request rate limit exceeded. Please retry after a short wait.",
            None,
        ),
        s if s >= 500 => error(s, "api_error", None, "An unknown error occurred.", None),
        s => error(
            s,
            "invalid_request_error",
            None,
            "The request failed.",
            None,
        ),
    };
    if let Some(secs) = retry_after_secs {
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            response.headers_mut().insert("retry-after", v);
        }
    }
    response
}

/// The key of the request, if it is one the account accepts; else Stripe's 401. Counts the
/// request against the per-second limit when one is set (429 past it).
pub fn authorize(shared: &Shared, headers: &HeaderMap) -> Result<String, Response> {
    let header = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let key = if let Some(bearer) = header.strip_prefix("Bearer ") {
        bearer.trim().to_string()
    } else if let Some(basic) = header.strip_prefix("Basic ") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(basic.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_default();
        decoded.split(':').next().unwrap_or("").to_string()
    } else {
        String::new()
    };
    let mut world = shared.lock();
    let stripe = &mut world.stripe;
    if key.is_empty() {
        return Err(error(
            401,
            "invalid_request_error",
            None,
            "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth.",
            None,
        ));
    }
    if !stripe.settings.keys.contains(&key) {
        let tail: String = key
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        return Err(error(
            401,
            "invalid_request_error",
            None,
            &format!(
                "Invalid API Key provided: {}****{tail}",
                &key[..key.len().min(8)]
            ),
            None,
        ));
    }
    if let Some(limit) = stripe.settings.requests_per_second {
        let second = stripe.now();
        if stripe.window.0 != second {
            stripe.window = (second, 0);
        }
        stripe.window.1 += 1;
        if stripe.window.1 > limit {
            return Err(fault_error(429, None));
        }
    }
    Ok(key)
}

/// Form or query pairs, looked up by their bracketed names.
pub struct Params(pub Vec<(String, String)>);

impl Params {
    pub fn get(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// `metadata[k]=v` pairs as an object.
    pub fn metadata(&self) -> Value {
        let mut map = serde_json::Map::new();
        for (k, v) in &self.0 {
            if let Some(inner) = k
                .strip_prefix("metadata[")
                .and_then(|r| r.strip_suffix(']'))
            {
                map.insert(inner.to_string(), json!(v));
            }
        }
        Value::Object(map)
    }

    /// A stable text of the parameters (the idempotency fingerprint).
    pub fn fingerprint(&self, path: &str) -> String {
        let mut pairs = self.0.clone();
        pairs.sort();
        format!("{path}?{pairs:?}")
    }
}

/// Runs a POST with Stripe's idempotency: a saved answer to the same key is replayed (or refused
/// if the parameters differ); a new answer is saved unless it is a validation error (4xx other
/// than 402/429) — those are not saved, as Stripe documents.
pub fn idempotent(
    shared: &Shared,
    key: &str,
    headers: &HeaderMap,
    path: &str,
    params: &Params,
    run: impl FnOnce(&mut StripeState) -> (u16, Value),
) -> Response {
    let idem = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let fingerprint = params.fingerprint(path);
    let mut world = shared.lock();
    let stripe = &mut world.stripe;
    if let Some(idem) = &idem {
        if let Some(saved) = stripe.idempotency.get(&(key.to_string(), idem.clone())) {
            if saved.fingerprint != fingerprint {
                return error(
                    400,
                    "idempotency_error",
                    None,
                    &format!(
                        "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{idem}' if you meant to execute a different request."
                    ),
                    None,
                );
            }
            let mut response = (
                StatusCode::from_u16(saved.status).unwrap_or(StatusCode::OK),
                Json(saved.body.clone()),
            )
                .into_response();
            response
                .headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            return response;
        }
    }
    let (status, body) = run(stripe);
    let validation = (400..500).contains(&status) && status != 402 && status != 429;
    if let (Some(idem), false) = (idem, validation) {
        stripe.idempotency.insert(
            (key.to_string(), idem),
            Saved {
                fingerprint,
                status,
                body: body.clone(),
            },
        );
    }
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        Json(body),
    )
        .into_response()
}

/// An error body for `idempotent`'s closure (status, `{"error":…}`).
pub fn error_body(
    status: u16,
    kind: &str,
    code: Option<&str>,
    message: &str,
    param: Option<&str>,
) -> (u16, Value) {
    let mut body = json!({ "type": kind, "message": message });
    if let Some(code) = code {
        body["code"] = json!(code);
    }
    if let Some(param) = param {
        body["param"] = json!(param);
    }
    (status, json!({ "error": body }))
}

/// A page of `items` (newest first) as Stripe lists it, filtered by `created[…]` and paged by
/// `starting_after` / `ending_before`; `None` with the error when a parameter is wrong.
pub fn list(url: &str, items: Vec<Value>, q: &Params) -> Result<Value, Response> {
    let limit = match q.get("limit") {
        None => 10,
        Some(l) => match l.parse::<usize>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => {
                return Err(error(
                    400,
                    "invalid_request_error",
                    Some("parameter_invalid_integer"),
                    "Invalid integer: limit must be between 1 and 100.",
                    Some("limit"),
                ))
            }
        },
    };
    let bound = |name: &str| {
        q.get(&format!("created[{name}]"))
            .and_then(|v| v.parse::<i64>().ok())
    };
    let exact = q.get("created").and_then(|v| v.parse::<i64>().ok());
    let mut items: Vec<Value> = items
        .into_iter()
        .filter(|i| {
            let c = i["created"].as_i64().unwrap_or(0);
            bound("gte").is_none_or(|b| c >= b)
                && bound("gt").is_none_or(|b| c > b)
                && bound("lte").is_none_or(|b| c <= b)
                && bound("lt").is_none_or(|b| c < b)
                && exact.is_none_or(|b| c == b)
        })
        .collect();
    // Newest first; ties by id, newest made last.
    items.reverse();
    items.sort_by(|a, b| b["created"].as_i64().cmp(&a["created"].as_i64()));
    let position = |id: &str| items.iter().position(|i| i["id"] == id);
    let (start, end) = if let Some(after) = q.get("starting_after") {
        let Some(p) = position(&after) else {
            return Err(error(
                400,
                "invalid_request_error",
                Some("resource_missing"),
                &format!("No such object: '{after}'"),
                Some("starting_after"),
            ));
        };
        (p + 1, (p + 1 + limit).min(items.len()))
    } else if let Some(before) = q.get("ending_before") {
        let Some(p) = position(&before) else {
            return Err(error(
                400,
                "invalid_request_error",
                Some("resource_missing"),
                &format!("No such object: '{before}'"),
                Some("ending_before"),
            ));
        };
        (p.saturating_sub(limit), p)
    } else {
        (0, limit.min(items.len()))
    };
    let has_more = if q.get("ending_before").is_some() {
        start > 0
    } else {
        end < items.len()
    };
    Ok(json!({
        "object": "list",
        "url": url,
        "has_more": has_more,
        "data": items[start..end],
    }))
}

pub fn routes() -> Router<Shared> {
    use billing::*;
    use controls::*;
    Router::new()
        .route("/v1/customers", get(list_customers).post(create_customer))
        .route("/v1/prices", post(create_price))
        .route("/v1/payment_links", post(create_payment_link))
        .route("/v1/invoices", get(list_invoices).post(create_invoice))
        .route("/v1/invoices/{id}", get(get_invoice))
        .route("/v1/invoices/{id}/{action}", post(invoice_action))
        .route("/v1/invoiceitems", post(create_invoice_item))
        .route("/v1/invoice_payments", get(list_invoice_payments))
        .route("/v1/events", get(list_events))
        .route("/_sandbox/stripe", get(snapshot).post(configure))
        .route("/_sandbox/stripe/invoices/{id}/pay", post(pay_invoice))
        .route("/_sandbox/stripe/charges/{id}/refund", post(refund_charge))
        .route(
            "/_sandbox/stripe/payment_links/{id}/complete",
            post(complete_payment_link),
        )
}
