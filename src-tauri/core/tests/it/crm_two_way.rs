//! Two-way CRM sync (issue 22): the field-by-field reconciler's table, and against the provider
//! sandbox's HubSpot after a first import: an edit at HubSpot reaches Cremmy and an edit in
//! Cremmy reaches HubSpot on the next sync, a second sync changes nothing and writes nothing,
//! and a field changed on both sides is resolved by the connection's rule and logged with both
//! values.

use cremmy_core::features::crm_sync::fields;
use cremmy_core::features::crm_sync::reconcile::{reconcile, restrict, rule_for, Side};
use cremmy_protocol::accounts::Account;
use cremmy_protocol::crm::ClientInput;
use cremmy_protocol::crm_sync::{
    ConflictRule, CrmSyncSettings, ImportDecision, RecordKind, SyncDirection,
};
use cremmy_protocol::Provider;
use serde_json::{json, Value};

use crate::crm_support::{logged_requests, sandbox_control, scalar, sync_account};
use crate::support::T0;
use crate::texting::{text_world, TextWorld};

const HOUR: i64 = 3_600_000;

fn side(name: &str, modified: i64) -> Side {
    Side {
        fields: fields(&[("name", name)]),
        modified,
    }
}

#[test]
fn each_field_goes_from_the_side_that_changed_it() {
    use ConflictRule::*;
    // (base, cremmy, cremmy modified, remote, remote modified, rule) →
    // (to Cremmy, to the CRM, conflict won by the CRM)
    type Case = (
        Option<&'static str>,
        &'static str,
        i64,
        &'static str,
        i64,
        ConflictRule,
    );
    let cases: [(Case, (Option<&str>, Option<&str>, Option<bool>)); 9] = [
        (
            (Some("A"), "A", 1, "A", 1, LastWriterWins),
            (None, None, None),
        ),
        (
            (Some("A"), "A", 1, "B", 2, LastWriterWins),
            (Some("B"), None, None),
        ),
        (
            (Some("A"), "B", 2, "A", 1, LastWriterWins),
            (None, Some("B"), None),
        ),
        (
            (Some("A"), "B", 2, "B", 3, LastWriterWins),
            (None, None, None),
        ),
        (
            (Some("A"), "B", 2, "C", 3, LastWriterWins),
            (Some("C"), None, Some(true)),
        ),
        (
            (Some("A"), "B", 3, "C", 2, LastWriterWins),
            (None, Some("B"), Some(false)),
        ),
        (
            (Some("A"), "B", 2, "C", 3, CremmyWins),
            (None, Some("B"), Some(false)),
        ),
        (
            (Some("A"), "B", 3, "C", 2, RemoteWins),
            (Some("C"), None, Some(true)),
        ),
        (
            (None, "B", 3, "C", 2, LastWriterWins),
            (None, Some("B"), Some(false)),
        ),
    ];
    for ((base, mine, mine_at, theirs, theirs_at, rule), (to_cremmy, to_remote, remote_won)) in
        cases
    {
        let base = base.map(|b| fields(&[("name", b)])).unwrap_or_default();
        let out = reconcile(&base, &side(mine, mine_at), &side(theirs, theirs_at), rule);
        let case =
            format!("base {base:?}, Cremmy {mine}@{mine_at}, CRM {theirs}@{theirs_at}, {rule:?}");
        assert_eq!(
            out.to_cremmy.get("name").map(String::as_str),
            to_cremmy,
            "to Cremmy: {case}"
        );
        assert_eq!(
            out.to_remote.get("name").map(String::as_str),
            to_remote,
            "to the CRM: {case}"
        );
        assert_eq!(
            out.conflicts.first().map(|c| c.remote_won),
            remote_won,
            "conflict: {case}"
        );
        let agreed = to_cremmy.or(to_remote).unwrap_or(mine);
        assert_eq!(
            out.base["name"], agreed,
            "the next base is what both hold: {case}"
        );
    }
}

#[test]
fn a_kind_synced_one_way_drops_the_other_way_and_keeps_its_base() {
    use SyncDirection::*;
    // (direction, Cremmy's name, the CRM's name) with base "A", Cremmy changed at 2, the CRM at 3
    // → (to Cremmy, to the CRM, next base)
    let cases: [(
        (SyncDirection, &str, &str),
        (Option<&str>, Option<&str>, &str),
    ); 8] = [
        ((Both, "A", "C"), (Some("C"), None, "C")),
        ((Pull, "A", "C"), (Some("C"), None, "C")),
        ((Push, "A", "C"), (None, None, "A")),
        ((Both, "B", "A"), (None, Some("B"), "B")),
        ((Pull, "B", "A"), (None, None, "A")),
        ((Push, "B", "A"), (None, Some("B"), "B")),
        ((Push, "B", "C"), (None, Some("B"), "B")),
        ((Pull, "B", "C"), (Some("C"), None, "C")),
    ];
    let base = fields(&[("name", "A")]);
    for ((direction, mine, theirs), (to_cremmy, to_remote, next)) in cases {
        let rule = rule_for(direction, ConflictRule::LastWriterWins);
        let out = restrict(
            reconcile(&base, &side(mine, 2), &side(theirs, 3), rule),
            &base,
            direction,
        );
        let case = format!("{direction:?}: Cremmy {mine}, CRM {theirs}");
        assert_eq!(
            out.to_cremmy.get("name").map(String::as_str),
            to_cremmy,
            "to Cremmy: {case}"
        );
        assert_eq!(
            out.to_remote.get("name").map(String::as_str),
            to_remote,
            "to the CRM: {case}"
        );
        assert_eq!(out.base["name"], next, "the next base: {case}");
    }
}

