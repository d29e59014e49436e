//! The Kafka path's commit log: staged files, offsets and state become visible together, and
//! a crash after any step of a commit leaves, after `recover`, every input record exactly
//! once in the lake.
//!
//! Rows are dead letters whose Kafka offset is their identity: the lake is exact when the
//! `source_offset` column read back from every published file is `0..next_offset`, each
//! once.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use convolens_core::spec::LakeFileSettings;
use convolens_core::{DeadLetter, ErrorClass, InvalidReason, SourcePosition, Timestamp};
use convolens_sinks::{CommitLog, CommitStep, Committed, LakeWriter, SinkError, StagedFile};
use datafusion::arrow::array::{Array, Int64Array};
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use tempfile::TempDir;

const PIPELINE: &str = "support";
/// A topic with dots, as Kafka allows, so that prefix matching cannot rely on there being none.
const TOPIC: &str = "conv.events";
const PARTITION: i32 = 3;
/// 2026-11-02T00:00:00Z
const DAY0: i64 = 1_793_577_600_000_000;
const NOW: Timestamp = Timestamp(DAY0 + 3 * 86_400_000_000);

fn log(lake: &Path) -> CommitLog {
    CommitLog::new(lake, PIPELINE, TOPIC, PARTITION).expect("valid log names")
}

/// Invalid messages at these offsets, received every 20 minutes, so that a range of more than
/// 72 offsets spans several `date=` partitions.
fn dead_letters(topic: &str, partition: i32, offsets: Range<i64>) -> Vec<DeadLetter> {
    offsets
        .map(|offset| DeadLetter {
            raw: format!("garbage #{offset}").into_bytes(),
            reason: InvalidReason::NotJson {
                detail: "expected value".to_string(),
            },
            position: SourcePosition::Kafka {
                topic: Arc::from(topic),
                partition,
                offset,
            },
            received_at: Timestamp(DAY0 + offset * 20 * 60 * 1_000_000),
        })
        .collect()
}

fn settings() -> LakeFileSettings {
    // Small files, so that one commit publishes several.
    LakeFileSettings {
        max_rows: 30,
        max_bytes: u64::MAX,
        max_age: Duration::from_secs(3600),
    }
}

/// What the runner does between two commits: a fresh staged writer (unique `run`) processes
/// `offsets` and closes its files.
fn stage(lake: &Path, log: &CommitLog, run: &str, offsets: Range<i64>) -> Vec<StagedFile> {
    let prefix = log.staged_file_prefix(run).expect("valid run");
    let mut writer = LakeWriter::create_staged(lake, &settings(), &prefix).expect("writer");
    // In batches of 10 as a consumer loop would; files roll between batches.
    for batch in dead_letters(TOPIC, PARTITION, offsets).chunks(10) {
        writer.write_dead_letters(batch, NOW).expect("write");
    }
    writer.flush().expect("flush");
    assert!(
        writer.take_written().is_empty(),
        "a staged writer publishes nothing by itself"
    );
    writer.take_staged()
}

fn state_at(next_offset: i64) -> Vec<u8> {
    format!("processor state before offset {next_offset}").into_bytes()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else { return found };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path);
        }
    }
    found.sort();
    found
}

/// Every `source_offset` in the published `dead_letters` files, sorted (duplicates kept).
fn lake_offsets(lake: &Path) -> Vec<i64> {
    let mut offsets = Vec::new();
    for path in files_under(&lake.join("dead_letters")) {
        let file = File::open(&path).expect("open parquet");
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .expect("parquet")
            .build()
            .expect("reader");
        for batch in reader {
            let batch = batch.expect("batch");
            let column = batch.column_by_name("source_offset").expect("source_offset column");
            let column = column.as_any().downcast_ref::<Int64Array>().expect("int64");
            offsets.extend((0..column.len()).map(|i| column.value(i)));
        }
    }
    offsets.sort_unstable();
    offsets
}

