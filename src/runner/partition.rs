//! One assigned Kafka partition's pipeline: its own processor, staged lake writer and
//! commit log, so that a partition's offsets, files and state are committed together
//! and can move to another process whole.

use std::path::Path;

use anyhow::Context;
use convolens_core::spec::{LakeFileSettings, SessionSettings};
use convolens_core::{ConversationFacts, DeadLetter, Timestamp};
use convolens_ingest::kafka::PartitionId;
use convolens_sinks::LakeWriter;
use convolens_sinks::commit::CommitLog;
use convolens_transforms::processor::Processor;

use super::stages::{Decoded, RouteCounts, RouteStage, Routed};
use crate::analysis::drift_stream::WindowSet;

pub struct PartitionPipeline {
    pub id: PartitionId,
    route: RouteStage,
    writer: LakeWriter,
    log: CommitLog,
    /// Offset after the last record routed (what the next commit records).
    next_offset: Option<i64>,
    /// Offset recorded by the last commit (where a new owner would resume).
    committed_offset: Option<i64>,
    /// Something was routed since the last commit.
    dirty: bool,
    /// Counts carried over to the run summary when the partition is committed and dropped.
    pub counts: RouteCounts,
    /// Distinct conversations whose first version was written.
    pub conversations: u64,
    /// Routed rows not yet handed to the writer: Parquet encoding per poll batch would
    /// encode a few hundred rows at a time when many partitions share a batch.
    pending: Routed,
    pending_facts: Vec<ConversationFacts>,
    /// The drift values routed since the last commit, while the run streams drift: handed
    /// to the run's stream once committed (ARCHITECTURE.md, "Streaming drift").
    drift_share: Option<WindowSet>,
}

/// Rows gathered before they are handed to the lake writer. Whatever is pending at the
/// end of a run is encoded after the last record is routed, on the run's critical path:
/// at 16 k rows, closing 8 partitions' pending rows took 70–145 ms of a 1.3 s run, at 4 k
/// rows about 40 ms. 2 k also keeps the rows in the caches until they are encoded: the
/// demo's pipeline ran in 0.95 s against 0.97 s at 4 k (7 alternating runs).
const PENDING_ROWS: usize = 2 * 1024;

/// What routing a batch produced that goes beyond the lake (the dead-letter topic).
pub struct RoutedBatch {
    pub dead_letters: Vec<DeadLetter>,
}

impl PartitionPipeline {
    /// Recovers the partition from its commit log (finishing an interrupted commit) and
    /// restores the processor state of the last commit.
    pub fn open(
        lake: &Path,
        pipeline: &str,
        id: PartitionId,
        session: &SessionSettings,
        lake_files: &LakeFileSettings,
        run: &str,
    ) -> anyhow::Result<Self> {
        let mut log = CommitLog::new(lake, pipeline, &id.topic, id.partition)?;
        let committed = log.recover().with_context(|| format!("recovering partition {id}"))?;
        let (processor, committed_offset) = match committed {
            Some(c) => (
                decode_state(&c.state).with_context(|| format!("state of partition {id}"))?,
                Some(c.next_offset),
            ),
            None => (Processor::new(session.clone()), None),
        };
        let prefix = log.staged_file_prefix(run)?;
        let writer = LakeWriter::create_staged(lake, lake_files, &prefix)?;
        tracing::info!(partition = %id, resume_at = ?committed_offset, "partition assigned");
        Ok(PartitionPipeline {
            id,
            route: RouteStage::new(processor),
            writer,
            log,
            next_offset: committed_offset,
            committed_offset,
            dirty: false,
            counts: RouteCounts::default(),
            conversations: 0,
            pending: Routed::default(),
            pending_facts: Vec::new(),
            drift_share: None,
        })
    }

    pub fn resume_offset(&self) -> Option<i64> {
        self.committed_offset
    }

    /// Starts (Some) or stops (None) collecting drift values; anything collected is dropped.
    pub fn collect_drift(&mut self, share: Option<WindowSet>) {
        self.drift_share = share;
    }

    /// The drift values routed since the last call, replaced by `fresh`; call it right
    /// after a commit, so that they are exactly what the commit published.
    pub fn take_drift_share(&mut self, fresh: impl FnOnce() -> WindowSet) -> Option<WindowSet> {
        self.drift_share.as_mut().map(|share| std::mem::replace(share, fresh()))
    }

    /// The newest event time this partition's processor has seen (µs), restored with its
    /// state on restart.
    pub fn newest_event(&self) -> Option<i64> {
        let processor = &self.route.processor;
        let lateness = i64::try_from(processor.settings().allowed_lateness.as_micros()).unwrap_or(i64::MAX);
        processor.watermark().map(|w| w.micros().saturating_add(lateness))
    }

