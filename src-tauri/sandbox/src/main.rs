//! `cremmy-sandbox --port 0 [--seed-clients N --messages-per-client M]`: runs the sandbox and
//! prints its base URL and the environment lines that point Cremmy at it.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use clap::Parser;
use cremmy_sandbox::control::{seed_gmail, SeedBody};
use cremmy_sandbox::Sandbox;

#[derive(Parser)]
#[command(name = "cremmy-sandbox", about = "A local stand-in for Google and the other providers Cremmy talks to.")]
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
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let host = if args.host.is_unspecified() { IpAddr::V4(Ipv4Addr::LOCALHOST) } else { args.host };
    let sandbox = match Sandbox::start(SocketAddr::new(host, args.port)).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if args.seed_clients > 0 {
        let body = SeedBody { account: None, clients: args.seed_clients, messages_per_client: args.messages_per_client, seed: args.seed, newest_at: None };
        let _ = seed_gmail(axum::extract::State(sandbox.shared.clone()), axum::Json(body)).await;
    }
    println!("Cremmy provider sandbox listening on {}", sandbox.base_url());
    println!("Point Cremmy at it with:");
    for line in sandbox.env_lines() {
        println!("export {line}");
    }
    let settings = sandbox.shared.lock().google.settings.clone();
    println!("export CREMMY_GOOGLE_CLIENT_ID={}", settings.client_id);
    println!("export CREMMY_GOOGLE_CLIENT_SECRET={}", settings.client_secret);
    let _ = tokio::signal::ctrl_c().await;
    ExitCode::SUCCESS
}
