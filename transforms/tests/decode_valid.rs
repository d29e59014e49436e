//! Valid input: every event type with all its fields, the accepted time forms, defaults,
//! unknown types and extra fields, the golden example, and never panicking on anything.

mod decode_support;

use std::collections::HashSet;
use std::path::PathBuf;

use chrono::{DateTime, NaiveDate};
use convolens_core::{
    Actor, Channel, Disposition, EndedBy, Event, HandoffReason, InvalidReason, Payload, RankedIntent, Timestamp,
};
use convolens_transforms::decode::{DecodeLimits, decode};
use decode_support::{EVENT_TYPES, decode_json, decode_text, envelope, full, with, without};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Microseconds of a UTC wall-clock time, computed by chrono (not by the decoder).
fn utc_micros(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, micro: u32) -> Timestamp {
    let micros = NaiveDate::from_ymd_opt(y, mo, d)
        .and_then(|date| date.and_hms_micro_opt(h, mi, s, micro))
        .map(|t| t.and_utc().timestamp_micros())
        .expect("a valid date");
    Timestamp::from_micros(micros)
}

fn expected_payload(event_type: &str) -> Payload {
    match event_type {
        "conversation_started" => Payload::ConversationStarted {
            locale: Some("en-GB".into()),
            bot_version: Some("b-3".into()),
        },
        "message" => Payload::Message {
            actor: Actor::Customer,
            text: Some("my card has not arrived".into()),
        },
        "intent_predicted" => Payload::IntentPredicted {
            intent: "card_arrival".into(),
            confidence: 0.91,
            model: "router".into(),
            model_version: Some("v7".into()),
            is_oos: Some(false),
            ranking: Some(vec![
                RankedIntent {
                    intent: "card_arrival".into(),
                    confidence: 0.91,
                },
                RankedIntent {
                    intent: "card_lost".into(),
                    confidence: 0.05,
                },
            ]),
            embedding: Some(vec![0.5, -1.0, 0.25]),
        },
        "tool_call" => Payload::ToolCall {
            tool: "order_status".into(),
            latency_ms: Some(120.5),
            ok: Some(true),
        },
        "kb_lookup" => Payload::KbLookup {
            hit: true,
            article_id: Some("kb-7".into()),
            score: Some(0.83),
            query: Some("card arrival".into()),
        },
        "handoff_requested" => Payload::HandoffRequested {
            reason: HandoffReason::CustomerRequest,
            queue: Some("cards".into()),
        },
        "agent_assigned" => Payload::AgentAssigned { agent_id: "a-5".into() },
        "hold_started" => Payload::HoldStarted {
            agent_id: Some("a-5".into()),
        },
        "hold_ended" => Payload::HoldEnded {
            agent_id: Some("a-5".into()),
        },
        "agent_released" => Payload::AgentReleased {
            agent_id: Some("a-5".into()),
        },
        "wrapup_completed" => Payload::WrapupCompleted {
            agent_id: Some("a-5".into()),
        },
        "queue_abandoned" => Payload::QueueAbandoned,
        "conversation_ended" => Payload::ConversationEnded {
            disposition: Disposition::Resolved,
            ended_by: Some(EndedBy::Customer),
        },
        "csat_submitted" => Payload::CsatSubmitted {
            score: 4,
            scale: 5,
            comment: Some("quick, thanks".into()),
        },
        "intent_labeled" => Payload::IntentLabeled {
            prediction_event_id: "e-3".into(),
            true_intent: "card_arrival".into(),
            labeler: Some("qa-1".into()),
        },
        other => panic!("no expectation for {other}"),
    }
}

#[test]
fn every_type_with_every_field() {
    for event_type in EVENT_TYPES {
        let expected = Event {
            event_id: "e-1".into(),
            event_type: (*event_type).into(),
            schema_version: 1,
            tenant_id: "acme".into(),
            conversation_id: "c-42".into(),
            occurred_at: utc_micros(2026, 11, 20, 10, 0, 0, 123_000),
            customer_id: Some("u-9".into()),
            channel: Some(Channel::Chat),
            seq: Some(7),
            payload: expected_payload(event_type),
            extra: None,
            redactions: 0,
        };
        assert_eq!(decode_json(&full(event_type)), Ok(expected), "{event_type}");
    }
}

