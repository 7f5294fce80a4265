//! The SDK's one error type.
//!
//! [`Error`] is `#[non_exhaustive]`; each variant's `Display` says what went
//! wrong in this layer only and the cause is reachable through
//! [`std::error::Error::source`], so an error reporter prints the chain once.
//! No variant ever holds a secret: request bodies are not kept, response
//! bodies of token endpoints are dropped, and header values are never copied.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};

/// `Result` with the SDK's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong when talking to Pinterest.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Pinterest answered with a status outside 2xx.
    #[error(transparent)]
    Api(Box<ApiError>),
    /// A 2xx response whose body does not match the operation's schema.
    #[error(transparent)]
    Decode(Box<DecodeError>),
    /// The request could not be sent or its response could not be read.
    #[error(transparent)]
    Transport(Box<TransportError>),
    /// The call's total time budget ran out (see [`Timeouts`](crate::Timeouts)).
    #[error("`{operation}` gave up after {elapsed:?}: the total time budget ran out")]
    Timeout {
        /// Operation id from the spec.
        operation: &'static str,
        /// Time spent on the call, retries included.
        elapsed: Duration,
    },
    /// A required value was not set on a model builder or an operation;
    /// nothing was sent.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// User data for a conversion event could not be normalised, or holds
    /// nothing Pinterest can match a person on; nothing was sent. The
    /// source names the field (never the value).
    #[cfg(feature = "conversion_events")]
    #[error("the user data of a conversion event was refused before sending")]
    UserData(#[source] crate::conversions::UserDataError),
    /// The request was refused before anything was sent.
    #[error("invalid request for `{operation}`: {reason}")]
    InvalidRequest {
        /// Operation id from the spec.
        operation: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The response body was larger than the call allows (see
    /// [`ConfigBuilder::max_response_bytes`](crate::config::ConfigBuilder::max_response_bytes)).
    /// Reading stopped at the limit.
    #[error("`{operation}`: the response body is larger than {limit} bytes")]
    ResponseTooLarge {
        /// Operation id from the spec.
        operation: &'static str,
        /// The limit that was reached, in bytes.
        limit: u64,
    },
    /// The operation is not served by Pinterest's sandbox (`x-sandbox:
    /// disabled`) and the client points at the sandbox; nothing was sent.
    #[error("`{operation}` is not available in Pinterest's sandbox; nothing was sent")]
    NotInSandbox {
        /// Operation id from the spec.
        operation: &'static str,
    },
    /// The token's granted scopes lack what the operation requires; nothing
    /// was sent. Turn the check off with
    /// [`ConfigBuilder::check_scopes`](crate::config::ConfigBuilder::check_scopes)
    /// or per call.
    #[error("`{operation}` needs the scope {}; the token was granted {}", join_scopes(missing), join_scopes(granted))]
    MissingScopes {
        /// Operation id from the spec.
        operation: &'static str,
        /// Scopes of the nearest sufficient set that the token lacks.
        missing: Vec<crate::oauth::Scope>,
        /// Scopes the token was granted.
        granted: Vec<crate::oauth::Scope>,
    },
    /// A paginated walk was stopped because the server would have kept it
    /// going forever (a repeated bookmark, a run of empty pages) or it
    /// reached its page limit; see
    /// [`PaginationLimits`](crate::paginate::PaginationLimits). The pages
    /// before were handed out.
    #[error("`{operation}`: pagination stopped after {pages} pages: {problem}")]
    Pagination {
        /// Operation id from the spec.
        operation: &'static str,
        /// Pages received.
        pages: u64,
        /// What stopped it.
        problem: crate::paginate::PaginationProblem,
    },
    /// The client or one of its parts is configured wrongly.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The blocking client's runtime could not start, or is gone.
    #[error("the blocking client's runtime {what}")]
    Runtime {
        /// What happened to it.
        what: &'static str,
        /// The underlying failure, if any.
        #[source]
        source: Option<std::io::Error>,
    },
    /// An OAuth step failed locally (state mismatch, denied consent, ...).
    #[error(transparent)]
    OAuth(#[from] crate::oauth::OAuthError),
    /// Pinterest rejected the grant (`invalid_grant` or equivalent): the user
    /// has to log in again. Never retried.
    #[error("authorization required again: Pinterest rejected the grant")]
    ReauthorizationRequired(#[source] Box<ApiError>),
    /// No access token is available: none was configured, or the token source
    /// was emptied by a logout.
    #[error("no access token: log in first")]
    NotAuthenticated,
    /// The access token expired and there is no refresh token to renew it.
    #[error("the access token expired and cannot be renewed (no refresh token): log in again")]
    TokenExpired,
    /// Reading or writing persisted tokens failed.
    #[error("token store: could not {action}")]
    TokenStore {
        /// What the store tried to do.
        action: &'static str,
        /// The underlying failure.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The client's rate limiter holds the call: the budget of `category`
    /// is spent until its window resets, and the caller asked not to wait
    /// (or the wait would outlast the call's time budget). Nothing was sent.
    #[error("`{operation}` not sent: the {category} rate budget is spent for {} ms more", reset_in.as_millis())]
    BudgetExhausted {
        /// The operation.
        operation: &'static str,
        /// Its `x-ratelimit-category`.
        category: &'static str,
        /// How long until the window resets, as far as the limiter knows.
        reset_in: Duration,
    },
    /// The shared rate limiter (Redis) could not be used; nothing was sent.
    #[error("rate limiter: could not {action}")]
    RateLimiter {
        /// What the limiter tried to do.
        action: &'static str,
        /// The underlying failure.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The file of an upload could not be opened.
    #[error("cannot open {path}")]
    MediaSource {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Pinterest could not process an uploaded media file.
    #[error("Pinterest could not process media {media_id}")]
    MediaFailed {
        /// The media id.
        media_id: String,
    },
    /// Pinterest had not finished processing an upload when the upload's
    /// processing timeout ran out. The media may still succeed later: poll
    /// it with `client.media().get(media_id)`.
    #[error("media {media_id} was still processing after {waited:?}")]
    MediaProcessingTimeout {
        /// The media id.
        media_id: String,
        /// How long the upload waited for processing.
        waited: Duration,
    },
    /// An async report ended without a file: Pinterest answered `FAILED`,
    /// `CANCELLED`, `EXPIRED` or `DOES_NOT_EXIST` (see the `reports` module, feature `ad_accounts`).
    #[error("report {token} of ad account {ad_account_id} ended with status {status}")]
    ReportFailed {
        /// The ad account.
        ad_account_id: String,
        /// The report's token (a handle, not a credential).
        token: String,
        /// Pinterest's `report_status`, as sent.
        status: String,
    },
    /// A report was still being built when the wait's timeout ran out. It
    /// may still finish: wait for it again with its token
    /// (`client.ad_accounts().resume_report(ad_account_id, token)`).
    #[error("report {token} of ad account {ad_account_id} was still {status} after {waited:?}")]
    ReportTimeout {
        /// The ad account.
        ad_account_id: String,
        /// The report's token.
        token: String,
        /// The last `report_status` read.
        status: String,
        /// How long the wait lasted.
        waited: Duration,
    },
    /// Storage answered a download (a report file) with a status outside
    /// 2xx: an expired or tampered link, a missing file.
    #[error(transparent)]
    Download(Box<DownloadError>),
    /// A report file could not be read (it is not the gzip, JSON or CSV it
    /// should be, or a row does not fit the type asked for), or could not be
    /// written where it was to go.
    #[error("report file: {reason}")]
    ReportFile {
        /// What is wrong.
        reason: String,
        /// The underlying failure, if any.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// A blocking call was made from inside an async runtime, where it would
    /// stall the executor; use the async client there.
    #[error("the blocking client cannot be used inside an async runtime; use pinterest_sdk::Client")]
    BlockingInAsyncContext,
}

impl Error {
    /// The API error, when Pinterest answered with a non-2xx status.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) | Error::ReauthorizationRequired(e) => Some(e),
            _ => None,
        }
    }

    /// HTTP status of the response that caused this error, if there was one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(e) | Error::ReauthorizationRequired(e) => Some(e.status),
            Error::Decode(e) => Some(e.status),
            _ => None,
        }
    }

    /// `x-pinterest-rid` of the response that caused this error, if any.
    pub fn request_id(&self) -> Option<&str> {
        self.api().and_then(|e| e.request_id.as_deref())
    }

    /// True when the caller has to run the authorization flow again.
    pub fn needs_reauthorization(&self) -> bool {
        matches!(self, Error::ReauthorizationRequired(_) | Error::NotAuthenticated | Error::TokenExpired)
            || self.status() == Some(StatusCode::UNAUTHORIZED)
    }

    /// HTTP 404: the resource does not exist (or the token may not see it).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
    }

    /// HTTP 401: the token was refused.
    pub fn is_unauthorized(&self) -> bool {
        self.status() == Some(StatusCode::UNAUTHORIZED)
    }

    /// HTTP 403: the token may not do this (a missing scope, a business
    /// permission), or the scopes check refused it before sending.
    pub fn is_forbidden(&self) -> bool {
        self.status() == Some(StatusCode::FORBIDDEN) || matches!(self, Error::MissingScopes { .. })
    }

    /// HTTP 429: a rate limit (see [`Error::rate_limit`] and
    /// [`Error::retry_after`]), including Pinterest's spam blocks.
    pub fn is_rate_limited(&self) -> bool {
        self.status() == Some(StatusCode::TOO_MANY_REQUESTS) || matches!(self, Error::BudgetExhausted { .. })
    }

    /// HTTP 409: the request conflicts with the resource's state.
    pub fn is_conflict(&self) -> bool {
        self.status() == Some(StatusCode::CONFLICT)
    }

    /// HTTP 400: Pinterest found the request invalid.
    pub fn is_bad_request(&self) -> bool {
        self.status() == Some(StatusCode::BAD_REQUEST)
    }

    /// HTTP 5xx: Pinterest failed.
    pub fn is_server_error(&self) -> bool {
        self.status().is_some_and(|s| s.is_server_error())
    }

    /// The call ran out of time: its total budget or an attempt's timeout.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
            || matches!(self, Error::Transport(t) if t.kind == TransportErrorKind::Timeout)
    }

    /// No response arrived: a connection, I/O or timeout failure.
    pub fn is_transport(&self) -> bool {
        matches!(self, Error::Transport(_))
    }

    /// Refused before anything was sent: an invalid argument, a missing
    /// required value, the sandbox or scope checks.
    pub fn is_refused_locally(&self) -> bool {
        #[cfg(feature = "conversion_events")]
        if matches!(self, Error::UserData(_)) {
            return true;
        }
        matches!(
            self,
            Error::InvalidRequest { .. }
                | Error::Build(_)
                | Error::NotInSandbox { .. }
                | Error::MissingScopes { .. }
                | Error::BudgetExhausted { .. }
        )
    }

    /// Pinterest's numeric error `code`, when the body had one.
    pub fn code(&self) -> Option<i64> {
        self.api().and_then(|e| e.code)
    }

    /// Pinterest's error `message`, when the body had one.
    pub fn message(&self) -> Option<&str> {
        self.api().and_then(|e| e.message.as_deref())
    }

    /// The rate-limit headers of the response that caused this error.
    pub fn rate_limit(&self) -> Option<&RateLimit> {
        self.api().and_then(|e| e.rate_limit.as_ref())
    }

    /// `Retry-After` of the response that caused this error, or how long
    /// the rate limiter's budget stays spent.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::BudgetExhausted { reset_in, .. } => Some(*reset_in),
            _ => self.api().and_then(|e| e.retry_after),
        }
    }

    pub(crate) fn invalid(operation: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidRequest { operation, reason: reason.into() }
    }
}

