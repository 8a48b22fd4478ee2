//! "Export to Sheets" against the provider sandbox through google-sheets4 and google-drive3.

use cremmy_core::crm::{Date, ScaleSpec};
use cremmy_core::features::pipeline_export::{plan_export, ExportPlan, Grid};
use cremmy_core::providers::google::a1::a1_range;
use cremmy_core::HasErrorCode;
use cremmy_protocol::accounts::Feature;
use cremmy_protocol::sync::{SyncRunStatus, SyncTrigger};
use cremmy_protocol::ErrorCode;
use serde_json::{json, Value};

use crate::accounts_support::connect;
use crate::mail_sync::{mail_world, post, requests, MailWorld};

/// The sandbox's copy of a spreadsheet's first sheet: non-empty rows.
fn sheet_rows(w: &MailWorld, id: &str) -> Vec<Vec<Value>> {
    let world = w.t.sandbox.shared.lock();
    let sheet = &world
        .google
        .spreadsheets
        .get(id)
        .expect("the spreadsheet exists")
        .sheets[0];
    sheet
        .rows
        .iter()
        .filter(|r| {
            r.first()
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty())
        })
        .cloned()
        .collect()
}

/// Write requests to Sheets (create, batchUpdate, values writes) in the sandbox log.
fn sheet_writes(w: &MailWorld) -> usize {
    requests(w, |method, path| {
        path.starts_with("/v4/spreadsheets") && method != "GET"
    })
    .len()
}

#[test]
fn an_export_plans_at_most_two_writes() {
    let grid = |rows| Grid {
        spreadsheet_id: "s".into(),
        url: String::new(),
        sheet_id: 0,
        sheet_title: "Pipeline".into(),
        rows,
        columns: 8,
    };
    let cases: [(&str, Option<Grid>, u32, u32, ExportPlan); 4] = [
        (
            "first export: create (room to grow) + write",
            None,
            11,
            0,
            ExportPlan {
                create_rows: Some(200),
                add_rows: 0,
                write_rows: 11,
            },
        ),
        (
            "a big first export: create sized for it + write",
            None,
            1501,
            0,
            ExportPlan {
                create_rows: Some(1501),
                add_rows: 0,
                write_rows: 1501,
            },
        ),
        (
            "fits: one write, blanking the 20 rows the last export had",
            Some(grid(200)),
            11,
            20,
            ExportPlan {
                create_rows: None,
                add_rows: 0,
                write_rows: 20,
            },
        ),
        (
            "outgrew the sheet: grow + write",
            Some(grid(200)),
            301,
            150,
            ExportPlan {
                create_rows: None,
                add_rows: 101,
                write_rows: 301,
            },
        ),
    ];
    for (why, live, needed, previous, expected) in cases {
        let plan = plan_export(live.as_ref(), needed, previous);
        assert_eq!(plan, expected, "{why}");
        assert!(plan.write_requests() <= 2, "{why}");
    }
    assert_eq!(a1_range("Pipeline", 11, 8), "'Pipeline'!A1:H11");
    assert_eq!(
        a1_range("Bob's deals", 1, 28),
        "'Bob''s deals'!A1:AB1",
        "quotes doubled, columns past Z"
    );
}

