//! Owner leases on running work. A job or sync run that is `running` names the process running it
//! (`owner_pid`) and when that process last said it was alive (`heartbeat_at`). Start-up recovery
//! takes over only work whose owner is gone, so a `cremmy sync --once` started while the window
//! runs (or the reverse) never requeues the other's job in the middle of it, which could repeat
//! a side effect at the provider.

use std::time::Duration;

use crate::clock::Timestamp;
use crate::db::Database;

/// A lease not renewed for this long is the work of a process that stopped (hung or gone).
pub const LEASE_MS: i64 = 120_000;
/// How often a process renews the leases of what it runs.
pub const HEARTBEAT: Duration = Duration::from_secs(30);

/// This process, as an owner.
pub fn this_process() -> u32 {
    std::process::id()
}

/// The tables whose `running` rows carry a lease.
const LEASED: [&str; 2] = ["jobs", "sync_runs"];

/// Whether the work of `owner` (leased at `heartbeat_at`) may be taken over at `now`: it has no
/// owner (written before leases), its lease is stale, or its process is known to have ended.
pub fn is_abandoned(owner: Option<u32>, heartbeat_at: Option<Timestamp>, now: Timestamp) -> bool {
    let Some(owner) = owner else {
        return true;
    };
    if heartbeat_at.is_none_or(|at| now - at > LEASE_MS) {
        return true;
    }
    // This process is alive by definition (a pid reused from a dead process waits for the lease).
    owner != this_process() && process_ended(owner)
}

/// Whether process `pid` has certainly ended. Where the OS cannot be asked cheaply, `false`: the
/// lease's age decides.
fn process_ended(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        !std::path::Path::new(&format!("/proc/{pid}")).exists()
    } else {
        false
    }
}

/// The ids of `table`'s running rows whose owner is gone.
pub async fn abandoned(
    db: &Database,
    table: &str,
    now: Timestamp,
) -> Result<Vec<i64>, sqlx::Error> {
    debug_assert!(LEASED.contains(&table));
    let rows: Vec<(i64, Option<i64>, Option<i64>)> = sqlx::query_as(&format!(
        "SELECT id, owner_pid, heartbeat_at FROM {table} WHERE status = 'running'"
    ))
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .filter(|(_, owner, at)| is_abandoned(owner.map(|p| p as u32), *at, now))
        .map(|(id, _, _)| id)
        .collect())
}

/// Renews the leases this process holds.
pub async fn renew(db: &Database, now: Timestamp) -> Result<(), sqlx::Error> {
    for table in LEASED {
        sqlx::query(&format!(
            "UPDATE {table} SET heartbeat_at = ? WHERE status = 'running' AND owner_pid = ?"
        ))
        .bind(now)
        .bind(i64::from(this_process()))
        .execute(db.writer())
        .await?;
    }
    Ok(())
}
