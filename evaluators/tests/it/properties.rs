//! Invariants of the math, on generated inputs.

use convolens_evaluators::calibration::{Pair, evaluate};
use convolens_evaluators::drivers::{correlate, ols_standardized};
use convolens_evaluators::recalibrate::{Isotonic, Platt, threshold_for_accuracy};
use proptest::prelude::*;

use crate::support::SplitMix;

fn arbitrary_pairs(max: usize) -> impl Strategy<Value = Vec<Pair>> {
    prop::collection::vec(
        (0.0..=1.0_f64, any::<bool>()).prop_map(|(c, y)| Pair::new(c, y)),
        0..max,
    )
}

/// Confidences on a coarse grid so that ties (and exact edges) are common.
fn gridded_pairs(max: usize) -> impl Strategy<Value = Vec<Pair>> {
    prop::collection::vec(
        (0..=20_u32, any::<bool>()).prop_map(|(k, y)| Pair::new(f64::from(k) / 20.0, y)),
        1..max,
    )
}

/// n pairs with c uniform in [lo, hi] and correct ~ Bernoulli(c): calibrated by construction.
fn calibrated_sample(seed: u64, n: usize, lo: f64, hi: f64) -> Vec<Pair> {
    let mut rng = SplitMix(seed);
    (0..n)
        .map(|_| {
            let c = lo + (hi - lo) * rng.uniform();
            Pair::new(c, rng.bernoulli(c))
        })
        .collect()
}

proptest! {
    #[test]
    fn scores_are_in_range(pairs in arbitrary_pairs(300), bins in 1..=50_usize) {
        let report = evaluate(&pairs, bins).unwrap();
        prop_assert_eq!(report.n, pairs.len());
        if let (Some(ece), Some(mce), Some(ace), Some(brier)) = (report.ece, report.mce, report.ace, report.brier) {
            prop_assert!((0.0..=1.0).contains(&ece), "ece {}", ece);
            prop_assert!((0.0..=1.0).contains(&ace), "ace {}", ace);
            prop_assert!((0.0..=1.0).contains(&brier), "brier {}", brier);
            prop_assert!(ece <= mce + 1e-15, "ece {} > mce {}", ece, mce);
        } else {
            prop_assert!(pairs.is_empty());
        }
        // The bins partition the pairs, and their weighted means are the overall means.
        prop_assert_eq!(report.bins.iter().map(|b| b.count).sum::<usize>(), pairs.len());
        if let Some(mean) = report.mean_confidence {
            let pooled: f64 = report.bins.iter().map(|b| b.mean_confidence * b.count as f64).sum::<f64>();
            prop_assert!((pooled / pairs.len() as f64 - mean).abs() < 1e-12);
        }
        for bin in &report.bins {
            prop_assert!(bin.lower <= bin.mean_confidence && bin.mean_confidence <= bin.upper || bin.bin == 1);
        }
    }

    #[test]
    fn one_bin_ece_is_the_overall_gap(pairs in arbitrary_pairs(100)) {
        prop_assume!(!pairs.is_empty());
        let report = evaluate(&pairs, 1).unwrap();
        let gap = (report.accuracy.unwrap() - report.mean_confidence.unwrap()).abs();
        prop_assert!((report.ece.unwrap() - gap).abs() < 1e-12);
        prop_assert!((report.ace.unwrap() - gap).abs() < 1e-12);
    }

    #[test]
    fn isotonic_is_monotone_and_a_probability(pairs in gridded_pairs(80)) {
        let map = Isotonic::fit(&pairs).unwrap();
        let mut previous = f64::NEG_INFINITY;
        for k in 0..=200 {
            let value = map.apply(f64::from(k) / 200.0);
            prop_assert!((0.0..=1.0).contains(&value) && value >= previous, "{} after {}", value, previous);
            previous = value;
        }
    }

    /// Isotonic regression preserves the overall mean (each block is its own mean).
    #[test]
    fn isotonic_preserves_accuracy(pairs in gridded_pairs(80)) {
        let map = Isotonic::fit(&pairs).unwrap();
        let fitted: f64 = pairs.iter().map(|p| map.apply(p.confidence)).sum::<f64>() / pairs.len() as f64;
        let accuracy = pairs.iter().filter(|p| p.correct).count() as f64 / pairs.len() as f64;
        prop_assert!((fitted - accuracy).abs() < 1e-12, "{} vs {}", fitted, accuracy);
    }

    #[test]
    fn threshold_is_the_lowest_qualifying_observed_value(pairs in gridded_pairs(60), target in 0.0..=1.0_f64) {
        let scored: Vec<(f64, bool)> = pairs.iter().map(|p| (p.confidence, p.correct)).collect();
        let qualifies = |t: f64| {
            let above: Vec<bool> = scored.iter().filter(|(c, _)| *c >= t).map(|(_, y)| *y).collect();
            above.iter().filter(|y| **y).count() as f64 / above.len() as f64 >= target
        };
        let lowest = scored.iter().map(|(c, _)| *c).filter(|t| qualifies(*t)).reduce(f64::min);
        prop_assert_eq!(threshold_for_accuracy(&scored, target), lowest);
    }

    #[test]
    fn correlation_is_symmetric_and_bounded(
        rows in prop::collection::vec((-1e3..1e3_f64, -1e3..1e3_f64), 4..60),
        scale in 0.001..1000.0_f64,
        shift in -100.0..100.0_f64,
    ) {
        let (x, y): (Vec<f64>, Vec<f64>) = rows.into_iter().unzip();
        let c = correlate(&x, &y).unwrap();
        let swapped = correlate(&y, &x).unwrap();
        if let (Some(r), Some(p), Some(low), Some(high)) = (c.r, c.p, c.ci_low, c.ci_high) {
            prop_assert!((-1.0..=1.0).contains(&r) && (0.0..=1.0).contains(&p));
            prop_assert!(low <= r + 1e-12 && r <= high + 1e-12);
            prop_assert!((swapped.r.unwrap() - r).abs() < 1e-12);
            prop_assert!((swapped.rho.unwrap() - c.rho.unwrap()).abs() < 1e-12);
            // A positive affine change of x changes neither r nor rho.
            let moved: Vec<f64> = x.iter().map(|v| v * scale + shift).collect();
            let affine = correlate(&moved, &y).unwrap();
            prop_assert!((affine.r.unwrap() - r).abs() < 1e-9);
            prop_assert!((affine.rho.unwrap() - c.rho.unwrap()).abs() < 1e-12);
        }
    }
}

