//! The streaming generator: conversations in start order in, lines in arrival order out.
//!
//! Each line gets an arrival time (event time plus a delivery delay of at most
//! `max_disorder`) and waits in a min-heap until nothing that is still to be generated
//! could arrive before it. A conversation is only generated once the heap's next line
//! arrives after that conversation's start, since every event of a conversation, late
//! survey and label included, arrives after it starts. Memory is therefore bounded by
//! the lines pending at one time, never by the size of the run.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use convolens_core::Timestamp;
use rand::RngCore as _;

use crate::config::GeneratorConfig;
use crate::customers::CustomerMemory;
use crate::error::GeneratorError;
use crate::event::{Body, Conversation, PlannedEvent};
use crate::invalid::InvalidKind;
use crate::render::render;
use crate::rng::{SimRng, derive_seed};
use crate::scenario::plan_conversation;
use crate::start_times::StartTimes;
use crate::world::World;

/// One NDJSON line (without its newline) and what a producer needs to send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Kafka key: the `conversation_id`, so a conversation stays in one partition.
    /// `None` for garbage that names no conversation.
    pub key: Option<String>,
    pub bytes: Vec<u8>,
    /// When the line reaches the pipeline; lines come in this order.
    pub arrival: Timestamp,
    pub kind: LineKind,
}

/// What a line is, so load tests know what the pipeline should make of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LineKind {
    /// A valid event, first delivery.
    Event,
    /// A byte-identical redelivery of an earlier `Event` line.
    Duplicate,
    /// A line the pipeline must dead-letter.
    Invalid(InvalidKind),
}

/// Metadata of a line written by [`Generator::next_into`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineInfo {
    pub key: Option<String>,
    pub arrival: Timestamp,
    pub kind: LineKind,
}

/// Counts of what has been produced so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GenerateSummary {
    /// Conversations generated (each has at least one valid event line).
    pub conversations: u64,
    /// All lines: `events + duplicates + invalid`.
    pub lines: u64,
    /// Distinct valid events (unknown event types included).
    pub events: u64,
    /// Redelivered copies of valid events.
    pub duplicates: u64,
    /// Invalid lines (oversized ones included).
    pub invalid: u64,
}

/// A line waiting for its arrival time.
#[derive(Debug, Clone, Copy)]
struct Pending {
    arrival_us: i64,
    /// Insertion number: equal arrivals leave in the order they were scheduled, which
    /// makes the output deterministic and keeps same-instant events in causal order.
    order: u64,
    conversation: Conversation,
    event: PlannedEvent,
    kind: LineKind,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Pending {}

impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Pending {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.arrival_us, self.order).cmp(&(other.arrival_us, other.order))
    }
}

/// Stream identifiers mixed into seeds, so no two purposes share random numbers.
const STREAM_STARTS: u64 = 1;
const STREAM_CONVERSATION: u64 = 2;
/// Typical network and batching delay of a line that is not held up.
const TYPICAL_DELAY_US: f64 = 100_000.0;

/// Realistic support traffic in arrival order; an [`Iterator`] of [`Line`]s.
pub struct Generator {
    world: World,
    seed: u64,
    starts: StartTimes,
    next_index: u64,
    next_start_ms: Option<i64>,
    pending: BinaryHeap<Reverse<Pending>>,
    next_order: u64,
    customers: CustomerMemory,
    plan: Vec<PlannedEvent>,
    max_disorder_us: i64,
    duplicate_rate: f64,
    /// Expected invalid lines per valid event line, so that invalid lines make up
    /// `invalid_rate` of all lines.
    invalid_per_event: f64,
    oversized_every: u64,
    invalid_issued: u64,
    summary: GenerateSummary,
}

impl Generator {
    pub fn new(config: GeneratorConfig) -> Result<Self, GeneratorError> {
        config.validate()?;
        let world = World::new(&config)?;
        let start_us = config.start.micros();
        let span_us = i64::try_from(config.span.as_micros()).unwrap_or(i64::MAX);
        let mut starts = StartTimes::new(
            start_us,
            span_us,
            config.conversations,
            derive_seed(&[config.seed, STREAM_STARTS]),
        );
        let next_start_ms = starts.next();
        // invalid / (events + duplicates + invalid) = rate
        //   ⇔ invalid per event = rate · (1 + duplicate_rate) / (1 − rate)
        let invalid_per_event = config.invalid_rate * (1.0 + config.duplicate_rate) / (1.0 - config.invalid_rate);
        Ok(Generator {
            world,
            seed: config.seed,
            starts,
            next_index: 0,
            next_start_ms,
            pending: BinaryHeap::new(),
            next_order: 0,
            customers: CustomerMemory::default(),
            plan: Vec::with_capacity(128),
            max_disorder_us: i64::try_from(config.max_disorder.as_micros()).unwrap_or(i64::MAX),
            duplicate_rate: config.duplicate_rate,
            invalid_per_event,
            oversized_every: if config.invalid_rate > 0.0 {
                config.oversized_every
            } else {
                0
            },
            invalid_issued: 0,
            summary: GenerateSummary::default(),
        })
    }

    /// What has been produced so far; after the last line, the totals.
    pub fn summary(&self) -> GenerateSummary {
        self.summary
    }

