//! Many accounts and many workers on a real Redis: shared token families
//! (leases, fencing, saves that survive Redis stalls and restarts, a worker
//! killed while refreshing), the lazy per-account pool, and rate budgets
//! that keep calls under the emulator's limits.
//!
//! Each test starts its own `redis-server` on a Unix socket (see
//! `pinterest_test_support::RedisServer`); without one the tests say
//! SKIPPED, and fail under CI.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure is the signal

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use pinterest_emulator::{
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Emulator, EmulatorHandle, Fault, FaultKind, LoggedRequest, RateLimits,
};
use pinterest_sdk::auth::{RefreshingTokenSource, SaveOutcome, TokenKey, TokenSet, TokenStore};
use pinterest_sdk::fleet::{Clients, EncryptionKey, Redis, RedisRateLimiter, RedisTokenStore};
use pinterest_sdk::oauth::{OAuth, Scope};
use pinterest_sdk::ratelimit::{BudgetKey, Grant, InProcessLimiter, Observation, RateLimiter, Ticket, Window};
use pinterest_sdk::retry::RetryPolicy;
use pinterest_sdk::secret::AccessToken;
use pinterest_sdk::{Client, Config, Error};
use pinterest_test_support::RedisServer;

fn config_builder(e: &EmulatorHandle) -> pinterest_sdk::config::ConfigBuilder {
    Config::builder()
        .api_host(&e.base_url())
        .oauth_host(&e.base_url())
        .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(10)))
}

fn config(e: &EmulatorHandle) -> Config {
    config_builder(e).build().unwrap()
}

