use std::net::SocketAddr;

use base64::Engine;
use cremmy_sandbox::Sandbox;
use serde_json::Value;
use sha2::{Digest, Sha256};

pub const REDIRECT: &str = "http://127.0.0.1:53682/callback";
pub const GMAIL_READ: &str = "https://www.googleapis.com/auth/gmail.readonly";

pub async fn sandbox() -> Sandbox {
    Sandbox::start(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("the sandbox starts on a free loopback port")
}

/// A client that does not follow redirects (the tests look at them). In a workspace build the
/// app's `rustls-no-provider` feature is unified into this reqwest, so install ring first.
pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub fn pkce_pair(verifier: &str) -> (String, String) {
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(verifier.as_bytes()));
    (verifier.to_string(), challenge)
}

/// Query parameters of a redirect's Location.
pub fn location_params(response: &reqwest::Response) -> Vec<(String, String)> {
    let location = response
        .headers()
        .get("location")
        .expect("a redirect")
        .to_str()
        .unwrap()
        .to_string();
    let query = location.split_once('?').map(|(_, q)| q).unwrap_or("");
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), cremmy_sandbox::urldecode(v)))
        .collect()
}

pub fn param(params: &[(String, String)], key: &str) -> Option<String> {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
}

/// Consent screen → code, as the browser would follow it.
pub async fn authorize(
    sb: &Sandbox,
    challenge: &str,
    scope: &str,
    state: &str,
) -> reqwest::Response {
    let client_id = sb.shared.lock().google.settings.client_id.clone();
    http()
        .get(format!("{}o/oauth2/v2/auth", sb.base_url()))
        .query(&[
            ("client_id", client_id.as_str()),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", scope),
            ("state", state),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
            ("access_type", "offline"),
        ])
        .send()
        .await
        .unwrap()
}

pub async fn exchange(sb: &Sandbox, code: &str, verifier: &str) -> (u16, Value) {
    let s = sb.shared.lock().google.settings.clone();
    let r = http()
        .post(format!("{}token", sb.base_url()))
        .basic_auth(&s.client_id, Some(&s.client_secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// A full consent + exchange; returns the token response.
pub async fn connect(sb: &Sandbox, scope: &str) -> Value {
    let (verifier, challenge) = pkce_pair("a-verifier-that-is-long-enough-for-rfc7636-0123456789");
    let r = authorize(sb, &challenge, scope, "st").await;
    let code = param(&location_params(&r), "code").expect("consent gives a code");
    let (status, body) = exchange(sb, &code, &verifier).await;
    assert_eq!(status, 200, "{body}");
    body
}

pub async fn control(sb: &Sandbox, path: &str, body: Value) -> Value {
    http()
        .post(format!("{}_sandbox/{path}", sb.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

pub async fn get_json(sb: &Sandbox, path: &str) -> Value {
    http()
        .get(format!("{}_sandbox/{path}", sb.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

pub fn hub(
    sb: &Sandbox,
    token: &str,
) -> google_gmail1::Gmail<hyper_util::client::legacy::connect::HttpConnector> {
    let client = connector();
    let mut hub = google_gmail1::Gmail::new(client, token.to_string());
    hub.base_url(sb.base_url());
    hub.root_url(sb.base_url());
    hub
}

pub fn json_of(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_default().to_string()
}

/// A plain-HTTP connector for the hubs (the sandbox is http://127.0.0.1).
pub fn connector(
) -> google_drive3::common::Client<hyper_util::client::legacy::connect::HttpConnector> {
    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build(hyper_util::client::legacy::connect::HttpConnector::new())
}

pub fn drive_hub(
    sb: &Sandbox,
    token: &str,
) -> google_drive3::DriveHub<hyper_util::client::legacy::connect::HttpConnector> {
    let mut hub = google_drive3::DriveHub::new(connector(), token.to_string());
    hub.base_url(format!("{}drive/v3/", sb.base_url()));
    hub.root_url(sb.base_url());
    hub
}
