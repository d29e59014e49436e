//! The `calibration` and `drift` sections: defaults, every key read, and each error.

use std::path::Path;

use super::*;

fn pipeline(yaml: &str) -> Pipeline {
    compile(&pipeline_with(yaml))
        .unwrap_or_else(|e| panic!("{e}"))
        .pipelines
        .remove(0)
}

fn drift(yaml: &str) -> DriftSettings {
    pipeline(yaml).drift
}

/// The single error of a pipeline with `extra`, as (path, message).
fn error_of(extra: &str) -> (String, String) {
    let error = only_error(&pipeline_with(extra));
    (error.path, error.message)
}

#[test]
fn calibration_defaults_are_those_of_metrics() {
    let defaults = CalibrationSettings {
        bins: 10,
        target_accuracy: 0.90,
        min_intent_support: 200,
        method: CalibrationMethod::Isotonic,
    };
    assert_eq!(CalibrationSettings::default(), defaults);
    assert_eq!(pipeline("").calibration, defaults);
    assert_eq!(pipeline("calibration:").calibration, defaults);
    assert_eq!(pipeline("calibration: {}").calibration, defaults);
}

#[test]
fn calibration_keys_override_one_at_a_time() {
    let calibration = pipeline("calibration: { target_accuracy: 1, method: platt }").calibration;
    assert_eq!(
        calibration,
        CalibrationSettings {
            target_accuracy: 1.0,
            method: CalibrationMethod::Platt,
            ..CalibrationSettings::default()
        }
    );
    assert_eq!(pipeline("calibration: { bins: 1 }").calibration.bins, 1);
    assert_eq!(
        pipeline("calibration: { min_intent_support: 1 }")
            .calibration
            .min_intent_support,
        1
    );
    let env = |name: &str| (name == "TARGET").then(|| "0.8".to_owned());
    let yaml = pipeline_with("calibration:\n  target_accuracy: ${TARGET}\n  bins: ${BINS:-20}");
    let config = compile_str(&yaml, "test.yaml", &env).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.pipelines[0].calibration.target_accuracy, 0.8);
    assert_eq!(config.pipelines[0].calibration.bins, 20);
}

#[test]
fn calibration_values_out_of_range_are_errors() {
    let path = |key: &str| format!("pipelines.p.calibration.{key}");
    for (yaml, key, message) in [
        ("calibration: { bins: 0 }", "bins", "must be at least 1"),
        (
            "calibration: { bins: 2.5 }",
            "bins",
            "expected a whole number, found `2.5`",
        ),
        (
            "calibration: { min_intent_support: 0 }",
            "min_intent_support",
            "must be at least 1",
        ),
        (
            "calibration: { target_accuracy: 0 }",
            "target_accuracy",
            "must be greater than 0 and at most 1, found `0`",
        ),
        (
            "calibration: { target_accuracy: 1.01 }",
            "target_accuracy",
            "must be greater than 0 and at most 1, found `1.01`",
        ),
        (
            "calibration: { target_accuracy: 90% }",
            "target_accuracy",
            "expected a number like `0.9`, `50` or `2e-3`, found `90%`",
        ),
        (
            "calibration: { target_accuracy: .inf }",
            "target_accuracy",
            "expected a number like `0.9`, `50` or `2e-3`, found `.inf`",
        ),
        (
            "calibration: { method: isotonc }",
            "method",
            "expected one of platt, isotonic, found `isotonc`; did you mean `isotonic`?",
        ),
        (
            "calibration: { bin: 5 }",
            "bin",
            "unknown key `bin`; did you mean `bins`?",
        ),
    ] {
        assert_eq!(error_of(yaml), (path(key), message.to_owned()), "{yaml}");
    }
    let env = |_: &str| Some("2".to_owned());
    let found = compile_str(
        &pipeline_with("calibration: { target_accuracy: '${ACC}' }"),
        "test.yaml",
        &env,
    )
    .expect_err("2 is above 1")
    .errors;
    assert_eq!(
        found[0].message,
        "must be greater than 0 and at most 1, found `2` (interpolated from `${ACC}`)"
    );
}

