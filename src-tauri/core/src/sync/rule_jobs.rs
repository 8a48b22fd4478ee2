//! Automation rules at work. New journal events are judged against the enabled rules in order (a
//! cursor in the settings); a rule that acts records a run, unique per rule and event, so it acts
//! once per event even across restarts, and its actions become one outbox job due when the rule's
//! delay says (logged in Sync history under the rule's name). The job goes on from the first
//! action not yet done, and marks the events its actions caused with the rule, so a rule never
//! acts on what it caused and chains stop at `MAX_DEPTH`. The dry run judges the last 30 days and
//! writes nothing.

use cremmy_protocol::automation::{DryRun, Rule, RuleInput, RuleRun, RuleRunStatus, WouldRun};
use cremmy_protocol::crm::Id;
use cremmy_protocol::kinds::{Integration, JobKind, RunKind};
use serde::{Deserialize, Serialize};

use super::log::{RunOutcome, RunSpec};
use super::outbox::{JobRun, OutboxJob};
use super::{SyncError, SyncResult, SyncRunner};
use crate::clock::system_utc_offset_minutes;
use crate::features::automation::store::{self, StoredRule};
use crate::features::automation::{self as rules, AutomationError, Verdict};
use crate::features::event_journal::{self, JournalEvent};
use crate::jobs::{self, NewJob, JOB_BACKOFF};

/// The settings key of the last journal event judged.
const CURSOR: &str = "automation.cursor";
const BATCH: i64 = 200;
const DAY_MS: i64 = 86_400_000;
/// How far back the dry run looks.
pub const DRY_RUN_DAYS: i64 = 30;
/// How often time passing is looked at.
const TIME_SCAN_EVERY_MS: i64 = 60_000;

/// One rule acting on one event: its actions, in order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct RuleRunJob {
    pub run_id: Id,
}

impl OutboxJob for RuleRunJob {
    const KIND: JobKind = JobKind::RuleRun;
    type Done = String;

    async fn run(&self, runner: &SyncRunner, job: &mut JobRun) -> SyncResult<String> {
        let spec = RunSpec {
            account_id: None,
            integration: Integration::Automation,
            kind: RunKind::Rule,
            trigger: job.trigger,
        };
        let (_, result) = runner
            .logged(spec, async {
                let result = runner.execute_run(self.run_id).await;
                let outcome = RunOutcome::of_job(&result, 0);
                (result, outcome)
            })
            .await?;
        result
    }
}

impl SyncRunner {
    /// Judges the journal's new events against the enabled rules; runs what is due now in the
    /// background and queues the delayed. Returns the runs started (to wait for in tests and
    /// `cremmy sync --once`).
    pub async fn run_rules(&self) -> SyncResult<Vec<tokio::task::JoinHandle<SyncResult<String>>>> {
        let _one_at_a_time = self.rules_lock.lock().await;
        let mut cursor: Id = self
            .db
            .setting(CURSOR)
            .await?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let enabled: Vec<StoredRule> = store::rules(&self.db)
            .await
            .map_err(SyncError::from)?
            .into_iter()
            .filter(|r| r.rule.enabled)
            .collect();
        let mut started = Vec::new();
        if enabled.is_empty() {
            // Nothing listens: skip to the end (a rule made later starts after it anyway).
            let last = event_journal::last_id(self.db.writer()).await?;
            if last > cursor {
                self.db
                    .put_setting(CURSOR, Some(&last.to_string()), self.clock.now())
                    .await?;
            }
            return Ok(started);
        }
        loop {
            let events = event_journal::after(self.db.writer(), cursor, BATCH).await?;
            let Some(last) = events.last().map(|e| e.id) else {
                break;
            };
            for event in &events {
                started.extend(self.judge_event(&enabled, event).await?);
            }
            cursor = last;
            self.db
                .put_setting(CURSOR, Some(&cursor.to_string()), self.clock.now())
                .await?;
        }
        Ok(started)
    }

