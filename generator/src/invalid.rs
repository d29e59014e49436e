//! Deliberately invalid lines, one kind per rule of EVENTS.md "Invalid input".
//!
//! Each is written as a producer bug would write it: usually a real-looking event of the
//! conversation it travels with, broken in exactly one way, so that a dead-letter reason
//! can be checked against the kind.

use crate::event::Conversation;
use crate::json::{ObjectWriter, push_u64};
use crate::rng::SimRng;
use crate::timefmt::{TimeFormat, push_occurred_at};
use crate::world::World;

/// Why a generated line is invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InvalidKind {
    /// Bytes that are not UTF-8 (a Latin-1 producer).
    NotUtf8,
    /// Not JSON: truncated, single-quoted, trailing garbage, plain text.
    NotJson,
    /// JSON that is not an object: an array holding the event, a string, a number.
    NotObject,
    /// Larger than the default 1 MiB limit (rare; see `GeneratorConfig::oversized_every`).
    Oversized,
    /// An envelope field or an event type's required field is absent.
    MissingField,
    /// A required field has the wrong JSON type (`"confidence":"high"`).
    WrongType,
    /// A required string is empty.
    EmptyString,
    /// `event_id` or `conversation_id` longer than 128 characters.
    IdTooLong,
    /// `occurred_at` is not RFC 3339 with an offset nor integer epoch milliseconds.
    UnparseableTime,
    /// `occurred_at` parses but lies outside 1970–2200.
    TimeOutOfRange,
    /// `confidence` outside [0, 1].
    ConfidenceOutOfRange,
    /// CSAT `score` an integer outside 1…`scale`.
    ScoreOutOfRange,
    /// An enum field (`actor`, `channel`, `reason`, `disposition`, `ended_by`) outside its list.
    UnknownEnumValue,
    /// `schema_version` newer than this build knows.
    UnsupportedSchemaVersion,
}

impl InvalidKind {
    /// Every kind.
    pub const ALL: [InvalidKind; 14] = [
        InvalidKind::NotUtf8,
        InvalidKind::NotJson,
        InvalidKind::NotObject,
        InvalidKind::Oversized,
        InvalidKind::MissingField,
        InvalidKind::WrongType,
        InvalidKind::EmptyString,
        InvalidKind::IdTooLong,
        InvalidKind::UnparseableTime,
        InvalidKind::TimeOutOfRange,
        InvalidKind::ConfidenceOutOfRange,
        InvalidKind::ScoreOutOfRange,
        InvalidKind::UnknownEnumValue,
        InvalidKind::UnsupportedSchemaVersion,
    ];

    /// The kinds the generator cycles through at `invalid_rate` (all but `Oversized`,
    /// which is paced separately because one such line weighs as much as 4 000 others).
    pub(crate) const ROTATION: [InvalidKind; 13] = [
        InvalidKind::NotUtf8,
        InvalidKind::NotJson,
        InvalidKind::NotObject,
        InvalidKind::MissingField,
        InvalidKind::WrongType,
        InvalidKind::EmptyString,
        InvalidKind::IdTooLong,
        InvalidKind::UnparseableTime,
        InvalidKind::TimeOutOfRange,
        InvalidKind::ConfidenceOutOfRange,
        InvalidKind::ScoreOutOfRange,
        InvalidKind::UnknownEnumValue,
        InvalidKind::UnsupportedSchemaVersion,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InvalidKind::NotUtf8 => "not_utf8",
            InvalidKind::NotJson => "not_json",
            InvalidKind::NotObject => "not_object",
            InvalidKind::Oversized => "oversized",
            InvalidKind::MissingField => "missing_field",
            InvalidKind::WrongType => "wrong_type",
            InvalidKind::EmptyString => "empty_string",
            InvalidKind::IdTooLong => "id_too_long",
            InvalidKind::UnparseableTime => "unparseable_time",
            InvalidKind::TimeOutOfRange => "time_out_of_range",
            InvalidKind::ConfidenceOutOfRange => "confidence_out_of_range",
            InvalidKind::ScoreOutOfRange => "score_out_of_range",
            InvalidKind::UnknownEnumValue => "unknown_enum_value",
            InvalidKind::UnsupportedSchemaVersion => "unsupported_schema_version",
        }
    }

    /// Whether such a line still names its conversation, so a producer would key it.
    pub(crate) fn is_keyed(self) -> bool {
        !matches!(
            self,
            InvalidKind::NotUtf8 | InvalidKind::NotJson | InvalidKind::NotObject | InvalidKind::Oversized
        )
    }
}