    /// Lines generated but not yet emitted: the generator's working memory.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Writes the next line into `bytes` (cleared first; no newline) and describes it;
    /// `None` at the end. Lets a producer reuse one buffer for every line.
    pub fn next_into(&mut self, bytes: &mut Vec<u8>) -> Option<LineInfo> {
        let line = self.next_pending()?;
        bytes.clear();
        render(bytes, &self.world, &line.conversation, &line.event);
        self.summary.lines += 1;
        match line.kind {
            LineKind::Event => self.summary.events += 1,
            LineKind::Duplicate => self.summary.duplicates += 1,
            LineKind::Invalid(_) => self.summary.invalid += 1,
        }
        if self.oversized_every > 0 && self.summary.lines.is_multiple_of(self.oversized_every) {
            self.schedule_invalid(
                line.arrival_us,
                &line.conversation,
                line.event.at_ms,
                InvalidKind::Oversized,
                0,
            );
        }
        let keyed = match line.kind {
            LineKind::Invalid(kind) => kind.is_keyed(),
            LineKind::Event | LineKind::Duplicate => true,
        };
        let key = keyed.then(|| {
            let mut id = Vec::with_capacity(24);
            self.world.push_conversation_id(&mut id, line.conversation.index);
            String::from_utf8(id).unwrap_or_default()
        });
        Some(LineInfo {
            key,
            arrival: Timestamp::from_micros(line.arrival_us),
            kind: line.kind,
        })
    }

    fn next_pending(&mut self) -> Option<Pending> {
        loop {
            match (self.pending.peek(), self.next_start_ms) {
                // Nothing still to be generated can arrive before this line.
                (Some(Reverse(top)), Some(start_ms)) if top.arrival_us <= start_ms.saturating_mul(1000) => break,
                (_, Some(start_ms)) => self.generate_conversation(start_ms),
                (Some(_), None) => break,
                (None, None) => return None,
            }
        }
        self.pending.pop().map(|Reverse(line)| line)
    }

    fn generate_conversation(&mut self, start_ms: i64) {
        let index = self.next_index;
        self.next_index += 1;
        self.next_start_ms = self.starts.next();
        // Everything about one conversation comes from its own stream, so a change to one
        // conversation (say, drift after some instant) leaves the others identical.
        let mut rng = SimRng::new(derive_seed(&[self.seed, STREAM_CONVERSATION, index]));
        let identity = self.customers.choose(&self.world, &mut rng, start_ms);
        let mut plan = std::mem::take(&mut self.plan);
        let summary = plan_conversation(&self.world, index, start_ms, identity, &mut rng, &mut plan);
        self.customers.remember(&summary);
        self.summary.conversations += 1;
        for event in &plan {
            self.schedule_event(&mut rng, &summary.conversation, *event);
        }
        self.plan = plan;
    }

    fn schedule_event(&mut self, rng: &mut SimRng, conversation: &Conversation, event: PlannedEvent) {
        let arrival_us = event.at_ms.saturating_mul(1000) + self.delivery_delay_us(rng);
        self.push(arrival_us, conversation, event, LineKind::Event);
        if rng.chance(self.duplicate_rate) {
            // At-least-once redelivery: a producer retry seconds later, or a replayed
            // batch minutes later. Only originals respect max_disorder.
            let delay_us = if rng.chance(0.7) {
                rng.int_between(1_000, 5_000_000)
            } else {
                rng.int_between(60_000_000, 600_000_000)
            };
            self.push(arrival_us + delay_us, conversation, event, LineKind::Duplicate);
        }
        let whole = self.invalid_per_event.floor();
        let extra = u64::from(rng.chance(self.invalid_per_event - whole));
        for _ in 0..(whole as u64 + extra) {
            let kind = InvalidKind::ROTATION[(self.invalid_issued % InvalidKind::ROTATION.len() as u64) as usize];
            let seed = rng.next_u64();
            let offset_us = rng.int_between(0, 2_000_000);
            self.schedule_invalid(arrival_us + offset_us, conversation, event.at_ms, kind, seed);
        }
    }

    fn schedule_invalid(
        &mut self,
        arrival_us: i64,
        conversation: &Conversation,
        at_ms: i64,
        kind: InvalidKind,
        seed: u64,
    ) {
        self.invalid_issued += 1;
        let body = Body::Invalid {
            kind,
            number: self.invalid_issued,
            seed,
        };
        self.push(
            arrival_us,
            conversation,
            PlannedEvent::new(at_ms, body),
            LineKind::Invalid(kind),
        );
    }

    fn push(&mut self, arrival_us: i64, conversation: &Conversation, event: PlannedEvent, kind: LineKind) {
        let order = self.next_order;
        self.next_order += 1;
        self.pending.push(Reverse(Pending {
            arrival_us,
            order,
            conversation: *conversation,
            event,
            kind,
        }));
    }

    /// How late a line arrives, in [0, max_disorder]: mostly a fraction of a second,
    /// sometimes held up in a retry or a slow batch.
    fn delivery_delay_us(&self, rng: &mut SimRng) -> i64 {
        let max = self.max_disorder_us;
        if max == 0 {
            return 0;
        }
        let draw = rng.unit();
        let delay = if draw < 0.90 {
            (-(1.0 - rng.unit()).ln() * TYPICAL_DELAY_US) as i64
        } else if draw < 0.99 {
            rng.int_between(0, max / 4)
        } else {
            rng.int_between(0, max)
        };
        delay.clamp(0, max)
    }
}

impl Iterator for Generator {
    type Item = Line;

    fn next(&mut self) -> Option<Line> {
        let mut bytes = Vec::with_capacity(320);
        let info = self.next_into(&mut bytes)?;
        Some(Line {
            key: info.key,
            bytes,
            arrival: info.arrival,
            kind: info.kind,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_lines_stay_small() {
        // Keep the per-line memory of the arrival heap in check (late labels may wait days).
        assert!(
            std::mem::size_of::<Reverse<Pending>>() <= 128,
            "{}",
            std::mem::size_of::<Pending>()
        );
    }
}
