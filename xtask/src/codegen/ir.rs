//! From OpenAPI schemas and operations to a small model of Rust types.
//!
//! Every schema construct the spec uses is mapped here: `$ref`, `allOf`
//! (merged), `oneOf`/`anyOf` (tagged when there is a discriminator, merged
//! when every branch is a string, untagged otherwise), enums (string and
//! numeric, deduplicated when inline), `nullable`, `additionalProperties`,
//! free-form objects, arrays and scalars.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use anyhow::{Context, Result, bail};
use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::names;

/// A Rust type as used in a field, parameter or alias.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ty {
    String,
    I32,
    I64,
    F64,
    Bool,
    /// `format: date`: a calendar date.
    Date,
    /// `format: date-time`: an instant, with or without an offset.
    DateTime,
    /// `serde_json::Value`: anything.
    Json,
    /// `serde_json::Map<String, Value>`: a free-form object.
    JsonObject,
    /// A generated model.
    Named(String),
    Vec(Box<Ty>),
    /// `BTreeMap<String, T>`.
    Map(Box<Ty>),
}

impl Ty {
    /// The named models this type mentions directly, with whether the
    /// mention is behind a `Vec`/`Map` indirection.
    pub fn named(&self, out: &mut Vec<(String, bool)>, indirect: bool) {
        match self {
            Ty::Named(n) => out.push((n.clone(), indirect)),
            Ty::Vec(t) | Ty::Map(t) => t.named(out, true),
            _ => {}
        }
    }
}

#[derive(Debug, Clone)]
pub struct Field {
    pub json: String,
    pub ident: String,
    pub ty: Ty,
    pub required: bool,
    pub nullable: bool,
    /// Optional + nullable in a PATCH body: `Option<Option<T>>`.
    pub double_option: bool,
    pub boxed: bool,
    /// Facts from the spec (constraints, default), for the doc comment.
    pub doc: Vec<String>,
    /// `format` and `pattern` of a string field (for sample values).
    pub format: Option<String>,
    pub pattern: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Def {
    Struct { fields: Vec<Field>, additional: Option<Ty> },
    StringEnum { variants: Vec<(String, String)> },
    IntEnum { variants: Vec<(String, i64)> },
    Tagged { tag: String, variants: Vec<(String, Ty, String)> },
    Untagged { variants: Vec<(String, Ty)> },
    Alias { ty: Ty },
}

#[derive(Debug, Clone)]
pub struct TypeDef {
    pub name: String,
    pub def: Def,
    /// Where it comes from: `components/schemas/X` or an inline location.
    pub origin: String,
    /// Named types boxed in union variants (same strongly connected component).
    pub boxed_variants: BTreeSet<String>,
    /// For a struct that is a variant of tagged unions, all with the same
    /// tag value: `(field, value)`, filled in by its constructors so that
    /// users never spell the tag.
    pub tag_fill: Option<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Path,
    Query,
    Header,
}

/// Header parameters OpenAPI says to ignore: the client sets these.
const RESERVED_HEADERS: &[&str] = &["Accept", "Content-Type", "Authorization"];

/// An RFC 9110 token, which a header name must be.
fn is_header_token(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|c| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// A single value.
    Simple,
    /// `k=a&k=b`.
    Exploded,
    /// `k=a,b`.
    Csv,
    /// `k[x]=1`.
    Deep,
}

#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub ident: String,
    pub location: Location,
    pub required: bool,
    pub ty: Ty,
    pub style: Style,
    pub min: Option<i64>,
    pub max: Option<i64>,
    /// Enum values for the registry (empty when not an enum).
    pub values: Vec<String>,
    pub kind: &'static str,
    /// Facts from the spec (constraints, default), for the doc comment.
    pub doc: Vec<String>,
    /// The spec's example value, if any (for generated examples).
    pub example: Option<Value>,
}

#[derive(Debug, Clone)]
pub struct Body {
    pub ty: Ty,
    pub form: bool,
    pub required: bool,
    pub fields_required: Vec<String>,
}

#[derive(Debug, Clone)]
pub enum Output {
    /// No body.
    Unit,
    /// A string body (JSON string or plain text).
    Text,
    Json(Ty),
    /// Several 2xx with different shapes: `(status, type)`; `None` = no body.
    Multi(Vec<(u16, Option<Ty>)>),
}

#[derive(Debug, Clone)]
pub struct PageInfo {
    pub item: Ty,
    pub items_required: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    Bearer,
    Basic,
    None,
}

#[derive(Debug, Clone)]
pub struct Op {
    pub id: String,
    pub tag: String,
    pub method: String,
    pub path: String,
    pub type_name: String,
    pub method_name: String,
    pub params: Vec<Param>,
    pub body: Option<Body>,
    pub output: Output,
    pub success: Vec<u16>,
    pub auth: Auth,
    pub scopes: Vec<Vec<String>>,
    pub rate_limit_category: String,
    pub sandbox: bool,
    pub deprecated: bool,
    pub page: Option<PageInfo>,
}

/// The whole model of a spec.
#[derive(Debug)]
pub struct Model {
    pub version: String,
    pub defs: BTreeMap<String, TypeDef>,
    pub ops: Vec<Op>,
    pub tags: Vec<String>,
    /// For each type, the tags of the operations that use it.
    pub usage: BTreeMap<String, BTreeSet<String>>,
    /// JSON pointer of every example-carrying node → the type it decodes into.
    pub examples: BTreeMap<String, (Ty, bool)>,
    pub warnings: Vec<String>,
}

/// How a resolved schema gets its name, if it needs one.
#[derive(Debug, Clone, Copy)]
enum Name<'a> {
    /// A component: use exactly this name.
    Exact(&'a str),
    /// Inline: derive a unique name from this hint.
    Hint(&'a str),
}

impl Name<'_> {
    fn text(&self) -> &str {
        match self {
            Name::Exact(s) | Name::Hint(s) => s,
        }
    }
}

struct Builder<'a> {
    spec: &'a Value,
    schemas: &'a Map<String, Value>,
    defs: BTreeMap<String, TypeDef>,
    components: BTreeMap<String, String>,
    taken: BTreeSet<String>,
    enums: BTreeMap<String, String>,
    patch_bodies: BTreeSet<String>,
    examples: BTreeMap<String, (Ty, bool)>,
    used_params: BTreeSet<String>,
    warnings: Vec<String>,
}

