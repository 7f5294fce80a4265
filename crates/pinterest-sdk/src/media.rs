//! Uploading a video: register it, stream the file to the storage URL
//! Pinterest hands out, and wait until Pinterest has processed it. The media
//! id then goes into a Pin (`PinMediaSource::video_id(media_id)`).
//!
//! The file is streamed, never read into memory whole: from a path, bytes
//! you already hold, or any `AsyncRead`. The storage upload has its own
//! timeout, separate from the client's per-call ones, and reports progress.
//!
//! ```no_run
//! # async fn demo(client: pinterest_sdk::Client) -> pinterest_sdk::Result<()> {
//! use std::time::Duration;
//! use pinterest_sdk::media::VideoSource;
//! let media = client
//!     .media()
//!     .upload_video(VideoSource::path("clip.mp4"))
//!     .on_progress(|sent, total| eprintln!("{sent} of {total:?} bytes"))
//!     .upload_timeout(Duration::from_secs(30 * 60))
//!     .send()
//!     .await?;
//! println!("media {} is ready", media.media_id);
//! # Ok(()) }
//! ```
//!
//! The blocking client has the same shape, with `send()` returning the value.
//!
//! The storage upload is a `multipart/form-data` POST of the signed fields
//! Pinterest returns, then the file; it never carries the Pinterest token.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{StreamExt as _, TryStreamExt as _};
use http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderValue, Method};
use tokio::io::AsyncRead;

use crate::client::{CallMeta, Client, Payload};
use crate::config::checked_url;
use crate::error::{ApiError, Error, Result};
use crate::models::{self, MediaUploadStatus, MediaUploadType};
use crate::operation::{AuthScheme, CallOptions};
use crate::retry::RetryPolicy;
use crate::transport::Body;

/// What happened so far, for progress displays.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediaEvent {
    /// Pinterest registered the upload.
    Registered {
        /// The media id.
        media_id: String,
    },
    /// Bytes of the file sent to storage so far.
    Uploading {
        /// Sent.
        sent: u64,
        /// The file's size, when known.
        total: Option<u64>,
    },
    /// The file is stored; Pinterest processes it next.
    Uploaded,
    /// A status poll answered.
    Status(MediaUploadStatus),
}

type EventHook = Arc<dyn Fn(&MediaEvent) + Send + Sync>;

/// Where a video comes from.
pub struct VideoSource {
    data: Data,
    file_name: String,
    content_type: Option<String>,
}

enum Data {
    Path(PathBuf),
    Bytes(Bytes),
    Reader(Box<dyn AsyncRead + Send + Unpin>, Option<u64>),
}

impl std::fmt::Debug for VideoSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let data = match &self.data {
            Data::Path(p) => format!("path {}", p.display()),
            Data::Bytes(b) => format!("{} bytes", b.len()),
            Data::Reader(_, len) => format!("a reader ({len:?} bytes)"),
        };
        f.debug_struct("VideoSource").field("data", &data).field("file_name", &self.file_name).finish()
    }
}

impl VideoSource {
    /// A file, read as it is sent; its name is the file's.
    pub fn path(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("video.mp4").to_owned();
        VideoSource { data: Data::Path(path), file_name, content_type: None }
    }

    /// Bytes already in memory.
    pub fn bytes(bytes: impl Into<Bytes>, file_name: impl Into<String>) -> Self {
        VideoSource { data: Data::Bytes(bytes.into()), file_name: file_name.into(), content_type: None }
    }

    /// Any reader, read as it is sent. Give its length when you know it:
    /// storage services that need a `Content-Length` get one.
    pub fn reader(
        reader: impl AsyncRead + Send + Unpin + 'static,
        len: Option<u64>,
        file_name: impl Into<String>,
    ) -> Self {
        VideoSource { data: Data::Reader(Box::new(reader), len), file_name: file_name.into(), content_type: None }
    }

