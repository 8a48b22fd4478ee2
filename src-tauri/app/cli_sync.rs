//! `cremmy sync --once` and `cremmy sync-log`: the same core calls as "Sync now" and the Sync
//! history view.

use std::process::ExitCode;

use cremmy_core::sync::SyncRunner;
use cremmy_protocol::sync::{SyncRequest, SyncRun, SyncRunQuery, SyncRunStatus, SyncTrigger};

use crate::cli::report;

/// One pass, as the background engine makes one: the outbox's due jobs (sends, drafts, folders
/// waiting for a retry), then a sync of every connected account (or one); exit 1 if any run failed.
pub async fn sync_once(sync: &SyncRunner, account_id: Option<i64>, reconcile: bool) -> ExitCode {
    match sync.run_due_jobs().await {
        Ok(0) => {}
        Ok(tried) => {
            println!("Outbox: ran {tried} waiting job(s); `cremmy sync-log` has each run.")
        }
        Err(e) => return report(Err::<String, _>(e)),
    }
    let request = SyncRequest {
        account_id,
        reconcile,
    };
    let runs = match sync.sync_now(&request, SyncTrigger::Cli).await {
        Ok(runs) => runs,
        Err(e) => return report(Err::<String, _>(e)),
    };
    if runs.is_empty() {
        println!("Nothing to sync: connect an account with `cremmy connect google` (or reconnect one that needs it: `cremmy accounts`).");
        return ExitCode::SUCCESS;
    }
    for run in &runs {
        println!("{}", line(run));
    }
    if runs.iter().any(|r| r.status == SyncRunStatus::Failed) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

pub async fn sync_log(sync: &SyncRunner, failed_only: bool, limit: i64, json: bool) -> ExitCode {
    let query = SyncRunQuery {
        failed_only,
        limit: Some(limit),
        ..SyncRunQuery::default()
    };
    match sync.runs(&query).await {
        Ok(runs) if json => crate::cli::print_json(&runs),
        Ok(runs) if runs.is_empty() => report(Ok::<_, String>("No sync runs yet.".to_string())),
        Ok(runs) => {
            for run in &runs {
                println!("{}", line(run));
            }
            ExitCode::SUCCESS
        }
        Err(e) => report(Err::<String, _>(e)),
    }
}

fn line(run: &SyncRun) -> String {
    let who = run.account_email.as_deref().unwrap_or("(removed account)");
    let took = run
        .finished_at
        .map(|f| format!("{} ms", f - run.started_at))
        .unwrap_or_else(|| "running".into());
    let head = format!(
        "#{} {} {} {} [{}]: fetched {}, created {}, skipped {}, recovered {}, {} API calls, {}",
        run.id,
        run.integration,
        run.kind,
        who,
        run.trigger.as_str(),
        run.fetched,
        run.created,
        run.skipped,
        run.recovered,
        run.api_calls,
        took
    );
    match (&run.status, &run.error) {
        (SyncRunStatus::Failed, Some(e)) => format!("{head} — FAILED: {e}"),
        (SyncRunStatus::Failed, None) => format!("{head} — FAILED"),
        _ => format!("{head} — ok"),
    }
}

/// `cremmy search WORDS`: the palette's search from a terminal, one hit a line (or JSON).
pub async fn search(crm: &cremmy_core::crm::Crm, text: &str, limit: i64, json: bool) -> ExitCode {
    let hits = match crm.search(text, limit).await {
        Ok(hits) => hits,
        Err(e) => return report(Err::<String, _>(e)),
    };
    if json {
        return crate::cli::print_json(&hits);
    }
    if hits.is_empty() {
        println!("Nothing matches \"{text}\".");
    }
    for h in &hits {
        let kind = format!("{:?}", h.kind).to_lowercase();
        let place = if h.title == h.client_name {
            String::new()
        } else {
            format!(" ({})", h.client_name)
        };
        println!("{kind:<9} #{:<6} {}{place}", h.id, h.title);
    }
    ExitCode::SUCCESS
}
