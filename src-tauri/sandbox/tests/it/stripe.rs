//! Stripe's v1 API as the sandbox speaks it, checked at the wire against Stripe's documentation
//! (the pages named in `src/stripe/`): Bearer keys, form bodies with brackets, Stripe's list and
//! error shapes, idempotency replay, events kept 30 days, the test-mode rate limit.

use serde_json::{json, Value};

use crate::support::{http, sandbox};

const KEY: &str = "sk_test_sandbox0000000000000000";
const RESTRICTED: &str = "rk_test_sandbox0000000000000000";

struct Answer {
    status: u16,
    replayed: bool,
    should_retry: bool,
    body: Value,
}

async fn call(
    sb: &cremmy_sandbox::Sandbox,
    method: &str,
    path: &str,
    key: &str,
    idem: Option<&str>,
    form: &[(&str, &str)],
) -> Answer {
    let url = format!("{}{}", sb.base_url(), path.trim_start_matches('/'));
    let mut r = match method {
        "GET" => http().get(url),
        _ => http().post(url).form(form),
    }
    .bearer_auth(key);
    if let Some(idem) = idem {
        r = r.header("idempotency-key", idem);
    }
    let r = r.send().await.unwrap();
    let header = |name: &str| r.headers().get(name).and_then(|v| v.to_str().ok()) == Some("true");
    let (replayed, should_retry) = (header("idempotent-replayed"), header("stripe-should-retry"));
    let status = r.status().as_u16();
    Answer {
        status,
        replayed,
        should_retry,
        body: r.json().await.unwrap(),
    }
}

