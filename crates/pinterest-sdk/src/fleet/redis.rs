//! Token sets, refresh leases and rate budgets in Redis.
//!
//! Keys, under a prefix (default `pinterest:`), with the app id and the
//! account written file-name-safe (`%XX` for anything but letters, digits,
//! `-` and `_`):
//! - `<prefix>tokens:<app>:<account>`: a hash, `g` the generation and `set`
//!   the token set (JSON, or `v1:` and XChaCha20-Poly1305 ciphertext when
//!   the store has a key);
//! - `<prefix>lock:<app>:<account>`: the refresh lease, holding its owner's
//!   random value, with the lease as its expiry;
//! - `<prefix>budget:<app>:<account>:<category>`: a hash, the rate
//!   limiter's [`Window`], expiring an hour after its last use.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use ::redis::{AsyncCommands as _, Script};
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore as _;
use tokio::sync::OnceCell;
use zeroize_free::Key32;

use crate::auth::store::{SaveOutcome, StoreLock, Versioned, escape_name, store_error};
use crate::auth::{TokenKey, TokenSet, TokenStore};
use crate::error::{Error, Result};
use crate::ratelimit::{
    BudgetKey, CARRY_MS, FALLBACK_WINDOW_MS, Grant, Observation, POLL_MS, PROBE_MS, RateLimiter, Ticket, Window,
};
use crate::transport::BoxFuture;

/// A 32-byte key kept out of `Debug`.
mod zeroize_free {
    #[derive(Clone)]
    pub struct Key32(pub [u8; 32]);

    impl std::fmt::Debug for Key32 {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("[redacted]")
        }
    }
}

/// A connection to one Redis server (or proxy), shared by the token store
/// and the rate limiter and cheap to clone. Nothing connects until the
/// first command; a lost connection is re-established by the next one.
///
/// The URL takes the forms of the `redis` crate: `redis://[user:password@]host[:port][/db]`,
/// `rediss://...` for TLS (verified against the system's roots, or
/// [`RedisBuilder::tls_root_certificate`]), and
/// `redis+unix:///path/to/socket[?user=..&pass=..&db=..]`. ACL users and
/// passwords come from the URL; they never appear in `Debug` or in errors.
#[derive(Clone)]
pub struct Redis {
    inner: Arc<Inner>,
}

struct Inner {
    client: ::redis::Client,
    config: ConnectionManagerConfig,
    conn: OnceCell<ConnectionManager>,
    /// The URL without its password, for messages.
    shown: String,
    response_timeout: Duration,
}

impl fmt::Debug for Redis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Redis").field(&self.inner.shown).finish()
    }
}

/// Builds a [`Redis`] connection with timeouts and TLS roots of its own.
#[must_use]
pub struct RedisBuilder {
    url: String,
    connect_timeout: Duration,
    response_timeout: Duration,
    root_pem: Option<Vec<u8>>,
}

impl fmt::Debug for RedisBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisBuilder")
            .field("url", &redact(&self.url))
            .field("connect_timeout", &self.connect_timeout)
            .field("response_timeout", &self.response_timeout)
            .finish_non_exhaustive()
    }
}

impl RedisBuilder {
    /// How long connecting may take (default 2 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long one command may wait for its answer (default 2 s). A
    /// stalled server then fails calls with a typed error instead of
    /// hanging them.
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout;
        self
    }

    /// Trusts this CA (PEM) for `rediss://` instead of the system's roots.
    pub fn tls_root_certificate(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.root_pem = Some(pem.into());
        self
    }

    /// Checks the URL; connects on first use.
    pub fn build(self) -> Result<Redis> {
        let shown = redact(&self.url);
        let bad_url = |e: ::redis::RedisError| {
            Error::Config(format!("`{shown}` is not a Redis URL Pinterest-rs can use: {}", e.category()))
        };
        crate::internal::install_crypto_provider();
        let client = match self.root_pem {
            Some(root) => ::redis::Client::build_with_tls(
                self.url.as_str(),
                ::redis::TlsCertificates { client_tls: None, root_cert: Some(root) },
            )
            .map_err(bad_url)?,
            None => ::redis::Client::open(self.url.as_str()).map_err(bad_url)?,
        };
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.connect_timeout))
            .set_response_timeout(Some(self.response_timeout))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500));
        let response_timeout = self.response_timeout;
        Ok(Redis { inner: Arc::new(Inner { client, config, conn: OnceCell::new(), shown, response_timeout }) })
    }
}

