//! convolens-evaluators: the pure math behind convolens' model and CSAT evaluations. No I/O;
//! the SQL views and the CLI feed it plain slices and serialise what it returns.
//!
//! - [`calibration`]: reliability bins, ECE, MCE, adaptive ECE and Brier score of
//!   (confidence, correct) [`Pair`]s ([`calibration::evaluate`] → [`CalibrationReport`]), and
//!   the bin rule itself ([`calibration::bin_of`], and [`calibration::BIN_SQL_EXPR`] for SQL).
//! - [`recalibrate`]: Platt scaling and isotonic regression maps, the handoff threshold for a
//!   target accuracy (overall and per predicted intent), and the versioned JSON artefact
//!   [`CalibrationMap`], fitted on [`LabelledPrediction`]s.
//! - [`drivers`]: Pearson and Spearman correlation of a driver with CSAT, with p-values and a
//!   Fisher interval ([`drivers::correlate`] → [`Correlation`]), and a standardised OLS.
//! - [`special`]: log-gamma, incomplete beta and Student-t tails for the p-values.
//!
//! Definitions are those of `METRICS.md` §3 and §4; `reference/make_reference.py` computes
//! the same numbers with numpy, scipy and scikit-learn for the tests.

pub mod calibration;
pub mod drivers;
mod error;
pub mod recalibrate;
pub mod special;

pub use calibration::{Bin, CalibrationReport, Pair};
pub use drivers::{Correlation, Ols};
pub use error::EvaluatorError;
pub use recalibrate::{
    CalibrationMap, FittedMap, IntentThreshold, Isotonic, LabelledPrediction, MapOptions, Method, Platt,
};
