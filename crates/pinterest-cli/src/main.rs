//! `pinterest`: the Pinterest API from a terminal.

mod api;
mod auth;
mod cli;
mod debug;
mod demo;
mod jq;
mod login;
mod output;
mod profile;
mod reports;
mod resources;
mod table;
mod terminal;

use std::io::IsTerminal as _;
use std::time::Duration;

use clap::CommandFactory;

use cli::{AuthCmd, BoardsCmd, Cli, Command, MediaCmd, PinsCmd, SectionsCmd};
use output::{CliError, CliResult, Out, exit};
use profile::Profile;

async fn run(cli: Cli, out: Out) -> CliResult {
    if let Command::Completions { shell } = cli.command {
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "pinterest", &mut script);
        output::write_out(&String::from_utf8_lossy(&script))?;
        if std::io::stdout().is_terminal()
            && let Some(line) = cli::completion_install(shell)
        {
            out.tell(&format!("\nTo install them: {line}"));
        }
        return Ok(());
    }
    if let Command::Demo(args) = &cli.command {
        return demo::run(&out, args).await;
    }
    let profile = Profile::new(&cli.profile, cli.sandbox)?;
    match &cli.command {
        Command::Auth(cmd) => auth::run(&profile, &out, cmd).await,
        Command::Api(args) => api::run(&profile.client().await?, &out, args).await,
        Command::Me => resources::me(&profile.client().await?, &out).await,
        Command::Boards(cmd) => resources::boards(&profile.client().await?, &out, cmd).await,
        Command::Sections(cmd) => resources::sections(&profile.client().await?, &out, cmd).await,
        Command::Pins(cmd) => resources::pins(&profile.client().await?, &out, cmd).await,
        Command::Media(cmd) => resources::media(&profile.client().await?, &out, cmd).await,
        Command::Search(cmd) => resources::search(&profile.client().await?, &out, cmd).await,
        Command::Analytics(cmd) => resources::analytics(&profile.client().await?, &out, cmd).await,
        Command::Ads(cmd) => reports::run(&profile.client().await?, &out, cmd).await,
        Command::Completions { .. } | Command::Demo(_) => Ok(()),
    }
}

/// What a Ctrl-C stops, in the words of the message.
fn what_stops(command: &Command) -> &'static str {
    match command {
        Command::Auth(AuthCmd::Login(_)) => "login",
        Command::Media(MediaCmd::Upload { .. }) => "upload",
        Command::Ads(_) => "report",
        Command::Demo(_) => "demo",
        Command::Boards(BoardsCmd::List(_))
        | Command::Pins(PinsCmd::List { .. })
        | Command::Sections(SectionsCmd::List { .. })
        | Command::Search(_) => "list",
        Command::Api(args) if args.paginate => "list",
        _ => "command",
    }
}

/// The arguments, parsed; clap's own errors and help without colour when
/// `--no-color` (or `NO_COLOR`) says so.
fn parse() -> Result<Cli, clap::Error> {
    let no_color = std::env::args_os().skip(1).take_while(|a| a != "--").any(|a| a == "--no-color");
    let mut command = Cli::command();
    if no_color {
        command = command.color(clap::ColorChoice::Never);
    }
    let matches = command.try_get_matches()?;
    <Cli as clap::FromArgMatches>::from_arg_matches(&matches)
}

fn main() {
    let cli = match parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { exit::USAGE } else { exit::OK };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    let out = match Out::new(cli.json.as_deref(), cli.jq.as_deref(), cli.quiet, cli.no_color) {
        Ok(out) => out,
        Err(e) => std::process::exit(report(&e, &Out::default())),
    };
    debug::init(cli.verbose, out.err_color);
    pinterest_sdk::internal::install_crypto_provider();
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            output::eprint_line(&format!("error: cannot start the runtime: {e}"));
            std::process::exit(exit::API);
        }
    };
    let what = what_stops(&cli.command);
    let terminal = terminal::Saved::now();
    let code = runtime.block_on(async {
        // The command runs as a task, so that a Ctrl-C is seen even while it
        // waits on something that blocks (a prompt).
        let printer = out.clone();
        let mut task = tokio::spawn(run(cli, printer));
        tokio::select! {
            done = &mut task => match done {
                Ok(Ok(())) => exit::OK,
                Ok(Err(e)) => report(&e, &out),
                Err(e) => {
                    output::eprint_line(&format!("error: the command stopped: {e}"));
                    exit::API
                }
            },
            _ = tokio::signal::ctrl_c() => {
                // Dropping the command clears its progress bar, closes its
                // ports and removes its partial files.
                task.abort();
                let _ = tokio::time::timeout(Duration::from_secs(2), task).await;
                terminal.restore();
                output::eprint_line(&format!("\n{} cancelled", capitalized(what)));
                exit::CANCELLED
            }
        }
    });
    std::process::exit(code);
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Prints a failure on stderr (and, with JSON output, Pinterest's error
/// body on stdout); returns the exit code.
fn report(e: &CliError, out: &Out) -> i32 {
    if e.is_quiet() {
        return e.exit_code();
    }
    if out.json_asked
        && !output::stdout_used()
        && let Some(body) = e.api_body()
        && let Ok(text) = output::json_text(&body, true)
    {
        let _ = output::write_out(&format!("{text}\n"));
    }
    let red = anstyle::AnsiColor::Red.on_default().bold();
    let label = out.err_paint("error:", red);
    output::eprint_line(&format!("{label} {}", e.message()));
    if let Some(hint) = e.hint() {
        output::eprint_line(&format!("{} {hint}", out.err_paint("hint:", anstyle::Style::new().bold())));
    }
    e.exit_code()
}
