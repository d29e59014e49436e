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
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use convolens_core::Timestamp;
use convolens_core::spec::{CalibrationMethod, Config, Pipeline, SourceSpec, StartFrom};
use convolens_core::{Clock, SystemClock};
use convolens_evaluators::recalibrate::Method;
use convolens_generator::{DriftInjection, Generator, GeneratorConfig};
use convolens_ingest::kafka::{EmbeddedCluster, KafkaSettings, produce_lines};

use super::drift::{full_report, write_atomically};
use super::{config, drift_settings, run, runtime};
use crate::analysis::calibration::{self, FitPlan};
use crate::analysis::driver_rows;
use crate::analysis::drivers;
use crate::analysis::pairs::{self, LabelledPairs};
use crate::cli::DemoArgs;
use crate::query::{LakeSession, OutputFormat, write_batches};
use crate::reports;
use crate::runner::kafka::run as run_kafka;
use crate::window::Window;

/// Marks a directory as a demo lake, which the next demo may replace.
const DEMO_MARKER: &str = ".convolens-demo";
const DEMO_TOPIC: &str = "support.events";
const DEMO_PARTITIONS: i32 = 6;
/// librdkafka's mock brokers keep at most 5 MiB per partition (hard-coded in
/// rdkafka_mock.c) and silently drop the oldest messages beyond that, so a day of traffic
/// larger than the topic can hold would be consumed only in part.
const MOCK_PARTITION_BYTES: u64 = 5 * 1024 * 1024;
/// The demo's producer compresses its batches, as production producers usually do; the
/// mock brokers store them compressed, so a partition holds about 3.4 times more traffic.
const PRODUCER_COMPRESSION: &str = "lz4";
/// Generous size of one generated conversation on the topic, lz4-compressed in batches
/// (about 1.33 KB measured: 6 partitions dropped messages beyond 23,600 conversations;
/// 4.7 KB uncompressed).
const BYTES_PER_CONVERSATION: u64 = 1536;

/// Enough partitions that each stays well under the mock's retention (keys spread
/// conversations unevenly, so each is filled to at most about 75 %). Fewer partitions
/// also mean fewer, larger Parquet files: each partition writes its own.
fn demo_partitions(conversations: u64) -> i32 {
    let bytes = conversations.saturating_mul(BYTES_PER_CONVERSATION);
    let needed = bytes.div_ceil(MOCK_PARTITION_BYTES * 3 / 4);
    i32::try_from(needed).unwrap_or(i32::MAX).max(DEMO_PARTITIONS)
}

