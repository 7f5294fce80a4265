//! One benchmark run of one Rust contender; prints one JSON line.
//!
//! ```text
//! bench-client --contender raw|floor|async|blocking|raw-blocking|reqwest|reqwest-blocking|sdk-reqwest --workload me|pin|page|walk10k|create|stream
//!              --base http://127.0.0.1:PORT [--units N] [--concurrency C] [--warmup W] [--pins N]
//! ```
//!
//! `raw` is hyper's client sending the same requests and reading the bytes
//! without decoding them: the wire limit. `floor` is `raw` plus serde_json
//! decoding the bytes into the SDK's own model type: the least a typed call
//! can cost. `sdk-reqwest` is the SDK over `ReqwestTransport`, its default
//! transport before hyper. `raw-blocking` is one thread per concurrent call,
//! each writing and reading bytes on its own blocking socket: the floor of
//! any blocking client. `reqwest-blocking` is reqwest's blocking client
//! reading the bytes. A unit is one call, except for
//! `walk10k` (every page of 10,000 Pins) and `stream` (every Pin of a
//! `--pins`-long walk through the SDK's stream or iterator).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::TryStreamExt;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use pinterest_bench::{percentiles, usage};
use pinterest_sdk::secret::AccessToken;
use pinterest_sdk::{Config, models};

#[derive(Clone, Copy, PartialEq)]
enum Workload {
    Me,
    Pin,
    Page,
    Walk10k,
    Create,
    Stream,
}

struct Args {
    contender: String,
    workload: Workload,
    base: String,
    units: usize,
    concurrency: usize,
    warmup: usize,
    pins: u64,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        contender: String::new(),
        workload: Workload::Me,
        base: String::new(),
        units: 2000,
        concurrency: 1,
        warmup: 100,
        pins: 10_000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().ok_or(format!("{k} needs a value"))?;
        match k.as_str() {
            "--contender" => a.contender = v,
            "--workload" => {
                a.workload = match v.as_str() {
                    "me" => Workload::Me,
                    "pin" => Workload::Pin,
                    "page" => Workload::Page,
                    "walk10k" => Workload::Walk10k,
                    "create" => Workload::Create,
                    "stream" => Workload::Stream,
                    other => return Err(format!("unknown workload {other}")),
                }
            }
            "--base" => a.base = v,
            "--units" => a.units = v.parse().map_err(|e| format!("--units: {e}"))?,
            "--concurrency" => a.concurrency = v.parse().map_err(|e| format!("--concurrency: {e}"))?,
            "--warmup" => a.warmup = v.parse().map_err(|e| format!("--warmup: {e}"))?,
            "--pins" => a.pins = v.parse().map_err(|e| format!("--pins: {e}"))?,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if a.base.is_empty() || a.contender.is_empty() {
        return Err("--contender and --base are required".into());
    }
    Ok(a)
}

fn create_body() -> models::PinCreate {
    models::PinCreate::new("10000", models::PinMediaSource::image_url("https://www.example.com/cake.jpg"))
        .title("Lemon cake")
        .description("A moist lemon cake with a sharp glaze.")
        .link("https://www.example.com/recipes/lemon-cake")
}

/// The wire limit: same requests, bytes read, nothing decoded.
struct Raw {
    client: HyperClient<HttpConnector, Full<Bytes>>,
    base: String,
    create: Bytes,
}

impl Raw {
    async fn call(&self, method: http::Method, path_query: &str, body: Bytes) -> Result<Bytes, String> {
        let mut req = http::Request::builder()
            .method(method)
            .uri(format!("{}/v5{}", self.base, path_query))
            .header("authorization", "Bearer bench-token")
            .header("accept", "application/json");
        if !body.is_empty() {
            req = req.header("content-type", "application/json");
        }
        let req = req.body(Full::new(body)).map_err(|e| e.to_string())?;
        let resp = self.client.request(req).await.map_err(|e| e.to_string())?;
        if !resp.status().is_success() {
            return Err(format!("status {}", resp.status()));
        }
        resp.into_body().collect().await.map(|b| b.to_bytes()).map_err(|e| e.to_string())
    }

    /// The floor of a typed call: the same bytes as `raw`, decoded by
    /// serde_json into the same generated type the SDK returns.
    async fn floor(&self, w: Workload) -> Result<u64, String> {
        fn typed<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, String> {
            serde_json::from_slice(body).map_err(|e| e.to_string())
        }
        match w {
            Workload::Me => {
                let body = self.call(http::Method::GET, "/user_account", Bytes::new()).await?;
                typed::<models::Account>(&body).map(|_| 1)
            }
            Workload::Pin => {
                let body = self.call(http::Method::GET, "/pins/42", Bytes::new()).await?;
                typed::<models::Pin>(&body).map(|_| 1)
            }
            Workload::Page => {
                let body = self.call(http::Method::GET, "/boards/10000/pins?page_size=250", Bytes::new()).await?;
                typed::<models::BoardsListPinsResponse>(&body).map(|p| p.items.len() as u64)
            }
            Workload::Create => {
                let body = self.call(http::Method::POST, "/pins", self.create.clone()).await?;
                typed::<models::Pin>(&body).map(|_| 1)
            }
            Workload::Walk10k | Workload::Stream => Err("the floor has no walk".into()),
        }
    }

