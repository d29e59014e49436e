//! Event-time timers: which conversation needs attention at which watermark.
//!
//! Ordered by (deadline, key), so that a watermark step visits only the conversations
//! that are due, in a deterministic order, and each event costs O(log n) however many
//! conversations are open.

use std::collections::BTreeSet;

use convolens_core::Timestamp;
use serde::{Deserialize, Serialize};

use super::fact_event::ConversationKey;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct DeadlineIndex {
    /// (deadline in UTC microseconds, conversation).
    entries: BTreeSet<(i64, ConversationKey)>,
}

impl DeadlineIndex {
    pub fn insert(&mut self, deadline: Timestamp, key: ConversationKey) {
        self.entries.insert((deadline.micros(), key));
    }

    pub fn remove(&mut self, deadline: Timestamp, key: ConversationKey) {
        self.entries.remove(&(deadline.micros(), key));
    }

    /// Removes and returns the earliest entry whose deadline is at or before `watermark`.
    pub fn pop_due(&mut self, watermark: Timestamp) -> Option<(Timestamp, ConversationKey)> {
        let (deadline, _) = self.entries.first()?;
        if *deadline > watermark.micros() {
            return None;
        }
        self.entries
            .pop_first()
            .map(|(deadline, key)| (Timestamp::from_micros(deadline), key))
    }
}
