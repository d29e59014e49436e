//! Properties of the statistics over arbitrary inputs, each checked against an independent,
//! naive computation where one exists.

use convolens_drift::stats::{self, KsTest};
use convolens_drift::{
    CategoricalCounts, DriftPolicy, EmpiricalSample, KindStatistics, NumericHistogram, NumericProfile, bins,
    compare_categorical, compare_numeric,
};
use proptest::prelude::*;

/// Values with ties (a coarse grid) so that equal values and merged edges are common.
fn values(max_len: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec((-500_i32..500).prop_map(|i| f64::from(i) / 8.0), 1..max_len)
}

fn maybe_values(max_len: usize) -> impl Strategy<Value = Vec<Option<f64>>> {
    prop::collection::vec(
        prop::option::weighted(0.9, (-500_i32..500).prop_map(|i| f64::from(i) / 8.0)),
        0..max_len,
    )
}

/// Shares of some bins, from counts so they sum to one as real shares do.
fn share_pair() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
    (1_usize..12).prop_flat_map(|bins| {
        let counts = prop::collection::vec(0_u32..50, bins);
        (counts.clone(), counts).prop_filter_map("both sides need a value", |(r, c)| {
            let shares = |counts: &[u32]| {
                let total: u32 = counts.iter().sum();
                (total > 0).then(|| {
                    counts
                        .iter()
                        .map(|n| f64::from(*n) / f64::from(total))
                        .collect::<Vec<f64>>()
                })
            };
            Some((shares(&r)?, shares(&c)?))
        })
    })
}

/// sup |F_R − F_C| by brute force: evaluate both CDFs at every observed value.
fn naive_ks(reference: &[f64], current: &[f64]) -> f64 {
    let cdf = |sample: &[f64], x: f64| sample.iter().filter(|v| **v <= x).count() as f64 / sample.len() as f64;
    reference
        .iter()
        .chain(current)
        .map(|x| (cdf(reference, *x) - cdf(current, *x)).abs())
        .fold(0.0, f64::max)
}

/// For equal sizes the 1-Wasserstein distance is the mean gap between the sorted samples
/// (matching quantiles), a formula that never builds a CDF.
fn naive_wasserstein_equal_sizes(reference: &[f64], current: &[f64]) -> f64 {
    let (mut r, mut c) = (reference.to_vec(), current.to_vec());
    r.sort_by(f64::total_cmp);
    c.sort_by(f64::total_cmp);
    r.iter().zip(&c).map(|(a, b)| (a - b).abs()).sum::<f64>() / r.len() as f64
}

fn numeric(drift: &convolens_drift::FeatureDrift) -> (Option<f64>, Option<f64>) {
    match drift.kind {
        KindStatistics::Numeric { ks, wasserstein, .. } => (ks, wasserstein),
        KindStatistics::Categorical { .. } => (None, None),
    }
}

