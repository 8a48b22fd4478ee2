//! Time is passed in, never read inside the core: the shell supplies the system clock, tests a
//! fixed or stepped one, so scheduling and "today" logic are testable without sleeping.

/// Milliseconds since the Unix epoch, UTC.
pub type Timestamp = i64;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

/// A clock that says whatever the test sets it to.
#[derive(Debug, Default)]
pub struct ManualClock(std::sync::atomic::AtomicI64);

impl ManualClock {
    pub fn at(ms: Timestamp) -> Self {
        ManualClock(std::sync::atomic::AtomicI64::new(ms))
    }
    pub fn set(&self, ms: Timestamp) {
        self.0.store(ms, std::sync::atomic::Ordering::SeqCst);
    }
    pub fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// The offset of this machine's time zone from UTC at `at`, in minutes east (UTC+1 is 60). For
/// the CLI, which has no webview to ask; the window asks its own.
/// This computer's IANA time zone ("Europe/Berlin"), or "UTC" when the system does not name one.
pub fn system_time_zone() -> String {
    jiff::tz::TimeZone::system()
        .iana_name()
        .unwrap_or("UTC")
        .to_string()
}

pub fn system_utc_offset_minutes(at: Timestamp) -> i32 {
    jiff::Timestamp::from_millisecond(at)
        .map(|t| jiff::tz::TimeZone::system().to_offset(t).seconds() / 60)
        .unwrap_or(0)
}
