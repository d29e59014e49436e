//! An independent reading of EVENTS.md: is a line a valid event? Written from the
//! contract text only, with serde_json and chrono, sharing no code with the generator.

use chrono::{DateTime, Datelike};
use serde_json::{Map, Value};

pub const MAX_LINE_BYTES: usize = 1 << 20;
const CHANNELS: &[&str] = &["chat", "messaging", "voice", "email", "social", "other"];
const ACTORS: &[&str] = &["customer", "bot", "agent"];
const REASONS: &[&str] = &["low_confidence", "customer_request", "policy", "error", "other"];
const DISPOSITIONS: &[&str] = &["resolved", "unresolved", "abandoned"];
const ENDED_BY: &[&str] = &["customer", "bot", "agent", "system"];

/// A valid event's object, or why the line is invalid.
pub fn check(line: &[u8]) -> Result<Map<String, Value>, String> {
    if line.len() > MAX_LINE_BYTES {
        return Err("larger than 1 MiB".into());
    }
    let text = std::str::from_utf8(line).map_err(|e| format!("not UTF-8: {e}"))?;
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let Value::Object(object) = value else {
        return Err("not an object".into());
    };
    if let Some(version) = object.get("schema_version") {
        match version.as_i64() {
            Some(1) => {}
            Some(other) => return Err(format!("schema_version {other} unsupported")),
            None => return Err("schema_version not an integer".into()),
        }
    }
    id(&object, "event_id")?;
    let event_type = required_str(&object, "event_type")?.to_string();
    id(&object, "conversation_id")?;
    if object.contains_key("tenant_id") {
        id(&object, "tenant_id")?;
    }
    optional_str(&object, "customer_id")?;
    optional_enum(&object, "channel", CHANNELS)?;
    if let Some(seq) = object.get("seq") {
        seq.as_u64().ok_or("seq not an integer ≥ 0")?;
    }
    occurred_at(object.get("occurred_at"))?;
    match event_type.as_str() {
        "conversation_started" => {
            optional_str(&object, "locale")?;
            optional_str(&object, "bot_version")?;
        }
        "message" => {
            required_enum(&object, "actor", ACTORS)?;
            if optional_str(&object, "text")?.is_some_and(|text| text.len() > 64 * 1024) {
                return Err("text over 64 KiB".into());
            }
        }
        "intent_predicted" => {
            required_str(&object, "intent")?;
            unit_interval(object.get("confidence"), "confidence")?;
            required_str(&object, "model")?;
            optional_str(&object, "model_version")?;
            optional_bool(&object, "is_oos")?;
            if let Some(ranking) = object.get("ranking") {
                for entry in ranking.as_array().ok_or("ranking not an array")? {
                    let entry = entry.as_object().ok_or("ranking entry not an object")?;
                    required_str(entry, "intent")?;
                    unit_interval(entry.get("confidence"), "ranking confidence")?;
                }
            }
            if let Some(embedding) = object.get("embedding") {
                let values = embedding.as_array().ok_or("embedding not an array")?;
                if values.len() > 4096 || values.iter().any(|v| !v.is_number()) {
                    return Err("bad embedding".into());
                }
            }
        }
        "tool_call" => {
            required_str(&object, "tool")?;
            if object
                .get("latency_ms")
                .is_some_and(|latency| !latency.as_f64().is_some_and(|v| v >= 0.0))
            {
                return Err("latency_ms not a number ≥ 0".into());
            }
            optional_bool(&object, "ok")?;
        }
        "kb_lookup" => {
            object
                .get("hit")
                .and_then(Value::as_bool)
                .ok_or("hit missing or not a bool")?;
            optional_str(&object, "article_id")?;
            optional_str(&object, "query")?;
        }
        "handoff_requested" => {
            required_enum(&object, "reason", REASONS)?;
            optional_str(&object, "queue")?;
        }
        "agent_assigned" => {
            required_str(&object, "agent_id")?;
        }
        "hold_started" | "hold_ended" | "agent_released" | "wrapup_completed" => {
            optional_str(&object, "agent_id")?;
        }
        "conversation_ended" => {
            required_enum(&object, "disposition", DISPOSITIONS)?;
            optional_enum(&object, "ended_by", ENDED_BY)?;
        }
        "csat_submitted" => {
            let score = object
                .get("score")
                .ok_or("score missing")?
                .as_i64()
                .ok_or("score not an integer")?;
            let scale = match object.get("scale") {
                None => 5,
                Some(scale) => scale
                    .as_i64()
                    .filter(|s| (2..=10).contains(s))
                    .ok_or("scale not an integer 2–10")?,
            };
            if !(1..=scale).contains(&score) {
                return Err(format!("score {score} outside 1..{scale}"));
            }
            optional_str(&object, "comment")?;
        }
        "intent_labeled" => {
            required_str(&object, "prediction_event_id")?;
            required_str(&object, "true_intent")?;
            optional_str(&object, "labeler")?;
        }
        _ => {} // unknown types are valid and unchecked
    }
    Ok(object)
}