fn tmp_names(lake: &Path) -> Vec<String> {
    files_under(&lake.join("_tmp"))
        .iter()
        .filter_map(|p| p.file_name()?.to_str().map(String::from))
        .collect()
}

fn log_names(log: &CommitLog) -> Vec<String> {
    files_under(log.dir())
        .iter()
        .filter_map(|p| p.file_name()?.to_str().map(String::from))
        .collect()
}

fn committed(seq: u64, next_offset: i64) -> Option<Committed> {
    Some(Committed {
        seq,
        next_offset,
        state: state_at(next_offset),
    })
}

#[test]
fn recovery_of_a_partition_never_committed_returns_none_and_deletes_only_its_orphans() {
    let lake = TempDir::new().expect("tmp");
    assert_eq!(
        log(lake.path()).recover().expect("recover"),
        None,
        "no lake directory at all"
    );

    // A crash mid-file (never closed) and one after closing, both before any commit.
    let staged = stage(lake.path(), &log(lake.path()), "run1", 0..40);
    let prefix = log(lake.path()).staged_file_prefix("run2").expect("run");
    let mut writer = LakeWriter::create_staged(lake.path(), &settings(), &prefix).expect("writer");
    writer
        .write_dead_letters(&dead_letters(TOPIC, PARTITION, 40..45), NOW)
        .expect("write");
    drop(writer);
    // Files that recovery of this partition must not touch: partition 30 (whose prefix
    // starts like ours), another topic, another pipeline, and the file path's names.
    let others = [
        "dead_letters-support.conv.events.30.run1-000000.parquet.inprogress",
        "dead_letters-support.conv.3.run1-000000.parquet.inprogress",
        "events-other.conv.events.3.run1-000000.parquet.inprogress",
        "events-1793577600000000-4242-000000.parquet.inprogress",
    ];
    for name in others {
        fs::write(lake.path().join("_tmp").join(name), b"x").expect("write other");
    }
    assert_eq!(tmp_names(lake.path()).len(), staged.len() + 1 + others.len());

    assert_eq!(log(lake.path()).recover().expect("recover"), None);

    let expected: BTreeSet<String> = others.iter().map(|s| s.to_string()).collect();
    assert_eq!(tmp_names(lake.path()).into_iter().collect::<BTreeSet<_>>(), expected);
    assert_eq!(lake_offsets(lake.path()), Vec::<i64>::new());
}

#[test]
fn commits_publish_files_and_recovery_returns_the_last_offset_and_state() {
    let lake = TempDir::new().expect("tmp");
    let mut first = log(lake.path());
    assert_eq!(first.recover().expect("recover"), None);

    let staged = stage(lake.path(), &first, "a", 0..100);
    assert!(
        staged.len() >= 4,
        "100 rows over 2 days in files of 30 rows: {} files",
        staged.len()
    );
    assert_eq!(
        lake_offsets(lake.path()),
        Vec::<i64>::new(),
        "nothing is visible before the commit"
    );
    let outcome = first.commit(&staged, 100, &state_at(100), NOW).expect("commit 1");
    assert_eq!((outcome.seq, outcome.next_offset), (1, 100));
    assert_eq!(outcome.published.iter().map(|f| f.rows).sum::<u64>(), 100);
    assert!(outcome.published.iter().all(|f| f.path.is_file()));
    assert_eq!(lake_offsets(lake.path()), (0..100).collect::<Vec<_>>());

    let staged = stage(lake.path(), &first, "b", 100..130);
    first.commit(&staged, 130, &state_at(130), NOW).expect("commit 2");
    // A commit may publish no file (everything was a duplicate) and still move the offset.
    first.commit(&[], 131, &state_at(131), NOW).expect("commit 3");
    assert!(tmp_names(lake.path()).is_empty());

    let mut restarted = log(lake.path());
    assert_eq!(restarted.recover().expect("recover"), committed(3, 131));
    assert_eq!(restarted.last_seq(), 3);
    assert_eq!(lake_offsets(lake.path()), (0..130).collect::<Vec<_>>());
}

