//! Graph's JSON batching (learn.microsoft.com/graph/json-batching): `POST /v1.0/$batch` with
//! `{"requests": [{id, method, url, headers?, body?}]}`, `url` relative to the version
//! (`/me/messages/{id}`). At most 20 requests and unique ids, else the whole batch is 400. Each
//! request is answered on its own (`{"responses": [{id, status, headers, body}]}`, 200 for the
//! batch whatever they say) and counts on its own against throttling: one over the limit is a
//! 429 inside the batch. A body needs a `Content-Type` header.
//!
//! Assumed, not found on Microsoft's pages: requests run one after another in the order given,
//! and the responses come back in that order (the page allows any order); only the headers
//! `Content-Type` and `Retry-After` are repeated in a response.

use axum::body::{to_bytes, Body};
use axum::http::{header, HeaderMap, Request};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use tower::ServiceExt;

use super::graph_error;
use crate::state::Shared;

/// The most requests in one batch.
pub const MAX_REQUESTS: usize = 20;

fn bad_batch(message: &str) -> Response {
    graph_error(400, "BadRequest", message)
}

/// One request of the batch, as an HTTP request to the sandbox itself.
fn request_of(r: &Value, outer: &HeaderMap) -> Result<Request<Body>, String> {
    let method = r["method"].as_str().ok_or("a request without a method")?;
    let url = r["url"].as_str().ok_or("a request without a url")?;
    if url.starts_with("http") {
        return Err("url must be relative (/me/…)".into());
    }
    let path = format!("/v1.0/{}", url.trim_start_matches('/'));
    let mut request = Request::builder().method(method).uri(path);
    for name in [header::AUTHORIZATION, header::HOST] {
        if let Some(v) = outer.get(&name) {
            request = request.header(name, v);
        }
    }
    let headers = r["headers"].as_object();
    for (name, value) in headers.into_iter().flatten() {
        if let Some(v) = value.as_str() {
            request = request.header(name.as_str(), v);
        }
    }
    let body = match &r["body"] {
        Value::Null => Body::empty(),
        body => {
            let typed =
                headers.is_some_and(|h| h.keys().any(|k| k.eq_ignore_ascii_case("content-type")));
            if !typed {
                return Err("a request with a body needs a Content-Type header".into());
            }
            match body {
                Value::String(text) => Body::from(text.clone()),
                other => Body::from(other.to_string()),
            }
        }
    };
    request.body(body).map_err(|e| e.to_string())
}

/// POST /v1.0/$batch.
pub async fn batch(
    axum::extract::State(shared): axum::extract::State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let Some(requests) = body["requests"].as_array() else {
        return bad_batch("The batch needs a requests array.");
    };
    if requests.len() > MAX_REQUESTS {
        return bad_batch("The number of requests in the batch exceeds the limit of 20.");
    }
    let mut ids: Vec<String> = Vec::new();
    for r in requests {
        let Some(id) = r["id"].as_str() else {
            return bad_batch("Every request needs an id.");
        };
        if ids.iter().any(|seen| seen.eq_ignore_ascii_case(id)) {
            return bad_batch("Request ids must be unique in a batch.");
        }
        ids.push(id.to_string());
    }
    let mut responses = Vec::new();
    for (r, id) in requests.iter().zip(ids) {
        let response = match request_of(r, &headers) {
            Ok(request) => match crate::router(shared.clone()).oneshot(request).await {
                Ok(answer) => answer,
                Err(never) => match never {},
            },
            Err(why) => bad_batch(&why),
        };
        let status = response.status().as_u16();
        let (parts, body) = response.into_parts();
        let bytes = to_bytes(body, 16 << 20).await.unwrap_or_default();
        let mut kept = serde_json::Map::new();
        for name in [header::CONTENT_TYPE, header::RETRY_AFTER] {
            if let Some(v) = parts.headers.get(&name).and_then(|v| v.to_str().ok()) {
                kept.insert(name.to_string(), json!(v));
            }
        }
        let body: Value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| json!(String::from_utf8_lossy(&bytes)))
        };
        responses.push(json!({ "id": id, "status": status, "headers": kept, "body": body }));
    }
    Json(json!({ "responses": responses })).into_response()
}
