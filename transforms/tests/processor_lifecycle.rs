//! The processor's lifecycle on explicit sequences of pushes, with the contract's default
//! settings: idle timeout 30 min, allowed lateness 15 min, de-duplication horizon 24 h.
//! The watermark is therefore (highest `occurred_at` so far) − 15 min.

mod session_support;

use convolens_core::{Actor, ConversationFacts, Disposition, Event, HandoffReason, Timestamp};
use convolens_transforms::processor::{Processor, Pushed};
use session_support::*;

fn accepted(processor: &mut Processor, event: Event) {
    let pushed = processor.push(event);
    assert!(
        matches!(pushed, Pushed::Accepted(_)),
        "expected Accepted, got {pushed:?}"
    );
}

/// Moves the watermark to `at(seconds)` with an event of an unrelated conversation.
fn push_watermark_to(processor: &mut Processor, seconds: i64, id: &str) {
    accepted(
        processor,
        event(id, "other", at(seconds + 15 * MINUTE), message(Actor::Bot)),
    );
    assert_eq!(processor.watermark(), Some(at(seconds)));
}

fn only(facts: Vec<ConversationFacts>) -> ConversationFacts {
    assert_eq!(facts.len(), 1, "expected exactly one facts version, got {facts:?}");
    facts.into_iter().next().expect("one element")
}

#[test]
fn the_watermark_trails_the_highest_event_time_and_never_moves_back() {
    let mut processor = Processor::new(default_settings());
    assert_eq!(processor.watermark(), None);
    accepted(&mut processor, event("a", "c", at(HOUR), started()));
    assert_eq!(processor.watermark(), Some(at(HOUR - 15 * MINUTE)));
    accepted(
        &mut processor,
        event("b", "c", at(HOUR - 10 * MINUTE), message(Actor::Customer)),
    );
    assert_eq!(
        processor.watermark(),
        Some(at(HOUR - 15 * MINUTE)),
        "an older event does not move it"
    );
    // A survey answer moves it too.
    accepted(&mut processor, event("c", "c", at(2 * HOUR), csat(4)));
    assert_eq!(processor.watermark(), Some(at(2 * HOUR - 15 * MINUTE)));
    processor.advance_watermark(at(0));
    assert_eq!(
        processor.watermark(),
        Some(at(2 * HOUR - 15 * MINUTE)),
        "advance_watermark never moves it back"
    );
    processor.advance_watermark(at(3 * HOUR));
    assert_eq!(processor.watermark(), Some(at(3 * HOUR)));
    accepted(&mut processor, event("d", "c", at(3 * HOUR), message(Actor::Customer)));
    assert_eq!(
        processor.watermark(),
        Some(at(3 * HOUR)),
        "an event behind an advanced watermark does not lower it"
    );
}

#[test]
fn the_idle_timeout_closes_at_exactly_last_event_plus_idle() {
    let mut processor = Processor::new(default_settings());
    accepted(&mut processor, event("a1", "a", at(0), started()));
    accepted(&mut processor, event("a2", "a", at(60), message(Actor::Customer)));
    // Last event at 60 s: closable once W ≥ 60 s + 30 min.
    accepted(
        &mut processor,
        event("o1", "other", at(60 + 45 * MINUTE - 1), message(Actor::Bot)),
    );
    assert!(
        processor.drain_facts().is_empty(),
        "one second before the idle deadline"
    );
    assert_eq!(processor.stats().open_conversations, 2);
    push_watermark_to(&mut processor, 60 + 30 * MINUTE, "o2");
    let facts = only(processor.drain_facts());
    assert_eq!(facts.conversation_id, "a");
    assert_eq!(facts.version, 1);
    assert!(facts.closed_by_inactivity);
    assert_eq!(facts.disposition, Disposition::Abandoned);
    assert_eq!(
        facts.closed_at,
        at(60),
        "closed_at is the last event, not the watermark"
    );
    assert_eq!(facts.event_count, 2);
    let stats = processor.stats();
    assert_eq!((stats.open_conversations, stats.retained_conversations), (1, 1));
    assert!(
        processor.drain_facts().is_empty(),
        "drained facts are not returned twice"
    );
}