    async fn unit(&self, w: Workload) -> Result<u64, String> {
        match w {
            Workload::Me => self.call(http::Method::GET, "/user_account", Bytes::new()).await.map(|_| 1),
            Workload::Pin => self.call(http::Method::GET, "/pins/42", Bytes::new()).await.map(|_| 1),
            Workload::Page => {
                self.call(http::Method::GET, "/boards/10000/pins?page_size=250", Bytes::new()).await.map(|_| 1)
            }
            Workload::Create => self.call(http::Method::POST, "/pins", self.create.clone()).await.map(|_| 1),
            Workload::Walk10k | Workload::Stream => {
                let mut bookmark: Option<String> = None;
                let mut pages = 0;
                loop {
                    let q = match &bookmark {
                        Some(b) => format!("/boards/10000/pins?page_size=250&bookmark={b}"),
                        None => "/boards/10000/pins?page_size=250".into(),
                    };
                    let body = self.call(http::Method::GET, &q, Bytes::new()).await?;
                    pages += 1;
                    // The wire limit only finds the next bookmark.
                    let text = String::from_utf8_lossy(&body[body.len().saturating_sub(64)..]).into_owned();
                    bookmark =
                        text.split("\"bookmark\":\"").nth(1).and_then(|r| r.split('"').next()).map(str::to_owned);
                    if bookmark.is_none() {
                        return Ok(pages);
                    }
                }
            }
        }
    }
}

async fn reqwest_unit(c: &reqwest::Client, base: &str, w: Workload) -> Result<u64, String> {
    let url = match w {
        Workload::Me => format!("{base}/v5/user_account"),
        Workload::Pin => format!("{base}/v5/pins/42"),
        _ => format!("{base}/v5/boards/10000/pins?page_size=250"),
    };
    let r = c.get(url).bearer_auth("bench-token").send().await.map_err(|e| e.to_string())?;
    r.bytes().await.map(|_| 1).map_err(|e| e.to_string())
}

async fn sdk_unit(c: &pinterest_sdk::Client, w: Workload, pins: u64) -> Result<u64, String> {
    let e = |e: pinterest_sdk::Error| e.to_string();
    match w {
        Workload::Me => c.user_account().get().send().await.map(|_| 1).map_err(e),
        Workload::Pin => c.pins().get("42").send().await.map(|_| 1).map_err(e),
        Workload::Page => {
            c.boards().list_pins("10000").page_size(250).send().await.map(|p| p.items.len() as u64).map_err(e)
        }
        Workload::Create => c.pins().create(create_body()).send().await.map(|_| 1).map_err(e),
        Workload::Walk10k => {
            let mut n = 0;
            let mut pages = std::pin::pin!(c.boards().list_pins("10000").page_size(250).pages());
            while let Some(page) = pages.try_next().await.map_err(e)? {
                n += page.items.len() as u64;
            }
            Ok(n)
        }
        Workload::Stream => {
            let mut n = 0u64;
            let mut s = c.boards().list_pins(pins.to_string()).page_size(250).stream();
            while let Some(pin) = s.try_next().await.map_err(e)? {
                std::hint::black_box(&pin);
                n += 1;
            }
            Ok(n)
        }
    }
}

fn blocking_unit(c: &pinterest_sdk::blocking::Client, w: Workload, pins: u64) -> Result<u64, String> {
    let e = |e: pinterest_sdk::Error| e.to_string();
    match w {
        Workload::Me => c.user_account().get().send().map(|_| 1).map_err(e),
        Workload::Pin => c.pins().get("42").send().map(|_| 1).map_err(e),
        Workload::Page => c.boards().list_pins("10000").page_size(250).send().map(|p| p.items.len() as u64).map_err(e),
        Workload::Create => c.pins().create(create_body()).send().map(|_| 1).map_err(e),
        Workload::Walk10k => {
            let mut n = 0;
            for page in c.boards().list_pins("10000").page_size(250).pages() {
                n += page.map_err(e)?.items.len() as u64;
            }
            Ok(n)
        }
        Workload::Stream => {
            let mut n = 0u64;
            for pin in c.boards().list_pins(pins.to_string()).page_size(250).iter() {
                std::hint::black_box(&pin.map_err(e)?);
                n += 1;
            }
            Ok(n)
        }
    }
}

fn report(a: &Args, lat: &mut [Duration], elapsed: Duration, cpu: Duration, rss: u64, items: u64) {
    let p = percentiles(lat);
    let units = lat.len().max(1) as f64;
    println!(
        "{}",
        serde_json::json!({
            "contender": a.contender,
            "workload": match a.workload { Workload::Me => "me", Workload::Pin => "pin", Workload::Page => "page", Workload::Walk10k => "walk10k", Workload::Create => "create", Workload::Stream => "stream" },
            "concurrency": a.concurrency,
            "units": lat.len(),
            "items": items,
            "elapsed_s": elapsed.as_secs_f64(),
            "units_per_s": units / elapsed.as_secs_f64(),
            "p50_us": p.p50.as_secs_f64() * 1e6,
            "p99_us": p.p99.as_secs_f64() * 1e6,
            "cpu_per_unit_us": cpu.as_secs_f64() * 1e6 / units,
            "max_rss_kib": rss,
        })
    );
}

fn main() {
    let a = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("bench-client: {e}");
            std::process::exit(2);
        }
    };
    pinterest_sdk::internal::install_crypto_provider();
    let config = match Config::builder().api_base(format!("{}/v5", a.base)).build() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("bench-client: {e}");
            std::process::exit(2);
        }
    };
    let result = match a.contender.as_str() {
        "blocking" | "raw-blocking" | "reqwest-blocking" => run_blocking(&a, config),
        "raw" | "floor" | "async" | "reqwest" | "sdk-reqwest" => run_async(&a, config),
        other => Err(format!("unknown contender {other}")),
    };
    if let Err(e) = result {
        eprintln!("bench-client: {e}");
        std::process::exit(1);
    }
}