    /// Forgets journal events older than 90 days that were handed over and judged (a rule's
    /// history keeps the ones it points at). Returns how many.
    pub async fn prune_journal(&self) -> SyncResult<u64> {
        let judged: Id = self
            .db
            .setting(CURSOR)
            .await?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        Ok(event_journal::prune(self.db.writer(), self.clock.now(), judged).await?)
    }

    /// Journals the meetings that ended and the tasks due today (once each); at most once a
    /// minute unless `force`.
    pub async fn record_time_events(&self, force: bool) -> SyncResult<u64> {
        use std::sync::atomic::Ordering;
        let now = self.clock.now();
        let last = self.time_scan.load(Ordering::SeqCst);
        if !force && last != i64::MIN && now - last < TIME_SCAN_EVERY_MS {
            return Ok(0);
        }
        self.time_scan.store(now, Ordering::SeqCst);
        let offset = i64::from(system_utc_offset_minutes(now)) * 60_000;
        let today = crate::crm::Date::from_days((now + offset).div_euclid(DAY_MS)).to_string();
        Ok(event_journal::record_time_events(self.db.writer(), now, &today).await?)
    }

    async fn judge_event(
        &self,
        enabled: &[StoredRule],
        event: &JournalEvent,
    ) -> SyncResult<Vec<tokio::task::JoinHandle<SyncResult<String>>>> {
        let kind = event.kind();
        let candidates: Vec<&StoredRule> = enabled
            .iter()
            .filter(|r| r.rule.trigger == kind && event.id > r.journal_from)
            .collect();
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let facts = store::facts(self.db.writer(), event).await?;
        let offset = system_utc_offset_minutes(event.occurred_at);
        let now = self.clock.now();
        let mut started = Vec::new();
        for stored in candidates {
            let rule = &stored.rule;
            match rules::judge(rule.id, rule.trigger, &rule.conditions, &facts, offset) {
                Verdict::Skip => {}
                Verdict::Refuse(reason) => {
                    store::record_run(&self.db, rule.id, event.id, now, Some(&reason), now).await?;
                }
                Verdict::Act => {
                    let due = rules::due_at(rule.delay.as_ref(), event.occurred_at, offset);
                    let Some(run_id) =
                        store::record_run(&self.db, rule.id, event.id, due, None, now).await?
                    else {
                        continue;
                    };
                    let title = format!("Rule \"{}\": {}", rule.name, kind.label());
                    let key = format!("rule_run:{run_id}");
                    let job = RuleRunJob { run_id };
                    if due <= now {
                        started.extend(
                            self.submit_background_with(
                                job,
                                &key,
                                &title,
                                JOB_BACKOFF.max_attempts,
                            )
                            .await,
                        );
                    } else {
                        let payload = serde_json::to_string(&job).unwrap_or_default();
                        let new = NewJob {
                            kind: JobKind::RuleRun,
                            payload: &payload,
                            key: &key,
                            title: &title,
                            priority: 0,
                            max_attempts: JOB_BACKOFF.max_attempts,
                        };
                        jobs::enqueue_all(&self.db, &[(new, due)], now).await?;
                    }
                }
            }
        }
        Ok(started)
    }

