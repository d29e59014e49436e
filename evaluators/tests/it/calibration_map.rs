//! Fitting a calibration map and its JSON artefact.

use convolens_evaluators::calibration::{Pair, evaluate};
use convolens_evaluators::recalibrate::{
    CALIBRATION_MAP_FORMAT, CalibrationMap, DEFAULT_MIN_INTENT_SUPPORT, FittedMap, FittedOn, LabelledPrediction,
    MapOptions, Method, threshold_for_accuracy,
};

use crate::support::SplitMix;

/// An overconfident model: it says c, it is right with probability c². Intents cycle
/// through three names.
fn overconfident(seed: u64, n: usize) -> Vec<LabelledPrediction> {
    let mut rng = SplitMix(seed);
    (0..n)
        .map(|i| {
            let c = 0.3 + 0.7 * rng.uniform();
            LabelledPrediction::new(["card_lost", "refund", "top_up"][i % 3], c, rng.bernoulli(c * c))
        })
        .collect()
}

fn pairs(predictions: &[LabelledPrediction]) -> Vec<Pair> {
    predictions.iter().map(LabelledPrediction::pair).collect()
}

/// The lowest observed t whose pairs at or above it reach `target`, tried one by one.
fn brute_force_threshold(scored: &[(f64, bool)], target: f64) -> Option<f64> {
    scored
        .iter()
        .map(|(t, _)| *t)
        .filter(|t| {
            let above: Vec<bool> = scored.iter().filter(|(c, _)| c >= t).map(|(_, y)| *y).collect();
            above.iter().filter(|y| **y).count() as f64 / above.len() as f64 >= target
        })
        .reduce(f64::min)
}

fn options(method: Method) -> MapOptions {
    MapOptions {
        model: "router".into(),
        model_version: Some("v7".into()),
        method,
        fitted_on: FittedOn {
            from: "2026-11-01".into(),
            to: "2026-11-08".into(),
        },
        bins: 10,
        target_accuracy: 0.6,
        min_intent_support: DEFAULT_MIN_INTENT_SUPPORT,
    }
}

#[test]
fn recalibration_lowers_held_out_ece() {
    let train = overconfident(1, 20_000);
    let held_out = overconfident(2, 5_000);
    for method in [Method::Platt, Method::Isotonic] {
        let map = CalibrationMap::fit(options(method), &train, &held_out).unwrap();
        let (before, after) = (map.ece_before.unwrap(), map.ece_after.unwrap());
        assert!(before > 0.1 && after < 0.03, "{method:?}: ece {before} -> {after}");
        assert_eq!(before, evaluate(&pairs(&held_out), 10).unwrap().ece.unwrap());
        assert_eq!((map.n_train, map.n_held_out), (20_000, 5_000));
        assert_eq!(map.map.method(), method);
        // The threshold is the one found on the held-out pairs after calibration.
        let scored: Vec<(f64, bool)> = held_out.iter().map(|p| (map.apply(p.confidence), p.correct)).collect();
        assert_eq!(map.threshold, threshold_for_accuracy(&scored, 0.6));
        assert!(map.threshold.is_some());
    }
}

#[test]
fn without_held_out_pairs_nothing_is_measured() {
    let map = CalibrationMap::fit(options(Method::Isotonic), &overconfident(3, 500), &[]).unwrap();
    assert_eq!((map.ece_before, map.ece_after, map.threshold), (None, None, None));
    assert!(map.intent_thresholds.is_empty());
    assert_eq!(map.min_intent_support, Some(DEFAULT_MIN_INTENT_SUPPORT));
}