/// Properties gathered through `allOf`.
#[derive(Default)]
struct Flat<'a> {
    props: IndexMap<String, (&'a Value, String)>,
    required: BTreeSet<String>,
    additional: Option<(&'a Value, String)>,
}

/// Request-body fields that Pinterest requires although the spec does not
/// mark them required (its reference pages and its answers do): they become
/// constructor arguments instead of optional fields. Checked against the
/// spec on every run, so an entry cannot go stale.
pub const REQUIRED_OVERRIDES: &[(&str, &[&str])] = &[
    // `POST /pins` answers 400 without a board or a media source.
    ("PinCreate", &["board_id", "media_source"]),
];

/// Entries of [`REQUIRED_OVERRIDES`] whose schema or field the model lacks.
pub fn stale_required_overrides(model: &Model) -> Vec<String> {
    let mut out = Vec::new();
    for (schema, fields) in REQUIRED_OVERRIDES {
        let origin = format!("/components/schemas/{schema}");
        let def = model.defs.values().find(|d| d.origin == origin);
        for f in *fields {
            let known = matches!(def, Some(TypeDef { def: Def::Struct { fields, .. }, .. }) if fields.iter().any(|x| x.json == *f));
            if !known {
                out.push(format!("{schema}.{f}"));
            }
        }
    }
    out
}

/// Escapes a JSON-pointer segment.
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

fn obj(v: &Value) -> Option<&Map<String, Value>> {
    v.as_object()
}

fn ref_key(r: &str) -> Option<&str> {
    r.strip_prefix("#/components/schemas/")
}

/// Keys that only describe a schema, without constraining its shape.
const DESCRIPTIVE: &[&str] = &[
    "description",
    "example",
    "examples",
    "title",
    "default",
    "readOnly",
    "writeOnly",
    "deprecated",
    "nullable",
    "externalDocs",
    "x-nullable",
];

/// A schema made only of keys that describe it: as an `allOf` part it
/// changes nothing (`cargo xtask spec-diff` uses the same test).
pub(crate) fn is_descriptive_only(s: &Value) -> bool {
    obj(s).is_some_and(|m| m.keys().all(|k| DESCRIPTIVE.contains(&k.as_str())))
}

impl<'a> Builder<'a> {
    fn deref(&self, s: &'a Value) -> &'a Value {
        let mut cur = s;
        for _ in 0..32 {
            match cur.get("$ref").and_then(Value::as_str).and_then(ref_key).and_then(|k| self.schemas.get(k)) {
                Some(next) => cur = next,
                None => break,
            }
        }
        cur
    }

    fn claim(&mut self, name: Name<'_>) -> String {
        match name {
            Name::Exact(n) => n.to_owned(),
            Name::Hint(h) => names::unique(h.to_owned(), &mut self.taken),
        }
    }

    fn define(&mut self, name: String, def: Def, origin: &str) -> Ty {
        self.defs.insert(
            name.clone(),
            TypeDef {
                name: name.clone(),
                def,
                origin: origin.to_owned(),
                boxed_variants: BTreeSet::new(),
                tag_fill: None,
            },
        );
        Ty::Named(name)
    }

    /// Nullable here, in an `allOf` wrapper, through an enum `null`, or on
    /// the referenced component.
    fn nullable(&self, s: &Value) -> bool {
        if s.get("nullable").and_then(Value::as_bool) == Some(true) {
            return true;
        }
        if s.get("enum").and_then(Value::as_array).is_some_and(|e| e.iter().any(Value::is_null)) {
            return true;
        }
        if let Some(parts) = s.get("allOf").and_then(Value::as_array)
            && parts.iter().any(|p| self.nullable(p))
        {
            return true;
        }
        if s.get("$ref").is_some() {
            let target = self.deref(s);
            return target.get("nullable").and_then(Value::as_bool) == Some(true);
        }
        false
    }

    fn is_objectish(&self, s: &Value) -> bool {
        let s = self.deref(s);
        if s.get("oneOf").is_some() || s.get("anyOf").is_some() {
            return false;
        }
        if s.get("properties").is_some() {
            return true;
        }
        if let Some(parts) = s.get("allOf").and_then(Value::as_array) {
            return parts.iter().any(|p| self.is_objectish(p));
        }
        s.get("type").and_then(Value::as_str) == Some("object")
    }

    /// Resolves `s` (found at JSON pointer `origin`) to a type, defining
    /// named types as needed, and records where examples are.
    fn ty(&mut self, s: &'a Value, name: Name<'_>, origin: &str) -> Ty {
        let ty = self.ty_inner(s, name, origin);
        if s.get("example").is_some() || s.get("examples").is_some() {
            self.examples.insert(origin.to_owned(), (ty.clone(), self.nullable(s)));
        }
        ty
    }

    fn ty_inner(&mut self, s: &'a Value, name: Name<'_>, origin: &str) -> Ty {
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            return match ref_key(r).and_then(|k| self.components.get(k)) {
                Some(n) => Ty::Named(n.clone()),
                None => {
                    self.warnings.push(format!("{origin}: unresolved reference {r}; typed as JSON"));
                    Ty::Json
                }
            };
        }
        // A discriminator with a mapping is a tagged union over the mapping,
        // with or without `oneOf` (the OAuth token schemas have none).
        let mapped = s.pointer("/discriminator/mapping").is_some_and(Value::is_object);
        if s.get("oneOf").is_some() || s.get("anyOf").is_some() || mapped {
            return self.union(s, name, origin);
        }
        if s.get("allOf").is_some() {
            return self.all_of(s, name, origin);
        }
        if s.get("enum").is_some() {
            return self.enumeration(s, name, origin);
        }
        // An `items` keyword without a `type` still describes an array (the
        // spec overrides `items` of `Paginated` that way).
        let declared = s.get("type").and_then(Value::as_str).or_else(|| s.get("items").is_some().then_some("array"));
        match declared {
            Some("string") => match s.get("format").and_then(Value::as_str) {
                Some("date") => Ty::Date,
                Some("date-time") => Ty::DateTime,
                _ => Ty::String,
            },
            Some("integer") => match s.get("format").and_then(Value::as_str) {
                Some("int32") => Ty::I32,
                _ => Ty::I64,
            },
            Some("number") => Ty::F64,
            Some("boolean") => Ty::Bool,
            Some("array") => match s.get("items") {
                Some(items) => {
                    let hint = format!("{}Item", name.text());
                    Ty::Vec(Box::new(self.ty(items, Name::Hint(&hint), &format!("{origin}/items"))))
                }
                None => Ty::Vec(Box::new(Ty::Json)),
            },
            Some("object") | None if s.get("properties").is_some() => self.structure(s, name, origin),
            Some("object") => self.map_or_free(s, name, origin),
            None => Ty::Json,
            Some(other) => {
                self.warnings.push(format!("{origin}: unknown type `{other}`; typed as JSON"));
                Ty::Json
            }
        }
    }

    fn map_or_free(&mut self, s: &'a Value, name: Name<'_>, origin: &str) -> Ty {
        match s.get("additionalProperties") {
            Some(ap) if ap.is_object() && !is_descriptive_only(ap) || ap.get("$ref").is_some() => {
                let hint = format!("{}Value", name.text());
                Ty::Map(Box::new(self.ty(ap, Name::Hint(&hint), &format!("{origin}/additionalProperties"))))
            }
            _ => Ty::JsonObject,
        }
    }

    fn all_of(&mut self, s: &'a Value, name: Name<'_>, origin: &str) -> Ty {
        let parts: Vec<(usize, &'a Value)> = s
            .get("allOf")
            .and_then(Value::as_array)
            .map(|a| a.iter().enumerate().filter(|(_, p)| !is_descriptive_only(p)).collect())
            .unwrap_or_default();
        let own_props = s.get("properties").is_some();
        if !own_props && parts.len() == 1 {
            let (i, part) = parts[0];
            return self.ty(part, name, &format!("{origin}/allOf/{i}"));
        }
        if !own_props && parts.is_empty() {
            let mut rest = s.clone();
            if let Some(m) = rest.as_object_mut() {
                m.remove("allOf");
                m.remove("example");
                m.remove("examples");
            }
            // Leaks one small value per such schema; the generator is a
            // short-lived process and this keeps borrows simple.
            let rest: &'a Value = Box::leak(Box::new(rest));
            return self.ty(rest, name, origin);
        }
        if !own_props && !parts.iter().any(|(_, p)| self.is_objectish(p)) {
            // Scalars only (`allOf: [ref-to-enum, {type: string}]`): the most
            // specific part wins.
            let (i, pick) = parts
                .iter()
                .find(|(_, p)| p.get("$ref").is_some())
                .or_else(|| parts.iter().find(|(_, p)| p.get("enum").is_some()))
                .copied()
                .unwrap_or(parts[0]);
            let ty = self.ty(pick, name, &format!("{origin}/allOf/{i}"));
            // Examples on the other parts describe the same value.
            for (j, part) in &parts {
                if *j != i && (part.get("example").is_some() || part.get("examples").is_some()) {
                    self.examples.insert(format!("{origin}/allOf/{j}"), (ty.clone(), self.nullable(part)));
                }
            }
            return ty;
        }
        self.structure(s, name, origin)
    }

    /// Follows `$ref`s, keeping track of the pointer of the target.
    fn deref_ptr(&self, s: &'a Value, ptr: &str) -> (&'a Value, String) {
        let mut cur = s;
        let mut ptr = ptr.to_owned();
        for _ in 0..32 {
            let Some(key) = cur.get("$ref").and_then(Value::as_str).and_then(ref_key) else { break };
            let Some(next) = self.schemas.get(key) else { break };
            cur = next;
            ptr = format!("/components/schemas/{}", escape(key));
        }
        (cur, ptr)
    }

    /// Collects properties through `allOf`, parts first, own ones last,
    /// with the pointer of each property's schema.
    fn flatten(&self, s: &'a Value, ptr: &str, acc: &mut Flat<'a>, warnings: &mut Vec<String>) {
        let (s, ptr) = self.deref_ptr(s, ptr);
        if s.get("oneOf").is_some() || s.get("anyOf").is_some() {
            warnings.push(format!("{ptr}: a union inside allOf cannot be merged; its fields are left out"));
            return;
        }
        if let Some(parts) = s.get("allOf").and_then(Value::as_array) {
            for (i, p) in parts.iter().enumerate() {
                self.flatten(p, &format!("{ptr}/allOf/{i}"), acc, warnings);
            }
        }
        if let Some(p) = s.get("properties").and_then(Value::as_object) {
            for (k, v) in p {
                acc.props.insert(k.clone(), (v, format!("{ptr}/properties/{}", escape(k))));
            }
        }
        if let Some(r) = s.get("required").and_then(Value::as_array) {
            acc.required.extend(r.iter().filter_map(Value::as_str).map(str::to_owned));
        }
        // `true` and `{}` allow any extra property (kept as JSON); a schema
        // types them; `false` or absent drops unknown ones.
        if let Some(ap) = s.get("additionalProperties")
            && (ap.as_bool() == Some(true) || ap.is_object())
        {
            acc.additional = Some((ap, format!("{ptr}/additionalProperties")));
        }
    }

    fn structure(&mut self, s: &'a Value, name: Name<'_>, origin: &str) -> Ty {
        let type_name = self.claim(name);
        // Reserve the name before recursing, so self-references resolve.
        self.defs.insert(
            type_name.clone(),
            TypeDef {
                name: type_name.clone(),
                def: Def::Alias { ty: Ty::Json },
                origin: origin.to_owned(),
                boxed_variants: BTreeSet::new(),
                tag_fill: None,
            },
        );
        let mut flat = Flat::default();
        let mut warnings = Vec::new();
        self.flatten(s, origin, &mut flat, &mut warnings);
        if let Some(key) = origin.strip_prefix("/components/schemas/") {
            for (schema, fields) in REQUIRED_OVERRIDES {
                if *schema == key {
                    flat.required.extend(fields.iter().map(|f| (*f).to_owned()));
                }
            }
        }
        self.warnings.extend(warnings);
        let mut idents = BTreeSet::new();
        let mut fields = Vec::new();
        for (json, (ps, ptr)) in flat.props {
            let hint = format!("{type_name}{}", names::camel(&json));
            let ty = self.ty(ps, Name::Hint(&hint), &ptr);
            let ident = names::unique(names::snake(&json), &mut idents);
            fields.push(Field {
                required: flat.required.contains(&json),
                nullable: self.nullable(ps),
                double_option: false,
                boxed: false,
                doc: field_doc(self.deref_all_of(ps)),
                format: self.deref_all_of(ps).get("format").and_then(Value::as_str).map(str::to_owned),
                pattern: self.deref_all_of(ps).get("pattern").and_then(Value::as_str).map(str::to_owned),
                json,
                ident,
                ty,
            });
        }
        let additional = flat.additional.map(|(ap, ptr)| {
            let hint = format!("{type_name}Value");
            self.ty(ap, Name::Hint(&hint), &ptr)
        });
        if additional.is_some() {
            let ident = names::unique("additional_properties".into(), &mut idents);
            debug_assert_eq!(ident, "additional_properties");
        }
        self.define(type_name, Def::Struct { fields, additional }, origin)
    }

    /// The schema that carries a property's constraints: the single part of
    /// an `allOf` wrapper, or the schema itself.
    fn deref_all_of(&self, s: &'a Value) -> &'a Value {
        match s.get("allOf").and_then(Value::as_array) {
            Some(parts) if parts.len() == 1 && s.get("properties").is_none() => self.deref(&parts[0]),
            _ => s,
        }
    }

    /// A second inline enum with the same values as an earlier one: one
    /// type, and a readable alias named after this use.
    fn alias_of(&mut self, existing: String, name: Name<'_>, origin: &str) -> Ty {
        let alias = self.claim(name);
        self.define(alias, Def::Alias { ty: Ty::Named(existing) }, origin)
    }

    /// Follows aliases to the definition.
    fn resolve_def(&self, name: &str) -> Option<&Def> {
        let mut cur = name;
        for _ in 0..16 {
            match self.defs.get(cur).map(|d| &d.def) {
                Some(Def::Alias { ty: Ty::Named(next) }) => cur = next,
                other => return other,
            }
        }
        None
    }

    fn enumeration(&mut self, s: &'a Value, name: Name<'_>, origin: &str) -> Ty {
        let values: Vec<&Value> = s
            .get("enum")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter(|v| !v.is_null()).collect())
            .unwrap_or_default();
        let declared = s.get("type").and_then(Value::as_str);
        if values.is_empty() {
            return match declared {
                Some("integer") => Ty::I64,
                Some("number") => Ty::F64,
                Some("boolean") => Ty::Bool,
                _ => Ty::String,
            };
        }
        if declared == Some("boolean") || values.iter().all(|v| v.is_boolean()) {
            return Ty::Bool;
        }
        if values.iter().all(|v| v.is_i64() || v.as_f64().is_some_and(|f| f.fract() == 0.0))
            && declared != Some("string")
        {
            let ints: Vec<i64> =
                values.iter().map(|v| v.as_i64().unwrap_or_else(|| v.as_f64().unwrap_or(0.0) as i64)).collect();
            let key = format!("i:{}", ints.iter().map(i64::to_string).collect::<Vec<_>>().join(","));
            if let (Name::Hint(_), Some(existing)) = (name, self.enums.get(&key).cloned()) {
                return self.alias_of(existing, name, origin);
            }
            let mut taken = BTreeSet::new();
            let variants =
                ints.iter().map(|i| (names::unique(names::variant(&i.to_string()), &mut taken), *i)).collect();
            let type_name = self.claim(name);
            self.enums.entry(key).or_insert_with(|| type_name.clone());
            return self.define(type_name, Def::IntEnum { variants }, origin);
        }
        let strings: Vec<String> =
            values.iter().map(|v| v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string())).collect();
        self.string_enum(strings, name, origin)
    }

    fn string_enum(&mut self, mut strings: Vec<String>, name: Name<'_>, origin: &str) -> Ty {
        let mut seen = BTreeSet::new();
        strings.retain(|s| seen.insert(s.clone()));
        let key = format!("s:{}", strings.join("\u{1}"));
        if let (Name::Hint(_), Some(existing)) = (name, self.enums.get(&key).cloned()) {
            return self.alias_of(existing, name, origin);
        }
        let mut taken = BTreeSet::new();
        let variants = strings.into_iter().map(|v| (names::unique(names::variant(&v), &mut taken), v)).collect();
        let type_name = self.claim(name);
        self.enums.entry(key).or_insert_with(|| type_name.clone());
        self.define(type_name, Def::StringEnum { variants }, origin)
    }

    /// String values of a union branch when it is string-like: `Some(values)`
    /// for an enum, `Some([])` for a plain string, `None` otherwise.
    fn string_values(&self, s: &'a Value) -> Option<Vec<String>> {
        let d = self.deref(s);
        let d = self.deref_all_of(d);
        if d.get("type").and_then(Value::as_str).is_some_and(|t| t != "string") {
            return None;
        }
        if let Some(e) = d.get("enum").and_then(Value::as_array) {
            let vals: Option<Vec<String>> =
                e.iter().filter(|v| !v.is_null()).map(|v| v.as_str().map(str::to_owned)).collect();
            return vals.filter(|v| !v.is_empty());
        }
        (d.get("type").and_then(Value::as_str) == Some("string")).then(Vec::new)
    }

    fn union(&mut self, s: &'a Value, name: Name<'_>, origin: &str) -> Ty {
        let key = if s.get("oneOf").is_some() { "oneOf" } else { "anyOf" };
        let branches: Vec<&'a Value> =
            s.get(key).and_then(Value::as_array).map(|a| a.iter().collect()).unwrap_or_default();
        let mapping = s
            .get("discriminator")
            .and_then(|d| Some((d.get("propertyName")?.as_str()?, d.get("mapping").and_then(Value::as_object))));
        if let Some((tag, Some(mapping))) = mapping {
            let type_name = self.claim(name);
            let mut taken = BTreeSet::new();
            let mut variants = Vec::new();
            for (value, target) in mapping {
                let Some(target) = target.as_str() else { continue };
                let ty = match ref_key(target).and_then(|k| self.components.get(k)) {
                    Some(n) => Ty::Named(n.clone()),
                    None => {
                        self.warnings.push(format!("{origin}: discriminator mapping to unknown {target}"));
                        continue;
                    }
                };
                variants.push((names::unique(names::variant(value), &mut taken), ty, value.clone()));
            }
            return self.define(type_name, Def::Tagged { tag: tag.to_owned(), variants }, origin);
        }
        if mapping.is_some() {
            self.warnings.push(format!("{origin}: discriminator without mapping; treated as an untagged union"));
        }
        // Every branch a string: one enum (or a plain string).
        let string_like: Option<Vec<Vec<String>>> = branches.iter().map(|b| self.string_values(b)).collect();
        if let Some(sets) = string_like {
            let enum_refs: Vec<(usize, &&Value)> = branches
                .iter()
                .enumerate()
                .filter(|(_, b)| b.get("$ref").is_some() && self.string_values(b).is_some_and(|v| !v.is_empty()))
                .collect();
            let has_plain = sets.iter().any(Vec::is_empty);
            if has_plain && enum_refs.len() == 1 {
                let (i, b) = enum_refs[0];
                return self.ty(b, name, &format!("{origin}/{key}/{i}"));
            }
            if has_plain {
                return Ty::String;
            }
            return self.string_enum(sets.into_iter().flatten().collect(), name, origin);
        }
        let type_name = self.claim(name);
        let mut taken = BTreeSet::new();
        let mut variants = Vec::new();
        for (i, b) in branches.iter().enumerate() {
            let label = match b.get("$ref").and_then(Value::as_str).and_then(ref_key) {
                Some(k) => self.components.get(k).cloned().unwrap_or_else(|| format!("Variant{i}")),
                None => b
                    .get("title")
                    .and_then(Value::as_str)
                    .map(names::type_name)
                    .unwrap_or_else(|| format!("Variant{i}")),
            };
            let hint = format!("{type_name}{}", strip_shared_words(&type_name, &label));
            let ty = self.ty(b, Name::Hint(&hint), &format!("{origin}/{key}/{i}"));
            let ident = names::unique(names::variant(&label), &mut taken);
            variants.push((ident, ty));
        }
        self.define(type_name, Def::Untagged { variants }, origin)
    }
}

/// `label` without the leading words it shares with `parent`
/// (`AdPreviewRequest` + `AdPreviewCreateFromImage` → `CreateFromImage`).
fn strip_shared_words(parent: &str, label: &str) -> String {
    let p = names::words(parent);
    let l = names::words(label);
    let shared = p.iter().zip(&l).take_while(|(a, b)| a.eq_ignore_ascii_case(b)).count();
    let rest: String = l[shared..].concat();
    if rest.is_empty() { label.to_owned() } else { rest }
}

fn field_doc(s: &Value) -> Vec<String> {
    let mut facts = Vec::new();
    if let Some(f) = s.get("format").and_then(Value::as_str) {
        facts.push(format!("format `{f}`"));
    }
    if let Some(p) = s.get("pattern").and_then(Value::as_str) {
        facts.push(format!("pattern `{}`", p.replace('`', "'")));
    }
    if let Some(n) = s.get("minLength").and_then(Value::as_u64) {
        facts.push(format!("at least {n} characters"));
    }
    if let Some(n) = s.get("maxLength").and_then(Value::as_u64) {
        facts.push(format!("at most {n} characters"));
    }
    if let Some(n) = s.get("minItems").and_then(Value::as_u64) {
        facts.push(format!("at least {n} items"));
    }
    if let Some(n) = s.get("maxItems").and_then(Value::as_u64) {
        facts.push(format!("at most {n} items"));
    }
    if let Some(n) = s.get("minimum") {
        facts.push(format!("minimum {n}"));
    }
    if let Some(n) = s.get("maximum") {
        facts.push(format!("maximum {n}"));
    }
    if s.get("readOnly").and_then(Value::as_bool) == Some(true) {
        facts.push("read-only".into());
    }
    if s.get("deprecated").and_then(Value::as_bool) == Some(true) {
        facts.push("deprecated".into());
    }
    if let Some(d) = s.get("default").filter(|d| !d.is_null()) {
        facts.push(format!("default `{}`", d.to_string().replace('`', "'")));
    }
    facts
}

/// Builds the model of `spec`.
pub fn build(spec: &Value) -> Result<Model> {
    let schemas =
        spec.pointer("/components/schemas").and_then(Value::as_object).context("spec has no components.schemas")?;
    let version = spec.pointer("/info/version").and_then(Value::as_str).unwrap_or("unknown").to_owned();
    let mut b = Builder {
        spec,
        schemas,
        defs: BTreeMap::new(),
        components: BTreeMap::new(),
        taken: BTreeSet::new(),
        enums: BTreeMap::new(),
        patch_bodies: BTreeSet::new(),
        examples: BTreeMap::new(),
        used_params: BTreeSet::new(),
        warnings: Vec::new(),
    };
    // Name every component first, so references resolve in any order.
    let mut keys: Vec<&String> = schemas.keys().collect();
    keys.sort();
    for k in &keys {
        let name = names::unique(names::type_name(k), &mut b.taken);
        b.components.insert((*k).clone(), name);
    }
    for k in &keys {
        let name = b.components[*k].clone();
        let origin = format!("/components/schemas/{}", escape(k));
        let ty = b.ty(&schemas[*k], Name::Exact(&name), &origin);
        if ty != Ty::Named(name.clone()) || !b.defs.contains_key(&name) {
            b.define(name, Def::Alias { ty }, &origin);
        }
    }
    let ops = build_ops(&mut b)?;
    unused_parameters(&mut b);
    // PATCH bodies: optional nullable fields can be sent as explicit nulls.
    for name in b.patch_bodies.clone() {
        if let Some(TypeDef { def: Def::Struct { fields, .. }, .. }) = b.defs.get_mut(&name) {
            for f in fields.iter_mut() {
                f.double_option = !f.required && f.nullable;
            }
        }
    }
    box_recursion(&mut b.defs);
    tag_fills(&mut b.defs);
    let mut tags: Vec<String> = ops.iter().map(|o| o.tag.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    tags.sort();
    let usage = usage(&b.defs, &ops);
    Ok(Model { version, defs: b.defs, ops, tags, usage, examples: b.examples, warnings: b.warnings })
}

const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

fn build_ops<'a>(b: &mut Builder<'a>) -> Result<Vec<Op>> {
    let spec = b.spec;
    let paths = spec.get("paths").and_then(Value::as_object).context("spec has no paths")?;
    let mut ops = Vec::new();
    // Names first: the operation's type name is the hint for its inline types.
    let mut ids = Vec::new();
    for item in paths.values().filter_map(Value::as_object) {
        for method in METHODS {
            let Some(op) = item.get(*method) else { continue };
            if let Some(id) = op.get("operationId").and_then(Value::as_str) {
                let tag = op.pointer("/tags/0").and_then(Value::as_str).unwrap_or("untagged");
                ids.push((id.to_owned(), tag.to_owned()));
            }
        }
    }
    let method_names = super::naming::method_names(&ids)?;
    for (path, item) in paths {
        let Some(item) = item.as_object() else { continue };
        let shared_params: Vec<&Value> =
            item.get("parameters").and_then(Value::as_array).map(|a| a.iter().collect()).unwrap_or_default();
        for method in METHODS {
            let Some(op) = item.get(*method) else { continue };
            let id = op
                .get("operationId")
                .and_then(Value::as_str)
                .with_context(|| format!("{method} {path} has no operationId"))?
                .to_owned();
            let tag = op.pointer("/tags/0").and_then(Value::as_str).unwrap_or("untagged").to_owned();
            let method_name = method_names.get(&id).cloned().unwrap_or_else(|| names::snake(&id));
            let type_name = super::naming::type_name(&tag, &method_name);
            let origin = format!("/paths/{}/{method}", escape(path));
            let mut params = Vec::new();
            let mut idents: BTreeSet<String> = ["c", "o"].iter().map(|s| s.to_string()).collect();
            let own: Vec<&Value> =
                op.get("parameters").and_then(Value::as_array).map(|a| a.iter().collect()).unwrap_or_default();
            let located = shared_params
                .iter()
                .enumerate()
                .map(|(i, p)| (format!("/paths/{}/parameters/{i}", escape(path)), *p))
                .chain(own.iter().enumerate().map(|(i, p)| (format!("{origin}/parameters/{i}"), *p)));
            for (param_ptr, p) in located {
                let (p, param_ptr) = match p.get("$ref").and_then(Value::as_str) {
                    Some(r) => {
                        let key = r.strip_prefix("#/components/parameters/").unwrap_or_default();
                        let ptr = format!("/components/parameters/{}", escape(key));
                        b.used_params.insert(key.to_owned());
                        let found =
                            spec.pointer(&ptr).with_context(|| format!("{origin}: unresolved parameter {r}"))?;
                        (found, ptr)
                    }
                    None => (p, param_ptr),
                };
                let name = p.get("name").and_then(Value::as_str).context("parameter without name")?.to_owned();
                let location = match p.get("in").and_then(Value::as_str) {
                    Some("path") => Location::Path,
                    Some("query") => Location::Query,
                    // OpenAPI 3.0: header parameters named Accept,
                    // Content-Type or Authorization are ignored (the client
                    // sets those itself).
                    Some("header") if RESERVED_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(&name)) => continue,
                    Some("header") if !is_header_token(&name) => {
                        bail!("{origin}: header parameter {name:?} is not a valid header name")
                    }
                    Some("header") => Location::Header,
                    other => {
                        b.warnings.push(format!("{origin}: parameter {name} in {other:?} is not supported; skipped"));
                        continue;
                    }
                };
                let schema = p.get("schema").unwrap_or(&Value::Null);
                let schema_ptr = format!("{param_ptr}/schema");
                let (resolved, resolved_ptr) = b.deref_ptr(schema, &schema_ptr);
                let resolved = b.deref_all_of(resolved);
                let is_array = resolved.get("type").and_then(Value::as_str) == Some("array");
                let hint = format!("{type_name}{}", names::camel(&name));
                let ty = if is_array {
                    let items = resolved.get("items").unwrap_or(&Value::Null);
                    let item_hint = format!("{hint}Item");
                    let ty = Ty::Vec(Box::new(b.ty(items, Name::Hint(&item_hint), &format!("{resolved_ptr}/items"))));
                    if schema.get("example").is_some() {
                        b.examples.insert(schema_ptr.clone(), (ty.clone(), false));
                    }
                    ty
                } else {
                    b.ty(schema, Name::Hint(&hint), &schema_ptr)
                };
                if p.get("example").is_some() {
                    b.examples.insert(param_ptr.clone(), (ty.clone(), false));
                }
                let style = match (p.get("style").and_then(Value::as_str), p.get("explode").and_then(Value::as_bool)) {
                    // Headers use the `simple` style: a list is comma-separated.
                    _ if location == Location::Header && is_array => Style::Csv,
                    _ if location == Location::Header => Style::Simple,
                    (Some("deepObject"), _) => Style::Deep,
                    _ if !is_array => Style::Simple,
                    (_, Some(false)) => Style::Csv,
                    _ => Style::Exploded,
                };
                let values =
                    enum_values(b, if is_array { resolved.get("items").unwrap_or(&Value::Null) } else { schema });
                let kind = match (&ty, is_array) {
                    (_, true) => "array",
                    (Ty::I32 | Ty::I64, _) => "integer",
                    (Ty::F64, _) => "number",
                    (Ty::Bool, _) => "boolean",
                    (Ty::Named(n), _) if matches!(b.resolve_def(n), Some(Def::IntEnum { .. })) => "integer",
                    (Ty::Named(n), _) if matches!(b.resolve_def(n), Some(Def::StringEnum { .. })) => "string",
                    (Ty::String, _) => "string",
                    _ => "object",
                };
                let num = |k: &str| resolved.get(k).and_then(Value::as_f64).map(|f| f as i64);
                let mut doc = field_doc(resolved);
                if is_array {
                    let items = b.deref(resolved.get("items").unwrap_or(&Value::Null));
                    doc.extend(field_doc(items).into_iter().map(|f| format!("each item: {f}")));
                }
                params.push(Param {
                    doc,
                    example: p.get("example").or_else(|| schema.get("example")).cloned(),
                    ident: names::unique(names::snake(&name), &mut idents),
                    required: location == Location::Path || p.get("required").and_then(Value::as_bool) == Some(true),
                    min: num("minimum"),
                    max: num("maximum"),
                    name,
                    location,
                    ty,
                    style,
                    values,
                    kind,
                });
            }
            // Path parameters in template order first.
            let order: Vec<String> =
                path.split('{').skip(1).filter_map(|s| s.split('}').next()).map(str::to_owned).collect();
            params.sort_by_key(|p| match p.location {
                Location::Path => order.iter().position(|n| *n == p.name).unwrap_or(usize::MAX),
                Location::Query | Location::Header => usize::MAX,
            });
            if let Some(p) = params.iter().find(|p| p.location == Location::Header && p.kind == "object") {
                bail!("{origin}: header parameter {} is an object, which a header cannot carry", p.name);
            }
            for n in &order {
                if !params.iter().any(|p| p.location == Location::Path && &p.name == n) {
                    bail!("{origin}: path parameter {{{n}}} is not declared");
                }
            }
            let body = match op.get("requestBody") {
                Some(rb) => {
                    let content =
                        rb.get("content").and_then(Value::as_object).context("requestBody without content")?;
                    let (media_type, form) = if content.contains_key("application/json") {
                        ("application/json", false)
                    } else if content.contains_key("application/x-www-form-urlencoded") {
                        ("application/x-www-form-urlencoded", true)
                    } else {
                        bail!("{origin}: unsupported request media types {:?}", content.keys().collect::<Vec<_>>());
                    };
                    let media = &content[media_type];
                    let media_ptr = format!("{origin}/requestBody/content/{}", escape(media_type));
                    let schema = media.get("schema").unwrap_or(&Value::Null);
                    let ty = b.ty(schema, Name::Hint(&format!("{type_name}Body")), &format!("{media_ptr}/schema"));
                    if media.get("example").is_some() || media.get("examples").is_some() {
                        b.examples.insert(media_ptr, (ty.clone(), false));
                    }
                    if *method == "patch"
                        && let Ty::Named(n) = &ty
                    {
                        b.patch_bodies.insert(n.clone());
                    }
                    let fields_required = b
                        .deref(schema)
                        .get("required")
                        .and_then(Value::as_array)
                        .map(|r| r.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                        .unwrap_or_default();
                    Some(Body {
                        ty,
                        form,
                        required: rb.get("required").and_then(Value::as_bool) == Some(true),
                        fields_required,
                    })
                }
                None => None,
            };
            let (output, success) = output(b, op, &type_name, &origin)?;
            let security = op.get("security").or_else(|| spec.get("security"));
            let (auth, scopes) = security_of(security);
            let page = page_info(b, &params, &output);
            ops.push(Op {
                id,
                tag,
                method: method.to_ascii_uppercase(),
                path: path.clone(),
                type_name,
                method_name,
                params,
                body,
                output,
                success,
                auth,
                scopes,
                rate_limit_category: op.get("x-ratelimit-category").and_then(Value::as_str).unwrap_or("").to_owned(),
                sandbox: op.get("x-sandbox").and_then(Value::as_str) == Some("enabled"),
                deprecated: op.get("deprecated").and_then(Value::as_bool) == Some(true),
                page,
            });
        }
    }
    Ok(ops)
}

/// Component parameters no operation uses still get types, so that their
/// examples are checked like the others.
fn unused_parameters(b: &mut Builder<'_>) {
    let Some(params) = b.spec.pointer("/components/parameters").and_then(Value::as_object) else { return };
    for (key, p) in params {
        if b.used_params.contains(key) {
            continue;
        }
        let ptr = format!("/components/parameters/{}", escape(key));
        let Some(schema) = p.get("schema") else { continue };
        let hint = format!("Param{}", names::camel(key));
        let ty = b.ty(schema, Name::Hint(&hint), &format!("{ptr}/schema"));
        if p.get("example").is_some() {
            b.examples.insert(ptr, (ty, false));
        }
    }
}

fn enum_values(b: &Builder<'_>, s: &Value) -> Vec<String> {
    let d = b.deref(s);
    let d = b.deref_all_of(d);
    d.get("enum")
        .and_then(Value::as_array)
        .map(|e| {
            e.iter()
                .filter(|v| !v.is_null())
                .map(|v| v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn output<'a>(b: &mut Builder<'a>, op: &'a Value, type_name: &str, origin: &str) -> Result<(Output, Vec<u16>)> {
    let responses = op.get("responses").and_then(Value::as_object).context("operation without responses")?;
    // The JSON (or first) media type of each response, with its pointer.
    let media_of = |code: &str, r: &'a Value| -> Option<(&'a Value, String)> {
        let content = r.get("content").and_then(Value::as_object)?;
        let (mt, media) = content.get_key_value("application/json").or_else(|| content.iter().next())?;
        Some((media, format!("{origin}/responses/{}/content/{}", escape(code), escape(mt))))
    };
    let successes: Vec<(u16, Option<(&'a Value, String)>)> = responses
        .iter()
        .filter_map(|(code, r)| {
            code.parse::<u16>().ok().filter(|s| (200..300).contains(s)).map(|s| (s, media_of(code, r)))
        })
        .collect();
    let success: Vec<u16> = successes.iter().map(|s| s.0).collect();
    let schema_of = |m: &Option<(&'a Value, String)>| m.as_ref().and_then(|(media, _)| media.get("schema"));
    let distinct: BTreeSet<String> =
        successes.iter().map(|(_, m)| schema_of(m).map(Value::to_string).unwrap_or_default()).collect();
    let hint = format!("{type_name}Response");
    let mut resolved: BTreeMap<u16, Option<Ty>> = BTreeMap::new();
    let out = if successes.is_empty() || distinct.len() == 1 {
        let first = successes.first().and_then(|(_, m)| m.as_ref());
        let out = match first.and_then(|(media, ptr)| Some((media.get("schema")?, ptr))) {
            None => Output::Unit,
            Some((s, ptr))
                if b.deref(s).get("type").and_then(Value::as_str) == Some("string")
                    && b.deref(s).get("enum").is_none() =>
            {
                if s.get("example").is_some() {
                    b.examples.insert(format!("{ptr}/schema"), (Ty::String, false));
                }
                Output::Text
            }
            Some((s, ptr)) => Output::Json(b.ty(s, Name::Hint(&hint), &format!("{ptr}/schema"))),
        };
        let ty = match &out {
            Output::Json(t) => Some(t.clone()),
            Output::Text => Some(Ty::String),
            _ => None,
        };
        for (status, _) in &successes {
            resolved.insert(*status, ty.clone());
        }
        out
    } else {
        let mut variants = Vec::new();
        for (status, m) in &successes {
            let ty = m.as_ref().and_then(|(media, ptr)| {
                let s = media.get("schema")?;
                Some(b.ty(s, Name::Hint(&format!("{hint}{status}")), &format!("{ptr}/schema")))
            });
            resolved.insert(*status, ty.clone());
            variants.push((*status, ty));
        }
        Output::Multi(variants)
    };
    // Every response's examples (errors included) get a type for the
    // examples test.
    for (code, r) in responses {
        let Some((media, ptr)) = media_of(code, r) else { continue };
        let status = code.parse::<u16>().ok();
        let ty = match status.and_then(|s| resolved.get(&s)) {
            Some(t) => t.clone(),
            None => media.get("schema").map(|s| {
                b.ty(s, Name::Hint(&format!("{type_name}Error{}", names::camel(code))), &format!("{ptr}/schema"))
            }),
        };
        if let Some(ty) = ty
            && (media.get("example").is_some() || media.get("examples").is_some())
        {
            b.examples.insert(ptr, (ty, false));
        }
    }
    Ok((out, success))
}

fn security_of(security: Option<&Value>) -> (Auth, Vec<Vec<String>>) {
    let Some(reqs) = security.and_then(Value::as_array) else { return (Auth::None, Vec::new()) };
    let mut auth = Auth::None;
    let mut scopes = Vec::new();
    for req in reqs {
        let Some(req) = req.as_object() else { continue };
        for (scheme, s) in req {
            match scheme.as_str() {
                "basic" => {
                    if auth == Auth::None {
                        auth = Auth::Basic;
                    }
                }
                _ => auth = Auth::Bearer,
            }
            let list: Vec<String> = s
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default();
            if !list.is_empty() && !scopes.contains(&list) {
                scopes.push(list);
            }
        }
    }
    (auth, scopes)
}

fn page_info(b: &Builder<'_>, params: &[Param], output: &Output) -> Option<PageInfo> {
    if !params.iter().any(|p| p.name == "bookmark" && p.location == Location::Query) {
        return None;
    }
    let Output::Json(Ty::Named(n)) = output else { return None };
    let Some(TypeDef { def: Def::Struct { fields, .. }, .. }) = b.defs.get(n) else { return None };
    let items = fields.iter().find(|f| f.json == "items")?;
    fields.iter().find(|f| f.json == "bookmark" && f.ty == Ty::String)?;
    let Ty::Vec(item) = &items.ty else { return None };
    Some(PageInfo { item: (**item).clone(), items_required: items.required && !items.nullable })
}

/// Marks the tag field of every struct that is a variant of tagged unions
/// with one tag value, so that its constructors fill it in.
fn tag_fills(defs: &mut BTreeMap<String, TypeDef>) {
    let mut uses: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    for d in defs.values() {
        if let Def::Tagged { tag, variants } = &d.def {
            for (_, ty, value) in variants {
                if let Ty::Named(n) = ty {
                    uses.entry(n.clone()).or_default().insert((tag.clone(), value.clone()));
                }
            }
        }
    }
    for (name, set) in uses {
        let Some((tag, value)) = set.iter().next().filter(|_| set.len() == 1).cloned() else { continue };
        let Some(def) = defs.get_mut(&name) else { continue };
        if let Def::Struct { fields, .. } = &def.def
            && fields.iter().any(|f| f.json == tag && matches!(f.ty, Ty::String | Ty::Named(_)))
        {
            def.tag_fill = Some((tag, value));
        }
    }
}

/// Direct (non-`Vec`/`Map`) references between types.
fn direct_edges(def: &Def) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |ty: &Ty| {
        let mut v = Vec::new();
        ty.named(&mut v, false);
        out.extend(v.into_iter().filter(|(_, ind)| !ind).map(|(n, _)| n));
    };
    match def {
        Def::Struct { fields, .. } => fields.iter().for_each(|f| push(&f.ty)),
        Def::Tagged { variants, .. } => variants.iter().for_each(|v| push(&v.1)),
        Def::Untagged { variants } => variants.iter().for_each(|v| push(&v.1)),
        Def::Alias { ty } => push(ty),
        Def::StringEnum { .. } | Def::IntEnum { .. } => {}
    }
    out
}

/// Boxes the fields and variants that would make a type infinitely sized.
fn box_recursion(defs: &mut BTreeMap<String, TypeDef>) {
    let edges: BTreeMap<String, Vec<String>> = defs.iter().map(|(k, d)| (k.clone(), direct_edges(&d.def))).collect();
    let reaches = |from: &str, to: &str| -> bool {
        let mut seen = BTreeSet::new();
        let mut queue = VecDeque::from([from.to_owned()]);
        while let Some(n) = queue.pop_front() {
            if n == to {
                return true;
            }
            if seen.insert(n.clone())
                && let Some(e) = edges.get(&n)
            {
                queue.extend(e.iter().cloned());
            }
        }
        false
    };
    let mut to_box: Vec<(String, String)> = Vec::new();
    for (name, targets) in &edges {
        for t in targets {
            if reaches(t, name) {
                to_box.push((name.clone(), t.clone()));
            }
        }
    }
    for (name, target) in to_box {
        let Some(def) = defs.get_mut(&name) else { continue };
        match &mut def.def {
            Def::Struct { fields, .. } => {
                for f in fields.iter_mut().filter(|f| f.ty == Ty::Named(target.clone())) {
                    f.boxed = true;
                }
            }
            Def::Tagged { .. } | Def::Untagged { .. } => {
                def.boxed_variants.insert(target);
            }
            _ => {}
        }
    }
}

/// For every type, the tags of the operations whose inputs or outputs
/// reach it.
fn usage(defs: &BTreeMap<String, TypeDef>, ops: &[Op]) -> BTreeMap<String, BTreeSet<String>> {
    let all_edges: BTreeMap<&String, Vec<String>> = defs
        .iter()
        .map(|(k, d)| {
            let mut v = Vec::new();
            let mut push = |ty: &Ty| ty.named(&mut v, false);
            match &d.def {
                Def::Struct { fields, additional } => {
                    fields.iter().for_each(|f| push(&f.ty));
                    if let Some(a) = additional {
                        push(a);
                    }
                }
                Def::Tagged { variants, .. } => variants.iter().for_each(|x| push(&x.1)),
                Def::Untagged { variants } => variants.iter().for_each(|x| push(&x.1)),
                Def::Alias { ty } => push(ty),
                _ => {}
            }
            (k, v.into_iter().map(|x| x.0).collect())
        })
        .collect();
    let mut usage: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for op in ops {
        let mut roots = Vec::new();
        for p in &op.params {
            p.ty.named(&mut roots, false);
        }
        if let Some(body) = &op.body {
            body.ty.named(&mut roots, false);
        }
        match &op.output {
            Output::Json(t) => t.named(&mut roots, false),
            Output::Multi(v) => v.iter().filter_map(|x| x.1.as_ref()).for_each(|t| t.named(&mut roots, false)),
            _ => {}
        }
        let mut queue: VecDeque<String> = roots.into_iter().map(|x| x.0).collect();
        let mut seen = BTreeSet::new();
        while let Some(n) = queue.pop_front() {
            if !seen.insert(n.clone()) {
                continue;
            }
            usage.entry(n.clone()).or_default().insert(op.tag.clone());
            if let Some(e) = all_edges.get(&n) {
                queue.extend(e.iter().cloned());
            }
        }
    }
    usage
}
