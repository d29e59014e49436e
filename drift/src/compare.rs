//! Reference against current for one feature: every number of METRICS §5 and the verdict, in
//! the shape `convolens drift --format json` prints (INTERFACE.md, "Evaluator and drift output").

use serde::{Deserialize, Serialize};

use crate::categorical::{CategoricalCounts, union_bins, unseen_categories};
use crate::error::DriftError;
use crate::histogram::{NumericHistogram, shares_of};
use crate::policy::{DriftPolicy, FeatureKind, Method, Verdict};
use crate::profile::{NumericProfile, share};
use crate::sample::EmpiricalSample;
use crate::stats;

/// The drift report of one feature.
///
/// `n_ref`/`n_cur` count rows, nulls included, so that `null_share_*` = nulls / n. Statistics
/// are `null` when a side has no values to compute them from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureDrift {
    pub feature: String,
    /// `kind` and the statistics only one kind has.
    #[serde(flatten)]
    pub kind: KindStatistics,
    pub n_ref: u64,
    pub n_cur: u64,
    pub null_share_ref: Option<f64>,
    pub null_share_cur: Option<f64>,
    pub psi: Option<f64>,
    pub js: Option<f64>,
    pub method: Method,
    pub threshold: f64,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum KindStatistics {
    Numeric {
        ks: Option<f64>,
        ks_p: Option<f64>,
        wasserstein: Option<f64>,
        wasserstein_norm: Option<f64>,
    },
    Categorical {
        /// Categories of the current window absent from the reference, sorted (null excluded:
        /// it shows in `null_share_*`).
        unseen: Vec<String>,
    },
}

impl FeatureDrift {
    /// The value of `method`'s statistic, if this feature has it.
    pub fn statistic(&self, method: Method) -> Option<f64> {
        match (method, &self.kind) {
            (Method::Psi, _) => self.psi,
            (Method::Js, _) => self.js,
            (Method::KsP, KindStatistics::Numeric { ks_p, .. }) => *ks_p,
            (Method::WassersteinNorm, KindStatistics::Numeric { wasserstein_norm, .. }) => *wasserstein_norm,
            (Method::KsP | Method::WassersteinNorm, KindStatistics::Categorical { .. }) => None,
        }
    }
}

/// Compares two numeric samples held in memory (exact up to 200 000 distinct values a side).
pub fn compare_numeric(
    feature: &str,
    reference: &[Option<f64>],
    current: &[Option<f64>],
    policy: &DriftPolicy,
) -> Result<FeatureDrift, DriftError> {
    compare_numeric_profiles(
        feature,
        &NumericProfile::from_values(reference),
        &NumericProfile::from_values(current),
        policy,
    )
}

/// Compares two numeric profiles (a pinned reference, a merged stream of windows).
pub fn compare_numeric_profiles(
    feature: &str,
    reference: &NumericProfile,
    current: &NumericProfile,
    policy: &DriftPolicy,
) -> Result<FeatureDrift, DriftError> {
    policy.check(feature, FeatureKind::Numeric)?;
    let edges = reference.sample().quantile_edges(policy.bins);
    let mut reference_bins = reference.sample().histogram(edges)?;
    reference_bins.add_weighted(None, reference.nulls());
    let reference_std = reference.sample().std_pop();
    numeric_drift(
        feature,
        &reference_bins,
        reference.sample(),
        reference_std,
        current,
        policy,
    )
}

