//! Sheets API v4 routes: spreadsheets.create/get/batchUpdate and values.get/update/append/clear/
//! batchGet/batchUpdate. Each call checks the bearer token and scopes and spends the per-minute
//! read or write budget (a batchUpdate with all its sub-requests is one write, as Google counts).

use axum::extract::{Path, Query, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::errors::api_error;
use super::quota::{admit, Budget};
use super::sheets::{Invalid, Spreadsheet, Written};
use crate::state::{Shared, World};

const WRITE_SCOPES: &[&str] = &[
    "https://www.googleapis.com/auth/spreadsheets",
    "https://www.googleapis.com/auth/drive",
    "https://www.googleapis.com/auth/drive.file",
];
const READ_SCOPES: &[&str] = &[
    "https://www.googleapis.com/auth/spreadsheets",
    "https://www.googleapis.com/auth/spreadsheets.readonly",
    "https://www.googleapis.com/auth/drive",
    "https://www.googleapis.com/auth/drive.readonly",
    "https://www.googleapis.com/auth/drive.file",
];
pub const SPREADSHEET_MIME: &str = "application/vnd.google-apps.spreadsheet";

fn invalid(e: Invalid) -> Response {
    api_error(400, "badRequest", &e.0, None)
}

/// The caller's account after the token, scope and quota checks.
fn caller(world: &mut World, headers: &HeaderMap, budget: Budget) -> Result<String, Response> {
    admit(
        world,
        headers,
        if budget == Budget::SheetsWrite {
            WRITE_SCOPES
        } else {
            READ_SCOPES
        },
        budget,
    )
}

/// The caller's spreadsheet: 404 if there is none with this id, 403 if it is someone else's.
fn owned<'w>(
    world: &'w mut World,
    account: &str,
    id: &str,
) -> Result<&'w mut Spreadsheet, Response> {
    match world.google.spreadsheets.get_mut(id) {
        None => Err(api_error(
            404,
            "notFound",
            "Requested entity was not found.",
            None,
        )),
        Some(s) if s.owner != account => Err(api_error(
            403,
            "forbidden",
            "The caller does not have permission",
            None,
        )),
        Some(s) => Ok(s),
    }
}

/// Runs `f` on the caller's spreadsheet after the checks; its errors are 400s.
fn with_sheet(
    shared: &Shared,
    headers: &HeaderMap,
    budget: Budget,
    id: &str,
    f: impl FnOnce(&mut Spreadsheet) -> Result<Value, Invalid>,
) -> Response {
    let mut world = shared.lock();
    let result = caller(&mut world, headers, budget)
        .and_then(|account| owned(&mut world, &account, id).map(|s| f(s)));
    match result {
        Ok(Ok(v)) => Json(v).into_response(),
        Ok(Err(e)) => invalid(e),
        Err(r) => r,
    }
}

