//! The worked example of /work/shared/examples: every line of `small.ndjson` decoded and
//! pushed in file order through a processor with the default settings; the latest facts
//! version of every conversation must match `small.expected.json` (computed independently).

mod session_support;

use std::collections::BTreeMap;
use std::path::PathBuf;

use convolens_core::spec::SessionSettings;
use convolens_core::{ConversationFacts, Timestamp};
use convolens_transforms::decode::{DecodeLimits, decode};
use convolens_transforms::processor::{Processor, Pushed};
use serde_json::Value;
use session_support::assert_close;

fn examples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/examples")
}

struct Replay {
    latest: BTreeMap<(String, String), ConversationFacts>,
    accepted: u64,
    duplicates: u64,
    too_late: u64,
    invalid: u64,
}

fn replay(ndjson: &[u8]) -> Replay {
    let mut processor = Processor::new(SessionSettings::default());
    let mut replay = Replay {
        latest: BTreeMap::new(),
        accepted: 0,
        duplicates: 0,
        too_late: 0,
        invalid: 0,
    };
    let mut all_facts = Vec::new();
    for line in ndjson.split(|byte| *byte == b'\n').filter(|line| !line.is_empty()) {
        let Ok(event) = decode(line, &DecodeLimits::default()) else {
            replay.invalid += 1;
            continue;
        };
        match processor.push(event) {
            Pushed::Accepted(_) => replay.accepted += 1,
            Pushed::Duplicate(_) => replay.duplicates += 1,
            Pushed::TooLate(_) => replay.too_late += 1,
        }
        all_facts.extend(processor.drain_facts());
    }
    all_facts.extend(processor.finish());
    for facts in all_facts {
        let key = (facts.tenant_id.clone(), facts.conversation_id.clone());
        if replay.latest.get(&key).is_none_or(|seen| seen.version < facts.version) {
            replay.latest.insert(key, facts);
        }
    }
    replay
}

fn timestamp(value: &Value, what: &str) -> Timestamp {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("{what}: expected an RFC 3339 string, got {value}"));
    let parsed = chrono::DateTime::parse_from_rfc3339(text).unwrap_or_else(|e| panic!("{what}: {text}: {e}"));
    Timestamp::from(parsed.with_timezone(&chrono::Utc))
}

fn optional_timestamp(value: &Value, what: &str) -> Option<Timestamp> {
    (!value.is_null()).then(|| timestamp(value, what))
}

fn optional_string(value: &Value) -> Option<&str> {
    value.as_str()
}

fn assert_optional_close(actual: Option<f64>, expected: &Value, what: &str) {
    match (actual, expected.as_f64()) {
        (Some(actual), Some(expected)) => assert_close(actual, expected, what),
        (None, None) => {}
        (actual, _) => panic!("{what}: got {actual:?}, expected {expected}"),
    }
}

fn count(value: &Value, what: &str) -> u32 {
    value
        .as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or_else(|| panic!("{what}: not a count: {value}"))
}

