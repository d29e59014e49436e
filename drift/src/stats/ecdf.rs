//! Statistics of the two empirical CDFs: the Kolmogorov–Smirnov distance with its asymptotic
//! p-value, and the 1-Wasserstein distance (METRICS §5).
//!
//! Both walk the merged distinct values of the two sides once, so they work the same on raw
//! slices and on the weighted points of an [`crate::EmpiricalSample`].

use serde::{Deserialize, Serialize};

use crate::sample::{WeightedValue, sorted_runs, weighted_std_pop};
use crate::stats::kolmogorov::kolmogorov_sf;
use crate::sum::{count_total, pairwise_sum};

/// Standard deviation below which `wasserstein_norm` divides by this instead: a constant
/// reference would otherwise make any movement infinitely large.
pub const STD_FLOOR: f64 = 0.001;

/// Two-sample Kolmogorov–Smirnov result.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KsTest {
    /// D = sup |F_R − F_C|.
    pub statistic: f64,
    /// Kolmogorov's asymptotic p-value Q(√n_e·D), n_e = n_R·n_C/(n_R + n_C)
    /// (scipy `kstwobign.sf`, not `ks_2samp(method="asymp")`).
    pub p_value: f64,
}

/// KS of two samples in any order; non-finite values are ignored. `None` if a side is empty.
pub fn ks(reference: &[f64], current: &[f64]) -> Option<KsTest> {
    ks_weighted(
        &sorted_runs(reference.iter().copied()),
        &sorted_runs(current.iter().copied()),
    )
}

/// KS of two weighted samples, each ascending by value.
pub fn ks_weighted(reference: &[WeightedValue], current: &[WeightedValue]) -> Option<KsTest> {
    ks_and_wasserstein(reference, current).map(|(ks, _)| ks)
}

/// 1-Wasserstein distance of the two empirical distributions, ∫|F_R − F_C| dx (as
/// `scipy.stats.wasserstein_distance`). Any order; non-finite values ignored; `None` if a side
/// is empty.
pub fn wasserstein(reference: &[f64], current: &[f64]) -> Option<f64> {
    wasserstein_weighted(
        &sorted_runs(reference.iter().copied()),
        &sorted_runs(current.iter().copied()),
    )
}

/// 1-Wasserstein distance of two weighted samples, each ascending by value.
pub fn wasserstein_weighted(reference: &[WeightedValue], current: &[WeightedValue]) -> Option<f64> {
    ks_and_wasserstein(reference, current).map(|(_, wasserstein)| wasserstein)
}

/// KS and 1-Wasserstein of two weighted samples, each ascending by value, from one walk over
/// the two (a comparison needs both); `None` if a side is empty.
pub(crate) fn ks_and_wasserstein(reference: &[WeightedValue], current: &[WeightedValue]) -> Option<(KsTest, f64)> {
    let (n_ref, n_cur) = (total_weight(reference), total_weight(current));
    if n_ref == 0 || n_cur == 0 {
        return None;
    }
    let mut statistic: f64 = 0.0;
    // Between consecutive distinct values both CDFs are flat, so the Wasserstein integral is a
    // sum of rectangles: |F_R − F_C| at a value times the distance to the next value.
    let mut rectangles = Vec::with_capacity(reference.len() + current.len());
    let mut previous: Option<(f64, f64)> = None;
    walk_merged(reference, current, |value, below_ref, below_cur| {
        // Same divisions as scipy's `searchsorted(...) / n`, so D agrees bit for bit.
        let gap = (below_ref as f64 / n_ref as f64 - below_cur as f64 / n_cur as f64).abs();
        statistic = statistic.max(gap);
        if let Some((previous_value, previous_gap)) = previous {
            rectangles.push(previous_gap * (value - previous_value));
        }
        previous = Some((value, gap));
    });
    let effective_n = n_ref as f64 * n_cur as f64 / (n_ref as f64 + n_cur as f64);
    let ks = KsTest {
        statistic,
        p_value: kolmogorov_sf(statistic * effective_n.sqrt()),
    };
    Some((ks, pairwise_sum(&rectangles)))
}

