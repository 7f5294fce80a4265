//! Which fields of the generated models hold secrets. Their `Debug` prints
//! `[redacted]` instead of the value.
//!
//! The rule reads the whole snake_case words of a field's JSON name (split on
//! `_`, `-`, `.` and case changes): a string field is secret when one word
//! is a secret word (`password`, `token`, `signature`, ...) or two words in a
//! row make a secret pair (`api_key`). Words are whole, so `keywords`, an S3
//! object `key` and `tokenized` are not secrets. Two explicit lists correct
//! the rule where a name says one thing and the value another; both are
//! checked against the spec, so an entry that no longer names a field fails
//! the generation instead of rotting.

use std::collections::BTreeSet;

use super::ir::{Def, Field, Model, Ty};

/// A field is secret when one of its words is one of these.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "secrets",
    "token",
    "tokens",
    "credential",
    "credentials",
    "signature",
    "verifier",
    "apikey",
];

/// ... or when two of its words in a row are one of these.
const SECRET_PAIRS: &[[&str; 2]] = &[["api", "key"], ["private", "key"], ["access", "key"], ["secret", "key"]];

/// `Model.field` (or `*.field` for any model): secret though no word says so.
pub const DENY: &[&str] = &[
    // The authorization code of the OAuth code grant.
    "OauthAccessTokenRequestCode.code",
    // The key that decrypts the leads a subscription delivers.
    "AdAccountCreateSubscriptionResponse.cryptographic_key",
    "AdAccountGetSubscriptionResponse.cryptographic_key",
    "LeadSubscription.cryptographic_key",
    // Presigned download links of finished reports and lead exports: the
    // signature in the query is the whole credential.
    "AdsAnalyticsGetAsyncResponse.url",
    "CatalogsReport.url",
    "GetMMMReportResponseData.url",
    "LeadsExportResponseData.download_url",
];

/// `Model.field` (or `*.field`): named with a secret word but not secret.
pub const ALLOW: &[&str] = &[
    // The kind of a token (`bearer`), not the token.
    "*.token_type",
    // Handles of asynchronous reports: they fetch a report only together
    // with the account's own access token.
    "AdsAnalyticsCreateAsyncResponse.token",
    "CatalogsCreateReportResponse.token",
    "CreateMMMReportResponseData.token",
    "TemplateBasedReport.token",
];

/// The words of a JSON name: `x-amz-Security_token` → `x`, `amz`,
/// `security`, `token`.
pub fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Whether the words of `json` name a secret (the rule without the lists).
pub fn secret_by_name(json: &str) -> bool {
    let w = words(json);
    w.iter().any(|w| SECRET_WORDS.contains(&w.as_str()))
        || w.windows(2).any(|p| SECRET_PAIRS.iter().any(|[a, b]| p[0] == *a && p[1] == *b))
}

fn listed(list: &[&str], model: &str, json: &str) -> bool {
    list.iter().any(|e| e.split_once('.').is_some_and(|(m, f)| f == json && (m == "*" || m == model)))
}

/// Whether a value of `ty` can carry a secret as text.
fn holds_text(ty: &Ty) -> bool {
    match ty {
        Ty::String | Ty::Json | Ty::JsonObject => true,
        Ty::Vec(t) | Ty::Map(t) => holds_text(t),
        _ => false,
    }
}

/// Whether a value of `ty` holds a redacted field anywhere inside it: then
/// the operation that answers with it keeps no copy of a body it could not
/// decode (a `DecodeError` would show the secret).
pub fn carries_secret(ty: &Ty, model: &Model) -> bool {
    fn walk(ty: &Ty, model: &Model, seen: &mut BTreeSet<String>) -> bool {
        match ty {
            Ty::Vec(t) | Ty::Map(t) => walk(t, model, seen),
            Ty::Named(name) => {
                if !seen.insert(name.clone()) {
                    return false;
                }
                match model.defs.get(name).map(|d| &d.def) {
                    Some(Def::Struct { fields, .. }) => {
                        fields.iter().any(|f| is_secret(name, f) || walk(&f.ty, model, seen))
                    }
                    Some(Def::Tagged { variants, .. }) => variants.iter().any(|(_, t, _)| walk(t, model, seen)),
                    Some(Def::Untagged { variants }) => variants.iter().any(|(_, t)| walk(t, model, seen)),
                    Some(Def::Alias { ty }) => walk(ty, model, seen),
                    _ => false,
                }
            }
            _ => false,
        }
    }
    walk(ty, model, &mut BTreeSet::new())
}

