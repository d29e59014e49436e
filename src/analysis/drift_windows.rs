//! Drift windows being filled: each window's values by addition as events and facts
//! arrive, in a set that merges into another (a Kafka partition's uncommitted share into
//! the run's stream once committed) and hands a window over when it settles.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use convolens_core::{Actor, ConversationFacts, Event, Payload};
use convolens_drift::{CategoricalCounts, FeatureKind};

use super::drift::SeriesPoint;
use super::drift_input::{HashSample, SampleCaps, WindowValues, features};

/// (`tenant_id`, `conversation_id`): the key of the latest facts.
pub type ConversationKey = (String, String);

/// Conversations by key: the latest facts of those closed in one window.
pub type WindowFacts = HashMap<ConversationKey, ConversationFeatures>;

/// What drift reads from one event.
pub enum LandedValue<'a> {
    Prediction {
        id: &'a str,
        intent: Option<&'a str>,
        model_version: Option<&'a str>,
        confidence: Option<f64>,
        is_oos: Option<bool>,
        embedding: Option<&'a [f32]>,
    },
    ToolCall {
        latency_ms: Option<f64>,
    },
    CustomerMessage {
        id: &'a str,
        text: Option<&'a str>,
    },
    /// Another type: it only moves event time on.
    Other,
}

/// The conversation-level drift features of one facts version (as the lake reader
/// computes them from `conversation_facts`), and what the KPI series need.
#[derive(Debug, Clone, Copy)]
pub struct ConversationFeatures {
    pub channel: Option<&'static str>,
    pub handoff_reason: Option<&'static str>,
    pub disposition: Option<&'static str>,
    pub customer_messages: Option<f64>,
    pub bot_time_s: Option<f64>,
    pub handle_time_s: Option<f64>,
    pub kb_miss_rate: Option<f64>,
    pub contained: bool,
    pub handed_off: bool,
}

impl ConversationFeatures {
    fn of(facts: &ConversationFacts) -> Self {
        ConversationFeatures {
            channel: Some(facts.channel.as_str()),
            handoff_reason: facts.handoff_reason.map(|r| r.as_str()),
            disposition: Some(facts.disposition.as_str()),
            customer_messages: Some(f64::from(facts.customer_messages)),
            bot_time_s: Some(facts.bot_time_s),
            handle_time_s: facts.handle_time_s,
            kb_miss_rate: kb_miss_rate(facts.kb_lookups, facts.kb_misses),
            contained: facts.contained,
            handed_off: facts.handed_off,
        }
    }
}

/// Misses per lookup; null without lookups.
pub fn kb_miss_rate(lookups: u32, misses: u32) -> Option<f64> {
    (lookups > 0).then(|| f64::from(misses) / f64::from(lookups))
}

/// How a conversation-level feature is read from [`ConversationFeatures`].
type CategoryOf = fn(&ConversationFeatures) -> Option<&'static str>;
type NumberOf = fn(&ConversationFeatures) -> Option<f64>;

/// One window's values, by addition as they arrive.
pub struct WindowAccumulator {
    confidence: Vec<Option<f64>>,
    tool_latency_ms: Vec<Option<f64>>,
    message_length: Vec<Option<f64>>,
    intent: CategoricalCounts,
    model_version: CategoricalCounts,
    texts: HashSample<String>,
    embeddings: HashSample<Vec<f32>>,
    predictions: u64,
    out_of_scope: u64,
    confidence_sum: f64,
    confidences: u64,
    facts: WindowFacts,
}

impl WindowAccumulator {
    fn new(caps: SampleCaps) -> Self {
        WindowAccumulator {
            confidence: Vec::new(),
            tool_latency_ms: Vec::new(),
            message_length: Vec::new(),
            intent: CategoricalCounts::new(),
            model_version: CategoricalCounts::new(),
            texts: HashSample::new(caps.texts),
            embeddings: HashSample::new(caps.embeddings),
            predictions: 0,
            out_of_scope: 0,
            confidence_sum: 0.0,
            confidences: 0,
            facts: HashMap::new(),
        }
    }

