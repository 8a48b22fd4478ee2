//! Connecting Pipedrive: the user's personal API token (Settings → Personal preferences → API).
//! It is checked with one call (the current user) before anything is stored (the token in the
//! keychain); a refused token stores nothing.

use cremmy_protocol::accounts::Account;
use cremmy_protocol::Provider;

use super::{registration, Pipedrive, PipedriveError};
use crate::accounts::{AccountsError, AccountsResult};
use crate::failure::FailureKind;

/// Checks the token's shape and then with Pipedrive; stores the account under the company's name.
pub async fn connect(pipedrive: &Pipedrive, pasted: &str) -> AccountsResult<Account> {
    let token = pasted.trim();
    if token.len() < 20 || !token.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(AccountsError::InvalidKey {
            field: "token",
            reason: "paste your whole personal API token from Pipedrive (Settings → Personal preferences → API): 40 letters and digits".into(),
        });
    }
    let user = pipedrive
        .with_token(token)
        .current_user()
        .await
        .map_err(|e| match e.kind() {
            FailureKind::Unauthorized | FailureKind::Forbidden => AccountsError::KeyRefused {
                provider: Provider::Pipedrive,
            },
            _ => match e {
                PipedriveError::Call(call) => AccountsError::Call(call),
                PipedriveError::Account(a) => a,
                PipedriveError::Garbled { what, .. } => AccountsError::ProviderGarbled {
                    provider: Provider::Pipedrive,
                    what,
                },
            },
        })?;
    let reaches: Vec<String> = registration::SCOPES.iter().map(|s| s.to_string()).collect();
    pipedrive
        .accounts()
        .save_key_account(Provider::Pipedrive, &identifier(&user), &reaches, token)
        .await
}

/// The account's name in Cremmy: the user at their company.
pub fn identifier(user: &super::wire::User) -> String {
    let company = if user.company_name.is_empty() {
        &user.company_domain
    } else {
        &user.company_name
    };
    format!("{} at {company}", user.email)
}
