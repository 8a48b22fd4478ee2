//! One client: contacts, deals, open tasks, documents and the timeline, with the actions a
//! consultant takes from here.

use cremmy_protocol::crm::{
    Activity, ActivityKind, Client, ClientFolder, ClientInput, ClientPage, ContactInput, DealInput,
    Direction, Id, NoteInput, TaskInput, TimelineCursor,
};
use leptos::prelude::*;

use super::email_composer::{Compose, Composer, EmailComposer};
use super::forms::{split_list, Field};
use crate::api;
use crate::format::{datetime, money, parse_money, relative};
use crate::ui_state::{run, use_ui, Route};

#[component]
pub fn ClientPageView(id: Id) -> impl IntoView {
    let ui = use_ui();
    let page = LocalResource::new(move || {
        ui.revision.track();
        api::client_page(id)
    });
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || page.get().map(|r| match r {
                Ok(p) => view! { <ClientView page=p /> }.into_any(),
                Err(e) => view! {
                    <p class="error">{e.message}</p>
                    <button class="button secondary" on:click=move |_| ui.go(Route::Clients)>"Back to clients"</button>
                }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn ClientView(page: ClientPage) -> impl IntoView {
    let ui = use_ui();
    let client = page.client.clone();
    let id = client.id;
    let archived = client.archived;
    let editing = RwSignal::new(false);
    ui.opened_client(id, &client.name);
    let for_edit = client.clone();
    let composer = Composer(RwSignal::new(None));
    let generating = RwSignal::new(false);
    // New mail is about the client's most recent open deal, so a reply shows on that deal.
    let latest_open_deal = page
        .deals
        .iter()
        .filter(|d| d.won_at.is_none() && d.lost_at.is_none())
        .max_by_key(|d| d.created_at)
        .map(|d| d.id);
    provide_context(composer);
    let texting = RwSignal::new(false);
    let texting_contacts = page.contacts.clone();
    let has_phone = page
        .contacts
        .iter()
        .any(|c| !c.archived && !c.phones.is_empty());
    let setup = LocalResource::new(api::texting_setup);
    let texting_ready = move || matches!(setup.get(), Some(Ok(Some(_))));
    let texting_to = RwSignal::new(None::<Id>);
    let opt_outs = LocalResource::new(move || {
        ui.revision.track();
        api::contact_opt_outs(id)
    });
    view! {
        <Show when=move || editing.get()>
            <EditClient client=for_edit.clone() close=move || editing.set(false) />
        </Show>
        <EmailComposer contacts=page.contacts.clone() />
        <Show when=move || texting.get()>
            <super::text_composer::TextComposer client_id=id contacts=texting_contacts.clone() open=texting to=texting_to.get_untracked() />
        </Show>
        <Show when=move || generating.get()>
            <super::documents::GenerateDocument client_id=id open=generating />
        </Show>
        <header class="page-header">
            <div>
                <button class="link" on:click=move |_| ui.go(Route::Clients)>"← Clients"</button>
                <h1 id="client-title">{client.name.clone()}{archived.then(|| view! { <span class="badge">"Archived"</span> })}</h1>
                <p class="muted">
                    {(!client.domain.is_empty()).then(|| client.domain.clone())}
                    {client.tags.iter().map(|t| view! { <span class="tag">{t.clone()}</span> }).collect_view()}
                </p>
            </div>
            <div class="actions">
                <button class="button secondary" id="send-email" on:click=move |_| composer.0.set(Some(Compose { deal_id: latest_open_deal, ..Compose::default() }))>"Send email"</button>
                <button class="button secondary" id="generate-proposal" on:click=move |_| generating.set(true)>"Generate proposal"</button>
                <FolderButton client_id=id folder=page.folder.clone() />
                <button class="button secondary" id="send-sms"
                    disabled=move || !texting_ready() || !has_phone
                    title=move || if !texting_ready() { "Connect Twilio on the Integrations page to use this" } else if !has_phone { "No contact of this client has a phone number" } else { "" }
                    on:click=move |_| { texting_to.set(None); texting.set(true); }>"Send SMS"</button>
                <button class="button secondary" id="edit-client" on:click=move |_| editing.set(true)>"Edit"</button>
                <button class="button secondary" on:click=move |_| run(ui, api::set_client_archived(id, !archived), move |c| {
                    ui.ok(if c.archived { "Client archived" } else { "Client restored" });
                    ui.changed();
                })>{if archived { "Restore" } else { "Archive" }}</button>
            </div>
        </header>
        {(!client.notes.is_empty()).then(|| view! { <p class="notes">{client.notes.clone()}</p> })}
        {(!client.custom_fields.is_empty()).then(|| view! {
            <dl class="facts">{client.custom_fields.iter().map(|f| view! { <dt>{f.name.clone()}</dt><dd>{f.value.clone()}</dd> }).collect_view()}</dl>
        })}
        <div class="client-grid">
            <div class="client-side">
                <section class="card" id="contacts">
                    <h2>"Contacts"</h2>
                    {if page.contacts.is_empty() { Some(view! { <p class="muted">"No contacts yet. Add the people you work with: their email addresses link mail and meetings to this client."</p> }) } else { None }}
                    <ul class="list">
                        {page.contacts.iter().map(|c| view! {
                            <li class="contact">
                                <strong>{c.name.clone()}</strong>
                                {(!c.title.is_empty()).then(|| view! { <span class="muted">{format!(" · {}", c.title)}</span> })}
                                <div class="small">{c.emails.join(", ")}</div>
                                <div class="small muted">{c.phones.join(", ")}</div>
                                {
                                    let contact_id = c.id;
                                    let reachable = !c.phones.is_empty() && !c.archived;
                                    view! {
                                        {move || opt_outs.get().and_then(Result::ok).and_then(|l| l.into_iter().find(|o| o.contact_id == contact_id)).map(|o| view! {
                                            <span class="badge warn opted-out" title=format!("{} replied {}", o.opt_out.number, o.opt_out.keyword)>"Opted out of texts"</span>
                                        })}
                                        {(reachable).then(|| view! {
                                            <button class="link small text-contact" disabled=move || !texting_ready()
                                                on:click=move |_| { texting_to.set(Some(contact_id)); texting.set(true); }>"Text"</button>
                                        })}
                                    }
                                }
                            </li>
                        }).collect_view()}
                    </ul>
                    <AddContact client_id=id />
                </section>
                <super::lead_score::LeadScoreCard client_id=id />
                <super::text_composer::TextsCard client_id=id />
                <section class="card" id="deals">
                    <h2>"Deals"</h2>
                    {page.deals.is_empty().then(|| view! { <p class="muted small" id="deals-empty">"No deals yet. A deal tracks work you hope to win: add one below and it appears on the pipeline."</p> })}
                    <ul class="list">
                        {page.deals.iter().map(|d| view! {
                            <li class="deal-line">
                                <span>{d.title.clone()}</span>
                                {d.replied_at.map(|at| view! { <span class="badge replied" title=datetime(at)>{format!("replied {}", relative(at))}</span> })}
                                <span class="num">{money(&d.value)}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                    <AddDeal client_id=id />
                </section>
                <super::client_payments::PaymentsCard client_id=id deals=page.deals.clone() />
                <section class="card" id="client-tasks">
                    <h2>"Open tasks"</h2>
                    <ul class="list">
                        {page.open_tasks.iter().map(|t| {
                            let task_id = t.id;
                            view! {
                                <li class="task-line">
                                    <input type="checkbox" title="Mark done" on:change=move |_| run(ui, api::set_task_done(task_id, true), move |_| { ui.ok("Task done"); ui.changed(); }) />
                                    <span>{t.title.clone()}</span>
                                    <span class="muted small">{t.due_date.clone().unwrap_or_default()}</span>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                    <AddTask client_id=id />
                </section>
                <section class="card" id="documents">
                    <h2>"Documents"</h2>
                    {if page.documents.is_empty() { Some(view! { <p class="muted">"Proposals and contracts generated for this client appear here."</p> }) } else { None }}
                    <ul class="list">
                        {page.documents.iter().map(|d| {
                            let url = d.url.clone();
                            view! {
                                <li class="document">
                                    <span>{d.title.clone()}</span>
                                    {match url {
                                        Some(url) => view! { <button class="link small" on:click=move |_| run(ui, api::open_provider_page(url.clone()), |()| {})>"Open"</button> }.into_any(),
                                        None => view! { <span class="muted small">{d.local_path.clone().unwrap_or_default()}</span> }.into_any(),
                                    }}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </section>
            </div>
            <section class="card timeline" id="timeline">
                <h2>"Timeline"</h2>
                <NoteComposer client_id=id />
                <Timeline client_id=id first=page.timeline.items next=page.timeline.next />
            </section>
        </div>
    }
}

/// "Drive folder" when the client has one (opens it), else "Create Drive folder".
#[component]
fn FolderButton(client_id: Id, folder: Option<ClientFolder>) -> impl IntoView {
    let ui = use_ui();
    let busy = RwSignal::new(false);
    match folder {
        Some(f) => {
            let url = f.url.clone();
            view! {
                <button class="button secondary" id="open-drive-folder" title=format!("In the Google Drive of {}", f.account_email)
                    on:click=move |_| run(ui, api::open_provider_page(url.clone()), |()| {})>"Drive folder"</button>
            }
            .into_any()
        }
        None => view! {
            <button class="button secondary" id="create-folder" disabled=move || busy.get() on:click=move |_| {
                busy.set(true);
                leptos::task::spawn_local(async move {
                    match api::create_client_folder(client_id).await {
                        Ok(f) => {
                            ui.ok_with_link("Drive folder ready in Cremmy CRM/Clients.", f.url);
                            ui.changed();
                        }
                        Err(e) => ui.error(&e),
                    }
                    busy.set(false);
                });
            }>{move || if busy.get() { "Creating folder…" } else { "Create Drive folder" }}</button>
        }
        .into_any(),
    }
}

#[component]
fn EditClient(client: Client, close: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let ui = use_ui();
    let id = client.id;
    let name = RwSignal::new(client.name.clone());
    let website = RwSignal::new(client.website.clone());
    let tags = RwSignal::new(client.tags.join(", "));
    let notes = RwSignal::new(client.notes.clone());
    let kind = client.kind;
    view! {
        <div class="overlay" on:click=move |_| close()>
            <form class="dialog" id="edit-client-dialog" on:click=|e| e.stop_propagation() on:submit=move |e| {
                e.prevent_default();
                let input = ClientInput { name: name.get(), kind, website: website.get(), notes: notes.get(), tags: split_list(&tags.get()), custom_fields: Vec::new() };
                run(ui, api::update_client(id, input), move |c| { close(); ui.ok(format!("Saved {}", c.name)); ui.changed(); });
            }>
                <h2>"Edit client"</h2>
                <Field label="Name" value=name id="edit-client-name" />
                <Field label="Website" value=website />
                <Field label="Tags" value=tags />
                <label class="field"><span>"Notes"</span>
                    <textarea prop:value=move || notes.get() on:input=move |e| notes.set(event_target_value(&e))></textarea>
                </label>
                <div class="actions">
                    <button type="button" class="button secondary" on:click=move |_| close()>"Cancel"</button>
                    <button type="submit" class="button primary">"Save"</button>
                </div>
            </form>
        </div>
    }
}

#[component]
fn AddContact(client_id: Id) -> impl IntoView {
    let ui = use_ui();
    let (name, title, emails, phones) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let open = RwSignal::new(false);
    view! {
        <Show when=move || open.get() fallback=move || view! { <button class="button small secondary" id="add-contact" on:click=move |_| open.set(true)>"Add contact"</button> }>
            <form class="inline-form" on:submit=move |e| {
                e.prevent_default();
                let input = ContactInput { client_id, name: name.get(), title: title.get(), emails: split_list(&emails.get()), phones: split_list(&phones.get()) };
                run(ui, api::create_contact(input), move |c| { ui.ok(format!("Added {}", c.name)); ui.changed(); });
            }>
                <Field label="Name" value=name id="new-contact-name" />
                <Field label="Title" value=title />
                <Field label="Emails" value=emails placeholder="first is primary, comma-separated" id="new-contact-emails" />
                <Field label="Phones" value=phones />
                <div class="actions"><button type="submit" class="button primary small">"Save contact"</button></div>
            </form>
        </Show>
    }
}

#[component]
fn AddDeal(client_id: Id) -> impl IntoView {
    let ui = use_ui();
    let (title, value, currency) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new("USD".to_string()),
    );
    let open = RwSignal::new(false);
    view! {
        <Show when=move || open.get() fallback=move || view! { <button class="button small secondary" id="add-deal" on:click=move |_| open.set(true)>"New deal"</button> }>
            <form class="inline-form" on:submit=move |e| {
                e.prevent_default();
                let Some(value_minor) = parse_money(&value.get()) else {
                    ui.error(&cremmy_protocol::ApiError { code: cremmy_protocol::ErrorCode::InvalidInput, message: format!("value: \"{}\" is not an amount like 12,500.00", value.get()) });
                    return;
                };
                let input = DealInput { client_id, title: title.get(), value_minor, currency: currency.get(), ..DealInput::default() };
                run(ui, api::create_deal(input), move |d| { ui.ok(format!("Created deal {}", d.title)); ui.changed(); });
            }>
                <Field label="Title" value=title id="new-deal-title" />
                <Field label="Value" value=value placeholder="12,500" id="new-deal-value" />
                <Field label="Currency" value=currency />
                <div class="actions"><button type="submit" class="button primary small">"Create deal"</button></div>
            </form>
        </Show>
    }
}

#[component]
fn AddTask(client_id: Id) -> impl IntoView {
    let ui = use_ui();
    let (title, due) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    view! {
        <form class="inline-row" on:submit=move |e| {
            e.prevent_default();
            let input = TaskInput { title: title.get(), due_date: Some(due.get()).filter(|d| !d.is_empty()), client_id: Some(client_id), ..TaskInput::default() };
            run(ui, api::create_task(input), move |_| { title.set(String::new()); ui.ok("Task added"); ui.changed(); });
        }>
            <input placeholder="New task…" prop:value=move || title.get() on:input=move |e| title.set(event_target_value(&e)) />
            <input type="date" prop:value=move || due.get() on:input=move |e| due.set(event_target_value(&e)) />
            <button type="submit" class="button small secondary">"Add"</button>
        </form>
    }
}

#[component]
fn NoteComposer(client_id: Id) -> impl IntoView {
    let ui = use_ui();
    let body = RwSignal::new(String::new());
    view! {
        <form class="composer" on:submit=move |e| {
            e.prevent_default();
            run(ui, api::log_note(NoteInput { client_id, body: body.get(), ..NoteInput::default() }), move |_| { body.set(String::new()); ui.changed(); });
        }>
            <textarea id="note-body" placeholder="Log a note… (first line is the subject)" prop:value=move || body.get() on:input=move |e| body.set(event_target_value(&e))></textarea>
            <button type="submit" class="button small primary" id="save-note">"Log note"</button>
        </form>
    }
}

/// A short text label (not an emoji: desktops without an emoji font would show empty boxes).
fn kind_label(kind: ActivityKind, direction: Direction) -> &'static str {
    match (kind, direction) {
        (ActivityKind::Email, Direction::Inbound) => "Email in",
        (ActivityKind::Email, _) => "Email out",
        (ActivityKind::Meeting, _) => "Meeting",
        (ActivityKind::Call, _) => "Call",
        (ActivityKind::Sms, _) => "SMS",
        (ActivityKind::Note, _) => "Note",
        (ActivityKind::Document, _) => "Document",
        (ActivityKind::Payment, _) => "Payment",
        (ActivityKind::System, _) => "Update",
    }
}

/// The body without its first line when that line is the subject (notes take their subject from it).
fn body_after_subject(a: &Activity) -> String {
    match a.body.strip_prefix(a.subject.as_str()) {
        Some(rest) if !a.subject.is_empty() => rest.trim_start_matches(['\r', '\n']).to_string(),
        _ => a.body.clone(),
    }
}

#[component]
fn Timeline(client_id: Id, first: Vec<Activity>, next: Option<TimelineCursor>) -> impl IntoView {
    let ui = use_ui();
    let composer = expect_context::<Composer>();
    let items = RwSignal::new(first);
    let cursor = RwSignal::new(next);
    let more = move |_| {
        let after = cursor.get_untracked();
        run(ui, api::timeline(client_id, after), move |page| {
            items.update(|i| i.extend(page.items));
            cursor.set(page.next);
        });
    };
    view! {
        <Show when=move || items.with(Vec::is_empty)>
            <p class="muted">"Nothing here yet. Notes, emails, meetings and stage changes will appear here, newest first."</p>
        </Show>
        <ol class="timeline-items">
            <For each=move || items.get() key=|a| a.id let:a>
                <li class="activity" class:system=a.kind == ActivityKind::System>
                    <span class="kind-label" class:inbound=a.direction == Direction::Inbound>{kind_label(a.kind, a.direction)}</span>
                    <div>
                        <div class="subject">{a.subject.clone()}</div>
                        {Some(body_after_subject(&a)).filter(|b| !b.is_empty()).map(|b| view! { <div class="body">{b}</div> })}
                        <div class="muted small activity-meta">
                            <span title=datetime(a.occurred_at)>{relative(a.occurred_at)}</span>
                            {a.replied_at.map(|at| view! { <span class="badge replied" title=datetime(at)>{format!("Replied {}", relative(at))}</span> })}
                            {(a.tracked && a.replied_at.is_none()).then(|| view! { <span class="badge waiting">"Awaiting reply"</span> })}
                            {(a.kind == ActivityKind::Email && a.contact_id.is_some()).then(|| {
                                let reply = Compose::reply(&a);
                                view! { <button class="link small reply" on:click=move |_| composer.0.set(Some(reply.clone()))>"Reply"</button> }
                            })}
                        </div>
                    </div>
                </li>
            </For>
        </ol>
        <Show when=move || cursor.get().is_some()>
            <button class="button secondary small" on:click=more>"Load older"</button>
        </Show>
    }
}
