//! HTML reports: the evaluators' and drift's results laid out with `convolens_report`
//! (self-contained pages, inline SVG, no network). One section builder per result, so the
//! demo can put every section on one page and each command can write its own.

mod calibration;
mod drift;
mod drivers;

pub use calibration::calibration_section;
pub use drift::drift_sections;
pub use drivers::drivers_section;

use convolens_evaluators::recalibrate::CalibrationMap;
use convolens_report::Page;

use crate::analysis::calibration::CalibrationSummary;
use crate::analysis::drivers::{DriverCorrelation, Multivariate};

/// The wall-clock time a report says it was generated at. Reports are artefacts for
/// people, so the real clock is right here; everything they show comes from the lake.
fn generated_at() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub fn page(title: &str, subtitle: &str) -> Page {
    Page::new(title).subtitle(subtitle).generated_at(generated_at())
}

pub fn calibration_page(summary: &CalibrationSummary, maps: Option<&[CalibrationMap]>) -> String {
    page("convolens calibration report", &format!("window {}", summary.window))
        .section(calibration_section(summary, maps))
        .render()
}

pub fn drivers_page(window: &str, correlations: &[DriverCorrelation], multivariate: Option<&Multivariate>) -> String {
    page("convolens CSAT drivers report", &format!("window {window}"))
        .section(drivers_section(correlations, multivariate))
        .render()
}

pub fn drift_page(full: &crate::commands::FullReport) -> String {
    let report = &full.report;
    let mut page = page(
        "convolens drift report",
        &format!("current {} against reference {}", report.current, report.reference),
    );
    for section in drift_sections(full) {
        page = page.section(section);
    }
    page.render()
}

/// A number as reports show it.
fn number(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_string(), |v| format!("{v:.4}"))
}
