//! The macros generated code is written in. Keeping the repeated shapes here
//! keeps the generated files short and the behaviour in one place.

/// A string enum of the spec that keeps unknown values.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $value:literal,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $(#[doc = concat!("`", $value, "`")] $variant,)*
            /// A value this version of the SDK does not know, kept as sent.
            Unknown(String),
        }

        impl $name {
            /// Every value the spec lists, in its order.
            pub const VALUES: &'static [&'static str] = &[$($value),*];

            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $value,)*
                    Self::Unknown(other) => other,
                }
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $($value => Self::$variant,)*
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                match Self::from(value.as_str()) {
                    Self::Unknown(_) => Self::Unknown(value),
                    known => known,
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct V;
                impl serde::de::Visitor<'_> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str(concat!("a ", stringify!($name), " string"))
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<$name, E> {
                        Ok($name::from(v))
                    }
                    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<$name, E> {
                        Ok($name::from(v))
                    }
                }
                deserializer.deserialize_str(V)
            }
        }

        impl crate::wire::QueryValue for $name {
            fn to_query(&self) -> std::borrow::Cow<'_, str> {
                std::borrow::Cow::Borrowed(self.as_str())
            }
        }
    };
}

/// A numeric enum of the spec that keeps unknown values.
macro_rules! int_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $value:literal,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $(#[doc = concat!("`", stringify!($value), "`")] $variant,)*
            /// A value this version of the SDK does not know, kept as sent.
            Unknown(i64),
        }

        impl $name {
            /// Every value the spec lists, in its order.
            pub const VALUES: &'static [i64] = &[$($value),*];

            /// The value as sent on the wire.
            pub fn value(self) -> i64 {
                match self {
                    $(Self::$variant => $value,)*
                    Self::Unknown(other) => other,
                }
            }
        }

        impl From<i64> for $name {
            fn from(value: i64) -> Self {
                match value {
                    $($value => Self::$variant,)*
                    other => Self::Unknown(other),
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_i64(self.value())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let n = serde_json::Number::deserialize(deserializer)?;
                match n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15).map(|f| f as i64)) {
                    Some(v) => Ok(Self::from(v)),
                    None => Err(serde::de::Error::custom(format_args!("{n} is not an integer"))),
                }
            }
        }

        impl crate::wire::QueryValue for $name {
            fn to_query(&self) -> std::borrow::Cow<'_, str> {
                std::borrow::Cow::Owned(self.value().to_string())
            }
        }
    };
}

/// A `oneOf` with a discriminator: the variant is chosen by the tag field,
/// which stays inside the variant's value; an unknown tag is kept as JSON.
/// Variants marked `+ add_tag` have no tag field of their own (the spec puts
/// it on the union only); it is added when serializing them.
macro_rules! tagged_union {
    ($(#[$meta:meta])* $name:ident, $tag:literal { $($variant:ident($ty:ty) = $value:literal $(+ $add:ident)?,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq)]
        #[non_exhaustive]
        pub enum $name {
            $(#[doc = concat!("`", $tag, ": ", $value, "`")] $variant($ty),)*
            /// A variant this version of the SDK does not know, kept as sent.
            Unknown(serde_json::Value),
        }

        impl $name {
            /// The name of the field that selects the variant.
            pub const TAG: &'static str = $tag;

            /// The tag value of this variant, when known.
            pub fn tag(&self) -> Option<&'static str> {
                match self {
                    $(Self::$variant(_) => Some($value),)*
                    Self::Unknown(_) => None,
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    $(Self::$variant(v) => tagged_union!(@ser serializer, v, $tag, $value $(, $add)?),)*
                    Self::Unknown(v) => v.serialize(serializer),
                }
            }
        }

        /// Captures the object as raw JSON, reads only the tag, then parses
        /// the variant from the same text: no intermediate `Value` tree.
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                #[derive(serde::Deserialize)]
                struct Tag<'a> {
                    #[serde(rename = $tag, borrow, default)]
                    tag: Option<std::borrow::Cow<'a, str>>,
                }
                let raw = <Box<serde_json::value::RawValue>>::deserialize(deserializer)?;
                let text = raw.get();
                let tag: Tag<'_> = serde_json::from_str(text).map_err(serde::de::Error::custom)?;
                match tag.tag.as_deref() {
                    $(Some($value) => serde_json::from_str(text).map(Self::$variant).map_err(|e| {
                        serde::de::Error::custom(format_args!(concat!("as ", stringify!($ty), ": {}"), e))
                    }),)*
                    _ => serde_json::from_str(text).map(Self::Unknown).map_err(serde::de::Error::custom),
                }
            }
        }
    };
    (@ser $s:ident, $v:ident, $tag:literal, $value:literal) => {
        $v.serialize($s)
    };
    (@ser $s:ident, $v:ident, $tag:literal, $value:literal, $add:ident) => {{
        let mut value = serde_json::to_value($v).map_err(serde::ser::Error::custom)?;
        if let serde_json::Value::Object(map) = &mut value {
            map.entry($tag).or_insert_with(|| serde_json::Value::String($value.to_owned()));
        }
        value.serialize($s)
    }};
}

/// `send` (and for paginated operations `stream`/`pages`/`iter`) on an
/// operation bound to a client, plus per-call option setters.
macro_rules! impl_send {
    ($op:ident) => {
        impl<C> $op<C> {
            /// Replaces the client's retry policy for this call.
            pub fn with_retry(mut self, policy: crate::retry::RetryPolicy) -> Self {
                self.o.retry = Some(policy);
                self
            }

            /// Replaces the client's total time budget for this call.
            pub fn with_total_timeout(mut self, timeout: Option<std::time::Duration>) -> Self {
                self.o.total_timeout = Some(timeout);
                self
            }
        }

        impl<'c> $op<&'c crate::Client> {
            /// Sends the request and decodes the response.
            pub async fn send(self) -> crate::Result<<Self as crate::operation::Operation>::Output> {
                self.c.execute(&self).await
            }
        }

        impl<'c> $op<&'c crate::blocking::Client> {
            /// Sends the request and decodes the response.
            pub fn send(self) -> crate::Result<<Self as crate::operation::Operation>::Output> {
                self.c.execute(&self)
            }
        }
    };
    ($op:ident, paginated) => {
        impl_send!($op);

        impl<'c> $op<&'c crate::Client> {
            /// Streams the items of every page.
            pub fn stream(self) -> crate::paginate::ItemStream<'c, <Self as crate::operation::Paginated>::Item> {
                crate::paginate::items(self.c, self)
            }

            /// Streams whole pages.
            pub fn pages(self) -> crate::paginate::PageStream<'c, <Self as crate::operation::Paginated>::Item> {
                crate::paginate::pages(self.c, self)
            }
        }

        impl<'c> $op<&'c crate::blocking::Client> {
            /// Iterates over the items of every page.
            pub fn iter(self) -> crate::blocking::Items<'c, Self> {
                crate::blocking::Items::new(self.c, self)
            }

            /// Iterates over whole pages.
            pub fn pages(self) -> crate::blocking::Pages<'c, Self> {
                crate::blocking::Pages::new(self.c, self)
            }
        }
    };
}

/// Accessors from both clients to the handle of each tag.
macro_rules! tag_handles {
    ($($(#[$meta:meta])* $method:ident => $handle:ident;)*) => {
        impl crate::Client {
            $($(#[$meta])* pub fn $method(&self) -> $handle<&Self> { $handle::new(self) })*
        }
        impl crate::blocking::Client {
            $($(#[$meta])* pub fn $method(&self) -> $handle<&Self> { $handle::new(self) })*
        }
    };
}
