//! `pinterest auth ...`.

use std::io::Read as _;
use std::sync::Arc;
use std::time::Duration;

use pinterest_sdk::auth::{RefreshingTokenSource, TokenSet};
use pinterest_sdk::oauth::{OAuthError, RevocableToken, Scope};
use pinterest_sdk::secret::AccessToken;

use crate::cli::{AuthCmd, LoginArgs};
use crate::login::{self, LoginError, Loopback};
use crate::output::{CliError, CliResult, Out, to_json};
use crate::profile::Profile;

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

pub async fn run(profile: &Profile, out: Out, cmd: &AuthCmd) -> CliResult {
    run_with(profile, out, cmd, Opener::System).await
}

/// Like [`run`], with the way the browser is reached chosen by the caller.
pub async fn run_with(profile: &Profile, out: Out, cmd: &AuthCmd, opener: Opener) -> CliResult {
    match cmd {
        AuthCmd::Login(args) => {
            let opener = if args.no_browser { Opener::Print } else { opener };
            let tokens = login(profile, args, opener).await?;
            out.note(&format!("Logged in (profile `{}`, scopes {}).", profile.name, tokens.scope_string()));
            Ok(())
        }
        AuthCmd::Status => status(profile, out).await,
        AuthCmd::Refresh => refresh(profile, out).await,
        AuthCmd::Logout => {
            profile.forget().await?;
            out.note(&format!("Logged out of profile `{}`.", profile.name));
            Ok(())
        }
        AuthCmd::Revoke => revoke(profile, out).await,
    }
}

fn scopes_of(args: &LoginArgs) -> Vec<Scope> {
    match &args.scopes {
        Some(list) => Scope::split(list),
        None => DEFAULT_SCOPES.to_vec(),
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

async fn status(profile: &Profile, out: Out) -> CliResult {
    let tokens = profile.tokens().await?.ok_or_else(|| {
        CliError::Auth(format!("not logged in (profile `{}`): run `pinterest auth login`", profile.name))
    })?;
    let config = profile.config()?;
    let now = std::time::SystemTime::now();
    let mut info = serde_json::json!({
        "profile": profile.name,
        "api_base": config.api_base().as_str(),
        "scopes": tokens.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "expires_at": tokens.expires_at,
        "expires_in_seconds": tokens.expires_in(now).map(|d| d.as_secs()),
        "refresh_token": tokens.refresh_token.is_some(),
        "refresh_token_expires_at": tokens.refresh_token_expires_at,
    });
    match profile.client().await?.user_account().get().send().await {
        Ok(me) => info["user"] = serde_json::json!(me.username),
        Err(e) => info["user_error"] = serde_json::json!(CliError::from(e).message()),
    }
    out.value(&info, &[])
}

async fn refresh(profile: &Profile, out: Out) -> CliResult {
    let app = profile
        .app_credentials(false)?
        .ok_or_else(|| CliError::Auth("the app secret is not known; log in again".into()))?;
    let oauth = profile.oauth(&app, None)?;
    let source =
        RefreshingTokenSource::builder(oauth).store(Arc::new(profile.store()), profile.name.as_str()).build()?;
    let tokens = source.force_refresh().await?;
    let mut v = to_json(&serde_json::json!({"expires_at": tokens.expires_at, "scopes": tokens.scope_string()}))?;
    v["refreshed"] = true.into();
    out.value(&v, &[])
}

async fn revoke(profile: &Profile, out: Out) -> CliResult {
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
    out.note("Revoked and forgotten.");
    Ok(())
}
