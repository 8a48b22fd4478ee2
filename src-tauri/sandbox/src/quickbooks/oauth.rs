//! Intuit's OAuth 2.0 endpoints for a QuickBooks Online app
//! (developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0):
//! consent at `appcenter.intuit.com/connect/oauth2` (answered at once as configured; the
//! redirect carries `realmId`), the token endpoint (client id and secret in a Basic header;
//! `authorization_code`, `refresh_token` which answers with the refresh token to keep), OpenID
//! userinfo and revocation (JSON `{"token"}`).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use base64::Engine;
use serde_json::{json, Value};

use super::{QbCode, QbToken, QuickBooksState};
use crate::oauth_wire::{found, AuthorizeParams};
use crate::state::Shared;

const CODE_LIFETIME_MS: i64 = 5 * 60_000;
/// Refresh tokens last 100 days (…/authentication-and-authorization/faq).
const REFRESH_LIFETIME_SECS: i64 = 100 * 86_400;

fn oauth_error(error: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": error }))).into_response()
}

/// GET /connect/oauth2 (appcenter.intuit.com).
pub async fn authorize(State(shared): State<Shared>, Query(p): Query<AuthorizeParams>) -> Response {
    let mut world = shared.lock();
    let q = &mut world.quickbooks;
    // An unknown client or an unregistered redirect stays on Intuit's error page.
    if p.client_id != q.settings.client_id || !q.settings.redirect_uris.contains(&p.redirect_uri) {
        return (
            StatusCode::BAD_REQUEST,
            "The redirect_uri query parameter value is invalid. Make sure it is listed in the Redirect URIs section on your app's keys tab and matches it exactly.",
        )
            .into_response();
    }
    let state = p.state.clone().unwrap_or_default();
    if p.response_type != "code" {
        return found(
            &p.redirect_uri,
            &[("error", "unsupported_response_type"), ("state", &state)],
        );
    }
    let scopes: Vec<String> = p.scope.split_whitespace().map(str::to_string).collect();
    if !scopes
        .iter()
        .any(|s| s.starts_with("com.intuit.quickbooks."))
    {
        return found(
            &p.redirect_uri,
            &[("error", "invalid_scope"), ("state", &state)],
        );
    }
    if !q.settings.consent {
        return found(
            &p.redirect_uri,
            &[("error", "access_denied"), ("state", &state)],
        );
    }
    let code = q.new_secret("AB11");
    let realm = q.settings.realm_id.clone();
    let expires_at = q.now_ms() + CODE_LIFETIME_MS;
    q.codes.insert(
        code.clone(),
        QbCode {
            redirect_uri: p.redirect_uri.clone(),
            scopes,
            realm_id: realm.clone(),
            expires_at,
        },
    );
    found(
        &p.redirect_uri,
        &[("code", &code), ("state", &state), ("realmId", &realm)],
    )
}

/// The client named by a Basic header, if it is the app's.
fn client_ok(q: &QuickBooksState, headers: &HeaderMap) -> bool {
    let Some(encoded) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
        return false;
    };
    let text = String::from_utf8_lossy(&decoded);
    // RFC 6749 §2.3.1: id and secret are form-encoded before the Basic header joins them.
    let Some((id, secret)) = text.split_once(':') else {
        return false;
    };
    crate::urldecode(id) == q.settings.client_id
        && crate::urldecode(secret) == q.settings.client_secret
}

fn issue(q: &mut QuickBooksState, scopes: Vec<String>, realm: String) -> Response {
    let access = q.new_secret("eyJlbmMiOiJBMTI4Q0JDLUhTMjU2In0.");
    let expires_at = q.now_ms() + q.settings.access_token_ttl_secs * 1000;
    q.access_tokens.insert(
        access.clone(),
        QbToken {
            scopes: scopes.clone(),
            realm_id: realm.clone(),
            expires_at,
        },
    );
    let refresh = q.new_secret("AB11");
    q.refresh_tokens
        .insert(refresh.clone(), (scopes.clone(), realm));
    let mut body = json!({
        "token_type": "bearer",
        "access_token": access,
        "expires_in": q.settings.access_token_ttl_secs,
        "refresh_token": refresh,
        "x_refresh_token_expires_in": REFRESH_LIFETIME_SECS,
    });
    if scopes.iter().any(|s| s == "openid") {
        body["id_token"] = json!("eyJhbGciOiJub25lIn0.e30.");
    }
    Json(body).into_response()
}

/// POST /oauth2/v1/tokens/bearer (oauth.platform.intuit.com).
pub async fn token(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut world = shared.lock();
    let q = &mut world.quickbooks;
    if !client_ok(q, &headers) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "invalid_client" })),
        )
            .into_response();
    }
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    match field("grant_type") {
        "authorization_code" => {
            let Some(pending) = q.codes.remove(field("code")) else {
                return oauth_error("invalid_grant");
            };
            if pending.expires_at < q.now_ms() || pending.redirect_uri != field("redirect_uri") {
                return oauth_error("invalid_grant");
            }
            issue(q, pending.scopes, pending.realm_id)
        }
        "refresh_token" => match q.refresh_tokens.remove(field("refresh_token")) {
            Some((scopes, realm)) => issue(q, scopes, realm),
            None => oauth_error("invalid_grant"),
        },
        _ => oauth_error("unsupported_grant_type"),
    }
}

/// GET /v1/openid_connect/userinfo (accounts.platform.intuit.com).
pub async fn userinfo(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    let world = shared.lock();
    let q = &world.quickbooks;
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    match q.access_tokens.get(token) {
        Some(t) if t.expires_at > q.now_ms() && t.scopes.iter().any(|s| s == "openid") => {
            let mut claims = json!({ "sub": "5a1b2c3d-0000-4000-8000-0000000000aa" });
            if t.scopes.iter().any(|s| s == "email") {
                claims["email"] = json!(q.settings.email);
                claims["emailVerified"] = json!(true);
            }
            Json(claims).into_response()
        }
        _ => (StatusCode::UNAUTHORIZED, "").into_response(),
    }
}

/// POST /v2/oauth2/tokens/revoke (developer.api.intuit.com): `{"token"}` (a refresh or access
/// token) with the client's Basic header; revoking ends the grant.
pub async fn revoke(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let mut world = shared.lock();
    let q = &mut world.quickbooks;
    if !client_ok(q, &headers) {
        return (StatusCode::UNAUTHORIZED, "").into_response();
    }
    let token = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v["token"].as_str().map(str::to_string))
        .unwrap_or_default();
    if q.refresh_tokens.remove(&token).is_some() || q.access_tokens.remove(&token).is_some() {
        q.access_tokens.clear();
        return StatusCode::OK.into_response();
    }
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "error": "invalid_request" })),
    )
        .into_response()
}
