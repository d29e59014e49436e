//! Streaming drift: each window's drift computed from the events and facts the runner
//! routes, as they arrive, instead of scanning the lake (ARCHITECTURE.md, "Streaming
//! drift"). Pure: the runner feeds it and writes the rows it returns.
//!
//! A window `[s, e)` of event time collects the event-level features of the events that
//! occurred in it and the conversation-level features of the latest facts closed in it
//! (a new version replaces the old one, in whichever window it now closes). It is settled
//! once the newest event seen is `allowed_lateness + idle_timeout` past `e`: the watermark
//! is then `idle_timeout` past `e`, so every conversation closed before `e` has emitted its
//! facts, and an event that occurred before `e` is late (it lands in the lake, is counted
//! in `past_settled`, and only `drift update` over a copy without the row would see it).
//! A settled window's facts are retained for `dedup_horizon`: a conversation that resumes
//! and moves to a later window revises the rows of the window it left. At the end of a
//! finite input the windows that end by the window of the newest event are settled, as
//! `drift update` would find them complete.

use convolens_core::spec::SessionSettings;
use convolens_core::{ConversationFacts, Event};
use convolens_drift::ReferenceProfile;
use convolens_sinks::DriftMetricRow;

use super::drift::{self, DriftOptions, SeriesPoints};
use super::drift_input::WindowValues;
use super::drift_rows::{WindowRowsBase, feature_rows, series_rows, window_rows};
use super::drift_windows::{CONVERSATION_FEATURES, WindowFacts, add_conversation_values, conversation_shares};
pub use super::drift_windows::{ConversationFeatures, ConversationKey, LandedValue, WindowSet, kb_miss_rate};
use crate::window::Window;

/// Where a stream starts: what it compares with, and what the lake already holds.
pub struct StreamStart {
    pub profile: ReferenceProfile,
    /// How rows name the reference (`FROM..TO` or `profile:PATH`).
    pub reference_label: String,
    /// The first window this run computes (the lake's values of it and later windows are
    /// read back into the stream); earlier ones are written or left to `drift update`.
    /// `i64::MIN` on an empty lake: the first window that gets values.
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

pub struct StreamingDrift {
    options: DriftOptions,
    /// The options restricted to the conversation-level features, for revisions.
    conversation_options: DriftOptions,
    profile: ReferenceProfile,
    reference_label: String,
    windows: WindowSet,
    /// How far the newest event must be past a window's end for it to settle.
    settle: i64,
    /// How long after settling a window's conversations may still move (`dedup_horizon`).
    retention: i64,
    /// The next window to settle; None until the first one is.
    next_window: Option<i64>,
    /// The first window this run computes (`i64::MIN`: the first that gets values).
    first_window: i64,
    history: SeriesPoints,
    /// Settled windows without a series point since the last one with a point: they get
    /// their (empty) series rows once a later point makes them a gap, as in `drift update`.
    gaps: Vec<i64>,
    windows_settled: u64,
    rows: u64,
    /// The newest event of any type already in the lake when the stream was resumed: the
    /// end of input is at least there, though this run's sessioniser never saw it.
    landed_until: Option<i64>,
}

impl StreamingDrift {
    /// `session` is the pipeline's sessionisation: it says when windows settle and how
    /// long their conversations may still change.
    pub fn new(start: StreamStart, options: DriftOptions, session: &SessionSettings) -> Self {
        let micros = |d: std::time::Duration| i64::try_from(d.as_micros()).unwrap_or(i64::MAX);
        let mut windows = WindowSet::new(options.series_window_s, options.caps);
        windows.set_floor(start.first_window);
        let mut conversation_options = options.clone();
        conversation_options
            .features
            .retain(|f| CONVERSATION_FEATURES.contains(&f.name));
        conversation_options.text = None;
        StreamingDrift {
            settle: micros(session.allowed_lateness).saturating_add(micros(session.idle_timeout)),
            retention: micros(session.dedup_horizon),
            conversation_options,
            options,
            profile: start.profile,
            reference_label: start.reference_label,
            windows,
            next_window: None,
            first_window: start.first_window,
            history: start.history,
            gaps: Vec::new(),
            windows_settled: 0,
            rows: 0,
            landed_until: None,
        }
    }

