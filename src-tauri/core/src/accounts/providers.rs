//! Each OAuth provider's endpoints, redirect strategy and scopes per feature. With a base-URL
//! override (the provider sandbox) every endpoint lives on that one origin.

use cremmy_protocol::accounts::Feature;
use cremmy_protocol::Provider;

use crate::endpoints::Endpoints;

pub use crate::providers::registry::RedirectStrategy;
use crate::providers::registry::{registration, Endpoint, Revocation};

pub const DEEP_LINK_REDIRECT: &str = "cremmy://oauth/callback";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthEndpoints {
    pub provider: Provider,
    pub authorize: String,
    pub token: String,
    pub revoke: String,
    /// Who signed in (OpenID userinfo).
    pub userinfo: String,
    pub redirect: RedirectStrategy,
    /// The token endpoint requires the client's secret.
    pub client_secret_required: bool,
    pub revocation: Revocation,
    /// The redirect's parameter naming what the grant reaches (QuickBooks' `realmId`).
    pub company_param: Option<&'static str>,
    /// An https forwarding page may stand in for the loopback redirect.
    pub https_redirect_page: bool,
    /// Who signed in, when userinfo has no email (Graph's `/me`).
    pub profile: Option<String>,
}

impl OAuthEndpoints {
    /// The provider's OAuth endpoints (from the registry); `None` for providers Cremmy does not
    /// sign in to (yet).
    pub fn of(provider: Provider, endpoints: &Endpoints) -> Option<OAuthEndpoints> {
        let entry = registration(provider)?;
        let urls = entry.oauth?;
        let (redirect, client_secret_required) = match entry.auth {
            crate::providers::registry::Auth::OAuthPkce {
                redirect,
                client_secret,
            } => (redirect, client_secret),
            _ => return None,
        };
        let at = |e: Endpoint| {
            if endpoints.is_overridden(provider) {
                format!("{}{}", endpoints.base_url(provider), e.path)
            } else {
                e.real.to_string()
            }
        };
        Some(OAuthEndpoints {
            provider,
            authorize: at(urls.authorize),
            token: at(urls.token),
            revoke: at(urls.revoke),
            userinfo: at(urls.userinfo),
            redirect,
            client_secret_required,
            revocation: urls.revocation,
            company_param: urls.company_param,
            https_redirect_page: urls.https_redirect_page,
            profile: urls.profile.map(at),
        })
    }
}

/// Scopes that identify the account (always asked for).
pub fn identity_scopes(provider: Provider) -> &'static [&'static str] {
    registration(provider).map_or(&[], |r| r.identity_scopes)
}

/// The narrowest scopes a feature needs.
pub fn feature_scopes(provider: Provider, feature: Feature) -> &'static [&'static str] {
    registration(provider).map_or(&[], |r| r.scopes_of(feature))
}

/// Identity scopes plus each feature's, deduplicated, in a stable order.
pub fn scopes_for(provider: Provider, features: &[Feature]) -> Vec<String> {
    let mut out: Vec<String> = identity_scopes(provider)
        .iter()
        .map(|s| s.to_string())
        .collect();
    for f in features {
        for s in feature_scopes(provider, *f) {
            if !out.iter().any(|x| x == s) {
                out.push(s.to_string());
            }
        }
    }
    out
}

/// The features whose scopes are all among `granted`, compared without regard to case (scope
/// names are case-insensitive at Microsoft, whose answers may lower-case them). Google reports
/// `email` as `https://www.googleapis.com/auth/userinfo.email`, which this does not need to know.
pub fn granted_features(provider: Provider, granted: &[String]) -> Vec<Feature> {
    Feature::ALL
        .into_iter()
        .filter(|f| {
            let needed = feature_scopes(provider, *f);
            !needed.is_empty()
                && needed
                    .iter()
                    .all(|s| granted.iter().any(|g| g.eq_ignore_ascii_case(s)))
        })
        .collect()
}
