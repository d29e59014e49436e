//! `convolens ingest`: NDJSON files through the same transforms and sink as Kafka.
//!
//! Threads: one reader frames lines, `workers` threads decode and redact chunks, the
//! calling thread puts chunks back in input order and de-duplicates and sessionises them
//! (that state is order-dependent, so it is single-threaded), and one writer thread
//! encodes Parquet. With streaming drift on, a drift thread takes the written events and
//! facts from the writer and computes each window's drift as it settles. Channels are
//! bounded, so memory is bounded by a few chunks plus the open conversations (and the
//! open drift windows), whatever the input size.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use convolens_core::spec::{LakeFileSettings, Limits, RedactionSettings, SessionSettings};
use convolens_core::{Clock, ConversationFacts, DeadLetter};
use convolens_ingest::ndjson::{NdjsonReader, ReadItem};
use convolens_sinks::{LakeWriter, LandedEvent};
use convolens_transforms::decode::DecodeLimits;
use convolens_transforms::processor::Processor;
use convolens_transforms::redact::Redactor;
use crossbeam_channel::{Receiver, Sender, bounded};
use indicatif::{ProgressBar, ProgressStyle};

use super::stages::{DecodeStage, Decoded, RouteCounts, RouteStage, Routed};
use crate::analysis::drift_rows::write_rows;
use crate::analysis::drift_stream::{StreamCounts, StreamingDrift};

// Small chunks and batches keep the records that pass between threads in the caches:
// 2 k-line chunks, a batch after every chunk and 16 batches in flight ran the e2e bench
// in 2.00 s against 2.22 s with 4 k-line chunks and 4 batches of 32 k, with 7 % less CPU
// (BENCHMARKS.md). The queue, not the batch, decouples the router from the writer.
const CHUNK_LINES: usize = 2048;
/// Rows from which a batch is handed to the writer, checked after each chunk.
const WRITE_BATCH_ROWS: usize = 1024;
/// Batches queued for the writer (and emptied vectors queued back).
const WRITER_QUEUE: usize = 16;