/// `url` without its password.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("[redacted]"));
            }
            let pairs: Vec<(String, String)> =
                u.query_pairs()
                    .map(|(k, v)| {
                        if k == "pass" {
                            (k.into_owned(), "[redacted]".into())
                        } else {
                            (k.into_owned(), v.into_owned())
                        }
                    })
                    .collect();
            if !pairs.is_empty() {
                u.query_pairs_mut().clear().extend_pairs(pairs);
            }
            u.to_string()
        }
        Err(_) => "[an invalid URL]".into(),
    }
}

/// A failure talking to Redis, naming the server (without secrets).
#[derive(Debug)]
struct RedisFailure {
    server: String,
    source: ::redis::RedisError,
}

impl fmt::Display for RedisFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redis at {}: {}", self.server, describe(&self.source))
    }
}

impl std::error::Error for RedisFailure {}

/// What went wrong, without the server's own text (which may echo a key).
fn describe(e: &::redis::RedisError) -> String {
    if e.is_timeout() {
        "no answer in time".into()
    } else if e.is_connection_refusal() || e.is_connection_dropped() || e.is_io_error() {
        "cannot reach it".into()
    } else {
        format!("{} ({})", e.category(), e.code().unwrap_or("error"))
    }
}

impl Redis {
    /// A connection to the server at `url`, with the default timeouts.
    pub fn open(url: &str) -> Result<Redis> {
        Redis::builder(url).build()
    }

    /// A builder for the server at `url`.
    pub fn builder(url: impl Into<String>) -> RedisBuilder {
        RedisBuilder {
            url: url.into(),
            connect_timeout: Duration::from_secs(2),
            response_timeout: Duration::from_secs(2),
            root_pem: None,
        }
    }

    fn failure(&self, source: ::redis::RedisError) -> RedisFailure {
        RedisFailure { server: self.inner.shown.clone(), source }
    }

    /// The shared connection, created on first use.
    async fn conn(&self) -> std::result::Result<ConnectionManager, RedisFailure> {
        let inner = &self.inner;
        let conn = inner
            .conn
            .get_or_try_init(|| async {
                ConnectionManager::new_lazy_with_config(inner.client.clone(), inner.config.clone())
            })
            .await
            .map_err(|e| self.failure(e))?;
        Ok(conn.clone())
    }

    /// Runs `script` with `keys` and `args`.
    async fn run<T: ::redis::FromRedisValue>(
        &self,
        script: &Script,
        keys: &[&str],
        args: &[&[u8]],
    ) -> std::result::Result<T, RedisFailure> {
        let mut conn = self.conn().await?;
        let mut call = script.prepare_invoke();
        for k in keys {
            call.key(*k);
        }
        for a in args {
            call.arg(*a);
        }
        call.invoke_async(&mut conn).await.map_err(|e| self.failure(e))
    }
}

/// A 32-byte key for encrypting the stored token sets (XChaCha20-Poly1305).
/// Keep it outside Redis, in the workers' secret configuration.
#[derive(Clone, Debug)]
pub struct EncryptionKey(Key32);

impl EncryptionKey {
    /// The key `bytes`.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        EncryptionKey(Key32(bytes))
    }

    /// A key from its standard base64 form (44 characters).
    pub fn from_base64(text: &str) -> Result<Self> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|_| Error::Config("the token encryption key is not base64".into()))?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| Error::Config("the token encryption key must be 32 bytes (44 base64 characters)".into()))?;
        Ok(EncryptionKey::from_bytes(bytes))
    }

    /// A new random key.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        EncryptionKey::from_bytes(bytes)
    }

    /// Its base64 form, to keep in a secret store.
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0.0)
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new((&self.0.0).into())
    }
}

/// The prefix of an encrypted set.
const SEALED: &[u8] = b"v1:";

const SAVE_IF: &str = r"
local g = tonumber(redis.call('HGET', KEYS[1], 'g') or '0')
if g ~= tonumber(ARGV[1]) then return {0, g} end
redis.call('HSET', KEYS[1], 'g', g + 1, 'set', ARGV[2])
redis.call('PERSIST', KEYS[1])
return {1, g + 1}
";

const SAVE: &str = r"
local g = redis.call('HINCRBY', KEYS[1], 'g', 1)
redis.call('HSET', KEYS[1], 'set', ARGV[1])
redis.call('PERSIST', KEYS[1])
return g
";

