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
            /// Only parsing creates it: a known value always becomes its variant.
            Unknown(crate::types::UnknownValue),
        }

        impl $name {
            /// Every value the spec lists, in its order.
            pub const VALUES: &'static [&'static str] = &[$($value),*];

            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $value,)*
                    Self::Unknown(other) => other.text_or_empty(),
                }
            }
        }

        /// Parses a value: a known one becomes its variant, any other [`Self::Unknown`].
        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $($value => Self::$variant,)*
                    other => Self::Unknown(crate::types::UnknownValue::text(other.to_owned())),
                }
            }
        }

        /// Parses a value: a known one becomes its variant, any other [`Self::Unknown`].
        impl From<String> for $name {
            fn from(value: String) -> Self {
                match Self::from(value.as_str()) {
                    Self::Unknown(_) => Self::Unknown(crate::types::UnknownValue::text(value)),
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
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $(#[doc = concat!("`", stringify!($value), "`")] $variant,)*
            /// A value this version of the SDK does not know, kept as sent.
            /// Only parsing creates it: a known value always becomes its variant.
            Unknown(crate::types::UnknownValue),
        }

        impl $name {
            /// Every value the spec lists, in its order.
            pub const VALUES: &'static [i64] = &[$($value),*];

            /// The value as sent on the wire.
            pub fn value(&self) -> i64 {
                match self {
                    $(Self::$variant => $value,)*
                    Self::Unknown(other) => other.as_i64().unwrap_or_default(),
                }
            }
        }

        /// Parses a value: a known one becomes its variant, any other [`Self::Unknown`].
        impl From<i64> for $name {
            fn from(value: i64) -> Self {
                match value {
                    $($value => Self::$variant,)*
                    other => Self::Unknown(crate::types::UnknownValue::integer(other)),
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
            /// Only decoding creates it.
            Unknown(crate::types::UnknownVariant),
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

        /// One pass over the object: the entries before the tag are kept
        /// (none when the tag comes first, as Pinterest sends it), then the
        /// variant reads them and the rest of the object straight from the
        /// input. Errors keep their JSON path.
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Visitor;
                impl<'de> serde::de::Visitor<'de> for Visitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str(concat!("an object with a `", $tag, "` field"))
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<$name, A::Error> {
                        let (tag, rest) = crate::macros::TaggedMap::read_tag(map, $tag)?;
                        let rest = serde::de::value::MapAccessDeserializer::new(rest);
                        match tag.as_deref() {
                            $(Some($value) => <$ty as serde::Deserialize>::deserialize(rest).map($name::$variant),)*
                            _ => <serde_json::Value as serde::Deserialize>::deserialize(rest)
                                .map(|v| $name::Unknown(crate::types::UnknownVariant::new(v))),
                        }
                    }
                }
                deserializer.deserialize_map(Visitor)
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

/// `send` and `send_with_meta` (and for paginated operations the streams
/// and iterators) on an operation bound to a client, plus the per-call
/// option setters every operation has.
macro_rules! impl_send {
    ($op:ident) => {
        impl<C> $op<C> {
            call_option_setters!();
        }

        impl<'c> $op<&'c crate::Client> {
            /// Sends the request and decodes the response.
            #[inline]
            pub async fn send(self) -> crate::Result<<Self as crate::operation::Operation>::Output> {
                self.c.execute(&self).await
            }

            /// Sends the request and decodes the response, keeping the
            /// response's request id, status and rate-limit headers.
            #[inline]
            pub async fn send_with_meta(
                self,
            ) -> crate::Result<crate::Response<<Self as crate::operation::Operation>::Output>> {
                self.c.execute_with_meta(&self).await
            }
        }

        impl<'c> $op<&'c crate::blocking::Client> {
            /// Sends the request and decodes the response.
            #[inline]
            pub fn send(self) -> crate::Result<<Self as crate::operation::Operation>::Output> {
                self.c.execute(&self)
            }

            /// Sends the request and decodes the response, keeping the
            /// response's request id, status and rate-limit headers.
            #[inline]
            pub fn send_with_meta(
                self,
            ) -> crate::Result<crate::Response<<Self as crate::operation::Operation>::Output>> {
                self.c.execute_with_meta(&self)
            }
        }
    };
    ($op:ident, paginated) => {
        impl_send!($op);

        impl<'c> $op<&'c crate::Client> {
            /// Streams the items of every page, from the bookmark set on
            /// the operation (the first page when none is set).
            #[inline]
            pub fn stream(self) -> crate::paginate::ItemStream<'c, <Self as crate::operation::Paginated>::Item> {
                crate::paginate::items(self.c, self)
            }

            /// Streams the items of every page from a [`Checkpoint`](crate::paginate::Checkpoint)
            /// taken from an earlier stream (say, before a crash).
            #[inline]
            pub fn stream_from(
                self,
                checkpoint: &crate::paginate::Checkpoint,
            ) -> crate::paginate::ItemStream<'c, <Self as crate::operation::Paginated>::Item> {
                crate::paginate::items_from(self.c, self, checkpoint)
            }

            /// Streams whole pages, from the bookmark set on the operation.
            #[inline]
            pub fn pages(self) -> crate::paginate::PageStream<'c, <Self as crate::operation::Paginated>::Item> {
                crate::paginate::pages(self.c, self)
            }
        }

        impl<'c> $op<&'c crate::blocking::Client> {
            /// Iterates over the items of every page, from the bookmark set
            /// on the operation (the first page when none is set).
            #[inline]
            pub fn iter(self) -> crate::blocking::Items<'c, Self> {
                crate::blocking::Items::new(self.c, self)
            }

            /// Iterates over the items of every page from a
            /// [`Checkpoint`](crate::paginate::Checkpoint) taken from an earlier iterator.
            #[inline]
            pub fn iter_from(self, checkpoint: &crate::paginate::Checkpoint) -> crate::blocking::Items<'c, Self> {
                crate::blocking::Items::from_checkpoint(self.c, self, checkpoint)
            }

            /// Iterates over whole pages, from the bookmark set on the operation.
            #[inline]
            pub fn pages(self) -> crate::blocking::Pages<'c, Self> {
                crate::blocking::Pages::new(self.c, self)
            }
        }
    };
}

