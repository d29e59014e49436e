//! Serde for the core types that the checkpointed state holds.
//!
//! `convolens-core` keeps its types free of serde derives, so the processor state refers
//! to them through these `#[serde(with = …)]` helpers and remote definitions. Enums are
//! written as their contract strings (`"chat"`, `"resolved"`), timestamps as UTC
//! microseconds, so a checkpoint is plain serde_json.
//!
//! Floats are written as their shortest round-trip text (`"0.45404934442343403"`), not as
//! JSON numbers: serde_json's default number parser may be one ulp off, and a restored
//! processor must emit bit-identical facts. Text also carries NaN and infinities, which a
//! hand-built event may hold and JSON numbers cannot.

use std::hash::Hash;
use std::time::Duration;

use convolens_core::spec::SessionSettings;
use convolens_core::{Actor, Channel, ConversationFacts, Disposition, HandoffReason, Timestamp};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An enum of `convolens_core::event` that has a stable text form.
pub(crate) trait TextEnum: Sized + Copy {
    const NAMES: &'static [&'static str];
    fn text(self) -> &'static str;
    fn from_text(text: &str) -> Option<Self>;
}

macro_rules! text_enum {
    ($($name:ty),+) => {$(
        impl TextEnum for $name {
            const NAMES: &'static [&'static str] = <$name>::ALL;
            fn text(self) -> &'static str {
                self.as_str()
            }
            fn from_text(text: &str) -> Option<Self> {
                <$name>::parse(text)
            }
        }
    )+};
}

text_enum!(Channel, Actor, HandoffReason, Disposition);

fn parse_text<'de, T: TextEnum, D: Deserializer<'de>>(text: &str) -> Result<T, D::Error> {
    T::from_text(text).ok_or_else(|| D::Error::unknown_variant(text, T::NAMES))
}

pub(crate) mod text_enum {
    use super::*;

    pub(crate) fn serialize<T: TextEnum, S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(value.text())
    }

    pub(crate) fn deserialize<'de, T: TextEnum, D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_text::<T, D>(&text)
    }
}

pub(crate) mod opt_text_enum {
    use super::*;

    pub(crate) fn serialize<T: TextEnum, S: Serializer>(value: &Option<T>, serializer: S) -> Result<S::Ok, S::Error> {
        value.map(TextEnum::text).serialize(serializer)
    }

    pub(crate) fn deserialize<'de, T: TextEnum, D: Deserializer<'de>>(deserializer: D) -> Result<Option<T>, D::Error> {
        match Option::<String>::deserialize(deserializer)? {
            Some(text) => parse_text::<T, D>(&text).map(Some),
            None => Ok(None),
        }
    }
}

pub(crate) mod exact_f64 {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(value)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse()
            .map_err(|_| D::Error::custom(format!("not a float: {text:?}")))
    }
}

pub(crate) mod opt_exact_f64 {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(value: &Option<f64>, serializer: S) -> Result<S::Ok, S::Error> {
        value.map(|v| v.to_string()).serialize(serializer)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
        match Option::<String>::deserialize(deserializer)? {
            Some(text) => text
                .parse()
                .map(Some)
                .map_err(|_| D::Error::custom(format!("not a float: {text:?}"))),
            None => Ok(None),
        }
    }
}

pub(crate) mod timestamp {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(value: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(value.micros())
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        i64::deserialize(deserializer).map(Timestamp::from_micros)
    }
}

pub(crate) mod opt_timestamp {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(value: &Option<Timestamp>, serializer: S) -> Result<S::Ok, S::Error> {
        value.map(Timestamp::micros).serialize(serializer)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Timestamp>, D::Error> {
        Option::<i64>::deserialize(deserializer).map(|micros| micros.map(Timestamp::from_micros))
    }
}

/// A map whose keys are not strings, written as a list of `[key, value]` pairs because
/// JSON object keys must be strings.
pub(crate) mod map_as_entries {
    use std::hash::BuildHasher;

    use super::*;

    pub(crate) fn serialize<K: Serialize, V: Serialize, H, S: Serializer>(
        map: &hashbrown::HashMap<K, V, H>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(map.iter())
    }

    pub(crate) fn deserialize<'de, K, V, H, D>(deserializer: D) -> Result<hashbrown::HashMap<K, V, H>, D::Error>
    where
        K: Deserialize<'de> + Eq + Hash,
        V: Deserialize<'de>,
        H: BuildHasher + Default,
        D: Deserializer<'de>,
    {
        Vec::<(K, V)>::deserialize(deserializer).map(|entries| entries.into_iter().collect())
    }
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "SessionSettings")]
pub(crate) struct SessionSettingsDef {
    idle_timeout: Duration,
    allowed_lateness: Duration,
    dedup_horizon: Duration,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "ConversationFacts")]
struct ConversationFactsDef {
    tenant_id: String,
    conversation_id: String,
    version: u32,
    event_count: u32,
    #[serde(with = "timestamp")]
    started_at: Timestamp,
    #[serde(with = "opt_timestamp")]
    ended_at: Option<Timestamp>,
    #[serde(with = "timestamp")]
    closed_at: Timestamp,
    closed_by_inactivity: bool,
    #[serde(with = "text_enum")]
    disposition: Disposition,
    #[serde(with = "text_enum")]
    channel: Channel,
    customer_id: Option<String>,
    handed_off: bool,
    #[serde(with = "opt_text_enum")]
    handoff_reason: Option<HandoffReason>,
    agent_handled: bool,
    queue_abandoned: bool,
    #[serde(with = "exact_f64")]
    bot_time_s: f64,
    #[serde(with = "opt_exact_f64")]
    queue_wait_s: Option<f64>,
    #[serde(with = "opt_exact_f64")]
    talk_hold_s: Option<f64>,
    #[serde(with = "opt_exact_f64")]
    hold_s: Option<f64>,
    #[serde(with = "opt_exact_f64")]
    acw_s: Option<f64>,
    #[serde(with = "opt_exact_f64")]
    talk_s: Option<f64>,
    #[serde(with = "opt_exact_f64")]
    handle_time_s: Option<f64>,
    customer_messages: u32,
    bot_messages: u32,
    agent_messages: u32,
    first_intent: Option<String>,
    #[serde(with = "opt_exact_f64")]
    mean_confidence: Option<f64>,
    #[serde(with = "opt_exact_f64")]
    min_confidence: Option<f64>,
    kb_lookups: u32,
    kb_misses: u32,
    contained_gross: bool,
    contained: bool,
    resolved_by_bot: bool,
}

/// Facts emitted but not yet drained are part of the state too.
pub(crate) mod facts_list {
    use super::*;

    struct Out<'a>(&'a ConversationFacts);

    impl Serialize for Out<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            ConversationFactsDef::serialize(self.0, serializer)
        }
    }

    #[derive(Deserialize)]
    struct In(#[serde(with = "ConversationFactsDef")] ConversationFacts);

    pub(crate) fn serialize<S: Serializer>(facts: &[ConversationFacts], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(facts.iter().map(Out))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<ConversationFacts>, D::Error> {
        Vec::<In>::deserialize(deserializer).map(|facts| facts.into_iter().map(|In(f)| f).collect())
    }
}
