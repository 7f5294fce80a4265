//! The terminal: its settings kept at start (a Ctrl-C during a hidden
//! prompt must not leave echo off), and the confirmation of destructive
//! commands.

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use crate::cli::ConfirmArgs;
use crate::output::{CliError, CliResult, Out, terminal_safe};

/// The settings of the terminal on stdin when the command started.
pub struct Saved {
    #[cfg(unix)]
    termios: Option<rustix::termios::Termios>,
}

impl Saved {
    pub fn now() -> Self {
        #[cfg(unix)]
        {
            let stdin = std::io::stdin();
            let termios = if stdin.is_terminal() { rustix::termios::tcgetattr(&stdin).ok() } else { None };
            Saved { termios }
        }
        #[cfg(not(unix))]
        Saved {}
    }

    /// Puts the settings back (echo after an interrupted password prompt).
    pub fn restore(&self) {
        #[cfg(unix)]
        if let Some(t) = &self.termios {
            let _ = rustix::termios::tcsetattr(std::io::stdin(), rustix::termios::OptionalActions::Now, t);
        }
    }
}

/// Whether to ask before something that cannot be undone: not with
/// `--yes`; on a terminal, yes; without one, `--yes` is needed.
pub fn must_ask(confirm: ConfirmArgs, command: &str) -> CliResult<bool> {
    if confirm.yes {
        return Ok(false);
    }
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Err(CliError::Usage(format!(
            "`pinterest {command}` cannot be undone: pass --yes to run it without a terminal to confirm on"
        )));
    }
    Ok(true)
}

/// Asks `question [y/N]` on the terminal; anything but `y`/`yes` stops the command.
pub async fn ask(out: &Out, question: &str) -> CliResult {
    let prompt = format!("{} [y/N] ", terminal_safe(question));
    let prompt = out.err_paint(&prompt, anstyle::Style::new().bold());
    let answer = tokio::task::spawn_blocking(move || {
        let mut stderr = std::io::stderr().lock();
        let _ = write!(stderr, "{prompt}");
        let _ = stderr.flush();
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map(|_| line)
    })
    .await
    .map_err(|e| CliError::Local(e.to_string()))?
    .map_err(|e| CliError::Local(format!("cannot read the answer: {e}")))?;
    match answer.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Ok(()),
        _ => Err(CliError::Local("not confirmed; nothing was changed".into())),
    }
}
