//! The `pinterest` binary against an emulator in this process: the browser
//! login through the loopback listener, every command, JSON shapes, exit
//! codes, the upload flow, two processes sharing a profile, and canaries.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure is the signal

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::Login;
use pinterest_emulator::{App, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Emulator, EmulatorHandle, Fault, FaultKind};
use pinterest_test_support::Need;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_pinterest");

struct Env {
    rt: tokio::runtime::Runtime,
    emulator: Option<EmulatorHandle>,
    dir: tempfile::TempDir,
    app: (String, String),
    /// The port the last login's loopback listener bound (it binds port 0).
    login_port: std::cell::Cell<u16>,
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Some(e) = self.emulator.take() {
            self.rt.block_on(e.shutdown());
        }
    }
}

fn env_with(app: Option<App>, auto_approve: bool) -> Env {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mut builder = Emulator::builder().auto_approve(auto_approve).media_processing_polls(1);
    let creds = match app {
        Some(a) => {
            let creds = (a.client_id.clone(), a.client_secret.clone());
            builder = builder.app(a);
            creds
        }
        None => (DEMO_CLIENT_ID.to_owned(), DEMO_CLIENT_SECRET.to_owned()),
    };
    let emulator = rt.block_on(builder.start()).unwrap();
    Env {
        rt,
        emulator: Some(emulator),
        dir: tempfile::tempdir().unwrap(),
        app: creds,
        login_port: std::cell::Cell::new(0),
    }
}

fn env() -> Env {
    env_with(None, true)
}

impl Env {
    fn emu(&self) -> &EmulatorHandle {
        self.emulator.as_ref().unwrap()
    }

    /// For `.write_stdin`, `.assert()` and `.output()`.
    fn cmd(&self) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.std_cmd())
    }

    /// For spawning.
    fn std_cmd(&self) -> Command {
        self.cmd_for(BIN)
    }

    /// `program` (the CLI, or a wrapper that execs it) with the
    /// environment of this test's emulator and profile directory.
    fn cmd_for(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("PINTEREST_CONFIG_DIR", self.dir.path())
            .env("PINTEREST_API_URI", self.emu().base_url())
            .env("PINTEREST_OAUTH_URI", self.emu().base_url())
            .env("PINTEREST_APP_ID", &self.app.0)
            .env("PINTEREST_APP_SECRET", &self.app.1)
            .env_remove("PINTEREST_ACCESS_TOKEN")
            .env_remove("PINTEREST_PROFILE")
            .env_remove("PINTEREST_LOG");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?} printed no JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
    }

    /// Starts `pinterest auth login --no-browser --port 0` and reads the
    /// authorization URL it prints.
    fn start_login(&self, timeout_secs: u32, extra: &[&str]) -> Login {
        self.start_login_in(self.std_cmd(), timeout_secs, extra)
    }

    /// Like [`Env::start_login`], with `cmd` (the CLI or a wrapper that
    /// execs it with the arguments that follow) in place of the CLI.
    fn start_login_in(&self, mut cmd: Command, timeout_secs: u32, extra: &[&str]) -> Login {
        let timeout = timeout_secs.to_string();
        let login =
            Login::start(cmd.args(["auth", "login", "--no-browser", "--port", "0", "--timeout", &timeout]).args(extra));
        self.login_port.set(login.port());
        login
    }

    /// `pinterest auth login --no-browser`, with the app's redirect URI
    /// registered and an HTTP client opening the printed URL in place of a
    /// person (the emulator approves at once).
    fn browser_login(&self, extra: &[&str]) -> Output {
        let login = self.start_login(30, extra);
        self.approve(&login);
        login.finish()
    }

    /// Registers the login's redirect URI with the app and opens its URL
    /// with an HTTP client that follows redirects, as a browser would (the
    /// emulator approves at once and redirects to the CLI's listener).
    fn approve(&self, login: &Login) {
        self.open_like_a_browser(login, login.url.as_str());
    }

    /// Like [`Env::approve`], with `url` in place of the printed one.
    fn open_like_a_browser(&self, login: &Login, url: &str) {
        assert!(self.emu().register_redirect_uri(&self.app.0, login.redirect_uri()));
        pinterest_sdk::internal::install_crypto_provider();
        self.rt.block_on(async {
            let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::limited(5)).build().unwrap();
            // When the CLI is gone the redirect finds no listener; its exit
            // (which the caller checks) says why.
            if let Ok(page) = browser.get(url).send().await {
                assert!(page.headers()["cache-control"] == "no-store");
                assert_eq!(page.headers()["referrer-policy"], "no-referrer");
            }
        });
    }

    fn token_file(&self) -> PathBuf {
        self.dir.path().join("default.json")
    }

    /// The token set in the profile's file (which also names its app and account).
    fn stored(&self) -> Value {
        let file: Value = serde_json::from_slice(&std::fs::read(self.token_file()).unwrap()).unwrap();
        assert_eq!(file["key"]["account"], "default", "the profile's file names its account");
        file["tokens"].clone()
    }
}

