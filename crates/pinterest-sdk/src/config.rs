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
/// only for a loopback host (the emulator, a local proxy).
pub(crate) fn checked_url(url: &str) -> Result<Url> {
    let parsed = Url::parse(url).map_err(|e| Error::Config(format!("`{url}` is not a valid URL: {e}")))?;
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(Error::Config(format!("`{url}` must not have a query or fragment")));
    }
    match parsed.scheme() {
        "https" => {}
        "http" if is_loopback(&parsed) => {}
        "http" => {
            return Err(Error::Config(format!(
                "refusing plain http to `{}`: tokens would cross the network unencrypted (http is allowed for loopback hosts only)",
                parsed.host_str().unwrap_or_default()
            )));
        }
        other => return Err(Error::Config(format!("unsupported URL scheme `{other}` in `{url}`"))),
    }
    if parsed.host_str().is_none() {
        return Err(Error::Config(format!("`{url}` has no host")));
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

/// Client configuration: hosts, timeouts, retries, user agent.
///
/// ```
/// use std::time::Duration;
/// let config = pinterest_sdk::Config::sandbox()
///     .with_attempt_timeout(Duration::from_secs(10))
///     .with_total_timeout(Some(Duration::from_secs(60)));
/// assert_eq!(config.api_base().as_str(), "https://api-sandbox.pinterest.com/v5");
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    api_base: ApiBase,
    oauth_authorize: Url,
    timeouts: Timeouts,
    retry: RetryPolicy,
    user_agent: String,
    access_token: Option<AccessToken>,
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
        }
    }

    /// Pinterest's sandbox: `https://api-sandbox.pinterest.com/v5`.
    pub fn sandbox() -> Self {
        Config { api_base: ApiBase(SANDBOX_API.to_owned()), ..Config::production() }
    }

    /// Any API base, e.g. the emulator's `http://127.0.0.1:4010/v5`.
    pub fn custom(api_base: &str) -> Result<Self> {
        Config::production().with_api_base(api_base)
    }

    /// Reads the environment, as Pinterest's quickstart does:
    /// - `PINTEREST_API_URI`: API host without `/v5` (e.g. `https://api.pinterest.com`);
    /// - `PINTEREST_OAUTH_URI`: host of the consent page (e.g. `https://www.pinterest.com`);
    /// - `PINTEREST_ACCESS_TOKEN`: a static access token to send.
    ///
    /// Unset variables keep the production defaults.
    pub fn from_env() -> Result<Self> {
        let mut config = Config::production();
        if let Some(api) = env_var("PINTEREST_API_URI") {
            config = config.with_api_host(&api)?;
        }
        if let Some(oauth) = env_var("PINTEREST_OAUTH_URI") {
            config = config.with_oauth_host(&oauth)?;
        }
        if let Some(token) = env_var("PINTEREST_ACCESS_TOKEN") {
            config.access_token = Some(AccessToken::new(token));
        }
        Ok(config)
    }

    /// Sets the API base, `/v5` included.
    pub fn with_api_base(mut self, api_base: &str) -> Result<Self> {
        self.api_base = ApiBase::parse(api_base)?;
        Ok(self)
    }

    /// Sets the API host, without `/v5` (the `PINTEREST_API_URI` convention).
    pub fn with_api_host(self, host: &str) -> Result<Self> {
        let base = format!("{}/v5", host.trim_end_matches('/'));
        self.with_api_base(&base)
    }

    /// Sets the host of the consent page; the page is `{host}/oauth/`
    /// (the `PINTEREST_OAUTH_URI` convention).
    pub fn with_oauth_host(mut self, host: &str) -> Result<Self> {
        self.oauth_authorize = checked_url(&format!("{}/oauth/", host.trim_end_matches('/')))?;
        Ok(self)
    }

    /// Sets the full consent page URL.
    pub fn with_oauth_authorize_url(mut self, url: &str) -> Result<Self> {
        self.oauth_authorize = checked_url(url)?;
        Ok(self)
    }

    /// Sets all timeouts.
    pub fn with_timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Sets the connect timeout.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.connect = timeout;
        self
    }

    /// Sets the per-attempt timeout.
    pub fn with_attempt_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.attempt = timeout;
        self
    }

    /// Sets the total time budget of a call, retries included.
    pub fn with_total_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeouts.total = timeout;
        self
    }

    /// Sets the retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Appends `product` to the `pinterest-rs/<version>` user agent.
    pub fn with_user_agent_suffix(mut self, product: &str) -> Self {
        self.user_agent = format!("{} {product}", default_user_agent());
        self
    }

    /// Sets a static access token (what `PINTEREST_ACCESS_TOKEN` does).
    pub fn with_access_token(mut self, token: AccessToken) -> Self {
        self.access_token = Some(token);
        self
    }

    /// The API base.
    pub fn api_base(&self) -> &ApiBase {
        &self.api_base
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
        let c = Config::production().with_api_host("http://127.0.0.1:4010/").unwrap();
        assert_eq!(c.api_base().as_str(), "http://127.0.0.1:4010/v5");
        let c = c.with_oauth_host("http://localhost:4010").unwrap();
        assert_eq!(c.oauth_authorize_url().as_str(), "http://localhost:4010/oauth/");
        assert!(Config::custom("http://[::1]:9/v5").is_ok());
    }

    #[test]
    fn plain_http_refused_off_loopback() {
        let err = Config::custom("http://api.pinterest.com/v5").unwrap_err();
        assert!(err.to_string().contains("refusing plain http"), "{err}");
        assert!(Config::custom("ftp://x/v5").is_err());
        assert!(Config::custom("not a url").is_err());
        assert!(Config::custom("https://api.pinterest.com/v5?x=1").is_err());
        assert!(Config::production().with_oauth_host("http://10.0.0.1").is_err());
    }

    #[test]
    fn user_agent() {
        assert!(Config::production().user_agent().starts_with("pinterest-rs/"));
        assert!(Config::production().with_user_agent_suffix("myapp/1").user_agent().ends_with(" myapp/1"));
    }
}
