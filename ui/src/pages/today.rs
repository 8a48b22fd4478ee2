//! Today, the home page: overdue and due-today tasks (done in one click), today's and tomorrow's
//! meetings with their video link, replies waiting for an answer, sent mail without a reply, quiet
//! deals, new leads, outbox failures. Every item opens its client. Before the first client, the
//! page is a short guided first run instead.

use cremmy_protocol::engine::{JobQuery, JobStatus};
use cremmy_protocol::today::{MeetingDay, Today, TodayRequest, TodaySettings};
use leptos::prelude::*;

use crate::api;
use crate::format::{clock_time, local_today, money, relative, utc_offset_minutes};
use crate::ui_state::{run, use_ui, Route};

pub fn today_request() -> TodayRequest {
    TodayRequest {
        today: local_today(),
        utc_offset_minutes: utc_offset_minutes(),
    }
}

#[component]
pub fn TodayPage() -> impl IntoView {
    let ui = use_ui();
    let today = LocalResource::new(move || {
        ui.revision.track();
        api::today(today_request())
    });
    view! {
        <header class="page-header"><h1>"Today"</h1></header>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || today.get().map(|r| match r {
                Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                Ok(t) if t.first_run => view! { <FirstRun /> }.into_any(),
                Ok(t) => view! { <TodayView today=t /> }.into_any(),
            })}
        </Transition>
    }
}

/// The guided first run: data in, an account connected, what the background sync does.
#[component]
fn FirstRun() -> impl IntoView {
    let ui = use_ui();
    view! {
        <section class="card first-run" id="first-run">
            <h2>"Welcome to Cremmy"</h2>
            <ol class="steps">
                <li>
                    <strong>"Bring in your clients. "</strong>
                    "Import a CSV from your spreadsheet, or explore with sample data."
                    <div class="inline-row">
                        <button class="button" id="first-run-demo" on:click=move |_| run(ui, api::load_demo(local_today()), move |n| {
                            ui.ok(format!("Loaded {n} demo records"));
                            ui.changed();
                        })>"Load demo data"</button>
                        <button class="button secondary" id="first-run-import" on:click=move |_| ui.go(Route::Clients)>"Import a CSV…"</button>
                    </div>
                </li>
                <li>
                    <strong>"Connect your mail and calendar. "</strong>
                    "Google Workspace (and Twilio for texts) in Integrations; your password never reaches Cremmy."
                    <div><button class="button secondary" id="first-run-connect" on:click=move |_| ui.go(Route::Integrations)>"Open Integrations"</button></div>
                </li>
                <li>
                    <strong>"Let it sync. "</strong>
                    "Every few minutes (Settings), Cremmy files your clients' mail and meetings on their timelines, notices replies, and sends what you queued, even after a restart or offline. This page then lists what needs you today."
                </li>
            </ol>
        </section>
    }
}

#[component]
fn Empty(text: &'static str) -> impl IntoView {
    view! { <p class="muted small empty">{text}</p> }
}

