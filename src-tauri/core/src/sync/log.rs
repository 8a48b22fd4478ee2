//! The sync log: a row per run (started, finished, counts, calls, error), read by the Sync history
//! view and the Integrations cards, pruned by age.

use cremmy_protocol::kinds::{Integration, RunKind};
use cremmy_protocol::sync::{SyncRun, SyncRunQuery, SyncRunStatus, SyncTrigger};
use cremmy_protocol::ErrorCode;

use crate::clock::Timestamp;
use crate::db::Database;

/// Rows older than this are pruned.
pub const KEEP_MS: i64 = 30 * 86_400_000;

/// What a finished run reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunOutcome {
    /// What the run turned out to be (a mail pull may become a full sync); `None`: as started.
    pub kind: Option<RunKind>,
    pub fetched: i64,
    pub created: i64,
    pub skipped: i64,
    pub recovered: i64,
    pub api_calls: i64,
    pub error: Option<(ErrorCode, String)>,
}

impl RunOutcome {
    /// A run that made `created` items with `api_calls` provider calls.
    pub fn made(created: i64, api_calls: u32) -> RunOutcome {
        RunOutcome {
            created,
            api_calls: i64::from(api_calls),
            ..Default::default()
        }
    }

    /// A one-shot job (send, draft, generate): one item made when it succeeded.
    pub fn of_job<T, E>(result: &Result<T, E>, api_calls: u32) -> RunOutcome {
        RunOutcome::made(i64::from(result.is_ok()), api_calls)
    }
}

/// What a logged run is: whose, of which integration, what kind, and why it ran.
#[derive(Debug, Clone, Copy)]
pub struct RunSpec {
    pub account_id: Option<i64>,
    pub integration: Integration,
    pub kind: RunKind,
    pub trigger: SyncTrigger,
}

/// Runs `work` as one logged run: its `sync_runs` row is opened first and closed with what `work`
/// counted and, when it failed, its error (code and message). The only place runs are opened and
/// closed, so every run, pull or job, is logged the same way. The row's id comes back with
/// `work`'s result; an error of the log itself is the outer one.
pub async fn logged<T, E: crate::HasErrorCode>(
    db: &Database,
    clock: &dyn crate::clock::Clock,
    spec: RunSpec,
    work: impl std::future::Future<Output = (Result<T, E>, RunOutcome)>,
) -> Result<(i64, Result<T, E>), sqlx::Error> {
    let run_id = start(
        db,
        spec.account_id,
        spec.integration,
        spec.kind,
        spec.trigger,
        clock.now(),
    )
    .await?;
    let (result, mut outcome) = work.await;
    outcome.kind.get_or_insert(spec.kind);
    outcome.error = result.as_ref().err().map(|e| (e.code(), e.to_string()));
    finish(db, run_id, &outcome, clock.now()).await?;
    Ok((run_id, result))
}

async fn start(
    db: &Database,
    account_id: Option<i64>,
    integration: Integration,
    kind: RunKind,
    trigger: SyncTrigger,
    now: Timestamp,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO sync_runs (account_id, integration, kind, trigger, started_at, status, owner_pid, heartbeat_at) \
         VALUES (?, ?, ?, ?, ?, 'running', ?, ?) RETURNING id",
    )
    .bind(account_id)
    .bind(integration.as_str())
    .bind(kind.as_str())
    .bind(trigger.as_str())
    .bind(now)
    .bind(i64::from(crate::lease::this_process()))
    .bind(now)
    .fetch_one(db.writer())
    .await
}

