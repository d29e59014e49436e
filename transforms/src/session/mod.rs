//! Event-time sessionisation into conversation facts (METRICS §1).
//!
//! - [`FactEvent`]: the compact form of a fact-shaping event that is kept per conversation.
//! - [`compute_facts`]: the facts as a pure function of a conversation's events.
//! - [`Sessioniser`]: the per-conversation state and its lifecycle, driven by a watermark.
//!
//! Lifecycle of a conversation (key = `tenant_id`, `conversation_id`):
//! 1. **Open** from its first fact-shaping event (`csat_submitted`, `intent_labeled` and
//!    unknown types never create or touch a conversation).
//! 2. **Closable** once the watermark W reaches its `closed_at` if it has a
//!    `conversation_ended`, or its last event + `idle_timeout` if not. Its facts are then
//!    emitted (version 1).
//! 3. **Retained** after emission, so that a late event still joins it: the event is
//!    added, the conversation is open again and is re-emitted (version + 1) as soon as it
//!    is closable, immediately if it already is. Every fact-shaping event changes the
//!    facts (at least `event_count`), so every such event leads to a new version.
//! 4. **Dropped** once W is past `closed_at` (or its last event, if later) by more than
//!    `idle_timeout + dedup_horizon`. An event that arrives for a dropped conversation
//!    starts a new state under the same key; it occurred more than `idle_timeout` after
//!    every event of the old one (anything closer is too late for de-duplication and is
//!    dead-lettered by the processor), so it is a new conversation reusing the id.
//!
//! Timers live in a deadline index ([`timers`]), so a watermark step costs O(log n) per
//! conversation that is due. A conversation's entry may be earlier than the time it is
//! due: an event that makes it due later (the common case: its last event moved on)
//! leaves the entry alone, and the entry is moved when it comes up. So most events
//! touch the index not at all, and only an event that makes a conversation due sooner
//! (an end, a late event for a retained one) moves its entry, at O(log n).

mod agent_time;
mod fact_event;
mod facts;
pub(crate) mod serde_core;
mod state;
mod timers;

use std::hash::RandomState;
use std::time::Duration;

use convolens_core::spec::SessionSettings;
use convolens_core::{ConversationFacts, Event, Timestamp};
use serde::{Deserialize, Serialize};

pub use fact_event::{ConversationKey, FactEvent, FactKind};
pub use facts::{compute_facts, seconds_between};

use fact_event::ConversationKeyRef;
use state::{ConversationState, Phase};
use timers::DeadlineIndex;

/// All conversation state of one processor.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sessioniser {
    idle_timeout: Duration,
    dedup_horizon: Duration,
    #[serde(with = "serde_core::map_as_entries")]
    // hashbrown's map for lookups by a borrowed key (no key allocated per event); std's
    // RandomState, so that crafted ids cannot flood a bucket.
    conversations: hashbrown::HashMap<ConversationKey, ConversationState, RandomState>,
    deadlines: DeadlineIndex,
    /// Conversations in [`Phase::Open`]; the rest are retained.
    open: usize,
    /// Emitted and not yet drained.
    #[serde(with = "serde_core::facts_list")]
    pending: Vec<ConversationFacts>,
    facts_emitted: u64,
}

impl Sessioniser {
    pub fn new(settings: &SessionSettings) -> Self {
        Sessioniser {
            idle_timeout: settings.idle_timeout,
            dedup_horizon: settings.dedup_horizon,
            conversations: hashbrown::HashMap::default(),
            deadlines: DeadlineIndex::default(),
            open: 0,
            pending: Vec::new(),
            facts_emitted: 0,
        }
    }

