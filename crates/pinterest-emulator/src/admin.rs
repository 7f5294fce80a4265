//! `/_emulator/*`: control of the emulator, and the storage endpoint that
//! media uploads go to.
//!
//! Every request under `/_emulator` passes [`refuse`] before it is routed:
//! a `Host` that is not loopback (or allowed by name) is refused, since a
//! web page whose name was rebound to 127.0.0.1 would otherwise reach the
//! admin routes from the user's browser; writes must be JSON, which a
//! cross-site form or simple `fetch` cannot send; and with an admin token
//! configured, it must come with every admin request. The upload target
//! takes multipart (what the SDK and S3 clients send) and, instead of the
//! admin token, the signature issued with its URL.

use std::net::Ipv6Addr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Multipart, Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode, Uri};
use serde::Deserialize;
use serde_json::json;

use crate::api::json;
use crate::server::{Fault, Shared, json_error, media_type_is};

/// A host admin requests may name: a lowercase name or address (IPv6 in
/// brackets), and a port when only that port is allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRule {
    host: String,
    port: Option<u16>,
}

/// The loopback names, any port.
fn loopback() -> Vec<HostRule> {
    ["localhost", "127.0.0.1", "[::1]"].iter().map(|h| HostRule { host: (*h).to_owned(), port: None }).collect()
}

/// Splits `host[:port]` (IPv6 in brackets) into a normalised host and the
/// port; `None` when it is not a plain host.
fn split_host(value: &str) -> Option<(String, Option<u16>)> {
    let (host, rest) = match value.strip_prefix('[') {
        Some(bracketed) => {
            let (inner, rest) = bracketed.split_once(']')?;
            (format!("[{}]", inner.parse::<Ipv6Addr>().ok()?), rest)
        }
        None => {
            let (name, rest) = value.find(':').map_or((value, ""), |i| value.split_at(i));
            let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_');
            if name.is_empty() || !name.chars().all(plain) {
                return None;
            }
            (name.to_ascii_lowercase(), rest)
        }
    };
    let port = match rest {
        "" => None,
        _ => Some(rest.strip_prefix(':')?.parse::<u16>().ok()?),
    };
    Some((host, port))
}

/// The hosts admin requests may name: loopback, and `extra` (`name`,
/// `name:port`, an IPv6 address with or without brackets).
pub fn host_rules(extra: &[String]) -> std::io::Result<Vec<HostRule>> {
    let mut rules = loopback();
    for entry in extra {
        let rule = match entry.parse::<Ipv6Addr>() {
            Ok(ip) => Some(HostRule { host: format!("[{ip}]"), port: None }),
            Err(_) => split_host(entry).map(|(host, port)| HostRule { host, port }),
        };
        match rule {
            Some(r) => rules.push(r),
            None => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("not a host name or host:port: {entry:?}"),
                ));
            }
        }
    }
    Ok(rules)
}

