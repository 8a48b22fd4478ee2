//! Where tokens live: one OS-keychain entry per token (service `app.cremmy.crm`, user
//! `<install id>/<provider>/<email>/<refresh|access>`). A token longer than one entry holds on
//! Windows (2,560 bytes of UTF-16; Microsoft's run longer) is split: its pieces go to entries
//! `<user>/<generation>/<i>` and the token's own entry names them (`cremmy-split/v1 <generation>
//! <count>`). The pieces are written before the entry that names them and the previous
//! generation's removed after, so a crash midway leaves the old token whole.

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

    /// A token; a split one is put back together (`None` when a piece is missing: the token is
    /// lost, as if never stored).
    pub async fn get(
        &self,
        provider: Provider,
        email: &str,
        kind: TokenKind,
    ) -> AccountsResult<Option<String>> {
        let user = self.user(provider, email, kind);
        let Some(stored) = self.read("read a token", user.clone()).await? else {
            return Ok(None);
        };
        let Some((generation, count)) = split_manifest(&stored) else {
            return Ok(Some(stored));
        };
        let mut whole = String::new();
        for i in 0..count {
            match self
                .read("read a token", part_user(&user, &generation, i))
                .await?
            {
                Some(piece) => whole.push_str(&piece),
                None => return Ok(None),
            }
        }
        Ok(Some(whole))
    }

    pub async fn set(
        &self,
        provider: Provider,
        email: &str,
        kind: TokenKind,
        secret: &str,
    ) -> AccountsResult<()> {
        let user = self.user(provider, email, kind);
        let before = self.read("read a token", user.clone()).await?;
        let parts = super::login::keychain_parts(secret);
        if parts.len() == 1 {
            self.write("store a token", user.clone(), secret).await?;
        } else {
            let old = before.as_deref().and_then(split_manifest).map(|(g, _)| g);
            let mut generation = new_generation();
            if old.as_deref() == Some(generation.as_str()) {
                generation.push('x');
            }
            for (i, piece) in parts.iter().enumerate() {
                self.write("store a token", part_user(&user, &generation, i), piece)
                    .await?;
            }
            let manifest = format!("{SPLIT} {generation} {}", parts.len());
            self.write("store a token", user.clone(), &manifest).await?;
        }
        // The previous generation (never the one just written: its name differs).
        if let Some((old, count)) = before.as_deref().and_then(split_manifest) {
            self.delete_parts(&user, &old, count).await?;
        }
        Ok(())
    }

    pub async fn delete(
        &self,
        provider: Provider,
        email: &str,
        kind: TokenKind,
    ) -> AccountsResult<()> {
        let user = self.user(provider, email, kind);
        let before = self.read("read a token", user.clone()).await?;
        self.remove("delete a token", user.clone()).await?;
        if let Some((old, count)) = before.as_deref().and_then(split_manifest) {
            self.delete_parts(&user, &old, count).await?;
        }
        Ok(())
    }

    async fn delete_parts(&self, user: &str, generation: &str, count: usize) -> AccountsResult<()> {
        for i in 0..count {
            self.remove("delete a token", part_user(user, generation, i))
                .await?;
        }
        Ok(())
    }

    async fn remove(&self, action: &'static str, user: String) -> AccountsResult<()> {
        self.call(action, user, |e| match e.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(other) => Err(other),
        })
        .await
    }

    /// Whether the keychain holds a piece of a split token (for tests that check clean-up).
    pub async fn holds_part(
        &self,
        provider: Provider,
        email: &str,
        kind: TokenKind,
        generation: &str,
        i: usize,
    ) -> AccountsResult<bool> {
        let user = self.user(provider, email, kind);
        Ok(self
            .read("read a token", part_user(&user, generation, i))
            .await?
            .is_some())
    }

    /// The entry a token is stored in, as stored (a split token's names its pieces).
    pub async fn raw(
        &self,
        provider: Provider,
        email: &str,
        kind: TokenKind,
    ) -> AccountsResult<Option<String>> {
        self.read("read a token", self.user(provider, email, kind))
            .await
    }
}

/// What a split token's own entry starts with.
pub const SPLIT: &str = "cremmy-split/v1";

/// A split token's generation and piece count, from its entry; `None` for a whole token.
pub fn split_manifest(stored: &str) -> Option<(String, usize)> {
    let mut words = stored.strip_prefix(SPLIT)?.split_whitespace();
    let generation = words.next()?.to_string();
    let count: usize = words.next()?.parse().ok()?;
    (words.next().is_none() && count <= super::login::KEYCHAIN_MAX_PARTS)
        .then_some((generation, count))
}

fn part_user(user: &str, generation: &str, i: usize) -> String {
    format!("{user}/{generation}/{i}")
}

/// Eight random hex digits: a new generation's name.
fn new_generation() -> String {
    let mut bytes = [0u8; 4];
    // Without randomness the name is fixed; `set` never reuses the previous generation's name.
    if getrandom::fill(&mut bytes).is_err() {
        bytes = [0x0a, 0x0b, 0x0c, 0x0d];
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
