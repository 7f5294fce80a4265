//! Where token sets live between runs, one per (app, account).
//!
//! [`TokenStore`] is async and keyed by [`TokenKey`]: a web app keeps one
//! set per connected user, a CLI one per profile, a fleet of workers shares
//! them through a networked store. [`MemoryTokenStore`] holds any number in
//! memory; [`FileTokenStore`] writes JSON with mode 0600 in a 0700
//! directory, through a temporary file that is fsynced and renamed over the
//! old one, so a crash leaves either the old set or the new one, never half
//! of either.
//!
//! Refreshes are serialised through [`TokenStore::lock`]: the refreshing
//! source takes the lock of its key, re-reads the store, and only refreshes
//! when the stored set is still the one it has, so no refresh token is spent
//! twice, across processes for the file store.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::auth::TokenSet;
use crate::error::{Error, Result};
use crate::transport::BoxFuture;

/// Whose tokens: the app (its client id) and an account name the caller
/// chooses, such as a user id in a web app or a profile name in a CLI.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TokenKey {
    app: String,
    account: String,
}

impl TokenKey {
    /// The key of `account`'s tokens for `app`.
    pub fn new(app: impl Into<String>, account: impl Into<String>) -> Self {
        TokenKey { app: app.into(), account: account.into() }
    }

    /// The app id.
    pub fn app(&self) -> &str {
        &self.app
    }

    /// The account name.
    pub fn account(&self) -> &str {
        &self.account
    }
}

impl std::fmt::Display for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.app, self.account)
    }
}

/// A stored set and its generation: a number the store raises with every
/// write of the key, so that a write based on an older read can be refused
/// (fencing). Generation 0 means nothing was stored.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Versioned {
    /// The set.
    pub tokens: TokenSet,
    /// Its generation (1 or more for a stored set; 0 from a store that does
    /// not count generations).
    pub generation: u64,
}

impl Versioned {
    /// Wraps a set read at `generation`.
    pub fn new(tokens: TokenSet, generation: u64) -> Self {
        Versioned { tokens, generation }
    }
}

/// What a conditional save did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SaveOutcome {
    /// Written; the key is now at this generation.
    Saved {
        /// The new generation.
        generation: u64,
    },
    /// Not written: someone wrote the key after the read it was based on.
    Superseded {
        /// The generation found.
        found: u64,
    },
}

/// Persists token sets, one per [`TokenKey`].
///
/// Only [`load`](Self::load), [`save`](Self::save) and
/// [`clear`](Self::clear) are required. A store shared by processes
/// implements [`lock`](Self::lock); one whose lock can expire (a lease)
/// also implements [`load_versioned`](Self::load_versioned) and
/// [`save_if`](Self::save_if), so that a writer whose lease ran out cannot
/// overwrite a newer set.
pub trait TokenStore: Send + Sync + 'static {
    /// The stored set of `key`, if any.
    fn load<'a>(&'a self, key: &'a TokenKey) -> BoxFuture<'a, Result<Option<TokenSet>>>;
    /// Replaces the stored set of `key`. Must be durable when it completes.
    fn save<'a>(&'a self, key: &'a TokenKey, tokens: &'a TokenSet) -> BoxFuture<'a, Result<()>>;
    /// Deletes the stored set of `key`.
    fn clear<'a>(&'a self, key: &'a TokenKey) -> BoxFuture<'a, Result<()>>;
    /// Takes an exclusive lock on `key`, shared with everyone using the
    /// same store (other processes, for the file and Redis stores),
    /// released when the returned guard is released or dropped. Waits until
    /// it is free.
    fn lock<'a>(&'a self, key: &'a TokenKey) -> BoxFuture<'a, Result<StoreLock>> {
        let _ = key;
        Box::pin(std::future::ready(Ok(StoreLock::none())))
    }
    /// The stored set of `key` with its generation. The default reads
    /// [`load`](Self::load) and says generation 0.
    fn load_versioned<'a>(&'a self, key: &'a TokenKey) -> BoxFuture<'a, Result<Option<Versioned>>> {
        Box::pin(async move { Ok(self.load(key).await?.map(|t| Versioned::new(t, 0))) })
    }
    /// Saves `tokens` only if `key` is still at generation `seen` (0: still
    /// absent). The default saves unconditionally, which is right for a
    /// store whose [`lock`](Self::lock) is held until released, never lost.
    fn save_if<'a>(&'a self, key: &'a TokenKey, tokens: &'a TokenSet, seen: u64) -> BoxFuture<'a, Result<SaveOutcome>> {
        Box::pin(async move {
            self.save(key, tokens).await?;
            Ok(SaveOutcome::Saved { generation: seen.saturating_add(1) })
        })
    }
}

