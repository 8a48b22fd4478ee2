//! Lead ingest from a "Leads" sheet: the pure plan as a table, then the whole path against the
//! provider sandbox (google-sheets4), including a failed status write that must not import twice.

use std::collections::HashSet;

use cremmy_core::features::leads::{plan, relocate, LeadSheetError};
use cremmy_core::features::pipeline_export::{CellBlock, SheetCell, SpreadsheetSink};
use cremmy_core::providers::google::file_id_from_link;
use cremmy_core::providers::google::sheets::GoogleSheets;
use cremmy_core::providers::google::Google;
use cremmy_protocol::accounts::Feature;
use cremmy_protocol::sync::{LeadSheet, SyncRunStatus};
use serde_json::json;

use crate::accounts_support::connect;
use crate::mail_sync::{mail_world, post, requests, sync_once, MailWorld};
use crate::support::{client, contact};

fn rows(text: &[&[&str]]) -> Vec<Vec<String>> {
    text.iter()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

#[test]
fn the_plan_decides_every_row_once() {
    let sheet = rows(&[
        &["Name", "Company", "E-mail", "Phone"],
        &[
            "Ada Lovelace",
            "Analytical Ltd",
            "ADA@analytical.example",
            "+44 20 7946 0000",
        ],
        &["", "", "", ""],
        &["Bob", "", "not-an-email", ""],
        &["Ada again", "", "ada@analytical.example", ""],
        &["Known", "", "known@client.example", ""],
        &["Crashed", "", "crashed@lead.example", ""],
        &["", "", "solo@lead.example", ""],
    ]);
    let known: HashSet<String> = [
        "known@client.example".to_string(),
        "crashed@lead.example".to_string(),
    ]
    .into();
    let imported: HashSet<String> = ["crashed@lead.example".to_string()].into();
    let p = plan(&sheet, &known, &imported).unwrap();
    assert_eq!(
        (p.status_column, p.add_status_header),
        (4, true),
        "a Status column is added after the last"
    );
    let statuses: Vec<(usize, &str)> = p.statuses.iter().map(|(r, s)| (*r, s.as_str())).collect();
    assert_eq!(statuses[0], (1, "Imported"));
    assert!(
        statuses[1].0 == 3
            && statuses[1].1.starts_with("Error: ")
            && statuses[1].1.contains("not-an-email"),
        "{:?}",
        statuses[1]
    );
    assert_eq!(
        &statuses[2..],
        [
            (4, "Duplicate of row 2"),
            (5, "Already in Cremmy"),
            (6, "Imported"),
            (7, "Imported")
        ]
    );
    let imports: Vec<(&str, &str, &str)> = p
        .imports
        .iter()
        .map(|l| {
            (
                l.email.as_str(),
                l.contact_name.as_str(),
                l.client_name.as_str(),
            )
        })
        .collect();
    assert_eq!(
        imports,
        [
            ("ada@analytical.example", "Ada Lovelace", "Analytical Ltd"),
            ("solo@lead.example", "solo", "solo")
        ],
        "the crashed row is only re-marked; a row without names is named after its address"
    );
    assert_eq!(p.imports[0].phone.as_deref(), Some("+44 20 7946 0000"));

    // Rows with a status are left alone; an existing Status column is reused.
    let again = rows(&[
        &["Email", "Status"],
        &["ada@analytical.example", "Imported"],
        &["new@lead.example", ""],
    ]);
    let p = plan(&again, &HashSet::new(), &HashSet::new()).unwrap();
    assert_eq!(
        (p.status_column, p.add_status_header, p.untouched),
        (1, false, 1)
    );
    assert_eq!(p.statuses, [(2, "Imported".to_string())]);
    assert_eq!(
        plan(
            &rows(&[&["Name", "Phone"]]),
            &HashSet::new(),
            &HashSet::new()
        ),
        Err(LeadSheetError::NoEmailColumn)
    );

    assert_eq!(
        file_id_from_link("https://docs.google.com/spreadsheets/d/1AbC-dEf_0123456789/edit#gid=0")
            .as_deref(),
        Some("1AbC-dEf_0123456789")
    );
    assert_eq!(
        file_id_from_link(" 1AbC-dEf_0123456789 ").as_deref(),
        Some("1AbC-dEf_0123456789")
    );
    assert_eq!(file_id_from_link("https://example.com/x"), None);
}

/// A "Leads" spreadsheet in the sandbox with these rows, made through the Sheets API.
async fn leads_spreadsheet(w: &MailWorld, account_id: i64, content: &[&[&str]]) -> String {
    leads_spreadsheet_sized(w, account_id, content, 6).await
}

/// The same, on a grid exactly `columns` wide.
async fn leads_spreadsheet_sized(
    w: &MailWorld,
    account_id: i64,
    content: &[&[&str]],
    columns: u32,
) -> String {
    let base = w.t.sandbox.base_url();
    let endpoints = cremmy_core::endpoints::Endpoints::from_lookup(|k| {
        (k == "CREMMY_GOOGLE_BASE_URL").then(|| base.clone())
    });
    let google = Google::new(w.t.accounts.clone(), w.t.clock.clone(), &endpoints).unwrap();
    let session = google.session(account_id);
    let sink = GoogleSheets::new(&session);
    let grid = sink
        .create("Inbound leads", "Leads", 100, columns)
        .await
        .unwrap();
    let values: Vec<Vec<SheetCell>> = content
        .iter()
        .map(|r| r.iter().map(|c| SheetCell::Text(c.to_string())).collect())
        .collect();
    let block = CellBlock::from_top("Leads", content.len() as u32, 4);
    sink.write(&grid, &block, values).await.unwrap();
    grid.spreadsheet_id
}

fn sheet_rows(w: &MailWorld, id: &str) -> Vec<Vec<String>> {
    let world = w.t.sandbox.shared.lock();
    world.google.spreadsheets[id].sheets[0]
        .rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|v| {
                    v.as_str().map(str::to_string).unwrap_or_else(|| {
                        if v.is_null() {
                            String::new()
                        } else {
                            v.to_string()
                        }
                    })
                })
                .collect()
        })
        .filter(|r: &Vec<String>| r.iter().any(|c| !c.is_empty()))
        .collect()
}

