//! Fleet figures: worker processes sharing token families and rate budgets
//! through one Redis, against the emulator in-process.
//!
//! `fleet_bench` (the driver) starts the emulator and a redis-server, spawns 4
//! copies of itself as `fleet_bench worker <json>`, lets them go at once and
//! prints two lines:
//!
//! - `fleet refresh: ...`: 4 × 250 calls at once on an expired token set
//!   stored in Redis; the emulator should see exactly one refresh;
//! - `fleet budget: ...`: 4 × 16 loops of calls on one budget of 600 calls
//!   a minute for 70 s, each worker with the Redis rate limiter; there
//!   should be no 429 and both windows used in full.
//!
//! Diagnostics go to stderr; stdout is the two lines.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use http::StatusCode;
use pinterest_emulator::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Emulator, RateLimits};
use pinterest_sdk::auth::{TokenKey, TokenSet, TokenStore};
use pinterest_sdk::fleet::{Clients, Redis, RedisRateLimiter, RedisTokenStore};
use pinterest_sdk::oauth::{OAuth, Scope};
use pinterest_sdk::retry::RetryPolicy;
use pinterest_sdk::secret::AccessToken;
use pinterest_sdk::{Client, Config};
use pinterest_test_support::RedisServer;
use serde_json::{Value, json};
use tokio::task::JoinSet;

const WORKERS: usize = 4;
/// Calls each worker starts at once in the refresh figure.
const REFRESH_CALLS: usize = 250;
/// The account the refresh figure's token set is stored under.
const ACCOUNT: &str = "bench";
/// The emulator's `org_read` budget per window in the budget figure.
const BUDGET: u64 = 600;
const WINDOW: Duration = Duration::from_secs(60);
/// Concurrent loops per worker in the budget figure.
const LOOPS: usize = 16;
/// How long the budget figure runs: a little more than one window, so
/// the second window is reached and spent.
const BUDGET_SECONDS: u64 = 70;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        None => driver(),
        Some("worker") => match args.get(1) {
            Some(job) => worker(job),
            None => Err(anyhow::anyhow!("usage: fleet worker <json>")),
        },
        Some(other) => Err(anyhow::anyhow!("unknown argument {other}; usage: fleet [worker <json>]")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fleet: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?)
}

fn config(base: &str) -> pinterest_sdk::config::ConfigBuilder {
    Config::builder().api_host(base).oauth_host(base)
}

