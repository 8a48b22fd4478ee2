//! Stripe as a [`PaymentGateway`]: the customer found by the client's id in its metadata (or made,
//! keyed by the job), the invoice drafted, itemised, finalised and sent, each step with its own
//! idempotency key; a price and a payment link; and the Events API read into payment changes
//! (`invoice.*` for the invoice's state, `checkout.session.completed` for a link's payment,
//! `charge.refunded`); an invoice's payments are read from its InvoicePayments, because since API
//! version 2025-03-31.basil neither PaymentIntents nor Charges name their invoice
//! (https://docs.stripe.com/changelog/basil/2025-03-31/add-support-for-multiple-partial-payments-on-invoices).

use cremmy_protocol::payments::InvoiceStatus;
use cremmy_protocol::Provider;

use super::{
    InvoiceDraft, Stripe, StripeError, StripeKey, WireEvent, WireInvoice, WireInvoicePayment,
};
use crate::clock::Timestamp;
use crate::failure::SourceError;
use crate::features::payments::{
    Charge, Payer, PaymentChange, PaymentGateway, PaymentsError, PaymentsResult, RemoteInvoice,
    RemoteLink,
};

/// The events Cremmy reads (https://docs.stripe.com/api/events/types).
pub const EVENT_TYPES: [&str; 8] = [
    "invoice.finalized",
    "invoice.paid",
    "invoice.payment_succeeded",
    "invoice.voided",
    "invoice.marked_uncollectible",
    "invoice.updated",
    "charge.refunded",
    "checkout.session.completed",
];

/// Stripe lists events for 30 days; a cursor older than this (a day's margin) re-reads instead.
const EVENTS_KEPT_MS: i64 = 29 * 86_400_000;

pub struct StripePayments {
    pub stripe: Stripe,
    pub key: StripeKey,
}

fn source(e: StripeError) -> PaymentsError {
    match e.stripe_error() {
        // A declined card or a refused parameter: Stripe's own words, the user's to act on.
        Some((kind, message)) if kind == "card_error" || kind == "invalid_request_error" => {
            match e.kind() {
                crate::failure::FailureKind::Invalid => PaymentsError::Invalid {
                    field: "Stripe request",
                    reason: message,
                },
                _ => PaymentsError::Source(SourceError::from(e)),
            }
        }
        _ => PaymentsError::Source(SourceError::from(e)),
    }
}

pub fn invoice_of(w: &WireInvoice) -> RemoteInvoice {
    RemoteInvoice {
        remote_id: w.id.clone(),
        status: w
            .status
            .as_deref()
            .and_then(InvoiceStatus::parse)
            .unwrap_or(InvoiceStatus::Draft),
        currency: w.currency.to_uppercase(),
        total_minor: w.total,
        paid_minor: w.amount_paid,
        due_at: w.due_date.map(|s| s * 1000),
        number: w.number.clone(),
        url: w.hosted_invoice_url.clone(),
    }
}

/// A paid InvoicePayment as a payment, known by its PaymentIntent (what a refund names).
pub fn payment_of(p: &WireInvoicePayment) -> Option<PaymentChange> {
    Some(PaymentChange::Paid {
        remote_id: p
            .payment
            .payment_intent
            .clone()
            .or(p.payment.charge.clone())
            .unwrap_or(p.id.clone()),
        invoice: Some(p.invoice.clone()),
        link: None,
        currency: p.currency.to_uppercase(),
        amount_minor: p.amount_paid?,
        at: p.status_transitions.paid_at.unwrap_or(p.created) * 1000,
    })
}

/// What an event says, in Cremmy's terms; `None` for what Cremmy does not follow.
pub fn change_of(e: &WireEvent) -> Option<PaymentChange> {
    let o = &e.data.object;
    let text = |v: &serde_json::Value| v.as_str().map(str::to_string);
    let at = e.created * 1000;
    match e.kind.as_str() {
        k if k.starts_with("invoice.") => {
            let wire: WireInvoice = serde_json::from_value(o.clone()).ok()?;
            Some(PaymentChange::Invoice(invoice_of(&wire)))
        }
        "checkout.session.completed" => Some(PaymentChange::Paid {
            remote_id: text(&o["payment_intent"]).or(text(&o["id"]))?,
            invoice: None,
            link: Some(text(&o["payment_link"])?),
            currency: text(&o["currency"])?.to_uppercase(),
            amount_minor: o["amount_total"].as_i64()?,
            at,
        }),
        "charge.refunded" => Some(PaymentChange::Refunded {
            payment: text(&o["payment_intent"]).or(text(&o["id"]))?,
            refunded_minor: o["amount_refunded"].as_i64()?,
            at,
        }),
        _ => None,
    }
}

