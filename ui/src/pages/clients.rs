//! The clients list: search, tag filter, sort, paging, the new-client dialog and CSV import.

use cremmy_protocol::crm::{ClientInput, ClientQuery, ClientRow, ClientSort, ContactInput, Id};
use cremmy_protocol::csv::{ColumnMapping, ImportField, ImportPreview, RowOutcome};
use cremmy_protocol::sms::Audience;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::client_selection::{stored_columns, Column, ColumnsMenu, SavedFilters, SelectionBar};
use super::forms::{split_list, Field};
use crate::api;
use crate::format::{local_today, relative};
use crate::ui_state::{run, use_ui, Route};

const PAGE: i64 = 50;

#[component]
pub fn ClientsPage() -> impl IntoView {
    let ui = use_ui();
    let text = RwSignal::new(String::new());
    let tag = RwSignal::new(String::new());
    let sort = RwSignal::new(ClientSort::Name);
    let archived = RwSignal::new(false);
    let offset = RwSignal::new(0i64);
    let min_score = RwSignal::new(None::<u8>);
    let query = Signal::derive(move || ClientQuery {
        text: text.get(),
        tag: Some(tag.get()).filter(|t| !t.is_empty()),
        sort: sort.get(),
        include_archived: archived.get(),
        min_score: min_score.get(),
        offset: offset.get(),
        limit: PAGE,
    });
    let list = LocalResource::new(move || {
        ui.revision.track();
        api::list_clients(query.get())
    });
    let apply_filter = Callback::new(move |q: ClientQuery| {
        text.set(q.text);
        tag.set(q.tag.unwrap_or_default());
        sort.set(q.sort);
        archived.set(q.include_archived);
        min_score.set(q.min_score);
        offset.set(0);
    });
    let selected = RwSignal::new(Vec::<Id>::new());
    let columns = RwSignal::new(stored_columns());
    let selection_audience = RwSignal::new(None::<Audience>);
    let tags = LocalResource::new(move || {
        ui.revision.track();
        api::tags()
    });
    let importing = RwSignal::new(None::<(String, ImportPreview)>);
    let texting = RwSignal::new(false);
    view! {
        {move || texting.get().then(|| {
            // The audience: the chosen tag, or else the clients the search shows.
            let chosen = tag.get_untracked();
            let (title, audience) = if let Some(audience) = selection_audience.get_untracked() {
                (format!("Text the {} selected clients", audience.client_ids.len()), audience)
            } else if !chosen.is_empty() {
                (format!("Text clients tagged \u{201c}{chosen}\u{201d}"), Audience { tag: Some(chosen), ..Audience::default() })
            } else {
                let ids: Vec<i64> = list.get_untracked().and_then(Result::ok).map(|l| l.rows.iter().map(|c| c.id).collect()).unwrap_or_default();
                (format!("Text the {} clients found", ids.len()), Audience { client_ids: ids, ..Audience::default() })
            };
            view! { <super::bulk_text::BulkTextDialog title=title audience=audience open=texting /> }
        })}
        <header class="page-header">
            <h1>"Clients"</h1>
            <div class="actions">
                <label class="button secondary file-button">
                    "Import CSV"
                    <input type="file" accept=".csv,text/csv" id="import-file" on:change=move |e| {
                        let Some(file) = e.target()
                            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                            .and_then(|i| i.files())
                            .and_then(|f| f.get(0)) else { return };
                        leptos::task::spawn_local(async move {
                            let text = wasm_bindgen_futures::JsFuture::from(file.text()).await.ok().and_then(|v| v.as_string()).unwrap_or_default();
                            match api::preview_import(text.clone(), None).await {
                                Ok(preview) => importing.set(Some((text, preview))),
                                Err(err) => ui.error(&err),
                            }
                        });
                    } />
                </label>
                <button class="button primary" id="new-client" on:click=move |_| ui.new_client_open.set(true)>"New client"</button>
            </div>
        </header>
        <div class="toolbar">
            <input class="search" id="client-search" type="search" placeholder="Filter by name, domain, contact or email"
                prop:value=move || text.get()
                on:input=move |e| { text.set(event_target_value(&e)); offset.set(0); } />
            <select id="tag-filter" prop:value=move || tag.get() on:change=move |e| { tag.set(event_target_value(&e)); offset.set(0); }>
                <option value="">"All tags"</option>
                {move || tags.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|t| { let v = t.clone(); view! { <option value=t.clone() prop:selected=move || tag.get() == v>{t.clone()}</option> } }).collect_view()}
            </select>
            <button class="button secondary" id="text-tag" disabled=move || tag.get().is_empty() && text.get().trim().is_empty()
                title=move || if tag.get().is_empty() && text.get().trim().is_empty() { "Choose a tag, or search, to text those clients" } else { "" }
                on:click=move |_| { selection_audience.set(None); texting.set(true); }>"Text these clients"</button>
            <select id="sort" prop:value=move || sort_key(sort.get()) on:change=move |e| sort.set(sort_of(&event_target_value(&e)))>
                {SORTS.iter().map(|(key, _, label)| view! { <option value=*key>{*label}</option> }).collect_view()}
            </select>
            <label class="check"><input type="checkbox" prop:checked=move || archived.get() on:change=move |e| archived.set(event_target_checked(&e)) />"Show archived"</label>
            <label class="check">"Score ≥ "
                <input id="min-score" type="number" min="0" max="100" size="4"
                    prop:value=move || min_score.get().map(|m| m.to_string()).unwrap_or_default()
                    on:change=move |e| { min_score.set(event_target_value(&e).trim().parse().ok().filter(|m: &u8| *m > 0)); offset.set(0); } />
            </label>
            <SavedFilters current=query apply=apply_filter />
            <ColumnsMenu columns=columns />
        </div>
        <Show when=move || !selected.get().is_empty()>
            <SelectionBar selected=selected texting=texting audience=selection_audience />
        </Show>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || list.get().map(|result| match result {
                Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                Ok(list) if list.total == 0 && text.get().is_empty() && tag.get().is_empty() => view! { <EmptyState /> }.into_any(),
                Ok(list) if list.total == 0 => view! { <p class="muted" id="no-matches">"No clients match. Clear the filter or create one."</p> }.into_any(),
                Ok(list) => {
                    let total = list.total;
                    view! {
                        <ClientsTable rows=list.rows selected=selected columns=columns sort=sort />
                        <div class="pager">
                            <span class="muted" id="clients-count">{move || format!("{}–{} of {total}", offset.get() + 1, (offset.get() + PAGE).min(total))}</span>
                            <button class="button secondary" disabled={move || offset.get() == 0} on:click=move |_| offset.update(|o| *o = (*o - PAGE).max(0))>"Previous"</button>
                            <button class="button secondary" disabled={move || offset.get() + PAGE >= total} on:click=move |_| offset.update(|o| *o += PAGE)>"Next"</button>
                        </div>
                    }.into_any()
                }
            })}
        </Transition>
        <Show when=move || ui.new_client_open.get()>
            <NewClientDialog />
        </Show>
        {move || importing.get().map(|(text, preview)| view! { <ImportDialog text=text preview=preview close=move || importing.set(None) /> })}
    }
}

