//! `convolens drift update`: fills the `drift_metrics` table with one batch per complete
//! window not yet in it — a scheduler (cron, Airflow) runs it every window, or it fills
//! the windows that the runners' streaming drift could not compute (ARCHITECTURE.md,
//! "Streaming drift").
//!
//! Windows are `drift.window` long (default 1 h) in event time and aligned to the epoch. A
//! window is complete once events beyond its end have landed. Each run computes the
//! pipeline's reference once: its profile, or the rolling period before the run's first
//! missing window (so windows computed together share one reference). Each window's
//! features, text, embeddings, and its value of each KPI series with any detector alarm
//! (detectors run over the whole series so far) become rows. Run one updater per lake: two
//! at once would both write the same windows.

use anyhow::Context;
use convolens_core::Timestamp;
use convolens_sinks::DriftMetricRow;

use super::runtime;
use crate::analysis::drift::{self, DriftOptions, ReferenceSpec};
use crate::analysis::drift_input::load_window;
use crate::analysis::drift_rows::{WindowRowsBase, window_rows, write_rows};
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
    write_rows(&lake, &rows, now, format!("drift-{}-{}", now.0, std::process::id()))?;
    println!("drift_metrics: {windows} window(s), {} rows", rows.len());
    Ok(())
}

fn at(micros: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_micros(micros).unwrap_or_default()
}

/// The rows of every complete window not yet written, or None when there is none (too
/// little history for the reference, or nothing new).
async fn pending_rows(
    session: &LakeSession,
    lake: &std::path::Path,
    options: &DriftOptions,
) -> anyhow::Result<Option<(usize, Vec<DriftMetricRow>)>> {
    let width = options.series_window_s.max(1) as i64 * MICROS;
    let Some(first_event) = drift::scalar_micros(session, "SELECT MIN(occurred_at) AS t FROM events").await? else {
        return Ok(None);
    };
    let last_event = drift::scalar_micros(session, "SELECT MAX(occurred_at) AS t FROM events")
        .await?
        .unwrap_or(first_event);
    let written = drift::written_windows(session, &Window::ALL).await?;
    let reference_spec = match drift::configured_profile(lake, options)? {
        Some(path) => ReferenceSpec::Profile(path),
        None => ReferenceSpec::Window(Window::ALL),
    };
    let rolling = options.rolling_reference_s as i64 * MICROS;
    let rolling_reference = matches!(reference_spec, ReferenceSpec::Window(_)).then_some(rolling);
    let earliest_start = drift::earliest_window(first_event, width, rolling_reference);
    // Complete: events past the window's end have landed.
    let end_of_complete = last_event.div_euclid(width) * width;
    let missing: Vec<i64> = (0..)
        .map(|i| earliest_start + i * width)
        .take_while(|start| start + width <= end_of_complete)
        .filter(|start| !written.contains(start))
        .collect();
    let Some(&start) = missing.first() else {
        return Ok(None);
    };
    let reference_spec = match reference_spec {
        ReferenceSpec::Window(_) => ReferenceSpec::Window(Window {
            from: Some(at(start - rolling)),
            to: Some(at(start)),
        }),
        profile => profile,
    };
    let reference_label = reference_spec.label();
    let profile = drift::reference_profile(session, &reference_spec, options).await?;
    let series_span = Window {
        from: Some(at(start - rolling.max(width))),
        to: Some(at(end_of_complete)),
    };
    let series = drift::load_series(session, &series_span, options).await?;
    let all_alarms = drift::alarms(&series, options)?;

    let computed_at = chrono::Utc::now().timestamp_micros();
    let mut rows = Vec::new();
    for &window_start in &missing {
        let window = Window {
            from: Some(at(window_start)),
            to: Some(at(window_start + width)),
        };
        let values = load_window(session, &window, options.caps).await?;
        let report =
            drift::compare(&profile, &values, &window, options).with_context(|| format!("drift of window {window}"))?;
        rows.extend(window_rows(
            &report,
            &WindowRowsBase {
                window_start,
                window_end: window_start + width,
                reference: &reference_label,
                computed_at,
            },
            &series,
            &all_alarms,
        ));
    }
    Ok(Some((missing.len(), rows)))
}