proptest! {
    /// With one driver the standardised OLS beta is Pearson's r and R² is r², whatever the
    /// scale; a constant driver beside it changes nothing and gets a null.
    #[test]
    fn one_driver_ols_is_the_correlation(
        rows in prop::collection::vec((-1e3..1e3_f64, -1e3..1e3_f64), 3..60),
        constant in -1e6..1e6_f64,
    ) {
        let (x, y): (Vec<f64>, Vec<f64>) = rows.into_iter().unzip();
        let with_constant: Vec<Vec<f64>> = x.iter().map(|v| vec![constant, *v]).collect();
        let fit = ols_standardized(&with_constant, &y).unwrap();
        // Pearson r computed here, independently of the crate.
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let (mx, my) = (mean(&x), mean(&y));
        let sxy: f64 = x.iter().zip(&y).map(|(a, b)| (a - mx) * (b - my)).sum();
        let sxx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
        let syy: f64 = y.iter().map(|b| (b - my).powi(2)).sum();
        let constant_side = |v: &[f64]| v.iter().all(|a| *a == v[0]);
        if constant_side(&x) || constant_side(&y) {
            prop_assert!(fit.is_none());
        } else {
            let fit = fit.unwrap();
            let r = sxy / (sxx * syy).sqrt();
            prop_assert_eq!(fit.coefficients[0], None);
            prop_assert!((fit.coefficients[1].unwrap() - r).abs() < 1e-9, "{:?} vs {}", fit, r);
            prop_assert!((fit.r2 - r * r).abs() < 1e-9, "{:?} vs {}", fit, r * r);
            prop_assert_eq!(fit.notes.len(), 1);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// 50 000 calibrated pairs: each of 10 bins has ~5 000, so |gap| is ~0.006 on average.
    #[test]
    fn calibrated_sample_has_small_ece(seed in any::<u64>()) {
        let pairs = calibrated_sample(seed, 50_000, 0.0, 1.0);
        let report = evaluate(&pairs, 10).unwrap();
        prop_assert!(report.ece.unwrap() < 0.02, "ece {:?}", report.ece);
        prop_assert!(report.ace.unwrap() < 0.02, "ace {:?}", report.ace);
    }

    /// Platt on calibrated data is the identity: a = 1, b = 0 (standard errors ~0.01 here).
    #[test]
    fn platt_on_calibrated_data_is_the_identity(seed in any::<u64>()) {
        let pairs = calibrated_sample(seed, 20_000, 0.02, 0.98);
        let fit = Platt::fit(&pairs).unwrap();
        prop_assert!((fit.a - 1.0).abs() < 0.1 && fit.b.abs() < 0.1, "{:?}", fit);
    }
}
