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

use crate::jq::Jq;
use crate::table;

/// Exit codes.
pub mod exit {
    pub const OK: i32 = 0;
    pub const API: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const AUTH: i32 = 3;
    pub const NETWORK: i32 = 4;
    /// Ctrl-C (128 + SIGINT, as shells report it).
    pub const CANCELLED: i32 = 130;
}

/// A failure, with what the user should do about it.
#[derive(Debug)]
pub enum CliError {
    /// From the SDK.
    Sdk(Error),
    /// From the SDK, for a call the CLI names itself (`GET /boards`).
    Call { endpoint: String, error: Error },
    /// Bad arguments or input.
    Usage(String),
    /// Not logged in, or the login is no longer valid.
    Auth(String),
    /// `PINTEREST_ACCESS_TOKEN` was refused (logging in does not help while it is set).
    EnvToken(String),
    /// A local failure (file, terminal).
    Local(String),
    /// Whoever read stdout stopped reading (`| head`): not a failure.
    Pipe,
}

impl From<Error> for CliError {
    fn from(e: Error) -> Self {
        CliError::Sdk(e)
    }
}

/// Where the API address came from, for the network hint.
static API_ORIGIN: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Records the API address and where it came from (`PINTEREST_API_URI`,
/// the profile, `--sandbox`, Pinterest's default).
pub fn set_api_origin(base: &str, origin: &str) {
    let _ = API_ORIGIN.set(format!("{base} (from {origin})"));
}

/// The SDK error of a failure, if any.
fn sdk(e: &CliError) -> Option<&Error> {
    match e {
        CliError::Sdk(e) | CliError::Call { error: e, .. } => Some(e),
        _ => None,
    }
}

/// Whether a closed stdout is behind the error: the report written to
/// stdout (only there: a transport error can end in a broken pipe too,
/// the server's, and that is a failure to report).
fn is_broken_pipe(e: &Error) -> bool {
    if !matches!(e, Error::ReportFile { .. }) {
        return false;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if s.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) {
            return true;
        }
        source = s.source();
    }
    false
}

/// The endpoint of an operation id, as the CLI speaks of it: `GET /boards/{board_id}`.
pub fn endpoint_of(operation: &str) -> Option<String> {
    pinterest_sdk::registry::find(operation).map(|o| format!("{} {}", o.method, o.path))
}

