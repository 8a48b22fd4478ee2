//! The durable queue of outgoing work. A job is a row (`jobs`): what to do (JSON), a key that makes
//! its effect recognisable at the provider, a priority, attempts and when it runs next. A failed
//! attempt is rescheduled by [`after_failure`] (a pure function: exponential backoff with jitter,
//! the provider's `Retry-After`, offline waits that cost no attempt) or ends in the dead-letter
//! state, from which the user can queue it again. The queue knows a job's kind and keeps its input
//! as JSON; what a kind does is its `OutboxJob` implementation (`sync::outbox`).

use std::time::Duration;

use cremmy_protocol::engine::{Job, JobQuery, JobStatus};
use cremmy_protocol::kinds::JobKind;
use cremmy_protocol::ErrorCode;

use crate::backoff::Backoff;
use crate::clock::Timestamp;
use crate::db::Database;
use crate::lease;

/// How outgoing jobs are retried: 30 s, 1, 2, 4 … min up to an hour, 8 attempts in all.
pub const JOB_BACKOFF: Backoff = Backoff {
    base: Duration::from_secs(30),
    cap: Duration::from_secs(3600),
    max_jitter: Duration::from_secs(15),
    max_retry_after: Duration::from_secs(86_400),
    max_attempts: 8,
};

/// While the network is down a job is tried again this often, without using up an attempt.
pub const OFFLINE_RETRY: Duration = Duration::from_secs(60);

/// How a failed attempt ended, as the planner needs it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Failure {
    /// Trying again may work (429, 5xx, timeouts, the network).
    pub retryable: bool,
    /// The provider could not be reached at all: the machine is probably offline.
    pub offline: bool,
    /// The provider's `Retry-After`, if it sent one.
    pub retry_after: Option<Duration>,
}

/// What happens to a job after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Queued again for this time; `refund` gives the attempt back (offline: not the job's fault).
    RetryAt { at: Timestamp, refund: bool },
    /// Given up: a permanent error, or no attempt left.
    Dead,
}

/// The planner: what to do with a job whose attempt number `attempts` (1 = the first) failed.
/// `jitter` is a uniform random number in [0, 1).
pub fn after_failure(
    attempts: u32,
    max_attempts: u32,
    failure: Failure,
    now: Timestamp,
    jitter: f64,
) -> AfterFailure {
    if !failure.retryable {
        return AfterFailure::Dead;
    }
    if failure.offline {
        let wait = OFFLINE_RETRY + JOB_BACKOFF.max_jitter.mul_f64(jitter.clamp(0.0, 1.0));
        return AfterFailure::RetryAt {
            at: now + wait.as_millis() as i64,
            refund: true,
        };
    }
    let policy = Backoff {
        max_attempts,
        ..JOB_BACKOFF
    };
    match policy.delay(attempts, failure.retry_after, jitter) {
        Some(wait) => AfterFailure::RetryAt {
            at: now + wait.as_millis() as i64,
            refund: false,
        },
        None => AfterFailure::Dead,
    }
}

/// A job taken off the queue to run.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub kind: JobKind,
    /// The job's input, as JSON (the kind's `OutboxJob` reads it).
    pub payload: String,
    pub key: String,
    /// This attempt's number (1 = the first). Above 1, an earlier attempt may have reached the
    /// provider: check there before doing it again.
    pub attempt: u32,
    pub max_attempts: u32,
    pub created_at: Timestamp,
}

/// A job to queue: its kind, its input (JSON), the key that makes its effect recognisable, the
/// outbox list's title, and how urgent it is.
pub struct NewJob<'a> {
    pub kind: JobKind,
    pub payload: &'a str,
    pub key: &'a str,
    pub title: &'a str,
    pub priority: i64,
    /// Attempts before it is given up (most jobs: [`JOB_BACKOFF`]'s).
    pub max_attempts: u32,
}

/// Queues a job; a second enqueue with the same key returns the first job's id.
pub async fn enqueue(db: &Database, job: &NewJob<'_>, now: Timestamp) -> Result<i64, sqlx::Error> {
    let NewJob {
        kind,
        payload,
        key,
        title,
        priority,
        max_attempts,
    } = *job;
    sqlx::query(
        "INSERT INTO jobs (kind, idempotency_key, payload, title, priority, status, max_attempts, next_run_at, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING",
    )
    .bind(kind.as_str())
    .bind(key)
    .bind(payload)
    .bind(title)
    .bind(priority)
    .bind(i64::from(max_attempts))
    .bind(now)
    .bind(now)
    .bind(now)
    .execute(db.writer())
    .await?;
    sqlx::query_scalar("SELECT id FROM jobs WHERE idempotency_key = ?")
        .bind(key)
        .fetch_one(db.writer())
        .await
}

