//! CRM sync with Pipedrive (issue 22), against the provider sandbox's Pipedrive (which follows
//! Pipedrive's pages), through the runner the window uses: connecting with a personal API token
//! (nothing stored when refused), the preview and import of the won customers (once), and
//! two-way sync: an edit on either side reaches the other, a person's other emails survive
//! Cremmy's change of the primary one, a second sync writes nothing, and a field changed on both
//! sides follows the rule and is logged.

use cremmy_core::HasErrorCode;
use cremmy_protocol::accounts::{Account, Feature};
use cremmy_protocol::crm::ClientInput;
use cremmy_protocol::crm_sync::{
    CrmSyncSettings, Directions, ImportAction, ImportDecision, RecordKind, SyncDirection,
};
use cremmy_protocol::{ErrorCode, Provider};
use serde_json::{json, Value};

use crate::crm_support::{logged_requests, sandbox_control, scalar, sync_account};
use crate::support::{contact, count, T0};
use crate::texting::{text_world, TextWorld};

const TOKEN: &str = cremmy_sandbox::pipedrive::SANDBOX_TOKEN;
const HOUR: i64 = 3_600_000;

async fn pipedrive(w: &TextWorld, method: &str, path: &str, body: Value) -> Value {
    sandbox_control(w, method, &format!("pipedrive{path}"), body).await
}

/// Pipedrive's entity of `kind` whose `field` is `value`.
async fn at_pipedrive(w: &TextWorld, kind: &str, field: &str, value: &str) -> Value {
    let snapshot = pipedrive(w, "GET", "", json!({})).await;
    snapshot["entities"][kind]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e[field] == value)
        .cloned()
        .unwrap_or_else(|| panic!("no {kind} with {field} = {value}: {snapshot}"))
}

async fn patches(w: &TextWorld) -> usize {
    logged_requests(w)
        .await
        .iter()
        .filter(|r| {
            r["method"] == "PATCH"
                && r["path"]
                    .as_str()
                    .is_some_and(|p| p.starts_with("/api/v2/"))
        })
        .count()
}

async fn connected(w: &TextWorld) -> Account {
    pipedrive(w, "POST", "", json!({ "now": T0 - HOUR })).await;
    w.sync
        .connect_crm(Provider::Pipedrive, TOKEN)
        .await
        .expect("the sandbox's token connects")
}

#[tokio::test]
async fn connecting_pipedrive_checks_the_token_and_stores_nothing_when_refused() {
    let w = text_world().await;
    let refused = w
        .sync
        .connect_crm(
            Provider::Pipedrive,
            "ffffffffffffffffffffffffffffffffffffffff",
        )
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::InvalidInput, "{refused}");
    assert!(
        w.accounts.list().await.unwrap().is_empty(),
        "a refused token stores nothing"
    );
    let garbage = w
        .sync
        .connect_crm(Provider::Pipedrive, "not a token")
        .await
        .unwrap_err();
    assert!(
        garbage.to_string().contains("API token"),
        "the error says what to paste: {garbage}"
    );

    let account = connected(&w).await;
    assert_eq!(account.email, "alex@harbour.example at Harbour Consulting");
    assert!(account.features.contains(&Feature::CrmSync));
}

#[tokio::test]
async fn pipedrive_won_customers_are_previewed_then_imported_once() {
    let w = text_world().await;
    let fabrikam = crate::support::client(&w.crm, "Fabrikam Ltd").await;
    contact(
        &w.crm,
        fabrikam.id,
        "Ravi Patel",
        &["ravi@fabrikam.example"],
    )
    .await;
    let account = connected(&w).await;

    let before = count(&w.crm, "clients").await;
    let preview = w.sync.crm_import_preview(account.id).await.unwrap();
    assert_eq!(
        count(&w.crm, "clients").await,
        before,
        "a preview writes nothing"
    );
    assert_eq!(
        (
            preview.profile.currency.as_str(),
            preview.profile.time_zone.as_str()
        ),
        ("GBP", "Europe/London")
    );
    let action = |name: &str| {
        preview
            .rows
            .iter()
            .find(|r| r.name == name)
            .unwrap_or_else(|| panic!("no row {name}: {:#?}", preview.rows))
            .action
    };
    assert_eq!(
        action("Fabrikam Ltd"),
        ImportAction::Merge,
        "matched through Ravi's email"
    );
    assert_eq!(action("Ravi Patel"), ImportAction::Merge);
    assert_eq!(action("Northwind Traders"), ImportAction::New);
    assert_eq!(
        action("Mia Solo"),
        ImportAction::New,
        "a won customer without an organization"
    );
    let deals: Vec<&str> = preview
        .rows
        .iter()
        .filter(|r| r.kind == RecordKind::Deal)
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(
        deals,
        [
            "Northwind retainer 2026",
            "Fabrikam audit",
            "Mia's brand refresh"
        ],
        "won deals only"
    );

    let decision = ImportDecision {
        account_id: account.id,
        remote_wins: vec![],
    };
    let report = w.sync.crm_import(&decision).await.unwrap();
    assert_eq!(
        (report.created, report.merged, report.unchanged),
        (6, 2, 0),
        "Northwind, Nancy, Mia and three deals made; Fabrikam and Ravi merged"
    );
    assert_eq!(
        scalar(&w, "SELECT CAST(value_minor AS TEXT) || currency FROM deals WHERE title = 'Fabrikam audit'").await,
        "450050GBP",
        "a v2 value (4500.5) in minor units"
    );
    assert_eq!(
        scalar(&w, "SELECT cl.name FROM contacts c JOIN clients cl ON cl.id = c.client_id WHERE c.name = 'Nancy Davolio'").await,
        "Northwind Traders",
        "a person under their organization"
    );
    let again = w.sync.crm_import(&decision).await.unwrap();
    assert_eq!(
        (again.created, again.merged),
        (0, 0),
        "a second import changes nothing: {again:?}"
    );
    assert_eq!(
        scalar(
            &w,
            "SELECT CAST(count(*) AS TEXT) FROM external_links WHERE role = 'crm_record'"
        )
        .await,
        "8",
        "every imported record linked once: 2 organizations, 3 persons, 3 deals"
    );
}

