//! The clients list's power tools: the selection bar (tag, untag, archive, restore, export, text
//! the selected clients), saved filters, and the choice of columns (kept on this machine).

use cremmy_protocol::crm::{BulkClientAction, BulkClientEdit, ClientQuery, Id, SavedFilter};
use cremmy_protocol::sms::Audience;
use leptos::prelude::*;

use crate::api;
use crate::ui_state::{run, use_ui};

/// Optional columns of the clients table (the name is always shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Score,
    Contact,
    Tags,
    OpenDeals,
    Updated,
    Added,
}

impl Column {
    pub const ALL: [Column; 6] = [
        Column::Score,
        Column::Contact,
        Column::Tags,
        Column::OpenDeals,
        Column::Updated,
        Column::Added,
    ];
    pub fn label(self) -> &'static str {
        match self {
            Column::Score => "Score",
            Column::Contact => "Primary contact",
            Column::Tags => "Tags",
            Column::OpenDeals => "Open deals",
            Column::Updated => "Updated",
            Column::Added => "Added",
        }
    }
    fn key(self) -> &'static str {
        match self {
            Column::Score => "score",
            Column::Contact => "contact",
            Column::Tags => "tags",
            Column::OpenDeals => "open_deals",
            Column::Updated => "updated",
            Column::Added => "added",
        }
    }
}

const COLUMNS_KEY: &str = "cremmy-client-columns";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The columns chosen last time with this database (all but "Added" at first).
pub fn stored_columns() -> Vec<Column> {
    let key = use_ui().key(COLUMNS_KEY);
    match storage().and_then(|s| s.get_item(&key).ok().flatten()) {
        Some(text) => Column::ALL
            .into_iter()
            .filter(|c| text.split(',').any(|k| k == c.key()))
            .collect(),
        None => Column::ALL
            .into_iter()
            .filter(|c| *c != Column::Added)
            .collect(),
    }
}

fn store_columns(key: &str, columns: &[Column]) {
    if let Some(s) = storage() {
        let text: Vec<&str> = columns.iter().map(|c| c.key()).collect();
        let _ = s.set_item(key, &text.join(","));
    }
}

/// "Columns" menu: a checkbox per optional column.
#[component]
pub fn ColumnsMenu(columns: RwSignal<Vec<Column>>) -> impl IntoView {
    let key = use_ui().key(COLUMNS_KEY);
    view! {
        <details class="menu" id="columns-menu">
            <summary class="button secondary">"Columns"</summary>
            <div class="menu-body">
                {Column::ALL.into_iter().map(|c| { let key = key.clone(); view! {
                    <label class="check" data-column=c.key()>
                        <input type="checkbox" prop:checked=move || columns.get().contains(&c) on:change=move |e| {
                            let on = event_target_checked(&e);
                            columns.update(|list| {
                                list.retain(|x| *x != c);
                                if on {
                                    list.push(c);
                                    list.sort_by_key(|x| Column::ALL.iter().position(|y| y == x));
                                }
                                store_columns(&key, list);
                            });
                        } />
                        {c.label()}
                    </label>
                }}).collect_view()}
            </div>
        </details>
    }
}

