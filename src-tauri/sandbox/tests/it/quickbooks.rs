//! QuickBooks Online as the sandbox speaks it, checked at the wire against Intuit's
//! documentation (the pages named in `src/quickbooks/`): sign-in with a Basic-authenticated
//! confidential client and `realmId` on the redirect, rotating refresh tokens, the query
//! language, customer and invoice create with `requestid` replay, send, change data capture
//! with deletions and its 30-day window, and the fault shapes (validation, 401, 403, 429).

use base64::Engine;
use serde_json::{json, Value};

use crate::support::{http, location_params, param, sandbox};

const CLIENT: &str = "ABqbSandboxClient000000000000000000000000000000000";
const SECRET: &str = "qbSandboxSecret00000000000000000000000";
const REDIRECT: &str = "http://localhost:48621/callback";
const REALM: &str = "9341453000000001";

fn basic(id: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    )
}

async fn consent(sb: &cremmy_sandbox::Sandbox, redirect: &str, scope: &str) -> reqwest::Response {
    http()
        .get(format!("{}connect/oauth2", sb.base_url()))
        .query(&[
            ("response_type", "code"),
            ("client_id", CLIENT),
            ("redirect_uri", redirect),
            ("scope", scope),
            ("state", "s1"),
        ])
        .send()
        .await
        .unwrap()
}

async fn token_call(
    sb: &cremmy_sandbox::Sandbox,
    auth: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    http()
        .post(format!("{}oauth2/v1/tokens/bearer", sb.base_url()))
        .header("authorization", auth)
        .header("accept", "application/json")
        .form(form)
        .send()
        .await
        .unwrap()
}

/// Signs in and returns the token answer.
async fn sign_in(sb: &cremmy_sandbox::Sandbox) -> Value {
    let r = consent(
        sb,
        REDIRECT,
        "com.intuit.quickbooks.accounting openid email",
    )
    .await;
    assert_eq!(r.status().as_u16(), 302, "consent redirects back");
    let params = location_params(&r);
    assert_eq!(
        param(&params, "realmId").as_deref(),
        Some(REALM),
        "the redirect names the company"
    );
    let code = param(&params, "code").expect("a code");
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
    ];
    let r = token_call(sb, &basic(CLIENT, SECRET), &form).await;
    assert_eq!(r.status().as_u16(), 200, "the right client gets tokens");
    r.json().await.unwrap()
}

struct Answer {
    status: u16,
    body: Value,
}

