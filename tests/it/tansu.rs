//! The Kafka path against a real Kafka-protocol broker: tansu (SQLite storage), started by
//! `scripts/tansu.sh` on a free loopback port for each test (issue 3, item 7).
//!
//! Each test creates a topic with four partitions (a CreateTopics request, sent by `tansu
//! topic create`), produces dirty generated traffic (duplicates, disorder, invalid lines)
//! keyed by conversation with rdkafka (`produce_lines`), runs `convolens run` as child
//! processes that it kills, restarts and splits, and finally
//! compares the lake with the file replay (`convolens ingest`) of the same lines: the
//! established reference of `kafka.rs` (same events once each, same dead letters, same
//! facts but `version`, same KPIs).
//!
//! Without tansu installed the tests are skipped with a message, unless
//! `CONVOLENS_REQUIRE_TANSU=1` (CI), which makes that a failure.
//! Every child process (tansu and convolens) is killed when a test ends, also on panic.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use convolens_generator::{Generator, GeneratorConfig, LineKind};
use convolens_ingest::kafka::{dead_letter_headers, produce_lines};
use serde_json::Value;

use crate::broker::{Pipeline, Tansu, assert_same_lake, committed_messages, require_tansu, wait_for};
use crate::support::{bin, path_str, query_json, run_ok};

const PARTITIONS: i32 = 4;
/// Generous deadlines: correctness checks on a loaded 2-core CI machine, not timings.
const JOIN_TIMEOUT: Duration = Duration::from_secs(60);
const CATCH_UP_TIMEOUT: Duration = Duration::from_secs(90);
const EXIT_TIMEOUT: Duration = Duration::from_secs(60);
/// The consumers' group session. A SIGKILLed member never leaves the group, so the
/// coordinator gives its partitions to the others (or a restarted process) only once this
/// expires; librdkafka's default of 45 s would dominate every test.
const SESSION_TIMEOUT_MS: u32 = 6000;

/// One test's broker, topic, traffic, pipeline file and lake.
struct Scenario {
    name: &'static str,
    /// Declared before the directory: dropped (killed) first.
    tansu: Tansu,
    /// Kept (not deleted) when the test fails, for its logs and lakes.
    tmp: Option<tempfile::TempDir>,
    dir: PathBuf,
    topic: String,
    group: String,
    lines: Vec<Line>,
    produced: usize,
    ndjson: PathBuf,
    config: PathBuf,
    lake: PathBuf,
}

struct Line {
    key: Option<Vec<u8>>,
    bytes: Vec<u8>,
    invalid: bool,
}

/// Starts tansu, creates the topic, generates the traffic (not yet produced) and writes
/// it as NDJSON for the reference, and the pipeline file (`extra` is appended to the
/// pipeline's settings). None when tansu is not installed (the test is skipped).
fn scenario(name: &'static str, seed: u64, conversations: u64, extra: &str) -> Option<Scenario> {
    require_tansu(name)?;
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().to_path_buf();
    let tansu = Tansu::start(&dir.join("tansu"));
    let topic = "support.events".to_string();
    tansu.create_topic(&topic, PARTITIONS);
    let config = GeneratorConfig {
        seed,
        conversations,
        ..GeneratorConfig::default()
    };
    let lines: Vec<Line> = Generator::new(config)
        .expect("generator")
        .map(|line| Line {
            key: line.key.map(String::into_bytes),
            invalid: matches!(line.kind, LineKind::Invalid(_)),
            bytes: line.bytes,
        })
        .collect();
    assert!(
        lines.iter().any(|l| l.invalid),
        "the traffic has invalid lines to dead-letter"
    );
    let ndjson = dir.join("traffic.ndjson");
    let mut text = Vec::new();
    for line in &lines {
        text.extend_from_slice(&line.bytes);
        text.push(b'\n');
    }
    std::fs::write(&ndjson, text).expect("write ndjson");
    let config = dir.join("pipelines.yaml");
    // Brokers, topic, group and lake are placeholders: the command line overrides them.
    std::fs::write(
        &config,
        format!(
            "version: 1\npipelines:\n  support:\n    source:\n      kafka:\n        brokers: [\"127.0.0.1:1\"]\n        topics: [placeholder]\n        group: placeholder\n        start_from: earliest\n        properties: {{ session.timeout.ms: \"{SESSION_TIMEOUT_MS}\", heartbeat.interval.ms: \"500\" }}\n    lake: ./unused\n    commit_interval: 1s\n    lake_files: {{ max_rows: 5000 }}\n{extra}"
        ),
    )
    .expect("write config");
    eprintln!(
        "{name}: tansu on port {}, {} lines ({} invalid) in {}",
        tansu.port(),
        lines.len(),
        lines.iter().filter(|l| l.invalid).count(),
        dir.display()
    );
    Some(Scenario {
        name,
        lake: dir.join("lake"),
        tmp: Some(tmp),
        dir,
        tansu,
        topic,
        group: format!("it-{name}"),
        lines,
        produced: 0,
        ndjson,
        config,
    })
}

