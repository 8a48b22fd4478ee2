//! Settings → Money: the home currency totals are shown in, the exchange rates the user enters
//! (with the date each was last updated), the currencies still without one, and each open stage's
//! win probability for the forecast.

use cremmy_protocol::reports::{MoneySettings, RateInput};
use leptos::prelude::*;

use crate::api;
use crate::format::datetime;
use crate::ui_state::{run, use_ui};

#[component]
pub fn MoneySettingsCard() -> impl IntoView {
    let ui = use_ui();
    let settings = LocalResource::new(move || {
        ui.revision.track();
        api::money_settings()
    });
    view! {
        <section class="card" id="money-settings">
            <h2>"Money"</h2>
            <Transition fallback=|| ()>
                {move || settings.get().map(|r| match r {
                    Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                    Ok(s) => view! { <MoneyForm settings=s /> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn MoneyForm(settings: MoneySettings) -> impl IntoView {
    let ui = use_ui();
    let home = RwSignal::new(settings.home_currency.clone());
    let new_currency = RwSignal::new(settings.missing.first().cloned().unwrap_or_default());
    let new_rate = RwSignal::new(String::new());
    let save_rate = move |currency: String, rate: String| {
        run(
            ui,
            api::set_exchange_rate(RateInput {
                currency: currency.clone(),
                rate: rate.clone(),
            }),
            move |_| {
                ui.ok(if rate.trim().is_empty() {
                    format!("Removed the {currency} rate")
                } else {
                    format!("Saved: 1 {currency} = {rate}")
                });
                ui.changed();
            },
        );
    };
    let home_code = settings.home_currency.clone();
    let missing = (!settings.missing.is_empty()).then(|| {
        view! {
            <p class="notice" id="rates-missing">
                {format!("No rate yet for {}: amounts in it are shown apart from totals in {}.", settings.missing.join(", "), settings.home_currency)}
            </p>
        }
    });
    view! {
        <form class="inline-row" on:submit=move |e| {
            e.prevent_default();
            run(ui, api::set_home_currency(home.get_untracked()), move |s| {
                ui.ok(format!("Totals are now in {}", s.home_currency));
                ui.changed();
            });
        }>
            <label class="field inline"><span>"Home currency"</span>
                <input id="home-currency" maxlength="3" size="4" prop:value=move || home.get() on:input=move |e| home.set(event_target_value(&e)) />
            </label>
            <button type="submit" class="button small secondary">"Use"</button>
        </form>
        <p class="muted small">"Totals, charts and the forecast are shown in the home currency."</p>
        {missing}
        <table class="table" id="rates">
            <thead><tr><th>"Currency"</th><th>{format!("Worth in {home_code}")}</th><th>"Updated"</th><th></th></tr></thead>
            <tbody>
                {settings.rates.into_iter().map(|r| {
                    let rate = RwSignal::new(r.rate.clone());
                    let currency = r.currency.clone();
                    let remove = r.currency.clone();
                    view! {
                        <tr data-currency=r.currency.clone()>
                            <td>{format!("1 {}", r.currency)}</td>
                            <td><input class="rate" inputmode="decimal" prop:value=move || rate.get() on:input=move |e| rate.set(event_target_value(&e))
                                on:change=move |e| save_rate(currency.clone(), event_target_value(&e)) /></td>
                            <td class="muted small">{datetime(r.updated_at)}</td>
                            <td><button class="button small secondary" on:click=move |_| save_rate(remove.clone(), String::new())>"Remove"</button></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        <form class="inline-row" id="add-rate" on:submit=move |e| {
            e.prevent_default();
            save_rate(new_currency.get_untracked(), new_rate.get_untracked());
        }>
            <span>"1"</span>
            <input id="rate-currency" placeholder="EUR" maxlength="3" size="4" prop:value=move || new_currency.get() on:input=move |e| new_currency.set(event_target_value(&e)) />
            <span>"="</span>
            <input id="rate-value" placeholder="1.08" inputmode="decimal" prop:value=move || new_rate.get() on:input=move |e| new_rate.set(event_target_value(&e)) />
            <span>{home_code}</span>
            <button type="submit" class="button small">"Save rate"</button>
        </form>
        <h3>"Win probability per stage"</h3>
        <p class="muted small">"The forecast counts each open deal at its stage's probability. Won is always 100%, lost 0%."</p>
        <ul class="list" id="stage-probabilities">
            {settings.stages.into_iter().map(|p| {
                let id = p.stage.id;
                let open = p.stage.kind == cremmy_protocol::crm::StageKind::Open;
                let value = RwSignal::new(p.probability.to_string());
                view! {
                    <li class="inline-row" data-stage=p.stage.name.clone()>
                        <span class="stage-name">{p.stage.name.clone()}</span>
                        <input class="probability" type="number" min="0" max="100" disabled=!open prop:value=move || value.get()
                            on:input=move |e| value.set(event_target_value(&e))
                            on:change=move |e| {
                                let text = event_target_value(&e);
                                let percent = if text.trim().is_empty() { Ok(None) } else { text.trim().parse::<u8>().map(Some) };
                                match percent {
                                    Ok(p) => run(ui, api::set_stage_probability(id, p), move |_| { ui.ok("Probability saved"); ui.changed(); }),
                                    Err(_) => ui.error(&cremmy_protocol::ApiError { code: cremmy_protocol::ErrorCode::InvalidInput, message: "probability: enter a whole percent from 0 to 100".into() }),
                                }
                            } />
                        <span>"%"</span>
                        {(open && !p.chosen).then(|| view! { <span class="muted small">"default"</span> })}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}