async fn api(
    sb: &cremmy_sandbox::Sandbox,
    method: reqwest::Method,
    path_and_query: &str,
    token: &str,
    body: Option<Value>,
) -> Answer {
    let sep = if path_and_query.contains('?') {
        '&'
    } else {
        '?'
    };
    let mut r = http()
        .request(
            method,
            format!(
                "{}v3/company/{REALM}/{path_and_query}{sep}minorversion=75",
                sb.base_url()
            ),
        )
        .bearer_auth(token)
        .header("accept", "application/json");
    if let Some(body) = body {
        r = r.json(&body);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    Answer {
        status,
        body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
    }
}

async fn query(sb: &cremmy_sandbox::Sandbox, token: &str, text: &str) -> Value {
    let q: String = cremmy_sandbox::urlencode(text);
    let a = api(
        sb,
        reqwest::Method::GET,
        &format!("query?query={q}"),
        token,
        None,
    )
    .await;
    assert_eq!(a.status, 200, "query {text}: {}", a.body);
    a.body["QueryResponse"].clone()
}

async fn control(sb: &cremmy_sandbox::Sandbox, path: &str, body: Value) -> Value {
    let r = http()
        .post(format!("{}_sandbox/quickbooks{path}", sb.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "control {path}");
    r.json().await.unwrap_or(Value::Null)
}

fn fault_code(body: &Value) -> &str {
    body["Fault"]["Error"][0]["code"].as_str().unwrap_or("")
}

#[tokio::test]
async fn sign_in_needs_the_basic_client_and_a_registered_redirect_and_refresh_tokens_rotate() {
    let sb = sandbox().await;
    let r = consent(
        &sb,
        "http://localhost:1234/callback",
        "com.intuit.quickbooks.accounting",
    )
    .await;
    assert_eq!(
        r.status().as_u16(),
        400,
        "an unregistered redirect stays on Intuit's page"
    );
    let r = consent(&sb, REDIRECT, "com.intuit.quickbooks.accounting").await;
    let code = param(&location_params(&r), "code").unwrap();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
    ];
    let r = token_call(&sb, &basic(CLIENT, "wrong"), &form).await;
    assert_eq!(r.status().as_u16(), 401, "a wrong secret is refused");
    let tokens = sign_in(&sb).await;
    assert_eq!(tokens["expires_in"], 3600, "access tokens last an hour");
    assert_eq!(
        tokens["x_refresh_token_expires_in"], 8_640_000,
        "refresh tokens last 100 days"
    );
    let refresh = tokens["refresh_token"].as_str().unwrap().to_string();
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.as_str()),
    ];
    let r = token_call(&sb, &basic(CLIENT, SECRET), &form).await;
    assert_eq!(r.status().as_u16(), 200);
    let next: Value = r.json().await.unwrap();
    assert_ne!(
        next["refresh_token"], tokens["refresh_token"],
        "the answer names the refresh token to keep"
    );
    let again = token_call(&sb, &basic(CLIENT, SECRET), &form).await;
    assert_eq!(again.status().as_u16(), 400);
    let e: Value = again.json().await.unwrap();
    assert_eq!(
        e["error"], "invalid_grant",
        "the replaced refresh token is spent"
    );
    let who = http()
        .get(format!("{}v1/openid_connect/userinfo", sb.base_url()))
        .bearer_auth(next["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let who: Value = who.json().await.unwrap();
    assert_eq!(who["email"], "owner@consultancy.example");
    // Revocation: JSON {"token"} with the Basic client ends the grant.
    let r = http()
        .post(format!("{}v2/oauth2/tokens/revoke", sb.base_url()))
        .header("authorization", basic(CLIENT, SECRET))
        .json(&json!({ "token": next["refresh_token"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let a = api(
        &sb,
        reqwest::Method::GET,
        "invoice/1",
        next["access_token"].as_str().unwrap(),
        None,
    )
    .await;
    assert_eq!(
        a.status, 401,
        "a revoked grant's access token stops working"
    );
    assert_eq!(a.body["fault"]["type"], "AUTHENTICATION", "{}", a.body);
}

#[tokio::test]
async fn customers_are_unique_by_name_and_queries_find_them_by_name_or_email() {
    let sb = sandbox().await;
    let token = sign_in(&sb).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let empty = query(
        &sb,
        &token,
        "select * from Customer where DisplayName = 'Nobody'",
    )
    .await;
    assert_eq!(
        empty,
        json!({}),
        "an empty result is an empty QueryResponse"
    );
    let body = json!({ "DisplayName": "O'Brien & Co", "PrimaryEmailAddr": { "Address": "ap@obrien.example" } });
    let made = api(
        &sb,
        reqwest::Method::POST,
        "customer",
        &token,
        Some(body.clone()),
    )
    .await;
    assert_eq!(made.status, 200, "{}", made.body);
    let id = made.body["Customer"]["Id"].as_str().unwrap().to_string();
    let again = api(&sb, reqwest::Method::POST, "customer", &token, Some(body)).await;
    assert_eq!(
        (again.status, fault_code(&again.body)),
        (400, "6240"),
        "{}",
        again.body
    );
    assert_eq!(again.body["Fault"]["type"], "ValidationFault");
    let by_name = query(
        &sb,
        &token,
        "select * from Customer where DisplayName = 'O\\'Brien & Co'",
    )
    .await;
    assert_eq!(
        by_name["Customer"][0]["Id"],
        id.as_str(),
        "a quote is escaped with a backslash"
    );
    let by_email = query(
        &sb,
        &token,
        "SELECT * FROM Customer WHERE PrimaryEmailAddr = 'AP@obrien.example' MAXRESULTS 1",
    )
    .await;
    assert_eq!(
        by_email["Customer"][0]["Id"],
        id.as_str(),
        "emails compare without case"
    );
    let items = query(&sb, &token, "select * from Item where Name = 'Services'").await;
    assert_eq!(
        items["Item"][0]["Id"], "1",
        "a new company has the Services item"
    );
    let bad = api(
        &sb,
        reqwest::Method::GET,
        "query?query=select%20from",
        &token,
        None,
    )
    .await;
    assert_eq!((bad.status, fault_code(&bad.body)), (400, "4000"));
}

fn invoice_body(customer: &str, amount: f64, currency: &str) -> Value {
    json!({
        "CustomerRef": { "value": customer },
        "CurrencyRef": { "value": currency },
        "DueDate": "2026-12-31",
        "Line": [{
            "Amount": amount,
            "Description": "Discovery workshop",
            "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": { "ItemRef": { "value": "1" }, "Qty": 1, "UnitPrice": amount },
        }],
    })
}

#[tokio::test]
async fn invoices_are_checked_replayed_by_request_id_sent_and_their_payments_come_back_in_cdc() {
    let sb = sandbox().await;
    control(&sb, "/configure", json!({ "now_ms": 1_796_000_000_000i64 })).await;
    let token = sign_in(&sb).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let c = api(
        &sb,
        reqwest::Method::POST,
        "customer",
        &token,
        Some(json!({ "DisplayName": "Acme" })),
    )
    .await;
    let customer = c.body["Customer"]["Id"].as_str().unwrap().to_string();
    for (body, code, why) in [
        (
            invoice_body("999", 10.0, "USD"),
            "2500",
            "an unknown customer",
        ),
        (
            invoice_body(&customer, 10.0, "EUR"),
            "6000",
            "another currency without multicurrency",
        ),
        (
            json!({ "CustomerRef": { "value": customer }, "Line": [] }),
            "2020",
            "no sales line",
        ),
        (
            {
                let mut b = invoice_body(&customer, 10.0, "USD");
                b["Line"][0]["Amount"] = json!(12.0);
                b
            },
            "6070",
            "an amount that is not price times quantity",
        ),
    ] {
        let a = api(&sb, reqwest::Method::POST, "invoice", &token, Some(body)).await;
        assert_eq!(
            (a.status, fault_code(&a.body)),
            (400, code),
            "{why}: {}",
            a.body
        );
    }
    let first = api(
        &sb,
        reqwest::Method::POST,
        "invoice?requestid=job-1&include=invoiceLink",
        &token,
        Some(invoice_body(&customer, 1500.0, "USD")),
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.body);
    let invoice = first.body["Invoice"].clone();
    assert_eq!(
        (invoice["TotalAmt"].as_f64(), invoice["Balance"].as_f64()),
        (Some(1500.0), Some(1500.0))
    );
    assert!(
        invoice["InvoiceLink"]
            .as_str()
            .is_some_and(|l| l.starts_with("https://")),
        "include=invoiceLink: {invoice}"
    );
    let replay = api(
        &sb,
        reqwest::Method::POST,
        "invoice?requestid=job-1",
        &token,
        Some(invoice_body(&customer, 1500.0, "USD")),
    )
    .await;
    assert_eq!(
        replay.body["Invoice"]["Id"], invoice["Id"],
        "the same requestid answers the first invoice"
    );
    let long = format!("invoice?requestid={}", "x".repeat(51));
    let long = api(
        &sb,
        reqwest::Method::POST,
        &long,
        &token,
        Some(invoice_body(&customer, 1.0, "USD")),
    )
    .await;
    assert_eq!(
        long.status, 400,
        "a requestid has at most 50 characters: {}",
        long.body
    );
    let id = invoice["Id"].as_str().unwrap().to_string();
    let unsent = api(
        &sb,
        reqwest::Method::POST,
        &format!("invoice/{id}/send"),
        &token,
        None,
    )
    .await;
    assert_eq!(
        (unsent.status, fault_code(&unsent.body)),
        (400, "2050"),
        "no email to send to"
    );
    let sent = api(
        &sb,
        reqwest::Method::POST,
        &format!("invoice/{id}/send?sendTo=ap%40acme.example"),
        &token,
        None,
    )
    .await;
    assert_eq!(
        sent.body["Invoice"]["EmailStatus"], "EmailSent",
        "{}",
        sent.body
    );

    let since = "2026-11-29T00:00:00-08:00";
    control(&sb, "/configure", json!({ "now_ms": 1_796_000_060_000i64 })).await;
    let payment = control(
        &sb,
        &format!("/invoices/{id}/pay"),
        json!({ "amount": 500.0 }),
    )
    .await;
    let cdc = api(
        &sb,
        reqwest::Method::GET,
        &format!(
            "cdc?entities=Invoice,Payment&changedSince={}",
            cremmy_sandbox::urlencode(since)
        ),
        &token,
        None,
    )
    .await;
    assert_eq!(cdc.status, 200, "{}", cdc.body);
    let lists = &cdc.body["CDCResponse"][0]["QueryResponse"];
    assert_eq!(
        lists[0]["Invoice"][0]["Balance"].as_f64(),
        Some(1000.0),
        "{}",
        cdc.body
    );
    assert_eq!(
        lists[1]["Payment"][0]["Line"][0]["LinkedTxn"][0]["TxnId"],
        id.as_str()
    );
    control(
        &sb,
        &format!("/payments/{}/delete", payment["Id"].as_str().unwrap()),
        json!({}),
    )
    .await;
    let cdc = api(
        &sb,
        reqwest::Method::GET,
        "cdc?entities=Payment&changedSince=2026-11-30T00:00:00Z",
        &token,
        None,
    )
    .await;
    let deleted = &cdc.body["CDCResponse"][0]["QueryResponse"][0]["Payment"][0];
    assert_eq!(
        (deleted["status"].as_str(), deleted["Id"].as_str()),
        (Some("Deleted"), payment["Id"].as_str()),
        "{}",
        cdc.body
    );
    let old = api(
        &sb,
        reqwest::Method::GET,
        "cdc?entities=Payment&changedSince=2026-10-01T00:00:00Z",
        &token,
        None,
    )
    .await;
    assert_eq!(
        old.status, 400,
        "more than 30 days back is refused: {}",
        old.body
    );
}

#[tokio::test]
async fn expired_tokens_other_companies_and_the_per_minute_limit_answer_in_intuits_fault_shapes() {
    let sb = sandbox().await;
    let token = sign_in(&sb).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let other = http()
        .get(format!(
            "{}v3/company/123/invoice/1?minorversion=75",
            sb.base_url()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        other.status().as_u16(),
        403,
        "the token reaches only its company"
    );
    let mut settings = control(&sb, "/configure", json!({})).await;
    settings = json!({ "settings": {
        "client_id": CLIENT, "client_secret": SECRET, "redirect_uris": [REDIRECT],
        "email": "owner@consultancy.example", "consent": true, "realm_id": REALM,
        "company_name": "Sandbox", "home_currency": "USD", "multicurrency": false,
        "access_token_ttl_secs": 3600, "calls_per_minute": 2 }, "now_ms": settings["now_ms"] });
    control(&sb, "/configure", settings).await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(
            api(
                &sb,
                reqwest::Method::GET,
                "query?query=select%20*%20from%20Item",
                &token,
                None,
            )
            .await,
        );
    }
    assert_eq!(
        statuses.iter().map(|a| a.status).collect::<Vec<_>>(),
        [200, 200, 429]
    );
    assert_eq!(
        fault_code(&statuses[2].body),
        "3001",
        "{}",
        statuses[2].body
    );
    control(&sb, "/tokens/expire", json!({})).await;
    let expired = api(&sb, reqwest::Method::GET, "invoice/1", &token, None).await;
    assert_eq!(
        (
            expired.status,
            expired.body["fault"]["error"][0]["code"].as_str()
        ),
        (401, Some("3200"))
    );
}
