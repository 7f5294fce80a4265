//! A real browser: `pinterest auth login --no-browser` against the emulator
//! (consent not automatic), headless Chromium driven through chromedriver
//! opens the printed URL and clicks Allow; the CLI ends logged in. A second
//! run clicks Deny and the CLI reports it. `cargo xtask test` installs
//! Debian's `chromium` and `chromium-driver` when they are missing; without
//! them this test is a loud skip (a failure under `CI=true` unless
//! `PINTEREST_ALLOW_SKIP` names `browser`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure is the signal

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use fantoccini::{ClientBuilder, Locator};
use pinterest_emulator::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Emulator};

use common::Login;
use pinterest_test_support::{Need, skip, which};

const BIN: &str = env!("CARGO_BIN_EXE_pinterest");

/// Starts chromedriver on a port it picks itself, and reads that port from
/// what it prints (no port is guessed beforehand).
fn start_chromedriver(driver: &std::path::Path) -> (Killed, u16) {
    let mut child =
        Killed(Command::new(driver).arg("--port=0").stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap());
    let mut stdout = BufReader::new(child.0.stdout.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        // On a panic, dropping `child` kills and reaps chromedriver.
        assert!(stdout.read_line(&mut line).unwrap_or(0) > 0, "chromedriver did not say its port: {seen}");
        seen.push_str(&line);
        if let Some(port) = line.trim().strip_prefix("ChromeDriver was started successfully on port ") {
            let port = port.trim_end_matches('.').parse().unwrap();
            std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
            return (child, port);
        }
    }
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_real_browser_allows_and_then_denies() {
    let (Some(chromium), Some(driver)) = (which("chromium"), which("chromedriver")) else {
        skip(
            Need::Browser,
            "chromium and chromedriver are not installed (cargo xtask test installs Debian's chromium and chromium-driver)",
        );
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let emulator = rt.block_on(Emulator::builder().start()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (_driver, driver_port) = start_chromedriver(&driver);
    let profile_dir = tempfile::tempdir().unwrap();
    let cli = || {
        let mut c = Command::new(BIN);
        c.env("PINTEREST_CONFIG_DIR", dir.path())
            .env("PINTEREST_API_URI", emulator.base_url())
            .env("PINTEREST_OAUTH_URI", emulator.base_url())
            .env("PINTEREST_APP_ID", DEMO_CLIENT_ID)
            .env("PINTEREST_APP_SECRET", DEMO_CLIENT_SECRET)
            .env_remove("PINTEREST_ACCESS_TOKEN");
        c
    };
    rt.block_on(async {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                         "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         format!("--user-data-dir={}", profile_dir.path().display())],
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        // chromedriver said it listens: one connection starts the session.
        let browser = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{driver_port}"))
            .await
            .expect("a browser session");

        // Allow.
        let login = Login::start(cli().args(["auth", "login", "--no-browser", "--port", "0", "--timeout", "60"]));
        assert!(emulator.register_redirect_uri(DEMO_CLIENT_ID, login.redirect_uri()));
        browser.goto(login.url.as_str()).await.unwrap();
        let scopes = browser.find(Locator::Id("scopes")).await.unwrap().text().await.unwrap();
        assert!(scopes.contains("pins:read"), "{scopes}");
        browser.find(Locator::Id("allow")).await.unwrap().click().await.unwrap();
        let result = browser.wait().for_element(Locator::Id("result")).await.unwrap();
        assert_eq!(result.attr("data-ok").await.unwrap().as_deref(), Some("true"));
        let out = tokio::task::block_in_place(|| login.finish());
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(dir.path().join("default.json").exists(), "logged in with a stored token");
        let me = cli().args(["me", "--json"]).output().unwrap();
        assert!(String::from_utf8_lossy(&me.stdout).contains("emulator_user"));

        // Deny.
        assert!(cli().args(["auth", "logout"]).status().unwrap().success());
        let login = Login::start(cli().args(["auth", "login", "--no-browser", "--port", "0", "--timeout", "60"]));
        assert!(emulator.register_redirect_uri(DEMO_CLIENT_ID, login.redirect_uri()));
        browser.goto(login.url.as_str()).await.unwrap();
        browser.find(Locator::Id("deny")).await.unwrap().click().await.unwrap();
        let result = browser.wait().for_element(Locator::Id("result")).await.unwrap();
        assert_eq!(result.attr("data-ok").await.unwrap().as_deref(), Some("false"));
        assert!(result.text().await.unwrap().contains("denied"));
        let out = tokio::task::block_in_place(|| login.finish());
        assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(!dir.path().join("default.json").exists(), "nothing stored");
        browser.close().await.unwrap();
    });
    rt.block_on(emulator.shutdown());
}
