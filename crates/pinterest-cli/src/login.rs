//! The loopback redirect listener of `pinterest auth login` (RFC 8252 §7.3).
//!
//! - **Where it listens.** The redirect URI is `http://localhost:<port>/`:
//!   what Pinterest's quickstart registers and what the `--port` help asks
//!   apps to register (Pinterest compares redirect URIs byte for byte, so
//!   switching to the `127.0.0.1` literal that RFC 8252 §8.3 prefers would
//!   break every app registered that way). A browser may resolve
//!   `localhost` to 127.0.0.1 or to ::1, so the listener binds **both** on
//!   the same port: otherwise another program could bind the address left
//!   free and receive the code. When `[::1]:port` is held by another program
//!   the login refuses to start ([`BindError`]); when the machine has no
//!   IPv6 loopback (IPv6 disabled), nobody can bind ::1 either, and
//!   127.0.0.1 alone is enough. Never anything but loopback.
//! - **Which request settles the login.** Only a GET on the redirect path
//!   whose `state` matches the login's (compared in constant time). Anything
//!   else (another path, another method, no query, a missing or wrong
//!   `state`: a web page's `<img>`, a favicon fetch, a local `curl`) gets a
//!   short neutral 404/405/400 that echoes nothing, and the wait goes on
//!   until the deadline. The matching request is then judged by the SDK's
//!   redirect parsing ([`PendingLogin::verify_redirect`]): a denial or an
//!   `error=` with the right `state` ends the login.
//! - **Bounded.** At most [`MAX_CONNECTIONS`] connections at once; when all
//!   are taken, the oldest one makes room for the new one (idle connections
//!   cannot crowd out the browser's). A connection has [`HEAD_TIMEOUT`] to
//!   send its request head. A failed `accept` (out of file descriptors, for
//!   one) backs off exponentially from 5 ms to 1 s instead of ending the login.
//! - Pages carry `Cache-Control: no-store` and `Referrer-Policy: no-referrer`
//!   and no secret. The port closes (and the other connections are dropped)
//!   as soon as the redirect arrives, before the code exchange, or when the
//!   deadline passes.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use pinterest_sdk::oauth::{OAuthError, PendingLogin};
use pinterest_sdk::secret::{AuthorizationCode, CsrfState};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::task::JoinHandle;

/// Longest request head accepted.
const MAX_HEAD: usize = 16 * 1024;
/// How long a connection may take to send its request head.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(5);
/// How long writing a page may take.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 16;
/// The first and the longest pause after a failed `accept`.
const BACKOFF_MIN: Duration = Duration::from_millis(5);
const BACKOFF_MAX: Duration = Duration::from_secs(1);
/// With `--port 0`, how many ports to try when the one picked for 127.0.0.1
/// is taken on ::1.
const BIND_ATTEMPTS: usize = 8;

/// Why a login did not complete.
#[derive(Debug)]
pub enum LoginError {
    /// The deadline passed without a callback.
    TimedOut,
    /// The callback failed the checks (state, denial, missing code).
    Callback(OAuthError),
    /// The code exchange (or saving) failed.
    Exchange(crate::output::CliError),
}

/// The listener could not be set up on one of the loopback addresses.
#[derive(Debug)]
pub struct BindError {
    /// The address that could not be bound.
    pub addr: SocketAddr,
    pub source: io::Error,
}

