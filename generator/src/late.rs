//! Finishing a planned conversation: event order, ids, time spellings, the rare unknown
//! event type, and the events that come late by design (survey answers, QA labels).

use crate::event::{Body, PlannedEvent};
use crate::rng::SimRng;
use crate::scenario::Planner;
use crate::timefmt::{OFFSETS_MINUTES, TimeFormat};

/// About one event in 2 000 is of a type this contract version does not know.
const UNKNOWN_EVENT_RATE: f64 = 1.0 / 2000.0;
const UNKNOWN_TYPES: [&str; 3] = ["sentiment_scored", "summary_generated", "survey_sent"];
/// Share of predictions that QA reviews and labels.
const LABEL_RATE: f64 = 0.3;
const LABELERS: [&str; 4] = ["qa-team", "annotator-01", "annotator-02", "annotator-03"];
const COMMENTS_GOOD: [&str; 3] = [
    "Quick and easy, thanks!",
    "The agent was very helpful.",
    "Solved my problem in minutes.",
];
const COMMENTS_BAD: [&str; 4] = [
    "Took far too long to get an answer.",
    "The bot didn't understand me.",
    "Still not fixed.",
    "I had to repeat myself three times.",
];
const COMMENTS_MIXED: [&str; 2] = ["It was ok.", "Fine in the end, but slow."];

/// A survey answer decided by the scenario; timed here, after the conversation closes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CsatPlan {
    pub score: u8,
    pub scale: u8,
    pub scale_explicit: bool,
}

/// Orders the conversation's events, numbers them, adds the late ones, and returns the
/// conversation's `closed_at` (METRICS §1) in epoch ms.
pub(crate) fn finish_conversation(p: &mut Planner<'_>, csat: Option<CsatPlan>) -> i64 {
    let planned = p.events.len();
    for index in 0..planned {
        if p.rng.chance(UNKNOWN_EVENT_RATE) {
            let at_ms = p.events[index].at_ms + p.rng.int_between(20, 800);
            let event_type = p.rng.pick(&UNKNOWN_TYPES).unwrap_or("sentiment_scored");
            let value = match event_type {
                "sentiment_scored" => p.rng.between(-1.0, 1.0),
                "summary_generated" => p.rng.between(40.0, 400.0),
                _ => 0.0,
            } as f32;
            p.events
                .push(PlannedEvent::new(at_ms, Body::Unknown { event_type, value }));
        }
    }
    // Stable, so events planned at the same millisecond keep their causal order.
    p.events.sort_by_key(|event| event.at_ms);

    let last_ms = p.events.last().map_or(p.t, |event| event.at_ms);
    let ended_ms = p
        .events
        .iter()
        .find(|e| matches!(e.body, Body::Ended { .. }))
        .map(|e| e.at_ms);
    let last_wrapup_ms = p
        .events
        .iter()
        .filter(|e| matches!(e.body, Body::WrapupCompleted { .. }))
        .map(|e| e.at_ms)
        .max();
    let closed_at_ms = match ended_ms {
        Some(ended) => ended.max(last_wrapup_ms.unwrap_or(ended)),
        None => last_ms,
    };

    for (ordinal, event) in p.events.iter_mut().enumerate() {
        event.ordinal = ordinal as u16;
        event.format = draw_format(p.rng, &event.body);
    }
    if let Some(first) = p.events.first_mut() {
        first.carries_channel = true;
        first.carries_customer = true;
    }

    let mut next_ordinal = p.events.len() as u16;
    for index in 0..p.events.len() {
        let event = p.events[index];
        let Body::IntentPredicted(prediction) = event.body else {
            continue;
        };
        if !p.rng.chance(LABEL_RATE) {
            continue;
        }
        // QA reviews hours to days later.
        let delay_ms = (p.rng.lognormal(20.0, 0.8, 1.0, 120.0) * 3_600_000.0) as i64;
        let labeler = p.rng.pick(&LABELERS).unwrap_or("qa-team");
        let body = Body::IntentLabeled {
            prediction_ordinal: event.ordinal,
            true_intent: prediction.true_intent,
            labeler,
        };
        push_late(p, event.at_ms + delay_ms, next_ordinal, body, false);
        next_ordinal += 1;
    }

    if let Some(CsatPlan {
        score,
        scale,
        scale_explicit,
    }) = csat
    {
        let delay_ms = match p.rng.weighted(&[0.6, 0.3, 0.1]) {
            0 => (p.rng.lognormal(900.0, 0.7, 120.0, 7_200.0) * 1000.0) as i64,
            1 => p.rng.int_between(3_600_000, 8 * 3_600_000),
            _ => p.rng.int_between(8 * 3_600_000, 24 * 3_600_000),
        };
        let on_five = 1.0 + 4.0 * f64::from(score.saturating_sub(1)) / f64::from(scale.saturating_sub(1).max(1));
        let comment = p.rng.chance(0.2).then(|| {
            let pool: &[&'static str] = if on_five >= 4.0 {
                &COMMENTS_GOOD
            } else if on_five <= 2.0 {
                &COMMENTS_BAD
            } else {
                &COMMENTS_MIXED
            };
            p.rng.pick(pool).unwrap_or("ok")
        });
        let body = Body::Csat {
            score,
            scale,
            scale_explicit,
            comment,
        };
        // Survey tools know who they asked.
        push_late(p, closed_at_ms + delay_ms, next_ordinal, body, true);
    }
    closed_at_ms
}

fn push_late(p: &mut Planner<'_>, at_ms: i64, ordinal: u16, body: Body, carries_customer: bool) {
    let mut event = PlannedEvent::new(at_ms, body);
    event.ordinal = ordinal;
    event.carries_customer = carries_customer;
    event.format = draw_format(p.rng, &body);
    p.events.push(event);
}

/// Producers differ: survey tools often send epoch ms, contact-centre desktops local
/// time with an offset, most others UTC with milliseconds.
fn draw_format(rng: &mut SimRng, body: &Body) -> TimeFormat {
    let (epoch_share, offset_share) = match body {
        Body::Csat { .. } => (0.35, 0.05),
        Body::AgentAssigned { .. }
        | Body::HoldStarted { .. }
        | Body::HoldEnded { .. }
        | Body::AgentReleased { .. }
        | Body::WrapupCompleted { .. } => (0.05, 0.3),
        Body::IntentLabeled { .. } => (0.1, 0.0),
        _ => (0.08, 0.07),
    };
    let draw = rng.unit();
    if draw < epoch_share {
        TimeFormat::EpochMillis
    } else if draw < epoch_share + offset_share {
        TimeFormat::Offset(rng.pick(&OFFSETS_MINUTES).unwrap_or(120))
    } else {
        TimeFormat::UtcMillis
    }
}