impl Scenario {
    /// Produces the lines up to (not including) `end`, waiting for every acknowledgement.
    fn produce_until(&mut self, end: usize) {
        let end = end.min(self.lines.len());
        if end > self.produced {
            self.produce_range(self.produced, end);
            self.produced = end;
        }
    }

    /// Produces `lines[start..end]`, waiting for every acknowledgement.
    fn produce_range(&self, start: usize, end: usize) {
        let records = self.lines[start..end]
            .iter()
            .map(|line| (line.key.clone(), line.bytes.clone()));
        let acked = produce_lines(&self.tansu.brokers(), &self.topic, records, &BTreeMap::new())
            .unwrap_or_else(|e| panic!("{}: produce: {e}\n{}", self.name, self.tansu.log_tail()));
        assert_eq!(acked, (end - start) as u64);
    }

    fn share(&self, fraction: f64) -> usize {
        (self.lines.len() as f64 * fraction).round() as usize
    }

    /// Produces the first `fraction` of the traffic (cumulative).
    fn produce_share(&mut self, fraction: f64) {
        self.produce_until(self.share(fraction));
    }

    fn run_args(&self) -> Vec<String> {
        let brokers = self.tansu.brokers();
        [
            "run",
            "--config",
            path_str(&self.config),
            "--brokers",
            &brokers,
            "--topic",
            &self.topic,
            "--group",
            &self.group,
            "--lake",
            path_str(&self.lake),
        ]
        .map(String::from)
        .to_vec()
    }

    /// A `convolens run` in streaming mode (until SIGTERM or SIGKILL).
    fn spawn(&self, label: &str) -> Pipeline {
        Pipeline::spawn(label, &self.run_args())
    }

    /// `convolens run --until-idle`: drains the topic, closes open conversations, exits 0.
    fn run_until_idle(&self) {
        let mut args = self.run_args();
        args.push("--until-idle".into());
        let mut run = Pipeline::spawn("final --until-idle run", &args);
        let status = run.wait(CATCH_UP_TIMEOUT);
        assert!(
            status.success(),
            "--until-idle run failed ({status}); log:\n{}",
            run.log()
        );
    }

    /// How many produced messages the lake's commits cover.
    fn committed(&self) -> i64 {
        committed_messages(&self.lake, &self.topic)
    }

    /// Waits until the lake's commits cover every produced message, while `pipelines`
    /// (the only consumers) keep running.
    fn wait_caught_up(&self, pipelines: &mut [&mut Pipeline]) {
        let target = self.produced as i64;
        wait_for(CATCH_UP_TIMEOUT, || {
            for pipeline in pipelines.iter_mut() {
                pipeline.assert_running();
            }
            match self.committed() {
                n if n == target => Ok(()),
                n => Err(format!("the lake's commits cover {n} of {target} messages")),
            }
        });
    }

    /// The file replay of all lines with the same settings: the uninterrupted reference
    /// (built once; `ingest` into an existing lake would append).
    fn reference(&self) -> PathBuf {
        let file_lake = self.dir.join("file-lake");
        if file_lake.exists() {
            return file_lake;
        }
        run_ok(&[
            "ingest",
            "--config",
            path_str(&self.config),
            "--input",
            path_str(&self.ndjson),
            "--lake",
            path_str(&file_lake),
        ]);
        file_lake
    }

    /// The lake equals the reference, and no staged file of a killed run is left over.
    fn assert_exact_lake(&self) {
        assert_eq!(self.produced, self.lines.len(), "all traffic produced");
        assert_eq!(self.committed(), self.lines.len() as i64, "every message committed");
        assert_same_lake(&self.reference(), &self.lake);
        let leftovers: Vec<_> = std::fs::read_dir(self.lake.join("_tmp"))
            .map(|entries| entries.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert!(
            leftovers.is_empty(),
            "staged files of killed runs are cleaned up: {leftovers:?}"
        );
    }
}

impl Drop for Scenario {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- {}: {}", self.name, self.tansu.log_tail());
            if let Some(tmp) = self.tmp.take() {
                eprintln!("--- {}: test directory kept: {}", self.name, tmp.keep().display());
            }
        }
    }
}

