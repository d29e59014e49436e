//! Builders shared by the session and processor tests: events with readable times.
#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::time::Duration;

use convolens_core::spec::SessionSettings;
use convolens_core::{Actor, Channel, ConversationFacts, Disposition, Event, HandoffReason, Payload, Timestamp};
use convolens_transforms::session::{ConversationKey, FactEvent};

/// 2026-11-20T10:00:00Z, the origin of every test time.
pub const T0_MICROS: i64 = 1_795_168_800_000_000;

/// `T0` plus whole seconds.
pub fn at(seconds: i64) -> Timestamp {
    Timestamp::from_micros(T0_MICROS + seconds * 1_000_000)
}

/// `T0` plus milliseconds.
pub fn at_ms(millis: i64) -> Timestamp {
    Timestamp::from_micros(T0_MICROS + millis * 1_000)
}

pub const MINUTE: i64 = 60;
pub const HOUR: i64 = 3600;

/// The defaults of the contract: idle 30 min, lateness 15 min, horizon 24 h.
pub fn default_settings() -> SessionSettings {
    SessionSettings::default()
}

pub fn settings(idle_s: u64, lateness_s: u64, horizon_s: u64) -> SessionSettings {
    SessionSettings {
        idle_timeout: Duration::from_secs(idle_s),
        allowed_lateness: Duration::from_secs(lateness_s),
        dedup_horizon: Duration::from_secs(horizon_s),
    }
}

/// An event of tenant `t` with no channel, customer or seq.
pub fn event(event_id: &str, conversation_id: &str, occurred_at: Timestamp, payload: Payload) -> Event {
    Event {
        event_id: event_id.to_string(),
        event_type: event_type_of(&payload).to_string(),
        schema_version: 1,
        tenant_id: "t".to_string(),
        conversation_id: conversation_id.to_string(),
        occurred_at,
        customer_id: None,
        channel: None,
        seq: None,
        payload,
        extra: None,
        redactions: 0,
    }
}

pub fn with_channel(mut event: Event, channel: Channel) -> Event {
    event.channel = Some(channel);
    event
}

pub fn with_customer(mut event: Event, customer_id: &str) -> Event {
    event.customer_id = Some(customer_id.to_string());
    event
}

pub fn with_seq(mut event: Event, seq: u64) -> Event {
    event.seq = Some(seq);
    event
}

pub fn key(conversation_id: &str) -> ConversationKey {
    ConversationKey::new("t", conversation_id)
}

/// The fact-shaping part of each event, numbered by position as the processor would.
pub fn fact_events(events: &[Event]) -> Vec<FactEvent> {
    events
        .iter()
        .enumerate()
        .filter_map(|(arrival, event)| FactEvent::from_event(event, arrival as u64))
        .collect()
}

pub fn started() -> Payload {
    Payload::ConversationStarted {
        locale: None,
        bot_version: None,
    }
}

pub fn message(actor: Actor) -> Payload {
    Payload::Message {
        actor,
        text: Some("hello".to_string()),
    }
}

pub fn intent(intent: &str, confidence: f64) -> Payload {
    Payload::IntentPredicted {
        intent: intent.to_string(),
        confidence,
        model: "router".to_string(),
        model_version: None,
        is_oos: None,
        ranking: None,
        embedding: None,
    }
}

pub fn tool_call() -> Payload {
    Payload::ToolCall {
        tool: "lookup".to_string(),
        latency_ms: Some(12.0),
        ok: Some(true),
    }
}

pub fn kb_lookup(hit: bool) -> Payload {
    Payload::KbLookup {
        hit,
        article_id: None,
        score: None,
        query: None,
    }
}

pub fn handoff(reason: HandoffReason) -> Payload {
    Payload::HandoffRequested { reason, queue: None }
}

pub fn assigned(agent_id: &str) -> Payload {
    Payload::AgentAssigned {
        agent_id: agent_id.to_string(),
    }
}

pub fn hold_started() -> Payload {
    Payload::HoldStarted { agent_id: None }
}

pub fn hold_ended() -> Payload {
    Payload::HoldEnded { agent_id: None }
}

pub fn released(agent_id: Option<&str>) -> Payload {
    Payload::AgentReleased {
        agent_id: agent_id.map(str::to_string),
    }
}

pub fn wrapup(agent_id: Option<&str>) -> Payload {
    Payload::WrapupCompleted {
        agent_id: agent_id.map(str::to_string),
    }
}

pub fn ended(disposition: Disposition) -> Payload {
    Payload::ConversationEnded {
        disposition,
        ended_by: None,
    }
}

pub fn csat(score: u8) -> Payload {
    Payload::CsatSubmitted {
        score,
        scale: 5,
        comment: None,
    }
}

pub fn label(prediction_event_id: &str) -> Payload {
    Payload::IntentLabeled {
        prediction_event_id: prediction_event_id.to_string(),
        true_intent: "x".to_string(),
        labeler: None,
    }
}

fn event_type_of(payload: &Payload) -> &'static str {
    match payload {
        Payload::ConversationStarted { .. } => "conversation_started",
        Payload::Message { .. } => "message",
        Payload::IntentPredicted { .. } => "intent_predicted",
        Payload::ToolCall { .. } => "tool_call",
        Payload::KbLookup { .. } => "kb_lookup",
        Payload::HandoffRequested { .. } => "handoff_requested",
        Payload::AgentAssigned { .. } => "agent_assigned",
        Payload::HoldStarted { .. } => "hold_started",
        Payload::HoldEnded { .. } => "hold_ended",
        Payload::AgentReleased { .. } => "agent_released",
        Payload::WrapupCompleted { .. } => "wrapup_completed",
        Payload::QueueAbandoned => "queue_abandoned",
        Payload::ConversationEnded { .. } => "conversation_ended",
        Payload::CsatSubmitted { .. } => "csat_submitted",
        Payload::IntentLabeled { .. } => "intent_labeled",
        Payload::Unknown => "survey_shown",
    }
}

/// The facts with the version cleared, to compare runs whose emission history differs.
pub fn without_version(mut facts: ConversationFacts) -> ConversationFacts {
    facts.version = 0;
    facts
}

/// Asserts `actual` is within `1e-9` relative (or 1e-12 absolute near zero) of `expected`.
pub fn assert_close(actual: f64, expected: f64, what: &str) {
    let tolerance = 1e-9 * expected.abs().max(actual.abs()).max(1e-3);
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: got {actual}, expected {expected}"
    );
}
