//! Carries out a mail plan against a [`MailSource`]: lists message ids, fetches the headers of the
//! ones this account has not imported, matches them locally and commits each batch with the
//! cursor or addresses it covers.

use cremmy_protocol::kinds::RunKind;

use super::plan::{plan, MailOp, MailPlanInput, MailSettings};
use super::store::{self, Advance};
use super::{
    match_message, ContactBook, MailHeaders, MailMatch, MailQuery, MailSource, MessageChange,
    MessageRef,
};
use crate::clock::Clock;
use crate::db::Database;
use crate::failure::SourceError;
use crate::features::mail::MailError;

/// Messages fetched and committed together when catching up on changes.
pub const IMPORT_CHUNK: usize = 250;

/// What one mail run did, for its sync-log row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailRun {
    /// The leading step: `full`, `incremental`, `backfill` or `reconcile`.
    pub kind: RunKind,
    pub fetched: i64,
    pub created: i64,
    pub skipped: i64,
    /// Messages the reconciliation found missing and imported.
    pub recovered: i64,
    /// The stored cursor had expired at the provider, so the run did a full sync instead.
    pub cursor_expired: bool,
}

/// Each message's last change decides: a message trashed and restored within one listing is
/// looked at, one restored and trashed again is gone.
pub fn settle(changes: Vec<MessageChange>) -> (Vec<MessageRef>, Vec<String>) {
    let mut last: Vec<(String, MessageChange)> = Vec::new();
    let mut at: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for change in changes {
        let id = match &change {
            MessageChange::Appeared(r) => r.provider_id.clone(),
            MessageChange::Gone { provider_id } => provider_id.clone(),
        };
        match at.get(&id) {
            Some(&i) => last[i].1 = change,
            None => {
                at.insert(id.clone(), last.len());
                last.push((id, change));
            }
        }
    }
    let (mut appeared, mut gone) = (Vec::new(), Vec::new());
    for (id, change) in last {
        match change {
            MessageChange::Appeared(r) => appeared.push(r),
            MessageChange::Gone { .. } => gone.push(id),
        }
    }
    (appeared, gone)
}

/// One account's mail sync.
pub struct MailSync<'a, S: MailSource> {
    pub db: &'a Database,
    pub clock: &'a dyn Clock,
    pub source: &'a S,
    pub account_id: i64,
    pub settings: MailSettings,
}

