//! The blocking client: the async client driven by a private runtime.
//!
//! It blocks the calling thread on the async client's futures, so retries,
//! token refresh and pagination are the very same code. The calling thread
//! drives the runtime itself (its I/O, its timers and the connection's
//! task), so a call hands nothing to another thread and costs about what
//! the async client costs.
//!
//! Which runtime: with the default transport, a fixed token and no rate
//! limiter, a thread that calls again gets a small runtime of its own and
//! its own connections, so threads calling at once share nothing and never
//! wait for each other (a thread's connections close when it ends).
//! Otherwise (a token source that renews, a limiter, another transport:
//! parts whose work may outlive a call), the calls share one runtime: a call
//! that starts while others are under way goes in as a task, and the
//! threads take turns driving it; between calls, a helper thread drives it
//! when it has been idle for a moment, so background work (a token save
//! that is retried, a connection the server closed, a Redis lease) goes on.
//!
//! It is `Send + Sync + Clone`; clones share the runtime and the connection
//! pools. Calling it from inside an async runtime returns
//! [`Error::BlockingInAsyncContext`] instead of stalling the executor.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use crate::error::{Error, Result};
use crate::operation::{Operation, Paginated};
use crate::paginate::{Checkpoint, Cursor, ItemBuffer, Page, finish_page, start_page};

/// The blocking Pinterest client.
///
/// ```no_run
/// use pinterest_sdk::{blocking::Client, secret::AccessToken};
/// let client = Client::builder().access_token(AccessToken::new("pina_...")).build()?;
/// for board in client.boards().list().page_size(100).iter() {
///     println!("{}", board?.name);
/// }
/// # Ok::<(), pinterest_sdk::Error>(())
/// ```
#[derive(Clone)]
pub struct Client {
    inner: crate::Client,
    runtime: Arc<Runtime>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("blocking::Client").field(&self.inner).finish()
    }
}

/// The runtime of a blocking client and its clones.
struct Runtime {
    rt: Option<Arc<tokio::runtime::Runtime>>,
    idle: Arc<Idle>,
}

/// What the callers and the idle driver share.
struct Idle {
    state: Mutex<IdleState>,
    /// Tells the idle driver that the callers are gone, or that it may stop.
    changed: Condvar,
    /// Ends the idle driver's turn, so that a caller can drive.
    wake: tokio::sync::Notify,
}

#[derive(Default)]
struct IdleState {
    /// Calls under way.
    active: usize,
    /// Calls started so far (to see whether any came during a pause).
    started: u64,
    /// The idle driver holds the runtime.
    driving: bool,
    /// The client is gone.
    shutdown: bool,
}

/// How long the runtime must have had no call before the idle driver takes
/// it: long enough that calls in a loop never wait for it to let go.
const IDLE_AFTER: Duration = Duration::from_millis(50);

impl Idle {
    fn lock(&self) -> std::sync::MutexGuard<'_, IdleState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Drives `rt` whenever no call has come for [`IDLE_AFTER`], until the
    /// client is dropped.
    fn run(&self, rt: Arc<tokio::runtime::Runtime>) {
        let mut seen = u64::MAX;
        let mut state = self.lock();
        while !state.shutdown {
            if state.active == 0 && state.started == seen {
                state.driving = true;
                drop(state);
                rt.block_on(self.wake.notified());
                state = self.lock();
                state.driving = false;
                seen = state.started;
                continue;
            }
            seen = state.started;
            state = self.changed.wait_timeout(state, IDLE_AFTER).unwrap_or_else(PoisonError::into_inner).0;
        }
        drop(state);
        if let Some(rt) = Arc::into_inner(rt) {
            rt.shutdown_background();
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.idle.lock().shutdown = true;
        self.idle.changed.notify_all();
        self.idle.wake.notify_one();
        // Dropping a runtime inside another one panics; whichever of this
        // and the idle driver lets go last shuts it down in the background.
        if let Some(rt) = self.rt.take().and_then(Arc::into_inner) {
            rt.shutdown_background();
        }
    }
}

/// Builds a blocking [`Client`]; takes the same settings as the async builder.
#[derive(Debug, Default)]
#[must_use]
pub struct ClientBuilder(crate::ClientBuilder);

impl ClientBuilder {
    /// Applies `f` to the underlying async builder (config, token source,
    /// transport, app credentials).
    pub fn with(self, f: impl FnOnce(crate::ClientBuilder) -> crate::ClientBuilder) -> Self {
        ClientBuilder(f(self.0))
    }

