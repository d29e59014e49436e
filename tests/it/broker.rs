//! What the Kafka tests share: a real broker (tansu, started through `scripts/tansu.sh`),
//! `convolens run` child processes that are killed when a test ends (also on panic), the
//! lake's commit log as seen from outside, and the comparison of two lakes built from the
//! same input.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{bin, path_str, query_json, repo_path, values_match};

/// How often the polling helpers look again.
const POLL: Duration = Duration::from_millis(100);

// ---------------------------------------------------------------------------------------
// tansu

/// Set to 1 (as CI does) to make a missing tansu a failure instead of a skip.
const REQUIRE_TANSU: &str = "CONVOLENS_REQUIRE_TANSU";

/// A tansu broker on a loopback port, its SQLite database and log in `dir`. Killed when
/// dropped. tansu runs in the background of `scripts/tansu.sh`, so it is not our child:
/// it is addressed by pid (and, once its parent script is gone, may stay a zombie, which
/// [`alive`] counts as gone).
pub(crate) struct Tansu {
    dir: PathBuf,
    port: u16,
    pid: Option<u32>,
}

fn tansu_script() -> PathBuf {
    repo_path("scripts/tansu.sh")
}

/// Whether tansu is installed; None (after saying why) when the test should be skipped.
/// With `CONVOLENS_REQUIRE_TANSU=1` a missing tansu fails the test instead.
pub(crate) fn require_tansu(test: &str) -> Option<()> {
    let output = std::process::Command::new("bash")
        .arg(tansu_script())
        .arg("check")
        .output()
        .expect("run scripts/tansu.sh check");
    if output.status.success() {
        return Some(());
    }
    let why = String::from_utf8_lossy(&output.stderr).trim().to_string();
    if std::env::var(REQUIRE_TANSU).is_ok_and(|v| v == "1") {
        panic!("{test}: tansu is required ({REQUIRE_TANSU}=1) but not usable: {why}");
    }
    eprintln!(
        "SKIPPED {test}: tansu is not installed ({why}). Install it with `scripts/tansu.sh install`; \
         set {REQUIRE_TANSU}=1 to make this a failure."
    );
    None
}

impl Tansu {
    /// Starts a broker on a free port with its database in `dir`.
    pub(crate) fn start(dir: &Path) -> Tansu {
        let mut tansu = Tansu {
            dir: dir.to_path_buf(),
            port: 0,
            pid: None,
        };
        tansu.launch(None);
        tansu
    }

    fn launch(&mut self, port: Option<u16>) {
        let mut command = std::process::Command::new("bash");
        command.arg(tansu_script()).arg("start").arg(&self.dir);
        if let Some(port) = port {
            command.arg(port.to_string());
        }
        let output = command
            .stderr(Stdio::piped())
            .output()
            .expect("run scripts/tansu.sh start");
        assert!(
            output.status.success(),
            "scripts/tansu.sh start failed: {}\n{}",
            String::from_utf8_lossy(&output.stderr),
            self.log_tail()
        );
        let text = String::from_utf8_lossy(&output.stdout);
        let mut words = text.split_whitespace();
        let (Some(port), Some(pid)) = (words.next(), words.next()) else {
            panic!("scripts/tansu.sh start printed {text:?}, expected \"PORT PID\"");
        };
        self.port = port.parse().expect("port");
        self.pid = Some(pid.parse().expect("pid"));
    }

