//! A token source that renews its token by itself, once, whoever is waiting:
//! with the refresh token of a user's login, or with the client-credentials
//! grant for an app token.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{Mutex, RwLock};

use crate::auth::store::{SaveOutcome, StoreLock};
use crate::auth::{TokenKey, TokenSet, TokenSource, TokenStore};
use crate::error::{ApiError, Error, Result};
use crate::oauth::{OAuth, Scope};
use crate::secret::AccessToken;
use crate::transport::BoxFuture;

type Hook = Arc<dyn Fn(&TokenSet) + Send + Sync>;

/// The longest wait between two attempts to save a renewed set.
const SAVE_RETRY_MAX: Duration = Duration::from_secs(1);

/// Gives a store lock back, if there is one.
async fn release(lock: Option<StoreLock>) {
    if let Some(lock) = lock {
        lock.release().await;
    }
}

/// How a new token is obtained.
#[derive(Debug, Clone)]
enum Renewal {
    /// With the set's (rotating) refresh token.
    RefreshToken,
    /// With the client-credentials grant, for these scopes.
    ClientCredentials(Vec<Scope>),
}

/// Renews the access token before it expires, and once after a 401.
///
/// - Single flight: any number of concurrent callers cause exactly one token
///   request; the others wait for it and use its result.
/// - Rotation: the refresh token from each response replaces the old one
///   (the old one is kept when the response has none).
/// - Persistence first: with a [`TokenStore`], the store's lock on the
///   account is held around "re-read, refresh, save", and the new set is
///   saved before the lock is given back, so two processes sharing a store
///   never spend the same refresh token.
/// - Fencing: the save is conditional on the generation read under the
///   lock ([`TokenStore::save_if`]). A holder whose lease ran out while it
///   refreshed finds a newer set stored and uses that one instead of
///   writing over it.
/// - Never lost: when the save fails (the store is unreachable), the new
///   set is used from memory at once and saved in the background, retried
///   until the store takes it, with the lock held meanwhile
///   ([`pending_saves`](Self::pending_saves), [`flush`](Self::flush)). Only
///   a crash of this process before the save lands loses the set.
/// - `invalid_grant` is terminal: every later call fails with
///   [`Error::ReauthorizationRequired`] without another request.
/// - A user token that expired with no refresh token fails with
///   [`Error::TokenExpired`] instead of being sent.
///
/// [`RefreshingTokenSource::client_credentials`] makes the same machinery
/// fetch app tokens with the client-credentials grant.
pub struct RefreshingTokenSource {
    oauth: OAuth,
    renewal: Renewal,
    state: RwLock<State>,
    gate: Mutex<()>,
    store: Option<(Arc<dyn TokenStore>, TokenKey)>,
    on_update: Option<Hook>,
    leeway: Duration,
    refreshes: AtomicU64,
    scopes: std::sync::RwLock<Vec<Scope>>,
    /// How many renewed sets are still being saved.
    pending: Arc<tokio::sync::watch::Sender<usize>>,
}

struct State {
    /// `None` until loaded from the store (or fetched, for app tokens).
    tokens: Option<TokenSet>,
    dead: Option<ApiError>,
}

impl fmt::Debug for RefreshingTokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshingTokenSource")
            .field("oauth", &self.oauth)
            .field("renewal", &self.renewal)
            .field("account", &self.store.as_ref().map(|(_, k)| k))
            .field("leeway", &self.leeway)
            .field("refreshes", &self.refreshes.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Builds a [`RefreshingTokenSource`].
#[must_use]
pub struct RefreshingBuilder {
    oauth: OAuth,
    renewal: Renewal,
    tokens: Option<TokenSet>,
    store: Option<(Arc<dyn TokenStore>, String)>,
    on_update: Option<Hook>,
    leeway: Duration,
}

impl fmt::Debug for RefreshingBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshingBuilder").field("oauth", &self.oauth).finish_non_exhaustive()
    }
}

impl RefreshingBuilder {
    /// The tokens to start from (otherwise the store's, read on first use).
    pub fn tokens(mut self, tokens: TokenSet) -> Self {
        self.tokens = Some(tokens);
        self
    }

