//! One test per kind of error: what is reported, where, and under which path.

use super::*;

#[test]
fn a_yaml_syntax_error_is_reported_alone_with_its_location() {
    let error = only_error("version: 1\npipelines:\n  p: [unclosed\n");
    assert_eq!(error.path, "(yaml)");
    assert!(error.line >= 3, "{error:?}");
    assert!(error.message.starts_with("invalid YAML"), "{error:?}");
}

#[test]
fn unknown_keys_anywhere_are_reported_with_a_suggestion_when_close() {
    let error = only_error(&pipeline_with("sessionization: { idle_timout: 5m }"));
    assert_eq!(error.path, "pipelines.p.sessionization.idle_timout");
    assert_eq!(error.message, "unknown key `idle_timout`; did you mean `idle_timeout`?");
    let error = only_error(&pipeline_with(
        "redaction: { patterns: [{ name: a, regex: b, flags: i }] }",
    ));
    assert_eq!(error.path, "pipelines.p.redaction.patterns[0].flags");
    assert!(
        error.message.starts_with("unknown key `flags`; expected one of: "),
        "{error:?}"
    );
    assert!(
        error.message.contains("name") && error.message.contains("regex"),
        "{error:?}"
    );
    let error =
        only_error("version: 1\nversoin: 1\npipelines: { p: { source: { files: { paths: [a] } }, lake: l } }\n");
    assert_eq!((error.line, error.path.as_str()), (2, "versoin"));
    let error = only_error(&pipeline_with("").replace("files: {", "file: {"));
    assert_eq!(error.path, "pipelines.p.source.file");
    assert!(error.message.contains("did you mean `files`?"), "{error:?}");
}

#[test]
fn wrong_types_say_what_was_expected_and_found() {
    let error = only_error(&pipeline_with("sessionization: [30m]"));
    assert_eq!(error.path, "pipelines.p.sessionization");
    assert_eq!(error.message, "expected a mapping of keys to values, found a list");
    let error = only_error(&pipeline_with("redaction: { emails: yes }"));
    assert_eq!(error.message, "expected true or false, found `yes`");
    let error = only_error(&pipeline_with("lake_files: { max_rows: lots }"));
    assert_eq!(error.message, "expected a whole number, found `lots`");
    let error = only_error(&pipeline_with("lake_files: { max_rows: 99999999999999999999999 }"));
    assert!(error.message.contains("too large"), "{error:?}");
    let error = only_error(&pipeline_with("redaction: { patterns: { name: a } }"));
    assert_eq!(error.message, "expected a list, found a mapping");
    let error = only_error(&pipeline_with("").replace("lake: ./lake", "lake: [a, b]"));
    assert_eq!(
        (error.path.as_str(), error.message.as_str()),
        ("pipelines.p.lake", "expected a single value, found a list")
    );
    let error = only_error("- just\n- a list\n");
    assert_eq!((error.path.as_str(), error.line), ("(root)", 1));
}

#[test]
fn bad_durations_and_sizes_name_the_expected_form() {
    for (line, message) in [
        (
            "commit_interval: 30",
            "`30` has no unit; expected a duration like `30s`",
        ),
        ("commit_interval: abc", "`abc` is not a duration like `30s`"),
        ("commit_interval: 30m1h", "largest to smallest"),
        ("commit_interval: 300000000000000000000d", "too large"),
        ("limits: { max_event_bytes: 1.5MiB }", "unknown unit `.5MiB`"),
        ("lake_files: { max_bytes: 20000000TiB }", "too large"),
        ("limits: { max_event_bytes: 0 }", "must be more than 0 bytes"),
    ] {
        let error = only_error(&pipeline_with(line));
        assert!(error.message.contains(message), "{line}: {error:?}");
    }
}

#[test]
fn zero_durations_are_rejected_where_they_make_no_sense() {
    for key in ["idle_timeout", "dedup_horizon"] {
        let error = only_error(&pipeline_with(&format!("sessionization: {{ {key}: 0s }}")));
        assert_eq!(error.path, format!("pipelines.p.sessionization.{key}"));
        assert!(error.message.contains("must be longer than 0"), "{error:?}");
    }
    assert!(
        only_error(&pipeline_with("commit_interval: 0ms"))
            .message
            .contains("must be longer than 0")
    );
    assert!(
        only_error(&pipeline_with("lake_files: { max_age: 0 }"))
            .message
            .contains("must be longer than 0")
    );
    assert!(
        only_error(&pipeline_with("lake_files: { max_rows: 0 }"))
            .message
            .contains("at least 1")
    );
    // No lateness at all is a legitimate choice.
    assert!(compile(&pipeline_with("sessionization: { allowed_lateness: 0 }")).is_ok());
}

