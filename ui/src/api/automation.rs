//! The typed calls of Settings → Automation and Settings → Webhooks. Part of `api` (same rules: every call returns
//! `Result<T, ApiError>`).

use cremmy_protocol::automation::{DryRun, Rule, RuleInput, RuleRun};
use cremmy_protocol::commands as cmd;
use cremmy_protocol::crm::Id;
use cremmy_protocol::webhooks::{
    WebhookAttempt, WebhookEndpoint, WebhookEndpointInput, WebhookSecret,
};
use serde::Serialize;

use super::{call, IdArg, InputArg, NoArgs, Reply};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EndpointArg {
    endpoint_id: Id,
}

pub async fn webhook_endpoints() -> Reply<Vec<WebhookEndpoint>> {
    call(cmd::WEBHOOK_ENDPOINTS, &NoArgs {}).await
}
/// The new endpoint and its signing secret, shown this once.
pub async fn create_webhook_endpoint(input: WebhookEndpointInput) -> Reply<WebhookSecret> {
    call(cmd::CREATE_WEBHOOK_ENDPOINT, &InputArg { input: &input }).await
}
pub async fn update_webhook_endpoint(
    id: Id,
    input: WebhookEndpointInput,
) -> Reply<WebhookEndpoint> {
    #[derive(Serialize)]
    struct A<'a> {
        id: Id,
        input: &'a WebhookEndpointInput,
    }
    call(cmd::UPDATE_WEBHOOK_ENDPOINT, &A { id, input: &input }).await
}
pub async fn delete_webhook_endpoint(id: Id) -> Reply<()> {
    call(cmd::DELETE_WEBHOOK_ENDPOINT, &IdArg { id }).await
}
pub async fn rotate_webhook_secret(id: Id) -> Reply<WebhookSecret> {
    call(cmd::ROTATE_WEBHOOK_SECRET, &IdArg { id }).await
}
/// The endpoint's push log, newest first.
pub async fn webhook_attempts(endpoint_id: Id) -> Reply<Vec<WebhookAttempt>> {
    call(cmd::WEBHOOK_ATTEMPTS, &EndpointArg { endpoint_id }).await
}
/// The endpoint's HTTP status when it took the test event.
pub async fn send_test_webhook(endpoint_id: Id) -> Reply<u16> {
    call(cmd::SEND_TEST_WEBHOOK, &EndpointArg { endpoint_id }).await
}
pub async fn redeliver_webhook(attempt_id: Id) -> Reply<u16> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct A {
        attempt_id: Id,
    }
    call(cmd::REDELIVER_WEBHOOK, &A { attempt_id }).await
}

pub async fn automation_rules() -> Reply<Vec<Rule>> {
    call(cmd::AUTOMATION_RULES, &NoArgs {}).await
}
pub async fn create_rule(input: RuleInput) -> Reply<Rule> {
    call(cmd::CREATE_RULE, &InputArg { input: &input }).await
}
pub async fn update_rule(id: Id, input: RuleInput) -> Reply<Rule> {
    #[derive(Serialize)]
    struct A<'a> {
        id: Id,
        input: &'a RuleInput,
    }
    call(cmd::UPDATE_RULE, &A { id, input: &input }).await
}
pub async fn delete_rule(id: Id) -> Reply<()> {
    call(cmd::DELETE_RULE, &IdArg { id }).await
}
/// The rule's history, newest first.
pub async fn rule_runs(id: Id) -> Reply<Vec<RuleRun>> {
    call(cmd::RULE_RUNS, &IdArg { id }).await
}
/// What the form's rule would have done over the last 30 days (writes nothing).
pub async fn dry_run_rule(input: RuleInput) -> Reply<DryRun> {
    call(cmd::DRY_RUN_RULE, &InputArg { input: &input }).await
}
