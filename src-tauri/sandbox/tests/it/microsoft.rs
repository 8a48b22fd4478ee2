//! Microsoft as the sandbox speaks it, checked at the wire against Microsoft's pages (named in
//! `src/microsoft/`): a public client's PKCE sign-in (no secret; the loopback port not compared),
//! userinfo, a folder's messages delta (paging, the delta link's changes and removals, the
//! reception-date filter, 410 once the token is gone), the folder listing and throttling.

use serde_json::{json, Value};

use crate::support::{control, http, location_params, param, pkce_pair, sandbox};

const CLIENT: &str = "6f1c2b3a-0000-4000-8000-00000000c0de";
/// Registered as `http://127.0.0.1/callback`: the port is not compared for loopback.
const REDIRECT: &str = "http://127.0.0.1:50123/callback";
const SCOPE: &str = "openid email offline_access https://graph.microsoft.com/Mail.Read";

async fn consent(
    sb: &cremmy_sandbox::Sandbox,
    challenge: &str,
    redirect: &str,
) -> reqwest::Response {
    consent_to(sb, challenge, redirect, SCOPE).await
}

async fn consent_to(
    sb: &cremmy_sandbox::Sandbox,
    challenge: &str,
    redirect: &str,
    scope: &str,
) -> reqwest::Response {
    http()
        .get(format!("{}common/oauth2/v2.0/authorize", sb.base_url()))
        .query(&[
            ("client_id", CLIENT),
            ("response_type", "code"),
            ("redirect_uri", redirect),
            ("response_mode", "query"),
            ("scope", scope),
            ("state", "s1"),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap()
}

async fn token(sb: &cremmy_sandbox::Sandbox, form: &[(&str, &str)]) -> (u16, Value) {
    let r = http()
        .post(format!("{}common/oauth2/v2.0/token", sb.base_url()))
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// A signed-in access token (and its refresh token).
async fn sign_in(sb: &cremmy_sandbox::Sandbox) -> (String, String) {
    sign_in_to(sb, SCOPE).await
}

/// A signed-in access token for `scope` (and its refresh token).
pub async fn sign_in_to(sb: &cremmy_sandbox::Sandbox, scope: &str) -> (String, String) {
    let (verifier, challenge) = pkce_pair("a-verifier-of-at-least-forty-three-characters-long");
    let r = consent_to(sb, &challenge, REDIRECT, scope).await;
    assert_eq!(r.status().as_u16(), 302, "consent redirects back");
    let code = param(&location_params(&r), "code").expect("a code");
    let (status, body) = token(
        sb,
        &[
            ("client_id", CLIENT),
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
            ("scope", scope),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    (
        body["access_token"].as_str().unwrap().to_string(),
        body["refresh_token"].as_str().unwrap().to_string(),
    )
}

pub async fn graph(
    sb: &cremmy_sandbox::Sandbox,
    url: &str,
    token: &str,
    page: Option<usize>,
) -> (u16, Value, Option<String>) {
    let mut r = http().get(url).bearer_auth(token);
    if let Some(n) = page {
        r = r.header("prefer", format!("odata.maxpagesize={n}"));
    }
    let _ = sb;
    let r = r.send().await.unwrap();
    let retry = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    (
        r.status().as_u16(),
        r.json().await.unwrap_or(Value::Null),
        retry,
    )
}

async fn deliver(
    sb: &cremmy_sandbox::Sandbox,
    folder: &str,
    subject: &str,
    received_ms: i64,
) -> String {
    let r = control(
        sb,
        "microsoft/messages",
        json!({
            "folder": folder, "from": "zoe@acme.example", "to": ["consultant@outlook.example"],
            "subject": subject, "received_ms": received_ms,
        }),
    )
    .await;
    r["id"].as_str().unwrap().to_string()
}

fn ids(page: &Value) -> Vec<String> {
    page["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect()
}

const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

#[tokio::test]
async fn a_public_client_signs_in_with_pkce_and_no_secret() {
    let sb = sandbox().await;
    let (verifier, challenge) = pkce_pair("a-verifier-of-at-least-forty-three-characters-long");
    let unregistered = consent(&sb, &challenge, "http://127.0.0.1:50123/elsewhere").await;
    assert_eq!(
        unregistered.status().as_u16(),
        400,
        "a redirect whose path differs is not registered (only the loopback port is ignored)"
    );
    let r = consent(&sb, &challenge, REDIRECT).await;
    let code = param(&location_params(&r), "code").expect("a code");
    let (status, body) = token(
        &sb,
        &[
            ("client_id", CLIENT),
            ("client_secret", "a-secret"),
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(
        status, 401,
        "a public client presenting a secret is refused: {body}"
    );
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .starts_with("AADSTS700025"));

    let (access, refresh) = sign_in(&sb).await;
    let (status, info, _) = graph(
        &sb,
        &format!("{}oidc/userinfo", sb.base_url()),
        &access,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        info["email"], "consultant@outlook.example",
        "email with the email scope"
    );
    let (status, body) = token(
        &sb,
        &[
            ("client_id", CLIENT),
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["scope"], "https://graph.microsoft.com/mail.read",
        "the answer lists the resource's scopes only, as the auth-code page's example does"
    );
    assert!(
        body["refresh_token"].is_string(),
        "a refresh brings a new refresh token"
    );
    assert!(
        body["access_token"].as_str().unwrap().len() >= 2_400,
        "tokens as long as real ones: more than one Windows credential (1,280 UTF-16 units) holds"
    );
}

#[tokio::test]
async fn a_folder_delta_pages_then_lists_only_changes_and_answers_410_once_forgotten() {
    let sb = sandbox().await;
    control(&sb, "microsoft/configure", json!({ "now_ms": T0 })).await;
    let (access, _) = sign_in(&sb).await;
    let old = deliver(&sb, "inbox", "Old", T0 - 200 * 86_400_000).await;
    let mut recent = Vec::new();
    for i in 0..3 {
        recent.push(deliver(&sb, "inbox", &format!("Recent {i}"), T0 - 86_400_000 + i).await);
    }
    deliver(&sb, "sentitems", "Sent", T0 - 1000).await;

    let first = format!(
        "{}v1.0/me/mailFolders/inbox/messages/delta?$select=subject,internetMessageId&$filter=receivedDateTime%20ge%202025-12-01T00:00:00Z",
        sb.base_url()
    );
    let (status, page1, _) = graph(&sb, &first, &access, Some(2)).await;
    assert_eq!(status, 200, "{page1}");
    assert_eq!(
        ids(&page1).len(),
        2,
        "Prefer: odata.maxpagesize=2 → two a page"
    );
    assert!(
        page1["value"][0].get("bodyPreview").is_none(),
        "$select keeps only what it names"
    );
    let next = page1["@odata.nextLink"]
        .as_str()
        .expect("more pages")
        .to_string();
    let (_, page2, _) = graph(&sb, &next, &access, Some(2)).await;
    let mut seen = ids(&page1);
    seen.extend(ids(&page2));
    seen.sort();
    let mut want = recent.clone();
    want.sort();
    assert_eq!(
        seen, want,
        "the filter leaves out the old message and the other folder's"
    );
    assert!(!seen.contains(&old));
    let delta = page2["@odata.deltaLink"]
        .as_str()
        .expect("the round ends with a delta link")
        .to_string();

    // Changes: one arrives, one is deleted.
    let new = deliver(&sb, "inbox", "New", T0).await;
    let r = http()
        .post(format!(
            "{}_sandbox/microsoft/messages/{}/move",
            sb.base_url(),
            recent[0]
        ))
        .json(&json!({ "folder": "deleteditems" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    let (_, changes, _) = graph(&sb, &delta, &access, None).await;
    let rows = changes["value"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "only what changed: {changes}");
    assert!(rows
        .iter()
        .any(|r| r["id"] == new.as_str() && r["subject"] == "New"));
    assert!(rows
        .iter()
        .any(|r| r["id"] == recent[0].as_str() && r["@removed"]["reason"] == "deleted"));
    let again = changes["@odata.deltaLink"].as_str().unwrap().to_string();
    let (_, nothing, _) = graph(&sb, &again, &access, None).await;
    assert_eq!(ids(&nothing).len(), 0, "nothing changed since");

    let later = nothing["@odata.deltaLink"].as_str().unwrap().to_string();
    let r = http()
        .post(format!("{}_sandbox/microsoft/delta/expire", sb.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    let (status, gone, _) = graph(&sb, &later, &access, None).await;
    assert_eq!(
        status, 410,
        "an expired delta token answers 410 Gone: {gone}"
    );
}

#[tokio::test]
async fn listing_pages_newest_first_and_throttling_says_when_to_come_back() {
    let sb = sandbox().await;
    control(&sb, "microsoft/configure", json!({ "now_ms": T0 })).await;
    let (access, _) = sign_in(&sb).await;
    for i in 0..3 {
        deliver(&sb, "sentitems", &format!("S{i}"), T0 - 1000 + i).await;
    }
    let url = format!(
        "{}v1.0/me/mailFolders/sentitems/messages?$top=2&$select=subject",
        sb.base_url()
    );
    let (status, page, _) = graph(&sb, &url, &access, None).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["value"][0]["subject"], "S2", "newest first");
    let next = page["@odata.nextLink"].as_str().unwrap().to_string();
    let (_, rest, _) = graph(&sb, &next, &access, None).await;
    assert_eq!(rest["value"].as_array().unwrap().len(), 1);
    assert!(rest.get("@odata.nextLink").is_none());

    let (status, _, _) = graph(&sb, &url, "not-a-token", None).await;
    assert_eq!(status, 401);
    let mut settings = sb.shared.lock().microsoft.settings.clone();
    settings.requests_per_window = Some(1);
    control(&sb, "microsoft/configure", json!({ "settings": settings })).await;
    let (first, _, _) = graph(&sb, &url, &access, None).await;
    assert_eq!(first, 200);
    let (status, body, retry) = graph(&sb, &url, &access, None).await;
    assert_eq!(status, 429, "over the mailbox's window: {body}");
    assert_eq!(body["error"]["code"], "TooManyRequests");
    assert_eq!(
        retry.as_deref(),
        Some("600"),
        "Retry-After: the rest of the 10-minute window"
    );
}

#[tokio::test]
async fn a_user_without_an_email_address_has_none_in_userinfo_and_a_null_mail_in_me() {
    let sb = sandbox().await;
    sb.shared.lock().microsoft.settings.has_email_address = false;
    let (token, _) = sign_in_to(
        &sb,
        "openid email offline_access https://graph.microsoft.com/User.Read",
    )
    .await;
    let (status, info, _) = graph(
        &sb,
        &format!("{}oidc/userinfo", sb.base_url()),
        &token,
        None,
    )
    .await;
    assert_eq!(status, 200, "{info}");
    assert!(
        info.get("email").is_none(),
        "no address, no email claim: {info}"
    );
    let (status, me, _) = graph(&sb, &format!("{}v1.0/me", sb.base_url()), &token, None).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["mail"], Value::Null);
    assert_eq!(me["userPrincipalName"], "consultant@outlook.example");
    let (reader, _) = sign_in(&sb).await;
    let (status, _, _) = graph(&sb, &format!("{}v1.0/me", sb.base_url()), &reader, None).await;
    assert_eq!(status, 403, "/me needs User.Read");
}

#[tokio::test]
async fn a_fifth_request_at_once_on_a_mailbox_is_throttled() {
    let sb = sandbox().await;
    sb.shared.lock().microsoft.settings.latency_ms = 300;
    let (token, _) = sign_in_to(
        &sb,
        "openid email offline_access https://graph.microsoft.com/User.Read",
    )
    .await;
    let url = format!("{}v1.0/me", sb.base_url());
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let (url, token) = (url.clone(), token.clone());
        calls.spawn(async move {
            let r = http().get(url).bearer_auth(token).send().await.unwrap();
            (r.status().as_u16(), r.headers().contains_key("retry-after"))
        });
    }
    let answers = calls.join_all().await;
    assert_eq!(
        answers.iter().filter(|(s, _)| *s == 200).count(),
        4,
        "four at once per mailbox (Outlook service limits): {answers:?}"
    );
    assert!(
        answers
            .iter()
            .filter(|(s, _)| *s == 429)
            .all(|(_, retry)| *retry),
        "the rest throttled, with Retry-After: {answers:?}"
    );
    assert_eq!(sb.shared.lock().microsoft.max_in_flight, 4);
}