#[test]
fn drift_defaults_are_those_of_metrics_and_the_drift_crate() {
    let defaults = DriftSettings::default();
    assert_eq!(
        defaults.reference,
        DriftReference::Rolling(Duration::from_secs(7 * 86_400))
    );
    assert_eq!(defaults.window, Duration::from_secs(3600));
    assert_eq!((defaults.min_count, defaults.bins), (100, 10));
    let features: Vec<(&str, FeatureKind, DriftMethod, f64, bool)> = defaults
        .features
        .iter()
        .map(|f| (f.name.as_str(), f.kind, f.method, f.threshold, f.enabled))
        .collect();
    let (numeric, categorical) = (FeatureKind::Numeric, FeatureKind::Categorical);
    let (wasserstein, js) = (DriftMethod::WassersteinNorm, DriftMethod::Js);
    assert_eq!(
        features,
        [
            ("intent", categorical, js, 0.1, true),
            ("model_version", categorical, js, 0.1, true),
            ("confidence", numeric, wasserstein, 0.1, true),
            ("tool_latency_ms", numeric, wasserstein, 0.1, true),
            ("message_length", numeric, wasserstein, 0.1, true),
            ("channel", categorical, js, 0.1, true),
            ("handoff_reason", categorical, js, 0.1, true),
            ("disposition", categorical, js, 0.1, true),
            ("customer_messages", numeric, wasserstein, 0.1, true),
            ("bot_time_s", numeric, wasserstein, 0.1, true),
            ("handle_time_s", numeric, wasserstein, 0.1, true),
            ("kb_miss_rate", numeric, wasserstein, 0.1, true),
        ]
    );
    assert_eq!(
        defaults.text,
        TextDriftSettings {
            enabled: true,
            auc_threshold: 0.55,
            max_rows: 20_000
        }
    );
    let detectors = &defaults.detectors;
    assert_eq!(
        detectors.series,
        [
            KpiSeries::ContainmentRate,
            KpiSeries::EscalationRate,
            KpiSeries::MeanConfidence
        ]
    );
    assert_eq!(
        detectors.adwin,
        AdwinSettings {
            delta: 0.002,
            value_range: 1.0,
            min_window: 5,
            max_window: 10_000
        }
    );
    assert_eq!(
        detectors.page_hinkley,
        PageHinkleySettings {
            delta: 0.005,
            // Not the drift crate's river defaults (50, 30): the series here are rates in [0, 1].
            lambda: 0.5,
            min_instances: 6
        }
    );
    for yaml in [
        "",
        "drift:",
        "drift: {}",
        "drift: { reference: ~, features: {}, text: {}, detectors: { adwin: {}, page_hinkley: } }",
    ] {
        assert_eq!(drift(yaml), defaults, "{yaml}");
    }
}

#[test]
fn the_reference_is_a_profile_or_a_rolling_window() {
    let reference = drift("drift: { reference: { profile: profiles/ref.json } }").reference;
    assert_eq!(reference, DriftReference::Profile(PathBuf::from("profiles/ref.json")));
    assert_eq!(
        reference.profile_path(Path::new("/data/lake")),
        Some(PathBuf::from("/data/lake/profiles/ref.json"))
    );
    let absolute = DriftReference::Profile(PathBuf::from("/srv/ref.json"));
    assert_eq!(
        absolute.profile_path(Path::new("/data/lake")),
        Some(PathBuf::from("/srv/ref.json"))
    );
    let reference = drift("drift: { reference: { rolling: 1d12h }, window: 15m }");
    assert_eq!(
        reference.reference,
        DriftReference::Rolling(Duration::from_secs(36 * 3600))
    );
    assert_eq!(reference.reference.profile_path(Path::new("lake")), None);
    assert_eq!(reference.window, Duration::from_secs(15 * 60));

    let path = "pipelines.p.drift.reference".to_owned();
    let both = "drift: { reference: { profile: a.json, rolling: 7d } }";
    let message = "give exactly one of `profile` or `rolling`, not both";
    assert_eq!(error_of(both), (path.clone(), message.to_owned()));
    let message = "missing `profile` or `rolling`: the reference is a profile file or a rolling window";
    assert_eq!(error_of("drift: { reference: {} }"), (path.clone(), message.to_owned()));
    assert_eq!(
        error_of("drift: { reference: { rollin: 7d } }"),
        (
            format!("{path}.rollin"),
            "unknown key `rollin`; did you mean `rolling`?".to_owned()
        )
    );
    let (error_path, message) = error_of("drift: { reference: { rolling: 0 } }");
    assert_eq!(error_path, format!("{path}.rolling"));
    assert!(message.starts_with("must be longer than 0"), "{message}");
    assert_eq!(
        error_of("drift: { reference: { profile: '' } }"),
        (format!("{path}.profile"), "must not be empty".to_owned())
    );
    assert_eq!(
        error_of("drift: { reference: rolling }"),
        (path, "expected a mapping of keys to values, found `rolling`".to_owned())
    );
    let (error_path, message) = error_of("drift: { window: 1 }");
    assert_eq!(error_path, "pipelines.p.drift.window");
    assert!(message.starts_with("`1` has no unit"), "{message}");
}