/// The per-call option setters, in an `impl` of a type with a `o:
/// CallOptions` field: every operation and `RawRequest` have them.
macro_rules! call_option_setters {
    () => {
        /// Replaces the client's retry policy for this call.
        #[inline]
        pub fn retry(mut self, policy: crate::retry::RetryPolicy) -> Self {
            self.o = self.o.retry(policy);
            self
        }

        /// Replaces the client's total time budget for this call.
        #[inline]
        pub fn total_timeout(mut self, timeout: std::time::Duration) -> Self {
            self.o = self.o.total_timeout(timeout);
            self
        }

        /// No total time budget for this call (each attempt keeps its timeout).
        #[inline]
        pub fn no_total_timeout(mut self) -> Self {
            self.o = self.o.no_total_timeout();
            self
        }

        /// Replaces the client's per-attempt timeout for this call.
        #[inline]
        pub fn attempt_timeout(mut self, timeout: std::time::Duration) -> Self {
            self.o = self.o.attempt_timeout(timeout);
            self
        }

        /// Replaces the client's cap on the response body for this call, in bytes.
        #[inline]
        pub fn max_response_bytes(mut self, limit: u64) -> Self {
            self.o = self.o.max_response_bytes(limit);
            self
        }

        /// Turns the check of the token's scopes before sending on or off for this call.
        #[inline]
        pub fn check_scopes(mut self, on: bool) -> Self {
            self.o = self.o.check_scopes(on);
            self
        }

        /// Replaces all per-call options at once.
        #[inline]
        pub fn call_options(mut self, options: crate::operation::CallOptions) -> Self {
            self.o = options;
            self
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

/// The object of a tagged union, read up to its tag: the entries before the
/// tag (buffered as values) and the tag entry are replayed, then the rest
/// comes from the underlying map. Used by `tagged_union!`.
pub(crate) struct TaggedMap<A> {
    replay: std::vec::IntoIter<(String, serde_json::Value)>,
    pending: Option<(String, serde_json::Value)>,
    rest: Option<A>,
}

impl<'de, A: serde::de::MapAccess<'de>> TaggedMap<A> {
    /// Reads entries until `tag`; returns its value when it is a string.
    pub(crate) fn read_tag(mut map: A, tag: &str) -> Result<(Option<String>, Self), A::Error> {
        let mut seen = Vec::with_capacity(1);
        while let Some(key) = map.next_key::<String>()? {
            let value: serde_json::Value = map.next_value()?;
            if key == tag {
                let name = value.as_str().map(str::to_owned);
                seen.push((key, value));
                return Ok((name, TaggedMap { replay: seen.into_iter(), pending: None, rest: Some(map) }));
            }
            seen.push((key, value));
        }
        Ok((None, TaggedMap { replay: seen.into_iter(), pending: None, rest: None }))
    }
}

impl<'de, A: serde::de::MapAccess<'de>> serde::de::MapAccess<'de> for TaggedMap<A> {
    type Error = A::Error;

    fn next_key_seed<K: serde::de::DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        if let Some((key, value)) = self.replay.next() {
            let seed = seed.deserialize(serde::de::value::StrDeserializer::<A::Error>::new(&key)).map(Some);
            self.pending = Some((key, value));
            return seed;
        }
        match self.rest.as_mut() {
            Some(map) => map.next_key_seed(seed),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: serde::de::DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        if let Some((key, value)) = self.pending.take() {
            return seed
                .deserialize(value)
                .map_err(|e| <A::Error as serde::de::Error>::custom(format_args!("{key}: {e}")));
        }
        match self.rest.as_mut() {
            Some(map) => map.next_value_seed(seed),
            None => Err(<A::Error as serde::de::Error>::custom("a value without a key")),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    pub struct Image {
        pub media_type: Option<String>,
        pub width: Option<u32>,
        pub url: Option<String>,
    }

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    pub struct Video {
        pub media_type: Option<String>,
        pub duration: Option<f64>,
    }

    tagged_union! {
        /// A test union.
        Media, "media_type" {
            Image(Image) = "image",
            Video(Video) = "video",
        }
    }

    fn decode(text: &str) -> Result<Media, serde_json::Error> {
        serde_json::from_str(text)
    }

    #[test]
    fn tag_first_middle_or_last_gives_the_same_variant() {
        let want = Media::Image(Image { media_type: Some("image".into()), width: Some(150), url: Some("u".into()) });
        for text in [
            r#"{"media_type":"image","width":150,"url":"u"}"#,
            r#"{"width":150,"media_type":"image","url":"u"}"#,
            r#"{"width":150,"url":"u","media_type":"image"}"#,
        ] {
            assert_eq!(decode(text).unwrap(), want, "{text}");
        }
        assert_eq!(
            decode(r#"{"duration":1.5,"media_type":"video"}"#).unwrap(),
            Media::Video(Video { media_type: Some("video".into()), duration: Some(1.5) })
        );
    }

    #[test]
    fn unknown_missing_or_odd_tags_are_kept_as_sent() {
        for text in [
            r#"{"media_type":"hologram","depth":3}"#,
            r#"{"depth":3}"#,
            r#"{"media_type":null,"depth":3}"#,
            r#"{"media_type":7,"depth":3}"#,
            r#"{}"#,
        ] {
            let m = decode(text).unwrap();
            let want: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(m, Media::Unknown(crate::types::UnknownVariant::new(want)), "{text}");
            assert_eq!(m.tag(), None);
        }
        assert_eq!(Media::TAG, "media_type");
        assert_eq!(decode(r#"{"media_type":"video"}"#).unwrap().tag(), Some("video"));
    }

    #[test]
    fn errors_name_the_path_inside_the_variant() {
        // Read after the tag: straight from the input, with serde's path.
        let text = r#"{"media_type":"image","width":"wide"}"#;
        let mut de = serde_json::Deserializer::from_str(text);
        let e = serde_path_to_error::deserialize::<_, Media>(&mut de).unwrap_err();
        assert_eq!(e.path().to_string(), "width");
        // Read before the tag: replayed, the message names the field.
        let e = decode(r#"{"width":"wide","media_type":"image"}"#).unwrap_err();
        assert!(e.to_string().starts_with("width: invalid type"), "{e}");
        assert!(decode(r#"["image"]"#).is_err());
        assert!(decode(r#"{"media_type":"image""#).is_err());
    }

    #[test]
    fn round_trips_through_serde_json_value_and_back() {
        let m = decode(r#"{"url":"u","media_type":"image"}"#).unwrap();
        let v = serde_json::to_value(&m).unwrap();
        assert_eq!(serde_json::from_value::<Media>(v).unwrap(), m);
    }
}
