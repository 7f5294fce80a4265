//! Async ads reports: request one, wait while Pinterest builds it, download
//! the file and read its rows. Needs the `ad_accounts` cargo feature (or
//! `full`).
//!
//! Pinterest builds a report (`POST /ad_accounts/{id}/reports`) in the
//! background and hands out a token; its status (`GET …/reports?token=…`)
//! says `IN_PROGRESS` until it is `FINISHED` with a presigned storage URL.
//! [`ReportJob`] does the whole dance: it polls with exponential backoff and
//! jitter, gives up after a timeout, downloads the file without the
//! Pinterest token (the URL is signed; credentials never go to the storage
//! host), gunzips it (by `Content-Encoding` or by gzip's magic bytes), caps
//! its decompressed size, and fetches a fresh URL once when the first one
//! has expired.
//!
//! ```no_run
//! # async fn demo(client: pinterest_sdk::Client) -> pinterest_sdk::Result<()> {
//! use std::time::Duration;
//! use pinterest_sdk::models::{AdsAnalyticsCreateAsyncRequest, DataOutputFormat, Granularity, MetricsReportingLevel};
//! let request = AdsAnalyticsCreateAsyncRequest::builder()
//!     .level(MetricsReportingLevel::Campaign)
//!     .start_date("2025-04-01")
//!     .end_date("2025-04-07")
//!     .granularity(Granularity::Day)
//!     .columns(["IMPRESSION_1", "SPEND_IN_DOLLAR"])
//!     .report_format(DataOutputFormat::Csv)
//!     .build()?;
//! let report = client
//!     .ad_accounts()
//!     .report("549755885175", request)
//!     .poll_interval(Duration::from_secs(2))
//!     .timeout(Duration::from_secs(15 * 60))
//!     .on_event(|e| eprintln!("{e:?}"))
//!     .send()
//!     .await?;
//! for row in report.rows()? {
//!     println!("{} {:?} {:?}", row.entity_id, row.date, row.get_f64("SPEND_IN_DOLLAR"));
//! }
//! # Ok(()) }
//! ```
//!
//! The blocking client has the same shape. [`ReportJob::download_to`]
//! streams the file into a writer instead of memory; [`ReportJob::wait`]
//! stops at the finished report, for a download later with
//! `client.ad_accounts().download_report(finished)`.
//!
//! Rows: [`Report::rows`] gives [`ReportRow`]s (entity id, date, hour,
//! targeting and the other columns as [`ReportValue`]s) from JSON and CSV
//! alike; [`Report::deserialize`] reads each row into a type of yours, keyed
//! by column name (a JSON id is a string there too, so give it a `String`
//! field). Ids are text in both: Pinterest writes them as JSON
//! numbers, which may exceed 2^53, so they are taken from the file's text,
//! never through `f64`.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use http::HeaderValue;
use http::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use tokio::io::{AsyncWrite, AsyncWriteExt as _};
use tokio::time::Instant;

use crate::chrono::NaiveDate;
use crate::client::{CallMeta, Client, Payload};
use crate::error::{DownloadError, Error, Result, TransportError};
use crate::models::{self, BulkReportingJobStatus, DataOutputFormat, MetricsReportingLevel};
use crate::operation::{AuthScheme, CallOptions};
use crate::retry::RetryPolicy;
use crate::transport::{Body, ResponseBody};

const CREATE: &str = "analytics/create_report";
const STATUS: &str = "analytics/get_report";
/// The operation name of the storage download, in errors and traces.
pub const DOWNLOAD: &str = "analytics/report_download";
/// The default cap on a report's decompressed size: 1 GiB.
pub const DEFAULT_MAX_BYTES: u64 = 1 << 30;

/// A report file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReportFormat {
    /// `{"<entity id>": [row, …]}`.
    Json,
    /// A header line of column names, then a line per row.
    Csv,
}

impl ReportFormat {
    /// `JSON` or `CSV`, as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportFormat::Json => "JSON",
            ReportFormat::Csv => "CSV",
        }
    }

    /// `json` or `csv`.
    pub fn extension(self) -> &'static str {
        match self {
            ReportFormat::Json => "json",
            ReportFormat::Csv => "csv",
        }
    }

    fn from_model(format: &DataOutputFormat) -> Option<Self> {
        match format {
            DataOutputFormat::Json => Some(ReportFormat::Json),
            DataOutputFormat::Csv => Some(ReportFormat::Csv),
            _ => None,
        }
    }
}

impl From<ReportFormat> for DataOutputFormat {
    fn from(f: ReportFormat) -> Self {
        match f {
            ReportFormat::Json => DataOutputFormat::Json,
            ReportFormat::Csv => DataOutputFormat::Csv,
        }
    }
}

impl std::fmt::Display for ReportFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened so far, for progress displays.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ReportEvent {
    /// Pinterest accepted the request.
    Requested {
        /// The report's token (resume with it).
        token: String,
    },
    /// The report is not ready; the next status read is in `next_poll_in`.
    Waiting {
        /// The status read.
        status: BulkReportingJobStatus,
        /// Status reads so far.
        attempt: u32,
        /// Time since the wait began.
        elapsed: Duration,
        /// Time until the next read.
        next_poll_in: Duration,
    },
    /// The report is built; its download starts.
    Ready {
        /// The file's size in bytes, as Pinterest reports it.
        size: Option<u64>,
    },
    /// Bytes of the file received so far (after any `Content-Encoding`,
    /// so comparable with `size`).
    Downloading {
        /// Received.
        received: u64,
        /// The file's size, when Pinterest gave it.
        total: Option<u64>,
    },
    /// The file is downloaded.
    Downloaded {
        /// Its length, decompressed.
        bytes: u64,
    },
}

type EventHook = Arc<dyn Fn(&ReportEvent) + Send + Sync>;

fn emit(hook: Option<&EventHook>, event: ReportEvent) {
    if let Some(f) = hook {
        f(&event);
    }
}

/// A finished report: where its file is. The URL is a signed link: `Debug`
/// shows its host and path only, never the signature.
#[derive(Clone)]
pub struct FinishedReport {
    ad_account_id: Option<String>,
    token: Option<String>,
    url: url::Url,
    size: Option<u64>,
    format: Option<ReportFormat>,
    level: Option<MetricsReportingLevel>,
}

impl std::fmt::Debug for FinishedReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FinishedReport")
            .field("ad_account_id", &self.ad_account_id)
            .field("token", &self.token)
            .field("location", &self.location())
            .field("size", &self.size)
            .field("format", &self.format)
            .field("level", &self.level)
            .finish()
    }
}

impl FinishedReport {
    /// A report file's URL obtained elsewhere (`https`, or `http` on a
    /// loopback host). Without the ad account and token, an expired link
    /// cannot be renewed.
    pub fn from_url(url: &str) -> Result<FinishedReport> {
        Ok(FinishedReport { ad_account_id: None, token: None, url: link(url)?, size: None, format: None, level: None })
    }

    /// The file's format, when the content type and contents should not
    /// decide.
    pub fn with_format(mut self, format: ReportFormat) -> Self {
        self.format = Some(format);
        self
    }

    /// The report's level, which names the id column of its rows.
    pub fn with_level(mut self, level: MetricsReportingLevel) -> Self {
        self.level = Some(level);
        self
    }

    /// The ad account, when known.
    pub fn ad_account_id(&self) -> Option<&str> {
        self.ad_account_id.as_deref()
    }

    /// The report's token, when known.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The file's size in bytes, as Pinterest reported it.
    pub fn size(&self) -> Option<u64> {
        self.size
    }

    /// The format the report was requested in, when known.
    pub fn format(&self) -> Option<ReportFormat> {
        self.format
    }

    /// The report's level, when known.
    pub fn level(&self) -> Option<&MetricsReportingLevel> {
        self.level.as_ref()
    }

    /// Scheme, host and path of the URL: safe to print.
    pub fn location(&self) -> String {
        let mut u = self.url.clone();
        u.set_query(None);
        u.set_fragment(None);
        let _ = u.set_username("");
        let _ = u.set_password(None);
        u.to_string()
    }

    /// The whole signed URL, for another downloader. Whoever holds it can
    /// read the report until it expires: do not log it.
    pub fn expose_url(&self) -> &str {
        self.url.as_str()
    }
}

/// A storage link: `https`, or `http` on loopback; refused before sending.
fn link(url: &str) -> Result<url::Url> {
    crate::config::checked_link(url).map_err(|e| match e {
        Error::Config(reason) => Error::invalid(DOWNLOAD, reason),
        other => other,
    })
}

/// A downloaded report: its file, decompressed, in memory.
#[derive(Clone)]
pub struct Report {
    format: ReportFormat,
    bytes: Vec<u8>,
    size: Option<u64>,
    token: Option<String>,
    level: Option<MetricsReportingLevel>,
}

impl std::fmt::Debug for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Report")
            .field("format", &self.format)
            .field("len", &self.bytes.len())
            .field("size", &self.size)
            .field("token", &self.token)
            .field("level", &self.level)
            .finish()
    }
}

