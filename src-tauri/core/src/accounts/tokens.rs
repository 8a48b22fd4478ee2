//! Access tokens for API calls: served from the keychain while fresh, refreshed ahead of expiry
//! (or once after a 401), one refresh at a time per account so concurrent callers share it.
//! `invalid_grant` marks the account "needs reauth" and nothing else.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use cremmy_protocol::accounts::AccountStatus;
use oauth2::{RefreshToken, TokenResponse};

use super::keychain_tokens::TokenKind;
use super::login::{refresh_time, token_error};
use super::store::AccountRow;
use super::{oauth_http, Accounts, AccountsError, AccountsResult};

/// One async lock per account id.
#[derive(Default)]
pub(super) struct RefreshLocks(Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>);

impl RefreshLocks {
    fn of(&self, id: i64) -> Arc<tokio::sync::Mutex<()>> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(id)
            .or_default()
            .clone()
    }
}

impl Accounts {
    /// A usable access token for the account, refreshed first if it is due.
    pub async fn access_token(&self, id: i64) -> AccountsResult<String> {
        let lock = self.refreshing.of(id);
        let _one_at_a_time = lock.lock().await;
        let row = self.usable_row(id).await?;
        let due = row.refresh_at.is_none_or(|at| self.clock.now() >= at);
        if !due {
            if let Some(token) = self
                .keychain
                .get(row.account.provider, &row.account.email, TokenKind::Access)
                .await?
            {
                return Ok(token);
            }
        }
        self.refresh(&row).await
    }

    /// After the provider answered 401 to `rejected`: a new token, unless another caller already
    /// replaced it (then that one).
    pub async fn access_token_after_401(&self, id: i64, rejected: &str) -> AccountsResult<String> {
        let lock = self.refreshing.of(id);
        let _one_at_a_time = lock.lock().await;
        let row = self.usable_row(id).await?;
        match self
            .keychain
            .get(row.account.provider, &row.account.email, TokenKind::Access)
            .await?
        {
            Some(current) if current != rejected => Ok(current),
            _ => self.refresh(&row).await,
        }
    }

    pub(super) async fn usable_row(&self, id: i64) -> AccountsResult<AccountRow> {
        let row = self.row(id).await?;
        let (provider, email) = (row.account.provider, row.account.email.clone());
        match row.account.status {
            AccountStatus::Connected => Ok(row),
            AccountStatus::NeedsReauth => Err(AccountsError::ReconnectNeeded { provider, email }),
            AccountStatus::Disconnected => Err(AccountsError::NotConnected { email }),
        }
    }

    async fn refresh(&self, row: &AccountRow) -> AccountsResult<String> {
        let (provider, email, id) = (
            row.account.provider,
            row.account.email.clone(),
            row.account.id,
        );
        let Some(refresh) = self
            .keychain
            .get(provider, &email, TokenKind::Refresh)
            .await?
        else {
            return self
                .needs_reauth(
                    row,
                    "Cremmy's sign-in for this account is missing from the keychain.",
                )
                .await;
        };
        let (_, client) = self.oauth(provider).await?;
        let http = oauth_http::OAuthHttp(self.http.clone());
        let answer = client
            .exchange_refresh_token(&RefreshToken::new(refresh))
            .request_async(&http)
            .await;
        let token = match answer {
            Ok(token) => token,
            Err(e) => {
                return match token_error(provider, "a token refresh", e) {
                    // The client itself is refused (a wrong or missing secret, a deleted
                    // client): the grant may be fine, so the account is not marked for
                    // reconnecting; the client needs fixing.
                    AccountsError::SignInRefused {
                        error,
                        description,
                        ..
                    } if matches!(
                        error.as_str(),
                        "invalid_client" | "unauthorized_client" | "invalid_request"
                    ) =>
                    {
                        Err(AccountsError::ClientRejected {
                            provider,
                            error,
                            description,
                        })
                    }
                    AccountsError::SignInRefused { .. } => {
                        self.needs_reauth(row, &format!("{} no longer accepts Cremmy's access (revoked or expired). Reconnect to resume syncing.", provider.display_name())).await
                    }
                    other => Err(other),
                };
            }
        };
        let access = token.access_token().secret().clone();
        self.keychain
            .set(provider, &email, TokenKind::Access, &access)
            .await?;
        // Google keeps the refresh token; a provider that rotates it sends a new one.
        if let Some(rotated) = token.refresh_token() {
            self.keychain
                .set(provider, &email, TokenKind::Refresh, rotated.secret())
                .await?;
        }
        let now = self.clock.now();
        let lifetime = token.expires_in().map(|d| d.as_millis() as i64);
        self.save_refreshed(
            id,
            lifetime.map(|l| now + l),
            lifetime.map(|l| refresh_time(now, l)),
        )
        .await?;
        Ok(access)
    }

    async fn needs_reauth(&self, row: &AccountRow, problem: &str) -> AccountsResult<String> {
        let (provider, email) = (row.account.provider, row.account.email.clone());
        self.keychain
            .delete(provider, &email, TokenKind::Access)
            .await?;
        self.set_status(row.account.id, AccountStatus::NeedsReauth, Some(problem))
            .await?;
        Err(AccountsError::ReconnectNeeded { provider, email })
    }
}

impl Accounts {
    /// Checks that the account still works: a token (refreshed if due, and once more after a
    /// 401) that the provider accepts. A refused grant leaves the account "needs reauth".
    pub async fn check(&self, id: i64) -> AccountsResult<cremmy_protocol::accounts::Account> {
        let row = self.usable_row(id).await?;
        let provider = row.account.provider;
        let endpoints = super::providers::OAuthEndpoints::of(provider, &self.endpoints)
            .ok_or(AccountsError::Unsupported(provider))?;
        let token = self.access_token(id).await?;
        match self.who(&endpoints, &token).await {
            Err(AccountsError::Call(e)) if e.status() == Some(401) => {
                let fresh = self.access_token_after_401(id, &token).await?;
                self.who(&endpoints, &fresh).await?;
            }
            other => {
                other?;
            }
        }
        self.get(id).await
    }
}
