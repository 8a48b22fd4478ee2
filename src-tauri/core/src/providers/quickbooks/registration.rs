//! QuickBooks Online's registry entry. Sign-in: OAuth 2.0 authorization code for a confidential
//! client, the user's own Intuit app (its id and secret; developer.intuit.com/app/developer/qbo/
//! docs/develop/authentication-and-authorization/oauth-2.0). The redirect names the company
//! (`realmId`), kept with the account. Intuit matches redirect URIs exactly and takes
//! `http://localhost` for development keys only; production keys need an https page that
//! forwards to the loopback address (README, "Connecting QuickBooks Online"). Limits per company:
//! 500 requests a minute and 10 a second (…/learn/limits-and-throttles).

use std::time::Duration;

use cremmy_protocol::accounts::Feature;
use cremmy_protocol::kinds::Integration;
use cremmy_protocol::Provider;

use crate::providers::registry::{
    Auth, Capability, Endpoint, OAuthUrls, Product, RateLimit, RedirectStrategy, Registration,
    Revocation,
};

/// The port of the loopback redirect URI (`http://localhost:48621/callback`).
pub const LOOPBACK_PORT: u16 = 48621;

const LIMITS: &str =
    "https://developer.intuit.com/app/developer/qbo/docs/learn/limits-and-throttles";

pub const REGISTRATION: Registration = Registration {
    provider: Provider::QuickBooks,
    auth: Auth::OAuthPkce {
        redirect: RedirectStrategy::Loopback,
        client_secret: true,
    },
    base_url: "https://quickbooks.api.intuit.com/",
    oauth: Some(OAuthUrls {
        authorize: Endpoint {
            real: "https://appcenter.intuit.com/connect/oauth2",
            path: "connect/oauth2",
        },
        token: Endpoint {
            real: "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
            path: "oauth2/v1/tokens/bearer",
        },
        revoke: Endpoint {
            real: "https://developer.api.intuit.com/v2/oauth2/tokens/revoke",
            path: "v2/oauth2/tokens/revoke",
        },
        userinfo: Endpoint {
            real: "https://accounts.platform.intuit.com/v1/openid_connect/userinfo",
            path: "v1/openid_connect/userinfo",
        },
        revocation: Revocation::JsonWithBasicClient,
        company_param: Some("realmId"),
        https_redirect_page: true,
        profile: None,
    }),
    authorize_params: &[],
    loopback_port: Some(LOOPBACK_PORT),
    identity_scopes: &["openid", "email"],
    feature_scopes: &[(Feature::Payments, &["com.intuit.quickbooks.accounting"])],
    rate_limits: &[
        RateLimit {
            pacer: "quickbooks",
            what: "requests per minute per company",
            units: 500,
            per: Duration::from_secs(60),
            documented_at: LIMITS,
        },
        RateLimit {
            pacer: "quickbooks",
            what: "requests per second per company and app",
            units: 10,
            per: Duration::from_secs(1),
            documented_at: LIMITS,
        },
    ],
    products: &[Product {
        capability: Capability::Payments,
        key: Integration::Payments,
        name: "QuickBooks Online",
    }],
};
