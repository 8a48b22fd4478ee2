//! `cremmy doctor`: one report on the installation's health.

use cremmy_protocol::{DoctorReport, IntegrationState, IntegrationStatus, Provider};

use crate::db::{Database, DbError};
use crate::endpoints::Endpoints;
use crate::keychain;

pub async fn report(
    app_version: &str,
    db: &Database,
    endpoints: &Endpoints,
) -> Result<DoctorReport, DbError> {
    let database = db.status().await?;
    let keychain = keychain::probe().await;
    let integrations = Provider::ALL
        .iter()
        .map(|&provider| IntegrationStatus {
            provider,
            state: IntegrationState::NotConfigured,
            base_url: endpoints.base_url(provider).to_string(),
        })
        .collect();
    Ok(DoctorReport {
        app_version: app_version.to_string(),
        database,
        keychain,
        integrations,
    })
}
