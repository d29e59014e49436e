//! End-to-end tests of `compile_str`: YAML text in, `Config` or every error with its line out.

use std::path::PathBuf;
use std::time::Duration;

use super::*;

mod errors;
mod evaluation;

const SHIPPED: &str = include_str!("../../../pipelines.yaml");

fn no_env(_: &str) -> Option<String> {
    None
}

fn compile(yaml: &str) -> Result<Config, ConfigErrors> {
    compile_str(yaml, "test.yaml", &no_env)
}

fn errors(yaml: &str) -> Vec<ConfigError> {
    match compile(yaml) {
        Ok(config) => panic!("expected errors, got {config:#?}"),
        Err(errors) => errors.errors,
    }
}

/// The single error of `yaml`, asserting there is exactly one.
fn only_error(yaml: &str) -> ConfigError {
    let mut found = errors(yaml);
    assert_eq!(found.len(), 1, "{found:#?}");
    found.remove(0)
}

/// 1-based column of `needle` in 1-based `line` of `yaml`, counted independently of the parser.
fn column_of(yaml: &str, line: usize, needle: &str) -> usize {
    let text = yaml.lines().nth(line - 1).unwrap_or_else(|| panic!("no line {line}"));
    1 + text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not on line {line}: {text}"))
}

/// A valid pipeline around `extra` lines, which are indented as pipeline keys.
fn pipeline_with(extra: &str) -> String {
    let mut yaml =
        "version: 1\npipelines:\n  p:\n    source: { files: { paths: [in.ndjson] } }\n    lake: ./lake\n".to_owned();
    for line in extra.lines() {
        yaml.push_str(&format!("    {line}\n"));
    }
    yaml
}

#[test]
fn the_shipped_file_compiles_without_any_environment() {
    let config = compile(SHIPPED).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.pipelines.len(), 1);
    let support = config.pipeline("support").expect("a `support` pipeline");
    let SourceSpec::Kafka(kafka) = &support.source else {
        panic!("a Kafka source")
    };
    assert_eq!(kafka.brokers, ["127.0.0.1:9092"]);
    assert_eq!(kafka.topics, ["support.events"]);
    assert_eq!(kafka.group, "convolens-support");
    assert_eq!(kafka.start_from, StartFrom::Earliest);
    assert!(kafka.properties.is_empty());
    assert_eq!(support.lake, PathBuf::from("./lake"));
    assert_eq!(support.sessionization, SessionSettings::default());
    assert_eq!(support.limits, Limits::default());
    assert_eq!(support.lake_files, LakeFileSettings::default());
    assert_eq!(support.commit_interval, Duration::from_secs(10));
    assert_eq!(support.dead_letter_topic, None);
    let redaction = &support.redaction;
    assert!(redaction.emails && redaction.phones && redaction.payment_cards);
    assert_eq!(redaction.patterns.len(), 1);
    assert_eq!(redaction.patterns[0].name, "account_number");
    let account = regex::Regex::new(&redaction.patterns[0].regex).expect("compiles");
    assert!(account.is_match("my account is ACC-12345678, thanks"));
    assert!(!account.is_match("ACC-1234567 is too short"));
    assert!(!account.is_match("XACC-12345678 is part of a word"));
    // The file spells out the defaults, so that users see every knob.
    assert_eq!(support.calibration, CalibrationSettings::default());
    assert_eq!(support.drift, DriftSettings::default());
}

#[test]
fn the_shipped_file_takes_brokers_from_the_environment() {
    let env = |name: &str| (name == "CONVOLENS_BROKERS").then(|| "k1:9092, k2:9092".to_owned());
    let config = compile_str(SHIPPED, "pipelines.yaml", &env).unwrap_or_else(|e| panic!("{e}"));
    let SourceSpec::Kafka(kafka) = &config.pipelines[0].source else {
        panic!("a Kafka source")
    };
    assert_eq!(kafka.brokers, ["k1:9092", "k2:9092"]);
}

