//! Rate limits like Pinterest's: every operation spends a call of its
//! `x-ratelimit-category` budget (`org_read`, `ads_write`…), counted per
//! app, user and category in fixed windows, and a call over budget is
//! answered 429 before it runs.
//!
//! The API handler calls [`spend`] once the bearer token and the scopes are
//! accepted; it leaves what the rate-limit headers should say in the
//! request's [`Slot`], and the serving layer writes them on the response.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::Request;
use http::{HeaderMap, HeaderValue, Response, StatusCode};
use pinterest_sdk::registry::OperationInfo;
use serde_json::{Value, json};

use crate::server::{Shared, json_error, lock};

/// How many calls each rate-limit category allows per window: Pinterest's
/// `x-ratelimit-category` of every operation (`org_read`, `org_write`,
/// `ads_read`, `ads_analytics`, `catalogs_read`…, see
/// [`RateLimits::known_categories`]), counted for each app and user in
/// fixed windows. A window opens with the first call after the previous
/// one ended and lasts [`RateLimits::window`].
///
/// A category gets its own limit ([`RateLimits::limit`]) or else the
/// default one ([`RateLimits::default_limit`]); with neither it is not
/// limited, and its answers carry no rate-limit headers. A limit of 0
/// refuses every call of the category.
///
/// ```
/// use std::time::Duration;
/// use pinterest_emulator::RateLimits;
///
/// let limits = RateLimits::new(Duration::from_secs(60)).default_limit(100).limit("ads_analytics", 5);
/// assert_eq!(limits.limit_for("ads_analytics"), Some(5));
/// assert_eq!(limits.limit_for("org_read"), Some(100));
/// assert_eq!(RateLimits::new(Duration::from_secs(60)).limit_for("org_read"), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimits {
    window: Duration,
    default_limit: Option<u32>,
    per_category: BTreeMap<String, u32>,
}

impl RateLimits {
    /// Windows of `window` (which must not be zero), and no limits yet.
    pub fn new(window: Duration) -> RateLimits {
        RateLimits { window, default_limit: None, per_category: BTreeMap::new() }
    }

    /// `calls` per window for every category without a limit of its own.
    pub fn default_limit(mut self, calls: u32) -> RateLimits {
        self.default_limit = Some(calls);
        self
    }

    /// `calls` per window for `category` (an `x-ratelimit-category` of the
    /// spec, such as `ads_analytics`; another name is refused by
    /// [`EmulatorBuilder::start`](crate::EmulatorBuilder::start)).
    pub fn limit(mut self, category: impl Into<String>, calls: u32) -> RateLimits {
        self.per_category.insert(category.into(), calls);
        self
    }

    /// The length of a window.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// The calls per window `category` allows: its own limit, else the
    /// default one; `None` when it is not limited.
    pub fn limit_for(&self, category: &str) -> Option<u32> {
        self.per_category.get(category).copied().or(self.default_limit)
    }

    /// Every `x-ratelimit-category` of the spec's operations, sorted.
    pub fn known_categories() -> Vec<&'static str> {
        let all: BTreeSet<&'static str> = pinterest_sdk::registry::operations()
            .iter()
            .map(|op| op.rate_limit_category)
            .filter(|c| !c.is_empty())
            .collect();
        all.into_iter().collect()
    }

    /// Why these limits cannot be used: a zero window, a category no
    /// operation has.
    pub(crate) fn problem(&self) -> Option<String> {
        if self.window.is_zero() {
            return Some("the rate-limit window is zero".into());
        }
        let known = RateLimits::known_categories();
        let unknown = self.per_category.keys().find(|c| !known.contains(&c.as_str()))?;
        Some(format!("no operation has the rate-limit category {unknown:?}; the categories are {}", known.join(", ")))
    }
}

/// Whose budget a call spends. One user for now (the emulator's), but the
/// user is part of the key, as on Pinterest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    app: String,
    user: String,
    category: &'static str,
}

/// An open window: when its first call came, the calls it counted, and
/// how many windows its key has opened so far (this one included).
#[derive(Debug, Clone, Copy)]
struct Window {
    start: Instant,
    used: u32,
    opened: u64,
}

/// The open windows, kept by the emulator (not in the saved state) and
/// cleared by a reset.
#[derive(Debug, Default)]
pub struct Counters(Mutex<BTreeMap<Key, Window>>);

impl Counters {
    /// Forgets every window.
    pub fn clear(&self) {
        lock(&self.0).clear();
    }

