//! For the emulator: a complete example of every operation's success
//! response and of the schemas its records are made from, read from the
//! spec's JSON Schemas (not the Rust model, which drops the constraints).
//!
//! "Complete" means every property the schema defines, with values that
//! satisfy it: formats (`date-time` with an offset), patterns, lengths,
//! bounds, enums, `minItems`, and exactly one branch of each `oneOf`. Each
//! value is checked with a JSON Schema validator (the `jsonschema` crate,
//! draft 4 as OpenAPI 3.0 reads it, formats on): a spec example is used
//! where it passes, else the first of a few realistic candidates that
//! passes (`pinterest_test_support::schema`, shared with the tests that
//! check the emulator's answers). Every finished example is validated
//! against its whole schema; one that fails is a generator error, unless
//! the schema contradicts itself there, which
//! `crates/pinterest-emulator/spec-contradictions.json` lists with the
//! reason (no example needs it so far).
//!
//! Also, per operation with a JSON body, the enum-valued places of the body
//! (`privacy`, `items[].status`) and its text limits (lengths, digit ids):
//! the emulator refuses values outside them, which the SDK's enums,
//! tolerant of new values, do not check.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use anyhow::{Context as _, Result, bail};
use serde_json::{Map, Value, json};

use pinterest_test_support::schema::{SpecValidator, response_schema};

use super::ir::{Model, Output};

/// `crates/pinterest-emulator/spec-contradictions.json`: the one list of
/// places where the spec contradicts itself.
pub const SPEC_CONTRADICTIONS: &str = "crates/pinterest-emulator/spec-contradictions.json";

/// The operation ids whose example may fail its schema, from
/// [`SPEC_CONTRADICTIONS`] (`examples`: `[{"operation", "reason"}]`).
fn excused_examples() -> Result<BTreeSet<String>> {
    let path = super::repo_root().join(SPEC_CONTRADICTIONS);
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let v: Value = serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    let mut out = BTreeSet::new();
    for e in v["examples"].as_array().into_iter().flatten() {
        match (e["operation"].as_str(), e["reason"].as_str()) {
            (Some(op), Some(reason)) if !reason.trim().is_empty() => {
                out.insert(op.to_owned());
            }
            _ => bail!("{}: each example exception needs an operation and a reason: {e}", path.display()),
        }
    }
    Ok(out)
}

/// Enum values chosen over the first one, where an enum has them.
const PREFERRED: &[&str] = &["USD", "US", "en-US", "EN_US", "ACTIVE", "PUBLIC", "BUSINESS", "READY", "SUCCEEDED"];

/// How deep examples nest before optional properties are left out.
const MAX_DEPTH: usize = 9;

/// The spec converted for a JSON Schema validator, and the examples made so far.
pub struct Examples<'a> {
    spec: &'a Value,
    validator: SpecValidator,
    cache: BTreeMap<String, Value>,
}

fn ref_name(v: &Value) -> Option<&str> {
    v.get("$ref")?.as_str()?.strip_prefix("#/components/schemas/")
}

impl<'a> Examples<'a> {
    pub fn new(spec: &'a Value) -> Examples<'a> {
        Examples { spec, validator: SpecValidator::new(spec), cache: BTreeMap::new() }
    }

    fn resolve(&self, name: &str) -> Option<&'a Value> {
        self.spec.pointer(&format!("/components/schemas/{}", name.replace('~', "~0").replace('/', "~1")))
    }

    /// Whether `value` satisfies `schema` (OpenAPI form, `$ref`s resolved
    /// against the spec).
    pub fn valid(&self, schema: &Value, value: &Value) -> bool {
        self.validator.valid(schema, value)
    }

    /// What is wrong with `value` under `schema`.
    pub fn errors(&self, schema: &Value, value: &Value) -> Vec<String> {
        self.validator.errors(schema, value)
    }

    /// A complete example of the component schema `name`.
    pub fn named(&mut self, name: &str) -> Value {
        if let Some(v) = self.cache.get(name) {
            return v.clone();
        }
        let mut stack = BTreeSet::new();
        let v = self.of_ref(name, "", 0, &mut stack).unwrap_or(Value::Null);
        self.cache.insert(name.to_owned(), v.clone());
        v
    }

