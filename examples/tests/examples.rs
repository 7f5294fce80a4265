//! Every example, run as a user runs it, against an emulator: the binaries
//! with their embedded emulator or one started here, and the web app
//! in-process, driven by a real HTTP client that keeps cookies.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure is the signal

use std::collections::BTreeSet;
use std::process::{Command, Output};
use std::sync::Arc;

use pinterest_emulator::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Emulator, EmulatorHandle};
use pinterest_examples::web_login::WebApp;
use pinterest_sdk::auth::{MemoryTokenStore, TokenStore};
use pinterest_sdk::oauth::{MemoryPendingLogins, OAuth, Scope};
use pinterest_sdk::secret::AccessToken;
use pinterest_sdk::{Client, Config};

const ENV: &[&str] = &[
    "PINTEREST_API_URI",
    "PINTEREST_OAUTH_URI",
    "PINTEREST_ACCESS_TOKEN",
    "PINTEREST_APP_ID",
    "PINTEREST_APP_SECRET",
    "PINTEREST_REDIS_URL",
];

/// The example binary `name`, with a clean environment.
fn example(name: &str) -> Command {
    let path = match name {
        "quickstart" => env!("CARGO_BIN_EXE_quickstart"),
        "walk_pins" => env!("CARGO_BIN_EXE_walk_pins"),
        "video_upload" => env!("CARGO_BIN_EXE_video_upload"),
        "conversion_event" => env!("CARGO_BIN_EXE_conversion_event"),
        "ads_report" => env!("CARGO_BIN_EXE_ads_report"),
        "web_login" => env!("CARGO_BIN_EXE_web_login"),
        "fleet" => env!("CARGO_BIN_EXE_fleet"),
        other => panic!("no example {other}"),
    };
    let mut cmd = Command::new(path);
    for var in ENV {
        cmd.env_remove(var);
    }
    cmd
}

fn pointed_at(mut cmd: Command, e: &EmulatorHandle, token: Option<&str>) -> Command {
    cmd.env("PINTEREST_API_URI", e.base_url()).env("PINTEREST_OAUTH_URI", e.base_url());
    if let Some(t) = token {
        cmd.env("PINTEREST_ACCESS_TOKEN", t);
    }
    cmd
}

fn run(mut cmd: Command) -> (Output, String) {
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    (out, stdout)
}

