//! The outbox: outgoing work goes through the durable job queue (`crate::jobs`). A request from
//! the window is queued and run at once; if it fails in a way that may pass (offline, 429, 5xx)
//! it stays queued and the engine runs it again when due; permanent failures end in the
//! dead-letter state, which "Retry" queues again. Each attempt is logged as a run.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use cremmy_protocol::crm::ClientFolder;
use cremmy_protocol::docs::{DocRequest, GeneratedDoc};
use cremmy_protocol::engine::{Job, JobQuery};
use cremmy_protocol::kinds::JobKind;
use cremmy_protocol::mail::{SendEmailInput, SentEmail};
use cremmy_protocol::sync::{SheetsExport, SyncTrigger};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::job_bodies::{
    ClientFolderJob, DealDraftJob, EmailDraftJob, ExportSheetsJob, GenerateDocJob, SendEmailJob,
    TaskEventJob,
};
use super::payment_jobs::{InvoiceJob, PaymentLinkJob};
use super::rule_jobs::RuleRunJob;
use super::texting::SendTextJob;
use super::webhook_jobs::WebhookJob;
use super::{SyncError, SyncResult, SyncRunner};
use crate::backoff::random_jitter;
use crate::jobs::{self, after_failure, AfterFailure, Claimed, Failure, NewJob};

/// Jobs someone is waiting for in the window run before background ones.
const INTERACTIVE: i64 = 10;
const BACKGROUND: i64 = 0;

/// A kind of outgoing work. The job's input is the implementing type (stored as the job's JSON
/// payload); `run` is one attempt of it. A new kind is one type with this trait, its `JobKind`
/// name in the protocol crate, and one line in [`KINDS`].
pub(super) trait OutboxJob: Serialize + DeserializeOwned + Send + Sync + 'static {
    const KIND: JobKind;
    /// What an attempt that worked produced (stored as the job's result).
    type Done: Serialize + Send + 'static;

    fn run<'a>(
        &'a self,
        runner: &'a SyncRunner,
        job: &'a mut JobRun,
    ) -> impl Future<Output = SyncResult<Self::Done>> + Send + 'a;
}

type Erased =
    for<'a> fn(&'a SyncRunner, &'a str, &'a mut JobRun) -> BoxFuture<'a, SyncResult<Value>>;
type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Every kind of job, for the queue's runs of jobs it only knows by their stored kind.
const KINDS: &[(JobKind, Erased)] = &[
    (SendEmailJob::KIND, erased::<SendEmailJob>),
    (DealDraftJob::KIND, erased::<DealDraftJob>),
    (ClientFolderJob::KIND, erased::<ClientFolderJob>),
    (GenerateDocJob::KIND, erased::<GenerateDocJob>),
    (ExportSheetsJob::KIND, erased::<ExportSheetsJob>),
    (TaskEventJob::KIND, erased::<TaskEventJob>),
    (SendTextJob::KIND, erased::<SendTextJob>),
    (WebhookJob::KIND, erased::<WebhookJob>),
    (RuleRunJob::KIND, erased::<RuleRunJob>),
    (EmailDraftJob::KIND, erased::<EmailDraftJob>),
    (InvoiceJob::KIND, erased::<InvoiceJob>),
    (PaymentLinkJob::KIND, erased::<PaymentLinkJob>),
];

/// Reads a stored job of kind `J` and runs one attempt; the result comes back as JSON.
fn erased<'a, J: OutboxJob>(
    runner: &'a SyncRunner,
    payload: &'a str,
    run: &'a mut JobRun,
) -> BoxFuture<'a, SyncResult<Value>> {
    Box::pin(async move {
        let job: J = serde_json::from_str(payload).map_err(|source| SyncError::UnreadableJob {
            kind: J::KIND,
            source,
        })?;
        let done = job.run(runner, run).await?;
        Ok(serde_json::to_value(&done).unwrap_or(Value::Null))
    })
}

/// One attempt of a job, as the job bodies see it.
pub(super) struct JobRun {
    /// The job's idempotency key (the same for every attempt).
    pub key: String,
    /// Above 1, an earlier attempt may have reached the provider.
    pub attempt: u32,
    pub trigger: SyncTrigger,
    /// The provider's last `Retry-After` during this attempt.
    pub retry_after: Option<Duration>,
}

impl JobRun {
    fn of(job: &Claimed, trigger: SyncTrigger) -> JobRun {
        JobRun {
            key: job.key.clone(),
            attempt: job.attempt,
            trigger,
            retry_after: None,
        }
    }

    pub fn maybe_done_before(&self) -> bool {
        self.attempt > 1
    }
}