/// Size of an oversized line: comfortably over the 1 MiB default limit.
const OVERSIZED_BYTES: usize = (1 << 20) + 64 * 1024;

/// Where an invalid line comes from: the conversation and time it travels with.
pub(crate) struct InvalidContext<'a> {
    pub world: &'a World,
    pub conversation: &'a Conversation,
    pub at_ms: i64,
    pub number: u64,
}

impl InvalidContext<'_> {
    fn push_id(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"x-");
        out.extend_from_slice(self.world.tag.as_bytes());
        out.push(b'-');
        push_u64(out, self.number);
    }

    /// Envelope fields, each of which the caller may replace with a broken value.
    fn envelope(&self, w: &mut ObjectWriter<'_>, event_type: &str, skip: Envelope) {
        if skip != Envelope::EventId {
            let out = w.key("event_id");
            out.push(b'"');
            self.push_id(out);
            out.push(b'"');
        }
        if skip != Envelope::EventType {
            w.str("event_type", event_type);
        }
        if skip != Envelope::ConversationId {
            let out = w.key("conversation_id");
            out.push(b'"');
            self.world.push_conversation_id(out, self.conversation.index);
            out.push(b'"');
        }
        w.raw_str("tenant_id", self.world.tenant(self.conversation.tenant));
        if skip != Envelope::OccurredAt {
            push_occurred_at(w.key("occurred_at"), self.at_ms, TimeFormat::UtcMillis);
        }
    }
}

/// Which envelope field to leave out (or write separately).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Envelope {
    None,
    EventId,
    EventType,
    ConversationId,
    OccurredAt,
}

pub(crate) fn render_invalid(out: &mut Vec<u8>, kind: InvalidKind, seed: u64, context: &InvalidContext<'_>) {
    let mut rng = SimRng::new(seed);
    match kind {
        InvalidKind::NotUtf8 => not_utf8(out, &mut rng, context),
        InvalidKind::NotJson => not_json(out, &mut rng, context),
        InvalidKind::NotObject => not_object(out, &mut rng, context),
        InvalidKind::Oversized => oversized(out, context),
        _ => broken_object(out, kind, &mut rng, context),
    }
}

fn not_utf8(out: &mut Vec<u8>, rng: &mut SimRng, context: &InvalidContext<'_>) {
    if rng.chance(0.7) {
        // A message event whose text was encoded as Latin-1: é is 0xE9, a lone byte.
        let mut w = ObjectWriter::open(out);
        context.envelope(&mut w, "message", Envelope::None);
        w.str("actor", "customer");
        let text = w.key("text");
        text.extend_from_slice(b"\"Caf\xE9 payment declined, please help \xA3 20\"");
        w.close();
    } else {
        // Binary junk on the topic: bytes from the high half, never a line break.
        for _ in 0..rng.int_between(8, 64) {
            out.push(0x80 | (rng.below(0x7F) as u8));
        }
    }
}

fn not_json(out: &mut Vec<u8>, rng: &mut SimRng, context: &InvalidContext<'_>) {
    let mut full = Vec::with_capacity(200);
    let mut w = ObjectWriter::open(&mut full);
    context.envelope(&mut w, "message", Envelope::None);
    w.str("actor", "customer");
    w.str("text", "hello?");
    w.close();
    match rng.below(5) {
        // Cut off mid-line, as when a producer crashes during a write.
        0 => out.extend_from_slice(&full[..full.len() / 2]),
        // Two events glued together.
        1 => {
            out.extend_from_slice(&full);
            out.extend_from_slice(b" garbage");
        }
        2 => out.extend_from_slice(b"{'event_id': 'x', 'event_type': 'message'}"),
        3 => out.extend_from_slice(b"GET /health HTTP/1.1"),
        _ => {
            // A trailing comma.
            out.extend_from_slice(&full[..full.len() - 1]);
            out.extend_from_slice(b",}");
        }
    }
}