#[test]
fn omitted_sections_and_keys_take_the_documented_defaults() {
    let config = compile(&pipeline_with(
        "sessionization: { idle_timeout: 10m }\nlake_files: {}\nredaction:",
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let p = &config.pipelines[0];
    assert_eq!(
        p.source,
        SourceSpec::Files {
            paths: vec![PathBuf::from("in.ndjson")]
        }
    );
    let expected_session = SessionSettings {
        idle_timeout: Duration::from_secs(600),
        ..SessionSettings::default()
    };
    assert_eq!(p.sessionization, expected_session);
    assert_eq!(p.lake_files, LakeFileSettings::default());
    assert_eq!(p.redaction, RedactionSettings::default());
    assert_eq!(p.limits, Limits::default());
    assert_eq!(p.commit_interval, Duration::from_secs(10));
    assert_eq!(p.calibration, CalibrationSettings::default());
    assert_eq!(p.drift, DriftSettings::default());
}

#[test]
fn every_key_is_read_into_the_config() {
    let yaml = r#"
version: 1
pipelines:
  first:
    source:
      kafka:
        brokers: "a:1,b:2"
        topics: [t1, t2]
        group: g
        start_from: latest
        properties: { security.protocol: SASL_SSL, enable.partition.eof: false, queued.min.messages: 1000 }
    lake: /data/lake
    sessionization: { idle_timeout: 1h, allowed_lateness: 0, dedup_horizon: 1h }
    limits: { max_event_bytes: 512KiB }
    redaction: { emails: false, phones: TRUE, payment_cards: False, patterns: [{ name: a, regex: 'x+' }, { name: b, regex: y }] }
    lake_files: { max_rows: 10, max_bytes: 4096, max_age: 1h30m }
    commit_interval: 500ms
    dead_letter_topic: first.dlq
    calibration: { bins: 15, target_accuracy: 0.95, min_intent_support: 50, method: platt }
    drift:
      reference: { profile: profiles/october.json }
      window: 30m
      min_count: 500
      bins: 20
      features:
        intent: { method: psi, threshold: 0.2 }
        confidence: { method: ks_p, threshold: 0.01, enabled: true }
        kb_miss_rate: { enabled: false }
      text: { enabled: false, auc_threshold: 0.6, max_rows: 1000 }
      detectors:
        series: [mean_confidence]
        adwin: { delta: 0.01, value_range: 2, min_window: 10, max_window: 500 }
        page_hinkley: { delta: 0, lambda: 0.5, min_instances: 10 }
  second:
    source: { files: { paths: [a.ndjson, b.ndjson.gz] } }
    lake: lake2
"#;
    let config = compile(yaml).unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = config.pipelines.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["first", "second"], "file order");
    let first = &config.pipelines[0];
    let properties = [
        ("enable.partition.eof", "false"),
        ("queued.min.messages", "1000"),
        ("security.protocol", "SASL_SSL"),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()));
    let kafka = KafkaSource {
        brokers: vec!["a:1".to_owned(), "b:2".to_owned()],
        topics: vec!["t1".to_owned(), "t2".to_owned()],
        group: "g".to_owned(),
        start_from: StartFrom::Latest,
        properties: properties.into_iter().collect(),
    };
    let expected = Pipeline {
        name: "first".to_owned(),
        source: SourceSpec::Kafka(kafka),
        lake: PathBuf::from("/data/lake"),
        sessionization: SessionSettings {
            idle_timeout: Duration::from_secs(3600),
            allowed_lateness: Duration::ZERO,
            dedup_horizon: Duration::from_secs(3600),
        },
        limits: Limits {
            max_event_bytes: 512 * 1024,
        },
        redaction: RedactionSettings {
            emails: false,
            phones: true,
            payment_cards: false,
            patterns: vec![
                NamedPattern {
                    name: "a".to_owned(),
                    regex: "x+".to_owned(),
                },
                NamedPattern {
                    name: "b".to_owned(),
                    regex: "y".to_owned(),
                },
            ],
        },
        lake_files: LakeFileSettings {
            max_rows: 10,
            max_bytes: 4096,
            max_age: Duration::from_secs(5400),
        },
        commit_interval: Duration::from_millis(500),
        dead_letter_topic: Some("first.dlq".to_owned()),
        calibration: CalibrationSettings {
            bins: 15,
            target_accuracy: 0.95,
            min_intent_support: 50,
            method: CalibrationMethod::Platt,
        },
        drift: DriftSettings {
            reference: DriftReference::Profile(PathBuf::from("profiles/october.json")),
            window: Duration::from_secs(30 * 60),
            min_count: 500,
            bins: 20,
            features: DRIFT_FEATURES
                .iter()
                .map(|(name, kind)| match *name {
                    "intent" => DriftFeature {
                        method: DriftMethod::Psi,
                        threshold: 0.2,
                        ..DriftFeature::default_for(name, *kind)
                    },
                    "confidence" => DriftFeature {
                        method: DriftMethod::KsP,
                        threshold: 0.01,
                        ..DriftFeature::default_for(name, *kind)
                    },
                    "kb_miss_rate" => DriftFeature {
                        enabled: false,
                        ..DriftFeature::default_for(name, *kind)
                    },
                    _ => DriftFeature::default_for(name, *kind),
                })
                .collect(),
            text: TextDriftSettings {
                enabled: false,
                auc_threshold: 0.6,
                max_rows: 1000,
            },
            detectors: DetectorSettings {
                series: vec![KpiSeries::MeanConfidence],
                adwin: AdwinSettings {
                    delta: 0.01,
                    value_range: 2.0,
                    min_window: 10,
                    max_window: 500,
                },
                page_hinkley: PageHinkleySettings {
                    delta: 0.0,
                    lambda: 0.5,
                    min_instances: 10,
                },
            },
        },
    };
    assert_eq!(first, &expected);
    let files = vec![PathBuf::from("a.ndjson"), PathBuf::from("b.ndjson.gz")];
    assert_eq!(config.pipelines[1].source, SourceSpec::Files { paths: files });
}

