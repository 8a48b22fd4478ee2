//! Standard Webhooks signatures (spec 1.0.0, "Signature scheme"; facts in
//! `../shared/notes/providers/webhooks-out.md`): HMAC-SHA256 over `{id}.{timestamp}.{body}` with
//! the secret's bytes, written `v1,<base64>`; a secret is `whsec_` and the base64 of 24–64 random
//! bytes.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

const SECRET_BYTES: usize = 32;

/// A fresh signing secret, `whsec_<base64 of 32 random bytes>`.
pub fn new_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    // Without the OS random source there is no safe secret; this cannot be papered over.
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// The `v1` signature of one delivery; `None` if `secret` is not `whsec_<base64>`.
pub fn sign(secret: &str, webhook_id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_")?)
        .ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(webhook_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    Some(format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The `webhook-signature` header: one `v1` entry per secret, space-separated (the current
/// secret first; the previous one during a rotation).
pub fn signature_header(
    secrets: &[String],
    webhook_id: &str,
    timestamp: i64,
    body: &str,
) -> String {
    secrets
        .iter()
        .filter_map(|s| sign(s, webhook_id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}
