//! Follow-up work, subscribed to the domain event bus: new journal events go to webhook endpoints
//! and automation rules (among them the default ones: a new client's Drive folder, a deal entering
//! Proposal's draft); a task on the calendar moves its event; activities rescore their client. Each follow-up is an outbox job, so it survives a crash and
//! retries on its own; this task only decides and queues.

use cremmy_protocol::crm::CrmEvent;
use tokio::sync::broadcast::error::RecvError;

use crate::sync::SyncRunner;

/// Subscribes `runner`'s follow-ups to its CRM's events, from now on. The task ends when the bus
/// does; aborting it is safe (a job is queued or it is not).
pub fn start(runner: SyncRunner) -> tokio::task::JoinHandle<()> {
    let bus = runner.crm().events().clone();
    let mut events = bus.subscribe();
    tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => {
                    follow_up(&runner, event).await;
                    // Whatever the event recorded in the journal goes to the webhook endpoints
                    // (the deliveries run on their own; the engine's tick catches up on misses).
                    if let Err(e) = runner.dispatch_events().await {
                        eprintln!("warning: events not handed to webhooks yet: {e}");
                    }
                    if let Err(e) = runner.run_rules().await {
                        eprintln!("warning: automation rules not run yet: {e}");
                    }
                    bus.mark_handled(1);
                }
                // Missed events (a burst beyond the bus's capacity) count as handled; the user can
                // still ask for each follow-up by hand.
                Err(RecvError::Lagged(missed)) => bus.mark_handled(missed),
                Err(RecvError::Closed) => return,
            }
        }
    })
}

/// Queues what `event` calls for. The job runs in the background; its run is logged.
async fn follow_up(runner: &SyncRunner, event: CrmEvent) {
    match event {
        CrmEvent::DealStageChanged { client_id, .. } => {
            rescore(runner, &[client_id]).await;
        }
        CrmEvent::TaskChanged { task_id, .. } => {
            runner.after_task_changed(task_id).await;
        }
        // What the client did changes its lead score.
        CrmEvent::ActivitiesRecorded { activities, .. } => {
            let mut clients: Vec<i64> = activities.iter().map(|a| a.client_id).collect();
            clients.sort_unstable();
            clients.dedup();
            rescore(runner, &clients).await;
        }
        // The stage change before a win or loss already rescored the client; a crossing's own
        // actions are done.
        CrmEvent::ClientCreated { .. }
        | CrmEvent::DealWon { .. }
        | CrmEvent::DealLost { .. }
        | CrmEvent::ScoreCrossed { .. } => {}
    }
}

/// Rescores clients (their automatic actions run on a crossing). A failure is logged, never
/// fatal: the next event or `cremmy score --all` recomputes.
async fn rescore(runner: &SyncRunner, clients: &[i64]) {
    for &client_id in clients {
        if let Err(e) = runner.crm().rescore(client_id).await {
            eprintln!("warning: lead score of client {client_id} not updated: {e}");
        }
    }
}
