//! Streaming drift: each window's drift computed from the events and facts the runner
//! routes, as they arrive, instead of scanning the lake (ARCHITECTURE.md, "Streaming
//! drift"). Pure: the runner feeds it and writes the rows it returns.
//!
//! A window `[s, e)` of event time collects the event-level features of the events that
//! occurred in it and the conversation-level features of the latest facts closed in it
//! (a new version replaces the old one, in whichever window it now closes). It is settled
//! once the newest event seen is `allowed_lateness + idle_timeout` past `e`: the watermark
//! is then `idle_timeout` past `e`, so every conversation closed before `e` has emitted its
//! facts, and an event that occurred before `e` is late. What arrives for a settled window
//! after that lands in the lake but not in the window's row; `drift update` over the lake
//! reads it. At the end of a finite input the windows that end by the window of the newest
//! event are settled, as `drift update` would find them complete.

use std::collections::{BTreeMap, HashMap};

use convolens_core::{Actor, ConversationFacts, Event, Payload};
use convolens_drift::{CategoricalCounts, FeatureKind, ReferenceProfile};
use convolens_sinks::DriftMetricRow;

use super::drift::{self, DriftOptions, SeriesPoint, SeriesPoints};
use super::drift_input::{HashSample, WindowValues, features};
use super::drift_rows::{WindowRowsBase, series_rows, window_rows};
use crate::window::Window;

/// Where a stream starts: what it compares with, and what the lake already holds.
pub struct StreamStart {
    pub profile: ReferenceProfile,
    /// How rows name the reference (`FROM..TO` or `profile:PATH`).
    pub reference_label: String,
    /// The first window this run sees whole: windows that start earlier hold events that
    /// landed before the run, so they are left to `drift update`. `i64::MIN` on an empty lake.
    pub first_window: i64,
    /// KPI series points already in the lake before `first_window`, for the detectors.
    pub history: SeriesPoints,
}

/// Counters for the run's summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamCounts {
    pub windows: u64,
    pub rows: u64,
    /// Events and facts that arrived after their window was settled (or before the run's
    /// first window): in the lake, not in a streamed row.
    pub past_settled: u64,
}

/// (`tenant_id`, `conversation_id`): the key of the latest facts.
pub type ConversationKey = (String, String);

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

pub struct StreamingDrift {
    options: DriftOptions,
    profile: ReferenceProfile,
    reference_label: String,
    width: i64,
    /// How far the newest event must be past a window's end for it to settle.
    settle: i64,
    first_window: i64,
    /// The next window to settle; None until the first one is.
    next_window: Option<i64>,
    open: BTreeMap<i64, WindowAccumulator>,
    /// The open window holding each conversation's latest facts.
    fact_windows: HashMap<ConversationKey, i64>,
    history: SeriesPoints,
    /// Settled windows without a series point since the last one with a point: they get
    /// their (empty) series rows once a later point makes them a gap, as in `drift update`.
    gaps: Vec<i64>,
    newest_event: Option<i64>,
    counts: StreamCounts,
}

impl StreamingDrift {
    /// `allowed_lateness` and `idle_timeout` are the pipeline's sessionisation settings.
    pub fn new(
        start: StreamStart,
        options: DriftOptions,
        allowed_lateness: std::time::Duration,
        idle_timeout: std::time::Duration,
    ) -> Self {
        let micros = |d: std::time::Duration| i64::try_from(d.as_micros()).unwrap_or(i64::MAX);
        StreamingDrift {
            width: options.series_window_s.max(1) as i64 * 1_000_000,
            settle: micros(allowed_lateness).saturating_add(micros(idle_timeout)),
            options,
            profile: start.profile,
            reference_label: start.reference_label,
            first_window: start.first_window,
            next_window: None,
            open: BTreeMap::new(),
            fact_windows: HashMap::new(),
            history: start.history,
            gaps: Vec::new(),
            newest_event: None,
            counts: StreamCounts::default(),
        }
    }

    pub fn counts(&self) -> StreamCounts {
        self.counts
    }

    fn window_of(&self, micros: i64) -> i64 {
        micros.div_euclid(self.width) * self.width
    }