/// A conversation's timer entry stays where its first event put it while later events
/// move its deadline on; it must still close at its real deadline, and conversations
/// that fall due in one watermark step close in the order of their deadlines.
#[test]
fn conversations_close_at_their_latest_deadline_in_deadline_order() {
    let mut processor = Processor::new(default_settings());
    // "a" starts first (entry at 30 min) but its last event is at 20 min: due at 50 min.
    accepted(&mut processor, event("a1", "a", at(0), started()));
    accepted(
        &mut processor,
        event("a2", "a", at(20 * MINUTE), message(Actor::Customer)),
    );
    // "b" is due at 10 + 30 = 40 min; "c" at 5 + 30 = 35 min.
    accepted(&mut processor, event("b1", "b", at(10 * MINUTE), started()));
    accepted(&mut processor, event("c1", "c", at(5 * MINUTE), started()));
    processor.advance_watermark(at(34 * MINUTE));
    assert!(processor.drain_facts().is_empty(), "nothing is due before 35 min");
    processor.advance_watermark(at(45 * MINUTE));
    let closed: Vec<String> = processor.drain_facts().into_iter().map(|f| f.conversation_id).collect();
    assert_eq!(
        closed,
        ["c", "b"],
        "a's first entry (30 min) came up, but a is due at 50 min"
    );
    processor.advance_watermark(at(50 * MINUTE - 1));
    assert!(processor.drain_facts().is_empty());
    processor.advance_watermark(at(50 * MINUTE));
    assert_eq!(only(processor.drain_facts()).conversation_id, "a");

    // One step past every deadline: the order is the deadlines', not the entries'.
    let mut processor = Processor::new(default_settings());
    accepted(&mut processor, event("x1", "x", at(0), started()));
    accepted(
        &mut processor,
        event("x2", "x", at(20 * MINUTE), message(Actor::Customer)),
    );
    accepted(&mut processor, event("y1", "y", at(10 * MINUTE), started()));
    processor.advance_watermark(at(2 * HOUR));
    let closed: Vec<String> = processor.drain_facts().into_iter().map(|f| f.conversation_id).collect();
    assert_eq!(closed, ["y", "x"], "y is due at 40 min, x at 50 min");
}

#[test]
fn an_ended_conversation_closes_when_the_watermark_reaches_closed_at() {
    let mut processor = Processor::new(default_settings());
    accepted(&mut processor, event("a1", "a", at(0), started()));
    accepted(&mut processor, event("a2", "a", at(100), ended(Disposition::Resolved)));
    push_watermark_to(&mut processor, 99, "o1");
    assert!(processor.drain_facts().is_empty());
    push_watermark_to(&mut processor, 100, "o2");
    let facts = only(processor.drain_facts());
    assert_eq!(
        (
            facts.conversation_id.as_str(),
            facts.closed_at,
            facts.closed_by_inactivity
        ),
        ("a", at(100), false)
    );
}

#[test]
fn a_wrapup_after_the_end_delays_closing_until_it() {
    let mut processor = Processor::new(default_settings());
    accepted(&mut processor, event("a1", "a", at(0), assigned("A")));
    accepted(&mut processor, event("a2", "a", at(50), released(Some("A"))));
    accepted(&mut processor, event("a3", "a", at(100), ended(Disposition::Resolved)));
    accepted(&mut processor, event("a4", "a", at(400), wrapup(Some("A"))));
    push_watermark_to(&mut processor, 399, "o1");
    assert!(processor.drain_facts().is_empty(), "closed_at is the wrap-up at 400 s");
    push_watermark_to(&mut processor, 400, "o2");
    let facts = only(processor.drain_facts());
    assert_eq!(facts.closed_at, at(400));
    assert_eq!(facts.acw_s, Some(350.0));
}

