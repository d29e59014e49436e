//! `convolens ingest`: NDJSON files → lake.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;

use convolens_core::SystemClock;
use convolens_core::spec::{LakeFileSettings, Limits, RedactionSettings, SessionSettings};

use super::config;
use crate::cli::IngestArgs;
use crate::runner::file::{FileIngest, ingest as run_ingest};

pub fn ingest(args: IngestArgs) -> anyhow::Result<()> {
    let default_config = Path::new("pipelines.yaml");
    let config_path = args
        .config
        .as_deref()
        .or(default_config.exists().then_some(default_config));
    let (session, limits, redaction, lake_files) = match config_path {
        Some(path) => {
            let config = config::load(path)?;
            let pipeline = config::pick(&config, args.pipeline.as_deref(), path)?;
            (
                pipeline.sessionization.clone(),
                pipeline.limits.clone(),
                pipeline.redaction.clone(),
                pipeline.lake_files.clone(),
            )
        }
        None => (
            SessionSettings::default(),
            Limits::default(),
            RedactionSettings::default(),
            LakeFileSettings::default(),
        ),
    };
    let workers = args
        .workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let job = FileIngest {
        inputs: args.input,
        lake: args.lake,
        session,
        limits,
        redaction,
        lake_files,
        workers,
        progress: std::io::stderr().is_terminal(),
    };
    let summary = run_ingest(job, Arc::new(SystemClock))?;
    eprintln!("{}", summary.one_line());
    Ok(())
}