/// Deterministic "random" numbers (xorshift64), so a failing run can be reproduced.
struct Seeded(u64);

impl Seeded {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn all_partitions() -> BTreeSet<i32> {
    (0..PARTITIONS).collect()
}

/// (a) SIGKILL the pipeline at seeded random points while it consumes, five times,
/// restarting each time; a final `--until-idle` run must leave exactly the lake of an
/// uninterrupted run.
#[test]
fn tansu_sigkill_at_random_points_then_restart_leaves_an_exact_lake() {
    let Some(mut s) = scenario("tansu-sigkill", 301, 300, "") else {
        return;
    };
    let started = Instant::now();
    const KILLS: usize = 5;
    let mut rng = Seeded(0x5EED_0000_0000_0301);
    let mut interrupted = 0;
    for attempt in 0..KILLS {
        let spawned = Instant::now();
        let mut run = s.spawn(&format!("run {attempt}"));
        // A restarted member gets partitions once the killed one's session has expired.
        run.wait_assigned(PARTITIONS as usize, JOIN_TIMEOUT);
        let joined = spawned.elapsed();
        // Traffic arrives while it runs (produced from another thread), and the kill
        // lands somewhere in consuming, routing, writing or committing (every second).
        let (start, end) = (s.produced, s.share((attempt + 1) as f64 / (KILLS + 1) as f64));
        let delay = Duration::from_millis(rng.below(1_500));
        let committed_before = std::thread::scope(|scope| {
            let producer = scope.spawn(|| s.produce_range(start, end));
            let until = Instant::now() + delay;
            while Instant::now() < until {
                run.assert_running();
                std::thread::sleep(Duration::from_millis(5));
            }
            let committed = s.committed();
            run.sigkill();
            producer.join().expect("producer thread");
            committed
        });
        s.produced = end;
        if committed_before < end as i64 {
            interrupted += 1;
        }
        eprintln!(
            "attempt {attempt}: joined in {joined:?}, SIGKILL {delay:?} into producing {start}..{end}; \
             {committed_before} committed at the kill"
        );
    }
    eprintln!("{interrupted} of {KILLS} kills left consumed or produced messages uncommitted");
    s.produce_share(1.0);
    s.run_until_idle();
    s.assert_exact_lake();
    eprintln!("{}: passed in {:?}", s.name, started.elapsed());
}

/// (b) The broker dies (SIGKILL) while `convolens run` streams and comes back on the same
/// port with the same SQLite database; the pipeline rides out the outage (it retries with
/// backoff), consumes the rest and the lake is exact.
#[test]
fn tansu_broker_killed_and_restarted_mid_stream_pipeline_continues() {
    let Some(mut s) = scenario("tansu-broker-restart", 302, 300, "") else {
        return;
    };
    let started = Instant::now();
    s.produce_share(0.25);
    let mut run = s.spawn("streaming run");
    run.wait_assigned(PARTITIONS as usize, JOIN_TIMEOUT);
    wait_for(CATCH_UP_TIMEOUT, || {
        run.assert_running();
        if s.committed() > 0 {
            Ok(())
        } else {
            Err("no commit yet".into())
        }
    });
    // More traffic, and the broker dies while the pipeline is consuming it (at a seeded
    // random point within a commit interval, so usually before it is committed). Nothing
    // is produced while the broker is down: the acknowledged traffic is what must survive.
    s.produce_share(0.5);
    std::thread::sleep(Duration::from_millis(Seeded(0x5EED_0000_0000_0302).below(800)));
    let committed_before = s.committed();
    s.tansu.kill();
    eprintln!(
        "broker killed with {committed_before} of {} produced messages committed",
        s.produced
    );
    // The outage: long enough for the consumer to notice (failed fetches, reconnects with
    // backoff, failed offset hints), well within the run's 60 s retry budget.
    let outage = Instant::now() + Duration::from_secs(3);
    while Instant::now() < outage {
        run.assert_running();
        std::thread::sleep(Duration::from_millis(50));
    }
    s.tansu.restart();
    // The broker kept what was acknowledged before it died, and takes new traffic.
    s.produce_share(1.0);
    s.wait_caught_up(&mut [&mut run]);
    let status = run.sigterm(EXIT_TIMEOUT);
    assert!(
        status.success(),
        "the streaming run survived the outage and stops cleanly ({status}); log:\n{}",
        run.log()
    );
    s.run_until_idle();
    s.assert_exact_lake();
    eprintln!("{}: passed in {:?}", s.name, started.elapsed());
}

/// (c) Two streaming pipelines in one consumer group split the partitions; one is
/// SIGKILLed mid-stream, the survivor takes its partitions over once the group notices
/// (session timeout), consumes the rest of the traffic and stops on SIGTERM; the lake is
/// exact.
///
/// The member killed is the one that joined second. tansu 0.6.0 makes the first member to
/// join the group leader, and when the *leader* dies its coordinator keeps naming the dead
/// member as leader in every JoinGroup response, so the survivor (a follower) gets
/// REBALANCE_IN_PROGRESS and UNKNOWN_MEMBER_ID from SyncGroup in a loop and never receives
/// an assignment (seen with librdkafka `debug: cgrp`). That is a broker bug (a Kafka
/// coordinator elects a new leader); the runner's side of a takeover is the same either way.
#[test]
fn tansu_two_members_split_partitions_and_the_survivor_takes_over() {
    let Some(mut s) = scenario("tansu-two-members", 303, 300, "") else {
        return;
    };
    let started = Instant::now();
    s.produce_share(0.3);
    let mut leader = s.spawn("member A (first to join: the group leader)");
    leader.wait_assigned(PARTITIONS as usize, JOIN_TIMEOUT);
    let mut follower = s.spawn("member B (follower)");
    follower.wait_assigned(1, JOIN_TIMEOUT);
    // Cooperative rebalancing: A gives up what B takes; together they hold each partition
    // exactly once.
    wait_for(JOIN_TIMEOUT, || {
        leader.assert_running();
        follower.assert_running();
        let (a, b) = (leader.assigned(), follower.assigned());
        if a.is_disjoint(&b) && a.union(&b).copied().collect::<BTreeSet<_>>() == all_partitions() {
            Ok(())
        } else {
            Err(format!("A holds {a:?}, B holds {b:?}"))
        }
    });
    let (held_by_leader, held_by_follower) = (leader.assigned(), follower.assigned());
    assert!(!held_by_leader.is_empty() && !held_by_follower.is_empty());
    eprintln!("split: A holds {held_by_leader:?}, B holds {held_by_follower:?}");
    // Both consume their share of new traffic; B is killed at a random point in it.
    let (start, end) = (s.produced, s.share(0.6));
    let delay = Duration::from_millis(Seeded(0x5EED_0000_0000_0303).below(1_500));
    std::thread::scope(|scope| {
        let producer = scope.spawn(|| s.produce_range(start, end));
        let until = Instant::now() + delay;
        while Instant::now() < until {
            leader.assert_running();
            follower.assert_running();
            std::thread::sleep(Duration::from_millis(5));
        }
        follower.sigkill();
        producer.join().expect("producer thread");
    });
    s.produced = end;
    eprintln!(
        "member B killed {delay:?} into producing {start}..{end}, with {} committed",
        s.committed()
    );
    // Traffic for B's partitions too: only a survivor that took them over can commit it.
    s.produce_share(1.0);
    leader.wait_assigned(PARTITIONS as usize, JOIN_TIMEOUT);
    s.wait_caught_up(&mut [&mut leader]);
    let status = leader.sigterm(EXIT_TIMEOUT);
    assert!(
        status.success(),
        "member A stops cleanly ({status}); log:\n{}",
        leader.log()
    );
    s.run_until_idle();
    s.assert_exact_lake();
    eprintln!("{}: passed in {:?}", s.name, started.elapsed());
}

/// One message of the dead-letter topic as tansu stored it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct StoredLetter {
    raw: Vec<u8>,
    headers: BTreeMap<String, String>,
}

