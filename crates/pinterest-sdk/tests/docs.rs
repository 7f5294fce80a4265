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

/// The crate's README is its page on crates.io, read alone: it shows the
/// seed's authorization flow, the tour, a table of every cargo feature the
/// manifest declares, and the way to the CLI and the emulator, with no
/// link that only works inside the repository.
#[test]
fn the_crate_readme_stands_on_its_own() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("readme = \"README.md\""), "the manifest names the README");
    for heading in ["## Install", "## A quick tour", "## Authorization", "## Features"] {
        assert!(readme.contains(&format!("\n{heading}\n")), "no section {heading}");
    }
    // The seed's steps, in its order.
    let steps = [
        "**Initialise.**",
        "**Get the authorization URL**",
        "**Generate the access token**",
        "**Use the access token**",
    ];
    let at: Vec<usize> = steps.iter().map(|s| readme.find(s).unwrap_or_else(|| panic!("no step {s}"))).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "the seed's steps out of order");
    // Every feature of the manifest (but `default`) is in the table.
    let features = manifest.split("[features]").nth(1).unwrap();
    let table = readme.split("## Features").nth(1).unwrap();
    for line in features.lines().take_while(|l| !l.starts_with('[')) {
        let Some((name, _)) = line.split_once(" = ") else { continue };
        if name != "default" && !name.starts_with('#') {
            assert!(table.contains(&format!("`{name}`")), "feature {name} is not in the README's table");
        }
    }
    for crate_page in ["https://crates.io/crates/pinterest-cli", "https://crates.io/crates/pinterest-emulator"] {
        assert!(readme.contains(crate_page), "no link to {crate_page}");
    }
    for (i, _) in readme.match_indices("](") {
        let target = &readme[i + 2..];
        assert!(
            target.starts_with("http") || target.starts_with('#'),
            "a relative link, broken on crates.io: {}",
            target.lines().next().unwrap()
        );
    }
}