/// The numeric comparison once the reference is reduced to what a stored profile keeps: its
/// counts in the frozen bins (nulls included), its sample, and its standard deviation (taken
/// apart because a compacted profile sample only approximates the exact one it was built from).
pub(crate) fn numeric_drift(
    feature: &str,
    reference_bins: &NumericHistogram,
    reference_sample: &EmpiricalSample,
    reference_std: Option<f64>,
    current: &NumericProfile,
    policy: &DriftPolicy,
) -> Result<FeatureDrift, DriftError> {
    policy.check(feature, FeatureKind::Numeric)?;
    let mut current_bins = current.sample().histogram(reference_bins.edges().to_vec())?;
    current_bins.add_weighted(None, current.nulls());
    let (psi, js) = share_distances(shares_of(reference_bins.counts()), shares_of(current_bins.counts()))?;
    let (reference_points, current_points) = (reference_sample.points(), current.sample().points());
    let (ks, wasserstein) = stats::ks_and_wasserstein(reference_points, current_points).unzip();
    let wasserstein_norm = wasserstein
        .zip(reference_std)
        .map(|(w, std)| stats::wasserstein_norm(w, std));
    let reference_non_null = reference_bins.non_null();
    let n_ref = reference_non_null.saturating_add(reference_bins.nulls());
    let mut drift = FeatureDrift {
        feature: feature.to_owned(),
        kind: KindStatistics::Numeric {
            ks: ks.map(|test| test.statistic),
            ks_p: ks.map(|test| test.p_value),
            wasserstein,
            wasserstein_norm,
        },
        n_ref,
        n_cur: current.total(),
        null_share_ref: share(reference_bins.nulls(), n_ref),
        null_share_cur: current.null_share(),
        psi,
        js,
        method: policy.method,
        threshold: policy.threshold,
        verdict: Verdict::InsufficientData,
    };
    let fewest = reference_non_null.min(current.non_null());
    drift.verdict = policy.verdict(fewest, drift.statistic(policy.method));
    Ok(drift)
}

/// Both sides counted in the bins frozen from the reference's quantiles, for PSI/JS and for
/// reports that draw the two histograms.
pub fn frozen_histograms(
    reference: &NumericProfile,
    current: &NumericProfile,
    bins: usize,
) -> Result<(NumericHistogram, NumericHistogram), DriftError> {
    let edges = reference.sample().quantile_edges(bins);
    let mut reference_bins = reference.sample().histogram(edges.clone())?;
    let mut current_bins = current.sample().histogram(edges)?;
    reference_bins.add_weighted(None, reference.nulls());
    current_bins.add_weighted(None, current.nulls());
    Ok((reference_bins, current_bins))
}

/// Compares two categorical samples held in memory.
pub fn compare_categorical<S: AsRef<str>>(
    feature: &str,
    reference: &[Option<S>],
    current: &[Option<S>],
    policy: &DriftPolicy,
) -> Result<FeatureDrift, DriftError> {
    compare_categorical_counts(
        feature,
        &CategoricalCounts::from_values(reference),
        &CategoricalCounts::from_values(current),
        policy,
    )
}

/// Compares two categorical count tables. Bins are the union of both sides' categories plus
/// null when either side has nulls; shares are taken over all rows, nulls included.
pub fn compare_categorical_counts(
    feature: &str,
    reference: &CategoricalCounts,
    current: &CategoricalCounts,
    policy: &DriftPolicy,
) -> Result<FeatureDrift, DriftError> {
    policy.check(feature, FeatureKind::Categorical)?;
    let bins = union_bins(reference, current);
    let reference_counts: Vec<u64> = bins.iter().map(|bin| reference.count_of(*bin)).collect();
    let current_counts: Vec<u64> = bins.iter().map(|bin| current.count_of(*bin)).collect();
    let (psi, js) = share_distances(shares_of(&reference_counts), shares_of(&current_counts))?;
    let (n_ref, n_cur) = (reference.total(), current.total());
    let mut drift = FeatureDrift {
        feature: feature.to_owned(),
        kind: KindStatistics::Categorical {
            unseen: unseen_categories(reference, current),
        },
        n_ref,
        n_cur,
        null_share_ref: share(reference.nulls, n_ref),
        null_share_cur: share(current.nulls, n_cur),
        psi,
        js,
        method: policy.method,
        threshold: policy.threshold,
        verdict: Verdict::InsufficientData,
    };
    drift.verdict = policy.verdict(n_ref.min(n_cur), drift.statistic(policy.method));
    Ok(drift)
}