    fn of_ref(&mut self, name: &str, field: &str, depth: usize, stack: &mut BTreeSet<String>) -> Option<Value> {
        if stack.contains(name) {
            return None;
        }
        let schema = self.resolve(name)?;
        stack.insert(name.to_owned());
        let v = self.of(schema, field, depth, stack);
        stack.remove(name);
        v
    }

    /// An example of `schema`; `None` where recursion forbids one (the
    /// property is then left out). `field` is the property's name, for
    /// realistic strings.
    pub fn of(&mut self, schema: &Value, field: &str, depth: usize, stack: &mut BTreeSet<String>) -> Option<Value> {
        if let Some(name) = ref_name(schema) {
            return self.of_ref(name, field, depth, stack);
        }
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            let mut merged = Value::Null;
            for part in all {
                let v = self.of(part, field, depth, stack)?;
                merge(&mut merged, v);
            }
            // Properties declared beside `allOf`.
            if schema.get("properties").is_some() {
                let mut rest = schema.clone();
                if let Value::Object(m) = &mut rest {
                    m.remove("allOf");
                }
                let v = self.of(&rest, field, depth, stack)?;
                merge(&mut merged, v);
            }
            return Some(merged);
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(branches) = schema.get(key).and_then(Value::as_array) {
                return self.one_of(schema, branches, field, depth, stack);
            }
        }
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            let example = schema.get("example").filter(|e| values.contains(e));
            let preferred = values.iter().find(|v| v.as_str().is_some_and(|s| PREFERRED.contains(&s)));
            return example
                .or(preferred)
                .or_else(|| values.iter().find(|v| !v.is_null()))
                .cloned()
                .or(Some(Value::Null));
        }
        let ty = schema.get("type").and_then(Value::as_str).unwrap_or_else(|| {
            if schema.get("properties").is_some() || schema.get("additionalProperties").is_some() {
                "object"
            } else if schema.get("items").is_some() {
                "array"
            } else {
                ""
            }
        });
        match ty {
            "object" => Some(self.object(schema, depth, stack)),
            "array" => {
                let min = schema.get("minItems").and_then(Value::as_u64).unwrap_or(1).max(1);
                let max = schema.get("maxItems").and_then(Value::as_u64).unwrap_or(u64::MAX);
                let n = min.min(max) as usize;
                let items = schema.get("items").cloned().unwrap_or(json!({}));
                let item = match self.of(&items, &singular(field), depth + 1, stack) {
                    Some(v) => v,
                    None if min > 0 && schema.get("minItems").is_some() => return None,
                    None => return Some(json!([])),
                };
                Some(Value::Array(vec![item; n]))
            }
            "string" => Some(self.string(schema, field)),
            "integer" | "number" => Some(self.number(schema, ty == "integer")),
            "boolean" => Some(schema.get("example").filter(|e| e.is_boolean()).cloned().unwrap_or(json!(true))),
            _ => Some(schema.get("example").cloned().unwrap_or_else(|| json!({}))),
        }
    }

    fn object(&mut self, schema: &Value, depth: usize, stack: &mut BTreeSet<String>) -> Value {
        let mut out = Map::new();
        let required: BTreeSet<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (name, prop) in props {
                if depth >= MAX_DEPTH && !required.contains(name.as_str()) {
                    continue;
                }
                if let Some(v) = self.of(prop, name, depth + 1, stack) {
                    out.insert(name.clone(), v);
                }
            }
        }
        let min_props = schema.get("minProperties").and_then(Value::as_u64).unwrap_or(0) as usize;
        if out.len() < min_props
            && let Some(extra) = schema.get("additionalProperties").filter(|a| a.is_object())
        {
            let extra = extra.clone();
            for i in out.len()..min_props {
                if let Some(v) = self.of(&extra, "", depth + 1, stack) {
                    out.insert(format!("key{i}"), v);
                }
            }
        }
        Value::Object(out)
    }

    fn one_of(
        &mut self,
        schema: &Value,
        branches: &[Value],
        field: &str,
        depth: usize,
        stack: &mut BTreeSet<String>,
    ) -> Option<Value> {
        let discriminator = schema.pointer("/discriminator/propertyName").and_then(Value::as_str);
        // Branch order: the discriminator's mapping first (with its tag value).
        let mut tries: Vec<(Value, Option<String>)> = Vec::new();
        if let Some(map) = schema.pointer("/discriminator/mapping").and_then(Value::as_object) {
            for (tag, target) in map {
                if let Some(t) = target.as_str() {
                    tries.push((json!({"$ref": t}), Some(tag.clone())));
                }
            }
        }
        for b in branches {
            tries.push((b.clone(), None));
        }
        let mut first = None;
        for (branch, tag) in tries {
            let Some(mut v) = self.of(&branch, field, depth, stack) else { continue };
            if let (Some(prop), Some(tag), Value::Object(m)) = (discriminator, &tag, &mut v) {
                m.insert(prop.to_owned(), json!(tag));
            }
            if self.valid(schema, &v) {
                return Some(v);
            }
            // Branches that differ only in what they allow to be null: a
            // null where this branch alone allows one tells them apart.
            if let Value::Object(m) = &v {
                for key in m.keys() {
                    let mut w = v.clone();
                    w[key.as_str()] = Value::Null;
                    if self.valid(&branch, &w) && self.valid(schema, &w) {
                        return Some(w);
                    }
                }
            }
            first.get_or_insert(v);
        }
        first
    }

    fn string(&self, schema: &Value, field: &str) -> Value {
        let mut candidates: Vec<Value> = Vec::new();
        if let Some(e) = schema.get("example") {
            candidates.push(e.clone());
        }
        let f = field.to_ascii_lowercase();
        match schema.get("format").and_then(Value::as_str) {
            Some("date-time") => candidates.push(json!("2025-01-01T00:00:00Z")),
            Some("date") => candidates.push(json!("2025-01-01")),
            _ => {}
        }
        if f == "id" || f.ends_with("_id") || f.ends_with("_ids") {
            candidates.push(json!("549755885175"));
        }
        if f.contains("url") || f == "link" || f.ends_with("_link") || f == "location" {
            candidates.push(json!("https://www.example.com/"));
        }
        if f.contains("email") {
            candidates.push(json!("user@example.com"));
        }
        if f.contains("date") {
            candidates.push(json!("2025-01-01"));
        }
        if f.contains("time") || f.ends_with("_at") {
            candidates.push(json!("2025-01-01T00:00:00Z"));
        }
        if f.contains("color") {
            candidates.push(json!("#e8d5a3"));
        }
        if f.contains("country") {
            candidates.push(json!("US"));
        }
        if f.contains("currency") {
            candidates.push(json!("USD"));
        }
        if f.contains("locale") || f.contains("language") {
            candidates.push(json!("en-US"));
        }
        let words = match f.as_str() {
            "" => "example".to_owned(),
            "name" => "Example".to_owned(),
            "username" => "emulator_user".to_owned(),
            other => format!("Example {}", other.replace('_', " ")),
        };
        candidates.push(json!(words));
        candidates.extend(
            [
                "549755885175",
                "2025-01-01",
                "2025-01-01T00:00:00.000Z",
                "https://www.example.com/",
                "AG549755885175",
                "abc123",
                "ZW1wbGF0b3I=",
                "12:00",
                "example",
            ]
            .map(|s| json!(s)),
        );
        let plain = string_only(schema);
        for c in &candidates {
            if c.is_string() && self.valid(&plain, c) {
                return c.clone();
            }
        }
        // Long enough for minLength, short enough for maxLength.
        let min = schema.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
        let max = schema.get("maxLength").and_then(Value::as_u64).unwrap_or(64) as usize;
        json!("x".repeat(min.max(1).min(max.max(1))))
    }

    fn number(&self, schema: &Value, integer: bool) -> Value {
        let plain = string_only(schema);
        let mut candidates: Vec<Value> = Vec::new();
        if let Some(e) = schema.get("example") {
            candidates.push(e.clone());
        }
        for bound in ["minimum", "maximum"] {
            if let Some(b) = schema.get(bound).and_then(Value::as_f64) {
                candidates.push(if integer { json!(b.ceil() as i64) } else { json!(b) });
                candidates.push(if integer { json!(b.ceil() as i64 + 1) } else { json!(b + 1.0) });
            }
        }
        candidates.extend([json!(1), json!(0)]);
        for c in &candidates {
            let ok_kind = if integer { c.is_i64() || c.is_u64() } else { c.is_number() };
            if ok_kind && self.valid(&plain, c) {
                return c.clone();
            }
        }
        json!(0)
    }
}

