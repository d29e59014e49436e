//! The traffic looks like support traffic: statistics recomputed from the parsed output.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use convolens_generator::GeneratorConfig;
use serde_json::Value;

use crate::{Parsed, config, events, lines};

const TRAIN_CSV: &str = include_str!("../../data/banking77/train.csv");
const CATEGORIES: &str = include_str!("../../data/banking77/categories.json");

/// Banking77 text → its categories, read with a minimal CSV reader of the test's own.
fn banking77() -> HashMap<String, HashSet<String>> {
    let mut map: HashMap<String, HashSet<String>> = HashMap::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = TRAIN_CSV.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => fields.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                fields.push(std::mem::take(&mut field));
                if let [text, category] = fields.as_slice() {
                    map.entry(text.trim().to_string()).or_default().insert(category.clone());
                }
                fields.clear();
            }
            (false, c) => field.push(c),
        }
    }
    fields.push(field);
    if let [text, category] = fields.as_slice() {
        map.entry(text.trim().to_string()).or_default().insert(category.clone());
    }
    map
}

fn categories() -> HashSet<String> {
    serde_json::from_str::<Vec<String>>(CATEGORIES)
        .expect("categories.json")
        .into_iter()
        .collect()
}

fn by_conversation(events: &[Parsed]) -> HashMap<&str, Vec<&Parsed>> {
    let mut map: HashMap<&str, Vec<&Parsed>> = HashMap::new();
    for event in events {
        map.entry(event.str("conversation_id")).or_default().push(event);
    }
    for list in map.values_mut() {
        list.sort_by_key(|e| (e.occurred_at_ms, e.object.get("seq").and_then(Value::as_u64)));
    }
    map
}

fn is(event: &Parsed, event_type: &str) -> bool {
    event.str("event_type") == event_type
}

#[test]
fn customers_write_banking77_and_labels_give_the_utterance_category() {
    let lines = lines(config(2_000));
    let events = events(&lines);
    let corpus = banking77();
    let categories = categories();
    assert_eq!(categories.len(), 77);
    let predictions: HashMap<&str, &Parsed> = events
        .iter()
        .filter(|e| is(e, "intent_predicted"))
        .map(|e| (e.str("event_id"), e))
        .collect();
    for prediction in predictions.values() {
        assert!(
            categories.contains(prediction.str("intent")),
            "{}",
            prediction.str("intent")
        );
    }
    let conversations = by_conversation(&events);
    let mut checked = 0;
    for label in events.iter().filter(|e| is(e, "intent_labeled")) {
        let prediction = predictions[label.str("prediction_event_id")];
        assert_eq!(prediction.str("conversation_id"), label.str("conversation_id"));
        // Labels come hours to days after the prediction.
        assert!(label.occurred_at_ms - prediction.occurred_at_ms >= 3_600_000);
        let asked = conversations[label.str("conversation_id")]
            .iter()
            .rev()
            .find(|e| is(e, "message") && e.str("actor") == "customer" && e.occurred_at_ms < prediction.occurred_at_ms)
            .expect("a customer message precedes every prediction");
        if let Some(categories_of_text) = corpus.get(asked.str("text")) {
            assert!(
                categories_of_text.contains(label.str("true_intent")),
                "{} → {}",
                asked.str("text"),
                label.str("true_intent")
            );
            checked += 1;
        }
    }
    assert!(checked > 500, "checked {checked}");
    let labels = events.iter().filter(|e| is(e, "intent_labeled")).count() as f64;
    let share = labels / predictions.len() as f64;
    assert!((0.26..0.34).contains(&share), "label share {share}");
}

