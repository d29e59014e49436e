//! The lake writer's thread: typed rows → Arrow record batches → zstd Parquet files,
//! on fixed-seed generated traffic.
//!
//! - `arrow_build/events_32k_rows`: building the `events` record batch alone, to tell the
//!   row-to-column cost apart from Parquet encoding.
//! - `lake_write/events_32k_rows`: one ingest write batch (32 Ki rows, the runner's
//!   `WRITE_BATCH_ROWS`) through a fresh [`LakeWriter`] until its files are committed
//!   (batch build, zstd Parquet encoding, fsync and rename).
//! - `lake_write/facts_8k_rows`: the same for 8 Ki rows of `conversations`, the runner's
//!   facts batch size.
//!
//! Throughput is in rows. Each iteration writes into a new temporary directory, created
//! outside the timed part; the writer's own directory creation is timed.

use std::hint::black_box;
use std::sync::Arc;

use convolens_core::spec::{LakeFileSettings, SessionSettings};
use convolens_core::{ConversationFacts, SourcePosition, Timestamp};
use convolens_generator::{Generator, GeneratorConfig, LineKind};
use convolens_sinks::schema::events_batch;
use convolens_sinks::{LakeWriter, LandedEvent};
use convolens_transforms::decode::{DecodeLimits, decode};
use convolens_transforms::processor::Processor;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

const EVENT_ROWS: usize = 32 * 1024;
const FACT_ROWS: usize = 8 * 1024;
const SEED: u64 = 20_261_102;
/// Processing time written into `received_at` / `emitted_at`: a fixed instant, so the
/// files' contents do not depend on when the bench runs.
const RECEIVED_AT: Timestamp = Timestamp(1_793_664_000_000_000);

fn generator(conversations: u64) -> Generator {
    let config = GeneratorConfig {
        seed: SEED,
        conversations,
        ..GeneratorConfig::default()
    };
    Generator::new(config).expect("the benchmark's generator config is valid")
}

/// The first `EVENT_ROWS` valid first deliveries, as the ingest runner lands them.
fn landed_events() -> Vec<LandedEvent> {
    let path: Arc<str> = Arc::from("bench.ndjson");
    let limits = DecodeLimits::default();
    let rows: Vec<LandedEvent> = generator(10_000)
        .enumerate()
        .filter(|(_, line)| line.kind == LineKind::Event)
        .map(|(index, line)| LandedEvent {
            event: decode(&line.bytes, &limits).expect("a line the generator calls valid decodes"),
            position: SourcePosition::file(&path, index as u64 + 1),
            received_at: RECEIVED_AT,
        })
        .take(EVENT_ROWS)
        .collect();
    assert_eq!(rows.len(), EVENT_ROWS, "the generator ran out of lines");
    rows
}

/// The first `FACT_ROWS` conversation facts of a sessionised generated day.
fn conversation_facts() -> Vec<ConversationFacts> {
    let limits = DecodeLimits::default();
    let mut processor = Processor::new(SessionSettings::default());
    let mut facts = Vec::new();
    for line in generator(FACT_ROWS as u64 + 1_000) {
        if let Ok(event) = decode(&line.bytes, &limits) {
            let _ = processor.push(event);
        }
        facts.append(&mut processor.drain_facts());
    }
    facts.append(&mut processor.finish());
    assert!(
        facts.len() >= FACT_ROWS,
        "only {} facts for {FACT_ROWS} rows",
        facts.len()
    );
    facts.truncate(FACT_ROWS);
    facts
}

fn new_lake() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory for the bench lake")
}

fn bench_events(c: &mut Criterion) {
    let rows = landed_events();
    let settings = LakeFileSettings::default();

    let mut build = c.benchmark_group("arrow_build");
    build.throughput(Throughput::Elements(rows.len() as u64));
    build.bench_function("events_32k_rows", |b| {
        b.iter(|| black_box(events_batch(black_box(&rows)).expect("generated rows fit the schema")))
    });
    build.finish();

    let mut write = c.benchmark_group("lake_write");
    write.throughput(Throughput::Elements(rows.len() as u64));
    write.bench_function("events_32k_rows", |b| {
        b.iter_batched(
            new_lake,
            |lake| {
                let mut writer = LakeWriter::create(lake.path(), &settings, "bench").expect("lake writer");
                writer.write_events(&rows, RECEIVED_AT).expect("events written");
                writer.flush().expect("files committed");
                assert_eq!(writer.stats().events, rows.len() as u64);
                // Returned so that removing the directory is not timed.
                lake
            },
            BatchSize::PerIteration,
        )
    });
    write.finish();
}

fn bench_facts(c: &mut Criterion) {
    let facts = conversation_facts();
    let settings = LakeFileSettings::default();
    let mut group = c.benchmark_group("lake_write");
    group.throughput(Throughput::Elements(facts.len() as u64));
    group.bench_function("facts_8k_rows", |b| {
        b.iter_batched(
            new_lake,
            |lake| {
                let mut writer = LakeWriter::create(lake.path(), &settings, "bench").expect("lake writer");
                writer.write_facts(&facts, RECEIVED_AT).expect("facts written");
                writer.flush().expect("files committed");
                lake
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, bench_events, bench_facts);
criterion_main!(benches);
