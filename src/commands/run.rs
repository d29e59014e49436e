//! `convolens run`: the pipelines of a config file.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use convolens_core::spec::{Pipeline, SourceSpec};
use convolens_core::{Clock, SystemClock};
use convolens_ingest::kafka::KafkaSettings;

use super::config;
use crate::cli::RunArgs;
use crate::runner::file::{FileIngest, ingest};
use crate::runner::kafka::{KafkaRun, run as run_kafka};

/// How long brokers may be unreachable before `run` gives up with exit code 2.
const RETRY_BUDGET: Duration = Duration::from_secs(60);

pub fn run(args: RunArgs) -> anyhow::Result<()> {
    let config = config::load(&args.config.config)?;
    let pipeline = config::pick(&config, args.config.pipeline.as_deref(), &args.config.config)?;
    let lake = args.lake.clone().unwrap_or_else(|| pipeline.lake.clone());
    match &pipeline.source {
        SourceSpec::Files { paths } => {
            let drift = super::streaming_drift(&lake, &pipeline.drift, &pipeline.sessionization)?;
            let job = FileIngest {
                inputs: paths.iter().map(|p| p.display().to_string()).collect(),
                lake,
                session: pipeline.sessionization.clone(),
                limits: pipeline.limits.clone(),
                redaction: pipeline.redaction.clone(),
                lake_files: pipeline.lake_files.clone(),
                workers: workers(),
                progress: std::io::stderr().is_terminal(),
                drift,
            };
            let summary = ingest(job, Arc::new(SystemClock))?;
            eprintln!("pipeline {}: {}", pipeline.name, summary.one_line());
            if let Some(line) = summary.drift_line() {
                eprintln!("pipeline {}: {line}", pipeline.name);
            }
            Ok(())
        }
        SourceSpec::Kafka(spec) => {
            let mut settings = KafkaSettings::from_spec(spec);
            if let Some(brokers) = &args.brokers {
                settings.brokers = brokers.clone();
            }
            if let Some(topic) = &args.topic {
                settings.topics = vec![topic.clone()];
            }
            if let Some(group) = &args.group {
                settings.group = group.clone();
            }
            let job = kafka_job(pipeline, settings, lake, args.until_idle);
            let stop = stop_on_signal();
            let summary = run_kafka(job, Arc::new(SystemClock) as Arc<dyn Clock>, stop)?;
            eprintln!("pipeline {}: {}", pipeline.name, summary.one_line());
            if let Some(line) = summary.drift_line() {
                eprintln!("pipeline {}: {line}", pipeline.name);
            }
            Ok(())
        }
    }
}

pub fn kafka_job(pipeline: &Pipeline, kafka: KafkaSettings, lake: std::path::PathBuf, until_idle: bool) -> KafkaRun {
    KafkaRun {
        pipeline: pipeline.name.clone(),
        kafka,
        lake,
        session: pipeline.sessionization.clone(),
        limits: pipeline.limits.clone(),
        redaction: pipeline.redaction.clone(),
        lake_files: pipeline.lake_files.clone(),
        commit_interval: pipeline.commit_interval,
        dead_letter_topic: pipeline.dead_letter_topic.clone(),
        until_idle,
        retry_budget: RETRY_BUDGET,
        workers: workers(),
        drift: Some(pipeline.drift.clone()),
    }
}

fn workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// A flag set by SIGINT or SIGTERM; the run loop then commits and returns.
fn stop_on_signal() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let spawned = std::thread::Builder::new().name("signals".into()).spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
            return;
        };
        runtime.block_on(async {
            let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for SIGTERM");
                    return;
                }
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
        });
        tracing::info!("signal received: stopping after a final commit");
        flag.store(true, Ordering::Relaxed);
    });
    if let Err(error) = spawned {
        tracing::warn!(%error, "no signal handling thread");
    }
    stop
}
