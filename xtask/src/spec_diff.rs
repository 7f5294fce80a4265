//! `cargo xtask spec-diff OLD.json NEW.json`: what changed between two
//! versions of Pinterest's OpenAPI description, each change marked
//! BREAKING or compatible for the SDK generated from it.
//!
//! Operations are matched by `operationId`, their parameters by location
//! and name (`$ref`s to `#/components/parameters` followed), component
//! schemas by name. A schema is compared by its type description (the
//! name a `$ref` points to, else `type` and `format`, `array of ...`,
//! `map of ...`), its `nullable`, its enum values, its fields (merged
//! through `allOf` as the generator merges them, with their `required`),
//! array items, map values and the variants of `oneOf`/`anyOf`. Inline
//! schemas are followed with a path (`media.size`, `items[]`, `counts{}`);
//! a `$ref` is not: a change inside a component is reported once, under
//! the component's name. Descriptions, summaries, titles and examples are
//! never compared.
//!
//! Breaking is what can stop code written against the old SDK from
//! compiling, or change what it sends or receives without notice: anything
//! removed, a type that changes, a field or parameter that changes between
//! required and optional, a new required field, parameter or body, an enum
//! value or union variant removed. Additions that leave existing calls as
//! they are (an operation, an optional field or parameter, an enum value: the
//! generated enums are `#[non_exhaustive]`) are compatible.
//!
//! Exit status: 0, or 1 with `--fail-on-breaking` when a change is
//! breaking; 2 for bad arguments or a file that cannot be read or parsed.

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use serde_json::{Value, json};

// The generator's own test of a schema that only describes: such an
// `allOf` part or map value changes no type for it, nor here.
use crate::codegen::ir::is_descriptive_only;

/// The command line, printed on bad arguments.
const USAGE: &str = "usage: cargo xtask spec-diff [--json] [--fail-on-breaking] OLD.json NEW.json";

/// How deep nested schemas and `allOf` chains are followed; only a
/// reference cycle goes deeper, and what is deeper is not compared.
const MAX_DEPTH: usize = 32;

/// The HTTP methods an OpenAPI path item can hold.
const METHODS: [&str; 7] = ["get", "put", "post", "delete", "patch", "head", "options"];

/// What a missing schema compares as.
static NULL: Value = Value::Null;

/// Runs `cargo xtask spec-diff ARGS` on the process's stdout and stderr;
/// returns the exit status.
pub fn run(args: &[String]) -> i32 {
    run_with(args, &mut std::io::stdout().lock(), &mut std::io::stderr().lock())
}

/// [`run`], writing the report to `out` and errors to `err`.
fn run_with(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let opts = match parse_args(args) {
        Ok(Some(opts)) => opts,
        Ok(None) => return emit(out, &format!("{USAGE}\n"), 0),
        Err(msg) => return emit(err, &format!("spec-diff: {msg}\n{USAGE}\n"), 2),
    };
    let (old, new) = match (load(&opts.old), load(&opts.new)) {
        (Ok(old), Ok(new)) => (old, new),
        (Err(e), _) | (_, Err(e)) => return emit(err, &format!("spec-diff: {e}\n"), 2),
    };
    let changes = diff(&old, &new);
    let report = if opts.json { render_json(&changes) } else { render_text(&old, &new, &changes) };
    let status = if opts.fail_on_breaking && changes.iter().any(|c| c.breaking) { 1 } else { 0 };
    emit(out, &report, status)
}

/// Writes `text` and returns `status`, or 2 when the text cannot be written.
fn emit(to: &mut dyn Write, text: &str, status: i32) -> i32 {
    match to.write_all(text.as_bytes()).and_then(|()| to.flush()) {
        Ok(()) => status,
        Err(_) => 2,
    }
}

/// The command line, parsed.
#[derive(Debug, Default)]
struct Options {
    json: bool,
    fail_on_breaking: bool,
    old: String,
    new: String,
}

