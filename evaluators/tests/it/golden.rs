//! The worked example `shared/examples/small.ndjson`: its calibration per model version and
//! overall, and its CSAT correlations, as `small.expected.json` states them. The pairs
//! (dedup by event_id, latest label by (occurred_at, event_id)) and the CSAT rows are
//! re-derived by `reference/make_reference.py` into `reference/golden_small.json`, which
//! also checks them against the expected numbers in Python.

use convolens_evaluators::calibration::{DEFAULT_BINS, Pair, evaluate};
use convolens_evaluators::drivers::correlate;
use serde::Deserialize;

use crate::reference::{ExpectedCorrelation, assert_correlation};
use crate::support::{assert_close, load};

const TOL: f64 = 1e-12;

#[derive(Deserialize)]
struct Golden {
    calibration: Vec<GoldenCalibration>,
    csat: Vec<GoldenDriver>,
}

#[derive(Deserialize)]
struct GoldenCalibration {
    group: String,
    pairs: Vec<Pair>,
    expected: GoldenReport,
}

/// The worked example's report: the contract fields, without bin edges.
#[derive(Deserialize)]
struct GoldenReport {
    n: usize,
    ece: f64,
    mce: f64,
    ace: f64,
    brier: f64,
    accuracy: f64,
    mean_confidence: f64,
    bins: Vec<GoldenBin>,
}

#[derive(Deserialize)]
struct GoldenBin {
    bin: usize,
    count: usize,
    mean_confidence: f64,
    accuracy: f64,
}

#[derive(Deserialize)]
struct GoldenDriver {
    driver: String,
    x: Vec<f64>,
    y: Vec<f64>,
    expected: Option<ExpectedCorrelation>,
}

#[test]
fn calibration_of_the_worked_example() {
    let golden: Golden = load("golden_small.json");
    let groups: Vec<&str> = golden.calibration.iter().map(|g| g.group.as_str()).collect();
    assert_eq!(groups, ["*/*", "router/v1", "router/v2"]);
    for group in &golden.calibration {
        let got = evaluate(&group.pairs, DEFAULT_BINS).unwrap();
        let want = &group.expected;
        let what = group.group.as_str();
        assert_eq!(got.n, want.n, "{what}: n");
        for (name, g, w) in [
            ("ece", got.ece, want.ece),
            ("mce", got.mce, want.mce),
            ("ace", got.ace, want.ace),
            ("brier", got.brier, want.brier),
            ("accuracy", got.accuracy, want.accuracy),
            ("mean_confidence", got.mean_confidence, want.mean_confidence),
        ] {
            assert_close(g.expect("non-empty group"), w, TOL, &format!("{what}: {name}"));
        }
        let layout: Vec<(usize, usize)> = got.bins.iter().map(|b| (b.bin, b.count)).collect();
        let want_layout: Vec<(usize, usize)> = want.bins.iter().map(|b| (b.bin, b.count)).collect();
        assert_eq!(layout, want_layout, "{what}: (bin, count)");
        for (g, w) in got.bins.iter().zip(&want.bins) {
            assert_close(
                g.mean_confidence,
                w.mean_confidence,
                TOL,
                &format!("{what}: bin {} confidence", w.bin),
            );
            assert_close(g.accuracy, w.accuracy, TOL, &format!("{what}: bin {} accuracy", w.bin));
        }
    }
}

#[test]
fn csat_correlation_of_the_worked_example() {
    let golden: Golden = load("golden_small.json");
    assert_eq!(golden.csat.len(), 8, "one entry per METRICS §3 driver");
    for driver in &golden.csat {
        let got = correlate(&driver.x, &driver.y).unwrap();
        match &driver.expected {
            Some(want) => assert_correlation(&got, want, &driver.driver),
            None => assert!(
                got.r.is_none() && got.p.is_none() && got.rho.is_none(),
                "{}: {got:?}",
                driver.driver
            ),
        }
    }
}
