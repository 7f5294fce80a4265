//! `pinterest-emulator`: the Pinterest API and its OAuth server, offline.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use pinterest_emulator::{AdminToken, App, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Emulator, Timestamps};

/// `--timestamps`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum TimestampStyle {
    /// `2025-01-01T00:00:00Z`: RFC 3339, as the spec's date-time format wants.
    Rfc3339,
    /// `2025-01-01T00:00:00`: no offset, as Pinterest's live servers have been seen to send.
    Live,
}

/// An offline emulator of the Pinterest REST API v5 and its OAuth server.
#[derive(Debug, Parser)]
#[command(name = "pinterest-emulator", version)]
struct Args {
    /// Address to listen on; loopback unless you say otherwise.
    #[arg(long, default_value = "127.0.0.1:4010")]
    bind: SocketAddr,
    /// Approve consent at once: a GET on /oauth/ redirects with a code.
    #[arg(long)]
    auto_approve: bool,
    /// Deterministic ids, timestamps and tokens.
    #[arg(long)]
    seed: Option<u64>,
    /// Load the state from this JSON file (if it exists) and save it there on exit.
    #[arg(long)]
    state: Option<PathBuf>,
    /// A JSON file with more apps: [{"client_id", "client_secret", "name", "redirect_uris": [...]}].
    #[arg(long)]
    config: Option<PathBuf>,
    /// Access token lifetime in seconds.
    #[arg(long, default_value_t = 30 * 24 * 3600)]
    access_token_ttl: u64,
    /// Seconds a client may take to send a request head (and an idle
    /// connection to send its next one) before the connection is closed.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    header_read_timeout: u64,
    /// Another Host admin requests may name, besides localhost, 127.0.0.1
    /// and [::1]: NAME (any port) or NAME:PORT. Repeatable.
    #[arg(long = "allow-host", value_name = "HOST")]
    allow_hosts: Vec<String>,
    /// Require `Authorization: Bearer TOKEN` on the admin routes. Prefer the
    /// environment variable: a flag shows in the process list.
    #[arg(long, env = "PINTEREST_EMULATOR_ADMIN_TOKEN", hide_env_values = true, value_name = "TOKEN")]
    admin_token: Option<AdminToken>,
    /// How API responses write date-time values.
    #[arg(long, value_enum, default_value = "rfc3339")]
    timestamps: TimestampStyle,
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let args = Args::parse();
    if !args.bind.ip().is_loopback() {
        eprintln!("warning: listening on {}, not loopback: anyone who can reach it can use it", args.bind);
    }
    let mut builder = Emulator::builder()
        .bind(args.bind)
        .auto_approve(args.auto_approve)
        .access_token_ttl(Duration::from_secs(args.access_token_ttl))
        .header_read_timeout(Duration::from_secs(args.header_read_timeout))
        .timestamps(match args.timestamps {
            TimestampStyle::Rfc3339 => Timestamps::Rfc3339,
            TimestampStyle::Live => Timestamps::Live,
        });
    for host in &args.allow_hosts {
        builder = builder.allow_host(host);
    }
    let admin_token = args.admin_token.is_some();
    if let Some(token) = args.admin_token {
        builder = builder.admin_token(token);
    }
    if let Some(seed) = args.seed {
        builder = builder.seed(seed);
    }
    if let Some(path) = &args.state {
        builder = builder.state_file(path);
    }
    if let Some(path) = &args.config {
        let apps: Vec<App> = match std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
        {
            Ok(a) => a,
            Err(e) => {
                eprintln!("error: cannot read apps from {}: {e}", path.display());
                std::process::exit(2);
            }
        };
        for app in apps {
            builder = builder.app(app);
        }
    }
    let emulator = match builder.start().await {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
        Err(e) => {
            eprintln!("error: cannot start on {}: {e}", args.bind);
            std::process::exit(1);
        }
    };
    println!("Pinterest emulator");
    println!("  API base:      {}   (PINTEREST_API_URI={})", emulator.api_base(), emulator.base_url());
    println!("  OAuth consent: {}/oauth/   (PINTEREST_OAUTH_URI={})", emulator.oauth_base(), emulator.oauth_base());
    println!("  Demo app:      client id {DEMO_CLIENT_ID}, secret {DEMO_CLIENT_SECRET}");
    println!("                 redirect URIs https://localhost/ and http://localhost:8085/");
    println!("  Admin:         {}/_emulator/ (reset, seed, requests, faults, tokens)", emulator.base_url());
    println!(
        "                 loopback Host only, JSON writes{}",
        if admin_token { ", admin token required" } else { "" }
    );
    if args.auto_approve {
        println!("  Consent is approved at once (--auto-approve).");
    }
    let _ = tokio::signal::ctrl_c().await;
    emulator.shutdown().await;
    eprintln!("stopped");
}