#[component]
fn TodayView(today: Today) -> impl IntoView {
    let ui = use_ui();
    let open = move |id| move |_| ui.go(Route::Client(id));
    let settings = today.settings;
    let failures = LocalResource::new(move || {
        ui.revision.track();
        api::jobs(JobQuery {
            open_only: true,
            limit: Some(50),
        })
    });
    let task_rows = |tasks: Vec<cremmy_protocol::crm::Task>, overdue: bool| {
        tasks.into_iter().map(move |t| {
            let id = t.id;
            let client = t.client_id.zip(t.client_name.clone());
            view! {
                <li class="today-item" class:overdue=overdue data-task=t.title.clone()>
                    <button class="button small secondary done" title="Mark done" on:click=move |_| run(ui, api::set_task_done(id, true), move |_| { ui.ok("Done"); ui.changed(); })>"Done"</button>
                    <span class="title">{t.title.clone()}</span>
                    <span class="muted small">{if overdue { format!("due {}", t.due_date.clone().unwrap_or_default()) } else { t.due_time.clone().unwrap_or_default() }}</span>
                    {client.map(|(cid, name)| view! { <a href="#" class="client-link" on:click=move |e| { e.prevent_default(); ui.go(Route::Client(cid)); }>{name}</a> })}
                </li>
            }
        }).collect_view()
    };
    let no_tasks = today.overdue.is_empty() && today.due_today.is_empty();
    view! {
        <div class="today-grid">
            <section class="card" id="today-tasks">
                <h2>{format!("Tasks ({})", today.overdue.len() + today.due_today.len())}</h2>
                {no_tasks.then(|| view! { <Empty text="Nothing due today. Add tasks on a client's page or in Tasks." /> })}
                <ul class="list">{task_rows(today.overdue, true)}{task_rows(today.due_today, false)}</ul>
            </section>
            <section class="card" id="today-meetings">
                <h2>"Meetings today and tomorrow"</h2>
                {today.meetings.is_empty().then(|| view! { <Empty text="No meetings. Connect Google Calendar in Integrations to see them here." /> })}
                <ul class="list">
                    {today.meetings.into_iter().map(|m| {
                        let link = m.link.clone();
                        view! {
                            <li class="today-item" data-meeting=m.title.clone()>
                                <span class="when">{format!("{} {}", if m.day == MeetingDay::Today { "Today" } else { "Tomorrow" }, clock_time(m.starts_at))}</span>
                                <a href="#" class="title" on:click=move |e| { e.prevent_default(); ui.go(Route::Client(m.client_id)); }>{format!("{} · {}", m.title, m.client_name)}</a>
                                {link.map(|url| {
                                    let href = url.clone();
                                    view! { <a class="button small join" href=href on:click=move |e| { e.prevent_default(); run(ui, api::open_provider_page(url.clone()), |()| {}); }>"Join"</a> }
                                })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
            <section class="card" id="today-replies">
                <h2>"Waiting for your answer"</h2>
                {today.replies_waiting.is_empty().then(|| view! { <Empty text="No client is waiting for an answer." /> })}
                <ul class="list">
                    {today.replies_waiting.into_iter().map(|m| view! {
                        <li class="today-item clickable" data-client=m.client_name.clone() on:click=open(m.client_id)>
                            <span class="title">{m.client_name.clone()}</span><span class="muted">{m.subject.clone()}</span><span class="muted small">{relative(m.at)}</span>
                        </li>
                    }).collect_view()}
                </ul>
            </section>
            <section class="card" id="today-no-reply">
                <h2>{format!("No reply after {} days", settings.no_reply_days)}</h2>
                {today.no_reply.is_empty().then(|| view! { <Empty text="Every recent email of yours has an answer." /> })}
                <ul class="list">
                    {today.no_reply.into_iter().map(|m| view! {
                        <li class="today-item clickable" data-client=m.client_name.clone() on:click=open(m.client_id)>
                            <span class="title">{m.client_name.clone()}</span><span class="muted">{m.subject.clone()}</span><span class="muted small">{format!("sent {}", relative(m.at))}</span>
                        </li>
                    }).collect_view()}
                </ul>
            </section>
            <section class="card" id="today-quiet-deals">
                <h2>{format!("Deals quiet for {} days", settings.stale_deal_days)}</h2>
                {today.quiet_deals.is_empty().then(|| view! { <Empty text="Every open deal had activity recently." /> })}
                <ul class="list">
                    {today.quiet_deals.into_iter().map(|d| view! {
                        <li class="today-item clickable" data-deal=d.title.clone() on:click=open(d.client_id)>
                            <span class="title">{d.title.clone()}</span><span class="muted">{format!("{} · {} · {}", d.client_name, d.stage, money(&d.value))}</span><span class="muted small">{format!("last touch {}", relative(d.last_touch_at))}</span>
                        </li>
                    }).collect_view()}
                </ul>
            </section>
            <super::client_payments::OverdueInvoices />
            <section class="card" id="today-hot">
                <h2>"Hot leads"</h2>
                {today.hot.is_empty().then(|| view! { <Empty text="No client's lead score is above the threshold (Settings → Lead score)." /> })}
                <ul class="list">
                    {today.hot.into_iter().map(|h| view! {
                        <li class="today-item clickable" data-client=h.name.clone() on:click=open(h.client_id)>
                            <span class="score-total">{h.score}</span>
                            <span class="title">{h.name.clone()}</span>
                            <span class="muted small">{h.next_action.clone().unwrap_or_default()}</span>
                        </li>
                    }).collect_view()}
                </ul>
            </section>
            <section class="card" id="today-leads">
                <h2>"New leads this week"</h2>
                {today.new_leads.is_empty().then(|| view! { <Empty text="No new leads this week. Leads from your Leads sheet and new clients with a deal show here." /> })}
                <ul class="list">
                    {today.new_leads.into_iter().map(|l| view! {
                        <li class="today-item clickable" data-client=l.name.clone() on:click=open(l.client_id)>
                            <span class="title">{l.name.clone()}</span><span class="muted small">{format!("{} · {}", l.source, relative(l.at))}</span>
                        </li>
                    }).collect_view()}
                </ul>
            </section>
            <section class="card" id="today-failures">
                <h2>"Outbox failures"</h2>
                <Transition fallback=|| ()>
                    {move || failures.get().map(|r| match r {
                        Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                        Ok(jobs) => {
                            let dead: Vec<_> = jobs.into_iter().filter(|j| j.status == JobStatus::Dead).collect();
                            if dead.is_empty() {
                                view! { <Empty text="Nothing failed: everything you queued went out." /> }.into_any()
                            } else {
                                view! {
                                    <ul class="list">
                                        {dead.into_iter().map(|j| {
                                            let id = j.id;
                                            view! {
                                                <li class="today-item">
                                                    <span class="title">{j.title.clone()}</span>
                                                    <span class="error small">{j.last_error.clone().unwrap_or_default()}</span>
                                                    <button class="button small secondary" on:click=move |_| run(ui, api::retry_job(id), move |()| { ui.ok("Queued again"); ui.changed(); })>"Retry"</button>
                                                </li>
                                            }
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            }
                        }
                    })}
                </Transition>
            </section>
        </div>
        <TodayThresholds settings=settings />
    }
}

/// The two thresholds, saved when a field changes.
#[component]
fn TodayThresholds(settings: TodaySettings) -> impl IntoView {
    let ui = use_ui();
    let save = move |s: TodaySettings| run(ui, api::set_today_settings(s), move |_| ui.changed());
    view! {
        <details class="card small" id="today-thresholds">
            <summary>"What counts as late"</summary>
            <label class="field inline"><span>"No reply after (days)"</span>
                <input id="no-reply-days" type="number" min="1" max="90" value=settings.no_reply_days on:change=move |e| {
                    if let Ok(d) = event_target_value(&e).parse() { save(TodaySettings { no_reply_days: d, ..settings }); }
                } />
            </label>
            <label class="field inline"><span>"Deal quiet after (days)"</span>
                <input id="stale-deal-days" type="number" min="1" max="365" value=settings.stale_deal_days on:change=move |e| {
                    if let Ok(d) = event_target_value(&e).parse() { save(TodaySettings { stale_deal_days: d, ..settings }); }
                } />
            </label>
        </details>
    }
}
