//! Every `/v5` route: found through the SDK's operation registry, then
//! authenticated, scope-checked and validated like Pinterest does, then
//! answered by a stateful handler, the seeded world, or the operation's
//! complete example.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use http::{HeaderValue, Response, StatusCode};
use pinterest_sdk::registry::{OperationInfo, ParamInfo, ParamLocation, ParamStyle};

use crate::server::{Shared, json_error};
use crate::state::now;

/// What a handler gets.
pub struct Call<'a> {
    pub op: &'static OperationInfo,
    pub path: BTreeMap<&'static str, String>,
    pub query: Vec<(String, String)>,
    pub body: Option<serde_json::Value>,
    pub scopes: &'a [String],
    pub shared: &'a Shared,
}

impl Call<'_> {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn path_param(&self, name: &str) -> &str {
        self.path.get(name).map(String::as_str).unwrap_or_default()
    }

    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// A JSON response.
pub fn json(status: StatusCode, value: &serde_json::Value) -> Response<Body> {
    let mut r = Response::new(Body::from(value.to_string()));
    *r.status_mut() = status;
    r.headers_mut().insert("content-type", HeaderValue::from_static("application/json"));
    r
}

pub fn bad_request(message: &str) -> Response<Body> {
    json_error(StatusCode::BAD_REQUEST, 1, message)
}

pub fn not_found(what: &str) -> Response<Body> {
    json_error(StatusCode::NOT_FOUND, 3, &format!("{what} not found."))
}

pub fn forbidden(message: &str) -> Response<Body> {
    json_error(StatusCode::FORBIDDEN, 3, message)
}

pub(crate) fn bearer(req: &Request) -> Option<String> {
    let v = req.headers().get("authorization")?.to_str().ok()?;
    // The scheme is case-insensitive (RFC 9110 §11.1).
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned())
}

/// Checks one query value against its declaration.
fn check_value(p: &ParamInfo, value: &str) -> Result<(), String> {
    let items: Vec<&str> = match p.style {
        ParamStyle::Csv => value.split(',').collect(),
        _ => vec![value],
    };
    for item in items {
        let kind = if p.kind == "array" { "string" } else { p.kind };
        match kind {
            "integer" => {
                let n: i64 = item.parse().map_err(|_| format!("`{}` must be an integer, not `{item}`", p.name))?;
                if p.min.is_some_and(|m| n < m) || p.max.is_some_and(|m| n > m) {
                    return Err(format!(
                        "`{}` must be between {} and {}",
                        p.name,
                        p.min.map(|m| m.to_string()).unwrap_or("-inf".into()),
                        p.max.map(|m| m.to_string()).unwrap_or("inf".into())
                    ));
                }
            }
            "number" => {
                item.parse::<f64>().map_err(|_| format!("`{}` must be a number, not `{item}`", p.name))?;
            }
            "boolean" if item != "true" && item != "false" => {
                return Err(format!("`{}` must be true or false, not `{item}`", p.name));
            }
            _ => {}
        }
        if !p.values.is_empty() && !p.values.contains(&item) {
            return Err(format!("`{item}` is not a valid value of `{}`", p.name));
        }
    }
    Ok(())
}

fn validate_query(op: &OperationInfo, query: &[(String, String)]) -> Result<(), String> {
    for p in op.params.iter().filter(|p| p.location == ParamLocation::Query) {
        let deep_prefix = format!("{}[", p.name);
        let present: Vec<&str> = query
            .iter()
            .filter(|(k, _)| k == p.name || (p.style == ParamStyle::Deep && k.starts_with(&deep_prefix)))
            .map(|(_, v)| v.as_str())
            .collect();
        if present.is_empty() {
            if p.required {
                return Err(format!("the query parameter `{}` is required", p.name));
            }
            continue;
        }
        if p.style != ParamStyle::Deep && p.kind != "object" {
            for v in present {
                check_value(p, v)?;
            }
        }
    }
    Ok(())
}

/// The fallback handler: everything under `/v5` that is not the token
/// endpoint, and 404 for the rest.
pub async fn handle(State(s): State<Arc<Shared>>, req: Request) -> Response<Body> {
    let live = s.settings.timestamps == crate::Timestamps::Live;
    let response = answer(&s, req).await;
    if live { without_offsets(response).await } else { response }
}

/// `--timestamps live`: every `date-time` of a JSON answer loses its `Z`.
async fn without_offsets(response: Response<Body>) -> Response<Body> {
    let is_json = response.headers().get("content-type").is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, usize::MAX).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let text = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(mut v) => {
            strip_offsets(&mut v);
            v.to_string()
        }
        Err(_) => return Response::from_parts(parts, Body::from(bytes)),
    };
    let mut parts = parts;
    parts.headers.remove("content-length");
    Response::from_parts(parts, Body::from(text))
}