#[test]
fn feature_overrides_apply_to_their_feature_only() {
    let settings = drift(
        "drift:\n  features:\n    kb_miss_rate: { enabled: false }\n    channel: { threshold: 0.3 }\n    \
         handle_time_s: { method: psi, threshold: 0.25 }\n    intent:",
    );
    let changed: Vec<&DriftFeature> = settings
        .features
        .iter()
        .zip(DriftSettings::default().features.iter())
        .filter(|(compiled, default)| compiled != default)
        .map(|(compiled, _)| compiled)
        .collect();
    let expected = [
        DriftFeature {
            threshold: 0.3,
            ..DriftFeature::default_for("channel", FeatureKind::Categorical)
        },
        DriftFeature {
            method: DriftMethod::Psi,
            threshold: 0.25,
            ..DriftFeature::default_for("handle_time_s", FeatureKind::Numeric)
        },
        DriftFeature {
            enabled: false,
            ..DriftFeature::default_for("kb_miss_rate", FeatureKind::Numeric)
        },
    ];
    assert_eq!(
        changed,
        expected.iter().collect::<Vec<_>>(),
        "INTERFACE order, not file order"
    );
    let names: Vec<&str> = settings.features.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, DRIFT_FEATURES.map(|(name, _)| name));
    assert_eq!(settings.feature("channel").map(|f| f.threshold), Some(0.3));
    assert_eq!(settings.feature("locale"), None);
}

#[test]
fn a_method_without_a_threshold_takes_the_methods_default() {
    let settings = drift(
        "drift: { features: { confidence: { method: ks_p }, intent: { method: psi }, bot_time_s: { threshold: 2 } } }",
    );
    let rule = |name: &str| {
        let feature = settings.feature(name).expect("a default feature");
        (feature.method, feature.threshold)
    };
    assert_eq!(rule("confidence"), (DriftMethod::KsP, 0.05));
    assert_eq!(rule("intent"), (DriftMethod::Psi, 0.1));
    assert_eq!(rule("bot_time_s"), (DriftMethod::WassersteinNorm, 2.0));
    assert_eq!(
        rule("tool_latency_ms"),
        (DriftMethod::WassersteinNorm, 0.1),
        "untouched"
    );
    let settings = drift("drift: { features: { channel: { method: js, threshold: 1 } } }");
    assert_eq!(settings.feature("channel").map(|f| f.threshold), Some(1.0));
}

#[test]
fn unknown_features_are_errors_with_a_suggestion() {
    assert_eq!(
        error_of("drift: { features: { intnet: { threshold: 0.2 } } }"),
        (
            "pipelines.p.drift.features.intnet".to_owned(),
            "unknown feature `intnet`; did you mean `intent`?".to_owned()
        )
    );
    let (path, message) = error_of("drift: { features: { locale: {} } }");
    assert_eq!(path, "pipelines.p.drift.features.locale");
    assert_eq!(
        message,
        "unknown feature `locale`; expected one of: intent, model_version, confidence, tool_latency_ms, \
         message_length, channel, handoff_reason, disposition, customer_messages, bot_time_s, handle_time_s, \
         kb_miss_rate"
    );
    assert_eq!(
        error_of("drift: { features: { intent: { treshold: 0.2 } } }"),
        (
            "pipelines.p.drift.features.intent.treshold".to_owned(),
            "unknown key `treshold`; did you mean `threshold`?".to_owned()
        )
    );
    assert_eq!(
        error_of("drift: { features: { intent: js } }"),
        (
            "pipelines.p.drift.features.intent".to_owned(),
            "expected a mapping of keys to values, found `js`".to_owned()
        )
    );
    let yaml = pipeline_with("drift:\n  features:\n    intent: {}\n    intent: {}");
    let error = only_error(&yaml);
    assert_eq!(
        (error.line, error.path.as_str()),
        (9, "pipelines.p.drift.features.intent")
    );
    assert_eq!(error.message, "duplicate key `intent` (first written at line 8)");
}

