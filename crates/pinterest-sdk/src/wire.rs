//! The encodings the spec asks for, written once and used by every generated
//! operation: percent-encoded path parameters; query parameters as single
//! values, exploded lists (`k=a&k=b`), `explode: false` lists (`k=a,b`) and
//! `deepObject` objects (`k[x]=1`); header parameters; JSON and form bodies.
//! Also the decoding helpers the generated `decode` functions call.

use std::borrow::Cow;
use std::fmt::Write as _;

use bytes::Bytes;
use http::StatusCode;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{DecodeError, Error, Result};

/// Everything but RFC 3986 unreserved characters is escaped, in paths and
/// in query keys and values alike (so `/` in an id and `,` in a list item
/// cannot change the request's meaning).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// True when `segment`, percent-decoded up to three times, is `.` or `..`
/// (or, with `slashes`, holds a `/` or `\\`): URL parsers and servers
/// normalise such a segment into a step up the path.
pub(crate) fn escapes_segment(segment: &str, slashes: bool) -> bool {
    // Every path parameter of every call comes here: without a `%` there
    // is nothing to decode, and nothing to allocate.
    if !segment.contains('%') {
        return segment == "." || segment == ".." || slashes && segment.contains(['/', '\\']);
    }
    let mut current = std::borrow::Cow::Borrowed(segment);
    for _ in 0..4 {
        if current == "." || current == ".." || slashes && current.contains(['/', '\\']) {
            return true;
        }
        let decoded: Vec<u8> = percent_encoding::percent_decode_str(&current).collect();
        let decoded = String::from_utf8_lossy(&decoded).into_owned();
        if decoded == current {
            return false;
        }
        current = std::borrow::Cow::Owned(decoded);
    }
    // Still changing after four rounds: no real id is encoded like that.
    true
}

/// A request body as the operation wrote it.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Body {
    /// No body.
    #[default]
    Empty,
    /// `application/json`.
    Json(Bytes),
    /// `application/x-www-form-urlencoded`.
    Form(Bytes),
}

/// Collects an operation's path, query and body. Generated `write`
/// functions drive it; it never does I/O.
#[derive(Debug)]
pub struct RequestWriter {
    operation: &'static str,
    path: String,
    query: String,
    body: Body,
    headers: http::HeaderMap,
}

/// A value that can stand in a query string or a path segment.
pub trait QueryValue {
    /// The value as text, before percent-encoding.
    fn to_query(&self) -> Cow<'_, str>;
}

impl QueryValue for str {
    fn to_query(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}
impl QueryValue for String {
    fn to_query(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}
impl<T: QueryValue + ?Sized> QueryValue for &T {
    fn to_query(&self) -> Cow<'_, str> {
        (**self).to_query()
    }
}
impl QueryValue for bool {
    fn to_query(&self) -> Cow<'_, str> {
        Cow::Borrowed(if *self { "true" } else { "false" })
    }
}
macro_rules! display_query_value {
    ($($t:ty),*) => {$(
        impl QueryValue for $t {
            fn to_query(&self) -> Cow<'_, str> {
                Cow::Owned(self.to_string())
            }
        }
    )*};
}
display_query_value!(i32, i64, u32, u64, f32, f64);

impl RequestWriter {
    /// A writer for `operation` (its id appears in validation errors).
    pub fn new(operation: &'static str) -> Self {
        RequestWriter {
            operation,
            path: String::with_capacity(64),
            query: String::new(),
            body: Body::Empty,
            headers: http::HeaderMap::new(),
        }
    }

    /// Appends a literal piece of the path template.
    pub fn path(&mut self, literal: &str) {
        self.path.push_str(literal);
    }

    /// Appends a path parameter, percent-encoded as one segment. An empty
    /// value is refused: it would address a different resource.
    pub fn path_param(&mut self, name: &str, value: &(impl QueryValue + ?Sized)) -> Result<()> {
        let v = value.to_query();
        if v.is_empty() {
            return Err(Error::invalid(self.operation, format!("path parameter `{name}` is empty")));
        }
        if escapes_segment(&v, false) {
            return Err(Error::invalid(
                self.operation,
                format!(
                    "path parameter `{name}` is a `.` or `..` segment (plain or percent-encoded); it would address another path"
                ),
            ));
        }
        self.path.extend(utf8_percent_encode(&v, COMPONENT));
        Ok(())
    }

