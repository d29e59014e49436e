//! `compute_facts` on hand-built conversations, each number worked out by hand from the
//! METRICS §1 definitions (times are seconds after T0 unless noted).

mod session_support;

use convolens_core::{Actor, Channel, ConversationFacts, Disposition, Event, HandoffReason, Payload};
use convolens_transforms::session::compute_facts;
use session_support::*;

fn facts_of(events: &[Event]) -> ConversationFacts {
    compute_facts(&key("c"), &fact_events(events), 1).expect("non-empty conversation")
}

fn ev(id: usize, seconds: i64, payload: Payload) -> Event {
    event(&format!("e{id}"), "c", at(seconds), payload)
}

/// Numbers the events by position, so each case reads as a time line.
fn timeline(steps: Vec<(i64, Payload)>) -> Vec<Event> {
    steps
        .into_iter()
        .enumerate()
        .map(|(i, (seconds, payload))| ev(i, seconds, payload))
        .collect()
}

#[test]
fn bot_only_resolved_conversation() {
    let mut events = timeline(vec![
        (0, started()),
        (1, message(Actor::Customer)),
        (2, intent("card_arrival", 0.9)),
        (3, message(Actor::Bot)),
        (4, kb_lookup(true)),
        (5, kb_lookup(false)),
        (6, message(Actor::Customer)),
        (7, intent("card_lost", 0.5)),
        (8, tool_call()),
        (9, message(Actor::Bot)),
        (10, ended(Disposition::Resolved)),
    ]);
    events[0] = with_customer(with_channel(events[0].clone(), Channel::Chat), "u-1");
    let facts = facts_of(&events);

    assert_eq!(
        (facts.tenant_id.as_str(), facts.conversation_id.as_str(), facts.version),
        ("t", "c", 1)
    );
    assert_eq!(facts.event_count, 11);
    assert_eq!(facts.started_at, at(0));
    assert_eq!(facts.ended_at, Some(at(10)));
    assert_eq!(facts.closed_at, at(10));
    assert!(!facts.closed_by_inactivity);
    assert_eq!(facts.disposition, Disposition::Resolved);
    assert_eq!(facts.channel, Channel::Chat);
    assert_eq!(facts.customer_id.as_deref(), Some("u-1"));
    assert!(!facts.handed_off && facts.handoff_reason.is_none());
    assert!(!facts.agent_handled && !facts.queue_abandoned);
    assert_eq!(facts.bot_time_s, 10.0);
    assert_eq!(facts.queue_wait_s, None);
    assert_eq!(
        (
            facts.talk_hold_s,
            facts.hold_s,
            facts.acw_s,
            facts.talk_s,
            facts.handle_time_s
        ),
        (None, None, None, None, None),
        "agent time is null unless agent-handled"
    );
    assert_eq!(
        (facts.customer_messages, facts.bot_messages, facts.agent_messages),
        (2, 2, 0)
    );
    assert_eq!(facts.first_intent.as_deref(), Some("card_arrival"));
    assert_close(facts.mean_confidence.expect("has intents"), 0.7, "mean_confidence");
    assert_eq!(facts.min_confidence, Some(0.5));
    assert_eq!((facts.kb_lookups, facts.kb_misses), (2, 1));
    assert!(facts.contained_gross && facts.contained && facts.resolved_by_bot);
}

