//! The background engine as the UI sees it: the status bar and tray line (paused, running with
//! progress, last sync, next sync), the outbox of outgoing jobs, and the desktop preferences.

use serde::{Deserialize, Serialize};

/// Where a sync run is (shown in the status bar and on the Integrations page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncProgress {
    /// "Gmail · ada@example.com", "Calendar · …", "Leads sheet".
    pub phase: String,
    /// Steps finished of `total` in this run.
    pub done: u32,
    pub total: u32,
}

/// How the last finished sync went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastSync {
    /// Unix ms.
    pub finished_at: i64,
    pub ok: bool,
    /// The first error of the run, for people.
    pub error: Option<String>,
    /// An account must be reconnected before syncing can work again.
    pub needs_reconnect: bool,
}

/// The engine's state, pushed to the window whenever it changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineStatus {
    /// Background sync and job retries are paused (a "Sync now" still runs).
    pub paused: bool,
    /// A sync is running.
    pub running: Option<SyncProgress>,
    pub last_sync: Option<LastSync>,
    /// When the next scheduled sync is due (Unix ms); `None` while paused.
    pub next_sync_at: Option<i64>,
    /// Outgoing jobs waiting to run or to be retried.
    pub queued_jobs: i64,
    /// Jobs that gave up (the outbox lists them with "Retry").
    pub dead_jobs: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Queued,
    Running,
    Done,
    /// Gave up: a permanent error, or too many attempts. "Retry" queues it again.
    Dead,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Option<JobStatus> {
        [
            JobStatus::Queued,
            JobStatus::Running,
            JobStatus::Done,
            JobStatus::Dead,
        ]
        .into_iter()
        .find(|j| j.as_str() == s)
    }
}

/// One outgoing job as the outbox shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    pub id: i64,
    pub kind: crate::kinds::JobKind,
    /// "Email to Ada Lovelace: Proposal".
    pub title: String,
    pub status: JobStatus,
    pub attempts: i64,
    pub max_attempts: i64,
    /// Unix ms; for a queued job, when it runs next.
    pub next_run_at: i64,
    pub last_error_code: Option<crate::ErrorCode>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Which jobs to list, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobQuery {
    /// Only jobs still to do or given up (queued, running, dead).
    #[serde(default)]
    pub open_only: bool,
    #[serde(default)]
    pub limit: Option<i64>,
}

/// Desktop behaviour the user chooses in Settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesktopSettings {
    /// Closing the window keeps Cremmy running in the tray (when the desktop has one).
    pub close_to_tray: bool,
    /// Start Cremmy (in the tray) when the user logs in.
    pub start_at_login: bool,
    /// Native notifications: a sync needs the user (reconnect), a client replied, a task is due.
    pub notify: bool,
}

impl Default for DesktopSettings {
    fn default() -> Self {
        DesktopSettings {
            close_to_tray: true,
            start_at_login: false,
            notify: true,
        }
    }
}

/// What the desktop could set up (reported to Settings, so a missing tray is explained).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesktopState {
    pub settings: DesktopSettings,
    /// A tray icon is showing (false where the desktop has no tray host: the window stays the way
    /// in, and closing it quits).
    pub tray: bool,
    /// Why there is no tray, for people.
    pub tray_note: Option<String>,
}

/// Something the user should know now, shown as a native notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub title: String,
    pub body: String,
}
