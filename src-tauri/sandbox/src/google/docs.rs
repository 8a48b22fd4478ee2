//! Docs API v1 over the sandbox's Drive: a Google Doc is a Drive file of the Docs mime type whose
//! content is its text, so a template copied in Drive is then filled through Docs. documents.create,
//! documents.get (body, tables, headers, footers and tabs with UTF-16 indices, as Google counts
//! them: `doc_model.rs`) and
//! documents.batchUpdate (replaceAllText with occurrence counts, insertText, deleteContentRange,
//! writeControl revision checks), with the per-minute Docs budgets.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::doc_model::DocModel;
use super::drive::DriveFile;
use super::errors::api_error;
use super::quota::{admit, Budget};
use crate::state::{Shared, World};

pub const DOCUMENT_MIME: &str = "application/vnd.google-apps.document";
const WRITE_SCOPES: &[&str] = &[
    "https://www.googleapis.com/auth/documents",
    "https://www.googleapis.com/auth/drive",
    "https://www.googleapis.com/auth/drive.file",
];
const READ_SCOPES: &[&str] = &[
    "https://www.googleapis.com/auth/documents",
    "https://www.googleapis.com/auth/documents.readonly",
    "https://www.googleapis.com/auth/drive",
    "https://www.googleapis.com/auth/drive.readonly",
    "https://www.googleapis.com/auth/drive.file",
];

fn caller(world: &mut World, headers: &HeaderMap, budget: Budget) -> Result<String, Response> {
    admit(
        world,
        headers,
        if budget == Budget::DocsWrite {
            WRITE_SCOPES
        } else {
            READ_SCOPES
        },
        budget,
    )
}

/// Whether the caller's token reads any Doc of the user (`documents`, `documents.readonly`,
/// `drive`, `drive.readonly`), not only those the app made or the user opened with it
/// (`drive.file`).
fn sees_every_doc(world: &World, headers: &HeaderMap) -> bool {
    super::auth::sees_every_file(
        world,
        headers,
        &[
            "https://www.googleapis.com/auth/documents",
            "https://www.googleapis.com/auth/documents.readonly",
        ],
    )
}

/// The document, if the caller may see it: a Doc the user made themselves is "not found" for a
/// `drive.file` token, as Drive answers for files outside its reach.
fn document<'w>(
    world: &'w mut World,
    account: &str,
    id: &str,
    sees_all: bool,
) -> Result<&'w mut DriveFile, Response> {
    let file = world
        .google
        .drives
        .entry(account.to_string())
        .or_default()
        .files
        .iter_mut()
        .find(|f| f.id == id && !f.trashed && (sees_all || f.opened_by_app));
    match file {
        None => Err(api_error(
            404,
            "notFound",
            "Requested entity was not found.",
            None,
        )),
        Some(f) if f.mime_type != DOCUMENT_MIME => Err(api_error(
            400,
            "failedPrecondition",
            "This operation is not supported for this document",
            None,
        )),
        Some(f) => Ok(f),
    }
}

fn revision_id(file: &DriveFile) -> String {
    format!("ALm37BVsbx{:06}", file.version)
}

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// The byte offset of a Docs index (UTF-16 units, the body starting at 1).
fn byte_offset(text: &str, index: i64) -> Option<usize> {
    let mut units = 1i64;
    for (byte, c) in text.char_indices() {
        if units == index {
            return Some(byte);
        }
        units += c.len_utf16() as i64;
    }
    (units == index).then_some(text.len())
}

fn document_json(file: &DriveFile, include_tabs: bool) -> Value {
    DocModel::of(&file.content).render(&file.id, &file.name, &revision_id(file), include_tabs)
}

/// POST /v1/documents: a new empty document in the caller's Drive root.
pub async fn create(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let mut world = shared.lock();
    let account = match caller(&mut world, &headers, Budget::DocsWrite) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let title = body["title"].as_str().unwrap_or("Untitled document");
    let file = world.google.drives.entry(account).or_default().create(
        title,
        DOCUMENT_MIME,
        Vec::new(),
        Vec::new(),
    );
    Json(document_json(&file, false)).into_response()
}

#[derive(Debug, serde::Deserialize)]
pub struct GetParams {
    #[serde(default, rename = "includeTabsContent")]
    include_tabs_content: Option<bool>,
}

/// GET /v1/documents/{id}[?includeTabsContent=true]
pub async fn get(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(p): Query<GetParams>,
) -> Response {
    let mut world = shared.lock();
    let account = match caller(&mut world, &headers, Budget::DocsRead) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let sees_all = sees_every_doc(&world, &headers);
    match document(&mut world, &account, &id, sees_all) {
        Ok(file) => {
            Json(document_json(file, p.include_tabs_content.unwrap_or(false))).into_response()
        }
        Err(r) => r,
    }
}

