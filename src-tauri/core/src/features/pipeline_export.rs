//! "Export to Sheets": the pipeline as a "Pipeline Dump" spreadsheet, one row per deal under a
//! header, created the first time and overwritten after, in at most two write requests whatever
//! the number of deals. The spreadsheet is remembered; if the user deleted it, a new one is made.

use std::future::Future;

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::crm::iso_utc;
use crate::db::Database;
use crate::failure::SourceError;
use crate::feature_error::{Fault, FeatureError};
use crate::features::templates::ZERO_DECIMAL;

/// How the pipeline export fails.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("Check the {field}: {reason}.")]
    Invalid { field: &'static str, reason: String },
    #[error("{}", crate::db::describe(.0))]
    Db(#[from] sqlx::Error),
}

impl FeatureError for ExportError {
    fn fault(&self) -> Fault<'_> {
        match self {
            ExportError::Source(e) => Fault::Provider(e),
            ExportError::Invalid { .. } => Fault::Input,
            ExportError::Db(_) => Fault::Storage,
        }
    }
}

pub const TITLE: &str = "Pipeline Dump";
pub const SHEET: &str = "Pipeline";
pub const HEADER: [&str; 8] = [
    "Deal",
    "Stage",
    "Value",
    "Currency",
    "Client",
    "Owner",
    "Expected close",
    "Last activity",
];
/// A new spreadsheet gets at least this many rows, so small pipelines can grow without a resize.
const MIN_ROWS: u32 = 200;
const SETTING: &str = "export.pipeline_dump";

/// The first sheet of a spreadsheet and its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grid {
    pub spreadsheet_id: String,
    pub url: String,
    pub sheet_id: i32,
    pub sheet_title: String,
    pub rows: u32,
    pub columns: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SheetCell {
    Text(String),
    Number(f64),
}

/// Where spreadsheets go (Google Sheets; Excel online could follow).
pub trait SpreadsheetSink: Sync {
    /// The spreadsheet's first sheet, or `None` if it was deleted or trashed.
    fn live_grid(&self, id: &str)
        -> impl Future<Output = Result<Option<Grid>, SourceError>> + Send;
    /// The id of a live spreadsheet with this title that Cremmy made (an earlier attempt's, when
    /// a crash hid whether it got through).
    fn find_made(
        &self,
        title: &str,
    ) -> impl Future<Output = Result<Option<String>, SourceError>> + Send;
    fn create(
        &self,
        title: &str,
        sheet_title: &str,
        rows: u32,
        columns: u32,
    ) -> impl Future<Output = Result<Grid, SourceError>> + Send;
    fn add_rows(
        &self,
        grid: &Grid,
        rows: u32,
    ) -> impl Future<Output = Result<(), SourceError>> + Send;
    fn write(
        &self,
        grid: &Grid,
        block: &CellBlock,
        values: Vec<Vec<SheetCell>>,
    ) -> impl Future<Output = Result<(), SourceError>> + Send;
}

/// What the last export left, kept in settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredExport {
    pub account_id: i64,
    pub spreadsheet_id: String,
    /// Rows written (header included): a shorter export blanks the rest.
    pub rows: u32,
}

/// The writes an export makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportPlan {
    /// Make a new spreadsheet with this many rows.
    pub create_rows: Option<u32>,
    /// Grow the existing sheet by this many rows first.
    pub add_rows: u32,
    /// Rows the value write covers (data plus blanks over the previous export's extra rows).
    pub write_rows: u32,
}

impl ExportPlan {
    pub fn write_requests(&self) -> u32 {
        u32::from(self.create_rows.is_some()) + u32::from(self.add_rows > 0) + 1
    }
}

/// `needed` rows (header included) into `live` (None: no usable spreadsheet), whose previous
/// export wrote `previous` rows.
pub fn plan_export(live: Option<&Grid>, needed: u32, previous: u32) -> ExportPlan {
    match live {
        None => ExportPlan {
            create_rows: Some(needed.max(MIN_ROWS)),
            add_rows: 0,
            write_rows: needed,
        },
        Some(grid) => {
            let write_rows = needed.max(previous);
            ExportPlan {
                create_rows: None,
                add_rows: write_rows.saturating_sub(grid.rows),
                write_rows,
            }
        }
    }
}

/// A block of cells on a named sheet: its top-left cell (zero-based row and column) and size.
/// Providers write it in their own notation (A1 for Google Sheets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellBlock {
    pub sheet: String,
    pub row: u32,
    pub column: u32,
    pub rows: u32,
    pub columns: u32,
}

impl CellBlock {
    /// `rows` × `columns` cells from the sheet's first cell.
    pub fn from_top(sheet: &str, rows: u32, columns: u32) -> CellBlock {
        CellBlock::at(sheet, 0, 0, rows, columns)
    }

