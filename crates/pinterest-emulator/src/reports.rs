//! Async ads reports and conversion events.
//!
//! A report (`POST /v5/ad_accounts/{id}/reports`) stays `IN_PROGRESS` for
//! [`Settings::report_delay`](crate::Settings::report_delay), then its
//! status is `FINISHED` with a URL on the emulator itself,
//! `/_emulator/reports/{token}?expires=…&signature=…`, signed like a
//! presigned storage URL and good for
//! [`Settings::report_url_ttl`](crate::Settings::report_url_ttl); every
//! status read signs a fresh one. The file is JSON (`application/json`):
//! `{"<entity id>": [row, …]}` with each row keyed by column name and ids
//! as numbers, as Pinterest's are; or CSV (`text/csv`): a header of column
//! names, then one line per row. A download that accepts gzip gets it
//! gzipped (`Content-Encoding: gzip`).
//!
//! Conversion events (`POST /v5/ad_accounts/{id}/events`) are checked one
//! by one: a known `event_name` and `action_source`, an `event_time` in
//! the last seven days (and not ahead of the clock), an `event_id`, hashed
//! user data that really is SHA-256 hex, and enough of it to match a
//! person. At most 1,000 events per request. Accepted events are kept
//! (the last 10,000) and listed by `GET /_emulator/events`; `test=true`
//! checks without keeping. The last 1,000 reports are kept.

