//! Drift end to end: `convolens drift` on generated traffic with an injected change must
//! equal an independent stdlib-Python implementation of METRICS §5
//! (scripts/reference/drift.py), flag the shifted features and not the others, give zeros
//! against itself, and read the same from a frozen profile as from the window.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::support::{ingest, path_str, repo_path, run_ok, values_match};

const REFERENCE: &str = "2026-11-02T00:00:00Z..2026-11-03T00:00:00Z";
const CURRENT: &str = "2026-11-03T00:00:00Z..2026-11-04T00:00:00Z";

struct Traffic {
    dir: tempfile::TempDir,
    input: std::path::PathBuf,
    lake: std::path::PathBuf,
}

/// Two days from 2026-11-02; from the second day on the traffic drifts (an incident:
/// card-fraud intents, lower confidence, unseen intents, more handoffs).
fn drifting_traffic() -> Traffic {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("traffic.ndjson");
    run_ok(&[
        "generate",
        "--conversations",
        "1600",
        "--seed",
        "5",
        "--days",
        "2",
        "--drift-from",
        "0.5",
        "--embeddings",
        "--output",
        path_str(&input),
    ]);
    let lake = dir.path().join("lake");
    ingest(&input, &lake);
    Traffic { dir, input, lake }
}

fn drift_json(lake: &Path, reference: &str, current: &str) -> Value {
    let output = run_ok(&[
        "drift",
        "--lake",
        path_str(lake),
        "--reference",
        reference,
        "--current",
        current,
        "--format",
        "json",
    ]);
    serde_json::from_slice(&output.stdout).expect("drift prints JSON")
}

fn feature<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["features"]
        .as_array()
        .expect("features")
        .iter()
        .find(|f| f["feature"] == name)
        .unwrap_or_else(|| panic!("no feature {name} in {report}"))
}

#[test]
fn drift_equals_the_reference_implementation_and_flags_the_injected_change() {
    let traffic = drifting_traffic();
    let got = drift_json(&traffic.lake, REFERENCE, CURRENT);
    for field in ["reference", "current", "features"] {
        assert!(got.get(field).is_some(), "drift JSON lacks {field}");
    }
    let output = Command::new("python3")
        .arg(repo_path("scripts/reference/drift.py"))
        .arg(&traffic.input)
        .args(["--reference", REFERENCE, "--current", CURRENT])
        .output()
        .expect("python3 runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let expected: Value = serde_json::from_slice(&output.stdout).expect("reference JSON");
    for want in expected["features"].as_array().expect("features") {
        let name = want["feature"].as_str().unwrap();
        let have = feature(&got, name);
        for (key, value) in want.as_object().unwrap() {
            let actual = have.get(key).unwrap_or(&Value::Null);
            assert!(
                values_match(value, actual, 1e-9),
                "{name}.{key}: reference {value}, convolens {actual}"
            );
        }
    }
    // The injected change (card-fraud intents, lower confidence, more handoffs) moved these;
    // the channel mix and the tool latencies are untouched by it.
    for name in ["intent", "confidence", "handoff_reason"] {
        assert_eq!(feature(&got, name)["verdict"], "drift", "{name} should drift");
    }
    for name in ["channel", "tool_latency_ms"] {
        assert_eq!(feature(&got, name)["verdict"], "no_drift", "{name} should not drift");
    }
    let surges = got["surges"].as_array().expect("surges");
    assert!(
        surges.iter().any(|s| s["intent"] == "compromised_card"),
        "the incident's intents surge: {surges:?}"
    );
    assert_eq!(
        got["oos"]["flagged"], true,
        "intents the router never saw go out of scope: {}",
        got["oos"]
    );
    assert_eq!(
        got["text"]["verdict"], "drift",
        "the incident's messages differ: {}",
        got["text"]
    );
}

#[test]
fn a_window_against_itself_does_not_drift() {
    let traffic = drifting_traffic();
    let got = drift_json(&traffic.lake, REFERENCE, REFERENCE);
    for f in got["features"].as_array().unwrap() {
        for key in ["psi", "js", "ks", "wasserstein", "wasserstein_norm"] {
            if let Some(v) = f.get(key).and_then(Value::as_f64) {
                assert!(v.abs() < 1e-12, "{}.{key} = {v}", f["feature"]);
            }
        }
        assert_ne!(f["verdict"], "drift", "{}", f["feature"]);
    }
}

#[test]
fn a_frozen_profile_gives_the_numbers_of_its_window() {
    let traffic = drifting_traffic();
    let (from, to) = REFERENCE.split_once("..").unwrap();
    run_ok(&[
        "drift",
        "profile",
        "--lake",
        path_str(&traffic.lake),
        "--from",
        from,
        "--to",
        to,
        "--name",
        "baseline",
    ]);
    assert!(traffic.lake.join("drift_profiles/baseline.json").is_file());
    let from_window = drift_json(&traffic.lake, REFERENCE, CURRENT);
    let from_profile = drift_json(&traffic.lake, "baseline", CURRENT);
    for f in from_window["features"].as_array().unwrap() {
        let g = feature(&from_profile, f["feature"].as_str().unwrap());
        for key in [
            "n_ref",
            "n_cur",
            "psi",
            "js",
            "ks",
            "ks_p",
            "wasserstein",
            "wasserstein_norm",
            "verdict",
        ] {
            assert!(
                values_match(&f[key], &g[key], 1e-12),
                "{}.{key}: window {} profile {}",
                f["feature"],
                f[key],
                g[key]
            );
        }
    }
}

#[test]
fn the_html_report_is_self_contained_and_renders_in_a_browser() {
    let traffic = drifting_traffic();
    let html = traffic.dir.path().join("drift.html");
    run_ok(&[
        "drift",
        "report",
        "--lake",
        path_str(&traffic.lake),
        "--reference",
        REFERENCE,
        "--current",
        CURRENT,
        "--output",
        path_str(&html),
    ]);
    let page = std::fs::read_to_string(&html).expect("report written");
    assert!(page.contains("<svg"), "inline SVG charts");
    for external in ["src=\"http", "href=\"http", "url(http", "@import"] {
        assert!(!page.contains(external), "the report loads {external}…");
    }
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(html.with_extension("json")).expect("json")).unwrap();
    assert!(json["features"].as_array().is_some_and(|f| f.len() == 12));
    crate::browser::check_page(&html, &traffic.dir.path().join("drift.png"));
}