/// The options, `None` for `--help`, or what is wrong with the arguments.
fn parse_args(args: &[String]) -> Result<Option<Options>, String> {
    let mut opts = Options::default();
    let mut files = Vec::new();
    for arg in args {
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--json" => opts.json = true,
            "--fail-on-breaking" => opts.fail_on_breaking = true,
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}")),
            file => files.push(file.to_owned()),
        }
    }
    match <[String; 2]>::try_from(files) {
        Ok([old, new]) => Ok(Some(Options { old, new, ..opts })),
        Err(files) => Err(format!("expected two files (OLD.json NEW.json), got {}", files.len())),
    }
}

/// Reads and parses an OpenAPI 3 description.
fn load(path: &str) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let spec: Value = serde_json::from_str(&text).map_err(|e| format!("{path} is not valid JSON: {e}"))?;
    if spec.get("openapi").and_then(Value::as_str).is_some_and(|v| v.starts_with("3.")) {
        Ok(spec)
    } else {
        Err(format!("{path} is not an OpenAPI 3 description (no \"openapi\": \"3.x\")"))
    }
}

/// Which group a change belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Operation,
    Schema,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Operation => "operation",
            Kind::Schema => "schema",
        }
    }

    fn heading(self) -> &'static str {
        match self {
            Kind::Operation => "Operations",
            Kind::Schema => "Schemas",
        }
    }
}

/// One difference: in an operation (`subject` is its `operationId`) or a
/// component schema (`subject` is its name). Ordered for the report.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Change {
    kind: Kind,
    subject: String,
    detail: String,
    breaking: bool,
}

/// Every change from `old` to `new`, sorted, each once.
fn diff(old: &Value, new: &Value) -> Vec<Change> {
    let mut differ = Differ { old: Spec { root: old }, new: Spec { root: new }, changes: Vec::new() };
    differ.operations();
    differ.schemas();
    let mut changes = differ.changes;
    changes.sort();
    changes.dedup();
    changes
}

/// `info.version`.
fn version(spec: &Value) -> &str {
    spec.pointer("/info/version").and_then(Value::as_str).unwrap_or("(no version)")
}

/// The report for people: the versions, the changes by group, a summary.
fn render_text(old: &Value, new: &Value, changes: &[Change]) -> String {
    let mut text = format!("spec-diff: {} → {}\n", version(old), version(new));
    for kind in [Kind::Operation, Kind::Schema] {
        let mut group = changes.iter().filter(|c| c.kind == kind).peekable();
        if group.peek().is_some() {
            text.push_str(kind.heading());
            text.push('\n');
        }
        for c in group {
            let mark = if c.breaking { "BREAKING" } else { "compatible" };
            text.push_str(&format!("  {mark:<10}  {} {}: {}\n", kind.as_str(), c.subject, c.detail));
        }
    }
    let breaking = changes.iter().filter(|c| c.breaking).count();
    let plural = if changes.len() == 1 { "" } else { "s" };
    text.push_str(&format!("Summary: {} change{plural}, {breaking} breaking\n", changes.len()));
    text
}

/// The report for programs: a JSON array of the changes.
fn render_json(changes: &[Change]) -> String {
    let list: Vec<Value> = changes
        .iter()
        .map(|c| json!({"breaking": c.breaking, "kind": c.kind.as_str(), "subject": c.subject, "detail": c.detail}))
        .collect();
    format!("{:#}\n", Value::Array(list))
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// The last segment of a `$ref`: the component's name.
fn ref_name(r: &str) -> &str {
    r.rsplit_once('/').map_or(r, |(_, name)| name)
}

/// The `allOf` parts that constrain the type.
fn parts(s: &Value) -> Vec<&Value> {
    s.get("allOf").and_then(Value::as_array).into_iter().flatten().filter(|p| !is_descriptive_only(p)).collect()
}

fn is_union(s: &Value) -> bool {
    s.get("oneOf").is_some() || s.get("anyOf").is_some() || s.pointer("/discriminator/mapping").is_some()
}

/// Nullable here, in an inline `allOf` part, or through a `null` enum value
/// (a referenced component's own `nullable` is reported under its name).
fn nullable(s: &Value) -> bool {
    s.get("nullable").and_then(Value::as_bool) == Some(true)
        || s.get("enum").and_then(Value::as_array).is_some_and(|e| e.iter().any(Value::is_null))
        || s.get("allOf").and_then(Value::as_array).is_some_and(|parts| parts.iter().any(nullable))
}

/// The enum values, `null` left out (it makes the schema nullable).
fn enum_values(s: &Value) -> BTreeSet<String> {
    let values = s.get("enum").and_then(Value::as_array).into_iter().flatten().filter(|v| !v.is_null());
    values.map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)).collect()
}

