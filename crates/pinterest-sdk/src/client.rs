//! The async client: authentication, timeouts, retries and tracing around a
//! [`Transport`]. The blocking client runs this same code.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use bytes::Bytes;
use http::header::{AUTHORIZATION, HeaderValue, USER_AGENT};
use http::{Method, StatusCode};
use rand::{Rng, SeedableRng};
use tracing::Instrument;

use crate::auth::{NoToken, StaticToken, TokenSource};
use crate::config::Config;
use crate::error::{ApiError, Error, Result, TransportError, TransportErrorKind};
use crate::oauth::Scope;
use crate::operation::{AuthScheme, CallOptions, Operation};
use crate::ratelimit::{BudgetKey, Grant, Observation, RateLimiter, Ticket};
use crate::response::{Response, ResponseMeta};
use crate::retry::{Decision, GiveUpReason, Outcome};
use crate::secret::{AccessToken, ClientSecret};
use crate::transport::{Body, HyperTransport, ReadError, ResponseBody, Transport};

/// The async Pinterest client. Cheap to clone (one `Arc`), `Send + Sync`.
///
/// ```no_run
/// # async fn demo() -> pinterest_sdk::Result<()> {
/// use pinterest_sdk::{Client, secret::AccessToken};
/// let client = Client::builder().access_token(AccessToken::new("pina_...")).build()?;
/// let me = client.user_account().get().send().await?;
/// println!("{:?}", me.username);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    transport: Arc<dyn Transport>,
    tokens: Arc<dyn TokenSource>,
    app: Option<AppCredentials>,
    rng: Mutex<rand::rngs::SmallRng>,
    limiter: Option<Arc<dyn RateLimiter>>,
    /// Whose rate budgets the calls spend: (app, account).
    owner: (String, String),
    /// The configured user agent, as a header value once for all calls.
    user_agent: HeaderValue,
    /// The last access token sent, with its `Authorization` value, so that
    /// the value is built once per token rather than once per call.
    bearer: Mutex<Option<(AccessToken, HeaderValue)>>,
    /// Every part a call goes through may run on any tokio runtime: the
    /// transport keeps connections per runtime, and the token source and
    /// limiter hold none (see [`Client::runs_on_any_runtime`]).
    any_runtime: bool,
}

impl Inner {
    /// `Bearer <token>`, marked sensitive; built again only when the token
    /// changes.
    fn bearer_value(&self, token: &AccessToken) -> Result<HeaderValue> {
        let mut cache = self.bearer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((sent, value)) = cache.as_ref()
            && sent.expose_secret() == token.expose_secret()
        {
            return Ok(value.clone());
        }
        let mut value = HeaderValue::try_from(format!("Bearer {}", token.expose_secret()))
            .map_err(|_| Error::Config("the access token contains characters that cannot go in a header".into()))?;
        value.set_sensitive(true);
        *cache = Some((token.clone(), value.clone()));
        Ok(value)
    }

    fn new(
        config: Config,
        transport: Arc<dyn Transport>,
        tokens: Arc<dyn TokenSource>,
        app: Option<AppCredentials>,
        rng: rand::rngs::SmallRng,
        limiter: Option<Arc<dyn RateLimiter>>,
    ) -> Self {
        let owner = match tokens.account_key() {
            Some(key) => (key.app().to_owned(), key.account().to_owned()),
            None => (app.as_ref().map(|a| a.client_id.clone()).unwrap_or_default(), String::new()),
        };
        let user_agent =
            HeaderValue::try_from(config.user_agent()).unwrap_or_else(|_| HeaderValue::from_static("pinterest-rs"));
        Inner {
            config,
            transport,
            tokens,
            app,
            rng: Mutex::new(rng),
            limiter,
            owner,
            user_agent,
            bearer: Mutex::new(None),
            any_runtime: false,
        }
    }
}

/// An app's id and secret, for the endpoints that use HTTP Basic auth.
#[derive(Clone)]
pub struct AppCredentials {
    /// The app id (OAuth `client_id`).
    pub client_id: String,
    /// The app secret.
    pub client_secret: ClientSecret,
}

