//! Where each provider's API lives. Production uses the real hosts; `CREMMY_<PROVIDER>_BASE_URL`
//! (or a setting) points a provider at another origin, such as the provider sandbox.

use cremmy_protocol::Provider;

pub use crate::providers::registry::default_base_url;

/// A provider's environment variable: `CREMMY_<PROVIDER>_<SUFFIX>`.
pub fn provider_variable(provider: Provider, suffix: &str) -> String {
    format!("CREMMY_{}_{suffix}", provider.key().to_ascii_uppercase())
}

/// The environment variable that overrides a provider's base URL.
pub fn override_variable(provider: Provider) -> String {
    provider_variable(provider, "BASE_URL")
}

/// Base URLs for every provider, read once from a variable lookup (the process environment in
/// the app, a map in tests). Values always end in `/`, as the Google hubs require.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    urls: Vec<(Provider, String)>,
    /// Overrides that were not taken, and why (shown by `cremmy doctor`).
    refused: Vec<(Provider, String)>,
}

/// Whether `url` may replace a provider's real host: HTTPS anywhere, plain HTTP only to this
/// machine (the provider sandbox). Client secrets and tokens go to it; over plain HTTP to another
/// host anyone on the network could read them.
pub fn override_allowed(url: &str) -> Result<(), String> {
    let Ok(parsed) = url::Url::parse(url) else {
        return Err(format!("{url} is not a URL"));
    };
    match parsed.scheme() {
        "https" => Ok(()),
        "http" => {
            let loopback = match parsed.host() {
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                None => false,
            };
            if loopback {
                Ok(())
            } else {
                Err(format!(
                    "{url} uses plain HTTP to another machine; use https://, or http:// only to 127.0.0.1 or localhost"
                ))
            }
        }
        other => Err(format!("{url}: the scheme {other}:// is not allowed")),
    }
}

impl Endpoints {
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Endpoints {
        let mut refused = Vec::new();
        let urls = Provider::ALL
            .iter()
            .map(|&p| {
                let url = lookup(&override_variable(p))
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
                    .map(|v| if v.ends_with('/') { v } else { format!("{v}/") })
                    .filter(|v| match override_allowed(v) {
                        Ok(()) => true,
                        Err(why) => {
                            refused.push((p, format!("{}: {why}", override_variable(p))));
                            false
                        }
                    })
                    .unwrap_or_else(|| default_base_url(p).to_string());
                (p, url)
            })
            .collect();
        Endpoints { urls, refused }
    }

    /// The overrides that were refused (the real hosts are used instead), with why.
    pub fn refused_overrides(&self) -> impl Iterator<Item = &str> {
        self.refused.iter().map(|(_, why)| why.as_str())
    }

    pub fn from_process_env() -> Endpoints {
        Endpoints::from_lookup(|k| std::env::var(k).ok())
    }

    pub fn base_url(&self, provider: Provider) -> &str {
        self.urls
            .iter()
            .find(|(p, _)| *p == provider)
            .map(|(_, u)| u.as_str())
            .unwrap_or_else(|| default_base_url(provider))
    }

    /// Whether `url` is a provider page Cremmy may open in the browser for the user: a document or
    /// spreadsheet it made (Google Docs/Drive, or the overriding origin: the sandbox), or a
    /// meeting's video call or calendar page (Today's "Join").
    pub fn is_provider_page(&self, url: &str) -> bool {
        const PAGES: [&str; 2] = ["https://docs.google.com/", "https://drive.google.com/"];
        let under = |prefix: &str| {
            url.len() <= 2048 && url.starts_with(prefix) && !url.contains(char::is_whitespace)
        };
        PAGES.iter().any(|p| under(p))
            || (self.is_overridden(Provider::Google) && under(self.base_url(Provider::Google)))
            || is_meeting_page(url)
    }

    pub fn is_overridden(&self, provider: Provider) -> bool {
        self.base_url(provider) != default_base_url(provider)
    }
}

/// Where a meeting's "Join" may lead: video calls and calendar pages, over https. The link comes
/// from a calendar event (someone else's text), so anything else is not offered.
const MEETING_HOSTS: [&str; 8] = [
    "meet.google.com",
    "calendar.google.com",
    "zoom.us",
    "teams.microsoft.com",
    "teams.live.com",
    "webex.com",
    "outlook.office.com",
    "outlook.live.com",
];

/// Whether `url` is a video call or calendar page (a host above or a subdomain of one).
pub fn is_meeting_page(url: &str) -> bool {
    let Ok(parsed) = url::Url::parse(url) else {
        return false;
    };
    let Some(host) = parsed.host_str() else {
        return false;
    };
    url.len() <= 2048
        && parsed.scheme() == "https"
        && parsed.username().is_empty()
        && parsed.port().is_none()
        && MEETING_HOSTS
            .iter()
            .any(|h| host == *h || host.strip_suffix(h).is_some_and(|rest| rest.ends_with('.')))
}
