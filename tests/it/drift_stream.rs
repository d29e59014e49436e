//! Streaming drift: `convolens ingest` computes each window's drift from the events it
//! routes (resuming the windows the lake already holds part of), and its rows must equal
//! those `convolens drift update` computes from the lake for the same windows.

use std::path::Path;

use serde_json::Value;

use crate::support::{diff_rows, drift_update, path_str, query_json, recomputed_drift, run_ok};

/// Every column of `drift_metrics` but `reference` (it names the lake's own profile path)
/// and `computed_at`.
const ROWS: &str = "SELECT window_start, window_end, feature, kind, n_ref, n_cur, null_share_ref, \
                    null_share_cur, psi, js, ks, ks_p, wasserstein, wasserstein_norm, auc, unseen, \
                    value, method, threshold, verdict, alarms \
                    FROM drift_metrics";

/// The NDJSON lines of `input` split by conversation: those of conversations whose first
/// event occurred at or after `boundary` go to `after`, the rest (and lines that do not
/// parse) to `before`. Whole conversations, so that no conversation has facts from both
/// runs.
fn split_by_conversation_start(input: &Path, boundary: &str, before: &Path, after: &Path) {
    let boundary = chrono::DateTime::parse_from_rfc3339(boundary).unwrap().to_utc();
    let bytes = std::fs::read(input).expect("traffic");
    // By bytes: some generated invalid lines are not UTF-8.
    let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()).collect();
    let parsed: Vec<Option<(String, chrono::DateTime<chrono::Utc>)>> = lines
        .iter()
        .map(|line| {
            let value = serde_json::from_slice::<Value>(line).ok()?;
            // Both time forms of EVENTS.md: RFC 3339 text and epoch milliseconds.
            let occurred = match &value["occurred_at"] {
                Value::String(t) => chrono::DateTime::parse_from_rfc3339(t).ok()?.to_utc(),
                Value::Number(n) => chrono::DateTime::from_timestamp_millis(n.as_i64()?)?,
                _ => return None,
            };
            Some((value["conversation_id"].as_str()?.to_string(), occurred))
        })
        .collect();
    let mut starts: std::collections::HashMap<&str, chrono::DateTime<chrono::Utc>> = Default::default();
    for (conversation, at) in parsed.iter().flatten() {
        let start = starts.entry(conversation).or_insert(*at);
        *start = (*start).min(*at);
    }
    let (mut first, mut second) = (Vec::new(), Vec::new());
    for (line, parsed) in lines.iter().zip(&parsed) {
        let late = parsed
            .as_ref()
            .is_some_and(|(conversation, _)| starts[conversation.as_str()] >= boundary);
        let part = if late { &mut second } else { &mut first };
        part.extend_from_slice(line);
        part.push(b'\n');
    }
    std::fs::write(before, first).unwrap();
    std::fs::write(after, second).unwrap();
}

