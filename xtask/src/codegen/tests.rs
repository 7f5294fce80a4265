//! The generator on small inline specs, one construct at a time.

use serde_json::{Value, json};

use super::{emit, ir};

fn spec(schemas: Value, paths: Value) -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "9.9.9"},
        "paths": paths,
        "components": {"schemas": schemas},
        "security": [{"pinterest_oauth2": []}]
    })
}

/// Generates and returns all files concatenated (unformatted).
fn generate(s: &Value) -> (ir::Model, String) {
    let model = ir::build(s).expect("model");
    let files = emit::emit(&model);
    let all = files.values().cloned().collect::<Vec<_>>().join("\n");
    (model, all)
}

fn has(text: &str, needle: &str) {
    assert!(text.contains(needle), "generated code lacks:\n  {needle}\n---\n{}", &text[..text.len().min(6000)]);
}

fn op_using(schema: &str) -> Value {
    json!({"/things": {"post": {
        "operationId": "things/create", "tags": ["things"],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}},
        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}}}
    }}})
}

#[test]
fn all_of_merges_properties_and_required() {
    let s = spec(
        json!({
            "Base": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]},
            "Thing": {"allOf": [{"$ref": "#/components/schemas/Base"}, {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}]}
        }),
        op_using("Thing"),
    );
    let (_, out) = generate(&s);
    has(&out, "pub struct Thing {");
    has(&out, "pub id: String,");
    has(&out, "pub name: String,");
    // Two required strings could be swapped: a builder, which names what is missing.
    has(&out, "pub fn builder() -> ThingBuilder");
    has(&out, "id: self.id.ok_or(crate::error::BuildError::missing(\"Thing\", \"id\"))?,");
}

#[test]
fn constructors_take_at_most_two_required_fields_that_cannot_be_swapped() {
    let s = spec(
        json!({
            "Kind": {"type": "string", "enum": ["A", "B"]},
            "Two": {"type": "object", "properties": {
                "name": {"type": "string"}, "count": {"type": "integer"}, "note": {"type": "string"}
            }, "required": ["name", "count"]},
            "TextAndEnum": {"type": "object", "properties": {
                "name": {"type": "string"}, "kind": {"$ref": "#/components/schemas/Kind"}
            }, "required": ["name", "kind"]},
            "Three": {"type": "object", "properties": {
                "a": {"type": "integer"}, "b": {"type": "boolean"}, "c": {"type": "number"}
            }, "required": ["a", "b", "c"]},
            "Top": {"type": "object", "properties": {
                "two": {"$ref": "#/components/schemas/Two"}, "tae": {"$ref": "#/components/schemas/TextAndEnum"},
                "three": {"$ref": "#/components/schemas/Three"}
            }}
        }),
        op_using("Top"),
    );
    let (_, out) = generate(&s);
    has(&out, "pub fn new(name: impl Into<String>, count: i64) -> Self");
    has(&out, "pub fn note(mut self, value: impl Into<String>) -> Self {\n        self.note = Some(value.into());");
    // A string and a string enum both take "..." literals: a builder.
    has(&out, "pub fn builder() -> TextAndEnumBuilder");
    // Three required fields: a builder.
    has(&out, "pub fn builder() -> ThreeBuilder");
    has(&out, "pub fn build(self) -> Result<Three, crate::error::BuildError>");
}

#[test]
fn union_variants_get_constructors_that_fill_the_tag() {
    let s = spec(
        json!({
            "Img": {"type": "object", "properties": {"kind": {"type": "string", "enum": ["image"]}, "url": {"type": "string"}}, "required": ["kind", "url"]},
            "Vid": {"type": "object", "properties": {"kind": {"type": "string"}, "id": {"type": "string"}, "secs": {"type": "integer"}}, "required": ["id"]},
            "Media": {"oneOf": [{"$ref": "#/components/schemas/Img"}, {"$ref": "#/components/schemas/Vid"}],
                      "discriminator": {"propertyName": "kind", "mapping": {"image": "#/components/schemas/Img", "video": "#/components/schemas/Vid"}}}
        }),
        op_using("Media"),
    );
    let (_, out) = generate(&s);
    has(&out, "pub fn image(url: impl Into<String>) -> Self {\n        Self::Image(Img::new(url))");
    has(&out, "pub fn video(id: impl Into<String>) -> Self {\n        Self::Video(Vid::new(id))");
    // The tag is filled in by the variant's own constructor, never an argument.
    has(&out, "kind: ImgKind::from(\"image\"),");
    has(&out, "kind: Some(\"video\".to_owned()),");
}

