//! Personal data for Pinterest's Conversions API, normalised and hashed here.
//! Needs the `conversion_events` cargo feature (or `full`).
//!
//! A conversion event (`client.conversion_events().create(ad_account_id, events)`)
//! says who it is about in its `user_data`. Most of those values are personal
//! data and travel only as SHA-256 digests, and Pinterest can match a digest
//! only when the value was written the way it expects before hashing: an
//! email in lower case, a phone number as bare digits, and so on. [`UserData`]
//! does both steps for every field, so that raw values go in and only digests
//! (plus the few values Pinterest wants as they are) come out.
//!
//! | setter | key sent | what is hashed |
//! | --- | --- | --- |
//! | [`email`](UserData::email) | `em` | trimmed, lower case |
//! | [`phone`](UserData::phone) | `ph` | digits only, leading zeros dropped |
//! | [`first_name`](UserData::first_name), [`last_name`](UserData::last_name) | `fn`, `ln` | trimmed, lower case (punctuation and letters of any script kept) |
//! | [`gender`](UserData::gender) | `ge` | `f`, `m` or `n` |
//! | [`date_of_birth`](UserData::date_of_birth) | `db` | `YYYYMMDD` |
//! | [`city`](UserData::city) | `ct` | lower case, no spaces or punctuation |
//! | [`state`](UserData::state) | `st` | the code as given, trimmed, lower case |
//! | [`zip`](UserData::zip) | `zp` | lower case, no spaces or dashes; a US ZIP+4 keeps its first five digits |
//! | [`country`](UserData::country) | `country` | two-letter ISO 3166-1 code, lower case |
//! | [`external_id`](UserData::external_id) | `external_id` | trimmed |
//! | [`maid`](UserData::maid) | `hashed_maids` | trimmed, lower case |
//! | [`client_ip_address`](UserData::client_ip_address), [`client_user_agent`](UserData::client_user_agent), [`click_id`](UserData::click_id), [`partner_id`](UserData::partner_id) | same | nothing: sent as given |
//!
//! Each rule is also a public function ([`normalize_email`], [`normalize_phone`],
//! ...), and [`Field::hash`] gives the digest one value becomes, so what is
//! sent can be checked by hand. The hashed setters may be called more than
//! once: each call adds a value to the field's list (a repeated value is
//! kept once).
//!
//! **Hashing yourself.** A value that already is a SHA-256 digest (64
//! hexadecimal characters) is passed through in lower case instead of being
//! hashed again. The other side of this: an identifier of yours that happens
//! to be 64 hexadecimal characters is not hashed either.
//!
//! **Refused, not guessed.** A value that cannot be normalised (an unknown
//! gender, a date that does not parse, a country name instead of its code,
//! a phone number with letters in it) and a value that is empty once
//! normalised are [`UserDataError`]s, returned by [`UserData::build`]:
//! the digest of an empty or mangled string would only make the event
//! harder to match. So is user data with none of the identifiers Pinterest
//! needs to accept an event: an email, a mobile advertising id, or the
//! client's IP address together with its user agent.
//!
//! **Unicode.** Lower-casing follows Unicode's default rules (no locale
//! tailoring), and no Unicode normalisation is applied: pass text in its
//! usual composed form (NFC), as browsers and databases normally hold it.
//!
//! [`UserData`]'s `Debug` shows how many values each field holds, never the
//! values or their digests.
//!
//! ```
//! use pinterest_sdk::conversions::{self, UserData, Field};
//!
//! assert_eq!(conversions::normalize_email("  John.Doe@Example.COM ")?, "john.doe@example.com");
//! assert_eq!(conversions::normalize_phone("+1 (555) 010-9999")?, "15550109999");
//! assert_eq!(conversions::sha256_hex("hello"), "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
//!
//! let user = UserData::new()
//!     .email("  John.Doe@Example.COM ")
//!     .phone("+1 (555) 010-9999")
//!     .first_name("  Zoë ")
//!     .gender("Female")
//!     .date_of_birth("1990-01-15")
//!     .country("US");
//! assert_eq!(user.hashes(Field::Email), [conversions::sha256_hex("john.doe@example.com")]);
//! let user_data = user.build()?; // a models::ConversionEventsUserData
//! # let _ = user_data;
//!
//! // Nothing Pinterest can match an event on: refused before anything is sent.
//! assert!(UserData::new().first_name("Zoë").build().is_err());
//! # Ok::<(), conversions::UserDataError>(())
//! ```
//!
//! Sending an event with it:
//!
//! ```no_run
//! # async fn demo(client: pinterest_sdk::Client) -> pinterest_sdk::Result<()> {
//! use pinterest_sdk::conversions::UserData;
//! use pinterest_sdk::models::{ConversionEvents, ConversionEventsDataItem, ConversionEventsDataItemCustomData};
//!
//! let user_data = UserData::new()
//!     .email("john.doe@example.com")
//!     .client_ip_address("203.0.113.7")
//!     .client_user_agent("Mozilla/5.0 (X11; Linux x86_64)")
//!     .build()?; // a UserDataError converts into pinterest_sdk::Error
//! let event = ConversionEventsDataItem::builder()
//!     .event_name("checkout")
//!     .action_source("web")
//!     .event_time(1_735_689_600)
//!     .event_id("order-1234")
//!     .user_data(user_data)
//!     .custom_data(ConversionEventsDataItemCustomData::new().value("72.50").currency("USD"))
//!     .build()?;
//! let answer = client.conversion_events().create("1234567890", ConversionEvents::new([event])).send().await?;
//! println!("{} of {} events processed", answer.num_events_processed, answer.num_events_received);
//! # Ok(()) }
//! ```

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike as _, NaiveDate};
use sha2::{Digest as _, Sha256};

use crate::error::Error;
use crate::models::{ConversionEventsUserData, ConversionEventsUserDataProperties};

/// A user-data field that is sent hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Field {
    /// `em`: email address.
    Email,
    /// `ph`: phone number.
    Phone,
    /// `fn`: first name.
    FirstName,
    /// `ln`: last name.
    LastName,
    /// `ge`: gender.
    Gender,
    /// `db`: date of birth.
    DateOfBirth,
    /// `ct`: city.
    City,
    /// `st`: state or region code.
    State,
    /// `zp`: postal code.
    Zip,
    /// `country`: country code.
    Country,
    /// `external_id`: your own identifier of the person.
    ExternalId,
    /// `hashed_maids`: mobile advertising id (Google's GAID, Apple's IDFA).
    Maid,
}

const HASHED_FIELDS: usize = 12;

