//! What the CLI prints: tables on a terminal, JSON for scripts, one-line
//! errors with a hint, and the documented exit codes.
//!
//! Text from a server (error messages, names and descriptions, an OAuth
//! `error`) can hold control characters: an OSC sequence retitles a
//! terminal, a CSI one clears it, C1 controls (U+0080..U+009F) do the same
//! on terminals that read them, a carriage return or backspaces rewrite the
//! line. So everything printed for people goes through
//! [`terminal_safe`] (or [`terminal_safe_lines`], which keeps line feeds),
//! errors are also cut at [`MAX_MESSAGE_CHARS`], and JSON goes through
//! [`json_text`], which writes DEL and C1 as `\u00XX` as well (serde_json
//! escapes only U+0000..U+001F): the same JSON value, with no byte that can
//! drive a terminal.

use std::borrow::Cow;
use std::fmt::Write as _;
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

    /// One line: the error and its causes, control characters escaped (the
    /// text may come from a server), at most [`MAX_MESSAGE_CHARS`] long.
    pub fn message(&self) -> String {
        let message = self.raw_message();
        bounded(&terminal_safe(&message), MAX_MESSAGE_CHARS).into_owned()
    }

    fn raw_message(&self) -> String {
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

/// The longest error message printed, in characters (after escaping).
pub const MAX_MESSAGE_CHARS: usize = 1000;

/// `text` with every control character (C0, DEL, C1) and the bidirectional
/// overrides written as Rust escapes (`\u{1b}`, `\u{9b}`, `\u{202e}`), so it
/// cannot drive a terminal or reorder what is shown. Borrowed when there is
/// nothing to escape. (The SDK's own rule, which `ApiError`'s `Display` uses
/// too.)
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    pinterest_sdk::error::escape_controls(text)
}

/// Like [`terminal_safe`], keeping line feeds (for multi-line notes).
pub fn terminal_safe_lines(text: &str) -> Cow<'_, str> {
    if !text.contains('\n') {
        return terminal_safe(text);
    }
    let lines: Vec<Cow<'_, str>> = text.split('\n').map(terminal_safe).collect();
    if lines.iter().all(|l| matches!(l, Cow::Borrowed(_))) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(lines.join("\n"))
}

/// `text` cut to `max` characters, saying how much was left out.
pub fn bounded(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => Cow::Borrowed(text),
        Some((end, _)) => {
            let total = text.chars().count();
            Cow::Owned(format!("{} … ({} more characters)", &text[..end], total - max))
        }
    }
}

/// `v` as JSON text (indented when `pretty`), with DEL and the C1 controls
/// also written as `\u00XX` escapes. Those characters can only occur inside
/// JSON strings, where the escape stands for the same character, so the
/// value is unchanged.
pub fn json_text(v: &Value, pretty: bool) -> CliResult<String> {
    let text = if pretty { serde_json::to_string_pretty(v) } else { serde_json::to_string(v) };
    let text = text.map_err(|e| CliError::Local(e.to_string()))?;
    let c1 = |c: char| ('\u{7f}'..='\u{9f}').contains(&c);
    if !text.chars().any(c1) {
        return Ok(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if c1(c) {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

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
        let text = if self.json { json_text(v, true)? } else { render(v, columns) };
        writeln!(stdout, "{text}").map_err(|e| CliError::Local(e.to_string()))
    }

    /// A line for people (on stderr when stdout is JSON, so scripts get
    /// clean output), control characters but line feeds escaped.
    pub fn note(&self, line: &str) {
        let line = terminal_safe_lines(line);
        if self.json {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }
}

/// A value as table text: strings as they are, other values as JSON;
/// control characters escaped.
fn cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => terminal_safe(s).into_owned(),
        Some(other) => terminal_safe(&other.to_string()).into_owned(),
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
            let width = map.keys().map(|k| terminal_safe(k).len()).max().unwrap_or(0);
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| format!("{:width$}  {}", terminal_safe(k), cell(Some(v))))
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

    /// OSC (retitle), CSI (clear), C1 CSI, BEL, backspace, carriage return, DEL, NEL, NUL.
    const HOSTILE: &str = "a\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}1;1H\u{8}\r\u{7f}\u{85}\u{0}\tz\n";

    fn has_controls(text: &str, but: &[char]) -> bool {
        text.chars().any(|c| c.is_control() && !but.contains(&c))
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(
            terminal_safe(HOSTILE),
            "a\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\u{9b}1;1H\\u{8}\\r\\u{7f}\\u{85}\\0\\tz\\n"
        );
        assert!(!has_controls(&terminal_safe(HOSTILE), &[]));
        let two_lines = format!("{HOSTILE}next");
        let lines = terminal_safe_lines(&two_lines);
        assert!(lines.ends_with("z\nnext") && !has_controls(&lines, &['\n']), "{lines}");
        assert!(matches!(terminal_safe("plain ünïcode ✓"), Cow::Borrowed(_)));
    }

    #[test]
    fn long_text_is_cut_and_says_so() {
        assert_eq!(bounded("abcdef", 6), "abcdef");
        assert_eq!(bounded("abcdefgh", 6), "abcdef … (2 more characters)");
        assert_eq!(bounded("ééééé", 2), "éé … (3 more characters)");
    }

    #[test]
    fn error_messages_are_escaped_and_bounded() {
        let huge = HOSTILE.repeat(100_000);
        for e in [CliError::Auth(huge.clone()), CliError::Sdk(Error::Config(huge.clone()))] {
            let m = e.message();
            assert!(!has_controls(&m, &[]), "{}", &m[..200]);
            assert!(m.chars().count() < MAX_MESSAGE_CHARS + 50, "{} characters", m.chars().count());
            assert!(m.starts_with("a\\u{1b}]0;pwned") || m.contains("a\\u{1b}]0;pwned"), "{}", &m[..200]);
            assert!(m.ends_with("more characters)"));
        }
    }

    #[test]
    fn tables_escape_cells_and_keys() {
        let v = serde_json::json!([{"id": HOSTILE, "name": {"nested": HOSTILE}}]);
        let t = render(&v, &["id", "name"]);
        assert!(!has_controls(&t, &['\n']), "{t:?}");
        assert!(t.contains("\\u{1b}]0;pwned"), "{t}");
        let o = render(&serde_json::json!({HOSTILE: HOSTILE, "n": 1}), &[]);
        assert!(!has_controls(&o, &['\n']), "{o:?}");
        assert_eq!(o.lines().count(), 2, "one line per key: {o}");
    }

    #[test]
    fn json_text_escapes_del_and_c1_and_keeps_the_value() {
        let v = serde_json::json!({"name": HOSTILE, HOSTILE: [HOSTILE, 1, "\u{9f}\u{a0}é"]});
        for pretty in [true, false] {
            let text = json_text(&v, pretty).unwrap();
            assert!(!has_controls(&text, &['\n']), "{text:?}");
            assert!(text.contains("\\u009b") && text.contains("\\u007f") && text.contains("\u{a0}é"), "{text}");
            let back: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(back, v);
        }
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
