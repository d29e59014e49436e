//! One test per kind of invalid input of EVENTS.md ("Invalid input"), each asserting the
//! exact reason the record is dead-lettered with.

mod decode_support;

use convolens_core::{Actor, Channel, Disposition, EndedBy, HandoffReason, InvalidReason};
use convolens_transforms::decode::{DecodeLimits, decode};
use decode_support::{EVENT_TYPES, decode_json, decode_text, full, with, without};
use serde_json::{Value, json};

fn assert_reason(event: &Value, expected: InvalidReason) {
    assert_eq!(decode_json(event), Err(expected), "event: {event}");
}

#[test]
fn not_utf8_reports_where_the_bad_byte_is() {
    let mut bytes = br#"{"event_id":"e-1","conversation_id":"c"#.to_vec();
    let valid_up_to = bytes.len();
    bytes.extend_from_slice(b"\xff\xfe\"}");
    assert_eq!(
        decode(&bytes, &DecodeLimits::default()),
        Err(InvalidReason::NotUtf8 { valid_up_to })
    );
    // A UTF-8 sequence cut short is just as invalid.
    assert_eq!(
        decode(b"{\"a\":\"\xc3\"}", &DecodeLimits::default()),
        Err(InvalidReason::NotUtf8 { valid_up_to: 6 })
    );
}