    /// How many windows have opened since the last [`clear`](Self::clear),
    /// over every app, user and category.
    pub fn opened(&self) -> u64 {
        lock(&self.0).values().map(|w| w.opened).sum()
    }

    /// Counts a call of `key` at `now` against `limit` calls per `window`.
    fn spend(&self, key: Key, limit: u32, window: Duration, now: Instant) -> Stamp {
        let mut windows = lock(&self.0);
        let open = windows.entry(key).or_insert(Window { start: now, used: 0, opened: 1 });
        if now.saturating_duration_since(open.start) >= window {
            *open = Window { start: now, used: 0, opened: open.opened + 1 };
        }
        let allowed = open.used < limit;
        if allowed {
            open.used += 1;
        }
        let reset = seconds_left(open.start, window, now);
        Stamp { limit, remaining: limit.saturating_sub(open.used), reset, allowed }
    }
}

/// Whole seconds from `now` to the end of the window that started at
/// `start`, rounded up, at least 1.
fn seconds_left(start: Instant, window: Duration, now: Instant) -> u64 {
    let left = window.saturating_sub(now.saturating_duration_since(start));
    (left.as_secs().saturating_add(u64::from(left.subsec_nanos() > 0))).max(1)
}

/// What the rate-limit headers say about one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// Calls per window.
    limit: u32,
    /// Calls left after this one.
    remaining: u32,
    /// Seconds until the window ends.
    reset: u64,
    /// Whether the call was within the budget.
    allowed: bool,
}

impl Stamp {
    fn write(&self, headers: &mut HeaderMap) {
        headers.insert("x-ratelimit-limit", HeaderValue::from(self.limit));
        headers.insert("x-ratelimit-remaining", HeaderValue::from(self.remaining));
        headers.insert("x-ratelimit-reset", HeaderValue::from(self.reset));
    }
}

/// Where [`spend`] leaves the stamp of an API call for the serving layer:
/// a request extension.
#[derive(Debug, Clone, Default)]
pub struct Slot(Arc<Mutex<Option<Stamp>>>);

impl Slot {
    /// Writes the rate-limit headers of the call, if it was counted.
    pub fn write(&self, headers: &mut HeaderMap) {
        if let Some(stamp) = *lock(&self.0) {
            stamp.write(headers);
        }
    }
}

/// Spends one call of the budget of `op`'s category for the caller of
/// `req`, whose bearer token the API handler has accepted; `Some` is the
/// 429 to answer instead of running the operation. Nothing is counted
/// when rate limits are off, the category is not limited, or the call
/// has no bearer token.
pub fn spend(s: &Shared, op: &OperationInfo, req: &Request) -> Option<Response<Body>> {
    let limits = s.settings.rate_limits.as_ref()?;
    let category = op.rate_limit_category;
    let limit = limits.limit_for(category).filter(|_| !category.is_empty())?;
    let token = crate::api::bearer(req)?;
    let key = {
        let d = s.data();
        let access = d.tokens.access.get(&token)?;
        let user = d.user.get("id").and_then(Value::as_str).unwrap_or_default().to_owned();
        Key { app: access.app.clone(), user, category }
    };
    let stamp = s.rate_counters.spend(key, limit, limits.window, Instant::now());
    if let Some(slot) = req.extensions().get::<Slot>() {
        *lock(&slot.0) = Some(stamp);
    }
    if stamp.allowed {
        return None;
    }
    let mut r = json_error(
        StatusCode::TOO_MANY_REQUESTS,
        8,
        &format!(
            "You have exceeded the {category} rate limit of {limit} calls per {} for this app and user. \
             Please wait {} s for the window to reset before retrying.",
            describe(limits.window),
            stamp.reset
        ),
    );
    stamp.write(r.headers_mut());
    r.headers_mut().insert("retry-after", HeaderValue::from(stamp.reset));
    Some(r)
}

/// `60 s`, `1500 ms`.
fn describe(window: Duration) -> String {
    if window.subsec_nanos() == 0 { format!("{} s", window.as_secs()) } else { format!("{} ms", window.as_millis()) }
}

