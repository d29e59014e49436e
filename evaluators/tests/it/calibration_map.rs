//! Fitting a calibration map and its JSON artefact.

use convolens_evaluators::calibration::{Pair, evaluate};
use convolens_evaluators::recalibrate::{
    CALIBRATION_MAP_FORMAT, CalibrationMap, FittedMap, FittedOn, MapOptions, Method, threshold_for_accuracy,
};

use crate::support::SplitMix;

/// An overconfident model: it says c, it is right with probability c².
fn overconfident(seed: u64, n: usize) -> Vec<Pair> {
    let mut rng = SplitMix(seed);
    (0..n)
        .map(|_| {
            let c = 0.3 + 0.7 * rng.uniform();
            Pair::new(c, rng.bernoulli(c * c))
        })
        .collect()
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
        assert_eq!(before, evaluate(&held_out, 10).unwrap().ece.unwrap());
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
}

#[test]
fn errors_pass_through() {
    assert!(CalibrationMap::fit(options(Method::Platt), &[], &[]).is_err());
    assert!(
        CalibrationMap::fit(
            options(Method::Isotonic),
            &overconfident(4, 50),
            &[Pair::new(2.0, true)]
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
    let parsed: CalibrationMap = serde_json::from_value(platt).unwrap();
    assert!(matches!(parsed.map, FittedMap::Platt { params } if params.a == 0.5 && params.b == -0.25));
}
