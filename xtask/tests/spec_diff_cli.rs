//! `cargo xtask spec-diff` as a process: its exit statuses and streams.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure is the signal

use std::path::PathBuf;
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/spec-diff").join(name)
}

fn spec_diff(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask")).arg("spec-diff").args(args).output().expect("xtask runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn exit_status_is_0_unless_breaking_changes_fail_the_run() {
    let (old, new) = (fixture("old.json"), fixture("new.json"));
    let (old, new) = (old.to_str().unwrap(), new.to_str().unwrap());
    let out = spec_diff(&[old, new]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("spec-diff: 1.0.0 → 2.0.0\n"));
    let out = spec_diff(&["--fail-on-breaking", old, new]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("BREAKING"), "the report is printed before failing");
    assert_eq!(spec_diff(&["--fail-on-breaking", old, old]).status.code(), Some(0));
}

#[test]
fn an_unreadable_file_is_a_clean_error_with_status_2() {
    let missing = fixture("no-such-file.json");
    let old = fixture("old.json");
    let out = spec_diff(&[old.to_str().unwrap(), missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.starts_with("spec-diff: cannot read ") && err.contains("no-such-file.json"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn bad_arguments_print_a_one_line_usage_with_status_2() {
    let out = spec_diff(&["--nope"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.lines().any(|l| l == "usage: cargo xtask spec-diff [--json] [--fail-on-breaking] OLD.json NEW.json"));
}
