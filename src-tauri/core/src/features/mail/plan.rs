//! What one mail sync of one account does, decided from stored state alone (no I/O): a full sync
//! the first time, then the changes since the stored cursor, a back-fill of contact addresses
//! added since, and the periodic reconciliation.

use crate::clock::Timestamp;
use cremmy_protocol::kinds::RunKind;

const DAY_MS: i64 = 86_400_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailSettings {
    /// How far back a full sync, a back-fill and a reconciliation look.
    pub lookback_days: u32,
    /// How often the mailbox is compared with what is stored.
    pub reconcile_every_ms: i64,
    /// Addresses per search query (a back-fill or a reconciliation).
    pub addresses_per_query: usize,
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            lookback_days: 90,
            reconcile_every_ms: DAY_MS,
            addresses_per_query: 10,
        }
    }
}

impl MailSettings {
    pub fn since(&self, now: Timestamp) -> Timestamp {
        now - i64::from(self.lookback_days) * DAY_MS
    }
}

/// The stored state a plan is made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailPlanInput<'a> {
    /// Where the last run got to (Gmail historyId); `None` before the first full sync.
    pub cursor: Option<&'a str>,
    pub reconciled_at: Option<Timestamp>,
    /// Contact addresses whose past mail this account has not searched yet.
    pub uncovered: &'a [String],
    /// The user asked for a reconciliation now.
    pub reconcile_requested: bool,
    pub now: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailOp {
    /// Every message since `since`, then the cursor from before the listing.
    Full { since: Timestamp },
    /// Messages added after the cursor.
    Changes { cursor: String },
    /// Past mail of addresses added since the last full sync.
    Backfill {
        since: Timestamp,
        addresses: Vec<String>,
    },
    /// Every contact address's mail since `since`, compared with what is stored.
    Reconcile { since: Timestamp },
}

impl MailOp {
    /// The name a sync-log row gives the run this op leads.
    pub fn kind(&self) -> RunKind {
        match self {
            MailOp::Full { .. } => RunKind::Full,
            MailOp::Changes { .. } => RunKind::Incremental,
            MailOp::Backfill { .. } => RunKind::Backfill,
            MailOp::Reconcile { .. } => RunKind::Reconcile,
        }
    }

    /// Which op names a run that does several: the one that reads the most.
    pub fn weight(&self) -> u8 {
        match self {
            MailOp::Changes { .. } => 0,
            MailOp::Backfill { .. } => 1,
            MailOp::Reconcile { .. } => 2,
            MailOp::Full { .. } => 3,
        }
    }
}

pub fn plan(input: &MailPlanInput<'_>, settings: &MailSettings) -> Vec<MailOp> {
    let since = settings.since(input.now);
    let Some(cursor) = input.cursor else {
        // A full sync covers every address and is itself a reconciliation.
        return vec![MailOp::Full { since }];
    };
    let mut ops = vec![MailOp::Changes {
        cursor: cursor.to_string(),
    }];
    let reconcile_due = input.reconcile_requested
        || input
            .reconciled_at
            .is_none_or(|at| input.now - at >= settings.reconcile_every_ms);
    if reconcile_due {
        // Searches every address, the new ones included.
        ops.push(MailOp::Reconcile { since });
    } else {
        for chunk in input.uncovered.chunks(settings.addresses_per_query.max(1)) {
            ops.push(MailOp::Backfill {
                since,
                addresses: chunk.to_vec(),
            });
        }
    }
    ops
}
