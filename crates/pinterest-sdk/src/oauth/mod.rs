//! OAuth 2.0 with Pinterest, on top of the generated `oauth` operations.
//!
//! The flow of python-pinterest's authorization page, in Rust:
//!
//! ```no_run
//! # async fn demo() -> pinterest_sdk::Result<()> {
//! use pinterest_sdk::{Client, oauth::OAuth};
//! // Defaults: redirect https://localhost/, scopes user_accounts:read, pins:read, boards:read.
//! let oauth = OAuth::new("1234567890", "app secret");
//! let (url, pending) = oauth.authorization_url();
//! println!("open {url}");
//! // ... the person allows access; the browser lands on https://localhost/?code=...&state=...
//! let tokens = oauth.exchange_redirect(&pending, "https://localhost/?code=...&state=...").await?;
//! let client = Client::builder().access_token(tokens.access_token.clone()).build()?;
//! # Ok(()) }
//! ```
//!
//! What it guards against (RFC 6749, RFC 9700):
//! - `state` is 256 random bits bound to one [`PendingLogin`], compared in
//!   constant time and usable once; a mismatch, a replay, a missing code or
//!   an `error=` redirect stops before anything is sent;
//! - the `redirect_uri` of the exchange is byte-identical to the one in the
//!   authorization URL; PKCE (S256) is available;
//! - token requests use HTTP Basic client auth, are form-encoded, never follow
//!   redirects and are never retried, so a code or a refresh token is never
//!   sent twice;
//! - `invalid_grant` becomes [`Error::ReauthorizationRequired`].

mod pending;
mod scope;

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use base64::Engine as _;
use bytes::Bytes;
use http::{Method, StatusCode};
use serde::Deserialize;
use sha2::Digest as _;
use url::Url;

pub use pending::{MemoryPendingLogins, PendingLoginStore, SEALED_LOGIN_LIFETIME, SealingKey};
pub use scope::Scope;

use crate::auth::{Clock, SystemClock, TokenSet};
use crate::client::{AppCredentials, Client};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::models;
use crate::operation::{AuthScheme, CallOptions, Operation};
use crate::ops::oauth as generated;
use crate::retry::RetryPolicy;
use crate::secret::{AccessToken, AuthorizationCode, ClientSecret, CsrfState, PkceVerifier, RefreshToken};
use crate::transport::Transport;
use crate::wire::{RequestWriter, decode_json};

/// The redirect URI python-pinterest uses by default.
pub const DEFAULT_REDIRECT_URI: &str = "https://localhost/";

/// The scopes python-pinterest asks for by default.
pub const DEFAULT_SCOPES: &[Scope] = &[Scope::UserAccountsRead, Scope::PinsRead, Scope::BoardsRead];

/// An OAuth step that failed on this side, before or instead of a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OAuthError {
    /// The redirect's `state` does not match the pending login.
    #[error("the redirect's state does not match the pending login (possible CSRF); nothing was sent")]
    StateMismatch,
    /// The redirect carries no `state`.
    #[error("the redirect has no state parameter; nothing was sent")]
    MissingState,
    /// The pending login was already used for an exchange.
    #[error("this pending login was already used; start a new authorization")]
    LoginAlreadyUsed,
    /// The redirect has neither a code nor an error.
    #[error("the redirect has no authorization code; nothing was sent")]
    MissingCode,
    /// The person declined (`error=access_denied`).
    #[error("the authorization was denied")]
    AccessDenied {
        /// `error_description`, if any.
        description: Option<String>,
    },
    /// The authorization server answered with another `error=`.
    #[error("the authorization server answered `{error}`")]
    Authorization {
        /// The `error` parameter.
        error: String,
        /// `error_description`, if any.
        description: Option<String>,
    },
    /// The URL cannot be the redirect of this login (unparseable, or another
    /// address than the registered redirect URI).
    #[error("not the redirect of this login: {0}")]
    InvalidRedirect(String),
    /// The token endpoint answered 2xx without a usable token: the field is
    /// missing, empty, not a valid token, or a lifetime that is not
    /// positive. The tokens were not stored or used.
    #[error("the token response has no valid `{0}`; the tokens were not used")]
    InvalidTokenResponse(&'static str),
    /// The token endpoint issued a token of another type than `bearer`,
    /// which the SDK cannot use; the tokens were not stored or used.
    #[error("the token endpoint issued a `{0}` token; only bearer tokens are supported")]
    UnsupportedTokenType(String),
    /// The operation needs a refresh token and the set has none.
    #[error("the token set has no refresh token")]
    NoRefreshToken,
    /// The client-credentials grant needs at least one scope.
    #[error("the client-credentials grant needs at least one scope")]
    MissingScope,
    /// A sealed pending login was changed, or sealed with another key.
    #[error("the sealed login is not valid (changed, or sealed with another key)")]
    InvalidSealedLogin,
    /// A sealed pending login is older than its lifetime: start again.
    #[error("the login took too long; start a new authorization")]
    LoginExpired,
}

