//! The METRICS §4 bin rule at and around every edge, and against a slow oracle.

use convolens_evaluators::calibration::{bin_edge, bin_of};
use proptest::prelude::*;

/// The rule read literally: the first k whose upper edge k/B (a division) is ≥ c.
fn oracle(c: f64, bins: usize) -> usize {
    (1..=bins).find(|&k| c <= k as f64 / bins as f64).unwrap_or(bins)
}

#[test]
fn every_edge_and_its_neighbours_for_b_up_to_100() {
    let mut checked = 0;
    for bins in 1..=100_usize {
        for i in 0..=bins {
            let edge = i as f64 / bins as f64;
            assert_eq!(bin_of(edge, bins), i.max(1), "edge {i}/{bins} = {edge:?}");
            if i > 0 {
                assert_eq!(bin_of(edge.next_down(), bins), i, "just below {i}/{bins}");
            }
            if i < bins {
                assert_eq!(bin_of(edge.next_up(), bins), i + 1, "just above {i}/{bins}");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, (1..=100).map(|b| b + 1).sum::<usize>());
}

#[test]
fn bin_edges_are_divisions() {
    assert_eq!(bin_edge(3, 10), 0.3);
    assert_eq!(bin_edge(7, 25), 0.28);
    assert_eq!(bin_edge(10, 10), 1.0);
}

proptest! {
    #[test]
    fn agrees_with_the_literal_rule(c in 0.0..=1.0_f64, bins in 1..=1000_usize) {
        prop_assert_eq!(bin_of(c, bins), oracle(c, bins));
    }

    /// Rationals i/d and their neighbours: where rounding in c·B can mislead.
    #[test]
    fn agrees_on_rational_confidences(i in 0..=997_usize, d in 1..=997_usize, bins in 1..=300_usize, nudge in -1..=1_i32) {
        let c = (i.min(d) as f64) / d as f64;
        let c = match nudge { -1 => c.next_down(), 1 => c.next_up(), _ => c }.clamp(0.0, 1.0);
        prop_assert_eq!(bin_of(c, bins), oracle(c, bins));
    }

    #[test]
    fn is_monotone(a in 0.0..=1.0_f64, b in 0.0..=1.0_f64, bins in 1..=200_usize) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(bin_of(lo, bins) <= bin_of(hi, bins));
    }
}
