//! Shared helpers for the SDK's integration tests.
#![allow(dead_code)]

/// Pinterest's OpenAPI description from `../shared` (or
/// `$PINTEREST_OPENAPI_SPEC`); `None` after a loud skip when it is not there
/// (a failure under `CI=true`, unless `PINTEREST_ALLOW_SKIP` names `spec`).
pub fn spec() -> Option<serde_json::Value> {
    pinterest_test_support::spec()
}

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use pinterest_sdk::transport::{Body, BoxFuture, ResponseBody, Transport, TransportResult};

/// What a scripted transport answers to one request.
pub enum Reply {
    /// A response.
    Response(http::Response<Bytes>),
    /// A transport failure.
    Fail(pinterest_sdk::TransportErrorKind),
    /// Wait (on the tokio clock), then answer.
    Delayed(std::time::Duration, Box<Reply>),
}

/// A request as the transport saw it, with the (tokio) time it arrived.
#[derive(Debug, Clone)]
pub struct Seen {
    pub at: tokio::time::Instant,
    pub method: http::Method,
    pub uri: String,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn query(&self) -> Vec<(String, String)> {
        let q = self.uri.split_once('?').map(|x| x.1).unwrap_or("");
        url::form_urlencoded::parse(q.as_bytes()).into_owned().collect()
    }
}

/// A transport that answers from a script and records what it was sent.
/// When the script runs out it answers 599, which no test expects.
#[derive(Clone, Default)]
pub struct Scripted {
    replies: Arc<Mutex<VecDeque<Reply>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Scripted {
    pub fn new(replies: Vec<Reply>) -> Self {
        Scripted { replies: Arc::new(Mutex::new(replies.into())), seen: Arc::default() }
    }
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
    pub fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

impl Transport for Scripted {
    fn send(&self, request: http::Request<Body>) -> BoxFuture<'_, TransportResult> {
        let (parts, body) = request.into_parts();
        let at = tokio::time::Instant::now();
        let reply = self.replies.lock().unwrap().pop_front();
        let seen = self.seen.clone();
        Box::pin(async move {
            // Streaming bodies are read here, as a server would.
            let body = body.collect().await.unwrap_or_default();
            seen.lock().unwrap().push(Seen {
                at,
                method: parts.method,
                uri: parts.uri.to_string(),
                headers: parts.headers,
                body,
            });
            let mut reply = reply.unwrap_or_else(|| Reply::Response(json(599, "{}")));
            loop {
                match reply {
                    Reply::Response(r) => return Ok(r.map(ResponseBody::full)),
                    Reply::Fail(kind) => return Err(pinterest_sdk::TransportError::from_kind(kind)),
                    Reply::Delayed(d, next) => {
                        tokio::time::sleep(d).await;
                        reply = *next;
                    }
                }
            }
        })
    }
}

/// A JSON response.
pub fn json(status: u16, body: &str) -> http::Response<Bytes> {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-pinterest-rid", "rid-test")
        .body(Bytes::copy_from_slice(body.as_bytes()))
        .unwrap()
}

/// A response with extra headers.
pub fn with_headers(mut r: http::Response<Bytes>, headers: &[(&'static str, String)]) -> http::Response<Bytes> {
    for (k, v) in headers {
        r.headers_mut().insert(*k, http::HeaderValue::from_str(v).unwrap());
    }
    r
}

pub fn ok(body: &str) -> Reply {
    Reply::Response(json(200, body))
}

pub fn status(code: u16, body: &str) -> Reply {
    Reply::Response(json(code, body))
}

/// An async client on a scripted transport, with a static token.
pub fn client(t: &Scripted) -> pinterest_sdk::Client {
    pinterest_sdk::Client::builder()
        .access_token(pinterest_sdk::secret::AccessToken::new("test-token"))
        .transport(t.clone())
        .jitter_seed(1)
        .build()
        .unwrap()
}
pub mod token_server;

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
pub struct Capture(pub Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}
