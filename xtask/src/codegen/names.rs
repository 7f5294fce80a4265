//! Turning spec names into Rust identifiers, deterministically.

/// Rust keywords (strict and reserved) that cannot be plain identifiers.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn",
    "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self", "Self",
    "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where", "while", "abstract", "become",
    "box", "do", "final", "gen", "macro", "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// Type names the generated code uses from std or serde; a schema with one
/// of these names gets a suffix.
const RESERVED_TYPES: &[&str] = &[
    "Option",
    "Result",
    "String",
    "Vec",
    "Box",
    "Some",
    "None",
    "Ok",
    "Err",
    "Default",
    "Value",
    "Map",
    "BTreeMap",
    "Bytes",
    "Method",
    "StatusCode",
    "Page",
    "Operation",
    "Paginated",
    "RequestWriter",
    "CallOptions",
    "AuthScheme",
];

pub fn is_keyword(s: &str) -> bool {
    KEYWORDS.contains(&s)
}

/// Splits text into words: at non-alphanumeric characters, at lower→upper
/// humps (`conversionType`), and before a capital that starts a new word
/// after an acronym (`SSIOAccount` → `SSIO`, `Account`).
pub fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    for chunk in s.split(|c: char| !c.is_ascii_alphanumeric()) {
        if chunk.is_empty() {
            continue;
        }
        let chars: Vec<char> = chunk.chars().collect();
        let mut cur = String::new();
        for i in 0..chars.len() {
            let c = chars[i];
            if i > 0 && !cur.is_empty() {
                let prev = chars[i - 1];
                let next = chars.get(i + 1).copied();
                let hump = prev.is_ascii_lowercase() && c.is_ascii_uppercase();
                let acronym_end =
                    prev.is_ascii_uppercase() && c.is_ascii_uppercase() && next.is_some_and(|n| n.is_ascii_lowercase());
                let digit_to_letter =
                    prev.is_ascii_digit() && c.is_ascii_uppercase() && next.is_some_and(|n| n.is_ascii_lowercase());
                if hump || acronym_end || digit_to_letter {
                    out.push(std::mem::take(&mut cur));
                }
            }
            cur.push(c);
        }
        if !cur.is_empty() {
            out.push(cur);
        }
    }
    out
}

fn capitalize(word: &str) -> String {
    let mut c = word.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + &c.as_str().to_ascii_lowercase(),
        None => String::new(),
    }
}

/// `Pinterest.Lib.Error` → `PinterestLibError`, `ad_account` → `AdAccount`.
/// Existing capitalisation inside a name is kept (`SSIOAccount` stays), so
/// component names read as in the spec.
pub fn type_name(s: &str) -> String {
    let mut out = String::new();
    for chunk in s.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = chunk.chars();
        if let Some(f) = chars.next() {
            out.push(f.to_ascii_uppercase());
            out.push_str(chars.as_str());
        }
    }
    if out.is_empty() {
        out.push_str("Unnamed");
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'T');
    }
    if RESERVED_TYPES.contains(&out.as_str()) || is_keyword(&out) {
        out.push_str("Model");
    }
    out
}

/// CamelCase from words, all-caps words lowered (`IN_STOCK` → `InStock`).
pub fn camel(s: &str) -> String {
    words(s).iter().map(|w| capitalize(w)).collect()
}

/// A field or method name: `conversionType` → `conversion_type`,
/// `Content-Type` → `content_type`, `1200x` → `n1200x`, `type` → `type_`.
pub fn snake(s: &str) -> String {
    let mut out = words(s).iter().map(|w| w.to_ascii_lowercase()).collect::<Vec<_>>().join("_");
    if out.is_empty() {
        out.push_str("field");
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'n');
    }
    if is_keyword(&out) {
        out.push('_');
    }
    out
}

