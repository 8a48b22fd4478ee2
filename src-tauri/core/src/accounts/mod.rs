//! Provider accounts: OAuth sign-in (PKCE S256, single-use expiring state, loopback or deep-link
//! redirect), tokens in the OS keychain only, refresh ahead of expiry shared by concurrent
//! callers, `invalid_grant` → "reconnect", disconnect with best-effort revoke.

mod api_keys;
mod bearer_calls;
mod callback;
mod connect;
pub mod keychain_tokens;
mod login;
mod loopback;
mod oauth_client;
mod oauth_http;
pub mod providers;
mod store;
mod tokens;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use cremmy_protocol::{ErrorCode, Provider};

use crate::clock::Clock;
use crate::db::Database;
use crate::endpoints::{provider_variable, Endpoints};
use crate::HasErrorCode;

pub use api_keys::SessionKey;
pub use bearer_calls::BearerCallError;
pub use callback::CallbackRejection;
pub use login::{
    fits_keychain, keychain_parts, LoginStart, KEYCHAIN_MAX_PARTS, KEYCHAIN_SECRET_LIMIT_BYTES,
    PENDING_LIFETIME_MS,
};
pub use loopback::LOOPBACK_PATH;

/// A provider's OAuth client (a Google "Desktop app" client: its secret is not confidential,
/// but Google still wants it at the token endpoint).
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthApp {
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for OAuthApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthApp")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// OAuth clients per provider, from `CREMMY_<PROVIDER>_CLIENT_ID` / `_CLIENT_SECRET`, and the
/// redirect strategy where the client was registered with another one (`CREMMY_<PROVIDER>_REDIRECT`
/// = `loopback` or `deep-link`).
#[derive(Debug, Clone, Default)]
pub struct OAuthApps {
    clients: HashMap<Provider, OAuthApp>,
    redirects: HashMap<Provider, providers::RedirectStrategy>,
}

impl OAuthApps {
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> OAuthApps {
        let mut apps = OAuthApps::default();
        for provider in Provider::ALL {
            let var = |suffix: &str| {
                lookup(&provider_variable(provider, suffix)).map(|v| v.trim().to_string())
            };
            if let Some(client_id) = var("CLIENT_ID").filter(|v| !v.is_empty()) {
                let client_secret = var("CLIENT_SECRET").unwrap_or_default();
                apps.clients.insert(
                    provider,
                    OAuthApp {
                        client_id,
                        client_secret,
                    },
                );
            }
            let redirect = match var("REDIRECT").as_deref() {
                Some("deep-link") => Some(providers::RedirectStrategy::DeepLink),
                Some("loopback") => Some(providers::RedirectStrategy::Loopback),
                _ => None,
            };
            if let Some(redirect) = redirect {
                apps.redirects.insert(provider, redirect);
            }
        }
        apps
    }

    pub fn from_process_env() -> OAuthApps {
        OAuthApps::from_lookup(|k| std::env::var(k).ok())
    }

    pub fn with(mut self, provider: Provider, app: OAuthApp) -> OAuthApps {
        self.clients.insert(provider, app);
        self
    }

    pub fn with_redirect(
        mut self,
        provider: Provider,
        redirect: providers::RedirectStrategy,
    ) -> OAuthApps {
        self.redirects.insert(provider, redirect);
        self
    }

    /// The redirect strategy the environment chose for this provider's client, if any.
    fn redirect(&self, provider: Provider) -> Option<providers::RedirectStrategy> {
        self.redirects.get(&provider).copied()
    }

    fn get(&self, provider: Provider) -> Result<&OAuthApp, AccountsError> {
        self.clients
            .get(&provider)
            .ok_or(AccountsError::NoOAuthApp { provider })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    #[error("Cremmy cannot sign in to {} yet.", .0.display_name())]
    Unsupported(Provider),
    #[error(
        "No OAuth client is set up for {}. Create a \"Desktop app\" OAuth client and enter its ID and secret on the Integrations page (or set {var}_ID and {var}_SECRET); see README, \"Connecting Google\".",
        provider.display_name(),
        var = provider_variable(*provider, "CLIENT")
    )]
    NoOAuthApp { provider: Provider },
    #[error("{}: {problem}.", provider.display_name())]
    InvalidOAuthClient { provider: Provider, problem: String },
    #[error("{}'s OAuth client secret is missing: {}", provider.display_name(), match place {
        SecretPlace::Environment => format!("{} is set but {} is not. Set both, or neither and enter the client on the Integrations page.", provider_variable(*provider, "CLIENT_ID"), provider_variable(*provider, "CLIENT_SECRET")),
        SecretPlace::Keychain => "the client ID is saved but its secret is not in the OS keychain (it may have been removed there). Enter the OAuth client again on the Integrations page; connected accounts stay connected.".to_string(),
    })]
    MissingClientSecret {
        provider: Provider,
        place: SecretPlace,
    },
    #[error("{} does not accept Cremmy's OAuth client ({error}{}). Check the client ID and secret on the Integrations page; connected accounts stay connected.", provider.display_name(), description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    ClientRejected {
        provider: Provider,
        error: String,
        description: Option<String>,
    },
    #[error("The sign-in callback was refused: {0}")]
    Callback(#[from] CallbackRejection),
    #[error("Sign-in was cancelled at {}. Nothing was changed.", .0.display_name())]
    Cancelled(Provider),
    #[error("{} refused the sign-in ({error}{}). Start again from Integrations.", provider.display_name(), description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    SignInRefused {
        provider: Provider,
        error: String,
        description: Option<String>,
    },
    #[error("Check the {field}: {reason}. Nothing was stored.")]
    InvalidKey { field: &'static str, reason: String },
    #[error("{} did not accept this key (check the account and the key, and that the key belongs to the account). Nothing was stored.", provider.display_name())]
    KeyRefused { provider: Provider },
    #[error("{} no longer accepts Cremmy's access for {email} (revoked or expired). Reconnect the account.", provider.display_name())]
    ReconnectNeeded { provider: Provider, email: String },
    #[error("The account {email} is disconnected. Connect it again to use it.")]
    NotConnected { email: String },
    #[error("No connected account #{0}.")]
    NotFound(i64),
    #[error("The browser sign-in did not finish within {0} seconds. Start again.")]
    TimedOut(u64),
    #[error("Cannot open the browser for sign-in: {0}. Open the address shown instead.")]
    Browser(String),
    #[error("Cannot listen for the sign-in redirect on 127.0.0.1: {0}")]
    Loopback(std::io::Error),
    #[error("{} could not be reached: {source}. Check the connection; Cremmy will try again.", provider.display_name())]
    Network {
        provider: Provider,
        source: reqwest::Error,
    },
    #[error(transparent)]
    Call(#[from] crate::http::call::CallError),
    #[error("{} sent an answer Cremmy cannot read ({what}). Cremmy will try again.", provider.display_name())]
    ProviderGarbled {
        provider: Provider,
        what: &'static str,
    },
    #[error(
        "Cannot {action} in the OS keychain: {source}. Unlock the keychain or run `cremmy doctor`."
    )]
    Keychain {
        action: &'static str,
        source: keyring_core::Error,
    },
    #[error("The keychain call did not finish: {0}")]
    KeychainTask(String),
    #[error("{}'s {what} is {bytes} bytes, more than the {} keychain entries of {} bytes Cremmy splits a secret into. The sign-in was undone; please report this.", provider.display_name(), login::KEYCHAIN_MAX_PARTS, login::KEYCHAIN_SECRET_LIMIT_BYTES)]
    SecretTooLarge {
        provider: Provider,
        what: &'static str,
        bytes: usize,
    },
    #[error("The OS keychain did not answer within {seconds} s (to {action}). It may still be locked: unlock it; Cremmy will try again.")]
    KeychainTimedOut { action: &'static str, seconds: u64 },
    #[error(transparent)]
    Http(#[from] crate::http::HttpSetupError),
    #[error("{}", crate::db::describe(.0))]
    Db(#[from] sqlx::Error),
}

impl AccountsError {
    /// What kind of failure this is, for features that do not know accounts.
    pub fn failure_kind(&self) -> crate::failure::FailureKind {
        use crate::failure::FailureKind;
        match self {
            AccountsError::ReconnectNeeded { .. } | AccountsError::NotConnected { .. } => {
                FailureKind::Unauthorized
            }
            AccountsError::Network { .. } => FailureKind::Offline,
            AccountsError::Call(e) => e.kind(),
            AccountsError::ProviderGarbled { .. } => FailureKind::Server,
            e @ (AccountsError::Keychain { .. }
            | AccountsError::KeychainTask(_)
            | AccountsError::KeychainTimedOut { .. }) => {
                if e.is_retryable() {
                    FailureKind::LocalUnavailable
                } else {
                    FailureKind::Local
                }
            }
            AccountsError::Http(_) | AccountsError::Db(_) => FailureKind::Local,
            _ => FailureKind::Invalid,
        }
    }

    pub fn is_retryable(&self) -> bool {
        match self {
            AccountsError::Network { .. } | AccountsError::ProviderGarbled { .. } => true,
            AccountsError::Call(e) => e.is_retryable(),
            // Locked (at login), not running yet, or slow: it comes back; a bad entry does not.
            AccountsError::Keychain { source, .. } => matches!(
                source,
                keyring_core::Error::NoStorageAccess(_)
                    | keyring_core::Error::PlatformFailure(_)
                    | keyring_core::Error::NoDefaultStore
            ),
            AccountsError::KeychainTimedOut { .. } | AccountsError::KeychainTask(_) => true,
            _ => false,
        }
    }
}

impl HasErrorCode for AccountsError {
    fn code(&self) -> ErrorCode {
        match self {
            AccountsError::Unsupported(_)
            | AccountsError::InvalidOAuthClient { .. }
            | AccountsError::Callback(_)
            | AccountsError::InvalidKey { .. }
            | AccountsError::KeyRefused { .. }
            | AccountsError::SignInRefused { .. } => ErrorCode::InvalidInput,
            AccountsError::NoOAuthApp { .. }
            | AccountsError::MissingClientSecret { .. }
            | AccountsError::ClientRejected { .. } => ErrorCode::NotConfigured,
            AccountsError::Cancelled(_) => ErrorCode::Cancelled,
            AccountsError::ReconnectNeeded { .. } | AccountsError::NotConnected { .. } => {
                ErrorCode::ReconnectNeeded
            }
            AccountsError::NotFound(_) => ErrorCode::NotFound,
            AccountsError::TimedOut(_) => ErrorCode::TimedOut,
            AccountsError::Call(e) => e.code(),
            AccountsError::Network { .. } | AccountsError::ProviderGarbled { .. } => {
                ErrorCode::ProviderUnavailable
            }
            AccountsError::Browser(_)
            | AccountsError::Loopback(_)
            | AccountsError::Keychain { .. }
            | AccountsError::KeychainTask(_)
            | AccountsError::KeychainTimedOut { .. }
            | AccountsError::SecretTooLarge { .. }
            | AccountsError::Http(_)
            | AccountsError::Db(_) => ErrorCode::Internal,
        }
    }
}

pub type AccountsResult<T> = Result<T, AccountsError>;

/// Where an OAuth client's secret should have come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretPlace {
    /// `CREMMY_<PROVIDER>_CLIENT_SECRET`, beside the client id from the environment.
    Environment,
    /// The OS keychain, beside the client id saved on the Integrations page.
    Keychain,
}

/// Accounts of one Cremmy database. Cheap to clone.
#[derive(Clone)]
pub struct Accounts {
    db: Database,
    clock: Arc<dyn Clock>,
    endpoints: Endpoints,
    apps: OAuthApps,
    http: reqwest::Client,
    keychain: keychain_tokens::TokenVault,
    pending: Arc<Mutex<login::PendingLogins>>,
    waiting: Arc<connect::DeepLinkWaiters>,
    refreshing: Arc<tokens::RefreshLocks>,
}

impl Accounts {
    /// The keychain, for secrets that belong to no account (webhook signing secrets).
    pub fn vault(&self) -> &keychain_tokens::TokenVault {
        &self.keychain
    }

    /// Opens the accounts of `db`; tokens are filed in the keychain under the database's install id.
    pub async fn open(
        db: Database,
        clock: Arc<dyn Clock>,
        endpoints: Endpoints,
        apps: OAuthApps,
    ) -> AccountsResult<Accounts> {
        let install_id = store::install_id(&db).await?;
        Ok(Accounts {
            db,
            clock,
            endpoints,
            apps,
            http: crate::http::client()?,
            keychain: keychain_tokens::TokenVault::new(install_id),
            pending: Arc::default(),
            waiting: Arc::default(),
            refreshing: Arc::default(),
        })
    }

    /// The HTTP client accounts call providers with (shared by the providers' clients).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The database the accounts live in (a provider keeps per-account choices in its settings).
    pub(crate) fn database(&self) -> &Database {
        &self.db
    }

    pub(crate) fn now(&self) -> crate::clock::Timestamp {
        self.clock.now()
    }

    /// Where each provider lives.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    fn lock_pending(&self) -> std::sync::MutexGuard<'_, login::PendingLogins> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }
}
