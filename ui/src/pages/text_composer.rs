//! "Send SMS" on the client page: to a contact with a phone, from the texting account's default
//! sender. The preview (asked for on every change) shows the number as it will be dialled, the
//! text with its variables filled, the characters and segments it is billed as, and why it cannot
//! go yet (a missing variable, an invalid number, an opted-out contact).

use cremmy_protocol::crm::{Contact, Id};
use cremmy_protocol::sms::{Channel, TextDraft, TextEncoding, TextPreview};
use leptos::prelude::*;

use crate::api;
use crate::ui_state::use_ui;

/// The variables a text may use (the core's `texts::send::VARIABLES`).
const VARIABLES: [&str; 6] = [
    "contact_first_name",
    "contact_name",
    "client_name",
    "deal_title",
    "deal_value",
    "date",
];

/// "18 characters · 1 segment (GSM-7)".
pub fn count_line(p: &TextPreview) -> String {
    let c = p.count;
    let encoding = match c.encoding {
        TextEncoding::Gsm7 => "GSM-7",
        TextEncoding::Ucs2 => "Unicode",
    };
    let segments = if c.segments == 1 {
        "1 segment".to_string()
    } else {
        format!("{} segments", c.segments)
    };
    format!(
        "{} characters · {segments} ({encoding}, {} per segment)",
        c.units, c.per_segment
    )
}