#[test]
fn quickstart_walks_the_seed_flow_on_its_own_emulator() {
    let (out, stdout) = run(example("quickstart"));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Started the emulator")
            || stdout.contains("Started the emulator")
    );
    for step in ["1. Initialise", "4. Generate the access token", "7. Page through", "8. Refresh the access token"] {
        assert!(stdout.contains(step), "missing step {step}:\n{stdout}");
    }
    assert!(stdout.contains("refresh token rotated: true"), "{stdout}");
    assert!(stdout.contains("user emulator_user"), "{stdout}");
    assert!(stdout.trim_end().ends_with("Done."), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quickstart_against_a_server_named_in_the_environment() {
    let e = Emulator::builder().auto_approve(true).start().await.unwrap();
    let cmd = pointed_at(example("quickstart"), &e, None);
    let (out, _) = tokio::task::spawn_blocking(move || run(cmd)).await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Using the server of PINTEREST_API_URI"), "{stderr}");
    assert_eq!(e.token_requests(Some("authorization_code")), 1);
    assert_eq!(e.token_requests(Some("refresh_token")), 1);
    assert!(e.state().boards.values().any(|b| b["name"] == "Quickstart"), "the board was created here");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn walking_every_pin_resumes_from_its_checkpoint_after_a_crash() {
    let e = Emulator::builder().auto_approve(true).start().await.unwrap();
    let token = e.issue_token(&["user_accounts:read", "boards:read", "pins:read"]);
    let c = Client::builder()
        .config(Config::builder().api_host(&e.base_url()).build().unwrap())
        .access_token(AccessToken::new(token.clone()))
        .build()
        .unwrap();
    let all: Vec<String> = {
        use futures_util::TryStreamExt;
        c.pins().list().stream().map_ok(|p| p.id).try_collect().await.unwrap()
    };
    assert!(all.len() >= 5, "the seeded account has Pins: {all:?}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("walk.json");
    let ids = |stdout: &str| stdout.lines().map(|l| l.split('\t').next().unwrap().to_owned()).collect::<Vec<_>>();

    let mut first = pointed_at(example("walk_pins"), &e, Some(&token));
    first.arg(&file).args(["--stop-after", "3"]);
    let (_, out) = tokio::task::spawn_blocking(move || run(first)).await.unwrap();
    let before = ids(&out);
    assert_eq!(before.len(), 3);
    assert!(file.exists(), "the checkpoint is kept after the crash");
    let checkpoint: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(checkpoint["offset"], 1, "3 Pins in pages of 2: one Pin into the second page: {checkpoint}");

    let mut second = pointed_at(example("walk_pins"), &e, Some(&token));
    second.arg(&file);
    let (out2, stdout2) = tokio::task::spawn_blocking(move || run(second)).await.unwrap();
    assert!(String::from_utf8_lossy(&out2.stderr).contains("resuming from"));
    let after = ids(&stdout2);
    let mut walked = before.clone();
    walked.extend(after);
    assert_eq!(walked, all, "every Pin once, in order, across the crash");
    assert_eq!(walked.iter().collect::<BTreeSet<_>>().len(), walked.len(), "no Pin twice");
    assert!(!file.exists(), "the checkpoint is removed once the walk is complete");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn video_upload_makes_a_video_pin() {
    let e = Emulator::builder().auto_approve(true).media_processing_polls(1).start().await.unwrap();
    let token = e.issue_token(&["user_accounts:read", "boards:read", "boards:write", "pins:read", "pins:write"]);
    let cmd = pointed_at(example("video_upload"), &e, Some(&token));
    let (out, stdout) = tokio::task::spawn_blocking(move || run(cmd)).await.unwrap();
    assert!(stdout.contains("is succeeded"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("uploaded 262144 of 262144 bytes"), "progress is reported: {stderr}");
    let pin_id = stdout.lines().find_map(|l| l.strip_prefix("video Pin ")).unwrap().split(' ').next().unwrap();
    assert!(e.state().pins.contains_key(pin_id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversion_event_sends_a_hashed_event() {
    let e = Emulator::builder().auto_approve(true).start().await.unwrap();
    let token = e.issue_token(&["ads:read", "ads:write"]);
    // Test mode by default: checked, not kept.
    let cmd = pointed_at(example("conversion_event"), &e, Some(&token));
    let (_, stdout) = tokio::task::spawn_blocking(move || run(cmd)).await.unwrap();
    assert!(stdout.contains("test mode, nothing recorded: 1 of 1 events processed"), "{stdout}");
    assert!(e.events().is_empty());
    let mut cmd = pointed_at(example("conversion_event"), &e, Some(&token));
    cmd.arg("--record");
    let (_, stdout) = tokio::task::spawn_blocking(move || run(cmd)).await.unwrap();
    assert!(stdout.contains("recorded: 1 of 1 events processed"), "{stdout}");
    let kept = e.events();
    assert_eq!(kept.len(), 1);
    let user = &kept[0]["event"]["user_data"];
    // What reached the server is digests, never the raw values.
    let text = user.to_string();
    assert!(!text.contains('@') && !text.to_lowercase().contains("san francisco"), "{text}");
    assert_eq!(user["ct"][0], pinterest_sdk::conversions::sha256_hex("sanfrancisco"));
    assert!(!stdout.contains("San Francisco"), "the example prints no personal data: {stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ads_report_prints_typed_rows_that_add_up() {
    let e = Emulator::builder()
        .auto_approve(true)
        .report_delay(std::time::Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    let token = e.issue_token(&["ads:read"]);
    let cmd = pointed_at(example("ads_report"), &e, Some(&token));
    let (out, stdout) = tokio::task::spawn_blocking(move || run(cmd)).await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("requested report") && stderr.contains("downloaded"), "{stderr}");
    // Three campaigns over seven days, and the total is the ad account's.
    let summary = stdout.lines().find(|l| l.contains(" rows from ")).unwrap_or_else(|| panic!("{stdout}"));
    assert!(summary.starts_with("21 rows from "), "{summary}");
    let words: Vec<&str> = summary.split_whitespace().collect();
    let (start, end) = (words[3], words[5].trim_end_matches(':'));
    let impressions: u64 = words[6].parse().unwrap();
    let account = stdout.lines().next().unwrap().split_whitespace().nth(2).unwrap().to_owned();
    pinterest_sdk::internal::install_crypto_provider();
    let total = reqwest::Client::new()
        .get(format!(
            "{}/v5/ad_accounts/{account}/analytics?start_date={start}&end_date={end}&columns=IMPRESSION_1&granularity=TOTAL",
            e.base_url()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let total: serde_json::Value = serde_json::from_slice(&total).unwrap();
    assert_eq!(total[0]["IMPRESSION_1"].as_u64(), Some(impressions), "{total}");
}

/// The web app on a loopback port, the emulator with its callback registered.
async fn web_app() -> (EmulatorHandle, Arc<WebApp>, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let here = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let callback = format!("{here}/callback");
    let e = Emulator::builder().demo_redirect_uri(callback.as_str()).start().await.unwrap();
    let config = Config::builder().api_host(&e.base_url()).oauth_host(&e.base_url()).build().unwrap();
    let oauth = OAuth::builder(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
        .config(config.clone())
        .redirect_uri(callback.as_str())
        .scopes([Scope::UserAccountsRead])
        .pkce(true)
        .build()
        .unwrap();
    let app =
        Arc::new(WebApp::new(oauth, config, Arc::new(MemoryPendingLogins::new()), Arc::new(MemoryTokenStore::new())));
    tokio::spawn(axum::serve(listener, app.clone().router()).into_future());
    (e, app, here)
}

fn browser() -> reqwest::Client {
    // Every client needs the crypto provider; a test must not rely on
    // another having installed it first.
    pinterest_sdk::internal::install_crypto_provider();
    reqwest::Client::builder().cookie_store(true).build().unwrap()
}

/// Follows the app to the consent page and presses `decision`.
async fn consent(b: &reqwest::Client, here: &str, e: &EmulatorHandle, decision: &str) -> reqwest::Response {
    let page = b.get(format!("{here}/login")).send().await.unwrap();
    assert!(page.url().as_str().starts_with(&format!("{}/oauth/", e.base_url())), "{}", page.url());
    let html = page.text().await.unwrap();
    let id = html.split("name=\"consent_id\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    b.post(format!("{}/oauth/", e.base_url()))
        .form(&[("consent_id", id.as_str()), ("decision", decision)])
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_login_connects_a_user_through_the_consent_page() {
    let (e, app, here) = web_app().await;
    let b = browser();
    let home = b.get(format!("{here}/")).send().await.unwrap().text().await.unwrap();
    assert!(home.contains("Connect Pinterest"));
    let landed = consent(&b, &here, &e, "allow").await;
    assert_eq!(landed.status(), 200);
    assert_eq!(landed.url().path(), "/", "back home after the callback");
    let body = landed.text().await.unwrap();
    assert!(body.contains("Connected as <strong>emulator_user</strong>"), "{body}");
    assert_eq!(e.token_requests(Some("authorization_code")), 1);
    // The tokens are kept for this app's user, and nothing secret went into a page.
    let stored = app.tokens.load(&app.key_of("user-1")).await.unwrap().expect("the user's tokens are stored");
    assert!(!body.contains(stored.access_token.expose_secret()));
    // A visit later reads them from the store again.
    let again = b.get(format!("{here}/")).send().await.unwrap().text().await.unwrap();
    assert!(again.contains("emulator_user"));
    assert!(app.logins.take("anything").await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_login_refuses_replays_forgeries_and_denials() {
    let (e, app, here) = web_app().await;
    pinterest_sdk::internal::install_crypto_provider();
    let b = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    // Log in, but stop at the redirect to keep the callback URL.
    let login = b.get(format!("{here}/login")).send().await.unwrap();
    let consent_url = login.headers()["location"].to_str().unwrap().to_owned();
    let html = b.get(&consent_url).send().await.unwrap().text().await.unwrap();
    let id = html.split("name=\"consent_id\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let allowed = b
        .post(format!("{}/oauth/", e.base_url()))
        .form(&[("consent_id", id.as_str()), ("decision", "allow")])
        .send()
        .await
        .unwrap();
    let callback = allowed.headers()["location"].to_str().unwrap().to_owned();
    // Another browser (no session) cannot use it.
    let stranger = reqwest::Client::new().get(&callback).send().await.unwrap();
    assert_eq!(stranger.status(), 400);
    // A forged state in this browser's session is refused, and the login is spent.
    let forged = callback.replace("state=", "state=x");
    assert_eq!(b.get(&forged).send().await.unwrap().status(), 400);
    assert_eq!(b.get(&callback).send().await.unwrap().status(), 400, "the pending login was taken once");
    assert_eq!(e.token_requests(Some("authorization_code")), 0, "no code was exchanged");
    // A denied consent says so.
    let b = browser();
    let denied = consent(&b, &here, &e, "deny").await;
    assert_eq!(denied.status(), 400);
    assert!(denied.text().await.unwrap().contains("denied"));
    assert!(app.tokens.load(&app.key_of("user-1")).await.unwrap().is_none());
}

/// The `web_login` binary as a user starts it (`PORT=0`: it binds a free
/// port and prints it): a browser with cookies connects through the
/// emulator's consent page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_login_binary_connects_a_user() {
    use std::io::BufRead;
    /// Stops the server however the test ends.
    struct Running(std::process::Child);
    impl Drop for Running {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut cmd = example("web_login");
    cmd.env("PORT", "0").stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::null());
    let mut server = Running(cmd.spawn().unwrap());
    let mut stdout = std::io::BufReader::new(server.0.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let here = line.trim().strip_prefix("Open ").and_then(|l| l.split('/').nth(2)).map(|h| format!("http://{h}"));
    let here = here.unwrap_or_else(|| panic!("the binary did not print its address: {line:?}"));
    let b = browser();
    let page = b.get(format!("{here}/login")).send().await.unwrap();
    let consent = page.url().clone();
    let html = page.text().await.unwrap();
    let id = html.split("name=\"consent_id\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let emulator = format!("{}://{}", consent.scheme(), consent.authority());
    let landed = b
        .post(format!("{emulator}/oauth/"))
        .form(&[("consent_id", id.as_str()), ("decision", "allow")])
        .send()
        .await
        .unwrap();
    let body = landed.text().await.unwrap();
    drop(server);
    assert!(body.contains("Connected as <strong>emulator_user</strong>"), "{body}");
}

/// Every example binary is run by a test in this file.
#[test]
fn every_example_binary_is_run_here() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/bin");
    let mut bins: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path().file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    bins.sort();
    assert_eq!(
        bins,
        ["ads_report", "conversion_event", "fleet", "quickstart", "video_upload", "walk_pins", "web_login"],
        "a new example needs its test here"
    );
    for bin in &bins {
        let _ = example(bin); // panics for a binary this file cannot start
    }
}

#[test]
fn fleet_serves_many_accounts_from_redis_and_cleans_up() {
    let Some(redis) = pinterest_test_support::RedisServer::start() else { return };
    let mut cmd = example("fleet");
    cmd.args(["--accounts", "12"]).env("PINTEREST_REDIS_URL", redis.url());
    let (_, stdout) = run(cmd);
    assert!(stdout.contains("Connected 12 accounts"), "{stdout}");
    assert!(stdout.contains("12 of 12 calls answered"), "{stdout}");
    assert!(stdout.contains("user-1 is at generation 2 in Redis"), "{stdout}");
    // What is left expires: the rate budgets, and the generations of the
    // removed sets (no token set, no lease).
    let keys = redis.cli(&["--scan"]);
    assert!(keys.lines().any(|k| k.contains(":budget:")), "{keys}");
    for k in keys.lines() {
        assert!(k.contains(":budget:") || k.contains(":tokens:"), "{k}");
        assert_eq!(redis.cli(&["HEXISTS", k, "set"]), "0", "{k}");
        assert_ne!(redis.cli(&["PTTL", k]), "-1", "{k} expires");
    }
}