    /// See [`crate::ClientBuilder::config`].
    pub fn config(self, config: crate::Config) -> Self {
        self.with(|b| b.config(config))
    }

    /// See [`crate::ClientBuilder::access_token`].
    pub fn access_token(self, token: crate::secret::AccessToken) -> Self {
        self.with(|b| b.access_token(token))
    }

    /// See [`crate::ClientBuilder::token_source`].
    pub fn token_source(self, source: Arc<dyn crate::auth::TokenSource>) -> Self {
        self.with(|b| b.token_source(source))
    }

    /// See [`crate::ClientBuilder::app_credentials`].
    pub fn app_credentials(self, app: crate::AppCredentials) -> Self {
        self.with(|b| b.app_credentials(app))
    }

    /// See [`crate::ClientBuilder::transport`].
    pub fn transport(self, transport: impl crate::transport::Transport) -> Self {
        self.with(|b| b.transport(transport))
    }

    /// See [`crate::ClientBuilder::budget_account`].
    pub fn budget_account(self, account: impl Into<String>) -> Self {
        self.with(|b| b.budget_account(account))
    }

    /// See [`crate::ClientBuilder::rate_limiter`].
    pub fn rate_limiter(self, limiter: Arc<dyn crate::ratelimit::RateLimiter>) -> Self {
        self.with(|b| b.rate_limiter(limiter))
    }

    /// Builds the client and its runtime.
    pub fn build(self) -> Result<Client> {
        let runtime = Runtime::start()?;
        let inner = self.0.build()?;
        Ok(Client { inner, runtime })
    }
}

impl Runtime {
    fn start() -> Result<Arc<Runtime>> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .thread_name("pinterest-blocking")
            .enable_all()
            .build()
            .map_err(|e| Error::Runtime { what: "could not start", source: Some(e) })?;
        let rt = Arc::new(rt);
        let idle = Arc::new(Idle {
            state: Mutex::new(IdleState::default()),
            changed: Condvar::new(),
            wake: tokio::sync::Notify::new(),
        });
        let (driver, driven) = (idle.clone(), rt.clone());
        std::thread::Builder::new()
            .name("pinterest-blocking-idle".into())
            .spawn(move || driver.run(driven))
            .map_err(|e| Error::Runtime { what: "could not start", source: Some(e) })?;
        Ok(Arc::new(Runtime { rt: Some(rt), idle }))
    }

    /// Whether a call is under way.
    fn busy(&self) -> bool {
        self.idle.lock().active > 0
    }

    /// Runs `future` on the calling thread, which drives the runtime (or
    /// waits its turn while another caller does).
    fn block_on<T>(&self, future: impl Future<Output = Result<T>>) -> Result<T> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::BlockingInAsyncContext);
        }
        let Some(rt) = &self.rt else { return Err(Error::Runtime { what: "is shut down", source: None }) };
        {
            let mut state = self.idle.lock();
            state.active += 1;
            state.started = state.started.wrapping_add(1);
            if state.driving {
                self.idle.wake.notify_one();
            }
        }
        // Counted out even if the future panics. The idle driver is not
        // woken here: it looks again on its own after `IDLE_AFTER`, which
        // keeps a call in a loop free of any hand-off to another thread.
        struct Done<'a>(&'a Idle);
        impl Drop for Done<'_> {
            fn drop(&mut self) {
                self.0.lock().active -= 1;
            }
        }
        let _done = Done(&self.idle);
        rt.block_on(future)
    }
}

