//! Canary values for every secret, through the whole OAuth flow with TRACE
//! logging on: none may appear in the logs or in any `Debug` output.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure is the signal

mod support;

use std::sync::Arc;

use pinterest_sdk::auth::{MemoryTokenStore, RefreshingTokenSource};
use pinterest_sdk::oauth::{OAuth, RevocableToken};
use pinterest_sdk::{Client, Config};
use support::Capture;
use support::token_server::TokenServer;

fn state_of(url: &url::Url) -> String {
    url.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned()
}

#[test]
fn canary_secrets_never_reach_logs_or_debug_output() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(capture.clone())
        .with_ansi(false)
        .finish();
    // Global, in a test binary of its own: tracing caches callsite interest
    // process-wide, so a scoped subscriber can miss spans first hit elsewhere.
    tracing::subscriber::set_global_default(subscriber).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mut debug = String::new();
    let state = rt.block_on(async {
        let server = TokenServer::start("CANARYTOK", "app", "CANARYSECRET").await;
        server.add_code("CANARYCODE");
        server.add_code("CANARYCODE2");
        let config = Config::builder().api_host(&server.base).build().unwrap();
        let oauth = OAuth::builder("app", "CANARYSECRET").config(config.clone()).pkce(true).build().unwrap();
        let (url, pending) = oauth.authorization_url();
        let state = state_of(&url);
        debug += &format!("{oauth:?}{pending:?}");
        let tokens = oauth
            .exchange_redirect(&pending, &format!("https://localhost/?code=CANARYCODE&state={state}"))
            .await
            .unwrap();
        debug += &format!("{tokens:?}");
        let source = Arc::new(
            RefreshingTokenSource::builder(oauth.clone())
                .tokens(tokens.clone())
                .store(Arc::new(MemoryTokenStore::new()), "me")
                .build()
                .unwrap(),
        );
        let client = Client::builder().config(config).token_source(source.clone()).build().unwrap();
        client.user_account().get().send().await.unwrap();
        let refreshed = source.force_refresh().await.unwrap();
        debug += &format!("{refreshed:?}{source:?}{client:?}");
        client.user_account().get().send().await.unwrap();
        // Failures carry no secret either.
        let e = oauth.refresh(&tokens).await.unwrap_err(); // spent refresh token: family revoked
        debug += &format!("{e:?} {e}");
        let e = client.user_account().get().send().await.unwrap_err();
        debug += &format!("{e:?} {e}");
        let (_, p) = oauth.authorization_url();
        let e = oauth.exchange_code(&p, "CANARYCODE2", "wrong-state").await.unwrap_err();
        debug += &format!("{e:?} {e}");
        oauth.revoke(RevocableToken::Access(&refreshed.access_token)).await.unwrap();
        let body = pinterest_sdk::models::TokenRevocationRequest::new("CANARYTOK-in-a-model");
        debug += &format!("{body:?}");
        assert!(server.state.lock().unwrap().bodies.iter().any(|b| b.contains("CANARYCODE")), "the canaries were used");
        state
    });
    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("pinterest.call"), "TRACE logging was on:\n{logs}");
    for canary in ["CANARYTOK", "CANARYSECRET", "CANARYCODE", state.as_str()] {
        assert!(!logs.contains(canary), "a secret reached the logs: {canary}");
        assert!(!debug.contains(canary), "a secret reached Debug output: {canary}\n{debug}");
    }
}
