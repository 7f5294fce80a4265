//! The attacks of issue 11, each reproduced against a running emulator:
//! cross-site and DNS-rebinding requests to the admin routes, uploads that
//! the emulator did not issue, PKCE downgrades, a client that never
//! finishes its request head, and JSON sent under another content type.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure is the signal

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine as _;
use pinterest_emulator::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Emulator, EmulatorHandle, Fault, FaultKind};
use serde_json::Value;
use sha2::Digest as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What a raw request got back.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: String,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// Sends `head` (request line and headers, without the blank line) and
/// `body` over a fresh connection, exactly as written: no client fills in
/// or corrects a header.
async fn raw(addr: SocketAddr, head: &str, body: &[u8]) -> Answer {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut request = format!("{head}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).into_bytes();
    request.extend_from_slice(body);
    stream.write_all(&request).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (headers, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = headers.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Answer { status, headers: headers.to_owned(), body: body.to_owned() }
}

/// The faults armed, read through the admin API as a well-behaved local
/// client does.
async fn armed_faults(e: &EmulatorHandle) -> Vec<Value> {
    let head = format!("GET /_emulator/faults HTTP/1.1\r\nHost: {}", e.addr());
    let a = raw(e.addr(), &head, b"").await;
    assert_eq!(a.status, 200, "{a:?}");
    a.json().as_array().cloned().unwrap()
}

const FAULT: &str = r#"{"route": "pins/list", "kind": "500"}"#;
const MINT: &str = r#"{"scopes": ["boards:read", "boards:write", "pins:read"]}"#;

/// A page on another site POSTs to the admin routes after rebinding its
/// name to 127.0.0.1: the Host is the attacker's. Nothing is created.
#[tokio::test]
async fn admin_routes_refuse_foreign_hosts() {
    let e = Emulator::builder().start().await.unwrap();
    let tokens_before = e.state().tokens.access.len();
    for content_type in ["text/plain", "application/json"] {
        for (path, body) in [("/_emulator/faults", FAULT), ("/_emulator/tokens", MINT)] {
            for host in ["attacker.example", "attacker.example:4010", "localhost.attacker.example", "127.0.0.1.nip.io"]
            {
                let head = format!("POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}");
                let a = raw(e.addr(), &head, body.as_bytes()).await;
                assert_eq!(a.status, 403, "{host} {content_type} {path}: {a:?}");
                assert!(a.json()["message"].is_string(), "a Pinterest-shaped error: {a:?}");
                assert!(!a.body.contains("pina_"), "no token: {a:?}");
            }
        }
    }
    // No Host at all (HTTP/1.0), and an absolute-form target naming another host.
    let a = raw(e.addr(), "POST /_emulator/tokens HTTP/1.0\r\nContent-Type: application/json", MINT.as_bytes()).await;
    assert_eq!(a.status, 403, "{a:?}");
    let head = format!(
        "POST http://attacker.example/_emulator/tokens HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json",
        e.addr()
    );
    assert_eq!(raw(e.addr(), &head, MINT.as_bytes()).await.status, 403);
    // Reads are refused too (the request log and the state are not the attacker's to read).
    for path in ["/_emulator/requests", "/_emulator/state", "/_emulator/faults"] {
        let a = raw(e.addr(), &format!("GET {path} HTTP/1.1\r\nHost: attacker.example"), b"").await;
        assert_eq!(a.status, 403, "{path}: {a:?}");
    }
    assert!(armed_faults(&e).await.is_empty(), "no fault was armed");
    assert_eq!(e.state().tokens.access.len(), tokens_before, "no token was minted");

    // Loopback names, with or without a port, are the emulator's own.
    for host in ["localhost", "LOCALHOST:1", "127.0.0.1", &e.addr().to_string(), "[::1]", "[::1]:4010"] {
        let head = format!("POST /_emulator/tokens HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json");
        let a = raw(e.addr(), &head, MINT.as_bytes()).await;
        assert_eq!(a.status, 201, "{host}: {a:?}");
        assert!(a.json()["access_token"].as_str().unwrap().starts_with("pina_"));
    }
    assert_eq!(e.state().tokens.access.len(), tokens_before + 6);
}

/// A host named with `allow_host` (a container's name, say) is let in;
/// others still are not.
#[tokio::test]
async fn admin_hosts_can_be_extended() {
    let e = Emulator::builder().allow_host("emulator.internal").allow_host("10.0.0.7:8080").start().await.unwrap();
    for (host, status) in [
        ("emulator.internal", 201),
        ("Emulator.Internal:4010", 201),
        ("10.0.0.7:8080", 201),
        ("10.0.0.7:8081", 403),
        ("10.0.0.7", 403),
        ("attacker.example", 403),
        ("localhost:4010", 201),
    ] {
        let head = format!("POST /_emulator/faults HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json");
        assert_eq!(raw(e.addr(), &head, FAULT.as_bytes()).await.status, status, "{host}");
    }
    assert_eq!(armed_faults(&e).await.len(), 4);
}

/// A cross-site form or `fetch` can only send `text/plain`, form or
/// multipart bodies without a preflight: admin writes take JSON only.
#[tokio::test]
async fn admin_writes_need_json() {
    let e = Emulator::builder().start().await.unwrap();
    let host = e.addr().to_string();
    let token = e.issue_token(&["boards:read"]);
    e.add_fault(Fault { count: None, ..Fault::once("boards/get", FaultKind::ServerError) });
    let tokens_before = e.state().tokens.access.len();
    for content_type in [
        Some("text/plain"),
        Some("text/plain; charset=utf-8"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("application/jsonx"),
        None,
    ] {
        let ct = content_type.map(|c| format!("\r\nContent-Type: {c}")).unwrap_or_default();
        for (method, path, body) in [
            ("POST", "/_emulator/faults", FAULT),
            ("POST", "/_emulator/tokens", MINT),
            ("POST", "/_emulator/reset", ""),
            ("POST", "/_emulator/seed", r#"{"seed": 9}"#),
            ("DELETE", "/_emulator/faults", ""),
            ("DELETE", "/_emulator/requests", ""),
        ] {
            let a = raw(e.addr(), &format!("{method} {path} HTTP/1.1\r\nHost: {host}{ct}"), body.as_bytes()).await;
            assert_eq!(a.status, 415, "{method} {path} as {content_type:?}: {a:?}");
            assert!(a.json()["code"].is_number() && a.json()["message"].is_string(), "{a:?}");
        }
    }
    assert_eq!(armed_faults(&e).await.len(), 1, "the fault armed before is still there, no other");
    assert_eq!(e.state().tokens.access.len(), tokens_before, "no token minted, none reset away");
    assert!(e.state().tokens.access.contains_key(&token), "not reset");
    assert!(!e.requests().is_empty(), "the log was not cleared");

    // JSON with a charset parameter is JSON.
    let head =
        format!("POST /_emulator/tokens HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json; charset=utf-8");
    assert_eq!(raw(e.addr(), &head, MINT.as_bytes()).await.status, 201);
    let head = format!("DELETE /_emulator/faults HTTP/1.1\r\nHost: {host}\r\nContent-Type: Application/JSON");
    assert_eq!(raw(e.addr(), &head, b"").await.status, 200);
    assert!(armed_faults(&e).await.is_empty());
}

/// With an admin token configured, every admin route wants it; the token
/// never shows in the request log or in `Debug`.
#[tokio::test]
async fn the_admin_token_guards_admin_routes() {
    let secret = "adm-CANARY-5b1f0e";
    let builder = Emulator::builder().admin_token(secret);
    assert!(!format!("{builder:?}").contains(secret), "Debug shows the admin token");
    let e = builder.start().await.unwrap();
    assert!(!format!("{e:?}").contains(secret));
    let host = e.addr().to_string();
    let tokens_before = e.state().tokens.access.len();
    for auth in [
        "",
        "\r\nAuthorization: Bearer wrong",
        "\r\nAuthorization: Bearer adm-CANARY-5b1f0",
        "\r\nAuthorization: adm-CANARY-5b1f0e",
    ] {
        let head = format!("POST /_emulator/tokens HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json{auth}");
        let a = raw(e.addr(), &head, MINT.as_bytes()).await;
        assert_eq!(a.status, 401, "{auth:?}: {a:?}");
        assert!(a.json()["message"].is_string());
        let a = raw(e.addr(), &format!("GET /_emulator/requests HTTP/1.1\r\nHost: {host}{auth}"), b"").await;
        assert_eq!(a.status, 401, "reads too: {auth:?}");
    }
    assert_eq!(e.state().tokens.access.len(), tokens_before);
    let with = format!("\r\nAuthorization: Bearer {secret}");
    let head = format!("POST /_emulator/tokens HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json{with}");
    assert_eq!(raw(e.addr(), &head, MINT.as_bytes()).await.status, 201);
    // The right token does not excuse a foreign Host or a text/plain write.
    let head =
        format!("POST /_emulator/tokens HTTP/1.1\r\nHost: attacker.example\r\nContent-Type: application/json{with}");
    assert_eq!(raw(e.addr(), &head, MINT.as_bytes()).await.status, 403);
    let head = format!("POST /_emulator/tokens HTTP/1.1\r\nHost: {host}\r\nContent-Type: text/plain{with}");
    assert_eq!(raw(e.addr(), &head, MINT.as_bytes()).await.status, 415);
    let log = raw(e.addr(), &format!("GET /_emulator/requests HTTP/1.1\r\nHost: {host}{with}"), b"").await;
    assert_eq!(log.status, 200);
    assert!(!log.body.contains(secret), "the log shows the admin token: {}", log.body);
    assert!(!format!("{:?}", e.requests()).contains(secret));
    // The API and the upload target do not want it: clients do not have it.
    let token = e.issue_token(&["user_accounts:read"]);
    let a =
        raw(e.addr(), &format!("GET /v5/user_account HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}"), b"")
            .await;
    assert_eq!(a.status, 200, "{a:?}");
    let media_token = e.issue_token(&["pins:read", "pins:write"]);
    let (url, params) = register_media(&e, &media_token).await;
    assert_eq!(upload(&e, &url, &params, "text/plain").await.status, 204);
}

/// An empty admin token is a mistake, not "no token".
#[tokio::test]
async fn an_empty_admin_token_is_refused() {
    let err = Emulator::builder().admin_token("").start().await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{err}");
}

/// `POST /v5/media`: the upload URL and parameters the emulator issues.
async fn register_media(e: &EmulatorHandle, token: &str) -> (String, BTreeMap<String, String>) {
    let head = format!(
        "POST /v5/media HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json",
        e.addr()
    );
    let a = raw(e.addr(), &head, br#"{"media_type": "video"}"#).await;
    assert_eq!(a.status, 201, "{a:?}");
    let v = a.json();
    let params = v["upload_parameters"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    (v["upload_url"].as_str().unwrap().to_owned(), params)
}

/// A multipart upload of `fields` and a small file to `url`, sent with
/// `content_type` as the file's type.
async fn upload_to(e: &EmulatorHandle, url: &str, host: &str, fields: &BTreeMap<String, String>, ct: &str) -> Answer {
    let path = url.strip_prefix(&e.base_url()).unwrap();
    let mut body = String::new();
    for (k, v) in fields {
        body.push_str(&format!("--XyZ\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"));
    }
    body.push_str(&format!(
        "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"clip.mp4\"\r\nContent-Type: {ct}\r\n\r\nnot really an mp4\r\n--XyZ--\r\n"
    ));
    let head = format!("POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: multipart/form-data; boundary=XyZ");
    raw(e.addr(), &head, body.as_bytes()).await
}

async fn upload(e: &EmulatorHandle, url: &str, fields: &BTreeMap<String, String>, ct: &str) -> Answer {
    upload_to(e, url, &e.addr().to_string(), fields, ct).await
}

fn media_status(e: &EmulatorHandle, id: &str) -> String {
    e.state().media[id].status.clone()
}

/// The upload target takes a multipart upload only with the URL and the
/// parameters `POST /v5/media` issued: a guessed id, another upload's key,
/// a forged signature, a foreign Host or another body type is refused.
#[tokio::test]
async fn uploads_need_what_the_emulator_issued() {
    let e = Emulator::builder().start().await.unwrap();
    let token = e.issue_token(&["pins:read", "pins:write"]);
    let (url, params) = register_media(&e, &token).await;
    let (other_url, other_params) = register_media(&e, &token).await;
    let id = url.rsplit('/').next().unwrap().to_owned();
    let other_id = other_url.rsplit('/').next().unwrap().to_owned();
    assert_ne!(params["x-amz-signature"], other_params["x-amz-signature"], "each upload is signed on its own");

    let mut forged = params.clone();
    forged.insert("x-amz-signature".into(), "emulator-signature".into());
    assert_eq!(upload(&e, &url, &forged, "video/mp4").await.status, 403, "a forged signature");
    let mut unsigned = params.clone();
    unsigned.remove("x-amz-signature");
    assert_eq!(upload(&e, &url, &unsigned, "video/mp4").await.status, 403, "no signature");
    assert_eq!(upload(&e, &other_url, &params, "video/mp4").await.status, 403, "another upload's parameters");
    let mut wrong_key = params.clone();
    wrong_key.insert("key".into(), format!("uploads/{other_id}"));
    assert_eq!(upload(&e, &url, &wrong_key, "video/mp4").await.status, 403, "another key");
    let guessed = format!("{}/_emulator/upload/{}", e.base_url(), "100000000000009999");
    assert_eq!(upload(&e, &guessed, &params, "video/mp4").await.status, 404, "an id never issued");
    let elsewhere = format!("{}/_emulator/upload/{id}/../{id}", e.base_url());
    assert!(upload(&e, &elsewhere, &params, "video/mp4").await.status >= 400, "another path");
    assert_eq!(upload_to(&e, &url, "attacker.example", &params, "video/mp4").await.status, 403, "a foreign Host");
    // Not multipart: 415.
    let path = url.strip_prefix(&e.base_url()).unwrap();
    for ct in ["text/plain", "application/json", "application/x-www-form-urlencoded"] {
        let head = format!("POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: {ct}", e.addr());
        assert_eq!(raw(e.addr(), &head, b"key=x").await.status, 415, "{ct}");
    }
    assert_eq!(media_status(&e, &id), "registered", "nothing was uploaded");
    assert_eq!(media_status(&e, &other_id), "registered");

    // What was issued works.
    let ok = upload(&e, &url, &params, "video/mp4").await;
    assert_eq!(ok.status, 204, "{ok:?}");
    assert_eq!(media_status(&e, &id), "processing");
    assert_eq!(media_status(&e, &other_id), "registered");
}

/// Bound to an address that is no loopback name (127.0.0.2 here; 0.0.0.0
/// or a LAN address alike), the emulator issues upload URLs naming that
/// address: uploads to them work, while the admin routes still want a
/// loopback name.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn uploads_work_through_the_url_issued_on_any_bind() {
    let e = Emulator::builder().bind(SocketAddr::from(([127, 0, 0, 2], 0))).start().await.unwrap();
    let token = e.issue_token(&["pins:read", "pins:write"]);
    let (url, params) = register_media(&e, &token).await;
    assert!(url.starts_with("http://127.0.0.2:"), "{url}");
    assert_eq!(upload(&e, &url, &params, "video/mp4").await.status, 204);
    let head = format!("POST /_emulator/faults HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json", e.addr());
    assert_eq!(raw(e.addr(), &head, FAULT.as_bytes()).await.status, 403);
    let head = "POST /_emulator/faults HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json";
    assert_eq!(raw(e.addr(), head, FAULT.as_bytes()).await.status, 201);
}

fn basic() -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{DEMO_CLIENT_ID}:{DEMO_CLIENT_SECRET}"))
    )
}

/// A code from the auto-approving consent page, with `extra` on the
/// authorization URL.
async fn code(e: &EmulatorHandle, extra: &str) -> String {
    let head = format!(
        "GET /oauth/?client_id={DEMO_CLIENT_ID}&redirect_uri=https%3A%2F%2Flocalhost%2F&response_type=code&scope=boards:read&state=s1{extra} HTTP/1.1\r\nHost: {}",
        e.addr()
    );
    let a = raw(e.addr(), &head, b"").await;
    assert_eq!(a.status, 302, "{a:?}");
    let location = a
        .headers
        .lines()
        .find_map(|l| l.strip_prefix("location: ").or_else(|| l.strip_prefix("Location: ")))
        .unwrap()
        .to_owned();
    let q: BTreeMap<String, String> = url::Url::parse(&location).unwrap().query_pairs().into_owned().collect();
    q["code"].clone()
}

async fn exchange(e: &EmulatorHandle, code: &str, verifier: Option<&str>) -> Answer {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("grant_type", "authorization_code")
        .append_pair("code", code)
        .append_pair("redirect_uri", "https://localhost/");
    if let Some(v) = verifier {
        form.append_pair("code_verifier", v);
    }
    let head = format!(
        "POST /v5/oauth/token HTTP/1.1\r\nHost: {}\r\nAuthorization: {}\r\nContent-Type: application/x-www-form-urlencoded",
        e.addr(),
        basic()
    );
    raw(e.addr(), &head, form.finish().as_bytes()).await
}

/// RFC 9700 §2.1.1: a code issued without a challenge and redeemed with a
/// verifier is a downgrade (an attacker who injected a code of their own);
/// a code issued with a challenge and redeemed without a verifier is the
/// other way round. Both are `invalid_grant`, and neither burns the code.
#[tokio::test]
async fn pkce_downgrades_are_refused() {
    let e = Emulator::builder().auto_approve(true).start().await.unwrap();
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier));
    let with_challenge = format!("&code_challenge={challenge}&code_challenge_method=S256");

    let plain = code(&e, "").await;
    let a = exchange(&e, &plain, Some(verifier)).await;
    assert_eq!((a.status, a.json()["error"].as_str()), (400, Some("invalid_grant")), "{a:?}");
    assert!(!a.body.contains("access_token"), "{a:?}");
    let a = exchange(&e, &plain, Some("")).await;
    assert_eq!((a.status, a.json()["error"].as_str()), (400, Some("invalid_grant")), "an empty verifier: {a:?}");
    let a = exchange(&e, &plain, None).await;
    assert_eq!(a.status, 200, "without PKCE on both sides: {a:?}");

    let pkce = code(&e, &with_challenge).await;
    let a = exchange(&e, &pkce, None).await;
    assert_eq!((a.status, a.json()["error"].as_str()), (400, Some("invalid_grant")), "{a:?}");
    let a = exchange(&e, &pkce, Some(verifier)).await;
    assert_eq!(a.status, 200, "with PKCE on both sides: {a:?}");
}

/// A client that sends half a request head and then nothing loses its
/// connection once the header timeout passes (300 ms here); the deadline
/// of this test is only there to turn a hang into a failure.
#[tokio::test]
async fn half_a_request_head_is_cut_off() {
    let e = Emulator::builder().header_read_timeout(Duration::from_millis(300)).start().await.unwrap();
    let mut slow = TcpStream::connect(e.addr()).await.unwrap();
    slow.write_all(format!("GET /v5/user_account HTTP/1.1\r\nHost: {}\r\nX-Slow: ", e.addr()).as_bytes())
        .await
        .unwrap();
    let mut idle = TcpStream::connect(e.addr()).await.unwrap();
    for (name, stream) in [("half a head", &mut slow), ("nothing at all", &mut idle)] {
        let closed = tokio::time::timeout(Duration::from_secs(30), async {
            let mut buf = [0u8; 1024];
            loop {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {} // a 408, say: then the close
                }
            }
        })
        .await;
        assert!(closed.is_ok(), "{name}: the connection is still open after 30 s");
    }
    // The emulator still answers whoever sends a whole request.
    let token = e.issue_token(&["user_accounts:read"]);
    let a = raw(
        e.addr(),
        &format!("GET /v5/user_account HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}", e.addr()),
        b"",
    )
    .await;
    assert_eq!(a.status, 200);
}