#[tokio::test]
async fn pipedrive_edits_reach_the_other_side_and_conflicts_follow_the_rule() {
    let w = text_world().await;
    let account = connected(&w).await;
    w.sync
        .crm_import(&ImportDecision {
            account_id: account.id,
            remote_wins: vec![],
        })
        .await
        .unwrap();
    let ravi = at_pipedrive(&w, "persons", "name", "Ravi Patel").await;
    let nancy = at_pipedrive(&w, "persons", "name", "Nancy Davolio").await;
    // In Pipedrive: Ravi has a second email, Nancy a new title.
    pipedrive(&w, "POST", "", json!({ "now": T0 + HOUR })).await;
    pipedrive(
        &w,
        "PATCH",
        &format!("/entities/persons/{}", ravi["id"]),
        json!({ "emails": [
            {"value": "ravi@fabrikam.example", "primary": true, "label": "work"},
            {"value": "ravi.p@home.example", "primary": false, "label": "home"}
        ] }),
    )
    .await;
    pipedrive(
        &w,
        "PATCH",
        &format!("/entities/persons/{}", nancy["id"]),
        json!({ "job_title": "COO" }),
    )
    .await;
    // In Cremmy: Fabrikam renamed, Ravi's primary email changed.
    w.clock.set(T0 + 2 * HOUR);
    let fabrikam: i64 = scalar(
        &w,
        "SELECT CAST(id AS TEXT) FROM clients WHERE name = 'Fabrikam Ltd'",
    )
    .await
    .parse()
    .unwrap();
    w.crm
        .update_client(
            fabrikam,
            &ClientInput {
                name: "Fabrikam Group".into(),
                ..ClientInput::default()
            },
        )
        .await
        .unwrap();
    sqlx::query("UPDATE contact_emails SET email = 'ravi@fabrikam-group.example' WHERE email = 'ravi@fabrikam.example'")
        .execute(w.crm.database().pool())
        .await
        .unwrap();
    sqlx::query("UPDATE contacts SET updated_at = ? WHERE name = 'Ravi Patel'")
        .bind(T0 + 2 * HOUR)
        .execute(w.crm.database().pool())
        .await
        .unwrap();
    w.clock.set(T0 + 3 * HOUR);
    sync_account(&w, &account).await;

    assert_eq!(
        scalar(
            &w,
            "SELECT title FROM contacts WHERE name = 'Nancy Davolio'"
        )
        .await,
        "COO",
        "Pipedrive's edit reached Cremmy"
    );
    at_pipedrive(&w, "organizations", "name", "Fabrikam Group").await;
    let ravi = at_pipedrive(&w, "persons", "name", "Ravi Patel").await;
    assert_eq!(
        ravi["emails"],
        json!([
            {"value": "ravi@fabrikam-group.example", "primary": true, "label": "work"},
            {"value": "ravi.p@home.example", "primary": false, "label": "other"}
        ]),
        "Cremmy's new email is Ravi's primary one at Pipedrive, his other email kept"
    );

    let before = patches(&w).await;
    w.clock.set(T0 + 4 * HOUR);
    sync_account(&w, &account).await;
    assert_eq!(
        patches(&w).await,
        before,
        "a second sync writes nothing at Pipedrive"
    );
    assert!(
        w.sync.crm_conflicts(account.id).await.unwrap().is_empty(),
        "no conflict where one side changed"
    );

    // Both sides rename Northwind; Pipedrive's edit is later and wins (the default rule).
    let northwind = at_pipedrive(&w, "organizations", "name", "Northwind Traders").await;
    w.clock.set(T0 + 5 * HOUR);
    let client: i64 = scalar(
        &w,
        "SELECT CAST(id AS TEXT) FROM clients WHERE name = 'Northwind Traders'",
    )
    .await
    .parse()
    .unwrap();
    w.crm
        .update_client(
            client,
            &ClientInput {
                name: "Northwind (Cremmy)".into(),
                ..ClientInput::default()
            },
        )
        .await
        .unwrap();
    pipedrive(&w, "POST", "", json!({ "now": T0 + 6 * HOUR })).await;
    pipedrive(
        &w,
        "PATCH",
        &format!("/entities/organizations/{}", northwind["id"]),
        json!({ "name": "Northwind (Pipedrive)" }),
    )
    .await;
    w.clock.set(T0 + 7 * HOUR);
    sync_account(&w, &account).await;
    assert_eq!(
        scalar(&w, &format!("SELECT name FROM clients WHERE id = {client}")).await,
        "Northwind (Pipedrive)"
    );
    let logged = w.sync.crm_conflicts(account.id).await.unwrap();
    assert_eq!(
        logged
            .iter()
            .map(|c| (
                c.field.as_str(),
                c.cremmy.as_str(),
                c.remote.as_str(),
                c.remote_won
            ))
            .collect::<Vec<_>>(),
        [("name", "Northwind (Cremmy)", "Northwind (Pipedrive)", true)],
        "the conflict is logged with both values"
    );
}