fn oauth(e: &EmulatorHandle) -> OAuth {
    OAuth::builder(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
        .config(config(e))
        .scopes([Scope::UserAccountsRead, Scope::PinsRead])
        .build()
        .unwrap()
}

/// A login through the emulator's consent page (auto-approved).
async fn login(e: &EmulatorHandle, oauth: &OAuth, browser: &reqwest::Client) -> TokenSet {
    let (url, pending) = oauth.authorization_url();
    let r = browser.get(url.as_str()).send().await.unwrap();
    let redirect = r.headers()["location"].to_str().unwrap().to_owned();
    let _ = e;
    oauth.exchange_redirect(&pending, &redirect).await.unwrap()
}

fn browser() -> reqwest::Client {
    pinterest_sdk::internal::install_crypto_provider();
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// `tokens` with its access token already expired.
fn expired(mut tokens: TokenSet) -> TokenSet {
    tokens.expires_at = Some(tokens.received_at.saturating_sub(1));
    tokens
}

fn redis(server: &RedisServer) -> Redis {
    Redis::builder(server.url()).response_timeout(Duration::from_millis(500)).build().unwrap()
}

fn key(account: &str) -> TokenKey {
    TokenKey::new(DEMO_CLIENT_ID, account)
}

/// Refresh-token requests the emulator has answered with `status`.
fn refreshes(e: &EmulatorHandle, status: u16) -> usize {
    e.requests().iter().filter(|r| r.grant_type.as_deref() == Some("refresh_token") && r.status == status).count()
}

fn held_token_request(e: &EmulatorHandle) -> bool {
    e.requests().iter().any(|r| r.operation.as_deref() == Some("oauth/token") && r.status == 0)
}

fn hold_next_token_request(e: &EmulatorHandle) {
    let mut hold = Fault::once("oauth/token", FaultKind::Latency);
    hold.latency_ms = Some(600_000);
    e.add_fault(hold);
}

async fn wait_for(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !condition() {
        assert!(tokio::time::Instant::now() < deadline, "waited 60 s for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn the_redis_store_keeps_generations_encrypts_and_holds_a_thousand_accounts() {
    let Some(server) = RedisServer::start() else { return };
    assert!(server.cli(&["CONFIG", "GET", "appendfsync"]).ends_with("always"), "tests run Redis as the README says");
    let secret = EncryptionKey::generate();
    let store = RedisTokenStore::new(redis(&server)).encrypt_with(secret.clone());
    let mut set = TokenSet::from_access_token(AccessToken::new("pina_canary_one"));
    set.refresh_token = Some(pinterest_sdk::secret::RefreshToken::new("pinr_canary_one"));
    let k = key("alice");

    assert!(store.load_versioned(&k).await.unwrap().is_none());
    assert_eq!(store.save_if(&k, &set, 0).await.unwrap(), SaveOutcome::Saved { generation: 1 });
    assert_eq!(store.save_if(&k, &set, 0).await.unwrap(), SaveOutcome::Superseded { found: 1 });
    store.save(&k, &set).await.unwrap();
    let stored = store.load_versioned(&k).await.unwrap().unwrap();
    assert_eq!(stored.generation, 2);
    assert_eq!(stored.tokens.refresh_token.unwrap().expose_secret(), "pinr_canary_one");

    // At rest the set is ciphertext: no token shows in Redis.
    let raw = server.cli(&["HGET", &store.tokens_key(&k), "set"]);
    assert!(raw.starts_with("v1:") && !raw.contains("canary"), "{raw}");
    // A store without the key, or with another, refuses it with a typed error.
    let keyless = RedisTokenStore::new(redis(&server));
    let err = keyless.load(&k).await.unwrap_err();
    assert!(matches!(err, Error::TokenStore { .. }), "{err:?}");
    assert!(chain(&err).contains("encrypted"), "{}", chain(&err));
    let other = RedisTokenStore::new(redis(&server)).encrypt_with(EncryptionKey::generate());
    assert!(chain(&other.load(&k).await.unwrap_err()).contains("wrong key"));
    store.clear(&k).await.unwrap();
    assert!(store.load(&k).await.unwrap().is_none());

    // A thousand accounts in one store, each its own set.
    let accounts: Vec<String> = (0..1000).map(|i| format!("user-{i}")).collect();
    let saves = accounts.iter().map(|a| {
        let store = store.clone();
        async move {
            let t = TokenSet::from_access_token(AccessToken::new(format!("pina_{a}")));
            store.save(&key(a), &t).await
        }
    });
    for r in futures_util::future::join_all(saves).await {
        r.unwrap();
    }
    // And alice's cleared set, whose raised generation stays for a while.
    assert_eq!(server.cli(&["DBSIZE"]), "1001");
    assert_eq!(server.cli(&["HGET", &store.tokens_key(&k), "g"]), "3");
    assert_ne!(server.cli(&["PTTL", &store.tokens_key(&k)]), "-1");
    for a in &accounts {
        let t = store.load(&key(a)).await.unwrap().unwrap();
        assert_eq!(t.access_token.expose_secret(), format!("pina_{a}"));
    }

    // A save that must reach a replica fails, typed, when none answers.
    let replicated = RedisTokenStore::new(redis(&server)).wait_for_replicas(1, Duration::from_millis(50));
    let err = replicated.save(&key("r"), &set).await.unwrap_err();
    assert!(chain(&err).contains("0 of 1 replicas"), "{}", chain(&err));
}

/// `e` and its sources, joined.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(s) = next {
        out.push_str(": ");
        out.push_str(&s.to_string());
        next = s.source();
    }
    out
}

#[tokio::test]
async fn a_lease_nobody_gives_back_runs_out_and_a_released_one_is_free_at_once() {
    let Some(server) = RedisServer::start() else { return };
    let k = key("bob");
    let store = RedisTokenStore::new(redis(&server));
    // The lease of a worker that died holding it (nobody renews it).
    server.cli(&["SET", &store.lock_key(&k), "a-dead-worker", "PX", "3000"]);
    let impatient = RedisTokenStore::new(redis(&server)).lock_wait(Duration::ZERO);
    let err = impatient.lock(&k).await.unwrap_err();
    assert!(chain(&err).contains("another worker held it"), "{}", chain(&err));
    // Someone who waits gets it once the lease has run out.
    let patient =
        RedisTokenStore::new(redis(&server)).lock_wait(Duration::from_secs(30)).lease(Duration::from_millis(600));
    let held = patient.lock(&k).await.unwrap();
    assert!(impatient.lock(&k).await.is_err());
    // A live holder renews its lease: it outlasts several leases.
    tokio::time::sleep(Duration::from_millis(2_000)).await;
    assert_eq!(server.cli(&["EXISTS", &patient.lock_key(&k)]), "1", "the lease was renewed");
    assert!(impatient.lock(&k).await.is_err());
    held.release().await;
    assert_eq!(server.cli(&["EXISTS", &patient.lock_key(&k)]), "0");
    // Released: free without waiting.
    impatient.lock(&k).await.unwrap().release().await;
}

/// What a worker process is told to do (see `fleet_worker`).
/// `mode` is `user` (a call with the account's stored login) or `app` (an
/// app token from the client-credentials grant, kept in the store).
fn worker_spec(e: &EmulatorHandle, server: &RedisServer, mode: &str, account: &str, lease_ms: u64) -> String {
    serde_json::json!({
        "mode": mode,
        "base": e.base_url(),
        "redis": server.url(),
        "account": account,
        "lease_ms": lease_ms,
    })
    .to_string()
}

fn start_worker(spec: &str) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "fleet_worker", "--ignored", "--nocapture", "--test-threads=1"])
        .env("FLEET_WORKER", spec)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// What a worker printed after `WORKER ` (off the runtime's thread, which
