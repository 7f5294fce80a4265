//! Where token sets live between runs.
//!
//! [`FileTokenStore`] writes JSON with mode 0600 in a 0700 directory, through
//! a temporary file that is fsynced and renamed over the old one, so a crash
//! leaves either the old set or the new one, never half of either. Refreshes
//! from several processes are serialised by a lock file: the refreshing
//! source takes the lock, re-reads the store, and only refreshes when the
//! stored set is still the one it has, so no refresh token is spent twice.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::auth::TokenSet;
use crate::error::{Error, Result};

/// Persists one token set.
pub trait TokenStore: Send + Sync + 'static {
    /// The stored set, if any.
    fn load(&self) -> Result<Option<TokenSet>>;
    /// Replaces the stored set. Must be durable when it returns.
    fn save(&self, tokens: &TokenSet) -> Result<()>;
    /// Deletes the stored set.
    fn clear(&self) -> Result<()>;
    /// Takes an exclusive lock shared with other processes using the same
    /// store, released when the returned guard drops. Blocks until free.
    fn lock(&self) -> Result<StoreLock> {
        Ok(StoreLock(None))
    }
}

/// Holds a store's cross-process lock until dropped.
#[derive(Debug)]
pub struct StoreLock(#[allow(dead_code)] Option<File>);

fn store_error(action: &'static str, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Error {
    Error::TokenStore { action, source: source.into() }
}

/// A store in memory (for tests and short-lived programs).
#[derive(Debug, Default)]
pub struct MemoryTokenStore(Mutex<Option<TokenSet>>);

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store holding `tokens`.
    pub fn with(tokens: TokenSet) -> Self {
        MemoryTokenStore(Mutex::new(Some(tokens)))
    }
}

impl TokenStore for MemoryTokenStore {
    fn load(&self) -> Result<Option<TokenSet>> {
        Ok(self.0.lock().map_err(|_| store_error("read (poisoned)", "lock poisoned"))?.clone())
    }
    fn save(&self, tokens: &TokenSet) -> Result<()> {
        *self.0.lock().map_err(|_| store_error("write (poisoned)", "lock poisoned"))? = Some(tokens.clone());
        Ok(())
    }
    fn clear(&self) -> Result<()> {
        *self.0.lock().map_err(|_| store_error("clear (poisoned)", "lock poisoned"))? = None;
        Ok(())
    }
}

/// A JSON file store.
#[derive(Debug, Clone)]
pub struct FileTokenStore {
    path: PathBuf,
}

impl FileTokenStore {
    /// A store at `path` (its directory is created, mode 0700, on first save).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileTokenStore { path: path.into() }
    }

    /// The store of `profile` in the platform's config directory:
    /// `$XDG_CONFIG_HOME/pinterest-rs/<profile>.json` on Linux,
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
        Ok(FileTokenStore::new(base.join(format!("{profile}.json"))))
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    fn ensure_dir(&self) -> Result<()> {
        ensure_private_dir(self.dir()).map_err(|e| store_error("prepare its directory", e))
    }

    fn lock_path(&self) -> PathBuf {
        let mut name = self.path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        name.push(".lock");
        self.dir().join(name)
    }

    /// Saves through `rename` (the seam the crash-safety test uses to make
    /// the final step fail).
    #[doc(hidden)]
    pub fn save_with(&self, tokens: &TokenSet, rename: impl FnOnce(&Path, &Path) -> std::io::Result<()>) -> Result<()> {
        let json = serde_json::to_vec_pretty(tokens).map_err(|e| store_error("encode the token set", e))?;
        write_private_with(&self.path, &json, rename).map_err(|e| store_error("save the token set", e))
    }
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
    let tmp = dir.join(format!(
        ".{}.{}.{:x}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("data"),
        std::process::id(),
        rand::random::<u64>()
    ));
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
    fn load(&self) -> Result<Option<TokenSet>> {
        match std::fs::read(&self.path) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes).map(Some).map_err(|e| store_error("parse the stored token set", e))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(store_error("read the stored token set", e)),
        }
    }

    fn save(&self, tokens: &TokenSet) -> Result<()> {
        self.save_with(tokens, |from, to| std::fs::rename(from, to))
    }

    fn clear(&self) -> Result<()> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(store_error("delete the stored token set", e)),
        }
    }

    fn lock(&self) -> Result<StoreLock> {
        self.ensure_dir()?;
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let f = options.open(self.lock_path()).map_err(|e| store_error("open the lock file", e))?;
        f.lock().map_err(|e| store_error("lock the store", e))?;
        Ok(StoreLock(Some(f)))
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

    #[test]
    fn save_load_clear() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileTokenStore::new(dir.path().join("sub/profile.json"));
        assert!(store.load().unwrap().is_none());
        store.save(&tokens("one")).unwrap();
        store.save(&tokens("two")).unwrap();
        assert_eq!(store.load().unwrap().unwrap().access_token.expose_secret(), "two");
        store.clear().unwrap();
        store.clear().unwrap();
        assert!(store.load().unwrap().is_none());
    }

    #[cfg(unix)]
    #[test]
    fn modes_are_0600_and_0700() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("cfg");
        std::fs::create_dir(&sub).unwrap();
        std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o755)).unwrap();
        let store = FileTokenStore::new(sub.join("p.json"));
        store.save(&tokens("x")).unwrap();
        let file_mode = std::fs::metadata(store.path()).unwrap().permissions().mode() & 0o777;
        let dir_mode = std::fs::metadata(&sub).unwrap().permissions().mode() & 0o777;
        assert_eq!(file_mode, 0o600);
        assert_eq!(dir_mode, 0o700, "a group/world-readable directory is tightened");
    }

    #[test]
    fn a_failed_rename_leaves_the_old_file_intact() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileTokenStore::new(dir.path().join("p.json"));
        store.save(&tokens("old")).unwrap();
        let err = store.save_with(&tokens("new"), |_, _| Err(std::io::Error::other("disk full"))).unwrap_err();
        assert!(matches!(err, Error::TokenStore { .. }));
        assert_eq!(store.load().unwrap().unwrap().access_token.expose_secret(), "old");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("p.json")], "no temporary file is left behind");
    }

    #[test]
    fn a_corrupt_file_is_an_error_and_is_not_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileTokenStore::new(dir.path().join("p.json"));
        std::fs::write(store.path(), b"{not json").unwrap();
        assert!(matches!(store.load(), Err(Error::TokenStore { .. })));
        assert!(store.path().exists());
    }

    #[test]
    fn profile_names_are_checked() {
        assert!(FileTokenStore::for_profile("../etc").is_err());
        assert!(FileTokenStore::for_profile("").is_err());
    }

    #[test]
    fn lock_is_exclusive() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileTokenStore::new(dir.path().join("p.json"));
        let guard = store.lock().unwrap();
        let f = std::fs::OpenOptions::new().read(true).write(true).open(store.lock_path()).unwrap();
        assert!(f.try_lock().is_err(), "a second lock must wait");
        drop(guard);
        assert!(f.try_lock().is_ok());
    }
}
