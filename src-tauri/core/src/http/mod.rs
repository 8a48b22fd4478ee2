//! The HTTP client every provider call goes through: rustls with the ring provider (the one the
//! Google crates use; two providers in one process make rustls refuse to choose), the OS trust
//! store, no automatic redirects (OAuth endpoints must not be followed blindly), bounded timeouts.

pub mod call;

use std::time::Duration;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Installs ring as rustls's process-wide provider; later calls are no-ops.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[derive(Debug, thiserror::Error)]
#[error("Cannot set up HTTPS: {0}. This is a bug; please report it.")]
pub struct HttpSetupError(String);

/// A client for provider APIs. Cheap to clone (it shares its connection pool).
pub fn client() -> Result<reqwest::Client, HttpSetupError> {
    install_crypto_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .user_agent(concat!("Cremmy/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| HttpSetupError(e.to_string()))
}
