//! Serving: the listener, and around every request the layer that applies
//! faults, stamps `x-pinterest-rid`, and writes the request log.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use tower::ServiceExt;

use crate::state::{AccessRec, App, Data, now};
use crate::{EmulatorHandle, Settings};

/// What a fault does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FaultKind {
    /// 429, with `Retry-After` when `retry_after` is set.
    #[serde(rename = "429")]
    TooManyRequests,
    /// 429 that Pinterest marks as spam prevention.
    #[serde(rename = "429_spam")]
    Spam,
    /// 500.
    #[serde(rename = "500")]
    ServerError,
    /// 503.
    #[serde(rename = "503")]
    Unavailable,
    /// Waits `latency_ms` (or until [`EmulatorHandle::release_delayed`]),
    /// then answers normally.
    #[serde(rename = "latency")]
    Latency,
    /// Closes the connection without answering.
    #[serde(rename = "drop")]
    Drop,
    /// Answers normally but sends only the first half of the body.
    #[serde(rename = "truncate")]
    Truncate,
    /// 307 to another host.
    #[serde(rename = "307")]
    Redirect,
}

/// A fault to inject: on `route` (an operation id such as `pins/get` or
/// `oauth/token`, or `*` for every API route), `count` times (default:
/// until removed) or with `probability`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fault {
    pub route: String,
    pub kind: FaultKind,
    #[serde(default)]
    pub count: Option<u32>,
    #[serde(default)]
    pub probability: Option<f64>,
    #[serde(default)]
    pub retry_after: Option<u64>,
    #[serde(default)]
    pub latency_ms: Option<u64>,
}

impl Fault {
    /// A fault of `kind` on `route`, once.
    pub fn once(route: &str, kind: FaultKind) -> Fault {
        Fault { route: route.into(), kind, count: Some(1), probability: None, retry_after: None, latency_ms: None }
    }
}

/// One received request, secrets masked.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoggedRequest {
    pub seq: u64,
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    /// 0 until answered (and for requests whose client hung up first).
    pub status: u16,
    pub operation: Option<String>,
    /// For token requests.
    pub grant_type: Option<String>,
    /// A fault that was applied.
    pub fault: Option<FaultKind>,
}

/// Handlers note things for the log here (the grant type of a token request).
#[derive(Debug, Clone, Default)]
pub struct Note(pub Arc<Mutex<Option<String>>>);

/// How many requests the log keeps (the most recent ones); the counters
/// behind `token_requests` count every request regardless.
pub const LOG_CAPACITY: usize = 10_000;

pub struct Shared {
    pub data: Mutex<Data>,
    pub settings: Settings,
    pub base_url: Mutex<String>,
    initial: Mutex<Data>,
    faults: Mutex<Vec<Fault>>,
    log: Mutex<VecDeque<LoggedRequest>>,
    token_requests: Mutex<BTreeMap<String, usize>>,
    seq: AtomicU64,
    /// Bumped by `release_delayed`: a request delayed by a latency fault
    /// waits until this differs from its value when the request arrived.
    released: tokio::sync::watch::Sender<u64>,
    rng: Mutex<rand::rngs::StdRng>,
    state_file: Option<PathBuf>,
    /// The hosts admin requests may name.
    pub admin_hosts: Vec<crate::admin::HostRule>,
    /// The hosts uploads may name: those, and the emulator's own address.
    pub upload_hosts: Vec<crate::admin::HostRule>,
    /// The open rate-limit windows (not saved; cleared by a reset).
    pub rate_counters: crate::ratelimit::Counters,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").field("settings", &self.settings).finish_non_exhaustive()
    }
}

/// Locks, recovering from a poisoned lock (a handler never panics, but a
/// poisoned lock must not take the emulator down).
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Query keys whose values are masked in the log.
const SECRET_KEYS: &[&str] =
    &["access_token", "refresh_token", "code", "state", "token", "client_secret", "code_verifier", "signature"];

