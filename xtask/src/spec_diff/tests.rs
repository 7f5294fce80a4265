//! spec-diff on the two fixture descriptions under
//! `xtask/tests/fixtures/spec-diff/` (between them, every rule), on small
//! inline ones, and on Pinterest's own description.

use std::path::PathBuf;

use serde_json::{Value, json};

use super::{Change, Kind, diff, render_json, render_text, run_with};

const OLD: &str = include_str!("../../tests/fixtures/spec-diff/old.json");
const NEW: &str = include_str!("../../tests/fixtures/spec-diff/new.json");

const BREAKING: bool = true;
const COMPATIBLE: bool = false;
const OP: Kind = Kind::Operation;
const SCHEMA: Kind = Kind::Schema;

/// Every change from `old.json` to `new.json`, in report order:
/// (breaking, kind, subject, detail).
const EXPECTED: &[(bool, Kind, &str, &str)] = &[
    (COMPATIBLE, OP, "added/get", "added (GET /added)"),
    (COMPATIBLE, OP, "bodies/added_optional", "request body added (optional)"),
    (BREAKING, OP, "bodies/added_required", "request body added (required)"),
    (BREAKING, OP, "bodies/becomes_required", "request body becomes required"),
    (COMPATIBLE, OP, "bodies/inline", "request body field 'color' added (optional)"),
    (BREAKING, OP, "bodies/inline", "request body field 'size' removed"),
    (BREAKING, OP, "bodies/media", "request body content types changed: application/json → multipart/form-data"),
    (BREAKING, OP, "bodies/removed", "request body removed"),
    (BREAKING, OP, "gone/get", "removed (GET /gone)"),
    (BREAKING, OP, "items/get", "parameter 'relocated' moved from query to header"),
    (BREAKING, OP, "items/get", "parameter path 'item_id' type changed: string → integer (int64)"),
    (BREAKING, OP, "items/get", "parameter query 'becomes_optional' becomes optional"),
    (BREAKING, OP, "items/get", "parameter query 'becomes_required' becomes required"),
    (BREAKING, OP, "items/get", "parameter query 'exploded' explode changed: true → false"),
    (BREAKING, OP, "items/get", "parameter query 'kinds[]' enum value 'B' removed"),
    (COMPATIBLE, OP, "items/get", "parameter query 'kinds[]' enum value 'C' added"),
    (COMPATIBLE, OP, "items/get", "parameter query 'new_optional' added (optional)"),
    (BREAKING, OP, "items/get", "parameter query 'new_required' added (required)"),
    (BREAKING, OP, "items/get", "parameter query 'reformatted' type changed: string → string (date)"),
    (BREAKING, OP, "items/get", "parameter query 'removed' removed"),
    (BREAKING, OP, "items/get", "parameter query 'restyled' style changed: form → deepObject"),
    (BREAKING, OP, "items/get", "parameter query 'retyped' type changed: string → integer"),
    (BREAKING, OP, "items/get", "response 200 type changed: Pin → Board"),
    (BREAKING, OP, "moved/get", "moved: GET /moved → POST /moved-elsewhere"),
    (COMPATIBLE, OP, "renamed/new", "added (GET /renamed)"),
    (BREAKING, OP, "renamed/old", "removed (GET /renamed)"),
    (BREAKING, OP, "responses/inline", "response 200 field 'items[].x' removed"),
    (COMPATIBLE, OP, "responses/inline", "response 200 field 'items[].z' added (optional)"),
    (BREAKING, OP, "responses/no_content_to_json", "response 200 added (Pin)"),
    (BREAKING, OP, "responses/no_content_to_json", "response 204 removed"),
    (BREAKING, OP, "responses/other_type", "response 202 added (Board)"),
    (COMPATIBLE, OP, "responses/same_type", "response 201 added (Pin)"),
    (COMPATIBLE, SCHEMA, "Added", "added"),
    (COMPATIBLE, SCHEMA, "Base", "field 'base_extra' added (optional)"),
    (BREAKING, SCHEMA, "Board", "field 'name' removed"),
    (COMPATIBLE, SCHEMA, "Choice", "variant 'boolean' added"),
    (BREAKING, SCHEMA, "Choice", "variant 'integer' removed"),
    (COMPATIBLE, SCHEMA, "Composite", "field 'base_extra' added (optional)"),
    (BREAKING, SCHEMA, "Composite", "field 'base_name' becomes required"),
    (BREAKING, SCHEMA, "Composite", "field 'own_gone' removed"),
    (BREAKING, SCHEMA, "Count", "type changed: integer → string"),
    (BREAKING, SCHEMA, "Gone", "removed"),
    (COMPATIBLE, SCHEMA, "LoopA", "field 'c' added (optional)"),
    (COMPATIBLE, SCHEMA, "LoopB", "field 'c' added (optional)"),
    (COMPATIBLE, SCHEMA, "Pin", "field 'added_optional' added (optional)"),
    (BREAKING, SCHEMA, "Pin", "field 'added_required' added (required)"),
    (BREAKING, SCHEMA, "Pin", "field 'becomes_optional' becomes optional"),
    (BREAKING, SCHEMA, "Pin", "field 'becomes_required' becomes required"),
    (BREAKING, SCHEMA, "Pin", "field 'count' type changed: integer → string"),
    (BREAKING, SCHEMA, "Pin", "field 'counts' type changed: map of integer → map of string"),
    (BREAKING, SCHEMA, "Pin", "field 'extras{}.k' removed"),
    (BREAKING, SCHEMA, "Pin", "field 'link' becomes nullable"),
    (BREAKING, SCHEMA, "Pin", "field 'media.size.height' removed"),
    (COMPATIBLE, SCHEMA, "Pin", "field 'nested_list[].q' enum value 'Y' added"),
    (BREAKING, SCHEMA, "Pin", "field 'ratio' type changed: number (float) → number (double)"),
    (COMPATIBLE, SCHEMA, "Pin", "field 'status' enum value 'ARCHIVED' added"),
    (BREAKING, SCHEMA, "Pin", "field 'status' enum value 'ARCHIVED_OLD' removed"),
    (BREAKING, SCHEMA, "Pin", "field 'tags' type changed: array of string → array of integer"),
    (BREAKING, SCHEMA, "Pin", "field 'title' removed"),
    (BREAKING, SCHEMA, "Pin", "field 'was_nullable' is no longer nullable"),
    (BREAKING, SCHEMA, "Shape", "discriminator value 'square' removed"),
    (COMPATIBLE, SCHEMA, "Shape", "discriminator value 'triangle' added"),
    (BREAKING, SCHEMA, "Shape", "variant 'Square' removed"),
    (COMPATIBLE, SCHEMA, "Shape", "variant 'Triangle' added"),
    (COMPATIBLE, SCHEMA, "Status", "enum value 'C' added"),
    (COMPATIBLE, SCHEMA, "Triangle", "added"),
    (BREAKING, SCHEMA, "Wrapper", "becomes nullable"),
];

