//! Small form pieces shared by the pages.

use leptos::prelude::*;

/// A labelled text input bound to a signal.
#[component]
pub fn Field(
    label: &'static str,
    value: RwSignal<String>,
    #[prop(optional)] id: &'static str,
    #[prop(optional)] placeholder: &'static str,
    #[prop(optional)] kind: &'static str,
) -> impl IntoView {
    view! {
        <label class="field">
            <span>{label}</span>
            <input
                id=id
                type=if kind.is_empty() { "text" } else { kind }
                placeholder=placeholder
                prop:value=move || value.get()
                on:input=move |e| value.set(event_target_value(&e))
            />
        </label>
    }
}

/// Splits "a, b; c" into trimmed non-empty parts.
pub fn split_list(text: &str) -> Vec<String> {
    text.split([',', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}