    pub fn counts(&self) -> StreamCounts {
        StreamCounts {
            windows: self.windows_settled,
            rows: self.rows,
            past_settled: self.windows.refused(),
        }
    }

    /// A share of windows filled elsewhere, to be counted as window sets of the same kind:
    /// same width and sample caps.
    pub fn empty_share(&self) -> WindowSet {
        WindowSet::new(self.options.series_window_s, self.options.caps)
    }

    /// An accepted (new, de-duplicated) event.
    pub fn observe_event(&mut self, event: &Event) {
        self.windows.observe_event(event);
    }

    /// See [`WindowSet::observe_value`].
    pub fn observe_value(&mut self, at: i64, value: LandedValue<'_>) {
        self.windows.observe_value(at, value);
    }

    /// A facts version, in emission order: it replaces the conversation's earlier one.
    pub fn observe_facts(&mut self, facts: &ConversationFacts) {
        self.windows.observe_facts(facts);
    }

    /// A conversation's latest features, closed at `closed_at` (µs).
    pub fn observe_conversation(&mut self, key: ConversationKey, closed_at: i64, features: ConversationFeatures) {
        let window = self.windows.window_of(closed_at);
        self.windows.observe_conversation(key, window, features);
    }

    /// Facts of a window settled before this run, read back from the lake: a later version
    /// of them revises the window's rows.
    pub fn retain(&mut self, start: i64, key: ConversationKey, features: ConversationFeatures) {
        self.windows.retain(start, key, features);
    }

    /// Values read back from the lake at start-up are in; from now on event time is what
    /// this run routes. `landed_until` is the newest event of any type in the lake (µs).
    /// The retained windows' rows are computed again at the next settling, once: the lake
    /// may have moved on since they were written.
    pub fn resumed(&mut self, landed_until: Option<i64>) {
        self.windows.forget_event_time();
        self.windows.revise_all();
        self.landed_until = landed_until;
    }

    /// The start of the window holding `micros`.
    pub fn window_of(&self, micros: i64) -> i64 {
        self.windows.window_of(micros)
    }

    /// A share filled elsewhere (a committed Kafka partition's), as if observed here now.
    pub fn absorb(&mut self, share: WindowSet) {
        self.windows.absorb(share);
    }

    /// Rows of the windows settled by the events seen so far. Call it only when every
    /// facts version the sessioniser emitted up to the newest event seen has been observed.
    pub fn settled_rows(&mut self, computed_at: i64) -> anyhow::Result<Vec<DriftMetricRow>> {
        match self.windows.newest_event() {
            Some(newest) => self.settled_rows_at(newest, computed_at, usize::MAX),
            None => Ok(Vec::new()),
        }
    }

    /// Rows of the windows settled once every source has seen events up to `newest` (µs)
    /// and every facts version emitted by then has been observed (Kafka: the least of the
    /// partitions' newest event times). At most `max_windows` settle in one call; the rest
    /// wait for the next (a caller that must not block long, such as a Kafka poll loop
    /// catching up on days of traffic, spreads the work).
    pub fn settled_rows_at(
        &mut self,
        newest: i64,
        computed_at: i64,
        max_windows: usize,
    ) -> anyhow::Result<Vec<DriftMetricRow>> {
        self.settle_until(newest.saturating_sub(self.settle), computed_at, false, max_windows)
    }

    /// End of a finite input, after every remaining facts version was observed: the rows
    /// of the windows that end by the window of the newest event.
    pub fn finish_rows(&mut self, computed_at: i64) -> anyhow::Result<Vec<DriftMetricRow>> {
        let Some(newest) = self.windows.newest_event().max(self.landed_until) else {
            return Ok(Vec::new());
        };
        self.settle_until(self.windows.window_of(newest), computed_at, true, usize::MAX)
    }

