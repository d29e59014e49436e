//! Properties of the processor over generated conversations: arrival order, duplicate
//! deliveries and checkpoints do not change the facts, and the latest version of every
//! conversation equals `compute_facts` over all of its events.

mod session_support;

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use convolens_core::spec::SessionSettings;
use convolens_core::{Actor, Channel, ConversationFacts, Disposition, Event, HandoffReason, Payload, Timestamp};
use convolens_transforms::processor::{Processor, Pushed};
use convolens_transforms::session::{ConversationKey, FactEvent, compute_facts};
use proptest::prelude::*;
use session_support::*;

/// All generated events fall in these three hours: well inside the 24 h horizon, so no
/// event is too late and no conversation is dropped, whatever the arrival order.
const SPAN_MS: i64 = 3 * 3600 * 1000;
const LATENESS_MS: i64 = 15 * 60 * 1000;
const MAX_EVENTS: usize = 60;

#[derive(Debug, Clone)]
struct EventSpec {
    conversation: u8,
    offset_ms: i64,
    seq: Option<u64>,
    channel: Option<Channel>,
    customer: Option<u8>,
    payload: Payload,
}

fn payload_strategy() -> impl Strategy<Value = Payload> {
    let actor = prop_oneof![Just(Actor::Customer), Just(Actor::Bot), Just(Actor::Agent)];
    let reason = prop_oneof![Just(HandoffReason::LowConfidence), Just(HandoffReason::CustomerRequest)];
    let disposition = prop_oneof![
        Just(Disposition::Resolved),
        Just(Disposition::Unresolved),
        Just(Disposition::Abandoned)
    ];
    let agent = || proptest::option::of(prop_oneof![Just("A"), Just("B")]);
    prop_oneof![
        2 => Just(started()),
        4 => actor.prop_map(message),
        3 => (prop_oneof![Just("a"), Just("b"), Just("c")], 0.0..=1.0f64).prop_map(|(name, c)| intent(name, c)),
        1 => Just(tool_call()),
        1 => any::<bool>().prop_map(kb_lookup),
        1 => reason.prop_map(handoff),
        2 => prop_oneof![Just("A"), Just("B")].prop_map(assigned),
        2 => Just(hold_started()),
        2 => Just(hold_ended()),
        2 => agent().prop_map(released),
        2 => agent().prop_map(wrapup),
        1 => Just(Payload::QueueAbandoned),
        2 => disposition.prop_map(ended),
        1 => (1u8..=5).prop_map(csat),
        1 => Just(label("x")),
        1 => Just(Payload::Unknown),
    ]
}

fn spec_strategy() -> impl Strategy<Value = EventSpec> {
    // Some events share a second, so ties on occurred_at (and seq) are common.
    let offset_ms = prop_oneof![0..SPAN_MS, (0i64..40).prop_map(|s| s * 1000)];
    let channel = proptest::option::of(prop_oneof![Just(Channel::Chat), Just(Channel::Voice)]);
    (
        0u8..4,
        offset_ms,
        proptest::option::of(0u64..3),
        channel,
        proptest::option::of(0u8..3),
        payload_strategy(),
    )
        .prop_map(|(conversation, offset_ms, seq, channel, customer, payload)| EventSpec {
            conversation,
            offset_ms,
            seq,
            channel,
            customer,
            payload,
        })
}

fn specs_strategy() -> impl Strategy<Value = Vec<EventSpec>> {
    proptest::collection::vec(spec_strategy(), 1..MAX_EVENTS)
}

/// Sort keys: the i-th event of a permutation is the one with the i-th smallest key.
fn shuffle_keys() -> impl Strategy<Value = Vec<u32>> {
    proptest::collection::vec(any::<u32>(), 2 * MAX_EVENTS)
}

fn build(specs: &[EventSpec]) -> Vec<Event> {
    specs
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            let mut event = event(
                &format!("e{i}"),
                &format!("c{}", spec.conversation),
                at_ms(spec.offset_ms),
                spec.payload.clone(),
            );
            event.seq = spec.seq;
            event.channel = spec.channel;
            event.customer_id = spec.customer.map(|c| format!("u{c}"));
            event
        })
        .collect()
}

