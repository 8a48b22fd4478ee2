//! Settings: where the data lives, the pipeline stages, theme and shortcuts.

use cremmy_protocol::crm::{Stage, StageKind};
use cremmy_protocol::DatabaseStatus;
use leptos::prelude::*;

use crate::api;
use crate::ui_state::{run, use_ui};

#[component]
pub fn SettingsPage() -> impl IntoView {
    let ui = use_ui();
    let db = expect_context::<DatabaseStatus>();
    let stages = LocalResource::new(move || {
        ui.revision.track();
        api::stages()
    });
    let new_stage = RwSignal::new(String::new());
    let save_interval =
        move |e: leptos::ev::Event| match event_target_value(&e).trim().parse::<u32>() {
            Ok(m) => run(ui, api::set_sync_interval(m), move |s| {
                ui.ok(format!("Sync runs every {} min", s.sync_interval_minutes));
                ui.changed();
            }),
            Err(_) => ui.error(&cremmy_protocol::ApiError {
                code: cremmy_protocol::ErrorCode::InvalidInput,
                message: "sync interval: enter a whole number of minutes".into(),
            }),
        };
    let settings = LocalResource::new(move || {
        ui.revision.track();
        api::settings()
    });
    view! {
        <header class="page-header"><h1>"Settings"</h1></header>
        <section class="card">
            <h2>"Your data"</h2>
            <dl class="facts">
                <dt>"Data folder"</dt><dd id="data-dir">{db.data_dir.clone()}</dd>
                <dt>"Database"</dt><dd>{db.database_path.clone()}</dd>
                <dt>"Schema"</dt><dd>{format!("version {} · journal {}", db.schema_version, db.journal_mode)}</dd>
            </dl>
            <p class="muted small">"Start Cremmy with --data-dir DIR (or CREMMY_DATA_DIR) to use another folder."</p>
        </section>
        <section class="card" id="stages-editor">
            <h2>"Pipeline stages"</h2>
            <Transition fallback=|| ()>
                {move || stages.get().map(|r| match r {
                    Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                    Ok(list) => view! { <StageList stages=list /> }.into_any(),
                })}
            </Transition>
            <form class="inline-row" on:submit=move |e| {
                e.prevent_default();
                run(ui, api::create_stage(new_stage.get(), StageKind::Open), move |s| { new_stage.set(String::new()); ui.ok(format!("Added stage {}", s.name)); ui.changed(); });
            }>
                <input placeholder="New stage name" prop:value=move || new_stage.get() on:input=move |e| new_stage.set(event_target_value(&e)) />
                <button type="submit" class="button small secondary">"Add stage"</button>
            </form>
        </section>
        <section class="card" id="sync-settings">
            <h2>"Sync"</h2>
            <Transition fallback=|| ()>
                {move || settings.get().map(|r| match r {
                    Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                    Ok(s) => view! {
                        <label class="field inline">
                            <span>"Sync every (minutes)"</span>
                            <input id="sync-interval" type="number" min="1" max="1440" value=s.sync_interval_minutes on:change=save_interval />
                        </label>
                        <p class="muted small">"Connected integrations sync on start, on \"Sync now\", and at this interval."</p>
                        <TaskCalendarChoice chosen=s.task_calendar_account />
                        <p class="muted small">"A Google Drive folder for each new client (Cremmy CRM/Clients/<name>) and the proposal draft are default rules: switch them on or off under Automation."</p>
                    }.into_any(),
                })}
            </Transition>
        </section>
        <super::money_settings::MoneySettingsCard />
        <super::lead_score::ScoreSettingsCard />
        <super::automation::AutomationCard />
        <super::webhooks::WebhooksCard />
        <super::desktop_settings::DesktopSettingsCard />
        <super::draft_settings::DraftSettings />
        <super::documents::DocTemplateSettings />
        <super::data_settings::DataSettings />
        <section class="card">
            <h2>"Appearance"</h2>
            <button class="button secondary" on:click=move |_| ui.toggle_theme()>{move || if ui.dark.get() { "Use light theme" } else { "Use dark theme" }}</button>
        </section>
        <section class="card">
            <h2>"Keyboard shortcuts"</h2>
            <crate::shortcuts::ShortcutList />
        </section>
    }
}

#[component]
fn StageList(stages: Vec<Stage>) -> impl IntoView {
    let ui = use_ui();
    let ids: Vec<i64> = stages.iter().map(|s| s.id).collect();
    let last = stages.len().saturating_sub(1);
    view! {
        <ul class="list stages">
            {stages.into_iter().enumerate().map(|(i, s)| {
                let name = RwSignal::new(s.name.clone());
                let id = s.id;
                let swap = {
                    let ids = ids.clone();
                    move |other: usize| {
                        let mut order = ids.clone();
                        order.swap(i, other);
                        run(ui, api::reorder_stages(order), move |_| ui.changed());
                    }
                };
                let swap_up = swap.clone();
                view! {
                    <li class="stage-line">
                        <input prop:value=move || name.get() on:input=move |e| name.set(event_target_value(&e))
                            on:change=move |_| run(ui, api::rename_stage(id, name.get_untracked()), move |_| { ui.ok("Stage renamed"); ui.changed(); }) />
                        <span class="muted small">{format!("{:?}", s.kind).to_lowercase()}</span>
                        <button class="button small secondary" disabled={i == 0} on:click=move |_| swap_up(i - 1) title="Move up">"↑"</button>
                        <button class="button small secondary" disabled={i == last} on:click=move |_| swap(i + 1) title="Move down">"↓"</button>
                        <button class="button small secondary" on:click=move |_| run(ui, api::delete_stage(id), move |_| { ui.ok("Stage deleted"); ui.changed(); })>"Delete"</button>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

/// Where "Add to calendar" puts tasks, when more than one account has a calendar.
#[component]
fn TaskCalendarChoice(chosen: Option<i64>) -> impl IntoView {
    use cremmy_protocol::accounts::{AccountStatus, Feature};
    let ui = use_ui();
    let calendars = LocalResource::new(|| async {
        api::accounts()
            .await
            .map(|all| {
                all.into_iter()
                    .filter(|a| {
                        a.status == AccountStatus::Connected
                            && a.features.contains(&Feature::Calendar)
                    })
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    });
    let choose = move |e: leptos::ev::Event| {
        let id = event_target_value(&e).parse::<i64>().ok();
        run(ui, api::set_task_calendar(id), move |_| {
            ui.ok("Tasks added to the calendar now go there.");
            ui.changed();
        });
    };
    view! {
        {move || calendars.get().filter(|list| list.len() > 1).map(|list| view! {
            <label class="field inline">
                <span>"Tasks go to the calendar of"</span>
                <select id="task-calendar" on:change=choose>
                    <option value="" selected=chosen.is_none()>"The first account with a calendar"</option>
                    {list.into_iter().map(|a| {
                        let id = a.id;
                        view! { <option value=id.to_string() selected=chosen == Some(id)>{format!("{} ({})", a.email, a.provider.display_name())}</option> }
                    }).collect_view()}
                </select>
            </label>
        })}
    }
}