/// A thread's own runtime, for the calls it makes through any blocking
/// client whose every part may run on any runtime
/// ([`crate::Client::runs_on_any_runtime`]).
///
/// It is driven only while its thread is in a call, so it holds only what
/// belongs to that thread: the transport keeps a pool per thread runtime
/// (its connections are served by tasks of the runtime that opened them).
/// A thread gets one at its second call: a thread that makes a single call
/// and ends uses the shared runtime and its pool instead of opening a
/// connection of its own. The runtime and its connections go when the
/// thread ends.
struct ThreadRuntime {
    rt: std::rc::Rc<tokio::runtime::Runtime>,
}

struct ThreadState {
    /// `None` once making it failed (then the shared runtime serves).
    rt: std::cell::OnceCell<Option<std::rc::Rc<tokio::runtime::Runtime>>>,
    /// Calls this thread has made.
    calls: std::cell::Cell<u64>,
    /// A call is under way on the runtime.
    in_call: std::cell::Cell<bool>,
}

thread_local! {
    static THREAD: ThreadState = const {
        ThreadState {
            rt: std::cell::OnceCell::new(),
            calls: std::cell::Cell::new(0),
            in_call: std::cell::Cell::new(false),
        }
    };
}

/// Whether the current thread is in a call on its own runtime: the
/// transport then uses the thread's own pool.
pub(crate) fn on_thread_runtime() -> bool {
    THREAD.try_with(|t| t.in_call.get()).unwrap_or(false)
}

impl ThreadRuntime {
    /// This thread's runtime; `None` at its first call, while the thread is
    /// being torn down, or when the runtime cannot be made.
    fn get() -> Option<ThreadRuntime> {
        THREAD
            .try_with(|t| {
                let calls = t.calls.get();
                t.calls.set(calls.saturating_add(1));
                if calls == 0 || t.in_call.get() {
                    return None;
                }
                let rt = t.rt.get_or_init(|| {
                    tokio::runtime::Builder::new_current_thread().enable_all().build().ok().map(std::rc::Rc::new)
                });
                rt.clone().map(|rt| ThreadRuntime { rt })
            })
            .ok()
            .flatten()
    }

    fn block_on<T>(&self, future: impl Future<Output = Result<T>>) -> Result<T> {
        /// Marks the call over even if the future panics.
        struct InCall;
        impl Drop for InCall {
            fn drop(&mut self) {
                let _ = THREAD.try_with(|t| t.in_call.set(false));
            }
        }
        let _ = THREAD.try_with(|t| t.in_call.set(true));
        let _in_call = InCall;
        // Boxed: `block_on` passes the future it is given down several
        // frames by value; a box moves a pointer.
        self.rt.block_on(Box::pin(future))
    }
}

impl Client {
    /// A builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// Reads [`Config::from_env`](crate::Config::from_env) and builds a client.
    pub fn from_env() -> Result<Client> {
        Client::builder().config(crate::Config::from_env()?).build()
    }

    /// Wraps an async client (sharing its transport and token source).
    pub fn from_async(inner: crate::Client) -> Result<Client> {
        Ok(Client { inner, runtime: Runtime::start()? })
    }

    /// The async client underneath.
    pub fn as_async(&self) -> &crate::Client {
        &self.inner
    }

    /// Runs `future` to completion on this client's runtime.
    pub fn block_on<T>(&self, future: impl Future<Output = Result<T>>) -> Result<T> {
        self.runtime.block_on(future)
    }

    /// Sends `op` and decodes its response.
    pub fn execute<O: Operation + Sync>(&self, op: &O) -> Result<O::Output> {
        let (parts, body) = self.send(op)?;
        O::from_response(http::Response::from_parts(parts, body))
    }

    /// Sends `op` and decodes its response, with the response's metadata.
    pub fn execute_with_meta<O: Operation + Sync>(&self, op: &O) -> Result<crate::Response<O::Output>> {
        let (parts, body) = self.send(op)?;
        let meta = crate::ResponseMeta::new(op.id(), O::RATE_LIMIT_CATEGORY, parts.status, parts.headers.clone());
        let value = O::from_response(http::Response::from_parts(parts, body))?;
        Ok(crate::Response { value, meta })
    }

