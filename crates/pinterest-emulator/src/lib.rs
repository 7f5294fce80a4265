//! An offline emulator of the Pinterest REST API v5 and its OAuth server.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let emulator = pinterest_emulator::Emulator::builder().auto_approve(true).start().await?;
//! println!("API at {}, consent page at {}/oauth/", emulator.api_base(), emulator.base_url());
//! // ... point any Pinterest client at it ...
//! emulator.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! - The API under `/v5`: stateful for the organic API (user account,
//!   boards, sections, Pins, media, search); a seeded world of ad accounts
//!   (campaigns, ad groups, ads, audiences…), businesses and catalogs that
//!   every list and get reads ([`world`]); every other operation answers
//!   with a complete example valid against its schema, ids echoed.
//!   `date-time` values carry an offset, or none with [`Timestamps::Live`].
//! - Pinterest's own clients run unchanged: the quickstart's `consumer_id`
//!   on the consent page, the official Python SDK's refresh at start.
//! - Body values outside an enum, text outside its length limits and ids
//!   that are not digits are refused with 400 naming the place.
//! - The OAuth server: a consent page at `/oauth/`, `/v5/oauth/token`
//!   (authorization code with PKCE, rotating refresh tokens with family
//!   revocation, client credentials), revocation.
//! - Validation like Pinterest's: unknown routes, bad tokens, missing
//!   scopes, bad parameters and bodies get `{code, message}` errors; every
//!   response carries `x-pinterest-rid`.
//! - Admin under `/_emulator/`: reset, seed, the request log (secrets
//!   masked), fault injection; for loopback `Host`s only (plus
//!   [`EmulatorBuilder::allow_host`]), JSON-only writes, and an optional
//!   admin token ([`EmulatorBuilder::admin_token`]).
//! - Rate limits, off by default ([`EmulatorBuilder::rate_limits`]): calls
//!   per window for each `x-ratelimit-category`, counted per app and user,
//!   the `x-ratelimit-*` headers, and 429 with `Retry-After` when a budget
//!   is spent.
//! - Each connection gets [`EmulatorBuilder::header_read_timeout`] to send a
//!   request head; accept errors (out of descriptors) are retried with
//!   backoff, not in a busy loop.

mod accept;
mod admin;
mod ads;
mod analytics;
mod api;
mod generated;
mod oauth;
mod ops;
mod ratelimit;
mod reports;
mod server;
pub mod state;
pub mod world;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use ratelimit::RateLimits;
pub use server::{Fault, FaultKind, LoggedRequest};
pub use state::App;

/// The demo app's client id.
pub const DEMO_CLIENT_ID: &str = "1234567890";
/// The demo app's secret.
pub const DEMO_CLIENT_SECRET: &str = "emulator-secret";

/// Entry point: `Emulator::builder()`.
#[derive(Debug)]
pub struct Emulator;

impl Emulator {
    /// A builder with the defaults (loopback, random port, demo app).
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }
}

/// How the emulator behaves.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Approve consent at once (a GET on `/oauth/` redirects).
    pub auto_approve: bool,
    /// Lifetime of access tokens.
    pub access_token_ttl: Duration,
    /// Lifetime of refresh tokens.
    pub refresh_token_ttl: Duration,
    /// Lifetime of authorization codes.
    pub code_ttl: Duration,
    /// Status reads a media upload stays `processing` for.
    pub media_processing_polls: u32,
    /// How long a client may take to send a request head (the first
    /// request of a connection, or the next one on a kept-alive
    /// connection) before the connection is closed.
    pub header_read_timeout: Duration,
    /// Hosts besides the loopback names (`localhost`, `127.0.0.1`,
    /// `[::1]`) that admin requests may name in `Host`: `name` (any port)
    /// or `name:port`.
    pub allowed_hosts: Vec<String>,
    /// When set, every admin route (not the upload target) wants
    /// `Authorization: Bearer <admin token>`.
    pub admin_token: Option<AdminToken>,
    /// How API responses write `date-time` values.
    pub timestamps: Timestamps,
    /// Rate limits per `x-ratelimit-category`. `None` (the default) counts
    /// nothing, never answers 429 and sends no `x-ratelimit-*` headers.
    pub rate_limits: Option<RateLimits>,
    /// How long an async ads report stays `IN_PROGRESS` after it is
    /// requested.
    pub report_delay: Duration,
    /// How long a report's download URL works after the status read that
    /// handed it out.
    pub report_url_ttl: Duration,
    /// Status reads a report answers `IN_PROGRESS` to, whatever the time:
    /// for tests that must see the wait without racing the clock.
    pub report_in_progress_reads: u32,
}

