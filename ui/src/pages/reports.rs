//! Reports: pipeline by stage with the forecast (open value × stage probability), won and lost per
//! month, stage-to-stage flow, top clients. All in the home currency; amounts in a currency
//! without a rate are listed apart, never dropped. Each report exports as CSV.

use cremmy_protocol::crm::{HomeTotal, Money, StageKind};
use cremmy_protocol::reports::{ReportKind, ReportRequest, Reports};
use leptos::prelude::*;

use crate::api;
use crate::charts::{Bar, BarChart, Series};
use crate::format::money;
use crate::ui_state::{run, use_ui, Route};

fn request(months: u8) -> ReportRequest {
    ReportRequest {
        utc_offset_minutes: crate::format::utc_offset_minutes(),
        months,
    }
}

/// "$25,300 + £15,000 (no rate)".
pub fn home_total_text(t: &HomeTotal) -> String {
    let mut parts = vec![money(&t.home)];
    parts.extend(
        t.unconverted
            .iter()
            .map(|m| format!("{} (no rate)", money(m))),
    );
    parts.join(" + ")
}

fn apart(totals: &[&HomeTotal]) -> Vec<Money> {
    let mut out: Vec<Money> = Vec::new();
    for m in totals.iter().flat_map(|t| t.unconverted.iter()) {
        match out.iter_mut().find(|o| o.currency == m.currency) {
            Some(o) => o.minor += m.minor,
            None => out.push(m.clone()),
        }
    }
    out
}

#[component]
fn Unconverted(amounts: Vec<Money>) -> impl IntoView {
    (!amounts.is_empty()).then(|| {
        let text = amounts.iter().map(money).collect::<Vec<_>>().join(", ");
        view! { <p class="unconverted small" data-unconverted=text.clone()>{format!("Not in the chart (no exchange rate): {text}")}</p> }
    })
}

#[component]
fn ExportButton(kind: ReportKind, months: RwSignal<u8>) -> impl IntoView {
    let ui = use_ui();
    view! {
        <button class="button small secondary" data-export=kind.slug() on:click=move |_| {
            run(ui, api::export_report(kind, request(months.get_untracked())), move |made| {
                ui.ok(format!("Exported {} rows to {}", made.rows, made.path));
            });
        }>"Export CSV"</button>
    }
}

