//! Client-side rate budgets: calls wait for Pinterest's window to reset
//! instead of being sent to get a 429.
//!
//! Pinterest counts calls per app, user and rate-limit category (the spec's
//! `x-ratelimit-category` of each operation: `org_read`, `ads_write`, ...)
//! in fixed windows, and says where a budget stands in the
//! `x-ratelimit-limit`, `x-ratelimit-remaining` and `x-ratelimit-reset`
//! headers of every answer. A [`RateLimiter`] mirrors those windows, one
//! per [`BudgetKey`]:
//!
//! - it learns the limit from the headers: until the first answer, one call
//!   goes at a time (a probe), so that a burst of callers cannot overrun a
//!   budget nobody knows yet; an answer without the headers means the
//!   category is not limited;
//! - it counts every call it lets go, including those still in flight, and
//!   takes the server's count when that is higher (other clients spend the
//!   same budget);
//! - it ends the window at the earliest end any answer allows (the reset is
//!   in whole seconds, rounded up, so that end is never early);
//! - a 429 spends the budget and its `Retry-After` pushes the end back;
//! - a spent window whose end no answer told (they all failed) ends a
//!   minute later;
//! - a call that finds the budget spent waits for the end, or fails at once
//!   with [`Error::BudgetExhausted`] when the
//!   caller asked for that ([`CallOptions::wait_for_budget`](crate::CallOptions::wait_for_budget))
//!   or the wait would outlast the call's time budget.
//!
//! [`Window`] is that algorithm, as a pure function of its state and the
//! clock. [`InProcessLimiter`] runs it for one process; the Redis limiter
//! (feature `redis`, `fleet::RedisRateLimiter`) runs the same steps in an
//! atomic script, so that every worker of a fleet shares one budget.
//!
//! Off by default: turn it on with [`ClientBuilder::rate_limiter`](crate::ClientBuilder::rate_limiter).
//!
//! ```no_run
//! # fn demo() -> pinterest_sdk::Result<()> {
//! use std::sync::Arc;
//! use pinterest_sdk::{Client, ratelimit::InProcessLimiter, secret::AccessToken};
//! let client = Client::builder()
//!     .access_token(AccessToken::new("pina_..."))
//!     .rate_limiter(Arc::new(InProcessLimiter::new()))
//!     .build()?;
//! # let _ = client; Ok(()) }
//! ```

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use http::{HeaderMap, StatusCode};

use crate::error::{Error, RateLimit, Result};
use crate::transport::BoxFuture;

/// Whose budget a call spends: the app, the account (a user id, a profile
/// name: the one the token belongs to) and the operation's
/// `x-ratelimit-category`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BudgetKey {
    /// The app id (empty when the client does not know it).
    pub app: String,
    /// The account (empty for a client of one unnamed account).
    pub account: String,
    /// The rate-limit category.
    pub category: &'static str,
}

impl BudgetKey {
    /// The key of `account`'s `category` budget for `app`.
    pub fn new(app: impl Into<String>, account: impl Into<String>, category: &'static str) -> Self {
        BudgetKey { app: app.into(), account: account.into(), category }
    }
}

impl std::fmt::Display for BudgetKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}", self.app, self.account, self.category)
    }
}

/// A permission to send one call, naming the window it was counted in (so
/// that a late answer from an earlier window does not move the current one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    /// The window's number, counted by the limiter.
    pub window: u64,
}

/// The limiter's answer to a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// Send it.
    Go(Ticket),
    /// The budget is spent: ask again after this long.
    Wait(Duration),
}

/// What an answer said about its budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Observation {
    /// Calls per window (`x-ratelimit-limit`).
    pub limit: Option<u64>,
    /// Calls left in the window (`x-ratelimit-remaining`).
    pub remaining: Option<u64>,
    /// Seconds until the window resets (`x-ratelimit-reset`).
    pub reset: Option<u64>,
    /// The answer was a 429.
    pub rejected: bool,
    /// Its `Retry-After`.
    pub retry_after: Option<Duration>,
}

