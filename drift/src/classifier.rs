//! The domain classifier of METRICS §5 for text and embeddings: can a model tell current rows
//! from reference rows? Logistic regression (linfa) on reference = 0 / current = 1, scored by
//! ROC AUC on held-out rows; 0.5 means indistinguishable, drift when AUC > 0.55.
//!
//! Design, because linfa-logistic fits dense `ndarray` matrices only (no sparse input):
//!
//! - Rows per side are capped (default 5 000, every k-th row so the whole window is covered),
//!   and split 70/30 into training and held-out rows by a seeded hash of (side, row index), so
//!   a run is reproducible and independent of thread timing.
//! - Hashed text features (see [`crate::text`]) are compacted to the columns that occur in
//!   some training row before the dense matrix is built. That changes nothing in the model:
//!   a column that is zero in every training row gets a zero gradient beyond the L2 term, so
//!   its weight stays 0. Embedding columns are standardised with the training rows' mean and
//!   standard deviation, which keeps L-BFGS well conditioned whatever the embedding's scale.
//! - The matrix is `f32` and column-major: with the defaults (7 000 training rows × at most
//!   4 096 columns) that is at most 115 MB, and a release build fits it in about 3–4 s
//!   (`benches/drift.rs`). Scores of held-out rows are computed sparsely in `f64` from the
//!   fitted weights, so AUC ties come from the data, not from a saturated probability.

use std::collections::HashMap;

use linfa::DatasetBase;
use linfa::traits::Fit;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2, ArrayViewMut1, ShapeBuilder};
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::error::DriftError;
use crate::policy::Verdict;

/// METRICS §5: drift when the held-out AUC exceeds this.
pub const DEFAULT_AUC_THRESHOLD: f64 = 0.55;

/// Rows each side needs before the classifier is fitted at all.
pub const DEFAULT_MIN_ROWS: u64 = 100;

/// Rows per side the classifier sees (memory and time bound, see the module docs).
pub const DEFAULT_MAX_ROWS_PER_SIDE: usize = 5_000;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClassifierParams {
    /// Drift when AUC > threshold.
    pub threshold: f64,
    /// Rows each side needs; fewer gives `insufficient_data` and no AUC.
    pub min_rows: u64,
    /// Rows per side fitted and scored; more are thinned to every k-th.
    pub max_rows_per_side: usize,
    /// Share of rows held out for the AUC, in (0, 1).
    pub heldout_share: f64,
    /// Seed of the train/held-out split.
    pub seed: u64,
    /// L2 penalty of the logistic loss (linfa's `alpha`: loss = Σ log-loss + α/2·‖w‖²).
    pub alpha: f64,
    /// L-BFGS iterations.
    pub max_iterations: u64,
}

impl Default for ClassifierParams {
    fn default() -> Self {
        Self {
            threshold: DEFAULT_AUC_THRESHOLD,
            min_rows: DEFAULT_MIN_ROWS,
            max_rows_per_side: DEFAULT_MAX_ROWS_PER_SIDE,
            heldout_share: 0.3,
            seed: 0,
            alpha: 1.0,
            max_iterations: 100,
        }
    }
}

impl ClassifierParams {
    fn check(&self) -> Result<(), DriftError> {
        let out_of_range = |name, value, expected| Err(DriftError::InvalidParameter { name, value, expected });
        if !(self.threshold.is_finite() && (0.0..=1.0).contains(&self.threshold)) {
            return out_of_range("threshold", self.threshold, "in [0, 1]");
        }
        if !(self.heldout_share > 0.0 && self.heldout_share < 1.0) {
            return out_of_range("heldout_share", self.heldout_share, "in (0, 1)");
        }
        if !(self.alpha.is_finite() && self.alpha >= 0.0) {
            return out_of_range("alpha", self.alpha, "a finite number ≥ 0");
        }
        if self.max_rows_per_side < 2 {
            return out_of_range("max_rows_per_side", self.max_rows_per_side as f64, "at least 2");
        }
        Ok(())
    }

