//! Sending bytes: the only place that does network I/O.
//!
//! A [`Transport`] takes a finished `http::Request<Bytes>` and returns the
//! whole `http::Response<Bytes>`. The default is [`ReqwestTransport`]
//! (reqwest with rustls, redirects never followed). Tests and unusual setups
//! plug in a closure with [`from_fn`] or [`from_async_fn`] and need no server.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;

use crate::config::Config;
use crate::error::{Error, Result, TransportError, TransportErrorKind};

/// A boxed, `Send` future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Result of one exchange on the wire.
pub type TransportResult = std::result::Result<http::Response<Bytes>, TransportError>;

/// Sends one request and reads the whole response. Must not follow
/// redirects, retry or add headers: the client does all of that.
pub trait Transport: Send + Sync + 'static {
    /// Sends `request`.
    fn send(&self, request: http::Request<Bytes>) -> BoxFuture<'_, TransportResult>;
}

impl<T: Transport + ?Sized> Transport for Arc<T> {
    fn send(&self, request: http::Request<Bytes>) -> BoxFuture<'_, TransportResult> {
        (**self).send(request)
    }
}

/// The default transport: reqwest over rustls (ring), HTTP/1.1 and HTTP/2,
/// connection pooling, no redirects.
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

impl ReqwestTransport {
    /// A transport with `config`'s connect timeout and user agent.
    pub fn new(config: &Config) -> Result<Self> {
        install_crypto_provider();
        let client = reqwest::Client::builder()
            .connect_timeout(config.timeouts().connect)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(config.user_agent())
            .pool_idle_timeout(std::time::Duration::from_secs(60))
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(ReqwestTransport { client })
    }

    /// Wraps an existing reqwest client. Make sure it does not follow
    /// redirects: token requests must never be re-sent elsewhere.
    pub fn from_client(client: reqwest::Client) -> Self {
        ReqwestTransport { client }
    }
}

#[cfg(feature = "hyper-transport")]
mod hyper_transport {
    use std::time::Duration;

    use bytes::Bytes;
    use http_body_util::{BodyExt, Full};
    use hyper_rustls::HttpsConnector;
    use hyper_util::client::legacy::Client as HyperClient;
    use hyper_util::client::legacy::connect::HttpConnector;
    use hyper_util::rt::{TokioExecutor, TokioTimer};
    use rustls_platform_verifier::ConfigVerifierExt;

    use super::{BoxFuture, Transport, TransportResult, install_crypto_provider};
    use crate::config::Config;
    use crate::error::{Error, Result, TransportError, TransportErrorKind};

    /// A transport on hyper's pooled client with rustls (ring) and the
    /// platform's certificate verifier, HTTP/1.1 and HTTP/2 by ALPN, no
    /// redirects. It skips reqwest's own request and response types, which
    /// makes a call cost less CPU (see `BENCHMARKS.md`); the behaviour the
    /// SDK relies on (no redirects, no retries, no added headers) is the
    /// same. Feature `hyper-transport`.
    ///
    /// ```no_run
    /// # fn main() -> pinterest_sdk::Result<()> {
    /// use pinterest_sdk::{Client, Config, transport::HyperTransport};
    /// let config = Config::from_env()?;
    /// let client = Client::builder().transport(HyperTransport::new(&config)?).config(config).build()?;
    /// # let _ = client; Ok(()) }
    /// ```
    #[derive(Clone)]
    pub struct HyperTransport {
        client: HyperClient<HttpsConnector<HttpConnector>, Full<Bytes>>,
    }

