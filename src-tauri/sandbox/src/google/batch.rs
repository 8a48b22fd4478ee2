//! Gmail's batch endpoint, `POST /batch/gmail/v1`, as
//! https://developers.google.com/workspace/gmail/api/guides/batch describes it:
//! - the body is `multipart/mixed`; each part is `Content-Type: application/http` holding one
//!   whole HTTP request (request line, headers, body), optionally named by a `Content-ID`;
//! - at most 100 calls in one batch; every inner request must go to the same API (Gmail);
//! - the outer request's headers (Authorization) apply to every part unless the part sets its own;
//! - the answer is `multipart/mixed` with its own boundary, one `application/http` part per call
//!   holding a whole HTTP response, its `Content-ID` being `response-` plus the request's;
//! - "a set of n requests batched together counts toward your usage limit as n requests, not as
//!   one request": each part runs as its own call, with its own quota charge, status code and
//!   errors (a 429 on one part leaves the others answered);
//! - the server may carry out the calls in any order, so only the Content-ID pairs an answer with
//!   its request.
//!
//! Each part is answered by the sandbox's own router, so it gets exactly what the same call made
//! alone would get (quota, faults, the request log).

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;

use super::errors::api_error;
use crate::state::Shared;

/// "You're limited to 100 calls in a single batch request."
pub const MAX_CALLS: usize = 100;
/// The API every part must address.
const GMAIL_PREFIX: &str = "/gmail/v1/";