#[test]
fn browser_login_then_every_command() {
    let env = env();
    let login = env.browser_login(&[]);
    assert!(login.status.success(), "{}", String::from_utf8_lossy(&login.stderr));
    assert!(env.token_file().exists());
    // The listener closed its port after the login.
    assert!(std::net::TcpStream::connect(("127.0.0.1", env.login_port.get())).is_err());

    let me = env.json(&["me", "--json"]);
    assert_eq!(me["username"], "emulator_user");
    let boards = env.json(&["boards", "list", "--json"]);
    assert!(boards.as_array().unwrap().iter().all(|b| b["id"].is_string() && b["name"].is_string()));
    let board = env.json(&["boards", "create", "From the CLI", "--description", "x", "--json"]);
    let board_id = board["id"].as_str().unwrap().to_owned();
    let got = env.json(&["boards", "get", &board_id, "--json"]);
    assert_eq!(got["name"], "From the CLI");
    let upd = env.json(&["boards", "update", &board_id, "--name", "Renamed", "--json"]);
    assert_eq!(upd["name"], "Renamed");

    let section = env.json(&["sections", "create", &board_id, "Part", "--json"]);
    let section_id = section["id"].as_str().unwrap().to_owned();
    let sections = env.json(&["sections", "list", &board_id, "--json"]);
    assert_eq!(sections.as_array().unwrap().len(), 1);
    env.json(&["sections", "update", &board_id, &section_id, "Part 1", "--json"]);

    let pin = env.json(&[
        "pins",
        "create",
        "--board",
        &board_id,
        "--image-url",
        "https://example.com/cake.jpg",
        "--title",
        "Cake",
        "--json",
    ]);
    let pin_id = pin["id"].as_str().unwrap().to_owned();
    assert_eq!(pin["media"]["media_type"], "image");
    assert_eq!(env.json(&["pins", "get", &pin_id, "--json"])["title"], "Cake");
    assert_eq!(env.json(&["pins", "update", &pin_id, "--title", "Cheesecake", "--json"])["title"], "Cheesecake");
    let listed = env.json(&["pins", "list", "--board", &board_id, "--json"]);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let saved = env.json(&["pins", "save", &pin_id, "--board", &board_id, "--json"]);
    assert_eq!(saved["parent_pin_id"], pin_id.as_str());
    let found = env.json(&["search", "pins", "cheese", "--json"]);
    assert!(found.as_array().unwrap().iter().any(|p| p["id"] == pin_id.as_str()));
    let found = env.json(&["search", "boards", "renamed", "--json"]);
    assert_eq!(found.as_array().unwrap().len(), 1);
    let stats = env.json(&["analytics", "pin", &pin_id, "--start", "2025-01-01", "--end", "2025-01-31", "--json"]);
    assert!(stats["all"]["summary_metrics"]["IMPRESSION"].is_number());
    let stats = env.json(&["analytics", "user", "--start", "2025-01-01", "--end", "2025-01-31", "--json"]);
    assert!(stats["all"].is_object());

    // Destructive commands want --yes without a terminal to ask on.
    let out = env.run(&["pins", "delete", &pin_id]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pass --yes"));
    let out = env.run(&["pins", "delete", &pin_id, "--yes"]);
    assert!(out.status.success());
    assert!(env.run(&["sections", "delete", &board_id, &section_id, "--yes"]).status.success());
    assert!(env.run(&["boards", "delete", &board_id, "-y"]).status.success());

    let status = env.json(&["auth", "status", "--json"]);
    assert_eq!(status["user"], "emulator_user");
    assert_eq!(status["refresh_token"], true);
    let before: Value = env.stored();
    let refreshed = env.json(&["auth", "refresh", "--json"]);
    assert_eq!(refreshed["refreshed"], true);
    assert!(refreshed["scopes"].is_array(), "scopes as in `auth status`: {refreshed}");
    let after: Value = env.stored();
    assert_ne!(before["refresh_token"], after["refresh_token"], "the rotated refresh token is stored");

    assert!(env.run(&["auth", "logout"]).status.success());
    let out = env.run(&["me"]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    // Said once: the error, then the hint.
    assert_eq!(err.matches("pinterest auth login").count(), 1, "{err}");
    assert!(err.starts_with("error: not logged in") && err.lines().count() == 2, "{err}");
}

#[test]
fn a_login_denied_on_the_consent_page_stores_nothing() {
    let env = env_with(None, false);
    let login = env.start_login(30, &[]);
    assert!(env.emu().register_redirect_uri(&env.app.0, login.redirect_uri()));
    pinterest_sdk::internal::install_crypto_provider();
    let landed = env.rt.block_on(async {
        let browser = reqwest::Client::new();
        let html = browser.get(login.url.as_str()).send().await.unwrap().text().await.unwrap();
        let id = html.split("name=\"consent_id\" value=\"").nth(1).expect("a consent page").split('"').next().unwrap();
        let emu = env.emu().base_url();
        let landed =
            browser.post(format!("{emu}/oauth/")).form(&[("consent_id", id), ("decision", "deny")]).send().await;
        landed.unwrap().text().await.unwrap()
    });
    assert!(landed.contains("denied"), "the CLI's page says so: {landed}");
    let out = login.finish();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("the authorization was denied in the browser"), "{err}");
    assert_eq!(env.emu().token_requests(None), 0, "no code was exchanged");
    assert!(!env.token_file().exists());
    assert_eq!(std::fs::read_dir(env.dir.path()).unwrap().count(), 0, "nothing at all was written");
}

#[test]
fn a_login_whose_redirect_the_app_has_not_registered_stores_nothing() {
    let env = env();
    // The listener's redirect URI is not registered: the emulator refuses
    // to redirect (as Pinterest does), so no answer reaches the CLI.
    let login = env.start_login(1, &[]);
    pinterest_sdk::internal::install_crypto_provider();
    let page = env.rt.block_on(async { reqwest::get(login.url.as_str()).await.unwrap() });
    assert_eq!(page.status(), 400);
    assert!(env.rt.block_on(page.text()).unwrap().contains("redirect URI is not registered"));
    let out = login.finish();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("no redirect came back within 1 s"), "{err}");
    assert_eq!(env.emu().token_requests(None), 0);
    assert!(!env.token_file().exists());
}

#[test]
fn exit_codes() {
    let env = env();
    assert_eq!(env.run(&["frobnicate"]).status.code(), Some(2), "usage");
    assert_eq!(env.run(&["boards", "get"]).status.code(), Some(2), "missing argument");
    let out = env.run(&["me"]);
    assert_eq!(out.status.code(), Some(3), "not logged in");
    let token = env.emu().issue_token(&["pins:read", "boards:read", "user_accounts:read"]);
    env.cmd().args(["auth", "login", "--with-token"]).write_stdin(token).assert().success();
    let out = env.run(&["pins", "get", "999"]);
    assert_eq!(out.status.code(), Some(1), "API error");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("404") && err.contains("request id"), "{err}");
    let out = env.run(&["boards", "create", "x"]);
    assert_eq!(out.status.code(), Some(1), "403 is an API error");
    assert!(String::from_utf8_lossy(&out.stderr).contains("scope"));
    // A server that hangs up on every connection: a network failure, on a
    // port this test holds (a closed port could be taken meanwhile).
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}", dead.local_addr().unwrap());
    std::thread::spawn(move || {
        for conn in dead.incoming() {
            drop(conn);
        }
    });
    let dead = dead_url;
    let out = env.cmd().env("PINTEREST_API_URI", dead).args(["me"]).output().unwrap();
    assert_eq!(out.status.code(), Some(4), "network: {}", String::from_utf8_lossy(&out.stderr));
    let out = env.cmd().env("PINTEREST_API_URI", "http://api.pinterest.com").args(["me"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "plain http off loopback is refused");
}

#[test]
fn client_credentials_and_with_token_logins() {
    let env = env();
    env.cmd().args(["auth", "login", "--client-credentials", "--scopes", "ads:read"]).assert().success();
    let status = env.json(&["auth", "status", "--json"]);
    assert_eq!(status["scopes"], serde_json::json!(["ads:read"]));
    assert_eq!(status["refresh_token"], false);
    env.cmd().args(["auth", "login", "--with-token"]).write_stdin("").assert().code(2);
}