/// PSI and JS of two share vectors, both `None` unless both sides have values.
fn share_distances(
    reference: Option<Vec<f64>>,
    current: Option<Vec<f64>>,
) -> Result<(Option<f64>, Option<f64>), DriftError> {
    match (reference, current) {
        (Some(r), Some(c)) => Ok((Some(stats::psi(&r, &c)?), Some(stats::js_distance_base2(&r, &c)?))),
        _ => Ok((None, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(range: std::ops::Range<i32>, scale: f64) -> Vec<Option<f64>> {
        range.map(|i| Some(f64::from(i) * scale)).collect()
    }

    #[test]
    fn numeric_report_has_the_interface_fields() {
        let drift = compare_numeric(
            "confidence",
            &values(0..200, 0.005),
            &values(0..150, 0.006),
            &DriftPolicy::numeric_default(),
        )
        .expect("default policy applies");
        let json = serde_json::to_value(&drift).expect("serialisable");
        let mut keys: Vec<&str> = json.as_object().expect("object").keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "feature",
                "js",
                "kind",
                "ks",
                "ks_p",
                "method",
                "n_cur",
                "n_ref",
                "null_share_cur",
                "null_share_ref",
                "psi",
                "threshold",
                "verdict",
                "wasserstein",
                "wasserstein_norm"
            ]
        );
        assert_eq!(json["kind"], "numeric");
        assert_eq!(json["method"], "wasserstein_norm");
    }

    #[test]
    fn categorical_report_has_the_interface_fields() {
        let reference = vec![Some("a"); 100];
        let current: Vec<Option<&str>> = std::iter::repeat_n(Some("b"), 100).chain([None]).collect();
        let drift = compare_categorical("intent", &reference, &current, &DriftPolicy::categorical_default())
            .expect("default policy applies");
        let json = serde_json::to_value(&drift).expect("serialisable");
        let mut keys: Vec<&str> = json.as_object().expect("object").keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "feature",
                "js",
                "kind",
                "method",
                "n_cur",
                "n_ref",
                "null_share_cur",
                "null_share_ref",
                "psi",
                "threshold",
                "unseen",
                "verdict"
            ]
        );
        assert_eq!(json["unseen"], serde_json::json!(["b"]));
        assert_eq!(json["js"], 1.0);
        assert_eq!(drift.verdict, Verdict::Drift);
    }

    #[test]
    fn reports_survive_a_json_round_trip() {
        let numeric = compare_numeric(
            "x",
            &values(0..120, 1.0),
            &[None, Some(1.0)],
            &DriftPolicy::numeric_default(),
        )
        .expect("default policy applies");
        let categorical = compare_categorical::<&str>("y", &[], &[Some("a")], &DriftPolicy::categorical_default())
            .expect("default policy applies");
        for drift in [numeric, categorical] {
            let text = serde_json::to_string(&drift).expect("serialisable");
            let parsed: FeatureDrift = serde_json::from_str(&text).expect("parses back");
            // serde_json may round a float's last bit when parsing, so compare against the same
            // text parsed as plain JSON rather than against the original floats.
            let as_json: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
            assert_eq!(serde_json::to_value(&parsed).expect("serialisable"), as_json, "{text}");
            assert_eq!(
                std::mem::discriminant(&parsed.kind),
                std::mem::discriminant(&drift.kind)
            );
            assert_eq!(
                (parsed.verdict, parsed.method, parsed.n_ref),
                (drift.verdict, drift.method, drift.n_ref)
            );
        }
    }

    #[test]
    fn a_policy_that_does_not_fit_the_kind_is_an_error() {
        let policy = DriftPolicy {
            method: Method::WassersteinNorm,
            ..DriftPolicy::categorical_default()
        };
        let result = compare_categorical("intent", &[Some("a")], &[Some("a")], &policy);
        assert!(matches!(result, Err(DriftError::MethodNotApplicable { .. })));
    }

    #[test]
    fn the_configured_method_decides() {
        // Uniform on [0, 2) against the same shifted by 2% of its range: D ≈ 0.02, so with
        // 20 000 a side λ = D·√10 000 ≈ 2 and p ≈ 7e-4, while wasserstein_norm = 0.04/(2/√12)
        // ≈ 0.07 stays under 0.1.
        let reference = values(0..20_000, 0.0001);
        let current: Vec<Option<f64>> = (0..20_000).map(|i| Some(f64::from(i) * 0.0001 + 0.04)).collect();
        let by_default = compare_numeric("x", &reference, &current, &DriftPolicy::numeric_default()).expect("applies");
        let by_ks = DriftPolicy {
            method: Method::KsP,
            threshold: 0.05,
            ..DriftPolicy::numeric_default()
        };
        let by_ks = compare_numeric("x", &reference, &current, &by_ks).expect("applies");
        assert_eq!(by_default.verdict, Verdict::NoDrift);
        assert_eq!(by_ks.verdict, Verdict::Drift);
        let wasserstein_norm = by_default
            .statistic(Method::WassersteinNorm)
            .expect("both sides have values");
        assert!(
            (wasserstein_norm - 0.04 * 12_f64.sqrt() / 2.0).abs() < 1e-3,
            "{wasserstein_norm}"
        );
    }
}