/// Where a report went with [`ReportJob::download_to`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SavedReport {
    /// Its format.
    pub format: ReportFormat,
    /// Bytes written, decompressed.
    pub bytes: u64,
    /// The file's size as Pinterest reported it.
    pub size: Option<u64>,
    /// The report's token, when known.
    pub token: Option<String>,
}

impl Report {
    /// A report file you already hold (read from disk, downloaded by other
    /// means): gunzipped when it starts with gzip's magic bytes (up to
    /// [`DEFAULT_MAX_BYTES`]), its format sniffed when `format` is `None`
    /// (JSON starts with `{` or `[`).
    pub fn from_bytes(bytes: impl Into<Vec<u8>>, format: Option<ReportFormat>) -> Result<Report> {
        let bytes = bytes.into();
        let bytes = if bytes.starts_with(&GZIP_MAGIC) { decode_all(&bytes, false, DEFAULT_MAX_BYTES)? } else { bytes };
        let format = format.unwrap_or_else(|| format_of(None, first_significant(&bytes)));
        Ok(Report { format, bytes, size: None, token: None, level: None })
    }

    /// The report's level, which names the id column of its rows (known
    /// already when the report was requested through [`ReportJob`]).
    pub fn with_level(mut self, level: MetricsReportingLevel) -> Self {
        self.level = Some(level);
        self
    }

    /// JSON or CSV.
    pub fn format(&self) -> ReportFormat {
        self.format
    }

    /// The report's level, when known.
    pub fn level(&self) -> Option<&MetricsReportingLevel> {
        self.level.as_ref()
    }

    /// The report's token, when known.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The file's size as Pinterest reported it (the stored file's, which
    /// may be compressed).
    pub fn size(&self) -> Option<u64> {
        self.size
    }

    /// The file, decompressed.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The file's length, decompressed.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// True for an empty file.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The file, decompressed.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The id column of the rows (`CAMPAIGN_ID`, ...), from the level.
    fn id_column(&self) -> Option<&'static str> {
        self.level.as_ref().and_then(id_column_of)
    }

    /// Every row, typed: entity id, date, hour, targeting, and the other
    /// columns as [`ReportValue`]s.
    pub fn rows(&self) -> Result<Vec<ReportRow>> {
        match self.format {
            ReportFormat::Json => json_rows(&self.bytes, self.id_column()),
            ReportFormat::Csv => csv_rows(&self.bytes, self.id_column()),
        }
    }

    /// Every row deserialized into `T`, a struct of yours keyed by column
    /// name (`#[serde(rename = "SPEND_IN_DOLLAR")]`), from JSON and CSV
    /// alike. Id columns (the level's and any `*_ID`) are strings; an empty
    /// CSV cell is a `None` for an `Option` field.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<Vec<T>> {
        match self.format {
            ReportFormat::Json => json_rows_as(&self.bytes, self.id_column()),
            ReportFormat::Csv => csv_rows_as(&self.bytes),
        }
    }
}

/// One row of a report.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ReportRow {
    /// The entity the row is about (a campaign id, ...), as text: the JSON
    /// file's key, or the id column's cell.
    pub entity_id: String,
    /// The id column (`CAMPAIGN_ID`, ...), when known.
    pub id_column: Option<String>,
    /// `DATE` (absent for granularity `TOTAL`).
    pub date: Option<NaiveDate>,
    /// `HOUR` (granularity `HOUR`).
    pub hour: Option<u8>,
    /// `TARGETING_TYPE` and `TARGETING_VALUE` (the `*_TARGETING` levels).
    pub targeting: Option<(String, String)>,
    /// Every other column, by name.
    pub values: BTreeMap<String, ReportValue>,
}

impl ReportRow {
    /// A column's value.
    pub fn get(&self, column: &str) -> Option<&ReportValue> {
        self.values.get(column)
    }

    /// A numeric column as `f64`.
    pub fn get_f64(&self, column: &str) -> Option<f64> {
        self.get(column).and_then(ReportValue::as_f64)
    }

    /// A whole, non-negative numeric column.
    pub fn get_u64(&self, column: &str) -> Option<u64> {
        self.get(column).and_then(ReportValue::as_u64)
    }

    /// A whole numeric column.
    pub fn get_i64(&self, column: &str) -> Option<i64> {
        self.get(column).and_then(ReportValue::as_i64)
    }

    /// A text column.
    pub fn get_str(&self, column: &str) -> Option<&str> {
        self.get(column).and_then(ReportValue::as_str)
    }
}

/// A cell of a report.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum ReportValue {
    /// No value (JSON `null`, an empty CSV cell).
    Null,
    /// `true` or `false` (JSON only).
    Bool(bool),
    /// A whole number, exact.
    Integer(i128),
    /// Any other number.
    Number(f64),
    /// Text, and every id.
    Text(String),
}

impl ReportValue {
    /// A number as `f64`.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            ReportValue::Integer(i) => Some(*i as f64),
            ReportValue::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// A whole number in `u64`'s range.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            ReportValue::Integer(i) => u64::try_from(*i).ok(),
            ReportValue::Number(n) if n.fract() == 0.0 && *n >= 0.0 && *n < u64::MAX as f64 => Some(*n as u64),
            _ => None,
        }
    }

    /// A whole number in `i64`'s range.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            ReportValue::Integer(i) => i64::try_from(*i).ok(),
            ReportValue::Number(n) if n.fract() == 0.0 && n.abs() < i64::MAX as f64 => Some(*n as i64),
            _ => None,
        }
    }

    /// Text.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            ReportValue::Text(s) => Some(s),
            _ => None,
        }
    }

    /// True for [`ReportValue::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, ReportValue::Null)
    }
}

// ------------------------------------------------------------------ jobs

enum Start {
    Request(Box<models::AdsAnalyticsCreateAsyncRequest>),
    Token(String),
}

/// How a download is done.
#[derive(Debug, Clone, Copy)]
struct DownloadOptions {
    timeout: Duration,
    max_bytes: u64,
    gzip: bool,
    refresh_expired: bool,
}

impl Default for DownloadOptions {
    fn default() -> Self {
        DownloadOptions {
            timeout: Duration::from_secs(30 * 60),
            max_bytes: DEFAULT_MAX_BYTES,
            gzip: true,
            refresh_expired: true,
        }
    }
}

/// A report from request to file, from `client.ad_accounts().report(..)`
/// or `.resume_report(..)`: options are setters; `send()`, `wait()` or
/// `download_to(..)` run it.
#[must_use = "a report does nothing until it is sent"]
pub struct ReportJob<C> {
    c: C,
    ad_account_id: String,
    start: Start,
    poll_interval: Duration,
    max_poll_interval: Duration,
    timeout: Duration,
    format: Option<ReportFormat>,
    level: Option<MetricsReportingLevel>,
    download: DownloadOptions,
    on_event: Option<EventHook>,
}

impl<C> std::fmt::Debug for ReportJob<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let token = match &self.start {
            Start::Request(_) => None,
            Start::Token(t) => Some(t),
        };
        f.debug_struct("ReportJob")
            .field("ad_account_id", &self.ad_account_id)
            .field("token", &token)
            .field("poll_interval", &self.poll_interval)
            .field("max_poll_interval", &self.max_poll_interval)
            .field("timeout", &self.timeout)
            .field("download", &self.download)
            .finish_non_exhaustive()
    }
}

impl<C: Copy> crate::ops::ad_accounts::AdAccountsApi<C> {
    /// Requests a report, waits until Pinterest has built it and downloads
    /// it (see [`crate::reports`]).
    pub fn report(
        &self,
        ad_account_id: impl Into<String>,
        request: models::AdsAnalyticsCreateAsyncRequest,
    ) -> ReportJob<C> {
        let format = request.report_format.as_ref().and_then(ReportFormat::from_model);
        let level = Some(request.level.clone());
        ReportJob::new(self.client(), ad_account_id.into(), Start::Request(Box::new(request)), format, level)
    }

    /// Waits for a report requested earlier, by its token, and downloads
    /// it. Name its format and level with the setters when you know them.
    pub fn resume_report(&self, ad_account_id: impl Into<String>, token: impl Into<String>) -> ReportJob<C> {
        ReportJob::new(self.client(), ad_account_id.into(), Start::Token(token.into()), None, None)
    }

    /// Downloads a finished report (from [`ReportJob::wait`], or
    /// [`FinishedReport::from_url`]).
    pub fn download_report(&self, report: FinishedReport) -> ReportDownload<C> {
        ReportDownload { c: self.client(), report, options: DownloadOptions::default(), on_event: None }
    }
}

impl<C> ReportJob<C> {
    fn new(
        c: C,
        ad_account_id: String,
        start: Start,
        format: Option<ReportFormat>,
        level: Option<MetricsReportingLevel>,
    ) -> Self {
        ReportJob {
            c,
            ad_account_id,
            start,
            poll_interval: Duration::from_secs(1),
            max_poll_interval: Duration::from_secs(30),
            timeout: Duration::from_secs(30 * 60),
            format,
            level,
            download: DownloadOptions::default(),
            on_event: None,
        }
    }

    /// The first wait between status reads (default 1 s, at least 10 ms);
    /// each later wait doubles, with up to ±20 % jitter (clamped to the
    /// bounds), up to [`max_poll_interval`](Self::max_poll_interval).
    pub fn poll_interval(mut self, every: Duration) -> Self {
        self.poll_interval = every;
        self
    }

