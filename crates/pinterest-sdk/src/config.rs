//! Where the client talks to and how patiently.

use std::time::Duration;

use url::Url;

use crate::error::{Error, Result};
use crate::retry::RetryPolicy;
use crate::secret::AccessToken;

/// Pinterest's production API.
pub const PRODUCTION_API: &str = "https://api.pinterest.com/v5";
/// Pinterest's sandbox API (ads operations marked `x-sandbox: enabled`).
pub const SANDBOX_API: &str = "https://api-sandbox.pinterest.com/v5";
/// Pinterest's OAuth consent page.
pub const OAUTH_AUTHORIZE: &str = "https://www.pinterest.com/oauth/";

/// An API base URL such as `https://api.pinterest.com/v5`: absolute, without
/// query or fragment, `https` (or `http` on a loopback host only), and kept
/// without a trailing slash so that operation paths append to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiBase(String);

impl ApiBase {
    /// Validates `url` as an API base.
    pub fn parse(url: &str) -> Result<Self> {
        let parsed = checked_url(url)?;
        Ok(ApiBase(parsed.as_str().trim_end_matches('/').to_owned()))
    }

    /// The base as text, without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Parses a URL and enforces the transport rule: `https`, or plain `http`
/// only for a loopback host (the emulator, a local proxy). No query or
/// fragment: it is a base that paths are appended to.
pub(crate) fn checked_url(url: &str) -> Result<Url> {
    let parsed = Url::parse(url).map_err(|e| Error::Config(format!("`{url}` is not a valid URL: {e}")))?;
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(Error::Config(format!("`{url}` must not have a query or fragment")));
    }
    check_transport(parsed)
}

/// Like [`checked_url`] for a whole URL Pinterest handed out (a signed
/// download link): its query is kept.
pub(crate) fn checked_link(url: &str) -> Result<Url> {
    let parsed = Url::parse(url).map_err(|e| Error::Config(format!("not a valid URL: {e}")))?;
    if parsed.fragment().is_some() {
        return Err(Error::Config("a link must not have a fragment".into()));
    }
    check_transport(parsed)
}

fn check_transport(parsed: Url) -> Result<Url> {
    match parsed.scheme() {
        "https" => {}
        "http" if is_loopback(&parsed) => {}
        "http" => {
            return Err(Error::Config(format!(
                "refusing plain http to `{}`: tokens would cross the network unencrypted (http is allowed for loopback hosts only)",
                parsed.host_str().unwrap_or_default()
            )));
        }
        other => return Err(Error::Config(format!("unsupported URL scheme `{other}`"))),
    }
    if parsed.host_str().is_none() {
        return Err(Error::Config("the URL has no host".into()));
    }
    Ok(parsed)
}

/// True for `localhost`, 127.0.0.0/8 and `::1`.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Timeouts of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// Establishing a connection (TCP and TLS).
    pub connect: Duration,
    /// One attempt: sending the request and reading the whole response.
    pub attempt: Duration,
    /// The whole call, retries and their waits included. `None`: unbounded.
    pub total: Option<Duration>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            attempt: Duration::from_secs(30),
            total: Some(Duration::from_secs(120)),
        }
    }
}

/// The default cap on a response body: 64 MiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;

/// Client configuration: hosts, timeouts, retries, limits, user agent.
/// Build it with [`Config::builder`] (or take [`Config::production`],
/// [`Config::sandbox`], [`Config::from_env`]).
///
/// ```
/// use std::time::Duration;
/// let config = pinterest_sdk::Config::builder()
///     .sandbox()
///     .attempt_timeout(Duration::from_secs(10))
///     .total_timeout(Duration::from_secs(60))
///     .build()?;
/// assert_eq!(config.api_base().as_str(), "https://api-sandbox.pinterest.com/v5");
/// # Ok::<(), pinterest_sdk::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    api_base: ApiBase,
    oauth_authorize: Url,
    timeouts: Timeouts,
    retry: RetryPolicy,
    user_agent: String,
    access_token: Option<AccessToken>,
    max_response_bytes: u64,
    check_scopes: bool,
    wait_for_budget: bool,
    pagination: crate::paginate::PaginationLimits,
}

impl Default for Config {
    fn default() -> Self {
        Config::production()
    }
}

impl Config {
    /// Pinterest production: `https://api.pinterest.com/v5`.
    pub fn production() -> Self {
        Config {
            api_base: ApiBase(PRODUCTION_API.to_owned()),
            #[allow(clippy::expect_used)] // a constant that is known to parse
            oauth_authorize: Url::parse(OAUTH_AUTHORIZE).expect("constant URL"),
            timeouts: Timeouts::default(),
            retry: RetryPolicy::default(),
            user_agent: default_user_agent(),
            access_token: None,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            check_scopes: true,
            wait_for_budget: true,
            pagination: crate::paginate::PaginationLimits::default(),
        }
    }

