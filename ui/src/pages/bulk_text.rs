//! "Text these clients" on the clients list (its tag, or else the clients its search found): the message, a
//! preview per recipient with who is skipped and why, then the send, paced, with a progress bar
//! and a summary. Each text lands on its client's timeline.

use std::time::Duration;

use cremmy_protocol::sms::{Audience, BulkProgress, BulkText};
use leptos::prelude::*;

use crate::api;
use crate::ui_state::use_ui;

#[component]
pub fn BulkTextDialog(title: String, audience: Audience, open: RwSignal<bool>) -> impl IntoView {
    let ui = use_ui();
    let body = RwSignal::new(String::new());
    // The preview asks the backend about every recipient: it follows the message once typing
    // pauses, not at every key.
    let settled = RwSignal::new(String::new());
    let typed = RwSignal::new(0u64);
    let on_input = move |text: String| {
        body.set(text.clone());
        let mine = typed.get_untracked() + 1;
        typed.set(mine);
        set_timeout(
            move || {
                if typed.get_untracked() == mine {
                    settled.set(text);
                }
            },
            Duration::from_millis(250),
        );
    };
    let progress: RwSignal<Option<BulkProgress>> = RwSignal::new(None);
    let request = {
        let audience = audience.clone();
        move || BulkText {
            audience: audience.clone(),
            body: settled.get(),
            channel: Default::default(),
        }
    };
    let preview = LocalResource::new(move || api::bulk_text_preview(request()));
    // While a batch runs, its progress is asked for every 700 ms until nothing is pending.
    if let Ok(handle) = set_interval_with_handle(
        move || {
            let Some(batch) = progress.get_untracked().filter(|p| p.pending > 0) else {
                return;
            };
            leptos::task::spawn_local(async move {
                if let Ok(p) = api::bulk_text_progress(batch.batch).await {
                    if p.pending == 0 {
                        ui.changed();
                    }
                    progress.set(Some(p));
                }
            });
        },
        Duration::from_millis(700),
    ) {
        on_cleanup(move || handle.clear());
    }
    let start = move |_| {
        let request = BulkText {
            audience: audience.clone(),
            body: body.get_untracked(),
            channel: Default::default(),
        };
        leptos::task::spawn_local(async move {
            match api::start_bulk_text(request).await {
                Ok(p) => progress.set(Some(p)),
                Err(e) => ui.error(&e),
            }
        });
    };
    let sendable = move || preview.get().and_then(Result::ok).map_or(0, |p| p.sendable);
    view! {
        <div class="overlay" on:click=move |_| open.set(false)>
            <div class="dialog wide" id="bulk-text" on:click=|e| e.stop_propagation()>
                <h2>{title}</h2>
                <label class="field"><span>"Message"</span>
                    <textarea id="bulk-body" rows="4" placeholder="Hi {{contact_first_name}}, …" prop:value=move || body.get() on:input=move |e| on_input(event_target_value(&e))></textarea>
                </label>
                {move || match progress.get() {
                    Some(p) => view! {
                        <div class="bulk-progress" id="bulk-progress">
                            <progress max=p.total value=p.sent + p.failed></progress>
                            <p id="bulk-summary">{format!("{} sent · {} failed · {} skipped{}", p.sent, p.failed, p.skipped,
                                if p.pending > 0 { format!(" · {} to go", p.pending) } else { " · done".to_string() })}</p>
                        </div>
                    }.into_any(),
                    None => view! {
                        {move || preview.get().map(|r| match r {
                            Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                            Ok(p) => view! {
                                <p class="small" id="bulk-counts">{format!("{} to text, {} skipped (about {} s at the sender's pace)", p.sendable, p.skipped, p.seconds)}</p>
                                <table class="bulk-recipients" id="bulk-recipients">
                                    <tbody>
                                        {p.recipients.into_iter().map(|r| {
                                            let skipped = r.skipped.is_some();
                                            view! {
                                                <tr class="recipient" class:skipped=skipped>
                                                    <td>{r.client_name}</td>
                                                    <td>{r.to.unwrap_or_else(|| "—".into())}</td>
                                                    <td class="small">{r.skipped.map(|w| format!("Skipped: {w}")).unwrap_or(r.body)}</td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            }.into_any(),
                        })}
                    }.into_any(),
                }}
                <div class="actions">
                    <button class="button secondary" id="bulk-close" on:click=move |_| open.set(false)>"Close"</button>
                    <button class="button primary" id="bulk-send" disabled=move || progress.get().is_some() || sendable() == 0 on:click=start>
                        {move || format!("Send to {}", sendable())}
                    </button>
                </div>
            </div>
        </div>
    }
}
