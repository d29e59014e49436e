//! The conversation event of `EVENTS.md`, after decoding and validation.
//!
//! Decoding lives in `convolens-transforms::decode`; here are only the typed values, so
//! that every later stage works on checked data and never on raw JSON.

use crate::time::Timestamp;

/// The schema version this build understands (EVENTS.md `schema_version`).
pub const SUPPORTED_SCHEMA_VERSION: i64 = 1;

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [&'static str] = &[$($text),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum!(
    /// Channel of a conversation.
    Channel { Chat => "chat", Messaging => "messaging", Voice => "voice", Email => "email", Social => "social", Other => "other" }
);
string_enum!(
    /// Who sent a message.
    Actor { Customer => "customer", Bot => "bot", Agent => "agent" }
);
string_enum!(
    /// Why the bot escalated.
    HandoffReason { LowConfidence => "low_confidence", CustomerRequest => "customer_request", Policy => "policy", Error => "error", Other => "other" }
);
string_enum!(
    /// How a conversation ended.
    Disposition { Resolved => "resolved", Unresolved => "unresolved", Abandoned => "abandoned" }
);
string_enum!(
    /// Who ended a conversation.
    EndedBy { Customer => "customer", Bot => "bot", Agent => "agent", System => "system" }
);

/// One entry of an `intent_predicted` ranking.
#[derive(Debug, Clone, PartialEq)]
pub struct RankedIntent {
    pub intent: String,
    pub confidence: f64,
}

/// The type-specific part of an event.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    ConversationStarted {
        locale: Option<String>,
        bot_version: Option<String>,
    },
    Message {
        actor: Actor,
        text: Option<String>,
    },
    IntentPredicted {
        intent: String,
        confidence: f64,
        model: String,
        model_version: Option<String>,
        is_oos: Option<bool>,
        ranking: Option<Vec<RankedIntent>>,
        embedding: Option<Vec<f32>>,
    },
    ToolCall {
        tool: String,
        latency_ms: Option<f64>,
        ok: Option<bool>,
    },
    KbLookup {
        hit: bool,
        article_id: Option<String>,
        score: Option<f64>,
        query: Option<String>,
    },
    HandoffRequested {
        reason: HandoffReason,
        queue: Option<String>,
    },
    AgentAssigned {
        agent_id: String,
    },
    HoldStarted {
        agent_id: Option<String>,
    },
    HoldEnded {
        agent_id: Option<String>,
    },
    AgentReleased {
        agent_id: Option<String>,
    },
    WrapupCompleted {
        agent_id: Option<String>,
    },
    QueueAbandoned,
    ConversationEnded {
        disposition: Disposition,
        ended_by: Option<EndedBy>,
    },
    CsatSubmitted {
        score: u8,
        scale: u8,
        comment: Option<String>,
    },
    IntentLabeled {
        prediction_event_id: String,
        true_intent: String,
        labeler: Option<String>,
    },
    /// An `event_type` this build does not know: landed and counted, ignored by facts.
    Unknown,
}

impl Payload {
    /// Survey answers and labels are joined to a conversation whenever they arrive; they
    /// never reopen it and do not count for `started_at`, `closed_at` or inactivity.
    pub fn is_late_joined(&self) -> bool {
        matches!(self, Payload::CsatSubmitted { .. } | Payload::IntentLabeled { .. })
    }

    /// Whether the event takes part in a conversation's facts (METRICS §1).
    pub fn shapes_facts(&self) -> bool {
        !self.is_late_joined() && !matches!(self, Payload::Unknown)
    }
}

/// A valid event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub event_id: String,
    /// As sent; for known types equal to the payload's type name.
    pub event_type: String,
    pub schema_version: i64,
    pub tenant_id: String,
    pub conversation_id: String,
    pub occurred_at: Timestamp,
    pub customer_id: Option<String>,
    pub channel: Option<Channel>,
    pub seq: Option<u64>,
    pub payload: Payload,
    /// Fields the contract does not list, as a JSON object; kept, never interpreted.
    pub extra: Option<String>,
    /// How many PII spans were redacted from this event's free text.
    pub redactions: u32,
}

impl Event {
    /// The order of events within a conversation (METRICS §1): `occurred_at`, then `seq`
    /// (absent sorts first), then arrival, which the caller supplies.
    pub fn order_key(&self, arrival: u64) -> (Timestamp, u64, u64) {
        (self.occurred_at, self.seq.map_or(0, |s| s.saturating_add(1)), arrival)
    }
}