    /// The longest wait between status reads (default 30 s).
    pub fn max_poll_interval(mut self, at_most: Duration) -> Self {
        self.max_poll_interval = at_most;
        self
    }

    /// How long to wait for Pinterest to build the report (default 30 min);
    /// then [`Error::ReportTimeout`]. The download has its own timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long the download may take (default 30 min).
    pub fn download_timeout(mut self, timeout: Duration) -> Self {
        self.download.timeout = timeout;
        self
    }

    /// The largest file accepted, decompressed (default
    /// [`DEFAULT_MAX_BYTES`]); a larger one is [`Error::ResponseTooLarge`],
    /// found while it streams in.
    pub fn max_bytes(mut self, limit: u64) -> Self {
        self.download.max_bytes = limit;
        self
    }

    /// Whether to ask storage for gzip (default yes; the file is
    /// decompressed either way).
    pub fn accept_gzip(mut self, on: bool) -> Self {
        self.download.gzip = on;
        self
    }

    /// Whether an expired download link is renewed once by reading the
    /// status again (default yes).
    pub fn refresh_expired(mut self, on: bool) -> Self {
        self.download.refresh_expired = on;
        self
    }

    /// The file's format (set from the request; for a resumed report,
    /// sniffed from the content type and contents unless set here).
    pub fn format(mut self, format: ReportFormat) -> Self {
        self.format = Some(format);
        self
    }

    /// The report's level (set from the request), which names the id column.
    pub fn level(mut self, level: MetricsReportingLevel) -> Self {
        self.level = Some(level);
        self
    }

    /// Called on every [`ReportEvent`].
    pub fn on_event(mut self, f: impl Fn(&ReportEvent) + Send + Sync + 'static) -> Self {
        self.on_event = Some(Arc::new(f));
        self
    }

    fn split(self) -> (C, Job) {
        let ReportJob {
            c,
            ad_account_id,
            start,
            poll_interval,
            max_poll_interval,
            timeout,
            format,
            level,
            download,
            on_event,
        } = self;
        let pacing = Pacing { min: poll_interval, max: max_poll_interval, timeout };
        (c, Job { ad_account_id, start, pacing, format, level, download, on_event })
    }
}

impl ReportJob<&Client> {
    /// Requests (or resumes), waits and downloads the report into memory.
    ///
    /// Fails with [`Error::ReportFailed`] when Pinterest reports `FAILED`,
    /// `CANCELLED`, `EXPIRED` or `DOES_NOT_EXIST`, [`Error::ReportTimeout`]
    /// past [`timeout`](Self::timeout), [`Error::Download`] when storage
    /// refuses the file, [`Error::ResponseTooLarge`] past
    /// [`max_bytes`](Self::max_bytes) and [`Error::ReportFile`] when the
    /// file is not valid gzip.
    pub async fn send(self) -> Result<Report> {
        let (client, job) = self.split();
        run_to_memory(client, job).await
    }

    /// Requests (or resumes) and waits; the finished report's link, for
    /// `client.ad_accounts().download_report(..)`.
    pub async fn wait(self) -> Result<FinishedReport> {
        let (client, job) = self.split();
        job.wait(client).await
    }

    /// Requests (or resumes), waits and streams the file, decompressed,
    /// into `writer` (flushed at the end). Nothing is written when the
    /// download is refused.
    pub async fn download_to<W: AsyncWrite + Unpin + Send>(self, writer: &mut W) -> Result<SavedReport> {
        let (client, job) = self.split();
        let finished = job.wait(client).await?;
        let mut sink = Sink::Async(writer);
        fetch_refreshing(client, finished, &job.download, job.on_event.as_ref(), &mut sink).await
    }
}

impl ReportJob<&crate::blocking::Client> {
    /// Requests (or resumes), waits and downloads (see the async `send`).
    pub fn send(self) -> Result<Report> {
        let (client, job) = self.split();
        client.block_on(run_to_memory(client.as_async(), job))
    }

    /// Requests (or resumes) and waits (see the async `wait`).
    pub fn wait(self) -> Result<FinishedReport> {
        let (client, job) = self.split();
        client.block_on(job.wait(client.as_async()))
    }

    /// Requests (or resumes), waits and writes the file, decompressed,
    /// into `writer` (see the async `download_to`).
    pub fn download_to<W: std::io::Write + Send>(self, writer: &mut W) -> Result<SavedReport> {
        let (client, job) = self.split();
        client.block_on(async {
            let finished = job.wait(client.as_async()).await?;
            let mut sink = Sink::Sync(writer);
            fetch_refreshing(client.as_async(), finished, &job.download, job.on_event.as_ref(), &mut sink).await
        })
    }
}

/// The download of a finished report, from
/// `client.ad_accounts().download_report(finished)`.
#[must_use = "a download does nothing until it is sent"]
pub struct ReportDownload<C> {
    c: C,
    report: FinishedReport,
    options: DownloadOptions,
    on_event: Option<EventHook>,
}

impl<C> std::fmt::Debug for ReportDownload<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportDownload")
            .field("report", &self.report)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl<C> ReportDownload<C> {
    /// How long the download may take (default 30 min).
    pub fn download_timeout(mut self, timeout: Duration) -> Self {
        self.options.timeout = timeout;
        self
    }

    /// The largest file accepted, decompressed (default [`DEFAULT_MAX_BYTES`]).
    pub fn max_bytes(mut self, limit: u64) -> Self {
        self.options.max_bytes = limit;
        self
    }

    /// Whether to ask storage for gzip (default yes).
    pub fn accept_gzip(mut self, on: bool) -> Self {
        self.options.gzip = on;
        self
    }

    /// Whether an expired link is renewed once by reading the report's
    /// status again (default yes; only for a report whose ad account and
    /// token are known).
    pub fn refresh_expired(mut self, on: bool) -> Self {
        self.options.refresh_expired = on;
        self
    }

    /// Called on every [`ReportEvent`].
    pub fn on_event(mut self, f: impl Fn(&ReportEvent) + Send + Sync + 'static) -> Self {
        self.on_event = Some(Arc::new(f));
        self
    }
}

impl ReportDownload<&Client> {
    /// Downloads the file into memory.
    pub async fn send(self) -> Result<Report> {
        download_to_memory(self.c, self.report, &self.options, self.on_event.as_ref()).await
    }

    /// Streams the file, decompressed, into `writer`.
    pub async fn download_to<W: AsyncWrite + Unpin + Send>(self, writer: &mut W) -> Result<SavedReport> {
        let mut sink = Sink::Async(writer);
        fetch_refreshing(self.c, self.report, &self.options, self.on_event.as_ref(), &mut sink).await
    }
}

impl ReportDownload<&crate::blocking::Client> {
    /// Downloads the file into memory.
    pub fn send(self) -> Result<Report> {
        let client = self.c;
        client.block_on(download_to_memory(client.as_async(), self.report, &self.options, self.on_event.as_ref()))
    }

    /// Writes the file, decompressed, into `writer`.
    pub fn download_to<W: std::io::Write + Send>(self, writer: &mut W) -> Result<SavedReport> {
        let client = self.c;
        let mut sink = Sink::Sync(writer);
        client.block_on(fetch_refreshing(
            client.as_async(),
            self.report,
            &self.options,
            self.on_event.as_ref(),
            &mut sink,
        ))
    }
}

/// When to read the status.
#[derive(Debug, Clone, Copy)]
struct Pacing {
    min: Duration,
    max: Duration,
    timeout: Duration,
}

/// A job without its client.
struct Job {
    ad_account_id: String,
    start: Start,
    pacing: Pacing,
    format: Option<ReportFormat>,
    level: Option<MetricsReportingLevel>,
    download: DownloadOptions,
    on_event: Option<EventHook>,
}

fn is_failure(status: &BulkReportingJobStatus) -> bool {
    matches!(
        status,
        BulkReportingJobStatus::Failed
            | BulkReportingJobStatus::Cancelled
            | BulkReportingJobStatus::Expired
            | BulkReportingJobStatus::DoesNotExist
    )
}

