//! Many accounts on Redis: connects several accounts, keeps their tokens in
//! Redis, and serves them all from one pool of clients that share one
//! connection pool and one set of rate budgets:
//! `cargo run -p pinterest-examples --bin fleet -- [--accounts N]`.
//!
//! Redis is `PINTEREST_REDIS_URL` (default `redis://127.0.0.1:6379/`); for a
//! local one, `redis-server --appendonly yes --appendfsync always`. The
//! example's keys live under a prefix of their own, and the token sets it
//! stored are deleted at the end.

use std::sync::Arc;

use futures_util::StreamExt;
use pinterest_examples::{Result, Target, approve};
use pinterest_sdk::Client;
use pinterest_sdk::auth::{TokenKey, TokenStore};
use pinterest_sdk::fleet::{Clients, Redis, RedisRateLimiter, RedisTokenStore};
use pinterest_sdk::oauth::{OAuth, Scope};

#[tokio::main]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let mut accounts = 20usize;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--accounts" => accounts = args.next().ok_or("--accounts needs a number")?.parse()?,
            other => return Err(format!("unknown argument {other} (--accounts N)").into()),
        }
    }
    let target = Target::from_env().await?;
    let url = std::env::var("PINTEREST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into());
    let redis = Redis::open(&url)?;
    let prefix = format!("pinterest-example:{:x}:", rand::random::<u32>());
    let store = Arc::new(RedisTokenStore::new(redis.clone()).prefix(prefix.clone()));
    let names: Vec<String> = (1..=accounts).map(|i| format!("user-{i}")).collect();

    // 1. Each account connects once ("Connect Pinterest"), and its tokens go
    //    to Redis under (app, account).
    let oauth = target.oauth(&[Scope::UserAccountsRead])?;
    for name in &names {
        let (url, pending) = oauth.authorization_url();
        let tokens = oauth.exchange_redirect(&pending, &approve(&url).await?).await?;
        store.save(&TokenKey::new(oauth.client_id(), name.as_str()), &tokens).await?;
    }
    println!("Connected {accounts} accounts; their tokens are in Redis under {prefix}");

    // 2. Any worker, any time later: one pool, one client per account, one
    //    connection pool and one limiter for all of them.
    let base = Client::builder()
        .config(target.config.clone())
        .rate_limiter(Arc::new(RedisRateLimiter::new(redis).prefix(prefix.clone())))
        .build()?;
    let oauth = OAuth::builder(target.app_id.as_str(), target.app_secret.as_str())
        .config(target.config.clone())
        .shared_transport(base.transport().clone())
        .build()?;
    let clients = Clients::new(base, oauth, store.clone());
    let calls = futures_util::stream::iter(names.iter().map(|name| {
        let client = clients.for_account(name);
        async move { client.user_account().get().send().await }
    }));
    let answers: Vec<_> = calls.buffer_unordered(16).collect().await;
    let ok = answers.iter().filter(|a| a.is_ok()).count();
    println!("{ok} of {accounts} calls answered, each with its account's own token");
    if let Some(e) = answers.into_iter().find_map(|a| a.err()) {
        return Err(e.into());
    }

    // 3. Renew every account's tokens: the rotated refresh token replaces
    //    the old one in Redis before it is used.
    for name in &names {
        clients.token_source(name).force_refresh().await?;
    }
    let key = TokenKey::new(clients.oauth().client_id(), names[0].as_str());
    let generation = store.load_versioned(&key).await?.map_or(0, |v| v.generation);
    println!("Refreshed every account once; {} is at generation {generation} in Redis", names[0]);

    for name in &names {
        store.clear(&TokenKey::new(clients.oauth().client_id(), name.as_str())).await?;
    }
    println!("Removed the example's token sets from Redis");
    Ok(())
}