impl SyncRunner {
    /// "Send email" (queued; see the module docs).
    pub async fn send_email(
        &self,
        input: &SendEmailInput,
        trigger: SyncTrigger,
    ) -> SyncResult<SentEmail> {
        let title = format!("Email: {}", one_line(&input.subject, "(reply)"));
        let job = SendEmailJob {
            input: input.clone(),
        };
        self.submit(job, &title, trigger).await
    }

    /// The client's Drive folder (queued).
    pub async fn client_folder(
        &self,
        client_id: i64,
        trigger: SyncTrigger,
    ) -> SyncResult<ClientFolder> {
        let title = format!("Drive folder for {}", self.client_name(client_id).await);
        self.submit(ClientFolderJob { client_id }, &title, trigger)
            .await
    }

    /// "Export to Sheets" (queued).
    pub async fn export_sheets(&self, trigger: SyncTrigger) -> SyncResult<SheetsExport> {
        let title = "Export the pipeline to Sheets";
        self.submit(ExportSheetsJob {}, title, trigger).await
    }

    /// "Generate proposal/contract" (queued).
    pub async fn generate_document(&self, request: &DocRequest) -> SyncResult<GeneratedDoc> {
        let title = format!(
            "Generate a document for {}",
            self.client_name(request.client_id).await
        );
        let job = GenerateDocJob {
            request: request.clone(),
        };
        self.submit(job, &title, SyncTrigger::Manual).await
    }

    /// "Add to calendar" on a task with a due time (queued; again: the event is brought up to
    /// date).
    pub async fn add_task_to_calendar(&self, task_id: i64, time_zone: &str) -> SyncResult<()> {
        let job = TaskEventJob {
            task_id,
            time_zone: time_zone.to_string(),
        };
        let title = format!("Task #{task_id} on the calendar");
        self.submit(job, &title, SyncTrigger::Manual).await
    }

    /// Queues `job` under a fresh key and runs it now.
    pub(super) async fn submit<J: OutboxJob>(
        &self,
        job: J,
        title: &str,
        trigger: SyncTrigger,
    ) -> SyncResult<J::Done> {
        let now = self.clock.now();
        let key = jobs::new_key(J::KIND, now);
        let id = self
            .enqueue(
                &job,
                &key,
                title,
                INTERACTIVE,
                jobs::JOB_BACKOFF.max_attempts,
            )
            .await?;
        let claimed = jobs::claim(&self.db, id, now)
            .await?
            .ok_or(SyncError::JobNotQueued { id })?;
        self.attempt_typed(&job, claimed, trigger).await
    }

    pub(super) async fn enqueue<J: OutboxJob>(
        &self,
        job: &J,
        key: &str,
        title: &str,
        priority: i64,
        max_attempts: u32,
    ) -> SyncResult<i64> {
        let payload = serde_json::to_string(job).map_err(|source| SyncError::UnreadableJob {
            kind: J::KIND,
            source,
        })?;
        let new = NewJob {
            kind: J::KIND,
            payload: &payload,
            key,
            title,
            priority,
            max_attempts,
        };
        Ok(jobs::enqueue(&self.db, &new, self.clock.now()).await?)
    }

    /// Queues a background job under `key` (a second call with the same key adds nothing) and
    /// runs it now in its own task. `None` if the job had already run.
    pub(super) async fn submit_background<J: OutboxJob>(
        &self,
        job: J,
        key: &str,
        title: &str,
    ) -> Option<tokio::task::JoinHandle<SyncResult<J::Done>>> {
        self.submit_background_with(job, key, title, jobs::JOB_BACKOFF.max_attempts)
            .await
    }

    /// [`Self::submit_background`] with its own number of attempts.
    pub(super) async fn submit_background_with<J: OutboxJob>(
        &self,
        job: J,
        key: &str,
        title: &str,
        max_attempts: u32,
    ) -> Option<tokio::task::JoinHandle<SyncResult<J::Done>>> {
        let id = self
            .enqueue(&job, key, title, BACKGROUND, max_attempts)
            .await
            .ok()?;
        let claimed = jobs::claim(&self.db, id, self.clock.now()).await.ok()??;
        let runner = self.clone();
        Some(tokio::spawn(async move {
            runner
                .attempt_typed(&job, claimed, SyncTrigger::Manual)
                .await
        }))
    }

    /// Runs job `id` now (it must be queued).
    pub async fn run_job(&self, id: i64, trigger: SyncTrigger) -> SyncResult<()> {
        let job = jobs::claim(&self.db, id, self.clock.now())
            .await?
            .ok_or(SyncError::JobNotQueued { id })?;
        self.attempt_stored(job, trigger).await.map(|_| ())
    }