#[test]
fn a_late_event_within_lateness_joins_before_emission() {
    let mut processor = Processor::new(default_settings());
    accepted(&mut processor, event("a1", "a", at(0), started()));
    accepted(&mut processor, event("a2", "a", at(100), ended(Disposition::Resolved)));
    push_watermark_to(&mut processor, 90, "o1");
    // 14 minutes behind the highest event time, so still ahead of the watermark.
    accepted(&mut processor, event("a3", "a", at(91), message(Actor::Customer)));
    push_watermark_to(&mut processor, 200, "o2");
    let facts = only(processor.drain_facts());
    assert_eq!(facts.version, 1);
    assert_eq!(facts.customer_messages, 1);
    assert_eq!(facts.event_count, 3);
}

#[test]
fn a_late_handoff_after_emission_is_a_new_version_at_once() {
    let mut processor = Processor::new(default_settings());
    accepted(&mut processor, event("a1", "a", at(0), started()));
    accepted(&mut processor, event("a2", "a", at(100), ended(Disposition::Resolved)));
    push_watermark_to(&mut processor, 2 * HOUR, "o1");
    let first = only(processor.drain_facts());
    assert_eq!((first.version, first.handed_off, first.bot_time_s), (1, false, 100.0));
    assert!(first.resolved_by_bot);

    // Far behind the watermark, but within the de-duplication horizon.
    accepted(
        &mut processor,
        event("a3", "a", at(40), handoff(HandoffReason::CustomerRequest)),
    );
    let second = only(processor.drain_facts());
    assert_eq!(second.version, 2);
    assert!(second.handed_off && !second.resolved_by_bot && !second.contained);
    assert_eq!(second.bot_time_s, 40.0);
    assert_eq!(second.event_count, 3);
    assert_eq!(
        (second.started_at, second.closed_at),
        (first.started_at, first.closed_at)
    );
    let stats = processor.stats();
    assert_eq!(stats.facts_emitted, 2);
    assert_eq!(stats.retained_conversations, 1);
}

#[test]
fn a_late_event_of_a_conversation_still_waiting_for_its_idle_timeout_waits_too() {
    let mut processor = Processor::new(default_settings());
    accepted(&mut processor, event("a1", "a", at(0), started()));
    push_watermark_to(&mut processor, HOUR, "o1");
    assert_eq!(only(processor.drain_facts()).version, 1);
    // A late message extends the conversation to 50 min: its new idle deadline is 80 min,
    // after the watermark (1 h), so the new version waits for it.
    accepted(
        &mut processor,
        event("a2", "a", at(50 * MINUTE), message(Actor::Customer)),
    );
    assert!(processor.drain_facts().is_empty());
    assert_eq!(processor.stats().open_conversations, 2);
    push_watermark_to(&mut processor, 80 * MINUTE, "o2");
    let facts = only(processor.drain_facts());
    assert_eq!(
        (facts.version, facts.closed_at, facts.event_count),
        (2, at(50 * MINUTE), 2)
    );
}

#[test]
fn csat_and_labels_never_create_or_reopen_a_conversation() {
    let mut processor = Processor::new(default_settings());
    accepted(&mut processor, event("s1", "survey-only", at(0), csat(5)));
    accepted(&mut processor, event("l1", "survey-only", at(1), label("x")));
    let mut unknown = event("u1", "survey-only", at(2), convolens_core::Payload::Unknown);
    unknown.event_type = "survey_shown".to_string();
    accepted(&mut processor, unknown);
    let stats = processor.stats();
    assert_eq!(
        (stats.open_conversations, stats.retained_conversations, stats.accepted),
        (0, 0, 3)
    );

    accepted(&mut processor, event("a1", "a", at(10), started()));
    accepted(&mut processor, event("a2", "a", at(20), ended(Disposition::Resolved)));
    push_watermark_to(&mut processor, 30, "o1");
    assert_eq!(only(processor.drain_facts()).conversation_id, "a");
    accepted(&mut processor, event("s2", "a", at(40), csat(1)));
    accepted(&mut processor, event("l2", "a", at(41), label("a1")));
    assert!(
        processor.drain_facts().is_empty(),
        "no new version for late-joined events"
    );
    let finished = processor.finish();
    assert_eq!(
        finished.iter().map(|f| f.conversation_id.as_str()).collect::<Vec<_>>(),
        vec!["other"]
    );
}