    fn pair(&mut self, key: &str, value: &str) {
        if !self.query.is_empty() {
            self.query.push('&');
        }
        self.query.extend(utf8_percent_encode(key, COMPONENT));
        self.query.push('=');
        self.query.extend(utf8_percent_encode(value, COMPONENT));
    }

    /// `key=value`.
    pub fn query(&mut self, key: &str, value: &(impl QueryValue + ?Sized)) {
        self.pair(key, &value.to_query());
    }

    /// `key=value` when the value is set.
    pub fn query_opt<V: QueryValue>(&mut self, key: &str, value: &Option<V>) {
        if let Some(v) = value {
            self.query(key, v);
        }
    }

    /// An exploded list: `key=a&key=b`.
    pub fn query_exploded<V: QueryValue>(&mut self, key: &str, values: &[V]) {
        for v in values {
            self.query(key, v);
        }
    }

    /// An `explode: false` list: `key=a,b`, each item escaped on its own so
    /// that the separating commas stay literal. An empty list sends nothing.
    pub fn query_csv<V: QueryValue>(&mut self, key: &str, values: &[V]) {
        if values.is_empty() {
            return;
        }
        if !self.query.is_empty() {
            self.query.push('&');
        }
        self.query.extend(utf8_percent_encode(key, COMPONENT));
        self.query.push('=');
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.query.push(',');
            }
            self.query.extend(utf8_percent_encode(&v.to_query(), COMPONENT));
        }
    }

    /// A `deepObject` parameter: `key[field]=value`, nested objects as
    /// `key[a][b]=value`, arrays as repeated keys, nulls left out.
    pub fn query_deep<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<()> {
        let value = serde_json::to_value(value)
            .map_err(|e| Error::invalid(self.operation, format!("query parameter `{key}` cannot be encoded: {e}")))?;
        self.deep(key.to_owned(), &value);
        Ok(())
    }

    fn deep(&mut self, key: String, value: &serde_json::Value) {
        use serde_json::Value;
        match value {
            Value::Null => {}
            Value::Bool(b) => self.pair(&key, if *b { "true" } else { "false" }),
            Value::Number(n) => self.pair(&key, &n.to_string()),
            Value::String(s) => self.pair(&key, s),
            Value::Array(items) => {
                for item in items {
                    self.deep(key.clone(), item);
                }
            }
            Value::Object(map) => {
                // Sorted, whatever map order serde_json was built with.
                let mut fields: Vec<_> = map.iter().collect();
                fields.sort_by(|a, b| a.0.cmp(b.0));
                for (k, v) in fields {
                    let mut nested = key.clone();
                    let _ = write!(nested, "[{k}]");
                    self.deep(nested, v);
                }
            }
        }
    }

    /// A header parameter (`in: header`). A value a header cannot carry
    /// (a line break, a control character) is refused, never sent.
    pub fn header(&mut self, name: &'static str, value: &(impl QueryValue + ?Sized)) -> Result<()> {
        let header_name = http::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| Error::invalid(self.operation, format!("`{name}` is not a header name")))?;
        let value = http::HeaderValue::from_str(&value.to_query()).map_err(|_| {
            Error::invalid(self.operation, format!("header parameter `{name}` has a character a header cannot carry"))
        })?;
        self.headers.append(header_name, value);
        Ok(())
    }

    /// A header parameter holding a list: the items comma-separated (the
    /// `simple` style headers use). An empty list sends nothing.
    pub fn header_csv<V: QueryValue>(&mut self, name: &'static str, values: &[V]) -> Result<()> {
        if values.is_empty() {
            return Ok(());
        }
        let joined: Vec<Cow<'_, str>> = values.iter().map(QueryValue::to_query).collect();
        self.header(name, &joined.join(","))
    }

    /// The header parameters written so far, taken out of the writer.
    pub fn take_headers(&mut self) -> http::HeaderMap {
        std::mem::take(&mut self.headers)
    }

    /// Checks a numeric parameter against the spec's `minimum`/`maximum`.
    pub fn check_range(&self, name: &str, value: i64, min: Option<i64>, max: Option<i64>) -> Result<()> {
        let low = min.is_some_and(|m| value < m);
        let high = max.is_some_and(|m| value > m);
        if low || high {
            let range = match (min, max) {
                (Some(a), Some(b)) => format!("{a}..={b}"),
                (Some(a), None) => format!(">= {a}"),
                (None, Some(b)) => format!("<= {b}"),
                (None, None) => String::new(),
            };
            return Err(Error::invalid(self.operation, format!("`{name}` is {value}, outside {range}")));
        }
        Ok(())
    }

    /// Sets a JSON body.
    pub fn json<T: Serialize + ?Sized>(&mut self, body: &T) -> Result<()> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| Error::invalid(self.operation, format!("the JSON body cannot be encoded: {e}")))?;
        self.body = Body::Json(Bytes::from(bytes));
        Ok(())
    }

    /// Sets an `application/x-www-form-urlencoded` body.
    pub fn form<T: Serialize + ?Sized>(&mut self, body: &T) -> Result<()> {
        let text = serde_urlencoded::to_string(body)
            .map_err(|e| Error::invalid(self.operation, format!("the form body cannot be encoded: {e}")))?;
        self.body = Body::Form(Bytes::from(text));
        Ok(())
    }

    /// Appends `key=value` to a form body (starting one if there is none).
    pub fn form_append(&mut self, key: &str, value: &str) {
        let pair = serde_urlencoded::to_string([(key, value)]).unwrap_or_default();
        let body = match &self.body {
            Body::Form(b) if !b.is_empty() => format!("{}&{pair}", String::from_utf8_lossy(b)),
            _ => pair,
        };
        self.body = Body::Form(Bytes::from(body));
    }

    /// Sets a body that is already encoded.
    pub fn body(&mut self, body: Body) {
        self.body = body;
    }

    /// The operation id.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// Path (from the API base on), query string and body.
    pub fn into_parts(self) -> (String, String, Body) {
        (self.path, self.query, self.body)
    }
}

