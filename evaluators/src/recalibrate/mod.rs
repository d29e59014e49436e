//! Recalibration (METRICS §4): a fitted map c → P(correct), by Platt scaling or isotonic
//! regression, the ECE it achieves on held-out pairs, and the handoff threshold that
//! reaches a target accuracy. [`CalibrationMap`] is the versioned JSON artefact.

mod isotonic;
mod platt;
mod threshold;

use std::fmt;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};

use crate::EvaluatorError;
use crate::calibration::{Pair, evaluate, validate};

pub use isotonic::{Breakpoints, Isotonic};
pub use platt::{LOGIT_CLIP, Platt, clipped_logit};
pub use threshold::threshold_for_accuracy;

/// The `format` of every calibration map this build writes and reads.
pub const CALIBRATION_MAP_FORMAT: &str = "convolens.calibration-map/1";

/// METRICS' default target accuracy for the handoff threshold.
pub const DEFAULT_TARGET_ACCURACY: f64 = 0.90;

/// Which recalibration to fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Platt,
    Isotonic,
}

/// A fitted map, serialised as `"method": "platt", "params": {"a", "b"}` or
/// `"method": "isotonic", "breakpoints": {"x": [...], "y": [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum FittedMap {
    Platt { params: Platt },
    Isotonic { breakpoints: Isotonic },
}

impl FittedMap {
    pub fn fit(method: Method, pairs: &[Pair]) -> Result<FittedMap, EvaluatorError> {
        Ok(match method {
            Method::Platt => FittedMap::Platt {
                params: Platt::fit(pairs)?,
            },
            Method::Isotonic => FittedMap::Isotonic {
                breakpoints: Isotonic::fit(pairs)?,
            },
        })
    }

    pub fn method(&self) -> Method {
        match self {
            FittedMap::Platt { .. } => Method::Platt,
            FittedMap::Isotonic { .. } => Method::Isotonic,
        }
    }

    /// Calibrated P(correct) for a raw confidence.
    pub fn apply(&self, confidence: f64) -> f64 {
        match self {
            FittedMap::Platt { params } => params.apply(confidence),
            FittedMap::Isotonic { breakpoints } => breakpoints.apply(confidence),
        }
    }
}

/// The `format` marker: serialises as [`CALIBRATION_MAP_FORMAT`] and refuses any other
/// value on the way in, so a map from a future, incompatible build is never misread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MapFormat;

impl Serialize for MapFormat {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(CALIBRATION_MAP_FORMAT)
    }
}

impl<'de> Deserialize<'de> for MapFormat {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let found = String::deserialize(deserializer)?;
        if found == CALIBRATION_MAP_FORMAT {
            Ok(MapFormat)
        } else {
            Err(de::Error::custom(EvaluatorError::UnknownMapFormat {
                found,
                expected: CALIBRATION_MAP_FORMAT,
            }))
        }
    }
}

/// The prediction-time window the map was fitted on, as written on the command line
/// (a date or an RFC 3339 timestamp each, half-open).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FittedOn {
    pub from: String,
    pub to: String,
}

impl fmt::Display for FittedOn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.from, self.to)
    }
}

/// What to fit and how to judge it.
#[derive(Debug, Clone, PartialEq)]
pub struct MapOptions {
    pub model: String,
    pub model_version: Option<String>,
    pub method: Method,
    pub fitted_on: FittedOn,
    /// Bins of the held-out ECE (METRICS default 10).
    pub bins: usize,
    /// Accuracy the handoff threshold must reach (METRICS default 0.90).
    pub target_accuracy: f64,
}

/// A versioned recalibration map for one model version (`convolens.calibration-map/1`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationMap {
    pub format: MapFormat,
    pub model: String,
    pub model_version: Option<String>,
    #[serde(flatten)]
    pub map: FittedMap,
    /// Smallest calibrated confidence whose held-out accuracy at or above it reaches
    /// `target_accuracy`; null if none does or there are no held-out pairs.
    pub threshold: Option<f64>,
    pub target_accuracy: f64,
    pub fitted_on: FittedOn,
    pub n_train: usize,
    pub n_held_out: usize,
    pub bins: usize,
    /// ECE of the raw confidences on the held-out pairs.
    pub ece_before: Option<f64>,
    /// ECE of the calibrated confidences on the same held-out pairs.
    pub ece_after: Option<f64>,
}

impl CalibrationMap {
    /// Fits the map on `train` and measures it on `held_out` (disjoint from `train`; how to
    /// split, e.g. by a hash of the prediction's event id, is the caller's choice). With no
    /// held-out pairs the ECEs and the threshold are null.
    pub fn fit(options: MapOptions, train: &[Pair], held_out: &[Pair]) -> Result<CalibrationMap, EvaluatorError> {
        let map = FittedMap::fit(options.method, train)?;
        validate(held_out)?;
        let calibrated: Vec<Pair> = held_out
            .iter()
            .map(|p| Pair::new(map.apply(p.confidence), p.correct))
            .collect();
        let ece_before = evaluate(held_out, options.bins)?.ece;
        let ece_after = evaluate(&calibrated, options.bins)?.ece;
        let scored: Vec<(f64, bool)> = calibrated.iter().map(|p| (p.confidence, p.correct)).collect();
        Ok(CalibrationMap {
            format: MapFormat,
            model: options.model,
            model_version: options.model_version,
            map,
            threshold: threshold_for_accuracy(&scored, options.target_accuracy),
            target_accuracy: options.target_accuracy,
            fitted_on: options.fitted_on,
            n_train: train.len(),
            n_held_out: held_out.len(),
            bins: options.bins,
            ece_before,
            ece_after,
        })
    }

    /// Calibrated P(correct) for a raw confidence.
    pub fn apply(&self, confidence: f64) -> f64 {
        self.map.apply(confidence)
    }
}
