//! The sandbox's own controls under `/_sandbox/` (settings, seeding, injected mail and events, faults, the
//! request log, counters, reset), and the middleware that logs every request and injects faults.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::faults::{Fault, FaultRule};
use crate::google::errors::{api_error, default_message, default_reason};
use crate::google::gmail::NewMessage;
use crate::seed::SeedBody;
use crate::state::{GoogleSettings, Shared};

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/_sandbox/reset", post(reset))
        .route("/_sandbox/log", get(log))
        .route("/_sandbox/counters", get(counters))
        .route("/_sandbox/faults", post(set_faults))
        .route("/_sandbox/faults", delete(clear_faults))
        .route(
            "/_sandbox/google/settings",
            get(google_settings).post(set_google_settings),
        )
        .route("/_sandbox/google/seed", post(seed))
        .route("/_sandbox/google/messages", post(inject_message))
        .route("/_sandbox/google/history/trim", post(trim_history))
        .route("/_sandbox/google/tokens/expire", post(expire_tokens))
        .route("/_sandbox/google/grants/revoke", post(revoke_grants))
        .route("/_sandbox/google/calendar/events", post(inject_event))
        .route("/_sandbox/google/drive/trash", post(trash_file))
        .route(
            "/_sandbox/google/calendar/sync-tokens/invalidate",
            post(invalidate_sync_tokens),
        )
}

/// Logs the request and its answer; applies the first matching fault rule (not to `/_sandbox/`).
pub async fn record_and_inject(
    State(shared): State<Shared>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_string();
    let query = request.uri().query().unwrap_or("").to_string();
    if path.starts_with("/_sandbox/") {
        return next.run(request).await;
    }
    let fault = shared.lock().faults.take(&method, &path);
    let (response, label) = match fault {
        None => (next.run(request).await, None),
        Some(Fault::Delay { ms }) => {
            // Logged before waiting (status 0: not answered yet): a client that gives up first
            // closes the connection, and this handler is dropped with it.
            shared
                .lock()
                .log
                .record(&method, &path, &query, 0, Some(format!("delay {ms}ms")));
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            return next.run(request).await;
        }
        Some(Fault::Status {
            status,
            retry_after_secs,
            reason,
        }) => {
            let reason = reason.unwrap_or_else(|| default_reason(status).to_string());
            let answer = if path.starts_with(crate::twilio::API) {
                crate::twilio::fault_error(status, retry_after_secs)
            } else if crate::stripe::is_stripe_path(&path) {
                crate::stripe::fault_error(status, retry_after_secs)
            } else if crate::xero::is_xero_path(&path) {
                crate::xero::fault_error(status, retry_after_secs)
            } else if crate::quickbooks::is_quickbooks_path(&path) {
                crate::quickbooks::fault_error(status, retry_after_secs)
            } else if crate::microsoft::is_microsoft_path(&path) {
                crate::microsoft::fault_error(status, retry_after_secs)
            } else if crate::hubspot::is_hubspot_path(&path) {
                crate::hubspot::fault_error(status, retry_after_secs)
            } else if crate::pipedrive::is_pipedrive_path(&path) {
                crate::pipedrive::fault_error(status, retry_after_secs)
            } else {
                api_error(status, &reason, default_message(status), retry_after_secs)
            };
            (answer, Some(format!("status {status}")))
        }
        Some(Fault::MalformedJson) => {
            let body = Body::from("{\"error\": {\"code\": 200, \"message\": \"truncated");
            (
                ([("content-type", "application/json; charset=UTF-8")], body).into_response(),
                Some("malformed json".to_string()),
            )
        }
        Some(Fault::Oversized { bytes }) => {
            let padding = "x".repeat(bytes.saturating_sub(15));
            let body = Body::from(format!("{{\"padding\": \"{padding}\"}}"));
            (
                ([("content-type", "application/json; charset=UTF-8")], body).into_response(),
                Some(format!("oversized {bytes} bytes")),
            )
        }
        Some(Fault::Drop) => {
            shared
                .lock()
                .log
                .record(&method, &path, &query, 0, Some("dropped connection".into()));
            // Panicking in the connection's task closes it without an answer, as a network cut would.
            panic!("sandbox: dropping the connection for {method} {path} as a fault rule asked");
        }
    };
    shared
        .lock()
        .log
        .record(&method, &path, &query, response.status().as_u16(), label);
    response
}

async fn reset(State(shared): State<Shared>) -> Json<serde_json::Value> {
    *shared.lock() = Default::default();
    Json(json!({ "reset": true }))
}

async fn log(State(shared): State<Shared>) -> Json<serde_json::Value> {
    Json(json!({ "requests": shared.lock().log.entries }))
}

async fn counters(State(shared): State<Shared>) -> Json<serde_json::Value> {
    Json(json!(shared.lock().log.counters))
}

#[derive(Deserialize)]
struct FaultsBody {
    rules: Vec<FaultRule>,
    #[serde(default)]
    seed: u64,
}