/// Removes the set but keeps its generation, raised, for a while: a
/// renewal that was under way finds it moved on and does not bring the
/// set back. ARGV: how long the generation is kept (ms).
const CLEAR: &str = r"
if redis.call('HDEL', KEYS[1], 'set') == 1 then
  redis.call('HINCRBY', KEYS[1], 'g', 1)
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return 1
";

/// How long a cleared account's generation is kept.
const TOMBSTONE_MS: u64 = 86_400_000;

const EXTEND: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
";

const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
";

/// Token sets in Redis, one per (app, account), for any number of workers
/// on any number of machines.
///
/// - [`lock`](TokenStore::lock) is a lease (`SET NX PX` with a random
///   owner value, released by a compare-and-delete script), renewed every
///   third of it while its holder lives: a slow token request keeps it,
///   and a worker process that dies or is stopped while refreshing blocks
///   the others for at most [`lease`](Self::lease).
/// - Every write raises the key's generation, and the refreshing source
///   saves with [`save_if`](TokenStore::save_if): a worker whose lease ran
///   out cannot write over a newer set.
/// - With [`encrypt_with`](Self::encrypt_with), sets are stored encrypted,
///   bound to their key name, so a set cannot be read, or moved to another
///   account, without the key.
/// - With [`wait_for_replicas`](Self::wait_for_replicas), a save counts only
///   once that many replicas have it (`WAIT`).
///
/// Saves are durable only as far as Redis makes them: run it with
/// `appendonly yes` and `appendfsync always` (or use `wait_for_replicas`),
/// and `maxmemory-policy noeviction`. Redis 6 or later.
///
/// [`clear`](TokenStore::clear) removes the set but keeps its generation,
/// raised, for a day: a renewal that was under way when the account was
/// disconnected does not bring it back.
#[derive(Clone)]
pub struct RedisTokenStore {
    redis: Redis,
    prefix: String,
    key: Option<EncryptionKey>,
    lease: Duration,
    lock_wait: Duration,
    replicas: Option<(u32, Duration)>,
    save_if: Arc<Script>,
    save: Arc<Script>,
    clear: Arc<Script>,
    release: Arc<Script>,
    extend: Arc<Script>,
}

impl fmt::Debug for RedisTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisTokenStore")
            .field("redis", &self.redis)
            .field("prefix", &self.prefix)
            .field("encrypted", &self.key.is_some())
            .field("lease", &self.lease)
            .finish_non_exhaustive()
    }
}

impl RedisTokenStore {
    /// A store in `redis` under the prefix `pinterest:`, unencrypted, with a
    /// 30 s lease.
    pub fn new(redis: Redis) -> Self {
        RedisTokenStore {
            redis,
            prefix: "pinterest:".into(),
            key: None,
            lease: Duration::from_secs(30),
            lock_wait: Duration::from_secs(65),
            replicas: None,
            save_if: Arc::new(Script::new(SAVE_IF)),
            save: Arc::new(Script::new(SAVE)),
            clear: Arc::new(Script::new(CLEAR)),
            release: Arc::new(Script::new(RELEASE)),
            extend: Arc::new(Script::new(EXTEND)),
        }
    }

    /// Puts every key under `prefix` (default `pinterest:`).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Encrypts the stored sets with `key`. Sets stored without it are then
    /// refused, not trusted.
    pub fn encrypt_with(mut self, key: EncryptionKey) -> Self {
        self.key = Some(key);
        self
    }

