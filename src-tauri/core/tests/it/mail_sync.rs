//! Gmail ingest against the provider sandbox, through the same code the app runs: a real SQLite
//! file, the real keychain, the google-gmail1 client over HTTP.

use cremmy_core::crm::Crm;
use cremmy_core::providers::google::Google;
use cremmy_core::sync::SyncRunner;
use cremmy_protocol::accounts::{AccountStatus, Feature};
use cremmy_protocol::sync::{SyncRequest, SyncRun, SyncRunStatus, SyncTrigger};
use cremmy_protocol::ErrorCode;
use serde_json::{json, Value};

use crate::accounts_support::{connect, http, sandbox_control, test_accounts, TestAccounts};
use crate::support::{client, contact, T0};

const OWNER: &str = "consultant@sandbox.example";
const PARTNER: &str = "partner@sandbox.example";

pub struct MailWorld {
    pub t: TestAccounts,
    pub crm: Crm,
    pub sync: SyncRunner,
    /// The same Google client the runner uses (its pacers are shared).
    pub google: Google,
}

pub async fn mail_world() -> MailWorld {
    let t = test_accounts().await;
    let crm = Crm::new(t.db.clone(), t.clock.clone());
    let base = t.sandbox.base_url();
    let endpoints = cremmy_core::endpoints::Endpoints::from_lookup(|k| {
        (k == "CREMMY_GOOGLE_BASE_URL").then(|| base.clone())
    });
    let google =
        Google::new(t.accounts.clone(), t.clock.clone(), &endpoints).expect("google client");
    let sync = SyncRunner::new(t.db.clone(), t.clock.clone(), google.clone());
    MailWorld {
        t,
        crm,
        sync,
        google,
    }
}

pub async fn post(w: &MailWorld, path: &str, body: Value) -> Value {
    let r = http()
        .post(format!("{}_sandbox/{path}", w.t.sandbox.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success(),
        "sandbox control {path}: {}",
        r.status()
    );
    r.json().await.unwrap()
}

/// Three clients' mail (4 messages each, alternating in/out), the newest an hour before T0.
pub async fn seed_mail(w: &MailWorld) {
    post(
        w,
        "google/seed",
        json!({ "clients": 3, "messages_per_client": 4, "seed": 5, "newest_at": T0 - 3_600_000 }),
    )
    .await;
}

/// Clients 1 and 2 of the seed as CRM clients with their contact.
pub async fn two_clients(w: &MailWorld) -> (i64, i64) {
    let c1 = client(&w.crm, "Client One").await;
    contact(&w.crm, c1.id, "Contact One", &["contact1@client1.example"]).await;
    let c2 = client(&w.crm, "Client Two").await;
    contact(&w.crm, c2.id, "Contact Two", &["Contact2@Client2.example"]).await;
    (c1.id, c2.id)
}

pub async fn sync_once(w: &MailWorld, reconcile: bool) -> SyncRun {
    let request = SyncRequest {
        account_id: None,
        reconcile,
    };
    let running = w.sync.sync_now(&request, SyncTrigger::Cli);
    fn must_be_send<T: Send>(_: &T) {}
    must_be_send(&running); // the app's command handlers run it on any thread
    let runs = running.await.expect("sync runs");
    assert_eq!(runs.len(), 1, "one run for the one account: {runs:?}");
    runs.into_iter().next().unwrap()
}

async fn scalar(w: &MailWorld, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(w.t.db.pool())
        .await
        .unwrap()
}

async fn emails_on(w: &MailWorld, client_id: i64) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM activities WHERE kind = 'email' AND client_id = ?")
        .bind(client_id)
        .fetch_one(w.t.db.pool())
        .await
        .unwrap()
}

/// "METHOD /path" of every request the sandbox logged whose method and path satisfy `keep`.
pub fn requests(w: &MailWorld, keep: impl Fn(&str, &str) -> bool) -> Vec<String> {
    w.t.sandbox
        .shared
        .lock()
        .log
        .entries
        .iter()
        .filter(|e| keep(&e.method, &e.path))
        .map(|e| format!("{} {}", e.method, e.path))
        .collect()
}

async fn gmail_requests(w: &MailWorld) -> Vec<String> {
    requests(w, |_, path| path.starts_with("/gmail/"))
}

