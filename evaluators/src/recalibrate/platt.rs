//! Platt scaling: P(correct) = σ(a · logit(c) + b), fitted by unpenalised maximum
//! likelihood (scikit-learn `LogisticRegression(C=inf)` on the single feature logit(c)).
//!
//! Newton's method on the two parameters converges quadratically and needs nothing but a
//! 2×2 solve, so no linear-algebra crate is pulled in. The unpenalised fit only exists when
//! correct and wrong predictions overlap in confidence; that is checked up front (exactly,
//! in one dimension) instead of letting the iteration run off to infinity.

use serde::{Deserialize, Serialize};

use crate::EvaluatorError;
use crate::calibration::{Pair, validate};

/// Confidences are clipped to [CLIP, 1 − CLIP] before the logit, so 0 and 1 stay finite.
pub const LOGIT_CLIP: f64 = 1e-6;

const MAX_NEWTON_STEPS: usize = 100;
const MAX_STEP_HALVINGS: usize = 60;
/// Stop when a Newton step moves no parameter by more than this (relative to its size).
const STEP_TOLERANCE: f64 = 1e-13;

/// logit(c) with c clipped to [1e-6, 1 − 1e-6].
pub fn clipped_logit(confidence: f64) -> f64 {
    let c = confidence.clamp(LOGIT_CLIP, 1.0 - LOGIT_CLIP);
    (c / (1.0 - c)).ln()
}

/// The logistic function, without overflow for large |z|.
fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// ln(1 + eᶻ) without overflow.
fn softplus(z: f64) -> f64 {
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}

/// A fitted Platt map.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Platt {
    /// Slope on logit(c); 1 for an already calibrated model, < 1 for an overconfident one.
    pub a: f64,
    /// Intercept; 0 for an already calibrated model.
    pub b: f64,
}

/// The training data as (logit, correct) with the sums Newton's method needs.
struct Design {
    x: Vec<f64>,
    y: Vec<f64>,
}

impl Design {
    fn log_likelihood(&self, a: f64, b: f64) -> f64 {
        self.x
            .iter()
            .zip(&self.y)
            .map(|(x, y)| {
                let z = a * x + b;
                // y ln σ(z) + (1 − y) ln(1 − σ(z)), with ln σ(z) = −softplus(−z).
                -(y * softplus(-z) + (1.0 - y) * softplus(z))
            })
            .sum()
    }

    /// Newton step H⁻¹g for the log-likelihood at (a, b), or None if H is singular.
    fn newton_step(&self, a: f64, b: f64) -> Option<(f64, f64)> {
        let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (x, y) in self.x.iter().zip(&self.y) {
            let p = sigmoid(a * x + b);
            let w = p * (1.0 - p);
            ga += (y - p) * x;
            gb += y - p;
            haa += w * x * x;
            hab += w * x;
            hbb += w;
        }
        let det = haa * hbb - hab * hab;
        if !det.is_finite() || det <= 0.0 {
            return None;
        }
        Some(((hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det))
    }
}

impl Platt {
    /// Fits the map on labelled pairs.
    ///
    /// Errors when there are no pairs, a confidence outside [0, 1], only one class, all
    /// confidences equal, or a perfect separation of the classes by confidence (then the
    /// maximum-likelihood slope is infinite; isotonic regression still works).
    pub fn fit(pairs: &[Pair]) -> Result<Platt, EvaluatorError> {
        if pairs.is_empty() {
            return Err(EvaluatorError::NoTrainingPairs { method: "platt" });
        }
        validate(pairs)?;
        let design = Design {
            x: pairs.iter().map(|p| clipped_logit(p.confidence)).collect(),
            y: pairs.iter().map(|p| f64::from(u8::from(p.correct))).collect(),
        };
        check_overlap(pairs, &design.x)?;

        let (mut a, mut b) = (0.0, 0.0);
        let mut likelihood = design.log_likelihood(a, b);
        for _ in 0..MAX_NEWTON_STEPS {
            let Some((step_a, step_b)) = design.newton_step(a, b) else {
                return Err(EvaluatorError::NoConvergence {
                    iterations: MAX_NEWTON_STEPS,
                });
            };
            // Full Newton steps nearly always increase the (concave) likelihood; halve when
            // one overshoots, which can happen far from the optimum.
            let mut scale = 1.0;
            let (mut next_a, mut next_b, mut next_likelihood) = (a, b, likelihood);
            for _ in 0..MAX_STEP_HALVINGS {
                next_a = a + scale * step_a;
                next_b = b + scale * step_b;
                next_likelihood = design.log_likelihood(next_a, next_b);
                if next_likelihood >= likelihood - 1e-12 * likelihood.abs() {
                    break;
                }
                scale /= 2.0;
            }
            let moved = (next_a - a).abs() / (1.0 + a.abs()) + (next_b - b).abs() / (1.0 + b.abs());
            (a, b, likelihood) = (next_a, next_b, next_likelihood);
            if moved < STEP_TOLERANCE {
                return Ok(Platt { a, b });
            }
        }
        Err(EvaluatorError::NoConvergence {
            iterations: MAX_NEWTON_STEPS,
        })
    }

