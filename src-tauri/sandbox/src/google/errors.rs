//! Google's error bodies, as the APIs and the OAuth endpoints send them.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// An API error: `{"error": {"code", "message", "errors": [{domain, reason, message}], "status"}}`.
pub fn api_error(
    status: u16,
    reason: &str,
    message: &str,
    retry_after_secs: Option<u64>,
) -> Response {
    let (domain, grpc_status) = match status {
        400 => ("global", "INVALID_ARGUMENT"),
        401 => ("global", "UNAUTHENTICATED"),
        403 if reason.contains("RateLimit") => ("usageLimits", "PERMISSION_DENIED"),
        403 => ("global", "PERMISSION_DENIED"),
        404 => ("global", "NOT_FOUND"),
        410 => ("global", "FAILED_PRECONDITION"),
        429 => ("usageLimits", "RESOURCE_EXHAUSTED"),
        500 => ("global", "INTERNAL"),
        503 => ("global", "UNAVAILABLE"),
        _ => ("global", "UNKNOWN"),
    };
    let body = json!({
        "error": {
            "code": status,
            "message": message,
            "errors": [{ "message": message, "domain": domain, "reason": reason }],
            "status": grpc_status,
        }
    });
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (code, Json(body)).into_response();
    if let Some(secs) = retry_after_secs {
        response
            .headers_mut()
            .insert("retry-after", HeaderValue::from(secs));
    }
    if status == 401 {
        response.headers_mut().insert(
            "www-authenticate",
            HeaderValue::from_static(
                "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"",
            ),
        );
    }
    response
}

/// The default message for a status, as Google words it.
pub fn default_message(status: u16) -> &'static str {
    match status {
        401 => "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
        403 => "Request had insufficient authentication scopes.",
        404 => "Requested entity was not found.",
        410 => "Sync token is no longer valid, a full sync is required.",
        429 => "Too many concurrent requests for user.",
        500 => "Internal error encountered.",
        503 => "The service is currently unavailable.",
        _ => "Error",
    }
}

pub fn default_reason(status: u16) -> &'static str {
    match status {
        401 => "authError",
        403 => "insufficientPermissions",
        404 => "notFound",
        410 => "fullSyncRequired",
        429 => "rateLimitExceeded",
        500 => "backendError",
        503 => "backendError",
        _ => "unknown",
    }
}

/// An OAuth endpoint error: `{"error": "invalid_grant", "error_description": "..."}`.
pub fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}