    /// How long a refresh lease lasts unless renewed (default 30 s): how
    /// long the others wait after its holder died or stalled. Its holder
    /// renews it every third of it.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_millis(10));
        self
    }

    /// How long to wait for another worker's lease before giving up with
    /// an error (default 65 s).
    pub fn lock_wait(mut self, wait: Duration) -> Self {
        self.lock_wait = wait;
        self
    }

    /// Counts a save as done only when `replicas` replicas have
    /// acknowledged it within `timeout` (Redis `WAIT`, at most three
    /// quarters of the connection's response timeout, since it holds the
    /// shared connection meanwhile); otherwise the save fails, and the
    /// refreshing source keeps the set and saves it again.
    pub fn wait_for_replicas(mut self, replicas: u32, timeout: Duration) -> Self {
        self.replicas = Some((replicas, timeout));
        self
    }

    /// The Redis key holding `key`'s set.
    pub fn tokens_key(&self, key: &TokenKey) -> String {
        format!("{}tokens:{}:{}", self.prefix, escape_name(key.app()), escape_name(key.account()))
    }

    /// The Redis key of `key`'s refresh lease.
    pub fn lock_key(&self, key: &TokenKey) -> String {
        format!("{}lock:{}:{}", self.prefix, escape_name(key.app()), escape_name(key.account()))
    }

    fn seal(&self, redis_key: &str, tokens: &TokenSet) -> Result<Vec<u8>> {
        let json = serde_json::to_vec(tokens).map_err(|e| store_error("encode the token set", e))?;
        let Some(key) = &self.key else { return Ok(json) };
        let mut nonce = [0u8; 24];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = key
            .cipher()
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: &json, aad: redis_key.as_bytes() })
            .map_err(|_| store_error("encrypt the token set", "encryption failed"))?;
        let mut raw = nonce.to_vec();
        raw.extend_from_slice(&sealed);
        let mut out = SEALED.to_vec();
        out.extend_from_slice(base64::engine::general_purpose::STANDARD.encode(raw).as_bytes());
        Ok(out)
    }

    fn open_set(&self, redis_key: &str, stored: &[u8]) -> Result<TokenSet> {
        let json = match (stored.strip_prefix(SEALED), &self.key) {
            (Some(sealed), Some(key)) => {
                let raw = base64::engine::general_purpose::STANDARD
                    .decode(sealed)
                    .map_err(|_| store_error("read the stored token set", "its ciphertext is not base64"))?;
                if raw.len() < 24 {
                    return Err(store_error("read the stored token set", "its ciphertext is cut short"));
                }
                let (nonce, sealed) = raw.split_at(24);
                key.cipher()
                    .decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad: redis_key.as_bytes() })
                    .map_err(|_| {
                        store_error(
                            "decrypt the stored token set",
                            "wrong key, or the set was written for another account",
                        )
                    })?
            }
            (Some(_), None) => {
                return Err(store_error(
                    "read the stored token set",
                    "it is encrypted and this store has no key (RedisTokenStore::encrypt_with)",
                ));
            }
            (None, Some(_)) => {
                return Err(store_error(
                    "read the stored token set",
                    "it is not encrypted, and this store only trusts encrypted sets",
                ));
            }
            (None, None) => stored.to_vec(),
        };
        serde_json::from_slice(&json).map_err(|e| store_error("parse the stored token set", e))
    }

    async fn replicate(&self) -> Result<()> {
        let Some((replicas, timeout)) = self.replicas else { return Ok(()) };
        // WAIT holds the shared connection: kept under the response timeout.
        let timeout = timeout.min(self.redis.inner.response_timeout * 3 / 4);
        let mut conn = self.redis.conn().await.map_err(|e| store_error("save the token set", e))?;
        let acked: u32 = ::redis::cmd("WAIT")
            .arg(replicas)
            .arg(u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX))
            .query_async(&mut conn)
            .await
            .map_err(|e| store_error("save the token set", self.redis.failure(e)))?;
        if acked < replicas {
            return Err(store_error(
                "have the token set acknowledged by the replicas",
                format!("{acked} of {replicas} replicas acknowledged it in time"),
            ));
        }
        Ok(())
    }

    async fn read(&self, key: &TokenKey) -> Result<Option<Versioned>> {
        let name = self.tokens_key(key);
        let mut conn = self.redis.conn().await.map_err(|e| store_error("load the token set", e))?;
        let (generation, set): (Option<u64>, Option<Vec<u8>>) = conn
            .hmget(&name, &["g", "set"])
            .await
            .map_err(|e| store_error("load the token set", self.redis.failure(e)))?;
        match set {
            Some(set) => Ok(Some(Versioned::new(self.open_set(&name, &set)?, generation.unwrap_or(0)))),
            None => Ok(None),
        }
    }

    async fn take_lease(&self, key: &TokenKey) -> Result<StoreLock> {
        let name = self.lock_key(key);
        let mut owner = [0u8; 16];
        rand::rng().fill_bytes(&mut owner);
        let owner: String = owner.iter().map(|b| format!("{b:02x}")).collect();
        let lease_ms = u64::try_from(self.lease.as_millis()).unwrap_or(u64::MAX);
        let give_up = tokio::time::Instant::now() + self.lock_wait;
        loop {
            let mut conn = self.redis.conn().await.map_err(|e| store_error("take the refresh lease", e))?;
            let taken: Option<String> = ::redis::cmd("SET")
                .arg(&name)
                .arg(&owner)
                .arg("NX")
                .arg("PX")
                .arg(lease_ms)
                .query_async(&mut conn)
                .await
                .map_err(|e| store_error("take the refresh lease", self.redis.failure(e)))?;
            if taken.is_some() {
                let stop = self.keep_lease(name.clone(), owner.clone(), lease_ms);
                let (redis, release) = (self.redis.clone(), self.release.clone());
                return Ok(StoreLock::leased(move || {
                    Box::pin(async move {
                        drop(stop);
                        let args: [&[u8]; 1] = [owner.as_bytes()];
                        if let Err(e) = redis.run::<i64>(&release, &[&name], &args).await {
                            tracing::debug!(error = %e, "could not give the refresh lease back; it runs out by itself");
                        }
                    })
                }));
            }
            if tokio::time::Instant::now() >= give_up {
                return Err(store_error(
                    "take the refresh lease",
                    format!("another worker held it for more than {} s", self.lock_wait.as_secs()),
                ));
            }
            let pause = 20 + rand::random::<u64>() % 40;
            tokio::time::sleep(Duration::from_millis(pause)).await;
        }
    }
}

