//! Property tests: random and mutated input to every parser that reads what
//! a server, a browser or a file hands the SDK. None of them may panic, and
//! each keeps the promise it makes about its output. Case counts are
//! bounded so the suite stays quick.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure is the signal

use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderValue, StatusCode};
use pinterest_sdk::ApiError;
use pinterest_sdk::oauth::{OAuth, OAuthError};
use pinterest_sdk::paginate::{Cursor, PaginationLimits};
use proptest::prelude::*;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

/// Text that a hostile party might send: any characters, with a bias
/// towards the ones that matter to URL and JSON parsers.
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[&=?#%/.a-z0-9\\\\]{0,40}",
        proptest::collection::vec(
            prop_oneof![
                Just("%"),
                Just("%2"),
                Just("%2e"),
                Just("&"),
                Just("="),
                Just("state"),
                Just("code"),
                Just("\u{0}"),
                Just("\u{1b}"),
                Just("é")
            ],
            0..20
        )
        .prop_map(|parts| parts.concat()),
    ]
}

proptest! {
    #![proptest_config(config(512))]

    /// The redirect parser never panics, and accepts a redirect only when it
    /// carries the login's state once and a non-empty code once.
    #[test]
    fn the_redirect_parser_accepts_only_a_clean_redirect(
        params in proptest::collection::vec((prop_oneof![Just("code".to_owned()), Just("state".to_owned()), Just("error".to_owned()), hostile_text()], hostile_text()), 0..6),
        with_good_state in any::<bool>(),
        noise in hostile_text(),
    ) {
        let oauth = OAuth::builder("1", "s").config(pinterest_sdk::Config::production()).build().unwrap();
        let (url, pending) = oauth.authorization_url();
        let state = url.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &params {
            query.append_pair(k, v);
        }
        if with_good_state {
            query.append_pair("state", &state);
        }
        let query = query.finish();
        let result = pending.verify_redirect(&format!("https://localhost/?{query}"));
        let names: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).chain(with_good_state.then_some("state")).collect();
        let once = |n: &str| names.iter().filter(|k| **k == n).count() == 1;
        match result {
            Ok(code) => {
                prop_assert!(with_good_state && once("state") && once("code") && !names.contains(&"error"));
                let sent = params.iter().find(|(k, _)| k == "code").map(|(_, v)| v.as_str());
                prop_assert_eq!(Some(code.expose_secret()), sent);
            }
            Err(e) => prop_assert!(!matches!(e, OAuthError::LoginAlreadyUsed)),
        }
        // Garbage in place of a URL or a query is refused, never a panic.
        let (_, pending) = oauth.authorization_url();
        prop_assert!(pending.verify_redirect(&noise).is_err() || noise.starts_with("https://localhost"));
        let (_, pending) = oauth.authorization_url();
        let _ = pending.verify_query(&noise);
    }

    /// `Retry-After` never panics, whatever the value and the clock.
    #[test]
    fn retry_after_parsing_never_panics(value in prop_oneof![any::<String>(), "[0-9]{1,30}", "(Mon|Sun), [0-9]{1,2} (Jan|Dec) [0-9]{1,5} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT"], now_secs in any::<u64>()) {
        let now = SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(now_secs % (1 << 40))).unwrap_or(SystemTime::UNIX_EPOCH);
        let mut headers = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert("retry-after", v);
        }
        let wait = pinterest_sdk::retry::parse_retry_after(&headers, now);
        if let (Some(wait), Ok(secs)) = (wait, value.trim().parse::<u64>()) {
            prop_assert_eq!(wait, Duration::from_secs(secs));
        }
        // And the retry policy turns any of them into a bounded decision.
        let policy = pinterest_sdk::retry::RetryPolicy::default();
        let outcome = pinterest_sdk::retry::Outcome::Response { status: StatusCode::TOO_MANY_REQUESTS, headers: &headers, spam: false };
        if let pinterest_sdk::retry::Decision::RetryAfter(w) = policy.decide(1, &http::Method::GET, &outcome, None, now, 0.5) {
            prop_assert!(w <= policy.max_retry_after.max(policy.max_backoff));
        }
    }

    /// Error bodies of any shape decode without a panic, and what `Display`
    /// shows stays short and free of control characters.
    #[test]
    fn error_bodies_decode_and_display_safely(
        body in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..2000),
            (any::<Option<i64>>(), hostile_text(), hostile_text()).prop_map(|(code, message, error)| {
                serde_json::to_vec(&serde_json::json!({"code": code, "message": message, "error": error, "error_description": message})).unwrap()
            }),
            hostile_text().prop_map(|t| format!("{{\"code\":\"{t}\",\"message\":{t:?}}}").into_bytes()),
        ],
        status in 400u16..600,
        sensitive in any::<bool>(),
    ) {
        let status = StatusCode::from_u16(status).unwrap();
        let e = if sensitive {
            ApiError::from_sensitive_response("oauth/token", status, &HeaderMap::new(), &body)
        } else {
            ApiError::from_response("pins/get", status, &HeaderMap::new(), &body)
        };
        let shown = e.to_string();
        prop_assert!(!shown.chars().any(char::is_control), "{shown:?}");
        prop_assert!(shown.chars().count() < 600, "{} characters", shown.chars().count());
        prop_assert!(e.body.as_ref().is_none_or(|b| b.len() <= 4096));
        if sensitive {
            prop_assert!(e.body.is_none());
        }
        let _ = (e.is_invalid_grant(), e.is_spam());
    }

    /// Any sequence of pages ends: a run of empty pages or the page limit
    /// stops it, and repeats are caught inside the window.
    #[test]
    fn bookmark_walks_always_end(
        pages in proptest::collection::vec((proptest::option::of(prop_oneof![hostile_text(), "[ab]{1,2}"]), 0usize..3), 1..200),
        max_empty in 1u32..6,
        max_pages in proptest::option::of(1u64..50),
        window in 1usize..8,
    ) {
        let limits = PaginationLimits::default().max_empty_pages(max_empty).max_pages(max_pages).repeat_window(window);
        let mut cursor = Cursor::new().with_limits(limits);
        let mut seen_recent: Vec<String> = Vec::new();
        let mut empty_run = 0u32;
        let mut taken = 0u64;
        for (bookmark, items) in pages {
            if cursor.next_request().is_none() {
                break;
            }
            taken += 1;
            empty_run = if items == 0 { empty_run + 1 } else { 0 };
            let repeat = bookmark.as_ref().is_some_and(|b| !b.is_empty() && seen_recent.contains(b));
            if let Some(b) = bookmark.as_ref().filter(|b| !b.is_empty()) {
                seen_recent.push(b.clone());
                if seen_recent.len() > window {
                    seen_recent.remove(0);
                }
            }
            cursor.advance_page(bookmark.clone(), items);
            let goes_on = cursor.next_request().is_some();
            if bookmark.as_deref().is_none_or(str::is_empty) {
                prop_assert!(!goes_on && cursor.take_problem().is_none());
                break;
            }
            if repeat || empty_run >= max_empty || max_pages.is_some_and(|m| taken >= m) {
                prop_assert!(!goes_on);
                prop_assert!(cursor.take_problem().is_some());
                prop_assert!(cursor.is_finished());
                break;
            }
            prop_assert!(goes_on);
        }
        prop_assert!(taken <= max_pages.unwrap_or(u64::MAX));
    }
}

