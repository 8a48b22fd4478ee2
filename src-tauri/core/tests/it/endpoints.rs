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
