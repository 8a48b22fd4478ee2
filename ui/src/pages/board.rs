//! The pipeline board: a column per stage with counts and totals, deals moved by mouse
//! (pointer events) or keyboard (Space to lift, arrows to move, Space/Escape to drop), and a bar
//! chart of value by stage.

use cremmy_protocol::crm::{Board, BoardColumn, Deal, DealMove, Id, Money};
use leptos::ev;
use leptos::prelude::*;

use crate::api;
use crate::format::{datetime, grouped, money, relative};
use crate::ui_state::{run, use_ui, Route, Ui};

/// Where a dragged deal would land.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Target {
    stage_id: Id,
    index: i64,
}

#[derive(Clone, Copy)]
struct Drag {
    dragging: RwSignal<Option<Id>>,
    over: RwSignal<Option<Target>>,
    lifted: RwSignal<Option<Id>>,
    announce: RwSignal<String>,
}

fn move_to(ui: Ui, deal_id: Id, target: Target, then: impl FnOnce() + 'static) {
    run(
        ui,
        api::move_deal(DealMove {
            deal_id,
            stage_id: target.stage_id,
            index: target.index,
        }),
        move |_| {
            ui.changed();
            then();
        },
    );
}

#[component]
pub fn BoardPage() -> impl IntoView {
    let ui = use_ui();
    let board = LocalResource::new(move || {
        ui.revision.track();
        api::board()
    });
    let drag = Drag {
        dragging: RwSignal::new(None),
        over: RwSignal::new(None),
        lifted: RwSignal::new(None),
        announce: RwSignal::new(String::new()),
    };
    provide_context(drag);
    let _drop = window_event_listener(ev::pointerup, move |_| {
        if let (Some(deal), Some(target)) =
            (drag.dragging.get_untracked(), drag.over.get_untracked())
        {
            move_to(ui, deal, target, || {});
        }
        drag.dragging.set(None);
        drag.over.set(None);
    });
    let exporting = RwSignal::new(false);
    let export = move |_| {
        exporting.set(true);
        leptos::task::spawn_local(async move {
            export_to_sheets(ui).await;
            exporting.set(false);
        });
    };
    view! {
        <header class="page-header">
            <h1>"Pipeline"</h1>
            <p class="muted small">"Drag cards between stages, or focus a card and press Space, then the arrow keys."</p>
            <button class="button secondary" id="export-sheets" disabled=move || exporting.get() on:click=export>
                {move || if exporting.get() { "Exporting…" } else { "Export to Sheets" }}
            </button>
        </header>
        <div class="sr-only" aria-live="assertive">{move || drag.announce.get()}</div>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || board.get().map(|r| match r {
                Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                Ok(b) => view! { <BoardView board=b /> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn BoardView(board: Board) -> impl IntoView {
    let home = board.home_currency.clone();
    let total = board
        .columns
        .iter()
        .filter(|c| c.stage.kind == cremmy_protocol::crm::StageKind::Open)
        .fold((0i64, Vec::<Money>::new()), |(sum, mut apart), c| {
            for m in &c.home_total.unconverted {
                match apart.iter_mut().find(|a| a.currency == m.currency) {
                    Some(a) => a.minor += m.minor,
                    None => apart.push(m.clone()),
                }
            }
            (sum + c.home_total.home.minor, apart)
        });
    let open_total = crate::pages::reports::home_total_text(&cremmy_protocol::crm::HomeTotal {
        home: Money {
            minor: total.0,
            currency: home.clone(),
        },
        unconverted: total.1,
    });
    let ui = crate::ui_state::use_ui();
    let stage_ids: Vec<Id> = board.columns.iter().map(|c| c.stage.id).collect();
    let drag = expect_context::<Drag>();
    let no_deals = board.columns.iter().all(|c| c.deal_count == 0);
    view! {
        {no_deals.then(|| view! {
            <p class="notice" id="board-empty">"No deals yet. Open a client and use New deal (or load the demo data from Clients); then drag deals between stages here, or focus one and press Space and the arrows."</p>
        })}
        <div class="board" id="board" class:dragging=move || drag.dragging.get().is_some()>
            {board.columns.into_iter().map(|c| view! { <Column column=c stage_ids=stage_ids.clone() /> }).collect_view()}
        </div>
        <p class="board-summary" id="open-pipeline">
            {format!("Open pipeline: {open_total} ({home}). ")}
            <a href="#" on:click=move |e| { e.prevent_default(); ui.go(crate::ui_state::Route::Reports); }>"Forecast and charts in Reports"</a>
        </p>
    }
}

fn totals_text(totals: &[Money]) -> String {
    if totals.is_empty() {
        return money(&Money {
            minor: 0,
            currency: "USD".into(),
        });
    }
    totals.iter().map(money).collect::<Vec<_>>().join(" + ")
}

#[component]
fn Column(column: BoardColumn, stage_ids: Vec<Id>) -> impl IntoView {
    let drag = expect_context::<Drag>();
    let stage_id = column.stage.id;
    let count = column.deals.len() as i64;
    let hidden = column.deal_count - count;
    let deals = column.deals.clone();
    view! {
        <section class="column" data-stage=column.stage.name.clone() id=format!("stage-{stage_id}")
            class:drop-target=move || drag.over.get().is_some_and(|t| t.stage_id == stage_id)>
            <header>
                <h2>{column.stage.name.clone()}<span class="count">{column.deal_count}</span></h2>
                <div class="total" data-total=totals_text(&column.totals)>{totals_text(&column.totals)}</div>
            </header>
            <div class="cards">
                {deals.into_iter().enumerate().map(|(i, d)| view! { <Card deal=d index=i as i64 stage_ids=stage_ids.clone() /> }).collect_view()}
                <div class="column-end" on:pointerenter=move |_| if drag.dragging.get_untracked().is_some() {
                    drag.over.set(Some(Target { stage_id, index: count }));
                }>
                    {(hidden > 0).then(|| view! { <span class="muted small">{format!("+{} more", grouped(hidden))}</span> })}
                </div>
            </div>
        </section>
    }
}

#[component]
fn Card(deal: Deal, index: i64, stage_ids: Vec<Id>) -> impl IntoView {
    let ui = use_ui();
    let drag = expect_context::<Drag>();
    let id = deal.id;
    let stage_id = deal.stage_id;
    let client_id = deal.client_id;
    let title = deal.title.clone();
    let on_key = move |e: web_sys::KeyboardEvent| {
        let lifted = drag.lifted.get_untracked() == Some(id);
        let key = e.key();
        match key.as_str() {
            " " | "Enter" if !lifted => {
                e.prevent_default();
                drag.lifted.set(Some(id));
                drag.announce.set(format!(
                    "Lifted {}. Use the arrow keys to move it, Space to drop.",
                    title
                ));
            }
            " " | "Enter" | "Escape" if lifted => {
                e.prevent_default();
                drag.lifted.set(None);
                drag.announce.set(format!("Dropped {}.", title));
            }
            "ArrowLeft" | "ArrowRight" | "ArrowUp" | "ArrowDown" if lifted => {
                e.prevent_default();
                let column = stage_ids.iter().position(|s| *s == stage_id).unwrap_or(0) as i64;
                let target = match key.as_str() {
                    "ArrowLeft" if column > 0 => Target {
                        stage_id: stage_ids[(column - 1) as usize],
                        index: 0,
                    },
                    "ArrowRight" if column + 1 < stage_ids.len() as i64 => Target {
                        stage_id: stage_ids[(column + 1) as usize],
                        index: 0,
                    },
                    "ArrowUp" if index > 0 => Target {
                        stage_id,
                        index: index - 1,
                    },
                    "ArrowDown" => Target {
                        stage_id,
                        index: index + 1,
                    },
                    _ => return,
                };
                let title = title.clone();
                move_to(ui, id, target, move || {
                    drag.announce.set(format!("Moved {title}."));
                    refocus(id);
                });
            }
            _ => {}
        }
    };
    view! {
        <article class="deal-card" id=format!("deal-{id}") tabindex="0" data-title=deal.title.clone()
            class:lifted=move || drag.lifted.get() == Some(id)
            class:being-dragged=move || drag.dragging.get() == Some(id)
            class:insert-before=move || drag.over.get() == Some(Target { stage_id, index }) && drag.dragging.get() != Some(id)
            on:pointerdown=move |e: web_sys::PointerEvent| if e.button() == 0 {
                // No preventDefault: a click must still focus the card for keyboard moves.
                drag.dragging.set(Some(id));
                drag.over.set(None);
            }
            on:pointerenter=move |_| if drag.dragging.get_untracked().is_some() {
                drag.over.set(Some(Target { stage_id, index }));
            }
            on:dblclick=move |_| ui.go(Route::Client(client_id))
            on:keydown=on_key
        >
            <div class="deal-title">{deal.title.clone()}</div>
            <div class="deal-meta">
                <span>{deal.client_name.clone()}{deal.client_score.map(|s| view! { " " <span class="score-badge" title="The client's lead score">{s}</span> })}</span>
                <span class="num">{money(&deal.value)}</span>
            </div>
            {deal.expected_close.clone().map(|d| view! { <div class="muted small">{format!("Close {d}")}</div> })}
            {deal.replied_at.map(|at| view! { <div class="small replied-line" title=datetime(at)>{format!("Replied {}", relative(at))}</div> })}
        </article>
    }
}

/// Puts keyboard focus back on a card after the board re-renders.
fn refocus(id: Id) {
    set_timeout(
        move || {
            use wasm_bindgen::JsCast;
            if let Some(el) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id(&format!("deal-{id}")))
                .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
            {
                let _ = el.focus();
            }
        },
        std::time::Duration::from_millis(120),
    );
}

/// "Export to Sheets" (the board's button and the palette): the toast links to the spreadsheet.
pub async fn export_to_sheets(ui: crate::ui_state::Ui) {
    match api::export_sheets().await {
        Ok(done) => ui.ok_with_link(
            format!(
                "Exported {} deals to \"Pipeline Dump\"{}.",
                done.deals,
                if done.created_new {
                    " (new spreadsheet)"
                } else {
                    ""
                }
            ),
            done.url,
        ),
        Err(e) => ui.error(&e),
    }
}
