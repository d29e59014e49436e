//! `convolens drift`: current traffic against a reference window or profile
//! (`--format json|table`), and its actions `profile`, `report` and `update`.

use std::path::Path;

use anyhow::Context;
use convolens_drift::reference_profile::DEFAULT_PROFILE_SAMPLE_CAP;
use convolens_drift::{DriftReport, KindStatistics, Verdict};

use super::{drift_metrics, runtime, table};
use crate::analysis::drift::{self, DriftOptions, ReferenceSpec};
use crate::analysis::drift_input::load_window;
use crate::cli::{DriftAction, DriftArgs, DriftCompareArgs, DriftProfileArgs, DriftReportArgs, ReportFormat};
use crate::query::LakeSession;
use crate::reports;
use crate::window::Window;

pub fn drift(args: DriftArgs) -> anyhow::Result<()> {
    match args.action {
        Some(DriftAction::Profile(args)) => profile(args),
        Some(DriftAction::Report(args)) => report(args),
        Some(DriftAction::Update(args)) => drift_metrics::update(args),
        None => compare(args.compare),
    }
}

/// Computes the full report: features, text, embeddings, surges, out-of-scope and the
/// detector alarms over the current window.
pub async fn full_report(
    session: &LakeSession,
    lake: &Path,
    reference: &str,
    current: &Window,
    options: &DriftOptions,
) -> anyhow::Result<FullReport> {
    let spec = ReferenceSpec::parse(reference, lake)?;
    let profile = drift::reference_profile(session, &spec, options).await?;
    let values = load_window(session, current, options.caps).await?;
    let mut report = drift::compare(&profile, &values, current, options)?;
    let series = drift::load_series(session, current, options).await?;
    report.alarms = drift::alarms(&series, options)?;
    Ok(FullReport {
        overlays: drift::overlays(&profile, &values),
        report,
        series,
    })
}

/// A drift report with what its HTML form draws besides the numbers.
pub struct FullReport {
    pub report: DriftReport,
    pub overlays: Vec<drift::Overlay>,
    pub series: Vec<(String, drift::Series)>,
}

fn compare(args: DriftCompareArgs) -> anyhow::Result<()> {
    let (Some(lake), Some(reference), Some(current)) = (args.lake, args.reference, args.current) else {
        anyhow::bail!("drift needs --lake, --reference and --current (or an action: profile, report, update)");
    };
    let options = super::drift_settings::options(&args.settings)?;
    let report = runtime()?
        .block_on(async {
            let session = LakeSession::open(&lake).await?;
            full_report(&session, &lake, &reference, &current, &options).await
        })?
        .report;
    match args.format {
        ReportFormat::Json => println!("{}", serde_json::to_string(&report)?),
        ReportFormat::Table => print_report(&report),
    }
    Ok(())
}

fn print_report(report: &DriftReport) {
    println!("drift of {} against reference {}", report.current, report.reference);
    let rows = report
        .features
        .iter()
        .map(|f| {
            let (kind, ks, ks_p, w_norm, unseen) = match &f.kind {
                KindStatistics::Numeric {
                    ks,
                    ks_p,
                    wasserstein_norm,
                    ..
                } => ("numeric", *ks, *ks_p, *wasserstein_norm, String::new()),
                KindStatistics::Categorical { unseen } => ("categorical", None, None, None, unseen.join(",")),
            };
            vec![
                f.feature.clone(),
                kind.to_string(),
                drift::wire_name(f.verdict),
                f.n_ref.to_string(),
                f.n_cur.to_string(),
                table::number(f.psi),
                table::number(f.js),
                table::number(ks),
                table::number(ks_p),
                table::number(w_norm),
                drift::wire_name(f.method),
                format!("{}", f.threshold),
                unseen,
            ]
        })
        .collect();
    table::print(
        &[
            "feature",
            "kind",
            "verdict",
            "n_ref",
            "n_cur",
            "psi",
            "js",
            "ks",
            "ks_p",
            "w_norm",
            "method",
            "threshold",
            "unseen",
        ],
        rows,
        3,
    );
    if let Some(text) = &report.text {
        let tokens: Vec<&str> = text
            .top_current_tokens
            .iter()
            .take(8)
            .map(|t| t.token.as_str())
            .collect();
        println!(
            "text: AUC {} ({}; threshold {}); rising terms: {}",
            table::number(text.auc),
            drift::wire_name(text.verdict),
            text.threshold,
            tokens.join(", ")
        );
    }
    if let Some(embeddings) = &report.embeddings {
        println!(
            "embeddings: AUC {} ({}); centroid cosine distance {}",
            table::number(embeddings.auc),
            drift::wire_name(embeddings.verdict),
            table::number(embeddings.centroid_distance)
        );
    }
    for surge in &report.surges {
        println!(
            "intent surge: {} {:.4} → {:.4} ({} predictions{})",
            surge.intent,
            surge.ref_share,
            surge.cur_share,
            surge.cur_count,
            if surge.new { ", new" } else { "" }
        );
    }
    if let Some(oos) = &report.oos {
        println!(
            "out of scope: {} → {} (p {}){}",
            table::number(oos.ref_rate),
            table::number(oos.cur_rate),
            table::number(oos.p_value),
            if oos.flagged { " FLAGGED" } else { "" }
        );
    }
    for alarm in &report.alarms {
        println!(
            "alarm: {} by {:?} at {} (value {:.4}; change since {})",
            alarm.series, alarm.detector, alarm.window, alarm.value, alarm.change_window
        );
    }
}

fn profile(args: DriftProfileArgs) -> anyhow::Result<()> {
    let window: Window = format!("{}..{}", args.from, args.to).parse()?;
    let options = super::drift_settings::options(&args.settings)?;
    let values = runtime()?.block_on(async {
        let session = LakeSession::open(&args.lake).await?;
        load_window(&session, &window, options.caps).await
    })?;
    let profile = drift::build_profile(&values, &window, DEFAULT_PROFILE_SAMPLE_CAP, &options)?;
    let name = args.name.unwrap_or_else(|| {
        format!("{}_{}", args.from, args.to)
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '-'
                }
            })
            .collect()
    });
    let path = drift::profile_path(&args.lake, &name);
    write_atomically(&path, serde_json::to_string(&profile)?.as_bytes())?;
    let predictions = values.predictions;
    println!(
        "wrote drift profile {} ({predictions} predictions in {window})",
        path.display()
    );
    println!(
        "use it with: convolens drift --lake {} --reference {name} --current FROM..TO",
        args.lake.display()
    );
    Ok(())
}

fn report(args: DriftReportArgs) -> anyhow::Result<()> {
    let options = super::drift_settings::options(&args.settings)?;
    let report = runtime()?.block_on(async {
        let session = LakeSession::open(&args.lake).await?;
        full_report(&session, &args.lake, &args.reference, &args.current, &options).await
    })?;
    let html = reports::drift_page(&report);
    write_atomically(&args.output, html.as_bytes())?;
    let report = report.report;
    let json_path = args.output.with_extension("json");
    write_atomically(&json_path, serde_json::to_string_pretty(&report)?.as_bytes())?;
    let drifted = report.features.iter().filter(|f| f.verdict == Verdict::Drift).count();
    println!(
        "wrote {} and {} ({drifted} of {} features drifted, {} alarms)",
        args.output.display(),
        json_path.display(),
        report.features.len(),
        report.alarms.len()
    );
    Ok(())
}

/// Writes `bytes` to `path` through a temporary file and a rename, so a reader never sees
/// half a file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("renaming {} into place", path.display()))?;
    Ok(())
}
