//! Summation in numpy's order.
//!
//! `numpy.sum` over a contiguous float64 array adds pairwise: blocks of at most 128 values are
//! summed in eight interleaved accumulators, larger arrays are split in halves (rounded down to
//! a multiple of eight) and the halves summed recursively. Adding in the same order makes our
//! PSI, Jensen–Shannon and standard deviations agree with the Python reference to the last bit
//! in most cases, and pairwise summation is more accurate than a running total anyway
//! (error grows with log n instead of n).

const BLOCK: usize = 128;
const LANES: usize = 8;

/// Sum of `values` in numpy's pairwise order.
pub fn pairwise_sum(values: &[f64]) -> f64 {
    pairwise_sum_of(values, |v| *v)
}

/// Sum of `term(item)` over `items` in numpy's pairwise order: what [`pairwise_sum`] gives on
/// the vector of terms, without building that vector (a million-point sample's mean would
/// otherwise allocate, and page-fault in, 8 MB).
pub(crate) fn pairwise_sum_of<T>(items: &[T], term: impl Fn(&T) -> f64 + Copy) -> f64 {
    let n = items.len();
    if n < LANES {
        return items.iter().fold(0.0, |acc, item| acc + term(item));
    }
    if n <= BLOCK {
        let mut lanes = [0.0; LANES];
        for (lane, item) in lanes.iter_mut().zip(&items[..LANES]) {
            *lane = term(item);
        }
        let whole = n - n % LANES;
        for chunk in items[LANES..whole].chunks_exact(LANES) {
            for (lane, item) in lanes.iter_mut().zip(chunk) {
                *lane += term(item);
            }
        }
        let mut total =
            ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
        for item in &items[whole..] {
            total += term(item);
        }
        return total;
    }
    let mut half = n / 2;
    half -= half % LANES;
    pairwise_sum_of(&items[..half], term) + pairwise_sum_of(&items[half..], term)
}

/// Sum of counts that stops at u64::MAX instead of overflowing: counts come from merged and
/// deserialised state, which nothing bounds, and a panic is worse than a saturated count.
pub(crate) fn count_total(counts: impl IntoIterator<Item = u64>) -> u64 {
    counts.into_iter().fold(0, u64::saturating_add)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact sum of f64 values through i128 fixed point; only valid for the small dyadic
    /// values used below, which is what makes it an independent check.
    fn exact_sum_of_dyadics(values: &[f64]) -> f64 {
        let scaled: i128 = values.iter().map(|v| (v * 1024.0) as i128).sum();
        scaled as f64 / 1024.0
    }

    #[test]
    fn sums_exactly_representable_values_exactly_at_every_length() {
        for n in [0, 1, 7, 8, 9, 127, 128, 129, 1000, 4097] {
            let values: Vec<f64> = (0..n).map(|i| ((i * 37) % 101) as f64 / 8.0 - 3.0).collect();
            assert_eq!(pairwise_sum(&values), exact_sum_of_dyadics(&values), "n = {n}");
        }
    }

    #[test]
    fn is_more_accurate_than_a_running_total() {
        // 0.1 a million times: the running total drifts by ~1e-6, pairwise stays within ~1e-10.
        let values = vec![0.1; 1_000_000];
        let running: f64 = values.iter().fold(0.0, |acc, v| acc + v);
        let pairwise = pairwise_sum(&values);
        assert!((pairwise - 100_000.0).abs() < 1e-9, "{pairwise}");
        assert!((pairwise - 100_000.0).abs() < (running - 100_000.0).abs());
    }
}