impl Shared {
    pub fn data(&self) -> MutexGuard<'_, Data> {
        lock(&self.data)
    }

    pub fn base_url(&self) -> String {
        lock(&self.base_url).clone()
    }

    pub fn count_token_request(&self, grant: &str) {
        *lock(&self.token_requests).entry(grant.to_owned()).or_default() += 1;
    }

    pub fn token_requests(&self, grant: Option<&str>) -> usize {
        let counts = lock(&self.token_requests);
        match grant {
            Some(g) => counts.get(g).copied().unwrap_or(0),
            None => counts.values().sum(),
        }
    }

    pub fn requests(&self) -> Vec<LoggedRequest> {
        lock(&self.log).iter().cloned().collect()
    }

    pub fn clear_requests(&self) {
        lock(&self.log).clear();
        lock(&self.token_requests).clear();
    }

    pub fn add_fault(&self, fault: Fault) {
        lock(&self.faults).push(fault);
    }

    pub fn faults(&self) -> Vec<Fault> {
        lock(&self.faults).clone()
    }

    pub fn clear_faults(&self) {
        lock(&self.faults).clear();
    }

    pub fn snapshot(&self) -> Data {
        self.data().clone()
    }

    /// Back to the initial state, or to fresh demo content with `seed`.
    pub fn reset(&self, seed: Option<u64>) {
        let fresh = match seed {
            Some(s) => Data::new(Some(s), self.data().apps.clone()),
            None => lock(&self.initial).clone(),
        };
        *self.data() = fresh;
        self.clear_faults();
        self.clear_requests();
        self.rate_counters.clear();
    }

    pub fn issue_token(&self, scopes: &[&str]) -> String {
        let mut d = self.data();
        let token = d.token("pina_");
        let expires_at = now() + self.settings.access_token_ttl.as_secs();
        d.tokens.access.insert(
            token.clone(),
            AccessRec {
                app: crate::DEMO_CLIENT_ID.into(),
                scopes: scopes.iter().map(|s| s.to_string()).collect(),
                expires_at,
                family: None,
            },
        );
        token
    }

    pub fn save(&self) -> std::io::Result<()> {
        let Some(path) = &self.state_file else { return Ok(()) };
        let json = serde_json::to_vec_pretty(&*self.data()).map_err(std::io::Error::other)?;
        // The state holds live tokens: written like a token store.
        pinterest_sdk::internal::write_private(path, &json)
    }

    /// The fault to apply to a request on `route`, consuming one use.
    /// Lets every request held by a latency fault go on at once.
    pub fn release_delayed(&self) {
        self.released.send_modify(|n| *n += 1);
    }

    fn take_fault(&self, route: &str) -> Option<Fault> {
        let mut faults = lock(&self.faults);
        let i = faults.iter().position(|f| f.route == route || f.route == "*")?;
        if let Some(p) = faults[i].probability
            && lock(&self.rng).random::<f64>() >= p
        {
            return None;
        }
        let fault = faults[i].clone();
        if let Some(n) = faults[i].count.as_mut() {
            *n = n.saturating_sub(1);
            if *n == 0 {
                faults.remove(i);
            }
        }
        Some(fault)
    }

    fn log(&self, entry: LoggedRequest) {
        let mut log = lock(&self.log);
        if log.len() == LOG_CAPACITY {
            log.pop_front();
        }
        log.push_back(entry);
    }

    /// Completes the entry logged on arrival (a client that hung up first
    /// leaves status 0).
    fn complete(&self, seq: u64, status: u16, grant_type: Option<String>) {
        if let Some(e) = lock(&self.log).iter_mut().rev().find(|e| e.seq == seq) {
            e.status = status;
            e.grant_type = grant_type;
        }
    }
}

/// A report download's path names its token: masked like the `token`
/// query value of the status read.
fn masked_path(path: &str) -> String {
    match path.strip_prefix("/_emulator/reports/") {
        Some(_) => "/_emulator/reports/[masked]".to_owned(),
        None => path.to_owned(),
    }
}

fn masked_query(query: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| {
            let v = if SECRET_KEYS.contains(&k.as_ref()) { "[masked]".to_owned() } else { v.into_owned() };
            (k.into_owned(), v)
        })
        .collect()
}

