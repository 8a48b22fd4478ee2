//! The CRM providers, one variant each, behind the CRM sync's trait.

use cremmy_protocol::crm_sync::CrmProfile;

use crate::features::crm_sync::{CrmRemote, CrmSyncResult, Customers};
use crate::providers::hubspot;

/// A CRM, by account.
pub enum Crms {
    HubSpot(hubspot::records::HubSpotCrm),
}

impl Crms {
    /// Calls made through it so far.
    pub fn calls(&self) -> u32 {
        match self {
            Crms::HubSpot(c) => c.session.calls(),
        }
    }
}

impl CrmRemote for Crms {
    fn product_name(&self) -> &'static str {
        match self {
            Crms::HubSpot(c) => c.product_name(),
        }
    }

    async fn profile(&self) -> CrmSyncResult<CrmProfile> {
        match self {
            Crms::HubSpot(c) => c.profile().await,
        }
    }

    async fn won_customers(&self) -> CrmSyncResult<Customers> {
        match self {
            Crms::HubSpot(c) => c.won_customers().await,
        }
    }
}
