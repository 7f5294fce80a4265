//! Questions the emitter asks about types: how a value of a type is passed
//! to a constructor or setter, whether two arguments could be swapped by
//! mistake, how a type reads in a doc comment, and a sample expression for
//! the generated examples.

use std::collections::BTreeSet;

use super::emit::rust_ty;
use super::ir::{Def, Field, Model, Ty, TypeDef};
use super::names;

/// Follows aliases to the definition of `name`.
pub fn resolve<'m>(model: &'m Model, name: &str) -> Option<&'m TypeDef> {
    let mut cur = name;
    for _ in 0..16 {
        let def = model.defs.get(cur)?;
        match &def.def {
            Def::Alias { ty: Ty::Named(next) } => cur = next,
            _ => return Some(def),
        }
    }
    None
}

/// Follows aliases to a type that is not an alias.
pub fn unalias(model: &Model, ty: &Ty) -> Ty {
    let mut cur = ty.clone();
    for _ in 0..16 {
        match &cur {
            Ty::Named(n) => match model.defs.get(n).map(|d| &d.def) {
                Some(Def::Alias { ty }) => cur = ty.clone(),
                _ => return cur,
            },
            _ => return cur,
        }
    }
    cur
}

/// What a caller can pass for a value of `ty` without the compiler telling
/// them apart: `&str` goes into a `String` and into a string enum alike,
/// `5` into an `i32` and an `i64`. Two positional arguments of one class
/// could be swapped silently, so they are never positional together.
pub fn arg_class(model: &Model, ty: &Ty) -> String {
    match unalias(model, ty) {
        Ty::String => "text".into(),
        Ty::I32 | Ty::I64 => "integer".into(),
        Ty::F64 => "number".into(),
        Ty::Bool => "bool".into(),
        Ty::Date => "date".into(),
        Ty::DateTime => "date-time".into(),
        Ty::Json | Ty::JsonObject => "json".into(),
        Ty::Map(_) => "map".into(),
        Ty::Vec(t) => format!("list of {}", arg_class(model, &t)),
        Ty::Named(n) => match resolve(model, &n).map(|d| &d.def) {
            Some(Def::StringEnum { .. }) => "text".into(),
            Some(Def::IntEnum { .. }) => "integer".into(),
            _ => format!("model {n}"),
        },
    }
}

/// True when the values can be positional arguments together: at most two,
/// of different classes (and different from `taken`, the classes of the
/// arguments before them).
pub fn positional_ok(model: &Model, tys: &[&Ty], taken: &[String]) -> bool {
    if tys.len() > 2 {
        return false;
    }
    let mut seen: BTreeSet<String> = taken.iter().cloned().collect();
    tys.iter().all(|t| seen.insert(arg_class(model, t)))
}

/// How a constructor or setter takes a value of `ty`, and how it stores it:
/// `(argument type, conversion of `value`)`. `prefix` qualifies models.
pub fn setter(ty: &Ty, prefix: &str) -> (String, String) {
    match ty {
        Ty::String => ("impl Into<String>".into(), "value.into()".into()),
        Ty::Named(_) | Ty::DateTime | Ty::Json => {
            (format!("impl Into<{}>", rust_ty(ty, prefix)), "value.into()".into())
        }
        Ty::Vec(inner) => match **inner {
            Ty::String | Ty::Named(_) | Ty::DateTime => (
                format!("impl IntoIterator<Item = impl Into<{}>>", rust_ty(inner, prefix)),
                "value.into_iter().map(Into::into).collect()".into(),
            ),
            _ => {
                (format!("impl IntoIterator<Item = {}>", rust_ty(inner, prefix)), "value.into_iter().collect()".into())
            }
        },
        other => (rust_ty(other, prefix), "value".into()),
    }
}

/// The fields a struct's constructor takes: required, not nullable, and not
/// the tag its union fills in.
pub fn required_fields(def: &TypeDef) -> Vec<&Field> {
    let Def::Struct { fields, .. } = &def.def else { return Vec::new() };
    let tag = def.tag_fill.as_ref().map(|(f, _)| f.as_str());
    fields.iter().filter(|f| f.required && !f.nullable && Some(f.json.as_str()) != tag).collect()
}

/// True when the struct is built with `new(required..)` and setters; false
/// when it gets a builder.
pub fn has_new(model: &Model, def: &TypeDef) -> bool {
    let req = required_fields(def);
    let tys: Vec<&Ty> = req.iter().map(|f| &f.ty).collect();
    positional_ok(model, &tys, &[])
}

