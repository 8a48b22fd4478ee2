//! What automation rules did and would do: a rule's history, and the form's dry run.

use cremmy_protocol::automation::DryRun;
use cremmy_protocol::crm::Id;
use leptos::prelude::*;

use crate::api;
use crate::format;
use crate::ui_state::use_ui;

#[component]
pub fn RuleHistory(id: Id) -> impl IntoView {
    let ui = use_ui();
    let runs = LocalResource::new(move || {
        ui.revision.track();
        api::rule_runs(id)
    });
    view! {
        <div id="rule-history">
            <h3>"History"</h3>
            <Transition fallback=|| ()>
                {move || runs.get().map(|r| match r {
                    Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="muted">"It has not acted yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <table class="table">
                            <thead><tr><th>"Event"</th><th>"Client"</th><th>"Due"</th><th>"Outcome"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|run| view! {
                                    <tr class="rule-run">
                                        <td>{format!("{} · {}", run.event.label(), format::datetime(run.occurred_at))}</td>
                                        <td>{run.client_name.clone().unwrap_or_default()}</td>
                                        <td class="small">{format::datetime(run.due_at)}</td>
                                        <td class="small">{format!("{:?}: {}", run.status, run.detail)}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                })}
            </Transition>
        </div>
    }
}

#[component]
pub fn DryRunResult(dry: DryRun) -> impl IntoView {
    let seen = dry.events_seen;
    view! {
        <div id="dry-run" class="notice">
            <p>{format!("Over the last 30 days, {} of {seen} such events would have set it off (judged on today's data). Nothing was written.", dry.would.len())}</p>
            <ul>
                {dry.would.into_iter().map(|w| view! {
                    <li class="would">{format!("{} · {}: {}", format::datetime(w.occurred_at), w.client_name.unwrap_or_default(), w.actions.join("; "))}</li>
                }).collect_view()}
            </ul>
        </div>
    }
}