impl Job {
    /// Requests the report (or takes the token), then reads its status until
    /// it is finished, failed, or the timeout runs out.
    async fn wait(&self, client: &Client) -> Result<FinishedReport> {
        let started = Instant::now();
        let hook = self.on_event.as_ref();
        let id = self.ad_account_id.as_str();
        let token = match &self.start {
            Start::Token(token) => token.clone(),
            Start::Request(request) => {
                let created = client.ad_accounts().create_report(id, (**request).clone()).send().await?;
                let token = created
                    .token
                    .filter(|t| !t.is_empty())
                    .ok_or_else(|| Error::invalid(CREATE, "Pinterest accepted the report but returned no token"))?;
                if let Some(status) = created.report_status.as_ref().filter(|s| is_failure(s)) {
                    return Err(failed(id, &token, status));
                }
                tracing::debug!(token = %token, "report requested");
                emit(hook, ReportEvent::Requested { token: token.clone() });
                token
            }
        };
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let answer = client.ad_accounts().get_report(id).token(token.as_str()).send().await?;
            let status = answer.report_status.clone().unwrap_or(BulkReportingJobStatus::InProgress);
            tracing::debug!(token = %token, status = %status, attempt, "report status");
            if status == BulkReportingJobStatus::Finished {
                let url = answer
                    .url
                    .as_deref()
                    .ok_or_else(|| Error::invalid(STATUS, "the report is FINISHED but has no url"))?;
                let finished = FinishedReport {
                    ad_account_id: Some(id.to_owned()),
                    token: Some(token.clone()),
                    url: link(url)?,
                    size: answer.size.filter(|s| s.is_finite() && *s >= 0.0).map(|s| s as u64),
                    format: self.format,
                    level: self.level.clone(),
                };
                emit(hook, ReportEvent::Ready { size: finished.size });
                return Ok(finished);
            }
            if is_failure(&status) {
                return Err(failed(id, &token, &status));
            }
            let elapsed = started.elapsed();
            if elapsed >= self.pacing.timeout {
                return Err(Error::ReportTimeout {
                    ad_account_id: id.to_owned(),
                    token,
                    status: status.to_string(),
                    waited: elapsed,
                });
            }
            let next = backoff(attempt, self.pacing.min, self.pacing.max, rand::random::<f64>())
                .min(self.pacing.timeout - elapsed);
            emit(hook, ReportEvent::Waiting { status, attempt, elapsed, next_poll_in: next });
            tokio::time::sleep(next).await;
        }
    }
}

fn failed(ad_account_id: &str, token: &str, status: &BulkReportingJobStatus) -> Error {
    Error::ReportFailed { ad_account_id: ad_account_id.to_owned(), token: token.to_owned(), status: status.to_string() }
}

async fn run_to_memory(client: &Client, job: Job) -> Result<Report> {
    let finished = job.wait(client).await?;
    download_to_memory(client, finished, &job.download, job.on_event.as_ref()).await
}

async fn download_to_memory(
    client: &Client,
    report: FinishedReport,
    options: &DownloadOptions,
    hook: Option<&EventHook>,
) -> Result<Report> {
    let (size, token, level) = (report.size, report.token.clone(), report.level.clone());
    let mut sink = Sink::Memory(Vec::new());
    let saved = fetch_refreshing(client, report, options, hook, &mut sink).await?;
    let Sink::Memory(bytes) = sink else { return Err(Error::invalid(DOWNLOAD, "the download lost its buffer")) };
    Ok(Report { format: saved.format, bytes, size, token, level })
}

/// Where the decompressed file goes.
enum Sink<'a> {
    Memory(Vec<u8>),
    Async(&'a mut (dyn AsyncWrite + Unpin + Send)),
    Sync(&'a mut (dyn std::io::Write + Send)),
}

impl Sink<'_> {
    /// Writes (and empties) `scratch`, for the writers.
    async fn drain(&mut self, scratch: &mut Vec<u8>) -> Result<()> {
        if scratch.is_empty() {
            return Ok(());
        }
        let written = match self {
            Sink::Memory(_) => Ok(()),
            Sink::Async(w) => w.write_all(scratch).await,
            Sink::Sync(w) => w.write_all(scratch),
        };
        scratch.clear();
        written.map_err(write_error)
    }

    async fn flush(&mut self) -> Result<()> {
        match self {
            Sink::Memory(_) => Ok(()),
            Sink::Async(w) => w.flush().await.map_err(write_error),
            Sink::Sync(w) => w.flush().map_err(write_error),
        }
    }
}

fn write_error(e: std::io::Error) -> Error {
    Error::ReportFile { reason: "cannot write the report".into(), source: Some(Box::new(e)) }
}

/// Downloads; when the link has expired and the report's token is known,
/// reads the status once more for a fresh link and downloads again.
async fn fetch_refreshing(
    client: &Client,
    report: FinishedReport,
    options: &DownloadOptions,
    hook: Option<&EventHook>,
    sink: &mut Sink<'_>,
) -> Result<SavedReport> {
    let e = match fetch(client, &report, options, hook, sink).await {
        Err(Error::Download(e)) if e.is_expired() && options.refresh_expired => e,
        other => return other,
    };
    let (Some(id), Some(token)) = (report.ad_account_id.as_deref(), report.token.as_deref()) else {
        return Err(Error::Download(e));
    };
    tracing::debug!(token = %token, "the report link expired; reading a fresh one");
    let answer = client.ad_accounts().get_report(id).token(token).send().await?;
    let status = answer.report_status.unwrap_or(BulkReportingJobStatus::InProgress);
    if is_failure(&status) {
        return Err(failed(id, token, &status));
    }
    let Some(url) = answer.url.as_deref().filter(|_| status == BulkReportingJobStatus::Finished) else {
        return Err(Error::Download(e));
    };
    let fresh = FinishedReport { url: link(url)?, ..report };
    fetch(client, &fresh, options, hook, sink).await
}

/// One download: GET without credentials, no retry, its own timeout; the
/// body decoded as it streams into `sink`.
async fn fetch(
    client: &Client,
    report: &FinishedReport,
    options: &DownloadOptions,
    hook: Option<&EventHook>,
    sink: &mut Sink<'_>,
) -> Result<SavedReport> {
    let started = Instant::now();
    let work = fetch_inner(client, report, options, hook, sink);
    match tokio::time::timeout(options.timeout, work).await {
        Ok(result) => result.map_err(|e| scrub(e, report)),
        Err(_) => Err(Error::Timeout { operation: DOWNLOAD, elapsed: started.elapsed() }),
    }
}

async fn fetch_inner(
    client: &Client,
    report: &FinishedReport,
    options: &DownloadOptions,
    hook: Option<&EventHook>,
    sink: &mut Sink<'_>,
) -> Result<SavedReport> {
    let uri: http::Uri =
        report.url.as_str().parse().map_err(|_| Error::invalid(DOWNLOAD, "the report URL is not a valid URI"))?;
    let mut request = http::Request::new(Body::empty());
    *request.uri_mut() = uri;
    let accept = if options.gzip { "gzip" } else { "identity" };
    request.headers_mut().insert(ACCEPT_ENCODING, HeaderValue::from_static(accept));
    // Once, with no Authorization header: the link carries its own signature.
    let call = CallOptions::new().retry(RetryPolicy::never()).no_total_timeout().attempt_timeout(options.timeout);
    let meta = CallMeta::plain(DOWNLOAD, AuthScheme::None, &call);
    let response = client.dispatch(request, meta, true).await?;
    let (parts, payload) = response.into_parts();
    let mut body = match payload {
        Payload::Stream(body) => body,
        Payload::Full(bytes) if parts.status.is_success() => ResponseBody::full(bytes),
        Payload::Full(bytes) => {
            return Err(DownloadError::from_response(DOWNLOAD, parts.status, report.location(), &bytes).into());
        }
    };
    let header = |name| parts.headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok()).map(str::to_owned);
    let content_type = header(CONTENT_TYPE);
    let transfer_gzip = match header(CONTENT_ENCODING).as_deref().map(str::trim) {
        None | Some("") => false,
        Some(e) if e.eq_ignore_ascii_case("identity") => false,
        Some(e) if e.eq_ignore_ascii_case("gzip") || e.eq_ignore_ascii_case("x-gzip") => true,
        Some(other) => {
            return Err(Error::ReportFile {
                reason: format!("unsupported Content-Encoding `{}`", crate::error::escape_controls(other)),
                source: None,
            });
        }
    };
    let mut decoder = Decoder::new(transfer_gzip, options.max_bytes);
    let mut scratch = Vec::new();
    emit(hook, ReportEvent::Downloading { received: 0, total: report.size });
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        {
            let out = match sink {
                Sink::Memory(v) => v,
                _ => &mut scratch,
            };
            decoder.push(&chunk, out).map_err(|p| p.into_error(options.max_bytes))?;
        }
        sink.drain(&mut scratch).await?;
        emit(hook, ReportEvent::Downloading { received: decoder.stored, total: report.size });
    }
    {
        let out = match sink {
            Sink::Memory(v) => v,
            _ => &mut scratch,
        };
        decoder.finish(out).map_err(|p| p.into_error(options.max_bytes))?;
    }
    sink.drain(&mut scratch).await?;
    sink.flush().await?;
    emit(hook, ReportEvent::Downloaded { bytes: decoder.produced });
    let format = report.format.unwrap_or_else(|| format_of(content_type.as_deref(), decoder.first));
    Ok(SavedReport { format, bytes: decoder.produced, size: report.size, token: report.token.clone() })
}

/// A transport error with the link's query (its signature) taken out of
/// its text: HTTP clients print the URL in their errors.
fn scrub(e: Error, report: &FinishedReport) -> Error {
    let Error::Transport(t) = e else { return e };
    let mut text = String::new();
    let mut source = std::error::Error::source(&*t);
    while let Some(s) = source {
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&s.to_string());
        source = s.source();
    }
    let query = report.url.query().filter(|q| !q.is_empty());
    // Nothing to hide (the error's own text names no URL; its chain may):
    // it keeps its chain, for downcasting.
    if !text.contains(report.url.as_str()) && query.is_none_or(|q| !text.contains(q)) {
        return Error::Transport(t);
    }
    let mut text = text.replace(report.url.as_str(), &report.location());
    if let Some(query) = query {
        text = text.replace(query, "[redacted]");
    }
    TransportError::new(t.kind, text).with_operation(DOWNLOAD).into()
}

