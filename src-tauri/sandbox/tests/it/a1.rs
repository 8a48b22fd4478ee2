//! A1 notation, as the Sheets routes parse and print it.

use cremmy_sandbox::google::a1::*;

fn cells(s: &str) -> (Option<usize>, Option<usize>, Option<usize>, Option<usize>) {
    let c = parse_cells(s).unwrap_or_else(|| panic!("{s} should parse"));
    (c.start_row, c.end_row, c.start_col, c.end_col)
}

#[test]
fn a1_forms() {
    assert_eq!(cells("A1"), (Some(0), Some(1), Some(0), Some(1)));
    assert_eq!(cells("B2:D10"), (Some(1), Some(10), Some(1), Some(4)));
    assert_eq!(
        cells("D10:B2"),
        (Some(1), Some(10), Some(1), Some(4)),
        "corners in any order"
    );
    assert_eq!(cells("A:C"), (None, None, Some(0), Some(3)));
    assert_eq!(cells("2:5"), (Some(1), Some(5), None, None));
    assert_eq!(cells("A2:C"), (Some(1), None, Some(0), Some(3)));
    assert_eq!(cells("AA1"), (Some(0), Some(1), Some(26), Some(27)));
    for bad in ["", "A0", "1A", "A1:", "A-1", "ABCD1"] {
        assert!(parse_cells(bad).is_none(), "{bad:?} is not A1");
    }
}

#[test]
fn sheet_names() {
    let sheets = ["Sheet1", "Leads"];
    let is_sheet = |s: &str| sheets.contains(&s);
    assert_eq!(
        parse("'Q3 ''24 pipeline'!A1:B2", is_sheet)
            .unwrap()
            .sheet
            .as_deref(),
        Some("Q3 '24 pipeline")
    );
    assert_eq!(
        parse("'My Sheet'", is_sheet).unwrap().cells,
        Cells::whole_sheet()
    );
    assert_eq!(
        parse("Leads", is_sheet).unwrap().sheet.as_deref(),
        Some("Leads"),
        "a bare sheet name"
    );
    assert_eq!(
        parse("A1:B2", is_sheet).unwrap().sheet,
        None,
        "bare cells mean the first sheet"
    );
    assert_eq!(
        parse("Sheet1!A:A", is_sheet).unwrap().cells.end_col,
        Some(1)
    );
    assert!(parse("'unterminated!A1", is_sheet).is_err());
    assert!(
        parse("Nope", is_sheet).is_err(),
        "neither a sheet nor cells"
    );
}

#[test]
fn formatting() {
    assert_eq!(column_letters(0), "A");
    assert_eq!(column_letters(25), "Z");
    assert_eq!(column_letters(26), "AA");
    assert_eq!(column_letters(701), "ZZ");
    assert_eq!(format("Sheet1", (0, 3), (0, 2)), "Sheet1!A1:B3");
    assert_eq!(format("My Sheet", (4, 5), (2, 3)), "'My Sheet'!C5");
    assert_eq!(
        quote_sheet("A1"),
        "'A1'",
        "a name that looks like a cell is quoted"
    );
}
