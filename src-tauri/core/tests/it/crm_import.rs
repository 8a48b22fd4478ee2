//! CRM sync's first import (issue 22): the planner's table (new, merge, conflict, linked), and
//! against the provider sandbox's HubSpot (which follows HubSpot's pages), through the runner
//! the window uses: connecting with a token (nothing stored when refused), the preview of the
//! won customers, the import with a conflict decided, a second import changing nothing, an
//! import that fails midway writing nothing, and a pull past search's 10,000-result window.

use std::collections::HashMap;

use cremmy_core::features::crm_sync::preview::{plan, LocalBook, LocalClient, LocalContact};
use cremmy_core::features::crm_sync::{Customers, RemoteCompany, RemoteDeal, RemotePerson};
use cremmy_core::HasErrorCode;
use cremmy_protocol::accounts::{Account, Feature};
use cremmy_protocol::crm::ClientInput;
use cremmy_protocol::crm_sync::{ImportAction, ImportDecision, ImportPreview, RecordKind};
use cremmy_protocol::{ErrorCode, Provider};
use serde_json::{json, Value};

use crate::crm_support::sandbox_control;
use crate::support::{contact, count};
use crate::texting::{text_world, TextWorld};

const TOKEN: &str = cremmy_sandbox::hubspot::SANDBOX_TOKEN;

fn company(id: &str, name: &str, domain: &str) -> RemoteCompany {
    RemoteCompany {
        remote_id: id.into(),
        name: name.into(),
        domain: domain.into(),
        website: String::new(),
        modified: 1,
    }
}

fn person(id: &str, name: &str, email: &str, company: Option<&str>) -> RemotePerson {
    RemotePerson {
        remote_id: id.into(),
        name: name.into(),
        email: Some(email.into()),
        phone: None,
        title: String::new(),
        company: company.map(str::to_string),
        modified: 1,
    }
}

fn deal(id: &str) -> RemoteDeal {
    RemoteDeal {
        remote_id: id.into(),
        title: "Retainer".into(),
        value_minor: 450_050,
        currency: "GBP".into(),
        won: true,
        closed_at: None,
        company: None,
        people: vec![],
        modified: 1,
    }
}

#[test]
fn the_preview_matches_by_link_then_email_then_domain() {
    let local = LocalBook {
        clients: vec![
            LocalClient {
                id: 1,
                name: "Acme".into(),
                domain: "acme.example".into(),
                website: String::new(),
            },
            LocalClient {
                id: 2,
                name: "Globex Corporation".into(),
                domain: "globex.example".into(),
                website: String::new(),
            },
            LocalClient {
                id: 3,
                name: "Linked Ltd".into(),
                domain: String::new(),
                website: String::new(),
            },
        ],
        contacts: vec![LocalContact {
            id: 10,
            client_id: 2,
            name: "Hank Scorpio".into(),
            title: String::new(),
            emails: vec!["hank@globex.example".into()],
        }],
        links: HashMap::from([("companies/9".to_string(), 3)]),
    };
    let remote = Customers {
        companies: vec![
            company("companies/1", "ACME", "acme.example"),
            // Matched through its person's email, although its domain is another.
            company("companies/2", "Globex", "globex.com"),
            company("companies/3", "Initech", "initech.example"),
            company("companies/9", "Linked Ltd (renamed)", ""),
        ],
        people: vec![
            person(
                "contacts/1",
                "Hank Scorpio",
                "hank@globex.example",
                Some("companies/2"),
            ),
            person(
                "contacts/2",
                "Peter Gibbons",
                "peter@initech.example",
                Some("companies/3"),
            ),
        ],
        deals: vec![deal("deals/1")],
    };
    let rows = plan(&local, &remote);
    let table: Vec<(&str, ImportAction, Option<i64>, usize)> = rows
        .iter()
        .map(|r| {
            (
                r.remote_id.as_str(),
                r.action,
                r.local_id,
                r.differences.len(),
            )
        })
        .collect();
    assert_eq!(
        table,
        vec![
            ("companies/1", ImportAction::Merge, Some(1), 0),
            ("companies/2", ImportAction::Conflict, Some(2), 1),
            ("companies/3", ImportAction::New, None, 0),
            ("companies/9", ImportAction::Linked, Some(3), 0),
            ("contacts/1", ImportAction::Merge, Some(10), 0),
            ("contacts/2", ImportAction::New, None, 0),
            ("deals/1", ImportAction::New, None, 0),
        ],
        "same name in another case merges; a different name is a conflict; a link wins over any match"
    );
    let conflict = &rows[1].differences[0];
    assert_eq!(
        (
            conflict.field.as_str(),
            conflict.cremmy.as_str(),
            conflict.remote.as_str()
        ),
        ("name", "Globex Corporation", "Globex")
    );
    assert_eq!(rows[6].detail, "GBP 4,500.50", "a deal shows its value");
}

