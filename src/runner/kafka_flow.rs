//! The Kafka runner's stages after the poll: decoder threads; one dispatcher thread that
//! puts batches back in poll order and splits each by partition; and routing lanes, each
//! owning a fixed share of the partitions, that route their records into the partitions'
//! pipelines (where Parquet is encoded). The poll thread only fetches, commits and handles
//! rebalances, so fetching, decoding and routing overlap as they do on the file path.
//!
//! Lanes never wait for each other: a lane encoding a partition's Parquet does not hold
//! back the other lane, as a barrier after every batch did (with it, 1.04 s of routing
//! work took 0.71 s on two cores: a batch in which some partitions reached their Parquet
//! flush waited for them). A partition always goes to the same lane, so its records are
//! routed in offset order.
//!
//! Rebalances must not see half-routed batches: every rebalance callback, commit-on-stop
//! and idle check first waits until everything polled so far is routed
//! ([`InFlight::wait_routed`]); a batch counts as routed once every lane has routed its part.
//! Routing never waits for the poll thread, so that wait ends. Periodic commits do not
//! wait: they lock each partition's pipeline, which a lane holds only while it routes one
//! batch's records of that partition, so every commit covers whole batches of a partition.

use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};

use anyhow::anyhow;
use convolens_core::{DeadLetter, SourcePosition};
use convolens_ingest::kafka::{DeadLetterProducer, KafkaRecord, PartitionId};
use crossbeam_channel::{Receiver, Sender, bounded};

use super::kafka::{Partitions, lock_pipeline};
use super::partition::PartitionPipeline;
use super::stages::{DecodeStage, Decoded};

/// Batches polled and batches routed; the poll thread waits on it before anything that
/// needs the partitions' state to reflect every polled record.
#[derive(Default)]
pub struct InFlight {
    counts: Mutex<Counts>,
    routed: Condvar,
}

#[derive(Default)]
struct Counts {
    polled: u64,
    routed: u64,
    /// A routing thread is gone (it panicked, or the stages stopped): nobody waits.
    closed: bool,
}

impl InFlight {
    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn polled(&self) -> u64 {
        let mut counts = self.counts();
        counts.polled += 1;
        counts.polled
    }

    fn mark_routed(&self) {
        self.counts().routed += 1;
        self.routed.notify_all();
    }

    fn close(&self) {
        self.counts().closed = true;
        self.routed.notify_all();
    }

    /// Blocks until every batch handed to [`Flow::send`] has been routed (or dropped by a
    /// failed routing thread, which reports the failure through the partitions).
    pub fn wait_routed(&self) {
        let mut counts = self.counts();
        while counts.routed < counts.polled && !counts.closed {
            counts = self.routed.wait(counts).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// Closes [`InFlight`] when a routing thread ends, however it ends.
struct CloseOnExit<'a>(&'a InFlight);

impl Drop for CloseOnExit<'_> {
    fn drop(&mut self) {
        self.0.close();
    }
}

struct Polled {
    seq: u64,
    records: Vec<KafkaRecord>,
}

type DecodedRecord = (Option<Vec<u8>>, PartitionId, i64, Decoded);

struct DecodedBatch {
    seq: u64,
    items: Vec<DecodedRecord>,
}

/// The running stages; dropped (or [`Flow::finish`]ed) to stop them.
pub struct Flow {
    polled_tx: Option<Sender<Polled>>,
    threads: Vec<JoinHandle<()>>,
    partitions: Arc<Partitions>,
}

/// One batch's records of one partition, for the lane that owns the partition.
struct LaneWork {
    id: PartitionId,
    records: Vec<(i64, Decoded)>,
    keys: KeysByOffset,
    _batch: Arc<BatchRouted>,
}

/// Kafka keys of a partition's invalid records, by offset, for the dead-letter topic.
type KeysByOffset = BTreeMap<i64, Vec<u8>>;

/// Marks its batch routed when the last lane drops its share of it.
struct BatchRouted(Arc<Partitions>);

impl Drop for BatchRouted {
    fn drop(&mut self) {
        self.0.in_flight.mark_routed();
    }
}

impl Flow {
    pub fn start(
        partitions: Arc<Partitions>,
        stage: Arc<DecodeStage>,
        workers: usize,
        dead_letters: Option<Arc<DeadLetterProducer>>,
    ) -> anyhow::Result<Flow> {
        let workers = workers.max(1);
        let (polled_tx, polled_rx) = bounded::<Polled>(workers * 2);
        let (decoded_tx, decoded_rx) = bounded::<DecodedBatch>(workers * 2);
        let mut threads = Vec::new();
        for index in 0..workers {
            let (rx, tx, stage) = (polled_rx.clone(), decoded_tx.clone(), Arc::clone(&stage));
            threads.push(
                thread::Builder::new()
                    .name(format!("kafka-decode-{index}"))
                    .spawn(move || decode_loop(&stage, rx, tx))?,
            );
        }
        drop(decoded_tx);
        let mut lanes = Vec::new();
        for index in 0..workers {
            let (lane_tx, lane_rx) = bounded::<LaneWork>(LANE_QUEUE);
            let (lane_partitions, letters) = (Arc::clone(&partitions), dead_letters.clone());
            threads.push(
                thread::Builder::new()
                    .name(format!("kafka-lane-{index}"))
                    .spawn(move || lane_loop(&lane_partitions, lane_rx, letters.as_deref()))?,
            );
            lanes.push(lane_tx);
        }
        let dispatch_partitions = Arc::clone(&partitions);
        threads.push(
            thread::Builder::new()
                .name("kafka-dispatch".into())
                .spawn(move || dispatch_loop(&dispatch_partitions, decoded_rx, &lanes))?,
        );
        Ok(Flow {
            polled_tx: Some(polled_tx),
            threads,
            partitions,
        })
    }

