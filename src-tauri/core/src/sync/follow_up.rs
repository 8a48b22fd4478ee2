//! Follow-ups of CRM changes, queued as background jobs (called from `follow_ups.rs` on the
//! event bus): a calendar event that follows its task. (A new client's folder and a deal's
//! proposal draft are default automation rules, `rule_jobs.rs`.)

use super::job_bodies::TaskEventJob;
use super::{SyncError, SyncResult, SyncRunner};
use crate::features::task_calendar;
use cremmy_protocol::kinds::JobKind;

impl SyncRunner {
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
