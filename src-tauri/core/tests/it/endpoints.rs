use std::collections::HashMap;

use cremmy_core::endpoints::{default_base_url, override_variable, Endpoints};
use cremmy_protocol::Provider;

fn endpoints(vars: &[(&str, &str)]) -> Endpoints {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Endpoints::from_lookup(|k| map.get(k).cloned())
}

#[test]
fn base_urls_default_to_real_hosts_and_follow_overrides() {
    let cases: &[(&[(&str, &str)], Provider, &str)] = &[
        (&[], Provider::Google, "https://www.googleapis.com/"),
        (&[], Provider::Stripe, "https://api.stripe.com/"),
        (
            &[("CREMMY_GOOGLE_BASE_URL", "http://127.0.0.1:4010")],
            Provider::Google,
            "http://127.0.0.1:4010/",
        ),
        (
            &[("CREMMY_GOOGLE_BASE_URL", "http://127.0.0.1:4010/")],
            Provider::Google,
            "http://127.0.0.1:4010/",
        ),
        (
            &[("CREMMY_GOOGLE_BASE_URL", "  ")],
            Provider::Google,
            "https://www.googleapis.com/",
        ),
        (
            &[("CREMMY_GOOGLE_BASE_URL", "http://127.0.0.1:1/")],
            Provider::Hubspot,
            "https://api.hubapi.com/",
        ),
    ];
    for (vars, provider, expected) in cases {
        assert_eq!(
            endpoints(vars).base_url(*provider),
            *expected,
            "vars {vars:?}, provider {provider:?}"
        );
    }
}

#[test]
fn override_variable_names_follow_the_documented_pattern() {
    assert_eq!(
        override_variable(Provider::Google),
        "CREMMY_GOOGLE_BASE_URL"
    );
    assert_eq!(
        override_variable(Provider::Hubspot),
        "CREMMY_HUBSPOT_BASE_URL"
    );
    assert!(!endpoints(&[]).is_overridden(Provider::Twilio));
    assert!(
        endpoints(&[("CREMMY_TWILIO_BASE_URL", "http://127.0.0.1:9/")])
            .is_overridden(Provider::Twilio)
    );
    assert_eq!(
        default_base_url(Provider::Microsoft),
        "https://graph.microsoft.com/"
    );
}

#[test]
fn only_provider_pages_may_be_opened_from_the_window() {
    let real = Endpoints::from_lookup(|_| None);
    let sandboxed = Endpoints::from_lookup(|k| {
        (k == "CREMMY_GOOGLE_BASE_URL").then(|| "http://127.0.0.1:9/".to_string())
    });
    let cases = [
        (
            &real,
            "https://docs.google.com/spreadsheets/d/abc/edit",
            true,
            "a Google spreadsheet",
        ),
        (
            &real,
            "https://drive.google.com/drive/folders/xyz",
            true,
            "a Drive folder",
        ),
        (
            &real,
            "https://docs.google.com.evil.example/x",
            false,
            "a look-alike host",
        ),
        (&real, "file:///etc/passwd", false, "a local file"),
        (&real, "https://docs.google.com/a b", false, "whitespace"),
        (
            &real,
            "http://127.0.0.1:9/spreadsheets/d/abc",
            false,
            "the sandbox when not configured",
        ),
        (
            &sandboxed,
            "http://127.0.0.1:9/spreadsheets/d/abc",
            true,
            "the configured sandbox",
        ),
    ];
    for (endpoints, url, allowed, why) in cases {
        assert_eq!(endpoints.is_provider_page(url), allowed, "{why}: {url}");
    }
    let long = format!("https://docs.google.com/{}", "a".repeat(3000));
    assert!(!real.is_provider_page(&long), "a length cap");
}

