//! The human side: handoff, queue, agent segments with holds and transfers, wrap-up.
//!
//! A handoff either ends in the queue (the customer gives up when the wait outlasts their
//! patience) or reaches an agent. An agent segment is `agent_assigned`, an exchange of
//! messages (sometimes with a hold), `agent_released`, and a `wrapup_completed` tens of
//! seconds to minutes later, which may well come after `conversation_ended`. A transfer
//! is a second segment with another agent.

use convolens_core::{Actor, Disposition, EndedBy, HandoffReason};

use crate::event::PlannedEvent;
use crate::event::{Body, Text};
use crate::scenario::{BOT_HANDOFF, Delay, Outcome, Planner};

const AGENT_GREETING: [(&str, &str); 2] = [
    ("Hi, thanks for waiting. I can see you're asking about ", "."),
    ("Hello! I've had a look at your question about ", " and I can help."),
];
const AGENT_LINES: [&str; 6] = [
    "Let me check that for you.",
    "Could you confirm the last four digits of your card?",
    "Thanks, I can see the issue on our side.",
    "I've raised this with the team and it should be fixed within 24 hours.",
    "Bear with me a moment.",
    "I've updated your account now.",
];
const AGENT_CLOSING: &str = "Thanks for contacting us, have a great day!";
const AGENT_TRANSFER: &str = "I'm transferring you to a colleague who can help with this.";
const CUSTOMER_TO_AGENT: [&str; 6] = [
    "Yes, that's right.",
    "It was yesterday.",
    "Ok, thank you.",
    "No, I haven't received anything yet.",
    "Sure, one moment.",
    "It's the card ending in the number I gave earlier.",
];
const CUSTOMER_WANTS_HUMAN: [&str; 3] = [
    "Can I talk to a real person?",
    "I want to speak to an agent",
    "human please",
];

/// After-contact work: tens of seconds to minutes.
const WRAPUP: Delay = Delay(60.0, 0.8, 5.0, 900.0);
/// A hold: half a minute to a quarter of an hour.
const HOLD: Delay = Delay(90.0, 0.7, 15.0, 900.0);

/// Plans everything from the bot's escalation to the end.
pub(crate) fn handoff(p: &mut Planner<'_>, reason: HandoffReason) -> Outcome {
    if reason == HandoffReason::CustomerRequest {
        p.advance(p.pace.think);
        p.phrase(Actor::Customer, &CUSTOMER_WANTS_HUMAN);
    }
    p.advance_between(500, 2500);
    p.say(Actor::Bot, Text::Phrase(BOT_HANDOFF));
    p.advance_between(200, 1500);
    let queue = if reason == HandoffReason::Policy && p.rng.chance(0.5) {
        "fraud"
    } else {
        p.world.corpus.intent(p.intent).group.queue()
    };
    p.push(Body::HandoffRequested { reason, queue });
    let requested_at = p.t;

    let wait_ms = p.pace.queue_wait.ms(p.rng);
    let patience_ms = p.pace.patience.ms(p.rng);
    if wait_ms > patience_ms || p.rng.chance(0.03) {
        p.t = requested_at + wait_ms.min(patience_ms);
        p.push(Body::QueueAbandoned);
        if p.rng.chance(0.5) {
            p.advance_between(0, 60_000);
            let ended_by = if p.rng.chance(0.5) {
                EndedBy::Customer
            } else {
                EndedBy::System
            };
            p.push(Body::Ended {
                disposition: Disposition::Abandoned,
                ended_by,
            });
        }
        return Outcome::QueueAbandoned;
    }

    p.t = requested_at + wait_ms;
    let transferred = p.rng.chance(0.08);
    let segments = if transferred { 2 } else { 1 };
    let mut released_at = p.t;
    for segment in 0..segments {
        let last = segment + 1 == segments;
        let agent = p.rng.below(usize::from(p.world.agents_per_tenant)) as u16;
        p.push(Body::AgentAssigned { agent });
        agent_exchanges(p, agent, last);
        p.advance_between(2_000, 20_000);
        released_at = p.t;
        // Now and then a desktop integration never reports the release: the segment
        // then runs to the end of the conversation and has no wrap-up.
        if last && p.rng.chance(0.02) {
            break;
        }
        p.push(Body::AgentReleased { agent });
        let wrapup_at = p.t + WRAPUP.ms(p.rng);
        p.events
            .push(PlannedEvent::new(wrapup_at, Body::WrapupCompleted { agent }));
        if !last {
            // The next agent joins after a short transfer gap.
            p.advance_between(20_000, 120_000);
        }
    }

    let resolved = p.rng.chance(if p.drifted { 0.72 } else { 0.8 });
    p.t = released_at + p.rng.int_between(0, 20_000);
    let disposition = if resolved {
        Disposition::Resolved
    } else {
        Disposition::Unresolved
    };
    let ended_by = if p.rng.chance(0.6) {
        EndedBy::Agent
    } else {
        EndedBy::Customer
    };
    p.push(Body::Ended { disposition, ended_by });
    Outcome::Agent {
        resolved,
        queue_wait_s: wait_ms as f64 / 1000.0,
        transferred,
    }
}

/// The messages of one agent segment, with an occasional hold.
fn agent_exchanges(p: &mut Planner<'_>, agent: u16, last_segment: bool) {
    let (low, high) = p.pace.exchanges;
    let exchanges = p.rng.int_between(low, high);
    let hold_at = p.rng.chance(0.25).then(|| p.rng.int_between(0, exchanges - 1));
    for exchange in 0..exchanges {
        p.advance(p.pace.agent_reply);
        if exchange == 0 {
            let template = &AGENT_GREETING[p.rng.below(AGENT_GREETING.len())];
            p.say(
                Actor::Agent,
                Text::About {
                    template,
                    intent: p.intent,
                },
            );
        } else {
            p.phrase(Actor::Agent, &AGENT_LINES);
        }
        if hold_at == Some(exchange) {
            p.advance_between(1_000, 5_000);
            p.push(Body::HoldStarted { agent });
            p.advance(HOLD);
            p.push(Body::HoldEnded { agent });
        }
        p.advance(p.pace.customer_reply);
        if p.rng.chance(0.25) {
            p.customer_utterance();
        } else {
            p.phrase(Actor::Customer, &CUSTOMER_TO_AGENT);
        }
    }
    p.advance(p.pace.agent_reply);
    let closing = if last_segment { AGENT_CLOSING } else { AGENT_TRANSFER };
    p.say(Actor::Agent, Text::Phrase(closing));
}
