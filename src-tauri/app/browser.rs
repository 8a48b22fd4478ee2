//! The system browser, where sign-ins happen (never an embedded webview: RFC 8252).

use std::time::Duration;

/// How long a browser sign-in may take before Cremmy stops waiting.
pub const SIGN_IN_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// Opens `url` in the user's default browser (`xdg-open` on Linux, which honours `$BROWSER`).
pub fn open(url: &str) -> Result<(), String> {
    tauri_plugin_opener::open_url(url, None::<&str>).map_err(|e| e.to_string())
}