/// A login that was started and not finished yet: the `state` and PKCE
/// verifier of one authorization URL. Single use.
///
/// A web app keeps it between `/login` and `/callback` in a
/// [`PendingLoginStore`], or sealed with a [`SealingKey`] (see
/// [`PendingLogin::seal`]).
pub struct PendingLogin {
    state: CsrfState,
    verifier: Option<PkceVerifier>,
    redirect_uri: String,
    scopes: Vec<Scope>,
    created_at: u64,
    used: AtomicBool,
}

impl fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingLogin")
            .field("state", &self.state)
            .field("pkce", &self.verifier.is_some())
            .field("redirect_uri", &self.redirect_uri)
            .field("scopes", &self.scopes)
            .field("used", &self.used.load(Ordering::SeqCst))
            .finish()
    }
}

/// Checks that `uri` can receive authorization codes safely, and parses it:
/// - `https` with a host;
/// - `http` only on a loopback host, `localhost`, `127.0.0.1` or `[::1]`
///   (RFC 8252 §7.3: the code never crosses the network);
/// - a private-use scheme of a native app, named after a domain the app
///   controls, so it has a `.` (`com.example.app:/callback`, RFC 8252
///   §7.1).
///
/// Anything else (`http` to another host, `javascript:`, `data:`, `file:`,
/// a fragment, user info in the URL) is refused with [`Error::Config`].
pub fn check_redirect_uri(uri: &str) -> Result<Url> {
    let refuse = |why: &str| Error::Config(format!("redirect URI `{}`: {why}", crate::error::escape_controls(uri)));
    let parsed = Url::parse(uri).map_err(|e| refuse(&format!("not an absolute URL ({e})")))?;
    if parsed.fragment().is_some() {
        return Err(refuse("a redirect URI cannot have a fragment (RFC 6749 §3.1.2)"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(refuse("a redirect URI cannot carry user info"));
    }
    match parsed.scheme() {
        "https" if parsed.host_str().is_some_and(|h| !h.is_empty()) => Ok(parsed),
        "https" => Err(refuse("https needs a host")),
        "http" if crate::config::is_loopback(&parsed) => Ok(parsed),
        "http" => Err(refuse(
            "plain http is allowed for a loopback host only (localhost, 127.0.0.1, [::1]; RFC 8252 §7.3): the code would cross the network unencrypted",
        )),
        scheme if scheme.contains('.') && !parsed.cannot_be_a_base() => Ok(parsed),
        _ => Err(refuse(
            "use https, http on a loopback host, or a private-use scheme named after your domain (`com.example.app:/callback`, RFC 8252 §7.1)",
        )),
    }
}

/// 32 bytes from the OS-seeded CSPRNG, base64url without padding.
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::Rng::fill(&mut rand::rng(), &mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The S256 challenge of a PKCE verifier (RFC 7636 §4.2).
pub fn pkce_challenge(verifier: &PkceVerifier) -> String {
    let digest = sha2::Sha256::digest(verifier.expose_secret().as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}

impl PendingLogin {
    /// The redirect URI of the authorization URL (and of the exchange).
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// The scopes asked for.
    pub fn scopes(&self) -> &[Scope] {
        &self.scopes
    }

    /// Whether it was used for an exchange.
    pub fn is_used(&self) -> bool {
        self.used.load(Ordering::SeqCst)
    }

    /// Checks the URL the browser landed on and takes the code out of it.
    /// Consumes the login whatever the outcome: a second call fails with
    /// [`OAuthError::LoginAlreadyUsed`].
    pub fn verify_redirect(&self, redirect_url: &str) -> std::result::Result<AuthorizationCode, OAuthError> {
        let url = Url::parse(redirect_url).map_err(|e| OAuthError::InvalidRedirect(e.to_string()))?;
        let expected = Url::parse(&self.redirect_uri).map_err(|e| OAuthError::InvalidRedirect(e.to_string()))?;
        let same_target = url.scheme() == expected.scheme()
            && url.host_str() == expected.host_str()
            && url.port_or_known_default() == expected.port_or_known_default()
            && url.path() == expected.path();
        if !same_target {
            return Err(OAuthError::InvalidRedirect(format!(
                "expected a redirect to {}{}",
                expected.origin().ascii_serialization(),
                expected.path()
            )));
        }
        self.verify_query(url.query().unwrap_or_default())
    }

    /// Like [`verify_redirect`](Self::verify_redirect), from the raw query
    /// string of the callback request (what a web framework hands out as
    /// the raw query). A query that names a parameter twice is refused
    /// (RFC 6749 §3.1), whichever parameter it is: with two `state`s or two
    /// `code`s, the values a framework keeps differ from one parser to
    /// the next. A refused redirect does not use up the login.
    pub fn verify_query(&self, query: &str) -> std::result::Result<AuthorizationCode, OAuthError> {
        let mut seen = std::collections::HashSet::new();
        let mut code = None;
        let mut state = None;
        let mut error = None;
        let mut description = None;
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            if !seen.insert(k.clone()) {
                return Err(OAuthError::InvalidRedirect(format!(
                    "the parameter `{}` appears more than once (RFC 6749 §3.1)",
                    crate::error::escape_controls(&k.chars().take(40).collect::<String>())
                )));
            }
            match k.as_ref() {
                "code" => code = Some(v.into_owned()),
                "state" => state = Some(v.into_owned()),
                "error" => error = Some(v.into_owned()),
                "error_description" => description = Some(v.into_owned()),
                _ => {}
            }
        }
        self.verify_parts(code, state, error, description)
    }

    /// Like [`verify_redirect`](Self::verify_redirect), from the parameters.
    /// The caller must have refused a query that repeats one of them (RFC
    /// 6749 §3.1); [`verify_query`](Self::verify_query) does that for you.
    pub fn verify_parts(
        &self,
        code: Option<String>,
        state: Option<String>,
        error: Option<String>,
        description: Option<String>,
    ) -> std::result::Result<AuthorizationCode, OAuthError> {
        if self.used.swap(true, Ordering::SeqCst) {
            return Err(OAuthError::LoginAlreadyUsed);
        }
        let state = state.ok_or(OAuthError::MissingState)?;
        if !self.state.ct_eq(&CsrfState::new(state)) {
            return Err(OAuthError::StateMismatch);
        }
        if let Some(error) = error {
            return Err(if error == "access_denied" {
                OAuthError::AccessDenied { description }
            } else {
                OAuthError::Authorization { error, description }
            });
        }
        match code {
            Some(c) if !c.is_empty() => Ok(AuthorizationCode::new(c)),
            _ => Err(OAuthError::MissingCode),
        }
    }
}

/// The OAuth client of one Pinterest app.
#[derive(Clone)]
pub struct OAuth {
    inner: Arc<Inner>,
}

struct Inner {
    app: AppCredentials,
    config: Config,
    redirect_uri: String,
    scopes: Vec<Scope>,
    pkce: bool,
    continuous_refresh: bool,
    transport: Option<Arc<dyn Transport>>,
    clock: Arc<dyn Clock>,
    client: OnceLock<Client>,
}

impl fmt::Debug for OAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth")
            .field("app", &self.inner.app)
            .field("redirect_uri", &self.inner.redirect_uri)
            .field("scopes", &self.inner.scopes)
            .field("pkce", &self.inner.pkce)
            .finish_non_exhaustive()
    }
}

/// Builds an [`OAuth`].
#[must_use]
pub struct OAuthBuilder {
    app: AppCredentials,
    config: Option<Config>,
    redirect_uri: String,
    scopes: Vec<Scope>,
    pkce: bool,
    continuous_refresh: bool,
    transport: Option<Arc<dyn Transport>>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for OAuthBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthBuilder")
            .field("app", &self.app)
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

impl OAuthBuilder {
    /// Hosts and timeouts (default: [`Config::production`]).
    pub fn config(mut self, config: Config) -> Self {
        self.config = Some(config);
        self
    }

    /// The redirect URI registered for the app (default `https://localhost/`).
    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.redirect_uri = uri.into();
        self
    }

    /// The scopes to ask for.
    pub fn scopes(mut self, scopes: impl IntoIterator<Item = Scope>) -> Self {
        self.scopes = scopes.into_iter().collect();
        self
    }

    /// Adds PKCE (S256) to the authorization and the exchange.
    pub fn pkce(mut self, on: bool) -> Self {
        self.pkce = on;
        self
    }

    /// Sends `continuous_refresh=true` when refreshing (needed by apps
    /// created before 2025-09-25 to get rotating refresh tokens).
    pub fn continuous_refresh(mut self, on: bool) -> Self {
        self.continuous_refresh = on;
        self
    }

    /// Replaces the HTTP transport.
    pub fn transport(mut self, transport: impl Transport) -> Self {
        self.transport = Some(Arc::new(transport));
        self
    }

    /// Replaces the HTTP transport with a shared one.
    pub fn shared_transport(mut self, transport: Arc<dyn Transport>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// Replaces the clock (for tests).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Builds it. Without [`config`](Self::config), the hosts come from
    /// [`Config::from_env`] (`PINTEREST_API_URI`, `PINTEREST_OAUTH_URI`).
    /// Fails when the environment names an invalid host, or when the
    /// redirect URI is not one [`check_redirect_uri`] accepts.
    pub fn build(mut self) -> Result<OAuth> {
        if self.config.is_none() {
            self.config = Some(Config::from_env()?);
        }
        check_redirect_uri(&self.redirect_uri)?;
        Ok(self.into_oauth())
    }

    fn into_oauth(self) -> OAuth {
        OAuth {
            inner: Arc::new(Inner {
                app: self.app,
                config: self.config.unwrap_or_default(),
                redirect_uri: self.redirect_uri,
                scopes: self.scopes,
                pkce: self.pkce,
                continuous_refresh: self.continuous_refresh,
                transport: self.transport,
                clock: self.clock,
                client: OnceLock::new(),
            }),
        }
    }
}

/// The token endpoint request: the generated `oauth/token` operation, plus
/// the form fields the spec does not list (`code_verifier`,
/// `continuous_refresh`). Never retried.
struct TokenCall {
    body: models::OauthAccessTokenRequest,
    verifier: Option<PkceVerifier>,
    continuous_refresh: bool,
    options: CallOptions,
}

/// The fields of every token response variant, read leniently (Pinterest
/// has added `response_type` values before).
#[derive(Deserialize)]
struct RawTokenResponse {
    access_token: Option<AccessToken>,
    token_type: Option<String>,
    expires_in: Option<i64>,
    scope: Option<String>,
    response_type: Option<String>,
    refresh_token: Option<RefreshToken>,
    refresh_token_expires_in: Option<i64>,
    refresh_token_expires_at: Option<i64>,
}

impl Operation for TokenCall {
    type Output = RawTokenResponse;
    const ID: &'static str = <generated::OauthCreateToken as Operation>::ID;
    const METHOD: Method = <generated::OauthCreateToken as Operation>::METHOD;
    const AUTH: AuthScheme = <generated::OauthCreateToken as Operation>::AUTH;
    const SENSITIVE_RESPONSE: bool = true;

    fn write(&self, w: &mut RequestWriter) -> Result<()> {
        generated::OauthCreateToken::new(self.body.clone()).write(w)?;
        if let Some(v) = &self.verifier {
            w.form_append("code_verifier", v.expose_secret());
        }
        if self.continuous_refresh {
            w.form_append("continuous_refresh", "true");
        }
        Ok(())
    }

    fn decode(status: StatusCode, body: Bytes) -> Result<RawTokenResponse> {
        decode_json(Self::ID, status, body, true)
    }

    fn options(&self) -> &CallOptions {
        &self.options
    }
}

fn no_retry() -> CallOptions {
    CallOptions::new().retry(RetryPolicy::never())
}

/// A conversion access token (for the conversions API).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConversionToken {
    /// The token.
    pub access_token: AccessToken,
    /// `bearer`.
    pub token_type: Option<String>,
}

/// Which token [`OAuth::revoke`] revokes.
#[derive(Debug, Clone)]
pub enum RevocableToken<'a> {
    /// An access token.
    Access(&'a AccessToken),
    /// A refresh token.
    Refresh(&'a RefreshToken),
}

impl OAuth {
    /// An OAuth client for the app, with python-pinterest's defaults
    /// (redirect `https://localhost/`, scopes `user_accounts:read`,
    /// `pins:read`, `boards:read`), against production, or the hosts of
    /// `PINTEREST_API_URI` / `PINTEREST_OAUTH_URI` when set (an invalid value
    /// is ignored with a warning; use [`OAuth::builder`] to see the error).
    pub fn new(app_id: impl Into<String>, app_secret: impl Into<String>) -> Self {
        let config = Config::from_env().unwrap_or_else(|e| {
            tracing::warn!("ignoring the environment's Pinterest hosts: {e}");
            Config::production()
        });
        // The default redirect URI is valid, so nothing else needs checking.
        OAuth::builder(app_id, app_secret).config(config).into_oauth()
    }

    /// A builder, starting from the same defaults as [`OAuth::new`].
    pub fn builder(app_id: impl Into<String>, app_secret: impl Into<String>) -> OAuthBuilder {
        OAuthBuilder {
            app: AppCredentials::new(app_id, ClientSecret::new(app_secret)),
            config: None,
            redirect_uri: DEFAULT_REDIRECT_URI.to_owned(),
            scopes: DEFAULT_SCOPES.to_vec(),
            pkce: false,
            continuous_refresh: false,
            transport: None,
            clock: Arc::new(SystemClock),
        }
    }

    /// The app id.
    pub fn client_id(&self) -> &str {
        &self.inner.app.client_id
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The clock used for token expiry.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// The HTTP client used for token requests (built on first use).
    pub fn http(&self) -> Result<&Client> {
        if let Some(c) = self.inner.client.get() {
            return Ok(c);
        }
        let mut b = Client::builder().config(self.inner.config.clone()).app_credentials(self.inner.app.clone());
        if let Some(t) = &self.inner.transport {
            b = b.transport(t.clone());
        }
        let built = b.build()?;
        Ok(self.inner.client.get_or_init(|| built))
    }

    /// The authorization URL with the configured scopes, and the pending
    /// login to finish it with.
    pub fn authorization_url(&self) -> (Url, PendingLogin) {
        self.authorization_url_with(&self.inner.scopes)
    }

    /// The authorization URL for `scopes`.
    pub fn authorization_url_with(&self, scopes: &[Scope]) -> (Url, PendingLogin) {
        let state = CsrfState::new(random_token());
        let verifier = self.inner.pkce.then(|| PkceVerifier::new(random_token()));
        let mut url = self.inner.config.oauth_authorize_url().clone();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("client_id", &self.inner.app.client_id)
                .append_pair("redirect_uri", &self.inner.redirect_uri)
                .append_pair("response_type", "code")
                .append_pair("scope", &Scope::join(scopes))
                .append_pair("state", state.expose_secret());
            if let Some(v) = &verifier {
                q.append_pair("code_challenge", &pkce_challenge(v)).append_pair("code_challenge_method", "S256");
            }
        }
        let pending = PendingLogin {
            state,
            verifier,
            redirect_uri: self.inner.redirect_uri.clone(),
            scopes: scopes.to_vec(),
            created_at: crate::auth::tokens::unix(std::time::SystemTime::now()),
            used: AtomicBool::new(false),
        };
        (url, pending)
    }

    /// Finishes a login from the full URL the browser was redirected to.
    pub async fn exchange_redirect(&self, pending: &PendingLogin, redirect_url: &str) -> Result<TokenSet> {
        let code = pending.verify_redirect(redirect_url)?;
        self.exchange_verified(pending, code).await
    }

    /// Finishes a login from the `code` and `state` parameters.
    pub async fn exchange_code(&self, pending: &PendingLogin, code: &str, state: &str) -> Result<TokenSet> {
        let code = pending.verify_parts(Some(code.to_owned()), Some(state.to_owned()), None, None)?;
        self.exchange_verified(pending, code).await
    }

    /// Exchanges a code already checked by [`PendingLogin::verify_redirect`].
    pub async fn exchange_verified(&self, pending: &PendingLogin, code: AuthorizationCode) -> Result<TokenSet> {
        let body = models::OauthAccessTokenRequestCode::builder()
            .code(code.expose_secret())
            .redirect_uri(pending.redirect_uri.as_str())
            .build()?;
        let call = TokenCall {
            body: models::OauthAccessTokenRequest::AuthorizationCode(body),
            verifier: pending.verifier.clone(),
            continuous_refresh: false,
            options: no_retry(),
        };
        self.token_request(call, None).await
    }

    /// Refreshes `tokens`. The rotated refresh token from the response
    /// replaces the old one; when the response has none, the old one is kept.
    pub async fn refresh(&self, tokens: &TokenSet) -> Result<TokenSet> {
        self.refresh_with_scopes(tokens, None).await
    }

    /// Refreshes, asking for a narrower set of scopes.
    pub async fn refresh_with_scopes(&self, tokens: &TokenSet, scopes: Option<&[Scope]>) -> Result<TokenSet> {
        let refresh = tokens.refresh_token.as_ref().ok_or(OAuthError::NoRefreshToken)?;
        let mut body = models::OauthAccessTokenRequestRefresh::new(refresh.expose_secret());
        body.scope = scopes.map(Scope::join);
        let call = TokenCall {
            body: models::OauthAccessTokenRequest::RefreshToken(body),
            verifier: None,
            continuous_refresh: self.inner.continuous_refresh,
            options: no_retry(),
        };
        self.token_request(call, Some(tokens)).await
    }

    /// An app token for server use (client-credentials grant).
    pub async fn client_credentials(&self, scopes: &[Scope]) -> Result<TokenSet> {
        if scopes.is_empty() {
            return Err(OAuthError::MissingScope.into());
        }
        let body = models::OauthAccessTokenRequestClientCredentials::new(Scope::join(scopes));
        let call = TokenCall {
            body: models::OauthAccessTokenRequest::ClientCredentials(body),
            verifier: None,
            continuous_refresh: false,
            options: no_retry(),
        };
        self.token_request(call, None).await
    }

    /// Revokes a token (`/v5/oauth/token/revoke`, with `token_type_hint`).
    pub async fn revoke(&self, token: RevocableToken<'_>) -> Result<()> {
        let (value, hint) = match token {
            RevocableToken::Access(t) => (t.expose_secret(), "access_token"),
            RevocableToken::Refresh(t) => (t.expose_secret(), "refresh_token"),
        };
        let mut body = models::TokenRevocationRequest::new(value.to_owned());
        body.token_type_hint = Some(hint.into());
        self.http()?.execute(&generated::OauthRevokeToken::new(body).retry(RetryPolicy::never())).await
    }

    /// A conversion access token (`/v5/oauth/conversion_token`), requested
    /// with a user token that has `ads:write`.
    pub async fn conversion_token(&self, user_token: &AccessToken) -> Result<ConversionToken> {
        let client = self.http()?.with_token_source(Arc::new(crate::auth::StaticToken::new(user_token.clone())));
        let out = client.execute(&generated::OauthCreateConversionToken::new().retry(RetryPolicy::never())).await?;
        check_token_value(&out.access_token, "access_token")?;
        let token_type = check_token_type(out.token_type)?;
        Ok(ConversionToken { access_token: AccessToken::new(out.access_token), token_type: Some(token_type) })
    }

    async fn token_request(&self, call: TokenCall, previous: Option<&TokenSet>) -> Result<TokenSet> {
        let raw = match self.http()?.execute(&call).await {
            Ok(r) => r,
            Err(Error::Api(e)) if e.is_invalid_grant() => return Err(Error::ReauthorizationRequired(e)),
            Err(e) => return Err(e),
        };
        let now = crate::auth::tokens::unix(self.inner.clock.now());
        let access_token = raw.access_token.ok_or(OAuthError::InvalidTokenResponse("access_token"))?;
        check_token_value(access_token.expose_secret(), "access_token")?;
        let token_type = check_token_type(raw.token_type)?;
        if let Some(r) = &raw.refresh_token {
            check_token_value(r.expose_secret(), "refresh_token")?;
        }
        // A lifetime that is present must be positive: a negative or zero
        // `expires_in` would leave the token without an expiry, so it
        // would never be renewed ahead of time.
        let lifetime = |v: Option<i64>, field: &'static str| match v {
            None => Ok(None),
            Some(n) if n > 0 => Ok(Some(n.unsigned_abs())),
            Some(_) => Err(OAuthError::InvalidTokenResponse(field)),
        };
        let expires_in = lifetime(raw.expires_in, "expires_in")?;
        let refresh_expires_in = lifetime(raw.refresh_token_expires_in, "refresh_token_expires_in")?;
        let refresh_expires_at = lifetime(raw.refresh_token_expires_at, "refresh_token_expires_at")?;
        let refresh_token = raw.refresh_token.or_else(|| previous.and_then(|p| p.refresh_token.clone()));
        let refresh_token_expires_at = match (refresh_expires_at, refresh_expires_in) {
            (Some(at), _) => Some(at),
            (None, Some(secs)) => Some(now.saturating_add(secs)),
            (None, None) => previous.and_then(|p| p.refresh_token_expires_at),
        };
        let mut set = TokenSet::from_access_token(access_token);
        set.token_type = token_type;
        set.received_at = now;
        set.expires_at = expires_in.map(|s| now.saturating_add(s));
        set.scopes = match raw.scope {
            Some(s) => Scope::split(&s),
            None => previous.map(|p| p.scopes.clone()).unwrap_or_default(),
        };
        set.refresh_token = refresh_token;
        set.refresh_token_expires_at = refresh_token_expires_at;
        set.response_type = raw.response_type;
        Ok(set)
    }
}

/// A token must be non-empty and fit in an `Authorization` header
/// (visible ASCII, RFC 6750 §2.1's b64token plus a little slack).
fn check_token_value(token: &str, field: &'static str) -> std::result::Result<(), OAuthError> {
    if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(OAuthError::InvalidTokenResponse(field));
    }
    Ok(())
}