async fn hubspot(w: &TextWorld, method: &str, path: &str, body: Value) -> Value {
    sandbox_control(w, method, &format!("hubspot{path}"), body).await
}

/// HubSpot's record of `object_type` whose `property` is `value`.
async fn at_hubspot(w: &TextWorld, object_type: &str, property: &str, value: &str) -> Value {
    let snapshot = hubspot(w, "GET", "", json!({})).await;
    snapshot["records"][object_type]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["properties"][property] == value)
        .cloned()
        .unwrap_or_else(|| panic!("no {object_type} with {property} = {value}"))
}

async fn imported(w: &TextWorld) -> Account {
    hubspot(w, "POST", "", json!({ "now": T0 - HOUR })).await;
    let account = w
        .sync
        .connect_crm(Provider::Hubspot, cremmy_sandbox::hubspot::SANDBOX_TOKEN)
        .await
        .unwrap();
    w.sync
        .crm_import(&ImportDecision {
            account_id: account.id,
            remote_wins: vec![],
        })
        .await
        .unwrap();
    account
}

async fn batch_updates(w: &TextWorld) -> usize {
    logged_requests(w)
        .await
        .iter()
        .filter(|r| {
            r["path"]
                .as_str()
                .is_some_and(|p| p.ends_with("/batch/update"))
        })
        .count()
}

#[tokio::test]
async fn edits_on_either_side_reach_the_other_and_a_second_sync_changes_nothing() {
    let w = text_world().await;
    let account = imported(&w).await;

    // At HubSpot, Nancy gets a new title; in Cremmy, Fabrikam is renamed.
    let nancy = at_hubspot(&w, "contacts", "email", "nancy@northwind.example").await;
    hubspot(&w, "POST", "", json!({ "now": T0 + HOUR })).await;
    hubspot(
        &w,
        "PATCH",
        &format!("/records/contacts/{}", nancy["id"].as_str().unwrap()),
        json!({ "properties": { "jobtitle": "Chief Operating Officer" } }),
    )
    .await;
    w.clock.set(T0 + 2 * HOUR);
    let fabrikam_id: i64 = sqlx::query_scalar("SELECT id FROM clients WHERE name = 'Fabrikam Ltd'")
        .fetch_one(w.crm.database().pool())
        .await
        .unwrap();
    w.crm
        .update_client(
            fabrikam_id,
            &ClientInput {
                name: "Fabrikam Group".into(),
                ..ClientInput::default()
            },
        )
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
        "Chief Operating Officer",
        "HubSpot's edit reached Cremmy"
    );
    let company = at_hubspot(&w, "companies", "domain", "fabrikam.example").await;
    assert_eq!(
        company["properties"]["name"], "Fabrikam Group",
        "Cremmy's edit reached HubSpot"
    );

    let (updates, clients) = (
        batch_updates(&w).await,
        scalar(&w, "SELECT group_concat(name || updated_at) FROM clients").await,
    );
    w.clock.set(T0 + 4 * HOUR);
    sync_account(&w, &account).await;
    assert_eq!(
        batch_updates(&w).await,
        updates,
        "a second sync writes nothing at HubSpot"
    );
    assert_eq!(
        scalar(&w, "SELECT group_concat(name || updated_at) FROM clients").await,
        clients,
        "nor in Cremmy"
    );
    assert!(
        w.sync.crm_conflicts(account.id).await.unwrap().is_empty(),
        "no conflict where one side changed"
    );
}

