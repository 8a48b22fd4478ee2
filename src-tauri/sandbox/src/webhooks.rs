//! A webhook receiver, standing in for what a user points Cremmy's outbound webhooks at (Zapier,
//! Make, n8n, their own server). It checks each delivery the way the Standard Webhooks
//! specification tells a consumer to (github.com/standard-webhooks/standard-webhooks,
//! `spec/standard-webhooks.md`, version 1.0.0), written from the spec, never from the app:
//! - three headers: `webhook-id`, `webhook-timestamp` (integer Unix seconds of the attempt),
//!   `webhook-signature` (space-delimited `version,signature` entries);
//! - the signed content is `{id}.{timestamp}.{raw body}`; symmetric signatures are HMAC-SHA256
//!   with the secret's bytes (base64 after the `whsec_` prefix), written `v1,<base64>`;
//! - a delivery is genuine if any `v1` entry matches (other versions are ignored), compared in
//!   constant time, and its timestamp is within five minutes of the receiver's clock;
//! - `webhook-id` is the idempotency key: a redelivery of an id already accepted is answered but
//!   marked a duplicate.
//!
//! The answers a test scripts (500, 429 with `Retry-After`, 410, a slow answer) are the receiver
//! failures the spec's delivery rules cover: 2xx is success, 410 asks the sender to disable the
//! endpoint, 429/5xx are retried honouring `Retry-After`.

use std::collections::{BTreeMap, HashSet, VecDeque};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::state::Shared;

/// The spec's default tolerance for `webhook-timestamp`, either way.
pub const TOLERANCE_SECS: u64 = 5 * 60;

/// A receiver's configuration (`POST /_sandbox/webhooks/{name}`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ReceiverSettings {
    /// The endpoint's signing secret, `whsec_<base64>`, as the sender showed it to the user.
    pub secret: String,
    /// The receiver's clock in Unix seconds, for a sender on an injected clock; `None`: real time.
    #[serde(default)]
    pub now: Option<u64>,
    /// Answers for the next verified deliveries, in order; then 200.
    #[serde(default)]
    pub script: Vec<Scripted>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Scripted {
    pub status: u16,
    #[serde(default)]
    pub retry_after_secs: Option<u64>,
    /// Wait this long before answering (a slow endpoint).
    #[serde(default)]
    pub delay_ms: u64,
}

/// One request the receiver got.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Delivery {
    pub webhook_id: Option<String>,
    pub timestamp: Option<String>,
    pub signature: Option<String>,
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub body: String,
    /// Signature and timestamp checked out.
    pub verified: bool,
    /// Why it was refused, when it was.
    pub rejection: Option<String>,
    /// An id already accepted before.
    pub duplicate: bool,
    /// The status the receiver answered.
    pub answered: u16,
}

#[derive(Debug, Default)]
pub struct Receiver {
    pub settings: ReceiverSettings,
    pub script: VecDeque<Scripted>,
    pub deliveries: Vec<Delivery>,
    pub accepted: HashSet<String>,
}

#[derive(Debug, Default)]
pub struct WebhookState {
    pub receivers: BTreeMap<String, Receiver>,
}

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/hooks/{name}", post(receive))
        .route("/_sandbox/webhooks/{name}", post(configure).get(deliveries))
        .route("/_sandbox/webhooks/{name}/clock", post(set_clock))
}

#[derive(Deserialize)]
struct Clock {
    now: Option<u64>,
}

/// Moves a receiver's clock (what it has received stays).
async fn set_clock(
    State(shared): State<Shared>,
    Path(name): Path<String>,
    Json(clock): Json<Clock>,
) -> Response {
    match shared.lock().webhooks.receivers.get_mut(&name) {
        Some(r) => {
            r.settings.now = clock.now;
            Json(json!({ "ok": true })).into_response()
        }
        None => (StatusCode::NOT_FOUND, "no such receiver").into_response(),
    }
}

/// Sets a receiver up (forgetting what it received).
async fn configure(
    State(shared): State<Shared>,
    Path(name): Path<String>,
    Json(settings): Json<ReceiverSettings>,
) -> Json<Value> {
    let receiver = Receiver {
        script: settings.script.iter().cloned().collect(),
        settings,
        ..Receiver::default()
    };
    shared.lock().webhooks.receivers.insert(name, receiver);
    Json(json!({ "ok": true }))
}

