//! `cremmy-sandbox --port 0 [--seed-clients N --messages-per-client M --events-per-client E
//! --lead-rows L --real-quotas]`: runs the sandbox and
//! prints its base URL and the environment lines that point Cremmy at it.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use clap::Parser;
use cremmy_sandbox::seed::{seed, SeedBody};
use cremmy_sandbox::Sandbox;

#[derive(Parser)]
#[command(
    name = "cremmy-sandbox",
    about = "A local stand-in for Google and the other providers Cremmy talks to."
)]
struct Args {
    /// Port on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Loopback address to bind (127.0.0.0/8 or ::1 only).
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Seed the Gmail mailbox with mail for this many clients.
    #[arg(long, default_value_t = 0)]
    seed_clients: u64,
    #[arg(long, default_value_t = 10)]
    messages_per_client: u64,
    /// Calendar meetings per seeded client.
    #[arg(long, default_value_t = 2)]
    events_per_client: u64,
    /// Rows in a seeded "Leads" spreadsheet (0 = none).
    #[arg(long, default_value_t = 0)]
    lead_rows: u64,
    /// Enforce Google's per-user quotas (Gmail 250 units/s, Sheets and Docs 60 writes/min).
    #[arg(long)]
    real_quotas: bool,
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let host = if args.host.is_unspecified() {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        args.host
    };
    let sandbox = match Sandbox::start(SocketAddr::new(host, args.port)).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if args.real_quotas {
        let mut world = sandbox.shared.lock();
        world.google.settings = world.google.settings.clone().with_real_quotas();
    }
    if args.seed_clients > 0 || args.lead_rows > 0 {
        let body = SeedBody {
            account: None,
            clients: args.seed_clients,
            messages_per_client: args.messages_per_client,
            spacing_minutes: None,
            events_per_client: args.events_per_client,
            lead_rows: args.lead_rows,
            seed: args.seed,
            newest_at: None,
        };
        match seed(&mut sandbox.shared.lock(), &body) {
            Ok(summary) => println!("Seeded: {summary}"),
            Err(e) => {
                eprintln!("error: cannot seed: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    println!(
        "Cremmy provider sandbox listening on {}",
        sandbox.base_url()
    );
    println!("Point Cremmy at it with:");
    for line in sandbox.env_lines() {
        println!("export {line}");
    }
    let settings = sandbox.shared.lock().google.settings.clone();
    println!("export CREMMY_GOOGLE_CLIENT_ID={}", settings.client_id);
    println!(
        "export CREMMY_GOOGLE_CLIENT_SECRET={}",
        settings.client_secret
    );
    let _ = tokio::signal::ctrl_c().await;
    ExitCode::SUCCESS
}