    /// Builds `op`'s request here, sends it, and returns the answer's head
    /// and body to be decoded here.
    ///
    /// A thread that calls again gets a runtime of its own (see
    /// [`ThreadRuntime`]) when every part of the call allows it, and runs
    /// its calls there with its own connections: threads calling at once
    /// then share nothing. Otherwise the call goes to the shared runtime.
    /// Alone, the calling thread runs the call itself. While other calls
    /// are under way it sends the call as a task of the runtime instead: a
    /// task is driven by whichever thread drives the runtime, so the waiting
    /// thread is woken once, when the answer is in (a future polled by its
    /// own thread would be woken at every step).
    fn send<O: Operation + Sync>(&self, op: &O) -> Result<(http::response::Parts, bytes::Bytes)> {
        let call = self.inner.prepare(op)?;
        let client = self.inner.clone();
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::BlockingInAsyncContext);
        }
        if client.runs_on_any_runtime()
            && let Some(own) = ThreadRuntime::get()
        {
            return own.block_on(async move { client.send_prepared(call).await });
        }
        if !self.runtime.busy() {
            return self.block_on(async move { client.send_prepared(call).await });
        }
        self.block_on(async move {
            match tokio::spawn(async move { client.send_prepared(call).await }).await {
                Ok(result) => result,
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(_) => Err(Error::Runtime { what: "is shut down", source: None }),
            }
        })
    }

    /// Sends `op` and returns the body as JSON, as it came; see
    /// [`crate::Client::execute_json`].
    pub fn execute_json<O>(&self, op: &O) -> Result<crate::Response<serde_json::Value>>
    where
        O: Operation + Sync,
        O::Output: serde::Serialize,
    {
        self.block_on(self.inner.execute_json(op))
    }
}

/// An iterator over the pages of a paginated operation.
#[derive(Debug)]
#[must_use = "iterators do nothing until consumed"]
pub struct Pages<'c, O> {
    client: &'c Client,
    op: O,
    cursor: Cursor,
}

impl<'c, O: Paginated + Sync> Pages<'c, O> {
    /// Pages of `op`, from the bookmark set on it (the first page when none is).
    pub fn new(client: &'c Client, op: O) -> Self {
        let cursor =
            Cursor::starting_at(op.bookmark().map(str::to_owned)).with_limits(client.as_async().config().pagination());
        Pages { client, op, cursor }
    }

    /// The cursor, e.g. to see why iteration stopped.
    pub fn cursor(&self) -> &Cursor {
        &self.cursor
    }
}

impl<O: Paginated + Sync> Iterator for Pages<'_, O> {
    type Item = Result<Page<O::Item>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.cursor.is_finished() {
            return None;
        }
        let bookmark = match start_page(&mut self.op, &mut self.cursor)? {
            Ok(bookmark) => bookmark,
            Err(e) => return Some(Err(e)),
        };
        Some(finish_page::<O>(&mut self.cursor, bookmark, self.client.execute(&self.op)))
    }
}

/// An iterator over the items of every page, with a [`Checkpoint`] to
/// resume from.
#[must_use = "iterators do nothing until consumed"]
pub struct Items<'c, O: Paginated> {
    pages: Pages<'c, O>,
    buffer: ItemBuffer<O::Item>,
}

impl<O: Paginated + fmt::Debug> fmt::Debug for Items<'_, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Items").field("pages", &self.pages).finish_non_exhaustive()
    }
}

impl<'c, O: Paginated + Sync> Items<'c, O> {
    /// Items of `op`, from the bookmark set on it (the first page when none is).
    pub fn new(client: &'c Client, op: O) -> Self {
        let start = Checkpoint::new(op.bookmark().map(str::to_owned), 0);
        Items { pages: Pages::new(client, op), buffer: ItemBuffer::new(&start) }
    }

    /// Items of `op` from `checkpoint`.
    pub fn from_checkpoint(client: &'c Client, mut op: O, checkpoint: &Checkpoint) -> Self {
        op.set_bookmark(checkpoint.bookmark.clone());
        Items { pages: Pages::new(client, op), buffer: ItemBuffer::new(checkpoint) }
    }

    /// Where the iteration is: resume from here with `iter_from`.
    pub fn checkpoint(&self) -> Checkpoint {
        self.buffer.checkpoint()
    }
}