pub fn demo(args: DemoArgs) -> anyhow::Result<()> {
    let pipeline = demo_pipeline(&args)?;
    prepare_lake(&args.lake)?;
    let cluster = EmbeddedCluster::start()?;
    let topic = match &pipeline.source {
        SourceSpec::Kafka(spec) => spec.topics.first().cloned().unwrap_or_else(|| DEMO_TOPIC.to_string()),
        SourceSpec::Files { .. } => DEMO_TOPIC.to_string(),
    };
    let partitions = demo_partitions(args.conversations);
    cluster.create_topic(&topic, partitions)?;
    eprintln!(
        "started an in-process Kafka cluster (3 brokers at {}) with topic {topic} ({partitions} partitions)",
        cluster.bootstrap_servers()
    );

    // An incident in the afternoon: from 14:00 the traffic drifts (card-fraud intents,
    // lower router confidence, intents the router never saw), so the drift report has
    // something to show. Predictions carry small embeddings for the embedding classifier.
    let defaults = GeneratorConfig::default();
    let incident = defaults.start.saturating_add(Duration::from_secs(INCIDENT_AFTER_S));
    let generator_config = GeneratorConfig {
        seed: args.seed,
        conversations: args.conversations,
        embeddings: true,
        drift: Some(DriftInjection::starting_at(incident)),
        // Kafka brokers refuse messages over 1 MB (`message.max.bytes`), so an oversized
        // line cannot reach the topic; the file path's tests cover those.
        oversized_every: 0,
        ..defaults
    };
    let day_start = generator_config.start;
    let generator = Generator::new(generator_config)?;
    let lines = generator.map(|line| (line.key.map(String::into_bytes), line.bytes));
    let producing = Instant::now();
    let compression = BTreeMap::from([("compression.type".to_string(), PRODUCER_COMPRESSION.to_string())]);
    let produced = produce_lines(cluster.bootstrap_servers(), &topic, lines, &compression)?;
    eprintln!(
        "produced a generated day of support traffic: {produced} messages ({} conversations) in {:.2} s",
        args.conversations,
        producing.elapsed().as_secs_f64()
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
    let consuming = Instant::now();
    let summary = run_kafka(
        job,
        Arc::new(SystemClock) as Arc<dyn Clock>,
        Arc::new(AtomicBool::new(false)),
    )?;
    // To the last commit: the lake is complete and queryable then. Closing the consumer
    // afterwards (leaving the group; librdkafka waits for a fetch the broker may hold for
    // `fetch.wait.max.ms`) is reported apart.
    let seconds = summary.elapsed.as_secs_f64();
    let closing = consuming.elapsed().saturating_sub(summary.elapsed).as_secs_f64();
    if summary.routed.records != produced {
        bail!(
            "the pipeline consumed {} of the {produced} messages produced: the embedded cluster keeps at most \
             5 MiB per partition and dropped the rest (try fewer --conversations)",
            summary.routed.records
        );
    }
    // scripts/bench_kafka.py reads this line: messages from the pre-filled topic to
    // committed Parquet, idle detection at the end included, and the group join within it.
    let joined = summary.joined_after.map_or(0.0, |d| d.as_secs_f64());
    eprintln!(
        "pipeline {}: {} ({seconds:.2} s to the last commit: {:.0} messages/s; consumer group join {joined:.2} s, \
         {:.0} messages/s after it; consumer closed {closing:.2} s later)",
        pipeline.name,
        summary.one_line(),
        produced as f64 / seconds,
        produced as f64 / (seconds - joined).max(1e-9)
    );
    drop(cluster);
    print_results(&args.lake)?;
    let windows = DemoWindows {
        reference: window_between(day_start, incident),
        current: window_between(incident, day_start.saturating_add(Duration::from_secs(86_400))),
        all: Window::ALL,
    };
    write_reports(&args.lake, &pipeline, &windows)
}

const INCIDENT_AFTER_S: u64 = 14 * 3600;

struct DemoWindows {
    reference: Window,
    current: Window,
    all: Window,
}

fn window_between(from: Timestamp, to: Timestamp) -> Window {
    let at = |t: Timestamp| chrono::DateTime::from_timestamp_micros(t.0);
    Window {
        from: at(from),
        to: at(to),
    }
}

/// Calibration, CSAT drivers and drift of the demo day, as HTML (and drift also as JSON)
/// under LAKE/reports/.
fn write_reports(lake: &Path, pipeline: &Pipeline, windows: &DemoWindows) -> anyhow::Result<()> {
    let dir = lake.join("reports");
    let options = drift_settings::from_settings(&pipeline.drift);
    let calibration_settings = &pipeline.calibration;
    let (summary, maps, drivers, multivariate, full) = runtime()?.block_on(async {
        let session = LakeSession::open(lake).await?;
        let mut pairs = pairs::load(lake, &windows.all)?;
        pairs.sort_by_confidence();
        let summary = calibration::summarise(&pairs, &windows.all, calibration_settings.bins)?;
        pairs.sort_by_arrival();
        let plan = FitPlan {
            method: match calibration_settings.method {
                CalibrationMethod::Platt => Method::Platt,
                CalibrationMethod::Isotonic => Method::Isotonic,
            },
            train: windows.all,
            held_out: None,
            held_out_share: 0.2,
            bins: calibration_settings.bins,
            target_accuracy: calibration_settings.target_accuracy,
            min_intent_support: calibration_settings.min_intent_support,
        };
        let maps = calibration::fit_maps(&plan, &pairs, &LabelledPairs::default());
        let rows = driver_rows::load(lake, &windows.all)?;
        let correlations = drivers::correlations(&rows);
        let multivariate = drivers::multivariate(&rows)?;
        let reference = windows.reference.to_string();
        let full = full_report(&session, lake, &reference, &windows.current, &options).await?;
        anyhow::Ok((summary, maps, correlations, multivariate, full))
    })?;
    let calibration_path = dir.join("calibration.html");
    write_atomically(
        &calibration_path,
        reports::calibration_page(&summary, Some(&maps)).as_bytes(),
    )?;
    let maps_path = dir.join("calibration-map.json");
    write_atomically(&maps_path, serde_json::to_string_pretty(&maps)?.as_bytes())?;
    let drivers_path = dir.join("csat-drivers.html");
    let all = windows.all.to_string();
    write_atomically(
        &drivers_path,
        reports::drivers_page(&all, &drivers, multivariate.as_ref()).as_bytes(),
    )?;
    let drift_path = dir.join("drift.html");
    write_atomically(&drift_path, reports::drift_page(&full).as_bytes())?;
    write_atomically(
        &drift_path.with_extension("json"),
        serde_json::to_string_pretty(&full.report)?.as_bytes(),
    )?;
    let drifted: Vec<&str> = full
        .report
        .features
        .iter()
        .filter(|f| f.verdict == convolens_drift::Verdict::Drift)
        .map(|f| f.feature.as_str())
        .collect();
    println!("\nReports (self-contained HTML, open in any browser):");
    println!(
        "  calibration:  {} (ECE {:.4} over {} labelled predictions; maps with handoff thresholds in {})",
        absolute(&calibration_path).display(),
        summary.overall.report.ece.unwrap_or(f64::NAN),
        summary.overall.report.n,
        absolute(&maps_path).display()
    );
    println!("  CSAT drivers: {}", absolute(&drivers_path).display());
    println!(
        "  drift:        {} (the afternoon incident against the morning: {} drifted)",
        absolute(&drift_path).display(),
        if drifted.is_empty() {
            "nothing".to_string()
        } else {
            drifted.join(", ")
        }
    );
    Ok(())
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
