//! One conversation, simulated: the bot phase, then how it ends.
//!
//! A customer writes Banking77 utterances; after each, the router predicts an intent, the
//! bot may look up the knowledge base or call a tool, and replies. Then the conversation
//! is resolved by the bot, left unresolved, abandoned (with or without a
//! `conversation_ended`), or handed to a human (see [`crate::agent`]). Probabilities depend
//! on what happened: low confidence and failed tools lead to handoffs, drift adds more.

use convolens_core::{Actor, Channel, Disposition, EndedBy, HandoffReason};
use rand::RngCore as _;

use crate::event::{Body, Conversation, PlannedEvent, Text};
use crate::late::{CsatPlan, finish_conversation};
use crate::pii::PiiKind;
use crate::rng::SimRng;
use crate::world::World;

/// Delays of one channel, as log-normal (median seconds, sigma, min, max).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Delay(pub f64, pub f64, pub f64, pub f64);

impl Delay {
    pub(crate) fn ms(self, rng: &mut SimRng) -> i64 {
        let Delay(median, sigma, low, high) = self;
        (rng.lognormal(median, sigma, low, high) * 1000.0) as i64
    }
}

/// How fast a channel moves: chat in seconds, e-mail in hours.
pub(crate) struct Pace {
    pub first_message: Delay,
    pub think: Delay,
    pub agent_reply: Delay,
    pub customer_reply: Delay,
    pub queue_wait: Delay,
    pub patience: Delay,
    /// Agent↔customer exchanges per agent segment (inclusive range).
    pub exchanges: (i64, i64),
}

/// Channels with their share of conversations and their pace.
static CHANNELS: [(Channel, f64, Pace); 5] = [
    (
        Channel::Chat,
        0.45,
        Pace {
            first_message: Delay(5.0, 0.8, 0.5, 120.0),
            think: Delay(20.0, 0.8, 2.0, 600.0),
            agent_reply: Delay(35.0, 0.6, 5.0, 600.0),
            customer_reply: Delay(25.0, 0.7, 3.0, 900.0),
            queue_wait: Delay(75.0, 0.9, 3.0, 3600.0),
            patience: Delay(240.0, 0.8, 20.0, 3600.0),
            exchanges: (2, 7),
        },
    ),
    (
        Channel::Messaging,
        0.25,
        Pace {
            first_message: Delay(8.0, 1.0, 0.5, 600.0),
            think: Delay(90.0, 1.0, 5.0, 7200.0),
            agent_reply: Delay(90.0, 0.8, 10.0, 3600.0),
            customer_reply: Delay(120.0, 1.0, 5.0, 7200.0),
            queue_wait: Delay(300.0, 1.0, 10.0, 14_400.0),
            patience: Delay(1800.0, 1.0, 60.0, 43_200.0),
            exchanges: (2, 6),
        },
    ),
    (
        Channel::Voice,
        0.12,
        Pace {
            first_message: Delay(3.0, 0.5, 0.5, 30.0),
            think: Delay(6.0, 0.6, 1.0, 60.0),
            agent_reply: Delay(15.0, 0.6, 2.0, 180.0),
            customer_reply: Delay(12.0, 0.6, 2.0, 180.0),
            queue_wait: Delay(60.0, 0.9, 3.0, 2400.0),
            patience: Delay(180.0, 0.8, 15.0, 2400.0),
            exchanges: (3, 9),
        },
    ),
    (
        Channel::Email,
        0.10,
        Pace {
            first_message: Delay(1.0, 0.5, 0.1, 10.0),
            think: Delay(7200.0, 1.0, 600.0, 43_200.0),
            agent_reply: Delay(10_800.0, 0.8, 600.0, 43_200.0),
            customer_reply: Delay(14_400.0, 0.9, 600.0, 43_200.0),
            queue_wait: Delay(14_400.0, 0.8, 300.0, 86_400.0),
            patience: Delay(259_200.0, 0.5, 86_400.0, 604_800.0),
            exchanges: (1, 3),
        },
    ),
    (
        Channel::Social,
        0.08,
        Pace {
            first_message: Delay(20.0, 1.0, 1.0, 900.0),
            think: Delay(240.0, 1.0, 10.0, 7200.0),
            agent_reply: Delay(300.0, 0.8, 30.0, 7200.0),
            customer_reply: Delay(360.0, 1.0, 10.0, 7200.0),
            queue_wait: Delay(900.0, 0.9, 30.0, 21_600.0),
            patience: Delay(7200.0, 1.0, 300.0, 86_400.0),
            exchanges: (1, 5),
        },
    ),
];

