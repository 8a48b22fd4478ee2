//! The desktop shell: parses the command line, then either runs a headless CLI command or opens
//! the window. It wires the core to Tauri and holds no domain logic.

mod automation_commands;
mod browser;
mod cli;
mod cli_accounts;
mod cli_backup;
mod cli_csv;
mod cli_overview;
mod cli_payments;
mod cli_sync;
mod cli_texting;
mod clients_commands;
mod commands;
mod crm_sync_commands;
mod desktop;
mod desktop_commands;
mod documents_commands;
mod links;
mod payments_commands;
mod report_commands;
mod system_clock;
mod texting_commands;
mod tray;

use std::process::ExitCode;

use clap::Parser;

pub fn main_entry() -> ExitCode {
    let args = cli::Args::parse();
    let data_dir = cremmy_core::paths::resolve_data_dir(args.data_dir.clone());
    match args.command {
        Some(command) => cli::run(command, &data_dir),
        // `cremmy cremmy://…` is how the OS opens a link: the window handles it.
        None => desktop::run(data_dir, args.minimized),
    }
}