#[test]
fn router_confidence_is_realistically_calibrated() {
    let events = events(&lines(config(4_000)));
    let labels: HashMap<&str, &str> = events
        .iter()
        .filter(|e| is(e, "intent_labeled"))
        .map(|e| (e.str("prediction_event_id"), e.str("true_intent")))
        .collect();
    let mut by_version: HashMap<&str, (f64, f64, usize)> = HashMap::new();
    let (mut right, mut wrong) = (Vec::new(), Vec::new());
    for prediction in events.iter().filter(|e| is(e, "intent_predicted")) {
        let Some(truth) = labels.get(prediction.str("event_id")) else {
            continue;
        };
        let confidence = prediction.f64("confidence").expect("checked");
        let correct = prediction.str("intent") == *truth;
        let entry = by_version.entry(prediction.str("model_version")).or_default();
        entry.0 += confidence;
        entry.1 += f64::from(u8::from(correct));
        entry.2 += 1;
        if correct {
            right.push(confidence)
        } else {
            wrong.push(confidence)
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    assert!(
        mean(&right) > mean(&wrong) + 0.1,
        "right {} wrong {}",
        mean(&right),
        mean(&wrong)
    );
    let (c2, a2, n2) = by_version["v2"];
    let (c1, a1, n1) = by_version["v1"];
    assert!(n1 > 300 && n2 > 300);
    let gap_v2 = c2 / n2 as f64 - a2 / n2 as f64;
    let gap_v1 = c1 / n1 as f64 - a1 / n1 as f64;
    assert!(gap_v2.abs() < 0.04, "v2 gap {gap_v2}");
    assert!(gap_v1 > 0.02, "v1 should be overconfident, gap {gap_v1}");
}

#[test]
fn outcomes_handoffs_and_surveys_are_plausible() {
    let events = events(&lines(config(4_000)));
    let conversations = by_conversation(&events);
    let n = conversations.len() as f64;
    let count = |predicate: &dyn Fn(&[&Parsed]) -> bool| conversations.values().filter(|c| predicate(c)).count() as f64;
    let has = |list: &[&Parsed], t: &str| list.iter().any(|e| is(e, t));

    let handed_off = count(&|c| has(c, "handoff_requested")) / n;
    let agent = count(&|c| has(c, "agent_assigned")) / n;
    let queue_abandoned = count(&|c| has(c, "queue_abandoned")) / n;
    let never_ended = count(&|c| !has(c, "conversation_ended")) / n;
    let transferred = count(&|c| c.iter().filter(|e| is(e, "agent_assigned")).count() > 1) / n;
    let held = count(&|c| has(c, "hold_started")) / n;
    let wrapup_after_end = count(&|c| {
        let ended = c.iter().find(|e| is(e, "conversation_ended")).map(|e| e.occurred_at_ms);
        ended.is_some_and(|end| c.iter().any(|e| is(e, "wrapup_completed") && e.occurred_at_ms > end))
    });
    assert!((0.15..0.40).contains(&handed_off), "handoff {handed_off}");
    assert!(agent > 0.1 && agent < handed_off, "agent {agent}");
    assert!(queue_abandoned > 0.005, "queue abandoned {queue_abandoned}");
    assert!((0.02..0.15).contains(&never_ended), "silent abandons {never_ended}");
    assert!(transferred > 0.002 && held > 0.01, "transfer {transferred} hold {held}");
    assert!(wrapup_after_end > 10.0);

    // Low-confidence handoffs follow unsure predictions.
    let min_confidence = |c: &[&Parsed]| {
        c.iter()
            .filter(|e| is(e, "intent_predicted"))
            .filter_map(|e| e.f64("confidence"))
            .fold(1.0, f64::min)
    };
    let reason_of = |c: &[&Parsed]| {
        c.iter()
            .find(|e| is(e, "handoff_requested"))
            .map(|e| e.str("reason").to_string())
    };
    let (mut low, mut other) = (Vec::new(), Vec::new());
    for c in conversations.values() {
        match reason_of(c).as_deref() {
            Some("low_confidence") => low.push(min_confidence(c)),
            Some(_) => other.push(min_confidence(c)),
            None => {}
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    assert!(low.len() > 50, "low-confidence handoffs {}", low.len());
    assert!(
        mean(&low) + 0.2 < mean(&other),
        "low {} other {}",
        mean(&low),
        mean(&other)
    );

    // Surveys: about 30 %, after the conversation, scores following the outcome.
    let mut by_outcome: HashMap<&str, Vec<f64>> = HashMap::new();
    let mut answered = 0.0;
    let mut scales = HashSet::new();
    let mut comments = 0;
    for c in conversations.values() {
        let Some(csat) = c.iter().find(|e| is(e, "csat_submitted")) else {
            continue;
        };
        answered += 1.0;
        let score = csat.f64("score").expect("checked");
        let scale = csat.f64("scale").unwrap_or(5.0);
        scales.insert((scale as u8, csat.object.contains_key("scale")));
        comments += usize::from(csat.object.contains_key("comment"));
        let ended = c.iter().find(|e| is(e, "conversation_ended"));
        if let Some(ended) = ended {
            assert!(
                csat.occurred_at_ms > ended.occurred_at_ms + 60_000,
                "survey arrives minutes later at least"
            );
        }
        let outcome = match (ended.map(|e| e.str("disposition")), has(c, "handoff_requested")) {
            (Some("resolved"), false) => "bot_resolved",
            (Some("resolved"), true) => "agent_resolved",
            _ => "not_resolved",
        };
        by_outcome
            .entry(outcome)
            .or_default()
            .push(1.0 + 4.0 * (score - 1.0) / (scale - 1.0));
    }
    let rate = answered / n;
    assert!((0.25..0.36).contains(&rate), "csat rate {rate}");
    assert!(scales.contains(&(10, true)) && scales.contains(&(5, false)) && scales.contains(&(5, true)));
    assert!(comments > 50);
    let bot = mean(&by_outcome["bot_resolved"]);
    let unresolved = mean(&by_outcome["not_resolved"]);
    assert!(
        bot > unresolved + 1.5,
        "bot-resolved {bot} vs not resolved {unresolved}"
    );
    assert!(mean(&by_outcome["agent_resolved"]) > unresolved + 1.0);
}

#[test]
fn wire_format_varies_like_real_producers() {
    let lines = lines(config(6_000));
    let events = events(&lines);
    let (mut utc, mut offset_east, mut offset_west, mut epoch) = (0, 0, 0, 0);
    for event in &events {
        match &event.object["occurred_at"] {
            Value::Number(_) => epoch += 1,
            Value::String(text) if text.ends_with('Z') => utc += 1,
            Value::String(text) if text.contains('+') => offset_east += 1,
            Value::String(_) => offset_west += 1,
            other => panic!("occurred_at {other}"),
        }
    }
    let total = events.len() as f64;
    assert!(f64::from(utc) / total > 0.7);
    assert!(offset_east > 100 && offset_west > 100 && epoch > 1_000);

    let unknown = events.iter().filter(|e| !KNOWN.contains(&e.str("event_type"))).count() as f64;
    assert!(
        (total / 6_000.0..total / 800.0).contains(&unknown),
        "{unknown} unknown-type events of {total}"
    );
    assert!(events.iter().any(|e| e.object.contains_key("seq")));
    assert!(events.iter().any(|e| e.object.contains_key("schema_version")));
    assert!(
        events.iter().any(|e| e.object.contains_key("platform")),
        "producer-specific extra fields"
    );

    let started: Vec<&Parsed> = events.iter().filter(|e| is(e, "conversation_started")).collect();
    let anonymous = started.iter().filter(|e| !e.object.contains_key("customer_id")).count() as f64;
    assert!((0.05..0.15).contains(&(anonymous / started.len() as f64)));
    let channels: HashSet<&str> = started.iter().map(|e| e.str("channel")).collect();
    assert_eq!(channels.len(), 5);
    for event in &events {
        assert!(event.str("event_id").len() <= 128 && event.str("conversation_id").len() <= 128);
        assert!(event.str("text").len() <= 64 * 1024);
    }
}

const KNOWN: &[&str] = &[
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

/// Textbook Luhn check.
fn luhn_valid(digits: &[u32]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| if i % 2 == 1 { (d * 2) / 10 + (d * 2) % 10 } else { d })
        .sum();
    sum.is_multiple_of(10)
}

#[test]
fn some_customer_messages_carry_pii_to_redact() {
    let events = events(&lines(config(3_000)));
    let customer_texts: Vec<&str> = events
        .iter()
        .filter(|e| is(e, "message") && e.str("actor") == "customer")
        .map(|e| e.str("text"))
        .collect();
    let emails = customer_texts
        .iter()
        .filter(|t| t.contains("@example.") || t.contains("@mail.example."))
        .count();
    let phones = customer_texts
        .iter()
        .filter(|t| t.contains("7700 900") || t.contains("202-555-0"))
        .count();
    let cards = customer_texts
        .iter()
        .filter(|t| {
            let digits: Vec<u32> = t
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == ' ')
                .filter_map(|c| c.to_digit(10))
                .collect();
            t.contains("4000") && digits.len() >= 16 && luhn_valid(&digits[digits.len() - 16..])
        })
        .count();
    assert!(
        emails > 20 && phones > 20 && cards > 10,
        "emails {emails} phones {phones} cards {cards}"
    );
    let share = (emails + phones + cards) as f64 / customer_texts.len() as f64;
    assert!(share < 0.06, "PII share {share}");
}

#[test]
fn traffic_follows_the_day_and_customers_come_back() {
    // Monday to Friday.
    let config = GeneratorConfig {
        span: Duration::from_secs(5 * 86_400),
        ..config(5_000)
    };
    let events = events(&lines(config));
    let started: Vec<&Parsed> = events.iter().filter(|e| is(e, "conversation_started")).collect();
    let business = started
        .iter()
        .filter(|e| (9..17).contains(&((e.occurred_at_ms - crate::MONDAY_MS) / 3_600_000 % 24)))
        .count() as f64;
    assert!(
        business / started.len() as f64 > 0.55,
        "business-hours share {}",
        business / started.len() as f64
    );

    // Recontact: the same customer starts again within 24 h of a conversation's end.
    let conversations = by_conversation(&events);
    let mut by_customer: HashMap<(String, String), Vec<(i64, i64)>> = HashMap::new();
    for list in conversations.values() {
        let Some(customer) = list
            .iter()
            .find_map(|e| e.object.get("customer_id").and_then(Value::as_str))
        else {
            continue;
        };
        let start = list.first().map_or(0, |e| e.occurred_at_ms);
        let end = list
            .iter()
            .filter(|e| !matches!(e.str("event_type"), "csat_submitted" | "intent_labeled"))
            .map(|e| e.occurred_at_ms)
            .max()
            .unwrap_or(start);
        by_customer
            .entry((list[0].str("tenant_id").to_string(), customer.to_string()))
            .or_default()
            .push((start, end));
    }
    let mut recontacts = 0;
    for spans in by_customer.values_mut() {
        spans.sort();
        recontacts += spans
            .windows(2)
            .filter(|w| w[1].0 > w[0].1 && w[1].0 - w[0].1 <= 86_400_000)
            .count();
    }
    assert!(
        recontacts as f64 > 0.03 * conversations.len() as f64,
        "recontacts {recontacts}"
    );
}

#[test]
fn embeddings_only_when_asked() {
    let without = events(&lines(config(100)));
    assert!(without.iter().all(|e| !e.object.contains_key("embedding")));
    let with = events(&lines(GeneratorConfig {
        embeddings: true,
        ..config(100)
    }));
    let predictions: Vec<&Parsed> = with.iter().filter(|e| is(e, "intent_predicted")).collect();
    assert!(!predictions.is_empty());
    for prediction in predictions {
        let embedding = prediction.object["embedding"].as_array().expect("array");
        assert_eq!(embedding.len(), 16);
        assert!(embedding.iter().all(|v| v.as_f64().is_some_and(f64::is_finite)));
    }
}