#[test]
fn numeric_only_methods_are_refused_for_categorical_features() {
    for method in ["ks_p", "wasserstein_norm"] {
        let (path, message) = error_of(&format!("drift: {{ features: {{ channel: {{ method: {method} }} }} }}"));
        assert_eq!(path, "pipelines.p.drift.features.channel.method");
        assert_eq!(
            message,
            format!("`{method}` applies to numeric features only; `channel` is categorical (use psi or js)")
        );
    }
    let (_, message) = error_of("drift: { features: { confidence: { method: wasserstein_nrom } } }");
    assert_eq!(
        message,
        "expected one of psi, js, ks_p, wasserstein_norm, found `wasserstein_nrom`; did you mean `wasserstein_norm`?"
    );
    // The threshold of a refused method is not judged against it as well.
    let found = errors(&pipeline_with(
        "drift: { features: { intent: { method: ks_p, threshold: 5 } } }",
    ));
    assert_eq!(found.len(), 1, "{found:#?}");
}

#[test]
fn thresholds_must_suit_their_method() {
    let path = "pipelines.p.drift.features.confidence.threshold".to_owned();
    for (rule, message) in [
        ("threshold: 0", "must be greater than 0, found `0`"),
        ("threshold: -0.1", "must be greater than 0, found `-0.1`"),
        (
            "threshold: lots",
            "expected a number like `0.9`, `50` or `2e-3`, found `lots`",
        ),
        (
            "method: ks_p, threshold: 1",
            "a `ks_p` threshold is a p-value: must be between 0 and 1 (exclusive), found `1`",
        ),
        (
            "method: ks_p, threshold: 5",
            "a `ks_p` threshold is a p-value: must be between 0 and 1 (exclusive), found `5`",
        ),
        (
            "method: js, threshold: 1.5",
            "`js` is at most 1, so a threshold above 1 never fires: must be greater than 0 and at most 1, found `1.5`",
        ),
    ] {
        let yaml = format!("drift: {{ features: {{ confidence: {{ {rule} }} }} }}");
        assert_eq!(error_of(&yaml), (path.clone(), message.to_owned()), "{rule}");
    }
    let settings = drift("drift: { features: { confidence: { method: ks_p, threshold: 1e-3 } } }");
    assert_eq!(settings.feature("confidence").map(|f| f.threshold), Some(0.001));
    let settings = drift("drift: { features: { confidence: { method: psi, threshold: 3 } } }");
    assert_eq!(settings.feature("confidence").map(|f| f.threshold), Some(3.0));
}

#[test]
fn drift_counts_have_their_minimums() {
    assert_eq!(drift("drift: { min_count: 1, bins: 2 }").min_count, 1);
    assert_eq!(drift("drift: { bins: 2 }").bins, 2);
    assert_eq!(
        error_of("drift: { bins: 1 }"),
        ("pipelines.p.drift.bins".to_owned(), "must be at least 2".to_owned())
    );
    assert_eq!(
        error_of("drift: { min_count: 0 }"),
        (
            "pipelines.p.drift.min_count".to_owned(),
            "must be at least 1".to_owned()
        )
    );
}

#[test]
fn text_drift_settings_and_their_ranges() {
    let text = drift("drift: { text: { enabled: false, auc_threshold: 0.75, max_rows: 2 } }").text;
    assert_eq!(
        text,
        TextDriftSettings {
            enabled: false,
            auc_threshold: 0.75,
            max_rows: 2
        }
    );
    let path = |key: &str| format!("pipelines.p.drift.text.{key}");
    for (value, found) in [("0.5", "0.5"), ("1", "1"), ("0.3", "0.3")] {
        assert_eq!(
            error_of(&format!("drift: {{ text: {{ auc_threshold: {value} }} }}")),
            (
                path("auc_threshold"),
                format!("must be between 0.5 and 1 (exclusive), found `{found}`")
            )
        );
    }
    assert_eq!(
        error_of("drift: { text: { max_rows: 1 } }"),
        (path("max_rows"), "must be at least 2".to_owned())
    );
    assert_eq!(
        error_of("drift: { text: { enabled: no } }"),
        (path("enabled"), "expected true or false, found `no`".to_owned())
    );
}

#[test]
fn detector_series_are_known_and_listed_once() {
    let series = |yaml: &str| drift(yaml).detectors.series;
    assert_eq!(
        series("drift: { detectors: { series: [mean_confidence, containment_rate] } }"),
        [KpiSeries::MeanConfidence, KpiSeries::ContainmentRate]
    );
    assert_eq!(series("drift: { detectors: { series: [] } }"), [], "watches none");
    assert_eq!(
        error_of("drift: { detectors: { series: [escalation_rate, escalation_rate] } }"),
        (
            "pipelines.p.drift.detectors.series[1]".to_owned(),
            "`escalation_rate` is listed twice".to_owned()
        )
    );
    assert_eq!(
        error_of("drift: { detectors: { series: [containment] } }"),
        (
            "pipelines.p.drift.detectors.series[0]".to_owned(),
            "expected one of containment_rate, escalation_rate, mean_confidence, found `containment`".to_owned()
        )
    );
    assert_eq!(
        error_of("drift: { detectors: { series: mean_confidence } }"),
        (
            "pipelines.p.drift.detectors.series".to_owned(),
            "expected a list, found `mean_confidence`".to_owned()
        )
    );
}