/// How API responses write `date-time` values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Timestamps {
    /// RFC 3339 with an offset, `2025-01-01T00:00:00Z`, as the spec's
    /// `format: date-time` requires.
    #[default]
    Rfc3339,
    /// Without the offset, `2025-01-01T00:00:00`, as Pinterest's live
    /// servers have been seen to write them: for testing that a client
    /// reads both.
    Live,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            auto_approve: false,
            access_token_ttl: Duration::from_secs(30 * 24 * 3600),
            refresh_token_ttl: Duration::from_secs(365 * 24 * 3600),
            code_ttl: Duration::from_secs(600),
            media_processing_polls: 2,
            header_read_timeout: Duration::from_secs(30),
            allowed_hosts: Vec::new(),
            admin_token: None,
            timestamps: Timestamps::Rfc3339,
            rate_limits: None,
            report_delay: Duration::from_secs(2),
            report_url_ttl: Duration::from_secs(3600),
            report_in_progress_reads: 0,
        }
    }
}

/// The secret that guards the admin routes. `Debug` prints `[redacted]`;
/// there is no `Display`.
#[derive(Clone)]
pub struct AdminToken(String);

impl AdminToken {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> AdminToken {
        AdminToken(token.into())
    }

    /// Whether `given` is this token, compared in constant time (over
    /// SHA-256 digests, so the length does not show either).
    pub fn matches(&self, given: &[u8]) -> bool {
        use sha2::Digest as _;
        use subtle::ConstantTimeEq as _;
        let want = sha2::Sha256::digest(self.0.as_bytes());
        let got = sha2::Sha256::digest(given);
        bool::from(want.as_slice().ct_eq(got.as_slice()))
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken([redacted])")
    }
}

impl From<String> for AdminToken {
    fn from(token: String) -> Self {
        AdminToken(token)
    }
}

impl From<&str> for AdminToken {
    fn from(token: &str) -> Self {
        AdminToken(token.to_owned())
    }
}

impl std::str::FromStr for AdminToken {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(AdminToken::new(s))
    }
}

/// Builds and starts an emulator.
#[derive(Debug, Clone)]
#[must_use]
pub struct EmulatorBuilder {
    bind: SocketAddr,
    settings: Settings,
    seed: Option<u64>,
    apps: Vec<App>,
    state_file: Option<PathBuf>,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        EmulatorBuilder {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            settings: Settings::default(),
            seed: None,
            apps: vec![App::demo()],
            state_file: None,
        }
    }
}

