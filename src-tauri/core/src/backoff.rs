//! How long to wait before trying a provider call (or a job) again: exponential backoff with
//! jitter, capped, and the provider's `Retry-After` when it sent one. Pure functions; whoever
//! waits decides how (a real sleep in the app, nothing at all in tests).

use std::time::Duration;

/// The retry policy for one kind of work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first wait; doubled on each further attempt.
    pub base: Duration,
    /// No computed wait is longer than this (a `Retry-After` may be, up to `max_retry_after`).
    pub cap: Duration,
    /// Up to this much random time is added so many clients do not retry in lockstep.
    pub max_jitter: Duration,
    /// A `Retry-After` longer than this is not waited out inline: the work is given up for now
    /// and rescheduled.
    pub max_retry_after: Duration,
    /// Attempts in all, the first one included.
    pub max_attempts: u32,
}

impl Backoff {
    /// Google's advice: 1, 2, 4 … s plus up to 1 s of jitter, capped at 32 s. A `Retry-After`
    /// of up to 30 s is waited out inside the call; a longer one ends the call, and its job is
    /// rescheduled no sooner than the provider asked (see `jobs::after_failure`). The whole
    /// call's time limit is above the longest inline waiting this allows (a test checks it).
    pub const PROVIDER_CALL: Backoff = Backoff {
        base: Duration::from_secs(1),
        cap: Duration::from_secs(32),
        max_jitter: Duration::from_secs(1),
        max_retry_after: Duration::from_secs(30),
        max_attempts: 5,
    };

    /// The longest this policy waits between attempts of one call, all retries together.
    pub fn longest_inline_wait(&self) -> Duration {
        let longest_one = self.cap.max(self.max_retry_after) + self.max_jitter;
        longest_one * self.max_attempts.saturating_sub(1)
    }

    /// Connection failures: likely offline, so give up fast and let the scheduler come back.
    pub const CONNECTION: Backoff = Backoff {
        base: Duration::from_millis(500),
        cap: Duration::from_secs(2),
        max_jitter: Duration::from_millis(250),
        max_retry_after: Duration::from_secs(0),
        max_attempts: 2,
    };

    /// The wait before attempt number `failed + 1`, after `failed` failed attempts (1 = the
    /// first call failed); `None` when no attempt is left or the provider asks for too long a
    /// pause. `jitter` is a uniform random number in [0, 1).
    pub fn delay(
        &self,
        failed: u32,
        retry_after: Option<Duration>,
        jitter: f64,
    ) -> Option<Duration> {
        if failed == 0 || failed >= self.max_attempts {
            return None;
        }
        let jitter = self.max_jitter.mul_f64(jitter.clamp(0.0, 1.0));
        if let Some(asked) = retry_after {
            if asked > self.max_retry_after {
                return None;
            }
            // Honour the provider's pause exactly; the jitter only spreads clients after it.
            return Some(asked + jitter);
        }
        let exponent = (failed - 1).min(20);
        let computed = self.base.saturating_mul(1u32 << exponent).min(self.cap);
        Some(computed + jitter)
    }
}

/// A `Retry-After` header value: delta-seconds (what Google and Microsoft send). HTTP dates are
/// not used by the providers Cremmy talks to and are ignored.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// A jitter sample in [0, 1) from the OS random source (0.5 if it is unavailable).
pub fn random_jitter() -> f64 {
    let mut bytes = [0u8; 4];
    match getrandom::fill(&mut bytes) {
        Ok(()) => f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0),
        Err(_) => 0.5,
    }
}