fn run_async(a: &Args, config: Config) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let sdk = pinterest_sdk::Client::builder()
            .config(config)
            .access_token(AccessToken::new("bench-token"))
            .build()
            .map_err(|e| e.to_string())?;
        let raw = Arc::new(Raw {
            client: HyperClient::builder(TokioExecutor::new()).build_http(),
            base: a.base.clone(),
            create: Bytes::from(serde_json::to_vec(&create_body()).map_err(|e| e.to_string())?),
        });
        // What the default was before it became hyper: the SDK over reqwest.
        let sdk = if a.contender == "sdk-reqwest" {
            pinterest_sdk::Client::builder()
                .config(sdk.config().clone())
                .access_token(AccessToken::new("bench-token"))
                .transport(pinterest_sdk::transport::ReqwestTransport::new(sdk.config()).map_err(|e| e.to_string())?)
                .build()
                .map_err(|e| e.to_string())?
        } else {
            sdk
        };
        let rq = reqwest::Client::builder().build().map_err(|e| e.to_string())?;
        let kind = a.contender.clone();
        let base = a.base.clone();
        let one = move |sdk: pinterest_sdk::Client, raw: Arc<Raw>, w: Workload, pins: u64| {
            let (kind, rq, base) = (kind.clone(), rq.clone(), base.clone());
            async move {
                match kind.as_str() {
                    "raw" => raw.unit(w).await,
                    "floor" => raw.floor(w).await,
                    "reqwest" => reqwest_unit(&rq, &base, w).await,
                    _ => sdk_unit(&sdk, w, pins).await,
                }
            }
        };
        for _ in 0..a.warmup {
            one(sdk.clone(), raw.clone(), a.workload, a.pins).await?;
        }
        let before = usage();
        let started = Instant::now();
        let next = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..a.concurrency {
            let one = one.clone();
            let (sdk, raw, next, w, units, pins) =
                (sdk.clone(), raw.clone(), next.clone(), a.workload, a.units, a.pins);
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::new();
                let mut items = 0;
                while next.fetch_add(1, Ordering::Relaxed) < units {
                    let t = Instant::now();
                    items += one(sdk.clone(), raw.clone(), w, pins).await?;
                    lat.push(t.elapsed());
                }
                Ok::<_, String>((lat, items))
            }));
        }
        let mut lat = Vec::new();
        let mut items = 0;
        for t in tasks {
            let (l, n) = t.await.map_err(|e| e.to_string())??;
            lat.extend(l);
            items += n;
        }
        let elapsed = started.elapsed();
        let after = usage();
        report(a, &mut lat, elapsed, after.cpu.saturating_sub(before.cpu), after.max_rss_kib, items);
        Ok(())
    })
}

/// The floor of any blocking client: one thread per concurrent call, each
/// with its own keep-alive connection (std's blocking `TcpStream`), writing
/// the request bytes and reading the answer's bytes. A thread that waits
/// for its answer sleeps in the kernel, as every blocking client's must.
struct RawBlocking {
    conn: std::io::BufReader<std::net::TcpStream>,
    host: String,
    create: Vec<u8>,
}

