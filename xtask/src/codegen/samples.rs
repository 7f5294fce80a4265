//! For the emulator: a check of request and response bodies per operation
//! through the SDK's generated types; and minimal values of the model's
//! types, for the canaries of the secrets test. (The emulator's complete
//! responses come from `examples.rs`.)

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use super::emit::rust_ty;
use super::ir::{Def, Field, Model, Ty};

pub const EMULATOR_GEN: &str = "crates/pinterest-emulator/src/generated";

fn string_sample(format: Option<&str>, pattern: Option<&str>) -> Value {
    match (format, pattern) {
        (Some("date"), _) => json!("2025-01-01"),
        (Some("date-time"), _) => json!("2025-01-01T00:00:00Z"),
        (_, Some(p)) if p.contains(r"\d") && !p.contains('[') && !p.contains('-') => json!("1234567890"),
        (_, Some(p)) if p.contains(r"\d{4}-\d{2}-\d{2}") => json!("2025-01-01"),
        _ => json!("string"),
    }
}

/// A minimal value of `ty`: required fields only, first enum values, empty
/// lists and maps. `stack` stops recursion through required fields.
pub fn sample(ty: &Ty, model: &Model, stack: &mut BTreeSet<String>) -> Value {
    match ty {
        Ty::String => json!("string"),
        Ty::Date => json!("2025-01-01"),
        Ty::DateTime => json!("2025-01-01T00:00:00Z"),
        Ty::I32 | Ty::I64 => json!(0),
        Ty::F64 => json!(0.0),
        Ty::Bool => json!(false),
        Ty::Json | Ty::JsonObject | Ty::Map(_) => json!({}),
        Ty::Vec(_) => json!([]),
        Ty::Named(n) => {
            if !stack.insert(n.clone()) {
                return json!({});
            }
            let v = named_sample(n, model, stack);
            stack.remove(n);
            v
        }
    }
}

/// A value of struct `def` with every field: each text field holds a canary
/// naming it (`CANARY:<json name>`), the others a minimal sample. For the
/// test that no secret reaches `Debug` output.
pub fn canary_sample(def: &super::ir::TypeDef, fields: &[Field], model: &Model) -> Value {
    let mut stack = BTreeSet::from([def.name.clone()]);
    let mut out = Map::new();
    for f in fields {
        let canary = json!(format!("CANARY:{}", f.json));
        let v = match &f.ty {
            Ty::String | Ty::Json => canary,
            Ty::Vec(t) if matches!(**t, Ty::String) => json!([canary]),
            Ty::Map(t) if matches!(**t, Ty::String) => json!({ "k": canary }),
            Ty::JsonObject => json!({ "k": canary }),
            _ => field_sample(f, model, &mut stack),
        };
        out.insert(f.json.clone(), v);
    }
    Value::Object(out)
}

fn field_sample(f: &Field, model: &Model, stack: &mut BTreeSet<String>) -> Value {
    match &f.ty {
        Ty::String => string_sample(f.format.as_deref(), f.pattern.as_deref()),
        other => sample(other, model, stack),
    }
}

fn named_sample(name: &str, model: &Model, stack: &mut BTreeSet<String>) -> Value {
    let Some(def) = model.defs.get(name) else { return json!({}) };
    match &def.def {
        Def::Alias { ty } => sample(ty, model, stack),
        Def::StringEnum { variants } => variants.first().map(|v| json!(v.1)).unwrap_or(json!("string")),
        Def::IntEnum { variants } => variants.first().map(|v| json!(v.1)).unwrap_or(json!(0)),
        Def::Struct { fields, .. } => {
            let mut map = Map::new();
            for f in fields.iter().filter(|f| f.required) {
                let v = if f.nullable { Value::Null } else { field_sample(f, model, stack) };
                map.insert(f.json.clone(), v);
            }
            Value::Object(map)
        }
        Def::Tagged { tag, variants } => match variants.first() {
            Some((_, ty, value)) => {
                let mut v = sample(ty, model, stack);
                if let Value::Object(m) = &mut v {
                    m.insert(tag.clone(), json!(value));
                }
                v
            }
            None => json!({}),
        },
        Def::Untagged { variants } => variants.first().map(|v| sample(&v.1, model, stack)).unwrap_or(json!({})),
    }
}

/// `crates/pinterest-emulator/src/generated/samples.rs`.
pub fn emit_samples(model: &Model, h: &str) -> String {
    let mut s = format!(
        "{h}//! Checks of JSON request and response bodies against the SDK's generated\n\
         //! types.\n\n\
         use pinterest_sdk::models;\n\n"
    );
    s.push_str(
        "fn check<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<(), String> {\n\
             serde_json::from_slice::<T>(body).map(|_| ()).map_err(|e| e.to_string())\n\
         }\n\n\
         /// Decodes a JSON request body into the operation's body type. `None`\n\
         /// when the operation takes no JSON body.\n\
         pub fn check_body(operation_id: &str, body: &[u8]) -> Option<Result<(), String>> {\n\
             Some(match operation_id {\n",
    );
    for op in &model.ops {
        if let Some(b) = op.body.as_ref().filter(|b| !b.form) {
            let _ = writeln!(s, "        {:?} => check::<{}>(body),", op.id, rust_ty(&b.ty, "models::"));
        }
    }
    s.push_str("        _ => return None,\n    })\n}\n\n");
    s.push_str(
        "/// Decodes a response body as the operation's output type; `None` for an\n\
         /// unknown operation.\n\
         pub fn check_response(operation_id: &str, status: u16, body: &[u8]) -> Option<Result<(), String>> {\n\
             let status = http::StatusCode::from_u16(status).ok()?;\n\
             let body = bytes::Bytes::copy_from_slice(body);\n\
             Some(match operation_id {\n",
    );
    for op in &model.ops {
        let _ = writeln!(
            s,
            "        {:?} => <pinterest_sdk::ops::{}::{} as pinterest_sdk::Operation>::decode(status, body).map(|_| ()).map_err(|e| format!(\"{{e}}: {{:?}}\", std::error::Error::source(&e).map(ToString::to_string))),",
            op.id, op.tag, op.type_name
        );
    }
    s.push_str("        _ => return None,\n    })\n}\n");
    s
}