#[test]
fn agent_handled_with_nested_and_unpaired_holds_transfer_and_acw() {
    let events = timeline(vec![
        (0, started()),
        (10, handoff(HandoffReason::CustomerRequest)),
        (40, assigned("A1")),
        (50, hold_started()),
        (60, hold_started()),
        (70, hold_ended()),          // pairs with 60: 10
        (80, hold_ended()),          // pairs with 50: 30
        (90, hold_ended()),          // unpaired end: ignored
        (100, released(Some("A1"))), // segment 40..100: 60
        (105, assigned("A2")),
        (120, hold_started()),       // unpaired: ends with its segment at 150: 30
        (150, released(Some("A2"))), // segment 105..150: 45
        (151, message(Actor::Agent)),
        (160, wrapup(Some("A1"))), // release of A1 at 100: 60
        (170, wrapup(Some("A2"))), // release of A2 at 150: 20
        (180, ended(Disposition::Resolved)),
    ]);
    let facts = facts_of(&events);

    assert!(facts.handed_off && facts.agent_handled && !facts.queue_abandoned);
    assert_eq!(facts.handoff_reason, Some(HandoffReason::CustomerRequest));
    assert_eq!(facts.bot_time_s, 10.0, "until the first handoff");
    assert_eq!(facts.queue_wait_s, Some(30.0));
    assert_eq!(facts.talk_hold_s, Some(105.0));
    assert_eq!(facts.hold_s, Some(70.0));
    assert_eq!(facts.acw_s, Some(80.0));
    assert_eq!(facts.talk_s, Some(35.0));
    assert_eq!(facts.handle_time_s, Some(185.0));
    assert_eq!(facts.agent_messages, 1);
    assert_eq!(facts.closed_at, at(180), "the last wrap-up is before the end");
    assert!(!facts.contained_gross && !facts.contained && !facts.resolved_by_bot);
}

#[test]
fn two_assignments_before_one_release_are_two_segments_ending_at_that_release() {
    // METRICS §1 read literally: each agent_assigned starts a segment that ends at the next
    // agent_released, so a transfer without a release gives overlapping segments.
    let events = timeline(vec![
        (0, started()),
        (10, handoff(HandoffReason::Policy)),
        (20, assigned("A1")),
        (30, hold_started()), // unpaired, in A1's segment 20..90: 60
        (50, assigned("A2")),
        (60, hold_started()), // unpaired, in A2's segment 50..90: 30
        (90, released(Some("A2"))),
        (100, ended(Disposition::Unresolved)),
    ]);
    let facts = facts_of(&events);
    assert_eq!(facts.talk_hold_s, Some(110.0), "70 + 40");
    assert_eq!(facts.hold_s, Some(90.0));
    assert_eq!(facts.talk_s, Some(20.0));
    assert_eq!(facts.acw_s, Some(0.0), "a release without a wrap-up adds nothing");
    assert_eq!(facts.handle_time_s, Some(110.0));
    assert_eq!(facts.queue_wait_s, Some(10.0), "first assignment − first handoff");
}

#[test]
fn open_segments_and_holds_end_at_ended_at_not_at_a_later_wrapup() {
    let events = timeline(vec![
        (0, started()),
        (5, handoff(HandoffReason::LowConfidence)),
        (10, assigned("A1")),
        (20, released(None)),
        (25, released(None)), // no segment open: ignored for segments, still a release for acw
        (30, hold_started()), // no segment open: ends at ended_at 100
        (40, assigned("A2")), // still open at the end: ends at ended_at 100
        (100, ended(Disposition::Resolved)),
        (130, wrapup(None)), // pairs with the latest release (25): 105
    ]);
    let facts = facts_of(&events);
    assert_eq!(facts.ended_at, Some(at(100)));
    assert_eq!(facts.closed_at, at(130), "the last wrap-up is after the end");
    assert_eq!(facts.talk_hold_s, Some(70.0), "10 + 60");
    assert_eq!(facts.hold_s, Some(70.0));
    assert_eq!(facts.talk_s, Some(0.0));
    assert_eq!(facts.acw_s, Some(105.0));
    assert_eq!(facts.handle_time_s, Some(175.0));
}

#[test]
fn acw_pairs_each_wrapup_with_the_latest_release_of_its_agent() {
    let events = timeline(vec![
        (0, started()),
        (1, handoff(HandoffReason::Other)),
        (2, assigned("A")),
        (10, released(Some("A"))),
        (20, released(Some("B"))),
        (25, released(Some("A"))),
        (30, wrapup(Some("B"))), // B at 20: 10
        (31, wrapup(Some("A"))), // latest A, at 25: 6
        (40, wrapup(None)),      // any agent, latest unpaired: A at 10: 30
        (50, wrapup(Some("B"))), // nothing left: ignored
        (60, released(None)),    // no agent: matches any wrap-up
        (70, wrapup(Some("C"))), // the release without agent at 60: 10
        (80, wrapup(None)),      // nothing left: ignored
        (90, ended(Disposition::Resolved)),
    ]);
    let facts = facts_of(&events);
    assert_eq!(facts.acw_s, Some(56.0));
    assert_eq!(
        facts.talk_hold_s,
        Some(8.0),
        "the segment 2..10; later releases close nothing"
    );
    assert_eq!(facts.handle_time_s, Some(64.0));
    assert_eq!(facts.closed_at, at(90), "max(ended_at 90, last wrap-up 80)");
}

