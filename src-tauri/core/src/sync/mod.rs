//! Syncing connected accounts: each run of each integration is planned from stored state, carried
//! out against the provider, and logged (one `sync_runs` row per run, with counts, calls and the
//! error the user can act on).

pub mod log;
pub mod outbox;
mod workspace;

use std::sync::Arc;

use cremmy_protocol::accounts::{Account, AccountStatus, Feature};
use cremmy_protocol::engine::{LastSync, SyncProgress};
use cremmy_protocol::sync::{SyncRequest, SyncRun, SyncRunQuery, SyncTrigger};
use cremmy_protocol::ErrorCode;

use crate::accounts::AccountsError;
use crate::calendar;
use crate::clock::Clock;
use crate::db::Database;
use crate::leads;
use crate::mail::{MailRun, MailSettings, MailSync};
use crate::providers::registry::{registration, Capability};
use crate::providers::{Providers, Session};
use crate::HasErrorCode;
use cremmy_protocol::kinds::RunKind;

pub use crate::failure::SourceError;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Accounts(#[from] AccountsError),
    #[error("No connected account has {}. Connect one (or reconnect it) on the Integrations page.", feature.label())]
    NoAccountFor { feature: Feature },
    #[error("Check the {field}: {reason}.")]
    Invalid { field: &'static str, reason: String },
    #[error("Client {client_id} does not exist (it may have been deleted).")]
    NoSuchClient { client_id: i64 },
    #[error("{cause} It is queued: Cremmy tries again on its own (Sync history → Outbox).")]
    Queued { cause: Box<SyncError>, job_id: i64 },
    #[error("Job {id} is not waiting to run (it is running, done, or gone).")]
    JobNotQueued { id: i64 },
    #[error("Database error during sync: {0}")]
    Db(#[from] sqlx::Error),
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
            SyncError::Queued { .. } | SyncError::JobNotQueued { .. } => false,
        }
    }

    /// The input was wrong (nothing reached a provider): the user fixes it, no retry helps.
    pub fn is_input_error(&self) -> bool {
        matches!(
            self,
            SyncError::Invalid { .. } | SyncError::NoSuchClient { .. }
        )
    }

    /// The provider could not be reached at all: the machine is probably offline.
    pub fn is_offline(&self) -> bool {
        match self {
            SyncError::Source(e) => e.is_offline(),
            SyncError::Accounts(e) => matches!(e, AccountsError::Network { .. }),
            SyncError::Queued { cause, .. } => cause.is_offline(),
            _ => false,
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
            SyncError::Queued { cause, .. } => cause.code(),
            SyncError::JobNotQueued { .. } => ErrorCode::Conflict,
        }
    }
}

pub type SyncResult<T> = Result<T, SyncError>;

/// One pull of one account in a sync.
enum Step {
    Mail(Account),
    Calendar(Account),
    Leads(cremmy_protocol::sync::LeadSheet),
}

impl Step {
    /// What the progress line says ("Gmail · you@example.com").
    fn phase(&self) -> String {
        let of = |a: &Account, capability| {
            format!(
                "{} · {}",
                Providers::service(a.provider, capability).name,
                a.email
            )
        };
        match self {
            Step::Mail(a) => of(a, Capability::MailSource),
            Step::Calendar(a) => of(a, Capability::CalendarSource),
            Step::Leads(_) => "Leads sheet".into(),
        }
    }
}

/// Runs syncs and reads the sync log. Cheap to clone.
#[derive(Clone)]
pub struct SyncRunner {
    db: Database,
    /// The CRM (and its one event bus) this runner's work writes to.
    crm: crate::crm::Crm,
    clock: Arc<dyn Clock>,
    providers: Providers,
    mail: MailSettings,
    /// One run at a time per database: overlapping "Sync now" clicks wait for the running one.
    running: Arc<tokio::sync::Mutex<()>>,
    /// Folder creation one at a time, so two clicks cannot both find nothing and both create.
    folders: Arc<tokio::sync::Mutex<()>>,
    /// Where the running sync is (`None` between runs).
    progress: Arc<tokio::sync::watch::Sender<Option<SyncProgress>>>,
}

