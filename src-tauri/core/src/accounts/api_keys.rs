//! Accounts whose secret the user pastes (an API key and its secret) instead of signing in with
//! OAuth: the secret goes to the keychain, the row records what the provider let it reach.

use std::sync::Arc;

use cremmy_protocol::accounts::Account;
use cremmy_protocol::Provider;

use super::keychain_tokens::TokenKind;
use super::store::Granted;
use super::{Accounts, AccountsError, AccountsResult};

impl Accounts {
    /// Records an account after the provider accepted its pasted secret. The secret is stored
    /// first; if the row cannot be written the secret is taken back out, so nothing half-stored
    /// stays. `reaches`: the provider's resources the secret was seen to reach (its "scopes").
    pub async fn save_key_account(
        &self,
        provider: Provider,
        identifier: &str,
        reaches: &[String],
        secret: &str,
    ) -> AccountsResult<Account> {
        super::login::check_secret_size(provider, "API key", secret)?;
        self.keychain
            .set(provider, identifier, TokenKind::ApiKey, secret)
            .await?;
        let saved = self
            .save_grant(Granted {
                provider,
                email: identifier,
                scopes: reaches,
                expires_at: None,
                refresh_at: None,
            })
            .await;
        if saved.is_err() {
            let _ = self
                .keychain
                .delete(provider, identifier, TokenKind::ApiKey)
                .await;
        }
        saved
    }

    /// The pasted secret of a connected account. A secret missing from the keychain (deleted by
    /// hand, another machine's database) leaves the account "needs reconnecting".
    pub async fn api_key(&self, id: i64) -> AccountsResult<String> {
        let row = self.usable_row(id).await?;
        let (provider, email) = (row.account.provider, row.account.email.clone());
        match self
            .keychain
            .get(provider, &email, TokenKind::ApiKey)
            .await?
        {
            Some(secret) => Ok(secret),
            None => {
                let problem = "Cremmy's key for this account is missing from the keychain.";
                self.set_status(
                    id,
                    cremmy_protocol::accounts::AccountStatus::NeedsReauth,
                    Some(problem),
                )
                .await?;
                Err(AccountsError::ReconnectNeeded { provider, email })
            }
        }
    }

    /// The provider refused the stored key (revoked, rotated): the account needs reconnecting.
    pub async fn key_refused(&self, id: i64, problem: &str) -> AccountsResult<()> {
        self.set_status(
            id,
            cremmy_protocol::accounts::AccountStatus::NeedsReauth,
            Some(problem),
        )
        .await
    }
}

/// The key a pasted-key provider's session calls with: a connected account's, read from the
/// keychain once per session, or a pasted one being checked before anything is stored.
#[derive(Clone)]
pub enum SessionKey {
    Account(i64, Arc<tokio::sync::OnceCell<String>>),
    Pasted(String),
}

impl SessionKey {
    pub fn of_account(id: i64) -> SessionKey {
        SessionKey::Account(id, Arc::default())
    }

    pub fn pasted(key: &str) -> SessionKey {
        SessionKey::Pasted(key.to_string())
    }

    pub async fn get(&self, accounts: &Accounts) -> AccountsResult<String> {
        match self {
            SessionKey::Pasted(k) => Ok(k.clone()),
            SessionKey::Account(id, read) => Ok(read
                .get_or_try_init(|| accounts.api_key(*id))
                .await?
                .clone()),
        }
    }

    /// The provider answered 401 (`refusal`). A stored key does not refresh: the account turns
    /// to "reconnect" with `problem` and the error says so (`Err`). A pasted key's refusal is
    /// handed back (`Ok`) for the caller to report; nothing was stored.
    pub async fn refused<E>(
        &self,
        accounts: &Accounts,
        provider: Provider,
        problem: &str,
        refusal: E,
    ) -> Result<E, AccountsError> {
        match self {
            SessionKey::Pasted(_) => Ok(refusal),
            SessionKey::Account(id, _) => {
                accounts.key_refused(*id, problem).await?;
                Err(AccountsError::KeyRefused { provider })
            }
        }
    }
}