/// The limits and the open windows, for `GET /_emulator/rate_limits`.
pub fn report(s: &Shared) -> Value {
    let Some(limits) = &s.settings.rate_limits else {
        return json!({"enabled": false, "windows": []});
    };
    let now = Instant::now();
    let windows: Vec<Value> = lock(&s.rate_counters.0)
        .iter()
        .filter(|(_, w)| now.saturating_duration_since(w.start) < limits.window)
        .filter_map(|(k, w)| {
            let limit = limits.limit_for(k.category)?;
            Some(json!({
                "app": k.app,
                "user": k.user,
                "category": k.category,
                "limit": limit,
                "used": w.used,
                "remaining": limit.saturating_sub(w.used),
                "reset": seconds_left(w.start, limits.window, now),
                "opened": w.opened,
            }))
        })
        .collect();
    json!({
        "enabled": true,
        "window_ms": u64::try_from(limits.window.as_millis()).unwrap_or(u64::MAX),
        "default_limit": limits.default_limit,
        "limits": limits.per_category,
        "windows": windows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(category: &'static str) -> Key {
        Key { app: "app".into(), user: "user".into(), category }
    }

    #[test]
    fn windows_are_fixed_and_per_category() {
        let c = Counters::default();
        let t0 = Instant::now();
        let w = Duration::from_secs(10);
        let a = c.spend(key("org_read"), 2, w, t0);
        assert_eq!((a.remaining, a.reset, a.allowed), (1, 10, true));
        // Another category has a budget of its own.
        let b = c.spend(key("ads_read"), 2, w, t0 + Duration::from_millis(100));
        assert_eq!((b.remaining, b.allowed), (1, true));
        // The window started with the first call: 9.5 s left reads 10.
        let a = c.spend(key("org_read"), 2, w, t0 + Duration::from_millis(500));
        assert_eq!((a.remaining, a.reset, a.allowed), (0, 10, true));
        let a = c.spend(key("org_read"), 2, w, t0 + Duration::from_millis(9_999));
        assert_eq!((a.remaining, a.reset, a.allowed), (0, 1, false));
        // A new window opens with the next call after it ends.
        let a = c.spend(key("org_read"), 2, w, t0 + Duration::from_secs(12));
        assert_eq!((a.remaining, a.reset, a.allowed), (1, 10, true));
        c.clear();
        let b = c.spend(key("ads_read"), 2, w, t0 + Duration::from_secs(1));
        assert_eq!((b.remaining, b.allowed), (1, true));
    }

    #[test]
    fn windows_opened_are_counted_per_key_until_cleared() {
        let c = Counters::default();
        let t0 = Instant::now();
        let w = Duration::from_secs(10);
        assert_eq!(c.opened(), 0);
        c.spend(key("org_read"), 1, w, t0);
        // Refused calls and calls inside the window open nothing.
        c.spend(key("org_read"), 1, w, t0 + Duration::from_secs(1));
        c.spend(key("org_read"), 1, w, t0 + Duration::from_secs(9));
        assert_eq!(c.opened(), 1);
        c.spend(key("org_read"), 1, w, t0 + Duration::from_secs(10));
        c.spend(key("org_read"), 1, w, t0 + Duration::from_secs(25));
        c.spend(key("ads_read"), 1, w, t0 + Duration::from_secs(25));
        assert_eq!(c.opened(), 4);
        assert_eq!(lock(&c.0).get(&key("org_read")).map(|w| w.opened), Some(3));
        c.clear();
        assert_eq!(c.opened(), 0);
        c.spend(key("org_read"), 1, w, t0 + Duration::from_secs(26));
        assert_eq!(c.opened(), 1);
    }

    #[test]
    fn a_zero_limit_refuses_everything() {
        let c = Counters::default();
        let s = c.spend(key("ads_write"), 0, Duration::from_millis(1500), Instant::now());
        assert_eq!((s.limit, s.remaining, s.reset, s.allowed), (0, 0, 2, false));
    }

    #[test]
    fn unknown_categories_and_zero_windows_are_problems() {
        let ok = RateLimits::new(Duration::from_secs(1)).default_limit(1).limit("ads_analytics", 5);
        assert_eq!(ok.problem(), None);
        let typo = RateLimits::new(Duration::from_secs(1)).limit("ads_raed", 5);
        assert!(typo.problem().is_some_and(|p| p.contains("\"ads_raed\"") && p.contains("ads_read")));
        assert!(RateLimits::new(Duration::ZERO).problem().is_some());
        let known = RateLimits::known_categories();
        assert!(known.contains(&"org_read") && known.contains(&"ads_analytics") && !known.contains(&""));
    }

    #[test]
    fn windows_are_described_in_seconds_or_milliseconds() {
        assert_eq!(describe(Duration::from_secs(60)), "60 s");
        assert_eq!(describe(Duration::from_millis(1500)), "1500 ms");
    }
}
