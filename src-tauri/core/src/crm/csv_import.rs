//! CSV import of clients and contacts. The same plan serves the dry-run preview and the commit;
//! the commit re-plans inside its transaction and writes nothing if any row has an error.

use std::collections::HashMap;

use cremmy_protocol::csv::{
    ColumnMapping, ImportField, ImportPreview, ImportResult, RowOutcome, RowReport,
};
use sqlx::SqliteConnection;

use cremmy_protocol::crm::ClientKind;

use super::clients::set_tags;
use super::write::{self, NewClient, NewContact};
use super::{validate, Crm, CrmError, CrmResult};

/// Largest file the importer reads (a spreadsheet of ~100k contacts).
pub const MAX_IMPORT_BYTES: usize = 20 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    #[error("The file is empty: a CSV import needs a header row and at least one data row.")]
    Empty,
    #[error("The file is larger than {max_mb} MB; split it into smaller files.")]
    TooLarge { max_mb: usize },
    #[error("The file is not valid CSV near line {line}: {reason}")]
    Malformed { line: u64, reason: String },
    #[error("No column holds the client name; map one column (e.g. \"Company\") to Client name.")]
    NoClientColumn,
    #[error("Both \"{first}\" and \"{second}\" are mapped to {}; map each field once (in the preview's column choices, or on the command line with --map \"{first}={}\" --map \"{second}=ignore\").", field_label(*.field), field_cli_name(*.field))]
    FieldMappedTwice {
        field: ImportField,
        first: String,
        second: String,
    },
    #[error("The mapping names a column \"{0}\" that the file does not have.")]
    UnknownColumn(String),
    #[error(
        "{errors} row(s) have errors, so nothing was imported. Row {first_row}: {first_message}"
    )]
    RowErrors {
        errors: u64,
        first_row: u64,
        first_message: String,
    },
}

fn normalise(header: &str) -> String {
    header
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// Guesses what a header means from its usual spellings.
pub fn guess_field(header: &str) -> ImportField {
    match normalise(header).as_str() {
        "company" | "client" | "clientname" | "companyname" | "organisation" | "organization"
        | "account" | "accountname" => ImportField::ClientName,
        "website" | "url" | "web" | "domain" | "homepage" => ImportField::Website,
        "tags" | "tag" | "labels" => ImportField::Tags,
        "notes" | "note" | "description" | "comments" => ImportField::ClientNotes,
        "name" | "contact" | "contactname" | "fullname" | "person" => ImportField::ContactName,
        "title" | "jobtitle" | "role" | "position" => ImportField::ContactTitle,
        "email" | "emailaddress" | "mail" | "workemail" => ImportField::Email,
        "phone" | "telephone" | "mobile" | "phonenumber" | "tel" => ImportField::Phone,
        _ => ImportField::Ignore,
    }
}

/// The separator the header line uses: `,`, or `;` (what spreadsheets save as "CSV" where the
/// comma is the decimal mark), or a tab, whichever the header holds most of outside quotes.
fn delimiter_of(bytes: &[u8]) -> u8 {
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for &b in bytes.iter().take_while(|&&b| b != b'\n' && b != b'\r') {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted {
            if let Some(count) = counts.iter_mut().find(|(d, _)| *d == b) {
                count.1 += 1;
            }
        }
    }
    // Ties (none at all included) keep the comma: it is listed first.
    counts
        .iter()
        .fold(
            (b',', 0),
            |best, &(d, n)| if n > best.1 { (d, n) } else { best },
        )
        .0
}

struct Parsed {
    headers: Vec<String>,
    /// (row number as a spreadsheet shows it, fields)
    records: Vec<(u64, Vec<String>)>,
}

fn parse(bytes: &[u8]) -> Result<Parsed, CsvError> {
    if bytes.len() > MAX_IMPORT_BYTES {
        return Err(CsvError::TooLarge {
            max_mb: MAX_IMPORT_BYTES / (1024 * 1024),
        });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter_of(bytes))
        .flexible(true)
        .has_headers(true)
        .from_reader(bytes);
    let malformed = |e: csv::Error| CsvError::Malformed {
        line: e.position().map(|p| p.line()).unwrap_or(0),
        reason: match e.kind() {
            csv::ErrorKind::Utf8 { .. } => {
                "the text is not UTF-8 (save the file as \"CSV UTF-8\")".to_string()
            }
            _ => e.to_string(),
        },
    };
    let headers: Vec<String> = reader
        .headers()
        .map_err(malformed)?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if headers.iter().all(String::is_empty) {
        return Err(CsvError::Empty);
    }
    let mut records = Vec::new();
    for record in reader.records() {
        let record = record.map_err(malformed)?;
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let row = record.position().map(|p| p.line()).unwrap_or(0);
        records.push((row, record.iter().map(|f| f.trim().to_string()).collect()));
    }
    if records.is_empty() {
        return Err(CsvError::Empty);
    }
    Ok(Parsed { headers, records })
}

/// Each header of the file with the field its name suggests (for editing before a preview).
pub fn guessed_mapping(bytes: &[u8]) -> Result<Vec<ColumnMapping>, CsvError> {
    Ok(guessed(&parse(bytes)?.headers))
}

/// An import field by its snake_case name ("client_name", "email", "ignore"…).
/// The name `--map HEADER=FIELD` takes for `field` (the inverse of [`field_named`]).
pub fn field_cli_name(field: ImportField) -> &'static str {
    match field {
        ImportField::ClientName => "client_name",
        ImportField::Website => "website",
        ImportField::Tags => "tags",
        ImportField::ClientNotes => "client_notes",
        ImportField::ContactName => "contact_name",
        ImportField::ContactTitle => "contact_title",
        ImportField::Email => "email",
        ImportField::Phone => "phone",
        ImportField::Ignore => "ignore",
    }
}

