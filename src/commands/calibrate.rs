//! `convolens calibrate`: calibration per model version over a window of prediction time,
//! and with `--fit`, recalibration maps with handoff thresholds for the serving path.

use anyhow::Context;
use convolens_core::spec::{CalibrationMethod, CalibrationSettings};
use convolens_evaluators::recalibrate::{CalibrationMap, Method};

use super::{config, table};
use crate::analysis::calibration::{self, CalibrationSummary, FitPlan};
use crate::analysis::pairs::{self, LabelledPairs};
use crate::cli::{CalibrateArgs, FitMethod, ReportFormat};
use crate::query::require_lake;
use crate::reports;

/// Share of each model version's pairs held out when no `--held-out` window is given.
const DEFAULT_HELD_OUT_SHARE: f64 = 0.2;

/// The pipeline's `calibration:` section (defaults without a pipeline file).
fn settings(args: &CalibrateArgs) -> anyhow::Result<CalibrationSettings> {
    let pipeline = config::optional_pipeline(args.config.as_deref(), args.pipeline.as_deref())?;
    Ok(pipeline.map(|p| p.calibration).unwrap_or_default())
}

pub fn calibrate(args: CalibrateArgs) -> anyhow::Result<()> {
    let settings = settings(&args)?;
    let bins = args.bins.unwrap_or(settings.bins);
    let target_accuracy = args.target_accuracy.unwrap_or(settings.target_accuracy);
    let min_intent_support = args.min_intent_support.unwrap_or(settings.min_intent_support);
    let method = match args.method {
        Some(FitMethod::Platt) => Method::Platt,
        Some(FitMethod::Isotonic) => Method::Isotonic,
        None => match settings.method {
            CalibrationMethod::Platt => Method::Platt,
            CalibrationMethod::Isotonic => Method::Isotonic,
        },
    };
    if bins == 0 {
        anyhow::bail!("--bins must be at least 1");
    }
    if !(target_accuracy > 0.0 && target_accuracy <= 1.0) {
        anyhow::bail!("--target-accuracy must be in (0, 1], got {target_accuracy}");
    }
    require_lake(&args.lake)?;
    let mut pairs = pairs::load(&args.lake, &args.window)?;
    pairs.sort_by_confidence();
    let summary = calibration::summarise(&pairs, &args.window, bins)?;
    let maps = if args.fit {
        pairs.sort_by_arrival();
        let held_out = match &args.held_out {
            Some(window) => {
                let mut held_out = pairs::load(&args.lake, window)?;
                held_out.sort_by_arrival();
                held_out
            }
            None => LabelledPairs::default(),
        };
        let plan = FitPlan {
            method,
            train: args.window,
            held_out: args.held_out,
            held_out_share: DEFAULT_HELD_OUT_SHARE,
            bins,
            target_accuracy,
            min_intent_support,
        };
        Some(calibration::fit_maps(&plan, &pairs, &held_out))
    } else {
        None
    };

    if let Some(maps) = &maps {
        let text = serde_json::to_string_pretty(maps)?;
        std::fs::write(&args.output, text + "\n")
            .with_context(|| format!("writing calibration maps to {}", args.output.display()))?;
    }
    if let Some(path) = &args.report {
        let html = reports::calibration_page(&summary, maps.as_deref());
        std::fs::write(path, html).with_context(|| format!("writing the report to {}", path.display()))?;
    }
    match args.format {
        ReportFormat::Json => match &maps {
            // With --fit, the maps travel with the evaluation so one command gives an ML
            // engineer both.
            Some(maps) => println!("{}", serde_json::json!({ "calibration": summary, "maps": maps })),
            None => println!("{}", serde_json::to_string(&summary)?),
        },
        ReportFormat::Table => {
            print_summary(&summary);
            if let Some(maps) = &maps {
                print_maps(maps);
                eprintln!("wrote {} calibration map(s) to {}", maps.len(), args.output.display());
            }
        }
    }
    Ok(())
}

fn print_summary(summary: &CalibrationSummary) {
    let rows = summary
        .groups
        .iter()
        .chain(std::iter::once(&summary.overall))
        .map(|g| {
            let r = &g.report;
            vec![
                g.model.clone().unwrap_or_else(|| "(all)".into()),
                g.model_version.clone().unwrap_or_default(),
                r.n.to_string(),
                table::number(r.accuracy),
                table::number(r.mean_confidence),
                table::number(r.ece),
                table::number(r.mce),
                table::number(r.ace),
                table::number(r.brier),
            ]
        })
        .collect();
    println!("calibration over {} ({} bins)", summary.window, summary.bins);
    table::print(
        &[
            "model",
            "model_version",
            "n",
            "accuracy",
            "mean_confidence",
            "ece",
            "mce",
            "ace",
            "brier",
        ],
        rows,
        2,
    );
}

fn print_maps(maps: &[CalibrationMap]) {
    let rows = maps
        .iter()
        .map(|m| {
            vec![
                m.model.clone(),
                m.model_version.clone().unwrap_or_default(),
                format!("{:?}", m.map.method()).to_lowercase(),
                m.n_train.to_string(),
                m.n_held_out.to_string(),
                table::number(m.ece_before),
                table::number(m.ece_after),
                table::number(m.threshold),
                m.intent_thresholds.len().to_string(),
            ]
        })
        .collect();
    table::print(
        &[
            "model",
            "model_version",
            "method",
            "n_train",
            "n_held_out",
            "ece_before",
            "ece_after",
            "threshold",
            "intent_thresholds",
        ],
        rows,
        3,
    );
}