impl Field {
    /// Every hashed field, in the order of this enum.
    pub const ALL: [Field; HASHED_FIELDS] = [
        Field::Email,
        Field::Phone,
        Field::FirstName,
        Field::LastName,
        Field::Gender,
        Field::DateOfBirth,
        Field::City,
        Field::State,
        Field::Zip,
        Field::Country,
        Field::ExternalId,
        Field::Maid,
    ];

    /// The key of the field in `user_data` (`"em"`, `"ph"`, `"fn"`, ...).
    pub fn key(self) -> &'static str {
        match self {
            Field::Email => "em",
            Field::Phone => "ph",
            Field::FirstName => "fn",
            Field::LastName => "ln",
            Field::Gender => "ge",
            Field::DateOfBirth => "db",
            Field::City => "ct",
            Field::State => "st",
            Field::Zip => "zp",
            Field::Country => "country",
            Field::ExternalId => "external_id",
            Field::Maid => "hashed_maids",
        }
    }

    /// `value` normalised by this field's rule (see the module's table), not
    /// yet hashed. A date of birth is read as text here, as
    /// [`normalize_date_of_birth`] reads it.
    pub fn normalize(self, value: &str) -> Result<String, UserDataError> {
        match self {
            Field::Email => normalize_email(value),
            Field::Phone => normalize_phone(value),
            Field::FirstName => normalize_first_name(value),
            Field::LastName => normalize_last_name(value),
            Field::Gender => normalize_gender(value),
            Field::DateOfBirth => normalize_date_of_birth(value),
            Field::City => normalize_city(value),
            Field::State => normalize_state(value),
            Field::Zip => normalize_zip(value),
            Field::Country => normalize_country(value),
            Field::ExternalId => normalize_external_id(value),
            Field::Maid => normalize_maid(value),
        }
    }

    /// What is sent for `value`: the SHA-256 digest (lowercase hex) of the
    /// normalised value, or `value` itself in lower case when it already is
    /// such a digest.
    pub fn hash(self, value: &str) -> Result<String, UserDataError> {
        let trimmed = trim(value);
        if is_sha256_hex(trimmed) {
            return Ok(trimmed.to_ascii_lowercase());
        }
        self.normalize(value).map(|normalized| sha256_hex(&normalized))
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// A user-data value that cannot be sent, or user data Pinterest would
/// refuse. Nothing in it repeats the value: it names the field and the
/// problem only.
///
/// It converts into the SDK's [`Error`] as [`Error::UserData`], its source,
/// so `?` works in code that sends events and the field can still be read
/// from the chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UserDataError {
    /// Nothing was left of a value once normalised (it was blank, or only
    /// punctuation, or only zeros for a phone number).
    #[error("user data `{field}`: the value is empty once normalised")]
    Empty {
        /// The field's key (`"em"`, `"client_ip_address"`, ...).
        field: &'static str,
    },
    /// A value that this module cannot normalise without guessing.
    #[error("user data `{field}`: the value {problem}")]
    Invalid {
        /// The field's key (`"ge"`, `"db"`, ...).
        field: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// None of the identifiers Pinterest needs to accept an event was set:
    /// an email, a mobile advertising id, or the client's IP address with
    /// its user agent.
    #[error(
        "user data needs an email (`em`), a mobile advertising id (`hashed_maids`), \
         or both `client_ip_address` and `client_user_agent`"
    )]
    NoIdentifier,
}

impl UserDataError {
    /// The key of the field the error is about; `None` for
    /// [`NoIdentifier`](Self::NoIdentifier).
    pub fn field(&self) -> Option<&'static str> {
        match self {
            UserDataError::Empty { field } | UserDataError::Invalid { field, .. } => Some(field),
            UserDataError::NoIdentifier => None,
        }
    }
}

impl From<UserDataError> for Error {
    fn from(e: UserDataError) -> Self {
        Error::UserData(e)
    }
}

fn invalid(field: &'static str, problem: &'static str) -> UserDataError {
    UserDataError::Invalid { field, problem }
}

fn non_empty(field: &'static str, value: String) -> Result<String, UserDataError> {
    if value.is_empty() { Err(UserDataError::Empty { field }) } else { Ok(value) }
}

/// The SHA-256 digest of `value`'s UTF-8 bytes, as 64 lowercase hexadecimal
/// characters: the form Pinterest expects.
///
/// ```
/// assert_eq!(
///     pinterest_sdk::conversions::sha256_hex("hello"),
///     "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
/// );
/// ```
pub fn sha256_hex(value: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(value.as_bytes());
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    out
}

/// True when `value` looks like a SHA-256 digest already: exactly 64
/// hexadecimal characters, in either case. Such values are passed through
/// by [`UserData`] and [`Field::hash`] instead of being hashed again.
pub fn is_sha256_hex(value: &str) -> bool {
    value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Characters that carry nothing but get copied along from forms and
/// spreadsheets: zero-width space, direction marks and embeddings, word
/// joiners, the byte-order mark and the soft hyphen.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{ad}' | '\u{200b}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{206f}' | '\u{feff}')
}

/// `value` without leading and trailing whitespace (any Unicode space) and
/// invisible characters.
fn trim(value: &str) -> &str {
    value.trim_matches(|c: char| c.is_whitespace() || is_invisible(c))
}

/// Punctuation and symbols, which names and cities lose. Letters, digits and
/// combining marks of every script are not in here, nor the zero-width
/// joiners some scripts spell with; whitespace is handled apart.
fn is_punctuation_or_symbol(c: char) -> bool {
    c.is_ascii_punctuation()
        || c.is_control()
        || is_invisible(c)
        || matches!(
            c,
            // Latin-1 punctuation and symbols (but not ª, µ, º, which are letters)
            '\u{a1}'..='\u{a9}' | '\u{ab}'..='\u{b4}' | '\u{b6}'..='\u{b9}' | '\u{bb}'..='\u{bf}' | '\u{d7}' | '\u{f7}'
            // primes and apostrophe-like modifier letters (ʹ ʺ ʻ ʼ)
            | '\u{2b9}'..='\u{2bc}'
            // Greek question mark and ano teleia
            | '\u{37e}' | '\u{387}'
            // Armenian punctuation and hyphen
            | '\u{55a}'..='\u{55f}' | '\u{589}' | '\u{58a}'
            // Hebrew maqaf, paseq, sof pasuq, nun hafukha, geresh, gershayim
            | '\u{5be}' | '\u{5c0}' | '\u{5c3}' | '\u{5c6}' | '\u{5f3}' | '\u{5f4}'
            // Arabic comma, semicolon, question mark, percent and separators, full stop
            | '\u{60c}' | '\u{61b}' | '\u{61f}' | '\u{66a}'..='\u{66d}' | '\u{6d4}'
            // Devanagari danda, double danda, abbreviation sign
            | '\u{964}' | '\u{965}' | '\u{970}'
            // Thai fongman, angkhankhu, khomut
            | '\u{e4f}' | '\u{e5a}' | '\u{e5b}'
            // General Punctuation: dashes, quotes, bullets, ellipsis, primes, ...
            | '\u{2010}'..='\u{2027}' | '\u{2030}'..='\u{205e}'
            // currency signs
            | '\u{20a0}'..='\u{20cf}'
            // arrows, mathematical and technical signs, shapes, dingbats, ...
            | '\u{2190}'..='\u{2bff}'
            // supplemental punctuation
            | '\u{2e00}'..='\u{2e7f}'
            // CJK punctuation (but not the iteration marks 々 〻 nor ー)
            | '\u{3001}'..='\u{3004}' | '\u{3008}'..='\u{3020}' | '\u{3030}' | '\u{303d}'..='\u{303f}'
            // katakana double hyphen and middle dot
            | '\u{30a0}' | '\u{30fb}'
            // variation selectors, vertical, compatibility and small forms
            | '\u{fe00}'..='\u{fe19}' | '\u{fe30}'..='\u{fe6b}'
            // full-width and half-width punctuation and symbols
            | '\u{ff01}'..='\u{ff0f}' | '\u{ff1a}'..='\u{ff20}' | '\u{ff3b}'..='\u{ff40}' | '\u{ff5b}'..='\u{ff65}'
            | '\u{ffe0}'..='\u{ffee}'
            // emoji and other pictographs
            | '\u{1f000}'..='\u{1faff}'
        )
}