fn required_str<'a>(object: &'a Map<String, Value>, field: &str) -> Result<&'a str, String> {
    match object.get(field) {
        None | Some(Value::Null) => Err(format!("{field} missing")),
        Some(Value::String(text)) if text.is_empty() => Err(format!("{field} empty")),
        Some(Value::String(text)) => Ok(text),
        Some(_) => Err(format!("{field} not a string")),
    }
}

fn optional_str<'a>(object: &'a Map<String, Value>, field: &str) -> Result<Option<&'a str>, String> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(format!("{field} not a string")),
    }
}

fn optional_bool(object: &Map<String, Value>, field: &str) -> Result<(), String> {
    match object.get(field) {
        None | Some(Value::Null) | Some(Value::Bool(_)) => Ok(()),
        Some(_) => Err(format!("{field} not a bool")),
    }
}

fn id(object: &Map<String, Value>, field: &str) -> Result<(), String> {
    let text = required_str(object, field)?;
    if text.chars().count() > 128 {
        Err(format!("{field} over 128 characters"))
    } else {
        Ok(())
    }
}

fn required_enum(object: &Map<String, Value>, field: &str, allowed: &[&str]) -> Result<(), String> {
    let text = required_str(object, field)?;
    if allowed.contains(&text) {
        Ok(())
    } else {
        Err(format!("{field} {text:?} not in list"))
    }
}

fn optional_enum(object: &Map<String, Value>, field: &str, allowed: &[&str]) -> Result<(), String> {
    match optional_str(object, field)? {
        Some(text) if !allowed.contains(&text) => Err(format!("{field} {text:?} not in list")),
        _ => Ok(()),
    }
}

fn unit_interval(value: Option<&Value>, field: &str) -> Result<(), String> {
    let number = value
        .and_then(Value::as_f64)
        .ok_or(format!("{field} missing or not a number"))?;
    if number.is_finite() && (0.0..=1.0).contains(&number) {
        Ok(())
    } else {
        Err(format!("{field} {number} outside [0, 1]"))
    }
}

/// `occurred_at` in epoch milliseconds, if valid.
pub fn occurred_at(value: Option<&Value>) -> Result<i64, String> {
    match value {
        Some(Value::String(text)) => {
            let parsed = DateTime::parse_from_rfc3339(text).map_err(|e| format!("occurred_at {text:?}: {e}"))?;
            if !(1970..=2200).contains(&parsed.year()) || parsed.timestamp_millis() < 0 {
                return Err(format!("occurred_at {text:?} outside 1970–2200"));
            }
            Ok(parsed.timestamp_millis())
        }
        Some(Value::Number(number)) => {
            let millis = number.as_i64().ok_or("occurred_at not an integer")?;
            let year = DateTime::from_timestamp_millis(millis).map(|t| t.year());
            match year {
                Some(year) if millis >= 0 && year <= 2200 => Ok(millis),
                _ => Err(format!("occurred_at {millis} outside 1970–2200")),
            }
        }
        Some(_) => Err("occurred_at of the wrong type".into()),
        None => Err("occurred_at missing".into()),
    }
}

#[test]
fn checker_agrees_with_the_contract_examples() {
    let examples = [
        r#"{"event_id":"e-1","event_type":"conversation_started","conversation_id":"c-42","tenant_id":"acme","customer_id":"u-9","channel":"chat","occurred_at":"2026-11-20T10:00:00Z"}"#,
        r#"{"event_id":"e-2","event_type":"message","conversation_id":"c-42","tenant_id":"acme","actor":"customer","text":"my card has not arrived","occurred_at":"2026-11-20T10:00:05Z"}"#,
        r#"{"event_id":"e-3","event_type":"intent_predicted","conversation_id":"c-42","tenant_id":"acme","intent":"card_arrival","confidence":0.91,"model":"router","model_version":"v7","occurred_at":"2026-11-20T10:00:05.300Z"}"#,
        r#"{"event_id":"e-4","event_type":"conversation_ended","conversation_id":"c-42","tenant_id":"acme","disposition":"resolved","ended_by":"customer","occurred_at":"2026-11-20T10:02:00Z"}"#,
        r#"{"event_id":"e-5","event_type":"csat_submitted","conversation_id":"c-42","tenant_id":"acme","score":5,"occurred_at":1795168800123}"#,
    ];
    for example in examples {
        assert!(check(example.as_bytes()).is_ok(), "{example}");
    }
    let broken = [
        r#"{"event_id":"e-5","event_type":"csat_submitted","conversation_id":"c-42","score":6,"occurred_at":"2026-11-20T14:00:00Z"}"#,
        r#"{"event_id":"e-5","event_type":"message","conversation_id":"c-42","actor":"x","occurred_at":"2026-11-20T14:00:00Z"}"#,
        r#"{"event_id":"e-5","event_type":"message","conversation_id":"c-42","actor":"bot","occurred_at":"2026-11-20T14:00:00"}"#,
        r#"{"event_id":"e-5","event_type":"message","conversation_id":"c-42","actor":"bot","occurred_at":7289654400000}"#,
        r#"[1]"#,
    ];
    for line in broken {
        assert!(check(line.as_bytes()).is_err(), "{line}");
    }
}