impl Observation {
    /// Reads the rate-limit headers and the status of an answer.
    pub fn from_response(status: StatusCode, headers: &HeaderMap) -> Self {
        let rate = RateLimit::from_headers(headers).unwrap_or_default();
        let rejected = status == StatusCode::TOO_MANY_REQUESTS;
        let cap = Duration::from_millis(MAX_WAIT_MS);
        let retry_after = crate::retry::parse_retry_after(headers, std::time::SystemTime::now()).map(|d| d.min(cap));
        let reset = rate.reset.map(|r| r.min(MAX_WAIT_MS / 1000));
        Observation { limit: rate.limit, remaining: rate.remaining, reset, rejected, retry_after }
    }

    /// What the three rate-limit headers said.
    pub fn headers(limit: Option<u64>, remaining: Option<u64>, reset: Option<u64>) -> Self {
        Observation { limit, remaining, reset, rejected: false, retry_after: None }
    }

    /// The same, for a 429 with this `Retry-After`.
    pub fn rejected(self, retry_after: Option<Duration>) -> Self {
        Observation { rejected: true, retry_after, ..self }
    }

    /// Whether it says anything a limiter can use.
    pub fn is_empty(&self) -> bool {
        self.limit.is_none() && self.remaining.is_none() && self.reset.is_none() && !self.rejected
    }
}

/// Keeps rate budgets for the clients that share it.
pub trait RateLimiter: Send + Sync + 'static {
    /// Asks to send one call of `key`'s budget.
    fn acquire<'a>(&'a self, key: &'a BudgetKey) -> BoxFuture<'a, Result<Grant>>;

    /// Tells what the answer to a call sent with `ticket` said.
    fn observe<'a>(&'a self, key: &'a BudgetKey, ticket: Ticket, seen: Observation) -> BoxFuture<'a, Result<()>>;
}

impl<T: RateLimiter + ?Sized> RateLimiter for std::sync::Arc<T> {
    fn acquire<'a>(&'a self, key: &'a BudgetKey) -> BoxFuture<'a, Result<Grant>> {
        (**self).acquire(key)
    }
    fn observe<'a>(&'a self, key: &'a BudgetKey, ticket: Ticket, seen: Observation) -> BoxFuture<'a, Result<()>> {
        (**self).observe(key, ticket, seen)
    }
}

/// How long before a window's end a call may still land in the next window
/// on the server: the reset is rounded up to whole seconds, so the server's
/// window may end up to a second before the limiter's, and the call takes
/// its time to arrive. Calls let go that late also count in the next window.
pub const CARRY_MS: u64 = 1_250;

/// How long to wait when the budget is spent but no answer has said yet
/// when the window ends (every call of the window is still in flight), or
/// while the first call of a budget is still out.
pub const POLL_MS: u64 = 50;

/// How long the first call of a budget holds the others back: if no answer
/// came by then (it failed without one), another call goes.
pub const PROBE_MS: u64 = 2_000;

/// When a window's budget is spent and no answer has said when it ends
/// (they all failed), it ends this long after: a spent window never stays
/// spent for good.
pub const FALLBACK_WINDOW_MS: u64 = 60_000;

/// The longest reset or `Retry-After` taken from an answer: one day.
pub const MAX_WAIT_MS: u64 = 86_400_000;

/// One budget's window, as the limiter sees it. Times are milliseconds on
/// one clock (the process's for [`InProcessLimiter`], the Redis server's
/// for the Redis limiter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Window {
    /// Calls per window, once an answer said.
    pub limit: Option<u64>,
    /// Calls counted in this window.
    pub used: u64,
    /// When it ends, once an answer said.
    pub end_ms: Option<u64>,
    /// Its number: raised when a window ends.
    pub number: u64,
    /// Calls let go near the end of this window, counted in the next one too.
    pub carry: u64,
    /// Whether any answer has come (until then one call goes at a time).
    pub known: bool,
    /// When the call that is finding out went, while it is out.
    pub probe_ms: Option<u64>,
    /// Whether an answer of this window said when it ends (until then its
    /// end is a fallback, and waiting callers look again every
    /// [`POLL_MS`]).
    pub told: bool,
}

