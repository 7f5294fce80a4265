//! The SDK's async report helper (`pinterest_sdk::reports`) against the
//! emulator: every level in both formats, typed rows that add up to the ad
//! account's analytics, the blocking client, gzip by `Content-Encoding` and
//! as plain bytes, expired links (an error, or renewed), failures and
//! timeouts, and the bearer token never sent to storage.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure is the signal

use std::io::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pinterest_emulator::{Emulator, EmulatorBuilder, EmulatorHandle};
use pinterest_sdk::models::{AdsAnalyticsCreateAsyncRequest, DataOutputFormat, Granularity, MetricsReportingLevel};
use pinterest_sdk::reports::{FinishedReport, ReportEvent, ReportFormat};
use pinterest_sdk::secret::AccessToken;
use pinterest_sdk::transport::{Body, BoxFuture, HyperTransport, Transport, TransportResult};
use pinterest_sdk::{Client, Config, Error};

/// One request as the transport saw it, with its answer's head.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    authorization: bool,
    accept_encoding: Option<String>,
    status: u16,
    content_encoding: Option<String>,
}

impl Seen {
    fn is_download(&self) -> bool {
        self.path.starts_with("/_emulator/reports/") || self.path.starts_with("/files/")
    }
}

/// The real transport, recording what goes out and holding the next
/// download back when asked (to let its link expire on the way).
struct Recording {
    inner: HyperTransport,
    seen: Arc<Mutex<Vec<Seen>>>,
    hold_next_download: Arc<Mutex<Option<Duration>>>,
}

impl Transport for Recording {
    fn send(&self, request: http::Request<Body>) -> BoxFuture<'_, TransportResult> {
        Box::pin(async move {
            let header = |r: &http::HeaderMap, name: &str| r.get(name).map(|v| v.to_str().unwrap().to_owned());
            let path = request.uri().path().to_owned();
            let authorization = request.headers().contains_key("authorization");
            let accept_encoding = header(request.headers(), "accept-encoding");
            if path.starts_with("/_emulator/reports/") {
                let hold = self.hold_next_download.lock().unwrap().take();
                if let Some(hold) = hold {
                    tokio::time::sleep(hold).await;
                }
            }
            let response = self.inner.send(request).await?;
            self.seen.lock().unwrap().push(Seen {
                path,
                authorization,
                accept_encoding,
                status: response.status().as_u16(),
                content_encoding: header(response.headers(), "content-encoding"),
            });
            Ok(response)
        })
    }
}

struct Setup {
    e: EmulatorHandle,
    client: Client,
    seen: Arc<Mutex<Vec<Seen>>>,
    hold_next_download: Arc<Mutex<Option<Duration>>>,
    owned: String,
    shared: String,
}

