//! The command palette (Ctrl/Cmd+K): every action of the app, recent clients first, and search
//! across clients, contacts, deals (by name or stage) and activities, all from the keyboard.
//! Actions on the open client (new deal, note, email, text) appear while its page is open.

use cremmy_protocol::crm::{Id, SearchHit, SearchKind};
use cremmy_protocol::sync::SyncRequest;
use leptos::html::Input;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::api;
use crate::format::local_today;
use crate::ui_state::{run, use_ui, Route, Ui};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Action {
    Go(Route),
    NewClient,
    NewTask,
    SyncNow,
    ExportSheets,
    ConnectGoogle,
    ConnectTwilio,
    Shortcuts,
    ToggleTheme,
    LoadDemo,
    /// On the open client's page.
    NewDeal,
    NewNote,
    Email,
    Text,
}

const ACTIONS: &[(&str, Action)] = &[
    ("Go to Today", Action::Go(Route::Today)),
    ("Go to Clients", Action::Go(Route::Clients)),
    ("Go to Pipeline", Action::Go(Route::Board)),
    ("Go to Tasks", Action::Go(Route::Tasks)),
    ("Go to Reports", Action::Go(Route::Reports)),
    ("Go to Integrations", Action::Go(Route::Integrations)),
    ("Go to Settings", Action::Go(Route::Settings)),
    ("Go to Sync history", Action::Go(Route::SyncHistory)),
    ("New client", Action::NewClient),
    ("New task", Action::NewTask),
    ("Sync now", Action::SyncNow),
    ("Export pipeline to Google Sheets", Action::ExportSheets),
    ("Connect Google", Action::ConnectGoogle),
    ("Connect Twilio", Action::ConnectTwilio),
    ("Keyboard shortcuts", Action::Shortcuts),
    ("Toggle light/dark theme", Action::ToggleTheme),
    ("Load demo data", Action::LoadDemo),
];

/// Actions on the open client, with its name in the label.
fn client_actions(name: &str) -> Vec<(String, Action)> {
    vec![
        (format!("New deal for {name}"), Action::NewDeal),
        (format!("Log a note on {name}"), Action::NewNote),
        (format!("Email {name}"), Action::Email),
        (format!("Text {name} (SMS/WhatsApp)"), Action::Text),
    ]
}

#[derive(Clone, PartialEq)]
enum Item {
    Action(String, Action),
    Recent(Id, String),
    Hit(SearchHit),
}

/// What to do with an element once the page it is on has rendered.
#[derive(Clone, Copy)]
enum Then {
    Click,
    Focus,
}

/// Clicks or focuses `selector` once the page it is on has rendered (the page may still be
/// loading: it looks again every 100 ms for 3 s); says why when it cannot (a disabled button's
/// title explains itself).
fn then_on(ui: Ui, selector: &'static str, then: Then) {
    then_on_within(ui, selector, then, 30);
}

fn then_on_within(ui: Ui, selector: &'static str, then: Then, tries: u32) {
    set_timeout(
        move || {
            let element = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.query_selector(selector).ok().flatten())
                .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
            let Some(element) = element else {
                if tries > 1 {
                    return then_on_within(ui, selector, then, tries - 1);
                }
                return ui.error(&cremmy_protocol::ApiError {
                    code: cremmy_protocol::ErrorCode::InvalidInput,
                    message: "That is not available on this page.".into(),
                });
            };
            if element.has_attribute("disabled") {
                let why = element.title();
                return ui.error(&cremmy_protocol::ApiError {
                    code: cremmy_protocol::ErrorCode::InvalidInput,
                    message: if why.is_empty() {
                        "That is not available right now.".into()
                    } else {
                        why
                    },
                });
            }
            match then {
                Then::Click => element.click(),
                Then::Focus => {
                    let _ = element.focus();
                }
            }
        },
        std::time::Duration::from_millis(100),
    );
}

fn perform(ui: Ui, item: &Item) {
    ui.palette_open.set(false);
    let action = match item {
        Item::Hit(hit) => return ui.go(Route::Client(hit.client_id)),
        Item::Recent(id, _) => return ui.go(Route::Client(*id)),
        Item::Action(_, action) => *action,
    };
    match action {
        Action::Go(route) => ui.go(route),
        Action::NewClient => {
            ui.go(Route::Clients);
            ui.new_client_open.set(true);
        }
        Action::NewTask => {
            ui.go(Route::Tasks);
            then_on(ui, "#task-title", Then::Focus);
        }
        Action::SyncNow => {
            ui.ok("Syncing…");
            run(ui, api::sync_now(SyncRequest::default()), move |runs| {
                crate::pages::integrations::report_sync(ui, &runs);
                ui.changed();
            });
        }
        Action::ExportSheets => {
            leptos::task::spawn_local(crate::pages::board::export_to_sheets(ui));
        }
        Action::ConnectGoogle => {
            ui.go(Route::Integrations);
            then_on(ui, ".integration.google .connect", Then::Click);
        }
        Action::ConnectTwilio => {
            ui.go(Route::Integrations);
            then_on(ui, "#twilio-account-sid", Then::Focus);
        }
        Action::Shortcuts => ui.shortcuts_open.set(true),
        Action::ToggleTheme => ui.toggle_theme(),
        Action::LoadDemo => run(ui, api::load_demo(local_today()), move |n| {
            ui.ok(format!("Loaded {n} demo clients"));
            ui.changed();
        }),
        Action::NewDeal => then_on(ui, "#add-deal", Then::Click),
        Action::NewNote => then_on(ui, "#note-body", Then::Focus),
        Action::Email => then_on(ui, "#send-email", Then::Click),
        Action::Text => then_on(ui, "#send-sms", Then::Click),
    }
}