#[test]
fn dates_are_typed_in_models_and_parameters() {
    let s = spec(
        json!({"Stat": {"type": "object", "properties": {
            "day": {"type": "string", "format": "date"}, "at": {"type": "string", "format": "date-time"}
        }}}),
        json!({"/stats": {"get": {
            "operationId": "stats/get", "tags": ["stats"],
            "parameters": [
                {"name": "start_date", "in": "query", "required": true, "schema": {"type": "string", "format": "date"}},
                {"name": "end_date", "in": "query", "required": true, "schema": {"type": "string", "format": "date"}}
            ],
            "responses": {"200": {"description": "", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Stat"}}}}}
        }}}),
    );
    let (_, out) = generate(&s);
    has(&out, "pub day: Option<Date>,");
    has(&out, "pub at: Option<DateTime>,");
    // Two dates could be swapped: named setters, checked before sending.
    has(&out, "pub fn get(&self) -> StatsGet<C>");
    has(&out, "pub fn start_date(mut self, value: models::Date) -> Self");
    has(
        &out,
        "let Some(start_date) = &self.start_date else {\n            return Err(rt::BuildError::missing(\"StatsGet\", \"start_date\").into());",
    );
    has(&out, ".start_date(models::Date::from_ymd_opt(2025, 1, 1).expect(\"a valid date\"))");
}

#[test]
fn one_of_with_discriminator_is_a_tagged_union() {
    let s = spec(
        json!({
            "Img": {"type": "object", "properties": {"kind": {"type": "string"}, "url": {"type": "string"}}},
            "Vid": {"type": "object", "properties": {"kind": {"type": "string"}, "secs": {"type": "integer"}}},
            "Media": {"oneOf": [{"$ref": "#/components/schemas/Img"}, {"$ref": "#/components/schemas/Vid"}],
                      "discriminator": {"propertyName": "kind", "mapping": {"image": "#/components/schemas/Img", "video": "#/components/schemas/Vid"}}}
        }),
        op_using("Media"),
    );
    let (_, out) = generate(&s);
    has(&out, "tagged_union! {");
    has(&out, "Media, \"kind\" {");
    has(&out, "Image(Img) = \"image\",");
    has(&out, "Video(Vid) = \"video\",");
}

#[test]
fn a_discriminator_without_one_of_is_a_tagged_union_over_its_mapping() {
    let s = spec(
        json!({
            "Req": {"type": "object", "properties": {"grant_type": {"type": "string"}},
                    "discriminator": {"propertyName": "grant_type", "mapping": {"a": "#/components/schemas/ReqA"}}},
            "ReqA": {"type": "object", "properties": {"grant_type": {"type": "string"}, "code": {"type": "string"}}}
        }),
        op_using("Req"),
    );
    let (_, out) = generate(&s);
    has(&out, "Req, \"grant_type\" {");
    has(&out, "A(ReqA) = \"a\",");
}

#[test]
fn one_of_without_discriminator_is_untagged_with_a_fallback() {
    let s = spec(
        json!({
            "A": {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
            "Either": {"oneOf": [{"$ref": "#/components/schemas/A"}, {"title": "ByNumber", "type": "object", "properties": {"n": {"type": "integer"}}}]}
        }),
        op_using("Either"),
    );
    let (_, out) = generate(&s);
    has(&out, "#[serde(untagged)]");
    has(&out, "pub enum Either {");
    has(&out, "A(A),");
    has(&out, "ByNumber(EitherByNumber),");
    has(&out, "Other(serde_json::Value),");
}

#[test]
fn unions_of_string_enums_merge_into_one_enum() {
    let s = spec(
        json!({
            "Metric": {"oneOf": [{"type": "string", "enum": ["A", "B"]}, {"type": "string", "enum": ["B", "C"]}]},
            "Locale": {"type": "string", "enum": ["en-US", "fr-FR"]},
            "LocaleOrText": {"anyOf": [{"$ref": "#/components/schemas/Locale"}, {"type": "string"}]},
            "Holder": {"type": "object", "properties": {"m": {"$ref": "#/components/schemas/Metric"}, "l": {"$ref": "#/components/schemas/LocaleOrText"}}}
        }),
        op_using("Holder"),
    );
    let (_, out) = generate(&s);
    has(&out, "Metric {\n        A = \"A\",\n        B = \"B\",\n        C = \"C\",\n    }");
    has(&out, "pub type LocaleOrText = Locale;");
}

#[test]
fn enum_values_that_are_not_identifiers() {
    let s = spec(
        json!({
            "Age": {"type": "string", "enum": ["18-24", "65+", null]},
            "Tz": {"type": "string", "enum": ["Etc/GMT+1", "Etc/GMT-1", "America/Port-au-Prince", "UNKNOWN", ""]},
            "Window": {"type": "number", "enum": [90, 180]},
            "Holder": {"type": "object", "properties": {"a": {"$ref": "#/components/schemas/Age"}, "t": {"$ref": "#/components/schemas/Tz"}, "w": {"$ref": "#/components/schemas/Window"}}}
        }),
        op_using("Holder"),
    );
    let (_, out) = generate(&s);
    has(&out, "V18To24 = \"18-24\",");
    has(&out, "V65Plus = \"65+\",");
    has(&out, "EtcGmtPlus1 = \"Etc/GMT+1\",");
    has(&out, "EtcGmtMinus1 = \"Etc/GMT-1\",");
    has(&out, "AmericaPortAuPrince = \"America/Port-au-Prince\",");
    has(&out, "UnknownValue = \"UNKNOWN\",");
    has(&out, "Empty = \"\",");
    has(&out, "int_enum! {");
    has(&out, "V90 = 90,");
    assert!(!out.contains("= null"), "null is not a variant");
}

#[test]
fn nullable_fields_and_explicit_nulls_in_patch_bodies() {
    let s = spec(
        json!({
            "Patch": {"type": "object", "properties": {
                "title": {"type": "string", "nullable": true},
                "link": {"type": "string"},
                "note": {"type": "string", "nullable": true}
            }, "required": ["note"]}
        }),
        json!({"/p/{id}": {"patch": {
            "operationId": "p/update", "tags": ["p"],
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Patch"}}}},
            "responses": {"200": {"description": "ok"}}
        }}}),
    );
    let (_, out) = generate(&s);
    has(
        &out,
        "#[serde(default, skip_serializing_if = \"Option::is_none\", with = \"crate::wire::double_option\")]\n    pub title: Option<Option<String>>,",
    );
    has(&out, "#[serde(default, skip_serializing_if = \"Option::is_none\")]\n    pub link: Option<String>,");
    has(&out, "#[serde(default)]\n    pub note: Option<String>,");
}

#[test]
fn maps_free_form_objects_and_extra_properties() {
    let s = spec(
        json!({
            "Metrics": {"type": "object", "additionalProperties": {"type": "number"}},
            "Free": {"type": "object"},
            "Row": {"type": "object", "properties": {"DATE": {"type": "string"}}, "additionalProperties": true},
            "Holder": {"type": "object", "properties": {"m": {"$ref": "#/components/schemas/Metrics"}, "f": {"$ref": "#/components/schemas/Free"}, "r": {"$ref": "#/components/schemas/Row"}}}
        }),
        op_using("Holder"),
    );
    let (_, out) = generate(&s);
    has(&out, "pub type Metrics = std::collections::BTreeMap<String, f64>;");
    has(&out, "pub type Free = serde_json::Map<String, serde_json::Value>;");
    has(
        &out,
        "#[serde(flatten)]\n    pub additional_properties: std::collections::BTreeMap<String, serde_json::Value>,",
    );
}

#[test]
fn awkward_property_and_schema_names() {
    let s = spec(
        json!({
            "Pinterest.Lib.Error": {"type": "object", "properties": {
                "type": {"type": "string"}, "fn": {"type": "string"}, "1200x": {"type": "string"},
                "Content-Type": {"type": "string"}, "conversionType": {"type": "string"}
            }}
        }),
        op_using("Pinterest.Lib.Error"),
    );
    let (_, out) = generate(&s);
    has(&out, "pub struct PinterestLibError {");
    has(&out, "#[serde(rename = \"type\"");
    has(&out, "pub type_: Option<String>,");
    has(&out, "pub fn_: Option<String>,");
    has(&out, "#[serde(rename = \"1200x\"");
    has(&out, "pub n1200x: Option<String>,");
    has(&out, "#[serde(rename = \"Content-Type\"");
    has(&out, "pub content_type: Option<String>,");
    has(&out, "pub conversion_type: Option<String>,");
}

#[test]
fn responses_several_2xx_none_text_and_default() {
    let s = spec(
        json!({
            "A": {"type": "object", "properties": {"a": {"type": "string"}}},
            "B": {"type": "object", "properties": {"b": {"type": "string"}}},
            "Error": {"type": "object", "properties": {"code": {"type": "integer"}, "message": {"type": "string"}}}
        }),
        json!({
            "/multi": {"post": {"operationId": "multi/create", "tags": ["t"], "responses": {
                "200": {"description": "", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}},
                "202": {"description": "", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/B"}}}},
                "204": {"description": ""},
                "default": {"description": "", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }}},
            "/same": {"post": {"operationId": "same/create", "tags": ["t"], "responses": {
                "200": {"description": "", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}},
                "201": {"description": "", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}}
            }}},
            "/none": {"delete": {"operationId": "none/delete", "tags": ["t"], "responses": {"204": {"description": ""}}}},
            "/text": {"delete": {"operationId": "text/delete", "tags": ["t"], "responses": {
                "200": {"description": "", "content": {"application/json": {"schema": {"type": "string"}}}}
            }}}
        }),
    );
    let (_, out) = generate(&s);
    has(&out, "type Output = TMultiCreateResponse;");
    has(&out, "Status200(models::A),");
    has(&out, "Status202(models::B),");
    has(&out, "Status204,");
    has(
        &out,
        "202 => rt::decode_json(Self::ID, status, body, Self::SENSITIVE_RESPONSE).map(TMultiCreateResponse::Status202),",
    );
    has(&out, "type Output = models::A;\n    const ID: &'static str = \"same/create\";");
    has(&out, "type Output = ();\n    const ID: &'static str = \"none/delete\";");
    has(&out, "rt::decode_text(Self::ID, status, body)");
}

#[test]
fn query_styles_path_escaping_and_form_bodies() {
    let s = spec(
        json!({"Form": {"type": "object", "properties": {"token": {"type": "string"}}, "required": ["token"]}}),
        json!({
            "/items/{item_id}": {"get": {
                "operationId": "items/get", "tags": ["items"],
                "parameters": [
                    {"name": "item_id", "in": "path", "required": true, "schema": {"type": "string"}},
                    {"name": "ids", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}},
                    {"name": "cols", "in": "query", "required": true, "explode": false, "schema": {"type": "array", "items": {"type": "string"}}},
                    {"name": "filter", "in": "query", "style": "deepObject", "schema": {"type": "object", "properties": {"a": {"type": "string"}}}},
                    {"name": "page_size", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 250}},
                    {"name": "bookmark", "in": "query", "schema": {"type": "string"}}
                ],
                "responses": {"200": {"description": "", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"items": {"type": "array", "items": {"type": "string"}}, "bookmark": {"type": "string", "nullable": true}}, "required": ["items"]
                }}}}}
            }},
            "/token": {"post": {
                "operationId": "token/create", "tags": ["items"], "security": [{"basic": []}],
                "requestBody": {"required": true, "content": {"application/x-www-form-urlencoded": {"schema": {"$ref": "#/components/schemas/Form"}}}},
                "responses": {"200": {"description": ""}}
            }}
        }),
    );
    let (model, out) = generate(&s);
    has(&out, "w.path(\"/items/\");\n        w.path_param(\"item_id\", &self.item_id)?;");
    has(&out, "w.query_exploded(\"ids\", v);");
    has(&out, "w.query_csv(\"cols\", &self.cols);");
    has(&out, "w.query_deep(\"filter\", v)?;");
    has(&out, "w.check_range(\"page_size\", v, Some(1), Some(250))?;");
    has(&out, "impl<C: Clone> rt::Paginated for ItemsGet<C> {");
    has(&out, "impl_send!(ItemsGet, paginated);");
    has(&out, "w.form(&self.body)?;");
    has(&out, "const AUTH: rt::AuthScheme = rt::AuthScheme::Basic;");
    let op = model.ops.iter().find(|o| o.id == "items/get").unwrap();
    assert_eq!(op.method_name, "get");
    assert!(op.page.as_ref().unwrap().items_required);
}