/// The schema's own constraints on a scalar (no `$ref`s to follow).
fn string_only(schema: &Value) -> Value {
    let mut m = Map::new();
    for k in [
        "type",
        "format",
        "pattern",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
    ] {
        if let Some(v) = schema.get(k) {
            m.insert(k.to_owned(), v.clone());
        }
    }
    Value::Object(m)
}

fn singular(field: &str) -> String {
    field.strip_suffix('s').unwrap_or(field).to_owned()
}

/// Deep merge of objects; anything else is replaced.
fn merge(into: &mut Value, from: Value) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(&k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        a.insert(k, v);
                    }
                }
            }
        }
        (slot, v) => *slot = v,
    }
}

/// The JSON schema of an operation's JSON request body.
pub fn body_schema<'s>(spec: &'s Value, method: &str, path: &str) -> Option<&'s Value> {
    let op = spec.get("paths")?.get(path)?.get(method.to_ascii_lowercase())?;
    op.pointer("/requestBody/content/application~1json/schema")
}

/// The schema named by a list response's `items` (through `allOf`).
fn list_item_ref(schema: &Value) -> Option<&str> {
    if let Some(items) = schema.pointer("/properties/items/items") {
        return ref_name(items);
    }
    schema.get("allOf")?.as_array()?.iter().find_map(list_item_ref)
}

