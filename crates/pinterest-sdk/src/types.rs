//! Value types the generated models are made of: dates, date-times, and the
//! opaque payloads of values the SDK does not know yet.
//!
//! Dates use [`chrono`], the date crate most Rust programs already depend
//! on; it is re-exported as `pinterest_sdk::chrono` so that versions match.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use chrono::{FixedOffset, NaiveDateTime, SecondsFormat, Utc};

/// A calendar date (`format: date` in the spec), such as the `start_date`
/// of an analytics query. Written `YYYY-MM-DD` on the wire.
pub type Date = chrono::NaiveDate;

/// An instant (`format: date-time` in the spec).
///
/// Pinterest sends RFC 3339 text with an offset (`2022-04-06T19:51:46Z`),
/// and some endpoints send it without one (`2022-04-06T19:51:46`). Both are
/// accepted; a value without an offset is UTC. Values compare, order and
/// hash by the instant they denote, whatever their form; the form is kept
/// only so that a value is written back the way it came.
///
/// ```
/// use pinterest_sdk::models::DateTime;
/// let with: DateTime = "2022-04-06T19:51:46Z".parse().unwrap();
/// let without: DateTime = "2022-04-06T19:51:46".parse().unwrap();
/// let elsewhere: DateTime = "2022-04-06T21:51:46+02:00".parse().unwrap();
/// assert_eq!(with, without);
/// assert_eq!(with, elsewhere);
/// assert_eq!(without.to_string(), "2022-04-06T19:51:46");
/// assert_eq!(with.to_utc().timestamp(), 1_649_274_706);
/// ```
#[derive(Clone, Copy)]
pub struct DateTime {
    at: chrono::DateTime<FixedOffset>,
    offset: bool,
}

/// Text that is not a date-time Pinterest could send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not an RFC 3339 date-time (with or without an offset)")]
pub struct DateTimeParseError {
    text: String,
}

impl DateTime {
    /// Parses RFC 3339 text, with or without an offset.
    pub fn parse(text: &str) -> Result<Self, DateTimeParseError> {
        let trimmed = text.trim();
        if let Ok(at) = chrono::DateTime::parse_from_rfc3339(trimmed) {
            return Ok(DateTime { at, offset: true });
        }
        for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dt%H:%M:%S%.f"] {
            if let Ok(naive) = NaiveDateTime::parse_from_str(trimmed, format) {
                return Ok(DateTime { at: naive.and_utc().fixed_offset(), offset: false });
            }
        }
        let mut text = text.to_owned();
        text.truncate(64);
        Err(DateTimeParseError { text })
    }

    /// The instant in UTC.
    pub fn to_utc(&self) -> chrono::DateTime<Utc> {
        self.at.with_timezone(&Utc)
    }

    /// The instant with the offset it was sent with (UTC when it had none).
    pub fn to_fixed_offset(&self) -> chrono::DateTime<FixedOffset> {
        self.at
    }

    /// Whether the text this came from carried an offset.
    pub fn had_offset(&self) -> bool {
        self.offset
    }
}

impl From<chrono::DateTime<Utc>> for DateTime {
    fn from(at: chrono::DateTime<Utc>) -> Self {
        DateTime { at: at.fixed_offset(), offset: true }
    }
}

impl From<chrono::DateTime<FixedOffset>> for DateTime {
    fn from(at: chrono::DateTime<FixedOffset>) -> Self {
        DateTime { at, offset: true }
    }
}

impl From<DateTime> for chrono::DateTime<Utc> {
    fn from(value: DateTime) -> Self {
        value.to_utc()
    }
}

impl FromStr for DateTime {
    type Err = DateTimeParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DateTime::parse(s)
    }
}

impl fmt::Display for DateTime {
    /// The form it came in: RFC 3339 with its offset (`Z` for UTC), or
    /// without an offset when it had none.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.offset {
            f.write_str(&self.at.to_rfc3339_opts(SecondsFormat::AutoSi, true))
        } else {
            write!(f, "{}", self.at.naive_utc().format("%Y-%m-%dT%H:%M:%S%.f"))
        }
    }
}

impl fmt::Debug for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DateTime({self})")
    }
}

impl PartialEq for DateTime {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
    }
}

impl Eq for DateTime {}

impl PartialOrd for DateTime {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for DateTime {
    fn cmp(&self, other: &Self) -> Ordering {
        self.at.cmp(&other.at)
    }
}

impl Hash for DateTime {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.to_utc().hash(state);
    }
}

