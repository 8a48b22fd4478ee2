//! The window's frame: sidebar navigation, the current page, a status bar, and the full-window
//! error shown when the database cannot be opened.

use cremmy_protocol::{ApiError, DatabaseStatus, DoctorReport, ErrorCode, IntegrationState, KeychainStatus};
use leptos::prelude::*;

use crate::api;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Overview,
}

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

#[component]
fn Shell(db: DatabaseStatus) -> impl IntoView {
    let page = RwSignal::new(Page::Overview);
    let nav_item = move |target: Page, label: &'static str| {
        view! {
            <button
                class="nav-item"
                class:active=move || page.get() == target
                on:click=move |_| page.set(target)
            >
                {label}
            </button>
        }
    };
    let db_path = db.database_path.clone();
    view! {
        <div class="shell">
            <nav class="sidebar">
                <div class="brand">"Cremmy"</div>
                {nav_item(Page::Overview, "Overview")}
            </nav>
            <main class="content">
                {move || match page.get() {
                    Page::Overview => view! { <Overview /> }.into_any(),
                }}
            </main>
            <footer class="statusbar">
                <span id="db-path" title="Database file">{db_path}</span>
                <span id="schema-version">{format!("schema v{}", db.schema_version)}</span>
            </footer>
        </div>
    }
}

#[component]
fn Overview() -> impl IntoView {
    let report = LocalResource::new(api::doctor);
    view! {
        <h1>"Overview"</h1>
        <Suspense fallback=|| view! { <p>"Checking…"</p> }>
            {move || report.get().map(|r| match r {
                Ok(report) => view! { <DoctorView report=report /> }.into_any(),
                Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn DoctorView(report: DoctorReport) -> impl IntoView {
    let keychain = match report.keychain {
        KeychainStatus::Reachable { backend } => format!("Reachable ({backend})"),
        KeychainStatus::Unreachable { backend, reason } => format!("Unreachable ({backend}): {reason}"),
    };
    view! {
        <section class="card">
            <h2>"Your data"</h2>
            <dl class="facts">
                <dt>"Data folder"</dt><dd id="data-dir">{report.database.data_dir}</dd>
                <dt>"Database"</dt><dd>{report.database.database_path}</dd>
                <dt>"Schema"</dt><dd>{format!("version {} · journal {}", report.database.schema_version, report.database.journal_mode)}</dd>
                <dt>"Keychain"</dt><dd id="keychain">{keychain}</dd>
                <dt>"Version"</dt><dd>{report.app_version}</dd>
            </dl>
        </section>
        <section class="card">
            <h2>"Integrations"</h2>
            <ul class="integrations">
                {report.integrations.into_iter().map(|i| {
                    let state = match i.state { IntegrationState::NotConfigured => "Not configured" };
                    view! { <li><span class="name">{i.provider.display_name()}</span><span class="state">{state}</span></li> }
                }).collect_view()}
            </ul>
        </section>
    }
}
