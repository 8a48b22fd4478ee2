//! The window's frame: sidebar navigation, the current page, toasts, the command palette, global
//! shortcuts, and the full-window error shown when the database cannot be opened.

use cremmy_protocol::accounts::AppEvent;
use cremmy_protocol::{ApiError, DatabaseStatus, ErrorCode};
use leptos::ev;
use leptos::prelude::*;

use crate::api;
use crate::pages::{
    board::BoardPage, client_page::ClientPageView, clients::ClientsPage,
    integrations::IntegrationsPage, reports::ReportsPage, settings::SettingsPage,
    sync_history::SyncHistoryPage, tasks::TasksPage, today::TodayPage,
};
use crate::palette::Palette;
use crate::ui_state::{Route, Ui};

#[component]
pub fn App() -> impl IntoView {
    let status = LocalResource::new(api::app_status);
    view! {
        <Suspense fallback=|| view! { <div class="splash">"Opening your data…"</div> }>
            {move || status.get().map(|result| match result {
                Ok(db) => view! { <Shell db=db /> }.into_any(),
                Err(error) => view! { <StartupError error=error /> }.into_any(),
            })}
        </Suspense>
    }
}

/// Shown instead of the app when the database cannot be used; says what happened and what to do.
#[component]
fn StartupError(error: ApiError) -> impl IntoView {
    let title = match error.code {
        ErrorCode::DatabaseUnreadable => "Cremmy cannot read its database",
        ErrorCode::DatabaseTooNew => "This database needs a newer Cremmy",
        ErrorCode::DataDirUnavailable => "Cremmy cannot open its data folder",
        _ => "Cremmy could not start",
    };
    view! {
        <main class="startup-error" role="alert" data-error-code=format!("{:?}", error.code)>
            <h1>{title}</h1>
            <p class="message">{error.message}</p>
            <p class="hint">"Cremmy opened nothing and wrote nothing. Quit it before moving or restoring the file."</p>
        </main>
    }
}

const NAV: &[(Route, &str, &str)] = &[
    (Route::Today, "Today", "Alt+1"),
    (Route::Clients, "Clients", "Alt+2"),
    (Route::Board, "Pipeline", "Alt+3"),
    (Route::Tasks, "Tasks", "Alt+4"),
    (Route::Reports, "Reports", "Alt+5"),
    (Route::Integrations, "Integrations", "Alt+6"),
    (Route::Settings, "Settings", "Alt+7"),
    (Route::SyncHistory, "Sync history", "Alt+8"),
];

/// Whether a key goes into a text field (so "?" types a question mark there).
fn typing(e: &web_sys::KeyboardEvent) -> bool {
    use wasm_bindgen::JsCast;
    e.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|el| {
            matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                || el.has_attribute("contenteditable")
        })
}

