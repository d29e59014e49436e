//! Kolmogorov's limiting distribution of √n·D: the survival function
//! Q(λ) = 2 Σ_{k≥1} (−1)^{k−1} e^{−2k²λ²}, i.e. scipy's `kstwobign.sf` (`scipy.special.kolmogorov`).
//!
//! The alternating series converges fast for large λ but needs ever more terms as λ → 0, where
//! Q → 1. Below λ = 0.82 (about the median, so neither branch suffers cancellation when taking
//! the complement) the CDF is computed from the Jacobi-theta form instead,
//! 1 − Q(λ) = √(2π)/λ · Σ_{k≥1} e^{−(2k−1)²π²/(8λ²)}, which converges fast there. Four terms of
//! the first and three of the second reach double precision on their side of the cut-over
//! (van Mulbregt 2018, "Computing the CDF and quantiles of the limit of the two-sided KS
//! statistic", arXiv:1803.00426), the split and term counts scipy uses.

use std::f64::consts::PI;

/// Where the computation switches from the theta series to the alternating series.
const CUTOVER: f64 = 0.82;

/// exp(x) underflows to 0 below about −745, so for λ ≤ π/√(8·746) ≈ 0.04067 the CDF is 0 in
/// double precision and Q(λ) = 1.
fn smallest_resolvable_lambda() -> f64 {
    PI / (8.0_f64 * 746.0).sqrt()
}

/// Q(λ) = P(K > λ) for Kolmogorov's K; 1 for λ ≤ 0, NaN for NaN.
pub fn kolmogorov_sf(lambda: f64) -> f64 {
    if lambda.is_nan() {
        return f64::NAN;
    }
    if lambda <= smallest_resolvable_lambda() {
        return 1.0;
    }
    let survival = if lambda <= CUTOVER {
        1.0 - theta_series_cdf(lambda)
    } else {
        alternating_series_sf(lambda)
    };
    survival.clamp(0.0, 1.0)
}

/// 1 − Q(λ) = w·u·(1 + u⁸ + u²⁴ + u⁴⁸ + …) with u = e^{−π²/(8λ²)}, w = √(2π)/λ; the exponents are
/// (2k−1)² − 1 = 8·(0, 1, 3, 6, …), nested as 1 + u⁸(1 + u¹⁶(1 + u²⁴)).
fn theta_series_cdf(lambda: f64) -> f64 {
    let w = (2.0 * PI).sqrt() / lambda;
    let log_u8 = -PI * PI / (lambda * lambda);
    let u = (log_u8 / 8.0).exp();
    if u == 0.0 {
        // w·u with u subnormal-or-zero: go through logarithms instead.
        return (log_u8 / 8.0 + w.ln()).exp();
    }
    let u8 = log_u8.exp();
    let u24 = u8.powf(3.0);
    let mut series = 1.0;
    series = 1.0 + u24 * series;
    series = 1.0 + u8 * u8 * series;
    series = 1.0 + u8 * series;
    w * u * series
}

/// Q(λ) = 2v·(1 − v³(1 − v⁵(1 − v⁷))) with v = e^{−2λ²}: the terms v, v⁴, v⁹, v¹⁶ nested.
fn alternating_series_sf(lambda: f64) -> f64 {
    let v = (-2.0 * lambda * lambda).exp();
    let v2 = v * v;
    let v3 = v.powf(3.0);
    let mut series = 1.0;
    series = 1.0 - v3 * v3 * v * series;
    series = 1.0 - v3 * v2 * series;
    series = 1.0 - v3 * series;
    2.0 * v * series
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The defining series summed term by term until the terms vanish: an independent check
    /// where it converges well (λ ≥ 0.3).
    fn defining_series(lambda: f64) -> f64 {
        let mut total = 0.0;
        for k in 1..200 {
            let sign = if k % 2 == 1 { 1.0 } else { -1.0 };
            total += sign * (-2.0 * f64::from(k * k) * lambda * lambda).exp();
        }
        2.0 * total
    }

    #[test]
    fn agrees_with_the_defining_series() {
        for lambda in [0.3, 0.5, 0.7, 0.81, 0.82, 0.83, 1.0, 1.36, 2.0, 3.0, 5.0] {
            let (fast, slow) = (kolmogorov_sf(lambda), defining_series(lambda));
            assert!(
                (fast - slow).abs() <= 1e-14 * slow.max(1e-300) + 1e-16,
                "λ = {lambda}: {fast} vs {slow}"
            );
        }
    }

    #[test]
    fn known_critical_value() {
        // The classical 5% critical value of the Kolmogorov distribution is λ ≈ 1.358.
        assert!((kolmogorov_sf(1.358_098_6) - 0.05).abs() < 1e-7);
    }

    #[test]
    fn limits() {
        assert_eq!(kolmogorov_sf(0.0), 1.0);
        assert_eq!(kolmogorov_sf(-1.0), 1.0);
        assert_eq!(kolmogorov_sf(0.01), 1.0);
        assert_eq!(kolmogorov_sf(f64::INFINITY), 0.0);
        assert_eq!(kolmogorov_sf(40.0), 0.0);
        assert!(kolmogorov_sf(f64::NAN).is_nan());
        assert!(kolmogorov_sf(0.05) > 0.999_999_999);
    }
}
