//! Every example in the spec decodes into its generated type and encodes back.
//!
//! The spec is read from `../shared` (or `$PINTEREST_OPENAPI_SPEC`); nothing
//! of it is copied into the repository. The generator lists, for every node
//! that carries an `example`/`examples`, which Rust type that node became
//! (`tests/generated/spec_examples.rs`). This test checks each example
//! against that type, checks that no example in the spec was missed, and
//! keeps `tests/spec_examples_known_bad.txt` (the examples that are wrong in
//! the spec itself) honest: each entry there must still fail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure is the signal

/// Without `--features full` the tests of this file are not compiled; this
/// one says so (a skip of kind `features`: `.ci/run` allows it in its
/// default-features step, because its next step runs them).
#[cfg(not(feature = "full"))]
#[test]
fn left_out_without_the_full_feature() {
    pinterest_test_support::skip(
        pinterest_test_support::Need::Features,
        "the spec's examples decode into types of every tag: run them with `cargo test -p pinterest-sdk --all-features` or `cargo xtask test`",
    );
}

#[cfg(feature = "full")]
#[path = "generated/spec_examples.rs"]
mod index;

#[cfg(feature = "full")]
mod support;

#[cfg(feature = "full")]
mod full {
    use super::*;

    use std::collections::{BTreeMap, BTreeSet};

    use serde_json::Value;

    /// The examples at a node: `example`, and each `examples.*.value` (or each
    /// element when `examples` is a list).
    fn examples_at(node: &Value) -> Vec<(String, &Value)> {
        let mut out = Vec::new();
        if let Some(v) = node.get("example") {
            out.push((String::new(), v));
        }
        match node.get("examples") {
            Some(Value::Object(map)) => {
                for (name, e) in map {
                    if let Some(v) = e.get("value") {
                        out.push((format!("#{name}"), v));
                    }
                }
            }
            Some(Value::Array(list)) => {
                for (i, v) in list.iter().enumerate() {
                    out.push((format!("#{i}"), v));
                }
            }
            _ => {}
        }
        out
    }

    /// Every pointer in the spec that carries an example. A key named `example`
    /// inside a `properties` map is a property, not an example, and is skipped;
    /// so are the vendor extensions (`x-codeSamples`).
    fn all_example_nodes(v: &Value, ptr: &str, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(map) => {
                let is_properties_map = ptr.ends_with("/properties");
                if !is_properties_map && (map.contains_key("example") || map.contains_key("examples")) {
                    out.insert(ptr.to_owned());
                }
                for (k, child) in map {
                    if k.starts_with("x-") || (!is_properties_map && (k == "example" || k == "examples")) {
                        continue;
                    }
                    let seg = k.replace('~', "~0").replace('/', "~1");
                    all_example_nodes(child, &format!("{ptr}/{seg}"), out);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    all_example_nodes(child, &format!("{ptr}/{i}"), out);
                }
            }
            _ => {}
        }
    }

    /// Equality after a round trip through a typed model: absent and `null`
    /// are the same, and numbers compare by value (`5` and `5.0`).
    fn same(a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
                keys.into_iter().all(|k| same(x.get(k).unwrap_or(&Value::Null), y.get(k).unwrap_or(&Value::Null)))
            }
            (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q)),
            (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
            _ => a == b,
        }
    }

    fn first_difference(a: &Value, b: &Value, path: &str) -> Option<String> {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
                keys.into_iter().find_map(|k| {
                    first_difference(
                        x.get(k).unwrap_or(&Value::Null),
                        y.get(k).unwrap_or(&Value::Null),
                        &format!("{path}.{k}"),
                    )
                })
            }
            (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
                x.iter().zip(y).enumerate().find_map(|(i, (p, q))| first_difference(p, q, &format!("{path}[{i}]")))
            }
            _ if same(a, b) => None,
            _ => Some(format!("{path}: {a} became {b}")),
        }
    }

    fn known_bad() -> BTreeMap<String, String> {
        let text = include_str!("spec_examples_known_bad.txt");
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|l| {
                let (key, reason) = l.split_once(" -- ")?;
                Some((key.trim().to_owned(), reason.trim().to_owned()))
            })
            .collect()
    }

    #[test]
    fn every_example_round_trips() {
        let Some(spec) = support::spec() else { return };
        let known_bad = known_bad();
        let indexed: BTreeMap<&str, index::Check> = index::EXAMPLES.iter().copied().collect();

        let mut in_spec = BTreeSet::new();
        all_example_nodes(&spec, "", &mut in_spec);
        let missed: Vec<&String> = in_spec.iter().filter(|p| !indexed.contains_key(p.as_str())).collect();
        assert!(missed.is_empty(), "examples with no generated type to check them against:\n{missed:#?}");

        let mut checked = 0;
        let mut failures = Vec::new();
        let mut still_bad = BTreeSet::new();
        for (ptr, check) in &indexed {
            let node = spec.pointer(ptr).unwrap_or_else(|| panic!("{ptr} is not in the spec"));
            for (suffix, example) in examples_at(node) {
                let key = format!("{ptr}{suffix}");
                checked += 1;
                let outcome = match check(example) {
                    Err(e) => Err(format!("does not decode: {e}")),
                    Ok(back) => match first_difference(example, &back, "") {
                        None => Ok(()),
                        Some(d) => Err(format!("changes on a round trip: {d}")),
                    },
                };
                match (outcome, known_bad.contains_key(&key)) {
                    (Ok(()), false) => {}
                    (Ok(()), true) => {
                        failures.push(format!("{key}: listed as known bad but passes; remove it from the list"))
                    }
                    (Err(_), true) => {
                        still_bad.insert(key);
                    }
                    (Err(e), false) => failures.push(format!("{key}: {e}")),
                }
            }
        }
        let stale: Vec<&String> = known_bad
            .keys()
            .filter(|k| !still_bad.contains(*k))
            .filter(|k| !failures.iter().any(|f| f.starts_with(k.as_str())))
            .collect();
        assert!(stale.is_empty(), "known-bad entries that match no example: {stale:#?}");
        assert!(failures.is_empty(), "{} of {checked} examples fail:\n{}", failures.len(), failures.join("\n"));
        assert!(checked > 1000, "only {checked} examples were checked");
        eprintln!("{checked} examples round-trip ({} known bad in the spec itself)", still_bad.len());
    }
}
