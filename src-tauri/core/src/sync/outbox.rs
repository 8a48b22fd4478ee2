//! The outbox: outgoing work goes through the durable job queue (`crate::jobs`). A request from
//! the window is queued and run at once; if it fails in a way that may pass (offline, 429, 5xx)
//! it stays queued and the engine runs it again when due; permanent failures end in the
//! dead-letter state, which "Retry" queues again. Each attempt is logged as a run.

use std::time::Duration;

use cremmy_protocol::crm::ClientFolder;
use cremmy_protocol::docs::{DocRequest, GeneratedDoc};
use cremmy_protocol::engine::{Job, JobQuery};
use cremmy_protocol::mail::{SendEmailInput, SentEmail};
use cremmy_protocol::sync::{SheetsExport, SyncTrigger};
use serde::Serialize;

use super::{SyncError, SyncResult, SyncRunner};
use crate::backoff::random_jitter;
use crate::features::mail::drafts::Drafted;
use crate::jobs::{self, after_failure, AfterFailure, Claimed, Failure, JobSpec};

/// Jobs someone is waiting for in the window run before background ones.
const INTERACTIVE: i64 = 10;
const BACKGROUND: i64 = 0;

/// What a job produced.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobDone {
    Sent {
        email: SentEmail,
    },
    /// `None`: the deal no longer needed a draft when the job ran.
    Drafted {
        draft: Option<Drafted>,
    },
    Folder {
        folder: ClientFolder,
    },
    Doc {
        doc: GeneratedDoc,
    },
    Export {
        export: SheetsExport,
    },
    Event,
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
        match self
            .submit(
                JobSpec::SendEmail {
                    input: input.clone(),
                },
                &title,
                trigger,
            )
            .await?
        {
            JobDone::Sent { email } => Ok(email),
            other => Err(mismatch(&other)),
        }
    }

    /// The client's Drive folder (queued).
    pub async fn client_folder(
        &self,
        client_id: i64,
        trigger: SyncTrigger,
    ) -> SyncResult<ClientFolder> {
        let title = format!("Drive folder for {}", self.client_name(client_id).await);
        match self
            .submit(JobSpec::ClientFolder { client_id }, &title, trigger)
            .await?
        {
            JobDone::Folder { folder } => Ok(folder),
            other => Err(mismatch(&other)),
        }
    }

    /// "Export to Sheets" (queued).
    pub async fn export_sheets(&self, trigger: SyncTrigger) -> SyncResult<SheetsExport> {
        match self
            .submit(
                JobSpec::ExportSheets,
                "Export the pipeline to Sheets",
                trigger,
            )
            .await?
        {
            JobDone::Export { export } => Ok(export),
            other => Err(mismatch(&other)),
        }
    }

    /// "Generate proposal/contract" (queued).
    pub async fn generate_document(&self, request: &DocRequest) -> SyncResult<GeneratedDoc> {
        let title = format!(
            "Generate a document for {}",
            self.client_name(request.client_id).await
        );
        let spec = JobSpec::GenerateDoc {
            request: request.clone(),
        };
        match self.submit(spec, &title, SyncTrigger::Manual).await? {
            JobDone::Doc { doc } => Ok(doc),
            other => Err(mismatch(&other)),
        }
    }

    /// "Add to calendar" on a task with a due time (queued; again: the event is brought up to
    /// date).
    pub async fn add_task_to_calendar(&self, task_id: i64, time_zone: &str) -> SyncResult<()> {
        let spec = JobSpec::TaskEvent {
            task_id,
            time_zone: time_zone.to_string(),
        };
        self.submit(
            spec,
            &format!("Task #{task_id} on the calendar"),
            SyncTrigger::Manual,
        )
        .await
        .map(|_| ())
    }

    /// Queues `spec` under a fresh key and runs it now.
    async fn submit(
        &self,
        spec: JobSpec,
        title: &str,
        trigger: SyncTrigger,
    ) -> SyncResult<JobDone> {
        let now = self.clock.now();
        let key = jobs::new_key(spec.kind(), now);
        let id = jobs::enqueue(&self.db, &spec, &key, title, INTERACTIVE, now).await?;
        self.run_job(id, trigger).await
    }

    /// Queues a background job under `key` (a second call with the same key adds nothing) and
    /// runs it now in its own task. `None` if the job had already run.
    pub(super) async fn submit_background(
        &self,
        spec: JobSpec,
        key: &str,
        title: &str,
    ) -> Option<tokio::task::JoinHandle<SyncResult<JobDone>>> {
        let now = self.clock.now();
        let id = jobs::enqueue(&self.db, &spec, key, title, BACKGROUND, now)
            .await
            .ok()?;
        let job = jobs::claim(&self.db, id, now).await.ok()??;
        let runner = self.clone();
        Some(tokio::spawn(async move {
            runner.attempt(job, SyncTrigger::Manual).await
        }))
    }

    /// Runs job `id` now (it must be queued).
    pub async fn run_job(&self, id: i64, trigger: SyncTrigger) -> SyncResult<JobDone> {
        let job = jobs::claim(&self.db, id, self.clock.now())
            .await?
            .ok_or(SyncError::JobNotQueued { id })?;
        self.attempt(job, trigger).await
    }

    /// "Retry" in the outbox: the job is queued again with fresh attempts and run now.
    pub async fn retry_job(&self, id: i64) -> SyncResult<()> {
        if !jobs::retry(&self.db, id, self.clock.now()).await? {
            return Err(SyncError::JobNotQueued { id });
        }
        self.run_job(id, SyncTrigger::Manual).await.map(|_| ())
    }

    /// Runs every job that is due (the engine's tick). Returns how many attempts were made.
    pub async fn run_due_jobs(&self) -> SyncResult<u32> {
        let mut ran = 0;
        while let Some(job) = jobs::claim_due(&self.db, self.clock.now()).await? {
            ran += 1;
            // A failure is recorded on the job; the others still run.
            let _ = self.attempt(job, SyncTrigger::Schedule).await;
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

    /// One attempt of a claimed job, and what it leaves in the queue.
    async fn attempt(&self, job: Claimed, trigger: SyncTrigger) -> SyncResult<JobDone> {
        let mut run = JobRun {
            key: job.key.clone(),
            attempt: job.attempt,
            trigger,
            retry_after: None,
        };
        // Boxed: the bodies' futures are large; on the stack they overflow a small thread stack.
        let result = Box::pin(self.execute(&job.spec, &mut run)).await;
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

    async fn execute(&self, spec: &JobSpec, run: &mut JobRun) -> SyncResult<JobDone> {
        Ok(match spec {
            JobSpec::SendEmail { input } => JobDone::Sent {
                email: self.do_send_email(input, run).await?,
            },
            JobSpec::DealDraft { deal_id } => JobDone::Drafted {
                draft: self.do_deal_draft(*deal_id, run).await?,
            },
            JobSpec::ClientFolder { client_id } => JobDone::Folder {
                folder: self.do_client_folder(*client_id, run).await?,
            },
            JobSpec::GenerateDoc { request } => JobDone::Doc {
                doc: self.do_generate_document(request, run).await?,
            },
            JobSpec::ExportSheets => JobDone::Export {
                export: self.do_export_sheets(run).await?,
            },
            JobSpec::TaskEvent { task_id, time_zone } => {
                self.do_task_event(*task_id, time_zone, run).await?;
                JobDone::Event
            }
        })
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

fn mismatch(done: &JobDone) -> SyncError {
    let got = match done {
        JobDone::Sent { .. } => "sent email",
        JobDone::Drafted { .. } => "draft",
        JobDone::Folder { .. } => "folder",
        JobDone::Doc { .. } => "document",
        JobDone::Export { .. } => "export",
        JobDone::Event => "calendar event",
    };
    SyncError::UnexpectedJobResult {
        what: "submitted",
        got,
    }
}

/// Drafts and background folders keep their `JoinHandle` shape for the callers that wait.
pub(super) fn expect_drafted(done: SyncResult<JobDone>) -> SyncResult<Option<Drafted>> {
    match done? {
        JobDone::Drafted { draft } => Ok(draft),
        other => Err(mismatch(&other)),
    }
}

pub(super) fn expect_folder(done: SyncResult<JobDone>) -> SyncResult<ClientFolder> {
    match done? {
        JobDone::Folder { folder } => Ok(folder),
        other => Err(mismatch(&other)),
    }
}