/// JSON under another content type is what a cross-site form sends; the
/// API answers 415 with Pinterest's `{code, message}` and creates nothing.
#[tokio::test]
async fn json_bodies_need_a_json_content_type() {
    let e = Emulator::builder().start().await.unwrap();
    let token = e.issue_token(&["boards:read", "boards:write", "pins:read", "pins:write"]);
    let boards_before = e.state().boards.len();
    let body = br#"{"name": "Planted"}"#;
    for ct in [
        Some("text/plain"),
        Some("text/plain; charset=utf-8"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("application/jsonp"),
        None,
    ] {
        let ct_line = ct.map(|c| format!("\r\nContent-Type: {c}")).unwrap_or_default();
        let head = format!("POST /v5/boards HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}{ct_line}", e.addr());
        let a = raw(e.addr(), &head, body).await;
        assert_eq!(a.status, 415, "{ct:?}: {a:?}");
        let err = a.json();
        assert!(err["code"].is_number() && err["message"].is_string(), "{a:?}");
        assert!(a.headers.to_ascii_lowercase().contains("x-pinterest-rid"));
    }
    assert_eq!(e.state().boards.len(), boards_before, "no board was created");
    for ct in ["application/json", "application/json; charset=utf-8", "Application/Json;charset=UTF-8"] {
        let head = format!(
            "POST /v5/boards HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nContent-Type: {ct}",
            e.addr()
        );
        assert_eq!(raw(e.addr(), &head, body).await.status, 201, "{ct}");
    }
    // A body-less call needs no content type; the token endpoint keeps its form.
    let head = format!("GET /v5/boards HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}", e.addr());
    assert_eq!(raw(e.addr(), &head, b"").await.status, 200);
    let head = format!(
        "POST /v5/oauth/token HTTP/1.1\r\nHost: {}\r\nAuthorization: {}\r\nContent-Type: application/x-www-form-urlencoded",
        e.addr(),
        basic()
    );
    let a = raw(e.addr(), &head, b"grant_type=client_credentials&scope=ads:read").await;
    assert_eq!(a.status, 200, "{a:?}");
}

/// The binary with 64 file descriptors and 100 idle connections: it runs
/// out of descriptors, backs off instead of spinning, and answers again as
/// soon as some connections go away. (That it does not spin is shown in
/// virtual time by the accept loop's own tests; this shows it recovers.)
#[test]
fn the_binary_recovers_when_out_of_descriptors() {
    use std::io::{Read, Write};
    use std::process::Command;

    let binary = env!("CARGO_BIN_EXE_pinterest-emulator");
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "ulimit -n 64 && exec \"$0\" --bind 127.0.0.1:0 --seed 1", binary]);
    let (mut child, addr, _) = spawn(cmd);

    let mut idle: Vec<std::net::TcpStream> = (0..100).map(|_| std::net::TcpStream::connect(addr).unwrap()).collect();
    // Each of these holds a descriptor in the emulator once accepted; the
    // rest wait in the backlog while accept fails with EMFILE.
    idle.drain(..60);

    let mut s = std::net::TcpStream::connect(addr).unwrap();
    // Only turns a hang into a failure; the answer comes within a second or so.
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    write!(s, "GET /_emulator/state HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    let read = s.read_to_string(&mut answer);
    let _ = child.kill();
    let _ = child.wait();
    read.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"boards\""), "{answer}");
    drop(idle);
}