use std::io::Write as _;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use http::{HeaderMap, HeaderValue, Response, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::ads::{self, Level};
use crate::analytics::{self, Leaves, Slice};
use crate::api::{Call, bad_request, json, not_found};
use crate::server::{Shared, json_error};
use crate::state::{Data, now};

/// One requested report.
#[derive(Clone, Serialize, Deserialize)]
pub struct ReportRec {
    pub ad_account_id: String,
    /// What was asked, checked and reduced to what the report uses.
    pub request: Value,
    /// When it was requested, in milliseconds since the epoch.
    pub created_ms: u64,
    /// Signs its download URLs.
    pub key: String,
    /// Status reads so far.
    #[serde(default)]
    pub reads: u32,
    /// The file once made, and its content type: made once, outside the
    /// state's lock.
    #[serde(skip)]
    pub file: Option<Arc<(Vec<u8>, &'static str)>>,
}

impl std::fmt::Debug for ReportRec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportRec")
            .field("ad_account_id", &self.ad_account_id)
            .field("request", &self.request)
            .field("created_ms", &self.created_ms)
            .field("key", &"[redacted]")
            .field("made", &self.file.as_ref().map(|f| f.0.len()))
            .finish()
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Reports kept; requesting one more drops the oldest.
const KEPT_REPORTS: usize = 1000;

/// The most values one report holds (rows × columns).
pub const MAX_REPORT_CELLS: usize = 5_000_000;

/// Longest report range in days, per level.
fn max_days(level: Level) -> i64 {
    if level == Level::ProductItem { 31 } else { 186 }
}

/// The breakdowns of a targeting report that names none.
const DEFAULT_TARGETING: &[&str] = &["APPTYPE", "GENDER", "AGE_BUCKET", "COUNTRY", "PLACEMENT"];
/// Most targeting types in one report, as the spec allows.
const MAX_TARGETING_TYPES: usize = 5;
/// Most ids in one filter, as the spec allows.
const MAX_FILTER_IDS: usize = 500;
/// The id filters a report honours.
const ID_FILTERS: &[&str] = &["campaign_ids", "ad_group_ids", "ad_ids", "product_group_ids"];

/// The text values of a list, each once, in order.
fn strings(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in v.as_array().into_iter().flatten().filter_map(Value::as_str) {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    }
    out
}

/// Checks a report request and keeps what the report uses.
fn checked(body: &Value) -> Result<Value, String> {
    let level_name = body["level"].as_str().unwrap_or_default();
    let Some((level, targeting)) = Level::from_report(level_name) else {
        return Err("level is required".into());
    };
    let columns = strings(&body["columns"]);
    if columns.is_empty() {
        return Err("columns must name at least one column".into());
    }
    let (start, end) = (body["start_date"].as_str().unwrap_or_default(), body["end_date"].as_str().unwrap_or_default());
    analytics::check_range(start, end, max_days(level))?;
    let mut types = strings(&body["targeting_types"]);
    if !types.is_empty() && !targeting {
        return Err("targeting_types needs a level ending in _TARGETING".into());
    }
    if types.len() > MAX_TARGETING_TYPES {
        return Err(format!("at most {MAX_TARGETING_TYPES} targeting_types"));
    }
    if targeting && types.is_empty() {
        types = DEFAULT_TARGETING.iter().map(|t| (*t).to_owned()).collect();
    }
    let mut kept = json!({
        "level": level_name,
        "columns": columns,
        "start_date": start,
        "end_date": end,
        "granularity": body["granularity"].as_str().unwrap_or("DAY"),
        "report_format": body["report_format"].as_str().unwrap_or("JSON"),
        "targeting_types": types,
    });
    for key in ID_FILTERS {
        let ids = strings(&body[*key]);
        if ids.len() > MAX_FILTER_IDS {
            return Err(format!("{key}: at most {MAX_FILTER_IDS} ids"));
        }
        if let Some(bad) = ids.iter().find(|i| i.is_empty() || !i.bytes().all(|b| b.is_ascii_digit())) {
            return Err(format!("{key}: `{}` is not an id of digits", bad.escape_debug()));
        }
        if !ids.is_empty() {
            kept[*key] = json!(ids);
        }
    }
    Ok(kept)
}

/// `POST /ad_accounts/{id}/reports`.
pub fn create(call: &Call<'_>) -> Response<Body> {
    let account_id = call.path_param("ad_account_id").to_owned();
    let body = call.body.clone().unwrap_or(Value::Null);
    let mut d = call.shared.data();
    if ads::account(&d, &account_id).is_none() {
        return not_found("Ad account");
    }
    let request = match checked(&body) {
        Ok(c) => c,
        Err(m) => return bad_request(&m),
    };
    // Refused now if it would be too big to make.
    if let Some(plan) = plan(&d, &account_id, &request) {
        let slices: usize = plan.targeting.iter().map(|t| analytics::targeting_values(t).len()).sum();
        let periods = plan.buckets.len();
        if let Err(m) = ads::cells_within(plan.entities.len(), periods, slices, plan.columns.len(), MAX_REPORT_CELLS) {
            return bad_request(&m);
        }
    }
    let token = d.token("");
    let key = d.token("");
    // The oldest reports go first once there are many.
    while d.reports.len() >= KEPT_REPORTS {
        let Some(oldest) = d.reports.iter().min_by_key(|(_, r)| r.created_ms).map(|(t, _)| t.clone()) else { break };
        d.reports.remove(&oldest);
    }
    d.reports.insert(
        token.clone(),
        ReportRec { ad_account_id: account_id, request, created_ms: now_ms(), key, reads: 0, file: None },
    );
    json(StatusCode::OK, &json!({"report_status": "IN_PROGRESS", "token": token, "message": null}))
}

/// The report's file: made once, outside the state's lock (a big report
/// takes a while), then kept with the report. `None` for an unknown token.
fn file(s: &Shared, token: &str) -> Option<Arc<(Vec<u8>, &'static str)>> {
    let plan = {
        let d = s.data();
        let rec = d.reports.get(token)?;
        if let Some(f) = &rec.file {
            return Some(f.clone());
        }
        plan(&d, &rec.ad_account_id, &rec.request)
    };
    let made = Arc::new(match plan {
        Some(p) => p.render(),
        None => (b"{}".to_vec(), "application/json"),
    });
    let mut d = s.data();
    let rec = d.reports.get_mut(token)?;
    Some(rec.file.get_or_insert(made).clone())
}

/// `GET /ad_accounts/{id}/reports?token=…`.
pub fn status(call: &Call<'_>) -> Response<Body> {
    let account_id = call.path_param("ad_account_id");
    let token = call.param("token").unwrap_or_default();
    let (created_ms, key, reads) = {
        let mut d = call.shared.data();
        match d.reports.get_mut(token).filter(|r| r.ad_account_id == account_id) {
            Some(r) => {
                r.reads = r.reads.saturating_add(1);
                (r.created_ms, r.key.clone(), r.reads)
            }
            None => {
                return json(StatusCode::OK, &json!({"report_status": "DOES_NOT_EXIST", "url": null, "size": null}));
            }
        }
    };
    let delay = u64::try_from(call.shared.settings.report_delay.as_millis()).unwrap_or(u64::MAX);
    if now_ms() < created_ms.saturating_add(delay) || reads <= call.shared.settings.report_in_progress_reads {
        return json(StatusCode::OK, &json!({"report_status": "IN_PROGRESS", "url": null, "size": null}));
    }
    let Some(made) = file(call.shared, token) else {
        return json(StatusCode::OK, &json!({"report_status": "DOES_NOT_EXIST", "url": null, "size": null}));
    };
    let expires = now().saturating_add(call.shared.settings.report_url_ttl.as_secs().max(1));
    let url = format!(
        "{}/_emulator/reports/{token}?expires={expires}&signature={}",
        call.shared.base_url(),
        signature(&key, token, expires)
    );
    json(StatusCode::OK, &json!({"report_status": "FINISHED", "url": url, "size": made.0.len()}))
}

fn signature(key: &str, token: &str, expires: u64) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(format!("{key}\n{token}\n{expires}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The query of a download URL.
#[derive(Deserialize)]
pub struct Signed {
    expires: Option<String>,
    signature: Option<String>,
}

fn xml_error(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    let mut r = Response::new(Body::from(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    )));
    *r.status_mut() = status;
    r.headers_mut().insert("content-type", HeaderValue::from_static("application/xml"));
    r
}

/// `GET /_emulator/reports/{token}`: the file, for a signed URL that has
/// not expired.
pub async fn download(
    State(s): State<Arc<Shared>>,
    Path(token): Path<String>,
    Query(q): Query<Signed>,
    headers: HeaderMap,
) -> Response<Body> {
    let key = match s.data().reports.get(&token) {
        Some(rec) => rec.key.clone(),
        None => return xml_error(StatusCode::NOT_FOUND, "NoSuchKey", "The specified key does not exist."),
    };
    let expires = q.expires.as_deref().and_then(|e| e.parse::<u64>().ok());
    let signed = match (expires, &q.signature) {
        (Some(e), Some(given)) => {
            use subtle::ConstantTimeEq as _;
            bool::from(signature(&key, &token, e).as_bytes().ct_eq(given.as_bytes()))
        }
        _ => false,
    };
    if !signed {
        return xml_error(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "The request signature does not match this report.",
        );
    }
    if expires.is_some_and(|e| now() >= e) {
        return xml_error(StatusCode::FORBIDDEN, "AccessDenied", "Request has expired");
    }
    let Some(made) = file(&s, &token) else {
        return xml_error(StatusCode::NOT_FOUND, "NoSuchKey", "The specified key does not exist.");
    };
    let (bytes, content_type) = (&made.0, made.1);
    let gzip = headers
        .get_all(http::header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|e| {
            let mut parts = e.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|p| p.trim().replace(' ', "") == "q=0");
            name.eq_ignore_ascii_case("gzip") && !refused
        });
    let body = if gzip {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        match enc.write_all(bytes).and_then(|()| enc.finish()) {
            Ok(z) => z,
            Err(_) => return json_error(StatusCode::INTERNAL_SERVER_ERROR, 1, "could not compress the report"),
        }
    } else {
        bytes.clone()
    };
    let mut r = Response::new(Body::from(body));
    r.headers_mut().insert("content-type", HeaderValue::from_static(content_type));
    if gzip {
        r.headers_mut().insert("content-encoding", HeaderValue::from_static("gzip"));
    }
    r.headers_mut().insert("vary", HeaderValue::from_static("accept-encoding"));
    let name = if content_type.starts_with("text/csv") { "report.csv" } else { "report.json" };
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        r.headers_mut().insert("content-disposition", v);
    }
    r
}

/// What a report is made of, taken from the state under its lock.
struct Plan {
    leaves: Leaves,
    entities: Vec<ads::Reported>,
    id_column: &'static str,
    buckets: Vec<analytics::Bucket>,
    columns: Vec<String>,
    /// The breakdowns of a targeting level; empty for the others.
    targeting: Vec<String>,
    granularity: String,
    csv: bool,
}

fn plan(d: &Data, account_id: &str, req: &Value) -> Option<Plan> {
    let (level, targeting) = req["level"].as_str().and_then(Level::from_report)?;
    let (start, end) = analytics::check_range(
        req["start_date"].as_str().unwrap_or_default(),
        req["end_date"].as_str().unwrap_or_default(),
        max_days(level),
    )
    .ok()?;
    let granularity = req["granularity"].as_str().unwrap_or("DAY").to_owned();
    Some(Plan {
        leaves: Leaves::new(d.seed),
        entities: filtered(d, account_id, level, req),
        id_column: level.id_column(true),
        buckets: analytics::buckets(start, end, &granularity),
        columns: strings(&req["columns"]),
        targeting: if targeting { strings(&req["targeting_types"]) } else { Vec::new() },
        granularity,
        csv: req["report_format"].as_str() == Some("CSV"),
    })
}

impl Plan {
    /// The file and its content type.
    fn render(&self) -> (Vec<u8>, &'static str) {
        let Plan { leaves, entities, id_column, buckets, columns, targeting, granularity, csv } = self;
        let mut rows: Vec<(String, Map<String, Value>)> = Vec::new();
        if targeting.is_empty() {
            rows = ads::rows(leaves, entities, id_column, buckets, columns, None, true);
        }
        for t in targeting {
            let values = analytics::targeting_values(t);
            for index in 0..values.len() {
                let slice = Slice { targeting_type: t.clone(), values: values.clone(), index };
                for (id, mut row) in ads::rows(leaves, entities, id_column, buckets, columns, Some(&slice), true) {
                    row.insert("TARGETING_TYPE".into(), json!(t));
                    row.insert("TARGETING_VALUE".into(), json!(slice.value()));
                    rows.push((id, row));
                }
            }
        }
        if *csv {
            let mut header: Vec<String> = vec![(*id_column).to_owned()];
            if granularity != "TOTAL" {
                header.push("DATE".into());
            }
            if granularity == "HOUR" {
                header.push("HOUR".into());
            }
            if !targeting.is_empty() {
                header.extend(["TARGETING_TYPE".to_owned(), "TARGETING_VALUE".to_owned()]);
            }
            for c in columns {
                if !header.contains(c) {
                    header.push(c.clone());
                }
            }
            (csv_bytes(&header, rows.iter().map(|(_, r)| r)), "text/csv; charset=utf-8")
        } else {
            let mut by_entity: Map<String, Value> = Map::new();
            for (id, row) in rows {
                if let Some(list) = by_entity.entry(id).or_insert_with(|| json!([])).as_array_mut() {
                    list.push(Value::Object(row));
                }
            }
            (Value::Object(by_entity).to_string().into_bytes(), "application/json")
        }
    }
}

fn csv_bytes<'r>(header: &[String], rows: impl Iterator<Item = &'r Map<String, Value>>) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(header);
    for row in rows {
        let cells: Vec<String> = header
            .iter()
            .map(|c| match row.get(c) {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => s.clone(),
                Some(v) => v.to_string(),
            })
            .collect();
        let _ = w.write_record(&cells);
    }
    w.into_inner().unwrap_or_default()
}

