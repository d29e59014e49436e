//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_convolens"))
}

pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// Runs the binary, returning its output; panics with stderr if it cannot start.
pub fn run(args: &[&str]) -> Output {
    bin()
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run convolens {args:?}: {e}"))
}

pub fn run_ok(args: &[&str]) -> Output {
    let output = run(args);
    assert!(
        output.status.success(),
        "convolens {args:?} failed with {:?}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

pub fn ingest(input: &Path, lake: &Path) -> Output {
    run_ok(&["ingest", "--input", path_str(input), "--lake", path_str(lake)])
}

pub fn query_json(lake: &Path, sql: &str) -> Vec<Value> {
    let output = run_ok(&["query", "--lake", path_str(lake), "--format", "json", sql]);
    match serde_json::from_slice::<Value>(&output.stdout) {
        Ok(Value::Array(rows)) => rows,
        other => panic!("query output is not a JSON array: {other:?}"),
    }
}

pub fn path_str(path: &Path) -> &str {
    path.to_str()
        .unwrap_or_else(|| panic!("non-UTF-8 path {}", path.display()))
}

/// Equal within `rel` relative tolerance for numbers, exactly otherwise; timestamps are
/// compared as instants (both sides RFC 3339).
pub fn values_match(expected: &Value, actual: &Value, rel: f64) -> bool {
    match (expected, actual) {
        (Value::Number(e), Value::Number(a)) => {
            let (e, a) = (e.as_f64().unwrap_or(f64::NAN), a.as_f64().unwrap_or(f64::NAN));
            e == a || (e - a).abs() <= rel * e.abs().max(a.abs())
        }
        (Value::String(e), Value::String(a)) => e == a || same_instant(e, a),
        _ => expected == actual,
    }
}

fn same_instant(a: &str, b: &str) -> bool {
    match (
        chrono::DateTime::parse_from_rfc3339(a),
        chrono::DateTime::parse_from_rfc3339(b),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Compares rows keyed by `key` columns, on every column of the expected rows; returns the
/// differences as readable lines.
pub fn diff_rows(expected: &[Value], actual: &[Value], key: &[&str], rel: f64) -> Vec<String> {
    let key_of = |row: &Value| {
        key.iter()
            .map(|k| row.get(*k).map(Value::to_string).unwrap_or_default())
            .collect::<Vec<_>>()
    };
    let mut diffs = Vec::new();
    if expected.len() != actual.len() {
        diffs.push(format!("row count: expected {}, got {}", expected.len(), actual.len()));
    }
    for want in expected {
        let k = key_of(want);
        let Some(got) = actual.iter().find(|row| key_of(row) == k) else {
            diffs.push(format!("missing row {k:?}"));
            continue;
        };
        if let Value::Object(columns) = want {
            for (column, value) in columns {
                let actual_value = got.get(column).unwrap_or(&Value::Null);
                if !values_match(value, actual_value, rel) {
                    diffs.push(format!("{k:?}.{column}: expected {value}, got {actual_value}"));
                }
            }
        }
    }
    diffs
}

/// `convolens drift profile`: freezes `from..to` of `lake` as `LAKE/drift_profiles/NAME.json`.
pub fn drift_profile(lake: &Path, from: &str, to: &str, name: &str) {
    run_ok(&[
        "drift",
        "profile",
        "--lake",
        path_str(lake),
        "--from",
        from,
        "--to",
        to,
        "--name",
        name,
    ]);
}

/// `convolens drift update` of `lake` with the drift settings of `config`.
pub fn drift_update(lake: &Path, config: &Path) -> Output {
    run_ok(&[
        "drift",
        "update",
        "--lake",
        path_str(lake),
        "--config",
        path_str(config),
    ])
}

/// `sql` over `copy`: a copy of `lake` whose `drift_metrics` were all recomputed by
/// `drift update` from the lake's events and facts.
pub fn recomputed_drift(lake: &Path, copy: &Path, config: &Path, sql: &str) -> Vec<Value> {
    copy_dir(lake, copy);
    std::fs::remove_dir_all(copy.join("drift_metrics")).expect("drift_metrics in the copy");
    drift_update(copy, config);
    query_json(copy, sql)
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
