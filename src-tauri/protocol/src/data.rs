//! Settings → Data: backups (made, listed, restored) and the full export.

use serde::{Deserialize, Serialize};

use crate::crm::Millis;

/// A backup in the `backups` folder beside the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupInfo {
    /// The file's name in the backups folder (what a restore names).
    pub name: String,
    pub size_bytes: u64,
    /// When the file was written.
    pub made_at: Millis,
    /// Sealed with a passphrase (the age format): restoring asks for it.
    pub sealed: bool,
}

/// "Back up now", optionally sealed with a passphrase.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupRequest {
    #[serde(default)]
    pub passphrase: Option<String>,
}

/// "Restore" on a backup of the list: checked now, put in place when Cremmy next starts (nothing
/// may hold the database while it is replaced).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreRequest {
    pub name: String,
    #[serde(default)]
    pub passphrase: Option<String>,
}

/// "Export everything": where the JSON file went and how many rows it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportMade {
    pub path: String,
    pub rows: u64,
}
