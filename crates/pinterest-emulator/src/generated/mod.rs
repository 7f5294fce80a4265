//! Written by `cargo xtask codegen` (`samples.rs`); this file is not.
#![allow(dead_code)]

pub mod examples;
pub mod samples;

use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The complete example of schema `name`, parsed.
pub fn schema(name: &str) -> Option<serde_json::Value> {
    static PARSED: OnceLock<BTreeMap<&'static str, serde_json::Value>> = OnceLock::new();
    let all = PARSED.get_or_init(|| {
        examples::SCHEMAS.iter().filter_map(|(n, text)| Some((*n, serde_json::from_str(text).ok()?))).collect()
    });
    all.get(name).cloned()
}

#[cfg(test)]
mod tests {
    use super::samples;

    /// The complete examples decode into the SDK's generated output types.
    #[test]
    fn every_example_decodes_into_its_operation_output() {
        assert_eq!(super::examples::RESPONSES.len(), 231);
        for (id, status, body) in super::examples::RESPONSES {
            let checked = samples::check_response(id, *status, body.as_bytes());
            assert!(matches!(checked, Some(Ok(()))), "{id}: {checked:?}");
        }
        assert!(samples::check_response("no/such_op", 200, b"{}").is_none());
    }

    #[test]
    fn body_checks_reject_wrong_shapes() {
        assert!(matches!(samples::check_body("boards/create", br#"{"name":"x"}"#), Some(Ok(()))));
        assert!(matches!(samples::check_body("boards/create", br#"{"name":5}"#), Some(Err(_))));
        assert!(samples::check_body("boards/list", b"").is_none());
    }
}
