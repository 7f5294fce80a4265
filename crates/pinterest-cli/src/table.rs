//! Text for people: tables cut to the terminal, objects as `key.path
//! value` lines, times in local time with a relative form.
//!
//! Every cell goes through [`terminal_safe`] (server text can hold control
//! characters) and is measured in terminal columns (wide characters count
//! two), then cut with `…` to its column.

use std::fmt::Write as _;

use pinterest_sdk::chrono::{DateTime, Local, NaiveDateTime, Utc};
use serde_json::Value;
use unicode_width::{UnicodeWidthChar as _, UnicodeWidthStr as _};

use crate::output::terminal_safe;

/// The narrowest a column is cut to.
const MIN_COLUMN: usize = 6;
/// Spaces between columns.
const GAP: usize = 2;
/// The widest a column is, even on a wide terminal.
const MAX_COLUMN: usize = 60;

/// Columns of the terminal on stdout (else `$COLUMNS`, else 80).
pub fn terminal_width() -> usize {
    if let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size_of(std::io::stdout()) {
        return usize::from(w).max(20);
    }
    std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse::<usize>().ok()).filter(|w| *w >= 20).unwrap_or(80)
}

/// A value as table text: strings as they are (times in local time),
/// numbers and booleans as JSON, lists of plain values joined by commas,
/// nested objects as `key=value` pairs; control characters escaped.
pub fn cell(column: &str, v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) if is_time_key(column) => local_from_text(s).unwrap_or_else(|| plain(s)),
        Some(Value::String(s)) => plain(s),
        Some(Value::Array(items)) => items.iter().map(|i| cell("", Some(i))).collect::<Vec<_>>().join(", "),
        Some(Value::Object(map)) => {
            let mut pairs = Vec::new();
            flatten("", &Value::Object(map.clone()), &mut pairs);
            pairs.into_iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ")
        }
        Some(other) => plain(&other.to_string()),
    }
}

/// One line of text: control characters (line feeds too) escaped.
fn plain(s: &str) -> String {
    terminal_safe(s).into_owned()
}

fn is_time_key(key: &str) -> bool {
    key.ends_with("_at") || key.ends_with("_time") || key == "date"
}

/// Column widths: each column as wide as its widest cell (at most
/// [`MAX_COLUMN`]); while the row is wider than `total`, the widest column
/// gives up a column, down to [`MIN_COLUMN`]: free text first, then times;
/// then columns other than ids are dropped (width 0) from the right; ids
/// are cut last.
pub fn fit(headers: &[String], rows: &[Vec<String>], total: usize) -> Vec<usize> {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.width()).collect();
    for row in rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.width());
        }
    }
    for w in &mut widths {
        *w = (*w).min(MAX_COLUMN);
    }
    let full = widths.clone();
    // Dropped columns (width 0) take no gap either.
    let line = |ws: &[usize]| {
        let shown = ws.iter().filter(|w| **w > 0).count();
        ws.iter().sum::<usize>() + GAP * shown.saturating_sub(1)
    };
    // Free text is cut first, times next; ids, what a next command needs, last.
    let rank = |h: &String| {
        let h = h.to_ascii_lowercase();
        if h == "id" || h.ends_with("_id") {
            2
        } else if is_time_key(&h) {
            1
        } else {
            0
        }
    };
    for level in 0..=2 {
        if level == 2 {
            // Before an id is cut, the other columns go, from the right.
            let mut dropped = false;
            for i in (0..widths.len()).rev() {
                if line(&widths) <= total {
                    break;
                }
                if headers.get(i).is_some_and(|h| rank(h) < 2) {
                    widths[i] = 0;
                    dropped = true;
                }
            }
            // What a dropped column freed goes back to the cut ones.
            while dropped && line(&widths) < total {
                let Some(i) =
                    (0..widths.len()).filter(|&i| widths[i] > 0 && widths[i] < full[i]).min_by_key(|&i| widths[i])
                else {
                    break;
                };
                widths[i] += 1;
            }
        }
        while line(&widths) > total {
            let widest = widths
                .iter()
                .copied()
                .enumerate()
                .filter(|(i, w)| *w > MIN_COLUMN && headers.get(*i).is_some_and(|h| rank(h) <= level))
                .max_by_key(|(_, w)| *w);
            let Some((i, w)) = widest else { break };
            widths[i] = w - 1;
        }
    }
    widths
}