    /// Pinterest's sandbox: `https://api-sandbox.pinterest.com/v5`.
    pub fn sandbox() -> Self {
        Config { api_base: ApiBase(SANDBOX_API.to_owned()), ..Config::production() }
    }

    /// A builder, starting from [`Config::production`].
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder { config: Config::production(), api_base: None, oauth_authorize: None }
    }

    /// A builder starting from this configuration.
    pub fn to_builder(&self) -> ConfigBuilder {
        ConfigBuilder { config: self.clone(), api_base: None, oauth_authorize: None }
    }

    /// Reads the environment, as Pinterest's quickstart does:
    /// - `PINTEREST_API_URI`: API host without `/v5` (e.g. `https://api.pinterest.com`);
    /// - `PINTEREST_OAUTH_URI`: host of the consent page (e.g. `https://www.pinterest.com`);
    /// - `PINTEREST_ACCESS_TOKEN`: a static access token to send.
    ///
    /// Unset variables keep the production defaults.
    pub fn from_env() -> Result<Self> {
        Config::builder().from_env().build()
    }

    /// The API base.
    pub fn api_base(&self) -> &ApiBase {
        &self.api_base
    }

    /// Whether the API base is Pinterest's sandbox host.
    pub fn is_sandbox(&self) -> bool {
        Url::parse(self.api_base.as_str())
            .ok()
            .and_then(|u| u.host_str().map(|h| h.eq_ignore_ascii_case("api-sandbox.pinterest.com")))
            .unwrap_or(false)
    }

    /// The consent page URL.
    pub fn oauth_authorize_url(&self) -> &Url {
        &self.oauth_authorize
    }

    /// The timeouts.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// The retry policy.
    pub fn retry(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The user agent sent with every request.
    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }

    /// The static access token, if one was configured.
    pub fn access_token(&self) -> Option<&AccessToken> {
        self.access_token.as_ref()
    }

    /// The largest response body a call reads, in bytes.
    pub fn max_response_bytes(&self) -> u64 {
        self.max_response_bytes
    }

    /// The guards against endless pagination.
    pub fn pagination(&self) -> crate::paginate::PaginationLimits {
        self.pagination
    }

    /// Whether calls are refused before sending when the token's known
    /// scopes lack what the operation requires.
    pub fn check_scopes(&self) -> bool {
        self.check_scopes
    }

    /// Whether a call that finds its rate budget spent waits for the window
    /// to reset (with a rate limiter on the client; see [`crate::ratelimit`]).
    pub fn wait_for_budget(&self) -> bool {
        self.wait_for_budget
    }
}

/// Builds a [`Config`]. URLs are checked by [`build`](Self::build).
#[derive(Debug, Clone)]
#[must_use]
pub struct ConfigBuilder {
    config: Config,
    api_base: Option<String>,
    oauth_authorize: Option<String>,
}

impl ConfigBuilder {
    /// Pinterest's sandbox host for the API.
    pub fn sandbox(mut self) -> Self {
        self.api_base = Some(SANDBOX_API.to_owned());
        self
    }

    /// The API base, `/v5` included (e.g. the emulator's `http://127.0.0.1:4010/v5`).
    pub fn api_base(mut self, url: impl Into<String>) -> Self {
        self.api_base = Some(url.into());
        self
    }

    /// The API host, without `/v5` (the `PINTEREST_API_URI` convention).
    pub fn api_host(mut self, host: &str) -> Self {
        self.api_base = Some(format!("{}/v5", host.trim_end_matches('/')));
        self
    }

    /// The host of the consent page; the page is `{host}/oauth/` (the
    /// `PINTEREST_OAUTH_URI` convention).
    pub fn oauth_host(mut self, host: &str) -> Self {
        self.oauth_authorize = Some(format!("{}/oauth/", host.trim_end_matches('/')));
        self
    }

    /// The full consent page URL.
    pub fn oauth_authorize_url(mut self, url: impl Into<String>) -> Self {
        self.oauth_authorize = Some(url.into());
        self
    }

    /// Applies `PINTEREST_API_URI`, `PINTEREST_OAUTH_URI` and
    /// `PINTEREST_ACCESS_TOKEN` when they are set (see [`Config::from_env`]).
    pub fn from_env(mut self) -> Self {
        if let Some(api) = env_var("PINTEREST_API_URI") {
            self = self.api_host(&api);
        }
        if let Some(oauth) = env_var("PINTEREST_OAUTH_URI") {
            self = self.oauth_host(&oauth);
        }
        if let Some(token) = env_var("PINTEREST_ACCESS_TOKEN") {
            self.config.access_token = Some(AccessToken::new(token));
        }
        self
    }

