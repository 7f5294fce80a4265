//! Rate limits: off by default, then per app, user and category in fixed
//! windows, with Pinterest's headers, its 429 and `Retry-After`, read back
//! by the SDK; and the binary's `--rate-limit` flags.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure is the signal

use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine as _;
use pinterest_emulator::{App, Emulator, EmulatorHandle, RateLimits};
use pinterest_sdk::retry::RetryPolicy;
use pinterest_sdk::secret::AccessToken;
use pinterest_sdk::{Client, Config};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

const SCOPES: &[&str] = &["user_accounts:read", "boards:read", "boards:write", "ads:read"];

fn http() -> reqwest::Client {
    pinterest_sdk::internal::install_crypto_provider();
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn start(limits: RateLimits) -> EmulatorHandle {
    Emulator::builder().rate_limits(limits).start().await.unwrap()
}

fn per_minute(calls: u32) -> RateLimits {
    RateLimits::new(Duration::from_secs(60)).default_limit(calls)
}

async fn get(c: &reqwest::Client, e: &EmulatorHandle, token: &str, path: &str) -> reqwest::Response {
    c.get(format!("{}{path}", e.api_base())).bearer_auth(token).send().await.unwrap()
}

async fn create_board(c: &reqwest::Client, e: &EmulatorHandle, token: &str, name: &str) -> reqwest::Response {
    c.post(format!("{}/boards", e.api_base())).bearer_auth(token).json(&json!({"name": name})).send().await.unwrap()
}

/// `x-ratelimit-limit`, `-remaining` and `-reset`, each required to be a
/// plain integer; `None` when none is there.
fn limits(headers: &HeaderMap) -> Option<(u64, u64, u64)> {
    let names = ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"];
    let values: Vec<Option<u64>> = names
        .iter()
        .map(|name| {
            let v = headers.get(*name)?.to_str().unwrap();
            assert!(!v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()), "{name}: {v:?} is not a plain integer");
            Some(v.parse().unwrap())
        })
        .collect();
    match values[..] {
        [None, None, None] => None,
        [Some(l), Some(r), Some(s)] => Some((l, r, s)),
        _ => panic!("some rate-limit headers but not all: {headers:?}"),
    }
}

fn has_no_limit_headers(headers: &HeaderMap) -> bool {
    headers.keys().all(|k| !k.as_str().starts_with("x-ratelimit"))
}

#[tokio::test]
async fn off_by_default_there_are_no_headers_and_no_429() {
    let e = Emulator::builder().start().await.unwrap();
    let (c, token) = (http(), e.issue_token(SCOPES));
    for _ in 0..30 {
        let r = get(&c, &e, &token, "/user_account").await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(has_no_limit_headers(r.headers()), "{:?}", r.headers());
        assert!(r.headers().contains_key("x-pinterest-rid"));
    }
    for path in ["/ad_accounts", "/boards"] {
        let r = get(&c, &e, &token, path).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(has_no_limit_headers(r.headers()), "{path}: {:?}", r.headers());
    }
    let r = get(&c, &e, "not-a-token", "/user_account").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(has_no_limit_headers(r.headers()));
    let admin: Value =
        c.get(format!("{}/_emulator/rate_limits", e.base_url())).send().await.unwrap().json().await.unwrap();
    assert_eq!(admin, json!({"enabled": false, "windows": []}));
}

