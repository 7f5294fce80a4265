//! pinterest-sdk against the emulator, over real HTTP: the OAuth flow,
//! every stateful operation, token rotation, single-flight refresh, and what
//! the SDK does with each fault.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure is the signal

use std::sync::Arc;
use std::time::Duration;

use futures_util::TryStreamExt;
use pinterest_emulator::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Emulator, EmulatorHandle, Fault, FaultKind};
use pinterest_sdk::auth::{MemoryTokenStore, RefreshingTokenSource, TokenSet};
use pinterest_sdk::media::VideoSource;
use pinterest_sdk::oauth::{OAuth, Scope};
use pinterest_sdk::retry::RetryPolicy;
use pinterest_sdk::secret::AccessToken;
use pinterest_sdk::{Client, Config, Error, models};

const ORGANIC: &[Scope] = &[
    Scope::UserAccountsRead,
    Scope::BoardsRead,
    Scope::BoardsWrite,
    Scope::PinsRead,
    Scope::PinsWrite,
    Scope::BoardsReadSecret,
    Scope::PinsReadSecret,
];

fn config(e: &EmulatorHandle) -> Config {
    config_builder(e).build().unwrap()
}

fn config_builder(e: &EmulatorHandle) -> pinterest_sdk::config::ConfigBuilder {
    Config::builder()
        .api_host(&e.base_url())
        .oauth_host(&e.base_url())
        .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(10)))
}

