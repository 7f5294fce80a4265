//! `pinterest auth ...`.

use std::io::Read as _;
use std::sync::Arc;
use std::time::Duration;

use pinterest_sdk::auth::{RefreshingTokenSource, TokenSet};
use pinterest_sdk::oauth::{OAuthError, RevocableToken, Scope};
use pinterest_sdk::secret::AccessToken;

use crate::cli::{AuthCmd, LoginArgs};
use crate::login::{self, LoginError, Loopback};
use crate::output::{CliError, CliResult, Out};
use crate::profile::Profile;
use crate::terminal::{ask, must_ask};

/// The scopes `auth login` asks for by default: reading and writing the
/// organic API, secret boards and Pins included (searching your own Pins
/// needs the `_secret` read scopes).
pub const DEFAULT_SCOPES: &[Scope] = &[
    Scope::UserAccountsRead,
    Scope::PinsRead,
    Scope::BoardsRead,
    Scope::PinsWrite,
    Scope::BoardsWrite,
    Scope::PinsReadSecret,
    Scope::BoardsReadSecret,
];

/// How the authorization URL reaches a browser.
pub enum Opener {
    /// The system browser (falling back to printing the URL).
    System,
    /// Print it; the person opens it.
    Print,
    /// Fetch it with an HTTP client that follows redirects, standing in for a
    /// browser (the demo, with the emulator approving at once).
    Fetch,
}

pub async fn run(profile: &Profile, out: &Out, cmd: &AuthCmd) -> CliResult {
    run_with(profile, out, cmd, Opener::System).await
}

/// Like [`run`], with the way the browser is reached chosen by the caller.
pub async fn run_with(profile: &Profile, out: &Out, cmd: &AuthCmd, opener: Opener) -> CliResult {
    match cmd {
        AuthCmd::Login(args) => {
            let opener = if args.no_browser { Opener::Print } else { opener };
            let tokens = login(profile, args, opener).await?;
            let client = profile.client_with(tokens.access_token.clone())?;
            let who = match check(&client).await {
                Ok(Some(name)) => format!("Logged in as {name}"),
                _ => "Logged in".to_owned(),
            };
            let scopes = match tokens.scope_string() {
                s if s.is_empty() => String::new(),
                s => format!(", scopes {s}"),
            };
            out.note(&format!("{who} (profile `{}`{scopes}).", profile.name))
        }
        AuthCmd::Status => status(profile, out).await,
        AuthCmd::Refresh => refresh(profile, out).await,
        AuthCmd::Logout => {
            profile.forget().await?;
            out.note(&format!("Logged out of profile `{}`.", profile.name))
        }
        AuthCmd::Revoke(confirm) => {
            if profile.tokens().await?.is_none() {
                return Err(CliError::Auth(format!("not logged in (profile `{}`)", profile.name)));
            }
            if must_ask(*confirm, "auth revoke")? {
                ask(out, &format!("Revoke the login of profile `{}` at Pinterest and forget it?", profile.name))
                    .await?;
            }
            revoke(profile, out).await
        }
    }
}

/// Checks a credential: `GET /user_account`. The user's name when it
/// works; `None` when it works without the scope to read the account (a
/// 403); the error otherwise (a 401 is Pinterest refusing it).
async fn check(client: &pinterest_sdk::Client) -> Result<Option<String>, pinterest_sdk::Error> {
    match client.user_account().get().send().await {
        Ok(me) => Ok(me.username),
        Err(e) if e.status() == Some(http::StatusCode::FORBIDDEN) => Ok(None),
        Err(e) => Err(e),
    }
}

fn refused(e: &pinterest_sdk::Error) -> bool {
    e.status() == Some(http::StatusCode::UNAUTHORIZED)
}

fn scopes_of(args: &LoginArgs) -> Vec<Scope> {
    match &args.scopes {
        Some(names) if !names.0.is_empty() => names.0.iter().map(|s| Scope::parse(s)).collect(),
        _ => DEFAULT_SCOPES.to_vec(),
    }
}

/// Runs a login and stores its tokens in the profile.
pub async fn login(profile: &Profile, args: &LoginArgs, opener: Opener) -> CliResult<TokenSet> {
    let config = profile.config()?;
    if args.with_token {
        let mut token = String::new();
        std::io::stdin().read_to_string(&mut token).map_err(|e| CliError::Local(e.to_string()))?;
        let token = token.trim();
        if token.is_empty() {
            return Err(CliError::Usage("no token on stdin".into()));
        }
        let tokens = TokenSet::from_access_token(AccessToken::new(token));
        // Checked before it is stored: a mistyped token must not replace a good login.
        if let Err(e) = check(&profile.client_with(tokens.access_token.clone())?).await {
            return Err(if refused(&e) {
                CliError::Auth("Pinterest refused the token; nothing was stored".into())
            } else {
                e.into()
            });
        }
        profile.save_login(profile.app_credentials(false)?.as_ref(), &config, &tokens).await?;
        return Ok(tokens);
    }
    let app = profile.app_credentials(true)?.ok_or_else(|| {
        CliError::Usage(
            "no app credentials: set PINTEREST_APP_ID and PINTEREST_APP_SECRET (or log in on a terminal)".into(),
        )
    })?;
    let scopes = scopes_of(args);
    if args.client_credentials {
        let oauth = profile.oauth(&app, None)?;
        let tokens = oauth.client_credentials(&scopes).await?;
        profile.save_login(Some(&app), &config, &tokens).await?;
        return Ok(tokens);
    }
    let listener = Loopback::bind(args.port).await.map_err(|e| CliError::Local(format!("{e} (try --port)")))?;
    login_through(profile, &app, listener, &scopes, Duration::from_secs(args.timeout), opener).await
}

