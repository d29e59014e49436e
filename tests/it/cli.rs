//! Exit codes and output formats of INTERFACE.md, through the real binary.

use crate::support::{ingest, path_str, repo_path, run, run_ok};

fn small_lake() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = dir.path().join("lake");
    ingest(&repo_path("tests/cases/small/input.ndjson"), &lake);
    (dir, lake)
}

fn assert_exit(args: &[&str], code: i32, stderr_has: &str) {
    let output = run(args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "convolens {args:?}: stderr {stderr}");
    assert!(
        stderr.contains(stderr_has),
        "convolens {args:?}: stderr {stderr:?} should mention {stderr_has:?}"
    );
}

#[test]
fn queries_are_read_only() {
    let (_dir, lake) = small_lake();
    let lake = path_str(&lake);
    for sql in [
        "CREATE TABLE t AS SELECT 1",
        "DROP VIEW kpi_daily",
        "INSERT INTO events SELECT * FROM events",
        "COPY (SELECT 1) TO '/tmp/convolens-copy-test.parquet'",
        "SET datafusion.execution.batch_size = 1",
    ] {
        assert_exit(&["query", "--lake", lake, sql], 1, "read-only");
    }
    assert!(
        !std::path::Path::new("/tmp/convolens-copy-test.parquet").exists(),
        "COPY must not write"
    );
}

#[test]
fn bad_sql_is_a_user_error_with_one_line() {
    let (_dir, lake) = small_lake();
    let output = run(&["query", "--lake", path_str(&lake), "SELECT nope FROM kpi_daily"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "one-line message: {stderr}");
}

#[test]
fn missing_lake_and_missing_input_are_user_errors() {
    assert_exit(&["query", "--lake", "/nonexistent/lake", "SELECT 1"], 1, "no lake");
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = dir.path().join("lake");
    assert_exit(
        &[
            "ingest",
            "--input",
            "/nonexistent/input.ndjson",
            "--lake",
            path_str(&lake),
        ],
        1,
        "cannot open input",
    );
}

#[test]
fn an_unwritable_lake_is_an_environment_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, b"not a directory").expect("write");
    let lake = blocker.join("lake");
    let input = repo_path("tests/cases/small/input.ndjson");
    assert_exit(
        &["ingest", "--input", path_str(&input), "--lake", path_str(&lake)],
        2,
        "lake",
    );
}

#[test]
fn json_output_has_dates_and_utc_timestamps() {
    let (_dir, lake) = small_lake();
    let rows = crate::support::query_json(
        &lake,
        "SELECT day, CAST('2026-11-02T10:00:00+02:00' AS TIMESTAMP) AS ts FROM kpi_daily ORDER BY day LIMIT 1",
    );
    assert_eq!(rows[0]["day"], "2026-11-02");
    let ts = rows[0]["ts"].as_str().expect("timestamp string");
    assert!(ts.ends_with('Z'), "{ts}");
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(ts).expect("rfc3339").timestamp(),
        1_793_606_400
    );
}

#[test]
fn csv_output_has_a_header_and_quotes() {
    let (_dir, lake) = small_lake();
    let output = run_ok(&[
        "query",
        "--lake",
        path_str(&lake),
        "--format",
        "csv",
        "SELECT 'a,b' AS x, 2 AS y",
    ]);
    assert_eq!(String::from_utf8_lossy(&output.stdout), "x,y\n\"a,b\",2\n");
}

#[test]
fn validate_reports_every_error_with_its_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.yaml");
    std::fs::write(
        &path,
        "version: 1\npipelines:\n  support:\n    source:\n      files: { paths: [a.ndjson] }\n    lake: ./lake\n    sessionization:\n      idle_timeout: 30\n    colour: blue\n",
    )
    .expect("write");
    let output = run(&["validate", "--config", path_str(&path)]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(":8:"), "idle_timeout error on line 8: {stderr}");
    assert!(stderr.contains(":9:"), "unknown key on line 9: {stderr}");
    run_ok(&["validate", "--config", path_str(&repo_path("pipelines.yaml"))]);
    let schema = run_ok(&["validate", "--schema"]);
    let schema: serde_json::Value = serde_json::from_slice(&schema.stdout).expect("schema is JSON");
    assert!(
        schema.get("properties").is_some() || schema.get("$defs").is_some(),
        "{schema}"
    );
}

#[test]
fn ingest_reads_stdin_gzip_and_zstd_alike() {
    use std::io::Write;
    let input = repo_path("tests/cases/small/input.ndjson");
    let bytes = std::fs::read(&input).expect("input");
    let dir = tempfile::tempdir().expect("tempdir");
    let gz = dir.path().join("input.ndjson.gz");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(&bytes).expect("gzip");
    std::fs::write(&gz, encoder.finish().expect("gzip finish")).expect("write gz");
    let zst = dir.path().join("input.ndjson.zst");
    std::fs::write(&zst, zstd::encode_all(&bytes[..], 3).expect("zstd")).expect("write zst");

    let summary_of = |output: std::process::Output| {
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        // Drop the timing, which differs run to run.
        stderr
            .rsplit_once(" in ")
            .map(|(head, _)| head.to_string())
            .unwrap_or(stderr)
    };
    let plain = summary_of(run(&[
        "ingest",
        "--input",
        path_str(&input),
        "--lake",
        path_str(&dir.path().join("a")),
    ]));
    let mut child = crate::support::bin()
        .args(["ingest", "--input", "-", "--lake", path_str(&dir.path().join("b"))])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&bytes)
        .expect("feed stdin");
    let stdin = summary_of(child.wait_with_output().expect("wait"));
    let gzip = summary_of(run(&[
        "ingest",
        "--input",
        path_str(&gz),
        "--lake",
        path_str(&dir.path().join("c")),
    ]));
    let zstd = summary_of(run(&[
        "ingest",
        "--input",
        path_str(&zst),
        "--lake",
        path_str(&dir.path().join("d")),
    ]));
    assert!(plain.contains("1051 events"), "{plain}");
    assert_eq!(stdin, plain);
    assert_eq!(gzip, plain);
    assert_eq!(zstd, plain);
}
