//! `pinterest api METHOD PATH`: any endpoint, JSON out.

use std::io::Read as _;

use http::Method;
use pinterest_sdk::{Client, RawRequest};
use serde_json::{Map, Value};

use crate::cli::ApiArgs;
use crate::output::{CliError, CliResult, Out, terminal_safe};

/// A `-F` value: `true`, `false`, `null` and JSON numbers stay typed, `@file`
/// reads a file (`@-` stdin), anything else is the string as written.
pub fn typed_value(raw: &str) -> CliResult<Value> {
    if let Some(path) = raw.strip_prefix('@') {
        let mut text = String::new();
        if path == "-" {
            std::io::stdin().read_to_string(&mut text).map_err(|e| CliError::Local(e.to_string()))?;
        } else {
            text = std::fs::read_to_string(path).map_err(|e| CliError::Usage(format!("cannot read {path}: {e}")))?;
        }
        return Ok(Value::String(text.trim_end_matches('\n').to_owned()));
    }
    Ok(match raw {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" => Value::Null,
        _ => json_number(raw).map_or_else(|| Value::String(raw.to_owned()), Value::Number),
    })
}

/// `raw` as a number when it is written exactly as a JSON number and stays
/// exact: integers within 64 bits, finite decimals. Not `NaN`, `inf`, `+5`,
/// `.5`, ` 5` or a 30-digit id (which Rust's parsers would take, `NaN` and
/// `inf` ending up as `null`): those stay strings.
fn json_number(raw: &str) -> Option<serde_json::Number> {
    let starts = raw.starts_with(|c: char| c == '-' || c.is_ascii_digit());
    let ends = raw.ends_with(|c: char| c.is_ascii_digit());
    if !(starts && ends) {
        return None;
    }
    let n: serde_json::Number = serde_json::from_str(raw).ok()?;
    let integer = !raw.contains(['.', 'e', 'E']);
    (!integer || n.is_i64() || n.is_u64()).then_some(n)
}

fn split_field(f: &str) -> CliResult<(&str, &str)> {
    f.split_once('=').filter(|(k, _)| !k.is_empty()).ok_or_else(|| CliError::Usage(format!("`{f}` is not KEY=VALUE")))
}

/// The fields as `(key, value)` pairs, in order.
pub fn fields(args: &ApiArgs) -> CliResult<Vec<(String, Value)>> {
    let mut out = Vec::new();
    for f in &args.fields {
        let (k, v) = split_field(f)?;
        out.push((k.to_owned(), Value::String(v.to_owned())));
    }
    for f in &args.typed_fields {
        let (k, v) = split_field(f)?;
        out.push((k.to_owned(), typed_value(v)?));
    }
    Ok(out)
}

/// One step of a nested key: `[name]` or `[]`.
#[derive(Debug, PartialEq)]
enum Step<'k> {
    Key(&'k str),
    Append,
}

/// `a[b][]` as `a` and its steps; a key that is not of that shape (an
/// unclosed bracket) is one plain key.
fn key_path(key: &str) -> (&str, Vec<Step<'_>>) {
    let Some(open) = key.find('[').filter(|&i| i > 0 && key.ends_with(']')) else { return (key, Vec::new()) };
    let mut steps = Vec::new();
    let mut rest = &key[open..];
    while let Some(inner) = rest.strip_prefix('[') {
        let Some(close) = inner.find(']') else { return (key, Vec::new()) };
        let name = &inner[..close];
        if name.contains('[') {
            return (key, Vec::new());
        }
        steps.push(if name.is_empty() { Step::Append } else { Step::Key(name) });
        rest = &inner[close + 1..];
    }
    if rest.is_empty() { (&key[..open], steps) } else { (key, Vec::new()) }
}