#[test]
fn a_file_with_many_problems_reports_all_of_them_in_file_order() {
    let yaml = r"version: 2
pipelines:
  support:
    source:
      kafka:
        brokers: []
        topics: [support.events]
        group: ${GROUP}
        start_from: lastest
    lake: ./lake
    sesionization:
      idle_timeout: 30
    limits: { max_event_bytes: 1MB }
    redaction:
      patterns:
        - { name: acc, regex: '\bACC-\d{8' }
    lake_files: { max_age: 0s }
  Bad_Name:
    lake: ./other
";
    let expected = [
        (1, column_of(yaml, 1, "2"), "version", "unsupported version 2"),
        (
            6,
            column_of(yaml, 6, "[]"),
            "pipelines.support.source.kafka.brokers",
            "empty broker list",
        ),
        (
            8,
            column_of(yaml, 8, "${GROUP}"),
            "pipelines.support.source.kafka.group",
            "`GROUP` is not set",
        ),
        (
            9,
            column_of(yaml, 9, "lastest"),
            "pipelines.support.source.kafka.start_from",
            "did you mean `latest`?",
        ),
        (
            11,
            column_of(yaml, 11, "sesionization"),
            "pipelines.support.sesionization",
            "did you mean `sessionization`?",
        ),
        (
            13,
            column_of(yaml, 13, "1MB"),
            "pipelines.support.limits.max_event_bytes",
            "write `1MiB`",
        ),
        (
            16,
            column_of(yaml, 16, "'"),
            "pipelines.support.redaction.patterns[0].regex",
            "regex does not compile",
        ),
        (
            17,
            column_of(yaml, 17, "0s"),
            "pipelines.support.lake_files.max_age",
            "must be longer than 0",
        ),
        (
            18,
            column_of(yaml, 18, "Bad_Name"),
            "pipelines.Bad_Name",
            "may only use a-z, 0-9",
        ),
        (
            19,
            column_of(yaml, 19, "lake"),
            "pipelines.Bad_Name.source",
            "missing required key `source`",
        ),
    ];
    let found = errors(yaml);
    assert_eq!(found.len(), expected.len(), "{found:#?}");
    for (error, (line, column, path, message)) in found.iter().zip(expected) {
        assert_eq!(
            (error.line, error.column, error.path.as_str()),
            (line, column, path),
            "{error:?}"
        );
        assert!(error.message.contains(message), "{error:?} should say {message:?}");
    }
}