#[test]
fn drift_update_fills_drift_metrics_once_per_complete_window() {
    let traffic = drifting_traffic();
    let config = traffic.dir.path().join("pipelines.yaml");
    std::fs::write(
        &config,
        format!(
            "version: 1\npipelines:\n  support:\n    source:\n      files: {{ paths: [{}] }}\n    lake: {}\n    \
             drift:\n      reference: {{ rolling: 1d }}\n      window: 6h\n",
            path_str(&traffic.input),
            path_str(&traffic.lake)
        ),
    )
    .expect("config");
    crate::support::drift_update(&traffic.lake, &config);
    let windows = crate::support::query_json(
        &traffic.lake,
        "SELECT window_start, window_end, reference, COUNT(*) AS rows, \
                SUM(CASE WHEN kind IN ('numeric', 'categorical') THEN 1 ELSE 0 END) AS features, \
                SUM(CASE WHEN kind = 'series' THEN 1 ELSE 0 END) AS series \
         FROM drift_metrics GROUP BY 1, 2, 3 ORDER BY 1",
    );
    assert!(windows.len() >= 3, "6-hour windows of the second day: {windows:?}");
    let first = &windows[0];
    assert_eq!(
        first["window_start"], "2026-11-03T00:00:00.000000Z",
        "the first window after a day of reference"
    );
    assert_eq!(first["reference"], "2026-11-02T00:00:00Z..2026-11-03T00:00:00Z");
    for window in &windows {
        assert_eq!(window["features"], 12, "{window}");
    }
    // KPI series rows where the window has conversations or predictions (the tail of late
    // surveys and labels has none).
    assert_eq!(first["series"], 3, "{first}");
    // Each window's numbers are those of `convolens drift` over the same two windows.
    let report = drift_json(&traffic.lake, REFERENCE, "2026-11-03T00:00:00Z..2026-11-03T06:00:00Z");
    let rows = crate::support::query_json(
        &traffic.lake,
        "SELECT feature, psi, js, verdict FROM drift_metrics \
         WHERE window_start = arrow_cast('2026-11-03T00:00:00Z', 'Timestamp(Microsecond, Some(\"UTC\"))') \
           AND kind IN ('numeric', 'categorical')",
    );
    for row in &rows {
        let f = feature(&report, row["feature"].as_str().unwrap());
        for key in ["psi", "js", "verdict"] {
            assert!(
                values_match(&f[key], &row[key], 1e-12),
                "{}.{key}: {} vs {}",
                row["feature"],
                f[key],
                row[key]
            );
        }
    }
    // Detector names as the JSON and pipelines.yaml spell them.
    let alarms = crate::support::query_json(
        &traffic.lake,
        "SELECT DISTINCT alarms FROM drift_metrics WHERE alarms IS NOT NULL",
    );
    assert!(!alarms.is_empty(), "the injected change raises detector alarms");
    for row in &alarms {
        for name in row["alarms"].as_str().expect("text").split(',') {
            assert!(["adwin", "page_hinkley"].contains(&name), "detector {name}");
        }
    }
    // A second run finds nothing new: no window twice.
    let output = crate::support::drift_update(&traffic.lake, &config);
    assert!(String::from_utf8_lossy(&output.stdout).contains("up to date"));
    let again = crate::support::query_json(
        &traffic.lake,
        "SELECT COUNT(DISTINCT window_start) AS n, COUNT(*) AS rows FROM drift_metrics",
    );
    let total: i64 = windows.iter().map(|w| w["rows"].as_i64().unwrap()).sum();
    assert_eq!(again[0]["rows"], total);
}