#[component]
pub fn ReportsPage() -> impl IntoView {
    let ui = use_ui();
    let months = RwSignal::new(12u8);
    let reports = LocalResource::new(move || {
        ui.revision.track();
        api::reports(request(months.get()))
    });
    view! {
        <header class="page-header">
            <h1>"Reports"</h1>
            <label class="inline-row small">"Months "
                <select id="report-months" on:change=move |e| months.set(event_target_value(&e).parse().unwrap_or(12))>
                    <option value="6">"6"</option>
                    <option value="12" selected>"12"</option>
                    <option value="24">"24"</option>
                </select>
            </label>
        </header>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || reports.get().map(|r| match r {
                Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                Ok(r) => view! { <ReportsView reports=r months=months /> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn ReportsView(reports: Reports, months: RwSignal<u8>) -> impl IntoView {
    let ui = use_ui();
    let home = reports.home_currency.clone();
    let missing = (!reports.missing_rates.is_empty()).then(|| {
        let list = reports.missing_rates.join(", ");
        view! {
            <p class="notice" id="missing-rates">
                {format!("No exchange rate for {list}: those amounts are shown apart. ")}
                <a href="#" on:click=move |e| { e.prevent_default(); ui.go(Route::Settings); }>"Add rates in Settings → Money"</a>
            </p>
        }
    });
    let value_series = vec![
        Series {
            name: "Value",
            class: "series-a",
        },
        Series {
            name: "Weighted",
            class: "series-b",
        },
    ];
    let pipeline_bars: Vec<Bar> = reports
        .pipeline
        .iter()
        .filter(|f| f.stage.kind != StageKind::Lost)
        .map(|f| Bar {
            label: format!("{} ({}%)", f.stage.name, f.probability),
            values: vec![
                (f.value.home.minor, money(&f.value.home)),
                (f.weighted.home.minor, money(&f.weighted.home)),
            ],
        })
        .collect();
    let pipeline_apart = apart(
        &reports
            .pipeline
            .iter()
            .filter(|f| f.stage.kind != StageKind::Lost)
            .map(|f| &f.value)
            .collect::<Vec<_>>(),
    );
    let outcome_bars: Vec<Bar> = reports
        .outcomes
        .iter()
        .map(|o| Bar {
            label: o.month.clone(),
            values: vec![
                (
                    o.won.home.minor,
                    format!("{} ({} won)", money(&o.won.home), o.won_count),
                ),
                (
                    o.lost.home.minor,
                    format!("{} ({} lost)", money(&o.lost.home), o.lost_count),
                ),
            ],
        })
        .collect();
    let outcomes_apart = apart(
        &reports
            .outcomes
            .iter()
            .flat_map(|o| [&o.won, &o.lost])
            .collect::<Vec<_>>(),
    );
    let client_bars: Vec<Bar> = reports
        .top_clients
        .iter()
        .map(|c| Bar {
            label: c.name.clone(),
            values: vec![
                (c.won.home.minor, money(&c.won.home)),
                (c.open.home.minor, money(&c.open.home)),
            ],
        })
        .collect();
    let clients_apart = apart(
        &reports
            .top_clients
            .iter()
            .flat_map(|c| [&c.won, &c.open])
            .collect::<Vec<_>>(),
    );
    let revenue_bars: Vec<Bar> = reports
        .revenue
        .iter()
        .map(|r| Bar {
            label: r.month.clone(),
            values: vec![(
                r.paid.home.minor,
                format!(
                    "{} ({} payment{})",
                    money(&r.paid.home),
                    r.payments,
                    if r.payments == 1 { "" } else { "s" }
                ),
            )],
        })
        .collect();
    let revenue_apart = apart(&reports.revenue.iter().map(|r| &r.paid).collect::<Vec<_>>());
    let no_revenue = reports.revenue.iter().all(|r| r.payments == 0);
    let outstanding = reports.outstanding.clone();
    let forecast = home_total_text(&reports.forecast);
    let no_outcomes = reports
        .outcomes
        .iter()
        .all(|o| o.won_count + o.lost_count == 0);
    if reports.pipeline.iter().all(|f| f.deal_count == 0) {
        return view! {
            <section class="empty" id="report-empty">
                <h2>"No deals yet"</h2>
                <p>"Reports come from your deals: the forecast, won and lost per month, how deals move between stages, your top clients. Add a deal on a client's page, or load the demo data from Clients, and they fill in."</p>
            </section>
        }
        .into_any();
    }
    view! {
        <p class="muted small" id="report-currency">{format!("Amounts in {home}, the home currency (Settings → Money).")}</p>
        {missing}
        <section class="card chart" id="report-pipeline">
            <div class="card-header"><h2>"Pipeline by stage"</h2><ExportButton kind=ReportKind::Pipeline months=months /></div>
            <p>"Forecast (open value × stage probability): " <strong id="forecast" data-forecast=reports.forecast.home.minor.to_string()>{forecast}</strong></p>
            <BarChart aria="Pipeline value and weighted value by stage".into() series=value_series currency=home.clone() bars=pipeline_bars />
            <Unconverted amounts=pipeline_apart />
            <p class="muted small">"Stage probabilities are set in Settings → Money."</p>
        </section>
        <section class="card chart" id="report-outcomes">
            <div class="card-header"><h2>"Won and lost per month"</h2><ExportButton kind=ReportKind::Outcomes months=months /></div>
            {no_outcomes.then(|| view! { <p class="muted">"No deal was won or lost in these months. Move a deal to Won or Lost on the pipeline to see it here."</p> })}
            <BarChart aria="Won and lost value per month".into() series=vec![Series { name: "Won", class: "series-won" }, Series { name: "Lost", class: "series-lost" }] currency=home.clone() bars=outcome_bars />
            <Unconverted amounts=outcomes_apart />
        </section>
        <section class="card" id="report-flow">
            <div class="card-header"><h2>"Stage to stage"</h2><ExportButton kind=ReportKind::Flow months=months /></div>
            <table class="table">
                <thead><tr><th>"Stage"</th><th>"Entered"</th><th>"Moved on"</th><th>"Lost"</th><th>"Conversion"</th><th>"Average days in stage"</th></tr></thead>
                <tbody>
                    {reports.flow.into_iter().map(|f| view! {
                        <tr data-stage=f.stage.name.clone()>
                            <td>{f.stage.name.clone()}</td>
                            <td>{f.entered}</td>
                            <td>{f.advanced}</td>
                            <td>{f.lost}</td>
                            <td class="conversion">{f.conversion_percent.map(|p| format!("{p}%")).unwrap_or_else(|| "–".into())}</td>
                            <td>{f.average_hours_in_stage.map(|h| format!("{:.1}", h as f64 / 24.0)).unwrap_or_else(|| "–".into())}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <p class="muted small">"Conversion: of the deals that left a stage, the share that moved forward or was won."</p>
        </section>
        <section class="card chart" id="report-top-clients">
            <div class="card-header"><h2>"Top clients"</h2><ExportButton kind=ReportKind::TopClients months=months /></div>
            <BarChart aria="Top clients by won and open value".into() series=vec![Series { name: "Won", class: "series-won" }, Series { name: "Open", class: "series-a" }] currency=home.clone() bars=client_bars />
            <Unconverted amounts=clients_apart />
        </section>
        <section class="card chart" id="report-revenue">
            <div class="card-header"><h2>"Revenue per month (paid)"</h2></div>
            {no_revenue.then(|| view! { <p class="muted">"No payment arrived in these months. Invoices and payment links from a client page (Integrations → Stripe) bring them in with each sync."</p> })}
            <BarChart aria="Payments received per month".into() series=vec![Series { name: "Paid", class: "series-won" }] currency=home.clone() bars=revenue_bars />
            <Unconverted amounts=revenue_apart />
        </section>
        <section class="card" id="report-outstanding">
            <h2>"Outstanding by client"</h2>
            {outstanding.is_empty().then(|| view! { <p class="muted">"No open invoice is waiting to be paid."</p> })}
            <ul class="list">
                {outstanding.into_iter().map(|c| view! {
                    <li class="deal-line" data-client=c.name.clone()>
                        <span>{c.name.clone()}</span>
                        <span class="num">{home_total_text(&c.owed)}</span>
                    </li>
                }).collect_view()}
            </ul>
        </section>
    }
    .into_any()
}
