//! CSAT drivers (METRICS §3): how each conversation fact moves with satisfaction. Pearson r
//! with its t-test p-value and Fisher-z interval, Spearman's rho with its p-value, and a
//! multivariate OLS on standardised data ([`ols_standardized`]).

mod ols;

use serde::{Deserialize, Serialize};

use crate::EvaluatorError;
use crate::special::correlation_p_value;

pub use ols::{Ols, ols_standardized};

/// Fewer pairs than this leave r without a p-value or interval worth reporting (and n − 3
/// in the Fisher interval must be positive).
pub const MIN_PAIRS: usize = 4;

/// Two-sided 95 % normal quantile as METRICS fixes it.
const Z_95: f64 = 1.959964;

/// Correlation of one driver with CSAT. Everything but `n` is null where n < 4 or either
/// side is constant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Correlation {
    pub n: usize,
    pub r: Option<f64>,
    pub p: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub rho: Option<f64>,
    pub p_rho: Option<f64>,
}

impl Correlation {
    fn undefined(n: usize) -> Self {
        Correlation {
            n,
            r: None,
            p: None,
            ci_low: None,
            ci_high: None,
            rho: None,
            p_rho: None,
        }
    }
}

/// Pearson r of two equally long, non-constant samples, or None if it cannot be computed
/// in floating point. Deviations are scaled by their largest magnitude first (as scipy
/// does), so tiny or huge values neither underflow nor overflow the sums of squares.
fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    let centred = |v: &[f64]| -> Vec<f64> {
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let deviations: Vec<f64> = v.iter().map(|a| a - mean).collect();
        let scale = deviations.iter().fold(0.0_f64, |m, d| m.max(d.abs()));
        deviations.iter().map(|d| d / scale).collect()
    };
    let (dx, dy) = (centred(x), centred(y));
    let sxy: f64 = dx.iter().zip(&dy).map(|(a, b)| a * b).sum();
    let sxx: f64 = dx.iter().map(|a| a * a).sum();
    let syy: f64 = dy.iter().map(|b| b * b).sum();
    let r = sxy / (sxx.sqrt() * syy.sqrt());
    // Rounding can push |r| a hair past 1 for perfectly linear data.
    r.is_finite().then(|| r.clamp(-1.0, 1.0))
}

/// 1-based ranks with ties sharing the mean of the ranks they span.
pub fn average_ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // Positions start..end hold ranks start+1 ..= end; their mean:
        let shared = (start + 1 + end) as f64 / 2.0;
        for &index in &order[start..end] {
            ranks[index] = shared;
        }
        start = end;
    }
    ranks
}

/// Fisher-z 95 % interval tanh(atanh(r) ± 1.959964/√(n − 3)); r = ±1 gives [±1, ±1].
fn fisher_interval(r: f64, n: usize) -> (f64, f64) {
    let z = r.atanh();
    let half_width = Z_95 / (n as f64 - 3.0).sqrt();
    ((z - half_width).tanh(), (z + half_width).tanh())
}

/// Correlation of driver `x` with `y` (CSAT on the 1–5 scale) per METRICS §3.
///
/// Rows where either value is not finite are left out (callers pass NaN for SQL null).
/// Errors only when `x` and `y` differ in length.
pub fn correlate(x: &[f64], y: &[f64]) -> Result<Correlation, EvaluatorError> {
    if x.len() != y.len() {
        return Err(EvaluatorError::LengthMismatch {
            x_len: x.len(),
            y_len: y.len(),
        });
    }
    let (x, y): (Vec<f64>, Vec<f64>) = x
        .iter()
        .zip(y)
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .map(|(a, b)| (*a, *b))
        .unzip();
    let n = x.len();
    let constant = |v: &[f64]| v.iter().all(|a| *a == v[0]);
    if n < MIN_PAIRS || constant(&x) || constant(&y) {
        return Ok(Correlation::undefined(n));
    }
    let (Some(r), Some(rho)) = (pearson(&x, &y), pearson(&average_ranks(&x), &average_ranks(&y))) else {
        return Ok(Correlation::undefined(n));
    };
    let (ci_low, ci_high) = fisher_interval(r, n);
    Ok(Correlation {
        n,
        r: Some(r),
        p: Some(correlation_p_value(r, n)),
        ci_low: Some(ci_low),
        ci_high: Some(ci_high),
        rho: Some(rho),
        p_rho: Some(correlation_p_value(rho, n)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_average_ties() {
        assert_eq!(
            average_ranks(&[10.0, 30.0, 20.0, 30.0, 10.0, 30.0]),
            [1.5, 5.0, 3.0, 5.0, 1.5, 5.0]
        );
        assert!(average_ranks(&[]).is_empty());
    }

    /// r of (1, 2, 3, 4) with (1, 3, 2, 4) is 0.8 (Σdxdy = 4, Σdx² = Σdy² = 5); t = 0.8·√(2/0.36),
    /// and for df = 2 the two-sided p is 1 − t/√(2 + t²) = 1 − 0.8 = 0.2.
    #[test]
    fn four_points_by_hand() {
        let c = correlate(&[1.0, 2.0, 3.0, 4.0], &[1.0, 3.0, 2.0, 4.0]).unwrap();
        assert!((c.r.unwrap() - 0.8).abs() < 1e-15);
        assert!((c.rho.unwrap() - 0.8).abs() < 1e-15);
        assert!((c.p.unwrap() - 0.2).abs() < 1e-14);
        let half = 1.959964;
        assert!((c.ci_low.unwrap() - (0.8_f64.atanh() - half).tanh()).abs() < 1e-15);
    }

    #[test]
    fn nulls_where_undefined() {
        assert_eq!(
            correlate(&[1.0, 2.0, 3.0], &[3.0, 1.0, 2.0]).unwrap(),
            Correlation::undefined(3)
        );
        assert_eq!(
            correlate(&[1.0; 6], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap(),
            Correlation::undefined(6)
        );
        assert_eq!(correlate(&[], &[]).unwrap(), Correlation::undefined(0));
        assert!(matches!(
            correlate(&[1.0], &[]),
            Err(EvaluatorError::LengthMismatch { x_len: 1, y_len: 0 })
        ));
        // NaN rows are dropped: five rows, one NaN on each side, three left.
        let c = correlate(&[1.0, f64::NAN, 2.0, 3.0, 4.0], &[1.0, 2.0, 2.0, f64::NAN, 5.0]).unwrap();
        assert_eq!(c, Correlation::undefined(3));
    }

    #[test]
    fn perfect_lines_and_extreme_scales() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        let c = correlate(&x, &x.map(|v| 7.0 - 2.0 * v)).unwrap();
        assert!((c.r.unwrap() + 1.0).abs() < 1e-15 && (c.rho.unwrap() + 1.0).abs() < 1e-15);
        assert!(c.p_rho.unwrap() < 1e-12);
        assert!(c.p.unwrap() < 1e-12);
        let tiny = correlate(&x.map(|v| v * 1e-300), &[1.0, 3.0, 2.0, 4.0, 5.0]).unwrap();
        let normal = correlate(&x, &[1.0, 3.0, 2.0, 4.0, 5.0]).unwrap();
        assert!((tiny.r.unwrap() - normal.r.unwrap()).abs() < 1e-14);
        let huge = correlate(&x.map(|v| v * 1e300), &[1.0, 3.0, 2.0, 4.0, 5.0]).unwrap();
        assert!((huge.r.unwrap() - normal.r.unwrap()).abs() < 1e-14);
    }
}