/// The records of `topic` in tansu's SQLite database, with their headers.
///
/// tansu's own consumer (`tansu cat consume`) prints neither headers nor non-JSON values,
/// and this test crate has no Kafka client that returns headers (rdkafka is a dependency
/// of `convolens-ingest`, not of the root crate's tests), so the test reads the broker's
/// storage (tansu 0.6.0 schema: `topic`, `topition`, `record`, `header`) with Python's
/// sqlite3, which `scripts/tansu.sh` already needs. The header round trip over the wire is
/// covered by `ingest/tests/kafka_mock.rs` (`dead_letters_round_trip`, also against a real
/// broker with `--ignored`).
fn stored_records(database: &Path, topic: &str) -> Vec<StoredLetter> {
    const SCRIPT: &str = r#"
import json, sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
records = db.execute(
    "select r.topition, r.offset_id, r.v from record r join topition tp on r.topition = tp.id "
    "join topic t on tp.topic = t.id where t.name = ? order by tp.partition, r.offset_id",
    (sys.argv[2],)).fetchall()
for topition, offset, value in records:
    headers = db.execute(
        "select k, v from header where topition = ? and offset_id = ?", (topition, offset)).fetchall()
    print(json.dumps({
        "raw": (value or b"").hex(),
        "headers": [[bytes(k).decode(), bytes(v).decode() if v is not None else None] for k, v in headers],
    }))
"#;
    let output = Command::new("python3")
        .args(["-c", SCRIPT, path_str(database), topic])
        .output()
        .expect("run python3");
    assert!(
        output.status.success(),
        "reading tansu's database: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            let record: Value = serde_json::from_str(line).expect("json");
            let hex = record["raw"].as_str().expect("raw");
            let raw = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
                .collect();
            let mut headers = BTreeMap::new();
            for pair in record["headers"].as_array().expect("headers") {
                let name = pair[0].as_str().expect("name").to_string();
                let value = pair[1].as_str().unwrap_or_default().to_string();
                assert!(
                    headers.insert(name.clone(), value).is_none(),
                    "header {name} appears once"
                );
            }
            StoredLetter { raw, headers }
        })
        .collect()
}

