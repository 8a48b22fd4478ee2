//! Opening the local SQLite database: WAL, `synchronous=NORMAL`, foreign keys, embedded
//! migrations. A file that is not a readable Cremmy database is reported, never replaced.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::{MigrateError, Migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use cremmy_protocol::DatabaseStatus;

use crate::paths;

static MIGRATOR: Migrator = sqlx::migrate!("../../migrations");

/// The newest schema this build knows (its last migration).
pub fn known_schema_version() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("Cannot create the data directory {path}: {source}. Choose another one with --data-dir or CREMMY_DATA_DIR.")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a readable Cremmy database ({source}). Cremmy has not changed it. Restore it from a backup, or start Cremmy with another data directory (--data-dir).")]
    Unreadable { path: PathBuf, source: sqlx::Error },
    #[error("{path} was written by a newer version of Cremmy (schema {found}; this version knows up to {known}). Update Cremmy to open it.")]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("Cannot open {path}: {source}. Check that the file and its folder are readable and writable.")]
    Open { path: PathBuf, source: sqlx::Error },
    #[error("Updating the database schema of {path} failed: {source}")]
    Migrate { path: PathBuf, source: MigrateError },
    #[error("Database error: {0}")]
    Query(#[from] sqlx::Error),
}

impl DbError {
    /// Whether trying the same thing again later may succeed (e.g. the file was busy).
    pub fn is_retryable(&self) -> bool {
        match self {
            DbError::Query(e) | DbError::Open { source: e, .. } => is_busy(e),
            _ => false,
        }
    }
}

pub(crate) fn is_busy(e: &sqlx::Error) -> bool {
    // SQLITE_BUSY (5) and SQLITE_LOCKED (6): another process holds the file.
    matches!(e, sqlx::Error::Database(d) if matches!(d.code().as_deref(), Some("5") | Some("6")))
        || matches!(e, sqlx::Error::PoolTimedOut)
}

/// SQLITE_FULL (13): the disk (or the database's size limit) is full.
pub fn is_disk_full(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.code().as_deref() == Some("13"))
}

/// What to tell the user about a database error: a full disk says so and what to do.
pub fn describe(e: &sqlx::Error) -> String {
    if is_disk_full(e) {
        "The disk is full, so Cremmy could not save this. Free some space and try again; \
         nothing was half-saved."
            .to_string()
    } else {
        format!("Database error: {e}")
    }
}

/// SQLITE_NOTADB (26) and SQLITE_CORRUPT (11): the bytes on disk are not a usable database.
fn is_unreadable(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if matches!(d.code().as_deref(), Some("26") | Some("11")))
}

/// The open database. Cheap to clone (a pool handle).
#[derive(Debug, Clone)]
pub struct Database {
    /// Readers: several connections, each reading a consistent WAL snapshot.
    pool: SqlitePool,
    /// The one writer: every write and every transaction goes through this single connection,
    /// so Cremmy's own writes queue in order instead of failing with SQLITE_BUSY, and a
    /// transaction abandoned on an error path is rolled back before the next write begins.
    writer: SqlitePool,
    path: PathBuf,
    /// What committed changes to the CRM tables announce (one bus per open database, so every
    /// handle on it, the window's, the CLI's and the sync runner's, hears the same events).
    events: crate::events::EventBus,
    /// The test-only crash switch its CRM commits pass (`crash_point`).
    crash: std::sync::Arc<crate::crash_point::CrashSwitch>,
}

impl Database {
    /// The crash switch (armed only by tests, through `Environment`).
    pub fn crash_switch(&self) -> &crate::crash_point::CrashSwitch {
        &self.crash
    }

    pub(crate) fn crash_switch_handle(&self) -> std::sync::Arc<crate::crash_point::CrashSwitch> {
        self.crash.clone()
    }

    /// The bus committed CRM changes are announced on.
    pub fn events(&self) -> &crate::events::EventBus {
        &self.events
    }

    /// A value from the `settings` table.
    pub async fn setting(&self, key: &str) -> Result<Option<String>, sqlx::Error> {
        sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
            .bind(key)
            .fetch_optional(self.pool())
            .await
    }

    /// A JSON setting, or `None` if unset or no longer readable.
    pub async fn json_setting<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, sqlx::Error> {
        Ok(self
            .setting(key)
            .await?
            .and_then(|v| serde_json::from_str(&v).ok()))
    }

