//! The client page's Payments card: invoices (status, overdue, paid so far, the provider's page)
//! and payment links made from the client's deals, what is still owed per currency, and "Create
//! invoice" / "Payment link" for a deal at a connected payments account (Stripe or Xero; "Invoice
//! with" chooses when several are connected).

use cremmy_protocol::crm::{Deal, Id, Money};
use cremmy_protocol::payments::{ClientPayments, Invoice, InvoiceRequest, InvoiceStatus};
use leptos::prelude::*;

use crate::api;
use crate::format::{datetime, money};
use crate::ui_state::{run, use_ui, Route};

fn amount(minor: i64, currency: &str) -> String {
    money(&Money {
        minor,
        currency: currency.to_string(),
    })
}

fn status_text(i: &Invoice) -> &'static str {
    if i.overdue {
        return "overdue";
    }
    match i.status {
        InvoiceStatus::Draft => "draft",
        InvoiceStatus::Open if i.paid_minor > 0 => "part paid",
        InvoiceStatus::Open => "open",
        InvoiceStatus::Paid => "paid",
        InvoiceStatus::Void => "void",
        InvoiceStatus::Uncollectible => "uncollectible",
    }
}

#[component]
pub fn PaymentsCard(client_id: Id, deals: Vec<Deal>) -> impl IntoView {
    let ui = use_ui();
    let payments = LocalResource::new(move || {
        ui.revision.track();
        api::client_payments(client_id)
    });
    let billable: Vec<Deal> = deals
        .into_iter()
        .filter(|d| d.lost_at.is_none() && d.value.minor > 0)
        .collect();
    let deal = RwSignal::new(
        billable
            .first()
            .map(|d| d.id.to_string())
            .unwrap_or_default(),
    );
    let days = RwSignal::new("14".to_string());
    // The connected payments accounts; with several, "Invoice with" picks one (else the first).
    let payment_accounts = LocalResource::new(move || async move {
        api::accounts().await.map(|list| {
            list.into_iter()
                .filter(|a| {
                    a.status == cremmy_protocol::accounts::AccountStatus::Connected
                        && a.features
                            .contains(&cremmy_protocol::accounts::Feature::Payments)
                })
                .collect::<Vec<_>>()
        })
    });
    let with = RwSignal::new(String::new());
    let send = RwSignal::new(true);
    let busy = RwSignal::new(false);
    let chosen = move || deal.get_untracked().parse::<Id>().ok();
    let invoice = move |_| {
        let Some(deal_id) = chosen() else { return };
        let Ok(days_until_due) = days.get_untracked().trim().parse::<u32>() else {
            ui.error(&cremmy_protocol::ApiError {
                code: cremmy_protocol::ErrorCode::InvalidInput,
                message: "The due date is a number of days, like 14.".into(),
            });
            return;
        };
        busy.set(true);
        let request = InvoiceRequest {
            deal_id,
            days_until_due,
            memo: String::new(),
            send: send.get_untracked(),
            account_id: with.get_untracked().parse::<Id>().ok(),
        };
        run(ui, api::create_invoice(request), move |i| {
            busy.set(false);
            ui.ok(match i.number {
                Some(n) => format!("Invoice {n} sent"),
                None => "Invoice drafted".to_string(),
            });
            ui.changed();
        });
        busy.set(false);
    };
    let link = move |_| {
        let Some(deal_id) = chosen() else { return };
        busy.set(true);
        run(ui, api::create_payment_link(deal_id), move |l| {
            busy.set(false);
            ui.ok(format!("Payment link made: {}", l.url));
            ui.changed();
        });
        busy.set(false);
    };
    view! {
        <section class="card" id="payments">
            <h2>"Payments"</h2>
            <Transition fallback=|| ()>
                {move || payments.get().map(|r| match r {
                    Err(e) => view! { <p class="error small">{e.message}</p> }.into_any(),
                    Ok(p) => view! { <PaymentsList payments=p /> }.into_any(),
                })}
            </Transition>
            {(!billable.is_empty()).then(|| view! {
                <div class="inline-row" id="bill-deal">
                    <select id="bill-deal-choice" prop:value=move || deal.get() on:change=move |e| deal.set(event_target_value(&e))>
                        {billable.iter().map(|d| {
                            let v = d.id.to_string();
                            view! { <option value=v>{format!("{} ({})", d.title, money(&d.value))}</option> }
                        }).collect_view()}
                    </select>
                    <label class="field inline"><span>"due in days"</span>
                        <input id="bill-days" size="4" prop:value=move || days.get() on:input=move |e| days.set(event_target_value(&e)) />
                    </label>
                    {move || payment_accounts.get().and_then(Result::ok).filter(|l| l.len() > 1).map(|list| view! {
                        <label class="field inline"><span>"Invoice with"</span>
                            <select id="bill-with" prop:value=move || with.get() on:change=move |e| with.set(event_target_value(&e))>
                                <option value="">"First connected"</option>
                                {list.into_iter().map(|a| view! {
                                    <option value=a.id.to_string()>{format!("{} ({})", a.provider.display_name(), a.email)}</option>
                                }).collect_view()}
                            </select>
                        </label>
                    })}
                    <label class="check"><input type="checkbox" id="bill-send" prop:checked=move || send.get() on:change=move |e| send.set(event_target_checked(&e)) />"send it now (else a draft)"</label>
                    <button class="button primary small" id="create-invoice" disabled=move || busy.get() on:click=invoice>"Create invoice"</button>
                    <button class="button small secondary" id="create-payment-link" disabled=move || busy.get() on:click=link>"Payment link"</button>
                </div>
            })}
        </section>
    }
}

