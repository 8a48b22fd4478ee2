//! Settings → Automation: rules ("when a deal is won and it is worth at least 5,000, make an
//! invoice task and tell my Zapier"), made and edited with a form, switched on and off, each with
//! its history and a dry run over the last 30 days.

use cremmy_protocol::automation::{Condition, Delay, DryRun, Rule, RuleAction, RuleInput};
use cremmy_protocol::crm::{DocumentKind, Id, Stage};
use cremmy_protocol::kinds::EventKind;
use cremmy_protocol::sms::Channel;
use cremmy_protocol::webhooks::WebhookEndpoint;
use leptos::prelude::*;

use crate::api;
use crate::format;
use crate::ui_state::{run, use_ui};

/// Every field of the form as text; empty means "not used".
#[derive(Clone, Copy)]
struct Form {
    editing: RwSignal<Option<Id>>,
    name: RwSignal<String>,
    trigger: RwSignal<String>,
    stage: RwSignal<String>,
    tag: RwSignal<String>,
    value: RwSignal<String>,
    currency: RwSignal<String>,
    has_email: RwSignal<bool>,
    has_phone: RwSignal<bool>,
    field: RwSignal<String>,
    field_value: RwSignal<String>,
    hours: RwSignal<String>,
    delay: RwSignal<String>,
    delay_amount: RwSignal<String>,
    task: RwSignal<String>,
    task_due: RwSignal<String>,
    move_to: RwSignal<String>,
    new_deal: RwSignal<String>,
    document: RwSignal<String>,
    text: RwSignal<String>,
    whatsapp: RwSignal<bool>,
    add_tag: RwSignal<String>,
    remove_tag: RwSignal<String>,
    folder: RwSignal<bool>,
    draft: RwSignal<bool>,
    webhook: RwSignal<String>,
    enabled: RwSignal<bool>,
}

