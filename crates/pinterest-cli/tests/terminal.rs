//! The `pinterest` binary on a real pseudo-terminal (through `expectrl`),
//! against an emulator in this process: Ctrl-C typed on the terminal during
//! a login, a long list and an upload (a short message, exit 130, nothing
//! stored); the `[y/N]` confirmation of a delete, and `--yes` without a
//! terminal; colour on a terminal and off with `--no-color` or `NO_COLOR`;
//! tables cut to the terminal's width; and a closed pipe, which is no error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure is the signal

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use expectrl::{Eof, Needle, Regex, Session, WaitStatus};
use pinterest_emulator::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Emulator, EmulatorHandle, Fault, FaultKind};
use serde_json::Value;
use unicode_width::UnicodeWidthStr as _;

const BIN: &str = env!("CARGO_BIN_EXE_pinterest");

/// How long any one expected thing may take to show up: only turns a hang
/// into a failure.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Exit code of a command stopped by Ctrl-C.
const CANCELLED: i32 = 130;

/// An emulator, a profile directory and an access token for the CLI.
struct Env {
    rt: tokio::runtime::Runtime,
    emulator: Option<EmulatorHandle>,
    dir: tempfile::TempDir,
    token: String,
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Some(e) = self.emulator.take() {
            // Requests still held by a latency fault go on, so nothing waits.
            e.clear_faults();
            e.release_delayed();
            self.rt.block_on(e.shutdown());
        }
    }
}

fn env() -> Env {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let emulator = rt.block_on(Emulator::builder().media_processing_polls(1).start()).unwrap();
    let token = emulator.issue_token(&["user_accounts:read", "boards:read", "boards:write", "pins:read", "pins:write"]);
    Env { rt, emulator: Some(emulator), dir: tempfile::tempdir().unwrap(), token }
}

impl Env {
    fn emu(&self) -> &EmulatorHandle {
        self.emulator.as_ref().unwrap()
    }

    /// `program` (the CLI, or a shell that runs it) with this test's
    /// emulator, profile directory and token, and nothing from the
    /// environment that changes what is printed.
    fn cmd_for(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("PINTEREST_CONFIG_DIR", self.dir.path())
            .env("PINTEREST_API_URI", self.emu().base_url())
            .env("PINTEREST_OAUTH_URI", self.emu().base_url())
            .env("PINTEREST_APP_ID", DEMO_CLIENT_ID)
            .env("PINTEREST_APP_SECRET", DEMO_CLIENT_SECRET)
            .env("PINTEREST_ACCESS_TOKEN", &self.token)
            .env("TERM", "xterm-256color")
            .env_remove("PINTEREST_PROFILE")
            .env_remove("PINTEREST_LOG")
            .env_remove("PINTEREST_DEBUG")
            .env_remove("NO_COLOR")
            .env_remove("COLUMNS");
        c
    }

    /// The CLI with `args`.
    fn cli(&self, args: &[&str]) -> Command {
        let mut c = self.cmd_for(BIN);
        c.args(args);
        c
    }

    /// The CLI without a terminal (stdin, stdout and stderr piped), printing JSON.
    fn json(&self, args: &[&str]) -> Value {
        let out = self.cli(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?} printed no JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
    }

    /// A new board's id.
    fn new_board(&self, name: &str) -> String {
        self.json(&["boards", "create", name, "--json"])["id"].as_str().unwrap().to_owned()
    }

    /// The HTTP status of `GET /v5{path}`, asked of the emulator directly.
    fn status_of(&self, path: &str) -> u16 {
        pinterest_sdk::internal::install_crypto_provider();
        let url = format!("{}{path}", self.emu().api_base());
        self.rt.block_on(async {
            reqwest::Client::new().get(url).bearer_auth(&self.token).send().await.unwrap().status().as_u16()
        })
    }

    /// Holds every request of the operation `route` until released (or ten
    /// minutes: much longer than any test waits).
    fn hold(&self, route: &str) {
        let mut f = Fault::once(route, FaultKind::Latency);
        f.count = None;
        f.latency_ms = Some(600_000);
        self.emu().add_fault(f);
    }

    /// Requests of the operation `route` received so far, and how many of
    /// them are still unanswered.
    fn requests_of(&self, route: &str) -> (usize, usize) {
        let log = self.emu().requests();
        let of: Vec<_> = log.iter().filter(|r| r.operation.as_deref() == Some(route)).collect();
        (of.len(), of.iter().filter(|r| r.status == 0).count())
    }
}

