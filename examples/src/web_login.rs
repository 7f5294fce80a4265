//! A web app that connects its users' Pinterest accounts ("Connect
//! Pinterest"), with axum.
//!
//! - `GET /login` starts a login: a fresh authorization URL, its
//!   [`PendingLogin`](pinterest_sdk::oauth::PendingLogin) kept server-side
//!   in a [`PendingLoginStore`] under the browser's session id (an
//!   `HttpOnly`, `SameSite=Lax` cookie), then a redirect to the consent page.
//! - `GET /callback` takes that pending login (once: a replay finds nothing),
//!   checks the redirect (`state` in constant time) and exchanges the code.
//!   The tokens go into a [`TokenStore`] under (app, user): one set per
//!   connected user.
//! - `GET /` shows the connected account, through a refreshing token source
//!   on that store, so a later visit renews the token when it has to.
//!
//! The handlers never put a token, code or state into a page or a log.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::header::{COOKIE, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use pinterest_sdk::auth::{RefreshingTokenSource, TokenKey, TokenStore};
use pinterest_sdk::oauth::{OAuth, PendingLoginStore};
use pinterest_sdk::{Client, Config, Error};

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "pinterest_example_session";

/// What the handlers share.
pub struct WebApp {
    /// The app's OAuth client; its redirect URI is this app's `/callback`.
    pub oauth: OAuth,
    /// Hosts for API calls.
    pub config: Config,
    /// Pending logins between `/login` and `/callback`.
    pub logins: Arc<dyn PendingLoginStore>,
    /// Every connected user's tokens.
    pub tokens: Arc<dyn TokenStore>,
    /// This app's own users by session (a real app has its user accounts).
    users: Mutex<HashMap<String, String>>,
}

impl WebApp {
    /// The app, with its stores.
    pub fn new(oauth: OAuth, config: Config, logins: Arc<dyn PendingLoginStore>, tokens: Arc<dyn TokenStore>) -> Self {
        WebApp { oauth, config, logins, tokens, users: Mutex::new(HashMap::new()) }
    }

    /// The routes.
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/", get(home))
            .route("/login", get(login))
            .route("/callback", get(callback))
            .with_state(self)
    }

    /// The local user of a session, created on first sight.
    fn user_of(&self, session: &str) -> String {
        let mut users = self.users.lock().unwrap_or_else(|p| p.into_inner());
        let next = users.len() + 1;
        users.entry(session.to_owned()).or_insert_with(|| format!("user-{next}")).clone()
    }

    /// The key of a local user's Pinterest tokens.
    pub fn key_of(&self, user: &str) -> TokenKey {
        TokenKey::new(self.oauth.client_id(), user)
    }
}

fn session_of(headers: &HeaderMap) -> Option<String> {
    headers.get_all(COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|c| {
        let (name, value) = c.trim().split_once('=')?;
        (name == SESSION_COOKIE && !value.is_empty()).then(|| value.to_owned())
    })
}

fn new_session() -> String {
    let bytes: [u8; 24] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn page(status: StatusCode, body: &str) -> Response {
    let html = format!("<!doctype html><title>Pinterest example</title><body>{body}</body>");
    let mut r = (status, Html(html)).into_response();
    r.headers_mut().insert("cache-control", HeaderValue::from_static("no-store"));
    r.headers_mut().insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    r
}

fn redirect_to(location: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(LOCATION, v);
    }
    r
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

async fn home(State(app): State<Arc<WebApp>>, headers: HeaderMap) -> Response {
    let Some(session) = session_of(&headers) else {
        return page(StatusCode::OK, "<a id=\"connect\" href=\"/login\">Connect Pinterest</a>");
    };
    let user = app.user_of(&session);
    let source = RefreshingTokenSource::builder(app.oauth.clone()).store(app.tokens.clone(), user.as_str()).build();
    let client = source.and_then(|s| Client::builder().config(app.config.clone()).token_source(Arc::new(s)).build());
    let me = match client {
        Ok(c) => c.user_account().get().send().await,
        Err(e) => Err(e),
    };
    match me {
        Ok(me) => page(
            StatusCode::OK,
            &format!(
                "<p id=\"connected\">Connected as <strong>{}</strong>.</p><a href=\"/login\">Connect another account</a>",
                escape(me.username.as_deref().unwrap_or("?"))
            ),
        ),
        Err(e) if e.needs_reauthorization() => {
            page(StatusCode::OK, "<a id=\"connect\" href=\"/login\">Connect Pinterest</a>")
        }
        Err(e) => {
            page(StatusCode::BAD_GATEWAY, &format!("<p>Pinterest could not be reached: {}</p>", escape(&e.to_string())))
        }
    }
}

async fn login(State(app): State<Arc<WebApp>>, headers: HeaderMap) -> Response {
    let session = session_of(&headers).unwrap_or_else(new_session);
    let (url, pending) = app.oauth.authorization_url();
    if let Err(e) = app.logins.put(&session, pending).await {
        return page(StatusCode::INTERNAL_SERVER_ERROR, &format!("<p>{}</p>", escape(&e.to_string())));
    }
    let mut r = redirect_to(url.as_str());
    let cookie = format!("{SESSION_COOKIE}={session}; HttpOnly; SameSite=Lax; Path=/");
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(SET_COOKIE, v);
    }
    r
}

async fn callback(State(app): State<Arc<WebApp>>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    let Some(session) = session_of(&headers) else {
        return page(StatusCode::BAD_REQUEST, "<p>No session: start again from the home page.</p>");
    };
    let pending = match app.logins.take(&session).await {
        Ok(Some(p)) => p,
        Ok(None) => return page(StatusCode::BAD_REQUEST, "<p>No login in progress: start again.</p>"),
        Err(e) => return page(StatusCode::INTERNAL_SERVER_ERROR, &format!("<p>{}</p>", escape(&e.to_string()))),
    };
    let landed = format!("{}?{}", pending.redirect_uri(), query.unwrap_or_default());
    let tokens = match app.oauth.exchange_redirect(&pending, &landed).await {
        Ok(t) => t,
        Err(Error::OAuth(e)) => {
            return page(StatusCode::BAD_REQUEST, &format!("<p>Not connected: {}</p>", escape(&e.to_string())));
        }
        Err(e) => return page(StatusCode::BAD_GATEWAY, &format!("<p>Not connected: {}</p>", escape(&e.to_string()))),
    };
    let user = app.user_of(&session);
    if let Err(e) = app.tokens.save(&app.key_of(&user), &tokens).await {
        return page(StatusCode::INTERNAL_SERVER_ERROR, &format!("<p>{}</p>", escape(&e.to_string())));
    }
    redirect_to("/")
}
