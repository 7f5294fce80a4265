//! The sans-IO core: an [`Operation`] turns itself into an `http::Request`
//! and turns an `http::Response` into its typed output. Nothing here sends
//! anything; the async and blocking clients do, and both go through the same
//! functions.

use std::time::Duration;

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use http::{Method, StatusCode};

use crate::config::ApiBase;
use crate::error::{ApiError, Error, Result};
use crate::retry::RetryPolicy;
use crate::wire::Body;
pub use crate::wire::{QueryValue, RequestWriter};

/// How an operation authenticates, from the spec's security requirements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthScheme {
    /// `Authorization: Bearer <access token>` (OAuth 2.0 user or app token,
    /// or a conversion token).
    Bearer,
    /// HTTP Basic with the app id and secret (the token endpoints).
    Basic,
    /// No authentication.
    None,
}

/// Per-call overrides of the client's settings. Every operation has the
/// same setters (`client.pins().list().attempt_timeout(..)`); this type
/// carries them, for [`RawRequest`](crate::RawRequest) and hand-written
/// operations too.
///
/// ```
/// use std::time::Duration;
/// use pinterest_sdk::{CallOptions, retry::RetryPolicy};
/// let options = CallOptions::new().retry(RetryPolicy::never()).total_timeout(Duration::from_secs(5));
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallOptions {
    retry: Option<RetryPolicy>,
    total: Budget,
    attempt_timeout: Option<Duration>,
    max_response_bytes: Option<u64>,
    check_scopes: Option<bool>,
    wait_for_budget: Option<bool>,
}

/// The total time budget of a call, relative to the client's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Budget {
    /// The client's.
    #[default]
    Inherit,
    /// None at all.
    Unbounded,
    /// This one.
    Limit(Duration),
}

impl CallOptions {
    /// No overrides.
    pub const fn new() -> Self {
        CallOptions {
            retry: None,
            total: Budget::Inherit,
            attempt_timeout: None,
            max_response_bytes: None,
            check_scopes: None,
            wait_for_budget: None,
        }
    }

    /// Replaces the client's retry policy.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Replaces the client's total time budget.
    pub fn total_timeout(mut self, timeout: Duration) -> Self {
        self.total = Budget::Limit(timeout);
        self
    }

    /// No total time budget for this call (each attempt keeps its timeout).
    pub fn no_total_timeout(mut self) -> Self {
        self.total = Budget::Unbounded;
        self
    }

    /// Replaces the client's per-attempt timeout.
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }

    /// Replaces the client's cap on the response body, in bytes.
    pub fn max_response_bytes(mut self, limit: u64) -> Self {
        self.max_response_bytes = Some(limit);
        self
    }

    /// Turns the check of the token's scopes before sending on or off.
    pub fn check_scopes(mut self, on: bool) -> Self {
        self.check_scopes = Some(on);
        self
    }

    /// With a [rate limiter](crate::ratelimit) on the client: wait for a
    /// spent budget's window to reset (`true`, the client's default), or
    /// fail at once with [`Error::BudgetExhausted`].
    pub fn wait_for_budget(mut self, wait: bool) -> Self {
        self.wait_for_budget = Some(wait);
        self
    }

    pub(crate) fn budget_waits(&self, config: &crate::Config) -> bool {
        self.wait_for_budget.unwrap_or(config.wait_for_budget())
    }

    pub(crate) fn retry_policy<'a>(&'a self, config: &'a crate::Config) -> &'a RetryPolicy {
        self.retry.as_ref().unwrap_or(config.retry())
    }

    pub(crate) fn total(&self, config: &crate::Config) -> Option<Duration> {
        match self.total {
            Budget::Inherit => config.timeouts().total,
            Budget::Unbounded => None,
            Budget::Limit(d) => Some(d),
        }
    }

    pub(crate) fn attempt(&self, config: &crate::Config) -> Duration {
        self.attempt_timeout.unwrap_or(config.timeouts().attempt)
    }

    pub(crate) fn response_limit(&self, config: &crate::Config) -> u64 {
        self.max_response_bytes.unwrap_or(config.max_response_bytes())
    }

    pub(crate) fn scopes_checked(&self, config: &crate::Config) -> bool {
        self.check_scopes.unwrap_or(config.check_scopes())
    }
}

static NO_OPTIONS: CallOptions = CallOptions::new();

/// One API operation: a plain value holding its arguments.
///
/// Generated for every operation of the spec; hand-written for the untyped
/// [`RawRequest`](crate::RawRequest). Use [`Operation::to_request`] and
/// [`Operation::from_response`] to drive it with any HTTP stack.
pub trait Operation {
    /// What a success response decodes into.
    type Output;
    /// The spec's operation id, e.g. `"pins/get"`.
    const ID: &'static str;
    /// HTTP method.
    const METHOD: Method;
    /// How the request authenticates.
    const AUTH: AuthScheme;
    /// The response carries secrets (token endpoints): its body is never kept
    /// in an error.
    const SENSITIVE_RESPONSE: bool = false;
    /// OAuth scope sets of the spec, any one of which suffices (each set is
    /// needed in full); empty when the spec lists none.
    const SCOPES: &'static [&'static [&'static str]] = &[];
    /// The spec's `x-ratelimit-category` (empty when unknown).
    const RATE_LIMIT_CATEGORY: &'static str = "";
    /// Whether Pinterest's sandbox serves it (`x-sandbox: enabled`).
    const SANDBOX: bool = true;

    /// Writes path, query and body. Refuses invalid arguments (an empty path
    /// parameter, a `page_size` outside its range) before anything is sent.
    fn write(&self, w: &mut RequestWriter) -> Result<()>;

    /// Decodes a 2xx response body.
    fn decode(status: StatusCode, body: Bytes) -> Result<Self::Output>;

    /// Per-call overrides.
    fn options(&self) -> &CallOptions {
        &NO_OPTIONS
    }

    /// The spec's operation id of this value (for dynamic operations).
    fn id(&self) -> &'static str {
        Self::ID
    }