/// `text` with every `` `operation/id` `` replaced by its endpoint, and
/// advice meant for Rust code (`(use .query())`) left out.
fn speak_of_endpoints(text: &str, raw: Option<&str>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('`') {
        let Some(len) = rest[open + 1..].find('`') else { break };
        let name = &rest[open + 1..open + 1 + len];
        out.push_str(&rest[..open]);
        match (name, raw) {
            ("raw", Some(endpoint)) => out.push_str(endpoint),
            ("raw", None) => out.push_str("the request"),
            _ => match endpoint_of(name) {
                Some(endpoint) => out.push_str(&endpoint),
                None => out.push_str(&rest[open..open + len + 2]),
            },
        }
        rest = &rest[open + len + 2..];
    }
    out.push_str(rest);
    for advice in [" (use .query())", " (use .query)"] {
        out = out.replace(advice, "");
    }
    out
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Usage(_) => exit::USAGE,
            CliError::Auth(_) | CliError::EnvToken(_) => exit::AUTH,
            CliError::Local(_) => exit::API,
            CliError::Pipe => exit::OK,
            CliError::Sdk(e) | CliError::Call { error: e, .. } => match e {
                _ if is_broken_pipe(e) => exit::OK,
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

    /// Whether nothing should be said (a closed pipe).
    pub fn is_quiet(&self) -> bool {
        self.exit_code() == exit::OK
    }

    /// One line: the error and its causes, control characters escaped (the
    /// text may come from a server), at most [`MAX_MESSAGE_CHARS`] long.
    pub fn message(&self) -> String {
        let message = self.raw_message();
        bounded(&terminal_safe(&message), MAX_MESSAGE_CHARS).into_owned()
    }

    fn raw_message(&self) -> String {
        match self {
            CliError::Usage(m) | CliError::Auth(m) | CliError::EnvToken(m) | CliError::Local(m) => m.clone(),
            CliError::Pipe => "the output was closed".into(),
            CliError::Sdk(e) => describe(e, None),
            CliError::Call { endpoint, error } => describe(error, Some(endpoint)),
        }
    }

    /// Pinterest's error body (`{"code", "message"}`), for `--json` output.
    pub fn api_body(&self) -> Option<Value> {
        let api = sdk(self)?.api()?;
        if api.code.is_none() && api.message.is_none() {
            return None;
        }
        // Bounded like the rest of what is printed: a hostile server's
        // megabytes stay out of a script's input.
        let message = api.message.as_deref().map(|m| bounded(m, MAX_BODY_MESSAGE_CHARS).into_owned());
        Some(serde_json::json!({"code": api.code, "message": message}))
    }

    pub fn hint(&self) -> Option<String> {
        if let CliError::EnvToken(_) = self {
            return Some("unset PINTEREST_ACCESS_TOKEN, or set it to a working token".into());
        }
        match sdk(self) {
            Some(Error::MissingScopes { .. }) => {
                return Some("log in with that scope: `pinterest auth login --scopes ...`".into());
            }
            Some(Error::NotInSandbox { .. }) => {
                return Some("Pinterest's sandbox does not serve it; drop --sandbox".into());
            }
            _ => {}
        }
        match self.exit_code() {
            exit::AUTH => Some("run `pinterest auth login`".into()),
            exit::NETWORK => Some(match API_ORIGIN.get() {
                Some(origin) => format!("check the network and the API address {origin}"),
                None => "check the network".into(),
            }),
            _ => match sdk(self).and_then(Error::api).map(|a| a.status) {
                Some(http::StatusCode::FORBIDDEN) => {
                    Some("the login may lack a scope: `pinterest auth login --scopes ...`".into())
                }
                Some(http::StatusCode::TOO_MANY_REQUESTS) => Some("rate limited: wait and try again".into()),
                _ => None,
            },
        }
    }
}

/// An SDK error in the CLI's words: the endpoint rather than the
/// operation id, Pinterest's status, code and message, the causes.
fn describe(e: &Error, endpoint: Option<&str>) -> String {
    if let Some(api) = e.api() {
        let endpoint = match (api.operation, endpoint) {
            (_, Some(ep)) => ep.to_owned(),
            (op, None) => endpoint_of(op).unwrap_or_else(|| "the request".into()),
        };
        let mut msg = format!("{endpoint}: HTTP {}", api.status);
        if let Some(m) = api.message.as_deref().or(api.oauth_error.as_deref()) {
            msg.push_str(&format!(": {}", bounded(m, pinterest_sdk::ApiError::DISPLAYED_MESSAGE_CHARS)));
        }
        if let Some(code) = api.code {
            msg.push_str(&format!(" (Pinterest code {code}"));
            match &api.request_id {
                Some(rid) => msg.push_str(&format!(", request id {})", bounded(rid, 100))),
                None => msg.push(')'),
            }
        } else if let Some(rid) = &api.request_id {
            msg.push_str(&format!(" (request id {})", bounded(rid, 100)));
        }
        if let Some(body) = api.body.as_deref() {
            let short: String = body.chars().take(200).collect::<String>().replace('\n', " ");
            msg.push_str(&format!(" (body: {short})"));
        }
        return msg;
    }
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    speak_of_endpoints(&msg, endpoint)
}

pub type CliResult<T = ()> = Result<T, CliError>;

/// The longest error message printed, in characters (after escaping).
pub const MAX_MESSAGE_CHARS: usize = 1000;

/// The longest message of an error body printed as JSON, in characters.
pub const MAX_BODY_MESSAGE_CHARS: usize = 4000;

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

/// Like [`terminal_safe_lines`], keeping tabs too (text a person asked
/// for, such as `--jq` output).
pub fn terminal_safe_text(text: &str) -> String {
    text.split('\t').map(terminal_safe_lines).collect::<Vec<_>>().join("\t")
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

/// How results are printed: the format, colour, and whether notes and
/// progress are wanted.
#[derive(Debug, Clone, Default)]
pub struct Out {
    /// JSON (asked for, or stdout is not a terminal) rather than tables.
    pub json: bool,
    /// JSON was asked for (`--json`, `--jq`): API error bodies go to stdout too.
    pub json_asked: bool,
    /// `--json=a,b`: only these fields.
    pub fields: Option<Vec<String>>,
    /// `--jq EXPR`, compiled.
    pub jq: Option<std::sync::Arc<Jq>>,
    /// `--quiet`: results only.
    pub quiet: bool,
    /// stdout is a terminal.
    pub tty: bool,
    /// Colour on stdout.
    pub color: bool,
    /// Colour on stderr.
    pub err_color: bool,
    /// Progress bars and prompts may be drawn (stderr is a terminal, not quiet).
    pub progress: bool,
    /// Columns of the terminal stdout is on.
    pub width: usize,
}

/// Whether colour is off by the environment (`NO_COLOR` set and not empty).
fn no_color_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

impl Out {
    /// From the global flags.
    pub fn new(json: Option<&str>, jq: Option<&str>, quiet: bool, no_color: bool) -> CliResult<Self> {
        let stdout_tty = std::io::stdout().is_terminal();
        let stderr_tty = std::io::stderr().is_terminal();
        let fields = json
            .filter(|f| !f.trim().is_empty())
            .map(|f| f.split(',').map(|x| x.trim().to_owned()).filter(|x| !x.is_empty()).collect::<Vec<_>>());
        let jq = jq.map(Jq::new).transpose()?.map(std::sync::Arc::new);
        let color_ok = !no_color && !no_color_env();
        Ok(Out {
            json: json.is_some() || jq.is_some() || !stdout_tty,
            json_asked: json.is_some() || jq.is_some(),
            fields,
            jq,
            quiet,
            tty: stdout_tty,
            color: color_ok && stdout_tty,
            err_color: color_ok && stderr_tty,
            progress: stderr_tty && !quiet,
            width: table::terminal_width(),
        })
    }

    /// Prints a value: JSON, or (on a terminal) `key.path  value` lines
    /// for an object.
    pub fn value(&self, v: &Value) -> CliResult {
        if self.json {
            return self.json_out(v);
        }
        let text = table::key_paths(v, self.width, self.color);
        write_out(&format!("{text}\n"))
    }

    /// `v` as JSON whatever the terminal (`pinterest api`), through the
    /// field selection and `--jq`.
    pub fn json_value(&self, v: &Value) -> CliResult {
        self.json_out(v)
    }

    /// `v` as one line of JSON (an item of `api --paginate`), through the
    /// field selection and `--jq`.
    pub fn json_line(&self, v: &Value) -> CliResult {
        self.json_print(v, false)
    }

    fn json_out(&self, v: &Value) -> CliResult {
        self.json_print(v, true)
    }

    /// JSON through the field selection and `--jq`.
    fn json_print(&self, v: &Value, pretty: bool) -> CliResult {
        let v = self.select(v);
        match &self.jq {
            None => write_out(&format!("{}\n", json_text(&v, pretty)?)),
            Some(jq) => {
                let mut text = String::new();
                for out in jq.run(&v)? {
                    match &out {
                        // As it is into a pipe (`@tsv` keeps its tabs); on
                        // a terminal, controls escaped but tabs and lines.
                        Value::String(s) if self.tty => text.push_str(&terminal_safe_text(s)),
                        Value::String(s) => text.push_str(s),
                        other => text.push_str(&json_text(other, pretty)?),
                    }
                    text.push('\n');
                }
                write_out(&text)
            }
        }
    }

    /// `v` with only the `--json=` fields (of each item, for a list).
    fn select(&self, v: &Value) -> Value {
        let Some(fields) = &self.fields else { return v.clone() };
        let pick = |o: &Value| match o {
            Value::Object(map) => {
                Value::Object(fields.iter().map(|f| (f.clone(), map.get(f).cloned().unwrap_or(Value::Null))).collect())
            }
            other => other.clone(),
        };
        match v {
            Value::Array(items) => Value::Array(items.iter().map(pick).collect()),
            other => pick(other),
        }
    }

    /// A list printed as its pages arrive.
    pub fn list(&self, columns: &'static [&'static str]) -> ListPrinter<'_> {
        ListPrinter { out: self, columns, widths: None, count: 0, held: Vec::new() }
    }

    /// A line for people (on stderr when stdout is JSON, so scripts get
    /// clean output), control characters but line feeds escaped; nothing
    /// with --quiet.
    pub fn note(&self, line: &str) -> CliResult {
        if self.quiet {
            return Ok(());
        }
        let line = terminal_safe_lines(line);
        if self.json {
            eprint_line(&line);
            Ok(())
        } else {
            write_out(&format!("{line}\n"))
        }
    }

    /// A line for people on stderr (a hint, a warning), unless --quiet.
    pub fn tell(&self, line: &str) {
        if !self.quiet {
            eprint_line(&terminal_safe_lines(line));
        }
    }

    /// Styled text for stdout: `style` when stdout takes colour.
    pub fn paint(&self, text: &str, style: anstyle::Style) -> String {
        if self.color { format!("{style}{text}{style:#}") } else { text.to_owned() }
    }

    /// Styled text for stderr: `style` when stderr takes colour.
    pub fn err_paint(&self, text: &str, style: anstyle::Style) -> String {
        if self.err_color { format!("{style}{text}{style:#}") } else { text.to_owned() }
    }
}

