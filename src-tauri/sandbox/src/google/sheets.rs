//! A spreadsheet's grid as the Sheets API v4 sees it: sheets with grid sizes, cells written and
//! read through A1 ranges, appends that find the table, and Google's limits (writes outside the
//! grid fail, growth past 10 million cells fails).

use serde_json::{json, Value};

use super::a1::{self, Cells};

pub const CELL_LIMIT: usize = 10_000_000;
const DEFAULT_ROWS: usize = 1000;
const DEFAULT_COLUMNS: usize = 26;

/// A request the Sheets API refuses with 400 INVALID_ARGUMENT, worded as Google words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub String);

#[derive(Debug, Clone)]
pub struct Sheet {
    pub sheet_id: i64,
    pub title: String,
    pub row_count: usize,
    pub column_count: usize,
    /// Cell values by row; `Null` is an empty cell. Rows past the data are not stored.
    pub rows: Vec<Vec<Value>>,
}

impl Sheet {
    pub fn properties(&self, index: usize) -> Value {
        json!({
            "sheetId": self.sheet_id,
            "title": self.title,
            "index": index,
            "sheetType": "GRID",
            "gridProperties": { "rowCount": self.row_count, "columnCount": self.column_count },
        })
    }

    fn cell(&self, row: usize, col: usize) -> &Value {
        self.rows
            .get(row)
            .and_then(|r| r.get(col))
            .unwrap_or(&Value::Null)
    }

    fn set(&mut self, row: usize, col: usize, value: Value) {
        if self.rows.len() <= row {
            self.rows.resize(row + 1, Vec::new());
        }
        let cells = &mut self.rows[row];
        if cells.len() <= col {
            cells.resize(col + 1, Value::Null);
        }
        cells[col] = value;
    }

    /// The rows that hold a value in `cols`, from `from_row` on: (first, last + 1), or `None`.
    fn table_rows(&self, from_row: usize, cols: (usize, usize)) -> Option<(usize, usize)> {
        let filled = |r: &usize| (cols.0..cols.1).any(|c| !is_empty(self.cell(*r, c)));
        let first = (from_row..self.rows.len()).find(filled)?;
        let last = (first..self.rows.len()).rev().find(filled)?;
        Some((first, last + 1))
    }
}

fn is_empty(v: &Value) -> bool {
    v.is_null() || v.as_str() == Some("")
}

/// The summary Google returns for each write (`UpdateValuesResponse`).
#[derive(Debug, Clone, Default)]
pub struct Written {
    pub range: String,
    pub rows: usize,
    pub columns: usize,
    pub cells: usize,
}

