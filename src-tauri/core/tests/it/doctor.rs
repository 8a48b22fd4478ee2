//! `cremmy doctor` reports each provider's real state, not a fixed "not configured".

use cremmy_core::doctor;
use cremmy_protocol::accounts::Feature;
use cremmy_protocol::{IntegrationState, Provider};

use crate::accounts_support::{connect, test_accounts, test_accounts_with, TestAccounts};

async fn state_of(t: &TestAccounts, provider: Provider) -> IntegrationState {
    let endpoints = cremmy_core::endpoints::Endpoints::from_lookup(|_| None);
    let report = doctor::report("test", &t.db, &endpoints, &t.accounts)
        .await
        .expect("a report");
    report
        .integrations
        .into_iter()
        .find(|i| i.provider == provider)
        .unwrap_or_else(|| panic!("{provider:?} is listed"))
        .state
}

#[tokio::test]
async fn doctor_follows_the_google_connection_through_its_states() {
    let unset = test_accounts_with(false).await;
    assert_eq!(
        state_of(&unset, Provider::Google).await,
        IntegrationState::NotConfigured,
        "no OAuth client: Cremmy cannot connect yet"
    );

    let t = test_accounts().await;
    assert_eq!(
        state_of(&t, Provider::Google).await,
        IntegrationState::NotConnected,
        "a client is set up, no account yet"
    );
    let account = connect(&t, &[Feature::MailIngest]).await;
    assert_eq!(
        state_of(&t, Provider::Google).await,
        IntegrationState::Connected {
            accounts: vec![account.email.clone()]
        },
        "the connected account is named"
    );
    sqlx::query("UPDATE accounts SET status = 'needs_reauth' WHERE id = ?")
        .bind(account.id)
        .execute(t.db.writer())
        .await
        .unwrap();
    assert_eq!(
        state_of(&t, Provider::Google).await,
        IntegrationState::NeedsReconnect {
            accounts: vec![],
            reconnect: vec![account.email.clone()]
        },
        "a refused grant is reported as such"
    );
    assert_eq!(
        state_of(&t, Provider::Twilio).await,
        IntegrationState::NotConnected,
        "a provider whose key the user pastes needs no OAuth client to be connected"
    );
    assert_eq!(
        state_of(&t, Provider::Hubspot).await,
        IntegrationState::NotConnected,
        "HubSpot takes a pasted token: ready to connect without an OAuth client"
    );
    assert_eq!(
        state_of(&t, Provider::Salesforce).await,
        IntegrationState::NotConfigured,
        "a provider without a connector"
    );
}