async fn control(sb: &cremmy_sandbox::Sandbox, path: &str, body: Value) -> Value {
    let r = http()
        .post(format!("{}_sandbox/stripe{path}", sb.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "control {path}");
    r.json().await.unwrap()
}

async fn control_get(sb: &cremmy_sandbox::Sandbox) -> Value {
    let r = http()
        .get(format!("{}_sandbox/stripe", sb.base_url()))
        .send()
        .await
        .unwrap();
    r.json().await.unwrap()
}

#[tokio::test]
async fn keys_are_checked_and_errors_have_stripes_shape() {
    let sb = sandbox().await;
    let none = call(&sb, "GET", "/v1/customers", "", None, &[]).await;
    assert_eq!(none.status, 401);
    assert_eq!(none.body["error"]["type"], "invalid_request_error");
    let wrong = call(&sb, "GET", "/v1/customers", "sk_test_wrong", None, &[]).await;
    assert_eq!(wrong.status, 401);
    assert!(
        wrong.body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Invalid API Key provided"),
        "{}",
        wrong.body
    );
    for key in [KEY, RESTRICTED] {
        let ok = call(&sb, "GET", "/v1/customers", key, None, &[]).await;
        assert_eq!(ok.status, 200, "{key}");
        assert_eq!(
            ok.body,
            json!({ "object": "list", "url": "/v1/customers", "has_more": false, "data": [] })
        );
    }
    let missing = call(&sb, "POST", "/v1/invoices", KEY, None, &[]).await;
    assert_eq!(missing.status, 400);
    assert_eq!(missing.body["error"]["code"], "parameter_missing");
    assert_eq!(missing.body["error"]["param"], "customer");
    let nothing = call(&sb, "GET", "/v1/invoices/in_nope", KEY, None, &[]).await;
    assert_eq!(nothing.status, 404);
    assert_eq!(nothing.body["error"]["code"], "resource_missing");
}

#[tokio::test]
async fn an_invoice_is_drafted_itemised_finalised_sent_and_paid_with_its_events() {
    let sb = sandbox().await;
    let customer = call(
        &sb,
        "POST",
        "/v1/customers",
        KEY,
        None,
        &[
            ("email", "zoe@acme.example"),
            ("name", "Acme"),
            ("metadata[client]", "7"),
        ],
    )
    .await
    .body;
    let cus = customer["id"].as_str().unwrap();
    assert!(cus.starts_with("cus_"));
    assert_eq!(customer["metadata"], json!({ "client": "7" }));
    let found = call(
        &sb,
        "GET",
        "/v1/customers?email=zoe%40acme.example",
        KEY,
        None,
        &[],
    )
    .await;
    assert_eq!(
        found.body["data"][0]["id"], cus,
        "the email filter finds it"
    );

    let invoice = call(
        &sb,
        "POST",
        "/v1/invoices",
        KEY,
        None,
        &[
            ("customer", cus),
            ("collection_method", "send_invoice"),
            ("currency", "EUR"),
        ],
    )
    .await;
    assert_eq!(invoice.status, 400, "send_invoice needs days_until_due");
    assert_eq!(invoice.body["error"]["param"], "days_until_due");
    let invoice = call(
        &sb,
        "POST",
        "/v1/invoices",
        KEY,
        None,
        &[
            ("customer", cus),
            ("collection_method", "send_invoice"),
            ("days_until_due", "14"),
            ("currency", "eur"),
            ("metadata[deal]", "3"),
        ],
    )
    .await
    .body;
    let id = invoice["id"].as_str().unwrap().to_string();
    assert_eq!(
        (invoice["status"].as_str(), invoice["amount_due"].as_i64()),
        (Some("draft"), Some(0))
    );
    let item = call(
        &sb,
        "POST",
        "/v1/invoiceitems",
        KEY,
        None,
        &[
            ("customer", cus),
            ("invoice", &id),
            ("amount", "1250000"),
            ("currency", "eur"),
            ("description", "Website relaunch"),
        ],
    )
    .await;
    assert_eq!(item.status, 200, "{}", item.body);
    let wrong_currency = call(
        &sb,
        "POST",
        "/v1/invoiceitems",
        KEY,
        None,
        &[
            ("customer", cus),
            ("invoice", &id),
            ("amount", "5"),
            ("currency", "usd"),
        ],
    )
    .await;
    assert_eq!(wrong_currency.status, 400);

    let now = control(&sb, "", json!({})).await["now"].as_i64().unwrap();
    let open = call(
        &sb,
        "POST",
        &format!("/v1/invoices/{id}/finalize"),
        KEY,
        None,
        &[],
    )
    .await
    .body;
    assert_eq!(open["status"], "open");
    assert_eq!(open["amount_due"], 1_250_000);
    // The second it was finalised (the clock may have turned since `now` was read).
    let finalized_at = open["status_transitions"]["finalized_at"].as_i64().unwrap();
    assert!((now..=now + 2).contains(&finalized_at), "{open}");
    assert_eq!(
        open["due_date"],
        finalized_at + 14 * 86_400,
        "due 14 days after finalising"
    );
    assert!(open["hosted_invoice_url"]
        .as_str()
        .unwrap()
        .starts_with("https://invoice.stripe.com/"));
    assert!(open["number"].is_string());
    let again = call(
        &sb,
        "POST",
        &format!("/v1/invoices/{id}/finalize"),
        KEY,
        None,
        &[],
    )
    .await;
    assert_eq!(again.status, 400, "finalised once");
    let late_item = call(
        &sb,
        "POST",
        "/v1/invoiceitems",
        KEY,
        None,
        &[("customer", cus), ("invoice", &id), ("amount", "5")],
    )
    .await;
    assert_eq!(late_item.status, 400, "only drafts take items");
    assert_eq!(
        call(
            &sb,
            "POST",
            &format!("/v1/invoices/{id}/send"),
            KEY,
            None,
            &[]
        )
        .await
        .status,
        200
    );

    let paid = control(
        &sb,
        &format!("/invoices/{id}/pay"),
        json!({ "amount": 250000 }),
    )
    .await;
    assert_eq!(paid["invoice"]["status"], "open", "part paid");
    assert_eq!(paid["invoice"]["amount_remaining"], 1_000_000);
    let paid = control(&sb, &format!("/invoices/{id}/pay"), json!({})).await;
    assert_eq!(paid["invoice"]["status"], "paid");
    assert_eq!(paid["invoice"]["amount_paid"], 1_250_000);
    assert!(
        paid["invoice"].get("charge").is_none() && paid["invoice"].get("payment_intent").is_none(),
        "since 2025-03-31.basil an invoice names no charge or PaymentIntent: {}",
        paid["invoice"]
    );

    // The invoice's payments: the part paid, then the default one (made at finalising) paid with
    // the rest (https://docs.stripe.com/api/invoice-payment/list).
    let payments = call(
        &sb,
        "GET",
        &format!("/v1/invoice_payments?invoice={id}&status=paid&limit=100"),
        KEY,
        None,
        &[],
    )
    .await
    .body;
    let rows: Vec<(i64, bool, &str)> = payments["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["amount_paid"].as_i64().unwrap(),
                p["is_default"].as_bool().unwrap(),
                p["payment"]["payment_intent"].as_str().unwrap(),
            )
        })
        .collect();
    let mut amounts: Vec<(i64, bool)> = rows.iter().map(|(a, d, _)| (*a, *d)).collect();
    amounts.sort();
    assert_eq!(
        amounts,
        [(250_000, false), (1_000_000, true)],
        "a part payment and the default payment for the rest: {payments}"
    );
    assert_eq!(payments["object"], "list");
    assert!(
        rows.iter()
            .any(|(_, _, pi)| *pi == paid["payment_intent"].as_str().unwrap()),
        "the last payment's PaymentIntent is listed"
    );
    let snapshot = control_get(&sb).await;
    for charge in snapshot["charges"].as_array().unwrap() {
        assert!(
            charge.get("invoice").is_none(),
            "a charge names no invoice: {charge}"
        );
    }

    let events = call(
        &sb,
        "GET",
        "/v1/events?types[]=invoice.paid&types[]=invoice.finalized&types[]=payment_intent.succeeded&limit=100",
        KEY,
        None,
        &[],
    )
    .await
    .body;
    let kinds: Vec<&str> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    let mut sorted = kinds.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "invoice.finalized",
            "invoice.paid",
            "payment_intent.succeeded",
            "payment_intent.succeeded"
        ],
        "only the asked types"
    );
    assert_eq!(events["data"][0]["data"]["object"]["object"], "invoice");
    let wildcard = call(
        &sb,
        "GET",
        "/v1/events?type=invoice.*&limit=100",
        KEY,
        None,
        &[],
    )
    .await
    .body;
    assert!(
        wildcard["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["type"].as_str().unwrap().starts_with("invoice.")),
        "a wildcard type"
    );
}

