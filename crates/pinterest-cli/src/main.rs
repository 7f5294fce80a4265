//! `pinterest`: the Pinterest API from a terminal.

mod api;
mod auth;
mod cli;
mod demo;
mod login;
mod output;
mod profile;
mod reports;
mod resources;

use clap::{CommandFactory, Parser};

use cli::{Cli, Command};
use output::{CliError, CliResult, Out, exit};
use profile::Profile;

fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("PINTEREST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).init();
}

async fn run(cli: Cli) -> CliResult {
    let out = Out::new(cli.json);
    if let Command::Completions { shell } = cli.command {
        clap_complete::generate(shell, &mut Cli::command(), "pinterest", &mut std::io::stdout());
        return Ok(());
    }
    if let Command::Demo(args) = &cli.command {
        return demo::run(out, args).await;
    }
    let profile = Profile::new(&cli.profile, cli.sandbox)?;
    match &cli.command {
        Command::Auth(cmd) => auth::run(&profile, out, cmd).await,
        Command::Api(args) => api::run(&profile.client().await?, args).await,
        Command::Me => resources::me(&profile.client().await?, out).await,
        Command::Boards(cmd) => resources::boards(&profile.client().await?, out, cmd).await,
        Command::Sections(cmd) => resources::sections(&profile.client().await?, out, cmd).await,
        Command::Pins(cmd) => resources::pins(&profile.client().await?, out, cmd).await,
        Command::Media(cmd) => resources::media(&profile.client().await?, out, cmd).await,
        Command::Search(cmd) => resources::search(&profile.client().await?, out, cmd).await,
        Command::Analytics(cmd) => resources::analytics(&profile.client().await?, out, cmd).await,
        Command::Ads(cmd) => reports::run(&profile.client().await?, cmd).await,
        Command::Completions { .. } | Command::Demo(_) => Ok(()),
    }
}

fn main() {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { exit::USAGE } else { exit::OK };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    init_logging(cli.verbose);
    pinterest_sdk::internal::install_crypto_provider();
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            std::process::exit(exit::API);
        }
    };
    let code = match runtime.block_on(run(cli)) {
        Ok(()) => exit::OK,
        Err(e) => report(&e),
    };
    std::process::exit(code);
}

fn report(e: &CliError) -> i32 {
    match e.hint() {
        Some(hint) => eprintln!("error: {} (hint: {hint})", e.message()),
        None => eprintln!("error: {}", e.message()),
    }
    e.exit_code()
}
