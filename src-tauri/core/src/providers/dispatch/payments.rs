//! The payment providers, one variant each, behind the payments feature's trait.

use crate::clock::Timestamp;
use crate::providers::{quickbooks, stripe, xero};

/// A payment provider, by account.
pub enum Payments {
    Stripe(stripe::gateway::StripePayments),
    Xero(xero::gateway::XeroPayments),
    QuickBooks(quickbooks::gateway::QuickBooksPayments),
}

impl crate::features::payments::PaymentGateway for Payments {
    fn product_name(&self) -> &'static str {
        match self {
            Payments::Stripe(p) => p.product_name(),
            Payments::Xero(p) => p.product_name(),
            Payments::QuickBooks(p) => p.product_name(),
        }
    }

    async fn create_invoice(
        &self,
        charge: &crate::features::payments::Charge,
        idempotency_key: &str,
    ) -> crate::features::payments::PaymentsResult<crate::features::payments::RemoteInvoice> {
        match self {
            Payments::Stripe(p) => p.create_invoice(charge, idempotency_key).await,
            Payments::Xero(p) => p.create_invoice(charge, idempotency_key).await,
            Payments::QuickBooks(p) => p.create_invoice(charge, idempotency_key).await,
        }
    }

    async fn create_link(
        &self,
        charge: &crate::features::payments::Charge,
        idempotency_key: &str,
    ) -> crate::features::payments::PaymentsResult<crate::features::payments::RemoteLink> {
        match self {
            Payments::Stripe(p) => p.create_link(charge, idempotency_key).await,
            Payments::Xero(p) => p.create_link(charge, idempotency_key).await,
            Payments::QuickBooks(p) => p.create_link(charge, idempotency_key).await,
        }
    }

    async fn push_client(
        &self,
        payer: &crate::features::payments::Payer,
        idempotency_key: &str,
    ) -> crate::features::payments::PaymentsResult<String> {
        match self {
            Payments::Stripe(p) => p.push_client(payer, idempotency_key).await,
            Payments::Xero(p) => p.push_client(payer, idempotency_key).await,
            Payments::QuickBooks(p) => p.push_client(payer, idempotency_key).await,
        }
    }

    async fn changes_since(
        &self,
        since: Timestamp,
        now: Timestamp,
    ) -> crate::features::payments::PaymentsResult<
        Option<Vec<(crate::features::payments::PaymentChange, Timestamp)>>,
    > {
        match self {
            Payments::Stripe(p) => p.changes_since(since, now).await,
            Payments::Xero(p) => p.changes_since(since, now).await,
            Payments::QuickBooks(p) => p.changes_since(since, now).await,
        }
    }

    async fn invoice(
        &self,
        remote_id: &str,
    ) -> crate::features::payments::PaymentsResult<crate::features::payments::RemoteInvoice> {
        match self {
            Payments::Stripe(p) => p.invoice(remote_id).await,
            Payments::Xero(p) => p.invoice(remote_id).await,
            Payments::QuickBooks(p) => p.invoice(remote_id).await,
        }
    }

    async fn invoice_payments(
        &self,
        remote_id: &str,
    ) -> crate::features::payments::PaymentsResult<Vec<crate::features::payments::PaymentChange>>
    {
        match self {
            Payments::Stripe(p) => p.invoice_payments(remote_id).await,
            Payments::Xero(p) => p.invoice_payments(remote_id).await,
            Payments::QuickBooks(p) => p.invoice_payments(remote_id).await,
        }
    }

    fn calls(&self) -> u32 {
        match self {
            Payments::Stripe(p) => p.stripe.calls(),
            Payments::Xero(p) => p.calls(),
            Payments::QuickBooks(p) => p.calls(),
        }
    }
}