/// The entities of a report after its id filters: an entity of the
/// filtered level by id, a lower one by its parents' ids, and the leaves of
/// a higher one (an advertiser limited to some campaigns) by their ads.
fn filtered(d: &Data, account_id: &str, level: Level, req: &Value) -> Vec<ads::Reported> {
    let filters: Vec<(&str, Vec<String>)> = [
        ("CAMPAIGN_ID", "campaign_ids"),
        ("AD_GROUP_ID", "ad_group_ids"),
        ("AD_ID", "ad_ids"),
        ("PRODUCT_GROUP_ID", "product_group_ids"),
    ]
    .into_iter()
    .map(|(col, key)| (col, strings(&req[key])))
    .filter(|(_, ids)| !ids.is_empty())
    .collect();
    let mut out = ads::entities(d, account_id, level);
    if filters.is_empty() {
        return out;
    }
    // Which ads pass, for narrowing the leaves of higher levels.
    let ad_rows = ads::entities(d, account_id, Level::Ad);
    let ad_passes = |ad: &str| {
        ad_rows.iter().find(|a| a.id == ad).is_some_and(|a| {
            filters.iter().filter(|(col, _)| *col != "PRODUCT_GROUP_ID").all(|(col, ids)| {
                let value =
                    if *col == "AD_ID" { Some(a.id.as_str()) } else { a.attributes.get(*col).and_then(Value::as_str) };
                value.is_some_and(|v| ids.iter().any(|i| i == v))
            })
        })
    };
    let own_column = match level {
        Level::Campaign => Some("CAMPAIGN_ID"),
        Level::AdGroup => Some("AD_GROUP_ID"),
        Level::Ad => Some("AD_ID"),
        Level::ProductGroup => Some("PRODUCT_GROUP_ID"),
        _ => None,
    };
    out.retain(|e| {
        filters.iter().all(|(col, ids)| {
            if own_column == Some(*col) {
                return ids.contains(&e.id);
            }
            match e.attributes.get(*col).and_then(|v| v.as_str()) {
                Some(v) => ids.contains(&v.to_owned()),
                None => true,
            }
        })
    });
    if matches!(level, Level::Advertiser | Level::Campaign | Level::AdGroup) {
        for e in &mut out {
            e.leaves.retain(|ad| ad_passes(ad));
        }
    }
    out
}

