//! Calibration from the lake (METRICS §4): the labelled pairs of `calibration_pairs` in a
//! window of prediction time, evaluated per (`model`, `model_version`) and overall, and
//! recalibration maps fitted per model version for the serving path.

use convolens_evaluators::calibration::{CalibrationReport, Pair, evaluate};
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
///
/// One group's pairs are copied out at a time (rather than all groups at once, as
/// `evaluate_grouped` does for small inputs), which keeps ten million pairs under a GiB.
pub fn summarise(pairs: &LabelledPairs, window: &Window, bins: usize) -> anyhow::Result<CalibrationSummary> {
    let of_group = |key: Option<u16>| -> Vec<Pair> {
        pairs
            .rows
            .iter()
            .filter(|r| key.is_none_or(|k| r.key == k))
            .map(|r| Pair::new(r.confidence, r.correct))
            .collect()
    };
    // The overall report on one core while the model versions' run on the other: at ten
    // million pairs each pass is a few hundred milliseconds.
    let (overall, groups) = std::thread::scope(|scope| {
        let overall = scope.spawn(|| evaluate(&of_group(None), bins));
        let groups = pairs
            .keys
            .iter()
            .enumerate()
            .map(|(index, key)| {
                // Keys are sorted, so their indices give the groups in key order.
                Ok(GroupCalibration {
                    model: Some(key.model.clone()),
                    model_version: key.model_version.clone(),
                    report: evaluate(&of_group(Some(index as u16)), bins)?,
                })
            })
            .collect::<Result<Vec<_>, convolens_evaluators::EvaluatorError>>();
        let overall = overall.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (overall, groups)
    });
    let (overall, groups) = (overall?, groups?);
    Ok(CalibrationSummary {
        window: window.to_string(),
        bins,
        groups,
        overall: GroupCalibration {
            model: None,
            model_version: None,
            report: overall,
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

/// The pairs of one model version, in the order of `pairs`.
fn of_key(pairs: &LabelledPairs, key: &ModelKey) -> Vec<LabelledPrediction> {
    let Some(index) = pairs.keys.iter().position(|k| k == key) else {
        return Vec::new();
    };
    pairs
        .rows
        .iter()
        .filter(|r| usize::from(r.key) == index)
        .map(|r| {
            let intent = pairs.intents[r.intent as usize].clone();
            LabelledPrediction::new(intent, r.confidence, r.correct)
        })
        .collect()
}

/// Fits one map per model version. `train` holds the pairs of `plan.train`, `held_out`
/// those of `plan.held_out` when given; both in arrival order
/// ([`LabelledPairs::sort_by_arrival`]), which is what "chronologically last" splits on.
pub fn fit_maps(plan: &FitPlan, train: &LabelledPairs, held_out: &LabelledPairs) -> Vec<CalibrationMap> {
    let mut maps = Vec::new();
    for (key, span) in train.keys.iter().zip(&train.spans) {
        let mut train_pairs = of_key(train, key);
        let held_out_pairs = match plan.held_out {
            Some(_) => of_key(held_out, key),
            None => {
                let keep = train_pairs.len() - ((train_pairs.len() as f64) * plan.held_out_share).round() as usize;
                train_pairs.split_off(keep)
            }
        };
        if train_pairs.is_empty() {
            continue;
        }
        // An open side of the window is given as the span of the data actually used.
        let at = chrono::DateTime::from_timestamp_micros;
        let (first, last) = (at(span.first), at(span.last));
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
