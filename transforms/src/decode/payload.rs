//! The type-specific fields of each `event_type` (EVENTS.md, "Event types and their fields").
//!
//! Fields are checked in the order the contract lists them, so a record with several
//! problems always reports the same one.

use convolens_core::{Actor, Disposition, EndedBy, HandoffReason, InvalidReason, Payload, RankedIntent};

use super::field::Field;
use super::json::JsonValue;
use super::object::{self, Object};

/// `text` of a message: at most 64 KiB of UTF-8.
pub const MAX_TEXT_BYTES: usize = 64 * 1024;
/// Dimensions of an `embedding`.
pub const MAX_EMBEDDING_LEN: usize = 4096;
/// Range of a CSAT `scale`, and its default.
const SCALE_RANGE: std::ops::RangeInclusive<i128> = 2..=10;
const DEFAULT_SCALE: u8 = 5;

const RANKING_EXPECTED: &str = "an array of {intent, confidence} objects";
const EMBEDDING_EXPECTED: &str = "an array of numbers";

/// Decodes the payload of `event_type`. An unknown type is [`Payload::Unknown`] and none of
/// its fields is looked at: they all stay in `extra`.
pub(super) fn decode_payload(event_type: &str, obj: &mut Object<'_>) -> Result<Payload, InvalidReason> {
    Ok(match event_type {
        "conversation_started" => Payload::ConversationStarted {
            locale: obj.optional_string(Field::Locale)?,
            bot_version: obj.optional_string(Field::BotVersion)?,
        },
        "message" => {
            let actor = obj.required_enum(Field::Actor, Actor::parse, Actor::ALL)?;
            let text = obj.optional_string(Field::Text)?;
            if text.as_ref().is_some_and(|text| text.len() > MAX_TEXT_BYTES) {
                return Err(InvalidReason::TooLong {
                    field: Field::Text.name(),
                    limit: MAX_TEXT_BYTES,
                });
            }
            Payload::Message { actor, text }
        }
        "intent_predicted" => intent_predicted(obj)?,
        "tool_call" => {
            let tool = obj.required_string(Field::Tool)?;
            let latency_ms = obj.optional_number(Field::LatencyMs)?;
            if latency_ms.is_some_and(|ms| ms < 0.0) {
                return Err(InvalidReason::OutOfRange {
                    field: Field::LatencyMs.name(),
                    detail: "must be ≥ 0".to_owned(),
                });
            }
            Payload::ToolCall {
                tool,
                latency_ms,
                ok: obj.optional_bool(Field::Ok)?,
            }
        }
        "kb_lookup" => Payload::KbLookup {
            hit: obj.required_bool(Field::Hit)?,
            article_id: obj.optional_string(Field::ArticleId)?,
            score: obj.optional_number(Field::Score)?,
            query: obj.optional_string(Field::Query)?,
        },
        "handoff_requested" => Payload::HandoffRequested {
            reason: obj.required_enum(Field::Reason, HandoffReason::parse, HandoffReason::ALL)?,
            queue: obj.optional_string(Field::Queue)?,
        },
        "agent_assigned" => Payload::AgentAssigned {
            agent_id: obj.required_string(Field::AgentId)?,
        },
        "hold_started" => Payload::HoldStarted {
            agent_id: obj.optional_string(Field::AgentId)?,
        },
        "hold_ended" => Payload::HoldEnded {
            agent_id: obj.optional_string(Field::AgentId)?,
        },
        "agent_released" => Payload::AgentReleased {
            agent_id: obj.optional_string(Field::AgentId)?,
        },
        "wrapup_completed" => Payload::WrapupCompleted {
            agent_id: obj.optional_string(Field::AgentId)?,
        },
        "queue_abandoned" => Payload::QueueAbandoned,
        "conversation_ended" => Payload::ConversationEnded {
            disposition: obj.required_enum(Field::Disposition, Disposition::parse, Disposition::ALL)?,
            ended_by: obj.optional_enum(Field::EndedBy, EndedBy::parse, EndedBy::ALL)?,
        },
        "csat_submitted" => csat_submitted(obj)?,
        "intent_labeled" => Payload::IntentLabeled {
            prediction_event_id: obj.required_string(Field::PredictionEventId)?,
            true_intent: obj.required_string(Field::TrueIntent)?,
            labeler: obj.optional_string(Field::Labeler)?,
        },
        _ => Payload::Unknown,
    })
}