/// A discriminator's tag values, each with the name of its schema.
fn mapping(s: &Value) -> BTreeMap<&str, &str> {
    let entries = s.pointer("/discriminator/mapping").and_then(Value::as_object).into_iter().flatten();
    entries.filter_map(|(tag, target)| Some((tag.as_str(), ref_name(target.as_str()?)))).collect()
}

fn discriminator_property(s: &Value) -> Option<&str> {
    s.pointer("/discriminator/propertyName").and_then(Value::as_str)
}

/// `path.name`, or `name` at the root.
fn join(path: &str, name: &str) -> String {
    if path.is_empty() { name.to_owned() } else { format!("{path}.{name}") }
}

fn param_required(p: &Value) -> bool {
    str_of(p, "in") == Some("path") || p.get("required").and_then(Value::as_bool) == Some(true)
}

/// A parameter's `style`, or the default for its location.
fn param_style(p: &Value) -> &str {
    str_of(p, "style").unwrap_or(match str_of(p, "in") {
        Some("query" | "cookie") => "form",
        _ => "simple",
    })
}

/// A parameter's `explode`, or the default for its style.
fn param_explode(p: &Value) -> bool {
    p.get("explode").and_then(Value::as_bool).unwrap_or(param_style(p) == "form")
}

fn body_required(b: &Value) -> bool {
    b.get("required").and_then(Value::as_bool) == Some(true)
}

fn media_types(b: &Value) -> BTreeSet<&str> {
    b.get("content").and_then(Value::as_object).into_iter().flatten().map(|(k, _)| k.as_str()).collect()
}

fn media_schema<'a>(b: &'a Value, media_type: &str) -> &'a Value {
    b.get("content").and_then(|c| c.get(media_type)).and_then(|m| m.get("schema")).unwrap_or(&NULL)
}

/// What a schema is, after single-part `allOf` wrappers are unwrapped.
enum Shape<'a> {
    /// A reference to a component, by name.
    Ref(&'a str),
    /// `oneOf`, `anyOf`, or a discriminator mapping.
    Union,
    /// Properties, possibly merged through `allOf`.
    Object,
    /// An object whose values all have one schema.
    Map(&'a Value),
    Array(Option<&'a Value>),
    /// An enum over values of the given type.
    Enum(&'a str),
    /// A type, with its format.
    Scalar(&'a str, Option<&'a str>),
    /// No type at all: any JSON.
    Any,
}

/// An operation: where it is and its OpenAPI object.
struct Operation<'a> {
    method: &'static str,
    path: &'a str,
    /// The path item, for its path-level parameters.
    item: &'a Value,
    op: &'a Value,
}

impl Operation<'_> {
    /// `GET /pins`.
    fn route(&self) -> String {
        format!("{} {}", self.method.to_ascii_uppercase(), self.path)
    }
}

/// An operation's parameters by (location, name).
type Params<'a> = BTreeMap<(&'a str, &'a str), &'a Value>;

/// Where a parameter `name` that `from` lacks there is in `to`: the new
/// location of a parameter that moved.
fn relocated<'a>(from: &Params<'a>, to: &Params<'a>, name: &str) -> Option<&'a str> {
    to.keys().find(|&&(l, n)| n == name && !from.contains_key(&(l, n))).map(|&(l, _)| l)
}

/// Properties gathered through `allOf`, with their `required` list and
/// `additionalProperties`.
#[derive(Default)]
struct Fields<'a> {
    props: BTreeMap<&'a str, &'a Value>,
    required: BTreeSet<&'a str>,
    extra: Option<&'a Value>,
}

/// One side of the comparison.
#[derive(Clone, Copy)]
struct Spec<'a> {
    root: &'a Value,
}