/// POST /v4/spreadsheets: a new spreadsheet (also a file in the owner's Drive).
pub async fn create(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let mut world = shared.lock();
    let account = match caller(&mut world, &headers, Budget::SheetsWrite) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let title = body["properties"]["title"]
        .as_str()
        .unwrap_or("Untitled spreadsheet")
        .to_string();
    let sheets = body["sheets"]
        .as_array()
        .map(|a| {
            a.iter()
                .enumerate()
                .map(|(i, s)| {
                    let p = &s["properties"];
                    let grid = p["gridProperties"]["rowCount"]
                        .as_u64()
                        .zip(p["gridProperties"]["columnCount"].as_u64())
                        .map(|(r, c)| (r as usize, c as usize));
                    (
                        p["title"]
                            .as_str()
                            .map(str::to_string)
                            .unwrap_or(format!("Sheet{}", i + 1)),
                        grid,
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let file = world
        .google
        .drives
        .entry(account.clone())
        .or_default()
        .create(&title, SPREADSHEET_MIME, Vec::new(), Vec::new());
    match Spreadsheet::new(file.id.clone(), account.clone(), title, sheets) {
        Ok(s) => {
            let out = s.json();
            world.google.spreadsheets.insert(file.id, s);
            Json(out).into_response()
        }
        Err(e) => {
            world
                .google
                .drives
                .entry(account)
                .or_default()
                .files
                .retain(|f| f.id != file.id);
            invalid(e)
        }
    }
}

/// GET /v4/spreadsheets/{id}[?ranges=…&includeGridData=true]
/// (https://developers.google.com/workspace/sheets/api/reference/rest/v4/spreadsheets/get): with
/// `ranges`, only the sheets they fall in, and with `includeGridData` each such sheet's `data`:
/// a `GridData` of the range (`startRow`, `startColumn`, `rowData[].values[].formattedValue`).
pub async fn get(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    let pairs: Vec<(String, String)> = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), crate::urldecode(v)))
        .collect();
    let ranges: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "ranges")
        .map(|(_, v)| v.clone())
        .collect();
    let grid_data = pairs
        .iter()
        .any(|(k, v)| k == "includeGridData" && v == "true");
    with_sheet(&shared, &headers, Budget::SheetsRead, &id, |s| {
        let mut out = s.json();
        if ranges.is_empty() {
            return Ok(out);
        }
        let mut sheets = Vec::new();
        for range in &ranges {
            let (index, cells) = s.resolve(range)?;
            let mut sheet = json!({ "properties": s.sheets[index].properties(index) });
            if grid_data {
                let (_, rows) = s.read(index, cells, true, range)?;
                let row_data: Vec<Value> = rows
                    .into_iter()
                    .map(|r| {
                        let values: Vec<Value> = r
                            .into_iter()
                            .map(|v| match v {
                                Value::Null => json!({}),
                                Value::String(t) if t.is_empty() => json!({}),
                                Value::String(t) => json!({ "formattedValue": t }),
                                other => json!({ "formattedValue": other.to_string() }),
                            })
                            .collect();
                        json!({ "values": values })
                    })
                    .collect();
                sheet["data"] = json!([{
                    "startRow": cells.start_row.unwrap_or(0),
                    "startColumn": cells.start_col.unwrap_or(0),
                    "rowData": row_data,
                }]);
            }
            sheets.push(sheet);
        }
        out["sheets"] = json!(sheets);
        Ok(out)
    })
}

/// POST /v4/spreadsheets/{id}:batchUpdate: addSheet, deleteSheet, updateSheetProperties
/// (title, grid size), appendDimension. All or nothing.
pub async fn batch_update(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id_and_verb): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    let Some(id) = id_and_verb.strip_suffix(":batchUpdate") else {
        return api_error(404, "notFound", "Requested entity was not found.", None);
    };
    with_sheet(&shared, &headers, Budget::SheetsWrite, id, |s| {
        let mut draft = s.clone();
        let mut replies = Vec::new();
        for (i, request) in body["requests"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let reply = apply(&mut draft, request)
                .map_err(|e| Invalid(format!("Invalid requests[{i}]: {}", e.0)))?;
            replies.push(reply);
        }
        *s = draft;
        Ok(json!({ "spreadsheetId": s.id, "replies": replies }))
    })
}