impl EmulatorBuilder {
    /// Address to listen on (default `127.0.0.1:0`, a free port).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = addr;
        self
    }

    /// Approve consent at once.
    pub fn auto_approve(mut self, on: bool) -> Self {
        self.settings.auto_approve = on;
        self
    }

    /// Deterministic ids, timestamps and tokens.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// How API responses write `date-time` values (default RFC 3339 with `Z`).
    pub fn timestamps(mut self, timestamps: Timestamps) -> Self {
        self.settings.timestamps = timestamps;
        self
    }

    /// How long an async ads report stays `IN_PROGRESS` (default 2 s).
    pub fn report_delay(mut self, delay: Duration) -> Self {
        self.settings.report_delay = delay;
        self
    }

    /// How long a report's download URL works (default 1 h); a new status
    /// read hands out a new URL.
    pub fn report_url_ttl(mut self, ttl: Duration) -> Self {
        self.settings.report_url_ttl = ttl;
        self
    }

    /// Turns rate limits on (they are off by default):
    /// `RateLimits::new(Duration::from_secs(60)).default_limit(100).limit("ads_analytics", 5)`.
    /// Each call of an operation whose category is limited, once its bearer
    /// token and scopes are accepted, spends one call of the budget of its
    /// app, user and category; its answer carries `x-ratelimit-limit`,
    /// `x-ratelimit-remaining` (after this call) and `x-ratelimit-reset`
    /// (whole seconds until the window ends). A call over budget is answered
    /// 429 with `{"code": 8, ...}` and `Retry-After`, and does not run.
    /// [`EmulatorHandle::reset`] and the admin reset clear the counters.
    pub fn rate_limits(mut self, limits: RateLimits) -> Self {
        self.settings.rate_limits = Some(limits);
        self
    }

    /// A report also answers `IN_PROGRESS` to its first `reads` status
    /// reads (default 0), however much time has passed: a test sees the
    /// wait without racing the clock.
    pub fn report_in_progress_reads(mut self, reads: u32) -> Self {
        self.settings.report_in_progress_reads = reads;
        self
    }

    /// Access token lifetime.
    pub fn access_token_ttl(mut self, ttl: Duration) -> Self {
        self.settings.access_token_ttl = ttl;
        self
    }

    /// Refresh token lifetime.
    pub fn refresh_token_ttl(mut self, ttl: Duration) -> Self {
        self.settings.refresh_token_ttl = ttl;
        self
    }

    /// Authorization code lifetime.
    pub fn code_ttl(mut self, ttl: Duration) -> Self {
        self.settings.code_ttl = ttl;
        self
    }

    /// How many status reads an upload stays `processing`.
    pub fn media_processing_polls(mut self, polls: u32) -> Self {
        self.settings.media_processing_polls = polls;
        self
    }

    /// How long a client may take to send a request head before its
    /// connection is closed (default 30 s; must not be zero).
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.settings.header_read_timeout = timeout;
        self
    }

    /// Lets admin requests name `host` in their `Host` header, besides the
    /// loopback names: `name` for any port, `name:port` for that port only
    /// (for example the name of the emulator's container).
    pub fn allow_host(mut self, host: impl Into<String>) -> Self {
        self.settings.allowed_hosts.push(host.into());
        self
    }

    /// Requires `Authorization: Bearer <token>` on every admin route (the
    /// upload target excepted). An empty token is refused by
    /// [`EmulatorBuilder::start`].
    pub fn admin_token(mut self, token: impl Into<AdminToken>) -> Self {
        self.settings.admin_token = Some(token.into());
        self
    }

    /// Registers another app.
    pub fn app(mut self, app: App) -> Self {
        self.apps.push(app);
        self
    }

    /// Adds a redirect URI to the demo app.
    pub fn demo_redirect_uri(mut self, uri: impl Into<String>) -> Self {
        let uri = uri.into();
        if let Some(demo) = self.apps.iter_mut().find(|a| a.client_id == DEMO_CLIENT_ID) {
            demo.redirect_uris.push(uri);
        }
        self
    }

    /// Loads the state from `path` when it exists, and saves it there on
    /// shutdown.
    pub fn state_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.state_file = Some(path.into());
        self
    }

    /// Binds and starts serving. Fails with `InvalidInput` on an empty
    /// admin token, a zero header timeout, an allowed host that is not
    /// `name` or `name:port`, or rate limits with a zero window or a
    /// category no operation has.
    pub async fn start(self) -> std::io::Result<EmulatorHandle> {
        let invalid = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidInput, m.to_owned());
        if self.settings.admin_token.as_ref().is_some_and(AdminToken::is_empty) {
            return Err(invalid("the admin token is empty"));
        }
        if self.settings.header_read_timeout.is_zero() {
            return Err(invalid("the header read timeout is zero"));
        }
        if let Some(problem) = self.settings.rate_limits.as_ref().and_then(RateLimits::problem) {
            return Err(invalid(&problem));
        }
        server::start(self.bind, self.settings, self.seed, self.apps, self.state_file).await
    }
}

