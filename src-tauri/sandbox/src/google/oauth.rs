//! Google's OAuth 2.0 endpoints for installed apps: authorize (auto-consent or deny), token
//! (authorization code with PKCE S256, refresh), revoke. Codes are single-use and expire.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use base64::Engine;
use serde::Deserialize;
use serde_json::json;

use super::errors::oauth_error;
use crate::oauth_wire::pkce_matches;
use crate::state::{Shared, TokenGrant};

const CODE_LIFETIME_SECS: u64 = 600;

#[derive(Debug, Deserialize)]
pub struct AuthorizeParams {
    client_id: String,
    redirect_uri: String,
    #[serde(default)]
    response_type: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    code_challenge: Option<String>,
    #[serde(default)]
    code_challenge_method: Option<String>,
    /// Which sandbox account consents (default: the first).
    #[serde(default)]
    login_hint: Option<String>,
}

/// A 302 Found, as Google's consent screen answers (axum's `Redirect::to` would be a 303).
fn found(location: String) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

fn with_params(uri: &str, params: &[(&str, &str)]) -> String {
    let mut out = uri.to_string();
    for (i, (k, v)) in params.iter().enumerate() {
        out.push(if i == 0 && !uri.contains('?') {
            '?'
        } else {
            '&'
        });
        out.push_str(k);
        out.push('=');
        out.push_str(&crate::urlencode(v));
    }
    out
}

/// GET /o/oauth2/v2/auth: the consent screen, answered at once as configured.
pub async fn authorize(State(shared): State<Shared>, Query(p): Query<AuthorizeParams>) -> Response {
    let mut world = shared.lock();
    let g = &mut world.google;
    if p.client_id != g.settings.client_id {
        return (
            StatusCode::BAD_REQUEST,
            "Error 401: invalid_client. The OAuth client was not found.",
        )
            .into_response();
    }
    let loopback = ["http://127.0.0.1:", "http://localhost", "http://[::1]"]
        .iter()
        .any(|prefix| p.redirect_uri.starts_with(prefix));
    let custom_scheme =
        g.settings.custom_scheme_redirects && p.redirect_uri.starts_with("cremmy://");
    if !loopback && !custom_scheme {
        return (
            StatusCode::BAD_REQUEST,
            "Error 400: redirect_uri_mismatch. Desktop clients must use a loopback redirect.",
        )
            .into_response();
    }
    let state = p.state.clone().unwrap_or_default();
    if p.response_type != "code" {
        return found(with_params(
            &p.redirect_uri,
            &[("error", "unsupported_response_type"), ("state", &state)],
        ));
    }
    if !g.settings.consent {
        return found(with_params(
            &p.redirect_uri,
            &[("error", "access_denied"), ("state", &state)],
        ));
    }
    if p.code_challenge.as_deref().is_none_or(str::is_empty)
        || p.code_challenge_method.as_deref() != Some("S256")
    {
        return found(with_params(
            &p.redirect_uri,
            &[
                ("error", "invalid_request"),
                ("error_description", "PKCE S256 is required"),
                ("state", &state),
            ],
        ));
    }
    let account = p
        .login_hint
        .clone()
        .filter(|a| g.mailboxes.contains_key(a))
        .unwrap_or_else(|| g.settings.account.clone());
    let code = g.new_secret("4/0Sbx");
    let now = crate::unix_secs();
    g.codes.insert(
        code.clone(),
        crate::state::PendingCode {
            client_id: p.client_id,
            redirect_uri: p.redirect_uri.clone(),
            challenge: p.code_challenge.unwrap_or_default(),
            scopes: p.scope.split_whitespace().map(str::to_string).collect(),
            account,
            expires_at: now + CODE_LIFETIME_SECS,
        },
    );
    found(with_params(
        &p.redirect_uri,
        &[("state", &state), ("code", &code), ("scope", &p.scope)],
    ))
}

