//! Settings → Webhooks: where Cremmy pushes events (Zapier, Make, n8n, your own server), each
//! endpoint's signing secret (shown once), and its push log with "Send test event" and
//! "Redeliver".

use cremmy_protocol::crm::Id;
use cremmy_protocol::kinds::EventKind;
use cremmy_protocol::webhooks::{WebhookEndpoint, WebhookEndpointInput};
use leptos::prelude::*;

use crate::api;
use crate::format;
use crate::ui_state::{run, use_ui, Ui};

#[component]
pub fn WebhooksCard() -> impl IntoView {
    let ui = use_ui();
    let endpoints = LocalResource::new(move || {
        ui.revision.track();
        api::webhook_endpoints()
    });
    // The secret of the endpoint just made or rotated: shown until the card is left.
    let secret = RwSignal::new(None::<(String, String)>);
    let log_of = RwSignal::new(None::<Id>);
    view! {
        <section class="card" id="webhooks">
            <h2>"Webhooks"</h2>
            <p class="muted small">"Cremmy sends the events you choose to these addresses, signed as Standard Webhooks describes (webhook-id, webhook-timestamp, webhook-signature). Failed deliveries are retried for about three days."</p>
            {move || secret.get().map(|(url, s)| view! {
                <div class="notice" id="webhook-secret-box">
                    <p>{format!("Signing secret for {url}. Copy it into the receiver now: Cremmy will not show it again.")}</p>
                    <code id="webhook-secret">{s}</code>
                    <button class="button small secondary" on:click=move |_| secret.set(None)>"Done"</button>
                </div>
            })}
            <Transition fallback=|| ()>
                {move || endpoints.get().map(|r| match r {
                    Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="muted" id="no-webhooks">"No endpoints yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <table class="table" id="webhook-endpoints">
                            <thead><tr><th>"URL"</th><th>"Events"</th><th>"State"</th><th></th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|e| view! { <EndpointRow endpoint=e secret log_of /> }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                })}
            </Transition>
            {move || log_of.get().map(|id| view! { <PushLog endpoint_id=id /> })}
            <NewEndpoint secret />
        </section>
    }
}

fn labels(events: &[EventKind]) -> String {
    events
        .iter()
        .map(|e| e.label())
        .collect::<Vec<_>>()
        .join(", ")
}

#[component]
fn EndpointRow(
    endpoint: WebhookEndpoint,
    secret: RwSignal<Option<(String, String)>>,
    log_of: RwSignal<Option<Id>>,
) -> impl IntoView {
    let ui = use_ui();
    let id = endpoint.id;
    let state = if endpoint.active {
        match endpoint.consecutive_failures {
            0 => "Active".to_string(),
            n => format!("Active · {n} failed in a row"),
        }
    } else {
        format!(
            "Off: {}",
            endpoint
                .disabled_reason
                .clone()
                .unwrap_or_else(|| "switched off".into())
        )
    };
    let toggle_input = WebhookEndpointInput {
        url: endpoint.url.clone(),
        events: endpoint.events.clone(),
        active: !endpoint.active,
        auth_header: None,
    };
    let url = endpoint.url.clone();
    view! {
        <tr class="webhook-endpoint" data-id=id.to_string()>
            <td class="url">{endpoint.url.clone()}</td>
            <td class="small">{labels(&endpoint.events)}</td>
            <td class="small state">{state}</td>
            <td class="actions">
                <button class="button small secondary push-log" on:click=move |_| log_of.set(Some(id))>"Push log"</button>
                <button class="button small secondary send-test" on:click=move |_| send_test(ui, id, log_of)>"Send test event"</button>
                <button class="button small secondary rotate" on:click=move |_| {
                    let url = url.clone();
                    run(ui, api::rotate_webhook_secret(id), move |s| {
                        secret.set(Some((url, s.secret)));
                        ui.ok("New secret made; the old one keeps signing for a day");
                        ui.changed();
                    })
                }>"Rotate secret"</button>
                <button class="button small secondary toggle" on:click=move |_| {
                    let on = toggle_input.active;
                    run(ui, api::update_webhook_endpoint(id, toggle_input.clone()), move |_| {
                        ui.ok(if on { "Endpoint switched on" } else { "Endpoint switched off" });
                        ui.changed();
                    })
                }>{if endpoint.active { "Switch off" } else { "Switch on" }}</button>
                <button class="button small secondary delete" on:click=move |_| run(ui, api::delete_webhook_endpoint(id), move |_| {
                    log_of.set(None);
                    ui.ok("Endpoint deleted");
                    ui.changed();
                })>"Delete"</button>
            </td>
        </tr>
    }
}

