//! The reference profile artefact: comparing against a stored profile gives the numbers of
//! comparing against the raw reference (and so numpy/scipy's), before and after a JSON round
//! trip; a compacted profile keeps its bins and summary exact; broken or foreign files are
//! refused.

use convolens_drift::reference_profile::{FeatureProfile, ProfileBuilder, ReferenceProfile};
use convolens_drift::{
    DriftError, DriftPolicy, FeatureDrift, KindStatistics, Window, compare_categorical, compare_numeric,
};

use crate::fixture::{Mismatches, expected};

fn numeric_policy(bins: usize) -> DriftPolicy {
    DriftPolicy {
        bins,
        ..DriftPolicy::numeric_default()
    }
}

/// A profile of every numeric and categorical reference case of `expected.json`.
fn profile_of_every_case() -> ReferenceProfile {
    let mut builder = ProfileBuilder::new(Window::new("2026-11-01", "2026-11-08"), "2026-11-09T00:00:00Z");
    for case in &expected().numeric_features {
        builder
            .bins(case.bins)
            .add_numeric(&case.name, &case.reference)
            .expect("distinct names");
    }
    for case in &expected().categorical_features {
        builder
            .add_categorical(&case.name, &case.reference)
            .expect("distinct names");
    }
    builder.with_texts(&["Hello there", "Où est ma carte ?"]);
    builder
        .with_embeddings(&[vec![0.5, -1.0], vec![1.5, 2.0]])
        .expect("one dimension");
    builder.build()
}

fn round_trip(profile: &ReferenceProfile) -> ReferenceProfile {
    let text = serde_json::to_string(profile).expect("serialisable");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("profile does not parse back: {e}"))
}

fn check_against_scipy(drift: &FeatureDrift, name: &str, mismatches: &mut Mismatches) {
    let Some(case) = expected().numeric_features.iter().find(|case| case.name == name) else {
        return;
    };
    let want = &case.expected;
    mismatches.close(&format!("{name} psi"), drift.psi, want.psi);
    mismatches.close(&format!("{name} js"), drift.js, want.js);
    if let KindStatistics::Numeric {
        ks, wasserstein_norm, ..
    } = drift.kind
    {
        mismatches.close(&format!("{name} ks"), ks, want.ks);
        mismatches.close(
            &format!("{name} wasserstein_norm"),
            wasserstein_norm,
            want.wasserstein_norm,
        );
    }
}

#[test]
fn profile_comparisons_equal_raw_ones_before_and_after_json() {
    let built = profile_of_every_case();
    let parsed = round_trip(&built);
    assert_eq!(parsed, built, "the JSON round trip changed the profile");
    let mut mismatches = Mismatches::default();
    for profile in [&built, &parsed] {
        for case in &expected().numeric_features {
            let policy = numeric_policy(case.bins);
            let raw = compare_numeric(&case.name, &case.reference, &case.current, &policy);
            let stored = profile.compare_numeric(&case.name, &case.current, &policy);
            mismatches.equal(&format!("{} numeric via profile", case.name), &stored, &raw);
            if let Ok(drift) = &stored {
                check_against_scipy(drift, &case.name, &mut mismatches);
            }
        }
        for case in &expected().categorical_features {
            let policy = DriftPolicy::categorical_default();
            let raw = compare_categorical(&case.name, &case.reference, &case.current, &policy);
            let stored = profile.compare_categorical(&case.name, &case.current, &policy);
            mismatches.equal(&format!("{} categorical via profile", case.name), &stored, &raw);
        }
    }
    mismatches.assert_none();
}

#[test]
fn summaries_match_numpy() {
    let profile = profile_of_every_case();
    let mut mismatches = Mismatches::default();
    for case in &expected().numeric_features {
        let want = &case.expected;
        let Some(FeatureProfile::Numeric(feature)) = profile.feature(&case.name) else {
            mismatches.check(&format!("{} missing", case.name), false);
            continue;
        };
        let summary = feature.summary;
        mismatches.close(&format!("{} mean", case.name), summary.map(|s| s.mean), want.mean_ref);
        mismatches.close(&format!("{} std", case.name), summary.map(|s| s.std_pop), want.std_ref);
        mismatches.close(
            &format!("{} median", case.name),
            summary.map(|s| s.median),
            want.median_ref,
        );
        mismatches.equal(&format!("{} min", case.name), summary.map(|s| s.min), want.min_ref);
        mismatches.equal(&format!("{} max", case.name), summary.map(|s| s.max), want.max_ref);
        let nulls = want.n_ref - summary.map_or(0, |s| s.n);
        mismatches.equal(&format!("{} nulls", case.name), feature.histogram.nulls(), nulls);
    }
    mismatches.assert_none();
}