/// Every spec example, mutated, decodes into its generated type or fails
/// with an error: never a panic.
#[cfg(feature = "full")]
#[path = "generated/spec_examples.rs"]
mod index;

#[cfg(feature = "full")]
mod models {
    use super::*;
    use serde_json::Value;

    fn examples_at(node: &Value) -> Vec<Value> {
        let mut out: Vec<Value> = node.get("example").cloned().into_iter().collect();
        match node.get("examples") {
            Some(Value::Object(map)) => out.extend(map.values().filter_map(|e| e.get("value").cloned())),
            Some(Value::Array(list)) => out.extend(list.iter().cloned()),
            _ => {}
        }
        out
    }

    /// Every location in `v`, as a JSON pointer.
    fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, c) in m {
                    pointers(c, format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")), out);
                }
            }
            Value::Array(a) => {
                for (i, c) in a.iter().enumerate() {
                    pointers(c, format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
        out.push(at);
    }

    fn replacement() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
            Just(Value::from(u64::MAX)),
            hostile_text().prop_map(Value::from),
            Just(serde_json::json!([])),
            Just(serde_json::json!({})),
            Just(serde_json::json!([{"x": [1, {"y": null}]}])),
            Just(Value::from("2026-13-45T99:99:99")),
        ]
    }

    #[test]
    fn mutated_spec_examples_never_panic_the_decoders() {
        let Some(spec) = pinterest_test_support::spec() else { return };
        let mut runner = proptest::test_runner::TestRunner::new(config(6));
        let mut decoded = 0usize;
        for (ptr, check) in super::index::EXAMPLES {
            let Some(node) = spec.pointer(ptr) else { continue };
            for example in examples_at(node) {
                let mut spots = Vec::new();
                pointers(&example, String::new(), &mut spots);
                let strategy = (0..spots.len(), replacement(), any::<bool>());
                runner
                    .run(&strategy, |(spot, with, delete)| {
                        let mut v = example.clone();
                        let target = &spots[spot];
                        if delete && let Some((parent, key)) = target.rsplit_once('/') {
                            match v.pointer_mut(parent) {
                                Some(Value::Object(m)) => drop(m.remove(&key.replace("~1", "/").replace("~0", "~"))),
                                Some(Value::Array(a)) => {
                                    if let Ok(i) = key.parse::<usize>()
                                        && i < a.len()
                                    {
                                        a.remove(i);
                                    }
                                }
                                _ => {}
                            }
                        } else if let Some(slot) = v.pointer_mut(target) {
                            *slot = with;
                        }
                        let _ = check(&v);
                        Ok(())
                    })
                    .unwrap_or_else(|e| panic!("{ptr}: {e}"));
                decoded += 1;
            }
        }
        assert!(decoded > 1000, "only {decoded} examples were mutated");
    }
}