fn field_label(field: ImportField) -> &'static str {
    match field {
        ImportField::ClientName => "Client name",
        ImportField::Website => "Website",
        ImportField::Tags => "Tags",
        ImportField::ClientNotes => "Client notes",
        ImportField::ContactName => "Contact name",
        ImportField::ContactTitle => "Contact title",
        ImportField::Email => "Email",
        ImportField::Phone => "Phone",
        ImportField::Ignore => "Ignore",
    }
}

/// Guesses for every header, then the obvious fix when two columns look like the contact's
/// name: a plain "Name" beside a "Contact" column names the client when no column does.
fn guessed(headers: &[String]) -> Vec<ColumnMapping> {
    let mut mapping: Vec<ColumnMapping> = headers
        .iter()
        .map(|h| ColumnMapping {
            header: h.clone(),
            field: guess_field(h),
        })
        .collect();
    let contacts: Vec<usize> = (0..mapping.len())
        .filter(|&i| mapping[i].field == ImportField::ContactName)
        .collect();
    let plain: Vec<usize> = contacts
        .iter()
        .copied()
        .filter(|&i| normalise(&mapping[i].header) == "name")
        .collect();
    let has_client = mapping.iter().any(|m| m.field == ImportField::ClientName);
    if contacts.len() == 2 && plain.len() == 1 && !has_client {
        mapping[plain[0]].field = ImportField::ClientName;
    }
    mapping
}

pub fn field_named(name: &str) -> Option<ImportField> {
    Some(
        match name.trim().to_lowercase().replace(['-', ' '], "_").as_str() {
            "client_name" | "client" | "company" => ImportField::ClientName,
            "website" => ImportField::Website,
            "tags" => ImportField::Tags,
            "client_notes" | "notes" => ImportField::ClientNotes,
            "contact_name" | "name" => ImportField::ContactName,
            "contact_title" | "title" => ImportField::ContactTitle,
            "email" => ImportField::Email,
            "phone" => ImportField::Phone,
            "ignore" => ImportField::Ignore,
            _ => return None,
        },
    )
}

fn resolve_mapping(
    headers: &[String],
    given: Option<&[ColumnMapping]>,
) -> Result<Vec<ColumnMapping>, CsvError> {
    let mapping: Vec<ColumnMapping> = match given {
        Some(given) => {
            for m in given {
                if !headers.contains(&m.header) {
                    return Err(CsvError::UnknownColumn(m.header.clone()));
                }
            }
            headers
                .iter()
                .map(|h| ColumnMapping {
                    header: h.clone(),
                    field: given
                        .iter()
                        .find(|m| &m.header == h)
                        .map(|m| m.field)
                        .unwrap_or(ImportField::Ignore),
                })
                .collect()
        }
        None => guessed(headers),
    };
    let mut seen: HashMap<ImportField, &str> = HashMap::new();
    for m in mapping.iter().filter(|m| m.field != ImportField::Ignore) {
        if let Some(first) = seen.insert(m.field, &m.header) {
            return Err(CsvError::FieldMappedTwice {
                field: m.field,
                first: first.to_string(),
                second: m.header.clone(),
            });
        }
    }
    if !seen.contains_key(&ImportField::ClientName) {
        return Err(CsvError::NoClientColumn);
    }
    Ok(mapping)
}

