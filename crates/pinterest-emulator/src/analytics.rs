//! Analytics that add up: every number is a sum of deterministic leaves.
//!
//! A leaf is one entity on one day for one column: an ad for the ads
//! hierarchy (ad group, campaign and ad account sum their ads), a Pin for
//! organic analytics (the user sums their Pins), a keyword, a product item
//! (a product group sums its items). Its value is a hash of the seed, the
//! entity, the day and the column, so the same request always gets the
//! same answer, and
//! - a total over a date range is the sum of its days (or hours, weeks,
//!   months),
//! - a parent's total is the sum of its children's,
//! - a targeting breakdown splits each leaf exactly among the values of
//!   the targeting type, so the values of one type add up to the total.
//!
//! Counts (impressions, clicks, micro-currency amounts) add. A column named
//! in whole currency units (`SPEND_IN_DOLLAR`) is its micro column divided
//! by a million. A ratio (CTR, CPC, rates, ROAS…) is the sum of a hidden
//! numerator over the sum of a hidden denominator, both leaves themselves,
//! so it is right at every level without averaging averages.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

/// How a column's values behave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A property of the entity (id, name, status, date…), not a metric.
    Attribute,
    /// An additive count; micro-currency amounts included.
    Count,
    /// A whole-currency amount: the matching micro column over 10^6.
    Currency,
    /// A ratio of two hidden additive leaves.
    Ratio,
}

const ATTRIBUTE_SUFFIXES: &[&str] =
    &["_ID", "_NAME", "_STATUS", "_LABEL", "_LABELS", "_TYPE", "_URL", "_CURRENCY", "_IN_LOCAL_CURRENCY"];
const RATIO_MARKS: &[&str] =
    &["CTR", "RATE", "CPC", "CPM", "ECP", "ROAS", "COST_PER", "FREQUENCY", "AVG", "AVERAGE", "CPV", "CPCV", "PERCENT"];

/// The kind of a column, from its name.
pub fn kind(column: &str) -> Kind {
    if column == "DATE" || column == "HOUR" || ATTRIBUTE_SUFFIXES.iter().any(|s| column.ends_with(s)) {
        Kind::Attribute
    } else if RATIO_MARKS.iter().any(|m| column.contains(m)) {
        Kind::Ratio
    } else if column.ends_with("_IN_DOLLAR") || column.ends_with("_IN_DOLLARS") {
        Kind::Currency
    } else {
        Kind::Count
    }
}

/// FNV-1a over the parts, finished with SplitMix64's mixer.
fn hash(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.iter().chain(std::iter::once(&0xff)) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// The upper bound (exclusive) of one leaf of `key`.
fn range(key: &str) -> u64 {
    if key.contains("MICRO_DOLLAR") {
        5_000_000
    } else if key.contains("IMPRESSION") || key.ends_with("#d") {
        5_000
    } else {
        200
    }
}

/// What leaves are computed with: the seed, and the targeting split.
#[derive(Debug, Clone)]
pub struct Leaves {
    seed: Vec<u8>,
}

impl Leaves {
    pub fn new(seed: Option<u64>) -> Leaves {
        Leaves { seed: seed.unwrap_or(0).to_le_bytes().to_vec() }
    }

    /// One leaf: `entity` on `day` (days since 1970-01-01) for `key`.
    pub fn leaf(&self, entity: &str, day: i64, key: &str) -> u64 {
        let mut v = hash(&[&self.seed, entity.as_bytes(), &day.to_le_bytes(), key.as_bytes()]) % range(key);
        if key.ends_with("#d") {
            v += 1_000; // A ratio's denominator is never zero.
        } else if key.ends_with("#n") {
            v %= 1_000; // …and a rate stays below one.
        }
        v
    }

    /// The share of `value` that goes to `index` of `n` parts, split by
    /// weights drawn from `salt`: the shares of 0..n add up to `value`.
    pub fn share(&self, value: u64, salt: &str, n: usize, index: usize) -> u64 {
        if n <= 1 {
            return value;
        }
        let weight = |i: usize| 1 + hash(&[&self.seed, salt.as_bytes(), &i.to_le_bytes()]) % 9;
        let total: u64 = (0..n).map(weight).sum();
        let part = |i: usize| (u128::from(value) * u128::from(weight(i)) / u128::from(total)) as u64;
        if index == 0 { value - (1..n).map(part).sum::<u64>() } else { part(index) }
    }
}

/// Sums of the additive quantities behind some columns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sums(BTreeMap<String, u64>);

/// The additive quantities a column needs.
pub fn keys(column: &str) -> Vec<String> {
    match kind(column) {
        Kind::Attribute => Vec::new(),
        Kind::Count => vec![column.to_owned()],
        Kind::Currency => vec![micro_of(column)],
        Kind::Ratio => vec![format!("{column}#n"), format!("{column}#d")],
    }
}

fn micro_of(column: &str) -> String {
    let stem = column.strip_suffix("_IN_DOLLARS").or_else(|| column.strip_suffix("_IN_DOLLAR")).unwrap_or(column);
    format!("{stem}_IN_MICRO_DOLLAR")
}

impl Sums {
    pub fn add(&mut self, key: &str, v: u64) {
        *self.0.entry(key.to_owned()).or_default() += v;
    }

    pub fn merge(&mut self, other: &Sums) {
        for (k, v) in &other.0 {
            self.add(k, *v);
        }
    }

    fn get(&self, key: &str) -> u64 {
        self.0.get(key).copied().unwrap_or(0)
    }

    /// The value of `column` from these sums; `None` for attributes.
    pub fn value(&self, column: &str) -> Option<Value> {
        Some(match kind(column) {
            Kind::Attribute => return None,
            Kind::Count => json!(self.get(column)),
            Kind::Currency => json!(self.get(&micro_of(column)) as f64 / 1_000_000.0),
            Kind::Ratio => {
                let (n, d) = (self.get(&format!("{column}#n")), self.get(&format!("{column}#d")));
                let r = if d == 0 { 0.0 } else { n as f64 / d as f64 };
                json!((r * 1_000_000.0).round() / 1_000_000.0)
            }
        })
    }
}

/// A breakdown: one targeting type's value, split out of every leaf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slice {
    pub targeting_type: String,
    pub values: Vec<String>,
    pub index: usize,
}

