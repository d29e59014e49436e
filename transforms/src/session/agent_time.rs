//! Agent time of one conversation: talk + hold, hold, and after-contact work (METRICS §1).

use convolens_core::Timestamp;

use super::fact_event::{FactEvent, FactKind};
use super::facts::seconds_between;

/// Sums of agent time, in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct AgentTime {
    pub talk_hold_s: f64,
    pub hold_s: f64,
    pub acw_s: f64,
}

/// An agent segment: it starts at an `agent_assigned` and ends at the next
/// `agent_released` after it (METRICS §1, read literally: two assignments before one
/// release give two segments ending at that release); `None` while none has come.
struct Segment {
    start: Timestamp,
    end: Option<Timestamp>,
}

/// A `hold_started` not yet paired, with the segment open when it started.
struct OpenHold {
    start: Timestamp,
    segment: Option<usize>,
}

/// An `agent_released` not yet paired with a `wrapup_completed`.
struct OpenRelease<'a> {
    at: Timestamp,
    agent_id: Option<&'a str>,
}

/// Computes agent time over `ordered` (a conversation's events in order). Anything still
/// open at the end (a segment, a hold outside a closed segment) ends at `open_end`, which
/// is `ended_at`, else `closed_at`.
pub(crate) fn agent_time(ordered: &[&FactEvent], open_end: Timestamp) -> AgentTime {
    let mut segments: Vec<Segment> = Vec::new();
    // Segments still waiting for their release: every assignment since the last release.
    let mut awaiting_release: Vec<usize> = Vec::new();
    let mut holds: Vec<OpenHold> = Vec::new();
    let mut hold_s = 0.0;
    let mut releases: Vec<OpenRelease<'_>> = Vec::new();
    let mut acw_s = 0.0;

    for event in ordered {
        let at = event.occurred_at;
        match &event.kind {
            FactKind::AgentAssigned => {
                segments.push(Segment { start: at, end: None });
                awaiting_release.push(segments.len() - 1);
            }
            FactKind::AgentReleased { agent_id } => {
                for index in awaiting_release.drain(..) {
                    if let Some(segment) = segments.get_mut(index) {
                        segment.end = Some(at);
                    }
                }
                releases.push(OpenRelease {
                    at,
                    agent_id: agent_id.as_deref(),
                });
            }
            FactKind::HoldStarted => {
                // The segment open when the hold starts; outside any open segment an unpaired
                // hold ends where an open segment would (ended_at, else closed_at).
                let segment = awaiting_release.last().copied();
                holds.push(OpenHold { start: at, segment });
            }
            FactKind::HoldEnded => {
                if let Some(hold) = holds.pop() {
                    hold_s += seconds_between(at, hold.start);
                }
            }
            FactKind::WrapupCompleted { agent_id } => {
                let wrapup_agent = agent_id.as_deref();
                let paired = releases
                    .iter()
                    .rposition(|release| same_agent(release.agent_id, wrapup_agent));
                if let Some(index) = paired {
                    let release = releases.remove(index);
                    acw_s += seconds_between(at, release.at);
                }
            }
            _ => {}
        }
    }

    let segment_end = |segment: &Segment| segment.end.unwrap_or(open_end);
    for hold in &holds {
        let end = hold.segment.and_then(|i| segments.get(i)).map_or(open_end, segment_end);
        hold_s += seconds_between(end, hold.start);
    }
    let talk_hold_s = segments.iter().fold(0.0, |total, segment| {
        total + seconds_between(segment_end(segment), segment.start)
    });

    AgentTime {
        talk_hold_s,
        hold_s,
        acw_s,
    }
}

/// A wrap-up belongs to a release of the same agent; where either side names no agent,
/// any agent matches.
fn same_agent(release: Option<&str>, wrapup: Option<&str>) -> bool {
    match (release, wrapup) {
        (Some(released), Some(wrapped)) => released == wrapped,
        _ => true,
    }
}
