//! The standard normal tail, for the two-proportion z-test of the out-of-scope rate.
//!
//! erfc below 1 as 1 − erf with erf's all-positive series
//! erf(x) = 2/√π·e^{−x²}·Σ 2ⁿx^{2n+1}/(1·3·…·(2n+1)) (no cancellation inside the sum), and from 1
//! on as the continued fraction erfc(x) = e^{−x²}/√π · 1/(x + ½/(x + 1/(x + 3/2/(x + …)))),
//! evaluated backwards from a fixed depth of 300. Against `scipy.special.erfc` on [−5, 25] the
//! relative error stays below 2e-15 (checked in `reference/`).

/// Depth of the continued fraction: enough for 1e-15 at x = 1, where it converges slowest.
const FRACTION_DEPTH: u32 = 300;

/// Complementary error function.
pub fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    let scale = (-x * x).exp() / std::f64::consts::PI.sqrt();
    if x < 1.0 {
        let (mut term, mut sum) = (x, x);
        let mut n = 0.0;
        while term > sum * 1e-17 {
            n += 1.0;
            term *= 2.0 * x * x / (2.0 * n + 1.0);
            sum += term;
        }
        return 1.0 - 2.0 * scale * sum;
    }
    let mut fraction = x;
    for k in (1..=FRACTION_DEPTH).rev() {
        fraction = x + (f64::from(k) / 2.0) / fraction;
    }
    scale / fraction
}

/// P(|Z| ≥ |z|) for a standard normal Z.
pub fn normal_two_sided_p(z: f64) -> f64 {
    erfc(z.abs() / std::f64::consts::SQRT_2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn textbook_values() {
        assert_eq!(erfc(0.0), 1.0);
        assert!((normal_two_sided_p(1.959_963_984_540_054) - 0.05).abs() < 1e-15);
        assert!((erfc(-1.0) + erfc(1.0) - 2.0).abs() < 1e-15);
        assert_eq!(erfc(40.0), 0.0);
        assert!(erfc(f64::NAN).is_nan());
    }
}
