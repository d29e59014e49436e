//! Streaming drift on the Kafka path (ARCHITECTURE.md, "Streaming drift"): each partition
//! collects the drift values it routes; what a commit publishes is added to the run's
//! stream right after the commit, under the same lock, so the stream holds exactly what
//! the lake holds. A restart or rebalance re-opens the stream from the lake.
//!
//! Only a member that holds every partition of its topics streams drift: a member of a
//! larger group sees part of the traffic, and `drift update` computes those windows.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use convolens_core::Clock;
use convolens_core::spec::SessionSettings;

use super::partition::PartitionPipeline;
use crate::analysis::drift::DriftOptions;
use crate::analysis::drift_rows::write_rows;
use crate::analysis::drift_stream::{StreamCounts, StreamingDrift};
use crate::analysis::drift_stream_start::{StreamPlan, open};

/// Windows settled per commit round at most: a window with text drift takes seconds (its
/// classifier), and the round runs on the poll thread, which must poll again well within
/// `max.poll.interval.ms`; a run catching up on days of traffic settles them over rounds.
const WINDOWS_PER_COMMIT: usize = 4;

/// How often a run whose stream is off (the lake lacks the rolling reference) tries again.
const RETRY_OFF_EVERY: Duration = Duration::from_secs(600);

pub(super) struct KafkaDrift {
    pub lake: PathBuf,
    pub options: DriftOptions,
    pub session: SessionSettings,
    pub clock: Arc<dyn Clock>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    stream: Option<StreamingDrift>,
    /// The assignment changed since the stream was opened: re-open it from the lake.
    stale: bool,
    last_attempt: Option<Instant>,
    /// Counts of streams dropped at a rebalance, for the summary.
    earlier: Option<StreamCounts>,
}

impl KafkaDrift {
    pub fn new(lake: PathBuf, options: DriftOptions, session: SessionSettings, clock: Arc<dyn Clock>) -> Self {
        KafkaDrift {
            lake,
            options,
            session,
            clock,
            state: Mutex::new(State {
                stale: true,
                ..State::default()
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A rebalance: what this member sees changed.
    pub fn mark_stale(&self) {
        self.lock().stale = true;
    }

    /// The assignment changed since the stream was opened: the runner commits right away,
    /// so that the stream re-opens while the new partitions have routed little or nothing
    /// (reading the lake then, rather than after a run's worth of commits, keeps the
    /// re-open off the end of a run).
    pub fn is_stale(&self) -> bool {
        self.lock().stale
    }

    /// Whether the next commit round (re-)opens the stream, and so needs to know if this
    /// member holds every partition.
    pub fn wants_check(&self) -> bool {
        let state = self.lock();
        state.stale || (state.stream.is_none() && state.last_attempt.is_none_or(|t| t.elapsed() >= RETRY_OFF_EVERY))
    }

    /// Right after every live partition committed, with the partitions' lock held.
    /// `holds_all` answers [`KafkaDrift::wants_check`].
    ///
    /// A failure here stops streaming drift, not the pipeline: it is logged, the stream is
    /// dropped (and re-opened from the lake at the next rebalance or retry), and `drift
    /// update` fills the windows meanwhile.
    pub fn after_commit(&self, live: &mut [&mut PartitionPipeline], holds_all: Option<bool>) {
        let mut state = self.lock();
        let outcome = match holds_all {
            Some(holds_all) => self.reopen(&mut state, live, holds_all),
            None => self.absorb_and_settle(&mut state, live),
        };
        if let Err(error) = outcome {
            tracing::error!(
                error = format!("{error:#}"),
                "streaming drift stopped; `convolens drift update` can fill drift_metrics"
            );
            stop(&mut state, live);
        }
    }

    fn absorb_and_settle(&self, state: &mut State, live: &mut [&mut PartitionPipeline]) -> anyhow::Result<()> {
        let Some(stream) = state.stream.as_mut() else {
            return Ok(());
        };
        for pipeline in live.iter_mut() {
            if let Some(share) = pipeline.take_drift_share(|| stream.empty_share()) {
                stream.absorb(share);
            }
        }
        // A window settles once every partition is far enough past it (an idle partition
        // holds drift back, not the lake; its facts may still close in the window).
        let Some(newest) = live.iter().filter_map(|pipeline| pipeline.newest_event()).min() else {
            return Ok(());
        };
        let now = self.clock.now();
        let rows = stream.settled_rows_at(newest, now.micros(), WINDOWS_PER_COMMIT)?;
        self.write(&rows, now)
    }

    /// The stream afresh from the lake, which now holds everything committed so far.
    fn reopen(&self, state: &mut State, live: &mut [&mut PartitionPipeline], holds_all: bool) -> anyhow::Result<()> {
        state.stale = false;
        state.last_attempt = Some(Instant::now());
        stop(state, live);
        if !holds_all {
            tracing::info!(
                "this member does not hold every partition: `convolens drift update` computes drift_metrics"
            );
            return Ok(());
        }
        let plan = crate::commands::runtime()?.block_on(open(&self.lake, &self.options, &self.session))?;
        match plan {
            StreamPlan::On(stream) => {
                for pipeline in live.iter_mut() {
                    pipeline.collect_drift(Some(stream.empty_share()));
                }
                tracing::info!("streaming drift (re)opened from the lake");
                state.stream = Some(*stream);
            }
            StreamPlan::Off(reason) => {
                tracing::info!(%reason, "no streaming drift for now; `convolens drift update` fills drift_metrics");
            }
        }
        Ok(())
    }

    /// End of a finite run, after the final commit: the windows up to the newest event's.
    pub fn finish(&self) {
        let mut state = self.lock();
        let Some(stream) = state.stream.as_mut() else {
            return;
        };
        let now = self.clock.now();
        if let Err(error) = stream.finish_rows(now.micros()).and_then(|rows| self.write(&rows, now)) {
            tracing::error!(
                error = format!("{error:#}"),
                "streaming drift could not finish; `convolens drift update` can fill drift_metrics"
            );
        }
    }

    fn write(&self, rows: &[convolens_sinks::DriftMetricRow], now: convolens_core::Timestamp) -> anyhow::Result<()> {
        let prefix = format!("drift-{}-{}", now.micros(), std::process::id());
        write_rows(&self.lake, rows, now, prefix)
    }

    /// What the run's streams computed, if any ran.
    pub fn counts(&self) -> Option<StreamCounts> {
        let state = self.lock();
        match &state.stream {
            Some(stream) => Some(add(state.earlier, stream.counts())),
            None => state.earlier,
        }
    }
}

/// Ends the stream (its counts kept for the summary) and stops every partition collecting.
fn stop(state: &mut State, live: &mut [&mut PartitionPipeline]) {
    if let Some(dropped) = state.stream.take() {
        state.earlier = Some(add(state.earlier, dropped.counts()));
    }
    for pipeline in live.iter_mut() {
        pipeline.collect_drift(None);
    }
}

fn add(a: Option<StreamCounts>, b: StreamCounts) -> StreamCounts {
    let a = a.unwrap_or_default();
    StreamCounts {
        windows: a.windows + b.windows,
        rows: a.rows + b.rows,
        past_settled: a.past_settled + b.past_settled,
    }
}
