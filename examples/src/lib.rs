//! What the examples share: where the API is, and a login for the examples
//! that are not about logging in.
//!
//! Every example runs against the emulator embedded in its own process when
//! nothing is configured, so `cargo run -p pinterest-examples --bin <name>`
//! works offline. With `PINTEREST_API_URI` (and `PINTEREST_OAUTH_URI`) set it
//! talks to that server instead, with `PINTEREST_ACCESS_TOKEN` as its token,
//! or a login through the consent page (which must approve by itself, as
//! `pinterest-emulator --auto-approve` does).

pub mod web_login;

use pinterest_emulator::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Emulator, EmulatorHandle};
use pinterest_sdk::oauth::{OAuth, Scope};
use pinterest_sdk::secret::AccessToken;
use pinterest_sdk::{Client, Config};

/// The examples' error type: anything, printed by `main`.
pub type Result<T, E = Box<dyn std::error::Error + Send + Sync>> = std::result::Result<T, E>;

/// Where an example sends its calls.
pub struct Target {
    /// Hosts.
    pub config: Config,
    /// The app id (the emulator's demo app unless `PINTEREST_APP_ID` is set).
    pub app_id: String,
    /// The app secret (`PINTEREST_APP_SECRET`).
    pub app_secret: String,
    /// The emulator this process started, if it started one.
    pub emulator: Option<EmulatorHandle>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Target {
    /// The server of `PINTEREST_API_URI`, or an emulator started here with
    /// consent approved at once.
    pub async fn from_env() -> Result<Target> {
        pinterest_sdk::internal::install_crypto_provider();
        let (emulator, config) = match env("PINTEREST_API_URI") {
            Some(api) => {
                eprintln!("Using the server of PINTEREST_API_URI: {api}");
                (None, Config::from_env()?)
            }
            None => {
                let emulator = Emulator::builder().auto_approve(true).start().await?;
                let base = emulator.base_url();
                eprintln!("Started the emulator at {base} (no configuration given)");
                (Some(emulator), Config::builder().api_host(&base).oauth_host(&base).build()?)
            }
        };
        Ok(Target {
            config,
            app_id: env("PINTEREST_APP_ID").unwrap_or_else(|| DEMO_CLIENT_ID.into()),
            app_secret: env("PINTEREST_APP_SECRET").unwrap_or_else(|| DEMO_CLIENT_SECRET.into()),
            emulator,
        })
    }

    /// The app's OAuth client.
    pub fn oauth(&self, scopes: &[Scope]) -> Result<OAuth> {
        Ok(OAuth::builder(self.app_id.as_str(), self.app_secret.as_str())
            .config(self.config.clone())
            .scopes(scopes.iter().cloned())
            .build()?)
    }

    /// A client with `PINTEREST_ACCESS_TOKEN`, or one logged in through the
    /// consent page (approved at once by the emulator).
    pub async fn client(&self, scopes: &[Scope]) -> Result<Client> {
        if let Some(token) = env("PINTEREST_ACCESS_TOKEN") {
            return Ok(Client::builder().config(self.config.clone()).access_token(AccessToken::new(token)).build()?);
        }
        let oauth = self.oauth(scopes)?;
        let (url, pending) = oauth.authorization_url();
        let redirect = approve(&url).await?;
        let tokens = oauth.exchange_redirect(&pending, &redirect).await?;
        Ok(Client::builder().config(self.config.clone()).access_token(tokens.access_token).build()?)
    }
}

/// Stands in for the person at the consent page: asks for it and returns
/// the URL it redirects the browser to, with the code and state (a server
/// that approves at once, like the emulator with `--auto-approve`).
/// Redirects are not followed: the redirect URI is only a place to read the
/// code from.
pub async fn approve(authorization_url: &url::Url) -> Result<String> {
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let consent = browser.get(authorization_url.as_str()).send().await?;
    let location = consent
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .ok_or("the consent page did not redirect (is the server in auto-approve mode?)")?;
    Ok(location.to_owned())
}
