//! The worked example of the contracts (`tests/cases/small`, a copy of
//! `shared/examples`): facts, daily KPIs and counts must equal what was computed
//! independently.

use serde_json::Value;

use crate::support::{diff_rows, ingest, query_json, repo_path};

fn expected() -> Value {
    let text = std::fs::read_to_string(repo_path("tests/cases/small/expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("expected.json parses")
}

fn rows(value: &Value, key: &str) -> Vec<Value> {
    value
        .get(key)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_else(|| panic!("expected.json has no {key}"))
}

struct Lake {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    summary: String,
}

fn ingest_small() -> Lake {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("lake");
    let output = ingest(&repo_path("tests/cases/small/input.ndjson"), &path);
    Lake {
        summary: String::from_utf8_lossy(&output.stderr).into_owned(),
        _dir: dir,
        path,
    }
}

#[test]
fn golden_counts_match() {
    let lake = ingest_small();
    let counts = expected()["counts"].clone();
    let events = query_json(&lake.path, "SELECT COUNT(*) AS n FROM events");
    assert_eq!(events[0]["n"], counts["valid_unique_events"], "valid unique events");
    let dead = query_json(&lake.path, "SELECT COUNT(*) AS n FROM dead_letters");
    assert_eq!(dead[0]["n"], counts["invalid_lines"], "dead letters");
    let duplicates = counts["duplicate_lines"].as_u64().expect("duplicate_lines");
    assert!(
        lake.summary.contains(&format!(" {duplicates} duplicates")),
        "summary should count {duplicates} duplicates: {}",
        lake.summary
    );
    let lines = counts["lines"].as_u64().expect("lines");
    assert!(
        lake.summary.contains(&format!("ingested {lines} lines")),
        "summary: {}",
        lake.summary
    );
}

#[test]
fn golden_conversation_facts_match() {
    let lake = ingest_small();
    let actual = query_json(
        &lake.path,
        "SELECT * FROM conversation_facts ORDER BY tenant_id, conversation_id",
    );
    let diffs = diff_rows(
        &rows(&expected(), "conversation_facts"),
        &actual,
        &["tenant_id", "conversation_id"],
        1e-9,
    );
    assert!(diffs.is_empty(), "{} differences:\n{}", diffs.len(), diffs.join("\n"));
}

#[test]
fn golden_kpi_daily_matches() {
    let lake = ingest_small();
    let actual = query_json(&lake.path, "SELECT * FROM kpi_daily ORDER BY day, tenant_id, channel");
    let diffs = diff_rows(
        &rows(&expected(), "kpi_daily"),
        &actual,
        &["day", "tenant_id", "channel"],
        1e-9,
    );
    assert!(diffs.is_empty(), "{} differences:\n{}", diffs.len(), diffs.join("\n"));
}

#[test]
fn golden_dead_letters_keep_raw_bytes_position_and_reason() {
    let lake = ingest_small();
    // `raw` is BINARY; the JSON output renders it as hex.
    let rows = query_json(
        &lake.path,
        "SELECT source_line, reason, detail, raw FROM dead_letters ORDER BY source_line",
    );
    let input = std::fs::read(repo_path("tests/cases/small/input.ndjson")).expect("input");
    let lines: Vec<&[u8]> = input.split(|&b| b == b'\n').collect();
    for row in &rows {
        let line = row["source_line"].as_u64().expect("source_line") as usize;
        let hex: String = lines[line - 1].iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            row["raw"].as_str(),
            Some(hex.as_str()),
            "raw bytes of line {line} kept whole"
        );
        assert!(!row["reason"].as_str().unwrap_or_default().is_empty());
        assert!(!row["detail"].as_str().unwrap_or_default().is_empty());
    }
    let reasons: std::collections::BTreeSet<&str> = rows.iter().filter_map(|r| r["reason"].as_str()).collect();
    assert!(
        reasons.len() >= 6,
        "invalid lines of many kinds get specific reasons: {reasons:?}"
    );
}
