//! Outlook mail against the provider sandbox's Microsoft (which follows Microsoft's pages), through
//! the same runner the window and the CLI use: the public-client sign-in, a first import of the
//! Inbox and Sent Items, then their delta links (new mail, a message deleted, one filed in another
//! folder), an expired delta link (410) answered by a full sync without duplicates, one activity
//! for a mail seen by both a Gmail and an Outlook account, and throttling.

use std::sync::Arc;
use std::time::Duration;

use cremmy_core::accounts::{OAuthApp, OAuthApps};
use cremmy_protocol::accounts::{Account, ConnectRequest, Feature};
use cremmy_protocol::sync::{SyncRequest, SyncRun, SyncRunStatus, SyncTrigger};
use cremmy_protocol::Provider;
use serde_json::{json, Value};

use crate::accounts_support::{browser, http};
use crate::support::{client, contact, T0};
use crate::texting::{text_world_with, TextWorld};

const CLIENT_ID: &str = "6f1c2b3a-0000-4000-8000-00000000c0de";
pub const OWNER: &str = "consultant@outlook.example";
const DAY: i64 = 86_400_000;

pub async fn control(w: &TextWorld, path: &str, body: Value) -> Value {
    let r = http()
        .post(format!("{}_sandbox/{path}", w.sandbox.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success(),
        "sandbox control {path}: {}",
        r.status()
    );
    r.json().await.unwrap_or(Value::Null)
}

/// Mail in the sandbox's Outlook mailbox; returns its Graph id.
pub async fn outlook_mail(
    w: &TextWorld,
    folder: &str,
    from: &str,
    to: &str,
    subject: &str,
    at: i64,
) -> String {
    let r = control(
        w,
        "microsoft/messages",
        json!({ "folder": folder, "from": from, "to": [to], "subject": subject, "received_ms": at,
                "preview": format!("About {subject}") }),
    )
    .await;
    r["id"].as_str().unwrap().to_string()
}

/// A world with the sandbox's Microsoft app (a public client: no secret) and Google's, and a
/// Microsoft account signed in as a click on Connect does it.
async fn world() -> (TextWorld, Account) {
    world_with(vec![Feature::MailIngest]).await
}

/// The same, the Microsoft account granted `features`.
pub async fn world_with(features: Vec<Feature>) -> (TextWorld, Account) {
    let google = cremmy_sandbox::state::GoogleSettings::default();
    let apps = OAuthApps::default()
        .with(
            Provider::Microsoft,
            OAuthApp {
                client_id: CLIENT_ID.into(),
                client_secret: String::new(),
            },
        )
        .with(
            Provider::Google,
            OAuthApp {
                client_id: google.client_id,
                client_secret: google.client_secret,
            },
        );
    let w = text_world_with(apps).await;
    control(&w, "microsoft/configure", json!({ "now_ms": T0 })).await;
    let request = ConnectRequest {
        provider: Provider::Microsoft,
        features,
        login_hint: None,
    };
    let account = w
        .accounts
        .connect_with_loopback(&request, browser(Arc::default()), Duration::from_secs(20))
        .await
        .expect("the loopback sign-in completes (Microsoft ignores the loopback port)");
    (w, account)
}

pub async fn sync(w: &TextWorld) -> SyncRun {
    let runs = w
        .sync
        .sync_now(&SyncRequest::default(), SyncTrigger::Cli)
        .await
        .expect("sync runs");
    let outlook: Vec<SyncRun> = runs
        .into_iter()
        .filter(|r| r.integration == "outlook")
        .collect();
    assert_eq!(outlook.len(), 1, "one Outlook run: {outlook:?}");
    outlook.into_iter().next().unwrap()
}

pub async fn emails(w: &TextWorld, client_id: i64) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT subject, direction FROM activities WHERE kind = 'email' AND client_id = ? ORDER BY occurred_at",
    )
    .bind(client_id)
    .fetch_all(w.crm.database().pool())
    .await
    .unwrap()
}

pub fn graph_requests(w: &TextWorld) -> Vec<String> {
    w.sandbox
        .shared
        .lock()
        .log
        .entries
        .iter()
        .filter(|e| e.path.starts_with("/v1.0/"))
        .map(|e| format!("{} {}?{}", e.method, e.path, e.query))
        .collect()
}

