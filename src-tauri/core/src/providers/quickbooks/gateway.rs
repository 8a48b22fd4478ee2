//! QuickBooks Online as a [`PaymentGateway`]: the client pushed as a customer (found by the
//! link Cremmy keeps, else by email, else by display name, which a company keeps unique; made
//! otherwise), the deal's invoice on the company's "Services" item, emailed by QuickBooks when
//! sent, and the company's changes read with change data capture (invoices for their balance,
//! payments for money in, a deleted payment as money back). QuickBooks has no draft invoices, so
//! an invoice not sent is created but not emailed. Every create carries a `requestid` derived
//! from the job's key, so a retried job gets QuickBooks' first answer.

use cremmy_protocol::payments::InvoiceStatus;

use super::{parse_time, QuickBooksError, QuickBooksSession, WireInvoice, WirePayment};
use crate::clock::Timestamp;
use crate::failure::SourceError;
use crate::features::payments::{
    from_minor, to_minor, Charge, Payer, PaymentChange, PaymentGateway, PaymentsError,
    PaymentsResult, RemoteInvoice, RemoteLink,
};

/// How far back change data capture reaches (30 days), less a day's margin for clocks.
pub const CDC_REACH_MS: i64 = 29 * 86_400_000;

pub struct QuickBooksPayments {
    pub quickbooks: QuickBooksSession,
}

fn source(e: QuickBooksError) -> PaymentsError {
    match e.refusal() {
        // Intuit's own words (a name another vendor uses, a currency the company lacks): the
        // user's to act on.
        Some(_) => PaymentsError::Invalid {
            field: "QuickBooks request",
            reason: match &e {
                QuickBooksError::NoServicesItem => e.to_string(),
                _ => e.refusal().unwrap_or_default().to_string(),
            },
        },
        None => PaymentsError::Source(SourceError::from(e)),
    }
}

fn currency_of(w: &WireInvoice) -> String {
    w.currency_ref
        .as_ref()
        .map(|c| c.value.to_uppercase())
        .unwrap_or_default()
}

pub fn status_of(w: &WireInvoice) -> InvoiceStatus {
    let voided = w
        .private_note
        .as_deref()
        .is_some_and(|n| n.starts_with("Voided"));
    if w.status.as_deref() == Some("Deleted") || (voided && w.total_amt == 0.0) {
        InvoiceStatus::Void
    } else if w.balance <= 0.0 && w.total_amt > 0.0 {
        InvoiceStatus::Paid
    } else {
        InvoiceStatus::Open
    }
}

pub fn invoice_of(w: &WireInvoice) -> RemoteInvoice {
    let currency = currency_of(w);
    RemoteInvoice {
        remote_id: w.id.clone(),
        status: status_of(w),
        total_minor: to_minor(w.total_amt, &currency),
        paid_minor: to_minor(w.total_amt - w.balance, &currency),
        due_at: w.due_date.as_deref().and_then(parse_time),
        number: w.doc_number.clone(),
        url: w.invoice_link.clone(),
        currency,
    }
}

/// A payment (or its deletion) as a payment change, with when it happened. A payment applied to
/// several invoices is reported against the first, for its whole applied amount.
pub fn payment_change(p: &WirePayment) -> Option<(PaymentChange, Timestamp)> {
    let at = p
        .meta_data
        .create_time
        .as_deref()
        .or(p.txn_date.as_deref())
        .and_then(parse_time)
        .unwrap_or(0);
    if p.status.as_deref() == Some("Deleted") {
        let at = p
            .meta_data
            .last_updated_time
            .as_deref()
            .and_then(parse_time)
            .unwrap_or(at);
        // The deletion names only the payment: all of it went back.
        return Some((
            PaymentChange::Refunded {
                payment: p.id.clone(),
                refunded_minor: i64::MAX,
                at,
            },
            at,
        ));
    }
    let currency = p
        .currency_ref
        .as_ref()
        .map(|c| c.value.to_uppercase())
        .unwrap_or_default();
    let applied: Vec<_> = p
        .line
        .iter()
        .filter(|l| l.linked_txn.iter().any(|t| t.txn_type == "Invoice"))
        .collect();
    let invoice = applied
        .first()?
        .linked_txn
        .iter()
        .find(|t| t.txn_type == "Invoice")?
        .txn_id
        .clone();
    let amount: f64 = applied.iter().map(|l| l.amount).sum();
    Some((
        PaymentChange::Paid {
            remote_id: p.id.clone(),
            invoice: Some(invoice),
            link: None,
            amount_minor: to_minor(amount, &currency),
            currency,
            at,
        },
        at,
    ))
}

/// `yyyy-mm-dd` of a Unix ms time (UTC).
fn day(ms: Timestamp) -> String {
    crate::crm::dates::utc_seconds(ms)[..10].to_string()
}

/// The settings key of the customer Cremmy pushed a client as.
fn customer_key(account_id: i64, client_gid: &str) -> String {
    format!("quickbooks.customer.{account_id}.{client_gid}")
}

