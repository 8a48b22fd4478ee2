//! Outbound webhooks (Settings → Webhooks): the endpoints the user points Cremmy at (Zapier, Make,
//! n8n, their own server) and the push log. Facts and sources: `../shared/notes/providers/
//! webhooks-out.md` (the Standard Webhooks specification 1.0.0).
//! - An endpoint is https, or http to this machine only (for testing); it subscribes to event
//!   kinds and receives only events recorded after it was made.
//! - Its signing secret (`whsec_…`, [`signing`]) is made here, shown once and kept in the OS
//!   keychain with the optional Authorization header; after a rotation the previous secret signs
//!   too for a day, so the receiver can switch over.
//! - Delivery is an outbox job per event and endpoint (`sync::webhook_jobs`); this module keeps
//!   the endpoints' rows and what the attempts leave on them: a 2xx resets the failure count,
//!   410 switches the endpoint off, and so do failures that last ([`DISABLE_AFTER`]).

pub mod payload;
pub mod signing;

use cremmy_protocol::crm::Id;
use cremmy_protocol::kinds::EventKind;
use cremmy_protocol::webhooks::{
    WebhookAttempt, WebhookEndpoint, WebhookEndpointInput, WebhookSecret,
};
use cremmy_protocol::ErrorCode;

use crate::accounts::keychain_tokens::TokenVault;
use crate::accounts::AccountsError;
use crate::clock::Timestamp;
use crate::db::Database;

