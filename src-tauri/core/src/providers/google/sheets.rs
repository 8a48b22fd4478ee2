//! Google Sheets as a [`SpreadsheetSink`]: create a spreadsheet sized for the rows, read a sheet's
//! grid, grow it, write a block of values. Drive tells whether the file is still there (not
//! trashed), since Sheets keeps answering for a trashed spreadsheet.

use serde_json::json;

use super::a1::a1;
use super::{incomplete, Connector, GoogleError, Session};
use crate::failure::SourceError;
use crate::features::leads::SheetTable;
use crate::features::pipeline_export::{CellBlock, Grid, SheetCell, SpreadsheetSink};

pub struct GoogleSheets {
    session: Session,
    sheets: google_sheets4::Sheets<Connector>,
    drive: google_drive3::DriveHub<Connector>,
}

impl GoogleSheets {
    pub fn new(session: &Session) -> GoogleSheets {
        GoogleSheets {
            session: session.clone(),
            sheets: session.sheets(),
            drive: session.drive(),
        }
    }
}

fn grid_of(s: &google_sheets4::api::Spreadsheet) -> Option<Grid> {
    let first = s.sheets.as_ref()?.first()?.properties.as_ref()?;
    grid_from(s, first)
}

/// The grid of the sheet titled `title`, if the spreadsheet has one.
fn grid_named(s: &google_sheets4::api::Spreadsheet, title: &str) -> Option<Grid> {
    let sheet = s
        .sheets
        .as_ref()?
        .iter()
        .filter_map(|sheet| sheet.properties.as_ref())
        .find(|p| p.title.as_deref() == Some(title))?;
    grid_from(s, sheet)
}

fn grid_from(
    s: &google_sheets4::api::Spreadsheet,
    first: &google_sheets4::api::SheetProperties,
) -> Option<Grid> {
    let grid = first.grid_properties.as_ref();
    Some(Grid {
        spreadsheet_id: s.spreadsheet_id.clone()?,
        url: s.spreadsheet_url.clone().unwrap_or_default(),
        sheet_id: first.sheet_id.unwrap_or(0),
        sheet_title: first.title.clone().unwrap_or_else(|| "Sheet1".into()),
        rows: grid.and_then(|g| g.row_count).unwrap_or(1000).max(0) as u32,
        columns: grid.and_then(|g| g.column_count).unwrap_or(26).max(0) as u32,
    })
}

/// The range as it goes into the URL path: characters that would end the path are escaped.
fn path_range(range: &str) -> String {
    range
        .chars()
        .map(|c| match c {
            '%' => "%25".to_string(),
            '#' => "%23".to_string(),
            '?' => "%3F".to_string(),
            '/' => "%2F".to_string(),
            c => c.to_string(),
        })
        .collect()
}

impl SpreadsheetSink for GoogleSheets {
    async fn find_made(&self, title: &str) -> Result<Option<String>, SourceError> {
        // With the drive.file scope Drive lists only files Cremmy made.
        let named = super::drive::NamedFiles {
            name: title,
            mime_type: "application/vnd.google-apps.spreadsheet",
            parent: None,
            fields: "files(id)",
            limit: 1,
        };
        Ok(named
            .list(&self.session, &self.drive)
            .await?
            .into_iter()
            .find_map(|f| f.id))
    }

    async fn live_grid(&self, id: &str) -> Result<Option<Grid>, SourceError> {
        if super::drive::live_file(&self.session, &self.drive, id, "id,trashed")
            .await?
            .is_none()
        {
            return Ok(None);
        }
        self.session.pace("sheets.read", 1).await;
        let mut policy = self.session.meter().policy();
        let found = self
            .session
            .timed(
                "sheets spreadsheets.get",
                self.sheets
                    .spreadsheets()
                    .get(id)
                    .delegate(&mut policy)
                    .doit(),
            )
            .await;
        match found {
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
            Ok(s) => grid_of(&s).map(Some).ok_or_else(|| {
                incomplete(
                    "sheets spreadsheets.get",
                    "the spreadsheet came back without its sheets",
                )
            }),
        }
    }

