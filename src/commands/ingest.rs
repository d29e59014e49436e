//! `convolens ingest`: NDJSON files → lake.

use std::io::IsTerminal;
use std::sync::Arc;

use convolens_core::SystemClock;
use convolens_core::spec::{DriftSettings, LakeFileSettings, Limits, RedactionSettings, SessionSettings};

use super::config;
use crate::cli::IngestArgs;
use crate::runner::file::{FileIngest, ingest as run_ingest};

pub fn ingest(args: IngestArgs) -> anyhow::Result<()> {
    let (session, limits, redaction, lake_files, drift) =
        match config::optional_pipeline(args.config.as_deref(), args.pipeline.as_deref())? {
            Some(pipeline) => (
                pipeline.sessionization,
                pipeline.limits,
                pipeline.redaction,
                pipeline.lake_files,
                pipeline.drift,
            ),
            None => (
                SessionSettings::default(),
                Limits::default(),
                RedactionSettings::default(),
                LakeFileSettings::default(),
                DriftSettings::default(),
            ),
        };
    let workers = args
        .workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let drift = super::streaming_drift(&args.lake, &drift, &session)?;
    let job = FileIngest {
        inputs: args.input,
        lake: args.lake,
        session,
        limits,
        redaction,
        lake_files,
        workers,
        progress: std::io::stderr().is_terminal(),
        drift,
    };
    let summary = run_ingest(job, Arc::new(SystemClock))?;
    eprintln!("{}", summary.one_line());
    if let Some(line) = summary.drift_line() {
        eprintln!("{line}");
    }
    Ok(())
}