/// A required value that was not set: from a model's `build()`, or from an
/// operation whose required setter was not called.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{type_name}` needs `{field}`, which is required and was not set")]
#[non_exhaustive]
pub struct BuildError {
    /// The model or operation type.
    pub type_name: &'static str,
    /// The field or parameter, as the spec spells it.
    pub field: &'static str,
}

impl BuildError {
    /// `field` of `type_name` is missing.
    pub fn missing(type_name: &'static str, field: &'static str) -> Self {
        BuildError { type_name, field }
    }
}

/// Pinterest's error answer: HTTP status, its `{code, message}` body, the
/// request id and rate-limit headers.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiError {
    /// Operation id from the spec (`"pins/get"`), or `"raw"` for untyped calls.
    pub operation: &'static str,
    /// HTTP status.
    pub status: StatusCode,
    /// Pinterest's numeric error `code`, when the body had one.
    pub code: Option<i64>,
    /// Pinterest's error `message` (or OAuth `error_description`/`error`),
    /// in full and as sent. `Display` shows at most
    /// [`ApiError::DISPLAYED_MESSAGE_CHARS`] characters of it, with control
    /// characters escaped; print it yourself only through
    /// [`escape_controls`] when it goes to a terminal.
    pub message: Option<String>,
    /// OAuth error identifier (`invalid_grant`, ...) for token endpoints.
    pub oauth_error: Option<String>,
    /// The `x-pinterest-rid` response header, for Pinterest support.
    pub request_id: Option<String>,
    /// Rate-limit headers, when present.
    pub rate_limit: Option<RateLimit>,
    /// Parsed `Retry-After`, when present.
    pub retry_after: Option<Duration>,
    /// The body as text when it was not Pinterest's JSON error shape
    /// (an HTML error page, a proxy message), truncated to 4 KiB.
    pub body: Option<String>,
}