#[test]
fn with_no_override_every_google_endpoint_is_googles_real_host() {
    use cremmy_core::accounts::providers::{OAuthEndpoints, RedirectStrategy};
    use cremmy_core::providers::google::GoogleUrls;
    let real = endpoints(&[]);
    let oauth = OAuthEndpoints::of(Provider::Google, &real).expect("Google signs in with OAuth");
    // developers.google.com/identity/protocols/oauth2/native-app (endpoints, loopback redirect).
    assert_eq!(
        oauth.authorize,
        "https://accounts.google.com/o/oauth2/v2/auth"
    );
    assert_eq!(oauth.token, "https://oauth2.googleapis.com/token");
    assert_eq!(oauth.revoke, "https://oauth2.googleapis.com/revoke");
    assert_eq!(
        oauth.userinfo,
        "https://openidconnect.googleapis.com/v1/userinfo"
    );
    assert_eq!(
        oauth.redirect,
        RedirectStrategy::Loopback,
        "desktop clients take no custom scheme"
    );
    let hubs = GoogleUrls::of(&real);
    let expected = [
        (
            "gmail",
            hubs.gmail.as_str(),
            "https://gmail.googleapis.com/",
        ),
        (
            "sheets",
            hubs.sheets.as_str(),
            "https://sheets.googleapis.com/",
        ),
        (
            "drive",
            hubs.drive.as_str(),
            "https://www.googleapis.com/drive/v3/",
        ),
        ("docs", hubs.docs.as_str(), "https://docs.googleapis.com/"),
        (
            "calendar",
            hubs.calendar.as_str(),
            "https://www.googleapis.com/calendar/v3/",
        ),
        (
            "upload",
            hubs.upload_root.as_str(),
            "https://www.googleapis.com/",
        ),
    ];
    for (hub, got, want) in expected {
        assert_eq!(got, want, "the {hub} hub in production");
    }
    let sandbox = endpoints(&[("CREMMY_GOOGLE_BASE_URL", "http://127.0.0.1:4010")]);
    let oauth = OAuthEndpoints::of(Provider::Google, &sandbox).unwrap();
    assert_eq!(
        oauth.token, "http://127.0.0.1:4010/token",
        "an override moves every endpoint"
    );
    assert_eq!(
        GoogleUrls::of(&sandbox).drive,
        "http://127.0.0.1:4010/drive/v3/"
    );
}

#[test]
fn the_registry_lists_each_provider_once_with_consistent_entries() {
    use cremmy_core::providers::registry::{registration, Auth, REGISTRY};
    for entry in REGISTRY {
        assert_eq!(
            registration(entry.provider).map(|r| r.provider),
            Some(entry.provider),
            "{:?} is found by its key",
            entry.provider
        );
        assert_eq!(
            REGISTRY
                .iter()
                .filter(|r| r.provider == entry.provider)
                .count(),
            1,
            "{:?} is registered once",
            entry.provider
        );
        if matches!(entry.auth, Auth::OAuthPkce { .. }) {
            assert!(
                entry.oauth.is_some(),
                "{:?}: OAuth needs its endpoints",
                entry.provider
            );
        }
        assert!(
            entry.base_url.starts_with("https://") && entry.base_url.ends_with('/'),
            "{:?}: production is HTTPS and the base URL ends in /",
            entry.provider
        );
        for (feature, scopes) in entry.feature_scopes {
            assert!(
                !scopes.is_empty(),
                "{:?}: {feature:?} lists its scopes",
                entry.provider
            );
        }
        assert!(
            !entry.products.is_empty(),
            "{:?} can do something",
            entry.provider
        );
    }
}

#[test]
fn overrides_take_https_anywhere_and_plain_http_only_to_this_machine() {
    let cases = [
        (
            "https://proxy.example.com/google",
            true,
            "HTTPS to any host",
        ),
        ("http://127.0.0.1:4010", true, "the sandbox on loopback"),
        ("http://localhost:4010/", true, "localhost"),
        ("http://[::1]:4010/", true, "IPv6 loopback"),
        ("http://127.9.9.9/", true, "all of 127.0.0.0/8 is loopback"),
        (
            "http://192.168.1.20:4010",
            false,
            "plain HTTP to another machine would leak the tokens",
        ),
        ("http://evil.example", false, "plain HTTP to a public host"),
        (
            "http://localhost.evil.example",
            false,
            "a name that only starts with localhost",
        ),
        ("ftp://127.0.0.1/", false, "another scheme"),
        ("not a url", false, "garbage"),
    ];
    for (url, allowed, why) in cases {
        let e = endpoints(&[("CREMMY_GOOGLE_BASE_URL", url)]);
        assert_eq!(e.is_overridden(Provider::Google), allowed, "{why}: {url}");
        assert_eq!(
            e.refused_overrides().count(),
            usize::from(!allowed),
            "{why}: {url}"
        );
        if !allowed {
            assert_eq!(
                e.base_url(Provider::Google),
                default_base_url(Provider::Google),
                "a refused override leaves the real host: {url}"
            );
            assert!(
                e.refused_overrides()
                    .next()
                    .unwrap()
                    .contains("CREMMY_GOOGLE_BASE_URL"),
                "the refusal names the variable"
            );
        }
    }
}