impl<T: TokenStore + ?Sized> TokenStore for Arc<T> {
    fn load<'a>(&'a self, key: &'a TokenKey) -> BoxFuture<'a, Result<Option<TokenSet>>> {
        (**self).load(key)
    }
    fn save<'a>(&'a self, key: &'a TokenKey, tokens: &'a TokenSet) -> BoxFuture<'a, Result<()>> {
        (**self).save(key, tokens)
    }
    fn clear<'a>(&'a self, key: &'a TokenKey) -> BoxFuture<'a, Result<()>> {
        (**self).clear(key)
    }
    fn lock<'a>(&'a self, key: &'a TokenKey) -> BoxFuture<'a, Result<StoreLock>> {
        (**self).lock(key)
    }
    fn load_versioned<'a>(&'a self, key: &'a TokenKey) -> BoxFuture<'a, Result<Option<Versioned>>> {
        (**self).load_versioned(key)
    }
    fn save_if<'a>(&'a self, key: &'a TokenKey, tokens: &'a TokenSet, seen: u64) -> BoxFuture<'a, Result<SaveOutcome>> {
        (**self).save_if(key, tokens, seen)
    }
}

type Release = Box<dyn FnOnce() -> BoxFuture<'static, ()> + Send + Sync>;

/// Holds a store's lock on one key until released or dropped.
///
/// A lock that is given back by talking to a server (a lease in Redis) is
/// released by [`release`](Self::release); dropping it instead starts the
/// release on the current Tokio runtime, and without one the lease simply
/// runs out.
pub struct StoreLock {
    #[allow(dead_code)]
    guard: Option<Box<dyn Send + Sync>>,
    release: Option<Release>,
}

impl std::fmt::Debug for StoreLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let held = self.guard.is_some() || self.release.is_some();
        f.write_str(if held { "StoreLock(held)" } else { "StoreLock(none)" })
    }
}

impl StoreLock {
    /// A guard that releases the lock when dropped (a file lock, a mutex
    /// guard).
    pub fn new(guard: impl Send + Sync + 'static) -> Self {
        StoreLock { guard: Some(Box::new(guard)), release: None }
    }

    /// A lock given back by running `release` (a lease in a server).
    pub fn leased(release: impl FnOnce() -> BoxFuture<'static, ()> + Send + Sync + 'static) -> Self {
        StoreLock { guard: None, release: Some(Box::new(release)) }
    }

    /// No lock (for stores with a single user).
    pub fn none() -> Self {
        StoreLock { guard: None, release: None }
    }

    /// Gives the lock back now, and waits until that is done.
    pub async fn release(mut self) {
        self.guard = None;
        if let Some(release) = self.release.take() {
            release().await;
        }
    }
}

impl Drop for StoreLock {
    fn drop(&mut self) {
        if let Some(release) = self.release.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(release());
        }
    }
}

pub(crate) fn store_error(action: &'static str, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Error {
    Error::TokenStore { action, source: source.into() }
}

/// Runs blocking file work off the async executor.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| store_error("run a file operation", e.to_string()))?
}

/// Token sets in memory (for tests, short-lived programs, and one process
/// serving many accounts), with generations: [`TokenStore::save_if`]
/// refuses a write based on an older read, and clearing an account counts
/// as a write, so that a renewal that was under way cannot bring it back.
#[derive(Default)]
pub struct MemoryTokenStore {
    sets: Mutex<HashMap<TokenKey, Slot>>,
    locks: Mutex<HashMap<TokenKey, Arc<tokio::sync::Mutex<()>>>>,
}

