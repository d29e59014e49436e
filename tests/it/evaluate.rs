//! Calibration and CSAT drivers end to end: the `calibrate` and `csat-drivers` commands and
//! the `calibration` and `csat_drivers` views must equal the worked example's expected
//! values and the independent Python reference (scripts/reference) on generated traffic.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::support::{ingest, path_str, query_json, repo_path, run_ok, values_match};

const REL: f64 = 1e-9;

fn json_of(args: &[&str]) -> Value {
    let output = run_ok(args);
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// "model/version" keys of the reference's calibration object, "*/*" for all pairs.
fn group_key(group: &Value) -> String {
    match group.get("model").and_then(Value::as_str) {
        None => "*/*".to_string(),
        Some(model) => format!(
            "{model}/{}",
            group.get("model_version").and_then(Value::as_str).unwrap_or("")
        ),
    }
}

/// Every number of `expected` (the reference's shape) is in `actual` within REL.
fn assert_close(expected: &Value, actual: &Value, context: &str) {
    match (expected, actual) {
        (Value::Object(want), Value::Object(_)) => {
            for (key, value) in want {
                let got = actual.get(key).unwrap_or(&Value::Null);
                assert_close(value, got, &format!("{context}.{key}"));
            }
        }
        (Value::Array(want), Value::Array(got)) => {
            assert_eq!(want.len(), got.len(), "{context}: lengths differ");
            for (i, (w, g)) in want.iter().zip(got).enumerate() {
                assert_close(w, g, &format!("{context}[{i}]"));
            }
        }
        _ => assert!(
            values_match(expected, actual, REL),
            "{context}: expected {expected}, got {actual}"
        ),
    }
}

fn check_calibration(lake: &Path, expected: &Value) {
    let got = json_of(&["calibrate", "--lake", path_str(lake), "--format", "json"]);
    let expected = expected.as_object().expect("calibration object");
    let mut groups: Vec<&Value> = got["groups"].as_array().expect("groups").iter().collect();
    groups.push(&got["overall"]);
    assert_eq!(groups.len(), expected.len(), "groups: {got}");
    for group in groups {
        let key = group_key(group);
        let want = expected.get(&key).unwrap_or_else(|| panic!("unexpected group {key}"));
        assert_close(want, group, &key);
    }
}

/// The worked example writes a driver without enough data as null; INTERFACE.md's output
/// keeps the object with `n` and null statistics.
fn check_drivers(lake: &Path, expected: &Value) {
    let got = json_of(&["csat-drivers", "--lake", path_str(lake), "--format", "json"]);
    let got = got.as_array().expect("csat-drivers prints an array");
    let expected = expected.as_object().expect("csat_correlation object");
    assert_eq!(got.len(), expected.len());
    for row in got {
        let driver = row["driver"].as_str().expect("driver");
        for field in ["n", "r", "p", "ci_low", "ci_high", "rho", "p_rho"] {
            assert!(row.get(field).is_some(), "{driver} lacks {field}");
        }
        match &expected[driver] {
            Value::Null => {
                for field in ["r", "p", "ci_low", "ci_high", "rho", "p_rho"] {
                    assert!(row[field].is_null(), "{driver}.{field} should be null: {row}");
                }
                assert!(row["n"].as_u64().unwrap() < 4 || row["r"].is_null(), "{driver}: {row}");
            }
            want => assert_close(want, row, driver),
        }
    }
}

#[test]
fn worked_example_calibration_and_drivers_match_the_contract() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = dir.path().join("lake");
    ingest(&repo_path("tests/cases/small/input.ndjson"), &lake);
    let text = std::fs::read_to_string(repo_path("tests/cases/small/expected.json")).expect("expected.json");
    let expected: Value = serde_json::from_str(&text).expect("expected.json parses");
    check_calibration(&lake, &expected["calibration"]);
    check_drivers(&lake, &expected["csat_correlation"]);
}

