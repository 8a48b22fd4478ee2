//! Two-way CRM sync (issue 22): each sync pulls what changed at the CRM since the cursor and
//! reads back the linked records changed in Cremmy since their last sync, reconciles each pair
//! field by field (`features::crm_sync::reconcile`), writes the CRM's side first (in batches),
//! then Cremmy's side, the links' new bases, the resolved conflicts and the cursor in one
//! transaction. A deal won at the CRM after the import brings its customer in as the import
//! would. A record unchanged on both sides costs nothing; a second sync changes nothing.

use std::collections::{HashMap, HashSet};

use cremmy_protocol::accounts::Account;
use cremmy_protocol::crm::Id;
use cremmy_protocol::crm_sync::{
    ConflictRule, CrmSyncReport, CrmSyncSettings, Directions, RecordKind, ResolvedConflict,
    SyncDirection,
};
use cremmy_protocol::kinds::{Integration, RunKind};
use cremmy_protocol::sync::SyncTrigger;

use super::log::{RunOutcome, RunSpec};
use super::{SyncResult, SyncRunner};
use crate::features::crm_sync::linked::{self, Decided};
use crate::features::crm_sync::reconcile::{reconcile, restrict, rule_for, Fields, Side};
use crate::features::crm_sync::{preview, store, CrmRemote, RemoteRecord, CURSOR_STREAM};
use crate::providers::Crms;

/// Search results lag changes "a few moments" (HubSpot's search guide): each pull reaches back
/// this far before the cursor, so a change indexed late is still seen (seen twice is a no-op).
const SEARCH_LAG_MS: i64 = 5 * 60_000;

const KINDS: [RecordKind; 3] = [RecordKind::Company, RecordKind::Person, RecordKind::Deal];

fn rule_key(account_id: i64) -> String {
    format!("crm_conflict_rule:{account_id}")
}

fn directions_key(account_id: i64) -> String {
    format!("crm_directions:{account_id}")
}

impl SyncRunner {
    /// A CRM connection's sync settings (the conflict rule).
    pub async fn crm_sync_settings(&self, account_id: i64) -> SyncResult<CrmSyncSettings> {
        let rule = self
            .db
            .setting(&rule_key(account_id))
            .await?
            .and_then(|r| ConflictRule::parse(&r))
            .unwrap_or_default();
        let directions = self
            .db
            .setting(&directions_key(account_id))
            .await?
            .and_then(|d| serde_json::from_str::<Directions>(&d).ok())
            .unwrap_or_default();
        Ok(CrmSyncSettings {
            account_id,
            conflict_rule: rule,
            directions,
        })
    }

    pub async fn set_crm_sync_settings(&self, s: &CrmSyncSettings) -> SyncResult<CrmSyncSettings> {
        self.crm_of(s.account_id).await?;
        let before = self.crm_sync_settings(s.account_id).await?.directions;
        self.db
            .put_setting(
                &rule_key(s.account_id),
                Some(s.conflict_rule.as_str()),
                self.clock.now(),
            )
            .await?;
        let directions = serde_json::to_string(&s.directions).unwrap_or_default();
        self.db
            .put_setting(
                &directions_key(s.account_id),
                Some(&directions),
                self.clock.now(),
            )
            .await?;
        // A kind whose direction changed is compared in full on the next sync: what changed on
        // either side while it did not travel that way is caught up.
        for kind in KINDS {
            if before.of(kind) != s.directions.of(kind) {
                linked::compare_again(&self.db, s.account_id, kind).await?;
            }
        }
        self.crm_sync_settings(s.account_id).await
    }

    /// The conflicts the account's syncs resolved, newest first (Sync history).
    pub async fn crm_conflicts(&self, account_id: i64) -> SyncResult<Vec<ResolvedConflict>> {
        Ok(linked::conflicts(&self.db, account_id, 200).await?)
    }

    /// One two-way sync of a CRM account, as a logged run.
    pub(super) async fn sync_crm_of(
        &self,
        account: &Account,
        trigger: SyncTrigger,
    ) -> SyncResult<Id> {
        let (_, crm) = self.crm_of(account.id).await?;
        let spec = RunSpec {
            account_id: Some(account.id),
            integration: Integration::Crm,
            kind: RunKind::Incremental,
            trigger,
        };
        let (run_id, result) = self
            .logged(spec, async {
                let result = self.two_way(account, &crm).await;
                let outcome = match &result {
                    Ok(r) => RunOutcome {
                        fetched: i64::from(r.pulled),
                        created: i64::from(r.pulled + r.pushed),
                        api_calls: i64::from(crm.calls()),
                        ..Default::default()
                    },
                    Err(_) => RunOutcome::made(0, crm.calls()),
                };
                (result, outcome)
            })
            .await?;
        result?;
        Ok(run_id)
    }

