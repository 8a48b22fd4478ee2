//! Automation rules, the pure half: whether a rule acts on an event (its trigger, conditions and
//! the loop guard), when (its delay, in the user's local time), what a task title says, and what
//! a form may save. The runner (`sync::rule_jobs`) reads the facts and does the actions.

pub mod store;

use cremmy_protocol::automation::{Condition, Delay, RuleAction, RuleInput};
use cremmy_protocol::crm::{Id, Stage};
use cremmy_protocol::kinds::EventKind;
use cremmy_protocol::ErrorCode;

use crate::clock::Timestamp;

const DAY_MS: i64 = 86_400_000;
/// A rule acting on an event made by a rule acting on an event made by a rule… stops here.
pub const MAX_DEPTH: i64 = 3;
/// What a task title may ask for.
pub const TITLE_VARIABLES: &[&str] = &["client", "deal", "stage"];

#[derive(Debug, thiserror::Error)]
pub enum AutomationError {
    #[error("Check the rule's {field}: {reason}.")]
    Invalid { field: &'static str, reason: String },
    #[error("Rule {id} does not exist (any more).")]
    NotFound { id: Id },
    #[error("The rule's action cannot run: {reason}.")]
    ActionFailed { reason: String },
    #[error(transparent)]
    Crm(#[from] crate::crm::CrmError),
    #[error("{}", crate::db::describe(.0))]
    Db(#[from] sqlx::Error),
}

impl AutomationError {
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> AutomationError {
        AutomationError::Invalid {
            field,
            reason: reason.into(),
        }
    }

    pub fn is_retryable(&self) -> bool {
        match self {
            AutomationError::Db(e) => crate::db::is_busy(e),
            _ => false,
        }
    }

    pub fn is_input_error(&self) -> bool {
        matches!(self, AutomationError::Invalid { .. })
    }
}

impl crate::HasErrorCode for AutomationError {
    fn code(&self) -> ErrorCode {
        match self {
            AutomationError::Invalid { .. } => ErrorCode::InvalidInput,
            AutomationError::NotFound { .. } => ErrorCode::NotFound,
            AutomationError::ActionFailed { .. } => ErrorCode::Conflict,
            AutomationError::Crm(e) => e.code(),
            AutomationError::Db(_) => ErrorCode::Internal,
        }
    }
}

pub type AutomationResult<T> = Result<T, AutomationError>;

/// The deal an event is about, as conditions and actions need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealFacts {
    pub id: Id,
    pub title: String,
    pub stage_id: Id,
    pub stage: String,
    pub value_minor: i64,
    pub currency: String,
}

/// What is known about an event when a rule looks at it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFacts {
    pub event_id: Id,
    pub kind: Option<EventKind>,
    pub occurred_at: Timestamp,
    pub client_id: Option<Id>,
    pub client_name: Option<String>,
    pub deal: Option<DealFacts>,
    pub tags: Vec<String>,
    pub has_email: bool,
    pub has_phone: bool,
    /// (custom field name, value)
    pub fields: Vec<(String, String)>,
    /// The rules whose actions led to this event, and how many in a row.
    pub chain: Vec<Id>,
    pub depth: i64,
}

/// Whether a rule acts on an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Act,
    /// A condition does not hold (nothing is recorded).
    Skip,
    /// It would act, but must not: the reason goes to the rule's history.
    Refuse(String),
}

/// Trigger, conditions, then the loop guard. `offset_minutes`: the user's UTC offset at the
/// event (for the hours condition).
pub fn judge(
    rule_id: Id,
    trigger: EventKind,
    conditions: &[Condition],
    e: &EventFacts,
    offset_minutes: i32,
) -> Verdict {
    if e.kind != Some(trigger) || !conditions.iter().all(|c| holds(c, e, offset_minutes)) {
        return Verdict::Skip;
    }
    if e.chain.contains(&rule_id) {
        return Verdict::Refuse("not run: this rule's own action caused the event".into());
    }
    if e.depth >= MAX_DEPTH {
        return Verdict::Refuse(format!(
            "not run: {} rules in a row led here; chains stop at {MAX_DEPTH}",
            e.depth
        ));
    }
    Verdict::Act
}

