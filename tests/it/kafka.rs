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
    let dir = tempfile::tempdir().expect("tempdir");
    let cluster = EmbeddedCluster::start().expect("mock cluster");
    let topic = format!("support.events.{seed}");
    cluster.create_topic(&topic, partitions).expect("topic");
    let config = GeneratorConfig {
        seed,
        conversations,
        ..GeneratorConfig::default()
    };
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
        .map(|line| (line.key.map(String::into_bytes), line.bytes));
    produce_lines(cluster.bootstrap_servers(), &topic, records, &BTreeMap::new()).expect("produce");
    Traffic {
        dir: dir.path().to_path_buf(),
        _dir: dir,
        ndjson,
        cluster,
        topic,
    }
}

fn config_file(dir: &Path) -> PathBuf {
    let path = dir.join("pipelines.yaml");
    std::fs::write(
        &path,
        "version: 1\npipelines:\n  support:\n    source:\n      kafka:\n        brokers: [\"127.0.0.1:1\"]\n        topics: [placeholder]\n        group: placeholder\n        properties: { session.timeout.ms: \"6000\", heartbeat.interval.ms: \"500\" }\n    lake: ./unused\n    commit_interval: 1s\n    lake_files: { max_rows: 5000 }\n",
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