#[test]
fn without_conversation_started_the_earliest_event_starts_it() {
    let mut events = timeline(vec![
        (30, message(Actor::Customer)),
        (20, message(Actor::Bot)),
        (50, ended(Disposition::Resolved)),
        (40, message(Actor::Customer)),
    ]);
    events[2] = with_channel(events[2].clone(), Channel::Voice);
    events[3] = with_customer(with_channel(events[3].clone(), Channel::Email), "u-2");
    let facts = facts_of(&events);
    assert_eq!(facts.started_at, at(20));
    assert_eq!(facts.bot_time_s, 30.0, "ended_at − started_at without a handoff");
    assert_eq!(
        facts.channel,
        Channel::Email,
        "first non-null channel in event order (40 before 50)"
    );
    assert_eq!(facts.customer_id.as_deref(), Some("u-2"));
}

#[test]
fn conversation_started_wins_over_earlier_events_for_started_at() {
    let events = timeline(vec![
        (5, message(Actor::Customer)),
        (10, started()),
        (70, ended(Disposition::Unresolved)),
    ]);
    let facts = facts_of(&events);
    assert_eq!(facts.started_at, at(10));
    assert_eq!(facts.bot_time_s, 60.0);
    assert!(
        facts.contained && !facts.resolved_by_bot,
        "unresolved: contained but not resolved by the bot"
    );
}

#[test]
fn without_conversation_ended_it_is_abandoned_by_inactivity() {
    let events = timeline(vec![
        (0, started()),
        (15, message(Actor::Customer)),
        (25, handoff(HandoffReason::CustomerRequest)),
        (35, Payload::QueueAbandoned),
        (45, tool_call()),
    ]);
    let facts = facts_of(&events);
    assert_eq!(facts.ended_at, None);
    assert_eq!(facts.closed_at, at(45), "the last event");
    assert!(facts.closed_by_inactivity);
    assert_eq!(facts.disposition, Disposition::Abandoned);
    assert_eq!(facts.channel, Channel::Other, "no event names a channel");
    assert_eq!(facts.customer_id, None);
    assert!(facts.queue_abandoned, "queue abandoned and never assigned");
    assert_eq!(facts.bot_time_s, 25.0);
    assert_eq!(facts.queue_wait_s, None, "no agent was assigned");
    assert!(!facts.contained_gross && !facts.contained);
    assert_eq!(
        (facts.first_intent, facts.mean_confidence, facts.min_confidence),
        (None, None, None)
    );
}

#[test]
fn bot_time_runs_to_closed_at_for_an_abandoned_bot_conversation() {
    let facts = facts_of(&timeline(vec![(0, started()), (80, message(Actor::Customer))]));
    assert_eq!(facts.bot_time_s, 80.0);
    assert!(facts.contained_gross && !facts.contained && !facts.resolved_by_bot);
}

#[test]
fn queue_abandoned_is_false_once_an_agent_was_assigned() {
    let facts = facts_of(&timeline(vec![
        (0, started()),
        (1, handoff(HandoffReason::Error)),
        (2, Payload::QueueAbandoned),
        (3, assigned("A")),
        (9, ended(Disposition::Abandoned)),
    ]));
    assert!(!facts.queue_abandoned && facts.agent_handled);
    assert_eq!(facts.talk_hold_s, Some(6.0));
    assert_eq!(facts.disposition, Disposition::Abandoned);
    assert!(
        !facts.closed_by_inactivity,
        "an explicit abandoned end is not inactivity"
    );
}

