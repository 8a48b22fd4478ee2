//! Xero's registry entry. Sign-in: OAuth 2.0 with PKCE for a "desktop or mobile" app, which has no
//! client secret (developer.xero.com/documentation/guides/oauth2/pkce-flow); Xero matches
//! redirect URIs exactly, port included, so the user's app registers
//! `http://localhost:48620/callback` (README). Scopes: the granular accounting scopes that apps
//! made since 2 March 2026 must use instead of `accounting.transactions`
//! (developer.xero.com/documentation/guides/oauth2/scopes). Limits per organisation: 60 calls a
//! minute and 5,000 a day, 5 at once (developer.xero.com/documentation/guides/oauth2/limits).

use std::time::Duration;

use cremmy_protocol::accounts::Feature;
use cremmy_protocol::kinds::Integration;
use cremmy_protocol::Provider;

use crate::providers::registry::{
    Auth, Capability, Endpoint, OAuthUrls, Product, RateLimit, RedirectStrategy, Registration,
    Revocation,
};

/// The port of the redirect URI the user registers for their Xero app.
pub const LOOPBACK_PORT: u16 = 48620;

const LIMITS: &str = "https://developer.xero.com/documentation/guides/oauth2/limits";

pub const REGISTRATION: Registration = Registration {
    provider: Provider::Xero,
    auth: Auth::OAuthPkce {
        redirect: RedirectStrategy::Loopback,
        client_secret: false,
    },
    base_url: "https://api.xero.com/",
    oauth: Some(OAuthUrls {
        authorize: Endpoint {
            real: "https://login.xero.com/identity/connect/authorize",
            path: "identity/connect/authorize",
        },
        token: Endpoint {
            real: "https://identity.xero.com/connect/token",
            path: "connect/token",
        },
        revoke: Endpoint {
            real: "https://identity.xero.com/connect/revocation",
            path: "connect/revocation",
        },
        userinfo: Endpoint {
            real: "https://identity.xero.com/connect/userinfo",
            path: "connect/userinfo",
        },
        revocation: Revocation::Form,
        company_param: None,
        https_redirect_page: false,
        profile: None,
    }),
    authorize_params: &[],
    loopback_port: Some(LOOPBACK_PORT),
    // `offline_access` is how Xero grants a refresh token.
    identity_scopes: &["openid", "profile", "email", "offline_access"],
    feature_scopes: &[(
        Feature::Payments,
        &[
            "accounting.contacts",
            "accounting.invoices",
            "accounting.payments",
        ],
    )],
    rate_limits: &[
        RateLimit {
            pacer: "xero",
            what: "calls per minute per organisation",
            units: 60,
            per: Duration::from_secs(60),
            documented_at: LIMITS,
        },
        RateLimit {
            pacer: "xero",
            what: "calls per day per organisation",
            units: 5_000,
            per: Duration::from_secs(86_400),
            documented_at: LIMITS,
        },
    ],
    products: &[Product {
        capability: Capability::Payments,
        key: Integration::Payments,
        name: "Xero",
    }],
};
