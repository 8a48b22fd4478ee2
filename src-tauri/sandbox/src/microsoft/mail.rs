//! Graph's Outlook mail, the part Cremmy reads: `/me`, a folder's messages delta
//! (learn.microsoft.com/graph/api/message-delta), the mailbox's or a folder's message list
//! (learn.microsoft.com/graph/api/user-list-messages, …/mailfolder-list-messages), a folder and
//! one message
//! (learn.microsoft.com/graph/api/message-get).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::{admit, graph_error, DeltaCursor, MicrosoftState};
use crate::state::Shared;

const MAIL_SCOPES: [&str; 3] = ["mail.readbasic", "mail.read", "mail.readwrite"];
/// Folders addressable by their well-known names.
const WELL_KNOWN: [&str; 5] = ["inbox", "sentitems", "drafts", "deleteditems", "junkemail"];
const DEFAULT_PAGE: usize = 10;

pub fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("graph.microsoft.com");
    format!("http://{host}")
}

fn folder_name(folder: &str) -> Option<String> {
    let f = folder.to_ascii_lowercase();
    WELL_KNOWN.contains(&f.as_str()).then_some(f)
}

/// `Prefer: odata.maxpagesize=N`.
pub fn page_size(headers: &HeaderMap) -> usize {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|p| p.trim().strip_prefix("odata.maxpagesize="))
        .and_then(|n| n.trim().parse().ok())
        .filter(|n: &usize| *n > 0)
        .unwrap_or(DEFAULT_PAGE)
}

/// `receivedDateTime ge|gt <instant>` → (instant, strict); anything else is not understood.
fn received_filter(filter: &str) -> Option<(i64, bool)> {
    let mut words = filter.split_whitespace();
    let (field, op, value) = (words.next()?, words.next()?, words.next()?);
    if words.next().is_some() || !field.eq_ignore_ascii_case("receivedDateTime") {
        return None;
    }
    let strict = match op {
        "ge" => false,
        "gt" => true,
        _ => return None,
    };
    Some((crate::wire::parse_utc(value.trim_matches('\''))?, strict))
}

/// `internetMessageId eq '<…>'` → the Message-ID (OData doubles a quote inside a string).
fn message_id_filter(filter: &str) -> Option<String> {
    let (field, rest) = filter.trim().split_once(char::is_whitespace)?;
    let value = rest.trim_start().strip_prefix("eq")?.trim();
    if !field.eq_ignore_ascii_case("internetMessageId") {
        return None;
    }
    let inner = value.strip_prefix('\'')?.strip_suffix('\'')?;
    Some(inner.replace("''", "'"))
}

fn matches_filter(received: i64, since: Option<i64>, strict: bool) -> bool {
    match since {
        None => true,
        Some(at) if strict => received > at,
        Some(at) => received >= at,
    }
}

/// The resource with only `$select`'s properties (and `id`, always there).
fn selected(resource: &Value, select: Option<&str>) -> Value {
    let Some(select) = select else {
        return resource.clone();
    };
    let mut out = serde_json::Map::new();
    out.insert("id".into(), resource["id"].clone());
    if let Some(etag) = resource.get("@odata.etag") {
        out.insert("@odata.etag".into(), etag.clone());
    }
    for name in select.split(',').map(str::trim) {
        if let Some(v) = resource.get(name) {
            out.insert(name.to_string(), v.clone());
        }
    }
    Value::Object(out)
}

fn bad_query(message: &str) -> Response {
    graph_error(400, "ErrorInvalidUrlQueryFilter", message)
}

/// GET /v1.0/me.
pub async fn me(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    let mut world = shared.lock();
    let m = &mut world.microsoft;
    if let Err(r) = admit(m, &headers, &["user.read"]) {
        return r;
    }
    Json(json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity",
        "id": "87d349ed44d4fc",
        "displayName": m.settings.display_name,
        "mail": m.settings.has_email_address.then(|| m.settings.email.clone()),
        "userPrincipalName": m.settings.email,
    }))
    .into_response()
}

