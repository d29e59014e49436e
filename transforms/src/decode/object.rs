//! The top-level object of a record and typed access to its fields.
//!
//! Every accessor maps a problem to the exact [`InvalidReason`] of EVENTS.md, so the
//! decoders of the envelope and of each event type read as a list of field rules. A field
//! that a decoder asks for, present or not, is *known*; whatever nobody asked for is kept
//! as `extra`, so what counts as known cannot drift from what the decoders check.

use std::borrow::Cow;
use std::collections::HashSet;

use convolens_core::InvalidReason;

use super::field::Field;
use super::json::{JsonValue, Members, last_member, serialize_members};

pub(super) const A_STRING: &str = "a string";
pub(super) const A_BOOLEAN: &str = "a boolean";
pub(super) const A_NUMBER: &str = "a number";
pub(super) const AN_INTEGER: &str = "an integer";

/// Longest enum value quoted back in an [`InvalidReason::UnknownEnumValue`]; the raw record
/// keeps the whole value, the reason only has to say which one it was.
const MAX_QUOTED_CHARS: usize = 64;

/// One member of the top-level object.
pub(super) struct Member<'a> {
    pub(super) key: Cow<'a, str>,
    /// The contract's field this key names, classified once while parsing.
    pub(super) field: Option<Field>,
    /// `None` once a decoder has taken it.
    pub(super) value: Option<JsonValue<'a>>,
}

pub(super) struct Object<'a> {
    /// In input order, duplicates included.
    members: Vec<Member<'a>>,
    /// For each [`Field`], the index of its last member (last wins), or [`ABSENT`].
    last_of: [usize; Field::COUNT],
    /// Bit [`Field::index`] is set once a decoder has asked for the field: present or not,
    /// every member with its name is then known, not extra.
    requested: u64,
}

const ABSENT: usize = usize::MAX;

impl<'a> Object<'a> {
    pub(super) fn new(members: Vec<Member<'a>>) -> Self {
        let mut last_of = [ABSENT; Field::COUNT];
        for (index, member) in members.iter().enumerate() {
            if let Some(field) = member.field {
                last_of[field.index()] = index;
            }
        }
        Object {
            members,
            last_of,
            requested: 0,
        }
    }

    /// Takes the field out, marking it known. With duplicate keys the last one wins (as in
    /// `serde_json::Value` and JavaScript) and the earlier ones are dropped, not kept as
    /// extra. JSON `null` is the same as absent.
    pub(super) fn take(&mut self, field: Field) -> Option<JsonValue<'a>> {
        self.requested |= 1 << field.index();
        let member = self.members.get_mut(self.last_of[field.index()])?;
        member.value.take().filter(|value| *value != JsonValue::Null)
    }

    pub(super) fn required_string(&mut self, field: Field) -> Result<String, InvalidReason> {
        required_string(field.name(), self.take(field))
    }

    pub(super) fn optional_string(&mut self, field: Field) -> Result<Option<String>, InvalidReason> {
        optional_string(field.name(), self.take(field))
    }

    /// A required identifier: a non-empty string of at most `max_chars` characters.
    pub(super) fn required_id(&mut self, field: Field, max_chars: usize) -> Result<String, InvalidReason> {
        let id = self.required_string(field)?;
        check_chars(field.name(), &id, max_chars)?;
        Ok(id)
    }

    /// An optional identifier: if present, a non-empty string of at most `max_chars`.
    pub(super) fn optional_id(&mut self, field: Field, max_chars: usize) -> Result<Option<String>, InvalidReason> {
        match self.take(field) {
            None => Ok(None),
            value => {
                let id = required_string(field.name(), value)?;
                check_chars(field.name(), &id, max_chars)?;
                Ok(Some(id))
            }
        }
    }

    pub(super) fn required_bool(&mut self, field: Field) -> Result<bool, InvalidReason> {
        self.optional_bool(field)?
            .ok_or(InvalidReason::MissingField { field: field.name() })
    }

    pub(super) fn optional_bool(&mut self, field: Field) -> Result<Option<bool>, InvalidReason> {
        match self.take(field) {
            None => Ok(None),
            Some(JsonValue::Bool(flag)) => Ok(Some(flag)),
            Some(_) => Err(InvalidReason::WrongType {
                field: field.name(),
                expected: A_BOOLEAN,
            }),
        }
    }

    /// Any JSON number (serde_json never yields NaN or infinity: such input is not JSON).
    pub(super) fn optional_number(&mut self, field: Field) -> Result<Option<f64>, InvalidReason> {
        self.take(field).map(|value| number(field.name(), &value)).transpose()
    }

    /// A JSON integer, as `i128` so that both the `i64` and the `u64` range fit.
    pub(super) fn optional_integer(&mut self, field: Field) -> Result<Option<i128>, InvalidReason> {
        self.take(field).map(|value| integer(field.name(), &value)).transpose()
    }

    pub(super) fn required_enum<T>(
        &mut self,
        field: Field,
        parse: fn(&str) -> Option<T>,
        allowed: &'static [&'static str],
    ) -> Result<T, InvalidReason> {
        self.optional_enum(field, parse, allowed)?
            .ok_or(InvalidReason::MissingField { field: field.name() })
    }

    pub(super) fn optional_enum<T>(
        &mut self,
        field: Field,
        parse: fn(&str) -> Option<T>,
        allowed: &'static [&'static str],
    ) -> Result<Option<T>, InvalidReason> {
        match self.take(field) {
            None => Ok(None),
            Some(JsonValue::Str(text)) => match parse(&text) {
                Some(parsed) => Ok(Some(parsed)),
                None => Err(InvalidReason::UnknownEnumValue {
                    field: field.name(),
                    value: quoted(&text),
                    allowed,
                }),
            },
            Some(_) => Err(InvalidReason::WrongType {
                field: field.name(),
                expected: A_STRING,
            }),
        }
    }

    /// The members nobody took, as a compact JSON object in input order (`None` if there
    /// are none). Among duplicate keys the last one wins, as for known fields.
    pub(super) fn into_extra(self) -> Option<String> {
        let requested = |field: Option<Field>| field.is_some_and(|f| self.requested & (1 << f.index()) != 0);
        let left: Vec<(&str, &JsonValue<'a>)> = self
            .members
            .iter()
            .filter(|m| !requested(m.field))
            .filter_map(|m| Some((m.key.as_ref(), m.value.as_ref()?)))
            .collect();
        if left.is_empty() {
            return None;
        }
        let left = if left.len() == 1 { left } else { last_of_each_key(left) };
        let mut out = Vec::with_capacity(64);
        let mut serializer = serde_json::Serializer::new(&mut out);
        // Writing string keys and already-parsed values into a Vec cannot fail; if it ever
        // did, losing `extra` is better than losing the event.
        serialize_members(left.into_iter(), &mut serializer).ok()?;
        String::from_utf8(out).ok()
    }
}