/// Decodes a JSON body into `T`. On failure the body is parsed a second time
/// to find the JSON path of the offending value; the fast path pays nothing
/// for that.
pub fn decode_json<T: DeserializeOwned>(
    operation: &'static str,
    status: StatusCode,
    body: Bytes,
    sensitive: bool,
) -> Result<T> {
    match serde_json::from_slice::<T>(&body) {
        Ok(v) => Ok(v),
        Err(first) => {
            let mut de = serde_json::Deserializer::from_slice(&body);
            let (path, source) = match serde_path_to_error::deserialize::<_, T>(&mut de) {
                Err(e) => (e.path().to_string(), e.into_inner()),
                Ok(_) => (".".to_owned(), first),
            };
            let body = if sensitive { Bytes::new() } else { body };
            Err(DecodeError::new(operation, status, path, body, source).into())
        }
    }
}

/// Decodes a body that the spec types as a string: a JSON string when it is
/// one, the raw text otherwise. (Only some tags have such operations.)
#[allow(dead_code)]
pub fn decode_text(operation: &'static str, status: StatusCode, body: Bytes) -> Result<String> {
    if let Ok(s) = serde_json::from_slice::<String>(&body) {
        return Ok(s);
    }
    match String::from_utf8(body.to_vec()) {
        Ok(s) => Ok(s),
        Err(e) => {
            let source = <serde_json::Error as serde::de::Error>::custom(e);
            Err(DecodeError::new(operation, status, ".".to_owned(), body, source).into())
        }
    }
}

