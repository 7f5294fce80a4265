//! Pending logins that outlive the request that started them.
//!
//! A web app's `/login` and `/callback` are separate requests, often served
//! by separate processes. Between them, the [`PendingLogin`] (its `state`
//! and PKCE verifier) has to live somewhere, and must be usable once:
//!
//! - **Server-side**, in a [`PendingLoginStore`] under the browser
//!   session's id: [`MemoryPendingLogins`] for one process, or your own
//!   implementation over a database or a shared cache (a `PendingLogin` is
//!   `Serialize`/`Deserialize`; delete the row when you read it). `take`
//!   removes the login, so a second callback with the same session finds
//!   nothing.
//! - **Sealed** with a key only the server has ([`PendingLogin::seal`]):
//!   authenticated encryption (XChaCha20-Poly1305), so the verifier never
//!   reaches the browser in the clear and any change is detected. It can go
//!   into an `HttpOnly` cookie; it expires after
//!   [`SEALED_LOGIN_LIFETIME`]. A sealed value cannot be made single-use by
//!   itself: clear the cookie at the callback (Pinterest's codes are single
//!   use, and the `state` still has to match).
//!
//! Either way the secrets stay secret-typed: `Debug` shows `[redacted]`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};

use super::{OAuthError, PendingLogin, Scope};
use crate::error::Result;
use crate::secret::{CsrfState, PkceVerifier};
use crate::transport::BoxFuture;

/// How long a sealed login stays valid: 15 minutes, ample for a consent page.
pub const SEALED_LOGIN_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// The persistent form of a [`PendingLogin`].
#[derive(Serialize, Deserialize)]
struct Stored {
    state: CsrfState,
    verifier: Option<PkceVerifier>,
    redirect_uri: String,
    scopes: Vec<Scope>,
    created_at: u64,
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Whether a login started at `created_at` is younger than `ttl`.
fn fresh(created_at: u64, ttl: Duration) -> bool {
    unix_now().saturating_sub(created_at) <= ttl.as_secs()
}

impl PendingLogin {
    fn to_stored(&self) -> Stored {
        Stored {
            state: self.state.clone(),
            verifier: self.verifier.clone(),
            redirect_uri: self.redirect_uri.clone(),
            scopes: self.scopes.clone(),
            created_at: self.created_at,
        }
    }

    fn from_stored(s: Stored) -> Self {
        PendingLogin {
            state: s.state,
            verifier: s.verifier,
            redirect_uri: s.redirect_uri,
            scopes: s.scopes,
            created_at: s.created_at,
            used: AtomicBool::new(false),
        }
    }

    /// Seals the login with `key` for the browser to carry (in an `HttpOnly`
    /// cookie): encrypted and authenticated, URL-safe text.
    pub fn seal(&self, key: &SealingKey) -> String {
        let plain = serde_json::to_vec(&self.to_stored()).unwrap_or_default();
        let mut nonce = [0u8; 24];
        rand::Rng::fill(&mut rand::rng(), &mut nonce);
        let cipher = XChaCha20Poly1305::new((&key.0).into());
        let sealed = cipher.encrypt(XNonce::from_slice(&nonce), plain.as_slice()).unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(out)
    }

    /// Opens a login sealed with [`seal`](Self::seal). Fails with
    /// [`OAuthError::InvalidSealedLogin`] when it was changed or sealed with
    /// another key, and with [`OAuthError::LoginExpired`] when it is older
    /// than [`SEALED_LOGIN_LIFETIME`].
    pub fn unseal(sealed: &str, key: &SealingKey) -> std::result::Result<PendingLogin, OAuthError> {
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(sealed.trim())
            .map_err(|_| OAuthError::InvalidSealedLogin)?;
        if raw.len() < 24 {
            return Err(OAuthError::InvalidSealedLogin);
        }
        let (nonce, body) = raw.split_at(24);
        let cipher = XChaCha20Poly1305::new((&key.0).into());
        let plain = cipher.decrypt(XNonce::from_slice(nonce), body).map_err(|_| OAuthError::InvalidSealedLogin)?;
        let stored: Stored = serde_json::from_slice(&plain).map_err(|_| OAuthError::InvalidSealedLogin)?;
        if !fresh(stored.created_at, SEALED_LOGIN_LIFETIME) {
            return Err(OAuthError::LoginExpired);
        }
        Ok(PendingLogin::from_stored(stored))
    }

