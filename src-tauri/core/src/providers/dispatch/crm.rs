//! The CRM providers, one variant each, behind the CRM sync's trait.

use cremmy_protocol::crm_sync::{CrmProfile, RecordKind};

use crate::clock::Timestamp;
use crate::features::crm_sync::reconcile::Fields;
use crate::features::crm_sync::{CrmRemote, CrmSyncResult, Customers, RemoteRecord};
use crate::providers::{hubspot, pipedrive};

/// A CRM, by account.
pub enum Crms {
    HubSpot(hubspot::records::HubSpotCrm),
    Pipedrive(pipedrive::records::PipedriveCrm),
}

impl Crms {
    /// Calls made through it so far.
    pub fn calls(&self) -> u32 {
        match self {
            Crms::HubSpot(c) => c.session.calls(),
            Crms::Pipedrive(c) => c.session.calls(),
        }
    }
}

impl CrmRemote for Crms {
    fn product_name(&self) -> &'static str {
        match self {
            Crms::HubSpot(c) => c.product_name(),
            Crms::Pipedrive(c) => c.product_name(),
        }
    }

    async fn profile(&self) -> CrmSyncResult<CrmProfile> {
        match self {
            Crms::HubSpot(c) => c.profile().await,
            Crms::Pipedrive(c) => c.profile().await,
        }
    }

    async fn won_customers(&self) -> CrmSyncResult<Customers> {
        match self {
            Crms::HubSpot(c) => c.won_customers().await,
            Crms::Pipedrive(c) => c.won_customers().await,
        }
    }

    async fn won_customers_among(&self, deal_ids: &[String]) -> CrmSyncResult<Customers> {
        match self {
            Crms::HubSpot(c) => c.won_customers_among(deal_ids).await,
            Crms::Pipedrive(c) => c.won_customers_among(deal_ids).await,
        }
    }

    async fn changed_since(
        &self,
        kind: RecordKind,
        since: Timestamp,
    ) -> CrmSyncResult<Vec<RemoteRecord>> {
        match self {
            Crms::HubSpot(c) => c.changed_since(kind, since).await,
            Crms::Pipedrive(c) => c.changed_since(kind, since).await,
        }
    }

    async fn read(
        &self,
        kind: RecordKind,
        remote_ids: &[String],
    ) -> CrmSyncResult<Vec<RemoteRecord>> {
        match self {
            Crms::HubSpot(c) => c.read(kind, remote_ids).await,
            Crms::Pipedrive(c) => c.read(kind, remote_ids).await,
        }
    }

    async fn write(&self, kind: RecordKind, changes: &[(String, Fields)]) -> CrmSyncResult<()> {
        match self {
            Crms::HubSpot(c) => c.write(kind, changes).await,
            Crms::Pipedrive(c) => c.write(kind, changes).await,
        }
    }
}
