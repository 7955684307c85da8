//! The device's own JSON shapes, parsed tolerantly. These types never reach the browser: the
//! panel translates them. One odd list entry (missing field, wrong type, huge number) must not
//! fail the whole list, so each field is captured as a [`Scalar`] and interpreted afterwards.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// One JSON value as the device sent it, reduced to what the panel can use.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Scalar {
    /// The field was absent.
    #[default]
    Missing,
    /// `null`.
    Null,
    /// A string.
    Str(String),
    /// A non-negative integer that fits in 64 bits.
    U64(u64),
    /// A negative integer.
    I64(i64),
    /// A number with a fraction or beyond 64 bits.
    F64(f64),
    /// `true` or `false`.
    Bool(bool),
    /// An array or object where a scalar was expected.
    Nested,
}

impl Scalar {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A boolean, accepting `true`/`false`, the strings `"true"`/`"false"` and the numbers 0/1.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Self::Bool(b) => Some(*b),
            Self::Str(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Self::Str(s) if s.eq_ignore_ascii_case("false") => Some(false),
            Self::U64(0) => Some(false),
            Self::U64(1) => Some(true),
            _ => None,
        }
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar::U64(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
        Ok(u64::try_from(v).map_or(Scalar::I64(v), Scalar::U64))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar::F64(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar::Str(v))
    }
    fn visit_unit<E>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }
    fn visit_none<E>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Scalar, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Nested)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Nested)
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

/// One entry of the device's image list, fields as sent. Unknown fields are ignored, and a
/// field sent twice keeps its last value (one odd row must not fail the whole list).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeviceImage {
    /// Repository name.
    pub name: Scalar,
    /// Tag.
    pub tag: Scalar,
    /// Manifest digest.
    pub digest: Scalar,
    /// The device's timestamp; documented as Unix milliseconds.
    pub timestamp: Scalar,
    /// Size in bytes.
    pub size: Scalar,
}

/// The fields of a list entry the panel reads; anything else is skipped without allocating.
enum ImageField {
    Name,
    Tag,
    Digest,
    Timestamp,
    Size,
    Other,
}

impl<'de> Deserialize<'de> for ImageField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct FieldVisitor;
        impl Visitor<'_> for FieldVisitor {
            type Value = ImageField;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E>(self, v: &str) -> Result<ImageField, E> {
                Ok(match v {
                    "name" => ImageField::Name,
                    "tag" => ImageField::Tag,
                    "digest" => ImageField::Digest,
                    "timestamp" => ImageField::Timestamp,
                    "size" => ImageField::Size,
                    _ => ImageField::Other,
                })
            }
        }
        d.deserialize_identifier(FieldVisitor)
    }
}

impl<'de> Deserialize<'de> for DeviceImage {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ImageVisitor;
        impl<'de> Visitor<'de> for ImageVisitor {
            type Value = DeviceImage;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an image object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DeviceImage, A::Error> {
                let mut image = DeviceImage::default();
                while let Some(field) = map.next_key::<ImageField>()? {
                    let slot = match field {
                        ImageField::Name => &mut image.name,
                        ImageField::Tag => &mut image.tag,
                        ImageField::Digest => &mut image.digest,
                        ImageField::Timestamp => &mut image.timestamp,
                        ImageField::Size => &mut image.size,
                        ImageField::Other => {
                            map.next_value::<IgnoredAny>()?;
                            continue;
                        }
                    };
                    *slot = map.next_value()?;
                }
                Ok(image)
            }
        }
        d.deserialize_map(ImageVisitor)
    }
}

/// The device's image list: the object entries, plus how many entries were not objects.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImageList {
    /// Object entries, in the device's order.
    pub images: Vec<DeviceImage>,
    /// Entries that were `null`, numbers, strings or arrays: nothing to show.
    pub skipped_entries: u32,
}

enum Entry {
    Image(DeviceImage),
    Skipped,
}