    /// All timeouts.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.config.timeouts = timeouts;
        self
    }

    /// The connect timeout.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.timeouts.connect = timeout;
        self
    }

    /// The timeout of one attempt.
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.config.timeouts.attempt = timeout;
        self
    }

    /// The time budget of a whole call, retries and their waits included.
    pub fn total_timeout(mut self, timeout: Duration) -> Self {
        self.config.timeouts.total = Some(timeout);
        self
    }

    /// No time budget for a whole call (each attempt still has its timeout).
    pub fn no_total_timeout(mut self) -> Self {
        self.config.timeouts.total = None;
        self
    }

    /// The retry policy.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.config.retry = retry;
        self
    }

    /// Appends `product` to the `pinterest-rs/<version>` user agent.
    pub fn user_agent_suffix(mut self, product: &str) -> Self {
        self.config.user_agent = format!("{} {product}", default_user_agent());
        self
    }

    /// A static access token (what `PINTEREST_ACCESS_TOKEN` does).
    pub fn access_token(mut self, token: AccessToken) -> Self {
        self.config.access_token = Some(token);
        self
    }

    /// Guards against endless pagination (a repeated bookmark, a run of
    /// empty pages, a page limit); see [`PaginationLimits`](crate::paginate::PaginationLimits).
    pub fn pagination(mut self, limits: crate::paginate::PaginationLimits) -> Self {
        self.config.pagination = limits;
        self
    }

    /// The largest response body a call reads, in bytes (default 64 MiB).
    /// A larger body stops the call with [`Error::ResponseTooLarge`]; change
    /// it per call with the operation's `max_response_bytes`.
    pub fn max_response_bytes(mut self, limit: u64) -> Self {
        self.config.max_response_bytes = limit;
        self
    }

    /// With a rate limiter on the client, whether a call that finds its
    /// budget spent waits for the window to reset (default) or fails at
    /// once with [`Error::BudgetExhausted`].
    pub fn wait_for_budget(mut self, wait: bool) -> Self {
        self.config.wait_for_budget = wait;
        self
    }

    /// Whether to refuse a call before sending when the token's known
    /// scopes lack what the operation requires (default on; tokens whose
    /// scopes are unknown are never refused).
    pub fn check_scopes(mut self, on: bool) -> Self {
        self.config.check_scopes = on;
        self
    }

    /// Checks the URLs (`https`, or `http` on loopback only) and builds.
    pub fn build(self) -> Result<Config> {
        let mut config = self.config;
        if let Some(base) = self.api_base {
            config.api_base = ApiBase::parse(&base)?;
        }
        if let Some(url) = self.oauth_authorize {
            config.oauth_authorize = checked_url(&url)?;
        }
        Ok(config)
    }
}

fn default_user_agent() -> String {
    format!("pinterest-rs/{}", env!("CARGO_PKG_VERSION"))
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert_eq!(Config::production().api_base().as_str(), PRODUCTION_API);
        assert_eq!(Config::sandbox().api_base().as_str(), SANDBOX_API);
        assert!(Config::sandbox().is_sandbox() && !Config::production().is_sandbox());
        let c = Config::builder().api_host("http://127.0.0.1:4010/").build().unwrap();
        assert_eq!(c.api_base().as_str(), "http://127.0.0.1:4010/v5");
        let c = c.to_builder().oauth_host("http://localhost:4010").build().unwrap();
        assert_eq!(c.oauth_authorize_url().as_str(), "http://localhost:4010/oauth/");
        assert_eq!(c.api_base().as_str(), "http://127.0.0.1:4010/v5", "to_builder keeps the rest");
        assert!(Config::builder().api_base("http://[::1]:9/v5").build().is_ok());
    }

    #[test]
    fn plain_http_refused_off_loopback() {
        let err = Config::builder().api_base("http://api.pinterest.com/v5").build().unwrap_err();
        assert!(err.to_string().contains("refusing plain http"), "{err}");
        assert!(Config::builder().api_base("ftp://x/v5").build().is_err());
        assert!(Config::builder().api_base("not a url").build().is_err());
        assert!(Config::builder().api_base("https://api.pinterest.com/v5?x=1").build().is_err());
        assert!(Config::builder().oauth_host("http://10.0.0.1").build().is_err());
    }

    #[test]
    fn limits_and_checks() {
        let c = Config::builder().max_response_bytes(10).check_scopes(false).no_total_timeout().build().unwrap();
        assert_eq!((c.max_response_bytes(), c.check_scopes(), c.timeouts().total), (10, false, None));
        let d = Config::production();
        assert_eq!((d.max_response_bytes(), d.check_scopes()), (DEFAULT_MAX_RESPONSE_BYTES, true));
    }

    #[test]
    fn user_agent() {
        assert!(Config::production().user_agent().starts_with("pinterest-rs/"));
        let c = Config::builder().user_agent_suffix("myapp/1").build().unwrap();
        assert!(c.user_agent().ends_with(" myapp/1"));
    }
}
