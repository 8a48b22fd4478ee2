//! Syncing connected accounts: each run of each integration is planned from stored state, carried
//! out against the provider, and logged (one `sync_runs` row per run, with counts, calls and the
//! error the user can act on).

pub mod log;

use std::sync::Arc;

use cremmy_protocol::accounts::{AccountStatus, Feature};
use cremmy_protocol::crm::ClientFolder;
use cremmy_protocol::mail::{DraftTemplate, SendEmailInput, SentEmail};
use cremmy_protocol::sync::{
    LeadSheet, SheetsExport, SyncRequest, SyncRun, SyncRunQuery, SyncTrigger,
};
use cremmy_protocol::{ErrorCode, Provider};

use crate::accounts::AccountsError;
use crate::client_folder::{ensure_client_folder, FolderRun};
use crate::clock::Clock;
use crate::db::Database;
use crate::google::{
    drive::GoogleDrive, gmail::GmailMailbox, sheets::GoogleSheets, Google, GoogleError,
};
use crate::leads::{self, LeadRun};
use crate::mail::drafts::{self, Drafted};
use crate::mail::send::send_email;
use crate::mail::{MailRun, MailSettings, MailSync};
use crate::pipeline_export::export_pipeline;
use crate::HasErrorCode;

/// A provider-side failure of a sync source.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The stored cursor is older than the provider remembers (Gmail 404, Calendar 410).
    #[error("The provider no longer remembers the last sync position; a full sync follows.")]
    CursorExpired,
    #[error(transparent)]
    Google(#[from] GoogleError),
    #[error("{api} did not answer within {seconds} s. Cremmy will try again.")]
    TimedOut { api: &'static str, seconds: u64 },
}

impl SourceError {
    pub fn is_retryable(&self) -> bool {
        match self {
            SourceError::CursorExpired | SourceError::TimedOut { .. } => true,
            SourceError::Google(e) => e.is_retryable(),
        }
    }
}

impl HasErrorCode for SourceError {
    fn code(&self) -> ErrorCode {
        match self {
            SourceError::CursorExpired | SourceError::TimedOut { .. } => {
                ErrorCode::ProviderUnavailable
            }
            SourceError::Google(e) => e.code(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Accounts(#[from] AccountsError),
    #[error("No connected {} account has {}. Connect one (or reconnect it) on the Integrations page.", provider.display_name(), feature.label())]
    NoAccountFor {
        provider: Provider,
        feature: Feature,
    },
    #[error("Check the {field}: {reason}.")]
    Invalid { field: &'static str, reason: String },
    #[error("Client {client_id} does not exist (it may have been deleted).")]
    NoSuchClient { client_id: i64 },
    #[error("Database error during sync: {0}")]
    Db(#[from] sqlx::Error),
}

impl From<GoogleError> for SyncError {
    fn from(e: GoogleError) -> Self {
        SyncError::Source(SourceError::Google(e))
    }
}

impl SyncError {
    pub fn is_retryable(&self) -> bool {
        match self {
            SyncError::Source(e) => e.is_retryable(),
            SyncError::Accounts(e) => e.is_retryable(),
            SyncError::NoAccountFor { .. }
            | SyncError::NoSuchClient { .. }
            | SyncError::Invalid { .. } => false,
            SyncError::Db(_) => true,
        }
    }
}

impl HasErrorCode for SyncError {
    fn code(&self) -> ErrorCode {
        match self {
            SyncError::Source(e) => e.code(),
            SyncError::Accounts(e) => e.code(),
            SyncError::NoAccountFor { .. } => ErrorCode::NotConfigured,
            SyncError::NoSuchClient { .. } => ErrorCode::NotFound,
            SyncError::Invalid { .. } => ErrorCode::InvalidInput,
            SyncError::Db(_) => ErrorCode::Internal,
        }
    }
}

pub type SyncResult<T> = Result<T, SyncError>;

/// Runs syncs and reads the sync log. Cheap to clone.
#[derive(Clone)]
pub struct SyncRunner {
    db: Database,
    clock: Arc<dyn Clock>,
    google: Google,
    mail: MailSettings,
    /// One run at a time per database: overlapping "Sync now" clicks wait for the running one.
    running: Arc<tokio::sync::Mutex<()>>,
    /// Folder creation one at a time, so two clicks cannot both find nothing and both create.
    folders: Arc<tokio::sync::Mutex<()>>,
}

impl SyncRunner {
    pub fn new(db: Database, clock: Arc<dyn Clock>, google: Google) -> SyncRunner {
        SyncRunner {
            db,
            clock,
            google,
            mail: MailSettings::default(),
            running: Arc::default(),
            folders: Arc::default(),
        }
    }

    pub fn with_mail_settings(mut self, settings: MailSettings) -> SyncRunner {
        self.mail = settings;
        self
    }

    /// Syncs every connected account (or the one asked for) once; one logged run per account and
    /// integration. A failing account does not stop the others: its run is logged as failed.
    pub async fn sync_now(
        &self,
        request: &SyncRequest,
        trigger: SyncTrigger,
    ) -> SyncResult<Vec<SyncRun>> {
        let _one_at_a_time = self.running.lock().await;
        let now = self.clock.now();
        log::prune(&self.db, now).await?;
        let accounts = self.google.accounts().list().await?;
        let mut run_ids = Vec::new();
        for account in accounts {
            if request.account_id.is_some_and(|id| id != account.id)
                || account.provider != Provider::Google
                || account.status != AccountStatus::Connected
                || !account.features.contains(&Feature::MailIngest)
            {
                continue;
            }
            run_ids.push(
                self.sync_gmail(account.id, &account.email, request.reconcile, trigger)
                    .await?,
            );
        }
        if request.account_id.is_none() {
            if let Some(sheet) = leads::configured(&self.db).await? {
                run_ids.push(self.sync_leads(&sheet, trigger).await?);
            }
        }
        let runs = log::runs(
            &self.db,
            &SyncRunQuery {
                limit: Some(500),
                ..Default::default()
            },
        )
        .await?;
        Ok(runs
            .into_iter()
            .filter(|r| run_ids.contains(&r.id))
            .collect())
    }

    /// "Export to Sheets": the pipeline into the "Pipeline Dump" spreadsheet of the first connected
    /// Google account with Sheets access; logged as a run.
    pub async fn export_sheets(&self, trigger: SyncTrigger) -> SyncResult<SheetsExport> {
        let account = self.google_account_with(Feature::Sheets).await?;
        let run_id = log::start(
            &self.db,
            Some(account.id),
            "sheets",
            "export",
            trigger,
            self.clock.now(),
        )
        .await?;
        let session = self.google.session(account.id);
        let sink = GoogleSheets::new(&session);
        let result = export_pipeline(&self.db, &sink, account.id, self.clock.now()).await;
        let outcome = log::RunOutcome {
            kind: "export".into(),
            created: result.as_ref().map_or(0, |r| i64::from(r.deals)),
            api_calls: i64::from(session.meter().calls()),
            error: result.as_ref().err().map(|e| (e.code(), e.to_string())),
            ..Default::default()
        };
        log::finish(&self.db, run_id, &outcome, self.clock.now()).await?;
        let done = result?;
        Ok(SheetsExport {
            spreadsheet_id: done.spreadsheet_id,
            url: done.url,
            deals: i64::from(done.deals),
            created_new: done.created_new,
            account_email: account.email,
        })
    }

    /// The client's Drive folder (`Cremmy CRM/Clients/<name>`), found or made in the first
    /// connected Google account with Drive access; logged as a run.
    pub async fn client_folder(
        &self,
        client_id: i64,
        trigger: SyncTrigger,
    ) -> SyncResult<ClientFolder> {
        let account = self.google_account_with(Feature::Drive).await?;
        let _one_at_a_time = self.folders.lock().await;
        let run_id = log::start(
            &self.db,
            Some(account.id),
            "drive",
            "folder",
            trigger,
            self.clock.now(),
        )
        .await?;
        let session = self.google.session(account.id);
        let tree = GoogleDrive::new(&session);
        let mut run = FolderRun::default();
        let result = ensure_client_folder(
            &self.db,
            &tree,
            account.id,
            client_id,
            self.clock.now(),
            &mut run,
        )
        .await;
        let outcome = log::RunOutcome {
            kind: "folder".into(),
            created: run.created,
            skipped: run.trashed,
            api_calls: i64::from(session.meter().calls()),
            error: result.as_ref().err().map(|e| (e.code(), e.to_string())),
            ..Default::default()
        };
        log::finish(&self.db, run_id, &outcome, self.clock.now()).await?;
        result
    }

    /// "Send email": from the first connected Google account allowed to send, recorded as a tracked
    /// outgoing activity; logged as a run.
    pub async fn send_email(
        &self,
        input: &SendEmailInput,
        trigger: SyncTrigger,
    ) -> SyncResult<SentEmail> {
        let account = self.google_account_with(Feature::MailSend).await?;
        let run_id = log::start(
            &self.db,
            Some(account.id),
            "gmail",
            "send",
            trigger,
            self.clock.now(),
        )
        .await?;
        let session = self.google.session(account.id);
        let mut outbox = GmailMailbox::new(&session, &account.email);
        if !account.features.contains(&Feature::MailIngest) {
            outbox = outbox.without_read_access();
        }
        let result = send_email(
            &self.db,
            &outbox,
            account.id,
            input,
            self.clock.now(),
            crate::mail::send::random_part(),
        )
        .await;
        let outcome = log::RunOutcome {
            kind: "send".into(),
            created: i64::from(result.is_ok()),
            api_calls: i64::from(session.meter().calls()),
            error: result.as_ref().err().map(|e| (e.code(), e.to_string())),
            ..Default::default()
        };
        log::finish(&self.db, run_id, &outcome, self.clock.now()).await?;
        result
    }

    /// The Leads sheet read on each sync, if one is set.
    pub async fn lead_sheet(&self) -> SyncResult<Option<LeadSheet>> {
        Ok(leads::configured(&self.db).await?)
    }

    /// Sets the Leads sheet (a link or an id); an empty link turns lead ingest off.
    pub async fn set_lead_sheet(&self, sheet: &LeadSheet) -> SyncResult<Option<LeadSheet>> {
        leads::configure(&self.db, sheet, self.clock.now()).await
    }

    /// One pass over the Leads sheet with the first account allowed to use Sheets; logged as a
    /// run (a missing account is a failed run, so the user sees why nothing is imported).
    async fn sync_leads(&self, sheet: &LeadSheet, trigger: SyncTrigger) -> SyncResult<i64> {
        let account = self.google_account_with(Feature::Sheets).await;
        let run_id = log::start(
            &self.db,
            account.as_ref().ok().map(|a| a.id),
            "sheets",
            "leads",
            trigger,
            self.clock.now(),
        )
        .await?;
        let mut run = LeadRun::default();
        let mut calls = 0;
        let result = match account {
            Err(e) => Err(e),
            Ok(account) => {
                let session = self.google.session(account.id);
                let result = leads::ingest(
                    &self.db,
                    &GoogleSheets::new(&session),
                    sheet,
                    self.clock.now(),
                    &mut run,
                )
                .await;
                calls = session.meter().calls();
                result
            }
        };
        let outcome = log::RunOutcome {
            kind: "leads".into(),
            fetched: run.rows,
            created: run.imported,
            skipped: run.skipped + run.errors,
            api_calls: i64::from(calls),
            error: result.as_ref().err().map(|e| (e.code(), e.to_string())),
            ..Default::default()
        };
        log::finish(&self.db, run_id, &outcome, self.clock.now()).await?;
        Ok(run_id)
    }

    /// After a deal moved: if it entered the drafting stage (default Proposal) and has no draft
    /// yet, writes the Gmail draft in the background (logged as a run; a template that cannot be
    /// filled leaves a task saying why). `None` when there is nothing to do.
    pub async fn after_deal_moved(
        &self,
        deal_id: i64,
    ) -> Option<tokio::task::JoinHandle<SyncResult<Drafted>>> {
        let due = drafts::due(&self.db, deal_id, self.clock.now())
            .await
            .ok()??;
        let account = self.google_account_with(Feature::MailSend).await.ok()?;
        let runner = self.clone();
        Some(tokio::spawn(async move {
            let run_id = log::start(
                &runner.db,
                Some(account.id),
                "gmail",
                "draft",
                SyncTrigger::Manual,
                runner.clock.now(),
            )
            .await?;
            let session = runner.google.session(account.id);
            let outbox = GmailMailbox::new(&session, &account.email);
            let result = drafts::create(
                &runner.db,
                &outbox,
                account.id,
                &due,
                runner.clock.now(),
                crate::mail::send::random_part(),
            )
            .await;
            let outcome = log::RunOutcome {
                kind: "draft".into(),
                created: i64::from(result.is_ok()),
                api_calls: i64::from(session.meter().calls()),
                error: result.as_ref().err().map(|e| (e.code(), e.to_string())),
                ..Default::default()
            };
            log::finish(&runner.db, run_id, &outcome, runner.clock.now()).await?;
            result
        }))
    }

    pub async fn draft_template(&self) -> SyncResult<DraftTemplate> {
        Ok(drafts::template(&self.db).await?)
    }

    pub async fn save_draft_template(&self, t: &DraftTemplate) -> SyncResult<DraftTemplate> {
        drafts::save_template(&self.db, t, self.clock.now()).await
    }

    /// After a client is created: if the user asked for a folder per new client and a Google
    /// account has Drive access, makes it in the background (the run, and any error, goes to the
    /// sync log). Returns the task, or `None` when there is nothing to do (or the settings and
    /// accounts cannot be read, which the next explicit "Create folder" will report).
    pub async fn after_client_created(
        &self,
        client_id: i64,
    ) -> Option<tokio::task::JoinHandle<SyncResult<ClientFolder>>> {
        let wanted = crate::crm::Crm::new(self.db.clone(), self.clock.clone())
            .settings()
            .await
            .map(|s| s.client_folder_on_create)
            .unwrap_or(false);
        if !wanted || self.google_account_with(Feature::Drive).await.is_err() {
            return None;
        }
        let runner = self.clone();
        Some(tokio::spawn(async move {
            runner.client_folder(client_id, SyncTrigger::Manual).await
        }))
    }

    /// The first connected Google account that granted `feature`.
    async fn google_account_with(
        &self,
        feature: Feature,
    ) -> SyncResult<cremmy_protocol::accounts::Account> {
        self.google
            .accounts()
            .list()
            .await?
            .into_iter()
            .find(|a| {
                a.provider == Provider::Google
                    && a.status == AccountStatus::Connected
                    && a.features.contains(&feature)
            })
            .ok_or(SyncError::NoAccountFor {
                provider: Provider::Google,
                feature,
            })
    }

    pub async fn runs(&self, query: &SyncRunQuery) -> SyncResult<Vec<SyncRun>> {
        Ok(log::runs(&self.db, query).await?)
    }

    /// Marks runs a dead process left `running` as failed (call once at start-up).
    pub async fn close_abandoned_runs(&self) -> SyncResult<u64> {
        Ok(log::close_abandoned(&self.db, self.clock.now()).await?)
    }

    async fn sync_gmail(
        &self,
        account_id: i64,
        email: &str,
        reconcile: bool,
        trigger: SyncTrigger,
    ) -> SyncResult<i64> {
        let run_id = log::start(
            &self.db,
            Some(account_id),
            "gmail",
            "incremental",
            trigger,
            self.clock.now(),
        )
        .await?;
        let session = self.google.session(account_id);
        let mailbox = GmailMailbox::new(&session, email);
        let mut run = MailRun::default();
        let result = MailSync {
            db: &self.db,
            clock: self.clock.as_ref(),
            source: &mailbox,
            account_id,
            settings: self.mail,
        }
        .run(reconcile, &mut run)
        .await;
        let outcome = log::RunOutcome {
            kind: run.kind.to_string(),
            fetched: run.fetched,
            created: run.created,
            skipped: run.skipped,
            recovered: run.recovered,
            api_calls: i64::from(session.meter().calls()),
            error: result.err().map(|e| (e.code(), e.to_string())),
        };
        log::finish(&self.db, run_id, &outcome, self.clock.now()).await?;
        Ok(run_id)
    }
}