    /// Persists every new set in `store` under this app and `account` (a
    /// user id, a profile name: yours to choose), and serialises refreshes
    /// of that account through the store's lock.
    pub fn store(mut self, store: Arc<dyn TokenStore>, account: impl Into<String>) -> Self {
        self.store = Some((store, account.into()));
        self
    }

    /// Called with every new set, after it was persisted (or, when saving
    /// failed, once it is in use and its save is being retried).
    pub fn on_update(mut self, hook: impl Fn(&TokenSet) + Send + Sync + 'static) -> Self {
        self.on_update = Some(Arc::new(hook));
        self
    }

    /// Renew this long before expiry (default 60 s; capped at half the
    /// token's lifetime).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Builds it. Without [`tokens`](Self::tokens), the store's set is read
    /// on first use ([`Error::NotAuthenticated`] when there is none); an
    /// app-token source fetches its first token then.
    pub fn build(self) -> Result<RefreshingTokenSource> {
        if self.tokens.is_none() && self.store.is_none() && matches!(self.renewal, Renewal::RefreshToken) {
            return Err(Error::NotAuthenticated);
        }
        Ok(self.build_stored())
    }

    /// [`build`](Self::build) for a builder known to have a store.
    pub(crate) fn build_stored(self) -> RefreshingTokenSource {
        let key_of = |account: String| TokenKey::new(self.oauth.client_id(), account);
        let scopes = self.tokens.as_ref().map(|t| t.scopes.clone()).unwrap_or_default();
        let store = self.store.map(|(store, account)| (store, key_of(account)));
        RefreshingTokenSource {
            oauth: self.oauth,
            renewal: self.renewal,
            state: RwLock::new(State { tokens: self.tokens, dead: None }),
            gate: Mutex::new(()),
            store,
            on_update: self.on_update,
            leeway: self.leeway,
            refreshes: AtomicU64::new(0),
            scopes: std::sync::RwLock::new(scopes),
            pending: Arc::new(tokio::sync::watch::channel(0).0),
        }
    }
}

impl RefreshingTokenSource {
    /// A source for a user's login, renewed with its refresh token.
    pub fn builder(oauth: OAuth) -> RefreshingBuilder {
        RefreshingBuilder {
            oauth,
            renewal: Renewal::RefreshToken,
            tokens: None,
            store: None,
            on_update: None,
            leeway: Duration::from_secs(60),
        }
    }

    /// A source of app tokens from the client-credentials grant for
    /// `scopes`: the first call fetches one, and a new one is fetched before
    /// it expires, once however many calls are waiting.
    ///
    /// ```no_run
    /// # fn demo() -> pinterest_sdk::Result<()> {
    /// use std::sync::Arc;
    /// use pinterest_sdk::{Client, auth::RefreshingTokenSource, oauth::{OAuth, Scope}};
    /// let oauth = OAuth::new("1234567890", "app secret");
    /// let source = RefreshingTokenSource::client_credentials(oauth, [Scope::AdsRead]).build()?;
    /// let client = Client::builder().token_source(Arc::new(source)).build()?;
    /// # let _ = client; Ok(()) }
    /// ```
    pub fn client_credentials(oauth: OAuth, scopes: impl IntoIterator<Item = Scope>) -> RefreshingBuilder {
        RefreshingBuilder {
            renewal: Renewal::ClientCredentials(scopes.into_iter().collect()),
            ..RefreshingTokenSource::builder(oauth)
        }
    }

    /// The current token set (read from the store if not yet loaded).
    pub async fn tokens(&self) -> Result<TokenSet> {
        self.current().await?.ok_or(Error::NotAuthenticated)
    }

    /// The account key its store uses, if it has a store.
    pub fn key(&self) -> Option<&TokenKey> {
        self.store.as_ref().map(|(_, k)| k)
    }

    /// Token requests this source made.
    pub fn refresh_count(&self) -> u64 {
        self.refreshes.load(Ordering::SeqCst)
    }

    /// Renews now, whatever the expiry.
    pub async fn force_refresh(&self) -> Result<TokenSet> {
        let current = self.current().await?;
        self.refresh_if(|t| match (t, &current) {
            (Some(t), Some(c)) => t.access_token.ct_eq(&c.access_token),
            _ => true,
        })
        .await?;
        self.tokens().await
    }

