//! The clients over a scripted closure transport, no server: pagination,
//! retries, timeouts, 401 handling and error decoding, async and blocking.
#![cfg(all(feature = "boards", feature = "pins", feature = "user_account"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure is the signal

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use futures_util::{StreamExt, TryStreamExt};
use pinterest_sdk::auth::TokenSource;
use pinterest_sdk::retry::RetryPolicy;
use pinterest_sdk::secret::AccessToken;
use pinterest_sdk::transport::BoxFuture;
use pinterest_sdk::{Error, TransportErrorKind, models};
use support::{Reply, Scripted, client, json, ok, status, with_headers};

fn board(id: &str) -> String {
    format!(r#"{{"id":"{id}","name":"Board {id}","privacy":"PUBLIC"}}"#)
}

fn page(ids: &[&str], bookmark: Option<&str>) -> Reply {
    let items: Vec<String> = ids.iter().map(|i| board(i)).collect();
    let bookmark = bookmark.map(|b| format!("\"{b}\"")).unwrap_or("null".into());
    ok(&format!(r#"{{"items":[{}],"bookmark":{bookmark}}}"#, items.join(",")))
}

fn bookmarks(t: &Scripted) -> Vec<Option<String>> {
    t.seen().iter().map(|s| s.query().into_iter().find(|(k, _)| k == "bookmark").map(|(_, v)| v)).collect()
}

#[tokio::test]
async fn stream_walks_three_pages_and_stops_at_a_null_bookmark() {
    let t = Scripted::new(vec![page(&["1", "2"], Some("b1")), page(&["3"], Some("b2")), page(&["4", "5"], None)]);
    let c = client(&t);
    let boards: Vec<models::Board> = c.boards().list().page_size(2).stream().try_collect().await.unwrap();
    let ids: Vec<&str> = boards.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(ids, ["1", "2", "3", "4", "5"]);
    assert_eq!(bookmarks(&t), [None, Some("b1".into()), Some("b2".into())]);
    assert!(t.seen().iter().all(|s| s.query().contains(&("page_size".into(), "2".into()))));
}

/// A page without a `bookmark` field at all (not even `null`) is the last
/// one, like a `null` bookmark: its items are handed out and nothing more is asked.
#[tokio::test]
async fn a_page_without_a_bookmark_field_is_the_last() {
    let t = Scripted::new(vec![page(&["1"], Some("b1")), ok(r#"{"items":[{"id":"2","name":"b"}]}"#)]);
    let c = client(&t);
    let pages: Vec<_> = c.boards().list().pages().try_collect().await.unwrap();
    assert_eq!(pages[1].bookmark, None);
    let ids: Vec<&str> = pages.iter().flat_map(|p| p.items.iter().map(|b| b.id.as_str())).collect();
    assert_eq!(ids, ["1", "2"]);
    assert_eq!(t.count(), 2, "no request after the page without a bookmark");
}

#[tokio::test]
async fn pages_stop_on_an_empty_bookmark() {
    let t = Scripted::new(vec![page(&["1"], Some("b1")), page(&["2"], Some(""))]);
    let pages: Vec<_> = client(&t).boards().list().pages().try_collect().await.unwrap();
    assert_eq!(pages.len(), 2);
    assert_eq!(t.count(), 2);
}

#[tokio::test]
async fn pages_stop_on_a_repeated_bookmark_with_an_error() {
    let t = Scripted::new(vec![page(&["1"], Some("b1")), page(&["2"], Some("b2")), page(&["3"], Some("b1"))]);
    let results: Vec<_> = client(&t).boards().list().stream().collect().await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 3, "the page with the repeat is handed out");
    let last = results.last().unwrap().as_ref().unwrap_err();
    assert!(matches!(last, pinterest_sdk::Error::Pagination { pages: 3, .. }), "{last:?}");
    assert_eq!(t.count(), 3, "no fourth request after the server repeated b1");
}

#[tokio::test]
async fn an_error_mid_way_is_yielded_once_and_ends_the_stream() {
    let t = Scripted::new(vec![page(&["1"], Some("b1")), status(404, r#"{"code":3,"message":"Board not found."}"#)]);
    let results: Vec<_> = client(&t).boards().list().stream().collect().await;
    assert_eq!(results.len(), 2);
    assert!(results[0].is_ok());
    let err = results[1].as_ref().unwrap_err();
    assert_eq!(err.api().unwrap().code, Some(3));
    assert_eq!(t.count(), 2);
}

#[test]
fn blocking_iterator_walks_pages() {
    let t = Scripted::new(vec![page(&["1", "2"], Some("b1")), page(&["3"], None)]);
    let c = pinterest_sdk::blocking::Client::builder()
        .access_token(AccessToken::new("test-token"))
        .transport(t.clone())
        .build()
        .unwrap();
    let ids: Vec<String> = c.boards().list().iter().map(|b| b.unwrap().id).collect();
    assert_eq!(ids, ["1", "2", "3"]);
    assert_eq!(bookmarks(&t), [None, Some("b1".into())]);
    let t2 = Scripted::new(vec![page(&["1"], Some("b1")), page(&["2"], None)]);
    let c2 = pinterest_sdk::blocking::Client::builder()
        .access_token(AccessToken::new("test-token"))
        .transport(t2.clone())
        .build()
        .unwrap();
    assert_eq!(c2.boards().list().pages().count(), 2);
}

/// The blocking client's runtime is driven by its callers, and by a helper
/// thread while no call is under way: a task left running by a call (a
/// save retried in the background, say) finishes between calls.
#[test]
fn blocking_background_work_goes_on_between_calls() {
    let c = pinterest_sdk::blocking::Client::builder().access_token(AccessToken::new("t")).build().unwrap();
    let done = Arc::new(AtomicUsize::new(0));
    let flag = done.clone();
    c.block_on(async move {
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(30)).await;
            flag.fetch_add(1, Ordering::SeqCst);
        });
        Ok(())
    })
    .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while done.load(Ordering::SeqCst) == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(done.load(Ordering::SeqCst), 1, "the task ran with no call under way");
    // And the runtime is handed back at once when a call comes.
    let started = std::time::Instant::now();
    c.block_on(async { Ok(()) }).unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// Many threads share one blocking client: they take turns driving its
/// runtime, and each gets its own answer.
#[test]
fn blocking_calls_from_many_threads_each_get_their_answer() {
    let t = pinterest_sdk::transport::from_async_fn(|req: http::Request<bytes::Bytes>| async move {
        // An answer that takes a while, so that the calls overlap.
        tokio::time::sleep(Duration::from_millis(2)).await;
        let id = req.uri().path().rsplit('/').next().unwrap_or_default().to_owned();
        Ok(http::Response::new(bytes::Bytes::from(format!(r#"{{"id":"{id}"}}"#))))
    });
    let c =
        pinterest_sdk::blocking::Client::builder().access_token(AccessToken::new("t")).transport(t).build().unwrap();
    std::thread::scope(|s| {
        let threads: Vec<_> = (0..8)
            .map(|n| {
                let c = c.clone();
                s.spawn(move || {
                    for i in 0..25 {
                        let id = format!("{n}-{i}");
                        assert_eq!(c.pins().get(id.clone()).send().unwrap().id, id);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
    });
}

/// Dropping the last clone, on any thread, ends the runtime without a panic,
/// also while the idle thread drives it.
#[test]
fn blocking_client_drops_cleanly() {
    for pause in [0, 120] {
        let c = pinterest_sdk::blocking::Client::builder().access_token(AccessToken::new("t")).build().unwrap();
        c.block_on(async { Ok(()) }).unwrap();
        std::thread::sleep(Duration::from_millis(pause));
        let c2 = c.clone();
        drop(c);
        std::thread::spawn(move || drop(c2)).join().unwrap();
    }
}
#[tokio::test]
async fn page_size_out_of_range_is_refused_before_sending() {
    let t = Scripted::new(vec![]);
    let c = client(&t);
    for bad in [0, 251, -1] {
        let err = c.boards().list().page_size(bad).send().await.unwrap_err();
        assert!(matches!(err, Error::InvalidRequest { operation: "boards/list", .. }), "{err:?}");
        let first = c.boards().list().page_size(bad).stream().next().await.unwrap();
        assert!(matches!(first, Err(Error::InvalidRequest { .. })));
    }
    let sent = c.boards().list().page_size(250).retry(RetryPolicy::never()).send().await;
    let status = sent.unwrap_err().status();
    assert_eq!(status.map(|s| s.as_u16()), Some(599), "the script is empty, so this one is sent and answered 599");
    assert_eq!(t.count(), 1, "only the valid page_size reached the wire");
}

#[tokio::test(start_paused = true)]
async fn retry_after_in_seconds_is_honoured() {
    let t = Scripted::new(vec![
        Reply::Response(with_headers(
            json(429, r#"{"code":8,"message":"Too many requests"}"#),
            &[("retry-after", "3".into())],
        )),
        ok(r#"{"username":"ada"}"#),
    ]);
    let me = client(&t).user_account().get().send().await.unwrap();
    assert_eq!(me.username.as_deref(), Some("ada"));
    let seen = t.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].at - seen[0].at, Duration::from_secs(3));
}

#[tokio::test(start_paused = true)]
async fn retry_after_as_an_http_date_is_honoured() {
    let when = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(5));
    let t = Scripted::new(vec![
        Reply::Response(with_headers(json(503, "{}"), &[("retry-after", when)])),
        ok(r#"{"username":"ada"}"#),
    ]);
    client(&t).user_account().get().send().await.unwrap();
    let seen = t.seen();
    let waited = seen[1].at - seen[0].at;
    assert!(waited > Duration::from_secs(3) && waited <= Duration::from_secs(5), "{waited:?}");
}

async fn waits_with_seed(seed: u64) -> Vec<Duration> {
    let t = Scripted::new(vec![status(500, "{}"), status(502, "{}"), status(503, "{}"), ok(r#"{"username":"ada"}"#)]);
    let policy = RetryPolicy::default().max_attempts(4).initial_backoff(Duration::from_millis(100));
    let c = pinterest_sdk::Client::builder()
        .access_token(AccessToken::new("t"))
        .transport(t.clone())
        .jitter_seed(seed)
        .config(pinterest_sdk::Config::builder().retry(policy).build().unwrap())
        .build()
        .unwrap();
    c.user_account().get().send().await.unwrap();
    let seen = t.seen();
    seen.windows(2).map(|w| w[1].at - w[0].at).collect()
}

#[tokio::test(start_paused = true)]
async fn backoff_is_full_jitter_under_the_exponential_ceiling_and_seeded() {
    let waits = waits_with_seed(42).await;
    assert_eq!(waits.len(), 3);
    for (i, w) in waits.iter().enumerate() {
        let ceiling = Duration::from_millis(100) * 2u32.pow(i as u32);
        assert!(*w <= ceiling, "wait {i} = {w:?} > {ceiling:?}");
    }
    assert_eq!(waits, waits_with_seed(42).await, "same seed, same waits");
    assert_ne!(waits, waits_with_seed(43).await, "another seed, other waits");
}

#[tokio::test(start_paused = true)]
async fn a_post_that_got_a_500_is_not_sent_twice() {
    let t = Scripted::new(vec![status(500, r#"{"code":1,"message":"boom"}"#), ok("{}")]);
    let body = models::PinCreate::new("1", models::PinMediaSource::image_url("https://example.com/a.jpg"));
    let err = client(&t).pins().create(body).send().await.unwrap_err();
    assert_eq!(err.status(), Some(http::StatusCode::INTERNAL_SERVER_ERROR));
    assert_eq!(t.count(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_spam_429_is_not_retried() {
    let t = Scripted::new(vec![status(429, r#"{"code":8,"message":"Request blocked to prevent spam"}"#), ok("{}")]);
    let err = client(&t).user_account().get().send().await.unwrap_err();
    assert!(err.api().unwrap().is_spam());
    assert_eq!(t.count(), 1);
}

#[tokio::test(start_paused = true)]
async fn connection_failures_are_retried_for_get() {
    let t = Scripted::new(vec![
        Reply::Fail(TransportErrorKind::Connect),
        Reply::Fail(TransportErrorKind::Io),
        ok(r#"{"username":"ada"}"#),
    ]);
    assert!(client(&t).user_account().get().send().await.is_ok());
    assert_eq!(t.count(), 3);
}

#[tokio::test(start_paused = true)]
async fn per_request_retry_override() {
    let t = Scripted::new(vec![status(503, "{}"), ok("{}")]);
    let err = client(&t).user_account().get().retry(RetryPolicy::never()).send().await.unwrap_err();
    assert_eq!(err.status(), Some(http::StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(t.count(), 1);
}

#[tokio::test(start_paused = true)]
async fn an_attempt_that_times_out_is_retried() {
    let t =
        Scripted::new(vec![Reply::Delayed(Duration::from_secs(20), Box::new(ok("{}"))), ok(r#"{"username":"ada"}"#)]);
    let c = pinterest_sdk::Client::builder()
        .access_token(AccessToken::new("t"))
        .transport(t.clone())
        .config(pinterest_sdk::Config::builder().attempt_timeout(Duration::from_secs(5)).build().unwrap())
        .build()
        .unwrap();
    let me = c.user_account().get().send().await.unwrap();
    assert_eq!(me.username.as_deref(), Some("ada"));
    let seen = t.seen();
    assert_eq!(seen.len(), 2);
    assert!(seen[1].at - seen[0].at >= Duration::from_secs(5), "the retry came after the attempt's 5 s");
}

#[tokio::test(start_paused = true)]
async fn the_total_budget_ends_the_call_with_a_timeout() {
    let slow = || Reply::Delayed(Duration::from_secs(20), Box::new(ok("{}")));
    let t = Scripted::new(vec![slow(), slow(), slow()]);
    let c = pinterest_sdk::Client::builder()
        .access_token(AccessToken::new("t"))
        .transport(t.clone())
        .config(
            pinterest_sdk::Config::builder()
                .attempt_timeout(Duration::from_secs(5))
                .total_timeout(Duration::from_secs(12))
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let started = tokio::time::Instant::now();
    let err = c.user_account().get().send().await.unwrap_err();
    assert!(matches!(err, Error::Timeout { operation: "user_account/get", .. }), "{err:?}");
    assert!(started.elapsed() <= Duration::from_secs(12));
    assert!(t.count() >= 2, "attempt timeouts were retried within the budget");
}

/// Hands out `t1`; after a 401 on `t1`, hands out `t2`.
struct Rotating(AtomicUsize);

impl TokenSource for Rotating {
    fn token(&self) -> BoxFuture<'_, pinterest_sdk::Result<AccessToken>> {
        let n = self.0.load(Ordering::SeqCst);
        Box::pin(async move { Ok(AccessToken::new(format!("t{}", n + 1))) })
    }
    fn on_unauthorized<'a>(&'a self, rejected: &'a AccessToken) -> BoxFuture<'a, pinterest_sdk::Result<bool>> {
        let first = rejected.expose_secret() == "t1";
        if first {
            self.0.store(1, Ordering::SeqCst);
        }
        Box::pin(async move { Ok(first) })
    }
}

#[tokio::test]
async fn a_401_gets_one_new_token_and_one_more_try() {
    let t = Scripted::new(vec![status(401, r#"{"code":2,"message":"Authentication failed."}"#), ok("{}")]);
    let c = pinterest_sdk::Client::builder()
        .token_source(Arc::new(Rotating(AtomicUsize::new(0))))
        .transport(t.clone())
        .build()
        .unwrap();
    c.user_account().get().send().await.unwrap();
    let auth: Vec<_> = t.seen().iter().map(|s| s.header("authorization").unwrap().to_owned()).collect();
    assert_eq!(auth, ["Bearer t1", "Bearer t2"]);

    // A second 401 is final.
    let t = Scripted::new(vec![status(401, "{}"), status(401, "{}"), ok("{}")]);
    let c = pinterest_sdk::Client::builder()
        .token_source(Arc::new(Rotating(AtomicUsize::new(0))))
        .transport(t.clone())
        .build()
        .unwrap();
    let err = c.user_account().get().send().await.unwrap_err();
    assert!(err.needs_reauthorization());
    assert_eq!(t.count(), 2);
}

#[tokio::test]
async fn no_token_fails_before_sending() {
    let t = Scripted::new(vec![]);
    let c = pinterest_sdk::Client::builder().transport(t.clone()).build().unwrap();
    assert!(matches!(c.user_account().get().send().await, Err(Error::NotAuthenticated)));
    assert_eq!(t.count(), 0);
}

#[tokio::test]
async fn error_bodies_decode_whatever_their_shape() {
    let t = Scripted::new(vec![
        status(404, r#"{"code":3,"message":"Pin not found."}"#),
        Reply::Response(
            http::Response::builder()
                .status(502)
                .body(bytes::Bytes::from_static(b"<html><h1>502 Bad Gateway</h1></html>"))
                .unwrap(),
        ),
        status(400, ""),
        status(400, r#"{"code":1,"mess"#),
        ok(r#"{"id":"1","board_id":"#),
        ok(r#"{"id":1}"#),
    ]);
    let c = client(&t).clone();
    let no_retry = || RetryPolicy::never();
    let e = c.pins().get("1").send().await.unwrap_err();
    let api = e.api().unwrap();
    assert_eq!(
        (api.code, api.message.as_deref(), api.request_id.as_deref()),
        (Some(3), Some("Pin not found."), Some("rid-test"))
    );
    assert_eq!(e.request_id(), Some("rid-test"));

    let e = c.pins().get("1").retry(no_retry()).send().await.unwrap_err();
    assert_eq!(e.api().unwrap().body.as_deref(), Some("<html><h1>502 Bad Gateway</h1></html>"));

    let e = c.pins().get("1").send().await.unwrap_err();
    let api = e.api().unwrap();
    assert_eq!((api.code, api.message.as_deref(), api.body.as_deref()), (None, None, None));

    let e = c.pins().get("1").send().await.unwrap_err();
    assert_eq!(e.api().unwrap().body.as_deref(), Some(r#"{"code":1,"mess"#));

    let e = c.pins().get("1").send().await.unwrap_err();
    let Error::Decode(d) = &e else { panic!("{e:?}") };
    assert_eq!(&d.body[..], br#"{"id":"1","board_id":"#);
    assert!(std::error::Error::source(&e).is_some());

    let e = c.pins().get("1").send().await.unwrap_err();
    let Error::Decode(d) = &e else { panic!("{e:?}") };
    assert_eq!(d.path, "id");
    assert!(e.to_string().contains("`pins/get`"), "{e}");
}

#[tokio::test]
async fn the_blocking_client_refuses_to_run_inside_a_runtime() {
    let t = Scripted::new(vec![ok("{}")]);
    let c = pinterest_sdk::blocking::Client::builder()
        .access_token(AccessToken::new("t"))
        .transport(t.clone())
        .build()
        .unwrap();
    assert!(matches!(c.user_account().get().send(), Err(Error::BlockingInAsyncContext)));
    assert_eq!(t.count(), 0);
    drop(c); // dropping its runtime here must not panic either
}

#[test]
fn clients_are_send_sync_clone() {
    fn check<T: Send + Sync + Clone + 'static>() {}
    check::<pinterest_sdk::Client>();
    check::<pinterest_sdk::blocking::Client>();
}

fn registered(upload_url: &str) -> Reply {
    ok(&format!(
        r#"{{"media_id":"555","media_type":"video","upload_url":"{upload_url}","upload_parameters":{{"key":"uploads/555","policy":"pol","x-amz-signature":"sig","Content-Type":"video/mp4"}}}}"#
    ))
}

#[tokio::test(start_paused = true)]
async fn video_upload_registers_streams_without_the_token_and_polls() {
    use pinterest_sdk::media::{MediaEvent, VideoSource};
    let t = Scripted::new(vec![
        registered("https://uploads.example.com/"),
        status(204, ""),
        ok(r#"{"media_id":"555","media_type":"video","status":"processing"}"#),
        ok(r#"{"media_id":"555","media_type":"video","status":"succeeded"}"#),
    ]);
    let events = Arc::new(std::sync::Mutex::new(Vec::new()));
    let e = events.clone();
    let c = client(&t);
    let done = c
        .media()
        .upload_video(VideoSource::bytes(bytes::Bytes::from_static(b"MP4DATA"), "clip.mp4"))
        .poll_interval(Duration::from_secs(1))
        .on_event(move |ev| e.lock().unwrap().push(ev.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(done.media_id, "555");
    let seen = t.seen();
    assert_eq!(seen.len(), 4);
    assert_eq!(seen[0].uri, "https://api.pinterest.com/v5/media");
    assert_eq!(&seen[0].body[..], br#"{"media_type":"video"}"#);
    let upload = &seen[1];
    assert_eq!((upload.method.as_str(), upload.uri.as_str()), ("POST", "https://uploads.example.com/"));
    assert_eq!(upload.header("authorization"), None, "the Pinterest token never goes to storage");
    assert!(upload.header("content-type").unwrap().starts_with("multipart/form-data; boundary="));
    assert_eq!(upload.header("content-length"), Some(upload.body.len().to_string().as_str()));
    let body = String::from_utf8_lossy(&upload.body);
    assert!(body.contains("name=\"key\"\r\n\r\nuploads/555\r\n"));
    assert!(body.contains("name=\"x-amz-signature\"\r\n\r\nsig\r\n"));
    assert!(
        body.find("name=\"file\"; filename=\"clip.mp4\"").unwrap() > body.find("name=\"key\"").unwrap(),
        "file last"
    );
    assert!(body.contains("Content-Type: video/mp4\r\n\r\nMP4DATA\r\n"));
    assert_eq!(seen[2].uri, "https://api.pinterest.com/v5/media/555");
    assert_eq!(seen[3].at - seen[2].at, Duration::from_secs(1));
    let events = events.lock().unwrap().clone();
    assert_eq!(events.first(), Some(&MediaEvent::Registered { media_id: "555".into() }));
    assert!(events.contains(&MediaEvent::Uploading { sent: 7, total: Some(7) }));
    assert!(events.contains(&MediaEvent::Uploaded));
    assert_eq!(events.last(), Some(&MediaEvent::Status(models::MediaUploadStatus::Succeeded)));
}

#[tokio::test(start_paused = true)]
async fn video_upload_streams_a_file_and_reports_progress() {
    use pinterest_sdk::media::VideoSource;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.mp4");
    // Larger than one read of the file, so that it arrives in several chunks.
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &data).unwrap();
    let t = Scripted::new(vec![
        registered("https://uploads.example.com/"),
        status(204, ""),
        ok(r#"{"media_id":"555","media_type":"video","status":"succeeded"}"#),
    ]);
    let progress = Arc::new(std::sync::Mutex::new(Vec::new()));
    let p = progress.clone();
    let c = client(&t);
    c.media()
        .upload_video(VideoSource::path(&path))
        .on_progress(move |sent, total| p.lock().unwrap().push((sent, total)))
        .send()
        .await
        .unwrap();
    let progress = progress.lock().unwrap().clone();
    assert!(progress.len() > 2, "progress as the file is read: {progress:?}");
    assert_eq!(progress.first(), Some(&(0, Some(300_000))));
    assert_eq!(progress.last(), Some(&(300_000, Some(300_000))));
    assert!(progress.windows(2).all(|w| w[0].0 <= w[1].0));
    let upload = &t.seen()[1];
    assert!(upload.body.windows(data.len()).any(|w| w == &data[..]), "the file went out whole");
    assert!(String::from_utf8_lossy(&upload.body).contains("filename=\"big.mp4\""));
}

#[tokio::test(start_paused = true)]
async fn video_upload_failures() {
    use pinterest_sdk::media::VideoSource;
    let file = || VideoSource::bytes(bytes::Bytes::from_static(b"x"), "a.mp4");
    // Processing failed.
    let t = Scripted::new(vec![
        registered("https://u.example/"),
        status(204, ""),
        ok(r#"{"media_id":"555","media_type":"video","status":"failed"}"#),
    ]);
    let err = client(&t).media().upload_video(file()).send().await.unwrap_err();
    assert!(matches!(err, Error::MediaFailed { ref media_id } if media_id == "555"), "{err:?}");
    // Storage refused the file (S3 answers XML).
    let t =
        Scripted::new(vec![registered("https://u.example/"), status(403, "<Error><Code>AccessDenied</Code></Error>")]);
    let err = client(&t).media().upload_video(file()).send().await.unwrap_err();
    assert_eq!(err.api().unwrap().body.as_deref(), Some("<Error><Code>AccessDenied</Code></Error>"));
    assert_eq!(t.count(), 2, "a failed upload is not re-sent");
    // A plain-http upload URL off loopback is refused before the file goes anywhere.
    let t = Scripted::new(vec![registered("http://uploads.example.com/")]);
    let err = client(&t).media().upload_video(file()).send().await.unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert_eq!(t.count(), 1);
    // A file that is not there: a typed error before anything is sent.
    let t = Scripted::new(vec![registered("https://u.example/")]);
    let err = client(&t).media().upload_video(VideoSource::path("/nonexistent/clip.mp4")).send().await.unwrap_err();
    assert!(matches!(err, Error::MediaSource { .. }), "{err:?}");
    assert_eq!(t.count(), 0, "nothing was registered");
    // Processing that never ends: its own error, with the media id to poll later.
    let processing = || ok(r#"{"media_id":"555","media_type":"video","status":"processing"}"#);
    let mut replies = vec![registered("https://u.example/"), status(204, "")];
    replies.extend((0..20).map(|_| processing()));
    let t = Scripted::new(replies);
    let err = client(&t)
        .media()
        .upload_video(file())
        .poll_interval(Duration::from_secs(5))
        .processing_timeout(Duration::from_secs(30))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::MediaProcessingTimeout { ref media_id, .. } if media_id == "555"), "{err:?}");
    // The storage upload has its own timeout, not the client's per-attempt one.
    let slow_storage = Reply::Delayed(Duration::from_secs(45), Box::new(status(204, "")));
    let t = Scripted::new(vec![
        registered("https://u.example/"),
        slow_storage,
        ok(r#"{"media_id":"555","media_type":"video","status":"succeeded"}"#),
    ]);
    let c = pinterest_sdk::Client::builder()
        .access_token(AccessToken::new("t"))
        .transport(t.clone())
        .config(pinterest_sdk::Config::builder().attempt_timeout(Duration::from_secs(30)).build().unwrap())
        .build()
        .unwrap();
    let done = c.media().upload_video(file()).upload_timeout(Duration::from_secs(60)).send().await;
    assert!(done.is_ok(), "a 45 s upload fits its 60 s timeout: {done:?}");
    let t = Scripted::new(vec![
        registered("https://u.example/"),
        Reply::Delayed(Duration::from_secs(45), Box::new(status(204, ""))),
    ]);
    let c = pinterest_sdk::Client::builder().access_token(AccessToken::new("t")).transport(t.clone()).build().unwrap();
    let err = c.media().upload_video(file()).upload_timeout(Duration::from_secs(10)).send().await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
}

#[test]
fn the_blocking_upload_has_the_same_shape() {
    use pinterest_sdk::media::VideoSource;
    let t = Scripted::new(vec![
        registered("https://uploads.example.com/"),
        status(204, ""),
        ok(r#"{"media_id":"555","media_type":"video","status":"succeeded"}"#),
    ]);
    let c = pinterest_sdk::blocking::Client::builder()
        .access_token(AccessToken::new("t"))
        .transport(t.clone())
        .build()
        .unwrap();
    let sent = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let s = sent.clone();
    let done = c
        .media()
        .upload_video(VideoSource::bytes(bytes::Bytes::from_static(b"MP4DATA"), "clip.mp4"))
        .on_progress(move |n, _| s.store(n, std::sync::atomic::Ordering::SeqCst))
        .poll_interval(Duration::from_millis(1))
        .send()
        .unwrap();
    assert_eq!(done.media_id, "555");
    assert_eq!(sent.load(std::sync::atomic::Ordering::SeqCst), 7);
    assert_eq!(t.count(), 3);
}