fn oauth(e: &EmulatorHandle) -> OAuth {
    OAuth::builder(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
        .config(config(e))
        .scopes(ORGANIC.to_vec())
        .pkce(true)
        .build()
        .unwrap()
}

/// The redirect the consent page answers with (auto-approve).
async fn consent(url: &url::Url) -> String {
    pinterest_sdk::internal::install_crypto_provider();
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = browser.get(url.as_str()).send().await.unwrap();
    r.headers()["location"].to_str().unwrap().to_owned()
}

async fn login(e: &EmulatorHandle) -> (OAuth, TokenSet) {
    let oauth = oauth(e);
    let (url, pending) = oauth.authorization_url();
    let redirect = consent(&url).await;
    let tokens = oauth.exchange_redirect(&pending, &redirect).await.unwrap();
    (oauth, tokens)
}

fn client(e: &EmulatorHandle, token: &AccessToken) -> Client {
    Client::builder().config(config(e)).access_token(token.clone()).build().unwrap()
}

#[tokio::test]
async fn the_whole_oauth_flow() {
    let e = Emulator::builder().auto_approve(true).start().await.unwrap();
    let (oauth, tokens) = login(&e).await;
    assert_eq!(tokens.response_type.as_deref(), Some("authorization_code"));
    assert!(tokens.scopes.contains(&Scope::PinsWrite));
    let c = client(&e, &tokens.access_token);
    assert_eq!(c.user_account().get().send().await.unwrap().username.as_deref(), Some("emulator_user"));
    // Refresh rotates; the new token works; revocation ends it.
    let refreshed = oauth.refresh(&tokens).await.unwrap();
    assert!(!refreshed.refresh_token.as_ref().unwrap().ct_eq(tokens.refresh_token.as_ref().unwrap()));
    let c = client(&e, &refreshed.access_token);
    c.pins().list().send().await.unwrap();
    oauth.revoke(pinterest_sdk::oauth::RevocableToken::Access(&refreshed.access_token)).await.unwrap();
    assert!(c.pins().list().send().await.unwrap_err().needs_reauthorization());
    // Client credentials and a conversion token.
    let app = oauth.client_credentials(&[Scope::AdsRead, Scope::AdsWrite]).await.unwrap();
    assert!(app.refresh_token.is_none());
    let conv = oauth.conversion_token(&app.access_token).await.unwrap();
    assert!(conv.access_token.expose_secret().starts_with("pina_"));
}

/// The SDK's code flow with PKCE and without: both get working tokens
/// (the emulator refuses only a mix of the two, see `tests/attacks.rs`),
/// and so does a video upload with an admin token set on the emulator.
#[tokio::test]
async fn the_code_flow_with_and_without_pkce() {
    let e = Emulator::builder().auto_approve(true).admin_token("adm-only-for-admin-routes").start().await.unwrap();
    for pkce in [true, false] {
        let oauth = OAuth::builder(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
            .config(config(&e))
            .scopes(ORGANIC.to_vec())
            .pkce(pkce)
            .build()
            .unwrap();
        let (url, pending) = oauth.authorization_url();
        assert_eq!(url.query_pairs().any(|(k, _)| k == "code_challenge"), pkce);
        let redirect = consent(&url).await;
        let tokens = oauth.exchange_redirect(&pending, &redirect).await.unwrap();
        let c = client(&e, &tokens.access_token);
        assert_eq!(c.user_account().get().send().await.unwrap().username.as_deref(), Some("emulator_user"), "{pkce}");
        let uploaded = upload(&c, "clip.mp4").await.unwrap();
        assert_eq!(uploaded.status, models::MediaUploadStatus::Succeeded);
    }
}

#[test]
fn the_whole_oauth_flow_blocking() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let e = rt.block_on(Emulator::builder().auto_approve(true).start()).unwrap();
    let oauth = pinterest_sdk::blocking::OAuth::from_async(oauth(&e)).unwrap();
    let (url, pending) = oauth.authorization_url();
    let redirect = rt.block_on(consent(&url));
    let tokens = oauth.exchange_redirect(&pending, &redirect).unwrap();
    let c = pinterest_sdk::blocking::Client::builder()
        .config(config(&e))
        .access_token(tokens.access_token.clone())
        .build()
        .unwrap();
    assert_eq!(c.user_account().get().send().unwrap().username.as_deref(), Some("emulator_user"));
    let board = c.boards().create(models::BoardCreate::new("Blocking").description("made blocking")).send().unwrap();
    let pin = models::PinCreate::new(&board.id, models::PinMediaSource::image_url("https://example.com/a.jpg"));
    let pin = c.pins().create(pin).send().unwrap();
    let ids: Vec<String> = c.boards().list_pins(&board.id).page_size(1).iter().map(|p| p.unwrap().id).collect();
    assert_eq!(ids, vec![pin.id.clone()]);
    let all: usize = c.pins().list().page_size(2).pages().map(|p| p.unwrap().items.len()).sum();
    assert_eq!(all, 7, "6 seeded (the secret one visible with the scope) + 1");
    c.pins().delete(&pin.id).send().unwrap();
    c.boards().delete(&board.id).send().unwrap();
    let refreshed = oauth.refresh(&tokens).unwrap();
    assert!(refreshed.refresh_token.is_some());
    drop(c);
    rt.block_on(e.shutdown());
}

#[tokio::test]
async fn every_stateful_operation_round_trips() {
    let e = Emulator::builder().auto_approve(true).media_processing_polls(1).start().await.unwrap();
    let (_, tokens) = login(&e).await;
    let c = client(&e, &tokens.access_token);

    // User account.
    let me = c.user_account().get().send().await.unwrap();
    assert_eq!(me.username.as_deref(), Some("emulator_user"));
    let (start, end) = (date(2025, 1, 1), date(2025, 1, 31));
    let analytics = c.user_account().get_analytics().start_date(start).end_date(end).send().await.unwrap();
    assert!(analytics.contains_key("all"));
    let top = c.user_account().get_top_pins().start_date(start).end_date(end).sort_by("IMPRESSION").send().await;
    assert!(!top.unwrap().pins.unwrap_or_default().is_empty());
    c.user_account().get_top_video_pins().start_date(start).end_date(end).sort_by("IMPRESSION").send().await.unwrap();
    let followers: Vec<_> = c.user_account().list_followers().stream().try_collect().await.unwrap();
    assert_eq!(followers.len(), 3);
    let following = c.user_account().list_following().send().await.unwrap();
    assert_eq!(following.items.len(), 2);
    assert_eq!(c.user_account().list_websites().send().await.unwrap().items.len(), 1);

    // Boards: create, get, update (clearing the description with an explicit null), list, delete.
    let board = c.boards().create(models::BoardCreate::new("Round trip").description("first")).send().await.unwrap();
    assert_eq!(c.boards().get(&board.id).send().await.unwrap().name, "Round trip");
    let u = models::BoardWithUpdatePrivacyUpdate::new().name("Renamed").clear_description();
    let updated = c.boards().update(&board.id, u).send().await.unwrap();
    assert_eq!((updated.name.as_str(), updated.description.as_deref()), ("Renamed", None));
    let boards: Vec<_> = c.boards().list().page_size(1).stream().try_collect().await.unwrap();
    assert!(boards.iter().any(|x| x.id == board.id));
    assert!(boards.iter().any(|x| x.name == "Drafts"), "the secret board, with boards:read_secret");

    // Sections.
    let section = c.boards().create_section(&board.id, models::BoardSection::new("Part one")).send().await.unwrap();
    let section_id = section.id.clone().unwrap();
    let renamed =
        c.boards().update_section(&board.id, &section_id, models::BoardSection::new("Part 1")).send().await.unwrap();
    assert_eq!(renamed.name, "Part 1");
    let sections = c.boards().list_sections(&board.id).send().await.unwrap();
    assert_eq!(sections.items.len(), 1);

    // Pins: create into the section, get, update, list by board and section, save, analytics, delete.
    let p = models::PinCreate::new(&board.id, models::PinMediaSource::image_url("https://example.com/cake.jpg"))
        .board_section_id(&section_id)
        .title("Lemon cake");
    let pin = c.pins().create(p).send().await.unwrap();
    assert!(matches!(pin.media, Some(models::PinMedia::Image(_))));
    assert_eq!(c.pins().get(&pin.id).send().await.unwrap().title.as_deref(), Some("Lemon cake"));
    let found: Vec<_> = c.search().pins("lemon").stream().try_collect().await.unwrap();
    assert!(found.iter().any(|x| x.id == pin.id));
    let pu = models::PinUpdate::new().clear_title().link("https://example.com/recipe");
    let pin2 = c.pins().update(&pin.id, pu).send().await.unwrap();
    assert_eq!((pin2.title.as_deref(), pin2.link.as_deref()), (None, Some("https://example.com/recipe")));
    assert_eq!(c.boards().list_pins(&board.id).send().await.unwrap().items.len(), 1);
    assert_eq!(c.boards().list_section_pins(&board.id, &section_id).send().await.unwrap().items.len(), 1);
    let saved = c.pins().save(&pin.id, models::PinsSaveBody::new().board_id(&board.id)).send().await.unwrap();
    assert_eq!(saved.parent_pin_id.as_deref(), Some(pin.id.as_str()));
    let stats = c
        .pins()
        .get_analytics(&pin.id)
        .start_date(start)
        .end_date(end)
        .metric_types(["IMPRESSION", "SAVE"])
        .send()
        .await
        .unwrap();
    assert!(stats["all"].summary_metrics.as_ref().unwrap().contains_key("SAVE"));

    // Search (Pins above, before the title was cleared).
    let found = c.search().boards().query("renamed").send().await.unwrap();
    assert_eq!(found.items.len(), 1);

    // Media: register, upload to the emulator's storage endpoint, wait, make a video Pin.
    let uploaded = upload(&c, "clip.mp4").await.unwrap();
    assert_eq!(uploaded.status, models::MediaUploadStatus::Succeeded);
    let vp = models::PinCreate::new(&board.id, models::PinMediaSource::video_id(&uploaded.media_id));
    let video_pin = c.pins().create(vp).send().await.unwrap();
    assert!(matches!(video_pin.media, Some(models::PinMedia::Video(_))));
    // The seeded world's video, and this one.
    let media = c.media().list().send().await.unwrap().items;
    assert_eq!(media.len(), 2);
    assert!(media.iter().any(|m| m.media_id == uploaded.media_id));
    let failing = c
        .media()
        .upload_video(VideoSource::bytes(bytes::Bytes::from_static(b"x"), "will-fail.mp4"))
        .poll_interval(Duration::from_millis(10))
        .send()
        .await;
    assert!(matches!(failing, Err(Error::MediaFailed { .. })));

    // Deletions.
    c.pins().delete(&pin.id).send().await.unwrap();
    assert_eq!(c.pins().get(&pin.id).send().await.unwrap_err().status(), Some(http::StatusCode::NOT_FOUND));
    c.boards().delete_section(&board.id, &section_id).send().await.unwrap();
    c.boards().delete(&board.id).send().await.unwrap();
    assert_eq!(c.boards().get(&board.id).send().await.unwrap_err().status(), Some(http::StatusCode::NOT_FOUND));
}

#[tokio::test]
async fn rotation_and_family_revocation_through_the_sdk() {
    let e = Emulator::builder().auto_approve(true).start().await.unwrap();
    let (oauth, first) = login(&e).await;
    let second = oauth.refresh(&first).await.unwrap();
    let third = oauth.refresh(&second).await.unwrap();
    client(&e, &third.access_token).pins().list().send().await.unwrap();
    // Someone replays the first refresh token: the family is revoked.
    let err = oauth.refresh(&first).await.unwrap_err();
    assert!(matches!(err, Error::ReauthorizationRequired(_)), "{err:?}");
    assert!(client(&e, &third.access_token).pins().list().send().await.unwrap_err().needs_reauthorization());
    assert!(matches!(oauth.refresh(&third).await, Err(Error::ReauthorizationRequired(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_calls_on_an_expired_token_make_one_token_request() {
    let e = Emulator::builder().auto_approve(true).start().await.unwrap();
    let (oauth, mut tokens) = login(&e).await;
    tokens.expires_at = Some(tokens.received_at.saturating_sub(1)); // as if it had expired
    let source = Arc::new(
        RefreshingTokenSource::builder(oauth)
            .tokens(tokens)
            .store(Arc::new(MemoryTokenStore::new()), "me")
            .build()
            .unwrap(),
    );
    let c = Client::builder().config(config(&e)).token_source(source.clone()).build().unwrap();
    let before = e.token_requests(Some("refresh_token"));
    let calls: Vec<_> = (0..100)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.pins().list().send().await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(e.token_requests(Some("refresh_token")) - before, 1);
    let logged = e.requests().iter().filter(|r| r.grant_type.as_deref() == Some("refresh_token")).count();
    assert_eq!(logged, 1, "the request log agrees");
    assert_eq!(e.requests().iter().filter(|r| r.operation.as_deref() == Some("pins/list")).count(), 100);
}

async fn with_fault(kind: FaultKind, route: &str, retry_after: Option<u64>) -> (EmulatorHandle, Client) {
    let e = Emulator::builder().start().await.unwrap();
    let token = AccessToken::new(e.issue_token(&["pins:read", "pins:write", "boards:read", "boards:write"]));
    let c = client(&e, &token);
    let mut f = Fault::once(route, kind);
    f.retry_after = retry_after;
    f.latency_ms = Some(400);
    e.add_fault(f);
    (e, c)
}

fn sent(e: &EmulatorHandle, op: &str) -> usize {
    e.requests().iter().filter(|r| r.operation.as_deref() == Some(op)).count()
}

#[tokio::test]
async fn faults_and_what_the_sdk_does_with_them() {
    // Retried and recovered on a GET.
    // (Retry-After: 0, so no test waits on the wall clock; the wait itself
    // is tested on tokio's paused clock in the SDK's transport tests.)
    for kind in [FaultKind::TooManyRequests, FaultKind::ServerError, FaultKind::Unavailable, FaultKind::Drop] {
        let (e, c) = with_fault(kind, "pins/list", Some(0)).await;
        c.pins().list().send().await.unwrap_or_else(|err| panic!("{kind:?}: {err}"));
        assert_eq!(sent(&e, "pins/list"), 2, "{kind:?}: one failure, one retry");
    }
    // The emulator's Retry-After reaches the error over a real socket.
    let (_e, c) = with_fault(FaultKind::TooManyRequests, "pins/list", Some(7)).await;
    let err = c.pins().list().retry(RetryPolicy::never()).send().await.unwrap_err();
    assert_eq!(err.api().unwrap().retry_after, Some(Duration::from_secs(7)));
    // The spam 429 is not retried.
    let (e, c) = with_fault(FaultKind::Spam, "pins/list", None).await;
    let err = c.pins().list().send().await.unwrap_err();
    assert!(err.api().unwrap().is_spam());
    assert_eq!(sent(&e, "pins/list"), 1);
    // A POST that got a 500 is not sent twice, and nothing was created.
    let (e, c) = with_fault(FaultKind::ServerError, "pins/create", None).await;
    let pins_before = e.state().pins.len();
    let board = e.state().boards.keys().next().unwrap().clone();
    let p = models::PinCreate::new(board, models::PinMediaSource::image_url("https://example.com/a.jpg"));
    assert_eq!(c.pins().create(p).send().await.unwrap_err().status(), Some(http::StatusCode::INTERNAL_SERVER_ERROR));
    assert_eq!(sent(&e, "pins/create"), 1);
    assert_eq!(e.state().pins.len(), pins_before);
    // A truncated body is a typed decode error, not retried.
    let (e, c) = with_fault(FaultKind::Truncate, "pins/list", None).await;
    let err = c.pins().list().send().await.unwrap_err();
    assert!(matches!(err, Error::Decode(_)), "{err:?}");
    assert_eq!(sent(&e, "pins/list"), 1);
    // A redirect is not followed.
    let (e, c) = with_fault(FaultKind::Redirect, "pins/list", None).await;
    assert_eq!(c.pins().list().send().await.unwrap_err().status(), Some(http::StatusCode::TEMPORARY_REDIRECT));
    assert_eq!(sent(&e, "pins/list"), 1);
    // A request held by the emulator times out over a real socket. It is
    // held until released, so the timeout must fire whatever the load; that
    // the retry after a timeout succeeds is tested on the paused clock.
    let e = Emulator::builder().start().await.unwrap();
    let mut hold = Fault::once("pins/list", FaultKind::Latency);
    hold.latency_ms = Some(120_000);
    e.add_fault(hold);
    let token = AccessToken::new(e.issue_token(&["pins:read", "boards:read"]));
    let impatient = Client::builder()
        .config(config_builder(&e).attempt_timeout(Duration::from_millis(300)).build().unwrap())
        .access_token(token)
        .build()
        .unwrap();
    let err = impatient.pins().list().retry(RetryPolicy::never()).send().await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    e.release_delayed();
    assert_eq!(sent(&e, "pins/list"), 1);
    // A redirect from the token endpoint: the code goes out once.
    let e = Emulator::builder().auto_approve(true).start().await.unwrap();
    e.add_fault(Fault::once("oauth/token", FaultKind::Redirect));
    let oauth = oauth(&e);
    let (url, pending) = oauth.authorization_url();
    let redirect = consent(&url).await;
    let err = oauth.exchange_redirect(&pending, &redirect).await.unwrap_err();
    assert_eq!(err.status(), Some(http::StatusCode::TEMPORARY_REDIRECT));
    assert_eq!(sent(&e, "oauth/token"), 1, "the code was sent once and the redirect not followed");
}

/// Each transport does what the SDK relies on: requests and bodies (JSON,
/// multipart) as sent, pagination, no redirect followed, a dropped
/// connection classified so that a GET is retried, a truncated body
/// reported as a decode error. The default (hyper, built by the client
/// builder) and reqwest (feature `reqwest`) both pass.
#[tokio::test]
async fn both_transports_do_what_the_client_relies_on() {
    for reqwest in [false, true] {
        transport_contract(reqwest).await;
    }
}

async fn transport_contract(reqwest: bool) {
    use pinterest_sdk::transport::ReqwestTransport;
    let hyper_client = |e: &EmulatorHandle, token: &AccessToken| {
        let config = config(e);
        let builder = if reqwest {
            Client::builder().transport(ReqwestTransport::new(&config).unwrap())
        } else {
            Client::builder()
        };
        builder.config(config).access_token(token.clone()).build().unwrap()
    };
    let e = Emulator::builder().media_processing_polls(1).start().await.unwrap();
    let token = AccessToken::new(e.issue_token(&[
        "user_accounts:read",
        "boards:read",
        "boards:write",
        "pins:read",
        "pins:write",
    ]));
    let c = hyper_client(&e, &token);
    assert_eq!(c.user_account().get().send().await.unwrap().username.as_deref(), Some("emulator_user"));
    let board = c.boards().create(models::BoardCreate::new("Over the transport")).send().await.unwrap();
    let boards: Vec<models::Board> = c.boards().list().page_size(1).stream().try_collect().await.unwrap();
    assert!(boards.len() >= 2 && boards.iter().any(|b| b.id == board.id), "paged one board at a time");
    let uploaded = upload(&c, "clip.mp4").await.unwrap();
    assert_eq!(uploaded.status, models::MediaUploadStatus::Succeeded);

    for (kind, want) in [(FaultKind::Drop, 2), (FaultKind::Redirect, 1), (FaultKind::Truncate, 1)] {
        e.clear_faults();
        let before = sent(&e, "pins/list");
        e.add_fault(Fault::once("pins/list", kind));
        let result = c.pins().list().send().await;
        match kind {
            FaultKind::Drop => assert!(result.is_ok(), "retried after the dropped connection: {result:?}"),
            FaultKind::Redirect => {
                assert_eq!(result.unwrap_err().status(), Some(http::StatusCode::TEMPORARY_REDIRECT))
            }
            _ => assert!(matches!(result, Err(Error::Decode(_))), "{result:?}"),
        }
        assert_eq!(sent(&e, "pins/list") - before, want, "{kind:?} (reqwest: {reqwest})");
    }
    e.shutdown().await;
}

fn date(y: i32, m: u32, d: u32) -> models::Date {
    models::Date::from_ymd_opt(y, m, d).unwrap()
}

/// Uploads a few bytes as a video (the emulator fails files named `*fail*`).
async fn upload(c: &Client, name: &str) -> pinterest_sdk::Result<pinterest_sdk::media::UploadedMedia> {
    let source = VideoSource::bytes(bytes::Bytes::from_static(b"not really an mp4"), name);
    c.media().upload_video(source).poll_interval(Duration::from_millis(10)).send().await
}

/// `execute_json` gives the answer as Pinterest sent it (nulls and fields
/// the SDK does not model included), after checking it against the
/// operation's schema; a 4xx is the same typed error as `send`.
#[tokio::test]
async fn execute_json_keeps_the_answer_as_sent() {
    let e = Emulator::builder().start().await.unwrap();
    let token = AccessToken::new(e.issue_token(&["pins:read", "boards:read"]));
    let c = client(&e, &token);
    let pin = c.pins().list().send().await.unwrap().items.remove(0);
    let raw: serde_json::Value = c.request(http::Method::GET, format!("/pins/{}", pin.id)).send().await.unwrap();
    let got = c.execute_json(&c.pins().get(pin.id.as_str())).await.unwrap();
    assert_eq!(got.meta.status, http::StatusCode::OK);
    assert_eq!(got.value, raw);
    assert!(got.value.as_object().unwrap().values().any(serde_json::Value::is_null), "{}", got.value);
    let err = c.execute_json(&c.pins().get("999")).await.unwrap_err();
    assert_eq!(err.status(), Some(http::StatusCode::NOT_FOUND));
    assert_eq!(err.api().map(|a| a.operation), Some("pins/get"));
    e.shutdown().await;
}