/// Held-out support per intent: refund 400, top_up 400, card_lost 200, rare 20 (interleaved).
/// With a minimum of 201, refund and top_up get their own threshold, checked by brute force
/// on their calibrated pairs; card_lost and rare fall back to the global one.
#[test]
fn per_intent_thresholds_where_support_allows() {
    let mut rng = SplitMix(11);
    // Like the training data (right with probability c²), except top_up, which is worse.
    let accuracy = |intent: &str, c: f64| if intent == "top_up" { c * c * 0.8 } else { c * c };
    let plan: Vec<&str> = (0..1020)
        .map(|i| match i % 51 {
            0 => "rare",
            k if k % 5 == 1 => "card_lost",
            k if k % 5 == 2 || k % 5 == 3 => "refund",
            _ => "top_up",
        })
        .collect();
    let mut support = std::collections::BTreeMap::new();
    plan.iter().for_each(|intent| *support.entry(*intent).or_insert(0) += 1);
    assert_eq!(
        support.into_iter().collect::<Vec<_>>(),
        [("card_lost", 200), ("rare", 20), ("refund", 400), ("top_up", 400)],
        "premise of the test"
    );
    let held_out: Vec<LabelledPrediction> = plan
        .iter()
        .map(|intent| {
            let c = 0.3 + 0.7 * rng.uniform();
            LabelledPrediction::new(*intent, c, rng.bernoulli(accuracy(intent, c)))
        })
        .collect();
    let train = overconfident(12, 5_000);
    let options = MapOptions {
        min_intent_support: 201,
        ..options(Method::Isotonic)
    };
    let map = CalibrationMap::fit(options, &train, &held_out).unwrap();

    let listed: Vec<(&str, usize)> = map.intent_thresholds.iter().map(|t| (t.intent.as_str(), t.n)).collect();
    assert_eq!(listed, [("refund", 400), ("top_up", 400)]);
    for entry in &map.intent_thresholds {
        let scored: Vec<(f64, bool)> = held_out
            .iter()
            .filter(|p| p.intent == entry.intent)
            .map(|p| (map.apply(p.confidence), p.correct))
            .collect();
        assert_eq!(entry.threshold, brute_force_threshold(&scored, 0.6), "{}", entry.intent);
        assert_eq!(map.threshold_for(&entry.intent), entry.threshold);
    }
    assert!(map.intent_thresholds.iter().all(|t| t.threshold.is_some()));
    assert_ne!(
        map.threshold_for("top_up"),
        map.threshold,
        "a worse intent needs its own cut"
    );
    assert_eq!(map.threshold_for("card_lost"), map.threshold);
    assert_eq!(map.threshold_for("never_seen"), map.threshold);
    assert_eq!(map.min_intent_support, Some(201));

    // 200 is enough for card_lost (exactly at the support) but not for rare.
    let map = CalibrationMap::fit(options_with_support(200), &train, &held_out).unwrap();
    let listed: Vec<&str> = map.intent_thresholds.iter().map(|t| t.intent.as_str()).collect();
    assert_eq!(listed, ["card_lost", "refund", "top_up"]);
    // No intent reaches 1 000 held-out pairs: none listed, the global threshold for all.
    let map = CalibrationMap::fit(options_with_support(1_000), &train, &held_out).unwrap();
    assert!(map.intent_thresholds.is_empty());
    assert_eq!(map.threshold_for("refund"), map.threshold);
}

fn options_with_support(min_intent_support: usize) -> MapOptions {
    MapOptions {
        min_intent_support,
        ..options(Method::Isotonic)
    }
}

/// An intent that is listed but whose accuracy never reaches the target has a null
/// threshold, and `threshold_for` says so instead of falling back to the global one.
#[test]
fn unreachable_target_for_an_intent_is_null() {
    let train = overconfident(13, 3_000);
    let mut held_out = overconfident(14, 900);
    // Every "refund" prediction is wrong.
    held_out
        .iter_mut()
        .filter(|p| p.intent == "refund")
        .for_each(|p| p.correct = false);
    let map = CalibrationMap::fit(options_with_support(300), &train, &held_out).unwrap();
    let refund = map.intent_thresholds.iter().find(|t| t.intent == "refund").unwrap();
    assert_eq!((refund.n, refund.threshold), (300, None));
    assert_eq!(map.threshold_for("refund"), None);
    assert!(map.threshold.is_some());
    assert!(map.threshold_for("top_up").is_some());
}