impl AppCredentials {
    /// Bundles an app id and secret.
    pub fn new(client_id: impl Into<String>, client_secret: ClientSecret) -> Self {
        AppCredentials { client_id: client_id.into(), client_secret }
    }

    /// `Basic base64(client_id:client_secret)`, marked sensitive.
    pub(crate) fn basic_header(&self) -> HeaderValue {
        use base64::Engine as _;
        let raw = format!("{}:{}", self.client_id, self.client_secret.expose_secret());
        let encoded = base64::engine::general_purpose::STANDARD.encode(raw.as_bytes());
        let mut value =
            HeaderValue::try_from(format!("Basic {encoded}")).unwrap_or_else(|_| HeaderValue::from_static("Basic"));
        value.set_sensitive(true);
        value
    }
}

impl fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .finish()
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("api_base", &self.inner.config.api_base().as_str())
            .field("app", &self.inner.app)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Client`] (and, through [`blocking::ClientBuilder`](crate::blocking::ClientBuilder),
/// a blocking one).
#[derive(Default)]
#[must_use]
pub struct ClientBuilder {
    config: Option<Config>,
    transport: Option<Arc<dyn Transport>>,
    tokens: Option<Arc<dyn TokenSource>>,
    app: Option<AppCredentials>,
    seed: Option<u64>,
    limiter: Option<Arc<dyn RateLimiter>>,
    budget_account: Option<String>,
    /// The transport was given and is not a [`HyperTransport`].
    foreign_transport: bool,
    /// The token source was given rather than made from a token.
    foreign_tokens: bool,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder").field("config", &self.config).field("app", &self.app).finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// Uses `config` (default: [`Config::production`]).
    pub fn config(mut self, config: Config) -> Self {
        self.config = Some(config);
        self
    }

    /// Sends a fixed access token.
    pub fn access_token(mut self, token: AccessToken) -> Self {
        self.tokens = Some(Arc::new(StaticToken::new(token)));
        self.foreign_tokens = false;
        self
    }

    /// Gets tokens from `source` (e.g. a refreshing source).
    pub fn token_source(mut self, source: Arc<dyn TokenSource>) -> Self {
        self.tokens = Some(source);
        self.foreign_tokens = true;
        self
    }

    /// The app's id and secret, needed by the operations that use HTTP Basic
    /// auth (the token endpoints).
    pub fn app_credentials(mut self, app: AppCredentials) -> Self {
        self.app = Some(app);
        self
    }

    /// Replaces the HTTP transport.
    pub fn transport<T: Transport>(mut self, transport: T) -> Self {
        self.foreign_transport = std::any::TypeId::of::<T>() != std::any::TypeId::of::<HyperTransport>();
        self.transport = Some(Arc::new(transport));
        self
    }

    /// Keeps the calls within Pinterest's rate budgets with `limiter`: a
    /// call whose budget is spent waits for the window to reset instead of
    /// being sent to get a 429 (see [`crate::ratelimit`]). Off by default.
    /// Give every client the same limiter (an [`InProcessLimiter`](crate::ratelimit::InProcessLimiter),
    /// or a Redis one shared by all workers) to share the budgets.
    pub fn rate_limiter(mut self, limiter: Arc<dyn RateLimiter>) -> Self {
        self.limiter = Some(limiter);
        self
    }

    /// Whose rate budgets this client's calls spend, when its token source
    /// does not say (a static token): clients of different Pinterest users
    /// sharing a limiter need different accounts. A refreshing source with
    /// a store names its account itself.
    pub fn budget_account(mut self, account: impl Into<String>) -> Self {
        self.budget_account = Some(account.into());
        self
    }

    /// Seeds the retry jitter, for reproducible tests.
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<Client> {
        let config = self.config.unwrap_or_default();
        let transport = match self.transport {
            Some(t) => t,
            None => Arc::new(HyperTransport::new(&config)?),
        };
        let tokens: Arc<dyn TokenSource> = match (self.tokens, config.access_token()) {
            (Some(t), _) => t,
            (None, Some(token)) => Arc::new(StaticToken::new(token.clone())),
            (None, None) => Arc::new(NoToken),
        };
        let rng = match self.seed {
            Some(seed) => rand::rngs::SmallRng::seed_from_u64(seed),
            None => rand::rngs::SmallRng::from_rng(&mut rand::rng()),
        };
        let any_runtime = !self.foreign_transport && !self.foreign_tokens && self.limiter.is_none();
        let mut inner = Inner::new(config, transport, tokens, self.app, rng, self.limiter);
        inner.any_runtime = any_runtime;
        if let Some(account) = self.budget_account
            && inner.tokens.account_key().is_none()
        {
            inner.owner.1 = account;
        }
        Ok(Client { inner: Arc::new(inner) })
    }
}

/// What the dispatcher needs to know about an operation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CallMeta<'a> {
    pub id: &'static str,
    pub auth: AuthScheme,
    pub options: &'a CallOptions,
    pub scopes: &'static [&'static [&'static str]],
    pub sandbox: bool,
    pub rate_limit_category: &'static str,
}

impl<'a> CallMeta<'a> {
    /// The facts of operation `O`, with the options of `op`.
    pub(crate) fn of<O: Operation>(op: &'a O) -> Self {
        CallMeta {
            id: op.id(),
            auth: O::AUTH,
            options: op.options(),
            scopes: O::SCOPES,
            sandbox: O::SANDBOX,
            rate_limit_category: O::RATE_LIMIT_CATEGORY,
        }
    }

    /// A call that is not one of the spec's operations (an upload to
    /// storage, an untyped request).
    pub(crate) fn plain(id: &'static str, auth: AuthScheme, options: &'a CallOptions) -> Self {
        CallMeta { id, auth, options, scopes: &[], sandbox: true, rate_limit_category: "" }
    }
}

/// A built request and the facts of its operation, owning its options.
pub(crate) struct Prepared {
    request: http::Request<Body>,
    id: &'static str,
    auth: AuthScheme,
    options: CallOptions,
    scopes: &'static [&'static [&'static str]],
    sandbox: bool,
    rate_limit_category: &'static str,
}

/// A response body: read whole (the usual case), or left to stream.
pub(crate) enum Payload {
    Full(Bytes),
    Stream(ResponseBody),
}

impl Payload {
    fn bytes(&self) -> &[u8] {
        match self {
            Payload::Full(b) => b,
            Payload::Stream(_) => &[],
        }
    }
}

/// How one exchange failed.
enum Failure {
    /// No usable response; the retry policy decides.
    Transport(TransportError),
    /// Stop at once.
    Fatal(Error),
}

impl Client {
    /// A builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// Reads [`Config::from_env`] and builds a client with it (a static token
    /// when `PINTEREST_ACCESS_TOKEN` is set).
    pub fn from_env() -> Result<Client> {
        Client::builder().config(Config::from_env()?).build()
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The token source.
    pub fn token_source(&self) -> &Arc<dyn TokenSource> {
        &self.inner.tokens
    }

    /// The transport.
    pub fn transport(&self) -> &Arc<dyn Transport> {
        &self.inner.transport
    }

    /// The app credentials, if set.
    pub fn app_credentials(&self) -> Option<&AppCredentials> {
        self.inner.app.as_ref()
    }

    /// A client sharing this one's transport (and its connection pool) and
    /// configuration but taking tokens from `source`: cheap, for one client
    /// per connected account.
    pub fn with_token_source(&self, source: Arc<dyn TokenSource>) -> Client {
        let rng = rand::rngs::SmallRng::from_rng(&mut rand::rng());
        Client {
            inner: Arc::new(Inner::new(
                self.inner.config.clone(),
                self.inner.transport.clone(),
                source,
                self.inner.app.clone(),
                rng,
                self.inner.limiter.clone(),
            )),
        }
    }

    /// Whether this client's calls may run on any tokio runtime, including
    /// a runtime that is driven only while a call is under way. True when
    /// the transport is a [`HyperTransport`] (which keeps its connections
    /// per runtime), the tokens are fixed (no renewal to share between
    /// calls) and no rate limiter is on. The blocking client then runs each
    /// calling thread on a runtime of its own.
    pub(crate) fn runs_on_any_runtime(&self) -> bool {
        self.inner.any_runtime
    }

    /// The rate limiter, if one is on.
    pub fn rate_limiter(&self) -> Option<&Arc<dyn RateLimiter>> {
        self.inner.limiter.as_ref()
    }

    /// The budget key of `category` for this client's calls: its app and
    /// account (from its token source's store key, else the app
    /// credentials and no account).
    pub fn budget_key(&self, category: &'static str) -> BudgetKey {
        BudgetKey::new(self.inner.owner.0.clone(), self.inner.owner.1.clone(), category)
    }

    /// Sends `op` and decodes its response.
    pub async fn execute<O: Operation + Sync>(&self, op: &O) -> Result<O::Output> {
        let (parts, body) = self.send_operation(op).await?;
        O::from_response(http::Response::from_parts(parts, body))
    }

    /// Sends `op` and decodes its response, with the response's metadata.
    pub async fn execute_with_meta<O: Operation + Sync>(&self, op: &O) -> Result<Response<O::Output>> {
        let (parts, body) = self.send_operation(op).await?;
        let meta = ResponseMeta::new(op.id(), O::RATE_LIMIT_CATEGORY, parts.status, parts.headers.clone());
        let value = O::from_response(http::Response::from_parts(parts, body))?;
        Ok(Response { value, meta })
    }

    /// Sends `op`, checks that the answer decodes as the operation's output,
    /// and returns the body as JSON, as it came: fields this SDK does not
    /// know and explicit `null`s included (what a command-line tool or a
    /// proxy prints). An empty body is `null`. For an operation whose
    /// answer holds a secret (a presigned link), the value is the decoded
    /// output, serialized, so the secret stays redacted as it does there.
    pub async fn execute_json<O>(&self, op: &O) -> Result<Response<serde_json::Value>>
    where
        O: Operation + Sync,
        O::Output: serde::Serialize,
    {
        let (parts, body) = self.send_operation(op).await?;
        let meta = ResponseMeta::new(op.id(), O::RATE_LIMIT_CATEGORY, parts.status, parts.headers.clone());
        let status = parts.status;
        let typed = O::from_response(http::Response::from_parts(parts, body.clone()))?;
        let value = if O::SENSITIVE_RESPONSE {
            serde_json::to_value(&typed)
                .map_err(|e| Error::invalid(op.id(), format!("the answer cannot be shown as JSON: {e}")))?
        } else if body.iter().all(u8::is_ascii_whitespace) {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(&body).map_err(|e| {
                Error::Decode(Box::new(crate::error::DecodeError::new(op.id(), status, ".".into(), body, e)))
            })?
        };
        Ok(Response { value, meta })
    }

    /// Builds and sends `op`; the response's head and whole body.
    async fn send_operation<O: Operation + Sync>(&self, op: &O) -> Result<(http::response::Parts, Bytes)> {
        let request = op.to_request(self.inner.config.api_base())?;
        self.send_whole(request.map(Body::from), CallMeta::of(op)).await
    }

    async fn send_whole(
        &self,
        request: http::Request<Body>,
        meta: CallMeta<'_>,
    ) -> Result<(http::response::Parts, Bytes)> {
        let (parts, payload) = self.dispatch(request, meta, false).await?.into_parts();
        match payload {
            Payload::Full(body) => Ok((parts, body)),
            Payload::Stream(_) => Err(Error::invalid(meta.id, "the response body was not read")),
        }
    }

    /// `op`'s request, built, with what its call needs: a call that owns
    /// everything, for the blocking client to run as a task.
    pub(crate) fn prepare<O: Operation>(&self, op: &O) -> Result<Prepared> {
        let request = op.to_request(self.inner.config.api_base())?.map(Body::from);
        let meta = CallMeta::of(op);
        Ok(Prepared {
            request,
            id: meta.id,
            auth: meta.auth,
            options: meta.options.clone(),
            scopes: meta.scopes,
            sandbox: meta.sandbox,
            rate_limit_category: meta.rate_limit_category,
        })
    }

    /// Sends a [`prepare`](Self::prepare)d call; the response's head and
    /// whole body.
    pub(crate) async fn send_prepared(&self, call: Prepared) -> Result<(http::response::Parts, Bytes)> {
        let meta = CallMeta {
            id: call.id,
            auth: call.auth,
            options: &call.options,
            scopes: call.scopes,
            sandbox: call.sandbox,
            rate_limit_category: call.rate_limit_category,
        };
        self.send_whole(call.request, meta).await
    }

    /// Refuses a call that cannot succeed, before anything is sent: an
    /// operation the sandbox does not serve, or a token whose known scopes
    /// lack what the operation requires.
    fn check_before_sending(&self, meta: &CallMeta<'_>) -> Result<()> {
        let config = &self.inner.config;
        if !meta.sandbox && config.is_sandbox() {
            return Err(Error::NotInSandbox { operation: meta.id });
        }
        if meta.auth != AuthScheme::Bearer || meta.scopes.is_empty() || !meta.options.scopes_checked(config) {
            return Ok(());
        }
        let Some(granted) = self.inner.tokens.scopes() else { return Ok(()) };
        let has = |need: &str| granted.iter().any(|g| g.as_str() == need);
        if meta.scopes.iter().any(|set| set.iter().all(|need| has(need))) {
            return Ok(());
        }
        // Name what is missing from the set that lacks the least.
        let missing = meta
            .scopes
            .iter()
            .map(|set| set.iter().filter(|need| !has(need)).map(|need| Scope::parse(need)).collect::<Vec<_>>())
            .min_by_key(Vec::len)
            .unwrap_or_default();
        Err(Error::MissingScopes { operation: meta.id, missing, granted })
    }

    /// Sends a built request with auth, timeouts and retries; returns the
    /// final response whatever its status, its body read whole up to the
    /// size limit (or, with `stream` and a 2xx, left to stream). Not
    /// generic, so it is compiled once for all operations.
    pub(crate) async fn dispatch(
        &self,
        request: http::Request<Body>,
        meta: CallMeta<'_>,
        stream: bool,
    ) -> Result<http::Response<Payload>> {
        let span = tracing::debug_span!(
            "pinterest.call",
            operation = meta.id,
            rate_limit_category = meta.rate_limit_category,
            method = %request.method(),
            path = request.uri().path(),
            status = tracing::field::Empty,
            request_id = tracing::field::Empty,
            attempts = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        let started = Instant::now();
        let result = self.dispatch_inner(request, meta, started, stream).instrument(span.clone()).await;
        span.record("duration_ms", started.elapsed().as_millis() as u64);
        match &result {
            Ok(r) => {
                span.record("status", r.status().as_u16());
                if let Some(rid) = crate::error::header_str(r.headers(), "x-pinterest-rid") {
                    span.record("request_id", rid);
                }
            }
            Err(e) => {
                if let Some(s) = e.status() {
                    span.record("status", s.as_u16());
                }
                if let Some(rid) = e.request_id() {
                    span.record("request_id", rid);
                }
            }
        }
        result
    }

    async fn dispatch_inner(
        &self,
        request: http::Request<Body>,
        meta: CallMeta<'_>,
        started: Instant,
        stream: bool,
    ) -> Result<http::Response<Payload>> {
        self.check_before_sending(&meta)?;
        let config = &self.inner.config;
        let policy = meta.options.retry_policy(config);
        let deadline = meta.options.total(config).map(|t| started + t);
        let per_attempt = meta.options.attempt(config);
        let limit = meta.options.response_limit(config);
        let (parts, body) = request.into_parts();
        // A streaming body can be sent once; an in-memory one is copied for
        // every attempt.
        let mut unsent = Some(body);
        let mut attempt: u32 = 0;
        let mut reauthorized = false;
        loop {
            let Some(body) = take_body(&mut unsent) else {
                return Err(Error::invalid(meta.id, "a streaming request body cannot be sent twice"));
            };
            attempt += 1;
            let remaining = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if remaining == Some(Duration::ZERO) {
                return Err(Error::Timeout { operation: meta.id, elapsed: started.elapsed() });
            }
            let mut req = http::Request::from_parts(parts.clone(), body);
            req.headers_mut().insert(USER_AGENT, self.inner.user_agent.clone());
            // The token first (a renewal may take a while), then the budget,
            // so that the call goes in the window it was counted in.
            let sent_token = self.authorize(&mut req, meta).await?;
            let ticket = self.take_budget(&meta, deadline).await?;
            let attempt_timeout = remaining.map_or(per_attempt, |left| left.min(per_attempt));
            let budget_bound = remaining.is_some_and(|left| left <= per_attempt);
            tracing::trace!(attempt, "sending");
            let result = match tokio::time::timeout(attempt_timeout, self.exchange(req, stream, limit, meta.id)).await {
                Ok(r) => r,
                Err(_) if budget_bound => {
                    return Err(Error::Timeout { operation: meta.id, elapsed: started.elapsed() });
                }
                Err(_) => Err(Failure::Transport(TransportError::from_kind(TransportErrorKind::Timeout))),
            };
            tracing::Span::current().record("attempts", attempt);
            if let (Some((limiter, key, ticket)), Ok(resp)) = (&ticket, &result) {
                let seen = Observation::from_response(resp.status(), resp.headers());
                // An error without the headers (a 401, a proxy's 502) says
                // nothing about the budget.
                if (resp.status().is_success() || !seen.is_empty())
                    && let Err(e) = limiter.observe(key, *ticket, seen).await
                {
                    tracing::warn!(error = %e, "the rate limiter could not take in an answer's budget");
                }
            }
            let resendable = unsent.is_some();
            let decision = match &result {
                Err(Failure::Fatal(_)) => return result.map_err(|f| f.into_error(meta.id)),
                Ok(resp) if resp.status().is_success() => return result.map_err(|f| f.into_error(meta.id)),
                Ok(resp) if resp.status() == StatusCode::UNAUTHORIZED && !reauthorized && resendable => {
                    if let Some(token) = &sent_token
                        && self.inner.tokens.on_unauthorized(token).await?
                    {
                        tracing::debug!(attempt, "401: token replaced, sending once more");
                        reauthorized = true;
                        attempt -= 1;
                        continue;
                    }
                    return result.map_err(|f| f.into_error(meta.id));
                }
                _ if !resendable => return result.map_err(|f| f.into_error(meta.id)),
                Ok(resp) => {
                    let spam = resp.status() == StatusCode::TOO_MANY_REQUESTS
                        && ApiError::from_response(meta.id, resp.status(), resp.headers(), resp.body().bytes())
                            .is_spam();
                    let outcome = Outcome::Response { status: resp.status(), headers: resp.headers(), spam };
                    self.decide(policy, attempt, &parts.method, &outcome, deadline)
                }
                Err(Failure::Transport(e)) => {
                    self.decide(policy, attempt, &parts.method, &Outcome::Transport(e.kind), deadline)
                }
            };
            match decision {
                Decision::RetryAfter(wait) => {
                    tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, "retrying");
                    tokio::time::sleep(wait).await;
                }
                Decision::GiveUp(reason) => {
                    if reason == GiveUpReason::BudgetExhausted && result.is_err() {
                        return Err(Error::Timeout { operation: meta.id, elapsed: started.elapsed() });
                    }
                    return result.map_err(|f| f.into_error(meta.id));
                }
            }
        }
    }

    /// Waits until the rate limiter lets the call go (when there is one and
    /// the operation has a rate-limit category); fails at once when the
    /// caller asked not to wait or the wait would outlast the deadline.
    async fn take_budget(
        &self,
        meta: &CallMeta<'_>,
        deadline: Option<Instant>,
    ) -> Result<Option<(Arc<dyn RateLimiter>, BudgetKey, Ticket)>> {
        let Some(limiter) = &self.inner.limiter else { return Ok(None) };
        if meta.rate_limit_category.is_empty() {
            return Ok(None);
        }
        let key = self.budget_key(meta.rate_limit_category);
        let waits = meta.options.budget_waits(&self.inner.config);
        loop {
            match limiter.acquire(&key).await? {
                Grant::Go(ticket) => return Ok(Some((limiter.clone(), key, ticket))),
                Grant::Wait(wait) => {
                    let fits = deadline.is_none_or(|d| Instant::now() + wait < d);
                    if !waits || !fits {
                        return Err(Error::BudgetExhausted {
                            operation: meta.id,
                            category: meta.rate_limit_category,
                            reset_in: wait,
                        });
                    }
                    // A little spread, so that the waiting callers of many
                    // processes do not all ask again at the same instant.
                    let spread: f64 = match self.inner.rng.lock() {
                        Ok(mut rng) => rng.random(),
                        Err(poisoned) => poisoned.into_inner().random(),
                    };
                    let wait = wait + Duration::from_millis((spread * 20.0) as u64);
                    tracing::debug!(
                        category = meta.rate_limit_category,
                        wait_ms = wait.as_millis() as u64,
                        "rate budget spent; waiting for the window to reset"
                    );
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// One exchange: send, then read the body (all of it, up to `limit`,
    /// unless `stream` and a 2xx).
    async fn exchange(
        &self,
        req: http::Request<Body>,
        stream: bool,
        limit: u64,
        operation: &'static str,
    ) -> std::result::Result<http::Response<Payload>, Failure> {
        let response = self.inner.transport.send(req).await.map_err(Failure::Transport)?;
        let (parts, body) = response.into_parts();
        if stream && parts.status.is_success() {
            return Ok(http::Response::from_parts(parts, Payload::Stream(body)));
        }
        match body.collect_limited(limit).await {
            Ok(bytes) => Ok(http::Response::from_parts(parts, Payload::Full(bytes))),
            Err(ReadError::TooLarge) => Err(Failure::Fatal(Error::ResponseTooLarge { operation, limit })),
            Err(ReadError::Io(e)) => Err(Failure::Transport(TransportError::new(TransportErrorKind::Io, e))),
        }
    }

    fn decide(
        &self,
        policy: &crate::retry::RetryPolicy,
        attempt: u32,
        method: &Method,
        outcome: &Outcome<'_>,
        deadline: Option<Instant>,
    ) -> Decision {
        let remaining = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        let jitter: f64 = match self.inner.rng.lock() {
            Ok(mut rng) => rng.random(),
            Err(poisoned) => poisoned.into_inner().random(),
        };
        policy.decide(attempt, method, outcome, remaining, SystemTime::now(), jitter)
    }

    /// Adds the `Authorization` header the operation needs; returns the bearer
    /// token that was sent, if any.
    async fn authorize(&self, req: &mut http::Request<Body>, meta: CallMeta<'_>) -> Result<Option<AccessToken>> {
        match meta.auth {
            AuthScheme::None => Ok(None),
            AuthScheme::Basic => {
                let app = self.inner.app.as_ref().ok_or_else(|| {
                    Error::Config(format!(
                        "`{}` needs the app id and secret: set ClientBuilder::app_credentials",
                        meta.id
                    ))
                })?;
                req.headers_mut().insert(AUTHORIZATION, app.basic_header());
                Ok(None)
            }
            AuthScheme::Bearer => {
                let token = self.inner.tokens.token().await?;
                let value = self.inner.bearer_value(&token)?;
                req.headers_mut().insert(AUTHORIZATION, value);
                Ok(Some(token))
            }
        }
    }
}

/// The body for the next attempt: a copy of an in-memory body, or the
/// streaming body itself the first time.
fn take_body(unsent: &mut Option<Body>) -> Option<Body> {
    match unsent.as_ref().and_then(Body::try_clone) {
        Some(copy) => Some(copy),
        None => unsent.take(),
    }
}

impl Failure {
    fn into_error(self, operation: &'static str) -> Error {
        match self {
            Failure::Transport(e) => e.with_operation(operation).into(),
            Failure::Fatal(e) => e,
        }
    }
}