// ----------------------------------------------------------- conversions

const ACTION_SOURCES: &[&str] = &["app_android", "app_ios", "web", "offline"];
const EVENT_NAMES: &[&str] = &[
    "add_payment_info",
    "add_to_cart",
    "add_to_wishlist",
    "app_install",
    "checkout",
    "custom",
    "initiate_checkout",
    "lead",
    "page_visit",
    "search",
    "signup",
    "subscribe",
    "view_category",
    "view_content",
    "watch_video",
];
/// User data fields that carry SHA-256 hex digests.
const HASHED: &[&str] =
    &["em", "ph", "ge", "db", "ln", "fn", "ct", "st", "zp", "country", "external_id", "hashed_maids"];
/// Most events per request.
pub const MAX_EVENTS: usize = 1000;
/// How old an event may be.
const MAX_AGE_SECS: u64 = 7 * 24 * 3600;
/// How far ahead of the clock an event may be.
const MAX_SKEW_SECS: u64 = 300;
/// Accepted events kept for the admin API.
const KEPT_EVENTS: usize = 10_000;

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Why one event is refused, or `None`.
fn refuse_event(e: &Value, now: u64) -> Option<String> {
    if e["event_id"].as_str().is_none_or(|id| id.trim().is_empty()) {
        return Some("event_id is required".into());
    }
    let name = e["event_name"].as_str().unwrap_or_default();
    if !EVENT_NAMES.contains(&name) {
        return Some(format!("event_name `{}` is not a known event", name.escape_debug()));
    }
    let source = e["action_source"].as_str().unwrap_or_default();
    if !ACTION_SOURCES.contains(&source) {
        return Some(format!("action_source `{}` is not one of {}", source.escape_debug(), ACTION_SOURCES.join(", ")));
    }
    let Some(time) = e["event_time"].as_u64() else {
        return Some("event_time must be a Unix time in seconds".into());
    };
    if time.saturating_add(MAX_AGE_SECS) < now {
        return Some("event_time is more than 7 days ago".into());
    }
    if time > now.saturating_add(MAX_SKEW_SECS) {
        return Some("event_time is in the future".into());
    }
    let user = &e["user_data"];
    for field in HASHED {
        let given = &user[*field];
        if given.is_null() {
            continue;
        }
        let Some(list) = given.as_array() else {
            return Some(format!("user_data.{field} must be a list of SHA-256 digests in hex (hash before sending)"));
        };
        for (i, v) in list.iter().enumerate() {
            if !v.as_str().is_some_and(is_sha256_hex) {
                return Some(format!("user_data.{field}[{i}] must be a SHA-256 digest in hex (hash before sending)"));
            }
        }
    }
    let has =
        |f: &str| user[f].as_array().is_some_and(|a| !a.is_empty()) || user[f].as_str().is_some_and(|s| !s.is_empty());
    if !(has("em") || has("hashed_maids") || (has("client_ip_address") && has("client_user_agent"))) {
        return Some("user_data needs em, hashed_maids, or client_ip_address with client_user_agent".into());
    }
    let custom = &e["custom_data"];
    if let Some(v) = custom["value"].as_str()
        && v.parse::<f64>().is_err()
    {
        return Some(format!("custom_data.value `{}` is not a number", v.escape_debug()));
    }
    if let Some(c) = custom["currency"].as_str()
        && !(c.len() == 3 && c.bytes().all(|b| b.is_ascii_alphabetic()))
    {
        return Some(format!("custom_data.currency `{}` is not an ISO 4217 code", c.escape_debug()));
    }
    None
}