const LOCALES: [(&str, f64); 6] = [
    ("en-GB", 0.45),
    ("en-US", 0.30),
    ("en-IE", 0.08),
    ("en-AU", 0.07),
    ("en-IN", 0.06),
    ("en-CA", 0.04),
];

/// Below this confidence the bot asks again and often escalates (reason `low_confidence`).
const LOW_CONFIDENCE: f64 = 0.5;

pub(crate) const BOT_ABOUT: [(&str, &str); 3] = [
    ("Here is what I found about ", "."),
    ("I can help with ", ". Here are the steps in the app."),
    ("Sure, let's sort out your question about ", " together."),
];
const BOT_CLARIFY: &str = "Sorry, I'm not sure I understood. Could you tell me a bit more?";
const BOT_TOOL_ERROR: &str = "Sorry, I couldn't reach that system just now.";
pub(crate) const BOT_HANDOFF: &str = "Let me connect you with one of our agents.";
const BOT_ANYTHING_ELSE: &str = "Is there anything else I can help you with?";
const CUSTOMER_THANKS: [&str; 4] = [
    "Thanks, that's helpful!",
    "Great, thank you",
    "ok thanks",
    "Perfect, that solved it.",
];
const CUSTOMER_UNHAPPY: [&str; 3] = [
    "That doesn't answer my question.",
    "This isn't helping.",
    "No, that's not what I asked.",
];

/// How a conversation ended, as far as its survey is concerned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Outcome {
    ResolvedByBot,
    UnresolvedByBot,
    Abandoned,
    QueueAbandoned,
    Agent {
        resolved: bool,
        queue_wait_s: f64,
        transferred: bool,
    },
}

/// What the generator keeps of a planned conversation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PlanSummary {
    pub conversation: Conversation,
    /// When the conversation's facts close (its end or last wrap-up; else its last event).
    pub closed_at_ms: i64,
    /// The customer's problem was not solved, so they are likely to contact again.
    pub unresolved: bool,
}

/// Who a conversation is with, chosen by the generator's customer memory.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Identity {
    pub tenant: u16,
    pub customer: Option<u32>,
}

/// The state of one conversation being planned.
pub(crate) struct Planner<'a> {
    pub world: &'a World,
    pub rng: &'a mut SimRng,
    pub events: &'a mut Vec<PlannedEvent>,
    pub channel: Channel,
    pub pace: &'static Pace,
    pub drifted: bool,
    /// The current topic's true intent.
    pub intent: u16,
    /// Event-time cursor, epoch ms.
    pub t: i64,
    pub confidence_sum: f64,
    pub predictions: u32,
    pub min_confidence: f64,
    pub customer_messages: u32,
    pub tool_failed: bool,
}

