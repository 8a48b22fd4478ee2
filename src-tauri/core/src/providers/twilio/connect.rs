//! Connecting Twilio: the Account SID plus an API key SID and secret (or the Auth Token). The
//! credentials are checked with a cheap call (the account's numbers) and the resources they reach
//! are recorded as the account's "scopes"; only then is anything stored (the secret in the
//! keychain). Wrong credentials store nothing.

use cremmy_protocol::accounts::Account;
use cremmy_protocol::sms::{ApiKeyConnect, Sender};
use cremmy_protocol::Provider;

use super::registration::{CALLS, MESSAGES};
use super::{Twilio, TwilioCredentials, TwilioError};
use crate::accounts::{Accounts, AccountsError, AccountsResult};
use crate::failure::FailureKind;

/// An account SID or API key SID: two letters and 32 hex digits
/// (https://www.twilio.com/docs/glossary/what-is-a-sid).
fn check_sid(field: &'static str, prefix: &str, sid: &str) -> AccountsResult<()> {
    let hex = sid.strip_prefix(prefix).unwrap_or("");
    if hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(AccountsError::InvalidKey {
            field,
            reason: format!(
                "it is {prefix} followed by 32 letters and digits (Twilio Console → Account info)"
            ),
        })
    }
}

fn accounts_error(e: TwilioError) -> AccountsError {
    match e {
        TwilioError::Call(call) => AccountsError::Call(call),
        TwilioError::Garbled { what, .. } => AccountsError::ProviderGarbled {
            provider: Provider::Twilio,
            what,
        },
    }
}

/// Checks the credentials, then stores the account; its senders come back.
pub async fn connect(
    twilio: &Twilio,
    accounts: &Accounts,
    request: &ApiKeyConnect,
) -> AccountsResult<(Account, Vec<Sender>)> {
    let account_sid = request.account.trim();
    check_sid("Account SID", "AC", account_sid)?;
    let key_sid = request
        .key_id
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty());
    if let Some(key) = key_sid {
        check_sid("API key SID", "SK", key)?;
    }
    let secret = request.secret.trim();
    if secret.is_empty() {
        return Err(AccountsError::InvalidKey {
            field: "secret",
            reason: "paste the API key's secret (or the Auth Token)".into(),
        });
    }
    let creds = TwilioCredentials {
        account_sid: account_sid.to_string(),
        user: key_sid.unwrap_or(account_sid).to_string(),
        secret: secret.to_string(),
    };
    let twilio = twilio.fresh();
    let senders = twilio.senders(&creds).await.map_err(|e| match e.kind() {
        FailureKind::Unauthorized | FailureKind::NotFound => AccountsError::KeyRefused {
            provider: Provider::Twilio,
        },
        _ => accounts_error(e),
    })?;
    let mut reaches = Vec::new();
    for resource in [MESSAGES, CALLS] {
        if twilio
            .reaches(&creds, resource)
            .await
            .map_err(accounts_error)?
        {
            reaches.push(resource.to_string());
        }
    }
    let account = accounts
        .save_key_account(
            Provider::Twilio,
            account_sid,
            &reaches,
            &creds.to_keychain(),
        )
        .await?;
    Ok((account, senders))
}