/// A command on a pseudo-terminal, and everything it printed so far.
struct Pty {
    session: Session,
    seen: Vec<u8>,
}

/// How a command on a pseudo-terminal ended.
struct Ended {
    code: i32,
    /// All it printed (stdout and stderr share the terminal), escapes kept.
    text: String,
}

impl Pty {
    /// Runs `cmd` with a new pseudo-terminal as its stdin, stdout, stderr
    /// and controlling terminal. A machine that cannot open one fails the test.
    fn spawn(cmd: Command) -> Pty {
        let shown = format!("{cmd:?}");
        let session = Session::spawn(cmd).unwrap_or_else(|e| panic!("cannot run {shown} on a pseudo-terminal: {e}"));
        assert!(session.get_process().isatty().unwrap(), "the session is on a pseudo-terminal");
        Pty { session, seen: Vec::new() }
    }

    /// Runs the CLI with `args` on a pseudo-terminal of `cols` x `rows`,
    /// so that it never sees another size. (`expectrl` sets 80 x 24 from
    /// this side once the child has started, so a `stty` in the child could
    /// be undone: the size is set here afterwards, and a shell waits for it
    /// before it becomes the CLI.)
    fn spawn_sized(env: &Env, args: &[&str], cols: u16, rows: u16) -> Pty {
        let mut cmd = env.cmd_for("sh");
        let script = format!(r#"until [ "$(stty size)" = "{rows} {cols}" ]; do sleep 0.01; done; exec "$0" "$@""#);
        cmd.arg("-c").arg(script).arg(BIN).args(args);
        let mut pty = Pty::spawn(cmd);
        pty.session.get_process_mut().set_window_size(cols, rows).unwrap();
        pty
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.seen).into_owned()
    }