impl Planner<'_> {
    pub(crate) fn push(&mut self, body: Body) {
        self.events.push(PlannedEvent::new(self.t, body));
    }

    pub(crate) fn advance(&mut self, delay: Delay) {
        self.t += delay.ms(self.rng);
    }

    pub(crate) fn advance_between(&mut self, low_ms: i64, high_ms: i64) {
        self.t += self.rng.int_between(low_ms, high_ms);
    }

    pub(crate) fn say(&mut self, actor: Actor, text: Text) {
        if actor == Actor::Customer {
            self.customer_messages += 1;
        }
        self.push(Body::Message { actor, text });
    }

    pub(crate) fn phrase(&mut self, actor: Actor, phrases: &[&'static str]) {
        let phrase = self.rng.pick(phrases).unwrap_or("ok");
        self.say(actor, Text::Phrase(phrase));
    }

    /// A real utterance of the current intent, sometimes with contact details.
    pub(crate) fn customer_utterance(&mut self) {
        let utterances = &self.world.corpus.intent(self.intent).utterances;
        let index = self.rng.pick(utterances).unwrap_or(0);
        let pii = self.rng.chance(0.04).then(|| {
            let kind = [PiiKind::Email, PiiKind::Phone, PiiKind::Card][self.rng.weighted(&[0.4, 0.35, 0.25])];
            (kind, self.rng.next_u32())
        });
        self.say(Actor::Customer, Text::Utterance { index, pii });
    }

    pub(crate) fn mean_confidence(&self) -> f64 {
        if self.predictions == 0 {
            1.0
        } else {
            self.confidence_sum / f64::from(self.predictions)
        }
    }
}

/// Plans conversation `index` starting at `start_ms` into `events` (cleared first).
pub(crate) fn plan_conversation(
    world: &World,
    index: u64,
    start_ms: i64,
    identity: Identity,
    rng: &mut SimRng,
    events: &mut Vec<PlannedEvent>,
) -> PlanSummary {
    events.clear();
    let weights: [f64; 5] = std::array::from_fn(|i| CHANNELS[i].1);
    let (channel, _, pace) = &CHANNELS[rng.weighted(&weights).min(CHANNELS.len() - 1)];
    let conversation = Conversation {
        index,
        tenant: identity.tenant,
        customer: identity.customer,
        channel: *channel,
        sends_seq: rng.chance(0.4),
        sends_schema_version: rng.chance(0.3),
        repeats_customer: rng.chance(0.3),
    };
    let drifted = world.is_drifted(start_ms);
    let v2 = rng.chance(world.v2_share(start_ms));
    let intent = world.draw_intent(rng, drifted);
    let mut planner = Planner {
        world,
        rng,
        events,
        channel: *channel,
        pace,
        drifted,
        intent,
        t: start_ms,
        confidence_sum: 0.0,
        predictions: 0,
        min_confidence: 1.0,
        customer_messages: 0,
        tool_failed: false,
    };

    // A few producers never send `conversation_started`; the first event then carries
    // the channel and customer (finish_conversation marks it).
    if planner.rng.chance(0.98) {
        let locale = LOCALES[planner.rng.weighted(&LOCALES.map(|(_, w)| w))].0;
        let bot_version = if v2 { "2026.11.0" } else { "2026.10.3" };
        let platform = planner.rng.chance(0.2).then_some(platform_of(*channel));
        planner.push(Body::Started {
            locale,
            bot_version,
            platform,
        });
    }
    planner.advance(pace.first_message);

    let forced_handoff = bot_phase(&mut planner, v2);
    let outcome = decide_outcome(&mut planner, forced_handoff);
    let unresolved = !matches!(outcome, Outcome::ResolvedByBot | Outcome::Agent { resolved: true, .. });
    let csat = plan_csat(&mut planner, outcome);
    let closed_at_ms = finish_conversation(&mut planner, csat);
    PlanSummary {
        conversation,
        closed_at_ms,
        unresolved,
    }
}

fn platform_of(channel: Channel) -> &'static str {
    match channel {
        Channel::Chat => "web-widget",
        Channel::Messaging => "whatsapp",
        Channel::Voice => "ivr",
        Channel::Email => "mailbox",
        Channel::Social => "x-dm",
        Channel::Other => "api",
    }
}