#[test]
fn streamed_drift_equals_drift_update_over_the_lake() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("traffic.ndjson");
    run_ok(&[
        "generate",
        "--conversations",
        "2400",
        "--seed",
        "11",
        "--days",
        "2",
        "--drift-from",
        "0.5",
        "--embeddings",
        "--output",
        path_str(&input),
    ]);
    let (day_one, day_two) = (dir.path().join("day1.ndjson"), dir.path().join("day2.ndjson"));
    split_by_conversation_start(&input, "2026-11-03T00:00:00Z", &day_one, &day_two);
    let lake = dir.path().join("lake");
    let config = dir.path().join("pipelines.yaml");
    std::fs::write(
        &config,
        "version: 1\npipelines:\n  support:\n    source:\n      files: { paths: [unused.ndjson] }\n    \
         lake: unused\n    drift:\n      reference: { profile: drift_profiles/baseline.json }\n      window: 4h\n",
    )
    .expect("config");
    let ingest = |input: &Path| {
        let output = run_ok(&[
            "ingest",
            "--input",
            path_str(input),
            "--lake",
            path_str(&lake),
            "--config",
            path_str(&config),
        ]);
        String::from_utf8_lossy(&output.stderr).into_owned()
    };

    // Day one, before any profile exists: no streaming drift.
    let first = ingest(&day_one);
    assert!(!first.contains("drift_metrics:"), "{first}");
    crate::support::drift_profile(&lake, "2026-11-02", "2026-11-03", "baseline");

    // Day two streams its windows against the profile.
    let second = ingest(&day_two);
    assert!(second.contains("drift_metrics: "), "{second}");
    let streamed = query_json(&lake, &format!("{ROWS} ORDER BY window_start, feature"));
    let windows: std::collections::BTreeSet<String> = streamed
        .iter()
        .map(|r| r["window_start"].as_str().unwrap().to_string())
        .collect();
    assert!(windows.len() >= 12, "4-hour windows of both days: {windows:?}");
    assert_eq!(
        windows.first().map(String::as_str),
        Some("2026-11-02T00:00:00.000000Z"),
        "day one's windows resumed from the lake"
    );
    let kinds = query_json(
        &lake,
        "SELECT kind, COUNT(DISTINCT feature) AS features FROM drift_metrics GROUP BY kind ORDER BY kind",
    );
    let count = |kind: &str| kinds.iter().find(|k| k["kind"] == kind).map(|k| k["features"].clone());
    assert_eq!(count("numeric"), Some(7.into()), "{kinds:?}");
    assert_eq!(count("categorical"), Some(5.into()), "{kinds:?}");
    assert_eq!(count("series"), Some(3.into()), "{kinds:?}");
    assert_eq!(count("text"), Some(1.into()), "{kinds:?}");
    let drifting = query_json(
        &lake,
        "SELECT COUNT(*) AS n FROM drift_metrics WHERE verdict = 'drift' AND feature = 'intent'",
    );
    assert!(
        drifting[0]["n"].as_i64().unwrap() > 0,
        "the injected change drifts intent"
    );

    // The same windows computed from the lake, on a copy without the streamed rows: all of
    // them (the stream left none to fill).
    let copy = dir.path().join("copy");
    let from_lake = recomputed_drift(&lake, &copy, &config, &format!("{ROWS} ORDER BY window_start, feature"));
    // Series means are summed in another order by SQL: equal to rounding.
    let diffs = diff_rows(&from_lake, &streamed, &["window_start", "feature"], 1e-12);
    assert!(diffs.is_empty(), "streamed vs drift update:\n{}", diffs.join("\n"));

    // Nothing left for `drift update` on the streamed lake.
    let output = drift_update(&lake, &config);
    assert!(String::from_utf8_lossy(&output.stdout).contains("up to date"));
}

#[test]
fn a_profile_that_cannot_be_read_stops_the_drift_not_the_ingest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = dir.path().join("lake");
    std::fs::create_dir_all(lake.join("drift_profiles")).unwrap();
    std::fs::write(lake.join("drift_profiles/baseline.json"), "{ not a profile").unwrap();
    let config = dir.path().join("pipelines.yaml");
    std::fs::write(
        &config,
        "version: 1\npipelines:\n  support:\n    source:\n      files: { paths: [unused.ndjson] }\n    \
         lake: unused\n    drift:\n      reference: { profile: drift_profiles/baseline.json }\n",
    )
    .unwrap();
    let input = crate::support::repo_path("tests/cases/small/input.ndjson");
    let output = run_ok(&[
        "ingest",
        "--input",
        path_str(&input),
        "--lake",
        path_str(&lake),
        "--config",
        path_str(&config),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no streaming drift"), "{stderr}");
    assert!(stderr.contains("baseline.json"), "the log names the profile: {stderr}");
    let events = query_json(&lake, "SELECT COUNT(*) AS n FROM events");
    assert!(events[0]["n"].as_i64().unwrap() > 0, "the events landed");
}
