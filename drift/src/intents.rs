//! What moved in the predicted intents beyond the `intent` feature's JS: intents that surged or
//! appeared, and the out-of-scope rate.
//!
//! - A surge is an intent of the current window with at least `min_count` predictions that was
//!   absent from the reference (`new`) or whose share grew by at least `min_factor` (default
//!   2×, 30 predictions). Shares are of all predictions, nulls included, as in the categorical
//!   drift of METRICS §5.
//! - The out-of-scope rate (predictions with `is_oos = true`) of both windows with a pooled
//!   two-proportion z-test, z = (p_C − p_R)/√(p̂(1 − p̂)(1/n_R + 1/n_C)), two-sided p-value.
//!   It is flagged when the rate at least doubled (`min_ratio`) and p < `alpha` (0.01): the
//!   ratio alone would flag 1 → 2 out of a thousand, the test alone a tiny rise on millions of
//!   predictions. Only a rise is flagged: fewer out-of-scope predictions is not a problem to
//!   alarm on (the intent drift still shows it).

use serde::{Deserialize, Serialize};

use crate::categorical::CategoricalCounts;
use crate::error::DriftError;
use crate::stats::normal_two_sided_p;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SurgeParams {
    /// Smallest cur_share / ref_share that counts as a surge.
    pub min_factor: f64,
    /// Predictions of the intent the current window needs.
    pub min_count: u64,
}

