//! What each action of an automation rule does (`RuleAction`), run by a rule's run
//! (`rule_jobs.rs`). Work at a provider is its own outbox job keyed by the run and the action, so a
//! run repeated after a crash never does it twice; a task is found by its note.

use cremmy_protocol::accounts::Feature;
use cremmy_protocol::automation::{Rule, RuleAction};
use cremmy_protocol::crm::{BulkClientAction, BulkClientEdit, DealInput, DealMove, Id, TaskInput};
use cremmy_protocol::docs::DocRequest;
use cremmy_protocol::mail::SendEmailInput;

use super::job_bodies::{
    ClientFolderJob, DealDraftJob, EmailDraftJob, GenerateDocJob, SendEmailJob, TaskEventJob,
};
use super::payment_jobs::{InvoiceJob, PaymentLinkJob};
use super::webhook_jobs::{WebhookJob, DELIVERY_ATTEMPTS};
use super::{SyncResult, SyncRunner};
use crate::clock::system_utc_offset_minutes;
use crate::features::automation::{self as rules, AutomationError, EventFacts};
use crate::features::event_journal::JournalEvent;
use crate::features::mail::drafts;
use crate::features::webhooks::payload;

const DAY_MS: i64 = 86_400_000;

impl SyncRunner {
    /// One action of a run, done: what it did in words, and the deal it touched (whose events
    /// are then marked as the rule's).
    pub(super) async fn act(
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
            RuleAction::CreateTask {
                title,
                due_in_days,
                remind_at_hour,
            } => {
                let offset = i64::from(system_utc_offset_minutes(self.clock.now())) * 60_000;
                let today = (self.clock.now() + offset).div_euclid(DAY_MS);
                let due = today + due_in_days;
                let input = TaskInput {
                    title: rules::render_title(title, facts),
                    due_date: Some(crate::crm::Date::from_days(due).to_string()),
                    // The local hour on the due day, as an instant.
                    reminder_at: remind_at_hour
                        .map(|h| due * DAY_MS + i64::from(h) * 3_600_000 - offset),
                    client_id: facts.client_id,
                    deal_id: facts.deal.as_ref().map(|d| d.id),
                    ..TaskInput::default()
                };
                let task = self.rule_task(input, rule, run_id, index).await?;
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
            RuleAction::SendText {
                body,
                channel,
                whatsapp_template,
            } => {
                let draft = cremmy_protocol::sms::TextDraft {
                    client_id: client?,
                    contact_id: None,
                    body: body.clone(),
                    channel: *channel,
                    template_id: whatsapp_template.clone(),
                    template_values: Default::default(),
                };
                let title = format!("Text (rule \"{}\")", rule.name);
                self.queue_text(&draft, &key, &title).await?;
                text("text queued".into())
            }
            RuleAction::CreateInvoice {
                days_until_due,
                send,
            } => {
                let deal = deal?;
                if self.account_with(Feature::Payments).await.is_err() {
                    return text("no invoice: no payments account is connected".into());
                }
                let request = cremmy_protocol::payments::InvoiceRequest {
                    deal_id: deal.id,
                    days_until_due: *days_until_due,
                    memo: String::new(),
                    send: *send,
                    account_id: None,
                };
                let title = format!("Invoice for {} (rule \"{}\")", deal.title, rule.name);
                self.submit_background(InvoiceJob { request }, &key, &title)
                    .await;
                text("invoice queued".into())
            }
            RuleAction::PaymentLink => {
                let deal = deal?;
                if self.account_with(Feature::Payments).await.is_err() {
                    return text("no payment link: no payments account is connected".into());
                }
                let title = format!("Payment link for {} (rule \"{}\")", deal.title, rule.name);
                self.submit_background(PaymentLinkJob { deal_id: deal.id }, &key, &title)
                    .await;
                text("payment link queued".into())
            }
            RuleAction::CalendarEvent {
                title,
                days_after,
                hour,
                minute,
            } => {
                let offset = i64::from(system_utc_offset_minutes(event.occurred_at)) * 60_000;
                let day = (event.occurred_at + offset).div_euclid(DAY_MS) + days_after;
                let input = TaskInput {
                    title: rules::render_title(title, facts),
                    due_date: Some(crate::crm::Date::from_days(day).to_string()),
                    due_time: Some(format!("{hour:02}:{minute:02}")),
                    client_id: facts.client_id,
                    deal_id: facts.deal.as_ref().map(|d| d.id),
                    ..TaskInput::default()
                };
                let task = self.rule_task(input, rule, run_id, index).await?;
                if self.account_with(Feature::Calendar).await.is_err() {
                    return text(format!(
                        "task \"{}\" created; not on a calendar: no connected account has Calendar access",
                        task.title
                    ));
                }
                let job = TaskEventJob {
                    task_id: task.id,
                    time_zone: crate::clock::system_time_zone(),
                };
                let title = format!("Calendar event (rule \"{}\"): {}", rule.name, task.title);
                self.submit_background(job, &key, &title).await;
                text(format!("\"{}\" queued for the calendar", task.title))
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
                        from_account: None,
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

    /// The task an action of a run makes, made once: a run repeated after a crash (before the
    /// action was marked done) finds the task it made by its note instead of making another.
    async fn rule_task(
        &self,
        mut input: TaskInput,
        rule: &Rule,
        run_id: Id,
        index: usize,
    ) -> SyncResult<cremmy_protocol::crm::Task> {
        input.notes = format!(
            "From the rule \"{}\" (run {run_id}.{}).",
            rule.name,
            index + 1
        );
        let made: Option<Id> = sqlx::query_scalar(
            "SELECT id FROM tasks WHERE client_id IS ? AND notes = ? ORDER BY id LIMIT 1",
        )
        .bind(input.client_id)
        .bind(&input.notes)
        .fetch_optional(self.db.writer())
        .await?;
        let task = match made {
            Some(id) => self.crm.task(id).await,
            None => self.crm.create_task(&input).await,
        };
        Ok(task.map_err(AutomationError::from)?)
    }
}