#[test]
fn optional_fields_absent_or_null_take_their_defaults() {
    for event_type in EVENT_TYPES {
        let minimal = ["schema_version", "tenant_id", "customer_id", "channel", "seq"]
            .iter()
            .fold(full(event_type), |event, field| without(event, field));
        let nulled = ["schema_version", "tenant_id", "customer_id", "channel", "seq"]
            .iter()
            .fold(full(event_type), |event, field| with(event, field, Value::Null));
        for event in [minimal, nulled] {
            let decoded = decode_json(&event).unwrap_or_else(|e| panic!("{event}: {e}"));
            assert_eq!(decoded.schema_version, 1);
            assert_eq!(decoded.tenant_id, "default");
            assert_eq!(decoded.customer_id, None);
            assert_eq!(decoded.channel, None);
            assert_eq!(decoded.seq, None);
        }
        let empty_customer = decode_json(&with(full(event_type), "customer_id", json!("")));
        assert_eq!(
            empty_customer.map(|e| e.customer_id),
            Ok(None),
            "customer_id \"\" is absent"
        );
    }
    let bare = |event_type: &str, fields: Value| {
        let mut event = json!({"event_id": "e", "event_type": event_type, "conversation_id": "c", "occurred_at": 0});
        if let (Some(event), Some(fields)) = (event.as_object_mut(), fields.as_object()) {
            event.extend(fields.clone());
        }
        decode_json(&event).map(|e| e.payload)
    };
    assert_eq!(
        bare("message", json!({"actor": "bot", "text": null})),
        Ok(Payload::Message {
            actor: Actor::Bot,
            text: None
        })
    );
    assert_eq!(
        bare(
            "intent_predicted",
            json!({"intent": "i", "confidence": 1, "model": "m"})
        ),
        Ok(Payload::IntentPredicted {
            intent: "i".into(),
            confidence: 1.0,
            model: "m".into(),
            model_version: None,
            is_oos: None,
            ranking: None,
            embedding: None
        })
    );
    assert_eq!(
        bare("tool_call", json!({"tool": "t"})),
        Ok(Payload::ToolCall {
            tool: "t".into(),
            latency_ms: None,
            ok: None
        })
    );
    assert_eq!(
        bare("kb_lookup", json!({"hit": false})),
        Ok(Payload::KbLookup {
            hit: false,
            article_id: None,
            score: None,
            query: None
        })
    );
    assert_eq!(
        bare("handoff_requested", json!({"reason": "policy"})),
        Ok(Payload::HandoffRequested {
            reason: HandoffReason::Policy,
            queue: None
        })
    );
    assert_eq!(
        bare("hold_started", json!({})),
        Ok(Payload::HoldStarted { agent_id: None })
    );
    assert_eq!(
        bare("conversation_ended", json!({"disposition": "abandoned"})),
        Ok(Payload::ConversationEnded {
            disposition: Disposition::Abandoned,
            ended_by: None
        })
    );
    assert_eq!(
        bare("csat_submitted", json!({"score": 5})),
        Ok(Payload::CsatSubmitted {
            score: 5,
            scale: 5,
            comment: None
        })
    );
    assert_eq!(
        bare(
            "intent_labeled",
            json!({"prediction_event_id": "p", "true_intent": "t"})
        ),
        Ok(Payload::IntentLabeled {
            prediction_event_id: "p".into(),
            true_intent: "t".into(),
            labeler: None
        })
    );
}