/// Client credentials from HTTP Basic auth or the form body (Google accepts both).
fn client_credentials(headers: &HeaderMap, form: &HashMap<String, String>) -> (String, String) {
    if let Some(basic) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    {
        if let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(basic.trim()) {
            let text = String::from_utf8_lossy(&decoded).to_string();
            if let Some((id, secret)) = text.split_once(':') {
                return (crate::urldecode(id), crate::urldecode(secret));
            }
        }
    }
    (
        form.get("client_id").cloned().unwrap_or_default(),
        form.get("client_secret").cloned().unwrap_or_default(),
    )
}

/// POST /token: `authorization_code` (with PKCE) and `refresh_token` grants.
pub async fn token(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (client_id, client_secret) = client_credentials(&headers, &form);
    let mut world = shared.lock();
    let g = &mut world.google;
    // https://developers.google.com/identity/protocols/oauth2/native-app ("Exchange authorization
    // code for refresh and access tokens", "Refreshing an access token"): the token request
    // carries `client_secret`. Without it the request is missing a required parameter:
    // RFC 6749 §5.2 `invalid_request`, which Google words "client_secret is missing.".
    if !client_id.is_empty() && client_secret.is_empty() {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "client_secret is missing.",
        );
    }
    if client_id != g.settings.client_id || client_secret != g.settings.client_secret {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "The OAuth client was not found.",
        );
    }
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    match field("grant_type") {
        "authorization_code" => {
            // Single use: the code is gone whatever happens next.
            let Some(pending) = g.codes.remove(field("code")) else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Malformed auth code.",
                );
            };
            if pending.expires_at < crate::unix_secs() {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Auth code expired.",
                );
            }
            if pending.client_id != client_id || pending.redirect_uri != field("redirect_uri") {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "redirect_uri_mismatch",
                    "Bad Request",
                );
            }
            if !pkce_matches(field("code_verifier"), &pending.challenge) {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Invalid code verifier.",
                );
            }
            let grant = TokenGrant {
                client_id,
                account: pending.account,
                scopes: pending.scopes,
            };
            let refresh = g.new_secret("1//0sbx");
            g.refresh_tokens.insert(refresh.clone(), grant.clone());
            let (access, ttl) = g.issue_access_token(&grant);
            Json(json!({
                "access_token": access,
                "expires_in": ttl,
                "refresh_token": refresh,
                "scope": grant.scopes.join(" "),
                "token_type": "Bearer",
            }))
            .into_response()
        }
        "refresh_token" => {
            let Some(grant) = g.refresh_tokens.get(field("refresh_token")).cloned() else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Token has been expired or revoked.",
                );
            };
            if grant.client_id != client_id {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "unauthorized_client",
                    "Unauthorized",
                );
            }
            let (access, ttl) = g.issue_access_token(&grant);
            // Google does not send a new refresh token on refresh.
            Json(json!({ "access_token": access, "expires_in": ttl, "scope": grant.scopes.join(" "), "token_type": "Bearer" })).into_response()
        }
        other => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!("Invalid grant_type: {other}"),
        ),
    }
}

/// POST /revoke?token=…: revokes a refresh token (and its access tokens) or one access token.
pub async fn revoke(
    State(shared): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    body: String,
) -> Response {
    let from_body = body
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "token")
        .map(|(_, v)| crate::urldecode(v));
    let token = q.get("token").cloned().or(from_body).unwrap_or_default();
    let mut world = shared.lock();
    if world.google.revoke(&token) {
        StatusCode::OK.into_response()
    } else {
        oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_token",
            "Token expired or revoked",
        )
    }
}

/// GET /v1/userinfo (openidconnect.googleapis.com): who the token belongs to. Needs `openid`,
/// `email` or `userinfo.email`.
pub async fn userinfo(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    let world = shared.lock();
    let scopes = [
        "openid",
        "email",
        "https://www.googleapis.com/auth/userinfo.email",
    ];
    match super::auth::bearer(&world, &headers, &scopes) {
        Ok(account) => {
            let sub: u64 = account.bytes().fold(1_000_000_007u64, |h, b| {
                h.wrapping_mul(31).wrapping_add(u64::from(b))
            });
            Json(json!({ "sub": format!("1{:019}", sub % 10u64.pow(19)), "email": account, "email_verified": true })).into_response()
        }
        Err(r) => r,
    }
}