/// (value in the sort menu, sort, label)
const SORTS: &[(&str, ClientSort, &str)] = &[
    ("name", ClientSort::Name, "Name A–Z"),
    ("name_desc", ClientSort::NameDescending, "Name Z–A"),
    ("updated", ClientSort::RecentlyUpdated, "Recently updated"),
    ("created", ClientSort::RecentlyCreated, "Recently added"),
    ("open_deals", ClientSort::OpenDeals, "Most open deals"),
    ("score", ClientSort::Score, "Highest score"),
];

fn sort_key(sort: ClientSort) -> &'static str {
    SORTS
        .iter()
        .find(|(_, s, _)| *s == sort)
        .map(|(k, ..)| *k)
        .unwrap_or("name")
}

fn sort_of(key: &str) -> ClientSort {
    SORTS
        .iter()
        .find(|(k, ..)| *k == key)
        .map(|(_, s, _)| *s)
        .unwrap_or_default()
}

/// The table: a checkbox per row (and one for the page), the chosen columns, headers that sort.
#[component]
fn ClientsTable(
    rows: Vec<ClientRow>,
    selected: RwSignal<Vec<Id>>,
    columns: RwSignal<Vec<Column>>,
    sort: RwSignal<ClientSort>,
) -> impl IntoView {
    let ui = use_ui();
    let page_ids: Vec<Id> = rows.iter().map(|r| r.id).collect();
    let all_ids = page_ids.clone();
    let shown = move |c: Column| columns.get().contains(&c);
    let header = move |c: Column| {
        let (sorts, next): (&[ClientSort], ClientSort) = match c {
            Column::OpenDeals => (&[ClientSort::OpenDeals], ClientSort::OpenDeals),
            Column::Score => (&[ClientSort::Score], ClientSort::Score),
            Column::Updated => (&[ClientSort::RecentlyUpdated], ClientSort::RecentlyUpdated),
            Column::Added => (&[ClientSort::RecentlyCreated], ClientSort::RecentlyCreated),
            Column::Contact | Column::Tags => (&[], ClientSort::Name),
        };
        let sortable = !sorts.is_empty();
        view! {
            <Show when=move || shown(c)>
                <th class:sortable=sortable class:sorted=move || sorts.contains(&sort.get()) class:num={c == Column::OpenDeals}
                    data-column=format!("{c:?}") on:click=move |_| if sortable { sort.set(next) }>{c.label()}</th>
            </Show>
        }
    };
    view! {
        <table class="table" id="clients-table">
            <thead><tr>
                <th class="select"><input type="checkbox" id="select-page" title="Select every client on this page"
                    prop:checked=move || { let s = selected.get(); !all_ids.is_empty() && all_ids.iter().all(|id| s.contains(id)) }
                    on:change=move |e| {
                        let on = event_target_checked(&e);
                        let ids = page_ids.clone();
                        selected.update(|s| { s.retain(|id| !ids.contains(id)); if on { s.extend(ids); } });
                    } /></th>
                <th class="sortable" class:sorted=move || matches!(sort.get(), ClientSort::Name | ClientSort::NameDescending) id="sort-name"
                    on:click=move |_| sort.update(|s| *s = if *s == ClientSort::Name { ClientSort::NameDescending } else { ClientSort::Name })>
                    {move || match sort.get() { ClientSort::Name => "Name ↑", ClientSort::NameDescending => "Name ↓", _ => "Name" }}
                </th>
                {Column::ALL.into_iter().map(header).collect_view()}
            </tr></thead>
            <tbody>
                {rows.into_iter().map(|row| {
                    let id = row.id;
                    let tags = row.tags.clone();
                    let contact = row.primary_contact.clone().unwrap_or_default();
                    view! {
                        <tr class="client-row" class:archived=row.archived class:selected=move || selected.get().contains(&id) tabindex="0"
                            data-client=row.name.clone()
                            on:click=move |_| ui.go(Route::Client(id))
                            on:keydown=move |e: web_sys::KeyboardEvent| if e.key() == "Enter" { ui.go(Route::Client(id)) }>
                            <td class="select" on:click=|e| e.stop_propagation()>
                                <input type="checkbox" class="select-client" prop:checked=move || selected.get().contains(&id)
                                    on:change=move |e| { let on = event_target_checked(&e); selected.update(|s| { s.retain(|x| *x != id); if on { s.push(id); } }); } />
                            </td>
                            <td><span class="client-name">{row.name.clone()}</span><span class="muted small">{" "}{row.domain.clone()}</span></td>
                            <Show when=move || shown(Column::Score)><td class="num score">{row.score.map(|s| s.to_string()).unwrap_or_else(|| "–".into())}</td></Show>
                            <Show when=move || shown(Column::Contact)><td>{contact.clone()}</td></Show>
                            <Show when=move || shown(Column::Tags)><td>{tags.iter().map(|t| view! { <span class="tag">{t.clone()}</span> }).collect_view()}</td></Show>
                            <Show when=move || shown(Column::OpenDeals)><td class="num">{row.open_deals}</td></Show>
                            <Show when=move || shown(Column::Updated)><td class="muted">{relative(row.updated_at)}</td></Show>
                            <Show when=move || shown(Column::Added)><td class="muted">{relative(row.created_at)}</td></Show>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn EmptyState() -> impl IntoView {
    let ui = use_ui();
    view! {
        <div class="empty" id="empty-state">
            <h2>"No clients yet"</h2>
            <p>"Add your first client, import a CSV from your spreadsheet, or explore Cremmy with sample data."</p>
            <div class="actions">
                <button class="button primary" on:click=move |_| ui.new_client_open.set(true)>"Add a client"</button>
                <button class="button secondary" id="load-demo" on:click=move |_| run(ui, api::load_demo(local_today()), move |n| {
                    ui.ok(format!("Loaded {n} demo clients"));
                    ui.changed();
                })>"Load demo data"</button>
            </div>
        </div>
    }
}

#[component]
fn NewClientDialog() -> impl IntoView {
    let ui = use_ui();
    let name = RwSignal::new(String::new());
    let website = RwSignal::new(String::new());
    let tags = RwSignal::new(String::new());
    let contact = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let close = move || ui.new_client_open.set(false);
    let save = move || {
        let input = ClientInput {
            name: name.get(),
            website: website.get(),
            tags: split_list(&tags.get()),
            ..ClientInput::default()
        };
        let (contact, email, phone) = (contact.get(), email.get(), phone.get());
        run(ui, api::create_client(input), move |client| {
            close();
            ui.changed();
            ui.go(Route::Client(client.id));
            if contact.trim().is_empty() && email.trim().is_empty() {
                ui.ok(format!("Created {}", client.name));
                return;
            }
            let name = if contact.trim().is_empty() {
                email.clone()
            } else {
                contact
            };
            let input = ContactInput {
                client_id: client.id,
                name,
                emails: vec![email],
                phones: vec![phone],
                ..ContactInput::default()
            };
            run(ui, api::create_contact(input), move |_| {
                ui.ok(format!("Created {}", client.name));
                ui.changed();
            });
        });
    };
    view! {
        <div class="overlay" on:click=move |_| close()>
            <form class="dialog" id="new-client-dialog" on:click=|e| e.stop_propagation() on:submit=move |e| { e.prevent_default(); save(); }>
                <h2>"New client"</h2>
                <Field label="Name" value=name id="client-name" placeholder="Acme Ltd" />
                <Field label="Website" value=website id="client-website" placeholder="https://acme.example" />
                <Field label="Tags" value=tags id="client-tags" placeholder="retainer, referral" />
                <h3>"First contact (optional)"</h3>
                <Field label="Contact name" value=contact id="contact-name" />
                <Field label="Email" value=email id="contact-email" kind="email" />
                <Field label="Phone" value=phone id="contact-phone" kind="tel" />
                <div class="actions">
                    <button type="button" class="button secondary" on:click=move |_| close()>"Cancel"</button>
                    <button type="submit" class="button primary" id="save-client">"Create client"</button>
                </div>
            </form>
        </div>
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

const FIELDS: &[(ImportField, &str)] = &[
    (ImportField::Ignore, "Do not import"),
    (ImportField::ClientName, "Client name"),
    (ImportField::Website, "Website"),
    (ImportField::Tags, "Tags"),
    (ImportField::ClientNotes, "Client notes"),
    (ImportField::ContactName, "Contact name"),
    (ImportField::ContactTitle, "Contact title"),
    (ImportField::Email, "Email"),
    (ImportField::Phone, "Phone"),
];

/// The import preview: what each column means (editable), what each row will do, and the button
/// that imports every row or, while any row has an error, nothing.
#[component]
fn ImportDialog(
    text: String,
    preview: ImportPreview,
    close: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let ui = use_ui();
    let text = StoredValue::new(text);
    let preview = RwSignal::new(preview);
    let remap = move |column: usize, field: ImportField| {
        let mut mapping: Vec<ColumnMapping> = preview.with_untracked(|p| p.mapping.clone());
        mapping[column].field = field;
        run(
            ui,
            api::preview_import(text.get_value(), Some(mapping)),
            move |p| preview.set(p),
        );
    };
    let commit = move |_: leptos::ev::MouseEvent| {
        let mapping = preview.with_untracked(|p| p.mapping.clone());
        run(
            ui,
            api::commit_import(text.get_value(), mapping),
            move |r| {
                close();
                ui.ok(format!(
                    "Imported {} and {}",
                    plural(r.clients_created, "client", "clients"),
                    plural(r.contacts_created, "contact", "contacts")
                ));
                ui.changed();
            },
        );
    };
    let errors = move || preview.with(|p| p.errors);
    view! {
        <div class="overlay" on:click=move |_| close()>
            <div class="dialog wide" id="import-dialog" on:click=|e| e.stop_propagation()>
                <h2>"Import preview"</h2>
                <p id="import-summary">{move || preview.with(|p| format!(
                    "{}, {}, {}",
                    plural(p.clients_to_create, "new client", "new clients"),
                    plural(p.contacts_to_create, "new contact", "new contacts"),
                    plural(p.errors, "row with errors", "rows with errors"),
                ))}</p>
                <div class="mapping">
                    {move || preview.with(|p| p.mapping.clone()).into_iter().enumerate().map(|(i, m)| view! {
                        <label class="field">
                            <span>{m.header.clone()}</span>
                            <select class="mapping-select" on:change=move |e| {
                                let chosen = event_target_value(&e);
                                if let Some((field, _)) = FIELDS.iter().find(|(_, label)| *label == chosen) {
                                    remap(i, *field);
                                }
                            }>
                                {FIELDS.iter().map(|(field, label)| view! { <option selected={*field == m.field}>{*label}</option> }).collect_view()}
                            </select>
                        </label>
                    }).collect_view()}
                </div>
                <div class="import-rows">
                    <table class="table">
                        <tbody>
                            {move || preview.with(|p| p.rows.clone()).into_iter().map(|r| {
                                let (class, text) = match r.outcome {
                                    RowOutcome::NewClient { client, contact } => ("", format!("New client {client}{}", contact.map(|c| format!(" · {c}")).unwrap_or_default())),
                                    RowOutcome::ExistingClient { client, contact } => ("", format!("Add to {client}{}", contact.map(|c| format!(" · {c}")).unwrap_or_default())),
                                    RowOutcome::AlreadyPresent { email } => ("muted", format!("Skip: {email} is already in Cremmy")),
                                    RowOutcome::Error { message } => ("error", message),
                                };
                                view! { <tr class=class><td class="num">{r.row}</td><td>{text}</td></tr> }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
                <div class="actions">
                    <button class="button secondary" on:click=move |_| close()>"Cancel"</button>
                    <button class="button primary" id="commit-import" disabled={move || errors() > 0} on:click=commit
                        title={move || if errors() > 0 { "Fix the rows with errors in your file first: nothing is imported while any row has an error" } else { "" }}>"Import"</button>
                </div>
            </div>
        </div>
    }
}