fn send_test(ui: Ui, id: Id, log_of: RwSignal<Option<Id>>) {
    leptos::task::spawn_local(async move {
        match api::send_test_webhook(id).await {
            Ok(status) => ui.ok(format!("Test event delivered (HTTP {status})")),
            Err(e) => ui.error(&e),
        }
        log_of.set(Some(id));
        ui.changed();
    });
}

#[component]
fn PushLog(endpoint_id: Id) -> impl IntoView {
    let ui = use_ui();
    let attempts = LocalResource::new(move || {
        ui.revision.track();
        api::webhook_attempts(endpoint_id)
    });
    view! {
        <div id="push-log">
            <h3>"Push log"</h3>
            <Transition fallback=|| ()>
                {move || attempts.get().map(|r| match r {
                    Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="muted">"Nothing sent yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <table class="table">
                            <thead><tr><th>"When"</th><th>"Event"</th><th>"Answer"</th><th>"Time"</th><th>"Details"</th><th></th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|a| {
                                    let id = a.id;
                                    let answer = a.status.map(|s| format!("HTTP {s}")).unwrap_or_else(|| "no answer".into());
                                    let detail = a.error.clone().unwrap_or_else(|| a.response_excerpt.clone());
                                    view! {
                                        <tr class="attempt">
                                            <td class="small">{format::datetime(a.attempted_at)}</td>
                                            <td>{a.event.label()}</td>
                                            <td class="status">{answer}</td>
                                            <td class="small">{format!("{} ms", a.duration_ms)}</td>
                                            <td class="small">
                                                <span>{detail}</span>
                                                <details><summary>"Payload"</summary><pre class="payload">{a.payload.clone()}</pre></details>
                                            </td>
                                            <td><button class="button small secondary redeliver" on:click=move |_| run(ui, api::redeliver_webhook(id), move |status| {
                                                ui.ok(format!("Redelivered (HTTP {status})"));
                                                ui.changed();
                                            })>"Redeliver"</button></td>
                                        </tr>
                                    }
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
fn NewEndpoint(secret: RwSignal<Option<(String, String)>>) -> impl IntoView {
    let ui = use_ui();
    let url = RwSignal::new(String::new());
    let auth = RwSignal::new(String::new());
    let chosen = RwSignal::new(vec![EventKind::DealWon, EventKind::MeetingBooked]);
    let add = move || {
        let input = WebhookEndpointInput {
            url: url.get_untracked(),
            events: chosen.get_untracked(),
            active: true,
            auth_header: Some(auth.get_untracked()).filter(|a| !a.trim().is_empty()),
        };
        run(ui, api::create_webhook_endpoint(input), move |made| {
            secret.set(Some((made.endpoint.url.clone(), made.secret)));
            url.set(String::new());
            auth.set(String::new());
            ui.ok("Endpoint added");
            ui.changed();
        });
    };
    view! {
        <form id="new-webhook" on:submit=move |e| { e.prevent_default(); add(); }>
            <h3>"Add an endpoint"</h3>
            <label class="field"><span>"URL (https)"</span>
                <input id="webhook-url" placeholder="https://hooks.zapier.com/hooks/catch/…" prop:value=move || url.get() on:input=move |e| url.set(event_target_value(&e)) />
            </label>
            <fieldset class="events">
                <legend>"Events"</legend>
                {EventKind::subscribable().map(|kind| view! {
                    <label class="check">
                        <input type="checkbox" id=format!("webhook-event-{}", kind.as_str())
                            prop:checked=move || chosen.get().contains(&kind)
                            on:change=move |e| {
                                let on = event_target_checked(&e);
                                chosen.update(|c| {
                                    c.retain(|k| *k != kind);
                                    if on { c.push(kind); }
                                });
                            } />
                        {kind.label()}
                    </label>
                }).collect_view()}
            </fieldset>
            <label class="field"><span>"Authorization header (optional, kept in the keychain)"</span>
                <input id="webhook-auth" type="password" autocomplete="off" placeholder="Bearer …" prop:value=move || auth.get() on:input=move |e| auth.set(event_target_value(&e)) />
            </label>
            <button type="submit" class="button small" id="add-webhook">"Add endpoint"</button>
        </form>
    }
}
