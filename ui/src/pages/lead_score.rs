//! The lead score on the client page (the total, the four subscores, the signals with their
//! points, next actions each with "Create task") and its settings (weights, ideal client).

use cremmy_protocol::crm::{Id, TaskInput};
use cremmy_protocol::scores::{LeadScore, ScoreSettings};
use leptos::prelude::*;

use crate::api;
use crate::format::local_today;
use crate::ui_state::{run, use_ui};

#[component]
pub fn LeadScoreCard(client_id: Id) -> impl IntoView {
    let ui = use_ui();
    let score = LocalResource::new(move || {
        ui.revision.track();
        api::client_score(client_id)
    });
    view! {
        <section class="card" id="lead-score">
            <Transition fallback=|| ()>
                {move || score.get().map(|r| match r {
                    Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                    Ok(s) => view! { <Breakdown score=s client_id=client_id /> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Breakdown(score: LeadScore, client_id: Id) -> impl IntoView {
    let ui = use_ui();
    let bar = |label: &'static str, value: u8| {
        view! {
            <div class="subscore" data-subscore=label>
                <span class="label">{label}</span>
                <svg class="meter" viewBox="0 0 100 8" preserveAspectRatio="none" role="img" aria-label=format!("{label} {value} of 100")>
                <rect class="track" width="100" height="8" rx="4"></rect>
                <rect class="fill" width=value height="8" rx="4"></rect>
            </svg>
                <span class="value">{value}</span>
            </div>
        }
    };
    view! {
        <h2>"Lead score " <span class="score-total" id="score-total">{score.total}</span></h2>
        {bar("Engagement", score.engagement)}
        {bar("Fit", score.fit)}
        {bar("Momentum", score.momentum)}
        {bar("Financial", score.financial)}
        <h3>"Why"</h3>
        {score.signals.is_empty().then(|| view! { <p class="muted small">"Nothing yet: mail, meetings, texts, calls, deals and wins raise it."</p> })}
        <ul class="list signals">
            {score.signals.into_iter().map(|s| view! {
                <li class="signal" class:negative={s.points < 0}>
                    <span class="points">{if s.points > 0 { format!("+{}", s.points) } else { s.points.to_string() }}</span>
                    {s.text}
                </li>
            }).collect_view()}
        </ul>
        <h3>"Next"</h3>
        {score.next_actions.is_empty().then(|| view! { <p class="muted small">"No action suggested right now."</p> })}
        <ul class="list next-actions">
            {score.next_actions.into_iter().map(|a| {
                let title = a.clone();
                view! {
                    <li class="next-action">
                        <span>{a}</span>
                        <button class="button small secondary create-task" on:click=move |_| {
                            let input = TaskInput { title: title.clone(), due_date: Some(local_today()), client_id: Some(client_id), ..TaskInput::default() };
                            run(ui, api::create_task(input), move |_| { ui.ok("Task created for today"); ui.changed(); });
                        }>"Create task"</button>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

/// Settings → Lead score.
#[component]
pub fn ScoreSettingsCard() -> impl IntoView {
    let settings = LocalResource::new(api::score_settings);
    view! {
        <section class="card" id="score-settings">
            <h2>"Lead score"</h2>
            <Transition fallback=|| ()>
                {move || settings.get().map(|r| match r {
                    Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                    Ok(s) => view! { <ScoreForm settings=s /> }.into_any(),
                })}
            </Transition>
            <p class="muted small">"Scores are computed on this machine from your own data; nothing is sent anywhere."</p>
        </section>
    }
}

#[component]
fn ScoreForm(settings: ScoreSettings) -> impl IntoView {
    let ui = use_ui();
    let number = |v: u32| RwSignal::new(v.to_string());
    let (engagement, fit, momentum, financial) = (
        number(settings.engagement_weight),
        number(settings.fit_weight),
        number(settings.momentum_weight),
        number(settings.financial_weight),
    );
    let tags = RwSignal::new(settings.ideal_tags.join(", "));
    let deal = RwSignal::new(settings.ideal_deal_value.to_string());
    let no_reply = number(settings.no_reply_days);
    let threshold = number(u32::from(settings.threshold));
    let auto_task = RwSignal::new(settings.auto_task);
    let auto_deal = RwSignal::new(settings.auto_deal);
    let save = move || {
        let n = |s: RwSignal<String>| s.get_untracked().trim().parse::<u32>().unwrap_or(u32::MAX);
        let input = ScoreSettings {
            engagement_weight: n(engagement),
            fit_weight: n(fit),
            momentum_weight: n(momentum),
            financial_weight: n(financial),
            ideal_tags: tags
                .get_untracked()
                .split(',')
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect(),
            ideal_deal_value: deal
                .get_untracked()
                .trim()
                .replace(',', "")
                .parse()
                .unwrap_or(-1),
            no_reply_days: n(no_reply),
            threshold: u8::try_from(n(threshold)).unwrap_or(0),
            auto_task: auto_task.get_untracked(),
            auto_deal: auto_deal.get_untracked(),
        };
        run(ui, api::set_score_settings(input), move |_| {
            ui.ok("Lead score settings saved; scores recomputed");
            ui.changed();
        });
    };
    let field = |label: &'static str, id: &'static str, value: RwSignal<String>| {
        view! {
            <label class="field inline"><span>{label}</span>
                <input id=id size="6" prop:value=move || value.get() on:input=move |e| value.set(event_target_value(&e)) />
            </label>
        }
    };
    view! {
        <form on:submit=move |e| { e.prevent_default(); save(); }>
            <div class="inline-row">
                {field("Engagement weight", "weight-engagement", engagement)}
                {field("Fit weight", "weight-fit", fit)}
                {field("Momentum weight", "weight-momentum", momentum)}
                {field("Financial weight", "weight-financial", financial)}
            </div>
            <label class="field"><span>"Ideal client tags (comma-separated)"</span>
                <input id="ideal-tags" prop:value=move || tags.get() on:input=move |e| tags.set(event_target_value(&e)) />
            </label>
            <div class="inline-row">
                {field("Ideal deal size (home currency)", "ideal-deal", deal)}
                {field("No reply after (days)", "score-no-reply", no_reply)}
                {field("Threshold", "score-threshold", threshold)}
            </div>
            <label class="check"><input type="checkbox" id="auto-task" prop:checked=move || auto_task.get() on:change=move |e| auto_task.set(event_target_checked(&e)) />
                "When a score rises past the threshold, add a task from its top next action"</label>
            <label class="check"><input type="checkbox" id="auto-deal" prop:checked=move || auto_deal.get() on:change=move |e| auto_deal.set(event_target_checked(&e)) />
                "…and open a deal in the first stage for a client without one"</label>
            <button type="submit" class="button small" id="save-score-settings">"Save and recompute"</button>
        </form>
    }
}
