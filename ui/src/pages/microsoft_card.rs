//! Microsoft 365's part of its Integrations card: the user's own app registration (a public
//! "Mobile and desktop applications" client: an application id and no secret), sign-in in the
//! browser, each connected mailbox with its last Outlook sync, "Sync now", Reconnect and
//! Disconnect.

use cremmy_protocol::accounts::{Account, AccountStatus, ConnectRequest, Feature};
use cremmy_protocol::kinds::Integration;
use cremmy_protocol::sync::{SyncRun, SyncRunQuery};
use cremmy_protocol::{ErrorCode, Provider};
use leptos::prelude::*;

use crate::api;
use crate::ui_state::{run, use_ui};

const HELP: &str = "Cremmy signs in with your own Microsoft app registration: in the Microsoft Entra admin center open App registrations → New registration (accounts in any organizational directory and personal Microsoft accounts), add the platform “Mobile and desktop applications” with the redirect URI http://127.0.0.1/callback, and paste its Application (client) ID here. No secret is needed.";

#[component]
pub fn MicrosoftSettings(accounts: LocalResource<api::Reply<Vec<Account>>>) -> impl IntoView {
    let ui = use_ui();
    let busy = RwSignal::new(false);
    let connect = move |login_hint: Option<String>| {
        busy.set(true);
        let request = ConnectRequest {
            provider: Provider::Microsoft,
            features: vec![Feature::MailIngest, Feature::MailSend, Feature::Calendar],
            login_hint,
        };
        leptos::task::spawn_local(async move {
            match api::connect_account(request).await {
                Ok(a) => ui.ok(format!("Connected Microsoft 365 as {}", a.email)),
                Err(e) if e.code == ErrorCode::Cancelled => {
                    ui.ok("Sign-in cancelled: nothing changed.")
                }
                Err(e) => ui.error(&e),
            }
            busy.set(false);
            ui.changed();
        });
    };
    let shown = move || -> Vec<Account> {
        accounts
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .filter(|a| {
                a.provider == Provider::Microsoft && a.status != AccountStatus::Disconnected
            })
            .collect()
    };
    view! {
        <div class="provider-settings" id="microsoft-settings">
            <p class="muted small">"Outlook mail to and from your clients on their timelines (Microsoft 365 work or school accounts, and Outlook.com). You sign in in your browser; Cremmy keeps the keys in your system keychain and reads messages' headers and preview, never their bodies; the emails you write from Cremmy go from your mailbox, and proposal drafts wait in its Drafts. Meetings with your contacts come from your Outlook calendar, and tasks can go onto it (Settings → Sync)."</p>
            {move || {
                let list = shown();
                if list.is_empty() {
                    return view! { <p class="state">"Not connected"</p> }.into_any();
                }
                view! {
                    <ul class="accounts">
                        {list.into_iter().map(|a| view! { <Mailbox account=a reconnect=connect busy=busy /> }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <super::integrations::OAuthClientForm provider=Provider::Microsoft placeholder="00000000-0000-0000-0000-000000000000" help=HELP />
            <div class="card-actions">
                <button class="button primary" id="microsoft-connect" disabled=move || busy.get() on:click=move |_| connect(None)>
                    {move || match (busy.get(), shown().is_empty()) {
                        (true, _) => "Waiting for the browser…",
                        (false, true) => "Connect Microsoft 365",
                        (false, false) => "Add another Microsoft account",
                    }}
                </button>
            </div>
        </div>
    }
}

#[component]
fn Mailbox(
    account: Account,
    reconnect: impl Fn(Option<String>) + Copy + Send + Sync + 'static,
    busy: RwSignal<bool>,
) -> impl IntoView {
    let ui = use_ui();
    let id = account.id;
    let connected = account.status == AccountStatus::Connected;
    let hint = account.email.clone();
    let runs = LocalResource::new(move || {
        ui.revision.track();
        api::sync_runs(SyncRunQuery {
            integration: Some(Integration::Outlook),
            limit: Some(20),
            ..SyncRunQuery::default()
        })
    });
    let last_run = move || -> Option<SyncRun> {
        runs.get().and_then(Result::ok).and_then(|l| {
            l.into_iter()
                .find(|r| r.account_id == Some(id) && r.kind.is_pull())
        })
    };
    let syncing = RwSignal::new(false);
    let sync_now = move |_| {
        super::integrations::sync_account_runs(ui, id, syncing, |runs| {
            let made = |key: Integration| -> i64 {
                runs.iter()
                    .filter(|r| r.integration == key)
                    .map(|r| r.created)
                    .sum()
            };
            let meetings = made(Integration::OutlookCalendar);
            match meetings {
                0 => format!(
                    "Outlook synced: {} new email(s).",
                    made(Integration::Outlook)
                ),
                n => format!(
                    "Outlook synced: {} new email(s), {n} new meeting(s).",
                    made(Integration::Outlook)
                ),
            }
        })
    };
    let disconnect = move |_| {
        run(ui, api::disconnect_account(id), move |a| {
            ui.ok(format!(
                "Disconnected {}. To withdraw Cremmy's access at Microsoft too, remove it under “Apps and services” in your Microsoft account.",
                a.email
            ));
            ui.changed();
        });
    };
    view! {
        <li class="account" data-status=account.status.as_str() data-email=account.email.clone()>
            <div>
                <strong id="microsoft-connected">{account.email.clone()}</strong>
                {if connected {
                    view! { <span class="badge ok">"Connected"</span> }.into_any()
                } else {
                    view! { <span class="badge warn">"Reconnect needed"</span> }.into_any()
                }}
                {account.problem.clone().map(|p| view! { <p class="error small">{p}</p> })}
                {move || last_run().map(|r| view! {
                    <p class="muted small last-sync" id="microsoft-last-sync">
                        {format!("Last sync: {} new email(s), {} API calls", r.created, r.api_calls)}
                    </p>
                })}
            </div>
            <div class="actions">
                {connected.then(|| view! {
                    <button class="button secondary small" id="microsoft-sync-now" disabled=move || syncing.get() on:click=sync_now>
                        {move || if syncing.get() { "Syncing…" } else { "Sync now" }}
                    </button>
                })}
                {(!connected).then(|| view! {
                    <button class="button primary small reconnect" disabled=move || busy.get()
                        on:click=move |_| reconnect(Some(hint.clone()))>"Reconnect"</button>
                })}
                <button class="button secondary small disconnect" on:click=disconnect>"Disconnect"</button>
            </div>
        </li>
    }
}