/// Only in the properties the spec gives `format: date-time`: a title
/// that reads like a time is left alone.
fn strip_offsets(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Array(a) => a.iter_mut().for_each(strip_offsets),
        serde_json::Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                match x {
                    serde_json::Value::String(s)
                        if crate::generated::examples::DATE_TIME_FIELDS.contains(&k.as_str())
                            && is_utc_date_time(s) =>
                    {
                        s.pop();
                    }
                    other => strip_offsets(other),
                }
            }
        }
        _ => {}
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.fff]Z`.
fn is_utc_date_time(s: &str) -> bool {
    let Some(rest) = s.strip_suffix('Z') else { return false };
    let (Some(seconds), Some(fraction)) = (rest.get(..19), rest.get(19..)) else { return false };
    crate::state::has_shape(seconds, "dddd-dd-ddTdd:dd:dd")
        && (fraction.is_empty()
            || fraction.strip_prefix('.').is_some_and(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit())))
}

async fn answer(s: &Arc<Shared>, req: Request) -> Response<Body> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let Some(sub) = path.strip_prefix("/v5") else {
        return json_error(StatusCode::NOT_FOUND, 404, "Not found.");
    };
    let Some((op, params)) = pinterest_sdk::registry::route(method.as_str(), sub) else {
        if pinterest_sdk::registry::path_exists(sub) {
            return json_error(StatusCode::METHOD_NOT_ALLOWED, 405, "Method not allowed.");
        }
        return json_error(StatusCode::NOT_FOUND, 404, "Not found.");
    };
    let query: Vec<(String, String)> = url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if query.iter().any(|(k, _)| k == "access_token") {
        return json_error(
            StatusCode::UNAUTHORIZED,
            2,
            "Authentication failed: access tokens are accepted in the Authorization header only.",
        );
    }
    // Authentication and scopes.
    let scopes: Vec<String> = match op.auth {
        pinterest_sdk::AuthScheme::Bearer => {
            let Some(token) = bearer(&req) else {
                return json_error(StatusCode::UNAUTHORIZED, 2, "Authentication failed.");
            };
            let d = s.data();
            match d.tokens.access.get(&token) {
                Some(a) if a.expires_at > now() => a.scopes.clone(),
                _ => return json_error(StatusCode::UNAUTHORIZED, 2, "Authentication failed."),
            }
        }
        _ => Vec::new(),
    };
    // A conversion token (`oauth/conversion_token`) is good for the
    // Conversions API, which the spec lets take one instead of `ads:write`.
    let conversion = op.id == "events/create" && scopes.iter().any(|s| s == "conversion_token");
    if !op.scopes.is_empty()
        && !conversion
        && !op.scopes.iter().any(|alt| alt.iter().all(|need| scopes.iter().any(|have| have == need)))
    {
        let needed: Vec<String> = op.scopes.iter().map(|alt| alt.join(" + ")).collect();
        return forbidden(&format!(
            "Not authorized to access the resource: it needs the scopes {}.",
            needed.join(" or ")
        ));
    }
    // Rate limits: counted from here on; a spent budget is 429 before anything runs.
    if let Some(too_many) = crate::ratelimit::spend(s, op, &req) {
        return too_many;
    }
    if let Err(message) = validate_query(op, &query) {
        return bad_request(&message);
    }
    // The body, in the media type the spec gives the operation.
    let media_type = match op.body {
        Some(info) if info.form => Some("application/x-www-form-urlencoded"),
        Some(_) => Some("application/json"),
        None => None,
    };
    let media_type_ok = media_type.is_none_or(|m| crate::server::media_type_is(req.headers(), m));
    let bytes = match to_bytes(req.into_body(), 16 * 1024 * 1024).await {
        Ok(b) => b,
        Err(_) => return json_error(StatusCode::PAYLOAD_TOO_LARGE, 1, "The request body is too large."),
    };
    let has_body = !bytes.iter().all(u8::is_ascii_whitespace);
    if let Some(m) = media_type
        && has_body
        && !media_type_ok
    {
        return json_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            415,
            &format!("Unsupported media type: this operation takes a body of Content-Type {m}."),
        );
    }
    let body = match op.body {
        Some(info) if !info.form => {
            if !has_body {
                if info.required {
                    return bad_request("a JSON request body is required");
                }
                None
            } else {
                if let Some(Err(e)) = crate::generated::samples::check_body(op.id, &bytes) {
                    return bad_request(&format!("invalid request body: {e}"));
                }
                match serde_json::from_slice(&bytes) {
                    Ok(v) => Some(v),
                    Err(e) => return bad_request(&format!("invalid request body: {e}")),
                }
            }
        }
        _ => None,
    };
    if let Some(body) = &body
        && let Err(message) = check_body_values(op.id, body)
    {
        return bad_request(&message);
    }
    let call = Call { op, path: params.into_iter().collect(), query, body, scopes: &scopes, shared: s };
    if let Some(response) = crate::ads::handle(&call) {
        return response;
    }
    if let Some(response) = crate::ops::handle(&call) {
        return response;
    }
    if let Some(response) = crate::world::handle(&call, &s.data()) {
        return response;
    }
    sample(&call)
}

/// Refuses a body value outside its enum, naming the place (`privacy:
/// FOO` on a board is 400, as on Pinterest), and text outside its limits.
fn check_body_values(op_id: &str, body: &serde_json::Value) -> Result<(), String> {
    let places = crate::generated::examples::BODY_ENUMS.iter().find(|(id, _)| *id == op_id).map(|(_, p)| *p);
    for (place, allowed) in places.unwrap_or_default() {
        let mut found = Vec::new();
        values_at(body, place, &mut found);
        for v in found {
            // Null is "not given"; other shapes are the shape check's business.
            let text = match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Number(n) => n.to_string(),
                _ => continue,
            };
            if !allowed.contains(&text.as_str()) {
                let shown: String = text.chars().take(64).collect();
                return Err(format!(
                    "invalid request body: `{}` is not a valid value of `{place}` (expected one of {})",
                    shown.escape_debug(),
                    allowed.join(", ")
                ));
            }
        }
    }
    check_text_limits(op_id, body)
}

