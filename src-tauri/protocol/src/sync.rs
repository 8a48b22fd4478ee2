//! Sync runs as the UI sees them: the Integrations card's "last sync" line, the Sync history view
//! and the answer to "Sync now".

use serde::{Deserialize, Serialize};

/// What started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncTrigger {
    /// "Sync now" in the window or the tray.
    Manual,
    /// The background schedule.
    Schedule,
    /// `cremmy sync --once`.
    Cli,
    /// The app starting.
    Startup,
}

impl SyncTrigger {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncTrigger::Manual => "manual",
            SyncTrigger::Schedule => "schedule",
            SyncTrigger::Cli => "cli",
            SyncTrigger::Startup => "startup",
        }
    }

    pub fn parse(s: &str) -> Option<SyncTrigger> {
        [
            SyncTrigger::Manual,
            SyncTrigger::Schedule,
            SyncTrigger::Cli,
            SyncTrigger::Startup,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncRunStatus {
    Running,
    Ok,
    Failed,
}

impl SyncRunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncRunStatus::Running => "running",
            SyncRunStatus::Ok => "ok",
            SyncRunStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<SyncRunStatus> {
        [
            SyncRunStatus::Running,
            SyncRunStatus::Ok,
            SyncRunStatus::Failed,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }
}

/// One run of one integration for one account (or one outgoing job).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRun {
    pub id: i64,
    pub account_id: Option<i64>,
    /// The account's address, when the run belonged to one still known.
    pub account_email: Option<String>,
    pub integration: crate::kinds::Integration,
    pub kind: crate::kinds::RunKind,
    pub trigger: SyncTrigger,
    /// Unix ms.
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub status: SyncRunStatus,
    /// Items read from the provider.
    pub fetched: i64,
    /// Activities (or rows, files…) created.
    pub created: i64,
    /// Items read that needed nothing (no matching contact, already stored).
    pub skipped: i64,
    /// Items a reconciliation found missing and imported.
    pub recovered: i64,
    /// HTTP requests made, retries included.
    pub api_calls: i64,
    pub error_code: Option<crate::ErrorCode>,
    pub error: Option<String>,
}

/// Which runs to show, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRunQuery {
    #[serde(default)]
    pub account_id: Option<i64>,
    #[serde(default)]
    pub integration: Option<crate::kinds::Integration>,
    /// Only failed runs.
    #[serde(default)]
    pub failed_only: bool,
    /// At most this many (default 100, at most 500).
    #[serde(default)]
    pub limit: Option<i64>,
}

/// What "Sync now" asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRequest {
    /// Only this account (default: every connected account).
    #[serde(default)]
    pub account_id: Option<i64>,
    /// Also compare the mailbox with what is stored over the look-back window now, instead of
    /// waiting for the daily reconciliation.
    #[serde(default)]
    pub reconcile: bool,
}

/// The answer to "Export to Sheets".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SheetsExport {
    pub spreadsheet_id: String,
    /// Opens the spreadsheet in the browser.
    pub url: String,
    pub deals: i64,
    /// A new spreadsheet was made (the first export, or the old one was deleted).
    pub created_new: bool,
    pub account_email: String,
}

/// The Google spreadsheet new leads come from, read on each sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct LeadSheet {
    /// The spreadsheet's id (a pasted link is accepted when saving).
    pub spreadsheet: String,
    /// The sheet (tab) name; default "Leads".
    #[serde(default)]
    pub sheet: String,
}