/// Serves one page of `rows`, keeping the rest behind a `$skiptoken` and ending the round with
/// `then`'s delta token.
fn serve_page(
    m: &mut MicrosoftState,
    origin: &str,
    folder: &str,
    mut rows: Vec<Value>,
    page_size: usize,
    then: DeltaCursor,
) -> Response {
    let base = format!("{origin}/v1.0/me/mailFolders/{folder}/messages/delta");
    let rest = if rows.len() > page_size {
        rows.split_off(page_size)
    } else {
        Vec::new()
    };
    let mut body = json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(message)",
        "value": rows,
    });
    if rest.is_empty() {
        let token = m.new_secret("dt");
        m.cursors.insert(token.clone(), then);
        body["@odata.deltaLink"] = json!(format!("{base}?$deltatoken={token}"));
    } else {
        let token = m.new_secret("st");
        m.cursors.insert(
            token.clone(),
            DeltaCursor::Rest {
                rows: rest,
                page_size,
                then: Box::new(then),
            },
        );
        body["@odata.nextLink"] = json!(format!("{base}?$skiptoken={token}"));
    }
    Json(body).into_response()
}

/// GET /v1.0/me/mailFolders/{folder}/messages/delta.
pub async fn delta(
    State(shared): State<Shared>,
    Path(folder): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut world = shared.lock();
    let m = &mut world.microsoft;
    if let Err(r) = admit(m, &headers, &MAIL_SCOPES) {
        return r;
    }
    let Some(folder) = folder_name(&folder) else {
        return graph_error(404, "ErrorInvalidIdMalformed", "Id is malformed.");
    };
    let origin = origin(&headers);
    if let Some(token) = q.get("$skiptoken") {
        return match m.cursors.get(token).cloned() {
            Some(DeltaCursor::Rest {
                rows,
                page_size,
                then,
            }) => serve_page(m, &origin, &folder, rows, page_size, *then),
            _ => graph_error(410, "SyncStateNotFound", "The sync state is not found."),
        };
    }
    let seq_now = m.seq;
    if let Some(token) = q.get("$deltatoken") {
        // A delta link may be followed again (a client that lost the next one replays it) until
        // Graph forgets it (the expire control).
        let Some(DeltaCursor::Delta {
            folder: tracked,
            since_ms,
            strict,
            seq,
            select,
        }) = m.cursors.get(token).cloned()
        else {
            return graph_error(410, "SyncStateNotFound", "The sync state is not found.");
        };
        if tracked != folder {
            return graph_error(410, "SyncStateNotFound", "The sync state is not found.");
        }
        // Each message's last change since the token, in order.
        let mut last: Vec<(String, bool)> = Vec::new();
        for c in m
            .changes
            .iter()
            .filter(|c| c.seq > seq && c.folder == folder)
        {
            last.retain(|(id, _)| id != &c.id);
            last.push((c.id.clone(), c.removed));
        }
        let rows: Vec<Value> = last
            .into_iter()
            .filter_map(|(id, removed)| {
                if removed {
                    return Some(json!({ "id": id, "@removed": { "reason": "deleted" } }));
                }
                let msg = m
                    .messages
                    .iter()
                    .find(|x| x.id == id && x.folder == folder)?;
                matches_filter(msg.received_ms, since_ms, strict)
                    .then(|| selected(&msg.resource, select.as_deref()))
            })
            .collect();
        let then = DeltaCursor::Delta {
            folder: folder.clone(),
            since_ms,
            strict,
            seq: seq_now,
            select,
        };
        return serve_page(m, &origin, &folder, rows, page_size(&headers), then);
    }
    // The initial round: every message in the folder (that the filter lets through).
    let (since_ms, strict) = match q.get("$filter") {
        None => (None, false),
        Some(f) => match received_filter(f) {
            Some((at, strict)) => (Some(at), strict),
            None => return bad_query("Only receivedDateTime ge|gt is supported on delta."),
        },
    };
    let select = q.get("$select").cloned();
    let rows: Vec<Value> = m
        .messages
        .iter()
        .filter(|x| x.folder == folder && matches_filter(x.received_ms, since_ms, strict))
        .map(|x| selected(&x.resource, select.as_deref()))
        .collect();
    let then = DeltaCursor::Delta {
        folder: folder.clone(),
        since_ms,
        strict,
        seq: seq_now,
        select,
    };
    serve_page(m, &origin, &folder, rows, page_size(&headers), then)
}

/// GET /v1.0/me/mailFolders/{folder}/messages: newest first by default.
pub async fn list_folder(
    State(shared): State<Shared>,
    Path(folder): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(folder) = folder_name(&folder) else {
        return graph_error(404, "ErrorInvalidIdMalformed", "Id is malformed.");
    };
    list(&shared, Some(folder), &headers, &q)
}

