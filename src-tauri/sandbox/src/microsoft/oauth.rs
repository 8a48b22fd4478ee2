//! The Microsoft identity platform's endpoints for a public client
//! (learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow): consent (answered at
//! once as configured), the token endpoint (`authorization_code` with `code_verifier`, and
//! `refresh_token`), and OpenID userinfo (learn.microsoft.com/entra/identity-platform/userinfo).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use serde_json::json;

use super::{graph_error, normalise_scope, MicrosoftCode, MicrosoftState, MicrosoftToken};
use crate::oauth_wire::{found, pkce_matches, AuthorizeParams};
use crate::state::Shared;

/// Authorization codes last about 10 minutes (the auth-code flow page).
const CODE_LIFETIME_MS: i64 = 10 * 60_000;
/// Scopes that are not the resource's: not listed in the token answer's `scope`.
const OIDC: [&str; 4] = ["openid", "email", "profile", "offline_access"];

fn aad_error(status: StatusCode, error: &str, code: u32, description: &str) -> Response {
    (
        status,
        Json(json!({
            "error": error,
            "error_description": format!("AADSTS{code}: {description}"),
            "error_codes": [code],
            "timestamp": "2026-01-01 00:00:00Z",
            "trace_id": "0c0ffee0-0000-4000-8000-000000000001",
            "correlation_id": "0c0ffee0-0000-4000-8000-000000000002",
        })),
    )
        .into_response()
}

/// Whether `uri` is a registered redirect URI: exact, but the port of a loopback one
/// (`http://localhost`, `http://127.0.0.1`) is not compared.
pub fn redirect_registered(registered: &[String], uri: &str) -> bool {
    let without_port = |u: &str| -> Option<String> {
        for host in ["http://localhost", "http://127.0.0.1"] {
            if let Some(rest) = u.strip_prefix(host) {
                let rest = match rest.strip_prefix(':') {
                    Some(r) => r.trim_start_matches(|c: char| c.is_ascii_digit()),
                    None => rest,
                };
                return Some(format!("{host}{rest}"));
            }
        }
        None
    };
    registered.iter().any(|r| {
        r == uri || matches!((without_port(r), without_port(uri)), (Some(a), Some(b)) if a == b)
    })
}

/// GET /common/oauth2/v2.0/authorize (login.microsoftonline.com).
pub async fn authorize(State(shared): State<Shared>, Query(p): Query<AuthorizeParams>) -> Response {
    let mut world = shared.lock();
    let m = &mut world.microsoft;
    // An unknown app or an unregistered redirect stays on Microsoft's error page.
    if p.client_id != m.settings.client_id {
        return (
            StatusCode::BAD_REQUEST,
            "AADSTS700016: Application with identifier was not found in the directory.",
        )
            .into_response();
    }
    if !redirect_registered(&m.settings.redirect_uris, &p.redirect_uri) {
        return (
            StatusCode::BAD_REQUEST,
            "AADSTS50011: The redirect URI specified in the request does not match the redirect URIs configured for the application.",
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
    if !m.settings.consent {
        return found(
            &p.redirect_uri,
            &[
                ("error", "access_denied"),
                (
                    "error_description",
                    "AADSTS65004: User declined to consent.",
                ),
                ("state", &state),
            ],
        );
    }
    // A public client proves its code with PKCE.
    if p.code_challenge.as_deref().is_none_or(str::is_empty)
        || p.code_challenge_method.as_deref() != Some("S256")
    {
        return found(
            &p.redirect_uri,
            &[
                ("error", "invalid_request"),
                ("error_description", "AADSTS9002325: Proof Key for Code Exchange is required for cross-origin authorization code redemption."),
                ("state", &state),
            ],
        );
    }
    let code = m.new_secret("M.C5_BAY.");
    let expires_at = m.now_ms() + CODE_LIFETIME_MS;
    m.codes.insert(
        code.clone(),
        MicrosoftCode {
            redirect_uri: p.redirect_uri.clone(),
            challenge: p.code_challenge.unwrap_or_default(),
            scopes: p.scope.split_whitespace().map(normalise_scope).collect(),
            expires_at,
        },
    );
    found(&p.redirect_uri, &[("code", &code), ("state", &state)])
}

fn issue(m: &mut MicrosoftState, scopes: Vec<String>) -> Response {
    let length = m.settings.access_token_length;
    let access = m.new_token("EwB4A8l6BAAU", length);
    let ttl = m.settings.access_token_ttl_secs;
    let expires_at = m.now_ms() + ttl * 1000;
    m.access_tokens.insert(
        access.clone(),
        MicrosoftToken {
            scopes: scopes.clone(),
            expires_at,
        },
    );
    let resource: Vec<String> = scopes
        .iter()
        .filter(|s| !OIDC.contains(&s.as_str()))
        .map(|s| format!("{}{s}", super::GRAPH_RESOURCE))
        .collect();
    let mut body = json!({
        "token_type": "Bearer",
        "scope": resource.join(" "),
        "expires_in": ttl,
        "ext_expires_in": ttl,
        "access_token": access,
    });
    if scopes.iter().any(|s| s == "offline_access") {
        let length = m.settings.refresh_token_length;
        let refresh = m.new_token("M.C5_BL2.", length);
        m.refresh_tokens.insert(refresh.clone(), scopes.clone());
        body["refresh_token"] = json!(refresh);
    }
    if scopes.iter().any(|s| s == "openid") {
        body["id_token"] = json!("eyJhbGciOiJub25lIn0.e30.");
    }
    Json(body).into_response()
}

/// POST /common/oauth2/v2.0/token.
pub async fn token(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut world = shared.lock();
    let m = &mut world.microsoft;
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    if form.contains_key("client_secret") || headers.contains_key(header::AUTHORIZATION) {
        return aad_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            700025,
            "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
        );
    }
    if field("client_id") != m.settings.client_id {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            "Application was not found in the directory.",
        );
    }
    match field("grant_type") {
        "authorization_code" => {
            let Some(pending) = m.codes.remove(field("code")) else {
                return aad_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    70000,
                    "The provided authorization code is invalid or has been used.",
                );
            };
            if pending.expires_at < m.now_ms()
                || pending.redirect_uri != field("redirect_uri")
                || !pkce_matches(field("code_verifier"), &pending.challenge)
            {
                return aad_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    501481,
                    "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
                );
            }
            issue(m, pending.scopes)
        }
        "refresh_token" => match m.refresh_tokens.get(field("refresh_token")).cloned() {
            Some(scopes) => issue(m, scopes),
            None => aad_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                70008,
                "The provided authorization code or refresh token has expired due to inactivity.",
            ),
        },
        _ => aad_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            "The app requested an unsupported grant type.",
        ),
    }
}

/// GET /oidc/userinfo (graph.microsoft.com).
pub async fn userinfo(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    let world = shared.lock();
    let m = &world.microsoft;
    let now = m.now_ms();
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    match m.access_tokens.get(token).filter(|t| t.expires_at > now) {
        Some(t) if t.scopes.iter().any(|s| s == "openid") => {
            let mut claims = json!({
                "sub": "OLu859SGc2Sr9ZsqbkG-QbeLgJlb41KcdiPoLYNpSFA",
                "name": m.settings.display_name,
                "picture": "https://graph.microsoft.com/v1.0/me/photo/$value",
            });
            if t.scopes.iter().any(|s| s == "email") && m.settings.has_email_address {
                claims["email"] = json!(m.settings.email);
            }
            Json(claims).into_response()
        }
        _ => graph_error(
            401,
            "InvalidAuthenticationToken",
            "Access token is empty or invalid.",
        ),
    }
}