#[tokio::test]
async fn each_category_counts_on_its_own() {
    let e = start(per_minute(5).limit("ads_read", 3)).await;
    let (c, token) = (http(), e.issue_token(SCOPES));
    // org_read: user_account/get and boards/list share one budget.
    let mut remaining = Vec::new();
    for path in ["/user_account", "/user_account", "/boards"] {
        let r = get(&c, &e, &token, path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let (limit, left, reset) = limits(r.headers()).unwrap();
        assert_eq!(limit, 5);
        assert!((59..=60).contains(&reset), "{reset}");
        remaining.push(left);
    }
    assert_eq!(remaining, [4, 3, 2]);
    // ads_read has its own limit and has not been spent by the org_read calls.
    let r = get(&c, &e, &token, "/ad_accounts").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(limits(r.headers()).map(|(l, r, _)| (l, r)), Some((3, 2)));
    // org_write is a budget of its own too.
    let r = create_board(&c, &e, &token, "Counted").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(limits(r.headers()).map(|(l, r, _)| (l, r)), Some((5, 4)));
    // A call refused by validation was still made: it counts, and says so.
    let r = get(&c, &e, &token, "/boards?page_size=0").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(limits(r.headers()).map(|(l, r, _)| (l, r)), Some((5, 1)));
}

#[tokio::test]
async fn refused_tokens_and_scopes_are_not_counted() {
    let e = start(per_minute(2)).await;
    let c = http();
    let narrow = e.issue_token(&["user_accounts:read"]);
    for _ in 0..3 {
        let r = get(&c, &e, "not-a-token", "/user_account").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(has_no_limit_headers(r.headers()));
        let r = c.get(format!("{}/user_account", e.api_base())).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(has_no_limit_headers(r.headers()));
        // ads_read without `ads:read`: 403 before counting.
        let r = get(&c, &e, &narrow, "/ad_accounts").await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(has_no_limit_headers(r.headers()));
    }
    let r = get(&c, &e, &narrow, "/user_account").await;
    assert_eq!(limits(r.headers()).map(|(l, r, _)| (l, r)), Some((2, 1)));
    let wide = e.issue_token(SCOPES);
    let r = get(&c, &e, &wide, "/ad_accounts").await;
    assert_eq!(limits(r.headers()).map(|(l, r, _)| (l, r)), Some((2, 1)));
}

#[tokio::test]
async fn categories_without_a_limit_are_not_counted() {
    // No default limit: only ads_read is limited.
    let e = start(RateLimits::new(Duration::from_secs(60)).limit("ads_read", 1)).await;
    let (c, token) = (http(), e.issue_token(SCOPES));
    for _ in 0..5 {
        let r = get(&c, &e, &token, "/user_account").await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(has_no_limit_headers(r.headers()), "{:?}", r.headers());
    }
    assert_eq!(get(&c, &e, &token, "/ad_accounts").await.status(), StatusCode::OK);
    assert_eq!(get(&c, &e, &token, "/ad_accounts").await.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_spent_budget_is_429_with_code_8_and_retry_after() {
    let e = start(per_minute(2)).await;
    let (c, token) = (http(), e.issue_token(SCOPES));
    for left in [1, 0] {
        let r = get(&c, &e, &token, "/user_account").await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(limits(r.headers()).map(|(l, r, _)| (l, r)), Some((2, left)));
        assert!(!r.headers().contains_key("retry-after"));
    }
    for _ in 0..2 {
        let r = get(&c, &e, &token, "/boards").await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        let (limit, left, reset) = limits(r.headers()).unwrap();
        assert_eq!((limit, left), (2, 0));
        assert!((59..=60).contains(&reset), "{reset}");
        let retry_after = r.headers()["retry-after"].to_str().unwrap().to_owned();
        assert_eq!(retry_after, reset.to_string());
        assert!(r.headers().contains_key("x-pinterest-rid"));
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], 8, "{body}");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains("org_read") && message.contains("rate limit"), "{message}");
        assert!(!message.to_lowercase().contains("spam"), "{message}");
        assert_eq!(body.as_object().unwrap().len(), 2, "{body}");
    }
    // The log shows the refusals.
    let statuses: Vec<u16> = e.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 200, 429, 429]);
    // Other categories go on.
    assert_eq!(get(&c, &e, &token, "/ad_accounts").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_refused_write_changes_nothing() {
    let e = start(per_minute(100).limit("org_write", 1)).await;
    let (c, token) = (http(), e.issue_token(SCOPES));
    let boards = e.state().boards.len();
    assert_eq!(create_board(&c, &e, &token, "First").await.status(), StatusCode::CREATED);
    let r = create_board(&c, &e, &token, "Second").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let state = e.state();
    assert_eq!(state.boards.len(), boards + 1);
    assert!(!state.boards.values().any(|b| b["name"] == "Second"));
    // Reads are another category, and see one new board.
    let r = get(&c, &e, &token, "/boards?page_size=250").await;
    assert_eq!(r.status(), StatusCode::OK);
    let page: Value = r.json().await.unwrap();
    let names: Vec<&str> = page["items"].as_array().unwrap().iter().filter_map(|b| b["name"].as_str()).collect();
    assert!(names.contains(&"First") && !names.contains(&"Second"), "{names:?}");
}

#[tokio::test]
async fn the_budget_comes_back_when_the_window_ends() {
    let e = start(RateLimits::new(Duration::from_secs(2)).default_limit(1)).await;
    let (c, token) = (http(), e.issue_token(SCOPES));
    let r = get(&c, &e, &token, "/user_account").await;
    assert_eq!(r.status(), StatusCode::OK);
    let (_, left, reset) = limits(r.headers()).unwrap();
    assert_eq!(left, 0);
    assert!((1..=2).contains(&reset), "{reset}");
    let r = get(&c, &e, &token, "/user_account").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let (_, _, reset) = limits(r.headers()).unwrap();
    assert!((1..=2).contains(&reset), "{reset}");
    // Rounded up: the window has ended `reset` seconds after this answer.
    tokio::time::sleep(Duration::from_secs(reset)).await;
    let r = get(&c, &e, &token, "/user_account").await;
    assert_eq!(r.status(), StatusCode::OK);
    let (limit, left, reset) = limits(r.headers()).unwrap();
    assert_eq!((limit, left), (1, 0));
    // A fresh window: its first call opened it.
    assert!((1..=2).contains(&reset), "{reset}");
}

#[tokio::test]
async fn resets_clear_the_counters() {
    let e = start(per_minute(1)).await;
    let c = http();
    for reset in ["handle", "admin"] {
        // A reset also forgets the tokens minted since the start.
        let token = e.issue_token(SCOPES);
        assert_eq!(get(&c, &e, &token, "/user_account").await.status(), StatusCode::OK);
        assert_eq!(get(&c, &e, &token, "/user_account").await.status(), StatusCode::TOO_MANY_REQUESTS);
        match reset {
            "handle" => e.reset(),
            _ => {
                let r = c
                    .post(format!("{}/_emulator/reset", e.base_url()))
                    .header("content-type", "application/json")
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), StatusCode::OK);
            }
        }
        let token = e.issue_token(SCOPES);
        let r = get(&c, &e, &token, "/user_account").await;
        assert_eq!(r.status(), StatusCode::OK, "after the {reset} reset");
        assert_eq!(limits(r.headers()).map(|(l, r, _)| (l, r)), Some((1, 0)));
        e.reset();
    }
}