/// One account's set (none once cleared) and its generation.
#[derive(Default)]
struct Slot {
    tokens: Option<TokenSet>,
    generation: u64,
}

impl std::fmt::Debug for MemoryTokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.sets.lock().map(|s| s.values().filter(|v| v.tokens.is_some()).count()).unwrap_or_default();
        f.debug_struct("MemoryTokenStore").field("accounts", &n).finish()
    }
}

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store holding `tokens` under `key`.
    pub fn with(key: TokenKey, tokens: TokenSet) -> Self {
        let store = Self::default();
        if let Ok(mut sets) = store.sets.lock() {
            sets.insert(key, Slot { tokens: Some(tokens), generation: 1 });
        }
        store
    }

    fn sets(&self) -> Result<std::sync::MutexGuard<'_, HashMap<TokenKey, Slot>>> {
        self.sets.lock().map_err(|_| store_error("use the store (poisoned)", "lock poisoned"))
    }
}

impl TokenStore for MemoryTokenStore {
    fn load<'a>(&'a self, key: &'a TokenKey) -> BoxFuture<'a, Result<Option<TokenSet>>> {
        Box::pin(std::future::ready(self.sets().map(|s| s.get(key).and_then(|v| v.tokens.clone()))))
    }
    fn save<'a>(&'a self, key: &'a TokenKey, tokens: &'a TokenSet) -> BoxFuture<'a, Result<()>> {
        Box::pin(std::future::ready(self.sets().map(|mut s| {
            let slot = s.entry(key.clone()).or_default();
            slot.tokens = Some(tokens.clone());
            slot.generation += 1;
        })))
    }
    fn load_versioned<'a>(&'a self, key: &'a TokenKey) -> BoxFuture<'a, Result<Option<Versioned>>> {
        Box::pin(std::future::ready(
            self.sets().map(|s| s.get(key).and_then(|v| v.tokens.clone().map(|t| Versioned::new(t, v.generation)))),
        ))
    }
    fn save_if<'a>(&'a self, key: &'a TokenKey, tokens: &'a TokenSet, seen: u64) -> BoxFuture<'a, Result<SaveOutcome>> {
        Box::pin(std::future::ready(self.sets().map(|mut s| {
            let slot = s.entry(key.clone()).or_default();
            if slot.generation != seen {
                return SaveOutcome::Superseded { found: slot.generation };
            }
            slot.tokens = Some(tokens.clone());
            slot.generation += 1;
            SaveOutcome::Saved { generation: slot.generation }
        })))
    }
    fn clear<'a>(&'a self, key: &'a TokenKey) -> BoxFuture<'a, Result<()>> {
        Box::pin(std::future::ready(self.sets().map(|mut s| {
            if let Some(slot) = s.get_mut(key)
                && slot.tokens.take().is_some()
            {
                slot.generation += 1;
            }
        })))
    }
    fn lock<'a>(&'a self, key: &'a TokenKey) -> BoxFuture<'a, Result<StoreLock>> {
        Box::pin(async move {
            let mutex = {
                let mut locks = self.locks.lock().map_err(|_| store_error("lock (poisoned)", "lock poisoned"))?;
                locks.entry(key.clone()).or_default().clone()
            };
            Ok(StoreLock::new(mutex.lock_owned().await))
        })
    }
}

/// Token sets as JSON files.
///
/// - [`FileTokenStore::single`]: one file holding one account's set (a CLI
///   profile); loading another key finds nothing.
/// - [`FileTokenStore::directory`]: one file per key under a directory,
///   `<dir>/<app>/<account>.json` (names escaped).
#[derive(Debug, Clone)]
pub struct FileTokenStore {
    layout: Layout,
}

#[derive(Debug, Clone)]
enum Layout {
    Single(PathBuf),
    Directory(PathBuf),
}