    /// The HTTP method of this value (for dynamic operations).
    fn method(&self) -> Method {
        Self::METHOD
    }

    /// Builds the request against `base`, without authentication headers
    /// (the client adds those).
    fn to_request(&self, base: &ApiBase) -> Result<http::Request<Bytes>> {
        build_request(self, base)
    }

    /// Decodes a response: the typed output on 2xx, an [`ApiError`] otherwise.
    fn from_response(response: http::Response<Bytes>) -> Result<Self::Output>
    where
        Self: Sized,
    {
        let (parts, body) = response.into_parts();
        if !parts.status.is_success() {
            let error = if Self::SENSITIVE_RESPONSE {
                ApiError::from_sensitive_response(Self::ID, parts.status, &parts.headers, &body)
            } else {
                ApiError::from_response(Self::ID, parts.status, &parts.headers, &body)
            };
            return Err(error.into());
        }
        Self::decode(parts.status, body)
    }
}

/// The request of `op` against `base`: what [`Operation::to_request`] does
/// unless an operation overrides it.
pub fn build_request<O: Operation + ?Sized>(op: &O, base: &ApiBase) -> Result<http::Request<Bytes>> {
    let mut w = RequestWriter::new(op.id());
    op.write(&mut w)?;
    let headers = w.take_headers();
    let (path, query, body) = w.into_parts();
    let mut uri = String::with_capacity(base.as_str().len() + path.len() + query.len() + 1);
    uri.push_str(base.as_str());
    uri.push_str(&path);
    if !query.is_empty() {
        uri.push('?');
        uri.push_str(&query);
    }
    let (content_type, body) = match body {
        Body::Empty => (None, Bytes::new()),
        Body::Json(b) => (Some("application/json"), b),
        Body::Form(b) => (Some("application/x-www-form-urlencoded"), b),
    };
    // Built in place rather than through `http::request::Builder`, and the
    // URI parsed from the string it was written into (no copy).
    let uri =
        http::Uri::try_from(uri).map_err(|e| Error::invalid(op.id(), format!("cannot build the request URI: {e}")))?;
    let mut req = http::Request::new(body);
    *req.method_mut() = op.method();
    *req.uri_mut() = uri;
    let h = req.headers_mut();
    h.insert(ACCEPT, HeaderValue::from_static("application/json"));
    if let Some(ct) = content_type {
        h.insert(CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    if !headers.is_empty() {
        h.extend(headers);
    }
    Ok(req)
}

/// Operations that page with Pinterest's `bookmark` cursor.
pub trait Paginated: Operation + Clone {
    /// One element of a page.
    type Item;
    /// The `bookmark` query parameter as set (`None`: the first page).
    fn bookmark(&self) -> Option<&str>;
    /// Sets the `bookmark` query parameter (`None`: the first page).
    fn set_bookmark(&mut self, bookmark: Option<String>);
    /// Splits a page into its items and the next bookmark.
    fn into_page(output: Self::Output) -> crate::paginate::Page<Self::Item>;
}

/// The pieces the generated code needs, re-exported for it.
#[allow(unused_imports)]
pub(crate) mod __private {
    pub use crate::error::{BuildError, Result};
    pub use crate::operation::{AuthScheme, CallOptions, Operation, Paginated};
    pub use crate::paginate::Page;
    pub use crate::wire::{QueryValue, RequestWriter, decode_json, decode_text, double_option};
    pub use bytes::Bytes;
    pub use http::{Method, StatusCode};
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "test code")]
mod tests {
    use super::*;

    /// An operation with header parameters (v5.23.0 has none; the generator
    /// writes `w.header(..)` for them, tested on a synthetic spec in xtask).
    struct Tagged(&'static str);

    impl Operation for Tagged {
        type Output = ();
        const ID: &'static str = "test/tagged";
        const METHOD: Method = Method::GET;
        const AUTH: AuthScheme = AuthScheme::Bearer;

        fn write(&self, w: &mut RequestWriter) -> Result<()> {
            w.path("/things");
            w.header("X-Request-Tag", self.0)?;
            w.header_csv("X-Ids", &["1", "2"])
        }

        fn decode(_: StatusCode, _: Bytes) -> Result<()> {
            Ok(())
        }
    }

    #[test]
    fn header_parameters_go_on_the_request() {
        let base = ApiBase::parse("https://api.pinterest.com/v5").unwrap();
        let req = Tagged("nightly sync").to_request(&base).unwrap();
        assert_eq!(req.uri(), "https://api.pinterest.com/v5/things");
        assert_eq!(req.headers()["x-request-tag"], "nightly sync");
        assert_eq!(req.headers()["x-ids"], "1,2");
        assert_eq!(req.headers()["accept"], "application/json");
        let err = Tagged("a\nb").to_request(&base).unwrap_err();
        assert!(matches!(err, Error::InvalidRequest { operation: "test/tagged", .. }), "{err:?}");
    }
}
