//! One version of a conversation's facts (METRICS §1), as computed by sessionisation.
//!
//! CSAT and recontact are not here: they are joined in SQL whenever their events arrive
//! (INTERFACE.md, `conversations` table).

use crate::event::{Channel, Disposition, HandoffReason};
use crate::time::Timestamp;

#[derive(Debug, Clone, PartialEq)]
pub struct ConversationFacts {
    pub tenant_id: String,
    pub conversation_id: String,
    /// 1 for the first emission; each late event that changes the facts adds one.
    pub version: u32,
    /// Number of events (of types that shape facts) the facts were computed from.
    pub event_count: u32,
    pub started_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    pub closed_at: Timestamp,
    /// Closed by inactivity (or end of input) rather than by `conversation_ended`.
    pub closed_by_inactivity: bool,
    pub disposition: Disposition,
    pub channel: Channel,
    pub customer_id: Option<String>,
    pub handed_off: bool,
    pub handoff_reason: Option<HandoffReason>,
    pub agent_handled: bool,
    pub queue_abandoned: bool,
    pub bot_time_s: f64,
    pub queue_wait_s: Option<f64>,
    /// Agent-time facts are null unless `agent_handled` (as in the worked example).
    pub talk_hold_s: Option<f64>,
    pub hold_s: Option<f64>,
    pub acw_s: Option<f64>,
    pub talk_s: Option<f64>,
    pub handle_time_s: Option<f64>,
    pub customer_messages: u32,
    pub bot_messages: u32,
    pub agent_messages: u32,
    pub first_intent: Option<String>,
    pub mean_confidence: Option<f64>,
    pub min_confidence: Option<f64>,
    pub kb_lookups: u32,
    pub kb_misses: u32,
    pub contained_gross: bool,
    pub contained: bool,
    pub resolved_by_bot: bool,
}