/// Keeps the first event of each (conversation, occurred_at, seq), so that the order of a
/// conversation's events never falls back to arrival and facts cannot depend on it.
fn without_full_ties(specs: Vec<EventSpec>) -> Vec<EventSpec> {
    let mut seen = HashSet::new();
    specs
        .into_iter()
        .filter(|spec| seen.insert((spec.conversation, spec.offset_ms, spec.seq)))
        .collect()
}

fn permute<T: Clone>(items: &[T], keys: &[u32]) -> Vec<T> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| (keys.get(i).copied().unwrap_or(0), i));
    order.into_iter().map(|i| items[i].clone()).collect()
}

/// Every facts version emitted, in order, from pushing `events` and finishing.
fn run(settings: &SessionSettings, events: &[Event]) -> (Vec<ConversationFacts>, Vec<Pushed>) {
    let mut processor = Processor::new(settings.clone());
    let mut emitted = Vec::new();
    let mut pushed = Vec::new();
    for event in events {
        pushed.push(processor.push(event.clone()));
        emitted.extend(processor.drain_facts());
    }
    emitted.extend(processor.finish());
    (emitted, pushed)
}

fn latest_versions(emitted: Vec<ConversationFacts>) -> BTreeMap<(String, String), ConversationFacts> {
    let mut latest: BTreeMap<(String, String), ConversationFacts> = BTreeMap::new();
    for facts in emitted {
        let key = (facts.tenant_id.clone(), facts.conversation_id.clone());
        if latest.get(&key).is_none_or(|seen| seen.version < facts.version) {
            latest.insert(key, facts);
        }
    }
    latest
}