/// GET /v1.0/me/messages: every folder's messages, newest first by default.
pub async fn list_all(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    list(&shared, None, &headers, &q)
}

fn list(
    shared: &Shared,
    folder: Option<String>,
    headers: &HeaderMap,
    q: &HashMap<String, String>,
) -> Response {
    let mut world = shared.lock();
    let m = &mut world.microsoft;
    if let Err(r) = admit(m, headers, &MAIL_SCOPES) {
        return r;
    }
    let mut message_id = None;
    let (since_ms, strict) =
        match q.get("$filter") {
            None => (None, false),
            Some(f) => match (received_filter(f), message_id_filter(f)) {
                (Some((at, strict)), _) => (Some(at), strict),
                (None, Some(id)) => {
                    message_id = Some(id);
                    (None, false)
                }
                (None, None) => return bad_query(
                    "The sandbox understands only receivedDateTime ge|gt and internetMessageId eq.",
                ),
            },
        };
    let top: usize = match q.get("$top").map(|t| t.parse::<usize>()) {
        None => DEFAULT_PAGE,
        Some(Ok(n)) if (1..=1000).contains(&n) => n,
        Some(_) => return graph_error(400, "ErrorInvalidRequest", "Invalid $top."),
    };
    let skip: usize = q.get("$skip").and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut found: Vec<&super::StoredMessage> = m
        .messages
        .iter()
        .filter(|x| folder.as_ref().is_none_or(|f| &x.folder == f))
        .filter(|x| matches_filter(x.received_ms, since_ms, strict))
        .filter(|x| {
            message_id
                .as_deref()
                .is_none_or(|id| x.resource["internetMessageId"].as_str() == Some(id))
        })
        .collect();
    let ascending = q
        .get("$orderby")
        .is_some_and(|o| o.trim().eq_ignore_ascii_case("receivedDateTime asc"));
    found.sort_by_key(|x| (x.received_ms, x.id.clone()));
    if !ascending {
        found.reverse();
    }
    let select = q.get("$select").map(String::as_str);
    let value: Vec<Value> = found
        .iter()
        .skip(skip)
        .take(top)
        .map(|x| selected(&x.resource, select))
        .collect();
    let mut body = json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users('me')/mailFolders('inbox')/messages",
        "value": value,
    });
    if found.len() > skip + top {
        let mut params: Vec<(String, String)> = q
            .iter()
            .filter(|(k, _)| k.as_str() != "$skip")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        params.sort();
        params.push(("$skip".into(), (skip + top).to_string()));
        let query: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{k}={}", crate::urlencode(v)))
            .collect();
        let path = match &folder {
            Some(f) => format!("me/mailFolders/{f}/messages"),
            None => "me/messages".to_string(),
        };
        body["@odata.nextLink"] = json!(format!(
            "{}/v1.0/{path}?{}",
            origin(headers),
            query.join("&")
        ));
    }
    Json(body).into_response()
}

/// GET /v1.0/me/messages/{id}.
pub async fn get(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut world = shared.lock();
    let m = &mut world.microsoft;
    if let Err(r) = admit(m, &headers, &MAIL_SCOPES) {
        return r;
    }
    match m.messages.iter().find(|x| x.id == id) {
        Some(x) => {
            Json(selected(&x.resource, q.get("$select").map(String::as_str))).into_response()
        }
        None => graph_error(
            404,
            "ErrorItemNotFound",
            "The specified object was not found in the store.",
        ),
    }
}

/// GET /v1.0/me/mailFolders/{folder} (learn.microsoft.com/graph/api/mailfolder-get): a
/// well-known folder's id and counts.
pub async fn folder(
    State(shared): State<Shared>,
    Path(folder): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut world = shared.lock();
    let m = &mut world.microsoft;
    if let Err(r) = admit(m, &headers, &MAIL_SCOPES) {
        return r;
    }
    let Some(folder) = folder_name(&folder) else {
        return graph_error(404, "ErrorInvalidIdMalformed", "Id is malformed.");
    };
    let held = m.messages.iter().filter(|x| x.folder == folder).count();
    Json(json!({
        "id": folder_id(&folder),
        "displayName": folder,
        "parentFolderId": "AQMkADroot",
        "childFolderCount": 0,
        "totalItemCount": held,
        "unreadItemCount": 0,
    }))
    .into_response()
}

/// A folder's id (what messages carry as `parentFolderId`).
pub fn folder_id(folder: &str) -> String {
    format!("AQMkAD{folder}")
}
