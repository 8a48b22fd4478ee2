//! Outbound webhooks through the outbox. The event journal (filled by the database's triggers in
//! the transactions that made the events) is handed over in order: each event becomes one job per
//! subscribed endpoint, keyed by both, so handing it over again after a crash adds nothing; then
//! the event is marked handed over. A job is one signed POST (Standard Webhooks headers, the same
//! `webhook-id` and body on every attempt, a fresh `webhook-timestamp`), logged as a run and in
//! the endpoint's push log; 429/5xx, other failures and timeouts retry with backoff and jitter for
//! about three days ([`DELIVERY_ATTEMPTS`]), honouring `Retry-After`; redirects are not followed.

use std::time::{Duration, Instant};

use cremmy_protocol::crm::Id;
use cremmy_protocol::kinds::{EventKind, Integration, JobKind, RunKind};
use cremmy_protocol::webhooks::{
    WebhookAttempt, WebhookEndpoint, WebhookEndpointInput, WebhookSecret,
};
use serde::{Deserialize, Serialize};

use super::log::{RunOutcome, RunSpec};
use super::outbox::{JobRun, OutboxJob};
use super::{SyncResult, SyncRunner};
use crate::features::event_journal::{JournalEvent, JOURNAL_COLUMNS};
use crate::features::webhooks::payload;
use crate::features::webhooks::{self as hooks, signing, Outcome, WebhookError};

/// 30 s, 1, 2 … 32 min, then hourly: 80 attempts span about three days.
pub const DELIVERY_ATTEMPTS: u32 = 80;
/// How long an endpoint has to answer.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(15);
/// How much of an answer the push log keeps.
const EXCERPT_BYTES: usize = 512;
/// Events handed over per statement.
const BATCH: i64 = 200;

/// One event (or a test) for one endpoint; the body is fixed when the job is made.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct WebhookJob {
    pub endpoint_id: Id,
    pub event_id: Option<Id>,
    pub webhook_id: String,
    pub event: EventKind,
    pub body: String,
}

/// What a delivery that worked got back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Delivered {
    pub status: u16,
}

impl OutboxJob for WebhookJob {
    const KIND: JobKind = JobKind::WebhookDelivery;
    type Done = Delivered;

    async fn run(&self, runner: &SyncRunner, job: &mut JobRun) -> SyncResult<Delivered> {
        let spec = RunSpec {
            account_id: None,
            integration: Integration::Webhooks,
            kind: RunKind::Deliver,
            trigger: job.trigger,
        };
        let (_, result) = runner
            .logged(spec, async {
                let result = self.attempt(runner, job).await;
                let outcome = RunOutcome::of_job(&result, 1);
                (result, outcome)
            })
            .await?;
        Ok(result?)
    }
}

