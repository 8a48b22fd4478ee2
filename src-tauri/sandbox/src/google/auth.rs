//! Bearer-token and scope checks.

use axum::http::{header, HeaderMap};
use axum::response::Response;

use super::errors::{api_error, default_message};
use crate::state::World;

/// The account behind a valid access token that carries one of `scopes`; else Google's 401/403.
pub fn bearer(world: &World, headers: &HeaderMap, scopes: &[&str]) -> Result<String, Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| api_error(401, "required", "Login Required.", None))?;
    let access = world
        .google
        .access_tokens
        .get(token.trim())
        .ok_or_else(|| api_error(401, "authError", default_message(401), None))?;
    if access.expires_at <= crate::unix_secs() {
        return Err(api_error(401, "authError", default_message(401), None));
    }
    if !access
        .grant
        .scopes
        .iter()
        .any(|s| scopes.contains(&s.as_str()))
    {
        return Err(api_error(
            403,
            "insufficientPermissions",
            default_message(403),
            None,
        ));
    }
    Ok(access.grant.account.clone())
}