fn parse(text: &str) -> Value {
    serde_json::from_str(text).expect("the fixture is JSON")
}

fn fixture_changes() -> Vec<Change> {
    diff(&parse(OLD), &parse(NEW))
}

fn fixture_path(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/spec-diff").join(name).display().to_string()
}

fn listing(changes: &[Change]) -> String {
    changes.iter().map(|c| format!("  {:?} {} {}: {}\n", c.kind, c.breaking, c.subject, c.detail)).collect()
}

/// Asserts that `changes` has this change, with this classification.
fn has(changes: &[Change], kind: Kind, subject: &str, detail: &str, breaking: bool) {
    let found = changes.iter().find(|c| c.kind == kind && c.subject == subject && c.detail == detail);
    match found {
        Some(c) => assert_eq!(c.breaking, breaking, "{subject}: {detail}: wrong classification"),
        None => panic!("no change {kind:?} {subject}: {detail} in\n{}", listing(changes)),
    }
}

/// Asserts that no change of `subject` mentions `needle`.
fn lacks(changes: &[Change], subject: &str, needle: &str) {
    let found: Vec<&Change> = changes.iter().filter(|c| c.subject == subject && c.detail.contains(needle)).collect();
    assert!(found.is_empty(), "unexpected changes of {subject} about {needle}: {found:?}");
}

/// Runs the command line; returns (status, stdout, stderr).
fn cli(args: &[&str]) -> (i32, String, String) {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let status = run_with(&args, &mut out, &mut err);
    (status, String::from_utf8(out).expect("UTF-8"), String::from_utf8(err).expect("UTF-8"))
}

