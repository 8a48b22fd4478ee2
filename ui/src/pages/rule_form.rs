//! The rule form's model: every field as a signal, filled from a saved rule and read back as a
//! `RuleInput` (or why it cannot be).

use cremmy_protocol::automation::{Condition, Delay, Rule, RuleAction, RuleInput};
use cremmy_protocol::crm::{DocumentKind, Id};
use cremmy_protocol::kinds::EventKind;
use cremmy_protocol::sms::Channel;
use leptos::prelude::*;

use crate::format;

/// Every field of the form as text; empty means "not used".
#[derive(Clone, Copy)]
pub struct Form {
    pub editing: RwSignal<Option<Id>>,
    pub name: RwSignal<String>,
    pub trigger: RwSignal<String>,
    pub stage: RwSignal<String>,
    pub tag: RwSignal<String>,
    pub value: RwSignal<String>,
    pub currency: RwSignal<String>,
    pub has_email: RwSignal<bool>,
    pub has_phone: RwSignal<bool>,
    pub field: RwSignal<String>,
    pub field_value: RwSignal<String>,
    pub hours: RwSignal<String>,
    pub delay: RwSignal<String>,
    pub delay_amount: RwSignal<String>,
    pub task: RwSignal<String>,
    pub task_due: RwSignal<String>,
    pub task_remind: RwSignal<String>,
    pub move_to: RwSignal<String>,
    pub new_deal: RwSignal<String>,
    pub document: RwSignal<String>,
    pub text: RwSignal<String>,
    pub whatsapp: RwSignal<bool>,
    /// An approved WhatsApp template's id (empty: the text above).
    pub whatsapp_template: RwSignal<String>,
    pub invoice_days: RwSignal<String>,
    pub invoice_send: RwSignal<bool>,
    pub payment_link: RwSignal<bool>,
    pub event_title: RwSignal<String>,
    pub event_days: RwSignal<String>,
    pub event_time: RwSignal<String>,
    pub email_subject: RwSignal<String>,
    pub email_body: RwSignal<String>,
    pub email_send: RwSignal<bool>,
    pub add_tag: RwSignal<String>,
    pub remove_tag: RwSignal<String>,
    pub folder: RwSignal<bool>,
    pub draft: RwSignal<bool>,
    pub webhook: RwSignal<String>,
    pub enabled: RwSignal<bool>,
}

impl Form {
    pub fn new() -> Form {
        let text = |s: &str| RwSignal::new(s.to_string());
        Form {
            editing: RwSignal::new(None),
            name: text(""),
            trigger: text(EventKind::DealWon.as_str()),
            stage: text(""),
            tag: text(""),
            value: text(""),
            currency: text(""),
            has_email: RwSignal::new(false),
            has_phone: RwSignal::new(false),
            field: text(""),
            field_value: text(""),
            hours: text(""),
            delay: text("none"),
            delay_amount: text(""),
            task: text(""),
            task_due: text("0"),
            task_remind: text(""),
            move_to: text(""),
            new_deal: text(""),
            document: text(""),
            text: text(""),
            whatsapp: RwSignal::new(false),
            whatsapp_template: text(""),
            invoice_days: text(""),
            invoice_send: RwSignal::new(true),
            payment_link: RwSignal::new(false),
            event_title: text(""),
            event_days: text("2"),
            event_time: text("10:00"),
            email_subject: text(""),
            email_body: text(""),
            email_send: RwSignal::new(false),
            add_tag: text(""),
            remove_tag: text(""),
            folder: RwSignal::new(false),
            draft: RwSignal::new(false),
            webhook: text(""),
            enabled: RwSignal::new(true),
        }
    }

    pub fn clear(&self) {
        let fresh = Form::new();
        self.load_from(&fresh);
    }

    fn load_from(&self, other: &Form) {
        self.editing.set(other.editing.get_untracked());
        for (to, from) in [
            (self.name, other.name),
            (self.trigger, other.trigger),
            (self.stage, other.stage),
            (self.tag, other.tag),
            (self.value, other.value),
            (self.currency, other.currency),
            (self.field, other.field),
            (self.field_value, other.field_value),
            (self.hours, other.hours),
            (self.delay, other.delay),
            (self.delay_amount, other.delay_amount),
            (self.task, other.task),
            (self.task_due, other.task_due),
            (self.task_remind, other.task_remind),
            (self.move_to, other.move_to),
            (self.new_deal, other.new_deal),
            (self.document, other.document),
            (self.text, other.text),
            (self.whatsapp_template, other.whatsapp_template),
            (self.invoice_days, other.invoice_days),
            (self.event_title, other.event_title),
            (self.event_days, other.event_days),
            (self.event_time, other.event_time),
            (self.email_subject, other.email_subject),
            (self.email_body, other.email_body),
            (self.add_tag, other.add_tag),
            (self.remove_tag, other.remove_tag),
            (self.webhook, other.webhook),
        ] {
            to.set(from.get_untracked());
        }
        for (to, from) in [
            (self.has_email, other.has_email),
            (self.has_phone, other.has_phone),
            (self.folder, other.folder),
            (self.draft, other.draft),
            (self.whatsapp, other.whatsapp),
            (self.email_send, other.email_send),
            (self.invoice_send, other.invoice_send),
            (self.payment_link, other.payment_link),
            (self.enabled, other.enabled),
        ] {
            to.set(from.get_untracked());
        }
    }