impl<S: MailSource> MailSync<'_, S> {
    /// Runs the plan, counting into `run` (which keeps what was done when a step fails: every
    /// committed batch stays committed).
    pub async fn run(&self, reconcile_requested: bool, run: &mut MailRun) -> Result<(), MailError> {
        let stored = store::cursor(self.db, self.account_id).await?;
        let uncovered = store::uncovered_addresses(self.db, self.account_id).await?;
        let ops = plan(
            &MailPlanInput {
                cursor: stored.cursor.as_deref(),
                reconciled_at: stored.reconciled_at,
                uncovered: &uncovered,
                reconcile_requested,
                now: self.clock.now(),
            },
            &self.settings,
        );
        run.kind = ops
            .iter()
            .max_by_key(|op| op.weight())
            .map_or(RunKind::Incremental, MailOp::kind);
        for op in ops {
            match op {
                MailOp::Full { since } => self.full(since, run).await?,
                MailOp::Changes { cursor } => match self.changes(&cursor, run).await {
                    Err(MailError::Source(SourceError::CursorExpired)) => {
                        // The mailbox forgot that far back: start over; stored ids prevent duplicates.
                        store::drop_cursor(self.db, self.account_id).await?;
                        run.kind = MailOp::Full { since: 0 }.kind();
                        run.cursor_expired = true;
                        self.full(self.settings.since(self.clock.now()), run)
                            .await?;
                    }
                    other => other?,
                },
                MailOp::Backfill { since, addresses } => {
                    let found = self.search_all(since, &addresses).await?;
                    self.import(&found, &addresses, Advance::Nothing, run)
                        .await?;
                }
                MailOp::Reconcile { since } => {
                    let book = store::contact_book(self.db).await?;
                    let mut addresses: Vec<String> = book.keys().cloned().collect();
                    addresses.sort();
                    let mut found = Vec::new();
                    for chunk in addresses.chunks(self.settings.addresses_per_query.max(1)) {
                        found.extend(self.search_all(since, chunk).await?);
                    }
                    let before = run.created;
                    self.import(&found, &addresses, Advance::Reconciled, run)
                        .await?;
                    run.recovered += run.created - before;
                }
            }
        }
        Ok(())
    }

    async fn full(&self, since: i64, run: &mut MailRun) -> Result<(), MailError> {
        // The cursor is read before listing: mail arriving meanwhile is picked up by the next
        // incremental run (and deduplicated if the listing saw it too).
        let cursor = self.source.current_cursor().await?;
        let addresses: Vec<String> = store::contact_book(self.db).await?.into_keys().collect();
        let query = MailQuery {
            after: since,
            addresses: Vec::new(),
        };
        let mut page = None;
        loop {
            let found = self.source.search(&query, page).await?;
            self.import(&found.items, &[], Advance::Nothing, run)
                .await?;
            page = found.next;
            if page.is_none() {
                break;
            }
        }
        store::commit(
            self.db,
            self.account_id,
            &[],
            &addresses,
            Advance::FullSync {
                cursor: &cursor,
                since,
            },
            self.clock.now(),
        )
        .await?;
        Ok(())
    }

    async fn changes(&self, cursor: &str, run: &mut MailRun) -> Result<(), MailError> {
        let mut listed: Vec<MessageChange> = Vec::new();
        let mut page = None;
        let newest = loop {
            let changes = self.source.changes_since(cursor, page).await?;
            listed.extend(changes.changes);
            page = changes.next_page;
            if page.is_none() {
                break changes.cursor;
            }
        };
        let (appeared, gone) = settle(listed);
        // What left first (a crash before the cursor moves repeats it, harmlessly), then what
        // came, in chunks committed as they are fetched (a long offline spell is not one huge
        // transaction, and a failure midway keeps what was done), the cursor moving only at the
        // end: a run cut short lists the same changes again, and stored ids skip what was kept.
        store::forget(self.db, self.account_id, &gone).await?;
        for chunk in appeared.chunks(IMPORT_CHUNK) {
            self.import(chunk, &[], Advance::Nothing, run).await?;
        }
        self.import(&[], &[], Advance::Cursor(&newest), run).await
    }

    async fn search_all(
        &self,
        since: i64,
        addresses: &[String],
    ) -> Result<Vec<MessageRef>, MailError> {
        let query = MailQuery {
            after: since,
            addresses: addresses.to_vec(),
        };
        let mut all = Vec::new();
        let mut page = None;
        loop {
            let found = self.source.search(&query, page).await?;
            all.extend(found.items);
            page = found.next;
            if page.is_none() {
                return Ok(all);
            }
        }
    }

    /// Fetches the headers of the messages not yet imported, matches them and commits them with
    /// `covered` and `advance` in one transaction.
    async fn import(
        &self,
        refs: &[MessageRef],
        covered: &[String],
        advance: Advance<'_>,
        run: &mut MailRun,
    ) -> Result<(), MailError> {
        let mut ids: Vec<String> = refs.iter().map(|r| r.provider_id.clone()).collect();
        ids.sort();
        ids.dedup();
        let known = store::known_ids(self.db, self.account_id, &ids).await?;
        ids.retain(|id| !known.contains(id));
        // The futures are made up front (not by a closure inside the stream), which keeps the
        // whole sync future `Send` for the app's command handlers.
        // The source reads them in as few requests as it can (Gmail: batches sized to its quota).
        let fetched: Vec<Option<MailHeaders>> = self.source.headers(&ids).await?;
        let book: ContactBook = store::contact_book(self.db).await?;
        let mut batch: Vec<(MailHeaders, MailMatch)> = Vec::new();
        for headers in fetched.into_iter().flatten() {
            run.fetched += 1;
            if !headers.filed.is_mail() {
                // A draft, spam or trash: not client email (not remembered either, so a message
                // restored from Trash is looked at again).
                run.skipped += 1;
                continue;
            }
            match match_message(&headers, self.source.owner(), &book) {
                Some(m) => batch.push((headers, m)),
                None => run.skipped += 1,
            }
        }
        let saved = store::commit(
            self.db,
            self.account_id,
            &batch,
            covered,
            advance,
            self.clock.now(),
        )
        .await?;
        run.created += saved.created;
        run.skipped += saved.linked;
        Ok(())
    }
}
