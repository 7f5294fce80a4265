//! A token source that renews its token by itself, once, whoever is waiting:
//! with the refresh token of a user's login, or with the client-credentials
//! grant for an app token.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{Mutex, RwLock, watch};

use crate::auth::store::{SaveOutcome, StoreLock, Versioned};
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
///   never spend the same refresh token. A stored set written by someone
///   else since this source last read it (a newer generation) is adopted
///   rather than refreshed again.
/// - Fencing: the save is conditional on the generation read under the
///   lock ([`TokenStore::save_if`]). A holder whose lease ran out while it
///   refreshed finds a newer set stored and uses that one instead of
///   writing over it.
/// - Never lost: a renewal runs in a task of its own, so a caller that
///   stops waiting (a timeout, a dropped request) does not stop it between
///   Pinterest's answer and the save. When the save fails (the store is
///   unreachable), the new set is used from memory at once and saved in the
///   background, retried until the store takes it, with the lock held
///   meanwhile ([`pending_saves`](Self::pending_saves), [`flush`](Self::flush)).
///   Only the end of this process before the save lands loses the set.
/// - `invalid_grant` is terminal: every later call fails with
///   [`Error::ReauthorizationRequired`] without another request.
/// - A user token that expired with no refresh token fails with
///   [`Error::TokenExpired`] instead of being sent.
///
/// [`RefreshingTokenSource::client_credentials`] makes the same machinery
/// fetch app tokens with the client-credentials grant.
pub struct RefreshingTokenSource {
    core: Arc<Core>,
    /// Single flight within the process; held by the renewal's task.
    gate: Arc<Mutex<()>>,
}

/// What a renewal's task needs, shared with the source.
struct Core {
    oauth: OAuth,
    renewal: Renewal,
    state: RwLock<State>,
    store: Option<(Arc<dyn TokenStore>, TokenKey)>,
    on_update: Option<Hook>,
    leeway: Duration,
    refreshes: AtomicU64,
    scopes: std::sync::RwLock<Vec<Scope>>,
    /// How many renewed sets are still being saved.
    pending: Arc<watch::Sender<usize>>,
}

struct State {
    /// `None` until loaded from the store (or fetched, for app tokens).
    tokens: Option<TokenSet>,
    dead: Option<ApiError>,
    /// The store's generation of the set in memory (0: unknown).
    generation: u64,
}

/// What makes a renewal needed, checked again under the gate and the lock.
#[derive(Clone)]
enum Need {
    /// The set is about to expire, or there is none.
    Stale,
    /// Pinterest refused this access token.
    Rejected(AccessToken),
    /// A forced renewal: needed unless the set changed from this one.
    Replace(Option<AccessToken>),
}

/// Where a renewed set ended up.
enum Persisted {
    /// In the store, at this generation.
    Saved(u64),
    /// Not written: the store holds a newer set (or none: a logout).
    Newer(Option<Versioned>),
}

impl fmt::Debug for RefreshingTokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let core = &self.core;
        f.debug_struct("RefreshingTokenSource")
            .field("oauth", &core.oauth)
            .field("renewal", &core.renewal)
            .field("account", &core.store.as_ref().map(|(_, k)| k))
            .field("leeway", &core.leeway)
            .field("refreshes", &core.refreshes.load(Ordering::Relaxed))
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
    pending: Option<Arc<watch::Sender<usize>>>,
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

    /// Counts this source's pending saves in `counter` (shared by a pool).
    pub(crate) fn pending_counter(mut self, counter: Arc<watch::Sender<usize>>) -> Self {
        self.pending = Some(counter);
        self
    }

    /// [`build`](Self::build) for a builder known to have a store.
    pub(crate) fn build_stored(self) -> RefreshingTokenSource {
        let key_of = |account: String| TokenKey::new(self.oauth.client_id(), account);
        let scopes = self.tokens.as_ref().map(|t| t.scopes.clone()).unwrap_or_default();
        let store = self.store.map(|(store, account)| (store, key_of(account)));
        let core = Core {
            oauth: self.oauth,
            renewal: self.renewal,
            state: RwLock::new(State { tokens: self.tokens, dead: None, generation: 0 }),
            store,
            on_update: self.on_update,
            leeway: self.leeway,
            refreshes: AtomicU64::new(0),
            scopes: std::sync::RwLock::new(scopes),
            pending: self.pending.unwrap_or_else(|| Arc::new(watch::channel(0).0)),
        };
        RefreshingTokenSource { core: Arc::new(core), gate: Arc::new(Mutex::new(())) }
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
            pending: None,
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
        self.core.current().await?.ok_or(Error::NotAuthenticated)
    }

    /// The account key its store uses, if it has a store.
    pub fn key(&self) -> Option<&TokenKey> {
        self.core.store.as_ref().map(|(_, k)| k)
    }

    /// Token requests this source made.
    pub fn refresh_count(&self) -> u64 {
        self.core.refreshes.load(Ordering::SeqCst)
    }

    /// Renews now, whatever the expiry.
    pub async fn force_refresh(&self) -> Result<TokenSet> {
        let current = self.core.current().await?;
        self.refresh_if(Need::Replace(current.map(|c| c.access_token))).await?;
        self.tokens().await
    }

    /// Token sets renewed but not yet saved (their save is being retried).
    /// Counted for the whole pool when the source comes from a
    /// [`Clients`](crate::fleet::Clients) pool.
    pub fn pending_saves(&self) -> usize {
        *self.core.pending.borrow()
    }

    /// Waits until every renewed set has been saved (for a clean shutdown:
    /// a process that exits while a save is pending loses that set, and the
    /// login with it, since its old refresh token is spent).
    pub async fn flush(&self) {
        let mut rx = self.core.pending.subscribe();
        let _ = rx.wait_for(|n| *n == 0).await;
    }

    /// Renews when `need` still holds under the gate (and the store's
    /// lock), in a task of its own. Returns true when the set changed.
    async fn refresh_if(&self, need: Need) -> Result<bool> {
        let (core, gate) = (self.core.clone(), self.gate.clone());
        let work = async move {
            let _gate = gate.lock_owned().await;
            core.refresh_under_gate(need).await
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => runtime
                .spawn(work)
                .await
                .map_err(|e| Error::TokenStore { action: "finish renewing the token", source: e.to_string().into() })?,
            // Outside Tokio there is nothing to spawn on: renew here.
            Err(_) => work.await,
        }
    }
}

