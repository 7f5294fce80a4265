//! What the CLI's test files share: starting `pinterest auth login
//! --no-browser --port 0` and reading the authorization URL it prints. The
//! listener binds a free port itself and names it in the URL's redirect URI,
//! so no port is guessed.
#![allow(dead_code, reason = "each test file uses a part of it")]

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStderr, Command, Output, Stdio};

/// A login in progress: the child, the authorization URL it printed and
/// what it wrote to stderr so far.
pub struct Login {
    pub child: Child,
    pub url: url::Url,
    stderr: BufReader<ChildStderr>,
    seen: String,
}

impl Login {
    /// Spawns `cmd` (a `pinterest auth login --no-browser ...`, maybe behind
    /// a wrapper such as `sh -c 'ulimit ...; exec ...'`) and reads stderr up
    /// to the authorization URL.
    pub fn start(cmd: &mut Command) -> Login {
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut seen = String::new();
        let url = loop {
            let mut line = String::new();
            if stderr.read_line(&mut line).unwrap_or(0) == 0 {
                let _ = child.kill();
                let _ = child.wait();
                panic!("no URL printed: {seen}");
            }
            seen.push_str(&line);
            if let Some(url) = line.trim().strip_prefix("http") {
                break url::Url::parse(&format!("http{url}")).unwrap();
            }
        };
        Login { child, url, stderr, seen }
    }

    /// A query parameter of the authorization URL.
    pub fn param(&self, name: &str) -> Option<String> {
        self.url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
    }

    /// The redirect URI the CLI's listener answers on.
    pub fn redirect_uri(&self) -> String {
        self.param("redirect_uri").unwrap()
    }

    /// The listener's port (from the redirect URI).
    pub fn port(&self) -> u16 {
        let port = url::Url::parse(&self.redirect_uri()).unwrap().port().unwrap();
        assert_ne!(port, 0);
        port
    }

    /// Waits for the CLI to finish; its stderr is all it printed.
    pub fn finish(mut self) -> Output {
        let mut rest = String::new();
        self.stderr.read_to_string(&mut rest).unwrap();
        let mut out = self.child.wait_with_output().unwrap();
        out.stderr = format!("{}{rest}", self.seen).into_bytes();
        out
    }
}