/// Whether anything was written to stdout (then an error body is not
/// added to it: a half-printed list would no longer be one JSON value).
static STDOUT_USED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether [`write_out`] wrote anything.
pub fn stdout_used() -> bool {
    STDOUT_USED.load(std::sync::atomic::Ordering::Relaxed)
}

/// Writes to stdout; a closed pipe is [`CliError::Pipe`] (a quiet exit 0).
pub fn write_out(text: &str) -> CliResult {
    STDOUT_USED.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()).map_err(|e| io_error(&e))
}

/// A write error: a closed pipe, or a local failure.
pub fn io_error(e: &std::io::Error) -> CliError {
    if e.kind() == std::io::ErrorKind::BrokenPipe { CliError::Pipe } else { CliError::Local(e.to_string()) }
}

/// A line on stderr; a failure to write it is ignored (nowhere to say so).
pub fn eprint_line(line: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{line}");
}

/// Prints a list as its pages come: a table whose column widths the first
/// page sets (cut to the terminal), or a JSON array written item by item.
/// With `--jq`, the whole list is the filter's input, so it is held until
/// the end.
pub struct ListPrinter<'o> {
    out: &'o Out,
    columns: &'static [&'static str],
    widths: Option<Vec<usize>>,
    count: usize,
    held: Vec<Value>,
}

