//! When to try a call again, as a pure function.
//!
//! [`RetryPolicy::decide`] looks only at its arguments (the attempt number,
//! the method, what happened, the clock and a jitter sample), so every rule
//! is testable without a server or a sleep. The clients call it after each
//! attempt and sleep for what it returns.
//!
//! Rules, by default:
//! - only `GET` and `HEAD` are re-sent; a `POST` that failed is never sent twice;
//! - retried on 429 (unless Pinterest says the request was blocked as spam),
//!   on 5xx other than 501, and on connection failures and attempt timeouts;
//! - `Retry-After` (delta seconds or an HTTP date) is honoured exactly, and a
//!   wait longer than [`RetryPolicy::max_retry_after`] gives up instead;
//! - otherwise exponential backoff with full jitter:
//!   `uniform(0, min(max_backoff, initial_backoff * 2^(attempt-1)))`;
//! - never past the call's remaining time budget.

use std::time::{Duration, SystemTime};

use http::{HeaderMap, Method, StatusCode};

use crate::error::TransportErrorKind;

/// Retry settings. Set on the client through [`Config`](crate::Config) and
/// overridable per request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in total, the first included. `1` disables retries.
    pub max_attempts: u32,
    /// Backoff ceiling for the first retry; doubles with every further one.
    pub initial_backoff: Duration,
    /// Upper bound of the backoff ceiling.
    pub max_backoff: Duration,
    /// Longest `Retry-After` the client is willing to wait; longer gives up.
    pub max_retry_after: Duration,
    /// Also retry methods other than GET and HEAD. Off by default: a retried
    /// POST can create a second Pin.
    pub retry_non_idempotent: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(20),
            max_retry_after: Duration::from_secs(60),
            retry_non_idempotent: false,
        }
    }
}

/// What one attempt ended with, as the policy sees it.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    /// A response arrived with a status outside 2xx.
    Response {
        /// Its status.
        status: StatusCode,
        /// Its headers (for `Retry-After`).
        headers: &'a HeaderMap,
        /// Pinterest's message marks it as spam prevention.
        spam: bool,
    },
    /// No usable response.
    Transport(TransportErrorKind),
}

/// The policy's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Wait this long, then send again.
    RetryAfter(Duration),
    /// Do not retry.
    GiveUp(GiveUpReason),
}

/// Why the policy does not retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GiveUpReason {
    /// The outcome is not one that a retry can fix.
    NotRetryable,
    /// The method may have side effects.
    NotIdempotent,
    /// A 429 that Pinterest flagged as spam.
    Spam,
    /// `max_attempts` reached.
    AttemptsExhausted,
    /// The wait would overrun the call's remaining time budget.
    BudgetExhausted,
    /// `Retry-After` asks for longer than `max_retry_after`.
    RetryAfterTooLong,
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn never() -> Self {
        RetryPolicy { max_attempts: 1, ..RetryPolicy::default() }
    }

    /// Sets [`max_attempts`](Self::max_attempts) (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets [`initial_backoff`](Self::initial_backoff).
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// Sets [`max_backoff`](Self::max_backoff).
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// Sets [`max_retry_after`](Self::max_retry_after).
    pub fn max_retry_after(mut self, wait: Duration) -> Self {
        self.max_retry_after = wait;
        self
    }

    /// Sets [`retry_non_idempotent`](Self::retry_non_idempotent).
    pub fn retry_non_idempotent(mut self, retry: bool) -> Self {
        self.retry_non_idempotent = retry;
        self
    }

    /// Decides what to do after attempt number `attempt` (1-based) ended with
    /// `outcome`. `remaining` is what is left of the call's total budget,
    /// `now` the wall clock (for HTTP-date `Retry-After`), and `jitter` a
    /// sample from `[0, 1)`.
    pub fn decide(
        &self,
        attempt: u32,
        method: &Method,
        outcome: &Outcome<'_>,
        remaining: Option<Duration>,
        now: SystemTime,
        jitter: f64,
    ) -> Decision {
        let retryable = match outcome {
            Outcome::Response { status, spam, .. } => {
                if *status == StatusCode::TOO_MANY_REQUESTS && *spam {
                    return Decision::GiveUp(GiveUpReason::Spam);
                }
                *status == StatusCode::TOO_MANY_REQUESTS
                    || (status.is_server_error() && *status != StatusCode::NOT_IMPLEMENTED)
            }
            Outcome::Transport(kind) => {
                matches!(kind, TransportErrorKind::Connect | TransportErrorKind::Timeout | TransportErrorKind::Io)
            }
        };
        if !retryable {
            return Decision::GiveUp(GiveUpReason::NotRetryable);
        }
        if !(self.retry_non_idempotent || *method == Method::GET || *method == Method::HEAD) {
            return Decision::GiveUp(GiveUpReason::NotIdempotent);
        }
        if attempt >= self.max_attempts {
            return Decision::GiveUp(GiveUpReason::AttemptsExhausted);
        }
        let retry_after = match outcome {
            Outcome::Response { headers, .. } => parse_retry_after(headers, now),
            Outcome::Transport(_) => None,
        };
        let wait = match retry_after {
            Some(wait) if wait > self.max_retry_after => return Decision::GiveUp(GiveUpReason::RetryAfterTooLong),
            Some(wait) => wait,
            None => self.backoff_ceiling(attempt).mul_f64(jitter.clamp(0.0, 1.0)),
        };
        match remaining {
            Some(left) if wait >= left => Decision::GiveUp(GiveUpReason::BudgetExhausted),
            _ => Decision::RetryAfter(wait),
        }
    }

    /// The jitter ceiling after attempt `attempt`: `initial * 2^(attempt-1)`,
    /// capped at `max_backoff`.
    pub fn backoff_ceiling(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(31);
        self.initial_backoff.saturating_mul(1u32 << exp).min(self.max_backoff)
    }
}