fn compare(actual: &ConversationFacts, expected: &Value) {
    let id = format!("{}/{}", actual.tenant_id, actual.conversation_id);
    let what = |field: &str| format!("{id} {field}");
    let field = |name: &str| {
        expected
            .get(name)
            .unwrap_or_else(|| panic!("expected facts lack `{name}`"))
    };

    assert_eq!(
        actual.started_at,
        timestamp(field("started_at"), &what("started_at")),
        "{}",
        what("started_at")
    );
    assert_eq!(
        actual.ended_at,
        optional_timestamp(field("ended_at"), &what("ended_at")),
        "{}",
        what("ended_at")
    );
    assert_eq!(
        actual.closed_at,
        timestamp(field("closed_at"), &what("closed_at")),
        "{}",
        what("closed_at")
    );
    assert_eq!(
        Some(actual.disposition.as_str()),
        field("disposition").as_str(),
        "{}",
        what("disposition")
    );
    assert_eq!(
        Some(actual.channel.as_str()),
        field("channel").as_str(),
        "{}",
        what("channel")
    );
    assert_eq!(
        actual.customer_id.as_deref(),
        optional_string(field("customer_id")),
        "{}",
        what("customer_id")
    );
    assert_eq!(
        actual.handoff_reason.map(|r| r.as_str()),
        optional_string(field("handoff_reason")),
        "{}",
        what("reason")
    );
    assert_eq!(
        actual.first_intent.as_deref(),
        optional_string(field("first_intent")),
        "{}",
        what("first_intent")
    );
    for (name, value) in [
        ("handed_off", actual.handed_off),
        ("agent_handled", actual.agent_handled),
        ("queue_abandoned", actual.queue_abandoned),
        ("contained_gross", actual.contained_gross),
        ("contained", actual.contained),
        ("resolved_by_bot", actual.resolved_by_bot),
    ] {
        assert_eq!(Some(value), field(name).as_bool(), "{}", what(name));
    }
    for (name, value) in [
        ("customer_messages", actual.customer_messages),
        ("bot_messages", actual.bot_messages),
        ("agent_messages", actual.agent_messages),
        ("kb_lookups", actual.kb_lookups),
        ("kb_misses", actual.kb_misses),
    ] {
        assert_eq!(value, count(field(name), &what(name)), "{}", what(name));
    }
    assert_optional_close(Some(actual.bot_time_s), field("bot_time_s"), &what("bot_time_s"));
    for (name, value) in [
        ("queue_wait_s", actual.queue_wait_s),
        ("talk_hold_s", actual.talk_hold_s),
        ("hold_s", actual.hold_s),
        ("acw_s", actual.acw_s),
        ("talk_s", actual.talk_s),
        ("handle_time_s", actual.handle_time_s),
        ("mean_confidence", actual.mean_confidence),
        ("min_confidence", actual.min_confidence),
    ] {
        assert_optional_close(value, field(name), &what(name));
    }
    assert_eq!(
        actual.closed_by_inactivity,
        actual.ended_at.is_none(),
        "{}",
        what("closed_by_inactivity")
    );
}

#[test]
fn small_example_matches_the_expected_conversation_facts() {
    let dir = examples_dir();
    let ndjson = std::fs::read(dir.join("small.ndjson")).expect("small.ndjson is readable");
    let expected: Value =
        serde_json::from_slice(&std::fs::read(dir.join("small.expected.json")).expect("expected file is readable"))
            .expect("expected file is JSON");

    let replay = replay(&ndjson);
    let counts = &expected["counts"];
    assert_eq!(
        Some(replay.duplicates),
        counts["duplicate_lines"].as_u64(),
        "duplicates"
    );
    assert_eq!(
        Some(replay.accepted),
        counts["valid_unique_events"].as_u64(),
        "valid unique events"
    );
    assert_eq!(Some(replay.invalid), counts["invalid_lines"].as_u64(), "invalid lines");
    assert_eq!(replay.too_late, 0, "nothing in the example is a day late");

    let expected_facts = expected["conversation_facts"]
        .as_array()
        .expect("conversation_facts is an array");
    assert_eq!(expected_facts.len(), 60);
    let expected_keys: Vec<(String, String)> = expected_facts
        .iter()
        .map(|facts| {
            let text = |name: &str| facts[name].as_str().expect("ids are strings").to_string();
            (text("tenant_id"), text("conversation_id"))
        })
        .collect();
    let actual_keys: Vec<(String, String)> = replay.latest.keys().cloned().collect();
    let mut sorted_expected_keys = expected_keys.clone();
    sorted_expected_keys.sort();
    assert_eq!(actual_keys, sorted_expected_keys, "the same conversations");

    for (key, expected) in expected_keys.iter().zip(expected_facts) {
        compare(&replay.latest[key], expected);
    }
}