    /// The set in memory, loaded from the store on first use.
    async fn current(&self) -> Result<Option<TokenSet>> {
        {
            let s = self.state.read().await;
            if let Some(e) = &s.dead {
                return Err(Error::ReauthorizationRequired(Box::new(e.clone())));
            }
            if s.tokens.is_some() {
                return Ok(s.tokens.clone());
            }
        }
        let Some((store, key)) = &self.store else { return Ok(None) };
        let loaded = store.load(key).await?;
        let mut s = self.state.write().await;
        if s.tokens.is_none()
            && let Some(t) = loaded
        {
            self.note_scopes(&t);
            s.tokens = Some(t);
        }
        Ok(s.tokens.clone())
    }

    fn stale(&self, t: Option<&TokenSet>) -> bool {
        match t {
            Some(t) => t.needs_refresh(self.oauth.clock().now(), self.leeway),
            None => true,
        }
    }

    fn note_scopes(&self, t: &TokenSet) {
        if let Ok(mut s) = self.scopes.write() {
            s.clone_from(&t.scopes);
        }
    }

    /// Under the gate (and the store's lock), renews when `needs` still
    /// holds for the newest known set. Returns true when the set changed.
    async fn refresh_if(&self, needs: impl Fn(Option<&TokenSet>) -> bool) -> Result<bool> {
        let _gate = self.gate.lock().await;
        let current = self.current().await?;
        if !needs(current.as_ref()) {
            return Ok(true); // someone else renewed while we waited
        }
        let lock = match &self.store {
            Some((store, key)) => Some(store.lock(key).await?),
            None => None,
        };
        self.refresh_locked(current, &needs, lock).await
    }

    /// The part of [`refresh_if`](Self::refresh_if) that runs under the
    /// store's lock, which it releases once the new set is persisted.
    async fn refresh_locked(
        &self,
        current: Option<TokenSet>,
        needs: &impl Fn(Option<&TokenSet>) -> bool,
        lock: Option<StoreLock>,
    ) -> Result<bool> {
        // Another process may have renewed: the stored set is then newer.
        let mut base = current;
        let mut seen = 0;
        if let Some((store, key)) = &self.store {
            let stored = match store.load_versioned(key).await {
                Ok(s) => s,
                Err(e) => {
                    release(lock).await;
                    return Err(e);
                }
            };
            if let Some(stored) = stored {
                seen = stored.generation;
                let stored = stored.tokens;
                let newer = match &base {
                    None => true,
                    Some(b) => {
                        stored.received_at > b.received_at
                            || (stored.received_at == b.received_at && !stored.access_token.ct_eq(&b.access_token))
                    }
                };
                if newer {
                    if !needs(Some(&stored)) {
                        tracing::debug!("adopted a token set renewed by another process");
                        self.publish(stored).await;
                        release(lock).await;
                        return Ok(true);
                    }
                    base = Some(stored);
                }
            }
        }
        let fresh = match self.renew(base.as_ref()).await {
            Ok(Some(fresh)) => fresh,
            Ok(None) => {
                release(lock).await;
                return Ok(false);
            }
            Err(e) => {
                release(lock).await;
                return Err(e);
            }
        };
        let Some((store, key)) = &self.store else {
            self.publish(fresh).await;
            return Ok(true);
        };
        match store.save_if(key, &fresh, seen).await {
            Ok(SaveOutcome::Saved { .. }) => {
                self.publish(fresh).await;
                release(lock).await;
                Ok(true)
            }
            Ok(SaveOutcome::Superseded { found }) => {
                // Our lease ran out and another holder wrote a newer set:
                // it wins, and ours is dropped rather than written over it.
                tracing::warn!(account = %key, found, "token set superseded while refreshing; using the stored one");
                let stored = store.load(key).await;
                release(lock).await;
                match stored? {
                    Some(stored) => self.publish(stored).await,
                    None => self.publish(fresh).await,
                }
                Ok(true)
            }
            Err(e) => {
                // The old refresh token is spent: the new set must not be
                // lost. It is used from memory now and saved in the
                // background until the store takes it; the lock is held
                // until then, so no other process spends the old one.
                tracing::warn!(account = %key, error = %e, "could not save the renewed token set; retrying in the background");
                self.publish(fresh.clone()).await;
                self.save_later(store.clone(), key.clone(), fresh, seen, lock);
                Ok(true)
            }
        }
    }