/// `text` cut to `width` terminal columns, ending in `…` when cut.
pub fn cut(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// One table line: cells cut and padded to their widths (the last not
/// padded, a column of width 0 left out), bold when `bold`.
pub fn row(cells: &[String], widths: &[usize], bold: bool) -> String {
    let mut line = String::new();
    let last = widths.iter().rposition(|w| *w > 0).unwrap_or(0);
    for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
        if *w == 0 {
            continue;
        }
        let text = cut(c, *w);
        if i < last {
            let pad = w.saturating_sub(text.width()) + GAP;
            let _ = write!(line, "{text}{:pad$}", "");
        } else {
            line.push_str(&text);
        }
    }
    let line = line.trim_end().to_owned();
    if bold {
        let style = anstyle::Style::new().bold();
        format!("{style}{line}{style:#}\n")
    } else {
        format!("{line}\n")
    }
}

/// Every leaf of `v` as (`key.path`, text): objects by key, lists of plain
/// values joined by commas, other lists by index (`items[0].id`); nulls
/// left out.
pub fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    let join = |k: &str| if prefix.is_empty() { plain(k) } else { format!("{prefix}.{}", plain(k)) };
    match v {
        Value::Null => {}
        Value::Object(map) => {
            for (k, v) in map {
                let key = join(k);
                match v {
                    Value::Object(inner) if inner.is_empty() => out.push((key, "{}".into())),
                    _ => flatten(&key, v, out),
                }
            }
        }
        Value::Array(items) if items.is_empty() => out.push((prefix.to_owned(), "[]".into())),
        Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
            out.push((prefix.to_owned(), cell(leaf_key(prefix), Some(v))));
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), item, out);
            }
        }
        leaf => out.push((prefix.to_owned(), cell(leaf_key(prefix), Some(leaf)))),
    }
}