/// The operation id a request addresses, for faults and the log.
fn route_of(method: &http::Method, path: &str) -> Option<String> {
    if path == "/oauth/" || path == "/oauth" {
        return Some("oauth/authorize".into());
    }
    if path.starts_with("/_emulator/upload/") {
        return Some("media/upload".into());
    }
    if path.starts_with("/_emulator/reports/") {
        return Some("reports/download".into());
    }
    let sub = path.strip_prefix("/v5")?;
    pinterest_sdk::registry::route(method.as_str(), sub).map(|(op, _)| op.id.to_owned())
}

/// Whether `Content-Type` names `media_type` (parameters such as
/// `charset` aside; case-insensitive).
pub fn media_type_is(headers: &http::HeaderMap, media_type: &str) -> bool {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case(media_type))
}

pub fn json_error(status: StatusCode, code: i64, message: &str) -> Response<Body> {
    let body = serde_json::json!({"code": code, "message": message}).to_string();
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert("content-type", HeaderValue::from_static("application/json"));
    r
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The longest request target (path and query) the emulator takes.
pub const MAX_TARGET_BYTES: usize = 16 * 1024;

async fn serve(shared: Arc<Shared>, router: Router, req: Request<Incoming>) -> Result<Response<Body>, BoxError> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    let route = route_of(&method, &path);
    // Read before the request is logged: a release seen in the log is never missed.
    let mut released = shared.released.subscribe();
    let seq = shared.seq.fetch_add(1, Ordering::SeqCst) + 1;
    let note = Note::default();
    let budget = crate::ratelimit::Slot::default();
    let admin = path.starts_with("/_emulator/") && !crate::admin::is_storage(&path);
    // Host, admin token and content type, before anything else happens.
    let refused = if path.starts_with("/_emulator") {
        crate::admin::refuse(&shared, &method, req.uri(), req.headers())
    } else {
        None
    };
    let fault = match (&route, admin, &refused) {
        (Some(r), false, None) => shared.take_fault(r),
        _ => None,
    };
    let entry = LoggedRequest {
        seq,
        method: method.to_string(),
        path: masked_path(&path),
        query: masked_query(&query),
        status: 0,
        operation: route.clone(),
        grant_type: None,
        fault: fault.as_ref().map(|f| f.kind),
    };
    // Logged on arrival, completed when answered.
    shared.log(entry);
    // A request target longer than the emulator takes: a JSON 414 (above
    // 64 KiB hyper itself answers a bare 414 before the request gets here).
    let target_len = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    let too_long = (target_len > MAX_TARGET_BYTES).then(|| {
        json_error(
            StatusCode::URI_TOO_LONG,
            414,
            &format!("The request URI is too long: {target_len} bytes, at most {MAX_TARGET_BYTES}."),
        )
    });
    let early = match (too_long.or(refused), &fault) {
        (Some(refusal), _) => Some(refusal),
        (None, Some(f)) => match f.kind {
            FaultKind::Drop => return Err("fault: connection dropped".into()),
            FaultKind::Latency => {
                let latency = Duration::from_millis(f.latency_ms.unwrap_or(500));
                tokio::select! {
                    _ = tokio::time::sleep(latency) => {}
                    _ = released.changed() => {}
                }
                None
            }
            FaultKind::TooManyRequests => {
                let mut r = json_error(StatusCode::TOO_MANY_REQUESTS, 8, "Too many requests, slow down");
                if let Some(secs) = f.retry_after {
                    r.headers_mut().insert("retry-after", HeaderValue::from(secs));
                }
                Some(r)
            }
            FaultKind::Spam => Some(json_error(
                StatusCode::TOO_MANY_REQUESTS,
                8,
                "Your request was blocked to prevent spam. Try again later.",
            )),
            FaultKind::ServerError => Some(json_error(StatusCode::INTERNAL_SERVER_ERROR, 1, "Internal error")),
            FaultKind::Unavailable => Some(json_error(StatusCode::SERVICE_UNAVAILABLE, 1, "Service unavailable")),
            FaultKind::Redirect => {
                let mut r = Response::new(Body::empty());
                *r.status_mut() = StatusCode::TEMPORARY_REDIRECT;
                r.headers_mut().insert("location", HeaderValue::from_static("https://elsewhere.example/moved"));
                Some(r)
            }
            FaultKind::Truncate => None,
        },
        (None, None) => None,
    };
    let mut response = match early {
        Some(r) => r,
        None => {
            let (mut parts, body) = req.into_parts();
            parts.extensions.insert(note.clone());
            parts.extensions.insert(budget.clone());
            let req = Request::from_parts(parts, Body::new(body));
            let mut r = router.oneshot(req).await.unwrap_or_else(|never| match never {});
            if fault.as_ref().is_some_and(|f| f.kind == FaultKind::Truncate) {
                let (parts, body) = r.into_parts();
                let bytes = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                let cut = Bytes::copy_from_slice(&bytes[..bytes.len() / 2]);
                r = Response::from_parts(parts, Body::from(cut));
                r.headers_mut().remove("content-length");
            }
            r
        }
    };
    let rid = format!("emu-{seq:08}");
    if let Ok(v) = HeaderValue::from_str(&rid) {
        response.headers_mut().insert("x-pinterest-rid", v);
    }
    // Only on API calls that were counted (rate limits on, category limited).
    budget.write(response.headers_mut());
    let grant = lock(&note.0).clone();
    shared.complete(seq, response.status().as_u16(), grant);
    Ok(response)
}

