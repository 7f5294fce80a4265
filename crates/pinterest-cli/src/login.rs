//! The loopback redirect listener of `pinterest auth login` (RFC 8252 §7.3).
//!
//! - Binds 127.0.0.1 only, on the port of the registered redirect URI.
//! - Serves each connection in its own task with a read timeout, so an idle
//!   or slow connection cannot hold up the real callback.
//! - Answers 405 to other methods and 404 to other paths, without touching
//!   the pending login; the first GET on the exact path settles it: its
//!   `state` is checked (constant time) and the login is consumed whatever
//!   the outcome.
//! - Pages carry `Cache-Control: no-store` and `Referrer-Policy: no-referrer`
//!   and no secret; the listener closes once the login is settled or the
//!   deadline passes.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use pinterest_sdk::oauth::{OAuthError, PendingLogin};
use pinterest_sdk::secret::AuthorizationCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

/// Longest request head accepted.
const MAX_HEAD: usize = 16 * 1024;
/// How long one connection may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a login did not complete.
#[derive(Debug)]
pub enum LoginError {
    /// The deadline passed without a callback.
    TimedOut,
    /// The callback failed the checks (state, denial, missing code).
    Callback(OAuthError),
    /// The code exchange (or saving) failed.
    Exchange(crate::output::CliError),
    /// The listener could not run.
    Io(std::io::Error),
}

/// A bound listener and the redirect URI that leads to it.
pub struct Loopback {
    listener: TcpListener,
    redirect_uri: String,
    path: String,
}

/// The parameters of a callback, handed from a connection task to the login
/// loop (which owns the pending login), with the way back for the page.
struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    description: Option<String>,
    reply: oneshot::Sender<Page>,
}

struct Page {
    ok: bool,
    text: String,
}

impl Loopback {
    /// Binds 127.0.0.1:`port` (0: any free port). The redirect URI is
    /// `http://localhost:<port>/`, Pinterest's quickstart convention.
    pub async fn bind(port: u16) -> std::io::Result<Loopback> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let port = listener.local_addr()?.port();
        Ok(Loopback { listener, redirect_uri: format!("http://localhost:{port}/"), path: "/".into() })
    }

    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Waits for the callback of `pending` until `deadline`, then runs
    /// `finish` with the code (the exchange) before answering the browser.
    /// The port is closed when this returns.
    pub async fn serve<T, F, Fut>(self, pending: &PendingLogin, deadline: Duration, finish: F) -> Result<T, LoginError>
    where
        F: FnOnce(AuthorizationCode) -> Fut,
        Fut: Future<Output = Result<T, crate::output::CliError>>,
    {
        let (tx, mut rx) = mpsc::channel::<Callback>(1);
        let mut connections = JoinSet::new();
        let sleep = tokio::time::sleep(deadline);
        tokio::pin!(sleep);
        let callback = loop {
            tokio::select! {
                accepted = self.listener.accept() => {
                    let (stream, _) = accepted.map_err(LoginError::Io)?;
                    let path = self.path.clone();
                    let tx = tx.clone();
                    connections.spawn(serve_connection(stream, path, tx));
                }
                Some(cb) = rx.recv() => break cb,
                () = &mut sleep => return Err(LoginError::TimedOut),
            }
        };
        // Settle the login: verify the parameters the connection collected.
        // This consumes the pending login whatever the outcome.
        let checked = pending.verify_parts(callback.code, callback.state, callback.error, callback.description);
        let outcome = match checked {
            Ok(code) => match finish(code).await {
                Ok(v) => Ok(v),
                Err(e) => Err(LoginError::Exchange(e)),
            },
            Err(e) => Err(LoginError::Callback(e)),
        };
        let page = match &outcome {
            Ok(_) => {
                Page { ok: true, text: "You are logged in. You can close this tab and go back to the terminal.".into() }
            }
            Err(LoginError::Callback(OAuthError::AccessDenied { .. })) => {
                Page { ok: false, text: "The authorization was denied. Nothing was stored.".into() }
            }
            Err(_) => Page { ok: false, text: "The login did not complete; see the terminal for why.".into() },
        };
        let _ = callback.reply.send(page);
        // Let that one connection finish writing its page, drop the others.
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            while let Some(done) = connections.join_next().await {
                if let Ok(true) = done {
                    break;
                }
            }
        })
        .await;
        connections.abort_all();
        drop(self.listener);
        outcome
    }
}