#[test]
fn occurred_at_in_every_accepted_form() {
    let at = |value: Value| decode_json(&with(full("message"), "occurred_at", value)).map(|e| e.occurred_at);
    let ten = utc_micros(2026, 11, 20, 10, 0, 0, 0);
    assert_eq!(at(json!("2026-11-20T10:00:00Z")), Ok(ten));
    assert_eq!(at(json!("2026-11-20t10:00:00z")), Ok(ten));
    assert_eq!(at(json!("2026-11-20 10:00:00Z")), Ok(ten));
    assert_eq!(at(json!("2026-11-20T12:00:00+02:00")), Ok(ten));
    assert_eq!(at(json!("2026-11-20T01:30:00-08:30")), Ok(ten));
    assert_eq!(at(json!("2026-11-21T00:30:00+14:30")), Ok(ten));
    assert_eq!(
        at(json!("2026-11-20T10:00:00.5Z")),
        Ok(utc_micros(2026, 11, 20, 10, 0, 0, 500_000))
    );
    assert_eq!(
        at(json!("2026-11-20T10:00:00.123Z")),
        Ok(utc_micros(2026, 11, 20, 10, 0, 0, 123_000))
    );
    // Beyond microseconds the fraction is truncated, not rounded.
    assert_eq!(
        at(json!("2026-11-20T10:00:00.1234569999Z")),
        Ok(utc_micros(2026, 11, 20, 10, 0, 0, 123_456))
    );
    // Epoch milliseconds, checked against chrono's reading of the same instant.
    let millis = DateTime::parse_from_rfc3339("2026-11-02T08:57:11.197Z")
        .map(|t| t.timestamp_millis())
        .expect("rfc3339");
    assert_eq!(at(json!(millis)), Ok(utc_micros(2026, 11, 2, 8, 57, 11, 197_000)));
    // Every offset form agrees with chrono's parser.
    for text in [
        "2026-03-29T01:59:59.999+01:00",
        "2024-02-29T23:00:00-05:00",
        "2000-01-01T00:00:00Z",
    ] {
        let expected = DateTime::parse_from_rfc3339(text).map(|t| Timestamp::from_micros(t.timestamp_micros()));
        assert_eq!(at(json!(text)).ok(), expected.ok(), "{text}");
    }
}

#[test]
fn unknown_event_type_is_valid_and_keeps_its_fields_as_extra() {
    let event = json!({
        "event_id": "e-9", "event_type": "sentiment_scored", "conversation_id": "c-1",
        "occurred_at": "2026-11-20T10:00:00Z", "sentiment": -0.4, "actor": "robot", "labels": ["angry", 2],
        "detail": {"model": "s", "n": null},
    });
    let decoded = decode_json(&event).expect("unknown types are valid");
    assert_eq!(decoded.payload, Payload::Unknown);
    assert_eq!(decoded.event_type, "sentiment_scored");
    // `actor` is not checked (it would be an invalid enum on a message) and is kept.
    let extra = decoded.extra.expect("extra kept");
    assert_eq!(
        extra,
        r#"{"sentiment":-0.4,"actor":"robot","labels":["angry",2],"detail":{"model":"s","n":null}}"#
    );
}

