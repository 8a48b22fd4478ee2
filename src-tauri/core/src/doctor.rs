//! `cremmy doctor`: one report on the installation's health, with each provider's real state.

use cremmy_protocol::accounts::AccountStatus;
use cremmy_protocol::{DoctorReport, IntegrationState, IntegrationStatus, Provider};

use crate::accounts::Accounts;
use crate::db::{Database, DbError};
use crate::endpoints::Endpoints;
use crate::keychain;
use crate::providers::registry::{registration, Auth};

pub async fn report(
    app_version: &str,
    db: &Database,
    endpoints: &Endpoints,
    accounts: &Accounts,
) -> Result<DoctorReport, DbError> {
    let database = db.status().await?;
    let keychain = keychain::probe().await;
    // Unreadable accounts are reported as none rather than failing the whole report.
    let connected = accounts.list().await.unwrap_or_default();
    let mut integrations = Vec::new();
    for provider in Provider::ALL {
        let mine: Vec<_> = connected
            .iter()
            .filter(|a| a.provider == provider)
            .collect();
        let working: Vec<String> = mine
            .iter()
            .filter(|a| a.status == AccountStatus::Connected)
            .map(|a| a.email.clone())
            .collect();
        let reconnect: Vec<String> = mine
            .iter()
            .filter(|a| a.status == AccountStatus::NeedsReauth)
            .map(|a| a.email.clone())
            .collect();
        let state = if registration(provider).is_none() {
            IntegrationState::NotConfigured
        } else if !reconnect.is_empty() {
            IntegrationState::NeedsReconnect {
                accounts: working,
                reconnect,
            }
        } else if !working.is_empty() {
            IntegrationState::Connected { accounts: working }
        } else if can_connect(accounts, provider).await {
            IntegrationState::NotConnected
        } else {
            IntegrationState::NotConfigured
        };
        integrations.push(IntegrationStatus {
            provider,
            state,
            base_url: endpoints.base_url(provider).to_string(),
        });
    }
    Ok(DoctorReport {
        app_version: app_version.to_string(),
        database,
        keychain,
        integrations,
        warnings: endpoints.refused_overrides().map(str::to_string).collect(),
    })
}

/// Whether the sign-in is set up (an OAuth client from the environment or Settings); a provider
/// whose key the user pastes can always be connected.
async fn can_connect(accounts: &Accounts, provider: Provider) -> bool {
    if registration(provider).is_some_and(|r| !matches!(r.auth, Auth::OAuthPkce { .. })) {
        return true;
    }
    accounts
        .oauth_client_setup(provider)
        .await
        .is_ok_and(|s| s.client_id.is_some())
}