#[tokio::test]
async fn a_deal_won_after_the_import_brings_its_customer_in_on_the_next_sync() {
    let w = text_world().await;
    let account = connected(&w).await;
    w.sync
        .crm_import(&ImportDecision {
            account_id: account.id,
            remote_wins: vec![],
        })
        .await
        .unwrap();
    let clients = count(&w.crm, "clients").await;
    // At Pipedrive, later: a new customer wins a deal; Northwind wins another; Contoso's open
    // deal stays open.
    pipedrive(&w, "POST", "", json!({ "now": T0 + HOUR })).await;
    let globex = pipedrive(
        &w,
        "POST",
        "/entities/organizations",
        json!({ "name": "Globex" }),
    )
    .await["id"]
        .clone();
    let hank = pipedrive(
        &w,
        "POST",
        "/entities/persons",
        json!({ "name": "Hank Scorpio", "org_id": globex, "emails": [{"value": "hank@globex.example", "primary": true, "label": "work"}] }),
    )
    .await["id"]
        .clone();
    pipedrive(&w, "POST", "/entities/deals", json!({ "title": "Globex launch", "value": 7000, "status": "won", "org_id": globex, "person_id": hank })).await;
    let northwind =
        at_pipedrive(&w, "organizations", "name", "Northwind Traders").await["id"].clone();
    pipedrive(&w, "POST", "/entities/deals", json!({ "title": "Northwind phase 2", "value": 3000, "status": "won", "org_id": northwind })).await;
    pipedrive(
        &w,
        "POST",
        "/entities/deals",
        json!({ "title": "Initech pitch", "value": 900, "status": "open" }),
    )
    .await;
    w.clock.set(T0 + 2 * HOUR);
    sync_account(&w, &account).await;

    assert_eq!(
        count(&w.crm, "clients").await,
        clients + 1,
        "Globex is new; Northwind is not made twice"
    );
    assert_eq!(
        scalar(&w, "SELECT cl.name FROM deals d JOIN clients cl ON cl.id = d.client_id WHERE d.title = 'Northwind phase 2'").await,
        "Northwind Traders",
        "a linked customer's new won deal lands on its client"
    );
    assert_eq!(
        scalar(&w, "SELECT cl.name || ' / ' || c.name FROM contacts c JOIN clients cl ON cl.id = c.client_id WHERE c.name = 'Hank Scorpio'").await,
        "Globex / Hank Scorpio"
    );
    assert_eq!(
        scalar(
            &w,
            "SELECT CAST(count(*) AS TEXT) FROM deals WHERE title = 'Initech pitch'"
        )
        .await,
        "0",
        "an open deal is not a customer"
    );
    let links = scalar(
        &w,
        "SELECT CAST(count(*) AS TEXT) FROM external_links WHERE role = 'crm_record'",
    )
    .await;
    w.clock.set(T0 + 3 * HOUR);
    sync_account(&w, &account).await;
    assert_eq!(
        scalar(
            &w,
            "SELECT CAST(count(*) AS TEXT) FROM external_links WHERE role = 'crm_record'"
        )
        .await,
        links,
        "the next sync links nothing twice"
    );
    assert_eq!(
        count(&w.crm, "clients").await,
        clients + 1,
        "nor makes anything twice"
    );
}

