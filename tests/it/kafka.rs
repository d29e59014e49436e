//! The Kafka path against librdkafka's mock cluster (the embedded default `demo` uses):
//! the pipeline runs as a separate `convolens run` process against brokers living in the
//! test process, and its lake must equal the file path's on the same traffic — also after
//! being SIGKILLed at random points and restarted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use convolens_generator::{Generator, GeneratorConfig};
use convolens_ingest::kafka::{EmbeddedCluster, produce_lines};

use crate::broker::assert_same_lake;
use crate::support::{bin, ingest, path_str, run_ok};

struct Traffic {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    ndjson: PathBuf,
    cluster: EmbeddedCluster,
    topic: String,
}

/// Generated traffic, produced (keyed by conversation) into a fresh topic and also written
/// as NDJSON in the same order, so that the file path can process identical input.
fn traffic(seed: u64, conversations: u64, partitions: i32) -> Traffic {
    traffic_of(
        GeneratorConfig {
            seed,
            conversations,
            ..GeneratorConfig::default()
        },
        partitions,
    )
}

fn traffic_of(config: GeneratorConfig, partitions: i32) -> Traffic {
    let (traffic, records) = unproduced_traffic(config, partitions);
    traffic.produce(records);
    traffic
}

impl Traffic {
    /// Produces `records` (keyed) into the traffic's topic.
    fn produce(&self, records: impl IntoIterator<Item = (Option<Vec<u8>>, Vec<u8>)>) {
        produce_lines(self.cluster.bootstrap_servers(), &self.topic, records, &BTreeMap::new()).expect("produce");
    }
}

/// Keyed records of generated traffic, in order.
type Records = Vec<(Option<Vec<u8>>, Vec<u8>)>;

/// As [`traffic_of`], but the records are returned for the caller to produce.
fn unproduced_traffic(config: GeneratorConfig, partitions: i32) -> (Traffic, Records) {
    let dir = tempfile::tempdir().expect("tempdir");
    let cluster = EmbeddedCluster::start().expect("mock cluster");
    let topic = format!("support.events.{}", config.seed);
    cluster.create_topic(&topic, partitions).expect("topic");
    let lines: Vec<_> = Generator::new(config).expect("generator").collect();
    let ndjson = dir.path().join("traffic.ndjson");
    let mut text = Vec::new();
    for line in &lines {
        text.extend_from_slice(&line.bytes);
        text.push(b'\n');
    }
    std::fs::write(&ndjson, text).expect("write ndjson");
    let records = lines
        .into_iter()
        .map(|line| (line.key.map(String::into_bytes), line.bytes))
        .collect();
    let traffic = Traffic {
        dir: dir.path().to_path_buf(),
        _dir: dir,
        ndjson,
        cluster,
        topic,
    };
    (traffic, records)
}

fn config_file(dir: &Path) -> PathBuf {
    config_with(dir, "", "")
}

/// The test pipeline file, with more librdkafka `properties` (`, key: value` pairs) and
/// `extra` appended to the pipeline's settings.
fn config_with(dir: &Path, properties: &str, extra: &str) -> PathBuf {
    let path = dir.join("pipelines.yaml");
    std::fs::write(
        &path,
        format!(
            "version: 1\npipelines:\n  support:\n    source:\n      kafka:\n        brokers: [\"127.0.0.1:1\"]\n        topics: [placeholder]\n        group: placeholder\n        properties: {{ session.timeout.ms: \"6000\", heartbeat.interval.ms: \"500\"{properties} }}\n    lake: ./unused\n    commit_interval: 1s\n    lake_files: {{ max_rows: 5000 }}\n{extra}"
        ),
    )
    .expect("write config");
    path
}

fn run_args<'a>(traffic: &'a Traffic, config: &'a Path, lake: &'a Path, group: &'a str) -> Vec<&'a str> {
    vec![
        "run",
        "--config",
        path_str(config),
        "--brokers",
        traffic.cluster.bootstrap_servers(),
        "--topic",
        &traffic.topic,
        "--group",
        group,
        "--lake",
        path_str(lake),
    ]
}

fn spawn(args: &[&str]) -> Child {
    bin()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn convolens run")
}

#[test]
fn kafka_until_idle_lake_equals_the_file_replay() {
    let traffic = traffic(101, 400, 4);
    let config = config_file(&traffic.dir);
    let kafka_lake = traffic.dir.join("kafka-lake");
    let mut args = run_args(&traffic, &config, &kafka_lake, "it-until-idle");
    args.push("--until-idle");
    run_ok(&args);
    let file_lake = traffic.dir.join("file-lake");
    ingest(&traffic.ndjson, &file_lake);
    assert_same_lake(&file_lake, &kafka_lake);
}

