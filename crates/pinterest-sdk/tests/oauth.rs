//! OAuth and the token lifecycle: exact token requests, state handling,
//! refresh rotation, single-flight refresh, two processes sharing a store,
//! and canary values that must never leak into logs or `Debug` output.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure is the signal

mod support;

use std::sync::Arc;
use std::time::Duration;

use pinterest_sdk::auth::{
    FileTokenStore, ManualClock, MemoryTokenStore, RefreshingTokenSource, TokenKey, TokenSet, TokenStore,
};
use pinterest_sdk::oauth::{OAuth, OAuthError, PendingLogin, RevocableToken, Scope};
use pinterest_sdk::secret::{AccessToken, RefreshToken};
use pinterest_sdk::{Client, Config, Error};
use support::token_server::TokenServer;
use support::{Reply, Scripted, ok, status};

const TOKEN_JSON: &str = r#"{"access_token":"pina_new","token_type":"bearer","expires_in":2592000,"scope":"user_accounts:read pins:read","response_type":"authorization_code","refresh_token":"pinr_new","refresh_token_expires_in":31536000}"#;

fn oauth_on(t: &Scripted, pkce: bool) -> OAuth {
    OAuth::builder("1234567890", "emulator-secret")
        .pkce(pkce)
        .transport(t.clone())
        .clock(ManualClock::at(1_000_000))
        .build()
        .unwrap()
}

fn state_of(url: &url::Url) -> String {
    url.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned()
}

