//! The default transport through a real forward proxy: plain `http` in
//! absolute form with the proxy's credentials, `https` through a `CONNECT`
//! tunnel with TLS end to end (the proxy sees the host, never the path or
//! the token), `NO_PROXY`, and the variables of the environment.
//!
//! The proxy is a small one written here (it logs each request head it
//! gets, then relays bytes); the TLS endpoint in front of the emulator uses
//! a CA and certificate made by `openssl` (as the Redis TLS test does).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure is the signal

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pinterest_emulator::{Emulator, EmulatorHandle};
use pinterest_sdk::retry::RetryPolicy;
use pinterest_sdk::secret::AccessToken;
use pinterest_sdk::transport::{HyperTransport, Proxies};
use pinterest_sdk::{Client, Config};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// A forward proxy on loopback that logs every request head it receives.
struct Proxy {
    addr: SocketAddr,
    heads: Arc<Mutex<Vec<String>>>,
}

impl Proxy {
    async fn start() -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let heads = Arc::new(Mutex::new(Vec::new()));
        let log = heads.clone();
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                tokio::spawn(relay(conn, log.clone()));
            }
        });
        Proxy { addr, heads }
    }

    fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }

    fn url(&self, credentials: &str) -> String {
        format!("http://{credentials}{}", self.addr)
    }
}

/// Reads one request head; for `CONNECT` opens the tunnel, otherwise sends
/// the head on to the host its absolute URI names. Then relays both ways.
async fn relay(conn: TcpStream, log: Arc<Mutex<Vec<String>>>) {
    let mut client = BufReader::new(conn);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if client.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    log.lock().unwrap().push(head.clone());
    let target = head.split_whitespace().nth(1).unwrap_or_default().to_owned();
    let mut upstream = if head.starts_with("CONNECT ") {
        let Ok(upstream) = TcpStream::connect(&target).await else { return };
        client.get_mut().write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").await.unwrap();
        upstream
    } else {
        let authority = target.trim_start_matches("http://").split('/').next().unwrap_or_default().to_owned();
        let Ok(mut upstream) = TcpStream::connect(&authority).await else { return };
        upstream.write_all(head.as_bytes()).await.unwrap();
        upstream
    };
    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
}

fn config(base: &str) -> Config {
    Config::builder()
        .api_host(base)
        .oauth_host(base)
        .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(10)))
        .build()
        .unwrap()
}

fn client(config: Config, transport: HyperTransport, token: &str) -> Client {
    Client::builder().transport(transport).config(config).access_token(AccessToken::new(token)).build().unwrap()
}

async fn emulator() -> (EmulatorHandle, String) {
    let e = Emulator::builder().start().await.unwrap();
    let token = e.issue_token(&["user_accounts:read"]);
    (e, token)
}

#[tokio::test]
async fn plain_http_goes_to_the_proxy_in_absolute_form_with_its_credentials() {
    let (e, token) = emulator().await;
    let proxy = Proxy::start().await;
    let config = config(&e.base_url());
    let proxies = Proxies::none().http(&proxy.url("ada:s3cret@")).unwrap();
    let transport = HyperTransport::builder(&config).proxies(proxies).build().unwrap();
    assert!(!format!("{transport:?}").contains("s3cret"));
    let c = client(config, transport, &token);
    assert_eq!(c.user_account().get().send().await.unwrap().username.as_deref(), Some("emulator_user"));

    let heads = proxy.heads();
    assert_eq!(heads.len(), 1, "{heads:?}");
    let host = e.base_url().trim_start_matches("http://").to_owned();
    assert!(heads[0].starts_with(&format!("GET http://{host}/v5/user_account HTTP/1.1\r\n")), "{}", heads[0]);
    // "ada:s3cret" in Basic form.
    assert!(heads[0].to_ascii_lowercase().contains("proxy-authorization: basic ywrhonmzy3jlda==\r\n"), "{}", heads[0]);
    e.shutdown().await;
}

#[tokio::test]
async fn no_proxy_hosts_connect_directly() {
    let (e, token) = emulator().await;
    let proxy = Proxy::start().await;
    let config = config(&e.base_url());
    let proxies = Proxies::none().all(&proxy.url("")).unwrap().no_proxy("example.com, 127.0.0.1");
    let c = client(config.clone(), HyperTransport::builder(&config).proxies(proxies).build().unwrap(), &token);
    c.user_account().get().send().await.unwrap();
    assert_eq!(proxy.heads(), Vec::<String>::new());
    e.shutdown().await;
}

