//! Pipedrive's registry entry. Cremmy connects with the user's personal API token (Settings →
//! Personal preferences → API): Pipedrive's OAuth apps are confidential (the token call sends
//! the client secret in Basic auth), so a desktop app without a backend cannot keep one.
//! Limits (pipedrive.readme.io/docs/core-api-concepts-rate-limiting): per token, a rolling
//! 2-second window; an API token on the Essential plan gets 20 requests (more on larger plans),
//! so Cremmy paces to 20 and any plan is safe.

use std::time::Duration;

use cremmy_protocol::accounts::Feature;
use cremmy_protocol::kinds::Integration;
use cremmy_protocol::Provider;

use crate::providers::registry::{Auth, Capability, Product, RateLimit, Registration};

pub const BURST: RateLimit = RateLimit {
    pacer: "pipedrive",
    what: "requests per 2 seconds per API token (Essential plan)",
    units: 20,
    per: Duration::from_secs(2),
    documented_at: "https://pipedrive.readme.io/docs/core-api-concepts-rate-limiting",
};

/// What the token reaches: a personal API token carries its user's full rights; these are the
/// OAuth scopes the same calls would need.
pub const SCOPES: &[&str] = &["contacts:full", "deals:full", "users:read"];

pub const REGISTRATION: Registration = Registration {
    provider: Provider::Pipedrive,
    auth: Auth::PersonalAccessToken,
    base_url: "https://api.pipedrive.com/",
    oauth: None,
    authorize_params: &[],
    loopback_port: None,
    identity_scopes: &[],
    feature_scopes: &[(Feature::CrmSync, SCOPES)],
    rate_limits: &[BURST],
    products: &[Product {
        capability: Capability::CrmRecords,
        key: Integration::Crm,
        name: "Pipedrive",
    }],
};