    /// The file's content type (default: the one Pinterest's upload
    /// parameters name, else `video/mp4`).
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// The file name sent to storage.
    pub fn file_name(mut self, name: impl Into<String>) -> Self {
        self.file_name = name.into();
        self
    }

    /// The chunks of the file and its length, when known.
    async fn open(self) -> Result<(futures_util::stream::BoxStream<'static, std::io::Result<Bytes>>, Option<u64>)> {
        match self.data {
            Data::Bytes(b) => {
                let len = b.len() as u64;
                Ok((futures_util::stream::once(async move { Ok(b) }).boxed(), Some(len)))
            }
            Data::Path(path) => {
                let file = tokio::fs::File::open(&path)
                    .await
                    .map_err(|e| Error::MediaSource { path: path.display().to_string(), source: e })?;
                let len = file.metadata().await.ok().map(|m| m.len());
                Ok((tokio_util::io::ReaderStream::new(file).boxed(), len))
            }
            Data::Reader(reader, len) => Ok((tokio_util::io::ReaderStream::new(reader).boxed(), len)),
        }
    }
}

/// A processed upload.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct UploadedMedia {
    /// Use it as the `media_id` of a video Pin.
    pub media_id: String,
    /// `succeeded`.
    pub status: MediaUploadStatus,
}

/// A video upload, from `client.media().upload_video(source)`: options are
/// setters, `send()` runs it.
#[must_use = "an upload does nothing until it is sent"]
pub struct VideoUpload<C> {
    c: C,
    source: VideoSource,
    poll_interval: Duration,
    upload_timeout: Duration,
    processing_timeout: Duration,
    on_event: Option<EventHook>,
}

impl<C> std::fmt::Debug for VideoUpload<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VideoUpload")
            .field("source", &self.source)
            .field("poll_interval", &self.poll_interval)
            .field("upload_timeout", &self.upload_timeout)
            .field("processing_timeout", &self.processing_timeout)
            .finish_non_exhaustive()
    }
}

impl<C: Copy> crate::ops::media::MediaApi<C> {
    /// Registers a video, streams it to storage and waits until Pinterest
    /// has processed it (see [`crate::media`]).
    pub fn upload_video(&self, source: VideoSource) -> VideoUpload<C> {
        VideoUpload {
            c: self.client(),
            source,
            poll_interval: Duration::from_secs(2),
            upload_timeout: Duration::from_secs(600),
            processing_timeout: Duration::from_secs(600),
            on_event: None,
        }
    }
}

impl<C> VideoUpload<C> {
    /// Time between status polls (default 2 s).
    pub fn poll_interval(mut self, every: Duration) -> Self {
        self.poll_interval = every;
        self
    }

    /// How long sending the file to storage may take (default 10 min),
    /// whatever the client's per-call timeouts.
    pub fn upload_timeout(mut self, timeout: Duration) -> Self {
        self.upload_timeout = timeout;
        self
    }

    /// How long to wait for Pinterest's processing (default 10 min); then
    /// [`Error::MediaProcessingTimeout`].
    pub fn processing_timeout(mut self, timeout: Duration) -> Self {
        self.processing_timeout = timeout;
        self
    }

    /// Called with the bytes sent so far and the file's size, as the file
    /// is read.
    pub fn on_progress(self, f: impl Fn(u64, Option<u64>) + Send + Sync + 'static) -> Self {
        self.on_event(move |e| {
            if let MediaEvent::Uploading { sent, total } = e {
                f(*sent, *total);
            }
        })
    }

    /// Called on every [`MediaEvent`] (replaces [`on_progress`](Self::on_progress)).
    pub fn on_event(mut self, f: impl Fn(&MediaEvent) + Send + Sync + 'static) -> Self {
        self.on_event = Some(Arc::new(f));
        self
    }
}