impl PaymentGateway for StripePayments {
    fn product_name(&self) -> &'static str {
        Provider::Stripe.display_name()
    }

    async fn push_client(&self, payer: &Payer, key: &str) -> PaymentsResult<String> {
        let s = &self.stripe;
        let found = match &payer.email {
            Some(email) => s
                .customer_by_email(&self.key, email)
                .await
                .map_err(source)?,
            None => None,
        };
        Ok(match found {
            Some(customer) => customer.id,
            None => {
                s.create_customer(
                    &self.key,
                    &payer.name,
                    payer.email.as_deref(),
                    &payer.client_gid,
                    &format!("{key}:customer"),
                )
                .await
                .map_err(source)?
                .id
            }
        })
    }

    async fn create_invoice(&self, c: &Charge, key: &str) -> PaymentsResult<RemoteInvoice> {
        let s = &self.stripe;
        let customer = self.push_client(&c.payer, key).await?;
        let draft = InvoiceDraft {
            customer: &customer,
            deal_gid: &c.deal_gid,
            currency: &c.currency,
            amount_minor: c.amount_minor,
            line: &c.line,
            memo: &c.memo,
            days_until_due: c.days_until_due,
        };
        let invoice = s
            .create_invoice(&self.key, &draft, &format!("{key}:invoice"))
            .await
            .map_err(source)?;
        s.add_invoice_item(&self.key, &draft, &invoice.id, &format!("{key}:item"))
            .await
            .map_err(source)?;
        if !c.send {
            let now = s.invoice(&self.key, &invoice.id).await.map_err(source)?;
            return Ok(invoice_of(&now));
        }
        s.invoice_action(
            &self.key,
            &invoice.id,
            "finalize",
            &format!("{key}:finalize"),
        )
        .await
        .map_err(source)?;
        let sent = s
            .invoice_action(&self.key, &invoice.id, "send", &format!("{key}:send"))
            .await
            .map_err(source)?;
        Ok(invoice_of(&sent))
    }

    async fn create_link(&self, c: &Charge, key: &str) -> PaymentsResult<RemoteLink> {
        let draft = InvoiceDraft {
            customer: "",
            deal_gid: &c.deal_gid,
            currency: &c.currency,
            amount_minor: c.amount_minor,
            line: &c.line,
            memo: &c.memo,
            days_until_due: c.days_until_due,
        };
        let link = self
            .stripe
            .create_payment_link(&self.key, &draft, key)
            .await
            .map_err(source)?;
        Ok(RemoteLink {
            remote_id: link.id,
            url: link.url,
        })
    }

    async fn changes_since(
        &self,
        since: Timestamp,
        now: Timestamp,
    ) -> PaymentsResult<Option<Vec<(PaymentChange, Timestamp)>>> {
        if now - since > EVENTS_KEPT_MS {
            return Ok(None);
        }
        let events = self
            .stripe
            .events_since(&self.key, &EVENT_TYPES, since.div_euclid(1000))
            .await
            .map_err(source)?;
        Ok(Some(
            events
                .iter()
                .filter_map(|e| change_of(e).map(|c| (c, e.created * 1000)))
                .collect(),
        ))
    }

    fn calls(&self) -> u32 {
        self.stripe.calls()
    }

    async fn invoice_payments(&self, remote_id: &str) -> PaymentsResult<Vec<PaymentChange>> {
        let payments = self
            .stripe
            .invoice_payments(&self.key, remote_id)
            .await
            .map_err(source)?;
        Ok(payments.iter().filter_map(payment_of).collect())
    }

    async fn invoice(&self, remote_id: &str) -> PaymentsResult<RemoteInvoice> {
        let wire = self
            .stripe
            .invoice(&self.key, remote_id)
            .await
            .map_err(source)?;
        Ok(invoice_of(&wire))
    }
}
