//! The domain event bus: the CRM publishes what happened (a client created, a deal's stage
//! changed, a task changed…) after the transaction that did it commits; follow-up work (a Drive
//! folder for a new client, a draft for a deal entering Proposal, a calendar event that follows its
//! task) subscribes to it in the core, so it runs whichever path made the change: the window, the
//! CLI, a CSV import or the Leads sheet. `Core::open` owns the bus; closing waits until what was
//! published has been handled.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cremmy_protocol::crm::CrmEvent;
use tokio::sync::{broadcast, Notify};

/// How many events may wait for a slow subscriber before it misses some.
const CAPACITY: usize = 1024;

/// Cheap to clone: every clone is the same bus.
#[derive(Clone, Debug)]
pub struct EventBus {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    sender: broadcast::Sender<CrmEvent>,
    published: AtomicU64,
    handled: AtomicU64,
    settled: Notify,
}

impl Default for EventBus {
    fn default() -> Self {
        EventBus {
            inner: Arc::new(Inner {
                sender: broadcast::channel(CAPACITY).0,
                published: AtomicU64::new(0),
                handled: AtomicU64::new(0),
                settled: Notify::new(),
            }),
        }
    }
}

impl EventBus {
    pub fn publish(&self, event: CrmEvent) {
        self.inner.published.fetch_add(1, Ordering::SeqCst);
        // No subscriber is fine: the event is also on the timeline where it matters.
        if self.inner.sender.send(event).is_err() {
            self.mark_handled(1);
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<CrmEvent> {
        self.inner.sender.subscribe()
    }

    /// The follow-up subscriber has dealt with `n` more events (or lost them to a lag).
    pub fn mark_handled(&self, n: u64) {
        self.inner.handled.fetch_add(n, Ordering::SeqCst);
        self.inner.settled.notify_waiters();
    }

    /// Waits (at most `limit`) until every published event has been handled.
    pub async fn settle(&self, limit: Duration) -> bool {
        let wait = async {
            loop {
                let notified = self.inner.settled.notified();
                if self.inner.handled.load(Ordering::SeqCst)
                    >= self.inner.published.load(Ordering::SeqCst)
                {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(limit, wait).await.is_ok()
    }
}
