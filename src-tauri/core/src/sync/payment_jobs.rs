//! Payments at work: "Create invoice" and "Payment link" on a deal are outbox jobs whose key is
//! the idempotency key of every request they make (a crash and a retry get the provider's first
//! answer, never a second invoice); each sync reads the provider's changes since the account's
//! cursor and writes what they call for (`features::payments::plan`), or, when the provider no
//! longer lists that far back, re-reads the invoices not yet settled.

use cremmy_protocol::accounts::{Account, Feature};
use cremmy_protocol::crm::Id;
use cremmy_protocol::kinds::{Integration, JobKind, RunKind};
use cremmy_protocol::payments::{
    ClientPayments, DealPaid, Invoice, InvoiceRequest, Organisations, PaymentLink, PushedClients,
};
use cremmy_protocol::sync::SyncTrigger;
use serde::{Deserialize, Serialize};

use super::log::{RunOutcome, RunSpec};
use super::outbox::{JobRun, OutboxJob};
use super::{SyncError, SyncResult, SyncRunner};
use crate::clock::Timestamp;
use crate::features::payments::{
    self, store, PaymentChange, PaymentGateway, PaymentsError, PaymentsResult,
};
use crate::providers::Payments;

/// The settings key of an account's change cursor (Unix ms).
fn cursor_key(account_id: Id) -> String {
    format!("payments.cursor.{account_id}")
}