    /// A new set from the token endpoint, `None` when the set cannot be
    /// renewed but is still usable.
    async fn renew(&self, base: Option<&TokenSet>) -> Result<Option<TokenSet>> {
        match (&self.renewal, base) {
            (Renewal::ClientCredentials(scopes), _) => {
                self.refreshes.fetch_add(1, Ordering::SeqCst);
                self.oauth.client_credentials(scopes).await.map(Some)
            }
            (Renewal::RefreshToken, Some(b)) if b.refresh_token.is_some() => {
                self.refreshes.fetch_add(1, Ordering::SeqCst);
                match self.oauth.refresh(b).await {
                    Ok(t) => Ok(Some(t)),
                    Err(Error::ReauthorizationRequired(e)) => {
                        self.state.write().await.dead = Some((*e).clone());
                        Err(Error::ReauthorizationRequired(e))
                    }
                    Err(e) => Err(e),
                }
            }
            (Renewal::RefreshToken, Some(b)) if b.is_expired(self.oauth.clock().now()) => Err(Error::TokenExpired),
            (Renewal::RefreshToken, Some(_)) => Ok(None),
            (Renewal::RefreshToken, None) => Err(Error::NotAuthenticated),
        }
    }

    /// Retries saving `fresh` until the store takes it (or a newer set is
    /// found there), holding `lock` until then.
    fn save_later(
        &self,
        store: Arc<dyn TokenStore>,
        key: TokenKey,
        fresh: TokenSet,
        seen: u64,
        lock: Option<StoreLock>,
    ) {
        let pending = self.pending.clone();
        pending.send_modify(|n| *n += 1);
        let task = async move {
            let mut wait = Duration::from_millis(50);
            loop {
                tokio::time::sleep(wait).await;
                match store.save_if(&key, &fresh, seen).await {
                    Ok(SaveOutcome::Saved { .. }) => {
                        tracing::info!(account = %key, "saved the renewed token set after a failure");
                        break;
                    }
                    Ok(SaveOutcome::Superseded { found }) => {
                        tracing::warn!(account = %key, found, "a newer token set was stored meanwhile; ours is dropped");
                        break;
                    }
                    Err(e) => {
                        tracing::debug!(account = %key, error = %e, "saving the renewed token set failed again");
                        wait = (wait * 2).min(SAVE_RETRY_MAX);
                    }
                }
            }
            release(lock).await;
            pending.send_modify(|n| *n = n.saturating_sub(1));
        };
        tokio::spawn(task);
    }

    /// Token sets renewed but not yet saved (their save is being retried).
    pub fn pending_saves(&self) -> usize {
        *self.pending.borrow()
    }

    /// Waits until every renewed set has been saved (for a clean shutdown:
    /// a process that exits while a save is pending loses that set, and the
    /// login with it, since its old refresh token is spent).
    pub async fn flush(&self) {
        let mut rx = self.pending.subscribe();
        let _ = rx.wait_for(|n| *n == 0).await;
    }

    async fn publish(&self, tokens: TokenSet) {
        if let Some(hook) = &self.on_update {
            hook(&tokens);
        }
        self.note_scopes(&tokens);
        self.state.write().await.tokens = Some(tokens);
    }
}

impl TokenSource for RefreshingTokenSource {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken>> {
        Box::pin(async move {
            let current = self.current().await?;
            if !self.stale(current.as_ref()) {
                return current.map(|t| t.access_token).ok_or(Error::NotAuthenticated);
            }
            self.refresh_if(|t| self.stale(t)).await?;
            let renewed = self.state.read().await.tokens.clone().ok_or(Error::NotAuthenticated)?;
            if renewed.is_expired(self.oauth.clock().now()) {
                return Err(Error::TokenExpired);
            }
            Ok(renewed.access_token)
        })
    }

    fn on_unauthorized<'a>(&'a self, rejected: &'a AccessToken) -> BoxFuture<'a, Result<bool>> {
        Box::pin(async move { self.refresh_if(|t| t.is_some_and(|t| t.access_token.ct_eq(rejected))).await })
    }

    fn scopes(&self) -> Option<Vec<Scope>> {
        self.scopes.read().ok().map(|s| s.clone()).filter(|s| !s.is_empty())
    }

    fn account_key(&self) -> Option<&TokenKey> {
        self.key()
    }
}