fn apply(s: &mut Spreadsheet, request: &Value) -> Result<Value, Invalid> {
    let grid = |p: &Value| {
        p["gridProperties"]["rowCount"]
            .as_u64()
            .zip(p["gridProperties"]["columnCount"].as_u64())
            .map(|(r, c)| (r as usize, c as usize))
    };
    if let Some(add) = request.get("addSheet") {
        let p = &add["properties"];
        let title = p["title"]
            .as_str()
            .map(str::to_string)
            .unwrap_or(format!("Sheet{}", s.sheets.len() + 1));
        let index = s.add_sheet(&title, grid(p))?;
        return Ok(json!({ "addSheet": { "properties": s.sheets[index].properties(index) } }));
    }
    if let Some(delete) = request.get("deleteSheet") {
        let index = s.sheet_index(delete["sheetId"].as_i64().unwrap_or(-1))?;
        if s.sheets.len() == 1 {
            return Err(Invalid(
                "You can't remove all the sheets in a document.".into(),
            ));
        }
        s.sheets.remove(index);
        return Ok(json!({}));
    }
    if let Some(update) = request.get("updateSheetProperties") {
        let p = &update["properties"];
        let index = s.sheet_index(p["sheetId"].as_i64().unwrap_or(0))?;
        if let Some(title) = p["title"].as_str() {
            s.sheets[index].title = title.to_string();
        }
        let (rows, cols) = (s.sheets[index].row_count, s.sheets[index].column_count);
        let rows = p["gridProperties"]["rowCount"]
            .as_u64()
            .map_or(rows, |r| r as usize);
        let cols = p["gridProperties"]["columnCount"]
            .as_u64()
            .map_or(cols, |c| c as usize);
        s.resize(index, rows, cols)?;
        return Ok(json!({}));
    }
    if let Some(append) = request.get("appendDimension") {
        let index = s.sheet_index(append["sheetId"].as_i64().unwrap_or(0))?;
        let length = append["length"].as_u64().unwrap_or(0) as usize;
        let (rows, cols) = (s.sheets[index].row_count, s.sheets[index].column_count);
        match append["dimension"].as_str() {
            Some("ROWS") => s.resize(index, rows + length, cols)?,
            Some("COLUMNS") => s.resize(index, rows, cols + length)?,
            other => return Err(Invalid(format!("Invalid value at 'dimension' ({other:?})"))),
        }
        return Ok(json!({}));
    }
    let kind = request
        .as_object()
        .and_then(|o| o.keys().next().cloned())
        .unwrap_or_default();
    Err(Invalid(format!(
        "the sandbox does not model the '{kind}' request"
    )))
}

#[derive(Debug, Deserialize)]
pub struct ValueParams {
    #[serde(default, rename = "valueInputOption")]
    value_input_option: Option<String>,
    #[serde(default, rename = "valueRenderOption")]
    value_render_option: Option<String>,
    #[serde(default, rename = "insertDataOption")]
    insert_data_option: Option<String>,
    #[serde(default, rename = "majorDimension")]
    major_dimension: Option<String>,
}

/// valueInputOption is required on every write; RAW or USER_ENTERED.
fn user_entered(option: Option<&str>) -> Result<bool, Invalid> {
    match option {
        Some("RAW") => Ok(false),
        Some("USER_ENTERED") => Ok(true),
        None => Err(Invalid(
            "'valueInputOption' is required but not specified".into(),
        )),
        Some(other) => Err(Invalid(format!(
            "Invalid value at 'value_input_option' ({other})"
        ))),
    }
}

fn rows_of(body: &Value) -> Result<Vec<Vec<Value>>, Invalid> {
    if body
        .get("majorDimension")
        .and_then(Value::as_str)
        .is_some_and(|d| d != "ROWS")
    {
        return Err(Invalid(
            "the sandbox models majorDimension=ROWS only".into(),
        ));
    }
    serde_json::from_value(body.get("values").cloned().unwrap_or(json!([])))
        .map_err(|e| Invalid(format!("Invalid JSON payload received. {e}")))
}

fn value_range(s: &Spreadsheet, range: &str, formatted: bool) -> Result<Value, Invalid> {
    let (index, cells) = s.resolve(range)?;
    let (range, values) = s.read(index, cells, formatted, range)?;
    let mut out = json!({ "range": range, "majorDimension": "ROWS" });
    if !values.is_empty() {
        out["values"] = json!(values);
    }
    Ok(out)
}

fn formatted(p: &ValueParams) -> Result<bool, Invalid> {
    if p.major_dimension.as_deref().is_some_and(|d| d != "ROWS") {
        return Err(Invalid(
            "the sandbox models majorDimension=ROWS only".into(),
        ));
    }
    Ok(p.value_render_option.as_deref() != Some("UNFORMATTED_VALUE"))
}

/// GET /v4/spreadsheets/{id}/values/{range}
pub async fn values_get(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path((id, range)): Path<(String, String)>,
    Query(p): Query<ValueParams>,
) -> Response {
    with_sheet(&shared, &headers, Budget::SheetsRead, &id, |s| {
        value_range(s, &range, formatted(&p)?)
    })
}