impl VideoUpload<&Client> {
    /// Registers, uploads and waits. Fails with [`Error::MediaFailed`] when
    /// Pinterest reports `failed` and [`Error::MediaProcessingTimeout`] when
    /// processing outlasts [`processing_timeout`](Self::processing_timeout).
    pub async fn send(self) -> Result<UploadedMedia> {
        upload(self.c, self).await
    }
}

impl VideoUpload<&crate::blocking::Client> {
    /// Registers, uploads and waits (see the async `send`).
    pub fn send(self) -> Result<UploadedMedia> {
        let client = self.c;
        client.block_on(upload(client.as_async(), self))
    }
}

/// What the upload keeps once the source is handed to the body.
struct Waiting {
    poll_interval: Duration,
    processing_timeout: Duration,
    on_event: Option<EventHook>,
}

impl Waiting {
    fn emit(&self, e: MediaEvent) {
        if let Some(f) = &self.on_event {
            f(&e);
        }
    }
}

async fn upload<C>(client: &Client, job: VideoUpload<C>) -> Result<UploadedMedia> {
    let VideoUpload { c: _, source, poll_interval, upload_timeout, processing_timeout, on_event } = job;
    let waiting = Waiting { poll_interval, processing_timeout, on_event };
    // The file first: one that cannot be read registers nothing.
    let content_type = source.content_type.clone();
    let file_name = source.file_name.clone();
    let (chunks, total) = source.open().await?;
    let registered = client.media().create(models::MediaUploadCreate::new(MediaUploadType::Video)).send().await?;
    let media_id = registered.media_id.clone();
    waiting.emit(MediaEvent::Registered { media_id: media_id.clone() });
    let url = registered
        .upload_url
        .as_deref()
        .ok_or_else(|| Error::invalid("media/create", "Pinterest returned no upload_url"))?;
    let url = checked_url(url)?;
    let fields: Vec<(String, String)> = match &registered.upload_parameters {
        Some(p) => match serde_json::to_value(p) {
            Ok(serde_json::Value::Object(map)) => {
                map.into_iter().filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_owned()))).collect()
            }
            _ => Vec::new(),
        },
        None => Vec::new(),
    };
    let content_type = content_type
        .or_else(|| fields.iter().find(|(k, _)| k == "Content-Type").map(|(_, v)| v.clone()))
        .unwrap_or_else(|| "video/mp4".into());
    let form = Multipart::new(&fields, "file", &file_name, &content_type);
    waiting.emit(MediaEvent::Uploading { sent: 0, total });
    let hook = waiting.on_event.clone();
    let mut sent = 0u64;
    let counted = chunks.map_ok(move |chunk| {
        sent += chunk.len() as u64;
        if let Some(f) = &hook {
            f(&MediaEvent::Uploading { sent, total });
        }
        chunk
    });
    let length = total.map(|t| form.len(t));
    let mut request = http::Request::new(Body::from_stream(form.wrap(counted)));
    *request.method_mut() = Method::POST;
    *request.uri_mut() =
        url.as_str().parse().map_err(|e| Error::invalid("media/upload", format!("bad upload URL: {e}")))?;
    let ct = HeaderValue::try_from(form.content_type()).map_err(|e| Error::invalid("media/upload", e.to_string()))?;
    request.headers_mut().insert(CONTENT_TYPE, ct);
    if let Some(length) = length {
        request.headers_mut().insert(CONTENT_LENGTH, HeaderValue::from(length));
    }
    // Once, with the upload's own timeout in place of the client's.
    let options = CallOptions::new().retry(RetryPolicy::never()).no_total_timeout().attempt_timeout(upload_timeout);
    let meta = CallMeta::plain("media/upload", AuthScheme::None, &options);
    let response = client.dispatch(request, meta, false).await?;
    if !response.status().is_success() {
        let (parts, body) = response.into_parts();
        let body = match body {
            Payload::Full(b) => b,
            Payload::Stream(_) => Bytes::new(),
        };
        return Err(ApiError::from_response("media/upload", parts.status, &parts.headers, &body).into());
    }
    waiting.emit(MediaEvent::Uploaded);
    wait_for(client, &media_id, &waiting).await
}

