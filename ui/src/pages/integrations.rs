//! One card per integration with its real state. Google lists its connected accounts with
//! Connect / Reconnect / Disconnect; sign-in happens in the system browser.

use cremmy_protocol::accounts::{
    Account, AccountStatus, ConnectRequest, Feature, OAuthClientInput,
};
use cremmy_protocol::kinds::Integration;
use cremmy_protocol::sync::{SyncRequest, SyncRun, SyncRunQuery, SyncRunStatus};
use cremmy_protocol::{ApiError, ErrorCode, IntegrationState, IntegrationStatus, Provider};
use leptos::prelude::*;

use crate::api;
use crate::format::relative;
use crate::pages::forms::Field;
use crate::pages::sync_history::run_summary;
use crate::ui_state::{use_ui, Route, Ui};

#[component]
pub fn IntegrationsPage() -> impl IntoView {
    let ui = use_ui();
    let report = LocalResource::new(api::doctor);
    let accounts = LocalResource::new(move || {
        ui.revision.track();
        api::accounts()
    });
    view! {
        <header class="page-header"><h1>"Integrations"</h1></header>
        {move || ui.engine.with(|s| s.running.clone()).map(|p| view! {
            <p class="sync-progress" id="sync-progress">
                {format!("Syncing {} — step {} of {}", p.phase, p.done + 1, p.total.max(1))}
                <progress max=p.total.max(1) value=p.done></progress>
            </p>
        })}
        <Transition fallback=|| view! { <p class="muted">"Checking…"</p> }>
            {move || report.get().map(|r| match r {
                Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                Ok(report) => view! {
                    <div class="integration-grid">
                        {report.integrations.into_iter().map(|i| view! {
                            <IntegrationCard status=i accounts=accounts />
                        }).collect_view()}
                    </div>
                }.into_any(),
            })}
        </Transition>
    }
}

/// The toast after "Sync now": what came in, or the first problem (e.g. "Reconnect").
pub fn report_sync(ui: Ui, runs: &[SyncRun]) {
    if let Some(failed) = runs.iter().find(|r| r.status == SyncRunStatus::Failed) {
        ui.error(&ApiError {
            code: failed.error_code.unwrap_or(ErrorCode::ProviderUnavailable),
            message: match failed.error_code {
                Some(ErrorCode::ReconnectNeeded) => format!(
                    "Google access for {} expired — Reconnect it on this page.",
                    failed.account_email.clone().unwrap_or_default()
                ),
                _ => failed
                    .error
                    .clone()
                    .unwrap_or_else(|| "Sync failed.".into()),
            },
        });
        return;
    }
    if runs.is_empty() {
        ui.ok("Nothing to sync: no connected account reads mail.");
        return;
    }
    let count = |integration: Integration| -> i64 {
        runs.iter()
            .filter(|r| r.integration == integration)
            .map(|r| r.created)
            .sum()
    };
    let plural = |n: i64, one: &str, many: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    };
    let news: Vec<String> = [
        (count(Integration::Gmail), "new email", "new emails"),
        (count(Integration::Sheets), "new lead", "new leads"),
        (count(Integration::Calendar), "new meeting", "new meetings"),
    ]
    .into_iter()
    .filter(|(n, _, _)| *n > 0)
    .map(|(n, one, many)| plural(n, one, many))
    .collect();
    ui.ok(if news.is_empty() {
        "Synced: nothing new.".to_string()
    } else {
        format!("Synced: {}.", news.join(", "))
    });
}

fn status_label(a: &Account) -> &'static str {
    match a.status {
        AccountStatus::Connected => "Connected",
        AccountStatus::NeedsReauth => "Reconnect needed",
        AccountStatus::Disconnected => "Disconnected",
    }
}

