//! The part of an event that conversation facts need, kept per open conversation.
//!
//! A conversation may stay in memory for `dedup_horizon` (a day by default) after it
//! closes, so the state keeps only what METRICS §1 reads: no text, rankings or embeddings.

use convolens_core::{Actor, Channel, Disposition, Event, HandoffReason, Payload, Timestamp};
use serde::{Deserialize, Serialize};

use super::serde_core::{exact_f64, opt_text_enum, text_enum, timestamp};

/// Identifies a conversation (EVENTS.md: `tenant_id` and `conversation_id`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ConversationKey {
    pub tenant_id: String,
    pub conversation_id: String,
}

impl ConversationKey {
    pub fn new(tenant_id: impl Into<String>, conversation_id: impl Into<String>) -> Self {
        ConversationKey {
            tenant_id: tenant_id.into(),
            conversation_id: conversation_id.into(),
        }
    }

    pub fn of(event: &Event) -> Self {
        ConversationKey::new(event.tenant_id.clone(), event.conversation_id.clone())
    }
}

/// A borrowed [`ConversationKey`] that hashes and compares like one, to look a
/// conversation up without allocating its key.
#[derive(Hash)]
pub(crate) struct ConversationKeyRef<'a> {
    // Same fields in the same order as `ConversationKey`, so the derived hashes agree.
    tenant_id: &'a str,
    conversation_id: &'a str,
}

impl<'a> ConversationKeyRef<'a> {
    pub fn of(event: &'a Event) -> Self {
        ConversationKeyRef {
            tenant_id: &event.tenant_id,
            conversation_id: &event.conversation_id,
        }
    }
}

impl hashbrown::Equivalent<ConversationKey> for ConversationKeyRef<'_> {
    fn equivalent(&self, key: &ConversationKey) -> bool {
        self.tenant_id == key.tenant_id && self.conversation_id == key.conversation_id
    }
}

/// One fact-shaping event of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactEvent {
    #[serde(with = "timestamp")]
    pub occurred_at: Timestamp,
    pub seq: Option<u64>,
    /// Arrival counter assigned by the processor: the last tie-break of the order.
    pub arrival: u64,
    #[serde(with = "opt_text_enum")]
    pub channel: Option<Channel>,
    pub customer_id: Option<String>,
    pub kind: FactKind,
}

/// The type-specific fields that facts read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FactKind {
    ConversationStarted,
    Message {
        #[serde(with = "text_enum")]
        actor: Actor,
    },
    IntentPredicted {
        intent: String,
        #[serde(with = "exact_f64")]
        confidence: f64,
    },
    ToolCall,
    KbLookup {
        hit: bool,
    },
    HandoffRequested {
        #[serde(with = "text_enum")]
        reason: HandoffReason,
    },
    AgentAssigned,
    HoldStarted,
    HoldEnded,
    AgentReleased {
        agent_id: Option<String>,
    },
    WrapupCompleted {
        agent_id: Option<String>,
    },
    QueueAbandoned,
    ConversationEnded {
        #[serde(with = "text_enum")]
        disposition: Disposition,
    },
}

impl FactEvent {
    /// The fact-shaping part of `event`, or `None` for `csat_submitted`,
    /// `intent_labeled` and unknown types, which never touch conversation state.
    pub fn from_event(event: &Event, arrival: u64) -> Option<FactEvent> {
        let kind = match &event.payload {
            Payload::ConversationStarted { .. } => FactKind::ConversationStarted,
            Payload::Message { actor, .. } => FactKind::Message { actor: *actor },
            Payload::IntentPredicted { intent, confidence, .. } => FactKind::IntentPredicted {
                intent: intent.clone(),
                confidence: *confidence,
            },
            Payload::ToolCall { .. } => FactKind::ToolCall,
            Payload::KbLookup { hit, .. } => FactKind::KbLookup { hit: *hit },
            Payload::HandoffRequested { reason, .. } => FactKind::HandoffRequested { reason: *reason },
            Payload::AgentAssigned { .. } => FactKind::AgentAssigned,
            Payload::HoldStarted { .. } => FactKind::HoldStarted,
            Payload::HoldEnded { .. } => FactKind::HoldEnded,
            Payload::AgentReleased { agent_id } => FactKind::AgentReleased {
                agent_id: agent_id.clone(),
            },
            Payload::WrapupCompleted { agent_id } => FactKind::WrapupCompleted {
                agent_id: agent_id.clone(),
            },
            Payload::QueueAbandoned => FactKind::QueueAbandoned,
            Payload::ConversationEnded { disposition, .. } => FactKind::ConversationEnded {
                disposition: *disposition,
            },
            Payload::CsatSubmitted { .. } | Payload::IntentLabeled { .. } | Payload::Unknown => return None,
        };
        Some(FactEvent {
            occurred_at: event.occurred_at,
            seq: event.seq,
            arrival,
            channel: event.channel,
            customer_id: event.customer_id.clone(),
            kind,
        })
    }

    /// The order of a conversation's events (METRICS §1): `occurred_at`, then `seq` with an
    /// absent `seq` before any present one, then arrival.
    pub fn order_key(&self) -> (Timestamp, Option<u64>, u64) {
        (self.occurred_at, self.seq, self.arrival)
    }
}

#[cfg(test)]
mod tests {
    use std::hash::BuildHasher;

    use super::*;

    /// A lookup by a borrowed key finds the owned one only if both hash alike.
    #[test]
    fn a_borrowed_key_hashes_and_compares_like_the_owned_one() {
        let hasher = std::hash::RandomState::new();
        for (tenant, conversation) in [("default", "c-1"), ("t", ""), ("", "t"), ("ab", "c"), ("a", "bc")] {
            let owned = ConversationKey::new(tenant, conversation);
            let borrowed = ConversationKeyRef {
                tenant_id: tenant,
                conversation_id: conversation,
            };
            assert_eq!(
                hasher.hash_one(&owned),
                hasher.hash_one(&borrowed),
                "{tenant}/{conversation}"
            );
            assert!(hashbrown::Equivalent::equivalent(&borrowed, &owned));
        }
        let other = ConversationKey::new("a", "bc");
        let borrowed = ConversationKeyRef {
            tenant_id: "ab",
            conversation_id: "c",
        };
        assert!(!hashbrown::Equivalent::equivalent(&borrowed, &other));
    }
}