    /// "Retry" in the outbox: the job is queued again with fresh attempts and run now.
    pub async fn retry_job(&self, id: i64) -> SyncResult<()> {
        if !jobs::retry(&self.db, id, self.clock.now()).await? {
            return Err(SyncError::JobNotQueued { id });
        }
        self.run_job(id, SyncTrigger::Manual).await
    }

    /// Runs every job that is due (the engine's tick). Returns how many attempts were made.
    pub async fn run_due_jobs(&self) -> SyncResult<u32> {
        let mut ran = 0;
        // Events the bus's follow-ups have not handed to webhook endpoints or rules yet (the app stopped
        // first, or a change came from another process) go out first.
        self.record_time_events(false).await?;
        for delivery in self.dispatch_events().await? {
            ran += 1;
            let _ = delivery.await;
        }
        // And to the automation rules (their due runs are jobs, claimed below or started here).
        for run in self.run_rules().await? {
            ran += 1;
            let _ = run.await;
        }
        while let Some(job) = jobs::claim_due(&self.db, self.clock.now()).await? {
            ran += 1;
            // A failure is recorded on the job; the others still run.
            let _ = self.attempt_stored(job, SyncTrigger::Schedule).await;
        }
        Ok(ran)
    }

    pub async fn jobs(&self, query: &JobQuery) -> SyncResult<Vec<Job>> {
        Ok(jobs::list(&self.db, query).await?)
    }

    /// Jobs a dead process left running are queued again (call once at start-up).
    pub async fn requeue_interrupted_jobs(&self) -> SyncResult<u64> {
        Ok(jobs::requeue_interrupted(&self.db, self.clock.now()).await?)
    }

    /// One attempt of a claimed job whose input is at hand.
    async fn attempt_typed<J: OutboxJob>(
        &self,
        input: &J,
        job: Claimed,
        trigger: SyncTrigger,
    ) -> SyncResult<J::Done> {
        let mut run = JobRun::of(&job, trigger);
        // Boxed: the bodies' futures are large; on the stack they overflow a small thread stack.
        let result = Box::pin(input.run(self, &mut run)).await;
        self.settle(&job, &run, result).await
    }

    /// One attempt of a claimed job known only by its stored kind and input.
    async fn attempt_stored(&self, job: Claimed, trigger: SyncTrigger) -> SyncResult<Value> {
        let mut run = JobRun::of(&job, trigger);
        let result = match KINDS.iter().find(|(kind, _)| *kind == job.kind) {
            Some((_, body)) => body(self, &job.payload, &mut run).await,
            None => Err(SyncError::UnknownJobKind { kind: job.kind }),
        };
        self.settle(&job, &run, result).await
    }

    /// What an attempt leaves in the queue: done, discarded (wrong input on the first attempt),
    /// queued again or dead.
    async fn settle<T: Serialize>(
        &self,
        job: &Claimed,
        run: &JobRun,
        result: SyncResult<T>,
    ) -> SyncResult<T> {
        let now = self.clock.now();
        match result {
            Ok(done) => {
                let json = serde_json::to_string(&done).unwrap_or_default();
                jobs::succeeded(&self.db, job.id, &json, now).await?;
                Ok(done)
            }
            Err(e) if job.attempt == 1 && e.is_input_error() => {
                // Nothing reached the provider; the user corrects the form.
                jobs::discard(&self.db, job.id).await?;
                Err(e)
            }
            Err(e) => {
                let failure = Failure {
                    retryable: e.is_retryable(),
                    offline: e.is_offline(),
                    retry_after: run.retry_after,
                };
                let next =
                    after_failure(job.attempt, job.max_attempts, failure, now, random_jitter());
                let message = e.to_string();
                jobs::failed(
                    &self.db,
                    job.id,
                    next,
                    (crate::HasErrorCode::code(&e), &message),
                    now,
                )
                .await?;
                Err(match next {
                    AfterFailure::RetryAt { .. } => SyncError::Queued {
                        cause: Box::new(e),
                        job_id: job.id,
                    },
                    AfterFailure::Dead => e,
                })
            }
        }
    }

    pub(super) async fn client_name(&self, client_id: i64) -> String {
        sqlx::query_scalar("SELECT name FROM clients WHERE id = ?")
            .bind(client_id)
            .fetch_optional(self.db.pool())
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| format!("client #{client_id}"))
    }
}

fn one_line(text: &str, empty: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    if line.is_empty() {
        empty.to_string()
    } else {
        line.chars().take(80).collect()
    }
}
