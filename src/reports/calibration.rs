//! The calibration section: headline figures, a reliability diagram per model version,
//! and the recalibration maps with their thresholds.

use convolens_evaluators::recalibrate::CalibrationMap;
use convolens_report::{Block, Cell, ReliabilityBin, Section, Severity, reliability_diagram};

use super::number;
use crate::analysis::calibration::{CalibrationSummary, GroupCalibration};

/// ECE above this is worth an ML engineer's look; above twice it, worth acting on.
const ECE_WARN: f64 = 0.05;

fn ece_severity(ece: Option<f64>) -> Severity {
    match ece {
        None => Severity::Muted,
        Some(e) if e >= 2.0 * ECE_WARN => Severity::Alert,
        Some(e) if e >= ECE_WARN => Severity::Warn,
        Some(_) => Severity::Ok,
    }
}

fn group_name(group: &GroupCalibration) -> String {
    match (&group.model, &group.model_version) {
        (Some(model), Some(version)) => format!("{model} {version}"),
        (Some(model), None) => model.clone(),
        _ => "all models".to_string(),
    }
}

pub fn calibration_section(summary: &CalibrationSummary, maps: Option<&[CalibrationMap]>) -> Section {
    let overall = &summary.overall.report;
    let mut section = Section::new("calibration", "Confidence calibration")
        .block(Block::key_values([
            ("labelled predictions", overall.n.to_string()),
            ("accuracy", number(overall.accuracy)),
            ("mean confidence", number(overall.mean_confidence)),
            ("ECE", number(overall.ece)),
            ("Brier", number(overall.brier)),
        ]))
        .block(Block::Note(format!(
            "Pairs are predictions with their latest label, predicted in {}. {} equal-width bins closed on \
             the right (METRICS §4); ACE uses equal-count groups.",
            summary.window, summary.bins
        )));
    let rows = summary
        .groups
        .iter()
        .chain(std::iter::once(&summary.overall))
        .map(|g| {
            let r = &g.report;
            vec![
                Cell::new(group_name(g)),
                Cell::num(r.n.to_string()),
                Cell::num(number(r.accuracy)),
                Cell::num(number(r.mean_confidence)),
                Cell::num(number(r.ece)).severity(ece_severity(r.ece)),
                Cell::num(number(r.mce)),
                Cell::num(number(r.ace)),
                Cell::num(number(r.brier)),
            ]
        })
        .collect();
    section = section.block(Block::table(
        [
            "model",
            "n",
            "accuracy",
            "mean confidence",
            "ECE",
            "MCE",
            "ACE",
            "Brier",
        ],
        rows,
    ));
    for group in &summary.groups {
        let bins: Vec<ReliabilityBin> = group
            .report
            .bins
            .iter()
            .map(|b| ReliabilityBin {
                lower: b.lower,
                upper: b.upper,
                count: b.count as u64,
                mean_confidence: b.mean_confidence,
                accuracy: b.accuracy,
            })
            .collect();
        section = section.block(Block::Chart(reliability_diagram(
            &bins,
            &format!("Reliability: {}", group_name(group)),
        )));
    }
    if let Some(maps) = maps {
        section = section.block(maps_table(maps));
    }
    section
}

fn maps_table(maps: &[CalibrationMap]) -> Block {
    let rows = maps
        .iter()
        .map(|m| {
            let improved = match (m.ece_before, m.ece_after) {
                (Some(before), Some(after)) if after <= before => Severity::Ok,
                (Some(_), Some(_)) => Severity::Warn,
                _ => Severity::Muted,
            };
            vec![
                Cell::new(format!("{} {}", m.model, m.model_version.as_deref().unwrap_or(""))),
                Cell::new(format!("{:?}", m.map.method()).to_lowercase()),
                Cell::num(m.n_train.to_string()),
                Cell::num(m.n_held_out.to_string()),
                Cell::num(number(m.ece_before)),
                Cell::num(number(m.ece_after)).severity(improved),
                Cell::num(number(m.threshold)),
                Cell::num(m.intent_thresholds.len().to_string()),
            ]
        })
        .collect();
    Block::table(
        [
            "model",
            "method",
            "train pairs",
            "held-out pairs",
            "ECE before",
            "ECE after",
            "handoff threshold",
            "intent thresholds",
        ],
        rows,
    )
}
