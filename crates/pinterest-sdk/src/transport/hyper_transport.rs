//! The default transport: hyper's pooled client over rustls.

use std::sync::Arc;
use std::time::Duration;

use http::header::PROXY_AUTHORIZATION;
use hyper_util::client::proxy::matcher::Matcher;
use pinterest_http::Pool;
use rustls::pki_types::CertificateDer;

use super::proxy::{Proxies, absolute_form_auth};
use super::{Body, BoxFuture, ResponseBody, Transport, TransportResult};
use crate::config::Config;
use crate::error::{Error, Result, TransportError, TransportErrorKind};

/// The default transport: hyper's pooled client with rustls (ring) and the
/// platform's certificate verifier, HTTP/1.1 and HTTP/2 by ALPN, TCP
/// no-delay, idle connections kept for 60 s, redirects never followed, and
/// the proxies of the environment (see [`Proxies`]).
///
/// [`Client::builder`](crate::Client::builder) makes one for you; build one
/// yourself to share its connection pool between clients or to change its
/// settings:
///
/// ```no_run
/// # fn main() -> pinterest_sdk::Result<()> {
/// use pinterest_sdk::transport::{HyperTransport, Proxies};
/// use pinterest_sdk::{Client, Config};
/// let config = Config::from_env()?;
/// let transport = HyperTransport::builder(&config)
///     .proxies(Proxies::none().https("http://proxy.internal:3128")?)
///     .build()?;
/// let client = Client::builder().transport(transport).config(config).build()?;
/// # let _ = client; Ok(()) }
/// ```
#[derive(Clone)]
pub struct HyperTransport {
    pool: Pool,
    /// What a pool is made from, for the pools of the blocking client's
    /// threads too (see [`thread_pool`]); also what tells them apart.
    settings: Arc<PoolSettings>,
}

/// What a [`Pool`] is made from.
struct PoolSettings {
    tls: rustls::ClientConfig,
    /// `None` when no destination is proxied: then a request is sent as it
    /// is, with no lookup.
    proxies: Option<Arc<Matcher>>,
    connect_timeout: Duration,
    idle_timeout: Duration,
}

impl PoolSettings {
    fn pool(&self) -> Pool {
        Pool::new(self.tls.clone(), self.proxies.clone(), self.connect_timeout, self.idle_timeout)
    }
}

thread_local! {
    /// The pools of this thread's runtime, one per transport (told apart by
    /// their settings), for the calls the blocking client makes on it.
    static THREAD_POOLS: std::cell::RefCell<Vec<(std::sync::Weak<PoolSettings>, Pool)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// The pool of `settings` on this thread's own runtime. A connection is
/// served by a task of the runtime that opened it, and a thread's runtime
/// runs only while the thread is in a call: its connections must not be
/// lent to other threads. `None` while the thread is being torn down.
fn thread_pool(settings: &Arc<PoolSettings>) -> Option<Pool> {
    THREAD_POOLS
        .try_with(|pools| {
            let mut pools = pools.try_borrow_mut().ok()?;
            // A live weak pointer at the same address is the same settings.
            if let Some((_, pool)) =
                pools.iter().find(|(w, _)| w.strong_count() > 0 && std::ptr::eq(w.as_ptr(), Arc::as_ptr(settings)))
            {
                return Some(pool.clone());
            }
            pools.retain(|(w, _)| w.strong_count() > 0);
            let pool = settings.pool();
            pools.push((Arc::downgrade(settings), pool.clone()));
            Some(pool)
        })
        .ok()
        .flatten()
}

impl std::fmt::Debug for HyperTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HyperTransport").field("proxied", &self.settings.proxies.is_some()).finish_non_exhaustive()
    }
}

/// Settings of a [`HyperTransport`].
#[derive(Debug)]
#[must_use]
pub struct HyperTransportBuilder {
    connect_timeout: Duration,
    pool_idle_timeout: Duration,
    proxies: Option<Proxies>,
    roots: Vec<CertificateDer<'static>>,
}

