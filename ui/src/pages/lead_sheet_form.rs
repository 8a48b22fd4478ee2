//! Integrations → Leads sheet: the Google spreadsheet whose new rows become clients on each sync.

use cremmy_protocol::sync::LeadSheet;
use leptos::prelude::*;

use crate::api;
use crate::ui_state::{run, use_ui};

#[component]
pub fn LeadSheetForm() -> impl IntoView {
    let ui = use_ui();
    let current = LocalResource::new(move || {
        ui.revision.track();
        api::lead_sheet()
    });
    let link = RwSignal::new(String::new());
    let sheet = RwSignal::new("Leads".to_string());
    let save = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        let input = LeadSheet {
            spreadsheet: link.get_untracked(),
            sheet: sheet.get_untracked(),
        };
        run(ui, api::set_lead_sheet(input), move |saved| {
            ui.ok(match saved {
                Some(s) => format!("New rows of \"{}\" become clients on each sync.", s.sheet),
                None => "Lead ingest is off.".to_string(),
            });
            link.set(String::new());
            ui.changed();
        });
    };
    view! {
        <div class="lead-sheet" id="lead-sheet">
            <h3>"Leads sheet"</h3>
            <Transition fallback=|| ()>
                {move || current.get().map(|r| match r {
                    Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                    Ok(None) => view! { <p class="muted small">"Paste a Google Sheets link: rows whose email is new to Cremmy become clients in Lead, and each row is marked Imported (or why not)."</p> }.into_any(),
                    Ok(Some(s)) => view! { <p class="muted small" id="lead-sheet-current">{format!("Reading sheet \"{}\" of spreadsheet {} on each sync.", s.sheet, s.spreadsheet)}</p> }.into_any(),
                })}
            </Transition>
            <form class="inline-row" on:submit=save>
                <input id="lead-sheet-link" placeholder="https://docs.google.com/spreadsheets/d/…" prop:value=move || link.get() on:input=move |e| link.set(event_target_value(&e)) />
                <input id="lead-sheet-name" class="narrow" placeholder="Leads" prop:value=move || sheet.get() on:input=move |e| sheet.set(event_target_value(&e)) />
                <button type="submit" class="button small secondary" id="lead-sheet-save">"Save"</button>
            </form>
        </div>
    }
}