async fn count(w: &MailWorld, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(w.t.db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn new_leads_become_clients_once_and_every_row_is_marked() {
    let w = mail_world().await;
    let known = client(&w.crm, "Known Client").await;
    contact(&w.crm, known.id, "Kim Known", &["kim@known.example"]).await;
    let account = connect(&w.t, &[Feature::Sheets]).await;
    let id = leads_spreadsheet(
        &w,
        account.id,
        &[
            &["Name", "Company", "Email", "Phone"],
            &[
                "Ada Lovelace",
                "Analytical Ltd",
                "ada@analytical.example",
                "+44 20 7946 0000",
            ],
            &["Kim", "", "kim@known.example", ""],
            &["Bob", "Bob's Bakery", "bob(at)bakery", ""],
            &["Grace Hopper", "", "grace@navy.example", ""],
        ],
    )
    .await;
    let saved = w
        .sync
        .set_lead_sheet(&LeadSheet {
            spreadsheet: format!("https://docs.google.com/spreadsheets/d/{id}/edit"),
            sheet: String::new(),
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (saved.spreadsheet.as_str(), saved.sheet.as_str()),
        (id.as_str(), "Leads")
    );
    let writes_before = requests(&w, |m, p| m != "GET" && p.contains("/values")).len();

    let run = sync_once(&w, false).await;
    assert_eq!(
        (run.integration.as_str(), run.kind.as_str(), run.status),
        ("sheets", "leads", SyncRunStatus::Ok)
    );
    assert_eq!(
        (run.fetched, run.created, run.skipped),
        (4, 2, 2),
        "{run:?}"
    );
    assert_eq!(
        count(&w, "SELECT count(*) FROM clients").await,
        3,
        "Ada's and Grace's clients are new"
    );
    assert_eq!(
        count(
            &w,
            "SELECT count(*) FROM deals d JOIN stages s ON s.id = d.stage_id WHERE s.name = 'Lead'"
        )
        .await,
        2,
        "each new lead is a deal in Lead"
    );
    assert_eq!(count(&w, "SELECT count(*) FROM contact_phones").await, 1);
    let marked = sheet_rows(&w, &id);
    assert_eq!(marked[0][4], "Status");
    assert_eq!(marked[1][4], "Imported");
    assert_eq!(marked[2][4], "Already in Cremmy");
    assert!(
        marked[3][4].starts_with("Error: ") && marked[3][4].contains("bob(at)bakery"),
        "{:?}",
        marked[3]
    );
    assert_eq!(marked[4][4], "Imported");
    assert_eq!(
        requests(&w, |m, p| m != "GET" && p.contains("/values")).len() - writes_before,
        1,
        "all statuses in one batch write"
    );

    // Nothing new: nothing imported, nothing written.
    let again = sync_once(&w, false).await;
    assert_eq!((again.created, again.status), (0, SyncRunStatus::Ok));
    assert_eq!(
        requests(&w, |m, p| m != "GET" && p.contains("/values")).len() - writes_before,
        1
    );
    assert_eq!(count(&w, "SELECT count(*) FROM clients").await, 3);
}

#[tokio::test]
async fn a_failed_status_write_does_not_import_twice() {
    let w = mail_world().await;
    let account = connect(&w.t, &[Feature::Sheets]).await;
    let id = leads_spreadsheet(
        &w,
        account.id,
        &[&["Email", "Name"], &["ada@analytical.example", "Ada"]],
    )
    .await;
    w.sync
        .set_lead_sheet(&LeadSheet {
            spreadsheet: id.clone(),
            sheet: "Leads".into(),
        })
        .await
        .unwrap();
    post(
        &w,
        "faults",
        json!({ "rules": [ { "path": "values:batchUpdate", "times": 1, "fault": { "kind": "status", "status": 403, "reason": "forbidden" } } ] }),
    )
    .await;
    let failed = sync_once(&w, false).await;
    assert_eq!(failed.status, SyncRunStatus::Failed, "{failed:?}");
    assert_eq!(
        count(&w, "SELECT count(*) FROM clients").await,
        1,
        "the import itself was committed"
    );
    let cleared = crate::accounts_support::http()
        .delete(format!("{}_sandbox/faults", w.t.sandbox.base_url()))
        .send()
        .await
        .unwrap();
    assert!(cleared.status().is_success());
    let healed = sync_once(&w, false).await;
    assert_eq!(
        (healed.status, healed.created),
        (SyncRunStatus::Ok, 0),
        "{healed:?}"
    );
    assert_eq!(
        count(&w, "SELECT count(*) FROM clients").await,
        1,
        "not imported twice"
    );
    assert_eq!(
        sheet_rows(&w, &id)[1][2],
        "Imported",
        "the row is marked after all"
    );
}

#[test]
fn lead_rows_pass_the_same_validators_as_forms_and_csv() {
    let long_company = "C".repeat(250);
    let sheet = rows(&[
        &["Email", "Name", "Company", "Phone"],
        &["ok@lead.example", "Olive Ok", "Ok Ltd", "+1 555 0100"],
        &["ctrl@lead.example", "Eve\u{7}Bell", "Bell Co", ""],
        &["long@lead.example", "Lon Gname", &long_company, ""],
        &[
            "phone@lead.example",
            "Pat Phone",
            "Phone Co",
            "call me maybe",
        ],
    ]);
    let p = plan(&sheet, &HashSet::new(), &HashSet::new()).unwrap();
    let statuses: Vec<(usize, String)> = p.statuses.clone();
    assert_eq!(statuses[0], (1, "Imported".to_string()));
    let errors: Vec<&str> = statuses[1..].iter().map(|(_, s)| s.as_str()).collect();
    assert!(
        errors[0].starts_with("Error: name") && errors[0].contains("single line"),
        "a control character in a name: {errors:?}"
    );
    assert!(
        errors[1].starts_with("Error: company") && errors[1].contains("longer than"),
        "a company name over the limit: {errors:?}"
    );
    assert!(
        errors[2].starts_with("Error: phone"),
        "a phone that is not a number: {errors:?}"
    );
    assert_eq!(
        p.imports
            .iter()
            .map(|l| l.email.as_str())
            .collect::<Vec<_>>(),
        ["ok@lead.example"],
        "only the valid row is imported"
    );
}

/// A sheet whose grid is exactly as wide as its header (a new Google sheet has 26 columns and may
/// use them all): reading must not ask past the grid, and the Status column needs the grid grown
/// first. Google answers both mistakes 400 "exceeds grid limits".
#[tokio::test]
async fn a_sheet_with_no_spare_column_is_read_and_grown_for_its_statuses() {
    let w = mail_world().await;
    let account = connect(&w.t, &[Feature::Sheets]).await;
    let id = leads_spreadsheet_sized(
        &w,
        account.id,
        &[
            &["Name", "Company", "Email", "Phone"],
            &[
                "Ada Lovelace",
                "Analytical Ltd",
                "ada@analytical.example",
                "",
            ],
        ],
        4,
    )
    .await;
    w.sync
        .set_lead_sheet(&LeadSheet {
            spreadsheet: id.clone(),
            sheet: "Leads".into(),
        })
        .await
        .unwrap();
    let run = sync_once(&w, false).await;
    assert_eq!(
        (run.status, run.created),
        (SyncRunStatus::Ok, 1),
        "the lead is imported: {run:?}"
    );
    let columns = w.t.sandbox.shared.lock().google.spreadsheets[&id].sheets[0].column_count;
    assert_eq!(columns, 5, "the grid grew by the one Status column");
    let marked = sheet_rows(&w, &id);
    assert_eq!(
        (marked[0][4].as_str(), marked[1][4].as_str()),
        ("Status", "Imported")
    );
}

#[test]
fn statuses_follow_their_rows_when_the_sheet_changes_between_read_and_write() {
    let header: &[&str] = &["Name", "Email"];
    let read = rows(&[
        header,
        &["Ada", "ada@x.example"],
        &["Bob", "bob@x.example"],
        &["Cy", "cy@x.example"],
    ]);
    let p = plan(&read, &HashSet::new(), &HashSet::new()).unwrap();
    assert_eq!(p.statuses.len(), 3);
    let placed = |now: &[&[&str]]| relocate(&p, &read, &rows(now));
    let imported = |r: usize| (r, "Imported".to_string());
    let cases: Vec<(&str, Vec<(usize, String)>, Vec<(usize, String)>)> = vec![
        (
            "unchanged: each status on its row",
            placed(&[
                header,
                &["Ada", "ada@x.example"],
                &["Bob", "bob@x.example"],
                &["Cy", "cy@x.example"],
            ]),
            vec![imported(1), imported(2), imported(3)],
        ),
        (
            "sorted Z to A: the statuses move with their rows",
            placed(&[
                header,
                &["Cy", "cy@x.example"],
                &["Bob", "bob@x.example"],
                &["Ada", "ada@x.example"],
            ]),
            vec![imported(3), imported(2), imported(1)],
        ),
        (
            "a row inserted above: the rest shift down",
            placed(&[
                header,
                &["New", "new@x.example"],
                &["Ada", "ada@x.example"],
                &["Bob", "bob@x.example"],
                &["Cy", "cy@x.example"],
            ]),
            vec![imported(2), imported(3), imported(4)],
        ),
        (
            "Bob's row deleted: no status lands on Cy's row for him",
            placed(&[header, &["Ada", "ada@x.example"], &["Cy", "cy@x.example"]]),
            vec![imported(1), imported(2)],
        ),
        (
            "the columns were rearranged: nothing is written this run",
            placed(&[&["Email", "Name"], &["ada@x.example", "Ada"]]),
            vec![],
        ),
    ];
    for (why, got, expected) in cases {
        assert_eq!(got, expected, "{why}");
    }
}
