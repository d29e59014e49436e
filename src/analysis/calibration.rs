//! Calibration from the lake (METRICS §4): the labelled pairs of `calibration_pairs` in a
//! window of prediction time, evaluated per (`model`, `model_version`) and overall, and
//! recalibration maps fitted per model version for the serving path.

use convolens_evaluators::calibration::{CalibrationReport, Pair, evaluate_grouped};
use convolens_evaluators::recalibrate::{CalibrationMap, FittedOn, LabelledPrediction, MapOptions, Method};
use serde::Serialize;

use super::pairs::LabelledPairs;
use crate::window::Window;

/// Which model produced a prediction; the unit a calibration map is fitted for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ModelKey {
    pub model: String,
    pub model_version: Option<String>,
}

impl std::fmt::Display for ModelKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{}",
            self.model,
            self.model_version.as_deref().unwrap_or("(none)")
        )
    }
}

#[derive(Debug, Serialize)]
pub struct GroupCalibration {
    pub model: Option<String>,
    pub model_version: Option<String>,
    #[serde(flatten)]
    pub report: CalibrationReport,
}

/// What `convolens calibrate --format json` prints.
#[derive(Debug, Serialize)]
pub struct CalibrationSummary {
    pub window: String,
    pub bins: usize,
    /// One entry per (model, model_version), in that order.
    pub groups: Vec<GroupCalibration>,
    /// All pairs of the window together (`model` and `model_version` null).
    pub overall: GroupCalibration,
}

/// Calibration of every model version and overall. Rows in confidence order (ties in
/// arrival order, [`LabelledPairs::sort_by_confidence`]) give the adaptive ECE that
/// METRICS §4 defines over arrival order; any other order only changes which pairs share
/// an adaptive group at tied confidences.
pub fn summarise(pairs: &LabelledPairs, window: &Window, bins: usize) -> anyhow::Result<CalibrationSummary> {
    let rows = pairs.rows.iter().map(|r| (r.key, Pair::new(r.confidence, r.correct)));
    let grouped = evaluate_grouped(rows, bins)?;
    Ok(CalibrationSummary {
        window: window.to_string(),
        bins,
        groups: grouped
            .groups
            .into_iter()
            .map(|(key, report)| {
                let key = &pairs.keys[key as usize];
                GroupCalibration {
                    model: Some(key.model.clone()),
                    model_version: key.model_version.clone(),
                    report,
                }
            })
            .collect(),
        overall: GroupCalibration {
            model: None,
            model_version: None,
            report: grouped.overall,
        },
    })
}

/// How `calibrate --fit` splits and fits.
#[derive(Debug, Clone)]
pub struct FitPlan {
    pub method: Method,
    pub train: Window,
    /// None: the chronologically last `held_out_share` of each model version's training
    /// pairs are held out instead (and not trained on).
    pub held_out: Option<Window>,
    pub held_out_share: f64,
    pub bins: usize,
    pub target_accuracy: f64,
    pub min_intent_support: usize,
}

/// The pairs of one model version, in the order of `pairs`, with their prediction times.
fn of_key(pairs: &LabelledPairs, key: &ModelKey) -> (Vec<LabelledPrediction>, Vec<i64>) {
    let Some(index) = pairs.keys.iter().position(|k| k == key) else {
        return (Vec::new(), Vec::new());
    };
    pairs
        .rows
        .iter()
        .filter(|r| r.key as usize == index)
        .map(|r| {
            let intent = pairs.intents[r.intent as usize].clone();
            (LabelledPrediction::new(intent, r.confidence, r.correct), r.predicted_at)
        })
        .unzip()
}

/// Fits one map per model version. `train` holds the pairs of `plan.train`, `held_out`
/// those of `plan.held_out` when given; both in arrival order
/// ([`LabelledPairs::sort_by_arrival`]), which is what "chronologically last" splits on.
pub fn fit_maps(plan: &FitPlan, train: &LabelledPairs, held_out: &LabelledPairs) -> Vec<CalibrationMap> {
    let mut maps = Vec::new();
    for key in &train.keys {
        let (mut train_pairs, times) = of_key(train, key);
        let held_out_pairs = match plan.held_out {
            Some(_) => of_key(held_out, key).0,
            None => {
                let keep = train_pairs.len() - ((train_pairs.len() as f64) * plan.held_out_share).round() as usize;
                train_pairs.split_off(keep)
            }
        };
        if train_pairs.is_empty() {
            continue;
        }
        // An open side of the window is given as the span of the data actually used.
        let span = |t: Option<&i64>| t.copied().and_then(chrono::DateTime::from_timestamp_micros);
        let (first, last) = (span(times.iter().min()), span(times.iter().max()));
        let stamp = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let fitted_on = FittedOn {
            from: plan.train.from.or(first).map(stamp).unwrap_or_default(),
            to: plan.train.to.or(last).map(stamp).unwrap_or_default(),
        };
        let mut options = MapOptions::new(key.model.clone(), key.model_version.clone(), plan.method, fitted_on);
        options.bins = plan.bins;
        options.target_accuracy = plan.target_accuracy;
        options.min_intent_support = plan.min_intent_support;
        // One model version that cannot be fitted (all its labels agree, say) must not cost
        // the others their maps.
        match CalibrationMap::fit(options, &train_pairs, &held_out_pairs) {
            Ok(map) => maps.push(map),
            Err(error) => eprintln!("convolens: no {:?} map for {key}: {error}", plan.method),
        }
    }
    maps
}