/// serves the emulator meanwhile).
async fn worker_says(child: std::process::Child) -> String {
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap()).await.unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    match text.lines().find_map(|l| l.split_once("WORKER ")) {
        Some((_, said)) => said.to_owned(),
        None => format!("nothing ({}): {text} {}", out.status, String::from_utf8_lossy(&out.stderr)),
    }
}

/// A worker process of `a_worker_killed_while_refreshing_loses_nothing`:
/// one call for one account through a pool on the shared Redis. It is
/// ignored by the suite and does nothing without `FLEET_WORKER`.
#[tokio::test]
#[ignore = "a worker process that the fleet tests start"]
async fn fleet_worker() {
    let Ok(spec) = std::env::var("FLEET_WORKER") else { return };
    let spec: serde_json::Value = serde_json::from_str(&spec).unwrap();
    let text = |k: &str| spec[k].as_str().unwrap().to_owned();
    let config = Config::builder().api_host(&text("base")).oauth_host(&text("base")).build().unwrap();
    let base = Client::builder().config(config.clone()).build().unwrap();
    let oauth = OAuth::builder(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
        .config(config)
        .shared_transport(base.transport().clone())
        .build()
        .unwrap();
    let store = RedisTokenStore::new(Redis::open(&text("redis")).unwrap())
        .lease(Duration::from_millis(spec["lease_ms"].as_u64().unwrap()))
        .lock_wait(Duration::from_secs(30));
    let account = text("account");
    if text("mode") == "app" {
        // An app token: it prints whether the token it ends up with is the
        // one the store holds.
        let store = Arc::new(store);
        let source = RefreshingTokenSource::client_credentials(oauth, [Scope::AdsRead])
            .store(store.clone(), account.clone())
            .build()
            .unwrap();
        match pinterest_sdk::auth::TokenSource::token(&source).await {
            Ok(token) => {
                let stored = store.load(&key(&account)).await.unwrap().unwrap();
                println!("\nWORKER OK same={}", stored.access_token.ct_eq(&token));
            }
            Err(e) => println!("\nWORKER ERR {}", chain(&e)),
        }
        return;
    }
    let clients = Clients::new(base, oauth, Arc::new(store));
    match clients.for_account(&account).user_account().get().send().await {
        Ok(me) => println!("\nWORKER OK {}", me.username.unwrap_or_default()),
        Err(e) => println!("\nWORKER ERR {}", chain(&e)),
    }
}

#[tokio::test]
async fn a_worker_killed_while_refreshing_blocks_the_others_for_the_lease_only() {
    let Some(server) = RedisServer::start() else { return };
    let e = Emulator::builder().auto_approve(true).start().await.unwrap();
    let oauth = oauth(&e);
    let tokens = login(&e, &oauth, &browser()).await;
    let store = RedisTokenStore::new(redis(&server));
    store.save(&key("shared"), &expired(tokens)).await.unwrap();
    let spec = worker_spec(&e, &server, "user", "shared", 2_000);

    // The first worker takes the lease and sends its refresh, which the
    // emulator holds; it is killed there, before Pinterest answered.
    hold_next_token_request(&e);
    let mut first = start_worker(&spec);
    wait_for("the first worker's token request", || held_token_request(&e)).await;
    assert_eq!(server.cli(&["EXISTS", &store.lock_key(&key("shared"))]), "1", "it holds the lease");
    first.kill().unwrap();
    tokio::task::spawn_blocking(move || first.wait().unwrap()).await.unwrap();

    // Two more wait out the lease (their lock_wait is 30 s, far longer),
    // then one refreshes and both call.
    let others = [start_worker(&spec), start_worker(&spec)];
    for w in others {
        assert_eq!(worker_says(w).await, "OK emulator_user");
    }
    assert_eq!(refreshes(&e, 200), 1, "one refresh between the two survivors");
    let unanswered =
        e.requests().iter().filter(|r| r.operation.as_deref() == Some("oauth/token") && r.status == 0).count();
    assert_eq!(unanswered, 1, "the dead worker's refresh was never answered");
    // The family lives: the stored set refreshes again.
    let stored = store.load_versioned(&key("shared")).await.unwrap().unwrap();
    assert_eq!(stored.generation, 2);
    let source =
        RefreshingTokenSource::builder(oauth.clone()).store(Arc::new(store.clone()), "shared").build().unwrap();
    source.force_refresh().await.unwrap();
    assert_eq!(refreshes(&e, 200), 2);
}

/// Starts a refresh of `account` whose token request the emulator holds;
/// returns the source and the call in flight.
async fn refresh_held(
    e: &EmulatorHandle,
    store: &RedisTokenStore,
    account: &str,
) -> (Arc<RefreshingTokenSource>, tokio::task::JoinHandle<pinterest_sdk::Result<String>>) {
    let oauth = oauth(e);
    let tokens = login(e, &oauth, &browser()).await;
    store.save(&key(account), &expired(tokens)).await.unwrap();
    hold_next_token_request(e);
    let source =
        Arc::new(RefreshingTokenSource::builder(oauth).store(Arc::new(store.clone()), account).build().unwrap());
    let client = Client::builder().config(config(e)).token_source(source.clone()).build().unwrap();
    let call = tokio::spawn(async move { Ok(client.user_account().get().send().await?.username.unwrap_or_default()) });
    wait_for("the held token request", || held_token_request(e)).await;
    (source, call)
}

/// After a refresh whose save was delayed: the store has the rotated set,
/// the lease is gone, and the family still refreshes.
async fn family_survived(
    e: &EmulatorHandle,
    server: &RedisServer,
    store: &RedisTokenStore,
    source: &RefreshingTokenSource,
) {
    tokio::time::timeout(Duration::from_secs(30), source.flush()).await.expect("the pending save lands");
    assert_eq!(source.pending_saves(), 0);
    let stored = store.load_versioned(&key("acct")).await.unwrap().unwrap();
    assert_eq!(stored.generation, 2, "the rotated set replaced the first one");
    let in_memory = source.tokens().await.unwrap();
    assert!(stored.tokens.refresh_token.as_ref().unwrap().ct_eq(in_memory.refresh_token.as_ref().unwrap()));
    assert_eq!(server.cli(&["EXISTS", &store.lock_key(&key("acct"))]), "0", "the lease was given back");
    // Another process, reading the store, renews with the rotated token.
    let other = RefreshingTokenSource::builder(oauth(e)).store(Arc::new(store.clone()), "acct").build().unwrap();
    other.force_refresh().await.unwrap();
    assert_eq!(refreshes(e, 200), 2);
}

#[tokio::test]
async fn redis_paused_in_the_middle_of_a_refresh_loses_nothing() {
    let Some(server) = RedisServer::start() else { return };
    let e = Emulator::builder().auto_approve(true).start().await.unwrap();
    let store = RedisTokenStore::new(redis(&server));
    let (source, call) = refresh_held(&e, &store, "acct").await;

    server.pause();
    e.release_delayed();
    // The call goes on with the new access token while Redis is stalled.
    assert_eq!(call.await.unwrap().unwrap(), "emulator_user");
    assert_eq!(source.pending_saves(), 1, "the save waits for Redis");
    // Meanwhile Redis answers nothing: a fresh load fails, typed.
    let err = store.load(&key("acct")).await.unwrap_err();
    assert!(matches!(err, Error::TokenStore { .. }) && chain(&err).contains("no answer in time"), "{}", chain(&err));
    server.resume();
    family_survived(&e, &server, &store, &source).await;
}

#[tokio::test]
async fn redis_killed_and_restarted_in_the_middle_of_a_refresh_loses_nothing() {
    let Some(mut server) = RedisServer::start() else { return };
    let e = Emulator::builder().auto_approve(true).start().await.unwrap();
    let store = RedisTokenStore::new(redis(&server));
    let (source, call) = refresh_held(&e, &store, "acct").await;

    server.kill();
    e.release_delayed();
    assert_eq!(call.await.unwrap().unwrap(), "emulator_user");
    assert_eq!(source.pending_saves(), 1);
    let err = store.load(&key("acct")).await.unwrap_err();
    assert!(chain(&err).contains("cannot reach it"), "{}", chain(&err));
    // Back from its append-only file: the first set and the lease are there.
    server.restart();
    family_survived(&e, &server, &store, &source).await;
}

#[tokio::test]
async fn a_stalled_holder_whose_lease_ran_out_does_not_overwrite_a_newer_set() {
    let Some(server) = RedisServer::start() else { return };
    let e = Emulator::builder().start().await.unwrap();
    let spec = worker_spec(&e, &server, "app", "app", 600);
    let lease = RedisTokenStore::new(redis(&server)).lock_key(&key("app"));
    // A takes the lease and asks for a token, which the emulator holds;
    // then the process is stopped (SIGSTOP): it can renew nothing.
    hold_next_token_request(&e);
    let stalled = start_worker(&spec);
    wait_for("the held token request", || held_token_request(&e)).await;
    let signal = |sig: &str| {
        let ok = Command::new("kill").args([sig, &stalled.id().to_string()]).status().unwrap();
        assert!(ok.success());
    };
    signal("-STOP");
    wait_for("the stalled worker's lease to run out", || server.cli(&["EXISTS", &lease]) == "0").await;
    // B takes the free lease, gets a token and stores it (generation 1).
    assert_eq!(worker_says(start_worker(&spec)).await, "OK same=true");
    // A's answer arrives once it runs again: its write is refused, and it
    // uses B's set, the stored one.
    e.release_delayed();
    signal("-CONT");
    assert_eq!(worker_says(stalled).await, "OK same=true");
    let stored = RedisTokenStore::new(redis(&server)).load_versioned(&key("app")).await.unwrap().unwrap();
    assert_eq!(stored.generation, 1, "nothing was written over B's set");
    assert_eq!(e.token_requests(Some("client_credentials")), 2);
}

#[tokio::test]
async fn the_pool_is_lazy_and_fails_typed_without_redis() {
    let Some(server) = RedisServer::start() else { return };
    let e = Emulator::builder().start().await.unwrap();
    let base = Client::builder().config(config(&e)).build().unwrap();
    let pool =
        |url: &str| Clients::new(base.clone(), oauth(&e), Arc::new(RedisTokenStore::new(Redis::open(url).unwrap())));

    // Creating a thousand clients sends Redis nothing.
    let clients = pool(&server.url());
    let before = commands(&server);
    let many: Vec<Client> = (0..1000).map(|i| clients.for_account(&format!("user-{i}"))).collect();
    assert_eq!(commands(&server), before + 1, "only the INFO that counts them");
    // The clients of one account share one token source.
    assert!(Arc::ptr_eq(&clients.token_source("user-7"), &clients.token_source("user-7")));
    // The first call reads Redis: nothing stored, so not authenticated.
    let err = many[0].user_account().get().send().await.unwrap_err();
    assert!(matches!(err, Error::NotAuthenticated), "{err:?}");
    assert!(commands(&server) > before + 2);

    // Without a server the call fails with a typed error naming it, and
    // without the password of the URL.
    let gone = server.dir().join("nobody-here.sock");
    let url = format!("redis+unix://{}?pass=hunter2", gone.display());
    let err = pool(&url).for_account("user-1").user_account().get().send().await.unwrap_err();
    assert!(matches!(err, Error::TokenStore { .. }), "{err:?}");
    let text = chain(&err);
    assert!(
        text.contains("cannot reach it") && text.contains("nobody-here.sock") && !text.contains("hunter2"),
        "{text}"
    );
    assert_eq!(e.requests().len(), 0, "nothing reached Pinterest");
}

/// Commands the server has processed.
fn commands(server: &RedisServer) -> u64 {
    let info = server.cli(&["INFO", "stats"]);
    info.lines().find_map(|l| l.strip_prefix("total_commands_processed:")).unwrap().trim().parse().unwrap()
}

#[tokio::test]
async fn a_thousand_accounts_refresh_through_one_pool() {
    let Some(server) = RedisServer::start() else { return };
    let e = Emulator::builder().auto_approve(true).start().await.unwrap();
    let base = Client::builder().config(config(&e)).build().unwrap();
    let oauth = OAuth::builder(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
        .config(config(&e))
        .scopes([Scope::UserAccountsRead])
        .shared_transport(base.transport().clone())
        .build()
        .unwrap();
    let store = RedisTokenStore::new(redis(&server)).encrypt_with(EncryptionKey::generate());
    let browser = browser();
    // A thousand logins, each its own token family, stored expired.
    let accounts: Vec<String> = (0..1000).map(|i| format!("user-{i}")).collect();
    let logins = futures_util::stream::iter(accounts.iter().map(|a| {
        let (e, oauth, browser, store) = (&e, &oauth, &browser, &store);
        async move {
            let t = login(e, oauth, browser).await;
            store.save(&key(a), &expired(t)).await.unwrap();
        }
    }));
    futures_util::StreamExt::for_each_concurrent(logins, 32, |f| f).await;

    let clients = Clients::new(base, oauth, Arc::new(store.clone()));
    let calls = futures_util::stream::iter(accounts.iter().map(|a| {
        let client = clients.for_account(a);
        async move { client.user_account().get().send().await.map(|me| me.username) }
    }));
    let results: Vec<_> = futures_util::StreamExt::collect(futures_util::StreamExt::buffer_unordered(calls, 64)).await;
    assert_eq!(results.len(), 1000);
    for r in results {
        assert_eq!(r.unwrap().as_deref(), Some("emulator_user"));
    }
    assert_eq!(refreshes(&e, 200), 1000, "one refresh per account");
    let mut refresh_tokens = std::collections::HashSet::new();
    for a in &accounts {
        let v = store.load_versioned(&key(a)).await.unwrap().unwrap();
        assert_eq!(v.generation, 2, "{a}");
        refresh_tokens.insert(v.tokens.refresh_token.unwrap().expose_secret().to_owned());
    }
    assert_eq!(refresh_tokens.len(), 1000, "every account kept its own family");
}

/// A small deterministic generator for the equivalence test.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

#[tokio::test]
async fn the_redis_script_runs_the_same_window_as_the_rust_one() {
    let Some(server) = RedisServer::start() else { return };
    let limiter = RedisRateLimiter::new(redis(&server));
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..20 {
        let key = BudgetKey::new("app", format!("acct-{round}"), "org_read");
        let mut local = Window::default();
        let mut now = 1_800_000_000_000u64;
        let mut tickets: Vec<Ticket> = Vec::new();
        for step in 0..150 {
            now += rng.below(700);
            if rng.below(3) > 0 || tickets.is_empty() {
                let remote = limiter.acquire_at(&key, Some(now)).await.unwrap();
                let mine = local.acquire(now);
                assert_eq!(remote, mine, "round {round} step {step}");
                if let Grant::Go(t) = mine {
                    tickets.push(t);
                }
            } else {
                let ticket = tickets[rng.below(tickets.len() as u64) as usize];
                let limit = 3 + rng.below(5);
                let rejected = rng.below(8) == 0;
                let mut seen = Observation::headers(
                    (rng.below(6) > 0).then_some(limit),
                    (rng.below(6) > 0).then(|| rng.below(limit + 1)),
                    (rng.below(6) > 0).then(|| 1 + rng.below(3)),
                );
                if rejected {
                    seen = seen.rejected((rng.below(2) == 0).then(|| Duration::from_millis(500 + rng.below(2000))));
                }
                limiter.observe_at(&key, ticket, seen, Some(now)).await.unwrap();
                local.observe(ticket, seen, now);
            }
            assert_eq!(limiter.window(&key).await.unwrap(), Some(local), "round {round} step {step}");
        }
    }
}

/// Calls `user_account().get()` from `tasks` loops on each client until
/// `run` has passed; the successes.
async fn hammer(clients: &[Client], tasks: usize, run: Duration) -> usize {
    let end = tokio::time::Instant::now() + run;
    let mut set = tokio::task::JoinSet::new();
    for c in clients {
        for _ in 0..tasks {
            let c = c.clone();
            set.spawn(async move {
                let mut ok = 0;
                while tokio::time::Instant::now() < end {
                    match c.user_account().get().send().await {
                        Ok(_) => ok += 1,
                        Err(e) if e.is_rate_limited() => {}
                        Err(e) => panic!("{e}"),
                    }
                }
                ok
            });
        }
    }
    set.join_all().await.into_iter().sum()
}

fn rejected(e: &EmulatorHandle) -> usize {
    e.requests().iter().filter(|r: &&LoggedRequest| r.status == 429).count()
}

/// A client of its own (own connections) sending `token`, never retrying.
fn budget_client(e: &EmulatorHandle, token: &AccessToken, limiter: Option<Arc<dyn RateLimiter>>) -> Client {
    let config = config_builder(e).retry(RetryPolicy::never()).build().unwrap();
    let mut b = Client::builder().config(config).access_token(token.clone());
    if let Some(l) = limiter {
        b = b.rate_limiter(l);
    }
    b.build().unwrap()
}

/// Three "workers": clients sending `token`, each with a Redis limiter of
/// its own (own connection) on the keys under `prefix`.
fn redis_workers(e: &EmulatorHandle, server: &RedisServer, token: &AccessToken, prefix: &str) -> Vec<Client> {
    (0..3)
        .map(|_| {
            let limiter: Arc<dyn RateLimiter> = Arc::new(RedisRateLimiter::new(redis(server)).prefix(prefix));
            budget_client(e, token, Some(limiter))
        })
        .collect()
}

#[tokio::test]
async fn rate_limiters_never_send_more_than_the_budget() {
    let Some(server) = RedisServer::start() else { return };
    // Ten calls per two-second window for the category of user_account/get.
    let limits = RateLimits::new(Duration::from_secs(2)).limit("org_read", 10);
    let e = Emulator::builder().rate_limits(limits).start().await.unwrap();
    let token = AccessToken::new(e.issue_token(&["user_accounts:read"]));

    // Without a limiter the same load runs into 429s: the budget is real.
    let plain = [budget_client(&e, &token, None)];
    hammer(&plain, 8, Duration::from_millis(500)).await;
    assert!(rejected(&e) > 0, "the load is over the budget");

    // One limiter in this process, shared by two clients.
    e.reset();
    let token = AccessToken::new(e.issue_token(&["user_accounts:read"]));
    let shared: Arc<dyn RateLimiter> = Arc::new(InProcessLimiter::new());
    let two = [budget_client(&e, &token, Some(shared.clone())), budget_client(&e, &token, Some(shared))];
    let ok = hammer(&two, 8, Duration::from_secs(5)).await;
    assert_eq!(rejected(&e), 0, "no call was sent over the budget");
    assert!(ok > 10, "calls went on in later windows ({ok})");

    // Three "workers", each with its own Redis limiter, share one budget.
    e.reset();
    let token = AccessToken::new(e.issue_token(&["user_accounts:read"]));
    let workers = redis_workers(&e, &server, &token, "budget-test:");
    let ok = hammer(&workers, 6, Duration::from_secs(5)).await;
    assert_eq!(rejected(&e), 0, "no call was sent over the shared budget");
    assert!(ok > 10, "calls went on in later windows ({ok})");

    // Asked not to wait, a call over budget fails at once, unsent.
    e.reset();
    let token = AccessToken::new(e.issue_token(&["user_accounts:read"]));
    let config = config_builder(&e).retry(RetryPolicy::never()).wait_for_budget(false).build().unwrap();
    let eager = Client::builder()
        .config(config)
        .access_token(token)
        .rate_limiter(Arc::new(InProcessLimiter::new()))
        .build()
        .unwrap();
    for _ in 0..10 {
        eager.user_account().get().send().await.unwrap();
    }
    let sent = e.requests().len();
    let err = eager.user_account().get().send().await.unwrap_err();
    match &err {
        Error::BudgetExhausted { category, reset_in, .. } => {
            assert_eq!(*category, "org_read");
            assert!(*reset_in <= Duration::from_secs(2));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_rate_limited() && err.retry_after().is_some());
    assert_eq!(e.requests().len(), sent, "nothing was sent");
}

#[tokio::test]
async fn a_limiter_without_redis_fails_the_call_typed() {
    let e = Emulator::builder().start().await.unwrap();
    let token = AccessToken::new(e.issue_token(&["user_accounts:read"]));
    let dir = tempfile::tempdir().unwrap();
    let url = format!("redis+unix://{}", dir.path().join("none.sock").display());
    let limiter: Arc<dyn RateLimiter> = Arc::new(RedisRateLimiter::new(Redis::open(&url).unwrap()));
    let err = budget_client(&e, &token, Some(limiter)).user_account().get().send().await.unwrap_err();
    assert!(matches!(err, Error::RateLimiter { .. }), "{err:?}");
    assert!(chain(&err).contains("cannot reach it"), "{}", chain(&err));
    assert_eq!(e.requests().len(), 0);
}

#[tokio::test]
async fn tls_and_acl_users_come_from_the_url() {
    let Some(plain) = RedisServer::start() else { return };
    drop(plain);
    let dir = tempfile::tempdir().unwrap();
    let certs = pinterest_test_support::TestCertificates::make(dir.path());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port().to_string();
    let (cert, key_file, ca) = (certs.path("server.pem"), certs.path("server.key"), certs.path("ca.pem"));
    let Some(server) = RedisServer::start_with(&[
        "--tls-port",
        &port,
        "--tls-cert-file",
        &cert,
        "--tls-key-file",
        &key_file,
        "--tls-ca-cert-file",
        &ca,
        "--tls-auth-clients",
        "no",
        "--user",
        "worker",
        "on",
        ">s3cret-pass",
        "~*",
        "+@all",
    ]) else {
        return;
    };
    let root = certs.read("ca.pem");
    let open = |user: &str| {
        Redis::builder(format!("rediss://{user}@localhost:{port}/0"))
            .tls_root_certificate(root.clone())
            .build()
            .unwrap()
    };
    let store = RedisTokenStore::new(open("worker:s3cret-pass"));
    let set = TokenSet::from_access_token(AccessToken::new("pina_tls"));
    store.save(&key("t"), &set).await.unwrap();
    assert_eq!(store.load(&key("t")).await.unwrap().unwrap().access_token.expose_secret(), "pina_tls");
    assert_eq!(
        server.cli(&[
            "--user",
            "worker",
            "--pass",
            "s3cret-pass",
            "--no-auth-warning",
            "EXISTS",
            &store.tokens_key(&key("t"))
        ]),
        "1"
    );
    // A wrong password is a typed error that does not repeat it.
    let wrong = RedisTokenStore::new(open("worker:not-the-pass"));
    let err = wrong.load(&key("t")).await.unwrap_err();
    assert!(matches!(err, Error::TokenStore { .. }));
    assert!(!chain(&err).contains("not-the-pass"), "{}", chain(&err));
    // Without the CA the server's certificate is not trusted.
    let untrusted =
        RedisTokenStore::new(Redis::open(&format!("rediss://worker:s3cret-pass@localhost:{port}")).unwrap());
    assert!(untrusted.load(&key("t")).await.is_err());
}

#[tokio::test]
async fn a_shared_budget_of_one_second_windows_holds_too() {
    let Some(server) = RedisServer::start() else { return };
    let limits = RateLimits::new(Duration::from_secs(1)).limit("org_read", 5);
    let e = Emulator::builder().rate_limits(limits).start().await.unwrap();
    let token = AccessToken::new(e.issue_token(&["user_accounts:read"]));
    let workers = redis_workers(&e, &server, &token, "one-second:");
    let ok = hammer(&workers, 4, Duration::from_secs(4)).await;
    assert_eq!(rejected(&e), 0, "no call was sent over the shared budget");
    assert!(ok > 5, "calls went on in later windows ({ok})");
}

#[tokio::test]
async fn a_caller_that_gives_up_mid_refresh_does_not_lose_the_rotated_set() {
    let Some(server) = RedisServer::start() else { return };
    let e = Emulator::builder().auto_approve(true).start().await.unwrap();
    let store = RedisTokenStore::new(redis(&server));
    let (source, call) = refresh_held(&e, &store, "acct").await;
    // The caller stops waiting while Pinterest holds the refresh.
    call.abort();
    assert!(call.await.unwrap_err().is_cancelled());
    // Pinterest answers anyway: the renewal, in its own task, saves it.
    e.release_delayed();
    let stored_key = store.tokens_key(&key("acct"));
    wait_for("the rotated set in Redis", || server.cli(&["HGET", &stored_key, "g"]) == "2").await;
    family_survived(&e, &server, &store, &source).await;
}

#[tokio::test]
async fn a_logout_during_a_refresh_stays_a_logout() {
    let Some(server) = RedisServer::start() else { return };
    let e = Emulator::builder().auto_approve(true).start().await.unwrap();
    let store = RedisTokenStore::new(redis(&server));
    let (source, call) = refresh_held(&e, &store, "acct").await;
    // The account is disconnected while its refresh is out.
    store.clear(&key("acct")).await.unwrap();
    e.release_delayed();
    let err = call.await.unwrap().unwrap_err();
    assert!(matches!(err, Error::NotAuthenticated), "{err:?}");
    assert!(store.load(&key("acct")).await.unwrap().is_none(), "the renewed set was not written back");
    assert!(source.tokens().await.is_err());
    assert_eq!(source.pending_saves(), 0);
}

#[tokio::test]
async fn a_redis_that_lost_its_data_mid_refresh_gets_the_rotated_set_again() {
    let Some(server) = RedisServer::start() else { return };
    let e = Emulator::builder().auto_approve(true).start().await.unwrap();
    let store = RedisTokenStore::new(redis(&server));
    let (source, call) = refresh_held(&e, &store, "acct").await;
    // Everything is gone (a restart without its append-only file).
    server.cli(&["FLUSHALL"]);
    e.release_delayed();
    assert_eq!(call.await.unwrap().unwrap(), "emulator_user");
    let stored = store.load_versioned(&key("acct")).await.unwrap().expect("written again");
    let in_memory = source.tokens().await.unwrap();
    assert!(stored.tokens.refresh_token.unwrap().ct_eq(in_memory.refresh_token.as_ref().unwrap()));
}

#[tokio::test]
async fn clients_of_different_users_on_one_limiter_keep_their_own_budgets() {
    let e = Emulator::builder().start().await.unwrap();
    let limiter: Arc<dyn RateLimiter> = Arc::new(InProcessLimiter::new());
    let token = AccessToken::new(e.issue_token(&["user_accounts:read"]));
    let of = |account: &str| {
        Client::builder()
            .config(config(&e))
            .access_token(token.clone())
            .rate_limiter(limiter.clone())
            .budget_account(account)
            .build()
            .unwrap()
    };
    assert_eq!(of("alice").budget_key("org_read"), BudgetKey::new("", "alice", "org_read"));
    assert_ne!(of("alice").budget_key("org_read"), of("bob").budget_key("org_read"));
    // A pool's clients are keyed by the app and their account.
    let pool = Clients::new(of("x"), oauth(&e), Arc::new(pinterest_sdk::auth::MemoryTokenStore::new()));
    assert_eq!(pool.for_account("carol").budget_key("ads_read"), BudgetKey::new(DEMO_CLIENT_ID, "carol", "ads_read"));
}
