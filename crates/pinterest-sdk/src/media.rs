//! Uploading a video: register it, send the file to the storage URL Pinterest
//! hands out, and wait until Pinterest has processed it. The media id can
//! then be used for a Pin (`PinMediaSourceVideoID`).
//!
//! ```no_run
//! # async fn demo(client: pinterest_sdk::Client) -> pinterest_sdk::Result<()> {
//! use pinterest_sdk::media::{UploadOptions, upload_video};
//! let bytes = bytes::Bytes::from(std::fs::read("clip.mp4").unwrap_or_default());
//! let done = upload_video(&client, bytes, "clip.mp4", UploadOptions::default()).await?;
//! println!("media {} is ready", done.media_id);
//! # Ok(()) }
//! ```
//!
//! The storage upload is a `multipart/form-data` POST of the signed fields
//! Pinterest returns, then the file; it never carries the Pinterest token.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Method};

use crate::client::{CallMeta, Client};
use crate::config::checked_url;
use crate::error::{ApiError, Error, Result};
use crate::models::{self, MediaUploadStatus, MediaUploadType};
use crate::operation::{AuthScheme, CallOptions};
use crate::retry::RetryPolicy;

/// What happened so far, for progress displays.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediaEvent {
    /// Pinterest registered the upload.
    Registered {
        /// The media id.
        media_id: String,
    },
    /// Bytes sent to storage so far, of the total.
    Uploading {
        /// Sent.
        sent: u64,
        /// Total.
        total: u64,
    },
    /// The file is stored; Pinterest processes it next.
    Uploaded,
    /// A status poll answered.
    Status(MediaUploadStatus),
}

/// A callback for [`MediaEvent`]s.
pub type EventHook = Arc<dyn Fn(&MediaEvent) + Send + Sync>;

/// Options of an upload.
#[derive(Clone)]
#[non_exhaustive]
pub struct UploadOptions {
    /// Time between status polls.
    pub poll_interval: Duration,
    /// How long to wait for processing in all.
    pub processing_timeout: Duration,
    /// Called on every [`MediaEvent`].
    pub on_event: Option<EventHook>,
}

impl std::fmt::Debug for UploadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadOptions")
            .field("poll_interval", &self.poll_interval)
            .field("processing_timeout", &self.processing_timeout)
            .finish_non_exhaustive()
    }
}

impl Default for UploadOptions {
    fn default() -> Self {
        UploadOptions {
            poll_interval: Duration::from_secs(2),
            processing_timeout: Duration::from_secs(600),
            on_event: None,
        }
    }
}

impl UploadOptions {
    /// Sets the poll interval.
    pub fn poll_interval(mut self, every: Duration) -> Self {
        self.poll_interval = every;
        self
    }

    /// Sets the processing timeout.
    pub fn processing_timeout(mut self, timeout: Duration) -> Self {
        self.processing_timeout = timeout;
        self
    }

    /// Sets the event callback.
    pub fn on_event(mut self, f: impl Fn(&MediaEvent) + Send + Sync + 'static) -> Self {
        self.on_event = Some(Arc::new(f));
        self
    }

    fn emit(&self, e: MediaEvent) {
        if let Some(f) = &self.on_event {
            f(&e);
        }
    }
}

/// A processed upload.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct UploadedMedia {
    /// Use it as `media_id` of a video Pin.
    pub media_id: String,
    /// `succeeded`.
    pub status: MediaUploadStatus,
}

/// Encodes a `multipart/form-data` body (RFC 7578): the text fields in order,
/// then the file. Returns the body and its content type.
pub fn multipart(
    fields: &[(String, String)],
    file_field: &str,
    file_name: &str,
    file_type: &str,
    file: &[u8],
) -> (Bytes, String) {
    let boundary = format!("pinterest-rs-{:032x}", rand::random::<u128>());
    let escape = |s: &str| s.replace(['"', '\r', '\n'], "_");
    let mut body = BytesMut::with_capacity(file.len() + 512 * (fields.len() + 1));
    for (name, value) in fields {
        let mut head = String::new();
        let _ = write!(head, "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n", escape(name));
        body.put_slice(head.as_bytes());
        body.put_slice(value.as_bytes());
        body.put_slice(b"\r\n");
    }
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
        escape(file_field),
        escape(file_name),
        escape(file_type)
    );
    body.put_slice(head.as_bytes());
    body.put_slice(file);
    body.put_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (body.freeze(), format!("multipart/form-data; boundary={boundary}"))
}

