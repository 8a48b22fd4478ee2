//! Payments through Xero against the provider sandbox's Xero (which follows Xero's pages), through
//! the same runner the window and the CLI use: the PKCE sign-in without a secret, the organisation
//! the account works in, a client pushed as a contact and a deal's invoice made once across a
//! crash and a retry, payments (and a deleted one) coming back with `If-Modified-Since`, and the
//! failure paths (429 with Retry-After, a grant revoked in Xero).

use cremmy_core::accounts::{OAuthApp, OAuthApps};
use cremmy_core::features::payments::PaymentGateway;
use cremmy_core::HasErrorCode;
use cremmy_protocol::accounts::{Account, AccountStatus, ConnectRequest, Feature};
use cremmy_protocol::payments::{DealPaid, InvoiceStatus};
use cremmy_protocol::sync::SyncTrigger;
use cremmy_protocol::Provider;
use serde_json::{json, Value};

use crate::accounts_support::{consent, http};
use crate::payments::{invoice_request, payment_lines, rerun_invoice_job_as_after_a_crash};
use crate::support::{client, contact, deal_in_stage, T0};
use crate::texting::{text_world_with, TextWorld};

const CLIENT_ID: &str = "XEROSANDBOXCLIENT0000000000000000";
/// The redirect URI the sandbox's Xero app registered (Xero matches it exactly).
const REDIRECT: &str = "http://localhost:48620/callback";
const TENANT: &str = "a3d1e5c0-0000-4000-8000-000000000001";
const DAY: i64 = 86_400_000;

