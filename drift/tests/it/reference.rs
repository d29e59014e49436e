//! Every statistic against numpy/scipy on the fixed-seed cases of `make_reference.py`.

use convolens_drift::categorical::{CategoryBin, union_bins};
use convolens_drift::stats::{self, KsTest};
use convolens_drift::{
    CategoricalCounts, DriftPolicy, FeatureDrift, KindStatistics, NumericProfile, bins, compare_categorical,
    compare_numeric, compare_numeric_profiles, frozen_histograms,
};

use crate::fixture::{Mismatches, NumericCase, bits, expected};

fn verdict_name(drift: &FeatureDrift) -> String {
    serde_json::to_value(drift.verdict)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn numeric_statistics(drift: &FeatureDrift) -> (Option<f64>, Option<f64>, Option<f64>, Option<f64>) {
    match drift.kind {
        KindStatistics::Numeric {
            ks,
            ks_p,
            wasserstein,
            wasserstein_norm,
        } => (ks, ks_p, wasserstein, wasserstein_norm),
        KindStatistics::Categorical { .. } => (None, None, None, None),
    }
}

fn non_null(values: &[Option<f64>]) -> Vec<f64> {
    values.iter().flatten().copied().collect()
}

#[test]
fn quantile_edges_equal_numpy_bit_for_bit() {
    let mut mismatches = Mismatches::default();
    for case in &expected().quantile_edges {
        mismatches.equal(
            &case.name,
            bits(&bins::quantile_edges(&case.values, case.bins)),
            case.edges_bits.clone(),
        );
    }
    mismatches.assert_none();
}

#[test]
fn psi_and_js_of_share_vectors_match_scipy() {
    let mut mismatches = Mismatches::default();
    for case in &expected().shares {
        mismatches.close(
            &format!("{} psi", case.name),
            stats::psi(&case.r, &case.c).ok(),
            Some(case.psi),
        );
        mismatches.close(
            &format!("{} js", case.name),
            stats::js_distance_base2(&case.r, &case.c).ok(),
            Some(case.js),
        );
    }
    mismatches.assert_none();
}

#[test]
fn kolmogorov_survival_matches_scipy_kstwobign() {
    let mut mismatches = Mismatches::default();
    for case in &expected().kolmogorov_sf {
        mismatches.close(
            &format!("Q({})", case.lambda),
            Some(stats::kolmogorov_sf(case.lambda)),
            Some(case.sf),
        );
    }
    mismatches.assert_none();
}

fn check_numeric_case(case: &NumericCase, mismatches: &mut Mismatches) {
    let name = &case.name;
    let want = &case.expected;
    let policy = DriftPolicy {
        bins: case.bins,
        ..DriftPolicy::numeric_default()
    };
    let Ok(drift) = compare_numeric(name, &case.reference, &case.current, &policy) else {
        mismatches.check(&format!("{name}: default policy refused"), false);
        return;
    };
    mismatches.equal(&format!("{name} n_ref"), drift.n_ref, want.n_ref);
    mismatches.equal(&format!("{name} n_cur"), drift.n_cur, want.n_cur);
    mismatches.close(
        &format!("{name} null_share_ref"),
        drift.null_share_ref,
        want.null_share_ref,
    );
    mismatches.close(
        &format!("{name} null_share_cur"),
        drift.null_share_cur,
        want.null_share_cur,
    );
    mismatches.close(&format!("{name} psi"), drift.psi, want.psi);
    mismatches.close(&format!("{name} js"), drift.js, want.js);
    let (ks, ks_p, wasserstein, wasserstein_norm) = numeric_statistics(&drift);
    mismatches.close(&format!("{name} ks"), ks, want.ks);
    mismatches.close(&format!("{name} ks_p"), ks_p, want.ks_p);
    mismatches.close(&format!("{name} wasserstein"), wasserstein, want.wasserstein);
    mismatches.close(
        &format!("{name} wasserstein_norm"),
        wasserstein_norm,
        want.wasserstein_norm,
    );
    mismatches.equal(&format!("{name} verdict"), verdict_name(&drift), want.verdict.clone());

    // The bins themselves: edges exactly numpy's, counts exactly numpy's searchsorted/bincount.
    let reference = NumericProfile::from_values(&case.reference);
    let current = NumericProfile::from_values(&case.current);
    match frozen_histograms(&reference, &current, case.bins) {
        Ok((reference_bins, current_bins)) => {
            mismatches.equal(
                &format!("{name} edges"),
                bits(reference_bins.edges()),
                want.edges_bits.clone(),
            );
            if let (Some(counts_ref), Some(counts_cur)) = (&want.counts_ref, &want.counts_cur) {
                mismatches.equal(
                    &format!("{name} counts_ref"),
                    reference_bins.counts(),
                    counts_ref.as_slice(),
                );
                mismatches.equal(
                    &format!("{name} counts_cur"),
                    current_bins.counts(),
                    counts_cur.as_slice(),
                );
            }
        }
        Err(error) => mismatches.check(&format!("{name}: histograms failed: {error}"), false),
    }
    let (r, c) = (non_null(&case.reference), non_null(&case.current));
    mismatches.equal(
        &format!("{name} edges from slice"),
        bits(&bins::quantile_edges(&r, case.bins)),
        want.edges_bits.clone(),
    );

    // The slice forms of the statistics agree with the profile forms and with scipy.
    mismatches.close(&format!("{name} std_pop"), stats::std_pop(&r), want.std_ref);
    mismatches.close(
        &format!("{name} sample std_pop"),
        reference.sample().std_pop(),
        want.std_ref,
    );
    let slice_ks: Option<KsTest> = stats::ks(&r, &c);
    mismatches.close(&format!("{name} slice ks"), slice_ks.map(|t| t.statistic), want.ks);
    mismatches.close(&format!("{name} slice ks_p"), slice_ks.map(|t| t.p_value), want.ks_p);
    mismatches.close(
        &format!("{name} slice wasserstein"),
        stats::wasserstein(&r, &c),
        want.wasserstein,
    );
}

#[test]
fn numeric_features_match_numpy_and_scipy() {
    let mut mismatches = Mismatches::default();
    for case in &expected().numeric_features {
        check_numeric_case(case, &mut mismatches);
    }
    mismatches.assert_none();
}

/// Above the cap the sample is compacted. The bound documented in `sample.rs` is about 4/cap
/// of the mass per run; with cap = 1000 on 20 000 values that is 0.004 in CDF terms, so KS,
/// PSI/JS (through bin counts) and Wasserstein (in units of the spread) must stay within a
/// small multiple of it.
#[test]
fn compacted_samples_stay_close_to_the_exact_statistics() {
    let mut mismatches = Mismatches::default();
    let mut compared = 0;
    for case in expected()
        .numeric_features
        .iter()
        .filter(|case| case.approx_cap.is_some())
    {
        let cap = case.approx_cap.unwrap_or_default();
        let want = &case.expected;
        let reference = NumericProfile::from_values_with_cap(&case.reference, cap);
        let current = NumericProfile::from_values_with_cap(&case.current, cap);
        mismatches.check(
            &format!("{}: sample not compacted", case.name),
            !reference.sample().is_exact(),
        );
        let policy = DriftPolicy {
            bins: case.bins,
            ..DriftPolicy::numeric_default()
        };
        let Ok(drift) = compare_numeric_profiles(&case.name, &reference, &current, &policy) else {
            mismatches.check(&format!("{}: default policy refused", case.name), false);
            continue;
        };
        let bound = 4.0 / cap as f64;
        let (ks, _, wasserstein, wasserstein_norm) = numeric_statistics(&drift);
        let spread = want.std_ref.unwrap_or(1.0);
        mismatches.within(&format!("{} approx ks", case.name), ks, want.ks, 0.0, 2.0 * bound);
        mismatches.within(
            &format!("{} approx wasserstein", case.name),
            wasserstein,
            want.wasserstein,
            0.0,
            2.0 * bound * spread,
        );
        mismatches.within(
            &format!("{} approx wasserstein_norm", case.name),
            wasserstein_norm,
            want.wasserstein_norm,
            0.0,
            2.0 * bound,
        );
        mismatches.within(&format!("{} approx js", case.name), drift.js, want.js, 0.05, 0.0);
        mismatches.within(&format!("{} approx psi", case.name), drift.psi, want.psi, 0.1, 0.0);
        mismatches.equal(
            &format!("{} approx verdict", case.name),
            verdict_name(&drift),
            want.verdict.clone(),
        );
        compared += 1;
    }
    mismatches.check("no case exercises the compacted path", compared > 0);
    mismatches.assert_none();
}

#[test]
fn categorical_features_match_numpy_and_scipy() {
    let mut mismatches = Mismatches::default();
    for case in &expected().categorical_features {
        let name = &case.name;
        let want = &case.expected;
        let Ok(drift) = compare_categorical(
            name,
            &case.reference,
            &case.current,
            &DriftPolicy::categorical_default(),
        ) else {
            mismatches.check(&format!("{name}: default policy refused"), false);
            continue;
        };
        mismatches.equal(&format!("{name} n_ref"), drift.n_ref, want.n_ref);
        mismatches.equal(&format!("{name} n_cur"), drift.n_cur, want.n_cur);
        mismatches.close(
            &format!("{name} null_share_ref"),
            drift.null_share_ref,
            want.null_share_ref,
        );
        mismatches.close(
            &format!("{name} null_share_cur"),
            drift.null_share_cur,
            want.null_share_cur,
        );
        mismatches.close(&format!("{name} psi"), drift.psi, want.psi);
        mismatches.close(&format!("{name} js"), drift.js, want.js);
        let unseen = match &drift.kind {
            KindStatistics::Categorical { unseen } => unseen.clone(),
            KindStatistics::Numeric { .. } => vec!["<numeric!>".to_owned()],
        };
        mismatches.equal(&format!("{name} unseen"), unseen, want.unseen.clone());
        mismatches.equal(&format!("{name} verdict"), verdict_name(&drift), want.verdict.clone());

        let reference = CategoricalCounts::from_values(&case.reference);
        let current = CategoricalCounts::from_values(&case.current);
        let bins = union_bins(&reference, &current);
        let names: Vec<Option<String>> = bins
            .iter()
            .map(|bin| match bin {
                CategoryBin::Named(category) => Some((*category).to_owned()),
                CategoryBin::Null => None,
            })
            .collect();
        mismatches.equal(&format!("{name} bins"), names, want.bins.clone());
        if let (Some(counts_ref), Some(counts_cur)) = (&want.counts_ref, &want.counts_cur) {
            let ours_ref: Vec<u64> = bins.iter().map(|bin| reference.count_of(*bin)).collect();
            let ours_cur: Vec<u64> = bins.iter().map(|bin| current.count_of(*bin)).collect();
            mismatches.equal(&format!("{name} counts_ref"), &ours_ref, counts_ref);
            mismatches.equal(&format!("{name} counts_cur"), &ours_cur, counts_cur);
        }
    }
    mismatches.assert_none();
}
