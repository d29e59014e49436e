//! One module per subcommand; each returns `anyhow::Result` and `main` maps errors to
//! exit codes.

mod calibrate;
mod config;
mod csat_drivers;
mod demo;
mod drift;
mod drift_metrics;
pub(crate) mod drift_settings;
mod generate;
mod ingest;
mod query;
mod run;
mod table;
mod validate;

pub use drift::FullReport;

use crate::cli::Command;

pub fn dispatch(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Demo(args) => demo::demo(args),
        Command::Run(args) => run::run(args),
        Command::Ingest(args) => ingest::ingest(args),
        Command::Query(args) => query::query(args),
        Command::Validate(args) => validate::validate(args),
        Command::Generate(args) => generate::generate(args),
        Command::Calibrate(args) => calibrate::calibrate(args),
        Command::CsatDrivers(args) => csat_drivers::csat_drivers(args),
        Command::Drift(args) => drift::drift(args),
    }
}

/// A tokio runtime for the async parts (DataFusion, Kafka).
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

/// The run's streaming drift (ARCHITECTURE.md, "Streaming drift"), or None with the reason
/// logged; `convolens drift update` then fills `drift_metrics`.
pub(crate) fn streaming_drift(
    lake: &std::path::Path,
    drift: &convolens_core::spec::DriftSettings,
    session: &convolens_core::spec::SessionSettings,
) -> anyhow::Result<Option<crate::analysis::drift_stream::StreamingDrift>> {
    use crate::analysis::drift_stream_start::{StreamPlan, open};

    let options = drift_settings::from_settings(drift);
    // Drift never stops the data: a lake or profile it cannot read is logged, and the run
    // lands its events without streaming drift.
    match runtime()?.block_on(open(lake, &options, session)) {
        Ok(StreamPlan::On(drift)) => Ok(Some(*drift)),
        Ok(StreamPlan::Off(reason)) => {
            tracing::info!(%reason, "no streaming drift in this run; `convolens drift update` fills drift_metrics");
            Ok(None)
        }
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "no streaming drift in this run");
            Ok(None)
        }
    }
}