#[test]
fn recursive_types_are_boxed() {
    let s = spec(
        json!({"Node": {"type": "object", "properties": {"child": {"$ref": "#/components/schemas/Node"}, "kids": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}}}}),
        op_using("Node"),
    );
    let (_, out) = generate(&s);
    has(&out, "pub child: Option<Box<Node>>,");
    has(&out, "pub kids: Option<Vec<Node>>,");
}

#[test]
fn placement_by_tag_and_shared_cfg() {
    let s = spec(
        json!({
            "OnlyA": {"type": "object", "properties": {"x": {"type": "string"}}},
            "Both": {"type": "object", "properties": {"y": {"type": "string"}}},
            "Nobody": {"type": "object", "properties": {"z": {"type": "string"}}}
        }),
        json!({
            "/a": {"post": {"operationId": "a/create", "tags": ["alpha"], "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/OnlyA"}}}},
                   "responses": {"200": {"description": "", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Both"}}}}}}},
            "/b": {"get": {"operationId": "b/get", "tags": ["beta"],
                   "responses": {"200": {"description": "", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Both"}}}}}}}
        }),
    );
    let model = ir::build(&s).unwrap();
    let files = emit::emit(&model);
    let alpha = files.iter().find(|(k, _)| k.ends_with("models/alpha.rs")).unwrap().1;
    assert!(alpha.contains("pub struct OnlyA"));
    let shared = files.iter().find(|(k, _)| k.ends_with("models/shared.rs")).unwrap().1;
    assert!(shared.contains("#[cfg(any(feature = \"alpha\", feature = \"beta\"))]\n/// Schema `Both`"));
    let unref = files.iter().find(|(k, _)| k.ends_with("models/unreferenced.rs")).unwrap().1;
    assert!(unref.contains("pub struct Nobody"));
    let features = emit::features(&model);
    assert!(features.contains("full = [\"alpha\", \"beta\"]"));
}

#[test]
fn output_is_deterministic() {
    let s = spec(
        json!({"A": {"type": "object", "properties": {"e": {"type": "string", "enum": ["x", "y"]}, "f": {"type": "string", "enum": ["x", "y"]}}}}),
        op_using("A"),
    );
    let a = emit::emit(&ir::build(&s).unwrap());
    let b = emit::emit(&ir::build(&s).unwrap());
    assert_eq!(a, b);
    let all = a.values().cloned().collect::<String>();
    // The second identical inline enum is an alias of the first.
    has(&all, "pub type AF = AE;");
}

#[test]
fn items_without_a_type_are_still_an_array() {
    let s = spec(
        json!({
            "Paginated": {"type": "object", "properties": {"bookmark": {"type": "string", "nullable": true}, "items": {"type": "array", "items": {"type": "object"}}}, "required": ["items"]},
            "Pin": {"type": "object", "properties": {"id": {"type": "string"}}},
            "PinPage": {"allOf": [{"$ref": "#/components/schemas/Paginated"}, {"type": "object", "properties": {"items": {"items": {"$ref": "#/components/schemas/Pin"}}}}]}
        }),
        op_using("PinPage"),
    );
    let (_, out) = generate(&s);
    has(&out, "pub items: Vec<Pin>,");
}

#[test]
fn header_parameters_are_generated() {
    let s = spec(
        json!({"Stat": {"type": "object", "properties": {"n": {"type": "integer"}}}}),
        json!({"/stats": {"get": {
            "operationId": "stats/get", "tags": ["stats"],
            "parameters": [
                {"name": "X-Request-Tag", "in": "header", "required": true, "schema": {"type": "string"}},
                {"name": "X-Ids", "in": "header", "schema": {"type": "array", "items": {"type": "string"}}},
                {"name": "Authorization", "in": "header", "schema": {"type": "string"}},
                {"name": "page_size", "in": "query", "schema": {"type": "integer"}}
            ],
            "responses": {"200": {"description": "", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Stat"}}}}}
        }}}),
    );
    let (model, out) = generate(&s);
    assert!(model.warnings.is_empty(), "{:?}", model.warnings);
    let op = &model.ops[0];
    let names: Vec<&str> = op.params.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["X-Request-Tag", "X-Ids", "page_size"], "Authorization is the client's, as OpenAPI says");
    has(&out, "pub fn get(&self, x_request_tag: impl Into<String>) -> StatsGet<C>");
    has(&out, "w.header(\"X-Request-Tag\", &self.x_request_tag)?;");
    has(&out, "if let Some(v) = &self.x_ids {\n            w.header_csv(\"X-Ids\", v)?;\n        }");
    has(&out, "pub fn x_ids(mut self, value: impl IntoIterator<Item = impl Into<String>>) -> Self");
    has(&out, "ParamInfo { name: \"X-Request-Tag\", location: ParamLocation::Header, required: true");
    has(&out, "- `X-Request-Tag` (header, required): string.");

    // A header name that is not an HTTP token, or an object in a header, is an error.
    for (param, why) in [
        (json!({"name": "X Bad", "in": "header", "schema": {"type": "string"}}), "not a valid header name"),
        (json!({"name": "X-Obj", "in": "header", "schema": {"type": "object"}}), "a header cannot carry"),
    ] {
        let s = spec(
            json!({}),
            json!({"/s": {"get": {"operationId": "s/get", "tags": ["s"], "parameters": [param],
                "responses": {"204": {"description": ""}}}}}),
        );
        let err = match ir::build(&s) {
            Ok(_) => panic!("refused"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains(why), "{err}");
    }
}