#[tokio::test]
async fn each_app_has_its_own_budget() {
    let other = App {
        client_id: "555".into(),
        client_secret: "other-secret".into(),
        name: "Other".into(),
        redirect_uris: vec!["https://localhost/".into()],
    };
    let e = Emulator::builder().app(other).rate_limits(per_minute(1)).start().await.unwrap();
    let c = http();
    let demo = e.issue_token(SCOPES);
    assert_eq!(get(&c, &e, &demo, "/ad_accounts").await.status(), StatusCode::OK);
    assert_eq!(get(&c, &e, &demo, "/ad_accounts").await.status(), StatusCode::TOO_MANY_REQUESTS);
    let basic = base64::engine::general_purpose::STANDARD.encode("555:other-secret");
    let r = c
        .post(format!("{}/oauth/token", e.api_base()))
        .header("authorization", format!("Basic {basic}"))
        .form(&[("grant_type", "client_credentials"), ("scope", "ads:read")])
        .send()
        .await
        .unwrap();
    assert!(has_no_limit_headers(r.headers()), "the token endpoint is not counted");
    let other: Value = r.json().await.unwrap();
    let other = other["access_token"].as_str().unwrap();
    let r = get(&c, &e, other, "/ad_accounts").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(limits(r.headers()).map(|(l, r, _)| (l, r)), Some((1, 0)));
    // Another token of the demo app spends the demo app's budget.
    let again = e.issue_token(SCOPES);
    assert_eq!(get(&c, &e, &again, "/ad_accounts").await.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_sdk_reads_the_rate_limit_headers() {
    let e = start(per_minute(2)).await;
    let config = Config::builder()
        .api_host(&e.base_url())
        .oauth_host(&e.base_url())
        .retry(RetryPolicy::never())
        .build()
        .unwrap();
    let client =
        Client::builder().config(config).access_token(AccessToken::new(e.issue_token(SCOPES))).build().unwrap();
    let response = client.user_account().get().send_with_meta().await.unwrap();
    assert_eq!(response.meta.rate_limit_category, "org_read");
    let rl = response.meta.rate_limit.clone().unwrap();
    assert_eq!((rl.limit, rl.remaining), (Some(2), Some(1)));
    assert!(rl.reset.is_some_and(|s| (59..=60).contains(&s)), "{rl:?}");
    assert_eq!(rl.limit_raw.as_deref(), Some("2"));
    client.boards().list().send().await.unwrap();
    let err = client.user_account().get().send().await.unwrap_err();
    assert!(err.is_rate_limited(), "{err}");
    assert_eq!(err.code(), Some(8));
    let rl = err.rate_limit().unwrap();
    assert_eq!((rl.limit, rl.remaining), (Some(2), Some(0)));
    let reset = rl.reset.unwrap();
    assert!((59..=60).contains(&reset), "{reset}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(reset)));
    // With no limits, the SDK sees none.
    let e = Emulator::builder().start().await.unwrap();
    let config = Config::builder().api_host(&e.base_url()).oauth_host(&e.base_url()).build().unwrap();
    let client =
        Client::builder().config(config).access_token(AccessToken::new(e.issue_token(SCOPES))).build().unwrap();
    let response = client.user_account().get().send_with_meta().await.unwrap();
    assert!(response.meta.rate_limit.is_none(), "{:?}", response.meta.rate_limit);
}

#[tokio::test]
async fn the_admin_route_shows_the_open_windows() {
    let e = start(per_minute(10).limit("ads_analytics", 5)).await;
    let (c, token) = (http(), e.issue_token(SCOPES));
    for _ in 0..3 {
        get(&c, &e, &token, "/user_account").await;
    }
    let report: Value =
        c.get(format!("{}/_emulator/rate_limits", e.base_url())).send().await.unwrap().json().await.unwrap();
    assert_eq!(report["enabled"], true);
    assert_eq!(report["window_ms"], 60_000);
    assert_eq!(report["default_limit"], 10);
    assert_eq!(report["limits"], json!({"ads_analytics": 5}));
    let windows = report["windows"].as_array().unwrap();
    assert_eq!(windows.len(), 1, "{report}");
    let w = &windows[0];
    assert_eq!(
        (w["category"].as_str(), w["app"].as_str()),
        (Some("org_read"), Some(pinterest_emulator::DEMO_CLIENT_ID))
    );
    assert_eq!(w["user"], e.state().user["id"]);
    assert_eq!((w["limit"].as_u64(), w["used"].as_u64(), w["remaining"].as_u64()), (Some(10), Some(3), Some(7)));
    assert!(w["reset"].as_u64().is_some_and(|s| (59..=60).contains(&s)), "{w}");
}

#[tokio::test]
async fn start_refuses_unusable_limits() {
    for limits in
        [RateLimits::new(Duration::ZERO).default_limit(1), RateLimits::new(Duration::from_secs(1)).limit("ads_raed", 1)]
    {
        let e = Emulator::builder().rate_limits(limits.clone()).start().await.unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput, "{limits:?}: {e}");
    }
}

/// Starts the binary and reads what it prints up to the admin lines.
fn spawn(args: &[&str]) -> (std::process::Child, SocketAddr, String) {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pinterest-emulator"))
        .args(["--bind", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut printed = String::new();
    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
        printed.push_str(&line);
        printed.push('\n');
        if line.contains("JSON writes") {
            break;
        }
    }
    let base = printed.split("PINTEREST_API_URI=").nth(1).and_then(|r| r.split(')').next());
    let addr = base.and_then(|b| b.strip_prefix("http://")).and_then(|a| a.parse().ok());
    let Some(addr) = addr else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("no address in {printed}");
    };
    (child, addr, printed)
}

#[tokio::test]
async fn the_binary_takes_rate_limit_flags() {
    let binary = env!("CARGO_BIN_EXE_pinterest-emulator");
    let help = std::process::Command::new(binary).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("--rate-limit <N/WINDOW|CATEGORY=N>") && help.contains("Retry-After"), "{help}");

    let (mut child, addr, printed) = spawn(&["--rate-limit", "2/60s", "--rate-limit", "ads_read=1"]);
    let c = http();
    let base = format!("http://{addr}");
    let minted = c
        .post(format!("{base}/_emulator/tokens"))
        .header("content-type", "application/json")
        .body(json!({"scopes": SCOPES}).to_string())
        .send()
        .await;
    let mut statuses = Vec::new();
    if let Ok(minted) = minted {
        let token = minted.json::<Value>().await.unwrap()["access_token"].as_str().unwrap_or_default().to_owned();
        for path in ["/user_account", "/ad_accounts", "/ad_accounts", "/user_account", "/user_account"] {
            let r = c.get(format!("{base}/v5{path}")).bearer_auth(&token).send().await.unwrap();
            statuses.push((r.status().as_u16(), limits(r.headers()).map(|(l, r, _)| (l, r))));
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(printed.contains("Rate limits:   2 calls per 60s for each category; ads_read 1"), "{printed}");
    assert_eq!(
        statuses,
        [(200, Some((2, 1))), (200, Some((1, 0))), (429, Some((1, 0))), (200, Some((2, 0))), (429, Some((2, 0))),]
    );

    // Malformed values stop it with a usage error that says what is wrong.
    for (args, says) in [
        (&["--rate-limit", "100"][..], "expected N/WINDOW"),
        (&["--rate-limit", "100/0s"], "longer than zero"),
        (&["--rate-limit", "100/5 minutes"], "not a window"),
        (&["--rate-limit", "lots/60s"], "not a number of calls"),
        (&["--rate-limit", "ads_raed=5"], "not a rate-limit category"),
        (&["--rate-limit", "1/1s", "--rate-limit", "2/2s"], "more than once"),
        (&["--rate-limit", "ads_read=1", "--rate-limit", "ads_read=2"], "more than one limit"),
    ] {
        // Bounded: an emulator that started after all would run until killed.
        let run = tokio::process::Command::new(binary)
            .args(["--bind", "127.0.0.1:0"])
            .args(args)
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .output();
        let out = tokio::time::timeout(Duration::from_secs(30), run).await.expect("it did not stop").unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says) && stderr.contains("--rate-limit"), "{args:?}: {stderr}");
    }
}