/// What a file holds: the key and its set.
#[derive(Serialize, Deserialize)]
struct Stored {
    key: TokenKey,
    tokens: TokenSet,
}

impl FileTokenStore {
    /// One account's set in the file at `path` (its directory is created,
    /// mode 0700, on first save).
    pub fn single(path: impl Into<PathBuf>) -> Self {
        FileTokenStore { layout: Layout::Single(path.into()) }
    }

    /// Any number of accounts, one file each under `dir`.
    pub fn directory(dir: impl Into<PathBuf>) -> Self {
        FileTokenStore { layout: Layout::Directory(dir.into()) }
    }

    /// The single-account store of `profile` in the platform's config
    /// directory: `$XDG_CONFIG_HOME/pinterest-rs/<profile>.json` on Linux,
    /// `~/Library/Application Support/pinterest-rs/...` on macOS,
    /// `%APPDATA%\pinterest-rs\...` on Windows.
    pub fn for_profile(profile: &str) -> Result<Self> {
        if profile.is_empty() || !profile.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(Error::Config(format!(
                "profile name `{profile}` may only contain letters, digits, `-` and `_`"
            )));
        }
        let base =
            default_dir().ok_or_else(|| Error::Config("no config directory on this system; pass a path".into()))?;
        Ok(FileTokenStore::single(base.join(format!("{profile}.json"))))
    }

    /// The file that holds `key`'s set.
    pub fn path_of(&self, key: &TokenKey) -> PathBuf {
        match &self.layout {
            Layout::Single(p) => p.clone(),
            Layout::Directory(dir) => {
                dir.join(escape_name(key.app())).join(format!("{}.json", escape_name(key.account())))
            }
        }
    }

    fn lock_path(path: &Path) -> PathBuf {
        let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        name.push(".lock");
        path.with_file_name(name)
    }

    fn read(path: &Path, key: &TokenKey) -> Result<Option<TokenSet>> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(store_error("read the stored token set", e)),
        };
        if let Ok(stored) = serde_json::from_slice::<Stored>(&bytes) {
            return Ok((stored.key == *key).then_some(stored.tokens));
        }
        // A file written before keys existed holds the set alone.
        serde_json::from_slice::<TokenSet>(&bytes).map(Some).map_err(|e| store_error("parse the stored token set", e))
    }

    /// Saves through `rename` (the seam the crash-safety test uses to make
    /// the final step fail).
    #[doc(hidden)]
    pub fn save_with(
        &self,
        key: &TokenKey,
        tokens: &TokenSet,
        rename: impl FnOnce(&Path, &Path) -> std::io::Result<()>,
    ) -> Result<()> {
        let stored = Stored { key: key.clone(), tokens: tokens.clone() };
        let json = serde_json::to_vec_pretty(&stored).map_err(|e| store_error("encode the token set", e))?;
        write_private_with(&self.path_of(key), &json, rename).map_err(|e| store_error("save the token set", e))
    }
}

/// A file-name-safe form of `name`: letters, digits, `-` and `_` as they
/// are, every other byte as `%XX`.
pub(crate) fn escape_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if out.is_empty() { "%".into() } else { out }
}

/// Writes `bytes` to `path` the way the token store does: mode 0600 in a
/// 0700 directory (created if needed, tightened if looser), through a
/// temporary file that is fsynced and renamed, then an fsync of the
/// directory. A failure leaves the previous file as it was.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_private_with(path, bytes, |from, to| std::fs::rename(from, to))
}

