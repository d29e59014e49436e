//! A JSON value that borrows its strings from the input.
//!
//! `serde_json::Value` allocates every key and every string; here a string without escapes
//! is a slice of the record, so decoding allocates little more than the output strings.
//! Extra fields are re-serialised from this value, hence the `Serialize` impl.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use super::field::Field;
use super::object::Member;

/// The members of an object, in input order, duplicates included.
pub(super) type Members<'a> = Vec<(Cow<'a, str>, JsonValue<'a>)>;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum JsonValue<'a> {
    Null,
    Bool(bool),
    /// An integer ≥ 0.
    UInt(u64),
    /// An integer < 0.
    NegInt(i64),
    /// A number written with a fraction or an exponent.
    Float(f64),
    Str(Cow<'a, str>),
    Array(Vec<JsonValue<'a>>),
    Object(Members<'a>),
}

impl<'a> JsonValue<'a> {
    /// Any JSON number, integers included.
    pub(super) fn as_f64(&self) -> Option<f64> {
        match *self {
            JsonValue::UInt(n) => Some(n as f64),
            JsonValue::NegInt(n) => Some(n as f64),
            JsonValue::Float(n) => Some(n),
            _ => None,
        }
    }

    /// A JSON integer (never a float, even `5.0`, never a boolean). `i128` holds both the
    /// `u64` and the `i64` range, so callers range-check without caring which it was.
    pub(super) fn as_integer(&self) -> Option<i128> {
        match *self {
            JsonValue::UInt(n) => Some(i128::from(n)),
            JsonValue::NegInt(n) => Some(i128::from(n)),
            _ => None,
        }
    }
}

/// Looks a member up the way `serde_json::Value` and JavaScript do: the last one wins.
pub(super) fn last_member<'v, 'a>(members: &'v Members<'a>, name: &str) -> Option<&'v JsonValue<'a>> {
    members
        .iter()
        .rev()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}

/// The top level of a record: an object's members, or the kind of the non-object found.
/// Arrays at the top level are skipped, not built.
pub(super) enum TopLevel<'a> {
    Object(Vec<Member<'a>>),
    NotAnObject(&'static str),
}

/// How many members a typical event has, so that the member list grows at most once or twice.
const TYPICAL_MEMBERS: usize = 16;

struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(StrVisitor).map(Key)
    }
}

struct StrVisitor;

impl<'de> Visitor<'de> for StrVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

impl<'de> Deserialize<'de> for JsonValue<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = JsonValue<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(JsonValue::Null)
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(JsonValue::Null)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(JsonValue::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(match u64::try_from(v) {
            Ok(unsigned) => JsonValue::UInt(unsigned),
            Err(_) => JsonValue::NegInt(v),
        })
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(JsonValue::UInt(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(JsonValue::Float(v))
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(JsonValue::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(JsonValue::Str(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(JsonValue::Str(Cow::Owned(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(JsonValue::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::new();
        while let Some(Key(key)) = map.next_key()? {
            members.push((key, map.next_value()?));
        }
        Ok(JsonValue::Object(members))
    }
}

impl<'de> Deserialize<'de> for TopLevel<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TopLevelVisitor)
    }
}

struct TopLevelVisitor;

impl<'de> Visitor<'de> for TopLevelVisitor {
    type Value = TopLevel<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(TopLevel::NotAnObject("null"))
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(TopLevel::NotAnObject("null"))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(TopLevel::NotAnObject("a boolean"))
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(TopLevel::NotAnObject("a number"))
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(TopLevel::NotAnObject("a number"))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(TopLevel::NotAnObject("a number"))
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(TopLevel::NotAnObject("a string"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        // Still read to the end: a truncated array must be `NotJson`, not `NotAnObject`.
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(TopLevel::NotAnObject("an array"))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::with_capacity(TYPICAL_MEMBERS);
        while let Some(Key(key)) = map.next_key()? {
            members.push(Member {
                field: Field::of(&key),
                key,
                value: Some(map.next_value()?),
            });
        }
        Ok(TopLevel::Object(members))
    }
}

impl Serialize for JsonValue<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            JsonValue::Null => serializer.serialize_unit(),
            JsonValue::Bool(v) => serializer.serialize_bool(*v),
            JsonValue::UInt(v) => serializer.serialize_u64(*v),
            JsonValue::NegInt(v) => serializer.serialize_i64(*v),
            JsonValue::Float(v) => serializer.serialize_f64(*v),
            JsonValue::Str(v) => serializer.serialize_str(v),
            JsonValue::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            JsonValue::Object(members) => serialize_members(members.iter().map(|(k, v)| (k.as_ref(), v)), serializer),
        }
    }
}

/// Writes `members` as one JSON object, in the order given.
pub(super) fn serialize_members<'v, 'a: 'v, S: Serializer>(
    members: impl ExactSizeIterator<Item = (&'v str, &'v JsonValue<'a>)>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(members.len()))?;
    for (key, value) in members {
        map.serialize_entry(key, value)?;
    }
    map.end()
}