#[test]
fn extra_holds_exactly_the_fields_the_contract_does_not_list() {
    // Fields of another type are extra too; known fields never are.
    let event = with(with(full("message"), "score", json!(3)), "x-trace", json!("t-1"));
    let decoded = decode_json(&event).expect("valid");
    let extra: Value = serde_json::from_str(decoded.extra.as_deref().expect("extra")).expect("extra is JSON");
    assert_eq!(extra, json!({"score": 3, "x-trace": "t-1"}));
    // Escapes survive the round trip; the output is compact.
    let text = r#"{"event_id":"e","event_type":"queue_abandoned","conversation_id":"c","occurred_at":0, "note" : "a \"quoted\"\nline é" , "n": [ 1 , 2.5 ]}"#;
    let decoded = decode_text(text).expect("valid");
    assert_eq!(
        decoded.extra.as_deref(),
        Some(r#"{"note":"a \"quoted\"\nline é","n":[1,2.5]}"#)
    );
}

#[test]
fn duplicate_keys_last_one_wins() {
    let text = r#"{"event_id":"first","event_id":"second","event_type":"message","conversation_id":"c","occurred_at":0,"actor":"robot","actor":"bot","x":1,"x":2}"#;
    let decoded = decode_text(text).expect("the last actor is valid");
    assert_eq!(decoded.event_id, "second");
    assert_eq!(
        decoded.payload,
        Payload::Message {
            actor: Actor::Bot,
            text: None
        }
    );
    assert_eq!(decoded.extra.as_deref(), Some(r#"{"x":2}"#));
}

#[test]
fn whitespace_around_the_json_is_ignored() {
    let line = full("message").to_string();
    for padded in [
        format!("{line}\r\n"),
        format!("  \t{line}\n"),
        format!("\r\n{line} \x0c"),
    ] {
        assert_eq!(decode_text(&padded), decode_json(&full("message")), "{padded:?}");
    }
}

#[test]
fn strings_with_escapes_and_unicode_decode_to_their_text() {
    let text = r#"{"event_id":"e\u0041","event_type":"message","conversation_id":"c\/1","occurred_at":0,"actor":"customer","text":"caf\u00e9 ☕ \ud83d\ude00"}"#;
    let decoded = decode_text(text).expect("valid");
    assert_eq!(decoded.event_id, "eA");
    assert_eq!(decoded.conversation_id, "c/1");
    assert_eq!(
        decoded.payload,
        Payload::Message {
            actor: Actor::Customer,
            text: Some("café ☕ 😀".into())
        }
    );
}

fn golden_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/cases/small")
        .join(name)
}

fn read_golden(name: &str) -> Vec<u8> {
    let path = golden_path(name);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "golden file {} is missing ({e}); it is the copy of shared/examples kept in the repo",
            path.display()
        )
    })
}

#[test]
fn golden_example_has_the_expected_valid_invalid_and_duplicate_counts() {
    let expected: Value = serde_json::from_slice(&read_golden("expected.json")).expect("expected.json is JSON");
    let count = |key: &str| {
        expected["counts"][key]
            .as_u64()
            .unwrap_or_else(|| panic!("counts.{key} missing"))
    };
    let input = read_golden("input.ndjson");
    let lines: Vec<&[u8]> = input
        .split(|b| *b == b'\n')
        .filter(|line| !line.trim_ascii().is_empty())
        .collect();
    let mut invalid = 0;
    let mut valid = 0;
    let mut unique_ids = HashSet::new();
    for line in &lines {
        match decode(line, &DecodeLimits::default()) {
            Ok(event) => {
                valid += 1;
                unique_ids.insert(event.event_id);
            }
            Err(_) => invalid += 1,
        }
    }
    assert_eq!(lines.len() as u64, count("lines"), "non-blank lines");
    assert_eq!(invalid, count("invalid_lines"), "invalid lines");
    assert_eq!(
        valid,
        count("valid_unique_events") + count("duplicate_lines"),
        "valid lines"
    );
    assert_eq!(
        unique_ids.len() as u64,
        count("valid_unique_events"),
        "unique event ids"
    );
}

#[test]
fn golden_example_has_one_invalid_line_of_each_kind() {
    let input = read_golden("input.ndjson");
    let mut codes: Vec<&str> = input
        .split(|b| *b == b'\n')
        .filter(|line| !line.trim_ascii().is_empty())
        .filter_map(|line| decode(line, &DecodeLimits::default()).err())
        .map(|reason| reason.code())
        .collect();
    codes.sort_unstable();
    let mut expected = vec![
        "not_utf8",
        "not_json",
        "not_an_object",
        "missing_field",
        "wrong_type",
        "empty_field",
        "bad_timestamp",
        "confidence_out_of_range",
        "score_out_of_range",
        "unknown_enum_value",
        "unsupported_schema_version",
    ];
    expected.sort_unstable();
    assert_eq!(codes, expected);
}

