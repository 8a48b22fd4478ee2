//! Drive API v3: files.list with the `q` grammar Cremmy uses (`name = '…'`, `mimeType = '…'`,
//! `'<id>' in parents`, `trashed = false`, joined by `and`), files.create (metadata-only JSON or
//! multipart upload), files.copy, files.get, files.update with addParents/removeParents.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::auth::bearer;
use super::errors::api_error;
use crate::state::Shared;

const SCOPES: &[&str] = &[
    "https://www.googleapis.com/auth/drive",
    "https://www.googleapis.com/auth/drive.file",
];
pub const FOLDER: &str = "application/vnd.google-apps.folder";

#[derive(Debug, Clone)]
pub struct DriveFile {
    pub id: String,
    pub name: String,
    pub mime_type: String,
    pub parents: Vec<String>,
    pub trashed: bool,
    pub content: Vec<u8>,
    /// Drive's `version`: bumped by each content change (Docs derives its revision id from it).
    pub version: u64,
    /// When it was made (ms since the epoch): name searches may not see it for a while.
    pub created_ms: i64,
    /// Made through the API by the app (or opened with it): a `drive.file` token sees it. The
    /// user's own files (made in Drive's web UI) are not.
    pub opened_by_app: bool,
}

impl DriveFile {
    /// Where a person opens it: Docs and Sheets have their own editors.
    pub fn web_view_link(&self) -> String {
        match self.mime_type.as_str() {
            super::docs::DOCUMENT_MIME => {
                format!("https://docs.google.com/document/d/{}/edit", self.id)
            }
            super::sheets_api::SPREADSHEET_MIME => {
                format!("https://docs.google.com/spreadsheets/d/{}/edit", self.id)
            }
            _ => format!("https://drive.google.com/file/d/{}/view", self.id),
        }
    }

    fn json(&self) -> Value {
        json!({
            "kind": "drive#file",
            "id": self.id,
            "name": self.name,
            "mimeType": self.mime_type,
            "parents": self.parents,
            "trashed": self.trashed,
            "version": self.version.to_string(),
            "webViewLink": self.web_view_link(),
        })
    }
}

#[derive(Debug, Default)]
pub struct Drive {
    pub files: Vec<DriveFile>,
    next_file: u64,
}

impl Drive {
    pub fn create(
        &mut self,
        name: &str,
        mime_type: &str,
        parents: Vec<String>,
        content: Vec<u8>,
    ) -> DriveFile {
        self.next_file += 1;
        let file = DriveFile {
            id: format!("1sbx{:08}{}", self.next_file, "A".repeat(20)),
            name: name.to_string(),
            mime_type: mime_type.to_string(),
            parents: if parents.is_empty() {
                vec!["root".to_string()]
            } else {
                parents
            },
            trashed: false,
            content,
            version: 1,
            created_ms: (crate::unix_nanos() / 1_000_000) as i64,
            opened_by_app: true,
        };
        self.files.push(file.clone());
        file
    }

    /// A file the user made themselves (in Drive's web UI, not through Cremmy): a `drive.file`
    /// token cannot see it.
    pub fn create_users_own(
        &mut self,
        name: &str,
        mime_type: &str,
        parents: Vec<String>,
        content: Vec<u8>,
    ) -> DriveFile {
        let mut file = self.create(name, mime_type, parents, content);
        file.opened_by_app = false;
        if let Some(stored) = self.files.iter_mut().find(|f| f.id == file.id) {
            stored.opened_by_app = false;
        }
        file
    }
}

/// One condition of a `q` expression.
enum Condition {
    Name(String),
    MimeType(String),
    InParents(String),
    Trashed(bool),
}

/// Parses `name = 'Acme' and mimeType = '…' and 'root' in parents and trashed = false`.
fn parse_q(q: &str) -> Result<Vec<Condition>, String> {
    let mut out = Vec::new();
    for clause in q.split(" and ").map(str::trim).filter(|c| !c.is_empty()) {
        let quoted = |s: &str| -> Result<String, String> {
            let s = s.trim();
            s.strip_prefix('\'')
                .and_then(|s| s.strip_suffix('\''))
                .map(|s| s.replace("\\'", "'"))
                .ok_or_else(|| format!("Invalid Value: expected a quoted string in {clause:?}"))
        };
        if let Some(v) = clause.strip_prefix("name =") {
            out.push(Condition::Name(quoted(v)?));
        } else if let Some(v) = clause.strip_prefix("mimeType =") {
            out.push(Condition::MimeType(quoted(v)?));
        } else if let Some(v) = clause.strip_suffix("in parents") {
            out.push(Condition::InParents(quoted(v)?));
        } else if let Some(v) = clause.strip_prefix("trashed =") {
            out.push(Condition::Trashed(v.trim() == "true"));
        } else {
            return Err(format!("Invalid Value: unsupported query term {clause:?}"));
        }
    }
    Ok(out)
}

