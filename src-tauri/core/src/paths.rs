//! Where Cremmy keeps its data on each platform.

use std::path::{Path, PathBuf};

/// Reverse-DNS identifier; the same as `identifier` in tauri.conf.json so the CLI and the window
/// agree on the data directory.
pub const APP_IDENTIFIER: &str = "app.cremmy.crm";
pub const DATABASE_FILE: &str = "cremmy.sqlite3";

/// The OS's per-user application-data directory for Cremmy
/// (Linux `~/.local/share/app.cremmy.crm`, macOS `~/Library/Application Support/app.cremmy.crm`,
/// Windows `%APPDATA%\app.cremmy.crm`). `None` when the OS reports no home directory.
pub fn default_data_dir() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join(APP_IDENTIFIER))
}

/// The data directory to use: the one the user named (`--data-dir` / `CREMMY_DATA_DIR`), else the
/// OS default, else `./cremmy-data` as a last resort on systems without a home directory.
pub fn resolve_data_dir(explicit: Option<PathBuf>) -> PathBuf {
    explicit
        .or_else(default_data_dir)
        .unwrap_or_else(|| PathBuf::from("cremmy-data"))
}

pub fn database_path(data_dir: &Path) -> PathBuf {
    data_dir.join(DATABASE_FILE)
}