/// The tag value a struct's constructors fill in, as an expression of the
/// field's type, when the struct has one.
pub fn tag_fill_expr(model: &Model, def: &TypeDef) -> Option<(String, String)> {
    let (json, value) = def.tag_fill.as_ref()?;
    let Def::Struct { fields, .. } = &def.def else { return None };
    let f = fields.iter().find(|f| &f.json == json)?;
    let expr = match unalias(model, &f.ty) {
        Ty::String => format!("{value:?}.to_owned()"),
        Ty::Named(n) if matches!(resolve(model, &n).map(|d| &d.def), Some(Def::StringEnum { .. })) => {
            format!("{}::from({value:?})", rust_ty(&f.ty, ""))
        }
        _ => return None,
    };
    let expr = if f.required && !f.nullable { expr } else { format!("Some({expr})") };
    Some((f.ident.clone(), expr))
}

/// A type as it reads in a doc comment: `string`, `integer`, one of a short
/// list of enum values, or a link to the model.
pub fn wire_desc(model: &Model, ty: &Ty, link_prefix: &str) -> String {
    let link = |name: &str| {
        if link_prefix.is_empty() { format!("[`{name}`]") } else { format!("[`{name}`]({link_prefix}{name})") }
    };
    match ty {
        Ty::String => "string".into(),
        Ty::I32 | Ty::I64 => "integer".into(),
        Ty::F64 => "number".into(),
        Ty::Bool => "boolean".into(),
        Ty::Date => "date".into(),
        Ty::DateTime => "date-time".into(),
        Ty::Json => "any JSON value".into(),
        Ty::JsonObject => "JSON object".into(),
        Ty::Vec(t) => format!("list of {}", wire_desc(model, t, link_prefix)),
        Ty::Map(t) => format!("map of string to {}", wire_desc(model, t, link_prefix)),
        Ty::Named(n) => match resolve(model, n).map(|d| (&d.name, &d.def)) {
            Some((name, Def::StringEnum { variants })) => {
                enum_desc(&link(name), variants.iter().map(|v| format!("`{}`", v.1.replace('`', "'"))).collect())
            }
            Some((name, Def::IntEnum { variants })) => {
                enum_desc(&link(name), variants.iter().map(|v| format!("`{}`", v.1)).collect())
            }
            Some((_, Def::Alias { ty })) => wire_desc(model, ty, link_prefix),
            Some((name, _)) => link(name),
            None => format!("`{n}`"),
        },
    }
}

fn enum_desc(link: &str, values: Vec<String>) -> String {
    if values.len() <= 10 {
        format!("one of {}", values.join(", "))
    } else {
        format!("one of the {} values of {link}", values.len())
    }
}

/// A Rust expression for a value of `ty` in a generated example, as a
/// constructor or setter argument (which converts with `Into` or takes any
/// iterator). Models are written `models::X`; a builder ends in `?`.
/// `stack` guards against required recursion.
pub fn sample_expr(model: &Model, ty: &Ty, hint: &Hint<'_>, stack: &mut BTreeSet<String>) -> String {
    sample(model, ty, hint, stack, false)
}

/// Like [`sample_expr`]; `exact` asks for the type itself (an enum
/// variant's payload): `String`, `Vec`.
fn sample(model: &Model, ty: &Ty, hint: &Hint<'_>, stack: &mut BTreeSet<String>, exact: bool) -> String {
    match ty {
        Ty::String if exact => format!("{:?}.to_owned()", hint.text()),
        Ty::String => format!("{:?}", hint.text()),
        Ty::I32 | Ty::I64 => hint.integer().to_string(),
        Ty::F64 => "1.0".into(),
        Ty::Bool => "true".into(),
        Ty::Date => format!("models::Date::from_ymd_opt({}).expect(\"a valid date\")", hint.date()),
        Ty::DateTime => "\"2025-01-01T00:00:00Z\".parse::<models::DateTime>().expect(\"a valid date-time\")".into(),
        Ty::Json => "serde_json::json!({})".into(),
        Ty::JsonObject => "serde_json::Map::new()".into(),
        Ty::Map(_) => "std::collections::BTreeMap::new()".into(),
        Ty::Vec(t) if exact => format!("vec![{}]", sample(model, t, hint, stack, true)),
        Ty::Vec(t) => {
            // Setters take `impl IntoIterator<Item = impl Into<T>>` for
            // strings and models, `impl IntoIterator<Item = T>` otherwise.
            let converts = matches!(**t, Ty::String | Ty::Named(_) | Ty::DateTime);
            format!("[{}]", sample(model, t, hint, stack, !converts))
        }
        Ty::Named(n) => {
            if !stack.insert(n.clone()) {
                // A required field that needs a value of its own type: none
                // can be written; an example that needs one fails to compile
                // in `cargo test --doc`, which says so.
                return "Default::default()".into();
            }
            let out = named_sample(model, n, hint, stack, exact);
            stack.remove(n);
            out
        }
    }
}