impl RedisTokenStore {
    /// Renews the lease `name` every third of it while its holder lives:
    /// a slow token request does not lose it, a dead or stopped process
    /// stops renewing, and the lease runs out. Renewal stops when the
    /// returned sender is dropped (the lock given back or dropped), or when
    /// the lease turns out to be someone else's.
    fn keep_lease(&self, name: String, owner: String, lease_ms: u64) -> tokio::sync::oneshot::Sender<()> {
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let (redis, extend) = (self.redis.clone(), self.extend.clone());
        let every = Duration::from_millis((lease_ms / 3).max(1));
        tokio::spawn(async move {
            let lease = lease_ms.to_string();
            loop {
                tokio::select! {
                    _ = &mut stopped => return,
                    () = tokio::time::sleep(every) => {}
                }
                let args: [&[u8]; 2] = [owner.as_bytes(), lease.as_bytes()];
                match redis.run::<i64>(&extend, &[&name], &args).await {
                    Ok(1) => {}
                    Ok(_) => {
                        // It ran out (Redis was out of reach for longer than
                        // the lease): taken again if nobody else has it.
                        let retake =
                            ::redis::cmd("SET").arg(&name).arg(&owner).arg("NX").arg("PX").arg(lease_ms).clone();
                        let taken: Option<String> = match redis.conn().await {
                            Ok(mut conn) => retake.query_async(&mut conn).await.unwrap_or(None),
                            Err(_) => None,
                        };
                        if taken.is_none() {
                            tracing::warn!("the refresh lease ran out and another worker holds it now");
                            return;
                        }
                        tracing::warn!("the refresh lease ran out; taken again");
                    }
                    Err(e) => tracing::debug!(error = %e, "could not renew the refresh lease; trying again"),
                }
            }
        });
        stop
    }
}

impl TokenStore for RedisTokenStore {
    fn load<'a>(&'a self, key: &'a TokenKey) -> BoxFuture<'a, Result<Option<TokenSet>>> {
        Box::pin(async move { Ok(self.read(key).await?.map(|v| v.tokens)) })
    }