    /// `insufficient_data` below `min_rows` a side or without an AUC; else AUC > threshold.
    pub(crate) fn verdict(&self, rows_ref: u64, rows_cur: u64, auc: Option<f64>) -> Verdict {
        match auc {
            Some(auc) if rows_ref.min(rows_cur) >= self.min_rows => {
                if auc > self.threshold {
                    Verdict::Drift
                } else {
                    Verdict::NoDrift
                }
            }
            _ => Verdict::InsufficientData,
        }
    }
}

/// A sparse feature row: (column, value), columns ascending and distinct.
pub(crate) type SparseRow = Vec<(u32, f32)>;

/// One side's rows, all of one kind.
#[derive(Clone, Copy)]
pub(crate) enum Rows<'a> {
    Sparse(&'a [SparseRow]),
    Dense(&'a [Vec<f32>]),
}

impl Rows<'_> {
    fn len(&self) -> usize {
        match self {
            Rows::Sparse(rows) => rows.len(),
            Rows::Dense(rows) => rows.len(),
        }
    }
}

/// The classifier's result.
pub(crate) struct DomainScore {
    pub auc: Option<f64>,
    pub heldout: u64,
}

/// Fits reference (0) against current (1) and scores the held-out rows. No AUC when a side has
/// fewer than `min_rows` rows or the split leaves a class out of training or held-out rows.
pub(crate) fn domain_auc(
    reference: Rows<'_>,
    current: Rows<'_>,
    params: &ClassifierParams,
) -> Result<DomainScore, DriftError> {
    params.check()?;
    let none = DomainScore { auc: None, heldout: 0 };
    if (reference.len().min(current.len()) as u64) < params.min_rows {
        return Ok(none);
    }
    let (mut train, mut heldout) = (Vec::new(), Vec::new());
    for (side, rows) in [(false, reference), (true, current)] {
        for index in every_kth(rows.len(), params.max_rows_per_side) {
            let row = (side, index);
            if is_heldout(params.seed, side, index, params.heldout_share) {
                heldout.push(row);
            } else {
                train.push(row);
            }
        }
    }
    let both = |rows: &[(bool, usize)]| rows.iter().any(|r| r.0) && rows.iter().any(|r| !r.0);
    if !both(&train) || !both(&heldout) {
        return Ok(none);
    }
    let encoder = Encoder::fit(reference, current, &train)?;
    let labels: Vec<bool> = heldout.iter().map(|(side, _)| *side).collect();
    if encoder.width() == 0 {
        // No feature at all (empty texts, zero-dimensional vectors): nothing can tell the sides
        // apart, every held-out row scores alike, and the AUC is ½.
        return Ok(DomainScore {
            auc: roc_auc(&vec![0.0; labels.len()], &labels),
            heldout: labels.len() as u64,
        });
    }
    // Column-major: linfa's gradient multiplies by the transpose, which is then contiguous;
    // row-major makes that product walk the matrix with a stride of a whole row and takes ~20×
    // longer (1 s per L-BFGS step at 7 000 × 4 096).
    let mut x = Array2::<f32>::zeros((train.len(), encoder.width()).f());
    for (out, (side, index)) in x.rows_mut().into_iter().zip(&train) {
        let rows = if *side { current } else { reference };
        encoder.write(rows, *index, out);
    }
    let y: Array1<bool> = train.iter().map(|(side, _)| *side).collect();
    let model = LogisticRegression::<f32>::default()
        .alpha(params.alpha as f32)
        .max_iterations(params.max_iterations)
        .fit(&DatasetBase::new(x, y))
        .map_err(|error| DriftError::Classifier {
            reason: error.to_string(),
        })?;
    // linfa's positive class is the more frequent label; turn scores so high means current.
    let sign = if model.labels().pos.class { 1.0 } else { -1.0 };
    let weights: Vec<f64> = model.params().iter().map(|w| sign * f64::from(*w)).collect();
    let intercept = sign * f64::from(model.intercept());
    let scores: Vec<f64> = heldout
        .iter()
        .map(|(side, index)| {
            let rows = if *side { current } else { reference };
            intercept + encoder.dot(rows, *index, &weights)
        })
        .collect();
    Ok(DomainScore {
        auc: roc_auc(&scores, &labels),
        heldout: heldout.len() as u64,
    })
}