/// GET /v4/spreadsheets/{id}/values:batchGet?ranges=…&ranges=…
pub async fn values_batch_get(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    Query(p): Query<ValueParams>,
) -> Response {
    let ranges: Vec<String> = query
        .unwrap_or_default()
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .filter(|(k, _)| *k == "ranges")
        .map(|(_, v)| crate::urldecode(v))
        .collect();
    with_sheet(&shared, &headers, Budget::SheetsRead, &id, |s| {
        let formatted = formatted(&p)?;
        let value_ranges = ranges
            .iter()
            .map(|r| value_range(s, r, formatted))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(json!({ "spreadsheetId": s.id, "valueRanges": value_ranges }))
    })
}

/// PUT /v4/spreadsheets/{id}/values/{range}
pub async fn values_update(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path((id, range)): Path<(String, String)>,
    Query(p): Query<ValueParams>,
    Json(body): Json<Value>,
) -> Response {
    with_sheet(&shared, &headers, Budget::SheetsWrite, &id, |s| {
        let user_entered = user_entered(p.value_input_option.as_deref())?;
        let (index, cells) = s.resolve(&range)?;
        Ok(s.write(index, cells, &rows_of(&body)?, user_entered)?
            .json(&s.id))
    })
}

/// POST /v4/spreadsheets/{id}/values/{range}:append and …/{range}:clear
pub async fn values_append_or_clear(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path((id, range)): Path<(String, String)>,
    Query(p): Query<ValueParams>,
    body: axum::body::Bytes,
) -> Response {
    if let Some(range) = range.strip_suffix(":clear") {
        return with_sheet(&shared, &headers, Budget::SheetsWrite, &id, |s| {
            let (index, cells) = s.resolve(range)?;
            Ok(json!({ "spreadsheetId": s.id, "clearedRange": s.clear(index, cells) }))
        });
    }
    let Some(range) = range.strip_suffix(":append") else {
        return api_error(404, "notFound", "Requested entity was not found.", None);
    };
    let body: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return api_error(
                400,
                "parseError",
                &format!("Invalid JSON payload received. {e}"),
                None,
            )
        }
    };
    with_sheet(&shared, &headers, Budget::SheetsWrite, &id, |s| {
        let user_entered = user_entered(p.value_input_option.as_deref())?;
        let insert_rows = p.insert_data_option.as_deref() == Some("INSERT_ROWS");
        let (index, cells) = s.resolve(range)?;
        let (table, written) =
            s.append(index, cells, &rows_of(&body)?, user_entered, insert_rows)?;
        let mut out = json!({ "spreadsheetId": s.id, "updates": written.json(&s.id) });
        if let Some(table) = table {
            out["tableRange"] = json!(table);
        }
        Ok(out)
    })
}

/// POST /v4/spreadsheets/{id}/values:batchUpdate: many ranges in one write request, all or nothing.
pub async fn values_batch_update(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    with_sheet(&shared, &headers, Budget::SheetsWrite, &id, |s| {
        let user_entered = user_entered(body["valueInputOption"].as_str())?;
        let mut draft = s.clone();
        let mut responses: Vec<Written> = Vec::new();
        for data in body["data"].as_array().into_iter().flatten() {
            let (index, cells) = draft.resolve(data["range"].as_str().unwrap_or_default())?;
            responses.push(draft.write(index, cells, &rows_of(data)?, user_entered)?);
        }
        *s = draft;
        let sheets: std::collections::BTreeSet<&str> = responses
            .iter()
            .map(|w| w.range.rsplit_once('!').map_or("", |(sheet, _)| sheet))
            .collect();
        Ok(json!({
            "spreadsheetId": s.id,
            "totalUpdatedRows": responses.iter().map(|w| w.rows).sum::<usize>(),
            "totalUpdatedColumns": responses.iter().map(|w| w.columns).max().unwrap_or(0),
            "totalUpdatedCells": responses.iter().map(|w| w.cells).sum::<usize>(),
            "totalUpdatedSheets": sheets.len(),
            "responses": responses.iter().map(|w| w.json(&s.id)).collect::<Vec<_>>(),
        }))
    })
}