fn kind_label(kind: SearchKind) -> &'static str {
    match kind {
        SearchKind::Client => "Client",
        SearchKind::Contact => "Contact",
        SearchKind::Deal => "Deal",
        SearchKind::Activity => "Activity",
    }
}

/// The palette's list: with no query, recent clients then every action; with one, search hits
/// (those of recently opened clients first), then recent clients and actions that match.
fn list(
    query: &str,
    hits: Vec<SearchHit>,
    recent: &[(Id, String)],
    open_client: Option<(Id, String)>,
) -> Vec<Item> {
    let q = query.trim().to_lowercase();
    let matches = |label: &str| q.is_empty() || label.to_lowercase().contains(&q);
    let mut actions: Vec<(String, Action)> = open_client
        .map(|(_, name)| client_actions(&name))
        .unwrap_or_default();
    actions.extend(ACTIONS.iter().map(|(l, a)| (l.to_string(), *a)));
    let recency = |client: Id| {
        recent
            .iter()
            .position(|(id, _)| *id == client)
            .unwrap_or(usize::MAX)
    };
    let mut items = Vec::new();
    if !q.is_empty() {
        let mut hits = hits;
        hits.sort_by_key(|h| recency(h.client_id));
        items.extend(hits.into_iter().map(Item::Hit));
    }
    let shown: Vec<Id> = items
        .iter()
        .filter_map(|i| match i {
            Item::Hit(h) if h.kind == SearchKind::Client => Some(h.client_id),
            _ => None,
        })
        .collect();
    items.extend(
        recent
            .iter()
            .filter(|(id, name)| matches(name) && !shown.contains(id))
            .map(|(id, name)| Item::Recent(*id, name.clone())),
    );
    items.extend(
        actions
            .into_iter()
            .filter(|(l, _)| matches(l))
            .map(|(l, a)| Item::Action(l, a)),
    );
    items
}

#[component]
pub fn Palette() -> impl IntoView {
    let ui = use_ui();
    let text = RwSignal::new(String::new());
    let hits = RwSignal::new(Vec::<SearchHit>::new());
    let selected = RwSignal::new(0usize);
    let sequence = RwSignal::new(0u64);
    let input = NodeRef::<Input>::new();
    let open_client = ui.open_client();
    Effect::new(move || {
        if let Some(el) = input.get() {
            let _ = el.focus();
        }
    });
    let items = Memo::new(move |_| {
        list(
            &text.get(),
            hits.get(),
            &ui.recent.get(),
            open_client.clone(),
        )
    });
    let on_input = move |ev| {
        let value = event_target_value(&ev);
        text.set(value.clone());
        selected.set(0);
        let seq = sequence.get_untracked() + 1;
        sequence.set(seq);
        if value.trim().is_empty() {
            hits.set(Vec::new());
            return;
        }
        leptos::task::spawn_local(async move {
            let result = api::search(value).await;
            // Answers can arrive out of order; only the newest query's answer counts.
            if sequence.get_untracked() == seq {
                match result {
                    Ok(found) => hits.set(found),
                    Err(e) => ui.error(&e),
                }
            }
        });
    };
    let on_key = move |e: web_sys::KeyboardEvent| {
        let count = items.with_untracked(Vec::len);
        match e.key().as_str() {
            "ArrowDown" => {
                e.prevent_default();
                selected.update(|s| *s = (*s + 1).min(count.saturating_sub(1)));
            }
            "ArrowUp" => {
                e.prevent_default();
                selected.update(|s| *s = s.saturating_sub(1));
            }
            "Enter" => {
                e.prevent_default();
                if let Some(item) =
                    items.with_untracked(|i| i.get(selected.get_untracked()).cloned())
                {
                    perform(ui, &item);
                }
            }
            "Escape" => ui.palette_open.set(false),
            _ => {}
        }
    };
    view! {
        <div class="overlay" on:click=move |_| ui.palette_open.set(false)>
            <div class="palette" role="dialog" aria-label="Command palette" on:click=|e| e.stop_propagation()>
                <input
                    node_ref=input
                    id="palette-input"
                    placeholder="Search clients, contacts, deals, stages, activities, or type a command"
                    autocomplete="off"
                    on:input=on_input
                    on:keydown=on_key
                />
                <ul class="palette-items" role="listbox">
                    {move || items.get().into_iter().enumerate().map(|(i, item)| {
                        let label = match &item {
                            Item::Action(label, _) => view! { <span class="kind">"Action"</span><span class="title">{label.clone()}</span> }.into_any(),
                            Item::Recent(_, name) => view! { <span class="kind">"Recent"</span><span class="title">{name.clone()}</span> }.into_any(),
                            Item::Hit(hit) => view! {
                                <span class="kind">{kind_label(hit.kind)}</span>
                                <span class="title">{hit.title.clone()}</span>
                                <span class="context">{hit.client_name.clone()}</span>
                                <span class="snippet">{hit.snippet.clone()}</span>
                            }.into_any(),
                        };
                        let item_for_click = item.clone();
                        view! {
                            <li
                                role="option"
                                class="palette-item"
                                class:selected=move || selected.get() == i
                                aria-selected=move || (selected.get() == i).to_string()
                                on:mouseenter=move |_| selected.set(i)
                                on:click=move |_| perform(ui, &item_for_click)
                            >
                                {label}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </div>
        </div>
    }
}
