//! Distances between two binned distributions given as shares per bin (METRICS §5).

use crate::error::DriftError;
use crate::sum::pairwise_sum;

/// Share that stands in for an empty bin in PSI, whose logarithm would otherwise diverge.
pub const PSI_ZERO_SHARE: f64 = 0.0001;

/// Population stability index Σ (c − r)·ln(c / r) over the bins, with a zero share replaced by
/// [`PSI_ZERO_SHARE`] and no renormalisation afterwards (METRICS §5).
pub fn psi(reference_shares: &[f64], current_shares: &[f64]) -> Result<f64, DriftError> {
    check_lengths(reference_shares, current_shares)?;
    let floor = |share: f64| if share == 0.0 { PSI_ZERO_SHARE } else { share };
    let terms: Vec<f64> = reference_shares
        .iter()
        .zip(current_shares)
        .map(|(r, c)| {
            let (r, c) = (floor(*r), floor(*c));
            (c - r) * (c / r).ln()
        })
        .collect();
    Ok(pairwise_sum(&terms))
}

/// Jensen–Shannon distance in base 2, in [0, 1]: √(½·KL(r‖m) + ½·KL(c‖m)), m = (r + c)/2, over
/// the same bins with no zero replacement (0·ln 0 = 0).
///
/// Follows `scipy.spatial.distance.jensenshannon(r, c, base=2)` step by step (both inputs are
/// first divided by their sums, then each KL is summed on its own) so the two agree to the last
/// digits; the result is clamped into [0, 1] because rounding can push a zero distance a hair
/// below zero and the square root would turn that into NaN. A side whose shares do not sum to
/// a positive number has no distribution; the distance is then NaN, as in scipy.
pub fn js_distance_base2(reference_shares: &[f64], current_shares: &[f64]) -> Result<f64, DriftError> {
    check_lengths(reference_shares, current_shares)?;
    let (Some(r), Some(c)) = (normalised(reference_shares), normalised(current_shares)) else {
        return Ok(f64::NAN);
    };
    let m: Vec<f64> = r.iter().zip(&c).map(|(r, c)| (r + c) / 2.0).collect();
    let left: Vec<f64> = r.iter().zip(&m).map(|(p, m)| relative_entropy_term(*p, *m)).collect();
    let right: Vec<f64> = c.iter().zip(&m).map(|(q, m)| relative_entropy_term(*q, *m)).collect();
    let nats = pairwise_sum(&left) + pairwise_sum(&right);
    let bits = nats / 2.0_f64.ln();
    Ok((bits / 2.0).max(0.0).sqrt().min(1.0))
}

/// scipy.special.rel_entr(x, y) = x·ln(x/y), with 0 for x = 0 and +∞ for x > 0 = y (which
/// cannot happen against the mixture m, positive wherever x is).
///
/// Computed the way current scipy (1.17 in the reference) does: for x and y within a factor two as
/// x·ln1p((x − y)/y), which keeps the digits that x·ln(x/y) loses when x ≈ y. Those are exactly
/// the terms of two nearly equal distributions, whose KL sums cancel down to the rounding
/// error of the terms, so the choice shows in the distance itself.
fn relative_entropy_term(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    if x <= 0.0 || y <= 0.0 {
        return if x == 0.0 && y >= 0.0 { 0.0 } else { f64::INFINITY };
    }
    let ratio = x / y;
    if 0.5 < ratio && ratio < 2.0 {
        x * ((x - y) / y).ln_1p()
    } else if f64::MIN_POSITIVE < ratio && ratio < f64::INFINITY {
        x * ratio.ln()
    } else {
        // The ratio under- or overflowed; the logarithms of each side do not.
        x * (x.ln() - y.ln())
    }
}

fn normalised(shares: &[f64]) -> Option<Vec<f64>> {
    let total = pairwise_sum(shares);
    (total > 0.0 && total.is_finite()).then(|| shares.iter().map(|share| share / total).collect())
}

fn check_lengths(reference: &[f64], current: &[f64]) -> Result<(), DriftError> {
    if reference.len() == current.len() {
        Ok(())
    } else {
        Err(DriftError::SharesLength {
            reference: reference.len(),
            current: current.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psi_by_hand() {
        // (0.6−0.5)·ln(0.6/0.5) + (0.4−0.5)·ln(0.4/0.5)
        let expected = 0.1 * (1.2_f64).ln() + (-0.1) * (0.8_f64).ln();
        let psi = psi(&[0.5, 0.5], &[0.6, 0.4]).expect("same length");
        assert!((psi - expected).abs() < 1e-15, "{psi} vs {expected}");
    }

    #[test]
    fn psi_floors_empty_bins_without_renormalising() {
        // Bin 2 is empty in the current window: its share counts as 0.0001, the others stay.
        let expected = (0.6 - 0.5) * (0.6_f64 / 0.5).ln() + (0.0001 - 0.5) * (0.0001_f64 / 0.5).ln();
        let psi = psi(&[0.5, 0.5], &[0.6, 0.0]).expect("same length");
        assert!((psi - expected).abs() < 1e-12, "{psi} vs {expected}");
    }

    #[test]
    fn js_of_disjoint_distributions_is_one_and_of_equal_ones_zero() {
        assert_eq!(js_distance_base2(&[1.0, 0.0], &[0.0, 1.0]), Ok(1.0));
        assert_eq!(js_distance_base2(&[0.3, 0.7], &[0.3, 0.7]), Ok(0.0));
    }

    #[test]
    fn js_by_hand() {
        // r = (1, 0), c = (½, ½): m = (¾, ¼); KL(r‖m) = log2(4/3), KL(c‖m) = ½log2(2/3) + ½log2(2).
        let kl_r = (4.0_f64 / 3.0).log2();
        let kl_c = 0.5 * (2.0_f64 / 3.0).log2() + 0.5;
        let expected = (0.5 * kl_r + 0.5 * kl_c).sqrt();
        let js = js_distance_base2(&[1.0, 0.0], &[0.5, 0.5]).expect("same length");
        assert!((js - expected).abs() < 1e-15, "{js} vs {expected}");
    }

    #[test]
    fn length_mismatch_is_an_error() {
        assert!(matches!(
            psi(&[1.0], &[0.5, 0.5]),
            Err(DriftError::SharesLength {
                reference: 1,
                current: 2
            })
        ));
        assert!(js_distance_base2(&[1.0], &[]).is_err());
    }

    #[test]
    fn js_without_a_distribution_is_nan() {
        assert!(
            js_distance_base2(&[0.0, 0.0], &[0.5, 0.5])
                .expect("same length")
                .is_nan()
        );
    }
}