impl Core {
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
        let loaded = store.load_versioned(key).await?;
        let mut s = self.state.write().await;
        if s.tokens.is_none()
            && let Some(v) = loaded
        {
            self.note_scopes(&v.tokens);
            s.tokens = Some(v.tokens);
            s.generation = v.generation;
        }
        Ok(s.tokens.clone())
    }

    fn stale(&self, t: Option<&TokenSet>) -> bool {
        match t {
            Some(t) => t.needs_refresh(self.oauth.clock().now(), self.leeway),
            None => true,
        }
    }

    fn needs(&self, need: &Need, t: Option<&TokenSet>) -> bool {
        match need {
            Need::Stale => self.stale(t),
            Need::Rejected(rejected) => t.is_some_and(|t| t.access_token.ct_eq(rejected)),
            Need::Replace(current) => match (t, current) {
                (Some(t), Some(c)) => t.access_token.ct_eq(c),
                _ => true,
            },
        }
    }

    fn note_scopes(&self, t: &TokenSet) {
        if let Ok(mut s) = self.scopes.write() {
            s.clone_from(&t.scopes);
        }
    }

    /// Under the gate: renews when `need` still holds for the newest set.
    async fn refresh_under_gate(self: Arc<Self>, need: Need) -> Result<bool> {
        let current = self.current().await?;
        if !self.needs(&need, current.as_ref()) {
            return Ok(true); // someone else renewed while we waited
        }
        let lock = match &self.store {
            Some((store, key)) => Some(store.lock(key).await?),
            None => None,
        };
        self.refresh_locked(current, &need, lock).await
    }

    /// The part of a renewal that runs under the store's lock, which it
    /// gives back once the new set is persisted (or hands to the task that
    /// keeps trying to persist it).
    async fn refresh_locked(
        self: Arc<Self>,
        current: Option<TokenSet>,
        need: &Need,
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
                let newer = match &base {
                    None => true,
                    // The store counts writes: anything written since we
                    // read or wrote is newer, whatever the clocks say.
                    Some(_) if stored.generation != 0 => stored.generation != self.state.read().await.generation,
                    Some(b) => {
                        stored.tokens.received_at > b.received_at
                            || (stored.tokens.received_at == b.received_at
                                && !stored.tokens.access_token.ct_eq(&b.access_token))
                    }
                };
                if newer {
                    if !self.needs(need, Some(&stored.tokens)) {
                        tracing::debug!("adopted a token set renewed by another process");
                        self.publish(stored.tokens, Some(stored.generation)).await;
                        release(lock).await;
                        return Ok(true);
                    }
                    base = Some(stored.tokens);
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
        if self.store.is_none() {
            self.publish(fresh, None).await;
            return Ok(true);
        }
        match self.persist(&fresh, seen).await {
            Ok(Persisted::Saved(generation)) => {
                self.publish(fresh, Some(generation)).await;
                release(lock).await;
                Ok(true)
            }
            Ok(Persisted::Newer(stored)) => {
                release(lock).await;
                self.adopt(stored).await;
                Ok(true)
            }
            Err(e) => {
                // The old refresh token is spent: the new set must not be
                // lost. It is used from memory now and saved in the
                // background; the lock is held until then, so no other
                // process spends the old one.
                tracing::warn!(account = ?self.key(), error = %e, "could not save the renewed token set; retrying in the background");
                self.publish(fresh.clone(), None).await;
                self.save_later(fresh, seen, lock);
                Ok(true)
            }
        }
    }

    fn key(&self) -> Option<&TokenKey> {
        self.store.as_ref().map(|(_, k)| k)
    }

    /// Saves `fresh`, read at generation `seen`, unless a newer set is
    /// stored. A save whose answer was lost but which landed counts as
    /// saved; a store found behind what was read (it lost writes: a
    /// restart without its append-only file) gets the set written again.
    async fn persist(&self, fresh: &TokenSet, mut seen: u64) -> Result<Persisted> {
        let Some((store, key)) = &self.store else { return Ok(Persisted::Saved(0)) };
        for _ in 0..4 {
            let found = match store.save_if(key, fresh, seen).await? {
                SaveOutcome::Saved { generation } => return Ok(Persisted::Saved(generation)),
                SaveOutcome::Superseded { found } => found,
            };
            let stored = store.load_versioned(key).await?;
            match stored {
                Some(v) if v.tokens.access_token.ct_eq(&fresh.access_token) => {
                    // Ours, from an earlier attempt whose answer was lost:
                    // written once more so that the store's durability
                    // checks (WAIT) run for it.
                    seen = v.generation;
                }
                // An app token has no login to end: written over a removal.
                None if found > seen && matches!(self.renewal, Renewal::ClientCredentials(_)) => seen = found,
                stored if found > seen => return Ok(Persisted::Newer(stored)),
                stored => {
                    tracing::warn!(account = %key, found, seen, "the token store lost writes; saving the renewed set again");
                    seen = stored.map_or(found, |v| v.generation);
                }
            }
        }
        Err(crate::auth::store::store_error("save the token set", "the stored generation kept moving"))
    }

    /// Takes the stored set written meanwhile (or the logout that removed it).
    async fn adopt(&self, stored: Option<Versioned>) {
        match stored {
            Some(v) => {
                tracing::warn!(account = ?self.key(), "a newer token set was stored meanwhile; using it");
                self.publish(v.tokens, Some(v.generation)).await;
            }
            None => {
                tracing::warn!(account = ?self.key(), "the token set was removed meanwhile (logout); dropping the renewed one");
                let mut s = self.state.write().await;
                s.tokens = None;
                s.generation = 0;
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

    /// Retries saving `fresh` until the store takes it (or holds a newer
    /// set), holding `lock` until then.
    fn save_later(self: Arc<Self>, fresh: TokenSet, seen: u64, lock: Option<StoreLock>) {
        self.pending.send_modify(|n| *n += 1);
        let task = async move {
            let mut wait = Duration::from_millis(50);
            let mut failures = 0u32;
            loop {
                tokio::time::sleep(wait).await;
                match self.persist(&fresh, seen).await {
                    Ok(Persisted::Saved(generation)) => {
                        tracing::info!(account = ?self.key(), "saved the renewed token set after {failures} more failures");
                        let mut s = self.state.write().await;
                        if s.tokens.as_ref().is_some_and(|t| t.access_token.ct_eq(&fresh.access_token)) {
                            s.generation = generation;
                        }
                        break;
                    }
                    Ok(Persisted::Newer(stored)) => {
                        self.adopt(stored).await;
                        break;
                    }
                    Err(e) => {
                        failures += 1;
                        // Loud now and then: a store that keeps refusing
                        // (out of memory, no permission) holds this lease.
                        if failures.is_multiple_of(20) {
                            tracing::warn!(account = ?self.key(), failures, error = %e, "still cannot save the renewed token set");
                        } else {
                            tracing::debug!(account = ?self.key(), error = %e, "saving the renewed token set failed again");
                        }
                        wait = (wait * 2).min(SAVE_RETRY_MAX);
                    }
                }
            }
            release(lock).await;
            self.pending.send_modify(|n| *n = n.saturating_sub(1));
        };
        tokio::spawn(task);
    }

    async fn publish(&self, tokens: TokenSet, generation: Option<u64>) {
        if let Some(hook) = &self.on_update {
            hook(&tokens);
        }
        self.note_scopes(&tokens);
        let mut s = self.state.write().await;
        s.tokens = Some(tokens);
        s.generation = generation.unwrap_or(0);
    }
}

impl TokenSource for RefreshingTokenSource {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken>> {
        Box::pin(async move {
            let core = &self.core;
            let current = core.current().await?;
            if !core.stale(current.as_ref()) {
                return current.map(|t| t.access_token).ok_or(Error::NotAuthenticated);
            }
            self.refresh_if(Need::Stale).await?;
            let renewed = core.state.read().await.tokens.clone().ok_or(Error::NotAuthenticated)?;
            if renewed.is_expired(core.oauth.clock().now()) {
                return Err(Error::TokenExpired);
            }
            Ok(renewed.access_token)
        })
    }

    fn on_unauthorized<'a>(&'a self, rejected: &'a AccessToken) -> BoxFuture<'a, Result<bool>> {
        Box::pin(self.refresh_if(Need::Rejected(rejected.clone())))
    }

    fn scopes(&self) -> Option<Vec<Scope>> {
        self.core.scopes.read().ok().map(|s| s.clone()).filter(|s| !s.is_empty())
    }

    fn account_key(&self) -> Option<&TokenKey> {
        self.key()
    }
}