#[tokio::test]
async fn outlook_signs_in_as_a_public_client_and_imports_client_mail_once() {
    let (w, account) = world().await;
    assert_eq!(account.email, OWNER, "who signed in, from OpenID userinfo");
    assert!(
        account.features.contains(&Feature::MailIngest),
        "Graph's lower-cased resource scope counts as the Mail.Read asked for: {:?}",
        account.features
    );
    let acme = client(&w.crm, "Acme").await;
    contact(&w.crm, acme.id, "Zoë Müller", &["zoe@acme.example"]).await;
    outlook_mail(
        &w,
        "inbox",
        "zoe@acme.example",
        OWNER,
        "Brief",
        T0 - 2 * DAY,
    )
    .await;
    outlook_mail(
        &w,
        "sentitems",
        OWNER,
        "zoe@acme.example",
        "Proposal",
        T0 - DAY,
    )
    .await;
    outlook_mail(
        &w,
        "inbox",
        "news@else.example",
        OWNER,
        "Newsletter",
        T0 - DAY,
    )
    .await;
    outlook_mail(
        &w,
        "drafts",
        OWNER,
        "zoe@acme.example",
        "Unfinished",
        T0 - DAY,
    )
    .await;
    outlook_mail(
        &w,
        "inbox",
        "zoe@acme.example",
        OWNER,
        "Years ago",
        T0 - 400 * DAY,
    )
    .await;

    let first = sync(&w).await;
    assert_eq!(
        (first.kind.as_str(), first.status, first.created),
        ("full", SyncRunStatus::Ok, 2),
        "the first run imports the contact's mail of the look-back window, in and out: {first:?}"
    );
    assert_eq!(
        emails(&w, acme.id).await,
        vec![
            ("Brief".to_string(), "inbound".to_string()),
            ("Proposal".to_string(), "outbound".to_string())
        ]
    );
    let listed = graph_requests(&w);
    assert!(
        listed.iter().all(|r| !r.contains("/me/messages/")),
        "listings carry the headers: no message is fetched alone: {listed:#?}"
    );

    // New mail, filed by the user into a folder of theirs before the run saw it.
    w.clock.set(T0 + 3_600_000);
    control(
        &w,
        "microsoft/configure",
        json!({ "now_ms": T0 + 3_600_000 }),
    )
    .await;
    let reply = outlook_mail(
        &w,
        "inbox",
        "zoe@acme.example",
        OWNER,
        "Re: Proposal",
        T0 + 60_000,
    )
    .await;
    control(
        &w,
        &format!("microsoft/messages/{reply}/move"),
        json!({ "folder": "clients" }),
    )
    .await;
    let again = sync(&w).await;
    assert_eq!(
        (again.kind.as_str(), again.status, again.created),
        ("incremental", SyncRunStatus::Ok, 1),
        "the Inbox's delta reports it removed; looked up, it is still mail, in another folder: {again:?}"
    );

    // More mail; the brief deleted (to Deleted Items), the proposal filed away.
    let ids: Vec<(String, String)> = w
        .sandbox
        .shared
        .lock()
        .microsoft
        .messages
        .iter()
        .map(|m| {
            (
                m.resource["subject"].as_str().unwrap().to_string(),
                m.id.clone(),
            )
        })
        .collect();
    let id_of = |subject: &str| ids.iter().find(|(s, _)| s == subject).unwrap().1.clone();
    outlook_mail(
        &w,
        "inbox",
        "zoe@acme.example",
        OWNER,
        "Signed",
        T0 + 120_000,
    )
    .await;
    control(
        &w,
        &format!("microsoft/messages/{}/move", id_of("Brief")),
        json!({ "folder": "deleteditems" }),
    )
    .await;
    control(
        &w,
        &format!("microsoft/messages/{}/move", id_of("Proposal")),
        json!({ "folder": "clients" }),
    )
    .await;
    let third = sync(&w).await;
    assert_eq!(
        (third.kind.as_str(), third.created),
        ("incremental", 1),
        "{third:?}"
    );
    let subjects: Vec<String> = emails(&w, acme.id)
        .await
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    assert_eq!(
        subjects,
        vec!["Proposal", "Re: Proposal", "Signed"],
        "new mail arrives from the delta link; mail moved to Deleted Items leaves the timeline, \
         mail filed in a folder of the user's stays"
    );

    // Graph forgets the delta state: 410 → a full sync, and nothing twice.
    control(&w, "microsoft/delta/expire", json!({})).await;
    let resync = sync(&w).await;
    assert_eq!(
        (resync.kind.as_str(), resync.status, resync.created),
        ("full", SyncRunStatus::Ok, 0),
        "an expired delta link starts over without duplicates: {resync:?}"
    );
    let after = sync(&w).await;
    assert_eq!((after.kind.as_str(), after.created), ("incremental", 0));

    // A cursor stored while another Graph origin was configured is not followed (the token would
    // go there): a full sync starts over, without duplicates.
    sqlx::query("UPDATE sync_cursors SET cursor = ? WHERE stream = 'mail'")
        .bind(r#"["https://graph.example/v1.0/me/mailFolders/inbox/messages/delta?$deltatoken=x","https://graph.example/v1.0/me/mailFolders/sentitems/messages/delta?$deltatoken=y"]"#)
        .execute(w.crm.database().writer())
        .await
        .unwrap();
    let moved = sync(&w).await;
    assert_eq!(
        (moved.kind.as_str(), moved.status, moved.created),
        ("full", SyncRunStatus::Ok, 0),
        "links to another origin start a full sync: {moved:?}"
    );
    assert!(
        w.sandbox
            .shared
            .lock()
            .log
            .entries
            .iter()
            .all(|e| !e.query.contains("deltatoken=x")),
        "the foreign link was never called"
    );
}

#[tokio::test]
async fn a_mail_seen_by_gmail_and_outlook_is_one_activity() {
    let (w, _) = world().await;
    let google = ConnectRequest {
        provider: Provider::Google,
        features: vec![Feature::MailIngest],
        login_hint: None,
    };
    w.accounts
        .connect_with_loopback(&google, browser(Arc::default()), Duration::from_secs(20))
        .await
        .expect("a Gmail account connects beside the Microsoft one");
    let acme = client(&w.crm, "Acme").await;
    contact(&w.crm, acme.id, "Zoë Müller", &["zoe@acme.example"]).await;
    // The same mail (one Message-ID) reached both mailboxes: Zoë wrote to both addresses.
    let message_id = "<kick-off-42@acme.example>";
    let gmail_owner = w.sandbox.shared.lock().google.settings.account.clone();
    control(
        &w,
        "microsoft/messages",
        json!({ "folder": "inbox", "from": "zoe@acme.example", "to": [OWNER, gmail_owner],
                "subject": "Kick-off", "received_ms": T0 - DAY, "internet_message_id": message_id }),
    )
    .await;
    control(
        &w,
        "google/messages",
        json!({ "from": "zoe@acme.example", "to": format!("{OWNER}, {gmail_owner}"),
                "subject": "Kick-off", "internal_date": T0 - DAY, "message_id": message_id }),
    )
    .await;
    let runs = w
        .sync
        .sync_now(&SyncRequest::default(), SyncTrigger::Cli)
        .await
        .expect("sync runs");
    let mail_runs: Vec<&SyncRun> = runs
        .iter()
        .filter(|r| r.integration == "outlook" || r.integration == "gmail")
        .collect();
    assert_eq!(mail_runs.len(), 2, "one run per mailbox: {runs:?}");
    assert!(
        mail_runs.iter().all(|r| r.status == SyncRunStatus::Ok),
        "{mail_runs:?}"
    );
    assert_eq!(
        emails(&w, acme.id).await,
        vec![("Kick-off".to_string(), "inbound".to_string())],
        "one activity for the one mail, whichever mailbox saw it first"
    );
}

#[tokio::test]
async fn throttling_waits_for_retry_after_and_a_refused_token_refreshes_once() {
    let (w, _) = world().await;
    let acme = client(&w.crm, "Acme").await;
    contact(&w.crm, acme.id, "Zoë Müller", &["zoe@acme.example"]).await;
    outlook_mail(&w, "inbox", "zoe@acme.example", OWNER, "Brief", T0 - DAY).await;
    // Graph throttles the first listing once (429, Retry-After: 1) and the access token expires.
    control(
        &w,
        "faults",
        json!({ "rules": [{ "method": "GET", "path": "/v1.0/me/messages", "times": 1,
                "fault": { "kind": "status", "status": 429, "retry_after_secs": 1 } }] }),
    )
    .await;
    control(&w, "microsoft/tokens/expire", json!({})).await;
    let run = sync(&w).await;
    assert_eq!(
        (run.status, run.created),
        (SyncRunStatus::Ok, 1),
        "a 429 with Retry-After and an expired token are waited out and refreshed: {run:?}"
    );
    let throttled = w
        .sandbox
        .shared
        .lock()
        .log
        .entries
        .iter()
        .filter(|e| e.status == 429)
        .count();
    assert_eq!(
        throttled, 1,
        "the throttled call was made once, then retried"
    );
}

/// A work account whose userinfo has no email (no mailbox address): who signed in comes from
/// Graph's `/me` (its sign-in name), so the account still connects under the right name.
#[tokio::test]
async fn a_work_account_without_an_email_claim_connects_by_its_sign_in_name() {
    let (w, first) = world().await;
    w.sandbox.shared.lock().microsoft.settings.has_email_address = false;
    let request = ConnectRequest {
        provider: Provider::Microsoft,
        features: vec![Feature::MailIngest],
        login_hint: None,
    };
    let again = w
        .accounts
        .connect_with_loopback(&request, browser(Arc::default()), Duration::from_secs(20))
        .await
        .expect("the sign-in completes without an email claim");
    assert_eq!(again.email, OWNER, "the userPrincipalName from /me");
    assert_eq!(again.id, first.id, "the same account, not a second one");
    assert!(
        graph_requests(&w)
            .iter()
            .any(|r| r.starts_with("GET /v1.0/me?")),
        "the profile was asked: {:#?}",
        graph_requests(&w)
    );
}

/// Runs of one mailbox at once (a sync, sends, a calendar write) share Outlook's four
/// concurrent requests: the fifth waits its turn instead of drawing a 429.
#[tokio::test]
async fn requests_to_one_mailbox_stay_within_four_at_once() {
    use cremmy_core::features::mail::send::MailOutbox;
    let (w, account) = world_with(vec![Feature::MailIngest, Feature::MailSend]).await;
    w.sandbox.shared.lock().microsoft.settings.latency_ms = 150;
    let outboxes: Vec<_> = (0..10)
        .map(|_| {
            w.sync
                .providers()
                .session(&account)
                .expect("a session")
                .outbox(&account.email, true)
                .expect("an outbox")
        })
        .collect();
    let lookups = outboxes
        .iter()
        .map(|o| o.find_message("<nothing@acme.example>"));
    for found in futures_util::future::join_all(lookups).await {
        assert_eq!(found.expect("each lookup is answered"), None);
    }
    let world = w.sandbox.shared.lock();
    assert_eq!(
        world.microsoft.max_in_flight, 4,
        "ten runs' requests overlapped, four at a time"
    );
    assert!(
        world.log.entries.iter().all(|e| e.status != 429),
        "none was refused for concurrency"
    );
}

/// Messages a delta page reports removed are looked up together, and so are the folders that
/// decide where they went: one `$batch` each instead of a call per message and per folder.
#[tokio::test]
async fn removals_in_a_delta_page_are_looked_up_in_one_batch() {
    let (w, _) = world().await;
    let acme = client(&w.crm, "Acme").await;
    contact(&w.crm, acme.id, "Zoë Müller", &["zoe@acme.example"]).await;
    let mut ids = Vec::new();
    for (i, subject) in ["Deleted", "Junk", "Filed", "Gone"].iter().enumerate() {
        ids.push(
            outlook_mail(
                &w,
                "inbox",
                "zoe@acme.example",
                OWNER,
                subject,
                T0 - DAY + i as i64 * 60_000,
            )
            .await,
        );
    }
    assert_eq!(sync(&w).await.created, 4);
    for (id, change) in ids.iter().zip([
        json!({ "folder": "deleteditems" }),
        json!({ "folder": "junkemail" }),
        json!({ "folder": "clients" }),
        json!({ "delete": true }),
    ]) {
        control(&w, &format!("microsoft/messages/{id}/move"), change).await;
    }
    let before = graph_requests(&w).len();
    let run = sync(&w).await;
    assert_eq!(
        run.api_calls, 4,
        "two folders' delta links, one batch for the four removed messages, one for the three folders: {run:?}"
    );
    assert_eq!(
        emails(&w, acme.id).await,
        vec![("Filed".to_string(), "inbound".to_string())],
        "deleted, junk and gone leave the timeline; filed away stays"
    );
    let calls = graph_requests(&w)[before..].to_vec();
    let batches = calls
        .iter()
        .filter(|r| r.starts_with("POST /v1.0/$batch"))
        .count();
    assert_eq!(batches, 2, "{calls:#?}");
}
