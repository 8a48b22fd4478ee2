//! A1 notation as the Sheets API reads it: `Sheet1!A1:C3`, `'Q3 ''24 pipeline'!A:C`, `2:5`,
//! `A2:C` (open-ended), `Sheet1` (the whole sheet) or `A1:B2` (the first sheet).

/// A range with the sheet still named (resolved against the spreadsheet by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct A1 {
    pub sheet: Option<String>,
    pub cells: Cells,
}

/// Zero-based, end-exclusive; `None` = unbounded on that side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cells {
    pub start_row: Option<usize>,
    pub end_row: Option<usize>,
    pub start_col: Option<usize>,
    pub end_col: Option<usize>,
}

impl Cells {
    pub fn whole_sheet() -> Cells {
        Cells::default()
    }
}

/// One side of a `:`: a column, a row, or both (`C`, `7`, `C7`).
fn parse_ref(s: &str) -> Option<(Option<usize>, Option<usize>)> {
    let letters: String = s.chars().take_while(char::is_ascii_alphabetic).collect();
    let digits = &s[letters.len()..];
    if (letters.is_empty() && digits.is_empty())
        || !digits.chars().all(|c| c.is_ascii_digit())
        || letters.len() > 3
    {
        return None;
    }
    let col = (!letters.is_empty()).then(|| {
        letters
            .to_ascii_uppercase()
            .bytes()
            .fold(0usize, |acc, b| acc * 26 + (b - b'A' + 1) as usize)
            - 1
    });
    let row = if digits.is_empty() {
        None
    } else {
        match digits.parse::<usize>().ok()? {
            0 => return None,
            n => Some(n - 1),
        }
    };
    Some((row, col))
}

/// Parses the cell part (`A1`, `A1:C3`, `A:C`, `2:5`, `A2:C`).
pub fn parse_cells(s: &str) -> Option<Cells> {
    let (a, b) = match s.split_once(':') {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    };
    let (r1, c1) = parse_ref(a)?;
    let Some(b) = b else {
        // A single reference: one cell, a whole column or a whole row.
        return Some(Cells {
            start_row: r1,
            end_row: r1.map(|r| r + 1),
            start_col: c1,
            end_col: c1.map(|c| c + 1),
        });
    };
    let (r2, c2) = parse_ref(b)?;
    let (start_row, end_row) = match (r1, r2) {
        (Some(x), Some(y)) => (Some(x.min(y)), Some(x.max(y) + 1)),
        (Some(x), None) => (Some(x), None),
        (None, Some(y)) if c1.is_some() => (None, Some(y + 1)),
        (None, _) => (None, None),
    };
    let (start_col, end_col) = match (c1, c2) {
        (Some(x), Some(y)) => (Some(x.min(y)), Some(x.max(y) + 1)),
        (Some(x), None) => (Some(x), None),
        (None, _) => (None, None),
    };
    Some(Cells {
        start_row,
        end_row,
        start_col,
        end_col,
    })
}

/// Splits `sheet!cells`; a bare word is either a sheet name or cells, decided by `is_sheet`.
pub fn parse(range: &str, is_sheet: impl Fn(&str) -> bool) -> Result<A1, String> {
    let bad = || format!("Unable to parse range: {range}");
    let range = range.trim();
    if range.is_empty() {
        return Err(bad());
    }
    if let Some(rest) = range.strip_prefix('\'') {
        // A quoted sheet name: '' is an escaped quote; the closing quote is followed by ! or the end.
        let mut name = String::new();
        let mut chars = rest.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c != '\'' {
                name.push(c);
                continue;
            }
            if let Some((_, '\'')) = chars.peek() {
                name.push('\'');
                chars.next();
                continue;
            }
            let after = &rest[i + 1..];
            return match after.strip_prefix('!') {
                Some(cells) => Ok(A1 {
                    sheet: Some(name),
                    cells: parse_cells(cells).ok_or_else(bad)?,
                }),
                None if after.is_empty() => Ok(A1 {
                    sheet: Some(name),
                    cells: Cells::whole_sheet(),
                }),
                None => Err(bad()),
            };
        }
        return Err(bad());
    }
    if let Some((sheet, cells)) = range.rsplit_once('!') {
        return Ok(A1 {
            sheet: Some(sheet.to_string()),
            cells: parse_cells(cells).ok_or_else(bad)?,
        });
    }
    if is_sheet(range) {
        return Ok(A1 {
            sheet: Some(range.to_string()),
            cells: Cells::whole_sheet(),
        });
    }
    Ok(A1 {
        sheet: None,
        cells: parse_cells(range).ok_or_else(bad)?,
    })
}

pub fn column_letters(col: usize) -> String {
    let mut n = col + 1;
    let mut out = Vec::new();
    while n > 0 {
        out.push(b'A' + ((n - 1) % 26) as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// A sheet name as Google writes it in a range: quoted unless it is a plain word.
pub fn quote_sheet(title: &str) -> String {
    let plain = title.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && parse_cells(title).is_none();
    if plain {
        title.to_string()
    } else {
        format!("'{}'", title.replace('\'', "''"))
    }
}

/// `Sheet1!A1:C3` for a bounded block (rows/cols zero-based, end-exclusive, non-empty).
pub fn format(title: &str, rows: (usize, usize), cols: (usize, usize)) -> String {
    let (r0, r1, c0, c1) = (
        rows.0,
        rows.1.max(rows.0 + 1),
        cols.0,
        cols.1.max(cols.0 + 1),
    );
    let start = format!("{}{}", column_letters(c0), r0 + 1);
    let end = format!("{}{}", column_letters(c1 - 1), r1);
    if r1 - r0 == 1 && c1 - c0 == 1 {
        format!("{}!{start}", quote_sheet(title))
    } else {
        format!("{}!{start}:{end}", quote_sheet(title))
    }
}