fn named_sample(model: &Model, name: &str, hint: &Hint<'_>, stack: &mut BTreeSet<String>, exact: bool) -> String {
    let Some(def) = model.defs.get(name) else { return "Default::default()".into() };
    match &def.def {
        Def::Alias { ty } => sample(model, ty, hint, stack, exact),
        Def::StringEnum { variants } => match variants.first() {
            Some((ident, _)) => format!("models::{name}::{ident}"),
            None => format!("models::{name}::from(\"\")"),
        },
        Def::IntEnum { variants } => match variants.first() {
            Some((ident, _)) => format!("models::{name}::{ident}"),
            None => format!("models::{name}::from(0)"),
        },
        Def::Struct { .. } => struct_sample(model, def, stack),
        Def::Tagged { variants, .. } => {
            let Some((_, vty, value)) = variants.first() else { return "Default::default()".into() };
            let ctor = union_ctor_name(value);
            match vty {
                Ty::Named(vn) => match model.defs.get(vn) {
                    Some(vdef) if matches!(vdef.def, Def::Struct { .. }) && has_new(model, vdef) => {
                        let args: Vec<String> = required_fields(vdef)
                            .iter()
                            .map(|f| sample_expr(model, &f.ty, &Hint::field(f), stack))
                            .collect();
                        format!("models::{name}::{ctor}({})", args.join(", "))
                    }
                    _ => format!("models::{name}::{ctor}({})", sample(model, vty, hint, stack, true)),
                },
                other => format!("models::{name}::{ctor}({})", sample(model, other, hint, stack, true)),
            }
        }
        Def::Untagged { variants } => match variants.first() {
            Some((ident, vty)) => {
                format!("models::{name}::{ident}({})", boxed(def, vty, sample(model, vty, hint, stack, true)))
            }
            None => "Default::default()".into(),
        },
    }
}

fn boxed(def: &TypeDef, ty: &Ty, expr: String) -> String {
    match ty {
        Ty::Named(n) if def.boxed_variants.contains(n) => format!("Box::new({expr})"),
        _ => expr,
    }
}

fn struct_sample(model: &Model, def: &TypeDef, stack: &mut BTreeSet<String>) -> String {
    let name = &def.name;
    let req = required_fields(def);
    if has_new(model, def) {
        let args: Vec<String> = req.iter().map(|f| sample_expr(model, &f.ty, &Hint::field(f), stack)).collect();
        format!("models::{name}::new({})", args.join(", "))
    } else {
        let mut s = format!("models::{name}::builder()");
        for f in req {
            s.push_str(&format!(".{}({})", f.ident, sample_expr(model, &f.ty, &Hint::field(f), stack)));
        }
        s.push_str(".build()?");
        s
    }
}

/// The constructor of a tagged-union variant: its tag value in snake_case.
pub fn union_ctor_name(value: &str) -> String {
    let n = names::snake(value);
    if matches!(n.as_str(), "tag" | "new" | "builder") { format!("{n}_variant") } else { n }
}

/// What a sample value stands for: a name and what the spec says of it.
#[derive(Default)]
pub struct Hint<'a> {
    pub name: &'a str,
    pub pattern: Option<&'a str>,
    pub example: Option<&'a serde_json::Value>,
    pub min: Option<i64>,
}

impl<'a> Hint<'a> {
    pub fn field(f: &'a Field) -> Self {
        Hint { name: &f.json, pattern: f.pattern.as_deref(), example: None, min: None }
    }

    fn text(&self) -> String {
        if let Some(s) = self.example.and_then(|e| e.as_str()).filter(|s| s.len() <= 60 && !s.contains('\n')) {
            return s.to_owned();
        }
        if self.pattern.is_some_and(|p| p.contains(r"\d") && !p.contains('[') && !p.contains('-'))
            || self.name.ends_with("_id")
            || self.name == "id"
        {
            return "1234567890".into();
        }
        match self.name {
            "" => "text".into(),
            n => n.replace('_', " "),
        }
    }

    fn integer(&self) -> i64 {
        self.example.and_then(|e| e.as_i64()).or(self.min).unwrap_or(1)
    }

    fn date(&self) -> &'static str {
        if self.name.starts_with("end") { "2025, 1, 31" } else { "2025, 1, 1" }
    }
}
