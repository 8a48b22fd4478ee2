//! Xero as a [`PaymentGateway`]: the client pushed as a contact (found by the `ContactNumber`
//! Cremmy gives it, else by email, else by name, which Xero keeps unique; made otherwise), the
//! deal's sales invoice approved and emailed by Xero (or left a draft), and the organisation's
//! changes read with `If-Modified-Since`: invoices for their state, payments for money in, a
//! deleted payment as money back. Every PUT/POST carries an `Idempotency-Key` derived from the
//! job's key, so a retried job gets Xero's first answer.

use cremmy_protocol::payments::InvoiceStatus;

use super::{parse_date, WireInvoice, WirePayment, XeroError, XeroSession};
use crate::clock::Timestamp;
use crate::failure::SourceError;
use crate::features::payments::{
    from_minor, to_minor, Charge, Payer, PaymentChange, PaymentGateway, PaymentsError,
    PaymentsResult, RemoteInvoice, RemoteLink,
};

/// The revenue account invoice lines post to: "200 Sales" in Xero's default chart of accounts.
pub const SALES_ACCOUNT: &str = "200";

pub struct XeroPayments {
    pub xero: XeroSession,
}

fn source(e: XeroError) -> PaymentsError {
    match e.refusal() {
        // Xero's own words (a contact without an email, an account code the organisation
        // lacks): the user's to act on.
        Some(words) => PaymentsError::Invalid {
            field: "Xero request",
            reason: words.to_string(),
        },
        None => PaymentsError::Source(SourceError::from(e)),
    }
}

pub fn status_of(xero_status: &str) -> InvoiceStatus {
    match xero_status {
        "AUTHORISED" => InvoiceStatus::Open,
        "PAID" => InvoiceStatus::Paid,
        "VOIDED" | "DELETED" => InvoiceStatus::Void,
        _ => InvoiceStatus::Draft,
    }
}

pub fn invoice_of(w: &WireInvoice, url: Option<String>) -> RemoteInvoice {
    let currency = w.currency_code.clone().unwrap_or_default().to_uppercase();
    RemoteInvoice {
        remote_id: w.invoice_id.clone(),
        status: status_of(&w.status),
        total_minor: to_minor(w.total, &currency),
        paid_minor: to_minor(w.amount_paid, &currency),
        due_at: w.due_date.as_deref().and_then(parse_date),
        number: w.invoice_number.clone(),
        url,
        currency,
    }
}

/// A payment (or its deletion) as a payment change, with when it happened.
pub fn payment_change(p: &WirePayment) -> Option<(PaymentChange, Timestamp)> {
    let invoice = p.invoice.as_ref()?;
    let currency = invoice
        .currency_code
        .clone()
        .unwrap_or_default()
        .to_uppercase();
    let paid_at = p.date.as_deref().and_then(parse_date).unwrap_or(0);
    let amount_minor = to_minor(p.amount, &currency);
    match p.status.as_str() {
        "AUTHORISED" => Some((
            PaymentChange::Paid {
                remote_id: p.payment_id.clone(),
                invoice: Some(invoice.invoice_id.clone()),
                link: None,
                currency,
                amount_minor,
                at: paid_at,
            },
            paid_at,
        )),
        "DELETED" => {
            let at = p.updated.as_deref().and_then(parse_date).unwrap_or(paid_at);
            Some((
                PaymentChange::Refunded {
                    payment: p.payment_id.clone(),
                    refunded_minor: amount_minor,
                    at,
                },
                at,
            ))
        }
        _ => None,
    }
}

/// `yyyy-mm-dd` of a Unix ms time (UTC).
fn day(ms: Timestamp) -> String {
    super::utc(ms)[..10].to_string()
}