    /// One run's actions, from the first not yet done. Its events are marked as the rule's.
    async fn execute_run(&self, run_id: Id) -> SyncResult<String> {
        let _one_at_a_time = self.rules_lock.lock().await;
        let now = self.clock.now();
        let Some((rule_id, event_id, done, status)) = store::run_state(&self.db, run_id).await?
        else {
            return Ok("the rule was deleted".into());
        };
        if status != "waiting" {
            return Ok(format!("already {status}"));
        }
        let rule = store::rule(&self.db, rule_id).await?.rule;
        if !rule.enabled {
            let why = "not run: the rule was switched off before its time";
            store::finish_run(&self.db, run_id, RuleRunStatus::Refused, why, now).await?;
            return Ok(why.into());
        }
        let event = event_journal::one(self.db.writer(), event_id)
            .await?
            .ok_or_else(|| AutomationError::ActionFailed {
                reason: "its event is no longer in the journal".into(),
            })?;
        let facts = store::facts(self.db.writer(), &event).await?;
        let mut chain = facts.chain.clone();
        chain.push(rule.id);
        let mut said: Vec<String> = Vec::new();
        for (i, action) in rule.actions.iter().enumerate().skip(done.max(0) as usize) {
            let before = event_journal::last_id(self.db.writer()).await?;
            let touched = match self.act(action, &rule, &facts, &event, run_id, i).await {
                Ok((text, touched)) => {
                    said.push(text);
                    touched
                }
                Err(e) => {
                    let message = format!("{}: {e}", rules::describe(action, &facts, &[]));
                    if !e.is_retryable() {
                        store::finish_run(&self.db, run_id, RuleRunStatus::Failed, &message, now)
                            .await?;
                    }
                    return Err(e);
                }
            };
            if let Some(deal) = touched {
                event_journal::mark_caused(self.db.writer(), before, deal, &chain, facts.depth + 1)
                    .await?;
            }
            store::action_done(&self.db, run_id, i as i64 + 1, &said.join("; "), now).await?;
        }
        let detail = said.join("; ");
        store::finish_run(&self.db, run_id, RuleRunStatus::Done, &detail, now).await?;
        Ok(detail)
    }

    pub async fn automation_rules(&self) -> SyncResult<Vec<Rule>> {
        Ok(store::rules(&self.db)
            .await?
            .into_iter()
            .map(|r| r.rule)
            .collect())
    }

    async fn checked(&self, input: &RuleInput) -> SyncResult<RuleInput> {
        let stages = self.crm.stages().await.map_err(AutomationError::from)?;
        let endpoints: Vec<Id> = self
            .webhook_endpoints()
            .await?
            .into_iter()
            .map(|e| e.id)
            .collect();
        Ok(rules::validate(input, &stages, &endpoints)?)
    }

    /// A new rule; it acts on events from now on.
    pub async fn create_rule(&self, input: &RuleInput) -> SyncResult<Rule> {
        let clean = self.checked(input).await?;
        Ok(store::create(&self.db, &clean, self.clock.now()).await?)
    }

    pub async fn update_rule(&self, id: Id, input: &RuleInput) -> SyncResult<Rule> {
        let clean = self.checked(input).await?;
        Ok(store::update(&self.db, id, &clean, self.clock.now()).await?)
    }

    pub async fn delete_rule(&self, id: Id) -> SyncResult<()> {
        Ok(store::delete(&self.db, id).await?)
    }

    /// A rule's history, newest first.
    pub async fn rule_runs(&self, id: Id) -> SyncResult<Vec<RuleRun>> {
        store::rule(&self.db, id).await?;
        Ok(store::runs(&self.db, id, 100).await?)
    }

    /// What `input` would have done over the last 30 days, judged on today's facts. Writes
    /// nothing.
    pub async fn dry_run_rule(&self, input: &RuleInput) -> SyncResult<DryRun> {
        let clean = self.checked(input).await?;
        let stages = self.crm.stages().await.map_err(AutomationError::from)?;
        let now = self.clock.now();
        let events = store::recent_events(self.db.pool(), now - DRY_RUN_DAYS * DAY_MS).await?;
        let mut dry = DryRun {
            events_seen: 0,
            would: Vec::new(),
        };
        for event in events.iter().filter(|e| e.kind() == clean.trigger) {
            dry.events_seen += 1;
            let facts = store::facts(self.db.pool(), event).await?;
            let offset = system_utc_offset_minutes(event.occurred_at);
            // A rule not yet saved has caused nothing: only the depth can refuse it.
            if rules::judge(0, clean.trigger, &clean.conditions, &facts, offset) != Verdict::Act {
                continue;
            }
            dry.would.push(WouldRun {
                event: event.kind(),
                occurred_at: event.occurred_at,
                client_name: facts.client_name.clone(),
                due_at: rules::due_at(clean.delay.as_ref(), event.occurred_at, offset),
                actions: clean
                    .actions
                    .iter()
                    .map(|a| rules::describe(a, &facts, &stages))
                    .collect(),
            });
        }
        Ok(dry)
    }
}
