//! Newtypes for the values that must never leak.
//!
//! Every type here wraps a [`secrecy::SecretString`]: its memory is zeroed on
//! drop, `Debug` prints `[redacted]`, and there is deliberately no `Display`,
//! so a secret cannot end up in a log line, an error message or a URL by
//! accident. Reading the value takes an explicit call to `expose_secret()`.
//!
//! `Serialize`/`Deserialize` are implemented so that token sets can be
//! persisted by a token store; nothing else in the
//! SDK serializes them.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use subtle::ConstantTimeEq;

macro_rules! secret_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone)]
        pub struct $name(SecretString);

        impl $name {
            /// Wraps a secret value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(SecretString::from(value.into()))
            }

            /// Returns the secret. Call this only where the value goes on the
            /// wire or into the token store.
            pub fn expose_secret(&self) -> &str {
                self.0.expose_secret()
            }

            /// Compares two secrets in constant time.
            pub fn ct_eq(&self, other: &Self) -> bool {
                let (a, b) = (self.expose_secret().as_bytes(), other.expose_secret().as_bytes());
                a.len() == b.len() && bool::from(a.ct_eq(b))
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self::new(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self::new(value)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.expose_secret())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer).map(Self::new)
            }
        }
    };
}

secret_type! {
    /// An app's client secret ("app secret key" in Pinterest's developer console).
    ClientSecret
}
secret_type! {
    /// A bearer access token (`pina_...`).
    AccessToken
}
secret_type! {
    /// A refresh token (`pinr_...`). Pinterest rotates these: keep the newest.
    RefreshToken
}
secret_type! {
    /// The one-time authorization code from the OAuth redirect.
    AuthorizationCode
}
secret_type! {
    /// The anti-CSRF `state` value bound to one pending login.
    CsrfState
}
secret_type! {
    /// A PKCE code verifier (RFC 7636).
    PkceVerifier
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let t = AccessToken::new("pina_canary_value");
        let shown = format!("{t:?} {:?}", Some(&t));
        assert!(!shown.contains("canary"), "{shown}");
        assert!(shown.contains("[redacted]"));
    }

    #[test]
    fn serde_round_trip_and_ct_eq() {
        let t = RefreshToken::new("pinr_x");
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, "\"pinr_x\"");
        let back: RefreshToken = serde_json::from_str(&json).unwrap();
        assert!(back.ct_eq(&t));
        assert!(!back.ct_eq(&RefreshToken::new("pinr_y")));
        assert!(!back.ct_eq(&RefreshToken::new("pinr_xx")));
    }
}