/// Queues several jobs at once, all or none, each due at its own time (a paced batch). Keys
/// already queued are kept as they are.
pub async fn enqueue_all(
    db: &Database,
    jobs: &[(NewJob<'_>, Timestamp)],
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    let mut tx = db.writer().begin().await?;
    for (job, due) in jobs {
        sqlx::query(
            "INSERT INTO jobs (kind, idempotency_key, payload, title, priority, status, max_attempts, next_run_at, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING",
        )
        .bind(job.kind.as_str())
        .bind(job.key)
        .bind(job.payload)
        .bind(job.title)
        .bind(job.priority)
        .bind(i64::from(job.max_attempts))
        .bind(due)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

/// The jobs whose keys start with `prefix`, oldest due first: (id, status, next_run_at,
/// attempts).
pub async fn with_key_prefix(
    db: &Database,
    prefix: &str,
) -> Result<Vec<(i64, String, Timestamp, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, status, next_run_at, attempts FROM jobs WHERE substr(idempotency_key, 1, length(?1)) = ?1 \
         ORDER BY next_run_at, id",
    )
    .bind(prefix)
    .fetch_all(db.pool())
    .await
}

type ClaimRow = (i64, String, String, String, i64, i64, i64);

fn claimed(row: ClaimRow) -> Result<Claimed, sqlx::Error> {
    let (id, kind, payload, key, attempts, max_attempts, created_at) = row;
    Ok(Claimed {
        id,
        kind: JobKind::parse(&kind),
        payload,
        key,
        attempt: attempts as u32,
        max_attempts: max_attempts as u32,
        created_at,
    })
}

const CLAIM_RETURNING: &str =
    "RETURNING id, kind, payload, idempotency_key, attempts, max_attempts, created_at";

/// Takes job `id` to run now if it is queued (whenever it was due).
pub async fn claim(db: &Database, id: i64, now: Timestamp) -> Result<Option<Claimed>, sqlx::Error> {
    let row: Option<ClaimRow> = sqlx::query_as(&format!(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, updated_at = ?, owner_pid = ?, heartbeat_at = ? \
         WHERE id = ? AND status = 'queued' {CLAIM_RETURNING}"
    ))
    .bind(now)
    .bind(i64::from(lease::this_process()))
    .bind(now)
    .bind(id)
    .fetch_optional(db.writer())
    .await?;
    row.map(claimed).transpose()
}

/// Takes the most urgent due job, if any: highest priority, then the longest waiting.
pub async fn claim_due(db: &Database, now: Timestamp) -> Result<Option<Claimed>, sqlx::Error> {
    let row: Option<ClaimRow> = sqlx::query_as(&format!(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, updated_at = ?, owner_pid = ?, heartbeat_at = ? \
         WHERE id = (SELECT id FROM jobs WHERE status = 'queued' AND next_run_at <= ? \
                     ORDER BY priority DESC, next_run_at, id LIMIT 1) {CLAIM_RETURNING}"
    ))
    .bind(now)
    .bind(i64::from(lease::this_process()))
    .bind(now)
    .bind(now)
    .fetch_optional(db.writer())
    .await?;
    row.map(claimed).transpose()
}

/// The attempt worked; `result` is its answer as JSON.
pub async fn succeeded(
    db: &Database,
    id: i64,
    result: &str,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE jobs SET status = 'done', result = ?, last_error_code = NULL, last_error = NULL, updated_at = ? WHERE id = ?",
    )
    .bind(result)
    .bind(now)
    .bind(id)
    .execute(db.writer())
    .await?;
    Ok(())
}

/// The attempt failed: rescheduled or dead, as [`after_failure`] planned.
pub async fn failed(
    db: &Database,
    id: i64,
    next: AfterFailure,
    error: (ErrorCode, &str),
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    let code = code_name(error.0);
    let query = match next {
        AfterFailure::RetryAt { at, refund } => sqlx::query(
            "UPDATE jobs SET status = 'queued', next_run_at = ?, attempts = attempts - ?, \
             last_error_code = ?, last_error = ?, updated_at = ? WHERE id = ?",
        )
        .bind(at)
        .bind(i64::from(refund)),
        AfterFailure::Dead => sqlx::query(
            "UPDATE jobs SET status = 'dead', next_run_at = ?, attempts = attempts - ?, \
             last_error_code = ?, last_error = ?, updated_at = ? WHERE id = ?",
        )
        .bind(now)
        .bind(0_i64),
    };
    query
        .bind(code)
        .bind(error.1)
        .bind(now)
        .bind(id)
        .execute(db.writer())
        .await?;
    Ok(())
}

/// Forgets a job whose input was wrong on its first attempt: nothing reached the provider and
/// the user corrects the form instead of retrying.
pub async fn discard(db: &Database, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM jobs WHERE id = ? AND status = 'running'")
        .bind(id)
        .execute(db.writer())
        .await?;
    Ok(())
}

/// "Retry" on a dead job (or "run now" on a waiting one): queued for now with fresh attempts.
/// `false` if there is no such job still to do.
pub async fn retry(db: &Database, id: i64, now: Timestamp) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE jobs SET status = 'queued', attempts = 0, next_run_at = ?, updated_at = ? \
         WHERE id = ? AND status IN ('dead', 'queued')",
    )
    .bind(now)
    .bind(now)
    .bind(id)
    .execute(db.writer())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Jobs a process that is gone left running are queued again (their attempt counted: the next one
/// checks the provider first); jobs a live process runs are left to it (see `lease`). Call at
/// start-up.
pub async fn requeue_interrupted(db: &Database, now: Timestamp) -> Result<u64, sqlx::Error> {
    let mut requeued = 0;
    for id in lease::abandoned(db, "jobs", now).await? {
        let done = sqlx::query(
            "UPDATE jobs SET status = 'queued', next_run_at = ?, updated_at = ?, owner_pid = NULL, heartbeat_at = NULL \
             WHERE id = ? AND status = 'running'",
        )
        .bind(now)
        .bind(now)
        .bind(id)
        .execute(db.writer())
        .await?;
        requeued += done.rows_affected();
    }
    Ok(requeued)
}

/// Finished jobs older than this are pruned (dead ones stay until retried).
pub const KEEP_DONE_MS: i64 = 30 * 86_400_000;

pub async fn prune(db: &Database, now: Timestamp) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM jobs WHERE status = 'done' AND updated_at < ?")
        .bind(now - KEEP_DONE_MS)
        .execute(db.writer())
        .await?;
    Ok(())
}

/// (queued or running, dead)
pub async fn counts(db: &Database) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as(
        "SELECT COALESCE(SUM(status IN ('queued', 'running')), 0), COALESCE(SUM(status = 'dead'), 0) FROM jobs",
    )
    .fetch_one(db.pool())
    .await
}