/// What a receiver got: every delivery, and how many distinct ids it accepted.
async fn deliveries(State(shared): State<Shared>, Path(name): Path<String>) -> Response {
    let world = shared.lock();
    match world.webhooks.receivers.get(&name) {
        Some(r) => Json(json!({
            "deliveries": r.deliveries,
            "accepted_ids": r.accepted.len(),
        }))
        .into_response(),
        None => (StatusCode::NOT_FOUND, "no such receiver").into_response(),
    }
}

async fn receive(
    State(shared): State<Shared>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let mut delivery = Delivery {
        webhook_id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        authorization: header("authorization"),
        content_type: header("content-type"),
        body: String::from_utf8_lossy(&body).into_owned(),
        verified: false,
        rejection: None,
        duplicate: false,
        answered: 200,
    };
    let scripted = {
        let mut world = shared.lock();
        let Some(receiver) = world.webhooks.receivers.get_mut(&name) else {
            return (StatusCode::NOT_FOUND, "no such receiver").into_response();
        };
        let now = receiver.settings.now.unwrap_or_else(crate::unix_secs);
        match verify(&receiver.settings.secret, &delivery, &body, now) {
            Err(reason) => {
                delivery.answered = if reason.starts_with("signature") {
                    401
                } else {
                    400
                };
                delivery.rejection = Some(reason.clone());
                let status = delivery.answered;
                receiver.deliveries.push(delivery);
                return answer(status, None, json!({ "error": reason }));
            }
            Ok(()) => delivery.verified = true,
        }
        let scripted = receiver.script.pop_front().unwrap_or(Scripted {
            status: 200,
            ..Scripted::default()
        });
        let id = delivery.webhook_id.clone().unwrap_or_default();
        delivery.duplicate = receiver.accepted.contains(&id);
        delivery.answered = scripted.status;
        if (200..300).contains(&scripted.status) {
            receiver.accepted.insert(id);
        }
        receiver.deliveries.push(delivery);
        scripted
    };
    if scripted.delay_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(scripted.delay_ms)).await;
    }
    answer(
        scripted.status,
        scripted.retry_after_secs,
        json!({ "received": (200..300).contains(&scripted.status) }),
    )
}

fn answer(status: u16, retry_after: Option<u64>, body: Value) -> Response {
    let mut response = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        Json(body),
    )
        .into_response();
    if let Some(secs) = retry_after {
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            response.headers_mut().insert("retry-after", v);
        }
    }
    response
}

/// The spec's consumer checks: headers present, timestamp within tolerance, a matching `v1`.
fn verify(secret: &str, d: &Delivery, body: &[u8], now: u64) -> Result<(), String> {
    let (Some(id), Some(ts), Some(signatures)) = (&d.webhook_id, &d.timestamp, &d.signature) else {
        return Err("missing webhook-id, webhook-timestamp or webhook-signature".into());
    };
    let ts: u64 = ts
        .parse()
        .map_err(|_| format!("webhook-timestamp is not an integer: {ts}"))?;
    if ts + TOLERANCE_SECS < now {
        return Err("timestamp too old".into());
    }
    if ts > now + TOLERANCE_SECS {
        return Err("timestamp too new".into());
    }
    let expected = sign(secret, id, ts, body)
        .ok_or("signature: the receiver's secret is not whsec_<base64>")?;
    let matches = signatures
        .split(' ')
        .filter_map(|entry| entry.split_once(','))
        .filter(|(version, _)| *version == "v1")
        .any(|(_, sig)| constant_time_eq(sig.as_bytes(), expected.as_bytes()));
    if matches {
        Ok(())
    } else {
        Err("signature: no v1 signature matches".into())
    }
}

/// `v1` signature (base64 of HMAC-SHA256 over `id.timestamp.body`); `None` for a malformed secret.
pub fn sign(secret: &str, id: &str, timestamp: u64, body: &[u8]) -> Option<String> {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_")?)
        .ok()?;
    let mut content = format!("{id}.{timestamp}.").into_bytes();
    content.extend_from_slice(body);
    Some(base64::engine::general_purpose::STANDARD.encode(hmac_sha256(&key, &content)))
}

/// HMAC (RFC 2104) over SHA-256, block size 64.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
