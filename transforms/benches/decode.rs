//! Per-record stages that run on the worker threads: decoding and validation, and PII
//! redaction, on fixed-seed generated traffic.
//!
//! - `decode/valid_mixed`: first deliveries of valid events only, every event type in the
//!   generator's mix and every `occurred_at` encoding (UTC, offsets, epoch ms).
//! - `decode/dirty_traffic`: the lines exactly as they arrive, duplicates and every kind
//!   of invalid input included, which is what `ingest` sees.
//! - `redact/valid_mixed`: redaction of the decoded valid events (most have no PII and
//!   take the no-regex fast path; the rest carry e-mails, phones or card numbers).
//!
//! Throughput is in records (elements); one iteration handles the whole workload.

use std::hint::black_box;

use convolens_core::Event;
use convolens_core::spec::RedactionSettings;
use convolens_generator::{Generator, GeneratorConfig, LineKind};
use convolens_transforms::decode::{DecodeLimits, decode};
use convolens_transforms::redact::Redactor;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

const WORKLOAD_LINES: usize = 50_000;
const SEED: u64 = 20_261_102;

/// The first `WORKLOAD_LINES` lines of a seeded day of traffic, in arrival order, with
/// what each line is.
fn generated_lines() -> Vec<(LineKind, Vec<u8>)> {
    let config = GeneratorConfig {
        seed: SEED,
        // More conversations than the lines need, so the cut falls mid-day with the
        // generator's usual mix rather than in the quiet tail of late surveys.
        conversations: 10_000,
        ..GeneratorConfig::default()
    };
    let generator = Generator::new(config).expect("the benchmark's generator config is valid");
    let lines: Vec<_> = generator
        .take(WORKLOAD_LINES)
        .map(|line| (line.kind, line.bytes))
        .collect();
    assert_eq!(lines.len(), WORKLOAD_LINES, "the generator ran out of lines");
    lines
}

fn valid_events(lines: &[(LineKind, Vec<u8>)], limits: &DecodeLimits) -> Vec<Event> {
    lines
        .iter()
        .filter(|(kind, _)| *kind == LineKind::Event)
        .map(|(_, bytes)| decode(bytes, limits).expect("a line the generator calls valid decodes"))
        .collect()
}

fn bench_decode(c: &mut Criterion) {
    let lines = generated_lines();
    let limits = DecodeLimits::default();
    let valid: Vec<&[u8]> = lines
        .iter()
        .filter(|(kind, _)| *kind == LineKind::Event)
        .map(|(_, bytes)| bytes.as_slice())
        .collect();
    let all: Vec<&[u8]> = lines.iter().map(|(_, bytes)| bytes.as_slice()).collect();
    // A workload that is not what its name says would make the figures meaningless.
    let invalid = all.iter().filter(|bytes| decode(bytes, &limits).is_err()).count();
    assert!(invalid > 0, "dirty traffic must contain invalid lines");
    assert!(valid.iter().all(|bytes| decode(bytes, &limits).is_ok()));

    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Elements(valid.len() as u64));
    group.bench_function("valid_mixed", |b| {
        b.iter(|| {
            for bytes in &valid {
                let _ = black_box(decode(black_box(bytes), &limits));
            }
        })
    });
    group.throughput(Throughput::Elements(all.len() as u64));
    group.bench_function("dirty_traffic", |b| {
        b.iter(|| {
            for bytes in &all {
                let _ = black_box(decode(black_box(bytes), &limits));
            }
        })
    });
    group.finish();
}

fn bench_redact(c: &mut Criterion) {
    let lines = generated_lines();
    let events = valid_events(&lines, &DecodeLimits::default());
    let redactor = Redactor::new(&RedactionSettings::default()).expect("default redaction settings compile");
    let mut group = c.benchmark_group("redact");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.bench_function("valid_mixed", |b| {
        // Redaction edits the events in place, so every iteration gets fresh copies; the
        // copying is setup and not timed.
        b.iter_batched(
            || events.clone(),
            |mut batch| {
                for event in &mut batch {
                    redactor.redact_event(event);
                }
                batch
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench_decode, bench_redact);
criterion_main!(benches);
