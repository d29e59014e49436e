//! Drift injection changes the traffic from its start, and nothing before it.

use std::collections::{HashMap, HashSet};

use convolens_core::Timestamp;
use convolens_generator::{DriftInjection, GeneratorConfig, LineKind};

use crate::{MONDAY_MS, Parsed, config, lines, valid};

const INCIDENT: [&str; 5] = [
    "compromised_card",
    "card_payment_not_recognised",
    "lost_or_stolen_card",
    "direct_debit_payment_not_recognised",
    "cash_withdrawal_not_recognised",
];
/// Noon of the generated Monday.
const FROM_MS: i64 = MONDAY_MS + 12 * 3_600_000;

fn drifted_config() -> GeneratorConfig {
    GeneratorConfig {
        drift: Some(DriftInjection::starting_at(Timestamp::from_millis(FROM_MS))),
        ..config(4_000)
    }
}

/// Conversation id → its start (its earliest event, surveys and labels aside).
fn starts(events: &[Parsed]) -> HashMap<String, i64> {
    let mut starts: HashMap<String, i64> = HashMap::new();
    for event in events
        .iter()
        .filter(|e| !matches!(e.str("event_type"), "csat_submitted" | "intent_labeled"))
    {
        let start = starts
            .entry(event.str("conversation_id").to_string())
            .or_insert(i64::MAX);
        *start = (*start).min(event.occurred_at_ms);
    }
    starts
}

struct Side {
    predictions: usize,
    incident: usize,
    confidence_sum: f64,
    conversations: HashSet<String>,
    handed_off: HashSet<String>,
    unseen_labels: usize,
}

/// Statistics of the conversations starting before and after `FROM_MS`.
fn split(events: &[Parsed]) -> (Side, Side) {
    let starts = starts(events);
    let known: HashSet<String> =
        serde_json::from_str::<Vec<String>>(include_str!("../../data/banking77/categories.json"))
            .expect("json")
            .into_iter()
            .collect();
    let new_side = || Side {
        predictions: 0,
        incident: 0,
        confidence_sum: 0.0,
        conversations: HashSet::new(),
        handed_off: HashSet::new(),
        unseen_labels: 0,
    };
    let (mut before, mut after) = (new_side(), new_side());
    for event in events {
        let conversation = event.str("conversation_id");
        let side = if starts[conversation] >= FROM_MS {
            &mut after
        } else {
            &mut before
        };
        side.conversations.insert(conversation.to_string());
        match event.str("event_type") {
            "intent_predicted" => {
                side.predictions += 1;
                side.incident += usize::from(INCIDENT.contains(&event.str("intent")));
                side.confidence_sum += event.f64("confidence").unwrap_or(0.0);
                assert!(
                    known.contains(event.str("intent")),
                    "the router only predicts intents it knows"
                );
            }
            "handoff_requested" => {
                side.handed_off.insert(conversation.to_string());
            }
            "intent_labeled" => side.unseen_labels += usize::from(!known.contains(event.str("true_intent"))),
            _ => {}
        }
    }
    (before, after)
}

#[test]
fn drift_shifts_intents_lowers_confidence_and_adds_handoffs_after_its_start() {
    let lines = lines(drifted_config());
    let events: Vec<Parsed> = valid(&lines)
        .into_iter()
        .filter(|p| p.kind == LineKind::Event)
        .collect();
    let (before, after) = split(&events);
    let incident_share = |side: &Side| side.incident as f64 / side.predictions as f64;
    let mean_confidence = |side: &Side| side.confidence_sum / side.predictions as f64;
    let handoff_rate = |side: &Side| side.handed_off.len() as f64 / side.conversations.len() as f64;
    assert!(before.predictions > 1_000 && after.predictions > 1_000);
    assert!(
        incident_share(&after) > incident_share(&before) + 0.2,
        "{} → {}",
        incident_share(&before),
        incident_share(&after)
    );
    assert!(mean_confidence(&after) < mean_confidence(&before) - 0.08);
    assert!(handoff_rate(&after) > handoff_rate(&before) + 0.05);
    assert_eq!(before.unseen_labels, 0);
    assert!(
        after.unseen_labels > 10,
        "unseen intents among labels: {}",
        after.unseen_labels
    );

    // Without drift the two halves of the day look alike.
    let plain: Vec<Parsed> = valid(&crate::lines(config(4_000)))
        .into_iter()
        .filter(|p| p.kind == LineKind::Event)
        .collect();
    let (plain_before, plain_after) = split(&plain);
    assert!((incident_share(&plain_after) - incident_share(&plain_before)).abs() < 0.05);
    assert!((mean_confidence(&plain_after) - mean_confidence(&plain_before)).abs() < 0.03);
}

#[test]
fn drift_leaves_conversations_before_its_start_untouched() {
    let drifted = lines(drifted_config());
    let plain = lines(config(4_000));
    // Valid lines of conversations that start before the drift, as sets of bytes.
    let before = |lines: &[convolens_generator::Line]| -> HashSet<Vec<u8>> {
        let parsed = valid(lines);
        let starts = starts(&parsed);
        lines
            .iter()
            .filter(|line| line.kind != LineKind::Duplicate && !matches!(line.kind, LineKind::Invalid(_)))
            .filter(|line| line.key.as_ref().is_some_and(|key| starts[key.as_str()] < FROM_MS))
            .map(|line| line.bytes.clone())
            .collect()
    };
    let (drifted_before, plain_before) = (before(&drifted), before(&plain));
    assert!(plain_before.len() > 10_000);
    assert_eq!(drifted_before, plain_before);
}
