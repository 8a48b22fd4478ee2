//! The backups folder as Settings shows it, and a restore chosen in the running window: the file
//! is checked (and a sealed one opened with its passphrase) when the user asks, then put in place
//! by `Core::open` at the next start, before anything opens the database. A marker file beside
//! the database says what to restore; it is removed before the restore runs, so a failing
//! restore never repeats at every start.

use std::path::{Path, PathBuf};

use cremmy_protocol::data::BackupInfo;

use crate::backup::{self, backup_dir, BackupError, Restored};
use crate::backup_encryption as sealing;
use crate::clock::Timestamp;

/// The marker beside the database: the file to restore at the next start.
const PENDING: &str = "restore-pending";
/// A sealed backup opened for a pending restore (private, in the backups folder).
const OPENED: &str = ".pending-restore.sqlite3";

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The backups in the folder, newest first (Cremmy's own scratch files left out).
pub fn list(data_dir: &Path) -> Result<Vec<BackupInfo>, BackupError> {
    let dir = backup_dir(data_dir)?;
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&dir).map_err(io(&dir))?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let backup_like = name.ends_with(".sqlite3") || name.ends_with(".sqlite3.age");
        if name.starts_with('.') || !backup_like {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        if !meta.is_file() {
            continue;
        }
        let made_at = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_millis() as i64);
        found.push(BackupInfo {
            sealed: sealing::is_sealed(&entry.path()),
            name,
            size_bytes: meta.len(),
            made_at,
        });
    }
    found.sort_by(|a, b| b.made_at.cmp(&a.made_at).then(b.name.cmp(&a.name)));
    Ok(found)
}

/// A backup's path from its name in the list; anything else (a path, `..`) is refused.
fn named(data_dir: &Path, name: &str) -> Result<PathBuf, BackupError> {
    let dir = backup_dir(data_dir)?;
    let plain_name =
        !name.is_empty() && !name.starts_with('.') && !name.contains(['/', '\\']) && name != "..";
    let path = dir.join(name);
    if !plain_name || !path.is_file() {
        return Err(BackupError::NotABackup {
            path,
            reason: "it is not one of the backups in the backups folder".into(),
        });
    }
    Ok(path)
}

/// Checks the backup `name` now (opening a sealed one with `passphrase`) and leaves it to be
/// restored at the next start. Nothing changes if the check fails.
pub async fn schedule(
    data_dir: &Path,
    name: &str,
    passphrase: Option<&str>,
) -> Result<BackupInfo, BackupError> {
    let file = named(data_dir, name)?;
    let info = list(data_dir)?
        .into_iter()
        .find(|b| b.name == name)
        .ok_or_else(|| BackupError::NotABackup {
            path: file.clone(),
            reason: "it is not in the backups folder".into(),
        })?;
    // A copy opened for an earlier choice is not needed any more, whatever is chosen now.
    let opened = backup_dir(data_dir)?.join(OPENED);
    let _ = std::fs::remove_file(&opened);
    let to_restore = if info.sealed {
        let secret =
            passphrase.ok_or_else(|| BackupError::NeedsPassphrase { path: file.clone() })?;
        let (sealed, plain, secret) = (file.clone(), opened.clone(), secret.to_string());
        let result = tokio::task::spawn_blocking(move || sealing::open(&sealed, &plain, &secret))
            .await
            .map_err(|e| BackupError::Io {
                path: file.clone(),
                source: std::io::Error::other(e),
            })
            .and_then(|r| r);
        if let Err(e) = result {
            let _ = std::fs::remove_file(&opened);
            return Err(e);
        }
        opened
    } else {
        file
    };
    if let Err(e) = backup::check(&to_restore).await {
        if info.sealed {
            let _ = std::fs::remove_file(&to_restore);
        }
        return Err(e);
    }
    let marker = data_dir.join(PENDING);
    let text = serde_json::json!({ "file": to_restore, "name": name }).to_string();
    crate::db::private::create(&marker).map_err(io(&marker))?;
    std::fs::write(&marker, text).map_err(io(&marker))?;
    Ok(info)
}

/// The restore a window asked for, if one waits: done now (call before opening the database).
/// `Some((name, outcome))` when there was one.
pub async fn restore_pending(
    data_dir: &Path,
    now: Timestamp,
) -> Option<(String, Result<Restored, BackupError>)> {
    let marker = data_dir.join(PENDING);
    let text = std::fs::read_to_string(&marker).ok()?;
    // Removed first: a restore that fails is reported once, not retried at every start.
    let _ = std::fs::remove_file(&marker);
    let parsed: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let name = parsed["name"].as_str().unwrap_or("the backup").to_string();
    let Some(file) = parsed["file"].as_str().map(PathBuf::from) else {
        let error = BackupError::NotABackup {
            path: marker,
            reason: "the pending restore could not be read".into(),
        };
        return Some((name, Err(error)));
    };
    let outcome = backup::restore_at_start(data_dir, &file, now).await;
    if file.file_name().is_some_and(|n| n == OPENED) {
        let _ = std::fs::remove_file(&file);
    }
    Some((name, outcome))
}
