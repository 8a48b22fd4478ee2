//! Xero as the sandbox speaks it, checked at the wire against Xero's documentation (the pages
//! named in `src/xero/`): PKCE sign-in for a desktop app (no secret, exact redirect, single-use
//! refresh tokens), `/connections`, the tenant header, Contacts / Invoices / Payments with
//! `If-Modified-Since`, idempotent PUTs, validation errors and the per-minute limit.

use serde_json::{json, Value};

use crate::support::{http, location_params, param, pkce_pair, sandbox};

const CLIENT: &str = "XEROSANDBOXCLIENT0000000000000000";
const REDIRECT: &str = "http://localhost:48620/callback";
const TENANT: &str = "a3d1e5c0-0000-4000-8000-000000000001";

async fn sign_in(sb: &cremmy_sandbox::Sandbox, scope: &str) -> Value {
    let (verifier, challenge) = pkce_pair("a-verifier-of-at-least-forty-three-characters-long");
    let r = http()
        .get(format!("{}identity/connect/authorize", sb.base_url()))
        .query(&[
            ("response_type", "code"),
            ("client_id", CLIENT),
            ("redirect_uri", REDIRECT),
            ("scope", scope),
            ("state", "s1"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 302, "consent redirects back");
    let params = location_params(&r);
    assert_eq!(param(&params, "state").as_deref(), Some("s1"));
    let code = param(&params, "code").expect("a code");
    let token = |verifier: &str| {
        http()
            .post(format!("{}connect/token", sb.base_url()))
            .form(&[
                ("grant_type", "authorization_code"),
                ("client_id", CLIENT),
                ("code", code.as_str()),
                ("redirect_uri", REDIRECT),
                ("code_verifier", verifier),
            ])
            .send()
    };
    let wrong = token("another-verifier-of-at-least-forty-three-characters")
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 400, "a wrong verifier is refused");
    // The refused attempt spent the code (codes are single use): consent again.
    drop(verifier);
    let (verifier, challenge) = pkce_pair("a-second-verifier-of-at-least-forty-three-chars-x");
    let r = http()
        .get(format!("{}identity/connect/authorize", sb.base_url()))
        .query(&[
            ("response_type", "code"),
            ("client_id", CLIENT),
            ("redirect_uri", REDIRECT),
            ("scope", scope),
            ("state", "s2"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    let code = param(&location_params(&r), "code").expect("a code");
    let r = http()
        .post(format!("{}connect/token", sb.base_url()))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", CLIENT),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "the right verifier gets tokens");
    r.json().await.unwrap()
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

async fn api(
    sb: &cremmy_sandbox::Sandbox,
    method: reqwest::Method,
    path: &str,
    token: &str,
    extra: &[(&str, &str)],
    body: Option<Value>,
) -> Answer {
    let mut r = http()
        .request(method, format!("{}api.xro/2.0/{path}", sb.base_url()))
        .bearer_auth(token)
        .header("accept", "application/json");
    for (k, v) in extra {
        r = r.header(*k, *v);
    }
    if let Some(body) = body {
        r = r.json(&body);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    Answer {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
    }
}

async fn control(sb: &cremmy_sandbox::Sandbox, path: &str, body: Value) -> Value {
    let r = http()
        .post(format!("{}_sandbox/xero{path}", sb.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "control {path}");
    r.json().await.unwrap()
}

#[tokio::test]
async fn sign_in_is_pkce_without_a_secret_to_a_registered_redirect_and_refresh_tokens_are_single_use(
) {
    let sb = sandbox().await;
    // An unregistered redirect (another port) stays on Xero's page: no redirect to it.
    let r = http()
        .get(format!("{}identity/connect/authorize", sb.base_url()))
        .query(&[
            ("response_type", "code"),
            ("client_id", CLIENT),
            ("redirect_uri", "http://localhost:1234/callback"),
            ("scope", "openid"),
            ("code_challenge", "x"),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        400,
        "Xero matches redirect URIs exactly"
    );
    assert!(r.headers().get("location").is_none());

    let tokens = sign_in(
        &sb,
        "openid profile email offline_access accounting.invoices",
    )
    .await;
    assert_eq!(
        tokens["expires_in"], 1800,
        "Xero access tokens live 30 minutes"
    );
    let access = tokens["access_token"].as_str().unwrap().to_string();
    let refresh = tokens["refresh_token"]
        .as_str()
        .expect("offline_access gives a refresh token");

    let who: Value = http()
        .get(format!("{}connect/userinfo", sb.base_url()))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(who["email"], "owner@consultancy.example");

    let connections: Value = http()
        .get(format!("{}connections", sb.base_url()))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(connections[0]["tenantId"], TENANT);
    assert_eq!(connections[0]["tenantType"], "ORGANISATION");

    let refresh_with = |token: String| {
        http()
            .post(format!("{}connect/token", sb.base_url()))
            .form(&[
                ("grant_type", "refresh_token".to_string()),
                ("client_id", CLIENT.to_string()),
                ("refresh_token", token),
            ])
            .send()
    };
    let first: Value = refresh_with(refresh.to_string())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rotated = first["refresh_token"]
        .as_str()
        .expect("a refresh returns a new refresh token");
    assert_ne!(rotated, refresh);
    let again = refresh_with(refresh.to_string()).await.unwrap();
    assert_eq!(
        again.status().as_u16(),
        400,
        "a spent refresh token is refused"
    );
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["error"], "invalid_grant");
    // A secret in a Basic header is a web app's way: this app has none.
    let basic = http()
        .post(format!("{}connect/token", sb.base_url()))
        .basic_auth(CLIENT, Some("secret"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", rotated)])
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status().as_u16(), 400);
}

#[tokio::test]
async fn accounting_calls_need_the_tenant_and_contacts_invoices_and_payments_behave_as_documented()
{
    let sb = sandbox().await;
    let tokens = sign_in(
        &sb,
        "openid email offline_access accounting.contacts accounting.invoices",
    )
    .await;
    let token = tokens["access_token"].as_str().unwrap().to_string();
    let tenant = [("xero-tenant-id", TENANT)];
    use reqwest::Method as M;

    let no_tenant = api(&sb, M::GET, "Invoices", &token, &[], None).await;
    assert_eq!(no_tenant.status, 403);
    assert_eq!(no_tenant.body["Detail"], "AuthenticationUnsuccessful");

    let made = api(&sb, M::PUT, "Contacts", &token, &tenant,
        Some(json!({"Contacts":[{"Name":"Acme Ltd","EmailAddress":"ap@acme.example","ContactNumber":"cremmy:client:1"}]}))).await;
    assert_eq!(made.status, 200, "{:?}", made.body);
    assert_eq!(made.body["Status"], "OK");
    let contact_id = made.body["Contacts"][0]["ContactID"]
        .as_str()
        .unwrap()
        .to_string();
    let twin = api(
        &sb,
        M::PUT,
        "Contacts",
        &token,
        &tenant,
        Some(json!({"Name":"ACME LTD"})),
    )
    .await;
    assert_eq!(twin.status, 400, "contact names are unique");
    assert_eq!(twin.body["Type"], "ValidationException");
    assert!(twin.body["Elements"][0]["ValidationErrors"][0]["Message"]
        .as_str()
        .unwrap()
        .contains("already assigned"));
    let found = api(
        &sb,
        M::GET,
        "Contacts?where=ContactNumber%3D%3D%22cremmy%3Aclient%3A1%22",
        &token,
        &tenant,
        None,
    )
    .await;
    assert_eq!(found.body["Contacts"].as_array().unwrap().len(), 1);

    let invoice = |status: &str, due: Option<&str>| {
        let mut i = json!({"Type":"ACCREC","Contact":{"ContactID":contact_id},"Date":"2026-12-01",
            "LineItems":[{"Description":"Website","Quantity":1,"UnitAmount":1250.5,"AccountCode":"200"}],
            "Status":status,"CurrencyCode":"EUR","LineAmountTypes":"NoTax"});
        if let Some(due) = due {
            i["DueDate"] = json!(due);
        }
        json!({"Invoices":[i]})
    };
    let undated = api(
        &sb,
        M::PUT,
        "Invoices",
        &token,
        &tenant,
        Some(invoice("AUTHORISED", None)),
    )
    .await;
    assert_eq!(undated.status, 400, "an approved invoice needs a due date");
    let key = [
        ("xero-tenant-id", TENANT),
        ("idempotency-key", "deal-7-invoice"),
    ];
    let first = api(
        &sb,
        M::PUT,
        "Invoices",
        &token,
        &key,
        Some(invoice("AUTHORISED", Some("2026-12-31"))),
    )
    .await;
    assert_eq!(first.status, 200, "{:?}", first.body);
    let inv = &first.body["Invoices"][0];
    assert_eq!(inv["Total"], 1250.5);
    assert_eq!(inv["AmountDue"], 1250.5);
    assert!(
        inv["DueDate"].as_str().unwrap().starts_with("/Date("),
        "dates are /Date(ms)/"
    );
    let replay = api(
        &sb,
        M::PUT,
        "Invoices",
        &token,
        &key,
        Some(invoice("AUTHORISED", Some("2026-12-31"))),
    )
    .await;
    assert_eq!(
        replay.body["Invoices"][0]["InvoiceID"], inv["InvoiceID"],
        "the same key replays"
    );
    let id = inv["InvoiceID"].as_str().unwrap().to_string();
    let all = api(&sb, M::GET, "Invoices", &token, &tenant, None).await;
    assert_eq!(
        all.body["Invoices"].as_array().unwrap().len(),
        1,
        "a replay makes nothing"
    );

    let sent = api(
        &sb,
        M::POST,
        &format!("Invoices/{id}/Email"),
        &token,
        &tenant,
        Some(json!({})),
    )
    .await;
    assert_eq!(sent.status, 204);

    // Paid in part, outside Cremmy; then only what changed since is listed.
    let snapshot: Value = http()
        .get(format!("{}_sandbox/xero", sb.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let before = snapshot["now_ms"].as_i64().unwrap();
    control(&sb, "/configure", json!({"now_ms": before + 60_000})).await;
    let payment = control(
        &sb,
        &format!("/invoices/{id}/pay"),
        json!({"amount": 250.5}),
    )
    .await;
    let since = cremmy_sandbox::rfc3339(before + 30_000)[..19].to_string();
    let changed = api(
        &sb,
        M::GET,
        "Invoices?page=1",
        &token,
        &[("xero-tenant-id", TENANT), ("if-modified-since", &since)],
        None,
    )
    .await;
    let list = changed.body["Invoices"].as_array().unwrap();
    assert_eq!(list.len(), 1, "the paid invoice changed since");
    assert_eq!(list[0]["AmountPaid"], 250.5);
    assert_eq!(list[0]["Status"], "AUTHORISED", "still due in part");
    let later = cremmy_sandbox::rfc3339(before + 120_000)[..19].to_string();
    let none = api(
        &sb,
        M::GET,
        "Invoices",
        &token,
        &[("xero-tenant-id", TENANT), ("if-modified-since", &later)],
        None,
    )
    .await;
    assert!(
        none.body["Invoices"].as_array().unwrap().is_empty(),
        "nothing changed after"
    );
    let payments = api(
        &sb,
        M::GET,
        "Payments",
        &token,
        &[("xero-tenant-id", TENANT), ("if-modified-since", &since)],
        None,
    )
    .await;
    assert_eq!(
        payments.body["Payments"][0]["Invoice"]["InvoiceID"],
        id.as_str()
    );
    assert_eq!(payments.body["Payments"][0]["Amount"], 250.5);

    control(
        &sb,
        &format!(
            "/payments/{}/delete",
            payment["PaymentID"].as_str().unwrap()
        ),
        json!({}),
    )
    .await;
    let payments = api(&sb, M::GET, "Payments", &token, &tenant, None).await;
    assert_eq!(
        payments.body["Payments"][0]["Status"], "DELETED",
        "a deleted payment stays listed as DELETED"
    );
    let one = api(
        &sb,
        M::GET,
        &format!("Invoices/{id}"),
        &token,
        &tenant,
        None,
    )
    .await;
    assert_eq!(one.body["Invoices"][0]["AmountDue"], 1250.5);
    let missing = api(
        &sb,
        M::GET,
        "Invoices/00000000-0000-0000-0000-000000000000",
        &token,
        &tenant,
        None,
    )
    .await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn the_per_minute_limit_answers_429_with_retry_after_and_the_limit_named() {
    let sb = sandbox().await;
    let tokens = sign_in(&sb, "openid email offline_access accounting.invoices").await;
    let token = tokens["access_token"].as_str().unwrap().to_string();
    let mut settings: Value = http()
        .get(format!("{}_sandbox/xero", sb.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    settings["settings"]["calls_per_minute"] = json!(2);
    control(
        &sb,
        "/configure",
        json!({"settings": settings["settings"], "now_ms": 1_800_000_000_000i64 + 10_000}),
    )
    .await;
    let tenant = [("xero-tenant-id", TENANT)];
    // The clock moved: sign in again so the token is not expired at the new time.
    let token2 = sign_in(&sb, "openid email offline_access accounting.invoices").await
        ["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let _ = token;
    for left in ["1", "0"] {
        let ok = api(
            &sb,
            reqwest::Method::GET,
            "Invoices",
            &token2,
            &tenant,
            None,
        )
        .await;
        assert_eq!(ok.status, 200);
        assert_eq!(ok.headers["x-minlimit-remaining"], left);
    }
    let limited = api(
        &sb,
        reqwest::Method::GET,
        "Invoices",
        &token2,
        &tenant,
        None,
    )
    .await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.headers["x-rate-limit-problem"], "minute");
    assert_eq!(
        limited.headers["retry-after"], "50",
        "until the minute turns"
    );
}