    async fn two_way(&self, account: &Account, crm: &Crms) -> SyncResult<CrmSyncReport> {
        let links = linked::links(&self.db, account.id).await?;
        if links.is_empty() {
            return Ok(CrmSyncReport::default());
        }
        let settings = self.crm_sync_settings(account.id).await?;
        let directions = settings.directions;
        let kinds: Vec<RecordKind> = KINDS
            .into_iter()
            .filter(|k| directions.of(*k) != SyncDirection::Off)
            .collect();
        let since = crate::cursors::read(&self.db, account.id, CURSOR_STREAM)
            .await?
            .cursor
            .and_then(|c| c.parse::<i64>().ok());
        let mut remote: HashMap<String, RemoteRecord> = HashMap::new();
        let mut unlinked_deals: Vec<String> = Vec::new();
        let mut reached = since;
        if let Some(since) = since {
            for &kind in &kinds {
                for r in crm.changed_since(kind, since - SEARCH_LAG_MS).await? {
                    reached = reached.max(Some(r.modified));
                    if links.contains_key(&r.remote_id) {
                        remote.insert(r.remote_id.clone(), r);
                    } else if kind == RecordKind::Deal {
                        unlinked_deals.push(r.remote_id);
                    }
                }
            }
        }
        let mut report = CrmSyncReport::default();
        if !unlinked_deals.is_empty() && directions.deals.pulls() {
            report.pulled += self
                .import_new_customers(account, crm, &unlinked_deals)
                .await?;
        }
        for &kind in &kinds {
            let ids: Vec<String> = links
                .values()
                .filter(|l| l.kind == kind && l.changed_here && !remote.contains_key(&l.remote_id))
                .map(|l| l.remote_id.clone())
                .collect();
            if !ids.is_empty() {
                for r in crm.read(kind, &ids).await? {
                    remote.insert(r.remote_id.clone(), r);
                }
            }
        }
        let mut decided: Vec<Decided> = Vec::new();
        let mut to_remote: HashMap<RecordKind, Vec<(String, Fields)>> = HashMap::new();
        for (remote_id, r) in &remote {
            let link = &links[remote_id];
            let Some(local) = linked::local_side(&self.db, link.kind, link.local_id).await? else {
                continue;
            };
            let theirs = Side {
                fields: r.fields.clone(),
                modified: r.modified,
            };
            let direction = directions.of(link.kind);
            let rule = rule_for(direction, settings.conflict_rule);
            let out = restrict(
                reconcile(&link.base, &local, &theirs, rule),
                &link.base,
                direction,
            );
            if out.is_noop() && out.base == link.base && !link.changed_here {
                continue;
            }
            report.pulled += u32::from(!out.to_cremmy.is_empty());
            report.pushed += u32::from(!out.to_remote.is_empty());
            report.conflicts += out.conflicts.len() as u32;
            if !out.to_remote.is_empty() {
                to_remote
                    .entry(link.kind)
                    .or_default()
                    .push((remote_id.clone(), out.to_remote.clone()));
            }
            decided.push(Decided {
                linked: link.clone(),
                to_cremmy: out.to_cremmy,
                base: out.base,
                remote_modified: r.modified,
                conflicts: out.conflicts,
            });
        }
        for kind in KINDS {
            if let Some(changes) = to_remote.get(&kind) {
                crm.write(kind, changes).await?;
            }
        }
        let cursor = reached.filter(|r| Some(*r) != since);
        if !decided.is_empty() || cursor.is_some() {
            let now = self.clock.now();
            linked::write_decisions(&self.db, account.id, &decided, cursor, now).await?;
        }
        Ok(report)
    }

    /// Deals won at the CRM since the import (or won since): their customers are imported as
    /// the first import would (matched, merged, linked; Cremmy's values stay on a conflict), in
    /// one transaction. Records made this way count as pulled.
    async fn import_new_customers(
        &self,
        account: &Account,
        crm: &Crms,
        deal_ids: &[String],
    ) -> SyncResult<u32> {
        let customers = crm.won_customers_among(deal_ids).await?;
        if customers.deals.is_empty() {
            return Ok(0);
        }
        let book = store::local_book(&self.db, account.id).await?;
        let rows = preview::plan(&book, &customers);
        let now = self.clock.now();
        let report = store::import(
            &self.db,
            account.id,
            &customers,
            &rows,
            &HashSet::new(),
            now,
        )
        .await?;
        Ok(report.created + report.merged)
    }
}