    fn save<'a>(&'a self, key: &'a TokenKey, tokens: &'a TokenSet) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let name = self.tokens_key(key);
            let sealed = self.seal(&name, tokens)?;
            let args: [&[u8]; 1] = [&sealed];
            self.redis
                .run::<u64>(&self.save, &[&name], &args)
                .await
                .map_err(|e| store_error("save the token set", e))?;
            self.replicate().await
        })
    }

    fn clear<'a>(&'a self, key: &'a TokenKey) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let ttl = TOMBSTONE_MS.to_string();
            let args: [&[u8]; 1] = [ttl.as_bytes()];
            self.redis
                .run::<i64>(&self.clear, &[&self.tokens_key(key)], &args)
                .await
                .map_err(|e| store_error("delete the token set", e))?;
            self.replicate().await
        })
    }

    fn lock<'a>(&'a self, key: &'a TokenKey) -> BoxFuture<'a, Result<StoreLock>> {
        Box::pin(self.take_lease(key))
    }

    fn load_versioned<'a>(&'a self, key: &'a TokenKey) -> BoxFuture<'a, Result<Option<Versioned>>> {
        Box::pin(self.read(key))
    }

    fn save_if<'a>(&'a self, key: &'a TokenKey, tokens: &'a TokenSet, seen: u64) -> BoxFuture<'a, Result<SaveOutcome>> {
        Box::pin(async move {
            let name = self.tokens_key(key);
            let sealed = self.seal(&name, tokens)?;
            let seen_text = seen.to_string();
            let args: [&[u8]; 2] = [seen_text.as_bytes(), &sealed];
            let (written, generation): (u8, u64) = self
                .redis
                .run(&self.save_if, &[&name], &args)
                .await
                .map_err(|e| store_error("save the token set", e))?;
            if written == 0 {
                return Ok(SaveOutcome::Superseded { found: generation });
            }
            self.replicate().await?;
            Ok(SaveOutcome::Saved { generation })
        })
    }
}

/// How long an unused budget window stays in Redis.
const BUDGET_TTL_MS: u64 = 3_600_000;

/// The clock of a script: `ARGV[1]` when given (tests), else the server's.
const NOW: &str = r"
local now
if ARGV[1] ~= '' then
  now = tonumber(ARGV[1])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local s = redis.call('HMGET', KEYS[1], 'l', 'u', 'e', 'n', 'c', 'k', 'p', 't')
local limit, used, e, n, carry = tonumber(s[1]), tonumber(s[2]) or 0, tonumber(s[3]), tonumber(s[4]) or 0, tonumber(s[5]) or 0
local known, probe, told = s[6] == '1', tonumber(s[7]), s[8] == '1'
local function store(ttl)
  redis.call('HSET', KEYS[1], 'u', used, 'n', n, 'c', carry, 'k', known and 1 or 0, 't', told and 1 or 0)
  if limit then redis.call('HSET', KEYS[1], 'l', limit) end
  if e then redis.call('HSET', KEYS[1], 'e', string.format('%d', e)) else redis.call('HDEL', KEYS[1], 'e') end
  if probe then redis.call('HSET', KEYS[1], 'p', string.format('%d', probe)) else redis.call('HDEL', KEYS[1], 'p') end
  redis.call('PEXPIRE', KEYS[1], ttl)
end
";

/// [`Window::acquire`], in Redis. ARGV: now, carry ms, poll ms, ttl ms,
/// probe ms, fallback window ms.
const ACQUIRE: &str = r"
if e and now >= e then used = carry; e = nil; n = n + 1; carry = 0; told = false end
if not known then
  if probe and now < probe + tonumber(ARGV[5]) then
    store(ARGV[4])
    return {0, tonumber(ARGV[3]), n}
  end
  probe = now
  used = used + 1
  store(ARGV[4])
  return {1, 0, n}
end
if limit and used >= limit then
  if not e then e = now + tonumber(ARGV[6]) end
  local wait = math.max(e - now, 1)
  if not told then wait = math.min(wait, tonumber(ARGV[3])) end
  store(ARGV[4])
  return {0, wait, n}
end
used = used + 1
if e and (e - now) < tonumber(ARGV[2]) then carry = carry + 1 end
store(ARGV[4])
return {1, 0, n}
";

/// [`Window::observe`], in Redis. ARGV: now, window, limit, remaining,
/// reset, rejected, retry-after ms, ttl ms (absent values empty).
const OBSERVE: &str = r"
known = true
probe = nil
local seen_limit = tonumber(ARGV[3])
if seen_limit then limit = seen_limit end
if tonumber(ARGV[2]) == n then
  local reset = tonumber(ARGV[5])
  if reset then
    local ends = now + reset * 1000
    if e and told then e = math.min(e, ends) else e = ends end
    told = true
  end
  local remaining = tonumber(ARGV[4])
  if limit and remaining then used = math.max(used, math.max(limit - remaining, 0)) end
end
if ARGV[6] == '1' then
  if limit then used = math.max(used, limit) end
  local untl = now + (tonumber(ARGV[7]) or 1000)
  if e and told then e = math.max(e, untl) else e = untl end
  told = true
  if not limit then limit = used end
end
store(ARGV[8])
return 1
";

