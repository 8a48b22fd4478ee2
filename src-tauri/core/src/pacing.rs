//! Quota-aware pacing: a token bucket per account and API so a big first import spends the
//! provider's per-minute quota evenly instead of running into a storm of 429s.

use std::sync::Mutex;
use std::time::Duration;

use crate::clock::Timestamp;

/// A per-minute quota in the provider's units (Gmail: 15,000 units per user per minute; a
/// messages.get costs 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub units_per_minute: u32,
}

impl Quota {
    /// Gmail's per-user quota, with a margin for the user's other mail clients.
    pub const GMAIL: Quota = Quota {
        units_per_minute: 12_000,
    };
}

/// Bucket state: `available` units at time `at` (ms). The bucket holds at most one minute's
/// quota and refills continuously.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    pub available: f64,
    pub at: Timestamp,
}

impl Bucket {
    pub fn full(quota: Quota, now: Timestamp) -> Bucket {
        Bucket {
            available: f64::from(quota.units_per_minute),
            at: now,
        }
    }

    /// Takes `cost` units at `now`; returns the new state and how long the caller must wait
    /// before making the call (zero when the units were there).
    pub fn take(self, quota: Quota, cost: u32, now: Timestamp) -> (Bucket, Duration) {
        let per_ms = f64::from(quota.units_per_minute) / 60_000.0;
        let elapsed = (now - self.at).max(0) as f64;
        let capacity = f64::from(quota.units_per_minute);
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