/// Customer turns with the bot. Returns a handoff reason when the bot gives up mid-way.
fn bot_phase(p: &mut Planner<'_>, v2: bool) -> Option<HandoffReason> {
    let max_turns = if p.pace.exchanges.1 <= 3 { 3 } else { 5 };
    let mut turns = 1;
    while turns < max_turns && p.rng.chance(0.45) {
        turns += 1;
    }
    for turn in 0..turns {
        if turn > 0 {
            p.advance(p.pace.think);
            if p.rng.chance(0.15) {
                p.intent = p.world.draw_intent(p.rng, p.drifted);
            }
        }
        p.customer_utterance();
        p.advance_between(150, 900);
        let (prediction, correct) = p.world.predict(p.rng, p.intent, p.drifted, v2);
        let confidence = f64::from(prediction.confidence);
        p.confidence_sum += confidence;
        p.predictions += 1;
        p.min_confidence = p.min_confidence.min(confidence);
        p.push(Body::IntentPredicted(prediction));

        if confidence < LOW_CONFIDENCE && p.rng.chance(0.6) {
            p.advance_between(400, 1500);
            p.say(Actor::Bot, Text::Phrase(BOT_CLARIFY));
            if p.rng.chance(0.5) {
                return Some(HandoffReason::LowConfidence);
            }
            continue;
        }
        let mut tool_ok = true;
        if p.rng.chance(0.55) {
            p.advance_between(80, 400);
            let hit = p.rng.chance(if correct { 0.85 } else { 0.35 });
            let score = if hit {
                p.rng.between(0.55, 0.98)
            } else {
                p.rng.between(0.02, 0.45)
            } as f32;
            // The bot searches with the customer's words (another phrasing of the same need).
            let query = if p.rng.chance(0.35) {
                p.rng.pick(&p.world.corpus.intent(p.intent).utterances)
            } else {
                None
            };
            p.push(Body::KbLookup {
                hit,
                article: hit.then_some(prediction.intent),
                score,
                query,
            });
        }
        if p.rng.chance(0.3) {
            p.advance_between(50, 300);
            let tools = p.world.corpus.intent(prediction.intent).group.tools();
            let tool = p.rng.pick(tools).unwrap_or("account_lookup");
            let latency = p.rng.lognormal(180.0, 0.7, 5.0, 30_000.0);
            tool_ok = p.rng.chance(if p.drifted { 0.9 } else { 0.95 });
            p.push(Body::ToolCall {
                tool,
                latency_ms: latency as f32,
                ok: tool_ok,
            });
            p.t += latency as i64;
            p.tool_failed |= !tool_ok;
        }
        p.advance_between(300, 1500);
        if tool_ok {
            let template = &BOT_ABOUT[p.rng.below(BOT_ABOUT.len())];
            p.say(
                Actor::Bot,
                Text::About {
                    template,
                    intent: prediction.intent,
                },
            );
        } else {
            p.say(Actor::Bot, Text::Phrase(BOT_TOOL_ERROR));
        }
    }
    None
}

