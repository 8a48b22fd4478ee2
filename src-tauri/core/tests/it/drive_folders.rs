//! A Drive folder per client against the provider sandbox, through google-drive3 and the same
//! runner the app calls.

use cremmy_core::providers::google::Google;
use cremmy_core::sync::SyncRunner;
use cremmy_core::HasErrorCode;
use cremmy_protocol::accounts::Feature;
use cremmy_protocol::crm::ClientInput;
use cremmy_protocol::sync::{SyncRunQuery, SyncRunStatus, SyncTrigger};
use cremmy_protocol::ErrorCode;
use serde_json::json;

use crate::accounts_support::connect;
use crate::mail_sync::{mail_world, post, requests, MailWorld};
use crate::support::{client, eventually, settle_rules};

const FOLDER: &str = "application/vnd.google-apps.folder";

/// The live (not trashed) folders in the sandbox's Drive: (id, name, parent).
fn live_folders(w: &MailWorld) -> Vec<(String, String, String)> {
    let world = w.t.sandbox.shared.lock();
    world
        .google
        .drives
        .values()
        .flat_map(|d| d.files.iter())
        .filter(|f| f.mime_type == FOLDER && !f.trashed)
        .map(|f| (f.id.clone(), f.name.clone(), f.parents[0].clone()))
        .collect()
}

/// The one live folder called `name`, failing if there are none or several.
fn only_folder(w: &MailWorld, name: &str) -> (String, String) {
    let found: Vec<_> = live_folders(w)
        .into_iter()
        .filter(|(_, n, _)| n == name)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "exactly one live folder {name:?}: {found:?}"
    );
    (found[0].0.clone(), found[0].2.clone())
}

fn folder_creates(w: &MailWorld) -> usize {
    requests(w, |method, path| {
        method == "POST" && path == "/drive/v3/files"
    })
    .len()
}

