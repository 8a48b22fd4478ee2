//! Settings → Automation: rules ("when a deal is won and it is worth at least 5,000, make an
//! invoice task and tell my Zapier"), made and edited with a form, switched on and off, each with
//! its history and a dry run over the last 30 days.

use cremmy_protocol::automation::{Delay, DryRun, Rule, RuleAction, RuleInput};
use cremmy_protocol::crm::{Id, Stage};
use cremmy_protocol::kinds::EventKind;
use cremmy_protocol::sms::Channel;
use cremmy_protocol::webhooks::WebhookEndpoint;
use leptos::prelude::*;

use crate::api;
use crate::ui_state::{run, use_ui};

use super::rule_form::Form;

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
            RuleAction::SendText {
                whatsapp_template: Some(_),
                ..
            } => "WhatsApp template".into(),
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
            RuleAction::CalendarEvent { title, .. } => format!("calendar \"{title}\""),
            RuleAction::CreateInvoice { send, .. } => {
                if *send {
                    "send invoice".into()
                } else {
                    "draft invoice".into()
                }
            }
            RuleAction::PaymentLink => "payment link".into(),
            RuleAction::Email {
                subject,
                send_without_review,
                ..
            } => format!(
                "{} \"{subject}\"",
                if *send_without_review {
                    "send email"
                } else {
                    "email draft"
                }
            ),
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
    // The account's approved WhatsApp templates (none without Twilio).
    let templates = LocalResource::new(api::text_templates);
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
                {text("remind at hour", "rule-task-remind", form.task_remind, "9")}
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
                <label class="field inline"><span>"or a WhatsApp template"</span>
                    <select id="rule-whatsapp-template" prop:value=move || form.whatsapp_template.get() on:change=move |e| form.whatsapp_template.set(event_target_value(&e))>
                        <option value="">"(none: the text above)"</option>
                        {move || templates.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|t| {
                            let v = t.id.clone();
                            let selected = v.clone();
                            view! { <option value=v prop:selected=move || form.whatsapp_template.get() == selected>{t.name.clone()}</option> }
                        }).collect_view()}
                    </select>
                </label>
                {text("Add tag", "rule-add-tag", form.add_tag, "customer")}
                {text("Remove tag", "rule-remove-tag", form.remove_tag, "prospect")}
                {text("Invoice the deal, due in days", "rule-invoice-days", form.invoice_days, "14")}
                <label class="check"><input type="checkbox" id="rule-invoice-send" prop:checked=move || form.invoice_send.get() on:change=move |e| form.invoice_send.set(event_target_checked(&e)) />"send the invoice (else a draft at Stripe)"</label>
                <label class="check"><input type="checkbox" id="rule-payment-link" prop:checked=move || form.payment_link.get() on:change=move |e| form.payment_link.set(event_target_checked(&e)) />"make a payment link for the deal"</label>
                {text("Put on the calendar", "rule-event", form.event_title, "Follow-up call with {client}")}
                {text("days after", "rule-event-days", form.event_days, "2")}
                {text("at", "rule-event-time", form.event_time, "10:00")}
                {text("Email subject", "rule-email-subject", form.email_subject, "Thank you, {{contact_first_name}}")}
                <label class="field"><span>"Email message"</span>
                    <textarea id="rule-email-body" rows="4" placeholder="Hi {{contact_first_name}}, …" prop:value=move || form.email_body.get() on:input=move |e| form.email_body.set(event_target_value(&e))></textarea>
                </label>
                <label class="check"><input type="checkbox" id="rule-email-send" prop:checked=move || form.email_send.get() on:change=move |e| form.email_send.set(event_target_checked(&e)) />"send without review (else a draft and a task to review it)"</label>
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