impl Form {
    fn new() -> Form {
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
            move_to: text(""),
            new_deal: text(""),
            document: text(""),
            text: text(""),
            whatsapp: RwSignal::new(false),
            add_tag: text(""),
            remove_tag: text(""),
            folder: RwSignal::new(false),
            draft: RwSignal::new(false),
            webhook: text(""),
            enabled: RwSignal::new(true),
        }
    }

    fn clear(&self) {
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
            (self.move_to, other.move_to),
            (self.new_deal, other.new_deal),
            (self.document, other.document),
            (self.text, other.text),
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
            (self.enabled, other.enabled),
        ] {
            to.set(from.get_untracked());
        }
    }

    /// The form filled with a saved rule.
    fn edit(&self, rule: &Rule) {
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
                RuleAction::CreateTask { title, due_in_days } => {
                    self.task.set(title.clone());
                    self.task_due.set(due_in_days.to_string());
                }
                RuleAction::MoveDeal { stage_id } => self.move_to.set(stage_id.to_string()),
                RuleAction::CreateDeal { title } => self.new_deal.set(title.clone()),
                RuleAction::SendText { body, channel } => {
                    self.text.set(body.clone());
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
            }
        }
    }

    /// What the form says, or why it cannot say it.
    fn input(&self) -> Result<RuleInput, String> {
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
        if !get(self.text).is_empty() {
            actions.push(RuleAction::SendText {
                body: get(self.text),
                channel: if self.whatsapp.get_untracked() {
                    Channel::Whatsapp
                } else {
                    Channel::Sms
                },
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

fn invalid(message: String) -> cremmy_protocol::ApiError {
    cremmy_protocol::ApiError {
        code: cremmy_protocol::ErrorCode::InvalidInput,
        message,
    }
}

#[component]
pub fn AutomationCard() -> impl IntoView {
    let ui = use_ui();
    let rules = LocalResource::new(move || {
        ui.revision.track();
        api::automation_rules()
    });
    let stages = LocalResource::new(move || {
        ui.revision.track();
        api::stages()
    });
    let endpoints = LocalResource::new(move || {
        ui.revision.track();
        api::webhook_endpoints()
    });
    let form = Form::new();
    let history_of = RwSignal::new(None::<Id>);
    let dry = RwSignal::new(None::<DryRun>);
    let stage_list = move || stages.get().and_then(Result::ok).unwrap_or_default();
    let endpoint_list = move || endpoints.get().and_then(Result::ok).unwrap_or_default();
    view! {
        <section class="card" id="automation">
            <h2>"Automation"</h2>
            <p class="muted small">"When something happens and its conditions hold, Cremmy does the actions, now or later. A rule acts once per event, never on what it caused itself, and a chain of rules stops after three."</p>
            <Transition fallback=|| ()>
                {move || rules.get().map(|r| match r {
                    Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="muted" id="no-rules">"No rules yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <table class="table" id="rules">
                            <thead><tr><th>"On"</th><th>"Rule"</th><th>"When"</th><th>"Does"</th><th></th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|rule| view! { <RuleRow rule form history_of stages=stage_list() endpoints=endpoint_list() /> }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                })}
            </Transition>
            {move || history_of.get().map(|id| view! { <super::rule_runs::RuleHistory id /> })}
            <RuleForm form dry stages=Signal::derive(stage_list) endpoints=Signal::derive(endpoint_list) />
            {move || dry.get().map(|d| view! { <super::rule_runs::DryRunResult dry=d /> })}
        </section>
    }
}

fn summary(rule: &Rule, stages: &[Stage], endpoints: &[WebhookEndpoint]) -> String {
    let stage = |id: &Id| {
        stages
            .iter()
            .find(|s| s.id == *id)
            .map_or_else(|| format!("#{id}"), |s| s.name.clone())
    };
    rule.actions
        .iter()
        .map(|a| match a {
            RuleAction::CreateTask { title, .. } => format!("task \"{title}\""),
            RuleAction::MoveDeal { stage_id } => format!("move to {}", stage(stage_id)),
            RuleAction::CreateDeal { title } => format!("open deal \"{title}\""),
            RuleAction::SendText { channel, .. } => {
                if *channel == Channel::Whatsapp {
                    "WhatsApp".into()
                } else {
                    "text".into()
                }
            }
            RuleAction::GenerateDoc { document } => {
                format!("generate {}", format!("{document:?}").to_lowercase())
            }
            RuleAction::AddTag { tag } => format!("tag {tag}"),
            RuleAction::RemoveTag { tag } => format!("untag {tag}"),
            RuleAction::ClientFolder => "Drive folder".into(),
            RuleAction::ProposalDraft => "proposal draft".into(),
            RuleAction::CallWebhook { endpoint_id } => format!(
                "webhook {}",
                endpoints
                    .iter()
                    .find(|e| e.id == *endpoint_id)
                    .map_or("(deleted)", |e| e.url.as_str())
            ),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[component]
fn RuleRow(
    rule: Rule,
    form: Form,
    history_of: RwSignal<Option<Id>>,
    stages: Vec<Stage>,
    endpoints: Vec<WebhookEndpoint>,
) -> impl IntoView {
    let ui = use_ui();
    let id = rule.id;
    let does = summary(&rule, &stages, &endpoints);
    let when = match &rule.delay {
        None => rule.trigger.label().to_string(),
        Some(Delay::After { minutes }) => format!(
            "{} hours after: {}",
            *minutes as f64 / 60.0,
            rule.trigger.label()
        ),
        Some(Delay::NextWorkingDayAt { hour, minute }) => {
            format!(
                "{}, then {hour:02}:{minute:02} the next working day",
                rule.trigger.label()
            )
        }
    };
    let toggled = RuleInput {
        name: rule.name.clone(),
        trigger: rule.trigger,
        conditions: rule.conditions.clone(),
        delay: rule.delay.clone(),
        actions: rule.actions.clone(),
        enabled: !rule.enabled,
    };
    let for_edit = rule.clone();
    view! {
        <tr class="rule" data-id=id.to_string()>
            <td><input type="checkbox" class="rule-enabled" prop:checked=rule.enabled on:change=move |_| {
                let on = toggled.enabled;
                run(ui, api::update_rule(id, toggled.clone()), move |_| {
                    ui.ok(if on { "Rule switched on" } else { "Rule switched off" });
                    ui.changed();
                })
            } /></td>
            <td class="rule-name">{rule.name.clone()}</td>
            <td class="small">{when}</td>
            <td class="small">{does}</td>
            <td class="actions">
                <button class="button small secondary edit-rule" on:click=move |_| form.edit(&for_edit)>"Edit"</button>
                <button class="button small secondary rule-history" on:click=move |_| history_of.set(Some(id))>"History"</button>
                <button class="button small secondary delete-rule" on:click=move |_| run(ui, api::delete_rule(id), move |_| {
                    history_of.set(None);
                    ui.ok("Rule deleted");
                    ui.changed();
                })>"Delete"</button>
            </td>
        </tr>
    }
}

#[component]
fn RuleForm(
    form: Form,
    dry: RwSignal<Option<DryRun>>,
    stages: Signal<Vec<Stage>>,
    endpoints: Signal<Vec<WebhookEndpoint>>,
) -> impl IntoView {
    let ui = use_ui();
    let save = move || match form.input() {
        Err(message) => ui.error(&invalid(message)),
        Ok(input) => {
            let done = move |_| {
                form.clear();
                ui.ok("Rule saved");
                ui.changed();
            };
            match form.editing.get_untracked() {
                Some(id) => run(ui, api::update_rule(id, input), done),
                None => run(ui, api::create_rule(input), done),
            }
        }
    };
    let try_it = move || match form.input() {
        Err(message) => ui.error(&invalid(message)),
        Ok(input) => run(ui, api::dry_run_rule(input), move |d| dry.set(Some(d))),
    };
    let text = |label: &'static str,
                id: &'static str,
                value: RwSignal<String>,
                hint: &'static str| {
        view! {
            <label class="field inline"><span>{label}</span>
                <input id=id placeholder=hint prop:value=move || value.get() on:input=move |e| value.set(event_target_value(&e)) />
            </label>
        }
    };
    let stage_select = move |id: &'static str, value: RwSignal<String>, none: &'static str| {
        view! {
            <select id=id prop:value=move || value.get() on:change=move |e| value.set(event_target_value(&e))>
                <option value="">{none}</option>
                {move || stages.get().into_iter().map(|s| {
                    let v = s.id.to_string();
                    let selected = v.clone();
                    view! { <option value=v prop:selected=move || value.get() == selected>{s.name.clone()}</option> }
                }).collect_view()}
            </select>
        }
    };
    view! {
        <form id="rule-form" on:submit=move |e| { e.prevent_default(); save(); }>
            <h3>{move || if form.editing.get().is_some() { "Edit the rule" } else { "New rule" }}</h3>
            {text("Name", "rule-name", form.name, "Invoice on win")}
            <label class="field inline"><span>"When"</span>
                <select id="rule-trigger" prop:value=move || form.trigger.get() on:change=move |e| form.trigger.set(event_target_value(&e))>
                    {EventKind::subscribable().map(|k| view! {
                        <option value=k.as_str() prop:selected=move || form.trigger.get() == k.as_str()>{k.label()}</option>
                    }).collect_view()}
                </select>
            </label>
            <fieldset class="conditions">
                <legend>"Only if (leave empty to skip)"</legend>
                <label class="field inline"><span>"Deal stage"</span>{stage_select("rule-stage", form.stage, "any")}</label>
                {text("Client tag", "rule-tag", form.tag, "vip")}
                {text("Deal worth at least", "rule-value", form.value, "5000")}
                {text("Currency", "rule-currency", form.currency, "EUR")}
                {text("Custom field", "rule-field", form.field, "Industry")}
                {text("equals", "rule-field-value", form.field_value, "Logistics")}
                {text("Between hours", "rule-hours", form.hours, "9-17")}
                <label class="check"><input type="checkbox" id="rule-has-email" prop:checked=move || form.has_email.get() on:change=move |e| form.has_email.set(event_target_checked(&e)) />"the contact has an email address"</label>
                <label class="check"><input type="checkbox" id="rule-has-phone" prop:checked=move || form.has_phone.get() on:change=move |e| form.has_phone.set(event_target_checked(&e)) />"…a phone number"</label>
            </fieldset>
            <label class="field inline"><span>"Then"</span>
                <select id="rule-delay" prop:value=move || form.delay.get() on:change=move |e| form.delay.set(event_target_value(&e))>
                    <option value="none" prop:selected=move || form.delay.get() == "none">"at once"</option>
                    <option value="after" prop:selected=move || form.delay.get() == "after">"after some hours"</option>
                    <option value="next_working_day" prop:selected=move || form.delay.get() == "next_working_day">"the next working day at"</option>
                </select>
                <input id="rule-delay-amount" size="6" placeholder="48 or 09:00" prop:value=move || form.delay_amount.get() on:input=move |e| form.delay_amount.set(event_target_value(&e)) />
            </label>
            <fieldset class="actions">
                <legend>"Do"</legend>
                {text("Create a task", "rule-task", form.task, "Invoice {client} for {deal}")}
                {text("due in days", "rule-task-due", form.task_due, "0")}
                <label class="field inline"><span>"Move the deal to"</span>{stage_select("rule-move", form.move_to, "(no move)")}</label>
                {text("Open a deal titled", "rule-deal", form.new_deal, "{client}: new opportunity")}
                <label class="field inline"><span>"Generate the document"</span>
                    <select id="rule-doc" prop:value=move || form.document.get() on:change=move |e| form.document.set(event_target_value(&e))>
                        {[("", "(none)"), ("proposal", "Proposal"), ("contract", "Contract"), ("invoice", "Invoice")].into_iter().map(|(v, label)| view! {
                            <option value=v prop:selected=move || form.document.get() == v>{label}</option>
                        }).collect_view()}
                    </select>
                </label>
                {text("Send a text", "rule-text", form.text, "Thanks {{contact_first_name}}!")}
                <label class="check"><input type="checkbox" id="rule-text-whatsapp" prop:checked=move || form.whatsapp.get() on:change=move |e| form.whatsapp.set(event_target_checked(&e)) />"by WhatsApp (else SMS)"</label>
                {text("Add tag", "rule-add-tag", form.add_tag, "customer")}
                {text("Remove tag", "rule-remove-tag", form.remove_tag, "prospect")}
                <label class="check"><input type="checkbox" id="rule-folder" prop:checked=move || form.folder.get() on:change=move |e| form.folder.set(event_target_checked(&e)) />"make the client's Drive folder"</label>
                <label class="check"><input type="checkbox" id="rule-draft" prop:checked=move || form.draft.get() on:change=move |e| form.draft.set(event_target_checked(&e)) />"draft the proposal email (Gmail)"</label>
                <label class="field inline"><span>"Send to webhook"</span>
                    <select id="rule-webhook" prop:value=move || form.webhook.get() on:change=move |e| form.webhook.set(event_target_value(&e))>
                        <option value="">"(none)"</option>
                        {move || endpoints.get().into_iter().map(|e| {
                            let v = e.id.to_string();
                            let selected = v.clone();
                            view! { <option value=v prop:selected=move || form.webhook.get() == selected>{e.url.clone()}</option> }
                        }).collect_view()}
                    </select>
                </label>
            </fieldset>
            <label class="check"><input type="checkbox" id="rule-enabled" prop:checked=move || form.enabled.get() on:change=move |e| form.enabled.set(event_target_checked(&e)) />"switched on"</label>
            <div class="inline-row">
                <button type="submit" class="button small" id="save-rule">"Save rule"</button>
                <button type="button" class="button small secondary" id="dry-run-rule" on:click=move |_| try_it()>"Dry run (last 30 days)"</button>
                <button type="button" class="button small secondary" on:click=move |_| { form.clear(); dry.set(None); }>"Clear"</button>
            </div>
        </form>
    }
}
