//! CSV import of clients and contacts: what the preview shows and what a commit reports.

use serde::{Deserialize, Serialize};

/// A CSV column's meaning in Cremmy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportField {
    ClientName,
    Website,
    Tags,
    ClientNotes,
    ContactName,
    ContactTitle,
    Email,
    Phone,
    /// The column is not imported.
    Ignore,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnMapping {
    pub header: String,
    pub field: ImportField,
}

/// What happens to one data row (row numbers count the header as row 1, as spreadsheets do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RowOutcome {
    NewClient {
        client: String,
        contact: Option<String>,
    },
    ExistingClient {
        client: String,
        contact: Option<String>,
    },
    /// Nothing to do: the row's email already belongs to a contact in Cremmy.
    AlreadyPresent {
        email: String,
    },
    Error {
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowReport {
    pub row: u64,
    pub outcome: RowOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportPreview {
    pub mapping: Vec<ColumnMapping>,
    pub rows: Vec<RowReport>,
    pub clients_to_create: u64,
    pub contacts_to_create: u64,
    pub errors: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportResult {
    pub clients_created: u64,
    pub contacts_created: u64,
    pub rows_skipped: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportTable {
    Clients,
    Contacts,
    Deals,
    Activities,
}
