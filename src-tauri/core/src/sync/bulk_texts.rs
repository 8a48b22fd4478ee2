//! Bulk texts through the runner: the preview, the paced jobs (queued all at once, each due after
//! the one before at the sender's pace), running them in the background, and progress. Every text
//! is its own send job, so a crash resumes the batch where it stopped and never texts anyone twice
//! (each job looks for what an interrupted attempt sent before sending).

use std::time::Duration;

use cremmy_protocol::kinds::JobKind;
use cremmy_protocol::sms::{BulkPreview, BulkProgress, BulkText};
use cremmy_protocol::sync::SyncTrigger;

use super::outbox::OutboxJob;
use super::texting::SendTextJob;
use super::{SyncError, SyncResult, SyncRunner};
use crate::features::texts::bulk::{self, PACE_MS};
use crate::features::texts::store;
use crate::jobs::{self, NewJob};

fn prefix(batch: &str) -> String {
    format!("bulk-text:{batch}:")
}

impl SyncRunner {
    /// Who a bulk text reaches, who is skipped and why.
    pub async fn bulk_text_preview(&self, request: &BulkText) -> SyncResult<BulkPreview> {
        let sender = self.texting_sender(request.channel).await?;
        let (preview, _) =
            bulk::preview(&self.crm, request, sender.as_deref(), self.clock.now()).await?;
        Ok(preview)
    }

    /// Queues a bulk text (one job per recipient, paced) and returns its progress at once; the
    /// jobs run in the background (and, after a restart, from the outbox).
    pub async fn start_bulk_text(&self, request: &BulkText) -> SyncResult<BulkProgress> {
        let batch = self.queue_bulk_text(request).await?;
        let runner = self.clone();
        let id = batch.batch.clone();
        tokio::spawn(async move {
            let _ = runner.run_bulk_text(&id).await;
        });
        Ok(batch)
    }

    /// Queues a bulk text's jobs, all or none.
    pub async fn queue_bulk_text(&self, request: &BulkText) -> SyncResult<BulkProgress> {
        let now = self.clock.now();
        let sender = self.texting_sender(request.channel).await?;
        let (preview, inputs) = bulk::preview(&self.crm, request, sender.as_deref(), now).await?;
        if inputs.is_empty() {
            return Err(SyncError::Invalid {
                field: "recipients",
                reason: format!(
                    "none of the {} can be texted ({} skipped)",
                    preview.recipients.len(),
                    preview.skipped
                ),
            });
        }
        let batch = crate::crm::write::new_gid(now);
        let mut rows = Vec::new();
        for (i, input) in inputs.into_iter().enumerate() {
            let key = format!("{}{}:{}", prefix(&batch), input.client_id, input.contact_id);
            let title = format!("Bulk text to {}", input.to);
            let payload = serde_json::to_string(&SendTextJob { input }).map_err(|source| {
                SyncError::UnreadableJob {
                    kind: JobKind::SendText,
                    source,
                }
            })?;
            rows.push((key, title, payload, now + i as i64 * PACE_MS));
        }
        let jobs: Vec<(NewJob<'_>, i64)> = rows
            .iter()
            .map(|(key, title, payload, due)| {
                (
                    NewJob {
                        kind: SendTextJob::KIND,
                        payload,
                        key,
                        title,
                        priority: 0,
                        max_attempts: jobs::JOB_BACKOFF.max_attempts,
                    },
                    *due,
                )
            })
            .collect();
        store::save_batch(&self.db, &batch, preview.sendable, preview.skipped, now).await?;
        jobs::enqueue_all(&self.db, &jobs, now).await?;
        self.bulk_progress(&batch).await
    }

    /// Runs a bulk text's jobs that were never tried, in order, each when it is due. A job that
    /// fails and waits to be retried is the outbox's (the engine retries it with backoff).
    pub async fn run_bulk_text(&self, batch: &str) -> SyncResult<BulkProgress> {
        loop {
            let untried = jobs::with_key_prefix(&self.db, &prefix(batch))
                .await?
                .into_iter()
                .find(|(_, status, _, attempts)| status == "queued" && *attempts == 0);
            let Some((id, _, due, _)) = untried else {
                break;
            };
            let wait = due - self.clock.now();
            if wait > 0 {
                tokio::time::sleep(Duration::from_millis(wait as u64)).await;
            }
            // Claimed by another runner (the engine's tick) in the meantime: on to the next.
            let _ = self.run_job(id, SyncTrigger::Manual).await;
        }
        self.bulk_progress(batch).await
    }

    /// Where a bulk text is: sent, failed (dead or refused), pending.
    pub async fn bulk_progress(&self, batch: &str) -> SyncResult<BulkProgress> {
        let (total, skipped) =
            store::batch(&self.db, batch)
                .await?
                .ok_or_else(|| SyncError::Invalid {
                    field: "batch",
                    reason: format!("no bulk text {batch}"),
                })?;
        let jobs = jobs::with_key_prefix(&self.db, &prefix(batch)).await?;
        let count = |s: &[&str]| {
            jobs.iter()
                .filter(|(_, st, _, _)| s.contains(&st.as_str()))
                .count() as u32
        };
        let (sent, pending) = (count(&["done"]), count(&["queued", "running"]));
        Ok(BulkProgress {
            batch: batch.to_string(),
            total,
            sent,
            pending,
            // Refused on its first attempt, a job is discarded: what is neither sent nor pending
            // failed.
            failed: total.saturating_sub(sent + pending),
            skipped,
        })
    }
}