/// One card per provider, the same frame for each (name, and its state or its own settings);
/// a provider with settings of its own plugs its component in here.
#[component]
fn IntegrationCard(
    status: IntegrationStatus,
    accounts: LocalResource<api::Reply<Vec<Account>>>,
) -> impl IntoView {
    let key = status.provider.key();
    let settings = match status.provider {
        Provider::Google => view! { <GoogleSettings accounts=accounts /> }.into_any(),
        Provider::Twilio => {
            view! { <super::twilio_card::TwilioSettings accounts=accounts /> }.into_any()
        }
        Provider::Stripe => {
            view! { <super::stripe_card::StripeSettings accounts=accounts /> }.into_any()
        }
        Provider::Hubspot | Provider::Pipedrive => view! {
            <super::crm_card::CrmSettings provider=status.provider accounts=accounts />
        }
        .into_any(),
        Provider::Microsoft => {
            view! { <super::microsoft_card::MicrosoftSettings accounts=accounts /> }.into_any()
        }
        Provider::Xero | Provider::QuickBooks => view! {
            <super::accounting_card::AccountingSettings provider=status.provider accounts=accounts />
        }
        .into_any(),
        _ => {
            let state = match &status.state {
                IntegrationState::NotConfigured => "Not configured".to_string(),
                other => capitalised(&other.describe()),
            };
            view! { <p class="state">{state}</p> }.into_any()
        }
    };
    let base_url = status.base_url.clone();
    view! {
        <section class=format!("card integration {key}") data-provider=key>
            <h2>{status.provider.display_name()}</h2>
            {settings}
            {(!base_url.is_empty()).then(|| view! { <p class="muted small">{base_url}</p> })}
        </section>
    }
}