    pub(crate) fn brokers(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// Creates a topic through the broker's CreateTopics request (`tansu topic create`).
    pub(crate) fn create_topic(&self, name: &str, partitions: i32) {
        let output = std::process::Command::new("bash")
            .arg(tansu_script())
            .args(["topic", &self.port.to_string(), name, &partitions.to_string()])
            .output()
            .expect("run scripts/tansu.sh topic");
        assert!(
            output.status.success(),
            "creating topic {name}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// SIGKILL, and wait until the process is gone.
    pub(crate) fn kill(&mut self) {
        if let Some(pid) = self.pid.take() {
            signal(pid, "KILL");
            let deadline = Instant::now() + Duration::from_secs(10);
            while alive(pid) {
                assert!(Instant::now() < deadline, "tansu pid {pid} survived SIGKILL");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    /// Starts the broker again on the same port with the same database. The port can be
    /// briefly unavailable after a kill; retried for up to 30 s.
    pub(crate) fn restart(&mut self) {
        assert!(self.pid.is_none(), "restart a stopped broker only");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let output = std::process::Command::new("bash")
                .arg(tansu_script())
                .args(["start", path_str(&self.dir), &self.port.to_string()])
                .output()
                .expect("run scripts/tansu.sh start");
            if output.status.success() {
                let text = String::from_utf8_lossy(&output.stdout);
                let pid = text.split_whitespace().nth(1).expect("PORT PID");
                self.pid = Some(pid.parse().expect("pid"));
                return;
            }
            let why = String::from_utf8_lossy(&output.stderr);
            assert!(
                Instant::now() < deadline,
                "tansu could not restart on port {}: {why}\n{}",
                self.port,
                self.log_tail()
            );
            eprintln!("tansu restart on port {} failed, retrying: {}", self.port, why.trim());
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// The SQLite database, for reading what the broker stores.
    pub(crate) fn database(&self) -> PathBuf {
        self.dir.join("tansu.db")
    }

    pub(crate) fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.join("tansu.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        let tail = lines[lines.len().saturating_sub(30)..].join("\n");
        format!("tansu log ({}):\n{tail}", self.dir.join("tansu.log").display())
    }
}

impl Drop for Tansu {
    fn drop(&mut self) {
        if let Some(pid) = self.pid.take() {
            signal(pid, "KILL");
        }
    }
}

fn signal(pid: u32, name: &str) {
    // Not our child (see `Tansu`), so std's Child::kill cannot be used.
    let _ = std::process::Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .stderr(Stdio::null())
        .status();
}

/// True while `pid` is a live process; an unreaped zombie counts as gone.
pub(crate) fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name, which may contain spaces.
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

// ---------------------------------------------------------------------------------------
// `convolens run` processes

/// A `convolens run` child process. Its stderr (with `convolens=info` logs) is collected
/// by a thread, so the pipe never fills, and read to follow its partition assignment.
/// Dropping it kills the process.
pub(crate) struct Pipeline {
    pub(crate) label: String,
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
    reader: Option<JoinHandle<()>>,
}

impl Pipeline {
    pub(crate) fn spawn(label: &str, args: &[String]) -> Pipeline {
        let mut child = bin()
            .args(["--log", "convolens=info"])
            .args(args)
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn convolens run");
        let stderr = child.stderr.take().expect("stderr piped");
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&log);
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                sink.lock().unwrap_or_else(|p| p.into_inner()).push(strip_ansi(&line));
            }
        });
        Pipeline {
            label: label.to_string(),
            child,
            log,
            reader: Some(reader),
        }
    }

    /// The process's log so far.
    pub(crate) fn log(&self) -> String {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).join("\n")
    }

    fn log_lines(&self) -> Vec<String> {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The partitions this process holds now, per its log: assigned, and not since
    /// released (revoked) or lost.
    pub(crate) fn assigned(&self) -> BTreeSet<i32> {
        let mut held = BTreeSet::new();
        for line in self.log_lines() {
            let Some(partition) = partition_field(&line) else {
                continue;
            };
            if line.contains("partition assigned") {
                held.insert(partition);
            } else if line.contains("partition committed and released") || line.contains("partition lost") {
                held.remove(&partition);
            }
        }
        held
    }

    /// Ok(None) while running; panics (with its log) if it exited and `running` was
    /// expected.
    pub(crate) fn try_wait(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("try_wait")
    }

    pub(crate) fn assert_running(&mut self) {
        if let Some(status) = self.try_wait() {
            self.finish_reader();
            panic!("{} exited early ({status}); log:\n{}", self.label, self.log());
        }
    }

    /// Waits until the process holds at least `n` partitions.
    pub(crate) fn wait_assigned(&mut self, n: usize, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.assigned().len() < n {
            self.assert_running();
            assert!(
                Instant::now() < deadline,
                "{} holds {:?} after {timeout:?}, expected at least {n} partitions; log:\n{}",
                self.label,
                self.assigned(),
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL: no commit, no leaving the group.
    pub(crate) fn sigkill(&mut self) -> ExitStatus {
        let _ = self.child.kill();
        let status = self.child.wait().expect("wait");
        self.finish_reader();
        status
    }

    /// SIGTERM, then waits up to `timeout` for the process to commit and exit.
    pub(crate) fn sigterm(&mut self, timeout: Duration) -> ExitStatus {
        signal(self.child.id(), "TERM");
        self.wait(timeout)
    }

    /// Waits up to `timeout` for the process to exit on its own.
    pub(crate) fn wait(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_wait() {
                self.finish_reader();
                return status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                self.finish_reader();
                panic!("{} did not exit within {timeout:?}; log:\n{}", self.label, self.log());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn finish_reader(&mut self) {
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if std::thread::panicking() {
            self.finish_reader();
            let log = self.log();
            let lines: Vec<&str> = log.lines().collect();
            eprintln!(
                "--- {} (pid {}), last log lines:\n{}",
                self.label,
                self.child.id(),
                lines[lines.len().saturating_sub(40)..].join("\n")
            );
        }
    }
}

/// `partition=topic/N` in a log line → N.
fn partition_field(line: &str) -> Option<i32> {
    let start = line.find("partition=")? + "partition=".len();
    let value = line[start..].split_whitespace().next()?;
    value.rsplit_once('/')?.1.parse().ok()
}

fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters final-byte
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// The lake's commit log, read from outside

/// Per (topic, partition), the `next_offset` of the newest commit in the lake's commit log
/// (`LAKE/_convolens/commits/…/<seq:020>.json`, ARCHITECTURE.md).
pub(crate) fn committed_offsets(lake: &Path) -> BTreeMap<(String, i32), i64> {
    let mut newest: BTreeMap<(String, i32), (u64, i64)> = BTreeMap::new();
    let mut dirs = vec![lake.join("_convolens").join("commits")];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(stem) = name.strip_suffix(".json") else {
                continue;
            };
            if stem.len() != 20 || !stem.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            // A manifest may be pruned between listing and reading.
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let manifest: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let key = (
                manifest["topic"].as_str().expect("topic").to_string(),
                i32::try_from(manifest["partition"].as_i64().expect("partition")).expect("partition"),
            );
            let seq = manifest["seq"].as_u64().expect("seq");
            let next = manifest["next_offset"].as_i64().expect("next_offset");
            let slot = newest.entry(key).or_insert((seq, next));
            if seq >= slot.0 {
                *slot = (seq, next);
            }
        }
    }
    newest.into_iter().map(|(k, (_, next))| (k, next)).collect()
}

/// How many messages of `topic` the lake's commits cover (offsets start at 0).
pub(crate) fn committed_messages(lake: &Path, topic: &str) -> i64 {
    committed_offsets(lake)
        .into_iter()
        .filter(|((t, _), _)| t == topic)
        .map(|(_, next)| next)
        .sum()
}

/// Polls `check` every 100 ms until it returns Ok; panics with the last Err (what is
/// still missing) after `timeout`.
pub(crate) fn wait_for(timeout: Duration, mut check: impl FnMut() -> Result<(), String>) {
    let deadline = Instant::now() + timeout;
    loop {
        match check() {
            Ok(()) => return,
            Err(missing) => assert!(Instant::now() < deadline, "not within {timeout:?}: {missing}"),
        }
        std::thread::sleep(POLL);
    }
}

// ---------------------------------------------------------------------------------------
// Comparing lakes

/// What must be identical between two lakes built from the same input.
pub(crate) fn lake_contents(lake: &Path) -> BTreeMap<&'static str, Vec<Value>> {
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

/// The lake built from Kafka (`actual`) equals the file replay of the same lines
/// (`expected`): same events once each, same dead letters, same facts and KPIs.
pub(crate) fn assert_same_lake(expected: &Path, actual: &Path) {
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
