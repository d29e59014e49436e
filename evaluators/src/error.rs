//! Errors of the evaluators crate.
//!
//! Statistics that are merely undefined on the data (a correlation over three rows, a
//! calibration report of nothing) are not errors: they are `None` / `null` in the output,
//! as METRICS says. Errors are inputs the math cannot take at all.

use convolens_core::ErrorClass;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvaluatorError {
    #[error("calibration needs at least one bin, got 0")]
    ZeroBins,
    #[error("confidence of pair {index} is {value}, not a number in [0, 1]")]
    ConfidenceOutOfRange { index: usize, value: f64 },
    #[error("x has {x_len} values but y has {y_len}")]
    LengthMismatch { x_len: usize, y_len: usize },
    #[error("row {row} has {found} driver values, the first row has {expected}")]
    RaggedRow { row: usize, expected: usize, found: usize },
    #[error("least squares fit failed: {reason}")]
    LeastSquares { reason: String },
    #[error("cannot fit {method} calibration on 0 pairs")]
    NoTrainingPairs { method: &'static str },
    #[error("cannot fit Platt scaling: every training prediction is {}", if *.correct { "correct" } else { "wrong" })]
    SingleClass { correct: bool },
    #[error("cannot fit Platt scaling: all training confidences are equal (after clipping to [1e-6, 1 - 1e-6])")]
    ConstantConfidence,
    #[error(
        "cannot fit Platt scaling: confidence separates correct from wrong predictions perfectly, \
         so the unpenalised fit has no finite solution (use isotonic)"
    )]
    Separable,
    #[error("Platt scaling did not converge in {iterations} Newton steps")]
    NoConvergence { iterations: usize },
    #[error("isotonic breakpoints are invalid: {reason}")]
    InvalidBreakpoints { reason: String },
    #[error("calibration map has format `{found}`, this build reads `{expected}`")]
    UnknownMapFormat { found: String, expected: &'static str },
}

impl EvaluatorError {
    /// Evaluators run over a finished query result, so nothing here is transient: whatever
    /// asked for the evaluation has to change its input or its options.
    pub fn class(&self) -> ErrorClass {
        ErrorClass::Stop
    }
}