#[tokio::test]
async fn the_code_exchange_request_is_exact() {
    let t = Scripted::new(vec![ok(TOKEN_JSON)]);
    let oauth = oauth_on(&t, false);
    let (url, pending) = oauth.authorization_url();
    let redirect = format!("https://localhost/?code=c0de&state={}", state_of(&url));
    let tokens = oauth.exchange_redirect(&pending, &redirect).await.unwrap();
    assert_eq!(tokens.access_token.expose_secret(), "pina_new");
    assert_eq!(tokens.refresh_token.as_ref().unwrap().expose_secret(), "pinr_new");
    assert_eq!(tokens.expires_at, Some(1_000_000 + 2_592_000));
    assert_eq!(tokens.refresh_token_expires_at, Some(1_000_000 + 31_536_000));
    assert_eq!(tokens.scopes, vec![Scope::UserAccountsRead, Scope::PinsRead]);
    assert_eq!(tokens.response_type.as_deref(), Some("authorization_code"));

    let seen = t.seen();
    assert_eq!(seen.len(), 1);
    let r = &seen[0];
    assert_eq!((r.method.as_str(), r.uri.as_str()), ("POST", "https://api.pinterest.com/v5/oauth/token"));
    // base64("1234567890:emulator-secret")
    assert_eq!(r.header("authorization"), Some("Basic MTIzNDU2Nzg5MDplbXVsYXRvci1zZWNyZXQ="));
    assert_eq!(r.header("content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(
        std::str::from_utf8(&r.body).unwrap(),
        "code=c0de&redirect_uri=https%3A%2F%2Flocalhost%2F&grant_type=authorization_code"
    );
}

#[tokio::test]
async fn pkce_sends_the_verifier_of_the_challenge() {
    let t = Scripted::new(vec![ok(TOKEN_JSON)]);
    let oauth = oauth_on(&t, true);
    let (url, pending) = oauth.authorization_url();
    let challenge = url.query_pairs().find(|(k, _)| k == "code_challenge").unwrap().1.into_owned();
    oauth.exchange_code(&pending, "c", &state_of(&url)).await.unwrap();
    let body: Vec<(String, String)> = url::form_urlencoded::parse(&t.seen()[0].body).into_owned().collect();
    let verifier = &body.iter().find(|(k, _)| k == "code_verifier").unwrap().1;
    assert_eq!(
        pinterest_sdk::oauth::pkce_challenge(&pinterest_sdk::secret::PkceVerifier::new(verifier.clone())),
        challenge
    );
}

#[tokio::test]
async fn a_redirect_from_the_token_endpoint_is_an_error_and_nothing_is_resent() {
    let mut moved = support::json(307, "");
    moved.headers_mut().insert("location", http::HeaderValue::from_static("https://evil.example/steal"));
    let t = Scripted::new(vec![Reply::Response(moved), ok(TOKEN_JSON)]);
    let oauth = oauth_on(&t, false);
    let (url, pending) = oauth.authorization_url();
    let err = oauth.exchange_code(&pending, "c", &state_of(&url)).await.unwrap_err();
    assert_eq!(err.status(), Some(http::StatusCode::TEMPORARY_REDIRECT));
    assert_eq!(t.count(), 1, "the code was sent exactly once");
}

#[tokio::test]
async fn a_500_on_the_code_exchange_is_not_retried() {
    let t = Scripted::new(vec![status(500, "{}"), ok(TOKEN_JSON)]);
    let oauth = oauth_on(&t, false);
    let (url, pending) = oauth.authorization_url();
    let err = oauth.exchange_code(&pending, "c", &state_of(&url)).await.unwrap_err();
    assert_eq!(err.status(), Some(http::StatusCode::INTERNAL_SERVER_ERROR), "{err:?}");
    assert_eq!(t.count(), 1);
}

#[tokio::test]
async fn bad_redirects_send_nothing() {
    let t = Scripted::new(vec![]);
    let oauth = oauth_on(&t, false);
    async fn check(o: &OAuth, pending: &PendingLogin, url: String) -> Error {
        o.exchange_redirect(pending, &url).await.unwrap_err()
    }
    let (_, p) = oauth.authorization_url();
    assert!(matches!(
        check(&oauth, &p, "https://localhost/?code=x&state=forged".into()).await,
        Error::OAuth(OAuthError::StateMismatch)
    ));
    let (_, p) = oauth.authorization_url();
    assert!(matches!(
        check(&oauth, &p, "https://localhost/?code=x".into()).await,
        Error::OAuth(OAuthError::MissingState)
    ));
    let (u, p) = oauth.authorization_url();
    let denied = format!("https://localhost/?error=access_denied&error_description=nope&state={}", state_of(&u));
    assert!(matches!(check(&oauth, &p, denied).await, Error::OAuth(OAuthError::AccessDenied { .. })));
    let (u, p) = oauth.authorization_url();
    assert!(matches!(
        check(&oauth, &p, format!("https://localhost/?state={}", state_of(&u))).await,
        Error::OAuth(OAuthError::MissingCode)
    ));
    // Reuse: the first attempt consumed the login, even though it failed.
    let (u, p) = oauth.authorization_url();
    let _ = check(&oauth, &p, "https://localhost/?code=x&state=forged".into()).await;
    let good = format!("https://localhost/?code=x&state={}", state_of(&u));
    assert!(matches!(check(&oauth, &p, good).await, Error::OAuth(OAuthError::LoginAlreadyUsed)));
    assert_eq!(t.count(), 0, "no token request for any of them");
}

fn tokens(access: &str, refresh: Option<&str>, received: u64, lifetime: u64) -> TokenSet {
    let mut t = TokenSet::from_access_token(AccessToken::new(access));
    t.refresh_token = refresh.map(RefreshToken::new);
    t.received_at = received;
    t.expires_at = Some(received + lifetime);
    t
}

#[tokio::test]
async fn refresh_rotates_and_keeps_the_old_refresh_token_when_none_comes_back() {
    let rotated = r#"{"access_token":"pina_2","token_type":"bearer","expires_in":60,"scope":"pins:read","response_type":"refresh_token","refresh_token":"pinr_2","refresh_token_expires_at":1999999999}"#;
    let plain = r#"{"access_token":"pina_3","token_type":"bearer","expires_in":60,"scope":"pins:read","response_type":"refresh_token"}"#;
    let t = Scripted::new(vec![ok(rotated), ok(plain)]);
    let oauth = OAuth::builder("1", "s")
        .transport(t.clone())
        .continuous_refresh(true)
        .clock(ManualClock::at(10))
        .build()
        .unwrap();
    let first = oauth.refresh(&tokens("pina_1", Some("pinr_1"), 0, 60)).await.unwrap();
    assert_eq!(first.refresh_token.as_ref().unwrap().expose_secret(), "pinr_2");
    assert_eq!(first.refresh_token_expires_at, Some(1_999_999_999));
    let second = oauth.refresh_with_scopes(&first, Some(&[Scope::PinsRead])).await.unwrap();
    assert_eq!(second.access_token.expose_secret(), "pina_3");
    assert_eq!(second.refresh_token.as_ref().unwrap().expose_secret(), "pinr_2", "kept");
    let bodies: Vec<String> = t.seen().iter().map(|s| String::from_utf8(s.body.to_vec()).unwrap()).collect();
    assert_eq!(bodies[0], "refresh_token=pinr_1&grant_type=refresh_token&continuous_refresh=true");
    assert_eq!(bodies[1], "refresh_token=pinr_2&scope=pins%3Aread&grant_type=refresh_token&continuous_refresh=true");
}

#[tokio::test]
async fn invalid_grant_is_terminal() {
    let t = Scripted::new(vec![status(400, r#"{"error":"invalid_grant"}"#), ok(TOKEN_JSON)]);
    let oauth = OAuth::builder("1", "s").transport(t.clone()).clock(ManualClock::at(100)).build().unwrap();
    let source = RefreshingTokenSource::builder(oauth).tokens(tokens("pina_1", Some("pinr_1"), 0, 60)).build().unwrap();
    let c = Client::builder().token_source(Arc::new(source)).transport(t.clone()).build().unwrap();
    let e1 = c.user_account().get().send().await.unwrap_err();
    assert!(matches!(e1, Error::ReauthorizationRequired(_)), "{e1:?}");
    assert!(e1.needs_reauthorization());
    let e2 = c.user_account().get().send().await.unwrap_err();
    assert!(matches!(e2, Error::ReauthorizationRequired(_)));
    assert_eq!(t.count(), 1, "one token request, never retried, and no API call");
}

#[tokio::test]
async fn client_credentials_revoke_and_conversion_token() {
    let cc = r#"{"access_token":"pina_app","token_type":"bearer","expires_in":3600,"scope":"ads:read","response_type":"client_credentials"}"#;
    let t = Scripted::new(vec![ok(cc), ok(""), ok(r#"{"access_token":"conv","token_type":"bearer"}"#)]);
    let oauth = OAuth::builder("1", "s").transport(t.clone()).build().unwrap();
    assert!(matches!(oauth.client_credentials(&[]).await, Err(Error::OAuth(OAuthError::MissingScope))));
    let app = oauth.client_credentials(&[Scope::AdsRead, Scope::CatalogsRead]).await.unwrap();
    assert_eq!(app.access_token.expose_secret(), "pina_app");
    assert!(app.refresh_token.is_none());
    oauth.revoke(RevocableToken::Refresh(&RefreshToken::new("pinr_x"))).await.unwrap();
    let conv = oauth.conversion_token(&AccessToken::new("pina_user")).await.unwrap();
    assert_eq!(conv.access_token.expose_secret(), "conv");
    let seen = t.seen();
    assert_eq!(
        std::str::from_utf8(&seen[0].body).unwrap(),
        "scope=ads%3Aread%2Ccatalogs%3Aread&grant_type=client_credentials"
    );
    assert_eq!(seen[1].uri, "https://api.pinterest.com/v5/oauth/token/revoke");
    assert_eq!(std::str::from_utf8(&seen[1].body).unwrap(), "token=pinr_x&token_type_hint=refresh_token");
    assert!(seen[1].header("authorization").unwrap().starts_with("Basic "));
    assert_eq!(seen[2].uri, "https://api.pinterest.com/v5/oauth/conversion_token");
    assert_eq!(seen[2].header("authorization"), Some("Bearer pina_user"));
}

#[tokio::test]
async fn a_hundred_concurrent_calls_on_an_expired_token_refresh_once() {
    let server = TokenServer::start("", "app", "secret").await;
    let (_, refresh) = server.issue();
    let config = Config::builder().api_host(&server.base).build().unwrap();
    let oauth = OAuth::builder("app", "secret").config(config.clone()).build().unwrap();
    let updates = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let u = updates.clone();
    let source = Arc::new(
        RefreshingTokenSource::builder(oauth)
            .tokens(tokens("pina_expired", Some(&refresh), 0, 60))
            .store(Arc::new(MemoryTokenStore::new()), "me")
            .on_update(move |_| {
                u.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            })
            .build()
            .unwrap(),
    );
    let client = Client::builder().config(config).token_source(source.clone()).build().unwrap();
    let calls: Vec<_> = (0..100)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.user_account().get().send().await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(server.grants(), ["refresh_token"]);
    assert_eq!(source.refresh_count(), 1);
    assert_eq!(updates.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn successive_refreshes_each_use_the_newest_refresh_token() {
    let server = TokenServer::start("", "app", "secret").await;
    let (_, refresh) = server.issue();
    let config = Config::builder().api_host(&server.base).build().unwrap();
    let clock = ManualClock::at(pinterest_sdk_now());
    server.state.lock().unwrap().expires_in = 120;
    let oauth = OAuth::builder("app", "secret").config(config.clone()).clock(clock.clone()).build().unwrap();
    let store = Arc::new(MemoryTokenStore::new());
    let source = Arc::new(
        RefreshingTokenSource::builder(oauth)
            .tokens(tokens("pina_old", Some(&refresh), 0, 60))
            .store(store.clone(), "me")
            .build()
            .unwrap(),
    );
    let client = Client::builder().config(config).token_source(source.clone()).build().unwrap();
    for _ in 0..3 {
        client.user_account().get().send().await.unwrap();
        clock.advance(Duration::from_secs(200)); // past expiry: the next call refreshes
    }
    // Reuse of a spent refresh token would have revoked the family and failed.
    assert_eq!(server.grants(), ["refresh_token", "refresh_token", "refresh_token"]);
    let stored = store.load(&TokenKey::new("app", "me")).await.unwrap().unwrap();
    let live = server.state.lock().unwrap().live_refresh.clone().unwrap();
    assert_eq!(stored.refresh_token.unwrap().expose_secret(), live);
}

fn pinterest_sdk_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// The child side of the two-process test: refresh through a shared store.
#[test]
#[ignore = "run by two_processes_sharing_a_file_store_never_spend_a_refresh_token_twice"]
fn child_refreshes_through_the_shared_store() {
    let (Ok(store), Ok(server)) = (std::env::var("TEST_STORE"), std::env::var("TEST_SERVER")) else {
        panic!(
            "this is the child half of two_processes_sharing_a_file_store_never_spend_a_refresh_token_twice; \
             run that test, which starts two of these with TEST_STORE and TEST_SERVER set"
        );
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let config = Config::builder().api_host(&server).build().unwrap();
        let oauth = OAuth::builder("app", "secret").config(config.clone()).build().unwrap();
        let store: Arc<dyn TokenStore> = Arc::new(FileTokenStore::single(store));
        let source = RefreshingTokenSource::builder(oauth).store(store, "me").build().unwrap();
        let client = Client::builder().config(config).token_source(Arc::new(source)).build().unwrap();
        client.user_account().get().send().await.unwrap();
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_sharing_a_file_store_never_spend_a_refresh_token_twice() {
    let server = TokenServer::start("", "app", "secret").await;
    let (_, refresh) = server.issue();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("profile.json");
    let store = FileTokenStore::single(&path);
    let key = TokenKey::new("app", "me");
    store.save(&key, &tokens("pina_expired", Some(&refresh), 0, 60)).await.unwrap();
    let exe = std::env::current_exe().unwrap();
    let spawn = || {
        tokio::process::Command::new(&exe)
            .args(["--ignored", "--exact", "child_refreshes_through_the_shared_store", "--nocapture"])
            .env("TEST_STORE", &path)
            .env("TEST_SERVER", &server.base)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    // Force the collision: the first child's refresh is held at the token
    // endpoint (with the store's lock taken) until the second child is seen
    // blocked on that lock.
    server.hold_token_requests();
    let a = spawn();
    tokio::task::block_in_place(|| {
        pinterest_test_support::wait_until("the first refresh to arrive", || server.held() == 1)
    });
    let b = spawn();
    let (b_pid, lock) = (b.id().unwrap(), dir.path().join("profile.json.lock"));
    tokio::task::block_in_place(|| {
        pinterest_test_support::wait_until("the second child to block on the store's lock", || {
            pinterest_test_support::flock_waiters(&lock).expect("/proc/locks is readable").contains(&b_pid)
        })
    });
    assert_eq!(server.held(), 1, "the second child sent nothing while it waited");
    server.release();
    let (a, b) = tokio::join!(a.wait_with_output(), b.wait_with_output());
    for out in [a.unwrap(), b.unwrap()] {
        assert!(out.status.success(), "child failed: {}", String::from_utf8_lossy(&out.stdout));
        assert!(String::from_utf8_lossy(&out.stdout).contains("1 passed"), "the child test really ran");
    }
    assert_eq!(server.grants(), ["refresh_token"], "one refresh; the other process adopted it");
    let stored = store.load(&key).await.unwrap().unwrap();
    let st = server.state.lock().unwrap();
    assert_eq!(stored.refresh_token.unwrap().expose_secret(), st.live_refresh.as_deref().unwrap());
    assert!(st.live_access.contains(stored.access_token.expose_secret()));
}

#[test]
fn the_blocking_flow_mirrors_the_async_one() {
    let t = Scripted::new(vec![ok(TOKEN_JSON), ok(r#"{"username":"ada"}"#)]);
    let oauth = pinterest_sdk::blocking::OAuth::from_async(oauth_on(&t, false)).unwrap();
    let (url, pending) = oauth.authorization_url();
    let tokens =
        oauth.exchange_redirect(&pending, &format!("https://localhost/?code=c&state={}", state_of(&url))).unwrap();
    let client = pinterest_sdk::blocking::Client::builder()
        .access_token(tokens.access_token.clone())
        .transport(t.clone())
        .build()
        .unwrap();
    assert_eq!(client.user_account().get().send().unwrap().username.as_deref(), Some("ada"));
    assert_eq!(t.seen()[1].header("authorization"), Some("Bearer pina_new"));
}

#[tokio::test]
async fn client_credentials_tokens_renew_themselves_once_for_all_waiters() {
    let server = TokenServer::start("", "app", "secret").await;
    server.state.lock().unwrap().expires_in = 120;
    let config = Config::builder().api_host(&server.base).build().unwrap();
    let clock = ManualClock::at(pinterest_sdk_now());
    let oauth = OAuth::builder("app", "secret").config(config.clone()).clock(clock.clone()).build().unwrap();
    let source = Arc::new(RefreshingTokenSource::client_credentials(oauth, [Scope::AdsRead]).build().unwrap());
    let client = Client::builder().config(config).token_source(source.clone()).build().unwrap();
    let burst = |c: &Client| {
        (0..50)
            .map(|_| {
                let c = c.clone();
                tokio::spawn(async move { c.user_account().get().check_scopes(false).send().await })
            })
            .collect::<Vec<_>>()
    };
    for call in burst(&client) {
        call.await.unwrap().unwrap();
    }
    assert_eq!(server.grants(), ["client_credentials"], "the first token, once for 50 callers");
    // Past expiry, a new one: an app token never goes stale.
    clock.advance(Duration::from_secs(200));
    for call in burst(&client) {
        call.await.unwrap().unwrap();
    }
    assert_eq!(server.grants(), ["client_credentials", "client_credentials"]);
    assert_eq!(source.refresh_count(), 2);
    assert!(source.tokens().await.unwrap().refresh_token.is_none());
}

#[tokio::test]
async fn an_expired_token_without_a_refresh_token_is_not_sent() {
    let t = Scripted::new(vec![ok("{}")]);
    let oauth = oauth_on(&t, false);
    let source = RefreshingTokenSource::builder(oauth).tokens(tokens("pina_old", None, 0, 60)).build().unwrap();
    let client = Client::builder().transport(t.clone()).token_source(Arc::new(source)).build().unwrap();
    let err = client.user_account().get().send().await.unwrap_err();
    assert!(matches!(err, Error::TokenExpired), "{err:?}");
    assert!(err.needs_reauthorization());
    assert_eq!(t.count(), 0, "neither a token request nor the call");
}

#[tokio::test]
async fn a_source_reads_its_account_from_the_store_on_first_use() {
    let server = TokenServer::start("", "app", "secret").await;
    let (access, refresh) = server.issue();
    let config = Config::builder().api_host(&server.base).build().unwrap();
    let oauth = OAuth::builder("app", "secret").config(config.clone()).build().unwrap();
    let store = Arc::new(MemoryTokenStore::new());
    let mut stored = tokens(&access, Some(&refresh), pinterest_sdk_now(), 3600);
    stored.scopes = vec![Scope::UserAccountsRead];
    store.save(&TokenKey::new("app", "alice"), &stored).await.unwrap();
    let alice = RefreshingTokenSource::builder(oauth.clone()).store(store.clone(), "alice").build().unwrap();
    assert_eq!(alice.tokens().await.unwrap().access_token.expose_secret(), access);
    assert_eq!(pinterest_sdk::auth::TokenSource::scopes(&alice), Some(vec![Scope::UserAccountsRead]));
    let bob = RefreshingTokenSource::builder(oauth).store(store, "bob").build().unwrap();
    let client = Client::builder().config(config).token_source(Arc::new(bob)).build().unwrap();
    let err = client.user_account().get().send().await.unwrap_err();
    assert!(matches!(err, Error::NotAuthenticated), "bob never logged in: {err:?}");
    assert!(server.grants().is_empty());
}

/// Pinterest rejects an access token before its expiry (revoked, say): the
/// real refreshing source renews it once and the call is sent again.
#[tokio::test]
async fn a_401_on_an_unexpired_token_refreshes_and_the_call_succeeds() {
    let server = TokenServer::start("", "app", "secret").await;
    let (_, refresh) = server.issue();
    let config = Config::builder().api_host(&server.base).build().unwrap();
    let oauth = OAuth::builder("app", "secret").config(config.clone()).build().unwrap();
    // Valid for another hour, but unknown to the server.
    let source = Arc::new(
        RefreshingTokenSource::builder(oauth)
            .tokens(tokens("pina_revoked", Some(&refresh), pinterest_sdk_now(), 3600))
            .build()
            .unwrap(),
    );
    let client = Client::builder().config(config).token_source(source.clone()).build().unwrap();
    let me = client.user_account().get().send().await.unwrap();
    assert_eq!(me.username.as_deref(), Some("ada"));
    assert_eq!(server.grants(), ["refresh_token"], "one refresh, after the 401");
    assert_eq!(source.refresh_count(), 1);
    let now = source.tokens().await.unwrap();
    assert!(server.state.lock().unwrap().live_access.contains(now.access_token.expose_secret()));
    // Revoked again later: one more refresh, from the rotated refresh token.
    server.state.lock().unwrap().live_access.clear();
    client.user_account().get().send().await.unwrap();
    assert_eq!(server.grants(), ["refresh_token", "refresh_token"]);
    assert_eq!(source.refresh_count(), 2);
}

/// A store whose saves fail (a full disk) until told otherwise, reads working.
struct FailingSaves(MemoryTokenStore, std::sync::atomic::AtomicBool);

impl TokenStore for FailingSaves {
    fn load<'a>(
        &'a self,
        key: &'a TokenKey,
    ) -> pinterest_sdk::transport::BoxFuture<'a, pinterest_sdk::Result<Option<TokenSet>>> {
        self.0.load(key)
    }
    fn save<'a>(
        &'a self,
        key: &'a TokenKey,
        tokens: &'a TokenSet,
    ) -> pinterest_sdk::transport::BoxFuture<'a, pinterest_sdk::Result<()>> {
        if self.1.load(std::sync::atomic::Ordering::SeqCst) {
            return self.0.save(key, tokens);
        }
        Box::pin(async { Err(Error::Config("no space left on device".into())) })
    }
    fn clear<'a>(&'a self, key: &'a TokenKey) -> pinterest_sdk::transport::BoxFuture<'a, pinterest_sdk::Result<()>> {
        self.0.clear(key)
    }
}

/// The refresh spent the old refresh token, so the new set is used from
/// memory when saving it fails, and saved in the background once the store
/// takes it again.
#[tokio::test]
async fn a_refreshed_set_is_used_when_saving_it_fails_and_saved_later() {
    let server = TokenServer::start("", "app", "secret").await;
    let (_, refresh) = server.issue();
    let config = Config::builder().api_host(&server.base).build().unwrap();
    let oauth = OAuth::builder("app", "secret").config(config.clone()).build().unwrap();
    let store = Arc::new(FailingSaves(MemoryTokenStore::new(), std::sync::atomic::AtomicBool::new(false)));
    let key = TokenKey::new("app", "me");
    store.0.save(&key, &tokens("pina_expired", Some(&refresh), 0, 60)).await.unwrap();
    let updates = Arc::new(std::sync::Mutex::new(Vec::new()));
    let u = updates.clone();
    let source = Arc::new(
        RefreshingTokenSource::builder(oauth)
            .store(store.clone(), "me")
            .on_update(move |t| u.lock().unwrap().push(t.access_token.expose_secret().to_owned()))
            .build()
            .unwrap(),
    );
    let client = Client::builder().config(config).token_source(source.clone()).build().unwrap();
    let me = client.user_account().get().send().await.unwrap();
    assert_eq!(me.username.as_deref(), Some("ada"), "the call goes on with the new token");
    assert_eq!(source.pending_saves(), 1, "its save is pending");
    let published = source.tokens().await.unwrap();
    let live = server.state.lock().unwrap().live_refresh.clone().unwrap();
    assert_eq!(published.refresh_token.as_ref().unwrap().expose_secret(), live, "the new set is in memory");
    assert_eq!(*updates.lock().unwrap(), [published.access_token.expose_secret().to_owned()], "and given to on_update");
    assert!(store.0.load(&key).await.unwrap().unwrap().access_token.expose_secret() == "pina_expired");
    // The next call uses it, with no second refresh of a spent token.
    client.user_account().get().send().await.unwrap();
    assert_eq!(server.grants(), ["refresh_token"]);
    // Once the store takes writes again, the set lands.
    store.1.store(true, std::sync::atomic::Ordering::SeqCst);
    tokio::time::timeout(std::time::Duration::from_secs(30), source.flush()).await.unwrap();
    let saved = store.0.load(&key).await.unwrap().unwrap();
    assert_eq!(saved.refresh_token.unwrap().expose_secret(), live);
}
