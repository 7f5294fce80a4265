//! Where the client's access token comes from, and how tokens live on.
//!
//! Both clients ask a [`TokenSource`] for a token before every attempt and
//! tell it when Pinterest answered 401. [`StaticToken`] hands out one fixed
//! token; [`RefreshingTokenSource`] refreshes through [`OAuth`](crate::oauth::OAuth),
//! persists through a [`TokenStore`] and calls a hook on every new set.

mod refreshing;
pub(crate) mod store;
pub(crate) mod tokens;

pub use refreshing::{RefreshingBuilder, RefreshingTokenSource};
pub use store::{FileTokenStore, MemoryTokenStore, SaveOutcome, StoreLock, TokenKey, TokenStore, Versioned};
pub use tokens::{Clock, ManualClock, SystemClock, TokenSet};

use crate::error::{Error, Result};
use crate::secret::AccessToken;
use crate::transport::BoxFuture;

/// Supplies bearer tokens to the clients.
pub trait TokenSource: Send + Sync + 'static {
    /// A token to send now. A refreshing source refreshes first when the
    /// token is about to expire.
    fn token(&self) -> BoxFuture<'_, Result<AccessToken>>;

    /// Pinterest answered 401 to a request sent with `rejected`. Returns
    /// `true` when a different token is now available, in which case the
    /// client re-sends the request once.
    fn on_unauthorized<'a>(&'a self, rejected: &'a AccessToken) -> BoxFuture<'a, Result<bool>>;

    /// The scopes the current token was granted, when known. The client
    /// refuses an operation before sending when they lack what it requires
    /// (see [`ConfigBuilder::check_scopes`](crate::config::ConfigBuilder::check_scopes)).
    fn scopes(&self) -> Option<Vec<crate::oauth::Scope>> {
        None
    }

    /// The (app, account) whose tokens these are, when the source knows
    /// (a refreshing source with a store). Clients key rate budgets on it.
    fn account_key(&self) -> Option<&TokenKey> {
        None
    }
}

impl<T: TokenSource + ?Sized> TokenSource for std::sync::Arc<T> {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken>> {
        (**self).token()
    }
    fn on_unauthorized<'a>(&'a self, rejected: &'a AccessToken) -> BoxFuture<'a, Result<bool>> {
        (**self).on_unauthorized(rejected)
    }
    fn scopes(&self) -> Option<Vec<crate::oauth::Scope>> {
        (**self).scopes()
    }
    fn account_key(&self) -> Option<&TokenKey> {
        (**self).account_key()
    }
}

/// A fixed access token (from the developer console or `PINTEREST_ACCESS_TOKEN`).
#[derive(Debug, Clone)]
pub struct StaticToken(AccessToken);

impl StaticToken {
    /// Wraps `token`.
    pub fn new(token: AccessToken) -> Self {
        StaticToken(token)
    }
}

impl TokenSource for StaticToken {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken>> {
        Box::pin(std::future::ready(Ok(self.0.clone())))
    }

    fn on_unauthorized<'a>(&'a self, _rejected: &'a AccessToken) -> BoxFuture<'a, Result<bool>> {
        Box::pin(std::future::ready(Ok(false)))
    }
}

/// The source used when none is configured: every call fails with
/// [`Error::NotAuthenticated`] before anything is sent.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct NoToken;

impl TokenSource for NoToken {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken>> {
        Box::pin(std::future::ready(Err(Error::NotAuthenticated)))
    }

    fn on_unauthorized<'a>(&'a self, _rejected: &'a AccessToken) -> BoxFuture<'a, Result<bool>> {
        Box::pin(std::future::ready(Ok(false)))
    }
}
