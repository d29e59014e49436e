//! The drift section: what drifted (table by severity), by how much (histogram overlays),
//! text and embedding drift with the separating terms, intent surges, and since when (the
//! KPI series with detector alarms).

use convolens_drift::{KindStatistics, Verdict};
use convolens_report::{
    Block, Cell, OverlayBin, Section, SeriesPoint, Severity, bar_list, histogram_overlay, timeline,
};

use super::number;
use crate::commands::FullReport;

fn severity(verdict: Verdict) -> Severity {
    match verdict {
        Verdict::Drift => Severity::Alert,
        Verdict::NoDrift => Severity::Ok,
        Verdict::InsufficientData => Severity::Muted,
    }
}

fn verdict_text(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Drift => "drift",
        Verdict::NoDrift => "no drift",
        Verdict::InsufficientData => "insufficient data",
    }
}

/// The verdict rule as pipelines.yaml writes it, e.g. `wasserstein_norm ≥ 0.1`.
fn rule(f: &convolens_drift::FeatureDrift) -> String {
    let method = crate::analysis::drift::wire_name(f.method);
    let relation = if f.method == convolens_drift::Method::KsP {
        "<"
    } else {
        "≥"
    };
    format!("{method} {relation} {}", f.threshold)
}

pub fn drift_sections(full: &FullReport) -> Vec<Section> {
    let report = &full.report;
    let drifted: Vec<&str> = report
        .features
        .iter()
        .filter(|f| f.verdict == Verdict::Drift)
        .map(|f| f.feature.as_str())
        .collect();
    let rows = report
        .features
        .iter()
        .map(|f| {
            let (kind, ks, ks_p, w, w_norm, unseen) = match &f.kind {
                KindStatistics::Numeric {
                    ks,
                    ks_p,
                    wasserstein,
                    wasserstein_norm,
                } => ("numeric", *ks, *ks_p, *wasserstein, *wasserstein_norm, String::new()),
                KindStatistics::Categorical { unseen } => ("categorical", None, None, None, None, unseen.join(", ")),
            };
            vec![
                Cell::new(f.feature.clone()),
                Cell::new(kind),
                Cell::new(verdict_text(f.verdict)).severity(severity(f.verdict)),
                Cell::num(f.n_ref.to_string()),
                Cell::num(f.n_cur.to_string()),
                Cell::num(number(f.psi)),
                Cell::num(number(f.js)),
                Cell::num(number(ks)),
                Cell::num(number(ks_p)),
                Cell::num(number(w)),
                Cell::num(number(w_norm)),
                Cell::new(rule(f)),
                Cell::new(unseen),
            ]
        })
        .collect();
    let mut summary = Section::new("drift", "Drift")
        .block(Block::key_values([
            ("reference", report.reference.to_string()),
            ("current", report.current.to_string()),
            (
                "features drifted",
                format!("{} of {}", drifted.len(), report.features.len()),
            ),
            ("detector alarms", report.alarms.len().to_string()),
        ]))
        .block(Block::Paragraph(if drifted.is_empty() {
            "No feature drifted beyond its threshold.".to_string()
        } else {
            format!("Drifted: {}.", drifted.join(", "))
        }))
        .block(Block::table(
            [
                "feature", "kind", "verdict", "n ref", "n cur", "PSI", "JS", "KS", "KS p", "W1", "W1 / std", "rule",
                "unseen",
            ],
            rows,
        ))
        .block(Block::Note(
            "Numeric bins are frozen at the reference's deciles; PSI floors empty shares at 0.0001; JS is base 2; \
             KS p is Kolmogorov's asymptotic Q; W1 / std divides by the reference's population std (METRICS §5). \
             Sorted by severity: drifted first, then by how far the deciding statistic is along its threshold."
                .to_string(),
        ));
    for overlay in &full.overlays {
        let bins: Vec<OverlayBin> = overlay
            .bins
            .iter()
            .map(|(label, r, c)| OverlayBin {
                label: label.clone(),
                reference_share: *r,
                current_share: *c,
            })
            .collect();
        summary = summary.block(Block::Chart(histogram_overlay(&bins, &overlay.feature)));
    }

    let mut text = Section::new("text-drift", "Text, embeddings and intents");
    match &report.text {
        Some(t) => {
            text = text
                .block(Block::key_values([
                    ("text AUC", number(t.auc)),
                    ("verdict", verdict_text(t.verdict).to_string()),
                    ("texts (ref / cur)", format!("{} / {}", t.n_ref, t.n_cur)),
                ]))
                .block(Block::Note(format!(
                    "A logistic regression on hashed word uni- and bigrams tries to tell current messages from \
                     reference ones; a held-out ROC AUC above {} means it can (drift).",
                    t.threshold
                )));
            let rising: Vec<(String, f64)> = t
                .top_current_tokens
                .iter()
                .map(|s| (s.token.clone(), s.log_odds))
                .collect();
            let falling: Vec<(String, f64)> = t
                .top_reference_tokens
                .iter()
                .map(|s| (s.token.clone(), -s.log_odds))
                .collect();
            text = text
                .block(Block::Chart(bar_list(&rising, "Terms more frequent now (log-odds)")))
                .block(Block::Chart(bar_list(
                    &falling,
                    "Terms more frequent in the reference (log-odds)",
                )));
        }
        None => text = text.block(Block::Paragraph("Text drift was not computed.".to_string())),
    }
    if let Some(e) = &report.embeddings {
        text = text.block(Block::key_values([
            ("embedding AUC", number(e.auc)),
            ("verdict", verdict_text(e.verdict).to_string()),
            ("centroid cosine distance", number(e.centroid_distance)),
        ]));
    }
    if !report.surges.is_empty() {
        let rows = report
            .surges
            .iter()
            .map(|s| {
                vec![
                    Cell::new(s.intent.clone()).severity(if s.new { Severity::Alert } else { Severity::Warn }),
                    Cell::num(format!("{:.4}", s.ref_share)),
                    Cell::num(format!("{:.4}", s.cur_share)),
                    Cell::num(s.cur_count.to_string()),
                    Cell::new(if s.new { "new" } else { "" }),
                ]
            })
            .collect();
        text = text.block(Block::table(
            ["intent", "ref share", "cur share", "predictions", ""],
            rows,
        ));
    }
    if let Some(oos) = &report.oos {
        text = text.block(Block::key_values([
            ("out-of-scope rate (ref)", number(oos.ref_rate)),
            ("out-of-scope rate (cur)", number(oos.cur_rate)),
            ("p", number(oos.p_value)),
            ("flagged", oos.flagged.to_string()),
        ]));
    }

    let mut alarms = Section::new("alarms", "Since when: KPI series and detector alarms");
    for (name, points) in &full.series {
        let series: Vec<SeriesPoint> = points
            .iter()
            .map(|(label, value)| SeriesPoint {
                label: label.clone(),
                value: value.is_finite().then_some(*value),
            })
            .collect();
        let marks: Vec<usize> = report
            .alarms
            .iter()
            .filter(|a| &a.series == name)
            .map(|a| a.index as usize)
            .collect();
        alarms = alarms.block(Block::Chart(timeline(&series, &marks, name)));
    }
    if report.alarms.is_empty() {
        alarms = alarms.block(Block::Paragraph("No detector raised an alarm.".to_string()));
    } else {
        let rows = report
            .alarms
            .iter()
            .map(|a| {
                vec![
                    Cell::new(a.series.clone()),
                    Cell::new(format!("{:?}", a.detector)),
                    Cell::new(a.window.clone()).severity(Severity::Alert),
                    Cell::num(format!("{:.4}", a.value)),
                    Cell::new(a.change_window.clone()),
                ]
            })
            .collect();
        alarms = alarms.block(Block::table(
            ["series", "detector", "alarm at", "value", "change since"],
            rows,
        ));
    }
    vec![summary, text, alarms]
}