/// The value of a decimal digit: ASCII, full-width, Arabic-Indic, extended
/// Arabic-Indic (Persian, Urdu) and Devanagari digits.
fn decimal_digit(c: char) -> Option<u32> {
    let zero = match c {
        '0'..='9' => '0',
        '\u{ff10}'..='\u{ff19}' => '\u{ff10}',
        '\u{660}'..='\u{669}' => '\u{660}',
        '\u{6f0}'..='\u{6f9}' => '\u{6f0}',
        '\u{966}'..='\u{96f}' => '\u{966}',
        _ => return None,
    };
    Some(u32::from(c) - u32::from(zero))
}

fn is_dash(c: char) -> bool {
    matches!(c, '-' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{fe58}' | '\u{fe63}' | '\u{ff0d}')
}

/// An email address as Pinterest hashes it: trimmed and lower-cased
/// (Unicode lower case, so `ÜSER@Bücher.DE` becomes `üser@bücher.de`).
/// Nothing else is rewritten: dots and `+tags` in Gmail addresses stay, as
/// the address was given.
///
/// An error when nothing is left, when there is no `@` with text on both
/// sides, or when there is whitespace inside the address.
pub fn normalize_email(value: &str) -> Result<String, UserDataError> {
    const FIELD: &str = "em";
    let email = non_empty(FIELD, trim(value).to_lowercase())?;
    if email.chars().any(char::is_whitespace) {
        return Err(invalid(FIELD, "is not an email address: it has whitespace inside"));
    }
    match email.rfind('@') {
        Some(at) if at > 0 && at + 1 < email.len() => Ok(email),
        _ => Err(invalid(FIELD, "is not an email address: it needs text on both sides of an `@`")),
    }
}

/// A phone number as Pinterest hashes it: its digits only, country code
/// first, without the leading zeros of an international prefix (`+1 (555)
/// 010-9999` is `15550109999`, `00 44 20 7946 0958` and `+44 (0)20 7946
/// 0958` are `442079460958`).
///
/// Spaces, `+`, dashes, dots, slashes and brackets are dropped; full-width,
/// Arabic-Indic and Devanagari digits are read as digits. The country code
/// cannot be guessed: a national number (`020 7946 0958`) loses its leading
/// zero and is sent without one, so give numbers in international form.
///
/// An error when nothing is left, when the number has letters (an extension,
/// a vanity number: dropping them would send another number), other kinds of
/// digits, or more than the 15 digits an international number can have.
pub fn normalize_phone(value: &str) -> Result<String, UserDataError> {
    const FIELD: &str = "ph";
    let mut digits = String::new();
    // `+44 (0)20 …`: the national trunk zero in brackets after the country
    // code is not dialled from abroad.
    let text = trim(value).replace("(0)", "");
    for c in text.chars() {
        if let Some(d) = decimal_digit(c) {
            if !(digits.is_empty() && d == 0) {
                digits.extend(char::from_digit(d, 10));
            }
        } else if c.is_alphabetic() {
            return Err(invalid(FIELD, "is not a phone number of digits: it has letters"));
        } else if c.is_numeric() {
            return Err(invalid(FIELD, "has digits of a kind that is not recognised"));
        }
    }
    let digits = non_empty(FIELD, digits)?;
    if digits.len() > 15 {
        return Err(invalid(FIELD, "has more than the 15 digits of an international phone number"));
    }
    Ok(digits)
}

fn normalize_name(field: &'static str, value: &str) -> Result<String, UserDataError> {
    let lower = trim(value).to_lowercase();
    non_empty(field, lower.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// A first name as Pinterest's spec asks for it: in lower case, trimmed,
/// with runs of whitespace inside made one space (`Mary  Ann` is `mary
/// ann`). Nothing else changes: apostrophes and hyphens stay (`O'Brien` is
/// `o'brien`, `Jean-Luc` is `jean-luc`), and so do letters of every script
/// (`  Zoë ` is `zoë`, `Σοφία` is `σοφία`).
///
/// An error when nothing is left.
pub fn normalize_first_name(value: &str) -> Result<String, UserDataError> {
    normalize_name("fn", value)
}

/// A last name, by the rule of [`normalize_first_name`].
pub fn normalize_last_name(value: &str) -> Result<String, UserDataError> {
    normalize_name("ln", value)
}

/// A gender, in the three codes Pinterest knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gender {
    /// `f`.
    Female,
    /// `m`.
    Male,
    /// `n`.
    NonBinary,
}

impl Gender {
    /// The code that is hashed: `"f"`, `"m"` or `"n"`.
    pub fn code(self) -> &'static str {
        match self {
            Gender::Female => "f",
            Gender::Male => "m",
            Gender::NonBinary => "n",
        }
    }

    /// Reads a common English spelling, in any case, ignoring spaces,
    /// dashes, underscores and dots:
    ///
    /// - [`Female`](Gender::Female): `f`, `female`, `woman`;
    /// - [`Male`](Gender::Male): `m`, `male`, `man`;
    /// - [`NonBinary`](Gender::NonBinary): `n`, `nb`, `non-binary` (any
    ///   spacing), `enby`.
    ///
    /// Anything else (`unknown`, `prefer not to say`, `x`, other languages)
    /// is an error rather than a guess: leave the gender out instead.
    pub fn parse(value: &str) -> Result<Gender, UserDataError> {
        let key: String = trim(value)
            .chars()
            .filter(|c| !(c.is_whitespace() || is_dash(*c) || matches!(c, '_' | '.')))
            .flat_map(char::to_lowercase)
            .collect();
        match key.as_str() {
            "f" | "female" | "woman" => Ok(Gender::Female),
            "m" | "male" | "man" => Ok(Gender::Male),
            "n" | "nb" | "nonbinary" | "enby" => Ok(Gender::NonBinary),
            "" => Err(UserDataError::Empty { field: "ge" }),
            _ => Err(invalid("ge", "is not a recognised gender (f, m or n, or their usual English words)")),
        }
    }
}

impl FromStr for Gender {
    type Err = UserDataError;
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Gender::parse(value)
    }
}

