//! HubSpot's registry entry. Cremmy connects with a token the user makes in their own account
//! (a legacy private app's `pat-…` token or a service key, with the CRM scopes below): HubSpot's
//! OAuth apps are confidential and need a backend to keep the client secret
//! (developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/overview).
//! Limits (…/developer-tooling/platform/usage-guidelines): a private app on Free/Starter 100
//! requests per 10 s (OAuth apps 110), and search 5 requests a second per account, counted apart.

use std::time::Duration;

use cremmy_protocol::accounts::Feature;
use cremmy_protocol::kinds::Integration;
use cremmy_protocol::Provider;

use crate::providers::registry::{Auth, Capability, Product, RateLimit, Registration};

const LIMITS: &str =
    "https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines";

/// Every call but search.
pub const BURST: RateLimit = RateLimit {
    pacer: "hubspot",
    what: "requests per 10 seconds (private app, Free and Starter)",
    units: 100,
    per: Duration::from_secs(10),
    documented_at: LIMITS,
};

/// Search, counted apart from the rest.
pub const SEARCH: RateLimit = RateLimit {
    pacer: "hubspot-search",
    what: "search requests per second per account",
    units: 5,
    per: Duration::from_secs(1),
    documented_at: LIMITS,
};

/// The scopes the token needs (the private app's "Scopes" tab).
pub const SCOPES: &[&str] = &[
    "crm.objects.companies.read",
    "crm.objects.companies.write",
    "crm.objects.contacts.read",
    "crm.objects.contacts.write",
    "crm.objects.deals.read",
    "crm.objects.deals.write",
    "crm.schemas.deals.read",
];

pub const REGISTRATION: Registration = Registration {
    provider: Provider::Hubspot,
    auth: Auth::PersonalAccessToken,
    base_url: "https://api.hubapi.com/",
    oauth: None,
    authorize_params: &[],
    loopback_port: None,
    identity_scopes: &[],
    feature_scopes: &[(Feature::CrmSync, SCOPES)],
    rate_limits: &[BURST, SEARCH],
    products: &[Product {
        capability: Capability::CrmRecords,
        key: Integration::Crm,
        name: "HubSpot",
    }],
};
