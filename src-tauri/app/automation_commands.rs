//! Commands of Settings → Automation (rules, their history, the dry run) and Settings → Webhooks
//! (the endpoints, their secrets shown once, the push log, "Send test event" and "Redeliver").
//! One-liners like `commands.rs`.

use cremmy_core::HasErrorCode;
use cremmy_protocol::automation::{DryRun, Rule, RuleInput, RuleRun};
use cremmy_protocol::crm::Id;
use cremmy_protocol::webhooks::{
    WebhookAttempt, WebhookEndpoint, WebhookEndpointInput, WebhookSecret,
};
use cremmy_protocol::ApiError;
use tauri::State;

use crate::desktop::Backend;

type Reply<T> = Result<T, ApiError>;

fn api<E: HasErrorCode>(e: E) -> ApiError {
    e.to_api_error()
}

#[tauri::command]
pub async fn webhook_endpoints(b: State<'_, Backend>) -> Reply<Vec<WebhookEndpoint>> {
    b.opened()?.sync.webhook_endpoints().await.map_err(api)
}

/// The new endpoint and its signing secret (the only time the window sees it).
#[tauri::command]
pub async fn create_webhook_endpoint(
    b: State<'_, Backend>,
    input: WebhookEndpointInput,
) -> Reply<WebhookSecret> {
    b.opened()?
        .sync
        .create_webhook_endpoint(&input)
        .await
        .map_err(api)
}

#[tauri::command]
pub async fn update_webhook_endpoint(
    b: State<'_, Backend>,
    id: Id,
    input: WebhookEndpointInput,
) -> Reply<WebhookEndpoint> {
    b.opened()?
        .sync
        .update_webhook_endpoint(id, &input)
        .await
        .map_err(api)
}

#[tauri::command]
pub async fn delete_webhook_endpoint(b: State<'_, Backend>, id: Id) -> Reply<()> {
    b.opened()?
        .sync
        .delete_webhook_endpoint(id)
        .await
        .map_err(api)
}

#[tauri::command]
pub async fn rotate_webhook_secret(b: State<'_, Backend>, id: Id) -> Reply<WebhookSecret> {
    b.opened()?
        .sync
        .rotate_webhook_secret(id)
        .await
        .map_err(api)
}

#[tauri::command]
pub async fn webhook_attempts(
    b: State<'_, Backend>,
    endpoint_id: Id,
) -> Reply<Vec<WebhookAttempt>> {
    b.opened()?
        .sync
        .webhook_attempts(endpoint_id)
        .await
        .map_err(api)
}

/// "Send test event": the endpoint's HTTP status when it took it.
#[tauri::command]
pub async fn send_test_webhook(b: State<'_, Backend>, endpoint_id: Id) -> Reply<u16> {
    b.opened()?
        .sync
        .send_test_webhook(endpoint_id)
        .await
        .map(|d| d.status)
        .map_err(api)
}

/// "Redeliver" on a push-log row: the same event id and body again.
#[tauri::command]
pub async fn redeliver_webhook(b: State<'_, Backend>, attempt_id: Id) -> Reply<u16> {
    b.opened()?
        .sync
        .redeliver_webhook(attempt_id)
        .await
        .map(|d| d.status)
        .map_err(api)
}

#[tauri::command]
pub async fn automation_rules(b: State<'_, Backend>) -> Reply<Vec<Rule>> {
    b.opened()?.sync.automation_rules().await.map_err(api)
}

/// A new rule; it acts on events from now on.
#[tauri::command]
pub async fn create_rule(b: State<'_, Backend>, input: RuleInput) -> Reply<Rule> {
    b.opened()?.sync.create_rule(&input).await.map_err(api)
}

#[tauri::command]
pub async fn update_rule(b: State<'_, Backend>, id: Id, input: RuleInput) -> Reply<Rule> {
    b.opened()?.sync.update_rule(id, &input).await.map_err(api)
}

#[tauri::command]
pub async fn delete_rule(b: State<'_, Backend>, id: Id) -> Reply<()> {
    b.opened()?.sync.delete_rule(id).await.map_err(api)
}

/// The rule's history, newest first.
#[tauri::command]
pub async fn rule_runs(b: State<'_, Backend>, id: Id) -> Reply<Vec<RuleRun>> {
    b.opened()?.sync.rule_runs(id).await.map_err(api)
}

/// What the form's rule would have done over the last 30 days; writes nothing.
#[tauri::command]
pub async fn dry_run_rule(b: State<'_, Backend>, input: RuleInput) -> Reply<DryRun> {
    b.opened()?.sync.dry_run_rule(&input).await.map_err(api)
}