    /// Sets (or with `None`, removes) a setting.
    pub async fn put_setting(
        &self,
        key: &str,
        value: Option<&str>,
        now: crate::clock::Timestamp,
    ) -> Result<(), sqlx::Error> {
        match value {
            Some(v) => sqlx::query(
                "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            )
            .bind(key)
            .bind(v)
            .bind(now)
            .execute(self.writer())
            .await?,
            None => sqlx::query("DELETE FROM settings WHERE key = ?")
                .bind(key)
                .execute(self.writer())
                .await?,
        };
        Ok(())
    }

    /// Opens (creating if missing) `cremmy.sqlite3` in `data_dir` and brings its schema up to date.
    pub async fn open_in(data_dir: &Path) -> Result<Database, DbError> {
        let dir_error = |source| DbError::DataDir {
            path: data_dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(data_dir).map_err(dir_error)?;
        private::folder(data_dir).map_err(dir_error)?;
        Database::open_file(&paths::database_path(data_dir)).await
    }

    /// Opens (creating if missing) the database at `path` and runs pending migrations. A new file
    /// is made readable by its owner only before SQLite opens it (its `-wal` and `-shm` files
    /// take the same mode).
    pub async fn open_file(path: &Path) -> Result<Database, DbError> {
        let io_error = |source| DbError::Open {
            path: path.to_path_buf(),
            source: sqlx::Error::Io(source),
        };
        private::create(path).map_err(io_error)?;
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(|source| DbError::Open {
                path: path.to_path_buf(),
                source,
            })?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            .pragma("temp_store", "memory")
            // 16 MiB of page cache per connection (SQLite's default is 2 MiB): with a million
            // activities, the board's and a client page's reads evicted the search index's pages
            // between searches, doubling a common word's search (p95 12.2 → 6.0 ms measured,
            // `docs/benchmarks.md` figure 5; 8 MiB: 8.7 ms, 32 MiB: no better). Pages are
            // allocated as they are read, so a small database never grows to it.
            .pragma("cache_size", "-16384");
        // No idle or lifetime limits: a desktop app keeps its few connections, and sqlx's
        // maintenance task then never holds one while the pool closes (a closed database must
        // leave the file free, e.g. for a restore in the same process).
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options.clone())
            .await
            .map_err(|source| classify_open_error(path, source))?;
        // Touch the schema before migrating so garbage is reported as such, not as a failed migration.
        sqlx::query("SELECT count(*) FROM sqlite_master")
            .execute(&writer)
            .await
            .map_err(|source| classify_open_error(path, source))?;
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(|source| classify_open_error(path, source))?;
        let db = Database {
            pool,
            writer,
            path: path.to_path_buf(),
            events: crate::events::EventBus::default(),
            crash: Default::default(),
        };
        db.migrate().await?;
        // Only a file that opened as a Cremmy database is tightened (anything else is left as it
        // was); the WAL and shared-memory files are the same data.
        for file in [
            path.to_path_buf(),
            wal_file(path, "-wal"),
            wal_file(path, "-shm"),
        ] {
            private::tighten(&file).map_err(io_error)?;
        }
        Ok(db)
    }

    async fn migrate(&self) -> Result<(), DbError> {
        let known = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
        let found = self
            .applied_version()
            .await
            .map_err(|source| classify_open_error(&self.path, source))?;
        if found > known {
            return Err(DbError::TooNew {
                path: self.path.clone(),
                found,
                known,
            });
        }
        MIGRATOR
            .run(&self.writer)
            .await
            .map_err(|source| match source {
                MigrateError::Execute(e) if is_unreadable(&e) => DbError::Unreadable {
                    path: self.path.clone(),
                    source: e,
                },
                source => DbError::Migrate {
                    path: self.path.clone(),
                    source,
                },
            })
    }

    /// Highest successfully applied migration; 0 for a database never migrated.
    async fn applied_version(&self) -> Result<i64, sqlx::Error> {
        let exists: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
        )
        .fetch_optional(&self.pool)
        .await?;
        if exists.is_none() {
            return Ok(0);
        }
        sqlx::query_scalar(
            "SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success = 1",
        )
        .fetch_one(&self.pool)
        .await
    }

    /// For reads.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// For writes and transactions (a single connection; see the field's note).
    pub fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub async fn status(&self) -> Result<DatabaseStatus, DbError> {
        let journal_mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&self.pool)
            .await?;
        Ok(DatabaseStatus {
            data_dir: self
                .path
                .parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            database_path: self.path.display().to_string(),
            schema_version: self.applied_version().await?,
            journal_mode,
        })
    }

    /// Closes every connection, checkpointing the WAL.
    pub async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
    }
}

fn classify_open_error(path: &Path, source: sqlx::Error) -> DbError {
    if is_unreadable(&source) {
        DbError::Unreadable {
            path: path.to_path_buf(),
            source,
        }
    } else {
        DbError::Open {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// `cremmy.sqlite3-wal` beside `cremmy.sqlite3`.
fn wal_file(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The owner's alone: the data folder 0700 and the database files 0600 on Unix (other users of
/// the machine must not read a CRM). Elsewhere the per-user profile folder already is.
pub(crate) mod private {
    use std::path::Path;

    #[cfg(unix)]
    pub fn folder(dir: &Path) -> std::io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
    }

    /// Creates the file owner-only if it is missing.
    #[cfg(unix)]
    pub fn create(path: &Path) -> std::io::Result<()> {
        use std::os::unix::fs::OpenOptionsExt;
        if path.exists() {
            return Ok(());
        }
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map(drop)
    }

    /// Makes an existing file owner-only.
    #[cfg(unix)]
    pub fn tighten(path: &Path) -> std::io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_file() && meta.permissions().mode() & 0o077 != 0 => {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            }
            _ => Ok(()),
        }
    }

    #[cfg(not(unix))]
    pub fn folder(_: &Path) -> std::io::Result<()> {
        Ok(())
    }

    #[cfg(not(unix))]
    pub fn create(_: &Path) -> std::io::Result<()> {
        Ok(())
    }

    #[cfg(not(unix))]
    pub fn tighten(_: &Path) -> std::io::Result<()> {
        Ok(())
    }
}