#[test]
fn duplicates_minutes_later_and_after_close_change_nothing() {
    let mut processor = Processor::new(default_settings());
    let start = event("a1", "a", at(0), started());
    let end = event("a2", "a", at(100), ended(Disposition::Resolved));
    accepted(&mut processor, start.clone());
    accepted(&mut processor, end.clone());
    // Minutes later, with a different body: the first arrival wins.
    let mut resent = start.clone();
    resent.occurred_at = at(7 * MINUTE);
    assert_eq!(processor.push(resent.clone()), Pushed::Duplicate(resent));
    assert_eq!(
        processor.watermark(),
        Some(Timestamp::from_micros(at(100).micros() - 15 * 60 * 1_000_000))
    );

    push_watermark_to(&mut processor, 3 * HOUR, "o1");
    let facts = only(processor.drain_facts());
    assert_eq!((facts.event_count, facts.started_at), (2, at(0)));
    assert_eq!(processor.push(end.clone()), Pushed::Duplicate(end));
    assert!(
        processor.drain_facts().is_empty(),
        "a duplicate after close makes no new version"
    );
    let stats = processor.stats();
    assert_eq!((stats.accepted, stats.duplicates, stats.too_late), (3, 2, 0));
}

#[test]
fn events_older_than_the_horizon_are_too_late_and_change_nothing() {
    let mut processor = Processor::new(default_settings());
    accepted(&mut processor, event("a1", "a", at(0), started()));
    push_watermark_to(&mut processor, 25 * HOUR, "o1");
    let watermark = processor.watermark();
    let stale = event("z1", "z", at(HOUR - 1), message(Actor::Customer));
    assert_eq!(processor.push(stale.clone()), Pushed::TooLate(stale));
    // Exactly at W − horizon is still checkable.
    accepted(&mut processor, event("z2", "z", at(HOUR), message(Actor::Customer)));
    // A duplicate of a forgotten id is too late as well, not new.
    let forgotten = event("a1", "a", at(0), started());
    assert_eq!(processor.push(forgotten.clone()), Pushed::TooLate(forgotten));
    assert_eq!(processor.watermark(), watermark);
    let stats = processor.stats();
    assert_eq!((stats.too_late, stats.accepted), (2, 3));
}

#[test]
fn retained_conversations_and_ids_are_freed_once_the_horizon_passes() {
    let mut processor = Processor::new(default_settings());
    for i in 0..10 {
        let conversation = format!("c{i}");
        accepted(
            &mut processor,
            event(&format!("{i}-s"), &conversation, at(i), started()),
        );
        accepted(
            &mut processor,
            event(
                &format!("{i}-e"),
                &conversation,
                at(i + 10),
                ended(Disposition::Resolved),
            ),
        );
    }
    push_watermark_to(&mut processor, HOUR, "o1");
    assert_eq!(processor.drain_facts().len(), 10);
    let stats = processor.stats();
    assert_eq!(
        (
            stats.open_conversations,
            stats.retained_conversations,
            stats.tracked_event_ids
        ),
        (1, 10, 21)
    );

    // The last of them closed at 19 s; kept until W passes 19 s + idle + horizon.
    let kept_until = 19 + 30 * MINUTE + 24 * HOUR;
    push_watermark_to(&mut processor, kept_until, "o2");
    assert_eq!(
        processor.stats().retained_conversations,
        1,
        "c9 is kept up to and including its deadline"
    );
    processor.advance_watermark(at(kept_until + 1));
    let stats = processor.stats();
    assert_eq!(stats.retained_conversations, 0);
    // Only the two ids of the events that moved the watermark are left.
    assert_eq!(stats.tracked_event_ids, 2);
    assert_eq!(
        stats.open_conversations, 1,
        "\"other\" is still within its idle timeout"
    );
    assert!(processor.drain_facts().is_empty());
}

