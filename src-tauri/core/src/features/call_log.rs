//! The call log: calls made and received through the user's telephony account become `call`
//! activities on the client whose contact has the other party's number (missed calls say so).
//! Imported incrementally by start time (the provider filters by day: a day of overlap, and the
//! provider's call id keeps each call once).

use std::future::Future;

use cremmy_protocol::crm::{ActivityKind, ActivitySource, Direction};

use crate::clock::Timestamp;
use crate::crm::write::{insert_activity, CrmTx, NewActivity};
use crate::crm::Crm;
use crate::cursors::{self, Advance};
use crate::failure::SourceError;
use crate::features::texts::{self, store::number_owners, TextsError};

/// A call as the provider logs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    pub sid: String,
    pub from: String,
    pub to: String,
    pub inbound: bool,
    /// completed, busy, no-answer, failed, canceled (final); queued, ringing, in-progress.
    pub status: String,
    pub started_at: Option<Timestamp>,
    pub duration_secs: u64,
}

impl CallRecord {
    pub fn is_over(&self) -> bool {
        matches!(
            self.status.as_str(),
            "completed" | "busy" | "no-answer" | "failed" | "canceled"
        )
    }

    /// An inbound call nobody took.
    pub fn is_missed(&self) -> bool {
        self.inbound && self.is_over() && self.status != "completed"
    }

    /// The timeline's line for it.
    pub fn subject(&self) -> String {
        if self.is_missed() {
            return format!("Missed call ({})", self.status.replace('-', " "));
        }
        let way = if self.inbound { "Call from" } else { "Call to" };
        let number = if self.inbound { &self.from } else { &self.to };
        match self.status.as_str() {
            "completed" => format!(
                "{way} {number} · {} min {:02} s",
                self.duration_secs / 60,
                self.duration_secs % 60
            ),
            other => format!("{way} {number} · {}", other.replace('-', " ")),
        }
    }
}

/// A provider's call log (Twilio Voice; others could follow).
pub trait CallLog: Sync {
    /// Calls that started since about `since` (by day), any order.
    fn calls_since(
        &self,
        since: Timestamp,
    ) -> impl Future<Output = Result<Vec<CallRecord>, SourceError>> + Send;
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallRun {
    pub fetched: u32,
    pub recorded: u32,
    /// Calls with a number no contact has, or still going on.
    pub skipped: u32,
}

const STREAM: &str = "calls";
const DAY_MS: i64 = 86_400_000;
/// How far back the first import looks.
const FIRST_LOOK_BACK_MS: i64 = 30 * DAY_MS;

/// Imports calls that ended since the last import.
pub async fn import(
    crm: &Crm,
    log: &impl CallLog,
    account_id: i64,
    now: Timestamp,
    run: &mut CallRun,
) -> Result<(), TextsError> {
    let db = crm.database();
    let region = texts::settings(db).await?.default_region;
    let owners = number_owners(db, &region).await?;
    let cursor = cursors::read(db, account_id, STREAM).await?;
    let newest_seen: Option<Timestamp> = cursor.cursor.as_deref().and_then(|c| c.parse().ok());
    let since = newest_seen.map_or(now - FIRST_LOOK_BACK_MS, |t| t - DAY_MS);
    let mut calls = log.calls_since(since).await?;
    run.fetched = calls.len() as u32;
    calls.sort_by_key(|c| (c.started_at, c.sid.clone()));
    let mut tx = CrmTx::begin(db).await?;
    let mut newest = newest_seen.unwrap_or(0);
    for call in &calls {
        let (Some(started), true) = (call.started_at, call.is_over()) else {
            run.skipped += 1;
            continue;
        };
        newest = newest.max(started);
        let other = if call.inbound { &call.from } else { &call.to };
        let Some(owner) = owners.get(other.as_str()) else {
            run.skipped += 1;
            continue;
        };
        let recorded = insert_activity(
            &mut tx,
            &NewActivity {
                client_id: owner.client_id,
                contact_id: Some(owner.contact_id),
                deal_id: None,
                kind: ActivityKind::Call,
                direction: if call.inbound {
                    Direction::Inbound
                } else {
                    Direction::Outbound
                },
                subject: &call.subject(),
                body: &format!(
                    "{} → {}, {}, {} s",
                    call.from, call.to, call.status, call.duration_secs
                ),
                occurred_at: started,
                source: ActivitySource::Call,
                external_id: Some(&call.sid),
            },
            now,
        )
        .await?;
        if recorded.is_some() {
            run.recorded += 1;
        }
    }
    if newest > 0 {
        let position = newest.to_string();
        cursors::advance(
            &mut tx,
            account_id,
            STREAM,
            Advance {
                cursor: Some(&position),
                ..Advance::default()
            },
            now,
        )
        .await?;
    }
    tx.commit(now).await?;
    Ok(())
}
