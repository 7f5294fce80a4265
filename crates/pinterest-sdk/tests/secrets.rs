//! No secret of a generated model reaches `Debug` output.
//!
//! The generator lists every struct model with a value whose text fields
//! each hold a canary naming the field (`tests/generated/secrets.rs`). Each
//! value is decoded and formatted with `Debug`: the canary of a redacted
//! field must not appear, and the canary of every other text field must (so
//! the test sees the fields it claims to check). The fields the audit found
//! leaking are named here by hand as well, so a change of the generator's
//! rule cannot quietly drop them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure is the signal

#[cfg(not(feature = "full"))]
#[test]
fn left_out_without_the_full_feature() {
    pinterest_test_support::skip(
        pinterest_test_support::Need::Features,
        "every model is checked: run with `cargo test -p pinterest-sdk --all-features` or `cargo xtask test`",
    );
}

#[cfg(feature = "full")]
#[path = "generated/secrets.rs"]
mod index;

#[cfg(feature = "full")]
mod full {
    use std::collections::BTreeSet;

    use super::index::{MODELS, SECRET_FIELDS};

    /// Secrets the audit found in `Debug` output, and names that look like
    /// secrets but are not.
    const MUST_REDACT: &[(&str, &str)] = &[
        ("MediaUploadParameters", "x-amz-credential"),
        ("MediaUploadParameters", "x-amz-security-token"),
        ("MediaUploadParameters", "x-amz-signature"),
        ("CatalogsFeedCredentials", "password"),
        ("IntegrationRequest", "partner_access_token"),
        ("IntegrationRequest", "partner_refresh_token"),
        ("IntegrationRecord", "partner_access_token"),
        ("IntegrationRequestPatch", "partner_refresh_token"),
        ("LeadSubscriptionPostParamsCreate", "partner_access_token"),
        ("AdAccountCreateSubscriptionRequest", "partner_refresh_token"),
        ("OauthAccessTokenResponseCode", "access_token"),
        ("OauthAccessTokenResponseCode", "refresh_token"),
        ("OauthAccessTokenRequestCode", "code"),
        ("TokenRevocationRequest", "token"),
    ];
    const MUST_SHOW: &[(&str, &str)] = &[
        ("MediaUploadParameters", "key"),
        ("AdsAnalyticsCreateAsyncResponse", "token"),
        ("CatalogsCreateReportResponse", "token"),
        ("OauthAccessTokenResponseCode", "token_type"),
        ("AdAccountCreateSubscriptionRequestPartnerMetadata", "subscriber_key"),
    ];

    #[test]
    fn no_model_prints_a_secret_and_every_other_text_field_prints() {
        let secret: BTreeSet<(&str, &str)> = SECRET_FIELDS.iter().copied().collect();
        let mut failures = Vec::new();
        let mut checked = 0;
        for (name, value, debugged) in MODELS {
            let value: serde_json::Value = serde_json::from_str(value).unwrap();
            let text = match debugged(&value) {
                Ok(t) => t,
                Err(e) => {
                    failures.push(format!("{name}: the canary value does not decode: {e}"));
                    continue;
                }
            };
            for (field, v) in value.as_object().into_iter().flatten() {
                let canary = format!("CANARY:{field}");
                let holds_canary = v.as_str() == Some(&canary)
                    || v.as_array().is_some_and(|a| a.iter().any(|x| x.as_str() == Some(&canary)))
                    || v.as_object().is_some_and(|o| o.values().any(|x| x.as_str() == Some(&canary)));
                if !holds_canary {
                    continue;
                }
                checked += 1;
                let shown = text.contains(&canary);
                match (secret.contains(&(*name, field.as_str())), shown) {
                    (true, true) => failures.push(format!("{name}.{field} is secret and its value is in `{text}`")),
                    (false, false) => failures.push(format!("{name}.{field}: its canary is missing from `{text}`")),
                    _ => {}
                }
            }
        }
        assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
        assert!(MODELS.len() > 500 && checked > 1000, "{} models, {checked} text fields checked", MODELS.len());
    }

    #[test]
    fn the_fields_the_audit_named_are_redacted_and_the_look_alikes_are_not() {
        for (model, field) in MUST_REDACT {
            assert!(SECRET_FIELDS.contains(&(model, field)), "{model}.{field} must be redacted");
        }
        for (model, field) in MUST_SHOW {
            assert!(!SECRET_FIELDS.contains(&(model, field)), "{model}.{field} is no secret");
            assert!(
                MODELS.iter().any(|(m, v, _)| m == model && v.contains(&format!("\"CANARY:{field}\""))),
                "{model}.{field} is not among the checked fields"
            );
        }
    }

    #[test]
    fn a_media_upload_target_prints_without_its_signature() {
        let p: pinterest_sdk::models::MediaUploadParameters = serde_json::from_value(serde_json::json!({
            "key": "uploads/1.mp4",
            "x-amz-credential": "AKIA-CANARY/20261126/us-east-1/s3/aws4_request",
            "x-amz-security-token": "FwoGZXIvYXdzECANARY",
            "x-amz-signature": "d3adb33fCANARY",
        }))
        .unwrap();
        let text = format!("{p:?}");
        assert!(!text.contains("CANARY"), "{text}");
        assert!(text.contains("uploads/1.mp4") && text.contains("[redacted]"), "{text}");
    }
}