async fn hubspot(w: &TextWorld, path: &str, body: Value) -> Value {
    sandbox_control(w, "POST", &format!("hubspot{path}"), body).await
}

async fn connected(w: &TextWorld) -> Account {
    w.sync
        .connect_crm(Provider::Hubspot, TOKEN)
        .await
        .expect("the sandbox's token connects")
}

fn row<'a>(p: &'a ImportPreview, name: &str) -> &'a cremmy_protocol::crm_sync::ImportRow {
    p.rows
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no row {name}: {:#?}", p.rows))
}

#[tokio::test]
async fn connecting_checks_the_token_and_stores_nothing_when_refused() {
    let w = text_world().await;
    let refused = w
        .sync
        .connect_crm(Provider::Hubspot, "pat-na1-11111111-not-the-token-0000")
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::InvalidInput, "{refused}");
    assert!(
        w.accounts.list().await.unwrap().is_empty(),
        "a refused token stores nothing"
    );
    let garbage = w
        .sync
        .connect_crm(Provider::Hubspot, "short")
        .await
        .unwrap_err();
    assert!(
        garbage.to_string().contains("pat-"),
        "the error says what to paste: {garbage}"
    );

    let account = connected(&w).await;
    assert_eq!(
        account.email, "HubSpot account 24680135",
        "named by the Hub ID"
    );
    assert!(account.features.contains(&Feature::CrmSync));
}

