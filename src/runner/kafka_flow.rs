//! The Kafka runner's stages after the poll: decoder threads, then one router thread that
//! puts batches back in poll order and routes them into the partitions' pipelines (where
//! Parquet is encoded). The poll thread only fetches, commits and handles rebalances, so
//! fetching, decoding and routing overlap as they do on the file path.
//!
//! Rebalances must not see half-routed batches: every rebalance callback, commit-on-stop
//! and idle check first waits until everything polled so far is routed
//! ([`InFlight::wait_routed`]). Routing never waits for the poll thread, so that wait ends.

use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};

use anyhow::anyhow;
use convolens_core::{DeadLetter, SourcePosition};
use convolens_ingest::kafka::{DeadLetterProducer, KafkaRecord, PartitionId};
use crossbeam_channel::{Receiver, Sender, bounded};

use super::kafka::Partitions;
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
    /// The router is gone (it panicked): nothing more will be routed, so nobody waits.
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
    /// failed router, which reports the failure through the partitions).
    pub fn wait_routed(&self) {
        let mut counts = self.counts();
        while counts.routed < counts.polled && !counts.closed {
            counts = self.routed.wait(counts).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// Closes [`InFlight`] when the router ends, however it ends.
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
        let router_partitions = Arc::clone(&partitions);
        threads.push(
            thread::Builder::new()
                .name("kafka-route".into())
                .spawn(move || route_loop(&router_partitions, decoded_rx, workers, dead_letters.as_deref()))?,
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

/// Routes batches in poll order. Batch sequence numbers start at 1.
fn route_loop(
    partitions: &Partitions,
    decoded: Receiver<DecodedBatch>,
    threads: usize,
    dead_letters: Option<&DeadLetterProducer>,
) {
    let _close = CloseOnExit(&partitions.in_flight);
    let mut waiting: BTreeMap<u64, Vec<DecodedRecord>> = BTreeMap::new();
    let mut next = 1;
    for DecodedBatch { seq, items } in decoded {
        waiting.insert(seq, items);
        while let Some(items) = waiting.remove(&next) {
            if let Err(error) = route_batch(partitions, items, threads, dead_letters) {
                partitions.fail(error);
            }
            partitions.in_flight.mark_routed();
            next += 1;
        }
    }
}

/// Routes one decoded batch, each partition's records in offset order. Partitions are
/// independent (their own state, files and offsets), so they are routed on up to `threads`
/// threads at once: routing and Parquet encoding are most of the work.
fn route_batch(
    partitions: &Partitions,
    items: Vec<DecodedRecord>,
    threads: usize,
    dead_letters: Option<&DeadLetterProducer>,
) -> anyhow::Result<()> {
    let mut by_partition: BTreeMap<PartitionId, Vec<(i64, Decoded)>> = BTreeMap::new();
    let mut keys: BTreeMap<(PartitionId, i64), Vec<u8>> = BTreeMap::new();
    for (key, id, offset, item) in items {
        if let (Some(key), Decoded::Invalid(_)) = (key, &item) {
            keys.insert((id.clone(), offset), key);
        }
        by_partition.entry(id).or_default().push((offset, item));
    }
    let now = partitions.now();
    let mut live = partitions.lock();
    // A partition revoked since its records were fetched is not live: its new owner reads them.
    let mut work: Vec<(&mut PartitionPipeline, Vec<(i64, Decoded)>)> = live
        .iter_mut()
        .filter_map(|(id, pipeline)| by_partition.remove(id).map(|records| (pipeline, records)))
        .collect();
    let shares = split_by_records(&mut work, threads.max(1));
    let results: Vec<anyhow::Result<Vec<DeadLetter>>> = thread::scope(|scope| {
        let handles: Vec<_> = shares
            .into_iter()
            .map(|share| {
                scope.spawn(move || {
                    let mut letters = Vec::new();
                    for (pipeline, records) in share {
                        letters.extend(pipeline.route(std::mem::take(records), now)?.dead_letters);
                    }
                    anyhow::Ok(letters)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(anyhow!("a routing thread panicked"))))
            .collect()
    });
    for letters in results {
        let letters = letters?;
        if let Some(producer) = dead_letters {
            for letter in &letters {
                send_dead_letter(producer, letter, &keys);
            }
        }
    }
    Ok(())
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

type Share<'a, 'b> = Vec<&'a mut (&'b mut PartitionPipeline, Vec<(i64, Decoded)>)>;

/// Deals partitions to `threads` shares of about equal record counts (largest first, each
/// to the lightest share so far).
fn split_by_records<'a, 'b>(
    work: &'a mut [(&'b mut PartitionPipeline, Vec<(i64, Decoded)>)],
    threads: usize,
) -> Vec<Share<'a, 'b>> {
    work.sort_by_key(|(_, records)| std::cmp::Reverse(records.len()));
    let mut shares: Vec<(usize, Share<'a, 'b>)> = (0..threads).map(|_| (0, Vec::new())).collect();
    for entry in work.iter_mut() {
        let lightest = shares
            .iter_mut()
            .min_by_key(|(load, _)| *load)
            .expect("at least one share");
        lightest.0 += entry.1.len();
        lightest.1.push(entry);
    }
    shares
        .into_iter()
        .map(|(_, share)| share)
        .filter(|share| !share.is_empty())
        .collect()
}

fn send_dead_letter(producer: &DeadLetterProducer, letter: &DeadLetter, keys: &BTreeMap<(PartitionId, i64), Vec<u8>>) {
    let key = match &letter.position {
        SourcePosition::Kafka {
            topic,
            partition,
            offset,
        } => keys
            .get(&(PartitionId::new(topic.as_ref(), *partition), *offset))
            .map(Vec::as_slice),
        SourcePosition::File { .. } => None,
    };
    if let Err(error) = producer.send(letter, key) {
        tracing::warn!(%error, position = %letter.position, "dead letter not sent to the dead-letter topic (it is in the lake)");
    }
}
