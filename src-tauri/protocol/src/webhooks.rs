//! Outbound webhooks: the endpoints the user points Cremmy at and the push log.

use serde::{Deserialize, Serialize};

use crate::crm::Id;
use crate::kinds::EventKind;

/// Where events are pushed (Settings → Webhooks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEndpoint {
    pub id: Id,
    pub url: String,
    pub events: Vec<EventKind>,
    pub active: bool,
    /// An Authorization header is sent (its value stays in the keychain).
    pub has_auth_header: bool,
    /// Failed attempts since the last success.
    pub consecutive_failures: i64,
    /// Why Cremmy switched it off (410 Gone, too many failures), if it did.
    pub disabled_reason: Option<String>,
    /// Until when the previous secret still signs, after a rotation (Unix ms).
    pub previous_secret_until: Option<i64>,
    pub created_at: i64,
}

/// The form. `auth_header`: `None` keeps what is stored, `Some("")` removes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEndpointInput {
    pub url: String,
    pub events: Vec<EventKind>,
    pub active: bool,
    #[serde(default)]
    pub auth_header: Option<String>,
}

/// A new endpoint or a rotation: the signing secret is shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookSecret {
    pub endpoint: WebhookEndpoint,
    /// `whsec_<base64>`: what the receiver verifies signatures with.
    pub secret: String,
}

/// One attempt in an endpoint's push log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookAttempt {
    pub id: Id,
    pub endpoint_id: Id,
    /// The `webhook-id` header (the same for every attempt of one event).
    pub webhook_id: String,
    pub event: EventKind,
    /// The JSON body exactly as sent.
    pub payload: String,
    /// The HTTP status, if the endpoint answered.
    pub status: Option<u16>,
    /// The first bytes of the answer.
    pub response_excerpt: String,
    pub duration_ms: i64,
    pub error: Option<String>,
    pub attempted_at: i64,
}