    /// Adds a de-duplicated event to its conversation. Returns `false`, changing nothing,
    /// for event types that do not shape facts. Nothing is emitted here: call
    /// [`Sessioniser::advance_to`] with the (possibly unchanged) watermark afterwards.
    pub fn add(&mut self, event: &Event, arrival: u64) -> bool {
        let Some(fact_event) = FactEvent::from_event(event, arrival) else {
            return false;
        };
        let (idle_timeout, dedup_horizon) = (self.idle_timeout, self.dedup_horizon);
        match self.conversations.get_key_value_mut(&ConversationKeyRef::of(event)) {
            Some((key, state)) => {
                if state.phase == Phase::Retained {
                    self.open += 1;
                }
                state.add(fact_event);
                let deadline = state.next_deadline(idle_timeout, dedup_horizon);
                // A later deadline waits for the entry to come up (see the module doc).
                if deadline < state.deadline {
                    self.deadlines.remove(state.deadline, key.clone());
                    self.deadlines.insert(deadline, key.clone());
                    state.deadline = deadline;
                }
            }
            None => {
                let key = ConversationKey::of(event);
                let mut state = ConversationState::new(fact_event);
                state.deadline = state.next_deadline(idle_timeout, dedup_horizon);
                self.deadlines.insert(state.deadline, key.clone());
                self.conversations.insert(key, state);
                self.open += 1;
            }
        }
        true
    }

    /// Emits every conversation that is closable at `watermark` and drops every retained
    /// one whose horizon it has passed.
    pub fn advance_to(&mut self, watermark: Timestamp) {
        while let Some((entry, key)) = self.deadlines.pop_due(watermark) {
            let Some(state) = self.conversations.get_mut(&key) else {
                continue;
            };
            let deadline = state.next_deadline(self.idle_timeout, self.dedup_horizon);
            if deadline > entry {
                // Events since the entry was made moved the deadline on: re-file it. If it
                // is due too, it comes up again in (deadline, key) order, as if it had
                // been filed there all along.
                state.deadline = deadline;
                self.deadlines.insert(deadline, key);
                continue;
            }
            match state.phase {
                Phase::Open => self.emit(key),
                Phase::Retained => {
                    self.conversations.remove(&key);
                }
            }
        }
    }

    /// End of a finite input: emits every open conversation (one without
    /// `conversation_ended` is closed by inactivity at its last event) and returns all
    /// facts not yet drained.
    pub fn finish(&mut self) -> Vec<ConversationFacts> {
        let mut open: Vec<ConversationKey> = self
            .conversations
            .iter()
            .filter(|(_, state)| state.phase == Phase::Open)
            .map(|(key, _)| key.clone())
            .collect();
        open.sort_unstable();
        for key in open {
            self.emit(key);
        }
        self.drain_facts()
    }

    /// Facts emitted since the last call, in emission order.
    pub fn drain_facts(&mut self) -> Vec<ConversationFacts> {
        std::mem::take(&mut self.pending)
    }

    /// Conversations not yet emitted, or changed since their last emission.
    pub fn open_conversations(&self) -> usize {
        self.open
    }

    /// Conversations emitted and kept for late events.
    pub fn retained_conversations(&self) -> usize {
        self.conversations.len().saturating_sub(self.open)
    }

    /// Facts versions emitted so far (drained or not).
    pub fn facts_emitted(&self) -> u64 {
        self.facts_emitted
    }

    /// Emits an open conversation's next version and retains it.
    fn emit(&mut self, key: ConversationKey) {
        let Some(state) = self.conversations.get_mut(&key) else {
            return;
        };
        if state.phase != Phase::Open {
            return;
        }
        let version = state.emitted_version.saturating_add(1);
        if let Some(facts) = compute_facts(&key, &state.events, version) {
            self.pending.push(facts);
            self.facts_emitted = self.facts_emitted.saturating_add(1);
        }
        state.emitted_version = version;
        state.phase = Phase::Retained;
        self.open = self.open.saturating_sub(1);
        // Already gone when a timer fired; still indexed when `finish` emits.
        self.deadlines.remove(state.deadline, key.clone());
        state.deadline = state.next_deadline(self.idle_timeout, self.dedup_horizon);
        self.deadlines.insert(state.deadline, key);
    }
}