// ------------------------------------------------------------- decoding

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// Input is decoded in slices this long, so one slice inflates to at most
/// about 1000 times as much before the size cap is checked.
const SLICE: usize = 8 * 1024;

/// Why bytes could not be decoded.
#[derive(Debug)]
enum Problem {
    TooLarge,
    Gzip(std::io::Error),
}

impl Problem {
    fn into_error(self, limit: u64) -> Error {
        match self {
            Problem::TooLarge => Error::ResponseTooLarge { operation: DOWNLOAD, limit },
            Problem::Gzip(e) => {
                Error::ReportFile { reason: "the file is not valid gzip".into(), source: Some(Box::new(e)) }
            }
        }
    }
}

/// What the file stage knows of its input.
enum FileStage {
    /// Fewer than two bytes seen: gzip or not is undecided.
    Sniffing(Vec<u8>),
    Plain,
    Gzip(Box<flate2::write::MultiGzDecoder<Vec<u8>>>),
}

/// Decodes a download as it arrives (sans-IO): gunzips by
/// `Content-Encoding: gzip`, then by gzip's magic bytes in what remains (a
/// `.gz` file served as bytes, or both at once), and stops past `limit`
/// decoded bytes.
struct Decoder {
    transfer: Option<Box<flate2::write::MultiGzDecoder<Vec<u8>>>>,
    file: FileStage,
    /// Bytes after the transfer stage: the stored file's.
    stored: u64,
    /// Bytes handed out.
    produced: u64,
    limit: u64,
    /// The first byte handed out that is not whitespace or a BOM.
    first: Option<u8>,
}

impl Decoder {
    fn new(transfer_gzip: bool, limit: u64) -> Self {
        Decoder {
            transfer: transfer_gzip.then(|| Box::new(flate2::write::MultiGzDecoder::new(Vec::new()))),
            file: FileStage::Sniffing(Vec::new()),
            stored: 0,
            produced: 0,
            limit,
            first: None,
        }
    }

    /// Decodes `input`, appending the file's bytes to `out`.
    fn push(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), Problem> {
        for piece in input.chunks(SLICE) {
            match &mut self.transfer {
                Some(gz) => {
                    gz.write_all(piece).and_then(|()| gz.flush()).map_err(Problem::Gzip)?;
                    let mid = std::mem::take(gz.get_mut());
                    self.stored += mid.len() as u64;
                    self.file_push(&mid, out)?;
                }
                None => {
                    self.stored += piece.len() as u64;
                    self.file_push(piece, out)?;
                }
            }
        }
        Ok(())
    }

    /// Ends the input: checks that gzip streams are complete.
    fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), Problem> {
        if let Some(mut gz) = self.transfer.take() {
            gz.try_finish().map_err(Problem::Gzip)?;
            let mid = std::mem::take(gz.get_mut());
            self.stored += mid.len() as u64;
            self.file_push(&mid, out)?;
        }
        match std::mem::replace(&mut self.file, FileStage::Plain) {
            FileStage::Sniffing(held) => self.emit(&held, out),
            FileStage::Plain => Ok(()),
            FileStage::Gzip(mut gz) => {
                gz.try_finish().map_err(Problem::Gzip)?;
                let rest = std::mem::take(gz.get_mut());
                self.emit(&rest, out)
            }
        }
    }

    fn file_push(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<(), Problem> {
        for piece in data.chunks(SLICE) {
            if let FileStage::Sniffing(held) = &mut self.file {
                held.extend_from_slice(piece);
                if held.len() < GZIP_MAGIC.len() {
                    continue;
                }
                let held = std::mem::take(held);
                if held.starts_with(&GZIP_MAGIC) {
                    self.file = FileStage::Gzip(Box::new(flate2::write::MultiGzDecoder::new(Vec::new())));
                    self.file_push(&held, out)?;
                } else {
                    self.file = FileStage::Plain;
                    self.emit(&held, out)?;
                }
                continue;
            }
            match &mut self.file {
                FileStage::Gzip(gz) => {
                    gz.write_all(piece).and_then(|()| gz.flush()).map_err(Problem::Gzip)?;
                    let decoded = std::mem::take(gz.get_mut());
                    self.emit(&decoded, out)?;
                }
                _ => self.emit(piece, out)?,
            }
        }
        Ok(())
    }

    fn emit(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<(), Problem> {
        let total = self.produced + data.len() as u64;
        if total > self.limit {
            return Err(Problem::TooLarge);
        }
        if self.first.is_none() {
            self.first = first_significant(data);
        }
        self.produced = total;
        out.extend_from_slice(data);
        Ok(())
    }
}

/// The first byte that is not whitespace or part of a UTF-8 BOM.
fn first_significant(data: &[u8]) -> Option<u8> {
    data.iter().copied().find(|b| !b.is_ascii_whitespace() && ![0xef, 0xbb, 0xbf].contains(b))
}

/// Decodes a whole body.
fn decode_all(body: &[u8], transfer_gzip: bool, limit: u64) -> Result<Vec<u8>> {
    let mut decoder = Decoder::new(transfer_gzip, limit);
    let mut out = Vec::new();
    decoder.push(body, &mut out).map_err(|p| p.into_error(limit))?;
    decoder.finish(&mut out).map_err(|p| p.into_error(limit))?;
    Ok(out)
}

/// The format from the content type, else from the first byte.
fn format_of(content_type: Option<&str>, first: Option<u8>) -> ReportFormat {
    let ct = content_type.unwrap_or_default().to_ascii_lowercase();
    if ct.contains("json") {
        ReportFormat::Json
    } else if ct.contains("csv") {
        ReportFormat::Csv
    } else if matches!(first, Some(b'{' | b'[')) {
        ReportFormat::Json
    } else {
        ReportFormat::Csv
    }
}

// ----------------------------------------------------------------- rows

/// The id column of a level's report.
fn id_column_of(level: &MetricsReportingLevel) -> Option<&'static str> {
    use MetricsReportingLevel as L;
    Some(match level {
        L::Advertiser | L::AdvertiserTargeting => "ADVERTISER_ID",
        L::Campaign | L::CampaignTargeting => "CAMPAIGN_ID",
        L::AdGroup | L::AdGroupTargeting => "AD_GROUP_ID",
        L::PinPromotion | L::PinPromotionTargeting => "PIN_PROMOTION_ID",
        L::Keyword => "KEYWORD_ID",
        L::ProductGroup | L::ProductGroupTargeting => "PRODUCT_GROUP_ID",
        L::ProductItem | L::ProductItemTargeting => "ITEM_ID",
        _ => return None,
    })
}

/// Id columns, the most specific first: the guess when the level is unknown.
const ID_COLUMNS: &[&str] =
    &["ITEM_ID", "PRODUCT_GROUP_ID", "KEYWORD_ID", "PIN_PROMOTION_ID", "AD_GROUP_ID", "CAMPAIGN_ID", "ADVERTISER_ID"];

fn is_id(column: &str, id_column: Option<&str>) -> bool {
    Some(column) == id_column || column.ends_with("_ID")
}

/// Columns a CSV cell stays text in, whatever it looks like.
fn is_text_column(column: &str, id_column: Option<&str>) -> bool {
    is_id(column, id_column)
        || column.ends_with("_NAME")
        || matches!(column, "DATE" | "TARGETING_TYPE" | "TARGETING_VALUE")
}

fn file_error(reason: impl Into<String>, source: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::ReportFile { reason: reason.into(), source: Some(Box::new(source)) }
}

/// A JSON number's text as a value: exact when whole.
fn number(text: &str) -> ReportValue {
    if !text.contains(['.', 'e', 'E'])
        && let Ok(i) = text.parse::<i128>()
    {
        return ReportValue::Integer(i);
    }
    text.parse::<f64>().map_or_else(|_| ReportValue::Text(text.to_owned()), ReportValue::Number)
}

/// A JSON value's text as a value.
fn json_value(raw: &RawValue) -> ReportValue {
    let text = raw.get().trim();
    match text.as_bytes().first() {
        Some(b'"') => serde_json::from_str::<String>(text).map_or(ReportValue::Null, ReportValue::Text),
        Some(b'n') => ReportValue::Null,
        Some(b't') => ReportValue::Bool(true),
        Some(b'f') => ReportValue::Bool(false),
        Some(b'-' | b'0'..=b'9') => number(text),
        _ => ReportValue::Text(text.to_owned()),
    }
}

/// A JSON value as text: a string's contents, a number's digits as written.
fn json_text(raw: &RawValue) -> String {
    match json_value(raw) {
        ReportValue::Text(s) => s,
        ReportValue::Null => String::new(),
        _ => raw.get().trim().to_owned(),
    }
}

/// A CSV cell as a value: empty is null; numbers when they look like JSON
/// numbers without leading zeros (so `007` stays text).
fn csv_value(cell: &str) -> ReportValue {
    if cell.is_empty() {
        return ReportValue::Null;
    }
    if looks_numeric(cell) { number(cell) } else { ReportValue::Text(cell.to_owned()) }
}