impl<'a> Spec<'a> {
    /// Follows local `$ref`s (`#/...`) to their target; a reference that
    /// does not resolve is left as it is.
    fn resolve(self, v: &'a Value) -> &'a Value {
        let mut cur = v;
        for _ in 0..MAX_DEPTH {
            let target = str_of(cur, "$ref").and_then(|r| r.strip_prefix('#')).and_then(|p| self.root.pointer(p));
            match target {
                Some(next) => cur = next,
                None => break,
            }
        }
        cur
    }

    fn schemas(self) -> BTreeMap<&'a str, &'a Value> {
        let schemas = self.root.pointer("/components/schemas").and_then(Value::as_object).into_iter().flatten();
        schemas.map(|(k, v)| (k.as_str(), v)).collect()
    }

    /// Every operation, by `operationId` (by `METHOD path` when it has none).
    fn operations(self) -> BTreeMap<String, Operation<'a>> {
        let mut ops = BTreeMap::new();
        let paths = self.root.get("paths").and_then(Value::as_object).into_iter().flatten();
        for (path, item) in paths {
            let item = self.resolve(item);
            for method in METHODS {
                let Some(op) = item.get(method) else { continue };
                let op = Operation { method, path, item, op };
                let id = str_of(op.op, "operationId").map_or_else(|| op.route(), str::to_owned);
                ops.insert(id, op);
            }
        }
        ops
    }