pub async fn start(
    bind: SocketAddr,
    settings: Settings,
    seed: Option<u64>,
    apps: Vec<App>,
    state_file: Option<PathBuf>,
) -> std::io::Result<EmulatorHandle> {
    let loaded = match &state_file {
        Some(path) if path.exists() => {
            let bytes = std::fs::read(path)?;
            let mut d = serde_json::from_slice::<Data>(&bytes).map_err(std::io::Error::other)?;
            // A state file from before the seeded world gets one, and its
            // times an offset.
            if d.world.lists.is_empty() {
                crate::world::World::seed(&mut d);
            }
            d.add_offsets();
            Some(d)
        }
        _ => None,
    };
    let initial = loaded.unwrap_or_else(|| Data::new(seed, apps));
    let admin_hosts = crate::admin::host_rules(&settings.allowed_hosts)?;
    let listener = tokio::net::TcpListener::bind(bind).await?;
    let addr = listener.local_addr()?;
    let mut upload_hosts = admin_hosts.clone();
    upload_hosts.push(crate::admin::own_host(addr));
    let shared = Arc::new(Shared {
        data: Mutex::new(initial.clone()),
        settings,
        base_url: Mutex::new(format!("http://{addr}")),
        initial: Mutex::new(initial),
        faults: Mutex::new(Vec::new()),
        log: Mutex::new(VecDeque::new()),
        token_requests: Mutex::new(BTreeMap::new()),
        seq: AtomicU64::new(0),
        released: tokio::sync::watch::channel(0).0,
        rng: Mutex::new(rand::rngs::StdRng::seed_from_u64(seed.unwrap_or(0))),
        state_file,
        admin_hosts,
        upload_hosts,
        rate_counters: Default::default(),
    });
    let router = Router::new()
        .merge(crate::oauth::routes())
        .merge(crate::admin::routes())
        .fallback(crate::api::handle)
        .with_state(shared.clone());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let s = shared.clone();
    let task = tokio::spawn(crate::accept::run(listener, stop_rx, move |stream: tokio::net::TcpStream| {
        let _ = stream.set_nodelay(true);
        let (s, router) = (s.clone(), router.clone());
        async move {
            // A client gets this long for each request head (and an idle
            // kept-alive connection for the next one), then is cut off.
            let header_timeout = s.settings.header_read_timeout;
            let service = hyper::service::service_fn(move |req| serve(s.clone(), router.clone(), req));
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        }
    }));
    Ok(EmulatorHandle { addr, shared, stop: Some(stop_tx), task: Some(task) })
}
