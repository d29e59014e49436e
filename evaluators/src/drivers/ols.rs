//! Multivariate least squares of CSAT on several drivers at once, on standardised data, so
//! each coefficient says how many standard deviations CSAT moves per standard deviation of
//! that driver with the others held fixed.
//!
//! The fit itself is linfa-linear's ordinary least squares (`LinearRegression`, a
//! Householder QR solve), as the CSAT multivariate view asks for. On the reference cases it
//! agrees with scikit-learn's `LinearRegression` to ~4e-15, and to ~2e-13 on a deliberately
//! ill-conditioned one (the tests allow 1e-9), so no hand-written cross-check is kept.
//! That solver does not pivot: a rank-deficient design gives it a near-zero pivot and
//! garbage instead of an error. So the columns are screened first: a constant column, or one
//! that is a linear combination of earlier columns (`contained` and `handed_off` can be
//! exact complements in a small window), has no defined coefficient and is left out with a
//! note instead of failing the whole fit.

use linfa::DatasetBase;
use linfa::traits::Fit;
use linfa_linear::LinearRegression;
use ndarray::{Array1, Array2, ArrayView1, Axis};
use serde::{Deserialize, Serialize};

use crate::EvaluatorError;

/// A column whose part orthogonal to the earlier kept columns has less than this share of
/// its squared norm is taken as collinear with them (a correlation of 1 − 5e-11 with their
/// best combination). Far above the rounding of the Gram matrix (~1e-13 relative for a
/// million rows), far below any real overlap of two drivers.
const COLLINEAR_SHARE: f64 = 1e-10;

/// Standardised OLS fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ols {
    /// Rows used (those with every value finite).
    pub n: usize,
    /// Standardised beta per input column, in input order; null for a column left out.
    pub coefficients: Vec<Option<f64>>,
    /// Coefficient of determination of the fit.
    pub r2: f64,
    /// Why columns were left out, e.g. "column 3 is constant; left out".
    pub notes: Vec<String>,
}

/// (v − mean) / population std, or None for a constant column. Two passes, so the mean of
/// large values (handle times in seconds) does not swamp their spread.
fn standardise(values: ArrayView1<f64>) -> Option<Array1<f64>> {
    let first = *values.first()?;
    if values.iter().all(|v| *v == first) {
        return None;
    }
    let n = values.len() as f64;
    let mean = values.sum() / n;
    let std = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    (std > 0.0 && std.is_finite()).then(|| values.mapv(|v| (v - mean) / std))
}

/// Indices of the columns to keep, given the Gram matrix ZᵀZ of the standardised candidate
/// columns: in input order, each column is kept unless its residual after projection on the
/// columns kept before it has less than [`COLLINEAR_SHARE`] of its squared norm.
///
/// This is Gram–Schmidt done as an incremental Cholesky factorisation of the Gram matrix:
/// row i of `factor` is row i of L with L Lᵀ = G restricted to the kept columns, and the
/// squared residual of a candidate is its diagonal entry minus the squared norm of its
/// solved row. The k × k matrix is all it needs, so the n rows are read once (for G).
fn independent_columns(gram: &Array2<f64>) -> Vec<usize> {
    let mut kept: Vec<usize> = Vec::new();
    let mut factor: Vec<Vec<f64>> = Vec::new();
    for candidate in 0..gram.ncols() {
        // Forward substitution L w = G[kept, candidate].
        let mut row: Vec<f64> = Vec::with_capacity(kept.len() + 1);
        for (i, (&column, l_row)) in kept.iter().zip(&factor).enumerate() {
            let earlier: f64 = l_row.iter().zip(&row).map(|(l, w)| l * w).sum();
            row.push((gram[[column, candidate]] - earlier) / l_row[i]);
        }
        let squared_norm = gram[[candidate, candidate]];
        let residual = squared_norm - row.iter().map(|w| w * w).sum::<f64>();
        if residual < COLLINEAR_SHARE * squared_norm {
            continue;
        }
        row.push(residual.sqrt());
        factor.push(row);
        kept.push(candidate);
    }
    kept
}

