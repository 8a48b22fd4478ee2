//! Charts drawn as SVG: horizontal bars in one or more series, an x axis with labelled ticks, a
//! legend, and a tooltip (`<title>`) on every bar. Colours come from the theme's CSS variables, so
//! light and dark both work.

use leptos::prelude::*;

/// One series of bars (its legend name and CSS class).
#[derive(Clone)]
pub struct Series {
    pub name: &'static str,
    pub class: &'static str,
}

/// One row of the chart: its label and one value per series, each with the text its tooltip and
/// end label show.
#[derive(Clone)]
pub struct Bar {
    pub label: String,
    pub values: Vec<(i64, String)>,
}

const LABEL_W: f64 = 150.0;
const PLOT_W: f64 = 440.0;
const VALUE_W: f64 = 120.0;
const BAR_H: f64 = 14.0;
const GAP: f64 = 10.0;
const AXIS_H: f64 = 22.0;

/// A bar chart. Values are minor units of `currency` (ticks read "$25,000"), or plain counts
/// without one.
#[component]
pub fn BarChart(
    aria: String,
    series: Vec<Series>,
    bars: Vec<Bar>,
    #[prop(optional)] currency: Option<String>,
) -> impl IntoView {
    let axis = move |v: i64| match &currency {
        Some(c) => crate::format::money(&cremmy_protocol::crm::Money {
            minor: v,
            currency: c.clone(),
        }),
        None => v.to_string(),
    };
    let per_row = series.len().max(1) as f64;
    let row_h = per_row * BAR_H + GAP;
    let max = bars
        .iter()
        .flat_map(|b| b.values.iter().map(|(v, _)| *v))
        .max()
        .unwrap_or(0)
        .max(1);
    let height = row_h * bars.len() as f64 + AXIS_H;
    let width = LABEL_W + PLOT_W + VALUE_W;
    let x = move |v: i64| LABEL_W + (v.max(0) as f64 / max as f64) * PLOT_W;
    let ticks: Vec<i64> = vec![0, max / 2, max];
    let plot_bottom = row_h * bars.len() as f64;
    let legend = (series.len() > 1).then(|| {
        view! {
            <div class="chart-legend">
                {series.iter().map(|s| view! { <span><i class=format!("swatch {}", s.class)></i>{s.name}</span> }).collect_view()}
            </div>
        }
    });
    view! {
        {legend}
        <svg viewBox=format!("0 0 {width} {height}") width="100%" role="img" aria-label=aria class="bar-chart">
            {ticks.into_iter().map(|t| view! {
                <g class="tick">
                    <line x1=x(t) x2=x(t) y1="0" y2=plot_bottom class="chart-grid"></line>
                    <text x=x(t) y=plot_bottom + 15.0 class="chart-axis" text-anchor="middle">{axis(t)}</text>
                </g>
            }).collect_view()}
            {bars.into_iter().enumerate().map(|(i, bar)| {
                let top = i as f64 * row_h;
                let label = bar.label.clone();
                view! {
                    <g class="chart-row">
                        <text x="0" y=top + (row_h - GAP) / 2.0 + 4.0 class="chart-label">{label}</text>
                        {bar.values.into_iter().zip(series.iter().cloned()).enumerate().map(|(k, ((v, text), s))| {
                            let y = top + k as f64 * BAR_H;
                            let w = (x(v) - LABEL_W).max(1.0);
                            let tip = format!("{} · {}: {}", bar.label, s.name, text);
                            view! {
                                <g>
                                    <title>{tip}</title>
                                    <rect x=LABEL_W y=y + 1.0 width=w height=BAR_H - 2.0 rx="2" class=format!("chart-bar {}", s.class)></rect>
                                    <text x=LABEL_W + w + 6.0 y=y + BAR_H - 3.0 class="chart-value">{text}</text>
                                </g>
                            }
                        }).collect_view()}
                    </g>
                }
            }).collect_view()}
        </svg>
    }
}