fn not_object(out: &mut Vec<u8>, rng: &mut SimRng, context: &InvalidContext<'_>) {
    match rng.below(4) {
        0 => {
            // A batch API's array sent where one event was expected.
            out.push(b'[');
            let mut w = ObjectWriter::open(out);
            context.envelope(&mut w, "message", Envelope::None);
            w.str("actor", "bot");
            w.str("text", "How can I help?");
            w.close();
            out.push(b']');
        }
        1 => out.extend_from_slice(b"\"conversation_started\""),
        2 => push_u64(out, rng.below(1_000_000) as u64),
        _ => out.extend_from_slice(b"null"),
    }
}

fn oversized(out: &mut Vec<u8>, context: &InvalidContext<'_>) {
    // A message whose text is a pasted log file.
    let mut w = ObjectWriter::open(out);
    context.envelope(&mut w, "message", Envelope::None);
    w.str("actor", "customer");
    let text = w.key("text");
    text.push(b'"');
    let line = b"ERROR 2026-11-20 10:00:00 payment-service timeout after 30000 ms; ";
    while text.len() < OVERSIZED_BYTES {
        text.extend_from_slice(line);
    }
    text.push(b'"');
    w.close();
}

/// A JSON object broken in the way `kind` says.
fn broken_object(out: &mut Vec<u8>, kind: InvalidKind, rng: &mut SimRng, context: &InvalidContext<'_>) {
    let mut w = ObjectWriter::open(out);
    match kind {
        InvalidKind::MissingField => match rng.below(8) {
            0 => {
                context.envelope(&mut w, "message", Envelope::EventId);
                w.str("actor", "customer");
            }
            1 => {
                context.envelope(&mut w, "message", Envelope::EventType);
                w.str("actor", "customer");
            }
            2 => {
                context.envelope(&mut w, "message", Envelope::ConversationId);
                w.str("actor", "customer");
            }
            3 => {
                context.envelope(&mut w, "message", Envelope::OccurredAt);
                w.str("actor", "customer");
            }
            4 => {
                context.envelope(&mut w, "message", Envelope::None);
                w.str("text", "where is my card");
            }
            5 => {
                context.envelope(&mut w, "intent_predicted", Envelope::None);
                w.str("intent", "card_arrival");
                w.str("model", "router");
            }
            6 => {
                context.envelope(&mut w, "conversation_ended", Envelope::None);
                w.str("ended_by", "customer");
            }
            _ => {
                context.envelope(&mut w, "intent_labeled", Envelope::None);
                w.str("true_intent", "card_arrival");
            }
        },
        InvalidKind::WrongType => match rng.below(6) {
            0 => {
                context.envelope(&mut w, "intent_predicted", Envelope::None);
                w.str("intent", "card_arrival");
                w.str("confidence", "high");
                w.str("model", "router");
            }
            1 => {
                context.envelope(&mut w, "kb_lookup", Envelope::None);
                w.str("hit", "yes");
            }
            2 => {
                context.envelope(&mut w, "csat_submitted", Envelope::None);
                w.str("score", "5");
            }
            3 => {
                context.envelope(&mut w, "message", Envelope::EventId);
                w.u64("event_id", context.number);
                w.str("actor", "customer");
            }
            4 => {
                context.envelope(&mut w, "message", Envelope::OccurredAt);
                w.bool("occurred_at", true);
                w.str("actor", "bot");
            }
            _ => {
                context.envelope(&mut w, "agent_assigned", Envelope::None);
                w.u64("agent_id", 17);
            }
        },
        InvalidKind::EmptyString => match rng.below(5) {
            0 => {
                context.envelope(&mut w, "message", Envelope::EventId);
                w.str("event_id", "");
                w.str("actor", "customer");
            }
            1 => {
                context.envelope(&mut w, "message", Envelope::ConversationId);
                w.str("conversation_id", "");
                w.str("actor", "customer");
            }
            2 => {
                context.envelope(&mut w, "intent_predicted", Envelope::None);
                w.str("intent", "");
                w.fixed("confidence", 0.5, 2);
                w.str("model", "router");
            }
            3 => {
                context.envelope(&mut w, "tool_call", Envelope::None);
                w.str("tool", "");
            }
            _ => {
                context.envelope(&mut w, "", Envelope::None);
            }
        },
        InvalidKind::IdTooLong => {
            let long_conversation = rng.chance(0.5);
            let skip = if long_conversation {
                Envelope::ConversationId
            } else {
                Envelope::EventId
            };
            context.envelope(&mut w, "message", skip);
            let out = w.key(if long_conversation {
                "conversation_id"
            } else {
                "event_id"
            });
            out.push(b'"');
            for _ in 0..(129 + rng.below(100)) {
                out.push(b'a' + rng.below(26) as u8);
            }
            out.push(b'"');
            w.str("actor", "customer");
        }
        InvalidKind::UnparseableTime => {
            context.envelope(&mut w, "message", Envelope::OccurredAt);
            let spellings: [&[u8]; 5] = [
                b"\"yesterday\"",
                b"\"2026-11-20T10:00:00\"",
                b"\"2026-13-45T25:61:00Z\"",
                b"\"20/11/2026 10:00\"",
                b"\"\"",
            ];
            w.raw("occurred_at", spellings[rng.below(spellings.len())]);
            w.str("actor", "customer");
        }
        InvalidKind::TimeOutOfRange => {
            context.envelope(&mut w, "message", Envelope::OccurredAt);
            let spellings: [&[u8]; 5] = [
                b"\"1969-12-31T23:59:59.999Z\"",
                b"\"2201-01-01T00:00:00Z\"",
                b"\"9999-12-31T23:59:59Z\"",
                b"-86400000",
                b"7289654400000",
            ];
            w.raw("occurred_at", spellings[rng.below(spellings.len())]);
            w.str("actor", "customer");
        }
        InvalidKind::ConfidenceOutOfRange => {
            context.envelope(&mut w, "intent_predicted", Envelope::None);
            w.str("intent", "card_arrival");
            let values: [&[u8]; 4] = [b"1.5", b"-0.2", b"87", b"1.0001"];
            w.raw("confidence", values[rng.below(values.len())]);
            w.str("model", "router");
        }
        InvalidKind::ScoreOutOfRange => {
            context.envelope(&mut w, "csat_submitted", Envelope::None);
            match rng.below(5) {
                0 => w.u64("score", 0),
                1 => w.u64("score", 6),
                2 => {
                    w.u64("score", 11);
                    w.u64("scale", 10);
                }
                3 => {
                    w.u64("score", 7);
                    w.u64("scale", 5);
                }
                _ => w.raw("score", b"-1"),
            }
        }
        InvalidKind::UnknownEnumValue => match rng.below(5) {
            0 => {
                context.envelope(&mut w, "message", Envelope::None);
                w.str("actor", "robot");
            }
            1 => {
                context.envelope(&mut w, "conversation_started", Envelope::None);
                w.str("channel", "fax");
            }
            2 => {
                context.envelope(&mut w, "handoff_requested", Envelope::None);
                w.str("reason", "bored");
            }
            3 => {
                context.envelope(&mut w, "conversation_ended", Envelope::None);
                w.str("disposition", "done");
            }
            _ => {
                context.envelope(&mut w, "conversation_ended", Envelope::None);
                w.str("disposition", "resolved");
                w.str("ended_by", "alien");
            }
        },
        InvalidKind::UnsupportedSchemaVersion => {
            context.envelope(&mut w, "message", Envelope::None);
            w.u64("schema_version", 99);
            w.str("actor", "customer");
            w.str("text", "Is my card on its way?");
        }
        InvalidKind::NotUtf8 | InvalidKind::NotJson | InvalidKind::NotObject | InvalidKind::Oversized => {
            // Rendered by their own functions; reaching here would be a dispatch slip,
            // and an event without an `event_type` is still invalid.
            context.envelope(&mut w, "message", Envelope::EventType);
        }
    }
    w.close();
}
