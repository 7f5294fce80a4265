//! The blocking client: the async client driven by a private runtime.
//!
//! Like `reqwest::blocking`, it owns a small tokio runtime (one worker thread
//! for I/O and timers) and blocks the calling thread on the async client's
//! futures, so retries, token refresh and pagination are the very same code.
//! It is `Send + Sync + Clone`; clones share the runtime and the connection
//! pool. Calling it from inside an async runtime returns
//! [`Error::BlockingInAsyncContext`] instead of stalling the executor.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::operation::{Operation, Paginated};
use crate::paginate::{Cursor, Page, next_page};

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

struct Runtime(Option<tokio::runtime::Runtime>);

impl Drop for Runtime {
    fn drop(&mut self) {
        // Dropping a runtime inside another one panics; shut it down in the
        // background instead.
        if let Some(rt) = self.0.take() {
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

    /// Builds the client and its runtime.
    pub fn build(self) -> Result<Client> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("pinterest-blocking")
            .enable_all()
            .build()
            .map_err(|e| Error::Config(format!("cannot start the blocking client's runtime: {e}")))?;
        let inner = self.0.build()?;
        Ok(Client { inner, runtime: Arc::new(Runtime(Some(runtime))) })
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
        let built = Client::builder().build()?;
        Ok(Client { inner, runtime: built.runtime })
    }

    /// The async client underneath.
    pub fn as_async(&self) -> &crate::Client {
        &self.inner
    }

    /// Runs `future` to completion on this client's runtime.
    pub fn block_on<T>(&self, future: impl Future<Output = Result<T>>) -> Result<T> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::BlockingInAsyncContext);
        }
        match &self.runtime.0 {
            Some(rt) => rt.block_on(future),
            None => Err(Error::Config("the blocking runtime is shut down".into())),
        }
    }

    /// Sends `op` and decodes its response.
    pub fn execute<O: Operation + Sync>(&self, op: &O) -> Result<O::Output> {
        self.block_on(self.inner.execute(op))
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
    /// Pages of `op`, from its first page.
    pub fn new(client: &'c Client, op: O) -> Self {
        Pages { client, op, cursor: Cursor::new() }
    }

    /// The cursor, e.g. to see why iteration stopped.
    pub fn cursor(&self) -> &Cursor {
        &self.cursor
    }
}

impl<O: Paginated + Sync> Iterator for Pages<'_, O> {
    type Item = Result<Page<O::Item>>;

    fn next(&mut self) -> Option<Self::Item> {
        self.cursor.next_request()?;
        let (client, op, cursor) = (self.client, &mut self.op, &mut self.cursor);
        match client.block_on(async { next_page(client.as_async(), op, cursor).await.transpose() }) {
            Ok(page) => page.map(Ok),
            Err(e) => {
                self.cursor.fail();
                Some(Err(e))
            }
        }
    }
}

/// An iterator over the items of every page.
#[must_use = "iterators do nothing until consumed"]
pub struct Items<'c, O: Paginated> {
    pages: Pages<'c, O>,
    buffer: std::vec::IntoIter<O::Item>,
}

impl<O: Paginated + fmt::Debug> fmt::Debug for Items<'_, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Items").field("pages", &self.pages).finish_non_exhaustive()
    }
}

impl<'c, O: Paginated + Sync> Items<'c, O> {
    /// Items of `op`, from its first page.
    pub fn new(client: &'c Client, op: O) -> Self {
        Items { pages: Pages::new(client, op), buffer: Vec::new().into_iter() }
    }
}

impl<O: Paginated + Sync> Iterator for Items<'_, O> {
    type Item = Result<O::Item>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.buffer.next() {
                return Some(Ok(item));
            }
            match self.pages.next()? {
                Ok(page) => self.buffer = page.items.into_iter(),
                Err(e) => return Some(Err(e)),
            }
        }
    }
}