fn looks_numeric(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    let int_start = i;
    let n = digits(&mut i);
    if n == 0 || (n > 1 && b[int_start] == b'0') {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Builds a row from its cells; `text` says what a cell is as text.
struct RowBuilder {
    row: ReportRow,
    targeting_type: Option<String>,
    targeting_value: Option<String>,
}

impl RowBuilder {
    fn new(entity_id: String, id_column: Option<&str>) -> Self {
        RowBuilder {
            row: ReportRow {
                entity_id,
                id_column: id_column.map(str::to_owned),
                date: None,
                hour: None,
                targeting: None,
                values: BTreeMap::new(),
            },
            targeting_type: None,
            targeting_value: None,
        }
    }

    /// Places one cell: the structural columns in their fields (when they
    /// parse), the rest in `values`.
    fn cell(&mut self, column: &str, text: Option<&str>, value: ReportValue) {
        match (column, text) {
            ("DATE", Some(t)) => {
                if let Ok(d) = t.parse::<NaiveDate>() {
                    self.row.date = Some(d);
                    return;
                }
            }
            ("HOUR", Some(t)) => {
                if let Some(h) = t.parse::<u8>().ok().filter(|h| *h < 24) {
                    self.row.hour = Some(h);
                    return;
                }
            }
            ("TARGETING_TYPE", Some(t)) => {
                self.targeting_type = Some(t.to_owned());
                return;
            }
            ("TARGETING_VALUE", Some(t)) => {
                self.targeting_value = Some(t.to_owned());
                return;
            }
            _ => {}
        }
        self.row.values.insert(column.to_owned(), value);
    }

    fn build(mut self) -> ReportRow {
        if let Some(t) = self.targeting_type {
            self.row.targeting = Some((t, self.targeting_value.unwrap_or_default()));
        } else if let Some(v) = self.targeting_value {
            self.row.values.insert("TARGETING_VALUE".into(), ReportValue::Text(v));
        }
        self.row
    }
}

type RawRow<'a> = BTreeMap<String, &'a RawValue>;

/// A JSON report: `{"<entity id>": [row, …]}` in the file's order, or a
/// bare list of rows.
struct JsonFile<'a>(Vec<(Option<String>, Vec<RawRow<'a>>)>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for JsonFile<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visit<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visit<'a> {
            type Value = JsonFile<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of entity ids to lists of rows")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(self, mut m: M) -> std::result::Result<Self::Value, M::Error> {
                let mut out = Vec::new();
                while let Some((k, rows)) = m.next_entry::<String, Vec<RawRow<'a>>>()? {
                    out.push((Some(k), rows));
                }
                Ok(JsonFile(out))
            }
            fn visit_seq<S: serde::de::SeqAccess<'de>>(self, mut s: S) -> std::result::Result<Self::Value, S::Error> {
                let mut rows = Vec::new();
                while let Some(row) = s.next_element::<RawRow<'a>>()? {
                    rows.push(row);
                }
                Ok(JsonFile(vec![(None, rows)]))
            }
        }
        d.deserialize_any(Visit(std::marker::PhantomData))
    }
}

fn parse_json(bytes: &[u8]) -> Result<JsonFile<'_>> {
    if first_significant(bytes).is_none() {
        return Ok(JsonFile(Vec::new()));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| file_error("the JSON file is not UTF-8", e))?;
    let text = text.trim_start_matches('\u{feff}');
    serde_json::from_str(text).map_err(|e| file_error("the file is not the JSON of a report", e))
}

/// The id column of a JSON row: the level's, else the one whose text is
/// the row's key, else the most specific id column present.
fn json_id_column(row: &RawRow<'_>, key: Option<&str>, level_column: Option<&'static str>) -> Option<String> {
    if let Some(c) = level_column {
        return Some(c.to_owned());
    }
    if let Some(key) = key {
        let matching = ID_COLUMNS.iter().find(|c| row.get(**c).is_some_and(|v| json_text(v) == key));
        if let Some(c) = matching {
            return Some((*c).to_owned());
        }
        if let Some((c, _)) = row.iter().find(|(c, v)| c.ends_with("_ID") && json_text(v) == key) {
            return Some(c.clone());
        }
    }
    ID_COLUMNS.iter().find(|c| row.contains_key(**c)).map(|c| (*c).to_owned())
}

fn json_rows(bytes: &[u8], level_column: Option<&'static str>) -> Result<Vec<ReportRow>> {
    let file = parse_json(bytes)?;
    let mut out = Vec::new();
    for (key, rows) in &file.0 {
        for raw in rows {
            let id_column = json_id_column(raw, key.as_deref(), level_column);
            let id_column = id_column.as_deref();
            let entity_id = match (key, id_column.and_then(|c| raw.get(c))) {
                (Some(k), _) => k.clone(),
                (None, Some(v)) => json_text(v),
                (None, None) => String::new(),
            };
            let mut b = RowBuilder::new(entity_id, id_column);
            for (column, v) in raw {
                if Some(column.as_str()) == id_column {
                    continue;
                }
                let value = if is_id(column, id_column) {
                    match json_value(v) {
                        ReportValue::Null => ReportValue::Null,
                        _ => ReportValue::Text(json_text(v)),
                    }
                } else {
                    json_value(v)
                };
                let text = match &value {
                    ReportValue::Null => None,
                    _ => Some(json_text(v)),
                };
                b.cell(column, text.as_deref(), value);
            }
            out.push(b.build());
        }
    }
    Ok(out)
}

fn json_rows_as<T: DeserializeOwned>(bytes: &[u8], level_column: Option<&'static str>) -> Result<Vec<T>> {
    let file = parse_json(bytes)?;
    let mut out = Vec::new();
    for (key, rows) in &file.0 {
        for raw in rows {
            let id_column = json_id_column(raw, key.as_deref(), level_column);
            let id_column = id_column.as_deref();
            let mut map = serde_json::Map::new();
            for (column, v) in raw {
                let value = if is_id(column, id_column) && !matches!(json_value(v), ReportValue::Null) {
                    serde_json::Value::String(json_text(v))
                } else {
                    serde_json::from_str(v.get()).map_err(|e| file_error("a cell is not JSON", e))?
                };
                map.insert(column.clone(), value);
            }
            if let (Some(c), Some(k)) = (id_column, key) {
                map.entry(c.to_owned()).or_insert_with(|| serde_json::Value::String(k.clone()));
            }
            let row = serde_json::from_value(serde_json::Value::Object(map)).map_err(|e| {
                let entity = key.as_deref().unwrap_or_default();
                file_error(
                    format!("row {} (entity {entity}) does not fit `{}`", out.len() + 1, std::any::type_name::<T>()),
                    e,
                )
            })?;
            out.push(row);
        }
    }
    Ok(out)
}

fn csv_reader(bytes: &[u8]) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new().has_headers(true).from_reader(bytes)
}

fn csv_error(e: csv::Error) -> Error {
    file_error("the file is not the CSV of a report", e)
}

fn csv_rows(bytes: &[u8], level_column: Option<&'static str>) -> Result<Vec<ReportRow>> {
    let mut reader = csv_reader(bytes);
    let headers = reader.headers().map_err(csv_error)?.clone();
    let id_column: Option<String> = level_column
        .filter(|c| headers.iter().any(|h| h == *c))
        .map(str::to_owned)
        .or_else(|| ID_COLUMNS.iter().find(|c| headers.iter().any(|h| h == **c)).map(|c| (*c).to_owned()))
        .or_else(|| headers.iter().find(|h| h.ends_with("_ID")).map(str::to_owned));
    let id_column = id_column.as_deref();
    let id_index = id_column.and_then(|c| headers.iter().position(|h| h == c));
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(csv_error)?;
        let entity_id = id_index.and_then(|i| record.get(i)).unwrap_or_default().to_owned();
        let mut b = RowBuilder::new(entity_id, id_column);
        for (i, (column, cell)) in headers.iter().zip(record.iter()).enumerate() {
            if Some(i) == id_index {
                continue;
            }
            let value = if cell.is_empty() {
                ReportValue::Null
            } else if is_text_column(column, id_column) {
                ReportValue::Text(cell.to_owned())
            } else {
                csv_value(cell)
            };
            b.cell(column, (!cell.is_empty()).then_some(cell), value);
        }
        out.push(b.build());
    }
    Ok(out)
}

fn csv_rows_as<T: DeserializeOwned>(bytes: &[u8]) -> Result<Vec<T>> {
    let mut reader = csv_reader(bytes);
    let headers = reader.headers().map_err(csv_error)?.clone();
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(csv_error)?;
        let row = record.deserialize::<T>(Some(&headers)).map_err(|e| {
            file_error(format!("row {} does not fit `{}`", out.len() + 1, std::any::type_name::<T>()), e)
        })?;
        out.push(row);
    }
    Ok(out)
}

// -------------------------------------------------------------- backoff

/// The wait after status read number `attempt` (from 1): `min` doubling per
/// read up to `max`, scaled by a jitter factor from 0.8 to 1.2 (`jitter`
/// from 0 to 1), and kept within `min..=max`.
/// The shortest wait between status reads: a zero interval would poll in
/// a loop.
const MIN_POLL_INTERVAL: Duration = Duration::from_millis(10);

