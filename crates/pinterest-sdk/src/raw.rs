//! Typed calls to paths the spec does not (yet) describe.

use std::marker::PhantomData;

use bytes::Bytes;
use http::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::client::{CallMeta, Payload};
use crate::error::{ApiError, Error, Result};
use crate::operation::{AuthScheme, CallOptions, Operation};
use crate::response::{Response, ResponseMeta};
use crate::transport::{Body, ResponseBody};
use crate::wire::{RequestWriter, decode_json};

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
    body: crate::wire::Body,
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
            body: crate::wire::Body::Empty,
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
            Ok(b) => self.body = crate::wire::Body::Json(Bytes::from(b)),
            Err(e) => self.body_error = Some(format!("the body cannot be encoded: {e}")),
        }
        self
    }

    /// Sends `body` form-encoded.
    pub fn form(mut self, body: &impl Serialize) -> Self {
        match serde_urlencoded::to_string(body) {
            Ok(b) => self.body = crate::wire::Body::Form(Bytes::from(b)),
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

    call_option_setters!();
}

impl<T: DeserializeOwned, C> Operation for RawRequest<T, C> {
    type Output = T;
    const ID: &'static str = "raw";
    const METHOD: Method = Method::GET;
    const AUTH: AuthScheme = AuthScheme::Bearer;

    fn write(&self, w: &mut RequestWriter) -> Result<()> {
        check_raw_path(&self.path).map_err(|why| Error::invalid("raw", why))?;
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

/// Refuses a raw path that could leave the API base: it must start with `/`,
/// carry no query, fragment or backslash, and no segment may be `.` or `..`
/// or hide a `/` once percent-decoded (`%2e%2e`, `%2F`, or encoded twice),
/// since HTTP stacks and servers normalise those away.
pub(crate) fn check_raw_path(path: &str) -> std::result::Result<(), String> {
    const SHAPE: &str = "the path must start with `/`, stay under the API base and carry no query (use .query())";
    if !path.starts_with('/')
        || path.contains("://")
        || path.contains(['?', '#', '\\'])
        || path.contains(char::is_control)
    {
        return Err(SHAPE.into());
    }
    let segments: Vec<&str> = path[1..].split('/').collect();
    for (i, segment) in segments.iter().enumerate() {
        if segment.is_empty() && i + 1 < segments.len() {
            return Err("the path has an empty segment (`//`)".into());
        }
        if crate::wire::escapes_segment(segment, true) {
            return Err("the path has a `.` or `..` segment, or an encoded `/` (plain or percent-encoded): it would leave the API base".into());
        }
    }
    Ok(())
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
        Ok(self.c.dispatch_raw(&self).await?.value)
    }

    /// Sends the request and decodes the response, with its metadata.
    pub async fn send_with_meta(self) -> Result<Response<T>> {
        self.c.dispatch_raw(&self).await
    }

    /// Sends the request and hands out a 2xx body as a stream of chunks,
    /// without a size limit (a download); other statuses are errors.
    pub async fn send_streaming(self) -> Result<Response<ResponseBody>> {
        self.c.stream_raw(&self).await
    }
}

impl<T: DeserializeOwned> RawRequest<T, &crate::blocking::Client> {
    /// Sends the request and decodes the response.
    pub fn send(self) -> Result<T> {
        Ok(self.c.block_on(self.c.as_async().dispatch_raw(&self))?.value)
    }

    /// Sends the request and decodes the response, with its metadata.
    pub fn send_with_meta(self) -> Result<Response<T>> {
        self.c.block_on(self.c.as_async().dispatch_raw(&self))
    }
}

impl crate::Client {
    async fn dispatch_raw<T: DeserializeOwned, C: Sync>(&self, op: &RawRequest<T, C>) -> Result<Response<T>> {
        let request = op.to_request(self.config().api_base())?;
        let meta = CallMeta::plain("raw", op.auth, &op.o);
        let response = self.dispatch(request.map(Body::from), meta, false).await?;
        let (parts, payload) = response.into_parts();
        let body = match payload {
            Payload::Full(b) => b,
            Payload::Stream(_) => Bytes::new(),
        };
        let value = RawRequest::<T, C>::from_response(http::Response::from_parts(parts.clone(), body))?;
        Ok(Response { value, meta: ResponseMeta::new("raw", "", parts.status, parts.headers) })
    }

    async fn stream_raw<T, C: Sync>(&self, op: &RawRequest<T, C>) -> Result<Response<ResponseBody>>
    where
        T: DeserializeOwned,
    {
        let request = op.to_request(self.config().api_base())?;
        let meta = CallMeta::plain("raw", op.auth, &op.o);
        streamed(self.dispatch(request.map(Body::from), meta, true).await?, "raw")
    }

    /// Downloads `url` (an `https` URL Pinterest handed out, such as a
    /// report's), streaming the body without a size limit. The request
    /// carries no Pinterest credentials: they never go to another host.
    pub async fn download(&self, url: &str) -> Result<Response<ResponseBody>> {
        let url = crate::config::checked_link(url)?;
        let uri: http::Uri =
            url.as_str().parse().map_err(|e| Error::invalid("download", format!("bad download URL: {e}")))?;
        let request = http::Request::get(uri)
            .body(Body::empty())
            .map_err(|e| Error::invalid("download", format!("bad download URL: {e}")))?;
        let options = CallOptions::new();
        let meta = CallMeta::plain("download", AuthScheme::None, &options);
        streamed(self.dispatch(request, meta, true).await?, "download")
    }
}

/// A streamed 2xx response, or the error of another status.
fn streamed(response: http::Response<Payload>, operation: &'static str) -> Result<Response<ResponseBody>> {
    let (parts, payload) = response.into_parts();
    match payload {
        Payload::Stream(body) => {
            Ok(Response { value: body, meta: ResponseMeta::new(operation, "", parts.status, parts.headers) })
        }
        Payload::Full(body) if parts.status.is_success() => Ok(Response {
            value: ResponseBody::full(body),
            meta: ResponseMeta::new(operation, "", parts.status, parts.headers),
        }),
        Payload::Full(body) => Err(ApiError::from_response(operation, parts.status, &parts.headers, &body).into()),
    }
}