#[test]
fn the_manifest_records_offsets_files_and_a_checksum_of_the_state() {
    let lake = TempDir::new().expect("tmp");
    let mut log = log(lake.path());
    let staged = stage(lake.path(), &log, "a", 0..50);
    let state = state_at(50);
    log.commit(&staged, 50, &state, NOW).expect("commit");

    let manifest_path = log.dir().join(format!("{:020}.json", 1));
    let text = fs::read_to_string(&manifest_path).expect("manifest");
    let manifest: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(manifest["seq"], 1);
    assert_eq!(manifest["pipeline"], PIPELINE);
    assert_eq!(manifest["topic"], TOPIC);
    assert_eq!(manifest["partition"], PARTITION);
    assert_eq!(manifest["next_offset"], 50);
    assert_eq!(manifest["state"]["len"], state.len());
    let expected_checksum = format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&state));
    assert_eq!(manifest["state"]["xxh3_64"], expected_checksum.as_str());
    let state_file = manifest["state"]["file"].as_str().expect("state file name");
    assert_eq!(fs::read(log.dir().join(state_file)).expect("state file"), state);

    let files = manifest["files"].as_array().expect("files");
    assert_eq!(files.len(), staged.len());
    let rows: u64 = files.iter().map(|f| f["rows"].as_u64().expect("rows")).sum();
    assert_eq!(rows, 50);
    for file in files {
        let final_path = file["final_path"].as_str().expect("final path");
        assert!(final_path.starts_with("dead_letters/date=2026-11-0"), "{final_path}");
        let on_disk = fs::metadata(lake.path().join(final_path))
            .expect("published file")
            .len();
        assert_eq!(file["bytes"].as_u64(), Some(on_disk));
        assert!(
            file["tmp_path"]
                .as_str()
                .is_some_and(|p| p.starts_with("_tmp/dead_letters-support.conv.events.3.a-"))
        );
    }
}

/// Runs commit 2 (offsets 100..250) of a partition whose commit 1 covered 0..100, stopping
/// after `steps` steps as a crash would, then restarts: recovery, re-processing from the
/// recovered offset, and the next commit.
fn crash_after(steps: usize) -> (Vec<CommitStep>, usize) {
    let lake = TempDir::new().expect("tmp");
    let lake = lake.path();
    let mut before = log(lake);
    let staged = stage(lake, &before, "run1a", 0..100);
    before.commit(&staged, 100, &state_at(100), NOW).expect("commit 1");

    let staged = stage(lake, &before, "run1b", 100..250);
    let files = staged.len();
    // Work after the commit that was in flight when the process died: a file never closed.
    let prefix = before.staged_file_prefix("run1c").expect("run");
    let mut unfinished = LakeWriter::create_staged(lake, &settings(), &prefix).expect("writer");
    unfinished
        .write_dead_letters(&dead_letters(TOPIC, PARTITION, 250..260), NOW)
        .expect("write");
    let state = state_at(250);
    let mut commit = before.begin(&staged, 250, &state, NOW).expect("begin");
    let mut done = Vec::new();
    while done.len() < steps {
        match commit.step().expect("step") {
            Some(step) => done.push(step),
            None => break,
        }
    }
    drop(commit);
    drop(unfinished);
    drop(before);

    let published = done.contains(&CommitStep::Publish);
    let mut after = log(lake);
    let recovered = after.recover().expect("recover");
    let (seq, next_offset) = if published { (2, 250) } else { (1, 100) };
    assert_eq!(recovered, committed(seq, next_offset), "crash after {done:?}");
    assert_eq!(
        lake_offsets(lake),
        (0..next_offset).collect::<Vec<_>>(),
        "crash after {done:?}"
    );
    assert!(
        tmp_names(lake).is_empty(),
        "orphans left after {done:?}: {:?}",
        tmp_names(lake)
    );
    // Recovery is idempotent: a crash during recovery is just another crash.
    assert_eq!(log(lake).recover().expect("recover again"), committed(seq, next_offset));

    // The restarted process re-reads from the recovered offset and commits on.
    let staged = stage(lake, &after, "run2", next_offset..300);
    after
        .commit(&staged, 300, &state_at(300), NOW)
        .expect("commit after restart");
    assert_eq!(lake_offsets(lake), (0..300).collect::<Vec<_>>(), "crash after {done:?}");
    // Nothing of the interrupted attempt is left in the log either: one state per manifest.
    let names = log_names(&after);
    let manifests = names.iter().filter(|n| n.ends_with(".json")).count();
    let states = names.iter().filter(|n| n.starts_with("state-")).count();
    assert_eq!(
        (manifests, states, names.len()),
        (seq as usize + 1, seq as usize + 1, 2 * seq as usize + 2),
        "{names:?}"
    );
    assert_eq!(log(lake).recover().expect("recover"), committed(seq + 1, 300));
    (done, files)
}