impl Slice {
    pub fn value(&self) -> &str {
        self.values.get(self.index).map(String::as_str).unwrap_or_default()
    }
}

/// The values a targeting type breaks down into.
pub fn targeting_values(targeting_type: &str) -> Vec<String> {
    let v: &[&str] = match targeting_type {
        "KEYWORD" => &["sourdough", "lemon cake", "kyoto travel"],
        "APPTYPE" => &["iphone", "ipad", "android_mobile", "android_tablet", "web", "web_mobile"],
        "GENDER" => &["female", "male", "unknown"],
        "LOCATION" | "GEO" => &["US:94105", "US:10001", "GB:EC1A", "DE:10115"],
        "PLACEMENT" => &["BROWSE", "SEARCH", "OTHER"],
        "COUNTRY" => &["US", "GB", "DE", "FR"],
        "REGION" => &["US-CA", "US-NY", "GB-ENG", "DE-BE"],
        "TARGETED_INTEREST" | "PINNER_INTEREST" => &["924581335376", "935541271955", "961238559656"],
        "AUDIENCE_INCLUDE" | "AUDIENCE_EXCLUDE" => &["2542620905475", "2542620905476"],
        "AGE_BUCKET" => &["18-24", "25-34", "35-44", "45-49", "50-54", "55-64", "65+"],
        "AGE_BUCKET_AND_GENDER" => &["18-24_female", "18-24_male", "25-34_female", "25-34_male", "35+_unknown"],
        "CREATIVE_TYPE" => &["REGULAR", "VIDEO", "CAROUSEL"],
        _ => &["all"],
    };
    v.iter().map(|s| (*s).to_owned()).collect()
}

impl Leaves {
    /// The sums of `keys` over `entities` and `days`, within `slice`, and
    /// within one hour of each day when `hour` is given: every leaf is split
    /// first, so levels add up at any granularity.
    pub fn sums(
        &self,
        entities: &[String],
        days: &[i64],
        keys: &[String],
        slice: Option<&Slice>,
        hour: Option<usize>,
    ) -> Sums {
        // Two columns may need the same quantity (`SPEND_IN_DOLLAR` and
        // `SPEND_IN_MICRO_DOLLAR`): each is summed once.
        let mut keys = keys.to_vec();
        keys.sort();
        keys.dedup();
        let mut s = Sums::default();
        for e in entities {
            for d in days {
                for k in &keys {
                    let mut v = self.leaf(e, *d, k);
                    if let Some(h) = hour {
                        v = self.share(v, &format!("{e}|{d}|{k}|hour"), 24, h);
                    }
                    if let Some(sl) = slice {
                        let salt = format!("{e}|{d}|{k}|{}", sl.targeting_type);
                        v = self.share(v, &salt, sl.values.len(), sl.index);
                    }
                    s.add(k, v);
                }
            }
        }
        s
    }
}