/// Isotonic recalibration accepts a single class (a constant map); Platt refuses it.
#[test]
fn single_class_training_pairs() {
    let mut train = overconfident(15, 400);
    train.iter_mut().for_each(|p| p.correct = false);
    let held_out = overconfident(16, 300);
    let map = CalibrationMap::fit(options(Method::Isotonic), &train, &held_out).unwrap();
    for c in [0.0, 0.3, 0.31, 0.99, 1.0] {
        assert_eq!(map.apply(c), 0.0);
    }
    // Everything calibrates to 0: the only cut takes every pair, at the sample's accuracy.
    let accuracy = held_out.iter().filter(|p| p.correct).count() as f64 / 300.0;
    assert!(accuracy < 0.6, "premise: {accuracy}");
    assert_eq!(map.threshold, None);
    assert!(CalibrationMap::fit(options(Method::Platt), &train, &held_out).is_err());
}

#[test]
fn errors_pass_through() {
    assert!(CalibrationMap::fit(options(Method::Platt), &[], &[]).is_err());
    assert!(
        CalibrationMap::fit(
            options(Method::Isotonic),
            &overconfident(4, 50),
            &[LabelledPrediction::new("refund", 2.0, true)]
        )
        .is_err()
    );
}

#[test]
fn json_round_trip_and_shape() {
    let train = overconfident(5, 2_000);
    let held_out = overconfident(6, 500);
    for (method, field) in [(Method::Platt, "params"), (Method::Isotonic, "breakpoints")] {
        let map = CalibrationMap::fit(options(method), &train, &held_out).unwrap();
        let json = serde_json::to_value(&map).unwrap();
        assert_eq!(json["format"], CALIBRATION_MAP_FORMAT);
        assert_eq!(json["method"], serde_json::to_value(method).unwrap());
        assert!(json[field].is_object(), "{json}");
        assert_eq!(json["fitted_on"]["from"], "2026-11-01");
        assert_eq!(json["model_version"], "v7");
        assert!(json["intent_thresholds"].is_array(), "{json}");
        assert_eq!(json["min_intent_support"], DEFAULT_MIN_INTENT_SUPPORT);
        let back: CalibrationMap = serde_json::from_value(json).unwrap();
        assert_eq!(back, map);
    }
}

#[test]
fn foreign_or_broken_maps_are_refused() {
    let map = CalibrationMap::fit(options(Method::Isotonic), &overconfident(7, 300), &[]).unwrap();
    let mut json = serde_json::to_value(&map).unwrap();
    json["format"] = "convolens.calibration-map/2".into();
    let error = serde_json::from_value::<CalibrationMap>(json).unwrap_err().to_string();
    assert!(error.contains("convolens.calibration-map/2"), "{error}");

    let mut json = serde_json::to_value(&map).unwrap();
    json["breakpoints"] = serde_json::json!({"x": [0.5, 0.4], "y": [0.1, 0.2]});
    assert!(serde_json::from_value::<CalibrationMap>(json).is_err());

    let platt = serde_json::json!({
        "format": CALIBRATION_MAP_FORMAT, "model": "m", "model_version": null,
        "method": "platt", "params": {"a": 0.5, "b": -0.25},
        "threshold": null, "target_accuracy": 0.9, "fitted_on": {"from": "a", "to": "b"},
        "n_train": 1, "n_held_out": 0, "bins": 10, "ece_before": null, "ece_after": null
    });
    // A map written before per-intent thresholds: none listed, support unknown.
    let parsed: CalibrationMap = serde_json::from_value(platt).unwrap();
    assert!(matches!(parsed.map, FittedMap::Platt { params } if params.a == 0.5 && params.b == -0.25));
    assert!(parsed.intent_thresholds.is_empty());
    assert_eq!(parsed.min_intent_support, None);
}