/// Reads one request; returns true when it was the callback.
async fn serve_connection(mut stream: TcpStream, path: String, tx: mpsc::Sender<Callback>) -> bool {
    let head = match tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream)).await {
        Ok(Some(h)) => h,
        _ => return false, // idle, too slow or too big: dropped
    };
    let mut parts = head.lines().next().unwrap_or_default().split(' ');
    let (method, target) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
    let (req_path, query) = target.split_once('?').unwrap_or((target, ""));
    if req_path != path {
        let _ = respond(&mut stream, "404 Not Found", false, "Not found.").await;
        return false;
    }
    if method != "GET" {
        let _ = respond(&mut stream, "405 Method Not Allowed", false, "Only GET is accepted here.").await;
        return false;
    }
    let mut code = None;
    let mut state = None;
    let mut error = None;
    let mut description = None;
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        match k.as_ref() {
            "code" => code = Some(v.into_owned()),
            "state" => state = Some(v.into_owned()),
            "error" => error = Some(v.into_owned()),
            "error_description" => description = Some(v.into_owned()),
            _ => {}
        }
    }
    let (reply, reply_rx) = oneshot::channel();
    if tx.send(Callback { code, state, error, description, reply }).await.is_err() {
        return false; // the login was already settled by another request
    }
    let page = reply_rx.await.unwrap_or(Page { ok: false, text: "The login was cancelled.".into() });
    let status = if page.ok { "200 OK" } else { "400 Bad Request" };
    let _ = respond(&mut stream, status, page.ok, &page.text).await;
    true
}

/// Reads up to the end of the request head.
async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            return String::from_utf8(buf[..end].to_vec()).ok();
        }
        if buf.len() > MAX_HEAD {
            return None;
        }
    }
}