/// (e) With `dead_letter_topic` configured, every invalid message of an uninterrupted run
/// is on the dead-letter topic exactly once, its raw bytes as the value and headers naming
/// the reason and the source topic, partition and offset; the same set as the lake's
/// `dead_letters`.
///
/// The guarantee under crashes is weaker, by design (`DeadLetterProducer`: "at least
/// once"): letters are sent when routed and flushed at each commit, so a crash before the
/// commit re-sends them after restart. This test therefore runs without kills.
#[test]
fn tansu_dead_letter_topic_gets_every_invalid_message_once_with_headers() {
    let dlq = "support.events.dlq";
    let Some(mut s) = scenario(
        "tansu-dead-letters",
        304,
        300,
        &format!("    dead_letter_topic: {dlq}\n"),
    ) else {
        return;
    };
    let started = Instant::now();
    s.tansu.create_topic(dlq, 1);
    s.produce_share(1.0);
    s.run_until_idle();
    s.assert_exact_lake();
    let lake_letters = query_json(
        &s.lake,
        "SELECT raw_text, reason, source_topic, source_partition, source_offset \
         FROM dead_letters ORDER BY source_partition, source_offset",
    );
    let expected: BTreeSet<(String, String, String, String, String)> = lake_letters
        .iter()
        .map(|row| {
            (
                row["source_topic"].as_str().expect("topic").to_string(),
                row["source_partition"].to_string(),
                row["source_offset"].to_string(),
                row["reason"].as_str().expect("reason").to_string(),
                row["raw_text"].as_str().expect("raw_text").to_string(),
            )
        })
        .collect();
    assert_eq!(
        expected.len(),
        lake_letters.len(),
        "each source position once in the lake"
    );
    let invalid_lines = s.lines.iter().filter(|l| l.invalid).count();
    assert!(
        lake_letters.len() >= invalid_lines,
        "every invalid line is a dead letter ({} < {invalid_lines})",
        lake_letters.len()
    );
    // The run flushed the producer before exiting; stop the broker so its database is
    // complete and quiet.
    s.tansu.kill();
    let stored = stored_records(&s.tansu.database(), dlq);
    let mut seen = BTreeSet::new();
    for letter in &stored {
        let header = |name: &str| {
            letter
                .headers
                .get(name)
                .unwrap_or_else(|| panic!("header {name} missing: {letter:?}"))
                .clone()
        };
        let (topic, partition, offset) = (
            header(dead_letter_headers::SOURCE_TOPIC),
            header(dead_letter_headers::SOURCE_PARTITION),
            header(dead_letter_headers::SOURCE_OFFSET),
        );
        assert_eq!(topic, s.topic);
        assert_eq!(
            header(dead_letter_headers::SOURCE),
            format!("{topic}/{partition}@{offset}"),
            "{letter:?}"
        );
        assert!(!header(dead_letter_headers::DETAIL).is_empty());
        // The lake keeps the raw bytes too; `raw_text` (their lossy UTF-8) is what SQL
        // can compare without the encoding functions.
        let raw_text = String::from_utf8_lossy(&letter.raw).into_owned();
        let key = (topic, partition, offset, header(dead_letter_headers::REASON), raw_text);
        assert!(
            expected.contains(&key),
            "a dead letter on the topic that is not in the lake: {key:?}"
        );
        assert!(seen.insert(key.clone()), "a dead letter twice on the topic: {key:?}");
    }
    let missing: Vec<_> = expected.difference(&seen).collect();
    assert!(missing.is_empty(), "dead letters missing from the topic: {missing:?}");
    eprintln!(
        "{}: {} dead letters on {dlq}, passed in {:?}",
        s.name,
        stored.len(),
        started.elapsed()
    );
}