/// Refuses text outside its length limits, and ids that are not digits.
fn check_text_limits(op_id: &str, body: &serde_json::Value) -> Result<(), String> {
    let Some((_, places)) = crate::generated::examples::BODY_TEXT_LIMITS.iter().find(|(id, _)| *id == op_id) else {
        return Ok(());
    };
    for (place, min, max, digits) in places.iter() {
        let mut found = Vec::new();
        values_at(body, place, &mut found);
        for text in found.into_iter().filter_map(serde_json::Value::as_str) {
            let n = text.chars().count() as u64;
            if n < *min {
                return Err(format!("invalid request body: `{place}` must have at least {min} characters"));
            }
            if n > *max {
                return Err(format!("invalid request body: `{place}` must have at most {max} characters, not {n}"));
            }
            if *digits && (text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit())) {
                return Err(format!("invalid request body: `{place}` must be an id of digits"));
            }
        }
    }
    Ok(())
}

/// The values at a dotted place; `[]` steps into every item of a list.
fn values_at<'v>(v: &'v serde_json::Value, place: &str, out: &mut Vec<&'v serde_json::Value>) {
    if place.is_empty() {
        out.push(v);
        return;
    }
    if let Some(rest) = place.strip_prefix("[]") {
        for item in v.as_array().into_iter().flatten() {
            values_at(item, rest.strip_prefix('.').unwrap_or(rest), out);
        }
        return;
    }
    let end = place.find(['.', '[']).unwrap_or(place.len());
    let (key, rest) = place.split_at(end);
    if let Some(next) = v.get(key) {
        values_at(next, rest.strip_prefix('.').unwrap_or(rest), out);
    }
}

/// The operation's complete example response, agreeing with the request:
/// the path's ids are echoed (`id` is the last one, `ad_account_id` and
/// the like by name) and a list has no next page.
fn sample(call: &Call<'_>) -> Response<Body> {
    let op = call.op;
    let Some((_, status, body)) = crate::generated::examples::RESPONSES.iter().find(|(id, _, _)| *id == op.id) else {
        return json_error(StatusCode::NOT_IMPLEMENTED, 1, "Not emulated.");
    };
    let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::OK);
    if body.is_empty() {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = status;
        return r;
    }
    let mut value: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    echo_ids(call, &mut value);
    json(status, &value)
}

fn echo_ids(call: &Call<'_>, value: &mut serde_json::Value) {
    let last = call.op.path.rsplit('/').next().and_then(|s| s.strip_prefix('{')).and_then(|s| s.strip_suffix('}'));
    let targets: Vec<&mut serde_json::Value> = match value {
        serde_json::Value::Object(m) if m.contains_key("items") && m.contains_key("bookmark") => {
            m.insert("bookmark".into(), serde_json::Value::Null);
            m.get_mut("items").and_then(|i| i.as_array_mut()).map(|a| a.iter_mut().collect()).unwrap_or_default()
        }
        serde_json::Value::Object(_) => vec![value],
        _ => Vec::new(),
    };
    for t in targets {
        let Some(obj) = t.as_object_mut() else { continue };
        for (name, v) in &call.path {
            // Only what keeps the field valid: the examples' ids are up to
            // 18 digits.
            if v.is_empty() || v.len() > 18 || !v.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            if obj.get(*name).is_some_and(serde_json::Value::is_string) {
                obj.insert((*name).to_owned(), serde_json::Value::String(v.clone()));
            }
            if Some(*name) == last && obj.get("id").is_some_and(serde_json::Value::is_string) {
                obj.insert("id".into(), serde_json::Value::String(v.clone()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_date_times_are_told_from_other_text() {
        for yes in ["2025-01-01T00:00:00Z", "2025-01-01T00:00:00.123Z"] {
            assert!(is_utc_date_time(yes), "{yes}");
        }
        for no in [
            "2025-01-01T00:00:00",
            "2025-01-01T00:00:00.Z",
            "2025-01-01 00:00:00Z",
            "2025-01-01T00:00:0éZ",
            "éééééééééééZ",
            "Z",
            "",
        ] {
            assert!(!is_utc_date_time(no), "{no}");
        }
    }
}