/// An enum variant for a wire value: `18-24` → `V18To24`, `65+` → `V65Plus`,
/// `Etc/GMT+1` → `EtcGmtPlus1`, `Etc/GMT-1` → `EtcGmtMinus1`, `""` → `Empty`.
pub fn variant(value: &str) -> String {
    if value.is_empty() {
        return "Empty".into();
    }
    // Spell out the signs that carry meaning before splitting into words.
    let chars: Vec<char> = value.chars().collect();
    let mut spelled = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let prev = if i > 0 { Some(chars[i - 1]) } else { None };
        let next = chars.get(i + 1).copied();
        match c {
            '+' => spelled.push_str(" Plus "),
            '-' if next.is_some_and(|n| n.is_ascii_digit()) && prev.is_some_and(|p| p.is_ascii_digit()) => {
                spelled.push_str(" To ")
            }
            '-' if next.is_some_and(|n| n.is_ascii_digit()) => spelled.push_str(" Minus "),
            '<' => spelled.push_str(" Lt "),
            '>' => spelled.push_str(" Gt "),
            '.' if prev.is_some_and(|p| p.is_ascii_digit()) && next.is_some_and(|n| n.is_ascii_digit()) => {
                spelled.push_str(" Point ")
            }
            c => spelled.push(c),
        }
    }
    let mut out = camel(&spelled);
    if out.is_empty() {
        out = format!("U{}", value.bytes().map(|b| format!("{b:02X}")).collect::<String>());
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'V');
    }
    if out == "Unknown" || out == "Self" || out == "Other" {
        out.push_str("Value");
    }
    out
}

/// Makes `name` unique against `taken` by appending 2, 3, ...
pub fn unique(name: String, taken: &mut std::collections::BTreeSet<String>) -> String {
    if taken.insert(name.clone()) {
        return name;
    }
    for i in 2.. {
        let candidate = format!("{name}{i}");
        if taken.insert(candidate.clone()) {
            return candidate;
        }
    }
    unreachable!()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names() {
        assert_eq!(type_name("Pinterest.Lib.Error"), "PinterestLibError");
        assert_eq!(type_name("ad_account"), "AdAccount");
        assert_eq!(type_name("SSIOAccountResponse"), "SSIOAccountResponse");
        assert_eq!(type_name("Result"), "ResultModel");
        assert_eq!(type_name("1x"), "T1x");
    }

    #[test]
    fn field_names() {
        assert_eq!(snake("conversionType"), "conversion_type");
        assert_eq!(snake("Content-Type"), "content_type");
        assert_eq!(snake("x-amz-date"), "x_amz_date");
        assert_eq!(snake("1200x"), "n1200x");
        assert_eq!(snake("150x150"), "n150x150");
        assert_eq!(snake("type"), "type_");
        assert_eq!(snake("fn"), "fn_");
        assert_eq!(snake("AD_ACCOUNT_ID"), "ad_account_id");
        assert_eq!(snake("SSIOAccount"), "ssio_account");
    }

    #[test]
    fn variant_names() {
        assert_eq!(variant("18-24"), "V18To24");
        assert_eq!(variant("65+"), "V65Plus");
        assert_eq!(variant("Etc/GMT+1"), "EtcGmtPlus1");
        assert_eq!(variant("Etc/GMT-1"), "EtcGmtMinus1");
        assert_eq!(variant("America/Port-au-Prince"), "AmericaPortAuPrince");
        assert_eq!(variant("IN_STOCK"), "InStock");
        assert_eq!(variant("image_base64"), "ImageBase64");
        assert_eq!(variant(""), "Empty");
        assert_eq!(variant("UNKNOWN"), "UnknownValue");
        assert_eq!(variant("SELF"), "SelfValue");
        assert_eq!(variant("2.5"), "V2Point5");
        assert_eq!(variant("+"), "Plus");
        assert_eq!(variant("%"), "U25");
    }

    #[test]
    fn uniqueness() {
        let mut taken = Default::default();
        assert_eq!(unique("A".into(), &mut taken), "A");
        assert_eq!(unique("A".into(), &mut taken), "A2");
        assert_eq!(unique("A".into(), &mut taken), "A3");
    }
}
