//! Throughput of the evaluators on fixed-seed synthetic workloads of the sizes a window of
//! production traffic gives: calibration report over 10 M pairs, Platt and isotonic fits on
//! 1 M, CSAT correlation over 1 M rows, and the standardised OLS over 1 M rows × 8 drivers.
//!
//! ```sh
//! cargo bench -p convolens-evaluators -- --warm-up-time 1 --measurement-time 3 --sample-size 10
//! ```

use std::hint::black_box;

use convolens_evaluators::calibration::{DEFAULT_BINS, Pair, evaluate};
use convolens_evaluators::drivers::{correlate, ols_standardized};
use convolens_evaluators::recalibrate::{Isotonic, Platt};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// xorshift64*: deterministic data without a `rand` dependency; quality is ample here.
struct XorShift(u64);

impl XorShift {
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1) with 53 random bits.
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// An overconfident intent model: confidence c (rounded to 4 decimals, as models report
/// it, so ties occur), right with probability c².
fn pairs(n: usize, seed: u64) -> Vec<Pair> {
    let mut rng = XorShift(seed);
    (0..n)
        .map(|_| {
            let c = ((0.2 + 0.8 * rng.uniform()) * 1e4).round() / 1e4;
            Pair::new(c, rng.uniform() < c * c)
        })
        .collect()
}

/// Conversations: eight METRICS §3 drivers and a CSAT on 1–5 that depends on some of them.
fn conversations(n: usize, seed: u64) -> (Vec<Vec<f64>>, Vec<f64>) {
    let mut rng = XorShift(seed);
    let mut rows = Vec::with_capacity(n);
    let mut csat = Vec::with_capacity(n);
    for _ in 0..n {
        let contained = f64::from(u8::from(rng.uniform() < 0.6));
        let handed_off = f64::from(u8::from(contained == 0.0 && rng.uniform() < 0.9));
        let handle_time = (1.0 - contained) * 600.0 * rng.uniform();
        let bot_time = 300.0 * rng.uniform();
        let queue_wait = handed_off * 180.0 * rng.uniform();
        let confidence = 0.5 + 0.5 * rng.uniform();
        let messages = (1.0 + 10.0 * rng.uniform()).floor();
        let kb_misses = (3.0 * rng.uniform() * rng.uniform()).floor();
        let latent = 3.0 + 0.6 * contained - 0.002 * queue_wait + 1.0 * confidence - 0.3 * kb_misses;
        csat.push((latent + 2.0 * (rng.uniform() - 0.5)).round().clamp(1.0, 5.0));
        rows.push(vec![
            contained,
            handed_off,
            handle_time,
            bot_time,
            queue_wait,
            confidence,
            messages,
            kb_misses,
        ]);
    }
    (rows, csat)
}

fn calibration_report(c: &mut Criterion) {
    let pairs = pairs(10_000_000, 0x5EED_0001);
    let mut group = c.benchmark_group("calibration");
    group.sample_size(10);
    group.throughput(Throughput::Elements(pairs.len() as u64));
    group.bench_function("evaluate_10m_pairs_10_bins", |b| {
        b.iter(|| evaluate(black_box(&pairs), DEFAULT_BINS))
    });
    group.finish();
}

fn recalibration_fit(c: &mut Criterion) {
    let pairs = pairs(1_000_000, 0x5EED_0002);
    let mut group = c.benchmark_group("recalibrate");
    group.sample_size(10);
    group.throughput(Throughput::Elements(pairs.len() as u64));
    group.bench_function("platt_fit_1m_pairs", |b| b.iter(|| Platt::fit(black_box(&pairs))));
    group.bench_function("isotonic_fit_1m_pairs", |b| b.iter(|| Isotonic::fit(black_box(&pairs))));
    group.finish();
}

fn csat_drivers(c: &mut Criterion) {
    let (rows, csat) = conversations(1_000_000, 0x5EED_0003);
    let handle_time: Vec<f64> = rows.iter().map(|r| r[2]).collect();
    let mut group = c.benchmark_group("drivers");
    group.sample_size(10);
    group.throughput(Throughput::Elements(rows.len() as u64));
    group.bench_function("correlate_1m_rows", |b| {
        b.iter(|| correlate(black_box(&handle_time), black_box(&csat)))
    });
    group.bench_function("ols_standardized_1m_rows_8_drivers", |b| {
        b.iter(|| ols_standardized(black_box(&rows), black_box(&csat)))
    });
    group.finish();
}

criterion_group!(benches, calibration_report, recalibration_fit, csat_drivers);
criterion_main!(benches);
