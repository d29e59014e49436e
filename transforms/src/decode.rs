//! Bytes → a validated [`Event`], or the [`InvalidReason`] it is dead-lettered with.
//!
//! Implements EVENTS.md. Where the contract leaves a choice, this module makes it:
//!
//! - **Order of checks.** Size ([`InvalidReason::TooLarge`]), then UTF-8, then JSON, then
//!   "is an object"; then `schema_version` (a newer schema may change everything else), then
//!   the envelope in the contract's order, then the type's fields in the contract's order.
//!   The first problem found is the reason.
//! - **Whitespace.** Leading and trailing ASCII whitespace (`\r` of CRLF files included)
//!   around the JSON is ignored. A byte-order mark is not whitespace: it is `NotJson`.
//! - **Nesting** deeper than serde_json's limit of 128 arrays or objects is `NotJson`, which
//!   also keeps a hostile record from exhausting the stack.
//! - **`null`** means absent, for optional and required fields alike (a required field that
//!   is `null` is [`InvalidReason::MissingField`]).
//! - **Duplicate keys**: the last one wins, as in JavaScript and `serde_json::Value`.
//! - **Strings.** Required strings must be non-empty. `event_id`, `conversation_id` and
//!   `tenant_id` hold at most [`MAX_ID_CHARS`] characters (not bytes). A present optional
//!   field of another type is [`InvalidReason::WrongType`]. `customer_id: ""` is absent;
//!   other empty optional strings are kept as sent.
//! - **Numbers.** An integer field (`schema_version`, `seq`, CSAT `score` and `scale`,
//!   epoch-millisecond `occurred_at`) must be a JSON integer: `5.0` is the wrong type.
//!   `schema_version` < 1 and `seq` < 0 are [`InvalidReason::OutOfRange`].
//! - **`occurred_at`** is an RFC 3339 string with an offset (`Z`/`z`/`±HH:MM`; `T`, `t` or a
//!   space between date and time; a fraction of any length, truncated to microseconds),
//!   converted to UTC, or integer epoch milliseconds; it must lie in
//!   [1970-01-01T00:00:00Z, 2201-01-01T00:00:00Z). No offset is a bad timestamp; a float or
//!   any other JSON type is the wrong type.
//! - **Unknown `event_type`** is valid: [`Payload::Unknown`], none of its fields checked.
//! - **`extra`**: members that neither the envelope nor the event's type lists, as a compact
//!   JSON object in input order (`None` if there are none).
//! - `redactions` is 0: redaction is a separate stage ([`crate::redact`]).

use convolens_core::event::SUPPORTED_SCHEMA_VERSION;
use convolens_core::{Channel, Event, InvalidReason};

mod field;
mod json;
mod object;
mod payload;
mod timestamp;

pub use payload::{MAX_EMBEDDING_LEN, MAX_TEXT_BYTES};

use field::Field;
use json::TopLevel;
use object::Object;

/// Longest `event_id`, `conversation_id` and `tenant_id`, in characters.
pub const MAX_ID_CHARS: usize = 128;
/// `tenant_id` of an event that does not name one.
pub const DEFAULT_TENANT: &str = "default";
/// Default of [`DecodeLimits::max_event_bytes`]: 1 MiB.
pub const DEFAULT_MAX_EVENT_BYTES: usize = 1024 * 1024;

/// Limits on a single record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Larger records are [`InvalidReason::TooLarge`], before any parsing.
    pub max_event_bytes: usize,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits {
            max_event_bytes: DEFAULT_MAX_EVENT_BYTES,
        }
    }
}

impl From<&convolens_core::spec::Limits> for DecodeLimits {
    fn from(limits: &convolens_core::spec::Limits) -> Self {
        DecodeLimits {
            max_event_bytes: limits.max_event_bytes,
        }
    }
}

/// Decodes and validates one record (a Kafka message value or an NDJSON line).
pub fn decode(bytes: &[u8], limits: &DecodeLimits) -> Result<Event, InvalidReason> {
    if bytes.len() > limits.max_event_bytes {
        return Err(InvalidReason::TooLarge {
            bytes: bytes.len(),
            limit: limits.max_event_bytes,
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| InvalidReason::NotUtf8 {
        valid_up_to: e.valid_up_to(),
    })?;
    // `from_str`, not `from_slice`: UTF-8 is checked above, where its error says where.
    let top: TopLevel<'_> =
        serde_json::from_str(text.trim_ascii()).map_err(|e| InvalidReason::NotJson { detail: e.to_string() })?;
    match top {
        TopLevel::Object(members) => decode_object(Object::new(members)),
        TopLevel::NotAnObject(found) => Err(InvalidReason::NotAnObject { found }),
    }
}

fn decode_object(mut obj: Object<'_>) -> Result<Event, InvalidReason> {
    let schema_version = schema_version(&mut obj)?;
    let event_id = obj.required_id(Field::EventId, MAX_ID_CHARS)?;
    let event_type = obj.required_string(Field::EventType)?;
    let conversation_id = obj.required_id(Field::ConversationId, MAX_ID_CHARS)?;
    let tenant_id = obj
        .optional_id(Field::TenantId, MAX_ID_CHARS)?
        .unwrap_or_else(|| DEFAULT_TENANT.to_owned());
    let occurred_at = timestamp::occurred_at(obj.take(Field::OccurredAt))?;
    let customer_id = obj.optional_string(Field::CustomerId)?.filter(|id| !id.is_empty());
    let channel = obj.optional_enum(Field::Channel, Channel::parse, Channel::ALL)?;
    let seq = match obj.optional_integer(Field::Seq)? {
        None => None,
        Some(seq) => {
            Some(u64::try_from(seq).map_err(|_| out_of_range(Field::Seq, format!("{seq} is negative or too large")))?)
        }
    };
    let payload = payload::decode_payload(&event_type, &mut obj)?;
    Ok(Event {
        event_id,
        event_type,
        schema_version,
        tenant_id,
        conversation_id,
        occurred_at,
        customer_id,
        channel,
        seq,
        payload,
        extra: obj.into_extra(),
        redactions: 0,
    })
}

/// Absent means 1. A version above [`SUPPORTED_SCHEMA_VERSION`] is unsupported (a value
/// beyond `i64` is reported as `i64::MAX`); below 1 is out of range.
fn schema_version(obj: &mut Object<'_>) -> Result<i64, InvalidReason> {
    let Some(version) = obj.optional_integer(Field::SchemaVersion)? else {
        return Ok(1);
    };
    if version < 1 {
        return Err(out_of_range(Field::SchemaVersion, format!("{version} is not ≥ 1")));
    }
    let version = i64::try_from(version).unwrap_or(i64::MAX);
    if version > SUPPORTED_SCHEMA_VERSION {
        return Err(InvalidReason::UnsupportedSchemaVersion {
            version,
            supported: SUPPORTED_SCHEMA_VERSION,
        });
    }
    Ok(version)
}

fn out_of_range(field: Field, detail: String) -> InvalidReason {
    InvalidReason::OutOfRange {
        field: field.name(),
        detail,
    }
}
