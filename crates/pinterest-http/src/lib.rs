//! The connection pool of `pinterest-sdk`, in a crate of its own.
//!
//! The SDK's default transport is hyper-util's pooled client over rustls,
//! with proxies. Naming that client's concrete type makes the compiler
//! generate all of hyper's client machinery (HTTP/1 and HTTP/2 dispatch,
//! the pool, the connectors) in the crate that names it. Here it is done
//! once, in a dependency that rarely changes, so the SDK crate itself
//! builds in seconds less. Nothing here is meant to be used directly: the
//! SDK's `transport::HyperTransport` wraps it.
//!
//! Proxies: an `https` destination behind an HTTP proxy is reached through a
//! `CONNECT` tunnel, so TLS runs end to end and the proxy sees only the host
//! name. A plain `http` destination is sent to an HTTP proxy in absolute
//! form (the caller adds `Proxy-Authorization`). SOCKS proxies (`socks5`,
//! `socks5h`, `socks4`, `socks4a`) carry both.

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::Uri;
use http_body::{Frame, SizeHint};
use http_body_util::combinators::BoxBody;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::proxy::{SocksV4, SocksV5, Tunnel};
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::legacy::{Client, ResponseFuture};
use hyper_util::client::proxy::matcher::{Intercept, Matcher};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::TcpStream;
use tower_service::Service;

/// The error type of streaming bodies and connectors.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A request body as the pool sends it: bytes in memory (`None`: empty), or
/// a stream.
pub enum RequestBody {
    /// In memory.
    Full(Option<Bytes>),
    /// Read as it is sent.
    Stream(BoxBody<Bytes, BoxError>),
}

impl http_body::Body for RequestBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match &mut *self {
            RequestBody::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            RequestBody::Stream(s) => Pin::new(s).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            RequestBody::Full(b) => b.is_none(),
            RequestBody::Stream(s) => s.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            RequestBody::Full(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            RequestBody::Stream(s) => s.size_hint(),
        }
    }
}

/// hyper-util's pooled client over rustls, HTTP/1.1 and HTTP/2 by ALPN,
/// TCP no-delay, through the proxies `proxies` matches.
#[derive(Clone)]
pub struct Pool {
    client: Client<HttpsConnector<Connector>, RequestBody>,
}

impl Pool {
    /// A pool with `tls`, `proxies` (`None`: direct connections only), a
    /// TCP connect timeout and how long idle connections are kept.
    pub fn new(
        tls: rustls::ClientConfig,
        proxies: Option<Arc<Matcher>>,
        connect_timeout: Duration,
        idle_timeout: Duration,
    ) -> Pool {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(connect_timeout));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(Connector { http, proxies });
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(idle_timeout)
            .pool_timer(TokioTimer::new())
            .build(https);
        Pool { client }
    }

    /// Sends `request`; the future ends when the answer's head is in. Not
    /// generic and not inlined: hyper's client is compiled here.
    pub fn send(&self, request: http::Request<RequestBody>) -> ResponseFuture {
        self.client.request(request)
    }
}

/// Opens TCP connections, directly or through the matching proxy.
#[derive(Clone)]
struct Connector {
    http: HttpConnector,
    proxies: Option<Arc<Matcher>>,
}

impl Service<Uri> for Connector {
    type Response = Conn;
    type Error = BoxError;
    type Future = BoxFuture<'static, std::result::Result<Conn, BoxError>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<std::result::Result<(), BoxError>> {
        // Each call clones the (always ready) TCP connector.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let proxy = self.proxies.as_ref().and_then(|m| m.intercept(&dst));
        let http = self.http.clone();
        Box::pin(async move {
            match proxy {
                None => Ok(Conn { io: connect(http, dst).await?, proxied: false }),
                Some(proxy) => through(http, &proxy, dst).await,
            }
        })
    }
}

async fn connect<S>(mut service: S, dst: Uri) -> std::result::Result<S::Response, BoxError>
where
    S: Service<Uri>,
    S::Error: Into<BoxError>,
{
    poll_fn(|cx| service.poll_ready(cx)).await.map_err(Into::into)?;
    service.call(dst).await.map_err(Into::into)
}

async fn through(http: HttpConnector, proxy: &Intercept, dst: Uri) -> std::result::Result<Conn, BoxError> {
    let at = proxy.uri().clone();
    let tls_destination = dst.scheme() == Some(&http::uri::Scheme::HTTPS);
    let io = match proxy.uri().scheme_str() {
        Some("http") if tls_destination => {
            let mut tunnel = Tunnel::new(at, http);
            if let Some(auth) = proxy.basic_auth() {
                tunnel = tunnel.with_auth(auth.clone());
            }
            connect(tunnel, dst).await?
        }
        // Plain http: the request itself goes to the proxy, in absolute
        // form, with the proxy's credentials added by the transport.
        Some("http") => return Ok(Conn { io: connect(http, at).await?, proxied: true }),
        Some(scheme @ ("socks5" | "socks5h")) => {
            let mut socks = SocksV5::new(at, http).local_dns(scheme == "socks5");
            if let Some((user, pass)) = proxy.raw_auth() {
                socks = socks.with_auth(user.to_owned(), pass.to_owned());
            }
            connect(socks, dst).await?
        }
        Some(scheme @ ("socks4" | "socks4a")) => {
            connect(SocksV4::new(at, http).local_dns(scheme == "socks4"), dst).await?
        }
        _ => return Err("unsupported proxy scheme".into()),
    };
    Ok(Conn { io, proxied: false })
}

/// A TCP connection, and whether requests on it go to a proxy in absolute
/// form. (Public only as part of the pool's type.)
pub struct Conn {
    io: TokioIo<TcpStream>,
    proxied: bool,
}

impl Connection for Conn {
    fn connected(&self) -> Connected {
        self.io.connected().proxy(self.proxied)
    }
}

impl Read for Conn {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: ReadBufCursor<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl Write for Conn {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }
}
