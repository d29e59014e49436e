//! Isotonic recalibration: the non-decreasing step fit of correct on confidence by
//! pool-adjacent-violators, stored as breakpoints and applied by linear interpolation,
//! clipped outside the training range. Matches scikit-learn
//! `IsotonicRegression(increasing=True, out_of_bounds="clip")` including its handling of
//! duplicate confidences and its trimming of redundant breakpoints.

use serde::{Deserialize, Serialize};

use crate::EvaluatorError;
use crate::calibration::{Pair, validate};

/// Confidences closer than this are one x, as in scikit-learn (numpy's float64 resolution).
const SAME_X: f64 = 1e-15;

/// A fitted isotonic map: breakpoints with strictly increasing `x` and non-decreasing `y`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Breakpoints", into = "Breakpoints")]
pub struct Isotonic {
    x: Vec<f64>,
    y: Vec<f64>,
}

/// The serialised form, checked on the way in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Breakpoints {
    pub x: Vec<f64>,
    pub y: Vec<f64>,
}

impl TryFrom<Breakpoints> for Isotonic {
    type Error = EvaluatorError;

    fn try_from(points: Breakpoints) -> Result<Self, Self::Error> {
        Isotonic::from_breakpoints(points.x, points.y)
    }
}

impl From<Isotonic> for Breakpoints {
    fn from(map: Isotonic) -> Self {
        Breakpoints { x: map.x, y: map.y }
    }
}

/// Unique x (within [`SAME_X`]) with the mean of their y and their count as weight.
struct Merged {
    x: Vec<f64>,
    y: Vec<f64>,
    weight: Vec<f64>,
}

/// Sorts by (confidence, correct) and merges confidences closer than [`SAME_X`] to the first
/// of their run, as scikit-learn's `_make_unique` does.
fn merge_duplicates(pairs: &[Pair]) -> Merged {
    let mut sorted: Vec<(f64, f64)> = pairs
        .iter()
        .map(|p| (p.confidence, f64::from(u8::from(p.correct))))
        .collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut merged = Merged {
        x: Vec::new(),
        y: Vec::new(),
        weight: Vec::new(),
    };
    let mut run: Option<(f64, f64, f64)> = None; // (first x, Σy, count)
    for (x, y) in sorted {
        run = match run {
            Some((first, sum, count)) if x - first < SAME_X => Some((first, sum + y, count + 1.0)),
            Some((first, sum, count)) => {
                merged.x.push(first);
                merged.y.push(sum / count);
                merged.weight.push(count);
                Some((x, y, 1.0))
            }
            None => Some((x, y, 1.0)),
        };
    }
    if let Some((first, sum, count)) = run {
        merged.x.push(first);
        merged.y.push(sum / count);
        merged.weight.push(count);
    }
    merged
}

/// Weighted pool-adjacent-violators for a non-decreasing fit, in place. Each block is a
/// run of equal fitted values whose value is the weighted mean of the run; adjacent blocks
/// are pooled while the earlier one is not strictly below the later one.
fn pool_adjacent_violators(y: &mut [f64], weight: &[f64]) {
    // (value, weight, length) of each block so far.
    let mut blocks: Vec<(f64, f64, usize)> = Vec::with_capacity(y.len());
    for (&value, &w) in y.iter().zip(weight) {
        let mut block = (value, w, 1);
        while let Some(&(last_value, last_weight, last_len)) = blocks.last() {
            if last_value < block.0 {
                break;
            }
            let total = last_weight + block.1;
            block = (
                (last_value * last_weight + block.0 * block.1) / total,
                total,
                last_len + block.2,
            );
            blocks.pop();
        }
        blocks.push(block);
    }
    let mut position = 0;
    for (value, _, len) in blocks {
        for slot in y.iter_mut().skip(position).take(len) {
            *slot = value;
        }
        position += len;
    }
}

impl Isotonic {
    /// Fits the map on labelled pairs. Errors on no pairs or a confidence outside [0, 1].
    pub fn fit(pairs: &[Pair]) -> Result<Isotonic, EvaluatorError> {
        if pairs.is_empty() {
            return Err(EvaluatorError::NoTrainingPairs { method: "isotonic" });
        }
        validate(pairs)?;
        let Merged { x, mut y, weight } = merge_duplicates(pairs);
        pool_adjacent_violators(&mut y, &weight);
        // Interior points whose y equals both neighbours' add nothing to the interpolation.
        let keep: Vec<bool> = (0..x.len())
            .map(|i| i == 0 || i + 1 == x.len() || y[i] != y[i - 1] || y[i] != y[i + 1])
            .collect();
        let pick = |values: &[f64]| values.iter().zip(&keep).filter(|(_, k)| **k).map(|(v, _)| *v).collect();
        Ok(Isotonic {
            x: pick(&x),
            y: pick(&y),
        })
    }