impl serde::Serialize for DateTime {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for DateTime {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = DateTime;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an RFC 3339 date-time")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<DateTime, E> {
                DateTime::parse(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(V)
    }
}

/// A value of an enum that this version of the SDK does not know, kept as
/// it was received so that it can be sent back unchanged.
///
/// Only parsing creates one (`BoardPrivacy::from("NEW_VALUE")`, decoding a
/// response), so a known value can never hide inside it:
/// `BoardPrivacy::from("PUBLIC")` is always `BoardPrivacy::Public`.
///
/// ```
/// use pinterest_sdk::models::BoardPrivacy;
/// assert_eq!(BoardPrivacy::from("PUBLIC"), BoardPrivacy::Public);
/// let new = BoardPrivacy::from("FRIENDS_ONLY");
/// assert!(matches!(&new, BoardPrivacy::Unknown(v) if v.as_str() == Some("FRIENDS_ONLY")));
/// assert_eq!(new.as_str(), "FRIENDS_ONLY");
/// ```
///
/// It cannot be built by hand:
///
/// ```compile_fail
/// let v = pinterest_sdk::types::UnknownValue(String::from("PUBLIC"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnknownValue(Repr);

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Repr {
    Text(String),
    Integer(i64),
}

impl UnknownValue {
    pub(crate) fn text(value: String) -> Self {
        UnknownValue(Repr::Text(value))
    }

    pub(crate) fn integer(value: i64) -> Self {
        UnknownValue(Repr::Integer(value))
    }

    /// The value of a string enum, as sent.
    pub fn as_str(&self) -> Option<&str> {
        match &self.0 {
            Repr::Text(s) => Some(s),
            Repr::Integer(_) => None,
        }
    }

    /// The value of a numeric enum, as sent.
    pub fn as_i64(&self) -> Option<i64> {
        match self.0 {
            Repr::Integer(i) => Some(i),
            Repr::Text(_) => None,
        }
    }

    /// The text of a string enum's value (empty for a numeric one).
    pub(crate) fn text_or_empty(&self) -> &str {
        self.as_str().unwrap_or_default()
    }
}

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Text(s) => f.write_str(s),
            Repr::Integer(i) => write!(f, "{i}"),
        }
    }
}

/// A variant of a tagged union that this version of the SDK does not know,
/// kept as the JSON it came in. Only decoding creates one.
#[derive(Clone, Debug, PartialEq)]
pub struct UnknownVariant(serde_json::Value);

impl UnknownVariant {
    pub(crate) fn new(value: serde_json::Value) -> Self {
        UnknownVariant(value)
    }

    /// The object as received.
    pub fn as_json(&self) -> &serde_json::Value {
        &self.0
    }

    /// The object as received.
    pub fn into_json(self) -> serde_json::Value {
        self.0
    }
}

impl serde::Serialize for UnknownVariant {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_times_with_and_without_offset() {
        let z = DateTime::parse("2022-04-06T19:51:46Z").unwrap();
        let naive = DateTime::parse("2022-04-06T19:51:46").unwrap();
        let plus2 = DateTime::parse("2022-04-06T21:51:46+02:00").unwrap();
        let frac = DateTime::parse("2022-04-06T19:51:46.250").unwrap();
        assert_eq!(z, naive);
        assert_eq!(z, plus2);
        assert!(frac > naive);
        assert!(!naive.had_offset() && z.had_offset());
        assert_eq!(naive.to_string(), "2022-04-06T19:51:46");
        assert_eq!(frac.to_string(), "2022-04-06T19:51:46.250");
        assert_eq!(z.to_string(), "2022-04-06T19:51:46Z");
        assert_eq!(plus2.to_string(), "2022-04-06T21:51:46+02:00");
        let mut set = std::collections::HashSet::new();
        set.insert(z);
        assert!(set.contains(&naive) && set.contains(&plus2));
        for bad in ["", "yesterday", "2022-13-01T00:00:00", "2022-04-06", "2022-04-06T25:00:00Z"] {
            assert!(DateTime::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn date_times_round_trip_in_their_form() {
        for text in ["\"2022-04-06T19:51:46\"", "\"2022-04-06T19:51:46Z\"", "\"2022-04-06T19:51:46.5-07:00\""] {
            let v: DateTime = serde_json::from_str(text).unwrap();
            assert_eq!(serde_json::to_string(&v).unwrap(), text.replace(".5-", ".500-"));
        }
        assert!(serde_json::from_str::<DateTime>("17").is_err());
        let err = serde_json::from_str::<DateTime>("\"soon\"").unwrap_err().to_string();
        assert!(err.contains("`soon` is not an RFC 3339 date-time"), "{err}");
    }

    #[test]
    fn unknown_values_are_opaque() {
        let u = UnknownValue::text("NEW".into());
        assert_eq!(u.as_str(), Some("NEW"));
        assert_eq!(u.as_i64(), None);
        assert_eq!(UnknownValue::integer(7).as_i64(), Some(7));
        assert_eq!(u.to_string(), "NEW");
    }
}