/// Every string under a `description`, `summary`, `title` or `example` key,
/// reworded, and every `example` value replaced.
fn reword(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                match key.as_str() {
                    "description" | "summary" | "title" if value.is_string() => *value = json!("Reworded."),
                    "example" => *value = json!({"another": "example"}),
                    _ => reword(value),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(reword),
        _ => {}
    }
}

#[test]
fn fixture_diff_lists_exactly_the_expected_changes() {
    let changes = fixture_changes();
    let expected: Vec<Change> = EXPECTED
        .iter()
        .map(|&(breaking, kind, subject, detail)| Change {
            kind,
            subject: subject.to_owned(),
            detail: detail.to_owned(),
            breaking,
        })
        .collect();
    assert_eq!(changes, expected, "got:\n{}\nexpected:\n{}", listing(&changes), listing(&expected));
}

#[test]
fn an_unchanged_spec_diffs_to_nothing() {
    for text in [OLD, NEW] {
        let changes = diff(&parse(text), &parse(text));
        assert!(changes.is_empty(), "{}", listing(&changes));
    }
}

#[test]
fn description_summary_title_and_example_changes_are_not_listed() {
    let old = parse(OLD);
    let mut new = old.clone();
    reword(&mut new);
    assert_ne!(old, new);
    let changes = diff(&old, &new);
    assert!(changes.is_empty(), "{}", listing(&changes));
    // In the fixtures: reworded summary, parameter, response and schema.
    let changes = fixture_changes();
    assert!(changes.iter().all(|c| c.subject != "quiet/get"), "{}", listing(&changes));
    lacks(&changes, "items/get", "page_size");
    lacks(&changes, "Pin", "'id'");
    lacks(&changes, "Pin", "'owner'");
}

#[test]
fn operations_removed_added_renamed_and_moved() {
    let changes = fixture_changes();
    has(&changes, OP, "gone/get", "removed (GET /gone)", BREAKING);
    has(&changes, OP, "added/get", "added (GET /added)", COMPATIBLE);
    // A new operationId: one removal and one addition.
    has(&changes, OP, "renamed/old", "removed (GET /renamed)", BREAKING);
    has(&changes, OP, "renamed/new", "added (GET /renamed)", COMPATIBLE);
    has(&changes, OP, "moved/get", "moved: GET /moved → POST /moved-elsewhere", BREAKING);
}

#[test]
fn parameter_changes() {
    let changes = fixture_changes();
    let op = "items/get";
    has(&changes, OP, op, "parameter query 'removed' removed", BREAKING);
    has(&changes, OP, op, "parameter query 'becomes_required' becomes required", BREAKING);
    has(&changes, OP, op, "parameter query 'becomes_optional' becomes optional", BREAKING);
    has(&changes, OP, op, "parameter query 'new_required' added (required)", BREAKING);
    has(&changes, OP, op, "parameter query 'new_optional' added (optional)", COMPATIBLE);
    has(&changes, OP, op, "parameter 'relocated' moved from query to header", BREAKING);
    has(&changes, OP, op, "parameter query 'retyped' type changed: string → integer", BREAKING);
    has(&changes, OP, op, "parameter query 'reformatted' type changed: string → string (date)", BREAKING);
    has(&changes, OP, op, "parameter query 'restyled' style changed: form → deepObject", BREAKING);
    has(&changes, OP, op, "parameter query 'exploded' explode changed: true → false", BREAKING);
    has(&changes, OP, op, "parameter query 'kinds[]' enum value 'B' removed", BREAKING);
    has(&changes, OP, op, "parameter query 'kinds[]' enum value 'C' added", COMPATIBLE);
}

#[test]
fn style_and_explode_compare_their_effective_values() {
    let changes = fixture_changes();
    // `style: form, explode: true` written out, then left to the defaults.
    lacks(&changes, "items/get", "explicit_defaults");
    // A new style is one change, not also one for its default `explode`.
    lacks(&changes, "items/get", "'restyled' explode");
}

#[test]
fn referenced_parameters_are_followed() {
    let changes = fixture_changes();
    // Path-level `$ref: #/components/parameters/ItemId`, whose schema changes.
    has(&changes, OP, "items/get", "parameter path 'item_id' type changed: string → integer (int64)", BREAKING);
}

