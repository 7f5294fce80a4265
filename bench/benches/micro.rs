//! Micro-benchmarks: decoding a 250-Pin page into the typed model next to
//! decoding the same bytes into `serde_json::Value`; building a query-heavy
//! request; the bookmark state machine.

use std::hint::black_box;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http::StatusCode;
use pinterest_sdk::Operation;
use pinterest_sdk::config::ApiBase;
use pinterest_sdk::models::Date;
use pinterest_sdk::ops::pins::{PinsGetMultiAnalytics, PinsList};
use pinterest_sdk::paginate::Cursor;

fn decode(c: &mut Criterion) {
    let body = Bytes::from(pinterest_bench::page_json(0, 250, Some("next")));
    let mut g = c.benchmark_group("decode_250_pin_page");
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function("typed (PinsList::decode)", |b| {
        b.iter(|| {
            let page = <PinsList as Operation>::decode(StatusCode::OK, black_box(body.clone()));
            black_box(page.map(|p| p.items.len()).unwrap_or(0))
        })
    });
    // The floor: serde_json straight into the same generated type.
    g.bench_function("floor (serde_json into PinsListResponse)", |b| {
        b.iter(|| {
            let page: Result<pinterest_sdk::models::PinsListResponse, _> = serde_json::from_slice(black_box(&body));
            black_box(page.map(|p| p.items.len()).unwrap_or(0))
        })
    });
    g.bench_function("serde_json::Value", |b| {
        b.iter(|| {
            let v: Result<serde_json::Value, _> = serde_json::from_slice(black_box(&body));
            black_box(v.map(|v| v["items"].as_array().map(Vec::len)).ok())
        })
    });
    g.finish();
}

fn build_request(c: &mut Criterion) {
    let base = ApiBase::parse("https://api.pinterest.com/v5").unwrap_or_else(|_| unreachable!());
    let ids: Vec<String> = (0..100).map(|i| format!("{}", 1_000_000_000 + i)).collect();
    let day = |d| Date::from_ymd_opt(2025, 1, d).unwrap_or_default();
    let op = PinsGetMultiAnalytics::new()
        .pin_ids(ids)
        .start_date(day(1))
        .end_date(day(31))
        .metric_types(["IMPRESSION", "OUTBOUND_CLICK", "PIN_CLICK", "SAVE", "SAVE_RATE", "TOTAL_COMMENTS"])
        .app_types("ALL")
        .ad_account_id("549755885175");
    c.bench_function("build multi_pins/analytics request (100 ids)", |b| {
        b.iter(|| black_box(op.to_request(black_box(&base)).map(|r| r.uri().to_string().len())))
    });
    let list = PinsList::new().page_size(250).pin_filter("exclude_repins").creative_types(["REGULAR", "VIDEO"]);
    c.bench_function("build pins/list request", |b| b.iter(|| black_box(list.to_request(black_box(&base)).is_ok())));
}

fn cursor(c: &mut Criterion) {
    let bookmarks: Vec<String> = (0..10_000).map(|i| format!("bookmark-{i}")).collect();
    c.bench_function("cursor over 10,000 pages", |b| {
        b.iter(|| {
            let mut cur = Cursor::new();
            for bm in &bookmarks {
                black_box(cur.next_request());
                cur.advance(Some(bm.clone()));
            }
            cur.advance(None);
            black_box(cur.pages())
        })
    });
}

criterion_group!(benches, decode, build_request, cursor);
criterion_main!(benches);