/// One valid row, ready to write.
struct PlannedRow {
    client_name: String,
    website: String,
    notes: String,
    tags: Vec<String>,
    contact: Option<PlannedContact>,
}

struct PlannedContact {
    name: String,
    title: String,
    email: Option<String>,
    phone: Option<String>,
}

struct Plan {
    mapping: Vec<ColumnMapping>,
    reports: Vec<RowReport>,
    rows: Vec<PlannedRow>,
    /// Lower-cased client names that already exist → id.
    existing_clients: HashMap<String, i64>,
}

async fn plan(
    conn: &mut SqliteConnection,
    text: &[u8],
    mapping: Option<&[ColumnMapping]>,
) -> CrmResult<Plan> {
    let parsed = parse(text)?;
    let mapping = resolve_mapping(&parsed.headers, mapping)?;
    let column = |field: ImportField| mapping.iter().position(|m| m.field == field);
    let cols: HashMap<ImportField, usize> = [
        ImportField::ClientName,
        ImportField::Website,
        ImportField::Tags,
        ImportField::ClientNotes,
        ImportField::ContactName,
        ImportField::ContactTitle,
        ImportField::Email,
        ImportField::Phone,
    ]
    .into_iter()
    .filter_map(|f| column(f).map(|i| (f, i)))
    .collect();

    let mut reports = Vec::new();
    let mut rows = Vec::new();
    let mut existing_clients: HashMap<String, i64> = HashMap::new();
    let mut new_clients: HashMap<String, ()> = HashMap::new();
    let mut emails_in_file: HashMap<String, u64> = HashMap::new();
    for (row, fields) in &parsed.records {
        let get = |f: ImportField| {
            cols.get(&f)
                .and_then(|&i| fields.get(i))
                .map(String::as_str)
                .unwrap_or("")
        };
        let outcome = async {
            if fields.len() != parsed.headers.len() {
                return Err(format!("has {} fields but the header has {}", fields.len(), parsed.headers.len()));
            }
            let client_name = validate::name("client name", get(ImportField::ClientName)).map_err(|e| e.to_string())?;
            let website = validate::text("website", get(ImportField::Website)).map_err(|e| e.to_string())?;
            let notes = validate::text("notes", get(ImportField::ClientNotes)).map_err(|e| e.to_string())?;
            let tags = get(ImportField::Tags)
                .split([';', ','])
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(|t| validate::name("tag", t).map_err(|e| e.to_string()))
                .collect::<Result<Vec<_>, _>>()?;
            let email = match get(ImportField::Email) {
                "" => None,
                raw => Some(validate::email(raw).map_err(|e| e.to_string())?),
            };
            let phone = match get(ImportField::Phone) {
                "" => None,
                raw => Some(validate::phone(raw).map_err(|e| e.to_string())?),
            };
            let title = validate::text("title", get(ImportField::ContactTitle)).map_err(|e| e.to_string())?;
            let contact_name = get(ImportField::ContactName);
            let contact = if contact_name.is_empty() && email.is_none() && phone.is_none() {
                None
            } else {
                let fallback = email.clone().or_else(|| phone.clone()).unwrap_or_default();
                let name = if contact_name.is_empty() { fallback.as_str() } else { contact_name };
                let name = validate::name("contact name", name).map_err(|e| e.to_string())?;
                Some(PlannedContact { name, title, email: email.clone(), phone })
            };
            if let Some(email) = &email {
                if let Some(first) = emails_in_file.get(email) {
                    return Err(format!("{email} also appears on row {first}; each email can belong to one contact"));
                }
                let owner: Option<String> = sqlx::query_scalar(
                    "SELECT c.name FROM contact_emails e JOIN contacts c ON c.id = e.contact_id WHERE e.email = ?",
                )
                .bind(email)
                .fetch_optional(&mut *conn)
                .await
                .map_err(|e| e.to_string())?;
                if owner.is_some() {
                    return Ok(None);
                }
            }
            Ok(Some(PlannedRow { client_name, website, notes, tags, contact }))
        }
        .await;
        let outcome = match outcome {
            Err(message) => RowOutcome::Error { message },
            Ok(None) => RowOutcome::AlreadyPresent {
                email: get(ImportField::Email).trim().to_lowercase(),
            },
            Ok(Some(planned)) => {
                if let Some(email) = planned.contact.as_ref().and_then(|c| c.email.clone()) {
                    emails_in_file.insert(email, *row);
                }
                let key = planned.client_name.to_lowercase();
                let existing = match existing_clients.get(&key) {
                    Some(id) => Some(*id),
                    None if new_clients.contains_key(&key) => None,
                    None => {
                        let id: Option<i64> = sqlx::query_scalar("SELECT id FROM clients WHERE name = ? COLLATE NOCASE ORDER BY id LIMIT 1")
                            .bind(&planned.client_name)
                            .fetch_optional(&mut *conn)
                            .await?;
                        if let Some(id) = id {
                            existing_clients.insert(key.clone(), id);
                        }
                        id
                    }
                };
                let contact = planned.contact.as_ref().map(|c| c.name.clone());
                let outcome = if existing.is_some() || new_clients.contains_key(&key) {
                    RowOutcome::ExistingClient {
                        client: planned.client_name.clone(),
                        contact,
                    }
                } else {
                    new_clients.insert(key, ());
                    RowOutcome::NewClient {
                        client: planned.client_name.clone(),
                        contact,
                    }
                };
                rows.push(planned);
                outcome
            }
        };
        reports.push(RowReport { row: *row, outcome });
    }
    Ok(Plan {
        mapping,
        reports,
        rows,
        existing_clients,
    })
}

