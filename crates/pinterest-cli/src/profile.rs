//! Profiles: one login each.
//!
//! A profile is two files in the config directory (`$PINTEREST_CONFIG_DIR`,
//! else the platform's, e.g. `~/.config/pinterest-rs`), both written like
//! the SDK's token store (0600 in a 0700 directory, atomically):
//! `<profile>.json` holds the token set, `<profile>.app.json` the app id,
//! the app secret (needed to refresh) and the hosts the login was made
//! against. Environment variables override the stored values.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use pinterest_sdk::auth::{FileTokenStore, RefreshingTokenSource, TokenKey, TokenSet, TokenStore};
use pinterest_sdk::internal::write_private;
use pinterest_sdk::oauth::OAuth;
use pinterest_sdk::secret::{AccessToken, ClientSecret};
use pinterest_sdk::{AppCredentials, Client, Config};
use serde::{Deserialize, Serialize};

use crate::output::{CliError, CliResult};

/// What `<profile>.app.json` holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AppFile {
    pub client_id: Option<String>,
    pub client_secret: Option<ClientSecret>,
    /// API base the login was made against, e.g. `https://api.pinterest.com/v5`.
    pub api_base: String,
    /// Consent page the login used.
    pub oauth_authorize: String,
}

#[derive(Debug, Clone)]
pub struct Profile {
    pub name: String,
    dir: PathBuf,
    sandbox: bool,
    /// Fixed hosts (the demo's emulator), ignoring files and environment.
    config_override: Option<Config>,
    /// Fixed app credentials (the demo's app).
    app_override: Option<AppCredentials>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

impl Profile {
    pub fn new(name: &str, sandbox: bool) -> CliResult<Self> {
        // Validates the name the same way the SDK's store does.
        FileTokenStore::for_profile(name).map_err(|e| CliError::Usage(e.to_string()))?;
        let dir = match env("PINTEREST_CONFIG_DIR") {
            Some(d) => PathBuf::from(d),
            None => pinterest_sdk::internal::default_dir()
                .ok_or_else(|| CliError::Local("no config directory; set PINTEREST_CONFIG_DIR".into()))?,
        };
        Ok(Profile { name: name.to_owned(), dir, sandbox, config_override: None, app_override: None })
    }

    /// A profile kept in `dir` (the demo's private directory).
    pub fn in_dir(name: &str, dir: PathBuf) -> Self {
        Profile { name: name.to_owned(), dir, sandbox: false, config_override: None, app_override: None }
    }

    /// Uses these hosts whatever the files and environment say.
    pub fn with_config(mut self, config: Config) -> Self {
        self.config_override = Some(config);
        self
    }

    /// Uses this app whatever the files and environment say.
    pub fn with_app(mut self, app: AppCredentials) -> Self {
        self.app_override = Some(app);
        self
    }

    pub fn token_path(&self) -> PathBuf {
        self.dir.join(format!("{}.json", self.name))
    }

    fn app_path(&self) -> PathBuf {
        self.dir.join(format!("{}.app.json", self.name))
    }

    pub fn store(&self) -> FileTokenStore {
        FileTokenStore::single(self.token_path())
    }

    /// The key of the profile's login: its app and the profile's name.
    pub fn key(&self) -> CliResult<TokenKey> {
        let app = match &self.app_override {
            Some(app) => Some(app.client_id.clone()),
            None => env("PINTEREST_APP_ID").or(self.load_app()?.and_then(|a| a.client_id)),
        };
        Ok(TokenKey::new(app.unwrap_or_else(|| "-".into()), self.name.as_str()))
    }

    /// The stored login, if any.
    pub async fn tokens(&self) -> CliResult<Option<TokenSet>> {
        Ok(self.store().load(&self.key()?).await?)
    }

    pub fn load_app(&self) -> CliResult<Option<AppFile>> {
        match std::fs::read(self.app_path()) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| CliError::Local(format!("{} is damaged: {e}", self.app_path().display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(CliError::Local(format!("cannot read {}: {e}", self.app_path().display()))),
        }
    }

    pub fn save_app(&self, app: &AppFile) -> CliResult {
        let json = serde_json::to_vec_pretty(app).map_err(|e| CliError::Local(e.to_string()))?;
        write_private(&self.app_path(), &json)
            .map_err(|e| CliError::Local(format!("cannot write {}: {e}", self.app_path().display())))
    }

    pub async fn forget(&self) -> CliResult {
        self.store().clear(&self.key()?).await?;
        match std::fs::remove_file(self.app_path()) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(CliError::Local(format!("cannot delete {}: {e}", self.app_path().display()))),
        }
    }

