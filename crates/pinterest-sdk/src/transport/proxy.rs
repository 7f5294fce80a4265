//! Proxies: which one a request goes through. The connector that goes
//! through it is `pinterest-http`'s: an `https` destination behind an HTTP
//! proxy is reached through a `CONNECT` tunnel, so TLS runs end to end with
//! Pinterest and the proxy sees only the host name; a plain `http`
//! destination (the emulator, a local service) is sent to an HTTP proxy in
//! absolute form with the proxy's `Proxy-Authorization`, added here; SOCKS
//! proxies (`socks5`, `socks5h`, `socks4`, `socks4a`) carry both. Matching,
//! `NO_PROXY` included, is hyper-util's, which follows curl.

use std::fmt;
use std::sync::Arc;

use http::Uri;
use http::header::HeaderValue;
use hyper_util::client::proxy::matcher::Matcher;

use crate::error::{Error, Result};

/// One proxy, checked: its scheme is one this transport speaks.
#[derive(Clone)]
struct ProxyUrl {
    /// As given (credentials included); handed to hyper-util's matcher only.
    raw: String,
    /// Scheme, host and port, for `Debug` and errors.
    shown: String,
}

impl ProxyUrl {
    fn parse(what: &str, raw: &str) -> Result<ProxyUrl> {
        let raw = raw.trim();
        let uri: Uri = raw.parse().map_err(|_| Error::Config(format!("{what}: not a proxy address")))?;
        let scheme = uri.scheme_str().unwrap_or("http").to_ascii_lowercase();
        let Some(authority) = uri.authority() else {
            return Err(Error::Config(format!("{what}: the proxy address has no host")));
        };
        let host_port = authority.as_str().rsplit('@').next().unwrap_or_default();
        match scheme.as_str() {
            "http" | "socks4" | "socks4a" | "socks5" | "socks5h" => {}
            "https" => {
                return Err(Error::Config(format!(
                    "{what}: a proxy reached over TLS (https://{host_port}) is not supported; use http://{host_port} \
                     (calls to Pinterest stay encrypted end to end through its tunnel)"
                )));
            }
            other => {
                return Err(Error::Config(format!(
                    "{what}: proxy scheme `{other}` is not supported (http, socks4, socks4a, socks5, socks5h)"
                )));
            }
        }
        Ok(ProxyUrl { raw: raw.to_owned(), shown: format!("{scheme}://{host_port}") })
    }
}

/// Which proxy each request goes through.
///
/// [`Proxies::from_env`] (what the default transport uses) reads the
/// variables curl reads: `HTTPS_PROXY` for `https` destinations,
/// `HTTP_PROXY` for `http` ones, `ALL_PROXY` for both when the specific one
/// is unset, and `NO_PROXY` for hosts to reach directly (comma-separated
/// domains, which also match their subdomains, IP addresses or ranges such
/// as `10.0.0.0/8`, or `*` for all). Lower-case names work too. As curl
/// does, `HTTP_PROXY` is ignored in a CGI process (`REQUEST_METHOD` set),
/// where a request header could have set it.
///
/// Credentials in a proxy address (`http://user:pass@proxy:3128`) are sent
/// to the proxy and never shown: `Debug` and errors print the scheme, host
/// and port only.
///
/// ```
/// use pinterest_sdk::transport::Proxies;
/// let proxies = Proxies::none().https("http://proxy.internal:3128")?.no_proxy("localhost,10.0.0.0/8");
/// assert_eq!(format!("{proxies:?}"), "Proxies { https: http://proxy.internal:3128, no_proxy: \"localhost,10.0.0.0/8\" }");
/// # Ok::<(), pinterest_sdk::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct Proxies {
    all: Option<ProxyUrl>,
    http: Option<ProxyUrl>,
    https: Option<ProxyUrl>,
    no: String,
}

impl fmt::Debug for Proxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("Proxies(none)");
        }
        let mut s = f.debug_struct("Proxies");
        for (name, p) in [("all", &self.all), ("http", &self.http), ("https", &self.https)] {
            if let Some(p) = p {
                s.field(name, &format_args!("{}", p.shown));
            }
        }
        if !self.no.is_empty() {
            s.field("no_proxy", &self.no);
        }
        s.finish()
    }
}

fn env(names: &[&str]) -> Option<(String, String)> {
    names.iter().find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()).map(|v| ((*n).to_owned(), v)))
}

impl Proxies {
    /// No proxy: every request connects directly.
    pub fn none() -> Self {
        Proxies::default()
    }

    /// The proxies named by the environment (see the type's documentation).
    /// An address that cannot be used is an [`Error::Config`] naming the
    /// variable, rather than a silent direct connection.
    pub fn from_env() -> Result<Self> {
        let cgi = std::env::var_os("REQUEST_METHOD").is_some();
        let parse = |names: &[&str]| -> Result<Option<ProxyUrl>> {
            env(names).map(|(name, value)| ProxyUrl::parse(&name, &value)).transpose()
        };
        Ok(Proxies {
            all: parse(&["ALL_PROXY", "all_proxy"])?,
            http: if cgi { parse(&["http_proxy"])? } else { parse(&["HTTP_PROXY", "http_proxy"])? },
            https: parse(&["HTTPS_PROXY", "https_proxy"])?,
            no: env(&["NO_PROXY", "no_proxy"]).map(|(_, v)| v).unwrap_or_default(),
        })
    }

