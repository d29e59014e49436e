//! Multivariate least squares of CSAT on several drivers at once, on standardised data, so
//! each coefficient says how many standard deviations CSAT moves per standard deviation of
//! that driver with the others held fixed.
//!
//! Solved by modified Gram–Schmidt QR: with at most a dozen drivers that is exact enough
//! (checked against numpy `lstsq`) and needs no linear-algebra crate. Columns that are
//! constant, or a linear combination of earlier columns (`contained` and `handed_off` can be
//! exact complements in a small window), have no defined coefficient and are left out
//! with a note instead of failing the whole fit.

use serde::{Deserialize, Serialize};

use crate::EvaluatorError;

/// A column whose part orthogonal to the earlier columns has less than this share of its
/// squared norm is taken as collinear with them.
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

/// (v − mean) / population std, or None for a constant column.
fn standardise(values: &[f64]) -> Option<Vec<f64>> {
    let first = *values.first()?;
    if values.iter().all(|v| *v == first) {
        return None;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let std = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    (std > 0.0 && std.is_finite()).then(|| values.iter().map(|v| (v - mean) / std).collect())
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// OLS of `y` on the columns of `rows` (one row per conversation, one column per driver),
/// all standardised (no intercept needed after centring).
///
/// Rows with any non-finite value are left out. `Ok(None)` when fewer than two rows
/// remain, `y` is constant, or no column is usable. Errors when the shapes disagree.
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
    // A constant (or empty, or single-row) y has nothing to explain.
    let Some(target) = standardise(&complete.iter().map(|&i| y[i]).collect::<Vec<_>>()) else {
        return Ok(None);
    };

    let mut notes = Vec::new();
    // Orthonormal basis of the kept columns (Q), the triangular factor (R, by kept column),
    // which input column each kept one is, and its standardised values.
    let mut basis: Vec<Vec<f64>> = Vec::new();
    let mut kept_values: Vec<Vec<f64>> = Vec::new();
    let mut triangular: Vec<Vec<f64>> = Vec::new();
    let mut kept: Vec<usize> = Vec::new();
    let columns: Vec<Vec<f64>> = (0..width)
        .map(|j| complete.iter().map(|&i| rows[i][j]).collect())
        .collect();
    for (column, values) in columns.iter().enumerate() {
        let Some(standardised) = standardise(values) else {
            notes.push(format!("column {column} is constant; left out"));
            continue;
        };
        let mut residual = standardised.clone();
        let original_norm = dot(&residual, &residual);
        let mut r_column = Vec::with_capacity(basis.len() + 1);
        for q in &basis {
            let projection = dot(q, &residual);
            residual.iter_mut().zip(q).for_each(|(v, qv)| *v -= projection * qv);
            r_column.push(projection);
        }
        let norm = dot(&residual, &residual).sqrt();
        if norm * norm < COLLINEAR_SHARE * original_norm {
            notes.push(format!(
                "column {column} is a linear combination of earlier columns; left out"
            ));
            continue;
        }
        r_column.push(norm);
        residual.iter_mut().for_each(|v| *v /= norm);
        basis.push(residual);
        triangular.push(r_column);
        kept.push(column);
        kept_values.push(standardised);
    }
    if kept.is_empty() {
        return Ok(None);
    }

    // Solve R β = Qᵀ y by back substitution; triangular[j][i] is R[i][j].
    let qty: Vec<f64> = basis.iter().map(|q| dot(q, &target)).collect();
    let mut beta = vec![0.0; kept.len()];
    for i in (0..kept.len()).rev() {
        let later: f64 = ((i + 1)..kept.len()).map(|j| triangular[j][i] * beta[j]).sum();
        beta[i] = (qty[i] - later) / triangular[i][i];
    }

    let mut fitted = vec![0.0; n];
    for (coefficient, values) in beta.iter().zip(&kept_values) {
        fitted.iter_mut().zip(values).for_each(|(f, v)| *f += coefficient * v);
    }
    let residual_sum: f64 = target.iter().zip(&fitted).map(|(t, f)| (t - f).powi(2)).sum();
    let mut coefficients = vec![None; width];
    for (slot, &column) in kept.iter().enumerate() {
        coefficients[column] = Some(beta[slot]);
    }
    Ok(Some(Ols {
        n,
        coefficients,
        r2: 1.0 - residual_sum / dot(&target, &target),
        notes,
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
        assert_eq!(fit.notes.len(), 2, "{:?}", fit.notes);
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
    }
}
