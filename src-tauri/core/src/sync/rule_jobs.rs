//! Automation rules at work. New journal events are judged against the enabled rules in order (a
//! cursor in the settings); a rule that acts records a run, unique per rule and event, so it acts
//! once per event even across restarts, and its actions become one outbox job due when the rule's
//! delay says (logged in Sync history under the rule's name). The job goes on from the first
//! action not yet done, and marks the events its actions caused with the rule, so a rule never
//! acts on what it caused and chains stop at `MAX_DEPTH`. The dry run judges the last 30 days and
//! writes nothing.

use cremmy_protocol::accounts::Feature;
use cremmy_protocol::automation::{
    DryRun, Rule, RuleAction, RuleInput, RuleRun, RuleRunStatus, WouldRun,
};
use cremmy_protocol::crm::{BulkClientAction, BulkClientEdit, DealInput, DealMove, Id, TaskInput};
use cremmy_protocol::docs::DocRequest;
use cremmy_protocol::kinds::{Integration, JobKind, RunKind};
use cremmy_protocol::mail::SendEmailInput;
use serde::{Deserialize, Serialize};

use super::job_bodies::{
    ClientFolderJob, DealDraftJob, EmailDraftJob, GenerateDocJob, SendEmailJob,
};
use super::log::{RunOutcome, RunSpec};
use super::outbox::{JobRun, OutboxJob};
use super::webhook_jobs::{WebhookJob, DELIVERY_ATTEMPTS};
use super::{SyncError, SyncResult, SyncRunner};
use crate::clock::system_utc_offset_minutes;
use crate::features::automation::store::{self, StoredRule};
use crate::features::automation::{self as rules, AutomationError, EventFacts, Verdict};
use crate::features::event_journal::{self, JournalEvent};
use crate::features::mail::drafts;
use crate::features::webhooks::payload;
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

    async fn act(
        &self,
        action: &RuleAction,
        rule: &Rule,
        facts: &EventFacts,
        event: &JournalEvent,
        run_id: Id,
        index: usize,
    ) -> SyncResult<(String, Option<Id>)> {
        let text = |t: String| Ok((t, None));
        let no = |what: &str| AutomationError::ActionFailed {
            reason: format!("the event has no {what}"),
        };
        let client = facts.client_id.ok_or_else(|| no("client"));
        let deal = facts.deal.as_ref().ok_or_else(|| no("deal"));
        let key = format!("rule:{run_id}:{index}");
        match action {
            RuleAction::CreateTask { title, due_in_days } => {
                let offset = i64::from(system_utc_offset_minutes(self.clock.now())) * 60_000;
                let today = (self.clock.now() + offset).div_euclid(DAY_MS);
                let task = self
                    .crm
                    .create_task(&TaskInput {
                        title: rules::render_title(title, facts),
                        notes: format!("From the rule \"{}\".", rule.name),
                        due_date: Some(
                            crate::crm::Date::from_days(today + due_in_days).to_string(),
                        ),
                        client_id: facts.client_id,
                        deal_id: facts.deal.as_ref().map(|d| d.id),
                        ..TaskInput::default()
                    })
                    .await
                    .map_err(AutomationError::from)?;
                text(format!("task \"{}\" created", task.title))
            }
            RuleAction::MoveDeal { stage_id } => {
                let deal = deal?;
                let moved = self
                    .crm
                    .move_deal(DealMove {
                        deal_id: deal.id,
                        stage_id: *stage_id,
                        index: i64::MAX,
                    })
                    .await
                    .map_err(AutomationError::from)?;
                Ok((format!("{} moved", moved.title), Some(moved.id)))
            }
            RuleAction::AddTag { tag } | RuleAction::RemoveTag { tag } => {
                let action = match action {
                    RuleAction::AddTag { .. } => BulkClientAction::AddTag { tag: tag.clone() },
                    _ => BulkClientAction::RemoveTag { tag: tag.clone() },
                };
                self.crm
                    .edit_clients(&BulkClientEdit {
                        client_ids: vec![client?],
                        action,
                    })
                    .await
                    .map_err(AutomationError::from)?;
                text(format!("tag {tag} changed"))
            }
            RuleAction::ClientFolder => {
                if self.account_with(Feature::Drive).await.is_err() {
                    return text("no folder: no connected account has Drive access".into());
                }
                let job = ClientFolderJob { client_id: client? };
                let title = format!("Drive folder (rule \"{}\")", rule.name);
                self.submit_background(job, &key, &title).await;
                text("Drive folder queued".into())
            }
            RuleAction::ProposalDraft => {
                let deal = deal?;
                if self.account_with(Feature::MailSend).await.is_err() {
                    return text("no draft: no connected account can write mail".into());
                }
                let title = format!("Proposal draft for {} (rule \"{}\")", deal.title, rule.name);
                // The built-in follow-up's key: never two drafts for one deal.
                let key = format!("deal_draft:{}", deal.id);
                self.submit_background(DealDraftJob { deal_id: deal.id }, &key, &title)
                    .await;
                text("proposal draft queued".into())
            }
            RuleAction::CallWebhook { endpoint_id } => {
                let body = payload::build(self.db.pool(), event).await?;
                let job = WebhookJob {
                    endpoint_id: *endpoint_id,
                    event_id: Some(event.id),
                    webhook_id: event.gid.clone(),
                    event: event.kind(),
                    body,
                };
                // The subscription's key: an endpoint also subscribed gets the event once.
                let key = format!("webhook:{}:{endpoint_id}", event.gid);
                let title = format!("Webhook (rule \"{}\")", rule.name);
                self.submit_background_with(job, &key, &title, DELIVERY_ATTEMPTS)
                    .await;
                text("webhook queued".into())
            }
            RuleAction::SendText { body, channel } => {
                let draft = cremmy_protocol::sms::TextDraft {
                    client_id: client?,
                    contact_id: None,
                    body: body.clone(),
                    channel: *channel,
                    template_id: None,
                    template_values: Default::default(),
                };
                let title = format!("Text (rule \"{}\")", rule.name);
                self.queue_text(&draft, &key, &title).await?;
                text("text queued".into())
            }
            RuleAction::Email {
                subject,
                body,
                send_without_review,
            } => {
                if self.account_with(Feature::MailSend).await.is_err() {
                    return text("no email: no connected account can send mail".into());
                }
                let client_id = client?;
                let deal_id = facts.deal.as_ref().map(|d| d.id);
                let contact_id = drafts::first_contact_with_email(&self.db, client_id)
                    .await?
                    .ok_or_else(|| AutomationError::ActionFailed {
                        reason: "the client has no contact with an email address".into(),
                    })?;
                let now = self.clock.now();
                let rendered =
                    drafts::render_with(&self.db, contact_id, deal_id, subject, body, now)
                        .await
                        .map_err(|e| AutomationError::ActionFailed {
                            reason: format!("the email could not be written: {e}"),
                        })?;
                if *send_without_review {
                    let input = SendEmailInput {
                        contact_id,
                        subject: rendered.subject.clone(),
                        body: rendered.body,
                        reply_to: None,
                        deal_id,
                    };
                    let title = format!("Email (rule \"{}\"): {}", rule.name, rendered.subject);
                    self.submit_background(SendEmailJob { input }, &key, &title)
                        .await;
                    return text(format!("email \"{}\" queued to send", rendered.subject));
                }
                let draft = drafts::EmailDraft {
                    client_id,
                    deal_id,
                    contact_id,
                    subject: rendered.subject.clone(),
                    body: rendered.body,
                };
                let title = format!("Email draft (rule \"{}\"): {}", rule.name, rendered.subject);
                self.submit_background(EmailDraftJob { draft }, &key, &title)
                    .await;
                text(format!("email draft \"{}\" queued", rendered.subject))
            }
            RuleAction::CreateDeal { title } => {
                let deal = self
                    .crm
                    .create_deal(&DealInput {
                        client_id: client?,
                        title: rules::render_title(title, facts),
                        currency: self
                            .crm
                            .home_currency()
                            .await
                            .map_err(AutomationError::from)?,
                        ..DealInput::default()
                    })
                    .await
                    .map_err(AutomationError::from)?;
                Ok((format!("deal \"{}\" opened", deal.title), Some(deal.id)))
            }
            RuleAction::GenerateDoc { document: kind } => {
                let request = DocRequest {
                    client_id: client?,
                    kind: *kind,
                    deal_id: facts.deal.as_ref().map(|d| d.id),
                };
                let title = format!("Generate a document (rule \"{}\")", rule.name);
                self.submit_background(GenerateDocJob { request }, &key, &title)
                    .await;
                text("document queued".into())
            }
        }
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