async fn respond(stream: &mut TcpStream, status: &str, ok: bool, text: &str) -> std::io::Result<()> {
    let title = if ok { "Logged in" } else { "Login failed" };
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>pinterest: {title}</title></head>\
         <body><h1>{title}</h1><p id=\"result\" data-ok=\"{ok}\">{}</p></body></html>",
        text.replace('&', "&amp;").replace('<', "&lt;")
    );
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\n\
         cache-control: no-store\r\nreferrer-policy: no-referrer\r\nx-content-type-options: nosniff\r\n\
         connection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use pinterest_sdk::oauth::OAuth;

    fn pending(redirect: &str) -> (PendingLogin, String) {
        let oauth = OAuth::builder("1", "s").redirect_uri(redirect).build().unwrap();
        let (url, pending) = oauth.authorization_url();
        let state = url.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
        (pending, state)
    }

    /// Sends a raw request and returns the raw response.
    async fn send(addr: SocketAddr, request: &str) -> String {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(request.as_bytes()).await.unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out
    }

    fn get(path: &str) -> String {
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n")
    }

    async fn finish_ok(code: AuthorizationCode) -> Result<String, crate::output::CliError> {
        Ok(code.expose_secret().to_owned())
    }

    #[tokio::test]
    async fn binds_loopback_only_and_names_localhost() {
        let l = Loopback::bind(0).await.unwrap();
        let addr = l.local_addr().unwrap();
        assert!(addr.ip().is_loopback());
        assert_eq!(addr.ip().to_string(), "127.0.0.1");
        assert_eq!(l.redirect_uri(), format!("http://localhost:{}/", addr.port()));
    }

    #[tokio::test]
    async fn the_callback_logs_in_after_strays_and_an_idle_connection() {
        let l = Loopback::bind(0).await.unwrap();
        let addr = l.local_addr().unwrap();
        let (pending, state) = pending(l.redirect_uri());
        let client = tokio::spawn(async move {
            // An idle connection that never sends anything, held open throughout.
            let idle = TcpStream::connect(addr).await.unwrap();
            let r404 = send(addr, &get("/favicon.ico")).await;
            let r405 = send(addr, &format!("POST /?code=x&state={state} HTTP/1.1\r\nContent-Length: 0\r\n\r\n")).await;
            let ok = send(addr, &get(&format!("/?code=the-code&state={state}"))).await;
            drop(idle);
            (r404, r405, ok)
        });
        let code = l.serve(&pending, Duration::from_secs(20), finish_ok).await.unwrap();
        assert_eq!(code, "the-code");
        let (r404, r405, ok) = client.await.unwrap();
        assert!(r404.starts_with("HTTP/1.1 404"), "{r404}");
        assert!(r405.starts_with("HTTP/1.1 405"), "{r405}");
        assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
        let lower = ok.to_ascii_lowercase();
        assert!(lower.contains("cache-control: no-store"));
        assert!(lower.contains("referrer-policy: no-referrer"));
        assert!(!ok.contains("the-code"), "the page does not echo the code");
        // The port is closed once the login is settled.
        assert!(TcpStream::connect(addr).await.is_err());
    }

    #[tokio::test]
    async fn a_wrong_state_fails_the_login() {
        let l = Loopback::bind(0).await.unwrap();
        let addr = l.local_addr().unwrap();
        let (pending, _) = pending(l.redirect_uri());
        let client = tokio::spawn(async move { send(addr, &get("/?code=x&state=forged")).await });
        let err = l.serve(&pending, Duration::from_secs(20), finish_ok).await.unwrap_err();
        assert!(matches!(err, LoginError::Callback(OAuthError::StateMismatch)), "{err:?}");
        assert!(client.await.unwrap().starts_with("HTTP/1.1 400"));
        assert!(pending.is_used());
    }

    #[tokio::test]
    async fn a_denial_is_reported() {
        let l = Loopback::bind(0).await.unwrap();
        let addr = l.local_addr().unwrap();
        let (pending, state) = pending(l.redirect_uri());
        let client =
            tokio::spawn(async move { send(addr, &get(&format!("/?error=access_denied&state={state}"))).await });
        let err = l.serve(&pending, Duration::from_secs(20), finish_ok).await.unwrap_err();
        assert!(matches!(err, LoginError::Callback(OAuthError::AccessDenied { .. })), "{err:?}");
        assert!(client.await.unwrap().contains("denied"));
    }

    #[tokio::test]
    async fn the_deadline_ends_the_wait_and_closes_the_port() {
        let l = Loopback::bind(0).await.unwrap();
        let addr = l.local_addr().unwrap();
        let (pending, _) = pending(l.redirect_uri());
        let err = l.serve(&pending, Duration::from_millis(200), finish_ok).await.unwrap_err();
        assert!(matches!(err, LoginError::TimedOut));
        assert!(!pending.is_used());
        assert!(TcpStream::connect(addr).await.is_err());
    }

    #[tokio::test]
    async fn an_oversized_request_is_dropped_without_settling_the_login() {
        let l = Loopback::bind(0).await.unwrap();
        let addr = l.local_addr().unwrap();
        let (pending, state) = pending(l.redirect_uri());
        let client = tokio::spawn(async move {
            let mut s = TcpStream::connect(addr).await.unwrap();
            let junk = format!("GET /?{} HTTP/1.1\r\n", "a".repeat(MAX_HEAD * 2));
            let _ = s.write_all(junk.as_bytes()).await;
            drop(s);
            send(addr, &get(&format!("/?code=c&state={state}"))).await
        });
        assert_eq!(l.serve(&pending, Duration::from_secs(20), finish_ok).await.unwrap(), "c");
        assert!(client.await.unwrap().starts_with("HTTP/1.1 200"));
    }
}