#[test]
fn errors_display_as_file_line_column_path_message() {
    let yaml = pipeline_with("commit_interval: 30\nlakes: x");
    let shown = compile_str(&yaml, "conf/pipelines.yaml", &no_env)
        .expect_err("two errors")
        .to_string();
    let expected = "conf/pipelines.yaml:6:22: pipelines.p.commit_interval: `30` has no unit; expected a duration like \
                    `30s`, `15m`, `1h30m`, `500ms` or `2d` (units: d, h, m, s, ms)\n\
                    conf/pipelines.yaml:7:5: pipelines.p.lakes: unknown key `lakes`; did you mean `lake`?";
    assert_eq!(shown, expected);
}

#[test]
fn interpolation_fills_any_scalar_and_reports_unset_variables_where_they_are() {
    let env = |name: &str| match name {
        "ROWS" => Some("42".to_owned()),
        "LATE" => Some("5m".to_owned()),
        _ => None,
    };
    // Inside `{ }` and `[ ]`, braces end a plain value, so `${…}` is quoted there.
    let yaml = pipeline_with(
        "lake_files: { max_rows: '${ROWS}' }\nsessionization:\n  allowed_lateness: ${LATE}\n  idle_timeout: ${IDLE:-10m}",
    )
    .replace("lake: ./lake", "lake: ./$${X}/lake");
    let config = compile_str(&yaml, "test.yaml", &env).unwrap_or_else(|e| panic!("{e}"));
    let p = &config.pipelines[0];
    assert_eq!(p.lake_files.max_rows, 42);
    assert_eq!(p.sessionization.allowed_lateness, Duration::from_secs(300));
    assert_eq!(p.sessionization.idle_timeout, Duration::from_secs(600));
    assert_eq!(p.lake, PathBuf::from("./${X}/lake"));

    let yaml = pipeline_with("commit_interval: ${TICK}\nlake_files: { max_age: '${AGE:-soon}' }");
    let found = compile_str(&yaml, "test.yaml", &env)
        .expect_err("unset and bad default")
        .errors;
    assert_eq!(found.len(), 2, "{found:#?}");
    assert_eq!((found[0].line, found[0].column), (6, column_of(&yaml, 6, "${TICK}")));
    assert_eq!(
        found[0].message,
        "environment variable `TICK` is not set (write `${TICK:-default}` to give a default)"
    );
    assert_eq!(found[1].line, 7);
    assert!(
        found[1].message.ends_with("(interpolated from `${AGE:-soon}`)"),
        "{:?}",
        found[1]
    );
}