proptest! {
    #[test]
    fn a_sample_against_itself_shows_no_drift(sample in maybe_values(300)) {
        let drift = compare_numeric("x", &sample, &sample, &DriftPolicy::numeric_default()).expect("policy applies");
        let has_values = sample.iter().any(Option::is_some);
        let expected_zero = has_values.then_some(0.0);
        prop_assert_eq!(drift.psi, expected_zero);
        prop_assert_eq!(drift.js, expected_zero);
        prop_assert_eq!(numeric(&drift), (expected_zero, expected_zero));
        prop_assert_ne!(drift.verdict, convolens_drift::Verdict::Drift);
    }

    #[test]
    fn a_categorical_sample_against_itself_shows_no_drift(
        sample in prop::collection::vec(prop::option::of("[a-d]"), 0..200)
    ) {
        let drift = compare_categorical("c", &sample, &sample, &DriftPolicy::categorical_default()).expect("applies");
        let expected_zero = (!sample.is_empty()).then_some(0.0);
        prop_assert_eq!(drift.psi, expected_zero);
        prop_assert_eq!(drift.js, expected_zero);
    }

    #[test]
    fn js_is_symmetric_and_within_zero_and_one((r, c) in share_pair()) {
        let forward = stats::js_distance_base2(&r, &c).expect("same length");
        let backward = stats::js_distance_base2(&c, &r).expect("same length");
        prop_assert!((0.0..=1.0).contains(&forward), "js = {}", forward);
        prop_assert!((forward - backward).abs() <= 1e-15, "{} vs {}", forward, backward);
    }

    #[test]
    fn psi_is_non_negative((r, c) in share_pair()) {
        // Each term (c − r)·ln(c/r) has the sign of (c − r) twice.
        prop_assert!(stats::psi(&r, &c).expect("same length") >= 0.0);
    }

    #[test]
    fn histogram_merge_equals_the_histogram_of_the_concatenation(
        reference in values(200), left in maybe_values(200), right in maybe_values(200)
    ) {
        let edges = bins::quantile_edges(&reference, 10);
        let histogram_of = |values: &[Option<f64>]| {
            let mut histogram = NumericHistogram::new(edges.clone()).expect("quantile edges are valid");
            values.iter().for_each(|v| histogram.add(*v));
            histogram
        };
        let mut merged = histogram_of(&left);
        merged.merge(&histogram_of(&right)).expect("same edges");
        let all: Vec<Option<f64>> = left.iter().chain(&right).copied().collect();
        prop_assert_eq!(merged, histogram_of(&all));
    }

    #[test]
    fn histogram_counts_match_a_naive_bin_search(reference in values(200), sample in values(200)) {
        let edges = bins::quantile_edges(&reference, 10);
        let mut histogram = NumericHistogram::new(edges.clone()).expect("quantile edges are valid");
        sample.iter().for_each(|v| histogram.add(Some(*v)));
        let mut naive = vec![0_u64; edges.len() + 1];
        for v in &sample {
            // Right-closed: the first edge the value does not exceed; past every edge, the last bin.
            let bin = edges.iter().position(|edge| v <= edge).unwrap_or(edges.len());
            naive[bin] += 1;
        }
        prop_assert_eq!(histogram.counts(), naive.as_slice());
    }

    #[test]
    fn sample_and_profile_merges_equal_building_from_the_concatenation(
        left in maybe_values(200), right in maybe_values(200)
    ) {
        let mut merged = NumericProfile::from_values(&left);
        merged.merge(&NumericProfile::from_values(&right));
        let all: Vec<Option<f64>> = left.iter().chain(&right).copied().collect();
        prop_assert_eq!(merged, NumericProfile::from_values(&all));
    }

    #[test]
    fn categorical_merge_equals_counting_the_concatenation(
        left in prop::collection::vec(prop::option::of("[a-e]{1,2}"), 0..100),
        right in prop::collection::vec(prop::option::of("[a-e]{1,2}"), 0..100),
    ) {
        let mut merged = CategoricalCounts::from_values(&left);
        merged.merge(&CategoricalCounts::from_values(&right));
        let all: Vec<Option<String>> = left.iter().chain(&right).cloned().collect();
        prop_assert_eq!(merged, CategoricalCounts::from_values(&all));
    }

    #[test]
    fn ks_matches_brute_force(reference in values(120), current in values(120)) {
        let KsTest { statistic, p_value } = stats::ks(&reference, &current).expect("both non-empty");
        prop_assert!((statistic - naive_ks(&reference, &current)).abs() <= 1e-15);
        prop_assert!((0.0..=1.0).contains(&p_value));
    }

    #[test]
    fn wasserstein_matches_the_sorted_gap_formula(pairs in prop::collection::vec((-500_i32..500, -500_i32..500), 1..200)) {
        let reference: Vec<f64> = pairs.iter().map(|(a, _)| f64::from(*a) / 8.0).collect();
        let current: Vec<f64> = pairs.iter().map(|(_, b)| f64::from(*b) / 8.0).collect();
        let distance = stats::wasserstein(&reference, &current).expect("both non-empty");
        let naive = naive_wasserstein_equal_sizes(&reference, &current);
        prop_assert!((distance - naive).abs() <= 1e-12 * naive.max(1.0), "{} vs {}", distance, naive);
    }

    #[test]
    fn sample_quantile_edges_equal_those_of_the_values(sample in values(300), bins_count in 1_usize..15) {
        let from_sample = EmpiricalSample::from_values(&sample, 1000).quantile_edges(bins_count);
        prop_assert_eq!(from_sample, bins::quantile_edges(&sample, bins_count));
    }

    #[test]
    fn compaction_keeps_the_count_the_order_and_the_cap(
        sample in prop::collection::vec(-1e6_f64..1e6, 1..3000), cap in 16_usize..200
    ) {
        let compacted = EmpiricalSample::from_values(&sample, cap);
        prop_assert_eq!(compacted.len(), sample.len() as u64);
        prop_assert!(compacted.points().len() <= cap);
        prop_assert!(compacted.points().windows(2).all(|w| w[0].value < w[1].value));
        prop_assert_eq!(compacted.is_exact(), sample.len() <= cap || {
            let mut distinct = sample.clone();
            distinct.sort_by(f64::total_cmp);
            distinct.dedup();
            distinct.len() <= cap
        });
    }

    #[test]
    fn no_input_makes_a_comparison_fail_or_panic(
        reference in prop::collection::vec(prop::option::of(any::<f64>()), 0..150),
        current in prop::collection::vec(prop::option::of(any::<f64>()), 0..150),
    ) {
        let drift = compare_numeric("any", &reference, &current, &DriftPolicy::numeric_default());
        prop_assert!(drift.is_ok());
        prop_assert!(serde_json::to_string(&drift.expect("checked")).is_ok());
    }
}
