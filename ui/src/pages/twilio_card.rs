//! Twilio's part of its Integrations card: connect with the Account SID and an API key (or the
//! Auth Token), checked by Twilio before anything is stored; then the numbers, the default sender
//! and the region numbers are read in; and the texts from numbers no contact has ("Unmatched"),
//! each attachable to a contact found by search.

use cremmy_protocol::accounts::{Account, AccountStatus};
use cremmy_protocol::crm::SearchKind;
use cremmy_protocol::sms::{
    ApiKeyConnect, AttachText, AttachToNewContact, Channel, TextingSettings, TextingSetup,
};
use cremmy_protocol::Provider;
use leptos::prelude::*;

use super::forms::Field;
use crate::api;
use crate::format::relative;
use crate::ui_state::{run, use_ui};

#[component]
pub fn TwilioSettings(accounts: LocalResource<api::Reply<Vec<Account>>>) -> impl IntoView {
    let ui = use_ui();
    let setup = LocalResource::new(move || {
        ui.revision.track();
        api::texting_setup()
    });
    let account = move || -> Option<Account> {
        accounts.get().and_then(Result::ok).and_then(|l| {
            l.into_iter()
                .find(|a| a.provider == Provider::Twilio && a.status != AccountStatus::Disconnected)
        })
    };
    view! {
        <div class="provider-settings" id="twilio-settings">
            <p class="muted small">"SMS, WhatsApp and the call log through your own Twilio account. Cremmy keeps the key in your system keychain."</p>
            {move || match account() {
                Some(a) if a.status == AccountStatus::Connected => view! {
                    <Connected account=a setup=setup />
                }.into_any(),
                Some(a) => view! {
                    <p class="error small" id="twilio-reconnect">{a.problem.clone().unwrap_or_else(|| "Twilio no longer accepts the key.".into())}</p>
                    <ConnectForm account=a.email.clone() />
                }.into_any(),
                None => view! { <p class="state">"Not connected"</p><ConnectForm account=String::new() /> }.into_any(),
            }}
        </div>
    }
}

#[component]
fn ConnectForm(account: String) -> impl IntoView {
    let ui = use_ui();
    let (sid, key, secret) = (
        RwSignal::new(account),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let busy = RwSignal::new(false);
    let connect = move |_| {
        let request = ApiKeyConnect {
            provider: Provider::Twilio,
            account: sid.get_untracked(),
            key_id: Some(key.get_untracked()).filter(|k| !k.trim().is_empty()),
            secret: secret.get_untracked(),
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            match api::connect_with_key(request).await {
                Ok(s) => {
                    secret.set(String::new());
                    ui.ok(format!(
                        "Connected Twilio {} · {} number(s)",
                        s.account_sid,
                        s.senders.len()
                    ));
                    ui.changed();
                }
                Err(e) => ui.error(&e),
            }
            busy.set(false);
        });
    };
    view! {
        <div class="twilio-connect">
            <Field label="Account SID" value=sid id="twilio-account-sid" placeholder="AC…" />
            <Field label="API key SID (leave empty to use the Auth Token)" value=key id="twilio-key-sid" placeholder="SK…" />
            <Field label="API key secret or Auth Token" value=secret id="twilio-secret" kind="password" />
            <div class="card-actions">
                <button class="button primary" id="twilio-connect" disabled=move || busy.get() on:click=connect>
                    {move || if busy.get() { "Checking with Twilio…" } else { "Connect Twilio" }}
                </button>
            </div>
        </div>
    }
}

#[component]
fn Connected(
    account: Account,
    setup: LocalResource<api::Reply<Option<TextingSetup>>>,
) -> impl IntoView {
    let ui = use_ui();
    let id = account.id;
    let disconnect = move |_| {
        run(ui, api::disconnect_account(id), move |_| {
            ui.ok("Disconnected Twilio; its key is gone from the keychain.");
            ui.changed();
        });
    };
    let syncing = RwSignal::new(false);
    let sync_now = move |_| {
        super::integrations::sync_account_now(ui, id, syncing, |new| {
            format!("Twilio synced: {new} new text(s) and call(s).")
        })
    };
    view! {
        <ul class="accounts">
            <li class="account" data-status="connected" data-email=account.email.clone()>
                <div>
                    <strong>{account.email.clone()}</strong>
                    <span class="badge ok">"Connected"</span>
                    <p class="muted small">{account.features.iter().map(|f| f.label()).collect::<Vec<_>>().join(" · ")}</p>
                </div>
                <div class="actions">
                    <button class="button secondary small" id="twilio-sync-now" disabled=move || syncing.get() on:click=sync_now>
                        {move || if syncing.get() { "Syncing…" } else { "Sync now" }}
                    </button>
                    <button class="button secondary small disconnect" on:click=disconnect>"Disconnect"</button>
                </div>
            </li>
        </ul>
        {move || setup.get().and_then(Result::ok).flatten().map(|s| view! { <SenderChoice setup=s /> })}
        <Unmatched />
    }
}

