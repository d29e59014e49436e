//! Errors of the drift crate. Every one is a configuration or state mismatch found before any
//! number is computed (data itself never errors: nulls and non-finite values are counted, not
//! rejected; the one exception is embeddings of mixed dimension, which no statistic can use),
//! so every one stops the run.

use convolens_core::ErrorClass;

use crate::policy::Method;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DriftError {
    #[error("bin edges must be finite and strictly increasing, found {found:?} at position {position}")]
    InvalidEdges { position: usize, found: f64 },

    #[error("cannot merge histograms frozen on different bin edges ({left} vs {right} edges)")]
    EdgesMismatch { left: usize, right: usize },

    #[error("histogram has {counts} counts for {edges} edges; it needs edges + 1")]
    CountsLength { edges: usize, counts: usize },

    #[error("share vectors differ in length: {reference} reference bins vs {current} current bins")]
    SharesLength { reference: usize, current: usize },

    #[error("empirical sample is malformed: {reason}")]
    InvalidSample { reason: String },

    #[error("feature `{feature}`: method `{method}` does not apply to {kind} features")]
    MethodNotApplicable {
        feature: String,
        method: Method,
        kind: &'static str,
    },

    #[error("reference profile: {reason}")]
    Profile { reason: String },

    #[error("invalid input: {reason}")]
    InvalidInput { reason: String },

    #[error("the domain classifier failed to fit: {reason}")]
    Classifier { reason: String },

    #[error("parameter `{name}` = {value} is out of range: {expected}")]
    InvalidParameter {
        name: &'static str,
        value: f64,
        expected: &'static str,
    },
}

impl DriftError {
    pub fn class(&self) -> ErrorClass {
        ErrorClass::Stop
    }
}