impl<O: Paginated + Sync> Iterator for Items<'_, O> {
    type Item = Result<O::Item>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.buffer.next_item() {
                return Some(Ok(item));
            }
            match self.pages.next()? {
                Ok(page) => self.buffer.load(page),
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

/// The OAuth client, blocking: each method runs [`crate::oauth::OAuth`]'s
/// async one on a private runtime.
///
/// ```no_run
/// use pinterest_sdk::blocking::{Client, OAuth};
/// let oauth = OAuth::new("1234567890", "app secret")?;
/// let (url, pending) = oauth.authorization_url();
/// println!("open {url}");
/// let tokens = oauth.exchange_redirect(&pending, "https://localhost/?code=...&state=...")?;
/// let client = Client::builder().access_token(tokens.access_token.clone()).build()?;
/// # Ok::<(), pinterest_sdk::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct OAuth {
    inner: crate::oauth::OAuth,
    runtime: Arc<Runtime>,
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Runtime")
    }
}

impl OAuth {
    /// See [`crate::oauth::OAuth::new`].
    pub fn new(app_id: impl Into<String>, app_secret: impl Into<String>) -> Result<Self> {
        OAuth::from_async(crate::oauth::OAuth::new(app_id, app_secret))
    }

    /// Wraps an async OAuth client (see [`crate::oauth::OAuth::builder`]).
    pub fn from_async(inner: crate::oauth::OAuth) -> Result<Self> {
        Ok(OAuth { inner, runtime: Runtime::start()? })
    }

    /// The async client underneath.
    pub fn as_async(&self) -> &crate::oauth::OAuth {
        &self.inner
    }

    /// See [`crate::oauth::OAuth::authorization_url`].
    pub fn authorization_url(&self) -> (url::Url, crate::oauth::PendingLogin) {
        self.inner.authorization_url()
    }

    /// See [`crate::oauth::OAuth::authorization_url_with`].
    pub fn authorization_url_with(&self, scopes: &[crate::oauth::Scope]) -> (url::Url, crate::oauth::PendingLogin) {
        self.inner.authorization_url_with(scopes)
    }

    /// See [`crate::oauth::OAuth::exchange_redirect`].
    pub fn exchange_redirect(
        &self,
        pending: &crate::oauth::PendingLogin,
        redirect_url: &str,
    ) -> Result<crate::auth::TokenSet> {
        self.runtime.block_on(self.inner.exchange_redirect(pending, redirect_url))
    }

    /// See [`crate::oauth::OAuth::exchange_code`].
    pub fn exchange_code(
        &self,
        pending: &crate::oauth::PendingLogin,
        code: &str,
        state: &str,
    ) -> Result<crate::auth::TokenSet> {
        self.runtime.block_on(self.inner.exchange_code(pending, code, state))
    }

    /// See [`crate::oauth::OAuth::refresh`].
    pub fn refresh(&self, tokens: &crate::auth::TokenSet) -> Result<crate::auth::TokenSet> {
        self.runtime.block_on(self.inner.refresh(tokens))
    }

    /// See [`crate::oauth::OAuth::refresh_with_scopes`].
    pub fn refresh_with_scopes(
        &self,
        tokens: &crate::auth::TokenSet,
        scopes: Option<&[crate::oauth::Scope]>,
    ) -> Result<crate::auth::TokenSet> {
        self.runtime.block_on(self.inner.refresh_with_scopes(tokens, scopes))
    }

    /// See [`crate::oauth::OAuth::client_credentials`].
    pub fn client_credentials(&self, scopes: &[crate::oauth::Scope]) -> Result<crate::auth::TokenSet> {
        self.runtime.block_on(self.inner.client_credentials(scopes))
    }

    /// See [`crate::oauth::OAuth::revoke`].
    pub fn revoke(&self, token: crate::oauth::RevocableToken<'_>) -> Result<()> {
        self.runtime.block_on(self.inner.revoke(token))
    }

    /// See [`crate::oauth::OAuth::conversion_token`].
    pub fn conversion_token(&self, user_token: &crate::secret::AccessToken) -> Result<crate::oauth::ConversionToken> {
        self.runtime.block_on(self.inner.conversion_token(user_token))
    }
}