#[component]
fn SenderChoice(setup: TextingSetup) -> impl IntoView {
    let ui = use_ui();
    let sender = RwSignal::new(setup.settings.default_sender.clone().unwrap_or_default());
    let whatsapp = RwSignal::new(setup.settings.whatsapp_sender.clone().unwrap_or_default());
    let region = RwSignal::new(setup.settings.default_region.clone());
    let hours = RwSignal::new(
        setup
            .settings
            .meeting_reminder_hours
            .map(|h| h.to_string())
            .unwrap_or_default(),
    );
    let template = RwSignal::new(
        setup
            .settings
            .meeting_reminder_template
            .clone()
            .unwrap_or_default(),
    );
    let save = move |_| {
        let settings = TextingSettings {
            default_sender: Some(sender.get_untracked()),
            whatsapp_sender: Some(whatsapp.get_untracked()),
            default_region: region.get_untracked(),
            meeting_reminder_hours: hours.get_untracked().trim().parse().ok(),
            meeting_reminder_template: Some(template.get_untracked()),
            time_zone: Some(crate::format::time_zone()),
        };
        run(ui, api::save_texting_settings(settings), move |_| {
            ui.ok("Saved the texting settings.");
            ui.changed();
        });
    };
    view! {
        <div class="sender-choice">
            <label class="field"><span>"Send SMS from"</span>
                <select id="twilio-sender" on:change=move |e| sender.set(event_target_value(&e))>
                    {setup.senders.iter().filter(|s| s.channel == Channel::Sms).map(|s| {
                        let address = s.address.clone();
                        let selected = address.clone();
                        view! { <option value=address.clone() selected=move || sender.get() == selected>{format!("{} ({})", s.address, s.label)}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label class="field"><span>"WhatsApp from"</span>
                <select id="twilio-whatsapp" on:change=move |e| whatsapp.set(event_target_value(&e))>
                    <option value="">"No WhatsApp"</option>
                    {setup.senders.iter().filter(|s| s.channel == Channel::Whatsapp).map(|s| {
                        let address = s.address.clone();
                        let selected = address.clone();
                        view! { <option value=address.clone() selected=move || whatsapp.get() == selected>{address.clone()}</option> }
                    }).collect_view()}
                </select>
            </label>
            <Field label="Region for numbers without a country code" value=region id="texting-region" placeholder="US" />
            <Field label="Text clients a reminder this many hours before a meeting (empty: off)" value=hours id="reminder-hours" placeholder="24" />
            <label class="field"><span>"Reminder text"</span>
                <textarea id="reminder-template" rows="3"
                    placeholder="Hi {{contact_first_name}}, a reminder of our meeting \"{{meeting_title}}\" at {{meeting_time}}. See you then!"
                    prop:value=move || template.get() on:input=move |e| template.set(event_target_value(&e))></textarea>
            </label>
            <button class="button secondary small" id="save-texting" on:click=save>"Save"</button>
        </div>
    }
}

/// Texts from numbers no contact has: attach each to a contact found by search.
#[component]
fn Unmatched() -> impl IntoView {
    let ui = use_ui();
    let texts = LocalResource::new(move || {
        ui.revision.track();
        api::unmatched_texts()
    });
    view! {
        {move || texts.get().and_then(Result::ok).filter(|l| !l.is_empty()).map(|list| view! {
            <section class="unmatched" id="unmatched-texts">
                <h3>{format!("Unmatched texts ({})", list.len())}</h3>
                <ul>
                    {list.into_iter().map(|t| view! { <UnmatchedText sid=t.sid.clone() from=t.from.clone() body=t.body.clone() at=t.at /> }).collect_view()}
                </ul>
            </section>
        })}
    }
}

#[component]
fn UnmatchedText(sid: String, from: String, body: String, at: i64) -> impl IntoView {
    let ui = use_ui();
    let query = RwSignal::new(String::new());
    let hits = LocalResource::new(move || {
        let text = query.get();
        async move {
            if text.trim().len() < 2 {
                return Ok(Vec::new());
            }
            api::search(text).await
        }
    });
    let attach = move |sid: String, contact_id: i64| {
        run(
            ui,
            api::attach_text(AttachText { sid, contact_id }),
            move |_| {
                ui.ok("Attached: the text is on the contact's timeline.");
                ui.changed();
            },
        );
    };
    let key = sid.clone();
    let attach_new = move |sid: String, client_id: i64| {
        let request = AttachToNewContact {
            sid,
            client_id,
            name: String::new(),
        };
        run(ui, api::attach_text_to_new_contact(request), move |_| {
            ui.ok("A new contact with that number: the text is on their timeline. Give them a name on the client's page.");
            ui.changed();
        });
    };
    view! {
        <li class="unmatched-text" data-sid=key>
            <p><strong>{from}</strong>" · "<span class="muted small">{relative(at)}</span></p>
            <blockquote class="small">{body}</blockquote>
            <input class="attach-search" placeholder="Attach to a contact, or a new contact of a client: type a name…" prop:value=move || query.get() on:input=move |e| query.set(event_target_value(&e)) />
            {move || hits.get().and_then(Result::ok).map(|hits| {
                let sid = sid.clone();
                view! {
                    <div class="attach-choices">
                        {hits.iter().filter(|h| h.kind == SearchKind::Contact).take(5).map(|h| {
                            let sid = sid.clone();
                            let id = h.id;
                            view! { <button class="button secondary small attach" on:click=move |_| attach(sid.clone(), id)>{format!("{} ({})", h.title, h.client_name)}</button> }
                        }).collect_view()}
                        {hits.iter().filter(|h| h.kind == SearchKind::Client).take(3).map(|h| {
                            let sid = sid.clone();
                            let client_id = h.id;
                            view! { <button class="button secondary small new-contact" on:click=move |_| attach_new(sid.clone(), client_id)>{format!("New contact at {}", h.title)}</button> }
                        }).collect_view()}
                    </div>
                }
            })}
        </li>
    }
}