impl Window {
    /// Asks to send one call at `now_ms`.
    pub fn acquire(&mut self, now_ms: u64) -> Grant {
        if let Some(end) = self.end_ms
            && now_ms >= end
        {
            *self = Window { used: self.carry, end_ms: None, number: self.number + 1, carry: 0, told: false, ..*self };
        }
        if !self.known {
            if self.probe_ms.is_some_and(|p| now_ms < p.saturating_add(PROBE_MS)) {
                return Grant::Wait(Duration::from_millis(POLL_MS));
            }
            self.probe_ms = Some(now_ms);
            self.used += 1;
            return Grant::Go(Ticket { window: self.number });
        }
        if let Some(limit) = self.limit
            && self.used >= limit
        {
            let end = *self.end_ms.get_or_insert(now_ms.saturating_add(FALLBACK_WINDOW_MS));
            let mut wait = end.saturating_sub(now_ms).max(1);
            if !self.told {
                wait = wait.min(POLL_MS);
            }
            return Grant::Wait(Duration::from_millis(wait));
        }
        self.used += 1;
        if let Some(end) = self.end_ms
            && end.saturating_sub(now_ms) < CARRY_MS
        {
            self.carry += 1;
        }
        Grant::Go(Ticket { window: self.number })
    }

    /// Takes in what the answer to a call sent with `ticket` said, at `now_ms`.
    pub fn observe(&mut self, ticket: Ticket, seen: Observation, now_ms: u64) {
        self.known = true;
        self.probe_ms = None;
        if let Some(limit) = seen.limit {
            self.limit = Some(limit);
        }
        if ticket.window == self.number {
            if let Some(reset) = seen.reset {
                let end = now_ms.saturating_add(reset.saturating_mul(1000));
                self.end_ms = Some(match self.end_ms {
                    Some(e) if self.told => e.min(end),
                    _ => end,
                });
                self.told = true;
            }
            if let (Some(limit), Some(remaining)) = (self.limit, seen.remaining) {
                self.used = self.used.max(limit.saturating_sub(remaining));
            }
        }
        if seen.rejected {
            // Whatever window it was sent in, the server's current one is spent.
            if let Some(limit) = self.limit {
                self.used = self.used.max(limit);
            }
            let after = seen.retry_after.unwrap_or(Duration::from_secs(1)).as_millis();
            let until = now_ms.saturating_add(u64::try_from(after).unwrap_or(u64::MAX));
            self.end_ms = Some(match self.end_ms {
                Some(e) if self.told => e.max(until),
                _ => until,
            });
            self.told = true;
            if self.limit.is_none() {
                // A 429 without the headers: hold everything until then.
                self.limit = Some(self.used);
            }
        }
    }
}

/// Rate budgets in this process's memory, shared by every client given the
/// same limiter (an `Arc`).
#[derive(Debug)]
pub struct InProcessLimiter {
    windows: Mutex<HashMap<BudgetKey, Window>>,
    epoch: Instant,
}

impl Default for InProcessLimiter {
    fn default() -> Self {
        InProcessLimiter { windows: Mutex::new(HashMap::new()), epoch: Instant::now() }
    }
}