fn json_ish() -> impl Strategy<Value = String> {
    // Fragments of real events glued at random: mostly almost-JSON, now and then valid.
    let fragment = prop_oneof![
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just(",".to_owned()),
        Just(":".to_owned()),
        Just("null".to_owned()),
        Just("true".to_owned()),
        Just(r#""event_id":"e""#.to_owned()),
        Just(r#""event_type":"message""#.to_owned()),
        Just(r#""event_type":"intent_predicted""#.to_owned()),
        Just(r#""conversation_id":"c""#.to_owned()),
        Just(r#""occurred_at":"2026-11-20T10:00:00+02:00""#.to_owned()),
        Just(r#""occurred_at":1793609831197"#.to_owned()),
        Just(r#""confidence":0.5"#.to_owned()),
        Just(r#""ranking":[{"intent":"x","confidence":2}]"#.to_owned()),
        Just(r#""embedding":[1e38,1e39]"#.to_owned()),
        Just(r#""score":7,"scale":300"#.to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|n| n.to_string()),
        "\"[^\"]{0,12}\"",
        "[\\PC]{0,8}",
    ];
    prop::collection::vec(fragment, 0..40).prop_map(|parts| parts.concat())
}

fn field_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |n| n.is_finite())
            .prop_map(Value::from),
        "\\PC{0,20}".prop_map(Value::from),
        Just(json!("2026-11-20T10:00:00Z")),
        Just(json!([{"intent": "x", "confidence": 0.5}])),
        Just(json!({"nested": [1, {"deep": null}]})),
    ]
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode(&bytes, &DecodeLimits::default());
        let _ = decode(&bytes, &DecodeLimits { max_event_bytes: 16 });
    }

    #[test]
    fn json_ish_text_never_panics(text in json_ish()) {
        let _ = decode(text.as_bytes(), &DecodeLimits::default());
        let braced = format!("{{{text}}}");
        let _ = decode(braced.as_bytes(), &DecodeLimits::default());
    }

    /// Any field of any type set to any JSON value gives an event or a reason, and a
    /// valid result keeps the envelope as sent.
    #[test]
    fn any_value_in_any_field_never_panics(
        type_index in 0..EVENT_TYPES.len(),
        field_index in 0..40usize,
        value in field_value(),
    ) {
        let event_type = EVENT_TYPES[type_index];
        let base = full(event_type);
        let fields: Vec<String> = base.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
        let field = fields.get(field_index % fields.len().max(1)).cloned().unwrap_or_default();
        let event = with(base, &field, value);
        if let Ok(decoded) = decode_json(&event) {
            if field != "event_id" {
                prop_assert_eq!(decoded.event_id, "e-1");
            }
            prop_assert!(decoded.redactions == 0);
        }
    }

    /// Valid ids and texts of any Unicode come back exactly as sent.
    #[test]
    fn valid_strings_round_trip(
        event_id in "(?s).{1,128}",
        conversation_id in "\\PC{1,128}",
        text in "\\PC{0,300}",
        millis in 0i64..7_289_654_400_000,
    ) {
        let event = json!({
            "event_id": event_id, "event_type": "message", "conversation_id": conversation_id,
            "occurred_at": millis, "actor": "agent", "text": text,
        });
        let decoded = decode_json(&event);
        prop_assert_eq!(decoded.clone().map(|e| e.event_id), Ok(event_id.clone()));
        prop_assert_eq!(decoded.clone().map(|e| e.conversation_id), Ok(conversation_id.clone()));
        prop_assert_eq!(decoded.clone().map(|e| e.occurred_at), Ok(Timestamp::from_millis(millis)));
        prop_assert_eq!(decoded.map(|e| e.payload), Ok(Payload::Message { actor: Actor::Agent, text: Some(text) }));
    }
}

#[test]
fn envelope_helper_is_valid_on_its_own_for_types_without_required_fields() {
    for event_type in [
        "conversation_started",
        "hold_started",
        "queue_abandoned",
        "some_future_type",
    ] {
        let decoded = decode_json(&envelope(event_type));
        assert!(decoded.is_ok(), "{event_type}: {decoded:?}");
    }
    assert_eq!(
        decode_json(&envelope("message")),
        Err(InvalidReason::MissingField { field: "actor" })
    );
}