    /// The open window for `start`, or None if that window is not this stream's to compute.
    fn accumulator(&mut self, start: i64) -> Option<&mut WindowAccumulator> {
        if start < self.first_window || self.next_window.is_some_and(|next| start < next) {
            self.counts.past_settled += 1;
            return None;
        }
        let caps = self.options.caps;
        Some(
            self.open
                .entry(start)
                .or_insert_with(|| WindowAccumulator::new(caps.texts, caps.embeddings)),
        )
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
            facts.closed_at.micros(),
            ConversationFeatures::of(facts),
        );
    }

    /// A conversation's latest features, closed at `closed_at` (µs): replaces what the
    /// conversation had before, in whichever open window that was.
    pub fn observe_conversation(&mut self, key: ConversationKey, closed_at: i64, features: ConversationFeatures) {
        if let Some(previous) = self.fact_windows.remove(&key)
            && let Some(window) = self.open.get_mut(&previous)
        {
            window.facts.remove(&key);
        }
        let start = self.window_of(closed_at);
        if let Some(window) = self.accumulator(start) {
            window.facts.insert(key.clone(), features);
            self.fact_windows.insert(key, start);
        }
    }

    /// Rows of the windows settled by the events seen so far. Call it only when every
    /// facts version the sessioniser emitted up to the newest event seen has been observed.
    pub fn settled_rows(&mut self, computed_at: i64) -> anyhow::Result<Vec<DriftMetricRow>> {
        let Some(newest) = self.newest_event else {
            return Ok(Vec::new());
        };
        self.settle_until(newest.saturating_sub(self.settle), computed_at)
    }

    /// End of a finite input, after every remaining facts version was observed: the rows
    /// of the windows that end by the window of the newest event.
    pub fn finish_rows(&mut self, computed_at: i64) -> anyhow::Result<Vec<DriftMetricRow>> {
        let Some(newest) = self.newest_event else {
            return Ok(Vec::new());
        };
        self.settle_until(self.window_of(newest), computed_at)
    }

    /// Settles, in order, every window that ends at or before `limit`.
    fn settle_until(&mut self, limit: i64, computed_at: i64) -> anyhow::Result<Vec<DriftMetricRow>> {
        let Some(mut start) = self.next_window.or_else(|| self.open.keys().next().copied()) else {
            return Ok(Vec::new());
        };
        let mut rows = Vec::new();
        while start.saturating_add(self.width) <= limit {
            rows.extend(self.settle(start, computed_at)?);
            start += self.width;
        }
        self.next_window = Some(start);
        Ok(rows)
    }

    fn settle(&mut self, start: i64, computed_at: i64) -> anyhow::Result<Vec<DriftMetricRow>> {
        let caps = self.options.caps;
        let window = self
            .open
            .remove(&start)
            .unwrap_or_else(|| WindowAccumulator::new(caps.texts, caps.embeddings));
        for key in window.facts.keys() {
            self.fact_windows.remove(key);
        }
        let (values, point) = window.into_values();
        if let Some(point) = point {
            self.history.insert(start, point);
        }
        let end = start + self.width;
        let series = drift::fill_series(&self.history, &self.options);
        let alarms = drift::alarms(&series, &self.options)?;
        let window = Window {
            from: chrono::DateTime::from_timestamp_micros(start),
            to: chrono::DateTime::from_timestamp_micros(end),
        };
        let report = drift::compare(&self.profile, &values, &window, &self.options)?;
        let base = |window_start: i64| WindowRowsBase {
            window_start,
            window_end: window_start + self.width,
            reference: &self.reference_label,
            computed_at,
        };
        let mut rows = Vec::new();
        if point.is_some() {
            for gap in std::mem::take(&mut self.gaps) {
                rows.extend(series_rows(&base(gap), &series, &alarms));
            }
        } else if !self.history.is_empty() {
            self.gaps.push(start);
        }
        rows.extend(window_rows(&report, &base(start), &series, &alarms));
        self.counts.windows += 1;
        self.counts.rows += rows.len() as u64;
        Ok(rows)
    }
}

/// The conversation-level drift features of one facts version (as the lake reader
/// computes them from `conversation_facts`), and what the KPI series need.
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

/// One open window's values, by addition as they arrive.
struct WindowAccumulator {
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
    facts: HashMap<ConversationKey, ConversationFeatures>,
}

impl WindowAccumulator {
    fn new(text_cap: usize, embedding_cap: usize) -> Self {
        WindowAccumulator {
            confidence: Vec::new(),
            tool_latency_ms: Vec::new(),
            message_length: Vec::new(),
            intent: CategoricalCounts::new(),
            model_version: CategoricalCounts::new(),
            texts: HashSample::new(text_cap),
            embeddings: HashSample::new(embedding_cap),
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

    /// The window's drift values, and its KPI series point if it has conversations or
    /// predictions.
    fn into_values(self) -> (WindowValues, Option<SeriesPoint>) {
        let conversations = self.facts.len();
        let share = |f: fn(&ConversationFeatures) -> bool| {
            if conversations == 0 {
                f64::NAN
            } else {
                self.facts.values().filter(|c| f(c)).count() as f64 / conversations as f64
            }
        };
        let mean_confidence = if self.confidences == 0 {
            f64::NAN
        } else {
            self.confidence_sum / self.confidences as f64
        };
        let point = (conversations > 0 || self.predictions > 0)
            .then(|| [share(|c| c.contained), share(|c| c.handed_off), mean_confidence]);

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
        let facts: Vec<&ConversationFeatures> = self.facts.values().collect();
        let categorical: [(&'static str, CategoryOf); 3] = [
            ("channel", |c| c.channel),
            ("handoff_reason", |c| c.handoff_reason),
            ("disposition", |c| c.disposition),
        ];
        for (name, value) in categorical {
            values
                .categorical
                .insert(name, CategoricalCounts::from_names(facts.iter().map(|c| value(c))));
        }
        let numeric: [(&'static str, NumberOf); 4] = [
            ("customer_messages", |c| c.customer_messages),
            ("bot_time_s", |c| c.bot_time_s),
            ("handle_time_s", |c| c.handle_time_s),
            ("kb_miss_rate", |c| c.kb_miss_rate),
        ];
        for (name, value) in numeric {
            values.numeric.insert(name, facts.iter().map(|c| value(c)).collect());
        }
        debug_assert!(features().all(|(name, kind)| match kind {
            FeatureKind::Numeric => values.numeric.contains_key(name),
            FeatureKind::Categorical => values.categorical.contains_key(name),
        }));
        (values, point)
    }
}

#[cfg(test)]
#[path = "drift_stream_tests.rs"]
mod tests;