    /// Hosts: `PINTEREST_API_URI` / `PINTEREST_OAUTH_URI`, else `--sandbox`,
    /// else the profile's, else production.
    pub fn config(&self) -> CliResult<Config> {
        if let Some(c) = &self.config_override {
            crate::output::set_api_origin(c.api_base().as_str(), "the demo's emulator");
            return Ok(c.clone());
        }
        let stored = self.load_app()?;
        let mut config = Config::builder();
        let mut origin = "Pinterest's default".to_owned();
        if self.sandbox {
            config = config.sandbox();
            origin = "--sandbox".into();
        }
        if let Some(app) = &stored {
            if !self.sandbox {
                config = config.api_base(app.api_base.as_str());
                origin = format!("the login of profile `{}`", self.name);
            }
            config = config.oauth_authorize_url(app.oauth_authorize.as_str());
        }
        if let Some(api) = env("PINTEREST_API_URI") {
            config = config.api_host(&api);
            origin = "PINTEREST_API_URI".into();
        }
        if let Some(oauth) = env("PINTEREST_OAUTH_URI") {
            config = config.oauth_host(&oauth);
        }
        let config = config.user_agent_suffix(concat!("pinterest-cli/", env!("CARGO_PKG_VERSION"))).build()?;
        crate::output::set_api_origin(config.api_base().as_str(), &origin);
        Ok(config)
    }

    /// Whether `PINTEREST_ACCESS_TOKEN` is set (it then stands in for the stored login).
    pub fn token_from_env(&self) -> bool {
        self.config_override.is_none() && env("PINTEREST_ACCESS_TOKEN").is_some()
    }

    /// A client that sends `token` as it is (no refresh).
    pub fn client_with(&self, token: AccessToken) -> CliResult<Client> {
        Ok(Client::builder().config(self.config()?).access_token(token).build()?)
    }

    /// App id and secret: `PINTEREST_APP_ID` / `PINTEREST_APP_SECRET`, else
    /// the profile's, else (when `prompt` and on a terminal) asked for, the
    /// secret without echo. Never from the command line.
    pub fn app_credentials(&self, prompt: bool) -> CliResult<Option<AppCredentials>> {
        if let Some(app) = &self.app_override {
            return Ok(Some(app.clone()));
        }
        let stored = self.load_app()?;
        let id = env("PINTEREST_APP_ID").or_else(|| stored.as_ref().and_then(|a| a.client_id.clone()));
        let secret = env("PINTEREST_APP_SECRET")
            .map(ClientSecret::new)
            .or_else(|| stored.as_ref().and_then(|a| a.client_secret.clone()));
        match (id, secret) {
            (Some(id), Some(secret)) => Ok(Some(AppCredentials::new(id, secret))),
            (id, secret) if prompt && std::io::stdin().is_terminal() => {
                let id = match id {
                    Some(id) => id,
                    None => {
                        eprint!("App id: ");
                        let mut line = String::new();
                        std::io::stdin().read_line(&mut line).map_err(|e| CliError::Local(e.to_string()))?;
                        line.trim().to_owned()
                    }
                };
                let secret = match secret {
                    Some(s) => s,
                    None => ClientSecret::new(
                        rpassword::prompt_password("App secret (not shown): ")
                            .map_err(|e| CliError::Local(e.to_string()))?,
                    ),
                };
                Ok(Some(AppCredentials::new(id, secret)))
            }
            _ => Ok(None),
        }
    }

    /// The OAuth client of the profile's app. With a redirect URI (a browser
    /// login) it uses PKCE (S256): the code the redirect carries is worth
    /// nothing without the verifier only this process holds.
    pub fn oauth(&self, app: &AppCredentials, redirect_uri: Option<&str>) -> CliResult<OAuth> {
        let mut b = OAuth::builder(app.client_id.clone(), app.client_secret.expose_secret()).config(self.config()?);
        if let Some(uri) = redirect_uri {
            b = b.redirect_uri(uri).pkce(true);
        }
        Ok(b.build()?)
    }

    /// An API client: `PINTEREST_ACCESS_TOKEN` if set; else the stored set,
    /// refreshed by itself when it has a refresh token and the app's secret
    /// is known; else "not logged in".
    pub async fn client(&self) -> CliResult<Client> {
        let config = self.config()?;
        if let Some(token) = env("PINTEREST_ACCESS_TOKEN").filter(|_| self.token_from_env()) {
            return Ok(Client::builder().config(config).access_token(AccessToken::new(token)).build()?);
        }
        let tokens =
            self.tokens().await?.ok_or_else(|| CliError::Auth(format!("not logged in (profile `{}`)", self.name)))?;
        let app = self.app_credentials(false)?;
        match (&tokens.refresh_token, app) {
            (Some(_), Some(app)) => {
                let oauth = self.oauth(&app, None)?;
                let source = RefreshingTokenSource::builder(oauth)
                    .tokens(tokens)
                    .store(Arc::new(self.store()), self.name.as_str())
                    .build()?;
                Ok(Client::builder().config(config).app_credentials(app).token_source(Arc::new(source)).build()?)
            }
            _ => Ok(Client::builder().config(config).access_token(tokens.access_token).build()?),
        }
    }

    /// Saves a fresh login: the tokens, and the app and hosts it was made with.
    pub async fn save_login(&self, app: Option<&AppCredentials>, config: &Config, tokens: &TokenSet) -> CliResult {
        self.save_app(&AppFile {
            client_id: app.map(|a| a.client_id.clone()),
            client_secret: app.map(|a| a.client_secret.clone()),
            api_base: config.api_base().as_str().to_owned(),
            oauth_authorize: config.oauth_authorize_url().as_str().to_owned(),
        })?;
        self.store().save(&self.key()?, tokens).await?;
        Ok(())
    }
}