    pub fn at(sheet: &str, row: u32, column: u32, rows: u32, columns: u32) -> CellBlock {
        CellBlock {
            sheet: sheet.to_string(),
            row,
            column,
            rows: rows.max(1),
            columns: columns.max(1),
        }
    }
}

/// One row per deal in board order (stage, then position), under the header.
pub async fn pipeline_rows(db: &Database) -> Result<Vec<Vec<SheetCell>>, sqlx::Error> {
    type Row = (
        String,
        String,
        i64,
        String,
        String,
        String,
        Option<String>,
        Option<i64>,
    );
    let deals: Vec<Row> = sqlx::query_as(
        "SELECT d.title, s.name, d.value_minor, d.currency, c.name, d.owner, d.expected_close, \
                (SELECT max(a.occurred_at) FROM activities a WHERE a.client_id = d.client_id) \
         FROM deals d JOIN stages s ON s.id = d.stage_id JOIN clients c ON c.id = d.client_id \
         ORDER BY s.position, d.position, d.id",
    )
    .fetch_all(db.pool())
    .await?;
    let mut rows = vec![HEADER
        .iter()
        .map(|h| SheetCell::Text(h.to_string()))
        .collect()];
    for (title, stage, minor, currency, client, owner, close, last) in deals {
        let divisor = if ZERO_DECIMAL.contains(&currency.as_str()) {
            1.0
        } else {
            100.0
        };
        rows.push(vec![
            SheetCell::Text(title),
            SheetCell::Text(stage),
            SheetCell::Number(minor as f64 / divisor),
            SheetCell::Text(currency),
            SheetCell::Text(client),
            SheetCell::Text(owner),
            SheetCell::Text(close.unwrap_or_default()),
            SheetCell::Text(
                last.map(|t| iso_utc(t)[..10].to_string())
                    .unwrap_or_default(),
            ),
        ]);
    }
    Ok(rows)
}

pub async fn stored(db: &Database) -> Result<Option<StoredExport>, sqlx::Error> {
    db.json_setting(SETTING).await
}

async fn remember(db: &Database, export: &StoredExport, now: Timestamp) -> Result<(), sqlx::Error> {
    let value = serde_json::to_string(export).unwrap_or_default();
    db.put_setting(SETTING, Some(&value), now).await
}

/// What an export did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportOutcome {
    pub spreadsheet_id: String,
    pub url: String,
    pub deals: u32,
    pub created_new: bool,
    pub write_requests: u32,
}

/// Exports the pipeline through `sink` for `account_id`.
pub async fn export_pipeline<S: SpreadsheetSink>(
    db: &Database,
    sink: &S,
    account_id: i64,
    now: Timestamp,
    maybe_made: bool,
) -> Result<ExportOutcome, ExportError> {
    let rows = pipeline_rows(db).await?;
    let needed = rows.len() as u32;
    let mut previous = stored(db).await?.filter(|s| s.account_id == account_id);
    if previous.is_none() && maybe_made {
        // An earlier attempt may have made the spreadsheet and died before remembering it.
        previous = sink
            .find_made(TITLE)
            .await?
            .map(|spreadsheet_id| StoredExport {
                account_id,
                spreadsheet_id,
                rows: 0,
            });
    }
    let live = match &previous {
        Some(p) => sink.live_grid(&p.spreadsheet_id).await?,
        None => None,
    };
    let plan = plan_export(
        live.as_ref(),
        needed,
        previous.as_ref().map_or(0, |p| p.rows),
    );
    let grid = match (live, plan.create_rows) {
        (Some(grid), None) => {
            if plan.add_rows > 0 {
                sink.add_rows(&grid, plan.add_rows).await?;
            }
            grid
        }
        (_, rows) => {
            sink.create(TITLE, SHEET, rows.unwrap_or(MIN_ROWS), HEADER.len() as u32)
                .await?
        }
    };
    let mut values = rows;
    while (values.len() as u32) < plan.write_rows {
        values.push(vec![SheetCell::Text(String::new()); HEADER.len()]);
    }
    let block = CellBlock::from_top(&grid.sheet_title, plan.write_rows, HEADER.len() as u32);
    sink.write(&grid, &block, values).await?;
    remember(
        db,
        &StoredExport {
            account_id,
            spreadsheet_id: grid.spreadsheet_id.clone(),
            rows: needed,
        },
        now,
    )
    .await?;
    Ok(ExportOutcome {
        spreadsheet_id: grid.spreadsheet_id,
        url: grid.url,
        deals: needed - 1,
        created_new: plan.create_rows.is_some(),
        write_requests: plan.write_requests(),
    })
}