impl fmt::Display for BindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot listen on {} for the redirect: {}", self.addr, self.source)?;
        if self.addr.is_ipv6() && self.source.kind() == io::ErrorKind::AddrInUse {
            f.write_str(
                "; another program holds this port on the IPv6 loopback, and a browser that resolves \
                 `localhost` to ::1 would hand it the login's code",
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for BindError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// The bound listeners and the redirect URI that leads to them.
pub struct Loopback {
    listeners: Vec<TcpListener>,
    head_timeout: Duration,
    redirect_uri: String,
    /// `http://localhost:<port>`: the redirect URI without its path.
    origin: String,
    path: String,
}

/// What a connection hands to the login loop: the redirect (whose `state`
/// matched) as the full URL the browser asked for, and the connection to
/// answer on. No `Debug`: the URL holds the code.
struct Callback {
    redirect: String,
    stream: TcpStream,
}

/// What a connection checks a request against.
struct Expected {
    head_timeout: Duration,
    origin: String,
    path: String,
    state: CsrfState,
}

impl Expected {
    /// The request target as the full redirect URL, when it is a GET target
    /// on the redirect path with a `state` that matches the login's. Parsed
    /// the way the SDK parses the redirect, so the two agree on its `state`.
    fn redirect_with_state(&self, target: &str) -> Option<String> {
        let redirect = format!("{}{target}", self.origin);
        let url = url::Url::parse(&redirect).ok()?;
        let matches = url
            .query_pairs()
            .filter(|(k, _)| k == "state")
            .any(|(_, v)| self.state.ct_eq(&CsrfState::new(v.into_owned())));
        (matches && url.path() == self.path).then_some(redirect)
    }
}

/// A page the listener answers with.
struct Page {
    status: &'static str,
    title: &'static str,
    ok: bool,
    text: &'static str,
}

const NOT_FOUND: Page = Page { status: "404 Not Found", title: "Not found", ok: false, text: "Not found." };
const NOT_ALLOWED: Page =
    Page { status: "405 Method Not Allowed", title: "Not allowed", ok: false, text: "Only GET is accepted here." };
const NOT_THE_REDIRECT: Page = Page {
    status: "400 Bad Request",
    title: "Not the expected request",
    ok: false,
    text: "This is not the redirect of the login in progress.",
};

/// The `state` of an authorization URL, which the listener waits for.
pub fn state_of(authorization_url: &url::Url) -> Option<CsrfState> {
    authorization_url.query_pairs().find(|(k, _)| k == "state").map(|(_, v)| CsrfState::new(v.into_owned()))
}

impl Loopback {
    /// Binds 127.0.0.1:`port` and `[::1]` on the same port (0: any free port).
    /// The redirect URI is `http://localhost:<port>/`. Fails when either
    /// address is taken; goes on with 127.0.0.1 alone when the machine has
    /// no IPv6 loopback.
    pub async fn bind(port: u16) -> Result<Loopback, BindError> {
        let mut attempt = 1;
        let (v4, v6, port) = loop {
            let v4_addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
            let v4 = TcpListener::bind(v4_addr).await.map_err(|source| BindError { addr: v4_addr, source })?;
            let bound = v4.local_addr().map_err(|source| BindError { addr: v4_addr, source })?.port();
            let v6_addr = SocketAddr::from((Ipv6Addr::LOCALHOST, bound));
            match TcpListener::bind(v6_addr).await {
                Ok(v6) => break (v4, Some(v6), bound),
                // The port picked for 127.0.0.1 is someone else's on ::1:
                // pick another (with --port 0), or refuse.
                Err(source) if source.kind() == io::ErrorKind::AddrInUse => {
                    if port != 0 || attempt >= BIND_ATTEMPTS {
                        return Err(BindError { addr: v6_addr, source });
                    }
                    attempt += 1;
                }
                // No IPv6 loopback here (disabled, or no such address family):
                // nobody can listen on ::1 either, so a browser that tries it
                // fails over to 127.0.0.1.
                Err(e) => {
                    tracing::info!("no IPv6 loopback ({e}); listening on 127.0.0.1 only");
                    break (v4, None, bound);
                }
            }
        };
        let listeners = std::iter::once(v4).chain(v6).collect();
        let origin = format!("http://localhost:{port}");
        Ok(Loopback {
            listeners,
            head_timeout: HEAD_TIMEOUT,
            redirect_uri: format!("{origin}/"),
            origin,
            path: "/".into(),
        })
    }

    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// Another time limit for request heads (tests that must see what
    /// happens to idle connections before any times out).
    #[cfg(test)]
    fn with_head_timeout(mut self, limit: Duration) -> Self {
        self.head_timeout = limit;
        self
    }

    /// The addresses listened on: 127.0.0.1, then `[::1]` when the machine has it.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.listeners.iter().filter_map(|l| l.local_addr().ok()).collect()
    }

    /// Waits until `deadline` for the redirect whose `state` is `state` (the
    /// one in the authorization URL of `pending`), checks it with `pending`,
    /// then runs `finish` with the code (the exchange) before answering the
    /// browser. The port is closed before `finish` runs.
    pub async fn serve<T, F, Fut>(
        self,
        pending: &PendingLogin,
        state: CsrfState,
        deadline: Duration,
        finish: F,
    ) -> Result<T, LoginError>
    where
        F: FnOnce(AuthorizationCode) -> Fut,
        Fut: Future<Output = Result<T, crate::output::CliError>>,
    {
        let Loopback { listeners, head_timeout, origin, path, .. } = self;
        let expected = Arc::new(Expected { head_timeout, origin, path, state });
        let (tx, mut rx) = mpsc::channel::<Callback>(1);
        let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        let mut live: VecDeque<JoinHandle<()>> = VecDeque::new();
        let mut backoff = BACKOFF_MIN;
        let sleep = tokio::time::sleep(deadline);
        tokio::pin!(sleep);
        let waited = loop {
            tokio::select! {
                biased;
                Some(callback) = rx.recv() => break Some(callback),
                () = &mut sleep => break None,
                (stream, permit) = admit(&listeners, &permits, &mut live, &mut backoff) => {
                    live.push_back(tokio::spawn(serve_connection(stream, expected.clone(), tx.clone(), permit)));
                }
            }
        };
        // Close the port and drop every other connection before anything
        // else: no request is taken any more, and their descriptors are
        // free for the exchange.
        drop(listeners);
        for connection in &live {
            connection.abort();
        }
        for connection in live {
            let _ = connection.await;
        }
        let Some(mut callback) = waited else {
            return Err(LoginError::TimedOut);
        };
        // The SDK's redirect parsing decides; this consumes the pending
        // login whatever the outcome.
        let outcome = match pending.verify_redirect(&callback.redirect) {
            Ok(code) => finish(code).await.map_err(LoginError::Exchange),
            Err(e) => Err(LoginError::Callback(e)),
        };
        let page = match &outcome {
            Ok(_) => Page {
                status: "200 OK",
                title: "Logged in",
                ok: true,
                text: "You are logged in. You can close this tab and go back to the terminal.",
            },
            Err(LoginError::Callback(OAuthError::AccessDenied { .. })) => Page {
                status: "400 Bad Request",
                title: "Login failed",
                ok: false,
                text: "The authorization was denied. Nothing was stored.",
            },
            Err(_) => Page {
                status: "400 Bad Request",
                title: "Login failed",
                ok: false,
                text: "The login did not complete; see the terminal for why.",
            },
        };
        let _ = tokio::time::timeout(WRITE_TIMEOUT, respond(&mut callback.stream, &page)).await;
        outcome
    }
}

/// The next connection and its permit. When all permits are taken, the
/// oldest connection is dropped to make room; when `accept` fails (out of
/// file descriptors, for one), the oldest connection is dropped too and the
/// next try waits, twice as long each time up to [`BACKOFF_MAX`].
async fn admit(
    listeners: &[TcpListener],
    permits: &Arc<Semaphore>,
    live: &mut VecDeque<JoinHandle<()>>,
    backoff: &mut Duration,
) -> (TcpStream, OwnedSemaphorePermit) {
    loop {
        match accept_any(listeners).await {
            Ok(stream) => {
                *backoff = BACKOFF_MIN;
                live.retain(|c| !c.is_finished());
                if let Ok(permit) = Arc::clone(permits).try_acquire_owned() {
                    return (stream, permit);
                }
                if let Some(oldest) = live.pop_front() {
                    oldest.abort();
                }
                // The aborted connection gives its permit back when dropped.
                if let Ok(permit) = Arc::clone(permits).acquire_owned().await {
                    return (stream, permit);
                }
            }
            Err(e) => {
                tracing::debug!("accepting a connection failed ({e}); next try in {} ms", backoff.as_millis());
                live.retain(|c| !c.is_finished());
                if let Some(oldest) = live.pop_front() {
                    oldest.abort();
                }
                tokio::time::sleep(*backoff).await;
                *backoff = (*backoff * 2).min(BACKOFF_MAX);
            }
        }
    }
}

/// A connection on any of the listeners.
async fn accept_any(listeners: &[TcpListener]) -> io::Result<TcpStream> {
    match listeners {
        [] => std::future::pending().await,
        [one] => one.accept().await.map(|(s, _)| s),
        [a, b, ..] => tokio::select! {
            r = a.accept() => r.map(|(s, _)| s),
            r = b.accept() => r.map(|(s, _)| s),
        },
    }
}

/// Reads one request and answers it, unless it is the redirect: that one
/// goes to the login loop with its connection.
async fn serve_connection(
    mut stream: TcpStream,
    expected: Arc<Expected>,
    tx: mpsc::Sender<Callback>,
    _permit: OwnedSemaphorePermit,
) {
    let head = match tokio::time::timeout(expected.head_timeout, read_head(&mut stream)).await {
        Ok(Some(h)) => h,
        _ => return, // idle, too slow, too big or closed: dropped
    };
    let mut parts = head.lines().next().unwrap_or_default().split(' ');
    let (method, target) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
    let req_path = target.split_once('?').map_or(target, |(p, _)| p);
    let page = if req_path != expected.path {
        &NOT_FOUND
    } else if method != "GET" {
        &NOT_ALLOWED
    } else if let Some(redirect) = expected.redirect_with_state(target) {
        // The login loop answers it; if the login was settled meanwhile,
        // the connection is dropped.
        let _ = tx.send(Callback { redirect, stream }).await;
        return;
    } else {
        &NOT_THE_REDIRECT
    };
    let _ = tokio::time::timeout(WRITE_TIMEOUT, respond(&mut stream, page)).await;
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
            return Some(String::from_utf8_lossy(&buf[..end]).into_owned());
        }
        if buf.len() > MAX_HEAD {
            return None;
        }
    }
}