impl RawBlocking {
    fn connect(base: &str) -> Result<RawBlocking, String> {
        let host = base.trim_start_matches("http://").to_owned();
        let conn = std::net::TcpStream::connect(&host).map_err(|e| e.to_string())?;
        conn.set_nodelay(true).map_err(|e| e.to_string())?;
        let create = serde_json::to_vec(&create_body()).map_err(|e| e.to_string())?;
        Ok(RawBlocking { conn: std::io::BufReader::new(conn), host, create })
    }

    fn call(&mut self, method: &str, path_query: &str, body: &[u8]) -> Result<Vec<u8>, String> {
        use std::io::{BufRead, Read, Write};
        let mut req = format!(
            "{method} /v5{path_query} HTTP/1.1\r\nhost: {}\r\nauthorization: Bearer bench-token\r\naccept: application/json\r\n",
            self.host
        );
        if !body.is_empty() {
            req.push_str(&format!("content-type: application/json\r\ncontent-length: {}\r\n", body.len()));
        }
        req.push_str("\r\n");
        let mut out = req.into_bytes();
        out.extend_from_slice(body);
        self.conn.get_mut().write_all(&out).map_err(|e| e.to_string())?;
        let mut length = 0usize;
        let mut line = String::new();
        loop {
            line.clear();
            if self.conn.read_line(&mut line).map_err(|e| e.to_string())? == 0 {
                return Err("connection closed".into());
            }
            if line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().map_err(|_| "bad content-length".to_owned())?;
            }
        }
        let mut answer = vec![0; length];
        self.conn.read_exact(&mut answer).map_err(|e| e.to_string())?;
        Ok(answer)
    }

    fn unit(&mut self, w: Workload) -> Result<u64, String> {
        match w {
            Workload::Me => self.call("GET", "/user_account", &[]).map(|_| 1),
            Workload::Pin => self.call("GET", "/pins/42", &[]).map(|_| 1),
            Workload::Page => self.call("GET", "/boards/10000/pins?page_size=250", &[]).map(|_| 1),
            Workload::Create => {
                let body = std::mem::take(&mut self.create);
                let r = self.call("POST", "/pins", &body);
                self.create = body;
                r.map(|_| 1)
            }
            Workload::Walk10k | Workload::Stream => Err("raw-blocking has no walk".into()),
        }
    }
}

fn run_blocking(a: &Args, config: Config) -> Result<(), String> {
    let c = pinterest_sdk::blocking::Client::builder()
        .config(config)
        .access_token(AccessToken::new("bench-token"))
        .build()
        .map_err(|e| e.to_string())?;
    let raw = a.contender == "raw-blocking";
    // reqwest's own blocking client (a runtime on a thread of its own),
    // reading the bytes: what another async-backed blocking client costs.
    let rqb = if a.contender == "reqwest-blocking" {
        Some(reqwest::blocking::Client::builder().build().map_err(|e| e.to_string())?)
    } else {
        None
    };
    let one = |conn: &mut Option<RawBlocking>| -> Result<u64, String> {
        match (conn, &rqb) {
            (Some(conn), _) => conn.unit(a.workload),
            (None, Some(rq)) => {
                let url = match a.workload {
                    Workload::Me => format!("{}/v5/user_account", a.base),
                    Workload::Pin => format!("{}/v5/pins/42", a.base),
                    _ => format!("{}/v5/boards/10000/pins?page_size=250", a.base),
                };
                let r = rq.get(url).bearer_auth("bench-token").send().map_err(|e| e.to_string())?;
                r.bytes().map(|_| 1).map_err(|e| e.to_string())
            }
            (None, None) => blocking_unit(&c, a.workload, a.pins),
        }
    };
    let connect = || if raw { RawBlocking::connect(&a.base).map(Some) } else { Ok(None) };
    let mut warm = connect()?;
    for _ in 0..a.warmup {
        one(&mut warm)?;
    }
    let before = usage();
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let results: Vec<Result<(Vec<Duration>, u64), String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..a.concurrency)
            .map(|_| {
                let (next, one, connect) = (next.clone(), &one, &connect);
                s.spawn(move || {
                    let mut lat = Vec::new();
                    let mut items = 0;
                    let mut conn = connect()?;
                    while next.fetch_add(1, Ordering::Relaxed) < a.units {
                        let t = Instant::now();
                        items += one(&mut conn)?;
                        lat.push(t.elapsed());
                    }
                    Ok((lat, items))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err("a thread panicked".into()))).collect()
    });
    let elapsed = started.elapsed();
    let after = usage();
    let mut lat = Vec::new();
    let mut items = 0;
    for r in results {
        let (l, n) = r?;
        lat.extend(l);
        items += n;
    }
    report(a, &mut lat, elapsed, after.cpu.saturating_sub(before.cpu), after.max_rss_kib, items);
    Ok(())
}
