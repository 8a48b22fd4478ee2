//! Connecting a CRM and its first import (issue 22): the preview of what the CRM's customers do
//! to Cremmy's book, and the import the user confirms from it, all or nothing, as a logged run.

use std::collections::HashSet;

use cremmy_protocol::accounts::{Account, Feature};
use cremmy_protocol::crm_sync::{ImportDecision, ImportPreview, ImportReport};
use cremmy_protocol::kinds::{Integration, RunKind};
use cremmy_protocol::sync::SyncTrigger;
use cremmy_protocol::Provider;

use super::log::{RunOutcome, RunSpec};
use super::{SyncError, SyncResult, SyncRunner};
use crate::features::crm_sync::{preview, store, CrmRemote};
use crate::providers::Crms;

impl SyncRunner {
    /// Integrations → HubSpot → Connect: the pasted token is checked with the CRM, then kept in
    /// the keychain.
    pub async fn connect_crm(&self, provider: Provider, token: &str) -> SyncResult<Account> {
        Ok(self.providers.connect_crm(provider, token).await?)
    }

    pub(super) async fn crm_of(&self, account_id: i64) -> SyncResult<(Account, Crms)> {
        let account = self.account(account_id).await?;
        let crm = self.providers.crm(&account).ok_or(SyncError::Invalid {
            field: "account",
            reason: format!("{} is not a CRM", account.provider.display_name()),
        })?;
        if !account.features.contains(&Feature::CrmSync) {
            return Err(SyncError::NoAccountFor {
                feature: Feature::CrmSync,
            });
        }
        Ok((account, crm))
    }

    /// The import preview: the CRM's won customers against Cremmy's book (new, will merge,
    /// conflicts, already linked). Reads only.
    pub async fn crm_import_preview(&self, account_id: i64) -> SyncResult<ImportPreview> {
        let (account, crm) = self.crm_of(account_id).await?;
        let profile = crm.profile().await?;
        let customers = crm.won_customers().await?;
        let book = store::local_book(&self.db, account.id).await?;
        Ok(ImportPreview {
            account_id: account.id,
            provider_name: crm.product_name().to_string(),
            profile,
            rows: preview::plan(&book, &customers),
        })
    }

    /// "Import" on the preview: the customers are read again and written as the preview says,
    /// with the user's picks for the conflicts, in one transaction, each record linked to its
    /// remote one. Running it again changes nothing.
    pub async fn crm_import(&self, decision: &ImportDecision) -> SyncResult<ImportReport> {
        let (account, crm) = self.crm_of(decision.account_id).await?;
        let spec = RunSpec {
            account_id: Some(account.id),
            integration: Integration::Crm,
            kind: RunKind::Import,
            trigger: SyncTrigger::Manual,
        };
        let remote_wins: HashSet<String> = decision.remote_wins.iter().cloned().collect();
        let (_, result) = self
            .logged(spec, async {
                let result: SyncResult<ImportReport> = async {
                    let customers = crm.won_customers().await?;
                    let book = store::local_book(&self.db, account.id).await?;
                    let rows = preview::plan(&book, &customers);
                    let now = self.clock.now();
                    Ok(
                        store::import(&self.db, account.id, &customers, &rows, &remote_wins, now)
                            .await?,
                    )
                }
                .await;
                let created = result.as_ref().map_or(0, |r| i64::from(r.created));
                (result, RunOutcome::made(created, crm.calls()))
            })
            .await?;
        result
    }
}
