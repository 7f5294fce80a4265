//! Hostile and malformed input gets the typed error it must, and never a
//! panic: every decoder and parser the SDK runs on data from the network, a
//! file or a user gets random bytes, and each result is checked against an
//! oracle (serde itself for the decoders, the OAuth rules for redirects).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure is the signal

mod support;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use pinterest_sdk::oauth::{OAuth, OAuthError, Scope};
use pinterest_sdk::{ApiError, Error, Operation};
use rand::{Rng, SeedableRng};
use serde::de::DeserializeOwned;

const DEEP: usize = 100_000;

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
    out.push(vec![b'['; DEEP]);
    out
}

/// A JSON operation's `decode` succeeds exactly when serde decodes the body
/// into its output type; otherwise it is an `Error::Decode` naming the
/// operation, the status and a path, with the start of the body kept for
/// diagnosis.
fn decodes_like_serde<O: Operation>(input: &[u8], status: StatusCode)
where
    O::Output: DeserializeOwned + std::fmt::Debug,
{
    let got = O::decode(status, Bytes::copy_from_slice(input));
    let oracle = serde_json::from_slice::<O::Output>(input);
    match (got, oracle) {
        (Ok(_), Ok(_)) => {}
        (Err(Error::Decode(e)), Err(serde_error)) => {
            assert_eq!((e.operation, e.status), (O::ID, status));
            assert!(!e.path.is_empty());
            let kept = input.len().min(pinterest_sdk::DecodeError::MAX_KEPT_BODY);
            assert!(e.body[..] == input[..kept], "the start of the body is kept for diagnosis");
            assert_eq!(e.body_len, input.len());
            let source = std::error::Error::source(&*e).expect("the serde error is the source").to_string();
            assert_eq!(source, serde_error.to_string(), "{}", O::ID);
        }
        (got, oracle) => panic!("{} on {:?}: decoded {got:?}, serde says {oracle:?}", O::ID, lossy(input)),
    }
}

fn lossy(input: &[u8]) -> String {
    String::from_utf8_lossy(&input[..input.len().min(80)]).into_owned()
}

#[test]
fn decoders_give_serdes_answer_as_a_typed_error() {
    use pinterest_sdk::ops;
    for input in inputs() {
        for status in [StatusCode::OK, StatusCode::CREATED, StatusCode::NO_CONTENT] {
            decodes_like_serde::<ops::pins::PinsGet>(&input, status);
            decodes_like_serde::<ops::pins::PinsList>(&input, status);
            decodes_like_serde::<ops::boards::BoardsList>(&input, status);
            #[cfg(feature = "full")]
            {
                decodes_like_serde::<ops::catalog_items::CatalogItemsGetBatch>(&input, status);
                decodes_like_serde::<ops::ad_accounts::AdAccountsGetAnalytics>(&input, status);
                // An operation whose body the spec types as text: a JSON
                // string, else any UTF-8, else a decode error.
                let got = <ops::ad_accounts::AdAccountsDeleteSandbox as Operation>::decode(
                    status,
                    Bytes::from(input.clone()),
                );
                match (got, std::str::from_utf8(&input)) {
                    (Ok(text), Ok(raw)) => {
                        let expected = serde_json::from_slice::<String>(&input).unwrap_or_else(|_| raw.to_owned());
                        assert_eq!(text, expected);
                    }
                    (Err(Error::Decode(e)), Err(_)) => assert_eq!(e.path, "."),
                    (got, raw) => panic!("text decode of {:?}: {got:?} (utf-8: {})", lossy(&input), raw.is_ok()),
                }
            }
        }
        // The token endpoint's body carries secrets: on failure it is not kept.
        let got = <ops::oauth::OauthCreateToken as Operation>::decode(StatusCode::OK, Bytes::from(input.clone()));
        let oracle = serde_json::from_slice::<<ops::oauth::OauthCreateToken as Operation>::Output>(&input).is_ok();
        match got {
            Ok(_) => assert!(oracle),
            Err(Error::Decode(e)) => {
                assert!(!oracle);
                assert!(e.body.is_empty(), "a token response is never kept");
            }
            Err(other) => panic!("token decode: {other:?}"),
        }
    }
}