/// `POST /ad_accounts/{id}/events`.
pub fn events(call: &Call<'_>) -> Response<Body> {
    let account_id = call.path_param("ad_account_id").to_owned();
    let events = call.body.as_ref().and_then(|b| b["data"].as_array()).cloned().unwrap_or_default();
    if events.is_empty() {
        return bad_request("data must hold at least one event");
    }
    if events.len() > MAX_EVENTS {
        return bad_request(&format!("at most {MAX_EVENTS} events per request, not {}", events.len()));
    }
    let test = call.param("test") == Some("true");
    let mut d = call.shared.data();
    if ads::account(&d, &account_id).is_none() {
        return not_found("Ad account");
    }
    let now = now();
    let mut answers = Vec::new();
    let mut processed = 0usize;
    for e in &events {
        match refuse_event(e, now) {
            Some(why) => answers.push(json!({"status": "failed", "error_message": why, "warning_message": null})),
            None => {
                processed += 1;
                answers.push(json!({"status": "processed", "error_message": null, "warning_message": null}));
                if !test {
                    d.events.push(json!({"ad_account_id": account_id, "received_at": now, "event": e}));
                }
            }
        }
    }
    let excess = d.events.len().saturating_sub(KEPT_EVENTS);
    d.events.drain(..excess);
    let answer = json!({"num_events_received": events.len(), "num_events_processed": processed, "events": answers});
    if processed == 0 {
        let mut r = json(
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!({"code": 4196, "message": "No event was accepted: see details.", "details": answer}),
        );
        r.headers_mut().insert("content-type", HeaderValue::from_static("application/json"));
        return r;
    }
    json(StatusCode::OK, &answer)
}