pub struct FileIngest {
    pub inputs: Vec<String>,
    pub lake: PathBuf,
    pub session: SessionSettings,
    pub limits: Limits,
    pub redaction: RedactionSettings,
    pub lake_files: LakeFileSettings,
    pub workers: usize,
    pub progress: bool,
    /// Streaming drift into `drift_metrics`, if the run computes it.
    pub drift: Option<StreamingDrift>,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct IngestSummary {
    pub lines: u64,
    pub blank_lines: u64,
    pub routed: RouteCounts,
    /// Distinct conversations whose facts were written.
    pub conversations: u64,
    /// Rows written to `conversations` (first versions and re-versions).
    pub fact_versions: u64,
    pub files: u64,
    pub elapsed: Duration,
    pub drift: Option<StreamCounts>,
}

impl IngestSummary {
    pub fn one_line(&self) -> String {
        let blank = if self.blank_lines > 0 {
            format!(" ({} blank skipped)", self.blank_lines)
        } else {
            String::new()
        };
        format!(
            "ingested {} lines{blank}: {} events, {} duplicates, {} dead letters, {} conversations ({} fact rows, {} files) in {:.2}s",
            self.lines,
            self.routed.events,
            self.routed.duplicates,
            self.routed.dead_letters,
            self.conversations,
            self.fact_versions,
            self.files,
            self.elapsed.as_secs_f64()
        )
    }
}

impl IngestSummary {
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

struct Chunk {
    seq: u64,
    items: Vec<ReadItem>,
}

struct DecodedChunk {
    seq: u64,
    items: Vec<Decoded>,
}

enum WriterMessage {
    Events(Vec<LandedEvent>),
    Facts(Vec<ConversationFacts>),
    DeadLetters(Vec<DeadLetter>),
    /// Every event accepted and every facts version emitted so far has been sent: the
    /// drift windows this settles can be computed.
    Settled,
}

/// What the writer hands on after writing: to the drift thread when drift is streamed.
enum DriftMessage {
    Events(Vec<LandedEvent>),
    Facts(Vec<ConversationFacts>),
    Settled,
}

/// Where written event vectors go: back to the router, or through the drift thread first.
enum AfterWrite {
    Recycle(Sender<Vec<LandedEvent>>),
    Drift(Sender<DriftMessage>),
}

struct ReaderTotals {
    lines: u64,
    blank_lines: u64,
}

pub fn ingest(job: FileIngest, clock: Arc<dyn Clock>) -> anyhow::Result<IngestSummary> {
    let started = Instant::now();
    let redactor = Redactor::new(&job.redaction).context("redaction settings")?;
    let stage = Arc::new(DecodeStage::new(
        DecodeLimits {
            max_event_bytes: job.limits.max_event_bytes,
        },
        redactor,
    ));
    let file_prefix = format!("{}-{}", clock.now().micros(), std::process::id());
    let writer = LakeWriter::create(&job.lake, &job.lake_files, &file_prefix)
        .with_context(|| format!("creating lake at {}", job.lake.display()))?;

    let workers = job.workers.max(1);
    let (chunk_tx, chunk_rx) = bounded::<Chunk>(workers * 2);
    let (decoded_tx, decoded_rx) = bounded::<DecodedChunk>(workers * 2);
    let (write_tx, write_rx) = bounded::<WriterMessage>(WRITER_QUEUE);
    // Emptied event vectors go back from the writer to the router, so that the router
    // fills vectors whose pages are already mapped instead of growing a new one for
    // every batch: with batches of 32 k events, that growth and its page faults cost up
    // to a tenth of the ingest's CPU (perf, BENCHMARKS.md).
    let (recycled_tx, recycled_rx) = bounded::<Vec<LandedEvent>>(WRITER_QUEUE);

    let progress = job.progress.then(|| progress_bar(&job.inputs));
    let reader = spawn_reader(
        job.inputs.clone(),
        job.limits.max_event_bytes,
        Arc::clone(&clock),
        chunk_tx,
        progress.clone(),
    );
    let decoders: Vec<_> = (0..workers)
        .map(|i| {
            let rx = chunk_rx.clone();
            let tx = decoded_tx.clone();
            let stage = Arc::clone(&stage);
            thread::Builder::new()
                .name(format!("decode-{i}"))
                .spawn(move || decode_worker(&stage, &rx, &tx))
                .context("spawning decoder")
        })
        .collect::<anyhow::Result<_>>()?;
    drop(chunk_rx);
    drop(decoded_tx);
    let (after_write, drift_thread) = match job.drift {
        Some(drift) => {
            let (drift_tx, drift_rx) = bounded::<DriftMessage>(4);
            let (lake, clock) = (job.lake.clone(), Arc::clone(&clock));
            let thread = thread::Builder::new()
                .name("drift".into())
                .spawn(move || drift_loop(drift, &drift_rx, &recycled_tx, &lake, clock.as_ref()))
                .context("spawning drift")?;
            (AfterWrite::Drift(drift_tx), Some(thread))
        }
        None => (AfterWrite::Recycle(recycled_tx), None),
    };
    let writer_clock = Arc::clone(&clock);
    let writer_thread = thread::Builder::new()
        .name("lake-writer".into())
        .spawn(move || write_loop(writer, &write_rx, after_write, writer_clock.as_ref()))
        .context("spawning writer")?;

    let route_result = route_in_order(
        &decoded_rx,
        RouteStage::new(Processor::new(job.session.clone())),
        &write_tx,
        &recycled_rx,
    );
    drop(write_tx);
    // Unblock decoders (and through them the reader) if routing stopped early.
    drop(decoded_rx);
    // Join everything before reporting, so that no thread outlives the call.
    let reader_result = reader.join().map_err(|_| anyhow!("reader thread panicked"))?;
    for decoder in decoders {
        decoder.join().map_err(|_| anyhow!("decoder thread panicked"))?;
    }
    let writer_stats = writer_thread.join().map_err(|_| anyhow!("writer thread panicked"))??;
    let drift = drift_thread
        .map(|t| t.join().map_err(|_| anyhow!("drift thread panicked")))
        .transpose()?
        .flatten();
    let totals = reader_result?;
    let (routed, conversations) = route_result?;
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    Ok(IngestSummary {
        lines: totals.lines,
        blank_lines: totals.blank_lines,
        routed,
        conversations,
        fact_versions: writer_stats.conversations,
        files: writer_stats.files,
        elapsed: started.elapsed(),
        drift,
    })
}

fn progress_bar(inputs: &[String]) -> ProgressBar {
    let total: u64 = inputs
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::new(total)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} {bytes}/{total_bytes} {bar:30} {bytes_per_sec} eta {eta} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

fn spawn_reader(
    inputs: Vec<String>,
    max_record_bytes: usize,
    clock: Arc<dyn Clock>,
    tx: Sender<Chunk>,
    progress: Option<ProgressBar>,
) -> thread::JoinHandle<anyhow::Result<ReaderTotals>> {
    thread::spawn(move || {
        let mut seq = 0;
        let mut totals = ReaderTotals {
            lines: 0,
            blank_lines: 0,
        };
        let mut done_bytes = 0;
        for input in &inputs {
            let mut reader = NdjsonReader::open(input, max_record_bytes, Arc::clone(&clock))?;
            let counter = reader.progress_counter();
            loop {
                let mut items = Vec::with_capacity(CHUNK_LINES);
                let n = reader.read_batch(CHUNK_LINES, &mut items)?;
                if let Some(bar) = &progress {
                    bar.set_position(done_bytes + counter.load(Ordering::Relaxed));
                }
                if n == 0 {
                    break;
                }
                totals.lines += n as u64;
                if tx.send(Chunk { seq, items }).is_err() {
                    // The ordered stage stopped on an error; it reports it.
                    return Ok(totals);
                }
                seq += 1;
            }
            done_bytes += counter.load(Ordering::Relaxed);
            totals.blank_lines += reader.blank_lines();
        }
        Ok(totals)
    })
}

fn decode_worker(stage: &DecodeStage, rx: &Receiver<Chunk>, tx: &Sender<DecodedChunk>) {
    for chunk in rx {
        let items = chunk
            .items
            .into_iter()
            .map(|item| match item {
                ReadItem::Record(record) => stage.decode(record),
                ReadItem::Oversized(dead) => Decoded::Invalid(dead),
            })
            .collect();
        if tx.send(DecodedChunk { seq: chunk.seq, items }).is_err() {
            return;
        }
    }
}

/// Puts decoded chunks back in input order and routes them; returns the counts and the
/// number of distinct conversations written.
fn route_in_order(
    rx: &Receiver<DecodedChunk>,
    mut stage: RouteStage,
    write_tx: &Sender<WriterMessage>,
    recycled: &Receiver<Vec<LandedEvent>>,
) -> anyhow::Result<(RouteCounts, u64)> {
    let mut pending: BTreeMap<u64, Vec<Decoded>> = BTreeMap::new();
    let mut next_seq = 0;
    // A batch is sent once it reaches WRITE_BATCH_ROWS after a chunk, so it never needs
    // more than this.
    let events_capacity = WRITE_BATCH_ROWS + CHUNK_LINES;
    let mut routed = Routed {
        events: Vec::with_capacity(events_capacity),
        dead_letters: Vec::new(),
    };
    let mut facts: Vec<ConversationFacts> = Vec::new();
    let mut conversations = 0u64;
    let send = |message| write_tx.send(message).map_err(|_| anyhow!("the lake writer stopped"));
    for chunk in rx {
        pending.insert(chunk.seq, chunk.items);
        while let Some(items) = pending.remove(&next_seq) {
            next_seq += 1;
            for item in items {
                stage.route(item, &mut routed);
            }
            facts.extend(stage.processor.drain_facts());
            let facts_due = facts.len() >= WRITE_BATCH_ROWS / 4;
            // With facts, the events go first, so that everything routed so far is sent
            // and the drift windows it settles can be computed.
            if routed.events.len() >= WRITE_BATCH_ROWS || facts_due {
                let empty = recycled
                    .try_recv()
                    .unwrap_or_else(|_| Vec::with_capacity(events_capacity));
                send(WriterMessage::Events(std::mem::replace(&mut routed.events, empty)))?;
            }
            if facts_due {
                conversations += facts.iter().filter(|f| f.version == 1).count() as u64;
                send(WriterMessage::Facts(std::mem::take(&mut facts)))?;
                send(WriterMessage::Settled)?;
            }
            if routed.dead_letters.len() >= 1024 {
                send(WriterMessage::DeadLetters(std::mem::take(&mut routed.dead_letters)))?;
            }
        }
    }
    facts.extend(stage.processor.finish());
    conversations += facts.iter().filter(|f| f.version == 1).count() as u64;
    send(WriterMessage::Events(routed.events))?;
    send(WriterMessage::Facts(facts))?;
    send(WriterMessage::DeadLetters(routed.dead_letters))?;
    Ok((stage.counts, conversations))
}

fn write_loop(
    mut writer: LakeWriter,
    rx: &Receiver<WriterMessage>,
    after_write: AfterWrite,
    clock: &dyn Clock,
) -> anyhow::Result<convolens_sinks::lake::LakeWriterStats> {
    let hand_on = |message| match &after_write {
        AfterWrite::Drift(drift) => drift.send(message).map_err(|_| anyhow!("the drift thread stopped")),
        AfterWrite::Recycle(recycle) => {
            if let DriftMessage::Events(mut rows) = message {
                rows.clear();
                // The router may have enough spare vectors already; then this one goes.
                let _ = recycle.try_send(rows);
            }
            Ok(())
        }
    };
    for message in rx {
        let now = clock.now();
        match message {
            WriterMessage::Events(rows) => {
                writer.write_events(&rows, now)?;
                hand_on(DriftMessage::Events(rows))?;
            }
            WriterMessage::Facts(rows) => {
                writer.write_facts(&rows, now)?;
                hand_on(DriftMessage::Facts(rows))?;
            }
            WriterMessage::DeadLetters(rows) => writer.write_dead_letters(&rows, now)?,
            WriterMessage::Settled => hand_on(DriftMessage::Settled)?,
        }
    }
    writer.flush()?;
    Ok(writer.stats())
}

/// Feeds the streaming drift and writes its rows once the input ends (a finite input's
/// drift is a few rows per window; the events and facts are in the lake already).
///
/// A failure stops the drift, not the ingest: it is logged, the thread keeps handing
/// vectors back, and `drift update` can fill `drift_metrics` later.
fn drift_loop(
    drift: StreamingDrift,
    rx: &Receiver<DriftMessage>,
    recycle: &Sender<Vec<LandedEvent>>,
    lake: &std::path::Path,
    clock: &dyn Clock,
) -> Option<StreamCounts> {
    let mut drift = Some(drift);
    let mut rows = Vec::new();
    let stop = |error: anyhow::Error| {
        tracing::error!(
            error = format!("{error:#}"),
            "streaming drift stopped; `convolens drift update` can fill drift_metrics"
        );
    };
    for message in rx {
        match message {
            DriftMessage::Events(mut events) => {
                if let Some(drift) = &mut drift {
                    for landed in &events {
                        drift.observe_event(&landed.event);
                    }
                }
                events.clear();
                let _ = recycle.try_send(events);
            }
            DriftMessage::Facts(facts) => {
                if let Some(drift) = &mut drift {
                    facts.iter().for_each(|f| drift.observe_facts(f));
                }
            }
            DriftMessage::Settled => {
                if let Some(stream) = &mut drift {
                    match stream.settled_rows(clock.now().micros()) {
                        Ok(settled) => rows.extend(settled),
                        Err(error) => {
                            stop(error);
                            drift = None;
                        }
                    }
                }
            }
        }
    }
    let mut drift = drift?;
    match drift.finish_rows(clock.now().micros()) {
        Ok(last) => rows.extend(last),
        Err(error) => {
            stop(error);
            return None;
        }
    }
    // Revisions replace a window's earlier rows; written once, only the last is kept.
    let mut latest = std::collections::BTreeMap::new();
    for row in rows {
        latest.insert((row.window_start, row.feature.clone()), row);
    }
    let rows: Vec<_> = latest.into_values().collect();
    let now = clock.now();
    if let Err(error) = write_rows(
        lake,
        &rows,
        now,
        format!("drift-{}-{}", now.micros(), std::process::id()),
    ) {
        stop(error);
        return None;
    }
    Some(drift.counts())
}
