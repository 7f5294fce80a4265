//! What the project's tests share: skips that say so, and where Pinterest's
//! OpenAPI description is.
//!
//! A test that lacks a prerequisite (the spec, Chromium, a shell, Redis,
//! Python) calls [`skip`] and returns. Rust's test harness has no "skipped"
//! outcome, so the test still counts as passed; what makes the skip honest:
//!
//! - the line `SKIPPED <test> (<need>): <reason>` goes straight to the
//!   process's stderr, past the harness's output capture, so it shows in a
//!   normal run next to the test's `ok`;
//! - `cargo xtask test` points `PINTEREST_SKIP_LOG` at a file, every skip is
//!   appended to it, and the task ends with the list of skips;
//! - under `CI=true` a skip fails the test, unless its kind is named in
//!   `PINTEREST_ALLOW_SKIP` (comma-separated, e.g. `spec,browser`, or `all`).

pub mod schema;

use std::fmt::Display;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A prerequisite a test may lack. [`Need::as_str`] is the name
/// `PINTEREST_ALLOW_SKIP` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Pinterest's OpenAPI description (`../shared`, or `$PINTEREST_OPENAPI_SPEC`).
    Spec,
    /// Chromium and chromedriver.
    Browser,
    /// A shell to check a completion script with (`zsh`, `fish`, `elvish`).
    Shell(&'static str),
    /// PowerShell (`pwsh`), which Debian does not package.
    PowerShell,
    /// A Redis server.
    Redis,
    /// Python 3 with the packages a test needs.
    Python,
    /// Cargo features the build left out (the tests run in a build that has them).
    Features,
}

impl Need {
    /// The kind's name, as `PINTEREST_ALLOW_SKIP` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Need::Spec => "spec",
            Need::Browser => "browser",
            Need::Shell(name) => name,
            Need::PowerShell => "powershell",
            Need::Redis => "redis",
            Need::Python => "python",
            Need::Features => "features",
        }
    }
}

/// Whether `CI` is set to something other than empty, `0` or `false`.
pub fn under_ci() -> bool {
    ci_value_means_ci(std::env::var("CI").ok().as_deref())
}

fn ci_value_means_ci(ci: Option<&str>) -> bool {
    ci.is_some_and(|v| !matches!(v.trim().to_ascii_lowercase().as_str(), "" | "0" | "false"))
}

/// Whether `PINTEREST_ALLOW_SKIP` names `need` (or says `all`).
pub fn skip_allowed(need: Need) -> bool {
    allow_list_names(std::env::var("PINTEREST_ALLOW_SKIP").ok().as_deref(), need)
}

fn allow_list_names(list: Option<&str>, need: Need) -> bool {
    list.is_some_and(|list| list.split(',').map(str::trim).any(|k| k == need.as_str() || k == "all"))
}

/// Whether a skip of `need` must fail, given the values of `CI` and
/// `PINTEREST_ALLOW_SKIP`.
fn skip_fails(need: Need, ci: Option<&str>, allow: Option<&str>) -> bool {
    ci_value_means_ci(ci) && !allow_list_names(allow, need)
}

/// The running test's name (the harness names each test's thread after it).
fn test_name() -> String {
    match std::thread::current().name() {
        Some(name) if name != "main" => name.to_owned(),
        _ => "a test".to_owned(),
    }
}

/// Records that the running test skips its checks for lack of `need`, or,
/// under `CI=true` without `PINTEREST_ALLOW_SKIP` naming `need`, fails it.
/// The caller returns right after.
///
/// # Panics
///
/// Under CI when the skip is not allowed: that is the point.
#[allow(clippy::panic, reason = "a skip CI did not allow fails the test")]
pub fn skip(need: Need, reason: impl Display) {
    let test = test_name();
    let kind = need.as_str();
    let (ci, allow) = (std::env::var("CI").ok(), std::env::var("PINTEREST_ALLOW_SKIP").ok());
    if skip_fails(need, ci.as_deref(), allow.as_deref()) {
        panic!(
            "{test} needs {kind}: {reason}. Under CI=true a missing prerequisite fails the run; \
             PINTEREST_ALLOW_SKIP={kind} allows this skip"
        );
    }
    let line = format!("SKIPPED {test} ({kind}): {reason}").replace('\n', " ");
    // Straight to the process's stderr: the harness captures `eprintln!`.
    let _ = writeln!(std::io::stderr(), "{line}");
    if let Some(log) = std::env::var_os("PINTEREST_SKIP_LOG")
        && let Err(e) = record(Path::new(&log), &line)
    {
        let _ = writeln!(std::io::stderr(), "could not record the skip in {}: {e}", Path::new(&log).display());
    }
}