#[tokio::test]
async fn the_first_import_previews_then_writes_the_won_customers_once() {
    let w = text_world().await;
    // Cremmy already knows Northwind under a shorter name, and Ravi at Fabrikam.
    w.crm
        .create_client(&ClientInput {
            name: "Northwind".into(),
            website: "https://northwind.example".into(),
            ..ClientInput::default()
        })
        .await
        .unwrap();
    let fabrikam = crate::support::client(&w.crm, "Fabrikam Ltd").await;
    contact(
        &w.crm,
        fabrikam.id,
        "Ravi Patel",
        &["ravi@fabrikam.example"],
    )
    .await;
    let account = connected(&w).await;

    let clients_before = count(&w.crm, "clients").await;
    let preview = w.sync.crm_import_preview(account.id).await.unwrap();
    assert_eq!(
        count(&w.crm, "clients").await,
        clients_before,
        "a preview writes nothing"
    );
    assert_eq!(preview.profile.currency, "GBP");
    let northwind = row(&preview, "Northwind Traders");
    assert_eq!(
        northwind.action,
        ImportAction::Conflict,
        "matched by domain, named differently"
    );
    assert_eq!(
        row(&preview, "Fabrikam Ltd").action,
        ImportAction::Merge,
        "matched through Ravi's email"
    );
    assert_eq!(row(&preview, "Ravi Patel").action, ImportAction::Merge);
    assert_eq!(row(&preview, "Nancy Davolio").action, ImportAction::New);
    assert_eq!(
        row(&preview, "Mia Solo").action,
        ImportAction::New,
        "a won customer without a company"
    );
    assert!(
        preview
            .rows
            .iter()
            .all(|r| r.name != "Contoso discovery" && r.name != "Fabrikam phase 2"),
        "open and lost deals are not customers"
    );
    assert_eq!(
        preview
            .rows
            .iter()
            .filter(|r| r.kind == RecordKind::Deal)
            .count(),
        3
    );

    let report = w
        .sync
        .crm_import(&ImportDecision {
            account_id: account.id,
            remote_wins: vec![northwind.remote_id.clone()],
        })
        .await
        .unwrap();
    assert_eq!(
        (report.created, report.merged, report.unchanged),
        (5, 3, 0),
        "Nancy, Mia and three deals made; two clients and Ravi merged"
    );
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM clients ORDER BY name")
        .fetch_all(w.crm.database().pool())
        .await
        .unwrap();
    assert_eq!(
        names,
        vec!["Fabrikam Ltd", "Mia Solo", "Northwind Traders"],
        "the remote name won where chosen; Mia became an individual client"
    );
    let nancy_client: String = sqlx::query_scalar(
        "SELECT cl.name FROM contacts c JOIN clients cl ON cl.id = c.client_id WHERE c.name = 'Nancy Davolio'",
    )
    .fetch_one(w.crm.database().pool())
    .await
    .unwrap();
    assert_eq!(
        nancy_client, "Northwind Traders",
        "a new person joins their company's client"
    );
    let won: Vec<(String, i64, String)> = sqlx::query_as(
        "SELECT d.title, d.value_minor, s.kind FROM deals d JOIN stages s ON s.id = d.stage_id ORDER BY d.title",
    )
    .fetch_all(w.crm.database().pool())
    .await
    .unwrap();
    assert_eq!(
        won[0],
        ("Fabrikam audit".into(), 450_050, "won".into()),
        "amounts in minor units, in the won stage"
    );
    assert_eq!(
        count(&w.crm, "external_links").await,
        8,
        "every imported record is linked"
    );

    // Again: everything is linked, nothing changes.
    let again = w.sync.crm_import_preview(account.id).await.unwrap();
    assert!(
        again.rows.iter().all(|r| r.action == ImportAction::Linked),
        "{:#?}",
        again.rows
    );
    let before = (
        count(&w.crm, "clients").await,
        count(&w.crm, "contacts").await,
        count(&w.crm, "deals").await,
    );
    let report = w
        .sync
        .crm_import(&ImportDecision {
            account_id: account.id,
            remote_wins: vec![],
        })
        .await
        .unwrap();
    assert_eq!((report.created, report.merged, report.unchanged), (0, 0, 8));
    let after = (
        count(&w.crm, "clients").await,
        count(&w.crm, "contacts").await,
        count(&w.crm, "deals").await,
    );
    assert_eq!(before, after, "a second import duplicates nothing");
}

#[tokio::test]
async fn an_import_that_fails_midway_writes_nothing_and_says_why() {
    let w = text_world().await;
    let account = connected(&w).await;
    let r = crate::accounts_support::http()
        .post(format!("{}_sandbox/faults", w.sandbox.base_url()))
        .json(&json!({ "rules": [{ "path": "/contacts/batch/read", "fault": { "kind": "status", "status": 403 } }] }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let err = w
        .sync
        .crm_import(&ImportDecision {
            account_id: account.id,
            remote_wins: vec![],
        })
        .await
        .unwrap_err();
    assert!(!err.is_retryable(), "a refused scope is not retried: {err}");
    assert_eq!(count(&w.crm, "clients").await, 0, "nothing partial: {err}");
    assert_eq!(count(&w.crm, "external_links").await, 0);
}

#[tokio::test]
async fn a_pull_past_ten_thousand_won_deals_restarts_the_search_window() {
    let w = text_world().await;
    hubspot(&w, "/generate", json!({ "won_customers": 10_050 })).await;
    let account = connected(&w).await;
    let report = w
        .sync
        .crm_import(&ImportDecision {
            account_id: account.id,
            remote_wins: vec![],
        })
        .await
        .unwrap();
    assert_eq!(
        count(&w.crm, "deals").await,
        10_053,
        "every won deal, past the 10,000-result cap: {report:?}"
    );
    assert_eq!(
        count(&w.crm, "clients").await,
        10_053,
        "10,050 companies, two seeded, and one individual"
    );
    let log: Value = crate::accounts_support::http()
        .get(format!("{}_sandbox/log", w.sandbox.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bad = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"].as_u64() == Some(400))
        .count();
    assert_eq!(bad, 0, "no search asked past the cap");
}