fn holds(c: &Condition, e: &EventFacts, offset_minutes: i32) -> bool {
    let deal = e.deal.as_ref();
    match c {
        Condition::Stage { stage_id } => deal.is_some_and(|d| d.stage_id == *stage_id),
        Condition::HasTag { tag } => e.tags.iter().any(|t| t.eq_ignore_ascii_case(tag.trim())),
        Condition::ValueAtLeast { minor } => deal.is_some_and(|d| d.value_minor >= *minor),
        Condition::Currency { currency } => {
            deal.is_some_and(|d| d.currency.eq_ignore_ascii_case(currency.trim()))
        }
        Condition::HasEmail => e.has_email,
        Condition::HasPhone => e.has_phone,
        Condition::CustomField { field, equals } => e.fields.iter().any(|(f, v)| {
            f.eq_ignore_ascii_case(field.trim()) && v.trim().eq_ignore_ascii_case(equals.trim())
        }),
        Condition::Hours { from, to } => {
            let local = e.occurred_at + i64::from(offset_minutes) * 60_000;
            let hour = local.rem_euclid(DAY_MS) / 3_600_000;
            let (from, to) = (i64::from(*from), i64::from(*to));
            if from <= to {
                (from..to).contains(&hour)
            } else {
                hour >= from || hour < to
            }
        }
    }
}

/// When a rule with `delay` acts on an event at `at` (UTC ms), `offset_minutes` being the
/// user's UTC offset.
pub fn due_at(delay: Option<&Delay>, at: Timestamp, offset_minutes: i32) -> Timestamp {
    match delay {
        None => at,
        Some(Delay::After { minutes }) => at + minutes * 60_000,
        Some(Delay::NextWorkingDayAt { hour, minute }) => {
            let offset = i64::from(offset_minutes) * 60_000;
            let mut day = (at + offset).div_euclid(DAY_MS) + 1;
            // 1970-01-01 was a Thursday: (day + 3) mod 7 is 0 on Mondays.
            while (day + 3).rem_euclid(7) >= 5 {
                day += 1;
            }
            day * DAY_MS + i64::from(*hour) * 3_600_000 + i64::from(*minute) * 60_000 - offset
        }
    }
}

/// A task or deal title with `{client}`, `{deal}` and `{stage}` filled in (empty when unknown).
pub fn render_title(title: &str, e: &EventFacts) -> String {
    let deal = e.deal.as_ref();
    title
        .replace("{client}", e.client_name.as_deref().unwrap_or(""))
        .replace("{deal}", deal.map_or("", |d| d.title.as_str()))
        .replace("{stage}", deal.map_or("", |d| d.stage.as_str()))
        .trim()
        .to_string()
}

fn deal_event(kind: EventKind) -> bool {
    matches!(
        kind,
        EventKind::DealCreated
            | EventKind::DealStageChanged
            | EventKind::DealWon
            | EventKind::DealLost
    )
}

