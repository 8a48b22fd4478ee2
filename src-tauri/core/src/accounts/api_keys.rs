//! Accounts whose secret the user pastes (an API key and its secret) instead of signing in with
//! OAuth: the secret goes to the keychain, the row records what the provider let it reach.

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
