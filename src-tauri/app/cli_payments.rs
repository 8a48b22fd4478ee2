//! `cremmy connect stripe`, `cremmy invoice` and `cremmy payment-link`: the same core calls as
//! Integrations → Stripe and the client page's Payments card.

use std::process::ExitCode;

use cremmy_core::features::templates::money_text;
use cremmy_core::sync::SyncRunner;
use cremmy_protocol::payments::InvoiceRequest;

use crate::cli::report;

/// Where a script passes the Stripe key (else it is asked for, or read from stdin).
const KEY_VAR: &str = "CREMMY_STRIPE_KEY";

pub async fn connect(sync: &SyncRunner) -> ExitCode {
    let key = match crate::cli_backup::read_secret(KEY_VAR, "Stripe key (rk_… or sk_…): ", false)
    {
        Ok(k) => k,
        Err(e) => return report(Err::<String, _>(e)),
    };
    report(
        sync.connect_payments(&key)
            .await
            .map(|a| format!("Connected {} (account #{}).", a.email, a.id)),
    )
}

pub async fn invoice(sync: &SyncRunner, deal_id: i64, days: u32, draft: bool) -> ExitCode {
    let request = InvoiceRequest {
        deal_id,
        days_until_due: days,
        memo: String::new(),
        send: !draft,
        account_id: None,
    };
    report(sync.create_invoice(&request).await.map(|i| {
        format!(
            "Invoice {} ({}) for {}: {}",
            i.number.as_deref().unwrap_or("draft"),
            i.status.as_str(),
            money_text(i.total_minor, &i.currency),
            i.url.as_deref().unwrap_or("(a draft has no page yet)")
        )
    }))
}

pub async fn payment_link(sync: &SyncRunner, deal_id: i64) -> ExitCode {
    report(
        sync.create_payment_link(deal_id)
            .await
            .map(|l| format!("Payment link for deal {deal_id}: {}", l.url)),
    )
}
