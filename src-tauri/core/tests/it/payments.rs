//! Payments against the provider sandbox's Stripe (which follows Stripe's pages), through the
//! same runner the window and the CLI use: connecting with a key (nothing stored when refused), an
//! invoice and a payment link made from a deal exactly once across a crash and a retry, payments
//! on the timeline and the deal paid after a sync, refunds, overdue invoices, and the failure
//! paths (a declined card, 429, an expired change cursor, a revoked key).

use cremmy_core::HasErrorCode;
use cremmy_protocol::accounts::{AccountStatus, Feature};
use cremmy_protocol::crm::ActivityKind;
use cremmy_protocol::payments::{DealPaid, InvoiceRequest, InvoiceStatus};
use cremmy_protocol::sms::ApiKeyConnect;
use cremmy_protocol::sync::SyncTrigger;
use cremmy_protocol::{ErrorCode, Provider};
use serde_json::{json, Value};

use crate::support::{client, contact, deal_in_stage, T0};
use crate::texting::{text_world, TextWorld};

const KEY: &str = "sk_test_sandbox0000000000000000";
const DAY: i64 = 86_400_000;

async fn stripe(w: &TextWorld, path: &str, body: Value) -> Value {
    let r = crate::accounts_support::http()
        .post(format!("{}_sandbox/stripe{path}", w.sandbox.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "sandbox control {path}");
    r.json().await.unwrap()
}

async fn snapshot(w: &TextWorld) -> Value {
    crate::accounts_support::http()
        .get(format!("{}_sandbox/stripe", w.sandbox.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn faults(w: &TextWorld, rules: Value) {
    let r = crate::accounts_support::http()
        .post(format!("{}_sandbox/faults", w.sandbox.base_url()))
        .json(&json!({ "rules": rules }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
}

fn request(secret: &str) -> ApiKeyConnect {
    ApiKeyConnect {
        provider: Provider::Stripe,
        account: String::new(),
        key_id: None,
        secret: secret.into(),
    }
}

/// Moves both clocks (the app's and the sandbox's Stripe) to `at`.
async fn set_time(w: &TextWorld, at: i64) {
    w.clock.set(at);
    stripe(w, "", json!({ "now": at / 1000 })).await;
}

/// A world with Stripe connected and a client (Acme, Zoë's email) with a 12,500 EUR deal.
async fn world() -> (TextWorld, i64, i64) {
    let w = text_world().await;
    set_time(&w, T0).await;
    w.sync
        .providers()
        .connect_with_key(&request(KEY))
        .await
        .expect("the sandbox's test key");
    let acme = client(&w.crm, "Acme").await;
    contact(&w.crm, acme.id, "Zoë Müller", &["zoe@acme.example"]).await;
    let deal = deal_in_stage(&w.crm, acme.id, "Relaunch", (1_250_000, "EUR"), "Won").await;
    (w, acme.id, deal)
}

/// The invoice job made everything at the provider, then the process died before recording it:
/// its invoice row is gone and the job is queued again, then run.
pub async fn rerun_invoice_job_as_after_a_crash(w: &TextWorld) {
    sqlx::query("DELETE FROM invoices")
        .execute(w.crm.database().writer())
        .await
        .unwrap();
    let job: i64 = sqlx::query_scalar("SELECT id FROM jobs WHERE kind = 'create_invoice'")
        .fetch_one(w.crm.database().pool())
        .await
        .unwrap();
    sqlx::query("UPDATE jobs SET status = 'queued' WHERE id = ?")
        .bind(job)
        .execute(w.crm.database().writer())
        .await
        .unwrap();
    w.sync.run_job(job, SyncTrigger::Manual).await.unwrap();
}

pub fn invoice_request(deal_id: i64) -> InvoiceRequest {
    InvoiceRequest {
        deal_id,
        days_until_due: 14,
        memo: "Thank you for your business.".into(),
        send: true,
        account_id: None,
    }
}

pub async fn payment_lines(w: &TextWorld, client_id: i64) -> Vec<String> {
    let mut lines: Vec<String> = w
        .crm
        .timeline(client_id, None, 0)
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|a| a.kind == ActivityKind::Payment)
        .map(|a| a.subject)
        .collect();
    lines.sort();
    lines
}

#[tokio::test]
async fn a_key_is_checked_before_anything_is_stored() {
    let w = text_world().await;
    let cases = [
        (
            "pk_test_publishable00000000000",
            "starts with rk_test_",
            "not a secret or restricted key",
        ),
        (
            "sk_test_wrong0000000000000000000",
            "did not accept this key",
            "a key Stripe refuses",
        ),
    ];
    for (key, says, why) in cases {
        let e = w
            .sync
            .providers()
            .connect_with_key(&request(key))
            .await
            .expect_err(why);
        assert_eq!(e.code(), ErrorCode::InvalidInput, "{why}: {e}");
        assert!(e.to_string().contains(says), "{why}: {e}");
    }
    assert!(
        w.accounts.list().await.unwrap().is_empty(),
        "nothing stored for refused keys"
    );
    let (account, _) = w
        .sync
        .providers()
        .connect_with_key(&request(&format!("  {KEY} ")))
        .await
        .unwrap();
    assert_eq!(account.email, "Stripe test mode, secret key …0000");
    assert!(account.features.contains(&Feature::Payments));
    assert_eq!(
        w.accounts.api_key(account.id).await.unwrap(),
        KEY,
        "the key is in the keychain, trimmed"
    );
}

#[tokio::test]
async fn an_invoice_is_made_once_across_a_crash_and_its_payments_come_back() {
    let (w, acme, deal) = world().await;
    w.crm.set_home_currency("EUR").await.unwrap();
    let report = || async {
        w.crm
            .reports(cremmy_protocol::reports::ReportRequest {
                utc_offset_minutes: 0,
                months: 3,
            })
            .await
            .unwrap()
    };
    let invoice = w.sync.create_invoice(&invoice_request(deal)).await.unwrap();
    assert_eq!(
        (
            invoice.status,
            invoice.total_minor,
            invoice.currency.as_str()
        ),
        (InvoiceStatus::Open, 1_250_000, "EUR")
    );
    assert_eq!(invoice.due_at, Some(T0 + 14 * DAY), "due 14 days after");
    assert!(invoice
        .url
        .as_deref()
        .unwrap()
        .starts_with("https://invoice.stripe.com/"));
    let at_stripe = snapshot(&w).await;
    assert_eq!(at_stripe["customers"].as_array().unwrap().len(), 1);
    assert_eq!(at_stripe["customers"][0]["email"], "zoe@acme.example");
    assert_eq!(
        at_stripe["invoices"][0]["lines"]["data"][0]["description"],
        "Relaunch"
    );

    // The job made everything at Stripe, then the process died before recording it: the retry
    // sends the same requests with the same keys and Stripe answers with what it made.
    rerun_invoice_job_as_after_a_crash(&w).await;
    let at_stripe = snapshot(&w).await;
    assert_eq!(
        (
            at_stripe["customers"].as_array().unwrap().len(),
            at_stripe["invoices"].as_array().unwrap().len(),
            at_stripe["invoices"][0]["lines"]["data"]
                .as_array()
                .unwrap()
                .len(),
        ),
        (1, 1, 1),
        "one customer, one invoice, one line"
    );
    let listed = w.sync.client_payments(acme).await.unwrap();
    assert_eq!(listed.invoices.len(), 1, "recorded once");
    assert_eq!(listed.outstanding, [("EUR".to_string(), 1_250_000)]);
    let remote = at_stripe["invoices"][0]["id"].as_str().unwrap().to_string();
    let owed = report().await.outstanding;
    assert_eq!(
        owed.iter()
            .map(|c| (c.name.as_str(), c.owed.home.minor))
            .collect::<Vec<_>>(),
        [("Acme", 1_250_000)],
        "Reports: outstanding by client"
    );

    // Paid in two parts at Stripe; each sync brings what is new.
    stripe(
        &w,
        &format!("/invoices/{remote}/pay"),
        json!({ "amount": 250_000 }),
    )
    .await;
    w.sync.sync_payments(SyncTrigger::Manual).await.unwrap();
    assert_eq!(w.sync.deal_paid(deal).await.unwrap(), DealPaid::Partially);
    stripe(&w, &format!("/invoices/{remote}/pay"), json!({})).await;
    w.sync.sync_payments(SyncTrigger::Manual).await.unwrap();
    w.sync.sync_payments(SyncTrigger::Manual).await.unwrap();
    let number = listed.invoices[0].number.clone().unwrap();
    assert_eq!(
        payment_lines(&w, acme).await,
        [
            format!("Payment received: 10,000.00 EUR for invoice {number}"),
            format!("Payment received: 2,500.00 EUR for invoice {number}"),
        ],
        "each payment once, however often it is synced"
    );
    assert_eq!(w.sync.deal_paid(deal).await.unwrap(), DealPaid::Fully);
    let now = w.sync.client_payments(acme).await.unwrap();
    assert_eq!(now.invoices[0].status, InvoiceStatus::Paid);
    assert!(now.outstanding.is_empty(), "{:?}", now.outstanding);
    let r = report().await;
    assert!(r.outstanding.is_empty(), "nothing owed once paid");
    let this_month = r.revenue.last().unwrap();
    assert_eq!(
        (this_month.payments, this_month.paid.home.minor),
        (2, 1_250_000),
        "Reports: this month's revenue is both payments"
    );
    let journalled: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM event_journal WHERE kind = 'payment_received' AND client_id = ?",
    )
    .bind(acme)
    .fetch_one(w.crm.database().pool())
    .await
    .unwrap();
    assert_eq!(journalled, 2, "rules and webhooks hear each payment");

    // A refund names the PaymentIntent only; the invoice's payments named it too.
    let first_charge = snapshot(&w).await["charges"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    stripe(&w, &format!("/charges/{first_charge}/refund"), json!({})).await;
    w.sync.sync_payments(SyncTrigger::Manual).await.unwrap();
    assert_eq!(
        payment_lines(&w, acme).await,
        [
            format!("Payment received: 10,000.00 EUR for invoice {number}"),
            format!("Payment received: 2,500.00 EUR for invoice {number}"),
            "Refund: 2,500.00 EUR".to_string(),
        ],
        "the part payment's refund is found through its PaymentIntent"
    );
    assert_eq!(w.sync.deal_paid(deal).await.unwrap(), DealPaid::Partially);
}

#[tokio::test]
async fn a_payment_link_is_made_once_and_its_checkout_and_refund_come_back() {
    let (w, acme, deal) = world().await;
    let link = w.sync.create_payment_link(deal).await.unwrap();
    assert!(
        link.url.starts_with("https://buy.stripe.com/"),
        "{}",
        link.url
    );
    assert_eq!(
        (link.amount_minor, link.currency.as_str()),
        (1_250_000, "EUR")
    );
    let remote = snapshot(&w).await["payment_links"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    stripe(
        &w,
        &format!("/payment_links/{remote}/complete"),
        json!({ "email": "zoe@acme.example" }),
    )
    .await;
    w.sync.sync_payments(SyncTrigger::Manual).await.unwrap();
    assert_eq!(
        payment_lines(&w, acme).await,
        ["Payment received: 12,500.00 EUR through a payment link"]
    );
    assert_eq!(w.sync.deal_paid(deal).await.unwrap(), DealPaid::Fully);
    let listed = w.sync.client_payments(acme).await.unwrap();
    assert_eq!(listed.links[0].paid_minor, 1_250_000);

    let charge = snapshot(&w).await["charges"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    stripe(&w, &format!("/charges/{charge}/refund"), json!({})).await;
    w.sync.sync_payments(SyncTrigger::Manual).await.unwrap();
    w.sync.sync_payments(SyncTrigger::Manual).await.unwrap();
    assert_eq!(
        payment_lines(&w, acme).await,
        [
            "Payment received: 12,500.00 EUR through a payment link",
            "Refund: 12,500.00 EUR"
        ],
        "the refund once"
    );
    assert_eq!(w.sync.deal_paid(deal).await.unwrap(), DealPaid::Unpaid);
}

#[tokio::test]
async fn an_overdue_invoice_is_listed_and_journalled_once() {
    let (w, acme, deal) = world().await;
    w.crm.set_home_currency("EUR").await.unwrap();
    let invoice = w.sync.create_invoice(&invoice_request(deal)).await.unwrap();
    assert!(w.sync.overdue_invoices().await.unwrap().is_empty());
    set_time(&w, T0 + 15 * DAY).await;
    w.sync.sync_payments(SyncTrigger::Manual).await.unwrap();
    w.sync.sync_payments(SyncTrigger::Manual).await.unwrap();
    let overdue = w.sync.overdue_invoices().await.unwrap();
    assert_eq!(overdue.len(), 1);
    assert!(overdue[0].overdue && overdue[0].id == invoice.id);
    let events: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM event_journal WHERE kind = 'invoice_overdue' AND client_id = ?",
    )
    .bind(acme)
    .fetch_one(w.crm.database().pool())
    .await
    .unwrap();
    assert_eq!(events, 1, "journalled once");

    // The lead score's financial part hears it: overdue, then paid late.
    let financial = |w: &TextWorld| {
        let w = w.crm.clone();
        async move {
            w.stored_score(acme)
                .await
                .unwrap()
                .expect("scored")
                .signals
                .into_iter()
                .filter(|g| g.subscore == cremmy_protocol::scores::Subscore::Financial)
                .map(|g| g.text)
                .collect::<Vec<_>>()
        }
    };
    let said = financial(&w).await;
    assert!(said.contains(&"EUR 12,500 overdue".to_string()), "{said:?}");
    let remote = snapshot(&w).await["invoices"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    stripe(&w, &format!("/invoices/{remote}/pay"), json!({})).await;
    w.sync.sync_payments(SyncTrigger::Manual).await.unwrap();
    let said = financial(&w).await;
    assert!(
        said.contains(&"paid 1 invoice late".to_string())
            && !said.iter().any(|t| t.ends_with("overdue")),
        "{said:?}"
    );
}

#[tokio::test]
async fn failures_are_said_and_recovered_from() {
    let (w, acme, deal) = world().await;
    // A declined card (402) is Stripe's own words, not worth retrying.
    faults(&w, json!([{ "path": "/v1/invoices", "method": "POST", "times": 1, "fault": { "kind": "status", "status": 402 } }])).await;
    let declined = w
        .sync
        .create_invoice(&invoice_request(deal))
        .await
        .expect_err("402");
    assert_eq!(declined.code(), ErrorCode::InvalidInput, "{declined}");
    assert!(
        declined.to_string().contains("Your card was declined"),
        "{declined}"
    );
    // A 429 is waited out and retried: one invoice.
    faults(&w, json!([{ "path": "/v1/invoices", "method": "POST", "times": 1, "fault": { "kind": "status", "status": 429 } }])).await;
    w.sync
        .create_invoice(&invoice_request(deal))
        .await
        .expect("after the 429");
    assert_eq!(snapshot(&w).await["invoices"].as_array().unwrap().len(), 1);

    // Offline for 40 days: Stripe no longer lists that far back, so the invoices not yet settled
    // are read one by one instead.
    let remote = snapshot(&w).await["invoices"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    stripe(&w, &format!("/invoices/{remote}/pay"), json!({})).await;
    set_time(&w, T0 + 40 * DAY).await;
    w.sync.sync_payments(SyncTrigger::Manual).await.unwrap();
    let listed = w.sync.client_payments(acme).await.unwrap();
    assert_eq!(listed.invoices[0].status, InvoiceStatus::Paid, "re-read");
    let runs = w
        .sync
        .runs(&cremmy_protocol::sync::SyncRunQuery::default())
        .await
        .unwrap();
    assert_eq!(runs[0].kind.as_str(), "reconcile", "{:?}", runs[0]);

    // The key is revoked: the account asks to be reconnected, nothing crashes.
    stripe(
        &w,
        "",
        json!({ "keys": ["sk_test_another000000000000000"] }),
    )
    .await;
    w.sync.sync_payments(SyncTrigger::Manual).await.unwrap();
    let account = w.accounts.list().await.unwrap().remove(0);
    assert_eq!(account.status, AccountStatus::NeedsReauth, "{account:?}");
}

#[tokio::test]
async fn rules_bill_a_won_deal_once_and_hear_its_payment() {
    use cremmy_protocol::automation::{RuleAction, RuleInput};
    use cremmy_protocol::kinds::EventKind;
    let (w, acme, _) = world().await;
    let rule = |name: &str, trigger, action| RuleInput {
        name: name.into(),
        trigger,
        conditions: vec![],
        delay: None,
        actions: vec![action],
        enabled: true,
    };
    w.sync
        .create_rule(&rule(
            "Bill on win",
            EventKind::DealWon,
            RuleAction::CreateInvoice {
                days_until_due: 30,
                send: true,
            },
        ))
        .await
        .unwrap();
    w.sync
        .create_rule(&rule(
            "Thank on payment",
            EventKind::PaymentReceived,
            RuleAction::CreateTask {
                title: "Thank {client} for paying".into(),
                due_in_days: 0,
                remind_at_hour: None,
            },
        ))
        .await
        .unwrap();
    let audit = deal_in_stage(&w.crm, acme, "Audit", (90_000, "EUR"), "Negotiation").await;
    crate::support::move_deal_to(&w.crm, audit, "Won").await;
    crate::support::settle_rules(&w.sync).await;
    let invoices = snapshot(&w).await["invoices"].clone();
    assert_eq!(invoices.as_array().unwrap().len(), 1, "{invoices}");
    assert_eq!(invoices[0]["total"], 90_000);
    assert_eq!(invoices[0]["status"], "open", "sent");

    // The rule's run again from its first action (a crash before it was marked done): the job's
    // key finds the invoice already made.
    sqlx::query("UPDATE rule_runs SET status = 'waiting', actions_done = 0")
        .execute(w.crm.database().writer())
        .await
        .unwrap();
    sqlx::query("UPDATE jobs SET status = 'queued', next_run_at = 0 WHERE kind = 'rule_run'")
        .execute(w.crm.database().writer())
        .await
        .unwrap();
    w.sync.run_due_jobs().await.unwrap();
    crate::support::settle_rules(&w.sync).await;
    assert_eq!(
        snapshot(&w).await["invoices"].as_array().unwrap().len(),
        1,
        "still one invoice"
    );

    let remote = invoices[0]["id"].as_str().unwrap().to_string();
    stripe(&w, &format!("/invoices/{remote}/pay"), json!({})).await;
    w.sync.sync_payments(SyncTrigger::Manual).await.unwrap();
    crate::support::settle_rules(&w.sync).await;
    let tasks = w.crm.open_tasks_of(acme).await.unwrap();
    assert!(
        tasks.iter().any(|t| t.title == "Thank Acme for paying"),
        "the payment set off its rule: {tasks:?}"
    );
}
