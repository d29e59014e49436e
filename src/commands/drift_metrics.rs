//! `convolens drift update`: fills the `drift_metrics` table with one batch per complete
//! window not yet in it — a scheduler (cron, Airflow) runs it every window.
//!
//! Windows are `drift.window` long (default 1 h) in event time and aligned to the epoch. A
//! window is complete once events beyond its end have landed. Each run computes the
//! pipeline's reference once: its profile, or the rolling period before the run's first
//! window (so windows computed together share one reference). Each window's features,
//! text, embeddings, and its value of each KPI series with any detector alarm (detectors run
//! over the whole series so far) become rows. Run one updater per lake: two at once would
//! both write the same windows.

use anyhow::Context;
use convolens_core::Timestamp;
use convolens_core::spec::LakeFileSettings;
use convolens_drift::{DriftReport, KindStatistics};
use convolens_sinks::{DriftMetricRow, Table, TableWriter, drift_metrics_batch};

use super::runtime;
use crate::analysis::drift::{self, DriftOptions, ReferenceSpec};
use crate::analysis::drift_input::load_window;
use crate::cli::DriftUpdateArgs;
use crate::query::LakeSession;
use crate::window::Window;

const MICROS: i64 = 1_000_000;

pub fn update(args: DriftUpdateArgs) -> anyhow::Result<()> {
    let options = super::drift_settings::options(&args.settings)?;
    let lake = args.lake.clone();
    let rows = runtime()?.block_on(async {
        let session = LakeSession::open(&lake).await?;
        pending_rows(&session, &lake, &options).await
    })?;
    let Some((windows, rows)) = rows else {
        println!("drift_metrics is up to date");
        return Ok(());
    };
    let now = Timestamp::from(chrono::Utc::now());
    let prefix = format!("drift-{}-{}", now.0, std::process::id());
    let mut writer = TableWriter::new(&lake, Table::DriftMetrics, LakeFileSettings::default(), prefix)?;
    for chunk in rows.chunk_by(|a, b| a.window_start / (86_400 * MICROS) == b.window_start / (86_400 * MICROS)) {
        let epoch_day = (chunk[0].window_start.div_euclid(86_400 * MICROS)) as i32;
        writer.write(epoch_day, &drift_metrics_batch(chunk)?, now)?;
    }
    writer.close_all()?;
    println!("drift_metrics: {windows} window(s), {} rows", rows.len());
    Ok(())
}

async fn scalar_micros(session: &LakeSession, sql: &str) -> anyhow::Result<Option<i64>> {
    let batches = session.query(sql).await?;
    let value = batches
        .iter()
        .find(|b| b.num_rows() > 0)
        .map(|b| crate::analysis::columns::timestamps(b, "t"))
        .transpose()?
        .and_then(|v| v.first().copied().flatten());
    Ok(value)
}

fn at(micros: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_micros(micros).unwrap_or_default()
}

/// The rows of every complete window after the last one written, or None when there is
/// none (too little history for the reference, or nothing new).
async fn pending_rows(
    session: &LakeSession,
    lake: &std::path::Path,
    options: &DriftOptions,
) -> anyhow::Result<Option<(usize, Vec<DriftMetricRow>)>> {
    let width = options.series_window_s.max(1) as i64 * MICROS;
    let Some(first_event) = scalar_micros(session, "SELECT MIN(occurred_at) AS t FROM events").await? else {
        return Ok(None);
    };
    let last_event = scalar_micros(session, "SELECT MAX(occurred_at) AS t FROM events")
        .await?
        .unwrap_or(first_event);
    let last_written = scalar_micros(session, "SELECT MAX(window_end) AS t FROM drift_metrics").await?;
    let reference_spec = match &options.reference_profile {
        // Relative to the lake, as pipelines.yaml documents, else as `--reference` reads it.
        Some(profile) if lake.join(profile).is_file() => ReferenceSpec::Profile(lake.join(profile)),
        Some(profile) => ReferenceSpec::parse(profile, lake)?,
        None => ReferenceSpec::Window(Window::ALL),
    };
    let rolling = options.rolling_reference_s as i64 * MICROS;
    // The first window whose reference lies within the data: windows align to the epoch,
    // and the data is taken to begin with the window of its first event.
    let data_start = first_event.div_euclid(width) * width;
    let earliest_start = match reference_spec {
        ReferenceSpec::Profile(_) => data_start,
        ReferenceSpec::Window(_) => {
            let after_reference = data_start + rolling;
            (after_reference + width - 1).div_euclid(width) * width
        }
    };
    let start = last_written.unwrap_or(earliest_start).max(earliest_start);
    // Complete: events past the window's end have landed.
    let end_of_complete = last_event.div_euclid(width) * width;
    if start + width > end_of_complete {
        return Ok(None);
    }
    let reference_spec = match reference_spec {
        ReferenceSpec::Window(_) => ReferenceSpec::Window(Window {
            from: Some(at(start - rolling)),
            to: Some(at(start)),
        }),
        profile => profile,
    };
    let reference_label = match &reference_spec {
        ReferenceSpec::Window(window) => window.to_string(),
        ReferenceSpec::Profile(path) => format!("profile:{}", path.display()),
    };
    let profile = drift::reference_profile(session, &reference_spec, options).await?;
    let series_span = Window {
        from: Some(at(start - rolling.max(width))),
        to: Some(at(end_of_complete)),
    };
    let series = drift::load_series(session, &series_span, options).await?;
    let all_alarms = drift::alarms(&series, options)?;

    let computed_at = chrono::Utc::now().timestamp_micros();
    let mut rows = Vec::new();
    let mut windows = 0;
    let mut window_start = start;
    while window_start + width <= end_of_complete {
        let window = Window {
            from: Some(at(window_start)),
            to: Some(at(window_start + width)),
        };
        let values = load_window(session, &window, options.caps).await?;
        let report =
            drift::compare(&profile, &values, &window, options).with_context(|| format!("drift of window {window}"))?;
        let base = DriftMetricRow {
            window_start,
            window_end: window_start + width,
            reference: reference_label.clone(),
            computed_at,
            ..DriftMetricRow::default()
        };
        rows.extend(feature_rows(&report, &base));
        let label = drift::series_label(window_start);
        for (name, points) in &series {
            let Some((_, value)) = points.iter().find(|(l, _)| *l == label) else {
                continue;
            };
            let alarms: Vec<String> = all_alarms
                .iter()
                .filter(|a| &a.series == name && a.window == label)
                .map(|a| drift::wire_name(a.detector))
                .collect();
            rows.push(DriftMetricRow {
                feature: name.clone(),
                kind: "series".into(),
                value: value.is_finite().then_some(*value),
                verdict: if alarms.is_empty() { "no_alarm" } else { "alarm" }.into(),
                alarms: (!alarms.is_empty()).then(|| alarms.join(",")),
                ..base.clone()
            });
        }
        windows += 1;
        window_start += width;
    }
    Ok(Some((windows, rows)))
}

fn feature_rows(report: &DriftReport, base: &DriftMetricRow) -> Vec<DriftMetricRow> {
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
