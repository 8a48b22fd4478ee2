//! The command palette (Ctrl/Cmd+K): search across clients, contacts, deals and activities, and
//! run actions, all from the keyboard.

use cremmy_protocol::crm::{SearchHit, SearchKind};
use leptos::html::Input;
use leptos::prelude::*;

use crate::api;
use crate::format::local_today;
use crate::ui_state::{run, use_ui, Route, Ui};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Action {
    Go(Route),
    NewClient,
    ToggleTheme,
    LoadDemo,
}

const ACTIONS: &[(&str, Action)] = &[
    ("Go to Today", Action::Go(Route::Today)),
    ("Go to Clients", Action::Go(Route::Clients)),
    ("Go to Pipeline", Action::Go(Route::Board)),
    ("Go to Tasks", Action::Go(Route::Tasks)),
    ("Go to Reports", Action::Go(Route::Reports)),
    ("Go to Integrations", Action::Go(Route::Integrations)),
    ("Go to Settings", Action::Go(Route::Settings)),
    ("New client", Action::NewClient),
    ("Toggle light/dark theme", Action::ToggleTheme),
    ("Load demo data", Action::LoadDemo),
];

#[derive(Clone, PartialEq)]
enum Item {
    Action(&'static str, Action),
    Hit(SearchHit),
}

fn perform(ui: Ui, item: &Item) {
    match item {
        Item::Hit(hit) => ui.go(Route::Client(hit.client_id)),
        Item::Action(_, Action::Go(route)) => ui.go(*route),
        Item::Action(_, Action::NewClient) => {
            ui.go(Route::Clients);
            ui.new_client_open.set(true);
        }
        Item::Action(_, Action::ToggleTheme) => {
            ui.toggle_theme();
            ui.palette_open.set(false);
        }
        Item::Action(_, Action::LoadDemo) => {
            ui.palette_open.set(false);
            run(ui, api::load_demo(local_today()), move |n| {
                ui.ok(format!("Loaded {n} demo clients"));
                ui.changed();
            });
        }
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

#[component]
pub fn Palette() -> impl IntoView {
    let ui = use_ui();
    let text = RwSignal::new(String::new());
    let hits = RwSignal::new(Vec::<SearchHit>::new());
    let selected = RwSignal::new(0usize);
    let sequence = RwSignal::new(0u64);
    let input = NodeRef::<Input>::new();
    Effect::new(move || {
        if let Some(el) = input.get() {
            let _ = el.focus();
        }
    });
    let items = Memo::new(move |_| {
        let t = text.get().to_lowercase();
        let mut items: Vec<Item> = ACTIONS
            .iter()
            .filter(|(label, _)| t.is_empty() || label.to_lowercase().contains(t.trim()))
            .map(|&(label, a)| Item::Action(label, a))
            .collect();
        if !t.trim().is_empty() {
            items.splice(0..0, hits.get().into_iter().map(Item::Hit));
        }
        items
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
                    placeholder="Search clients, contacts, deals, activities — or type a command"
                    autocomplete="off"
                    on:input=on_input
                    on:keydown=on_key
                />
                <ul class="palette-items" role="listbox">
                    {move || items.get().into_iter().enumerate().map(|(i, item)| {
                        let label = match &item {
                            Item::Action(label, _) => view! { <span class="kind">"Action"</span><span class="title">{*label}</span> }.into_any(),
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