impl WebhookJob {
    async fn attempt(
        &self,
        runner: &SyncRunner,
        job: &mut JobRun,
    ) -> Result<Delivered, WebhookError> {
        let stored = hooks::endpoint(&runner.db, self.endpoint_id).await?;
        let endpoint = &stored.endpoint;
        if !endpoint.active {
            return Err(WebhookError::Disabled {
                url: endpoint.url.clone(),
                reason: endpoint
                    .disabled_reason
                    .clone()
                    .unwrap_or_else(|| "switched off".into()),
            });
        }
        let now = runner.clock.now();
        let vault = runner.providers.accounts().vault();
        let secrets = hooks::signing_secrets(vault, &stored, now).await?;
        let auth = if endpoint.has_auth_header {
            vault
                .named(&hooks::secret_name(
                    &stored.gid,
                    hooks::SecretSlot::Authorization,
                ))
                .await?
        } else {
            None
        };
        let timestamp = now.div_euclid(1000);
        let signature =
            signing::signature_header(&secrets, &self.webhook_id, timestamp, &self.body);
        let http = crate::http::client()?;
        let mut request = http
            .post(&endpoint.url)
            .timeout(DELIVERY_TIMEOUT)
            .header("content-type", "application/json")
            .header("webhook-id", &self.webhook_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(self.body.clone());
        if let Some(auth) = &auth {
            request = request.header("authorization", auth);
        }
        let started = Instant::now();
        let answer = request.send().await;
        let (status, excerpt, retry_after, error) = match answer {
            Ok(r) => {
                let status = r.status().as_u16();
                let retry_after = r
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(crate::backoff::parse_retry_after);
                let bytes = r.bytes().await.unwrap_or_default();
                let cut = &bytes[..bytes.len().min(EXCERPT_BYTES)];
                (
                    Some(status),
                    String::from_utf8_lossy(cut).into_owned(),
                    retry_after,
                    None,
                )
            }
            Err(e) => (None, String::new(), None, Some(e)),
        };
        let duration_ms = started.elapsed().as_millis() as i64;
        let result = match (status, error) {
            (Some(s), _) if (200..300).contains(&s) => Ok(Delivered { status: s }),
            (Some(410), _) => Err(WebhookError::Gone {
                url: endpoint.url.clone(),
            }),
            (Some(s), _) => Err(WebhookError::Refused {
                url: endpoint.url.clone(),
                status: s,
            }),
            (None, Some(source)) => Err(WebhookError::Unreachable {
                url: endpoint.url.clone(),
                source,
            }),
            (None, None) => unreachable!("an answer or an error"),
        };
        job.retry_after = retry_after;
        let message = result.as_ref().err().map(ToString::to_string);
        let attempt = hooks::NewAttempt {
            endpoint_id: endpoint.id,
            event_id: self.event_id,
            webhook_id: &self.webhook_id,
            event: self.event,
            payload: &self.body,
            status,
            response_excerpt: &excerpt,
            duration_ms,
            error: message.as_deref(),
        };
        hooks::log_attempt(&runner.db, &attempt, now).await?;
        let outcome = match &result {
            Ok(_) => Outcome::Delivered,
            Err(WebhookError::Gone { .. }) => Outcome::Gone,
            Err(_) => Outcome::Failed,
        };
        hooks::record_outcome(&runner.db, endpoint.id, outcome, now).await?;
        result
    }
}

impl SyncRunner {
    /// Hands the journal's new events to the endpoints subscribed to them and starts their
    /// deliveries in the background. Returns the deliveries started (to wait for, in tests and
    /// `cremmy sync --once`).
    pub async fn dispatch_events(
        &self,
    ) -> SyncResult<Vec<tokio::task::JoinHandle<SyncResult<Delivered>>>> {
        let mut started = Vec::new();
        let listening = hooks::endpoints(&self.db)
            .await?
            .iter()
            .any(|e| e.endpoint.active);
        if !listening {
            // Nobody to hand events to: they are handed over as they stand (an endpoint made
            // later starts after them anyway).
            sqlx::query("UPDATE event_journal SET dispatched_at = ? WHERE dispatched_at IS NULL")
                .bind(self.clock.now())
                .execute(self.db.writer())
                .await?;
            return Ok(started);
        }
        loop {
            let events: Vec<JournalEvent> = sqlx::query_as(&format!(
                "SELECT {JOURNAL_COLUMNS} FROM event_journal WHERE dispatched_at IS NULL ORDER BY id LIMIT ?"
            ))
            .bind(BATCH)
            .fetch_all(self.db.writer())
            .await?;
            let Some(last) = events.last().map(|e| e.id) else {
                return Ok(started);
            };
            let endpoints: Vec<_> = hooks::endpoints(&self.db)
                .await?
                .into_iter()
                .filter(|s| s.endpoint.active)
                .collect();
            for event in &events {
                let kind = event.kind();
                let to: Vec<&WebhookEndpoint> = endpoints
                    .iter()
                    .filter(|s| s.endpoint.events.contains(&kind) && event.id > s.journal_from)
                    .map(|s| &s.endpoint)
                    .collect();
                if to.is_empty() {
                    continue;
                }
                let body = payload::build(self.db.pool(), event).await?;
                for endpoint in to {
                    let job = WebhookJob {
                        endpoint_id: endpoint.id,
                        event_id: Some(event.id),
                        webhook_id: event.gid.clone(),
                        event: kind,
                        body: body.clone(),
                    };
                    started.extend(self.deliver(job, &endpoint.url).await);
                }
            }
            sqlx::query(
                "UPDATE event_journal SET dispatched_at = ? WHERE dispatched_at IS NULL AND id <= ?",
            )
            .bind(self.clock.now())
            .bind(last)
            .execute(self.db.writer())
            .await?;
        }
    }

