//! Many messages' headers in one HTTP request, through Gmail's batch endpoint
//! (https://developers.google.com/workspace/gmail/api/guides/batch): a `multipart/mixed` body of
//! whole `messages.get` requests, answered by a `multipart/mixed` body of whole responses paired
//! by Content-ID (the calls may run in any order). Each call still costs its quota units, so the
//! pacer is charged per call; what a batch saves is round trips.
//!
//! A part that fails is not the batch's failure: a 404 means the message is gone; parts Google
//! asks to retry (429, 5xx, rate-limit 403) are sent again in a smaller batch after a backoff
//! honouring their `Retry-After`; anything else, or a part still failing when the backoff gives
//! up, is fetched alone through the call policy, which refreshes the token, retries and names the
//! error like every other call.

use std::collections::HashMap;
use std::time::Duration;

use google_gmail1::api::Message;

use super::gmail::{cost, headers_of, GmailMailbox, HEADERS};
use crate::backoff::{parse_retry_after, random_jitter, Backoff};
use crate::failure::SourceError;
use crate::features::mail::MailHeaders;

/// Calls per batch: Google allows 100 and advises "sending batches larger than 50 requests is not
/// recommended" (larger ones are likely to be rate limited).
pub const BATCH_CALLS: usize = 50;

const BOUNDARY: &str = "cremmy_batch_0b9e3f7d4a";

/// One part of a batch's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartAnswer {
    /// The request's Content-ID, without the `response-` Google puts before it.
    pub content_id: String,
    pub status: u16,
    pub retry_after: Option<Duration>,
    pub body: Vec<u8>,
}

/// The request body: one `GET target` per part, its Content-ID its index.
pub fn request_body(targets: &[String]) -> String {
    let mut body = String::new();
    for (n, target) in targets.iter().enumerate() {
        body.push_str(&format!(
            "--{BOUNDARY}\r\nContent-Type: application/http\r\nContent-ID: <{n}>\r\n\r\nGET {target}\r\n\r\n"
        ));
    }
    body.push_str(&format!("--{BOUNDARY}--\r\n"));
    body
}

pub fn request_content_type() -> String {
    format!("multipart/mixed; boundary={BOUNDARY}")
}

/// `(head, rest)` split at the first blank line (CRLF or LF).
fn split_head(text: &[u8]) -> Option<(&[u8], &[u8])> {
    for sep in [&b"\r\n\r\n"[..], &b"\n\n"[..]] {
        if let Some(at) = text.windows(sep.len()).position(|w| w == sep) {
            return Some((&text[..at], &text[at + sep.len()..]));
        }
    }
    None
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|at| at + from)
}

/// The parts of a batch's answer; `None` when it is not a multipart body this can read.
pub fn parse_answer(content_type: &str, body: &[u8]) -> Option<Vec<PartAnswer>> {
    let boundary = content_type.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_string())
    })?;
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let mut parts = Vec::new();
    let mut at = find(body, delimiter, 0)? + delimiter.len();
    loop {
        if body.get(at..at + 2) == Some(b"--") {
            return Some(parts);
        }
        let next = find(body, delimiter, at)?;
        let section = &body[at..next];
        at = next + delimiter.len();
        let section = section.strip_prefix(b"\r\n").unwrap_or(section);
        let (part_head, inner) = split_head(section)?;
        let part_head = std::str::from_utf8(part_head).ok()?;
        let content_id = part_head.lines().find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.trim().eq_ignore_ascii_case("content-id").then(|| {
                let v = v.trim().trim_matches(|c| c == '<' || c == '>');
                v.strip_prefix("response-").unwrap_or(v).to_string()
            })
        })?;
        let (inner_head, inner_body) = split_head(inner).unwrap_or((inner, b""));
        let inner_head = std::str::from_utf8(inner_head).ok()?;
        let mut lines = inner_head.lines();
        let status: u16 = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
        let retry_after = lines.find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case("retry-after")
                .then(|| parse_retry_after(v.trim()))
                .flatten()
        });
        let inner_body = inner_body
            .strip_suffix(b"\r\n")
            .or_else(|| inner_body.strip_suffix(b"\n"))
            .unwrap_or(inner_body);
        parts.push(PartAnswer {
            content_id,
            status,
            retry_after,
            body: inner_body.to_vec(),
        });
    }
}

