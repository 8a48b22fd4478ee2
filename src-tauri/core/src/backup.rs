//! Backups of the database and restoring one. A backup is `VACUUM INTO` a new file: a consistent
//! copy taken online (readers and the writer carry on), readable by its owner only. Daily backups
//! go to `backups/` beside the database and the newest [`KEEP_DAILY`] are kept. Restoring checks
//! the file first (SQLite's integrity check, a Cremmy schema no newer than this build), refuses
//! while another connection has the database open, keeps the current database as a backup, then
//! swaps the file (the next open migrates it, as any open does).

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

use crate::clock::Timestamp;
use crate::db::{self, Database, DbError};
use crate::paths;

/// The folder beside the database that holds backups.
pub const BACKUP_DIR: &str = "backups";
/// Daily backups kept (older ones are deleted when a new one is made).
pub const KEEP_DAILY: usize = 7;
const DAILY_PREFIX: &str = "daily-";

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "Cannot write the backup to {path}: {source}. Check the folder exists and has free space."
    )]
    Write {
        path: PathBuf,
        #[source]
        source: sqlx::Error,
    },
    #[error("Cannot use {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} already exists; choose another file name (Cremmy does not overwrite files).")]
    Exists { path: PathBuf },
    #[error("{path} is not a Cremmy backup ({reason}); nothing was changed.")]
    NotABackup { path: PathBuf, reason: String },
    #[error("{path} was made by a newer Cremmy (schema {found}; this one knows {known}). Update Cremmy, then restore it; nothing was changed.")]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("Cremmy is using this data folder (its window, or a sync or export running). Quit it, then restore; nothing was changed.")]
    InUse,
    #[error("A backup passphrase needs at least {min} characters (a few words are easy to remember and hard to guess).")]
    WeakPassphrase { min: usize },
    #[error("{path} is sealed with a passphrase; give it to restore (nothing was changed).")]
    NeedsPassphrase { path: PathBuf },
    #[error("The passphrase does not open {path}; nothing was changed.")]
    WrongPassphrase { path: PathBuf },
    #[error(transparent)]
    Database(#[from] DbError),
}

impl BackupError {
    /// Nothing here gets better by retrying on its own.
    pub fn is_retryable(&self) -> bool {
        matches!(self, BackupError::InUse)
    }
}

impl crate::HasErrorCode for BackupError {
    fn code(&self) -> cremmy_protocol::ErrorCode {
        use cremmy_protocol::ErrorCode;
        match self {
            BackupError::Write { .. } | BackupError::Io { .. } => ErrorCode::DataDirUnavailable,
            BackupError::Exists { .. } | BackupError::InUse => ErrorCode::Conflict,
            BackupError::NotABackup { .. }
            | BackupError::WeakPassphrase { .. }
            | BackupError::NeedsPassphrase { .. }
            | BackupError::WrongPassphrase { .. } => ErrorCode::InvalidInput,
            BackupError::TooNew { .. } => ErrorCode::DatabaseTooNew,
            BackupError::Database(e) => e.code(),
        }
    }
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// The database as it was before the restore, kept as a backup.
    pub previous: PathBuf,
    /// The restored database's schema version before it was brought up to date.
    pub schema_version: i64,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// `backups/` beside the database, made private if missing.
pub fn backup_dir(data_dir: &Path) -> Result<PathBuf, BackupError> {
    let dir = data_dir.join(BACKUP_DIR);
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    db::private::folder(&dir).map_err(io(&dir))?;
    Ok(dir)
}

/// A name for a backup made at `now` (UTC, to the second): `cremmy-2026-11-30T101500Z.sqlite3`.
pub fn stamped_name(prefix: &str, now: Timestamp) -> String {
    let iso = crate::crm::iso_utc(now);
    let compact: String = iso[..19].chars().filter(|c| *c != ':').collect();
    format!("{prefix}{compact}Z.sqlite3")
}

impl Database {
    /// A consistent copy of the live database in `target` (which must not exist yet), readable by
    /// its owner only.
    pub async fn backup_to(&self, target: &Path) -> Result<(), BackupError> {
        if target.exists() {
            return Err(BackupError::Exists {
                path: target.to_path_buf(),
            });
        }
        // The file is made private before SQLite writes into it.
        db::private::create(target).map_err(io(target))?;
        // VACUUM INTO wants a file that does not exist or is empty.
        let result = sqlx::query("VACUUM INTO ?")
            .bind(target.to_string_lossy().to_string())
            .execute(self.pool())
            .await;
        if let Err(source) = result {
            let _ = std::fs::remove_file(target);
            return Err(BackupError::Write {
                path: target.to_path_buf(),
                source,
            });
        }
        db::private::tighten(target).map_err(io(target))?;
        Ok(())
    }
}

/// Today's daily backup, if it is not made yet; then only the newest [`KEEP_DAILY`] are kept.
/// Returns the new backup's path (`None`: today's exists).
pub async fn daily(db: &Database, now: Timestamp) -> Result<Option<PathBuf>, BackupError> {
    let data_dir = db.path().parent().unwrap_or(Path::new("."));
    let dir = backup_dir(data_dir)?;
    let day = &crate::crm::iso_utc(now)[..10];
    let target = dir.join(format!("{DAILY_PREFIX}{day}.sqlite3"));
    if target.exists() {
        return Ok(None);
    }
    db.backup_to(&target).await?;
    let mut dailies: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(io(&dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(DAILY_PREFIX) && n.ends_with(".sqlite3"))
        })
        .collect();
    // Names sort by date.
    dailies.sort();
    let surplus = dailies.len().saturating_sub(KEEP_DAILY);
    for old in &dailies[..surplus] {
        std::fs::remove_file(old).map_err(io(old))?;
    }
    Ok(Some(target))
}