#[test]
fn dedup_horizon_must_cover_idle_timeout_plus_allowed_lateness() {
    let yaml = pipeline_with("sessionization:\n  idle_timeout: 1h\n  allowed_lateness: 30m\n  dedup_horizon: 89m");
    let error = only_error(&yaml);
    assert_eq!(
        (error.line, error.path.as_str()),
        (9, "pipelines.p.sessionization.dedup_horizon")
    );
    assert_eq!(
        error.message,
        "dedup_horizon (1h29m) must be at least idle_timeout + allowed_lateness (1h + 30m)"
    );
    assert!(compile(&yaml.replace("89m", "90m")).is_ok(), "equal is enough");
    // With the default 24h horizon, the check points at the section, where the key belongs.
    let error = only_error(&pipeline_with(
        "sessionization: { idle_timeout: 20h, allowed_lateness: 5h }",
    ));
    let yaml = pipeline_with("sessionization: { idle_timeout: 20h, allowed_lateness: 5h }");
    assert_eq!((error.line, error.column), (6, column_of(&yaml, 6, "{")));
}

#[test]
fn regexes_that_do_not_compile_are_reported_on_one_line() {
    let error = only_error(&pipeline_with(
        r"redaction: { patterns: [{ name: bad, regex: '(\d+' }] }",
    ));
    assert_eq!(error.path, "pipelines.p.redaction.patterns[0].regex");
    assert_eq!(error.message, "regex does not compile: unclosed group");
}

#[test]
fn redaction_pattern_names_are_required_and_unique() {
    let yaml = pipeline_with(
        "redaction:\n  patterns:\n    - { name: a, regex: x }\n    - { name: a, regex: y }\n    - { regex: z }",
    );
    let found = errors(&yaml);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert_eq!(
        (found[0].line, found[0].path.as_str()),
        (9, "pipelines.p.redaction.patterns[1].name")
    );
    assert!(
        found[0].message.contains("duplicate pattern name `a`"),
        "{:?}",
        found[0]
    );
    assert_eq!(
        (found[1].line, found[1].path.as_str()),
        (10, "pipelines.p.redaction.patterns[2].name")
    );
    assert_eq!(found[1].message, "missing required key `name`");
}

#[test]
fn missing_required_keys_are_reported_at_their_mapping() {
    let found = errors("version: 1\npipelines:\n  p:\n    source:\n      kafka: { topics: [t] }\n");
    let summary: Vec<(usize, &str, &str)> = found
        .iter()
        .map(|e| (e.line, e.path.as_str(), e.message.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            (4, "pipelines.p.lake", "missing required key `lake`"),
            (5, "pipelines.p.source.kafka.brokers", "missing required key `brokers`"),
            (5, "pipelines.p.source.kafka.group", "missing required key `group`"),
        ]
    );
    let found = errors("");
    let paths: Vec<&str> = found.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["(root)"], "an empty file is not a mapping: {found:#?}");
    let found = errors("version: 1\n");
    assert_eq!(found[0].message, "missing required key `pipelines`");
    let error = only_error(&pipeline_with("").replace("lake: ./lake", "lake:"));
    assert_eq!(
        (error.line, error.column, error.message.as_str()),
        (5, 5, "`lake` needs a value")
    );
}