fn intent_predicted(obj: &mut Object<'_>) -> Result<Payload, InvalidReason> {
    let intent = obj.required_string(Field::Intent)?;
    let confidence = confidence(Field::Confidence.name(), obj.take(Field::Confidence).as_ref())?;
    let model = obj.required_string(Field::Model)?;
    let model_version = obj.optional_string(Field::ModelVersion)?;
    let is_oos = obj.optional_bool(Field::IsOos)?;
    let ranking = obj.take(Field::Ranking).map(|value| ranking(&value)).transpose()?;
    let embedding = obj.take(Field::Embedding).map(|value| embedding(&value)).transpose()?;
    Ok(Payload::IntentPredicted {
        intent,
        confidence,
        model,
        model_version,
        is_oos,
        ranking,
        embedding,
    })
}

/// A JSON number in [0, 1]. A string such as `"0.9"` or `"NaN"` is the wrong type; NaN and
/// infinity cannot be written in JSON, so any number that got here is finite.
fn confidence(field: &'static str, value: Option<&JsonValue<'_>>) -> Result<f64, InvalidReason> {
    let value = value.ok_or(InvalidReason::MissingField { field })?;
    let confidence = object::number(field, value)?;
    if !(0.0..=1.0).contains(&confidence) {
        return Err(InvalidReason::ConfidenceOutOfRange);
    }
    Ok(confidence)
}

/// Each entry is validated like the top prediction; its other members are ignored.
fn ranking(value: &JsonValue<'_>) -> Result<Vec<RankedIntent>, InvalidReason> {
    let JsonValue::Array(entries) = value else {
        return Err(InvalidReason::WrongType {
            field: Field::Ranking.name(),
            expected: RANKING_EXPECTED,
        });
    };
    entries
        .iter()
        .map(|entry| {
            let JsonValue::Object(members) = entry else {
                return Err(InvalidReason::WrongType {
                    field: Field::Ranking.name(),
                    expected: RANKING_EXPECTED,
                });
            };
            let intent = object::required_string("ranking.intent", object::nested(members, "intent").cloned())?;
            let confidence = confidence("ranking.confidence", object::nested(members, "confidence"))?;
            Ok(RankedIntent { intent, confidence })
        })
        .collect()
}

/// At most [`MAX_EMBEDDING_LEN`] numbers, each within the `f32` range it is stored in.
fn embedding(value: &JsonValue<'_>) -> Result<Vec<f32>, InvalidReason> {
    let JsonValue::Array(items) = value else {
        return Err(InvalidReason::WrongType {
            field: Field::Embedding.name(),
            expected: EMBEDDING_EXPECTED,
        });
    };
    if items.len() > MAX_EMBEDDING_LEN {
        return Err(InvalidReason::TooLong {
            field: Field::Embedding.name(),
            limit: MAX_EMBEDDING_LEN,
        });
    }
    items
        .iter()
        .map(|item| {
            let wide = item.as_f64().ok_or(InvalidReason::WrongType {
                field: Field::Embedding.name(),
                expected: EMBEDDING_EXPECTED,
            })?;
            let narrow = wide as f32;
            if !narrow.is_finite() {
                return Err(InvalidReason::OutOfRange {
                    field: Field::Embedding.name(),
                    detail: format!("{wide} is outside the f32 range"),
                });
            }
            Ok(narrow)
        })
        .collect()
}

/// `score` must be a JSON integer (`4.0` is not), `scale` an integer in 2..=10 (default 5),
/// and `score` in 1..=`scale`. The type of `score` is checked before `scale`, its range after.
fn csat_submitted(obj: &mut Object<'_>) -> Result<Payload, InvalidReason> {
    let score = obj.take(Field::Score).ok_or(InvalidReason::MissingField {
        field: Field::Score.name(),
    })?;
    let score = object::integer(Field::Score.name(), &score)?;
    let scale = match obj.optional_integer(Field::Scale)? {
        None => DEFAULT_SCALE,
        Some(scale) => match u8::try_from(scale) {
            Ok(scale) if SCALE_RANGE.contains(&i128::from(scale)) => scale,
            _ => {
                return Err(InvalidReason::OutOfRange {
                    field: Field::Scale.name(),
                    detail: format!("{scale} is not in 2..=10"),
                });
            }
        },
    };
    match u8::try_from(score) {
        Ok(score) if (1..=scale).contains(&score) => Ok(Payload::CsatSubmitted {
            score,
            scale,
            comment: obj.optional_string(Field::Comment)?,
        }),
        _ => Err(InvalidReason::ScoreOutOfRange {
            score: i64::try_from(score).unwrap_or(if score < 0 { i64::MIN } else { i64::MAX }),
            scale: i64::from(scale),
        }),
    }
}