    fn add(&mut self, value: LandedValue<'_>) {
        match value {
            LandedValue::Prediction {
                id,
                intent,
                model_version,
                confidence,
                is_oos,
                embedding,
            } => {
                self.intent.add(intent);
                self.model_version.add(model_version);
                self.confidence.push(confidence);
                // As SQL's AVG: over the non-null values.
                if let Some(confidence) = confidence {
                    self.confidence_sum += confidence;
                    self.confidences += 1;
                }
                self.predictions += 1;
                self.out_of_scope += u64::from(is_oos == Some(true));
                if let Some(vector) = embedding
                    && self.embeddings.would_keep(id)
                {
                    self.embeddings.offer(id, vector.to_vec());
                }
            }
            LandedValue::ToolCall { latency_ms } => self.tool_latency_ms.push(latency_ms),
            LandedValue::CustomerMessage { id, text } => {
                // As SQL's character_length: Unicode scalar values.
                self.message_length.push(text.map(|t| t.chars().count() as f64));
                if let Some(text) = text
                    && self.texts.would_keep(id)
                {
                    self.texts.offer(id, text.to_string());
                }
            }
            LandedValue::Other => {}
        }
    }

    /// Adds another share of the same window (its facts already moved out).
    fn merge(&mut self, other: WindowAccumulator) {
        self.confidence.extend(other.confidence);
        self.tool_latency_ms.extend(other.tool_latency_ms);
        self.message_length.extend(other.message_length);
        self.intent.merge(&other.intent);
        self.model_version.merge(&other.model_version);
        self.texts.merge(other.texts);
        self.embeddings.merge(other.embeddings);
        self.predictions += other.predictions;
        self.out_of_scope += other.out_of_scope;
        self.confidence_sum += other.confidence_sum;
        self.confidences += other.confidences;
    }

    /// How many values and facts the window holds.
    fn values(&self) -> u64 {
        (self.confidence.len() + self.tool_latency_ms.len() + self.message_length.len() + self.facts.len()) as u64
    }

    /// The window's drift values, and its KPI series point if it has conversations or
    /// predictions.
    pub fn into_values(self) -> (WindowValues, Option<SeriesPoint>) {
        let mean_confidence = if self.confidences == 0 {
            f64::NAN
        } else {
            self.confidence_sum / self.confidences as f64
        };
        let [containment, escalation] = conversation_shares(&self.facts);
        let point =
            (!self.facts.is_empty() || self.predictions > 0).then_some([containment, escalation, mean_confidence]);

        let mut values = WindowValues {
            predictions: self.predictions,
            out_of_scope: self.out_of_scope,
            texts: self.texts.into_values(),
            embeddings: self.embeddings.into_values(),
            ..WindowValues::default()
        };
        values.numeric.insert("confidence", self.confidence);
        values.numeric.insert("tool_latency_ms", self.tool_latency_ms);
        values.numeric.insert("message_length", self.message_length);
        values.categorical.insert("intent", self.intent);
        values.categorical.insert("model_version", self.model_version);
        add_conversation_values(&mut values, &self.facts);
        debug_assert!(features().all(|(name, kind)| match kind {
            FeatureKind::Numeric => values.numeric.contains_key(name),
            FeatureKind::Categorical => values.categorical.contains_key(name),
        }));
        (values, point)
    }
}

/// The conversation-level drift features.
pub const CONVERSATION_FEATURES: [&str; 7] = [
    "channel",
    "handoff_reason",
    "disposition",
    "customer_messages",
    "bot_time_s",
    "handle_time_s",
    "kb_miss_rate",
];

