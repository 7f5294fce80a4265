//! The emulator on its own, over raw HTTP: consent page, token endpoint,
//! validation, pagination, seeds, state files, faults, the request log.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure is the signal

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine as _;
use pinterest_emulator::{App, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Emulator, EmulatorHandle, Fault, FaultKind};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Digest as _;

const ALL_SCOPES: &[&str] = &[
    "ads:read",
    "ads:write",
    "billing:read",
    "billing:write",
    "biz_access:read",
    "biz_access:write",
    "boards:read",
    "boards:read_secret",
    "boards:write",
    "boards:write_secret",
    "catalogs:read",
    "catalogs:write",
    "msot:write",
    "pins:read",
    "pins:read_secret",
    "pins:write",
    "pins:write_secret",
    "user_accounts:read",
    "user_accounts:write",
];

fn http() -> reqwest::Client {
    pinterest_sdk::internal::install_crypto_provider();
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn basic() -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{DEMO_CLIENT_ID}:{DEMO_CLIENT_SECRET}"))
    )
}

fn query_of(location: &str) -> BTreeMap<String, String> {
    url::Url::parse(location).unwrap().query_pairs().into_owned().collect()
}

fn authorize_url(e: &EmulatorHandle, extra: &str) -> String {
    format!(
        "{}/oauth/?client_id={DEMO_CLIENT_ID}&redirect_uri=https%3A%2F%2Flocalhost%2F&response_type=code&scope=boards:read,pins:read&state=s1{extra}",
        e.base_url()
    )
}

