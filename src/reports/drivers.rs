//! The CSAT drivers section: correlations with their Fisher intervals, and the
//! multivariate view.

use convolens_report::{Block, Cell, IntervalBar, Section, Severity, horizontal_bars_with_intervals};

use super::number;
use crate::analysis::drivers::{DriverCorrelation, Multivariate};

/// p below this marks a correlation as significant in the table.
const SIGNIFICANT_P: f64 = 0.05;

pub fn drivers_section(correlations: &[DriverCorrelation], multivariate: Option<&Multivariate>) -> Section {
    let bars: Vec<IntervalBar> = correlations
        .iter()
        .filter_map(|d| {
            d.correlation.r.map(|r| IntervalBar {
                label: d.driver.to_string(),
                value: r,
                low: d.correlation.ci_low,
                high: d.correlation.ci_high,
            })
        })
        .collect();
    let rows = correlations
        .iter()
        .map(|d| {
            let c = &d.correlation;
            let significance = match c.p {
                Some(p) if p < SIGNIFICANT_P => Severity::Alert,
                Some(_) => Severity::Ok,
                None => Severity::Muted,
            };
            vec![
                Cell::new(d.driver),
                Cell::num(c.n.to_string()),
                Cell::num(number(c.r)),
                Cell::num(number(c.p)).severity(significance),
                Cell::num(format!("[{}, {}]", number(c.ci_low), number(c.ci_high))),
                Cell::num(number(c.rho)),
                Cell::num(number(c.p_rho)),
            ]
        })
        .collect();
    let mut section = Section::new("csat-drivers", "CSAT drivers")
        .block(Block::Paragraph(
            "Pearson r of each conversation fact with CSAT (1–5 scale) and its 95 % Fisher interval; Spearman's \
             rho on average ranks. Correlation is not causation: read these as where to look."
                .to_string(),
        ))
        .block(Block::Chart(horizontal_bars_with_intervals(
            &bars,
            "Correlation with CSAT (r, 95 % CI)",
            Some((-1.0, 1.0)),
        )))
        .block(Block::table(
            ["driver", "n", "r", "p", "95 % CI", "rho", "p (rho)"],
            rows,
        ));
    if let Some(m) = multivariate {
        let coefficient_rows = m
            .coefficients
            .iter()
            .map(|(name, beta)| vec![Cell::new(*name), Cell::num(number(*beta))])
            .collect();
        section = section
            .block(Block::key_values([
                ("OLS rows", m.n.to_string()),
                ("R²", format!("{:.4}", m.r2)),
            ]))
            .block(Block::table(["driver", "standardised coefficient"], coefficient_rows));
        for note in &m.notes {
            section = section.block(Block::Note(note.clone()));
        }
    }
    section
}
