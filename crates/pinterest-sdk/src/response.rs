//! A decoded value together with what the response said about itself.

use http::{HeaderMap, StatusCode};

use crate::error::{RateLimit, header_str};

/// What a successful response carried besides its body: the status,
/// Pinterest's request id (quote it to Pinterest's support), the
/// rate-limit headers and the operation's rate-limit category.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ResponseMeta {
    /// Operation id from the spec (`"pins/get"`), or `"raw"`.
    pub operation: &'static str,
    /// HTTP status.
    pub status: StatusCode,
    /// `x-pinterest-rid`.
    pub request_id: Option<String>,
    /// The rate-limit headers, when present.
    pub rate_limit: Option<RateLimit>,
    /// The operation's `x-ratelimit-category` from the spec (empty when
    /// unknown): which of Pinterest's budgets the call was counted against.
    pub rate_limit_category: &'static str,
    /// All response headers.
    pub headers: HeaderMap,
}

impl ResponseMeta {
    pub(crate) fn new(
        operation: &'static str,
        rate_limit_category: &'static str,
        status: StatusCode,
        headers: HeaderMap,
    ) -> Self {
        ResponseMeta {
            operation,
            status,
            request_id: header_str(&headers, "x-pinterest-rid").map(str::to_owned),
            rate_limit: RateLimit::from_headers(&headers),
            rate_limit_category,
            headers,
        }
    }
}

/// A decoded value and its [`ResponseMeta`], from `send_with_meta()`.
///
/// ```no_run
/// # async fn demo(client: pinterest_sdk::Client) -> pinterest_sdk::Result<()> {
/// let response = client.pins().list().page_size(25).send_with_meta().await?;
/// if let Some(limit) = &response.meta.rate_limit {
///     println!("{:?} calls left in `{}`", limit.remaining, response.meta.rate_limit_category);
/// }
/// let page = response.value;
/// # let _ = page; Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Response<T> {
    /// The decoded body.
    pub value: T,
    /// Status, request id, rate limits.
    pub meta: ResponseMeta,
}

impl<T> Response<T> {
    /// The value and the metadata.
    pub fn into_parts(self) -> (T, ResponseMeta) {
        (self.value, self.meta)
    }

    /// The decoded body.
    pub fn into_value(self) -> T {
        self.value
    }
}