fn summarise(plan: &Plan) -> ImportPreview {
    let count =
        |f: fn(&RowOutcome) -> bool| plan.reports.iter().filter(|r| f(&r.outcome)).count() as u64;
    ImportPreview {
        mapping: plan.mapping.clone(),
        rows: plan.reports.clone(),
        clients_to_create: count(|o| matches!(o, RowOutcome::NewClient { .. })),
        contacts_to_create: plan.rows.iter().filter(|r| r.contact.is_some()).count() as u64,
        errors: count(|o| matches!(o, RowOutcome::Error { .. })),
    }
}

impl Crm {
    /// What importing `text` would do, row by row. Writes nothing, so it reads on a reader
    /// connection: a big preview never holds the single writer (syncs and edits carry on).
    pub async fn preview_import(
        &self,
        text: &[u8],
        mapping: Option<&[ColumnMapping]>,
    ) -> CrmResult<ImportPreview> {
        let mut conn = self.pool().acquire().await?;
        Ok(summarise(&plan(&mut conn, text, mapping).await?))
    }

    /// Imports `text` in one transaction: every valid row, or nothing if any row has an error.
    pub async fn commit_import(
        &self,
        text: &[u8],
        mapping: Option<&[ColumnMapping]>,
    ) -> CrmResult<ImportResult> {
        let now = self.now();
        let mut tx = self.begin().await?;
        let plan = plan(&mut tx, text, mapping).await?;
        if let Some(first) = plan.reports.iter().find_map(|r| match &r.outcome {
            RowOutcome::Error { message } => Some((r.row, message.clone())),
            _ => None,
        }) {
            let errors = summarise(&plan).errors;
            return Err(CrmError::Csv(CsvError::RowErrors {
                errors,
                first_row: first.0,
                first_message: first.1,
            }));
        }
        let mut client_ids = plan.existing_clients.clone();
        let mut result = ImportResult {
            clients_created: 0,
            contacts_created: 0,
            rows_skipped: 0,
        };
        result.rows_skipped = plan
            .reports
            .iter()
            .filter(|r| matches!(r.outcome, RowOutcome::AlreadyPresent { .. }))
            .count() as u64;
        for row in &plan.rows {
            let key = row.client_name.to_lowercase();
            let client_id = match client_ids.get(&key) {
                Some(id) => *id,
                None => {
                    let domain = validate::domain_of(&row.website);
                    let new = NewClient {
                        name: &row.client_name,
                        kind: ClientKind::Organisation,
                        website: &row.website,
                        domain: &domain,
                        notes: &row.notes,
                        created_at: now,
                    };
                    let id = write::insert_client(&mut tx, &new).await?;
                    set_tags(&mut tx, id, &row.tags).await?;
                    client_ids.insert(key, id);
                    result.clients_created += 1;
                    id
                }
            };
            if let Some(contact) = &row.contact {
                let new = NewContact {
                    client_id,
                    name: &contact.name,
                    title: &contact.title,
                    email: contact.email.as_deref(),
                    phone: contact.phone.as_deref(),
                    created_at: now,
                };
                write::insert_contact(&mut tx, &new).await?;
                result.contacts_created += 1;
            }
        }
        // Announces the clients it made (`ClientCreated`) once committed.
        tx.commit(now).await?;
        Ok(result)
    }
}
