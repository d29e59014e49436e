//! A full `convolens drift` comparison at production volume: 1 M reference against 1 M current
//! rows of 8 numeric and 5 categorical features (synthetic, seeded), from raw values and
//! through a stored reference profile; and the domain classifiers at their default caps
//! (5 000 rows a side: 4 096 hashed text columns, 384-dimensional embeddings).
//!
//! Run: `cargo bench -p convolens-drift --bench drift`.

use std::hint::black_box;
use std::time::Duration;

use convolens_drift::classifier::ClassifierParams;
use convolens_drift::{
    DriftPolicy, EmbeddingSample, ProfileBuilder, TextDriftParams, TextSample, Window, compare_categorical,
    compare_numeric, embedding_drift, text_drift,
};
use criterion::{Criterion, criterion_group, criterion_main};

const ROWS: usize = 1_000_000;

/// xorshift64*, inline so the data never changes with a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1_u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let (u, v) = (1.0 - self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

type Numeric = Vec<Option<f64>>;
type Categorical = Vec<Option<&'static str>>;

const INTENTS: [&str; 12] = [
    "balance",
    "card_arrival",
    "card_lost",
    "cash_withdrawal",
    "change_pin",
    "exchange_rate",
    "refund",
    "top_up",
    "transfer_failed",
    "transfer_pending",
    "verify_identity",
    "oos",
];

/// One window; `shift` moves every feature a little (the current window drifts).
fn window(seed: u64, shift: f64) -> (Vec<Numeric>, Vec<Categorical>) {
    let mut rng = Rng(seed);
    let mut numeric: Vec<Numeric> = (0..8).map(|_| Vec::with_capacity(ROWS)).collect();
    let mut categorical: Vec<Categorical> = (0..5).map(|_| Vec::with_capacity(ROWS)).collect();
    for _ in 0..ROWS {
        let z = rng.normal();
        let u = rng.uniform();
        // confidence (continuous in [0, 1]), tool latency in whole ms, message length in
        // characters, handle and bot time in seconds with 0.1 s resolution, customer messages,
        // kb miss rate (null without lookups), a plain normal score.
        let values = [
            Some((1.0 - u.powf(2.0 + shift)).clamp(0.0, 1.0)),
            Some((120.0 * (0.6 * z + shift).exp()).round()),
            Some((40.0 + 25.0 * rng.normal().abs() + 10.0 * shift).round()),
            Some((300.0 * (0.8 * rng.normal() + shift).exp() * 10.0).round() / 10.0),
            Some((60.0 * (0.5 * rng.normal()).exp() * 10.0).round() / 10.0),
            Some((rng.uniform() * (6.0 + 2.0 * shift)).floor()),
            (rng.uniform() < 0.4).then(|| (rng.uniform() + 0.1 * shift).min(1.0)),
            Some(rng.normal() + 0.2 * shift),
        ];
        for (column, value) in numeric.iter_mut().zip(values) {
            column.push(value);
        }
        let skew = rng.uniform().powf(1.5 - shift);
        let values = [
            Some(INTENTS[(skew * INTENTS.len() as f64) as usize % INTENTS.len()]),
            Some(["chat", "email", "voice"][(rng.next() % 3) as usize]),
            (rng.uniform() < 0.2 + 0.1 * shift).then_some("agent_request"),
            Some(["resolved", "handed_off", "abandoned", "agent_handled", "contained"][(rng.next() % 5) as usize]),
            Some(if rng.uniform() < 0.5 + 0.3 * shift { "v2" } else { "v1" }),
        ];
        for (column, value) in categorical.iter_mut().zip(values) {
            column.push(value);
        }
    }
    (numeric, categorical)
}

fn messages(rng: &mut Rng, n: usize, vocabulary_shift: usize) -> Vec<String> {
    (0..n)
        .map(|_| {
            let length = 5 + (rng.next() % 15) as usize;
            (0..length)
                .map(|_| format!("w{}", (2_000.0 * rng.uniform().powi(3)) as usize + vocabulary_shift))
                .collect::<Vec<String>>()
                .join(" ")
        })
        .collect()
}

fn vectors(rng: &mut Rng, n: usize, shift: f64) -> Vec<Vec<f32>> {
    (0..n)
        .map(|_| {
            (0..384)
                .map(|j| (0.05 * rng.normal() + if j < 8 { shift } else { 0.0 }) as f32)
                .collect()
        })
        .collect()
}

fn bench_features(c: &mut Criterion) {
    let (reference_numeric, reference_categorical) = window(1, 0.0);
    let (current_numeric, current_categorical) = window(2, 0.1);
    let numeric_policy = DriftPolicy::numeric_default();
    let categorical_policy = DriftPolicy::categorical_default();
    let names = ["f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7"];

    let mut group = c.benchmark_group("features_1M_vs_1M");
    group.sample_size(10).warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(25));
    group.bench_function("raw_8_numeric_5_categorical", |b| {
        b.iter(|| {
            for (reference, current) in reference_numeric.iter().zip(&current_numeric) {
                black_box(compare_numeric("x", reference, current, &numeric_policy).expect("valid policy"));
            }
            for (reference, current) in reference_categorical.iter().zip(&current_categorical) {
                black_box(compare_categorical("y", reference, current, &categorical_policy).expect("valid policy"));
            }
        });
    });
    let build = || {
        let mut builder = ProfileBuilder::new(Window::new("2026-11-01", "2026-11-08"), "bench");
        for (name, values) in names.iter().zip(&reference_numeric) {
            builder.add_numeric(name, values).expect("distinct names");
        }
        for (name, values) in ["c0", "c1", "c2", "c3", "c4"].iter().zip(&reference_categorical) {
            builder.add_categorical(name, values).expect("distinct names");
        }
        builder.build()
    };
    group.bench_function("build_reference_profile", |b| b.iter(|| black_box(build())));
    let profile = build();
    group.bench_function("current_against_profile", |b| {
        b.iter(|| {
            for (name, current) in names.iter().zip(&current_numeric) {
                black_box(
                    profile
                        .compare_numeric(name, current, &numeric_policy)
                        .expect("profiled"),
                );
            }
            for (name, current) in ["c0", "c1", "c2", "c3", "c4"].iter().zip(&current_categorical) {
                black_box(
                    profile
                        .compare_categorical(name, current, &categorical_policy)
                        .expect("profiled"),
                );
            }
        });
    });
    group.finish();
}

fn bench_classifiers(c: &mut Criterion) {
    let mut rng = Rng(3);
    let reference_texts = TextSample::from_texts(&messages(&mut rng, 5_000, 0), 20_000);
    let current_texts = TextSample::from_texts(&messages(&mut rng, 5_000, 3), 20_000);
    let reference_vectors = EmbeddingSample::from_vectors(&vectors(&mut rng, 5_000, 0.0), 5_000).expect("384 dims");
    let current_vectors = EmbeddingSample::from_vectors(&vectors(&mut rng, 5_000, 0.01), 5_000).expect("384 dims");

    let mut group = c.benchmark_group("domain_classifier_5k_vs_5k");
    group.sample_size(10).warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(45));
    group.bench_function("text_4096_columns", |b| {
        b.iter(|| {
            black_box(text_drift(
                &reference_texts,
                &current_texts,
                &TextDriftParams::default(),
            ))
        })
    });
    group.bench_function("embeddings_384_dims", |b| {
        b.iter(|| {
            black_box(embedding_drift(
                &reference_vectors,
                &current_vectors,
                &ClassifierParams::default(),
            ))
        })
    });
    group.finish();
}

criterion_group!(benches, bench_features, bench_classifiers);
criterion_main!(benches);