/// POST /v1/documents/{id}:batchUpdate: the requests apply in order to a draft; any failure
/// leaves the document untouched.
pub async fn batch_update(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id_and_verb): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    let Some(id) = id_and_verb.strip_suffix(":batchUpdate") else {
        return api_error(404, "notFound", "Requested entity was not found.", None);
    };
    let mut world = shared.lock();
    let account = match caller(&mut world, &headers, Budget::DocsWrite) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let sees_all = sees_every_doc(&world, &headers);
    let file = match document(&mut world, &account, id, sees_all) {
        Ok(f) => f,
        Err(r) => return r,
    };
    if let Some(required) = body["writeControl"]["requiredRevisionId"].as_str() {
        if required != revision_id(file) {
            return api_error(
                400,
                "failedPrecondition",
                "The document has been modified since the required revision ID was issued.",
                None,
            );
        }
    }
    let before = DocModel::of(&file.content);
    let mut doc = before.clone();
    let mut replies = Vec::new();
    for (i, request) in body["requests"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        match apply(&mut doc, request) {
            Ok(reply) => replies.push(reply),
            Err(e) => {
                return api_error(
                    400,
                    "badRequest",
                    &format!("Invalid requests[{i}]: {e}"),
                    None,
                )
            }
        }
    }
    if doc != before {
        file.content = doc.to_bytes();
        file.version += 1;
    }
    Json(json!({ "documentId": file.id, "replies": replies, "writeControl": { "requiredRevisionId": revision_id(file) } })).into_response()
}

fn apply(doc: &mut DocModel, request: &Value) -> Result<Value, String> {
    if let Some(replace) = request.get("replaceAllText") {
        let find = replace["containsText"]["text"]
            .as_str()
            .filter(|t| !t.is_empty())
            .ok_or("replaceAllText.containsText.text must not be empty")?;
        let with = replace["replaceText"].as_str().unwrap_or("");
        let match_case = replace["containsText"]["matchCase"]
            .as_bool()
            .unwrap_or(false);
        let n = doc.replace_all(&mut |text| replace_all(text, find, with, match_case));
        // proto3 JSON leaves a zero count out.
        return Ok(if n == 0 {
            json!({ "replaceAllText": {} })
        } else {
            json!({ "replaceAllText": { "occurrencesChanged": n } })
        });
    }
    // Index-based edits are modelled on plain documents (one tab of paragraphs) only.
    let plain = || {
        doc.as_plain()
            .ok_or("the sandbox models index-based edits on plain documents only")
    };
    if let Some(insert) = request.get("insertText") {
        let mut text = plain()?;
        let text = &mut text;
        let new = insert["text"].as_str().unwrap_or("");
        let at = if insert.get("endOfSegmentLocation").is_some() {
            text.len() - 1
        } else {
            let index = insert["location"]["index"]
                .as_i64()
                .ok_or("insertText needs a location or endOfSegmentLocation")?;
            match byte_offset(text, index) {
                Some(at) if at < text.len() => at,
                _ => {
                    return Err(format!(
                    "Index {index} must be less than the end index of the referenced segment, {}.",
                    utf16_len(text) + 1
                ))
                }
            }
        };
        text.insert_str(at, new);
        *doc = DocModel::plain(text);
        return Ok(json!({}));
    }
    if let Some(delete) = request.get("deleteContentRange") {
        let mut text = plain()?;
        let text = &mut text;
        let (start, end) = (
            delete["range"]["startIndex"].as_i64().unwrap_or(0),
            delete["range"]["endIndex"].as_i64().unwrap_or(0),
        );
        let (Some(a), Some(b)) = (byte_offset(text, start), byte_offset(text, end)) else {
            return Err(format!("The range {start}..{end} is outside the document."));
        };
        if a >= b || b >= text.len() {
            return Err(
                "Invalid deletion range: the final newline of a segment cannot be deleted.".into(),
            );
        }
        text.replace_range(a..b, "");
        *doc = DocModel::plain(text);
        return Ok(json!({}));
    }
    let kind = request
        .as_object()
        .and_then(|o| o.keys().next().cloned())
        .unwrap_or_default();
    Err(format!("the sandbox does not model the '{kind}' request"))
}

/// Replaces every occurrence (ASCII case folded unless `match_case`); returns the count.
fn replace_all(text: &str, find: &str, with: &str, match_case: bool) -> (String, usize) {
    let (hay, needle) = if match_case {
        (text.to_string(), find.to_string())
    } else {
        (text.to_ascii_lowercase(), find.to_ascii_lowercase())
    };
    let mut out = String::with_capacity(text.len());
    let (mut n, mut last) = (0, 0);
    for (at, _) in hay.match_indices(&needle) {
        out.push_str(&text[last..at]);
        out.push_str(with);
        last = at + find.len();
        n += 1;
    }
    out.push_str(&text[last..]);
    (out, n)
}