/// Checks that `file` is a readable, intact Cremmy database this build can open; its schema
/// version.
pub async fn check(file: &Path) -> Result<i64, BackupError> {
    let not = |reason: String| BackupError::NotABackup {
        path: file.to_path_buf(),
        reason,
    };
    if !file.is_file() {
        return Err(not("there is no such file".into()));
    }
    let options = SqliteConnectOptions::from_str("sqlite:")
        .map_err(|e| not(e.to_string()))?
        .filename(file)
        .read_only(true);
    let mut conn = options
        .connect()
        .await
        .map_err(|e| not(format!("it does not open as SQLite: {e}")))?;
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .map_err(|e| not(format!("it does not read as SQLite: {e}")))?;
    if integrity != "ok" {
        return Err(not(format!("SQLite's integrity check says: {integrity}")));
    }
    let version: Option<i64> =
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = 1")
            .fetch_one(&mut conn)
            .await
            .map_err(|_| not("it has no Cremmy schema".into()))?;
    let has_clients: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'clients')",
    )
    .fetch_one(&mut conn)
    .await
    .map_err(|e| not(e.to_string()))?;
    let _ = conn.close().await;
    let version = version.ok_or_else(|| not("it has no Cremmy schema".into()))?;
    if !has_clients {
        return Err(not("it has no Cremmy tables".into()));
    }
    let known = db::known_schema_version();
    if version > known {
        return Err(BackupError::TooNew {
            path: file.to_path_buf(),
            found: version,
            known,
        });
    }
    Ok(version)
}

/// Restores `file` as the database of `data_dir`. Nothing may have the database open: the
/// current database is first taken over exclusively (a connection that cannot leave WAL mode
/// means another one is open), kept as `backups/before-restore-….sqlite3`, then replaced. A
/// sealed backup (`backup_encryption`) needs its passphrase; it is opened into a private
/// temporary file first, and that file is checked and restored like a plain one.
pub async fn restore(
    data_dir: &Path,
    file: &Path,
    passphrase: Option<&str>,
    now: Timestamp,
) -> Result<Restored, BackupError> {
    if !crate::backup_encryption::is_sealed(file) {
        return restore_plain(data_dir, file, now, BRIEFLY).await;
    }
    let passphrase = passphrase.ok_or_else(|| BackupError::NeedsPassphrase {
        path: file.to_path_buf(),
    })?;
    let opened = crate::backup_encryption::Scratch::new(&backup_dir(data_dir)?, "opening");
    let (sealed, plain, secret) = (file.to_path_buf(), opened.0.clone(), passphrase.to_string());
    tokio::task::spawn_blocking(move || crate::backup_encryption::open(&sealed, &plain, &secret))
        .await
        .map_err(|e| BackupError::Io {
            path: file.to_path_buf(),
            source: std::io::Error::other(e),
        })??;
    restore_plain(data_dir, &opened.0, now, BRIEFLY).await
}