fn leaf_key(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

/// An object as aligned `key.path  value` lines, values cut to `width`.
pub fn key_paths(v: &Value, width: usize, color: bool) -> String {
    let mut pairs = Vec::new();
    match v {
        Value::Object(_) | Value::Array(_) => flatten("", v, &mut pairs),
        other => return cell("", Some(other)),
    }
    let key_width = pairs.iter().map(|(k, _)| k.width()).max().unwrap_or(0).min(width / 2);
    let room = width.saturating_sub(key_width + GAP).max(MIN_COLUMN);
    let style = anstyle::Style::new().bold();
    pairs
        .iter()
        .map(|(k, v)| {
            let key = cut(k, key_width);
            let pad = key_width.saturating_sub(key.width()) + GAP;
            let key = if color { format!("{style}{key}{style:#}") } else { key };
            format!("{key}{:pad$}{}", "", cut(v, room)).trim_end().to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A Unix time in local time, with how far it is from `now`:
/// `2026-12-26 14:02 +01:00 (in 29 days)`.
pub fn local_time(unix: i64, now: i64) -> String {
    match DateTime::<Utc>::from_timestamp(unix, 0) {
        Some(t) => format!("{} ({})", t.with_timezone(&Local).format("%Y-%m-%d %H:%M %:z"), relative(unix - now)),
        None => unix.to_string(),
    }
}

/// A time as Pinterest writes it (`2024-03-01T10:20:30`, UTC, or with an
/// offset) in local time; `None` when it is not one.
fn local_from_text(s: &str) -> Option<String> {
    let utc = match DateTime::parse_from_rfc3339(s) {
        Ok(t) => t.with_timezone(&Utc),
        Err(_) => NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok()?.and_utc(),
    };
    Some(utc.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string())
}

/// `delta` seconds from now in words: "in 29 days", "3 hours ago", "now".
pub fn relative(delta: i64) -> String {
    let secs = delta.unsigned_abs();
    let (n, unit) = match secs {
        0..=44 => return "now".into(),
        45..=5_399 => (secs.div_ceil(60).max(1), "minute"),
        5_400..=129_599 => ((secs + 1_800) / 3_600, "hour"),
        129_600..=3_887_999 => ((secs + 43_200) / 86_400, "day"),
        3_888_000..=29_807_999 => ((secs + 1_296_000) / 2_592_000, "month"),
        _ => ((secs + 15_768_000) / 31_536_000, "year"),
    };
    let s = if n == 1 { "" } else { "s" };
    if delta > 0 { format!("in {n} {unit}{s}") } else { format!("{n} {unit}{s} ago") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_fit_the_terminal() {
        let headers = vec!["ID".to_owned(), "NAME".to_owned(), "DESCRIPTION".to_owned()];
        let rows = vec![vec!["1234567890".to_owned(), "A board".to_owned(), "x".repeat(200)]];
        let w = fit(&headers, &rows, 40);
        assert!(w.iter().sum::<usize>() + GAP * 2 <= 40, "{w:?}");
        let line = row(&rows[0], &w, false);
        assert!(line.trim_end().width() <= 40, "{line}");
        assert!(line.contains("1234567890") && line.trim_end().ends_with('…'), "{line}");
        // Ids are cut last.
        let headers = vec!["ID".to_owned(), "BOARD_ID".to_owned(), "LINK".to_owned()];
        let rows = vec![vec!["1".repeat(18), "2".repeat(18), "https://www.example.com/".repeat(3)]];
        let w = fit(&headers, &rows, 60);
        assert_eq!(&w[..2], &[18, 18], "{w:?}");
        // Too narrow for both ids and the link: the link goes, the ids stay whole.
        let w = fit(&headers, &rows, 40);
        assert_eq!(w, [18, 18, 0], "{w:?}");
        assert_eq!(row(&rows[0], &w, false), format!("{}  {}\n", "1".repeat(18), "2".repeat(18)));
        // Wide characters count two columns.
        assert_eq!(cut("日本語のボード", 7), "日本語…");
        assert_eq!(cut("short", 10), "short");
    }

    #[test]
    fn objects_become_key_paths() {
        let v = serde_json::json!({
            "id": "1", "owner": {"username": "ada"}, "media": {"images": {"150x150": {"url": "https://i/x.jpg"}}},
            "tags": ["a", "b"], "items": [{"id": "7"}], "gone": null, "empty": {}
        });
        let text = key_paths(&v, 80, false);
        for want in
            ["owner.username", "media.images.150x150.url", "https://i/x.jpg", "tags", "a, b", "items[0].id", "empty"]
        {
            assert!(text.contains(want), "{want} in {text}");
        }
        assert!(!text.contains("gone"), "nulls are left out: {text}");
        assert!(text.lines().any(|l| l.starts_with("empty") && l.ends_with("{}")), "{text}");
        assert!(!text.contains("\"id\""), "no JSON: {text}");
        assert!(text.lines().all(|l| l.width() <= 80), "{text}");
    }

    #[test]
    fn relative_times_read_naturally() {
        assert_eq!(relative(29 * 86_400 + 100), "in 29 days");
        assert_eq!(relative(-3 * 3_600), "3 hours ago");
        assert_eq!(relative(10), "now");
        assert_eq!(relative(60), "in 1 minute");
        assert_eq!(relative(365 * 86_400), "in 1 year");
        let text = local_time(1_800_000_000, 1_800_000_000 - 86_400 * 2);
        assert!(text.ends_with("(in 2 days)") && text.starts_with("2027-01-1"), "{text}");
        assert!(local_from_text("2024-03-01T10:20:30").is_some_and(|t| t.starts_with("2024-03-01")));
        assert_eq!(local_from_text("not a time"), None);
    }
}