#[test]
fn a_crash_after_any_step_of_a_commit_leaves_every_record_exactly_once() {
    let (all_steps, files) = crash_after(usize::MAX);
    // WriteState, StageManifest, Publish, a rename per file, SyncDirs, Prune.
    assert_eq!(all_steps.len(), 5 + files);
    assert!(files >= 5, "the commit publishes several files: {files}");
    for steps in 0..all_steps.len() {
        let (done, _) = crash_after(steps);
        assert_eq!(done, all_steps[..steps]);
    }
}

#[test]
fn two_processes_committing_the_same_seq_conflict_and_the_loser_aborts() {
    let lake = TempDir::new().expect("tmp");
    let lake = lake.path();
    let mut a = log(lake);
    let mut b = log(lake);
    assert_eq!(a.recover().expect("recover a"), None);
    assert_eq!(b.recover().expect("recover b"), None);
    let staged_a = stage(lake, &a, "a", 0..60);
    let staged_b = stage(lake, &b, "b", 0..60);

    // Interleaved up to the commit point; `a` publishes first and `b`'s publication, coming
    // before `a` has renamed or pruned anything, is refused by the link itself.
    let state_a = state_at(60);
    let state_b = b"b's state".to_vec();
    let mut commit_b = b.begin(&staged_b, 60, &state_b, NOW).expect("begin b");
    assert_eq!(commit_b.step().expect("b state"), Some(CommitStep::WriteState));
    assert_eq!(commit_b.step().expect("b manifest"), Some(CommitStep::StageManifest));
    let mut commit_a = a.begin(&staged_a, 60, &state_a, NOW).expect("begin a");
    while commit_a.next_step() != Some(CommitStep::Rename(0)) {
        commit_a.step().expect("a's steps up to its commit point");
    }
    assert_eq!(commit_b.next_step(), Some(CommitStep::Publish));
    let lost = commit_b.step().expect_err("b must lose");
    assert!(matches!(lost, SinkError::CommitConflict { seq: 1, .. }), "{lost}");
    assert_eq!(lost.class(), ErrorClass::Retry);
    drop(commit_b);
    commit_a.finish().expect("a finishes");

    // `b` cleaned up its own manifest and state; its staged data files wait for abort.
    assert!(staged_b.iter().all(|f| lake.join(&f.tmp_path).is_file()));
    b.abort(&staged_b).expect("abort");
    assert!(tmp_names(lake).is_empty());
    assert_eq!(lake_offsets(lake), (0..60).collect::<Vec<_>>());
    let names = log_names(&a);
    assert_eq!(names.iter().filter(|n| n.starts_with("state-")).count(), 1, "{names:?}");
    assert_eq!(names.iter().filter(|n| n.ends_with(".tmp")).count(), 0, "{names:?}");

    // The loser may not commit again until it re-initialises the partition.
    let again = b.commit(&[], 61, &state_at(61), NOW).expect_err("must recover first");
    assert!(matches!(again, SinkError::CommitUnfinished { .. }), "{again}");
    assert_eq!(b.recover().expect("recover b"), committed(1, 60));
    let staged = stage(lake, &b, "b2", 60..70);
    b.commit(&staged, 70, &state_at(70), NOW).expect("b commits seq 2");
    assert_eq!(lake_offsets(lake), (0..70).collect::<Vec<_>>());
}