/// Parses `Retry-After` as delta seconds or an HTTP date relative to `now`.
/// A date in the past means "now" (zero).
pub fn parse_retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = crate::error::header_str(headers, "retry-after")?;
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use rand::{Rng, SeedableRng};

    fn resp(status: u16, headers: &HeaderMap) -> Outcome<'_> {
        Outcome::Response { status: StatusCode::from_u16(status).unwrap(), headers, spam: false }
    }

    #[test]
    fn get_retried_on_429_and_5xx_but_not_4xx_or_501() {
        let p = RetryPolicy::default();
        let h = HeaderMap::new();
        let now = SystemTime::now();
        for s in [429, 500, 502, 503, 504] {
            assert!(matches!(p.decide(1, &Method::GET, &resp(s, &h), None, now, 0.5), Decision::RetryAfter(_)), "{s}");
        }
        for s in [400, 401, 403, 404, 409, 501] {
            assert_eq!(
                p.decide(1, &Method::GET, &resp(s, &h), None, now, 0.5),
                Decision::GiveUp(GiveUpReason::NotRetryable),
                "{s}"
            );
        }
    }

    #[test]
    fn post_is_never_retried_by_default() {
        let p = RetryPolicy::default();
        let h = HeaderMap::new();
        let now = SystemTime::now();
        assert_eq!(
            p.decide(1, &Method::POST, &resp(500, &h), None, now, 0.5),
            Decision::GiveUp(GiveUpReason::NotIdempotent)
        );
        assert_eq!(
            p.decide(1, &Method::POST, &Outcome::Transport(TransportErrorKind::Io), None, now, 0.5),
            Decision::GiveUp(GiveUpReason::NotIdempotent)
        );
        let p = RetryPolicy { retry_non_idempotent: true, ..RetryPolicy::default() };
        assert!(matches!(p.decide(1, &Method::POST, &resp(503, &h), None, now, 0.5), Decision::RetryAfter(_)));
    }

    #[test]
    fn spam_429_never_retried() {
        let p = RetryPolicy::default();
        let h = HeaderMap::new();
        let o = Outcome::Response { status: StatusCode::TOO_MANY_REQUESTS, headers: &h, spam: true };
        assert_eq!(p.decide(1, &Method::GET, &o, None, SystemTime::now(), 0.0), Decision::GiveUp(GiveUpReason::Spam));
    }

    #[test]
    fn retry_after_seconds_and_http_date() {
        let p = RetryPolicy::default();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("7"));
        assert_eq!(
            p.decide(1, &Method::GET, &resp(429, &h), None, now, 0.9),
            Decision::RetryAfter(Duration::from_secs(7))
        );
        let date = httpdate::fmt_http_date(now + Duration::from_secs(12));
        h.insert("retry-after", HeaderValue::from_str(&date).unwrap());
        assert_eq!(
            p.decide(1, &Method::GET, &resp(503, &h), None, now, 0.9),
            Decision::RetryAfter(Duration::from_secs(12))
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(30));
        h.insert("retry-after", HeaderValue::from_str(&past).unwrap());
        assert_eq!(p.decide(1, &Method::GET, &resp(503, &h), None, now, 0.9), Decision::RetryAfter(Duration::ZERO));
        h.insert("retry-after", HeaderValue::from_static("3600"));
        assert_eq!(
            p.decide(1, &Method::GET, &resp(429, &h), None, now, 0.9),
            Decision::GiveUp(GiveUpReason::RetryAfterTooLong)
        );
        h.insert("retry-after", HeaderValue::from_static("soon"));
        assert!(
            matches!(p.decide(1, &Method::GET, &resp(429, &h), None, now, 0.0), Decision::RetryAfter(d) if d == Duration::ZERO)
        );
    }

    #[test]
    fn attempts_and_budget_caps() {
        let p = RetryPolicy { max_attempts: 2, ..RetryPolicy::default() };
        let h = HeaderMap::new();
        let now = SystemTime::now();
        assert_eq!(
            p.decide(2, &Method::GET, &resp(500, &h), None, now, 0.5),
            Decision::GiveUp(GiveUpReason::AttemptsExhausted)
        );
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("5"));
        assert_eq!(
            p.decide(1, &Method::GET, &resp(429, &h), Some(Duration::from_secs(2)), now, 0.5),
            Decision::GiveUp(GiveUpReason::BudgetExhausted)
        );
        assert_eq!(
            RetryPolicy::never().decide(1, &Method::GET, &resp(500, &h), None, now, 0.5),
            Decision::GiveUp(GiveUpReason::AttemptsExhausted)
        );
    }

    #[test]
    fn full_jitter_stays_within_the_exponential_ceiling() {
        let p = RetryPolicy { max_attempts: 10, ..RetryPolicy::default() };
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let now = SystemTime::now();
        let mut saw_low = false;
        let mut saw_high = false;
        for attempt in 1..10 {
            let ceiling = p.backoff_ceiling(attempt);
            assert_eq!(ceiling, (Duration::from_millis(500) * 2u32.pow(attempt - 1)).min(Duration::from_secs(20)));
            for _ in 0..200 {
                let j: f64 = rng.random();
                let Decision::RetryAfter(d) =
                    p.decide(attempt, &Method::GET, &Outcome::Transport(TransportErrorKind::Connect), None, now, j)
                else {
                    panic!("expected a retry")
                };
                assert!(d <= ceiling, "{d:?} > {ceiling:?}");
                saw_low |= d < ceiling / 4;
                saw_high |= d > ceiling * 3 / 4;
            }
        }
        assert!(saw_low && saw_high, "jitter should spread over the whole range");
    }
}
