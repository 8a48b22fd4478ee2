//! Tasks: overdue, today, upcoming and someday, each completed in one click.

use cremmy_protocol::crm::{Task, TaskInput};
use leptos::prelude::*;

use crate::api;
use crate::format::{local_instant, local_today, time_zone};
use crate::ui_state::{run, use_ui, Route};

#[component]
pub fn TasksPage() -> impl IntoView {
    let ui = use_ui();
    let board = LocalResource::new(move || {
        ui.revision.track();
        api::task_board(local_today())
    });
    let title = RwSignal::new(String::new());
    let due = RwSignal::new(local_today());
    let time = RwSignal::new(String::new());
    // Minutes before the due time to be reminded (a native notification); empty: no reminder.
    let remind = RwSignal::new(String::new());
    let add = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        let reminder_at = remind.get().parse::<i64>().ok().and_then(|before| {
            local_instant(&due.get(), &time.get()).map(|at| at - before * 60_000)
        });
        let input = TaskInput {
            title: title.get(),
            due_date: Some(due.get()).filter(|d| !d.is_empty()),
            due_time: Some(time.get()).filter(|t| !t.is_empty()),
            reminder_at,
            ..TaskInput::default()
        };
        run(ui, api::create_task(input), move |t| {
            title.set(String::new());
            ui.ok(format!("Added {}", t.title));
            ui.changed();
        });
    };
    view! {
        <header class="page-header"><h1>"Tasks"</h1></header>
        <form class="inline-row new-task" id="new-task" on:submit=add>
            <input id="task-title" placeholder="What needs doing?" prop:value=move || title.get() on:input=move |e| title.set(event_target_value(&e)) />
            <input id="task-due" type="date" prop:value=move || due.get() on:input=move |e| due.set(event_target_value(&e)) />
            <input id="task-time" type="time" prop:value=move || time.get() on:input=move |e| time.set(event_target_value(&e)) />
            <select id="task-remind" title="Remind me (a notification)" on:change=move |e| remind.set(event_target_value(&e))>
                <option value="">"No reminder"</option>
                <option value="0">"Remind at the due time"</option>
                <option value="15">"15 min before"</option>
                <option value="60">"1 hour before"</option>
                <option value="1440">"1 day before"</option>
            </select>
            <button type="submit" class="button primary" id="add-task">"Add task"</button>
        </form>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || board.get().map(|r| match r {
                Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                Ok(b) => {
                    let empty = b.overdue.is_empty() && b.due_today.is_empty() && b.upcoming.is_empty() && b.someday.is_empty();
                    view! {
                        {empty.then(|| view! { <p class="empty" id="tasks-empty">"Nothing to do. Add a task above, or from a client's page."</p> })}
                        <Bucket id="overdue" title="Overdue" tasks=b.overdue />
                        <Bucket id="today" title="Today" tasks=b.due_today />
                        <Bucket id="upcoming" title="Upcoming" tasks=b.upcoming />
                        <Bucket id="someday" title="No date" tasks=b.someday />
                        <Bucket id="done" title="Done this week" tasks=b.recently_done />
                    }.into_any()
                }
            })}
        </Transition>
    }
}

#[component]
fn Bucket(id: &'static str, title: &'static str, tasks: Vec<Task>) -> impl IntoView {
    let ui = use_ui();
    (!tasks.is_empty()).then(|| {
        view! {
            <section class="card bucket" id=format!("tasks-{id}")>
                <h2>{title}<span class="count">{tasks.len()}</span></h2>
                <ul class="list">
                    {tasks.into_iter().map(|t| {
                        let task_id = t.id;
                        let done = t.done_at.is_some();
                        let client = t.client_id.zip(t.client_name.clone());
                        view! {
                            <li class="task-line" class:done=done data-title=t.title.clone()>
                                <input type="checkbox" class="task-done" checked=done title=if done { "Reopen" } else { "Mark done" }
                                    on:change=move |_| run(ui, api::set_task_done(task_id, !done), move |_| ui.changed()) />
                                <span class="task-title">{t.title.clone()}</span>
                                <span class="muted small">{t.due_date.clone().unwrap_or_default()}</span>
                                {t.due_date.is_some().then(|| {
                                    let task = t.clone();
                                    view! {
                                        <input type="time" class="task-time" title="Move the due time" value=t.due_time.clone().unwrap_or_default()
                                            on:change=move |e| {
                                                let input = TaskInput {
                                                    title: task.title.clone(),
                                                    notes: task.notes.clone(),
                                                    due_date: task.due_date.clone(),
                                                    due_time: Some(event_target_value(&e)).filter(|v| !v.is_empty()),
                                                    reminder_at: task.reminder_at,
                                                    client_id: task.client_id,
                                                    deal_id: task.deal_id,
                                                };
                                                run(ui, api::update_task(task.id, input), move |_| { ui.ok("Task moved"); ui.changed(); });
                                            } />
                                    }
                                })}
                                {match (t.on_calendar, t.due_time.is_some()) {
                                    (true, _) => Some(view! { <span class="badge ok on-calendar">"On calendar"</span> }.into_any()),
                                    (false, true) => Some(view! {
                                        <button class="link small add-to-calendar" on:click=move |_| run(ui, api::add_task_to_calendar(task_id, time_zone()), move |()| {
                                            ui.ok("Added to your calendar");
                                            ui.changed();
                                        })>"Add to calendar"</button>
                                    }.into_any()),
                                    (false, false) => None,
                                }}
                                {client.map(|(cid, name)| view! { <button class="link small" on:click=move |_| ui.go(Route::Client(cid))>{name}</button> })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
        }
    })
}
