//! A token set as Pinterest hands it out, with absolute expiry times.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::oauth::Scope;
use crate::secret::{AccessToken, RefreshToken};

/// The wall clock, injectable so that expiry logic is testable.
pub trait Clock: Send + Sync + 'static {
    /// Now.
    fn now(&self) -> SystemTime;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that only moves when told to (for tests).
#[derive(Debug, Clone, Default)]
pub struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
    /// A clock at `unix_secs`.
    pub fn at(unix_secs: u64) -> Self {
        ManualClock(Arc::new(AtomicU64::new(unix_secs)))
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(by.as_secs(), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.0.load(Ordering::SeqCst))
    }
}

pub(crate) fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Tokens from Pinterest's token endpoint. Expiry times are absolute (Unix
/// seconds), computed when the response arrived, so a stored set stays
/// meaningful after a restart. `Debug` never shows a token.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TokenSet {
    /// The bearer token.
    pub access_token: AccessToken,
    /// `bearer`.
    #[serde(default = "bearer")]
    pub token_type: String,
    /// When the access token expires (Unix seconds), if Pinterest said.
    #[serde(default)]
    pub expires_at: Option<u64>,
    /// The granted scopes.
    #[serde(default)]
    pub scopes: Vec<Scope>,
    /// The refresh token; Pinterest rotates it on every refresh.
    #[serde(default)]
    pub refresh_token: Option<RefreshToken>,
    /// When the refresh token expires (Unix seconds), if Pinterest said.
    #[serde(default)]
    pub refresh_token_expires_at: Option<u64>,
    /// Pinterest's `response_type` (`authorization_code`, `refresh_token`,
    /// `client_credentials`, `integration_refresh`).
    #[serde(default)]
    pub response_type: Option<String>,
    /// When this set was received (Unix seconds).
    #[serde(default)]
    pub received_at: u64,
}

fn bearer() -> String {
    "bearer".into()
}

impl TokenSet {
    /// A set holding only an access token that never expires (for tokens from
    /// the developer console).
    pub fn from_access_token(token: AccessToken) -> Self {
        TokenSet {
            access_token: token,
            token_type: bearer(),
            expires_at: None,
            scopes: Vec::new(),
            refresh_token: None,
            refresh_token_expires_at: None,
            response_type: None,
            received_at: 0,
        }
    }

    /// The access token's lifetime as issued, if known.
    pub fn lifetime(&self) -> Option<Duration> {
        self.expires_at.map(|e| Duration::from_secs(e.saturating_sub(self.received_at)))
    }

    /// Time left before the access token expires, at `now` (zero once expired).
    pub fn expires_in(&self, now: SystemTime) -> Option<Duration> {
        self.expires_at.map(|e| Duration::from_secs(e.saturating_sub(unix(now))))
    }

    /// True when the access token has expired at `now`.
    pub fn is_expired(&self, now: SystemTime) -> bool {
        self.expires_at.is_some_and(|e| unix(now) >= e)
    }

    /// True when the access token should be refreshed at `now`: within
    /// `leeway` of expiry, the leeway being capped at half the token's
    /// lifetime so that a short-lived token does not refresh in a loop.
    pub fn needs_refresh(&self, now: SystemTime, leeway: Duration) -> bool {
        let Some(expires_at) = self.expires_at else { return false };
        let cap = self.lifetime().map(|l| l / 2).unwrap_or(leeway);
        let leeway = leeway.min(cap);
        unix(now) + leeway.as_secs() >= expires_at
    }

    /// The scopes as Pinterest writes them in a request (comma separated).
    pub fn scope_string(&self) -> String {
        Scope::join(&self.scopes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(received: u64, lifetime: u64) -> TokenSet {
        let mut t = TokenSet::from_access_token(AccessToken::new("a"));
        t.received_at = received;
        t.expires_at = Some(received + lifetime);
        t
    }

    #[test]
    fn leeway_is_capped_at_half_the_lifetime() {
        let at = |s| UNIX_EPOCH + Duration::from_secs(s);
        // A 30 s token with a 60 s leeway refreshes at 15 s, not at once.
        let t = set(1000, 30);
        assert!(!t.needs_refresh(at(1000), Duration::from_secs(60)));
        assert!(!t.needs_refresh(at(1014), Duration::from_secs(60)));
        assert!(t.needs_refresh(at(1015), Duration::from_secs(60)));
        // A 30-day token refreshes 60 s before expiry.
        let t = set(0, 2_592_000);
        assert!(!t.needs_refresh(at(2_592_000 - 61), Duration::from_secs(60)));
        assert!(t.needs_refresh(at(2_592_000 - 60), Duration::from_secs(60)));
        assert!(t.is_expired(at(2_592_000)));
        assert_eq!(t.expires_in(at(2_592_000 - 5)), Some(Duration::from_secs(5)));
        // No expiry: never refreshed proactively.
        assert!(
            !TokenSet::from_access_token(AccessToken::new("a"))
                .needs_refresh(at(u64::MAX / 2), Duration::from_secs(60))
        );
    }

    #[test]
    fn serde_round_trip_and_redacted_debug() {
        let mut t = set(5, 10);
        t.refresh_token = Some(RefreshToken::new("pinr_canary"));
        t.access_token = AccessToken::new("pina_canary");
        t.scopes = vec![Scope::PinsRead, Scope::parse("x:y")];
        let json = serde_json::to_string(&t).unwrap();
        let back: TokenSet = serde_json::from_str(&json).unwrap();
        assert_eq!(back.access_token.expose_secret(), "pina_canary");
        assert_eq!(back.refresh_token.unwrap().expose_secret(), "pinr_canary");
        assert_eq!(back.scopes, t.scopes);
        assert_eq!(back.expires_at, Some(15));
        assert!(!format!("{t:?}").contains("canary"));
    }

    #[test]
    fn manual_clock() {
        let c = ManualClock::at(100);
        c.advance(Duration::from_secs(5));
        assert_eq!(unix(c.now()), 105);
    }
}
