//! The OAuth scopes of the Pinterest API.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! scopes {
    ($($variant:ident = $value:literal,)*) => {
        /// An OAuth scope. The 19 scopes of the spec, and [`Scope::Unknown`] for
        /// any other (only parsing creates it: `Scope::parse("pins:read")` is
        /// always [`Scope::PinsRead`]).
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Scope {
            $(#[doc = concat!("`", $value, "`")] $variant,)*
            /// A scope this version of the SDK does not know, kept as sent.
            Unknown(crate::types::UnknownValue),
        }

        impl Scope {
            /// Every known scope.
            pub const ALL: &'static [Scope] = &[$(Scope::$variant,)*];

            /// The scope as Pinterest spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Scope::$variant => $value,)*
                    Scope::Unknown(s) => s.text_or_empty(),
                }
            }

            /// Parses one scope (never fails: unknown ones become [`Scope::Unknown`]).
            pub fn parse(s: &str) -> Scope {
                match s {
                    $($value => Scope::$variant,)*
                    other => Scope::Unknown(crate::types::UnknownValue::text(other.to_owned())),
                }
            }
        }
    };
}

scopes! {
    AdsRead = "ads:read",
    AdsWrite = "ads:write",
    BillingRead = "billing:read",
    BillingWrite = "billing:write",
    BizAccessRead = "biz_access:read",
    BizAccessWrite = "biz_access:write",
    BoardsRead = "boards:read",
    BoardsReadSecret = "boards:read_secret",
    BoardsWrite = "boards:write",
    BoardsWriteSecret = "boards:write_secret",
    CatalogsRead = "catalogs:read",
    CatalogsWrite = "catalogs:write",
    MsotWrite = "msot:write",
    PinsRead = "pins:read",
    PinsReadSecret = "pins:read_secret",
    PinsWrite = "pins:write",
    PinsWriteSecret = "pins:write_secret",
    UserAccountsRead = "user_accounts:read",
    UserAccountsWrite = "user_accounts:write",
}

impl Scope {
    /// Joins scopes the way the authorization URL and token requests take
    /// them: comma separated.
    pub fn join(scopes: &[Scope]) -> String {
        scopes.iter().map(Scope::as_str).collect::<Vec<_>>().join(",")
    }

    /// Splits a scope list; Pinterest answers space separated and takes comma
    /// separated, so both are accepted.
    pub fn split(list: &str) -> Vec<Scope> {
        list.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty()).map(Scope::parse).collect()
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Scope {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Scope::parse(s))
    }
}

impl Serialize for Scope {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(|s| Scope::parse(&s))
    }
}