/// The browser login on a bound loopback listener: authorization URL,
/// browser (or its stand-in), callback, exchange, storage.
pub async fn login_through(
    profile: &Profile,
    app: &pinterest_sdk::AppCredentials,
    listener: Loopback,
    scopes: &[Scope],
    deadline: Duration,
    opener: Opener,
) -> CliResult<TokenSet> {
    let config = profile.config()?;
    // With a redirect URI, the OAuth client uses PKCE (S256).
    let oauth = profile.oauth(app, Some(listener.redirect_uri()))?;
    let (url, pending) = oauth.authorization_url_with(scopes);
    let state =
        login::state_of(&url).ok_or_else(|| CliError::Local("the authorization URL has no state parameter".into()))?;
    tracing::info!(addrs = ?listener.local_addrs(), redirect_uri = listener.redirect_uri(), "waiting for the redirect");
    let fetcher = match opener {
        Opener::Fetch => Some(tokio::spawn(fetch_like_a_browser(url.to_string()))),
        Opener::System if webbrowser::open(url.as_str()).is_ok() => {
            eprintln!("Opened your browser to log in. If nothing happened, open:\n  {url}");
            None
        }
        Opener::System | Opener::Print => {
            eprintln!("Open this URL in a browser to log in:\n  {url}");
            None
        }
    };
    let result = listener
        .serve(&pending, state, deadline, |code| async {
            let tokens = oauth.exchange_verified(&pending, code).await?;
            profile.save_login(Some(app), &config, &tokens).await?;
            Ok(tokens)
        })
        .await;
    if let Some(f) = fetcher {
        f.abort();
    }
    match result {
        Ok(tokens) => Ok(tokens),
        Err(LoginError::TimedOut) => {
            Err(CliError::Auth(format!("no redirect came back within {} s", deadline.as_secs())))
        }
        Err(LoginError::Callback(OAuthError::AccessDenied { .. })) => {
            Err(CliError::Auth("the authorization was denied in the browser".into()))
        }
        Err(LoginError::Callback(e)) => Err(CliError::Auth(format!("login failed: {e}"))),
        Err(LoginError::Exchange(e)) => Err(e),
    }
}

