//! OAuth 2.0 with Pinterest.

/// An OAuth step that failed on this side, before or instead of a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OAuthError {
    /// The redirect's `state` does not match the pending login.
    #[error("the redirect's state does not match the pending login (possible CSRF); nothing was sent")]
    StateMismatch,
}