#[tokio::test]
async fn lists_page_newest_first_and_events_older_than_30_days_are_gone() {
    let sb = sandbox().await;
    control(&sb, "", json!({ "now": 1_780_000_000 })).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        control(&sb, "", json!({ "now": 1_780_000_000 + i })).await;
        let c = call(&sb, "POST", "/v1/customers", KEY, None, &[("name", "C")])
            .await
            .body;
        ids.push(c["id"].as_str().unwrap().to_string());
    }
    let first = call(&sb, "GET", "/v1/events?limit=2", KEY, None, &[])
        .await
        .body;
    assert_eq!(first["has_more"], true);
    let newest: Vec<&str> = first["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["data"]["object"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(newest, [ids[4].as_str(), ids[3].as_str()], "newest first");
    let last_seen = first["data"][1]["id"].as_str().unwrap();
    let next = call(
        &sb,
        "GET",
        &format!("/v1/events?limit=10&starting_after={last_seen}"),
        KEY,
        None,
        &[],
    )
    .await
    .body;
    assert_eq!(next["data"].as_array().unwrap().len(), 3);
    assert_eq!(next["has_more"], false);
    let since = call(
        &sb,
        "GET",
        "/v1/events?created[gte]=1780000003",
        KEY,
        None,
        &[],
    )
    .await
    .body;
    assert_eq!(since["data"].as_array().unwrap().len(), 2, "created[gte]");
    let bad = call(&sb, "GET", "/v1/events?limit=101", KEY, None, &[]).await;
    assert_eq!(bad.status, 400, "limit is 1 to 100");

    control(&sb, "", json!({ "now": 1_780_000_004 + 30 * 86_400 + 1 })).await;
    let gone = call(&sb, "GET", "/v1/events", KEY, None, &[]).await.body;
    assert_eq!(
        gone["data"],
        json!([]),
        "events are listed for 30 days only"
    );
    let customers = call(&sb, "GET", "/v1/customers?limit=100", KEY, None, &[])
        .await
        .body;
    assert_eq!(
        customers["data"].as_array().unwrap().len(),
        5,
        "objects stay"
    );
}