async fn inject(w: &MailWorld, body: Value) -> Value {
    post(w, "google/messages", body).await
}

#[tokio::test]
async fn a_full_sync_then_increments_import_client_mail_once() {
    let w = mail_world().await;
    seed_mail(&w).await;
    inject(
        &w,
        json!({ "from": "newsletter@shop.example", "to": OWNER, "subject": "Sale!" }),
    )
    .await;
    let (c1, c2) = two_clients(&w).await;
    connect(&w.t, &[Feature::MailIngest]).await;

    let first = sync_once(&w, false).await;
    assert_eq!(
        (first.kind.as_str(), first.status),
        ("full", SyncRunStatus::Ok),
        "{first:?}"
    );
    assert_eq!(
        first.fetched, 13,
        "every message in the look-back window is read once: {first:?}"
    );
    assert_eq!(
        first.created, 8,
        "clients 1 and 2 have 4 messages each: {first:?}"
    );
    assert_eq!(
        first.skipped, 5,
        "client 3 (not in the CRM) and the newsletter: {first:?}"
    );
    assert_eq!(
        first.api_calls, 3,
        "profile + list + one Gmail batch carrying the 13 gets: {first:?}"
    );
    assert_eq!(
        requests(&w, |m, p| m == "GET"
            && p.starts_with("/gmail/v1/users/me/messages/"))
        .len(),
        13,
        "the batch's parts reached Gmail as 13 messages.get calls"
    );
    assert_eq!((emails_on(&w, c1).await, emails_on(&w, c2).await), (4, 4));
    let directions: Vec<(String, String)> = sqlx::query_as(
        "SELECT direction, subject FROM activities WHERE client_id = ? AND kind = 'email' ORDER BY occurred_at",
    )
    .bind(c1)
    .fetch_all(w.t.db.pool())
    .await
    .unwrap();
    assert_eq!(
        directions.iter().map(|(d, _)| d.as_str()).collect::<Vec<_>>(),
        ["outbound", "inbound", "outbound", "inbound"],
        "direction follows From (the seed alternates, client 1's first message is outgoing): {directions:?}"
    );
    let with_thread: i64 = scalar(
        &w,
        "SELECT count(*) FROM emails WHERE message_id LIKE '<%>' AND thread_id <> ''",
    )
    .await;
    assert_eq!(with_thread, 8, "each email keeps its Message-ID and thread");

    let before = gmail_requests(&w).await.len();
    let idle = sync_once(&w, false).await;
    assert_eq!(
        (idle.kind.as_str(), idle.created, idle.fetched),
        ("incremental", 0, 0),
        "{idle:?}"
    );
    let calls: Vec<String> = gmail_requests(&w).await.split_off(before);
    assert_eq!(
        calls,
        ["GET /gmail/v1/users/me/history"],
        "a poll with nothing new costs one history.list call"
    );
    assert_eq!(idle.api_calls, 1);

    inject(&w, json!({ "from": "Contact Two <contact2@client2.example>", "to": OWNER, "subject": "Signed contract" })).await;
    inject(
        &w,
        json!({ "from": "someone@else.example", "to": OWNER, "subject": "Unrelated" }),
    )
    .await;
    let next = sync_once(&w, false).await;
    assert_eq!(
        (next.kind.as_str(), next.fetched, next.created, next.skipped),
        ("incremental", 2, 1, 1),
        "{next:?}"
    );
    assert_eq!(emails_on(&w, c2).await, 5);
    let found = w.crm.search("Signed contract", 10).await.unwrap();
    assert!(!found.is_empty(), "imported mail is searchable");

    let again = sync_once(&w, true).await;
    assert_eq!(
        (again.kind.as_str(), again.created, again.recovered),
        ("reconcile", 0, 0),
        "nothing missing: {again:?}"
    );
    assert_eq!(
        scalar(&w, "SELECT count(*) FROM activities WHERE kind = 'email'").await,
        9,
        "no duplicates after four runs"
    );
}

