//! One window's drift as rows of the `drift_metrics` table, and their writing: shared by
//! `convolens drift update` (windows read back from the lake) and the runners' streaming
//! drift (windows accumulated as events arrive), so both write the same rows.

use std::path::Path;

use convolens_core::Timestamp;
use convolens_core::spec::LakeFileSettings;
use convolens_drift::{DriftReport, KindStatistics, SeriesAlarm};
use convolens_sinks::{DriftMetricRow, Table, TableWriter, drift_metrics_batch};

use super::drift::{self, Series};

const MICROS_PER_DAY: i64 = 86_400 * 1_000_000;

/// What every row of one window shares.
pub struct WindowRowsBase<'a> {
    pub window_start: i64,
    pub window_end: i64,
    pub reference: &'a str,
    pub computed_at: i64,
}

/// The window's feature, text and embedding rows, then its [`series_rows`].
pub fn window_rows(
    report: &DriftReport,
    base: &WindowRowsBase<'_>,
    series: &[(String, Series)],
    alarms: &[SeriesAlarm],
) -> Vec<DriftMetricRow> {
    let mut rows = feature_rows(report, base);
    rows.extend(series_rows(base, series, alarms));
    rows
}

/// The window's feature, text and embedding rows.
pub fn feature_rows(report: &DriftReport, base: &WindowRowsBase<'_>) -> Vec<DriftMetricRow> {
    report_rows(report, &base_row(base))
}

fn base_row(base: &WindowRowsBase<'_>) -> DriftMetricRow {
    DriftMetricRow {
        window_start: base.window_start,
        window_end: base.window_end,
        reference: base.reference.to_string(),
        computed_at: base.computed_at,
        ..DriftMetricRow::default()
    }
}

/// One row per KPI series that has a point (or a gap between points) at this window, with
/// the alarms its detectors raised there.
pub fn series_rows(
    base: &WindowRowsBase<'_>,
    series: &[(String, Series)],
    alarms: &[SeriesAlarm],
) -> Vec<DriftMetricRow> {
    let base = base_row(base);
    let label = drift::series_label(base.window_start);
    let mut rows = Vec::new();
    for (name, points) in series {
        let Some((_, value)) = points.iter().find(|(l, _)| *l == label) else {
            continue;
        };
        let raised: Vec<String> = alarms
            .iter()
            .filter(|a| &a.series == name && a.window == label)
            .map(|a| drift::wire_name(a.detector))
            .collect();
        rows.push(DriftMetricRow {
            feature: name.clone(),
            kind: "series".into(),
            value: value.is_finite().then_some(*value),
            verdict: if raised.is_empty() { "no_alarm" } else { "alarm" }.into(),
            alarms: (!raised.is_empty()).then(|| raised.join(",")),
            ..base.clone()
        });
    }
    rows
}

/// Appends `rows` (in window order) to `drift_metrics`, one file per day of window start.
pub fn write_rows(lake: &Path, rows: &[DriftMetricRow], now: Timestamp, file_prefix: String) -> anyhow::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut writer = TableWriter::new(lake, Table::DriftMetrics, LakeFileSettings::default(), file_prefix)?;
    let day = |row: &DriftMetricRow| row.window_start.div_euclid(MICROS_PER_DAY);
    for chunk in rows.chunk_by(|a, b| day(a) == day(b)) {
        writer.write(day(&chunk[0]) as i32, &drift_metrics_batch(chunk)?, now)?;
    }
    writer.close_all()?;
    Ok(())
}

fn report_rows(report: &DriftReport, base: &DriftMetricRow) -> Vec<DriftMetricRow> {
    let mut rows: Vec<DriftMetricRow> = report
        .features
        .iter()
        .map(|f| {
            let mut row = DriftMetricRow {
                feature: f.feature.clone(),
                n_ref: Some(f.n_ref as i64),
                n_cur: Some(f.n_cur as i64),
                null_share_ref: f.null_share_ref,
                null_share_cur: f.null_share_cur,
                psi: f.psi,
                js: f.js,
                method: Some(drift::wire_name(f.method)),
                threshold: Some(f.threshold),
                verdict: drift::wire_name(f.verdict),
                ..base.clone()
            };
            match &f.kind {
                KindStatistics::Numeric {
                    ks,
                    ks_p,
                    wasserstein,
                    wasserstein_norm,
                } => {
                    row.kind = "numeric".into();
                    (row.ks, row.ks_p, row.wasserstein, row.wasserstein_norm) =
                        (*ks, *ks_p, *wasserstein, *wasserstein_norm);
                }
                KindStatistics::Categorical { unseen } => {
                    row.kind = "categorical".into();
                    row.unseen = (!unseen.is_empty()).then(|| unseen.join(","));
                }
            }
            row
        })
        .collect();
    if let Some(text) = &report.text {
        rows.push(DriftMetricRow {
            feature: "message_text".into(),
            kind: "text".into(),
            n_ref: Some(text.n_ref as i64),
            n_cur: Some(text.n_cur as i64),
            auc: text.auc,
            method: Some("domain_classifier_auc".into()),
            threshold: Some(text.threshold),
            verdict: drift::wire_name(text.verdict),
            ..base.clone()
        });
    }
    if let Some(embeddings) = &report.embeddings {
        rows.push(DriftMetricRow {
            feature: "embedding".into(),
            kind: "embedding".into(),
            n_ref: Some(embeddings.n_ref as i64),
            n_cur: Some(embeddings.n_cur as i64),
            auc: embeddings.auc,
            value: embeddings.centroid_distance,
            method: Some("domain_classifier_auc".into()),
            threshold: Some(embeddings.threshold),
            verdict: drift::wire_name(embeddings.verdict),
            ..base.clone()
        });
    }
    rows
}