/// The form as it may be saved: names trimmed, stages and endpoints that exist, title variables
/// Cremmy knows, deal conditions and actions only on deal events, sane numbers.
pub fn validate(
    input: &RuleInput,
    stages: &[Stage],
    endpoints: &[Id],
) -> AutomationResult<RuleInput> {
    let mut clean = input.clone();
    clean.name = input.name.trim().to_string();
    if clean.name.is_empty() || clean.name.chars().count() > 120 {
        return Err(AutomationError::invalid(
            "name",
            "give it a name of 1 to 120 characters",
        ));
    }
    if input.trigger == EventKind::Test || input.trigger == EventKind::Unknown {
        return Err(AutomationError::invalid("trigger", "choose an event"));
    }
    if input.actions.is_empty() || input.actions.len() > 10 {
        return Err(AutomationError::invalid("actions", "add 1 to 10 actions"));
    }
    let on_deal = deal_event(input.trigger);
    let stage_known = |id: &Id| stages.iter().any(|s| s.id == *id);
    for c in &input.conditions {
        let needs_deal = matches!(
            c,
            Condition::Stage { .. } | Condition::ValueAtLeast { .. } | Condition::Currency { .. }
        );
        if needs_deal && !on_deal {
            return Err(AutomationError::invalid(
                "conditions",
                "stage, value and currency conditions need a deal event as the trigger",
            ));
        }
        match c {
            Condition::Stage { stage_id } if !stage_known(stage_id) => {
                return Err(AutomationError::invalid(
                    "conditions",
                    "that stage does not exist",
                ))
            }
            Condition::ValueAtLeast { minor } if *minor < 0 => {
                return Err(AutomationError::invalid(
                    "conditions",
                    "a value is 0 or more",
                ))
            }
            Condition::Hours { from, to } if *from > 23 || *to > 24 || from == to => {
                return Err(AutomationError::invalid(
                    "conditions",
                    "hours run from 0 to 24, and from and to differ",
                ))
            }
            Condition::HasTag { tag } | Condition::Currency { currency: tag }
                if tag.trim().is_empty() =>
            {
                return Err(AutomationError::invalid(
                    "conditions",
                    "fill in the tag or currency",
                ))
            }
            Condition::CustomField { field, .. } if field.trim().is_empty() => {
                return Err(AutomationError::invalid(
                    "conditions",
                    "name the custom field",
                ))
            }
            _ => {}
        }
    }
    match &input.delay {
        Some(Delay::After { minutes }) if !(1..=60 * 24 * 90).contains(minutes) => {
            return Err(AutomationError::invalid("delay", "1 minute to 90 days"))
        }
        Some(Delay::NextWorkingDayAt { hour, minute }) if *hour > 23 || *minute > 59 => {
            return Err(AutomationError::invalid(
                "delay",
                "a time of day from 00:00 to 23:59",
            ))
        }
        _ => {}
    }
    for a in &input.actions {
        match a {
            RuleAction::CreateTask {
                title,
                due_in_days,
                remind_at_hour,
            } => {
                if remind_at_hour.is_some_and(|h| h > 23) {
                    return Err(AutomationError::invalid(
                        "task reminder",
                        "an hour of the day, 0 to 23",
                    ));
                }
                if title.trim().is_empty() {
                    return Err(AutomationError::invalid("task title", "it is empty"));
                }
                check_variables("task title", title)?;
                if !(0..=365).contains(due_in_days) {
                    return Err(AutomationError::invalid(
                        "task due date",
                        "0 to 365 days after",
                    ));
                }
            }
            RuleAction::CreateDeal { title } => {
                if title.trim().is_empty() {
                    return Err(AutomationError::invalid("deal title", "it is empty"));
                }
                check_variables("deal title", title)?;
            }
            RuleAction::MoveDeal { .. }
            | RuleAction::ProposalDraft
            | RuleAction::CreateInvoice { .. }
            | RuleAction::PaymentLink
                if !on_deal =>
            {
                return Err(AutomationError::invalid(
                    "actions",
                    "moving a deal, drafting its proposal and billing it need a deal event as the trigger",
                ))
            }
            RuleAction::CreateInvoice { days_until_due, .. } if !(1..=365).contains(days_until_due) => {
                return Err(AutomationError::invalid(
                    "invoice due date",
                    "1 to 365 days after it is sent",
                ))
            }
            RuleAction::MoveDeal { stage_id } if !stage_known(stage_id) => {
                return Err(AutomationError::invalid(
                    "actions",
                    "that stage does not exist",
                ))
            }
            RuleAction::SendText {
                whatsapp_template: Some(template),
                channel,
                ..
            } => {
                if *channel != cremmy_protocol::sms::Channel::Whatsapp {
                    return Err(AutomationError::invalid(
                        "text",
                        "approved templates are for WhatsApp; choose WhatsApp or write a text",
                    ));
                }
                if template.trim().is_empty() {
                    return Err(AutomationError::invalid("text", "choose the template"));
                }
            }
            RuleAction::SendText { body, .. } => check_text(body)?,
            RuleAction::Email { subject, body, .. } => check_email(subject, body)?,
            RuleAction::CalendarEvent {
                title,
                days_after,
                hour,
                minute,
            } => {
                if title.trim().is_empty() {
                    return Err(AutomationError::invalid("event title", "it is empty"));
                }
                check_variables("event title", title)?;
                if !(0..=365).contains(days_after) {
                    return Err(AutomationError::invalid("event day", "0 to 365 days after"));
                }
                if *hour > 23 || *minute > 59 {
                    return Err(AutomationError::invalid(
                        "event time",
                        "a time of day from 00:00 to 23:59",
                    ));
                }
            }
            RuleAction::AddTag { tag } | RuleAction::RemoveTag { tag } if tag.trim().is_empty() => {
                return Err(AutomationError::invalid("actions", "fill in the tag"))
            }
            RuleAction::CallWebhook { endpoint_id } if !endpoints.contains(endpoint_id) => {
                return Err(AutomationError::invalid(
                    "actions",
                    "that webhook endpoint does not exist",
                ))
            }
            _ => {}
        }
    }
    Ok(clean)
}

/// A text's body: not empty, and only `{{variables}}` a text can fill.
fn check_text(body: &str) -> AutomationResult<()> {
    use crate::features::texts::send::VARIABLES;
    if body.trim().is_empty() {
        return Err(AutomationError::invalid("text", "it is empty"));
    }
    let used = crate::features::templates::variables(body)
        .map_err(|e| AutomationError::invalid("text", e.to_string()))?;
    if let Some(unknown) = used.iter().find(|v| !VARIABLES.contains(&v.as_str())) {
        return Err(AutomationError::invalid(
            "text",
            format!(
                "it uses {{{{{unknown}}}}}; a text can fill {}",
                VARIABLES.map(|v| format!("{{{{{v}}}}}")).join(", ")
            ),
        ));
    }
    Ok(())
}

