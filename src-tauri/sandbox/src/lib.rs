//! `cremmy-sandbox`: a local HTTP server that speaks the providers' wire formats (paths, JSON
//! shapes, OAuth, errors with Retry-After), keeps state in memory, injects faults and logs every
//! request. Tests start it in-process on an ephemeral loopback port; people run the binary.
//! It binds loopback addresses only.

pub mod control;
pub mod faults;
pub mod google;
pub mod hubspot;
pub mod log;
pub mod microsoft;
mod oauth_wire;
pub mod pipedrive;
pub mod quickbooks;
pub mod seed;
pub mod state;
pub mod stripe;
pub mod twilio;
mod upload;
pub mod webhooks;
mod wire;
pub mod xero;

use std::net::SocketAddr;

use axum::routing::{get, post};
use axum::Router;
use tokio::net::TcpListener;

pub use state::Shared;
pub use wire::{
    days_from_civil, rfc2822_date, rfc3339, unix_nanos, unix_secs, urldecode, urlencode,
};

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("the sandbox binds loopback addresses only (127.0.0.0/8 or ::1), not {0}")]
    NotLoopback(SocketAddr),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A running sandbox. Dropping it stops the server.
pub struct Sandbox {
    pub addr: SocketAddr,
    pub shared: Shared,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Sandbox {
    /// Starts on `addr` (port 0 = any free port) in the current tokio runtime.
    pub async fn start(addr: SocketAddr) -> Result<Sandbox, SandboxError> {
        if !addr.ip().is_loopback() {
            return Err(SandboxError::NotLoopback(addr));
        }
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| SandboxError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| SandboxError::Bind { addr, source })?;
        let shared = Shared::default();
        let app = router(shared.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(Sandbox {
            addr,
            shared,
            stop: Some(stop),
        })
    }

    /// The origin every provider is served on, ending in `/` (what `CREMMY_<PROVIDER>_BASE_URL` takes).
    pub fn base_url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The environment lines that point Cremmy at this sandbox: one per provider it serves, and no
    /// other (a provider it does not speak would only answer 404).
    pub fn env_lines(&self) -> Vec<String> {
        SERVED
            .iter()
            .map(|p| format!("CREMMY_{p}_BASE_URL={}", self.base_url()))
            .collect()
    }
}

/// The providers this sandbox speaks, as in `CREMMY_<PROVIDER>_BASE_URL`.
pub const SERVED: &[&str] = &[
    "GOOGLE",
    "TWILIO",
    "STRIPE",
    "XERO",
    "QUICKBOOKS",
    "MICROSOFT",
    "HUBSPOT",
    "PIPEDRIVE",
];

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Every route: the providers' paths, then the sandbox's own controls under `/_sandbox/`.
pub fn router(shared: Shared) -> Router {
    use google::{calendar, docs, drive, gmail, gmail_history, gmail_write, oauth, sheets_api};
    Router::new()
        // Google OAuth (accounts.google.com / oauth2.googleapis.com in production).
        .route("/o/oauth2/v2/auth", get(oauth::authorize))
        .route("/token", post(oauth::token))
        .route("/revoke", post(oauth::revoke))
        .route("/v1/userinfo", get(oauth::userinfo))
        // Gmail (and its batch endpoint, whose parts come back through this router).
        .route("/batch/gmail/v1", post(google::batch::batch))
        .route("/gmail/v1/users/{user}/profile", get(gmail::profile))
        .route("/gmail/v1/users/{user}/messages", get(gmail::list_messages))
        .route(
            "/gmail/v1/users/{user}/messages/{id}",
            get(gmail::get_message),
        )
        .route(
            "/gmail/v1/users/{user}/history",
            get(gmail_history::history),
        )
        .route(
            "/gmail/v1/users/{user}/messages/{id}/trash",
            post(gmail_history::trash),
        )
        .route(
            "/gmail/v1/users/{user}/messages/{id}/untrash",
            post(gmail_history::untrash),
        )
        .route(
            "/gmail/v1/users/{user}/drafts/send",
            post(gmail_history::send_draft),
        )
        .route(
            "/gmail/v1/users/{user}/threads/{id}",
            get(gmail_write::get_thread),
        )
        .route(
            "/upload/gmail/v1/users/{user}/messages/send",
            post(gmail_write::send),
        )
        .route(
            "/upload/gmail/v1/users/{user}/drafts",
            post(gmail_write::create_draft),
        )
        .route(
            "/gmail/v1/users/{user}/drafts",
            get(gmail_write::list_drafts),
        )
        // Calendar.
        .route(
            "/calendar/v3/calendars/{calendar}/events",
            get(calendar::list).post(calendar::insert),
        )
        .route(
            "/calendar/v3/calendars/{calendar}/events/{id}",
            get(calendar::get)
                .patch(calendar::patch)
                .delete(calendar::delete),
        )
        // Drive.
        .route("/drive/v3/files", get(drive::list).post(drive::create))
        .route("/upload/drive/v3/files", post(drive::create))
        .route("/drive/v3/files/{id}", get(drive::get).patch(drive::update))
        .route("/drive/v3/files/{id}/copy", post(drive::copy))
        // Docs.
        .route("/v1/documents", post(docs::create))
        .route(
            "/v1/documents/{id}",
            get(docs::get).post(docs::batch_update),
        )
        // Sheets.
        .route("/v4/spreadsheets", post(sheets_api::create))
        .route(
            "/v4/spreadsheets/{id}",
            get(sheets_api::get).post(sheets_api::batch_update),
        )
        .route(
            "/v4/spreadsheets/{id}/values/{range}",
            get(sheets_api::values_get)
                .put(sheets_api::values_update)
                .post(sheets_api::values_append_or_clear),
        )
        .route(
            "/v4/spreadsheets/{id}/values:batchGet",
            get(sheets_api::values_batch_get),
        )
        .route(
            "/v4/spreadsheets/{id}/values:batchUpdate",
            post(sheets_api::values_batch_update),
        )
        .merge(twilio::routes())
        .merge(stripe::routes())
        .merge(xero::routes())
        .merge(quickbooks::routes())
        .merge(microsoft::routes())
        .merge(hubspot::routes())
        .merge(pipedrive::routes())
        .merge(webhooks::routes())
        .merge(control::routes())
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            microsoft::mailbox_concurrency,
        ))
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            control::record_and_inject,
        ))
        .with_state(shared)
}