/// The code, so that [`UserData::gender`] takes a [`Gender`] too.
impl AsRef<str> for Gender {
    fn as_ref(&self) -> &str {
        self.code()
    }
}

impl fmt::Display for Gender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A gender as Pinterest hashes it: `f`, `m` or `n`, read from the
/// spellings [`Gender::parse`] knows.
pub fn normalize_gender(value: &str) -> Result<String, UserDataError> {
    Gender::parse(value).map(|g| g.code().to_owned())
}

/// A date of birth as Pinterest hashes it: `YYYYMMDD`, from `YYYY-MM-DD` or
/// `YYYYMMDD` text (`1990-01-15` is `19900115`). The date must exist
/// (`1990-02-30` is an error); other forms (`01/15/1990`, `15.01.1990`) are
/// errors, since the order of day and month cannot be told. A
/// [`NaiveDate`] goes through [`format_date_of_birth`].
pub fn normalize_date_of_birth(value: &str) -> Result<String, UserDataError> {
    const FIELD: &str = "db";
    let text = trim(value);
    if text.is_empty() {
        return Err(UserDataError::Empty { field: FIELD });
    }
    let digits = match *text.as_bytes() {
        [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] | [y0, y1, y2, y3, m0, m1, d0, d1] => {
            [y0, y1, y2, y3, m0, m1, d0, d1]
        }
        _ => return Err(invalid(FIELD, "is not a date in YYYY-MM-DD or YYYYMMDD form")),
    };
    if !digits.iter().all(u8::is_ascii_digit) {
        return Err(invalid(FIELD, "is not a date in YYYY-MM-DD or YYYYMMDD form"));
    }
    let number = |part: &[u8]| part.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0'));
    let (year, month, day) = (number(&digits[..4]), number(&digits[4..6]), number(&digits[6..]));
    let date = i32::try_from(year)
        .ok()
        .and_then(|year| NaiveDate::from_ymd_opt(year, month, day))
        .ok_or_else(|| invalid(FIELD, "is not a date that exists"))?;
    Ok(format_date_of_birth(date))
}

/// A date as Pinterest hashes a date of birth: `YYYYMMDD`.
pub fn format_date_of_birth(date: NaiveDate) -> String {
    format!("{:04}{:02}{:02}", date.year(), date.month(), date.day())
}

/// A date of birth for [`UserData::date_of_birth`]: a [`NaiveDate`]
/// (`pinterest_sdk::chrono::NaiveDate`, also `models::Date`), or text in
/// `YYYY-MM-DD` or `YYYYMMDD` form (or a SHA-256 digest). Its `Debug` does
/// not show the date.
#[derive(Clone, PartialEq, Eq)]
pub struct DateOfBirth(DateRepr);

#[derive(Clone, PartialEq, Eq)]
enum DateRepr {
    Date(NaiveDate),
    Text(String),
}

impl DateOfBirth {
    /// What is sent: see [`Field::hash`].
    fn hash(&self) -> Result<String, UserDataError> {
        match &self.0 {
            DateRepr::Date(date) => Ok(sha256_hex(&format_date_of_birth(*date))),
            DateRepr::Text(text) => Field::DateOfBirth.hash(text),
        }
    }
}

impl fmt::Debug for DateOfBirth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DateOfBirth([redacted])")
    }
}

impl From<NaiveDate> for DateOfBirth {
    fn from(date: NaiveDate) -> Self {
        DateOfBirth(DateRepr::Date(date))
    }
}

impl From<&NaiveDate> for DateOfBirth {
    fn from(date: &NaiveDate) -> Self {
        DateOfBirth(DateRepr::Date(*date))
    }
}

impl From<&str> for DateOfBirth {
    fn from(text: &str) -> Self {
        DateOfBirth(DateRepr::Text(text.to_owned()))
    }
}

impl From<String> for DateOfBirth {
    fn from(text: String) -> Self {
        DateOfBirth(DateRepr::Text(text))
    }
}

impl From<&String> for DateOfBirth {
    fn from(text: &String) -> Self {
        DateOfBirth(DateRepr::Text(text.clone()))
    }
}

/// A city as Pinterest hashes it: lower case, without whitespace,
/// punctuation or symbols, letters of every script kept (`San Francisco` is
/// `sanfrancisco`, `Saint-Étienne` is `saintétienne`).
///
/// An error when nothing is left.
pub fn normalize_city(value: &str) -> Result<String, UserDataError> {
    let city =
        trim(value).to_lowercase().chars().filter(|c| !c.is_whitespace() && !is_punctuation_or_symbol(*c)).collect();
    non_empty("ct", city)
}

/// A state or region as Pinterest hashes it: its two-letter code, lower
/// case (`CA` is `ca`).
///
/// An error for anything but two ASCII letters: a state's name is not
/// turned into its code (`California` would never match).
pub fn normalize_state(value: &str) -> Result<String, UserDataError> {
    let code = non_empty("st", trim(value).to_ascii_lowercase())?;
    if code.len() == 2 && code.bytes().all(|b| b.is_ascii_lowercase()) {
        Ok(code)
    } else {
        Err(invalid("st", "is not a two-letter state code"))
    }
}

/// A postal code as Pinterest hashes it: lower case, without whitespace or
/// dashes (`SW1A 1AA` is `sw1a1aa`). A US ZIP+4 (`94105-1234`, with a space,
/// or as nine digits) keeps its first five digits (`94105`).
///
/// An error when nothing is left.
pub fn normalize_zip(value: &str) -> Result<String, UserDataError> {
    let text = trim(value);
    let chars: Vec<char> = text.chars().collect();
    if let [zip @ .., sep, a, b, c, d] = chars.as_slice()
        && zip.len() == 5
        && (is_dash(*sep) || sep.is_whitespace())
        && zip.iter().chain([a, b, c, d]).all(char::is_ascii_digit)
    {
        return Ok(zip.iter().collect());
    }
    if text.len() == 9 && text.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(text.get(..5).unwrap_or(text).to_owned());
    }
    let zip = text.to_lowercase().chars().filter(|c| !c.is_whitespace() && !is_dash(*c)).collect();
    non_empty("zp", zip)
}