    /// The form filled with a saved rule.
    pub fn edit(&self, rule: &Rule) {
        self.clear();
        self.editing.set(Some(rule.id));
        self.name.set(rule.name.clone());
        self.trigger.set(rule.trigger.as_str().to_string());
        self.enabled.set(rule.enabled);
        for c in &rule.conditions {
            match c {
                Condition::Stage { stage_id } => self.stage.set(stage_id.to_string()),
                Condition::HasTag { tag } => self.tag.set(tag.clone()),
                Condition::ValueAtLeast { minor } => {
                    self.value
                        .set(format!("{}.{:02}", minor / 100, minor % 100))
                }
                Condition::Currency { currency } => self.currency.set(currency.clone()),
                Condition::HasEmail => self.has_email.set(true),
                Condition::HasPhone => self.has_phone.set(true),
                Condition::CustomField { field, equals } => {
                    self.field.set(field.clone());
                    self.field_value.set(equals.clone());
                }
                Condition::Hours { from, to } => self.hours.set(format!("{from}-{to}")),
            }
        }
        match &rule.delay {
            None => self.delay.set("none".into()),
            Some(Delay::After { minutes }) => {
                self.delay.set("after".into());
                self.delay_amount.set(format!("{}", *minutes as f64 / 60.0));
            }
            Some(Delay::NextWorkingDayAt { hour, minute }) => {
                self.delay.set("next_working_day".into());
                self.delay_amount.set(format!("{hour:02}:{minute:02}"));
            }
        }
        for a in &rule.actions {
            match a {
                RuleAction::CreateTask {
                    title,
                    due_in_days,
                    remind_at_hour,
                } => {
                    self.task_remind
                        .set(remind_at_hour.map(|h| h.to_string()).unwrap_or_default());
                    self.task.set(title.clone());
                    self.task_due.set(due_in_days.to_string());
                }
                RuleAction::MoveDeal { stage_id } => self.move_to.set(stage_id.to_string()),
                RuleAction::CreateDeal { title } => self.new_deal.set(title.clone()),
                RuleAction::SendText {
                    body,
                    channel,
                    whatsapp_template,
                } => {
                    self.text.set(body.clone());
                    self.whatsapp_template
                        .set(whatsapp_template.clone().unwrap_or_default());
                    self.whatsapp.set(*channel == Channel::Whatsapp);
                }
                RuleAction::GenerateDoc { document } => {
                    self.document.set(format!("{document:?}").to_lowercase())
                }
                RuleAction::AddTag { tag } => self.add_tag.set(tag.clone()),
                RuleAction::RemoveTag { tag } => self.remove_tag.set(tag.clone()),
                RuleAction::ClientFolder => self.folder.set(true),
                RuleAction::ProposalDraft => self.draft.set(true),
                RuleAction::CallWebhook { endpoint_id } => {
                    self.webhook.set(endpoint_id.to_string())
                }
                RuleAction::CreateInvoice {
                    days_until_due,
                    send,
                } => {
                    self.invoice_days.set(days_until_due.to_string());
                    self.invoice_send.set(*send);
                }
                RuleAction::PaymentLink => self.payment_link.set(true),
                RuleAction::CalendarEvent {
                    title,
                    days_after,
                    hour,
                    minute,
                } => {
                    self.event_title.set(title.clone());
                    self.event_days.set(days_after.to_string());
                    self.event_time.set(format!("{hour:02}:{minute:02}"));
                }
                RuleAction::Email {
                    subject,
                    body,
                    send_without_review,
                } => {
                    self.email_subject.set(subject.clone());
                    self.email_body.set(body.clone());
                    self.email_send.set(*send_without_review);
                }
            }
        }
    }

