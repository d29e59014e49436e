//! Special functions behind the p-values of METRICS §3: log-gamma, log-beta, the regularized
//! incomplete beta function and the two-sided tail of Student's t.
//!
//! Written here rather than taken from `statrs` to keep the crate light (statrs pulls in
//! nalgebra). Accuracy is checked against scipy in `tests/it/reference.rs`.

use std::f64::consts::PI;

/// Below this, log-gamma is shifted up by the recurrence before Stirling's series is used;
/// at 10 the series' first omitted term is below 2e-18.
const STIRLING_FROM: f64 = 10.0;

/// Stirling's series coefficients B₂ₖ / (2k (2k − 1)), k = 1…8.
const STIRLING_COEFFICIENTS: [f64; 8] = [
    1.0 / 12.0,
    -1.0 / 360.0,
    1.0 / 1260.0,
    -1.0 / 1680.0,
    1.0 / 1188.0,
    -691.0 / 360_360.0,
    1.0 / 156.0,
    -3617.0 / 122_400.0,
];

/// Continued-fraction stopping rule: a couple of ulps, as tight as f64 allows without stalling.
const CF_TOLERANCE: f64 = 2.0 * f64::EPSILON;
/// The fraction needs O(√max(a, b)) terms; this bound is never reached for df ≤ 10⁹.
const CF_MAX_TERMS: usize = 200_000;
/// Lentz's stand-in for a zero denominator.
const TINY: f64 = 1e-300;

/// The tail S(z) of Stirling's series: ln Γ(z) = (z − ½) ln z − z + ½ ln 2π + S(z), z ≥ 10.
fn stirling_tail(z: f64) -> f64 {
    let inverse_square = 1.0 / (z * z);
    let mut power = 1.0 / z;
    let mut sum = 0.0;
    for coefficient in STIRLING_COEFFICIENTS {
        sum += coefficient * power;
        power *= inverse_square;
    }
    sum
}

/// ln Γ(z) for z > 0 (NaN otherwise).
pub fn ln_gamma(z: f64) -> f64 {
    if z.is_nan() || z <= 0.0 {
        return f64::NAN;
    }
    if z.is_infinite() {
        return f64::INFINITY;
    }
    // Γ(z) = Γ(z + k) / (z (z + 1) … (z + k − 1)): shift into the range where the series is exact.
    let mut shifted = z;
    let mut product = 1.0;
    while shifted < STIRLING_FROM {
        product *= shifted;
        shifted += 1.0;
    }
    (shifted - 0.5) * shifted.ln() - shifted + 0.5 * (2.0 * PI).ln() + stirling_tail(shifted) - product.ln()
}

/// ln Γ(large) − ln Γ(large + small) for large ≥ 10, without subtracting two big numbers:
/// for the t-test B(df/2, ½) the gammas are ~10⁵ while their difference is ~1, and
/// subtracting them would cost ~1e-11 of relative precision in the p-value.
fn ln_gamma_ratio(large: f64, small: f64) -> f64 {
    let sum = large + small;
    -(large - 0.5) * (small / large).ln_1p() - small * sum.ln() + small + stirling_tail(large) - stirling_tail(sum)
}

/// ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b) for a, b > 0.
pub fn ln_beta(a: f64, b: f64) -> f64 {
    let (small, large) = if a <= b { (a, b) } else { (b, a) };
    if large < STIRLING_FROM {
        ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
    } else {
        ln_gamma(small) + ln_gamma_ratio(large, small)
    }
}

/// The continued fraction F with I_x(a, b) = xᵃ yᵇ / (B(a, b) · F), y = 1 − x: DiDonato &
/// Morris's BFRAC (ACM TOMS 708, as Boost's `ibeta_fraction2`), evaluated by modified Lentz.
/// Numerical Recipes' `betacf` converges as fast but loses ~1e-12 relative for a ~ 10⁵
/// (large-df t-tests) to cancellation in its terms; this form stays at ~1e-15.
fn beta_continued_fraction(a: f64, b: f64, x: f64, y: f64) -> f64 {
    let nonzero = |v: f64| if v == 0.0 { TINY } else { v };
    // Term m ≥ 1 as (numerator, denominator); a + 2m − 1 > 0 there since a > 0.
    let term = |m: f64| {
        let denominator = a + 2.0 * m - 1.0;
        let numerator = (a + m - 1.0) * (a + b + m - 1.0) * m * (b - m) * x * x / (denominator * denominator);
        let partial =
            m + m * (b - m) * x / denominator + (a + m) * (a * y - b * x + 1.0 + m * (2.0 - x)) / (a + 2.0 * m + 1.0);
        (numerator, partial)
    };
    let mut f = nonzero(a * (a * y - b * x + 1.0) / (a + 1.0));
    let (mut c, mut d) = (f, 0.0);
    for m in 1..=CF_MAX_TERMS {
        let (numerator, partial) = term(m as f64);
        d = 1.0 / nonzero(partial + numerator * d);
        c = nonzero(partial + numerator / c);
        let step = c * d;
        f *= step;
        if (step - 1.0).abs() <= CF_TOLERANCE {
            break;
        }
    }
    f
}