/// Appends one line to the skip log (one `write` of a short line with
/// `O_APPEND`, so test processes running at once do not interleave).
fn record(log: &Path, line: &str) -> std::io::Result<()> {
    std::fs::OpenOptions::new().create(true).append(true).open(log)?.write_all(format!("{line}\n").as_bytes())
}

/// Where Pinterest's OpenAPI description is: `$PINTEREST_OPENAPI_SPEC`, or
/// `shared/pinterest-api/v5/openapi.json` beside the repository.
pub fn spec_path() -> PathBuf {
    match std::env::var_os("PINTEREST_OPENAPI_SPEC") {
        Some(p) => PathBuf::from(p),
        None => repo_root().join("../shared/pinterest-api/v5/openapi.json"),
    }
}

/// The repository's root directory.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Pinterest's OpenAPI description, parsed; `None` after a [`skip`] when the
/// file is not there.
///
/// # Panics
///
/// When the file is there but cannot be read or is not JSON: that is a
/// failure, not a missing prerequisite.
#[allow(clippy::panic, reason = "a spec that is there but broken fails the test")]
pub fn spec() -> Option<serde_json::Value> {
    let path = spec_path();
    match std::fs::read(&path) {
        Ok(bytes) => match serde_json::from_slice(&bytes) {
            Ok(v) => Some(v),
            Err(e) => panic!("{} is not JSON: {e}", path.display()),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            skip(Need::Spec, format!("no OpenAPI description at {} (set PINTEREST_OPENAPI_SPEC)", path.display()));
            None
        }
        Err(e) => panic!("cannot read {}: {e}", path.display()),
    }
}

/// The program `name` on `PATH`.
pub fn which(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join(name)).find(|p| p.is_file())
}

/// Polls `condition` every 10 ms until it holds. The 60 s limit only turns
/// a hang into a failure naming `what`; no result depends on timing.
///
/// # Panics
///
/// When `condition` still fails after 60 s.
#[allow(clippy::panic, reason = "a condition that never comes fails the test")]
pub fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !condition() {
        if std::time::Instant::now() > deadline {
            panic!("waited 60 s for {what}");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// Processes blocked waiting for the `flock` of the file at `path`, read
/// from `/proc/locks` (Linux). `None` where that cannot be read. A test that
/// must make two processes collide on a lock waits until one is blocked
/// here, instead of hoping their timing overlaps.
pub fn flock_waiters(path: &Path) -> Option<Vec<u32>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let inode = std::fs::metadata(path).ok()?.ino();
        let locks = std::fs::read_to_string("/proc/locks").ok()?;
        Some(parse_lock_waiters(&locks, inode))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// The pids of the blocked (`->`) `FLOCK` lines on `inode`.
fn parse_lock_waiters(locks: &str, inode: u64) -> Vec<u32> {
    let suffix = format!(":{inode}");
    locks
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // "1: -> FLOCK  ADVISORY  WRITE 6021 fe:00:10010961 0 EOF"
            match fields.as_slice() {
                [_, "->", "FLOCK", _, _, pid, file, ..] if file.ends_with(&suffix) => pid.parse().ok(),
                _ => None,
            }
        })
        .collect()
}

/// A test CA and a certificate for `localhost` and 127.0.0.1 signed by it,
/// made by the `openssl` command in `dir`.
#[derive(Debug)]
pub struct TestCertificates {
    dir: PathBuf,
}