impl Written {
    pub fn json(&self, spreadsheet_id: &str) -> Value {
        json!({
            "spreadsheetId": spreadsheet_id,
            "updatedRange": self.range,
            "updatedRows": self.rows,
            "updatedColumns": self.columns,
            "updatedCells": self.cells,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Spreadsheet {
    pub id: String,
    pub owner: String,
    pub title: String,
    pub sheets: Vec<Sheet>,
    next_sheet_id: i64,
}

impl Spreadsheet {
    /// A new spreadsheet; with no sheet titles it gets one "Sheet1", as Google does.
    pub fn new(
        id: String,
        owner: String,
        title: String,
        sheets: Vec<(String, Option<(usize, usize)>)>,
    ) -> Result<Spreadsheet, Invalid> {
        let mut s = Spreadsheet {
            id,
            owner,
            title,
            sheets: Vec::new(),
            next_sheet_id: 0,
        };
        let sheets = if sheets.is_empty() {
            vec![("Sheet1".to_string(), None)]
        } else {
            sheets
        };
        for (title, grid) in sheets {
            s.add_sheet(&title, grid)?;
        }
        Ok(s)
    }

    pub fn url(&self) -> String {
        format!("https://docs.google.com/spreadsheets/d/{}/edit", self.id)
    }

    pub fn json(&self) -> Value {
        json!({
            "spreadsheetId": self.id,
            "properties": { "title": self.title, "locale": "en_US", "timeZone": "Etc/GMT", "autoRecalc": "ON_CHANGE" },
            "sheets": self.sheets.iter().enumerate().map(|(i, s)| json!({ "properties": s.properties(i) })).collect::<Vec<_>>(),
            "spreadsheetUrl": self.url(),
        })
    }

    pub fn cells_total(&self) -> usize {
        self.sheets
            .iter()
            .map(|s| s.row_count * s.column_count)
            .sum()
    }

    fn check_cell_limit(&self) -> Result<(), Invalid> {
        if self.cells_total() > CELL_LIMIT {
            return Err(Invalid(format!("This action would increase the number of cells in the workbook above the limit of {CELL_LIMIT} cells.")));
        }
        Ok(())
    }

    pub fn add_sheet(
        &mut self,
        title: &str,
        grid: Option<(usize, usize)>,
    ) -> Result<usize, Invalid> {
        if self
            .sheets
            .iter()
            .any(|s| s.title.eq_ignore_ascii_case(title))
        {
            return Err(Invalid(format!(
                "A sheet with the name \"{title}\" already exists. Please enter another name."
            )));
        }
        let (row_count, column_count) = grid.unwrap_or((DEFAULT_ROWS, DEFAULT_COLUMNS));
        let sheet_id = if self.next_sheet_id == 0 {
            0
        } else {
            1_000_000 + self.next_sheet_id * 7919
        };
        self.next_sheet_id += 1;
        self.sheets.push(Sheet {
            sheet_id,
            title: title.to_string(),
            row_count,
            column_count,
            rows: Vec::new(),
        });
        self.check_cell_limit()?;
        Ok(self.sheets.len() - 1)
    }

    pub fn sheet_index(&self, sheet_id: i64) -> Result<usize, Invalid> {
        self.sheets
            .iter()
            .position(|s| s.sheet_id == sheet_id)
            .ok_or_else(|| Invalid(format!("No grid with id: {sheet_id}")))
    }

    /// Grows (or shrinks) a sheet's grid, keeping the workbook under the cell limit.
    pub fn resize(&mut self, index: usize, rows: usize, columns: usize) -> Result<(), Invalid> {
        let sheet = &mut self.sheets[index];
        sheet.row_count = rows;
        sheet.column_count = columns;
        sheet.rows.truncate(rows);
        for r in &mut sheet.rows {
            r.truncate(columns);
        }
        self.check_cell_limit()
    }

    /// A range's sheet (by index) and cells; a missing sheet name means the first sheet.
    pub fn resolve(&self, range: &str) -> Result<(usize, Cells), Invalid> {
        let parsed = a1::parse(range, |name| self.sheets.iter().any(|s| s.title == name))
            .map_err(Invalid)?;
        let index = match &parsed.sheet {
            None => 0,
            Some(name) => self
                .sheets
                .iter()
                .position(|s| &s.title == name)
                .ok_or_else(|| Invalid(format!("Unable to parse range: {range}")))?,
        };
        Ok((index, parsed.cells))
    }

    /// The values in a range, trailing empty rows and cells dropped. A range that reaches past
    /// the grid is refused, as Google refuses it (a new sheet has 1000 rows and 26 columns, so
    /// `Sheet1!A:AZ` answers 400 "Range (Sheet1!A:AZ) exceeds grid limits. Max rows: 1000, max
    /// columns: 26"); an open-ended range (`A:C`, `A2:C`, the sheet name alone) ends at the grid.
    pub fn read(
        &self,
        index: usize,
        cells: Cells,
        formatted: bool,
        asked: &str,
    ) -> Result<(String, Vec<Vec<Value>>), Invalid> {
        let sheet = &self.sheets[index];
        // Starts are inclusive and ends exclusive, zero-based.
        let past_rows = cells.start_row.is_some_and(|r| r >= sheet.row_count)
            || cells.end_row.is_some_and(|r| r > sheet.row_count);
        let past_columns = cells.start_col.is_some_and(|c| c >= sheet.column_count)
            || cells.end_col.is_some_and(|c| c > sheet.column_count);
        if past_rows || past_columns {
            return Err(Invalid(format!(
                "Range ({asked}) exceeds grid limits. Max rows: {}, max columns: {}",
                sheet.row_count, sheet.column_count
            )));
        }
        let r0 = cells
            .start_row
            .unwrap_or(0)
            .min(sheet.row_count.saturating_sub(1));
        let r1 = cells
            .end_row
            .unwrap_or(sheet.row_count)
            .min(sheet.row_count)
            .max(r0 + 1);
        let c0 = cells
            .start_col
            .unwrap_or(0)
            .min(sheet.column_count.saturating_sub(1));
        let c1 = cells
            .end_col
            .unwrap_or(sheet.column_count)
            .min(sheet.column_count)
            .max(c0 + 1);
        let mut out: Vec<Vec<Value>> = (r0..r1.min(sheet.rows.len().max(r0)))
            .map(|r| {
                let mut row: Vec<Value> = (c0..c1)
                    .map(|c| render(sheet.cell(r, c), formatted))
                    .collect();
                while row.last().is_some_and(is_empty) {
                    row.pop();
                }
                row
            })
            .collect();
        while out.last().is_some_and(Vec::is_empty) {
            out.pop();
        }
        Ok((a1::format(&sheet.title, (r0, r1), (c0, c1)), out))
    }

    /// values.update: writes `values` from the range's top-left corner, inside the range and grid.
    /// A single-cell range is only the anchor, as in Google (`Sheet1!A1` takes any block).
    pub fn write(
        &mut self,
        index: usize,
        mut cells: Cells,
        values: &[Vec<Value>],
        user_entered: bool,
    ) -> Result<Written, Invalid> {
        let sheet = &mut self.sheets[index];
        let one_cell = |start: Option<usize>, end: Option<usize>| matches!((start, end), (Some(a), Some(b)) if b == a + 1);
        if one_cell(cells.start_row, cells.end_row) && one_cell(cells.start_col, cells.end_col) {
            (cells.end_row, cells.end_col) = (None, None);
        }
        let (r0, c0) = (cells.start_row.unwrap_or(0), cells.start_col.unwrap_or(0));
        let height = values.len();
        let width = values.iter().map(Vec::len).max().unwrap_or(0);
        let asked = a1::format(
            &sheet.title,
            (r0, cells.end_row.unwrap_or(r0 + height.max(1))),
            (c0, cells.end_col.unwrap_or(c0 + width.max(1))),
        );
        if let Some(end) = cells.end_row.filter(|end| r0 + height > *end) {
            return Err(Invalid(format!(
                "Requested writing within range [{asked}], but tried writing to row [{}]",
                end + 1
            )));
        }
        if let Some(end) = cells.end_col.filter(|end| c0 + width > *end) {
            return Err(Invalid(format!(
                "Requested writing within range [{asked}], but tried writing to column [{}]",
                a1::column_letters(end)
            )));
        }
        if r0 + height.max(1) > sheet.row_count || c0 + width.max(1) > sheet.column_count {
            return Err(Invalid(format!(
                "Range ({asked}) exceeds grid limits. Max rows: {}, max columns: {}",
                sheet.row_count, sheet.column_count
            )));
        }
        for (i, row) in values.iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                sheet.set(r0 + i, c0 + j, input(v, user_entered));
            }
        }
        Ok(written(&sheet.title, r0, c0, values))
    }

    /// values.append: finds the table in the range and writes after its last row, growing the grid.
    /// Returns the table range (if there was one) and the write.
    pub fn append(
        &mut self,
        index: usize,
        cells: Cells,
        values: &[Vec<Value>],
        user_entered: bool,
        insert_rows: bool,
    ) -> Result<(Option<String>, Written), Invalid> {
        let width = values.iter().map(Vec::len).max().unwrap_or(0);
        let sheet = &self.sheets[index];
        let c0 = cells.start_col.unwrap_or(0);
        let cols = (
            c0,
            cells.end_col.unwrap_or(sheet.column_count.max(c0 + width)),
        );
        let from_row = cells.start_row.unwrap_or(0);
        let table = sheet.table_rows(from_row, cols);
        let start = table.map(|(_, end)| end).unwrap_or(from_row);
        let table_range = table.map(|(a, b)| a1::format(&sheet.title, (a, b), cols));
        let (rows_needed, cols_needed) = (start + values.len(), c0 + width);
        let (mut row_count, column_count) = (sheet.row_count, sheet.column_count.max(cols_needed));
        if insert_rows {
            row_count += values.len();
        }
        row_count = row_count.max(rows_needed);
        let old_grid = (sheet.row_count, sheet.column_count);
        if let Err(e) = self.resize(index, row_count, column_count) {
            (
                self.sheets[index].row_count,
                self.sheets[index].column_count,
            ) = old_grid;
            return Err(e);
        }
        let sheet = &mut self.sheets[index];
        if insert_rows && start < sheet.rows.len() {
            sheet
                .rows
                .splice(start..start, std::iter::repeat_n(Vec::new(), values.len()));
        }
        for (i, row) in values.iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                sheet.set(start + i, c0 + j, input(v, user_entered));
            }
        }
        Ok((table_range, written(&sheet.title, start, c0, values)))
    }