    /// Hands a polled batch to the decoders (blocking while the stages are full, which is
    /// the back-pressure on polling).
    pub fn send(&self, records: Vec<KafkaRecord>) -> anyhow::Result<()> {
        let seq = self.partitions.in_flight.polled();
        let sender = self
            .polled_tx
            .as_ref()
            .ok_or_else(|| anyhow!("the pipeline stages have stopped"))?;
        sender.send(Polled { seq, records }).map_err(|_| {
            // Count it routed, or waiters would wait for a batch nobody will route.
            self.partitions.in_flight.mark_routed();
            anyhow!("the pipeline stages have stopped")
        })
    }

    /// Stops the stages after what was sent is routed.
    pub fn finish(mut self) -> anyhow::Result<()> {
        self.stop()
    }

    fn stop(&mut self) -> anyhow::Result<()> {
        // Decoders end when the poll side hangs up, the dispatcher when the decoders have,
        // and the lanes when the dispatcher has: joining in any order waits for all of it.
        self.polled_tx = None;
        let mut panicked = false;
        for handle in self.threads.drain(..) {
            panicked |= handle.join().is_err();
        }
        if panicked {
            return Err(anyhow!("a pipeline stage thread panicked"));
        }
        Ok(())
    }
}

impl Drop for Flow {
    fn drop(&mut self) {
        if let Err(error) = self.stop() {
            tracing::error!(%error, "stopping the pipeline stages");
        }
    }
}

/// Work items (one partition's share of a batch) a lane may have queued: enough to keep
/// it busy while the dispatcher waits on the other lane, few enough that polling feels
/// the back-pressure.
const LANE_QUEUE: usize = 8;

fn decode_loop(stage: &DecodeStage, polled: Receiver<Polled>, decoded: Sender<DecodedBatch>) {
    for Polled { seq, records } in polled {
        let items = records
            .into_iter()
            .filter_map(|KafkaRecord { key, record }| {
                let (id, offset) = match &record.position {
                    SourcePosition::Kafka {
                        topic,
                        partition,
                        offset,
                    } => (PartitionId::new(topic.as_ref(), *partition), *offset),
                    SourcePosition::File { .. } => return None,
                };
                Some((key, id, offset, stage.decode(record)))
            })
            .collect();
        if decoded.send(DecodedBatch { seq, items }).is_err() {
            return;
        }
    }
}

/// Puts batches back in poll order (sequence numbers start at 1) and hands each
/// partition's records to the lane that owns the partition.
fn dispatch_loop(partitions: &Arc<Partitions>, decoded: Receiver<DecodedBatch>, lanes: &[Sender<LaneWork>]) {
    let _close = CloseOnExit(&partitions.in_flight);
    let mut waiting: BTreeMap<u64, Vec<DecodedRecord>> = BTreeMap::new();
    let mut next = 1;
    for DecodedBatch { seq, items } in decoded {
        waiting.insert(seq, items);
        while let Some(items) = waiting.remove(&next) {
            dispatch(partitions, items, lanes);
            next += 1;
        }
    }
}

fn dispatch(partitions: &Arc<Partitions>, items: Vec<DecodedRecord>, lanes: &[Sender<LaneWork>]) {
    let mut by_partition: BTreeMap<PartitionId, (Vec<(i64, Decoded)>, KeysByOffset)> = BTreeMap::new();
    for (key, id, offset, item) in items {
        let (records, keys) = by_partition.entry(id).or_default();
        if let (Some(key), Decoded::Invalid(_)) = (key, &item) {
            keys.insert(offset, key);
        }
        records.push((offset, item));
    }
    // Dropped (and the batch marked routed) once the dispatcher and every lane are done
    // with it, even if a lane is gone.
    let batch = Arc::new(BatchRouted(Arc::clone(partitions)));
    for (id, (records, keys)) in by_partition {
        let lane = &lanes[lane_of(&id, lanes.len())];
        let work = LaneWork {
            id,
            records,
            keys,
            _batch: Arc::clone(&batch),
        };
        if lane.send(work).is_err() {
            partitions.fail(anyhow!("a routing lane has stopped"));
        }
    }
}

/// The lane that owns a partition: fixed, so that a partition's batches stay in order.
fn lane_of(id: &PartitionId, lanes: usize) -> usize {
    usize::try_from(id.partition).unwrap_or(0) % lanes.max(1)
}

fn lane_loop(partitions: &Partitions, work: Receiver<LaneWork>, dead_letters: Option<&DeadLetterProducer>) {
    let _close = CloseOnExit(&partitions.in_flight);
    for LaneWork {
        id,
        records,
        keys,
        _batch,
    } in work
    {
        // A partition revoked since its records were fetched is not live: its new owner
        // reads them.
        let Some(shared) = partitions.lock().get(&id).cloned() else {
            continue;
        };
        let mut pipeline = lock_pipeline(&shared);
        match pipeline.route(records, partitions.now()) {
            // Sent while the pipeline is locked: a commit flushes the dead-letter producer
            // first, so it must not cover these offsets before they are sent.
            Ok(routed) => {
                if let Some(producer) = dead_letters {
                    for letter in &routed.dead_letters {
                        send_dead_letter(producer, letter, &keys);
                    }
                }
            }
            Err(error) => partitions.fail(error),
        }
        // Released before the batch can count as routed, so that a rebalance waiting for
        // it finds the pipeline free (and only in the live map).
        drop(pipeline);
        drop(shared);
    }
}

/// Runs `work` on every pipeline, on up to `threads` threads (pipelines are independent;
/// finishing and committing forty of them one by one took seconds). Results come back in
/// the order of `pipelines`.
pub(super) fn each_in_parallel<T: Send>(
    pipelines: Vec<&mut PartitionPipeline>,
    threads: usize,
    work: impl Fn(&mut PartitionPipeline) -> anyhow::Result<T> + Sync,
) -> Vec<anyhow::Result<T>> {
    let threads = threads.max(1);
    let mut shares: Vec<Vec<(usize, &mut PartitionPipeline)>> = (0..threads).map(|_| Vec::new()).collect();
    for (index, pipeline) in pipelines.into_iter().enumerate() {
        shares[index % threads].push((index, pipeline));
    }
    let work = &work;
    let mut results: Vec<(usize, anyhow::Result<T>)> = thread::scope(|scope| {
        let handles: Vec<_> = shares
            .into_iter()
            .map(|share| {
                scope.spawn(move || {
                    share
                        .into_iter()
                        .map(|(index, pipeline)| (index, work(pipeline)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|_| vec![(usize::MAX, Err(anyhow!("a partition thread panicked")))])
            })
            .collect()
    });
    results.sort_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, result)| result).collect()
}

fn send_dead_letter(producer: &DeadLetterProducer, letter: &DeadLetter, keys: &KeysByOffset) {
    let key = match &letter.position {
        SourcePosition::Kafka { offset, .. } => keys.get(offset).map(Vec::as_slice),
        SourcePosition::File { .. } => None,
    };
    if let Err(error) = producer.send(letter, key) {
        tracing::warn!(%error, position = %letter.position, "dead letter not sent to the dead-letter topic (it is in the lake)");
    }
}