#[test]
fn sigkill_at_random_points_then_restart_leaves_an_exact_lake() {
    let traffic = traffic(202, 1500, 4);
    let config = config_file(&traffic.dir);
    let lake = traffic.dir.join("killed-lake");
    let group = "it-sigkill";
    // Deterministic "random" kill points, spread over the run (fixed seed: reproducible).
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for attempt in 0..6 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        // The dead member's session (6 s) delays each restart's assignment: kill later.
        let delay = Duration::from_millis(2_000 + state % 7_000);
        let mut child = spawn(&run_args(&traffic, &config, &lake, group));
        let started = Instant::now();
        while started.elapsed() < delay {
            if child.try_wait().expect("try_wait").is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill(); // SIGKILL
        let status = child.wait().expect("wait");
        eprintln!("attempt {attempt}: killed after {delay:?} ({status})");
    }
    let mut args = run_args(&traffic, &config, &lake, group);
    args.push("--until-idle");
    run_ok(&args);
    let file_lake = traffic.dir.join("file-lake");
    ingest(&traffic.ndjson, &file_lake);
    assert_same_lake(&file_lake, &lake);
    let leftovers: Vec<_> = std::fs::read_dir(lake.join("_tmp")).expect("_tmp").collect();
    assert!(
        leftovers.is_empty(),
        "staged files of killed runs are cleaned up: {leftovers:?}"
    );
}

/// Files committed to the lake's `events` table so far.
fn committed_files(lake: &Path) -> usize {
    std::fs::read_dir(lake.join("events"))
        .map(|days| {
            days.flatten()
                .filter_map(|d| std::fs::read_dir(d.path()).ok())
                .flatten()
                .count()
        })
        .unwrap_or(0)
}

/// Runs `convolens run` (streaming) until it has committed new files and then none for a
/// while, and SIGKILLs it.
fn run_then_kill(args: &[&str], lake: &Path) {
    let before = committed_files(lake);
    let mut child = spawn(args);
    let started = Instant::now();
    let (mut seen, mut quiet_since) = (before, Instant::now());
    while started.elapsed() < Duration::from_secs(60) && child.try_wait().expect("try_wait").is_none() {
        let now = committed_files(lake);
        if now != seen {
            (seen, quiet_since) = (now, Instant::now());
        }
        if seen > before && quiet_since.elapsed() > Duration::from_millis(2500) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill(); // SIGKILL
    let status = child.wait().expect("wait");
    eprintln!(
        "killed after {:?} ({status}), {} files",
        started.elapsed(),
        committed_files(lake)
    );
}

#[test]
fn streamed_drift_of_a_killed_and_restarted_run_equals_drift_update() {
    let start = convolens_core::Timestamp::from_millis(20_759 * 86_400_000); // 2026-11-02
    let day = Duration::from_secs(86_400);
    let (traffic, records) = unproduced_traffic(
        GeneratorConfig {
            seed: 303,
            conversations: 2000,
            start,
            span: 2 * day,
            embeddings: true,
            drift: Some(convolens_generator::DriftInjection::starting_at(
                start.saturating_add(day),
            )),
            ..GeneratorConfig::default()
        },
        4,
    );
    // The reference profile, frozen from day one of the same traffic replayed from file.
    let reference_lake = traffic.dir.join("reference-lake");
    ingest(&traffic.ndjson, &reference_lake);
    crate::support::drift_profile(&reference_lake, "2026-11-02", "2026-11-03", "baseline");
    let lake = traffic.dir.join("streamed-lake");
    std::fs::create_dir_all(lake.join("drift_profiles")).unwrap();
    std::fs::copy(
        reference_lake.join("drift_profiles/baseline.json"),
        lake.join("drift_profiles/baseline.json"),
    )
    .unwrap();
    let config = config_with(
        &traffic.dir,
        "",
        "    drift:\n      reference: { profile: drift_profiles/baseline.json }\n      window: 4h\n",
    );
    // The traffic arrives in three parts; the run is killed after each of the first two,
    // with conversations and drift windows open, and resumes from the lake.
    let args = run_args(&traffic, &config, &lake, "it-drift");
    let third = records.len() / 3 + 1;
    let mut parts = records.chunks(third);
    let produce = |part: &[(Option<Vec<u8>>, Vec<u8>)]| traffic.produce(part.iter().cloned());
    for part in parts.by_ref().take(2) {
        produce(part);
        run_then_kill(&args, &lake);
    }
    parts.for_each(produce);
    let before_last = crate::support::query_json(&lake, "SELECT COUNT(DISTINCT window_start) AS n FROM drift_metrics");
    assert!(
        before_last[0]["n"].as_i64().unwrap() > 0,
        "the killed runs streamed windows: {before_last:?}"
    );
    let mut args = args.clone();
    args.push("--until-idle");
    let stderr = String::from_utf8_lossy(&run_ok(&args).stderr).into_owned();
    assert!(
        stderr.contains("drift_metrics: "),
        "the last run streamed drift:\n{stderr}"
    );
    // A kill between a commit and its drift rows leaves that window to `drift update`.
    let update = crate::support::drift_update(&lake, &config);
    eprintln!(
        "last run: {stderr}\ndrift update: {}",
        String::from_utf8_lossy(&update.stdout)
    );

    let rows = "SELECT window_start, feature, kind, n_ref, n_cur, null_share_cur, psi, js, ks, ks_p, \
                wasserstein, wasserstein_norm, auc, unseen, value, verdict, alarms FROM drift_metrics";
    let streamed = crate::support::query_json(&lake, rows);
    let recomputed = crate::support::recomputed_drift(&lake, &traffic.dir.join("recomputed-lake"), &config, rows);
    assert!(recomputed.len() > 100, "{} rows", recomputed.len());
    let diffs = crate::support::diff_rows(&recomputed, &streamed, &["window_start", "feature"], 1e-12);
    assert!(diffs.is_empty(), "streamed vs recomputed:\n{}", diffs.join("\n"));
}