/// Maps rows to the columns of the dense training matrix.
enum Encoder {
    /// Hashed column → matrix column, for the columns some training row uses.
    Sparse(HashMap<u32, usize>),
    /// Per column mean and standard deviation of the training rows (1 where constant).
    Dense { mean: Vec<f64>, scale: Vec<f64> },
}

impl Encoder {
    fn fit(reference: Rows<'_>, current: Rows<'_>, train: &[(bool, usize)]) -> Result<Self, DriftError> {
        match (reference, current) {
            (Rows::Sparse(reference), Rows::Sparse(current)) => {
                let mut used: Vec<u32> = train
                    .iter()
                    .flat_map(|(side, index)| if *side { &current[*index] } else { &reference[*index] })
                    .map(|(column, _)| *column)
                    .collect();
                used.sort_unstable();
                used.dedup();
                Ok(Encoder::Sparse(used.into_iter().zip(0..).collect()))
            }
            (Rows::Dense(reference), Rows::Dense(current)) => {
                let row = |(side, index): &(bool, usize)| if *side { &current[*index] } else { &reference[*index] };
                let width = train.first().map_or(0, |first| row(first).len());
                let n = train.len() as f64;
                let mut mean = vec![0.0; width];
                for values in train.iter().map(row) {
                    mean.iter_mut().zip(values).for_each(|(m, v)| *m += f64::from(*v) / n);
                }
                let mut variance = vec![0.0; width];
                for values in train.iter().map(row) {
                    for ((s, m), v) in variance.iter_mut().zip(&mean).zip(values) {
                        *s += (f64::from(*v) - m).powi(2) / n;
                    }
                }
                let scale = variance
                    .into_iter()
                    .map(|v| if v > 0.0 { v.sqrt() } else { 1.0 })
                    .collect();
                Ok(Encoder::Dense { mean, scale })
            }
            _ => Err(DriftError::InvalidInput {
                reason: "reference and current rows are of different kinds".to_owned(),
            }),
        }
    }

    fn width(&self) -> usize {
        match self {
            Encoder::Sparse(columns) => columns.len(),
            Encoder::Dense { mean, .. } => mean.len(),
        }
    }

    /// Writes row `index` into a zeroed matrix row.
    fn write(&self, rows: Rows<'_>, index: usize, mut out: ArrayViewMut1<'_, f32>) {
        match (self, rows) {
            (Encoder::Sparse(columns), Rows::Sparse(rows)) => {
                for (column, value) in &rows[index] {
                    if let Some(slot) = columns.get(column).and_then(|c| out.get_mut(*c)) {
                        *slot = *value;
                    }
                }
            }
            (Encoder::Dense { mean, scale }, Rows::Dense(rows)) => {
                for (((slot, v), m), s) in out.iter_mut().zip(&rows[index]).zip(mean).zip(scale) {
                    *slot = ((f64::from(*v) - m) / s) as f32;
                }
            }
            _ => {}
        }
    }

    /// The row's encoded features times `weights`, in f64; columns unseen in training weigh 0.
    fn dot(&self, rows: Rows<'_>, index: usize, weights: &[f64]) -> f64 {
        match (self, rows) {
            (Encoder::Sparse(columns), Rows::Sparse(rows)) => rows[index]
                .iter()
                .filter_map(|(column, value)| Some(weights.get(*columns.get(column)?)? * f64::from(*value)))
                .sum(),
            (Encoder::Dense { mean, scale }, Rows::Dense(rows)) => rows[index]
                .iter()
                .zip(mean)
                .zip(scale)
                .zip(weights)
                .map(|(((v, m), s), w)| w * (f64::from(*v) - m) / s)
                .sum(),
            _ => 0.0,
        }
    }
}

/// Indices 0, k, 2k, … with k = ⌈n / cap⌉: at most `cap` rows spread over the whole input.
pub(crate) fn every_kth(n: usize, cap: usize) -> impl Iterator<Item = usize> {
    let stride = if cap == 0 { n.max(1) } else { n.div_ceil(cap).max(1) };
    (0..n).step_by(stride).take(cap)
}