/// The JSON body the fields make, nesting as `gh api` does:
/// `a[b]=1` is `{"a": {"b": 1}}`, `a[]=1` appends to a list, and
/// `a[][b]=1` adds `b` to the last object of the list, or starts a new
/// one when it already has `b`.
pub fn nested_body(fields: &[(String, Value)]) -> CliResult<Map<String, Value>> {
    let mut body = Map::new();
    for (key, value) in fields {
        let (name, steps) = key_path(key);
        let clash = || CliError::Usage(format!("field `{key}` does not fit the fields before it"));
        let mut slot = body.entry(name.to_owned()).or_insert(Value::Null);
        let mut steps = steps.iter().peekable();
        while let Some(step) = steps.next() {
            let last = steps.peek().is_none();
            match step {
                Step::Key(k) => {
                    if slot.is_null() {
                        *slot = Value::Object(Map::new());
                    }
                    let Value::Object(map) = slot else { return Err(clash()) };
                    slot = map.entry((*k).to_owned()).or_insert(Value::Null);
                }
                Step::Append => {
                    if slot.is_null() {
                        *slot = Value::Array(Vec::new());
                    }
                    let Value::Array(list) = slot else { return Err(clash()) };
                    if last {
                        list.push(Value::Null);
                    } else {
                        // `a[][b]`: the last object takes `b` unless it has it already.
                        let next = match steps.peek() {
                            Some(Step::Key(k)) => Some(*k),
                            _ => None,
                        };
                        let reuse = list
                            .last()
                            .and_then(Value::as_object)
                            .is_some_and(|o| next.is_some_and(|k| !o.contains_key(k)));
                        if !reuse {
                            list.push(Value::Object(Map::new()));
                        }
                    }
                    let Some(item) = list.last_mut() else { return Err(clash()) };
                    slot = item;
                }
            }
        }
        if !slot.is_null() {
            return Err(CliError::Usage(format!("field `{key}` is given twice")));
        }
        *slot = value.clone();
    }
    Ok(body)
}

fn query_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The path under `/v5`: a leading `/` added, a leading `/v5` dropped;
/// refused when it would leave the API (`..`) or holds what a path cannot.
fn api_path(raw: &str) -> CliResult<String> {
    let path = if raw.starts_with('/') { raw.to_owned() } else { format!("/{raw}") };
    let path = path.strip_prefix("/v5/").map(|p| format!("/{p}")).unwrap_or(path);
    let bad = path.split('/').any(|s| s == ".." || s == ".")
        || path.chars().any(|c| c.is_control() || c.is_whitespace() || c == '#');
    if bad {
        return Err(CliError::Usage(format!(
            "`{}` would leave the API base or is not a path; give one under /v5, such as /boards/123/pins",
            terminal_safe(raw)
        )));
    }
    Ok(path)
}

/// `-H "Name: value"`, checked: a usage error when it is not a header.
fn header(h: &str) -> CliResult<(http::HeaderName, http::HeaderValue)> {
    let bad = || CliError::Usage(format!("-H `{}` is not a header: write it as `Name: value`", terminal_safe(h)));
    let (name, value) = h.split_once(':').ok_or_else(bad)?;
    let name = http::HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| bad())?;
    let value = http::HeaderValue::from_str(value.trim()).map_err(|_| bad())?;
    Ok((name, value))
}

