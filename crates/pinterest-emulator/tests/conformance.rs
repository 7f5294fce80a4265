//! Schemathesis (pinned, from PyPI, in the virtualenv `cargo xtask test`
//! makes under `target/py/schemathesis`) against the emulator and
//! Pinterest's OpenAPI description: generated requests for every
//! operation, each answer checked for server errors, undocumented status
//! codes, wrong content types and bodies that break their schema. Zero
//! failures pass.
//!
//! Bounded to stay well under five minutes (about a minute and a half
//! here), with a fixed seed, five cases per operation and two workers:
//! - the `examples` and `fuzzing` phases on every operation;
//! - the `coverage` phase, which walks each schema's edges, on every `GET`
//!   and on every operation of the organic API (boards, Pins, media, user
//!   account, search, terms), where the emulator's own logic is.
//!
//! The coverage phase on all operations (90,000 cases, five minutes here)
//! is left to a run by hand:
//! `cargo test -p pinterest-emulator --test conformance -- --ignored`.
//! Schemathesis's cache and reports stay in `target/py/schemathesis-work`.
//!
//! Places where the spec contradicts itself would be listed in
//! `xtask/src/codegen/examples.rs` (`SPEC_CONTRADICTIONS`), the one list of
//! exceptions; it is empty.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure is the signal

use pinterest_emulator::Emulator;

const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance";

/// Every scope there is: the emulator's answers, not its scope checks, are
/// under test here.
fn all_scopes() -> Vec<&'static str> {
    pinterest_sdk::oauth::Scope::ALL.iter().map(|s| s.as_str()).collect()
}

async fn schemathesis(phases: &str, filters: &[&str]) {
    if pinterest_test_support::spec().is_none() {
        return;
    }
    let Some(bin) = pinterest_test_support::python_env("schemathesis") else { return };
    // One directory per run: the tests of this file run at once.
    let name: String = format!("{phases}{}", filters.join("")).chars().filter(char::is_ascii_alphanumeric).collect();
    let work = pinterest_test_support::python_envs_dir().join("schemathesis-work").join(name);
    std::fs::create_dir_all(&work).unwrap();
    let e = Emulator::builder().seed(1).start().await.unwrap();
    let token = e.issue_token(&all_scopes());
    let out = tokio::process::Command::new(bin.join("st"))
        .current_dir(&work)
        .arg("run")
        .arg(pinterest_test_support::spec_path())
        .args(["--url", &e.api_base()])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args(["--checks", CHECKS, "--phases", phases, "--max-examples", "5", "--seed", "1", "--workers", "2"])
        .args(["--generation-database", "none", "--no-color", "--report-dir", "reports", "--report", "junit"])
        .args(filters)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let summary = stdout.lines().rev().find(|l| l.contains(" in ") && l.starts_with('=')).unwrap_or("(no summary)");
    eprintln!("schemathesis ({phases} {filters:?}): {summary}");
    assert!(out.status.success(), "schemathesis found failures:\n{stdout}\n{stderr}");
    assert!(stdout.contains("passed"), "{stdout}");
    assert!(!stdout.contains("failures"), "{stdout}");
    e.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_nothing_wrong_with_any_operation() {
    schemathesis("examples,fuzzing", &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_coverage_finds_nothing_wrong_with_any_read() {
    schemathesis("coverage", &["--include-method", "GET"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_coverage_finds_nothing_wrong_with_the_organic_writes() {
    let organic = "^/(boards|pins|media|user_account|search|terms)";
    schemathesis("coverage", &["--include-path-regex", organic, "--exclude-method", "GET"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the coverage phase on every operation takes about five minutes; run it by hand"]
async fn schemathesis_coverage_finds_nothing_wrong_with_any_operation() {
    schemathesis("examples,coverage,fuzzing", &[]).await;
}
