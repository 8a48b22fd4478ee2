//! The keyboard shortcuts: one list, shown by the "?" overlay and in Settings.

use leptos::prelude::*;

use crate::ui_state::use_ui;

pub const SHORTCUTS: &[(&str, &str)] = &[
    (
        "Ctrl/⌘ K",
        "Search and every command (recent clients first)",
    ),
    ("Ctrl/⌘ N", "New client"),
    (
        "Alt 1–8",
        "Today, Clients, Pipeline, Tasks, Reports, Integrations, Settings, Sync history",
    ),
    ("?", "This list"),
    ("↑ ↓ Enter", "Choose in the palette"),
    ("Space, arrows", "Lift and move a focused deal on the board"),
    ("Esc", "Close the palette, a dialog or this list"),
];

#[component]
pub fn ShortcutList() -> impl IntoView {
    view! {
        <dl class="facts shortcuts">
            {SHORTCUTS.iter().map(|(keys, what)| view! { <dt><kbd>{*keys}</kbd></dt><dd>{*what}</dd> }).collect_view()}
        </dl>
    }
}

/// The "?" overlay.
#[component]
pub fn ShortcutsOverlay() -> impl IntoView {
    let ui = use_ui();
    view! {
        <div class="overlay" on:click=move |_| ui.shortcuts_open.set(false)>
            <div class="palette shortcuts-dialog" id="shortcuts" role="dialog" aria-label="Keyboard shortcuts" on:click=|e| e.stop_propagation()>
                <h2>"Keyboard shortcuts"</h2>
                <ShortcutList />
            </div>
        </div>
    }
}
