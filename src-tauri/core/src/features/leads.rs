//! Lead ingest from a "Leads" sheet, read on each sync. Rows whose email is new to the CRM become a
//! client, a contact and a deal in the first stage (Lead); every row handled gets a status
//! ("Imported", "Already in Cremmy", "Error: …") in one batch write, so re-runs import nothing
//! twice. The plan is pure; the executor commits the imports (and a record of them) before the
//! statuses are written, so a crash in between is resolved by the record on the next run.

use std::collections::{HashMap, HashSet};
use std::future::Future;

use cremmy_protocol::sync::LeadSheet;

use crate::clock::Timestamp;
use crate::crm::write::{self, NewClient, NewContact, NewDeal};
use crate::crm::{guess_field, validate_email, validate_name, validate_phone};
use crate::db::Database;
use crate::failure::SourceError;
use crate::feature_error::{Fault, FeatureError};
use crate::features::pipeline_export::{CellBlock, Grid};
use crate::file_links::FileLinks;
use cremmy_protocol::crm::ClientKind;
use cremmy_protocol::csv::ImportField;

/// How the Leads sheet import fails.
#[derive(Debug, thiserror::Error)]
pub enum LeadsError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("Check the {field}: {reason}.")]
    Invalid { field: &'static str, reason: String },
    #[error("{}", crate::db::describe(.0))]
    Db(#[from] sqlx::Error),
}

impl FeatureError for LeadsError {
    fn fault(&self) -> Fault<'_> {
        match self {
            LeadsError::Source(e) => Fault::Provider(e),
            LeadsError::Invalid { .. } => Fault::Input,
            LeadsError::Db(_) => Fault::Storage,
        }
    }
}

const SETTING: &str = "sheets.leads";
pub const IMPORTED: &str = "Imported";
pub const ALREADY: &str = "Already in Cremmy";

/// A sheet read and written as a table of text (Google Sheets; Excel online could follow).
pub trait SheetTable: Sync {
    /// Every non-empty row of the sheet, header first, as displayed, whatever the grid's size.
    fn rows(
        &self,
        spreadsheet_id: &str,
        sheet: &str,
    ) -> impl Future<Output = Result<Vec<Vec<String>>, SourceError>> + Send;
    /// The same rows and the sheet's grid size, in one request (`None`: no such sheet, or no
    /// such spreadsheet).
    fn rows_and_grid(
        &self,
        spreadsheet_id: &str,
        sheet: &str,
    ) -> impl Future<Output = Result<Option<(Vec<Vec<String>>, Grid)>, SourceError>> + Send;
    /// Grows the sheet by `columns` columns on the right.
    fn add_columns(
        &self,
        grid: &Grid,
        columns: u32,
    ) -> impl Future<Output = Result<(), SourceError>> + Send;
    /// Writes several blocks of cells in one request.
    fn write_blocks(
        &self,
        spreadsheet_id: &str,
        blocks: Vec<(CellBlock, Vec<Vec<String>>)>,
    ) -> impl Future<Output = Result<(), SourceError>> + Send;
}