/// How long the previous secret keeps signing after a rotation.
pub const ROTATION_OVERLAP_MS: i64 = 24 * 3_600_000;
/// An endpoint is switched off after this many failed attempts in a row that went on for at
/// least [`DISABLE_AFTER_MS`] (a short outage with many queued events does not switch it off).
pub const DISABLE_AFTER: i64 = 10;
pub const DISABLE_AFTER_MS: i64 = 24 * 3_600_000;
/// The longest Authorization header kept.
const MAX_AUTH_HEADER: usize = 4096;

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("Check the URL: {reason}.")]
    InvalidUrl { reason: &'static str },
    #[error("Choose at least one event for the endpoint to receive.")]
    NoEvents,
    #[error("Check the Authorization header: {reason}.")]
    InvalidAuthHeader { reason: &'static str },
    #[error("Webhook endpoint {id} does not exist (any more).")]
    NotFound { id: Id },
    #[error("The endpoint {url} is switched off ({reason}). Switch it on in Settings → Webhooks to send to it again.")]
    Disabled { url: String, reason: String },
    #[error("The signing secret of {url} is missing from the keychain. Rotate the secret in Settings → Webhooks and give the receiver the new one.")]
    SecretMissing { url: String },
    #[error("{url} answered 410 Gone: it asked for no more events, so Cremmy switched it off.")]
    Gone { url: String },
    #[error("{url} answered HTTP {status}. Cremmy tries again.")]
    Refused { url: String, status: u16 },
    #[error("{url} could not be reached ({source}). Cremmy tries again.")]
    Unreachable {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error(transparent)]
    Https(#[from] crate::http::HttpSetupError),
    #[error(transparent)]
    Keychain(#[from] AccountsError),
    #[error("{}", crate::db::describe(.0))]
    Db(#[from] sqlx::Error),
}

impl WebhookError {
    pub fn is_retryable(&self) -> bool {
        match self {
            WebhookError::Refused { .. } | WebhookError::Unreachable { .. } => true,
            WebhookError::Keychain(e) => e.is_retryable(),
            WebhookError::Db(e) => crate::db::is_busy(e),
            _ => false,
        }
    }

    /// The form was wrong; nothing was stored or sent.
    pub fn is_input_error(&self) -> bool {
        matches!(
            self,
            WebhookError::InvalidUrl { .. }
                | WebhookError::NoEvents
                | WebhookError::InvalidAuthHeader { .. }
        )
    }
}

impl crate::HasErrorCode for WebhookError {
    fn code(&self) -> ErrorCode {
        match self {
            WebhookError::InvalidUrl { .. }
            | WebhookError::NoEvents
            | WebhookError::InvalidAuthHeader { .. } => ErrorCode::InvalidInput,
            WebhookError::NotFound { .. } => ErrorCode::NotFound,
            WebhookError::Disabled { .. } => ErrorCode::Conflict,
            WebhookError::SecretMissing { .. } => ErrorCode::NotConfigured,
            WebhookError::Gone { .. }
            | WebhookError::Refused { .. }
            | WebhookError::Unreachable { .. } => ErrorCode::ProviderUnavailable,
            WebhookError::Keychain(e) => e.code(),
            WebhookError::Https(_) | WebhookError::Db(_) => ErrorCode::Internal,
        }
    }
}

pub type WebhookResult<T> = Result<T, WebhookError>;

/// An endpoint URL as Cremmy accepts it: https, or http to this machine (127.0.0.0/8, ::1,
/// localhost) for testing; no user name or password in it (the Authorization header is for
/// that, and it stays in the keychain).
pub fn check_url(text: &str) -> WebhookResult<url::Url> {
    let invalid = |reason| WebhookError::InvalidUrl { reason };
    if text.len() > 2000 {
        return Err(invalid("it is longer than 2,000 characters"));
    }
    let url = url::Url::parse(text.trim()).map_err(|_| invalid("it is not a web address"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "put credentials in the Authorization header, not in the URL",
        ));
    }
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Err(invalid("it has no host")),
    };
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        "http" => Err(invalid(
            "use https (http is accepted only to this machine, for testing)",
        )),
        _ => Err(invalid("it must start with https://")),
    }
}

fn check_input(input: &WebhookEndpointInput) -> WebhookResult<(String, Vec<EventKind>)> {
    let url = check_url(&input.url)?.to_string();
    let mut events: Vec<EventKind> = input
        .events
        .iter()
        .copied()
        .filter(|e| EventKind::subscribable().any(|s| s == *e))
        .collect();
    events.sort_by_key(|e| e.as_str());
    events.dedup();
    if events.is_empty() {
        return Err(WebhookError::NoEvents);
    }
    if let Some(header) = &input.auth_header {
        if header.len() > MAX_AUTH_HEADER {
            return Err(WebhookError::InvalidAuthHeader {
                reason: "it is longer than 4,096 characters",
            });
        }
        if header.chars().any(|c| c.is_control()) {
            return Err(WebhookError::InvalidAuthHeader {
                reason: "it has a line break or another control character",
            });
        }
    }
    Ok((url, events))
}

/// The keychain names of an endpoint's secrets.
pub fn secret_name(gid: &str, which: SecretSlot) -> String {
    let slot = match which {
        SecretSlot::Signing => "signing",
        SecretSlot::Previous => "previous",
        SecretSlot::Authorization => "authorization",
    };
    format!("webhooks/{gid}/{slot}")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretSlot {
    Signing,
    Previous,
    Authorization,
}

type EndpointRow = (
    Id,
    String,
    String,
    String,
    bool,
    bool,
    i64,
    Option<String>,
    Option<i64>,
    i64,
    i64,
);
const ENDPOINT_COLUMNS: &str = "id, gid, url, events, active, has_auth_header, consecutive_failures, disabled_reason, rotated_at, created_at, journal_from";

/// An endpoint with what delivery needs beside the window's view of it.
#[derive(Debug, Clone)]
pub struct StoredEndpoint {
    pub gid: String,
    /// It receives the journal's events after this one.
    pub journal_from: Id,
    pub endpoint: WebhookEndpoint,
}

fn endpoint_of(row: EndpointRow) -> StoredEndpoint {
    let (
        id,
        gid,
        url,
        events,
        active,
        has_auth_header,
        failures,
        reason,
        rotated_at,
        created_at,
        journal_from,
    ) = row;
    let events: Vec<String> = serde_json::from_str(&events).unwrap_or_default();
    StoredEndpoint {
        gid,
        journal_from,
        endpoint: WebhookEndpoint {
            id,
            url,
            events: events.iter().map(|e| EventKind::parse(e)).collect(),
            active,
            has_auth_header,
            consecutive_failures: failures,
            disabled_reason: reason,
            previous_secret_until: rotated_at.map(|at| at + ROTATION_OVERLAP_MS),
            created_at,
        },
    }
}

/// The endpoints, oldest first.
pub async fn endpoints(db: &Database) -> WebhookResult<Vec<StoredEndpoint>> {
    let rows: Vec<EndpointRow> = sqlx::query_as(&format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints ORDER BY id"
    ))
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(endpoint_of).collect())
}

pub async fn endpoint(db: &Database, id: Id) -> WebhookResult<StoredEndpoint> {
    let row: Option<EndpointRow> = sqlx::query_as(&format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = ?"
    ))
    .bind(id)
    .fetch_optional(db.writer())
    .await?;
    row.map(endpoint_of).ok_or(WebhookError::NotFound { id })
}

fn events_json(events: &[EventKind]) -> String {
    serde_json::to_string(&events.iter().map(|e| e.as_str()).collect::<Vec<_>>())
        .unwrap_or_else(|_| "[]".into())
}