#[tokio::test]
async fn an_expired_history_id_means_a_full_resync_without_duplicates() {
    let w = mail_world().await;
    seed_mail(&w).await;
    let (c1, _) = two_clients(&w).await;
    connect(&w.t, &[Feature::MailIngest]).await;
    sync_once(&w, false).await;

    let newest = inject(&w, json!({ "from": "contact1@client1.example", "to": OWNER, "subject": "While you were away" })).await;
    // Gmail forgets the history before the new message: the stored cursor is now too old.
    let floor: u64 = newest["historyId"].as_str().unwrap().parse().unwrap();
    post(&w, "google/history/trim", json!({ "keep_from": floor })).await;

    let run = sync_once(&w, false).await;
    assert_eq!(
        (run.kind.as_str(), run.status),
        ("full", SyncRunStatus::Ok),
        "404 on history → full sync: {run:?}"
    );
    assert_eq!(run.created, 1, "only the new message is new: {run:?}");
    assert_eq!(
        run.fetched,
        1 + 4,
        "known ids are not fetched again (the new one + client 0's 4 unmatched): {run:?}"
    );
    assert_eq!(emails_on(&w, c1).await, 5);
    assert_eq!(
        scalar(&w, "SELECT count(*) FROM activities WHERE kind = 'email'").await,
        9
    );
    let idle = sync_once(&w, false).await;
    assert_eq!(
        (idle.kind.as_str(), idle.api_calls),
        ("incremental", 1),
        "back to one call per poll: {idle:?}"
    );
}

#[tokio::test]
async fn a_contact_added_later_gets_its_past_mail() {
    let w = mail_world().await;
    seed_mail(&w).await;
    let (_, _) = two_clients(&w).await;
    connect(&w.t, &[Feature::MailIngest]).await;
    sync_once(&w, false).await;

    let c3 = client(&w.crm, "Client Zero").await;
    contact(&w.crm, c3.id, "Contact Zero", &["contact0@client0.example"]).await;
    let run = sync_once(&w, false).await;
    assert_eq!(
        (run.kind.as_str(), run.created),
        ("backfill", 4),
        "the new address's past mail: {run:?}"
    );
    assert_eq!(emails_on(&w, c3.id).await, 4);
    let idle = sync_once(&w, false).await;
    assert_eq!(
        (idle.kind.as_str(), idle.created, idle.api_calls),
        ("incremental", 0, 1),
        "back-filled once: {idle:?}"
    );
}

#[tokio::test]
async fn reconciliation_finds_and_imports_what_went_missing() {
    let w = mail_world().await;
    seed_mail(&w).await;
    let (c1, _) = two_clients(&w).await;
    connect(&w.t, &[Feature::MailIngest]).await;
    sync_once(&w, false).await;
    // Two imported messages vanish from the database (a bug, a restore from an old backup...).
    sqlx::query("DELETE FROM activities WHERE id IN (SELECT id FROM activities WHERE client_id = ? AND kind = 'email' LIMIT 2)")
        .bind(c1)
        .execute(w.t.db.writer())
        .await
        .unwrap();
    assert_eq!(emails_on(&w, c1).await, 2);

    let quiet = sync_once(&w, false).await;
    assert_eq!(
        quiet.created, 0,
        "the history shows nothing new, so an incremental run cannot see the loss"
    );
    w.t.clock.advance(86_400_000);
    let daily = sync_once(&w, false).await;
    assert_eq!(
        (daily.kind.as_str(), daily.recovered, daily.created),
        ("reconcile", 2, 2),
        "the daily reconciliation: {daily:?}"
    );
    assert_eq!(emails_on(&w, c1).await, 4);
    let listed = w.sync.runs(&Default::default()).await.unwrap();
    assert_eq!(
        listed.first().map(|r| r.recovered),
        Some(2),
        "the sync log reports the count"
    );
}

#[tokio::test]
async fn the_same_mail_seen_by_two_accounts_is_one_activity() {
    let w = mail_world().await;
    let (c1, _) = two_clients(&w).await;
    let shared_id = "<kickoff-123@client1.example>";
    for account in [OWNER, PARTNER] {
        inject(
            &w,
            json!({ "account": account, "from": "contact1@client1.example", "to": format!("{OWNER}, {PARTNER}"),
                    "subject": "Kickoff", "message_id": shared_id, "internal_date": T0 - 60_000 }),
        )
        .await;
    }
    connect(&w.t, &[Feature::MailIngest]).await;
    crate::accounts_support::connect_as(&w.t, PARTNER, &[Feature::MailIngest]).await;
    let runs = w
        .sync
        .sync_now(&SyncRequest::default(), SyncTrigger::Manual)
        .await
        .unwrap();
    assert_eq!(runs.len(), 2, "one run per account");
    assert_eq!(
        runs.iter().map(|r| r.created).sum::<i64>(),
        1,
        "created once: {runs:?}"
    );
    assert_eq!(emails_on(&w, c1).await, 1);
    assert_eq!(
        scalar(&w, "SELECT count(*) FROM mailbox_messages").await,
        2,
        "linked to both mailboxes"
    );
}