    /// Every destination through `url` (unless [`no_proxy`](Self::no_proxy)
    /// exempts it).
    pub fn all(mut self, url: &str) -> Result<Self> {
        self.all = Some(ProxyUrl::parse("the proxy for all destinations", url)?);
        Ok(self)
    }

    /// `http` destinations through `url`.
    pub fn http(mut self, url: &str) -> Result<Self> {
        self.http = Some(ProxyUrl::parse("the proxy for http", url)?);
        Ok(self)
    }

    /// `https` destinations (the API) through `url`.
    pub fn https(mut self, url: &str) -> Result<Self> {
        self.https = Some(ProxyUrl::parse("the proxy for https", url)?);
        Ok(self)
    }

    /// Hosts reached directly, in `NO_PROXY`'s syntax.
    pub fn no_proxy(mut self, list: &str) -> Self {
        self.no = list.to_owned();
        self
    }

    /// True when no destination goes through a proxy.
    pub fn is_empty(&self) -> bool {
        self.all.is_none() && self.http.is_none() && self.https.is_none()
    }

    /// The matcher, or `None` when nothing is proxied (the fast path).
    pub(super) fn matcher(&self) -> Option<Arc<Matcher>> {
        if self.is_empty() {
            return None;
        }
        let mut b = Matcher::builder();
        if let Some(p) = &self.all {
            b = b.all(p.raw.clone());
        }
        if let Some(p) = &self.http {
            b = b.http(p.raw.clone());
        }
        if let Some(p) = &self.https {
            b = b.https(p.raw.clone());
        }
        Some(Arc::new(b.no(self.no.clone()).build()))
    }
}

/// The proxy (with its `Proxy-Authorization`) that a plain `http` request
/// to `uri` is sent to in absolute form, if any.
pub(super) fn absolute_form_auth(matcher: &Matcher, uri: &Uri) -> Option<HeaderValue> {
    if uri.scheme() != Some(&http::uri::Scheme::HTTP) {
        return None;
    }
    let proxy = matcher.intercept(uri)?;
    if proxy.uri().scheme_str() != Some("http") {
        return None;
    }
    proxy.basic_auth().cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_and_never_shown_with_credentials() {
        let p = Proxies::none().all("http://ada:s3cret@proxy.example:3128").unwrap();
        let shown = format!("{p:?}");
        assert_eq!(shown, "Proxies { all: http://proxy.example:3128 }");
        assert!(!shown.contains("s3cret"));
        assert!(Proxies::none().https("socks5h://u:p@127.0.0.1:1080").is_ok());
        assert!(Proxies::none().https("proxy.example:3128").is_ok(), "no scheme means http, as in curl");
        let e = Proxies::none().https("https://ada:s3cret@proxy.example:443").unwrap_err().to_string();
        assert!(e.contains("not supported") && e.contains("http://proxy.example:443"), "{e}");
        assert!(!e.contains("s3cret"), "{e}");
        let e = Proxies::none().http("ftp://proxy.example").unwrap_err().to_string();
        assert!(e.contains("`ftp`"), "{e}");
        assert!(Proxies::none().http("not a url at all").is_err());
        assert!(Proxies::none().is_empty() && Proxies::none().matcher().is_none());
    }

    #[test]
    fn matching_follows_no_proxy_and_the_scheme() {
        let p = Proxies::none()
            .https("http://ada:pw@proxy.example:3128")
            .unwrap()
            .http("http://plain.example:8080")
            .unwrap()
            .no_proxy("internal.example,10.0.0.0/8");
        let m = p.matcher().unwrap();
        let hit = |u: &str| m.intercept(&u.parse().unwrap()).map(|i| i.uri().to_string());
        assert_eq!(hit("https://api.pinterest.com/v5/pins").as_deref(), Some("http://proxy.example:3128/"));
        assert_eq!(hit("http://emulator.example/v5").as_deref(), Some("http://plain.example:8080/"));
        assert_eq!(hit("https://api.internal.example/v5"), None);
        assert_eq!(hit("http://10.1.2.3:8080/v5"), None);
        // Only a plain http request carries the credentials itself; an https
        // one gives them to the tunnel.
        assert_eq!(absolute_form_auth(&m, &"https://api.pinterest.com/".parse().unwrap()), None);
        assert_eq!(absolute_form_auth(&m, &"http://emulator.example/".parse().unwrap()), None);
        let with_auth = Proxies::none().all("http://ada:pw@proxy.example:3128").unwrap().matcher().unwrap();
        let auth = absolute_form_auth(&with_auth, &"http://emulator.example/".parse().unwrap()).unwrap();
        assert_eq!(auth, "Basic YWRhOnB3");
        assert!(auth.is_sensitive());
    }
}
