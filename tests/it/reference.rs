//! Exact KPIs on traffic no test has seen: generated, seeded traffic goes through the real
//! binary, and its facts and KPIs must equal an independent Python implementation of
//! METRICS.md (scripts/reference), written from the contracts alone.

use std::process::Command;

use crate::support::{ingest, path_str, repo_path, run_ok};

fn python_reference(input: &std::path::Path, out: &std::path::Path) {
    let output = Command::new("python3")
        .arg(repo_path("scripts/reference/convolens_reference.py"))
        .arg(input)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "reference failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::write(out, output.stdout).expect("write reference output");
}

fn query_to_file(lake: &std::path::Path, sql: &str, out: &std::path::Path) {
    let output = run_ok(&["query", "--lake", path_str(lake), "--format", "json", sql]);
    std::fs::write(out, output.stdout).expect("write query output");
}

fn compare(expected: &std::path::Path, facts: &std::path::Path, kpis: &std::path::Path, kpi_key: &str) {
    let output = Command::new("python3")
        .arg(repo_path("scripts/reference/compare.py"))
        .args([
            path_str(expected),
            path_str(facts),
            path_str(kpis),
            "--kpi-key",
            kpi_key,
        ])
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "convolens differs from the reference ({kpi_key}):\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn check_seed(seed: u64, conversations: u64, days: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("traffic.ndjson");
    run_ok(&[
        "generate",
        "--conversations",
        &conversations.to_string(),
        "--seed",
        &seed.to_string(),
        "--days",
        days,
        "--output",
        path_str(&input),
    ]);
    let lake = dir.path().join("lake");
    ingest(&input, &lake);
    let expected = dir.path().join("reference.json");
    python_reference(&input, &expected);
    let facts = dir.path().join("facts.json");
    query_to_file(&lake, "SELECT * FROM conversation_facts", &facts);
    for (view, key) in [
        ("kpi_daily", "kpi_daily"),
        ("kpi_hourly", "kpi_hourly"),
        ("kpi_by_intent", "kpi_by_intent"),
    ] {
        let kpis = dir.path().join(format!("{view}.json"));
        query_to_file(&lake, &format!("SELECT * FROM {view}"), &kpis);
        compare(&expected, &facts, &kpis, key);
    }
}

#[test]
fn generated_traffic_matches_the_reference_implementation() {
    check_seed(11, 600, "2");
}

#[test]
fn generated_traffic_with_another_seed_and_denser_days_matches() {
    check_seed(20261122, 1500, "1");
}