fn matches(f: &DriveFile, conditions: &[Condition]) -> bool {
    conditions.iter().all(|c| match c {
        Condition::Name(n) => &f.name == n,
        Condition::MimeType(m) => &f.mime_type == m,
        Condition::InParents(p) => f.parents.contains(p),
        Condition::Trashed(t) => f.trashed == *t,
    })
}

/// The caller's account, and whether its token sees every file (else only the app's: `drive.file`).
fn drive_account(shared: &Shared, headers: &HeaderMap) -> Result<(String, bool), Response> {
    let world = shared.lock();
    let account = bearer(&world, headers, SCOPES)?;
    Ok((account, super::auth::sees_every_file(&world, headers, &[])))
}

#[derive(Debug, Deserialize)]
pub struct ListParams {
    #[serde(default)]
    q: Option<String>,
    #[serde(default, rename = "pageSize")]
    page_size: Option<usize>,
    #[serde(default, rename = "pageToken")]
    page_token: Option<String>,
}

pub async fn list(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(p): Query<ListParams>,
) -> Response {
    let (account, sees_all) = match drive_account(&shared, &headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let conditions = match parse_q(p.q.as_deref().unwrap_or("")) {
        Ok(c) => c,
        Err(e) => return api_error(400, "invalid", &e, None),
    };
    let mut world = shared.lock();
    // files.list by name is not read-after-write consistent: a file made a moment ago may be
    // missing from a name search while files.get by id already sees it (Drive's name search goes
    // through an index updated after the create returns; observed and documented by
    // kopia/kopia#90). `drive_name_search_lag_ms` makes new files wait that long before a name
    // search finds them.
    let lag = world.google.settings.drive_name_search_lag_ms as i64;
    let searched_by_name = conditions.iter().any(|c| matches!(c, Condition::Name(_)));
    let now_ms = (crate::unix_nanos() / 1_000_000) as i64;
    let drive = world.google.drives.entry(account).or_default();
    let found: Vec<&DriveFile> = drive
        .files
        .iter()
        .filter(|f| matches(f, &conditions))
        .filter(|f| sees_all || f.opened_by_app)
        .filter(|f| !searched_by_name || f.created_ms + lag <= now_ms)
        .collect();
    let size = p.page_size.unwrap_or(100).clamp(1, 1000);
    let offset: usize = p
        .page_token
        .as_deref()
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    let mut out = json!({ "kind": "drive#fileList", "files": found.iter().skip(offset).take(size).map(|f| f.json()).collect::<Vec<_>>() });
    if offset + size < found.len() {
        out["nextPageToken"] = json!((offset + size).to_string());
    }
    Json(out).into_response()
}

fn metadata_fields(meta: &Map<String, Value>) -> (String, String, Vec<String>) {
    let name = meta
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("Untitled")
        .to_string();
    let mime = meta
        .get("mimeType")
        .and_then(Value::as_str)
        .unwrap_or("application/octet-stream")
        .to_string();
    let parents = meta
        .get("parents")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|p| p.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    (name, mime, parents)
}

/// POST /drive/v3/files (metadata only) and POST /upload/drive/v3/files (multipart or media).
pub async fn create(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let (account, sees_all) = match drive_account(&shared, &headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let upload = match crate::upload::split(&headers, &body) {
        Ok(u) => u,
        Err(e) => return api_error(400, "badContent", &e, None),
    };
    let media_type = upload.media_type.clone();
    let (meta, content) = (upload.metadata, upload.media.unwrap_or_default());
    let (name, mime, parents) = metadata_fields(&meta);
    let mut world = shared.lock();
    let drive = world.google.drives.entry(account).or_default();
    if let Some(missing) = parents.iter().find(|p| {
        *p != "root"
            && !drive
                .files
                .iter()
                .any(|f| &f.id == *p && (sees_all || f.opened_by_app))
    }) {
        return api_error(
            404,
            "notFound",
            &format!("File not found: {missing}."),
            None,
        );
    }
    // An upload asking for the Google Docs type is converted ("Import to Google Docs types",
    // guides/manage-uploads): a .docx becomes a Doc of its paragraphs.
    const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
    let converted = match (mime.as_str(), media_type.as_str()) {
        (super::docs::DOCUMENT_MIME, DOCX) => {
            super::docx::paragraphs(&content).map(String::into_bytes)
        }
        (super::docs::DOCUMENT_MIME, t) if t.starts_with("text/plain") => {
            String::from_utf8(content.clone())
                .ok()
                .map(String::into_bytes)
        }
        (super::docs::DOCUMENT_MIME, _) if content.is_empty() => Some(content.clone()),
        (super::docs::DOCUMENT_MIME, _) => None,
        _ => Some(content.clone()),
    };
    let Some(content) = converted else {
        return api_error(
            400,
            "badContent",
            "The uploaded file could not be converted to a Google Docs document.",
            None,
        );
    };
    Json(drive.create(&name, &mime, parents, content).json()).into_response()
}

pub async fn get(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let (account, sees_all) = match drive_account(&shared, &headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let mut world = shared.lock();
    match world
        .google
        .drives
        .entry(account)
        .or_default()
        .files
        .iter()
        .find(|f| f.id == id && (sees_all || f.opened_by_app))
    {
        Some(f) => Json(f.json()).into_response(),
        None => api_error(404, "notFound", &format!("File not found: {id}."), None),
    }
}

/// POST /drive/v3/files/{id}/copy: a new file with the same content (name and parents from the body).
pub async fn copy(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (account, sees_all) = match drive_account(&shared, &headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let meta: Map<String, Value> = serde_json::from_slice(&body).unwrap_or_default();
    let mut world = shared.lock();
    let drive = world.google.drives.entry(account).or_default();
    let Some(source) = drive
        .files
        .iter()
        .find(|f| f.id == id && (sees_all || f.opened_by_app))
        .cloned()
    else {
        return api_error(404, "notFound", &format!("File not found: {id}."), None);
    };
    let name = meta
        .get("name")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or(format!("Copy of {}", source.name));
    let (_, _, parents) = metadata_fields(&meta);
    let parents = if parents.is_empty() {
        source.parents.clone()
    } else {
        parents
    };
    let copy = drive.create(&name, &source.mime_type, parents, source.content.clone());
    // A copied spreadsheet keeps its grid.
    if let Some(mut grid) = world.google.spreadsheets.get(&id).cloned() {
        grid.id = copy.id.clone();
        grid.title = copy.name.clone();
        world.google.spreadsheets.insert(copy.id.clone(), grid);
    }
    Json(copy.json()).into_response()
}

#[derive(Debug, Deserialize)]
pub struct UpdateParams {
    #[serde(default, rename = "addParents")]
    add_parents: Option<String>,
    #[serde(default, rename = "removeParents")]
    remove_parents: Option<String>,
}

/// PATCH /drive/v3/files/{id}: rename (`name` in the body), move (add/removeParents), trash.
pub async fn update(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(p): Query<UpdateParams>,
    body: Bytes,
) -> Response {
    let (account, sees_all) = match drive_account(&shared, &headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let meta: Map<String, Value> = serde_json::from_slice(&body).unwrap_or_default();
    let mut world = shared.lock();
    let drive = world.google.drives.entry(account).or_default();
    let Some(file) = drive
        .files
        .iter_mut()
        .find(|f| f.id == id && (sees_all || f.opened_by_app))
    else {
        return api_error(404, "notFound", &format!("File not found: {id}."), None);
    };
    if let Some(name) = meta.get("name").and_then(Value::as_str) {
        file.name = name.to_string();
    }
    if let Some(trashed) = meta.get("trashed").and_then(Value::as_bool) {
        file.trashed = trashed;
    }
    for remove in p.remove_parents.iter().flat_map(|r| r.split(',')) {
        file.parents.retain(|x| x != remove.trim());
    }
    for add in p.add_parents.iter().flat_map(|a| a.split(',')) {
        if !file.parents.iter().any(|x| x == add.trim()) {
            file.parents.push(add.trim().to_string());
        }
    }
    Json(file.json()).into_response()
}