    impl std::fmt::Debug for HyperTransport {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("HyperTransport").finish_non_exhaustive()
        }
    }

    impl HyperTransport {
        /// A transport with `config`'s connect timeout.
        pub fn new(config: &Config) -> Result<Self> {
            install_crypto_provider();
            let tls = rustls::ClientConfig::with_platform_verifier()
                .map_err(|e| Error::Config(format!("cannot set up certificate verification: {e}")))?;
            let mut http = HttpConnector::new();
            http.enforce_http(false);
            http.set_nodelay(true);
            http.set_connect_timeout(Some(config.timeouts().connect));
            let https = hyper_rustls::HttpsConnectorBuilder::new()
                .with_tls_config(tls)
                .https_or_http()
                .enable_http1()
                .enable_http2()
                .wrap_connector(http);
            let client = HyperClient::builder(TokioExecutor::new())
                .pool_idle_timeout(Duration::from_secs(60))
                .pool_timer(TokioTimer::new())
                .build(https);
            Ok(HyperTransport { client })
        }
    }

    fn error(e: hyper_util::client::legacy::Error) -> TransportError {
        let kind = if e.is_connect() { TransportErrorKind::Connect } else { TransportErrorKind::Io };
        TransportError::new(kind, e)
    }

    impl Transport for HyperTransport {
        fn send(&self, request: http::Request<Bytes>) -> BoxFuture<'_, TransportResult> {
            Box::pin(async move {
                let (parts, body) = request.into_parts();
                let response =
                    self.client.request(http::Request::from_parts(parts, Full::new(body))).await.map_err(error)?;
                let (parts, body) = response.into_parts();
                let body = body.collect().await.map_err(|e| TransportError::new(TransportErrorKind::Io, e))?.to_bytes();
                Ok(http::Response::from_parts(parts, body))
            })
        }
    }
}

#[cfg(feature = "hyper-transport")]
pub use hyper_transport::HyperTransport;

/// Makes ring the process-wide rustls provider unless one is installed.
/// [`ReqwestTransport::new`] calls it; call it yourself before building your
/// own reqwest client in a program that uses this SDK.
pub fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing the race to another thread is fine: a provider is installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

fn classify(e: &reqwest::Error) -> TransportErrorKind {
    if e.is_connect() {
        TransportErrorKind::Connect
    } else if e.is_timeout() {
        TransportErrorKind::Timeout
    } else if e.is_builder() {
        TransportErrorKind::Request
    } else {
        TransportErrorKind::Io
    }
}

impl Transport for ReqwestTransport {
    fn send(&self, request: http::Request<Bytes>) -> BoxFuture<'_, TransportResult> {
        Box::pin(async move {
            let request =
                reqwest::Request::try_from(request).map_err(|e| TransportError::new(TransportErrorKind::Request, e))?;
            let response = self.client.execute(request).await.map_err(|e| TransportError::new(classify(&e), e))?;
            let mut builder = http::Response::builder().status(response.status()).version(response.version());
            if let Some(headers) = builder.headers_mut() {
                *headers = response.headers().clone();
            }
            let body = response.bytes().await.map_err(|e| TransportError::new(classify(&e), e))?;
            builder.body(body).map_err(|e| TransportError::new(TransportErrorKind::Io, e))
        })
    }
}

/// A transport from a synchronous closure.
pub struct FnTransport<F>(F);

/// Builds a transport from a closure that answers each request; for tests
/// and for plugging in another HTTP stack.
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
    F: Fn(http::Request<Bytes>) -> TransportResult + Send + Sync + 'static,
{
    FnTransport(f)
}

impl<F> Transport for FnTransport<F>
where
    F: Fn(http::Request<Bytes>) -> TransportResult + Send + Sync + 'static,
{
    fn send(&self, request: http::Request<Bytes>) -> BoxFuture<'_, TransportResult> {
        let result = (self.0)(request);
        Box::pin(std::future::ready(result))
    }
}

/// A transport from an async closure.
pub struct AsyncFnTransport<F>(F);

/// Builds a transport from a closure returning a future.
pub fn from_async_fn<F, Fut>(f: F) -> AsyncFnTransport<F>
where
    F: Fn(http::Request<Bytes>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = TransportResult> + Send + 'static,
{
    AsyncFnTransport(f)
}

impl<F, Fut> Transport for AsyncFnTransport<F>
where
    F: Fn(http::Request<Bytes>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = TransportResult> + Send + 'static,
{
    fn send(&self, request: http::Request<Bytes>) -> BoxFuture<'_, TransportResult> {
        Box::pin((self.0)(request))
    }
}