#[test]
fn the_earliest_end_decides_ended_at_and_disposition() {
    let facts = facts_of(&timeline(vec![
        (0, started()),
        (30, ended(Disposition::Unresolved)),
        (20, ended(Disposition::Resolved)),
    ]));
    assert_eq!(facts.ended_at, Some(at(20)));
    assert_eq!(facts.closed_at, at(20));
    assert_eq!(facts.disposition, Disposition::Resolved);
}

#[test]
fn equal_times_are_ordered_by_seq_absent_first_then_by_arrival() {
    let same_time = |id: usize, name: &str| ev(id, 5, intent(name, 0.5));
    // Arrival order: seq 2, seq 1, no seq, no seq (arrived later).
    let events = vec![
        with_seq(same_time(0, "seq2"), 2),
        with_seq(same_time(1, "seq1"), 1),
        same_time(2, "none"),
        same_time(3, "late"),
    ];
    assert_eq!(facts_of(&events).first_intent.as_deref(), Some("none"));
    let events = vec![with_seq(same_time(0, "seq2"), 2), with_seq(same_time(1, "seq1"), 1)];
    assert_eq!(facts_of(&events).first_intent.as_deref(), Some("seq1"));
    let events = vec![same_time(0, "first"), same_time(1, "second")];
    assert_eq!(facts_of(&events).first_intent.as_deref(), Some("first"));
}

#[test]
fn seq_orders_a_hold_end_before_its_start_at_the_same_time() {
    // At equal times the hold end comes first by seq, so it is unpaired and the start
    // runs to the segment end.
    let events = vec![
        ev(0, 0, assigned("A")),
        with_seq(ev(1, 10, hold_started()), 2),
        with_seq(ev(2, 10, hold_ended()), 1),
        ev(3, 40, released(Some("A"))),
        ev(4, 50, ended(Disposition::Resolved)),
    ];
    let facts = facts_of(&events);
    assert_eq!(facts.hold_s, Some(30.0));
    assert_eq!(facts.talk_hold_s, Some(40.0));
}

#[test]
fn input_order_does_not_matter() {
    let events = timeline(vec![
        (0, started()),
        (3, intent("a", 0.25)),
        (4, handoff(HandoffReason::LowConfidence)),
        (9, assigned("A")),
        (12, hold_started()),
        (14, hold_ended()),
        (20, released(Some("A"))),
        (26, wrapup(Some("A"))),
        (30, ended(Disposition::Resolved)),
    ]);
    let forward = facts_of(&events);
    let mut reversed = events.clone();
    reversed.reverse();
    assert_eq!(facts_of(&reversed), forward);
    assert_eq!(forward.hold_s, Some(2.0));
    assert_eq!(forward.acw_s, Some(6.0));
}

#[test]
fn sub_second_durations_are_exact_microsecond_differences() {
    let events = vec![
        event("a", "c", at_ms(0), started()),
        event("b", "c", at_ms(19_942), handoff(HandoffReason::CustomerRequest)),
        event("c", "c", at_ms(67_270), assigned("A")),
        event("d", "c", at_ms(156_315), ended(Disposition::Resolved)),
    ];
    let facts = facts_of(&events);
    assert_eq!(facts.bot_time_s, 19.942);
    assert_eq!(facts.queue_wait_s, Some((67_270_000.0 - 19_942_000.0) / 1e6));
    assert_eq!(facts.talk_hold_s, Some((156_315_000.0 - 67_270_000.0) / 1e6));
}

#[test]
fn only_fact_shaping_events_count() {
    let events = vec![
        ev(0, 0, started()),
        ev(1, 5, csat(5)),
        ev(2, 500, label("e0")),
        ev(3, 900, Payload::Unknown),
        ev(4, 10, message(Actor::Customer)),
    ];
    let facts = facts_of(&events);
    assert_eq!(facts.event_count, 2);
    assert_eq!(
        facts.closed_at,
        at(10),
        "late-joined and unknown events do not extend a conversation"
    );
}

#[test]
fn no_events_no_facts() {
    assert_eq!(compute_facts(&key("c"), &[], 1), None);
}