/// One constrained place in a request body: an enum, or text limits.
pub struct EnumPlace {
    /// `privacy`, `items[].status`, `targeting_spec.GENDER[]`; text limits
    /// end in `#`.
    pub path: String,
    pub values: Vec<String>,
    /// `(min length, max length, digits only)` in characters.
    pub limits: Option<(u64, u64, bool)>,
}

/// The enum places of a body schema, followed through `$ref`, `allOf` and
/// arrays (not through `oneOf`, whose branches may disagree).
pub fn enum_places(spec: &Value, schema: &Value) -> Vec<EnumPlace> {
    let mut out: Vec<EnumPlace> = Vec::new();
    walk_enums(spec, schema, String::new(), false, &mut BTreeSet::new(), &mut out);
    out.sort_by(|a, b| a.path.cmp(&b.path));
    // One place per path; the branches of a `oneOf` each add their values.
    let mut merged: Vec<EnumPlace> = Vec::new();
    for p in out {
        match merged.last_mut() {
            Some(last) if last.path == p.path => {
                for v in p.values {
                    if !last.values.contains(&v) {
                        last.values.push(v);
                    }
                }
            }
            _ => merged.push(p),
        }
    }
    merged
}

/// `in_branch`: below a `oneOf`/`anyOf`, where only enums are collected
/// (each branch adds its values); a text limit of one branch could refuse
/// what another allows.
fn walk_enums(
    spec: &Value,
    schema: &Value,
    path: String,
    in_branch: bool,
    stack: &mut BTreeSet<String>,
    out: &mut Vec<EnumPlace>,
) {
    if let Some(name) = ref_name(schema) {
        if !stack.insert(name.to_owned()) {
            return;
        }
        if let Some(s) = spec.pointer(&format!("/components/schemas/{name}")) {
            walk_enums(spec, s, path, in_branch, stack, out);
        }
        stack.remove(name);
        return;
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for part in all {
            walk_enums(spec, part, path.clone(), in_branch, stack, out);
        }
    }
    for key in ["oneOf", "anyOf"] {
        for branch in schema.get(key).and_then(Value::as_array).into_iter().flatten() {
            walk_enums(spec, branch, path.clone(), true, stack, out);
        }
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array)
        && !path.is_empty()
    {
        // Text and integer values alike, as text.
        let values: Vec<String> = values
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned).or_else(|| v.as_i64().map(|n| n.to_string())))
            .collect();
        if !values.is_empty() {
            out.push(EnumPlace { path: path.clone(), values, limits: None });
        }
    }
    // Text limits: lengths, and the all-digits pattern of ids.
    let n = |k: &str| schema.get(k).and_then(Value::as_u64);
    let digits = matches!(schema.get("pattern").and_then(Value::as_str), Some("^\\d+$" | "^[0-9]+$"));
    if !path.is_empty()
        && !in_branch
        && schema.get("type").and_then(Value::as_str) == Some("string")
        && (n("minLength").is_some() || n("maxLength").is_some() || digits)
    {
        out.push(EnumPlace {
            path: format!("{path}#"),
            values: Vec::new(),
            limits: Some((n("minLength").unwrap_or(0), n("maxLength").unwrap_or(u64::MAX), digits)),
        });
    }
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (name, prop) in props {
            let p = if path.is_empty() { name.clone() } else { format!("{path}.{name}") };
            walk_enums(spec, prop, p, in_branch, stack, out);
        }
    }
    if let Some(items) = schema.get("items") {
        walk_enums(spec, items, format!("{path}[]"), in_branch, stack, out);
    }
}

