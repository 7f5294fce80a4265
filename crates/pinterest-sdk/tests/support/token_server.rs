//! A tiny HTTP token server for tests that need a real socket (several
//! processes, the real transport): rotating refresh tokens with reuse
//! detection, one API route, and a log of what it received.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[derive(Default)]
pub struct State {
    /// Prefix of every token issued (canary tests put a marker here).
    pub prefix: String,
    pub client_id: String,
    pub client_secret: String,
    pub expires_in: u64,
    counter: u64,
    /// Codes that may be exchanged once.
    pub codes: HashSet<String>,
    /// The refresh token that may be used next.
    pub live_refresh: Option<String>,
    pub spent_refresh: HashSet<String>,
    pub live_access: HashSet<String>,
    /// Grant types of the token requests, in order.
    pub grants: Vec<String>,
    /// Raw bodies received (for leak checks, never printed by tests).
    pub bodies: Vec<String>,
}

#[derive(Clone)]
pub struct TokenServer {
    pub state: Arc<Mutex<State>>,
    pub base: String,
    /// While true, token requests wait (see `hold_token_requests`).
    hold: Arc<tokio::sync::watch::Sender<bool>>,
    /// Token requests that arrived while held.
    held: Arc<std::sync::atomic::AtomicUsize>,
}

impl TokenServer {
    pub async fn start(prefix: &str, client_id: &str, client_secret: &str) -> TokenServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State {
            prefix: prefix.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            expires_in: 3600,
            ..State::default()
        }));
        let s = state.clone();
        let hold = Arc::new(tokio::sync::watch::channel(false).0);
        let held = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (h, n) = (hold.clone(), held.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else { return };
                let s = s.clone();
                let (hold, held) = (h.clone(), n.clone());
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    loop {
                        let Ok(n) = sock.read(&mut chunk).await else { return };
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        let Some(end) = find(&buf, b"\r\n\r\n") else { continue };
                        let head = String::from_utf8_lossy(&buf[..end]).to_string();
                        let len = head
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned())
                            })
                            .and_then(|v| v.parse::<usize>().ok())
                            .unwrap_or(0);
                        if buf.len() < end + 4 + len {
                            continue;
                        }
                        let body = String::from_utf8_lossy(&buf[end + 4..end + 4 + len]).to_string();
                        let mut gate = hold.subscribe();
                        if head.starts_with("POST /v5/oauth/token ") && *gate.borrow() {
                            held.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            let _ = gate.wait_for(|holding| !holding).await;
                        }
                        let (status, json) = handle(&s, &head, &body);
                        let resp = format!(
                            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\nx-pinterest-rid: rid\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{json}",
                            json.len()
                        );
                        let _ = sock.write_all(resp.as_bytes()).await;
                        return;
                    }
                });
            }
        });
        TokenServer { state, base, hold, held }
    }

    /// From now on, token requests wait until `release`.
    pub fn hold_token_requests(&self) {
        self.hold.send_replace(true);
    }

    /// Token requests waiting since `hold_token_requests`.
    pub fn held(&self) -> usize {
        self.held.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Lets the held token requests (and every later one) through.
    pub fn release(&self) {
        self.hold.send_replace(false);
    }

    /// Issues an initial set (as if a login happened), returns (access, refresh).
    pub fn issue(&self) -> (String, String) {
        let mut st = self.state.lock().unwrap();
        let (a, r) = next_pair(&mut st);
        st.live_access.insert(a.clone());
        st.live_refresh = Some(r.clone());
        (a, r)
    }

    pub fn add_code(&self, code: &str) {
        self.state.lock().unwrap().codes.insert(code.into());
    }

    pub fn grants(&self) -> Vec<String> {
        self.state.lock().unwrap().grants.clone()
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn next_pair(st: &mut State) -> (String, String) {
    st.counter += 1;
    (format!("pina_{}access{}", st.prefix, st.counter), format!("pinr_{}refresh{}", st.prefix, st.counter))
}

fn form(body: &str) -> BTreeMap<String, String> {
    url::form_urlencoded::parse(body.as_bytes()).into_owned().collect()
}

fn handle(s: &Arc<Mutex<State>>, head: &str, body: &str) -> (&'static str, String) {
    let mut st = s.lock().unwrap();
    let request_line = head.lines().next().unwrap_or_default().to_owned();
    let header = |name: &str| {
        head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    };
    st.bodies.push(body.to_owned());
    if request_line.starts_with("POST /v5/oauth/token ") {
        use base64::Engine as _;
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", st.client_id, st.client_secret))
        );
        if header("authorization").as_deref() != Some(expected.as_str()) {
            return ("401 Unauthorized", r#"{"code":2,"message":"Authentication failed."}"#.into());
        }
        let f = form(body);
        let grant = f.get("grant_type").cloned().unwrap_or_default();
        st.grants.push(grant.clone());
        let invalid = r#"{"error":"invalid_grant","error_description":"The grant is no longer valid."}"#;
        match grant.as_str() {
            "authorization_code" => {
                let code = f.get("code").cloned().unwrap_or_default();
                if !st.codes.remove(&code) {
                    return ("400 Bad Request", invalid.into());
                }
            }
            "refresh_token" => {
                let r = f.get("refresh_token").cloned().unwrap_or_default();
                if st.live_refresh.as_deref() != Some(r.as_str()) {
                    if st.spent_refresh.contains(&r) {
                        // Reuse of a spent token revokes the family.
                        st.live_refresh = None;
                        st.live_access.clear();
                    }
                    return ("400 Bad Request", invalid.into());
                }
                st.spent_refresh.insert(r);
            }
            "client_credentials" => {}
            _ => return ("400 Bad Request", r#"{"error":"unsupported_grant_type"}"#.into()),
        }
        let (a, r) = next_pair(&mut st);
        st.live_access.insert(a.clone());
        let refresh = if grant == "client_credentials" {
            String::new()
        } else {
            st.live_refresh = Some(r.clone());
            format!(r#","refresh_token":"{r}","refresh_token_expires_in":31536000"#)
        };
        let json = format!(
            r#"{{"access_token":"{a}","token_type":"bearer","expires_in":{},"scope":"user_accounts:read pins:read boards:read","response_type":"{grant}"{refresh}}}"#,
            st.expires_in
        );
        return ("200 OK", json);
    }
    if request_line.starts_with("POST /v5/oauth/token/revoke ") {
        return ("200 OK", String::new());
    }
    if request_line.starts_with("GET /v5/user_account ") {
        let token =
            header("authorization").and_then(|v| v.strip_prefix("Bearer ").map(str::to_owned)).unwrap_or_default();
        if st.live_access.contains(&token) {
            return ("200 OK", r#"{"username":"ada","account_type":"BUSINESS"}"#.into());
        }
        return ("401 Unauthorized", r#"{"code":2,"message":"Authentication failed."}"#.into());
    }
    ("404 Not Found", r#"{"code":404,"message":"not found"}"#.into())
}
