//! Google's upload protocol, shared by Gmail and Drive: `uploadType=multipart` bodies are
//! `multipart/related` with JSON metadata then the media; a JSON body is metadata only; any
//! other body is the media alone.

use axum::http::{header, HeaderMap};
use serde_json::{Map, Value};

#[derive(Debug, Default)]
pub struct Upload {
    pub metadata: Map<String, Value>,
    pub media: Option<Vec<u8>>,
    /// The media's own Content-Type (the part's, or the body's for a media-only upload).
    pub media_type: String,
}

pub fn split(headers: &HeaderMap, body: &[u8]) -> Result<Upload, String> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with("application/json") || (content_type.is_empty() && body.is_empty())
    {
        let metadata = if body.is_empty() {
            Map::new()
        } else {
            serde_json::from_slice(body).map_err(|e| format!("bad metadata JSON: {e}"))?
        };
        return Ok(Upload {
            metadata,
            media: None,
            media_type: String::new(),
        });
    }
    if !content_type.starts_with("multipart/") {
        return Ok(Upload {
            metadata: Map::new(),
            media: Some(body.to_vec()),
            media_type: content_type.to_string(),
        });
    }
    let boundary = content_type
        .split(';')
        .filter_map(|p| p.trim().strip_prefix("boundary="))
        .next()
        .map(|b| b.trim_matches('"').to_string())
        .ok_or("multipart upload without a boundary")?;
    // Parse the body as a MIME entity with its own Content-Type, as the client framed it.
    let mut framed =
        format!("Content-Type: multipart/related; boundary=\"{boundary}\"\r\n\r\n").into_bytes();
    framed.extend_from_slice(body);
    let parsed = mailparse::parse_mail(&framed).map_err(|e| format!("bad multipart body: {e}"))?;
    let mut upload = Upload::default();
    for part in &parsed.subparts {
        let raw = part.get_body_raw().map_err(|e| e.to_string())?;
        if part.ctype.mimetype.eq_ignore_ascii_case("application/json") {
            upload.metadata =
                serde_json::from_slice(&raw).map_err(|e| format!("bad metadata JSON: {e}"))?;
        } else {
            upload.media = Some(raw);
            upload.media_type = part.ctype.mimetype.to_ascii_lowercase();
        }
    }
    Ok(upload)
}