/// GETs `url` and follows redirects, as a browser would after an instant
/// approval (the emulator's auto-approve mode).
async fn fetch_like_a_browser(url: String) {
    let client = match reqwest::Client::builder().redirect(reqwest::redirect::Policy::limited(5)).build() {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!("cannot build the stand-in browser: {e}");
            return;
        }
    };
    if let Err(e) = client.get(url).send().await {
        tracing::warn!("the stand-in browser failed: {e}");
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Which credential is in use, whether it works, and until when; exits
/// non-zero when it does not work (as `gh auth status` does).
async fn status(profile: &Profile, out: &Out) -> CliResult {
    let from_env = profile.token_from_env();
    let stored = profile.tokens().await?;
    if !from_env && stored.is_none() {
        return Err(CliError::Auth(format!("not logged in (profile `{}`)", profile.name)));
    }
    let config = profile.config()?;
    let now = unix_now();
    let mut info = serde_json::json!({
        "profile": profile.name,
        "api_base": config.api_base().as_str(),
        "credential": if from_env { "environment" } else { "profile" },
    });
    let in_use = if from_env { None } else { stored.as_ref() };
    if let Some(tokens) = in_use {
        info["scopes"] = serde_json::json!(tokens.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>());
        info["expires_at"] = serde_json::json!(tokens.expires_at);
        info["expires_in_seconds"] =
            serde_json::json!(tokens.expires_at.and_then(|t| i64::try_from(t).ok()).map(|t| (t - now).max(0)));
        info["refresh_token"] = serde_json::json!(tokens.refresh_token.is_some());
        info["refresh_token_expires_at"] = serde_json::json!(tokens.refresh_token_expires_at);
    }
    let checked = check(&profile.client().await?).await;
    match &checked {
        Ok(user) => {
            info["valid"] = true.into();
            info["user"] = serde_json::json!(user);
        }
        // Refused; or not known (the network, Pinterest's 5xx).
        Err(e) => info["valid"] = if refused(e) { false.into() } else { serde_json::Value::Null },
    }
    if out.json {
        out.value(&info)?;
    } else {
        // Built from escaped parts, then coloured; the result, so not
        // silenced by --quiet.
        let safe = |t: &str| crate::output::terminal_safe(t).into_owned();
        let mut lines = Vec::new();
        let api = safe(config.api_base().as_str());
        lines.push(format!("Profile `{}` · {api}", safe(&profile.name)));
        let green = anstyle::AnsiColor::Green.on_default().bold();
        let red = anstyle::AnsiColor::Red.on_default().bold();
        let credential = if from_env {
            let unused = if stored.is_some() {
                format!(" (the stored login of profile `{}` is not used while it is set)", profile.name)
            } else {
                String::new()
            };
            format!("PINTEREST_ACCESS_TOKEN from the environment{unused}")
        } else {
            format!("the stored login ({})", safe(&profile.token_path().display().to_string()))
        };
        match &checked {
            Ok(Some(user)) => lines.push(format!("{} Logged in as {}", out.paint("✓", green), safe(user))),
            Ok(None) => lines.push(format!(
                "{} Logged in (the user is not known: the token cannot read the account)",
                out.paint("✓", green)
            )),
            Err(e) if refused(e) => lines.push(format!("{} The credential does not work", out.paint("✗", red))),
            Err(_) => lines.push(format!("{} The credential could not be checked", out.paint("?", red))),
        }
        lines.push(format!("  Credential:     {credential}"));
        if let Some(tokens) = in_use {
            let scopes = match tokens.scopes.iter().map(|s| safe(s.as_str())).collect::<Vec<_>>().join(", ") {
                s if s.is_empty() => "not known (a token given with --with-token)".to_owned(),
                s => s,
            };
            lines.push(format!("  Scopes:         {scopes}"));
            let when = |t: Option<u64>| match t.and_then(|t| i64::try_from(t).ok()) {
                Some(t) if t <= now => format!("expired {}", crate::table::local_time(t, now)),
                Some(t) => format!("expires {}", crate::table::local_time(t, now)),
                None => "no expiry known".into(),
            };
            lines.push(format!("  Access token:   {}", when(tokens.expires_at)));
            let refresh = match &tokens.refresh_token {
                Some(_) => when(tokens.refresh_token_expires_at),
                None => "none (log in again when the access token expires)".into(),
            };
            lines.push(format!("  Refresh token:  {refresh}"));
        }
        crate::output::write_out(&format!("{}\n", lines.join("\n")))?;
    }
    match checked {
        Ok(_) => Ok(()),
        Err(e) if refused(&e) => Err(match (from_env, &stored) {
            (true, Some(_)) => CliError::EnvToken(format!(
                "Pinterest refused PINTEREST_ACCESS_TOKEN (while it is set, the stored login of profile `{}` is not used)",
                profile.name
            )),
            (true, None) => CliError::EnvToken("Pinterest refused PINTEREST_ACCESS_TOKEN".to_owned()),
            (false, _) => CliError::Auth("Pinterest refused the stored login".to_owned()),
        }),
        Err(e) => Err(e.into()),
    }
}

async fn refresh(profile: &Profile, out: &Out) -> CliResult {
    let app = profile
        .app_credentials(false)?
        .ok_or_else(|| CliError::Auth("the app secret is not known; log in again".into()))?;
    let oauth = profile.oauth(&app, None)?;
    let source =
        RefreshingTokenSource::builder(oauth).store(Arc::new(profile.store()), profile.name.as_str()).build()?;
    let tokens = source.force_refresh().await?;
    if out.json {
        let scopes: Vec<&str> = tokens.scopes.iter().map(|s| s.as_str()).collect();
        return out.value(&serde_json::json!({"refreshed": true, "expires_at": tokens.expires_at, "scopes": scopes}));
    }
    let expiry = match tokens.expires_at.and_then(|t| i64::try_from(t).ok()) {
        Some(t) => format!("; the new access token expires {}", crate::table::local_time(t, unix_now())),
        None => String::new(),
    };
    out.note(&format!("Refreshed the login of profile `{}`{expiry}.", profile.name))
}

async fn revoke(profile: &Profile, out: &Out) -> CliResult {
    let Some(tokens) = profile.tokens().await? else {
        return Err(CliError::Auth("not logged in".into()));
    };
    if let Some(app) = profile.app_credentials(false)? {
        let oauth = profile.oauth(&app, None)?;
        if let Some(r) = &tokens.refresh_token {
            oauth.revoke(RevocableToken::Refresh(r)).await?;
        }
        oauth.revoke(RevocableToken::Access(&tokens.access_token)).await?;
    } else {
        return Err(CliError::Auth("the app secret is not known, so Pinterest cannot be asked to revoke".into()));
    }
    profile.forget().await?;
    out.note(&format!("Revoked the login of profile `{}` and forgot it.", profile.name))
}