/// Chooses and plans the ending.
fn decide_outcome(p: &mut Planner<'_>, forced_handoff: Option<HandoffReason>) -> Outcome {
    let extra_handoff = match (p.drifted, p.world.drift) {
        (true, Some(drift)) => drift.extra_handoff_rate,
        _ => 0.0,
    };
    // Callers ask for a person more often than people typing.
    let channel_handoff = if p.channel == Channel::Voice { 0.08 } else { 0.0 };
    let reason = forced_handoff.or_else(|| {
        if p.tool_failed && p.rng.chance(0.5) {
            Some(HandoffReason::Error)
        } else if p.min_confidence < LOW_CONFIDENCE && p.rng.chance(0.5) {
            Some(HandoffReason::LowConfidence)
        } else if p.rng.chance(0.2 + channel_handoff + extra_handoff) {
            let reasons = [
                HandoffReason::CustomerRequest,
                HandoffReason::Policy,
                HandoffReason::Error,
                HandoffReason::Other,
            ];
            Some(reasons[p.rng.weighted(&[0.6, 0.25, 0.07, 0.08])])
        } else {
            None
        }
    });
    if let Some(reason) = reason {
        return crate::agent::handoff(p, reason);
    }

    let weights = if p.min_confidence < LOW_CONFIDENCE {
        [0.35, 0.25, 0.40]
    } else {
        [0.70, 0.12, 0.18]
    };
    p.advance(p.pace.think);
    match p.rng.weighted(&weights) {
        0 => {
            if p.rng.chance(0.5) {
                p.phrase(Actor::Customer, &CUSTOMER_THANKS);
                p.advance_between(500, 3000);
            } else {
                p.say(Actor::Bot, Text::Phrase(BOT_ANYTHING_ELSE));
                p.advance_between(5_000, 60_000);
            }
            let ended_by = if p.rng.chance(0.6) {
                EndedBy::Customer
            } else {
                EndedBy::Bot
            };
            p.push(Body::Ended {
                disposition: Disposition::Resolved,
                ended_by,
            });
            Outcome::ResolvedByBot
        }
        1 => {
            if p.rng.chance(0.6) {
                p.phrase(Actor::Customer, &CUSTOMER_UNHAPPY);
            }
            let ended_by = [EndedBy::Customer, EndedBy::Bot, EndedBy::System][p.rng.weighted(&[0.5, 0.2, 0.3])];
            if ended_by == EndedBy::System {
                p.advance_between(600_000, 1_800_000);
            } else {
                p.advance_between(1_000, 30_000);
            }
            p.push(Body::Ended {
                disposition: Disposition::Unresolved,
                ended_by,
            });
            Outcome::UnresolvedByBot
        }
        _ => {
            // The customer walks away. Most platforms close the session after an idle
            // timeout; some never send anything, leaving it to the pipeline's inactivity rule.
            if p.rng.chance(0.6) {
                let ended_by = if p.rng.chance(0.7) {
                    EndedBy::System
                } else {
                    EndedBy::Customer
                };
                if ended_by == EndedBy::System {
                    p.advance_between(600_000, 1_800_000);
                }
                p.push(Body::Ended {
                    disposition: Disposition::Abandoned,
                    ended_by,
                });
            }
            Outcome::Abandoned
        }
    }
}

/// Whether the customer answers the survey, and how. Scores follow the outcome: bot
/// resolutions and quick agent help score high; waits, transfers, low confidence and
/// long conversations pull the score down.
fn plan_csat(p: &mut Planner<'_>, outcome: Outcome) -> Option<CsatPlan> {
    let silent_abandon =
        outcome == Outcome::Abandoned && !p.events.iter().any(|event| matches!(event.body, Body::Ended { .. }));
    let (response_rate, base) = match outcome {
        _ if silent_abandon => return None,
        Outcome::ResolvedByBot => (0.34, 4.4),
        Outcome::UnresolvedByBot => (0.30, 2.1),
        Outcome::Abandoned => (0.15, 1.9),
        Outcome::QueueAbandoned => (0.18, 1.6),
        Outcome::Agent {
            resolved: true,
            queue_wait_s,
            transferred,
        } => {
            let wait_penalty = 0.35 * (queue_wait_s / 300.0).min(3.0);
            (0.40, 4.6 - wait_penalty - if transferred { 0.4 } else { 0.0 })
        }
        Outcome::Agent { resolved: false, .. } => (0.35, 2.3),
    };
    if !p.rng.chance(response_rate) {
        return None;
    }
    let effort = f64::from(p.customer_messages.saturating_sub(2).min(6));
    let latent = base - 0.8 * (1.0 - p.mean_confidence()) - 0.08 * effort + 0.7 * p.rng.normal();
    let latent = latent.clamp(1.0, 5.0);
    let (score, scale) = if p.rng.chance(0.15) {
        let on_ten = 1.0 + (latent - 1.0) * 9.0 / 4.0 + 0.8 * p.rng.normal();
        (on_ten.round().clamp(1.0, 10.0) as u8, 10)
    } else {
        (latent.round().clamp(1.0, 5.0) as u8, 5)
    };
    Some(CsatPlan {
        score,
        scale,
        scale_explicit: scale != 5 || p.rng.chance(0.5),
    })
}
