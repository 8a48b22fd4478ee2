//! When the next background sync runs: a pure planner, table-tested. The engine asks it after
//! every run and on every tick; nothing here reads a clock or sleeps.

use crate::clock::Timestamp;

/// A failing sync backs off to at most this long between runs (or the interval, if longer).
pub const MAX_BACKOFF_MS: i64 = 60 * 60_000;

/// The next run after one that started at `started`: the interval after it, or after failures
/// the interval doubled per consecutive failure (capped), plus up to 10 % jitter (`jitter` in
/// [0, 1)) so many machines do not poll in lockstep after an outage.
pub fn after_run(started: Timestamp, interval_ms: i64, failures: u32, jitter: f64) -> Timestamp {
    let interval_ms = interval_ms.max(60_000);
    let wait = if failures == 0 {
        interval_ms
    } else {
        let doubled = interval_ms.saturating_mul(1_i64 << failures.min(20));
        doubled.min(MAX_BACKOFF_MS.max(interval_ms))
    };
    let jitter = (wait as f64 * 0.1 * jitter.clamp(0.0, 1.0)) as i64;
    started + wait + jitter
}

/// Whether a scheduled run is due now. A paused engine runs only on request.
pub fn is_due(now: Timestamp, next_at: Timestamp, paused: bool) -> bool {
    !paused && now >= next_at
}

/// The next run after the interval changed: no later than the new interval after the last start
/// (a shorter interval takes effect at once, a longer one from the next run).
pub fn after_interval_change(
    next_at: Timestamp,
    last_started: Option<Timestamp>,
    interval_ms: i64,
) -> Timestamp {
    match last_started {
        Some(started) => next_at.min(started + interval_ms.max(60_000)),
        None => next_at,
    }
}