/// Makes an endpoint: its secret goes to the keychain first, then the row is written; if the
/// row cannot be written the secrets are taken back out (nothing half-made stays).
pub async fn create(
    db: &Database,
    vault: &TokenVault,
    input: &WebhookEndpointInput,
    now: Timestamp,
) -> WebhookResult<WebhookSecret> {
    let (url, events) = check_input(input)?;
    let gid = format!("ep_{}", crate::crm::new_gid(now));
    let secret = signing::new_secret();
    vault
        .set_named(&secret_name(&gid, SecretSlot::Signing), &secret)
        .await?;
    let auth = input
        .auth_header
        .as_deref()
        .filter(|h| !h.trim().is_empty());
    if let Some(header) = auth {
        vault
            .set_named(&secret_name(&gid, SecretSlot::Authorization), header)
            .await?;
    }
    let written = sqlx::query_scalar::<_, Id>(
        "INSERT INTO webhook_endpoints (gid, url, events, active, has_auth_header, journal_from, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, (SELECT coalesce(max(id), 0) FROM event_journal), ?, ?) RETURNING id",
    )
    .bind(&gid)
    .bind(&url)
    .bind(events_json(&events))
    .bind(input.active)
    .bind(auth.is_some())
    .bind(now)
    .bind(now)
    .fetch_one(db.writer())
    .await;
    let id = match written {
        Ok(id) => id,
        Err(e) => {
            for slot in [SecretSlot::Signing, SecretSlot::Authorization] {
                let _ = vault.delete_named(&secret_name(&gid, slot)).await;
            }
            return Err(e.into());
        }
    };
    Ok(WebhookSecret {
        endpoint: endpoint(db, id).await?.endpoint,
        secret,
    })
}

/// Changes an endpoint. Switching it on clears why it was off and its failure count.
pub async fn update(
    db: &Database,
    vault: &TokenVault,
    id: Id,
    input: &WebhookEndpointInput,
    now: Timestamp,
) -> WebhookResult<WebhookEndpoint> {
    let (url, events) = check_input(input)?;
    let stored = endpoint(db, id).await?;
    let mut has_auth = stored.endpoint.has_auth_header;
    if let Some(header) = &input.auth_header {
        let name = secret_name(&stored.gid, SecretSlot::Authorization);
        if header.trim().is_empty() {
            vault.delete_named(&name).await?;
            has_auth = false;
        } else {
            vault.set_named(&name, header).await?;
            has_auth = true;
        }
    }
    sqlx::query(
        "UPDATE webhook_endpoints SET url = ?, events = ?, has_auth_header = ?, \
           consecutive_failures = CASE WHEN ? AND active = 0 THEN 0 ELSE consecutive_failures END, \
           failing_since = CASE WHEN ? AND active = 0 THEN NULL ELSE failing_since END, \
           disabled_reason = CASE WHEN ? THEN NULL ELSE disabled_reason END, \
           active = ?, updated_at = ? WHERE id = ?",
    )
    .bind(&url)
    .bind(events_json(&events))
    .bind(has_auth)
    .bind(input.active)
    .bind(input.active)
    .bind(input.active)
    .bind(input.active)
    .bind(now)
    .bind(id)
    .execute(db.writer())
    .await?;
    Ok(endpoint(db, id).await?.endpoint)
}

/// Deletes an endpoint, its push log and its secrets. Its queued deliveries find it gone.
pub async fn delete(db: &Database, vault: &TokenVault, id: Id) -> WebhookResult<()> {
    let stored = endpoint(db, id).await?;
    sqlx::query("DELETE FROM webhook_endpoints WHERE id = ?")
        .bind(id)
        .execute(db.writer())
        .await?;
    for slot in [
        SecretSlot::Signing,
        SecretSlot::Previous,
        SecretSlot::Authorization,
    ] {
        vault.delete_named(&secret_name(&stored.gid, slot)).await?;
    }
    Ok(())
}

/// A new signing secret; the old one keeps signing beside it for [`ROTATION_OVERLAP_MS`].
pub async fn rotate(
    db: &Database,
    vault: &TokenVault,
    id: Id,
    now: Timestamp,
) -> WebhookResult<WebhookSecret> {
    let stored = endpoint(db, id).await?;
    let signing = secret_name(&stored.gid, SecretSlot::Signing);
    if let Some(old) = vault.named(&signing).await? {
        vault
            .set_named(&secret_name(&stored.gid, SecretSlot::Previous), &old)
            .await?;
    }
    let secret = signing::new_secret();
    vault.set_named(&signing, &secret).await?;
    sqlx::query("UPDATE webhook_endpoints SET rotated_at = ?, updated_at = ? WHERE id = ?")
        .bind(now)
        .bind(now)
        .bind(id)
        .execute(db.writer())
        .await?;
    Ok(WebhookSecret {
        endpoint: endpoint(db, id).await?.endpoint,
        secret,
    })
}