/// A process that kept running after losing its partition (a zombie) commits `seq` 2 while
/// the new owner has reached `seq` 6 and pruned 2 away, either all before the zombie's
/// commit or between its manifest being staged and published.
fn zombie_commits_after_takeover(interleaved: bool) {
    let lake = TempDir::new().expect("tmp");
    let lake = lake.path();
    let mut zombie = log(lake);
    zombie.recover().expect("recover");
    let staged = stage(lake, &zombie, "z1", 0..10);
    zombie
        .commit(&staged, 10, &state_at(10), NOW)
        .expect("zombie's commit 1");

    let mut owner = log(lake).keep_last(2);
    assert_eq!(owner.recover().expect("recover"), committed(1, 10));
    let owner_commits = |owner: &mut CommitLog| {
        for (i, next) in (20..=60).step_by(10).enumerate() {
            let staged = stage(lake, owner, &format!("o{i}"), next - 10..next);
            owner
                .commit(&staged, next, &state_at(next), NOW)
                .expect("owner commits");
        }
        assert!(
            !owner.dir().join(format!("{:020}.json", 2)).exists(),
            "seq 2 was pruned"
        );
    };

    let zombie_staged = stage(lake, &zombie, "z2", 10..20);
    let zombie_state = state_at(20);
    if !interleaved {
        owner_commits(&mut owner);
    }
    let mut commit = zombie.begin(&zombie_staged, 20, &zombie_state, NOW).expect("begin");
    let mut result = Ok(None);
    for _ in 0..3 {
        if interleaved && commit.next_step() == Some(CommitStep::Publish) {
            owner_commits(&mut owner);
        }
        result = commit.step();
        if result.is_err() {
            break;
        }
    }
    drop(commit);
    let error = result.expect_err("the zombie must conflict");
    assert!(matches!(error, SinkError::CommitConflict { seq: 2, .. }), "{error}");
    zombie.abort(&zombie_staged).expect("abort");
    assert_eq!(lake_offsets(lake), (0..60).collect::<Vec<_>>());
    assert!(tmp_names(lake).is_empty());
    assert_eq!(log(lake).recover().expect("recover"), committed(6, 60));
    let names = log_names(&owner);
    assert_eq!(
        names.len(),
        4,
        "2 manifests and their states, nothing of the zombie: {names:?}"
    );
}

#[test]
fn a_zombie_many_commits_behind_conflicts_although_its_seq_was_pruned() {
    zombie_commits_after_takeover(false);
}

#[test]
fn a_zombie_overtaken_between_staging_and_publishing_its_manifest_conflicts() {
    zombie_commits_after_takeover(true);
}

#[test]
fn pruning_keeps_the_manifests_and_states_of_the_last_k_commits() {
    let lake = TempDir::new().expect("tmp");
    let mut log = log(lake.path()).keep_last(3);
    for next in 1..=7 {
        log.commit(&[], next, &state_at(next), NOW).expect("commit");
    }
    let names = log_names(&log);
    let manifests: Vec<&String> = names.iter().filter(|n| n.ends_with(".json")).collect();
    let expected: Vec<String> = (5..=7).map(|seq| format!("{seq:020}.json")).collect();
    assert_eq!(manifests, expected.iter().collect::<Vec<_>>());
    let states: Vec<&String> = names.iter().filter(|n| n.starts_with("state-")).collect();
    assert_eq!(states.len(), 3, "{names:?}");
    for (state, seq) in states.iter().zip(5..=7) {
        assert!(state.starts_with(&format!("state-{seq:020}-")), "{state}");
    }
    assert_eq!(names.len(), 6, "nothing else is left: {names:?}");
    assert_eq!(
        CommitLog::new(lake.path(), PIPELINE, TOPIC, PARTITION)
            .expect("log")
            .recover()
            .expect("recover"),
        committed(7, 7)
    );
}