/// Rate budgets in Redis, shared by every worker that uses the same server
/// and prefix: the [`Window`] of each (app, account, category) is read and
/// changed by one atomic script per call, on the Redis server's clock.
#[derive(Clone)]
pub struct RedisRateLimiter {
    redis: Redis,
    prefix: String,
    acquire: Arc<Script>,
    observe: Arc<Script>,
}

impl fmt::Debug for RedisRateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisRateLimiter").field("redis", &self.redis).field("prefix", &self.prefix).finish()
    }
}

fn limiter_error(action: &'static str, e: RedisFailure) -> Error {
    Error::RateLimiter { action, source: Box::new(e) }
}

impl RedisRateLimiter {
    /// Budgets in `redis` under the prefix `pinterest:`.
    pub fn new(redis: Redis) -> Self {
        RedisRateLimiter {
            redis,
            prefix: "pinterest:".into(),
            acquire: Arc::new(Script::new(&format!("{NOW}{ACQUIRE}"))),
            observe: Arc::new(Script::new(&format!("{NOW}{OBSERVE}"))),
        }
    }

    /// Puts every key under `prefix` (default `pinterest:`).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The Redis key of `key`'s window.
    pub fn budget_key(&self, key: &BudgetKey) -> String {
        format!(
            "{}budget:{}:{}:{}",
            self.prefix,
            escape_name(&key.app),
            escape_name(&key.account),
            escape_name(key.category)
        )
    }

    /// [`RateLimiter::acquire`] at `now_ms` on a clock of the caller's
    /// (`None`: the Redis server's).
    #[doc(hidden)]
    pub async fn acquire_at(&self, key: &BudgetKey, now_ms: Option<u64>) -> Result<Grant> {
        let now = now_ms.map(|n| n.to_string()).unwrap_or_default();
        let (carry, poll, ttl) = (CARRY_MS.to_string(), POLL_MS.to_string(), BUDGET_TTL_MS.to_string());
        let (probe, fallback) = (PROBE_MS.to_string(), FALLBACK_WINDOW_MS.to_string());
        let args: [&[u8]; 6] =
            [now.as_bytes(), carry.as_bytes(), poll.as_bytes(), ttl.as_bytes(), probe.as_bytes(), fallback.as_bytes()];
        let (go, wait, window): (u8, u64, u64) = self
            .redis
            .run(&self.acquire, &[&self.budget_key(key)], &args)
            .await
            .map_err(|e| limiter_error("take a call from the shared budget", e))?;
        Ok(if go == 1 { Grant::Go(Ticket { window }) } else { Grant::Wait(Duration::from_millis(wait)) })
    }

    /// [`RateLimiter::observe`] at `now_ms` (`None`: the server's clock).
    #[doc(hidden)]
    pub async fn observe_at(
        &self,
        key: &BudgetKey,
        ticket: Ticket,
        seen: Observation,
        now_ms: Option<u64>,
    ) -> Result<()> {
        let text = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_default();
        let now = text(now_ms);
        let window = ticket.window.to_string();
        let (limit, remaining, reset) = (text(seen.limit), text(seen.remaining), text(seen.reset));
        let rejected = if seen.rejected { "1" } else { "0" };
        let retry_after = text(seen.retry_after.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)));
        let ttl = BUDGET_TTL_MS.to_string();
        let args: [&[u8]; 8] = [
            now.as_bytes(),
            window.as_bytes(),
            limit.as_bytes(),
            remaining.as_bytes(),
            reset.as_bytes(),
            rejected.as_bytes(),
            retry_after.as_bytes(),
            ttl.as_bytes(),
        ];
        let _: i64 = self
            .redis
            .run(&self.observe, &[&self.budget_key(key)], &args)
            .await
            .map_err(|e| limiter_error("record an answer in the shared budget", e))?;
        Ok(())
    }

    /// The window of `key` as stored (for inspection and tests).
    pub async fn window(&self, key: &BudgetKey) -> Result<Option<Window>> {
        let mut conn = self.redis.conn().await.map_err(|e| limiter_error("read the shared budget", e))?;
        let fields: Vec<Option<u64>> = conn
            .hmget(self.budget_key(key), &["l", "u", "e", "n", "c", "k", "p", "t"])
            .await
            .map_err(|e| limiter_error("read the shared budget", self.redis.failure(e)))?;
        let field = |i: usize| fields.get(i).copied().flatten();
        let (limit, used, end_ms, number, carry) = (field(0), field(1), field(2), field(3), field(4));
        let (known, probe_ms, told) = (field(5), field(6), field(7));
        if used.is_none() && number.is_none() {
            return Ok(None);
        }
        Ok(Some(Window {
            limit,
            used: used.unwrap_or(0),
            end_ms,
            number: number.unwrap_or(0),
            carry: carry.unwrap_or(0),
            known: known == Some(1),
            probe_ms,
            told: told == Some(1),
        }))
    }
}