impl Setup {
    async fn start(builder: EmulatorBuilder) -> Setup {
        let e = builder.seed(5).start().await.unwrap();
        let (client, seen, hold_next_download) = client_for(&e);
        let accounts = client.ad_accounts().list().send().await.unwrap().items;
        let owned = accounts.iter().find(|a| is_owner(a)).unwrap().id.clone();
        let shared = accounts.iter().find(|a| !is_owner(a)).unwrap().id.clone();
        seen.lock().unwrap().clear();
        Setup { e, client, seen, hold_next_download, owned, shared }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn is_owner(a: &pinterest_sdk::models::AdAccount) -> bool {
    a.permissions.as_ref().is_some_and(|p| p.contains(&pinterest_sdk::models::BusinessAccessRole::Owner))
}

type Recorded = (Client, Arc<Mutex<Vec<Seen>>>, Arc<Mutex<Option<Duration>>>);

fn client_for(e: &EmulatorHandle) -> Recorded {
    pinterest_sdk::internal::install_crypto_provider();
    let base = e.base_url();
    let config = Config::builder().api_host(&base).oauth_host(&base).build().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let hold = Arc::new(Mutex::new(None));
    let transport = Recording {
        inner: HyperTransport::new(&config).unwrap(),
        seen: seen.clone(),
        hold_next_download: hold.clone(),
    };
    let client = Client::builder()
        .config(config)
        .access_token(AccessToken::new(e.issue_token(&["ads:read"])))
        .transport(transport)
        .build()
        .unwrap();
    (client, seen, hold)
}

fn request(
    level: &MetricsReportingLevel,
    format: DataOutputFormat,
    granularity: Granularity,
) -> AdsAnalyticsCreateAsyncRequest {
    let request = AdsAnalyticsCreateAsyncRequest::builder()
        .level(level.clone())
        .start_date("2025-04-01")
        .end_date("2025-04-03")
        .granularity(granularity)
        .columns(["IMPRESSION_1", "SPEND_IN_MICRO_DOLLAR", "CAMPAIGN_NAME"])
        .report_format(format);
    // Breakdowns only where the level has them: Pinterest refuses them elsewhere.
    let request = if level.as_str().ends_with("_TARGETING") { request.targeting_types(["GENDER"]) } else { request };
    request.build().unwrap()
}

/// The ad account's impressions over the reports' range, from the
/// synchronous analytics call.
async fn account_impressions(s: &Setup) -> u64 {
    let day = |d| pinterest_sdk::models::Date::from_ymd_opt(2025, 4, d).unwrap();
    let total = s
        .client
        .ad_accounts()
        .get_analytics(&s.owned)
        .start_date(day(1))
        .end_date(day(3))
        .columns(["IMPRESSION_1"])
        .granularity(Granularity::Total)
        .send()
        .await
        .unwrap();
    total[0].additional_properties["IMPRESSION_1"].as_u64().unwrap()
}

/// A row as a program of yours would declare it.
#[derive(Debug, serde::Deserialize)]
struct Row {
    #[serde(rename = "DATE")]
    date: pinterest_sdk::chrono::NaiveDate,
    #[serde(rename = "IMPRESSION_1")]
    impressions: u64,
    #[serde(rename = "SPEND_IN_MICRO_DOLLAR")]
    spend_micro: Option<u64>,
    #[serde(rename = "CAMPAIGN_NAME", default)]
    campaign_name: Option<String>,
}

#[tokio::test]
async fn every_level_in_both_formats_adds_up_to_the_account() {
    // The first status read of each report is IN_PROGRESS, whatever the clock.
    let s = Setup::start(Emulator::builder().report_delay(Duration::ZERO).report_in_progress_reads(1)).await;
    let account_total = account_impressions(&s).await;
    assert!(account_total > 0);
    for level_name in MetricsReportingLevel::VALUES {
        let level = MetricsReportingLevel::from(*level_name);
        for format in [DataOutputFormat::Json, DataOutputFormat::Csv] {
            let what = format!("{level_name} {format}");
            let events = Arc::new(Mutex::new(Vec::new()));
            let log = events.clone();
            let report = s
                .client
                .ad_accounts()
                .report(&s.owned, request(&level, format.clone(), Granularity::Day))
                .poll_interval(Duration::from_millis(20))
                .max_poll_interval(Duration::from_millis(80))
                .timeout(Duration::from_secs(30))
                .on_event(move |e| log.lock().unwrap().push(e.clone()))
                .send()
                .await
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            let expected_format = if format == DataOutputFormat::Json { ReportFormat::Json } else { ReportFormat::Csv };
            assert_eq!(report.format(), expected_format, "{what}");
            assert_eq!(report.size(), Some(report.len() as u64), "{what}: the size Pinterest announced");
            assert!(report.token().is_some_and(|t| !t.is_empty()));

            let rows = report.rows().unwrap_or_else(|e| panic!("{what}: {e}"));
            assert!(!rows.is_empty(), "{what}");
            let id_column = rows[0].id_column.clone().unwrap();
            assert!(id_column.ends_with("_ID"), "{what}: {id_column}");
            for r in &rows {
                assert!(!r.entity_id.is_empty() && r.entity_id.bytes().all(|b| b.is_ascii_digit()), "{what}: {r:?}");
                assert!(r.date.is_some(), "{what}: a daily row has its date: {r:?}");
                assert!(r.get("IMPRESSION_1").is_some_and(|v| v.as_u64().is_some()), "{what}: {r:?}");
                assert!(!r.values.contains_key(&id_column) && !r.values.contains_key("DATE"), "{what}: {r:?}");
                if level_name.ends_with("_TARGETING") {
                    let (t, v) = r.targeting.as_ref().unwrap_or_else(|| panic!("{what}: {r:?}"));
                    assert_eq!(t, "GENDER", "{what}");
                    assert!(!v.is_empty(), "{what}");
                } else {
                    assert_eq!(r.targeting, None, "{what}");
                }
            }
            let impressions: u64 = rows.iter().map(|r| r.get_u64("IMPRESSION_1").unwrap()).sum();

            // The same rows into a type of one's own, from JSON and CSV alike.
            let mine: Vec<Row> = report.deserialize().unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(mine.len(), rows.len(), "{what}");
            assert_eq!(mine.iter().map(|r| r.impressions).sum::<u64>(), impressions, "{what}");
            assert!(mine.iter().all(|r| r.date.to_string().starts_with("2025-04-0")), "{what}");
            assert_eq!(
                mine.iter().map(|r| r.spend_micro.unwrap_or_default()).sum::<u64>(),
                rows.iter().map(|r| r.get_u64("SPEND_IN_MICRO_DOLLAR").unwrap_or_default()).sum::<u64>(),
                "{what}"
            );
            if level_name.starts_with("CAMPAIGN") {
                assert!(mine.iter().all(|r| r.campaign_name.is_some()), "{what}: {mine:?}");
            }

            // The ads hierarchy adds up to the account, breakdowns included.
            if ["ADVERTISER", "CAMPAIGN", "AD_GROUP", "PIN_PROMOTION"]
                .contains(&level_name.trim_end_matches("_TARGETING"))
            {
                assert_eq!(impressions, account_total, "{what}");
            }

            let events = events.lock().unwrap().clone();
            assert!(matches!(&events[0], ReportEvent::Requested { token } if Some(token.as_str()) == report.token()));
            assert!(
                events.iter().any(|e| matches!(e, ReportEvent::Waiting { attempt: 1, .. })),
                "{what}: IN_PROGRESS first: {events:?}"
            );
            assert!(events.iter().any(|e| matches!(e, ReportEvent::Ready { size: Some(_) })), "{what}");
            let received: Vec<u64> = events
                .iter()
                .filter_map(|e| match e {
                    ReportEvent::Downloading { received, .. } => Some(*received),
                    _ => None,
                })
                .collect();
            assert!(received.windows(2).all(|w| w[0] <= w[1]), "{what}: {received:?}");
            assert_eq!(received.last(), report.size().as_ref(), "{what}");
            assert_eq!(events.last(), Some(&ReportEvent::Downloaded { bytes: report.len() as u64 }), "{what}");
        }
    }
    // The bearer token went to Pinterest on every call and never to storage.
    let seen = s.seen();
    let (downloads, api): (Vec<&Seen>, Vec<&Seen>) = seen.iter().partition(|r| r.is_download());
    assert_eq!(downloads.len(), 26);
    assert!(downloads.iter().all(|r| !r.authorization && r.status == 200), "{downloads:?}");
    assert!(api.iter().all(|r| r.authorization), "{api:?}");
    // Asked for gzip, and got it.
    assert!(downloads.iter().all(|r| r.accept_encoding.as_deref() == Some("gzip")));
    assert!(downloads.iter().all(|r| r.content_encoding.as_deref() == Some("gzip")));
}

#[tokio::test]
async fn totals_have_no_date_and_hours_have_an_hour() {
    let s = Setup::start(Emulator::builder().report_delay(Duration::ZERO)).await;
    let total = account_impressions(&s).await;
    for (granularity, dated, hourly) in
        [(Granularity::Total, false, false), (Granularity::Hour, true, true), (Granularity::Week, true, false)]
    {
        for format in [DataOutputFormat::Json, DataOutputFormat::Csv] {
            let report = s
                .client
                .ad_accounts()
                .report(&s.owned, request(&MetricsReportingLevel::Campaign, format.clone(), granularity.clone()))
                .poll_interval(Duration::from_millis(20))
                .send()
                .await
                .unwrap();
            let rows = report.rows().unwrap();
            let what = format!("{granularity} {format}");
            assert!(!rows.is_empty(), "{what}");
            assert!(rows.iter().all(|r| r.date.is_some() == dated && r.hour.is_some() == hourly), "{what}: {rows:?}");
            assert_eq!(rows.iter().map(|r| r.get_u64("IMPRESSION_1").unwrap()).sum::<u64>(), total, "{what}");
        }
    }
}

#[test]
fn the_blocking_client_downloads_a_report() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let e = rt
        .block_on(Emulator::builder().seed(5).report_delay(Duration::ZERO).report_in_progress_reads(1).start())
        .unwrap();
    let (client, seen, _) = rt.block_on(async { client_for(&e) });
    let blocking = pinterest_sdk::blocking::Client::from_async(client).unwrap();
    let accounts = blocking.ad_accounts().list().send().unwrap().items;
    let owned = accounts.iter().find(|a| is_owner(a)).unwrap().id.clone();
    let job = || {
        blocking
            .ad_accounts()
            .report(&owned, request(&MetricsReportingLevel::AdGroup, DataOutputFormat::Csv, Granularity::Day))
            .poll_interval(Duration::from_millis(20))
    };
    let report = job().send().unwrap();
    assert_eq!(report.format(), ReportFormat::Csv);
    assert!(report.bytes().starts_with(b"AD_GROUP_ID,DATE,"), "{}", String::from_utf8_lossy(report.bytes()));
    let rows = report.rows().unwrap();
    assert!(!rows.is_empty() && rows.iter().all(|r| r.id_column.as_deref() == Some("AD_GROUP_ID")));
    // Streamed into a writer: the same file.
    let mut file = Vec::new();
    let saved = job().download_to(&mut file).unwrap();
    assert_eq!((saved.format, saved.bytes), (ReportFormat::Csv, file.len() as u64));
    assert_eq!(file, report.bytes());
    // Waiting, then downloading later.
    let finished = job().wait().unwrap();
    assert_eq!(finished.level(), Some(&MetricsReportingLevel::AdGroup));
    let later = blocking.ad_accounts().download_report(finished).send().unwrap();
    assert_eq!(later.bytes(), report.bytes());
    assert!(seen.lock().unwrap().iter().filter(|r| r.is_download()).all(|r| !r.authorization));
    drop(blocking);
    rt.block_on(e.shutdown());
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// A storage host of its own: serves `/files/{name}` from a table (status,
/// content type, content encoding, body) and keeps the request headers.
struct Storage {
    base: String,
    headers: Headers,
}

type Files = std::collections::HashMap<String, (u16, &'static str, Option<&'static str>, Vec<u8>)>;
type Headers = Arc<Mutex<Vec<http::HeaderMap>>>;

async fn storage(files: Files) -> Storage {
    use axum::extract::{Path, State};
    let headers = Arc::new(Mutex::new(Vec::new()));
    let state = (Arc::new(files), headers.clone());
    let app =
        axum::Router::new()
            .route(
                "/files/{name}",
                axum::routing::get(
                    |State((files, seen)): State<(Arc<Files>, Headers)>,
                     Path(name): Path<String>,
                     h: http::HeaderMap| async move {
                        seen.lock().unwrap().push(h);
                        let (status, ct, ce, body) = files.get(&name).cloned().unwrap();
                        let mut r = http::Response::new(axum::body::Body::from(body));
                        *r.status_mut() = http::StatusCode::from_u16(status).unwrap();
                        r.headers_mut().insert("content-type", http::HeaderValue::from_static(ct));
                        if let Some(ce) = ce {
                            r.headers_mut().insert("content-encoding", http::HeaderValue::from_static(ce));
                        }
                        r
                    },
                ),
            )
            .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Storage { base, headers }
}

#[tokio::test]
async fn gzip_by_content_encoding_and_as_plain_bytes() {
    let s = Setup::start(Emulator::builder().report_delay(Duration::ZERO)).await;
    let job = |gzip: bool| {
        s.client
            .ad_accounts()
            .report(&s.owned, request(&MetricsReportingLevel::Campaign, DataOutputFormat::Json, Granularity::Day))
            .poll_interval(Duration::from_millis(20))
            .accept_gzip(gzip)
    };
    // The emulator answers gzip when asked, plain bytes when not: the same file.
    let zipped = job(true).send().await.unwrap();
    let plain = job(false).send().await.unwrap();
    assert_eq!(zipped.bytes(), plain.bytes());
    let downloads: Vec<Seen> = s.seen().into_iter().filter(Seen::is_download).collect();
    assert_eq!(downloads[0].content_encoding.as_deref(), Some("gzip"));
    assert_eq!(downloads[1].accept_encoding.as_deref(), Some("identity"));
    assert_eq!(downloads[1].content_encoding, None);
    // Streamed into an async writer.
    let mut out: Vec<u8> = Vec::new();
    let saved = job(true).download_to(&mut out).await.unwrap();
    assert_eq!((saved.format, out.as_slice()), (ReportFormat::Json, plain.bytes()));

    // Storage that keeps .gz files and serves them as bytes.
    let csv = "CAMPAIGN_ID,DATE,CAMPAIGN_NAME,IMPRESSION_1\n9007199254740993,2025-04-01,\"Spring, \"\"sale\"\"\",12\n";
    let json =
        br#"{"9007199254740993": [{"CAMPAIGN_ID": 9007199254740993, "DATE": "2025-04-01", "IMPRESSION_1": 12}]}"#;
    let files: Files = [
        ("a.csv.gz".to_owned(), (200, "application/octet-stream", None, gzip(csv.as_bytes()))),
        ("b.json.gz".to_owned(), (200, "application/gzip", None, gzip(json))),
        ("c.json.gz".to_owned(), (200, "application/gzip", Some("gzip"), gzip(&gzip(json)))),
        ("big.csv".to_owned(), (200, "text/csv", Some("gzip"), gzip(&vec![b'1'; 1 << 20]))),
        ("broken.gz".to_owned(), (200, "application/gzip", None, gzip(json)[..20].to_vec())),
        (
            "gone.csv".to_owned(),
            (
                404,
                "application/xml",
                None,
                b"<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>".to_vec(),
            ),
        ),
    ]
    .into_iter()
    .collect();
    let store = storage(files).await;
    let at =
        |name: &str| FinishedReport::from_url(&format!("{}/files/{name}?X-Amz-Signature=s3cr3t", store.base)).unwrap();
    let download = |f: FinishedReport| s.client.ad_accounts().download_report(f);

    let r = download(at("a.csv.gz").with_level(MetricsReportingLevel::Campaign)).send().await.unwrap();
    assert_eq!((r.format(), r.bytes()), (ReportFormat::Csv, csv.as_bytes()));
    let rows = r.rows().unwrap();
    assert_eq!(rows[0].entity_id, "9007199254740993");
    assert_eq!(rows[0].get_str("CAMPAIGN_NAME"), Some("Spring, \"sale\""));
    for name in ["b.json.gz", "c.json.gz"] {
        let r = download(at(name)).send().await.unwrap();
        assert_eq!((r.format(), r.bytes()), (ReportFormat::Json, &json[..]), "{name}");
        assert_eq!(r.rows().unwrap()[0].entity_id, "9007199254740993", "{name}");
    }
    // A cap on the decompressed size, and broken gzip.
    let e = download(at("big.csv")).max_bytes(64 * 1024).send().await.unwrap_err();
    assert!(matches!(e, Error::ResponseTooLarge { limit: 65536, .. }), "{e}");
    let e = download(at("broken.gz")).send().await.unwrap_err();
    assert!(matches!(e, Error::ReportFile { .. }), "{e}");
    // A storage error: its code and message, never the signature.
    let e = download(at("gone.csv")).send().await.unwrap_err();
    let Error::Download(d) = &e else { panic!("{e}") };
    assert_eq!((d.status.as_u16(), d.code.as_deref()), (404, Some("NoSuchKey")));
    assert_eq!(d.location, format!("{}/files/gone.csv", store.base));
    assert!(!e.to_string().contains("s3cr3t") && !format!("{e:?}").contains("s3cr3t"), "{e:?}");
    // None of it carried the bearer token.
    let headers = store.headers.lock().unwrap();
    assert_eq!(headers.len(), 6);
    assert!(headers.iter().all(|h| !h.contains_key("authorization")), "{headers:?}");
}

/// Waits until the link's `expires` time has passed on the emulator's clock.
async fn until_expired(f: &FinishedReport) {
    let expires: u64 = f.expose_url().split("expires=").nth(1).unwrap().split('&').next().unwrap().parse().unwrap();
    while pinterest_emulator::state::now() < expires {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn expired_links_are_a_typed_error_or_renewed() {
    // Links live 2 s (in whole seconds of the clock, so at least 1 s): a
    // fresh one is still good when it is used at once.
    let s = Setup::start(Emulator::builder().report_delay(Duration::ZERO).report_url_ttl(Duration::from_secs(2))).await;
    let req = || request(&MetricsReportingLevel::Campaign, DataOutputFormat::Csv, Granularity::Day);
    let finished =
        s.client.ad_accounts().report(&s.owned, req()).poll_interval(Duration::from_millis(20)).wait().await.unwrap();
    assert_eq!(finished.ad_account_id(), Some(s.owned.as_str()));
    assert!(!format!("{finished:?}").contains("signature"), "{finished:?}");
    until_expired(&finished).await;

    let e = s.client.ad_accounts().download_report(finished.clone()).refresh_expired(false).send().await.unwrap_err();
    let Error::Download(d) = &e else { panic!("{e}") };
    assert_eq!(d.status, http::StatusCode::FORBIDDEN);
    assert_eq!((d.code.as_deref(), d.message.as_deref()), (Some("AccessDenied"), Some("Request has expired")));
    assert!(d.is_expired());
    assert!(e.to_string().contains("Request has expired"), "{e}");
    assert!(!e.to_string().contains("signature") && !format!("{e:?}").contains("signature"), "{e:?}");
    // A link without its report's token cannot be renewed.
    let bare = FinishedReport::from_url(finished.expose_url()).unwrap();
    let e = s.client.ad_accounts().download_report(bare).send().await.unwrap_err();
    assert!(matches!(&e, Error::Download(d) if d.is_expired()), "{e}");

    // By default a fresh status read renews it.
    let before = s.seen().len();
    let report = s.client.ad_accounts().download_report(finished).send().await.unwrap();
    assert!(!report.rows().unwrap().is_empty());
    let after: Vec<Seen> = s.seen()[before..].to_vec();
    let kinds: Vec<(bool, u16)> = after.iter().map(|r| (r.is_download(), r.status)).collect();
    assert_eq!(kinds, [(true, 403), (false, 200), (true, 200)], "{after:?}");

    // The same inside a whole job: the download is held past the link's life.
    *s.hold_next_download.lock().unwrap() = Some(Duration::from_millis(3100));
    let before = s.seen().len();
    let report =
        s.client.ad_accounts().report(&s.owned, req()).poll_interval(Duration::from_millis(20)).send().await.unwrap();
    assert!(!report.is_empty());
    let downloads: Vec<u16> = s.seen()[before..].iter().filter(|r| r.is_download()).map(|r| r.status).collect();
    assert_eq!(downloads, [403, 200]);
}

#[tokio::test]
async fn failures_and_timeouts_are_typed() {
    let s = Setup::start(Emulator::builder().report_delay(Duration::from_secs(3600))).await;
    // A token Pinterest does not know.
    let e = s.client.ad_accounts().resume_report(&s.owned, "no-such-report").send().await.unwrap_err();
    assert!(
        matches!(&e, Error::ReportFailed { status, token, .. } if status == "DOES_NOT_EXIST" && token == "no-such-report"),
        "{e}"
    );
    // Still building when the timeout runs out; the token resumes it later.
    let started = std::time::Instant::now();
    let e = s
        .client
        .ad_accounts()
        .report(&s.owned, request(&MetricsReportingLevel::Campaign, DataOutputFormat::Json, Granularity::Day))
        .poll_interval(Duration::from_millis(20))
        .max_poll_interval(Duration::from_millis(50))
        .timeout(Duration::from_millis(300))
        .send()
        .await
        .unwrap_err();
    let Error::ReportTimeout { token, status, waited, ad_account_id } = &e else { panic!("{e}") };
    assert_eq!((status.as_str(), ad_account_id), ("IN_PROGRESS", &s.owned));
    assert!(*waited >= Duration::from_millis(300) && started.elapsed() < Duration::from_secs(10), "{waited:?}");
    let polls = s.seen().iter().filter(|r| r.path.ends_with("/reports")).count();
    assert!((2..=20).contains(&polls), "backoff between 20 and 50 ms over 300 ms: {polls} requests");
    let again = s.client.ad_accounts().resume_report(&s.owned, token).timeout(Duration::ZERO).send().await.unwrap_err();
    assert!(matches!(again, Error::ReportTimeout { .. }), "{again}");
    // Another ad account's token does not exist there.
    let e = s.client.ad_accounts().resume_report(&s.shared, token).send().await.unwrap_err();
    assert!(matches!(&e, Error::ReportFailed { status, .. } if status == "DOES_NOT_EXIST"), "{e}");
    // A request Pinterest refuses: its answer.
    let long = AdsAnalyticsCreateAsyncRequest::builder()
        .level(MetricsReportingLevel::ProductItem)
        .start_date("2025-01-01")
        .end_date("2025-03-01")
        .granularity(Granularity::Day)
        .columns(["IMPRESSION_1"])
        .build()
        .unwrap();
    let e = s.client.ad_accounts().report(&s.owned, long).send().await.unwrap_err();
    assert!(e.is_bad_request(), "{e}");
    // A link that is not http(s) is refused before anything is sent.
    let e = FinishedReport::from_url("ftp://storage.example/report.csv").unwrap_err();
    assert!(e.is_refused_locally(), "{e}");
    drop(s.e);
}
