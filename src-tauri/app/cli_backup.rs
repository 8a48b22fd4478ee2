//! `cremmy backup [--encrypt]`, `cremmy restore` and `cremmy export-json`: backups (plain or
//! sealed with a passphrase) and the full JSON export, through the same core calls as Settings.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use cremmy_core::{Clock, Core};

use crate::system_clock::SystemClock;

use crate::cli::report;

/// The variable a script sets instead of typing the passphrase.
pub const PASSPHRASE_VAR: &str = "CREMMY_BACKUP_PASSPHRASE";

/// The backup passphrase: from `CREMMY_BACKUP_PASSPHRASE`, typed without echo on a terminal, or
/// the first line of standard input.
fn passphrase(prompt: &str, confirm: bool) -> Result<String, String> {
    read_secret(PASSPHRASE_VAR, prompt, confirm)
}

/// A secret from `var`, else asked without echo on a terminal, else the first line of stdin.
pub(crate) fn read_secret(var: &str, prompt: &str, confirm: bool) -> Result<String, String> {
    if let Ok(p) = std::env::var(var) {
        return Ok(p);
    }
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(prompt).map_err(|e| e.to_string())?;
        if confirm {
            let again = rpassword::prompt_password("Once more: ").map_err(|e| e.to_string())?;
            if again != first {
                return Err("The two entries differ; nothing was written.".into());
            }
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

pub async fn backup(core: &Core, file: Option<&Path>, encrypt: bool) -> ExitCode {
    let secret = if encrypt {
        match passphrase("Passphrase for the backup: ", true) {
            Ok(p) => Some(p),
            Err(e) => return report(Err::<String, _>(e)),
        }
    } else {
        None
    };
    report(core.backup(file, secret.as_deref()).await.map(|path| {
        let sealed = if encrypt {
            " (sealed with your passphrase: keep it, Cremmy cannot recover it)"
        } else {
            ""
        };
        format!("Backed up to {}{sealed}", path.display())
    }))
}

/// Runs before any core opens the database (nothing may hold it while it is replaced).
pub async fn restore(data_dir: &Path, file: &Path) -> ExitCode {
    let secret = if cremmy_core::backup_encryption::is_sealed(file) {
        match passphrase("Passphrase of the backup: ", false) {
            Ok(p) => Some(p),
            Err(e) => return report(Err::<String, _>(e)),
        }
    } else {
        None
    };
    report(
        cremmy_core::backup::restore(data_dir, file, secret.as_deref(), SystemClock.now())
            .await
            .map(|r| {
                format!(
                    "Restored {} (schema {}). The database it replaced is kept as {}.",
                    file.display(),
                    r.schema_version,
                    r.previous.display()
                )
            }),
    )
}

pub async fn export_json(core: &Core, out: Option<&Path>) -> ExitCode {
    let now = SystemClock.now();
    match out {
        Some(path) => {
            let file = match std::fs::File::create(path) {
                Ok(f) => f,
                Err(e) => {
                    return report(Err::<String, _>(format!(
                        "cannot create {}: {e}",
                        path.display()
                    )))
                }
            };
            let mut writer = std::io::BufWriter::new(file);
            report(
                cremmy_core::json_export::export(core.database(), now, &mut writer)
                    .await
                    .map(|rows| {
                        format!("Exported every table ({rows} rows) to {}.", path.display())
                    }),
            )
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            match cremmy_core::json_export::export(core.database(), now, &mut stdout).await {
                Ok(_) => {
                    let _ = writeln!(stdout);
                    ExitCode::SUCCESS
                }
                Err(e) => report(Err::<String, _>(e)),
            }
        }
    }
}