fn backoff(attempt: u32, min: Duration, max: Duration, jitter: f64) -> Duration {
    // Never a busy loop, whatever was configured.
    let min = min.max(MIN_POLL_INTERVAL);
    let max = max.max(min);
    let doublings = attempt.saturating_sub(1).min(30);
    let base = min.saturating_mul(1u32 << doublings).min(max);
    let factor = 0.8 + 0.4 * jitter.clamp(0.0, 1.0);
    let scaled = Duration::try_from_secs_f64(base.as_secs_f64() * factor).unwrap_or(max);
    scaled.clamp(min, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    const CSV: &str = "CAMPAIGN_ID,DATE,CAMPAIGN_NAME,IMPRESSION_1,SPEND_IN_DOLLAR\n\
                       626735565838,2025-04-01,\"Spring, \"\"sale\"\"\n2025\",120,3.5\n\
                       626735565839,2025-04-02,007,,0\n";

    /// The async calls can be spawned: their futures are `Send`.
    #[allow(dead_code)]
    fn futures_are_send(client: &Client, request: models::AdsAnalyticsCreateAsyncRequest, w: &mut Vec<u8>) {
        fn send<T: Send>(_: T) {}
        send(client.ad_accounts().report("1", request).on_event(|_| {}).send());
        send(client.ad_accounts().resume_report("1", "t").wait());
        send(client.ad_accounts().resume_report("1", "t").download_to(w));
    }

    #[test]
    fn backoff_doubles_with_jitter_within_bounds() {
        let (min, max) = (Duration::from_secs(1), Duration::from_secs(30));
        let mid: Vec<u64> = (1..=7).map(|a| backoff(a, min, max, 0.5).as_millis() as u64).collect();
        assert_eq!(mid, [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
        assert_eq!(backoff(3, min, max, 0.0), Duration::from_millis(3200));
        assert_eq!(backoff(3, min, max, 1.0), Duration::from_millis(4800));
        for attempt in [1, 2, 5, 6, 40, u32::MAX] {
            for jitter in [0.0, 0.3, 0.999, 1.0, -5.0, 7.0, f64::NAN] {
                let d = backoff(attempt, min, max, jitter);
                assert!(d >= min && d <= max, "{attempt} {jitter}: {d:?}");
            }
        }
        // A zero interval is the floor, not a busy loop.
        assert_eq!(backoff(1, Duration::ZERO, Duration::ZERO, 0.5), MIN_POLL_INTERVAL);
        assert!(backoff(4, Duration::ZERO, max, 0.5) >= MIN_POLL_INTERVAL * 8);
        // A maximum below the minimum is the minimum; huge values do not overflow.
        assert_eq!(backoff(4, Duration::from_secs(5), Duration::from_secs(1), 0.5), Duration::from_secs(5));
        assert_eq!(backoff(64, Duration::MAX, Duration::MAX, 1.0), Duration::MAX);
    }

    #[test]
    fn gzip_by_header_by_magic_and_both() {
        let plain = br#"{"1":[{"CAMPAIGN_ID":1}]}"#;
        assert_eq!(decode_all(plain, false, 1000).unwrap(), plain);
        // Content-Encoding: gzip.
        assert_eq!(decode_all(&gzip(plain), true, 1000).unwrap(), plain);
        // A .gz file served as bytes.
        assert_eq!(decode_all(&gzip(plain), false, 1000).unwrap(), plain);
        // A .gz file served with Content-Encoding: gzip too.
        assert_eq!(decode_all(&gzip(&gzip(plain)), true, 1000).unwrap(), plain);
        // Several members, as concatenated gzip files are.
        let mut two = gzip(b"CAMPAIGN_ID\n");
        two.extend(gzip(b"1\n"));
        assert_eq!(decode_all(&two, false, 1000).unwrap(), b"CAMPAIGN_ID\n1\n");
        // Fed a byte at a time, the magic split across chunks.
        let zipped = gzip(plain);
        let mut d = Decoder::new(false, 1000);
        let mut out = Vec::new();
        for b in &zipped {
            d.push(std::slice::from_ref(b), &mut out).unwrap();
        }
        d.finish(&mut out).unwrap();
        assert_eq!(out, plain);
        assert_eq!(d.stored, zipped.len() as u64);
        assert_eq!(d.produced, plain.len() as u64);
        assert_eq!(d.first, Some(b'{'));
        // A one-byte file and an empty one.
        assert_eq!(decode_all(b"x", false, 10).unwrap(), b"x");
        assert_eq!(decode_all(b"", false, 10).unwrap(), b"");
    }

    #[test]
    fn bad_gzip_and_bombs_are_typed_errors() {
        let zipped = gzip(CSV.as_bytes());
        let truncated = &zipped[..zipped.len() - 6];
        assert!(matches!(decode_all(truncated, false, 1 << 20), Err(Error::ReportFile { .. })));
        assert!(matches!(decode_all(b"\x1f\x8bnot gzip at all", false, 1 << 20), Err(Error::ReportFile { .. })));
        assert!(matches!(decode_all(b"plain, not gzip", true, 1 << 20), Err(Error::ReportFile { .. })));
        // 64 MiB of zeros in about 64 KiB: stopped at the cap, not inflated whole.
        let bomb = gzip(&vec![0u8; 64 << 20]);
        assert!(bomb.len() < 1 << 20);
        let e = decode_all(&bomb, false, 1 << 20).unwrap_err();
        assert!(matches!(e, Error::ResponseTooLarge { limit, .. } if limit == 1 << 20), "{e}");
        let mut d = Decoder::new(false, 1 << 20);
        let mut out = Vec::new();
        assert!(matches!(d.push(&bomb, &mut out), Err(Problem::TooLarge)));
        assert!(out.len() <= 1 << 20);
        // Plain bytes past the cap too.
        assert!(matches!(decode_all(&[b'a'; 11], false, 10), Err(Error::ResponseTooLarge { .. })));
        assert_eq!(decode_all(&[b'a'; 10], false, 10).unwrap().len(), 10);
    }

    #[test]
    fn formats_are_sniffed() {
        assert_eq!(format_of(Some("application/json"), Some(b'C')), ReportFormat::Json);
        assert_eq!(format_of(Some("text/csv; charset=utf-8"), Some(b'{')), ReportFormat::Csv);
        assert_eq!(format_of(Some("application/octet-stream"), Some(b'{')), ReportFormat::Json);
        assert_eq!(format_of(Some("application/gzip"), Some(b'C')), ReportFormat::Csv);
        assert_eq!(format_of(None, None), ReportFormat::Csv);
        assert_eq!(first_significant(b"\xef\xbb\xbf \n["), Some(b'['));
        let r = Report::from_bytes(gzip(b"  {\"1\": []}"), None).unwrap();
        assert_eq!((r.format(), r.bytes()), (ReportFormat::Json, &b"  {\"1\": []}"[..]));
        let r = Report::from_bytes(CSV, None).unwrap();
        assert_eq!(r.format(), ReportFormat::Csv);
    }

    #[test]
    fn csv_rows_quoting_types_and_ids() {
        let r = Report::from_bytes(CSV, Some(ReportFormat::Csv)).unwrap().with_level(MetricsReportingLevel::Campaign);
        let rows = r.rows().unwrap();
        assert_eq!(rows.len(), 2);
        let a = &rows[0];
        assert_eq!(a.entity_id, "626735565838");
        assert_eq!(a.id_column.as_deref(), Some("CAMPAIGN_ID"));
        assert_eq!(a.date, NaiveDate::from_ymd_opt(2025, 4, 1));
        assert_eq!(a.get_str("CAMPAIGN_NAME"), Some("Spring, \"sale\"\n2025"));
        assert_eq!(a.get("IMPRESSION_1"), Some(&ReportValue::Integer(120)));
        assert_eq!(a.get_u64("IMPRESSION_1"), Some(120));
        assert_eq!(a.get_f64("SPEND_IN_DOLLAR"), Some(3.5));
        assert!(!a.values.contains_key("CAMPAIGN_ID") && !a.values.contains_key("DATE"));
        let b = &rows[1];
        // A name that looks like a number stays text; an empty cell is null.
        assert_eq!(b.get_str("CAMPAIGN_NAME"), Some("007"));
        assert_eq!(b.get("IMPRESSION_1"), Some(&ReportValue::Null));
        assert_eq!(b.get_u64("SPEND_IN_DOLLAR"), Some(0));
        // Without the level, the id column is found in the header.
        let guessed = Report::from_bytes(CSV, None).unwrap().rows().unwrap();
        assert_eq!(guessed, rows);
        // A BOM before the header.
        let bom = format!("\u{feff}{CSV}");
        assert_eq!(Report::from_bytes(bom, None).unwrap().rows().unwrap(), rows);
    }

    #[test]
    fn csv_cells_that_look_like_numbers() {
        for (cell, want) in [
            ("12", ReportValue::Integer(12)),
            ("-3", ReportValue::Integer(-3)),
            ("0", ReportValue::Integer(0)),
            ("0.25", ReportValue::Number(0.25)),
            ("1e3", ReportValue::Number(1000.0)),
            ("18446744073709551617", ReportValue::Integer(18_446_744_073_709_551_617)),
            ("007", ReportValue::Text("007".into())),
            ("+5", ReportValue::Text("+5".into())),
            ("NaN", ReportValue::Text("NaN".into())),
            ("1.", ReportValue::Text("1.".into())),
            ("25-34", ReportValue::Text("25-34".into())),
            ("", ReportValue::Null),
        ] {
            assert_eq!(csv_value(cell), want, "{cell}");
        }
    }

    #[test]
    fn json_ids_above_2_pow_53_stay_exact() {
        let json = br#"{"9007199254740993": [{"CAMPAIGN_ID": 9007199254740993, "AD_ACCOUNT_ID": 18446744073709551999,
            "DATE": "2025-04-01", "IMPRESSION_1": 12, "SPEND_IN_DOLLAR": 0.5, "CAMPAIGN_NAME": "123", "PAUSED": false, "CTR": null}]}"#;
        let r = Report::from_bytes(&json[..], None).unwrap().with_level(MetricsReportingLevel::Campaign);
        let rows = r.rows().unwrap();
        let row = &rows[0];
        assert_eq!(row.entity_id, "9007199254740993");
        assert_eq!(row.get_str("AD_ACCOUNT_ID"), Some("18446744073709551999"));
        assert_eq!(row.get_str("CAMPAIGN_NAME"), Some("123"));
        assert_eq!(row.get("PAUSED"), Some(&ReportValue::Bool(false)));
        assert!(row.get("CTR").is_some_and(ReportValue::is_null));
        assert_eq!(row.get_u64("IMPRESSION_1"), Some(12));
        assert_eq!(row.get_f64("SPEND_IN_DOLLAR"), Some(0.5));

        #[derive(serde::Deserialize)]
        struct Mine {
            #[serde(rename = "CAMPAIGN_ID")]
            campaign: String,
            #[serde(rename = "AD_ACCOUNT_ID")]
            account: String,
            #[serde(rename = "DATE")]
            date: NaiveDate,
            #[serde(rename = "IMPRESSION_1")]
            impressions: u64,
            #[serde(rename = "CTR")]
            ctr: Option<f64>,
        }
        let mine: Vec<Mine> = r.deserialize().unwrap();
        assert_eq!(mine[0].campaign, "9007199254740993");
        assert_eq!(mine[0].account, "18446744073709551999");
        assert_eq!(
            (mine[0].date, mine[0].impressions, mine[0].ctr),
            (NaiveDate::from_ymd_opt(2025, 4, 1).unwrap(), 12, None)
        );
        // The id column filled in from the key when a row lacks it.
        let keyed = Report::from_bytes(&br#"{"77": [{"IMPRESSION_1": 1}]}"#[..], None)
            .unwrap()
            .with_level(MetricsReportingLevel::Campaign);
        #[derive(serde::Deserialize)]
        struct Id {
            #[serde(rename = "CAMPAIGN_ID")]
            id: String,
        }
        assert_eq!(keyed.deserialize::<Id>().unwrap()[0].id, "77");
    }

    #[test]
    fn total_rows_have_no_date_and_targeting_has_its_pair() {
        let json = br#"{"5": [{"ADVERTISER_ID": 5, "TARGETING_TYPE": "GENDER", "TARGETING_VALUE": "female", "IMPRESSION_1": 3},
                               {"ADVERTISER_ID": 5, "TARGETING_TYPE": "GENDER", "TARGETING_VALUE": "male", "IMPRESSION_1": 4}]}"#;
        let rows = Report::from_bytes(&json[..], None).unwrap().rows().unwrap();
        assert_eq!(rows.len(), 2);
        assert!(rows.iter().all(|r| r.date.is_none() && r.hour.is_none()));
        assert_eq!(rows[0].id_column.as_deref(), Some("ADVERTISER_ID"), "found by the key");
        assert_eq!(rows[0].targeting, Some(("GENDER".to_owned(), "female".to_owned())));
        assert_eq!(rows[1].targeting, Some(("GENDER".to_owned(), "male".to_owned())));
        assert_eq!(rows.iter().filter_map(|r| r.get_u64("IMPRESSION_1")).sum::<u64>(), 7);
        let csv =
            "AD_GROUP_ID,DATE,HOUR,TARGETING_TYPE,TARGETING_VALUE,IMPRESSION_1\n12,2025-04-01,23,AGE_BUCKET,25-34,9\n";
        let rows = Report::from_bytes(csv, None).unwrap().rows().unwrap();
        assert_eq!(rows[0].hour, Some(23));
        assert_eq!(rows[0].targeting, Some(("AGE_BUCKET".to_owned(), "25-34".to_owned())));
        assert_eq!(rows[0].entity_id, "12");
        assert_eq!(rows[0].values.keys().collect::<Vec<_>>(), ["IMPRESSION_1"]);
        // An empty report.
        assert!(Report::from_bytes("{}", None).unwrap().rows().unwrap().is_empty());
        assert!(Report::from_bytes("CAMPAIGN_ID,IMPRESSION_1\n", None).unwrap().rows().unwrap().is_empty());
    }

    #[test]
    fn csv_rows_into_your_type() {
        #[derive(serde::Deserialize)]
        struct Mine {
            #[serde(rename = "CAMPAIGN_ID")]
            campaign: String,
            #[serde(rename = "CAMPAIGN_NAME")]
            name: String,
            #[serde(rename = "IMPRESSION_1")]
            impressions: Option<u64>,
            #[serde(rename = "SPEND_IN_DOLLAR")]
            spend: f64,
        }
        let mine: Vec<Mine> = Report::from_bytes(CSV, None).unwrap().deserialize().unwrap();
        assert_eq!(mine[0].campaign, "626735565838");
        assert_eq!((mine[0].impressions, mine[0].spend), (Some(120), 3.5));
        assert_eq!((mine[1].name.as_str(), mine[1].impressions), ("007", None));
        #[derive(Debug, serde::Deserialize)]
        struct Wrong {
            #[serde(rename = "CAMPAIGN_NAME")]
            _n: u64,
        }
        let e = Report::from_bytes(CSV, None).unwrap().deserialize::<Wrong>().unwrap_err();
        assert!(matches!(e, Error::ReportFile { .. }) && e.to_string().contains("row 1"), "{e}");
    }

    #[test]
    fn bad_bytes_are_typed_errors() {
        for (bytes, format) in [
            (&b"{\"1\": [{\"A\": 1}"[..], ReportFormat::Json),
            (b"{\"1\": {\"A\": 1}}", ReportFormat::Json),
            (b"[1, 2]", ReportFormat::Json),
            (b"\xff\xfe{}", ReportFormat::Json),
            (b"A,B\n1,2,3\n", ReportFormat::Csv),
            (b"A,B\n\xff,1\n", ReportFormat::Csv),
        ] {
            let e = Report::from_bytes(bytes, Some(format)).unwrap().rows().unwrap_err();
            assert!(matches!(e, Error::ReportFile { .. }), "{e}");
            assert!(std::error::Error::source(&e).is_some(), "the cause is kept: {e}");
        }
    }

    #[test]
    fn finished_links_hide_their_signature() {
        let f = FinishedReport::from_url("https://user:pw@storage.example/r/tok.csv?X-Amz-Signature=s3cr3t&expires=9")
            .unwrap();
        assert_eq!(f.location(), "https://storage.example/r/tok.csv");
        let shown = format!("{f:?}");
        assert!(!shown.contains("s3cr3t") && !shown.contains("pw") && shown.contains("storage.example"), "{shown}");
        assert!(f.expose_url().contains("s3cr3t"));
        for bad in ["ftp://storage.example/r", "file:///etc/passwd", "http://storage.example/r", "not a url"] {
            let e = FinishedReport::from_url(bad).unwrap_err();
            assert!(matches!(e, Error::InvalidRequest { operation: DOWNLOAD, .. }), "{bad}: {e}");
        }
        assert!(FinishedReport::from_url("http://127.0.0.1:9/r?signature=x").is_ok());
    }

    #[test]
    fn transport_errors_lose_the_query() {
        let f = FinishedReport::from_url("https://storage.example/r/t?expires=1&signature=abc123").unwrap();
        let inner = TransportError::new(
            crate::error::TransportErrorKind::Connect,
            format!("error sending request for url ({})", f.expose_url()),
        );
        let e = scrub(Error::Transport(Box::new(inner)), &f);
        let mut text = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            text.push_str(&s.to_string());
            source = s.source();
        }
        assert!(!text.contains("abc123") && text.contains("https://storage.example/r/t"), "{text}");
        assert!(e.is_transport());
        // An error that names no URL keeps its own chain.
        let io = std::io::Error::other("connection reset");
        let plain = TransportError::new(crate::error::TransportErrorKind::Io, io);
        let kept = scrub(Error::Transport(Box::new(plain)), &f);
        let mut chain = std::error::Error::source(&kept);
        let mut found_io = false;
        while let Some(s) = chain {
            found_io |= s.downcast_ref::<std::io::Error>().is_some();
            chain = s.source();
        }
        assert!(found_io, "{kept:?}");
    }
}