impl PaymentGateway for XeroPayments {
    fn product_name(&self) -> &'static str {
        "Xero"
    }

    async fn push_client(&self, payer: &Payer, idempotency_key: &str) -> PaymentsResult<String> {
        let x = &self.xero;
        let contact = match x
            .find_contact(&payer.client_gid, payer.email.as_deref(), &payer.name)
            .await
            .map_err(source)?
        {
            Some(found) => found,
            None => {
                let mut new = serde_json::json!({
                    "Name": payer.name,
                    "ContactNumber": payer.client_gid,
                });
                if let Some(email) = &payer.email {
                    new["EmailAddress"] = serde_json::json!(email);
                }
                x.create_contact(&new, &format!("{idempotency_key}-contact"))
                    .await
                    .map_err(source)?
            }
        };
        Ok(contact.contact_id)
    }

    async fn create_invoice(
        &self,
        charge: &Charge,
        idempotency_key: &str,
    ) -> PaymentsResult<RemoteInvoice> {
        let x = &self.xero;
        let payer = &charge.payer;
        let contact_id = self.push_client(payer, idempotency_key).await?;
        let today = x.accounts.now();
        let due = today + i64::from(charge.days_until_due) * 86_400_000;
        let invoice = serde_json::json!({
            "Type": "ACCREC",
            "Contact": { "ContactID": contact_id },
            "Date": day(today),
            "DueDate": day(due),
            "LineAmountTypes": "NoTax",
            "LineItems": [{
                "Description": charge.line,
                "Quantity": 1,
                "UnitAmount": from_minor(charge.amount_minor, &charge.currency),
                "AccountCode": SALES_ACCOUNT,
            }],
            "Reference": charge.memo,
            "CurrencyCode": charge.currency.to_uppercase(),
            "Status": if charge.send { "AUTHORISED" } else { "DRAFT" },
        });
        let made = x
            .create_invoice(&invoice, &format!("{idempotency_key}-invoice"))
            .await
            .map_err(source)?;
        let mut url = None;
        if charge.send {
            // Xero emails the contact; a client without an email gets the approved invoice
            // through its online link instead.
            if payer.email.is_some() {
                x.email_invoice(&made.invoice_id, &format!("{idempotency_key}-email"))
                    .await
                    .map_err(source)?;
            }
            url = x.online_invoice(&made.invoice_id).await.map_err(source)?;
        }
        Ok(invoice_of(&made, url))
    }

    async fn create_link(&self, _: &Charge, _: &str) -> PaymentsResult<RemoteLink> {
        Err(PaymentsError::Invalid {
            field: "payment provider",
            reason: "Xero makes no payment links; create an invoice instead (its online invoice is where the client pays)".into(),
        })
    }

    async fn changes_since(
        &self,
        since: Timestamp,
        _now: Timestamp,
    ) -> PaymentsResult<Option<Vec<(PaymentChange, Timestamp)>>> {
        let x = &self.xero;
        let mut changes: Vec<(PaymentChange, Timestamp)> = Vec::new();
        for invoice in x.invoices_since(since).await.map_err(source)? {
            changes.push((PaymentChange::Invoice(invoice_of(&invoice, None)), since));
        }
        for payment in x.payments_since(since).await.map_err(source)? {
            changes.extend(payment_change(&payment));
        }
        // Invoice states first (they say what is known), then payments oldest first.
        changes.sort_by_key(|(change, at)| (!matches!(change, PaymentChange::Invoice(_)), *at));
        Ok(Some(changes))
    }

    async fn invoice(&self, remote_id: &str) -> PaymentsResult<RemoteInvoice> {
        let w = self.xero.invoice(remote_id).await.map_err(source)?;
        Ok(invoice_of(&w, None))
    }

    async fn invoice_payments(&self, remote_id: &str) -> PaymentsResult<Vec<PaymentChange>> {
        let w = self.xero.invoice(remote_id).await.map_err(source)?;
        let currency = w.currency_code.clone().unwrap_or_default().to_uppercase();
        Ok(w.payments
            .iter()
            .map(|p| {
                let at = p.date.as_deref().and_then(parse_date).unwrap_or(0);
                PaymentChange::Paid {
                    remote_id: p.payment_id.clone(),
                    invoice: Some(w.invoice_id.clone()),
                    link: None,
                    currency: currency.clone(),
                    amount_minor: to_minor(p.amount, &currency),
                    at,
                }
            })
            .collect())
    }

    fn calls(&self) -> u32 {
        self.xero.calls()
    }
}