/// One row to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lead {
    /// Zero-based row in the sheet (0 is the header).
    pub row: usize,
    pub email: String,
    pub contact_name: String,
    pub client_name: String,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LeadPlan {
    /// Where statuses go (zero-based column).
    pub status_column: usize,
    /// The sheet has no status column yet: write its header too.
    pub add_status_header: bool,
    pub imports: Vec<Lead>,
    /// (row, status) for every row handled this run, imports included.
    pub statuses: Vec<(usize, String)>,
    /// The header the plan was made from (statuses are written only if it is unchanged).
    pub header: Vec<String>,
    /// Rows that already had a status (handled by an earlier run).
    pub untouched: usize,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LeadSheetError {
    #[error("The Leads sheet has no Email column. Add a header row with an \"Email\" column.")]
    NoEmailColumn,
}

/// Reads the header and decides each row. `known` are emails already in the CRM; `imported`
/// are emails this sheet imported before (their row may lack its status after a crash).
pub fn plan(
    rows: &[Vec<String>],
    known: &HashSet<String>,
    imported: &HashSet<String>,
) -> Result<LeadPlan, LeadSheetError> {
    let header = rows.first().map(Vec::as_slice).unwrap_or_default();
    let find = |field: ImportField| header.iter().position(|h| guess_field(h) == field);
    let email_col = find(ImportField::Email).ok_or(LeadSheetError::NoEmailColumn)?;
    let status = header.iter().position(|h| {
        matches!(
            h.trim().to_lowercase().as_str(),
            "status" | "cremmy" | "cremmy status" | "imported"
        )
    });
    let (name_col, client_col, phone_col) = (
        find(ImportField::ContactName),
        find(ImportField::ClientName),
        find(ImportField::Phone),
    );
    let mut out = LeadPlan {
        status_column: status.unwrap_or(header.len()),
        add_status_header: status.is_none(),
        header: header.to_vec(),
        ..Default::default()
    };
    let cell = |row: &[String], col: Option<usize>| -> String {
        col.and_then(|c| row.get(c))
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let mut first_row_of: HashMap<String, usize> = HashMap::new();
    for (i, row) in rows.iter().enumerate().skip(1) {
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if !cell(row, Some(out.status_column)).is_empty() {
            out.untouched += 1;
            continue;
        }
        let raw = cell(row, Some(email_col));
        let email = match validate_email(&raw) {
            Ok(e) => e,
            Err(e) => {
                let reason = e.to_string();
                out.statuses.push((i, format!("Error: {reason}")));
                continue;
            }
        };
        if let Some(first) = first_row_of.get(&email) {
            out.statuses
                .push((i, format!("Duplicate of row {}", first + 1)));
            continue;
        }
        first_row_of.insert(email.clone(), i);
        if imported.contains(&email) {
            out.statuses.push((i, IMPORTED.into()));
            continue;
        }
        if known.contains(&email) {
            out.statuses.push((i, ALREADY.into()));
            continue;
        }
        let contact_name = Some(cell(row, name_col))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| email.split('@').next().unwrap_or(&email).to_string());
        let client_name = Some(cell(row, client_col))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| contact_name.clone());
        let phone = Some(cell(row, phone_col)).filter(|p| !p.is_empty());
        // The same rules as the forms and CSV import: a row from a public form is untrusted.
        let checked = validate_name("name", &contact_name).and_then(|contact| {
            let client = validate_name("company", &client_name)?;
            let phone = phone.as_deref().map(validate_phone).transpose()?;
            Ok((contact, client, phone))
        });
        let (contact_name, client_name, phone) = match checked {
            Ok(values) => values,
            Err(e) => {
                out.statuses.push((i, format!("Error: {e}")));
                continue;
            }
        };
        out.statuses.push((i, IMPORTED.into()));
        out.imports.push(Lead {
            row: i,
            email,
            contact_name,
            client_name,
            phone,
        });
    }
    Ok(out)
}

/// A row's cells apart from its status, as compared between reads (trimmed, trailing blanks
/// dropped).
fn row_key(row: &[String], status_column: usize) -> Vec<&str> {
    let mut key: Vec<&str> = row
        .iter()
        .enumerate()
        .map(|(i, c)| if i == status_column { "" } else { c.trim() })
        .collect();
    while key.last() == Some(&"") {
        key.pop();
    }
    key
}

/// Where each planned status goes in the sheet as it is now: the user may have sorted, inserted
/// or deleted rows since the plan read it. A status goes to its planned row if that row still
/// holds what was read there; else to the one row without a status that holds it; else nowhere
/// (the next run reads the row again, and the import record keeps it from importing twice).
/// If the header changed, nothing is written.
pub fn relocate(
    plan: &LeadPlan,
    read: &[Vec<String>],
    now: &[Vec<String>],
) -> Vec<(usize, String)> {
    let col = plan.status_column;
    if now.first().map(|h| row_key(h, col)) != Some(row_key(&plan.header, col)) {
        return Vec::new();
    }
    let status_empty = |row: &[String]| row.get(col).is_none_or(|c| c.trim().is_empty());
    let mut out = Vec::with_capacity(plan.statuses.len());
    let mut taken: HashSet<usize> = HashSet::new();
    for (row, status) in &plan.statuses {
        let Some(was) = read.get(*row) else { continue };
        let key = row_key(was, col);
        let same = |i: usize| {
            now.get(i)
                .is_some_and(|r| status_empty(r) && row_key(r, col) == key)
        };
        let target = if same(*row) && !taken.contains(row) {
            Some(*row)
        } else {
            let mut holding = (1..now.len()).filter(|i| same(*i) && !taken.contains(i));
            match (holding.next(), holding.next()) {
                (Some(only), None) => Some(only),
                _ => None,
            }
        };
        if let Some(target) = target {
            taken.insert(target);
            out.push((target, status.clone()));
        }
    }
    out
}

pub async fn configured(db: &Database) -> Result<Option<LeadSheet>, sqlx::Error> {
    db.json_setting(SETTING).await
}

/// Saves (or with an empty link, removes) the Leads sheet.
pub async fn configure(
    db: &Database,
    input: &LeadSheet,
    links: &FileLinks,
    now: Timestamp,
) -> Result<Option<LeadSheet>, LeadsError> {
    if input.spreadsheet.trim().is_empty() {
        db.put_setting(SETTING, None, now).await?;
        return Ok(None);
    }
    let id = (links.id_of)(&input.spreadsheet).ok_or(LeadsError::Invalid {
        field: "Leads sheet",
        reason: format!("paste {} or its id", links.spreadsheet),
    })?;
    let sheet = match input.sheet.trim() {
        "" => "Leads".to_string(),
        s => s.to_string(),
    };
    let saved = LeadSheet {
        spreadsheet: id,
        sheet,
    };
    let json = serde_json::to_string(&saved).map_err(|e| LeadsError::Invalid {
        field: "Leads sheet",
        reason: e.to_string(),
    })?;
    db.put_setting(SETTING, Some(&json), now).await?;
    Ok(Some(saved))
}

