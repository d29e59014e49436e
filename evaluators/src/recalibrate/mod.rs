//! Recalibration (METRICS §4): a fitted map c → P(correct), by Platt scaling or isotonic
//! regression, the ECE it achieves on held-out pairs, and the handoff threshold that
//! reaches a target accuracy, overall and per predicted intent with enough support.
//! [`CalibrationMap`] is the versioned JSON artefact, fitted on [`LabelledPrediction`]s.

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
pub use threshold::{IntentThreshold, threshold_for_accuracy, thresholds_by_intent};

/// The `format` of every calibration map this build writes and reads. Still `/1` with the
/// per-intent thresholds: they are fields a reader of the first layout can ignore, and a
/// map written without them reads as having none.
pub const CALIBRATION_MAP_FORMAT: &str = "convolens.calibration-map/1";

/// METRICS' default target accuracy for the handoff threshold.
pub const DEFAULT_TARGET_ACCURACY: f64 = 0.90;

/// Default held-out pairs an intent needs for its own threshold: an accuracy near 0.90
/// measured on 200 pairs has a standard error of about 2 points, small enough for a
/// threshold that is not mostly noise.
pub const DEFAULT_MIN_INTENT_SUPPORT: usize = 200;

/// One labelled prediction: the intent the model predicted, its confidence, and whether
/// the prediction was right. What a [`CalibrationMap`] is fitted and judged on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelledPrediction {
    pub intent: String,
    pub confidence: f64,
    pub correct: bool,
}

impl LabelledPrediction {
    pub fn new(intent: impl Into<String>, confidence: f64, correct: bool) -> Self {
        LabelledPrediction {
            intent: intent.into(),
            confidence,
            correct,
        }
    }

    /// The (confidence, correct) pair, without the intent.
    pub fn pair(&self) -> Pair {
        Pair::new(self.confidence, self.correct)
    }
}

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
    /// Held-out pairs a predicted intent needs for its own threshold (default 200).
    pub min_intent_support: usize,
}

impl MapOptions {
    /// Options with the METRICS defaults: 10 bins, target accuracy 0.90, and
    /// [`DEFAULT_MIN_INTENT_SUPPORT`].
    pub fn new(model: impl Into<String>, model_version: Option<String>, method: Method, fitted_on: FittedOn) -> Self {
        MapOptions {
            model: model.into(),
            model_version,
            method,
            fitted_on,
            bins: crate::calibration::DEFAULT_BINS,
            target_accuracy: DEFAULT_TARGET_ACCURACY,
            min_intent_support: DEFAULT_MIN_INTENT_SUPPORT,
        }
    }
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
    /// The same threshold per predicted intent, on that intent's held-out pairs, sorted by
    /// intent. Only intents with at least `min_intent_support` held-out pairs are listed;
    /// every other intent uses `threshold` (see [`CalibrationMap::threshold_for`]).
    #[serde(default)]
    pub intent_thresholds: Vec<IntentThreshold>,
    /// The support an intent needed to be listed; null in a map written before per-intent
    /// thresholds existed (it then lists none).
    #[serde(default)]
    pub min_intent_support: Option<usize>,
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
    /// split, e.g. by a hash of the prediction's event id, is the caller's choice). The
    /// thresholds, overall and per intent, are chosen on the calibrated held-out pairs, so
    /// the accuracy they promise is not measured on the pairs the map was fitted to; the
    /// support of an intent is therefore its number of held-out pairs. With no held-out
    /// pairs the ECEs and the thresholds are null and no intent is listed.
    ///
    /// Errors as [`FittedMap::fit`] on `train`, and on a held-out confidence outside [0, 1]
    /// (its index in `held_out`).
    pub fn fit(
        options: MapOptions,
        train: &[LabelledPrediction],
        held_out: &[LabelledPrediction],
    ) -> Result<CalibrationMap, EvaluatorError> {
        let train_pairs: Vec<Pair> = train.iter().map(LabelledPrediction::pair).collect();
        let map = FittedMap::fit(options.method, &train_pairs)?;
        let held_out_pairs: Vec<Pair> = held_out.iter().map(LabelledPrediction::pair).collect();
        validate(&held_out_pairs)?;
        let calibrated: Vec<Pair> = held_out_pairs
            .iter()
            .map(|p| Pair::new(map.apply(p.confidence), p.correct))
            .collect();
        let ece_before = evaluate(&held_out_pairs, options.bins)?.ece;
        let ece_after = evaluate(&calibrated, options.bins)?.ece;
        let scored: Vec<(f64, bool)> = calibrated.iter().map(|p| (p.confidence, p.correct)).collect();
        let intent_thresholds = thresholds_by_intent(
            held_out
                .iter()
                .zip(&scored)
                .map(|(prediction, &(c, correct))| (prediction.intent.as_str(), c, correct)),
            options.target_accuracy,
            options.min_intent_support,
        );
        Ok(CalibrationMap {
            format: MapFormat,
            model: options.model,
            model_version: options.model_version,
            map,
            threshold: threshold_for_accuracy(&scored, options.target_accuracy),
            intent_thresholds,
            min_intent_support: Some(options.min_intent_support),
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

    /// The handoff threshold for predictions of `intent`: its own if it is listed (null
    /// there means no cut reaches the target for it), otherwise the global `threshold`.
    pub fn threshold_for(&self, intent: &str) -> Option<f64> {
        // A linear search: a map read from JSON need not keep the list sorted, and there are
        // at most a few hundred intents.
        match self.intent_thresholds.iter().find(|entry| entry.intent == intent) {
            Some(entry) => entry.threshold,
            None => self.threshold,
        }
    }
}