const MAX_KEPT_BODY: usize = 4096;

impl ApiError {
    /// How many characters of [`message`](Self::message) `Display` shows.
    pub const DISPLAYED_MESSAGE_CHARS: usize = 400;

    /// Builds the error from a non-2xx response.
    pub fn from_response(operation: &'static str, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Self {
        Self::parse(operation, status, headers, body, false)
    }

    /// Builds the error from a non-2xx response of a token endpoint, whose
    /// body may echo the form that was sent (a code, a refresh token). Only
    /// the OAuth `error` and `error_description` (or Pinterest's `code` and
    /// `message`) are kept, with anything shaped like a token in them
    /// replaced by `[redacted]`; the body itself is dropped.
    pub fn from_sensitive_response(
        operation: &'static str,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Self {
        Self::parse(operation, status, headers, body, true)
    }

    fn parse(operation: &'static str, status: StatusCode, headers: &HeaderMap, body: &[u8], sensitive: bool) -> Self {
        #[derive(serde::Deserialize)]
        struct Shape {
            code: Option<serde_json::Value>,
            message: Option<String>,
            error: Option<String>,
            error_description: Option<String>,
        }
        let parsed: Option<Shape> = serde_json::from_slice(body).ok();
        let (code, message, oauth_error, keep_body) = match parsed {
            Some(s) if s.code.is_some() || s.message.is_some() || s.error.is_some() => {
                let code = s.code.as_ref().and_then(|c| c.as_i64().or_else(|| c.as_str()?.parse().ok()));
                let message = s.message.or(s.error_description).or_else(|| s.error.clone());
                (code, message, s.error, false)
            }
            _ => (None, None, None, !body.is_empty()),
        };
        let body = (keep_body && !sensitive).then(|| {
            let end = floor_char_boundary(body, MAX_KEPT_BODY);
            String::from_utf8_lossy(&body[..end]).into_owned()
        });
        let (message, oauth_error) = if sensitive {
            (message.map(|m| redact_token_like(&m)), oauth_error.map(|e| redact_token_like(&e)))
        } else {
            (message, oauth_error)
        };
        ApiError {
            operation,
            status,
            code,
            message,
            oauth_error,
            request_id: header_str(headers, "x-pinterest-rid").map(str::to_owned),
            rate_limit: RateLimit::from_headers(headers),
            retry_after: crate::retry::parse_retry_after(headers, std::time::SystemTime::now()),
            body,
        }
    }