/// What a lead run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeadRun {
    pub rows: i64,
    pub imported: i64,
    pub skipped: i64,
    pub errors: i64,
}

/// Reads the sheet, imports new leads in one transaction, then marks every handled row in one
/// write.
pub async fn ingest(
    db: &Database,
    table: &impl SheetTable,
    sheet: &LeadSheet,
    now: Timestamp,
    run: &mut LeadRun,
) -> Result<(), LeadsError> {
    let rows = table.rows(&sheet.spreadsheet, &sheet.sheet).await?;
    run.rows = rows.len().saturating_sub(1) as i64;
    let known: HashSet<String> =
        sqlx::query_scalar::<_, String>("SELECT email FROM contact_emails")
            .fetch_all(db.pool())
            .await?
            .into_iter()
            .collect();
    let imported: HashSet<String> = sqlx::query_scalar::<_, String>(
        "SELECT lower(email) FROM lead_imports WHERE spreadsheet_id = ?",
    )
    .bind(&sheet.spreadsheet)
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .collect();
    let plan = plan(&rows, &known, &imported).map_err(|e| LeadsError::Invalid {
        field: "Leads sheet",
        reason: e.to_string(),
    })?;
    run.imported = plan.imports.len() as i64;
    run.errors = plan
        .statuses
        .iter()
        .filter(|(_, s)| s.starts_with("Error") || s.starts_with("Duplicate"))
        .count() as i64;
    run.skipped = plan.statuses.len() as i64 - run.imported - run.errors + plan.untouched as i64;
    if plan.statuses.is_empty() {
        return Ok(());
    }
    // The clients it makes are announced when it commits (their follow-ups run then).
    commit_imports(db, &sheet.spreadsheet, &plan.imports, now).await?;
    // The sheet may have changed while the imports were committed: statuses go to the rows that
    // hold what was read, never by position alone. The same read gives the grid's size: never
    // write past it (a sheet using all its columns has no room for the Status column).
    let Some((now_rows, grid)) = table
        .rows_and_grid(&sheet.spreadsheet, &sheet.sheet)
        .await?
    else {
        return Err(LeadsError::Invalid {
            field: "Leads sheet",
            reason: format!("the sheet \"{}\" is gone from the spreadsheet", sheet.sheet),
        });
    };
    let statuses = relocate(&plan, &rows, &now_rows);
    if statuses.is_empty() {
        return Ok(());
    }
    let needed = plan.status_column as u32 + 1;
    if needed > grid.columns {
        table.add_columns(&grid, needed - grid.columns).await?;
    }
    let mut blocks: Vec<(CellBlock, Vec<Vec<String>>)> = statuses
        .iter()
        .map(|(row, status)| {
            (
                CellBlock::at(&sheet.sheet, *row as u32, plan.status_column as u32, 1, 1),
                vec![vec![status.clone()]],
            )
        })
        .collect();
    if plan.add_status_header {
        blocks.push((
            CellBlock::at(&sheet.sheet, 0, plan.status_column as u32, 1, 1),
            vec![vec!["Status".into()]],
        ));
    }
    table.write_blocks(&sheet.spreadsheet, blocks).await?;
    Ok(())
}

async fn commit_imports(
    db: &Database,
    spreadsheet_id: &str,
    leads: &[Lead],
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    let mut tx = write::CrmTx::begin(db).await?;
    let first_stage: Option<i64> =
        sqlx::query_scalar("SELECT id FROM stages WHERE kind = 'open' ORDER BY position LIMIT 1")
            .fetch_optional(&mut *tx)
            .await?;
    for lead in leads {
        let client = NewClient {
            name: &lead.client_name,
            kind: ClientKind::Organisation,
            website: "",
            domain: "",
            notes: "Imported from the Leads sheet.",
            created_at: now,
        };
        let client_id = write::insert_client(&mut tx, &client).await?;
        let contact = NewContact {
            client_id,
            name: &lead.contact_name,
            title: "",
            email: Some(&lead.email),
            phone: lead.phone.as_deref(),
            created_at: now,
        };
        write::insert_contact(&mut tx, &contact).await?;
        if let Some(stage) = first_stage {
            let deal = NewDeal {
                client_id,
                title: &lead.client_name,
                value_minor: 0,
                currency: "USD",
                stage_id: stage,
                owner: "",
                expected_close: None,
                won_at: None,
                lost_at: None,
                created_at: now,
            };
            write::insert_deal(&mut tx, &deal).await?;
        }
        sqlx::query(
            "INSERT OR IGNORE INTO lead_imports (spreadsheet_id, email, client_id, imported_at) VALUES (?, ?, ?, ?)",
        )
        .bind(spreadsheet_id)
        .bind(&lead.email)
        .bind(client_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit(now).await?;
    Ok(())
}
