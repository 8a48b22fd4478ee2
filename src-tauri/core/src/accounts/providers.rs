//! Each OAuth provider's endpoints, redirect strategy and scopes per feature. With a base-URL
//! override (the provider sandbox) every endpoint lives on that one origin.

use cremmy_protocol::accounts::Feature;
use cremmy_protocol::Provider;

use crate::endpoints::Endpoints;

/// How the provider hands the browser back to Cremmy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectStrategy {
    /// `http://127.0.0.1:<port>/callback` on a one-shot listener (Google and Microsoft desktop
    /// clients accept no custom scheme).
    Loopback,
    /// `cremmy://oauth/callback`, delivered by the OS to the running app.
    DeepLink,
}

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
}

impl OAuthEndpoints {
    /// The provider's OAuth endpoints; `None` for providers Cremmy does not sign in to (yet).
    pub fn of(provider: Provider, endpoints: &Endpoints) -> Option<OAuthEndpoints> {
        match provider {
            Provider::Google => {
                let (authorize, token, revoke, userinfo) =
                    if endpoints.is_overridden(Provider::Google) {
                        let r = endpoints.base_url(Provider::Google);
                        (
                            format!("{r}o/oauth2/v2/auth"),
                            format!("{r}token"),
                            format!("{r}revoke"),
                            format!("{r}v1/userinfo"),
                        )
                    } else {
                        (
                            "https://accounts.google.com/o/oauth2/v2/auth".to_string(),
                            "https://oauth2.googleapis.com/token".to_string(),
                            "https://oauth2.googleapis.com/revoke".to_string(),
                            "https://openidconnect.googleapis.com/v1/userinfo".to_string(),
                        )
                    };
                Some(OAuthEndpoints {
                    provider,
                    authorize,
                    token,
                    revoke,
                    userinfo,
                    redirect: RedirectStrategy::Loopback,
                })
            }
            _ => None,
        }
    }
}

/// Scopes that identify the account (always asked for).
pub fn identity_scopes(provider: Provider) -> &'static [&'static str] {
    match provider {
        Provider::Google => &["openid", "email"],
        _ => &[],
    }
}

/// The narrowest scopes a feature needs.
pub fn feature_scopes(provider: Provider, feature: Feature) -> &'static [&'static str] {
    match (provider, feature) {
        (Provider::Google, Feature::MailIngest) => {
            &["https://www.googleapis.com/auth/gmail.readonly"]
        }
        (Provider::Google, Feature::MailSend) => &["https://www.googleapis.com/auth/gmail.compose"],
        // drive.file: only files Cremmy creates or the user opens with it.
        (Provider::Google, Feature::Drive | Feature::Docs) => {
            &["https://www.googleapis.com/auth/drive.file"]
        }
        // drive.file too: to see that an exported spreadsheet was moved to the trash.
        (Provider::Google, Feature::Sheets) => &[
            "https://www.googleapis.com/auth/spreadsheets",
            "https://www.googleapis.com/auth/drive.file",
        ],
        (Provider::Google, Feature::Calendar) => {
            &["https://www.googleapis.com/auth/calendar.events"]
        }
        _ => &[],
    }
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

/// The features whose scopes are all among `granted`. Google reports `email` as
/// `https://www.googleapis.com/auth/userinfo.email`, which this does not need to know.
pub fn granted_features(provider: Provider, granted: &[String]) -> Vec<Feature> {
    Feature::ALL
        .into_iter()
        .filter(|f| {
            let needed = feature_scopes(provider, *f);
            !needed.is_empty() && needed.iter().all(|s| granted.iter().any(|g| g == s))
        })
        .collect()
}
