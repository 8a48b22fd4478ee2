//! Sync history: the outbox (outgoing jobs waiting or given up, with "Retry"), then every run,
//! newest first, filtered by account, integration or failures.

use cremmy_protocol::engine::{Job, JobQuery, JobStatus};
use cremmy_protocol::sync::{SyncRun, SyncRunQuery, SyncRunStatus};
use leptos::prelude::*;

use crate::api;
use crate::format::datetime;
use crate::ui_state::{run, use_ui};

/// One line saying what a run did ("3 new · 40 read · 41 API calls").
pub fn run_summary(run: &SyncRun) -> String {
    let mut parts = vec![
        format!("{} new", run.created),
        format!("{} read", run.fetched),
    ];
    if run.recovered > 0 {
        parts.push(format!("{} recovered", run.recovered));
    }
    parts.push(format!("{} API calls", run.api_calls));
    parts.join(" · ")
}

#[component]
pub fn SyncHistoryPage() -> impl IntoView {
    let ui = use_ui();
    let failed_only = RwSignal::new(false);
    let account = RwSignal::new(None::<i64>);
    let accounts = LocalResource::new(api::accounts);
    let runs = LocalResource::new(move || {
        ui.revision.track();
        api::sync_runs(SyncRunQuery {
            account_id: account.get(),
            failed_only: failed_only.get(),
            limit: Some(200),
            ..SyncRunQuery::default()
        })
    });
    view! {
        <header class="page-header"><h1>"Sync history"</h1></header>
        <Outbox />
        <h2>"Runs"</h2>
        <div class="filters">
            <label class="small">"Account "
                <select id="sync-history-account" on:change=move |e| account.set(event_target_value(&e).parse().ok())>
                    <option value="">"All accounts"</option>
                    {move || accounts.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|a| view! {
                        <option value=a.id.to_string()>{a.email}</option>
                    }).collect_view()}
                </select>
            </label>
            <label class="small"><input type="checkbox" id="sync-history-failed" on:change=move |e| failed_only.set(event_target_checked(&e)) />" Failed only"</label>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || runs.get().map(|r| match r {
                Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                Ok(list) if list.is_empty() => view! {
                    <p class="empty" id="sync-history-empty">"No sync runs yet. Connect an account on Integrations, then use Sync now."</p>
                }.into_any(),
                Ok(list) => view! {
                    <table class="table sync-runs">
                        <thead><tr><th>"Started"</th><th>"Account"</th><th>"What"</th><th>"Result"</th><th>"Took"</th></tr></thead>
                        <tbody>
                            {list.into_iter().map(|run| {
                                let failed = run.status == SyncRunStatus::Failed;
                                let took = run.finished_at.map(|f| format!("{:.1} s", (f - run.started_at) as f64 / 1000.0)).unwrap_or_else(|| "running".into());
                                view! {
                                    <tr class="sync-run" class:failed=failed data-status=run.status.as_str() data-integration=run.integration.as_str()>
                                        <td>{datetime(run.started_at)}</td>
                                        <td>{run.account_email.clone().unwrap_or_else(|| "—".into())}</td>
                                        <td>{format!("{} {} ({})", run.integration, run.kind, run.trigger.as_str())}</td>
                                        <td>
                                            {run_summary(&run)}
                                            {run.error.clone().map(|e| view! { <p class="error small">{e}</p> })}
                                        </td>
                                        <td>{took}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            })}
        </Transition>
    }
}

/// Outgoing jobs still to do or given up; done ones are only in the runs below.
#[component]
fn Outbox() -> impl IntoView {
    let ui = use_ui();
    let jobs = LocalResource::new(move || {
        ui.revision.track();
        // Follows the engine: a job finishing or failing in the background shows up here.
        let _ = ui.engine.with(|s| (s.queued_jobs, s.dead_jobs));
        api::jobs(JobQuery {
            open_only: true,
            limit: Some(100),
        })
    });
    view! {
        <section class="card" id="outbox">
            <h2>"Outbox"</h2>
            <Transition fallback=|| ()>
                {move || jobs.get().map(|r| match r {
                    Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <p class="muted small" id="outbox-empty">"Nothing waiting: every email, draft, folder and export went through."</p>
                    }.into_any(),
                    Ok(list) => view! {
                        <ul class="list jobs">{list.into_iter().map(|job| view! { <JobLine job=job /> }).collect_view()}</ul>
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn JobLine(job: Job) -> impl IntoView {
    let ui = use_ui();
    let id = job.id;
    let state = match job.status {
        JobStatus::Dead => format!("Gave up after {} attempt(s)", job.attempts),
        JobStatus::Running => "Running…".to_string(),
        _ => format!("Waiting · next try {}", datetime(job.next_run_at)),
    };
    view! {
        <li class="job-row" data-status=job.status.as_str() data-kind=job.kind.as_str()>
            <div>
                <strong>{job.title.clone()}</strong>
                <span class="muted small">" · " {state}</span>
                {job.last_error.clone().map(|e| view! { <p class="error small">{e}</p> })}
            </div>
            <button class="button small secondary job-retry" disabled=job.status == JobStatus::Running on:click=move |_| {
                run(ui, api::retry_job(id), move |()| {
                    ui.ok("Done: the job went through");
                    ui.changed();
                });
            }>{if job.status == JobStatus::Dead { "Retry" } else { "Try now" }}</button>
        </li>
    }
}