#[test]
fn not_json() {
    for text in [
        r#"{"event_id": "bad-11-000000", "event_typ"#,
        r#"{"event_id":"e-1"} trailing"#,
        r#"{"confidence": NaN}"#,
        r#"{"confidence": 1e400}"#,
        r#"{'event_id': 'e-1'}"#,
        "\u{feff}{}",
        "",
        "   \r\n",
        "[1, 2",
    ] {
        let reason = decode_text(text).expect_err(text);
        assert!(
            matches!(reason, InvalidReason::NotJson { .. }),
            "{text:?} gave {reason:?}"
        );
    }
    // Nesting beyond serde_json's recursion limit, even in an extra field.
    let deep = format!(r#"{{"event_id":"e","x":{}{}}}"#, "[".repeat(200), "]".repeat(200));
    assert!(matches!(decode_text(&deep), Err(InvalidReason::NotJson { .. })));
}

#[test]
fn json_that_is_not_an_object() {
    for (text, found) in [
        (r#"["not", "an", "object"]"#, "an array"),
        (r#""event""#, "a string"),
        ("42", "a number"),
        ("-1.5", "a number"),
        ("true", "a boolean"),
        ("null", "null"),
    ] {
        assert_eq!(decode_text(text), Err(InvalidReason::NotAnObject { found }), "{text}");
    }
}

#[test]
fn too_large_is_checked_before_anything_else() {
    let limits = DecodeLimits { max_event_bytes: 100 };
    let text = full("queue_abandoned").to_string();
    assert!(text.len() > 100, "test event must exceed the limit");
    assert_eq!(
        decode(text.as_bytes(), &limits),
        Err(InvalidReason::TooLarge {
            bytes: text.len(),
            limit: 100
        })
    );
    // Even bytes that are not UTF-8 are first of all too large.
    assert_eq!(
        decode(&[0xff; 101], &limits),
        Err(InvalidReason::TooLarge { bytes: 101, limit: 100 })
    );
    // The limit itself is allowed.
    let at_limit = DecodeLimits {
        max_event_bytes: text.len(),
    };
    assert!(decode(text.as_bytes(), &at_limit).is_ok());
    assert_eq!(DecodeLimits::default().max_event_bytes, 1024 * 1024);
}

#[test]
fn required_envelope_field_missing_or_null() {
    for event_type in EVENT_TYPES {
        for field in ["event_id", "event_type", "conversation_id", "occurred_at"] {
            assert_reason(&without(full(event_type), field), InvalidReason::MissingField { field });
            assert_reason(
                &with(full(event_type), field, Value::Null),
                InvalidReason::MissingField { field },
            );
        }
    }
}

#[test]
fn required_type_field_missing_or_null() {
    for (event_type, field) in [
        ("message", "actor"),
        ("intent_predicted", "intent"),
        ("intent_predicted", "confidence"),
        ("intent_predicted", "model"),
        ("tool_call", "tool"),
        ("kb_lookup", "hit"),
        ("handoff_requested", "reason"),
        ("agent_assigned", "agent_id"),
        ("conversation_ended", "disposition"),
        ("csat_submitted", "score"),
        ("intent_labeled", "prediction_event_id"),
        ("intent_labeled", "true_intent"),
    ] {
        assert_reason(&without(full(event_type), field), InvalidReason::MissingField { field });
        assert_reason(
            &with(full(event_type), field, Value::Null),
            InvalidReason::MissingField { field },
        );
    }
    let ranking = |entry: Value| with(full("intent_predicted"), "ranking", json!([entry]));
    assert_reason(
        &ranking(json!({"confidence": 0.5})),
        InvalidReason::MissingField {
            field: "ranking.intent",
        },
    );
    assert_reason(
        &ranking(json!({"intent": "x"})),
        InvalidReason::MissingField {
            field: "ranking.confidence",
        },
    );
}

#[test]
fn field_of_the_wrong_type() {
    let string = "a string";
    let number = "a number";
    let integer = "an integer";
    let boolean = "a boolean";
    let timestamp = "an RFC 3339 string with an offset or integer epoch milliseconds";
    let ranking = "an array of {intent, confidence} objects";
    let numbers = "an array of numbers";
    let cases: Vec<(&str, &str, Value, &str)> = vec![
        ("message", "event_id", json!(42), string),
        ("message", "event_type", json!(["message"]), string),
        ("message", "conversation_id", json!(true), string),
        ("message", "tenant_id", json!(7), string),
        ("message", "customer_id", json!(9), string),
        ("message", "channel", json!(1), string),
        ("message", "seq", json!("7"), integer),
        ("message", "seq", json!(7.0), integer),
        ("message", "schema_version", json!("1"), integer),
        ("message", "schema_version", json!(1.0), integer),
        ("message", "occurred_at", json!(1_793_609_831_197.0), timestamp),
        ("message", "occurred_at", json!(true), timestamp),
        ("message", "occurred_at", json!({"ms": 1}), timestamp),
        ("conversation_started", "locale", json!(1), string),
        ("conversation_started", "bot_version", json!(false), string),
        ("message", "actor", json!(0), string),
        ("message", "text", json!(["hi"]), string),
        ("intent_predicted", "intent", json!(1), string),
        ("intent_predicted", "confidence", json!("high"), number),
        ("intent_predicted", "confidence", json!("NaN"), number),
        ("intent_predicted", "confidence", json!(true), number),
        ("intent_predicted", "model", json!({}), string),
        ("intent_predicted", "model_version", json!(7), string),
        ("intent_predicted", "is_oos", json!("false"), boolean),
        (
            "intent_predicted",
            "ranking",
            json!({"intent": "x", "confidence": 0.5}),
            ranking,
        ),
        ("intent_predicted", "ranking", json!(["x"]), ranking),
        ("intent_predicted", "embedding", json!("0.1,0.2"), numbers),
        ("intent_predicted", "embedding", json!([0.1, "0.2"]), numbers),
        ("tool_call", "tool", json!(3), string),
        ("tool_call", "latency_ms", json!("120"), number),
        ("tool_call", "ok", json!(1), boolean),
        ("kb_lookup", "hit", json!("true"), boolean),
        ("kb_lookup", "article_id", json!(7), string),
        ("kb_lookup", "score", json!("0.8"), number),
        ("kb_lookup", "query", json!(["q"]), string),
        ("handoff_requested", "reason", json!(2), string),
        ("handoff_requested", "queue", json!(2), string),
        ("agent_assigned", "agent_id", json!(5), string),
        ("hold_started", "agent_id", json!(5), string),
        ("hold_ended", "agent_id", json!(5), string),
        ("agent_released", "agent_id", json!(5), string),
        ("wrapup_completed", "agent_id", json!(5), string),
        ("conversation_ended", "disposition", json!(true), string),
        ("conversation_ended", "ended_by", json!(1), string),
        ("csat_submitted", "score", json!(4.0), integer),
        ("csat_submitted", "score", json!(4.5), integer),
        ("csat_submitted", "score", json!(true), integer),
        ("csat_submitted", "score", json!("4"), integer),
        ("csat_submitted", "scale", json!(5.0), integer),
        ("csat_submitted", "comment", json!(5), string),
        ("intent_labeled", "prediction_event_id", json!(3), string),
        ("intent_labeled", "true_intent", json!(3), string),
        ("intent_labeled", "labeler", json!(3), string),
    ];
    for (event_type, field, value, expected) in cases {
        assert_reason(
            &with(full(event_type), field, value),
            InvalidReason::WrongType { field, expected },
        );
    }
    let entry = |entry: Value| with(full("intent_predicted"), "ranking", json!([entry]));
    assert_reason(
        &entry(json!({"intent": 1, "confidence": 0.5})),
        InvalidReason::WrongType {
            field: "ranking.intent",
            expected: string,
        },
    );
    assert_reason(
        &entry(json!({"intent": "x", "confidence": "0.5"})),
        InvalidReason::WrongType {
            field: "ranking.confidence",
            expected: number,
        },
    );
}

#[test]
fn required_string_empty() {
    for (event_type, field) in [
        ("message", "event_id"),
        ("message", "event_type"),
        ("message", "conversation_id"),
        ("message", "tenant_id"),
        ("intent_predicted", "intent"),
        ("intent_predicted", "model"),
        ("tool_call", "tool"),
        ("agent_assigned", "agent_id"),
        ("intent_labeled", "prediction_event_id"),
        ("intent_labeled", "true_intent"),
    ] {
        assert_reason(
            &with(full(event_type), field, json!("")),
            InvalidReason::EmptyField { field },
        );
    }
    assert_reason(
        &with(
            full("intent_predicted"),
            "ranking",
            json!([{"intent": "", "confidence": 0.5}]),
        ),
        InvalidReason::EmptyField {
            field: "ranking.intent",
        },
    );
}

#[test]
fn field_too_long() {
    for field in ["event_id", "conversation_id", "tenant_id"] {
        // 128 characters are fine even when they take 256 bytes; 129 are not.
        assert!(
            decode_json(&with(full("message"), field, json!("é".repeat(128)))).is_ok(),
            "{field}"
        );
        assert_reason(
            &with(full("message"), field, json!("x".repeat(129))),
            InvalidReason::TooLong { field, limit: 128 },
        );
    }
    let text_limit = 64 * 1024;
    assert!(decode_json(&with(full("message"), "text", json!("x".repeat(text_limit)))).is_ok());
    // The text limit is in bytes: 32 769 two-byte characters exceed it.
    assert_reason(
        &with(full("message"), "text", json!("é".repeat(text_limit / 2 + 1))),
        InvalidReason::TooLong {
            field: "text",
            limit: text_limit,
        },
    );
    assert!(decode_json(&with(full("intent_predicted"), "embedding", json!(vec![0.5; 4096]))).is_ok());
    assert_reason(
        &with(full("intent_predicted"), "embedding", json!(vec![0.5; 4097])),
        InvalidReason::TooLong {
            field: "embedding",
            limit: 4096,
        },
    );
}

#[test]
fn occurred_at_unparseable() {
    for text in [
        "yesterday afternoon",
        "2026-11-20T10:00:00",
        "2026-11-20 10:00:00",
        "2026-11-20",
        "2026-11-20T10:00:00+0200",
        "2026-02-30T10:00:00Z",
        "2026-11-20T25:00:00Z",
        "1793609831197",
        "",
    ] {
        let reason = decode_json(&with(full("message"), "occurred_at", json!(text))).expect_err(text);
        assert!(
            matches!(
                reason,
                InvalidReason::BadTimestamp {
                    field: "occurred_at",
                    ..
                }
            ),
            "{text:?} gave {reason:?}"
        );
    }
    let reason = decode_json(&with(full("message"), "occurred_at", json!("2026-11-20T10:00:00")));
    assert_eq!(
        reason,
        Err(InvalidReason::BadTimestamp {
            field: "occurred_at",
            detail: "missing UTC offset (Z or ±HH:MM)".to_owned()
        })
    );
}

#[test]
fn occurred_at_before_1970() {
    let out_of_range = InvalidReason::TimestampOutOfRange { field: "occurred_at" };
    for value in [
        json!("1969-12-31T23:59:59.999999Z"),
        json!("1970-01-01T00:30:00+01:00"),
        json!("0001-01-01T00:00:00Z"),
        json!(-1),
        json!(i64::MIN),
    ] {
        assert_reason(&with(full("message"), "occurred_at", value), out_of_range.clone());
    }
    assert!(decode_json(&with(full("message"), "occurred_at", json!("1970-01-01T00:00:00Z"))).is_ok());
    assert!(decode_json(&with(full("message"), "occurred_at", json!(0))).is_ok());
}

#[test]
fn occurred_at_after_2200() {
    let out_of_range = InvalidReason::TimestampOutOfRange { field: "occurred_at" };
    // 2201-01-01T00:00:00Z in epoch milliseconds, computed by chrono.
    let end_millis = chrono::NaiveDate::from_ymd_opt(2201, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_millis())
        .expect("2201-01-01 is a date");
    for value in [
        json!("2201-01-01T00:00:00Z"),
        json!("2200-12-31T23:30:00-01:00"),
        json!("9999-12-31T23:59:59Z"),
        json!(end_millis),
        json!(u64::MAX),
    ] {
        assert_reason(&with(full("message"), "occurred_at", value), out_of_range.clone());
    }
    assert!(
        decode_json(&with(
            full("message"),
            "occurred_at",
            json!("2200-12-31T23:59:59.999999Z")
        ))
        .is_ok()
    );
    assert!(decode_json(&with(full("message"), "occurred_at", json!(end_millis - 1))).is_ok());
}

#[test]
fn confidence_not_a_finite_number_in_0_1() {
    for value in [json!(-0.01), json!(1.0000001), json!(1.7), json!(2), json!(-1)] {
        assert_reason(
            &with(full("intent_predicted"), "confidence", value),
            InvalidReason::ConfidenceOutOfRange,
        );
    }
    // A string, even a numeric one, is the wrong type rather than a number out of range.
    assert_reason(
        &with(full("intent_predicted"), "confidence", json!("0.5")),
        InvalidReason::WrongType {
            field: "confidence",
            expected: "a number",
        },
    );
    // NaN and infinity cannot be written in JSON: such a record is not JSON at all.
    let nan = full("intent_predicted").to_string().replace("0.91", "NaN");
    assert!(matches!(decode_text(&nan), Err(InvalidReason::NotJson { .. })));
    // Ranking entries obey the same rule.
    assert_reason(
        &with(
            full("intent_predicted"),
            "ranking",
            json!([{"intent": "x", "confidence": 1.5}]),
        ),
        InvalidReason::ConfidenceOutOfRange,
    );
    for bound in [json!(0), json!(1), json!(0.0), json!(1.0)] {
        assert!(decode_json(&with(full("intent_predicted"), "confidence", bound)).is_ok());
    }
}

#[test]
fn csat_score_not_an_integer_in_1_to_scale() {
    let csat = |score: Value, scale: Option<i64>| {
        let event = with(full("csat_submitted"), "score", score);
        match scale {
            Some(scale) => with(event, "scale", json!(scale)),
            None => without(event, "scale"),
        }
    };
    for (score, scale, reported_scale) in [
        (0, None, 5),
        (6, None, 5),
        (-1, Some(5), 5),
        (11, Some(10), 10),
        (3, Some(2), 2),
    ] {
        assert_reason(
            &csat(json!(score), scale),
            InvalidReason::ScoreOutOfRange {
                score,
                scale: reported_scale,
            },
        );
    }
    assert_reason(
        &csat(json!(u64::MAX), None),
        InvalidReason::ScoreOutOfRange {
            score: i64::MAX,
            scale: 5,
        },
    );
    assert_reason(
        &csat(json!(4.0), None),
        InvalidReason::WrongType {
            field: "score",
            expected: "an integer",
        },
    );
    for scale in [1, 11, 0, -5, 300] {
        let reason = decode_json(&csat(json!(1), Some(scale))).expect_err("scale out of 2..=10");
        assert!(
            matches!(reason, InvalidReason::OutOfRange { field: "scale", .. }),
            "scale {scale}: {reason:?}"
        );
    }
    for (score, scale) in [(1, 2), (2, 2), (10, 10), (5, 5)] {
        assert!(decode_json(&csat(json!(score), Some(scale))).is_ok(), "{score}/{scale}");
    }
}

#[test]
fn enum_value_outside_its_list() {
    for (event_type, field, allowed) in [
        ("message", "channel", Channel::ALL),
        ("message", "actor", Actor::ALL),
        ("handoff_requested", "reason", HandoffReason::ALL),
        ("conversation_ended", "disposition", Disposition::ALL),
        ("conversation_ended", "ended_by", EndedBy::ALL),
    ] {
        for value in ["robot", "Chat", "", " customer"] {
            assert_reason(
                &with(full(event_type), field, json!(value)),
                InvalidReason::UnknownEnumValue {
                    field,
                    value: value.to_owned(),
                    allowed,
                },
            );
        }
    }
    // A long value is quoted back shortened; the raw record keeps all of it.
    let long = "x".repeat(1000);
    assert_reason(
        &with(full("message"), "actor", json!(long)),
        InvalidReason::UnknownEnumValue {
            field: "actor",
            value: format!("{}…", "x".repeat(64)),
            allowed: Actor::ALL,
        },
    );
}

#[test]
fn schema_version_newer_than_supported() {
    let supported = convolens_core::event::SUPPORTED_SCHEMA_VERSION;
    for version in [supported + 1, 99] {
        assert_reason(
            &with(full("message"), "schema_version", json!(version)),
            InvalidReason::UnsupportedSchemaVersion { version, supported },
        );
    }
    assert_reason(
        &with(full("message"), "schema_version", json!(u64::MAX)),
        InvalidReason::UnsupportedSchemaVersion {
            version: i64::MAX,
            supported,
        },
    );
    // Checked first: a newer schema may legitimately lack what version 1 requires.
    assert_reason(
        &json!({"schema_version": 2, "event_type": "message"}),
        InvalidReason::UnsupportedSchemaVersion { version: 2, supported },
    );
}

#[test]
fn numbers_out_of_their_range() {
    for version in [0, -1] {
        let reason = decode_json(&with(full("message"), "schema_version", json!(version))).expect_err("version < 1");
        assert!(
            matches!(
                reason,
                InvalidReason::OutOfRange {
                    field: "schema_version",
                    ..
                }
            ),
            "{reason:?}"
        );
    }
    let reason = decode_json(&with(full("message"), "seq", json!(-1))).expect_err("seq < 0");
    assert!(
        matches!(reason, InvalidReason::OutOfRange { field: "seq", .. }),
        "{reason:?}"
    );
    let reason = decode_json(&with(full("tool_call"), "latency_ms", json!(-0.5))).expect_err("latency < 0");
    assert!(
        matches!(
            reason,
            InvalidReason::OutOfRange {
                field: "latency_ms",
                ..
            }
        ),
        "{reason:?}"
    );
    let reason = decode_json(&with(full("intent_predicted"), "embedding", json!([1e39]))).expect_err("beyond f32");
    assert!(
        matches!(reason, InvalidReason::OutOfRange { field: "embedding", .. }),
        "{reason:?}"
    );
}

#[test]
fn first_problem_in_contract_order_is_reported() {
    // event_id is checked before conversation_id, the envelope before the payload.
    let event = without(without(full("message"), "conversation_id"), "event_id");
    assert_reason(&event, InvalidReason::MissingField { field: "event_id" });
    let event = without(with(full("message"), "actor", json!("robot")), "occurred_at");
    assert_reason(&event, InvalidReason::MissingField { field: "occurred_at" });
}
