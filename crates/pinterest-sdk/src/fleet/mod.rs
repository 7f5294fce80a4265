//! Many accounts, many workers: one client per connected account, cheaply,
//! with token families and rate budgets shared across processes.
//!
//! A service that connects thousands of Pinterest accounts keeps one
//! [`Clients`] pool per app. [`Clients::for_account`] hands out a
//! [`Client`] for one account: it shares the pool's transport (and its
//! connections), configuration and rate limiter, and takes its tokens from a
//! [`RefreshingTokenSource`] reading the pool's keyed [`TokenStore`].
//! Creating one does no I/O: the store is read on the account's first call.
//!
//! With the `redis` feature, [`RedisTokenStore`] and [`RedisRateLimiter`]
//! let every worker on every machine share:
//! - **token families**: a refresh takes a lease in Redis (`SET NX PX` with
//!   a random owner, released by a compare-and-delete script), re-reads the
//!   stored set, refreshes only if it is still stale, and saves the rotated
//!   set fenced on its generation before giving the lease back; a worker
//!   that dies holding the lease blocks the others for at most the lease;
//! - **rate budgets**: the limiter's window of each (app, account,
//!   category) lives in Redis and is updated by atomic scripts.
//!
//! ```no_run
//! # #[cfg(feature = "redis")]
//! # async fn demo() -> pinterest_sdk::Result<()> {
//! use std::sync::Arc;
//! use pinterest_sdk::{Client, oauth::OAuth};
//! use pinterest_sdk::fleet::{Clients, Redis, RedisRateLimiter, RedisTokenStore};
//!
//! let redis = Redis::open("rediss://worker:secret@redis.internal:6380/0")?;
//! let base = Client::builder().rate_limiter(Arc::new(RedisRateLimiter::new(redis.clone()))).build()?;
//! let oauth = OAuth::builder("1234567890", "app secret").shared_transport(base.transport().clone()).build()?;
//! let clients = Clients::new(base, oauth, Arc::new(RedisTokenStore::new(redis)));
//!
//! let me = clients.for_account("user-42").user_account().get().send().await?;
//! # let _ = me; Ok(()) }
//! ```
//!
//! See the README's "Running many workers" for the Redis settings that keep
//! a rotated token from ever being lost.

#[cfg(feature = "redis")]
mod redis;

#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use self::redis::{EncryptionKey, Redis, RedisBuilder, RedisRateLimiter, RedisTokenStore};

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use crate::Client;
use crate::auth::{RefreshingTokenSource, TokenStore};
use crate::oauth::OAuth;

/// One [`Client`] per account, all sharing one transport, configuration,
/// rate limiter and token store. Cheap to clone.
#[derive(Clone)]
pub struct Clients {
    inner: Arc<Pool>,
}

struct Pool {
    base: Client,
    oauth: OAuth,
    store: Arc<dyn TokenStore>,
    leeway: Duration,
    /// The live token source of each account, so that the clients of one
    /// account in this process refresh once between them.
    sources: Mutex<HashMap<String, Weak<RefreshingTokenSource>>>,
    /// Renewed sets of any account still being saved.
    pending: Arc<tokio::sync::watch::Sender<usize>>,
}

impl fmt::Debug for Clients {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Clients")
            .field("base", &self.inner.base)
            .field("app", &self.inner.oauth.client_id())
            .field("accounts", &self.inner.sources.lock().map(|s| s.len()).unwrap_or_default())
            .finish_non_exhaustive()
    }
}

impl Clients {
    /// A pool whose clients are copies of `base` (its transport, its
    /// configuration, its rate limiter) with tokens from `store`, renewed
    /// through `oauth`. Build `oauth` with
    /// [`shared_transport(base.transport().clone())`](crate::oauth::OAuthBuilder::shared_transport)
    /// so that token requests use the same connections too.
    pub fn new(base: Client, oauth: OAuth, store: Arc<dyn TokenStore>) -> Self {
        Clients {
            inner: Arc::new(Pool {
                base,
                oauth,
                store,
                leeway: Duration::from_secs(60),
                sources: Mutex::new(HashMap::new()),
                pending: Arc::new(tokio::sync::watch::channel(0).0),
            }),
        }
    }

    /// Renew tokens this long before they expire (default 60 s).
    pub fn with_leeway(self, leeway: Duration) -> Self {
        let pool = &self.inner;
        Clients {
            inner: Arc::new(Pool {
                base: pool.base.clone(),
                oauth: pool.oauth.clone(),
                store: pool.store.clone(),
                leeway,
                sources: Mutex::new(HashMap::new()),
                pending: pool.pending.clone(),
            }),
        }
    }

    /// A client for `account` (the name its tokens are stored under). No
    /// I/O happens here: the stored set is read on its first call.
    pub fn for_account(&self, account: &str) -> Client {
        self.inner.base.with_token_source(self.token_source(account))
    }

    /// The token source of `account`: the one its live clients use, or a
    /// new one.
    pub fn token_source(&self, account: &str) -> Arc<RefreshingTokenSource> {
        let pool = &self.inner;
        let Ok(mut sources) = pool.sources.lock() else {
            return Arc::new(self.new_source(account));
        };
        if let Some(live) = sources.get(account).and_then(Weak::upgrade) {
            return live;
        }
        // Forget the accounts nobody holds any more, now and then.
        if sources.len() >= 1024 && sources.len().is_power_of_two() {
            sources.retain(|_, w| w.strong_count() > 0);
        }
        let source = Arc::new(self.new_source(account));
        sources.insert(account.to_owned(), Arc::downgrade(&source));
        source
    }

    fn new_source(&self, account: &str) -> RefreshingTokenSource {
        let pool = &self.inner;
        RefreshingTokenSource::builder(pool.oauth.clone())
            .store(pool.store.clone(), account)
            .leeway(pool.leeway)
            .pending_counter(pool.pending.clone())
            .build_stored()
    }

    /// Renewed token sets, of any account, whose save is still being
    /// retried (the store was unreachable when they came).
    pub fn pending_saves(&self) -> usize {
        *self.inner.pending.borrow()
    }

    /// Waits until every renewed set of every account has been saved.
    /// Call it before a planned shutdown: a set still pending when the
    /// process exits is lost, and its account must log in again.
    pub async fn flush(&self) {
        let mut rx = self.inner.pending.subscribe();
        let _ = rx.wait_for(|n| *n == 0).await;
    }

    /// The store the accounts' tokens live in.
    pub fn store(&self) -> &Arc<dyn TokenStore> {
        &self.inner.store
    }

    /// The OAuth client that renews them.
    pub fn oauth(&self) -> &OAuth {
        &self.inner.oauth
    }

    /// The client every account's client is a copy of.
    pub fn base(&self) -> &Client {
        &self.inner.base
    }
}