async fn control(w: &TextWorld, path: &str, body: Value) -> Value {
    let r = http()
        .post(format!("{}_sandbox/xero{path}", w.sandbox.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "sandbox control {path}");
    r.json().await.unwrap()
}

async fn books(w: &TextWorld) -> Value {
    let all: Value = http()
        .get(format!("{}_sandbox/xero", w.sandbox.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    all["books"][TENANT].clone()
}

/// Moves both clocks (the app's and the sandbox's Xero) to `at`.
async fn set_time(w: &TextWorld, at: i64) {
    w.clock.set(at);
    control(w, "/configure", json!({ "now_ms": at })).await;
}

/// Signs in as the browser would: consent, then the redirect's URL handed to Cremmy.
async fn sign_in(w: &TextWorld) -> Account {
    let request = ConnectRequest {
        provider: Provider::Xero,
        features: vec![Feature::Payments],
        login_hint: None,
    };
    let start = w.accounts.begin_login(&request, REDIRECT).await.unwrap();
    assert!(
        start.authorize_url.contains("offline_access")
            && !start.authorize_url.contains("access_type"),
        "Xero grants a refresh token for offline_access, and gets none of Google's parameters: {}",
        start.authorize_url
    );
    let back = consent(&start.authorize_url).await;
    w.accounts
        .finish_login(&back)
        .await
        .expect("the sign-in completes")
}

/// A world with Xero connected and a client (Acme, Zoë's email) with a 12,500 EUR deal.
async fn world() -> (TextWorld, Account, i64, i64) {
    let apps = OAuthApps::default().with(
        Provider::Xero,
        OAuthApp {
            client_id: CLIENT_ID.into(),
            client_secret: String::new(),
        },
    );
    let w = text_world_with(apps).await;
    set_time(&w, T0).await;
    let account = sign_in(&w).await;
    let acme = client(&w.crm, "Acme").await;
    contact(&w.crm, acme.id, "Zoë Müller", &["zoe@acme.example"]).await;
    let deal = deal_in_stage(&w.crm, acme.id, "Relaunch", (1_250_000, "EUR"), "Won").await;
    (w, account, acme.id, deal)
}

#[tokio::test]
async fn xero_signs_in_without_a_secret_and_works_in_a_connected_organisation() {
    let (w, _, _, _) = world().await;
    // Once more the whole way, as a click on Connect does it: the listener on the port the Xero
    // app registered, the browser sent to `http://localhost:48620/callback`.
    let request = ConnectRequest {
        provider: Provider::Xero,
        features: vec![Feature::Payments],
        login_hint: None,
    };
    let page = std::sync::Arc::default();
    let account = w
        .accounts
        .connect_with_loopback(
            &request,
            crate::accounts_support::browser(std::sync::Arc::clone(&page)),
            std::time::Duration::from_secs(20),
        )
        .await
        .expect("the loopback sign-in on the registered port completes");
    // The tab's page arrives just after the sign-in finishes.
    for _ in 0..100 {
        if !page.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        page.lock().unwrap().contains("connected to Xero"),
        "the tab says so: {}",
        page.lock().unwrap()
    );
    assert_eq!(account.provider, Provider::Xero);
    assert_eq!(account.email, "owner@consultancy.example");
    assert!(
        account.features.contains(&Feature::Payments),
        "the granular accounting scopes were granted: {:?}",
        account.features
    );
    let organisations = w.sync.accounting_organisations(account.id).await.unwrap();
    assert_eq!(
        organisations.chosen, TENANT,
        "the first organisation until the user picks another"
    );
    assert_eq!(organisations.list[0].name, "Demo Company (Global)");
    let refused = w
        .sync
        .choose_accounting_organisation(account.id, "not-a-connected-tenant")
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("not among those connected"),
        "only a connected organisation can be chosen: {refused}"
    );

    // The user ticks a second organisation in Xero and picks it: invoices go to its books.
    let mut all: Value = http()
        .get(format!("{}_sandbox/xero", w.sandbox.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let second = "b4e2f6d1-0000-4000-8000-000000000002";
    all["settings"]["tenants"]
        .as_array_mut()
        .unwrap()
        .push(json!([second, "Second Ltd"]));
    control(&w, "/configure", json!({ "settings": all["settings"] })).await;
    let chosen = w
        .sync
        .choose_accounting_organisation(account.id, second)
        .await
        .unwrap();
    assert_eq!(chosen.chosen, second);
    assert_eq!(chosen.list.len(), 2);
    let acme = client(&w.crm, "Acme Two").await;
    let deal = deal_in_stage(&w.crm, acme.id, "Audit", (90_000, "EUR"), "Won").await;
    let mut request = invoice_request(deal);
    request.account_id = Some(account.id);
    w.sync.create_invoice(&request).await.unwrap();
    let all: Value = http()
        .get(format!("{}_sandbox/xero", w.sandbox.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        all["books"][second]["invoices"].as_array().map(Vec::len),
        Some(1),
        "the invoice went to the chosen organisation: {all}"
    );
    assert!(all["books"][TENANT]["invoices"].is_null());
    assert_eq!(
        all["books"][second]["invoices"][0]["SentToContact"], false,
        "a client without an email is not emailed: its online invoice is the way to pay"
    );

    // The user unticks Second Ltd in Xero (or reconnects without it): the chosen organisation
    // is no longer reached, so invoices go to the first one still connected, not into refusals.
    let mut settings = all["settings"].clone();
    settings["tenants"] = json!([[TENANT, "Demo Company (Global)"]]);
    control(&w, "/configure", json!({ "settings": settings })).await;
    let next = deal_in_stage(&w.crm, acme.id, "Follow-up", (40_000, "EUR"), "Won").await;
    let mut request = invoice_request(next);
    request.account_id = Some(account.id);
    w.sync.create_invoice(&request).await.unwrap();
    assert_eq!(
        books(&w).await["invoices"].as_array().map(Vec::len),
        Some(1),
        "the invoice went to the organisation still connected"
    );
    let organisations = w.sync.accounting_organisations(account.id).await.unwrap();
    assert_eq!(
        organisations.chosen, TENANT,
        "and that one is now the chosen one"
    );
}

#[tokio::test]
async fn an_invoice_reaches_xero_once_across_a_crash_and_its_payments_come_back() {
    let (w, account, acme, deal) = world().await;
    let invoice = w.sync.create_invoice(&invoice_request(deal)).await.unwrap();
    assert_eq!(
        (
            invoice.status,
            invoice.total_minor,
            invoice.currency.as_str()
        ),
        (InvoiceStatus::Open, 1_250_000, "EUR")
    );
    let due_day = (T0 + 14 * DAY) / DAY * DAY;
    assert_eq!(
        invoice.due_at,
        Some(due_day),
        "due 14 days after (Xero keeps the day)"
    );
    assert!(
        invoice
            .url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://in.xero.com/")),
        "the online invoice, where the client pays: {:?}",
        invoice.url
    );
    let at_xero = books(&w).await;
    let client_gid: String = sqlx::query_scalar("SELECT gid FROM clients WHERE id = ?")
        .bind(acme)
        .fetch_one(w.crm.database().pool())
        .await
        .unwrap();
    assert_eq!(at_xero["contacts"][0]["ContactNumber"], client_gid.as_str());
    assert_eq!(at_xero["contacts"][0]["EmailAddress"], "zoe@acme.example");
    let remote = &at_xero["invoices"][0];
    assert_eq!(
        remote["Total"], 12_500.0,
        "minor units become Xero's decimals"
    );
    assert_eq!(remote["LineItems"][0]["Description"], "Relaunch");
    assert_eq!(remote["SentToContact"], true, "Xero emailed it");

    // Everything was made at Xero, then the process died before recording it: the retry sends
    // the same requests with the same keys and Xero answers with what it made.
    rerun_invoice_job_as_after_a_crash(&w).await;
    let at_xero = books(&w).await;
    assert_eq!(
        (
            at_xero["contacts"].as_array().unwrap().len(),
            at_xero["invoices"].as_array().unwrap().len()
        ),
        (1, 1),
        "one contact, one invoice"
    );
    let listed = w.sync.client_payments(acme).await.unwrap();
    assert_eq!(listed.invoices.len(), 1, "recorded once");
    let remote = at_xero["invoices"][0]["InvoiceID"]
        .as_str()
        .unwrap()
        .to_string();
    let number = listed.invoices[0].number.clone().unwrap();

    // Paid in two parts in Xero; each sync brings what changed since the last.
    set_time(&w, T0 + DAY).await;
    control(
        &w,
        &format!("/invoices/{remote}/pay"),
        json!({ "amount": 2_500.0 }),
    )
    .await;
    w.sync.sync_payments(SyncTrigger::Manual).await.unwrap();
    assert_eq!(w.sync.deal_paid(deal).await.unwrap(), DealPaid::Partially);
    set_time(&w, T0 + 2 * DAY).await;
    let last = control(&w, &format!("/invoices/{remote}/pay"), json!({})).await;
    w.sync.sync_payments(SyncTrigger::Manual).await.unwrap();
    w.sync.sync_payments(SyncTrigger::Manual).await.unwrap();
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

    // The last payment is deleted in Xero: the money went back, the invoice is due again.
    set_time(&w, T0 + 3 * DAY).await;
    let payment = last["PaymentID"].as_str().unwrap();
    control(&w, &format!("/payments/{payment}/delete"), json!({})).await;
    w.sync.sync_payments(SyncTrigger::Manual).await.unwrap();
    assert_eq!(
        payment_lines(&w, acme).await,
        [
            format!("Payment received: 10,000.00 EUR for invoice {number}"),
            format!("Payment received: 2,500.00 EUR for invoice {number}"),
            "Refund: 10,000.00 EUR".to_string(),
        ],
        "a deleted payment is money back"
    );
    assert_eq!(w.sync.deal_paid(deal).await.unwrap(), DealPaid::Partially);
    let now = w.sync.client_payments(acme).await.unwrap();
    assert_eq!(now.invoices[0].status, InvoiceStatus::Open);
    assert_eq!(now.outstanding, [("EUR".to_string(), 1_000_000)]);

    // A second deal for the same client finds its contact: still one in Xero.
    let next = deal_in_stage(&w.crm, acme, "Retainer", (300_000, "EUR"), "Won").await;
    w.sync.create_invoice(&invoice_request(next)).await.unwrap();
    assert_eq!(books(&w).await["contacts"].as_array().unwrap().len(), 1);
    let _ = account;
}

#[tokio::test]
async fn a_contact_made_in_xero_is_matched_not_duplicated_and_a_draft_stays_unsent() {
    let (w, account, acme, deal) = world().await;
    // The user already keeps Acme in Xero (no email, no Cremmy number): Xero's unique name finds it.
    control(&w, "/contacts", json!({ "Name": "Acme" })).await;
    let mut draft = invoice_request(deal);
    draft.send = false;
    let invoice = w.sync.create_invoice(&draft).await.unwrap();
    assert_eq!(invoice.status, InvoiceStatus::Draft);
    assert_eq!(invoice.url, None, "a draft has no online invoice");
    let at_xero = books(&w).await;
    assert_eq!(
        at_xero["contacts"].as_array().unwrap().len(),
        1,
        "matched by name"
    );
    assert_eq!(at_xero["invoices"][0]["Status"], "DRAFT");
    assert_eq!(at_xero["invoices"][0]["SentToContact"], false);
    // Sent this time: Xero refuses to email a contact without an address, in its own words.
    let mut send = invoice_request(deal);
    send.memo = "Second attempt".into();
    let refused = w.sync.create_invoice(&send).await.unwrap_err();
    assert_eq!(refused.code(), cremmy_protocol::ErrorCode::InvalidInput);
    assert!(
        refused
            .to_string()
            .contains("The contact does not have an email address."),
        "Xero's words, read from its whole answer: {refused}"
    );
    // Xero makes no payment links: said plainly, nothing made.
    let refused = w.sync.create_payment_link(deal).await.unwrap_err();
    assert!(
        refused.to_string().contains("Xero makes no payment links"),
        "{refused}"
    );
    let gateway = w
        .sync
        .providers()
        .payments(&account)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(gateway.product_name(), "Xero");
    let _ = acme;
    // "Push all clients": Acme is found (its name), Gamma is made; twice changes nothing.
    client(&w.crm, "Gamma").await;
    for _ in 0..2 {
        let pushed = w.sync.push_clients(account.id).await.unwrap();
        assert_eq!((pushed.pushed, pushed.failed.len()), (2, 0), "{pushed:?}");
        assert_eq!(
            books(&w).await["contacts"].as_array().unwrap().len(),
            2,
            "one contact per client, however often they are pushed"
        );
    }
}

#[tokio::test]
async fn a_429_is_waited_out_and_a_grant_revoked_in_xero_asks_to_reconnect() {
    let (w, account, _, deal) = world().await;
    w.sync.create_invoice(&invoice_request(deal)).await.unwrap();
    // One 429 on the invoices list, with Retry-After: the sync waits and goes on.
    let r = http()
        .post(format!("{}_sandbox/faults", w.sandbox.base_url()))
        .json(
            &json!({ "rules": [{ "path": "/api.xro/2.0/Invoices", "method": "GET", "times": 1,
            "fault": { "kind": "status", "status": 429, "retry_after_secs": 1 } }] }),
        )
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    set_time(&w, T0 + DAY).await;
    let runs = w.sync.sync_payments(SyncTrigger::Manual).await.unwrap();
    let log: Value = http()
        .get(format!("{}_sandbox/log", w.sandbox.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let statuses: Vec<u64> = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["path"]
                .as_str()
                .is_some_and(|p| p == "/api.xro/2.0/Invoices")
                && e["method"] == "GET"
        })
        .filter_map(|e| e["status"].as_u64())
        .collect();
    assert_eq!(statuses, [429, 200], "refused once, then answered: {log}");
    let outcome: String = sqlx::query_scalar("SELECT status FROM sync_runs WHERE id = ?")
        .bind(runs[0])
        .fetch_one(w.crm.database().pool())
        .await
        .unwrap();
    assert_eq!(outcome, "ok", "the run succeeded after waiting");

    // The user disconnects Cremmy in Xero: the next refresh is invalid_grant, the account asks
    // to be reconnected, nothing crashes.
    control(&w, "/grants/revoke", json!({})).await;
    w.sync.sync_payments(SyncTrigger::Manual).await.unwrap();
    let after = w.accounts.get(account.id).await.unwrap();
    assert_eq!(after.status, AccountStatus::NeedsReauth, "{after:?}");
}