#[test]
fn request_body_changes() {
    let changes = fixture_changes();
    has(&changes, OP, "bodies/added_required", "request body added (required)", BREAKING);
    has(&changes, OP, "bodies/added_optional", "request body added (optional)", COMPATIBLE);
    has(&changes, OP, "bodies/removed", "request body removed", BREAKING);
    has(&changes, OP, "bodies/becomes_required", "request body becomes required", BREAKING);
    let media = "request body content types changed: application/json → multipart/form-data";
    has(&changes, OP, "bodies/media", media, BREAKING);
    has(&changes, OP, "bodies/inline", "request body field 'size' removed", BREAKING);
    has(&changes, OP, "bodies/inline", "request body field 'color' added (optional)", COMPATIBLE);
}

#[test]
fn success_response_changes() {
    let changes = fixture_changes();
    has(&changes, OP, "items/get", "response 200 type changed: Pin → Board", BREAKING);
    has(&changes, OP, "responses/inline", "response 200 field 'items[].x' removed", BREAKING);
    has(&changes, OP, "responses/inline", "response 200 field 'items[].z' added (optional)", COMPATIBLE);
    // Another status with the same type leaves the output type as it was.
    has(&changes, OP, "responses/same_type", "response 201 added (Pin)", COMPATIBLE);
    has(&changes, OP, "responses/other_type", "response 202 added (Board)", BREAKING);
    has(&changes, OP, "responses/no_content_to_json", "response 200 added (Pin)", BREAKING);
    has(&changes, OP, "responses/no_content_to_json", "response 204 removed", BREAKING);
}

#[test]
fn field_changes() {
    let changes = fixture_changes();
    has(&changes, SCHEMA, "Pin", "field 'title' removed", BREAKING);
    has(&changes, SCHEMA, "Pin", "field 'count' type changed: integer → string", BREAKING);
    has(&changes, SCHEMA, "Pin", "field 'ratio' type changed: number (float) → number (double)", BREAKING);
    has(&changes, SCHEMA, "Pin", "field 'becomes_required' becomes required", BREAKING);
    has(&changes, SCHEMA, "Pin", "field 'becomes_optional' becomes optional", BREAKING);
    has(&changes, SCHEMA, "Pin", "field 'link' becomes nullable", BREAKING);
    has(&changes, SCHEMA, "Pin", "field 'was_nullable' is no longer nullable", BREAKING);
    has(&changes, SCHEMA, "Pin", "field 'added_required' added (required)", BREAKING);
    has(&changes, SCHEMA, "Pin", "field 'added_optional' added (optional)", COMPATIBLE);
    has(&changes, SCHEMA, "Pin", "field 'tags' type changed: array of string → array of integer", BREAKING);
    has(&changes, SCHEMA, "Pin", "field 'counts' type changed: map of integer → map of string", BREAKING);
    has(&changes, SCHEMA, "Wrapper", "becomes nullable", BREAKING);
    has(&changes, SCHEMA, "Count", "type changed: integer → string", BREAKING);
}

#[test]
fn nested_inline_schemas_are_followed_with_a_path() {
    let changes = fixture_changes();
    has(&changes, SCHEMA, "Pin", "field 'media.size.height' removed", BREAKING);
    has(&changes, SCHEMA, "Pin", "field 'extras{}.k' removed", BREAKING);
    has(&changes, SCHEMA, "Pin", "field 'nested_list[].q' enum value 'Y' added", COMPATIBLE);
}

#[test]
fn a_renamed_enum_value_is_one_removal_and_one_addition() {
    let changes = fixture_changes();
    has(&changes, SCHEMA, "Pin", "field 'status' enum value 'ARCHIVED_OLD' removed", BREAKING);
    has(&changes, SCHEMA, "Pin", "field 'status' enum value 'ARCHIVED' added", COMPATIBLE);
    assert_eq!(changes.iter().filter(|c| c.subject == "Pin" && c.detail.contains("'status'")).count(), 2);
    has(&changes, SCHEMA, "Status", "enum value 'C' added", COMPATIBLE);
}

#[test]
fn components_removed_and_added() {
    let changes = fixture_changes();
    has(&changes, SCHEMA, "Gone", "removed", BREAKING);
    has(&changes, SCHEMA, "Added", "added", COMPATIBLE);
    has(&changes, SCHEMA, "Triangle", "added", COMPATIBLE);
}