impl HyperTransportBuilder {
    /// Which proxies to use instead of the environment's
    /// ([`Proxies::none`] for direct connections only).
    pub fn proxies(mut self, proxies: Proxies) -> Self {
        self.proxies = Some(proxies);
        self
    }

    /// Also trusts `der`, a DER-encoded CA certificate, next to the
    /// platform's roots: for a proxy that inspects TLS with its own CA, or
    /// for a test server. (Not on Android, whose verifier takes none:
    /// there `build` fails.)
    pub fn add_root_certificate(mut self, der: impl Into<Vec<u8>>) -> Self {
        self.roots.push(CertificateDer::from(der.into()));
        self
    }

    /// How long an unused connection stays in the pool (60 s unless set).
    pub fn pool_idle_timeout(mut self, idle: Duration) -> Self {
        self.pool_idle_timeout = idle;
        self
    }

    /// Builds the transport. Fails when the certificate store cannot be
    /// read, or when the environment names a proxy that cannot be used.
    pub fn build(self) -> Result<HyperTransport> {
        crate::internal::install_crypto_provider();
        let provider = rustls::crypto::CryptoProvider::get_default()
            .cloned()
            .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
        let verifier = if self.roots.is_empty() {
            rustls_platform_verifier::Verifier::new(provider.clone())
        } else {
            with_extra_roots(self.roots, provider.clone())
        }
        .map_err(|e| Error::Config(format!("cannot set up certificate verification: {e}")))?;
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Config(format!("cannot set up TLS: {e}")))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        let proxies = match self.proxies {
            Some(p) => p.matcher(),
            None => Proxies::from_env()?.matcher(),
        };
        let settings = Arc::new(PoolSettings {
            tls,
            proxies,
            connect_timeout: self.connect_timeout,
            idle_timeout: self.pool_idle_timeout,
        });
        Ok(HyperTransport { pool: settings.pool(), settings })
    }
}

impl HyperTransport {
    /// A transport with `config`'s connect timeout and the environment's
    /// proxies.
    pub fn new(config: &Config) -> Result<Self> {
        HyperTransport::builder(config).build()
    }

    /// Starts from `config`'s connect timeout and the environment's
    /// proxies.
    pub fn builder(config: &Config) -> HyperTransportBuilder {
        HyperTransportBuilder {
            connect_timeout: config.timeouts().connect,
            pool_idle_timeout: Duration::from_secs(60),
            proxies: None,
            roots: Vec::new(),
        }
    }
}

#[cfg(not(target_os = "android"))]
fn with_extra_roots(
    roots: Vec<CertificateDer<'static>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
) -> std::result::Result<rustls_platform_verifier::Verifier, rustls::Error> {
    rustls_platform_verifier::Verifier::new_with_extra_roots(roots, provider)
}

/// Android's verifier takes no extra roots.
#[cfg(target_os = "android")]
fn with_extra_roots(
    _: Vec<CertificateDer<'static>>,
    _: Arc<rustls::crypto::CryptoProvider>,
) -> std::result::Result<rustls_platform_verifier::Verifier, rustls::Error> {
    Err(rustls::Error::General("extra root certificates are not supported on Android".into()))
}

fn error(e: hyper_util::client::legacy::Error) -> TransportError {
    let kind = if e.is_connect() { TransportErrorKind::Connect } else { TransportErrorKind::Io };
    TransportError::new(kind, e)
}

impl Transport for HyperTransport {
    fn send(&self, mut request: http::Request<Body>) -> BoxFuture<'_, TransportResult> {
        if let Some(auth) = self.settings.proxies.as_deref().and_then(|m| absolute_form_auth(m, request.uri())) {
            request.headers_mut().insert(PROXY_AUTHORIZATION, auth);
        }
        let request = request.map(Body::into_pool);
        // On a blocking client's thread runtime, the thread's own pool.
        let answer = match crate::blocking::on_thread_runtime().then(|| thread_pool(&self.settings)).flatten() {
            Some(pool) => pool.send(request),
            None => self.pool.send(request),
        };
        Box::pin(async move {
            let response = answer.await.map_err(error)?;
            Ok(response.map(ResponseBody::new))
        })
    }
}