/// With a cap far below the distinct values, KS and Wasserstein come from a compacted sample,
/// but bins, shares and the standard deviation were taken before compaction: PSI and JS stay
/// exactly scipy's, and the Wasserstein normalisation uses the exact std.
#[test]
fn a_compacted_profile_keeps_exact_bins_and_summary() {
    let mut mismatches = Mismatches::default();
    let mut compared = 0;
    for case in expected().numeric_features.iter().filter(|c| c.approx_cap.is_some()) {
        let cap = case.approx_cap.unwrap_or_default();
        let mut builder = ProfileBuilder::new(Window::new("a", "b"), "now");
        builder.sample_cap(cap).bins(case.bins);
        builder.add_numeric(&case.name, &case.reference).expect("one feature");
        let profile = round_trip(&builder.build());
        let Some(FeatureProfile::Numeric(feature)) = profile.feature(&case.name) else {
            panic!("{} missing", case.name);
        };
        mismatches.check(&format!("{} not compacted", case.name), !feature.sample.is_exact());
        mismatches.check(
            &format!("{} over the cap", case.name),
            feature.sample.points().len() <= cap,
        );
        let Ok(drift) = profile.compare_numeric(&case.name, &case.current, &numeric_policy(case.bins)) else {
            panic!("{} refused", case.name);
        };
        let want = &case.expected;
        mismatches.close(&format!("{} psi", case.name), drift.psi, want.psi);
        mismatches.close(&format!("{} js", case.name), drift.js, want.js);
        let bound = 4.0 / cap as f64;
        if let KindStatistics::Numeric {
            ks, wasserstein_norm, ..
        } = drift.kind
        {
            mismatches.within(&format!("{} ks", case.name), ks, want.ks, 0.0, 2.0 * bound);
            mismatches.within(
                &format!("{} wasserstein_norm", case.name),
                wasserstein_norm,
                want.wasserstein_norm,
                0.0,
                2.0 * bound,
            );
        }
        mismatches.close(
            &format!("{} std", case.name),
            feature.summary.map(|s| s.std_pop),
            want.std_ref,
        );
        compared += 1;
    }
    mismatches.check("no case exercises the compacted path", compared > 0);
    mismatches.assert_none();
}

#[test]
fn foreign_versions_and_inconsistent_files_are_refused() {
    let profile = profile_of_every_case();
    let text = serde_json::to_string(&profile).expect("serialisable");
    let version_2 = text.replace("convolens.drift-profile/1", "convolens.drift-profile/2");
    let error = serde_json::from_str::<ReferenceProfile>(&version_2).expect_err("version 2 refused");
    assert!(error.to_string().contains("not supported"), "{error}");

    // A histogram that no longer counts what the sample holds.
    let mut json: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    json["features"][0]["histogram"]["counts"][0] = serde_json::json!(999_999);
    let error = serde_json::from_value::<ReferenceProfile>(json).expect_err("tampered counts refused");
    assert!(error.to_string().contains("histogram counts"), "{error}");

    let mut json: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    json["features"][0]["edges"] = serde_json::json!([1.0]);
    assert!(
        serde_json::from_value::<ReferenceProfile>(json).is_err(),
        "unknown field accepted"
    );
}

#[test]
fn lookups_and_mismatched_policies_fail_loudly() {
    let profile = profile_of_every_case();
    let policy = DriftPolicy::numeric_default();
    let current = [Some(1.0)];
    let profile_error = |result: Result<FeatureDrift, DriftError>| match result {
        Err(DriftError::Profile { reason }) => reason,
        other => panic!("expected a profile error, got {other:?}"),
    };
    assert!(profile_error(profile.compare_numeric("nope", &current, &policy)).contains("no feature"));
    let categorical = profile.compare_numeric("intent_mix_shift", &current, &policy);
    assert!(profile_error(categorical).contains("not numeric"));
    let twenty_bins = numeric_policy(20);
    let rebinned = profile.compare_numeric("normal_vs_shifted", &current, &twenty_bins);
    assert!(profile_error(rebinned).contains("rebuild"));

    let mut builder = ProfileBuilder::new(Window::new("a", "b"), "now");
    builder.add_numeric("x", &current).expect("first");
    assert!(matches!(
        builder.add_categorical("x", &[Some("a")]),
        Err(DriftError::Profile { .. })
    ));
    assert!(builder.bins(1).add_numeric("y", &current).is_err());
}
