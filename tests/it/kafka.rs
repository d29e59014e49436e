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
use serde_json::Value;

use crate::support::{bin, ingest, path_str, query_json, run_ok, values_match};

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

/// What must be identical between two lakes built from the same input.
fn lake_contents(lake: &Path) -> BTreeMap<&'static str, Vec<Value>> {
    let mut contents = BTreeMap::new();
    contents.insert(
        "event_ids",
        query_json(lake, "SELECT event_id FROM events ORDER BY event_id"),
    );
    contents.insert(
        "event_duplicates",
        query_json(
            lake,
            "SELECT event_id, COUNT(*) AS n FROM events GROUP BY event_id HAVING COUNT(*) > 1",
        ),
    );
    contents.insert(
        "dead_letter_raw",
        query_json(
            lake,
            "SELECT raw_text, reason FROM dead_letters ORDER BY raw_text, reason",
        ),
    );
    // Every fact but `version`: how many versions were emitted depends on when the
    // watermark passed, which differs between one global stream and per-partition ones.
    let facts = "tenant_id, conversation_id, started_at, ended_at, closed_at, disposition, channel, customer_id, \
        handed_off, handoff_reason, agent_handled, queue_abandoned, bot_time_s, queue_wait_s, talk_hold_s, hold_s, \
        acw_s, talk_s, handle_time_s, customer_messages, bot_messages, agent_messages, first_intent, \
        mean_confidence, min_confidence, kb_lookups, kb_misses, contained_gross, contained, resolved_by_bot, \
        csat_score, csat_scale, csat_5, recontacted, event_count, closed_by_inactivity";
    contents.insert(
        "facts",
        query_json(
            lake,
            &format!("SELECT {facts} FROM conversation_facts ORDER BY tenant_id, conversation_id"),
        ),
    );
    contents.insert(
        "kpi_daily",
        query_json(lake, "SELECT * FROM kpi_daily ORDER BY day, tenant_id, channel"),
    );
    contents
}

fn assert_same_lake(expected: &Path, actual: &Path) {
    let (want, got) = (lake_contents(expected), lake_contents(actual));
    for (key, rows) in &want {
        let other = &got[key];
        assert_eq!(rows.len(), other.len(), "{key}: row count");
        for (i, (w, g)) in rows.iter().zip(other).enumerate() {
            // Means are sums in another order on another path: equal to 1e-12 relative.
            let same = match (w, g) {
                (Value::Object(w), Value::Object(g)) => {
                    w.len() == g.len()
                        && w.iter()
                            .all(|(k, v)| g.get(k).is_some_and(|other| values_match(v, other, 1e-12)))
                }
                _ => w == g,
            };
            assert!(same, "{key}: row {i} differs:\n  file:  {w}\n  kafka: {g}");
        }
    }
    assert!(want["event_duplicates"].is_empty(), "no event twice");
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
