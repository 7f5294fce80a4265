//! What Pinterest's own api-quickstart sends, byte for byte in the parts that
//! matter, against the emulator: the consent URL with `consumer_id` and
//! `refreshable=True`, comma-separated scopes, the redirect URI
//! `http://localhost:8085/` left unencoded, a 64-hex `state`; the code
//! exchange as a form with HTTP Basic client auth; the `refresh_on` flag on
//! refresh; `client_credentials` with comma-joined scopes; then boards,
//! Pins and related terms read with a bare `Authorization: Bearer`, paging
//! with the raw bookmark appended to the URL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure is the signal

use base64::Engine as _;
use pinterest_emulator::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Emulator, EmulatorHandle};
use serde_json::Value;

fn http() -> reqwest::Client {
    pinterest_sdk::internal::install_crypto_provider();
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn basic() -> String {
    let pair = format!("{DEMO_CLIENT_ID}:{DEMO_CLIENT_SECRET}");
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair))
}

/// The quickstart's consent URL, as its Python `user_auth.py` writes it.
fn quickstart_consent_url(e: &EmulatorHandle, state: &str, scopes: &str) -> String {
    format!(
        "{}/oauth/?consumer_id={DEMO_CLIENT_ID}&redirect_uri=http://localhost:8085/&response_type=code&refreshable=True&scope={scopes}&state={state}",
        e.oauth_base()
    )
}

async fn token(e: &EmulatorHandle, form: &[(&str, &str)]) -> (u16, Value) {
    let r = http()
        .post(format!("{}/v5/oauth/token", e.base_url()))
        .header("authorization", basic())
        .form(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

async fn get(e: &EmulatorHandle, token: &str, path_and_query: &str) -> Value {
    let r = http()
        .get(format!("{}/v5{path_and_query}", e.base_url()))
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{path_and_query}");
    r.json().await.unwrap()
}

#[tokio::test]
async fn the_quickstart_logs_in_and_reads_boards_pins_and_terms() {
    let e = Emulator::builder().auto_approve(true).seed(11).start().await.unwrap();
    let state = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    let url = quickstart_consent_url(&e, state, "ads:read,boards:read,pins:read,user_accounts:read");
    let r = http().get(&url).send().await.unwrap();
    assert_eq!(r.status(), 302, "{:?}", r.text().await);
    let location = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(location.as_str().split('?').next(), Some("http://localhost:8085/"));
    let q: std::collections::BTreeMap<String, String> = location.query_pairs().into_owned().collect();
    assert_eq!(q["state"], state);
    let code = q["code"].clone();

    let (status, tokens) =
        token(&e, &[("code", &code), ("redirect_uri", "http://localhost:8085/"), ("grant_type", "authorization_code")])
            .await;
    assert_eq!(status, 200, "{tokens}");
    // The fields the quickstart reads; it raises without `scope`.
    for field in ["access_token", "refresh_token", "scope", "response_type", "expires_in"] {
        assert!(!tokens[field].is_null(), "{field} missing: {tokens}");
    }
    let access = tokens["access_token"].as_str().unwrap().to_owned();

    // Its refresh sends `refresh_on=True` and keeps the rotated token.
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let (status, refreshed) =
        token(&e, &[("grant_type", "refresh_token"), ("refresh_token", refresh), ("refresh_on", "True")]).await;
    assert_eq!(status, 200, "{refreshed}");
    assert_ne!(refreshed["refresh_token"], tokens["refresh_token"]);
    let access2 = refreshed["access_token"].as_str().unwrap().to_owned();
    assert_ne!(access2, access);

    // Client credentials, scopes joined with commas.
    let (status, cc) = token(&e, &[("grant_type", "client_credentials"), ("scope", "ads:read,boards:read")]).await;
    assert_eq!(status, 200, "{cc}");
    assert_eq!(cc["scope"], "ads:read boards:read");

    // Boards, then each board's Pins, paging with the raw bookmark.
    let me = get(&e, &access2, "/user_account").await;
    assert_eq!(me["username"], "emulator_user");
    let boards = get(&e, &access2, "/boards?page_size=1").await;
    assert_eq!(boards["items"].as_array().unwrap().len(), 1);
    let mut board_names = vec![boards["items"][0]["name"].clone()];
    let mut bookmark = boards["bookmark"].as_str().map(str::to_owned);
    while let Some(b) = bookmark {
        let page = get(&e, &access2, &format!("/boards?page_size=1&bookmark={b}")).await;
        board_names.extend(page["items"].as_array().unwrap().iter().map(|x| x["name"].clone()));
        bookmark = page["bookmark"].as_str().map(str::to_owned);
    }
    assert_eq!(board_names.len(), 2, "the public boards (no read_secret scope): {board_names:?}");
    let board = boards["items"][0]["id"].as_str().unwrap();
    let pins = get(&e, &access2, &format!("/boards/{board}/pins")).await;
    let first = &pins["items"][0];
    // The quickstart picks the largest image from `media.images`.
    assert!(first["media"]["images"].as_object().is_some_and(|m| !m.is_empty()), "{first}");
    let pin = get(&e, &access2, &format!("/pins/{}", first["id"].as_str().unwrap())).await;
    assert_eq!(pin["id"], first["id"]);

    // User analytics with the metrics it asks for, commas unencoded.
    let analytics = get(
        &e,
        &access2,
        "/user_account/analytics?start_date=2025-01-01&end_date=2025-01-07&metric_types=IMPRESSION,PIN_CLICK_RATE",
    )
    .await;
    let day = &analytics["all"]["daily_metrics"][0]["metrics"];
    let names: Vec<&String> = day.as_object().unwrap().keys().collect();
    assert_eq!(names, ["IMPRESSION", "PIN_CLICK_RATE"], "{analytics}");

    // Related terms: the quickstart reads `id` and each list's `term`.
    let terms = get(&e, &access2, "/terms/related?terms=cake,bread").await;
    assert_eq!(terms["id"], "cake", "{terms}");
    let lists = terms["related_terms_list"].as_array().unwrap();
    assert_eq!(lists.iter().map(|l| l["term"].clone()).collect::<Vec<_>>(), ["cake", "bread"]);
    let count: usize = lists.iter().map(|l| l["related_terms"].as_array().unwrap().len()).sum();
    assert_eq!(terms["related_term_count"], count);

    // The auth scheme's name is case-insensitive.
    let r = http()
        .get(format!("{}/v5/user_account", e.base_url()))
        .header("authorization", format!("bearer {access2}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    e.shutdown().await;
}

#[tokio::test]
async fn consumer_id_and_client_id_must_agree() {
    let e = Emulator::builder().auto_approve(true).start().await.unwrap();
    let base = quickstart_consent_url(&e, "s", "boards:read");
    let r = http().get(format!("{base}&client_id=someone-else")).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none(), "never redirected");
    // An unknown consumer_id is an unknown app: an error page, no redirect.
    let r = http().get(base.replace(DEMO_CLIENT_ID, "999")).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("Unknown app"));
    // The same id under both names is fine.
    let r = http().get(format!("{base}&client_id={DEMO_CLIENT_ID}")).send().await.unwrap();
    assert_eq!(r.status(), 302);
    e.shutdown().await;
}