/// Only bearer tokens are supported: sending a `mac` or other token as
/// `Bearer` would be wrong. A missing `token_type` means bearer.
fn check_token_type(token_type: Option<String>) -> std::result::Result<String, OAuthError> {
    match token_type {
        None => Ok("bearer".into()),
        Some(t) if t.eq_ignore_ascii_case("bearer") => Ok(t),
        Some(t) => Err(OAuthError::UnsupportedTokenType(
            crate::error::escape_controls(&t.chars().take(40).collect::<String>()).into_owned(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oauth() -> OAuth {
        OAuth::builder("1234567890", "s").pkce(true).build().unwrap()
    }

    #[test]
    fn rfc7636_appendix_b() {
        let v = PkceVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(pkce_challenge(&v), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    #[test]
    fn authorization_url_has_everything() {
        let (url, pending) = oauth().authorization_url();
        assert_eq!(url.as_str().split('?').next(), Some("https://www.pinterest.com/oauth/"));
        let q: std::collections::BTreeMap<String, String> = url.query_pairs().into_owned().collect();
        assert_eq!(q["client_id"], "1234567890");
        assert_eq!(q["redirect_uri"], "https://localhost/");
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["scope"], "user_accounts:read,pins:read,boards:read");
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["code_challenge"], pkce_challenge(pending.verifier.as_ref().unwrap()));
        assert!(pending.state.ct_eq(&CsrfState::new(q["state"].clone())));
        assert!(url.as_str().contains("redirect_uri=https%3A%2F%2Flocalhost%2F"), "{url}");
        assert!(!format!("{pending:?}").contains(&q["state"]));
    }

    #[test]
    fn states_are_unique_and_at_least_128_bits() {
        let o = OAuth::new("1", "s");
        let mut seen = std::collections::HashSet::new();
        for _ in 0..1000 {
            let (_, p) = o.authorization_url();
            let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(p.state.expose_secret()).unwrap();
            assert!(raw.len() >= 16);
            assert!(seen.insert(p.state.expose_secret().to_owned()));
        }
    }

    #[test]
    fn redirect_checks() {
        let o = oauth();
        let state_of = |p: &PendingLogin| p.state.expose_secret().to_owned();
        let (_, p) = o.authorization_url();
        let s = state_of(&p);
        let code = p.verify_redirect(&format!("https://localhost/?code=abc&state={s}")).unwrap();
        assert_eq!(code.expose_secret(), "abc");
        assert_eq!(
            p.verify_redirect(&format!("https://localhost/?code=abc&state={s}")).err(),
            Some(OAuthError::LoginAlreadyUsed)
        );

        let (_, p) = o.authorization_url();
        assert_eq!(
            p.verify_redirect("https://localhost/?code=abc&state=forged").err(),
            Some(OAuthError::StateMismatch)
        );
        let (_, p) = o.authorization_url();
        assert_eq!(p.verify_redirect("https://localhost/?code=abc").err(), Some(OAuthError::MissingState));
        let (_, p) = o.authorization_url();
        let s = state_of(&p);
        assert_eq!(p.verify_redirect(&format!("https://localhost/?state={s}")).err(), Some(OAuthError::MissingCode));
        let (_, p) = o.authorization_url();
        let s = state_of(&p);
        assert_eq!(
            p.verify_redirect(&format!("https://localhost/?error=access_denied&state={s}")).err(),
            Some(OAuthError::AccessDenied { description: None })
        );
        let (_, p) = o.authorization_url();
        assert!(matches!(
            p.verify_redirect("https://evil.example/?code=a&state=b").err(),
            Some(OAuthError::InvalidRedirect(_))
        ));
        let (_, p) = o.authorization_url();
        assert!(matches!(p.verify_redirect("not a url").err(), Some(OAuthError::InvalidRedirect(_))));
    }

    #[test]
    fn scope_list_join_split() {
        assert_eq!(Scope::split("user_accounts:read pins:read"), vec![Scope::UserAccountsRead, Scope::PinsRead]);
        assert_eq!(Scope::split("a:b,boards:read_secret"), vec![Scope::parse("a:b"), Scope::BoardsReadSecret]);
    }
}