    /// A 429 that Pinterest marks as spam prevention. Never retried.
    pub fn is_spam(&self) -> bool {
        self.status == StatusCode::TOO_MANY_REQUESTS
            && self.message.as_deref().is_some_and(|m| m.to_ascii_lowercase().contains("spam"))
    }

    /// The OAuth `invalid_grant` answer, or Pinterest's equivalents for a
    /// dead refresh token or authorization code.
    pub fn is_invalid_grant(&self) -> bool {
        if self.oauth_error.as_deref() == Some("invalid_grant") {
            return true;
        }
        // Pinterest answers some dead grants with a JSON `{code, message}`
        // instead of the RFC 6749 shape.
        let msg = self.message.as_deref().unwrap_or_default().to_ascii_lowercase();
        matches!(self.status, StatusCode::BAD_REQUEST | StatusCode::UNAUTHORIZED)
            && (msg.contains("invalid_grant")
                || msg.contains("refresh token")
                    && (msg.contains("invalid") || msg.contains("expired") || msg.contains("revoked"))
                || msg.contains("authorization code")
                    && (msg.contains("invalid") || msg.contains("expired") || msg.contains("used")))
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` failed with HTTP {}", self.operation, self.status)?;
        if let Some(code) = self.code {
            write!(f, ", Pinterest code {code}")?;
        }
        if let Some(m) = &self.message {
            write!(f, ": {}", shorten(m, Self::DISPLAYED_MESSAGE_CHARS))?;
        }
        if let Some(rid) = &self.request_id {
            write!(f, " (request id {})", shorten(rid, 100))?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// A success response whose body does not match the expected type.
#[derive(Debug)]
#[non_exhaustive]
pub struct DecodeError {
    /// Operation id from the spec.
    pub operation: &'static str,
    /// HTTP status of the response.
    pub status: StatusCode,
    /// JSON path of the value that failed (`items[3].media.media_type`), `.`
    /// for the document itself.
    pub path: String,
    /// The start of the response body (at most
    /// [`DecodeError::MAX_KEPT_BODY`] bytes), kept for diagnosis. Empty for
    /// token endpoints, whose bodies carry secrets.
    pub body: Bytes,
    /// The length of the whole response body, in bytes.
    pub body_len: usize,
    source: serde_json::Error,
}

impl DecodeError {
    pub(crate) fn new(
        operation: &'static str,
        status: StatusCode,
        path: String,
        body: Bytes,
        source: serde_json::Error,
    ) -> Self {
        let body_len = body.len();
        // A copy, not a slice: a slice would keep the whole body alive.
        let body =
            if body_len > Self::MAX_KEPT_BODY { Bytes::copy_from_slice(&body[..Self::MAX_KEPT_BODY]) } else { body };
        DecodeError { operation, status, path, body, body_len, source }
    }
}

impl DecodeError {
    /// How much of the body a `DecodeError` keeps.
    pub const MAX_KEPT_BODY: usize = 16 * 1024;
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "could not decode the HTTP {} response of `{}` at `{}`",
            self.status,
            self.operation,
            shorten(&self.path, 200)
        )
    }
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// A storage service's error answer to a download: its status and, when the
/// body is S3's XML error (`<Error><Code>AccessDenied</Code><Message>Request
/// has expired</Message></Error>`), its code and message. Only the URL's
/// scheme, host and path are kept: its query is the link's signature.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DownloadError {
    /// What was downloaded (`"analytics/report_download"`).
    pub operation: &'static str,
    /// HTTP status.
    pub status: StatusCode,
    /// The storage error code (`AccessDenied`, `NoSuchKey`, ...), when sent.
    pub code: Option<String>,
    /// The storage error message, when sent (at most 400 characters).
    pub message: Option<String>,
    /// Scheme, host and path of the URL, without its query.
    pub location: String,
}

impl DownloadError {
    /// Builds the error from a non-2xx download: the status, and the code
    /// and message of an S3-style XML body.
    pub fn from_response(operation: &'static str, status: StatusCode, location: String, body: &[u8]) -> Self {
        let text = String::from_utf8_lossy(&body[..floor_char_boundary(body, 64 * 1024)]);
        let element = |name: &str| {
            let open = format!("<{name}>");
            let start = text.find(&open)? + open.len();
            let end = start + text[start..].find(&format!("</{name}>"))?;
            let value = text[start..end].trim();
            let cut = value.char_indices().nth(ApiError::DISPLAYED_MESSAGE_CHARS).map_or(value.len(), |(i, _)| i);
            (!value.is_empty()).then(|| value[..cut].to_owned())
        };
        DownloadError { operation, status, code: element("Code"), message: element("Message"), location }
    }