/// The address the emulator listens on, as the upload URLs it issues name
/// it (exactly this port).
pub fn own_host(addr: std::net::SocketAddr) -> HostRule {
    let host = match addr.ip() {
        std::net::IpAddr::V4(ip) => ip.to_string(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
    };
    HostRule { host, port: Some(addr.port()) }
}

fn host_allowed(rules: &[HostRule], value: &str) -> bool {
    split_host(value)
        .is_some_and(|(host, port)| rules.iter().any(|r| r.host == host && (r.port.is_none() || r.port == port)))
}

/// Exactly one `Host`, allowed, and (for an absolute-form target) an
/// allowed authority.
fn request_host_allowed(rules: &[HostRule], uri: &Uri, headers: &HeaderMap) -> bool {
    let mut hosts = headers.get_all(http::header::HOST).iter();
    let (Some(host), None) = (hosts.next(), hosts.next()) else { return false };
    let Ok(host) = host.to_str() else { return false };
    host_allowed(rules, host) && uri.authority().is_none_or(|a| host_allowed(rules, a.as_str()))
}

/// The bearer credentials of `Authorization`, if that is its scheme.
fn bearer(headers: &HeaderMap) -> Option<&[u8]> {
    let value = headers.get(http::header::AUTHORIZATION)?.as_bytes();
    let (scheme, rest) = value.split_at_checked(7)?;
    scheme.eq_ignore_ascii_case(b"bearer ").then_some(rest)
}

/// Why a request under `/_emulator` is not let through, as the answer to
/// send; `None` lets it be routed.
/// The storage endpoints (media uploads, report downloads): signed by
/// their URLs rather than guarded by the admin token.
pub fn is_storage(path: &str) -> bool {
    path.starts_with("/_emulator/upload/") || path.starts_with("/_emulator/reports/")
}

pub fn refuse(s: &Shared, method: &Method, uri: &Uri, headers: &HeaderMap) -> Option<Response<Body>> {
    let storage = is_storage(uri.path());
    let upload = uri.path().starts_with("/_emulator/upload/");
    // The upload target also answers the host its URLs name (the bound
    // address, say 0.0.0.0:4010); the admin routes only loopback names.
    let hosts = if storage { &s.upload_hosts } else { &s.admin_hosts };
    if !request_host_allowed(hosts, uri, headers) {
        return Some(json_error(
            StatusCode::FORBIDDEN,
            3,
            "Admin routes answer loopback hosts only (localhost, 127.0.0.1, [::1]); allow others with --allow-host.",
        ));
    }
    if upload {
        if method == Method::POST && !media_type_is(headers, "multipart/form-data") {
            return Some(xml_error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "InvalidRequest",
                "an upload is a multipart/form-data POST",
            ));
        }
        return None;
    }
    if storage {
        return None;
    }
    if let Some(token) = &s.settings.admin_token
        && !bearer(headers).is_some_and(|given| token.matches(given))
    {
        let mut r = json_error(
            StatusCode::UNAUTHORIZED,
            2,
            "Admin routes need the admin token: Authorization: Bearer <token>.",
        );
        r.headers_mut()
            .insert("www-authenticate", HeaderValue::from_static("Bearer realm=\"pinterest-emulator admin\""));
        return Some(r);
    }
    if method != Method::GET && method != Method::HEAD && !media_type_is(headers, "application/json") {
        return Some(json_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            415,
            "Admin writes take Content-Type: application/json (with or without a body).",
        ));
    }
    None
}

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_emulator/reset", post(reset))
        .route("/_emulator/seed", post(seed))
        .route("/_emulator/requests", get(requests).delete(clear_requests))
        .route("/_emulator/faults", get(faults).post(add_fault).delete(clear_faults))
        .route("/_emulator/tokens", post(mint))
        .route("/_emulator/state", get(state))
        .route("/_emulator/rate_limits", get(rate_limits))
        .route("/_emulator/upload/{media_id}", post(upload))
        .route("/_emulator/reports/{token}", get(crate::reports::download))
        .route("/_emulator/events", get(crate::reports::list_events))
}

async fn reset(State(s): State<Arc<Shared>>) -> Response<Body> {
    s.reset(None);
    json(StatusCode::OK, &json!({"reset": true}))
}

#[derive(Deserialize, Default)]
struct SeedBody {
    seed: Option<u64>,
}

async fn seed(State(s): State<Arc<Shared>>, body: Option<Json<SeedBody>>) -> Response<Body> {
    let seed = body.map(|Json(b)| b).unwrap_or_default().seed.unwrap_or(0);
    s.reset(Some(seed));
    json(StatusCode::OK, &json!({"seeded": seed}))
}

async fn requests(State(s): State<Arc<Shared>>) -> Response<Body> {
    json(StatusCode::OK, &json!(s.requests()))
}

async fn clear_requests(State(s): State<Arc<Shared>>) -> Response<Body> {
    s.clear_requests();
    json(StatusCode::OK, &json!({"cleared": true}))
}

async fn faults(State(s): State<Arc<Shared>>) -> Response<Body> {
    json(StatusCode::OK, &json!(s.faults()))
}

async fn add_fault(State(s): State<Arc<Shared>>, body: axum::body::Bytes) -> Response<Body> {
    match serde_json::from_slice::<Fault>(&body) {
        Ok(f) => {
            s.add_fault(f);
            json(StatusCode::CREATED, &json!({"faults": s.faults().len()}))
        }
        Err(e) => json_error(StatusCode::BAD_REQUEST, 1, &format!("not a fault: {e}")),
    }
}