async fn set_faults(
    State(shared): State<Shared>,
    Json(body): Json<FaultsBody>,
) -> Json<serde_json::Value> {
    let n = body.rules.len();
    shared.lock().faults.set(body.rules, body.seed);
    Json(json!({ "rules": n }))
}

async fn clear_faults(State(shared): State<Shared>) -> Json<serde_json::Value> {
    shared.lock().faults.clear();
    Json(json!({ "rules": 0 }))
}

async fn google_settings(State(shared): State<Shared>) -> Json<GoogleSettings> {
    Json(shared.lock().google.settings.clone())
}

async fn set_google_settings(
    State(shared): State<Shared>,
    Json(settings): Json<GoogleSettings>,
) -> Json<GoogleSettings> {
    shared.lock().google.settings = settings.clone();
    Json(settings)
}

/// Fills mailboxes, calendars and a lead sheet deterministically (see [`crate::seed`]).
async fn seed(State(shared): State<Shared>, Json(body): Json<SeedBody>) -> Response {
    match crate::seed::seed(&mut shared.lock(), &body) {
        Ok(summary) => Json(summary).into_response(),
        Err(e) => api_error(400, "badRequest", &e, None),
    }
}

#[derive(Deserialize)]
struct InjectBody {
    #[serde(default)]
    account: Option<String>,
    #[serde(flatten)]
    message: NewMessage,
}

/// Delivers a message "now" (it appears in messages.list and as a new history record).
async fn inject_message(
    State(shared): State<Shared>,
    Json(body): Json<InjectBody>,
) -> Json<serde_json::Value> {
    let mut world = shared.lock();
    let account = body
        .account
        .unwrap_or_else(|| world.google.settings.account.clone());
    let m = world.google.mailbox(&account).add(&account, body.message);
    Json(
        json!({ "id": m.id, "threadId": m.thread_id, "historyId": m.history_id.to_string(), "messageId": m.header("Message-ID") }),
    )
}

#[derive(Deserialize)]
struct TrimBody {
    #[serde(default)]
    account: Option<String>,
    keep_from: u64,
}

/// Forgets mail history older than `keep_from`, so older startHistoryIds answer 404.
async fn trim_history(
    State(shared): State<Shared>,
    Json(body): Json<TrimBody>,
) -> Json<serde_json::Value> {
    let mut world = shared.lock();
    let account = body
        .account
        .unwrap_or_else(|| world.google.settings.account.clone());
    world.google.mailbox(&account).trim_history(body.keep_from);
    Json(json!({ "historyFloor": body.keep_from }))
}

/// Makes every issued access token expired now (refresh tokens keep working).
async fn expire_tokens(State(shared): State<Shared>) -> Json<serde_json::Value> {
    let mut world = shared.lock();
    for token in world.google.access_tokens.values_mut() {
        token.expires_at = 0;
    }
    Json(json!({ "expired": world.google.access_tokens.len() }))
}

/// Revokes every grant, as a user removing the app's access in their Google account would:
/// refresh then fails with `invalid_grant`, access tokens with 401.
async fn revoke_grants(State(shared): State<Shared>) -> Json<serde_json::Value> {
    let mut world = shared.lock();
    let n = world.google.refresh_tokens.len();
    world.google.refresh_tokens.clear();
    world.google.access_tokens.clear();
    Json(json!({ "revoked": n }))
}

#[derive(Deserialize)]
struct InjectEvent {
    #[serde(default)]
    account: Option<String>,
    /// The event as Calendar's JSON (summary, start, end, attendees…).
    event: serde_json::Map<String, serde_json::Value>,
}

/// Puts an event on an account's primary calendar "now", as if someone invited them.
async fn inject_event(
    State(shared): State<Shared>,
    Json(body): Json<InjectEvent>,
) -> Json<serde_json::Value> {
    let mut world = shared.lock();
    let account = body
        .account
        .unwrap_or_else(|| world.google.settings.account.clone());
    let stored = world
        .google
        .calendars
        .entry(account)
        .or_default()
        .insert(body.event);
    Json(serde_json::Value::Object(stored))
}

/// Makes every sync token issued so far invalid: the next incremental list answers 410 Gone.
async fn invalidate_sync_tokens(State(shared): State<Shared>) -> Json<serde_json::Value> {
    let mut world = shared.lock();
    for cal in world.google.calendars.values_mut() {
        cal.change_counter += 1;
        cal.token_floor = cal.change_counter;
    }
    Json(json!({ "invalidated": true }))
}

#[derive(Deserialize)]
struct TrashBody {
    id: String,
}

/// Moves a file to the trash, as the user would in Drive (Sheets still answers for a trashed
/// spreadsheet, as Google's does).
async fn trash_file(State(shared): State<Shared>, Json(body): Json<TrashBody>) -> Response {
    let mut world = shared.lock();
    for drive in world.google.drives.values_mut() {
        if let Some(file) = drive.files.iter_mut().find(|f| f.id == body.id) {
            file.trashed = true;
            return Json(json!({ "id": body.id, "trashed": true })).into_response();
        }
    }
    api_error(404, "notFound", "File not found.", None)
}