impl InProcessLimiter {
    /// No budgets known yet.
    pub fn new() -> Self {
        Self::default()
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn with<T>(&self, key: &BudgetKey, f: impl FnOnce(&mut Window) -> T) -> Result<T> {
        let mut windows = self.windows.lock().map_err(|_| Error::RateLimiter {
            action: "use the in-process budgets",
            source: "a thread panicked while holding them".into(),
        })?;
        if !windows.contains_key(key) {
            windows.insert(key.clone(), Window::default());
        }
        let window = windows.get_mut(key).ok_or_else(|| Error::RateLimiter {
            action: "use the in-process budgets",
            source: "the budget vanished".into(),
        })?;
        Ok(f(window))
    }

    /// The window of `key` as it stands (for inspection and tests).
    pub fn window(&self, key: &BudgetKey) -> Option<Window> {
        self.windows.lock().ok().and_then(|w| w.get(key).copied())
    }
}

impl RateLimiter for InProcessLimiter {
    fn acquire<'a>(&'a self, key: &'a BudgetKey) -> BoxFuture<'a, Result<Grant>> {
        let now = self.now_ms();
        Box::pin(std::future::ready(self.with(key, |w| w.acquire(now))))
    }

    fn observe<'a>(&'a self, key: &'a BudgetKey, ticket: Ticket, seen: Observation) -> BoxFuture<'a, Result<()>> {
        let now = self.now_ms();
        Box::pin(std::future::ready(self.with(key, |w| w.observe(ticket, seen, now))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(limit: u64, remaining: u64, reset: u64) -> Observation {
        Observation { limit: Some(limit), remaining: Some(remaining), reset: Some(reset), ..Observation::default() }
    }

    fn go(g: Grant) -> Ticket {
        match g {
            Grant::Go(t) => t,
            Grant::Wait(d) => panic!("expected go, got a wait of {d:?}"),
        }
    }

    #[test]
    fn until_the_first_answer_one_call_goes_at_a_time() {
        let mut w = Window::default();
        let probe = go(w.acquire(0));
        assert_eq!(w.acquire(10), Grant::Wait(Duration::from_millis(POLL_MS)));
        // A probe that never got an answer (it failed) frees the way later.
        go(w.acquire(PROBE_MS));
        assert_eq!(w.used, 2);
        // An answer without rate-limit headers: the category is not limited.
        w.observe(probe, Observation::default(), PROBE_MS + 5);
        for _ in 0..100 {
            go(w.acquire(PROBE_MS + 6));
        }
        assert_eq!((w.limit, w.end_ms), (None, None));
    }

    /// A window that has seen one answer: `limit` per window, `reset` s left.
    fn learned(limit: u64, remaining: u64, reset: u64) -> (Window, Ticket) {
        let mut w = Window::default();
        let t = go(w.acquire(0));
        w.observe(t, seen(limit, remaining, reset), 0);
        (w, t)
    }

    #[test]
    fn a_spent_budget_waits_for_the_end_the_answers_gave() {
        let mut w = Window::default();
        let t = go(w.acquire(0));
        // The answer: 3 per window, 2 left, 10 s to go.
        w.observe(t, seen(3, 2, 10), 100);
        assert_eq!((w.limit, w.used, w.end_ms), (Some(3), 1, Some(10_100)));
        go(w.acquire(150));
        go(w.acquire(200));
        assert_eq!(w.acquire(300), Grant::Wait(Duration::from_millis(9_800)));
        // A later answer of the same window narrows the end (never widens it).
        w.observe(t, seen(3, 0, 9), 500);
        assert_eq!(w.end_ms, Some(9_500));
        w.observe(t, seen(3, 0, 10), 600);
        assert_eq!(w.end_ms, Some(9_500));
        // At the end a new window opens, with the full budget.
        let t2 = go(w.acquire(9_500));
        assert_eq!((t2.window, w.used, w.end_ms), (1, 1, None));
    }

    #[test]
    fn the_servers_count_wins_when_it_is_higher() {
        // Other clients spent 7 of 10 already.
        let (mut w, _) = learned(10, 2, 60);
        assert_eq!(w.used, 8);
        go(w.acquire(20));
        go(w.acquire(20));
        assert!(matches!(w.acquire(20), Grant::Wait(_)));
    }

    #[test]
    fn answers_from_an_earlier_window_move_nothing_but_the_limit() {
        let (mut w, old) = learned(2, 1, 1);
        go(w.acquire(10));
        let fresh = go(w.acquire(1_000));
        assert_eq!(fresh.window, 1);
        // The call at 10 ms was near the end, so it counts here too.
        assert_eq!(w.used, 2);
        // The late answer of the first window says 1 s left: ignored.
        w.observe(old, seen(2, 0, 1), 1_100);
        assert_eq!((w.used, w.end_ms), (2, None));
        w.observe(fresh, seen(2, 1, 1), 1_100);
        assert_eq!(w.end_ms, Some(2_100));
    }

    #[test]
    fn calls_near_the_end_count_in_the_next_window_too() {
        let (mut w, _) = learned(10, 9, 5);
        go(w.acquire(4_000)); // within CARRY_MS of the end at 5000
        assert_eq!(w.carry, 1);
        go(w.acquire(5_000));
        assert_eq!((w.number, w.used), (1, 2));
    }

    #[test]
    fn a_429_spends_the_budget_until_retry_after() {
        let mut w = Window::default();
        let t = go(w.acquire(0));
        let rejected = Observation { rejected: true, retry_after: Some(Duration::from_secs(3)), ..seen(5, 0, 2) };
        w.observe(t, rejected, 0);
        assert_eq!(w.acquire(100), Grant::Wait(Duration::from_millis(2_900)));
        go(w.acquire(3_000));
        // Without headers, a 429 still holds calls until Retry-After.
        let mut w = Window::default();
        let t = go(w.acquire(0));
        w.observe(
            t,
            Observation { rejected: true, retry_after: Some(Duration::from_secs(2)), ..Default::default() },
            0,
        );
        assert_eq!(w.acquire(1), Grant::Wait(Duration::from_millis(1_999)));
        go(w.acquire(2_000));
    }

    #[test]
    fn a_spent_budget_whose_answers_all_failed_ends_after_the_fallback() {
        let mut w = Window { limit: Some(1), known: true, ..Window::default() };
        go(w.acquire(0));
        // Callers look again soon, in case an answer comes.
        assert_eq!(w.acquire(10), Grant::Wait(Duration::from_millis(POLL_MS)));
        assert_eq!(w.end_ms, Some(10 + FALLBACK_WINDOW_MS));
        // None came: the window ends after the fallback.
        let f = 10 + FALLBACK_WINDOW_MS;
        let t = go(w.acquire(f));
        assert_eq!(t.window, 1);
        // In the next one, an answer sets the end, and callers wait for it.
        w.observe(t, seen(1, 0, 2), f + 5);
        assert_eq!(w.end_ms, Some(f + 2_005));
        assert_eq!(w.acquire(f + 6), Grant::Wait(Duration::from_millis(1_999)));
    }

    #[test]
    fn absurd_resets_and_retry_afters_are_capped_at_a_day() {
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-reset", http::HeaderValue::from_static("99999999999999"));
        headers.insert("retry-after", http::HeaderValue::from_static("99999999999"));
        let seen = Observation::from_response(StatusCode::TOO_MANY_REQUESTS, &headers);
        assert_eq!(seen.reset, Some(86_400));
        assert_eq!(seen.retry_after, Some(Duration::from_secs(86_400)));
    }

    #[tokio::test]
    async fn the_in_process_limiter_keeps_keys_apart() {
        let l = InProcessLimiter::new();
        let a = BudgetKey::new("app", "a", "org_read");
        let b = BudgetKey::new("app", "b", "org_read");
        let t = go(l.acquire(&a).await.unwrap());
        l.observe(&a, t, seen(1, 0, 60)).await.unwrap();
        assert!(matches!(l.acquire(&a).await.unwrap(), Grant::Wait(_)));
        go(l.acquire(&b).await.unwrap());
        assert_eq!(l.window(&a).map(|w| w.limit), Some(Some(1)));
    }
}
