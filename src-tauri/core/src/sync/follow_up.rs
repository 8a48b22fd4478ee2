//! Follow-ups of CRM changes, queued as background jobs (called from `follow_ups.rs` on the
//! event bus): a folder for a new client, a draft for a deal entering the drafting stage, a
//! calendar event that follows its task.

use cremmy_protocol::accounts::Feature;
use cremmy_protocol::crm::ClientFolder;

use super::job_bodies::{ClientFolderJob, DealDraftJob, TaskEventJob};
use super::{SyncError, SyncResult, SyncRunner};
use crate::features::mail::drafts::{self, Drafted};
use crate::features::task_calendar;
use cremmy_protocol::kinds::JobKind;

impl SyncRunner {
    /// After a deal moved: if it entered the drafting stage (default Proposal) and has no draft
    /// yet, queues the Gmail draft (one job per deal) and writes it in the background (a template
    /// that cannot be filled leaves a task saying why). `None` when there is nothing to do.
    pub async fn after_deal_moved(
        &self,
        deal_id: i64,
    ) -> Option<tokio::task::JoinHandle<SyncResult<Drafted>>> {
        let due = drafts::due(&self.db, deal_id, self.clock.now())
            .await
            .ok()??;
        self.account_with(Feature::MailSend).await.ok()?;
        let title = format!("Proposal draft for {}", due.deal_title);
        let job = self
            .submit_background(
                DealDraftJob { deal_id },
                &format!("deal_draft:{deal_id}"),
                &title,
            )
            .await?;
        Some(tokio::spawn(async move {
            let done = job.await.map_err(|source| SyncError::BackgroundStopped {
                what: "draft",
                source,
            })?;
            done?.ok_or(SyncError::DraftNoLongerNeeded)
        }))
    }

    /// After a client is created: if the user asked for a folder per new client and a Google
    /// account has Drive access, makes it in the background (the run, and any error, goes to the
    /// sync log). Returns the task, or `None` when there is nothing to do (or the settings and
    /// accounts cannot be read, which the next explicit "Create folder" will report).
    pub async fn after_client_created(
        &self,
        client_id: i64,
    ) -> Option<tokio::task::JoinHandle<SyncResult<ClientFolder>>> {
        let wanted = self
            .crm
            .settings()
            .await
            .map(|s| s.client_folder_on_create)
            .unwrap_or(false);
        if !wanted || self.account_with(Feature::Drive).await.is_err() {
            return None;
        }
        let title = format!("Drive folder for {}", self.client_name(client_id).await);
        let key = crate::jobs::new_key(JobKind::ClientFolder, self.clock.now());
        let job = self
            .submit_background(ClientFolderJob { client_id }, &key, &title)
            .await?;
        Some(tokio::spawn(async move {
            job.await.map_err(|source| SyncError::BackgroundStopped {
                what: "folder",
                source,
            })?
        }))
    }

    /// After a task changed: if it is on the calendar and its time or title moved, the event
    /// follows in the background. `None` when there is nothing to do.
    pub async fn after_task_changed(
        &self,
        task_id: i64,
    ) -> Option<tokio::task::JoinHandle<SyncResult<()>>> {
        let (_, time_zone) = task_calendar::stale(&self.db, task_id).await.ok()??;
        let key = crate::jobs::new_key(JobKind::TaskEvent, self.clock.now());
        let spec = TaskEventJob { task_id, time_zone };
        let job = self
            .submit_background(spec, &key, &format!("Task #{task_id} on the calendar"))
            .await?;
        Some(tokio::spawn(async move {
            job.await.map_err(|source| SyncError::BackgroundStopped {
                what: "calendar event",
                source,
            })?
        }))
    }
}