/// A country as Pinterest hashes it: its two-letter ISO 3166-1 code, lower
/// case (`US` is `us`).
///
/// An error for anything but two ASCII letters: a country's name is not
/// turned into its code.
pub fn normalize_country(value: &str) -> Result<String, UserDataError> {
    let code = non_empty("country", trim(value).to_ascii_lowercase())?;
    if code.len() == 2 && code.bytes().all(|b| b.is_ascii_lowercase()) {
        Ok(code)
    } else {
        Err(invalid("country", "is not a two-letter ISO 3166-1 country code"))
    }
}

/// Your own identifier of the person (a customer or loyalty number), as
/// hashed: trimmed, its case kept.
///
/// An error when nothing is left.
pub fn normalize_external_id(value: &str) -> Result<String, UserDataError> {
    non_empty("external_id", trim(value).to_owned())
}

/// A mobile advertising id (Google's GAID, Apple's IDFA) as hashed: trimmed
/// and lower-cased.
///
/// An error when nothing is left.
pub fn normalize_maid(value: &str) -> Result<String, UserDataError> {
    non_empty("hashed_maids", trim(value).to_lowercase())
}

/// The `user_data` of a conversion event: personal data normalised and
/// hashed as it is added (see the [module](crate::conversions) for the rules), and the
/// values Pinterest takes as they are.
///
/// [`build`](Self::build) (or `TryFrom`) turns it into the model
/// `events/create` sends, and reports the first value that could not be
/// added. `Debug` shows how many values each field holds, not the values.
#[derive(Clone, Default)]
#[must_use]
pub struct UserData {
    hashed: [Vec<String>; HASHED_FIELDS],
    client_ip_address: Option<String>,
    client_user_agent: Option<String>,
    click_id: Option<String>,
    partner_id: Option<String>,
    error: Option<UserDataError>,
}

impl UserData {
    /// Nothing set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a value to a hashed field: normalised and hashed now (or passed
    /// through when it already is a SHA-256 digest). The setters below are
    /// this for one field each; this one suits data whose fields come from
    /// elsewhere, in a loop.
    pub fn add(self, field: Field, value: impl AsRef<str>) -> Self {
        let hashed = field.hash(value.as_ref());
        self.push(field, hashed)
    }

