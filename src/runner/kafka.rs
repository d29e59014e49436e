//! `convolens run` on a Kafka source: consume, route per partition, and commit each
//! partition's files, offset and state together every commit interval (ARCHITECTURE.md,
//! "Exactly once on the Kafka path").
//!
//! One thread polls the consumer (rebalance callbacks run inside its poll, see
//! [`Partitions`]) and commits; decoder threads, a dispatcher and routing lanes do the rest
//! ([`super::kafka_flow`]). The assigned partitions sit in one map behind a mutex, taken
//! briefly to look a partition up and for rebalances; each partition's pipeline has its
//! own lock, taken for routing and committing.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::Context;
use convolens_core::Clock;
use convolens_core::spec::{DriftSettings, LakeFileSettings, Limits, RedactionSettings, SessionSettings};
use convolens_ingest::kafka::{
    DeadLetterProducer, KafkaRecord, KafkaSettings, KafkaSource, PartitionHandler, PartitionId,
};
use convolens_transforms::decode::DecodeLimits;
use convolens_transforms::redact::Redactor;

use super::kafka_drift::KafkaDrift;
use super::kafka_flow::{Flow, InFlight, each_in_parallel};
use super::partition::PartitionPipeline;
use super::stages::{DecodeStage, RouteCounts};
use crate::analysis::drift_stream::StreamCounts;
use crate::exit;

/// Largest batch taken from the consumer before routing. Small, as on the file path, so
/// that records are still in the caches when the decoders and lanes reach them: 2 k ran
/// the demo's pipeline 5 % faster than 16 k (BENCHMARKS.md).
const MAX_BATCH: usize = 2 * 1024;
const POLL_WAIT: Duration = Duration::from_millis(100);
/// Threads that commit partitions at once at most.
const COMMIT_THREADS: usize = 8;

pub struct KafkaRun {
    pub pipeline: String,
    pub kafka: KafkaSettings,
    pub lake: PathBuf,
    pub session: SessionSettings,
    pub limits: Limits,
    pub redaction: RedactionSettings,
    pub lake_files: LakeFileSettings,
    pub commit_interval: Duration,
    pub dead_letter_topic: Option<String>,
    /// Stop once every assigned partition is drained and committed.
    pub until_idle: bool,
    /// How long brokers may stay unreachable before the run gives up (exit 2).
    pub retry_budget: Duration,
    pub workers: usize,
    /// Drift streamed into `drift_metrics` while this member holds every partition.
    pub drift: Option<DriftSettings>,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct KafkaSummary {
    pub routed: RouteCounts,
    pub conversations: u64,
    pub partitions: usize,
    pub commits: u64,
    pub elapsed: Duration,
    /// From the start of the run to the first partition assignment: the consumer-group
    /// join, which brokers delay on purpose (`group.initial.rebalance.delay.ms`, 3 s by
    /// default, on the mock cluster too).
    pub joined_after: Option<Duration>,
    pub drift: Option<StreamCounts>,
}

impl KafkaSummary {
    pub fn one_line(&self) -> String {
        format!(
            "consumed {} messages from {} partitions: {} events, {} duplicates, {} dead letters, {} conversations, {} commits in {:.2}s",
            self.routed.records,
            self.partitions,
            self.routed.events,
            self.routed.duplicates,
            self.routed.dead_letters,
            self.conversations,
            self.commits,
            self.elapsed.as_secs_f64()
        )
    }

