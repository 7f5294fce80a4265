//! Shared helpers for the SDK's integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// Pinterest's OpenAPI description from `../shared` (or
/// `$PINTEREST_OPENAPI_SPEC`). `None`, with the reason printed, when it is
/// not there: the tests that need it are skipped, not failed.
pub fn spec() -> Option<serde_json::Value> {
    let path = match std::env::var_os("PINTEREST_OPENAPI_SPEC") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/pinterest-api/v5/openapi.json"),
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(serde_json::from_str(&text).expect("the spec is valid JSON")),
        Err(e) => {
            eprintln!(
                "SKIPPED: the OpenAPI description is not at {} ({e}); set PINTEREST_OPENAPI_SPEC",
                path.display()
            );
            None
        }
    }
}