/// Writes `page` (fixed text only: nothing from the request is echoed).
async fn respond(stream: &mut TcpStream, page: &Page) -> io::Result<()> {
    let Page { status, title, ok, text } = page;
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>pinterest: {title}</title></head>\
         <body><h1>{title}</h1><p id=\"result\" data-ok=\"{ok}\">{text}</p></body></html>"
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

    /// A pending login with PKCE, its `state` in clear (for the tests'
    /// redirects) and as the listener expects it.
    fn pending(redirect: &str) -> (PendingLogin, String, CsrfState) {
        let oauth = OAuth::builder("1", "s").redirect_uri(redirect).pkce(true).build().unwrap();
        let (url, pending) = oauth.authorization_url();
        let state = url.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
        (pending, state, state_of(&url).unwrap())
    }

    /// Sends a raw request and returns the raw response.
    async fn send(addr: SocketAddr, request: &str) -> String {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(request.as_bytes()).await.unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out).await;
        out
    }

    fn get(path: &str) -> String {
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n")
    }

    async fn finish_ok(code: AuthorizationCode) -> Result<String, crate::output::CliError> {
        Ok(code.expose_secret().to_owned())
    }

    /// Whether this machine has an IPv6 loopback.
    fn has_ipv6_loopback() -> bool {
        std::net::TcpListener::bind((Ipv6Addr::LOCALHOST, 0)).is_ok()
    }

    const DEADLINE: Duration = Duration::from_secs(30);

    #[tokio::test]
    async fn binds_both_loopback_addresses_on_one_port_and_names_localhost() {
        let l = Loopback::bind(0).await.unwrap();
        let addrs = l.local_addrs();
        let port = addrs[0].port();
        assert_eq!(addrs[0], SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
        if has_ipv6_loopback() {
            assert_eq!(addrs, vec![addrs[0], SocketAddr::from((Ipv6Addr::LOCALHOST, port))]);
        } else {
            assert_eq!(addrs.len(), 1, "no IPv6 loopback: 127.0.0.1 alone");
        }
        assert!(addrs.iter().all(|a| a.ip().is_loopback()));
        assert_eq!(l.redirect_uri(), format!("http://localhost:{port}/"));
    }

    #[tokio::test]
    async fn a_port_taken_on_the_ipv6_loopback_is_refused() {
        let Ok(squatter) = std::net::TcpListener::bind((Ipv6Addr::LOCALHOST, 0)) else {
            // No IPv6 loopback: nobody can squat it, and the listener goes on
            // with 127.0.0.1 (the test above).
            return;
        };
        let port = squatter.local_addr().unwrap().port();
        match Loopback::bind(port).await {
            Err(e) => {
                assert_eq!(e.addr, SocketAddr::from((Ipv6Addr::LOCALHOST, port)));
                assert_eq!(e.source.kind(), io::ErrorKind::AddrInUse);
                assert!(e.to_string().contains("another program holds this port"), "{e}");
            }
            Ok(l) => panic!("bound {:?} although [::1]:{port} is taken", l.local_addrs()),
        }
        // With --port 0 a collision on ::1 is not a squatter: another port is tried.
        assert!(Loopback::bind(0).await.is_ok());
    }

    #[tokio::test]
    async fn the_redirect_logs_in_after_strays_and_an_idle_connection() {
        let l = Loopback::bind(0).await.unwrap();
        let addrs = l.local_addrs();
        let (v4, last) = (addrs[0], addrs[addrs.len() - 1]);
        let (pending, state, expected) = pending(l.redirect_uri());
        let client = tokio::spawn(async move {
            // An idle connection that never sends anything, held open throughout.
            let idle = TcpStream::connect(v4).await.unwrap();
            let strays = vec![
                send(v4, &get("/favicon.ico")).await,
                send(v4, &format!("POST /?code=x&state={state} HTTP/1.1\r\nContent-Length: 0\r\n\r\n")).await,
                send(v4, &get("/")).await,
                send(v4, &get("/?code=x&state=forged")).await,
                send(v4, &get("/?error=access_denied")).await,
                send(last, &get("/?code=x&state=")).await,
            ];
            // On [::1] when the machine has it, as a browser resolving localhost there would.
            let ok = send(last, &get(&format!("/?code=the-code&state={state}"))).await;
            drop(idle);
            (strays, ok)
        });
        let code = l.serve(&pending, expected, DEADLINE, finish_ok).await.unwrap();
        assert_eq!(code, "the-code");
        let (strays, ok) = client.await.unwrap();
        let statuses: Vec<&str> = strays.iter().map(|r| r.get(9..12).unwrap_or(r)).collect();
        assert_eq!(statuses, ["404", "405", "400", "400", "400", "400"]);
        assert!(strays.iter().all(|r| !r.contains("forged") && !r.contains("code=")), "nothing echoed");
        assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
        let lower = ok.to_ascii_lowercase();
        assert!(lower.contains("cache-control: no-store"));
        assert!(lower.contains("referrer-policy: no-referrer"));
        assert!(!ok.contains("the-code"), "the page does not echo the code");
        // The port is closed once the login is settled, on both addresses.
        for addr in addrs {
            assert!(TcpStream::connect(addr).await.is_err(), "{addr} still open");
        }
    }

    #[tokio::test]
    async fn a_redirect_with_the_state_is_judged_by_the_sdks_parsing() {
        // The right state, then another one: the SDK's parsing decides
        // (a parameter sent twice is refused, RFC 6749 §3.1), and the
        // login ends without an exchange.
        let l = Loopback::bind(0).await.unwrap();
        let addr = l.local_addrs()[0];
        let (pending, state, expected) = pending(l.redirect_uri());
        let client =
            tokio::spawn(async move { send(addr, &get(&format!("/?code=x&state={state}&state=other"))).await });
        let err = l.serve(&pending, expected, DEADLINE, finish_ok).await.unwrap_err();
        assert!(
            matches!(&err, LoginError::Callback(OAuthError::InvalidRedirect(m)) if m.contains("more than once")),
            "{err:?}"
        );
        assert!(client.await.unwrap().starts_with("HTTP/1.1 400"));
    }

    #[tokio::test]
    async fn a_denial_with_the_state_ends_the_login() {
        let l = Loopback::bind(0).await.unwrap();
        let addr = l.local_addrs()[0];
        let (pending, state, expected) = pending(l.redirect_uri());
        let client =
            tokio::spawn(async move { send(addr, &get(&format!("/?error=access_denied&state={state}"))).await });
        let err = l.serve(&pending, expected, DEADLINE, finish_ok).await.unwrap_err();
        assert!(matches!(err, LoginError::Callback(OAuthError::AccessDenied { .. })), "{err:?}");
        assert!(client.await.unwrap().contains("denied"));
    }

    #[tokio::test]
    async fn the_deadline_ends_the_wait_and_closes_the_port() {
        let l = Loopback::bind(0).await.unwrap();
        let addr = l.local_addrs()[0];
        let (pending, _, expected) = pending(l.redirect_uri());
        let stray = tokio::spawn(async move { send(addr, &get("/?code=x&state=forged")).await });
        let err = l.serve(&pending, expected, Duration::from_millis(500), finish_ok).await.unwrap_err();
        assert!(matches!(err, LoginError::TimedOut));
        assert!(!pending.is_used(), "a stray does not touch the pending login");
        assert!(TcpStream::connect(addr).await.is_err());
        let _ = stray.await;
    }

    #[tokio::test]
    async fn an_oversized_request_is_dropped_without_settling_the_login() {
        let l = Loopback::bind(0).await.unwrap();
        let addr = l.local_addrs()[0];
        let (pending, state, expected) = pending(l.redirect_uri());
        let client = tokio::spawn(async move {
            let mut s = TcpStream::connect(addr).await.unwrap();
            let junk = format!("GET /?{} HTTP/1.1\r\n", "a".repeat(MAX_HEAD * 2));
            let _ = s.write_all(junk.as_bytes()).await;
            drop(s);
            send(addr, &get(&format!("/?code=c&state={state}"))).await
        });
        assert_eq!(l.serve(&pending, expected, DEADLINE, finish_ok).await.unwrap(), "c");
        assert!(client.await.unwrap().starts_with("HTTP/1.1 200"));
    }

    /// Idle connections beyond [`MAX_CONNECTIONS`] push out the oldest ones
    /// (none times out here: the head timeout is an hour), so the listener
    /// never holds more, and the redirect still gets through.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn connections_are_bounded_and_the_oldest_idle_one_makes_room() {
        let l = Loopback::bind(0).await.unwrap().with_head_timeout(Duration::from_secs(3600));
        let addr = l.local_addrs()[0];
        let (pending, state, expected) = pending(l.redirect_uri());
        let extra = 5;
        let client = std::thread::spawn(move || {
            use std::io::Read as _;
            let idle: Vec<std::net::TcpStream> =
                (0..MAX_CONNECTIONS + extra).map(|_| std::net::TcpStream::connect(addr).unwrap()).collect();
            for s in &idle {
                s.set_nonblocking(true).unwrap();
            }
            // Closed by the listener: a read gives end of file at once.
            let closed = |s: &std::net::TcpStream| matches!((&*s).read(&mut [0u8; 1]), Ok(0));
            pinterest_test_support::wait_until("the oldest idle connections to be dropped", || {
                idle.iter().filter(|s| closed(s)).count() >= extra
            });
            let dropped: Vec<bool> = idle.iter().map(closed).collect();
            let mut s = std::net::TcpStream::connect(addr).unwrap();
            std::io::Write::write_all(&mut s, get(&format!("/?code=c&state={state}")).as_bytes()).unwrap();
            let mut page = String::new();
            let _ = s.read_to_string(&mut page);
            (dropped, page)
        });
        assert_eq!(l.serve(&pending, expected, DEADLINE, finish_ok).await.unwrap(), "c");
        let (dropped, page) = tokio::task::spawn_blocking(move || client.join().unwrap()).await.unwrap();
        assert_eq!(dropped[..extra], vec![true; extra], "the oldest ones went first");
        assert_eq!(dropped[extra..], vec![false; MAX_CONNECTIONS], "the newest ones were still served");
        assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    }
}
