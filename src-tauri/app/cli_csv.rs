//! `cremmy import` and `cremmy export`: CSV in (checked whole before anything is written, or
//! only checked with `--dry-run`) and out, through the same core calls as the window.

use std::path::Path;
use std::process::ExitCode;

use cremmy_core::crm::{field_named, guessed_mapping, Crm};
use cremmy_protocol::csv::{ColumnMapping, ExportTable, RowOutcome};

use crate::cli::{report, NEEDS_ATTENTION};

fn import_mapping(bytes: &[u8], maps: &[String]) -> Result<Option<Vec<ColumnMapping>>, String> {
    if maps.is_empty() {
        return Ok(None);
    }
    let mut mapping = guessed_mapping(bytes).map_err(|e| e.to_string())?;
    for m in maps {
        let (header, field) = m
            .rsplit_once('=')
            .ok_or_else(|| format!("--map {m:?}: write HEADER=FIELD"))?;
        let field =
            field_named(field).ok_or_else(|| format!("--map {m:?}: unknown field {field:?}"))?;
        let column = mapping
            .iter_mut()
            .find(|c| c.header == header.trim())
            .ok_or_else(|| format!("--map {m:?}: the file has no column {header:?}"))?;
        column.field = field;
    }
    Ok(Some(mapping))
}

pub async fn import(crm: &Crm, file: &Path, dry_run: bool, maps: &[String]) -> ExitCode {
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", file.display());
            return ExitCode::from(NEEDS_ATTENTION);
        }
    };
    let mapping = match import_mapping(&bytes, maps) {
        Ok(m) => m,
        Err(e) => return report(Err(e)),
    };
    let mapping = mapping.as_deref();
    if !dry_run {
        return report(crm.commit_import(&bytes, mapping).await.map(|r| {
            format!(
                "Imported {} new clients and {} contacts; {} rows were already in Cremmy.",
                r.clients_created, r.contacts_created, r.rows_skipped
            )
        }));
    }
    let preview = match crm.preview_import(&bytes, mapping).await {
        Ok(p) => p,
        Err(e) => return report(Err(e)),
    };
    for m in &preview.mapping {
        println!("column {:?} -> {:?}", m.header, m.field);
    }
    for r in &preview.rows {
        let line = match &r.outcome {
            RowOutcome::NewClient { client, contact } => {
                format!("new client {client}{}", with_contact(contact))
            }
            RowOutcome::ExistingClient { client, contact } => {
                format!("existing client {client}{}", with_contact(contact))
            }
            RowOutcome::AlreadyPresent { email } => format!("skip: {email} is already in Cremmy"),
            RowOutcome::Error { message } => format!("ERROR: {message}"),
        };
        println!("row {:>5}  {line}", r.row);
    }
    println!(
        "dry run: {} new clients, {} new contacts, {} errors; nothing was written.",
        preview.clients_to_create, preview.contacts_to_create, preview.errors
    );
    if preview.errors > 0 {
        ExitCode::from(NEEDS_ATTENTION)
    } else {
        ExitCode::SUCCESS
    }
}

fn with_contact(contact: &Option<String>) -> String {
    contact
        .as_ref()
        .map(|c| format!(" with contact {c}"))
        .unwrap_or_default()
}

pub async fn export(crm: &Crm, table: ExportTable, out: Option<&Path>) -> ExitCode {
    let result = match out {
        Some(path) => match std::fs::File::create(path) {
            Ok(file) => crm
                .export_csv(table, std::io::BufWriter::new(file))
                .await
                .map(|n| Some((n, path))),
            Err(e) => {
                eprintln!("error: cannot create {}: {e}", path.display());
                return ExitCode::from(NEEDS_ATTENTION);
            }
        },
        None => crm
            .export_csv(table, std::io::stdout().lock())
            .await
            .map(|_| None),
    };
    match result {
        Ok(Some((n, path))) => report(Ok::<_, String>(format!(
            "Exported {n} rows to {}.",
            path.display()
        ))),
        Ok(None) => ExitCode::SUCCESS,
        Err(e) => report(Err(e)),
    }
}