/// The names of the properties the spec gives `format: date-time`.
pub fn date_time_fields(spec: &Value) -> BTreeSet<String> {
    fn walk(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                if let Some(props) = m.get("properties").and_then(Value::as_object) {
                    for (name, p) in props {
                        if p.get("format").and_then(Value::as_str) == Some("date-time") {
                            out.insert(name.clone());
                        }
                    }
                }
                m.values().for_each(|x| walk(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    walk(spec, &mut out);
    out
}

/// The values of an object schema's `status` enum (through `$ref`/`allOf`).
fn status_values(spec: &Value, schema: &Value) -> Vec<String> {
    enum_places(spec, schema)
        .into_iter()
        .find(|p| p.path == "status" && p.limits.is_none())
        .map(|p| p.values)
        .unwrap_or_default()
}

/// `crates/pinterest-emulator/src/generated/examples.rs`, with the number
/// of examples that fail their schema (each printed).
pub fn emit_examples(model: &Model, spec: &Value, h: &str) -> Result<String> {
    let mut ex = Examples::new(spec);
    let mut s = format!(
        "{h}//! Complete examples, valid against the spec: every operation's success\n\
         //! response, the schemas records are made from, and the enum-valued places\n\
         //! of request bodies.\n\n\
         /// `(place, allowed values)`.\n\
         pub type EnumPlace = (&'static str, &'static [&'static str]);\n\n\
         /// `(place, min chars, max chars, digits only)`.\n\
         pub type TextLimit = (&'static str, u64, u64, bool);\n\n\
         /// `(operation id, status, JSON body or \"\" for none)` for every operation.\n\
         pub static RESPONSES: &[(&str, u16, &str)] = &[\n"
    );
    let mut failures = Vec::new();
    let mut names: BTreeSet<String> = BTreeSet::new();
    let excused = excused_examples()?;
    let contradiction = |id: &str| excused.contains(id);
    for op in &model.ops {
        let status = op.success.first().copied().unwrap_or(200);
        let body = match (&op.output, response_schema(spec, &op.method, &op.path, status)) {
            (Output::Unit, _) | (_, None) => String::new(),
            (_, Some(schema)) => {
                let v = ex.of(schema, "", 0, &mut BTreeSet::new()).unwrap_or(Value::Null);
                let errors = ex.errors(schema, &v);
                if !errors.is_empty() && !contradiction(&op.id) {
                    failures.push(format!("{}: {}", op.id, errors.join("; ")));
                }
                if let Some(n) = ref_name(schema) {
                    names.insert(n.to_owned());
                }
                if let Some(n) = list_item_ref(schema).or_else(|| schema.get("items").and_then(ref_name)) {
                    names.insert(n.to_owned());
                }
                v.to_string()
            }
        };
        let _ = writeln!(s, "    ({:?}, {status}, {body:?}),", op.id);
    }
    s.push_str("];\n\n/// `(schema name, JSON)`: a complete example of each schema that an\n/// operation answers with, or lists.\npub static SCHEMAS: &[(&str, &str)] = &[\n");
    for n in &names {
        let v = ex.named(n);
        let _ = writeln!(s, "    ({n:?}, {:?}),", v.to_string());
    }
    s.push_str("];\n\n/// `(schema name, values of its `status` enum)`, for the schemas above\n/// that have one.\npub static STATUS_VALUES: &[(&str, &[&str])] = &[\n");
    for n in &names {
        let values = status_values(spec, &json!({"$ref": format!("#/components/schemas/{n}")}));
        if !values.is_empty() {
            let _ = writeln!(s, "    ({n:?}, &{values:?}),");
        }
    }
    s.push_str("];\n\n/// The names of the properties the spec gives `format: date-time`.\npub static DATE_TIME_FIELDS: &[&str] = &[\n");
    for f in date_time_fields(spec) {
        let _ = writeln!(s, "    {f:?},");
    }
    s.push_str("];\n\n/// `(list operation id, item schema name)`.\npub static LIST_ITEMS: &[(&str, &str)] = &[\n");
    for op in &model.ops {
        let status = op.success.first().copied().unwrap_or(200);
        if let Some(n) = response_schema(spec, &op.method, &op.path, status).and_then(list_item_ref) {
            let _ = writeln!(s, "    ({:?}, {n:?}),", op.id);
        }
    }
    s.push_str(
        "];\n\n/// `(operation id, [(place, allowed values)])`: the enum-valued places of\n\
         /// each JSON request body. A place is a dotted path; `[]` steps into\n/// every item of a list.\n\
         pub static BODY_ENUMS: &[(&str, &[EnumPlace])] = &[\n",
    );
    for op in &model.ops {
        let Some(schema) = body_schema(spec, &op.method, &op.path) else { continue };
        let places: Vec<EnumPlace> = enum_places(spec, schema).into_iter().filter(|p| p.limits.is_none()).collect();
        if places.is_empty() {
            continue;
        }
        let _ = writeln!(s, "    ({:?}, &[", op.id);
        for p in places {
            let _ = writeln!(s, "        ({:?}, &{:?}),", p.path, p.values);
        }
        s.push_str("    ]),\n");
    }
    s.push_str(
        "];\n\n/// `(operation id, [(place, min chars, max chars, digits only)])`: the\n\
         /// text limits of each JSON request body, places as in [`BODY_ENUMS`].\n\
         pub static BODY_TEXT_LIMITS: &[(&str, &[TextLimit])] = &[\n",
    );
    for op in &model.ops {
        let Some(schema) = body_schema(spec, &op.method, &op.path) else { continue };
        let limits: Vec<(String, (u64, u64, bool))> = enum_places(spec, schema)
            .into_iter()
            .filter_map(|p| Some((p.path.trim_end_matches('#').to_owned(), p.limits?)))
            .collect();
        if limits.is_empty() {
            continue;
        }
        let _ = writeln!(s, "    ({:?}, &[", op.id);
        for (path, (min, max, digits)) in limits {
            let max = if max == u64::MAX { "u64::MAX".to_owned() } else { max.to_string() };
            let _ = writeln!(s, "        ({path:?}, {min}, {max}, {digits}),");
        }
        s.push_str("    ]),\n");
    }
    s.push_str("];\n");
    if !failures.is_empty() {
        for f in &failures {
            eprintln!("example fails its schema: {f}");
        }
        bail!("{} operation examples fail their schemas (see above)", failures.len());
    }
    Ok(s)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "test code")]
mod tests {
    use super::*;

    fn spec(schemas: Value) -> Value {
        json!({"components": {"schemas": schemas}})
    }

    #[test]
    fn examples_have_every_property_and_satisfy_formats_patterns_and_bounds() {
        let spec = spec(json!({"Thing": {"type": "object", "properties": {
            "id": {"type": "string", "pattern": "^\\d+$"},
            "created_at": {"type": "string", "format": "date-time", "example": "2024-01-01T20:20:00"},
            "name": {"type": "string", "minLength": 1, "maxLength": 5},
            "count": {"type": "integer", "minimum": 10},
            "note": {"type": "string", "nullable": true},
            "tags": {"type": "array", "minItems": 2, "items": {"type": "string", "enum": ["A", "ACTIVE"]}},
        }}}));
        let mut ex = Examples::new(&spec);
        let v = ex.named("Thing");
        assert_eq!(v.as_object().unwrap().len(), 6, "{v}");
        assert!(v["id"].as_str().unwrap().bytes().all(|b| b.is_ascii_digit()), "{v}");
        // The spec's own example has no offset: it fails `date-time` and is passed over.
        assert_eq!(v["created_at"], "2025-01-01T00:00:00Z");
        assert!((1..=5).contains(&v["name"].as_str().unwrap().len()), "{v}");
        assert!(v["count"].as_i64().unwrap() >= 10);
        assert!(v["note"].is_string(), "a nullable property still gets a value");
        assert_eq!(v["tags"], json!(["ACTIVE", "ACTIVE"]), "minItems, and the preferred enum value");
        assert!(ex.valid(&json!({"$ref": "#/components/schemas/Thing"}), &v));
    }

    #[test]
    fn a_one_of_matches_exactly_one_branch_even_when_branches_overlap() {
        // B accepts everything A does, except a null `at`.
        let spec = spec(json!({
            "A": {"type": "object", "properties": {"kind": {"type": "string"}, "at": {"type": "string", "nullable": true}}},
            "B": {"type": "object", "properties": {"kind": {"type": "string"}, "at": {"type": "string"}}},
            "Either": {"oneOf": [{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/B"}],
                       "discriminator": {"propertyName": "kind", "mapping": {"A": "#/components/schemas/A", "B": "#/components/schemas/B"}}},
        }));
        let mut ex = Examples::new(&spec);
        let v = ex.named("Either");
        assert_eq!(v["kind"], "A");
        assert!(v["at"].is_null(), "the null tells the branches apart: {v}");
        assert!(ex.valid(&json!({"$ref": "#/components/schemas/Either"}), &v));
        assert!(!ex.valid(&json!({"$ref": "#/components/schemas/Either"}), &json!({"kind": "A", "at": "x"})));
    }

    #[test]
    fn recursion_ends_by_leaving_the_property_out() {
        let spec = spec(json!({"Node": {"type": "object", "properties": {
            "name": {"type": "string"},
            "child": {"$ref": "#/components/schemas/Node"},
        }}}));
        let v = Examples::new(&spec).named("Node");
        assert_eq!(v, json!({"name": "Example"}));
    }

    #[test]
    fn body_places_list_enums_and_text_limits_through_refs_and_lists() {
        let spec = spec(json!({
            "Privacy": {"type": "string", "enum": ["PUBLIC", "SECRET"]},
            "Body": {"type": "array", "items": {"type": "object", "properties": {
                "privacy": {"$ref": "#/components/schemas/Privacy"},
                "board_id": {"type": "string", "pattern": "^\\d+$"},
                "title": {"type": "string", "maxLength": 100},
            }}},
        }));
        let places = enum_places(&spec, &json!({"$ref": "#/components/schemas/Body"}));
        let shown: Vec<String> = places.iter().map(|p| format!("{} {:?} {:?}", p.path, p.values, p.limits)).collect();
        assert_eq!(
            shown,
            [
                format!("[].board_id# [] Some((0, {}, true))", u64::MAX),
                "[].privacy [\"PUBLIC\", \"SECRET\"] None".to_owned(),
                "[].title# [] Some((0, 100, false))".to_owned(),
            ]
        );
    }
}