    /// When it was started (Unix seconds).
    pub fn created_at(&self) -> u64 {
        self.created_at
    }
}

/// Writes the login's secrets in the clear: for a server-side store only.
impl Serialize for PendingLogin {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        self.to_stored().serialize(serializer)
    }
}

/// A restored login is unused, whatever happened to the one it was saved
/// from: delete it from your store when you read it.
impl<'de> Deserialize<'de> for PendingLogin {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        Stored::deserialize(deserializer).map(PendingLogin::from_stored)
    }
}

/// A 256-bit key that seals pending logins. Keep it server-side, the same on
/// every process that serves callbacks; `Debug` never shows it.
#[derive(Clone)]
pub struct SealingKey([u8; 32]);

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey([redacted])")
    }
}

impl SealingKey {
    /// A new random key from the operating system's generator.
    pub fn generate() -> Self {
        let mut k = [0u8; 32];
        rand::Rng::fill(&mut rand::rng(), &mut k);
        SealingKey(k)
    }

    /// A key from its 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        SealingKey(bytes)
    }

    /// A key from base64 (standard or URL-safe) of its 32 bytes, as kept in
    /// configuration.
    pub fn from_base64(text: &str) -> Result<Self> {
        let text = text.trim();
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text.trim_end_matches('='))
            .or_else(|_| base64::engine::general_purpose::STANDARD.decode(text))
            .map_err(|_| crate::Error::Config("the sealing key is not base64".into()))?;
        let bytes: [u8; 32] =
            bytes.try_into().map_err(|_| crate::Error::Config("the sealing key must be 32 bytes".into()))?;
        Ok(SealingKey(bytes))
    }

    /// The key as URL-safe base64, for configuration.
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.0)
    }
}

/// Keeps pending logins server-side between `/login` and `/callback`, each
/// under a key of the app's choosing: the browser session's id, so that a
/// callback only finds the login its own browser started.
pub trait PendingLoginStore: Send + Sync + 'static {
    /// Keeps `login` under `key`, replacing one kept there before.
    fn put<'a>(&'a self, key: &'a str, login: PendingLogin) -> BoxFuture<'a, Result<()>>;
    /// Removes the login under `key` and returns it: a login can be taken
    /// once.
    fn take<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<PendingLogin>>>;
}

/// Pending logins in memory, for one process. Logins older than their time
/// to live (default [`SEALED_LOGIN_LIFETIME`]) are dropped.
#[derive(Debug)]
pub struct MemoryPendingLogins {
    logins: Mutex<HashMap<String, PendingLogin>>,
    ttl: Duration,
}

impl Default for MemoryPendingLogins {
    fn default() -> Self {
        MemoryPendingLogins::new()
    }
}

impl MemoryPendingLogins {
    /// An empty store.
    pub fn new() -> Self {
        MemoryPendingLogins { logins: Mutex::new(HashMap::new()), ttl: SEALED_LOGIN_LIFETIME }
    }