#[test]
fn the_named_hostile_bodies_get_their_errors() {
    use pinterest_sdk::ops::pins::{PinsGet, PinsList};
    let decode_error = |r: pinterest_sdk::Result<_>| match r {
        Err(Error::Decode(e)) => e,
        other => panic!("expected a decode error, got {other:?}"),
    };
    // 100,000 `[` where any JSON may stand (a Pin's `pin_metrics` values):
    // serde's recursion limit, not a stack overflow.
    let mut deep = b"{\"id\":\"1\",\"pin_metrics\":{\"m\":".to_vec();
    deep.extend(vec![b'['; DEEP]);
    let e = decode_error(<PinsGet as Operation>::decode(StatusCode::OK, Bytes::from(deep)).map(|_| ()));
    assert!(std::error::Error::source(&*e).unwrap().to_string().contains("recursion limit"), "{e}");
    // Where a Pin must stand, the first `[` is already the wrong type.
    let e = decode_error(<PinsGet as Operation>::decode(StatusCode::OK, Bytes::from(vec![b'['; DEEP])).map(|_| ()));
    assert!(std::error::Error::source(&*e).unwrap().to_string().contains("invalid type: sequence"), "{e}");
    // A wrong type deep inside a page names its path.
    let e = decode_error(
        <PinsList as Operation>::decode(StatusCode::OK, Bytes::from_static(b"{\"items\":[{\"id\":1}]}")).map(|_| ()),
    );
    assert_eq!(e.path, "items[0].id");
    // An empty 200 is not a Pin.
    let e = decode_error(<PinsGet as Operation>::decode(StatusCode::OK, Bytes::new()).map(|_| ()));
    assert_eq!(e.path, ".");
    assert!(e.to_string().contains("`pins/get`"), "{e}");
}

#[test]
fn error_bodies_become_api_errors_whatever_they_hold() {
    for input in inputs() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_bytes(b"Wed, 99 Foo 2026").unwrap());
        headers.insert("x-ratelimit-limit", HeaderValue::from_static("x;w=;"));
        let e = ApiError::from_response("x", StatusCode::TOO_MANY_REQUESTS, &headers, &input);
        assert_eq!(e.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(e.retry_after, None, "a Retry-After that is no date is ignored");
        #[derive(serde::Deserialize)]
        struct Shape {
            code: Option<serde_json::Value>,
            message: Option<String>,
        }
        // Pinterest's `{code, message}` is read when it is there.
        match serde_json::from_slice::<Shape>(&input) {
            Ok(Shape { message: Some(m), .. }) => assert_eq!(e.message.as_deref(), Some(m.as_str())),
            Ok(Shape { code: Some(serde_json::Value::Number(n)), .. }) => assert_eq!(e.code, n.as_i64()),
            _ => {}
        }
        let shown = e.to_string();
        assert!(shown.contains("429"), "{shown}");
        assert!(shown.len() < 4096 + 512, "what is shown is bounded: {} bytes", shown.len());
    }
}

#[test]
fn hostile_redirects_get_the_oauth_error_they_must() {
    let oauth = OAuth::builder("1", "s").build().unwrap();
    for input in inputs() {
        let text = String::from_utf8_lossy(&input).into_owned();
        // Not a redirect to the app's redirect URI at all.
        let (_, pending) = oauth.authorization_url();
        match pending.verify_redirect(&text) {
            Err(OAuthError::InvalidRedirect(_)) => {}
            other => panic!("{text:?}: {other:?}"),
        }
        // The right target with a hostile query: the random state can never
        // be guessed, so it is missing or does not match.
        let (_, pending) = oauth.authorization_url();
        let url = format!("{}?{text}", pending.redirect_uri());
        let has_state = url::Url::parse(&url).is_ok_and(|u| u.query_pairs().any(|(k, _)| k == "state"));
        match (pending.verify_redirect(&url), has_state) {
            (Err(OAuthError::StateMismatch), true) | (Err(OAuthError::MissingState), false) => {}
            (Err(OAuthError::InvalidRedirect(_)), _) if url::Url::parse(&url).is_err() => {}
            (other, _) => panic!("{url:?}: {other:?}"),
        }
    }
}

#[test]
fn scopes_routes_and_stored_tokens_parse_or_say_why() {
    for input in inputs() {
        let text = String::from_utf8_lossy(&input).into_owned();
        // Every piece of a scope list is kept: known ones typed, others as they were.
        let scopes = Scope::split(&text);
        let pieces: Vec<&str> = text.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty()).collect();
        assert_eq!(scopes.iter().map(Scope::as_str).collect::<Vec<_>>(), pieces);
        // Random bytes name no operation of the spec.
        assert!(pinterest_sdk::registry::route("GET", &text).is_none(), "{text:?}");
        // A token file that is not a token set is an error, never a default.
        let parsed: Result<pinterest_sdk::auth::TokenSet, _> = serde_json::from_slice(&input);
        assert!(parsed.is_err(), "{text:?} parsed as a token set");
    }
    // And a real route still resolves.
    let route = pinterest_sdk::registry::route("GET", "/pins/123").unwrap();
    assert_eq!(route.0.id, "pins/get");
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