    fn push(mut self, field: Field, hashed: Result<String, UserDataError>) -> Self {
        match hashed {
            Ok(hash) => {
                let list = &mut self.hashed[field.index()];
                if !list.contains(&hash) {
                    list.push(hash);
                }
            }
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
        self
    }

    fn set(mut self, slot: fn(&mut Self) -> &mut Option<String>, value: Result<String, UserDataError>) -> Self {
        match value {
            Ok(value) => *slot(&mut self) = Some(value),
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
        self
    }

    /// Adds an email address (`em`); see [`normalize_email`].
    pub fn email(self, value: impl AsRef<str>) -> Self {
        self.add(Field::Email, value)
    }

    /// Adds a phone number (`ph`), with its country code; see
    /// [`normalize_phone`].
    pub fn phone(self, value: impl AsRef<str>) -> Self {
        self.add(Field::Phone, value)
    }

    /// Adds a first name (`fn`); see [`normalize_first_name`].
    pub fn first_name(self, value: impl AsRef<str>) -> Self {
        self.add(Field::FirstName, value)
    }

    /// Adds a last name (`ln`); see [`normalize_last_name`].
    pub fn last_name(self, value: impl AsRef<str>) -> Self {
        self.add(Field::LastName, value)
    }

    /// Adds a gender (`ge`): a [`Gender`] or one of the spellings
    /// [`Gender::parse`] reads.
    pub fn gender(self, value: impl AsRef<str>) -> Self {
        self.add(Field::Gender, value)
    }

    /// Adds a date of birth (`db`): a [`NaiveDate`], or `YYYY-MM-DD` or
    /// `YYYYMMDD` text; see [`normalize_date_of_birth`].
    pub fn date_of_birth(self, value: impl Into<DateOfBirth>) -> Self {
        let hashed = value.into().hash();
        self.push(Field::DateOfBirth, hashed)
    }

    /// Adds a city (`ct`); see [`normalize_city`].
    pub fn city(self, value: impl AsRef<str>) -> Self {
        self.add(Field::City, value)
    }

    /// Adds a state or region code (`st`); see [`normalize_state`].
    pub fn state(self, value: impl AsRef<str>) -> Self {
        self.add(Field::State, value)
    }

    /// Adds a postal code (`zp`); see [`normalize_zip`].
    pub fn zip(self, value: impl AsRef<str>) -> Self {
        self.add(Field::Zip, value)
    }

    /// Adds a two-letter country code (`country`); see [`normalize_country`].
    pub fn country(self, value: impl AsRef<str>) -> Self {
        self.add(Field::Country, value)
    }

    /// Adds your own identifier of the person (`external_id`); see
    /// [`normalize_external_id`].
    pub fn external_id(self, value: impl AsRef<str>) -> Self {
        self.add(Field::ExternalId, value)
    }

    /// Adds a mobile advertising id (`hashed_maids`); see [`normalize_maid`].
    pub fn maid(self, value: impl AsRef<str>) -> Self {
        self.add(Field::Maid, value)
    }

    /// Sets the client's IP address (`client_ip_address`), IPv4 or IPv6,
    /// sent as given (trimmed). An error when it is not an IP address.
    pub fn client_ip_address(self, value: impl AsRef<str>) -> Self {
        const FIELD: &str = "client_ip_address";
        let ip = trim(value.as_ref());
        let checked = if ip.is_empty() {
            Err(UserDataError::Empty { field: FIELD })
        } else if ip.parse::<std::net::IpAddr>().is_ok() {
            Ok(ip.to_owned())
        } else {
            Err(invalid(FIELD, "is not an IPv4 or IPv6 address"))
        };
        self.set(|u| &mut u.client_ip_address, checked)
    }

    /// Sets the client's user agent (`client_user_agent`), sent as given. An
    /// error when it is blank.
    pub fn client_user_agent(self, value: impl Into<String>) -> Self {
        let value = as_given("client_user_agent", value.into());
        self.set(|u| &mut u.client_user_agent, value)
    }

    /// Sets Pinterest's click id (`click_id`: the `_epik` cookie, or the
    /// `epik` query parameter of the landing page), sent as given. An error
    /// when it is blank.
    pub fn click_id(self, value: impl Into<String>) -> Self {
        let value = as_given("click_id", value.into());
        self.set(|u| &mut u.click_id, value)
    }

    /// Sets a partner's identifier of the visitor (`partner_id`, e.g. a
    /// RampID), sent as given. An error when it is blank.
    pub fn partner_id(self, value: impl Into<String>) -> Self {
        let value = as_given("partner_id", value.into());
        self.set(|u| &mut u.partner_id, value)
    }

    /// The values a hashed field will send, in the order they were added.
    pub fn hashes(&self, field: Field) -> &[String] {
        &self.hashed[field.index()]
    }

    /// The `user_data` model for an event.
    ///
    /// An error when a value could not be added (the first such one), or
    /// when none of an email, a mobile advertising id, or the IP address
    /// with the user agent was set.
    pub fn build(self) -> Result<ConversionEventsUserData, UserDataError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let has = |field: Field| !self.hashed[field.index()].is_empty();
        let (by_email, by_maid) = (has(Field::Email), has(Field::Maid));
        if !by_email && !by_maid && (self.client_ip_address.is_none() || self.client_user_agent.is_none()) {
            return Err(UserDataError::NoIdentifier);
        }
        let list = |values: Vec<String>| (!values.is_empty()).then_some(values);
        let [em, ph, fn_, ln, ge, db, ct, st, zp, country, external_id, hashed_maids] = self.hashed;
        let mut p = ConversionEventsUserDataProperties::new();
        p.em = list(em);
        p.ph = list(ph);
        p.fn_ = list(fn_);
        p.ln = list(ln);
        p.ge = list(ge);
        p.db = list(db);
        p.ct = list(ct);
        p.st = list(st);
        p.zp = list(zp);
        p.country = list(country);
        p.external_id = list(external_id);
        p.hashed_maids = list(hashed_maids);
        p.client_ip_address = self.client_ip_address;
        p.client_user_agent = self.client_user_agent;
        p.click_id = self.click_id;
        p.partner_id = self.partner_id;
        // The variants differ only in which identifier the spec requires;
        // all three are sent the same way.
        Ok(if by_email {
            ConversionEventsUserData::ConversionEventsUserDataProperties(p)
        } else if by_maid {
            ConversionEventsUserData::ConversionEventsUserDataProperties2(p)
        } else {
            ConversionEventsUserData::ConversionEventsUserDataProperties3(p)
        })
    }
}

fn as_given(field: &'static str, value: String) -> Result<String, UserDataError> {
    if trim(&value).is_empty() { Err(UserDataError::Empty { field }) } else { Ok(value) }
}

impl TryFrom<UserData> for ConversionEventsUserData {
    type Error = UserDataError;
    fn try_from(user: UserData) -> Result<Self, Self::Error> {
        user.build()
    }
}

impl fmt::Debug for UserData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Count(usize);
        impl fmt::Debug for Count {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{} hashed", self.0)
            }
        }
        struct Redacted;
        impl fmt::Debug for Redacted {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("[redacted]")
            }
        }
        let mut d = f.debug_struct("UserData");
        for field in Field::ALL {
            let n = self.hashed[field.index()].len();
            if n > 0 {
                d.field(field.key(), &Count(n));
            }
        }
        for (name, value) in [
            ("client_ip_address", &self.client_ip_address),
            ("client_user_agent", &self.client_user_agent),
            ("click_id", &self.click_id),
            ("partner_id", &self.partner_id),
        ] {
            if value.is_some() {
                d.field(name, &Redacted);
            }
        }
        if let Some(e) = &self.error {
            d.field("error", e);
        }
        d.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(data: ConversionEventsUserData) -> ConversionEventsUserDataProperties {
        match data {
            ConversionEventsUserData::ConversionEventsUserDataProperties(p)
            | ConversionEventsUserData::ConversionEventsUserDataProperties2(p)
            | ConversionEventsUserData::ConversionEventsUserDataProperties3(p) => p,
            other => panic!("unexpected shape {other:?}"),
        }
    }

    #[test]
    fn sha256_known_vectors() {
        assert_eq!(sha256_hex("hello"), "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
        assert_eq!(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(sha256_hex("zoë"), "2752b88686847fa5c86f47b94ce652b7b3f22a91c37617d451a4db9afa431450");
        assert!(is_sha256_hex(&sha256_hex("x")));
        assert!(!is_sha256_hex("hello"));
        assert!(!is_sha256_hex(&"g".repeat(64)));
        assert!(!is_sha256_hex(&"a".repeat(63)));
    }

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(normalize_email("  John.Doe@Example.COM ").unwrap(), "john.doe@example.com");
        assert_eq!(normalize_email("\u{feff}\tjohn.doe+tag@gmail.com\u{200b}\n").unwrap(), "john.doe+tag@gmail.com");
        assert_eq!(normalize_email("ÜSER@Bücher.DE").unwrap(), "üser@bücher.de");
        assert_eq!(
            Field::Email.hash("  John.Doe@Example.COM ").unwrap(),
            "836f82db99121b3481011f16b49dfa5fbc714a0d1b1b9f784a1ebbbf5b39577f"
        );
    }

    #[test]
    fn bad_emails_are_errors() {
        assert_eq!(normalize_email("   "), Err(UserDataError::Empty { field: "em" }));
        for bad in ["john.doe", "@example.com", "john@", "john doe@example.com"] {
            assert!(matches!(normalize_email(bad), Err(UserDataError::Invalid { field: "em", .. })), "{bad}");
        }
    }

    #[test]
    fn phones_become_digits_with_the_country_code() {
        assert_eq!(normalize_phone("+1 (555) 010-9999").unwrap(), "15550109999");
        assert_eq!(normalize_phone("00 44 20 7946 0958").unwrap(), "442079460958");
        assert_eq!(normalize_phone("+44 20.7946.0958").unwrap(), "442079460958");
        assert_eq!(normalize_phone("+44 (0)20 7946 0958").unwrap(), "442079460958");
        assert_eq!(normalize_phone("\u{ff0b}\u{ff14}\u{ff14} 20 7946 0958").unwrap(), "442079460958");
        assert_eq!(normalize_phone("+٩٧١ ٥٠ ١٢٣ ٤٥٦٧").unwrap(), "971501234567");
        assert_eq!(
            Field::Phone.hash("+1 (555) 010-9999").unwrap(),
            "91a02cd9e0fdea8309e2361e0c1d2eb133b283c1cc08d5562185d25a613783af"
        );
    }

    #[test]
    fn bad_phones_are_errors() {
        for empty in ["", "  ", "+", "()--", "000"] {
            assert_eq!(normalize_phone(empty), Err(UserDataError::Empty { field: "ph" }), "{empty:?}");
        }
        for bad in ["+1 555 010 9999 ext. 12", "1-800-FLOWERS", "+1 555 ²", "1234567890123456"] {
            assert!(matches!(normalize_phone(bad), Err(UserDataError::Invalid { field: "ph", .. })), "{bad}");
        }
    }

    #[test]
    fn names_keep_letters_of_every_script() {
        assert_eq!(normalize_first_name("  Zoë ").unwrap(), "zoë");
        assert_eq!(
            Field::FirstName.hash("  Zoë ").unwrap(),
            "2752b88686847fa5c86f47b94ce652b7b3f22a91c37617d451a4db9afa431450"
        );
        // Lower case, as the spec asks, and nothing more.
        assert_eq!(normalize_last_name("O'Brien").unwrap(), "o'brien");
        assert_eq!(normalize_first_name("Jean-Luc").unwrap(), "jean-luc");
        assert_eq!(normalize_first_name(" Mary \t Ann ").unwrap(), "mary ann");
        assert_eq!(normalize_first_name("ΣΟΦΊΑ").unwrap(), "σοφία");
        assert_eq!(normalize_last_name("Müller-Lüdenscheidt").unwrap(), "müller-lüdenscheidt");
        assert_eq!(normalize_last_name("佐々木").unwrap(), "佐々木");
        assert_eq!(normalize_first_name("लक्ष्मी").unwrap(), "लक्ष्मी");
        assert_eq!(normalize_first_name("Zoe\u{308}").unwrap(), "zoe\u{308}");
    }

    #[test]
    fn names_of_only_punctuation_are_errors() {
        assert_eq!(normalize_first_name(" \t "), Err(UserDataError::Empty { field: "fn" }));
        assert_eq!(normalize_last_name(""), Err(UserDataError::Empty { field: "ln" }));
    }

    #[test]
    fn gender_spellings() {
        for (input, code) in [
            ("f", "f"),
            ("F", "f"),
            (" Female ", "f"),
            ("WOMAN", "f"),
            ("m", "m"),
            ("Male", "m"),
            ("man", "m"),
            ("n", "n"),
            ("NB", "n"),
            ("non-binary", "n"),
            ("Non Binary", "n"),
            ("nonbinary", "n"),
            ("non_binary", "n"),
            ("enby", "n"),
        ] {
            assert_eq!(normalize_gender(input).unwrap(), code, "{input}");
        }
        assert_eq!(Field::Gender.hash("female").unwrap(), sha256_hex("f"));
        assert_eq!(normalize_gender(Gender::NonBinary.as_ref()).unwrap(), "n");
        assert_eq!("male".parse::<Gender>(), Ok(Gender::Male));
        for unknown in ["unknown", "x", "other", "prefer not to say", "femme", "w"] {
            assert!(matches!(normalize_gender(unknown), Err(UserDataError::Invalid { field: "ge", .. })), "{unknown}");
        }
        assert_eq!(normalize_gender(" "), Err(UserDataError::Empty { field: "ge" }));
    }

    #[test]
    fn dates_of_birth() {
        assert_eq!(normalize_date_of_birth("1990-01-15").unwrap(), "19900115");
        assert_eq!(normalize_date_of_birth(" 19900115 ").unwrap(), "19900115");
        assert_eq!(normalize_date_of_birth("2000-02-29").unwrap(), "20000229");
        let date = NaiveDate::from_ymd_opt(1990, 1, 15).unwrap();
        assert_eq!(format_date_of_birth(date), "19900115");
        let from_date = UserData::new().date_of_birth(date);
        let from_text = UserData::new().date_of_birth("1990-01-15").date_of_birth(String::from("19900115"));
        assert_eq!(from_date.hashes(Field::DateOfBirth), [sha256_hex("19900115")]);
        assert_eq!(from_text.hashes(Field::DateOfBirth), from_date.hashes(Field::DateOfBirth));
        for bad in
            ["1990-02-30", "1990-13-01", "01/15/1990", "15.01.1990", "1990-1-15", "199001150", "1990011a", "abcd-01-15"]
        {
            assert!(matches!(normalize_date_of_birth(bad), Err(UserDataError::Invalid { field: "db", .. })), "{bad}");
        }
        assert_eq!(normalize_date_of_birth(""), Err(UserDataError::Empty { field: "db" }));
    }

    #[test]
    fn addresses() {
        assert_eq!(normalize_city("  San Francisco ").unwrap(), "sanfrancisco");
        assert_eq!(normalize_city("Saint-Étienne").unwrap(), "saintétienne");
        assert_eq!(normalize_city("St. Louis").unwrap(), "stlouis");
        assert_eq!(normalize_city("東京").unwrap(), "東京");
        assert_eq!(normalize_city(" - "), Err(UserDataError::Empty { field: "ct" }));
        assert_eq!(normalize_state(" CA ").unwrap(), "ca");
        assert_eq!(normalize_state(""), Err(UserDataError::Empty { field: "st" }));
        for bad in ["California", "C", "C4", "ÇA"] {
            assert!(matches!(normalize_state(bad), Err(UserDataError::Invalid { field: "st", .. })), "{bad}");
        }
        assert_eq!(normalize_country(" US ").unwrap(), "us");
        for bad in ["USA", "United States", "u", "1a"] {
            assert!(matches!(normalize_country(bad), Err(UserDataError::Invalid { field: "country", .. })), "{bad}");
        }
    }

    #[test]
    fn zip_codes() {
        assert_eq!(normalize_zip("94105").unwrap(), "94105");
        assert_eq!(normalize_zip(" 94105-1234 ").unwrap(), "94105");
        assert_eq!(normalize_zip("94105 1234").unwrap(), "94105");
        assert_eq!(normalize_zip("94105–1234").unwrap(), "94105");
        assert_eq!(normalize_zip("SW1A 1AA").unwrap(), "sw1a1aa");
        assert_eq!(normalize_zip("1010-123").unwrap(), "1010123");
        assert_eq!(normalize_zip("941051234").unwrap(), "94105");
        assert_eq!(normalize_zip(" - "), Err(UserDataError::Empty { field: "zp" }));
        assert_eq!(
            Field::Zip.hash("94105-1234").unwrap(),
            "e73ac16e69f060ee98b0fda5f66f48c4648ee26950e9bab3a097389853fd859e"
        );
    }

    #[test]
    fn ids_are_trimmed() {
        assert_eq!(normalize_external_id("  Customer-42 ").unwrap(), "Customer-42");
        assert_eq!(
            normalize_maid(" 38400000-8CF0-11BD-B23E-10B96E40000D ").unwrap(),
            "38400000-8cf0-11bd-b23e-10b96e40000d"
        );
        assert_eq!(normalize_external_id(" "), Err(UserDataError::Empty { field: "external_id" }));
        assert_eq!(normalize_maid(""), Err(UserDataError::Empty { field: "hashed_maids" }));
    }

    #[test]
    fn hashes_are_passed_through_in_lower_case() {
        let hash = sha256_hex("john.doe@example.com");
        let upper = format!("  {} ", hash.to_uppercase());
        for field in Field::ALL {
            assert_eq!(field.hash(&upper).unwrap(), hash, "{field}");
        }
        let user = UserData::new().email(&upper).date_of_birth(hash.as_str()).maid(&hash);
        assert_eq!(user.hashes(Field::Email), [hash.as_str()]);
        assert_eq!(user.hashes(Field::DateOfBirth), [hash.as_str()]);
        assert_eq!(user.hashes(Field::Maid), [hash.as_str()]);
    }

    #[test]
    fn builder_collects_lists_and_converts() {
        let data = UserData::new()
            .email("  John.Doe@Example.COM ")
            .email("john.doe@example.com")
            .email("jane@example.com")
            .phone("+1 (555) 010-9999")
            .first_name("  Zoë ")
            .last_name("O'Brien")
            .gender(Gender::Female)
            .date_of_birth("1990-01-15")
            .city("San Francisco")
            .state("CA")
            .zip("94105-1234")
            .country("US")
            .external_id("customer-42")
            .maid("38400000-8CF0-11BD-B23E-10B96E40000D")
            .client_ip_address(" 203.0.113.7 ")
            .client_user_agent("Mozilla/5.0")
            .click_id("dj0yJnU9")
            .partner_id("ramp-1");
        assert_eq!(data.hashes(Field::Email).len(), 2);
        let built = data.clone().build().unwrap();
        assert!(matches!(built, ConversionEventsUserData::ConversionEventsUserDataProperties(_)));
        assert_eq!(ConversionEventsUserData::try_from(data).unwrap(), built);
        let p = props(built);
        assert_eq!(p.em, Some(vec![sha256_hex("john.doe@example.com"), sha256_hex("jane@example.com")]));
        assert_eq!(p.ph, Some(vec![sha256_hex("15550109999")]));
        assert_eq!(p.fn_, Some(vec![sha256_hex("zoë")]));
        assert_eq!(p.ln, Some(vec![sha256_hex("o'brien")]));
        assert_eq!(p.ge, Some(vec![sha256_hex("f")]));
        assert_eq!(p.db, Some(vec![sha256_hex("19900115")]));
        assert_eq!(p.ct, Some(vec![sha256_hex("sanfrancisco")]));
        assert_eq!(p.st, Some(vec![sha256_hex("ca")]));
        assert_eq!(p.zp, Some(vec![sha256_hex("94105")]));
        assert_eq!(p.country, Some(vec![sha256_hex("us")]));
        assert_eq!(p.external_id, Some(vec![sha256_hex("customer-42")]));
        assert_eq!(p.hashed_maids, Some(vec![sha256_hex("38400000-8cf0-11bd-b23e-10b96e40000d")]));
        assert_eq!(p.client_ip_address.as_deref(), Some("203.0.113.7"));
        assert_eq!(p.client_user_agent.as_deref(), Some("Mozilla/5.0"));
        assert_eq!(p.click_id.as_deref(), Some("dj0yJnU9"));
        assert_eq!(p.partner_id.as_deref(), Some("ramp-1"));
    }

    #[test]
    fn wire_shape_uses_pinterest_keys() {
        let data = UserData::new().email("a@b.c").first_name("Zoë").build().unwrap();
        let json = serde_json::to_value(&data).unwrap();
        let expected = serde_json::json!({ "em": [sha256_hex("a@b.c")], "fn": [sha256_hex("zoë")] });
        assert_eq!(json, expected);
    }

    #[test]
    fn an_identifier_is_required() {
        assert_eq!(UserData::new().build(), Err(UserDataError::NoIdentifier));
        let no_id = UserData::new().first_name("Zoë").phone("+1 555 010 9999").client_ip_address("203.0.113.7");
        assert_eq!(no_id.build(), Err(UserDataError::NoIdentifier));
        let by_maid = UserData::new().maid("38400000-8cf0-11bd-b23e-10b96e40000d").build().unwrap();
        assert!(matches!(by_maid, ConversionEventsUserData::ConversionEventsUserDataProperties2(_)));
        let by_ip = UserData::new().client_ip_address("2001:db8::1").client_user_agent("Mozilla/5.0").build().unwrap();
        assert!(matches!(by_ip, ConversionEventsUserData::ConversionEventsUserDataProperties3(_)));
        let e: Error = UserDataError::NoIdentifier.into();
        assert!(matches!(e, Error::UserData(UserDataError::NoIdentifier)) && e.is_refused_locally(), "{e}");
    }

    #[test]
    fn the_first_bad_value_fails_the_build() {
        let data = UserData::new().email("john@example.com").gender("unknown").phone("").country("United States");
        let err = data.build().unwrap_err();
        assert_eq!(err.field(), Some("ge"));
        let e: Error = err.into();
        assert!(matches!(&e, Error::UserData(u) if u.field() == Some("ge")) && e.is_refused_locally());
        // The source carries the field, and the chain never the value.
        let source = std::error::Error::source(&e).map(ToString::to_string).unwrap_or_default();
        assert!(source.contains("ge") && !source.contains("unknown"), "{source}");
        assert!(matches!(
            UserData::new().email("john@example.com").client_ip_address("203.0.113").build(),
            Err(UserDataError::Invalid { field: "client_ip_address", .. })
        ));
        assert_eq!(
            UserData::new().email("john@example.com").client_user_agent("  ").build(),
            Err(UserDataError::Empty { field: "client_user_agent" })
        );
        assert_eq!(
            UserData::new().email("john@example.com").email(" ").build(),
            Err(UserDataError::Empty { field: "em" })
        );
    }

    #[test]
    fn debug_and_errors_show_no_personal_data() {
        let data = UserData::new()
            .email("secret.person@example.com")
            .email("other.person@example.com")
            .first_name("Zoë")
            .date_of_birth(NaiveDate::from_ymd_opt(1990, 1, 15).unwrap())
            .client_ip_address("203.0.113.7")
            .client_user_agent("SecretAgent/1.0")
            .click_id("secret-click")
            .gender("secretgender");
        let shown = format!("{data:?}");
        for raw in ["secret", "example.com", "Zoë", "zoë", "1990", "203.0.113.7", "SecretAgent"] {
            assert!(!shown.contains(raw), "{raw} in {shown}");
        }
        assert!(!shown.contains(&sha256_hex("secret.person@example.com")), "{shown}");
        assert!(shown.contains("em: 2 hashed") && shown.contains("client_ip_address: [redacted]"), "{shown}");
        let err = data.build().unwrap_err();
        assert!(!err.to_string().contains("secret") && !format!("{err:?}").contains("secret"));
        let dob = DateOfBirth::from("1990-01-15");
        assert_eq!(format!("{dob:?}"), "DateOfBirth([redacted])");
    }
}