    /// Calibrated P(correct) for a raw confidence.
    pub fn apply(&self, confidence: f64) -> f64 {
        sigmoid(self.a * clipped_logit(confidence) + self.b)
    }
}

/// The unpenalised logistic fit on one feature has a finite optimum exactly when both
/// classes occur and the ranges of their logits overlap in more than a point: otherwise a
/// threshold separates them and the likelihood keeps rising as the slope grows.
fn check_overlap(pairs: &[Pair], logits: &[f64]) -> Result<(), EvaluatorError> {
    let range = |want: bool| {
        pairs
            .iter()
            .zip(logits)
            .filter(|(p, _)| p.correct == want)
            .fold(None, |acc: Option<(f64, f64)>, (_, &x)| match acc {
                None => Some((x, x)),
                Some((lo, hi)) => Some((lo.min(x), hi.max(x))),
            })
    };
    let (correct, wrong) = match (range(true), range(false)) {
        (Some(correct), Some(wrong)) => (correct, wrong),
        (Some(_), None) => return Err(EvaluatorError::SingleClass { correct: true }),
        _ => return Err(EvaluatorError::SingleClass { correct: false }),
    };
    let all_equal = correct.0 == correct.1 && wrong.0 == wrong.1 && correct.0 == wrong.0;
    if all_equal {
        return Err(EvaluatorError::ConstantConfidence);
    }
    if wrong.1 <= correct.0 || correct.1 <= wrong.0 {
        return Err(EvaluatorError::Separable);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logit_is_clipped_and_finite() {
        assert_eq!(clipped_logit(0.5), 0.0);
        let top = clipped_logit(1.0);
        assert!((top - ((1.0 - 1e-6) / 1e-6_f64).ln()).abs() < 1e-9 && top.is_finite());
        // 1 − (1 − 1e-6) is not exactly 1e-6 in f64, so the two ends differ by ~3e-11 (numpy too).
        assert!((clipped_logit(0.0) + top).abs() < 1e-10);
        assert!((sigmoid(clipped_logit(0.8)) - 0.8).abs() < 1e-15);
        assert_eq!(sigmoid(1000.0), 1.0);
        assert_eq!(sigmoid(-1000.0), 0.0);
    }

    /// Two logit values only: the MLE is the saturated fit, so σ(a·xᵢ + b) must equal the
    /// observed accuracy at each of them, which fixes a and b in closed form.
    #[test]
    fn two_point_fit_is_the_saturated_model() {
        let mut pairs = Vec::new();
        pairs.extend([
            Pair::new(0.2, true),
            Pair::new(0.2, false),
            Pair::new(0.2, false),
            Pair::new(0.2, false),
        ]);
        pairs.extend([Pair::new(0.9, true), Pair::new(0.9, true), Pair::new(0.9, false)]);
        let platt = Platt::fit(&pairs).unwrap();
        let logit = |p: f64| (p / (1.0 - p)).ln();
        let a = (logit(2.0 / 3.0) - logit(0.25)) / (clipped_logit(0.9) - clipped_logit(0.2));
        let b = logit(0.25) - a * clipped_logit(0.2);
        assert!(
            (platt.a - a).abs() < 1e-10 && (platt.b - b).abs() < 1e-10,
            "{platt:?} vs {a} {b}"
        );
        assert!((platt.apply(0.2) - 0.25).abs() < 1e-12);
    }

    #[test]
    fn refuses_fits_without_a_finite_optimum() {
        let fit = |pairs: &[(f64, bool)]| Platt::fit(&pairs.iter().map(|&(c, y)| Pair::new(c, y)).collect::<Vec<_>>());
        assert_eq!(fit(&[]), Err(EvaluatorError::NoTrainingPairs { method: "platt" }));
        assert_eq!(
            fit(&[(0.3, true), (0.9, true)]),
            Err(EvaluatorError::SingleClass { correct: true })
        );
        assert_eq!(
            fit(&[(0.3, false), (0.9, false)]),
            Err(EvaluatorError::SingleClass { correct: false })
        );
        assert_eq!(
            fit(&[(0.6, true), (0.6, false)]),
            Err(EvaluatorError::ConstantConfidence)
        );
        assert_eq!(
            fit(&[(0.3, false), (0.5, false), (0.7, true)]),
            Err(EvaluatorError::Separable)
        );
        // Touching at one point is still separable (quasi-complete separation).
        assert_eq!(
            fit(&[(0.3, false), (0.5, false), (0.5, true), (0.7, true)]),
            Err(EvaluatorError::Separable)
        );
        // Reversed separation too.
        assert_eq!(fit(&[(0.3, true), (0.7, false)]), Err(EvaluatorError::Separable));
        // 0 and 1e-7 clip to the same logit, so this is the constant case.
        assert_eq!(
            fit(&[(0.0, true), (1e-7, false)]),
            Err(EvaluatorError::ConstantConfidence)
        );
        assert!(fit(&[(0.3, false), (0.5, true), (0.6, false), (0.7, true)]).is_ok());
    }
}
