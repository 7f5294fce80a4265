//! Pinterest's OpenAPI schemas as a JSON Schema validator sees them, for
//! checking values against the spec: the generator's examples and the
//! emulator's answers.
//!
//! OpenAPI 3.0 reads its schemas as JSON Schema draft 4 plus `nullable`;
//! [`to_json_schema`] turns `nullable` into a `null` type (and a `null`
//! enum value) and drops the annotations, and [`SpecValidator`] checks a
//! value with the `jsonschema` crate, formats included (`date-time` needs
//! an offset), `$ref`s resolved against the spec's components.

use std::cell::RefCell;
use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

/// OpenAPI 3.0's schema dialect to JSON Schema draft 4.
pub fn to_json_schema(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, x) in m {
                match k.as_str() {
                    "nullable" | "discriminator" | "example" | "examples" | "readOnly" | "writeOnly" | "xml"
                    | "deprecated" | "description" | "title" | "externalDocs" => {}
                    k if k.starts_with("x-") => {}
                    "properties" | "patternProperties" => {
                        let props: Map<String, Value> = x
                            .as_object()
                            .map(|p| p.iter().map(|(n, s)| (n.clone(), to_json_schema(s))).collect())
                            .unwrap_or_default();
                        out.insert(k.to_owned(), Value::Object(props));
                    }
                    _ => {
                        out.insert(k.to_owned(), to_json_schema(x));
                    }
                }
            }
            if m.get("nullable") == Some(&Value::Bool(true)) {
                // Where subschemas (or a `$ref`, whose siblings draft 4
                // ignores) also constrain the value, null must bypass them.
                let composed = ["allOf", "oneOf", "anyOf", "$ref"].iter().any(|k| out.contains_key(*k));
                match out.get("type").cloned() {
                    Some(Value::String(t)) if !composed => {
                        out.insert("type".into(), json!([t, "null"]));
                        if let Some(Value::Array(e)) = out.get_mut("enum")
                            && !e.contains(&Value::Null)
                        {
                            e.push(Value::Null);
                        }
                    }
                    _ => return json!({"anyOf": [Value::Object(out), {"type": "null"}]}),
                }
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(to_json_schema).collect()),
        other => other.clone(),
    }
}

/// Checks values against schemas of one spec; compiled validators are kept.
pub struct SpecValidator {
    components: Value,
    validators: RefCell<BTreeMap<String, Result<jsonschema::Validator, String>>>,
}

impl SpecValidator {
    /// A validator for schemas of `spec` (its `components` resolve `$ref`s).
    pub fn new(spec: &Value) -> SpecValidator {
        let schemas = spec.pointer("/components/schemas").map(to_json_schema).unwrap_or_else(|| json!({}));
        SpecValidator { components: json!({"schemas": schemas}), validators: RefCell::default() }
    }

    /// What is wrong with `value` under `schema` (OpenAPI form); empty when
    /// it is valid.
    pub fn errors(&self, schema: &Value, value: &Value) -> Vec<String> {
        let key = schema.to_string();
        let mut validators = self.validators.borrow_mut();
        let compiled = validators.entry(key.clone()).or_insert_with(|| {
            let mut doc = to_json_schema(schema);
            let Value::Object(m) = &mut doc else { return Err("the schema is not an object".into()) };
            if key.contains("$ref") {
                m.insert("components".into(), self.components.clone());
            }
            jsonschema::options()
                .with_draft(jsonschema::Draft::Draft4)
                .should_validate_formats(true)
                .build(&doc)
                .map_err(|e| format!("the schema does not compile: {e}"))
        });
        match compiled {
            Ok(v) => v
                .iter_errors(value)
                .map(|e| {
                    let at = e.instance_path().to_string();
                    let text = e.to_string();
                    let short: String = text.chars().take(300).collect();
                    format!("{short} at `{at}`")
                })
                .collect(),
            Err(e) => vec![e.clone()],
        }
    }

    /// Whether `value` satisfies `schema`.
    pub fn valid(&self, schema: &Value, value: &Value) -> bool {
        self.errors(schema, value).is_empty()
    }
}

/// The schema of an operation's response with `status` (JSON only).
pub fn response_schema<'s>(spec: &'s Value, method: &str, path: &str, status: u16) -> Option<&'s Value> {
    let op = spec.get("paths")?.get(path)?.get(method.to_ascii_lowercase())?;
    op.pointer(&format!("/responses/{status}/content/application~1json/schema"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "test code")]
mod tests {
    use super::*;

    #[test]
    fn nullable_lets_null_through_beside_types_refs_and_all_of() {
        let spec = json!({"components": {"schemas": {
            "Urls": {"type": "object", "properties": {"a": {"type": "string"}}},
            "Holder": {"type": "object", "properties": {
                "plain": {"type": "string", "nullable": true},
                "status": {"type": "string", "enum": ["A"], "nullable": true},
                "urls": {"type": "object", "allOf": [{"$ref": "#/components/schemas/Urls"}], "nullable": true},
            }},
        }}});
        let v = SpecValidator::new(&spec);
        let holder = json!({"$ref": "#/components/schemas/Holder"});
        assert!(v.valid(&holder, &json!({"plain": null, "status": null, "urls": null})));
        assert!(v.valid(&holder, &json!({"plain": "x", "status": "A", "urls": {"a": "b"}})));
        assert!(!v.valid(&holder, &json!({"status": "B"})));
        assert!(!v.valid(&holder, &json!({"urls": "text"})));
        assert!(!v.valid(&holder, &json!({"urls": {"a": 1}})));
    }

    #[test]
    fn date_times_need_an_offset() {
        let v = SpecValidator::new(&json!({}));
        let schema = json!({"type": "string", "format": "date-time"});
        assert!(v.valid(&schema, &json!("2025-01-01T00:00:00Z")));
        assert!(!v.valid(&schema, &json!("2025-01-01T00:00:00")));
    }
}