#[test]
fn a_damaged_state_or_a_lost_committed_file_is_a_hard_error() {
    let lake = TempDir::new().expect("tmp");
    let mut writer_log = log(lake.path());
    let staged = stage(lake.path(), &writer_log, "a", 0..40);
    let state = state_at(40);
    let mut commit = writer_log.begin(&staged, 40, &state, NOW).expect("begin");
    while commit.next_step() != Some(CommitStep::Rename(0)) {
        commit.step().expect("step");
    }
    drop(commit);

    let state_file = log_names(&writer_log)
        .into_iter()
        .find(|n| n.starts_with("state-"))
        .expect("state file");
    let state_path = writer_log.dir().join(state_file);
    let mut damaged = state.clone();
    damaged[0] ^= 1;
    fs::write(&state_path, &damaged).expect("damage");
    let error = log(lake.path()).recover().expect_err("checksum mismatch");
    assert!(matches!(error, SinkError::CommitLogCorrupt { .. }), "{error}");
    assert_eq!(error.class(), ErrorClass::Stop);
    assert_eq!(
        lake_offsets(lake.path()),
        Vec::<i64>::new(),
        "nothing published from a damaged commit"
    );

    fs::write(&state_path, &state).expect("repair");
    fs::remove_file(lake.path().join(&staged[0].tmp_path)).expect("lose a staged file");
    let error = log(lake.path()).recover().expect_err("committed file lost");
    assert!(matches!(error, SinkError::CommitLogCorrupt { .. }), "{error}");
}

#[test]
fn a_commit_refuses_files_of_another_partition_and_reused_prefixes() {
    let lake = TempDir::new().expect("tmp");
    let mut ours = log(lake.path());
    let theirs = CommitLog::new(lake.path(), PIPELINE, TOPIC, 30).expect("log");
    let foreign = stage(lake.path(), &theirs, "a", 0..10);
    let error = ours
        .commit(&foreign, 10, &state_at(10), NOW)
        .expect_err("foreign files");
    assert!(matches!(error, SinkError::InvalidCommitInput { .. }), "{error}");
    assert!(ours.abort(&foreign).is_err(), "abort refuses them too");
    assert!(foreign.iter().all(|f| lake.path().join(&f.tmp_path).is_file()));

    let first = stage(lake.path(), &ours, "same", 0..10);
    ours.commit(&first, 10, &state_at(10), NOW).expect("commit");
    let reused = stage(lake.path(), &ours, "same", 10..20);
    let error = ours
        .commit(&reused, 20, &state_at(20), NOW)
        .expect_err("would replace committed files");
    assert!(matches!(error, SinkError::FinalFileExists { .. }), "{error}");
    assert_eq!(lake_offsets(lake.path()), (0..10).collect::<Vec<_>>());

    let twice = [first[0].clone(), first[0].clone()];
    assert!(matches!(
        ours.commit(&twice, 20, b"", NOW),
        Err(SinkError::InvalidCommitInput { .. })
    ));
}

#[test]
fn names_that_would_make_staged_files_ambiguous_are_rejected() {
    let lake = Path::new("/nonexistent-lake");
    assert!(CommitLog::new(lake, "a.b", TOPIC, 0).is_err());
    assert!(CommitLog::new(lake, PIPELINE, "../x", 0).is_err());
    assert!(CommitLog::new(lake, PIPELINE, "..", 0).is_err());
    assert!(CommitLog::new(lake, PIPELINE, TOPIC, -1).is_err());
    let log = log(lake);
    assert_eq!(
        log.staged_file_prefix("1793577600-77").expect("run"),
        "support.conv.events.3.1793577600-77"
    );
    for bad in ["", "a.b", "a/b", "a b"] {
        assert!(log.staged_file_prefix(bad).is_err(), "{bad:?}");
    }
}
