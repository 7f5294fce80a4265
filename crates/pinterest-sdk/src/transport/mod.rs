//! Sending requests: the only place that does network I/O.
//!
//! A [`Transport`] takes an `http::Request<Body>` and returns an
//! `http::Response<ResponseBody>` as soon as the headers are in. Both
//! bodies stream (they implement [`http_body::Body`]): an upload is read
//! from its file as it is sent, and the client reads a response body up to
//! its size limit, or hands it out as a stream of chunks for downloads.
//!
//! The default is [`HyperTransport`]: hyper's pooled client over rustls,
//! HTTP/1.1 and HTTP/2, redirects never followed, and the proxies of the
//! environment ([`Proxies::from_env`]: `HTTPS_PROXY`, `HTTP_PROXY`,
//! `ALL_PROXY`, `NO_PROXY`). `ReqwestTransport` (feature `reqwest`) puts
//! reqwest underneath instead. Tests and unusual setups plug in a closure
//! with [`from_fn`] or [`from_async_fn`], which see whole bodies as `Bytes`,
//! and need no server.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt as _;
use http_body_util::combinators::BoxBody;

use crate::error::{Result, TransportError, TransportErrorKind};

/// A boxed, `Send` future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The error type of streaming bodies.
pub use pinterest_http::BoxError;

/// Result of one exchange on the wire: the response with its body still to
/// be read.
pub type TransportResult = std::result::Result<http::Response<ResponseBody>, TransportError>;

/// Sends one request and returns the response once its headers arrive. Must
/// not follow redirects, retry or add headers: the client does all of that.
pub trait Transport: Send + Sync + 'static {
    /// Sends `request`.
    fn send(&self, request: http::Request<Body>) -> BoxFuture<'_, TransportResult>;
}

impl<T: Transport + ?Sized> Transport for Arc<T> {
    fn send(&self, request: http::Request<Body>) -> BoxFuture<'_, TransportResult> {
        (**self).send(request)
    }
}

/// A request body: bytes in memory, or a stream that is read while it is
/// sent (an upload from a file). Only an in-memory body can be sent again,
/// so only such requests are retried.
pub struct Body(BodyKind);

/// The pool's own body type, so that a body goes to it as it is.
use pinterest_http::RequestBody as BodyKind;

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            BodyKind::Full(b) => write!(f, "Body({} bytes)", b.as_ref().map_or(0, Bytes::len)),
            BodyKind::Stream(_) => f.write_str("Body(stream)"),
        }
    }
}

impl Default for Body {
    fn default() -> Self {
        Body::empty()
    }
}

impl Body {
    /// No body.
    pub fn empty() -> Self {
        Body(BodyKind::Full(None))
    }

    /// A body in memory.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        Body(BodyKind::Full((!bytes.is_empty()).then_some(bytes)))
    }

    /// A body read from `stream` as it is sent.
    pub fn from_stream<S, E>(stream: S) -> Self
    where
        S: futures_core::Stream<Item = std::result::Result<Bytes, E>> + Send + 'static,
        E: Into<BoxError> + 'static,
    {
        use futures_util::TryStreamExt as _;
        let frames = stream.map_ok(Frame::data).map_err(Into::into);
        Body::from_body(http_body_util::StreamBody::new(frames))
    }

    /// Any [`http_body::Body`]; it need not be `Sync`.
    pub fn from_body<B>(body: B) -> Self
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        Body(BodyKind::Stream(BoxBody::new(SyncBody(sync_wrapper::SyncWrapper::new(Box::pin(
            body.map_err(Into::into),
        ))))))
    }

    /// The bytes of an in-memory body (`None` for a stream).
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match &self.0 {
            BodyKind::Full(b) => Some(b.as_deref().unwrap_or_default()),
            BodyKind::Stream(_) => None,
        }
    }

    /// A copy of an in-memory body; `None` for a stream, which can be sent
    /// only once.
    pub fn try_clone(&self) -> Option<Body> {
        match &self.0 {
            BodyKind::Full(b) => Some(Body(BodyKind::Full(b.clone()))),
            BodyKind::Stream(_) => None,
        }
    }

    /// The bytes of an in-memory body, or the stream.
    #[cfg(feature = "reqwest")]
    pub(crate) fn into_memory(self) -> std::result::Result<Bytes, BoxBody<Bytes, BoxError>> {
        match self.0 {
            BodyKind::Full(b) => Ok(b.unwrap_or_default()),
            BodyKind::Stream(s) => Err(s),
        }
    }

    /// The body as the connection pool takes it.
    fn into_pool(self) -> BodyKind {
        self.0
    }

    /// Reads the whole body into memory.
    pub async fn collect(self) -> std::result::Result<Bytes, BoxError> {
        match self.0 {
            BodyKind::Full(b) => Ok(b.unwrap_or_default()),
            BodyKind::Stream(s) => Ok(s.collect().await?.to_bytes()),
        }
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Self {
        Body::from_bytes(bytes)
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Self {
        Body::from_bytes(bytes)
    }
}

impl From<String> for Body {
    fn from(text: String) -> Self {
        Body::from_bytes(text)
    }
}

impl From<&'static str> for Body {
    fn from(text: &'static str) -> Self {
        Body::from_bytes(Bytes::from_static(text.as_bytes()))
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<Frame<Bytes>, BoxError>>> {
        Pin::new(&mut self.0).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.0.size_hint()
    }
}

/// Makes a `Send` body `Sync`: it is only ever polled through `&mut`, so
/// no shared access can race.
struct SyncBody<B>(sync_wrapper::SyncWrapper<Pin<Box<B>>>);

impl<B: http_body::Body + Send> http_body::Body for SyncBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<Frame<B::Data>, B::Error>>> {
        self.get_mut().0.get_mut().as_mut().poll_frame(cx)
    }
}