/// An email's subject and body: a subject, and only the `{{variables}}` an email can fill.
fn check_email(subject: &str, body: &str) -> AutomationResult<()> {
    use crate::features::mail::drafts::VARIABLES;
    if subject.trim().is_empty() {
        return Err(AutomationError::invalid("email subject", "it is empty"));
    }
    for (field, text) in [("email subject", subject), ("email body", body)] {
        let used = crate::features::templates::variables(text)
            .map_err(|e| AutomationError::invalid(field, e.to_string()))?;
        if let Some(unknown) = used.iter().find(|v| !VARIABLES.contains(&v.as_str())) {
            return Err(AutomationError::invalid(
                field,
                format!(
                    "it uses {{{{{unknown}}}}}; an email can fill {}",
                    VARIABLES.map(|v| format!("{{{{{v}}}}}")).join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// Refuses `{name}` placeholders Cremmy would not fill, naming them.
fn check_variables(field: &'static str, title: &str) -> AutomationResult<()> {
    let mut rest = title;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return Err(AutomationError::invalid(field, "a { is not closed"));
        };
        let name = &after[..close];
        if !TITLE_VARIABLES.contains(&name) {
            return Err(AutomationError::invalid(
                field,
                format!("it uses {{{name}}}; Cremmy fills {{client}}, {{deal}} and {{stage}}"),
            ));
        }
        rest = &after[close + 1..];
    }
    Ok(())
}

/// An action in words, for the dry run and the history.
pub fn describe(a: &RuleAction, e: &EventFacts, stages: &[Stage]) -> String {
    let stage = |id: &Id| {
        stages
            .iter()
            .find(|s| s.id == *id)
            .map_or_else(|| format!("stage #{id}"), |s| s.name.clone())
    };
    let deal = e.deal.as_ref().map_or("the deal", |d| d.title.as_str());
    let client = e.client_name.as_deref().unwrap_or("the client");
    match a {
        RuleAction::CreateTask {
            title,
            due_in_days,
            remind_at_hour,
        } => format!(
            "task \"{}\" due {}{}",
            render_title(title, e),
            match due_in_days {
                0 => "the same day".to_string(),
                1 => "a day later".to_string(),
                n => format!("{n} days later"),
            },
            remind_at_hour.map_or(String::new(), |h| format!(", reminder at {h:02}:00"))
        ),
        RuleAction::MoveDeal { stage_id } => format!("move {deal} to {}", stage(stage_id)),
        RuleAction::AddTag { tag } => format!("tag {client} {tag}"),
        RuleAction::RemoveTag { tag } => format!("untag {client} {tag}"),
        RuleAction::ClientFolder => format!("make {client}'s Drive folder"),
        RuleAction::ProposalDraft => format!("draft the proposal for {deal}"),
        RuleAction::SendText {
            whatsapp_template: Some(template),
            ..
        } => format!("WhatsApp {client} the approved template {template}"),
        RuleAction::SendText { body, channel, .. } => format!(
            "text {client} by {}: \"{}\"",
            if *channel == cremmy_protocol::sms::Channel::Whatsapp {
                "WhatsApp"
            } else {
                "SMS"
            },
            body.chars().take(60).collect::<String>()
        ),
        RuleAction::CreateDeal { title } => format!("open the deal \"{}\"", render_title(title, e)),
        RuleAction::GenerateDoc { document: kind } => {
            format!(
                "generate the {} for {client}",
                format!("{kind:?}").to_lowercase()
            )
        }
        RuleAction::CallWebhook { endpoint_id } => {
            format!("send the event to webhook #{endpoint_id}")
        }
        RuleAction::CreateInvoice {
            days_until_due,
            send,
        } => format!(
            "{} an invoice for {deal}, due in {days_until_due} days",
            if *send { "send" } else { "draft" }
        ),
        RuleAction::PaymentLink => format!("make a payment link for {deal}"),
        RuleAction::CalendarEvent {
            title,
            days_after,
            hour,
            minute,
        } => format!(
            "put \"{}\" on the calendar {} at {hour:02}:{minute:02}",
            render_title(title, e),
            match days_after {
                0 => "the same day".to_string(),
                1 => "a day later".to_string(),
                n => format!("{n} days later"),
            }
        ),
        RuleAction::Email {
            subject,
            send_without_review,
            ..
        } => format!(
            "{} \"{}\" to {client}",
            if *send_without_review {
                "send the email"
            } else {
                "draft the email"
            },
            subject.chars().take(60).collect::<String>()
        ),
    }
}