    /// What the streaming drift wrote, if the run computed it.
    pub fn drift_line(&self) -> Option<String> {
        self.drift.map(|d| {
            format!(
                "drift_metrics: {} windows streamed ({} rows; {} events or facts arrived after their window settled)",
                d.windows, d.rows, d.past_settled
            )
        })
    }
}

/// One assigned partition's pipeline: locked by the routing lane that owns the partition
/// while it routes a batch's records, and by the poll thread to commit, finish or release
/// it. Lock order: the live map first, then pipelines (lanes hold no pipeline while they
/// look one up).
pub(super) type SharedPipeline = Arc<Mutex<PartitionPipeline>>;

pub(super) fn lock_pipeline(shared: &Mutex<PartitionPipeline>) -> MutexGuard<'_, PartitionPipeline> {
    shared.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn as_mut<'a>(guards: &'a mut [MutexGuard<'_, PartitionPipeline>]) -> Vec<&'a mut PartitionPipeline> {
    guards.iter_mut().map(|guard| &mut **guard).collect()
}

/// The assigned partitions' pipelines, shared between the poll loop, the rebalance
/// callbacks (which run on the same thread, inside `poll`) and the routing lanes.
pub(super) struct Partitions {
    job: PartitionJob,
    clock: Arc<dyn Clock>,
    live: Mutex<BTreeMap<PartitionId, SharedPipeline>>,
    /// Counts of partitions that were committed and handed away.
    retired: Mutex<KafkaSummary>,
    /// An error inside a callback, reported by the loop after `poll` returns.
    failure: Mutex<Option<anyhow::Error>>,
    run_counter: AtomicU64,
    run_base: String,
    seen: Mutex<std::collections::BTreeSet<PartitionId>>,
    /// The dead-letter topic's producer: what it was sent must be acknowledged before the
    /// offsets that produced it are committed (at least once), on revoke too.
    dead_letters: Option<Arc<DeadLetterProducer>>,
    /// What was polled but is not routed yet.
    pub(super) in_flight: InFlight,
    started: Instant,
    first_assignment: Mutex<Option<Duration>>,
    drift: Option<KafkaDrift>,
}

struct PartitionJob {
    pipeline: String,
    /// Threads for work on all partitions at once (finishing, committing).
    threads: usize,
    lake: PathBuf,
    session: SessionSettings,
    lake_files: LakeFileSettings,
}

impl Partitions {
    pub(super) fn now(&self) -> convolens_core::Timestamp {
        self.clock.now()
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, BTreeMap<PartitionId, SharedPipeline>> {
        self.live.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(super) fn fail(&self, error: anyhow::Error) {
        let mut slot = self.failure.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(error);
        }
    }

    fn drift_changed(&self) {
        if let Some(drift) = &self.drift {
            drift.mark_stale();
        }
    }

    /// Partitions were assigned since the streaming drift was opened.
    fn drift_awaits_reopen(&self) -> bool {
        self.drift.as_ref().is_some_and(KafkaDrift::is_stale) && !self.lock().is_empty()
    }

    fn take_failure(&self) -> Option<anyhow::Error> {
        self.failure.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    fn retire(&self, pipeline: &PartitionPipeline) {
        tally(&mut self.retired.lock().unwrap_or_else(|p| p.into_inner()), pipeline);
    }

    /// Commits every dirty partition, then hands what the commits published to the
    /// streaming drift under the same lock; returns the offsets committed (for the group
    /// hint). `holds_all` answers [`KafkaDrift::wants_check`]. `end` (a finite run's last
    /// commit) first closes every open conversation (METRICS §1), partition by partition
    /// in the same parallel pass.
    fn commit_all(&self, holds_all: Option<bool>, end: RunEnd) -> anyhow::Result<(Vec<(PartitionId, i64)>, u64)> {
        let now = self.clock.now();
        let live = self.lock();
        let ids: Vec<PartitionId> = live.keys().cloned().collect();
        let mut guards: Vec<_> = live.values().map(|shared| lock_pipeline(shared)).collect();
        // Dead letters first, with every pipeline locked so that no lane sends more: once the
        // offsets are committed, a restart never re-sends them.
        flush_dead_letters(self.dead_letters.as_deref())?;
        // A thread per partition (up to COMMIT_THREADS): committing is compressing the
        // files' last pages, then waiting on fsync; more threads than cores overlap the
        // waits with the compression (the final commit of 8 partitions: 145 ms on 2
        // threads, 125 ms on 8).
        let threads = guards.len().clamp(1, COMMIT_THREADS).max(self.job.threads);
        let outcomes = each_in_parallel(as_mut(&mut guards), threads, |pipeline| {
            if end == RunEnd::Drained {
                pipeline.finish(now)?;
            }
            let before = pipeline.resume_offset();
            Ok((before, pipeline.commit(now)?))
        });
        let mut offsets = Vec::new();
        let mut commits = 0;
        for (id, outcome) in ids.into_iter().zip(outcomes) {
            let (before, committed) = outcome?;
            if let Some(offset) = committed {
                if Some(offset) != before {
                    commits += 1;
                }
                offsets.push((id, offset));
            }
        }
        if let Some(drift) = &self.drift {
            drift.after_commit(&mut as_mut(&mut guards), holds_all);
        }
        Ok((offsets, commits))
    }
}

/// How a commit round relates to the end of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RunEnd {
    /// The run goes on, or stops without having drained its input (a signal, an error):
    /// open conversations stay open, in the committed state, for the next run.
    Continuing,
    /// `--until-idle` consumed everything: the end of input closes every conversation.
    Drained,
}

impl PartitionHandler for Partitions {
    fn on_assign(&self, partitions: &[PartitionId]) -> Vec<Option<i64>> {
        self.in_flight.wait_routed();
        self.drift_changed();
        self.first_assignment
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert_with(|| self.started.elapsed());
        let mut live = self.lock();
        partitions
            .iter()
            .map(|id| {
                let run = format!("{}-{}", self.run_base, self.run_counter.fetch_add(1, Ordering::Relaxed));
                let job = &self.job;
                match PartitionPipeline::open(
                    &job.lake,
                    &job.pipeline,
                    id.clone(),
                    &job.session,
                    &job.lake_files,
                    &run,
                ) {
                    Ok(pipeline) => {
                        let offset = pipeline.resume_offset();
                        live.insert(id.clone(), Arc::new(Mutex::new(pipeline)));
                        self.seen.lock().unwrap_or_else(|p| p.into_inner()).insert(id.clone());
                        offset
                    }
                    Err(error) => {
                        self.fail(error);
                        None
                    }
                }
            })
            .collect()
    }

    fn on_revoke(&self, partitions: &[PartitionId]) {
        // What was polled from these partitions is routed first, so their commit covers it.
        self.in_flight.wait_routed();
        self.drift_changed();
        let now = self.clock.now();
        let mut live = self.lock();
        if let Err(error) = flush_dead_letters(self.dead_letters.as_deref()) {
            // Letters not acknowledged: commit nothing; the new owner re-reads (and
            // re-sends) from the last commit.
            for id in partitions {
                if let Some(shared) = live.remove(id) {
                    let mut pipeline = lock_pipeline(&shared);
                    self.retire(&pipeline);
                    pipeline.abandon();
                }
            }
            self.fail(error);
            return;
        }
        for id in partitions {
            if let Some(shared) = live.remove(id) {
                let mut pipeline = lock_pipeline(&shared);
                match pipeline.commit(now) {
                    Ok(_) => tracing::info!(partition = %id, "partition committed and released"),
                    Err(error) => self.fail(error),
                }
                self.retire(&pipeline);
            }
        }
    }

    fn on_lost(&self, partitions: &[PartitionId]) {
        self.in_flight.wait_routed();
        self.drift_changed();
        let mut live = self.lock();
        for id in partitions {
            if let Some(shared) = live.remove(id) {
                let mut pipeline = lock_pipeline(&shared);
                tracing::warn!(partition = %id, "partition lost; uncommitted work dropped, the new owner re-reads it");
                pipeline.abandon();
            }
        }
    }
}

/// Adds a partition's counts to a run summary.
fn tally(summary: &mut KafkaSummary, pipeline: &PartitionPipeline) {
    add_counts(&mut summary.routed, &pipeline.counts);
    summary.conversations += pipeline.conversations;
}

fn add_counts(total: &mut RouteCounts, more: &RouteCounts) {
    total.records += more.records;
    total.events += more.events;
    total.duplicates += more.duplicates;
    total.dead_letters += more.dead_letters;
    total.too_late += more.too_late;
    total.unknown_types += more.unknown_types;
}

/// Runs until SIGINT/SIGTERM (`stop`), or until drained with `until_idle`.
pub fn run(job: KafkaRun, clock: Arc<dyn Clock>, stop: Arc<AtomicBool>) -> anyhow::Result<KafkaSummary> {
    let started = Instant::now();
    let redactor = Redactor::new(&job.redaction).context("redaction settings")?;
    let stage = Arc::new(DecodeStage::new(
        DecodeLimits {
            max_event_bytes: job.limits.max_event_bytes,
        },
        redactor,
    ));
    let dead_letter_producer = match &job.dead_letter_topic {
        Some(topic) => Some(Arc::new(DeadLetterProducer::new(
            &job.kafka.brokers,
            topic,
            &job.kafka.properties,
        )?)),
        None => None,
    };
    let partitions = Arc::new(Partitions {
        job: PartitionJob {
            pipeline: job.pipeline.clone(),
            threads: job.workers,
            lake: job.lake.clone(),
            session: job.session.clone(),
            lake_files: job.lake_files.clone(),
        },
        clock: Arc::clone(&clock),
        live: Mutex::new(BTreeMap::new()),
        retired: Mutex::new(KafkaSummary::default()),
        failure: Mutex::new(None),
        run_counter: AtomicU64::new(0),
        run_base: format!("{}-{}", clock.now().micros(), std::process::id()),
        seen: Mutex::new(Default::default()),
        dead_letters: dead_letter_producer.clone(),
        in_flight: InFlight::default(),
        started,
        first_assignment: Mutex::new(None),
        drift: job.drift.as_ref().map(|settings| {
            KafkaDrift::new(
                job.lake.clone(),
                crate::commands::drift_settings::from_settings(settings),
                job.session.clone(),
                Arc::clone(&clock),
            )
        }),
    });
    let flow = Flow::start(
        Arc::clone(&partitions),
        stage,
        job.workers,
        dead_letter_producer.clone(),
    )?;
    let handler: Arc<dyn PartitionHandler> = partitions.clone();
    let source = if job.until_idle {
        KafkaSource::until_idle(&job.kafka, handler, Arc::clone(&clock))?
    } else {
        KafkaSource::new(&job.kafka, handler, Arc::clone(&clock))?
    };
    let mut commits = 0u64;
    let mut last_commit = Instant::now();
    let mut drained = false;

    let outcome: anyhow::Result<()> = loop {
        if stop.load(Ordering::Relaxed) {
            tracing::info!("stop requested: committing");
            break Ok(());
        }
        let batch = match poll_batch(&source, job.retry_budget) {
            Ok(batch) => batch,
            Err(error) => break Err(error),
        };
        if let Some(error) = partitions.take_failure() {
            break Err(error);
        }
        // Time to ask whether everything is consumed: nothing arrived within POLL_WAIT (so
        // at most once per POLL_WAIT), or every partition just reached its end.
        let idle = batch.is_empty() || source.take_caught_up();
        if !batch.is_empty()
            && let Err(error) = flow.send(batch)
        {
            break Err(error);
        }
        if last_commit.elapsed() >= job.commit_interval || partitions.drift_awaits_reopen() {
            match commit_and_hint(&partitions, &source, RunEnd::Continuing) {
                Ok(n) => commits += n,
                Err(error) => break Err(error),
            }
            last_commit = Instant::now();
        }
        if job.until_idle && idle {
            partitions.in_flight.wait_routed();
            if let Some(error) = partitions.take_failure() {
                break Err(error);
            }
            let assigned = !partitions.lock().is_empty();
            match source.drained() {
                Ok(true) if assigned => {
                    drained = true;
                    break Ok(());
                }
                Ok(_) => {}
                Err(error) if error.class() == convolens_core::ErrorClass::Retry => {
                    if let Err(unreachable) = source.check_reachable(job.retry_budget) {
                        break Err(exit::environment(unreachable.to_string()));
                    }
                }
                Err(error) => break Err(error.into()),
            }
        }
    };
    // Whatever ended the loop, route what was polled and commit it: a clean stop loses
    // nothing and a failed commit leaves the last good one in place. A drained run has
    // routed everything already (its idle check waited for that), so its stages stop after
    // the commit: their threads' teardown (about 20 ms) need not delay the results.
    let (stages, flow) = if drained {
        (Ok(()), Some(flow))
    } else {
        (flow.finish(), None)
    };
    let outcome = outcome.and(stages).and_then(|()| match partitions.take_failure() {
        Some(error) => Err(error),
        None => Ok(()),
    });
    let end = if drained { RunEnd::Drained } else { RunEnd::Continuing };
    let final_commit = commit_and_hint(&partitions, &source, end);
    outcome?;
    commits += final_commit?;
    if let Some(flow) = flow {
        flow.finish()?;
    }
    if let (true, Some(drift)) = (drained, &partitions.drift) {
        drift.finish();
    }
    if let Some(producer) = &dead_letter_producer {
        producer.flush(Duration::from_secs(30))?;
    }
    let mut summary = *partitions.retired.lock().unwrap_or_else(|p| p.into_inner());
    for shared in partitions.lock().values() {
        tally(&mut summary, &lock_pipeline(shared));
    }
    summary.partitions = partitions.seen.lock().unwrap_or_else(|p| p.into_inner()).len();
    summary.commits += commits;
    summary.elapsed = started.elapsed();
    summary.joined_after = *partitions.first_assignment.lock().unwrap_or_else(|p| p.into_inner());
    summary.drift = partitions.drift.as_ref().and_then(KafkaDrift::counts);
    Ok(summary)
}

/// Takes what the consumer has ready, up to `MAX_BATCH` records.
fn poll_batch(source: &KafkaSource, retry_budget: Duration) -> anyhow::Result<Vec<KafkaRecord>> {
    let mut batch = Vec::new();
    while batch.len() < MAX_BATCH {
        let wait = if batch.is_empty() { POLL_WAIT } else { Duration::ZERO };
        match source.poll(wait) {
            Ok(Some(record)) => batch.push(record),
            Ok(None) => break,
            Err(error) if error.class() == convolens_core::ErrorClass::Retry => {
                if let Err(unreachable) = source.check_reachable(retry_budget) {
                    return Err(exit::environment(unreachable.to_string()));
                }
                break;
            }
            Err(error) => return Err(error.into()),
        }
    }
    Ok(batch)
}

fn commit_and_hint(partitions: &Partitions, source: &KafkaSource, end: RunEnd) -> anyhow::Result<u64> {
    let holds_all = partitions.drift.as_ref().filter(|drift| drift.wants_check()).map(|_| {
        source.holds_every_partition().unwrap_or_else(|error| {
            tracing::warn!(%error, "cannot tell whether this member holds every partition");
            false
        })
    });
    let (offsets, commits) = partitions.commit_all(holds_all, end)?;
    source.commit_hint(&offsets);
    Ok(commits)
}

fn flush_dead_letters(producer: Option<&DeadLetterProducer>) -> anyhow::Result<()> {
    if let Some(producer) = producer {
        producer.flush(Duration::from_secs(10))?;
    }
    Ok(())
}