/// Whether field `f` of model `model` is redacted in `Debug`.
pub fn is_secret(model: &str, f: &Field) -> bool {
    if listed(DENY, model, &f.json) {
        return true;
    }
    holds_text(&f.ty) && secret_by_name(&f.json) && !listed(ALLOW, model, &f.json)
}

/// Fails when an entry of [`DENY`] or [`ALLOW`] names no field of the spec,
/// or when an [`ALLOW`] entry would not change anything.
pub fn check_lists(model: &Model) -> anyhow::Result<()> {
    let fields: Vec<(&str, &Field)> = model
        .defs
        .values()
        .filter_map(|d| match &d.def {
            Def::Struct { fields, .. } => Some(fields.iter().map(move |f| (d.name.as_str(), f))),
            _ => None,
        })
        .flatten()
        .collect();
    for entry in DENY.iter().chain(ALLOW) {
        let Some((m, json)) = entry.split_once('.') else {
            anyhow::bail!("secret list entry `{entry}` is not Model.field")
        };
        let hits: Vec<_> = fields.iter().filter(|(name, f)| f.json == json && (m == "*" || *name == m)).collect();
        if hits.is_empty() {
            anyhow::bail!(
                "secret list entry `{entry}` names no field of the spec: update xtask/src/codegen/secrets.rs"
            );
        }
        if ALLOW.contains(entry) && !hits.iter().any(|(_, f)| holds_text(&f.ty) && secret_by_name(&f.json)) {
            anyhow::bail!("allow-list entry `{entry}` is not secret by name anyway: drop it");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codegen::ir::Field;

    fn field(json: &str, ty: Ty) -> Field {
        Field {
            json: json.into(),
            ident: json.replace('-', "_"),
            ty,
            required: false,
            nullable: false,
            double_option: false,
            boxed: false,
            doc: Vec::new(),
            format: None,
            pattern: None,
        }
    }

    #[test]
    fn whole_words_name_secrets() {
        for name in [
            "password",
            "x-amz-credential",
            "x-amz-security-token",
            "x-amz-signature",
            "partner_access_token",
            "partnerRefreshToken",
            "client_secret",
            "api_key",
            "code_verifier",
            "privateKey",
        ] {
            assert!(secret_by_name(name), "{name} is a secret");
        }
        for name in
            ["keywords", "key", "subscriber_key", "tokenized_text", "passwordless", "signatures_count", "code", "name"]
        {
            assert!(!secret_by_name(name), "{name} is not a secret");
        }
        assert_eq!(words("x-amz-Security_tokenID"), ["x", "amz", "security", "token", "id"]);
    }

    #[test]
    fn the_lists_correct_the_rule_both_ways() {
        // A report's `token` is a handle, not a secret; a revocation's is.
        assert!(!is_secret("AdsAnalyticsCreateAsyncResponse", &field("token", Ty::String)));
        assert!(is_secret("TokenRevocationRequest", &field("token", Ty::String)));
        assert!(!is_secret("OauthAccessTokenResponse", &field("token_type", Ty::String)));
        // An S3 object key is not; the key that decrypts leads is.
        assert!(!is_secret("MediaUploadParameters", &field("key", Ty::String)));
        assert!(is_secret("LeadSubscription", &field("cryptographic_key", Ty::String)));
        assert!(is_secret("OauthAccessTokenRequestCode", &field("code", Ty::String)));
        // Numbers and nested models are not text: an expiry stays visible.
        assert!(!is_secret("IntegrationRecord", &field("partner_access_token_expiry", Ty::I64)));
        assert!(is_secret("IntegrationRecord", &field("partner_access_token", Ty::String)));
        assert!(is_secret("X", &field("secrets", Ty::Vec(Box::new(Ty::String)))));
    }
}
