//! Embedding drift (METRICS §5): the domain classifier on raw vectors, plus the cosine distance
//! between the two centroids, 1 − cos(mean_R, mean_C).
//!
//! A side is an [`EmbeddingSample`]: the centroid of every valid vector of the window (exact)
//! and every k-th vector up to a cap for the classifier (default 5 000: at 1 536 dimensions
//! that is 7.7 M numbers in a profile). Vectors with a non-finite component are skipped and
//! counted; vectors of another dimension than the first one are an error, because no statistic
//! can compare them.

use serde::{Deserialize, Serialize};

use crate::classifier::{ClassifierParams, Rows, domain_auc, every_kth};
use crate::error::DriftError;
use crate::policy::Verdict;

/// Vectors a reference profile keeps.
pub const DEFAULT_EMBEDDING_SAMPLE_CAP: usize = 5_000;

/// Largest dimension accepted: the classifier's dense matrix is rows × dimension.
pub const MAX_EMBEDDING_DIM: usize = 4_096;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmbeddingSample {
    /// 0 when there is no valid vector.
    pub dim: usize,
    /// Valid vectors the centroid is the mean of.
    pub total: u64,
    /// Vectors skipped for a non-finite component.
    pub skipped: u64,
    pub centroid: Vec<f64>,
    pub vectors: Vec<Vec<f32>>,
}

impl EmbeddingSample {
    pub fn from_vectors(vectors: &[Vec<f32>], cap: usize) -> Result<Self, DriftError> {
        let valid: Vec<usize> = (0..vectors.len())
            .filter(|i| vectors[*i].iter().all(|v| v.is_finite()))
            .collect();
        let dim = valid.first().map_or(0, |first| vectors[*first].len());
        if dim > MAX_EMBEDDING_DIM {
            return Err(DriftError::InvalidInput {
                reason: format!("embeddings of dimension {dim} exceed the supported {MAX_EMBEDDING_DIM}"),
            });
        }
        if let Some(row) = valid.iter().find(|i| vectors[**i].len() != dim) {
            return Err(DriftError::InvalidInput {
                reason: format!(
                    "embedding {row} has dimension {}, the first one {dim}",
                    vectors[*row].len()
                ),
            });
        }
        let mut centroid = vec![0.0; dim];
        for i in &valid {
            centroid
                .iter_mut()
                .zip(&vectors[*i])
                .for_each(|(c, v)| *c += f64::from(*v));
        }
        let total = valid.len();
        centroid.iter_mut().for_each(|c| *c /= total.max(1) as f64);
        Ok(Self {
            dim,
            total: total as u64,
            skipped: (vectors.len() - total) as u64,
            centroid,
            vectors: every_kth(total, cap).map(|k| vectors[valid[k]].clone()).collect(),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingDrift {
    /// Vectors the classifier drew from per side (the samples' rows).
    pub n_ref: u64,
    pub n_cur: u64,
    pub n_heldout: u64,
    /// Held-out ROC AUC of the domain classifier; `None` when `insufficient_data`.
    pub auc: Option<f64>,
    pub threshold: f64,
    pub verdict: Verdict,
    /// 1 − cos(centroid_R, centroid_C) over all valid vectors; `None` when a centroid is zero
    /// or a side is empty.
    pub centroid_distance: Option<f64>,
}

pub fn embedding_drift(
    reference: &EmbeddingSample,
    current: &EmbeddingSample,
    params: &ClassifierParams,
) -> Result<EmbeddingDrift, DriftError> {
    let empty = |sample: &EmbeddingSample| sample.vectors.is_empty();
    if reference.dim != current.dim && !empty(reference) && !empty(current) {
        return Err(DriftError::InvalidInput {
            reason: format!(
                "reference embeddings have dimension {}, current ones {}",
                reference.dim, current.dim
            ),
        });
    }
    for sample in [reference, current] {
        if sample.vectors.iter().any(|v| v.len() != sample.dim) || sample.centroid.len() != sample.dim {
            return Err(DriftError::InvalidInput {
                reason: format!(
                    "an embedding sample holds vectors of other than its dimension {}",
                    sample.dim
                ),
            });
        }
    }
    let score = domain_auc(Rows::Dense(&reference.vectors), Rows::Dense(&current.vectors), params)?;
    let (n_ref, n_cur) = (reference.vectors.len() as u64, current.vectors.len() as u64);
    Ok(EmbeddingDrift {
        n_ref,
        n_cur,
        n_heldout: score.heldout,
        auc: score.auc,
        threshold: params.threshold,
        verdict: params.verdict(n_ref, n_cur, score.auc),
        centroid_distance: cosine_distance(&reference.centroid, &current.centroid),
    })
}

/// 1 − a·b / (‖a‖·‖b‖); `None` for empty or zero vectors or different lengths.
pub fn cosine_distance(a: &[f64], b: &[f64]) -> Option<f64> {
    if a.len() != b.len() || a.is_empty() {
        return None;
    }
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let denominator = norm(a) * norm(b);
    (denominator > 0.0).then(|| 1.0 - dot / denominator)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_distance_of_known_pairs() {
        assert_eq!(cosine_distance(&[1.0, 0.0], &[0.0, 2.0]), Some(1.0));
        assert_eq!(cosine_distance(&[1.0, 1.0], &[-3.0, -3.0]), Some(2.0));
        assert!(cosine_distance(&[1.0, 2.0], &[2.0, 4.0]).is_some_and(|d| d.abs() < 1e-15));
        // 45°: 1 − √2/2.
        let d = cosine_distance(&[1.0, 0.0], &[1.0, 1.0]).expect("non-zero");
        assert!((d - (1.0 - std::f64::consts::FRAC_1_SQRT_2)).abs() < 1e-15);
        assert_eq!(cosine_distance(&[0.0, 0.0], &[1.0, 1.0]), None);
        assert_eq!(cosine_distance(&[], &[]), None);
    }

    #[test]
    fn samples_skip_non_finite_rows_and_refuse_mixed_dimensions() {
        let vectors = vec![vec![1.0, 2.0], vec![f32::NAN, 0.0], vec![3.0, 4.0], vec![5.0, 0.0]];
        let sample = EmbeddingSample::from_vectors(&vectors, 2).expect("one dimension");
        assert_eq!((sample.dim, sample.total, sample.skipped), (2, 3, 1));
        assert_eq!(sample.centroid, vec![3.0, 2.0]);
        assert_eq!(sample.vectors, vec![vec![1.0, 2.0], vec![5.0, 0.0]]);
        assert!(EmbeddingSample::from_vectors(&[vec![1.0], vec![1.0, 2.0]], 10).is_err());
        assert!(EmbeddingSample::from_vectors(&[vec![0.0; MAX_EMBEDDING_DIM + 1]], 10).is_err());
        let empty = EmbeddingSample::from_vectors(&[], 10).expect("nothing to refuse");
        assert_eq!((empty.dim, empty.total), (0, 0));
    }
}
