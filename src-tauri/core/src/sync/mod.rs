//! Syncing connected accounts: each run of each integration is planned from stored state, carried
//! out against the provider, and logged (one `sync_runs` row per run, with counts, calls and the
//! error the user can act on).

mod bulk_texts;
mod crm_import;
mod crm_two_way;
mod error;
mod follow_up;
mod job_bodies;
pub mod log;
pub mod outbox;
mod payment_jobs;
mod preferences;
mod pulls;
mod rule_actions;
mod rule_jobs;
mod texting;
mod webhook_jobs;

use std::sync::Arc;

use cremmy_protocol::accounts::{Account, AccountStatus, Feature};
use cremmy_protocol::engine::{LastSync, SyncProgress};
use cremmy_protocol::sync::{SyncRun, SyncRunQuery};

use crate::clock::Clock;
use crate::db::Database;
use crate::features::mail::MailSettings;
use crate::providers::registry::registration;
use crate::providers::{Providers, Session};
use crate::HasErrorCode;

pub use crate::failure::SourceError;

pub use error::{SyncError, SyncResult};
pub use webhook_jobs::{Delivered, DELIVERY_ATTEMPTS};

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
    /// Rules are judged, and their actions run, one at a time: the events an action causes are
    /// marked as the rule's before anything judges them.
    rules_lock: Arc<tokio::sync::Mutex<()>>,
    /// When meetings that ended and tasks that fell due were last looked for.
    time_scan: Arc<std::sync::atomic::AtomicI64>,
    /// Where the running sync is (`None` between runs).
    progress: Arc<tokio::sync::watch::Sender<Option<SyncProgress>>>,
    /// Bumped when a sync of everything finishes, whoever started it (the engine republishes
    /// its status at once, so the status bar shows a "Sync now" the moment it ends).
    finished: Arc<tokio::sync::watch::Sender<u64>>,
}

/// The settings key of the last finished sync ([`LastSync`] as JSON).
pub const LAST_SYNC: &str = "sync.last";

/// Connected, granted `feature`, and of a provider this build knows.
fn usable_for(a: &Account, feature: Feature) -> bool {
    a.status == AccountStatus::Connected
        && a.features.contains(&feature)
        && registration(a.provider).is_some()
}

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
            rules_lock: Arc::default(),
            time_scan: Arc::new(std::sync::atomic::AtomicI64::new(i64::MIN)),
            progress: Arc::new(tokio::sync::watch::channel(None).0),
            finished: Arc::new(tokio::sync::watch::channel(0).0),
        }
    }

    pub fn with_mail_settings(mut self, settings: MailSettings) -> SyncRunner {
        self.mail = settings;
        self
    }

    /// Where the running sync is; `None` between runs.
    pub fn progress(&self) -> tokio::sync::watch::Receiver<Option<SyncProgress>> {
        self.progress.subscribe()
    }

    /// Changes each time a sync of everything finishes (the last sync changed).
    pub fn finished(&self) -> tokio::sync::watch::Receiver<u64> {
        self.finished.subscribe()
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

    /// The providers it works through (another runner on the same database shares them).
    pub fn providers(&self) -> &Providers {
        &self.providers
    }

    /// The first connected account (of any provider Cremmy connects to) that granted `feature`.
    async fn account_with(&self, feature: Feature) -> SyncResult<Account> {
        self.providers
            .accounts()
            .list()
            .await?
            .into_iter()
            .find(|a| usable_for(a, feature))
            .ok_or(SyncError::NoAccountFor { feature })
    }

    /// The account tasks go to: the one chosen in Settings while it can still write a calendar,
    /// else the first with Calendar access.
    async fn task_calendar(&self) -> SyncResult<Account> {
        let chosen = self
            .crm
            .settings()
            .await
            .ok()
            .and_then(|s| s.task_calendar_account);
        let accounts = self.providers.accounts().list().await?;
        accounts
            .iter()
            .find(|a| Some(a.id) == chosen && usable_for(a, Feature::Calendar))
            .or_else(|| accounts.iter().find(|a| usable_for(a, Feature::Calendar)))
            .cloned()
            .ok_or(SyncError::NoAccountFor {
                feature: Feature::Calendar,
            })
    }

    /// The account an email goes from: the one chosen ("Send from"); else, for a reply, an
    /// account whose mailbox holds the mail answered (the reply stays in that conversation);
    /// else the first allowed to send.
    async fn sender(
        &self,
        chosen: Option<i64>,
        reply_to: Option<cremmy_protocol::crm::Id>,
    ) -> SyncResult<Account> {
        let feature = Feature::MailSend;
        let accounts = self.providers.accounts().list().await?;
        if let Some(id) = chosen {
            return accounts
                .into_iter()
                .find(|a| a.id == id && usable_for(a, feature))
                .ok_or_else(|| SyncError::Invalid {
                    field: "Send from",
                    reason: "that account is not connected for sending; reconnect it on the \
                             Integrations page or choose another"
                        .into(),
                });
        }
        if let Some(answered) = reply_to {
            let holders: Vec<i64> = sqlx::query_scalar(
                "SELECT account_id FROM mailbox_messages WHERE activity_id = ? ORDER BY account_id",
            )
            .bind(answered)
            .fetch_all(self.db.pool())
            .await?;
            if let Some(a) = accounts
                .iter()
                .find(|a| holders.contains(&a.id) && usable_for(a, feature))
            {
                return Ok(a.clone());
            }
        }
        accounts
            .into_iter()
            .find(|a| usable_for(a, feature))
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
}

/// What an account's session can do for `feature`; `None` (its provider cannot) reads as "no
/// account can" (the account would not have been chosen for a feature its provider lacks).
fn able<T>(capability: Option<T>, feature: Feature) -> SyncResult<T> {
    capability.ok_or(SyncError::NoAccountFor { feature })
}
