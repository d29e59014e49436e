//! The whole drift report of one reference/current comparison, as `convolens drift --format
//! json` prints it: the windows and the per-feature records of INTERFACE.md, then the text,
//! embedding, intent, out-of-scope and KPI-series findings.
//!
//! Features are ordered by severity: `drift` first, then `no_drift`, then
//! `insufficient_data`; within a verdict by how far the deciding statistic is past (or short
//! of) its threshold, statistic / threshold descending (threshold / p for `ks_p`, whose small
//! values are the severe ones); features without a statistic last; ties by name.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::compare::FeatureDrift;
use crate::embedding::EmbeddingDrift;
use crate::intents::{IntentSurge, OosShift};
use crate::kpi::SeriesAlarm;
use crate::policy::{Method, Verdict};
use crate::text::TextDrift;
use crate::window::Window;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftReport {
    pub reference: Window,
    pub current: Window,
    pub features: Vec<FeatureDrift>,
    pub text: Option<TextDrift>,
    pub embeddings: Option<EmbeddingDrift>,
    pub surges: Vec<IntentSurge>,
    pub oos: Option<OosShift>,
    pub alarms: Vec<SeriesAlarm>,
}

impl DriftReport {
    /// A report of `features` (put in severity order) and nothing else yet.
    pub fn new(reference: Window, current: Window, features: Vec<FeatureDrift>) -> Self {
        let mut report = Self {
            reference,
            current,
            features,
            text: None,
            embeddings: None,
            surges: Vec::new(),
            oos: None,
            alarms: Vec::new(),
        };
        report.sort_features();
        report
    }

    /// Puts the features in severity order (module docs); call after pushing more.
    pub fn sort_features(&mut self) {
        self.features.sort_by(by_severity);
    }
}

/// How far the deciding statistic is along its threshold: statistic / threshold, or
/// threshold / p for `ks_p`. Above 1 means drift. `None` without a statistic.
pub fn severity(drift: &FeatureDrift) -> Option<f64> {
    let value = drift.statistic(drift.method).filter(|v| !v.is_nan())?;
    let ratio = match drift.method {
        Method::KsP => drift.threshold / value,
        Method::Psi | Method::Js | Method::WassersteinNorm => value / drift.threshold,
    };
    (!ratio.is_nan()).then_some(ratio)
}

fn verdict_rank(verdict: Verdict) -> u8 {
    match verdict {
        Verdict::Drift => 0,
        Verdict::NoDrift => 1,
        Verdict::InsufficientData => 2,
    }
}

fn by_severity(a: &FeatureDrift, b: &FeatureDrift) -> Ordering {
    let by_ratio = match (severity(a), severity(b)) {
        (Some(x), Some(y)) => y.total_cmp(&x),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    verdict_rank(a.verdict)
        .cmp(&verdict_rank(b.verdict))
        .then(by_ratio)
        .then_with(|| a.feature.cmp(&b.feature))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::KindStatistics;

    fn feature(name: &str, method: Method, threshold: f64, value: Option<f64>, verdict: Verdict) -> FeatureDrift {
        FeatureDrift {
            feature: name.to_owned(),
            kind: KindStatistics::Numeric {
                ks: None,
                ks_p: (method == Method::KsP).then_some(value).flatten(),
                wasserstein: None,
                wasserstein_norm: (method == Method::WassersteinNorm).then_some(value).flatten(),
            },
            n_ref: 100,
            n_cur: 100,
            null_share_ref: Some(0.0),
            null_share_cur: Some(0.0),
            psi: (method == Method::Psi).then_some(value).flatten(),
            js: None,
            method,
            threshold,
            verdict,
        }
    }

    #[test]
    fn drift_first_then_by_ratio_then_name() {
        let features = vec![
            feature("quiet", Method::WassersteinNorm, 0.1, Some(0.05), Verdict::NoDrift),
            feature(
                "few",
                Method::WassersteinNorm,
                0.1,
                Some(9.0),
                Verdict::InsufficientData,
            ),
            feature("psi_3x", Method::Psi, 0.2, Some(0.6), Verdict::Drift),
            // p = 1e-4 against 0.05: ratio 500, the most severe.
            feature("ks_500x", Method::KsP, 0.05, Some(1e-4), Verdict::Drift),
            feature("wn_2x", Method::WassersteinNorm, 0.1, Some(0.2), Verdict::Drift),
            feature("b_empty", Method::WassersteinNorm, 0.1, None, Verdict::InsufficientData),
            feature("a_empty", Method::WassersteinNorm, 0.1, None, Verdict::InsufficientData),
        ];
        let report = DriftReport::new(Window::new("a", "b"), Window::new("b", "c"), features);
        let order: Vec<&str> = report.features.iter().map(|f| f.feature.as_str()).collect();
        assert_eq!(
            order,
            ["ks_500x", "psi_3x", "wn_2x", "quiet", "few", "a_empty", "b_empty"]
        );
        let ratio = severity(&report.features[0]).expect("has a statistic");
        assert!((ratio - 500.0).abs() < 1e-9, "{ratio}");
    }

    #[test]
    fn serialises_windows_as_from_to_and_every_section() {
        let report = DriftReport::new(
            Window::new("2026-11-01", "2026-11-08"),
            Window::new("2026-11-08", "2026-11-09"),
            Vec::new(),
        );
        let json = serde_json::to_value(&report).expect("serialisable");
        let keys: Vec<&str> = json.as_object().expect("object").keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "reference",
                "current",
                "features",
                "text",
                "embeddings",
                "surges",
                "oos",
                "alarms"
            ]
        );
        assert_eq!(json["reference"], "2026-11-01..2026-11-08");
    }
}