impl<'de> Deserialize<'de> for Entry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct EntryVisitor;
        impl<'de> Visitor<'de> for EntryVisitor {
            type Value = Entry;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an image entry")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Entry, A::Error> {
                DeviceImage::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(Entry::Image)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Entry, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Entry::Skipped)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Entry, E> {
                Ok(Entry::Skipped)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Entry, E> {
                Ok(Entry::Skipped)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Entry, E> {
                Ok(Entry::Skipped)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Entry, E> {
                Ok(Entry::Skipped)
            }
            fn visit_str<E>(self, _: &str) -> Result<Entry, E> {
                Ok(Entry::Skipped)
            }
            fn visit_unit<E>(self) -> Result<Entry, E> {
                Ok(Entry::Skipped)
            }
        }
        d.deserialize_any(EntryVisitor)
    }
}

/// Why a 2xx body could not be read as the expected shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShapeError {
    /// Not JSON at all (or invalid UTF-8).
    NotJson,
    /// JSON cut off before its end.
    Truncated,
    /// Valid JSON of another shape.
    WrongShape,
}

fn classify(e: &serde_json::Error) -> ShapeError {
    match e.classify() {
        serde_json::error::Category::Eof => ShapeError::Truncated,
        serde_json::error::Category::Data => ShapeError::WrongShape,
        _ => ShapeError::NotJson,
    }
}

/// Parses the list body: a JSON array of entries, or `null` (read as an empty list).
pub fn parse_image_list(body: &[u8]) -> Result<ImageList, ShapeError> {
    let entries: Option<Vec<Entry>> = serde_json::from_slice(body).map_err(|e| classify(&e))?;
    let mut list = ImageList::default();
    for entry in entries.unwrap_or_default() {
        match entry {
            Entry::Image(image) => list.images.push(image),
            Entry::Skipped => list.skipped_entries = list.skipped_entries.saturating_add(1),
        }
    }
    Ok(list)
}

/// The device's registry info, tolerant of bools sent as strings; unknown fields are dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegistryInfo {
    /// `state`.
    pub state: Option<bool>,
    /// `authState`.
    pub auth_state: Option<bool>,
    /// `proxyState`.
    pub proxy_state: Option<bool>,
    /// `proxyUser`.
    pub proxy_user: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[derive(Default)]
struct RawInfo {
    state: Scalar,
    auth_state: Scalar,
    proxy_state: Scalar,
    proxy_user: Scalar,
}

/// serde's derived structs also accept JSON arrays (by position); the device's objects must be
/// objects, so anything else is refused before deriving.
fn require_object(body: &[u8]) -> Result<(), ShapeError> {
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => Ok(()),
        _ => match serde_json::from_slice::<IgnoredAny>(body) {
            Ok(_) => Err(ShapeError::WrongShape),
            Err(e) => Err(classify(&e)),
        },
    }
}

/// Parses the info body (a JSON object).
pub fn parse_registry_info(body: &[u8]) -> Result<RegistryInfo, ShapeError> {
    require_object(body)?;
    let raw: RawInfo = serde_json::from_slice(body).map_err(|e| classify(&e))?;
    Ok(RegistryInfo {
        state: raw.state.as_bool(),
        auth_state: raw.auth_state.as_bool(),
        proxy_state: raw.proxy_state.as_bool(),
        proxy_user: raw.proxy_user.as_str().map(str::to_owned),
    })
}

/// The `{code, message, messageDetails}` envelope of pull (and some error) answers.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Envelope {
    /// `"S"` for success.
    pub code: Scalar,
    /// Message.
    pub message: Scalar,
    /// Details.
    pub message_details: Scalar,
}

/// Parses an envelope (a JSON object; unknown fields ignored).
pub fn parse_envelope(body: &[u8]) -> Result<Envelope, ShapeError> {
    require_object(body)?;
    serde_json::from_slice(body).map_err(|e| classify(&e))
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
