//! A1 notation, as the Sheets API takes ranges (`'Sheet name'!A1:H12`).

use crate::features::pipeline_export::CellBlock;

/// The block in A1 notation, the sheet name quoted.
pub fn a1(block: &CellBlock) -> String {
    a1_range_from(
        block.sheet.as_str(),
        block.row,
        block.column,
        block.rows,
        block.columns,
    )
}

/// Every cell of a sheet: its quoted name alone (`'Sheet name'`), whatever its grid size.
pub fn whole_sheet(sheet: &str) -> String {
    format!("'{}'", sheet.replace('\'', "''"))
}

/// `'Sheet name'!A1:H12`, the sheet name quoted as A1 notation wants.
pub fn a1_range(sheet: &str, rows: u32, columns: u32) -> String {
    a1_range_from(sheet, 0, 0, rows.max(1), columns)
}

/// A block of `rows` × `columns` cells whose top-left cell is (`row`, `column`), zero-based.
pub fn a1_range_from(sheet: &str, row: u32, column: u32, rows: u32, columns: u32) -> String {
    format!(
        "'{}'!{}{}:{}{}",
        sheet.replace('\'', "''"),
        column_name(column + 1),
        row + 1,
        column_name(column + columns.max(1)),
        row + rows.max(1)
    )
}

fn column_name(mut n: u32) -> String {
    let mut name = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        name.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_else(|_| "A".into())
}