/// `GET /_emulator/events`: the accepted events, oldest first.
pub async fn list_events(State(s): State<Arc<Shared>>) -> Response<Body> {
    let d = s.data();
    json(StatusCode::OK, &json!({"items": d.events}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(now: u64) -> Value {
        json!({
            "event_name": "checkout",
            "action_source": "web",
            "event_time": now,
            "event_id": "e1",
            "user_data": {"em": ["b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514"]},
            "custom_data": {"currency": "USD", "value": "12.50"},
        })
    }

    #[test]
    fn events_are_checked_one_by_one() {
        let now = 1_800_000_000;
        assert_eq!(refuse_event(&event(now), now), None);
        type Change<'a> = Box<dyn Fn(&mut Value) + 'a>;
        let cases: Vec<(Change<'_>, &str)> = vec![
            (Box::new(|e| e["user_data"]["em"] = json!(["someone@example.com"])), "SHA-256"),
            (Box::new(|e| e["user_data"]["ph"] = json!(["1555010999"])), "user_data.ph[0]"),
            (Box::new(|e| e["user_data"]["em"] = json!("jo@example.com")), "user_data.em must be a list"),
            (Box::new(|e| e["event_time"] = json!(u64::MAX)), "future"),
            (Box::new(|e| e["action_source"] = json!("fax")), "action_source"),
            (Box::new(|e| e["event_name"] = json!("purchase")), "event_name"),
            (Box::new(|e| e["event_time"] = json!(now - 8 * 24 * 3600)), "7 days"),
            (Box::new(|e| e["event_time"] = json!(now + 3600)), "future"),
            (Box::new(|e| e["event_id"] = json!(" ")), "event_id"),
            (Box::new(|e| e["user_data"] = json!({"client_ip_address": "203.0.113.9"})), "needs em"),
            (Box::new(|e| e["custom_data"]["value"] = json!("twelve")), "custom_data.value"),
            (Box::new(|e| e["custom_data"]["currency"] = json!("US$")), "currency"),
        ];
        for (change, want) in cases {
            let mut e = event(now);
            change(&mut e);
            let why = refuse_event(&e, now).unwrap_or_default();
            assert!(why.contains(want), "{want}: {why}");
        }
        let mut by_ip = event(now);
        by_ip["user_data"] = json!({"client_ip_address": "203.0.113.9", "client_user_agent": "curl/8"});
        assert_eq!(refuse_event(&by_ip, now), None);
    }

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let header = vec!["CAMPAIGN_ID".to_owned(), "CAMPAIGN_NAME".to_owned()];
        let row: Map<String, Value> =
            [("CAMPAIGN_ID".to_owned(), json!(12)), ("CAMPAIGN_NAME".to_owned(), json!("Spring, \"sale\""))]
                .into_iter()
                .collect();
        let text = String::from_utf8(csv_bytes(&header, [&row].into_iter())).unwrap();
        assert_eq!(text, "CAMPAIGN_ID,CAMPAIGN_NAME\n12,\"Spring, \"\"sale\"\"\"\n");
    }
}
