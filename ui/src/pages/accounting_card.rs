//! The accounting providers' part of their Integrations cards (Xero, QuickBooks Online): the
//! user's own app (Xero: a PKCE "mobile or desktop" app, a client id and no secret; Intuit: a
//! client id and secret), sign-in in the browser, the connected account with the organisation
//! its invoices go to (a choice when a Xero grant reaches several), "Sync now", Reconnect and
//! Disconnect.

use cremmy_protocol::accounts::{Account, AccountStatus, ConnectRequest, Feature};
use cremmy_protocol::{ErrorCode, Provider};
use leptos::prelude::*;

use crate::api;
use crate::ui_state::{run, use_ui};

/// What differs between the accounting providers' cards.
struct Words {
    name: &'static str,
    intro: &'static str,
    help: &'static str,
    placeholder: &'static str,
    another: &'static str,
}

fn words(provider: Provider) -> Words {
    match provider {
        Provider::QuickBooks => Words {
            name: "QuickBooks",
            intro: "Invoices from your deals in your QuickBooks Online company (the client pushed as a customer, never twice), emailed by QuickBooks, and the payments made to them. You sign in in your browser; Cremmy keeps the keys in your system keychain.",
            help: "Cremmy signs in with your own Intuit app: at developer.intuit.com make an app with the QuickBooks Online Accounting scope, add the redirect URI http://localhost:48621/callback (development keys) or your https forwarding page (production keys; README, “Connecting QuickBooks Online”), and paste its client ID and secret here.",
            placeholder: "AB… from Keys & credentials",
            another: "Connect another company",
        },
        _ => Words {
            name: "Xero",
            intro: "Invoices from your deals in your Xero books (the client pushed as a contact, never twice), and the payments made to them. You sign in in your browser; Cremmy keeps the keys in your system keychain.",
            help: "Cremmy signs in with your own Xero app: at developer.xero.com make an app of type “Mobile or desktop app” (auth code with PKCE, no secret) with the redirect URI http://localhost:48620/callback, and paste its client ID here.",
            placeholder: "32 letters and digits",
            another: "Connect another organisation",
        },
    }
}

#[component]
pub fn AccountingSettings(
    provider: Provider,
    accounts: LocalResource<api::Reply<Vec<Account>>>,
) -> impl IntoView {
    let ui = use_ui();
    let w = words(provider);
    let (name, key) = (w.name, provider.key());
    let busy = RwSignal::new(false);
    let account = move || -> Option<Account> {
        accounts.get().and_then(Result::ok).and_then(|l| {
            l.into_iter()
                .find(|a| a.provider == provider && a.status != AccountStatus::Disconnected)
        })
    };
    let connect = move |_| {
        busy.set(true);
        let request = ConnectRequest {
            provider,
            features: vec![Feature::Payments],
            login_hint: None,
        };
        leptos::task::spawn_local(async move {
            match api::connect_account(request).await {
                Ok(a) => ui.ok(format!("Connected {name} as {}", a.email)),
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
        <div class="provider-settings" id=format!("{key}-settings")>
            <p class="muted small">{w.intro}</p>
            {move || match account() {
                Some(a) => view! { <AccountingAccount provider=provider account=a /> }.into_any(),
                None => view! { <p class="state">"Not connected"</p> }.into_any(),
            }}
            <super::integrations::OAuthClientForm provider=provider placeholder=w.placeholder help=w.help />
            <div class="card-actions">
                <button class="button primary" id=format!("{key}-connect") disabled=move || busy.get() on:click=connect>
                    {move || match (busy.get(), account()) {
                        (true, _) => "Waiting for the browser…".to_string(),
                        (false, Some(a)) if a.status == AccountStatus::NeedsReauth => format!("Reconnect {name}"),
                        (false, Some(_)) => w.another.to_string(),
                        (false, None) => format!("Connect {name}"),
                    }}
                </button>
            </div>
        </div>
    }
}

#[component]
fn AccountingAccount(provider: Provider, account: Account) -> impl IntoView {
    let ui = use_ui();
    let key = provider.key();
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
                ui.ok(format!("Invoices now go to {} in Xero.", name_of(&chosen)));
                ui.changed();
            },
        );
    };
    let syncing = RwSignal::new(false);
    let sync_now = move |_| {
        let said: fn(i64) -> String = match provider {
            Provider::QuickBooks => |new| format!("QuickBooks synced: {new} new payment(s)."),
            _ => |new| format!("Xero synced: {new} new payment(s)."),
        };
        super::integrations::sync_account_now(ui, id, syncing, said)
    };
    let pushing = RwSignal::new(false);
    let push = move |_| {
        pushing.set(true);
        leptos::task::spawn_local(async move {
            match api::push_clients(id).await {
                Ok(p) if p.failed.is_empty() => ui.ok(format!(
                    "{} clients are in {}.",
                    p.pushed,
                    words(provider).name
                )),
                Ok(p) => ui.ok(format!(
                    "{} clients are in {}; {} could not be: {}",
                    p.pushed,
                    words(provider).name,
                    p.failed.len(),
                    p.failed.join("; ")
                )),
                Err(e) => ui.error(&e),
            }
            pushing.set(false);
        });
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
                    <strong id=format!("{key}-connected")>{account.email.clone()}</strong>
                    {if connected {
                        view! { <span class="badge ok">"Connected"</span> }.into_any()
                    } else {
                        view! { <span class="badge warn">"Reconnect needed"</span> }.into_any()
                    }}
                    {account.problem.clone().map(|p| view! { <p class="error small" id=format!("{key}-reconnect")>{p}</p> })}
                    {move || organisations.get().flatten().map(|r| match r {
                        Err(e) => view! { <p class="error small">{e.message}</p> }.into_any(),
                        // QuickBooks: the company is the one picked at sign-in.
                        Ok(o) if o.list.is_empty() => ().into_any(),
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
                        <button class="button secondary small" id=format!("{key}-sync-now") disabled=move || syncing.get() on:click=sync_now>
                            {move || if syncing.get() { "Syncing…" } else { "Sync now" }}
                        </button>
                    })}
                    {connected.then(|| view! {
                        <button class="button secondary small" id=format!("{key}-push-clients") disabled=move || pushing.get() on:click=push
                            title="Every client becomes a customer / contact there (found by its link, email or name first; never twice)">
                            {move || if pushing.get() { "Pushing…" } else { "Push all clients" }}
                        </button>
                    })}
                    <button class="button secondary small disconnect" on:click=disconnect>"Disconnect"</button>
                </div>
            </li>
        </ul>
    }
}

fn name_of(chosen: &cremmy_protocol::payments::Organisations) -> String {
    chosen
        .list
        .iter()
        .find(|o| o.id == chosen.chosen)
        .map(|o| o.name.clone())
        .unwrap_or_default()
}