/// Shown while clients are selected: what to do with them.
#[component]
pub fn SelectionBar(
    selected: RwSignal<Vec<Id>>,
    texting: RwSignal<bool>,
    audience: RwSignal<Option<Audience>>,
) -> impl IntoView {
    let ui = use_ui();
    let tag = RwSignal::new(String::new());
    let edit = move |action: BulkClientAction, done: &'static str| {
        let input = BulkClientEdit {
            client_ids: selected.get_untracked(),
            action,
        };
        run(ui, api::edit_clients(input), move |n| {
            ui.ok(format!("{done}: {n} changed"));
            ui.changed();
        });
    };
    view! {
        <div class="selection-bar" id="selection-bar">
            <strong id="selection-count">{move || format!("{} selected", selected.get().len())}</strong>
            <input id="bulk-tag" placeholder="Tag" size="12" prop:value=move || tag.get() on:input=move |e| tag.set(event_target_value(&e)) />
            <button class="button small secondary" id="bulk-add-tag" on:click=move |_| edit(BulkClientAction::AddTag { tag: tag.get_untracked() }, "Tagged")>"Add tag"</button>
            <button class="button small secondary" id="bulk-remove-tag" on:click=move |_| edit(BulkClientAction::RemoveTag { tag: tag.get_untracked() }, "Untagged")>"Remove tag"</button>
            <button class="button small secondary" id="bulk-archive" on:click=move |_| edit(BulkClientAction::Archive, "Archived")>"Archive"</button>
            <button class="button small secondary" id="bulk-restore" on:click=move |_| edit(BulkClientAction::Restore, "Restored")>"Restore"</button>
            <button class="button small secondary" id="bulk-export" on:click=move |_| run(ui, api::export_clients(selected.get_untracked()), move |made| {
                ui.ok(format!("Exported {} clients to {}", made.rows, made.path));
            })>"Export CSV"</button>
            <button class="button small secondary" id="bulk-text" on:click=move |_| {
                audience.set(Some(Audience { client_ids: selected.get_untracked(), ..Audience::default() }));
                texting.set(true);
            }>"Text them"</button>
            <button class="link-button" id="bulk-clear" on:click=move |_| selected.set(Vec::new())>"Clear selection"</button>
        </div>
    }
}

/// A query as a filter: where the list starts and its page size do not matter.
fn as_filter(mut q: ClientQuery) -> ClientQuery {
    q.offset = 0;
    q.limit = 0;
    q
}

/// Saved filters: choose one to apply it; save the current one under a name; delete. The menu
/// shows the saved filter the list is showing, if any.
#[component]
pub fn SavedFilters(current: Signal<ClientQuery>, apply: Callback<ClientQuery>) -> impl IntoView {
    let ui = use_ui();
    let filters = RwSignal::new(Vec::<SavedFilter>::new());
    let chosen = Memo::new(move |_| {
        let q = as_filter(current.get());
        filters.with(|list| {
            list.iter()
                .find(|f| as_filter(f.query.clone()) == q)
                .map(|f| f.name.clone())
                .unwrap_or_default()
        })
    });
    let naming = RwSignal::new(None::<String>);
    run(ui, api::saved_filters(), move |list| filters.set(list));
    let save = move || {
        let name = naming.get_untracked().unwrap_or_default();
        run(
            ui,
            api::save_filter(SavedFilter {
                name: name.clone(),
                query: current.get_untracked(),
            }),
            move |list| {
                filters.set(list);
                naming.set(None);
                ui.ok("Filter saved");
            },
        );
    };
    view! {
        <select id="saved-filter" prop:value=move || chosen.get() on:change=move |e| {
            let name = event_target_value(&e);
            if let Some(f) = filters.get_untracked().into_iter().find(|f| f.name == name) {
                apply.run(f.query);
            }
        }>
            <option value="">"Saved filters"</option>
            {move || filters.get().into_iter().map(|f| { let n = f.name.clone(); view! { <option value=f.name.clone() prop:selected=move || chosen.get() == n>{f.name.clone()}</option> } }).collect_view()}
        </select>
        {move || match naming.get() {
            None => view! {
                <button class="button small secondary" id="save-filter" on:click=move |_| naming.set(Some(String::new()))>"Save filter"</button>
                {(!chosen.get().is_empty()).then(|| view! {
                    <button class="button small secondary" id="delete-filter" on:click=move |_| run(ui, api::delete_filter(chosen.get_untracked()), move |list| {
                        filters.set(list);
                        ui.ok("Filter deleted");
                    })>"Delete filter"</button>
                })}
            }.into_any(),
            Some(_) => view! {
                <form class="inline-row" on:submit=move |e| { e.prevent_default(); save(); }>
                    <input id="filter-name" placeholder="Name this filter" on:input=move |e| naming.set(Some(event_target_value(&e))) />
                    <button type="submit" class="button small" id="save-filter-confirm">"Save"</button>
                </form>
            }.into_any(),
        }}
    }
}