    async fn create(
        &self,
        title: &str,
        sheet_title: &str,
        rows: u32,
        columns: u32,
    ) -> Result<Grid, SourceError> {
        let request: google_sheets4::api::Spreadsheet = serde_json::from_value(json!({
            "properties": { "title": title },
            "sheets": [{ "properties": {
                "title": sheet_title,
                "gridProperties": { "rowCount": rows, "columnCount": columns, "frozenRowCount": 1 }
            } }]
        }))
        .map_err(|source| {
            SourceError::from(GoogleError::Garbled {
                api: "sheets spreadsheets.create",
                source,
            })
        })?;
        self.session.pace("sheets.write", 1).await;
        let mut policy = self.session.meter().policy();
        let created = self
            .session
            .timed(
                "sheets spreadsheets.create",
                self.sheets
                    .spreadsheets()
                    .create(request)
                    .delegate(&mut policy)
                    .doit(),
            )
            .await?;
        grid_of(&created).ok_or_else(|| {
            incomplete(
                "sheets spreadsheets.create",
                "the spreadsheet came back without its sheets",
            )
        })
    }

    async fn add_rows(&self, grid: &Grid, rows: u32) -> Result<(), SourceError> {
        self.append_dimension(grid, "ROWS", rows).await
    }

    async fn write(
        &self,
        grid: &Grid,
        block: &CellBlock,
        values: Vec<Vec<SheetCell>>,
    ) -> Result<(), SourceError> {
        self.write_values(grid, block, values).await
    }
}

impl GoogleSheets {
    /// Grows a sheet by `length` rows or columns (batchUpdate appendDimension).
    async fn append_dimension(
        &self,
        grid: &Grid,
        dimension: &str,
        length: u32,
    ) -> Result<(), SourceError> {
        let request: google_sheets4::api::BatchUpdateSpreadsheetRequest = serde_json::from_value(json!({
            "requests": [{ "appendDimension": { "sheetId": grid.sheet_id, "dimension": dimension, "length": length } }]
        }))
        .map_err(|source| SourceError::from(GoogleError::Garbled { api: "sheets batchUpdate", source }))?;
        self.session.pace("sheets.write", 1).await;
        let mut policy = self.session.meter().policy();
        self.session
            .timed(
                "sheets batchUpdate",
                self.sheets
                    .spreadsheets()
                    .batch_update(request, &grid.spreadsheet_id)
                    .delegate(&mut policy)
                    .doit(),
            )
            .await?;
        Ok(())
    }

    async fn write_values(
        &self,
        grid: &Grid,
        block: &CellBlock,
        values: Vec<Vec<SheetCell>>,
    ) -> Result<(), SourceError> {
        let range = &a1(block);
        let values: Vec<Vec<serde_json::Value>> = values
            .into_iter()
            .map(|row| {
                row.into_iter()
                    .map(|c| match c {
                        SheetCell::Text(t) => json!(t),
                        SheetCell::Number(n) => json!(n),
                    })
                    .collect()
            })
            .collect();
        let body = google_sheets4::api::ValueRange {
            range: Some(range.to_string()),
            major_dimension: Some("ROWS".into()),
            values: Some(values),
        };
        self.session.pace("sheets.write", 1).await;
        let mut policy = self.session.meter().policy();
        self.session
            .timed(
                "sheets values.update",
                self.sheets
                    .spreadsheets()
                    .values_update(body, &grid.spreadsheet_id, &path_range(range))
                    .value_input_option("RAW")
                    .delegate(&mut policy)
                    .doit(),
            )
            .await?;
        Ok(())
    }
}

/// A cell as the sheet shows it.
fn cell_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