/// The conversation-level features of `facts` into `values`.
pub fn add_conversation_values(values: &mut WindowValues, facts: &WindowFacts) {
    let categorical: [(&'static str, CategoryOf); 3] = [
        ("channel", |c| c.channel),
        ("handoff_reason", |c| c.handoff_reason),
        ("disposition", |c| c.disposition),
    ];
    for (name, value) in categorical {
        values
            .categorical
            .insert(name, CategoricalCounts::from_names(facts.values().map(value)));
    }
    let numeric: [(&'static str, NumberOf); 4] = [
        ("customer_messages", |c| c.customer_messages),
        ("bot_time_s", |c| c.bot_time_s),
        ("handle_time_s", |c| c.handle_time_s),
        ("kb_miss_rate", |c| c.kb_miss_rate),
    ];
    for (name, value) in numeric {
        values.numeric.insert(name, facts.values().map(value).collect());
    }
}

/// Containment and escalation rates of `facts` (NaN without conversations).
pub fn conversation_shares(facts: &WindowFacts) -> [f64; 2] {
    let share = |f: fn(&ConversationFeatures) -> bool| {
        if facts.is_empty() {
            f64::NAN
        } else {
            facts.values().filter(|c| f(c)).count() as f64 / facts.len() as f64
        }
    };
    [share(|c| c.contained), share(|c| c.handed_off)]
}

/// Open windows by start (µs since the epoch, aligned to the window width), with the
/// window that holds each conversation's latest facts.
///
/// A conversation closed by inactivity takes a new facts version when another event of it
/// comes (until its state is dropped, `dedup_horizon` later), which can move it to a later
/// window. So the facts of settled windows are retained for that long, and a window that
/// loses or gains a conversation is marked revised for its rows to be computed again.
pub struct WindowSet {
    width: i64,
    caps: SampleCaps,
    /// Windows that start earlier are not taken: their values are counted in `refused`
    /// (facts too, unless their window is retained).
    floor: i64,
    open: BTreeMap<i64, WindowAccumulator>,
    retained: BTreeMap<i64, WindowFacts>,
    revised: BTreeSet<i64>,
    fact_windows: HashMap<ConversationKey, i64>,
    newest_event: Option<i64>,
    refused: u64,
}

impl WindowSet {
    pub fn new(width_s: u64, caps: SampleCaps) -> Self {
        WindowSet {
            width: width_s.max(1) as i64 * 1_000_000,
            caps,
            floor: i64::MIN,
            open: BTreeMap::new(),
            retained: BTreeMap::new(),
            revised: BTreeSet::new(),
            fact_windows: HashMap::new(),
            newest_event: None,
            refused: 0,
        }
    }

    pub fn width(&self) -> i64 {
        self.width
    }

    pub fn window_of(&self, micros: i64) -> i64 {
        micros.div_euclid(self.width) * self.width
    }

    /// The newest event time observed (µs).
    pub fn newest_event(&self) -> Option<i64> {
        self.newest_event
    }

    /// Event time starts again from what is observed next (values read back from the lake
    /// stay in their windows).
    pub fn forget_event_time(&mut self) {
        self.newest_event = None;
    }

    /// Values and facts refused because their window started before the floor.
    pub fn refused(&self) -> u64 {
        self.refused
    }

    pub fn first_open(&self) -> Option<i64> {
        self.open.keys().next().copied()
    }

    /// Windows starting before `floor` are refused from now on.
    pub fn set_floor(&mut self, floor: i64) {
        self.floor = self.floor.max(floor);
    }

    fn accumulator(&mut self, start: i64) -> Option<&mut WindowAccumulator> {
        if start < self.floor {
            self.refused += 1;
            return None;
        }
        let caps = self.caps;
        Some(self.open.entry(start).or_insert_with(|| WindowAccumulator::new(caps)))
    }

    /// An accepted (new, de-duplicated) event.
    pub fn observe_event(&mut self, event: &Event) {
        let value = match &event.payload {
            Payload::IntentPredicted {
                intent,
                confidence,
                model_version,
                is_oos,
                embedding,
                ..
            } => LandedValue::Prediction {
                id: &event.event_id,
                intent: Some(intent),
                model_version: model_version.as_deref(),
                confidence: Some(*confidence),
                is_oos: *is_oos,
                embedding: embedding.as_deref(),
            },
            Payload::ToolCall { latency_ms, .. } => LandedValue::ToolCall {
                latency_ms: *latency_ms,
            },
            Payload::Message {
                actor: Actor::Customer,
                text,
            } => LandedValue::CustomerMessage {
                id: &event.event_id,
                text: text.as_deref(),
            },
            _ => LandedValue::Other,
        };
        self.observe_value(event.occurred_at.micros(), value);
    }

    /// The drift-relevant part of an event that occurred at `at` (µs): from the stream, or
    /// read back from the lake when a run resumes a window.
    pub fn observe_value(&mut self, at: i64, value: LandedValue<'_>) {
        self.newest_event = Some(self.newest_event.map_or(at, |newest| newest.max(at)));
        if matches!(value, LandedValue::Other) {
            return;
        }
        if let Some(window) = self.accumulator(self.window_of(at)) {
            window.add(value);
        }
    }

    /// A facts version, in emission order: it replaces the conversation's earlier one.
    pub fn observe_facts(&mut self, facts: &ConversationFacts) {
        self.observe_conversation(
            (facts.tenant_id.clone(), facts.conversation_id.clone()),
            self.window_of(facts.closed_at.micros()),
            ConversationFeatures::of(facts),
        );
    }

    /// A conversation's latest features, closed in the window starting at `window`:
    /// replaces what the conversation had before, in whichever open or retained window.
    pub fn observe_conversation(&mut self, key: ConversationKey, window: i64, features: ConversationFeatures) {
        if let Some(previous) = self.fact_windows.remove(&key) {
            if let Some(open) = self.open.get_mut(&previous) {
                open.facts.remove(&key);
            } else if let Some(retained) = self.retained.get_mut(&previous) {
                retained.remove(&key);
                self.revised.insert(previous);
            }
        }
        if let Some(retained) = self.retained.get_mut(&window) {
            retained.insert(key.clone(), features);
            self.revised.insert(window);
            self.fact_windows.insert(key, window);
        } else if let Some(open) = self.accumulator(window) {
            open.facts.insert(key.clone(), features);
            self.fact_windows.insert(key, window);
        }
    }

    /// Adds `other`'s windows to these, as if its events and facts had been observed here
    /// after everything observed so far.
    pub fn absorb(&mut self, other: WindowSet) {
        if let Some(newest) = other.newest_event {
            self.newest_event = Some(self.newest_event.map_or(newest, |n| n.max(newest)));
        }
        self.refused += other.refused;
        for (start, mut window) in other.open {
            for (key, features) in std::mem::take(&mut window.facts) {
                self.observe_conversation(key, start, features);
            }
            if start < self.floor {
                self.refused += window.values();
            } else if let Some(into) = self.accumulator(start) {
                into.merge(window);
            }
        }
    }

    /// Takes the window starting at `start` out of the set (empty if nothing came); its
    /// facts stay, retained, until [`WindowSet::expire`].
    pub fn take(&mut self, start: i64) -> WindowAccumulator {
        let window = self
            .open
            .remove(&start)
            .unwrap_or_else(|| WindowAccumulator::new(self.caps));
        self.retained.insert(start, window.facts.clone());
        window
    }

    /// Retains facts read back from the lake for a window settled before the run: a later
    /// version of them revises that window.
    pub fn retain(&mut self, start: i64, key: ConversationKey, features: ConversationFeatures) {
        self.retained.entry(start).or_default().insert(key.clone(), features);
        self.fact_windows.insert(key, start);
    }

    /// The retained windows whose facts changed since the last call, with their facts.
    pub fn take_revised(&mut self) -> Vec<(i64, &WindowFacts)> {
        let revised = std::mem::take(&mut self.revised);
        revised
            .into_iter()
            .filter_map(|start| self.retained.get(&start).map(|facts| (start, facts)))
            .collect()
    }

    /// Marks every retained window revised (their rows in the lake may be older than the
    /// lake's facts).
    pub fn revise_all(&mut self) {
        self.revised.extend(self.retained.keys().copied());
    }

    /// Starts of the retained windows from `from` on.
    pub fn retained_from(&self, from: i64) -> Vec<i64> {
        self.retained.range(from..).map(|(start, _)| *start).collect()
    }

    /// Forgets the retained windows that start before `before`: their conversations can
    /// no longer change.
    pub fn expire(&mut self, before: i64) {
        let kept = self.retained.split_off(&before);
        for (_, facts) in std::mem::replace(&mut self.retained, kept) {
            for key in facts.keys() {
                if self.fact_windows.get(key).is_some_and(|w| *w < before) {
                    self.fact_windows.remove(key);
                }
            }
        }
        self.revised.retain(|start| *start >= before);
    }
}