/// Google's part of its card: the connected accounts, sign-in, the OAuth client.
#[component]
fn GoogleSettings(accounts: LocalResource<api::Reply<Vec<Account>>>) -> impl IntoView {
    let ui = use_ui();
    let busy = RwSignal::new(false);
    let connect = move |login_hint: Option<String>, features: Vec<Feature>| {
        busy.set(true);
        let request = ConnectRequest {
            provider: Provider::Google,
            features,
            login_hint,
        };
        leptos::task::spawn_local(async move {
            match api::connect_account(request).await {
                Ok(account) => ui.ok(format!(
                    "Connected {} as {}",
                    account.provider.display_name(),
                    account.email
                )),
                Err(e) if e.code == ErrorCode::Cancelled => {
                    ui.ok("Sign-in cancelled: nothing changed.")
                }
                Err(e) => ui.error(&e),
            }
            busy.set(false);
            ui.changed();
        });
    };
    let check = move |id: i64| {
        leptos::task::spawn_local(async move {
            match api::check_account(id).await {
                Ok(a) => ui.ok(format!("{} works.", a.email)),
                Err(e) => ui.error(&e),
            }
            ui.changed();
        });
    };
    // The newest run per account, for the "Last sync" line.
    let runs = LocalResource::new(move || {
        ui.revision.track();
        api::sync_runs(SyncRunQuery {
            integration: Some(Integration::Gmail),
            limit: Some(50),
            ..SyncRunQuery::default()
        })
    });
    let syncing = RwSignal::new(false);
    let sync_now = move |_| {
        syncing.set(true);
        leptos::task::spawn_local(async move {
            match api::sync_now(SyncRequest::default()).await {
                Ok(done) => report_sync(ui, &done),
                Err(e) => ui.error(&e),
            }
            syncing.set(false);
            ui.changed();
        });
    };
    let last_run = move |id: i64| -> Option<SyncRun> {
        runs.get()
            .and_then(Result::ok)
            // The last mail sync: sends, drafts, folders and exports are jobs, not syncs.
            .and_then(|list| {
                list.into_iter().find(|r| {
                    r.account_id == Some(id)
                        && r.integration == Integration::Gmail
                        && r.kind.is_pull()
                })
            })
    };
    let disconnect = move |id: i64| {
        crate::ui_state::run(ui, api::disconnect_account(id), move |a| {
            ui.ok(format!("Disconnected {}", a.email));
            ui.changed();
        });
    };
    view! {
        <div class="provider-settings">
            <p class="muted small">"Gmail, Drive, Docs, Sheets and Calendar. You sign in in your browser; Cremmy keeps the keys in your system keychain."</p>
            {move || accounts.get().map(|r| match r {
                Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                Ok(list) => {
                    let shown: Vec<Account> = list.into_iter().filter(|a| a.provider == Provider::Google && a.status != AccountStatus::Disconnected).collect();
                    if shown.is_empty() {
                        return view! { <p class="state">"Not connected"</p> }.into_any();
                    }
                    view! {
                        <ul class="accounts">
                            {shown.into_iter().map(|a| {
                                let (id, email, features) = (a.id, a.email.clone(), a.features.clone());
                                let needs_reauth = a.status == AccountStatus::NeedsReauth;
                                let hint = email.clone();
                                view! {
                                    <li class="account" data-status=a.status.as_str() data-email=email.clone()>
                                        <div>
                                            <strong>{email.clone()}</strong>
                                            <span class=if needs_reauth { "badge warn" } else { "badge ok" }>{status_label(&a)}</span>
                                            <p class="muted small">{a.features.iter().map(|f| f.label()).collect::<Vec<_>>().join(" · ")}</p>
                                            {a.problem.clone().map(|p| view! { <p class="error small">{p}</p> })}
                                            {move || last_run(id).map(|run| {
                                                let failed = run.status == SyncRunStatus::Failed;
                                                let when = run.finished_at.unwrap_or(run.started_at);
                                                view! {
                                                    <p class="small last-sync" class:error=failed class:muted=!failed data-status=run.status.as_str()>
                                                        {format!("Last sync {} · {}", relative(when), run_summary(&run))}
                                                        // A refused grant is already said above the line.
                                                        {failed.then(|| if needs_reauth { " · failed".to_string() } else { format!(" · failed: {}", run.error.clone().unwrap_or_default()) })}
                                                    </p>
                                                }
                                            })}
                                        </div>
                                        <div class="actions">
                                            {needs_reauth.then(|| view! {
                                                <button class="button primary small reconnect" disabled=move || busy.get()
                                                    on:click=move |_| connect(Some(hint.clone()), features.clone())>"Reconnect"</button>
                                            })}
                                            {(!needs_reauth).then(|| view! {
                                                <button class="button secondary small check" on:click=move |_| check(id)>"Check"</button>
                                            })}
                                            <button class="button secondary small disconnect" on:click=move |_| disconnect(id)>"Disconnect"</button>
                                        </div>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }
            })}
            <OAuthClientForm provider=Provider::Google placeholder="…apps.googleusercontent.com"
                help="Cremmy signs in with your own Google OAuth client: in the Google Cloud console create an OAuth client of type “Desktop app” and paste its ID and secret here." />
            <super::lead_sheet_form::LeadSheetForm />
            <div class="card-actions">
                <button class="button primary connect" disabled=move || busy.get()
                    on:click=move |_| connect(None, vec![Feature::MailIngest, Feature::MailSend, Feature::Drive, Feature::Sheets, Feature::Calendar])>
                    {move || {
                        let connected = accounts.get().and_then(Result::ok).is_some_and(|l| l.iter().any(|a| a.provider == Provider::Google && a.status != AccountStatus::Disconnected));
                        if busy.get() { "Waiting for the browser…" } else if connected { "Add another Google account" } else { "Connect Google" }
                    }}
                </button>
                {move || accounts.get().and_then(Result::ok).is_some_and(|l| l.iter().any(|a| a.status == AccountStatus::Connected)).then(|| view! {
                    <button class="button secondary" id="sync-now" disabled=move || syncing.get() on:click=sync_now>
                        {move || if syncing.get() { "Syncing…" } else { "Sync now" }}
                    </button>
                    <button class="link small" id="open-sync-history" on:click=move |_| ui.go(Route::SyncHistory)>"Sync history"</button>
                })}
            </div>
        </div>
    }
}

/// The user's own OAuth client for `provider` (Google: a "Desktop app"; Xero: a "Mobile or
/// desktop app", which has no secret): shown until one is set, then folded into one line. A
/// secret goes to the keychain and is never shown again. `help` says where to make the client.
#[component]
pub fn OAuthClientForm(
    provider: Provider,
    help: &'static str,
    placeholder: &'static str,
) -> impl IntoView {
    let ui = use_ui();
    let setup = LocalResource::new(move || {
        ui.revision.track();
        api::oauth_client(provider)
    });
    let editing = RwSignal::new(false);
    let (client_id, client_secret) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let redirect_page = RwSignal::new(String::new());
    let name = provider.display_name();
    let save = move |_| {
        let input = OAuthClientInput {
            provider,
            client_id: client_id.get_untracked(),
            client_secret: client_secret.get_untracked(),
            redirect_page: Some(redirect_page.get_untracked()).filter(|p| !p.trim().is_empty()),
        };
        crate::ui_state::run(ui, api::save_oauth_client(input), move |setup| {
            client_secret.set(String::new());
            editing.set(false);
            ui.ok(if setup.secret_required {
                format!("Saved the {name} OAuth client. The secret is in your system keychain.")
            } else {
                format!("Saved the {name} OAuth client.")
            });
            ui.changed();
        });
    };
    view! {
        {move || setup.get().and_then(Result::ok).map(|s| {
            let configured = s.client_id.is_some();
            if configured && !editing.get() {
                let source = if s.from_environment { format!("from CREMMY_{}_CLIENT_ID", provider.key().to_uppercase()) } else { "saved in Cremmy".to_string() };
                return view! {
                    <p class="muted small oauth-client">
                        {format!("OAuth client {} ({source})", s.client_id.unwrap_or_default())}
                        {s.redirect_page.map(|p| format!(", redirected through {p}"))}
                        {(!s.from_environment).then(|| view! { " " <button class="link small" on:click=move |_| editing.set(true)>"Change"</button> })}
                    </p>
                }.into_any();
            }
            view! {
                <div class="oauth-client-form" data-provider=provider.key()>
                    <p class="small">{help}</p>
                    <Field label="Client ID" value=client_id id="oauth-client-id" placeholder=placeholder />
                    {s.secret_required.then(|| view! { <Field label="Client secret" value=client_secret id="oauth-client-secret" kind="password" /> })}
                    {s.redirect_page_allowed.then(|| view! {
                        <Field label="Forwarding page (production keys; leave empty for development keys)" value=redirect_page id="oauth-redirect-page" placeholder="https://you.example/cremmy-callback" />
                    })}
                    <button class="button secondary small" id="save-oauth-client" on:click=save>"Save client"</button>
                </div>
            }.into_any()
        })}
    }
}

/// "not connected" → "Not connected".
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

/// "Sync now" on one account's card: runs its sync, then says what came in (`summary` of the
/// number of new items) or the first problem. `syncing` is on while it runs.
pub fn sync_account_now(ui: Ui, id: i64, syncing: RwSignal<bool>, summary: fn(i64) -> String) {
    sync_account_runs(ui, id, syncing, move |runs| {
        summary(runs.iter().map(|r| r.created).sum())
    })
}

/// The same, summarised from each run (an account whose sync is several services).
pub fn sync_account_runs(
    ui: Ui,
    id: i64,
    syncing: RwSignal<bool>,
    summary: impl Fn(&[cremmy_protocol::sync::SyncRun]) -> String + 'static,
) {
    syncing.set(true);
    let request = SyncRequest {
        account_id: Some(id),
        ..SyncRequest::default()
    };
    leptos::task::spawn_local(async move {
        match api::sync_now(request).await {
            Ok(runs) => match runs.iter().find_map(|r| r.error.clone()) {
                Some(problem) => ui.error(&ApiError {
                    code: ErrorCode::ProviderUnavailable,
                    message: problem,
                }),
                None => ui.ok(summary(&runs)),
            },
            Err(e) => ui.error(&e),
        }
        syncing.set(false);
        ui.changed();
    });
}