/// TLS in front of the emulator: terminates TLS for `localhost` and relays
/// the plain bytes to `backend`.
async fn tls_front(cert: Vec<u8>, key: Vec<u8>, backend: String) -> u16 {
    use tokio_rustls::rustls;
    pinterest_sdk::internal::install_crypto_provider();
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![rustls::pki_types::CertificateDer::from(cert)],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.into()),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((conn, _)) = listener.accept().await {
            let (acceptor, backend) = (acceptor.clone(), backend.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(conn).await else { return };
                let Ok(mut plain) = TcpStream::connect(&backend).await else { return };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    port
}

#[tokio::test]
async fn https_goes_through_a_connect_tunnel_with_tls_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let certs = pinterest_test_support::TestCertificates::make(dir.path());
    let (ca, cert, key) = (certs.read("ca.der"), certs.read("server.der"), certs.read("server.p8"));
    let (e, token) = emulator().await;
    let backend = e.base_url().trim_start_matches("http://").to_owned();
    let port = tls_front(cert, key, backend).await;
    let proxy = Proxy::start().await;
    let config = config(&format!("https://localhost:{port}"));
    let proxies = Proxies::none().https(&proxy.url("ada:s3cret@")).unwrap();

    // Without the test CA the certificate is refused: TLS really runs end
    // to end through the tunnel.
    let untrusting = HyperTransport::builder(&config).proxies(proxies.clone()).build().unwrap();
    let err = client(config.clone(), untrusting, &token).user_account().get().send().await.unwrap_err();
    assert!(format!("{err:?}").to_lowercase().contains("certificate"), "{err:?}");

    let transport = HyperTransport::builder(&config).proxies(proxies).add_root_certificate(ca).build().unwrap();
    let c = client(config, transport, &token);
    assert_eq!(c.user_account().get().send().await.unwrap().username.as_deref(), Some("emulator_user"));

    let heads = proxy.heads();
    assert!(!heads.is_empty());
    for head in &heads {
        assert!(head.starts_with(&format!("CONNECT localhost:{port} HTTP/1.1\r\n")), "{head}");
        assert!(head.to_ascii_lowercase().contains("proxy-authorization: basic ywrhonmzy3jlda==\r\n"), "{head}");
        assert!(!head.contains("user_account") && !head.contains(&token), "the proxy saw inside the tunnel: {head}");
    }
    e.shutdown().await;
}

/// The client builder's default transport reads `HTTP_PROXY`, and refuses a
/// proxy it cannot use instead of connecting around it. (Run in a child
/// process: the environment is the process's.)
#[tokio::test]
async fn the_default_transport_takes_its_proxy_from_the_environment() {
    let (e, token) = emulator().await;
    let proxy = Proxy::start().await;
    let child = |proxy_url: &str| {
        let exe = std::env::current_exe().unwrap();
        let out = tokio::process::Command::new(exe)
            .args(["--ignored", "--exact", "proxy_env_child", "--nocapture"])
            .env("PROXY_CHILD_BASE", e.base_url())
            .env("PROXY_CHILD_TOKEN", &token)
            .env("HTTP_PROXY", proxy_url)
            .env_remove("NO_PROXY")
            .env_remove("no_proxy")
            .env_remove("ALL_PROXY")
            .env_remove("all_proxy")
            .env_remove("http_proxy")
            .env_remove("REQUEST_METHOD")
            .output();
        async move {
            let out = out.await.unwrap();
            (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
        }
    };
    let (ok, out) = child(&proxy.url("ada:s3cret@")).await;
    assert!(ok, "{out}");
    assert!(out.contains("CHILD: emulator_user"), "{out}");
    let heads = proxy.heads();
    assert_eq!(heads.len(), 1, "{heads:?}");
    assert!(heads[0].contains("/v5/user_account") && heads[0].contains("YWRhOnMzY3JldA=="), "{}", heads[0]);

    let (ok, out) = child("ftp://ada:s3cret@127.0.0.1:1").await;
    assert!(ok, "{out}");
    assert!(out.contains("CHILD ERROR: ") && out.contains("HTTP_PROXY") && out.contains("`ftp`"), "{out}");
    assert!(!out.contains("s3cret"), "{out}");
    e.shutdown().await;
}

/// The child of the test above.
#[tokio::test]
#[ignore = "run by the_default_transport_takes_its_proxy_from_the_environment"]
async fn proxy_env_child() {
    let base = std::env::var("PROXY_CHILD_BASE").unwrap();
    let token = std::env::var("PROXY_CHILD_TOKEN").unwrap();
    match Client::builder().config(config(&base)).access_token(AccessToken::new(token)).build() {
        Ok(c) => println!("CHILD: {}", c.user_account().get().send().await.unwrap().username.unwrap_or_default()),
        Err(e) => println!("CHILD ERROR: {e}"),
    }
}
