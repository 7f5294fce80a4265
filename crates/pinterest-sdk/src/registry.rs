//! Facts about every operation of the spec, whatever features are enabled:
//! id, method, path template, parameters, scopes, rate-limit category.
//!
//! The CLI uses it to validate `pinterest api` calls and the emulator to
//! route and validate requests; it is also handy for tooling.
//!
//! ```
//! let op = pinterest_sdk::registry::find("pins/get").unwrap();
//! assert_eq!((op.method, op.path), ("GET", "/pins/{pin_id}"));
//! let (found, params) = pinterest_sdk::registry::route("GET", "/pins/123").unwrap();
//! assert_eq!(found.id, "pins/get");
//! assert_eq!(found.call, "client.pins().get(pin_id)");
//! assert_eq!(found.rust_type, "ops::pins::PinsGet");
//! assert_eq!(params, vec![("pin_id", "123".to_string())]);
//! ```

use crate::operation::AuthScheme;

/// One operation of the spec.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct OperationInfo {
    /// Operation id, e.g. `"pins/get"`.
    pub id: &'static str,
    /// The spec tag (and cargo feature) it belongs to.
    pub tag: &'static str,
    /// HTTP method, upper case.
    pub method: &'static str,
    /// Path template under `/v5`, e.g. `"/pins/{pin_id}"`.
    pub path: &'static str,
    /// Authentication scheme.
    pub auth: AuthScheme,
    /// Scope sets, any one of which suffices; each set is needed in full.
    pub scopes: &'static [&'static [&'static str]],
    /// `x-ratelimit-category`.
    pub rate_limit_category: &'static str,
    /// `x-sandbox: enabled`.
    pub sandbox: bool,
    /// Pages with `bookmark`.
    pub paginated: bool,
    /// Success statuses.
    pub success: &'static [u16],
    /// The request body, if any.
    pub body: Option<BodyInfo>,
    /// Path and query parameters.
    pub params: &'static [ParamInfo],
    /// How Rust code calls it: `client.pins().get(pin_id)` (named required
    /// setters shown as `.start_date(..)`).
    pub call: &'static str,
    /// Its operation type under the crate root: `ops::pins::PinsGet`.
    pub rust_type: &'static str,
}

/// A request body.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct BodyInfo {
    /// `application/x-www-form-urlencoded` rather than JSON.
    pub form: bool,
    /// The body is required.
    pub required: bool,
    /// Top-level fields the spec marks as required.
    pub required_fields: &'static [&'static str],
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParamLocation {
    /// A `{name}` segment of the path.
    Path,
    /// The query string.
    Query,
    /// A request header.
    Header,
}

/// How a query parameter is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParamStyle {
    /// `k=v`.
    Simple,
    /// `k=a&k=b`.
    Exploded,
    /// `k=a,b` (`explode: false`).
    Csv,
    /// `k[x]=v` (`deepObject`).
    Deep,
}

/// A path, query or header parameter.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ParamInfo {
    /// Name on the wire.
    pub name: &'static str,
    /// Path, query or header.
    pub location: ParamLocation,
    /// Must be present.
    pub required: bool,
    /// `"string"`, `"integer"`, `"number"`, `"boolean"`, `"array"` or `"object"`.
    pub kind: &'static str,
    /// Wire style.
    pub style: ParamStyle,
    /// `minimum`, for numbers.
    pub min: Option<i64>,
    /// `maximum`, for numbers.
    pub max: Option<i64>,
    /// Allowed values, for enums (of the items, for arrays).
    pub values: &'static [&'static str],
}

/// Every operation of the spec.
pub fn operations() -> &'static [OperationInfo] {
    crate::generated::registry::OPERATIONS
}

/// The operation with this id.
pub fn find(id: &str) -> Option<&'static OperationInfo> {
    operations().iter().find(|o| o.id == id)
}

/// An operation and the values of its path parameters.
pub type Route = (&'static OperationInfo, Vec<(&'static str, String)>);

/// The operation serving `method path` (path under `/v5`, without query),
/// with its path parameters. A literal segment beats a parameter, so
/// `/pins/analytics` is not read as `/pins/{pin_id}`.
pub fn route(method: &str, path: &str) -> Option<Route> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let mut best: Option<(usize, Route)> = None;
    for op in operations().iter().filter(|o| o.method.eq_ignore_ascii_case(method)) {
        let template: Vec<&'static str> = op.path.split('/').collect();
        if template.len() != segments.len() {
            continue;
        }
        let mut params = Vec::new();
        let mut literals = 0;
        let matched = template.iter().zip(&segments).all(|(t, s)| {
            if let Some(name) = t.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
                if s.is_empty() {
                    return false;
                }
                let decoded = percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
                params.push((name, decoded));
                true
            } else {
                literals += 1;
                t == s
            }
        });
        if matched && best.as_ref().is_none_or(|b| literals > b.0) {
            best = Some((literals, (op, params)));
        }
    }
    best.map(|(_, route)| route)
}

/// True when a path matches some operation with another method (for 405).
pub fn path_exists(path: &str) -> bool {
    ["GET", "POST", "PATCH", "PUT", "DELETE"].iter().any(|m| route(m, path).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_complete() {
        assert_eq!(operations().len(), 231);
        let tags: std::collections::BTreeSet<_> = operations().iter().map(|o| o.tag).collect();
        assert_eq!(tags.len(), 46);
        assert_eq!(operations().iter().filter(|o| o.paginated).count(), 56);
        let mut ids: Vec<_> = operations().iter().map(|o| o.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 231, "operation ids are unique");
    }

    #[test]
    fn literal_segments_win() {
        assert_eq!(route("GET", "/pins/analytics").unwrap().0.id, "multi_pins/analytics");
        assert_eq!(route("GET", "/pins/1").unwrap().0.id, "pins/get");
        assert_eq!(
            route("GET", "/boards/1/sections/2/pins").unwrap().1,
            vec![("board_id", "1".into()), ("section_id", "2".into())]
        );
        assert!(route("GET", "/nope").is_none());
        assert!(route("PUT", "/pins/1").is_none());
        assert!(path_exists("/pins/1"));
    }

    #[test]
    fn facts() {
        let op = find("boards/list").unwrap();
        assert!(op.paginated);
        let ps = op.params.iter().find(|p| p.name == "page_size").unwrap();
        assert_eq!((ps.min, ps.max), (Some(1), Some(250)));
        let op = find("oauth/token").unwrap();
        assert_eq!(op.auth, AuthScheme::Basic);
        assert!(op.body.unwrap().form);
        assert_eq!(find("pins/get").unwrap().scopes, &[&["boards:read", "pins:read"][..]]);
    }

    #[test]
    fn every_operation_has_a_distinct_rust_call() {
        let calls: std::collections::BTreeSet<_> = operations().iter().map(|o| (o.tag, o.call)).collect();
        assert_eq!(calls.len(), 231);
        let (op, _) = route("GET", "/user_account/analytics").unwrap();
        assert_eq!(op.call, "client.user_account().get_analytics().start_date(..).end_date(..)");
        assert_eq!(op.rust_type, "ops::user_account::UserAccountGetAnalytics");
        for op in operations() {
            assert!(op.call.starts_with(&format!("client.{}().", op.tag)), "{}", op.call);
            let handles = op.call.split('(').next().unwrap_or_default();
            assert!(!handles.contains("handler") && !handles.contains("impl"), "{}", op.call);
        }
    }
}
