//! Typed calls to paths the spec does not (yet) describe.

use std::marker::PhantomData;

use bytes::Bytes;
use http::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::operation::{AuthScheme, CallOptions, Operation};
use crate::wire::{Body, RequestWriter, decode_json};

/// A request to any path under the API base, decoded into `T`.
///
/// ```no_run
/// # async fn demo(client: pinterest_sdk::Client) -> pinterest_sdk::Result<()> {
/// use http::Method;
/// let page: serde_json::Value = client
///     .request(Method::GET, "/boards")
///     .query("page_size", "10")
///     .send()
///     .await?;
/// # Ok(()) }
/// ```
///
/// The path is relative to the API base (`/pins/123`, not a full URL), so a
/// token can never be sent to another host. An empty response body decodes
/// as JSON `null`: use `()`, `Option<_>` or `serde_json::Value` for those.
#[must_use = "a request does nothing until it is sent"]
pub struct RawRequest<T, C = ()> {
    c: C,
    o: CallOptions,
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    body: Body,
    body_error: Option<String>,
    headers: Vec<(http::HeaderName, http::HeaderValue)>,
    auth: AuthScheme,
    _out: PhantomData<fn() -> T>,
}

impl<T, C: std::fmt::Debug> std::fmt::Debug for RawRequest<T, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawRequest").field("method", &self.method).field("path", &self.path).finish_non_exhaustive()
    }
}

impl<T> RawRequest<T> {
    /// A detached request (send it with [`Client::execute`](crate::Client::execute)).
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        RawRequest::bind((), method, path)
    }
}

impl<T, C> RawRequest<T, C> {
    pub(crate) fn bind(c: C, method: Method, path: impl Into<String>) -> Self {
        RawRequest {
            c,
            o: CallOptions::default(),
            method,
            path: path.into(),
            query: Vec::new(),
            body: Body::Empty,
            body_error: None,
            headers: Vec::new(),
            auth: AuthScheme::Bearer,
            _out: PhantomData,
        }
    }

    /// Adds a query parameter (repeat the call for repeated keys).
    pub fn query(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((key.into(), value.into()));
        self
    }

    /// Sends `body` as JSON.
    pub fn json(mut self, body: &impl Serialize) -> Self {
        match serde_json::to_vec(body) {
            Ok(b) => self.body = Body::Json(Bytes::from(b)),
            Err(e) => self.body_error = Some(format!("the body cannot be encoded: {e}")),
        }
        self
    }

    /// Sends `body` form-encoded.
    pub fn form(mut self, body: &impl Serialize) -> Self {
        match serde_urlencoded::to_string(body) {
            Ok(b) => self.body = Body::Form(Bytes::from(b)),
            Err(e) => self.body_error = Some(format!("the body cannot be encoded: {e}")),
        }
        self
    }

    /// Adds a request header. Credentials headers (`Authorization`, `Cookie`,
    /// `Proxy-Authorization`) and `Host` are refused: the client sets
    /// authentication itself.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let parsed = (http::HeaderName::try_from(name), http::HeaderValue::try_from(value));
        match parsed {
            (Ok(n), _) if matches!(n.as_str(), "authorization" | "proxy-authorization" | "cookie" | "host") => {
                self.body_error = Some(format!("the `{n}` header cannot be set on a request"));
            }
            (Ok(n), Ok(v)) => self.headers.push((n, v)),
            _ => self.body_error = Some(format!("`{name}` is not a valid header")),
        }
        self
    }

    /// Uses another authentication scheme (default: bearer token).
    pub fn auth(mut self, auth: AuthScheme) -> Self {
        self.auth = auth;
        self
    }

    /// Replaces the client's retry policy for this call.
    pub fn with_retry(mut self, policy: crate::retry::RetryPolicy) -> Self {
        self.o.retry = Some(policy);
        self
    }
}

impl<T: DeserializeOwned, C> Operation for RawRequest<T, C> {
    type Output = T;
    const ID: &'static str = "raw";
    const METHOD: Method = Method::GET;
    const AUTH: AuthScheme = AuthScheme::Bearer;

    fn write(&self, w: &mut RequestWriter) -> Result<()> {
        if !self.path.starts_with('/')
            || self.path.contains("://")
            || self.path.contains(['?', '#'])
            || self.path.split('/').any(|s| s == "..")
        {
            return Err(Error::invalid(
                "raw",
                "the path must start with `/`, stay under the API base and carry no query (use .query())",
            ));
        }
        if let Some(e) = &self.body_error {
            return Err(Error::invalid("raw", format!("the body cannot be encoded: {e}")));
        }
        w.path(&self.path);
        for (k, v) in &self.query {
            w.query(k, v);
        }
        w.body(self.body.clone());
        Ok(())
    }

    fn decode(status: StatusCode, body: Bytes) -> Result<T> {
        let body = if body.iter().all(u8::is_ascii_whitespace) { Bytes::from_static(b"null") } else { body };
        decode_json(Self::ID, status, body, false)
    }

    fn options(&self) -> &CallOptions {
        &self.o
    }

    fn to_request(&self, base: &crate::config::ApiBase) -> Result<http::Request<Bytes>> {
        let mut req = crate::operation::build_request(self, base)?;
        for (n, v) in &self.headers {
            req.headers_mut().append(n.clone(), v.clone());
        }
        Ok(req)
    }

    fn method(&self) -> Method {
        self.method.clone()
    }
}

impl crate::Client {
    /// A typed request to any path under the API base.
    pub fn request<T: DeserializeOwned>(&self, method: Method, path: impl Into<String>) -> RawRequest<T, &Self> {
        RawRequest::bind(self, method, path)
    }
}

impl crate::blocking::Client {
    /// A typed request to any path under the API base.
    pub fn request<T: DeserializeOwned>(&self, method: Method, path: impl Into<String>) -> RawRequest<T, &Self> {
        RawRequest::bind(self, method, path)
    }
}

impl<T: DeserializeOwned> RawRequest<T, &crate::Client> {
    /// Sends the request and decodes the response.
    pub async fn send(self) -> Result<T> {
        self.c.dispatch_raw(&self).await
    }
}

impl<T: DeserializeOwned> RawRequest<T, &crate::blocking::Client> {
    /// Sends the request and decodes the response.
    pub fn send(self) -> Result<T> {
        self.c.block_on(self.c.as_async().dispatch_raw(&self))
    }
}

impl crate::Client {
    async fn dispatch_raw<T: DeserializeOwned, C: Sync>(&self, op: &RawRequest<T, C>) -> Result<T> {
        let request = op.to_request(self.config().api_base())?;
        let meta = crate::client::CallMeta { id: "raw", auth: op.auth, options: &op.o };
        let response = self.dispatch(request, meta).await?;
        RawRequest::<T, C>::from_response(response)
    }
}
