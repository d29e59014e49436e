//! How a feature's statistics become a verdict: which statistic decides, against which
//! threshold, and how many values each side needs before any verdict but
//! `insufficient_data` is allowed (METRICS §5, overridable per feature in `pipelines.yaml`).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::bins::DEFAULT_BINS;
use crate::error::DriftError;

/// Values each side needs for a verdict (METRICS §5).
pub const DEFAULT_MIN_COUNT: u64 = 100;

/// Default threshold of both default methods (`wasserstein_norm` and `js`).
pub const DEFAULT_THRESHOLD: f64 = 0.1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeatureKind {
    Numeric,
    Categorical,
}

impl FeatureKind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            FeatureKind::Numeric => "numeric",
            FeatureKind::Categorical => "categorical",
        }
    }
}

/// The statistic that decides the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Drift when `psi` ≥ threshold.
    Psi,
    /// Drift when `js` ≥ threshold.
    Js,
    /// Drift when `ks_p` < threshold (numeric only).
    KsP,
    /// Drift when `wasserstein_norm` ≥ threshold (numeric only).
    WassersteinNorm,
}

impl Method {
    pub fn applies_to(self, kind: FeatureKind) -> bool {
        match self {
            Method::Psi | Method::Js => true,
            Method::KsP | Method::WassersteinNorm => kind == FeatureKind::Numeric,
        }
    }

    /// Whether `value` of this method's statistic means drift. A p-value is small under drift,
    /// every other statistic large.
    pub fn drifts(self, value: f64, threshold: f64) -> bool {
        match self {
            Method::KsP => value < threshold,
            Method::Psi | Method::Js | Method::WassersteinNorm => value >= threshold,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Method::Psi => "psi",
            Method::Js => "js",
            Method::KsP => "ks_p",
            Method::WassersteinNorm => "wasserstein_norm",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Drift,
    NoDrift,
    /// Fewer than `min_count` values on a side: never reported as drift.
    InsufficientData,
}

/// Decision rule of one feature.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftPolicy {
    pub method: Method,
    pub threshold: f64,
    /// Values each side needs; for numeric features non-null values, for categorical ones all
    /// rows (null is a category there).
    #[serde(default = "default_min_count")]
    pub min_count: u64,
    /// Numeric bins frozen from the reference's quantiles; ignored for categorical features.
    #[serde(default = "default_bins")]
    pub bins: usize,
}

fn default_min_count() -> u64 {
    DEFAULT_MIN_COUNT
}

fn default_bins() -> usize {
    DEFAULT_BINS
}

impl DriftPolicy {
    /// METRICS §5: a numeric feature drifts when `wasserstein_norm` ≥ 0.1.
    pub fn numeric_default() -> Self {
        Self {
            method: Method::WassersteinNorm,
            threshold: DEFAULT_THRESHOLD,
            min_count: DEFAULT_MIN_COUNT,
            bins: DEFAULT_BINS,
        }
    }

    /// METRICS §5: a categorical feature drifts when `js` ≥ 0.1.
    pub fn categorical_default() -> Self {
        Self {
            method: Method::Js,
            threshold: DEFAULT_THRESHOLD,
            min_count: DEFAULT_MIN_COUNT,
            bins: DEFAULT_BINS,
        }
    }

    pub fn default_for(kind: FeatureKind) -> Self {
        match kind {
            FeatureKind::Numeric => Self::numeric_default(),
            FeatureKind::Categorical => Self::categorical_default(),
        }
    }

    /// Checks the policy fits a feature of `kind`, so a comparison never meets a rule it
    /// cannot apply.
    pub fn check(&self, feature: &str, kind: FeatureKind) -> Result<(), DriftError> {
        if !self.method.applies_to(kind) {
            return Err(DriftError::MethodNotApplicable {
                feature: feature.to_owned(),
                method: self.method,
                kind: kind.name(),
            });
        }
        if !self.threshold.is_finite() || self.threshold < 0.0 {
            return Err(DriftError::InvalidParameter {
                name: "threshold",
                value: self.threshold,
                expected: "a finite number ≥ 0",
            });
        }
        if kind == FeatureKind::Numeric && self.bins < 2 {
            return Err(DriftError::InvalidParameter {
                name: "bins",
                value: self.bins as f64,
                expected: "at least 2",
            });
        }
        Ok(())
    }

    /// The verdict for a feature whose smaller side has `fewest_values` values and whose
    /// deciding statistic is `value` (`None` when a side is empty). A NaN statistic (only
    /// overflow on values near ±1e308 makes one) measured nothing, so it is not `no_drift`.
    pub fn verdict(&self, fewest_values: u64, value: Option<f64>) -> Verdict {
        match value.filter(|value| !value.is_nan()) {
            Some(value) if fewest_values >= self.min_count && fewest_values > 0 => {
                if self.method.drifts(value, self.threshold) {
                    Verdict::Drift
                } else {
                    Verdict::NoDrift
                }
            }
            _ => Verdict::InsufficientData,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p_values_drift_when_small_other_statistics_when_large() {
        assert!(Method::KsP.drifts(0.01, 0.05));
        assert!(!Method::KsP.drifts(0.05, 0.05));
        assert!(Method::Js.drifts(0.1, 0.1));
        assert!(!Method::WassersteinNorm.drifts(0.099, 0.1));
        assert!(!Method::Psi.drifts(f64::NAN, 0.1));
    }

    #[test]
    fn too_few_values_is_insufficient_never_drift() {
        let policy = DriftPolicy::numeric_default();
        assert_eq!(policy.verdict(99, Some(10.0)), Verdict::InsufficientData);
        assert_eq!(policy.verdict(100, Some(10.0)), Verdict::Drift);
        assert_eq!(policy.verdict(100, Some(0.01)), Verdict::NoDrift);
        assert_eq!(policy.verdict(1000, None), Verdict::InsufficientData);
        assert_eq!(policy.verdict(1000, Some(f64::NAN)), Verdict::InsufficientData);
        let lenient = DriftPolicy { min_count: 0, ..policy };
        assert_eq!(lenient.verdict(0, Some(10.0)), Verdict::InsufficientData);
    }

    #[test]
    fn numeric_only_methods_are_refused_for_categorical_features() {
        let policy = DriftPolicy {
            method: Method::KsP,
            threshold: 0.05,
            ..DriftPolicy::categorical_default()
        };
        assert!(matches!(
            policy.check("intent", FeatureKind::Categorical),
            Err(DriftError::MethodNotApplicable { .. })
        ));
        assert_eq!(policy.check("confidence", FeatureKind::Numeric), Ok(()));
        let bad_threshold = DriftPolicy {
            threshold: f64::NAN,
            ..DriftPolicy::numeric_default()
        };
        assert!(bad_threshold.check("confidence", FeatureKind::Numeric).is_err());
    }

    #[test]
    fn deserialises_with_defaults_and_rejects_unknown_fields() {
        let policy: DriftPolicy = serde_json::from_str(r#"{"method":"ks_p","threshold":0.01}"#).expect("valid policy");
        assert_eq!(
            policy,
            DriftPolicy {
                method: Method::KsP,
                threshold: 0.01,
                min_count: 100,
                bins: 10
            }
        );
        assert!(serde_json::from_str::<DriftPolicy>(r#"{"method":"js","threshold":0.1,"treshold":1}"#).is_err());
        assert!(serde_json::from_str::<DriftPolicy>(r#"{"method":"chi2","threshold":0.1}"#).is_err());
    }
}