    /// Settles, in order, every window (up to `max_windows`) that ends at or before
    /// `limit`, after the revisions of windows settled earlier. Revisions wait for the next
    /// window to settle (or the end of input), so that rows are written about once per
    /// window rather than once per commit.
    fn settle_until(
        &mut self,
        limit: i64,
        computed_at: i64,
        end_of_input: bool,
        max_windows: usize,
    ) -> anyhow::Result<Vec<DriftMetricRow>> {
        let first = (self.first_window > i64::MIN).then_some(self.first_window);
        let next = self.next_window.or(first).or_else(|| self.windows.first_open());
        let width = self.windows.width();
        let settles = next.is_some_and(|start| start.saturating_add(width) <= limit);
        if !settles && !end_of_input {
            return Ok(Vec::new());
        }
        let mut rows = self.revise(computed_at)?;
        let Some(mut start) = next else {
            return Ok(rows);
        };
        let mut settled = 0;
        while start.saturating_add(width) <= limit && settled < max_windows {
            settled += 1;
            rows.extend(self.settle(start, computed_at)?);
            start += width;
            self.windows.set_floor(start);
        }
        self.next_window = Some(start);
        self.windows
            .expire(limit.saturating_sub(self.retention).saturating_sub(width));
        Ok(rows)
    }

    /// Rows of the retained windows whose conversations changed: their conversation-level
    /// features, and the series rows of every retained window from the earliest of them
    /// on (a changed point changes the detectors' view of what follows).
    fn revise(&mut self, computed_at: i64) -> anyhow::Result<Vec<DriftMetricRow>> {
        let revised: Vec<(i64, WindowFacts)> = self
            .windows
            .take_revised()
            .into_iter()
            .map(|(start, facts)| (start, facts.clone()))
            .collect();
        let Some(from) = revised.first().map(|(start, _)| *start) else {
            return Ok(Vec::new());
        };
        let mut rows = Vec::new();
        for (start, facts) in &revised {
            let mut values = WindowValues::default();
            add_conversation_values(&mut values, facts);
            let report = drift::compare(&self.profile, &values, &self.window(*start), &self.conversation_options)?;
            rows.extend(feature_rows(&report, &self.base(*start, computed_at)));
            let [containment, escalation] = conversation_shares(facts);
            let point = self.history.entry(*start).or_insert([f64::NAN; 3]);
            (point[0], point[1]) = (containment, escalation);
            if point.iter().all(|v| v.is_nan()) {
                self.history.remove(start);
            }
        }
        let series = drift::fill_series(&self.history, &self.options);
        let alarms = drift::alarms(&series, &self.options)?;
        for start in self.windows.retained_from(from) {
            rows.extend(series_rows(&self.base(start, computed_at), &series, &alarms));
        }
        self.rows += rows.len() as u64;
        Ok(rows)
    }

    /// The window starting at `start`, as reports and rows name it.
    fn window(&self, start: i64) -> Window {
        Window {
            from: chrono::DateTime::from_timestamp_micros(start),
            to: chrono::DateTime::from_timestamp_micros(start + self.windows.width()),
        }
    }

    fn base(&self, window_start: i64, computed_at: i64) -> WindowRowsBase<'_> {
        WindowRowsBase {
            window_start,
            window_end: window_start + self.windows.width(),
            reference: &self.reference_label,
            computed_at,
        }
    }

    fn settle(&mut self, start: i64, computed_at: i64) -> anyhow::Result<Vec<DriftMetricRow>> {
        let (values, point) = self.windows.take(start).into_values();
        if let Some(point) = point {
            self.history.insert(start, point);
        }
        let series = drift::fill_series(&self.history, &self.options);
        let alarms = drift::alarms(&series, &self.options)?;
        let report = drift::compare(&self.profile, &values, &self.window(start), &self.options)?;
        let mut rows = Vec::new();
        if point.is_some() {
            for gap in std::mem::take(&mut self.gaps) {
                rows.extend(series_rows(&self.base(gap, computed_at), &series, &alarms));
            }
        } else if !self.history.is_empty() {
            self.gaps.push(start);
        }
        rows.extend(window_rows(&report, &self.base(start, computed_at), &series, &alarms));
        self.windows_settled += 1;
        self.rows += rows.len() as u64;
        Ok(rows)
    }
}

#[cfg(test)]
#[path = "drift_stream_tests.rs"]
mod tests;
