//! A token source that refreshes by itself, once, whoever is waiting.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{Mutex, RwLock};

use crate::auth::{TokenSet, TokenSource, TokenStore};
use crate::error::{ApiError, Error, Result};
use crate::oauth::OAuth;
use crate::secret::AccessToken;
use crate::transport::BoxFuture;

type Hook = Arc<dyn Fn(&TokenSet) + Send + Sync>;

/// Refreshes the access token before it expires, and once after a 401.
///
/// - Single flight: any number of concurrent callers cause exactly one token
///   request; the others wait for it and use its result.
/// - Rotation: the refresh token from each response replaces the old one
///   (the old one is kept when the response has none).
/// - Persistence first: with a [`TokenStore`], the new set is saved (fsynced)
///   before the new access token is handed out, and the store's cross-process
///   lock is held around "re-read, refresh, save", so two processes sharing
///   a store never spend the same refresh token.
/// - `invalid_grant` is terminal: every later call fails with
///   [`Error::ReauthorizationRequired`] without another request.
pub struct RefreshingTokenSource {
    oauth: OAuth,
    state: RwLock<State>,
    gate: Mutex<()>,
    store: Option<Arc<dyn TokenStore>>,
    on_update: Option<Hook>,
    leeway: Duration,
    refreshes: AtomicU64,
}

struct State {
    tokens: TokenSet,
    dead: Option<ApiError>,
}

impl fmt::Debug for RefreshingTokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshingTokenSource")
            .field("oauth", &self.oauth)
            .field("leeway", &self.leeway)
            .field("refreshes", &self.refreshes.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Builds a [`RefreshingTokenSource`].
#[must_use]
pub struct RefreshingBuilder {
    oauth: OAuth,
    tokens: Option<TokenSet>,
    store: Option<Arc<dyn TokenStore>>,
    on_update: Option<Hook>,
    leeway: Duration,
}

impl fmt::Debug for RefreshingBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshingBuilder").field("oauth", &self.oauth).finish_non_exhaustive()
    }
}

impl RefreshingBuilder {
    /// The tokens to start from (otherwise the store's).
    pub fn tokens(mut self, tokens: TokenSet) -> Self {
        self.tokens = Some(tokens);
        self
    }

    /// Persists every new set there, and serialises refreshes across
    /// processes through its lock.
    pub fn store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// Called with every new set, after it was persisted.
    pub fn on_update(mut self, hook: impl Fn(&TokenSet) + Send + Sync + 'static) -> Self {
        self.on_update = Some(Arc::new(hook));
        self
    }

    /// Refresh this long before expiry (default 60 s; capped at half the
    /// token's lifetime).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Builds it; without tokens, they are loaded from the store.
    pub fn build(self) -> Result<RefreshingTokenSource> {
        let tokens = match (self.tokens, &self.store) {
            (Some(t), _) => t,
            (None, Some(store)) => store.load()?.ok_or(Error::NotAuthenticated)?,
            (None, None) => return Err(Error::NotAuthenticated),
        };
        Ok(RefreshingTokenSource {
            oauth: self.oauth,
            state: RwLock::new(State { tokens, dead: None }),
            gate: Mutex::new(()),
            store: self.store,
            on_update: self.on_update,
            leeway: self.leeway,
            refreshes: AtomicU64::new(0),
        })
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::TokenStore { action: "run a store operation", source: e.to_string().into() })?
}

impl RefreshingTokenSource {
    /// A builder.
    pub fn builder(oauth: OAuth) -> RefreshingBuilder {
        RefreshingBuilder { oauth, tokens: None, store: None, on_update: None, leeway: Duration::from_secs(60) }
    }

    /// The current token set.
    pub async fn tokens(&self) -> TokenSet {
        self.state.read().await.tokens.clone()
    }

    /// Token requests this source made.
    pub fn refresh_count(&self) -> u64 {
        self.refreshes.load(Ordering::SeqCst)
    }

    /// Refreshes now, whatever the expiry.
    pub async fn force_refresh(&self) -> Result<TokenSet> {
        let current = self.tokens().await;
        self.refresh_if(|t| t.access_token.ct_eq(&current.access_token)).await?;
        Ok(self.tokens().await)
    }

    fn stale(&self, t: &TokenSet) -> bool {
        t.needs_refresh(self.oauth.clock().now(), self.leeway)
    }

    /// Under the gate (and the store's lock), refreshes when `needs` still
    /// holds for the newest known set. Returns true when the set changed.
    async fn refresh_if(&self, needs: impl Fn(&TokenSet) -> bool) -> Result<bool> {
        let _gate = self.gate.lock().await;
        let current = {
            let s = self.state.read().await;
            if let Some(e) = &s.dead {
                return Err(Error::ReauthorizationRequired(Box::new(e.clone())));
            }
            s.tokens.clone()
        };
        if !needs(&current) {
            return Ok(true); // someone else refreshed while we waited
        }
        let _lock = match &self.store {
            Some(store) => {
                let store = store.clone();
                Some(blocking(move || store.lock()).await?)
            }
            None => None,
        };
        // Another process may have refreshed: the stored set is then newer.
        let mut base = current;
        if let Some(store) = &self.store {
            let store = store.clone();
            if let Some(stored) = blocking(move || store.load()).await? {
                let newer = stored.received_at > base.received_at
                    || (stored.received_at == base.received_at && !stored.access_token.ct_eq(&base.access_token));
                if newer {
                    base = stored;
                    if !needs(&base) {
                        tracing::debug!("adopted a token set refreshed by another process");
                        self.publish(base).await;
                        return Ok(true);
                    }
                }
            }
        }
        if base.refresh_token.is_none() {
            return Ok(false);
        }
        self.refreshes.fetch_add(1, Ordering::SeqCst);
        let fresh = match self.oauth.refresh(&base).await {
            Ok(t) => t,
            Err(Error::ReauthorizationRequired(e)) => {
                self.state.write().await.dead = Some((*e).clone());
                return Err(Error::ReauthorizationRequired(e));
            }
            Err(e) => return Err(e),
        };
        let saved = match &self.store {
            Some(store) => {
                let (store, copy) = (store.clone(), fresh.clone());
                blocking(move || store.save(&copy)).await
            }
            None => Ok(()),
        };
        // Published even if saving failed: the old refresh token is spent, so
        // the new one must not be lost from memory either.
        self.publish(fresh).await;
        saved.map(|()| true)
    }

    async fn publish(&self, tokens: TokenSet) {
        if let Some(hook) = &self.on_update {
            hook(&tokens);
        }
        self.state.write().await.tokens = tokens;
    }
}

impl TokenSource for RefreshingTokenSource {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken>> {
        Box::pin(async move {
            {
                let s = self.state.read().await;
                if let Some(e) = &s.dead {
                    return Err(Error::ReauthorizationRequired(Box::new(e.clone())));
                }
                if !self.stale(&s.tokens) {
                    return Ok(s.tokens.access_token.clone());
                }
            }
            self.refresh_if(|t| self.stale(t)).await?;
            Ok(self.state.read().await.tokens.access_token.clone())
        })
    }

    fn on_unauthorized<'a>(&'a self, rejected: &'a AccessToken) -> BoxFuture<'a, Result<bool>> {
        Box::pin(async move { self.refresh_if(|t| t.access_token.ct_eq(rejected)).await })
    }
}
