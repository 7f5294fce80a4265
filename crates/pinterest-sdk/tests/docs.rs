//! The generated documentation teaches: every operation's type carries a
//! compiled example of its call (run by `cargo test --doc`, `no_run`), and
//! the `ops` module's index names every endpoint.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure is the signal

use std::path::PathBuf;

fn generated(file: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/generated").join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The doc comment right above `pub struct <name><C = ()>`.
fn doc_of(source: &str, name: &str) -> String {
    let at = source.find(&format!("pub struct {name}<C = ()>")).unwrap_or_else(|| panic!("no operation {name}"));
    source[..at]
        .lines()
        .rev()
        .skip_while(|l| !l.trim_start().starts_with("///"))
        .take_while(|l| l.trim_start().starts_with("///") || l.trim_start().starts_with("#["))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_operation_has_an_example_of_its_call() {
    let ops = pinterest_sdk::registry::operations();
    assert_eq!(ops.len(), 231);
    for op in ops {
        let source = generated(&format!("ops/{}.rs", op.tag));
        let name = op.rust_type.rsplit("::").next().unwrap();
        let doc = doc_of(&source, name);
        assert!(doc.contains("/// ```no_run"), "{}: no example\n{doc}", op.id);
        // The example calls the method the registry names.
        let method = op.call.split("().").nth(1).unwrap().split('(').next().unwrap();
        assert!(doc.contains(&format!("{}(", method)), "{}: the example does not call `{method}`\n{doc}", op.id);
        assert!(doc.contains(".send()"), "{}: the example does not send\n{doc}", op.id);
        assert!(doc.contains(&format!("`{} {}`", op.method, op.path)), "{}: method and path", op.id);
    }
}

#[test]
fn the_ops_index_names_every_endpoint() {
    let index = generated("ops/mod.rs");
    for op in pinterest_sdk::registry::operations() {
        let row = format!("//! | `{} {}` | `{}` |", op.method, op.path, op.call);
        assert!(index.contains(&row), "missing from the index: {row}");
    }
}

#[test]
fn fields_say_their_type_and_whether_they_are_required() {
    let pins = generated("models/pins.rs");
    assert!(pins.contains("/// `board_id`: string (required); pattern `^\\d+$`."), "PinCreate.board_id");
    assert!(pins.contains("/// `title`: string (optional, nullable); at most 100 characters."), "PinCreate.title");
    let boards = generated("models/boards.rs");
    assert!(boards.contains("one of `PUBLIC`, `PROTECTED`, `SECRET`"), "enum values are listed");
}
