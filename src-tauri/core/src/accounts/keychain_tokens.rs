//! Where tokens live: one OS-keychain entry per token (service `app.cremmy.crm`, user
//! `<install id>/<provider>/<email>/<refresh|access>`). Separate entries keep each secret far
//! under Windows Credential Manager's 2,560-byte cap.

use cremmy_protocol::Provider;

use super::{AccountsError, AccountsResult};
use crate::keychain::{install_platform_store, SERVICE};

/// How long a keychain call may take before it counts as unreachable.
pub const KEYCHAIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Refresh,
    Access,
    /// A key or token the user pasted (an API key and its secret), for providers without OAuth.
    ApiKey,
}

#[derive(Debug, Clone)]
pub struct TokenVault {
    install_id: String,
}

impl TokenVault {
    pub fn new(install_id: String) -> TokenVault {
        TokenVault { install_id }
    }

    fn user(&self, provider: Provider, email: &str, kind: TokenKind) -> String {
        let kind = match kind {
            TokenKind::Refresh => "refresh",
            TokenKind::Access => "access",
            TokenKind::ApiKey => "api-key",
        };
        format!(
            "{}/{}/{}/{kind}",
            self.install_id,
            provider.key(),
            email.to_ascii_lowercase()
        )
    }

    /// Runs a keychain call off the async threads (Secret Service and Keychain calls block).
    async fn call<T: Send + 'static>(
        &self,
        action: &'static str,
        user: String,
        f: impl FnOnce(&keyring_core::Entry) -> Result<T, keyring_core::Error> + Send + 'static,
    ) -> AccountsResult<T> {
        let call = tokio::task::spawn_blocking(move || {
            install_platform_store().map_err(|e| AccountsError::Keychain {
                action,
                source: keyring_core::Error::NoStorageAccess(e.into()),
            })?;
            let entry = keyring_core::Entry::new(SERVICE, &user)
                .map_err(|source| AccountsError::Keychain { action, source })?;
            f(&entry).map_err(|source| AccountsError::Keychain { action, source })
        });
        // A Secret Service that is not running can keep a D-Bus call waiting; the caller (a
        // refresh under its lock, a job) must not wait with it.
        match tokio::time::timeout(KEYCHAIN_TIMEOUT, call).await {
            Err(_) => Err(AccountsError::KeychainTimedOut {
                action,
                seconds: KEYCHAIN_TIMEOUT.as_secs(),
            }),
            Ok(joined) => joined.map_err(|e| AccountsError::KeychainTask(e.to_string()))?,
        }
    }

    fn client_secret_user(&self, provider: Provider) -> String {
        format!("{}/{}/oauth-client-secret", self.install_id, provider.key())
    }

    async fn read(&self, action: &'static str, user: String) -> AccountsResult<Option<String>> {
        self.call(action, user, |e| match e.get_password() {
            Ok(secret) => Ok(Some(secret)),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(other) => Err(other),
        })
        .await
    }

    async fn write(&self, action: &'static str, user: String, secret: &str) -> AccountsResult<()> {
        let secret = secret.to_string();
        self.call(action, user, move |e| e.set_password(&secret))
            .await
    }

    /// A secret that belongs to no account (a webhook endpoint's signing secret), under
    /// `<install id>/<name>`.
    pub async fn named(&self, name: &str) -> AccountsResult<Option<String>> {
        self.read("read a secret", format!("{}/{name}", self.install_id))
            .await
    }

    pub async fn set_named(&self, name: &str, secret: &str) -> AccountsResult<()> {
        self.write(
            "store a secret",
            format!("{}/{name}", self.install_id),
            secret,
        )
        .await
    }

    pub async fn delete_named(&self, name: &str) -> AccountsResult<()> {
        self.call(
            "delete a secret",
            format!("{}/{name}", self.install_id),
            |e| match e.delete_credential() {
                Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
                Err(other) => Err(other),
            },
        )
        .await
    }

    /// The OAuth client secret saved in Settings (not a token, but kept as carefully).
    pub async fn client_secret(&self, provider: Provider) -> AccountsResult<Option<String>> {
        self.read(
            "read the OAuth client secret",
            self.client_secret_user(provider),
        )
        .await
    }

    pub async fn set_client_secret(&self, provider: Provider, secret: &str) -> AccountsResult<()> {
        self.write(
            "store the OAuth client secret",
            self.client_secret_user(provider),
            secret,
        )
        .await
    }

    pub async fn get(
        &self,
        provider: Provider,
        email: &str,
        kind: TokenKind,
    ) -> AccountsResult<Option<String>> {
        self.read("read a token", self.user(provider, email, kind))
            .await
    }

    pub async fn set(
        &self,
        provider: Provider,
        email: &str,
        kind: TokenKind,
        secret: &str,
    ) -> AccountsResult<()> {
        self.write("store a token", self.user(provider, email, kind), secret)
            .await
    }

    pub async fn delete(
        &self,
        provider: Provider,
        email: &str,
        kind: TokenKind,
    ) -> AccountsResult<()> {
        self.call(
            "delete a token",
            self.user(provider, email, kind),
            |e| match e.delete_credential() {
                Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
                Err(other) => Err(other),
            },
        )
        .await
    }
}