/// Keeps the last member of each key, in input order. Linear, so that a record with
/// thousands of keys cannot make decoding quadratic.
fn last_of_each_key<'v, 'a>(members: Vec<(&'v str, &'v JsonValue<'a>)>) -> Vec<(&'v str, &'v JsonValue<'a>)> {
    let mut seen = HashSet::with_capacity(members.len());
    let mut kept: Vec<_> = members.into_iter().rev().filter(|(key, _)| seen.insert(*key)).collect();
    kept.reverse();
    kept
}

pub(super) fn required_string(field: &'static str, value: Option<JsonValue<'_>>) -> Result<String, InvalidReason> {
    match value {
        None => Err(InvalidReason::MissingField { field }),
        Some(JsonValue::Str(text)) if text.is_empty() => Err(InvalidReason::EmptyField { field }),
        Some(JsonValue::Str(text)) => Ok(text.into_owned()),
        Some(_) => Err(InvalidReason::WrongType {
            field,
            expected: A_STRING,
        }),
    }
}

pub(super) fn optional_string(
    field: &'static str,
    value: Option<JsonValue<'_>>,
) -> Result<Option<String>, InvalidReason> {
    match value {
        None => Ok(None),
        Some(JsonValue::Str(text)) => Ok(Some(text.into_owned())),
        Some(_) => Err(InvalidReason::WrongType {
            field,
            expected: A_STRING,
        }),
    }
}

pub(super) fn number(field: &'static str, value: &JsonValue<'_>) -> Result<f64, InvalidReason> {
    value.as_f64().ok_or(InvalidReason::WrongType {
        field,
        expected: A_NUMBER,
    })
}

pub(super) fn integer(field: &'static str, value: &JsonValue<'_>) -> Result<i128, InvalidReason> {
    value.as_integer().ok_or(InvalidReason::WrongType {
        field,
        expected: AN_INTEGER,
    })
}

/// A member of a nested object (a `ranking` entry), with `null` as absent.
pub(super) fn nested<'v, 'a>(members: &'v Members<'a>, name: &str) -> Option<&'v JsonValue<'a>> {
    last_member(members, name).filter(|value| **value != JsonValue::Null)
}

/// Counts characters, not bytes; the byte length bounds the count, which skips the
/// counting for the usual short ids.
pub(super) fn check_chars(field: &'static str, text: &str, max_chars: usize) -> Result<(), InvalidReason> {
    if text.len() > max_chars && text.chars().count() > max_chars {
        return Err(InvalidReason::TooLong {
            field,
            limit: max_chars,
        });
    }
    Ok(())
}

fn quoted(text: &str) -> String {
    match text.char_indices().nth(MAX_QUOTED_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}