#[tokio::test]
async fn a_client_folder_is_found_or_made_under_cremmy_crm_clients() {
    let w = mail_world().await;
    connect(&w.t, &[Feature::Drive]).await;
    let acme = client(&w.crm, "Acme & Co").await;

    let made = w
        .sync
        .client_folder(acme.id, SyncTrigger::Manual)
        .await
        .expect("folder");
    let (crm, crm_parent) = only_folder(&w, "Cremmy CRM");
    let (clients, clients_parent) = only_folder(&w, "Clients");
    let (acme_folder, acme_parent) = only_folder(&w, "Acme & Co");
    assert_eq!(
        (crm_parent.as_str(), clients_parent, acme_parent),
        ("root", crm.clone(), clients.clone()),
        "Cremmy CRM/Clients/Acme & Co from the top of My Drive"
    );
    assert_eq!(made.folder_id, acme_folder);
    assert!(made.url.contains(&acme_folder), "{}", made.url);
    assert_eq!(folder_creates(&w), 3);
    let page = w.crm.client_page(acme.id).await.unwrap();
    assert_eq!(
        page.folder.as_ref(),
        Some(&made),
        "the client page shows the folder"
    );

    // Again: found by id, nothing created.
    let again = w
        .sync
        .client_folder(acme.id, SyncTrigger::Manual)
        .await
        .unwrap();
    assert_eq!(again, made);
    assert_eq!(folder_creates(&w), 3, "a second click makes nothing");

    // A second client reuses the parents; a quote in the name survives Drive's query syntax.
    let obrien = client(&w.crm, "O'Brien Ltd").await;
    w.sync
        .client_folder(obrien.id, SyncTrigger::Manual)
        .await
        .unwrap();
    let (_, parent) = only_folder(&w, "O'Brien Ltd");
    assert_eq!(parent, clients);
    assert_eq!(folder_creates(&w), 4, "only the client's own folder is new");
    // Its lookup is not confused by a same-named folder: asking again finds, not makes.
    let other = w.crm.client_page(obrien.id).await.unwrap().folder.unwrap();
    sqlx::query("DELETE FROM external_links WHERE entity_kind = 'client' AND role = 'folder' AND local_id = ?")
        .bind(obrien.id)
        .execute(w.t.db.writer())
        .await
        .unwrap();
    let found = w
        .sync
        .client_folder(obrien.id, SyncTrigger::Manual)
        .await
        .unwrap();
    assert_eq!(found.folder_id, other.folder_id, "found before made");
    assert_eq!(folder_creates(&w), 4);

    let runs = w
        .sync
        .runs(&SyncRunQuery {
            limit: Some(10),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(runs
        .iter()
        .all(|r| r.integration == "drive" && r.status == SyncRunStatus::Ok));
    assert_eq!(
        runs.iter().map(|r| r.created).collect::<Vec<_>>(),
        [0, 1, 0, 3],
        "newest first: found, O'Brien's folder, found, the first three"
    );
}

#[tokio::test]
async fn renames_keep_the_folder_and_a_trashed_one_is_replaced() {
    let w = mail_world().await;
    connect(&w.t, &[Feature::Drive]).await;
    let acme = client(&w.crm, "Acme").await;
    let first = w
        .sync
        .client_folder(acme.id, SyncTrigger::Manual)
        .await
        .unwrap();

    // The client is renamed in Cremmy, the folder in Drive: still the same folder.
    w.crm
        .update_client(
            acme.id,
            &ClientInput {
                name: "Acme Holdings".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    {
        let mut world = w.t.sandbox.shared.lock();
        for d in world.google.drives.values_mut() {
            for f in d.files.iter_mut().filter(|f| f.id == first.folder_id) {
                f.name = "Acme (old)".into();
            }
        }
    }
    let renamed = w
        .sync
        .client_folder(acme.id, SyncTrigger::Manual)
        .await
        .unwrap();
    assert_eq!(renamed, first, "tracked by id, not by name");
    assert_eq!(folder_creates(&w), 3);

    // The user trashed it: a new one, under the current name, in the same Clients folder.
    post(&w, "google/drive/trash", json!({ "id": first.folder_id })).await;
    let replaced = w
        .sync
        .client_folder(acme.id, SyncTrigger::Manual)
        .await
        .unwrap();
    assert_ne!(replaced.folder_id, first.folder_id);
    let (id, _) = only_folder(&w, "Acme Holdings");
    assert_eq!(replaced.folder_id, id);
    only_folder(&w, "Clients");
    assert_eq!(folder_creates(&w), 4);
}

#[tokio::test]
async fn two_racing_runs_leave_one_folder_per_level() {
    let w = mail_world().await;
    connect(&w.t, &[Feature::Drive]).await;
    // Name search does not see new folders during the test (Drive's is eventually consistent).
    w.t.sandbox
        .shared
        .lock()
        .google
        .settings
        .drive_name_search_lag_ms = 600_000;
    let acme = client(&w.crm, "Racing Client").await;
    // A second runner (another window or process): it does not share the first one's lock.
    let base = w.t.sandbox.base_url();
    let endpoints = cremmy_core::endpoints::Endpoints::from_lookup(|k| {
        (k == "CREMMY_GOOGLE_BASE_URL").then(|| base.clone())
    });
    let other = SyncRunner::new(
        w.t.db.clone(),
        w.t.clock.clone(),
        Google::new(w.t.accounts.clone(), w.t.clock.clone(), &endpoints).unwrap(),
    );
    let (a, b) = tokio::join!(
        w.sync.client_folder(acme.id, SyncTrigger::Manual),
        other.client_folder(acme.id, SyncTrigger::Schedule)
    );
    let (a, b) = (a.expect("first run"), b.expect("second run"));
    assert_eq!(a.folder_id, b.folder_id, "both runs settle on one folder");
    only_folder(&w, "Cremmy CRM");
    only_folder(&w, "Clients");
    let (id, _) = only_folder(&w, "Racing Client");
    assert_eq!(a.folder_id, id);
    let stored = w.crm.client_page(acme.id).await.unwrap().folder.unwrap();
    assert_eq!(stored.folder_id, id);
    let runs = w.sync.runs(&SyncRunQuery::default()).await.unwrap();
    let trashed: i64 = runs.iter().map(|r| r.skipped).sum();
    assert!(
        trashed >= 1,
        "the runs really raced (a duplicate was made, then trashed): {runs:?}"
    );
}

#[tokio::test]
async fn faults_are_retried_and_missing_access_says_what_to_do() {
    let w = mail_world().await;
    connect(&w.t, &[Feature::MailIngest]).await;
    let acme = client(&w.crm, "Acme").await;
    let e = w
        .sync
        .client_folder(acme.id, SyncTrigger::Manual)
        .await
        .expect_err("no account with Drive");
    assert_eq!(e.code(), ErrorCode::NotConfigured);
    assert!(e.to_string().contains("Drive"), "{e}");
    assert!(live_folders(&w).is_empty(), "nothing was made");

    connect(&w.t, &[Feature::Drive]).await;
    post(
        &w,
        "faults",
        json!({ "rules": [
            { "path": "/drive/v3/files", "method": "POST", "times": 1, "fault": { "kind": "status", "status": 429, "retry_after_secs": 1, "reason": "userRateLimitExceeded" } },
            { "path": "/drive/v3/files", "method": "GET", "times": 1, "fault": { "kind": "status", "status": 503 } },
        ] }),
    )
    .await;
    let made = w
        .sync
        .client_folder(acme.id, SyncTrigger::Manual)
        .await
        .expect("retried through a 429 and a 503");
    let (id, _) = only_folder(&w, "Acme");
    assert_eq!(made.folder_id, id);

    let missing = w
        .sync
        .client_folder(999_999, SyncTrigger::Manual)
        .await
        .expect_err("no such client");
    assert_eq!(missing.code(), ErrorCode::NotFound);
}

/// The default rule "Drive folder for each new client".
async fn rule_id(sync: &SyncRunner) -> i64 {
    use cremmy_protocol::automation::RuleAction;
    use cremmy_protocol::kinds::EventKind;
    sync.automation_rules()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.trigger == EventKind::ClientCreated && r.actions == [RuleAction::ClientFolder])
        .expect("the migration made the default folder rule")
        .id
}

/// Switches the default rule "Drive folder for each new client" (made by the migration, off unless
/// the user had the old setting on) and returns whether it was on before.
async fn switch_folder_rule(sync: &SyncRunner, on: bool) -> bool {
    use cremmy_protocol::automation::RuleInput;
    let id = rule_id(sync).await;
    let rule = sync
        .automation_rules()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.id == id)
        .unwrap();
    let input = RuleInput {
        name: rule.name.clone(),
        trigger: rule.trigger,
        conditions: rule.conditions.clone(),
        delay: rule.delay.clone(),
        actions: rule.actions.clone(),
        enabled: on,
    };
    sync.update_rule(rule.id, &input).await.unwrap();
    rule.enabled
}

#[tokio::test]
async fn new_clients_get_a_folder_when_the_default_rule_is_on() {
    let w = mail_world().await;
    connect(&w.t, &[Feature::Drive]).await;
    let before = client(&w.crm, "Before the rule").await;
    settle_rules(&w.sync).await;
    assert!(
        live_folders(&w).is_empty(),
        "the default rule is off on a new database: nothing happens for {}",
        before.name
    );
    assert!(
        !switch_folder_rule(&w.sync, true).await,
        "off until switched on"
    );
    client(&w.crm, "After the rule").await;
    settle_rules(&w.sync).await;
    only_folder(&w, "After the rule");
    assert!(
        live_folders(&w)
            .iter()
            .all(|(_, n, _)| n != "Before the rule"),
        "only the new client got one"
    );
    let runs = w.sync.rule_runs(rule_id(&w.sync).await).await.unwrap();
    assert_eq!(
        runs.len(),
        1,
        "one run, for the client made after: {runs:?}"
    );
    assert_eq!(runs[0].client_name.as_deref(), Some("After the rule"));
}

#[tokio::test]
async fn clients_made_by_csv_import_get_their_folder_through_the_event_bus() {
    let w = mail_world().await;
    connect(&w.t, &[Feature::Drive]).await;
    let crm = w.sync.crm();
    switch_folder_rule(&w.sync, true).await;
    let follow_ups = cremmy_core::follow_ups::start(w.sync.clone());
    let csv = "Company,Name,Email\nImported Ltd,Ivy,ivy@imported.example\nSecond Co,Sam,sam@second.example\n";
    let result = crm.commit_import(csv.as_bytes(), None).await.unwrap();
    assert_eq!(result.clients_created, 2);
    assert!(
        crm.events().settle(std::time::Duration::from_secs(5)).await,
        "every ClientCreated was handled"
    );
    eventually("both imported clients' folders", || {
        let names: Vec<String> = live_folders(&w).into_iter().map(|(_, n, _)| n).collect();
        names.contains(&"Imported Ltd".to_string()) && names.contains(&"Second Co".to_string())
    })
    .await;
    // The same import again makes no client, so no folder job.
    let jobs_before: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs")
        .fetch_one(w.t.db.pool())
        .await
        .unwrap();
    crm.commit_import(csv.as_bytes(), None).await.unwrap();
    crm.events().settle(std::time::Duration::from_secs(5)).await;
    let jobs_after: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs")
        .fetch_one(w.t.db.pool())
        .await
        .unwrap();
    assert_eq!(
        jobs_before, jobs_after,
        "existing clients are not created again"
    );
    follow_ups.abort();
}

/// Runs in a row while Drive's name search lags behind: the second run must not make a second
/// "Cremmy CRM" or "Clients" because a search missed the ones the first run made a moment ago.
#[tokio::test]
async fn runs_in_a_row_do_not_duplicate_folders_a_lagging_search_misses() {
    let w = mail_world().await;
    connect(&w.t, &[Feature::Drive]).await;
    w.t.sandbox
        .shared
        .lock()
        .google
        .settings
        .drive_name_search_lag_ms = 600_000;
    let acme = client(&w.crm, "Acme").await;
    let bw = client(&w.crm, "Bright Works").await;
    let first = w
        .sync
        .client_folder(acme.id, SyncTrigger::Manual)
        .await
        .expect("first folder");
    let second = w
        .sync
        .client_folder(bw.id, SyncTrigger::Manual)
        .await
        .expect("second folder");
    let (_, crm_parent) = only_folder(&w, "Cremmy CRM");
    assert_eq!(crm_parent, "root");
    let (clients, _) = only_folder(&w, "Clients");
    assert_eq!(only_folder(&w, "Acme").1, clients);
    assert_eq!(only_folder(&w, "Bright Works").1, clients);
    assert_ne!(first.folder_id, second.folder_id);
    assert_eq!(
        folder_creates(&w),
        4,
        "two parents, two clients: nothing twice"
    );
    // The kept parent is trashed by the user: found missing by id, made again.
    let crm_id = only_folder(&w, "Cremmy CRM").0;
    post(&w, "google/drive/trash", json!({ "id": crm_id })).await;
    let cy = client(&w.crm, "Cyan").await;
    w.sync
        .client_folder(cy.id, SyncTrigger::Manual)
        .await
        .expect("a folder under new parents");
    let (new_crm, _) = only_folder(&w, "Cremmy CRM");
    assert_ne!(new_crm, crm_id, "a new Cremmy CRM replaced the trashed one");
}