#[test]
fn json_schema_describes_the_file_for_editors() {
    let schema = json_schema();
    let text = serde_json::to_string(&schema).expect("serializable");
    let reparsed: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(reparsed, schema);
    assert!(
        schema["$schema"]
            .as_str()
            .is_some_and(|s| s.contains("json-schema.org")),
        "{schema:#}"
    );
    assert_eq!(schema["type"], "object");
    assert_eq!(schema["additionalProperties"], false);
    let mut top: Vec<&str> = schema["properties"]
        .as_object()
        .expect("properties")
        .keys()
        .map(String::as_str)
        .collect();
    top.sort();
    assert_eq!(top, ["pipelines", "version"]);
    assert_eq!(
        schema["properties"]["pipelines"]["propertyNames"]["pattern"],
        "^[a-z0-9_-]+$"
    );
    let pipeline = &schema["$defs"]["RawPipeline"];
    assert_eq!(pipeline["additionalProperties"], false);
    let mut required: Vec<&str> = pipeline["required"]
        .as_array()
        .expect("required")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    required.sort();
    assert_eq!(required, ["lake", "source"]);
    for section in [
        "sessionization",
        "limits",
        "redaction",
        "lake_files",
        "commit_interval",
        "dead_letter_topic",
        "calibration",
        "drift",
    ] {
        assert!(pipeline["properties"][section].is_object(), "{section} in {pipeline:#}");
    }
    assert!(schema["$defs"]["Duration"]["pattern"].is_string());
    let keys = |def: &str| -> Vec<&str> {
        let mut keys: Vec<&str> = schema["$defs"][def]["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{def} in {schema:#}"))
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort();
        keys
    };
    assert_eq!(
        keys("RawCalibration"),
        ["bins", "method", "min_intent_support", "target_accuracy"]
    );
    assert_eq!(
        keys("RawDrift"),
        [
            "bins",
            "detectors",
            "features",
            "min_count",
            "reference",
            "text",
            "window"
        ]
    );
    assert_eq!(keys("RawDriftFeature"), ["enabled", "method", "threshold"]);
    assert_eq!(keys("RawTextDrift"), ["auc_threshold", "enabled", "max_rows"]);
    assert_eq!(keys("RawDetectors"), ["adwin", "page_hinkley", "series"]);
    assert_eq!(keys("RawAdwin"), ["delta", "max_window", "min_window", "value_range"]);
    assert_eq!(keys("RawPageHinkley"), ["delta", "lambda", "min_instances"]);
    let drift = &schema["$defs"]["RawDrift"]["properties"];
    let feature_names: Vec<&str> = drift["features"]["propertyNames"]["enum"]
        .as_array()
        .expect("feature names")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    let known: Vec<&str> = DRIFT_FEATURES.iter().map(|(name, _)| *name).collect();
    assert_eq!(
        feature_names, known,
        "the schema lists the features the compiler accepts"
    );
    assert_eq!(drift["bins"]["minimum"], 2);
    let text = &schema["$defs"]["RawTextDrift"]["properties"]["auc_threshold"];
    assert_eq!(
        (&text["exclusiveMinimum"], &text["exclusiveMaximum"]),
        (&0.5.into(), &1.into())
    );
    let number_forms = schema["$defs"]["Number"]["anyOf"].as_array().expect("number forms");
    assert_eq!(number_forms[0]["type"], "number");
    let methods = serde_json::to_string(&schema["$defs"]["RawDriftMethod"]).expect("serializable");
    for method in ["psi", "js", "ks_p", "wasserstein_norm"] {
        assert!(methods.contains(&format!("\"{method}\"")), "{method} in {methods}");
    }
}

#[test]
fn damaged_files_give_errors_not_panics() {
    // Prefixes of the shipped file (every third character: each takes milliseconds in a debug
    // build), and the file with each line removed, either compile or list errors; a prefix
    // that stops before `lake:` must miss that required key.
    let lake_line_start = SHIPPED.find("    lake: ./lake").expect("the shipped file sets lake");
    for (end, _) in SHIPPED.char_indices().step_by(3) {
        let result = compile(&SHIPPED[..end]);
        assert!(
            end >= lake_line_start || result.is_err(),
            "prefix of {end} bytes compiled"
        );
    }
    let lines: Vec<&str> = SHIPPED.lines().collect();
    for skip in 0..lines.len() {
        let without: Vec<&str> = lines
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != skip)
            .map(|(_, l)| *l)
            .collect();
        let result = compile(&without.join("\n"));
        let required = [
            "version:",
            "pipelines:",
            "support:",
            "lake:",
            "group:",
            "topics:",
            "brokers:",
            "source:",
            "kafka:",
        ];
        if required.iter().any(|key| lines[skip].trim_start().starts_with(key)) {
            assert!(result.is_err(), "compiled without line {}: {}", skip + 1, lines[skip]);
        }
    }
}

#[test]
fn the_error_example_in_the_reference_doc_is_what_validate_prints() {
    let doc = include_str!("../../../docs/pipelines.md");
    let errors_section = &doc[doc.find("## Errors").expect("an Errors section")..];
    let block = |fence: &str| -> &str {
        let start = errors_section.find(fence).expect("fenced block") + fence.len();
        let end = errors_section[start..].find("```").expect("closing fence");
        &errors_section[start..start + end]
    };
    let shown = compile_str(block("```yaml\n"), "pipelines.yaml", &no_env)
        .expect_err("errors")
        .to_string();
    assert_eq!(shown, block("```text\n").trim_end());
}
