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

/// The scopes granted to the request's access token (empty when there is none).
pub fn granted_scopes(world: &World, headers: &HeaderMap) -> Vec<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|t| world.google.access_tokens.get(t.trim()))
        .map(|a| a.grant.scopes.clone())
        .unwrap_or_default()
}

/// Whether the token reaches every file of the user's Drive, not only those the app created or
/// the user opened with it (`drive.file`: https://developers.google.com/workspace/drive/api/guides/api-specific-auth).
pub fn sees_every_file(world: &World, headers: &HeaderMap, also: &[&str]) -> bool {
    granted_scopes(world, headers).iter().any(|s| {
        s == "https://www.googleapis.com/auth/drive"
            || s == "https://www.googleapis.com/auth/drive.readonly"
            || also.contains(&s.as_str())
    })
}