    /// Waits for `needle` in the output; the text up to and with it.
    /// (Polls with pauses, [`TIMEOUT`] at most: expectrl's own `expect`
    /// spins on a core while it waits, and test machines may have few.)
    fn expect<N: Needle>(&mut self, what: &str, needle: N) -> String {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            match self.session.check(&needle) {
                Ok(found) if !found.is_empty() => {
                    self.seen.extend_from_slice(found.as_bytes());
                    return String::from_utf8_lossy(found.as_bytes()).into_owned();
                }
                Ok(_) => {}
                Err(expectrl::Error::Eof) => {
                    self.drain();
                    panic!("the output ended before {what}; it was:\n{}", self.text())
                }
                Err(e) => panic!("reading the terminal, waiting for {what}: {e}"),
            }
            if Instant::now() > deadline {
                self.drain();
                panic!("no {what} after {TIMEOUT:?}; the output so far:\n{}", self.text());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whatever is there to read now, into `seen`.
    fn drain(&mut self) {
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = self.session.try_read(&mut buf) {
            self.seen.extend_from_slice(&buf[..n]);
        }
    }

    /// Types `text` on the terminal.
    fn type_line(&mut self, text: &str) {
        self.session.send_line(text).unwrap();
    }

    /// Types the terminal's interrupt character (Ctrl-C), once the command
    /// catches SIGINT: the line discipline turns it into a SIGINT to the
    /// foreground process group, as it does for a person at a keyboard.
    fn ctrl_c(&mut self) {
        let pid = self.session.get_process().pid().as_raw();
        pinterest_test_support::wait_until("the CLI to catch SIGINT", || catches_sigint(pid));
        let intr = self.session.get_process().get_intr_char();
        assert_eq!(intr, 0x03, "the terminal's interrupt character is Ctrl-C");
        self.session.send([intr]).unwrap();
    }

    /// Reads to the end of the output and waits for the exit.
    fn finish(mut self) -> Ended {
        self.expect("the end of the output", Eof);
        let deadline = Instant::now() + TIMEOUT;
        let code = loop {
            match self.session.get_process().status().unwrap() {
                WaitStatus::Exited(_, code) => break code,
                WaitStatus::StillAlive if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                other => panic!("the command ended as {other:?}; it printed:\n{}", self.text()),
            }
        };
        Ended { code, text: self.text() }
    }
}

/// Whether process `pid` has a handler for SIGINT (Linux: `SigCgt` in
/// `/proc/PID/status`). Where that cannot be read, a pause stands in.
fn catches_sigint(pid: i32) -> bool {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        std::thread::sleep(Duration::from_millis(500));
        return true;
    };
    let caught = status.lines().find_map(|l| l.strip_prefix("SigCgt:")).unwrap().trim();
    // Signal N is bit N - 1; SIGINT is 2.
    u64::from_str_radix(caught, 16).unwrap() & (1 << 1) != 0
}

/// `text` without ANSI escape sequences (CSI, OSC and two-byte ones).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('[') => {
                for c in chars.by_ref() {
                    if ('\x40'..='\x7e').contains(&c) {
                        break;
                    }
                }
            }
            Some(']') => {
                while let Some(c) = chars.next() {
                    if c == '\x07' || (c == '\x1b' && chars.next_if_eq(&'\\').is_some()) {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// The lines of terminal text (`\r\n` on a terminal).
fn lines(text: &str) -> Vec<&str> {
    text.split('\n').map(|l| l.trim_end_matches('\r')).collect()
}

#[test]
fn ctrl_c_cancels_a_login_and_stores_nothing() {
    let env = env();
    let mut cmd = env.cli(&["auth", "login", "--no-browser", "--port", "0", "--timeout", "300"]);
    cmd.env_remove("PINTEREST_ACCESS_TOKEN");
    let mut pty = Pty::spawn(cmd);
    pty.expect("the authorization URL", Regex(r"http://\S+redirect_uri=\S+\s"));
    pty.ctrl_c();
    let end = pty.finish();
    assert!(end.text.contains("Login cancelled"), "{}", end.text);
    assert!(!end.text.contains("no redirect came back"), "{}", end.text);
    assert_eq!(end.code, CANCELLED, "{}", end.text);
    assert!(!env.dir.path().join("default.json").exists(), "nothing is stored");
}

#[test]
fn ctrl_c_stops_a_list_while_its_page_is_held() {
    let env = env();
    env.hold("pins/list");
    let mut pty = Pty::spawn(env.cli(&["pins", "list", "--all"]));
    pinterest_test_support::wait_until("the first page to be asked for", || env.requests_of("pins/list").1 == 1);
    pty.ctrl_c();
    pty.expect("the cancellation", "List cancelled");
    let end = pty.finish();
    assert_eq!(end.code, CANCELLED, "{}", end.text);
    // The page was still held when the command ended: it did not wait for it.
    assert_eq!(env.requests_of("pins/list"), (1, 1), "one page asked for, never answered");
}

#[test]
fn ctrl_c_stops_an_upload_while_it_is_processed() {
    let env = env();
    let board = env.new_board("Videos");
    let file = env.dir.path().join("clip.mp4");
    std::fs::write(&file, b"not really a video").unwrap();
    env.hold("media/get");
    let mut pty = Pty::spawn(env.cli(&["media", "upload", file.to_str().unwrap(), "--board", &board, "--poll", "1"]));
    pty.expect("the progress", Regex("uploading media|processing"));
    pty.expect("the wait for processing", "processing");
    pinterest_test_support::wait_until("a status read to be held", || env.requests_of("media/get").1 == 1);
    pty.ctrl_c();
    let end = pty.finish();
    assert!(end.text.contains("Upload cancelled"), "{}", end.text);
    assert_eq!(end.code, CANCELLED, "{}", end.text);
    assert_eq!(env.requests_of("pins/create").0, 0, "no Pin was made of the cancelled upload");
}

#[test]
fn a_delete_asks_on_a_terminal_and_wants_yes_without_one() {
    let env = env();
    let board = env.new_board("Doomed");
    let board_path = format!("/boards/{board}");
    let delete = ["boards", "delete", board.as_str()];

    let mut pty = Pty::spawn(env.cli(&delete));
    let question = pty.expect("the question", "[y/N] ");
    assert!(question.contains(&board), "{question}");
    pty.type_line("n");
    let end = pty.finish();
    assert!(end.text.contains("not confirmed"), "{}", end.text);
    assert_eq!(end.code, 1, "{}", end.text);
    assert_eq!(env.status_of(&board_path), 200, "the board is still there");

    // Without a terminal there is nobody to ask: --yes is needed.
    let out = env
        .cli(&delete)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
        .wait_with_output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("pass --yes"), "{err}");
    assert_eq!(env.status_of(&board_path), 200, "the board is still there");

    let mut pty = Pty::spawn(env.cli(&delete));
    pty.expect("the question", "[y/N] ");
    pty.type_line("y");
    let end = pty.finish();
    assert!(end.text.contains(&format!("Deleted board {board}.")), "{}", end.text);
    assert_eq!(end.code, 0, "{}", end.text);
    assert_eq!(env.status_of(&board_path), 404, "the board is gone");

    let other = env.new_board("Also doomed");
    let out = env.cli(&["boards", "delete", &other, "--yes"]).stdin(Stdio::piped()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(env.status_of(&format!("/boards/{other}")), 404, "--yes deletes without asking");
}

#[test]
fn colour_on_a_terminal_unless_turned_off() {
    let env = env();
    let end = Pty::spawn(env.cli(&["boards", "get", "999"])).finish();
    assert_eq!(end.code, 1, "{}", end.text);
    assert!(end.text.contains("GET /boards/{board_id}") && end.text.contains("404"), "{}", end.text);
    let red_label = Regex(r"\x1b\[[0-9;]*m(\x1b\[[0-9;]*m)*error:\x1b\[[0-9;]*m");
    assert!(!red_label.check(end.text.as_bytes(), true).unwrap().is_empty(), "a coloured label: {:?}", end.text);

    let mut no_color = env.cli(&["boards", "get", "999"]);
    no_color.env("NO_COLOR", "1");
    for (how, cmd) in [("--no-color", env.cli(&["boards", "get", "999", "--no-color"])), ("NO_COLOR=1", no_color)] {
        let end = Pty::spawn(cmd).finish();
        assert_eq!(end.code, 1, "{how}: {}", end.text);
        assert!(end.text.contains("error: GET /boards/{board_id}"), "{how}: {}", end.text);
        assert!(!end.text.contains("\x1b["), "{how}: no escape at all: {:?}", end.text);
    }

    let end = Pty::spawn(env.cli(&["pins", "list", "--limit", "3"])).finish();
    assert_eq!(end.code, 0, "{}", end.text);
    let bold_header = Regex(r"\x1b\[[0-9;]*mID +TITLE");
    assert!(!bold_header.check(end.text.as_bytes(), true).unwrap().is_empty(), "a bold header: {:?}", end.text);
    let end = Pty::spawn(env.cli(&["pins", "list", "--limit", "3", "--no-color"])).finish();
    assert_eq!(end.code, 0, "{}", end.text);
    assert!(lines(&end.text).iter().any(|l| l.starts_with("ID  ") && l.contains("TITLE")), "{}", end.text);
    assert!(!end.text.contains("\x1b["), "no escape at all: {:?}", end.text);
}

/// The table of `pins list --limit 5` on a terminal `cols` wide, escapes
/// removed: its lines, each checked to fit, a cell cut or a column left out.
fn pins_table(env: &Env, cols: u16) -> Vec<String> {
    let end = Pty::spawn_sized(env, &["pins", "list", "--limit", "5"], cols, 40).finish();
    assert_eq!(end.code, 0, "{}", end.text);
    let text = strip_ansi(&end.text);
    let lines: Vec<String> = lines(&text).into_iter().filter(|l| !l.is_empty()).map(str::to_owned).collect();
    for line in &lines {
        assert!(line.width() <= usize::from(cols), "{} columns of {cols}: {line:?}\n{text}", line.width());
    }
    let cut = lines.iter().any(|l| l.contains('…'));
    let dropped = !lines[0].contains("LINK");
    assert!(cut || dropped, "a cell was cut or a column left out at {cols} columns:\n{text}");
    assert!(lines[0].starts_with("ID"), "{text}");
    lines
}

#[test]
fn tables_fit_a_narrow_terminal() {
    let env = env();
    let pins = env.json(&["pins", "list", "--limit", "5", "--json"]);
    let ids: Vec<&str> = pins.as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 5, "the emulator has five Pins to show");
    for id in &ids {
        assert!(id.len() == 18 && id.bytes().all(|b| b.is_ascii_digit()), "{id}");
    }
    // Wide enough for both id columns whole (18 + 18, three other columns
    // at their narrowest, gaps): the other columns give way, the ids do not.
    let lines = pins_table(&env, 64);
    assert_eq!(lines.len(), 1 + ids.len(), "{lines:#?}");
    for (id, line) in ids.iter().zip(&lines[1..]) {
        assert!(line.starts_with(&format!("{id}  ")), "id {id} whole: {line:?}");
    }
    // 50 columns cannot hold two whole ids and three more columns: the
    // last columns are left out rather than an id cut.
    let lines = pins_table(&env, 50);
    assert_eq!(lines.len(), 1 + ids.len(), "{lines:#?}");
    assert!(!lines[0].contains("LINK"), "the last column went: {lines:#?}");
    for (id, line) in ids.iter().zip(&lines[1..]) {
        assert!(line.starts_with(&format!("{id}  ")), "id {id} whole: {line:?}");
    }
}

#[test]
fn a_closed_pipe_is_no_error_on_a_terminal() {
    let env = env();
    env.hold("pins/list");
    // The reader takes one line and closes its end (`exec <&-`: the
    // subshell would otherwise keep the pipe open), then says so.
    let script = r#"set -o pipefail
"$0" api GET /pins --paginate -f page_size=1 | { head -1; exec <&-; echo reader-closed >&2; }
echo "status=$?""#;
    let mut cmd = env.cmd_for("bash");
    cmd.arg("-c").arg(script).arg(BIN);
    let mut pty = Pty::spawn(cmd);
    pinterest_test_support::wait_until("the first page to be asked for", || env.requests_of("pins/list").1 == 1);
    env.emu().release_delayed();
    pty.expect("the first line", Regex(r#"\{"[^\n]*\}\r?\n"#));
    pty.expect("the reader to close the pipe", "reader-closed");
    // The next page comes after nobody reads any more.
    pinterest_test_support::wait_until("the second page to be asked for", || env.requests_of("pins/list") == (2, 1));
    env.emu().release_delayed();
    let end = pty.finish();
    assert!(end.text.contains("status=0"), "{}", end.text);
    assert!(!end.text.contains("Broken pipe") && !end.text.contains("error:"), "{}", end.text);
    assert_eq!(end.code, 0, "{}", end.text);
}

/// What people read on a terminal: `auth status` in local time with a
/// relative form, analytics as a table of days, objects as key paths, and
/// the note that a list was cut at its limit.
#[test]
fn human_output_on_a_terminal() {
    let env = env();
    // A stored login (an app token: it expires, and cannot read the user).
    let mut login = env.cli(&["auth", "login", "--client-credentials", "--scopes", "user_accounts:read,boards:read"]);
    login.env_remove("PINTEREST_ACCESS_TOKEN");
    let out = login.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut status = env.cli(&["auth", "status", "--no-color"]);
    status.env_remove("PINTEREST_ACCESS_TOKEN");
    let mut pty = Pty::spawn(status);
    let expiry = Regex(r"Access token:   expires \d{4}-\d\d-\d\d \d\d:\d\d [+-]\d\d:\d\d \(in \d+ (days|hours)\)");
    pty.expect("a local expiry with a relative form", expiry);
    let end = pty.finish();
    assert_eq!(end.code, 0, "{}", end.text);
    let text = end.text.replace('\r', "");
    assert!(text.contains("Credential:     the stored login"), "{text}");
    assert!(text.contains("Scopes:         user_accounts:read, boards:read"), "{text}");
    let unix_time = text.as_bytes().windows(10).any(|w| w.iter().all(u8::is_ascii_digit));
    assert!(!unix_time, "no Unix times: {text}");

    let end = Pty::spawn(env.cli(&["analytics", "user", "--start", "2026-11-20", "--end", "2026-11-22"])).finish();
    assert_eq!(end.code, 0, "{}", end.text);
    let text = strip_ansi(&end.text);
    let rows: Vec<&str> = lines(&text).into_iter().filter(|l| !l.is_empty()).collect();
    assert_eq!(rows.len(), 5, "a header, three days, a total: {rows:#?}");
    assert!(rows[0].starts_with("DATE") && rows[0].contains("IMPRESSION"), "{rows:#?}");
    assert!(rows[1].starts_with("2026-11-20") && rows[4].starts_with("TOTAL"), "{rows:#?}");
    assert!(!text.contains('{'), "no JSON blob: {text}");

    let board = env.new_board("Key paths");
    let end = Pty::spawn(env.cli(&["boards", "get", &board])).finish();
    let text = strip_ansi(&end.text);
    assert!(lines(&text).iter().any(|l| l.starts_with("owner.username") && l.ends_with("emulator_user")), "{text}");
    assert!(!text.contains('{'), "nested objects as key paths: {text}");

    let end = Pty::spawn(env.cli(&["pins", "list", "--limit", "2"])).finish();
    assert!(end.text.contains("Showed the first 2 Pins"), "{}", end.text);
}