/// How long a restore asks again whether the database is free: a restore asked by hand says
/// "in use" after three seconds.
const BRIEFLY: Duration = Duration::from_secs(3);
/// A restore queued for the next start (Settings → Restore, then "Restart now") runs while the
/// previous process may still be closing the database: it waits up to this long for it.
pub const AFTER_A_QUIT: Duration = Duration::from_secs(30);

/// Restores a plain (unsealed) backup at start-up, waiting up to [`AFTER_A_QUIT`] for the
/// process that ran before to release the database.
pub async fn restore_at_start(
    data_dir: &Path,
    file: &Path,
    now: Timestamp,
) -> Result<Restored, BackupError> {
    if crate::backup_encryption::is_sealed(file) {
        return Err(BackupError::NeedsPassphrase {
            path: file.to_path_buf(),
        });
    }
    restore_plain(data_dir, file, now, AFTER_A_QUIT).await
}

async fn restore_plain(
    data_dir: &Path,
    file: &Path,
    now: Timestamp,
    patience: Duration,
) -> Result<Restored, BackupError> {
    let schema_version = check(file).await?;
    let current = paths::database_path(data_dir);
    let dir = backup_dir(data_dir)?;
    let previous = dir.join(stamped_name("before-restore-", now));
    if current.exists() {
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(|e| BackupError::Write {
                path: current.clone(),
                source: e,
            })?
            .filename(&current)
            .busy_timeout(std::time::Duration::from_millis(200));
        let mut conn = options.connect().await.map_err(|_| BackupError::InUse)?;
        // Leaving WAL mode needs the only connection; it also checkpoints the WAL into the file.
        // A connection closed a moment ago (a core this process just closed: SQLite connections
        // close on their own threads, later under load; the process before this one, still
        // quitting) may still be finishing, so the answer is asked again for `patience` before
        // it counts.
        let mut left_wal = false;
        let tries = (patience.as_millis() / 200).max(1);
        for _ in 0..tries {
            let mode: Option<String> = sqlx::query_scalar("PRAGMA journal_mode = DELETE")
                .fetch_one(&mut conn)
                .await
                .ok();
            if mode.is_some_and(|m| m.eq_ignore_ascii_case("delete")) {
                left_wal = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        if !left_wal {
            let _ = conn.close().await;
            return Err(BackupError::InUse);
        }
        // Hold the database while it is copied aside and replaced.
        sqlx::query("BEGIN EXCLUSIVE")
            .execute(&mut conn)
            .await
            .map_err(|_| BackupError::InUse)?;
        db::private::create(&previous).map_err(io(&previous))?;
        std::fs::copy(&current, &previous).map_err(io(&previous))?;
        db::private::tighten(&previous).map_err(io(&previous))?;
        let staged = data_dir.join(format!("{}.restoring", paths::DATABASE_FILE));
        std::fs::copy(file, &staged).map_err(io(&staged))?;
        db::private::tighten(&staged).map_err(io(&staged))?;
        // Released just before the swap (Windows cannot replace a file that is open).
        let _ = sqlx::query("ROLLBACK").execute(&mut conn).await;
        let _ = conn.close().await;
        std::fs::rename(&staged, &current).map_err(io(&current))?;
    } else {
        std::fs::create_dir_all(data_dir).map_err(io(data_dir))?;
        std::fs::copy(file, &current).map_err(io(&current))?;
        db::private::tighten(&current).map_err(io(&current))?;
    }
    for suffix in ["-wal", "-shm"] {
        let mut name = current.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(name));
    }
    // The next open (the window, any `cremmy` command) puts it back in WAL mode and brings its
    // schema up to this build's (`check` made sure it is not newer).
    Ok(Restored {
        previous,
        schema_version,
    })
}
