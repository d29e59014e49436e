//! The one stateful object the runners drive: watermark, de-duplication and
//! sessionisation, fed one decoded event at a time in arrival order.
//!
//! Event time only: the watermark W is the highest `occurred_at` pushed so far (of every
//! event type, csat, labels and unknown types included) minus `allowed_lateness`, or
//! further if a runner moves it with [`Processor::advance_watermark`]; it never moves
//! back. The whole state is serde-serialisable for checkpoints.

use convolens_core::spec::SessionSettings;
use convolens_core::{ConversationFacts, Event, Timestamp};
use serde::{Deserialize, Serialize};

use crate::dedup::{DedupVerdict, Deduplicator};
use crate::session::Sessioniser;
use crate::session::serde_core::{SessionSettingsDef, opt_timestamp};

/// What [`Processor::admit`] decided for an event; the same cases as [`Pushed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Accepted,
    Duplicate,
    TooLate,
}

/// What became of a pushed event; the event is handed back either way.
#[derive(Debug, Clone, PartialEq)]
pub enum Pushed {
    /// New: the caller lands it.
    Accepted(Event),
    /// Its `event_id` was accepted before; it changed nothing. The caller counts it.
    Duplicate(Event),
    /// Older than `dedup_horizon` behind the watermark, so uniqueness cannot be checked;
    /// it changed nothing. The caller dead-letters it
    /// ([`convolens_core::InvalidReason::TooLate`]).
    TooLate(Event),
}

/// A snapshot of the processor's size and counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ProcessorStats {
    /// Conversations not yet emitted, or changed since their last emission.
    pub open_conversations: usize,
    /// Conversations emitted and kept for late events until their horizon passes.
    pub retained_conversations: usize,
    /// `event_id`s remembered for de-duplication.
    pub tracked_event_ids: usize,
    pub accepted: u64,
    pub duplicates: u64,
    pub too_late: u64,
    /// Facts versions emitted so far (drained or not).
    pub facts_emitted: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Counters {
    accepted: u64,
    duplicates: u64,
    too_late: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Processor {
    #[serde(with = "SessionSettingsDef")]
    settings: SessionSettings,
    #[serde(with = "opt_timestamp")]
    max_event_time: Option<Timestamp>,
    #[serde(with = "opt_timestamp")]
    watermark: Option<Timestamp>,
    /// Next arrival number: the last tie-break of the event order within a conversation.
    next_arrival: u64,
    dedup: Deduplicator,
    sessions: Sessioniser,
    counters: Counters,
}

impl Processor {
    pub fn new(settings: SessionSettings) -> Self {
        Processor {
            dedup: Deduplicator::new(settings.dedup_horizon),
            sessions: Sessioniser::new(&settings),
            settings,
            max_event_time: None,
            watermark: None,
            next_arrival: 0,
            counters: Counters::default(),
        }
    }

    /// Feeds one valid, decoded event in arrival order: de-duplicates it, adds it to its
    /// conversation, moves the watermark and emits the conversations that became
    /// closable. A duplicate or too-late event changes no state besides its counter.
    pub fn push(&mut self, event: Event) -> Pushed {
        match self.admit(&event) {
            Admission::Accepted => Pushed::Accepted(event),
            Admission::Duplicate => Pushed::Duplicate(event),
            Admission::TooLate => Pushed::TooLate(event),
        }
    }

    /// [`Processor::push`] by reference, for callers that keep the event where it is:
    /// the runners' events are a few hundred bytes, and moving each one in and out cost
    /// the ordered stage a tenth of its time in `memmove` (perf, BENCHMARKS.md).
    pub fn admit(&mut self, event: &Event) -> Admission {
        match self.dedup.check(&event.event_id, event.occurred_at, self.watermark) {
            DedupVerdict::TooLate => {
                self.counters.too_late = self.counters.too_late.saturating_add(1);
                return Admission::TooLate;
            }
            DedupVerdict::Duplicate => {
                self.counters.duplicates = self.counters.duplicates.saturating_add(1);
                return Admission::Duplicate;
            }
            DedupVerdict::New => {}
        }
        self.counters.accepted = self.counters.accepted.saturating_add(1);
        let arrival = self.next_arrival;
        self.next_arrival = self.next_arrival.saturating_add(1);
        self.sessions.add(event, arrival);

        let max_event_time = self
            .max_event_time
            .map_or(event.occurred_at, |max| max.max(event.occurred_at));
        self.max_event_time = Some(max_event_time);
        let watermark = max_event_time.saturating_sub(self.settings.allowed_lateness);
        self.move_watermark(watermark);
        Admission::Accepted
    }

    /// Facts emitted (first versions and new versions) since the last call.
    pub fn drain_facts(&mut self) -> Vec<ConversationFacts> {
        self.sessions.drain_facts()
    }

    /// End of a finite input: closes every open conversation as if its idle timeout had
    /// passed and returns all remaining facts to emit (including undrained ones).
    pub fn finish(&mut self) -> Vec<ConversationFacts> {
        self.sessions.finish()
    }

    /// Lets a runner move the watermark itself (Kafka: the minimum over partitions).
    /// Never moves it back.
    pub fn advance_watermark(&mut self, to: Timestamp) {
        self.move_watermark(to);
    }

    pub fn watermark(&self) -> Option<Timestamp> {
        self.watermark
    }

    pub fn settings(&self) -> &SessionSettings {
        &self.settings
    }

    pub fn stats(&self) -> ProcessorStats {
        ProcessorStats {
            open_conversations: self.sessions.open_conversations(),
            retained_conversations: self.sessions.retained_conversations(),
            tracked_event_ids: self.dedup.len(),
            accepted: self.counters.accepted,
            duplicates: self.counters.duplicates,
            too_late: self.counters.too_late,
            facts_emitted: self.sessions.facts_emitted(),
        }
    }

    /// Moves the watermark forward to `to` (never back) and runs what became due. Runs
    /// even when the watermark does not move: the last event may have made its
    /// conversation closable at the current watermark (a late event for an emitted one).
    fn move_watermark(&mut self, to: Timestamp) {
        let watermark = self.watermark.map_or(to, |current| current.max(to));
        self.watermark = Some(watermark);
        self.sessions.advance_to(watermark);
        self.dedup.advance(watermark);
    }
}
