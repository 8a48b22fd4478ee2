//! One API call with an account's OAuth access token, the way every REST provider is called:
//! paced to the provider's limits for the account, made under the provider's call policy
//! (retries, `Retry-After`), and made once more with a fresh token when the provider answers 401
//! (the token was revoked or expired early). A second 401 is the provider's answer.

use crate::http::call::{Answer, CallError, Caller};
use crate::pacing::Pacer;

use super::{Accounts, AccountsError};

/// Why a call with the account's token failed.
#[derive(Debug)]
pub enum BearerCallError {
    /// The provider's answer (after the policy's retries).
    Call(CallError),
    /// No usable token (the account needs reconnecting, the keychain failed…).
    Account(AccountsError),
}

impl Accounts {
    /// Makes the request `make` builds with the account's access token (given as its second
    /// argument), waiting for `pacer` before each attempt.
    pub async fn call_with_token(
        &self,
        account_id: i64,
        caller: &Caller,
        pacer: &Pacer,
        what: &'static str,
        make: impl Fn(&reqwest::Client, &str) -> reqwest::RequestBuilder,
    ) -> Result<Answer, BearerCallError> {
        let mut token = self
            .access_token(account_id)
            .await
            .map_err(BearerCallError::Account)?;
        let mut refreshed = false;
        loop {
            let wait = pacer.reserve(1, crate::pacing::elapsed_ms());
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            match caller.send(what, |http| make(http, &token)).await {
                Err(CallError::Status { status: 401, .. }) if !refreshed => {
                    token = self
                        .access_token_after_401(account_id, &token)
                        .await
                        .map_err(BearerCallError::Account)?;
                    refreshed = true;
                }
                other => return other.map_err(BearerCallError::Call),
            }
        }
    }
}
