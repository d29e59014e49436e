//! Conversation facts (METRICS §1) as a pure function of a conversation's events.
//!
//! Everything order-dependent ("first", "earliest", "before") follows the order of
//! [`FactEvent::order_key`], so the facts do not depend on arrival order except through
//! the final arrival tie-break between events with equal `occurred_at` and `seq`.

use convolens_core::{Actor, Channel, ConversationFacts, Disposition, HandoffReason, Timestamp};

use super::agent_time::agent_time;
use super::fact_event::{ConversationKey, FactEvent, FactKind};

/// Seconds from `earlier` to `later`, as [`Timestamp::seconds_since`] computes them but
/// without overflowing on extreme timestamps (the integer difference is the same, so the
/// result is bit-identical wherever `seconds_since` does not overflow).
pub fn seconds_between(later: Timestamp, earlier: Timestamp) -> f64 {
    (i128::from(later.micros()) - i128::from(earlier.micros())) as f64 / 1e6
}

/// The facts of one conversation from all its fact-shaping events, in any order (they are
/// sorted here). `None` only for an empty slice.
///
/// Whether the conversation was closed by inactivity is not a parameter: a conversation
/// with a `conversation_ended` is closed by it, and one without can only have been closed
/// by inactivity (the idle timeout, or the end of a finite input), which gives the same
/// facts.
pub fn compute_facts(key: &ConversationKey, events: &[FactEvent], version: u32) -> Option<ConversationFacts> {
    let mut ordered: Vec<&FactEvent> = events.iter().collect();
    ordered.sort_by_key(|event| event.order_key());
    let first_event = ordered.first()?;
    let last_event = ordered.last()?;

    let first = |wanted: fn(&FactKind) -> bool| ordered.iter().find(|event| wanted(&event.kind));
    let started_at =
        first(|kind| matches!(kind, FactKind::ConversationStarted)).map_or(first_event.occurred_at, |e| e.occurred_at);
    let ended = ordered.iter().find_map(|event| match event.kind {
        FactKind::ConversationEnded { disposition } => Some((event.occurred_at, disposition)),
        _ => None,
    });
    let ended_at = ended.map(|(at, _)| at);
    let last_wrapup = ordered
        .iter()
        .rev()
        .find(|event| matches!(event.kind, FactKind::WrapupCompleted { .. }))
        .map(|e| e.occurred_at);
    let closed_at = match ended_at {
        Some(ended_at) => last_wrapup.map_or(ended_at, |wrapup| wrapup.max(ended_at)),
        None => last_event.occurred_at,
    };
    let closed_by_inactivity = ended.is_none();
    let disposition = ended.map_or(Disposition::Abandoned, |(_, disposition)| disposition);

    let first_handoff = ordered.iter().find_map(|event| match event.kind {
        FactKind::HandoffRequested { reason } => Some((event.occurred_at, reason)),
        _ => None,
    });
    let handed_off = first_handoff.is_some();
    let handoff_reason: Option<HandoffReason> = first_handoff.map(|(_, reason)| reason);
    let first_assigned = first(|kind| matches!(kind, FactKind::AgentAssigned)).map(|e| e.occurred_at);
    let agent_handled = first_assigned.is_some();
    let any_queue_abandoned = first(|kind| matches!(kind, FactKind::QueueAbandoned)).is_some();

    let bot_until = first_handoff.map(|(at, _)| at).or(ended_at).unwrap_or(closed_at);
    let queue_wait_s = match (first_assigned, first_handoff) {
        (Some(assigned), Some((handoff, _))) => Some(seconds_between(assigned, handoff)),
        _ => None,
    };

    // Agent-time facts exist only for agent-handled conversations (null otherwise, as in
    // the worked example), even if stray holds or releases occurred.
    let agent = agent_handled.then(|| agent_time(&ordered, ended_at.unwrap_or(closed_at)));

    let counts = Counts::of(&ordered);
    let mean_confidence = (counts.intents > 0).then(|| counts.confidence_sum / f64::from(counts.intents));

    Some(ConversationFacts {
        tenant_id: key.tenant_id.clone(),
        conversation_id: key.conversation_id.clone(),
        version,
        event_count: u32::try_from(ordered.len()).unwrap_or(u32::MAX),
        started_at,
        ended_at,
        closed_at,
        closed_by_inactivity,
        disposition,
        channel: ordered.iter().find_map(|event| event.channel).unwrap_or(Channel::Other),
        customer_id: ordered.iter().find_map(|event| event.customer_id.clone()),
        handed_off,
        handoff_reason,
        agent_handled,
        queue_abandoned: any_queue_abandoned && !agent_handled,
        bot_time_s: seconds_between(bot_until, started_at),
        queue_wait_s,
        talk_hold_s: agent.map(|a| a.talk_hold_s),
        hold_s: agent.map(|a| a.hold_s),
        acw_s: agent.map(|a| a.acw_s),
        talk_s: agent.map(|a| a.talk_hold_s - a.hold_s),
        handle_time_s: agent.map(|a| a.talk_hold_s + a.acw_s),
        customer_messages: counts.customer_messages,
        bot_messages: counts.bot_messages,
        agent_messages: counts.agent_messages,
        first_intent: counts.first_intent,
        mean_confidence,
        min_confidence: counts.min_confidence,
        kb_lookups: counts.kb_lookups,
        kb_misses: counts.kb_misses,
        contained_gross: !handed_off,
        contained: !handed_off && disposition != Disposition::Abandoned,
        resolved_by_bot: !handed_off && disposition == Disposition::Resolved,
    })
}

/// The counting facts, gathered in one pass in order.
#[derive(Default)]
struct Counts {
    customer_messages: u32,
    bot_messages: u32,
    agent_messages: u32,
    intents: u32,
    first_intent: Option<String>,
    confidence_sum: f64,
    min_confidence: Option<f64>,
    kb_lookups: u32,
    kb_misses: u32,
}

impl Counts {
    fn of(ordered: &[&FactEvent]) -> Counts {
        let mut counts = Counts::default();
        for event in ordered {
            match &event.kind {
                FactKind::Message { actor } => {
                    let count = match actor {
                        Actor::Customer => &mut counts.customer_messages,
                        Actor::Bot => &mut counts.bot_messages,
                        Actor::Agent => &mut counts.agent_messages,
                    };
                    *count = count.saturating_add(1);
                }
                FactKind::IntentPredicted { intent, confidence } => {
                    if counts.first_intent.is_none() {
                        counts.first_intent = Some(intent.clone());
                    }
                    counts.intents = counts.intents.saturating_add(1);
                    counts.confidence_sum += confidence;
                    counts.min_confidence = Some(counts.min_confidence.map_or(*confidence, |min| min.min(*confidence)));
                }
                FactKind::KbLookup { hit } => {
                    counts.kb_lookups = counts.kb_lookups.saturating_add(1);
                    if !hit {
                        counts.kb_misses = counts.kb_misses.saturating_add(1);
                    }
                }
                _ => {}
            }
        }
        counts
    }
}
