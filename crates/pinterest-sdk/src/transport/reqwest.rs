//! reqwest underneath (feature `reqwest`), for applications that already
//! build and tune a `reqwest::Client` of their own.

use super::{Body, BoxFuture, ResponseBody, Transport, TransportResult};
use crate::config::Config;
use crate::error::{Error, Result, TransportError, TransportErrorKind};

/// A transport on reqwest with rustls (ring), HTTP/1.1 and HTTP/2,
/// connection pooling and no redirects. Feature `reqwest`.
///
/// The default, [`HyperTransport`](super::HyperTransport), costs less CPU
/// per call (see `BENCHMARKS.md`) and honours the same proxy variables; pick
/// this one to share a `reqwest::Client` you already configure.
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

impl ReqwestTransport {
    /// A transport with `config`'s connect timeout.
    pub fn new(config: &Config) -> Result<Self> {
        crate::internal::install_crypto_provider();
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
    fn send(&self, request: http::Request<Body>) -> BoxFuture<'_, TransportResult> {
        Box::pin(async move {
            let request = request.map(|body| match body.into_memory() {
                Ok(bytes) => reqwest::Body::from(bytes),
                Err(stream) => reqwest::Body::wrap(stream),
            });
            let request =
                reqwest::Request::try_from(request).map_err(|e| TransportError::new(TransportErrorKind::Request, e))?;
            let response = self.client.execute(request).await.map_err(|e| TransportError::new(classify(&e), e))?;
            Ok(http::Response::<reqwest::Body>::from(response).map(ResponseBody::new))
        })
    }
}
