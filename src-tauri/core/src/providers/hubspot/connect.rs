//! Connecting HubSpot: a token the user makes in their account (Settings → Integrations →
//! Private Apps, or a service key) with the CRM scopes in `registration::SCOPES`. The token is
//! checked with one call (the account's details) before anything is stored (the token in the
//! keychain); a refused token stores nothing.

use cremmy_protocol::accounts::Account;
use cremmy_protocol::Provider;

use super::{registration, HubSpot, HubSpotError};
use crate::accounts::{AccountsError, AccountsResult};
use crate::failure::FailureKind;

/// Checks the token's shape and then with HubSpot; stores the account as "HubSpot account <id>".
pub async fn connect(hubspot: &HubSpot, pasted: &str) -> AccountsResult<Account> {
    let token = pasted.trim();
    if token.len() < 20 || token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(AccountsError::InvalidKey {
            field: "token",
            reason: "paste the whole access token of a HubSpot private app or service key (it starts with pat-)".into(),
        });
    }
    let details = hubspot
        .with_token(token)
        .account_details()
        .await
        .map_err(|e| match e.kind() {
            FailureKind::Unauthorized | FailureKind::Forbidden => AccountsError::KeyRefused {
                provider: Provider::Hubspot,
            },
            _ => match e {
                HubSpotError::Call(call) => AccountsError::Call(call),
                HubSpotError::Account(a) => a,
                HubSpotError::Garbled { what, .. } => AccountsError::ProviderGarbled {
                    provider: Provider::Hubspot,
                    what,
                },
            },
        })?;
    let reaches: Vec<String> = registration::SCOPES.iter().map(|s| s.to_string()).collect();
    hubspot
        .accounts()
        .save_key_account(
            Provider::Hubspot,
            &identifier(details.portal_id),
            &reaches,
            token,
        )
        .await
}

/// The account's name in Cremmy (HubSpot calls the account id the Hub ID).
pub fn identifier(portal_id: u64) -> String {
    format!("HubSpot account {portal_id}")
}
