//! CSAT drivers from the lake (METRICS §3): the conversations of a window (by `closed_at`)
//! with a CSAT answer, each driver correlated with `csat_5`, overall or per
//! `first_intent`, and standardised OLS coefficients of CSAT on all drivers together.

use convolens_evaluators::drivers::{Correlation, Ols, correlate, ols_standardized};
use serde::Serialize;

use crate::query::DRIVERS;

/// The answered conversations of a window: one row per conversation (read by
/// [`super::driver_rows::load`]).
#[derive(Debug, Default)]
pub struct DriverRows {
    pub first_intent: Vec<Option<String>>,
    /// Per driver of [`DRIVERS`], in that order; NaN where the fact is null.
    pub drivers: Vec<Vec<f64>>,
    pub csat_5: Vec<f64>,
}

/// One object of `convolens csat-drivers --format json` (INTERFACE.md), plus
/// `first_intent` when grouped by intent.
#[derive(Debug, Serialize)]
pub struct DriverCorrelation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_intent: Option<Option<String>>,
    pub driver: &'static str,
    #[serde(flatten)]
    pub correlation: Correlation,
}

fn correlate_all(rows: &DriverRows, keep: &[bool], first_intent: Option<Option<String>>) -> Vec<DriverCorrelation> {
    let y: Vec<f64> = rows
        .csat_5
        .iter()
        .zip(keep)
        .filter(|(_, k)| **k)
        .map(|(v, _)| *v)
        .collect();
    DRIVERS
        .iter()
        .zip(&rows.drivers)
        .map(|((name, _), values)| {
            let x: Vec<f64> = values.iter().zip(keep).filter(|(_, k)| **k).map(|(v, _)| *v).collect();
            DriverCorrelation {
                first_intent: first_intent.clone(),
                driver: name,
                correlation: correlate(&x, &y).expect("x and y are filtered by the same mask"),
            }
        })
        .collect()
}

/// Every driver over all rows.
pub fn correlations(rows: &DriverRows) -> Vec<DriverCorrelation> {
    correlate_all(rows, &vec![true; rows.csat_5.len()], None)
}

/// Every driver per `first_intent` (null intent is its own group), intents in order.
pub fn correlations_by_intent(rows: &DriverRows) -> Vec<DriverCorrelation> {
    let mut intents: Vec<&Option<String>> = rows.first_intent.iter().collect();
    intents.sort();
    intents.dedup();
    intents
        .into_iter()
        .flat_map(|intent| {
            let keep: Vec<bool> = rows.first_intent.iter().map(|i| i == intent).collect();
            correlate_all(rows, &keep, Some(intent.clone()))
        })
        .collect()
}

/// Standardised OLS of CSAT on every driver (rows with all values present); None when
/// there are too few rows.
#[derive(Debug, Serialize)]
pub struct Multivariate {
    pub n: usize,
    pub r2: f64,
    pub coefficients: Vec<(&'static str, Option<f64>)>,
    pub notes: Vec<String>,
}

pub fn multivariate(rows: &DriverRows) -> anyhow::Result<Option<Multivariate>> {
    let matrix: Vec<Vec<f64>> = (0..rows.csat_5.len())
        .map(|i| rows.drivers.iter().map(|d| d[i]).collect())
        .collect();
    let fitted: Option<Ols> = ols_standardized(&matrix, &rows.csat_5)?;
    Ok(fitted.map(|ols| Multivariate {
        n: ols.n,
        r2: ols.r2,
        coefficients: DRIVERS.iter().map(|(name, _)| *name).zip(ols.coefficients).collect(),
        notes: ols.notes,
    }))
}
