//! Planned events: the compact, copyable description from which a line is rendered.
//!
//! Pending lines (late surveys and labels may wait days of event time in the arrival
//! heap) are kept in this form rather than as bytes, so memory per pending line is a
//! hundred-odd bytes, and a deliberate duplicate is a copy of the plan that renders to
//! exactly the same bytes.

use convolens_core::{Actor, Channel, Disposition, EndedBy, HandoffReason};

use crate::invalid::InvalidKind;
use crate::pii::PiiKind;
use crate::timefmt::TimeFormat;

/// What every line of one conversation shares: its identity and its producer's habits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Conversation {
    /// Ordinal in start order; ids are derived from it.
    pub index: u64,
    pub tenant: u16,
    /// Number of the customer in the tenant's pool; `None` for anonymous visitors.
    pub customer: Option<u32>,
    pub channel: Channel,
    /// This producer sends `seq`.
    pub sends_seq: bool,
    /// This producer sends `"schema_version":1` explicitly.
    pub sends_schema_version: bool,
    /// This producer repeats `customer_id` on every event, not only the first.
    pub repeats_customer: bool,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct PlannedEvent {
    /// `occurred_at`, epoch milliseconds.
    pub at_ms: i64,
    /// Position in the conversation's event order; the `event_id` suffix and `seq`.
    pub ordinal: u16,
    pub format: TimeFormat,
    /// Carries the conversation's `channel` (its first event does).
    pub carries_channel: bool,
    pub carries_customer: bool,
    pub body: Body,
}

impl PlannedEvent {
    pub(crate) fn new(at_ms: i64, body: Body) -> Self {
        PlannedEvent {
            at_ms,
            ordinal: 0,
            format: TimeFormat::UtcMillis,
            carries_channel: false,
            carries_customer: false,
            body,
        }
    }
}

/// Message text, described rather than stored.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Text {
    /// A Banking77 (or unseen-intent) utterance, optionally with contact details appended.
    Utterance { index: u32, pii: Option<(PiiKind, u32)> },
    /// A fixed phrase (JSON-safe literal).
    Phrase(&'static str),
    /// `prefix + intent display name + suffix`, from the bot or agent template tables.
    About {
        template: &'static (&'static str, &'static str),
        intent: u16,
    },
}

/// One `intent_predicted`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Prediction {
    /// The category of the utterance it was made for (rendered only by labels and
    /// embeddings: the router does not know it).
    pub true_intent: u16,
    pub intent: u16,
    pub confidence: f32,
    pub model_version: &'static str,
    pub is_oos: Option<bool>,
    /// Second and third of the top-3 ranking, when the producer sends a ranking.
    pub runners_up: Option<[(u16, f32); 2]>,
    /// Seed of the embedding noise, when embeddings are on; the centroid is that of the
    /// true intent (what the customer actually wrote), shifted under drift.
    pub embedding: Option<Embedding>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Embedding {
    pub seed: u32,
    pub drifted: bool,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Body {
    Started {
        locale: &'static str,
        bot_version: &'static str,
        platform: Option<&'static str>,
    },
    Message {
        actor: Actor,
        text: Text,
    },
    IntentPredicted(Prediction),
    ToolCall {
        tool: &'static str,
        latency_ms: f32,
        ok: bool,
    },
    KbLookup {
        hit: bool,
        article: Option<u16>,
        score: f32,
        query: Option<u32>,
    },
    HandoffRequested {
        reason: HandoffReason,
        queue: &'static str,
    },
    AgentAssigned {
        agent: u16,
    },
    HoldStarted {
        agent: u16,
    },
    HoldEnded {
        agent: u16,
    },
    AgentReleased {
        agent: u16,
    },
    WrapupCompleted {
        agent: u16,
    },
    QueueAbandoned,
    Ended {
        disposition: Disposition,
        ended_by: EndedBy,
    },
    Csat {
        score: u8,
        scale: u8,
        scale_explicit: bool,
        comment: Option<&'static str>,
    },
    IntentLabeled {
        prediction_ordinal: u16,
        true_intent: u16,
        labeler: &'static str,
    },
    /// An event type this contract version does not know (accepted, ignored by KPIs).
    Unknown {
        event_type: &'static str,
        value: f32,
    },
    /// A deliberately invalid line; `number` makes its id unique, `seed` its details.
    Invalid {
        kind: InvalidKind,
        number: u64,
        seed: u64,
    },
}

impl Body {
    pub(crate) fn event_type(&self) -> &'static str {
        match self {
            Body::Started { .. } => "conversation_started",
            Body::Message { .. } => "message",
            Body::IntentPredicted(_) => "intent_predicted",
            Body::ToolCall { .. } => "tool_call",
            Body::KbLookup { .. } => "kb_lookup",
            Body::HandoffRequested { .. } => "handoff_requested",
            Body::AgentAssigned { .. } => "agent_assigned",
            Body::HoldStarted { .. } => "hold_started",
            Body::HoldEnded { .. } => "hold_ended",
            Body::AgentReleased { .. } => "agent_released",
            Body::WrapupCompleted { .. } => "wrapup_completed",
            Body::QueueAbandoned => "queue_abandoned",
            Body::Ended { .. } => "conversation_ended",
            Body::Csat { .. } => "csat_submitted",
            Body::IntentLabeled { .. } => "intent_labeled",
            Body::Unknown { event_type, .. } => event_type,
            Body::Invalid { .. } => "invalid",
        }
    }
}
