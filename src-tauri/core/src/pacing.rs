//! Quota-aware pacing, per account and API, to every documented limit at once (the registry's
//! `RateLimit`s: Gmail per second and per minute, Sheets and Docs per minute), so a big first
//! import spends the provider's quota evenly instead of running into a storm of 429s, and Sheets
//! and Docs writes are spaced, not only retried.
//!
//! Each limit is a sliding window: a call starts only when the units of the calls started in the
//! window before it, plus its own, stay within the limit. That holds exactly for calls of any
//! cost (a 100-unit drafts.send as much as a 5-unit messages.get), which a token bucket with a
//! burst does not.
//!
//! Pacing measures the clock its waits run on ([`elapsed_ms`], tokio's), not the injected wall
//! clock: a wait is real time passing, and a test's manual clock does not move while a call
//! sleeps.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::clock::Timestamp;

/// Milliseconds on tokio's clock since the first call (what pacers measure).
pub fn elapsed_ms() -> Timestamp {
    static START: std::sync::OnceLock<tokio::time::Instant> = std::sync::OnceLock::new();
    let start = *START.get_or_init(tokio::time::Instant::now);
    tokio::time::Instant::now()
        .duration_since(start)
        .as_millis() as Timestamp
}

/// At most `units` in any window of length `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub units: u32,
    pub per: Duration,
}

impl Quota {
    /// The share of a documented limit Cremmy allows itself (the rest is the user's other apps).
    const SHARE: f64 = 0.92;

    /// No limit (benchmarks against a sandbox without quotas).
    pub const UNLIMITED: Quota = Quota {
        units: u32::MAX,
        per: Duration::from_millis(1),
    };

    /// 92 % of a documented limit of `units` per `per` (at least one unit).
    pub fn within(units: u32, per: Duration) -> Quota {
        Quota {
            units: ((f64::from(units) * Quota::SHARE).floor() as u32).max(1),
            per,
        }
    }

    /// The earliest start at or after `from` for a call of `cost` given the calls in `log`
    /// (start, cost), oldest first; forgets the calls that can no longer matter.
    fn earliest(
        &self,
        log: &mut VecDeque<(Timestamp, u32)>,
        from: Timestamp,
        cost: u32,
    ) -> Timestamp {
        let per = self.per.as_millis() as i64;
        while log.front().is_some_and(|&(at, _)| at <= from - per) {
            log.pop_front();
        }
        let mut held: u64 = log.iter().map(|&(_, c)| u64::from(c)).sum();
        let mut start = from;
        for &(at, c) in log.iter() {
            if held + u64::from(cost) <= u64::from(self.units) {
                break;
            }
            // Wait until this call leaves the window.
            start = start.max(at + per);
            held -= u64::from(c);
        }
        start
    }
}

/// The windows of one API for one account: callers reserve units and wait for the longest wait
/// any limit reports. Calls are served in order.
#[derive(Debug)]
pub struct Pacer {
    quotas: Vec<Quota>,
    state: Mutex<Windows>,
    charged: AtomicU64,
}

#[derive(Debug, Default)]
struct Windows {
    logs: Vec<VecDeque<(Timestamp, u32)>>,
    /// The start of the last call reserved (no call starts before it).
    last: Timestamp,
}

impl Pacer {
    pub fn new(quota: Quota) -> Pacer {
        Pacer::all_of(vec![quota])
    }

    /// A pacer that honours every one of `quotas`.
    pub fn all_of(quotas: Vec<Quota>) -> Pacer {
        Pacer {
            state: Mutex::new(Windows {
                logs: vec![VecDeque::new(); quotas.len()],
                last: Timestamp::MIN,
            }),
            quotas,
            charged: AtomicU64::new(0),
        }
    }

    /// How long to wait, from `now`, before starting a call that costs `cost` units.
    pub fn reserve(&self, cost: u32, now: Timestamp) -> Duration {
        let mut w = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let mut start = now.max(w.last);
        // A later start for one limit can only lower the others' counts: settle on the latest.
        loop {
            let mut latest = start;
            for (log, quota) in w.logs.iter_mut().zip(&self.quotas) {
                latest = latest.max(quota.earliest(log, start, cost));
            }
            if latest == start {
                break;
            }
            start = latest;
        }
        for log in &mut w.logs {
            log.push_back((start, cost));
        }
        w.last = start;
        self.charged.fetch_add(u64::from(cost), Ordering::SeqCst);
        Duration::from_millis((start - now).max(0) as u64)
    }

    /// The most units one reservation can take at once within every limit (a batch of calls
    /// sent together must cost no more, or it would land in one window over the limit).
    pub fn burst(&self) -> u32 {
        self.quotas
            .iter()
            .map(|q| q.units)
            .min()
            .unwrap_or(u32::MAX)
    }

    /// Units reserved so far (what the calls paced through it cost).
    pub fn charged(&self) -> u64 {
        self.charged.load(Ordering::SeqCst)
    }
}

/// One pacer per account for a provider's documented limits (all at once), kept across runs so
/// a new run starts where the last left the window. Cheap to clone.
#[derive(Clone, Default)]
pub struct AccountPacers(Arc<Mutex<HashMap<i64, Arc<Pacer>>>>);

impl AccountPacers {
    /// The account's pacer, made from `limits` the first time.
    pub fn of(
        &self,
        account_id: i64,
        limits: &[crate::providers::registry::RateLimit],
    ) -> Arc<Pacer> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(account_id)
            .or_insert_with(|| {
                let quotas = limits
                    .iter()
                    .map(|l| Quota::within(l.units, l.per))
                    .collect();
                Arc::new(Pacer::all_of(quotas))
            })
            .clone()
    }
}