#[test]
fn the_api_command() {
    let env = env();
    let token = env.emu().issue_token(&["pins:read", "boards:read", "boards:write"]);
    env.cmd().args(["auth", "login", "--with-token"]).write_stdin(token).assert().success();
    let out = env.run(&["api", "GET", "/boards", "--paginate", "-f", "page_size=1"]);
    assert!(out.status.success());
    let lines: Vec<Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2, "one JSON value per board, across pages");
    let created = env.json(&["api", "POST", "/v5/boards", "-f", "name=Raw board", "-F", "description=@-"]);
    assert_eq!(created["name"], "Raw board");
    let file = env.dir.path().join("body.json");
    std::fs::write(&file, r#"{"name": "From a file"}"#).unwrap();
    let created = env.json(&["api", "post", "/boards", "--input", file.to_str().unwrap()]);
    assert_eq!(created["name"], "From a file");
    let one = env.json(&["api", "GET", "/boards?page_size=1"]);
    assert_eq!(one["items"].as_array().unwrap().len(), 1);
    let out = env.run(&["api", "GET", "/boards", "-H", "Authorization: Bearer stolen"]);
    assert_eq!(out.status.code(), Some(2), "credentials never on the command line");
    let out = env.run(&["api", "GET", "/boards", "-f", "novalue"]);
    assert_eq!(out.status.code(), Some(2));
    let out = env.run(&["api", "GET", "/not/in/the/spec"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an operation of the spec"));
}

#[test]
fn media_upload_makes_a_video_pin() {
    let env = env();
    let token = env.emu().issue_token(&["pins:read", "pins:write", "boards:read", "boards:write"]);
    env.cmd().args(["auth", "login", "--with-token"]).write_stdin(token).assert().success();
    let board = env.json(&["boards", "create", "Videos", "--json"]);
    let file = env.dir.path().join("clip.mp4");
    std::fs::write(&file, b"not really a video").unwrap();
    let done = env.json(&[
        "media",
        "upload",
        file.to_str().unwrap(),
        "--board",
        board["id"].as_str().unwrap(),
        "--title",
        "Clip",
        "--poll",
        "0",
        "--json",
    ]);
    assert_eq!(done["status"], "succeeded");
    assert_eq!(done["pin"]["media"]["media_type"], "video");
    let media = env.json(&["media", "get", done["media_id"].as_str().unwrap(), "--json"]);
    assert_eq!(media["status"], "succeeded");
    let bad = env.dir.path().join("will-fail.mp4");
    std::fs::write(&bad, b"x").unwrap();
    let out = env.run(&["media", "upload", bad.to_str().unwrap(), "--poll", "0"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("could not process"));
}

/// Two commands start on an expired token. The first one's refresh is held
/// at the token endpoint until the second is seen blocked on the profile's
/// lock, so the two always collide; then exactly one refresh happens and
/// the second process adopts its result.
#[test]
fn two_processes_sharing_a_profile_refresh_once() {
    let env = env();
    assert!(env.browser_login(&[]).status.success());
    // Make the stored access token expired, so both commands must refresh.
    let mut stored: Value = serde_json::from_slice(&std::fs::read(env.token_file()).unwrap()).unwrap();
    stored["tokens"]["expires_at"] = serde_json::json!(1);
    std::fs::write(env.token_file(), serde_json::to_vec(&stored).unwrap()).unwrap();
    let before = env.emu().token_requests(Some("refresh_token"));
    let mut hold = Fault::once("oauth/token", FaultKind::Latency);
    hold.latency_ms = Some(120_000);
    env.emu().add_fault(hold);
    let refresh_in_flight =
        || env.emu().requests().iter().any(|r| r.operation.as_deref() == Some("oauth/token") && r.status == 0);
    let a = env.std_cmd().args(["me", "--json"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    pinterest_test_support::wait_until("the first refresh to reach the token endpoint", refresh_in_flight);
    let b =
        env.std_cmd().args(["pins", "list", "--json"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let lock = env.dir.path().join("default.json.lock");
    let b_pid = b.id();
    pinterest_test_support::wait_until("the second process to block on the profile's lock", || {
        pinterest_test_support::flock_waiters(&lock).expect("/proc/locks is readable").contains(&b_pid)
    });
    assert!(refresh_in_flight(), "the first refresh was still held when the second process blocked");
    env.emu().release_delayed();
    for out in [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()] {
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    assert_eq!(
        env.emu().token_requests(Some("refresh_token")) - before,
        1,
        "one refresh; the other process adopted it"
    );
    let stored: Value = env.stored();
    let state = env.emu().state();
    let refresh = stored["refresh_token"].as_str().unwrap();
    assert!(!state.tokens.refresh[refresh].spent, "the stored refresh token is the live one");
    env.json(&["me", "--json"]);
}

/// Each completion script parses in its own shell, which rejects the same
/// script with a syntax error appended (so the check can fail). A shell
/// that is not installed is a loud skip (`cargo xtask test` installs zsh,
/// fish and elvish from Debian's packages; PowerShell is not packaged there).
#[test]
fn completions_parse_in_their_shells() {
    let dir = tempfile::tempdir().unwrap();
    let parser = dir.path().join("parse.ps1");
    std::fs::write(&parser, POWERSHELL_PARSER).unwrap();
    let parser = parser.to_str().unwrap();
    // shell, program, arguments before the script's path, a line that breaks the syntax
    let shells: [(&str, &str, &[&str], &str); 5] = [
        ("bash", "bash", &["-n"], "fi"),
        ("zsh", "zsh", &["-n"], "fi"),
        ("fish", "fish", &["--no-execute"], "end"),
        ("elvish", "elvish", &["-compileonly"], "}"),
        ("powershell", "pwsh", &["-NoProfile", "-NonInteractive", "-File", parser], "}"),
    ];
    for (shell, program, args, breaker) in shells {
        let out = Command::new(BIN).args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}: {}", String::from_utf8_lossy(&out.stderr));
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(script.contains("auth") && script.contains("boards"), "{shell}: the subcommands are there");
        let Some(path) = pinterest_test_support::which(program) else {
            let need = if shell == "powershell" { Need::PowerShell } else { Need::Shell(program) };
            pinterest_test_support::skip(
                need,
                format!("{program} is not installed, so its completions are not parsed"),
            );
            continue;
        };
        let parses = |text: &str| {
            let file = dir.path().join(format!("pinterest.{shell}"));
            std::fs::write(&file, text).unwrap();
            let out = Command::new(&path).args(args).arg(&file).env("HOME", dir.path()).output().unwrap();
            let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            (out.status.success(), said)
        };
        // Elvish's `edit:` module exists only in an interactive shell; the
        // check compiles the script with a plain variable in its place.
        let script = match shell {
            "elvish" => {
                format!("var arg-completer = [&]\n{}", script.replace("edit:completion:arg-completer", "arg-completer"))
            }
            _ => script,
        };
        let (ok, said) = parses(&script);
        assert!(ok, "{shell} cannot parse its completions: {said}");
        let (ok, _) = parses(&format!("{script}\n{breaker}\n"));
        assert!(!ok, "{shell} accepted a script with a syntax error, so the check proves nothing");
    }
}

/// Parses the file named by its argument; exits 1 on any syntax error.
const POWERSHELL_PARSER: &str = "param($file)\n$errors = $null\n\
[void][System.Management.Automation.Language.Parser]::ParseFile($file, [ref]$null, [ref]$errors)\n\
if ($errors.Count -gt 0) { $errors | ForEach-Object { $_.ToString() }; exit 1 }\n";

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().is_dir() {
            files_under(&e.path(), out);
        } else {
            out.push(e.path());
        }
    }
}

#[test]
fn canary_secrets_stay_in_the_token_store() {
    let secret = "canary-app-secret-7f3e";
    let env = env_with(
        Some(App {
            client_id: "555000555".into(),
            client_secret: secret.into(),
            name: "Canary".into(),
            redirect_uris: Vec::new(),
        }),
        true,
    );
    let mut printed = Vec::new();
    let login = env.browser_login(&["-vvv"]);
    assert!(login.status.success(), "{}", String::from_utf8_lossy(&login.stderr));
    printed.push(login);
    let first: Value = env.stored();
    for args in [
        &["me", "-vvv"][..],
        &["boards", "list", "-vvv", "--json"],
        &["auth", "status", "-vvv"],
        &["auth", "refresh", "-vvv"],
        &["pins", "list", "-vvv"],
        &["api", "GET", "/boards", "-vvv"],
    ] {
        let out = env.run(args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        printed.push(out);
    }
    let second: Value = env.stored();
    let canaries = [
        secret.to_owned(),
        first["access_token"].as_str().unwrap().to_owned(),
        first["refresh_token"].as_str().unwrap().to_owned(),
        second["access_token"].as_str().unwrap().to_owned(),
        second["refresh_token"].as_str().unwrap().to_owned(),
    ];
    let logs: String = printed
        .iter()
        .map(|o| format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
        .collect();
    assert!(logs.contains("DEBUG") || logs.contains("TRACE"), "verbose logging was on");
    for c in &canaries {
        assert!(!logs.contains(c.as_str()), "a secret was printed or logged");
    }
    // On disk, only the profile's two private files hold them.
    let mut files = Vec::new();
    files_under(env.dir.path(), &mut files);
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        if name == "default.json" || name == "default.app.json" {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                assert_eq!(std::fs::metadata(&f).unwrap().permissions().mode() & 0o777, 0o600, "{name}");
            }
            continue;
        }
        let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
        for c in &canaries {
            assert!(!text.contains(c.as_str()), "{name} holds a secret");
        }
    }
}

/// The README's first command: `pinterest demo` walks login, reads, writes,
/// an upload and a refresh against its own emulator, and leaves nothing
/// behind, neither in the user's profile nor in the temporary directory.
#[test]
fn demo_runs_the_whole_tour_and_leaves_nothing_behind() {
    let config = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .arg("demo")
        .env("PINTEREST_CONFIG_DIR", config.path())
        .env("TMPDIR", tmp.path())
        .env_remove("PINTEREST_API_URI")
        .env_remove("PINTEREST_OAUTH_URI")
        .env_remove("PINTEREST_APP_ID")
        .env_remove("PINTEREST_APP_SECRET")
        .env_remove("PINTEREST_ACCESS_TOKEN")
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{text}");
    for step in 1..=9 {
        assert!(text.contains(&format!("== {step}. ")), "step {step} missing: {text}");
    }
    assert!(text.contains("emulator_user"), "the user account was shown: {text}");
    assert!(text.contains("Lemon cake"), "the new Pin was shown: {text}");
    assert!(text.contains("Done."), "{text}");
    assert_eq!(std::fs::read_dir(config.path()).unwrap().count(), 0, "the demo wrote into the user's profile");
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0, "the demo left its temporary directory");
}

/// `auth revoke` revokes the stored tokens at the server, then forgets them:
/// the old access token is refused afterwards and the profile is logged out.
#[test]
fn auth_revoke_revokes_at_the_server_and_forgets() {
    let env = env();
    let login = env.browser_login(&[]);
    assert!(login.status.success(), "{}", String::from_utf8_lossy(&login.stderr));
    let stored: Value = env.stored();
    let access = stored["access_token"].as_str().unwrap().to_owned();
    assert!(env.run(&["me"]).status.success());
    let out = env.run(&["auth", "revoke", "--yes"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!env.token_file().exists(), "the token set is forgotten");
    assert!(env.emu().requests().iter().any(|r| r.operation.as_deref() == Some("token/revoke")));
    let status = env.rt.block_on(async {
        pinterest_sdk::internal::install_crypto_provider();
        reqwest::Client::new()
            .get(format!("{}/v5/user_account", env.emu().base_url()))
            .bearer_auth(&access)
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status, reqwest::StatusCode::UNAUTHORIZED, "the revoked access token is refused");
    assert_eq!(env.run(&["me"]).status.code(), Some(3), "logged out");
}

/// A command outside the login's scopes is refused before anything is
/// sent, with the same exit code as Pinterest's 403 and a hint.
#[test]
fn a_command_outside_the_logins_scopes_is_refused_before_sending() {
    let env = env();
    let login = env.browser_login(&["--scopes", "user_accounts:read"]);
    assert!(login.status.success(), "{}", String::from_utf8_lossy(&login.stderr));
    assert!(env.run(&["me"]).status.success());
    let out = env.run(&["pins", "list"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("needs the scope") && err.contains("pinterest auth login --scopes"), "{err}");
    assert!(!env.emu().requests().iter().any(|r| r.operation.as_deref() == Some("pins/list")), "nothing was sent");
}

/// One raw HTTP/1.1 request to `addr`; the whole answer (the CLI's listener
/// closes each connection once it has answered).
fn raw_request(addr: impl std::net::ToSocketAddrs, request: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn get_request(target: &str) -> String {
    format!("GET {target} HTTP/1.1\r\nHost: localhost\r\n\r\n")
}

/// Fails when what the CLI printed (which must be UTF-8) holds a control
/// character (C0 but the line feed, DEL, C1), naming the first few.
fn assert_no_raw_controls(printed: &[u8], what: &str) {
    let text = std::str::from_utf8(printed).expect("the CLI prints UTF-8");
    let controls: Vec<char> = text.chars().filter(|c| c.is_control() && *c != '\n').collect();
    let first: Vec<char> = controls.iter().take(8).copied().collect();
    assert!(controls.is_empty(), "{what}: {} raw control characters, first {first:?}", controls.len());
}

/// Issue 11: any request to the listener without the login's `state` (a web
/// page's `<img src="http://127.0.0.1:8085/">`, a local `curl`, a favicon
/// fetch, a forged redirect) used to end the login and close the port.
/// Each gets a short neutral 4xx that echoes nothing, and the real redirect
/// still logs in afterwards.
#[test]
fn stray_requests_to_the_listener_do_not_end_the_login() {
    let env = env();
    let login = env.start_login(60, &[]);
    let port = login.port();
    let state = login.param("state").unwrap();
    let marker = "m4rker";
    let strays = [
        (get_request("/"), "400"),
        (get_request(&format!("/?code={marker}")), "400"),
        (get_request(&format!("/?code={marker}&state={marker}")), "400"),
        (get_request(&format!("/?error=access_denied&error_description={marker}")), "400"),
        (get_request(&format!("/?error=access_denied&state={marker}")), "400"),
        (get_request(&format!("/?code={marker}&state=")), "400"),
        (get_request(&format!("/?code={marker}&State={state}")), "400"),
        (get_request("/favicon.ico"), "404"),
        (get_request(&format!("/{marker}?state={state}&code={marker}")), "404"),
        (format!("POST /?code={marker}&state={state} HTTP/1.1\r\nContent-Length: 0\r\n\r\n"), "405"),
        (format!("GET /?state={marker}\r\n\r\n"), "400"),
    ];
    for (request, status) in &strays {
        let answer = raw_request(("127.0.0.1", port), request);
        assert!(answer.starts_with(&format!("HTTP/1.1 {status} ")), "{request:?} got {answer}");
        assert!(!answer.contains(marker), "the answer echoes the request: {answer}");
        assert!(!answer.contains(&state), "the answer shows the state: {answer}");
        let lower = answer.to_ascii_lowercase();
        assert!(lower.contains("cache-control: no-store") && lower.contains("referrer-policy: no-referrer"));
    }
    // Bytes that are no HTTP at all, and a connection closed at once.
    let _ = raw_request(("127.0.0.1", port), "\u{16}\u{3}\u{1}\u{0}\r\n\r\n");
    drop(std::net::TcpStream::connect(("127.0.0.1", port)).unwrap());
    env.approve(&login);
    let out = login.finish();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(env.stored()["access_token"].is_string(), "the tokens are stored");
    assert_eq!(env.emu().token_requests(Some("authorization_code")), 1);
}

/// A redirect with the login's `state` and an `error` ends the login (exit
/// 3, nothing stored), and the error text the redirect carries reaches the
/// terminal with its control characters escaped.
#[test]
fn a_redirect_with_the_state_and_an_error_ends_the_login_escaped() {
    let env = env();
    let login = env.start_login(60, &[]);
    let port = login.port();
    let state = login.param("state").unwrap();
    let error = "%1B%5D0%3Bpwned%07%1B%5B2J%C2%9B31m%08%0D";
    let answer = raw_request(
        ("127.0.0.1", port),
        &get_request(&format!("/?error={error}&error_description=%1B%5D0%3Bx%07&state={state}")),
    );
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    assert!(!answer.contains("pwned"), "{answer}");
    let out = login.finish();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("pwned"), "the error is shown: {err}");
    assert_no_raw_controls(&out.stderr, "stderr");
    assert!(err.contains("\\u{1b}]0;pwned\\u{7}"), "escaped: {err}");
    assert!(!env.token_file().exists());
    assert_eq!(env.emu().token_requests(None), 0);
}

/// Issue 12: with few file descriptors (`ulimit -n 40`) and many idle
/// connections held open, the listener used to fail with "Too many open
/// files". It bounds its connections (the oldest idle one makes room for a
/// new one), times out idle ones and backs off on accept errors, so the
/// real redirect still logs in. At 40 descriptors the bound alone keeps
/// `accept` from failing; at 24 (the CLI holds about 13 before any
/// connection) `accept` does fail, and the back-off and eviction carry the
/// login through.
#[test]
fn a_login_survives_many_idle_connections_under_a_low_descriptor_limit() {
    for limit in [40, 24] {
        let env = env();
        let mut wrapper = env.cmd_for("sh");
        wrapper.args(["-c", &format!("ulimit -n {limit} && exec \"$0\" \"$@\""), BIN]);
        let login = env.start_login_in(wrapper, 120, &["-vv"]);
        let port = login.port();
        // Held open, never sending a byte, until the login is over.
        let mut idle = Vec::new();
        for _ in 0..60 {
            idle.push(std::net::TcpStream::connect(("127.0.0.1", port)).unwrap());
        }
        for _ in 0..20 {
            if let Ok(s) = std::net::TcpStream::connect(("::1", port)) {
                idle.push(s);
            }
        }
        env.approve(&login);
        let out = login.finish();
        assert!(out.status.success(), "ulimit -n {limit}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(env.stored()["access_token"].is_string(), "ulimit -n {limit}: the tokens are stored");
        if limit == 24 {
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains("accepting a connection failed"), "accept never failed, so the back-off did not run");
        }
        drop(idle);
    }
}

/// Issue 13: every browser login uses PKCE (S256). The printed URL carries
/// the challenge; the exchange carries the verifier, which the emulator
/// checks: a login whose challenge was swapped on the way to the consent
/// page cannot be completed with the code it yields.
#[test]
fn browser_logins_use_pkce() {
    let env = env();
    let login = env.start_login(60, &[]);
    assert_eq!(login.param("code_challenge_method").as_deref(), Some("S256"));
    let challenge = login.param("code_challenge").expect("a code_challenge");
    assert_eq!(challenge.len(), 43, "base64url of a SHA-256 digest: {challenge}");
    assert!(challenge.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    env.approve(&login);
    let out = login.finish();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(env.run(&["auth", "logout"]).status.success());

    // The same flow with another challenge in the URL: the CLI's verifier
    // does not match it, so the exchange is refused and nothing is stored.
    let login = env.start_login(60, &[]);
    let mut swapped = login.url.clone();
    let pairs: Vec<(String, String)> = login
        .url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "code_challenge" { "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into() } else { v };
            (k.into_owned(), v.into_owned())
        })
        .collect();
    swapped.query_pairs_mut().clear().extend_pairs(pairs);
    env.open_like_a_browser(&login, swapped.as_str());
    let out = login.finish();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(!env.token_file().exists(), "nothing stored");
    assert_eq!(env.emu().token_requests(Some("authorization_code")), 2, "the second code was tried once");
}

/// Issue 13: the redirect URI says `localhost`, which a browser may resolve
/// to 127.0.0.1 or ::1. The CLI listens on both; when another program
/// holds the port on either, it refuses to start the login (no URL is
/// printed, so no code can be issued to the squatter).
#[test]
fn a_squatter_on_either_loopback_address_stops_the_login() {
    let env = env();
    // A port free on 127.0.0.1 that the squatter holds on [::1].
    let v6_squatter = (0..20).find_map(|_| {
        let l = std::net::TcpListener::bind(("::1", 0)).ok()?;
        let port = l.local_addr().ok()?.port();
        std::net::TcpListener::bind(("127.0.0.1", port)).ok().map(|_| (l, port))
    });
    match v6_squatter {
        Some((_squatter, port)) => {
            let out = env.run(&["auth", "login", "--no-browser", "--port", &port.to_string(), "--timeout", "30"]);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{err}");
            assert!(err.contains(&format!("[::1]:{port}")), "{err}");
            assert!(!err.contains("http"), "no authorization URL was printed: {err}");
        }
        None => {
            // No IPv6 loopback here, so nobody can squat it: the login
            // goes on with 127.0.0.1 alone.
            let out = env.browser_login(&[]);
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            assert!(env.run(&["auth", "logout"]).status.success());
        }
    }
    let squatter = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = squatter.local_addr().unwrap().port();
    let out = env.run(&["auth", "login", "--no-browser", "--port", &port.to_string(), "--timeout", "30"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
    assert!(!err.contains("http"), "no authorization URL was printed: {err}");
    assert!(!env.token_file().exists());
}

/// Escape sequences that retitle (OSC), clear (CSI) or otherwise drive a
/// terminal, with C1 controls, BEL, backspace, carriage return and DEL.
const HOSTILE: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}[31m\u{9b}1;1H\u{8}\u{8}\r\u{7f}\u{85}\u{0}end";

/// A server on a port it picked that answers every request with `status`,
/// `content_type` and `body`, until the test process ends.
fn canned_server(status: u16, content_type: &'static str, body: Vec<u8>) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let body = std::sync::Arc::new(body);
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let body = body.clone();
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut chunk = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut chunk) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = conn.write_all(head.as_bytes());
                let _ = conn.write_all(&body);
            });
        }
    });
    url
}

/// Issue 11, item 2: server text reaches the terminal with its control
/// characters escaped, and a huge error message is cut short. JSON output
/// stays lossless: the escapes are JSON's, so it parses back to the same text.
#[test]
fn server_text_with_terminal_escapes_is_escaped_and_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let run = |api: &str, args: &[&str]| {
        Command::new(BIN)
            .args(args)
            .env("PINTEREST_CONFIG_DIR", dir.path())
            .env("PINTEREST_API_URI", api)
            .env("PINTEREST_ACCESS_TOKEN", "a-token")
            .env_remove("PINTEREST_OAUTH_URI")
            .env_remove("PINTEREST_PROFILE")
            .env_remove("PINTEREST_LOG")
            .output()
            .unwrap()
    };
    let message = HOSTILE.repeat(2 * 1024 * 1024 / HOSTILE.len());
    let json_error = serde_json::to_vec(&serde_json::json!({"code": 1, "message": message})).unwrap();
    let errors = [canned_server(400, "application/json", json_error), canned_server(400, "text/plain", message.into())];
    for api in &errors {
        for args in [&["me"][..], &["boards", "list", "--json"], &["api", "GET", "/user_account"]] {
            let out = run(api, args);
            let err: String = String::from_utf8_lossy(&out.stderr).chars().take(2000).collect();
            assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
            if args.contains(&"--json") && api == &errors[0] {
                // With --json, Pinterest's error body goes to stdout too: escaped and bounded.
                assert_no_raw_controls(&out.stdout, &format!("{args:?}"));
                let body: Value = serde_json::from_slice(&out.stdout).unwrap();
                assert_eq!(body["code"], 1, "{body}");
                assert!(out.stdout.len() < 32 * 1024, "{args:?}: {} bytes on stdout", out.stdout.len());
            } else {
                assert!(out.stdout.is_empty(), "{args:?}");
            }
            assert_no_raw_controls(&out.stderr, &format!("{args:?}"));
            assert!(err.contains("\\u{1b}]0;pwned\\u{7}"), "{args:?}: the text is shown, escaped: {err}");
            assert!(out.stderr.len() < 8 * 1024, "{args:?}: {} bytes on stderr", out.stderr.len());
        }
    }
    let user = serde_json::json!({"username": HOSTILE, "account_type": "PERSONAL"});
    let api = canned_server(200, "application/json", serde_json::to_vec(&user).unwrap());
    for args in [&["me", "--json"][..], &["api", "GET", "/user_account"]] {
        let out = run(&api, args);
        let err: String = String::from_utf8_lossy(&out.stderr).chars().take(2000).collect();
        assert!(out.status.success(), "{args:?}: {err}");
        assert_no_raw_controls(&out.stdout, &format!("{args:?}"));
        let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(printed["username"], HOSTILE, "{args:?}: lossless");
    }
}

/// Issue 11, item 5: a raw path that climbs out of `/v5` is refused before
/// anything is sent, with the token or without.
#[test]
fn raw_paths_cannot_leave_the_api_base() {
    let env = env();
    let token = env.emu().issue_token(&["pins:read", "boards:read"]);
    env.cmd().args(["auth", "login", "--with-token"]).write_stdin(token).assert().success();
    for path in ["/%2e%2e/_emulator/state", "/%2E%2E/%2e%2e/admin", "/pins/../../_emulator/state", "/pins/%252e%252e/x"]
    {
        let out = env.run(&["api", "GET", path]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{path}: {err}");
        assert!(out.stdout.is_empty(), "{path}: the emulator's admin state was printed");
        assert!(err.contains("leave the API base"), "{path}: {err}");
    }
    // The same login still reaches paths under `/v5`.
    assert!(env.run(&["api", "GET", "/boards"]).status.success());
}

/// Issue 11, item 9: a token endpoint that answers 400 with a page echoing
/// the form never gets the refresh token printed.
#[test]
fn a_failed_refresh_never_prints_the_refresh_token() {
    let env = env();
    let login = env.browser_login(&[]);
    assert!(login.status.success(), "{}", String::from_utf8_lossy(&login.stderr));
    let refresh = env.stored()["refresh_token"].as_str().unwrap().to_owned();
    let echo = format!("<html><body>Bad request: grant_type=refresh_token&amp;refresh_token={refresh}</body></html>");
    let json_echo =
        serde_json::to_vec(&serde_json::json!({"code": 1, "message": format!("bad token {refresh}")})).unwrap();
    for hostile in
        [canned_server(400, "text/html", echo.into_bytes()), canned_server(400, "application/json", json_echo)]
    {
        let out = env.cmd().args(["auth", "refresh"]).env("PINTEREST_API_URI", &hostile).output().unwrap();
        assert!(!out.status.success());
        for (name, stream) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            assert!(!String::from_utf8_lossy(stream).contains(&refresh), "the refresh token is on {name}");
        }
    }
    // The stored set is untouched: the next refresh at the real endpoint works.
    assert_eq!(env.stored()["refresh_token"].as_str(), Some(refresh.as_str()));
    assert!(env.run(&["auth", "refresh"]).status.success());
}

/// Issue 11, item 10: the temporary file a killed save left in the profile
/// directory (a whole token set) is removed by the next run and by logout.
#[test]
fn leftover_temporary_files_are_removed_on_the_next_run_and_on_logout() {
    let env = env();
    let token = env.emu().issue_token(&["pins:read", "boards:read"]);
    env.cmd().args(["auth", "login", "--with-token"]).write_stdin(token).assert().success();
    let file = env.token_file();
    let dir = file.parent().unwrap().to_path_buf();
    let name = file.file_name().unwrap().to_str().unwrap().to_owned();
    // A writer that died: its pid no longer runs (a reaped child's).
    let dead = std::process::Command::new("true").spawn().unwrap();
    let pid = dead.id();
    let mut dead = dead;
    dead.wait().unwrap();
    let plant = || {
        let tmp = dir.join(format!(".{name}.{pid}.1f2e3d.tmp"));
        std::fs::write(&tmp, r#"{"tokens":{"access_token":"pina_CANARY_left_behind"}}"#).unwrap();
        tmp
    };
    let tmp = plant();
    assert!(env.run(&["auth", "status"]).status.success());
    assert!(!tmp.exists(), "the next run removed it");
    let tmp = plant();
    assert!(env.run(&["auth", "logout"]).status.success());
    assert!(!tmp.exists(), "logout removed it");
}

// ---- Issue 14: the CLI's second edition, problem by problem (the
// terminal-only parts are in tests/terminal.rs, in a pseudo-terminal).

/// Logs in with a token of these scopes.
fn logged_in(scopes: &[&str]) -> Env {
    let env = env();
    let token = env.emu().issue_token(scopes);
    env.cmd().args(["auth", "login", "--with-token"]).write_stdin(token).assert().success();
    env
}

const ALL_ORGANIC: &[&str] = &["pins:read", "pins:write", "boards:read", "boards:write", "user_accounts:read"];

/// Adds `n` Pins to the first board, straight at the emulator.
fn add_pins(env: &Env, n: usize) {
    pinterest_sdk::internal::install_crypto_provider();
    let token = env.emu().issue_token(ALL_ORGANIC);
    let base = env.emu().base_url();
    env.rt.block_on(async {
        let http = reqwest::Client::new();
        let boards = http.get(format!("{base}/v5/boards")).bearer_auth(&token).send().await.unwrap();
        let boards: Value = serde_json::from_slice(&boards.bytes().await.unwrap()).unwrap();
        let board = boards["items"][0]["id"].as_str().unwrap().to_owned();
        for i in 0..n {
            let body = serde_json::json!({
                "board_id": board, "title": format!("Pin {i}"),
                "media_source": {"source_type": "image_url", "url": "https://www.example.com/x.jpg"}
            });
            let r = http
                .post(format!("{base}/v5/pins"))
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(serde_json::to_vec(&body).unwrap())
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "{}", r.status());
        }
    });
}

/// Problem 1: lists default to 30 items, take --limit N and --all, and
/// print each page as it arrives.
#[test]
fn lists_stream_and_default_to_a_limit() {
    let env = logged_in(ALL_ORGANIC);
    add_pins(&env, 110);
    // What the login sees (Pins on secret boards need another scope).
    let total = String::from_utf8_lossy(&env.run(&["api", "GET", "/pins", "--paginate"]).stdout).lines().count();
    assert!(total > 100, "two pages of 100: {total}");
    assert_eq!(env.json(&["pins", "list"]).as_array().unwrap().len(), 30, "30 by default");
    assert_eq!(env.json(&["pins", "list", "--limit", "45"]).as_array().unwrap().len(), 45);
    assert_eq!(env.json(&["pins", "list", "-L", "2"]).as_array().unwrap().len(), 2);
    assert_eq!(env.json(&["pins", "list", "--all"]).as_array().unwrap().len(), total);
    let out = env.run(&["pins", "list", "--all", "--limit", "3"]);
    assert_eq!(out.status.code(), Some(2), "--all and --limit conflict");

    // Every page is held until released: the first page's rows must be
    // out while the second page is still held (an implementation that
    // printed at the end would print nothing and fail the wait below).
    let mut hold = Fault::once("pins/list", FaultKind::Latency);
    hold.count = None;
    hold.latency_ms = Some(600_000);
    env.emu().add_fault(hold);
    // (requests of pins/list, how many are unanswered)
    let pages = || {
        let log = env.emu().requests();
        let of: Vec<_> = log.iter().filter(|r| r.operation.as_deref() == Some("pins/list")).collect();
        (of.len(), of.iter().filter(|r| r.status == 0).count())
    };
    let asked = pages().0;
    let mut child = env.std_cmd().args(["pins", "list", "--all"]).stdout(Stdio::piped()).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines, got) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)) {
            if lines.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    pinterest_test_support::wait_until("the first page to be asked for", || pages() == (asked + 1, 1));
    env.emu().release_delayed();
    let wait = std::time::Duration::from_secs(30);
    let first = got.recv_timeout(wait).expect("the first page is printed while the second is held");
    assert_eq!(first.trim(), "[", "a JSON array, streamed");
    let item = got.recv_timeout(wait).unwrap();
    assert!(item.trim_start().starts_with('{'), "{item}");
    pinterest_test_support::wait_until("the second page to be asked for and held", || pages() == (asked + 2, 1));
    env.emu().clear_faults();
    env.emu().release_delayed();
    let mut text = format!("{first}\n{item}\n");
    while let Ok(line) = got.recv_timeout(wait) {
        text.push_str(&line);
        text.push('\n');
    }
    assert!(child.wait().unwrap().success());
    let all: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(all.as_array().unwrap().len(), total, "the streamed array is whole JSON");
}

