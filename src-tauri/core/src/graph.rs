//! The object graph: [`Core::open`] is the one place that opens the database and builds what works
//! on it (the CRM with its one event bus, accounts, providers, the sync runner), and runs start-up
//! recovery. The CLI and the window both start here, so they cannot drift apart (a test checks
//! that nothing else builds these parts).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use cremmy_protocol::engine::Notice;
use cremmy_protocol::ErrorCode;
use tokio::sync::mpsc;

use crate::accounts::{Accounts, AccountsError, OAuthApps};
use crate::clock::Clock;
use crate::crm::Crm;
use crate::db::{Database, DbError};
use crate::endpoints::Endpoints;
use crate::engine::Engine;
use crate::providers::google::{Google, GoogleError};
use crate::providers::twilio::Twilio;
use crate::providers::Providers;
use crate::sync::{SyncError, SyncRunner};
use crate::HasErrorCode;

/// What the process's environment chooses: where providers live and the OAuth clients to use.
#[derive(Debug, Clone)]
pub struct Environment {
    pub endpoints: Endpoints,
    pub oauth_apps: OAuthApps,
    /// Tests only: abort at a CRM commit (`crash_point`; debug builds read it, release never).
    pub crash_point: Option<crate::crash_point::CrashPoint>,
}

impl Environment {
    /// From `CREMMY_<PROVIDER>_BASE_URL`, `CREMMY_<PROVIDER>_CLIENT_ID` and the like.
    pub fn from_process_env() -> Environment {
        Environment {
            endpoints: Endpoints::from_process_env(),
            oauth_apps: OAuthApps::from_process_env(),
            crash_point: crate::crash_point::CrashPoint::from_process_env(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Accounts(#[from] AccountsError),
    #[error(transparent)]
    Provider(#[from] GoogleError),
    #[error("Start-up recovery failed: {0}")]
    Recovery(#[from] SyncError),
}

impl OpenError {
    /// The data itself cannot be used (not a database, too new, no folder): nothing else helps.
    pub fn is_data_unusable(&self) -> bool {
        matches!(self, OpenError::Db(_))
    }
}

impl HasErrorCode for OpenError {
    fn code(&self) -> ErrorCode {
        match self {
            OpenError::Db(e) => e.code(),
            OpenError::Accounts(e) => e.code(),
            OpenError::Provider(e) => e.code(),
            OpenError::Recovery(e) => e.code(),
        }
    }
}

/// The opened core. Cheap to clone; the lease heartbeat stops with the last clone.
#[derive(Clone)]
pub struct Core {
    db: Database,
    clock: Arc<dyn Clock>,
    accounts: Accounts,
    sync: SyncRunner,
    endpoints: Endpoints,
    _heartbeat: Arc<Background>,
    _follow_ups: Arc<Background>,
    /// The restore a window asked for, done at this start: the backup's name and how it went.
    restored: Option<(String, Result<i64, String>)>,
}

impl Core {
    /// Opens (creating if missing) the database in `data_dir`, builds the graph, and takes over
    /// work a process that is gone left running: its sync runs are closed as failed, its jobs
    /// queued again (work a live process owns is left to it; see `lease`).
    pub async fn open(
        data_dir: &Path,
        clock: Arc<dyn Clock>,
        environment: Environment,
    ) -> Result<Core, OpenError> {
        // A restore chosen in Settings happens here, before anything holds the database.
        let restored = crate::backup_catalog::restore_pending(data_dir, clock.now())
            .await
            .map(|(name, outcome)| {
                let outcome = outcome.map(|r| r.schema_version).map_err(|e| e.to_string());
                (name, outcome)
            });
        let db = Database::open_in(data_dir).await?;
        if let Some(point) = environment.crash_point {
            db.crash_switch().arm(point);
        }
        let accounts = Accounts::open(
            db.clone(),
            clock.clone(),
            environment.endpoints.clone(),
            environment.oauth_apps,
        )
        .await?;
        let google = Google::new(accounts.clone(), clock.clone(), &environment.endpoints)?;
        let twilio = Twilio::new(accounts.http().clone(), &environment.endpoints);
        let sync = SyncRunner::new(db.clone(), clock.clone(), Providers::new(google, twilio));
        sync.close_abandoned_runs().await?;
        sync.requeue_interrupted_jobs().await?;
        let heartbeat = renew_leases(db.clone(), clock.clone(), crate::lease::HEARTBEAT);
        let follow_ups = Background(crate::follow_ups::start(sync.clone()));
        Ok(Core {
            db,
            clock,
            accounts,
            sync,
            endpoints: environment.endpoints,
            _heartbeat: Arc::new(heartbeat),
            _follow_ups: Arc::new(follow_ups),
            restored,
        })
    }

    /// The restore done at this start, if Settings asked for one: the backup's name, and its
    /// schema version or why it was not restored.
    pub fn restored_at_start(&self) -> Option<&(String, Result<i64, String>)> {
        self.restored.as_ref()
    }

    fn data_dir(&self) -> &Path {
        self.db.path().parent().unwrap_or(Path::new("."))
    }

    /// Settings → Data: the backups, newest first.
    pub fn backups(
        &self,
    ) -> Result<Vec<cremmy_protocol::data::BackupInfo>, crate::backup::BackupError> {
        crate::backup_catalog::list(self.data_dir())
    }

    /// Settings → Data → "Restore": checked now, restored at the next start.
    pub async fn schedule_restore(
        &self,
        request: &cremmy_protocol::data::RestoreRequest,
    ) -> Result<cremmy_protocol::data::BackupInfo, crate::backup::BackupError> {
        let secret = request.passphrase.as_deref().filter(|p| !p.is_empty());
        crate::backup_catalog::schedule(self.data_dir(), &request.name, secret).await
    }

    /// Settings → Data → "Export everything": the JSON export in `exports/` beside the database.
    pub async fn export_everything(
        &self,
    ) -> Result<cremmy_protocol::data::ExportMade, crate::json_export::JsonExportError> {
        let dir = self.data_dir().join("exports");
        std::fs::create_dir_all(&dir)?;
        crate::db::private::folder(&dir)?;
        let name = crate::backup::stamped_name("cremmy-export-", self.clock.now())
            .replace(".sqlite3", ".json");
        let path = dir.join(name);
        crate::db::private::create(&path)?;
        let file = std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&path)?;
        let mut out = std::io::BufWriter::new(file);
        let rows = crate::json_export::export(&self.db, self.clock.now(), &mut out).await?;
        Ok(cremmy_protocol::data::ExportMade {
            path: path.display().to_string(),
            rows,
        })
    }

    /// "Export CSV" on a report: the file goes to the `exports` folder beside the database.
    pub async fn export_report(
        &self,
        kind: cremmy_protocol::reports::ReportKind,
        request: cremmy_protocol::reports::ReportRequest,
    ) -> Result<cremmy_protocol::data::ExportMade, crate::crm::CrmError> {
        let mut out = Vec::new();
        let rows = self.sync.crm().report_csv(kind, request, &mut out).await?;
        self.save_export(&format!("cremmy-report-{}-", kind.slug()), &out, rows)
    }

    /// "Export" on the clients list's selection: a CSV beside the database.
    pub async fn export_clients(
        &self,
        client_ids: &[cremmy_protocol::crm::Id],
    ) -> Result<cremmy_protocol::data::ExportMade, crate::crm::CrmError> {
        let mut out = Vec::new();
        let rows = self
            .sync
            .crm()
            .export_clients_csv(client_ids, &mut out)
            .await?;
        self.save_export("cremmy-clients-", &out, rows)
    }

    /// Writes a CSV export, owner-only, to `exports/<prefix><time>.csv`.
    fn save_export(
        &self,
        prefix: &str,
        bytes: &[u8],
        rows: u64,
    ) -> Result<cremmy_protocol::data::ExportMade, crate::crm::CrmError> {
        use crate::crm::CrmError;
        let dir = self.data_dir().join("exports");
        std::fs::create_dir_all(&dir).map_err(CrmError::Export)?;
        crate::db::private::folder(&dir).map_err(CrmError::Export)?;
        let name =
            crate::backup::stamped_name(prefix, self.clock.now()).replace(".sqlite3", ".csv");
        let path = dir.join(name);
        crate::db::private::create(&path).map_err(CrmError::Export)?;
        std::fs::write(&path, bytes).map_err(CrmError::Export)?;
        Ok(cremmy_protocol::data::ExportMade {
            path: path.display().to_string(),
            rows,
        })
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    pub fn crm(&self) -> &Crm {
        self.sync.crm()
    }

    pub fn accounts(&self) -> &Accounts {
        &self.accounts
    }

    pub fn sync(&self) -> &SyncRunner {
        &self.sync
    }

    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// "Back up now" / `cremmy backup [FILE]`: a consistent copy of the database in `target`, or
    /// in `backups/` with the time in its name; sealed with `passphrase` when one is given
    /// (`backup_encryption`: the age format, `….sqlite3.age`).
    pub async fn backup(
        &self,
        target: Option<&Path>,
        passphrase: Option<&str>,
    ) -> Result<std::path::PathBuf, crate::backup::BackupError> {
        use crate::backup::{backup_dir, stamped_name, BackupError};
        use crate::backup_encryption as sealing;
        let data_dir = self.db.path().parent().unwrap_or(Path::new("."));
        let target = match target {
            Some(t) => t.to_path_buf(),
            None => {
                let name = stamped_name("cremmy-", self.clock.now());
                let name = if passphrase.is_some() {
                    format!("{name}.age")
                } else {
                    name
                };
                backup_dir(data_dir)?.join(name)
            }
        };
        let Some(passphrase) = passphrase else {
            self.db.backup_to(&target).await?;
            return Ok(target);
        };
        sealing::check_passphrase(passphrase)?;
        if target.exists() {
            return Err(BackupError::Exists { path: target });
        }
        let copy = sealing::Scratch::new(&backup_dir(data_dir)?, "sealing");
        self.db.backup_to(&copy.0).await?;
        let (plain, sealed, secret) = (copy.0.clone(), target.clone(), passphrase.to_string());
        tokio::task::spawn_blocking(move || sealing::seal(&plain, &sealed, &secret))
            .await
            .map_err(|e| BackupError::Io {
                path: target.clone(),
                source: std::io::Error::other(e),
            })??;
        Ok(target)
    }

    /// Starts the background engine (the window's; the CLI runs one thing and ends).
    pub fn start_engine(&self, tick: Duration, notices: mpsc::UnboundedSender<Notice>) -> Engine {
        Engine::start(self.sync.clone(), self.clock.clone(), tick, notices)
    }

    /// Lets the follow-ups of what was done queue their jobs (for at most a few seconds), then
    /// closes the database (what is committed stays; the WAL is checkpointed).
    pub async fn close(self) {
        self.crm().events().settle(FOLLOW_UP_GRACE).await;
        self.db.close().await;
    }
}

/// How long closing waits for follow-ups to queue their jobs.
const FOLLOW_UP_GRACE: Duration = Duration::from_secs(5);

/// A background task that ends with the last clone of the core.
struct Background(tokio::task::JoinHandle<()>);

impl Drop for Background {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Renews this process's leases while it lives.
fn renew_leases(db: Database, clock: Arc<dyn Clock>, every: Duration) -> Background {
    Background(tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            // A failed renewal is retried on the next tick; the lease outlives a few misses.
            let _ = crate::lease::renew(&db, clock.now()).await;
        }
    }))
}