impl TestCertificates {
    /// Makes them; panics when `openssl` fails (Debian's base system has it).
    #[allow(clippy::panic, reason = "certificates that cannot be made fail the test")]
    pub fn make(dir: &Path) -> TestCertificates {
        let openssl = |args: &[&str]| {
            let ok = std::process::Command::new("openssl")
                .current_dir(dir)
                .args(args)
                .stderr(std::process::Stdio::null())
                .status();
            assert!(ok.is_ok_and(|s| s.success()), "openssl {args:?}");
        };
        let days = ["-days", "2"];
        openssl(
            &[
                &["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem"][..],
                &days,
                &["-subj", "/CN=test CA"],
            ]
            .concat(),
        );
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ]);
        std::fs::write(dir.join("ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
            .unwrap_or_else(|e| panic!("{e}"));
        openssl(
            &[
                &[
                    "x509",
                    "-req",
                    "-in",
                    "server.csr",
                    "-CA",
                    "ca.pem",
                    "-CAkey",
                    "ca.key",
                    "-CAcreateserial",
                    "-out",
                    "server.pem",
                ][..],
                &days,
                &["-extfile", "ext.cnf"],
            ]
            .concat(),
        );
        openssl(&["x509", "-in", "ca.pem", "-out", "ca.der", "-outform", "DER"]);
        openssl(&["x509", "-in", "server.pem", "-out", "server.der", "-outform", "DER"]);
        openssl(&["pkcs8", "-topk8", "-nocrypt", "-in", "server.key", "-outform", "DER", "-out", "server.p8"]);
        TestCertificates { dir: dir.to_path_buf() }
    }

    /// The path of one of the files: `ca.pem`, `server.pem`, `server.key`
    /// (PEM); `ca.der`, `server.der`, `server.p8` (DER, the key as PKCS#8).
    pub fn path(&self, file: &str) -> String {
        self.dir.join(file).display().to_string()
    }

    /// The bytes of one of the files.
    #[allow(clippy::panic, reason = "a file that cannot be read fails the test")]
    pub fn read(&self, file: &str) -> Vec<u8> {
        std::fs::read(self.dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
    }
}

/// A `redis-server` of a test's own: on a Unix socket in a fresh
/// temporary directory (no TCP port to race for), with its append-only
/// file fsynced on every write (`appendonly yes`, `appendfsync always`), as
/// the README tells users to run it. Stopped, and its directory removed,
/// when dropped.
pub struct RedisServer {
    program: PathBuf,
    dir: PathBuf,
    extra: Vec<String>,
    child: Option<std::process::Child>,
}

impl RedisServer {
    /// Starts one; `None` after a [`skip`] of kind `redis` when there is
    /// no `redis-server` (`cargo xtask test` installs it).
    ///
    /// # Panics
    ///
    /// When the server is there but does not start.
    pub fn start() -> Option<RedisServer> {
        RedisServer::start_with(&[])
    }

    /// Like [`start`](Self::start), with more `redis-server` arguments.
    ///
    /// # Panics
    ///
    /// When the server is there but does not start.
    #[allow(clippy::panic, reason = "a server that is there but does not start fails the test")]
    pub fn start_with(extra: &[&str]) -> Option<RedisServer> {
        let Some(program) = which("redis-server").or_else(|| {
            let p = PathBuf::from("/usr/bin/redis-server");
            p.is_file().then_some(p)
        }) else {
            skip(Need::Redis, "no redis-server on PATH (cargo xtask test installs Debian's redis-server)");
            return None;
        };
        static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("pinterest-redis-{}-{n}-{nanos:x}", std::process::id()));
        if let Err(e) = std::fs::create_dir_all(&dir) {
            panic!("cannot create {}: {e}", dir.display());
        }
        let mut server =
            RedisServer { program, dir, extra: extra.iter().map(|s| (*s).to_owned()).collect(), child: None };
        server.launch();
        Some(server)
    }

    #[allow(clippy::panic, reason = "a server that does not start fails the test")]
    fn launch(&mut self) {
        let socket = self.socket();
        let child = std::process::Command::new(&self.program)
            .args(["--port", "0", "--unixsocketperm", "700", "--daemonize", "no", "--save", ""])
            .args(["--appendonly", "yes", "--appendfsync", "always"])
            .arg("--unixsocket")
            .arg(&socket)
            .arg("--dir")
            .arg(&self.dir)
            .arg("--logfile")
            .arg(self.dir.join("redis.log"))
            .args(&self.extra)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.program.display()));
        self.child = Some(child);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            if self.ping() {
                return;
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(std::process::Child::try_wait) {
                let log = std::fs::read_to_string(self.dir.join("redis.log")).unwrap_or_default();
                panic!("redis-server exited with {status}: {log}");
            }
            if std::time::Instant::now() > deadline {
                panic!("redis-server did not answer on {} in 30 s", socket.display());
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    /// Whether it answers `PING` (an inline command on its socket).
    fn ping(&self) -> bool {
        #[cfg(unix)]
        {
            use std::io::{Read, Write};
            let Ok(mut s) = std::os::unix::net::UnixStream::connect(self.socket()) else { return false };
            let _ = s.set_read_timeout(Some(std::time::Duration::from_millis(500)));
            let mut buf = [0u8; 7];
            s.write_all(b"PING\r\n").is_ok() && s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
        }
        #[cfg(not(unix))]
        {
            false
        }
    }

    /// Its socket.
    pub fn socket(&self) -> PathBuf {
        self.dir.join("redis.sock")
    }

    /// Its directory (the append-only file, the log).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The URL the SDK connects with: `redis+unix://<socket>`.
    pub fn url(&self) -> String {
        format!("redis+unix://{}", self.socket().display())
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, std::process::Child::id)
    }

    fn signal(&self, signal: &str) {
        let _ = std::process::Command::new("kill").args([signal, &self.pid().to_string()]).status();
    }

    /// Stops it in its tracks (SIGSTOP): connections stay open, nothing answers.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// Lets a paused server go on (SIGCONT).
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    /// Kills it (SIGKILL) and waits until it is gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same socket and directory, so that it loads
    /// its append-only file.
    pub fn restart(&mut self) {
        self.kill();
        let _ = std::fs::remove_file(self.socket());
        self.launch();
    }

    /// Runs `redis-cli` against it with `args`; its output, trimmed.
    ///
    /// # Panics
    ///
    /// When `redis-cli` cannot run or fails.
    #[allow(clippy::panic, reason = "a helper that cannot run fails the test")]
    pub fn cli(&self, args: &[&str]) -> String {
        let out = std::process::Command::new("redis-cli")
            .arg("-s")
            .arg(self.socket())
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run redis-cli: {e}"));
        if !out.status.success() {
            panic!("redis-cli {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.resume();
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The Python packages the tests run, each in its own virtualenv under
/// `target/py/<name>` (they would clash in one): `(name, requirement)`.
/// `cargo xtask test` installs them from PyPI.
pub const PYTHON_ENVS: &[(&str, &str)] =
    &[("official", "pinterest-api-sdk==0.2.7"), ("schemathesis", "schemathesis==4.32.5")];

/// Where the virtualenvs are: `$PINTEREST_PY_ENVS`, else `target/py`.
pub fn python_envs_dir() -> PathBuf {
    match std::env::var_os("PINTEREST_PY_ENVS") {
        Some(p) => PathBuf::from(p),
        None => match std::env::var_os("CARGO_TARGET_DIR") {
            Some(t) => PathBuf::from(t).join("py"),
            None => repo_root().join("target/py"),
        },
    }
}

/// The file that marks virtualenv `name` as holding `requirement`.
pub fn python_env_marker(dir: &Path, requirement: &str) -> PathBuf {
    dir.join(format!(".installed-{}", requirement.replace(['=', '<', '>', ' '], "_")))
}

/// The `bin/` directory of the virtualenv `name` (one of [`PYTHON_ENVS`]),
/// when `cargo xtask test` has installed it; otherwise a [`skip`] of kind
/// `python` and `None`.
pub fn python_env(name: &str) -> Option<PathBuf> {
    let Some((_, requirement)) = PYTHON_ENVS.iter().find(|(n, _)| *n == name) else {
        skip(Need::Python, format!("no virtualenv named {name} is declared"));
        return None;
    };
    let dir = python_envs_dir().join(name);
    if python_env_marker(&dir, requirement).is_file() && dir.join("bin/python").is_file() {
        return Some(dir.join("bin"));
    }
    skip(Need::Python, format!("{requirement} is not installed in {} (cargo xtask test installs it)", dir.display()));
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "test code")]
mod tests {
    use super::*;

    #[test]
    fn a_skip_fails_under_ci_unless_its_kind_is_allowed() {
        assert!(!skip_fails(Need::Spec, None, None), "outside CI a skip is allowed");
        for off in ["", "0", "false", "FALSE"] {
            assert!(!skip_fails(Need::Spec, Some(off), None), "CI={off:?} is not CI");
        }
        assert!(skip_fails(Need::Spec, Some("true"), None));
        assert!(skip_fails(Need::Spec, Some("1"), Some("browser")));
        assert!(!skip_fails(Need::Spec, Some("true"), Some("browser, spec")));
        assert!(!skip_fails(Need::Shell("fish"), Some("true"), Some("all")));
        assert!(skip_fails(Need::Shell("fish"), Some("true"), Some("zsh")));
        assert!(skip_fails(Need::Spec, Some("true"), Some("specs")), "names match whole");
    }

    #[test]
    fn skips_are_appended_one_line_each() {
        let dir = std::env::temp_dir().join(format!("skiplog-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("log");
        record(&log, "SKIPPED a (spec): x").unwrap();
        record(&log, "SKIPPED b (browser): y").unwrap();
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "SKIPPED a (spec): x\nSKIPPED b (browser): y\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn lock_waiters_are_read_from_proc_locks() {
        let locks = "1: FLOCK  ADVISORY  WRITE 5980 fe:00:10010961 0 EOF\n\
                     1: -> FLOCK  ADVISORY  WRITE 6021 fe:00:10010961 0 EOF\n\
                     2: -> FLOCK  ADVISORY  WRITE 7000 fe:00:999 0 EOF\n\
                     3: POSIX  ADVISORY  WRITE 12 fe:00:10010961 0 EOF\n";
        assert_eq!(parse_lock_waiters(locks, 10010961), vec![6021]);
        assert_eq!(parse_lock_waiters(locks, 1), Vec::<u32>::new());
    }

    #[test]
    fn kinds_have_the_names_the_allow_list_uses() {
        assert_eq!(Need::Shell("zsh").as_str(), "zsh");
        assert_eq!(Need::Spec.as_str(), "spec");
        assert_eq!(Need::PowerShell.as_str(), "powershell");
    }
}
