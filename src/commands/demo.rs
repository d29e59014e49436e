//! `convolens demo`: the embedded default, end to end with nothing to install.
//!
//! Starts librdkafka's in-process mock cluster (three brokers), produces a realistic day
//! of support traffic into it, runs the pipeline of `pipelines.yaml` against it until
//! caught up (the same Kafka runner as `convolens run`), then shows the KPIs and how to
//! query the lake.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::{Context, bail};
use convolens_core::spec::{Config, Pipeline, SourceSpec, StartFrom};
use convolens_core::{Clock, SystemClock};
use convolens_generator::{Generator, GeneratorConfig};
use convolens_ingest::kafka::{EmbeddedCluster, KafkaSettings, produce_lines};

use super::{config, run, runtime};
use crate::cli::DemoArgs;
use crate::query::{LakeSession, OutputFormat, write_batches};
use crate::runner::kafka::run as run_kafka;

/// Marks a directory as a demo lake, which the next demo may replace.
const DEMO_MARKER: &str = ".convolens-demo";
const DEMO_TOPIC: &str = "support.events";
const DEMO_PARTITIONS: i32 = 6;

pub fn demo(args: DemoArgs) -> anyhow::Result<()> {
    let pipeline = demo_pipeline(&args)?;
    prepare_lake(&args.lake)?;
    let cluster = EmbeddedCluster::start()?;
    let topic = match &pipeline.source {
        SourceSpec::Kafka(spec) => spec.topics.first().cloned().unwrap_or_else(|| DEMO_TOPIC.to_string()),
        SourceSpec::Files { .. } => DEMO_TOPIC.to_string(),
    };
    cluster.create_topic(&topic, DEMO_PARTITIONS)?;
    eprintln!(
        "started an in-process Kafka cluster (3 brokers at {}) with topic {topic} ({DEMO_PARTITIONS} partitions)",
        cluster.bootstrap_servers()
    );

    let generator_config = GeneratorConfig {
        seed: args.seed,
        conversations: args.conversations,
        ..GeneratorConfig::default()
    };
    let generator = Generator::new(generator_config)?;
    let lines = generator.map(|line| (line.key.map(String::into_bytes), line.bytes));
    let produced = produce_lines(cluster.bootstrap_servers(), &topic, lines, &BTreeMap::new())?;
    eprintln!(
        "produced a generated day of support traffic: {produced} messages ({} conversations)",
        args.conversations
    );

    let settings = KafkaSettings {
        brokers: cluster.bootstrap_servers().to_string(),
        topics: vec![topic],
        group: format!("convolens-demo-{}", std::process::id()),
        start_from: StartFrom::Earliest,
        properties: BTreeMap::new(),
    };
    let mut job = run::kafka_job(&pipeline, settings, args.lake.clone(), true);
    // The mock cluster has no dead-letter topic; dead letters are in the lake.
    job.dead_letter_topic = None;
    let summary = run_kafka(
        job,
        Arc::new(SystemClock) as Arc<dyn Clock>,
        Arc::new(AtomicBool::new(false)),
    )?;
    eprintln!("pipeline {}: {}", pipeline.name, summary.one_line());
    drop(cluster);
    print_results(&args.lake)
}

/// The pipeline of the config file (or the built-in defaults without one).
fn demo_pipeline(args: &DemoArgs) -> anyhow::Result<Pipeline> {
    if args.config.config.exists() {
        let config: Config = config::load(&args.config.config)?;
        return Ok(config::pick(&config, args.config.pipeline.as_deref(), &args.config.config)?.clone());
    }
    let defaults = convolens_core::spec::compile_str(
        "version: 1\npipelines:\n  support:\n    source:\n      kafka: { brokers: [demo], topics: [support.events], group: demo }\n    lake: demo-lake\n",
        "(built-in demo defaults)",
        &|_| None,
    )?;
    match defaults.pipelines.into_iter().next() {
        Some(pipeline) => Ok(pipeline),
        None => bail!("built-in demo defaults define no pipeline"),
    }
}

fn print_results(lake: &Path) -> anyhow::Result<()> {
    let kpis = runtime()?.block_on(async {
        let session = LakeSession::open(lake).await?;
        session
            .query(
                "SELECT day, tenant_id, channel, conversations, \
                 ROUND(containment_rate, 3) AS containment, ROUND(escalation_rate, 3) AS escalation, \
                 ROUND(verified_containment_rate, 3) AS verified_containment, ROUND(fcr_rate, 3) AS fcr, \
                 ROUND(aht_s, 1) AS aht_s, ROUND(csat_mean, 2) AS csat_mean \
                 FROM kpi_daily ORDER BY day, tenant_id, channel",
            )
            .await
    })?;
    println!("\nDaily KPIs (kpi_daily):");
    write_batches(&kpis, OutputFormat::Table, &mut std::io::stdout())?;
    let absolute_lake = absolute(lake);
    println!("The lake is at {}", absolute_lake.display());
    println!("Query it, for example:");
    println!(
        "  cargo run --release -- query --lake {} \"SELECT first_intent, SUM(conversations) AS n, SUM(contained) * 1.0 / SUM(conversations) AS containment FROM kpi_by_intent GROUP BY 1 ORDER BY n DESC LIMIT 10\"",
        lake.display()
    );
    println!(
        "  duckdb -c \"SELECT channel, count(*) FROM read_parquet('{}/conversations/*/*.parquet', hive_partitioning = true) GROUP BY 1\"",
        absolute_lake.display()
    );
    Ok(())
}

/// Creates the demo lake, replacing a previous demo's but never a directory it did not make.
fn prepare_lake(lake: &Path) -> anyhow::Result<()> {
    if lake.exists() {
        let is_previous_demo = lake.join(DEMO_MARKER).exists();
        let is_empty = std::fs::read_dir(lake).map(|mut d| d.next().is_none()).unwrap_or(false);
        if !is_previous_demo && !is_empty {
            bail!(
                "{} exists and is not a demo lake; choose another --lake",
                lake.display()
            );
        }
        if is_previous_demo {
            std::fs::remove_dir_all(lake)
                .with_context(|| format!("removing the previous demo lake {}", lake.display()))?;
        }
    }
    std::fs::create_dir_all(lake).with_context(|| format!("creating {}", lake.display()))?;
    std::fs::write(
        lake.join(DEMO_MARKER),
        b"created by `convolens demo`; the next demo replaces this directory\n",
    )
    .context("marking the demo lake")?;
    Ok(())
}

fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}