    /// The link expired: S3's 403 `AccessDenied` "Request has expired", or
    /// its 400 `ExpiredToken` when the temporary credentials that signed the
    /// link ran out. A fresh status read hands out a new one.
    pub fn is_expired(&self) -> bool {
        let expired = |s: &Option<String>| s.as_deref().is_some_and(|s| s.to_ascii_lowercase().contains("expired"));
        match self.status {
            StatusCode::FORBIDDEN => expired(&self.message) || expired(&self.code),
            StatusCode::BAD_REQUEST => self.code.as_deref() == Some("ExpiredToken"),
            _ => false,
        }
    }
}

impl fmt::Display for DownloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` of {} failed with HTTP {}", self.operation, shorten(&self.location, 200), self.status)?;
        match (&self.code, &self.message) {
            (Some(c), Some(m)) => {
                write!(f, ": {} ({})", shorten(m, ApiError::DISPLAYED_MESSAGE_CHARS), shorten(c, 100))
            }
            (Some(c), None) => write!(f, ": {}", shorten(c, 100)),
            (None, Some(m)) => write!(f, ": {}", shorten(m, ApiError::DISPLAYED_MESSAGE_CHARS)),
            (None, None) => Ok(()),
        }
    }
}

impl std::error::Error for DownloadError {}

impl From<DownloadError> for Error {
    fn from(e: DownloadError) -> Self {
        Error::Download(Box::new(e))
    }
}

/// What kind of transport failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// No connection could be made (DNS, TCP, TLS). Nothing was sent.
    Connect,
    /// One attempt took longer than its per-attempt timeout.
    Timeout,
    /// The connection broke while sending or receiving.
    Io,
    /// The request could not be built by the transport.
    Request,
}

/// The request could not be sent, or the response could not be read.
#[derive(Debug)]
#[non_exhaustive]
pub struct TransportError {
    /// Operation id from the spec (filled in by the client).
    pub operation: &'static str,
    /// Failure class, used by the retry policy.
    pub kind: TransportErrorKind,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl TransportError {
    /// A transport failure of `kind` caused by `source`.
    pub fn new(kind: TransportErrorKind, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        TransportError { operation: "", kind, source: Some(source.into()) }
    }

    /// A transport failure without a further cause.
    pub fn from_kind(kind: TransportErrorKind) -> Self {
        TransportError { operation: "", kind, source: None }
    }

    pub(crate) fn with_operation(mut self, operation: &'static str) -> Self {
        self.operation = operation;
        self
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            TransportErrorKind::Connect => "could not connect",
            TransportErrorKind::Timeout => "the attempt timed out",
            TransportErrorKind::Io => "the connection failed mid-request",
            TransportErrorKind::Request => "the request could not be built",
        };
        if self.operation.is_empty() { f.write_str(what) } else { write!(f, "`{}`: {what}", self.operation) }
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<TransportError> for Error {
    fn from(e: TransportError) -> Self {
        Error::Transport(Box::new(e))
    }
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Error::Api(Box::new(e))
    }
}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Error::Decode(Box::new(e))
    }
}

/// Rate-limit headers of a response.
///
/// Pinterest sends `x-ratelimit-limit`, `x-ratelimit-remaining` and
/// `x-ratelimit-reset` (older endpoints use the `x-userendpoint-ratelimit-*`
/// spelling). The limit may carry a window suffix (`"100, 100;w=1"`); the
/// first number is kept and the raw text is available too.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RateLimit {
    /// Calls allowed in the current window.
    pub limit: Option<u64>,
    /// Calls left in the current window.
    pub remaining: Option<u64>,
    /// Seconds until the window resets.
    pub reset: Option<u64>,
    /// The `limit` header as sent.
    pub limit_raw: Option<String>,
}

impl RateLimit {
    /// Reads the rate-limit headers; `None` when there are none.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let get = |suffix: &str| {
            header_str(headers, &format!("x-ratelimit-{suffix}"))
                .or_else(|| header_str(headers, &format!("x-userendpoint-ratelimit-{suffix}")))
        };
        let first_number = |s: &str| s.split([',', ';']).next().and_then(|n| n.trim().parse::<u64>().ok());
        let limit_raw = get("limit");
        let remaining = get("remaining");
        let reset = get("reset");
        if limit_raw.is_none() && remaining.is_none() && reset.is_none() {
            return None;
        }
        Some(RateLimit {
            limit: limit_raw.and_then(first_number),
            remaining: remaining.and_then(first_number),
            reset: reset.and_then(first_number),
            limit_raw: limit_raw.map(str::to_owned),
        })
    }
}

fn join_scopes(scopes: &[crate::oauth::Scope]) -> String {
    if scopes.is_empty() {
        return "nothing".into();
    }
    scopes.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(" + ")
}

pub(crate) fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|s| !s.is_empty())
}

/// `text` made safe for a terminal: control characters (C0, DEL, C1) and
/// the bidirectional overrides are written as Rust escapes (`\r`,
/// `\u{1b}`, `\u{202e}`), so server text cannot move the cursor, retitle or
/// clear the terminal, or reorder what is shown. Everything else is kept.
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_dangerous) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_dangerous(c) {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

fn is_dangerous(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// At most `max` characters of `text`, control characters escaped, and a
/// note of how much was left out.
struct Shortened<'a> {
    text: &'a str,
    max: usize,
}

fn shorten(text: &str, max: usize) -> Shortened<'_> {
    Shortened { text, max }
}

impl fmt::Display for Shortened<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cut = self.text.char_indices().nth(self.max).map_or(self.text.len(), |(i, _)| i);
        f.write_str(&escape_controls(&self.text[..cut]))?;
        if cut < self.text.len() {
            write!(f, "… ({} more bytes)", self.text.len() - cut)?;
        }
        Ok(())
    }
}

/// Replaces every run of 20 or more token characters (letters, digits and
/// `-._~+/=`) with `[redacted]`: the words of an error message are shorter,
/// and the codes and tokens a token endpoint may echo are longer.
fn redact_token_like(text: &str) -> String {
    const MIN_RUN: usize = 20;
    let is_token_char = |c: char| c.is_ascii_alphanumeric() || "-._~+/=".contains(c);
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.chars().count() >= MIN_RUN {
            out.push_str("[redacted]");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if is_token_char(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

fn floor_char_boundary(bytes: &[u8], max: usize) -> usize {
    if bytes.len() <= max {
        return bytes.len();
    }
    // Step back over UTF-8 continuation bytes so the cut is on a boundary.
    let mut end = max;
    while end > 0 && (bytes[end] & 0b1100_0000) == 0b1000_0000 {
        end -= 1;
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn pinterest_json_error() {
        let h = headers(&[
            ("x-pinterest-rid", "rid-1"),
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-limit", "100, 100;w=1"),
        ]);
        let e =
            ApiError::from_response("pins/get", StatusCode::NOT_FOUND, &h, br#"{"code":3,"message":"Pin not found."}"#);
        assert_eq!(e.code, Some(3));
        assert_eq!(e.message.as_deref(), Some("Pin not found."));
        assert_eq!(e.request_id.as_deref(), Some("rid-1"));
        assert_eq!(e.body, None);
        let rl = e.rate_limit.clone().unwrap();
        assert_eq!((rl.limit, rl.remaining, rl.reset), (Some(100), Some(0), None));
        assert_eq!(
            e.to_string(),
            "`pins/get` failed with HTTP 404 Not Found, Pinterest code 3: Pin not found. (request id rid-1)"
        );
    }

    #[test]
    fn html_error_page_is_kept_as_text() {
        let e = ApiError::from_response(
            "pins/get",
            StatusCode::BAD_GATEWAY,
            &HeaderMap::new(),
            b"<html>Bad gateway</html>",
        );
        assert_eq!(e.code, None);
        assert_eq!(e.body.as_deref(), Some("<html>Bad gateway</html>"));
        assert_eq!(e.rate_limit, None);
    }

    #[test]
    fn empty_and_truncated_bodies() {
        let e = ApiError::from_response("x", StatusCode::SERVICE_UNAVAILABLE, &HeaderMap::new(), b"");
        assert_eq!((e.code, e.message.as_deref(), e.body.as_deref()), (None, None, None));
        let e =
            ApiError::from_response("x", StatusCode::INTERNAL_SERVER_ERROR, &HeaderMap::new(), br#"{"code":1,"mess"#);
        assert_eq!(e.body.as_deref(), Some(r#"{"code":1,"mess"#));
        let long = "é".repeat(5000);
        let e = ApiError::from_response("x", StatusCode::INTERNAL_SERVER_ERROR, &HeaderMap::new(), long.as_bytes());
        assert!(e.body.unwrap().len() <= MAX_KEPT_BODY);
    }

    #[test]
    fn oauth_shapes() {
        let e = ApiError::from_response(
            "oauth/token",
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            br#"{"error":"invalid_grant","error_description":"Refresh token expired"}"#,
        );
        assert!(e.is_invalid_grant());
        assert_eq!(e.message.as_deref(), Some("Refresh token expired"));
        let e = ApiError::from_response(
            "oauth/token",
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            br#"{"code":1,"message":"Invalid refresh token."}"#,
        );
        assert!(e.is_invalid_grant());
        let e = ApiError::from_response(
            "oauth/token",
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            br#"{"code":1,"message":"Missing scope."}"#,
        );
        assert!(!e.is_invalid_grant());
    }

    #[test]
    fn controls_and_bidi_overrides_are_escaped() {
        let hostile = "a\u{1b}]0;t\u{7}\r\n\u{9b}\u{7f}\u{202e}\u{2066}\u{200f}é✓";
        let safe = escape_controls(hostile);
        assert!(!safe.chars().any(is_dangerous), "{safe}");
        assert_eq!(safe, "a\\u{1b}]0;t\\u{7}\\r\\n\\u{9b}\\u{7f}\\u{202e}\\u{2066}\\u{200f}é✓");
        assert!(matches!(escape_controls("plain ünïcode ✓"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn storage_xml_errors() {
        let body = b"<?xml version=\"1.0\"?>\n<Error><Code>AccessDenied</Code><Message>Request has expired</Message>\
                     <SignatureProvided>abc</SignatureProvided></Error>";
        let loc = "https://storage.example/reports/1".to_owned();
        let e = DownloadError::from_response("analytics/report_download", StatusCode::FORBIDDEN, loc.clone(), body);
        assert_eq!((e.code.as_deref(), e.message.as_deref()), (Some("AccessDenied"), Some("Request has expired")));
        assert!(e.is_expired());
        assert_eq!(
            e.to_string(),
            "`analytics/report_download` of https://storage.example/reports/1 failed with HTTP 403 Forbidden: \
             Request has expired (AccessDenied)"
        );
        let e = DownloadError::from_response("x", StatusCode::NOT_FOUND, loc.clone(), b"<html>nope</html>");
        assert_eq!((e.code, e.message), (None, None));
        let e = DownloadError::from_response(
            "x",
            StatusCode::FORBIDDEN,
            loc.clone(),
            b"<Code>SignatureDoesNotMatch</Code>",
        );
        assert!(!e.is_expired());
        // Temporary credentials that ran out: S3 answers 400 ExpiredToken.
        let body = b"<Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message></Error>";
        assert!(DownloadError::from_response("x", StatusCode::BAD_REQUEST, loc.clone(), body).is_expired());
        let body = b"<Error><Code>InvalidArgument</Code><Message>expired soon</Message></Error>";
        assert!(!DownloadError::from_response("x", StatusCode::BAD_REQUEST, loc, body).is_expired());
    }

    #[test]
    fn spam_429() {
        let e = ApiError::from_response(
            "pins/create",
            StatusCode::TOO_MANY_REQUESTS,
            &HeaderMap::new(),
            br#"{"code":8,"message":"Your request was blocked to prevent spam."}"#,
        );
        assert!(e.is_spam());
    }
}
