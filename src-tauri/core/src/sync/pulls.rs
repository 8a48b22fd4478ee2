//! Pulls: "Sync now", the schedule and `cremmy sync --once` run every connected account's mail and
//! calendar and the Leads sheet, one logged run each, in order, reporting progress as they go.

use super::log::{RunOutcome, RunSpec};
use super::{log, SyncResult, SyncRunner, LAST_SYNC};
use crate::features::calendar;
use crate::features::leads::{self, LeadRun};
use crate::features::mail::{MailRun, MailSync};
use crate::providers::registry::{registration, Capability};
use crate::providers::Providers;
use cremmy_protocol::accounts::{Account, AccountStatus, Feature};
use cremmy_protocol::engine::{LastSync, SyncProgress};
use cremmy_protocol::kinds::Integration;
use cremmy_protocol::kinds::RunKind;
use cremmy_protocol::sync::{LeadSheet, SyncRequest, SyncRun, SyncRunQuery, SyncTrigger};
use cremmy_protocol::ErrorCode;

/// One pull of one account in a sync.
enum Step {
    Mail(Account),
    Calendar(Account),
    Leads(cremmy_protocol::sync::LeadSheet),
    Texts(Account),
    Calls(Account),
    Reminders(Account),
    Payments(Account),
    Crm(Account),
}

impl Step {
    /// What the progress line says ("Gmail · you@example.com").
    fn phase(&self) -> String {
        let of = |a: &Account, capability| {
            format!(
                "{} · {}",
                Providers::product(a.provider, capability).name,
                a.email
            )
        };
        match self {
            Step::Mail(a) => of(a, Capability::MailSource),
            Step::Calendar(a) => of(a, Capability::CalendarSource),
            Step::Leads(_) => "Leads sheet".into(),
            Step::Texts(a) => of(a, Capability::Texting),
            Step::Calls(a) => of(a, Capability::CallLog),
            Step::Reminders(_) => "Meeting reminders".into(),
            Step::Payments(a) => of(a, Capability::Payments),
            Step::Crm(a) => of(a, Capability::CrmRecords),
        }
    }
}

