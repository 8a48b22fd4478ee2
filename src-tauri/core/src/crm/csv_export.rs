//! CSV export of clients, contacts, deals and activities, streamed row by row (a million
//! activities never sit in memory at once). Times are ISO 8601 UTC.

use std::io::Write;

use cremmy_protocol::csv::ExportTable;
use futures_util::TryStreamExt;
use sqlx::Row;

use super::{civil_from_days, Crm, CrmError, CrmResult};

/// `2026-11-22T09:05:00Z` for Unix milliseconds.
pub fn iso_utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// A text cell as a spreadsheet may open it safely. Cells that start like a formula (`=`, `+`,
/// `-`, `@`, a tab or a carriage return) get a leading `'`, so Excel, LibreOffice and Sheets show
/// the text instead of running it (OWASP, "CSV Injection"); names, subjects and lead rows come
/// from outside and may be written to attack whoever opens the export. A plain number or phone
/// number (`+1 555 0100`, `-5`) cannot call anything and is left as it is.
pub fn neutralised(cell: String) -> String {
    let Some(first) = cell.chars().next() else {
        return cell;
    };
    let numeric = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '.' | '(' | ')'))
    };
    let dangerous = match first {
        '=' | '@' | '\t' | '\r' => true,
        '+' | '-' => !numeric(&cell),
        _ => false,
    };
    if dangerous {
        format!("'{cell}")
    } else {
        cell
    }
}

/// What a column holds, so one streaming loop can write every table.
#[derive(Clone, Copy)]
enum Col {
    Int,
    Text,
    OptText,
    Time,
    OptTime,
    Bool,
}

fn spec(table: ExportTable) -> (&'static [&'static str], &'static [Col], &'static str) {
    use Col::*;
    match table {
        ExportTable::Clients => (
            &["id", "name", "kind", "website", "domain", "tags", "notes", "archived", "created_at", "updated_at"],
            &[Int, Text, Text, Text, Text, OptText, Text, Bool, Time, Time],
            "SELECT c.id, c.name, c.kind, c.website, c.domain, \
             (SELECT group_concat(name, '; ') FROM (SELECT t.name FROM client_tags ct JOIN tags t ON t.id = ct.tag_id WHERE ct.client_id = c.id ORDER BY t.name COLLATE NOCASE)), \
             c.notes, c.archived, c.created_at, c.updated_at FROM clients c ORDER BY c.id",
        ),
        ExportTable::Contacts => (
            &["id", "client_id", "client", "name", "title", "emails", "phones", "archived"],
            &[Int, Int, Text, Text, Text, OptText, OptText, Bool],
            "SELECT p.id, p.client_id, c.name, p.name, p.title, \
             (SELECT group_concat(email, '; ') FROM (SELECT email FROM contact_emails WHERE contact_id = p.id ORDER BY is_primary DESC, id)), \
             (SELECT group_concat(phone, '; ') FROM (SELECT phone FROM contact_phones WHERE contact_id = p.id ORDER BY is_primary DESC, id)), \
             p.archived FROM contacts p JOIN clients c ON c.id = p.client_id ORDER BY p.id",
        ),
        ExportTable::Deals => (
            &["id", "client_id", "client", "title", "stage", "value_minor", "currency", "owner", "expected_close", "won_at", "lost_at", "created_at"],
            &[Int, Int, Text, Text, Text, Int, Text, Text, OptText, OptTime, OptTime, Time],
            "SELECT d.id, d.client_id, c.name, d.title, s.name, d.value_minor, d.currency, d.owner, d.expected_close, d.won_at, d.lost_at, d.created_at \
             FROM deals d JOIN clients c ON c.id = d.client_id JOIN stages s ON s.id = d.stage_id ORDER BY s.position, d.position",
        ),
        ExportTable::Activities => (
            &["id", "client_id", "client", "kind", "direction", "subject", "body", "occurred_at", "source", "external_id"],
            &[Int, Int, Text, Text, Text, Text, Text, Time, Text, OptText],
            "SELECT a.id, a.client_id, c.name, a.kind, a.direction, a.subject, a.body, a.occurred_at, a.source, a.external_id \
             FROM activities a JOIN clients c ON c.id = a.client_id ORDER BY a.id",
        ),
    }
}

impl Crm {
    /// Writes `table` as CSV (with a header row) to `out`; returns the number of data rows.
    pub async fn export_csv(&self, table: ExportTable, out: impl Write) -> CrmResult<u64> {
        let (headers, cols, sql) = spec(table);
        let mut writer = csv::Writer::from_writer(out);
        let io = |e: csv::Error| CrmError::Export(e.into());
        writer.write_record(headers).map_err(io)?;
        let mut rows = sqlx::query(sql).fetch(self.pool());
        let mut count = 0u64;
        while let Some(row) = rows.try_next().await? {
            let mut record: Vec<String> = Vec::with_capacity(cols.len());
            for (i, col) in cols.iter().enumerate() {
                record.push(match col {
                    Col::Int => row.try_get::<i64, _>(i)?.to_string(),
                    Col::Text => neutralised(row.try_get::<String, _>(i)?),
                    Col::OptText => {
                        neutralised(row.try_get::<Option<String>, _>(i)?.unwrap_or_default())
                    }
                    Col::Time => iso_utc(row.try_get::<i64, _>(i)?),
                    Col::OptTime => row
                        .try_get::<Option<i64>, _>(i)?
                        .map(iso_utc)
                        .unwrap_or_default(),
                    Col::Bool => row.try_get::<bool, _>(i)?.to_string(),
                });
            }
            writer.write_record(&record).map_err(io)?;
            count += 1;
        }
        writer.flush().map_err(CrmError::Export)?;
        Ok(count)
    }
}