/// The settings key of the last finished sync ([`LastSync`] as JSON).
pub const LAST_SYNC: &str = "sync.last";

impl SyncRunner {
    pub fn new(db: Database, clock: Arc<dyn Clock>, providers: impl Into<Providers>) -> SyncRunner {
        SyncRunner {
            crm: crate::crm::Crm::new(db.clone(), clock.clone()),
            db,
            clock,
            providers: providers.into(),
            mail: MailSettings::default(),
            running: Arc::default(),
            folders: Arc::default(),
            progress: Arc::new(tokio::sync::watch::channel(None).0),
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
        crate::jobs::prune(&self.db, now).await?;
        let steps = self.steps(request).await?;
        let total = steps.len() as u32;
        let mut run_ids = Vec::new();
        for (done, step) in steps.iter().enumerate() {
            self.progress.send_replace(Some(SyncProgress {
                phase: step.phase(),
                done: done as u32,
                total,
            }));
            let run = match step {
                Step::Mail(account) => self.sync_mail(account, request.reconcile, trigger).await,
                Step::Calendar(account) => self.sync_calendar(account, trigger).await,
                Step::Leads(sheet) => self.sync_leads(sheet, trigger).await,
            };
            match run {
                Ok(id) => run_ids.push(id),
                Err(e) => {
                    self.progress.send_replace(None);
                    return Err(e);
                }
            }
        }
        self.progress.send_replace(None);
        let runs = log::runs(
            &self.db,
            &SyncRunQuery {
                limit: Some(500),
                ..Default::default()
            },
        )
        .await?;
        let runs: Vec<SyncRun> = runs
            .into_iter()
            .filter(|r| run_ids.contains(&r.id))
            .collect();
        let last = LastSync {
            finished_at: self.clock.now(),
            ok: runs.iter().all(|r| r.error.is_none()),
            error: runs.iter().find_map(|r| r.error.clone()),
            needs_reconnect: runs
                .iter()
                .any(|r| r.error_code == Some(ErrorCode::ReconnectNeeded)),
        };
        // Only a sync of everything that did something is "the last sync" (none without accounts).
        if request.account_id.is_none() && total > 0 {
            let json = serde_json::to_string(&last).unwrap_or_default();
            self.db
                .put_setting(LAST_SYNC, Some(&json), self.clock.now())
                .await?;
        }
        Ok(runs)
    }

    /// What a sync of `request` will do, in order.
    async fn steps(&self, request: &SyncRequest) -> SyncResult<Vec<Step>> {
        let mut steps = Vec::new();
        for account in self.providers.accounts().list().await? {
            if request.account_id.is_some_and(|id| id != account.id)
                || account.status != AccountStatus::Connected
                || registration(account.provider).is_none()
            {
                continue;
            }
            if account.features.contains(&Feature::MailIngest) {
                steps.push(Step::Mail(account.clone()));
            }
            if account.features.contains(&Feature::Calendar) {
                steps.push(Step::Calendar(account));
            }
        }
        if request.account_id.is_none() {
            if let Some(sheet) = leads::configured(&self.db).await? {
                steps.push(Step::Leads(sheet));
            }
        }
        Ok(steps)
    }

    /// Where the running sync is; `None` between runs.
    pub fn progress(&self) -> tokio::sync::watch::Receiver<Option<SyncProgress>> {
        self.progress.subscribe()
    }

    /// How the last full sync ended (every account), if one has.
    pub async fn last_sync(&self) -> SyncResult<Option<LastSync>> {
        Ok(self.db.json_setting(LAST_SYNC).await?)
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    /// The CRM this runner writes to (the same event bus the window and the engine see).
    pub fn crm(&self) -> &crate::crm::Crm {
        &self.crm
    }

    /// The first connected account (of any provider Cremmy connects to) that granted `feature`.
    async fn account_with(&self, feature: Feature) -> SyncResult<Account> {
        self.providers
            .accounts()
            .list()
            .await?
            .into_iter()
            .find(|a| {
                a.status == AccountStatus::Connected
                    && a.features.contains(&feature)
                    && registration(a.provider).is_some()
            })
            .ok_or(SyncError::NoAccountFor { feature })
    }

    /// The account with this id.
    async fn account(&self, id: i64) -> SyncResult<Account> {
        Ok(self.providers.accounts().get(id).await?)
    }

    /// A call session for `account`.
    fn session(&self, account: &Account, feature: Feature) -> SyncResult<Session> {
        self.providers
            .session(account)
            .ok_or(SyncError::NoAccountFor { feature })
    }

    pub async fn runs(&self, query: &SyncRunQuery) -> SyncResult<Vec<SyncRun>> {
        Ok(log::runs(&self.db, query).await?)
    }

    /// Marks runs a dead process left `running` as failed (call once at start-up).
    pub async fn close_abandoned_runs(&self) -> SyncResult<u64> {
        Ok(log::close_abandoned(&self.db, self.clock.now()).await?)
    }

    /// One logged run (see [`log::logged`]).
    async fn logged<T, E: HasErrorCode>(
        &self,
        spec: log::RunSpec,
        work: impl std::future::Future<Output = (Result<T, E>, log::RunOutcome)>,
    ) -> SyncResult<(i64, Result<T, E>)> {
        // Boxed: a job body's future is large, and nested on the stack it overflows a test thread.
        Ok(log::logged(&self.db, self.clock.as_ref(), spec, Box::pin(work)).await?)
    }

    async fn sync_calendar(&self, account: &Account, trigger: SyncTrigger) -> SyncResult<i64> {
        let spec = log::RunSpec {
            account_id: Some(account.id),
            integration: Providers::service(account.provider, Capability::CalendarSource).key,
            kind: RunKind::Incremental,
            trigger,
        };
        let session = self.session(account, Feature::Calendar)?;
        let (run_id, _) = self
            .logged(spec, async {
                let mut run = calendar::CalendarRun::default();
                let result = calendar::sync(
                    &self.db,
                    &session.calendar(),
                    account.id,
                    &account.email.to_lowercase(),
                    self.clock.now(),
                    &mut run,
                )
                .await;
                let outcome = log::RunOutcome {
                    kind: Some(run.kind),
                    fetched: run.fetched,
                    skipped: run.updated + run.cancelled,
                    ..log::RunOutcome::made(run.created, session.calls())
                };
                (result, outcome)
            })
            .await?;
        Ok(run_id)
    }

    async fn sync_mail(
        &self,
        account: &Account,
        reconcile: bool,
        trigger: SyncTrigger,
    ) -> SyncResult<i64> {
        let spec = log::RunSpec {
            account_id: Some(account.id),
            integration: Providers::service(account.provider, Capability::MailSource).key,
            kind: RunKind::Incremental,
            trigger,
        };
        let session = self.session(account, Feature::MailIngest)?;
        let (run_id, _) = self
            .logged(spec, async {
                let mailbox = session.mailbox(&account.email, true);
                let mut run = MailRun::default();
                let result = MailSync {
                    db: &self.db,
                    clock: self.clock.as_ref(),
                    source: &mailbox,
                    account_id: account.id,
                    settings: self.mail,
                }
                .run(reconcile, &mut run)
                .await;
                let outcome = log::RunOutcome {
                    kind: Some(run.kind),
                    fetched: run.fetched,
                    skipped: run.skipped,
                    recovered: run.recovered,
                    ..log::RunOutcome::made(run.created, session.calls())
                };
                (result, outcome)
            })
            .await?;
        Ok(run_id)
    }
}
