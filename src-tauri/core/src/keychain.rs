//! The OS keychain (macOS Keychain, Windows Credential Manager, Secret Service on Linux), the
//! only place Cremmy keeps secrets. This module installs the platform store and probes it.

use std::sync::Mutex;
use std::time::Duration;

use cremmy_protocol::KeychainStatus;

/// The keychain "service" all of Cremmy's entries are filed under.
pub const SERVICE: &str = "app.cremmy.crm";

#[cfg(target_os = "linux")]
pub const BACKEND: &str = "Secret Service (D-Bus)";
#[cfg(target_os = "macos")]
pub const BACKEND: &str = "macOS Keychain";
#[cfg(target_os = "windows")]
pub const BACKEND: &str = "Windows Credential Manager";
#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
pub const BACKEND: &str = "none";

/// How long a keychain call may take before it counts as unreachable (a Secret Service that is
/// not running can otherwise keep a D-Bus call waiting).
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs a set-up until it succeeds once: a failure is not remembered, so the next call tries
/// again (a keychain not yet reachable when Cremmy starts at login is reachable a minute later).
#[derive(Default)]
pub struct UntilOk {
    done: Mutex<bool>,
}

impl UntilOk {
    pub const fn new() -> UntilOk {
        UntilOk {
            done: Mutex::new(false),
        }
    }

    pub fn run(&self, set_up: impl FnOnce() -> Result<(), String>) -> Result<(), String> {
        let mut done = self.done.lock().unwrap_or_else(|p| p.into_inner());
        if *done {
            return Ok(());
        }
        set_up()?;
        *done = true;
        Ok(())
    }
}

static STORE: UntilOk = UntilOk::new();

/// Installs the platform's credential store as keyring-core's default, once per process (and
/// again on the next call while it fails).
pub fn install_platform_store() -> Result<(), String> {
    STORE.run(|| {
        #[cfg(target_os = "linux")]
        let store = zbus_secret_service_keyring_store::Store::new();
        #[cfg(target_os = "macos")]
        let store = apple_native_keyring_store::keychain::Store::new();
        #[cfg(target_os = "windows")]
        let store = windows_native_keyring_store::Store::new();
        #[cfg(any(target_os = "linux", target_os = "macos", target_os = "windows"))]
        return store
            .map(|s| keyring_core::set_default_store(s))
            .map_err(|e| e.to_string());
        #[allow(unreachable_code)]
        Err("no credential store for this platform".to_string())
    })
}

/// Whether the keychain answers: reads an entry that need not exist. Never writes.
pub async fn probe() -> KeychainStatus {
    let attempt = tokio::task::spawn_blocking(|| -> Result<(), String> {
        install_platform_store()?;
        let entry =
            keyring_core::Entry::new(SERVICE, "cremmy-doctor-probe").map_err(|e| e.to_string())?;
        match entry.get_password() {
            Ok(_) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    });
    let reason = match tokio::time::timeout(PROBE_TIMEOUT, attempt).await {
        Ok(Ok(Ok(()))) => {
            return KeychainStatus::Reachable {
                backend: BACKEND.to_string(),
            }
        }
        Ok(Ok(Err(reason))) => reason,
        Ok(Err(join)) => format!("the keychain call crashed: {join}"),
        Err(_) => format!("no answer within {} s", PROBE_TIMEOUT.as_secs()),
    };
    KeychainStatus::Unreachable {
        backend: BACKEND.to_string(),
        reason,
    }
}