/// OLS of `y` on the columns of `rows` (one row per conversation, one column per driver),
/// all standardised, fitted by linfa-linear without an intercept (centred data need none).
///
/// Rows with any non-finite value are left out first (callers pass NaN for SQL null).
/// Then, without failing:
/// - a constant column, or one collinear with earlier columns, gets a null coefficient and
///   a note;
/// - the whole result is `Ok(None)` when `y` is constant, no column is usable, or there are
///   fewer than (usable columns + 2) rows: the mean and the coefficients would use up every
///   row, leaving a fit with R² = 1 whatever the data. In particular 0 or 1 row is `None`.
///
/// Errors when the shapes disagree (`LengthMismatch`, `RaggedRow`), and `LeastSquares` if
/// linfa refuses the screened design, which the screening is there to prevent.
pub fn ols_standardized(rows: &[Vec<f64>], y: &[f64]) -> Result<Option<Ols>, EvaluatorError> {
    if rows.len() != y.len() {
        return Err(EvaluatorError::LengthMismatch {
            x_len: rows.len(),
            y_len: y.len(),
        });
    }
    let width = rows.first().map_or(0, Vec::len);
    if let Some(row) = rows.iter().position(|r| r.len() != width) {
        return Err(EvaluatorError::RaggedRow {
            row,
            expected: width,
            found: rows[row].len(),
        });
    }
    let complete: Vec<usize> = (0..rows.len())
        .filter(|&i| y[i].is_finite() && rows[i].iter().all(|v| v.is_finite()))
        .collect();
    let n = complete.len();
    let target_raw: Array1<f64> = complete.iter().map(|&i| y[i]).collect();
    // A constant (or empty, or single-row) y has nothing to explain.
    let Some(target) = standardise(target_raw.view()) else {
        return Ok(None);
    };

    // (column, why) for every column left out, reported in column order.
    let mut left_out: Vec<(usize, &str)> = Vec::new();
    let raw = Array2::from_shape_fn((n, width), |(i, j)| rows[complete[i]][j]);
    let mut candidates: Vec<(usize, Array1<f64>)> = Vec::with_capacity(width);
    for (column, values) in raw.axis_iter(Axis(1)).enumerate() {
        match standardise(values) {
            Some(z) => candidates.push((column, z)),
            None => left_out.push((column, "is constant")),
        }
    }
    drop(raw);
    let mut standardised = Array2::<f64>::zeros((n, candidates.len()));
    for (mut slot, (_, z)) in standardised.axis_iter_mut(Axis(1)).zip(&candidates) {
        slot.assign(z);
    }

    let kept = independent_columns(&standardised.t().dot(&standardised));
    for (slot, (column, _)) in candidates.iter().enumerate() {
        if !kept.contains(&slot) {
            left_out.push((*column, "is a linear combination of earlier columns"));
        }
    }
    if kept.is_empty() || n < kept.len() + 2 {
        return Ok(None);
    }
    let design = standardised.select(Axis(1), &kept);
    drop(standardised);

    let dataset = DatasetBase::new(design, target);
    let fitted = LinearRegression::new()
        .with_intercept(false)
        .fit(&dataset)
        .map_err(|e| EvaluatorError::LeastSquares { reason: e.to_string() })?;
    let beta = fitted.params();
    let residuals = dataset.targets() - &dataset.records().dot(beta);
    let residual_sum = residuals.dot(&residuals);
    let total_sum = dataset.targets().dot(dataset.targets());

    let mut coefficients = vec![None; width];
    for (&slot, coefficient) in kept.iter().zip(beta) {
        coefficients[candidates[slot].0] = Some(*coefficient);
    }
    left_out.sort_by_key(|(column, _)| *column);
    Ok(Some(Ols {
        n,
        coefficients,
        r2: 1.0 - residual_sum / total_sum,
        notes: left_out
            .into_iter()
            .map(|(column, why)| format!("column {column} {why}; left out"))
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One driver: the standardised beta is Pearson's r and R² is r².
    #[test]
    fn single_driver_beta_is_pearson_r() {
        let x = [1.0, 2.0, 3.0, 4.0];
        let y = [1.0, 3.0, 2.0, 4.0];
        let rows: Vec<Vec<f64>> = x.iter().map(|v| vec![*v]).collect();
        let fit = ols_standardized(&rows, &y).unwrap().unwrap();
        assert!((fit.coefficients[0].unwrap() - 0.8).abs() < 1e-15);
        assert!((fit.r2 - 0.64).abs() < 1e-15);
        assert_eq!(fit.n, 4);
    }

    /// y = 2a − b exactly: betas are 2·sd(a)/sd(y) and −sd(b)/sd(y) with a ⟂ b, R² = 1.
    #[test]
    fn exact_fit_and_left_out_columns() {
        let a = [1.0, -1.0, 1.0, -1.0];
        let b = [1.0, 1.0, -1.0, -1.0];
        let rows: Vec<Vec<f64>> = (0..4).map(|i| vec![a[i], 5.0, b[i], -a[i]]).collect();
        let y: Vec<f64> = (0..4).map(|i| 2.0 * a[i] - b[i]).collect();
        let fit = ols_standardized(&rows, &y).unwrap().unwrap();
        let sd_y = 5.0_f64.sqrt();
        assert!((fit.coefficients[0].unwrap() - 2.0 / sd_y).abs() < 1e-15);
        assert!((fit.coefficients[2].unwrap() + 1.0 / sd_y).abs() < 1e-15);
        assert_eq!((fit.coefficients[1], fit.coefficients[3]), (None, None));
        assert!((fit.r2 - 1.0).abs() < 1e-15);
        assert_eq!(
            fit.notes,
            [
                "column 1 is constant; left out",
                "column 3 is a linear combination of earlier columns; left out"
            ]
        );
    }

    #[test]
    fn undefined_and_malformed_inputs() {
        assert_eq!(ols_standardized(&[], &[]), Ok(None));
        assert_eq!(ols_standardized(&[vec![1.0], vec![2.0]], &[3.0, 3.0]), Ok(None));
        assert_eq!(ols_standardized(&[vec![1.0], vec![1.0]], &[1.0, 2.0]), Ok(None));
        assert!(matches!(
            ols_standardized(&[vec![1.0]], &[]),
            Err(EvaluatorError::LengthMismatch { .. })
        ));
        assert!(matches!(
            ols_standardized(&[vec![1.0], vec![1.0, 2.0]], &[1.0, 2.0]),
            Err(EvaluatorError::RaggedRow {
                row: 1,
                expected: 1,
                found: 2
            })
        ));
        // A NaN row is dropped before anything else.
        let rows = vec![vec![1.0], vec![f64::NAN], vec![2.0], vec![3.0]];
        assert_eq!(ols_standardized(&rows, &[1.0, 9.0, 2.0, 3.5]).unwrap().unwrap().n, 3);
        // Zero-width rows: nothing to fit.
        assert_eq!(ols_standardized(&[vec![], vec![], vec![]], &[1.0, 2.0, 4.0]), Ok(None));
    }

    /// With k usable drivers, k + 1 rows are always fitted exactly (R² = 1): too few.
    #[test]
    fn too_few_rows_for_the_drivers_is_none() {
        let rows = vec![vec![1.0, 0.5], vec![2.0, 0.1], vec![4.0, 0.9]];
        let y = [1.0, 5.0, 2.0];
        // Three rows, two drivers in general position: rank is capped at n − 1 = 2.
        assert_eq!(ols_standardized(&rows, &y), Ok(None));
        // Two rows, one driver: a line through two points.
        assert_eq!(ols_standardized(&rows[..2], &y[..2]), Ok(None));
        // Three rows, one driver: one residual degree of freedom, a real fit.
        let one: Vec<Vec<f64>> = rows.iter().map(|r| vec![r[0]]).collect();
        let fit = ols_standardized(&one, &y).unwrap().unwrap();
        assert!(fit.r2 < 1.0 && fit.r2 >= 0.0, "{fit:?}");
    }

    /// Two uncorrelated standardised drivers (centred, orthogonal by construction): each beta
    /// is that driver's own correlation with y, computed here directly.
    #[test]
    fn orthogonal_drivers_give_their_correlations() {
        let a = [1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0];
        let b = [1.0, 1.0, -1.0, -1.0, 1.0, 1.0, -1.0, -1.0];
        let y = [3.0, 1.0, 2.0, 5.0, 4.0, 2.0, 1.0, 4.0];
        let rows: Vec<Vec<f64>> = (0..8).map(|i| vec![a[i], b[i]]).collect();
        let fit = ols_standardized(&rows, &y).unwrap().unwrap();
        let mean = y.iter().sum::<f64>() / 8.0;
        let sd = (y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 8.0).sqrt();
        let corr = |x: &[f64; 8]| x.iter().zip(&y).map(|(x, y)| x * (y - mean)).sum::<f64>() / (8.0 * sd);
        let (ra, rb) = (corr(&a), corr(&b));
        assert!((fit.coefficients[0].unwrap() - ra).abs() < 1e-14, "{fit:?} vs {ra}");
        assert!((fit.coefficients[1].unwrap() - rb).abs() < 1e-14, "{fit:?} vs {rb}");
        assert!((fit.r2 - (ra * ra + rb * rb)).abs() < 1e-14);
    }

    #[test]
    fn screening_keeps_near_but_not_exact_collinearity() {
        // Cholesky of [[1, ρ], [ρ, 1]]: residual share 1 − ρ².
        let gram = |rho: f64| Array2::from_shape_vec((2, 2), vec![1.0, rho, rho, 1.0]).unwrap();
        assert_eq!(independent_columns(&gram(0.999_999)), [0, 1]);
        assert_eq!(independent_columns(&gram(1.0)), [0]);
        assert_eq!(independent_columns(&gram(-1.0 + 1e-12)), [0]);
    }
}