/// Regularized incomplete beta I_x(a, b) for a, b > 0, with x and its complement y = 1 − x
/// both given, so callers that know 1 − x exactly (r² in a t-test) lose nothing to
/// cancellation. Out-of-range x gives 0 or 1; non-positive a or b gives NaN.
pub fn regularized_incomplete_beta(a: f64, b: f64, x: f64, y: f64) -> f64 {
    if a.is_nan() || b.is_nan() || x.is_nan() || y.is_nan() || a <= 0.0 || b <= 0.0 {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 0.0;
    }
    if y <= 0.0 {
        return 1.0;
    }
    // ln x from whichever of x, y is small, where it carries the information.
    let ln_x = if y < 0.5 { (-y).ln_1p() } else { x.ln() };
    let ln_y = if x < 0.5 { (-x).ln_1p() } else { y.ln() };
    let ln_front = a * ln_x + b * ln_y - ln_beta(a, b);
    // The fraction converges fast only below the mean; above it use I_x(a, b) = 1 − I_y(b, a).
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front.exp() / beta_continued_fraction(a, b, x, y)
    } else {
        1.0 - ln_front.exp() / beta_continued_fraction(b, a, y, x)
    }
}

/// P(|T| ≥ |t|) for Student's t with `df` degrees of freedom (two-sided p-value).
pub fn student_t_two_sided_p(t: f64, df: f64) -> f64 {
    if t.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if t.is_infinite() {
        return 0.0;
    }
    let t_squared = t * t;
    let denominator = df + t_squared;
    regularized_incomplete_beta(df / 2.0, 0.5, df / denominator, t_squared / denominator)
}

/// Two-sided p-value of a correlation coefficient r over n pairs, by Student's t with
/// n − 2 degrees of freedom (METRICS §3). With t = r √((n − 2)/(1 − r²)) the t tail equals
/// I_{1−r²}((n − 2)/2, ½), computed from r directly so no precision is lost forming t.
pub fn correlation_p_value(r: f64, n: usize) -> f64 {
    let magnitude = r.abs();
    if magnitude >= 1.0 {
        return 0.0;
    }
    let df = n as f64 - 2.0;
    regularized_incomplete_beta(
        df / 2.0,
        0.5,
        (1.0 - magnitude) * (1.0 + magnitude),
        magnitude * magnitude,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Γ(n) = (n − 1)! and Γ(½) = √π are known exactly.
    #[test]
    fn ln_gamma_matches_factorials_and_sqrt_pi() {
        let mut factorial = 1.0_f64;
        for n in 1..=25 {
            let got = ln_gamma(n as f64);
            assert!(
                (got - factorial.ln()).abs() <= 1e-14 * factorial.ln().max(1.0),
                "ln Γ({n}) = {got}"
            );
            factorial *= n as f64;
        }
        let error = ln_gamma(0.5) - PI.sqrt().ln();
        // The shift sums terms of size ~25 to get 0.57, so a few 1e-15 is the floor here.
        assert!(error.abs() < 4e-15, "ln Γ(½) off by {error:e}");
        assert!(ln_gamma(0.0).is_nan() && ln_gamma(-1.0).is_nan());
    }

    /// B(a, 1) = 1/a and B(a, ½) via Γ identities cross-check the large-argument path.
    #[test]
    fn ln_beta_identities() {
        for a in [0.5, 3.0, 9.5, 10.0, 12.25, 400.0, 5e4] {
            assert!(
                (ln_beta(a, 1.0) + a.ln()).abs() < 1e-13 * (1.0 + a.ln().abs()),
                "a = {a}"
            );
        }
        // Direct sum for moderate arguments agrees with the ratio form across the switch.
        let direct = ln_gamma(10.5) + ln_gamma(0.5) - ln_gamma(11.0);
        assert!((ln_beta(10.5, 0.5) - direct).abs() < 1e-13);
    }

    /// For df = 1 (Cauchy) and df = 2 the t tail has closed forms.
    #[test]
    fn student_t_closed_forms() {
        for t in [0.0, 0.3, 1.0, 2.5, 10.0, 1e3] {
            let cauchy = 1.0 - 2.0 * f64::atan(t) / PI;
            assert!((student_t_two_sided_p(t, 1.0) - cauchy).abs() < 1e-14, "df 1, t {t}");
            let df2 = 1.0 - t / (2.0 + t * t).sqrt();
            assert!((student_t_two_sided_p(t, 2.0) - df2).abs() < 1e-14, "df 2, t {t}");
        }
        assert_eq!(student_t_two_sided_p(f64::INFINITY, 5.0), 0.0);
        assert!(student_t_two_sided_p(1.0, 0.0).is_nan());
    }
}