/// Polls `media/get` until the media succeeded or failed.
async fn wait_for(client: &Client, media_id: &str, waiting: &Waiting) -> Result<UploadedMedia> {
    let started = tokio::time::Instant::now();
    loop {
        let media = client.media().get(media_id).send().await?;
        let status = media.status.unwrap_or(MediaUploadStatus::Registered);
        waiting.emit(MediaEvent::Status(status.clone()));
        match status {
            MediaUploadStatus::Succeeded => return Ok(UploadedMedia { media_id: media_id.to_owned(), status }),
            MediaUploadStatus::Failed => return Err(Error::MediaFailed { media_id: media_id.to_owned() }),
            _ => {}
        }
        if started.elapsed() + waiting.poll_interval > waiting.processing_timeout {
            return Err(Error::MediaProcessingTimeout { media_id: media_id.to_owned(), waited: started.elapsed() });
        }
        tokio::time::sleep(waiting.poll_interval).await;
    }
}

/// A `multipart/form-data` body (RFC 7578) around a streamed file: the text
/// fields in order, then the file's part.
struct Multipart {
    head: Bytes,
    tail: Bytes,
    boundary: String,
}

impl Multipart {
    fn new(fields: &[(String, String)], file_field: &str, file_name: &str, file_type: &str) -> Self {
        let boundary = format!("pinterest-rs-{:032x}", rand::random::<u128>());
        let escape = |s: &str| s.replace(['"', '\r', '\n'], "_");
        let mut head = String::new();
        for (name, value) in fields {
            let _ = write!(
                head,
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{value}\r\n",
                escape(name)
            );
        }
        let _ = write!(
            head,
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
            escape(file_field),
            escape(file_name),
            escape(file_type)
        );
        let tail = format!("\r\n--{boundary}--\r\n");
        Multipart { head: Bytes::from(head), tail: Bytes::from(tail), boundary }
    }

    fn content_type(&self) -> String {
        format!("multipart/form-data; boundary={}", self.boundary)
    }

    /// The body's length for a file of `file_len` bytes.
    fn len(&self, file_len: u64) -> u64 {
        self.head.len() as u64 + file_len + self.tail.len() as u64
    }

    /// The whole body as a stream: head, the file's chunks, tail.
    fn wrap(
        &self,
        file: impl futures_core::Stream<Item = std::io::Result<Bytes>> + Send + 'static,
    ) -> impl futures_core::Stream<Item = std::io::Result<Bytes>> + Send + 'static {
        let head = futures_util::stream::once(std::future::ready(Ok(self.head.clone())));
        let tail = futures_util::stream::once(std::future::ready(Ok(self.tail.clone())));
        head.chain(file).chain(tail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn multipart_layout() {
        let fields = vec![("key".to_owned(), "uploads/1".to_owned()), ("policy".to_owned(), "p\"x".to_owned())];
        let form = Multipart::new(&fields, "file", "a.mp4", "video/mp4");
        let file = futures_util::stream::iter([Ok(Bytes::from_static(b"DA")), Ok(Bytes::from_static(b"TA"))]);
        let body: Vec<Bytes> = form.wrap(file).try_collect().await.unwrap();
        let text = String::from_utf8(body.concat()).unwrap();
        let ct = form.content_type();
        let boundary = ct.strip_prefix("multipart/form-data; boundary=").unwrap();
        let expected = format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nuploads/1\r\n\
             --{b}\r\nContent-Disposition: form-data; name=\"policy\"\r\n\r\np\"x\r\n\
             --{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.mp4\"\r\nContent-Type: video/mp4\r\n\r\nDATA\r\n\
             --{b}--\r\n",
            b = boundary
        );
        assert_eq!(text, expected);
        assert_eq!(form.len(4), expected.len() as u64);
    }
}
