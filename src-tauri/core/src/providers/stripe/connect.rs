//! Connecting Stripe: a restricted key (`rk_…`) or a secret key (`sk_…`), test or live mode
//! (https://docs.stripe.com/keys). The key is checked with one cheap call before anything is
//! stored (the secret in the keychain); a refused key stores nothing.

use cremmy_protocol::accounts::Account;
use cremmy_protocol::Provider;

use super::{Stripe, StripeError, StripeKey};
use crate::accounts::{Accounts, AccountsError, AccountsResult};
use crate::failure::FailureKind;

/// The account's name in Cremmy: the mode and the key's last four characters (Stripe shows keys
/// the same way).
pub fn identifier(key: &StripeKey) -> String {
    let tail: String = key
        .0
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let mode = if key.is_test() {
        "test mode"
    } else {
        "live mode"
    };
    let kind = if key.0.starts_with("rk_") {
        "restricted key"
    } else {
        "secret key"
    };
    format!("Stripe {mode}, {kind} …{tail}")
}

/// Checks the key's shape and then with Stripe; stores the account.
pub async fn connect(
    stripe: &Stripe,
    accounts: &Accounts,
    pasted: &str,
) -> AccountsResult<Account> {
    let key = StripeKey(pasted.trim().to_string());
    let shaped = ["sk_test_", "sk_live_", "rk_test_", "rk_live_"]
        .iter()
        .any(|p| key.0.starts_with(p) && key.0.len() > p.len() + 8);
    if !shaped || key.0.chars().any(char::is_whitespace) {
        return Err(AccountsError::InvalidKey {
            field: "key",
            reason: "a Stripe key starts with rk_test_, rk_live_, sk_test_ or sk_live_ (Stripe Dashboard → Developers → API keys)".into(),
        });
    }
    stripe
        .fresh()
        .check_key(&key)
        .await
        .map_err(|e| match e.kind() {
            FailureKind::Unauthorized | FailureKind::Forbidden => AccountsError::KeyRefused {
                provider: Provider::Stripe,
            },
            _ => match e {
                StripeError::Call(call) => AccountsError::Call(call),
                StripeError::Garbled { what, .. } => AccountsError::ProviderGarbled {
                    provider: Provider::Stripe,
                    what,
                },
            },
        })?;
    let reaches = [
        "invoices".to_string(),
        "payment_links".into(),
        "events".into(),
    ];
    accounts
        .save_key_account(Provider::Stripe, &identifier(&key), &reaches, &key.0)
        .await
}