/// A running emulator. Dropping it stops it; [`EmulatorHandle::shutdown`]
/// also waits and saves the state file.
#[derive(Debug)]
pub struct EmulatorHandle {
    pub(crate) addr: SocketAddr,
    pub(crate) shared: Arc<server::Shared>,
    pub(crate) stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub(crate) task: Option<tokio::task::JoinHandle<()>>,
}

impl EmulatorHandle {
    /// `http://127.0.0.1:<port>`: what `PINTEREST_API_URI` and
    /// `PINTEREST_OAUTH_URI` take.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:<port>/v5`.
    pub fn api_base(&self) -> String {
        format!("{}/v5", self.base_url())
    }

    /// The host of the consent page (`{oauth_base}/oauth/`).
    pub fn oauth_base(&self) -> String {
        self.base_url()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Token requests received, of `grant_type` (or all with `None`).
    pub fn token_requests(&self, grant_type: Option<&str>) -> usize {
        self.shared.token_requests(grant_type)
    }

    /// The request log (secrets masked).
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.shared.requests()
    }

    /// Adds a fault.
    pub fn add_fault(&self, fault: Fault) {
        self.shared.add_fault(fault);
    }

    /// Lets every request held by a latency fault go on now. A test holds
    /// a request this way (a long `latency_ms`) until it has seen what must
    /// happen meanwhile, then releases it: no guessing how long to wait.
    pub fn release_delayed(&self) {
        self.shared.release_delayed();
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.shared.clear_faults();
    }

    /// Rate-limit windows opened since the start or the last reset, summed
    /// over every app, user and category (0 with rate limits off).
    pub fn rate_windows_opened(&self) -> u64 {
        self.shared.rate_counters.opened()
    }

    /// Back to the initial state (apps kept), log and faults cleared.
    pub fn reset(&self) {
        self.shared.reset(None);
    }

    /// Mints an access token for the demo app with `scopes`, without the
    /// OAuth dance (for tests and benchmarks).
    pub fn issue_token(&self, scopes: &[&str]) -> String {
        self.shared.issue_token(scopes)
    }

    /// Registers one more redirect URI for the app `client_id`, as a
    /// developer does in Pinterest's app settings; `false` when there is no
    /// such app. A test lets the CLI's loopback listener bind port 0, reads
    /// the redirect URI from the authorization URL and registers it here.
    pub fn register_redirect_uri(&self, client_id: &str, uri: impl Into<String>) -> bool {
        let uri = uri.into();
        let mut data = self.shared.data();
        match data.apps.iter_mut().find(|a| a.client_id == client_id) {
            Some(app) => {
                if !app.redirect_uris.contains(&uri) {
                    app.redirect_uris.push(uri);
                }
                true
            }
            None => false,
        }
    }

    /// The conversion events accepted so far (the last 10,000), oldest
    /// first: `{ad_account_id, received_at, event}` each.
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.shared.data().events.clone()
    }

    /// A copy of the state.
    pub fn state(&self) -> state::Data {
        self.shared.snapshot()
    }

    /// Stops serving, closes every connection and saves the state file.
    pub async fn shutdown(mut self) {
        self.stop_now().await;
    }

    async fn stop_now(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        if let Err(e) = self.shared.save() {
            tracing::warn!("could not save the state file: {e}");
        }
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