async fn finish(
    db: &Database,
    id: i64,
    outcome: &RunOutcome,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    let status = if outcome.error.is_some() {
        SyncRunStatus::Failed
    } else {
        SyncRunStatus::Ok
    };
    let code = outcome
        .error
        .as_ref()
        .and_then(|(code, _)| serde_json::to_value(code).ok())
        .and_then(|v| v.as_str().map(str::to_string));
    sqlx::query(
        "UPDATE sync_runs SET kind = ?, finished_at = ?, status = ?, fetched = ?, created = ?, skipped = ?, \
         recovered = ?, api_calls = ?, error_code = ?, error = ? WHERE id = ?",
    )
    .bind(outcome.kind.map(RunKind::as_str))
    .bind(now)
    .bind(status.as_str())
    .bind(outcome.fetched)
    .bind(outcome.created)
    .bind(outcome.skipped)
    .bind(outcome.recovered)
    .bind(outcome.api_calls)
    .bind(code)
    .bind(outcome.error.as_ref().map(|(_, m)| m.as_str()))
    .bind(id)
    .execute(db.writer())
    .await?;
    Ok(())
}

/// Runs left `running` by a process that is gone are marked failed; runs a live process is
/// running are left to it (see `lease`). Call at start-up.
pub async fn close_abandoned(db: &Database, now: Timestamp) -> Result<u64, sqlx::Error> {
    let mut closed = 0;
    for id in crate::lease::abandoned(db, "sync_runs", now).await? {
        let done = sqlx::query(
            "UPDATE sync_runs SET status = 'failed', finished_at = ?, error_code = 'internal', \
             error = 'Cremmy stopped before this run finished; the next run picks up where it left off.' \
             WHERE id = ? AND status = 'running'",
        )
        .bind(now)
        .bind(id)
        .execute(db.writer())
        .await?;
        closed += done.rows_affected();
    }
    Ok(closed)
}

pub async fn prune(db: &Database, now: Timestamp) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM sync_runs WHERE started_at < ? AND status <> 'running'")
            .bind(now - KEEP_MS)
            .execute(db.writer())
            .await?
            .rows_affected(),
    )
}

pub async fn runs(db: &Database, query: &SyncRunQuery) -> Result<Vec<SyncRun>, sqlx::Error> {
    let limit = query.limit.unwrap_or(100).clamp(1, 500);
    let rows: Vec<sqlx::sqlite::SqliteRow> = sqlx::query(
        "SELECT r.id, r.account_id, a.email, r.integration, r.kind, r.trigger, r.started_at, r.finished_at, r.status, \
                r.fetched, r.created, r.skipped, r.recovered, r.api_calls, r.error_code, r.error \
         FROM sync_runs r LEFT JOIN accounts a ON a.id = r.account_id \
         WHERE (?1 IS NULL OR r.account_id = ?1) AND (?2 IS NULL OR r.integration = ?2) \
           AND (?3 = 0 OR r.status = 'failed') \
         ORDER BY r.started_at DESC, r.id DESC LIMIT ?4",
    )
    .bind(query.account_id)
    .bind(query.integration.map(Integration::as_str))
    .bind(query.failed_only)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.into_iter().map(|r| to_run(&r)).collect()
}

fn to_run(r: &sqlx::sqlite::SqliteRow) -> Result<SyncRun, sqlx::Error> {
    use sqlx::Row;
    let trigger: String = r.try_get("trigger")?;
    let status: String = r.try_get("status")?;
    let code: Option<String> = r.try_get("error_code")?;
    Ok(SyncRun {
        id: r.try_get("id")?,
        account_id: r.try_get("account_id")?,
        account_email: r.try_get("email")?,
        integration: Integration::parse(r.try_get("integration")?),
        kind: RunKind::parse(r.try_get("kind")?),
        trigger: SyncTrigger::parse(&trigger).unwrap_or(SyncTrigger::Manual),
        started_at: r.try_get("started_at")?,
        finished_at: r.try_get("finished_at")?,
        status: SyncRunStatus::parse(&status).unwrap_or(SyncRunStatus::Failed),
        fetched: r.try_get("fetched")?,
        created: r.try_get("created")?,
        skipped: r.try_get("skipped")?,
        recovered: r.try_get("recovered")?,
        api_calls: r.try_get("api_calls")?,
        error_code: code.and_then(|c| serde_json::from_value(serde_json::Value::String(c)).ok()),
        error: r.try_get("error")?,
    })
}