#[tokio::test]
async fn faults_are_retried_and_nothing_is_lost_or_duplicated() {
    let w = mail_world().await;
    seed_mail(&w).await;
    let (c1, c2) = two_clients(&w).await;
    connect(&w.t, &[Feature::MailIngest]).await;
    post(
        &w,
        "faults",
        json!({ "rules": [
            { "path": "/gmail/v1/users/me/messages/", "times": 2, "fault": { "kind": "status", "status": 429, "retry_after_secs": 1, "reason": "rateLimitExceeded" } },
            { "path": "/gmail/v1/users/me/messages/", "times": 1, "fault": { "kind": "status", "status": 503 } },
            { "path": "/gmail/v1/users/me/messages", "method": "GET", "times": 1, "fault": { "kind": "drop" } },
        ] }),
    )
    .await;
    let run = sync_once(&w, false).await;
    assert_eq!(
        run.status,
        SyncRunStatus::Ok,
        "every fault was retried: {run:?}"
    );
    assert_eq!(run.created, 8);
    assert_eq!(
        run.api_calls,
        1 + 2 + 1 + 1,
        "profile, list (+1 after the drop), one batch of 12 gets, one more batch for the 3 parts \
         answered 429, 429, 503: retries are counted: {run:?}"
    );
    assert_eq!(
        requests(&w, |m, p| m == "GET"
            && p.starts_with("/gmail/v1/users/me/messages/"))
        .len(),
        12 + 3,
        "only the parts that failed were asked for again"
    );
    let waited: Vec<String> =
        w.t.sandbox
            .shared
            .lock()
            .log
            .entries
            .iter()
            .filter_map(|e| e.fault.clone())
            .collect();
    assert_eq!(waited.len(), 4, "each fault fired once: {waited:?}");

    // Offline (every connection cut): the run fails fast, loses nothing, and the next run finishes.
    post(&w, "faults", json!({ "rules": [ { "path": "/gmail/v1/users/me/history", "times": 10, "fault": { "kind": "drop" } } ] })).await;
    inject(
        &w,
        json!({ "from": "contact1@client1.example", "to": OWNER, "subject": "During the outage" }),
    )
    .await;
    let failed = sync_once(&w, false).await;
    assert_eq!(
        (failed.status, failed.error_code),
        (SyncRunStatus::Failed, Some(ErrorCode::ProviderUnavailable)),
        "{failed:?}"
    );
    assert!(
        failed
            .error
            .as_deref()
            .unwrap_or("")
            .contains("could not be reached"),
        "the error says what happened: {failed:?}"
    );
    let cleared = http()
        .delete(format!("{}_sandbox/faults", w.t.sandbox.base_url()))
        .send()
        .await
        .unwrap();
    assert!(cleared.status().is_success());
    let healed = sync_once(&w, false).await;
    assert_eq!(
        (healed.status, healed.created),
        (SyncRunStatus::Ok, 1),
        "{healed:?}"
    );
    assert_eq!(
        (emails_on(&w, c1).await, emails_on(&w, c2).await),
        (5, 4),
        "nothing lost, nothing twice"
    );
}

#[tokio::test]
async fn a_revoked_grant_fails_the_run_with_reconnect_and_pauses_the_account() {
    let w = mail_world().await;
    seed_mail(&w).await;
    two_clients(&w).await;
    let account = connect(&w.t, &[Feature::MailIngest]).await;
    sync_once(&w, false).await;
    sandbox_control(&w.t, "google/grants/revoke").await;
    sandbox_control(&w.t, "google/tokens/expire").await;

    let run = sync_once(&w, false).await;
    assert_eq!(
        (run.status, run.error_code),
        (SyncRunStatus::Failed, Some(ErrorCode::ReconnectNeeded)),
        "{run:?}"
    );
    assert!(
        run.error.as_deref().unwrap_or("").contains("Reconnect"),
        "the message says what to do: {run:?}"
    );
    let after = w.t.accounts.get(account.id).await.unwrap();
    assert_eq!(after.status, AccountStatus::NeedsReauth);
    let none = w
        .sync
        .sync_now(&SyncRequest::default(), SyncTrigger::Schedule)
        .await
        .unwrap();
    assert!(
        none.is_empty(),
        "an account waiting for Reconnect is not synced: {none:?}"
    );
}

