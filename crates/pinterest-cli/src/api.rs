//! `pinterest api METHOD PATH`: any endpoint, JSON out.

use std::io::{Read as _, Write as _};

use http::Method;
use pinterest_sdk::paginate::Cursor;
use pinterest_sdk::{Client, RawRequest};
use serde_json::{Map, Value};

use crate::cli::ApiArgs;
use crate::output::{CliError, CliResult};

/// A `-F` value: JSON scalars stay typed, `@file` reads a file (`@-` stdin).
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
    match raw {
        "true" => Ok(Value::Bool(true)),
        "false" => Ok(Value::Bool(false)),
        "null" => Ok(Value::Null),
        _ => Ok(raw
            .parse::<i64>()
            .map(Value::from)
            .or_else(|_| raw.parse::<f64>().map(Value::from))
            .unwrap_or_else(|_| Value::String(raw.to_owned()))),
    }
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

fn query_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub async fn run(client: &Client, args: &ApiArgs) -> CliResult {
    let method = Method::from_bytes(args.method.to_ascii_uppercase().as_bytes())
        .map_err(|_| CliError::Usage(format!("`{}` is not an HTTP method", args.method)))?;
    let (path, inline_query) = args.path.split_once('?').unwrap_or((&args.path, ""));
    let path = if path.starts_with('/') { path.to_owned() } else { format!("/{path}") };
    let path = path.strip_prefix("/v5/").map(|p| format!("/{p}")).unwrap_or(path);
    if pinterest_sdk::registry::route(method.as_str(), &path).is_none() {
        eprintln!("note: {method} {path} is not an operation of the spec; sending it anyway");
    }
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
        body = Some(Value::Object(fields.iter().cloned().collect::<Map<String, Value>>()));
    } else if !has_body {
        query.extend(fields.iter().map(|(k, v)| (k.clone(), query_text(v))));
    }
    let build = |bookmark: Option<&str>| {
        let mut r: RawRequest<Value, &Client> = client.request(method.clone(), path.clone());
        for (k, v) in &query {
            r = r.query(k.clone(), v.clone());
        }
        if let Some(b) = bookmark {
            r = r.query("bookmark", b);
        }
        for h in &args.headers {
            let (n, v) = h.split_once(':').unwrap_or((h, ""));
            r = r.header(n.trim(), v.trim());
        }
        if let Some(b) = &body {
            r = r.json(b);
        }
        r
    };
    let mut stdout = std::io::stdout().lock();
    if !args.paginate {
        let value = build(None).send().await?;
        let text = serde_json::to_string_pretty(&value).map_err(|e| CliError::Local(e.to_string()))?;
        return writeln!(stdout, "{text}").map_err(|e| CliError::Local(e.to_string()));
    }
    if method != Method::GET {
        return Err(CliError::Usage("--paginate works with GET".into()));
    }
    // Every item of every page, one JSON value per line.
    let mut cursor = Cursor::new().with_limits(client.config().pagination());
    while !cursor.is_finished() {
        if let Some(problem) = cursor.take_problem() {
            let pages = cursor.pages();
            return Err(pinterest_sdk::Error::Pagination { operation: "raw", pages, problem }.into());
        }
        let Some(bookmark) = cursor.next_request() else { break };
        let page = build(bookmark).send().await?;
        let items = page.get("items").and_then(Value::as_array).cloned().unwrap_or_default();
        for item in &items {
            let line = serde_json::to_string(item).map_err(|e| CliError::Local(e.to_string()))?;
            writeln!(stdout, "{line}").map_err(|e| CliError::Local(e.to_string()))?;
        }
        cursor.advance_page(page.get("bookmark").and_then(Value::as_str).map(str::to_owned), items.len());
    }
    Ok(())
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
}