#[component]
fn PaymentsList(payments: ClientPayments) -> impl IntoView {
    if payments.invoices.is_empty() && payments.links.is_empty() {
        return view! { <p class="muted small" id="payments-empty">"No invoices or payment links yet."</p> }.into_any();
    }
    let owed: Vec<String> = payments
        .outstanding
        .iter()
        .map(|(c, m)| amount(*m, c))
        .collect();
    view! {
        {(!owed.is_empty()).then(|| view! { <p id="outstanding"><strong>"Outstanding: "</strong>{owed.join(" · ")}</p> })}
        <ul class="list" id="invoices">
            {payments.invoices.into_iter().map(|i| {
                let status = status_text(&i);
                view! {
                    <li class="invoice-line" data-status=status>
                        <span>{i.number.clone().unwrap_or_else(|| "Draft".into())}</span>
                        <span class=format!("badge {}", status.replace(' ', "-"))>{status}</span>
                        <span class="num">{amount(i.total_minor, &i.currency)}</span>
                        {(i.paid_minor > 0 && i.paid_minor < i.total_minor).then(|| view! {
                            <span class="muted small">{format!("paid {}", amount(i.paid_minor, &i.currency))}</span>
                        })}
                        {i.due_at.map(|d| view! { <span class="muted small">{format!("due {}", datetime(d))}</span> })}
                        {i.url.clone().map(|u| view! {
                            <button class="link small" on:click=move |_| { let u = u.clone(); leptos::task::spawn_local(async move { let _ = api::open_provider_page(u).await; }); }>"Open"</button>
                        })}
                    </li>
                }
            }).collect_view()}
            {payments.links.into_iter().map(|l| {
                let paid = l.paid_minor >= l.amount_minor;
                let class = if paid { "badge paid" } else { "badge open" };
                view! {
                    <li class="link-line">
                        <span>"Payment link"</span>
                        <span class=class>{if paid { "paid" } else { "waiting" }}</span>
                        <span class="num">{amount(l.amount_minor, &l.currency)}</span>
                        <input class="small" readonly prop:value=l.url.clone() title="Copy into an email or a text" />
                    </li>
                }
            }).collect_view()}
        </ul>
    }.into_any()
}

/// Today's "Overdue invoices": open invoices past their due date, the longest overdue first;
/// each opens its client.
#[component]
pub fn OverdueInvoices() -> impl IntoView {
    let ui = use_ui();
    let overdue = LocalResource::new(move || {
        ui.revision.track();
        api::overdue_invoices()
    });
    view! {
        <section class="card" id="today-overdue-invoices">
            <h2>"Overdue invoices"</h2>
            <Transition fallback=|| ()>
                {move || overdue.get().map(|r| match r {
                    Err(e) => view! { <p class="error small">{e.message}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="muted small">"No invoice is past its due date."</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="list">
                            {list.into_iter().map(|i| {
                                let client = i.client_id;
                                view! {
                                    <li class="today-item clickable" on:click=move |_| ui.go(Route::Client(client))>
                                        <span class="title">{i.number.clone().unwrap_or_else(|| "Invoice".into())}</span>
                                        <span class="num">{amount(i.total_minor - i.paid_minor, &i.currency)}</span>
                                        {i.due_at.map(|d| view! { <span class="muted small">{format!("due {}", datetime(d))}</span> })}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
}