/// Serde helpers for optional, nullable fields of PATCH bodies: `None` leaves
/// the field out, `Some(None)` sends an explicit `null` (clearing the value),
/// `Some(Some(v))` sends `v`.
pub mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Serializes the inner option (the outer `None` is skipped by the field).
    pub fn serialize<T: Serialize, S: Serializer>(value: &Option<Option<T>>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(inner) => inner.serialize(serializer),
            None => serializer.serialize_none(),
        }
    }

    /// A present field becomes `Some(..)`, `null` included.
    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(deserializer).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_styles() {
        let mut w = RequestWriter::new("t");
        w.path("/boards/");
        w.path_param("board_id", "a/b c").unwrap();
        w.query("page_size", &25i64);
        w.query_opt::<String>("absent", &None);
        w.query_exploded("id", &["1", "2"]);
        w.query_csv("columns", &["SPEND_IN_DOLLAR", "a,b"]);
        w.query_csv::<&str>("empty", &[]);
        w.query_deep(
            "parameters",
            &serde_json::json!({"catalog_type": "RETAIL", "report": {"report_type": "X", "n": [1, 2]}, "skip": null}),
        )
        .unwrap();
        let (path, query, body) = w.into_parts();
        assert_eq!(path, "/boards/a%2Fb%20c");
        assert_eq!(
            query,
            "page_size=25&id=1&id=2&columns=SPEND_IN_DOLLAR,a%2Cb\
             &parameters%5Bcatalog_type%5D=RETAIL&parameters%5Breport%5D%5Bn%5D=1&parameters%5Breport%5D%5Bn%5D=2\
             &parameters%5Breport%5D%5Breport_type%5D=X"
        );
        assert_eq!(body, Body::Empty);
    }

    #[test]
    fn header_parameters() {
        let mut w = RequestWriter::new("t");
        w.header("X-Request-Tag", "a b").unwrap();
        w.header("X-Count", &3i64).unwrap();
        w.header_csv("X-Ids", &["1", "2"]).unwrap();
        w.header_csv::<&str>("X-None", &[]).unwrap();
        let err = w.header("X-Evil", "a\r\nSet-Cookie: x=1").unwrap_err();
        assert!(matches!(&err, Error::InvalidRequest { operation: "t", .. }), "{err:?}");
        assert!(err.to_string().contains("`X-Evil`"), "{err}");
        let headers = w.take_headers();
        assert_eq!(headers.len(), 3);
        assert_eq!(headers["x-request-tag"], "a b");
        assert_eq!(headers["x-count"], "3");
        assert_eq!(headers["x-ids"], "1,2");
        assert!(w.take_headers().is_empty(), "taken once");
    }

    #[test]
    fn empty_path_param_refused() {
        let mut w = RequestWriter::new("pins/get");
        let err = w.path_param("pin_id", "").unwrap_err();
        assert!(err.to_string().contains("`pin_id` is empty"));
    }

    #[test]
    fn range_check() {
        let w = RequestWriter::new("boards/list");
        assert!(w.check_range("page_size", 250, Some(1), Some(250)).is_ok());
        let err = w.check_range("page_size", 251, Some(1), Some(250)).unwrap_err();
        assert_eq!(err.to_string(), "invalid request for `boards/list`: `page_size` is 251, outside 1..=250");
        assert!(w.check_range("page_size", 0, Some(1), Some(250)).is_err());
    }

    #[test]
    fn decode_error_names_path_and_keeps_body() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Item {
            id: String,
        }
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Page {
            items: Vec<Item>,
        }
        let body = Bytes::from_static(br#"{"items":[{"id":"1"},{"id":2}]}"#);
        let err = decode_json::<Page>("pins/list", StatusCode::OK, body.clone(), false).unwrap_err();
        let Error::Decode(d) = &err else { panic!("{err:?}") };
        assert_eq!(d.path, "items[1].id");
        assert_eq!(d.body, body);
        assert!(std::error::Error::source(&err).is_some());
        let err =
            decode_json::<Page>("oauth/token", StatusCode::OK, Bytes::from_static(br#"{"items":[{"id":"1"}"#), true)
                .unwrap_err();
        let Error::Decode(d) = &err else { panic!() };
        assert!(d.body.is_empty(), "sensitive bodies are dropped");
    }

    #[test]
    fn text_bodies() {
        assert_eq!(
            decode_text("x", StatusCode::OK, Bytes::from_static(b"\"Delete Success\"")).unwrap(),
            "Delete Success"
        );
        assert_eq!(decode_text("x", StatusCode::OK, Bytes::from_static(b"Delete Success")).unwrap(), "Delete Success");
        assert!(decode_text("x", StatusCode::OK, Bytes::from_static(b"\xff\xfe")).is_err());
    }

    #[test]
    fn double_option_round_trip() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Patch {
            #[serde(default, skip_serializing_if = "Option::is_none", with = "double_option")]
            title: Option<Option<String>>,
        }
        assert_eq!(serde_json::to_string(&Patch { title: None }).unwrap(), "{}");
        assert_eq!(serde_json::to_string(&Patch { title: Some(None) }).unwrap(), r#"{"title":null}"#);
        assert_eq!(serde_json::from_str::<Patch>(r#"{"title":null}"#).unwrap(), Patch { title: Some(None) });
        assert_eq!(serde_json::from_str::<Patch>("{}").unwrap(), Patch { title: None });
    }
}
