//! The `pinterest.call` span says which call it was: operation, status,
//! attempts and Pinterest's request id.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure is the signal

mod support;

use support::{Capture, Scripted, client, ok, status};

#[test]
fn the_call_span_records_the_request_id() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(capture.clone())
        .with_ansi(false)
        .finish();
    // Global, in a test binary of its own (tracing caches callsite interest).
    tracing::subscriber::set_global_default(subscriber).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let t = Scripted::new(vec![ok(r#"{"username":"ada"}"#), status(404, r#"{"code":3,"message":"no"}"#)]);
        let c = client(&t);
        c.user_account().get().send().await.unwrap();
        c.pins().get("1").send().await.unwrap_err();
    });
    let log = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    let closes: Vec<&str> = log.lines().filter(|l| l.contains("pinterest.call") && l.contains("close")).collect();
    assert_eq!(closes.len(), 2, "{log}");
    assert!(closes[0].contains("operation=\"user_account/get\""), "{}", closes[0]);
    assert!(closes[0].contains("rate_limit_category=\"org_read\""), "{}", closes[0]);
    assert!(closes[0].contains("status=200") && closes[0].contains("request_id=\"rid-test\""), "{}", closes[0]);
    assert!(closes[1].contains("status=404") && closes[1].contains("request_id=\"rid-test\""), "{}", closes[1]);
    assert!(!log.contains("test-token"), "the token never reaches the log");
}
