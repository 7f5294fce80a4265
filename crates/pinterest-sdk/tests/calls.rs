//! The call surface: metadata on success, error helpers, checks before
//! sending (sandbox, scopes, required values), response size limits,
//! downloads, pagination that resumes where it was asked to.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure is the signal

mod support;

use std::sync::Arc;
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use pinterest_sdk::auth::{RefreshingTokenSource, TokenSet};
use pinterest_sdk::oauth::{OAuth, Scope};
use pinterest_sdk::paginate::Checkpoint;
use pinterest_sdk::secret::AccessToken;
use pinterest_sdk::{Client, Config, Error, models};
use support::{Reply, Scripted, client, json, ok, status, with_headers};

fn pins_page(ids: &[&str], bookmark: Option<&str>) -> Reply {
    let items: Vec<String> = ids.iter().map(|id| format!(r#"{{"id":"{id}"}}"#)).collect();
    let bookmark = bookmark.map_or("null".to_owned(), |b| format!("\"{b}\""));
    ok(&format!(r#"{{"items":[{}],"bookmark":{bookmark}}}"#, items.join(",")))
}

#[tokio::test]
async fn send_with_meta_keeps_the_request_id_and_rate_limits() {
    let t = Scripted::new(vec![Reply::Response(with_headers(
        json(200, r#"{"username":"ada"}"#),
        &[("x-ratelimit-limit", "1000".into()), ("x-ratelimit-remaining", "998".into())],
    ))]);
    let response = client(&t).user_account().get().send_with_meta().await.unwrap();
    assert_eq!(response.value.username.as_deref(), Some("ada"));
    let meta = &response.meta;
    assert_eq!(meta.status, http::StatusCode::OK);
    assert_eq!(meta.request_id.as_deref(), Some("rid-test"));
    assert_eq!(meta.operation, "user_account/get");
    assert_eq!(meta.rate_limit_category, "org_read");
    let rl = meta.rate_limit.as_ref().unwrap();
    assert_eq!((rl.limit, rl.remaining), (Some(1000), Some(998)));
}

#[tokio::test]
async fn errors_answer_the_usual_questions() {
    let t = Scripted::new(vec![
        status(404, r#"{"code":3,"message":"Pin not found."}"#),
        Reply::Response(with_headers(
            json(429, r#"{"code":29,"message":"slow down"}"#),
            &[("retry-after", "120".into())],
        )),
        status(401, r#"{"code":2,"message":"Authentication failed."}"#),
        status(403, r#"{"code":29,"message":"no"}"#),
    ]);
    let c = client(&t);
    let no_retry = pinterest_sdk::retry::RetryPolicy::never;
    let e = c.pins().get("1").send().await.unwrap_err();
    assert!(e.is_not_found() && !e.is_rate_limited() && !e.is_transport());
    assert_eq!((e.code(), e.message()), (Some(3), Some("Pin not found.")));
    let e = c.pins().get("1").retry(no_retry()).send().await.unwrap_err();
    assert!(e.is_rate_limited());
    assert_eq!(e.retry_after(), Some(Duration::from_secs(120)));
    let e = c.pins().get("1").send().await.unwrap_err();
    assert!(e.is_unauthorized() && e.needs_reauthorization());
    let e = c.pins().get("1").send().await.unwrap_err();
    assert!(e.is_forbidden() && !e.is_server_error());
}

#[tokio::test]
async fn operations_the_sandbox_lacks_are_refused_before_sending() {
    let t = Scripted::new(vec![ok(r#"{"items":[],"bookmark":null}"#)]);
    let c = Client::builder()
        .config(Config::sandbox())
        .access_token(AccessToken::new("t"))
        .transport(t.clone())
        .build()
        .unwrap();
    // `user_websites/get` is `x-sandbox: disabled` in the spec; `boards/list` is served.
    let err = c.user_account().list_websites().send().await.unwrap_err();
    assert!(matches!(err, Error::NotInSandbox { operation: "user_websites/get" }), "{err:?}");
    assert!(err.is_refused_locally());
    c.boards().list().send().await.unwrap();
    assert_eq!(t.count(), 1, "only the served operation reached the wire");
}

fn scoped_client(t: &Scripted, scopes: Vec<Scope>) -> Client {
    let mut tokens = TokenSet::from_access_token(AccessToken::new("t"));
    tokens.scopes = scopes;
    let oauth = OAuth::builder("1", "s").transport(t.clone()).build().unwrap();
    let source = RefreshingTokenSource::builder(oauth).tokens(tokens).build().unwrap();
    Client::builder().transport(t.clone()).token_source(Arc::new(source)).build().unwrap()
}

#[tokio::test]
async fn a_token_without_the_scopes_is_refused_before_sending_unless_told_otherwise() {
    let t = Scripted::new(vec![ok(r#"{"id":"1"}"#), ok(r#"{"id":"1"}"#)]);
    let c = scoped_client(&t, vec![Scope::PinsRead]);
    let err = c.pins().get("1").send().await.unwrap_err();
    let Error::MissingScopes { operation, missing, granted } = &err else { panic!("{err:?}") };
    assert_eq!(
        (*operation, missing.as_slice(), granted.as_slice()),
        ("pins/get", &[Scope::BoardsRead][..], &[Scope::PinsRead][..])
    );
    assert_eq!(err.to_string(), "`pins/get` needs the scope `boards:read`; the token was granted `pins:read`");
    assert_eq!(t.count(), 0);
    // Off for one call, or for the whole client.
    c.pins().get("1").check_scopes(false).send().await.unwrap();
    assert_eq!(t.count(), 1);
    let c = scoped_client(&t, vec![Scope::PinsRead, Scope::BoardsRead]);
    c.pins().get("1").send().await.unwrap();
    assert_eq!(t.count(), 2);
}

#[tokio::test]
async fn a_missing_required_value_is_a_typed_error_before_sending() {
    let t = Scripted::new(vec![]);
    let day = |d| models::Date::from_ymd_opt(2025, 1, d).unwrap();
    let err = client(&t).user_account().get_analytics().start_date(day(1)).send().await.unwrap_err();
    let Error::Build(b) = &err else { panic!("{err:?}") };
    assert_eq!((b.type_name, b.field), ("UserAccountGetAnalytics", "end_date"));
    assert!(err.is_refused_locally());
    // Two required strings could be swapped: a builder names the one missing.
    let err = models::OauthAccessTokenRequestCode::builder().code("c").build().unwrap_err();
    assert_eq!((err.type_name, err.field), ("OauthAccessTokenRequestCode", "redirect_uri"));
    assert_eq!(t.count(), 0);
}

#[tokio::test]
async fn dates_go_out_as_the_spec_writes_them() {
    let t = Scripted::new(vec![ok("{}")]);
    let day = |d| models::Date::from_ymd_opt(2025, 1, d).unwrap();
    client(&t).user_account().get_analytics().start_date(day(1)).end_date(day(31)).send().await.unwrap();
    let q = t.seen()[0].query();
    assert!(q.contains(&("start_date".into(), "2025-01-01".into())), "{q:?}");
    assert!(q.contains(&("end_date".into(), "2025-01-31".into())), "{q:?}");
}

#[tokio::test]
async fn a_response_larger_than_the_limit_stops_with_a_typed_error() {
    let big = format!(r#"{{"username":"{}"}}"#, "x".repeat(10_000));
    let t = Scripted::new(vec![ok(&big), ok(&big), ok(&big)]);
    let c = Client::builder()
        .access_token(AccessToken::new("t"))
        .transport(t.clone())
        .config(Config::builder().max_response_bytes(4096).build().unwrap())
        .build()
        .unwrap();
    let err = c.user_account().get().send().await.unwrap_err();
    assert!(matches!(err, Error::ResponseTooLarge { operation: "user_account/get", limit: 4096 }), "{err:?}");
    assert_eq!(t.count(), 1, "not retried");
    // Per call, either way.
    assert!(c.user_account().get().max_response_bytes(1_000_000).send().await.is_ok());
    let c = client(&t);
    assert!(matches!(c.user_account().get().max_response_bytes(100).send().await, Err(Error::ResponseTooLarge { .. })));
}

#[tokio::test]
async fn downloads_stream_without_credentials() {
    let t = Scripted::new(vec![ok("line one\nline two\n")]);
    let c = client(&t);
    let response = c.download("https://reports.example.com/r.csv?sig=abc").await.unwrap();
    let chunks: Vec<bytes::Bytes> = response.value.try_collect().await.unwrap();
    assert_eq!(chunks.concat(), b"line one\nline two\n");
    let seen = &t.seen()[0];
    assert_eq!(seen.uri, "https://reports.example.com/r.csv?sig=abc");
    assert_eq!(seen.header("authorization"), None, "the token never goes to another host");
    let err = c.download("http://reports.example.com/r.csv").await.unwrap_err();
    assert!(matches!(&err, Error::Config(m) if m.contains("refusing plain http")), "plain http off loopback: {err:?}");
    assert_eq!(t.count(), 1);
}

#[tokio::test]
async fn paging_starts_at_the_bookmark_that_was_set() {
    let t = Scripted::new(vec![pins_page(&["3", "4"], Some("b3")), pins_page(&["5"], None)]);
    let c = client(&t);
    let pages: Vec<_> = c.pins().list().bookmark("b2").pages().try_collect().await.unwrap();
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[0].requested_with.as_deref(), Some("b2"));
    let first = &t.seen()[0].query();
    assert!(first.contains(&("bookmark".into(), "b2".into())), "not page 1 again: {first:?}");
}

#[tokio::test]
async fn an_item_stream_checkpoints_and_resumes_after_a_crash() {
    let t = Scripted::new(vec![pins_page(&["1", "2", "3"], Some("b2")), pins_page(&["4", "5"], Some("b3"))]);
    let c = client(&t);
    let mut stream = c.pins().list().stream();
    let mut seen = Vec::new();
    // Hand out four items, then "crash".
    for _ in 0..4 {
        seen.push(stream.next().await.unwrap().unwrap().id);
    }
    let checkpoint = stream.checkpoint();
    assert_eq!(checkpoint, Checkpoint::new(Some("b2".into()), 1));
    drop(stream);
    // The saved checkpoint survives a restart as JSON.
    let saved = serde_json::to_string(&checkpoint).unwrap();
    let checkpoint: Checkpoint = serde_json::from_str(&saved).unwrap();
    let t = Scripted::new(vec![pins_page(&["4", "5"], Some("b3")), pins_page(&["6"], None)]);
    let c = client(&t);
    let rest: Vec<String> = c.pins().list().stream_from(&checkpoint).map_ok(|p| p.id).try_collect().await.unwrap();
    assert_eq!(rest, ["5", "6"], "item 4 was handed out before the crash");
    assert!(t.seen()[0].query().contains(&("bookmark".into(), "b2".into())));
    seen.extend(rest);
    assert_eq!(seen, ["1", "2", "3", "4", "5", "6"]);
}

#[test]
fn the_blocking_iterator_resumes_the_same_way() {
    let t = Scripted::new(vec![pins_page(&["4", "5"], Some("b3")), pins_page(&["6"], None)]);
    let c = pinterest_sdk::blocking::Client::builder()
        .access_token(AccessToken::new("t"))
        .transport(t.clone())
        .build()
        .unwrap();
    let mut items = c.pins().list().iter_from(&Checkpoint::new(Some("b2".into()), 1));
    assert_eq!(items.next().unwrap().unwrap().id, "5");
    assert_eq!(items.checkpoint(), Checkpoint::new(Some("b3".into()), 0), "page done: on from the next");
    assert_eq!(items.next().unwrap().unwrap().id, "6");
    assert!(items.next().is_none());
    let t = Scripted::new(vec![pins_page(&["6"], None)]);
    let c = pinterest_sdk::blocking::Client::builder()
        .access_token(AccessToken::new("t"))
        .transport(t.clone())
        .build()
        .unwrap();
    let pages: Vec<_> = c.pins().list().bookmark("b3").pages().map(|p| p.unwrap().requested_with).collect();
    assert_eq!(pages, [Some("b3".to_owned())]);
}