#[component]
fn Shell(db: DatabaseStatus) -> impl IntoView {
    let ui = Ui::new(&db.database_path);
    provide_context(ui);
    provide_context(db.clone());
    leptos::task::spawn_local(async move {
        let subscribed = api::subscribe_events(move |event| match event {
            AppEvent::OpenClient { id } => ui.go(Route::Client(id)),
            AppEvent::Connected { account } => {
                ui.ok(format!(
                    "Connected {} as {}",
                    account.provider.display_name(),
                    account.email
                ));
                ui.changed();
            }
            AppEvent::SignInFailed { error } => {
                ui.error(&error);
                ui.changed();
            }
            AppEvent::LinkRefused { message } => ui.error(&ApiError {
                code: ErrorCode::InvalidInput,
                message,
            }),
            AppEvent::Engine { status } => {
                let finished =
                    ui.engine.with_untracked(|s| s.running.is_some()) && status.running.is_none();
                ui.engine.set(status);
                if finished {
                    // A background run ended: what it imported shows everywhere.
                    ui.changed();
                }
            }
        })
        .await;
        if let Err(e) = subscribed {
            ui.error(&e);
        }
        if let Ok(status) = api::engine_status().await {
            ui.engine.set(status);
        }
    });
    let _shortcuts = window_event_listener(ev::keydown, move |e: web_sys::KeyboardEvent| {
        let modifier = e.ctrl_key() || e.meta_key();
        match e.key().as_str() {
            "k" | "K" if modifier => {
                e.prevent_default();
                ui.palette_open.update(|o| *o = !*o);
            }
            "n" | "N" if modifier => {
                e.prevent_default();
                ui.go(Route::Clients);
                ui.new_client_open.set(true);
            }
            "Escape" => {
                ui.palette_open.set(false);
                ui.shortcuts_open.set(false);
            }
            "?" if !typing(&e) && !modifier => {
                e.prevent_default();
                ui.shortcuts_open.update(|o| *o = !*o);
            }
            digit if e.alt_key() && digit.len() == 1 => {
                if let Some(&(route, ..)) = digit
                    .parse::<usize>()
                    .ok()
                    .and_then(|n| NAV.get(n.wrapping_sub(1)))
                {
                    e.prevent_default();
                    ui.go(route);
                }
            }
            _ => {}
        }
    });
    // The sidebar's counts: what Today lists to act on now, and the tasks due. A plain signal, not
    // a resource: a resource read here would suspend the whole shell on every refetch.
    let counts = RwSignal::new((0usize, 0usize));
    Effect::new(move || {
        ui.revision.track();
        leptos::task::spawn_local(async move {
            if let Ok(t) = api::today(crate::pages::today::today_request()).await {
                counts.set((t.count(), t.overdue.len() + t.due_today.len()));
            }
        });
    });
    let badge = move |route: Route| {
        let (today, tasks) = counts.get();
        let n = match route {
            Route::Today => today,
            Route::Tasks => tasks,
            _ => 0,
        };
        (n > 0).then_some(n)
    };
    let active = move |r: Route| {
        let current = ui.route.get();
        current == r || (r == Route::Clients && matches!(current, Route::Client(_)))
    };
    view! {
        <div class="shell">
            <nav class="sidebar" aria-label="Main">
                <div class="brand">"Cremmy"</div>
                <button class="palette-hint" on:click=move |_| ui.palette_open.set(true) title="Search and commands">
                    "Search…" <kbd>"Ctrl K"</kbd>
                </button>
                {NAV.iter().map(|&(route, label, key)| view! {
                    <button
                        class="nav-item"
                        class:active=move || active(route)
                        id=format!("nav-{}", label.to_lowercase().replace(' ', "-"))
                        title=key
                        on:click=move |_| ui.go(route)
                    >
                        {label}
                        {move || badge(route).map(|n| view! { <span class="badge" aria-label=format!("{n} to do")>{n}</span> })}
                    </button>
                }).collect_view()}
                <div class="spacer"></div>
                <button class="nav-item theme-toggle" on:click=move |_| ui.toggle_theme()>
                    {move || if ui.dark.get() { "Light theme" } else { "Dark theme" }}
                </button>
            </nav>
            <main class="content">
                {move || match ui.route.get() {
                    Route::Today => view! { <TodayPage /> }.into_any(),
                    Route::Clients => view! { <ClientsPage /> }.into_any(),
                    Route::Client(id) => view! { <ClientPageView id=id /> }.into_any(),
                    Route::Board => view! { <BoardPage /> }.into_any(),
                    Route::Tasks => view! { <TasksPage /> }.into_any(),
                    Route::Reports => view! { <ReportsPage /> }.into_any(),
                    Route::Integrations => view! { <IntegrationsPage /> }.into_any(),
                    Route::SyncHistory => view! { <SyncHistoryPage /> }.into_any(),
                    Route::Settings => view! { <SettingsPage /> }.into_any(),
                }}
            </main>
            <footer class="statusbar">
                <span id="db-path" title="Database file">{db.database_path.clone()}</span>
                <span id="schema-version">{format!("schema v{}", db.schema_version)}</span>
                <SyncStatus />
            </footer>
            <Show when=move || ui.palette_open.get()>
                <Palette />
            </Show>
            <Show when=move || ui.shortcuts_open.get()>
                <crate::shortcuts::ShortcutsOverlay />
            </Show>
            <div class="toasts" role="status" aria-live="polite">
                <For each=move || ui.toasts.get() key=|t| t.id let:toast>
                    <div class="toast" class:error=toast.error>
                        {toast.text}
                        {toast.link.map(|link| {
                            let href = link.clone();
                            view! {
                                " " <a class="toast-link" href=href on:click=move |e| {
                                    e.prevent_default();
                                    crate::ui_state::run(ui, api::open_provider_page(link.clone()), |()| {});
                                }>"Open"</a>
                            }
                        })}
                    </div>
                </For>
            </div>
        </div>
    }
}

/// The status bar's sync line: progress while a run goes, else the last sync and the next one,
/// with Pause/Resume.
#[component]
fn SyncStatus() -> impl IntoView {
    let ui = crate::ui_state::use_ui();
    let text = move || {
        ui.engine.with(|s| {
            if let Some(p) = &s.running {
                return format!("Syncing {} ({}/{})", p.phase, p.done + 1, p.total.max(1));
            }
            let last = match &s.last_sync {
                None => "Not synced yet".to_string(),
                Some(l) if l.ok => format!("Synced {}", crate::format::relative(l.finished_at)),
                Some(l) if l.needs_reconnect => "Sync needs you: reconnect an account".to_string(),
                Some(l) => format!(
                    "Last sync failed {}",
                    crate::format::relative(l.finished_at)
                ),
            };
            let mut parts = vec![last];
            if s.paused {
                parts.push("paused".into());
            }
            if s.queued_jobs > 0 {
                parts.push(format!("{} waiting in the outbox", s.queued_jobs));
            }
            if s.dead_jobs > 0 {
                parts.push(format!("{} failed (see Sync history)", s.dead_jobs));
            }
            parts.join(" · ")
        })
    };
    view! {
        <span class="sync-status" id="sync-status" class:running=move || ui.engine.with(|s| s.running.is_some())>
            {text}
            " "
            <button class="link-button" id="sync-pause" on:click=move |_| {
                let paused = ui.engine.with_untracked(|s| s.paused);
                crate::ui_state::run(ui, api::set_sync_paused(!paused), |()| {});
            }>{move || if ui.engine.with(|s| s.paused) { "Resume" } else { "Pause" }}</button>
        </span>
    }
}