impl PaymentGateway for QuickBooksPayments {
    fn product_name(&self) -> &'static str {
        "QuickBooks Online"
    }

    /// The client's customer: the one linked before (if it still exists), else one with its
    /// email or name, else a new one; linked for next time.
    async fn push_client(&self, payer: &Payer, key: &str) -> PaymentsResult<String> {
        let q = &self.quickbooks;
        let db = q.accounts.database();
        let link = customer_key(q.account_id, &payer.client_gid);
        let linked = db.setting(&link).await.map_err(|e| {
            PaymentsError::Source(SourceError::from(QuickBooksError::Account(e.into())))
        })?;
        let mut found = None;
        if let Some(id) = linked {
            found = q.customer(&id).await.map_err(source)?.map(|c| c.id);
        }
        // A name a vendor or employee holds cannot be a customer's (QuickBooks keeps names
        // unique across them): such a client is the customer "<name> (client)".
        let alias = format!("{} (client)", payer.name);
        for name in [&payer.name, &alias] {
            if found.is_none() {
                found = q
                    .find_customer(payer.email.as_deref(), name)
                    .await
                    .map_err(source)?
                    .map(|c| c.id);
            }
        }
        let id = match found {
            Some(id) => id,
            None => {
                let mut new = serde_json::json!({ "DisplayName": payer.name });
                if let Some(email) = &payer.email {
                    new["PrimaryEmailAddr"] = serde_json::json!({ "Address": email });
                }
                match q.create_customer(&new, &format!("{key}-customer")).await {
                    Ok(made) => made.id,
                    Err(e) if e.fault_code() == Some("6240") => {
                        new["DisplayName"] = serde_json::json!(alias);
                        q.create_customer(&new, &format!("{key}-customer-alias"))
                            .await
                            .map_err(source)?
                            .id
                    }
                    Err(e) => return Err(source(e)),
                }
            }
        };
        db.put_setting(&link, Some(&id), q.accounts.now())
            .await
            .map_err(|e| {
                PaymentsError::Source(SourceError::from(QuickBooksError::Account(e.into())))
            })?;
        Ok(id)
    }

    async fn create_invoice(
        &self,
        charge: &Charge,
        idempotency_key: &str,
    ) -> PaymentsResult<RemoteInvoice> {
        let q = &self.quickbooks;
        let customer = self.push_client(&charge.payer, idempotency_key).await?;
        let item = q.services_item().await.map_err(source)?;
        let today = q.accounts.now();
        let due = today + i64::from(charge.days_until_due) * 86_400_000;
        let amount = from_minor(charge.amount_minor, &charge.currency);
        let mut invoice = serde_json::json!({
            "CustomerRef": { "value": customer },
            "TxnDate": day(today),
            "DueDate": day(due),
            "CurrencyRef": { "value": charge.currency.to_uppercase() },
            "Line": [{
                "Amount": amount,
                "Description": charge.line,
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": { "ItemRef": { "value": item }, "Qty": 1, "UnitPrice": amount },
            }],
        });
        if let Some(memo) = Some(charge.memo.as_str()).filter(|m| !m.is_empty()) {
            invoice["CustomerMemo"] = serde_json::json!({ "value": memo });
        }
        if let Some(email) = &charge.payer.email {
            invoice["BillEmail"] = serde_json::json!({ "Address": email });
        }
        let mut made = q
            .create_invoice(&invoice, &format!("{idempotency_key}-invoice"))
            .await
            .map_err(source)?;
        // QuickBooks emails the customer; a client without an email gets the invoice through
        // its link instead. A repeat sends again only if the first send did not happen.
        if let (true, Some(email)) = (charge.send, &charge.payer.email) {
            let current = q.invoice(&made.id).await.map_err(source)?;
            made = if sent(&current) {
                current
            } else {
                q.send_invoice(&made.id, email).await.map_err(source)?
            };
        }
        Ok(invoice_of(&made))
    }

    async fn create_link(&self, _: &Charge, _: &str) -> PaymentsResult<RemoteLink> {
        Err(PaymentsError::Invalid {
            field: "payment provider",
            reason: "QuickBooks makes no payment links; create an invoice instead (its link is where the client pays)".into(),
        })
    }

    async fn changes_since(
        &self,
        since: Timestamp,
        now: Timestamp,
    ) -> PaymentsResult<Option<Vec<(PaymentChange, Timestamp)>>> {
        if now - since > CDC_REACH_MS {
            return Ok(None);
        }
        let changes = self.quickbooks.changed_since(since).await.map_err(source)?;
        let mut out: Vec<(PaymentChange, Timestamp)> = changes
            .invoices
            .iter()
            // A deleted invoice names no amounts; the invoice re-read says what it was.
            .filter(|w| w.status.as_deref() != Some("Deleted"))
            .map(|w| (PaymentChange::Invoice(invoice_of(w)), since))
            .collect();
        out.extend(changes.payments.iter().filter_map(payment_change));
        // Invoice states first (they say what is known), then payments oldest first.
        out.sort_by_key(|(change, at)| (!matches!(change, PaymentChange::Invoice(_)), *at));
        Ok(Some(out))
    }

    async fn invoice(&self, remote_id: &str) -> PaymentsResult<RemoteInvoice> {
        let w = self.quickbooks.invoice(remote_id).await.map_err(source)?;
        Ok(invoice_of(&w))
    }

    async fn invoice_payments(&self, remote_id: &str) -> PaymentsResult<Vec<PaymentChange>> {
        let q = &self.quickbooks;
        let w = q.invoice(remote_id).await.map_err(source)?;
        let mut out = Vec::new();
        for linked in w.linked_txn.iter().filter(|t| t.txn_type == "Payment") {
            let payment = q.payment(&linked.txn_id).await.map_err(source)?;
            out.extend(payment_change(&payment).map(|(change, _)| change));
        }
        Ok(out)
    }

    fn calls(&self) -> u32 {
        self.quickbooks.calls()
    }
}

fn sent(w: &WireInvoice) -> bool {
    w.email_status.as_deref() == Some("EmailSent")
}
