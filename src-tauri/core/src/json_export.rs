//! The full JSON export: every table of the user's data in one file, beside the CSV exports of
//! clients, contacts, deals and activities. The format is documented in `docs/json-export.md`:
//!
//! ```json
//! { "format": "cremmy-export", "format_version": 1, "schema_version": 14,
//!   "exported_at": "2026-11-30T10:15:00Z",
//!   "tables": { "clients": { "columns": ["id", "gid", "name", …], "rows": [[1, "0193…", "Acme", …]] } } }
//! ```
//!
//! Every stored table is there, with every column, in the database's own order (rows by rowid);
//! only SQLite's and the migration tool's bookkeeping and the search indexes (rebuilt from the
//! data) are left out. Values keep their SQLite type: integers and reals as JSON numbers, text as
//! strings, blobs as base64 strings, NULL as null. Tokens are never in the database, so never here.

use std::io::Write;

use serde_json::{json, Map, Value};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, TypeInfo, ValueRef};

use crate::clock::Timestamp;
use crate::db::Database;

/// Bumped when the file's shape (not the tables in it) changes.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum JsonExportError {
    #[error("Cannot read the database for the export: {0}")]
    Db(#[from] sqlx::Error),
    #[error("Cannot write the export: {0}. Check the folder exists and has free space.")]
    Write(#[from] std::io::Error),
}

impl crate::HasErrorCode for JsonExportError {
    fn code(&self) -> cremmy_protocol::ErrorCode {
        match self {
            JsonExportError::Db(_) => cremmy_protocol::ErrorCode::Internal,
            JsonExportError::Write(_) => cremmy_protocol::ErrorCode::DataDirUnavailable,
        }
    }
}

/// The tables exported: every ordinary table but SQLite's, the migration tool's, and the search
/// indexes with their shadow tables.
pub async fn exported_tables(db: &Database) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT name, type, sql FROM sqlite_master WHERE type = 'table' ORDER BY name",
    )
    .fetch_all(db.pool())
    .await?;
    let virtual_tables: Vec<&str> = rows
        .iter()
        .filter(|(_, _, sql)| {
            sql.as_deref().is_some_and(|s| {
                s.trim_start()
                    .to_ascii_uppercase()
                    .starts_with("CREATE VIRTUAL")
            })
        })
        .map(|(name, _, _)| name.as_str())
        .collect();
    Ok(rows
        .iter()
        .map(|(name, _, _)| name)
        .filter(|name| !name.starts_with("sqlite_") && name.as_str() != "_sqlx_migrations")
        .filter(|name| {
            !virtual_tables
                .iter()
                .any(|v| name.as_str() == *v || name.starts_with(&format!("{v}_")))
        })
        .cloned()
        .collect())
}

fn value_of(row: &SqliteRow, index: usize) -> Value {
    let Ok(raw) = row.try_get_raw(index) else {
        return Value::Null;
    };
    if raw.is_null() {
        return Value::Null;
    }
    match raw.type_info().name() {
        "INTEGER" => row
            .try_get::<i64, _>(index)
            .map_or(Value::Null, Value::from),
        "REAL" => row
            .try_get::<f64, _>(index)
            .map_or(Value::Null, Value::from),
        "BLOB" => row
            .try_get::<Vec<u8>, _>(index)
            .map_or(Value::Null, |b| Value::String(base64(&b))),
        _ => row
            .try_get::<String, _>(index)
            .map_or(Value::Null, Value::String),
    }
}

/// Standard base64 with padding (RFC 4648 §4).
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Writes the export of `db` to `out`; returns how many rows it holds.
pub async fn export(
    db: &Database,
    now: Timestamp,
    out: &mut impl Write,
) -> Result<u64, JsonExportError> {
    let schema_version: Option<i64> =
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = 1")
            .fetch_one(db.pool())
            .await?;
    // One read transaction: every table from the same snapshot, while syncs carry on writing.
    let mut conn = db.pool().begin().await?;
    let mut tables = Map::new();
    let mut total = 0u64;
    for table in exported_tables(db).await? {
        let quoted = format!("\"{}\"", table.replace('"', "\"\""));
        let columns: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT name FROM pragma_table_info('{}') ORDER BY cid",
            table.replace('\'', "''")
        ))
        .fetch_all(&mut *conn)
        .await?;
        let order = if has_rowid(&mut conn, &table).await? {
            " ORDER BY rowid"
        } else {
            ""
        };
        let rows = sqlx::query(&format!("SELECT * FROM {quoted}{order}"))
            .fetch_all(&mut *conn)
            .await?;
        total += rows.len() as u64;
        let rows: Vec<Value> = rows
            .iter()
            .map(|row| Value::Array((0..row.columns().len()).map(|i| value_of(row, i)).collect()))
            .collect();
        tables.insert(table, json!({ "columns": columns, "rows": rows }));
    }
    conn.rollback().await?;
    let document = json!({
        "format": "cremmy-export",
        "format_version": FORMAT_VERSION,
        "schema_version": schema_version,
        "exported_at": crate::crm::iso_utc(now),
        "tables": tables,
    });
    serde_json::to_writer(&mut *out, &document).map_err(std::io::Error::from)?;
    out.flush()?;
    Ok(total)
}

async fn has_rowid(conn: &mut sqlx::SqliteConnection, table: &str) -> Result<bool, sqlx::Error> {
    let sql: Option<String> =
        sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?")
            .bind(table)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(!sql
        .unwrap_or_default()
        .to_ascii_uppercase()
        .contains("WITHOUT ROWID"))
}