fn write_private_with(
    path: &Path,
    bytes: &[u8],
    rename: impl FnOnce(&Path, &Path) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    ensure_private_dir(dir)?;
    remove_stale_temp_files(path);
    let tmp = dir.join(format!("{}{}.{:x}.tmp", temp_prefix(path), std::process::id(), rand::random::<u64>()));
    let result = (|| -> std::io::Result<()> {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut f = options.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        rename(&tmp, path)?;
        // Make the rename itself durable.
        #[cfg(unix)]
        File::open(dir)?.sync_all()?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The start of the names of `path`'s temporary files: `.<name>.`.
fn temp_prefix(path: &Path) -> String {
    format!(".{}.", path.file_name().and_then(|n| n.to_str()).unwrap_or("data"))
}

/// How old a temporary file must be before it counts as left behind when
/// its writer cannot be checked: a save takes milliseconds.
const STALE_TEMP_AGE: std::time::Duration = std::time::Duration::from_secs(60);

/// Deletes the temporary files a killed writer left beside `path`
/// (`.<name>.<pid>.<random>.tmp`, which may hold a whole token set). A file
/// is left behind when its writer's process is gone (checked through
/// `/proc` on Linux) or when it is older than a minute; a save in progress
/// in a live process is never touched. Runs before every save, on load and
/// on clear (logout), so a crash leaves secrets on disk until the next run
/// at most. Failures are ignored: this is cleanup.
pub(crate) fn remove_stale_temp_files(path: &Path) {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let prefix = temp_prefix(path);
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(rest) = name.strip_prefix(&prefix).and_then(|r| r.strip_suffix(".tmp")) else { continue };
        let Some((pid, random)) = rest.split_once('.') else { continue };
        let (Ok(pid), true) = (pid.parse::<u32>(), random.chars().all(|c| c.is_ascii_hexdigit())) else { continue };
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age >= STALE_TEMP_AGE);
        if old || writer_is_gone(pid) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// True when no process `pid` runs (Linux: no `/proc/<pid>`). Elsewhere the
/// answer is unknown, and the age rule alone applies.
fn writer_is_gone(pid: u32) -> bool {
    if pid == std::process::id() {
        return false;
    }
    #[cfg(target_os = "linux")]
    {
        Path::new("/proc/self").exists() && !Path::new(&format!("/proc/{pid}")).exists()
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}

/// Creates `dir` if needed and makes sure only the owner can enter it.
fn ensure_private_dir(dir: &Path) -> std::io::Result<()> {
    if !dir.exists() {
        std::fs::create_dir_all(dir)?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir)?.permissions().mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
    }
    Ok(())
}

/// `<platform config dir>/pinterest-rs` (from the `dirs` crate).
pub fn default_dir() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("pinterest-rs"))
}

impl TokenStore for FileTokenStore {
    fn load<'a>(&'a self, key: &'a TokenKey) -> BoxFuture<'a, Result<Option<TokenSet>>> {
        let (path, key) = (self.path_of(key), key.clone());
        Box::pin(blocking(move || {
            remove_stale_temp_files(&path);
            FileTokenStore::read(&path, &key)
        }))
    }

    fn save<'a>(&'a self, key: &'a TokenKey, tokens: &'a TokenSet) -> BoxFuture<'a, Result<()>> {
        let (store, key, tokens) = (self.clone(), key.clone(), tokens.clone());
        Box::pin(blocking(move || store.save_with(&key, &tokens, |from, to| std::fs::rename(from, to))))
    }

    fn clear<'a>(&'a self, key: &'a TokenKey) -> BoxFuture<'a, Result<()>> {
        let (path, key) = (self.path_of(key), key.clone());
        Box::pin(blocking(move || {
            remove_stale_temp_files(&path);
            // A single-account file that holds another account is left alone.
            if let Ok(bytes) = std::fs::read(&path)
                && serde_json::from_slice::<Stored>(&bytes).is_ok_and(|s| s.key != key)
            {
                return Ok(());
            }
            match std::fs::remove_file(&path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(store_error("delete the stored token set", e)),
            }
        }))
    }

    fn lock<'a>(&'a self, key: &'a TokenKey) -> BoxFuture<'a, Result<StoreLock>> {
        let path = self.path_of(key);
        Box::pin(blocking(move || {
            let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
            ensure_private_dir(dir).map_err(|e| store_error("prepare its directory", e))?;
            let mut options = OpenOptions::new();
            options.read(true).write(true).create(true).truncate(false);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let f = options.open(FileTokenStore::lock_path(&path)).map_err(|e| store_error("open the lock file", e))?;
            f.lock().map_err(|e| store_error("lock the store", e))?;
            Ok(StoreLock::new(f))
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::{AccessToken, RefreshToken};

    fn tokens(a: &str) -> TokenSet {
        let mut t = TokenSet::from_access_token(AccessToken::new(a));
        t.refresh_token = Some(RefreshToken::new(format!("r-{a}")));
        t
    }

    fn key(account: &str) -> TokenKey {
        TokenKey::new("1234", account)
    }

    #[tokio::test]
    async fn save_load_clear() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileTokenStore::single(dir.path().join("sub/profile.json"));
        let k = key("me");
        assert!(store.load(&k).await.unwrap().is_none());
        store.save(&k, &tokens("one")).await.unwrap();
        store.save(&k, &tokens("two")).await.unwrap();
        assert_eq!(store.load(&k).await.unwrap().unwrap().access_token.expose_secret(), "two");
        // One account per file: another key finds nothing and clears nothing.
        assert!(store.load(&key("other")).await.unwrap().is_none());
        store.clear(&key("other")).await.unwrap();
        assert!(store.load(&k).await.unwrap().is_some());
        store.clear(&k).await.unwrap();
        store.clear(&k).await.unwrap();
        assert!(store.load(&k).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_directory_keeps_one_file_per_account_with_safe_names() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileTokenStore::directory(dir.path());
        let (a, b) = (key("alice"), key("../bob@example.com"));
        store.save(&a, &tokens("a")).await.unwrap();
        store.save(&b, &tokens("b")).await.unwrap();
        assert_eq!(store.load(&a).await.unwrap().unwrap().access_token.expose_secret(), "a");
        assert_eq!(store.load(&b).await.unwrap().unwrap().access_token.expose_secret(), "b");
        let path = store.path_of(&b);
        assert!(path.starts_with(dir.path().join("1234")), "{}", path.display());
        assert_eq!(path.file_name().unwrap(), "%2E%2E%2Fbob%40example%2Ecom.json");
        store.clear(&a).await.unwrap();
        assert!(store.load(&a).await.unwrap().is_none());
        assert!(store.load(&b).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn files_written_before_keys_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.json");
        std::fs::write(&path, serde_json::to_vec(&tokens("legacy")).unwrap()).unwrap();
        let store = FileTokenStore::single(&path);
        assert_eq!(store.load(&key("me")).await.unwrap().unwrap().access_token.expose_secret(), "legacy");
    }

    #[tokio::test]
    async fn memory_store_keeps_accounts_apart() {
        let store = MemoryTokenStore::with(key("a"), tokens("a"));
        store.save(&key("b"), &tokens("b")).await.unwrap();
        assert_eq!(store.load(&key("a")).await.unwrap().unwrap().access_token.expose_secret(), "a");
        store.clear(&key("a")).await.unwrap();
        assert!(store.load(&key("a")).await.unwrap().is_none());
        assert!(store.load(&key("b")).await.unwrap().is_some());
        // The lock of one key does not hold another.
        let held = store.lock(&key("a")).await.unwrap();
        let other = tokio::time::timeout(std::time::Duration::from_secs(1), store.lock(&key("b"))).await;
        assert!(other.is_ok());
        let same = tokio::time::timeout(std::time::Duration::from_millis(50), store.lock(&key("a"))).await;
        assert!(same.is_err(), "a second lock on the same key waits");
        drop(held);
        assert!(tokio::time::timeout(std::time::Duration::from_secs(1), store.lock(&key("a"))).await.is_ok());
    }

    #[tokio::test]
    async fn memory_store_fences_writes_on_the_generation() {
        let store = MemoryTokenStore::new();
        let k = key("a");
        assert!(store.load_versioned(&k).await.unwrap().is_none());
        assert_eq!(store.save_if(&k, &tokens("one"), 0).await.unwrap(), SaveOutcome::Saved { generation: 1 });
        // A writer that read nothing (generation 0) is now too late.
        assert_eq!(store.save_if(&k, &tokens("late"), 0).await.unwrap(), SaveOutcome::Superseded { found: 1 });
        store.save(&k, &tokens("two")).await.unwrap();
        let v = store.load_versioned(&k).await.unwrap().unwrap();
        assert_eq!((v.generation, v.tokens.access_token.expose_secret()), (2, "two"));
        assert_eq!(store.save_if(&k, &tokens("stale"), 1).await.unwrap(), SaveOutcome::Superseded { found: 2 });
        assert_eq!(store.save_if(&k, &tokens("three"), 2).await.unwrap(), SaveOutcome::Saved { generation: 3 });
        assert_eq!(store.load(&k).await.unwrap().unwrap().access_token.expose_secret(), "three");
        // Clearing counts as a write: a renewal based on the set it had
        // cannot bring it back.
        store.clear(&k).await.unwrap();
        assert!(store.load_versioned(&k).await.unwrap().is_none());
        assert_eq!(store.save_if(&k, &tokens("late"), 3).await.unwrap(), SaveOutcome::Superseded { found: 4 });
        store.save(&k, &tokens("login")).await.unwrap();
        assert_eq!(store.load_versioned(&k).await.unwrap().unwrap().generation, 5);
    }

    #[tokio::test]
    async fn a_leased_lock_is_released_once_by_release_or_by_drop() {
        let count = Arc::new(std::sync::atomic::AtomicU32::new(0));
        let lease = |count: Arc<std::sync::atomic::AtomicU32>| {
            StoreLock::leased(move || {
                Box::pin(async move {
                    count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                })
            })
        };
        lease(count.clone()).release().await;
        assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 1);
        drop(lease(count.clone()));
        tokio::task::yield_now().await;
        tokio::task::yield_now().await;
        assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn modes_are_0600_and_0700() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("cfg");
        std::fs::create_dir(&sub).unwrap();
        std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o755)).unwrap();
        let store = FileTokenStore::single(sub.join("p.json"));
        store.save(&key("me"), &tokens("x")).await.unwrap();
        let file_mode = std::fs::metadata(store.path_of(&key("me"))).unwrap().permissions().mode() & 0o777;
        let dir_mode = std::fs::metadata(&sub).unwrap().permissions().mode() & 0o777;
        assert_eq!(file_mode, 0o600);
        assert_eq!(dir_mode, 0o700, "a group/world-readable directory is tightened");
    }

    #[tokio::test]
    async fn a_failed_rename_leaves_the_old_file_intact() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileTokenStore::single(dir.path().join("p.json"));
        let k = key("me");
        store.save(&k, &tokens("old")).await.unwrap();
        let err = store.save_with(&k, &tokens("new"), |_, _| Err(std::io::Error::other("disk full"))).unwrap_err();
        assert!(matches!(err, Error::TokenStore { .. }));
        assert_eq!(store.load(&k).await.unwrap().unwrap().access_token.expose_secret(), "old");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("p.json")], "no temporary file is left behind");
    }

    #[tokio::test]
    async fn a_corrupt_file_is_an_error_and_is_not_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileTokenStore::single(dir.path().join("p.json"));
        std::fs::write(store.path_of(&key("me")), b"{not json").unwrap();
        assert!(matches!(store.load(&key("me")).await, Err(Error::TokenStore { .. })));
        assert!(store.path_of(&key("me")).exists());
    }

    #[test]
    fn profile_names_are_checked() {
        assert!(FileTokenStore::for_profile("../etc").is_err());
        assert!(FileTokenStore::for_profile("").is_err());
    }

    #[tokio::test]
    async fn lock_is_exclusive() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileTokenStore::single(dir.path().join("p.json"));
        let guard = store.lock(&key("me")).await.unwrap();
        let lock_path = FileTokenStore::lock_path(&store.path_of(&key("me")));
        let f = std::fs::OpenOptions::new().read(true).write(true).open(lock_path).unwrap();
        assert!(f.try_lock().is_err(), "a second lock must wait");
        drop(guard);
        assert!(f.try_lock().is_ok());
    }
}
