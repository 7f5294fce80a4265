//! The refresh storm: 1,000 concurrent calls on an expired access token,
//! against the emulator. Prints one JSON line: how many token requests the
//! emulator received (the target is exactly one) and the latency of the
//! calls next to the same calls on a fresh token.

use std::sync::Arc;
use std::time::{Duration, Instant};

use pinterest_emulator::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Emulator};
use pinterest_sdk::auth::{MemoryTokenStore, RefreshingTokenSource, TokenSet};
use pinterest_sdk::oauth::{OAuth, Scope};
use pinterest_sdk::{Client, Config};

const CALLS: usize = 1000;

async fn burst(client: &Client) -> Result<Vec<Duration>, String> {
    let tasks: Vec<_> = (0..CALLS)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move {
                let t = Instant::now();
                c.user_account().get().send().await.map(|_| t.elapsed()).map_err(|e| e.to_string())
            })
        })
        .collect();
    let mut out = Vec::with_capacity(CALLS);
    for t in tasks {
        out.push(t.await.map_err(|e| e.to_string())??);
    }
    Ok(out)
}

async fn run() -> Result<(), String> {
    pinterest_sdk::internal::install_crypto_provider();
    let e = Emulator::builder().auto_approve(true).start().await.map_err(|e| e.to_string())?;
    let config =
        Config::builder().api_host(&e.base_url()).oauth_host(&e.base_url()).build().map_err(|e| e.to_string())?;
    let oauth = OAuth::builder(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
        .config(config.clone())
        .scopes([Scope::UserAccountsRead])
        .build()
        .map_err(|e| e.to_string())?;
    let (url, pending) = oauth.authorization_url();
    let browser =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().map_err(|e| e.to_string())?;
    let consent = browser.get(url.as_str()).send().await.map_err(|e| e.to_string())?;
    let redirect = consent.headers().get("location").and_then(|v| v.to_str().ok()).ok_or("no redirect")?.to_owned();
    let tokens: TokenSet = oauth.exchange_redirect(&pending, &redirect).await.map_err(|e| e.to_string())?;

    let source = |t: TokenSet| -> Result<Arc<RefreshingTokenSource>, String> {
        Ok(Arc::new(
            RefreshingTokenSource::builder(oauth.clone())
                .tokens(t)
                .store(Arc::new(MemoryTokenStore::new()), "storm")
                .build()
                .map_err(|e| e.to_string())?,
        ))
    };
    // Baseline: the same burst on a fresh token.
    let fresh = Client::builder()
        .config(config.clone())
        .token_source(source(tokens.clone())?)
        .build()
        .map_err(|e| e.to_string())?;
    // A first burst opens the connections; the second is the baseline.
    burst(&fresh).await?;
    let mut baseline = burst(&fresh).await?;
    // The storm: the token expired a moment ago.
    let mut expired = tokens;
    expired.expires_at = Some(expired.received_at.saturating_sub(1));
    let before = e.token_requests(Some("refresh_token"));
    // Same transport, so the storm finds the connections warm too.
    let storm_client = Client::builder()
        .config(config)
        .transport(fresh.transport().clone())
        .token_source(source(expired)?)
        .build()
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let mut storm = burst(&storm_client).await?;
    let storm_total = started.elapsed();
    let token_requests = e.token_requests(Some("refresh_token")) - before;
    let b = pinterest_bench::percentiles(&mut baseline);
    let s = pinterest_bench::percentiles(&mut storm);
    println!(
        "{}",
        serde_json::json!({
            "calls": CALLS,
            "token_requests": token_requests,
            "storm_total_ms": storm_total.as_secs_f64() * 1e3,
            "storm_p50_ms": s.p50.as_secs_f64() * 1e3,
            "storm_p99_ms": s.p99.as_secs_f64() * 1e3,
            "baseline_p50_ms": b.p50.as_secs_f64() * 1e3,
            "baseline_p99_ms": b.p99.as_secs_f64() * 1e3,
        })
    );
    e.shutdown().await;
    Ok(())
}

fn main() {
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bench-storm: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = rt.block_on(run()) {
        eprintln!("bench-storm: {e}");
        std::process::exit(1);
    }
}