async fn clear_faults(State(s): State<Arc<Shared>>) -> Response<Body> {
    s.clear_faults();
    json(StatusCode::OK, &json!({"faults": 0}))
}

#[derive(Deserialize)]
struct MintBody {
    scopes: Vec<String>,
}

/// Mints an access token for the demo app without the OAuth dance.
async fn mint(State(s): State<Arc<Shared>>, body: axum::body::Bytes) -> Response<Body> {
    match serde_json::from_slice::<MintBody>(&body) {
        Ok(b) => {
            let scopes: Vec<&str> = b.scopes.iter().map(String::as_str).collect();
            json(StatusCode::CREATED, &json!({"access_token": s.issue_token(&scopes), "token_type": "bearer"}))
        }
        Err(e) => json_error(StatusCode::BAD_REQUEST, 1, &format!("expected {{\"scopes\": [...]}}: {e}")),
    }
}

/// The rate limits and the open windows.
async fn rate_limits(State(s): State<Arc<Shared>>) -> Response<Body> {
    json(StatusCode::OK, &crate::ratelimit::report(&s))
}

async fn state(State(s): State<Arc<Shared>>) -> Response<Body> {
    let d = s.snapshot();
    json(
        StatusCode::OK,
        &json!({
            "boards": d.boards.len(),
            "sections": d.sections.len(),
            "pins": d.pins.len(),
            "media": d.media.len(),
            "user": d.user,
            "world": d.world.lists.iter().map(|(list, recs)| (list.clone(), json!(recs.len()))).collect::<serde_json::Map<_, _>>(),
        }),
    )
}

/// The storage endpoint of a media upload: a `multipart/form-data` POST of
/// the fields `POST /v5/media` issued (its `key` and `x-amz-signature`
/// must be those of this upload) and then `file`, answered 204 like S3.
async fn upload(State(s): State<Arc<Shared>>, Path(media_id): Path<String>, mut form: Multipart) -> Response<Body> {
    let mut key = None;
    let mut signature: Option<Vec<u8>> = None;
    let mut file_name = None;
    let mut size = 0usize;
    loop {
        match form.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_owned();
                let fname = field.file_name().map(str::to_owned);
                match field.bytes().await {
                    Ok(bytes) => match name.as_str() {
                        "key" => key = Some(String::from_utf8_lossy(&bytes).into_owned()),
                        "x-amz-signature" => signature = Some(bytes.to_vec()),
                        "file" => {
                            file_name = Some(fname.unwrap_or_default());
                            size = bytes.len();
                        }
                        _ => {}
                    },
                    Err(e) => return xml_error(StatusCode::BAD_REQUEST, "MalformedPOSTRequest", &e.to_string()),
                }
            }
            Ok(None) => break,
            Err(e) => return xml_error(StatusCode::BAD_REQUEST, "MalformedPOSTRequest", &e.to_string()),
        }
    }
    let mut d = s.data();
    let Some(media) = d.media.get_mut(&media_id) else {
        return xml_error(StatusCode::NOT_FOUND, "NoSuchUpload", "unknown upload");
    };
    if key.as_deref() != Some(format!("uploads/{media_id}").as_str()) {
        return xml_error(StatusCode::FORBIDDEN, "AccessDenied", "the key does not match the upload");
    }
    let signed = match (&media.upload_signature, &signature) {
        (Some(want), Some(given)) => want.matches(given),
        _ => false,
    };
    if !signed {
        return xml_error(StatusCode::FORBIDDEN, "SignatureDoesNotMatch", "the upload is not signed for this URL");
    }
    let Some(file_name) = file_name else {
        return xml_error(StatusCode::BAD_REQUEST, "MalformedPOSTRequest", "the file field is missing");
    };
    media.uploaded = true;
    // A file named like "...fail..." (or an empty one) fails processing, for tests.
    media.status = if file_name.contains("fail") || size == 0 { "failed".into() } else { "processing".into() };
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::NO_CONTENT;
    r
}

fn xml_error(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    let mut r = Response::new(Body::from(format!("<Error><Code>{code}</Code><Message>{message}</Message></Error>")));
    *r.status_mut() = status;
    r.headers_mut().insert("content-type", http::HeaderValue::from_static("application/xml"));
    r
}
