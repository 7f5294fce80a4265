//! Pinterest's official Python SDK (`pinterest-api-sdk` 0.2.7 from PyPI,
//! in the virtualenv `cargo xtask test` makes under `target/py/official`),
//! unchanged, against the emulator: it logs in with its own refresh flow,
//! then creates, reads, pages, updates and deletes boards, sections and
//! Pins (`tests/python/official_sdk.py`, which asserts every answer).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure is the signal

use pinterest_emulator::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Emulator, EmulatorHandle};
use pinterest_sdk::oauth::{OAuth, Scope};

/// A refresh token from the authorization-code flow, as a user would get one.
async fn refresh_token(e: &EmulatorHandle) -> String {
    let oauth = OAuth::builder(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
        .config(pinterest_sdk::Config::builder().api_host(&e.base_url()).oauth_host(&e.base_url()).build().unwrap())
        .scopes(vec![Scope::UserAccountsRead, Scope::BoardsRead, Scope::BoardsWrite, Scope::PinsRead, Scope::PinsWrite])
        .build()
        .unwrap();
    let (url, pending) = oauth.authorization_url();
    pinterest_sdk::internal::install_crypto_provider();
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = browser.get(url.as_str()).send().await.unwrap();
    let redirect = r.headers()["location"].to_str().unwrap().to_owned();
    let tokens = oauth.exchange_redirect(&pending, &redirect).await.unwrap();
    tokens.refresh_token.expect("a refresh token").expose_secret().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pinterests_official_python_sdk_creates_boards_and_pins_unchanged() {
    let Some(bin) = pinterest_test_support::python_env("official") else { return };
    let e = Emulator::builder().auto_approve(true).seed(21).start().await.unwrap();
    let refresh = refresh_token(&e).await;
    let boards_before = e.state().boards.len();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/official_sdk.py");
    let out = tokio::process::Command::new(bin.join("python"))
        .arg(&script)
        .arg(e.base_url())
        .env_remove("PINTEREST_ACCESS_TOKEN")
        .env_remove("PINTEREST_API_URI")
        .env("PINTEREST_APP_ID", DEMO_CLIENT_ID)
        .env("PINTEREST_APP_SECRET", DEMO_CLIENT_SECRET)
        .env("PINTEREST_REFRESH_ACCESS_TOKEN", &refresh)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the official SDK failed:\n{stdout}\n{stderr}");
    let summary: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap_or("")).unwrap();
    assert_eq!(summary["ok"], true, "{summary}");
    assert_eq!(summary["auth"], "refresh_token", "{summary}");
    assert_eq!(summary["user"], "emulator_user", "{summary}");
    // The SDK's own token request, then the calls a user makes.
    assert_eq!(e.token_requests(Some("refresh_token")), 1);
    let ops: Vec<String> = e.requests().iter().filter_map(|r| r.operation.clone()).collect();
    for op in
        ["user_account/get", "boards/create", "board_sections/create", "pins/create", "pins/get", "boards/list_pins"]
    {
        assert!(ops.iter().any(|o| o == op), "the SDK never called {op}: {ops:?}");
    }
    // It deleted what it made.
    assert_eq!(e.state().boards.len(), boards_before);
    e.shutdown().await;
}