    /// Drops logins older than `ttl`.
    pub fn time_to_live(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Logins kept now.
    pub fn len(&self) -> usize {
        self.logins.lock().map(|l| l.len()).unwrap_or_default()
    }

    /// Whether it keeps none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl PendingLoginStore for MemoryPendingLogins {
    fn put<'a>(&'a self, key: &'a str, login: PendingLogin) -> BoxFuture<'a, Result<()>> {
        let result = self
            .logins
            .lock()
            .map(|mut l| {
                l.retain(|_, p| fresh(p.created_at, self.ttl));
                l.insert(key.to_owned(), login);
            })
            .map_err(|_| crate::Error::Config("the pending-login store is poisoned".into()));
        Box::pin(std::future::ready(result))
    }

    fn take<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<PendingLogin>>> {
        let result = self
            .logins
            .lock()
            .map(|mut l| l.remove(key).filter(|p| fresh(p.created_at, self.ttl)))
            .map_err(|_| crate::Error::Config("the pending-login store is poisoned".into()));
        Box::pin(std::future::ready(result))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::OAuth;

    fn oauth() -> OAuth {
        OAuth::builder("1234567890", "s").pkce(true).build().unwrap()
    }

    #[test]
    fn sealed_logins_round_trip_and_resist_tampering() {
        let key = SealingKey::generate();
        let (url, pending) = oauth().authorization_url();
        let sealed = pending.seal(&key);
        let state = url.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
        assert!(!sealed.contains(&state), "the state is not readable in the sealed form");
        assert!(!sealed.contains(pending.verifier.as_ref().unwrap().expose_secret()));
        let back = PendingLogin::unseal(&sealed, &key).unwrap();
        assert!(back.state.ct_eq(&pending.state));
        assert!(back.verifier.as_ref().unwrap().ct_eq(pending.verifier.as_ref().unwrap()));
        assert_eq!(back.redirect_uri(), pending.redirect_uri());
        // Another key, a flipped byte, garbage: refused.
        assert_eq!(PendingLogin::unseal(&sealed, &SealingKey::generate()).err(), Some(OAuthError::InvalidSealedLogin));
        let mut raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&sealed).unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 1;
        let flipped = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
        assert_eq!(PendingLogin::unseal(&flipped, &key).err(), Some(OAuthError::InvalidSealedLogin));
        assert_eq!(PendingLogin::unseal("!!", &key).err(), Some(OAuthError::InvalidSealedLogin));
        assert_eq!(PendingLogin::unseal("", &key).err(), Some(OAuthError::InvalidSealedLogin));
    }

    #[test]
    fn old_sealed_logins_expire() {
        let key = SealingKey::generate();
        let (_, pending) = oauth().authorization_url();
        let mut stored = pending.to_stored();
        stored.created_at -= SEALED_LOGIN_LIFETIME.as_secs() + 1;
        let old = PendingLogin::from_stored(stored).seal(&key);
        assert_eq!(PendingLogin::unseal(&old, &key).err(), Some(OAuthError::LoginExpired));
    }

    #[test]
    fn keys_travel_as_base64_and_never_print() {
        let key = SealingKey::generate();
        let again = SealingKey::from_base64(&key.to_base64()).unwrap();
        assert_eq!(key.0, again.0);
        assert!(SealingKey::from_base64("c2hvcnQ").is_err());
        assert_eq!(format!("{key:?}"), "SealingKey([redacted])");
    }

    #[tokio::test]
    async fn a_stored_login_can_be_taken_once() {
        let store = MemoryPendingLogins::new();
        let (_, pending) = oauth().authorization_url();
        let state = pending.state.expose_secret().to_owned();
        store.put("session-1", pending).await.unwrap();
        assert!(store.take("session-2").await.unwrap().is_none(), "another session finds nothing");
        let taken = store.take("session-1").await.unwrap().unwrap();
        assert_eq!(taken.state.expose_secret(), state);
        assert!(store.take("session-1").await.unwrap().is_none(), "taken once");
        assert!(!format!("{taken:?}").contains(&state));
        // The JSON form, for stores of your own, restores the same login.
        let json = serde_json::to_string(&taken).unwrap();
        let back: PendingLogin = serde_json::from_str(&json).unwrap();
        assert!(back.state.ct_eq(&taken.state));
    }

    #[tokio::test]
    async fn expired_logins_are_dropped() {
        let store = MemoryPendingLogins::new().time_to_live(Duration::from_secs(60));
        let (_, pending) = oauth().authorization_url();
        let mut stored = pending.to_stored();
        stored.created_at -= 61;
        store.put("s", PendingLogin::from_stored(stored)).await.unwrap();
        assert!(store.take("s").await.unwrap().is_none());
    }
}
