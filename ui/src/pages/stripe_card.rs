//! Stripe's part of its Integrations card: connect with a restricted key (recommended) or a
//! secret key, checked by Stripe before anything is stored; the mode (test or live) and a
//! "reconnect" when Stripe stops accepting the key.

use cremmy_protocol::accounts::{Account, AccountStatus};
use cremmy_protocol::Provider;
use leptos::prelude::*;

use crate::api;
use crate::ui_state::{run, use_ui};

#[component]
pub fn StripeSettings(accounts: LocalResource<api::Reply<Vec<Account>>>) -> impl IntoView {
    let account = move || -> Option<Account> {
        accounts.get().and_then(Result::ok).and_then(|l| {
            l.into_iter()
                .find(|a| a.provider == Provider::Stripe && a.status != AccountStatus::Disconnected)
        })
    };
    view! {
        <div class="provider-settings" id="stripe-settings">
            <p class="muted small">"Invoices and payment links from your deals, and the payments made to them, through your own Stripe account. A restricted key needs Customers, Invoices, Prices and Payment Links (write) and Events (read). Cremmy keeps it in your system keychain."</p>
            {move || match account() {
                Some(a) if a.status == AccountStatus::Connected => view! {
                    <Connected account=a />
                }.into_any(),
                Some(a) => view! {
                    <p class="error small" id="stripe-reconnect">{a.problem.clone().unwrap_or_else(|| "Stripe no longer accepts the key.".into())}</p>
                    <KeyForm />
                }.into_any(),
                None => view! { <p class="state">"Not connected"</p><KeyForm /> }.into_any(),
            }}
        </div>
    }
}

#[component]
fn Connected(account: Account) -> impl IntoView {
    let ui = use_ui();
    let id = account.id;
    let syncing = RwSignal::new(false);
    let sync_now = move |_| {
        super::integrations::sync_account_now(ui, id, syncing, |new| {
            format!("Stripe synced: {new} new payment(s).")
        })
    };
    view! {
        <ul class="accounts">
            <li class="account" data-status="connected">
                <div>
                    <strong id="stripe-connected">{account.email.clone()}</strong>
                    <span class="badge ok">"Connected"</span>
                </div>
                <div class="actions">
                    <button class="button secondary small" id="stripe-sync-now" disabled=move || syncing.get() on:click=sync_now>
                        {move || if syncing.get() { "Syncing…" } else { "Sync now" }}
                    </button>
                </div>
            </li>
        </ul>
    }
}

#[component]
fn KeyForm() -> impl IntoView {
    let ui = use_ui();
    let key = RwSignal::new(String::new());
    let connect = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        run(ui, api::connect_payments(key.get_untracked()), move |a| {
            key.set(String::new());
            ui.ok(format!("Connected {}", a.email));
            ui.changed();
        });
    };
    view! {
        <form on:submit=connect>
            <label class="field"><span>"Restricted or secret key"</span>
                <input id="stripe-key" type="password" autocomplete="off" placeholder="rk_live_… or sk_test_…" prop:value=move || key.get() on:input=move |e| key.set(event_target_value(&e)) on:change=move |e| key.set(event_target_value(&e)) />
            </label>
            <button type="submit" class="button primary" id="stripe-connect">"Connect Stripe"</button>
        </form>
    }
}