/// Starts the binary (through `cmd`) and reads what it prints up to the
/// admin lines: the child, its address, and the printed text.
fn spawn(mut cmd: std::process::Command) -> (std::process::Child, SocketAddr, String) {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut printed = String::new();
    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
        printed.push_str(&line);
        printed.push('\n');
        if line.contains("JSON writes") {
            break;
        }
    }
    let base = printed
        .split("PINTEREST_API_URI=")
        .nth(1)
        .and_then(|r| r.split(')').next())
        .unwrap_or_else(|| panic!("no address in {printed}"));
    let addr: SocketAddr = base.strip_prefix("http://").unwrap().parse().unwrap();
    (child, addr, printed)
}

/// `pinterest-emulator` takes the admin token from
/// `PINTEREST_EMULATOR_ADMIN_TOKEN` and hosts from `--allow-host`, and
/// never prints the token (not even in `--help`).
#[tokio::test]
async fn the_binary_takes_an_admin_token_and_allowed_hosts() {
    let binary = env!("CARGO_BIN_EXE_pinterest-emulator");
    let secret = "adm-CANARY-from-env";
    let help = std::process::Command::new(binary)
        .arg("--help")
        .env("PINTEREST_EMULATOR_ADMIN_TOKEN", secret)
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("--admin-token") && help.contains("--allow-host") && help.contains("--header-read-timeout"));
    assert!(!help.contains(secret), "{help}");

    let mut cmd = std::process::Command::new(binary);
    cmd.args(["--bind", "127.0.0.1:0", "--allow-host", "emulator.internal"])
        .env("PINTEREST_EMULATOR_ADMIN_TOKEN", secret);
    let (mut child, addr, printed) = spawn(cmd);
    let without = "POST /_emulator/tokens HTTP/1.1\r\nHost: emulator.internal\r\nContent-Type: application/json";
    let a = raw(addr, without, MINT.as_bytes()).await;
    let with = format!("{without}\r\nAuthorization: Bearer {secret}");
    let b = raw(addr, &with, MINT.as_bytes()).await;
    let _ = child.kill();
    let _ = child.wait();
    assert!(printed.contains("admin token required"), "{printed}");
    assert!(!printed.contains(secret), "{printed}");
    assert_eq!(a.status, 401, "{a:?}");
    assert_eq!(b.status, 201, "{b:?}");

    // A malformed host or an empty token stops it with a usage error.
    for (args, env) in [(vec!["--allow-host", "bad host"], None), (vec![], Some(""))] {
        let mut cmd = std::process::Command::new(binary);
        cmd.args(["--bind", "127.0.0.1:0"]).args(&args).stdout(std::process::Stdio::null());
        if let Some(v) = env {
            cmd.env("PINTEREST_EMULATOR_ADMIN_TOKEN", v);
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?} {env:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}
