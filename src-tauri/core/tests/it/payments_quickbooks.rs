//! Payments through QuickBooks Online against the provider sandbox's QuickBooks (which follows
//! Intuit's pages), through the same runner the window and the CLI use: the sign-in with the
//! user's confidential client and the company (`realmId`) kept with the account, a client pushed
//! as a customer and a deal's invoice made once across a crash and a retry, payments (and a
//! deleted one) coming back through change data capture, a cursor past its 30 days, and the
//! failure paths (Intuit's validation words, a 429 without Retry-After, a grant revoked).

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

const CLIENT_ID: &str = "ABqbSandboxClient000000000000000000000000000000000";
const SECRET: &str = "qbSandboxSecret00000000000000000000000";
const REALM: &str = "9341453000000001";
const DAY: i64 = 86_400_000;
/// The redirect URI the sandbox's Intuit app registered (matched exactly).
const REDIRECT: &str = "http://localhost:48621/callback";

async fn control(w: &TextWorld, path: &str, body: Value) -> Value {
    let r = http()
        .post(format!("{}_sandbox/quickbooks{path}", w.sandbox.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "sandbox control {path}");
    r.json().await.unwrap_or(Value::Null)
}

async fn books(w: &TextWorld) -> Value {
    let all: Value = http()
        .get(format!("{}_sandbox/quickbooks", w.sandbox.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    all["companies"][REALM].clone()
}

async fn log(w: &TextWorld) -> Vec<Value> {
    let log: Value = http()
        .get(format!("{}_sandbox/log", w.sandbox.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    log["requests"].as_array().cloned().unwrap_or_default()
}

async fn set_time(w: &TextWorld, at: i64) {
    w.clock.set(at);
    control(w, "/configure", json!({ "now_ms": at })).await;
}

/// The sign-in as the browser does it: consent, then the redirect's URL (with `code`, `state`
/// and `realmId`) handed to Cremmy.
async fn sign_in(w: &TextWorld) -> Account {
    let request = ConnectRequest {
        provider: Provider::QuickBooks,
        features: vec![Feature::Payments],
        login_hint: None,
    };
    let start = w.accounts.begin_login(&request, REDIRECT).await.unwrap();
    let back = consent(&start.authorize_url).await;
    assert!(back.contains(&format!("realmId={REALM}")), "{back}");
    w.accounts
        .finish_login(&back)
        .await
        .expect("the sign-in completes")
}

const PAGE: &str = "https://consultancy.example/cremmy-callback";

async fn reconnect_through_a_forwarding_page(w: &TextWorld) -> Account {
    use cremmy_protocol::accounts::OAuthClientInput;
    let save = |page: &str| OAuthClientInput {
        provider: Provider::QuickBooks,
        client_id: CLIENT_ID.into(),
        client_secret: SECRET.into(),
        redirect_page: Some(page.into()),
    };
    for bad in [
        "http://consultancy.example/cb",
        "https://127.0.0.1/cb",
        "https://localhost/cb",
        "https://consultancy.example/cb#x",
        "not a page",
    ] {
        let refused = w.accounts.save_oauth_client(&save(bad)).await;
        assert!(refused.is_err(), "{bad} is not a page Intuit takes");
    }
    let setup = w.accounts.save_oauth_client(&save(PAGE)).await.unwrap();
    assert_eq!(setup.redirect_page.as_deref(), Some(PAGE));
    assert!(setup.redirect_page_allowed);
    // The Intuit app registers the page.
    let mut all: Value = http()
        .get(format!("{}_sandbox/quickbooks", w.sandbox.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    all["settings"]["redirect_uris"] = json!([PAGE]);
    control(w, "/configure", json!({ "settings": all["settings"] })).await;
    let request = ConnectRequest {
        provider: Provider::QuickBooks,
        features: vec![Feature::Payments],
        login_hint: None,
    };
    // The browser: consent, Intuit sends it to the page, the page forwards the query to
    // http://localhost:48621/callback.
    let browser = |url: &str| {
        let url = url.to_string();
        tokio::spawn(async move {
            let at_page = consent(&url).await;
            let query = at_page
                .strip_prefix(&format!("{PAGE}?"))
                .unwrap_or_else(|| panic!("Intuit redirects to the registered page: {at_page}"))
                .to_string();
            let _ = http()
                .get(format!("http://localhost:48621/callback?{query}"))
                .send()
                .await;
        });
        Ok(())
    };
    w.accounts
        .connect_with_loopback(&request, browser, std::time::Duration::from_secs(20))
        .await
        .expect("the sign-in forwarded by the page completes")
}

/// A world with QuickBooks connected and a client (Acme, Zoë's email) with a 12,500 USD deal.
async fn world() -> (TextWorld, Account, i64, i64) {
    let apps = OAuthApps::default().with(
        Provider::QuickBooks,
        OAuthApp {
            client_id: CLIENT_ID.into(),
            client_secret: SECRET.into(),
        },
    );
    let w = text_world_with(apps).await;
    set_time(&w, T0).await;
    let account = sign_in(&w).await;
    let acme = client(&w.crm, "Acme").await;
    contact(&w.crm, acme.id, "Zoë Müller", &["zoe@acme.example"]).await;
    let deal = deal_in_stage(&w.crm, acme.id, "Relaunch", (1_250_000, "USD"), "Won").await;
    (w, account, acme.id, deal)
}

#[tokio::test]
async fn an_invoice_reaches_quickbooks_once_across_a_crash_and_its_payments_come_back() {
    let (w, account, acme, deal) = world().await;
    // Production keys take no http://localhost redirect: the user names an https page that
    // forwards the redirect to Cremmy's loopback address. Reconnecting the whole way, as a click
    // on Connect does it, goes through that page.
    let again = reconnect_through_a_forwarding_page(&w).await;
    assert_eq!(again.id, account.id, "the same account, reconnected");
    assert_eq!(account.provider, Provider::QuickBooks);
    assert_eq!(account.email, "owner@consultancy.example");
    assert!(
        account.features.contains(&Feature::Payments),
        "{:?}",
        account.features
    );
    let invoice = w.sync.create_invoice(&invoice_request(deal)).await.unwrap();
    assert_eq!(
        (
            invoice.status,
            invoice.total_minor,
            invoice.currency.as_str()
        ),
        (InvoiceStatus::Open, 1_250_000, "USD")
    );
    assert_eq!(
        invoice.due_at,
        Some((T0 + 14 * DAY) / DAY * DAY),
        "due 14 days after"
    );
    assert!(
        invoice
            .url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://")),
        "the invoice link, where the client pays: {:?}",
        invoice.url
    );
    let at_qb = books(&w).await;
    assert_eq!(at_qb["customers"][0]["DisplayName"], "Acme");
    assert_eq!(
        at_qb["customers"][0]["PrimaryEmailAddr"]["Address"],
        "zoe@acme.example"
    );
    let remote = &at_qb["invoices"][0];
    assert_eq!(remote["TotalAmt"], 12_500.0, "minor units become decimals");
    assert_eq!(remote["Line"][0]["Description"], "Relaunch");
    assert_eq!(remote["EmailStatus"], "EmailSent", "QuickBooks emailed it");
    let api_calls: Vec<String> = log(&w)
        .await
        .iter()
        .filter(|e| {
            e["path"]
                .as_str()
                .is_some_and(|p| p.starts_with("/v3/company/"))
        })
        .map(|e| {
            format!(
                "{} {}?{}",
                e["method"].as_str().unwrap_or(""),
                e["path"].as_str().unwrap_or(""),
                e["query"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert!(
        !api_calls.is_empty() && api_calls.iter().all(|c| c.contains("minorversion=75")),
        "every call names minor version 75: {api_calls:?}"
    );
    assert!(
        api_calls
            .iter()
            .any(|c| c.contains("/invoice?") && c.contains("requestid=")),
        "the create carries a requestid: {api_calls:?}"
    );

    // Everything was made at QuickBooks, then the process died before recording it: the retry
    // sends the same request ids and QuickBooks answers with what it made; the send is not
    // repeated.
    rerun_invoice_job_as_after_a_crash(&w).await;
    let at_qb = books(&w).await;
    assert_eq!(
        (
            at_qb["customers"].as_array().unwrap().len(),
            at_qb["invoices"].as_array().unwrap().len()
        ),
        (1, 1),
        "one customer, one invoice"
    );
    let sends = log(&w)
        .await
        .iter()
        .filter(|e| e["path"].as_str().is_some_and(|p| p.ends_with("/send")))
        .count();
    assert_eq!(sends, 1, "emailed once");
    let listed = w.sync.client_payments(acme).await.unwrap();
    assert_eq!(listed.invoices.len(), 1, "recorded once");
    let remote = at_qb["invoices"][0]["Id"].as_str().unwrap().to_string();
    let number = listed.invoices[0].number.clone().unwrap();

    // Paid in two parts in QuickBooks; each sync reads what changed since the last.
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
            format!("Payment received: 10,000.00 USD for invoice {number}"),
            format!("Payment received: 2,500.00 USD for invoice {number}"),
        ],
        "each payment once, however often it is synced"
    );
    assert_eq!(w.sync.deal_paid(deal).await.unwrap(), DealPaid::Fully);
    let now = w.sync.client_payments(acme).await.unwrap();
    assert_eq!(now.invoices[0].status, InvoiceStatus::Paid);

    // The last payment is deleted in QuickBooks: change data capture names only its id; all of
    // it went back and the invoice is due again.
    set_time(&w, T0 + 3 * DAY).await;
    control(
        &w,
        &format!("/payments/{}/delete", last["Id"].as_str().unwrap()),
        json!({}),
    )
    .await;
    w.sync.sync_payments(SyncTrigger::Manual).await.unwrap();
    assert_eq!(
        payment_lines(&w, acme).await,
        [
            format!("Payment received: 10,000.00 USD for invoice {number}"),
            format!("Payment received: 2,500.00 USD for invoice {number}"),
            "Refund: 10,000.00 USD".to_string(),
        ],
        "a deleted payment is money back, no more than it was"
    );
    assert_eq!(w.sync.deal_paid(deal).await.unwrap(), DealPaid::Partially);
    let now = w.sync.client_payments(acme).await.unwrap();
    assert_eq!(now.invoices[0].status, InvoiceStatus::Open);
    assert_eq!(now.outstanding, [("USD".to_string(), 1_000_000)]);

    // Forty days without a sync: change data capture reaches back 30, so the invoices Cremmy
    // knows are read again instead; the one payment made meanwhile still arrives.
    set_time(&w, T0 + 43 * DAY).await;
    control(&w, &format!("/invoices/{remote}/pay"), json!({})).await;
    w.sync.sync_payments(SyncTrigger::Manual).await.unwrap();
    assert_eq!(w.sync.deal_paid(deal).await.unwrap(), DealPaid::Fully);
    let cdc_past_reach = log(&w)
        .await
        .iter()
        .any(|e| e["path"].as_str().is_some_and(|p| p.ends_with("/cdc")) && e["status"] == 400);
    assert!(
        !cdc_past_reach,
        "change data capture is never asked past its 30 days"
    );

    // A second deal for the same client uses its linked customer: still one in QuickBooks.
    let next = deal_in_stage(&w.crm, acme, "Retainer", (300_000, "USD"), "Won").await;
    w.sync.create_invoice(&invoice_request(next)).await.unwrap();
    assert_eq!(books(&w).await["customers"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_customer_made_in_quickbooks_is_matched_and_intuits_refusals_are_said_in_its_words() {
    let (w, account, _, deal) = world().await;
    // The user already keeps "Beta" in QuickBooks; Cremmy's Beta (no email) is matched by name.
    control(&w, "/customers", json!({ "DisplayName": "Beta" })).await;
    let beta = client(&w.crm, "Beta").await;
    let beta_deal = deal_in_stage(&w.crm, beta.id, "Audit", (90_000, "USD"), "Won").await;
    let invoice = w
        .sync
        .create_invoice(&invoice_request(beta_deal))
        .await
        .unwrap();
    assert_eq!(
        invoice.status,
        InvoiceStatus::Open,
        "QuickBooks has no drafts"
    );
    let at_qb = books(&w).await;
    assert_eq!(
        at_qb["customers"].as_array().unwrap().len(),
        1,
        "matched by name: {at_qb}"
    );
    assert_eq!(
        at_qb["invoices"][0]["EmailStatus"], "NotSet",
        "a client without an email is not emailed: the invoice link is the way to pay"
    );
    // A deal in a currency the company does not keep: refused in Intuit's words, nothing
    // recorded.
    let euro = deal_in_stage(&w.crm, beta.id, "Workshop", (50_000, "EUR"), "Won").await;
    let refused = w
        .sync
        .create_invoice(&invoice_request(euro))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), cremmy_protocol::ErrorCode::InvalidInput);
    assert!(
        refused.to_string().contains("multicurrency is off")
            && refused.to_string().contains("6000"),
        "Intuit's words and code: {refused}"
    );
    // QuickBooks makes no payment links: said plainly, nothing made.
    let refused = w.sync.create_payment_link(deal).await.unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("QuickBooks makes no payment links"),
        "{refused}"
    );
    let gateway = w
        .sync
        .providers()
        .payments(&account)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(gateway.product_name(), "QuickBooks Online");

    // Disconnecting revokes the grant at Intuit (JSON body, the client in a Basic header).
    w.accounts.disconnect(account.id).await.unwrap();
    let revoked = log(&w)
        .await
        .iter()
        .any(|e| e["path"] == "/v2/oauth2/tokens/revoke" && e["status"] == 200);
    assert!(revoked, "Intuit accepted the revocation");
}

#[tokio::test]
async fn a_429_is_waited_out_and_a_grant_revoked_in_quickbooks_asks_to_reconnect() {
    let (w, account, _, deal) = world().await;
    w.sync.create_invoice(&invoice_request(deal)).await.unwrap();
    // One 429 on change data capture (Intuit sends no Retry-After): the sync backs off and goes on.
    let r = http()
        .post(format!("{}_sandbox/faults", w.sandbox.base_url()))
        .json(
            &json!({ "rules": [{ "path": format!("/v3/company/{REALM}/cdc"), "method": "GET",
            "times": 1, "fault": { "kind": "status", "status": 429 } }] }),
        )
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    set_time(&w, T0 + DAY).await;
    let runs = w.sync.sync_payments(SyncTrigger::Manual).await.unwrap();
    let statuses: Vec<u64> = log(&w)
        .await
        .iter()
        .filter(|e| e["path"].as_str().is_some_and(|p| p.ends_with("/cdc")))
        .filter_map(|e| e["status"].as_u64())
        .collect();
    assert_eq!(statuses, [429, 200], "refused once, then answered");
    let outcome: String = sqlx::query_scalar("SELECT status FROM sync_runs WHERE id = ?")
        .bind(runs[0])
        .fetch_one(w.crm.database().pool())
        .await
        .unwrap();
    assert_eq!(outcome, "ok", "the run succeeded after waiting");

    // The access token expires: refreshed with the rotating refresh token, the call goes on.
    control(&w, "/tokens/expire", json!({})).await;
    w.sync.sync_payments(SyncTrigger::Manual).await.unwrap();
    assert_eq!(
        w.accounts.get(account.id).await.unwrap().status,
        AccountStatus::Connected
    );

    // The user disconnects Cremmy in QuickBooks: the next refresh is invalid_grant, the account
    // asks to be reconnected, nothing crashes.
    control(&w, "/grants/revoke", json!({})).await;
    w.sync.sync_payments(SyncTrigger::Manual).await.unwrap();
    let after = w.accounts.get(account.id).await.unwrap();
    assert_eq!(after.status, AccountStatus::NeedsReauth, "{after:?}");
}

#[tokio::test]
async fn pushing_all_clients_makes_each_a_customer_once() {
    let (w, account, _, _) = world().await;
    // Beta is already in QuickBooks (matched by its name); Gamma is new; Delta's name is a
    // vendor's, which a customer may not take (6240): it becomes "Delta (client)".
    control(&w, "/customers", json!({ "DisplayName": "Beta" })).await;
    control(&w, "/vendors", json!({ "DisplayName": "Delta" })).await;
    client(&w.crm, "Beta").await;
    client(&w.crm, "Gamma").await;
    client(&w.crm, "Delta").await;
    let first = w.sync.push_clients(account.id).await.unwrap();
    assert_eq!((first.pushed, first.failed.len()), (4, 0), "{first:?}");
    let names = |books: &Value| -> Vec<String> {
        let mut names: Vec<String> = books["customers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["DisplayName"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        names
    };
    let all = ["Acme", "Beta", "Delta (client)", "Gamma"];
    assert_eq!(names(&books(&w).await), all);
    let again = w.sync.push_clients(account.id).await.unwrap();
    assert_eq!(again.pushed, 4);
    assert_eq!(
        names(&books(&w).await),
        all,
        "a second push finds every client: nothing is duplicated"
    );
    let creates = log(&w)
        .await
        .iter()
        .filter(|e| {
            e["method"] == "POST" && e["path"].as_str().is_some_and(|p| p.ends_with("/customer"))
        })
        .count();
    assert_eq!(
        creates, 4,
        "Acme and Gamma made once each, Delta refused once under its own name then made as its alias"
    );
}
