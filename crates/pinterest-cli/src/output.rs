//! What the CLI prints: tables on a terminal, JSON for scripts, one-line
//! errors with a hint, and the documented exit codes.

use std::io::{IsTerminal, Write};

use pinterest_sdk::Error;
use serde_json::Value;

/// Exit codes.
pub mod exit {
    pub const OK: i32 = 0;
    pub const API: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const AUTH: i32 = 3;
    pub const NETWORK: i32 = 4;
}

/// A failure, with what the user should do about it.
#[derive(Debug)]
pub enum CliError {
    /// From the SDK.
    Sdk(Error),
    /// Bad arguments or input.
    Usage(String),
    /// Not logged in, or the login is no longer valid.
    Auth(String),
    /// A local failure (file, terminal).
    Local(String),
}

impl From<Error> for CliError {
    fn from(e: Error) -> Self {
        CliError::Sdk(e)
    }
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Usage(_) => exit::USAGE,
            CliError::Auth(_) => exit::AUTH,
            CliError::Local(_) => exit::API,
            CliError::Sdk(e) => match e {
                Error::NotAuthenticated | Error::ReauthorizationRequired(_) | Error::TokenExpired | Error::OAuth(_) => {
                    exit::AUTH
                }
                Error::Transport(_) | Error::Timeout { .. } => exit::NETWORK,
                Error::InvalidRequest { .. }
                | Error::Build(_)
                | Error::NotInSandbox { .. }
                | Error::MediaSource { .. }
                | Error::Config(_) => exit::USAGE,
                // The same answer as Pinterest's 403, found before asking.
                Error::MissingScopes { .. } => exit::API,
                e if e.status() == Some(http::StatusCode::UNAUTHORIZED) => exit::AUTH,
                _ => exit::API,
            },
        }
    }

    /// One line: the error and its causes.
    pub fn message(&self) -> String {
        match self {
            CliError::Usage(m) | CliError::Auth(m) | CliError::Local(m) => m.clone(),
            CliError::Sdk(e) => {
                let mut msg = e.to_string();
                let mut source = std::error::Error::source(e);
                while let Some(s) = source {
                    msg.push_str(": ");
                    msg.push_str(&s.to_string());
                    source = s.source();
                }
                if let Some(body) = e.api().and_then(|a| a.body.as_deref()) {
                    let short: String = body.chars().take(200).collect::<String>().replace('\n', " ");
                    msg.push_str(&format!(" (body: {short})"));
                }
                msg
            }
        }
    }

    pub fn hint(&self) -> Option<&'static str> {
        if let CliError::Sdk(Error::MissingScopes { .. }) = self {
            return Some("log in with that scope: `pinterest auth login --scopes ...`");
        }
        if let CliError::Sdk(Error::NotInSandbox { .. }) = self {
            return Some("Pinterest's sandbox does not serve it; drop --sandbox");
        }
        match self.exit_code() {
            exit::AUTH => Some("run `pinterest auth login`"),
            exit::NETWORK => Some("check the network, or PINTEREST_API_URI"),
            _ => match self {
                CliError::Sdk(e) if e.api().is_some_and(|a| a.status == http::StatusCode::FORBIDDEN) => {
                    Some("the login lacks a scope: `pinterest auth login --scopes ...`")
                }
                CliError::Sdk(e) if e.api().is_some_and(|a| a.status == http::StatusCode::TOO_MANY_REQUESTS) => {
                    Some("rate limited: wait and try again")
                }
                _ => None,
            },
        }
    }
}

pub type CliResult<T = ()> = Result<T, CliError>;

/// How results are printed.
#[derive(Debug, Clone, Copy)]
pub struct Out {
    pub json: bool,
}

impl Out {
    pub fn new(force_json: bool) -> Self {
        Out { json: force_json || !std::io::stdout().is_terminal() }
    }

    /// Prints a value: JSON, or a table of `columns` (a list) / key-value
    /// lines (an object) on a terminal.
    pub fn value(&self, v: &Value, columns: &[&str]) -> CliResult {
        let mut stdout = std::io::stdout().lock();
        let text = if self.json {
            serde_json::to_string_pretty(v).map_err(|e| CliError::Local(e.to_string()))?
        } else {
            render(v, columns)
        };
        writeln!(stdout, "{text}").map_err(|e| CliError::Local(e.to_string()))
    }

    /// A line for people (on stderr when stdout is JSON, so scripts get
    /// clean output).
    pub fn note(&self, line: &str) {
        if self.json {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }
}

fn cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// A table for lists, `key: value` lines for objects.
pub fn render(v: &Value, columns: &[&str]) -> String {
    match v {
        Value::Array(items) => {
            let mut table = comfy_table::Table::new();
            table.load_preset(comfy_table::presets::NOTHING);
            table.set_header(columns.iter().map(|c| c.to_uppercase()));
            for item in items {
                table.add_row(columns.iter().map(|c| cell(item.get(*c))));
            }
            table.to_string()
        }
        Value::Object(map) => {
            let width = map.keys().map(String::len).max().unwrap_or(0);
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| format!("{k:width$}  {}", cell(Some(v))))
                .collect::<Vec<_>>()
                .join("\n")
        }
        other => cell(Some(other)),
    }
}

/// Serializes an SDK value for printing.
pub fn to_json<T: serde::Serialize>(v: &T) -> CliResult<Value> {
    serde_json::to_value(v).map_err(|e| CliError::Local(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes() {
        assert_eq!(CliError::Sdk(Error::NotAuthenticated).exit_code(), exit::AUTH);
        assert_eq!(CliError::Usage("x".into()).exit_code(), exit::USAGE);
        assert_eq!(CliError::Sdk(Error::Config("x".into())).exit_code(), exit::USAGE);
        assert_eq!(CliError::Sdk(Error::NotAuthenticated).hint(), Some("run `pinterest auth login`"));
    }

    #[test]
    fn tables_and_objects() {
        let v = serde_json::json!([{"id": "1", "name": "A"}, {"id": "2", "name": null}]);
        let t = render(&v, &["id", "name"]);
        assert!(t.contains("ID") && t.contains("NAME") && t.contains(" A"), "{t}");
        let o = render(&serde_json::json!({"username": "ada", "x": null}), &[]);
        assert_eq!(o, "username  ada");
    }
}