#[test]
fn a_change_in_a_component_is_reported_under_its_name_only() {
    let changes = fixture_changes();
    has(&changes, SCHEMA, "Board", "field 'name' removed", BREAKING);
    // Pin has `board: $ref Board` and `owner: allOf [$ref Board]`; items/get
    // and others return Pin: none of them repeat Board's change.
    assert_eq!(changes.iter().filter(|c| c.detail.contains("'name'")).count(), 1, "{}", listing(&changes));
}

#[test]
fn all_of_properties_are_followed() {
    let changes = fixture_changes();
    // Composite = allOf [$ref Base, own part]: its own part now requires a
    // field that only Base declares.
    has(&changes, SCHEMA, "Composite", "field 'base_name' becomes required", BREAKING);
    has(&changes, SCHEMA, "Composite", "field 'own_gone' removed", BREAKING);
    // Base's new field is in Base and in the struct merged from it.
    has(&changes, SCHEMA, "Base", "field 'base_extra' added (optional)", COMPATIBLE);
    has(&changes, SCHEMA, "Composite", "field 'base_extra' added (optional)", COMPATIBLE);
}

#[test]
fn union_variants_and_discriminator_values() {
    let changes = fixture_changes();
    has(&changes, SCHEMA, "Shape", "variant 'Square' removed", BREAKING);
    has(&changes, SCHEMA, "Shape", "variant 'Triangle' added", COMPATIBLE);
    has(&changes, SCHEMA, "Shape", "discriminator value 'square' removed", BREAKING);
    has(&changes, SCHEMA, "Shape", "discriminator value 'triangle' added", COMPATIBLE);
    has(&changes, SCHEMA, "Choice", "variant 'integer' removed", BREAKING);
    has(&changes, SCHEMA, "Choice", "variant 'boolean' added", COMPATIBLE);
}

#[test]
fn reference_cycles_terminate() {
    let changes = fixture_changes();
    // LoopA and LoopB include each other through allOf; Tree holds itself.
    has(&changes, SCHEMA, "LoopA", "field 'c' added (optional)", COMPATIBLE);
    has(&changes, SCHEMA, "LoopB", "field 'c' added (optional)", COMPATIBLE);
    assert!(changes.iter().all(|c| c.subject != "Tree"));
    let cycle = json!({"openapi": "3.0.3", "components": {"schemas": {
        "A": {"$ref": "#/components/schemas/B"},
        "B": {"$ref": "#/components/schemas/A"},
        "C": {"allOf": [{"$ref": "#/components/schemas/C"}, {"properties": {"x": {"type": "string"}}}]}
    }}});
    assert!(diff(&cycle, &cycle).is_empty());
}

#[test]
fn the_text_report_is_grouped_and_summarised() {
    let (old, new) = (parse(OLD), parse(NEW));
    let text = render_text(&old, &new, &diff(&old, &new));
    assert!(
        text.starts_with(
            "spec-diff: 1.0.0 → 2.0.0\nOperations\n  compatible  operation added/get: added (GET /added)\n"
        )
    );
    assert!(text.contains("\nSchemas\n  compatible  schema Added: added\n"), "{text}");
    assert!(text.contains("\n  BREAKING    operation responses/inline: response 200 field 'items[].x' removed\n"));
    assert!(text.contains("\n  BREAKING    schema Pin: field 'title' removed\n"));
    assert!(text.ends_with("\nSummary: 67 changes, 46 breaking\n"), "{text}");
    assert!(text.find("Operations").unwrap() < text.find("Schemas").unwrap());
    assert_eq!(render_text(&old, &old, &[]), "spec-diff: 1.0.0 → 1.0.0\nSummary: 0 changes, 0 breaking\n");
}

#[test]
fn the_json_report_lists_the_same_changes() {
    let changes = fixture_changes();
    let report: Value = serde_json::from_str(&render_json(&changes)).expect("JSON");
    let items = report.as_array().expect("an array");
    assert_eq!(items.len(), changes.len());
    for (item, change) in items.iter().zip(&changes) {
        let expected = json!({
            "breaking": change.breaking,
            "kind": change.kind.as_str(),
            "subject": change.subject,
            "detail": change.detail,
        });
        assert_eq!(item, &expected);
    }
    let (status, out, _) = cli(&["--json", &fixture_path("old.json"), &fixture_path("old.json")]);
    assert_eq!((status, out.as_str()), (0, "[]\n"));
}

