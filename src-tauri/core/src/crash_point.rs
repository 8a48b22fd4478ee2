//! A test-only crash switch: the process aborts at the k-th commit of a CRM transaction, just
//! before it (after the provider call whose effect it records) or just after it (before the job
//! or run that made it is marked done). Tests run `cremmy sync --once` with it at every k and
//! check that the next start finishes the work with nothing lost or done twice; that replaces
//! killing a process at a random moment. Only debug builds read it from the environment
//! (`CREMMY_TEST_CRASH_AT=before:3` or `after:3`); a release build never aborts on purpose.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashWhen {
    BeforeCommit,
    AfterCommit,
}

/// Where to abort: the `commit`-th CRM commit of this process (1 = the first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrashPoint {
    pub commit: u64,
    pub when: CrashWhen,
}

impl CrashPoint {
    /// `before:K` or `after:K`.
    pub fn parse(text: &str) -> Option<CrashPoint> {
        let (when, k) = text.trim().split_once(':')?;
        let when = match when {
            "before" => CrashWhen::BeforeCommit,
            "after" => CrashWhen::AfterCommit,
            _ => return None,
        };
        let commit = k.parse().ok().filter(|&k| k > 0)?;
        Some(CrashPoint { commit, when })
    }

    /// From `CREMMY_TEST_CRASH_AT`, in debug builds only.
    pub fn from_process_env() -> Option<CrashPoint> {
        if !cfg!(debug_assertions) {
            return None;
        }
        std::env::var("CREMMY_TEST_CRASH_AT")
            .ok()
            .and_then(|v| CrashPoint::parse(&v))
    }
}

/// One per open database: counts its CRM commits and aborts where it is armed to.
#[derive(Debug, Default)]
pub struct CrashSwitch {
    point: OnceLock<CrashPoint>,
    commits: AtomicU64,
}

impl CrashSwitch {
    pub fn arm(&self, point: CrashPoint) {
        let _ = self.point.set(point);
    }

    /// Call before a CRM commit; returns its number.
    pub fn before_commit(&self) -> u64 {
        let n = self.commits.fetch_add(1, Ordering::SeqCst) + 1;
        self.abort_if(n, CrashWhen::BeforeCommit);
        n
    }

    /// Call after commit number `n` succeeded.
    pub fn after_commit(&self, n: u64) {
        self.abort_if(n, CrashWhen::AfterCommit);
    }

    fn abort_if(&self, n: u64, when: CrashWhen) {
        if self.point.get() == Some(&CrashPoint { commit: n, when }) {
            eprintln!("cremmy: test crash point {when:?} commit {n}: aborting");
            std::process::abort();
        }
    }
}