impl SheetTable for GoogleSheets {
    async fn rows(
        &self,
        spreadsheet_id: &str,
        sheet: &str,
    ) -> Result<Vec<Vec<String>>, SourceError> {
        // The sheet's name alone is every cell it has, whatever its grid size
        // (https://developers.google.com/workspace/sheets/api/guides/concepts, "A1 notation":
        // `Sheet1` refers to all the cells in Sheet1); a fixed `A:AZ` is refused by a sheet with
        // fewer columns ("exceeds grid limits").
        let range = super::a1::whole_sheet(sheet);
        self.session.pace("sheets.read", 1).await;
        let mut policy = self.session.meter().policy();
        let values = self
            .session
            .timed(
                "sheets values.get",
                self.sheets
                    .spreadsheets()
                    .values_get(spreadsheet_id, &path_range(&range))
                    .delegate(&mut policy)
                    .doit(),
            )
            .await?;
        Ok(values
            .values
            .unwrap_or_default()
            .iter()
            .map(|row| row.iter().map(cell_text).collect())
            .collect())
    }

    async fn rows_and_grid(
        &self,
        spreadsheet_id: &str,
        sheet: &str,
    ) -> Result<Option<(Vec<Vec<String>>, Grid)>, SourceError> {
        // spreadsheets.get with the sheet's range and includeGridData: the grid's size and the
        // cells as displayed, in one read request.
        let range = super::a1::whole_sheet(sheet);
        self.session.pace("sheets.read", 1).await;
        let mut policy = self.session.meter().policy();
        let found = self.session.timed(
            "sheets spreadsheets.get",
            self.sheets
                .spreadsheets()
                .get(spreadsheet_id)
                .add_ranges(&range)
                .include_grid_data(true)
                .param(
                    "fields",
                    "spreadsheetId,spreadsheetUrl,sheets(properties,data(rowData(values(formattedValue))))",
                )
                .delegate(&mut policy)
                .doit(),
        )
        .await;
        let s = match found {
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e),
            Ok(s) => s,
        };
        let Some(grid) = grid_named(&s, sheet) else {
            return Ok(None);
        };
        let rows = s
            .sheets
            .iter()
            .flatten()
            .filter(|x| x.properties.as_ref().and_then(|p| p.title.as_deref()) == Some(sheet))
            .flat_map(|x| x.data.iter().flatten())
            .flat_map(|d| d.row_data.iter().flatten())
            .map(|r| {
                let mut cells: Vec<String> = r
                    .values
                    .iter()
                    .flatten()
                    .map(|c| c.formatted_value.clone().unwrap_or_default())
                    .collect();
                while cells.last().is_some_and(String::is_empty) {
                    cells.pop();
                }
                cells
            })
            .collect();
        Ok(Some((rows, grid)))
    }

    async fn add_columns(&self, grid: &Grid, columns: u32) -> Result<(), SourceError> {
        self.append_dimension(grid, "COLUMNS", columns).await
    }

    async fn write_blocks(
        &self,
        spreadsheet_id: &str,
        blocks: Vec<(CellBlock, Vec<Vec<String>>)>,
    ) -> Result<(), SourceError> {
        let data = blocks
            .into_iter()
            .map(|(block, rows)| google_sheets4::api::ValueRange {
                range: Some(a1(&block)),
                major_dimension: Some("ROWS".into()),
                values: Some(
                    rows.into_iter()
                        .map(|r| r.into_iter().map(serde_json::Value::String).collect())
                        .collect(),
                ),
            })
            .collect();
        let request = google_sheets4::api::BatchUpdateValuesRequest {
            data: Some(data),
            value_input_option: Some("RAW".into()),
            ..Default::default()
        };
        self.session.pace("sheets.write", 1).await;
        let mut policy = self.session.meter().policy();
        self.session
            .timed(
                "sheets values.batchUpdate",
                self.sheets
                    .spreadsheets()
                    .values_batch_update(request, spreadsheet_id)
                    .delegate(&mut policy)
                    .doit(),
            )
            .await?;
        Ok(())
    }
}