/// Whether row `index` of a side is held out: a seeded hash of (side, index) below the share.
fn is_heldout(seed: u64, side: bool, index: usize, share: f64) -> bool {
    let mut key = [0_u8; 9];
    key[0] = u8::from(side);
    key[1..].copy_from_slice(&(index as u64).to_le_bytes());
    // The top 53 bits as a uniform number in [0, 1).
    let uniform = (xxh3_64_with_seed(&key, seed) >> 11) as f64 / (1_u64 << 53) as f64;
    uniform < share
}

/// ROC AUC of `scores` for `labels` (true = positive): the probability that a random positive
/// scores above a random negative, ties counted half (the Mann–Whitney U / (n₊·n₋)). `None`
/// when a class is missing, the lengths differ, or a score is NaN.
pub fn roc_auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    if scores.len() != labels.len() || scores.iter().any(|s| s.is_nan()) {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|a, b| scores[*a].total_cmp(&scores[*b]));
    // Twice U, in integers: each positive beats the negatives below its tie group and ties half
    // of those inside it. Exact up to one final division.
    let (mut twice_u, mut negatives_below, mut positives) = (0_u128, 0_u128, 0_u128);
    let mut start = 0;
    while start < order.len() {
        let value = scores[order[start]];
        // `==` so that −0.0 and 0.0 (adjacent under total_cmp) tie, as they do in sklearn.
        let end = start + order[start..].iter().take_while(|i| scores[**i] == value).count();
        let group_positives = order[start..end].iter().filter(|i| labels[**i]).count() as u128;
        let group_negatives = (end - start) as u128 - group_positives;
        twice_u += group_positives * (2 * negatives_below + group_negatives);
        negatives_below += group_negatives;
        positives += group_positives;
        start = end;
    }
    let pairs = positives * negatives_below;
    (pairs > 0).then(|| twice_u as f64 / (2 * pairs) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_of_hand_counted_cases() {
        // Positives 0.9, 0.4; negatives 0.5, 0.1: pairs won 0.9>0.5, 0.9>0.1, 0.4>0.1 → 3/4.
        assert_eq!(roc_auc(&[0.9, 0.5, 0.4, 0.1], &[true, false, true, false]), Some(0.75));
        // Everything tied: every pair counts half.
        assert_eq!(roc_auc(&[1.0; 5], &[true, false, false, true, false]), Some(0.5));
        assert_eq!(roc_auc(&[-0.0, 0.0], &[true, false]), Some(0.5));
        assert_eq!(roc_auc(&[1.0, 2.0], &[true, true]), None);
        assert_eq!(roc_auc(&[1.0, f64::NAN], &[true, false]), None);
        assert_eq!(roc_auc(&[1.0], &[true, false]), None);
    }

    #[test]
    fn every_kth_covers_the_input_within_the_cap() {
        assert_eq!(every_kth(5, 10).collect::<Vec<_>>(), vec![0, 1, 2, 3, 4]);
        assert_eq!(every_kth(10, 4).collect::<Vec<_>>(), vec![0, 3, 6, 9]);
        assert_eq!(every_kth(9, 3).collect::<Vec<_>>(), vec![0, 3, 6]);
        assert_eq!(every_kth(9, 0).count(), 0);
    }

    #[test]
    fn the_split_is_seeded_and_near_its_share() {
        let heldout = (0..10_000).filter(|i| is_heldout(7, true, *i, 0.3)).count();
        assert!((2_800..3_200).contains(&heldout), "{heldout}");
        let same = (0..1000).all(|i| is_heldout(7, false, i, 0.3) == is_heldout(7, false, i, 0.3));
        let other_seed = (0..1000).filter(|i| is_heldout(7, false, *i, 0.3) != is_heldout(8, false, *i, 0.3));
        assert!(same && other_seed.count() > 100);
    }

    #[test]
    fn verdict_needs_rows_and_an_auc_above_the_threshold() {
        let params = ClassifierParams::default();
        assert_eq!(params.verdict(100, 100, Some(0.56)), Verdict::Drift);
        assert_eq!(params.verdict(100, 100, Some(0.55)), Verdict::NoDrift);
        assert_eq!(params.verdict(99, 1000, Some(0.9)), Verdict::InsufficientData);
        assert_eq!(params.verdict(1000, 1000, None), Verdict::InsufficientData);
    }
}
