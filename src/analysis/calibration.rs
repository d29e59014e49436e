//! Calibration from the lake (METRICS §4): the labelled pairs of `calibration_pairs` in a
//! window of prediction time, evaluated per (`model`, `model_version`) and overall, and
//! recalibration maps fitted per model version for the serving path.

use convolens_evaluators::calibration::{CalibrationReport, evaluate_grouped};
use convolens_evaluators::recalibrate::{CalibrationMap, FittedOn, LabelledPrediction, MapOptions, Method};
use serde::Serialize;

use super::columns;
use crate::query::{ARRIVAL_ORDER, LakeSession};
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

/// One labelled prediction as the lake holds it.
#[derive(Debug, Clone)]
pub struct LabelledRow {
    pub key: ModelKey,
    pub prediction: LabelledPrediction,
    /// Prediction time (UTC), to say which span a map was fitted on.
    pub predicted_at: chrono::DateTime<chrono::Utc>,
}

/// The labelled pairs predicted inside `window`, in arrival order ([`ARRIVAL_ORDER`]).
/// That order matters: the adaptive ECE sorts by confidence stably, and the SQL view
/// breaks ties the same way, so both give the same number.
pub async fn load_pairs(session: &LakeSession, window: &Window) -> anyhow::Result<Vec<LabelledRow>> {
    let sql = format!(
        "SELECT model, model_version, intent, confidence, correct, predicted_at \
         FROM calibration_pairs WHERE {} ORDER BY {ARRIVAL_ORDER}",
        window.sql_predicate("predicted_at", Some("day"))
    );
    let mut rows = Vec::new();
    for batch in session.query(&sql).await? {
        let model = columns::strings(&batch, "model")?;
        let version = columns::strings(&batch, "model_version")?;
        let intent = columns::strings(&batch, "intent")?;
        let confidence = columns::floats(&batch, "confidence")?;
        let correct = columns::booleans(&batch, "correct")?;
        let at = columns::timestamps(&batch, "predicted_at")?;
        for i in 0..batch.num_rows() {
            // Decoding guarantees model, intent and confidence on every prediction.
            let (Some(model), Some(intent), Some(confidence), Some(at)) = (
                model[i].clone(),
                intent[i].clone(),
                confidence[i],
                at[i].and_then(chrono::DateTime::from_timestamp_micros),
            ) else {
                continue;
            };
            rows.push(LabelledRow {
                key: ModelKey {
                    model,
                    model_version: version[i].clone(),
                },
                prediction: LabelledPrediction::new(intent, confidence, correct[i].unwrap_or(false)),
                predicted_at: at,
            });
        }
    }
    Ok(rows)
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

pub fn summarise(rows: &[LabelledRow], window: &Window, bins: usize) -> anyhow::Result<CalibrationSummary> {
    let grouped = evaluate_grouped(rows.iter().map(|r| (r.key.clone(), r.prediction.pair())), bins)?;
    Ok(CalibrationSummary {
        window: window.to_string(),
        bins,
        groups: grouped
            .groups
            .into_iter()
            .map(|(key, report)| GroupCalibration {
                model: Some(key.model),
                model_version: key.model_version,
                report,
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

/// Fits one map per model version. `train_rows` are the pairs of `plan.train`;
/// `held_out_rows` those of `plan.held_out` when given.
pub fn fit_maps(plan: &FitPlan, train_rows: &[LabelledRow], held_out_rows: &[LabelledRow]) -> Vec<CalibrationMap> {
    let mut keys: Vec<&ModelKey> = train_rows.iter().map(|r| &r.key).collect();
    keys.sort();
    keys.dedup();
    let mut maps = Vec::new();
    for key in keys {
        let of_key = |rows: &[LabelledRow]| -> Vec<LabelledPrediction> {
            rows.iter()
                .filter(|r| &r.key == key)
                .map(|r| r.prediction.clone())
                .collect()
        };
        let (train, held_out) = match plan.held_out {
            Some(_) => (of_key(train_rows), of_key(held_out_rows)),
            None => {
                let mut all = of_key(train_rows);
                let keep = all.len() - ((all.len() as f64) * plan.held_out_share).round() as usize;
                let held_out = all.split_off(keep);
                (all, held_out)
            }
        };
        if train.is_empty() {
            continue;
        }
        // An open side of the window is given as the span of the data actually used.
        let train_times = train_rows.iter().filter(|r| &r.key == key).map(|r| r.predicted_at);
        let (first, last) = (train_times.clone().min(), train_times.max());
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
        match CalibrationMap::fit(options, &train, &held_out) {
            Ok(map) => maps.push(map),
            Err(error) => eprintln!("convolens: no {:?} map for {key}: {error}", plan.method),
        }
    }
    maps
}
