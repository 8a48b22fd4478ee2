//! Quota-aware pacing: a token bucket per account and API so a big first import spends the
//! provider's per-minute quota evenly instead of running into a storm of 429s.

use std::sync::Mutex;
use std::time::Duration;

use crate::clock::Timestamp;

/// A rate in the provider's units (Gmail: 250 units per user per second, 15,000 a minute; a
/// messages.get costs 5), and how many units may go at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub units_per_minute: u32,
    /// The bucket's size: an idle client may spend this much at once, never more. Gmail counts
    /// per second, so the burst plus a second's refill must stay within the per-second limit.
    pub burst_units: u32,
}

impl Quota {
    /// Gmail: 230 units a second with a 20-unit burst, so no second ever sees more than the 250
    /// Google allows (a 429-free import at ~46 messages a second, ~8 % left for the user's
    /// other mail clients).
    pub const GMAIL: Quota = Quota {
        units_per_minute: 230 * 60,
        burst_units: 20,
    };
}

/// Bucket state: `available` units at time `at` (ms). The bucket holds at most the quota's burst
/// and refills continuously.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    pub available: f64,
    pub at: Timestamp,
}

impl Bucket {
    pub fn full(quota: Quota, now: Timestamp) -> Bucket {
        Bucket {
            available: f64::from(quota.burst_units),
            at: now,
        }
    }

    /// Takes `cost` units at `now`; returns the new state and how long the caller must wait
    /// before making the call (zero when the units were there).
    pub fn take(self, quota: Quota, cost: u32, now: Timestamp) -> (Bucket, Duration) {
        let per_ms = f64::from(quota.units_per_minute) / 60_000.0;
        let elapsed = (now - self.at).max(0) as f64;
        let capacity = f64::from(quota.burst_units);
        let available = (self.available + elapsed * per_ms).min(capacity) - f64::from(cost);
        let wait = if available >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_millis((-available / per_ms).ceil() as u64)
        };
        (
            Bucket {
                available,
                at: now.max(self.at),
            },
            wait,
        )
    }
}

/// A shared bucket: callers take units and sleep for whatever wait it reports.
#[derive(Debug)]
pub struct Pacer {
    quota: Quota,
    bucket: Mutex<Option<Bucket>>,
}

impl Pacer {
    pub fn new(quota: Quota) -> Pacer {
        Pacer {
            quota,
            bucket: Mutex::new(None),
        }
    }

    /// How long to wait before spending `cost` units at `now`.
    pub fn reserve(&self, cost: u32, now: Timestamp) -> Duration {
        let mut slot = self.bucket.lock().unwrap_or_else(|p| p.into_inner());
        let bucket = slot.unwrap_or_else(|| Bucket::full(self.quota, now));
        let (next, wait) = bucket.take(self.quota, cost, now);
        *slot = Some(next);
        wait
    }
}
