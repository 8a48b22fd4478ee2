//! Sheets v4 through the real google-sheets4 hub: create, A1 ranges with quoted sheet names,
//! values get/update/append/batchUpdate, addSheet, grid and cell limits, quota, access checks.

use google_sheets4::api::{
    BatchUpdateSpreadsheetRequest, BatchUpdateValuesRequest, Spreadsheet, ValueRange,
};
use google_sheets4::Sheets;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

use crate::support::*;

const SHEETS: &str = "https://www.googleapis.com/auth/spreadsheets";

fn sheets_hub(sb: &cremmy_sandbox::Sandbox, token: &str) -> Sheets<HttpConnector> {
    let client = connector();
    let mut hub = Sheets::new(client, token.to_string());
    hub.base_url(sb.base_url());
    hub.root_url(sb.base_url());
    hub
}

fn rows(v: Value) -> ValueRange {
    serde_json::from_value(json!({ "values": v })).unwrap()
}

/// The 400 message of a failed call, or a panic saying what came back instead.
fn error_message<T: std::fmt::Debug>(
    result: Result<T, google_sheets4::Error>,
    status: u64,
) -> String {
    match result {
        Err(google_sheets4::Error::BadRequest(v)) if v["error"]["code"] == status => v["error"]
            ["message"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        other => panic!("expected a {status} from the sandbox, got {other:?}"),
    }
}

async fn new_spreadsheet(hub: &Sheets<HttpConnector>, title: &str) -> String {
    let request: Spreadsheet =
        serde_json::from_value(json!({ "properties": { "title": title } })).unwrap();
    let (_, created) = hub
        .spreadsheets()
        .create(request)
        .doit()
        .await
        .expect("spreadsheets.create");
    created.spreadsheet_id.expect("an id")
}

#[tokio::test]
async fn pipeline_export_round_trips_through_a_quoted_sheet_name() {
    let sb = sandbox().await;
    let access = json_of(&connect(&sb, SHEETS).await, "access_token");
    let hub = sheets_hub(&sb, &access);
    let request: Spreadsheet =
        serde_json::from_value(json!({ "properties": { "title": "Cremmy pipeline" } })).unwrap();
    let (_, created) = hub
        .spreadsheets()
        .create(request)
        .doit()
        .await
        .expect("spreadsheets.create");
    let id = created.spreadsheet_id.clone().unwrap();
    let first = &created.sheets.as_ref().unwrap()[0]
        .properties
        .as_ref()
        .unwrap();
    assert_eq!(
        first.title.as_deref(),
        Some("Sheet1"),
        "a new spreadsheet has one Sheet1, as Google makes it"
    );
    assert!(created.spreadsheet_url.unwrap().contains(&id));

    let add: BatchUpdateSpreadsheetRequest = serde_json::from_value(json!({ "requests": [
        { "addSheet": { "properties": { "title": "Q3 '24 pipeline", "gridProperties": { "rowCount": 20000, "columnCount": 8 } } } }
    ]}))
    .unwrap();
    let (_, added) = hub
        .spreadsheets()
        .batch_update(add, &id)
        .doit()
        .await
        .expect("addSheet");
    let added = &added.replies.unwrap()[0];
    assert_eq!(
        added
            .add_sheet
            .as_ref()
            .unwrap()
            .properties
            .as_ref()
            .unwrap()
            .title
            .as_deref(),
        Some("Q3 '24 pipeline")
    );

    let export = rows(json!([
        ["Deal", "Client", "Value", "Stage"],
        ["Website", "Acme", 1250.5, "Proposal"],
        ["Audit", "Globex", 900, "Won"]
    ]));
    let (_, updated) = hub
        .spreadsheets()
        .values_update(export, &id, "'Q3 ''24 pipeline'!A1")
        .value_input_option("RAW")
        .doit()
        .await
        .expect("values.update");
    assert_eq!(
        (
            updated.updated_rows,
            updated.updated_columns,
            updated.updated_cells
        ),
        (Some(3), Some(4), Some(12))
    );
    assert_eq!(
        updated.updated_range.as_deref(),
        Some("'Q3 ''24 pipeline'!A1:D3"),
        "the range as Google prints it"
    );

    let (_, got) = hub
        .spreadsheets()
        .values_get(&id, "'Q3 ''24 pipeline'!A1:D")
        .doit()
        .await
        .expect("values.get");
    let values = got.values.unwrap();
    assert_eq!(values.len(), 3, "only rows with data come back");
    assert_eq!(
        values[1],
        vec![
            json!("Website"),
            json!("Acme"),
            json!("1250.5"),
            json!("Proposal")
        ],
        "FORMATTED_VALUE renders numbers as text"
    );
    let (_, typed) = hub
        .spreadsheets()
        .values_get(&id, "'Q3 ''24 pipeline'!C2:C3")
        .value_render_option("UNFORMATTED_VALUE")
        .doit()
        .await
        .unwrap();
    assert_eq!(
        typed.values.unwrap(),
        vec![vec![json!(1250.5)], vec![json!(900)]],
        "UNFORMATTED_VALUE keeps numbers"
    );

    let (_, empty) = hub
        .spreadsheets()
        .values_get(&id, "Sheet1!A1:B2")
        .doit()
        .await
        .unwrap();
    assert!(
        empty.values.is_none(),
        "an empty range has no values field at all"
    );
}

#[tokio::test]
async fn append_finds_the_table_grows_the_grid_and_batch_updates_are_all_or_nothing() {
    let sb = sandbox().await;
    let access = json_of(&connect(&sb, SHEETS).await, "access_token");
    let hub = sheets_hub(&sb, &access);
    let id = new_spreadsheet(&hub, "Leads").await;

    hub.spreadsheets()
        .values_update(
            rows(json!([["Name", "Email"], ["Ada", "ada@example.com"]])),
            &id,
            "Sheet1!A1",
        )
        .value_input_option("RAW")
        .doit()
        .await
        .unwrap();
    let (_, appended) = hub
        .spreadsheets()
        .values_append(
            rows(json!([["Grace", "grace@example.com"]])),
            &id,
            "Sheet1!A:B",
        )
        .value_input_option("RAW")
        .doit()
        .await
        .expect("append");
    assert_eq!(
        appended.table_range.as_deref(),
        Some("Sheet1!A1:B2"),
        "the existing table"
    );
    assert_eq!(
        appended.updates.unwrap().updated_range.as_deref(),
        Some("Sheet1!A3:B3"),
        "written after the table's last row"
    );

    let many: Vec<Value> = (0..1500)
        .map(|i| json!([format!("Lead {i}"), format!("lead{i}@example.com")]))
        .collect();
    let (_, grown) = hub
        .spreadsheets()
        .values_append(rows(json!(many)), &id, "Sheet1")
        .value_input_option("USER_ENTERED")
        .doit()
        .await
        .expect("append past the grid");
    assert_eq!(
        grown.updates.unwrap().updated_range.as_deref(),
        Some("Sheet1!A4:B1503")
    );
    let (_, meta) = hub.spreadsheets().get(&id).doit().await.unwrap();
    let grid = meta.sheets.unwrap()[0]
        .properties
        .clone()
        .unwrap()
        .grid_properties
        .unwrap();
    assert_eq!(grid.row_count, Some(1503), "append grows the grid to fit");

    let beyond = hub
        .spreadsheets()
        .values_update(rows(json!([["x"]])), &id, "Sheet1!AA1")
        .value_input_option("RAW")
        .doit()
        .await;
    assert!(
        error_message(beyond, 400).contains("exceeds grid limits"),
        "update does not grow the grid"
    );
    let no_option = hub
        .spreadsheets()
        .values_update(rows(json!([["x"]])), &id, "Sheet1!A1")
        .doit()
        .await;
    assert!(
        error_message(no_option, 400).contains("valueInputOption"),
        "valueInputOption is required"
    );
    let outside = hub
        .spreadsheets()
        .values_update(rows(json!([["a", "b", "c"]])), &id, "Sheet1!A1:B1")
        .value_input_option("RAW")
        .doit()
        .await;
    assert!(
        error_message(outside, 400).contains("tried writing to column"),
        "values wider than the range"
    );

    let batch: BatchUpdateValuesRequest =
        serde_json::from_value(json!({ "valueInputOption": "RAW", "data": [
            { "range": "Sheet1!D1", "values": [["Score"]] },
            { "range": "Nope!A1", "values": [["x"]] },
        ]}))
        .unwrap();
    assert!(error_message(
        hub.spreadsheets()
            .values_batch_update(batch, &id)
            .doit()
            .await,
        400
    )
    .contains("Unable to parse range"));
    let (_, d1) = hub
        .spreadsheets()
        .values_get(&id, "Sheet1!D1")
        .doit()
        .await
        .unwrap();
    assert!(d1.values.is_none(), "a failed batch writes nothing");

    let batch: BatchUpdateValuesRequest =
        serde_json::from_value(json!({ "valueInputOption": "RAW", "data": [
            { "range": "Sheet1!D1", "values": [["Score"]] },
            { "range": "Sheet1!D2:D3", "values": [[10], [20]] },
        ]}))
        .unwrap();
    let (_, done) = hub
        .spreadsheets()
        .values_batch_update(batch, &id)
        .doit()
        .await
        .expect("values.batchUpdate");
    assert_eq!(
        (done.total_updated_cells, done.total_updated_sheets),
        (Some(3), Some(1))
    );
    assert_eq!(
        sb.shared.lock().log.counters.sheets_write_requests,
        9,
        "every write call counts once (create and failed ones too)"
    );
}

#[tokio::test]
async fn cell_limit_quota_and_access_are_enforced() {
    let sb = sandbox().await;
    let access = json_of(&connect(&sb, SHEETS).await, "access_token");
    let hub = sheets_hub(&sb, &access);
    let id = new_spreadsheet(&hub, "Big").await;

    let huge: BatchUpdateSpreadsheetRequest = serde_json::from_value(json!({ "requests": [
        { "addSheet": { "properties": { "title": "Fits", "gridProperties": { "rowCount": 100, "columnCount": 10 } } } },
        { "addSheet": { "properties": { "title": "Huge", "gridProperties": { "rowCount": 1000000, "columnCount": 10 } } } },
    ]}))
    .unwrap();
    let message = error_message(hub.spreadsheets().batch_update(huge, &id).doit().await, 400);
    assert!(
        message.starts_with("Invalid requests[1]") && message.contains("10000000 cells"),
        "{message}"
    );
    let (_, meta) = hub.spreadsheets().get(&id).doit().await.unwrap();
    assert_eq!(
        meta.sheets.unwrap().len(),
        1,
        "a refused batchUpdate adds no sheet at all"
    );

    let missing = hub
        .spreadsheets()
        .values_get("no-such-spreadsheet", "A1")
        .doit()
        .await;
    error_message(missing, 404);
    let gmail_only = json_of(&connect(&sb, GMAIL_READ).await, "access_token");
    error_message(
        sheets_hub(&sb, &gmail_only)
            .spreadsheets()
            .get(&id)
            .doit()
            .await,
        403,
    );

    sb.shared.lock().google.settings.sheets_writes_per_minute = Some(2);
    let write = || {
        hub.spreadsheets()
            .values_update(rows(json!([["x"]])), &id, "A1")
            .value_input_option("RAW")
            .doit()
    };
    // The window is a calendar minute; retry once if the first two straddle its turn.
    let mut limited = None;
    for _ in 0..4 {
        match write().await {
            Ok(_) => continue,
            Err(google_sheets4::Error::BadRequest(v)) => {
                limited = Some(v);
                break;
            }
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    let limited = limited.expect("the third write in a minute is refused");
    assert_eq!(limited["error"]["code"], 429);
    assert_eq!(limited["error"]["status"], "RESOURCE_EXHAUSTED");
    assert!(limited["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Write requests per minute per user"));
    let raw = http()
        .put(format!(
            "{}v4/spreadsheets/{id}/values/A1?valueInputOption=RAW",
            sb.base_url()
        ))
        .bearer_auth(&access)
        .json(&json!({ "values": [["x"]] }))
        .send()
        .await
        .unwrap();
    let retry_after: u64 = raw.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=60).contains(&retry_after),
        "Retry-After points at the next minute, got {retry_after}"
    );
    let (_, read) = hub
        .spreadsheets()
        .values_get(&id, "A1")
        .doit()
        .await
        .expect("reads have their own budget");
    assert_eq!(read.values.unwrap(), vec![vec![json!("x")]]);
}

#[tokio::test]
async fn seeded_lead_sheet_is_readable_and_copies_keep_their_grid() {
    let sb = sandbox().await;
    let seeded = control(
        &sb,
        "google/seed",
        json!({ "clients": 0, "lead_rows": 1200, "seed": 5 }),
    )
    .await;
    let id = json_of(&seeded, "leadSheetId");
    let access = json_of(
        &connect(&sb, "https://www.googleapis.com/auth/spreadsheets.readonly").await,
        "access_token",
    );
    let hub = sheets_hub(&sb, &access);
    let (_, all) = hub
        .spreadsheets()
        .values_get(&id, "Leads")
        .doit()
        .await
        .expect("the lead sheet");
    let values = all.values.unwrap();
    assert_eq!(values.len(), 1201, "a header and 1,200 leads");
    assert_eq!(
        values[0],
        vec![
            json!("Name"),
            json!("Company"),
            json!("Email"),
            json!("Phone"),
            json!("Source")
        ]
    );
    assert_eq!(values[1200][2], json!("lead1199@leadco1199.example"));
    let again = cremmy_sandbox::Sandbox::start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let reseeded = control(
        &again,
        "google/seed",
        json!({ "clients": 0, "lead_rows": 1200, "seed": 5 }),
    )
    .await;
    let sheet_of = |sb: &cremmy_sandbox::Sandbox, id: &str| {
        sb.shared.lock().google.spreadsheets[id].sheets[0]
            .rows
            .clone()
    };
    assert_eq!(
        sheet_of(&sb, &id),
        sheet_of(&again, &json_of(&reseeded, "leadSheetId")),
        "the same seed gives the same leads"
    );
}

/// A new sheet is 1000 rows by 26 columns; a read reaching past that is refused (Google: 400
/// "Range (Sheet1!A:AZ) exceeds grid limits. Max rows: 1000, max columns: 26"), while an
/// open-ended range or the sheet's name alone stop at the grid
/// (https://developers.google.com/workspace/sheets/api/guides/concepts, "A1 notation").
#[tokio::test]
async fn reads_past_the_grid_are_refused_and_the_sheet_name_reads_it_all() {
    let sb = sandbox().await;
    let access = json_of(&connect(&sb, SHEETS).await, "access_token");
    let hub = sheets_hub(&sb, &access);
    let id = new_spreadsheet(&hub, "Leads").await;
    hub.spreadsheets()
        .values_update(rows(json!([["Email"], ["a@x.example"]])), &id, "Sheet1!A1")
        .value_input_option("RAW")
        .doit()
        .await
        .unwrap();
    let message = error_message(
        hub.spreadsheets()
            .values_get(&id, "Sheet1!A:AZ")
            .doit()
            .await,
        400,
    );
    assert_eq!(
        message,
        "Range (Sheet1!A:AZ) exceeds grid limits. Max rows: 1000, max columns: 26"
    );
    let message = error_message(
        hub.spreadsheets()
            .values_get(&id, "Sheet1!A1:B1001")
            .doit()
            .await,
        400,
    );
    assert!(message.contains("exceeds grid limits"), "{message}");
    for fits in ["Sheet1!A:Z", "Sheet1", "Sheet1!A2:B"] {
        let (_, read) = hub
            .spreadsheets()
            .values_get(&id, fits)
            .doit()
            .await
            .unwrap_or_else(|e| panic!("{fits} is inside the grid: {e:?}"));
        assert!(
            read.values
                .unwrap_or_default()
                .iter()
                .flatten()
                .any(|v| v == "a@x.example"),
            "{fits} reads the cells"
        );
    }
}

/// spreadsheets.get with `ranges` and `includeGridData`
/// (https://developers.google.com/workspace/sheets/api/reference/rest/v4/spreadsheets/get): the
/// sheet's properties (its grid size) and the range's cells as `GridData`, in one request.
#[tokio::test]
async fn a_get_with_grid_data_gives_the_grid_and_the_cells() {
    let sb = sandbox().await;
    let access = json_of(&connect(&sb, SHEETS).await, "access_token");
    let hub = sheets_hub(&sb, &access);
    let id = new_spreadsheet(&hub, "Leads").await;
    hub.spreadsheets()
        .values_update(
            rows(json!([["Name", "Email"], [], ["Ada", "ada@x.example"]])),
            &id,
            "Sheet1!A1",
        )
        .value_input_option("RAW")
        .doit()
        .await
        .unwrap();
    let (_, got) = hub
        .spreadsheets()
        .get(&id)
        .add_ranges("Sheet1")
        .include_grid_data(true)
        .doit()
        .await
        .expect("a get with grid data");
    let sheet = &got.sheets.unwrap()[0];
    let grid = sheet
        .properties
        .as_ref()
        .unwrap()
        .grid_properties
        .as_ref()
        .unwrap();
    assert_eq!((grid.row_count, grid.column_count), (Some(1000), Some(26)));
    let cells: Vec<Vec<String>> = sheet.data.as_ref().unwrap()[0]
        .row_data
        .iter()
        .flatten()
        .map(|r| {
            r.values
                .iter()
                .flatten()
                .map(|c| c.formatted_value.clone().unwrap_or_default())
                .collect()
        })
        .collect();
    assert_eq!(
        cells,
        vec![
            vec!["Name".to_string(), "Email".to_string()],
            vec![],
            vec!["Ada".to_string(), "ada@x.example".to_string()]
        ],
        "rows as displayed, an empty row kept in its place"
    );
}
