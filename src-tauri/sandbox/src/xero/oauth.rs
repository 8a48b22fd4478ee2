//! Xero's identity endpoints for a PKCE ("desktop or mobile") app
//! (developer.xero.com/documentation/guides/oauth2/pkce-flow): consent (answered at once as
//! configured), the token endpoint (`authorization_code` with `code_verifier` and `client_id` in
//! the body, no secret; `refresh_token`, which spends the refresh token and returns a new one),
//! OpenID userinfo, revocation, and `/connections` (the organisations this grant reaches).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use serde_json::json;

use super::{problem, XeroCode, XeroState, XeroToken};
use crate::oauth_wire::{found, pkce_matches, AuthorizeParams};
use crate::state::Shared;

const CODE_LIFETIME_MS: i64 = 5 * 60_000;

fn oauth_error(status: StatusCode, error: &str) -> Response {
    (status, Json(json!({ "error": error }))).into_response()
}

/// GET /identity/connect/authorize (login.xero.com).
pub async fn authorize(State(shared): State<Shared>, Query(p): Query<AuthorizeParams>) -> Response {
    let mut world = shared.lock();
    let x = &mut world.xero;
    // An unknown client or an unregistered redirect stays on Xero's error page: the browser is
    // never sent to a URI the app did not register.
    if p.client_id != x.settings.client_id {
        return (
            StatusCode::BAD_REQUEST,
            "Error: unauthorized_client. Invalid client_id.",
        )
            .into_response();
    }
    if !x.settings.redirect_uris.contains(&p.redirect_uri) {
        return (
            StatusCode::BAD_REQUEST,
            "Error: unauthorized_client. Invalid redirect_uri.",
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
    if !x.settings.consent {
        return found(
            &p.redirect_uri,
            &[("error", "access_denied"), ("state", &state)],
        );
    }
    // A client without a secret must prove the code with PKCE.
    if p.code_challenge.as_deref().is_none_or(str::is_empty)
        || p.code_challenge_method.as_deref() != Some("S256")
    {
        return found(
            &p.redirect_uri,
            &[("error", "invalid_request"), ("state", &state)],
        );
    }
    let code = x.new_secret("xcode");
    let expires_at = x.now_ms() + CODE_LIFETIME_MS;
    x.codes.insert(
        code.clone(),
        XeroCode {
            redirect_uri: p.redirect_uri.clone(),
            challenge: p.code_challenge.unwrap_or_default(),
            scopes: p.scope.split_whitespace().map(str::to_string).collect(),
            expires_at,
        },
    );
    found(
        &p.redirect_uri,
        &[("code", &code), ("scope", &p.scope), ("state", &state)],
    )
}

fn issue(x: &mut XeroState, scopes: Vec<String>) -> Response {
    let access = x.new_secret("xat");
    let expires_at = x.now_ms() + x.settings.access_token_ttl_secs * 1000;
    x.access_tokens.insert(
        access.clone(),
        XeroToken {
            scopes: scopes.clone(),
            expires_at,
        },
    );
    let mut body = json!({
        "access_token": access,
        "expires_in": x.settings.access_token_ttl_secs,
        "token_type": "Bearer",
        "scope": scopes.join(" "),
    });
    if scopes.iter().any(|s| s == "offline_access") {
        let refresh = x.new_secret("xrt");
        x.refresh_tokens.insert(refresh.clone(), scopes.clone());
        body["refresh_token"] = json!(refresh);
    }
    if scopes.iter().any(|s| s == "openid") {
        body["id_token"] = json!("eyJhbGciOiJub25lIn0.e30.");
    }
    Json(body).into_response()
}

/// POST /connect/token (identity.xero.com).
pub async fn token(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut world = shared.lock();
    let x = &mut world.xero;
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    // A PKCE app names itself in the body; a Basic header is a web app's secret.
    let client_id = field("client_id").to_string();
    let basic = headers
        .get(header::AUTHORIZATION)
        .is_some_and(|v| v.as_bytes().starts_with(b"Basic "));
    if client_id != x.settings.client_id || basic {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_client");
    }
    match field("grant_type") {
        "authorization_code" => {
            let Some(pending) = x.codes.remove(field("code")) else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
            };
            if pending.expires_at < x.now_ms()
                || pending.redirect_uri != field("redirect_uri")
                || !pkce_matches(field("code_verifier"), &pending.challenge)
            {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
            }
            issue(x, pending.scopes)
        }
        "refresh_token" => match x.refresh_tokens.remove(field("refresh_token")) {
            Some(scopes) => issue(x, scopes),
            None => oauth_error(StatusCode::BAD_REQUEST, "invalid_grant"),
        },
        _ => oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type"),
    }
}

fn bearer_scopes(x: &XeroState, headers: &HeaderMap) -> Option<Vec<String>> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))?;
    let t = x.access_tokens.get(token)?;
    (t.expires_at > x.now_ms()).then(|| t.scopes.clone())
}

/// GET /connect/userinfo: OpenID claims (`email` with the `email` scope).
pub async fn userinfo(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    let world = shared.lock();
    let x = &world.xero;
    match bearer_scopes(x, &headers) {
        Some(scopes) if scopes.iter().any(|s| s == "openid") => {
            let mut claims = json!({ "sub": "7f3c2d1e0000400080000000000000aa" });
            if scopes.iter().any(|s| s == "email") {
                claims["email"] = json!(x.settings.email);
            }
            Json(claims).into_response()
        }
        _ => problem(401, "Unauthorized", "AuthenticationUnsuccessful"),
    }
}

/// POST /connect/revocation: revokes a refresh token (and ends the app's connections).
pub async fn revocation(
    State(shared): State<Shared>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut world = shared.lock();
    let x = &mut world.xero;
    let token = form.get("token").cloned().unwrap_or_default();
    if x.refresh_tokens.remove(&token).is_some() {
        x.access_tokens.clear();
    }
    StatusCode::OK.into_response()
}

/// GET /connections (api.xero.com): the organisations this grant reaches.
pub async fn connections(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    let world = shared.lock();
    let x = &world.xero;
    if bearer_scopes(x, &headers).is_none() {
        return problem(401, "Unauthorized", "AuthenticationUnsuccessful");
    }
    let at = super::date_string(x.now_ms());
    let list: Vec<_> = x
        .settings
        .tenants
        .iter()
        .enumerate()
        .map(|(i, (tenant, name))| {
            json!({
                "id": format!("c0nn0000-0000-4000-8000-{:012}", i + 1),
                "authEventId": "a0e00000-0000-4000-8000-000000000001",
                "tenantId": tenant,
                "tenantType": "ORGANISATION",
                "tenantName": name,
                "createdDateUtc": at,
                "updatedDateUtc": at,
            })
        })
        .collect();
    Json(list).into_response()
}