#[test]
fn an_event_after_the_conversation_was_dropped_starts_a_new_one() {
    let mut processor = Processor::new(default_settings());
    accepted(&mut processor, event("a1", "a", at(0), started()));
    accepted(&mut processor, event("a2", "a", at(10), ended(Disposition::Resolved)));
    processor.advance_watermark(at(10 + 30 * MINUTE + 24 * HOUR + 1));
    assert_eq!(only(processor.drain_facts()).version, 1);
    assert_eq!(processor.stats().retained_conversations, 0);
    accepted(
        &mut processor,
        event("a3", "a", at(10 + 31 * MINUTE + 24 * HOUR), message(Actor::Customer)),
    );
    let facts = only(processor.finish());
    assert_eq!((facts.version, facts.event_count), (1, 1));
}

#[test]
fn finish_closes_open_conversations_and_re_emits_changed_ones() {
    let mut processor = Processor::new(default_settings());
    accepted(&mut processor, event("a1", "a", at(0), started()));
    accepted(&mut processor, event("a2", "a", at(10), ended(Disposition::Resolved)));
    accepted(&mut processor, event("b1", "b", at(5), started()));
    accepted(&mut processor, event("b2", "b", at(600), message(Actor::Customer)));
    accepted(&mut processor, event("c1", "c", at(7), started()));
    accepted(&mut processor, event("c2", "c", at(20), ended(Disposition::Unresolved)));
    processor.advance_watermark(at(30));
    let first = processor.drain_facts();
    assert_eq!(
        first.iter().map(|f| f.conversation_id.as_str()).collect::<Vec<_>>(),
        vec!["a", "c"]
    );
    // Still closable, so re-emitted at once; not drained, so finish returns it too.
    accepted(&mut processor, event("a3", "a", at(11), message(Actor::Customer)));
    assert_eq!(processor.stats().open_conversations, 1, "only b");

    let finished = processor.finish();
    let summary: Vec<(&str, u32)> = finished
        .iter()
        .map(|f| (f.conversation_id.as_str(), f.version))
        .collect();
    assert_eq!(summary, vec![("a", 2), ("b", 1)]);
    let b = &finished[1];
    assert!(b.closed_by_inactivity);
    assert_eq!((b.closed_at, b.disposition), (at(600), Disposition::Abandoned));
    assert_eq!(processor.stats().open_conversations, 0);
    assert!(processor.finish().is_empty(), "nothing changed since");
}

#[test]
fn the_processor_state_survives_a_checkpoint() {
    let mut processor = Processor::new(default_settings());
    accepted(
        &mut processor,
        with_channel(event("a1", "a", at(0), started()), convolens_core::Channel::Voice),
    );
    accepted(&mut processor, event("a2", "a", at(10), ended(Disposition::Resolved)));
    accepted(&mut processor, event("b1", "b", at(5), intent("x", 0.5)));
    push_watermark_to(&mut processor, 10, "o1");
    let json = serde_json::to_string(&processor).expect("serialises");
    let mut restored: Processor = serde_json::from_str(&json).expect("deserialises");
    assert_eq!(restored.stats(), processor.stats());
    assert_eq!(restored.watermark(), processor.watermark());
    assert_eq!(restored.settings(), processor.settings());
    // Undrained facts, dedup memory and open conversations all come back.
    assert_eq!(restored.drain_facts(), processor.drain_facts());
    let duplicate = event("b1", "b", at(5), intent("x", 0.5));
    assert_eq!(restored.push(duplicate.clone()), Pushed::Duplicate(duplicate));
    accepted(&mut restored, event("b2", "b", at(6), message(Actor::Customer)));
    accepted(&mut processor, event("b2", "b", at(6), message(Actor::Customer)));
    assert_eq!(restored.finish(), processor.finish());
}
