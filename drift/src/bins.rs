//! Numeric bins frozen from the reference (METRICS §5): edges at the reference's quantiles
//! q(k/B), k = 1…B−1, numpy's default linear interpolation, duplicate edges merged. The bins
//! these edges define are right-closed with open outer bins: (−∞, e₁], (e₁, e₂], …, (e_{B−1}, +∞).

/// Bins per numeric feature unless configured otherwise (METRICS §5: B = 10).
pub const DEFAULT_BINS: usize = 10;

/// Bin edges from a reference sample, in any order.
///
/// Non-finite values (NaN, ±∞) are left out, like nulls: they have no place on the scale the
/// quantiles interpolate on. Fewer than two bins, or no finite value, gives no edges (a single
/// bin holding everything).
pub fn quantile_edges(reference: &[f64], bins: usize) -> Vec<f64> {
    let mut sorted: Vec<f64> = reference.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_unstable_by(f64::total_cmp);
    edges_from_sorted(sorted.len() as u64, bins, |i| sorted.get(i as usize).copied())
}

/// Edges from a sorted population of `n` values, read through `value_at(i)` (the i-th smallest,
/// 0-based), so that a weighted sample can answer without expanding its weights.
pub(crate) fn edges_from_sorted(n: u64, bins: usize, value_at: impl Fn(u64) -> Option<f64>) -> Vec<f64> {
    if n == 0 || bins < 2 {
        return Vec::new();
    }
    let mut edges: Vec<f64> = (1..bins)
        .filter_map(|k| linear_quantile(n, k as f64 / bins as f64, &value_at))
        .filter(|edge| edge.is_finite())
        .collect();
    // numpy.unique: sort, then merge exact duplicates (ties in the data make equal quantiles).
    edges.sort_unstable_by(f64::total_cmp);
    edges.dedup();
    edges
}

/// numpy's `quantile(method="linear")` of a sorted population of `n` values at `q` in [0, 1].
///
/// The virtual index is (n−1)·q; the two neighbours are interpolated exactly as numpy's `_lerp`
/// does, which switches to counting back from the upper neighbour when the fraction is at
/// least ½. Copying that arithmetic, not just the formula, is what makes our edges equal
/// numpy's bit for bit, and an edge that is off by one ulp moves values that sit exactly on it
/// into the neighbouring bin.
pub(crate) fn linear_quantile(n: u64, q: f64, value_at: impl Fn(u64) -> Option<f64>) -> Option<f64> {
    if n == 0 || !(0.0..=1.0).contains(&q) {
        return None;
    }
    let last = n - 1;
    let virtual_index = last as f64 * q;
    if virtual_index >= last as f64 {
        return value_at(last);
    }
    let below = virtual_index.floor();
    let fraction = virtual_index - below;
    // `below` is in [0, n−1) here, so the conversion is exact.
    let below_index = below as u64;
    let lower = value_at(below_index)?;
    let upper = value_at(below_index + 1)?;
    let difference = upper - lower;
    if fraction >= 0.5 {
        Some(upper - difference * (1.0 - fraction))
    } else {
        Some(lower + difference * fraction)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quartiles_of_one_to_five_are_the_textbook_values() {
        // (n−1)·q = 1, 2, 3 land on data points: 2, 3, 4.
        assert_eq!(quantile_edges(&[5.0, 1.0, 4.0, 2.0, 3.0], 4), vec![2.0, 3.0, 4.0]);
    }

    #[test]
    fn interpolates_between_neighbours() {
        // n = 2, q = 0.5: halfway between 10 and 20.
        assert_eq!(quantile_edges(&[20.0, 10.0], 2), vec![15.0]);
    }

    #[test]
    fn merges_duplicate_edges_from_ties() {
        let mostly_zero: Vec<f64> = std::iter::repeat_n(0.0, 90).chain([1.0; 10]).collect();
        let edges = quantile_edges(&mostly_zero, 10);
        // q = 0.1 … 0.8 all land on zeros and merge into one edge; q = 0.9 has virtual index
        // 0.9·99 ≈ 89.1, a tenth of the way from the last 0 to the first 1.
        assert_eq!(edges.len(), 2, "{edges:?}");
        assert_eq!(edges[0], 0.0);
        assert!((edges[1] - 0.1).abs() < 1e-12, "{edges:?}");
    }

    #[test]
    fn non_finite_values_are_left_out() {
        let clean = [3.0, 1.0, 2.0, 8.0];
        let dirty = [f64::NAN, 3.0, 1.0, f64::INFINITY, 2.0, f64::NEG_INFINITY, 8.0, f64::NAN];
        assert_eq!(quantile_edges(&dirty, 10), quantile_edges(&clean, 10));
    }

    #[test]
    fn degenerate_inputs_give_no_edges() {
        assert!(quantile_edges(&[], 10).is_empty());
        assert!(quantile_edges(&[f64::NAN], 10).is_empty());
        assert!(quantile_edges(&[1.0, 2.0], 1).is_empty());
        assert!(quantile_edges(&[1.0, 2.0], 0).is_empty());
        assert_eq!(quantile_edges(&[4.5], 10), vec![4.5]);
    }
}
