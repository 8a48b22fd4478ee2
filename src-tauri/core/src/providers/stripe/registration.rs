//! Stripe's registry entry. Stripe's API takes a key the user pastes: a restricted key (`rk_…`,
//! recommended: Customers, Invoices, Prices, Payment Links write; Events read) or a secret key
//! (https://docs.stripe.com/keys/restricted-api-keys). Rate: 100 requests a second in live mode,
//! 25 in test mode (https://docs.stripe.com/rate-limits); a 429 is retried by the call policy.

use std::time::Duration;

use cremmy_protocol::accounts::Feature;
use cremmy_protocol::kinds::Integration;
use cremmy_protocol::Provider;

use crate::providers::registry::{Auth, Capability, Product, RateLimit, Registration};

pub const REGISTRATION: Registration = Registration {
    provider: Provider::Stripe,
    auth: Auth::ApiKey,
    base_url: "https://api.stripe.com/",
    oauth: None,
    authorize_params: &[],
    loopback_port: None,
    identity_scopes: &[],
    feature_scopes: &[(Feature::Payments, &["invoices", "payment_links", "events"])],
    rate_limits: &[RateLimit {
        pacer: "stripe",
        what: "requests in test mode",
        units: 25,
        per: Duration::from_secs(1),
        documented_at: "https://docs.stripe.com/rate-limits",
    }],
    products: &[Product {
        capability: Capability::Payments,
        key: Integration::Payments,
        name: "Stripe",
    }],
};