/// When the next queued job is due, if one is queued.
pub async fn next_due(db: &Database) -> Result<Option<Timestamp>, sqlx::Error> {
    sqlx::query_scalar("SELECT MIN(next_run_at) FROM jobs WHERE status = 'queued'")
        .fetch_one(db.pool())
        .await
}

type JobRow = (
    i64,
    String,
    String,
    String,
    i64,
    i64,
    i64,
    Option<String>,
    Option<String>,
    i64,
    i64,
);

pub async fn list(db: &Database, query: &JobQuery) -> Result<Vec<Job>, sqlx::Error> {
    let limit = query.limit.unwrap_or(100).clamp(1, 500);
    let rows: Vec<JobRow> = sqlx::query_as(
        "SELECT id, kind, title, status, attempts, max_attempts, next_run_at, last_error_code, last_error, created_at, updated_at \
         FROM jobs WHERE (? = 0 OR status != 'done') ORDER BY created_at DESC, id DESC LIMIT ?",
    )
    .bind(query.open_only)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Job {
            id: r.0,
            kind: JobKind::parse(&r.1),
            title: r.2,
            status: JobStatus::parse(&r.3).unwrap_or(JobStatus::Dead),
            attempts: r.4,
            max_attempts: r.5,
            next_run_at: r.6,
            last_error_code: r
                .7
                .and_then(|c| serde_json::from_value(serde_json::Value::String(c)).ok()),
            last_error: r.8,
            created_at: r.9,
            updated_at: r.10,
        })
        .collect())
}

fn code_name(code: ErrorCode) -> Option<String> {
    serde_json::to_value(code)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
}

/// A fresh idempotency key: the kind, the time and 64 random bits.
pub fn new_key(kind: JobKind, now: Timestamp) -> String {
    format!(
        "{kind}:{now}:{:016x}",
        crate::features::mail::send::random_part()
    )
}