#[tokio::test]
async fn each_kind_syncs_only_the_way_the_user_chose() {
    let w = text_world().await;
    let account = connected(&w).await;
    w.sync
        .crm_import(&ImportDecision {
            account_id: account.id,
            remote_wins: vec![],
        })
        .await
        .unwrap();
    let mut directions = Directions::default();
    directions.set(RecordKind::Person, SyncDirection::Pull);
    directions.set(RecordKind::Deal, SyncDirection::Off);
    let saved = w
        .sync
        .set_crm_sync_settings(&CrmSyncSettings {
            account_id: account.id,
            directions,
            ..CrmSyncSettings::default()
        })
        .await
        .unwrap();
    assert_eq!(saved.directions, directions, "the directions are kept");
    assert_eq!(
        w.sync
            .crm_sync_settings(account.id)
            .await
            .unwrap()
            .directions,
        directions
    );

    // Pipedrive: Nancy's title and the retainer's value change; Cremmy: Ravi's title and the
    // audit's title change.
    let nancy = at_pipedrive(&w, "persons", "name", "Nancy Davolio").await;
    let retainer = at_pipedrive(&w, "deals", "title", "Northwind retainer 2026").await;
    pipedrive(&w, "POST", "", json!({ "now": T0 + HOUR })).await;
    pipedrive(
        &w,
        "PATCH",
        &format!("/entities/persons/{}", nancy["id"]),
        json!({ "job_title": "COO" }),
    )
    .await;
    pipedrive(
        &w,
        "PATCH",
        &format!("/entities/deals/{}", retainer["id"]),
        json!({ "value": 13000 }),
    )
    .await;
    w.clock.set(T0 + 2 * HOUR);
    for sql in [
        "UPDATE contacts SET title = 'Finance lead' WHERE name = 'Ravi Patel'",
        "UPDATE deals SET title = 'Fabrikam audit (signed)' WHERE title = 'Fabrikam audit'",
    ] {
        sqlx::query(sql)
            .execute(w.crm.database().pool())
            .await
            .unwrap();
    }
    sqlx::query("UPDATE contacts SET updated_at = ? WHERE name = 'Ravi Patel'")
        .bind(T0 + 2 * HOUR)
        .execute(w.crm.database().pool())
        .await
        .unwrap();
    sqlx::query("UPDATE deals SET updated_at = ? WHERE title = 'Fabrikam audit (signed)'")
        .bind(T0 + 2 * HOUR)
        .execute(w.crm.database().pool())
        .await
        .unwrap();
    let before = patches(&w).await;
    w.clock.set(T0 + 3 * HOUR);
    sync_account(&w, &account).await;

    assert_eq!(
        scalar(
            &w,
            "SELECT title FROM contacts WHERE name = 'Nancy Davolio'"
        )
        .await,
        "COO",
        "contacts are pulled"
    );
    assert_eq!(
        patches(&w).await,
        before,
        "nothing is pushed: contacts pull only, deals are off"
    );
    assert_eq!(
        at_pipedrive(&w, "persons", "name", "Ravi Patel").await["job_title"],
        Value::Null,
        "Ravi's title stays Cremmy's"
    );
    assert_eq!(
        scalar(
            &w,
            "SELECT CAST(value_minor AS TEXT) FROM deals WHERE title = 'Northwind retainer 2026'"
        )
        .await,
        "1200000",
        "deals are off: Pipedrive's new value stays there"
    );
    let logged = patches(&w).await;
    w.clock.set(T0 + 4 * HOUR);
    sync_account(&w, &account).await;
    assert_eq!(
        patches(&w).await,
        logged,
        "the next sync drops the same changes again, writing nothing"
    );
    assert_eq!(
        scalar(&w, "SELECT title FROM contacts WHERE name = 'Ravi Patel'").await,
        "Finance lead"
    );

    // Both ways again: what did not travel while it could not is caught up.
    w.sync
        .set_crm_sync_settings(&CrmSyncSettings {
            account_id: account.id,
            ..CrmSyncSettings::default()
        })
        .await
        .unwrap();
    w.clock.set(T0 + 5 * HOUR);
    sync_account(&w, &account).await;
    assert_eq!(
        scalar(
            &w,
            "SELECT CAST(value_minor AS TEXT) FROM deals WHERE title = 'Northwind retainer 2026'"
        )
        .await,
        "1300000",
        "Pipedrive's value made while deals were off came in"
    );
    assert_eq!(
        at_pipedrive(&w, "persons", "name", "Ravi Patel").await["job_title"],
        "Finance lead",
        "Cremmy's title made while contacts were pull-only went out"
    );
    at_pipedrive(&w, "deals", "title", "Fabrikam audit (signed)").await;
}