#[tokio::test]
async fn a_field_changed_on_both_sides_follows_the_rule_and_is_logged_with_both_values() {
    let w = text_world().await;
    let account = imported(&w).await;
    let company = at_hubspot(&w, "companies", "domain", "northwind.example").await;
    let company_path = format!("/records/companies/{}", company["id"].as_str().unwrap());
    let client_id: i64 =
        sqlx::query_scalar("SELECT id FROM clients WHERE name = 'Northwind Traders'")
            .fetch_one(w.crm.database().pool())
            .await
            .unwrap();
    let rename_here = |name: &'static str| {
        let crm = w.crm.clone();
        async move {
            crm.update_client(
                client_id,
                &ClientInput {
                    name: name.into(),
                    ..ClientInput::default()
                },
            )
            .await
            .unwrap();
        }
    };

    // Last writer wins (the default): HubSpot's later edit wins.
    w.clock.set(T0 + HOUR);
    rename_here("Northwind (Cremmy)").await;
    hubspot(&w, "POST", "", json!({ "now": T0 + 2 * HOUR })).await;
    hubspot(
        &w,
        "PATCH",
        &company_path,
        json!({ "properties": { "name": "Northwind (HubSpot)" } }),
    )
    .await;
    w.clock.set(T0 + 3 * HOUR);
    sync_account(&w, &account).await;
    assert_eq!(
        scalar(
            &w,
            &format!("SELECT name FROM clients WHERE id = {client_id}")
        )
        .await,
        "Northwind (HubSpot)"
    );
    let logged = w.sync.crm_conflicts(account.id).await.unwrap();
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert_eq!(
        (logged[0].kind, logged[0].field.as_str()),
        (RecordKind::Company, "name")
    );
    assert_eq!(
        logged[0].name, "Northwind (HubSpot)",
        "listed by the client's name now"
    );
    assert_eq!(
        (
            logged[0].cremmy.as_str(),
            logged[0].remote.as_str(),
            logged[0].remote_won
        ),
        ("Northwind (Cremmy)", "Northwind (HubSpot)", true)
    );

    // "Cremmy wins": Cremmy's value goes to HubSpot although HubSpot's edit is later.
    w.sync
        .set_crm_sync_settings(&CrmSyncSettings {
            account_id: account.id,
            conflict_rule: ConflictRule::CremmyWins,
            ..CrmSyncSettings::default()
        })
        .await
        .unwrap();
    w.clock.set(T0 + 4 * HOUR);
    rename_here("Northwind Trading (Cremmy)").await;
    hubspot(&w, "POST", "", json!({ "now": T0 + 5 * HOUR })).await;
    hubspot(
        &w,
        "PATCH",
        &company_path,
        json!({ "properties": { "name": "Northwind Trading (HubSpot)" } }),
    )
    .await;
    w.clock.set(T0 + 6 * HOUR);
    sync_account(&w, &account).await;
    assert_eq!(
        at_hubspot(&w, "companies", "domain", "northwind.example").await["properties"]["name"],
        "Northwind Trading (Cremmy)",
        "Cremmy's name went to HubSpot"
    );
    let logged = w.sync.crm_conflicts(account.id).await.unwrap();
    assert_eq!(logged.len(), 2);
    assert!(
        !logged[0].remote_won,
        "the newest conflict was won by Cremmy: {logged:?}"
    );
}

#[tokio::test]
async fn a_deal_won_at_hubspot_after_the_import_brings_its_customer_in() {
    let w = text_world().await;
    let account = imported(&w).await;
    let clients = crate::support::count(&w.crm, "clients").await;
    hubspot(&w, "POST", "", json!({ "now": T0 + HOUR })).await;
    let globex = hubspot(
        &w,
        "POST",
        "/records/companies",
        json!({ "properties": { "name": "Globex", "domain": "globex.example" } }),
    )
    .await;
    let globex = globex["id"].as_str().unwrap().to_string();
    let hank = hubspot(
        &w,
        "POST",
        "/records/contacts",
        json!({ "properties": { "email": "hank@globex.example", "firstname": "Hank", "lastname": "Scorpio" }, "associations": [["companies", globex]] }),
    )
    .await;
    let hank = hank["id"].as_str().unwrap().to_string();
    hubspot(
        &w,
        "POST",
        "/records/deals",
        json!({
            "properties": { "dealname": "Globex launch", "amount": "7000", "dealstage": "closedwon", "pipeline": "default" },
            "associations": [["companies", globex], ["contacts", hank]],
        }),
    )
    .await;
    hubspot(
        &w,
        "POST",
        "/records/deals",
        json!({ "properties": { "dealname": "Initech pitch", "amount": "900", "dealstage": "appointmentscheduled", "pipeline": "default" } }),
    )
    .await;
    w.clock.set(T0 + 2 * HOUR);
    sync_account(&w, &account).await;
    assert_eq!(
        crate::support::count(&w.crm, "clients").await,
        clients + 1,
        "Globex came in"
    );
    assert_eq!(
        scalar(&w, "SELECT cl.name || ' / ' || c.name FROM contacts c JOIN clients cl ON cl.id = c.client_id WHERE c.name = 'Hank Scorpio'").await,
        "Globex / Hank Scorpio"
    );
    assert_eq!(
        scalar(&w, "SELECT CAST(count(*) AS TEXT) FROM deals WHERE title IN ('Globex launch', 'Initech pitch')").await,
        "1",
        "the won deal only"
    );
    w.clock.set(T0 + 3 * HOUR);
    sync_account(&w, &account).await;
    assert_eq!(
        crate::support::count(&w.crm, "clients").await,
        clients + 1,
        "nothing made twice"
    );
}