    /// values.clear: empties the cells of a range (the grid keeps its size).
    pub fn clear(&mut self, index: usize, cells: Cells) -> String {
        let sheet = &mut self.sheets[index];
        let (r0, r1) = (
            cells.start_row.unwrap_or(0),
            cells
                .end_row
                .unwrap_or(sheet.row_count)
                .min(sheet.row_count),
        );
        let (c0, c1) = (
            cells.start_col.unwrap_or(0),
            cells
                .end_col
                .unwrap_or(sheet.column_count)
                .min(sheet.column_count),
        );
        for row in sheet.rows.iter_mut().take(r1).skip(r0) {
            for cell in row.iter_mut().take(c1).skip(c0) {
                *cell = Value::Null;
            }
        }
        a1::format(&sheet.title, (r0, r1.max(r0 + 1)), (c0, c1.max(c0 + 1)))
    }
}

fn written(title: &str, r0: usize, c0: usize, values: &[Vec<Value>]) -> Written {
    let width = values.iter().map(Vec::len).max().unwrap_or(0);
    if values.is_empty() || width == 0 {
        return Written {
            range: a1::format(title, (r0, r0 + 1), (c0, c0 + 1)),
            ..Written::default()
        };
    }
    Written {
        range: a1::format(title, (r0, r0 + values.len()), (c0, c0 + width)),
        rows: values.iter().filter(|r| !r.is_empty()).count(),
        columns: width,
        cells: values.iter().map(Vec::len).sum(),
    }
}

/// A written value as stored: RAW keeps it; USER_ENTERED parses numbers and booleans as the UI would.
fn input(v: &Value, user_entered: bool) -> Value {
    match v {
        Value::String(s) if user_entered => {
            if let Ok(n) = s.trim().parse::<f64>() {
                json!(n)
            } else if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") {
                json!(s.eq_ignore_ascii_case("true"))
            } else {
                v.clone()
            }
        }
        Value::Null => Value::Null,
        other => other.clone(),
    }
}

/// A stored value as values.get renders it: FORMATTED_VALUE gives strings, UNFORMATTED_VALUE types.
fn render(v: &Value, formatted: bool) -> Value {
    match v {
        Value::Null => json!(""),
        Value::Number(n) if formatted => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => json!(format!("{}", f as i64)),
            _ => json!(n.to_string()),
        },
        Value::Bool(b) if formatted => json!(if *b { "TRUE" } else { "FALSE" }),
        other => other.clone(),
    }
}