#[test]
fn fail_on_breaking_sets_the_exit_status() {
    let (old, new) = (fixture_path("old.json"), fixture_path("new.json"));
    let (status, out, err) = cli(&[&old, &new]);
    assert_eq!(status, 0, "{err}");
    assert!(out.contains("Summary: 67 changes, 46 breaking"));
    assert_eq!(cli(&["--fail-on-breaking", &old, &new]).0, 1);
    assert_eq!(cli(&[&old, &new, "--fail-on-breaking", "--json"]).0, 1);
    assert_eq!(cli(&["--fail-on-breaking", &old, &old]).0, 0);
    // Only additions: compatible.
    let added = json!({"openapi": "3.0.3", "paths": {}, "components": {"schemas": {"New": {"type": "string"}}}});
    let none = json!({"openapi": "3.0.3", "paths": {}});
    let changes = diff(&none, &added);
    assert!(!changes.is_empty() && changes.iter().all(|c| !c.breaking));
}

#[test]
fn an_unreadable_or_invalid_file_is_a_clean_error() {
    let dir = std::env::temp_dir().join(format!("xtask-spec-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let not_json = dir.join("not.json");
    std::fs::write(&not_json, "{ \"openapi\": ").unwrap();
    let not_openapi = dir.join("other.json");
    std::fs::write(&not_openapi, "[1, 2]").unwrap();
    let good = fixture_path("old.json");
    let cases = [
        (dir.join("missing.json"), "cannot read"),
        (dir.clone(), "cannot read"),
        (not_json, "is not valid JSON"),
        (not_openapi, "is not an OpenAPI 3 description"),
    ];
    for (path, message) in &cases {
        let path = path.display().to_string();
        for args in [[good.as_str(), path.as_str()], [path.as_str(), good.as_str()]] {
            let (status, out, err) = cli(&args);
            assert_eq!(status, 2, "{args:?}");
            assert!(out.is_empty());
            assert!(err.starts_with("spec-diff: ") && err.contains(message) && err.contains(&path), "{err}");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_arguments_print_the_usage() {
    let usage = "usage: cargo xtask spec-diff [--json] [--fail-on-breaking] OLD.json NEW.json\n";
    for args in [&[][..], &["only.json"], &["a.json", "b.json", "c.json"], &["--yaml", "a.json", "b.json"]] {
        let (status, out, err) = cli(args);
        assert_eq!(status, 2, "{args:?}");
        assert!(out.is_empty());
        assert!(err.starts_with("spec-diff: ") && err.ends_with(usage), "{err}");
    }
    assert_eq!(cli(&["--help"]), (0, usage.to_owned(), String::new()));
}

#[test]
fn the_real_spec_against_itself_has_no_changes() {
    let Some(spec) = pinterest_test_support::spec() else { return };
    let changes = diff(&spec, &spec);
    assert!(changes.is_empty(), "{}", listing(&changes));
}

#[test]
fn the_real_spec_with_an_operation_removed_and_an_enum_value_added() {
    let Some(old) = pinterest_test_support::spec() else { return };
    let mut new = old.clone();
    let paths = new["paths"].as_object_mut().unwrap();
    let (path, item) = paths.iter_mut().next().unwrap();
    let item = item.as_object_mut().unwrap();
    let method = ["get", "post", "patch", "delete", "put"].into_iter().find(|m| item.contains_key(*m)).unwrap();
    let op = item.remove(method).unwrap();
    let id = op["operationId"].as_str().unwrap();
    let removed = format!("removed ({} {path})", method.to_ascii_uppercase());
    let schemas = new["components"]["schemas"].as_object_mut().unwrap();
    let (name, schema) = schemas.iter_mut().find(|(_, s)| s.get("enum").is_some()).unwrap();
    schema["enum"].as_array_mut().unwrap().push(json!("SPEC_DIFF_TEST"));
    let name = name.clone();
    let changes = diff(&old, &new);
    let expected = vec![
        Change { kind: OP, subject: id.to_owned(), detail: removed, breaking: BREAKING },
        Change {
            kind: SCHEMA,
            subject: name,
            detail: "enum value 'SPEC_DIFF_TEST' added".to_owned(),
            breaking: COMPATIBLE,
        },
    ];
    assert_eq!(changes, expected, "{}", listing(&changes));
}