#[tokio::test]
async fn export_creates_then_updates_the_pipeline_dump() {
    let w = mail_world().await;
    w.crm.load_demo(Date::from_days(20_514)).await.unwrap();
    let deals: i64 = sqlx::query_scalar("SELECT count(*) FROM deals")
        .fetch_one(w.t.db.pool())
        .await
        .unwrap();
    connect(&w.t, &[Feature::Sheets]).await;

    let first = w
        .sync
        .export_sheets(SyncTrigger::Manual)
        .await
        .expect("export");
    assert!(first.created_new, "the first export makes the spreadsheet");
    assert_eq!(first.deals, deals);
    assert!(
        first.url.contains(&first.spreadsheet_id),
        "a link to open it: {}",
        first.url
    );
    let rows = sheet_rows(&w, &first.spreadsheet_id);
    assert_eq!(
        rows.len() as i64,
        deals + 1,
        "a header and one row per deal"
    );
    // Values go in as RAW: Sheets never evaluates a deal or client name that looks like a formula
    // (developers.google.com/workspace/sheets/api/reference/rest/v4/ValueInputOption).
    let value_writes: Vec<String> =
        w.t.sandbox
            .shared
            .lock()
            .log
            .entries
            .iter()
            .filter(|e| e.method == "PUT" && e.path.contains("/values/"))
            .map(|e| e.query.clone())
            .collect();
    assert!(!value_writes.is_empty(), "the export wrote values");
    assert!(
        value_writes
            .iter()
            .all(|q| q.contains("valueInputOption=RAW")),
        "every value write is RAW, never USER_ENTERED: {value_writes:?}"
    );
    assert_eq!(
        rows[0],
        [
            "Deal",
            "Stage",
            "Value",
            "Currency",
            "Client",
            "Owner",
            "Expected close",
            "Last activity"
        ]
        .map(Value::from)
        .to_vec()
    );
    assert!(
        rows[1][2].is_number(),
        "values are numbers the sheet can sum: {:?}",
        rows[1]
    );
    assert_eq!(
        rows[1][1],
        json!("Lead"),
        "board order: the first stage first"
    );
    assert_eq!(sheet_writes(&w), 2, "create + one values write");
    let title = w.t.sandbox.shared.lock().google.spreadsheets[&first.spreadsheet_id]
        .title
        .clone();
    assert_eq!(title, "Pipeline Dump");

    // Fewer deals next time: the same spreadsheet, the leftover row blanked, one write.
    sqlx::query("DELETE FROM deals WHERE id = (SELECT max(id) FROM deals)")
        .execute(w.t.db.writer())
        .await
        .unwrap();
    let second = w.sync.export_sheets(SyncTrigger::Manual).await.unwrap();
    assert_eq!(
        (second.spreadsheet_id.as_str(), second.created_new),
        (first.spreadsheet_id.as_str(), false)
    );
    assert_eq!(
        sheet_rows(&w, &first.spreadsheet_id).len() as i64,
        deals,
        "no stale last row"
    );
    assert_eq!(sheet_writes(&w), 3, "one more write");

    // The user trashed it in Drive: a new one is made.
    post(
        &w,
        "google/drive/trash",
        json!({ "id": first.spreadsheet_id }),
    )
    .await;
    let third = w.sync.export_sheets(SyncTrigger::Manual).await.unwrap();
    assert!(
        third.created_new && third.spreadsheet_id != first.spreadsheet_id,
        "{third:?}"
    );

    let runs = w.sync.runs(&Default::default()).await.unwrap();
    assert_eq!(runs.len(), 3);
    assert!(runs
        .iter()
        .all(|r| r.integration == "sheets" && r.kind == "export" && r.status == SyncRunStatus::Ok));
    assert_eq!(
        runs[0].created,
        deals - 1,
        "the log counts the rows written"
    );
}

#[tokio::test]
async fn a_big_pipeline_is_still_two_writes() {
    let w = mail_world().await;
    w.crm
        .generate_dataset(ScaleSpec {
            clients: 40,
            deals: 1_500,
            activities: 0,
            seed: 7,
        })
        .await
        .unwrap();
    connect(&w.t, &[Feature::Sheets]).await;
    let first = w.sync.export_sheets(SyncTrigger::Cli).await.unwrap();
    assert_eq!(first.deals, 1_500);
    assert_eq!(sheet_rows(&w, &first.spreadsheet_id).len(), 1_501);
    assert_eq!(
        sheet_writes(&w),
        2,
        "create sized for 1,501 rows + one write"
    );
    w.crm
        .generate_dataset(ScaleSpec {
            clients: 10,
            deals: 600,
            activities: 0,
            seed: 8,
        })
        .await
        .unwrap();
    let grown = w.sync.export_sheets(SyncTrigger::Cli).await.unwrap();
    assert_eq!(sheet_rows(&w, &grown.spreadsheet_id).len(), 2_101);
    assert_eq!(sheet_writes(&w), 4, "grow the grid + one write");
}

#[tokio::test]
async fn without_sheets_access_the_export_says_what_to_do() {
    let w = mail_world().await;
    connect(&w.t, &[Feature::MailIngest]).await;
    let e = w
        .sync
        .export_sheets(SyncTrigger::Manual)
        .await
        .expect_err("no account with Sheets");
    assert_eq!(e.code(), ErrorCode::NotConfigured);
    assert!(
        e.to_string().contains("Sheets") && e.to_string().contains("Integrations"),
        "{e}"
    );
    assert!(
        w.t.sandbox.shared.lock().google.spreadsheets.is_empty(),
        "nothing was written"
    );
}

/// Sheets writes are paced to Google's per-user write quota, not only retried after a 429: every
/// write request of an export was reserved from the account's "sheets.write" pacer first.
#[tokio::test]
async fn sheets_writes_go_through_the_write_pacer() {
    let w = mail_world().await;
    w.crm.load_demo(Date::from_days(20_514)).await.unwrap();
    let account = connect(&w.t, &[Feature::Sheets]).await;
    w.sync
        .export_sheets(SyncTrigger::Manual)
        .await
        .expect("export");
    let counted = w.t.sandbox.shared.lock().log.counters.sheets_write_requests;
    assert!(counted > 0, "the export wrote");
    assert_eq!(
        w.google.pacer(account.id, "sheets.write").charged(),
        counted,
        "each write the sandbox counted was paced"
    );
    assert_eq!(
        w.google.pacer(account.id, "sheets.read").charged(),
        w.t.sandbox.shared.lock().log.counters.sheets_read_requests,
        "and each read"
    );
}