async fn token(c: &reqwest::Client, e: &EmulatorHandle, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let r = c
        .post(format!("{}/oauth/token", e.api_base()))
        .header("authorization", basic())
        .form(form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    assert!(r.headers().contains_key("x-pinterest-rid"));
    (status, r.json().await.unwrap_or(Value::Null))
}

/// A code from the auto-approving consent page.
async fn code(c: &reqwest::Client, e: &EmulatorHandle, extra: &str) -> String {
    let r = c.get(authorize_url(e, extra)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    let q = query_of(r.headers()["location"].to_str().unwrap());
    assert_eq!(q["state"], "s1");
    q["code"].clone()
}

#[tokio::test]
async fn consent_page_allow_and_deny() {
    let e = Emulator::builder().start().await.unwrap();
    let c = http();
    let page = c.get(authorize_url(&e, "")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.headers().contains_key("x-pinterest-rid"));
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    assert!(html.contains("id=\"allow\"") && html.contains("id=\"deny\"") && html.contains("boards:read"), "{html}");
    let consent_id = html.split("name=\"consent_id\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let allow = c
        .post(format!("{}/oauth/", e.base_url()))
        .form(&[("consent_id", consent_id.as_str()), ("decision", "allow")])
        .send()
        .await
        .unwrap();
    assert_eq!(allow.status(), StatusCode::FOUND);
    let q = query_of(allow.headers()["location"].to_str().unwrap());
    assert!(q.contains_key("code"));
    assert_eq!(q["state"], "s1");
    // The same consent cannot be answered twice.
    let again = c
        .post(format!("{}/oauth/", e.base_url()))
        .form(&[("consent_id", consent_id.as_str()), ("decision", "allow")])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);

    let html = c.get(authorize_url(&e, "")).send().await.unwrap().text().await.unwrap();
    let consent_id = html.split("name=\"consent_id\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let deny = c
        .post(format!("{}/oauth/", e.base_url()))
        .form(&[("consent_id", consent_id.as_str()), ("decision", "deny")])
        .send()
        .await
        .unwrap();
    let loc = deny.headers()["location"].to_str().unwrap().to_owned();
    assert!(loc.starts_with("https://localhost/?"));
    let q = query_of(&loc);
    assert_eq!((q["error"].as_str(), q["state"].as_str()), ("access_denied", "s1"));
    assert!(!q.contains_key("code"));
}

#[tokio::test]
async fn bad_consent_requests_never_redirect_to_unregistered_places() {
    let e = Emulator::builder().auto_approve(true).start().await.unwrap();
    let c = http();
    let unknown_client = c.get(format!("{}/oauth/?client_id=999&redirect_uri=https%3A%2F%2Flocalhost%2F&response_type=code&scope=pins:read&state=x", e.base_url())).send().await.unwrap();
    assert_eq!(unknown_client.status(), StatusCode::BAD_REQUEST);
    assert!(!unknown_client.headers().contains_key("location"));
    let bad_redirect = c.get(format!("{}/oauth/?client_id={DEMO_CLIENT_ID}&redirect_uri=https%3A%2F%2Fevil.example%2F&response_type=code&scope=pins:read&state=x", e.base_url())).send().await.unwrap();
    assert_eq!(bad_redirect.status(), StatusCode::BAD_REQUEST);
    assert!(!bad_redirect.headers().contains_key("location"));
    // A near miss is still not registered: exact match only.
    let near = c.get(format!("{}/oauth/?client_id={DEMO_CLIENT_ID}&redirect_uri=https%3A%2F%2Flocalhost&response_type=code&scope=pins:read&state=x", e.base_url())).send().await.unwrap();
    assert_eq!(near.status(), StatusCode::BAD_REQUEST);
    let bad_scope =
        c.get(authorize_url(&e, "").replace("boards:read,pins:read", "boards:read,everything")).send().await.unwrap();
    assert_eq!(query_of(bad_scope.headers()["location"].to_str().unwrap())["error"], "invalid_scope");
    let bad_type =
        c.get(authorize_url(&e, "").replace("response_type=code", "response_type=token")).send().await.unwrap();
    assert_eq!(query_of(bad_type.headers()["location"].to_str().unwrap())["error"], "unsupported_response_type");
}

#[tokio::test]
async fn the_code_flow_with_raw_http() {
    let e = Emulator::builder().auto_approve(true).start().await.unwrap();
    let c = http();
    let code = code(&c, &e, "").await;
    let (status, tokens) =
        token(&c, &e, &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", "https://localhost/")])
            .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["token_type"], "bearer");
    assert_eq!(tokens["response_type"], "authorization_code");
    assert_eq!(tokens["scope"], "boards:read pins:read");
    assert!(tokens["access_token"].as_str().unwrap().starts_with("pina_"));
    assert!(tokens["refresh_token"].as_str().unwrap().starts_with("pinr_"));
    assert!(tokens["refresh_token_expires_at"].as_u64().is_some());
    let me = c
        .get(format!("{}/user_account", e.api_base()))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    // user_account/get needs user_accounts:read, which this login lacks.
    assert_eq!(me.status(), StatusCode::FORBIDDEN);
    let boards = c
        .get(format!("{}/boards", e.api_base()))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(boards.status(), StatusCode::OK);
    // The code is single use, and its replay revokes what it gave.
    let (status, err) =
        token(&c, &e, &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", "https://localhost/")])
            .await;
    assert_eq!((status, err["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    let boards = c
        .get(format!("{}/boards", e.api_base()))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(boards.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_token_endpoint_is_strict() {
    let e = Emulator::builder().auto_approve(true).start().await.unwrap();
    let c = http();
    // No client authentication.
    let r = c
        .post(format!("{}/oauth/token", e.api_base()))
        .form(&[("grant_type", "client_credentials"), ("scope", "ads:read")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // Wrong secret.
    let wrong = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{DEMO_CLIENT_ID}:nope")));
    let r = c
        .post(format!("{}/oauth/token", e.api_base()))
        .header("authorization", wrong)
        .form(&[("grant_type", "client_credentials"), ("scope", "ads:read")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // JSON instead of a form.
    let r = c
        .post(format!("{}/oauth/token", e.api_base()))
        .header("authorization", basic())
        .json(&json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // redirect_uri must match byte for byte.
    let code1 = code(&c, &e, "").await;
    let (status, err) =
        token(&c, &e, &[("grant_type", "authorization_code"), ("code", &code1), ("redirect_uri", "https://localhost")])
            .await;
    assert_eq!((status, err["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    // Client credentials need a scope.
    let (status, _) = token(&c, &e, &[("grant_type", "client_credentials")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, app) = token(&c, &e, &[("grant_type", "client_credentials"), ("scope", "ads:read")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(app.get("refresh_token").is_none());
    assert_eq!(app["response_type"], "client_credentials");
    let (status, err) = token(&c, &e, &[("grant_type", "password")]).await;
    assert_eq!((status, err["error"].as_str()), (StatusCode::BAD_REQUEST, Some("unsupported_grant_type")));
}

#[tokio::test]
async fn codes_expire() {
    let e = Emulator::builder().auto_approve(true).code_ttl(Duration::ZERO).start().await.unwrap();
    let c = http();
    let code = code(&c, &e, "").await;
    let (status, err) =
        token(&c, &e, &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", "https://localhost/")])
            .await;
    assert_eq!((status, err["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
}

#[tokio::test]
async fn pkce_is_verified() {
    let e = Emulator::builder().auto_approve(true).start().await.unwrap();
    let c = http();
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier));
    let extra = format!("&code_challenge={challenge}&code_challenge_method=S256");
    for (given, ok) in [(None, false), (Some("wrong-verifier"), false), (Some(verifier), true)] {
        let code = code(&c, &e, &extra).await;
        let mut form =
            vec![("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", "https://localhost/")];
        if let Some(v) = given {
            form.push(("code_verifier", v));
        }
        let (status, _) = token(&c, &e, &form).await;
        assert_eq!(status == StatusCode::OK, ok, "{given:?}");
    }
}

#[tokio::test]
async fn refresh_tokens_rotate_and_reuse_revokes_the_family() {
    let e = Emulator::builder().auto_approve(true).start().await.unwrap();
    let c = http();
    let code = code(&c, &e, "").await;
    let (_, first) =
        token(&c, &e, &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", "https://localhost/")])
            .await;
    let r1 = first["refresh_token"].as_str().unwrap().to_owned();
    let (status, second) =
        token(&c, &e, &[("grant_type", "refresh_token"), ("refresh_token", &r1), ("continuous_refresh", "true")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(second["response_type"], "refresh_token");
    let r2 = second["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(r1, r2, "every refresh returns a new refresh token");
    let (_, third) =
        token(&c, &e, &[("grant_type", "refresh_token"), ("refresh_token", &r2), ("scope", "pins:read")]).await;
    assert_eq!(third["scope"], "pins:read", "a refresh can narrow the scopes");
    let (status, _) = token(
        &c,
        &e,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", third["refresh_token"].as_str().unwrap()),
            ("scope", "ads:read"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "but not widen them");
    // r1 was spent: reusing it revokes the whole family, the newest tokens included.
    let (status, err) = token(&c, &e, &[("grant_type", "refresh_token"), ("refresh_token", &r1)]).await;
    assert_eq!((status, err["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    let pins = c
        .get(format!("{}/pins", e.api_base()))
        .bearer_auth(third["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(pins.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(e.token_requests(Some("refresh_token")), 4);
}

#[tokio::test]
async fn revocation() {
    let e = Emulator::builder().start().await.unwrap();
    let c = http();
    let t = e.issue_token(&["pins:read", "boards:read"]);
    assert_eq!(c.get(format!("{}/pins", e.api_base())).bearer_auth(&t).send().await.unwrap().status(), StatusCode::OK);
    let r = c
        .post(format!("{}/oauth/token/revoke", e.api_base()))
        .header("authorization", basic())
        .form(&[("token", t.as_str()), ("token_type_hint", "access_token")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        c.get(format!("{}/pins", e.api_base())).bearer_auth(&t).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn authentication_and_scopes() {
    let e = Emulator::builder().start().await.unwrap();
    let c = http();
    let url = format!("{}/boards", e.api_base());
    assert_eq!(c.get(&url).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(c.get(&url).bearer_auth("pina_made_up").send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let t = e.issue_token(&["boards:read"]);
    let in_query = c.get(format!("{url}?access_token={t}")).send().await.unwrap();
    assert_eq!(in_query.status(), StatusCode::UNAUTHORIZED, "tokens in a query string are refused");
    let body: Value = c.get(&url).bearer_auth(&t).send().await.unwrap().json().await.unwrap();
    let names: Vec<&str> = body["items"].as_array().unwrap().iter().map(|b| b["name"].as_str().unwrap()).collect();
    assert!(!names.contains(&"Drafts"), "secret boards need boards:read_secret: {names:?}");
    let secret = e.issue_token(&["boards:read", "boards:read_secret"]);
    let body: Value = c.get(&url).bearer_auth(&secret).send().await.unwrap().json().await.unwrap();
    assert!(body["items"].as_array().unwrap().iter().any(|b| b["name"] == "Drafts"));
    // Missing scope: 403 in Pinterest's shape.
    let r = c.post(&url).bearer_auth(&t).json(&json!({"name": "x"})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let err: Value = r.json().await.unwrap();
    assert!(err["code"].is_number() && err["message"].as_str().unwrap().contains("boards:write"));
    // Writing a secret board needs boards:write_secret.
    let writer = e.issue_token(&["boards:read", "boards:write"]);
    let r =
        c.post(&url).bearer_auth(&writer).json(&json!({"name": "Hidden", "privacy": "SECRET"})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Expired tokens.
    let short = Emulator::builder().access_token_ttl(Duration::ZERO).start().await.unwrap();
    let t = short.issue_token(&["boards:read"]);
    assert_eq!(
        c.get(format!("{}/boards", short.api_base())).bearer_auth(&t).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn validation_errors() {
    let e = Emulator::builder().start().await.unwrap();
    let c = http();
    let t = e.issue_token(ALL_SCOPES);
    let get = |path: &str| c.get(format!("{}{path}", e.api_base())).bearer_auth(&t).send();
    for (path, why) in [
        ("/boards?page_size=0", "page_size below 1"),
        ("/boards?page_size=251", "page_size above 250"),
        ("/boards?page_size=ten", "not an integer"),
        ("/boards?privacy=NOPE", "not an enum value"),
        ("/pins?pin_metrics=maybe", "not a boolean"),
        ("/pins/1/analytics?end_date=2025-01-02&metric_types=IMPRESSION", "a required parameter missing"),
        ("/boards?bookmark=not-a-bookmark", "a bad bookmark"),
    ] {
        let r = get(path).await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{why}: {path}");
        assert!(r.headers().contains_key("x-pinterest-rid"));
        let err: Value = r.json().await.unwrap();
        assert!(err["code"].is_number() && err["message"].is_string(), "{err}");
    }
    let post = |path: &str, body: &'static str| {
        c.post(format!("{}{path}", e.api_base()))
            .bearer_auth(&t)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    assert_eq!(post("/boards", r#"{"name": 5}"#).await.unwrap().status(), StatusCode::BAD_REQUEST, "wrong type");
    assert_eq!(post("/boards", "{}").await.unwrap().status(), StatusCode::BAD_REQUEST, "missing required field");
    assert_eq!(post("/boards", "").await.unwrap().status(), StatusCode::BAD_REQUEST, "missing body");
    assert_eq!(post("/boards", "{not json").await.unwrap().status(), StatusCode::BAD_REQUEST, "not JSON");
    assert_eq!(get("/nope").await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(get("/boards/999999").await.unwrap().status(), StatusCode::NOT_FOUND);
    let r = c.put(format!("{}/pins/1", e.api_base())).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(r.headers().contains_key("x-pinterest-rid"));
}

#[tokio::test]
async fn pagination_ends_with_a_null_bookmark() {
    let e = Emulator::builder().start().await.unwrap();
    let c = http();
    let t = e.issue_token(&["pins:read", "boards:read"]);
    let mut bookmark: Option<String> = None;
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let mut url = format!("{}/pins?page_size=2", e.api_base());
        if let Some(b) = &bookmark {
            url.push_str(&format!("&bookmark={b}"));
        }
        let page: Value = c.get(url).bearer_auth(&t).send().await.unwrap().json().await.unwrap();
        pages += 1;
        seen.extend(page["items"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_owned()));
        match page["bookmark"].as_str() {
            Some(b) => bookmark = Some(b.to_owned()),
            None => {
                assert!(page["bookmark"].is_null());
                break;
            }
        }
    }
    assert_eq!(seen.len(), 5, "the five Pins not on the secret board");
    assert_eq!(pages, 3);
    let mut sorted = seen.clone();
    sorted.dedup();
    assert_eq!(sorted.len(), seen.len(), "no Pin twice");
    // A bookmark of one list is refused on another.
    let first: Value =
        c.get(format!("{}/pins?page_size=2", e.api_base())).bearer_auth(&t).send().await.unwrap().json().await.unwrap();
    let foreign = first["bookmark"].as_str().unwrap();
    let r = c.get(format!("{}/boards?bookmark={foreign}", e.api_base())).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn seeds_are_deterministic() {
    let a = Emulator::builder().seed(42).start().await.unwrap();
    let b = Emulator::builder().seed(42).start().await.unwrap();
    let c = Emulator::builder().seed(43).start().await.unwrap();
    assert_eq!(serde_json::to_string(&a.state().pins).unwrap(), serde_json::to_string(&b.state().pins).unwrap());
    assert_eq!(a.issue_token(&["pins:read"]), b.issue_token(&["pins:read"]));
    assert_ne!(a.state().user["id"], c.state().user["id"]);
    // Re-seeding through the admin API gives the same state again.
    let client = http();
    let r = client.post(format!("{}/_emulator/seed", a.base_url())).json(&json!({"seed": 43})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(a.state().user["id"], c.state().user["id"]);
}

#[tokio::test]
async fn the_state_file_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let e = Emulator::builder().state_file(&path).start().await.unwrap();
    let c = http();
    let t = e.issue_token(&["boards:read", "boards:write"]);
    let r = c
        .post(format!("{}/boards", e.api_base()))
        .bearer_auth(&t)
        .json(&json!({"name": "Persistent"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    e.shutdown().await;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let again = Emulator::builder().state_file(&path).start().await.unwrap();
    let boards: Value =
        c.get(format!("{}/boards", again.api_base())).bearer_auth(&t).send().await.unwrap().json().await.unwrap();
    assert!(boards["items"].as_array().unwrap().iter().any(|b| b["name"] == "Persistent"), "{boards}");
}

#[tokio::test]
async fn every_fault_kind() {
    let e = Emulator::builder().start().await.unwrap();
    let c = http();
    let t = e.issue_token(&["pins:read", "boards:read"]);
    let url = format!("{}/pins", e.api_base());
    let faults_url = format!("{}/_emulator/faults", e.base_url());
    let add = |f: Value| {
        let (c, url) = (&c, faults_url.clone());
        async move {
            let r = c.post(url).json(&f).send().await;
            assert_eq!(r.as_ref().map(|r| r.status()).ok(), Some(StatusCode::CREATED), "{f}");
            r
        }
    };
    add(json!({"route": "pins/list", "kind": "429", "retry_after": 3, "count": 1})).await.unwrap();
    let r = c.get(&url).bearer_auth(&t).send().await.unwrap();
    assert_eq!((r.status(), r.headers()["retry-after"].to_str().unwrap()), (StatusCode::TOO_MANY_REQUESTS, "3"));
    assert_eq!(c.get(&url).bearer_auth(&t).send().await.unwrap().status(), StatusCode::OK, "count 1: used up");
    add(json!({"route": "pins/list", "kind": "429_spam", "count": 1})).await.unwrap();
    let body: Value = c.get(&url).bearer_auth(&t).send().await.unwrap().json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("spam"));
    for (kind, status) in [("500", 500), ("503", 503), ("307", 307)] {
        add(json!({"route": "pins/list", "kind": kind, "count": 1})).await.unwrap();
        let r = c.get(&url).bearer_auth(&t).send().await.unwrap();
        assert_eq!(r.status().as_u16(), status, "{kind}");
        assert!(r.headers().contains_key("x-pinterest-rid"));
        if status == 307 {
            assert!(r.headers().contains_key("location"));
        }
    }
    add(json!({"route": "*", "kind": "latency", "latency_ms": 300, "count": 1})).await.unwrap();
    let started = std::time::Instant::now();
    assert_eq!(c.get(&url).bearer_auth(&t).send().await.unwrap().status(), StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(300));
    add(json!({"route": "pins/list", "kind": "drop", "count": 1})).await.unwrap();
    assert!(c.get(&url).bearer_auth(&t).send().await.is_err(), "the connection is closed without an answer");
    add(json!({"route": "pins/list", "kind": "truncate", "count": 1})).await.unwrap();
    let r = c.get(&url).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err(), "half a body: {text}");
    // Probability 0 never fires; the list shows what is armed; DELETE clears.
    add(json!({"route": "pins/list", "kind": "500", "probability": 0.0})).await.unwrap();
    assert_eq!(c.get(&url).bearer_auth(&t).send().await.unwrap().status(), StatusCode::OK);
    let armed: Value = c.get(format!("{}/_emulator/faults", e.base_url())).send().await.unwrap().json().await.unwrap();
    assert_eq!(armed.as_array().unwrap().len(), 1);
    // Admin writes are JSON, bodies or not.
    let cleared = c
        .delete(format!("{}/_emulator/faults", e.base_url()))
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), StatusCode::OK);
    assert_eq!(
        c.get(format!("{}/_emulator/faults", e.base_url())).send().await.unwrap().json::<Value>().await.unwrap(),
        json!([])
    );
    e.add_fault(Fault::once("oauth/token", FaultKind::ServerError));
    let (status, _) = token(&c, &e, &[("grant_type", "client_credentials"), ("scope", "ads:read")]).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let bad = c.post(format!("{}/_emulator/faults", e.base_url())).json(&json!({"kind": "nope"})).send().await.unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_request_log_masks_secrets() {
    let e = Emulator::builder().auto_approve(true).start().await.unwrap();
    let c = http();
    let code = code(&c, &e, "").await;
    let (_, tokens) =
        token(&c, &e, &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", "https://localhost/")])
            .await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let _ = token(&c, &e, &[("grant_type", "refresh_token"), ("refresh_token", &refresh)]).await;
    let _ = c.get(format!("{}/pins?access_token={access}", e.api_base())).send().await.unwrap();
    let log = c.get(format!("{}/_emulator/requests", e.base_url())).send().await.unwrap().text().await.unwrap();
    for secret in [code.as_str(), access.as_str(), refresh.as_str(), DEMO_CLIENT_SECRET, "s1"] {
        assert!(!log.contains(secret), "the log shows a secret ({secret}): {log}");
    }
    let entries: Vec<Value> = serde_json::from_str(&log).unwrap();
    let grants: Vec<&str> = entries.iter().filter_map(|e| e["grant_type"].as_str()).collect();
    assert_eq!(grants, ["authorization_code", "refresh_token"]);
    assert!(entries.iter().any(|e| e["operation"] == "oauth/authorize"));
    assert_eq!(e.requests().len(), entries.len(), "requests are logged on arrival, this one included");
    assert_eq!(entries.last().unwrap()["path"], "/_emulator/requests");
    let cleared = c
        .delete(format!("{}/_emulator/requests", e.base_url()))
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), StatusCode::OK);
    assert!(e.requests().len() <= 1);
}

/// Every operation of the spec answers (not 404), with a token that has
/// every scope and the required parameters filled in.
#[tokio::test]
async fn no_operation_is_missing() {
    let e = Emulator::builder().start().await.unwrap();
    let c = http();
    let t = e.issue_token(ALL_SCOPES);
    let basic = basic();
    let mut answered = 0;
    for op in pinterest_sdk::registry::operations() {
        let mut path = op.path.to_owned();
        let mut query = Vec::new();
        for p in op.params {
            let value = p.values.first().copied().unwrap_or(match p.kind {
                "integer" | "number" => "1",
                "boolean" => "true",
                _ => "123",
            });
            let value = if p.name.ends_with("date") { "2025-01-01" } else { value };
            match p.location {
                pinterest_sdk::registry::ParamLocation::Path => path = path.replace(&format!("{{{}}}", p.name), value),
                _ if p.required => query.push((p.name.to_owned(), value.to_owned())),
                _ => {}
            }
        }
        let url = format!("{}{path}", e.api_base());
        let method = reqwest::Method::from_bytes(op.method.as_bytes()).unwrap();
        let mut req = c.request(method, &url).query(&query);
        req = match op.auth {
            pinterest_sdk::AuthScheme::Basic => req.header("authorization", &basic),
            _ => req.bearer_auth(&t),
        };
        if let Some(b) = op.body {
            req = if b.form {
                req.form(&[("grant_type", "client_credentials"), ("scope", "ads:read"), ("token", "x")])
            } else {
                req.json(&json!({}))
            };
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        assert!(r.headers().contains_key("x-pinterest-rid"), "{}", op.id);
        let body: Value = r.json().await.unwrap_or(Value::Null);
        // A 404 for a made-up id is fine; a 404 for the route is not.
        let route_missing = status == 404 && body["code"] == 404;
        assert!(!route_missing && status != 405 && status != 501, "{} {} -> {status} {body}", op.method, path);
        answered += 1;
    }
    assert_eq!(answered, 231);
}

/// A code is bound to the app it was issued to: another app (with valid
/// credentials of its own) cannot redeem it, and the attempt does not burn
/// it for the rightful app.
#[tokio::test]
async fn a_code_redeemed_by_another_app_is_refused() {
    let other = App {
        client_id: "777000777".into(),
        client_secret: "other-secret".into(),
        name: "Another app".into(),
        redirect_uris: vec!["https://localhost/".into()],
    };
    let e = Emulator::builder().auto_approve(true).app(other).start().await.unwrap();
    let c = http();
    let code = code(&c, &e, "").await;
    let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", "https://localhost/")];
    let r = c
        .post(format!("{}/oauth/token", e.api_base()))
        .basic_auth("777000777", Some("other-secret"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let err: Value = r.json().await.unwrap();
    assert_eq!(err["error"], "invalid_grant");
    assert!(err["error_description"].as_str().unwrap().contains("another app"), "{err}");
    let (status, tokens) = token(&c, &e, &form).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert!(tokens["access_token"].is_string());
}

/// A refresh token past its lifetime is refused with `invalid_grant`, and
/// the SDK reports that the user must authorize again.
#[tokio::test]
async fn refresh_tokens_expire() {
    let e = Emulator::builder().auto_approve(true).refresh_token_ttl(Duration::ZERO).start().await.unwrap();
    let c = http();
    let code = code(&c, &e, "").await;
    let (_, first) =
        token(&c, &e, &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", "https://localhost/")])
            .await;
    let refresh = first["refresh_token"].as_str().unwrap().to_owned();
    let (status, err) = token(&c, &e, &[("grant_type", "refresh_token"), ("refresh_token", &refresh)]).await;
    assert_eq!((status, err["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    assert!(err["error_description"].as_str().unwrap().contains("expired"), "{err}");
    // Through the SDK: a typed error that asks for a new login.
    let config = pinterest_sdk::Config::builder().api_host(&e.base_url()).build().unwrap();
    let oauth =
        pinterest_sdk::oauth::OAuth::builder(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET).config(config).build().unwrap();
    let mut set = pinterest_sdk::auth::TokenSet::from_access_token(pinterest_sdk::secret::AccessToken::new("x"));
    set.refresh_token = Some(pinterest_sdk::secret::RefreshToken::new(refresh));
    let err = oauth.refresh(&set).await.unwrap_err();
    assert!(err.needs_reauthorization(), "{err:?}");
}

#[tokio::test]
async fn an_overlong_request_target_is_a_json_414() {
    let e = Emulator::builder().start().await.unwrap();
    let long = "k".repeat(20_000);
    let r = http().get(format!("{}/v5/pins?x={long}", e.base_url())).send().await.unwrap();
    assert_eq!(r.status(), 414);
    assert_eq!(r.headers()["content-type"], "application/json");
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["code"], 414);
    assert!(v["message"].as_str().unwrap().contains("at most 16384"), "{v}");
    // Just under the limit, the request goes on (and fails authentication).
    let fits = "k".repeat(16_000);
    let r = http().get(format!("{}/v5/pins?x={fits}", e.base_url())).send().await.unwrap();
    assert_eq!(r.status(), 401);
}