#[test]
fn sources_need_exactly_one_kind_and_valid_kafka_settings() {
    let both = pipeline_with("").replace("files: { paths: [in.ndjson] }", "files: { paths: [a] }, kafka: {}");
    assert!(
        only_error(&both)
            .message
            .contains("exactly one of `kafka` or `files`, not both")
    );
    let neither = pipeline_with("").replace("{ files: { paths: [in.ndjson] } }", "{}");
    assert!(only_error(&neither).message.contains("missing `kafka` or `files`"));
    assert!(
        only_error(&pipeline_with("").replace("[in.ndjson]", "[]"))
            .message
            .contains("no paths")
    );

    let kafka = |settings: &str| {
        let source = format!("kafka: {{ brokers: b:9092, topics: [t], group: g{settings} }}");
        pipeline_with("").replace("files: { paths: [in.ndjson] }", &source)
    };
    assert!(compile(&kafka(", start_from: latest")).is_ok());
    let error = only_error(&kafka(", properties: { group.id: other }"));
    assert_eq!(error.path, "pipelines.p.source.kafka.properties.group.id");
    assert!(error.message.contains("set `group` instead"), "{error:?}");
    let error = only_error(&kafka(", start_from: middle"));
    assert_eq!(error.message, "expected one of earliest, latest, found `middle`");
    let error = only_error(&kafka("").replace("topics: [t]", "topics: [ok, 'not ok']"));
    assert_eq!(error.path, "pipelines.p.source.kafka.topics[1]");
    assert!(error.message.contains("is not a Kafka topic name"), "{error:?}");
    assert!(
        only_error(&kafka("").replace("topics: [t]", "topics: []"))
            .message
            .contains("no topics")
    );
    assert!(
        only_error(&kafka("").replace("brokers: b:9092", "brokers: ['', '${UNSET_BROKERS:-}']"))
            .message
            .contains("empty broker list")
    );
    let error = only_error(&kafka("").replace("brokers: b:9092", "brokers: 'a:1,,b:2'"));
    assert!(error.message.contains("`` is not a broker address"), "{error:?}");
    assert!(
        only_error(&kafka("").replace("brokers: b:9092", "brokers: {a: 1}"))
            .message
            .contains("comma-separated")
    );
    assert!(
        only_error(&pipeline_with("dead_letter_topic: 'a/b'"))
            .message
            .contains("Kafka topic name")
    );
}

#[test]
fn duplicate_pipeline_names_and_keys_are_errors() {
    let mut yaml = pipeline_with("");
    yaml.push_str("  p:\n    source: { files: { paths: [b] } }\n    lake: ./b\n");
    let error = only_error(&yaml);
    assert_eq!((error.line, error.path.as_str()), (6, "pipelines.p"));
    assert_eq!(error.message, "duplicate key `p` (first written at line 3)");
    let error = only_error(&pipeline_with("lake: ./again"));
    assert_eq!((error.line, error.path.as_str()), (6, "pipelines.p.lake"));
}

#[test]
fn version_and_pipeline_names_are_checked() {
    let error = only_error(&pipeline_with("").replace("version: 1", "version: 3"));
    assert_eq!(error.message, "unsupported version 3; this convolens reads version 1");
    assert_eq!(
        only_error("version: 1\npipelines: {}\n").message,
        "no pipelines: add at least one, keyed by its name"
    );
    let error = only_error(&pipeline_with("").replace("  p:", "  'has space':"));
    assert_eq!(error.path, "pipelines.has space");
}

#[test]
fn a_misspelt_required_key_is_one_error_not_two() {
    let error = only_error(&pipeline_with("").replace("lake: ./lake", "lak: ./lake"));
    assert_eq!((error.line, error.path.as_str()), (5, "pipelines.p.lak"));
    assert_eq!(error.message, "unknown key `lak`; did you mean `lake`?");
}

#[test]
fn a_source_kind_without_settings_needs_a_value() {
    let yaml = pipeline_with("").replace("source: { files: { paths: [in.ndjson] } }", "source:\n      kafka:");
    let error = only_error(&yaml);
    assert_eq!((error.line, error.path.as_str()), (5, "pipelines.p.source.kafka"));
    assert_eq!(error.message, "`kafka` needs a value");
}

#[test]
fn a_pattern_name_reused_after_an_invalid_pattern_is_still_a_duplicate() {
    let yaml = pipeline_with("redaction: { patterns: [{ name: a, regex: '(' }, { name: a, regex: b }] }");
    let messages: Vec<String> = errors(&yaml).into_iter().map(|e| e.message).collect();
    assert_eq!(messages.len(), 2, "{messages:#?}");
    assert!(
        messages.iter().any(|m| m.starts_with("regex does not compile")),
        "{messages:#?}"
    );
    assert!(
        messages.iter().any(|m| m.starts_with("duplicate pattern name `a`")),
        "{messages:#?}"
    );
}

#[test]
fn pattern_names_are_lowercase_words_because_they_become_tags() {
    let error = only_error(&pipeline_with(
        "redaction: { patterns: [{ name: Account-1, regex: x }] }",
    ));
    assert_eq!(error.path, "pipelines.p.redaction.patterns[0].name");
    assert_eq!(error.message, "pattern name `Account-1` may only use a-z and `_`");
}