fn unversioned(latest: BTreeMap<(String, String), ConversationFacts>) -> BTreeMap<(String, String), ConversationFacts> {
    latest
        .into_iter()
        .map(|(key, facts)| (key, without_version(facts)))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// (1) Any arrival order in which no event is more than the allowed lateness behind
    /// the highest event time before it gives the same final facts (versions aside: how
    /// often a conversation was re-emitted depends on the order).
    #[test]
    fn arrival_order_within_lateness_does_not_change_final_facts(
        specs in specs_strategy(),
        delays in proptest::collection::vec(0..=LATENESS_MS, MAX_EVENTS),
    ) {
        let events = build(&without_full_ties(specs));
        let mut in_time_order = events.clone();
        in_time_order.sort_by_key(|event| event.occurred_at);
        // Each event is delivered up to `allowed_lateness` after it occurred.
        let delivered = |i: usize| events[i].occurred_at.micros() + delays[i] * 1000;
        let mut order: Vec<usize> = (0..events.len()).collect();
        order.sort_by_key(|&i| (delivered(i), i));
        let disordered: Vec<Event> = order.iter().map(|&i| events[i].clone()).collect();
        let mut highest: Option<Timestamp> = None;
        for event in &disordered {
            let not_too_late = highest.is_none_or(|h| event.occurred_at.micros() >= h.micros() - LATENESS_MS * 1000);
            prop_assert!(not_too_late, "generator: an event later than allowed");
            highest = Some(highest.map_or(event.occurred_at, |h| h.max(event.occurred_at)));
        }

        let settings = default_settings();
        let (sorted_facts, _) = run(&settings, &in_time_order);
        let (disordered_facts, pushed) = run(&settings, &disordered);
        prop_assert!(pushed.iter().all(|p| matches!(p, Pushed::Accepted(_))));
        prop_assert_eq!(unversioned(latest_versions(disordered_facts)), unversioned(latest_versions(sorted_facts)));
    }

    /// (2) Feeding every event twice, at any positions, accepts each event once (the
    /// first copy) and emits exactly what feeding the first copies once emits.
    #[test]
    fn duplicate_deliveries_change_nothing(specs in specs_strategy(), keys in shuffle_keys()) {
        let events = build(&specs);
        let doubled: Vec<Event> = events.iter().chain(events.iter()).cloned().collect();
        let doubled = permute(&doubled, &keys);
        let mut first_ids = HashSet::new();
        let first_copies: Vec<Event> = doubled.iter().filter(|e| first_ids.insert(e.event_id.clone())).cloned().collect();

        let settings = default_settings();
        let (once, _) = run(&settings, &first_copies);
        let (twice, pushed) = run(&settings, &doubled);
        let accepted: Vec<&str> = pushed
            .iter()
            .filter_map(|p| match p { Pushed::Accepted(e) => Some(e.event_id.as_str()), _ => None })
            .collect();
        let first_order: Vec<&str> = first_copies.iter().map(|e| e.event_id.as_str()).collect();
        prop_assert_eq!(accepted, first_order);
        prop_assert_eq!(pushed.iter().filter(|p| matches!(p, Pushed::Duplicate(_))).count(), events.len());
        prop_assert_eq!(twice, once);
    }

    /// (3) With any arrival order at all, the latest version of every conversation's facts
    /// equals `compute_facts` over all of its events (numbered in arrival order).
    #[test]
    fn latest_version_is_compute_facts_over_all_events(specs in specs_strategy(), keys in shuffle_keys()) {
        let events = permute(&build(&specs), &keys);
        let (emitted, pushed) = run(&default_settings(), &events);
        prop_assert!(pushed.iter().all(|p| matches!(p, Pushed::Accepted(_))));

        let mut by_key: BTreeMap<(String, String), Vec<FactEvent>> = BTreeMap::new();
        for (arrival, event) in events.iter().enumerate() {
            if let Some(fact_event) = FactEvent::from_event(event, arrival as u64) {
                by_key.entry((event.tenant_id.clone(), event.conversation_id.clone())).or_default().push(fact_event);
            }
        }
        let latest = latest_versions(emitted);
        prop_assert_eq!(latest.keys().collect::<Vec<_>>(), by_key.keys().collect::<Vec<_>>());
        for ((tenant, conversation), fact_events) in &by_key {
            let actual = &latest[&(tenant.clone(), conversation.clone())];
            let expected = compute_facts(&ConversationKey::new(tenant, conversation), fact_events, actual.version);
            prop_assert_eq!(Some(actual), expected.as_ref());
        }
    }

    /// A checkpoint taken anywhere (serde_json round trip) and resumed emits exactly what
    /// an uninterrupted run emits.
    #[test]
    fn a_checkpoint_anywhere_resumes_exactly(specs in specs_strategy(), keys in shuffle_keys(), split in any::<usize>()) {
        let events = permute(&build(&specs), &keys);
        let settings = default_settings();
        let (uninterrupted, _) = run(&settings, &events);

        let split = split % (events.len() + 1);
        let mut processor = Processor::new(settings);
        let mut emitted = Vec::new();
        for event in &events[..split] {
            processor.push(event.clone());
        }
        let checkpoint = serde_json::to_string(&processor).expect("serialises");
        let mut processor: Processor = serde_json::from_str(&checkpoint).expect("deserialises");
        emitted.extend(processor.drain_facts());
        for event in &events[split..] {
            processor.push(event.clone());
            emitted.extend(processor.drain_facts());
        }
        emitted.extend(processor.finish());
        prop_assert_eq!(emitted, uninterrupted);
    }

    /// Nothing panics on any timestamps and settings, and the counters add up.
    #[test]
    fn extreme_times_and_settings_never_panic(
        times in proptest::collection::vec(any::<i64>(), 1..40),
        payloads in proptest::collection::vec(payload_strategy(), 40),
        conversations in proptest::collection::vec(0u8..3, 40),
        durations in (any::<u64>(), any::<u64>(), any::<u64>()),
        advance in proptest::option::of(any::<i64>()),
    ) {
        let settings = SessionSettings {
            idle_timeout: Duration::from_micros(durations.0),
            allowed_lateness: Duration::from_micros(durations.1),
            dedup_horizon: Duration::from_secs(durations.2),
        };
        let mut processor = Processor::new(settings);
        for (i, micros) in times.iter().enumerate() {
            let conversation = format!("c{}", conversations[i]);
            // Every other id repeats, to exercise duplicates as well.
            let id = format!("e{}", i / 2);
            processor.push(event(&id, &conversation, Timestamp::from_micros(*micros), payloads[i].clone()));
            if i == times.len() / 2 && let Some(to) = advance {
                processor.advance_watermark(Timestamp::from_micros(to));
            }
        }
        let finished = processor.finish();
        let stats = processor.stats();
        prop_assert_eq!(stats.accepted + stats.duplicates + stats.too_late, times.len() as u64);
        prop_assert_eq!(stats.open_conversations, 0);
        prop_assert_eq!(finished.len() as u64, stats.facts_emitted, "nothing was drained before finish");
    }
}
