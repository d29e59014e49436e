//! The ordered, single-threaded stage: de-duplication and sessionisation
//! ([`Processor`]), fed decoded events in arrival order as `ingest` feeds it.
//!
//! - `sessionise/push_50k_events`: the first 50 000 decodable lines of seeded traffic
//!   (duplicates included, so the de-duplicator rejects some), pushed one by one, facts
//!   drained every 4 096 events (the ingest runner's chunk size), then `finish`.
//!
//! Throughput is in events pushed.

use convolens_core::spec::SessionSettings;
use convolens_core::{ConversationFacts, Event};
use convolens_generator::{Generator, GeneratorConfig, LineKind};
use convolens_transforms::decode::{DecodeLimits, decode};
use convolens_transforms::processor::{Processor, Pushed};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

const WORKLOAD_EVENTS: usize = 50_000;
const SEED: u64 = 20_261_102;
/// Lines per chunk in the ingest runner, which drains facts once per chunk.
const DRAIN_EVERY: usize = 4096;

/// The first `WORKLOAD_EVENTS` decodable lines of a seeded day of traffic, in arrival
/// order, with how many of them are redelivered duplicates.
fn arrival_ordered_events() -> (Vec<Event>, usize) {
    let config = GeneratorConfig {
        seed: SEED,
        conversations: 10_000,
        ..GeneratorConfig::default()
    };
    let generator = Generator::new(config).expect("the benchmark's generator config is valid");
    let limits = DecodeLimits::default();
    let mut events = Vec::with_capacity(WORKLOAD_EVENTS);
    let mut duplicates = 0;
    for line in generator {
        if let Ok(event) = decode(&line.bytes, &limits) {
            duplicates += usize::from(line.kind == LineKind::Duplicate);
            events.push(event);
            if events.len() == WORKLOAD_EVENTS {
                break;
            }
        }
    }
    assert_eq!(events.len(), WORKLOAD_EVENTS, "the generator ran out of lines");
    (events, duplicates)
}

/// What came out of the processor, handed on as the ingest runner hands it to the lake
/// writer (so that dropping it is not part of the stage's cost).
struct Output {
    accepted: Vec<Event>,
    duplicates: usize,
    facts: Vec<ConversationFacts>,
}

/// Pushes every event, draining facts as the runner does.
fn sessionise(events: Vec<Event>) -> Output {
    let mut processor = Processor::new(SessionSettings::default());
    let mut out = Output {
        accepted: Vec::with_capacity(events.len()),
        duplicates: 0,
        facts: Vec::new(),
    };
    for (index, event) in events.into_iter().enumerate() {
        match processor.push(event) {
            Pushed::Accepted(event) => out.accepted.push(event),
            Pushed::Duplicate(_) => out.duplicates += 1,
            Pushed::TooLate(_) => {}
        }
        if (index + 1) % DRAIN_EVERY == 0 {
            out.facts.append(&mut processor.drain_facts());
        }
    }
    out.facts.append(&mut processor.finish());
    out
}

fn bench_sessionise(c: &mut Criterion) {
    let (events, generated_duplicates) = arrival_ordered_events();
    // The workload must exercise both paths of the de-duplicator; the generator's own
    // labels are the independent count (its duplicates arrive well within the horizon).
    let out = sessionise(events.clone());
    assert_eq!(out.duplicates, generated_duplicates, "every redelivery is a duplicate");
    assert_eq!(
        out.accepted.len() + out.duplicates,
        events.len(),
        "no event of half a day of traffic is too late"
    );
    assert!(!out.facts.is_empty());

    let mut group = c.benchmark_group("sessionise");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.bench_function("push_50k_events", |b| {
        b.iter_batched(|| events.clone(), sessionise, BatchSize::LargeInput)
    });
    group.finish();
}

criterion_group!(benches, bench_sessionise);
criterion_main!(benches);
