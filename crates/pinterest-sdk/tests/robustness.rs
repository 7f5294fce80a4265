//! Hostile and malformed input never panics: every decoder and parser the
//! SDK runs on data from the network, a file or a user gets random bytes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure is the signal

mod support;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use pinterest_sdk::oauth::{OAuth, Scope};
use pinterest_sdk::{ApiError, Operation};
use rand::{Rng, SeedableRng};

fn inputs() -> Vec<Vec<u8>> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(99);
    let mut out: Vec<Vec<u8>> = [
        &b""[..],
        b"null",
        b"{",
        b"[",
        b"{\"items\":",
        b"{\"items\":[{\"id\":1}]}",
        b"{\"media\":{\"media_type\":\"video\",\"cover_image_url\":5}}",
        b"\xff\xfe\x00",
        b"{\"code\":\"NaN\",\"message\":[1]}",
        b"\"just a string\"",
        b"9999999999999999999999999999",
        b"{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{}}}}}}}}",
    ]
    .iter()
    .map(|b| b.to_vec())
    .collect();
    for _ in 0..400 {
        let len = rng.random_range(0..200);
        out.push((0..len).map(|_| rng.random::<u8>()).collect());
    }
    // Deep nesting that would overflow a naive recursive parser.
    out.push(vec![b'['; 100_000]);
    out
}

#[test]
fn decoders_never_panic() {
    use pinterest_sdk::ops;
    for input in inputs() {
        let body = Bytes::from(input.clone());
        for status in [StatusCode::OK, StatusCode::CREATED, StatusCode::NO_CONTENT] {
            let _ = <ops::pins::PinsGet as Operation>::decode(status, body.clone());
            let _ = <ops::pins::PinsList as Operation>::decode(status, body.clone());
            let _ = <ops::boards::BoardsList as Operation>::decode(status, body.clone());
            let _ = <ops::oauth::OauthCreateToken as Operation>::decode(status, body.clone());
            #[cfg(feature = "full")]
            {
                let _ = <ops::catalog_items::CatalogItemsGetBatch as Operation>::decode(status, body.clone());
                let _ = <ops::ad_accounts::AdAccountsGetAnalytics as Operation>::decode(status, body.clone());
                let _ = <ops::ad_accounts::AdAccountsDeleteSandbox as Operation>::decode(status, body.clone());
            }
        }
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_bytes(b"Wed, 99 Foo 2026").unwrap());
        headers.insert("x-ratelimit-limit", HeaderValue::from_static("x;w=;"));
        let e = ApiError::from_response("x", StatusCode::TOO_MANY_REQUESTS, &headers, &input);
        let _ = (e.is_spam(), e.is_invalid_grant(), e.to_string());
    }
}

#[test]
fn redirect_and_scope_parsing_never_panic() {
    let oauth = OAuth::builder("1", "s").build().unwrap();
    for input in inputs() {
        let text = String::from_utf8_lossy(&input).into_owned();
        let (_, pending) = oauth.authorization_url();
        let _ = pending.verify_redirect(&text);
        let (_, pending) = oauth.authorization_url();
        let _ = pending.verify_redirect(&format!("https://localhost/?{text}"));
        let _ = Scope::split(&text);
        let _ = pinterest_sdk::registry::route("GET", &text);
        let _: Result<pinterest_sdk::auth::TokenSet, _> = serde_json::from_slice(&input);
    }
}

#[test]
fn the_scope_enum_matches_the_spec() {
    let Some(spec) = support::spec() else { return };
    let flows = spec.pointer("/components/securitySchemes/pinterest_oauth2/flows/authorizationCode/scopes").unwrap();
    let mut in_spec: Vec<&str> = flows.as_object().unwrap().keys().map(String::as_str).collect();
    in_spec.sort();
    let mut ours: Vec<&str> = Scope::ALL.iter().map(Scope::as_str).collect();
    ours.sort();
    assert_eq!(ours, in_spec);
    assert_eq!(ours.len(), 19);
}