/// What became of one message in a batch.
enum Outcome {
    Read(Option<MailHeaders>),
    /// Google asks for it again later (429, 5xx, rate-limit 403).
    Retry(Option<Duration>),
    /// Fetched alone, through the call policy.
    Alone,
}

fn outcome(part: Option<&PartAnswer>) -> Outcome {
    let Some(part) = part else {
        return Outcome::Alone;
    };
    // The same "slow down" the call policy retries (429, or 403 with a rate-limit reason); the
    // error body is read only for a part that failed.
    let rate_limited = || {
        let error: Option<serde_json::Value> = serde_json::from_slice(&part.body).ok();
        super::call::is_rate_limit(part.status, error.as_ref())
    };
    match part.status {
        200 => match serde_json::from_slice::<Message>(&part.body) {
            Ok(m) => Outcome::Read(headers_of(m)),
            Err(_) => Outcome::Alone,
        },
        404 => Outcome::Read(None),
        500.. => Outcome::Retry(part.retry_after),
        _ if rate_limited() => Outcome::Retry(part.retry_after),
        _ => Outcome::Alone,
    }
}

impl GmailMailbox {
    /// The headers of `ids` (at most [`BATCH_CALLS`]), in their order; `None` for a message
    /// deleted meanwhile.
    pub(super) async fn headers_batch(
        &self,
        ids: &[String],
    ) -> Result<Vec<Option<MailHeaders>>, SourceError> {
        let mut found: HashMap<&str, Option<MailHeaders>> = HashMap::new();
        let mut pending: Vec<&String> = ids.iter().collect();
        let mut alone: Vec<&String> = Vec::new();
        let mut failures = 0;
        while !pending.is_empty() {
            self.pace(cost::GET * pending.len() as u32).await;
            let targets: Vec<String> = pending.iter().map(|id| message_target(id)).collect();
            let url = format!("{}batch/gmail/v1", self.session().gmail_base());
            let (content_type, body) = self
                .session()
                .raw_call(
                    "gmail batch messages.get",
                    "POST",
                    &url,
                    &request_content_type(),
                    request_body(&targets).into_bytes(),
                )
                .await?;
            let parts = parse_answer(&content_type, &body).unwrap_or_default();
            let by_id: HashMap<&str, &PartAnswer> =
                parts.iter().map(|p| (p.content_id.as_str(), p)).collect();
            let mut again = Vec::new();
            let mut wait: Option<Duration> = None;
            for (n, id) in pending.iter().enumerate() {
                match outcome(by_id.get(n.to_string().as_str()).copied()) {
                    Outcome::Read(headers) => {
                        found.insert(id.as_str(), headers);
                    }
                    Outcome::Retry(after) => {
                        wait = wait.max(after);
                        again.push(*id);
                    }
                    Outcome::Alone => alone.push(id),
                }
            }
            if again.is_empty() {
                break;
            }
            failures += 1;
            match Backoff::PROVIDER_CALL.delay(failures, wait, random_jitter()) {
                Some(pause) => {
                    tokio::time::sleep(pause).await;
                    pending = again;
                }
                None => {
                    alone.extend(again);
                    break;
                }
            }
        }
        for id in alone {
            let headers = self.headers_alone(id).await?;
            found.insert(id.as_str(), headers);
        }
        Ok(ids
            .iter()
            .map(|id| found.remove(id.as_str()).flatten())
            .collect())
    }
}

/// The `messages.get` of one message with only the headers Cremmy reads.
fn message_target(id: &str) -> String {
    let mut target = format!(
        "/gmail/v1/users/me/messages/{}?format=metadata",
        url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>()
    );
    for h in HEADERS {
        target.push_str("&metadataHeaders=");
        target.push_str(h);
    }
    target
}