    fn observe_for_drift(&mut self, events_from: usize, facts_from: usize) {
        if let Some(share) = &mut self.drift_share {
            for landed in &self.pending.events[events_from..] {
                share.observe_event(&landed.event);
            }
            for facts in &self.pending_facts[facts_from..] {
                share.observe_facts(facts);
            }
        }
    }

    /// Routes decoded records of this partition (in offset order) into the staged writer.
    pub fn route(&mut self, records: Vec<(i64, Decoded)>, now: Timestamp) -> anyhow::Result<RoutedBatch> {
        let letters_before = self.pending.dead_letters.len();
        let (events_before, facts_before) = (self.pending.events.len(), self.pending_facts.len());
        for (offset, decoded) in records {
            if self.next_offset.is_some_and(|next| offset < next) {
                // Already covered by a commit (a redelivery after a seek); never count twice.
                continue;
            }
            self.route.route(decoded, &mut self.pending);
            self.next_offset = Some(offset + 1);
            self.dirty = true;
        }
        self.pending_facts.extend(self.route.processor.drain_facts());
        self.observe_for_drift(events_before, facts_before);
        self.counts = self.route.counts;
        let dead_letters = self.pending.dead_letters[letters_before..].to_vec();
        if self.pending.events.len() + self.pending_facts.len() + self.pending.dead_letters.len() >= PENDING_ROWS {
            self.write_pending(now)?;
        }
        Ok(RoutedBatch { dead_letters })
    }

    /// End of a finite run: closes every open conversation (METRICS §1).
    pub fn finish(&mut self, now: Timestamp) -> anyhow::Result<()> {
        let facts = self.route.processor.finish();
        if !facts.is_empty() {
            self.dirty = true;
        }
        let (events_before, facts_before) = (self.pending.events.len(), self.pending_facts.len());
        self.pending_facts.extend(facts);
        self.observe_for_drift(events_before, facts_before);
        self.write_pending(now)
    }

    /// Hands the pending rows to the writer and empties the vectors, keeping their
    /// capacity: refilling a fresh vector of a few thousand events regrows it (copying
    /// it) and faults in new pages, a tenth of a lane's time (perf, BENCHMARKS.md).
    fn write_pending(&mut self, now: Timestamp) -> anyhow::Result<()> {
        let Routed { events, dead_letters } = &mut self.pending;
        let facts = &mut self.pending_facts;
        self.conversations += facts.iter().filter(|f| f.version == 1).count() as u64;
        let written = (self.writer.write_events(events, now))
            .and_then(|()| self.writer.write_facts(facts, now))
            .and_then(|()| self.writer.write_dead_letters(dead_letters, now));
        events.clear();
        facts.clear();
        dead_letters.clear();
        Ok(written?)
    }

    /// Commits files, offset and state together. Returns the committed offset, if any.
    pub fn commit(&mut self, now: Timestamp) -> anyhow::Result<Option<i64>> {
        let Some(next_offset) = self.next_offset else {
            return Ok(None);
        };
        if !self.dirty {
            return Ok(self.committed_offset);
        }
        self.write_pending(now)?;
        self.writer.flush()?;
        let staged = self.writer.take_staged();
        let state = encode_state(&self.route.processor)?;
        match self.log.commit(&staged, next_offset, &state, now) {
            Ok(outcome) => {
                tracing::debug!(partition = %self.id, seq = outcome.seq, next_offset, files = outcome.published.len(), "committed");
                self.committed_offset = Some(next_offset);
                self.dirty = false;
                Ok(Some(next_offset))
            }
            Err(error) => {
                // Another process may own the partition now: forget this work; the owner
                // (or our own restart) re-reads it from the last commit.
                if let Err(abort) = self.log.abort(&staged) {
                    tracing::warn!(partition = %self.id, %abort, "could not delete staged files");
                }
                Err(error).with_context(|| format!("committing partition {}", self.id))
            }
        }
    }

    /// Drops uncommitted work (partition lost to another consumer).
    pub fn abandon(&mut self) {
        if self.writer.flush().is_ok() {
            let staged = self.writer.take_staged();
            if let Err(error) = self.log.abort(&staged) {
                tracing::warn!(partition = %self.id, %error, "could not delete staged files of a lost partition");
            }
        }
    }
}

/// Processor state as stored in the commit log: zstd-compressed JSON.
fn encode_state(processor: &Processor) -> anyhow::Result<Vec<u8>> {
    let json = serde_json::to_vec(processor).context("serialising processor state")?;
    zstd::encode_all(&json[..], 3).context("compressing processor state")
}

fn decode_state(bytes: &[u8]) -> anyhow::Result<Processor> {
    let json = zstd::decode_all(bytes).context("decompressing processor state")?;
    serde_json::from_slice(&json).context("reading processor state")
}