impl SyncRunner {
    /// Syncs every connected account (or the one asked for) once; one logged run per account and
    /// integration. A failing account does not stop the others: its run is logged as failed.
    pub async fn sync_now(
        &self,
        request: &SyncRequest,
        trigger: SyncTrigger,
    ) -> SyncResult<Vec<SyncRun>> {
        let _one_at_a_time = self.running.lock().await;
        let now = self.clock.now();
        log::prune(&self.db, now).await?;
        crate::jobs::prune(&self.db, now).await?;
        self.prune_journal().await?;
        let steps = self.steps(request).await?;
        let total = steps.len() as u32;
        let mut run_ids = Vec::new();
        for (done, step) in steps.iter().enumerate() {
            self.progress.send_replace(Some(SyncProgress {
                phase: step.phase(),
                done: done as u32,
                total,
            }));
            let run = match step {
                Step::Mail(account) => self.sync_mail(account, request.reconcile, trigger).await,
                Step::Calendar(account) => self.sync_calendar(account, trigger).await,
                Step::Leads(sheet) => self.sync_leads(sheet, trigger).await,
                Step::Texts(account) => self.sync_texts(account, trigger).await,
                Step::Calls(account) => self.sync_calls(account, trigger).await,
                Step::Reminders(account) => self.send_meeting_reminders(account, trigger).await,
                Step::Payments(account) => self.sync_payments_of(account, trigger).await,
                Step::Crm(account) => self.sync_crm_of(account, trigger).await,
            };
            match run {
                Ok(id) => run_ids.push(id),
                Err(e) => {
                    self.progress.send_replace(None);
                    return Err(e);
                }
            }
        }
        self.progress.send_replace(None);
        let runs = log::runs(
            &self.db,
            &SyncRunQuery {
                limit: Some(500),
                ..Default::default()
            },
        )
        .await?;
        let runs: Vec<SyncRun> = runs
            .into_iter()
            .filter(|r| run_ids.contains(&r.id))
            .collect();
        let last = LastSync {
            finished_at: self.clock.now(),
            ok: runs.iter().all(|r| r.error.is_none()),
            error: runs.iter().find_map(|r| r.error.clone()),
            needs_reconnect: runs
                .iter()
                .any(|r| r.error_code == Some(ErrorCode::ReconnectNeeded)),
        };
        // Only a sync of everything that did something is "the last sync" (none without accounts).
        if request.account_id.is_none() && total > 0 {
            let json = serde_json::to_string(&last).unwrap_or_default();
            self.db
                .put_setting(LAST_SYNC, Some(&json), self.clock.now())
                .await?;
            self.finished.send_modify(|n| *n += 1);
        }
        Ok(runs)
    }
    /// What a sync of `request` will do, in order.
    async fn steps(&self, request: &SyncRequest) -> SyncResult<Vec<Step>> {
        let mut steps = Vec::new();
        for account in self.providers.accounts().list().await? {
            if request.account_id.is_some_and(|id| id != account.id)
                || account.status != AccountStatus::Connected
                || registration(account.provider).is_none()
            {
                continue;
            }
            if account.features.contains(&Feature::MailIngest) {
                steps.push(Step::Mail(account.clone()));
            }
            if account.features.contains(&Feature::Calendar) {
                steps.push(Step::Calendar(account.clone()));
            }
            if account.features.contains(&Feature::Sms) {
                steps.push(Step::Texts(account.clone()));
            }
            if account.features.contains(&Feature::Calls) {
                steps.push(Step::Calls(account.clone()));
            }
            if account.features.contains(&Feature::CrmSync) {
                steps.push(Step::Crm(account.clone()));
            }
            if account.features.contains(&Feature::Payments) {
                steps.push(Step::Payments(account));
            }
        }
        if request.account_id.is_none() {
            if let Some(sheet) = leads::configured(&self.db).await? {
                steps.push(Step::Leads(sheet));
            }
            // After the calendars: reminders for meetings they brought in.
            let reminding = crate::features::texts::settings(&self.db)
                .await?
                .meeting_reminder_hours
                .is_some();
            if reminding {
                if let Ok(account) = self.account_with(Feature::Sms).await {
                    steps.push(Step::Reminders(account));
                }
            }
        }
        Ok(steps)
    }
    async fn sync_calendar(&self, account: &Account, trigger: SyncTrigger) -> SyncResult<i64> {
        let spec = log::RunSpec {
            account_id: Some(account.id),
            integration: Providers::product(account.provider, Capability::CalendarSource).key,
            kind: RunKind::Incremental,
            trigger,
        };
        let session = self.session(account, Feature::Calendar)?;
        let source = super::able(session.calendar(), Feature::Calendar)?;
        let (run_id, _) = self
            .logged(spec, async {
                let mut run = calendar::CalendarRun::default();
                let result = calendar::sync(
                    &self.db,
                    &source,
                    account.id,
                    &account.email.to_lowercase(),
                    self.clock.now(),
                    &mut run,
                )
                .await;
                let outcome = log::RunOutcome {
                    kind: Some(run.kind),
                    fetched: run.fetched,
                    skipped: run.updated + run.cancelled,
                    ..log::RunOutcome::made(run.created, session.calls())
                };
                (result, outcome)
            })
            .await?;
        Ok(run_id)
    }
    async fn sync_mail(
        &self,
        account: &Account,
        reconcile: bool,
        trigger: SyncTrigger,
    ) -> SyncResult<i64> {
        let spec = log::RunSpec {
            account_id: Some(account.id),
            integration: Providers::product(account.provider, Capability::MailSource).key,
            kind: RunKind::Incremental,
            trigger,
        };
        let session = self.session(account, Feature::MailIngest)?;
        let (run_id, _) = self
            .logged(spec, async {
                let mailbox = session.mailbox(&account.email);
                let mut run = MailRun::default();
                let result = MailSync {
                    db: &self.db,
                    clock: self.clock.as_ref(),
                    source: &mailbox,
                    account_id: account.id,
                    settings: self.mail,
                }
                .run(reconcile, &mut run)
                .await;
                let outcome = log::RunOutcome {
                    kind: Some(run.kind),
                    fetched: run.fetched,
                    skipped: run.skipped,
                    recovered: run.recovered,
                    ..log::RunOutcome::made(run.created, session.calls())
                };
                (result, outcome)
            })
            .await?;
        Ok(run_id)
    }

    /// One pass over the Leads sheet with the first account allowed to use Sheets; logged as a
    /// run (a missing account is a failed run, so the user sees why nothing is imported).
    pub(super) async fn sync_leads(
        &self,
        sheet: &LeadSheet,
        trigger: SyncTrigger,
    ) -> SyncResult<i64> {
        let account = self.account_with(Feature::Sheets).await;
        let spec = RunSpec {
            account_id: account.as_ref().ok().map(|a| a.id),
            integration: account.as_ref().map_or(Integration::Sheets, |a| {
                Providers::product(a.provider, Capability::SheetTable).key
            }),
            kind: RunKind::Leads,
            trigger,
        };
        let (run_id, _) = self
            .logged(spec, async {
                let session = account.and_then(|a| self.session(&a, Feature::Sheets));
                let (session, sheets) = match session
                    .and_then(|s| super::able(s.spreadsheets(), Feature::Sheets).map(|t| (s, t)))
                {
                    Ok(found) => found,
                    Err(e) => return (Err(e), RunOutcome::default()),
                };
                let mut run = LeadRun::default();
                let result =
                    leads::ingest(&self.db, &sheets, sheet, self.clock.now(), &mut run).await;
                let outcome = RunOutcome {
                    fetched: run.rows,
                    skipped: run.skipped + run.errors,
                    ..RunOutcome::made(run.imported, session.calls())
                };
                (result.map_err(super::SyncError::from), outcome)
            })
            .await?;
        Ok(run_id)
    }
}