/// Every activity announced on the bus once, after its transaction committed: all of a sync's
/// mail (never one event per message), nothing again when a re-sync finds the same mail.
#[tokio::test]
async fn synced_mail_is_announced_once_per_commit_and_never_again() {
    use cremmy_protocol::crm::{ActivityKind, ActivitySource, CrmEvent};
    let w = mail_world().await;
    seed_mail(&w).await;
    let (c1, c2) = two_clients(&w).await;
    connect(&w.t, &[Feature::MailIngest]).await;
    let mut events = w.crm.subscribe();

    sync_once(&w, false).await;
    let mut announced = Vec::new();
    let mut batches = 0;
    while let Ok(event) = events.try_recv() {
        if let CrmEvent::ActivitiesRecorded { activities, .. } = event {
            batches += 1;
            announced.extend(activities);
        }
    }
    let mut ids: Vec<i64> = announced.iter().map(|a| a.activity_id).collect();
    ids.sort_unstable();
    let stored: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM activities WHERE kind = 'email' ORDER BY id")
            .fetch_all(w.t.db.pool())
            .await
            .unwrap();
    assert_eq!(ids, stored, "each stored email announced exactly once");
    assert!(
        batches < stored.len(),
        "announced per commit, not per message ({batches} events for {} emails)",
        stored.len()
    );
    assert!(
        announced.iter().all(|a| a.kind == ActivityKind::Email
            && a.source == ActivitySource::Email
            && (a.client_id == c1 || a.client_id == c2)),
        "each says what it is and whose: {announced:?}"
    );

    sync_once(&w, true).await;
    while let Ok(event) = events.try_recv() {
        assert!(
            !matches!(event, CrmEvent::ActivitiesRecorded { .. }),
            "a re-sync of the same mail announces nothing: {event:?}"
        );
    }
}

/// An answer past the hubs' size cap is cut while it is read, not collected whole: the run fails
/// saying so, without retrying it, and the next run (a normal answer) imports everything once.
#[tokio::test]
async fn an_oversized_gmail_answer_is_cut_not_read_and_the_next_run_heals() {
    let w = mail_world().await;
    seed_mail(&w).await;
    let (c1, c2) = two_clients(&w).await;
    connect(&w.t, &[Feature::MailIngest]).await;
    // 40 MB: above the 32 MiB cap (a Gmail metadata answer is a few KB).
    post(
        &w,
        "faults",
        json!({ "rules": [
            { "path": "/gmail/v1/users/me/messages/", "times": 1, "fault": { "kind": "oversized", "bytes": 40_000_000 } },
        ] }),
    )
    .await;
    let failed = sync_once(&w, false).await;
    let message = failed.error.clone().unwrap_or_default();
    assert_eq!(failed.status, SyncRunStatus::Failed, "{failed:?}");
    assert!(
        message.contains("larger than 33554432 bytes"),
        "the error names the cap, not a parse error: {message}"
    );
    let gets = requests(&w, |m, p| {
        m == "GET" && p.starts_with("/gmail/v1/users/me/messages/")
    });
    let cut =
        w.t.sandbox
            .shared
            .lock()
            .log
            .entries
            .iter()
            .find(|e| e.fault.is_some())
            .map(|e| format!("{} {}", e.method, e.path))
            .expect("the fault fired");
    assert_eq!(
        gets.iter().filter(|g| **g == cut).count(),
        1,
        "a too-large answer is not asked for again within the run: {gets:?}"
    );

    let healed = sync_once(&w, false).await;
    assert_eq!(healed.status, SyncRunStatus::Ok, "{healed:?}");
    assert_eq!(
        (emails_on(&w, c1).await, emails_on(&w, c2).await),
        (4, 4),
        "nothing lost, nothing twice"
    );
}