    /// A map from stored breakpoints, checked: non-empty, equal lengths, finite, x strictly
    /// increasing, y non-decreasing and in [0, 1].
    pub fn from_breakpoints(x: Vec<f64>, y: Vec<f64>) -> Result<Isotonic, EvaluatorError> {
        let invalid = |reason: &str| {
            Err(EvaluatorError::InvalidBreakpoints {
                reason: reason.to_string(),
            })
        };
        if x.is_empty() || x.len() != y.len() {
            return invalid("x and y must be non-empty and of equal length");
        }
        if x.iter().chain(&y).any(|v| !v.is_finite()) {
            return invalid("every value must be finite");
        }
        if x.windows(2).any(|w| w[0] >= w[1]) {
            return invalid("x must be strictly increasing");
        }
        if y.windows(2).any(|w| w[0] > w[1]) || y.iter().any(|v| !(0.0..=1.0).contains(v)) {
            return invalid("y must be non-decreasing and in [0, 1]");
        }
        Ok(Isotonic { x, y })
    }

    pub fn x(&self) -> &[f64] {
        &self.x
    }

    pub fn y(&self) -> &[f64] {
        &self.y
    }

    /// Calibrated P(correct) for a raw confidence: linear interpolation between
    /// breakpoints, the end values outside them. NaN stays NaN.
    pub fn apply(&self, confidence: f64) -> f64 {
        let (Some(&x_first), Some(&x_last)) = (self.x.first(), self.x.last()) else {
            return f64::NAN; // unreachable: both constructors refuse empty breakpoints
        };
        if confidence.is_nan() {
            return f64::NAN;
        }
        let c = confidence.clamp(x_first, x_last);
        // First breakpoint ≥ c; the segment is [upper − 1, upper].
        let upper = self
            .x
            .partition_point(|&x| x < c)
            .clamp(1, self.x.len().saturating_sub(1).max(1));
        match (
            self.x.get(upper - 1),
            self.x.get(upper),
            self.y.get(upper - 1),
            self.y.get(upper),
        ) {
            // Interpolation is monotone within a segment but can overshoot y1 by an ulp at its
            // end; keeping it inside [y0, y1] keeps the whole map non-decreasing.
            (Some(&x0), Some(&x1), Some(&y0), Some(&y1)) => ((y1 - y0) / (x1 - x0) * (c - x0) + y0).max(y0).min(y1),
            _ => self.y.first().copied().unwrap_or(f64::NAN), // a single breakpoint: constant
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(data: &[(f64, bool)]) -> Vec<Pair> {
        data.iter().map(|&(c, y)| Pair::new(c, y)).collect()
    }

    /// Hand-worked: y = 1, 0, 1, 0, 1 at x = 0.1 … 0.5. Pooling (1, 0) gives ½, and the second
    /// (1, 0) pools to ½ as well, which ties with the first block and merges into it
    /// (ties pool); the last 1 stands alone: ½, ½, ½, ½, 1 (squared error 1, against 7/6 for
    /// ½, ½, ⅔, ⅔, ⅔). The two interior ½ are redundant breakpoints.
    #[test]
    fn pools_violators_to_weighted_means() {
        let fit = Isotonic::fit(&pairs(&[
            (0.1, true),
            (0.2, false),
            (0.3, true),
            (0.4, false),
            (0.5, true),
        ]))
        .unwrap();
        assert_eq!(fit.x(), [0.1, 0.4, 0.5]);
        assert_eq!(fit.y(), [0.5, 0.5, 1.0]);
        assert_eq!(fit.apply(0.0), 0.5);
        assert_eq!(fit.apply(0.25), 0.5);
        assert!((fit.apply(0.45) - 0.75).abs() < 1e-15);
        assert_eq!(fit.apply(0.9), 1.0);
        assert!(fit.apply(f64::NAN).is_nan());
    }

    #[test]
    fn single_breakpoint_is_constant() {
        let fit = Isotonic::fit(&pairs(&[(0.4, true), (0.4, false), (0.4, true), (0.4, true)])).unwrap();
        assert_eq!(fit.x(), [0.4]);
        for c in [0.0, 0.4, 1.0] {
            assert_eq!(fit.apply(c), 0.75);
        }
    }

    #[test]
    fn breakpoints_are_checked() {
        assert!(Isotonic::from_breakpoints(vec![], vec![]).is_err());
        assert!(Isotonic::from_breakpoints(vec![0.1, 0.2], vec![0.5]).is_err());
        assert!(Isotonic::from_breakpoints(vec![0.2, 0.1], vec![0.1, 0.5]).is_err());
        assert!(Isotonic::from_breakpoints(vec![0.1, 0.2], vec![0.5, 0.1]).is_err());
        assert!(Isotonic::from_breakpoints(vec![0.1, 0.2], vec![0.5, 1.5]).is_err());
        assert!(Isotonic::from_breakpoints(vec![0.1, f64::NAN], vec![0.5, 0.6]).is_err());
        assert!(Isotonic::from_breakpoints(vec![0.1, 0.2], vec![0.5, 0.6]).is_ok());
        assert!(Isotonic::fit(&[]).is_err());
    }
}