impl Default for SurgeParams {
    fn default() -> Self {
        Self {
            min_factor: 2.0,
            min_count: 30,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntentSurge {
    pub intent: String,
    pub ref_share: f64,
    pub cur_share: f64,
    pub cur_count: u64,
    /// Absent from the reference.
    pub new: bool,
}

/// Surging and new intents, most predictions first (then by name).
pub fn intent_surges(
    reference: &CategoricalCounts,
    current: &CategoricalCounts,
    params: &SurgeParams,
) -> Vec<IntentSurge> {
    let (ref_total, cur_total) = (reference.total(), current.total());
    let share = |count: u64, total: u64| if total == 0 { 0.0 } else { count as f64 / total as f64 };
    let mut surges: Vec<IntentSurge> = current
        .counts
        .iter()
        .filter(|(_, count)| **count >= params.min_count)
        .filter_map(|(intent, count)| {
            let ref_count = reference.counts.get(intent).copied().unwrap_or(0);
            let (ref_share, cur_share) = (share(ref_count, ref_total), share(*count, cur_total));
            let new = ref_count == 0;
            (new || cur_share >= params.min_factor * ref_share).then(|| IntentSurge {
                intent: intent.clone(),
                ref_share,
                cur_share,
                cur_count: *count,
                new,
            })
        })
        .collect();
    surges.sort_by(|a, b| b.cur_count.cmp(&a.cur_count).then_with(|| a.intent.cmp(&b.intent)));
    surges
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OosParams {
    /// Smallest cur_rate / ref_rate flagged.
    pub min_ratio: f64,
    /// Largest p-value flagged.
    pub alpha: f64,
}

impl Default for OosParams {
    fn default() -> Self {
        Self {
            min_ratio: 2.0,
            alpha: 0.01,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OosShift {
    pub ref_oos: u64,
    pub ref_total: u64,
    pub cur_oos: u64,
    pub cur_total: u64,
    /// `None` without predictions on that side.
    pub ref_rate: Option<f64>,
    pub cur_rate: Option<f64>,
    /// `None` when a side is empty or the pooled rate is 0 or 1 (no variance to test against).
    pub z: Option<f64>,
    pub p_value: Option<f64>,
    pub flagged: bool,
}

/// The out-of-scope rate of both windows, from counts of out-of-scope and all predictions.
pub fn oos_shift(
    ref_oos: u64,
    ref_total: u64,
    cur_oos: u64,
    cur_total: u64,
    params: &OosParams,
) -> Result<OosShift, DriftError> {
    if ref_oos > ref_total || cur_oos > cur_total {
        return Err(DriftError::InvalidInput {
            reason: format!("out-of-scope counts exceed their totals ({ref_oos}/{ref_total}, {cur_oos}/{cur_total})"),
        });
    }
    let rate = |oos: u64, total: u64| (total > 0).then(|| oos as f64 / total as f64);
    let (ref_rate, cur_rate) = (rate(ref_oos, ref_total), rate(cur_oos, cur_total));
    let z = ref_rate.zip(cur_rate).and_then(|(r, c)| {
        let (n_r, n_c) = (ref_total as f64, cur_total as f64);
        let pooled = (ref_oos + cur_oos) as f64 / (n_r + n_c);
        let variance = pooled * (1.0 - pooled) * (1.0 / n_r + 1.0 / n_c);
        (variance > 0.0).then(|| (c - r) / variance.sqrt())
    });
    let p_value = z.map(normal_two_sided_p);
    let doubled = ref_rate
        .zip(cur_rate)
        .is_some_and(|(r, c)| c > r && c >= params.min_ratio * r);
    Ok(OosShift {
        ref_oos,
        ref_total,
        cur_oos,
        cur_total,
        ref_rate,
        cur_rate,
        z,
        p_value,
        flagged: doubled && p_value.is_some_and(|p| p < params.alpha),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(pairs: &[(&str, u64)]) -> CategoricalCounts {
        let mut counts = CategoricalCounts::new();
        for (intent, n) in pairs {
            counts.add_weighted(Some(intent), *n);
        }
        counts
    }

    #[test]
    fn new_and_doubled_intents_surge_small_ones_do_not() {
        let reference = counts(&[("billing", 500), ("refund", 100), ("cancel", 400)]);
        // Totals 1000 and 1000: refund 10% → 25% (2.5×), cancel 40% → 20%, crypto new with 40,
        // lost_card new with only 10, billing 50% → 25%.
        let current = counts(&[("billing", 250), ("refund", 250), ("cancel", 200), ("crypto", 40)]);
        let mut current = current;
        current.add_weighted(Some("lost_card"), 10);
        current.add_weighted(None, 250);
        let surges = intent_surges(&reference, &current, &SurgeParams::default());
        let found: Vec<(&str, bool, u64)> = surges.iter().map(|s| (s.intent.as_str(), s.new, s.cur_count)).collect();
        assert_eq!(found, vec![("refund", false, 250), ("crypto", true, 40)]);
        assert_eq!((surges[0].ref_share, surges[0].cur_share), (0.1, 0.25));
        assert_eq!(surges[1].ref_share, 0.0);
    }

    #[test]
    fn exactly_the_factor_counts() {
        let reference = counts(&[("a", 100), ("b", 900)]);
        let current = counts(&[("a", 200), ("b", 800)]);
        let surges = intent_surges(&reference, &current, &SurgeParams::default());
        assert_eq!(surges.len(), 1);
        let stricter = SurgeParams {
            min_factor: 2.01,
            ..SurgeParams::default()
        };
        assert!(intent_surges(&reference, &current, &stricter).is_empty());
    }

    #[test]
    fn oos_needs_both_the_doubling_and_the_test() {
        let params = OosParams::default();
        // 2% → 5% on 2 000 a side: z ≈ 5.2, flagged.
        let big = oos_shift(40, 2000, 100, 2000, &params).expect("valid counts");
        assert!(big.flagged && big.p_value.is_some_and(|p| p < 1e-6), "{big:?}");
        // 1 → 2 of 1 000: doubled but p ≈ 0.56.
        let small = oos_shift(1, 1000, 2, 1000, &params).expect("valid counts");
        assert!(!small.flagged && small.p_value.is_some_and(|p| p > 0.5), "{small:?}");
        // 10% → 15% of 100 000: significant but not doubled.
        let mild = oos_shift(10_000, 100_000, 15_000, 100_000, &params).expect("valid counts");
        assert!(!mild.flagged && mild.p_value.is_some_and(|p| p < 1e-10), "{mild:?}");
        // A fall is never flagged.
        assert!(!oos_shift(100, 2000, 40, 2000, &params).expect("valid counts").flagged);
    }

    #[test]
    fn oos_without_variance_or_rows_has_no_test() {
        let params = OosParams::default();
        let none = oos_shift(0, 500, 0, 500, &params).expect("valid counts");
        assert_eq!((none.z, none.p_value, none.flagged), (None, None, false));
        let empty = oos_shift(0, 0, 5, 10, &params).expect("valid counts");
        assert_eq!((empty.ref_rate, empty.cur_rate, empty.z), (None, Some(0.5), None));
        assert!(oos_shift(5, 4, 0, 1, &params).is_err());
    }
}