/// The secrets that sign a delivery now: the current one, and the previous one during a
/// rotation's overlap.
pub async fn signing_secrets(
    vault: &TokenVault,
    stored: &StoredEndpoint,
    now: Timestamp,
) -> WebhookResult<Vec<String>> {
    let current = vault
        .named(&secret_name(&stored.gid, SecretSlot::Signing))
        .await?
        .ok_or_else(|| WebhookError::SecretMissing {
            url: stored.endpoint.url.clone(),
        })?;
    let mut secrets = vec![current];
    if stored
        .endpoint
        .previous_secret_until
        .is_some_and(|until| now < until)
    {
        if let Some(previous) = vault
            .named(&secret_name(&stored.gid, SecretSlot::Previous))
            .await?
        {
            secrets.push(previous);
        }
    }
    Ok(secrets)
}

/// What one attempt left on its endpoint: a success resets the failures; 410 switches it off;
/// a failure counts, and switches it off when failures have gone on long enough.
pub async fn record_outcome(
    db: &Database,
    id: Id,
    outcome: Outcome,
    now: Timestamp,
) -> WebhookResult<()> {
    match outcome {
        Outcome::Delivered => {
            sqlx::query(
                "UPDATE webhook_endpoints SET consecutive_failures = 0, failing_since = NULL WHERE id = ?",
            )
            .bind(id)
            .execute(db.writer())
            .await?;
        }
        Outcome::Gone => {
            sqlx::query(
                "UPDATE webhook_endpoints SET active = 0, disabled_reason = 'it answered 410 Gone', updated_at = ? WHERE id = ?",
            )
            .bind(now)
            .bind(id)
            .execute(db.writer())
            .await?;
        }
        Outcome::Failed => {
            sqlx::query(
                "UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1, \
                   failing_since = coalesce(failing_since, ?) WHERE id = ?",
            )
            .bind(now)
            .bind(id)
            .execute(db.writer())
            .await?;
            sqlx::query(
                "UPDATE webhook_endpoints SET active = 0, updated_at = ?, \
                   disabled_reason = consecutive_failures || ' failed deliveries in a row since ' || strftime('%Y-%m-%d %H:%M UTC', failing_since / 1000, 'unixepoch') \
                 WHERE id = ? AND active = 1 AND consecutive_failures >= ? AND ? - failing_since >= ?",
            )
            .bind(now)
            .bind(id)
            .bind(DISABLE_AFTER)
            .bind(now)
            .bind(DISABLE_AFTER_MS)
            .execute(db.writer())
            .await?;
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    Gone,
    Failed,
}

/// One attempt for the push log.
pub struct NewAttempt<'a> {
    pub endpoint_id: Id,
    pub event_id: Option<Id>,
    pub webhook_id: &'a str,
    pub event: EventKind,
    pub payload: &'a str,
    pub status: Option<u16>,
    pub response_excerpt: &'a str,
    pub duration_ms: i64,
    pub error: Option<&'a str>,
}

pub async fn log_attempt(db: &Database, a: &NewAttempt<'_>, now: Timestamp) -> WebhookResult<()> {
    sqlx::query(
        "INSERT INTO webhook_attempts (endpoint_id, event_id, webhook_id, event_kind, payload, status, response_excerpt, duration_ms, error, attempted_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(a.endpoint_id)
    .bind(a.event_id)
    .bind(a.webhook_id)
    .bind(a.event.as_str())
    .bind(a.payload)
    .bind(a.status.map(i64::from))
    .bind(a.response_excerpt)
    .bind(a.duration_ms)
    .bind(a.error)
    .bind(now)
    .execute(db.writer())
    .await?;
    Ok(())
}

type AttemptRow = (
    Id,
    Id,
    String,
    String,
    String,
    Option<i64>,
    String,
    i64,
    Option<String>,
    i64,
);

/// An endpoint's push log, newest first.
pub async fn attempts(
    db: &Database,
    endpoint_id: Id,
    limit: i64,
) -> WebhookResult<Vec<WebhookAttempt>> {
    let rows: Vec<AttemptRow> = sqlx::query_as(
        "SELECT id, endpoint_id, webhook_id, event_kind, payload, status, response_excerpt, duration_ms, error, attempted_at \
         FROM webhook_attempts WHERE endpoint_id = ? ORDER BY id DESC LIMIT ?",
    )
    .bind(endpoint_id)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(
                id,
                endpoint_id,
                webhook_id,
                event,
                payload,
                status,
                excerpt,
                duration_ms,
                error,
                at,
            )| {
                WebhookAttempt {
                    id,
                    endpoint_id,
                    webhook_id,
                    event: EventKind::parse(&event),
                    payload,
                    status: status.and_then(|s| u16::try_from(s).ok()),
                    response_excerpt: excerpt,
                    duration_ms,
                    error,
                    attempted_at: at,
                }
            },
        )
        .collect())
}