/// Problem 2: `--paginate` prints an answer that is not a list as it is.
#[test]
fn paginate_prints_objects_as_they_are() {
    let env = logged_in(ALL_ORGANIC);
    let out = env.run(&["api", "GET", "/user_account", "--paginate"]);
    assert!(out.status.success());
    let me: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(me["username"], "emulator_user");
}

/// Problem 3: the board is checked before the upload; a Pin that fails
/// after the upload leaves the media id and the command that finishes.
#[test]
fn media_upload_checks_the_board_first_and_says_how_to_finish() {
    let env = logged_in(ALL_ORGANIC);
    let file = env.dir.path().join("clip.mp4");
    std::fs::write(&file, b"not really a video").unwrap();
    let media_before = env.emu().state().media.len();
    let out = env.run(&["media", "upload", file.to_str().unwrap(), "--board", "999", "--poll", "0"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("board 999 not found; nothing was uploaded"), "{err}");
    assert_eq!(env.emu().state().media.len(), media_before, "nothing registered");

    let board = env.json(&["boards", "create", "Videos"])["id"].as_str().unwrap().to_owned();
    let mut fail = Fault::once("pins/create", FaultKind::ServerError);
    fail.count = Some(5);
    env.emu().add_fault(fail);
    let out =
        env.run(&["media", "upload", file.to_str().unwrap(), "--board", &board, "--title", "A clip", "--poll", "0"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let media = env.emu().state().media;
    assert_eq!(media.len(), media_before + 1, "uploaded once");
    let media_id = media.iter().find(|(id, _)| err.contains(id.as_str())).map(|(id, _)| id.clone()).unwrap();
    let again = format!("pinterest pins create --board {board} --media-id {media_id} --title 'A clip'");
    assert!(err.contains(&again), "{err}");
    env.emu().clear_faults();
    let pin = env.json(&["pins", "create", "--board", &board, "--media-id", &media_id, "--title", "A clip"]);
    assert_eq!(pin["media"]["media_type"], "video", "{pin}");
}

/// Problem 4: a reader that closes the pipe early is not an error.
#[test]
fn a_closed_pipe_exits_quietly_with_0() {
    let env = logged_in(ALL_ORGANIC);
    add_pins(&env, 300);
    for args in [&["api", "GET", "/pins", "--paginate"][..], &["pins", "list", "--all"]] {
        let mut child = env.std_cmd().args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
        drop(stdout);
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stderr.is_empty(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// Problem 5 (SIGINT from outside; Ctrl-C on a terminal is in terminal.rs).
#[cfg(unix)]
#[test]
fn sigint_cancels_a_login_with_130() {
    let env = env();
    let login = env.start_login(300, &[]);
    let status = Command::new("kill").args(["-INT", &login.child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let out = login.finish();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("Login cancelled") && !err.contains("no redirect came back"), "{err}");
    assert!(!env.token_file().exists());
}

/// Problem 6: enum values, limits and dates are checked, by the CLI and by
/// the emulator.
#[test]
fn values_are_validated() {
    let env = logged_in(ALL_ORGANIC);
    for (args, want) in [
        (&["boards", "create", "X", "--privacy", "FOO"][..], "possible values: PUBLIC, PROTECTED, SECRET"),
        (&["boards", "update", "1", "--privacy", "PROTECTED"], "possible values: PUBLIC, SECRET"),
        (&["pins", "list", "--limit", "0"], "0 is not in 1.."),
        (&["analytics", "user", "--start", "yesterday"], "YYYY-MM-DD"),
        (&["analytics", "pin", "1", "--metrics", "IMPRESSION,LIKES"], "invalid value 'LIKES'"),
        (&["auth", "login", "--scopes", "boards:read,boards:reed"], "invalid value 'boards:reed'"),
        (&["auth", "login", "--scopes", "boards:read pins:reed"], "invalid value 'pins:reed'"),
    ] {
        let out = env.run(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
    assert!(env.emu().state().boards.values().all(|b| b["name"] != "X"), "nothing was created");
    // Lower case is taken, and sent as Pinterest spells it.
    let board = env.json(&["boards", "create", "Open", "--privacy", "protected"]);
    assert_eq!(board["privacy"], "PROTECTED");
    // The emulator refuses what the CLI would not send.
    let out = env.run(&["api", "POST", "/boards", "-f", "name=X", "-f", "privacy=FOO"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("HTTP 400") && err.contains("`FOO` is not a valid value of `privacy`"), "{err}");
    let help = String::from_utf8_lossy(&env.run(&["analytics", "user", "--help"]).stdout).into_owned();
    assert!(help.contains("--start <YYYY-MM-DD>"), "{help}");
}

/// Problem 8: `auth status` names the credential in use, checks it, and
/// fails when it does not work; `--with-token` checks before storing.
#[test]
fn auth_status_is_honest_about_the_credential() {
    let env = logged_in(ALL_ORGANIC);
    let status = env.json(&["auth", "status", "--json"]);
    assert_eq!(status["credential"], "profile");
    assert_eq!(status["valid"], true);
    assert_eq!(status["user"], "emulator_user");
    assert!(status["scopes"].is_array());

    let out =
        env.cmd().args(["auth", "status", "--json"]).env("PINTEREST_ACCESS_TOKEN", "pina_bogus").output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["credential"], "environment");
    assert_eq!(status["valid"], false);
    assert!(status.get("expires_at").is_none(), "the stored login's expiry is not shown beside another token");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("hint: unset PINTEREST_ACCESS_TOKEN"), "logging in would not help: {err}");
    // A credential that cannot be checked (the network) is not called broken.
    let out =
        env.cmd().args(["auth", "status", "--json"]).env("PINTEREST_API_URI", "http://127.0.0.1:9").output().unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", String::from_utf8_lossy(&out.stderr));
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(status["valid"].is_null(), "{status}");
    // Spaces in a scope list are fine.
    let token = env.emu().issue_token(ALL_ORGANIC);
    let out = env
        .cmd()
        .args(["auth", "login", "--with-token", "--scopes", "boards:read, pins:read"])
        .write_stdin(token)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let before = env.stored();
    let out = env.cmd().args(["auth", "login", "--with-token"]).write_stdin("pina_mistyped").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("refused the token; nothing was stored"), "{err}");
    assert_eq!(env.stored(), before, "the good login is kept");
    // A login says who logged in.
    let token = env.emu().issue_token(ALL_ORGANIC);
    let out = env.cmd().args(["auth", "login", "--with-token"]).write_stdin(token).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("Logged in as emulator_user"));
}

/// Problem 9: errors speak of endpoints and flags, once, and `--json`
/// puts Pinterest's error body on stdout.
#[test]
fn errors_speak_of_endpoints_and_flags() {
    let env = logged_in(ALL_ORGANIC);
    let out = env.run(&["boards", "get", "999"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(err.starts_with("error: GET /boards/{board_id}: HTTP 404 Not Found"), "{err}");
    assert!(!err.contains("boards/get`") && out.stdout.is_empty(), "{err}");
    let out = env.run(&["boards", "get", "999", "--json"]);
    let body: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(body["code"].is_number() && body["message"].is_string(), "{body}");
    let out = env.run(&["api", "GET", "/boards/999"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("GET /boards/999: HTTP 404") && !err.contains("`raw`"), "{err}");
    let out = env.run(&["api", "GET", "/boards", "-H", "X-Broken: a\u{7f}b"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(err.contains("is not a header") && !err.contains("body"), "{err}");
    // The network hint says where the address came from.
    let gone = "http://127.0.0.1:9";
    let out = env.cmd().args(["me"]).env("PINTEREST_API_URI", gone).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(err.contains("(from PINTEREST_API_URI)"), "{err}");
    let app_file = env.dir.path().join("default.app.json");
    let mut app: Value = serde_json::from_slice(&std::fs::read(&app_file).unwrap()).unwrap();
    app["api_base"] = format!("{gone}/v5").into();
    std::fs::write(&app_file, serde_json::to_vec(&app).unwrap()).unwrap();
    let out = env.cmd().args(["me"]).env_remove("PINTEREST_API_URI").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(err.contains("from the login of profile `default`") && !err.contains("PINTEREST_API_URI"), "{err}");
}

/// Problem 10: the HTTP view, no colour in files, --quiet, consistent
/// JSON, --jq and --json=FIELDS.
#[test]
fn logging_and_output_flags() {
    let env = logged_in(ALL_ORGANIC);
    for (args, var) in [(&["me", "-v"][..], None), (&["me"], Some("api"))] {
        let mut cmd = env.cmd();
        if let Some(v) = var {
            cmd.env("PINTEREST_DEBUG", v);
        }
        let out = cmd.args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        let line = err.lines().find(|l| l.starts_with("* GET /v5/user_account")).unwrap_or_else(|| panic!("{err}"));
        assert!(line.contains("→ 200 OK in ") && line.contains("ms (request id emu-"), "{line}");
        assert!(!err.contains("pina_") && !err.contains('\u{1b}'), "no token, no colour in a file: {err}");
    }
    let out = env.run(&["me", "-vv"]);
    assert!(!out.stderr.contains(&0x1b), "-vv into a file has no ANSI codes");

    let board = env.json(&["boards", "create", "Short-lived"])["id"].as_str().unwrap().to_owned();
    let out = env.run(&["boards", "delete", &board, "--yes", "--quiet"]);
    assert!(out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(), "--quiet says nothing");

    let status = env.json(&["auth", "status", "--json"]);
    assert!(status["scopes"].is_array());
    // Typed commands print what Pinterest sent, nulls included, as `api` does.
    let pin_id = env.json(&["pins", "list", "--limit", "1"])[0]["id"].as_str().unwrap().to_owned();
    let typed = env.json(&["pins", "get", &pin_id, "--json"]);
    let raw = env.json(&["api", "GET", &format!("/pins/{pin_id}")]);
    assert_eq!(typed, raw);
    assert!(typed.as_object().unwrap().values().any(Value::is_null), "{typed}");

    let out = env.run(&["boards", "list", "--jq", ".[].name"]);
    let names: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect();
    assert!(!names.is_empty() && names.iter().all(|n| !n.starts_with('"')), "{names:?}");
    let picked = env.json(&["boards", "list", "--json=id,name"]);
    for b in picked.as_array().unwrap() {
        let keys: Vec<&String> = b.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["id", "name"], "{b}");
    }
    // Into a pipe, --jq strings come out as they are: @tsv keeps its tabs.
    let out = env.run(&["boards", "list", "--jq", ".[] | [.id, .name] | @tsv"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.lines().all(|l| l.split('\t').count() == 2), "{text}");
    let out = env.run(&["me", "--jq", ".["]);
    assert_eq!(out.status.code(), Some(2), "a bad expression is a usage error");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--jq"));
}

/// `api -f key[sub]=v` nests objects as `gh api -f` does.
#[test]
fn api_fields_nest() {
    let env = logged_in(ALL_ORGANIC);
    let board = env.json(&["boards", "create", "Nested"])["id"].as_str().unwrap().to_owned();
    let pin = env.json(&[
        "api",
        "POST",
        "/pins",
        "-f",
        &format!("board_id={board}"),
        "-f",
        "media_source[source_type]=image_url",
        "-f",
        "media_source[url]=https://www.example.com/n.jpg",
        "-F",
        "title=Nested",
    ]);
    assert_eq!(pin["board_id"], board.as_str(), "{pin}");
    assert_eq!(pin["title"], "Nested");
}

/// `completions` says how to install them.
#[test]
fn completions_help_says_how_to_install() {
    let env = env();
    let help = String::from_utf8_lossy(&env.run(&["completions", "--help"]).stdout).into_owned();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        assert!(
            help.lines().any(|l| l.trim_start().starts_with(shell) && l.contains("pinterest completions")),
            "{help}"
        );
    }
}