#[component]
pub fn TextComposer(
    client_id: Id,
    contacts: Vec<Contact>,
    open: RwSignal<bool>,
    /// The contact to text (default: the first with a phone).
    #[prop(default = None)]
    to: Option<Id>,
) -> impl IntoView {
    let ui = use_ui();
    let reachable: Vec<Contact> = contacts
        .into_iter()
        .filter(|c| !c.phones.is_empty() && !c.archived)
        .collect();
    let to = RwSignal::new(to.or(reachable.first().map(|c| c.id)));
    let body = RwSignal::new(String::new());
    let channel = RwSignal::new(Channel::Sms);
    let template = RwSignal::new(None::<String>);
    let sending = RwSignal::new(false);
    let draft = move || TextDraft {
        client_id,
        contact_id: to.get(),
        body: body.get(),
        channel: channel.get(),
        template_id: template
            .get()
            .filter(|_| channel.get() == Channel::Whatsapp),
        ..TextDraft::default()
    };
    // Approved WhatsApp templates, asked for when WhatsApp is chosen.
    let templates = LocalResource::new(move || {
        let whatsapp = channel.get() == Channel::Whatsapp;
        async move {
            if whatsapp {
                api::text_templates().await
            } else {
                Ok(Vec::new())
            }
        }
    });
    let preview = LocalResource::new(move || api::text_preview(draft()));
    let blocked = move || match preview.get() {
        Some(Ok(p)) => p.refused.is_some() || !p.missing.is_empty(),
        _ => true,
    };
    let submit = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        let draft = TextDraft {
            client_id,
            contact_id: to.get_untracked(),
            body: body.get_untracked(),
            channel: channel.get_untracked(),
            template_id: template
                .get_untracked()
                .filter(|_| channel.get_untracked() == Channel::Whatsapp),
            ..TextDraft::default()
        };
        sending.set(true);
        leptos::task::spawn_local(async move {
            match api::send_text(draft).await {
                Ok(sent) => {
                    open.set(false);
                    ui.ok(format!(
                        "Text sent ({}); its delivery shows on the timeline.",
                        sent.status
                    ));
                    ui.changed();
                }
                Err(e) => ui.error(&e),
            }
            sending.set(false);
        });
    };
    let insert = move |name: String| {
        if !name.is_empty() {
            body.update(|b| b.push_str(&format!("{{{{{name}}}}}")));
        }
    };
    view! {
        <div class="overlay" on:click=move |_| open.set(false)>
            <form class="dialog wide" id="text-composer" on:click=|e| e.stop_propagation() on:submit=submit>
                <h2>"Send SMS"</h2>
                {reachable.is_empty().then(|| view! { <p class="error">"No contact of this client has a phone number. Add one first."</p> })}
                <label class="field"><span>"To"</span>
                    <select id="text-to" on:change=move |e| to.set(event_target_value(&e).parse().ok())>
                        {reachable.iter().map(|c| {
                            let id = c.id;
                            view! { <option value=id.to_string() selected=move || to.get() == Some(id)>{format!("{} ({})", c.name, c.phones[0])}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label class="field"><span>"Channel"</span>
                    <select id="text-channel" on:change=move |e| channel.set(if event_target_value(&e) == "whatsapp" { Channel::Whatsapp } else { Channel::Sms })>
                        <option value="sms">"SMS"</option>
                        <option value="whatsapp">"WhatsApp"</option>
                    </select>
                </label>
                {move || (channel.get() == Channel::Whatsapp).then(|| view! {
                    <label class="field"><span>"WhatsApp template"</span>
                        <select id="text-template" on:change=move |e| template.set(Some(event_target_value(&e)).filter(|v| !v.is_empty()))>
                            <option value="">"None: free text (only within 24 hours of their last message)"</option>
                            {move || templates.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|t| view! {
                                <option value=t.id.clone()>{format!("{}: {}", t.name, t.body)}</option>
                            }).collect_view()}
                        </select>
                    </label>
                })}
                <label class="field"><span>"Message"</span>
                    <textarea id="text-body" rows="5" placeholder="Hi {{contact_first_name}}, …" prop:value=move || body.get() on:input=move |e| body.set(event_target_value(&e))></textarea>
                </label>
                <label class="field"><span>"Insert"</span>
                    <select id="text-variable" on:change=move |e| insert(event_target_value(&e)) prop:value="">
                        <option value="">"A variable…"</option>
                        {VARIABLES.iter().map(|v| view! { <option value=*v>{format!("{{{{{v}}}}}")}</option> }).collect_view()}
                    </select>
                </label>
                {move || preview.get().map(|r| match r {
                    Err(e) => view! { <p class="error" id="text-preview-error">{e.message}</p> }.into_any(),
                    Ok(p) => view! {
                        <div class="text-preview" id="text-preview">
                            <p class="small"><strong>{p.to.clone().unwrap_or_else(|| "No number".into())}</strong>
                                {(!p.contact_name.is_empty()).then(|| format!(" · {}", p.contact_name))}</p>
                            {(!p.body.is_empty() && p.missing.is_empty()).then(|| view! { <blockquote class="small" id="text-rendered">{p.body.clone()}</blockquote> })}
                            {(p.whatsapp_window_open == Some(true)).then(|| view! {
                                <p class="small" id="text-window">"WhatsApp: they wrote within the last 24 hours, so free text is allowed."</p>
                            })}
                            <p class="small muted" id="text-count">{count_line(&p)}" · billed per segment by Twilio"</p>
                            {(!p.missing.is_empty()).then(|| view! {
                                <p class="error small" id="text-missing">{format!("No value here for: {}", p.missing.join(", "))}</p>
                            })}
                            {p.refused.clone().map(|why| view! { <p class="error small" id="text-refused">{format!("Cannot send: {why}.")}</p> })}
                        </div>
                    }.into_any(),
                })}
                <div class="actions">
                    <button type="button" class="button secondary" id="text-cancel" on:click=move |_| open.set(false)>"Cancel"</button>
                    <button type="submit" class="button primary" id="text-send" disabled=move || sending.get() || blocked()>
                        {move || if sending.get() { "Sending…" } else { "Send" }}
                    </button>
                </div>
            </form>
        </div>
    }
}

/// The client's texts with where each is (queued, sent, delivered, failed with Twilio's error).
#[component]
pub fn TextsCard(client_id: Id) -> impl IntoView {
    let ui = use_ui();
    let texts = LocalResource::new(move || {
        ui.revision.track();
        api::client_texts(client_id)
    });
    view! {
        {move || texts.get().and_then(Result::ok).filter(|l| !l.is_empty()).map(|list| view! {
            <section class="card" id="texts">
                <h2>"Texts"</h2>
                <ul class="texts">
                    {list.into_iter().take(10).map(|t| {
                        let failed = t.error.is_some();
                        view! {
                            <li class="text" data-status=t.status.clone() data-sid=t.sid.clone()>
                                <span class=if failed { "badge warn" } else { "badge ok" }>{if t.inbound { "received".to_string() } else { t.status.clone() }}</span>
                                " "<span class="small">{t.body.clone()}</span>
                                {(!t.inbound).then(|| view! {
                                    <span class="small muted">{format!(" · from {} · {} segment{}", t.from, t.segments, if t.segments == 1 { "" } else { "s" })}</span>
                                })}
                                {t.error.clone().map(|e| view! { <p class="error small">{e}</p> })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
        })}
    }
}