/// Wasserstein distance in units of the reference's spread: `wasserstein / max(std_R, 0.001)`.
pub fn wasserstein_norm(wasserstein: f64, reference_std: f64) -> f64 {
    wasserstein / reference_std.max(STD_FLOOR)
}

/// Population standard deviation (numpy's `std` with ddof = 0) of the finite values; `None`
/// if there are none.
pub fn std_pop(values: &[f64]) -> Option<f64> {
    let finite: Vec<WeightedValue> = values
        .iter()
        .filter(|v| v.is_finite())
        .map(|v| WeightedValue { value: *v, weight: 1 })
        .collect();
    weighted_std_pop(&finite)
}

fn total_weight(points: &[WeightedValue]) -> u64 {
    count_total(points.iter().map(|point| point.weight))
}

/// Visits every distinct value of the union in ascending order with the weight of each side
/// at or below it (the two CDFs times their totals).
fn walk_merged(reference: &[WeightedValue], current: &[WeightedValue], mut visit: impl FnMut(f64, u64, u64)) {
    let (mut i, mut j) = (0, 0);
    let (mut below_ref, mut below_cur) = (0_u64, 0_u64);
    loop {
        let value = match (reference.get(i), current.get(j)) {
            (Some(r), Some(c)) => r.value.min(c.value),
            (Some(r), None) => r.value,
            (None, Some(c)) => c.value,
            (None, None) => return,
        };
        let consumed = (i, j);
        while let Some(r) = reference.get(i).filter(|r| r.value <= value) {
            below_ref = below_ref.saturating_add(r.weight);
            i += 1;
        }
        while let Some(c) = current.get(j).filter(|c| c.value <= value) {
            below_cur = below_cur.saturating_add(c.weight);
            j += 1;
        }
        if (i, j) == consumed {
            // Only a NaN at both heads compares with nothing; skip it rather than spin.
            (i, j) = (i + 1, j + 1);
            continue;
        }
        visit(value, below_ref, below_cur);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ks_by_hand() {
        // F_R jumps at 1, 2, 3 (thirds); F_C at 2.5, 3.5. Largest gap: at 2, F_R = 2/3, F_C = 0.
        let result = ks(&[3.0, 1.0, 2.0], &[3.5, 2.5]).expect("both sides non-empty");
        assert_eq!(result.statistic, 2.0 / 3.0);
        let lambda = 2.0 / 3.0 * (3.0_f64 * 2.0 / 5.0).sqrt();
        assert_eq!(result.p_value, kolmogorov_sf(lambda));
    }

    #[test]
    fn wasserstein_of_a_shift_is_the_shift() {
        let reference = [1.0, 2.0, 4.0, 8.0];
        let current: Vec<f64> = reference.iter().map(|v| v + 0.5).collect();
        assert_eq!(wasserstein(&reference, &current), Some(0.5));
    }

    #[test]
    fn wasserstein_by_hand_with_unequal_sizes() {
        // R = {0, 1}, C = {0, 0, 3}: F_R − F_C on [0,1) is ½ − ⅔, on [1,3) is 1 − ⅔.
        let expected = (1.0_f64 / 2.0 - 2.0 / 3.0).abs() * 1.0 + (1.0_f64 - 2.0 / 3.0) * 2.0;
        let distance = wasserstein(&[1.0, 0.0], &[0.0, 3.0, 0.0]).expect("both sides non-empty");
        assert!((distance - expected).abs() < 1e-15, "{distance} vs {expected}");
    }

    #[test]
    fn empty_sides_have_no_statistics() {
        assert_eq!(ks(&[], &[1.0]), None);
        assert_eq!(wasserstein(&[1.0], &[f64::NAN]), None);
        assert_eq!(std_pop(&[]), None);
    }

    #[test]
    fn normalisation_floors_the_spread() {
        assert_eq!(wasserstein_norm(0.5, 0.0), 500.0);
        assert_eq!(wasserstein_norm(0.5, 2.0), 0.25);
    }
}
