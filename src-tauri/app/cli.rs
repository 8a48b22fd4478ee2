//! `cremmy <subcommand>`: the headless command line over the same core as the window.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use cremmy_core::endpoints::Endpoints;
use cremmy_core::{doctor, Database};
use cremmy_protocol::{DoctorReport, IntegrationState, KeychainStatus};

#[derive(Debug, Parser)]
#[command(name = "cremmy", version, about = "Cremmy: a local-first CRM for solo consultants and small agencies.\n\nWithout a command, opens the desktop window.")]
pub struct Args {
    /// Where Cremmy keeps its database (default: the OS's app-data directory).
    #[arg(long, global = true, env = "CREMMY_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the installation: data directory, database, keychain, integrations.
    Doctor {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Exit status of a CLI command: 0 all good, 1 something needs attention, 2 the data is unusable.
const NEEDS_ATTENTION: u8 = 1;
const DATA_UNUSABLE: u8 = 2;

pub fn run(command: Command, data_dir: &Path) -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(DATA_UNUSABLE);
        }
    };
    runtime.block_on(async {
        let db = match Database::open_in(data_dir).await {
            Ok(db) => db,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(DATA_UNUSABLE);
            }
        };
        let code = match command {
            Command::Doctor { json } => run_doctor(&db, json).await,
        };
        db.close().await;
        code
    })
}

async fn run_doctor(db: &Database, json: bool) -> ExitCode {
    let report = match doctor::report(env!("CARGO_PKG_VERSION"), db, &Endpoints::from_process_env()).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(DATA_UNUSABLE);
        }
    };
    if json {
        match serde_json::to_string_pretty(&report) {
            Ok(text) => println!("{text}"),
            Err(e) => eprintln!("error: {e}"),
        }
    } else {
        print!("{}", render_doctor(&report));
    }
    match report.keychain {
        KeychainStatus::Reachable { .. } => ExitCode::SUCCESS,
        KeychainStatus::Unreachable { .. } => ExitCode::from(NEEDS_ATTENTION),
    }
}

fn render_doctor(r: &DoctorReport) -> String {
    let mut out = String::new();
    let mut line = |label: &str, value: &str| out.push_str(&format!("{label:<14} {value}\n"));
    line("version", &r.app_version);
    line("data dir", &r.database.data_dir);
    line("database", &r.database.database_path);
    line("schema", &format!("version {} (journal: {})", r.database.schema_version, r.database.journal_mode));
    let keychain = match &r.keychain {
        KeychainStatus::Reachable { backend } => format!("reachable ({backend})"),
        KeychainStatus::Unreachable { backend, reason } => {
            format!("UNREACHABLE ({backend}): {reason}. Connected accounts cannot store their tokens.")
        }
    };
    line("keychain", &keychain);
    for i in &r.integrations {
        let state = match i.state {
            IntegrationState::NotConfigured => "not configured",
        };
        let label = format!("{:?}", i.provider).to_lowercase();
        let url = if i.base_url.is_empty() { String::new() } else { format!(" [{}]", i.base_url) };
        line(&label, &format!("{state}{url}"));
    }
    out
}