/// Days since 1970-01-01 of `YYYY-MM-DD`, if it is a real date.
pub fn parse_date(s: &str) -> Option<i64> {
    if !crate::state::has_shape(s, "dddd-dd-dd") {
        return None;
    }
    let y: i64 = s.get(0..4)?.parse().ok()?;
    let m: i64 = s.get(5..7)?.parse().ok()?;
    let d: i64 = s.get(8..10)?.parse().ok()?;
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    // Analytics start in 1970 (day 0).
    (days >= 0).then_some(days)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `YYYY-MM-DD` of a day number.
pub fn format_date(day: i64) -> String {
    let secs = u64::try_from(day.max(0) * 86_400).unwrap_or(0);
    crate::state::format_time(secs).get(..10).unwrap_or_default().to_owned()
}

/// One row's period: its days, the `DATE` it shows (none for a total) and
/// its hour (for hourly rows).
#[derive(Debug, Clone)]
pub struct Bucket {
    pub days: Vec<i64>,
    pub date: Option<String>,
    pub hour: Option<usize>,
}

/// The periods of `start..=end` at `granularity` (TOTAL, DAY, HOUR, WEEK,
/// MONTH). A week starts on Monday, a month on its first; the first period
/// shows the range's first day.
pub fn buckets(start: i64, end: i64, granularity: &str) -> Vec<Bucket> {
    let all: Vec<i64> = (start..=end).collect();
    match granularity {
        "TOTAL" => vec![Bucket { days: all, date: None, hour: None }],
        "HOUR" => all
            .iter()
            .flat_map(|d| (0..24).map(move |h| Bucket { days: vec![*d], date: Some(format_date(*d)), hour: Some(h) }))
            .collect(),
        "WEEK" | "MONTH" => {
            let mut out: Vec<(String, Vec<i64>)> = Vec::new();
            for d in all {
                // 1970-01-01 was a Thursday: Monday-based weeks start at day ≡ 4 (mod 7).
                let key = if granularity == "WEEK" {
                    (d - 4).div_euclid(7).to_string()
                } else {
                    format_date(d).get(..7).unwrap_or_default().to_owned()
                };
                match out.last_mut() {
                    Some((k, days)) if *k == key => days.push(d),
                    _ => out.push((key, vec![d])),
                }
            }
            out.into_iter()
                .map(|(_, days)| Bucket { date: days.first().map(|d| format_date(*d)), days, hour: None })
                .collect()
        }
        _ => all.into_iter().map(|d| Bucket { days: vec![d], date: Some(format_date(d)), hour: None }).collect(),
    }
}

/// Checks a date range: real dates, start on or before end, at most
/// `max_days` long.
pub fn check_range(start: &str, end: &str, max_days: i64) -> Result<(i64, i64), String> {
    let s = parse_date(start).ok_or_else(|| format!("start_date `{start}` is not a date (YYYY-MM-DD)"))?;
    let e = parse_date(end).ok_or_else(|| format!("end_date `{end}` is not a date (YYYY-MM-DD)"))?;
    if s > e {
        return Err("start_date must be on or before end_date".into());
    }
    if e - s + 1 > max_days {
        return Err(format!("the date range may span at most {max_days} days"));
    }
    Ok((s, e))
}

/// Organic analytics of `entities` (Pins; the user is all of them):
/// `{daily_metrics, summary_metrics}` for `metric_types`.
pub fn organic(leaves: &Leaves, entities: &[String], start: i64, end: i64, names: &[String]) -> Value {
    let keys: Vec<String> = names.iter().flat_map(|n| organic_keys(n)).collect();
    let mut total = Sums::default();
    let mut daily = Vec::new();
    for d in start..=end {
        let s = leaves.sums(entities, &[d], &keys, None, None);
        total.merge(&s);
        daily.push(json!({"date": format_date(d), "data_status": "READY", "metrics": organic_metrics(&s, names)}));
    }
    json!({"daily_metrics": daily, "summary_metrics": organic_metrics(&total, names)})
}

/// `ENGAGEMENT` is the sum of saves, Pin clicks and outbound clicks.
const ENGAGEMENT_PARTS: &[&str] = &["SAVE", "PIN_CLICK", "OUTBOUND_CLICK"];

fn organic_keys(name: &str) -> Vec<String> {
    match name {
        "ENGAGEMENT" => ENGAGEMENT_PARTS.iter().map(|p| (*p).to_owned()).collect(),
        n if n.ends_with("_RATE") => {
            let mut k: Vec<String> = organic_keys(n.trim_end_matches("_RATE"));
            k.push("IMPRESSION".into());
            k
        }
        n => vec![n.to_owned()],
    }
}

fn organic_value(s: &Sums, name: &str) -> f64 {
    match name {
        "ENGAGEMENT" => ENGAGEMENT_PARTS.iter().map(|p| s.get(p) as f64).sum(),
        n if n.ends_with("_RATE") => {
            let impressions = s.get("IMPRESSION") as f64;
            let part = organic_value(s, n.trim_end_matches("_RATE"));
            if impressions == 0.0 { 0.0 } else { (part / impressions * 1_000_000.0).round() / 1_000_000.0 }
        }
        n => s.get(n) as f64,
    }
}

fn organic_metrics(s: &Sums, names: &[String]) -> Map<String, Value> {
    names
        .iter()
        .map(|n| {
            let v = organic_value(s, n);
            let v = if n.ends_with("_RATE") { json!(v) } else { json!(v as u64) };
            (n.clone(), v)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_bad_dates_are_refused() {
        for s in ["1970-01-01", "2024-02-29", "2025-12-31", "2000-03-01"] {
            assert_eq!(format_date(parse_date(s).unwrap()), s);
        }
        assert_eq!(parse_date("2025-01-01"), Some(20_089));
        for bad in ["2025-02-29", "2025-13-01", "2025-00-10", "2025-1-01", "yesterday", "2025-01-32", "1969-12-31"] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn columns_are_classified_by_name() {
        assert_eq!(kind("CAMPAIGN_ID"), Kind::Attribute);
        assert_eq!(kind("CAMPAIGN_NAME"), Kind::Attribute);
        assert_eq!(kind("SPEND_IN_MICRO_DOLLAR"), Kind::Count);
        assert_eq!(kind("SPEND_IN_DOLLAR"), Kind::Currency);
        assert_eq!(kind("CTR"), Kind::Ratio);
        assert_eq!(kind("ECPC_IN_DOLLAR"), Kind::Ratio);
        assert_eq!(kind("TOTAL_IDEA_PIN_PRODUCT_TAG_VISIT"), Kind::Count);
        assert_eq!(kind("IMPRESSION_1"), Kind::Count);
    }

    #[test]
    fn shares_split_exactly() {
        let l = Leaves::new(Some(3));
        for value in [0u64, 1, 7, 999, 4_999_999] {
            for n in 1..8 {
                let sum: u64 = (0..n).map(|i| l.share(value, "x", n, i)).sum();
                assert_eq!(sum, value, "{value} in {n}");
            }
        }
    }

    #[test]
    fn buckets_cover_the_range_once() {
        let (s, e) = (parse_date("2025-01-27").unwrap(), parse_date("2025-03-04").unwrap());
        for g in ["TOTAL", "DAY", "WEEK", "MONTH"] {
            let days: Vec<i64> = buckets(s, e, g).into_iter().flat_map(|b| b.days).collect();
            assert_eq!(days, (s..=e).collect::<Vec<_>>(), "{g}");
        }
        let weeks = buckets(s, e, "WEEK");
        // 2025-01-27 is a Monday: six weeks, the last one two days long.
        assert_eq!(weeks.len(), 6);
        assert_eq!(weeks[1].date.as_deref(), Some("2025-02-03"));
        let months = buckets(s, e, "MONTH");
        assert_eq!(
            months.iter().map(|b| b.date.clone().unwrap()).collect::<Vec<_>>(),
            ["2025-01-27", "2025-02-01", "2025-03-01"]
        );
        assert_eq!(buckets(s, s, "HOUR").len(), 24);
    }

    #[test]
    fn ratios_and_currency_follow_their_parts() {
        let l = Leaves::new(None);
        let cols: Vec<String> = ["SPEND_IN_DOLLAR", "SPEND_IN_MICRO_DOLLAR", "CTR"].map(String::from).to_vec();
        let keys: Vec<String> = cols.iter().flat_map(|c| keys(c)).collect();
        let s = l.sums(&["1".into(), "2".into()], &[1, 2, 3], &keys, None, None);
        let micro = s.value("SPEND_IN_MICRO_DOLLAR").unwrap().as_u64().unwrap();
        let alone = l.sums(&["1".into(), "2".into()], &[1, 2, 3], &["SPEND_IN_MICRO_DOLLAR".into()], None, None);
        // The hours of a day add up to the day, for every entity.
        let day = l.sums(&["1".into()], &[7], &["IMPRESSION_1".into()], None, None);
        let hours: u64 = (0..24)
            .map(|h| l.sums(&["1".into()], &[7], &["IMPRESSION_1".into()], None, Some(h)).get("IMPRESSION_1"))
            .sum();
        assert_eq!(hours, day.get("IMPRESSION_1"));
        assert_eq!(alone.value("SPEND_IN_MICRO_DOLLAR").unwrap().as_u64().unwrap(), micro, "asked twice, summed once");
        assert_eq!(s.value("SPEND_IN_DOLLAR").unwrap().as_f64().unwrap(), micro as f64 / 1e6);
        let ctr = s.value("CTR").unwrap().as_f64().unwrap();
        assert!((0.0..1.0).contains(&ctr), "{ctr}");
    }
}