#[test]
fn detector_parameters_have_the_drift_crates_ranges() {
    let detectors = drift(
        "drift: { detectors: { adwin: { delta: 0.1, min_window: 3, max_window: 6 }, \
         page_hinkley: { delta: 0, lambda: 2e1 } } }",
    )
    .detectors;
    assert_eq!(
        detectors.adwin,
        AdwinSettings {
            delta: 0.1,
            min_window: 3,
            max_window: 6,
            ..AdwinSettings::default()
        }
    );
    assert_eq!(
        detectors.page_hinkley,
        PageHinkleySettings {
            delta: 0.0,
            lambda: 20.0,
            ..PageHinkleySettings::default()
        }
    );
    let adwin = |key: &str| format!("pipelines.p.drift.detectors.adwin.{key}");
    let page_hinkley = |key: &str| format!("pipelines.p.drift.detectors.page_hinkley.{key}");
    for (yaml, path, message) in [
        (
            "adwin: { delta: 0 }",
            adwin("delta"),
            "must be between 0 and 1 (exclusive), found `0`",
        ),
        (
            "adwin: { delta: 1 }",
            adwin("delta"),
            "must be between 0 and 1 (exclusive), found `1`",
        ),
        (
            "adwin: { value_range: 0 }",
            adwin("value_range"),
            "must be greater than 0, found `0`",
        ),
        ("adwin: { min_window: 0 }", adwin("min_window"), "must be at least 1"),
        (
            "adwin: { min_window: 10, max_window: 19 }",
            adwin("max_window"),
            "max_window (19) must be at least 2 × min_window (2 × 10)",
        ),
        (
            "page_hinkley: { delta: -0.5 }",
            page_hinkley("delta"),
            "must be at least 0, found `-0.5`",
        ),
        (
            "page_hinkley: { lambda: 0 }",
            page_hinkley("lambda"),
            "must be greater than 0, found `0`",
        ),
        (
            "page_hinkley: { min_instances: 0 }",
            page_hinkley("min_instances"),
            "must be at least 1",
        ),
        (
            "page_hinkley: { alpha: 0.9 }",
            page_hinkley("alpha"),
            "unknown key `alpha`; expected one of: delta, lambda, min_instances",
        ),
    ] {
        let yaml = format!("drift: {{ detectors: {{ {yaml} }} }}");
        assert_eq!(error_of(&yaml), (path, message.to_owned()), "{yaml}");
    }
    // Against the default max_window, the check points at the section, where the key belongs.
    let yaml = pipeline_with("drift:\n  detectors:\n    adwin: { min_window: 6000 }");
    let error = only_error(&yaml);
    assert_eq!(
        (error.line, error.column, error.path.as_str()),
        (
            8,
            column_of(&yaml, 8, "{"),
            "pipelines.p.drift.detectors.adwin.max_window"
        )
    );
    assert_eq!(
        error.message,
        "max_window (10000) must be at least 2 × min_window (2 × 6000)"
    );
}

#[test]
fn every_problem_in_both_sections_is_reported_at_once_with_its_line() {
    let yaml = pipeline_with(
        "calibration:\n  bins: 0\n  method: plat\ndrift:\n  reference: { rolling: 7 }\n  features:\n    \
         intent: { method: ks_p }\n    confidense: {}\n    confidence: { method: ks_p, threshold: 0.5 }\n  \
         text: { auc_threshold: 2 }\n  detectors:\n    series: [mean_confidence, nope]\n    \
         page_hinkley: { lambda: -1 }",
    );
    let lines: Vec<(usize, String)> = errors(&yaml).into_iter().map(|e| (e.line, e.path)).collect();
    let at = |line: usize, path: &str| (line, format!("pipelines.p.{path}"));
    assert_eq!(
        lines,
        [
            at(7, "calibration.bins"),
            at(8, "calibration.method"),
            at(10, "drift.reference.rolling"),
            at(12, "drift.features.intent.method"),
            at(13, "drift.features.confidense"),
            at(15, "drift.text.auc_threshold"),
            at(17, "drift.detectors.series[1]"),
            at(18, "drift.detectors.page_hinkley.lambda"),
        ]
    );
}
