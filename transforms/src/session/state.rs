//! What is kept per conversation between its first event and its removal.

use std::time::Duration;

use convolens_core::Timestamp;
use serde::{Deserialize, Serialize};

use super::fact_event::{FactEvent, FactKind};
use super::serde_core::{opt_timestamp, timestamp};

/// Where a conversation is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Phase {
    /// Not emitted yet, or changed since its last emission: waits to become closable.
    Open,
    /// Emitted and unchanged: kept so that late events still find it, until
    /// [`ConversationState::droppable_at`].
    Retained,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ConversationState {
    /// In arrival order; facts sort them.
    pub events: Vec<FactEvent>,
    pub phase: Phase,
    /// Version of the last emission, 0 if never emitted.
    pub emitted_version: u32,
    /// The entry of this conversation in the deadline index: at or before the time it is
    /// due ([`ConversationState::next_deadline`]).
    #[serde(with = "timestamp")]
    pub deadline: Timestamp,
    // The three times that decide when the conversation closes, kept up to date on each
    // event so that scheduling does not rescan the events.
    #[serde(with = "timestamp")]
    last_event_at: Timestamp,
    #[serde(with = "opt_timestamp")]
    ended_at: Option<Timestamp>,
    #[serde(with = "opt_timestamp")]
    last_wrapup_at: Option<Timestamp>,
}

impl ConversationState {
    pub fn new(first: FactEvent) -> Self {
        let mut state = ConversationState {
            events: Vec::new(),
            phase: Phase::Open,
            emitted_version: 0,
            deadline: first.occurred_at,
            last_event_at: first.occurred_at,
            ended_at: None,
            last_wrapup_at: None,
        };
        state.add(first);
        state
    }

    /// Adds an event; the conversation becomes open (again).
    pub fn add(&mut self, event: FactEvent) {
        let at = event.occurred_at;
        self.last_event_at = self.last_event_at.max(at);
        match event.kind {
            FactKind::ConversationEnded { .. } => self.ended_at = Some(self.ended_at.map_or(at, |ended| ended.min(at))),
            FactKind::WrapupCompleted { .. } => {
                self.last_wrapup_at = Some(self.last_wrapup_at.map_or(at, |wrapup| wrapup.max(at)))
            }
            _ => {}
        }
        self.events.push(event);
        self.phase = Phase::Open;
    }

    /// METRICS §1 `closed_at` (the same value [`super::compute_facts`] reports).
    pub fn closed_at(&self) -> Timestamp {
        match self.ended_at {
            Some(ended) => self.last_wrapup_at.map_or(ended, |wrapup| wrapup.max(ended)),
            None => self.last_event_at,
        }
    }

    /// The watermark at which the conversation becomes closable: its `closed_at` if it has
    /// ended, else its last event plus the idle timeout.
    pub fn closable_at(&self, idle_timeout: Duration) -> Timestamp {
        match self.ended_at {
            Some(_) => self.closed_at(),
            None => self.last_event_at.saturating_add(idle_timeout),
        }
    }

    /// The watermark at which a retained conversation is dropped: once it is later than
    /// `dedup_horizon + idle_timeout` after both `closed_at` and the last event (which may
    /// follow `conversation_ended`).
    ///
    /// Why this long: an event that is not too late for de-duplication occurred at or after
    /// W − `dedup_horizon`, so an event that finds the state gone occurred more than
    /// `idle_timeout` after every event of the conversation, which is the idleness after
    /// which a reused `conversation_id` is a new conversation. Any event closer to the
    /// conversation either still finds its state or is too late (and dead-lettered).
    pub fn droppable_at(&self, idle_timeout: Duration, dedup_horizon: Duration) -> Timestamp {
        let last = self.closed_at().max(self.last_event_at);
        let kept_until = last.saturating_add(idle_timeout).saturating_add(dedup_horizon);
        Timestamp::from_micros(kept_until.micros().saturating_add(1))
    }

    /// When the conversation next needs attention, given its phase.
    pub fn next_deadline(&self, idle_timeout: Duration, dedup_horizon: Duration) -> Timestamp {
        match self.phase {
            Phase::Open => self.closable_at(idle_timeout),
            Phase::Retained => self.droppable_at(idle_timeout, dedup_horizon),
        }
    }
}
