//! What the providers' consent screens and token endpoints share (RFC 6749 §4.1, RFC 7636):
//! the authorize request's parameters, the 302 back to the app's redirect URI, and the PKCE
//! S256 check.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// An authorization request's parameters (each provider checks the ones it needs).
#[derive(Debug, Deserialize)]
pub struct AuthorizeParams {
    #[serde(default)]
    pub client_id: String,
    #[serde(default)]
    pub redirect_uri: String,
    #[serde(default)]
    pub response_type: String,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub code_challenge: Option<String>,
    #[serde(default)]
    pub code_challenge_method: Option<String>,
}

/// A 302 to `uri` with `params` added to its query (RFC 6749 §4.1.2).
pub fn found(uri: &str, params: &[(&str, &str)]) -> Response {
    let mut location = uri.to_string();
    for (i, (k, v)) in params.iter().enumerate() {
        location.push(if i == 0 && !uri.contains('?') {
            '?'
        } else {
            '&'
        });
        location.push_str(k);
        location.push('=');
        location.push_str(&crate::urlencode(v));
    }
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

/// Whether `verifier` hashes to `challenge` (S256, RFC 7636 §4.6).
pub fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    let digest = Sha256::digest(verifier.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest) == challenge
}