impl RateLimiter for RedisRateLimiter {
    fn acquire<'a>(&'a self, key: &'a BudgetKey) -> BoxFuture<'a, Result<Grant>> {
        Box::pin(self.acquire_at(key, None))
    }

    fn observe<'a>(&'a self, key: &'a BudgetKey, ticket: Ticket, seen: Observation) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.observe_at(key, ticket, seen, None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::{AccessToken, RefreshToken};

    fn store_with_key() -> RedisTokenStore {
        RedisTokenStore::new(Redis::open("redis://127.0.0.1:1").unwrap()).encrypt_with(EncryptionKey::generate())
    }

    fn set() -> TokenSet {
        let mut t = TokenSet::from_access_token(AccessToken::new("pina_canary"));
        t.refresh_token = Some(RefreshToken::new("pinr_canary"));
        t
    }

    #[test]
    fn sealed_sets_open_only_with_their_key_and_name() {
        let store = store_with_key();
        let sealed = store.seal("k1", &set()).unwrap();
        assert!(sealed.starts_with(SEALED));
        assert!(!String::from_utf8_lossy(&sealed).contains("canary"));
        let back = store.open_set("k1", &sealed).unwrap();
        assert_eq!(back.refresh_token.unwrap().expose_secret(), "pinr_canary");
        // Moved to another account's key: refused.
        assert!(matches!(store.open_set("k2", &sealed), Err(Error::TokenStore { .. })));
        // Another key: refused.
        assert!(store_with_key().open_set("k1", &sealed).is_err());
        // A plaintext set is not trusted by an encrypting store.
        let plain = serde_json::to_vec(&set()).unwrap();
        assert!(store.open_set("k1", &plain).is_err());
        // Nor is a sealed one readable without the key.
        let plain_store = RedisTokenStore::new(Redis::open("redis://127.0.0.1:1").unwrap());
        assert!(plain_store.open_set("k1", &sealed).is_err());
        assert_eq!(plain_store.open_set("k1", &plain).unwrap().access_token.expose_secret(), "pina_canary");
    }

    #[test]
    fn keys_round_trip_through_base64_and_never_show() {
        let key = EncryptionKey::generate();
        let again = EncryptionKey::from_base64(&key.to_base64()).unwrap();
        assert_eq!(key.0.0, again.0.0);
        assert!(EncryptionKey::from_base64("c2hvcnQ=").is_err());
        assert!(EncryptionKey::from_base64("not base64!").is_err());
        assert_eq!(format!("{key:?}"), "EncryptionKey([redacted])");
    }

    #[test]
    fn passwords_stay_out_of_debug() {
        let r = Redis::open("rediss://worker:hunter2@redis.example:6380/2").unwrap();
        let shown = format!("{r:?}");
        assert!(!shown.contains("hunter2") && shown.contains("redis.example"), "{shown}");
        let r = Redis::open("redis+unix:///tmp/r.sock?user=w&pass=hunter2").unwrap();
        assert!(!format!("{r:?}").contains("hunter2"));
        assert!(matches!(Redis::open("http://nope"), Err(Error::Config(_))));
    }

    #[test]
    fn names_are_escaped_under_the_prefix() {
        let store = RedisTokenStore::new(Redis::open("redis://127.0.0.1:1").unwrap()).prefix("app1:");
        let key = TokenKey::new("123", "a:b/c");
        assert_eq!(store.tokens_key(&key), "app1:tokens:123:a%3Ab%2Fc");
        assert_eq!(store.lock_key(&key), "app1:lock:123:a%3Ab%2Fc");
        let limiter = RedisRateLimiter::new(Redis::open("redis://127.0.0.1:1").unwrap());
        assert_eq!(limiter.budget_key(&BudgetKey::new("123", "u", "org_read")), "pinterest:budget:123:u:org_read");
    }
}