fn redis(url: &str) -> Result<Redis> {
    // A loaded 2-core machine can be slow to answer; the default 2 s is tight.
    Ok(Redis::builder(url).response_timeout(Duration::from_secs(10)).build()?)
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

// ---------------------------------------------------------------- driver

fn driver() -> Result<()> {
    pinterest_sdk::internal::install_crypto_provider();
    let started = Instant::now();
    let rt = runtime()?;
    // The tests' own server: a unix socket in a directory of its own, with
    // the append-only file fsynced on every write, as the README asks.
    let redis = RedisServer::start().context("no redis-server (cargo xtask bench --fleet installs Debian's)")?;
    eprintln!("fleet: redis-server at {}", redis.url());
    let refresh = refresh_figure(&rt, &redis)?;
    let budget = budget_figure(&rt, &redis)?;
    eprintln!("fleet: done in {:.1} s", started.elapsed().as_secs_f64());
    println!("{refresh}");
    println!("{budget}");
    Ok(())
}

/// Logs in through the emulator's consent page (auto-approved) and returns
/// the token set, refresh token included.
async fn login(base: &str) -> Result<TokenSet> {
    let oauth = OAuth::builder(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
        .config(config(base).build()?)
        .scopes([Scope::UserAccountsRead])
        .pkce(true)
        .build()?;
    let (url, pending) = oauth.authorization_url();
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let answer = browser.get(url.as_str()).send().await?;
    let redirect = answer
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .context("the consent page did not redirect")?
        .to_owned();
    Ok(oauth.exchange_redirect(&pending, &redirect).await?)
}

fn refresh_figure(rt: &tokio::runtime::Runtime, redis: &RedisServer) -> Result<String> {
    let e = rt.block_on(Emulator::builder().auto_approve(true).start())?;
    let base = e.base_url();
    let mut tokens = rt.block_on(login(&base))?;
    if tokens.refresh_token.is_none() {
        bail!("the login gave no refresh token");
    }
    // Expired an hour ago: every call must wait for a refresh.
    tokens.expires_at = Some(unix_now().saturating_sub(3600));
    let store = RedisTokenStore::new(self::redis(&redis.url())?);
    rt.block_on(store.save(&TokenKey::new(DEMO_CLIENT_ID, ACCOUNT), &tokens))?;

    let before = e.token_requests(Some("refresh_token"));
    let job = json!({"mode": "refresh", "redis": redis.url(), "base": base});
    let reports = run_workers(&job)?;
    let token_requests = e.token_requests(Some("refresh_token")) - before;
    let calls: u64 = reports.iter().map(|r| r["ok"].as_u64().unwrap_or(0)).sum();
    let refreshes: Vec<u64> = reports.iter().map(|r| r["refreshes"].as_u64().unwrap_or(0)).collect();
    let took: Vec<u64> = reports.iter().map(|r| r["elapsed_ms"].as_u64().unwrap_or(0)).collect();
    eprintln!("fleet: refresh: token requests made by each worker {refreshes:?}, its calls took {took:?} ms");
    rt.block_on(e.shutdown());
    Ok(format!("fleet refresh: processes={WORKERS} calls={calls} token_requests={token_requests}"))
}

fn budget_figure(rt: &tokio::runtime::Runtime, redis: &RedisServer) -> Result<String> {
    let limits = RateLimits::new(WINDOW).limit("org_read", u32::try_from(BUDGET)?);
    let e = rt.block_on(Emulator::builder().rate_limits(limits).start())?;
    let token = e.issue_token(&["user_accounts:read"]);
    let opened_before = e.rate_windows_opened();
    let seq_before = e.requests().iter().map(|r| r.seq).max();
    // A key prefix of this run's own, so no earlier budget is in the way.
    let prefix = format!("fleet-{}-{}:", std::process::id(), unix_now());
    let job = json!({
        "mode": "budget",
        "redis": redis.url(),
        "base": e.base_url(),
        "token": token,
        "prefix": prefix,
        "seconds": BUDGET_SECONDS,
        "loops": LOOPS,
    });
    let reports = run_workers(&job)?;
    let windows = e.rate_windows_opened() - opened_before;
    let sum = |key: &str| -> u64 { reports.iter().map(|r| r[key].as_u64().unwrap_or(0)).sum() };
    let (calls, workers_429, errors) = (sum("ok"), sum("rate_limited"), sum("errors"));
    let log: Vec<_> = e
        .requests()
        .into_iter()
        .filter(|r| seq_before.is_none_or(|s| r.seq > s) && r.path == "/v5/user_account")
        .collect();
    let log_ok = log.iter().filter(|r| r.status == 200).count() as u64;
    let log_429 = log.iter().filter(|r| r.status == 429).count() as u64;
    eprintln!(
        "fleet: budget: workers saw {calls} ok, {workers_429} 429s, {errors} other errors; \
         the emulator logged {log_ok} ok, {log_429} 429s; {windows} windows opened"
    );
    if calls != log_ok || workers_429 != log_429 {
        eprintln!("fleet: budget: the workers' counts and the emulator's log differ; the log's 429s are printed");
    }
    if windows == 0 {
        bail!("the emulator opened no rate window: no call reached it");
    }
    let used = calls as f64 / (BUDGET * windows) as f64 * 100.0;
    rt.block_on(e.shutdown());
    Ok(format!("fleet budget: processes={WORKERS} calls={calls} 429s={log_429} budget_use={used:.0}%"))
}

/// The running workers; any still running when this is dropped are killed.
struct Workers(Vec<Child>);

impl Drop for Workers {
    fn drop(&mut self) {
        for child in &mut self.0 {
            if matches!(child.try_wait(), Ok(None)) {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
    }
}

fn read_line(from: &mut BufReader<ChildStdout>, what: &str) -> Result<String> {
    let mut line = String::new();
    if from.read_line(&mut line)? == 0 {
        bail!("a worker exited before {what}");
    }
    Ok(line.trim().to_owned())
}

/// Starts the workers on `job`, waits until each is ready, lets them all
/// go at once, and returns their reports.
fn run_workers(job: &Value) -> Result<Vec<Value>> {
    let exe = std::env::current_exe()?;
    let mut workers = Workers(Vec::new());
    let mut pipes: Vec<(ChildStdin, BufReader<ChildStdout>)> = Vec::new();
    for _ in 0..WORKERS {
        let mut child = Command::new(&exe)
            .arg("worker")
            .arg(job.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("cannot start {}", exe.display()))?;
        let stdin = child.stdin.take().context("worker stdin")?;
        let stdout = child.stdout.take().context("worker stdout")?;
        workers.0.push(child);
        pipes.push((stdin, BufReader::new(stdout)));
    }
    for (_, out) in &mut pipes {
        let line = read_line(out, "it was ready")?;
        if line != "ready" {
            bail!("a worker said {line:?} instead of ready");
        }
    }
    for (stdin, _) in &mut pipes {
        stdin.write_all(b"go\n")?;
        stdin.flush()?;
    }
    let mut reports = Vec::new();
    for (_, out) in &mut pipes {
        let line = read_line(out, "its report")?;
        reports.push(serde_json::from_str::<Value>(&line).with_context(|| format!("a worker reported {line:?}"))?);
    }
    for child in &mut workers.0 {
        let status = child.wait()?;
        if !status.success() {
            bail!("a worker ended with {status}");
        }
    }
    for r in &reports {
        if let Some(e) = r["first_error"].as_str() {
            eprintln!("fleet: a worker's first error: {e}");
        }
    }
    Ok(reports)
}

// ---------------------------------------------------------------- worker

/// What one worker counted.
#[derive(Default)]
struct Tally {
    ok: u64,
    rate_limited: u64,
    errors: u64,
    first_error: Option<String>,
}

impl Tally {
    fn add(&mut self, result: pinterest_sdk::Result<impl Sized>) {
        match result {
            Ok(_) => self.ok += 1,
            Err(e) if e.status() == Some(StatusCode::TOO_MANY_REQUESTS) => self.rate_limited += 1,
            Err(e) => {
                self.errors += 1;
                self.first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }

    fn merge(&mut self, other: Tally) {
        self.ok += other.ok;
        self.rate_limited += other.rate_limited;
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    fn report(&self, extra: Value) -> Value {
        let mut v = json!({
            "ok": self.ok,
            "rate_limited": self.rate_limited,
            "errors": self.errors,
            "first_error": self.first_error,
        });
        if let (Some(v), Value::Object(extra)) = (v.as_object_mut(), extra) {
            v.extend(extra);
        }
        v
    }
}

fn field<'a>(job: &'a Value, key: &str) -> Result<&'a str> {
    job[key].as_str().with_context(|| format!("the job has no {key}"))
}

/// Sets up, says `ready`, waits for `go` on stdin, runs, prints its report.
fn worker(job: &str) -> Result<()> {
    pinterest_sdk::internal::install_crypto_provider();
    let job: Value = serde_json::from_str(job).context("the job is not JSON")?;
    let rt = runtime()?;
    let report = match field(&job, "mode")? {
        "refresh" => {
            let clients = rt.block_on(refresh_setup(&job))?;
            wait_for_go()?;
            rt.block_on(refresh_run(&clients))
        }
        "budget" => {
            let client = rt.block_on(budget_setup(&job))?;
            wait_for_go()?;
            let seconds = job["seconds"].as_u64().unwrap_or(BUDGET_SECONDS);
            let loops = job["loops"].as_u64().and_then(|n| usize::try_from(n).ok()).unwrap_or(LOOPS);
            rt.block_on(budget_run(&client, loops, Duration::from_secs(seconds)))
        }
        other => bail!("unknown mode {other}"),
    };
    let mut out = std::io::stdout().lock();
    writeln!(out, "{report}")?;
    out.flush()?;
    Ok(())
}

fn wait_for_go() -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready")?;
    out.flush()?;
    drop(out);
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    if line.trim() != "go" {
        bail!("expected go on stdin, got {line:?}");
    }
    Ok(())
}

async fn refresh_setup(job: &Value) -> Result<Clients> {
    let base_url = field(job, "base")?;
    let config = config(base_url).build()?;
    let base = Client::builder().config(config.clone()).build()?;
    let oauth = OAuth::builder(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
        .config(config)
        .scopes([Scope::UserAccountsRead])
        .shared_transport(base.transport().clone())
        .build()?;
    let store = RedisTokenStore::new(redis(field(job, "redis")?)?).lease(Duration::from_secs(10));
    // Connect to Redis now, so the run starts on an open connection.
    store.load(&TokenKey::new(DEMO_CLIENT_ID, ACCOUNT)).await?.context("no token set stored for the bench")?;
    Ok(Clients::new(base, oauth, Arc::new(store)))
}

async fn refresh_run(clients: &Clients) -> Value {
    let started = Instant::now();
    // Held, so that every client below gets this source and it can be
    // asked afterwards how many refreshes it made.
    let source = clients.token_source(ACCOUNT);
    let all: Vec<Client> = (0..REFRESH_CALLS).map(|_| clients.for_account(ACCOUNT)).collect();
    let mut tasks = JoinSet::new();
    for c in all {
        tasks.spawn(async move { c.user_account().get().send().await });
    }
    let mut tally = Tally::default();
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(result) => tally.add(result),
            Err(e) => {
                tally.errors += 1;
                tally.first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    tally.report(json!({"refreshes": source.refresh_count(), "elapsed_ms": elapsed_ms}))
}

async fn budget_setup(job: &Value) -> Result<Client> {
    let limiter = RedisRateLimiter::new(redis(field(job, "redis")?)?).prefix(field(job, "prefix")?);
    let config = config(field(job, "base")?).retry(RetryPolicy::never()).build()?;
    let client = Client::builder()
        .config(config)
        .access_token(AccessToken::new(field(job, "token")?))
        .rate_limiter(Arc::new(limiter.clone()))
        .build()?;
    // Connect to Redis now (reading the budget changes nothing).
    limiter.window(&client.budget_key("org_read")).await?;
    Ok(client)
}

async fn budget_run(client: &Client, loops: usize, run_for: Duration) -> Value {
    let deadline = tokio::time::Instant::now() + run_for;
    let mut tasks = JoinSet::new();
    for _ in 0..loops {
        let c = client.clone();
        tasks.spawn(async move {
            let mut tally = Tally::default();
            while tokio::time::Instant::now() < deadline {
                // A call still waiting for the budget at the deadline is dropped.
                let Ok(result) = tokio::time::timeout_at(deadline, c.user_account().get().send()).await else {
                    break;
                };
                let failed = result.is_err();
                tally.add(result);
                if failed {
                    // No tight loop on errors.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
            tally
        });
    }
    let mut total = Tally::default();
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(t) => total.merge(t),
            Err(e) => {
                total.errors += 1;
                total.first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    total.report(json!({}))
}
