//! `cremmy <subcommand>`: the headless command line over the same core as the window.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};
use cremmy_core::crm::{Date, ScaleSpec};
use cremmy_core::{doctor, Clock, Core, Environment};
use cremmy_protocol::csv::ExportTable;
use cremmy_protocol::sync::{LeadSheet, SyncTrigger};
use cremmy_protocol::{DoctorReport, KeychainStatus};

use crate::cli_csv;
use crate::system_clock::SystemClock;

#[derive(Debug, Parser)]
#[command(
    name = "cremmy",
    version,
    about = "Cremmy: a local-first CRM for solo consultants and small agencies.\n\nWithout a command, opens the desktop window."
)]
pub struct Args {
    /// A cremmy:// link, as the OS passes it when one is opened (handled by the window). Any
    /// other word is a command (or a mistyped one), never a link.
    #[arg(value_name = "LINK", hide = true, value_parser = cremmy_link)]
    pub link: Option<String>,
    /// Start in the tray without showing the window (how "Start at login" starts Cremmy).
    #[arg(long)]
    pub minimized: bool,
    /// Where Cremmy keeps its database (default: the OS's app-data directory).
    #[arg(long, global = true, env = "CREMMY_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Accepts only `cremmy:` links (what the OS passes); a mistyped command is refused here instead
/// of opening the window with it as a link.
fn cremmy_link(word: &str) -> Result<String, String> {
    if word.len() >= 7 && word[..7].eq_ignore_ascii_case("cremmy:") {
        Ok(word.to_string())
    } else {
        Err(format!(
            "'{word}' is not a command (nor a cremmy:// link); `cremmy --help` lists the commands"
        ))
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the installation: data directory, database, keychain, integrations.
    Doctor {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Load a small realistic sample dataset (only into an empty database).
    Demo,
    /// Generate a large deterministic dataset for benchmarks.
    Generate {
        #[arg(long, default_value_t = 10_000)]
        clients: u64,
        #[arg(long, default_value_t = 50_000)]
        deals: u64,
        #[arg(long, default_value_t = 1_000_000)]
        activities: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Import clients and contacts from a CSV file (all rows or none).
    Import {
        /// The CSV file (UTF-8, header row first).
        file: PathBuf,
        /// Show what would be imported, row by row, and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Override what a column means: HEADER=FIELD (client_name, website, tags, client_notes,
        /// contact_name, contact_title, email, phone, ignore). Repeatable; other columns are guessed.
        #[arg(long = "map", value_name = "HEADER=FIELD")]
        maps: Vec<String>,
    },
    /// Connect an account through the browser sign-in (loopback redirect).
    Connect {
        #[arg(value_enum)]
        provider: crate::cli_accounts::ProviderArg,
        /// What the account is for (repeatable; default: mail-ingest). Each asks only its own scopes.
        #[arg(long = "feature", value_enum)]
        features: Vec<crate::cli_accounts::FeatureArg>,
        /// Print the sign-in address instead of opening the browser.
        #[arg(long)]
        no_browser: bool,
        /// The account to sign in with.
        #[arg(long)]
        login_hint: Option<String>,
        /// Twilio: the Account SID (AC…).
        #[arg(long, required_if_eq("provider", "twilio"))]
        account_sid: Option<String>,
        /// Twilio: the API key SID (SK…); without it the secret is the Auth Token.
        #[arg(long)]
        key_sid: Option<String>,
    },
    /// Text several clients at once (those with a tag, and/or given ids), paced; skipped
    /// recipients are listed with why.
    TextBulk {
        /// The message (template variables are filled per recipient).
        message: String,
        /// Clients with this tag.
        #[arg(long)]
        tag: Option<String>,
        /// Clients with an open deal in this stage (its name).
        #[arg(long)]
        stage: Option<String>,
        /// This client too (repeatable).
        #[arg(long = "client")]
        clients: Vec<i64>,
        /// Show the recipients and who is skipped, and send nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Text a client's contact (SMS, or WhatsApp) from the connected texting account.
    Text {
        /// The client's id (see `cremmy search`).
        client_id: i64,
        /// The message; `{{contact_first_name}}` and the other template variables are filled in.
        message: String,
        /// The contact (default: the client's first contact with a phone).
        #[arg(long)]
        contact: Option<i64>,
        /// Send over WhatsApp instead of SMS.
        #[arg(long)]
        whatsapp: bool,
        /// WhatsApp: send this approved template (its id, HX…) instead of the message.
        #[arg(long, requires = "whatsapp")]
        template: Option<String>,
    },
    /// List connected accounts and their state.
    Accounts {
        /// Print them as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Disconnect an account: revoke its grant and delete its tokens from the keychain.
    Disconnect { id: i64 },
    /// Sync connected accounts with their providers, after running what waits in the outbox.
    Sync {
        /// One pass over every connected account, then exit (the app syncs in the background).
        #[arg(long)]
        once: bool,
        /// Only this account (see `cremmy accounts`).
        #[arg(long)]
        account: Option<i64>,
        /// Also compare the mailbox with what is stored over the look-back window now.
        #[arg(long)]
        reconcile: bool,
    },
    /// Export the pipeline to the "Pipeline Dump" Google spreadsheet (created the first time).
    ExportSheets,
    /// Show or set the Google "Leads" sheet read on each sync (new rows become clients).
    LeadsSheet {
        /// The spreadsheet's link or id; omit to show the current one.
        link: Option<String>,
        /// The sheet (tab) name.
        #[arg(long, default_value = "Leads")]
        sheet: String,
        /// Stop reading a Leads sheet.
        #[arg(long, conflicts_with = "link")]
        off: bool,
    },
    /// Find or make a client's Google Drive folder (Cremmy CRM/Clients/<name>) and print its link.
    ClientFolder {
        /// The client's id (see `cremmy export clients`).
        client_id: i64,
    },
    /// The sync history: one line per run, newest first.
    SyncLog {
        /// Only failed runs.
        #[arg(long)]
        failed: bool,
        #[arg(long, default_value_t = 20)]
        limit: i64,
        /// Print the runs as JSON.
        #[arg(long)]
        json: bool,
    },
    /// What needs you today: tasks due, meetings, replies waiting, quiet deals, new leads.
    Today {
        /// Print the lists as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Invoice a deal at the payment provider (Stripe): due N days after it is sent.
    Invoice {
        /// The deal's id.
        deal_id: i64,
        /// Days until it is due.
        #[arg(long, default_value_t = 14)]
        days: u32,
        /// Leave it a draft at the provider instead of sending it.
        #[arg(long)]
        draft: bool,
    },
    /// A payment link for a deal's value (Stripe).
    PaymentLink {
        /// The deal's id.
        deal_id: i64,
    },
    /// Lead scores: one client's breakdown, or recompute every client's (--all).
    Score {
        /// The client's id (see `cremmy search`).
        client_id: Option<i64>,
        /// Recompute every active client's score.
        #[arg(long)]
        all: bool,
        /// Print the score as JSON.
        #[arg(long)]
        json: bool,
    },
    /// A report as CSV on standard output, in the home currency.
    Report {
        #[arg(value_enum)]
        kind: crate::cli_overview::ReportArg,
        /// How many months "won-lost" covers, this one included.
        #[arg(long, default_value_t = 12)]
        months: u8,
    },
    /// Search clients, contacts, deals and activities (what the window's Ctrl+K finds).
    Search {
        /// The words to look for.
        #[arg(required = true)]
        words: Vec<String>,
        #[arg(long, default_value_t = 20)]
        limit: i64,
        /// Print the hits as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Back up the database now (a consistent copy; the window also keeps a daily one for a week).
    Backup {
        /// The backup file (default: backups/cremmy-<time>.sqlite3 in the data folder).
        file: Option<PathBuf>,
        /// Seal it with a passphrase (asked for, or $CREMMY_BACKUP_PASSPHRASE): the age format,
        /// which `age -d` opens too.
        #[arg(long)]
        encrypt: bool,
    },
    /// Restore a backup: checked first, the current database kept in backups/, then replaced.
    /// Quit the Cremmy window first. A sealed backup asks for its passphrase.
    Restore {
        /// The backup file.
        file: PathBuf,
    },
    /// Export every table of your data as one JSON file (format: docs/json-export.md).
    ExportJson {
        /// Output file (default: standard output).
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Export a table as CSV.
    Export {
        #[arg(value_enum)]
        table: Table,
        /// Output file (default: standard output).
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Table {
    Clients,
    Contacts,
    Deals,
    Activities,
}

impl From<Table> for ExportTable {
    fn from(t: Table) -> ExportTable {
        match t {
            Table::Clients => ExportTable::Clients,
            Table::Contacts => ExportTable::Contacts,
            Table::Deals => ExportTable::Deals,
            Table::Activities => ExportTable::Activities,
        }
    }
}

/// Exit status of a CLI command: 0 all good, 1 something needs attention, 2 the data is unusable.
pub(crate) const NEEDS_ATTENTION: u8 = 1;
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
        if let Command::Completions { shell } = &command {
            let mut cli = <Args as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut cli, "cremmy", &mut std::io::stdout());
            return ExitCode::SUCCESS;
        }
        if let Command::Restore { file } = &command {
            // Nothing may hold the database while it is replaced: no core is opened.
            return crate::cli_backup::restore(data_dir, file).await;
        }
        let core = match Core::open(data_dir, Arc::new(SystemClock), Environment::from_process_env()).await {
            Ok(core) => {
                if let Some((name, outcome)) = core.restored_at_start() {
                    match outcome {
                        Ok(schema) => eprintln!("Restored {name} (schema {schema}), as Settings asked; the database it replaced is kept in backups/."),
                        Err(why) => eprintln!("error: the restore Settings asked for did not happen: {name}: {why}"),
                    }
                }
                core
            }
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(if e.is_data_unusable() { DATA_UNUSABLE } else { NEEDS_ATTENTION });
            }
        };
        let (crm, accounts, sync) = (core.crm(), core.accounts(), core.sync());
        let code = match command {
            Command::Connect { provider, features, no_browser, login_hint, account_sid, key_sid } => match provider.oauth() {
                Some(p) => crate::cli_accounts::connect(accounts, p, &features, no_browser, login_hint).await,
                None if matches!(provider, crate::cli_accounts::ProviderArg::Stripe) => crate::cli_payments::connect(sync).await,
                None => crate::cli_texting::connect(sync, account_sid.unwrap_or_default(), key_sid).await,
            },
            Command::TextBulk { message, tag, stage, clients, dry_run } => {
                crate::cli_texting::bulk(sync, message, tag, stage, clients, dry_run).await
            }
            Command::Text { client_id, message, contact, whatsapp, template } => {
                crate::cli_texting::text(sync, client_id, message, contact, whatsapp, template).await
            }
            Command::Accounts { json } => crate::cli_accounts::list(accounts, json).await,
            Command::Disconnect { id } => crate::cli_accounts::disconnect(accounts, id).await,
            Command::Sync { once: false, .. } => report(Err::<String, _>(
                "`cremmy sync` needs --once: background sync runs in the Cremmy window and tray.",
            )),
            Command::Sync { once: true, account, reconcile } => crate::cli_sync::sync_once(sync, account, reconcile).await,
            Command::ExportSheets => report(sync.export_sheets(SyncTrigger::Cli).await.map(|e| {
                format!(
                    "Exported {} deals to \"Pipeline Dump\" ({}) for {}: {}",
                    e.deals,
                    if e.created_new { "new spreadsheet" } else { "updated" },
                    e.account_email,
                    e.url
                )
            })),
            Command::LeadsSheet { link, sheet, off } => {
                let set = match (link, off) {
                    (Some(link), _) => Some(LeadSheet { spreadsheet: link, sheet }),
                    (None, true) => Some(LeadSheet::default()),
                    (None, false) => None,
                };
                let result = match set {
                    Some(input) => sync.set_lead_sheet(&input).await,
                    None => sync.lead_sheet().await,
                };
                report(result.map(|current| match current {
                    Some(l) => format!("Leads sheet: spreadsheet {} (sheet \"{}\"), read on each sync.", l.spreadsheet, l.sheet),
                    None => "No Leads sheet is set.".to_string(),
                }))
            }
            Command::ClientFolder { client_id } => report(
                sync.client_folder(client_id, SyncTrigger::Cli)
                    .await
                    .map(|f| format!("Drive folder of client {client_id} ({}): {}", f.account_email, f.url)),
            ),
            Command::SyncLog { failed, limit, json } => crate::cli_sync::sync_log(sync, failed, limit, json).await,
            Command::Today { json } => crate::cli_overview::today(crm, SystemClock.now(), json).await,
            Command::Invoice { deal_id, days, draft } => crate::cli_payments::invoice(sync, deal_id, days, draft).await,
            Command::PaymentLink { deal_id } => crate::cli_payments::payment_link(sync, deal_id).await,
            Command::Score { client_id, all, json } => crate::cli_overview::score(crm, client_id, all, json).await,
            Command::Report { kind, months } => crate::cli_overview::report_csv(crm, SystemClock.now(), kind, months).await,
            Command::Search { words, limit, json } => crate::cli_sync::search(crm, &words.join(" "), limit, json).await,
            // Handled above, before anything opens.
            Command::Completions { .. } => ExitCode::SUCCESS,
            Command::Doctor { json } => run_doctor(&core, json).await,
            Command::Demo => report(crm.load_demo(utc_today()).await.map(|n| format!("Loaded demo data: {n} clients."))),
            Command::Generate { clients, deals, activities, seed } => report(
                crm.generate_dataset(ScaleSpec { clients, deals, activities, seed })
                    .await
                    .map(|()| format!("Generated {clients} clients, {deals} deals, {activities} activities (seed {seed}).")),
            ),
            Command::Import { file, dry_run, maps } => cli_csv::import(crm, &file, dry_run, &maps).await,
            Command::Export { table, out } => cli_csv::export(crm, table.into(), out.as_deref()).await,
            Command::Backup { file, encrypt } => crate::cli_backup::backup(&core, file.as_deref(), encrypt).await,
            Command::ExportJson { out } => crate::cli_backup::export_json(&core, out.as_deref()).await,
            // Handled above, before the core opened the database.
            Command::Restore { .. } => ExitCode::SUCCESS,
        };
        core.close().await;
        code
    })
}

/// Today's date in UTC (the CLI has no time zone database; the window uses the local date).
fn utc_today() -> Date {
    Date::from_days(SystemClock.now().div_euclid(86_400_000))
}

pub(crate) fn report(result: Result<String, impl std::fmt::Display>) -> ExitCode {
    match result {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(NEEDS_ATTENTION)
        }
    }
}

/// `--json` output: the value as pretty JSON on standard output.
pub(crate) fn print_json(value: &impl serde::Serialize) -> ExitCode {
    match serde_json::to_string_pretty(value) {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => report(Err::<String, _>(e)),
    }
}

/// The guessed mapping with the user's `HEADER=FIELD` overrides applied (None: guess everything).
async fn run_doctor(core: &Core, json: bool) -> ExitCode {
    let (db, endpoints, accounts) = (core.database(), core.endpoints(), core.accounts());
    let report = match doctor::report(env!("CARGO_PKG_VERSION"), db, endpoints, accounts).await {
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
    line(
        "schema",
        &format!(
            "version {} (journal: {})",
            r.database.schema_version, r.database.journal_mode
        ),
    );
    let keychain = match &r.keychain {
        KeychainStatus::Reachable { backend } => format!("reachable ({backend})"),
        KeychainStatus::Unreachable { backend, reason } => {
            format!(
                "UNREACHABLE ({backend}): {reason}. Connected accounts cannot store their tokens."
            )
        }
    };
    line("keychain", &keychain);
    for i in &r.integrations {
        let state = i.state.describe();
        let label = format!("{:?}", i.provider).to_lowercase();
        let url = if i.base_url.is_empty() {
            String::new()
        } else {
            format!(" [{}]", i.base_url)
        };
        line(&label, &format!("{state}{url}"));
    }
    for warning in &r.warnings {
        line("warning", warning);
    }
    out
}
