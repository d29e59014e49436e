//! Shared by the decode tests: a valid event of every type, with every field, to mutate.

#![allow(dead_code, reason = "each test binary uses a different part of this module")]

use convolens_core::{Event, InvalidReason};
use convolens_transforms::decode::{DecodeLimits, decode};
use serde_json::{Value, json};

/// Every `event_type` of EVENTS.md.
pub const EVENT_TYPES: &[&str] = &[
    "conversation_started",
    "message",
    "intent_predicted",
    "tool_call",
    "kb_lookup",
    "handoff_requested",
    "agent_assigned",
    "hold_started",
    "hold_ended",
    "agent_released",
    "wrapup_completed",
    "queue_abandoned",
    "conversation_ended",
    "csat_submitted",
    "intent_labeled",
];

/// The envelope with every field set.
pub fn envelope(event_type: &str) -> Value {
    json!({
        "event_id": "e-1",
        "event_type": event_type,
        "schema_version": 1,
        "conversation_id": "c-42",
        "occurred_at": "2026-11-20T10:00:00.123Z",
        "tenant_id": "acme",
        "customer_id": "u-9",
        "channel": "chat",
        "seq": 7,
    })
}

/// The type-specific fields of `event_type`, every one set to a valid value.
pub fn type_fields(event_type: &str) -> Value {
    match event_type {
        "conversation_started" => json!({"locale": "en-GB", "bot_version": "b-3"}),
        "message" => json!({"actor": "customer", "text": "my card has not arrived"}),
        "intent_predicted" => json!({
            "intent": "card_arrival", "confidence": 0.91, "model": "router", "model_version": "v7",
            "is_oos": false,
            "ranking": [{"intent": "card_arrival", "confidence": 0.91}, {"intent": "card_lost", "confidence": 0.05}],
            "embedding": [0.5, -1, 0.25],
        }),
        "tool_call" => json!({"tool": "order_status", "latency_ms": 120.5, "ok": true}),
        "kb_lookup" => json!({"hit": true, "article_id": "kb-7", "score": 0.83, "query": "card arrival"}),
        "handoff_requested" => json!({"reason": "customer_request", "queue": "cards"}),
        "agent_assigned" | "hold_started" | "hold_ended" | "agent_released" | "wrapup_completed" => {
            json!({"agent_id": "a-5"})
        }
        "queue_abandoned" => json!({}),
        "conversation_ended" => json!({"disposition": "resolved", "ended_by": "customer"}),
        "csat_submitted" => json!({"score": 4, "scale": 5, "comment": "quick, thanks"}),
        "intent_labeled" => json!({"prediction_event_id": "e-3", "true_intent": "card_arrival", "labeler": "qa-1"}),
        other => panic!("not an event type of EVENTS.md: {other}"),
    }
}

/// A valid event of `event_type` with every envelope and type field.
pub fn full(event_type: &str) -> Value {
    let mut event = envelope(event_type);
    if let (Some(event), Some(fields)) = (event.as_object_mut(), type_fields(event_type).as_object()) {
        event.extend(fields.clone());
    }
    event
}

/// `event` with `field` set to `value`.
pub fn with(mut event: Value, field: &str, value: Value) -> Value {
    event[field] = value;
    event
}

/// `event` without `field`.
pub fn without(mut event: Value, field: &str) -> Value {
    if let Some(object) = event.as_object_mut() {
        object.remove(field);
    }
    event
}

pub fn decode_json(event: &Value) -> Result<Event, InvalidReason> {
    decode(event.to_string().as_bytes(), &DecodeLimits::default())
}

pub fn decode_text(text: &str) -> Result<Event, InvalidReason> {
    decode(text.as_bytes(), &DecodeLimits::default())
}