impl ListPrinter<'_> {
    /// Items printed so far.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Prints a page of items.
    pub fn page(&mut self, items: &[Value]) -> CliResult {
        if items.is_empty() {
            return Ok(());
        }
        let out = self.out;
        if out.jq.is_some() {
            self.held.extend(items.iter().cloned());
            self.count += items.len();
            return Ok(());
        }
        let mut text = String::new();
        if out.json {
            for item in items {
                text.push_str(if self.count == 0 { "[\n" } else { ",\n" });
                let item = json_text(&out.select(item), true)?;
                for (i, line) in item.lines().enumerate() {
                    if i > 0 {
                        text.push('\n');
                    }
                    text.push_str("  ");
                    text.push_str(line);
                }
                self.count += 1;
            }
        } else {
            let rows: Vec<Vec<String>> =
                items.iter().map(|item| self.columns.iter().map(|c| table::cell(c, item.get(*c))).collect()).collect();
            if self.widths.is_none() {
                let headers: Vec<String> = self.columns.iter().map(|c| c.to_uppercase()).collect();
                let widths = table::fit(&headers, &rows, out.width);
                text.push_str(&table::row(&headers, &widths, out.color));
                self.widths = Some(widths);
            }
            if let Some(widths) = &self.widths {
                for r in &rows {
                    text.push_str(&table::row(r, widths, false));
                }
            }
            self.count += items.len();
        }
        write_out(&text)
    }

    /// Ends the list: the closing bracket, the jq output, or a note when
    /// there was nothing.
    pub fn finish(self, empty_note: &str) -> CliResult {
        let out = self.out;
        if out.jq.is_some() {
            return out.json_out(&Value::Array(self.held));
        }
        if out.json {
            return write_out(if self.count == 0 { "[]\n" } else { "\n]\n" });
        }
        if self.count == 0 {
            return out.note(empty_note);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes() {
        assert_eq!(CliError::Sdk(Error::NotAuthenticated).exit_code(), exit::AUTH);
        assert_eq!(CliError::Usage("x".into()).exit_code(), exit::USAGE);
        assert_eq!(CliError::Sdk(Error::Config("x".into())).exit_code(), exit::USAGE);
        assert_eq!(CliError::Sdk(Error::NotAuthenticated).hint().as_deref(), Some("run `pinterest auth login`"));
        assert_eq!(CliError::Pipe.exit_code(), exit::OK);
        let pipe = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        let e = Error::ReportFile { reason: "cannot write".into(), source: Some(Box::new(pipe)) };
        assert!(CliError::Sdk(e).is_quiet());
        // The server's end closing while a body is sent is a network failure, said.
        let pipe = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        let e =
            Error::Transport(Box::new(pinterest_sdk::TransportError::new(pinterest_sdk::TransportErrorKind::Io, pipe)));
        assert!(!CliError::Sdk(e).is_quiet());
        assert_eq!(terminal_safe_text("a\tb\u{1b}c\nd"), "a\tb\\u{1b}c\nd");
    }

    #[test]
    fn errors_speak_of_endpoints_not_operation_ids() {
        let text = speak_of_endpoints("`boards/get` gave up after 2s; `raw` failed (use .query())", Some("GET /x"));
        assert_eq!(text, "GET /boards/{board_id} gave up after 2s; GET /x failed");
        let api = pinterest_sdk::ApiError::from_response(
            "boards/get",
            http::StatusCode::NOT_FOUND,
            &http::HeaderMap::new(),
            br#"{"code":40,"message":"Board not found."}"#,
        );
        let e = CliError::Sdk(Error::Api(Box::new(api)));
        assert_eq!(e.message(), "GET /boards/{board_id}: HTTP 404 Not Found: Board not found. (Pinterest code 40)");
        assert_eq!(e.api_body(), Some(serde_json::json!({"code": 40, "message": "Board not found."})));
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
        let v = serde_json::json!({"id": HOSTILE, "name": {"nested": HOSTILE}});
        let c = table::cell("name", v.get("name"));
        assert!(!has_controls(&c, &[]), "{c:?}");
        assert!(c.contains("\\u{1b}]0;pwned"), "{c}");
        let o = table::key_paths(&serde_json::json!({HOSTILE: HOSTILE, "n": 1}), 200, false);
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
    fn objects_are_key_value_lines() {
        let o = table::key_paths(&serde_json::json!({"username": "ada", "x": null}), 80, false);
        assert_eq!(o, "username  ada");
    }
}