    /// What the form says, or why it cannot say it.
    pub fn input(&self) -> Result<RuleInput, String> {
        let get = |s: RwSignal<String>| s.get_untracked().trim().to_string();
        let id = |s: RwSignal<String>, what: &str| -> Result<Option<Id>, String> {
            let t = get(s);
            if t.is_empty() {
                return Ok(None);
            }
            t.parse().map(Some).map_err(|_| format!("choose a {what}"))
        };
        let mut conditions = Vec::new();
        if let Some(stage_id) = id(self.stage, "stage")? {
            conditions.push(Condition::Stage { stage_id });
        }
        if !get(self.tag).is_empty() {
            conditions.push(Condition::HasTag { tag: get(self.tag) });
        }
        if !get(self.value).is_empty() {
            let minor = format::parse_money(&get(self.value))
                .ok_or("the value must be an amount like 5000 or 5000.50")?;
            conditions.push(Condition::ValueAtLeast { minor });
        }
        if !get(self.currency).is_empty() {
            conditions.push(Condition::Currency {
                currency: get(self.currency).to_uppercase(),
            });
        }
        if self.has_email.get_untracked() {
            conditions.push(Condition::HasEmail);
        }
        if self.has_phone.get_untracked() {
            conditions.push(Condition::HasPhone);
        }
        if !get(self.field).is_empty() {
            conditions.push(Condition::CustomField {
                field: get(self.field),
                equals: get(self.field_value),
            });
        }
        if !get(self.hours).is_empty() {
            let hours = get(self.hours);
            let (from, to) = hours
                .split_once('-')
                .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)))
                .ok_or("hours are written like 9-17")?;
            conditions.push(Condition::Hours { from, to });
        }
        let delay = match get(self.delay).as_str() {
            "after" => {
                let hours: f64 = get(self.delay_amount)
                    .parse()
                    .map_err(|_| "the delay is a number of hours, like 48")?;
                Some(Delay::After {
                    minutes: (hours * 60.0).round() as i64,
                })
            }
            "next_working_day" => {
                let time = get(self.delay_amount);
                let (hour, minute) = time
                    .split_once(':')
                    .and_then(|(h, m)| Some((h.parse().ok()?, m.parse().ok()?)))
                    .ok_or("the time is written like 09:00")?;
                Some(Delay::NextWorkingDayAt { hour, minute })
            }
            _ => None,
        };
        let mut actions = Vec::new();
        if !get(self.task).is_empty() {
            actions.push(RuleAction::CreateTask {
                title: get(self.task),
                due_in_days: get(self.task_due)
                    .parse()
                    .map_err(|_| "the task's due date is a number of days")?,
                remind_at_hour: match get(self.task_remind).as_str() {
                    "" => None,
                    h => Some(
                        h.trim_end_matches(":00")
                            .parse()
                            .map_err(|_| "the reminder is an hour of the day, like 9")?,
                    ),
                },
            });
        }
        if let Some(stage_id) = id(self.move_to, "stage to move to")? {
            actions.push(RuleAction::MoveDeal { stage_id });
        }
        if !get(self.new_deal).is_empty() {
            actions.push(RuleAction::CreateDeal {
                title: get(self.new_deal),
            });
        }
        let document = match get(self.document).as_str() {
            "proposal" => Some(DocumentKind::Proposal),
            "contract" => Some(DocumentKind::Contract),
            "invoice" => Some(DocumentKind::Invoice),
            _ => None,
        };
        if let Some(document) = document {
            actions.push(RuleAction::GenerateDoc { document });
        }
        let template = get(self.whatsapp_template);
        if !get(self.text).is_empty() || !template.is_empty() {
            actions.push(RuleAction::SendText {
                body: get(self.text),
                channel: if self.whatsapp.get_untracked() || !template.is_empty() {
                    Channel::Whatsapp
                } else {
                    Channel::Sms
                },
                whatsapp_template: (!template.is_empty()).then_some(template),
            });
        }
        if !get(self.invoice_days).is_empty() {
            actions.push(RuleAction::CreateInvoice {
                days_until_due: get(self.invoice_days)
                    .parse()
                    .map_err(|_| "the invoice's due date is a number of days, like 14")?,
                send: self.invoice_send.get_untracked(),
            });
        }
        if self.payment_link.get_untracked() {
            actions.push(RuleAction::PaymentLink);
        }
        if !get(self.event_title).is_empty() {
            let (hour, minute) = get(self.event_time)
                .split_once(':')
                .and_then(|(h, m)| Some((h.parse().ok()?, m.parse().ok()?)))
                .ok_or("the event's time is written like 10:00")?;
            actions.push(RuleAction::CalendarEvent {
                title: get(self.event_title),
                days_after: get(self.event_days)
                    .parse()
                    .map_err(|_| "the event's day is a number of days after")?,
                hour,
                minute,
            });
        }
        if !get(self.email_subject).is_empty() {
            actions.push(RuleAction::Email {
                subject: get(self.email_subject),
                body: self.email_body.get_untracked(),
                send_without_review: self.email_send.get_untracked(),
            });
        }
        if !get(self.add_tag).is_empty() {
            actions.push(RuleAction::AddTag {
                tag: get(self.add_tag),
            });
        }
        if !get(self.remove_tag).is_empty() {
            actions.push(RuleAction::RemoveTag {
                tag: get(self.remove_tag),
            });
        }
        if self.folder.get_untracked() {
            actions.push(RuleAction::ClientFolder);
        }
        if self.draft.get_untracked() {
            actions.push(RuleAction::ProposalDraft);
        }
        if let Some(endpoint_id) = id(self.webhook, "webhook endpoint")? {
            actions.push(RuleAction::CallWebhook { endpoint_id });
        }
        Ok(RuleInput {
            name: get(self.name),
            trigger: EventKind::parse(&get(self.trigger)),
            conditions,
            delay,
            actions,
            enabled: self.enabled.get_untracked(),
        })
    }
}