/// One call taken out of the batch.
#[derive(Debug)]
struct Call {
    content_id: Option<String>,
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// POST /batch/gmail/v1
pub async fn batch(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(boundary) = boundary_of(&headers) else {
        return api_error(
            400,
            "badRequest",
            "Content-Type must be multipart/mixed with a boundary.",
            None,
        );
    };
    let calls = match split(&body, &boundary) {
        Ok(calls) => calls,
        Err(why) => return api_error(400, "badRequest", &why, None),
    };
    if calls.is_empty() {
        return api_error(400, "badRequest", "The batch request holds no calls.", None);
    }
    if calls.len() > MAX_CALLS {
        return api_error(
            400,
            "badRequest",
            &format!("A batch request may hold at most {MAX_CALLS} calls."),
            None,
        );
    }
    let outer_auth = headers.get("authorization").cloned();
    let answer_boundary = format!("batch_sandbox_{:016x}", crate::unix_nanos());
    let mut out: Vec<u8> = Vec::new();
    for (n, call) in calls.into_iter().enumerate() {
        let id = call
            .content_id
            .clone()
            .unwrap_or_else(|| (n + 1).to_string());
        let answer = answer(&shared, call, outer_auth.clone()).await;
        out.extend_from_slice(format!("--{answer_boundary}\r\n").as_bytes());
        out.extend_from_slice(b"Content-Type: application/http\r\n");
        out.extend_from_slice(format!("Content-ID: <response-{id}>\r\n\r\n").as_bytes());
        out.extend_from_slice(&answer);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{answer_boundary}--\r\n").as_bytes());
    let mut response = (StatusCode::OK, Body::from(out)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("multipart/mixed; boundary={answer_boundary}")) {
        response.headers_mut().insert("content-type", v);
    }
    response
}

/// One part's whole HTTP response (status line, headers, body).
async fn answer(shared: &Shared, call: Call, outer_auth: Option<HeaderValue>) -> Vec<u8> {
    let response = if !call.target.starts_with(GMAIL_PREFIX) {
        api_error(
            400,
            "badRequest",
            "Every call in a Gmail batch must be a Gmail API call.",
            None,
        )
    } else {
        match request_of(call, outer_auth) {
            Some(request) => match crate::router(shared.clone()).oneshot(request).await {
                Ok(r) => r,
                Err(never) => match never {},
            },
            None => api_error(400, "badRequest", "Malformed request in batch part.", None),
        }
    };
    let status = response.status();
    let (parts, body) = response.into_parts();
    let body = to_bytes(body, 64 * 1024 * 1024).await.unwrap_or_default();
    let mut out = format!(
        "HTTP/1.1 {} {}\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    )
    .into_bytes();
    for (name, value) in &parts.headers {
        if name == "content-length" {
            continue;
        }
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
    out.extend_from_slice(&body);
    out
}

fn request_of(call: Call, outer_auth: Option<HeaderValue>) -> Option<Request<Body>> {
    let method = Method::from_bytes(call.method.as_bytes()).ok()?;
    let mut request = Request::builder()
        .method(method)
        .uri(&call.target)
        .body(Body::from(call.body))
        .ok()?;
    let headers = request.headers_mut();
    if let Some(auth) = outer_auth {
        headers.insert("authorization", auth);
    }
    for (name, value) in call.headers {
        let name = HeaderName::from_bytes(name.as_bytes()).ok()?;
        let value = HeaderValue::from_str(&value).ok()?;
        headers.insert(name, value);
    }
    Some(request)
}

/// The boundary from `multipart/mixed; boundary=…` (quoted or not).
fn boundary_of(headers: &HeaderMap) -> Option<String> {
    let value = headers.get("content-type")?.to_str().ok()?;
    let mut params = value.split(';');
    if !params
        .next()?
        .trim()
        .eq_ignore_ascii_case("multipart/mixed")
    {
        return None;
    }
    params.find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_string())
            .filter(|b| !b.is_empty())
    })
}

/// The calls in a multipart body, in order.
fn split(body: &[u8], boundary: &str) -> Result<Vec<Call>, String> {
    let text = std::str::from_utf8(body).map_err(|_| "The batch body is not UTF-8.".to_string())?;
    let delimiter = format!("--{boundary}");
    let mut calls = Vec::new();
    let mut sections = text.split(delimiter.as_str());
    // The preamble before the first delimiter is ignored (RFC 2046 §5.1.1).
    sections.next();
    let mut closed = false;
    for section in sections {
        if section.starts_with("--") {
            closed = true;
            break;
        }
        let part = section
            .strip_prefix("\r\n")
            .or_else(|| section.strip_prefix('\n'))
            .unwrap_or(section);
        calls.push(call_of(part)?);
    }
    if !closed {
        return Err(format!("The batch body does not end with --{boundary}--."));
    }
    Ok(calls)
}

/// `(headers, rest)` split at the first blank line.
fn head_and_rest(text: &str) -> (&str, &str) {
    for sep in ["\r\n\r\n", "\n\n"] {
        if let Some((head, rest)) = text.split_once(sep) {
            return (head, rest);
        }
    }
    (text, "")
}

fn header_lines(head: &str) -> impl Iterator<Item = (String, String)> + '_ {
    head.lines().filter_map(|line| {
        let (k, v) = line.split_once(':')?;
        Some((k.trim().to_string(), v.trim().to_string()))
    })
}

fn call_of(part: &str) -> Result<Call, String> {
    let (part_head, inner) = head_and_rest(part);
    let mut content_id = None;
    let mut is_http = false;
    for (k, v) in header_lines(part_head) {
        if k.eq_ignore_ascii_case("content-type") {
            is_http = v.eq_ignore_ascii_case("application/http");
        } else if k.eq_ignore_ascii_case("content-id") {
            content_id = Some(v.trim_matches(|c| c == '<' || c == '>').to_string());
        }
    }
    if !is_http {
        return Err("Each batch part must be Content-Type: application/http.".into());
    }
    let (request_head, body) = head_and_rest(inner);
    let mut lines = request_head.lines();
    let request_line = lines.next().unwrap_or("").trim();
    let mut words = request_line.split_whitespace();
    let (Some(method), Some(target)) = (words.next(), words.next()) else {
        return Err(format!(
            "Malformed request line in batch part: {request_line:?}"
        ));
    };
    let headers = lines
        .filter_map(|line| {
            let (k, v) = line.split_once(':')?;
            Some((k.trim().to_string(), v.trim().to_string()))
        })
        .collect::<Vec<_>>();
    let body = body.trim_end_matches(['\r', '\n']).as_bytes().to_vec();
    Ok(Call {
        content_id,
        method: method.to_string(),
        target: target.to_string(),
        headers,
        body,
    })
}