fn count(lake: &Path, sql: &str) -> i64 {
    try_count(lake, sql).unwrap_or_else(|e| panic!("{e}"))
}

/// A `SELECT COUNT(*) AS n …` over the lake; Err (with the reason) while the lake cannot
/// answer yet, e.g. before its first commit.
fn try_count(lake: &Path, sql: &str) -> Result<i64, String> {
    let output = bin()
        .args(["query", "--lake", path_str(lake), "--format", "json", sql])
        .output()
        .map_err(|e| format!("cannot run convolens query: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "query {sql:?} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let rows: Value = serde_json::from_slice(&output.stdout).map_err(|e| format!("query output: {e}"))?;
    rows.as_array()
        .and_then(|rows| rows.first())
        .and_then(|row| row["n"].as_i64())
        .ok_or_else(|| format!("query output {rows}"))
}

/// (f) Freshness: with a 1 s commit interval, what a streaming pipeline consumed becomes
/// queryable while it keeps running: all events and dead letters of each batch of
/// traffic, and the facts of conversations the watermark has passed.
#[test]
fn tansu_streaming_rows_become_queryable_without_stopping() {
    let Some(mut s) = scenario("tansu-freshness", 305, 300, "") else {
        return;
    };
    let started = Instant::now();
    // Expected counts after the first half and after everything, from file replays.
    let half = s.lines.len() / 2;
    let first_half = s.dir.join("first-half.ndjson");
    let mut text = Vec::new();
    for line in &s.lines[..half] {
        text.extend_from_slice(&line.bytes);
        text.push(b'\n');
    }
    std::fs::write(&first_half, text).expect("write");
    let half_lake = s.dir.join("half-lake");
    run_ok(&[
        "ingest",
        "--config",
        path_str(&s.config),
        "--input",
        path_str(&first_half),
        "--lake",
        path_str(&half_lake),
    ]);
    let full_lake = s.reference();
    let events = "SELECT COUNT(*) AS n FROM events";
    let letters = "SELECT COUNT(*) AS n FROM dead_letters";
    let expected = [
        (count(&half_lake, events), count(&half_lake, letters)),
        (count(&full_lake, events), count(&full_lake, letters)),
    ];

    let mut run = s.spawn("streaming run");
    run.wait_assigned(PARTITIONS as usize, JOIN_TIMEOUT);
    let ends = [half, s.lines.len()];
    for (step, (end, want)) in ends.into_iter().zip(expected).enumerate() {
        s.produce_until(end);
        let produced_at = Instant::now();
        wait_for(CATCH_UP_TIMEOUT, || {
            run.assert_running();
            let seen = (try_count(&s.lake, events)?, try_count(&s.lake, letters)?);
            if seen == want {
                Ok(())
            } else {
                Err(format!(
                    "step {step}: (events, dead letters) queryable {seen:?}, want {want:?}"
                ))
            }
        });
        let (want_events, want_letters) = want;
        eprintln!(
            "step {step}: {want_events} events and {want_letters} dead letters queryable {:?} after producing",
            produced_at.elapsed()
        );
    }
    // Conversations whose close the watermark passed are facts already, while running.
    let facts = count(&s.lake, "SELECT COUNT(*) AS n FROM conversation_facts");
    assert!(facts > 0, "some conversations are queryable facts while streaming");
    run.assert_running();
    let status = run.sigterm(EXIT_TIMEOUT);
    assert!(
        status.success(),
        "stops cleanly on SIGTERM ({status}); log:\n{}",
        run.log()
    );
    // What streaming left open is closed by a final run; the whole is exact.
    s.run_until_idle();
    s.assert_exact_lake();
    eprintln!(
        "{}: {facts} facts while streaming; passed in {:?}",
        s.name,
        started.elapsed()
    );
}