fn reference_of(input: &Path) -> Value {
    let output = Command::new("python3")
        .arg(repo_path("scripts/reference/convolens_reference.py"))
        .arg(input)
        .output()
        .expect("python3 runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("reference JSON")
}

struct Generated {
    _dir: tempfile::TempDir,
    input: std::path::PathBuf,
    lake: std::path::PathBuf,
}

fn generated(seed: u64, conversations: u64, days: &str, extra: &[&str]) -> Generated {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("traffic.ndjson");
    let conversations = conversations.to_string();
    let seed = seed.to_string();
    let mut args = vec![
        "generate",
        "--conversations",
        &conversations,
        "--seed",
        &seed,
        "--days",
        days,
        "--output",
        path_str(&input),
    ];
    args.extend_from_slice(extra);
    run_ok(&args);
    let lake = dir.path().join("lake");
    ingest(&input, &lake);
    Generated { _dir: dir, input, lake }
}

#[test]
fn generated_traffic_calibration_and_drivers_match_the_reference_implementation() {
    let traffic = generated(11, 600, "2", &[]);
    let reference = reference_of(&traffic.input);
    check_calibration(&traffic.lake, &reference["calibration"]);
    check_drivers(&traffic.lake, &reference["csat_correlation"]);
}

/// The SQL views and the commands are two implementations of METRICS §3–4: per day they
/// must agree (one tenant, so the per-tenant `csat_drivers` rows are the day's).
#[test]
fn views_equal_the_commands_day_by_day() {
    let traffic = generated(23, 900, "2", &["--tenants", "acme"]);
    let lake = &traffic.lake;
    let days = query_json(
        lake,
        "SELECT DISTINCT CAST(day AS VARCHAR) AS day FROM calibration ORDER BY day",
    );
    assert!(days.len() >= 2, "two days of predictions: {days:?}");
    for day in days.iter().filter_map(|d| d["day"].as_str()) {
        let next =
            (chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").expect("date") + chrono::Days::new(1)).to_string();
        let window = format!("{day}..{next}");
        let command = json_of(&[
            "calibrate",
            "--lake",
            path_str(lake),
            "--window",
            &window,
            "--format",
            "json",
        ]);
        let view = query_json(lake, &format!("SELECT * FROM calibration WHERE day = DATE '{day}'"));
        let groups = command["groups"].as_array().expect("groups");
        assert_eq!(groups.len(), view.len(), "{day}: groups");
        for row in &view {
            let group = groups
                .iter()
                .find(|g| g["model"] == row["model"] && g["model_version"] == row["model_version"])
                .unwrap_or_else(|| panic!("{day}: no group for {row}"));
            for field in ["n", "accuracy", "mean_confidence", "ece", "mce", "ace", "brier"] {
                assert!(
                    values_match(&group[field], &row[field], REL),
                    "{day} {}: {field} command {} view {}",
                    group_key(group),
                    group[field],
                    row[field]
                );
            }
            let bins = query_json(
                lake,
                &format!(
                    "SELECT bin, count, mean_confidence, accuracy FROM calibration_bins WHERE day = DATE '{day}' \
                     AND model = '{}' AND model_version IS NOT DISTINCT FROM {} ORDER BY bin",
                    row["model"].as_str().unwrap(),
                    row["model_version"]
                        .as_str()
                        .map_or("NULL".to_string(), |v| format!("'{v}'"))
                ),
            );
            assert_close(
                &Value::Array(bins),
                &group["bins"]
                    .clone()
                    .as_array()
                    .map(|b| {
                        Value::Array(
                            b.iter()
                                .map(|bin| {
                                    serde_json::json!({
                                        "bin": bin["bin"], "count": bin["count"],
                                        "mean_confidence": bin["mean_confidence"], "accuracy": bin["accuracy"],
                                    })
                                })
                                .collect(),
                        )
                    })
                    .unwrap(),
                &format!("{day} bins"),
            );
        }

        let command = json_of(&[
            "csat-drivers",
            "--lake",
            path_str(lake),
            "--window",
            &window,
            "--format",
            "json",
        ]);
        let view = query_json(lake, &format!("SELECT * FROM csat_drivers WHERE day = DATE '{day}'"));
        for row in command.as_array().expect("array") {
            let driver = row["driver"].as_str().unwrap();
            match view.iter().find(|v| v["driver"] == row["driver"]) {
                Some(v) => {
                    for field in ["n", "r", "p", "ci_low", "ci_high", "rho", "p_rho"] {
                        assert!(
                            values_match(&row[field], &v[field], 1e-9),
                            "{day} {driver}: {field} command {} view {}",
                            row[field],
                            v[field]
                        );
                    }
                }
                // The view has no row for a driver without a single non-null value.
                None => assert_eq!(row["n"], 0, "{day} {driver} missing from the view"),
            }
        }
    }
}

/// isotonic: linear interpolation between breakpoints, flat outside (numpy.interp).
fn interp(x: f64, xs: &[f64], ys: &[f64]) -> f64 {
    if x <= xs[0] {
        return ys[0];
    }
    if x >= xs[xs.len() - 1] {
        return ys[ys.len() - 1];
    }
    let i = xs.partition_point(|v| *v <= x);
    let (x0, x1, y0, y1) = (xs[i - 1], xs[i], ys[i - 1], ys[i]);
    if x1 == x0 {
        y1
    } else {
        y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    }
}

#[test]
fn fitted_maps_give_the_smallest_threshold_reaching_the_target_on_held_out_pairs() {
    let traffic = generated(31, 1500, "2", &[]);
    let lake = &traffic.lake;
    let dir = tempfile::tempdir().expect("tempdir");
    let maps_path = dir.path().join("maps.json");
    let days = query_json(
        lake,
        "SELECT DISTINCT CAST(day AS VARCHAR) AS day FROM calibration ORDER BY day",
    );
    let (train_day, held_day) = (days[0]["day"].as_str().unwrap(), days[1]["day"].as_str().unwrap());
    let train = format!("{train_day}..{held_day}");
    let held_out = format!("{held_day}..");
    run_ok(&[
        "calibrate",
        "--lake",
        path_str(lake),
        "--window",
        &train,
        "--fit",
        "--held-out",
        &held_out,
        "--method",
        "isotonic",
        "--output",
        path_str(&maps_path),
        "--format",
        "json",
    ]);
    let maps: Value = serde_json::from_str(&std::fs::read_to_string(&maps_path).expect("maps")).expect("json");
    let maps = maps.as_array().expect("array of maps");
    assert!(!maps.is_empty());
    for map in maps {
        assert_eq!(map["format"], "convolens.calibration-map/1");
        let version = map["model_version"].as_str().expect("version");
        assert_eq!(map["method"], "isotonic");
        let points = |axis: &str| -> Vec<f64> {
            map["breakpoints"][axis]
                .as_array()
                .expect("breakpoints")
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect()
        };
        let (xs, ys) = (points("x"), points("y"));
        let pairs = query_json(
            lake,
            &format!(
                "SELECT confidence, correct FROM calibration_pairs WHERE model_version = '{version}' \
                 AND day >= DATE '{held_day}'"
            ),
        );
        assert_eq!(map["n_held_out"].as_u64().unwrap() as usize, pairs.len(), "{version}");
        let mut scored: Vec<(f64, bool)> = pairs
            .iter()
            .map(|p| {
                (
                    interp(p["confidence"].as_f64().unwrap(), &xs, &ys),
                    p["correct"].as_bool().unwrap(),
                )
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        // Brute force: every candidate cut, accuracy of the pairs at or above it.
        let accuracy_at = |t: f64| {
            let above: Vec<&(f64, bool)> = scored.iter().filter(|(c, _)| *c >= t).collect();
            above.iter().filter(|(_, ok)| *ok).count() as f64 / above.len() as f64
        };
        let best = scored
            .iter()
            .map(|(c, _)| *c)
            .filter(|t| accuracy_at(*t) >= 0.90)
            .fold(None, |m: Option<f64>, t| Some(m.map_or(t, |m| m.min(t))));
        match (best, map["threshold"].as_f64()) {
            (Some(want), Some(got)) => assert!(
                (want - got).abs() <= 1e-12,
                "{version}: threshold {got}, brute force {want}"
            ),
            (None, None) => {}
            (want, got) => panic!("{version}: threshold {got:?}, brute force {want:?}"),
        }
    }
}

/// Labels that disagree: a later relabel wins, labels at the same instant are settled by
/// the greater `event_id` (the view's order), labels of unknown predictions and predictions
/// without labels drop out. The command's pairs must be the view's, and the hand count.
#[test]
fn latest_label_wins_and_ties_break_by_event_id() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("labels.ndjson");
    let prediction = |id: &str, conversation: &str, intent: &str, confidence: f64, minute: u32| {
        format!(
            r#"{{"event_id":"{id}","event_type":"intent_predicted","conversation_id":"{conversation}","occurred_at":"2026-11-02T10:{minute:02}:00Z","intent":"{intent}","confidence":{confidence},"model":"router","model_version":"v1"}}"#
        )
    };
    let label = |id: &str, conversation: &str, prediction: &str, truth: &str, minute: u32| {
        format!(
            r#"{{"event_id":"{id}","event_type":"intent_labeled","conversation_id":"{conversation}","occurred_at":"2026-11-02T11:{minute:02}:00Z","prediction_event_id":"{prediction}","true_intent":"{truth}"}}"#
        )
    };
    let lines = [
        prediction("p1", "c1", "card_lost", 0.9, 0),
        prediction("p2", "c1", "refund", 0.6, 1),
        prediction("p3", "c2", "refund", 0.3, 2),
        prediction("p4", "c2", "balance", 0.8, 3),
        // p1: wrong, then relabelled correct later: correct.
        label("l1", "c1", "p1", "refund", 0),
        label("l2", "c1", "p1", "card_lost", 5),
        // p2: two labels at the same instant; "l9" > "l3", so "refund" wins: correct.
        label("l9", "c1", "p2", "refund", 1),
        label("l3", "c1", "p2", "balance", 1),
        // p3: the same tie the other way round: "l8" > "l4" says "balance": wrong.
        label("l4", "c2", "p3", "refund", 2),
        label("l8", "c2", "p3", "balance", 2),
        // p4 has no label; this label's prediction does not exist.
        label("l5", "c2", "p404", "balance", 3),
    ];
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let lake = dir.path().join("lake");
    ingest(&input, &lake);

    let view = query_json(
        &lake,
        "SELECT prediction_event_id, correct FROM calibration_pairs ORDER BY prediction_event_id",
    );
    let view: Vec<(String, bool)> = view
        .iter()
        .map(|r| {
            (
                r["prediction_event_id"].as_str().unwrap().to_string(),
                r["correct"].as_bool().unwrap(),
            )
        })
        .collect();
    let expected = [("p1", true), ("p2", true), ("p3", false)].map(|(id, ok)| (id.to_string(), ok));
    assert_eq!(view, expected, "the view");

    let got = json_of(&[
        "calibrate",
        "--lake",
        path_str(&lake),
        "--format",
        "json",
        "--bins",
        "10",
    ]);
    let overall = &got["overall"];
    assert_eq!(overall["n"], 3, "{got}");
    assert!(
        values_match(&Value::from(2.0 / 3.0), &overall["accuracy"], REL),
        "{got}"
    );
    // Brier by hand: (0.9 − 1)², (0.6 − 1)², (0.3 − 0)².
    let brier = (0.01 + 0.16 + 0.09) / 3.0;
    assert!(values_match(&Value::from(brier), &overall["brier"], REL), "{got}");
}

/// `csat-drivers` takes each conversation's latest CSAT answer (ties at one instant go to
/// the greatest `event_id`), keys conversations by tenant too, and correlates what it took.
#[test]
fn latest_csat_wins_and_ties_break_by_event_id() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("csat.ndjson");
    let event = |id: &str, tenant: &str, conversation: &str, kind: &str, at: &str, extra: &str| {
        format!(
            r#"{{"event_id":"{id}","event_type":"{kind}","conversation_id":"{conversation}","tenant_id":"{tenant}","occurred_at":"2026-11-02T{at}:00Z"{extra}}}"#
        )
    };
    // (tenant, conversation, customer messages, answers as (event id, minute, score)).
    type Answers = &'static [(&'static str, u32, u32)];
    let conversations: [(&str, &str, u32, Answers); 6] = [
        ("acme", "c1", 1, &[("a1", 0, 2), ("a2", 30, 5)]),
        ("acme", "c2", 2, &[("e9", 10, 1), ("e3", 10, 4)]),
        ("acme", "c3", 3, &[("e4", 10, 5), ("e8", 10, 2)]),
        ("acme", "c4", 4, &[("b1", 10, 3)]),
        ("beta", "c1", 5, &[("b2", 10, 4)]),
        ("acme", "c5", 6, &[]),
    ];
    let mut lines = Vec::new();
    for (tenant, conversation, messages, answers) in conversations {
        let id = |what: &str| format!("{tenant}-{conversation}-{what}");
        lines.push(event(
            &id("s"),
            tenant,
            conversation,
            "conversation_started",
            "10:00",
            r#","channel":"chat""#,
        ));
        for m in 0..messages {
            let extra = r#","actor":"customer","text":"hello""#;
            lines.push(event(
                &id(&format!("m{m}")),
                tenant,
                conversation,
                "message",
                &format!("10:{:02}", m + 1),
                extra,
            ));
        }
        let ended = r#","disposition":"resolved","ended_by":"customer""#;
        lines.push(event(
            &id("e"),
            tenant,
            conversation,
            "conversation_ended",
            "10:20",
            ended,
        ));
        for (answer, minute, score) in answers {
            let extra = format!(r#","score":{score}"#);
            lines.push(event(
                answer,
                tenant,
                conversation,
                "csat_submitted",
                &format!("12:{minute:02}"),
                &extra,
            ));
        }
    }
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let lake = dir.path().join("lake");
    ingest(&input, &lake);

    // Winners: acme/c1 5 (later), c2 1 ("e9" > "e3"), c3 2 ("e8" > "e4"), c4 3, beta/c1 4.
    let (x, y) = ([1.0, 2.0, 3.0, 4.0, 5.0], [5.0, 1.0, 2.0, 3.0, 4.0]);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (mx, my) = (mean(&x), mean(&y));
    let sxy: f64 = x.iter().zip(&y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    let syy: f64 = y.iter().map(|b| (b - my).powi(2)).sum();
    let r = sxy / (sxx * syy).sqrt();

    let got = json_of(&["csat-drivers", "--lake", path_str(&lake), "--format", "json"]);
    let row = got
        .as_array()
        .expect("array")
        .iter()
        .find(|r| r["driver"] == "customer_messages")
        .unwrap_or_else(|| panic!("no customer_messages row: {got}"));
    assert_eq!(row["n"], 5, "{row}");
    assert!(
        values_match(&Value::from(r), &row["r"], 1e-12),
        "r {} expected {r}",
        row["r"]
    );
    let view = query_json(
        &lake,
        "SELECT conversation_id, tenant_id, csat_5 FROM conversation_facts WHERE csat_5 IS NOT NULL \
         ORDER BY tenant_id, conversation_id",
    );
    let view: Vec<f64> = view.iter().map(|v| v["csat_5"].as_f64().unwrap()).collect();
    assert_eq!(view, [5.0, 1.0, 2.0, 3.0, 4.0], "the view agrees on the winners");
}