pub async fn run(client: &Client, out: &Out, args: &ApiArgs) -> CliResult {
    let method = Method::from_bytes(args.method.to_ascii_uppercase().as_bytes())
        .map_err(|_| CliError::Usage(format!("`{}` is not an HTTP method", terminal_safe(&args.method))))?;
    let (path, inline_query) = args.path.split_once('?').unwrap_or((&args.path, ""));
    let path = api_path(path)?;
    if pinterest_sdk::registry::route(method.as_str(), &path).is_none() {
        out.tell(&format!(
            "note: {method} {} is not an operation of the spec; sending it anyway",
            terminal_safe(&path)
        ));
    }
    let headers = args.headers.iter().map(|h| header(h)).collect::<CliResult<Vec<_>>>()?;
    let has_body = !matches!(method, Method::GET | Method::DELETE | Method::HEAD);
    let fields = fields(args)?;
    let mut query: Vec<(String, String)> =
        url::form_urlencoded::parse(inline_query.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let mut body: Option<Value> = None;
    if let Some(input) = &args.input {
        if !fields.is_empty() && has_body {
            return Err(CliError::Usage("use either --input or fields for the body, not both".into()));
        }
        let mut text = String::new();
        if input == "-" {
            std::io::stdin().read_to_string(&mut text).map_err(|e| CliError::Local(e.to_string()))?;
        } else {
            text = std::fs::read_to_string(input).map_err(|e| CliError::Usage(format!("cannot read {input}: {e}")))?;
        }
        body = Some(serde_json::from_str(&text).map_err(|e| CliError::Usage(format!("--input is not JSON: {e}")))?);
    }
    if has_body && body.is_none() && !fields.is_empty() {
        body = Some(Value::Object(nested_body(&fields)?));
    } else if !has_body {
        // A query keeps its keys as written: `a[b]=1` is how Pinterest's
        // deepObject parameters are sent.
        query.extend(fields.iter().map(|(k, v)| (k.clone(), query_text(v))));
    }
    let endpoint = format!("{method} {}", terminal_safe(&path));
    let build = |bookmark: Option<&str>| {
        let mut r: RawRequest<Value, &Client> = client.request(method.clone(), path.clone());
        for (k, v) in &query {
            r = r.query(k.clone(), v.clone());
        }
        if let Some(b) = bookmark {
            r = r.query("bookmark", b);
        }
        for (n, v) in &headers {
            r = r.header(n.as_str(), v.to_str().unwrap_or_default());
        }
        if let Some(b) = &body {
            r = r.json(b);
        }
        r
    };
    let call = |e: pinterest_sdk::Error| CliError::Call { endpoint: endpoint.clone(), error: e };
    if !args.paginate {
        let value = build(None).send().await.map_err(call)?;
        return out.json_value(&value);
    }
    if method != Method::GET {
        return Err(CliError::Usage("--paginate works with GET".into()));
    }
    // Every item of every page, one JSON value per line; an answer that
    // is not a page of items is printed as it is.
    crate::resources::walk_pages(
        client,
        &endpoint,
        |bookmark| {
            let request = build(bookmark.as_deref());
            async { request.send().await.map_err(call) }
        },
        |page| match page.get("items").and_then(Value::as_array) {
            Some(items) => {
                for item in items {
                    out.json_line(item)?;
                }
                Ok(true)
            }
            None => {
                out.json_value(page)?;
                Ok(false)
            }
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_values() {
        assert_eq!(typed_value("true").unwrap(), Value::Bool(true));
        assert_eq!(typed_value("12").unwrap(), Value::from(12));
        assert_eq!(typed_value("1.5").unwrap(), Value::from(1.5));
        assert_eq!(typed_value("null").unwrap(), Value::Null);
        assert_eq!(typed_value("abc").unwrap(), Value::from("abc"));
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("d.txt");
        std::fs::write(&f, "hello\n").unwrap();
        assert_eq!(typed_value(&format!("@{}", f.display())).unwrap(), Value::from("hello"));
        assert!(typed_value("@/does/not/exist").is_err());
        assert!(split_field("=x").is_err());
        assert!(split_field("novalue").is_err());
    }

    #[test]
    fn only_exact_json_numbers_become_numbers() {
        for (raw, want) in [
            ("-3", serde_json::json!(-3)),
            ("18446744073709551615", serde_json::json!(u64::MAX)),
            ("1e3", serde_json::json!(1000.0)),
            ("NaN", Value::from("NaN")),
            ("inf", Value::from("inf")),
            ("+5", Value::from("+5")),
            (".5", Value::from(".5")),
            (" 5", Value::from(" 5")),
            ("5 ", Value::from("5 ")),
            ("1e400", Value::from("1e400")),
            ("123456789012345678901234567890", Value::from("123456789012345678901234567890")),
            ("0x10", Value::from("0x10")),
            ("", Value::from("")),
        ] {
            assert_eq!(typed_value(raw).unwrap(), want, "{raw:?}");
        }
    }

    #[test]
    fn fields_nest_as_gh_api_does() {
        let f = |pairs: &[(&str, Value)]| -> Vec<(String, Value)> {
            pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
        };
        let body = nested_body(&f(&[
            ("media_source[source_type]", Value::from("image_url")),
            ("media_source[url]", Value::from("https://x/y.jpg")),
            ("board_id", Value::from("1")),
            ("tags[]", Value::from("a")),
            ("tags[]", Value::from(2)),
            ("items[][id]", Value::from("i1")),
            ("items[][n]", Value::from(1)),
            ("items[][id]", Value::from("i2")),
            ("odd[", Value::from("kept")),
        ]))
        .unwrap();
        assert_eq!(
            Value::Object(body),
            serde_json::json!({
                "media_source": {"source_type": "image_url", "url": "https://x/y.jpg"},
                "board_id": "1",
                "tags": ["a", 2],
                "items": [{"id": "i1", "n": 1}, {"id": "i2"}],
                "odd[": "kept"
            })
        );
        for clash in [
            &[("a", Value::from(1)), ("a[b]", Value::from(2))][..],
            &[("a[b]", Value::from(1)), ("a[b]", Value::from(2))],
        ] {
            assert!(matches!(nested_body(&f(clash)), Err(CliError::Usage(_))), "{clash:?}");
        }
    }

    #[test]
    fn paths_and_headers_are_checked_before_sending() {
        assert_eq!(api_path("boards").unwrap(), "/boards");
        assert_eq!(api_path("/v5/boards/1").unwrap(), "/boards/1");
        for bad in ["/../oauth/token", "/boards/ 1", "/a#b", "/a/./b"] {
            assert!(matches!(api_path(bad), Err(CliError::Usage(_))), "{bad}");
        }
        assert!(header("X-Trace: 1").is_ok());
        for bad in ["no colon", "Bad Name: 1", "X: line\nbreak"] {
            let e = header(bad).unwrap_err();
            assert!(matches!(&e, CliError::Usage(m) if m.contains("is not a header")), "{bad}: {e:?}");
        }
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn args(fields: Vec<String>, typed_fields: Vec<String>) -> ApiArgs {
            ApiArgs {
                method: "GET".into(),
                path: "/boards".into(),
                fields,
                typed_fields,
                input: None,
                paginate: false,
                headers: Vec::new(),
            }
        }

        /// Characters the parser cares about, often; any character, sometimes.
        fn interesting_char() -> impl Strategy<Value = char> {
            prop_oneof![
                3 => prop::sample::select(vec![
                    '=', '@', '-', '+', '.', 'e', 'E', '0', '1', '9', ' ', '\t', '\n', '\u{0}', '\u{1b}', '\u{9b}',
                    'é', '\u{feff}', 'N', 'a', 'n', 'i', 'f', 't', 'r', 'u', 'l', 's',
                ]),
                1 => any::<char>(),
            ]
        }

        fn text() -> impl Strategy<Value = String> {
            prop::collection::vec(interesting_char(), 0..16).prop_map(|cs| cs.into_iter().collect())
        }

        /// A value that parses (a number, a literal, a word) with a few
        /// characters inserted, replaced or removed.
        fn mutated() -> impl Strategy<Value = String> {
            let seeds = prop::sample::select(vec![
                "25",
                "-1",
                "0",
                "-0",
                "1.5",
                "-2.5e-3",
                "1E10",
                "9223372036854775807",
                "9223372036854775808",
                "18446744073709551616",
                "true",
                "false",
                "null",
                "Cake",
                "",
            ]);
            let edit = (0usize..32, prop_oneof![Just(None), interesting_char().prop_map(Some)], any::<bool>());
            (seeds, prop::collection::vec(edit, 0..4)).prop_map(|(seed, edits)| {
                let mut cs: Vec<char> = seed.chars().collect();
                for (at, c, replace) in edits {
                    let at = at % (cs.len() + 1);
                    match (c, replace && at < cs.len()) {
                        (Some(c), true) => cs[at] = c,
                        (Some(c), false) => cs.insert(at, c),
                        (None, _) if at < cs.len() => {
                            cs.remove(at);
                        }
                        (None, _) => {}
                    }
                }
                cs.into_iter().collect()
            })
        }

        /// `-F` values that do not start with `@` (those read files: a
        /// separate, deterministic test).
        fn typed_raw() -> impl Strategy<Value = String> {
            prop_oneof![text(), mutated()].prop_filter("@ reads a file", |v| !v.starts_with('@'))
        }

        /// What `typed_value` promises: literals and exact JSON numbers are
        /// typed, and nothing else is changed.
        fn check_typed(raw: &str, v: &Value) -> Result<(), TestCaseError> {
            match v {
                Value::Bool(b) => prop_assert_eq!(raw, if *b { "true" } else { "false" }),
                Value::Null => prop_assert_eq!(raw, "null"),
                Value::Number(n) => {
                    // `raw` is JSON for exactly this number...
                    prop_assert_eq!(serde_json::from_str::<Value>(raw).ok(), Some(v.clone()), "{:?}", raw);
                    prop_assert!(!raw.starts_with(char::is_whitespace) && !raw.ends_with(char::is_whitespace));
                    // ...and an integer is exact.
                    if let Some(i) = n.as_i64() {
                        prop_assert_eq!(raw.parse::<i128>().ok(), Some(i128::from(i)), "{:?}", raw);
                    } else if let Some(u) = n.as_u64() {
                        prop_assert_eq!(raw.parse::<i128>().ok(), Some(i128::from(u)), "{:?}", raw);
                    } else {
                        prop_assert!(n.as_f64().is_some_and(f64::is_finite));
                        prop_assert!(raw.contains(['.', 'e', 'E']), "{:?} lost digits", raw);
                    }
                }
                Value::String(s) => prop_assert_eq!(s, raw, "a string is kept as written"),
                other => prop_assert!(false, "{:?} became {:?}", raw, other),
            }
            Ok(())
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

            /// Any `-f`/`-F` argument: a field or a usage error, never a panic.
            #[test]
            fn any_field_arguments_parse_or_fail_cleanly(
                raw in prop::collection::vec(prop_oneof![text(), mutated()], 0..4),
                typed in prop::collection::vec(
                    // No `=` in the key, so the value is never a `@file` to read.
                    (text(), typed_raw()).prop_map(|(k, v)| format!("{}={v}", k.replace('=', ""))).boxed()
                        .prop_union(typed_raw().boxed()),
                    0..4,
                ),
            ) {
                match fields(&args(raw.clone(), typed.clone())) {
                    Ok(parsed) => prop_assert_eq!(parsed.len(), raw.len() + typed.len()),
                    Err(e) => prop_assert!(matches!(e, CliError::Usage(_)), "{:?}", e),
                }
            }

            /// `-f KEY=VALUE` round-trips: the key up to the first `=`, the
            /// rest as the string value, whatever it holds.
            #[test]
            fn raw_fields_round_trip(key in text(), value in text()) {
                let key = key.replace('=', "");
                prop_assume!(!key.is_empty());
                let parsed = fields(&args(vec![format!("{key}={value}")], Vec::new())).unwrap();
                prop_assert_eq!(parsed, vec![(key, Value::String(value))]);
            }

            /// `-F KEY=VALUE`: the key as with `-f`, the value typed as
            /// promised; typing it again gives the same value.
            #[test]
            fn typed_fields_keep_their_meaning(key in text(), value in typed_raw()) {
                let key = key.replace('=', "");
                prop_assume!(!key.is_empty());
                let parsed = fields(&args(Vec::new(), vec![format!("{key}={value}")])).unwrap();
                prop_assert_eq!(parsed.len(), 1);
                prop_assert_eq!(&parsed[0].0, &key);
                check_typed(&value, &parsed[0].1)?;
                let again = typed_value(&query_text(&parsed[0].1)).unwrap();
                if parsed[0].1.is_string() || parsed[0].1.as_i64().is_some() || parsed[0].1.as_u64().is_some() {
                    prop_assert_eq!(again, parsed[0].1.clone());
                }
            }
        }
    }
}
