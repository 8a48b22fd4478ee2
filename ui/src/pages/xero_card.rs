//! Xero's part of its Integrations card: the user's own Xero app (a PKCE "mobile or desktop"
//! app: a client id, no secret), sign-in in the browser, the connected account with the
//! organisation its invoices go to (a choice when several are connected), "Sync now",
//! Reconnect and Disconnect.

use cremmy_protocol::accounts::{Account, AccountStatus, ConnectRequest, Feature};
use cremmy_protocol::{ErrorCode, Provider};
use leptos::prelude::*;

use crate::api;
use crate::ui_state::{run, use_ui};

#[component]
pub fn XeroSettings(accounts: LocalResource<api::Reply<Vec<Account>>>) -> impl IntoView {
    let ui = use_ui();
    let busy = RwSignal::new(false);
    let account = move || -> Option<Account> {
        accounts.get().and_then(Result::ok).and_then(|l| {
            l.into_iter()
                .find(|a| a.provider == Provider::Xero && a.status != AccountStatus::Disconnected)
        })
    };
    let connect = move |_| {
        busy.set(true);
        let request = ConnectRequest {
            provider: Provider::Xero,
            features: vec![Feature::Payments],
            login_hint: None,
        };
        leptos::task::spawn_local(async move {
            match api::connect_account(request).await {
                Ok(a) => ui.ok(format!("Connected Xero as {}", a.email)),
                Err(e) if e.code == ErrorCode::Cancelled => {
                    ui.ok("Sign-in cancelled: nothing changed.")
                }
                Err(e) => ui.error(&e),
            }
            busy.set(false);
            ui.changed();
        });
    };
    view! {
        <div class="provider-settings" id="xero-settings">
            <p class="muted small">"Invoices from your deals in your Xero books (the client pushed as a contact, never twice), and the payments made to them. You sign in in your browser; Cremmy keeps the keys in your system keychain."</p>
            {move || match account() {
                Some(a) => view! { <XeroAccount account=a /> }.into_any(),
                None => view! { <p class="state">"Not connected"</p> }.into_any(),
            }}
            <super::integrations::OAuthClientForm provider=Provider::Xero placeholder="32 letters and digits"
                help="Cremmy signs in with your own Xero app: at developer.xero.com make an app of type “Mobile or desktop app” (auth code with PKCE, no secret) with the redirect URI http://localhost:48620/callback, and paste its client ID here." />
            <div class="card-actions">
                <button class="button primary" id="xero-connect" disabled=move || busy.get() on:click=connect>
                    {move || match (busy.get(), account()) {
                        (true, _) => "Waiting for the browser…",
                        (false, Some(a)) if a.status == AccountStatus::NeedsReauth => "Reconnect Xero",
                        (false, Some(_)) => "Connect another organisation",
                        (false, None) => "Connect Xero",
                    }}
                </button>
            </div>
        </div>
    }
}

#[component]
fn XeroAccount(account: Account) -> impl IntoView {
    let ui = use_ui();
    let id = account.id;
    let connected = account.status == AccountStatus::Connected;
    let organisations = LocalResource::new(move || {
        ui.revision.track();
        async move {
            if connected {
                Some(api::accounting_organisations(id).await)
            } else {
                None
            }
        }
    });
    let choose = move |e: leptos::ev::Event| {
        let organisation = event_target_value(&e);
        run(
            ui,
            api::choose_accounting_organisation(id, organisation),
            move |chosen| {
                let name = chosen
                    .list
                    .iter()
                    .find(|o| o.id == chosen.chosen)
                    .map(|o| o.name.clone())
                    .unwrap_or_default();
                ui.ok(format!("Invoices now go to {name} in Xero."));
                ui.changed();
            },
        );
    };
    let syncing = RwSignal::new(false);
    let sync_now = move |_| {
        super::integrations::sync_account_now(ui, id, syncing, |new| {
            format!("Xero synced: {new} new payment(s).")
        })
    };
    let disconnect = move |_| {
        run(ui, api::disconnect_account(id), move |a| {
            ui.ok(format!("Disconnected {}", a.email));
            ui.changed();
        });
    };
    view! {
        <ul class="accounts">
            <li class="account" data-status=account.status.as_str()>
                <div>
                    <strong id="xero-connected">{account.email.clone()}</strong>
                    {if connected {
                        view! { <span class="badge ok">"Connected"</span> }.into_any()
                    } else {
                        view! { <span class="badge warn">"Reconnect needed"</span> }.into_any()
                    }}
                    {account.problem.clone().map(|p| view! { <p class="error small" id="xero-reconnect">{p}</p> })}
                    {move || organisations.get().flatten().map(|r| match r {
                        Err(e) => view! { <p class="error small">{e.message}</p> }.into_any(),
                        Ok(o) if o.list.len() > 1 => view! {
                            <label class="field small"><span>"Organisation"</span>
                                <select id="xero-organisation" on:change=choose>
                                    {o.list.into_iter().map(|org| {
                                        let selected = org.id == o.chosen;
                                        view! { <option value=org.id.clone() selected=selected>{org.name}</option> }
                                    }).collect_view()}
                                </select>
                            </label>
                        }.into_any(),
                        Ok(o) => {
                            let name = o.list.into_iter().find(|org| org.id == o.chosen).map(|org| org.name).unwrap_or_default();
                            view! { <p class="muted small" id="xero-organisation-name">{format!("Organisation: {name}")}</p> }.into_any()
                        }
                    })}
                </div>
                <div class="actions">
                    {connected.then(|| view! {
                        <button class="button secondary small" id="xero-sync-now" disabled=move || syncing.get() on:click=sync_now>
                            {move || if syncing.get() { "Syncing…" } else { "Sync now" }}
                        </button>
                    })}
                    <button class="button secondary small disconnect" on:click=disconnect>"Disconnect"</button>
                </div>
            </li>
        </ul>
    }
}