#[tokio::test]
async fn an_idempotency_key_replays_the_first_answer_and_refuses_other_parameters() {
    let sb = sandbox().await;
    let form = [("name", "Acme"), ("email", "a@acme.example")];
    let first = call(&sb, "POST", "/v1/customers", KEY, Some("k-1"), &form).await;
    let second = call(&sb, "POST", "/v1/customers", KEY, Some("k-1"), &form).await;
    assert_eq!(first.body, second.body, "the same customer, not a second");
    assert!(!first.replayed && second.replayed, "the replay says so");
    let all = call(&sb, "GET", "/v1/customers", KEY, None, &[]).await.body;
    assert_eq!(all["data"].as_array().unwrap().len(), 1);
    let other = call(
        &sb,
        "POST",
        "/v1/customers",
        KEY,
        Some("k-1"),
        &[("name", "Other")],
    )
    .await;
    assert_eq!(other.status, 400);
    assert_eq!(other.body["error"]["type"], "idempotency_error");
    // A request that failed validation is not saved: the key can be used again.
    let invalid = call(&sb, "POST", "/v1/invoices", KEY, Some("k-2"), &[]).await;
    assert_eq!(invalid.status, 400);
    let cus = first.body["id"].as_str().unwrap();
    let valid = call(
        &sb,
        "POST",
        "/v1/invoices",
        KEY,
        Some("k-2"),
        &[("customer", cus)],
    )
    .await;
    assert_eq!(valid.status, 200, "{}", valid.body);
}

#[tokio::test]
async fn a_payment_link_is_made_from_a_price_and_its_checkout_is_an_event() {
    let sb = sandbox().await;
    let price = call(
        &sb,
        "POST",
        "/v1/prices",
        KEY,
        None,
        &[
            ("currency", "eur"),
            ("unit_amount", "90000"),
            ("product_data[name]", "Audit"),
        ],
    )
    .await
    .body;
    let link = call(
        &sb,
        "POST",
        "/v1/payment_links",
        KEY,
        None,
        &[
            ("line_items[0][price]", price["id"].as_str().unwrap()),
            ("line_items[0][quantity]", "1"),
            ("metadata[deal]", "9"),
        ],
    )
    .await
    .body;
    assert!(link["url"]
        .as_str()
        .unwrap()
        .starts_with("https://buy.stripe.com/"));
    let no_price = call(
        &sb,
        "POST",
        "/v1/payment_links",
        KEY,
        None,
        &[
            ("line_items[0][price]", "price_nope"),
            ("line_items[0][quantity]", "1"),
        ],
    )
    .await;
    assert_eq!(no_price.status, 400);
    let id = link["id"].as_str().unwrap();
    control(
        &sb,
        &format!("/payment_links/{id}/complete"),
        json!({ "email": "ivy@x.example" }),
    )
    .await;
    let events = call(
        &sb,
        "GET",
        "/v1/events?type=checkout.session.completed",
        KEY,
        None,
        &[],
    )
    .await
    .body;
    let session = &events["data"][0]["data"]["object"];
    assert_eq!(session["payment_link"], id);
    assert_eq!(session["amount_total"], 90_000);
    assert_eq!(session["metadata"], json!({ "deal": "9" }));
}

#[tokio::test]
async fn the_test_mode_rate_limit_answers_429_that_may_be_retried() {
    let sb = sandbox().await;
    control(
        &sb,
        "",
        json!({ "now": 1_780_000_000, "requests_per_second": 3 }),
    )
    .await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(call(&sb, "GET", "/v1/customers", KEY, None, &[]).await);
    }
    assert_eq!(
        statuses.iter().map(|a| a.status).collect::<Vec<_>>(),
        [200, 200, 200, 429]
    );
    let limited = &statuses[3];
    assert_eq!(limited.body["error"]["code"], "rate_limit");
    assert!(limited.should_retry, "Stripe-Should-Retry: true");
    control(&sb, "", json!({ "now": 1_780_000_001 })).await;
    assert_eq!(
        call(&sb, "GET", "/v1/customers", KEY, None, &[])
            .await
            .status,
        200,
        "the next second"
    );
}