    /// Queues one delivery (a second call for the same event and endpoint adds nothing) and
    /// starts it now.
    async fn deliver(
        &self,
        job: WebhookJob,
        url: &str,
    ) -> Option<tokio::task::JoinHandle<SyncResult<Delivered>>> {
        let key = format!("webhook:{}:{}", job.webhook_id, job.endpoint_id);
        let title = format!("{} → {url}", job.event.label());
        self.submit_background_with(job, &key, &title, DELIVERY_ATTEMPTS)
            .await
    }

    pub async fn webhook_endpoints(&self) -> SyncResult<Vec<WebhookEndpoint>> {
        Ok(hooks::endpoints(&self.db)
            .await?
            .into_iter()
            .map(|s| s.endpoint)
            .collect())
    }

    /// A new endpoint; its signing secret comes back this once.
    pub async fn create_webhook_endpoint(
        &self,
        input: &WebhookEndpointInput,
    ) -> SyncResult<WebhookSecret> {
        let vault = self.providers.accounts().vault();
        Ok(hooks::create(&self.db, vault, input, self.clock.now()).await?)
    }

    pub async fn update_webhook_endpoint(
        &self,
        id: Id,
        input: &WebhookEndpointInput,
    ) -> SyncResult<WebhookEndpoint> {
        let vault = self.providers.accounts().vault();
        Ok(hooks::update(&self.db, vault, id, input, self.clock.now()).await?)
    }

    pub async fn delete_webhook_endpoint(&self, id: Id) -> SyncResult<()> {
        let vault = self.providers.accounts().vault();
        Ok(hooks::delete(&self.db, vault, id).await?)
    }

    /// A new signing secret (shown this once); the previous one signs too for a day.
    pub async fn rotate_webhook_secret(&self, id: Id) -> SyncResult<WebhookSecret> {
        let vault = self.providers.accounts().vault();
        Ok(hooks::rotate(&self.db, vault, id, self.clock.now()).await?)
    }

    /// The endpoint's push log, newest first.
    pub async fn webhook_attempts(&self, endpoint_id: Id) -> SyncResult<Vec<WebhookAttempt>> {
        hooks::endpoint(&self.db, endpoint_id).await?;
        Ok(hooks::attempts(&self.db, endpoint_id, 100).await?)
    }

    /// "Send test event": a `test` event to one endpoint, now, through the same delivery.
    pub async fn send_test_webhook(&self, endpoint_id: Id) -> SyncResult<Delivered> {
        let stored = hooks::endpoint(&self.db, endpoint_id).await?;
        let now = self.clock.now();
        let webhook_id = format!("evt_test_{}", crate::crm::new_gid(now));
        let job = WebhookJob {
            endpoint_id,
            event_id: None,
            body: payload::test_body(&webhook_id, now),
            webhook_id,
            event: EventKind::Test,
        };
        let title = format!("{} → {}", EventKind::Test.label(), stored.endpoint.url);
        self.submit(job, &title, cremmy_protocol::sync::SyncTrigger::Manual)
            .await
    }

    /// "Redeliver" in the push log: the attempt's event again, with the same id and body (a
    /// receiver that had it already recognises it), as a new job run now.
    pub async fn redeliver_webhook(&self, attempt_id: Id) -> SyncResult<Delivered> {
        type Row = (Id, Option<Id>, String, String, String);
        let row: Option<Row> = sqlx::query_as(
            "SELECT endpoint_id, event_id, webhook_id, event_kind, payload FROM webhook_attempts WHERE id = ?",
        )
        .bind(attempt_id)
        .fetch_optional(self.db.pool())
        .await?;
        let (endpoint_id, event_id, webhook_id, event, body) =
            row.ok_or(super::SyncError::Invalid {
                field: "attempt",
                reason: format!("attempt {attempt_id} is not in the push log"),
            })?;
        let stored = hooks::endpoint(&self.db, endpoint_id).await?;
        let event = EventKind::parse(&event);
        let title = format!("Redeliver {} → {}", event.label(), stored.endpoint.url);
        let job = WebhookJob {
            endpoint_id,
            event_id,
            webhook_id,
            event,
            body,
        };
        self.submit(job, &title, cremmy_protocol::sync::SyncTrigger::Manual)
            .await
    }
}