/// A response body as it arrives.
pub struct ResponseBody(BoxBody<Bytes, BoxError>);

impl std::fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResponseBody")
    }
}

/// Why a response body could not be read whole.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// More than the limit.
    TooLarge,
    /// The connection failed while reading.
    Io(BoxError),
}

impl ResponseBody {
    /// Wraps any body.
    pub fn new<B>(body: B) -> Self
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        ResponseBody(BoxBody::new(SyncBody(sync_wrapper::SyncWrapper::new(Box::pin(body.map_err(Into::into))))))
    }

    /// A body already in memory.
    pub fn full(bytes: impl Into<Bytes>) -> Self {
        ResponseBody::new(http_body_util::Full::new(bytes.into()).map_err(|never| match never {}))
    }

    /// Reads the whole body, stopping with [`ReadError::TooLarge`] as soon
    /// as it goes past `limit` bytes.
    pub(crate) async fn collect_limited(self, limit: u64) -> std::result::Result<Bytes, ReadError> {
        let mut body = self.0;
        // One chunk (the usual case for a small response) is kept as it is,
        // with no copy and no list; more are joined once at the end.
        let mut first: Option<Bytes> = None;
        let mut more: Vec<Bytes> = Vec::new();
        let mut len: u64 = 0;
        while let Some(frame) = body.frame().await {
            let Ok(data) = frame.map_err(ReadError::Io)?.into_data() else { continue };
            len += data.len() as u64;
            if len > limit {
                return Err(ReadError::TooLarge);
            }
            if first.is_none() {
                first = Some(data);
            } else {
                more.push(data);
            }
        }
        Ok(match first {
            None => Bytes::new(),
            Some(only) if more.is_empty() => only,
            Some(first) => {
                let mut joined = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
                joined.extend_from_slice(&first);
                for chunk in &more {
                    joined.extend_from_slice(chunk);
                }
                Bytes::from(joined)
            }
        })
    }
}

impl From<Bytes> for ResponseBody {
    fn from(bytes: Bytes) -> Self {
        ResponseBody::full(bytes)
    }
}

impl http_body::Body for ResponseBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<Frame<Bytes>, BoxError>>> {
        Pin::new(&mut self.0).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.0.size_hint()
    }
}

/// The chunks of a response body, as they arrive (a download).
impl futures_core::Stream for ResponseBody {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes>>> {
        loop {
            return match http_body::Body::poll_frame(Pin::new(&mut self.0), cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(None) => Poll::Ready(None),
                Poll::Ready(Some(Err(e))) => {
                    Poll::Ready(Some(Err(TransportError::new(TransportErrorKind::Io, e).into())))
                }
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) => Poll::Ready(Some(Ok(data))),
                    Err(_trailers) => continue,
                },
            };
        }
    }
}

mod hyper_transport;
mod proxy;
#[cfg(feature = "reqwest")]
mod reqwest;

pub use self::hyper_transport::{HyperTransport, HyperTransportBuilder};
pub use self::proxy::Proxies;
#[cfg(feature = "reqwest")]
pub use self::reqwest::ReqwestTransport;

/// An exchange with whole bodies, as closure transports see it.
pub type BufferedResult = std::result::Result<http::Response<Bytes>, TransportError>;

/// Reads a request's body into memory, for closure transports.
async fn buffered(request: http::Request<Body>) -> std::result::Result<http::Request<Bytes>, TransportError> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await.map_err(|e| TransportError::new(TransportErrorKind::Io, e))?;
    Ok(http::Request::from_parts(parts, body))
}

/// A transport from a synchronous closure.
pub struct FnTransport<F>(Arc<F>);

/// Builds a transport from a closure that answers each request with whole
/// bodies; for tests and for plugging in another HTTP stack.
///
/// ```
/// use bytes::Bytes;
/// let transport = pinterest_sdk::transport::from_fn(|req: http::Request<Bytes>| {
///     assert_eq!(req.uri().path(), "/v5/user_account");
///     Ok(http::Response::new(Bytes::from_static(br#"{"username":"ada"}"#)))
/// });
/// # let _ = transport;
/// ```
pub fn from_fn<F>(f: F) -> FnTransport<F>
where
    F: Fn(http::Request<Bytes>) -> BufferedResult + Send + Sync + 'static,
{
    FnTransport(Arc::new(f))
}

impl<F> Transport for FnTransport<F>
where
    F: Fn(http::Request<Bytes>) -> BufferedResult + Send + Sync + 'static,
{
    fn send(&self, request: http::Request<Body>) -> BoxFuture<'_, TransportResult> {
        let f = self.0.clone();
        Box::pin(async move { Ok(f(buffered(request).await?)?.map(ResponseBody::full)) })
    }
}

/// A transport from an async closure.
pub struct AsyncFnTransport<F>(Arc<F>);

/// Builds a transport from a closure returning a future, with whole bodies.
pub fn from_async_fn<F, Fut>(f: F) -> AsyncFnTransport<F>
where
    F: Fn(http::Request<Bytes>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = BufferedResult> + Send + 'static,
{
    AsyncFnTransport(Arc::new(f))
}

impl<F, Fut> Transport for AsyncFnTransport<F>
where
    F: Fn(http::Request<Bytes>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = BufferedResult> + Send + 'static,
{
    fn send(&self, request: http::Request<Body>) -> BoxFuture<'_, TransportResult> {
        let f = self.0.clone();
        Box::pin(async move { Ok(f(buffered(request).await?).await?.map(ResponseBody::full)) })
    }
}