/// Registers, uploads and waits for a video. Fails with
/// [`Error::MediaFailed`] when Pinterest reports `failed`, and with
/// [`Error::Timeout`] when processing outlasts the options' timeout.
pub async fn upload_video(
    client: &Client,
    file: Bytes,
    file_name: &str,
    options: UploadOptions,
) -> Result<UploadedMedia> {
    let registered = client.media().create(models::MediaUploadCreate::new(MediaUploadType::Video)).send().await?;
    let media_id = registered.media_id.clone();
    options.emit(MediaEvent::Registered { media_id: media_id.clone() });
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
    let content_type =
        fields.iter().find(|(k, _)| k == "Content-Type").map(|(_, v)| v.clone()).unwrap_or_else(|| "video/mp4".into());
    let total = file.len() as u64;
    options.emit(MediaEvent::Uploading { sent: 0, total });
    let (body, multipart_type) = multipart(&fields, "file", file_name, &content_type, &file);
    let mut request = http::Request::new(body);
    *request.method_mut() = Method::POST;
    *request.uri_mut() =
        url.as_str().parse().map_err(|e| Error::invalid("media/upload", format!("bad upload URL: {e}")))?;
    let ct = HeaderValue::try_from(multipart_type).map_err(|e| Error::invalid("media/upload", e.to_string()))?;
    request.headers_mut().insert(CONTENT_TYPE, ct);
    let once = CallOptions { retry: Some(RetryPolicy::never()), ..CallOptions::default() };
    let meta = CallMeta { id: "media/upload", auth: AuthScheme::None, options: &once };
    let response = client.dispatch(request, meta).await?;
    if !response.status().is_success() {
        let (parts, body) = response.into_parts();
        return Err(ApiError::from_response("media/upload", parts.status, &parts.headers, &body).into());
    }
    options.emit(MediaEvent::Uploading { sent: total, total });
    options.emit(MediaEvent::Uploaded);
    wait_for(client, &media_id, &options).await
}

/// Polls `media/get` until the media succeeded or failed.
pub async fn wait_for(client: &Client, media_id: &str, options: &UploadOptions) -> Result<UploadedMedia> {
    let started = tokio::time::Instant::now();
    loop {
        let media = client.media().get(media_id).send().await?;
        let status = media.status.unwrap_or(MediaUploadStatus::Registered);
        options.emit(MediaEvent::Status(status.clone()));
        match status {
            MediaUploadStatus::Succeeded => return Ok(UploadedMedia { media_id: media_id.to_owned(), status }),
            MediaUploadStatus::Failed => return Err(Error::MediaFailed { media_id: media_id.to_owned() }),
            _ => {}
        }
        if started.elapsed() + options.poll_interval > options.processing_timeout {
            return Err(Error::Timeout { operation: "media/get", elapsed: started.elapsed() });
        }
        tokio::time::sleep(options.poll_interval).await;
    }
}

impl crate::blocking::Client {
    /// See [`upload_video`].
    pub fn upload_video(&self, file: Bytes, file_name: &str, options: UploadOptions) -> Result<UploadedMedia> {
        self.block_on(upload_video(self.as_async(), file, file_name, options))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_layout() {
        let fields = vec![("key".to_owned(), "uploads/1".to_owned()), ("policy".to_owned(), "p\"x".to_owned())];
        let (body, ct) = multipart(&fields, "file", "a.mp4", "video/mp4", b"DATA");
        let boundary = ct.strip_prefix("multipart/form-data; boundary=").unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        let expected = format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nuploads/1\r\n\
             --{b}\r\nContent-Disposition: form-data; name=\"policy\"\r\n\r\np\"x\r\n\
             --{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.mp4\"\r\nContent-Type: video/mp4\r\n\r\nDATA\r\n\
             --{b}--\r\n",
            b = boundary
        );
        assert_eq!(text, expected);
    }
}