    /// An operation's parameters, path-level ones overridden by its own, by
    /// (location, name).
    fn parameters(self, op: &Operation<'a>) -> Params<'a> {
        let lists = [op.item.get("parameters"), op.op.get("parameters")];
        let params = lists.into_iter().flatten().filter_map(Value::as_array).flatten().map(|p| self.resolve(p));
        params.filter_map(|p| Some(((str_of(p, "in")?, str_of(p, "name")?), p))).collect()
    }

    fn body(self, op: &Operation<'a>) -> Option<&'a Value> {
        op.op.get("requestBody").map(|b| self.resolve(b))
    }

    /// The success (2xx) responses, each with the schema of its JSON body.
    fn successes(self, op: &Operation<'a>) -> BTreeMap<&'a str, Option<&'a Value>> {
        let responses = op.op.get("responses").and_then(Value::as_object).into_iter().flatten();
        let successes = responses.filter(|(code, _)| code.starts_with('2'));
        successes
            .map(|(code, r)| (code.as_str(), self.resolve(r).pointer("/content/application~1json/schema")))
            .collect()
    }

    /// Whether `s` describes an object (properties to merge), following
    /// references.
    fn objectish(self, s: &'a Value, depth: usize) -> bool {
        let s = self.resolve(s);
        if depth > MAX_DEPTH || is_union(s) {
            return false;
        }
        s.get("properties").is_some()
            || str_of(s, "type") == Some("object")
            || parts(s).into_iter().any(|p| self.objectish(p, depth + 1))
    }

    /// The schema an `allOf` wrapper without properties of its own stands
    /// for, as the generator picks it: its only part, or among scalar parts
    /// the reference, else the enum, else the first.
    fn single_part(self, s: &'a Value) -> Option<&'a Value> {
        if s.get("properties").is_some() {
            return None;
        }
        match parts(s).as_slice() {
            [] => None,
            [one] => Some(one),
            many if !many.iter().any(|p| self.objectish(p, 0)) => many
                .iter()
                .find(|p| p.get("$ref").is_some())
                .or_else(|| many.iter().find(|p| p.get("enum").is_some()))
                .or(many.first())
                .copied(),
            _ => None,
        }
    }

    /// `s` with its `allOf` wrappers taken off.
    fn unwrap(self, s: &'a Value) -> &'a Value {
        let mut cur = s;
        for _ in 0..MAX_DEPTH {
            match self.single_part(cur) {
                Some(part) => cur = part,
                None => break,
            }
        }
        cur
    }

    fn shape(self, s: &'a Value) -> Shape<'a> {
        let s = self.unwrap(s);
        if let Some(r) = str_of(s, "$ref") {
            return Shape::Ref(ref_name(r));
        }
        if is_union(s) {
            return Shape::Union;
        }
        if !parts(s).is_empty() || s.get("properties").is_some() {
            return Shape::Object;
        }
        if s.get("enum").is_some() {
            return Shape::Enum(str_of(s, "type").unwrap_or("any"));
        }
        let ty = str_of(s, "type");
        if ty == Some("array") || s.get("items").is_some() {
            return Shape::Array(s.get("items"));
        }
        match (ty, s.get("additionalProperties")) {
            (Some("object"), Some(ap)) if ap.is_object() && !is_descriptive_only(ap) => Shape::Map(ap),
            (Some("object"), _) => Shape::Object,
            (Some(ty), _) => Shape::Scalar(ty, str_of(s, "format")),
            (None, _) => Shape::Any,
        }
    }

    /// The type description two schemas must share to be the same type:
    /// `Pin`, `string (date-time)`, `array of string`, `map of integer`...
    fn desc(self, s: &'a Value) -> String {
        match self.shape(s) {
            Shape::Ref(name) => name.to_owned(),
            Shape::Union => "union".to_owned(),
            Shape::Object => "object".to_owned(),
            Shape::Map(values) => format!("map of {}", self.desc(values)),
            Shape::Array(items) => format!("array of {}", items.map_or_else(|| "any".to_owned(), |i| self.desc(i))),
            Shape::Enum(ty) => format!("{ty} enum"),
            Shape::Scalar(ty, Some(format)) => format!("{ty} ({format})"),
            Shape::Scalar(ty, None) => ty.to_owned(),
            Shape::Any => "any".to_owned(),
        }
    }

    /// The fields of an object schema, merged through `allOf` (references
    /// included, each once), own properties last.
    fn fields(self, s: &'a Value) -> Fields<'a> {
        let mut fields = Fields::default();
        self.merge(s, &mut fields, &mut BTreeSet::new(), 0);
        fields
    }

    fn merge(self, s: &'a Value, acc: &mut Fields<'a>, seen: &mut BTreeSet<&'a str>, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        for part in s.get("allOf").and_then(Value::as_array).into_iter().flatten() {
            match str_of(part, "$ref") {
                Some(r) if !seen.insert(r) => {}
                Some(_) => self.merge(self.resolve(part), acc, seen, depth + 1),
                None => self.merge(part, acc, seen, depth + 1),
            }
        }
        for (name, schema) in s.get("properties").and_then(Value::as_object).into_iter().flatten() {
            acc.props.insert(name.as_str(), schema);
        }
        acc.required
            .extend(s.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str));
        if let Some(ap) = s.get("additionalProperties").filter(|ap| ap.is_object() || ap.as_bool() == Some(true)) {
            acc.extra = Some(ap);
        }
    }

    /// The variants of a `oneOf`/`anyOf`, by referenced name or type
    /// description (`object #2` for a second inline object).
    fn variants(self, s: &'a Value) -> BTreeMap<String, &'a Value> {
        let mut out = BTreeMap::new();
        let lists = ["oneOf", "anyOf"].into_iter().filter_map(|k| s.get(k)).filter_map(Value::as_array);
        for variant in lists.flatten() {
            let base = self.desc(variant);
            let (mut key, mut n) = (base.clone(), 1);
            while out.contains_key(&key) {
                n += 1;
                key = format!("{base} #{n}");
            }
            out.insert(key, variant);
        }
        out
    }
}

/// Where a compared schema is, which names the changes found in it.
struct Site {
    kind: Kind,
    subject: String,
    head: Head,
}

/// The part of a subject a schema belongs to.
enum Head {
    /// The component schema itself.
    Schema,
    Body,
    /// A success response, by status.
    Response(String),
    /// A parameter, by location and name.
    Param(String, String),
}

impl Site {
    fn schema(name: &str) -> Site {
        Site { kind: Kind::Schema, subject: name.to_owned(), head: Head::Schema }
    }

    fn operation(id: &str, head: Head) -> Site {
        Site { kind: Kind::Operation, subject: id.to_owned(), head }
    }

    /// What a detail about `path` (a field path from the schema's root,
    /// empty for the root) starts with, a space included unless empty.
    fn label(&self, path: &str) -> String {
        let field = if path.is_empty() { String::new() } else { format!("field '{path}' ") };
        match &self.head {
            Head::Schema => field,
            Head::Body => format!("request body {field}"),
            Head::Response(code) => format!("response {code} {field}"),
            Head::Param(location, name) if path.is_empty() || path.starts_with(['[', '{', '(']) => {
                format!("parameter {location} '{name}{path}' ")
            }
            Head::Param(location, name) => format!("parameter {location} '{name}.{path}' "),
        }
    }
}

/// Walks both descriptions and collects the changes.
struct Differ<'a> {
    old: Spec<'a>,
    new: Spec<'a>,
    changes: Vec<Change>,
}

impl<'a> Differ<'a> {
    /// Records a change.
    fn push(&mut self, kind: Kind, subject: &str, breaking: bool, detail: String) {
        self.changes.push(Change { kind, subject: subject.to_owned(), detail, breaking });
    }

    /// Records `what` about `path` at `site`.
    fn report(&mut self, site: &Site, path: &str, breaking: bool, what: &str) {
        let detail = format!("{}{what}", site.label(path));
        self.push(site.kind, &site.subject, breaking, detail);
    }

    /// Operations removed, added, or compared.
    fn operations(&mut self) {
        let (old, new) = (self.old.operations(), self.new.operations());
        for (id, o) in &old {
            match new.get(id) {
                Some(n) => self.operation(id, o, n),
                None => self.push(Kind::Operation, id, true, format!("removed ({})", o.route())),
            }
        }
        for (id, n) in new.iter().filter(|(id, _)| !old.contains_key(*id)) {
            self.push(Kind::Operation, id, false, format!("added ({})", n.route()));
        }
    }

    /// One operation present in both: its route, parameters, body, responses.
    fn operation(&mut self, id: &str, o: &Operation<'a>, n: &Operation<'a>) {
        if o.route() != n.route() {
            self.push(Kind::Operation, id, true, format!("moved: {} → {}", o.route(), n.route()));
        }
        self.parameters(id, o, n);
        self.body(id, o, n);
        self.responses(id, o, n);
    }

    /// Parameters removed, moved to another location, added, or compared.
    fn parameters(&mut self, id: &str, o: &Operation<'a>, n: &Operation<'a>) {
        let (old, new) = (self.old.parameters(o), self.new.parameters(n));
        for (&(location, name), p) in &old {
            match (new.get(&(location, name)), relocated(&old, &new, name)) {
                (Some(q), _) => self.parameter(id, (location, name), p, q),
                (None, Some(to)) => {
                    let detail = format!("parameter '{name}' moved from {location} to {to}");
                    self.push(Kind::Operation, id, true, detail);
                }
                (None, None) => self.push(Kind::Operation, id, true, format!("parameter {location} '{name}' removed")),
            }
        }
        for (&(location, name), q) in new.iter().filter(|(key, _)| !old.contains_key(*key)) {
            if relocated(&new, &old, name).is_none() {
                let required = param_required(q);
                let what = if required { "added (required)" } else { "added (optional)" };
                self.push(Kind::Operation, id, required, format!("parameter {location} '{name}' {what}"));
            }
        }
    }

    /// One parameter present in both: required, style, explode, schema.
    fn parameter(&mut self, id: &str, (location, name): (&str, &str), p: &'a Value, q: &'a Value) {
        let site = Site::operation(id, Head::Param(location.to_owned(), name.to_owned()));
        if param_required(p) != param_required(q) {
            let what = if param_required(q) { "becomes required" } else { "becomes optional" };
            self.report(&site, "", true, what);
        }
        // A new style brings its own default `explode`: reported once.
        if param_style(p) != param_style(q) {
            self.report(&site, "", true, &format!("style changed: {} → {}", param_style(p), param_style(q)));
        } else if param_explode(p) != param_explode(q) {
            self.report(&site, "", true, &format!("explode changed: {} → {}", param_explode(p), param_explode(q)));
        }
        let schema = |p: &'a Value| p.get("schema").unwrap_or(&NULL);
        self.compare(&site, "", schema(p), schema(q), 0);
    }

    /// The request body: presence, required, content types, schema.
    fn body(&mut self, id: &str, o: &Operation<'a>, n: &Operation<'a>) {
        let site = Site::operation(id, Head::Body);
        let (old, new) = match (self.old.body(o), self.new.body(n)) {
            (Some(old), Some(new)) => (old, new),
            (Some(_), None) => return self.report(&site, "", true, "removed"),
            (None, Some(new)) if body_required(new) => return self.report(&site, "", true, "added (required)"),
            (None, Some(_)) => return self.report(&site, "", false, "added (optional)"),
            (None, None) => return,
        };
        if body_required(old) != body_required(new) {
            let what = if body_required(new) { "becomes required" } else { "becomes optional" };
            self.report(&site, "", true, what);
        }
        let (old_types, new_types) = (media_types(old), media_types(new));
        if old_types != new_types {
            let list = |types: &BTreeSet<&str>| types.iter().copied().collect::<Vec<_>>().join(", ");
            let what = format!("content types changed: {} → {}", list(&old_types), list(&new_types));
            self.report(&site, "", true, &what);
        }
        for media_type in old_types.intersection(&new_types) {
            self.compare(&site, "", media_schema(old, media_type), media_schema(new, media_type), 0);
        }
    }

    /// Success responses: compared status by status. A status or a body
    /// that comes or goes is breaking when the set of success types changes
    /// (the generated output type follows it), compatible otherwise.
    fn responses(&mut self, id: &str, o: &Operation<'a>, n: &Operation<'a>) {
        let (old, new) = (self.old.successes(o), self.new.successes(n));
        let types = |spec: Spec<'a>, responses: &BTreeMap<&str, Option<&'a Value>>| -> BTreeSet<String> {
            responses.values().map(|s| s.map_or_else(|| "no body".to_owned(), |s| spec.desc(s))).collect()
        };
        let reshaped = types(self.old, &old) != types(self.new, &new);
        let codes: BTreeSet<&str> = old.keys().chain(new.keys()).copied().collect();
        let new_spec = self.new;
        for code in codes {
            let site = Site::operation(id, Head::Response(code.to_owned()));
            let described = |s: Option<&'a Value>| s.map_or_else(|| "no body".to_owned(), |s| new_spec.desc(s));
            match (old.get(code).copied(), new.get(code).copied()) {
                (Some(Some(a)), Some(Some(b))) => self.compare(&site, "", a, b, 0),
                (Some(_), None) => self.report(&site, "", reshaped, "removed"),
                (None, Some(b)) => self.report(&site, "", reshaped, &format!("added ({})", described(b))),
                (Some(Some(_)), Some(None)) => self.report(&site, "", reshaped, "body removed"),
                (Some(None), Some(b @ Some(_))) => {
                    self.report(&site, "", reshaped, &format!("body added ({})", described(b)));
                }
                (Some(None), Some(None)) | (None, None) => {}
            }
        }
    }

    /// Component schemas removed, added, or compared under their name.
    fn schemas(&mut self) {
        let (old, new) = (self.old.schemas(), self.new.schemas());
        for (name, o) in &old {
            match new.get(name) {
                Some(n) => self.compare(&Site::schema(name), "", o, n, 0),
                None => self.push(Kind::Schema, name, true, "removed".to_owned()),
            }
        }
        for name in new.keys().filter(|name| !old.contains_key(*name)) {
            self.push(Kind::Schema, name, false, "added".to_owned());
        }
    }

    /// Compares the schema at `path` of `site`: its type description, then
    /// (when that is the same and not a reference) what is inside.
    fn compare(&mut self, site: &Site, path: &str, o: &'a Value, n: &'a Value, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let (old_desc, new_desc) = (self.old.desc(o), self.new.desc(n));
        if old_desc != new_desc {
            return self.report(site, path, true, &format!("type changed: {old_desc} → {new_desc}"));
        }
        if nullable(o) != nullable(n) {
            self.report(site, path, true, if nullable(n) { "becomes nullable" } else { "is no longer nullable" });
        }
        let (o, n) = (self.old.unwrap(o), self.new.unwrap(n));
        let inner = |s: &'a Value, key: &str| s.get(key).unwrap_or(&NULL);
        match self.old.shape(o) {
            Shape::Ref(_) | Shape::Scalar(..) | Shape::Any => {}
            Shape::Enum(_) => self.compare_enum(site, path, o, n),
            Shape::Object => self.compare_fields(site, path, o, n, depth),
            Shape::Array(_) => {
                self.compare(site, &format!("{path}[]"), inner(o, "items"), inner(n, "items"), depth + 1)
            }
            Shape::Map(_) => {
                let (o, n) = (inner(o, "additionalProperties"), inner(n, "additionalProperties"));
                self.compare(site, &format!("{path}{{}}"), o, n, depth + 1);
            }
            Shape::Union => {
                self.compare_variants(site, path, o, n, depth);
                self.compare_discriminator(site, path, o, n);
            }
        }
    }

    /// Enum values removed (breaking) or added (compatible).
    fn compare_enum(&mut self, site: &Site, path: &str, o: &Value, n: &Value) {
        let (old, new) = (enum_values(o), enum_values(n));
        for value in old.difference(&new) {
            self.report(site, path, true, &format!("enum value '{value}' removed"));
        }
        for value in new.difference(&old) {
            self.report(site, path, false, &format!("enum value '{value}' added"));
        }
    }

    /// An object's fields (merged through `allOf`) and its
    /// `additionalProperties`.
    fn compare_fields(&mut self, site: &Site, path: &str, o: &'a Value, n: &'a Value, depth: usize) {
        let (old, new) = (self.old.fields(o), self.new.fields(n));
        for (name, old_schema) in &old.props {
            let child = join(path, name);
            let Some(new_schema) = new.props.get(name) else {
                self.report(site, &child, true, "removed");
                continue;
            };
            let required = new.required.contains(name);
            if old.required.contains(name) != required {
                self.report(site, &child, true, if required { "becomes required" } else { "becomes optional" });
            }
            self.compare(site, &child, old_schema, new_schema, depth + 1);
        }
        for name in new.props.keys().filter(|name| !old.props.contains_key(*name)) {
            let required = new.required.contains(name);
            self.report(
                site,
                &join(path, name),
                required,
                if required { "added (required)" } else { "added (optional)" },
            );
        }
        match (old.extra, new.extra) {
            (Some(o), Some(n)) => self.compare(site, &format!("{path}{{}}"), o, n, depth + 1),
            (Some(_), None) => self.report(site, path, true, "additional properties removed"),
            (None, Some(_)) => self.report(site, path, false, "additional properties added"),
            (None, None) => {}
        }
    }

    /// The variants of a union, by name; inline ones are compared inside.
    fn compare_variants(&mut self, site: &Site, path: &str, o: &'a Value, n: &'a Value, depth: usize) {
        let (old, new) = (self.old.variants(o), self.new.variants(n));
        for (key, old_variant) in &old {
            match new.get(key) {
                Some(new_variant) => self.compare(site, &format!("{path}({key})"), old_variant, new_variant, depth + 1),
                None => self.report(site, path, true, &format!("variant '{key}' removed")),
            }
        }
        for key in new.keys().filter(|key| !old.contains_key(*key)) {
            self.report(site, path, false, &format!("variant '{key}' added"));
        }
    }

    /// The discriminator's property and its tag values.
    fn compare_discriminator(&mut self, site: &Site, path: &str, o: &Value, n: &Value) {
        if let (Some(old), Some(new)) = (discriminator_property(o), discriminator_property(n))
            && old != new
        {
            self.report(site, path, true, &format!("discriminator property changed: {old} → {new}"));
        }
        let (old, new) = (mapping(o), mapping(n));
        for (tag, target) in &old {
            match new.get(tag) {
                None => self.report(site, path, true, &format!("discriminator value '{tag}' removed")),
                Some(now) if now != target => {
                    self.report(
                        site,
                        path,
                        true,
                        &format!("discriminator value '{tag}' now means {now}, was {target}"),
                    );
                }
                Some(_) => {}
            }
        }
        for tag in new.keys().filter(|tag| !old.contains_key(*tag)) {
            self.report(site, path, false, &format!("discriminator value '{tag}' added"));
        }
    }
}
