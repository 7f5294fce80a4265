//! The blocking client over its default transport, against a small HTTP
//! server that records which connection carried each request: a thread
//! that calls again runs its calls on a runtime and connections of its own,
//! shared with no other thread, and gives them back when it ends.
#![cfg(feature = "user_account")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure is the signal

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use pinterest_sdk::blocking::Client;
use pinterest_sdk::secret::AccessToken;
use pinterest_sdk::{Config, auth::MemoryTokenStore};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What the server saw: each request as (connection, path and query), and
/// the connections the client closed.
#[derive(Default)]
struct Seen {
    requests: Vec<(usize, String)>,
    closed: BTreeSet<usize>,
}

struct Server {
    base: String,
    seen: Arc<Mutex<Seen>>,
    _rt: tokio::runtime::Runtime,
}

impl Server {
    /// Answers every request on a kept-alive connection with an account.
    fn start() -> Server {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Seen::default()));
        let log = seen.clone();
        rt.spawn(async move {
            for conn in 0.. {
                let Ok((mut stream, _)) = listener.accept().await else { return };
                let log = log.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    loop {
                        let end = loop {
                            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                                break end + 4;
                            }
                            let mut chunk = [0u8; 4096];
                            match stream.read(&mut chunk).await {
                                Ok(0) | Err(_) => {
                                    log.lock().unwrap().closed.insert(conn);
                                    return;
                                }
                                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                            }
                        };
                        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                        buf.drain(..end);
                        let target = head.split(' ').nth(1).unwrap_or_default().to_owned();
                        log.lock().unwrap().requests.push((conn, target));
                        let body = r#"{"username":"threaded"}"#;
                        let answer = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                            body.len()
                        );
                        if stream.write_all(answer.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Server { base, seen, _rt: rt }
    }

    fn client(&self) -> Client {
        let config = Config::builder().api_host(&self.base).build().unwrap();
        Client::builder().config(config).access_token(AccessToken::new("t")).build().unwrap()
    }

    /// The connections that carried the calls tagged `tag`.
    fn connections_of(&self, tag: &str) -> Vec<usize> {
        let wanted = format!("ad_account_id={tag}");
        let seen = self.seen.lock().unwrap();
        seen.requests.iter().filter(|(_, t)| t.ends_with(&wanted)).map(|(c, _)| *c).collect()
    }

    /// Waits until the server has seen `conn` closed.
    fn closed(&self, conn: usize) -> bool {
        let until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < until {
            if self.seen.lock().unwrap().closed.contains(&conn) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    }
}

/// Threads calling at the same time: from its second call on, each thread
/// sends over one connection of its own, which carries no other thread's
/// calls (with one pool for all, the overlapping calls would mix them).
#[test]
fn each_thread_calls_over_connections_of_its_own() {
    let server = Server::start();
    let client = server.client();
    let (threads, calls) = (6, 8);
    let start = Arc::new(Barrier::new(threads));
    std::thread::scope(|s| {
        for t in 0..threads {
            let (client, start) = (&client, start.clone());
            s.spawn(move || {
                start.wait();
                for _ in 0..calls {
                    let account = client.user_account().get().ad_account_id(format!("{t}")).send().unwrap();
                    assert_eq!(account.username.as_deref(), Some("threaded"));
                }
            });
        }
    });
    let mut owner = BTreeMap::new();
    for t in 0..threads {
        let conns = server.connections_of(&t.to_string());
        assert_eq!(conns.len(), calls, "thread {t}: every call answered");
        let own: BTreeSet<usize> = conns[1..].iter().copied().collect();
        assert_eq!(own.len(), 1, "thread {t}: its later calls reuse one connection: {conns:?}");
        for conn in own {
            assert_eq!(owner.insert(conn, t), None, "connection {conn} carried calls of two threads");
        }
    }
}

/// A thread's runtime and its connections go when the thread ends; the
/// client goes on working on other threads.
#[test]
fn a_thread_that_ends_closes_its_connections() {
    let server = Server::start();
    let client = server.client();
    std::thread::scope(|s| {
        s.spawn(|| {
            for _ in 0..3 {
                client.user_account().get().ad_account_id("7").send().unwrap();
            }
        });
    });
    let conns = server.connections_of("7");
    let own = *conns.last().unwrap();
    assert_eq!(conns[1..], [own, own], "the thread's later calls share its connection");
    assert!(server.closed(own), "the ended thread's connection was closed");
    for _ in 0..2 {
        client.user_account().get().ad_account_id("8").send().unwrap();
    }
    assert!(server.connections_of("8").iter().all(|c| *c != own));
}

/// A client with a token source that renews (whose work outlives a call)
/// keeps its calls on the shared runtime: threads then share its pool, and
/// a connection can carry calls of several threads in turn.
#[test]
fn a_renewing_token_source_keeps_calls_on_the_shared_runtime() {
    let server = Server::start();
    let config = Config::builder().api_host(&server.base).oauth_host(&server.base).build().unwrap();
    let oauth = pinterest_sdk::oauth::OAuth::builder("app", "secret").config(config.clone()).build().unwrap();
    let tokens = pinterest_sdk::auth::TokenSet::from_access_token(AccessToken::new("t"));
    let source = pinterest_sdk::auth::RefreshingTokenSource::builder(oauth)
        .tokens(tokens)
        .store(Arc::new(MemoryTokenStore::new()), "account")
        .build()
        .unwrap();
    let client = Client::builder().config(config).token_source(Arc::new(source)).build().unwrap();
    for t in ["a", "b"] {
        std::thread::scope(|s| {
            s.spawn(|| {
                for _ in 0..2 {
                    client.user_account().get().ad_account_id(t).send().unwrap();
                }
            });
        });
    }
    let (a, b) = (server.connections_of("a"), server.connections_of("b"));
    assert_eq!(a.len() + b.len(), 4);
    let all: BTreeSet<usize> = a.iter().chain(&b).copied().collect();
    assert_eq!(all.len(), 1, "one shared connection for both threads: {a:?} {b:?}");
}
