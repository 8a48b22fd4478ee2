//! "Send email" and "Reply" on the client page: one dialog, sent through a connected mail account
//! (Gmail or Outlook; "Send from" when several can send) and logged on the timeline as a tracked
//! outgoing email.

use cremmy_protocol::accounts::{Account, AccountStatus, Feature};
use cremmy_protocol::crm::{Activity, Contact, Id};
use cremmy_protocol::mail::SendEmailInput;
use leptos::prelude::*;

use super::forms::Field;
use crate::api;
use crate::ui_state::use_ui;

/// What the dialog opens with.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Compose {
    pub contact_id: Option<Id>,
    pub subject: String,
    pub reply_to: Option<Id>,
    pub deal_id: Option<Id>,
}

impl Compose {
    /// A reply to an email on the timeline: to the same contact, in the same thread.
    pub fn reply(a: &Activity) -> Compose {
        let subject = if a.subject.to_lowercase().starts_with("re:") {
            a.subject.clone()
        } else {
            format!("Re: {}", a.subject)
        };
        Compose {
            contact_id: a.contact_id,
            subject,
            reply_to: Some(a.id),
            deal_id: a.deal_id,
        }
    }
}

/// The open dialog, shared by the page header and the timeline.
#[derive(Clone, Copy)]
pub struct Composer(pub RwSignal<Option<Compose>>);

#[component]
pub fn EmailComposer(contacts: Vec<Contact>) -> impl IntoView {
    let Composer(open) = expect_context::<Composer>();
    let reachable: Vec<Contact> = contacts
        .into_iter()
        .filter(|c| !c.emails.is_empty() && !c.archived)
        .collect();
    view! {
        {move || open.get().map(|start| view! { <ComposeDialog start=start contacts=reachable.clone() /> })}
    }
}

#[component]
fn ComposeDialog(start: Compose, contacts: Vec<Contact>) -> impl IntoView {
    let ui = use_ui();
    let Composer(open) = expect_context::<Composer>();
    let close = move || open.set(None);
    let first = contacts.first().map(|c| c.id);
    let to = RwSignal::new(start.contact_id.or(first));
    let subject = RwSignal::new(start.subject.clone());
    let body = RwSignal::new(String::new());
    let sending = RwSignal::new(false);
    let (reply_to, deal_id) = (start.reply_to, start.deal_id);
    let no_contacts = contacts.is_empty();
    // "Send from": `None` lets Cremmy choose (a reply: the account the mail came to).
    let from = RwSignal::new(None::<i64>);
    let senders = LocalResource::new(|| async {
        api::accounts()
            .await
            .map(|all| all.into_iter().filter(can_send).collect::<Vec<Account>>())
            .unwrap_or_default()
    });
    let submit = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        let Some(contact_id) = to.get_untracked() else {
            return;
        };
        let input = SendEmailInput {
            contact_id,
            subject: subject.get_untracked(),
            body: body.get_untracked(),
            reply_to,
            deal_id,
            from_account: from.get_untracked(),
        };
        sending.set(true);
        leptos::task::spawn_local(async move {
            match api::send_email(input).await {
                Ok(sent) => {
                    open.set(None);
                    ui.ok(format!(
                        "Email sent from {}; Cremmy will tell you when they reply.",
                        sent.account_email
                    ));
                    ui.changed();
                }
                Err(e) => ui.error(&e),
            }
            sending.set(false);
        });
    };
    view! {
        <div class="overlay" on:click=move |_| close()>
            <form class="dialog wide" id="email-composer" on:click=|e| e.stop_propagation() on:submit=submit>
                <h2>{if reply_to.is_some() { "Reply" } else { "Send email" }}</h2>
                {no_contacts.then(|| view! { <p class="error">"No contact of this client has an email address. Add one first."</p> })}
                <label class="field"><span>"To"</span>
                    <select id="email-to" on:change=move |e| to.set(event_target_value(&e).parse().ok())>
                        {contacts.iter().map(|c| {
                            let id = c.id;
                            view! { <option value=id.to_string() selected=move || to.get() == Some(id)>{format!("{} <{}>", c.name, c.emails[0])}</option> }
                        }).collect_view()}
                    </select>
                </label>
                {move || senders.get().filter(|list| list.len() > 1).map(|list| view! {
                    <label class="field"><span>"Send from"</span>
                        <select id="email-from" on:change=move |e| from.set(event_target_value(&e).parse().ok())>
                            {match reply_to {
                                Some(_) => Some(view! { <option value="" selected=move || from.get().is_none()>"The account the mail came to"</option> }),
                                None => None,
                            }}
                            {list.iter().enumerate().map(|(i, a)| {
                                let id = a.id;
                                let first_of_new = reply_to.is_none() && i == 0;
                                view! { <option value=id.to_string() selected=move || from.get() == Some(id) || (first_of_new && from.get().is_none())>{format!("{} ({})", a.email, a.provider.display_name())}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                })}
                {reply_to.is_none().then(|| view! {
                    <label class="field"><span>"Template"</span>
                        <select id="email-template" on:change=move |e| {
                            if event_target_value(&e) != "proposal" {
                                return;
                            }
                            let Some(contact_id) = to.get_untracked() else { return };
                            leptos::task::spawn_local(async move {
                                match api::render_email_template(contact_id, deal_id).await {
                                    Ok(filled) => {
                                        subject.set(filled.subject);
                                        body.set(filled.body);
                                    }
                                    Err(e) => ui.error(&e),
                                }
                            });
                        }>
                            <option value="">"None"</option>
                            <option value="proposal">"Proposal (Settings → Proposal drafts)"</option>
                        </select>
                    </label>
                })}
                <Field label="Subject" value=subject id="email-subject" />
                <label class="field"><span>"Message"</span>
                    <textarea id="email-body" rows="9" prop:value=move || body.get() on:input=move |e| body.set(event_target_value(&e))></textarea>
                </label>
                <div class="actions">
                    <button type="button" class="button secondary" id="email-cancel" on:click=move |_| close()>"Cancel"</button>
                    <button type="submit" class="button primary" id="email-send" disabled=move || sending.get() || no_contacts>
                        {move || if sending.get() { "Sending…" } else { "Send" }}
                    </button>
                </div>
            </form>
        </div>
    }
}

/// Connected and allowed to send.
fn can_send(a: &Account) -> bool {
    a.status == AccountStatus::Connected && a.features.contains(&Feature::MailSend)
}
