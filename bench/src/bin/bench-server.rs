//! The benchmarks' fixture server: the same bytes for every contender,
//! precomputed, over HTTP/1.1 keep-alive on loopback.
//!
//! Routes (under `/v5`):
//! - `GET /user_account`, `GET /pins/{id}`, `GET /boards/{id}`;
//! - `GET /pins` and `GET /boards/{total}/pins` with `page_size` and
//!   `bookmark`: pages of Pins; `{total}` (default: `--total-pins`) is how
//!   many Pins the walk has before the bookmark turns null;
//! - `POST /pins`: 201 with a Pin.
//!
//! Prints `listening on http://127.0.0.1:<port>` once ready.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

struct Fixtures {
    user: Bytes,
    pin: Bytes,
    board: Bytes,
    /// `"items":[...]` blocks by page size.
    items: Mutex<HashMap<u64, Bytes>>,
    default_total: u64,
}

impl Fixtures {
    fn items(&self, size: u64) -> Bytes {
        let mut cache = self.items.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .entry(size)
            .or_insert_with(|| {
                let page = pinterest_bench::page_json(0, size, None);
                // Keep `{"items":[...]` and drop `,"bookmark":null}`.
                let cut = page.rfind(",\"bookmark\"").unwrap_or(page.len());
                Bytes::from(page[..cut].to_owned())
            })
            .clone()
    }
}

fn query_param<'a>(query: &'a str, key: &str) -> Option<&'a str> {
    query.split('&').find_map(|kv| kv.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
}

fn json(status: StatusCode, body: Bytes) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    r.headers_mut().insert("content-type", http::HeaderValue::from_static("application/json"));
    r.headers_mut().insert("x-pinterest-rid", http::HeaderValue::from_static("bench"));
    r
}

fn page(f: &Fixtures, query: &str, total: u64) -> Response<Full<Bytes>> {
    let size = query_param(query, "page_size").and_then(|s| s.parse::<u64>().ok()).unwrap_or(25).clamp(1, 250);
    let index = query_param(query, "bookmark").and_then(|b| b.strip_prefix('p')).and_then(|n| n.parse::<u64>().ok());
    let index = index.unwrap_or(0);
    let pages = total.div_ceil(size).max(1);
    let items = f.items(size);
    let tail =
        if index + 1 < pages { format!(",\"bookmark\":\"p{}\"}}", index + 1) } else { ",\"bookmark\":null}".into() };
    let mut body = Vec::with_capacity(items.len() + tail.len());
    body.extend_from_slice(&items);
    body.extend_from_slice(tail.as_bytes());
    json(StatusCode::OK, Bytes::from(body))
}

async fn handle(f: Arc<Fixtures>, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    let method = req.method().clone();
    // Read (and drop) any body, as a real server does.
    let _ = req.into_body().collect().await;
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let response = match (method, segments.as_slice()) {
        (Method::GET, ["v5", "user_account"]) => json(StatusCode::OK, f.user.clone()),
        (Method::GET, ["v5", "pins"]) => page(&f, &query, f.default_total),
        (Method::GET, ["v5", "pins", _]) => json(StatusCode::OK, f.pin.clone()),
        (Method::GET, ["v5", "boards", _]) => json(StatusCode::OK, f.board.clone()),
        (Method::GET, ["v5", "boards", total, "pins"]) => page(&f, &query, total.parse().unwrap_or(f.default_total)),
        (Method::POST, ["v5", "pins"]) => json(StatusCode::CREATED, f.pin.clone()),
        _ => json(StatusCode::NOT_FOUND, Bytes::from_static(br#"{"code":404,"message":"Not found"}"#)),
    };
    Ok(response)
}

fn main() {
    let mut port = 0u16;
    let mut total = 10_000u64;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--port" => port = args.next().and_then(|p| p.parse().ok()).unwrap_or(0),
            "--total-pins" => total = args.next().and_then(|p| p.parse().ok()).unwrap_or(total),
            other => {
                eprintln!("unknown argument {other}; usage: bench-server [--port N] [--total-pins N]");
                std::process::exit(2);
            }
        }
    }
    let fixtures = Arc::new(Fixtures {
        user: Bytes::from_static(pinterest_bench::user_json().as_bytes()),
        pin: Bytes::from(pinterest_bench::pin_json(42)),
        board: Bytes::from_static(br#"{"id":"10000","name":"Cakes","privacy":"PUBLIC","owner":{"username":"baker"}}"#),
        items: Mutex::new(HashMap::new()),
        default_total: total,
    });
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            std::process::exit(1);
        }
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("cannot listen: {e}");
                std::process::exit(1);
            }
        };
        if let Ok(addr) = listener.local_addr() {
            println!("listening on http://{addr}");
        }
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            let _ = stream.set_nodelay(true);
            let f = fixtures.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| handle(f.clone(), req));
                let _ = hyper::server::conn::http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
}