/// Changes a provider reports late (its clock, its queue) are read again this far back.
const OVERLAP_MS: i64 = 5 * 60_000;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct InvoiceJob {
    pub request: InvoiceRequest,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct PaymentLinkJob {
    pub deal_id: Id,
}

impl SyncRunner {
    async fn payments_of(&self, account: &Account) -> SyncResult<Payments> {
        self.providers
            .payments(account)
            .await?
            .ok_or(SyncError::NoAccountFor {
                feature: Feature::Payments,
            })
    }

    /// The payments account asked for (it must take payments), else the first connected.
    async fn payments_account(&self, asked: Option<Id>) -> SyncResult<Account> {
        match asked {
            None => self.account_with(Feature::Payments).await,
            Some(id) => {
                let account = self.account(id).await?;
                if account.features.contains(&Feature::Payments) {
                    Ok(account)
                } else {
                    Err(SyncError::NoAccountFor {
                        feature: Feature::Payments,
                    })
                }
            }
        }
    }

    /// The organisations an accounting account (Xero) reaches, and the one it works in.
    pub async fn accounting_organisations(&self, account_id: Id) -> SyncResult<Organisations> {
        let account = self.account(account_id).await?;
        let (list, chosen) = self
            .providers
            .organisations(&account)
            .await
            .map_err(PaymentsError::Source)?;
        Ok(Organisations {
            account_id,
            chosen,
            list,
        })
    }

    /// Makes an accounting account work in another of the organisations it reaches.
    pub async fn choose_accounting_organisation(
        &self,
        account_id: Id,
        organisation: &str,
    ) -> SyncResult<Organisations> {
        let account = self.account(account_id).await?;
        match self
            .providers
            .choose_organisation(&account, organisation)
            .await
        {
            Some(chosen) => chosen.map_err(PaymentsError::Source)?,
            None => {
                return Err(PaymentsError::Invalid {
                    field: "account",
                    reason: format!(
                        "{} keeps no separate organisations to choose from",
                        account.provider.display_name()
                    ),
                }
                .into())
            }
        }
        self.accounting_organisations(account_id).await
    }

    /// "Push all clients": each client not archived becomes (or is found as) a customer or
    /// contact at the account's provider, never twice (the provider's own matching, and a key
    /// per client and account that a repeat replays). A client the provider refuses is listed
    /// with its words and the rest go on; a refused grant or an outage stops the run.
    pub async fn push_clients(&self, account_id: Id) -> SyncResult<PushedClients> {
        let account = self.payments_account(Some(account_id)).await?;
        let gateway = self.payments_of(&account).await?;
        let payers = store::payers(&self.db).await?;
        let spec = Self::payments_run(&account, RunKind::Push, SyncTrigger::Manual);
        let (_, result) = self
            .logged(spec, async {
                let mut pushed = PushedClients {
                    account_id,
                    pushed: 0,
                    failed: Vec::new(),
                };
                let mut result = Ok(());
                for payer in &payers {
                    let key = format!("push-{account_id}-{}", payer.client_gid);
                    match gateway.push_client(payer, &key).await {
                        Ok(_) => pushed.pushed += 1,
                        Err(PaymentsError::Invalid { reason, .. }) => {
                            pushed.failed.push(format!("{}: {reason}", payer.name))
                        }
                        Err(e) => {
                            result = Err(e);
                            break;
                        }
                    }
                }
                let outcome = RunOutcome::made(i64::from(pushed.pushed), gateway.calls());
                (result.map(|()| pushed), outcome)
            })
            .await?;
        Ok(result?)
    }

    fn payments_run(account: &Account, kind: RunKind, trigger: SyncTrigger) -> RunSpec {
        RunSpec {
            account_id: Some(account.id),
            integration: Integration::Payments,
            kind,
            trigger,
        }
    }

    /// Integrations → Stripe → Connect: the pasted key is checked with Stripe, then kept in the
    /// keychain.
    pub async fn connect_payments(&self, key: &str) -> SyncResult<Account> {
        Ok(self.providers.connect_payments(key).await?)
    }

    /// "Create invoice" on a deal: made at the payment provider (finalised and sent unless asked
    /// to stay a draft) and listed on the client page.
    pub async fn create_invoice(&self, request: &InvoiceRequest) -> SyncResult<Invoice> {
        store::charge_for(
            &self.db,
            request.deal_id,
            request.days_until_due,
            &request.memo,
            request.send,
        )
        .await?;
        let title = format!("Invoice for deal #{}", request.deal_id);
        let job = InvoiceJob {
            request: request.clone(),
        };
        self.submit(job, &title, SyncTrigger::Manual).await
    }

    /// "Payment link" on a deal: a link to pay the deal's value, to copy into a message.
    pub async fn create_payment_link(&self, deal_id: Id) -> SyncResult<PaymentLink> {
        store::charge_for(&self.db, deal_id, 30, "", false).await?;
        let title = format!("Payment link for deal #{deal_id}");
        self.submit(PaymentLinkJob { deal_id }, &title, SyncTrigger::Manual)
            .await
    }

    pub async fn client_payments(&self, client_id: Id) -> SyncResult<ClientPayments> {
        Ok(store::client_payments(&self.db, client_id, self.clock.now()).await?)
    }

    /// Open invoices past their due date, across clients.
    pub async fn overdue_invoices(&self) -> SyncResult<Vec<Invoice>> {
        Ok(store::overdue(&self.db, self.clock.now()).await?)
    }

    pub async fn deal_paid(&self, deal_id: Id) -> SyncResult<DealPaid> {
        Ok(store::deal_paid(&self.db, deal_id).await?)
    }

    /// Reads each payments account's changes and writes them (as "Sync now" does); returns
    /// the runs' ids.
    pub async fn sync_payments(&self, trigger: SyncTrigger) -> SyncResult<Vec<Id>> {
        let accounts: Vec<Account> = self
            .providers
            .accounts()
            .list()
            .await?
            .into_iter()
            .filter(|a| a.features.contains(&Feature::Payments))
            .filter(|a| a.status == cremmy_protocol::accounts::AccountStatus::Connected)
            .collect();
        let mut runs = Vec::new();
        for account in accounts {
            runs.push(self.sync_payments_of(&account, trigger).await?);
        }
        Ok(runs)
    }

    /// One account's pull, logged as a run (its failure is the run's, not the sync's); a key
    /// the provider refuses turns the account to "reconnect".
    pub(super) async fn sync_payments_of(
        &self,
        account: &Account,
        trigger: SyncTrigger,
    ) -> SyncResult<Id> {
        let gateway = self.payments_of(account).await?;
        let spec = Self::payments_run(account, RunKind::Incremental, trigger);
        let (run_id, result) = self
            .logged(spec, async {
                let result = self.pull_payments(account, &gateway).await;
                let outcome = match &result {
                    Ok((n, reconcile, _)) => RunOutcome {
                        created: *n as i64,
                        api_calls: i64::from(gateway.calls()),
                        kind: reconcile.then_some(RunKind::Reconcile),
                        ..Default::default()
                    },
                    Err(_) => RunOutcome::made(0, gateway.calls()),
                };
                (result, outcome)
            })
            .await?;
        if let Err(PaymentsError::Source(e)) = &result {
            if e.kind() == Some(crate::failure::FailureKind::Unauthorized) {
                let problem = format!(
                    "{} refused the key; paste a new one.",
                    gateway.product_name()
                );
                self.providers
                    .accounts()
                    .key_refused(account.id, &problem)
                    .await?;
            }
        }
        // What was paid and what turned overdue move the clients' lead scores (financial).
        let mut clients = match &result {
            Ok((_, _, touched)) => touched.clone(),
            Err(_) => Vec::new(),
        };
        clients.extend(store::journal_overdue(&self.db, self.clock.now()).await?);
        clients.sort_unstable();
        clients.dedup();
        for client_id in clients {
            if let Err(e) = self.crm.rescore(client_id).await {
                eprintln!("warning: lead score of client {client_id} not updated: {e}");
            }
        }
        Ok(run_id)
    }

    /// One account's changes since its cursor: (new payments, whether the cursor had expired and
    /// the unsettled invoices were re-read instead, the clients the changes were about).
    async fn pull_payments(
        &self,
        account: &Account,
        gateway: &Payments,
    ) -> PaymentsResult<(u64, bool, Vec<Id>)> {
        let now = self.clock.now();
        let key = cursor_key(account.id);
        let cursor: Timestamp = self
            .db
            .setting(&key)
            .await?
            .and_then(|c| c.parse().ok())
            .unwrap_or(account.connected_at);
        let known = store::known(&self.db, account.id).await?;
        let (mut changes, reconciled) =
            match gateway.changes_since(cursor - OVERLAP_MS, now).await? {
                Some(changes) => (changes.into_iter().map(|(c, _)| c).collect(), false),
                None => {
                    let mut changes: Vec<PaymentChange> = Vec::new();
                    for remote_id in store::unsettled(&self.db, account.id).await? {
                        changes.push(PaymentChange::Invoice(gateway.invoice(&remote_id).await?));
                    }
                    (changes, true)
                }
            };
        for remote_id in payments::payments_to_read(&known, &changes) {
            changes.extend(gateway.invoice_payments(&remote_id).await?);
        }
        let ops = payments::plan(&known, &changes);
        let new = store::apply(&self.db, account.id, gateway.product_name(), &ops, now).await?;
        self.db
            .put_setting(&key, Some(&now.to_string()), now)
            .await?;
        let invoice_client = |id: &i64| {
            known
                .invoices
                .values()
                .find(|(local, _, _)| local == id)
                .map(|(_, client, _)| *client)
        };
        let touched = ops
            .iter()
            .filter_map(|op| match op {
                payments::PaymentOp::SetInvoice { invoice_id, .. } => invoice_client(invoice_id),
                payments::PaymentOp::RecordPayment { client_id, .. } => Some(*client_id),
                payments::PaymentOp::Refund { .. } => None,
            })
            .collect();
        Ok((new, reconciled, touched))
    }
}

impl OutboxJob for InvoiceJob {
    const KIND: JobKind = JobKind::CreateInvoice;
    type Done = Invoice;

    async fn run(&self, runner: &SyncRunner, job: &mut JobRun) -> SyncResult<Invoice> {
        let r = &self.request;
        let account = runner.payments_account(r.account_id).await?;
        let gateway = runner.payments_of(&account).await?;
        let spec = SyncRunner::payments_run(&account, RunKind::Invoice, job.trigger);
        let (_, result) = runner
            .logged(spec, async {
                let result: PaymentsResult<Invoice> = async {
                    let (charge, client_id) =
                        store::charge_for(&runner.db, r.deal_id, r.days_until_due, &r.memo, r.send)
                            .await?;
                    let made = gateway.create_invoice(&charge, &job.key).await?;
                    let now = runner.clock.now();
                    let id = store::save_invoice(
                        &runner.db, account.id, client_id, r.deal_id, &made, now,
                    )
                    .await?;
                    store::client_payments(&runner.db, client_id, now)
                        .await?
                        .invoices
                        .into_iter()
                        .find(|i| i.id == id)
                        .ok_or(PaymentsError::Missing {
                            what: format!("Invoice {id}"),
                        })
                }
                .await;
                let outcome = RunOutcome::of_job(&result, gateway.calls());
                (result, outcome)
            })
            .await?;
        Ok(result?)
    }
}

impl OutboxJob for PaymentLinkJob {
    const KIND: JobKind = JobKind::CreatePaymentLink;
    type Done = PaymentLink;

    async fn run(&self, runner: &SyncRunner, job: &mut JobRun) -> SyncResult<PaymentLink> {
        let account = runner.account_with(Feature::Payments).await?;
        let gateway = runner.payments_of(&account).await?;
        let spec = SyncRunner::payments_run(&account, RunKind::PaymentLink, job.trigger);
        let (_, result) = runner
            .logged(spec, async {
                let result: PaymentsResult<PaymentLink> = async {
                    let (charge, client_id) =
                        store::charge_for(&runner.db, self.deal_id, 30, "", false).await?;
                    let made = gateway.create_link(&charge, &job.key).await?;
                    let now = runner.clock.now();
                    let id = store::save_link(
                        &runner.db,
                        account.id,
                        client_id,
                        self.deal_id,
                        &charge,
                        &made,
                        now,
                    )
                    .await?;
                    store::client_payments(&runner.db, client_id, now)
                        .await?
                        .links
                        .into_iter()
                        .find(|l| l.id == id)
                        .ok_or(PaymentsError::Missing {
                            what: format!("Payment link {id}"),
                        })
                }
                .await;
                let outcome = RunOutcome::of_job(&result, gateway.calls());
                (result, outcome)
            })
            .await?;
        Ok(result?)
    }
}
